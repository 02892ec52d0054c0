// Proves common/osdmap/upmap.ts and crush/upmap.ts clean pg_upmap entries as Ceph 16.2's OSDMap::clean_pg_upmaps does: each reason to cancel or simplify on a small hand-built map (gone pool, merge source and target, failure-domain and root violations, zero weight, redundant or wrongly sized pg_upmap, items whose source left or whose target is out), then the commands and log lines osdmaptool --upmap-cleanup printed for 16 seeded maps (test/fixtures/osdmap/placement), byte for byte.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileCrushMap, findTakesByRule, getParentOfTypeInRule, verifyUpmap } from '../../crush/index.js';
import {
  applyIncremental,
  makePgPool,
  checkPgUpmaps,
  cleanPgUpmaps,
  decodeOSDMap,
  getUpmapPgs,
  incUpmapCommands,
  newIncremental,
  OSDMap,
  pgParentSeed,
  pgToRawOsds,
  poolIsPendingMerge,
  type PgPool,
} from '../../common/osdmap/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const FIX = join(ROOT, 'test/fixtures/osdmap/placement');

// 3 racks: r0 = {host a: 0,1; host b: 2,3}, r1 = {host c: 4,5}, r2 = {host d: 6 (ssd), 7}; osd.8 is
// under a second root only.
const CRUSH = `tunable choose_local_tries 0
tunable choose_local_fallback_tries 0
tunable choose_total_tries 50
tunable chooseleaf_descend_once 1
tunable chooseleaf_vary_r 1
tunable chooseleaf_stable 1
tunable straw_calc_version 1
tunable allowed_bucket_algs 54
device 0 osd.0 class hdd
device 1 osd.1 class hdd
device 2 osd.2 class hdd
device 3 osd.3 class hdd
device 4 osd.4 class hdd
device 5 osd.5 class hdd
device 6 osd.6 class ssd
device 7 osd.7 class hdd
device 8 osd.8 class hdd
type 0 osd
type 1 host
type 3 rack
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
	item osd.3 weight 0.000
}
host c {
	id -4
	alg straw2
	hash 0
	item osd.4 weight 1.000
	item osd.5 weight 1.000
}
host d {
	id -5
	alg straw2
	hash 0
	item osd.6 weight 1.000
	item osd.7 weight 1.000
}
rack r0 {
	id -6
	alg straw2
	hash 0
	item a weight 2.000
	item b weight 1.000
}
rack r1 {
	id -7
	alg straw2
	hash 0
	item c weight 2.000
}
rack r2 {
	id -8
	alg straw2
	hash 0
	item d weight 2.000
}
root default {
	id -1
	alg straw2
	hash 0
	item r0 weight 3.000
	item r1 weight 2.000
	item r2 weight 2.000
}
root other {
	id -9
	alg straw2
	hash 0
	item osd.8 weight 1.000
}
rule by_host {
	id 0
	type replicated
	min_size 1
	max_size 10
	step take default
	step chooseleaf firstn 0 type host
	step emit
}
rule two_racks {
	id 1
	type replicated
	min_size 1
	max_size 10
	step take default
	step choose firstn 2 type rack
	step chooseleaf firstn 2 type host
	step emit
}
rule ssd {
	id 2
	type replicated
	min_size 1
	max_size 10
	step take default class ssd
	step chooseleaf firstn 0 type host
	step emit
}
`;

function mkPool(fields: Partial<PgPool>): PgPool {
  return makePgPool({ type: 1, size: 3, minSize: 2, objectHash: 2, flags: 1, pgNum: 16, pgpNum: 16, pgNumPending: 16, ...fields });
}

function smallMap(): OSDMap {
  const m = new OSDMap();
  m.epoch = 10;
  m.crush = compileCrushMap(CRUSH);
  m.setMaxOsd(10);
  for (let i = 0; i < 9; i++) {
    m.osdState[i] = 3;
    m.osdWeight[i] = 0x10000;
  }
  m.pools.set(1, mkPool({}));
  m.pools.set(2, mkPool({ size: 4, crushRule: 1 }));
  return m;
}

describe('crush upmap: verify_upmap and its helpers', () => {
  const m = smallMap();
  const cw = m.crush;
  it('find_takes_by_rule and get_parent_of_type through the rule`s roots', () => {
    assert.deepEqual(findTakesByRule(cw, 0), [-1]);
    assert.equal(findTakesByRule(cw, 7), -2);
    assert.equal(getParentOfTypeInRule(cw, 5, 1, 0), -4);
    assert.equal(getParentOfTypeInRule(cw, 5, 3, 0), -7);
    assert.equal(getParentOfTypeInRule(cw, 8, 1, 0), 0); // not under the rule's root
    assert.equal(getParentOfTypeInRule(cw, 8, 11, -1), -9); // no rule: any ancestor
    const shadow = getParentOfTypeInRule(cw, 6, 1, 2); // the ssd rule sees host d's shadow bucket
    assert.ok(shadow < 0 && shadow !== -5 && cw.getItemName(shadow) === 'd~ssd');
  });

  it('chooseleaf: two OSDs of one failure domain break the rule', () => {
    const log: string[] = [];
    assert.equal(verifyUpmap(cw, 0, 3, [0, 2, 4]), 0);
    assert.equal(verifyUpmap(cw, 0, 3, [0, 1, 4], (l, t) => log.push(`${l} ${t}`)), -22);
    assert.deepEqual(log, ['-1 verify_upmap multiple osds 0,1 come from same failure domain -2']);
  });

  it('emit: every OSD the rule emits must lie under the taken root (holes and strays fail)', () => {
    const log: string[] = [];
    assert.equal(verifyUpmap(cw, 0, 3, [0, 8, 4], (l, t) => log.push(`${l} ${t}`)), -22);
    assert.deepEqual(log, [
      '1 verify_upmap unable to get parent of osd.8, skipping for now',
      '-1 verify_upmap osd 8 not in bucket -1',
    ]);
    assert.equal(verifyUpmap(cw, 0, 3, [0, 0x7fffffff, 4]), -22);
    // OSDs past what the steps emit are not checked against the root
    assert.equal(verifyUpmap(cw, 0, 2, [0, 4, 8]), 0);
  });

  it('choose: no more buckets of the type than the step picks', () => {
    assert.equal(verifyUpmap(cw, 1, 4, [0, 2, 4, 5]), -22); // chooseleaf: 4 and 5 share host c
    assert.equal(verifyUpmap(cw, 1, 4, [0, 2, 4, 6]), -22); // three racks for "choose firstn 2 type rack"
    assert.equal(verifyUpmap(cw, 1, 4, [0, 2, 6, 4]), -22);
    assert.equal(verifyUpmap(cw, 1, 4, [0, 2, 6, 1]), -22); // 0 and 1 share host a
    const log: string[] = [];
    assert.equal(verifyUpmap(cw, 1, 3, [0, 4, 6], (l, t) => log.push(`${l} ${t}`)), -22);
    assert.deepEqual(log, ['-1 verify_upmap number of buckets 3 exceeds desired 2']);
    assert.equal(verifyUpmap(cw, 1, 4, [0, 2, 4]), 0);
  });

  it('a missing rule is -ENOENT', () => {
    assert.equal(verifyUpmap(cw, 9, 3, [0, 2, 4]), -2);
  });
});

describe('osdmap upmap: check_pg_upmaps / clean_pg_upmaps', () => {
  it('pg_t::get_parent and pg_pool_t::is_pending_merge', () => {
    assert.equal(pgParentSeed(5), 1);
    assert.equal(pgParentSeed(12), 4);
    assert.equal(pgParentSeed(1), 0);
    const p = mkPool({ pgNum: 12, pgNumPending: 10 });
    assert.ok(poolIsPendingMerge(p, 10) && poolIsPendingMerge(p, 11)); // sources
    assert.ok(poolIsPendingMerge(p, 2) && poolIsPendingMerge(p, 3)); // their targets (10 -> 2, 11 -> 3)
    assert.ok(!poolIsPendingMerge(p, 4) && !poolIsPendingMerge(mkPool({}), 3));
  });

  it('cancels entries of gone pools, merge sources and targets, and PGs past pg_num', () => {
    const m = smallMap();
    m.pools.get(1)!.pgNumPending = 14; // 14, 15 merge into 6, 7
    m.pgUpmapItems.set(1, 15, [[0, 1]]);
    m.pgUpmapItems.set(1, 7, [[0, 1]]);
    m.pgUpmapItems.set(1, 20, [[0, 1]]);
    m.pgUpmap.set(5, 0, [0, 2, 4]);
    const log: string[] = [];
    const inc = newIncremental(11);
    assert.equal(cleanPgUpmaps(m, inc, undefined, (l, t) => log.push(`${l} ${t}`)), true);
    assert.deepEqual(inc.oldPgUpmap, [{ pool: 5, seed: 0 }]);
    assert.deepEqual(inc.oldPgUpmapItems, [
      { pool: 1, seed: 7 },
      { pool: 1, seed: 0xf },
      { pool: 1, seed: 0x14 },
    ]);
    assert.deepEqual(log, [
      '0 check_pg_upmaps pg 5.0 is gone or merge source',
      '0 check_pg_upmaps pg 1.7 is pending merge',
      '0 check_pg_upmaps pg 1.f is gone or merge source',
      '0 check_pg_upmaps pg 1.14 is gone or merge source',
    ]);
    assert.equal(
      incUpmapCommands(inc),
      'ceph osd rm-pg-upmap 5.0\nceph osd rm-pg-upmap-items 1.7\nceph osd rm-pg-upmap-items 1.f\nceph osd rm-pg-upmap-items 1.14\n',
    );
  });

  it('cancels a pg_upmap equal to CRUSH`s set, of the wrong length, breaking the rule or on a zero-weight OSD', () => {
    const m = smallMap();
    m.osdWeight[5] = 0;
    const raw0 = pgToRawOsds(m, { pool: 1, seed: 0 }).raw;
    m.pgUpmap.set(1, 0, raw0); // redundant
    m.pgUpmap.set(1, 1, [0, 2]); // size 2 in a size-3 pool
    m.pgUpmap.set(1, 2, [0, 1, 4]); // host a twice
    m.pgUpmap.set(1, 3, [0, 3, 4]); // osd.3 has CRUSH weight 0
    m.pgUpmap.set(1, 4, [0, 2, 5]); // osd.5 is out: placement ignores the entry, so the check sees CRUSH's set and keeps it
    m.pgUpmap.set(1, 5, [1, 2, 7]); // fine
    const log: string[] = [];
    const check = checkPgUpmaps(m, getUpmapPgs(m), undefined, (l, t) => log.push(`${l} ${t}`));
    assert.deepEqual(
      check.toCancel.map((p) => p.seed),
      [0, 1, 2, 3],
    );
    assert.equal(check.toRemap.size, 0);
    assert.equal(check.anyChange, true);
    assert.deepEqual(log, [
      '-1 verify_upmap multiple osds 0,1 come from same failure domain -2',
      '0 check_pg_upmaps verify_upmap of pg 1.2 returning -22',
    ]);
  });

  it('drops pg_upmap_items pairs whose source left CRUSH`s set or whose target is out; an emptied list is cancelled', () => {
    const m = smallMap();
    const raw = pgToRawOsds(m, { pool: 1, seed: 6 }).raw;
    const host = (o: number): number => o >> 1; // a: 0,1  b: 2,3  c: 4,5  d: 6,7
    const absent = [0, 1, 2, 4, 5, 6, 7].find((o) => !raw.includes(o))!;
    // an OSD of the host CRUSH did not use (osd.3 has CRUSH weight 0): a valid move for raw[2]
    const target = [0, 1, 2, 4, 5, 6, 7].find((o) => !raw.some((r) => host(r) === host(o)))!;
    m.osdWeight[8] = 0;
    m.pgUpmapItems.set(1, 6, [
      [absent, raw[0]!], // source not in the raw set: dropped
      [raw[1]!, 8], // target out: dropped
    ]);
    let check = checkPgUpmaps(m, getUpmapPgs(m));
    assert.deepEqual(check.toCancel, [{ pool: 1, seed: 6 }]);
    // one valid pair left: the list shrinks to it
    m.pgUpmapItems.set(1, 6, [
      [absent, raw[0]!],
      [raw[2]!, target],
    ]);
    check = checkPgUpmaps(m, getUpmapPgs(m));
    assert.deepEqual(check.toCancel, []);
    assert.deepEqual(check.toRemap.get(1, 6), [[raw[2], target]]);
    assert.equal(check.anyChange, true);
    // as osdmaptool applies it: the Incremental re-sets the entry
    const inc = newIncremental(m.epoch + 1);
    inc.fsid = m.fsid;
    assert.equal(cleanPgUpmaps(m, inc), true);
    assert.equal(incUpmapCommands(inc), `ceph osd pg-upmap-items 1.6 ${raw[2]} ${target}\n`);
    assert.equal(applyIncremental(m, inc), 0);
    assert.deepEqual(m.pgUpmapItems.get(1, 6), [[raw[2], target]]);
  });
});

describe('osdmap upmap: osdmaptool --upmap-cleanup on 16 seeded maps', () => {
  const names = readdirSync(FIX)
    .filter((f) => /^placement-\d+\.bin$/.test(f))
    .map((f) => f.replace(/\.bin$/, ''))
    .sort();
  it('has maps whose cleanup cancels and simplifies', () => {
    let rm = 0;
    let set = 0;
    for (const n of names) {
      const t = readFileSync(join(FIX, n + '.upmap-cleanup.txt'), 'utf8');
      rm += t.split('rm-pg-upmap').length - 1;
      set += t.split('osd pg-upmap-items').length - 1;
    }
    assert.ok(names.length === 16 && rm > 500 && set > 20, `${rm} ${set}`);
  });
  for (const n of names) {
    it(`${n}: the same commands and log lines`, () => {
      const m = decodeOSDMap(readFileSync(join(FIX, n + '.bin')));
      const inc = newIncremental(m.epoch + 1);
      inc.fsid = m.fsid;
      const log: string[] = [];
      cleanPgUpmaps(m, inc, undefined, (level, text) => log.push(`${String(level).padStart(2)} ${text}\n`));
      assert.equal(incUpmapCommands(inc), readFileSync(join(FIX, n + '.upmap-cleanup.txt'), 'utf8'));
      assert.equal(log.join(''), readFileSync(join(FIX, n + '.upmap-cleanup.log'), 'utf8'));
      assert.equal(applyIncremental(m, inc), 0);
    });
  }
});
