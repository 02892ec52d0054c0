// Proves crushDoRule maps exactly as Ceph 16.2's crushtool does: every map under
// test/fixtures/crush/core/maps (all five bucket algorithms, straw_calc_version 0/1, every tunable
// profile, every set_* step, firstn/indep/chooseleaf, reweights, holes, choose_args) is built here
// from its JSON tables with tsceph's builder and each recorded crushtool --test mapping is replayed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { addBucket, addRule, bucketAddItem, crushCreate, finalize, makeBucket, makeRule } from '../../crush/builder.js';
import { crushHash32_2 } from '../../crush/hash.js';
import { CrushWork, crushDoRule, crushFindRule } from '../../crush/mapper.js';
import { BucketAlg, CRUSH_ITEM_NONE, RuleOp } from '../../crush/types.js';
import { buildMap, loadMapDesc, mapNames, mapsDir } from './core-maps.js';


function loadExpected(name: string): string[][] {
  const text = gunzipSync(readFileSync(join(mapsDir, `${name}.out.gz`))).toString('utf8');
  const tests: string[][] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) {
    if (line.startsWith('# test')) tests.push([]);
    else tests[tests.length - 1]!.push(line); // an empty line is an empty mapping
  }
  return tests;
}

describe('crush mapper against crushtool', () => {
  const names = mapNames();
  it('has the fixture maps', () => assert.ok(names.length >= 10));
  for (const name of names) {
    it(`maps ${name} like crushtool --test --show-mappings`, () => {
      const d = loadMapDesc(name);
      const { map, chooseArgs } = buildMap(d);
      const expected = loadExpected(name);
      assert.equal(expected.length, d.tests.length);
      const present = new Set<number>();
      for (const b of d.buckets) for (const [it] of b.items) if (it >= 0) present.add(it);
      const work = new CrushWork(map, 16);
      const result = new Int32Array(16);
      for (const [k, t] of d.tests.entries()) {
        const hist = new Uint32Array(map.chooseTotalTries + 1);
        work.chooseTries = hist;
        const weights = new Uint32Array(map.maxDevices);
        for (let o = 0; o < map.maxDevices; o++) weights[o] = present.has(o) ? 0x10000 : 0;
        for (const [dev, w] of Object.entries(t.weights)) weights[Number(dev)] = w;
        const pool = t.pool ?? -1;
        // crushtool --test always maps with the default choose_args set (-1), whatever --pool-id says;
        // --pool-id only changes the input to hash(x, pool).
        const args = chooseArgs.get(-1) ?? null;
        const lines = expected[k]!;
        assert.equal(lines.length, d.maxX - d.minX + 1);
        for (let x = d.minX; x <= d.maxX; x++) {
          const realX = pool === -1 ? x : crushHash32_2(x, pool) | 0;
          const n = crushDoRule(map, t.rule, realX, result, t.rep, weights, weights.length, work, args);
          const got = Array.from(result.subarray(0, n)).join(',');
          if (got !== lines[x - d.minX]) {
            assert.fail(`${name} test ${k} (rule ${t.rule} rep ${t.rep} pool ${pool}) x ${x}: got [${got}] want [${lines[x - d.minX]}]`);
          }
        }
        // crushtool --show-choose-tries prints choose_total_tries buckets of the histogram
        assert.deepEqual(Array.from(hist.subarray(0, map.chooseTotalTries)), d.chooseTries[k], `${name} test ${k}: choose_tries`);
      }
    });
  }

  it('gives up instead of hanging on a cyclic (corrupt) map', () => {
    const map = crushCreate();
    addBucket(map, -1, makeBucket(map, BucketAlg.Straw2, 0, 2, [-2], [0x10000]));
    addBucket(map, -2, makeBucket(map, BucketAlg.Straw2, 0, 1, [-1], [0x10000]));
    const take = { op: RuleOp.Take, arg1: -1, arg2: 0 };
    const emit = { op: RuleOp.Emit, arg1: 0, arg2: 0 };
    addRule(map, makeRule([take, { op: RuleOp.ChooseFirstN, arg1: 0, arg2: 0 }, emit], 0, 1, 1, 10), 0);
    addRule(map, makeRule([take, { op: RuleOp.ChooseIndep, arg1: 0, arg2: 0 }, emit], 1, 3, 1, 10), 1);
    finalize(map);
    const work = new CrushWork(map, 3);
    const out = new Int32Array(3);
    const weights = new Uint32Array(1);
    assert.equal(crushDoRule(map, 0, 1, out, 3, weights, 1, work, null), 0);
    assert.equal(crushDoRule(map, 1, 1, out, 3, weights, 1, work, null), 3);
    assert.deepEqual(Array.from(out), [CRUSH_ITEM_NONE, CRUSH_ITEM_NONE, CRUSH_ITEM_NONE]);
  });

  it('keeps one workspace valid while the map grows (buckets, items, result size)', () => {
    const d = loadMapDesc('uniform-list-tree-firefly');
    const { map } = buildMap(d);
    const shared = new CrushWork(map, 2);
    const weights = new Uint32Array(64).fill(0x10000);
    const a = new Int32Array(8);
    const b = new Int32Array(8);
    const compare = (): void => {
      for (let x = 0; x < 200; x++) {
        for (const rule of [0, 1, 2, 3]) {
          const n1 = crushDoRule(map, rule, x, a, 5, weights, weights.length, shared, null);
          const n2 = crushDoRule(map, rule, x, b, 5, weights, weights.length, new CrushWork(map, 5), null);
          assert.deepEqual(Array.from(a.subarray(0, n1)), Array.from(b.subarray(0, n2)));
        }
      }
    };
    compare();
    // grow a uniform host and hang a new uniform host under the first rack
    const host = map.buckets[0]!;
    bucketAddItem(map, host, 40, host.itemWeight);
    bucketAddItem(map, host, 41, host.itemWeight);
    const nh = makeBucket(map, BucketAlg.Uniform, 0, 1, [50, 51, 52, 53, 54, 55, 56, 57, 58, 59], Array(10).fill(0x10000));
    const id = addBucket(map, 0, nh);
    const rack = map.buckets.find((x) => x !== null && x.type === 2)!;
    bucketAddItem(map, rack, id, nh.weight);
    finalize(map);
    compare();
  });

  it('finds rules by mask', () => {
    const map = crushCreate();
    addRule(map, makeRule([], 0, 1, 1, 10), 0);
    addRule(map, makeRule([], 1, 3, 3, 6), 1);
    assert.equal(crushFindRule(map, 1, 3, 4), 1);
    assert.equal(crushFindRule(map, 1, 3, 7), -1);
    assert.equal(crushFindRule(map, 0, 1, 1), 0);
    assert.equal(CRUSH_ITEM_NONE, 0x7fffffff);
  });
});
