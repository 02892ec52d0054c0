// Proves the block allocator hands out each free block once, next-fit and contiguous on a fresh region,
// refuses (ENOSPC, nothing taken) what it cannot give whole, and that release and claim keep the count
// right; a seeded random run checks it against a plain set. Replay with BLOCKSTORE_SEED=<n>.

import assert from 'node:assert/strict';
import { CephError } from '../../common/errors.js';
import { Allocator } from '../../osd/blockstore/core/allocator.js';
import { Rng } from '../support/rng.js';

describe('blockstore allocator', function () {
  it('fresh region: contiguous runs, next-fit; ENOSPC takes nothing', function () {
    const a = new Allocator(100, 70);
    assert.deepEqual(a.allocate(10), [{ start: 100, length: 10 }]);
    assert.deepEqual(a.allocate(5), [{ start: 110, length: 5 }]);
    assert.equal(a.free, 55);
    assert.throws(() => a.allocate(56), (e: unknown) => e instanceof CephError && e.code === 'ENOSPC');
    assert.equal(a.free, 55);
    a.release(100, 10);
    const runs = a.allocate(58);
    assert.equal(runs.reduce((n, r) => n + r.length, 0), 58);
    assert.equal(a.free, 7);
    assert.ok(!a.contains(99) && a.contains(100) && a.contains(169) && !a.contains(170));
  });

  it('claim marks once; a second claim or one outside the region is false', function () {
    const a = new Allocator(8, 40);
    assert.equal(a.claim(8), true);
    assert.equal(a.claim(8), false);
    assert.equal(a.claim(48), false);
    assert.equal(a.claim(7), false);
    assert.equal(a.used, 1);
    assert.throws(() => a.release(9), /double free/);
  });

  const seed = process.env.BLOCKSTORE_SEED === undefined ? 0xa110c : Number(process.env.BLOCKSTORE_SEED);
  it(`seed=${seed}: random allocate/release agrees with a set`, function () {
    const rng = new Rng(seed);
    const a = new Allocator(1, 1000);
    const used = new Set<number>();
    for (let step = 0; step < 3000; step++) {
      if (rng.chance(0.55)) {
        const n = rng.int(1, 40);
        if (n > a.free) {
          assert.throws(() => a.allocate(n), (e: unknown) => e instanceof CephError && e.code === 'ENOSPC', `seed=${seed} step ${step}`);
          continue;
        }
        for (const r of a.allocate(n)) {
          for (let b = r.start; b < r.start + r.length; b++) {
            assert.ok(!used.has(b), `seed=${seed} step ${step}: block ${b} handed out twice`);
            used.add(b);
          }
        }
      } else if (used.size) {
        const all = [...used];
        for (let k = rng.int(1, 30); k > 0 && all.length; k--) {
          const b = all.splice(rng.int(0, all.length - 1), 1)[0]!;
          used.delete(b);
          a.release(b);
        }
      }
      assert.equal(a.used, used.size, `seed=${seed} step ${step}`);
    }
  });
});
