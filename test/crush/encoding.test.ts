// Proves crush/encoding.ts reads and writes Ceph's binary CRUSH maps exactly: every binary crushtool
// made in test/fixtures/crush/bin (scripts/gen-bin-fixtures.sh) re-encodes to the same bytes, or to the
// bytes crushtool writes after decoding it (legacy, patched maps); and that truncated, bit-flipped or
// random input gives a CephError, never another exception or a hang.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CephError } from '../../common/errors.js';
import {
  CEPH_FEATURE_CRUSH_TUNABLES5,
  decodeCrushMap,
  encodeCrushMap,
  hasIncompatChooseArgs,
} from '../../crush/encoding.js';
import { BucketAlg } from '../../crush/types.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, '..', '..', '..', 'test', 'fixtures', 'crush', 'bin');
const maps = readdirSync(fixtures)
  .filter((f) => f.endsWith('.bin') && !f.endsWith('.reenc.bin'))
  .map((f) => f.slice(0, -4))
  .sort();

function load(name: string): Buffer {
  return readFileSync(join(fixtures, name + '.bin'));
}

/** A small deterministic PRNG (xorshift32) so failures replay. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

function decodeOrCephError(buf: Uint8Array, what: string): boolean {
  try {
    decodeCrushMap(buf);
    return true;
  } catch (e) {
    if (!(e instanceof CephError)) throw new Error(`${what}: ${String(e)} is not a CephError`);
    assert.ok(e.code === 'EIO' || e.code === 'EINVAL', `${what}: code ${e.code}`);
    assert.match(e.message, /^crush map: /);
    return false;
  }
}

describe('crush/encoding round trip', () => {
  it('has a corpus', () => {
    assert.ok(maps.length >= 40, `only ${maps.length} maps`);
  });
  for (const name of maps) {
    it(`${name}: encode(decode(bin)) is what crushtool writes`, () => {
      const bin = load(name);
      const reencPath = join(fixtures, name + '.reenc.bin');
      const expected = existsSync(reencPath) ? readFileSync(reencPath) : bin;
      const out = encodeCrushMap(decodeCrushMap(bin));
      assert.equal(out.length, expected.length, 'length');
      assert.ok(out.equals(expected), `first difference at byte ${out.findIndex((b, i) => b !== expected[i])}`);
    });
  }
});

describe('crush/encoding decode', () => {
  it('reads every field of a map with classes and choose_args', () => {
    const { crush, names } = decodeCrushMap(load('chooseargs'));
    assert.equal(crush.buckets.length, 8); // crushtool grows max_buckets in steps
    assert.equal(crush.maxDevices, 4);
    assert.equal(crush.chooseTotalTries, 50);
    assert.equal(crush.chooseleafStable, 1);
    assert.equal(crush.allowedBucketAlgs, 54);
    const root = crush.buckets[0]!;
    assert.equal(root.id, -1);
    assert.equal(root.alg, BucketAlg.Straw2);
    assert.deepEqual([...root.items], [-2, -3]);
    assert.deepEqual([...root.itemWeights], [3 * 0x10000, 2 * 0x10000]);
    assert.equal(names.typeMap.get(11), 'root');
    assert.equal(names.nameMap.get(-1), 'default');
    assert.equal(names.ruleNameMap.get(0), 'replicated_rule');
    assert.equal(names.className.get(names.classMap.get(0)!), 'hdd');
    assert.deepEqual([...names.chooseArgs.keys()].sort((a, b) => a - b), [1, 7, 9]);
    const set1 = names.chooseArgs.get(1)!;
    assert.equal(set1.length, crush.buckets.length);
    assert.deepEqual([...set1[0]!.ids!], [-10, -20]);
    assert.deepEqual(set1[0]!.weightSet.map((w) => [...w]), [[0x20000, 0x10000], [0x18000, 0x14000]]);
    assert.deepEqual([...set1[2]!.ids!], [7, 8]);
    assert.equal(set1[2]!.weightSet.length, 0);
  });

  it('reads the rule mask and every step', () => {
    const { crush } = decodeCrushMap(load('rules'));
    assert.equal(crush.rules.length, 8);
    assert.equal(crush.rules[1], null);
    const r = crush.rules[2]!;
    assert.deepEqual(r.mask, { ruleset: 2, type: 1, minSize: 1, maxSize: 255 });
    assert.deepEqual(r.steps.slice(0, 2), [
      { op: 10, arg1: 3, arg2: 0 },
      { op: 11, arg1: 4, arg2: 0 },
    ]);
  });

  it('keeps legacy tunables for the groups an older encoding left out', () => {
    const { crush, names } = decodeCrushMap(load('legacy-argonaut'));
    assert.equal(crush.chooseLocalTries, 2);
    assert.equal(crush.chooseLocalFallbackTries, 5);
    assert.equal(crush.chooseTotalTries, 19);
    assert.equal(crush.allowedBucketAlgs, 22);
    assert.equal(names.classMap.size, 0);
    const pre = decodeCrushMap(load('legacy-pre-algs')).crush;
    assert.equal(pre.chooseTotalTries, 50);
    assert.equal(pre.strawCalcVersion, 1);
    assert.equal(pre.allowedBucketAlgs, 22);
  });

  it('recomputes max_devices as Ceph does after decoding', () => {
    assert.equal(decodeCrushMap(load('patched-max-devices')).crush.maxDevices, 10);
  });

  it('reads name maps written with 64-bit keys', () => {
    const { names } = decodeCrushMap(load('names64'));
    assert.equal(names.typeMap.get(1), 'host');
    assert.equal(names.nameMap.get(2), 'osd.2');
  });

  it('drops choose_args of buckets that are not straw2, as Ceph does', () => {
    const { names } = decodeCrushMap(load('chooseargs-nonstraw2'));
    const set = names.chooseArgs.get(3)!;
    assert.equal(set[0], null);
    assert.deepEqual([...set[1]!.ids!], [5, 6]);
  });

  it('accepts every cut of a map only at the group boundaries older encoders stopped at', () => {
    const bin = load('rules');
    const ok: number[] = [];
    for (let i = 0; i < bin.length; i++) if (decodeOrCephError(bin.subarray(0, i), `cut at ${i}`)) ok.push(bin.length - i);
    // before choose_args, before the class maps, stable, algs, straw_calc, vary_r, descend_once, tries
    assert.deepEqual(ok, [39, 27, 23, 22, 21, 17, 16, 4]);
  });

  it('names what it was reading when the data ends', () => {
    const bin = load('rules');
    assert.throws(() => decodeCrushMap(bin.subarray(0, 84)), /^CephError: crush map: truncated reading bucket -3 item weights/);
    assert.throws(() => decodeCrushMap(bin.subarray(0, 296)), (e: unknown) => {
      assert.ok(e instanceof CephError);
      assert.equal(e.code, 'EIO');
      assert.match(e.message, /^crush map: truncated reading rule 0 steps \(count 4 needs at least 48 bytes/);
      return true;
    });
  });

  it('refuses a bad magic, an unknown algorithm, a misplaced bucket and bad choose_args (EINVAL)', () => {
    const bin = load('rules');
    const bad = (patch: (b: Buffer) => void, re: RegExp): void => {
      const b = Buffer.from(bin);
      patch(b);
      assert.throws(() => decodeCrushMap(b), (e: unknown) => {
        assert.ok(e instanceof CephError, String(e));
        assert.equal(e.code, 'EINVAL');
        assert.match(e.message, re);
        return true;
      });
    };
    bad((b) => b.writeUInt32LE(0x12345678, 0), /bad magic number 0x12345678/);
    bad((b) => b.writeUInt32LE(9, 16), /bucket -1 alg: unsupported bucket algorithm: 9/);
    bad((b) => b.writeInt32LE(-7, 20), /bucket -1 id: bucket in slot 0 has id -7, expected -1/);
    bad((b) => b.writeUInt8(4, 26), /algorithm 4 differs from the slot's 5/);
    const ca = Buffer.from(load('compat-weightset'));
    // the compat set's first entry bucket index (just after s64 id and u32 count)
    const at = ca.length - 80 + 12;
    ca.writeUInt32LE(99, at);
    assert.throws(() => decodeCrushMap(ca), /choose_args -1 bucket index: bucket index 99 is not below max_buckets \d+/);
  });

  it('refuses items naming missing buckets and cycles (the tree walks would not end)', () => {
    const b = Buffer.from(load('rules'));
    // bucket -1 (root default) is the first bucket: alg, id, type/alg/hash, weight, size, items...
    const itemsAt = 16 + 4 + 4 + 4 + 4 + 4;
    b.writeInt32LE(-8, itemsAt); // -8 is an empty slot in rules.bin
    assert.throws(() => decodeCrushMap(b), /item -8 is not an existing bucket/);
    b.writeInt32LE(-1, itemsAt); // the root containing itself
    assert.throws(() => decodeCrushMap(b), /item -1 makes a cycle/);
  });

  it('gives CephError or a map for thousands of bit flips, never anything else', function () {
    this.timeout(20000);
    const next = rng(0x5eed);
    for (const name of ['rules', 'chooseargs', 'classes', 'algs', 'compat-weightset']) {
      const bin = load(name);
      for (let i = 0; i < 600; i++) {
        const b = Buffer.from(bin);
        const flips = 1 + (next() % 4);
        for (let k = 0; k < flips; k++) {
          const bit = next() % (b.length * 8);
          b[bit >> 3]! ^= 1 << (bit & 7);
        }
        decodeOrCephError(b, `${name} flip #${i}`);
      }
    }
  });

  it('gives CephError for random garbage behind a valid magic', () => {
    const next = rng(42);
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.alloc(4 + (next() % 200));
      for (let k = 0; k < b.length; k++) b[k] = next() & 0xff;
      b.writeUInt32LE(0x10000, 0);
      decodeOrCephError(b, `garbage #${i}`);
    }
  });
});

describe('crush/encoding features', () => {
  it('leaves out chooseleaf_stable without TUNABLES5 and the luminous sections without SERVER_LUMINOUS', () => {
    const bin = load('rules'); // no classes, no choose_args: the luminous tail is 4 empty u32 counts
    const m = decodeCrushMap(bin);
    assert.ok(encodeCrushMap(m, CEPH_FEATURE_CRUSH_TUNABLES5).equals(bin.subarray(0, bin.length - 16)));
    assert.ok(encodeCrushMap(m, 0n).equals(bin.subarray(0, bin.length - 17)));
  });

  it('encodes the compat weight set in place of straw2 weights for pre-luminous peers', () => {
    const m = decodeCrushMap(load('compat-weightset'));
    assert.equal(hasIncompatChooseArgs(m.names), false);
    const old = decodeCrushMap(encodeCrushMap(m, CEPH_FEATURE_CRUSH_TUNABLES5));
    const ws = m.names.chooseArgs.get(-1)!;
    for (let i = 0; i < m.crush.buckets.length; i++) {
      if (!m.crush.buckets[i]) continue;
      assert.deepEqual([...old.crush.buckets[i]!.itemWeights], [...ws[i]!.weightSet[0]!]);
    }
    assert.equal(old.names.chooseArgs.size, 0);
  });

  it('refuses to encode several choose_args sets for pre-luminous peers', () => {
    const m = decodeCrushMap(load('chooseargs'));
    assert.equal(hasIncompatChooseArgs(m.names), true);
    assert.throws(() => encodeCrushMap(m, 0n), CephError);
  });
});
