// Proves common/osdmap/placement.ts places objects and PGs exactly as Ceph 16.2's OSDMap does: each step on small hand-built maps with the answer Ceph's code gives (holes, shifts, upmaps to out OSDs, affinity 0, pg_temp with down members, the raw-primary quirk of pg_to_raw_up), then every PG, raw pgid and object of 16 seeded maps (test/fixtures/osdmap/placement, made by scripts/osdmap-placement/gen.sh) against what Ceph's own osdmaptool printed for them.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { compileCrushMap, crushHash32_2 } from '../../crush/index.js';
import {
  applyPrimaryAffinity,
  applyUpmap,
  makePgPool,
  cephStableMod,
  cephStrHashRjenkins,
  chooseArgsForPool,
  cleanPgUpmaps,
  CRUSH_ITEM_NONE,
  decodeOSDMap,
  incUpmapCommands,
  newIncremental,
  type OSDMapData,
  getTempOsds,
  mapToPg,
  objectLocatorToPg,
  objectLocatorToPgId,
  OSDMap,
  OsdVector,
  pgToActingOsds,
  pgToActingPrimary,
  pgToRawOsds,
  pgToRawUp,
  pgToRawUpmap,
  pgToUpActingOsds,
  pgToUpActingOsdsInto,
  pickPrimary,
  placementHash32_2,
  PlacementWork,
  mapObjectToPgSeed,
  poolHashKey,
  poolPgNumDivisor,
  poolRawPgToPps,
  poolRawSeedToPg,
  rawPgToPg,
  rawToUpOsds,
  removeNonexistentOsds,
  UpActing,
  type PgPool,
} from '../../common/osdmap/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const FIX = join(ROOT, 'test/fixtures/osdmap/placement');
const NONE = CRUSH_ITEM_NONE;

// ---------------------------------------------------------------------------------------------------
// small hand-built maps

const CRUSH = `tunable choose_local_tries 0
tunable choose_local_fallback_tries 0
tunable choose_total_tries 50
tunable chooseleaf_descend_once 1
tunable chooseleaf_vary_r 1
tunable chooseleaf_stable 1
tunable straw_calc_version 1
tunable allowed_bucket_algs 54
device 0 osd.0
device 1 osd.1
device 2 osd.2
device 3 osd.3
device 4 osd.4
device 5 osd.5
type 0 osd
type 1 host
type 11 root
host a {
	id -2
	alg straw2
	hash 0
	item osd.0 weight 1.000
	item osd.1 weight 1.000
}
host b {
	id -3
	alg straw2
	hash 0
	item osd.2 weight 1.000
	item osd.3 weight 1.000
}
host c {
	id -4
	alg straw2
	hash 0
	item osd.4 weight 1.000
	item osd.5 weight 1.000
}
root default {
	id -1
	alg straw2
	hash 0
	item a weight 2.000
	item b weight 2.000
	item c weight 2.000
}
rule rep {
	id 0
	type replicated
	min_size 1
	max_size 10
	step take default
	step chooseleaf firstn 0 type host
	step emit
}
rule ec {
	id 1
	type erasure
	min_size 1
	max_size 10
	step take default
	step chooseleaf indep 0 type host
	step emit
}
rule small {
	id 2
	type replicated
	min_size 1
	max_size 2
	step take default
	step chooseleaf firstn 0 type host
	step emit
}
`;

function mkPool(fields: Partial<PgPool>): PgPool {
  return makePgPool({ type: 1, size: 3, minSize: 2, objectHash: 2, flags: 1, pgNum: 8, pgpNum: 8, ...fields });
}

/** 8 OSD slots: 0..5 in CRUSH, all up and in; 6 exists but is not in CRUSH; 7 does not exist. */
function smallMap(): OSDMap {
  const m = new OSDMap();
  m.epoch = 5;
  m.crush = compileCrushMap(CRUSH);
  m.setMaxOsd(8);
  for (let i = 0; i < 7; i++) {
    m.osdState[i] = 3;
    m.osdWeight[i] = 0x10000;
  }
  m.pools.set(1, mkPool({}));
  m.pools.set(2, mkPool({ type: 3, crushRule: 1 }));
  m.pools.set(3, mkPool({ crushRule: 2 }));
  return m;
}

function vec(a: number[]): OsdVector {
  const v = new OsdVector(2);
  v.assign(a);
  return v;
}

describe('osdmap placement: pg_pool_t helpers', () => {
  it('ceph_stable_mod folds past pg_num into the lower half of the mask', () => {
    // pg_num 12, mask 15: 11 stays, 13 -> 13 & 7 = 5, 28 -> 12 >= 12 so 28 & 7 = 4
    assert.equal(cephStableMod(11, 12, 15), 11);
    assert.equal(cephStableMod(13, 12, 15), 5);
    assert.equal(cephStableMod(28, 12, 15), 4);
    assert.equal(cephStableMod(0xffffffff, 12, 15), 7);
    assert.equal(cephStableMod(0xffffffff, 16, 15), 15);
    const p = mkPool({ pgNum: 12, pgpNum: 12 });
    assert.equal(p.pgNumMask, 15);
    assert.equal(poolRawSeedToPg(p, 13), 5);
  });

  it('raw_pg_to_pps: hashpspool hashes the pgp-folded seed with the pool id, otherwise adds it', () => {
    const off = mkPool({ flags: 0, pgNum: 8, pgpNum: 4 });
    // stable_mod(5, 4, 3) = 1, + pool 7
    assert.equal(poolRawPgToPps(off, 7, 5), 8);
    assert.equal(poolRawPgToPps(off, 0xfffffff0, 0x13), (0xfffffff0 + 3) >>> 0);
    const on = mkPool({ flags: 1, pgNum: 8, pgpNum: 4 });
    assert.equal(poolRawPgToPps(on, 7, 5), crushHash32_2(1, 7));
  });

  it('the placement-local crush_hash32_2 (pps, affinity draws) equals crush/hash.ts`s', () => {
    for (let i = 0; i < 20000; i++) {
      const a = Math.imul(i, 0x9e3779b1) >>> 0;
      const b = (i * 7) % 1200;
      assert.equal(placementHash32_2(a, b), crushHash32_2(a, b));
    }
  });

  it('get_pg_num_divisor: split PGs cover the finer bins', () => {
    assert.equal(poolPgNumDivisor(mkPool({ pgNum: 8 }), 3), 8);
    const p = mkPool({ pgNum: 12 }); // mask 15: seeds with (ps & 7) < (12 & 7) = 4 are split
    assert.equal(poolPgNumDivisor(p, 2), 16);
    assert.equal(poolPgNumDivisor(p, 10), 16);
    assert.equal(poolPgNumDivisor(p, 5), 8);
  });

  it('hash_key: namespace + \\037 + key, and the key alone without a namespace', () => {
    const p = mkPool({});
    assert.equal(poolHashKey(p, 'key', 'ns'), cephStrHashRjenkins(Buffer.from('ns\x1fkey')));
    assert.equal(poolHashKey(p, Buffer.from('key'), Buffer.from('ns')), cephStrHashRjenkins('ns\x1fkey'));
    assert.equal(poolHashKey(p, 'key', ''), cephStrHashRjenkins('key'));
    assert.equal(poolHashKey(p, Buffer.from('key'), ''), cephStrHashRjenkins('key'));
    assert.equal(poolHashKey(mkPool({ objectHash: 9 }), 'key', ''), 0xffffffff);
  });
});

describe('osdmap placement: object -> pg', () => {
  const m = smallMap();
  it('map_to_pg hashes the locator key when set, else the name; -ENOENT for a missing pool', () => {
    assert.equal(mapToPg(m, 1, 'obj', '', ''), cephStrHashRjenkins('obj'));
    assert.equal(mapToPg(m, 1, 'obj', 'loc', ''), cephStrHashRjenkins('loc'));
    assert.equal(mapToPg(m, 1, 'obj', '', 'ns'), cephStrHashRjenkins('ns\x1fobj'));
    assert.equal(mapToPg(m, 1, 'obj', 'loc', 'ns'), cephStrHashRjenkins('ns\x1floc'));
    assert.equal(mapToPg(m, 99, 'obj', '', ''), -2);
    // the hot path folds in place: map_to_pg then raw_pg_to_pg
    assert.equal(mapObjectToPgSeed(m, 1, 'obj', 'loc', 'ns'), cephStableMod(cephStrHashRjenkins('ns\x1floc'), 8, 7));
    assert.equal(mapObjectToPgSeed(m, 1, Buffer.from('obj'), '', ''), cephStrHashRjenkins('obj') & 7);
    assert.equal(mapObjectToPgSeed(m, 99, 'obj', '', ''), -2);
  });
  it('object_locator_to_pg: an explicit hash wins (the pool must still exist)', () => {
    assert.equal(objectLocatorToPg(m, 'obj', { pool: 1, hash: 77 }), 77);
    assert.equal(objectLocatorToPg(m, 'obj', { pool: 99, hash: 77 }), -2);
    assert.equal(objectLocatorToPg(m, 'obj', { pool: 1, key: 'k', nspace: 'n' }), cephStrHashRjenkins('n\x1fk'));
    assert.deepEqual(objectLocatorToPgId(m, 'obj', { pool: 1 }), { pool: 1, seed: cephStrHashRjenkins('obj') });
    assert.throws(() => objectLocatorToPgId(m, 'obj', { pool: 99 }), { code: 'ENOENT' });
    assert.deepEqual(rawPgToPg(m, { pool: 1, seed: 13 }), { pool: 1, seed: 5 });
  });
});

describe('osdmap placement: the steps of _pg_to_up_acting_osds', () => {
  it('_remove_nonexistent_osds: replicated pools shift, erasure pools keep NONE holes', () => {
    const m = smallMap();
    const rep = m.pools.get(1)!;
    const ec = m.pools.get(2)!;
    const a = vec([0, 7, 2, NONE, 9]);
    removeNonexistentOsds(m, rep, a);
    assert.deepEqual(a.toArray(), [0, 2]);
    const b = vec([0, 7, 2, NONE, 9]);
    removeNonexistentOsds(m, ec, b);
    assert.deepEqual(b.toArray(), [0, NONE, 2, NONE, NONE]);
  });

  it('_apply_upmap: pg_upmap replaces the set unless a target is marked out (then nothing applies)', () => {
    const m = smallMap();
    const rep = m.pools.get(1)!;
    m.pgUpmap.set(1, 3, [5, 4, 9]); // 9 is past max_osd: still applied (dropped later as nonexistent)
    let v = vec([0, 2, 4]);
    applyUpmap(m, rep, 1, 3, v);
    assert.deepEqual(v.toArray(), [5, 4, 9]);
    // seed 11 folds to 3 with pg_num 8
    v = vec([0, 2, 4]);
    applyUpmap(m, rep, 1, 11, v);
    assert.deepEqual(v.toArray(), [5, 4, 9]);
    // a missing OSD below max_osd has weight 0, so it counts as marked out: the mapping is ignored
    m.pgUpmap.set(1, 3, [5, 4, 7]);
    v = vec([0, 2, 4]);
    applyUpmap(m, rep, 1, 3, v);
    assert.deepEqual(v.toArray(), [0, 2, 4]);
    m.pgUpmap.set(1, 3, [5, 4, 9]);
    m.osdWeight[4] = 0; // a target out: the whole explicit mapping is ignored, and so are the items
    m.pgUpmapItems.set(1, 3, [[0, 1]]);
    v = vec([0, 2, 4]);
    applyUpmap(m, rep, 1, 3, v);
    assert.deepEqual(v.toArray(), [0, 2, 4]);
  });

  it('_apply_upmap: pg_upmap_items substitute in order, skipping targets present or out', () => {
    const m = smallMap();
    const rep = m.pools.get(1)!;
    m.osdWeight[5] = 0;
    m.pgUpmapItems.set(1, 0, [
      [0, 1], // applied
      [2, 1], // 1 is now present: skipped
      [4, 5], // 5 is out: skipped
      [9, 3], // 9 not in the set: nothing
      [4, 3], // applied
    ]);
    const v = vec([0, 2, 4]);
    applyUpmap(m, rep, 1, 0, v);
    assert.deepEqual(v.toArray(), [1, 2, 3]);
    // a swap does not swap: [[1,2],[2,1]] on [0,1,2] finds each target already present
    m.pgUpmapItems.set(1, 1, [
      [1, 2],
      [2, 1],
    ]);
    const w = vec([0, 1, 2]);
    applyUpmap(m, rep, 1, 1, w);
    assert.deepEqual(w.toArray(), [0, 1, 2]);
    // an out target is "out" only when it is a valid id: NONE and ids past max_osd are substituted
    m.pgUpmapItems.set(1, 2, [
      [0, NONE],
      [2, 40],
    ]);
    const x = vec([0, 2, 4]);
    applyUpmap(m, rep, 1, 2, x);
    assert.deepEqual(x.toArray(), [NONE, 40, 4]);
  });

  it('_raw_to_up_osds: down and missing OSDs leave (replicated) or become holes (erasure)', () => {
    const m = smallMap();
    m.osdState[2] = 1; // exists, down
    const up = new OsdVector();
    rawToUpOsds(m, m.pools.get(1)!, vec([2, 0, 7, 4]), up);
    assert.deepEqual(up.toArray(), [0, 4]);
    rawToUpOsds(m, m.pools.get(2)!, vec([2, 0, NONE, 4]), up);
    assert.deepEqual(up.toArray(), [NONE, 0, NONE, 4]);
    assert.equal(pickPrimary(up), 0);
    assert.equal(pickPrimary(vec([NONE, NONE])), -1);
  });

  it('_apply_primary_affinity: affinity 0 is never chosen unless nobody passes; replicated pools move the primary first', () => {
    const m = smallMap();
    const rep = m.pools.get(1)!;
    const ec = m.pools.get(2)!;
    // no affinity vector, or only default values in the set: unchanged
    let v = vec([0, 2, 4]);
    assert.equal(applyPrimaryAffinity(m, 1234, rep, v, 0), 0);
    m.setPrimaryAffinity(5, 0);
    assert.equal(applyPrimaryAffinity(m, 1234, rep, v, 0), 0);
    assert.deepEqual(v.toArray(), [0, 2, 4]);
    m.setPrimaryAffinity(0, 0);
    for (let pps = 0; pps < 50; pps++) {
      v = vec([0, 2, 4]);
      assert.equal(applyPrimaryAffinity(m, pps, rep, v, 0), 2);
      assert.deepEqual(v.toArray(), [2, 0, 4]);
      v = vec([NONE, 0, 2, 4]);
      assert.equal(applyPrimaryAffinity(m, pps, ec, v, 0), 2);
      assert.deepEqual(v.toArray(), [NONE, 0, 2, 4]);
    }
    // everyone at 0: the first one tried stays
    m.setPrimaryAffinity(2, 0);
    m.setPrimaryAffinity(4, 0);
    v = vec([0, 2, 4]);
    assert.equal(applyPrimaryAffinity(m, 9, rep, v, 0), 0);
    assert.deepEqual(v.toArray(), [0, 2, 4]);
    // a fractional affinity: the OSD is kept when the top 16 bits of crush_hash32_2(pps, osd) fall below it
    m.setPrimaryAffinity(0, 0x8000);
    m.setPrimaryAffinity(2, 0x10000);
    let kept = 0;
    for (let pps = 0; pps < 2000; pps++) {
      v = vec([0, 2, 4]);
      const p = applyPrimaryAffinity(m, pps, rep, v, 0);
      const expect = crushHash32_2(pps, 0) >>> 16 < 0x8000 ? 0 : 2;
      assert.equal(p, expect);
      if (p === 0) kept++;
    }
    assert.ok(kept > 850 && kept < 1150, `about half kept: ${kept}`);
  });

  it('_get_temp_osds: down members leave (replicated) or become holes (erasure); primary_temp wins', () => {
    const m = smallMap();
    m.osdState[2] = 1; // down
    const rep = m.pools.get(1)!;
    const ec = m.pools.get(2)!;
    const t = new OsdVector();
    m.pgTemp.set(1, 3, [2, 3, 7]);
    assert.equal(getTempOsds(m, rep, 1, 3, t), 3);
    assert.deepEqual(t.toArray(), [3]);
    assert.equal(getTempOsds(m, rep, 1, 11, t), 3); // raw seed folded first
    m.pgTemp.set(2, 3, [2, 3, NONE]);
    assert.equal(getTempOsds(m, ec, 2, 3, t), 3);
    assert.deepEqual(t.toArray(), [NONE, 3, NONE]);
    m.primaryTemp.set(1, 3, 2); // even a down primary_temp is taken as is
    assert.equal(getTempOsds(m, rep, 1, 3, t), 2);
    assert.equal(getTempOsds(m, rep, 1, 4, t), -1);
    assert.equal(t.size, 0);
  });
});

describe('osdmap placement: pg -> up/acting', () => {
  it('a rule whose mask does not admit the pool size maps nothing (Pacific find_rule)', () => {
    const m = smallMap();
    for (let s = 0; s < 8; s++) {
      assert.deepEqual(pgToUpActingOsds(m, { pool: 3, seed: s }), { up: [], upPrimary: -1, acting: [], actingPrimary: -1 });
    }
    m.pools.get(3)!.size = 2;
    assert.equal(pgToUpActingOsds(m, { pool: 3, seed: 0 }).up.length, 2);
  });

  it('up = raw for a healthy replicated pool: one OSD per host, primary first', () => {
    const m = smallMap();
    for (let s = 0; s < 8; s++) {
      const r = pgToUpActingOsds(m, { pool: 1, seed: s });
      const raw = pgToRawOsds(m, { pool: 1, seed: s });
      assert.equal(r.up.length, 3);
      assert.deepEqual(r.up, raw.raw);
      assert.deepEqual(r.acting, r.up);
      assert.equal(r.upPrimary, r.up[0]);
      assert.equal(r.actingPrimary, r.upPrimary);
      assert.deepEqual(new Set(r.up.map((o) => o >> 1)).size, 3); // osd >> 1 is its host here
    }
  });

  it('an erasure pool keeps the position of a down shard and picks the first non-hole as primary', () => {
    const m = smallMap();
    const before = pgToUpActingOsds(m, { pool: 2, seed: 0 });
    const first = before.up[0]!;
    m.osdState[first] = 1; // down
    const after = pgToUpActingOsds(m, { pool: 2, seed: 0 });
    assert.deepEqual(after.up, [NONE, ...before.up.slice(1)]);
    assert.equal(after.upPrimary, before.up[1]);
    assert.deepEqual(pgToRawOsds(m, { pool: 2, seed: 0 }).raw, before.up); // raw ignores up/down
  });

  it('pg_temp gives the acting set; all-down erasure pg_temp is all holes with no primary', () => {
    const m = smallMap();
    m.osdState[2] = 1;
    m.osdState[3] = 1;
    m.pgTemp.set(2, 5, [2, 3]);
    const r = pgToUpActingOsds(m, { pool: 2, seed: 5 });
    assert.deepEqual(r.acting, [NONE, NONE]);
    assert.equal(r.actingPrimary, -1);
    // replicated: all-down pg_temp filters to nothing, so acting falls back to up
    m.pgTemp.set(1, 5, [2, 3]);
    const q = pgToUpActingOsds(m, { pool: 1, seed: 5 });
    assert.deepEqual(q.acting, q.up);
    assert.equal(q.actingPrimary, q.upPrimary);
    // primary_temp without pg_temp: acting = up, primary from primary_temp
    m.primaryTemp.set(1, 6, 6);
    const p = pgToUpActingOsds(m, { pool: 1, seed: 6 });
    assert.deepEqual(p.acting, p.up);
    assert.equal(p.actingPrimary, 6);
  });

  it('acting-only lookups skip the up set under pg_temp, with the same acting answer', () => {
    const m = smallMap();
    m.pgTemp.set(1, 2, [5, 1]);
    const work = new PlacementWork();
    const out = new UpActing();
    assert.equal(pgToActingPrimary(m, 1, 2, work, out), 5);
    assert.equal(out.up.size, 0);
    assert.deepEqual(out.acting.toArray(), [5, 1]);
    assert.deepEqual(pgToActingOsds(m, { pool: 1, seed: 2 }), { acting: [5, 1], actingPrimary: 5 });
    pgToUpActingOsdsInto(m, 1, 2, work, out);
    assert.equal(out.up.size, 3);
  });

  it('raw_pg_to_pg false: seeds at or past pg_num map to nothing; a missing pool maps to nothing', () => {
    const m = smallMap();
    assert.deepEqual(pgToUpActingOsds(m, { pool: 1, seed: 8 }, false), { up: [], upPrimary: -1, acting: [], actingPrimary: -1 });
    assert.notDeepEqual(pgToUpActingOsds(m, { pool: 1, seed: 8 }, true).up, []);
    assert.deepEqual(pgToUpActingOsds(m, { pool: 9, seed: 0 }), { up: [], upPrimary: -1, acting: [], actingPrimary: -1 });
    assert.deepEqual(pgToRawOsds(m, { pool: 9, seed: 0 }), { raw: [], primary: -1 });
    assert.deepEqual(pgToRawUp(m, { pool: 9, seed: 0 }), { up: [], primary: -1 });
  });

  it('pg_to_raw_up takes its primary from the raw set, before down OSDs leave (a Ceph quirk kept)', () => {
    const m = smallMap();
    const raw = pgToRawOsds(m, { pool: 1, seed: 0 }).raw;
    m.osdState[raw[0]!] = 1; // the raw primary goes down
    const r = pgToRawUp(m, { pool: 1, seed: 0 });
    assert.deepEqual(r.up, raw.slice(1));
    assert.equal(r.primary, raw[0]);
    assert.equal(pgToUpActingOsds(m, { pool: 1, seed: 0 }).upPrimary, raw[1]);
  });

  it('pg_to_raw_upmap returns CRUSH`s set and the upmapped one', () => {
    const m = smallMap();
    const raw = pgToRawOsds(m, { pool: 1, seed: 4 }).raw;
    m.pgUpmapItems.set(1, 4, [[raw[1]!, 6]]);
    const r = pgToRawUpmap(m, { pool: 1, seed: 4 });
    assert.deepEqual(r.raw, raw);
    assert.deepEqual(r.rawUpmap, [raw[0], 6, raw[2]]);
  });

  it('choose_args: the pool`s weight set, else the compat (-1) set, else none', () => {
    const m = smallMap();
    assert.equal(chooseArgsForPool(m, 1), null);
    const compat = new Array(m.crush.crush.buckets.length).fill(null);
    const own = new Array(m.crush.crush.buckets.length).fill(null);
    m.crush.names.chooseArgs.set(-1, compat);
    assert.equal(chooseArgsForPool(m, 1), compat);
    m.crush.names.chooseArgs.set(1, own);
    assert.equal(chooseArgsForPool(m, 1), own);
    assert.equal(chooseArgsForPool(m, 2), compat);
  });

  it('PlacementWork follows osd_weight changes after invalidate() and across epochs', () => {
    const m = smallMap();
    const work = new PlacementWork();
    const out = new UpActing();
    pgToUpActingOsdsInto(m, 1, 0, work, out);
    const first = out.up.get(0);
    m.osdWeight[first] = 0; // out, in place, same epoch
    work.invalidate();
    pgToUpActingOsdsInto(m, 1, 0, work, out);
    assert.equal(out.up.indexOf(first), -1);
    m.osdWeight[first] = 0x10000;
    m.epoch++;
    pgToUpActingOsdsInto(m, 1, 0, work, out);
    assert.equal(out.up.get(0), first);
  });
});

// ---------------------------------------------------------------------------------------------------
// against osdmaptool

function osdsText(v: number[]): string {
  return `[${v.join(',')}]`;
}
function pgText(pool: number, seed: number): string {
  return `${pool}.${seed.toString(16)}`;
}

describe('osdmap placement: every PG of 16 maps as osdmaptool 16.2 maps them', () => {
  const names = readdirSync(FIX)
    .filter((f) => /^placement-\d+\.bin$/.test(f))
    .map((f) => f.replace(/\.bin$/, ''))
    .sort();

  it('has the fixture maps, with holes, temps, upmaps, affinity and weight sets among them', () => {
    assert.equal(names.length, 16);
    let holes = 0;
    let temps = 0;
    let upmaps = 0;
    let affinity = 0;
    let weightSets = 0;
    for (const n of names) {
      const m = decodeOSDMap(readFileSync(join(FIX, n + '.bin')));
      temps += m.pgTemp.size + m.primaryTemp.size;
      upmaps += m.pgUpmap.size + m.pgUpmapItems.size;
      if (m.osdPrimaryAffinity?.some((a) => a !== 0x10000)) affinity++;
      weightSets += m.crush.names.chooseArgs.size;
      holes += readFileSync(join(FIX, n + '.dump-all.txt'), 'utf8').split('2147483647').length - 1;
    }
    assert.ok(holes > 100 && temps > 100 && upmaps > 100 && affinity > 4 && weightSets > 4, `${holes} ${temps} ${upmaps} ${affinity} ${weightSets}`);
  });

  for (const n of names) {
    it(`${n}: --test-map-pgs-dump-all, --test-map-pg and --test-map-object`, () => {
      const m = decodeOSDMap(readFileSync(join(FIX, n + '.bin')));
      const work = new PlacementWork();
      const out = new UpActing();

      const lines: string[] = [];
      for (const id of [...m.pools.keys()].sort((a, b) => a - b)) {
        const pool = m.pools.get(id)!;
        for (let ps = 0; ps < pool.pgNum; ps++) {
          const r = pgToRawOsds(m, { pool: id, seed: ps });
          pgToUpActingOsdsInto(m, id, ps, work, out);
          lines.push(
            `${pgText(id, ps)} raw (${osdsText(r.raw)}, p${r.primary}) up (${osdsText(out.up.toArray())}, p${out.upPrimary}) ` +
              `acting (${osdsText(out.acting.toArray())}, p${out.actingPrimary})`,
          );
        }
      }
      const expected = readFileSync(join(FIX, n + '.dump-all.txt'), 'utf8').trimEnd().split('\n');
      assert.equal(lines.length, expected.length);
      for (let i = 0; i < lines.length; i++) assert.equal(lines[i], expected[i]);

      // raw pgids, folded where Ceph folds them
      const cases = JSON.parse(readFileSync(join(FIX, n + '.cases.json'), 'utf8')) as { objects: string[]; pools: number[]; rawPgs: string[] };
      const mapPg: string[] = [];
      for (const text of cases.rawPgs) {
        const [p, s] = text.split('.');
        const pool = Number(p);
        const seed = parseInt(s!, 16);
        const r = pgToRawOsds(m, { pool, seed });
        const ua = pgToUpActingOsds(m, { pool, seed });
        mapPg.push(` parsed '${text}' -> ${pgText(pool, seed)}`);
        mapPg.push(
          `${pgText(pool, seed)} raw (${osdsText(r.raw)}, p${r.primary}) up (${osdsText(ua.up)}, p${ua.upPrimary}) acting (${osdsText(ua.acting)}, p${ua.actingPrimary})`,
        );
      }
      assert.deepEqual(mapPg, readFileSync(join(FIX, n + '.map-pg.txt'), 'utf8').trimEnd().split('\n'));

      // objects: ` object 'NAME' -> PGID -> [acting]`
      const objs: string[] = [];
      for (const pool of cases.pools) {
        for (const name of cases.objects) {
          const seed = objectLocatorToPg(m, name, { pool });
          assert.ok(seed >= 0);
          const pg = poolRawSeedToPg(m.pools.get(pool)!, seed);
          assert.equal(mapObjectToPgSeed(m, pool, name, '', ''), pg);
          pgToUpActingOsdsInto(m, pool, pg, work, out, true, false);
          objs.push(`${pool}\t object '${name}' -> ${pgText(pool, pg)} -> ${osdsText(out.acting.toArray())}`);
        }
      }
      assert.deepEqual(objs, readFileSync(join(FIX, n + '.objects.txt'), 'utf8').trimEnd().split('\n'));
    });
  }
});

// ---------------------------------------------------------------------------------------------------
// the golden set's monitor-made maps

/** The --test-map-pgs-dump-all PG lines for every pool of the map. */
function dumpAll(m: OSDMapData, work: PlacementWork, out: UpActing): string[] {
  const lines: string[] = [];
  for (const id of [...m.pools.keys()].sort((a, b) => a - b)) {
    const pool = m.pools.get(id)!;
    for (let ps = 0; ps < pool.pgNum; ps++) {
      const r = pgToRawOsds(m, { pool: id, seed: ps });
      pgToUpActingOsdsInto(m, id, ps, work, out);
      lines.push(
        `${pgText(id, ps)} raw (${osdsText(r.raw)}, p${r.primary}) up (${osdsText(out.up.toArray())}, p${out.upPrimary}) ` +
          `acting (${osdsText(out.acting.toArray())}, p${out.actingPrimary})`,
      );
    }
  }
  return lines;
}

const GOLDEN_MON = join(ROOT, 'test/golden/osdmap/maps/mon');

describe('osdmap placement: every epoch a real Ceph 16.2 monitor wrote (test/golden/osdmap/maps/mon)', function () {
  interface GoldenEntry {
    file: string;
    sha256: string;
    pgs: number;
    dumpAllSha256: string;
    upmapCleanup: string;
    dumpAll?: string;
  }
  const doc = JSON.parse(readFileSync(join(FIX, 'golden-mon.json'), 'utf8')) as { maps: GoldenEntry[] };

  it('covers the checkpoints and the whole history, with temps, upmaps, affinity and erasure holes', () => {
    assert.ok(doc.maps.length > 300, `${doc.maps.length} maps`);
    assert.ok(doc.maps.reduce((s, e) => s + e.pgs, 0) > 30000);
    const states = decodeOSDMap(readFileSync(join(GOLDEN_MON, 'mon-states.bin')));
    assert.ok(states.pgTemp.size > 0 && states.primaryTemp.size > 0 && states.pgUpmap.size > 0 && states.pgUpmapItems.size > 0);
    assert.ok(states.osdPrimaryAffinity?.some((a) => a !== 0x10000));
    assert.ok(readFileSync(join(FIX, 'golden-mon-states.dump-all.txt'), 'utf8').includes('2147483647'));
  });

  it('every PG of every map, and the upmap cleanup, as osdmaptool gives them', () => {
    const work = new PlacementWork();
    const out = new UpActing();
    let pgs = 0;
    for (const e of doc.maps) {
      let bytes = readFileSync(join(ROOT, e.file));
      if (e.file.endsWith('.gz')) bytes = gunzipSync(bytes);
      assert.equal(
        createHash('sha256').update(bytes).digest('hex'),
        e.sha256,
        `${e.file} changed since its mappings were recorded: rerun scripts/osdmap-placement/gen.sh`,
      );
      const m = decodeOSDMap(bytes);
      const lines = dumpAll(m, work, out);
      if (e.dumpAll !== undefined) {
        const expected = readFileSync(join(FIX, e.dumpAll), 'utf8').split('\n').slice(0, -1);
        assert.equal(lines.length, expected.length, e.file);
        for (let i = 0; i < lines.length; i++) assert.equal(lines[i], expected[i], e.file);
      }
      assert.equal(lines.length, e.pgs, e.file);
      assert.equal(createHash('sha256').update(lines.map((l) => l + '\n').join('')).digest('hex'), e.dumpAllSha256, e.file);
      const inc = newIncremental(m.epoch + 1);
      cleanPgUpmaps(m, inc);
      assert.equal(incUpmapCommands(inc), e.upmapCleanup, e.file);
      pgs += lines.length;
    }
    assert.ok(pgs > 30000);
  });
});
