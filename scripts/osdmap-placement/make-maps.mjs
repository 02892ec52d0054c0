// Builds the OSDMaps whose placements test/osdmap/placement.test.ts checks against Ceph's osdmaptool:
// seeded pseudo-random maps (CRUSH hierarchies of racks/hosts/OSDs with device classes and weight sets,
// replicated and erasure pools with every pool-side knob, OSDs that are missing, down, out or partly
// reweighted, primary affinity including 0, pg_temp with down members, primary_temp, pg_upmap and
// pg_upmap_items including targets that are out or missing). Each map is encoded with tsceph's codec;
// gen.sh records what osdmaptool 16.2 maps for it (osdmaptool decodes the bytes itself, so what is
// compared is placement, not the encoder). Also writes NAME.cases.json: the raw pgids and object names
// gen.sh asks osdmaptool about.
//
// Usage: node scripts/osdmap-placement/make-maps.mjs OUTDIR   (after npm run build)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileCrushMap } from '../../dist/crush/compiler.js';
import { encodeOSDMap } from '../../dist/common/osdmap/encoding.js';
import { OSDMap, makePgPool } from '../../dist/common/osdmap/osdmap.js';
import { pgToRawOsds } from '../../dist/common/osdmap/placement.js';

const out = process.argv[2];
if (!out) throw new Error('usage: make-maps.mjs OUTDIR');
mkdirSync(out, { recursive: true });

const NONE = 0x7fffffff;

// mulberry32: a small deterministic PRNG so the maps regenerate identically
function rng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    f: next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), // inclusive
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    chance: (p) => next() < p,
  };
}

const TUNABLES = {
  jewel: `tunable choose_local_tries 0
tunable choose_local_fallback_tries 0
tunable choose_total_tries 50
tunable chooseleaf_descend_once 1
tunable chooseleaf_vary_r 1
tunable chooseleaf_stable 1
tunable straw_calc_version 1
tunable allowed_bucket_algs 54
`,
  legacy: `tunable choose_local_tries 2
tunable choose_local_fallback_tries 5
tunable choose_total_tries 19
tunable chooseleaf_descend_once 0
tunable chooseleaf_vary_r 0
tunable chooseleaf_stable 0
tunable straw_calc_version 0
tunable allowed_bucket_algs 22
`,
  hammer: `tunable choose_local_tries 0
tunable choose_local_fallback_tries 0
tunable choose_total_tries 50
tunable chooseleaf_descend_once 1
tunable chooseleaf_vary_r 1
tunable chooseleaf_stable 0
tunable straw_calc_version 1
tunable allowed_bucket_algs 54
`,
};

/** A CRUSH text: root default > racks > hosts > OSDs, classes hdd/ssd, and the rules pools use. */
function crushText(r, tunables) {
  const racks = r.int(2, 4);
  const lines = [TUNABLES[tunables]];
  const hosts = [];
  let osd = 0;
  let bid = -2;
  const devices = [];
  const bucketText = [];
  const rackItems = [];
  for (let ri = 0; ri < racks; ri++) {
    const nh = r.int(1, 3);
    const items = [];
    for (let hi = 0; hi < nh; hi++) {
      const nd = r.int(1, 4);
      const id = bid--;
      const name = `host${hosts.length}`;
      const alg = tunables === 'legacy' ? r.pick(['straw', 'list', 'tree']) : r.pick(['straw2', 'straw2', 'straw2', 'list']);
      const its = [];
      let sum = 0;
      for (let d = 0; d < nd; d++) {
        const w = r.pick([0.5, 1, 1, 1, 2, 3.5, 4, 0]);
        devices.push(`device ${osd} osd.${osd} class ${r.chance(0.4) ? 'ssd' : 'hdd'}`);
        its.push(`\titem osd.${osd} weight ${w.toFixed(3)}`);
        sum += w;
        osd++;
      }
      bucketText.push(`host ${name} {\n\tid ${id}\n\talg ${alg}\n\thash 0\n${its.join('\n')}\n}`);
      hosts.push(name);
      items.push([name, sum]);
    }
    const rname = `rack${ri}`;
    const rsum = items.reduce((s, [, w]) => s + w, 0);
    bucketText.push(
      `rack ${rname} {\n\tid ${bid--}\n\talg straw2\n\thash 0\n${items.map(([n, w]) => `\titem ${n} weight ${w.toFixed(3)}`).join('\n')}\n}`,
    );
    rackItems.push([rname, rsum]);
  }
  bucketText.push(
    `root default {\n\tid -1\n\talg straw2\n\thash 0\n${rackItems.map(([n, w]) => `\titem ${n} weight ${w.toFixed(3)}`).join('\n')}\n}`,
  );
  lines.push(devices.join('\n'), '', 'type 0 osd\ntype 1 host\ntype 3 rack\ntype 11 root', '', bucketText.join('\n'), '');
  const rule = (id, name, type, min, max, steps) =>
    `rule ${name} {\n\tid ${id}\n\ttype ${type}\n\tmin_size ${min}\n\tmax_size ${max}\n${steps.map((s) => `\tstep ${s}`).join('\n')}\n}`;
  lines.push(
    rule(0, 'rep_host', 'replicated', 1, 10, ['take default', 'chooseleaf firstn 0 type host', 'emit']),
    rule(1, 'rep_rack', 'replicated', 1, 10, ['take default', 'chooseleaf firstn 0 type rack', 'emit']),
    rule(2, 'ec_host', 'erasure', 3, 20, ['set_chooseleaf_tries 5', 'set_choose_tries 100', 'take default', 'chooseleaf indep 0 type host', 'emit']),
    rule(3, 'ec_rack_host', 'erasure', 3, 20, ['set_choose_tries 100', 'take default', 'choose indep 2 type rack', 'chooseleaf indep 2 type host', 'emit']),
    rule(4, 'rep_small', 'replicated', 1, 2, ['take default', 'chooseleaf firstn 0 type host', 'emit']),
    rule(5, 'rep_two_racks', 'replicated', 1, 10, ['take default', 'choose firstn 2 type rack', 'chooseleaf firstn 2 type host', 'emit']),
    rule(6, 'rep_ssd', 'replicated', 1, 10, ['take default class ssd', 'chooseleaf firstn 0 type host', 'emit']),
    rule(7, 'rep_indep_osd', 'replicated', 1, 10, ['take default', 'choose indep 0 type osd', 'emit']),
    rule(8, 'ec_osd', 'erasure', 1, 20, ['take default', 'choose indep 0 type osd', 'emit']),
  );
  return { text: lines.join('\n') + '\n', numDevices: osd };
}

function pool(fields) {
  const p = makePgPool({ type: 1, size: 3, minSize: 2, objectHash: 2, flags: 1, pgAutoscaleMode: 1, ...fields });
  p.pgNumTarget = p.pgNum;
  p.pgpNumTarget = p.pgpNum;
  p.pgNumPending = p.pgNum;
  return p;
}

/** Random weight sets (choose_args) for the map's buckets, keyed by a pool id or -1 (compat). */
function addWeightSets(r, cw, ids) {
  for (const id of ids) {
    const positions = r.int(1, 3);
    const args = new Array(cw.crush.buckets.length).fill(null);
    cw.crush.buckets.forEach((b, i) => {
      if (!b || b.id < -1000 || r.chance(0.2)) return; // shadow buckets too, mostly
      const weightSet = [];
      for (let p = 0; p < positions; p++) {
        const ws = new Uint32Array(b.size);
        for (let j = 0; j < b.size; j++) ws[j] = r.pick([0, 0x8000, 0x10000, 0x18000, 0x30000, 0x4000]);
        weightSet.push(ws);
      }
      args[i] = { ids: null, weightSet };
    });
    cw.names.chooseArgs.set(id, args);
  }
}

function makeMap(seed) {
  const r = rng(seed * 7919 + 17);
  const tunables = seed % 5 === 4 ? 'legacy' : seed % 5 === 3 ? 'hammer' : 'jewel';
  const { text, numDevices } = crushText(r, tunables);
  const m = new OSDMap();
  m.fsid = '5c1ec7a0-0000-4000-8000-00000000000' + (seed % 10);
  m.epoch = 100 + seed;
  m.created = { sec: 1767225600, nsec: 0 };
  m.modified = { sec: 1767225600 + seed, nsec: 0 };
  m.crush = compileCrushMap(text);
  const maxOsd = numDevices + r.int(0, 3);
  m.setMaxOsd(maxOsd);
  m.requireMinCompatClient = 12;
  m.requireOsdRelease = 16;
  m.fullRatio = 0.95;
  m.backfillfullRatio = 0.9;
  m.nearfullRatio = 0.85;
  m.flags = (1 << 15) | (1 << 19) | (1 << 20) | (1 << 22);
  m.erasureCodeProfiles.set('default', new Map([['k', '2'], ['m', '2'], ['plugin', 'jerasure'], ['technique', 'reed_sol_van']]));

  // OSD states: most exist, up and in; some missing, down, out or partly reweighted
  const allGood = seed % 6 === 0;
  for (let i = 0; i < maxOsd; i++) {
    let state = 3; // exists + up
    let weight = 0x10000;
    if (!allGood) {
      const x = r.f();
      if (x < 0.08) state = 0; // does not exist
      else if (x < 0.1) state = 2; // "up" bit without exists: still nonexistent
      else if (x < 0.25) state = 1; // exists, down
      const y = r.f();
      if (y < 0.12) weight = 0;
      else if (y < 0.25) weight = r.pick([0x8000, 0xc000, 0x3333, 0x1, 0xffff]);
    }
    m.osdState[i] = state;
    m.osdWeight[i] = state & 1 ? weight : 0;
  }
  if (r.chance(0.6)) {
    for (let i = 0; i < maxOsd; i++) {
      if (r.chance(0.35)) m.setPrimaryAffinity(i, r.pick([0, 0, 0x8000, 0x4000, 0xc000, 0x1, 0xffff, 0x10000]));
    }
    if (m.osdPrimaryAffinity === null) m.setPrimaryAffinity(0, 0);
  }

  // pools
  const pgNums = [1, 2, 3, 8, 12, 16, 23, 32, 45, 64, 100];
  const specs = [
    { type: 1, size: 3, crushRule: 0 },
    { type: 1, size: r.int(2, 4), crushRule: 1 },
    { type: 3, size: r.int(3, 6), crushRule: 2 },
    { type: 3, size: 4, crushRule: 3 },
    { type: 1, size: 3, crushRule: 4 }, // rule mask max_size 2: maps nothing
    { type: 1, size: 4, crushRule: 5 },
    { type: 1, size: 2, crushRule: 6 },
    { type: 1, size: 3, crushRule: 7 }, // indep on a replicated pool: holes are shifted out
    { type: 3, size: 5, crushRule: 8 },
    { type: 1, size: 3, crushRule: 9 }, // no such rule
    { type: 3, size: 3, crushRule: 0 }, // rule type does not match the pool type
  ];
  const poolIds = [];
  let pid = 0;
  for (const spec of specs) {
    if (!r.chance(0.75)) continue;
    pid += r.chance(0.2) ? r.int(2, 9) : 1;
    const pgNum = r.pick(pgNums);
    const pgpNum = r.chance(0.3) ? r.int(1, pgNum) : pgNum;
    const p = pool({
      ...spec,
      minSize: Math.max(1, spec.size - 1),
      pgNum,
      pgpNum,
      flags: r.chance(0.75) ? 1 : 0,
      objectHash: r.chance(0.15) ? 1 : 2,
      erasureCodeProfile: spec.type === 3 ? 'default' : '',
      stripeWidth: spec.type === 3 ? 8192 : 0,
      lastChange: m.epoch,
    });
    m.pools.set(pid, p);
    m.poolName.set(pid, `pool${pid}`);
    poolIds.push(pid);
  }
  m.poolMax = pid;

  // weight sets: a compat set and/or per-pool sets
  if (seed % 4 === 1) addWeightSets(r, m.crush, [-1]);
  if (seed % 4 === 2) addWeightSets(r, m.crush, [poolIds[0] ?? 1, -1]);
  if (seed % 4 === 3 && poolIds.length > 1) addWeightSets(r, m.crush, [poolIds[1]]);

  // temps and upmaps
  const anyOsd = () => (r.chance(0.05) ? maxOsd + r.int(0, 3) : r.chance(0.05) ? NONE : r.int(0, Math.max(0, maxOsd - 1)));
  const realOsd = () => r.int(0, Math.max(0, maxOsd - 1));
  for (const id of poolIds) {
    const p = m.pools.get(id);
    for (let ps = 0; ps < p.pgNum; ps++) {
      if (r.chance(0.12)) {
        const n = r.int(0, p.size + 1);
        const v = [];
        for (let k = 0; k < n; k++) v.push(p.type === 3 && r.chance(0.1) ? NONE : realOsd());
        if (v.length) m.pgTemp.set(id, ps, v);
      }
      if (r.chance(0.06)) m.primaryTemp.set(id, ps, realOsd());
      if (r.chance(0.1)) {
        const n = r.chance(0.8) ? p.size : r.int(1, p.size + 2);
        const v = [];
        for (let k = 0; k < n; k++) v.push(anyOsd());
        m.pgUpmap.set(id, ps, v);
      }
      if (r.chance(0.15)) {
        const n = r.int(1, 3);
        const items = [];
        for (let k = 0; k < n; k++) items.push([r.chance(0.1) ? anyOsd() : realOsd(), anyOsd()]);
        m.pgUpmapItems.set(id, ps, items);
      }
    }
    // entries past pg_num (raw pg folding never reaches them; upmap cleanup cancels them)
    if (r.chance(0.3)) m.pgTemp.set(id, p.pgNum + 1, [realOsd()]);
    if (r.chance(0.3)) m.pgUpmapItems.set(id, p.pgNum + r.int(0, 3), [[realOsd(), realOsd()]]);
    // a pg_upmap equal to CRUSH's own answer (redundant: cleanup removes it)
    if (r.chance(0.5)) {
      const ps = r.int(0, p.pgNum - 1);
      const raw = pgToRawOsds(m, { pool: id, seed: ps }).raw;
      if (raw.length) m.pgUpmap.set(id, ps, raw);
    }
    // a PG merge in progress: pg_num_pending below pg_num
    if (p.pgNum > 2 && r.chance(0.2)) p.pgNumPending = p.pgNum - r.int(1, Math.min(3, p.pgNum - 1));
  }
  // upmaps left behind by a deleted pool
  if (r.chance(0.5)) {
    m.pgUpmap.set(pid + 3, 0, [0, 1, 2]);
    m.pgUpmapItems.set(pid + 3, 1, [[0, 1]]);
  }

  // what gen.sh asks osdmaptool beyond the full dump
  const names = ['foo', 'bar', 'rbd_data.10226b8b4567.0000000000000001', 'rbd_header.abc', 'x', 'obj-' + seed, 'ünïcödé', 'benchmark_data_0'];
  const rawPgs = [];
  for (const id of poolIds) {
    const p = m.pools.get(id);
    rawPgs.push(`${id}.${(p.pgNum + r.int(0, 50)).toString(16)}`, `${id}.${(r.int(0, 0xffffffff) >>> 0).toString(16)}`, `${id}.${r.int(0, p.pgNum - 1).toString(16)}`);
  }
  rawPgs.push(`${pid + 1}.0`); // no such pool
  return { m, cases: { pools: poolIds, objects: names, rawPgs } };
}

const N = Number(process.env.PLACEMENT_MAPS ?? 16);
for (let seed = 0; seed < N; seed++) {
  const { m, cases } = makeMap(seed);
  const name = `placement-${String(seed).padStart(2, '0')}`;
  writeFileSync(join(out, name + '.bin'), encodeOSDMap(m));
  writeFileSync(join(out, name + '.cases.json'), JSON.stringify(cases) + '\n');
}
console.log(`${N} maps -> ${out}`);
