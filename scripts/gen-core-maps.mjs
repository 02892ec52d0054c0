// Generates the CRUSH mapping fixtures of test/fixtures/crush/core/maps/ with Ceph's crushtool.
// For each map described below it writes:
//   <name>.json      the map as tables (tunables, buckets with 16.16 weights, rules as step tuples,
//                    choose_args) plus the list of tests; test/crush/mapper.test.ts builds the map
//                    from these tables with tsceph's builder (nothing is parsed from crushtool text)
//   <name>.txt       the same map in crushtool's text syntax
//   <name>.out.gz    for every test: crushtool -i <bin> --test --show-mappings output, compacted to
//                    one line per x ("a,b,c") under a "# rule R rep N weights K pool P" header
// The script checks that crushtool compiled every weight exactly as tabled (via --dump) before
// recording mappings. Usage: node scripts/gen-core-maps.mjs   (needs /usr/bin/crushtool)
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'test', 'fixtures', 'crush', 'core', 'maps');
const MIN_X = 0;
const MAX_X = 1023;

// ---- deterministic pseudo-random numbers ---------------------------------------------------------
let seed = 20261121;
function rnd() {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed >>> 8;
}

// ---- tunable profiles (Pacific CrushWrapper::set_tunables_*) -------------------------------------
const ALGS_LEGACY = (1 << 1) | (1 << 2) | (1 << 4);
const ALGS_V4 = ALGS_LEGACY | (1 << 5);
const PROFILES = {
  legacy: [2, 5, 19, 0, 0, 0, 0, ALGS_LEGACY],
  bobtail: [0, 0, 50, 1, 0, 0, 0, ALGS_LEGACY],
  firefly: [0, 0, 50, 1, 1, 0, 0, ALGS_LEGACY],
  hammer: [0, 0, 50, 1, 1, 0, 1, ALGS_V4],
  jewel: [0, 0, 50, 1, 1, 1, 1, ALGS_V4],
};
const TUNABLE_NAMES = [
  'choose_local_tries',
  'choose_local_fallback_tries',
  'choose_total_tries',
  'chooseleaf_descend_once',
  'chooseleaf_vary_r',
  'chooseleaf_stable',
  'straw_calc_version',
  'allowed_bucket_algs',
];
function tunables(profile, overrides = {}) {
  const t = Object.fromEntries(TUNABLE_NAMES.map((n, i) => [n, PROFILES[profile][i]]));
  return { ...t, ...overrides };
}

const TYPES = [
  [0, 'osd'],
  [1, 'host'],
  [2, 'rack'],
  [3, 'root'],
  [4, 'region'],
];

/**
 * A root > racks > hosts > osds hierarchy. `alg` gives the algorithm per level; `w(dev)` the 16.16
 * device weights; parents weigh the sum of their children. Returns { devices, buckets } with the
 * buckets ordered children first.
 */
function hierarchy({ racks, hosts, osds, alg, w, firstDev = 0, devStep = 1 }) {
  const buckets = [];
  const devices = [];
  let nextId = -1;
  let dev = firstDev;
  const rackItems = [];
  for (let r = 0; r < racks; r++) {
    const hostItems = [];
    for (let h = 0; h < hosts; h++) {
      const items = [];
      for (let o = 0; o < osds; o++) {
        devices.push(dev);
        items.push([dev, w(dev)]);
        dev += devStep;
      }
      const name = `host${r}-${h}`;
      const id = nextId--;
      const hostAlg = typeof alg.host === 'function' ? alg.host(r, h) : alg.host;
      if (hostAlg === 'uniform') for (const it of items) it[1] = items[0][1];
      buckets.push({ id, name, type: 1, alg: hostAlg, items });
      hostItems.push([id, items.reduce((s, it) => s + it[1], 0)]);
    }
    const id = nextId--;
    buckets.push({ id, name: `rack${r}`, type: 2, alg: alg.rack, items: hostItems });
    rackItems.push([id, hostItems.reduce((s, it) => s + it[1], 0)]);
  }
  buckets.push({ id: nextId--, name: 'root', type: 3, alg: alg.root, items: rackItems });
  return { devices, buckets };
}

function randomWeight(dev) {
  const r = rnd() % 16;
  if (r === 0) return 0;
  if (r < 6) return 0x10000;
  return 0x4000 + (rnd() % 0x3c000);
}
function tiedWeight(dev) {
  return [0x10000, 0x10000, 0x20000, 0x8000, 0, 0x10000, 0x30000][dev % 7];
}

const rootOf = (m) => m.buckets[m.buckets.length - 1].id;
const R = (id, name, type, steps, extra = {}) => ({ id, name, type, minSize: 1, maxSize: 10, steps, ...extra });

// A few device reweight sets used with crushtool --weight (16.16 values that a float prints exactly).
function reweights(devices, k) {
  const out = {};
  devices.forEach((d, i) => {
    if ((i + k) % 5 === 0) out[d] = 0;
    else if ((i + k) % 7 === 0) out[d] = 0x8000;
    else if ((i + k) % 11 === 0) out[d] = 0x4000;
    else if ((i + k) % 13 === 0) out[d] = 0xc000;
  });
  return out;
}
function manyOut(devices) {
  const out = {};
  devices.forEach((d, i) => {
    if (i % 3 !== 0) out[d] = 0;
  });
  return out;
}

const maps = [];

// A. straw2 with the jewel profile: firstn, indep, multi-level choose, partial takes, two emits.
{
  const h = hierarchy({ racks: 3, hosts: 3, osds: 4, alg: { host: 'straw2', rack: 'straw2', root: 'straw2' }, w: randomWeight });
  const root = h.buckets[h.buckets.length - 1].id;
  const rack0 = h.buckets.find((b) => b.name === 'rack0').id;
  const rack1 = h.buckets.find((b) => b.name === 'rack1').id;
  const m = {
    name: 'straw2-jewel',
    tunables: tunables('jewel'),
    ...h,
    rules: [
      R(0, 'rep_host', 1, [['take', root], ['chooseleaf_firstn', 0, 1], ['emit']]),
      R(1, 'ec_host', 3, [['take', root], ['chooseleaf_indep', 0, 1], ['emit']]),
      R(2, 'rack_then_host', 1, [['take', root], ['choose_firstn', 2, 2], ['chooseleaf_firstn', 2, 1], ['emit']]),
      R(3, 'ec_rack_osd', 3, [['take', root], ['choose_indep', 3, 2], ['choose_indep', 2, 0], ['emit']]),
      R(4, 'rack0_osds', 1, [['take', rack0], ['choose_firstn', 0, 0], ['emit']]),
      R(5, 'two_takes', 1, [['take', rack0], ['chooseleaf_firstn', 1, 1], ['emit'], ['take', rack1], ['chooseleaf_firstn', -1, 1], ['emit']]),
    ],
  };
  m.tests = [];
  for (const rule of [0, 1, 2, 3, 4, 5]) {
    for (const rep of [1, 3, 6]) m.tests.push({ rule, rep, weights: {} });
    m.tests.push({ rule, rep: 4, weights: reweights(h.devices, rule) });
  }
  maps.push(m);
}

// B/C. straw buckets with tied and zero weights under straw_calc_version 0 (legacy) and 1 (bobtail).
for (const [name, profile, scv] of [
  ['straw-v0-legacy', 'legacy', 0],
  ['straw-v1-bobtail', 'bobtail', 1],
  ['straw-v1-legacy', 'legacy', 1],
]) {
  const h = hierarchy({ racks: 2, hosts: 3, osds: 7, alg: { host: 'straw', rack: 'straw', root: 'straw' }, w: tiedWeight });
  const root = rootOf(h);
  maps.push({
    name,
    tunables: tunables(profile, { straw_calc_version: scv }),
    ...h,
    rules: [
      R(0, 'rep_host', 1, [['take', root], ['chooseleaf_firstn', 0, 1], ['emit']]),
      R(1, 'rep_osd', 1, [['take', root], ['choose_firstn', 0, 0], ['emit']]),
      R(2, 'ec_host', 3, [['take', root], ['chooseleaf_indep', 0, 1], ['emit']]),
    ],
    tests: [0, 1, 2].flatMap((rule) => [
      { rule, rep: 3, weights: {} },
      { rule, rep: 5, weights: reweights(h.devices, rule + 1) },
    ]),
  });
}

// D. uniform hosts, list racks, tree root (firefly): the uniform permutation and its indep rank rule.
{
  const h = hierarchy({
    racks: 3,
    hosts: 3,
    osds: 3,
    alg: { host: 'uniform', rack: 'list', root: 'tree' },
    w: (d) => 0x10000 * (1 + (d % 3)),
  });
  const root = rootOf(h);
  maps.push({
    name: 'uniform-list-tree-firefly',
    tunables: tunables('firefly'),
    ...h,
    rules: [
      R(0, 'rep_host', 1, [['take', root], ['chooseleaf_firstn', 0, 1], ['emit']]),
      R(1, 'ec_host', 3, [['take', root], ['chooseleaf_indep', 0, 1], ['emit']]),
      R(2, 'osds', 1, [['take', root], ['choose_firstn', 0, 0], ['emit']]),
      R(3, 'ec_osds', 3, [['take', root], ['choose_indep', 0, 0], ['emit']]),
    ],
    tests: [0, 1, 2, 3].flatMap((rule) => [
      { rule, rep: 3, weights: {} },
      { rule, rep: 2, weights: {} },
      { rule, rep: 4, weights: reweights(h.devices, rule + 2) },
    ]),
  });
}

// E. list and tree hosts (with zero weights and non-power-of-two sizes) under argonaut (= legacy).
{
  const h = hierarchy({
    racks: 2,
    hosts: 3,
    osds: 5,
    alg: { host: (r, hh) => (hh % 2 ? 'tree' : 'list'), rack: 'tree', root: 'list' },
    w: (d) => (d % 6 === 5 ? 0 : 0x8000 + ((d * 7919) % 5) * 0x6000),
  });
  const root = rootOf(h);
  maps.push({
    name: 'list-tree-argonaut',
    tunables: tunables('legacy'),
    ...h,
    rules: [
      R(0, 'rep_host', 1, [['take', root], ['chooseleaf_firstn', 0, 1], ['emit']]),
      R(1, 'ec_host', 3, [['take', root], ['chooseleaf_indep', 0, 1], ['emit']]),
      R(2, 'osds', 1, [['take', root], ['choose_firstn', 0, 0], ['emit']]),
    ],
    tests: [0, 1, 2].flatMap((rule) => [
      { rule, rep: 3, weights: {} },
      { rule, rep: 4, weights: reweights(h.devices, rule + 3) },
    ]),
  });
}

// F. one straw2/straw hierarchy under each profile, also with two thirds of the devices out to force
// retries (local retries and the permutation fallback under legacy, vary_r, stable, descend_once).
for (const profile of ['legacy', 'bobtail', 'firefly', 'hammer', 'jewel']) {
  const h = hierarchy({
    racks: 2,
    hosts: 4,
    osds: 3,
    alg: { host: 'straw2', rack: 'straw', root: 'straw2' },
    w: (d) => 0x10000 + (d % 4) * 0x4000,
  });
  const root = rootOf(h);
  maps.push({
    name: `profile-${profile}`,
    tunables: tunables(profile),
    ...h,
    rules: [
      R(0, 'rep_host', 1, [['take', root], ['chooseleaf_firstn', 0, 1], ['emit']]),
      R(1, 'ec_host', 3, [['take', root], ['chooseleaf_indep', 0, 1], ['emit']]),
      R(2, 'rep_rack_host', 1, [['take', root], ['choose_firstn', 0, 2], ['chooseleaf_firstn', 2, 1], ['emit']]),
    ],
    tests: [0, 1, 2].flatMap((rule) => [
      { rule, rep: 3, weights: {} },
      { rule, rep: 5, weights: manyOut(h.devices) },
      { rule, rep: 3, weights: reweights(h.devices, rule) },
    ]),
  });
}

// G. every set_* rule step, over a legacy and a jewel base.
for (const profile of ['legacy', 'jewel']) {
  const h = hierarchy({
    racks: 2,
    hosts: 3,
    osds: 4,
    alg: { host: 'straw2', rack: 'straw2', root: 'straw2' },
    w: (d) => 0x10000 + (d % 3) * 0x8000,
  });
  const root = rootOf(h);
  const leaf = (extra) => [...extra, ['take', root], ['chooseleaf_firstn', 0, 1], ['emit']];
  maps.push({
    name: `set-steps-${profile}`,
    tunables: tunables(profile),
    ...h,
    rules: [
      R(0, 'choose_tries', 1, leaf([['set_choose_tries', 3]])),
      R(1, 'chooseleaf_tries', 1, leaf([['set_chooseleaf_tries', 2]])),
      R(2, 'local_tries', 1, [['set_choose_local_tries', 1], ['take', root], ['choose_firstn', 0, 0], ['emit']]),
      R(3, 'local_fallback', 1, [['set_choose_local_fallback_tries', 3], ['set_choose_local_tries', 0], ['take', root], ['choose_firstn', 0, 0], ['emit']]),
      R(4, 'vary_r', 1, leaf([['set_chooseleaf_vary_r', profile === 'legacy' ? 1 : 0]])),
      R(5, 'vary_r2', 1, leaf([['set_chooseleaf_vary_r', 2]])),
      R(6, 'stable', 1, leaf([['set_chooseleaf_stable', profile === 'legacy' ? 1 : 0]])),
      R(7, 'indep_tries', 3, [['set_choose_tries', 5], ['set_chooseleaf_tries', 3], ['take', root], ['chooseleaf_indep', 0, 1], ['emit']]),
    ],
    tests: [0, 1, 2, 3, 4, 5, 6, 7].flatMap((rule) => [
      { rule, rep: 3, weights: {} },
      { rule, rep: 4, weights: manyOut(h.devices) },
    ]),
  });
}

// H. holes: sparse device ids, named devices outside every bucket, an empty host, more replicas
// than failure domains (short firstn results, CRUSH_ITEM_NONE holes in indep), a take of a device.
{
  const h = hierarchy({
    racks: 1,
    hosts: 3,
    osds: 3,
    alg: { host: 'straw2', rack: 'straw2', root: 'straw2' },
    w: (d) => 0x10000,
    firstDev: 1,
    devStep: 3,
  });
  // an empty host under the rack, and devices nobody holds
  const rack = h.buckets.find((b) => b.name === 'rack0');
  h.buckets.splice(h.buckets.indexOf(rack), 0, { id: -20, name: 'emptyhost', type: 1, alg: 'straw2', items: [] });
  rack.items.push([-20, 0]);
  h.devices.push(40, 41);
  const root = rootOf(h);
  maps.push({
    name: 'holes',
    tunables: tunables('jewel'),
    ...h,
    rules: [
      R(0, 'rep_host', 1, [['take', root], ['chooseleaf_firstn', 0, 1], ['emit']]),
      R(1, 'ec_host', 3, [['take', root], ['chooseleaf_indep', 0, 1], ['emit']]),
      R(2, 'ec_rack_host', 3, [['take', root], ['choose_indep', 2, 2], ['chooseleaf_indep', 2, 1], ['emit']]),
      R(3, 'take_device', 1, [['take', 4], ['emit']]),
      R(4, 'bad_type', 1, [['take', root], ['choose_firstn', 0, 4], ['emit']]),
      R(5, 'ec_osds', 3, [['take', root], ['choose_indep', 0, 0], ['emit']]),
    ],
    tests: [0, 1, 2, 3, 4, 5].flatMap((rule) => [
      { rule, rep: 5, weights: {} },
      { rule, rep: 4, weights: { 1: 0, 4: 0x8000, 16: 0, 40: 0x10000 } },
    ]),
  });
}

// I. choose_args: straw2 weight sets by position and replacement ids. crushtool --test maps with the
// default set (-1) even with --pool-id (which only hashes x with the pool), so the pool 1 set is
// carried along but only the default set decides these mappings.
{
  const h = hierarchy({
    racks: 2,
    hosts: 3,
    osds: 3,
    alg: { host: 'straw2', rack: 'straw2', root: 'straw2' },
    w: (d) => 0x10000,
  });
  const root = rootOf(h);
  const byName = (n) => h.buckets.find((b) => b.name === n);
  const ws = (b, f) => b.items.map((it, i) => f(i, it[1]));
  const host00 = byName('host0-0');
  const host11 = byName('host1-1');
  const rack0 = byName('rack0');
  const rootB = byName('root');
  const chooseArgs = {
    '-1': [
      { bucketId: host00.id, weightSet: [ws(host00, (i) => 0x8000 * (i + 1)), ws(host00, (i) => 0x8000 * (3 - i))] },
      { bucketId: host11.id, ids: host11.items.map((it) => it[0] + 100) },
      { bucketId: rack0.id, weightSet: [ws(rack0, (i) => [0x10000, 0x30000, 0x8000][i])], ids: rack0.items.map((it) => it[0] - 50) },
      {
        bucketId: rootB.id,
        weightSet: [ws(rootB, (i) => (i ? 0x40000 : 0x10000)), ws(rootB, (i) => (i ? 0x10000 : 0x40000)), ws(rootB, () => 0x20000)],
      },
    ],
    1: [{ bucketId: rootB.id, weightSet: [ws(rootB, (i) => (i ? 0 : 0x10000))] }, { bucketId: host00.id, weightSet: [ws(host00, (i) => (i === 1 ? 0 : 0x10000))] }],
  };
  maps.push({
    name: 'choose-args',
    tunables: tunables('jewel'),
    ...h,
    chooseArgs,
    rules: [
      R(0, 'rep_host', 1, [['take', root], ['chooseleaf_firstn', 0, 1], ['emit']]),
      R(1, 'ec_host', 3, [['take', root], ['chooseleaf_indep', 0, 1], ['emit']]),
      R(2, 'osds', 1, [['take', root], ['choose_firstn', 0, 0], ['emit']]),
    ],
    tests: [0, 1, 2].flatMap((rule) => [
      { rule, rep: 3, weights: {} },
      { rule, rep: 4, weights: {}, pool: 1 },
      { rule, rep: 3, weights: {}, pool: 2 },
      { rule, rep: 3, weights: reweights(h.devices, 1) },
    ]),
  });
}

// J. odd tunables outside every profile, and a firefly map holding straw2 buckets (profile and minimum
// required version disagree); mappings under many failures exercise the odd retry counts.
for (const [name, t, alg] of [
  ['tunables-custom', { ...tunables('jewel'), choose_local_tries: 1, choose_local_fallback_tries: 2, choose_total_tries: 7, chooseleaf_descend_once: 0, chooseleaf_vary_r: 2, chooseleaf_stable: 0 }, 'straw2'],
  ['tunables-firefly-straw2', tunables('firefly', { straw_calc_version: 1 }), 'straw2'],
  ['tunables-hammer-uniform', tunables('hammer', { straw_calc_version: 0 }), 'list'],
]) {
  const h = hierarchy({ racks: 2, hosts: 3, osds: 3, alg: { host: alg, rack: 'straw2', root: 'straw2' }, w: (d) => 0x10000 });
  const root = rootOf(h);
  maps.push({
    name,
    tunables: t,
    ...h,
    rules: [
      R(0, 'rep_host', 1, [['take', root], ['chooseleaf_firstn', 0, 1], ['emit']]),
      R(1, 'rep_osd', 1, [['take', root], ['choose_firstn', 0, 0], ['emit']]),
    ],
    tests: [0, 1].flatMap((rule) => [
      { rule, rep: 3, weights: {} },
      { rule, rep: 4, weights: manyOut(h.devices) },
    ]),
  });
}

// K. buckets whose hash type is not rjenkins1 (Ceph's hash then returns 0), for every algorithm.
{
  const h = hierarchy({
    racks: 2,
    hosts: 5,
    osds: 3,
    alg: { host: (r, hh) => ['uniform', 'list', 'tree', 'straw', 'straw2'][hh], rack: 'straw2', root: 'straw' },
    w: (d) => 0x10000 + (d % 3) * 0x4000,
  });
  for (const b of h.buckets) if (b.name.startsWith('host1-') || b.name === 'rack0') b.hash = 1;
  const root = rootOf(h);
  maps.push({
    name: 'hash-unknown',
    tunables: tunables('jewel', { straw_calc_version: 1 }),
    ...h,
    rules: [
      R(0, 'rep_host', 1, [['take', root], ['chooseleaf_firstn', 0, 1], ['emit']]),
      R(1, 'ec_host', 3, [['take', root], ['chooseleaf_indep', 0, 1], ['emit']]),
    ],
    tests: [0, 1].flatMap((rule) => [
      { rule, rep: 3, weights: {} },
      { rule, rep: 4, weights: reweights(h.devices, rule) },
    ]),
  });
}

// L. random maps: random algorithms per bucket, weights (some zero), tunables (also outside every
// profile), rules mixing choose/chooseleaf, firstn/indep, set_* steps and device reweights.
for (let n = 0; n < Number(process.env.CORE_RANDOM_MAPS ?? 8); n++) {
  const algs = ['uniform', 'list', 'tree', 'straw', 'straw2'];
  const pick = (a) => a[rnd() % a.length];
  const rackAlg = pick(algs);
  const h = hierarchy({
    racks: 2 + (rnd() % 3),
    hosts: 1 + (rnd() % 4),
    osds: 1 + (rnd() % 5),
    alg: { host: () => pick(algs), rack: rackAlg, root: pick(algs) },
    w: (d) => (rnd() % 9 === 0 ? 0 : 0x1000 * (1 + (rnd() % 64))),
  });
  // parents of uniform children must carry the children's (equalised) weights
  const weightOf = new Map();
  for (const b of h.buckets) {
    for (const it of b.items) if (it[0] < 0) it[1] = weightOf.get(it[0]);
    // (Ceph cannot make a uniform bucket whose item weight is 0: crushtool asserts)
    if (b.alg === 'uniform') for (const it of b.items) it[1] = b.items[0][1] || 0x10000;
    weightOf.set(b.id, b.items.reduce((s2, it) => s2 + it[1], 0));
  }
  const t = {
    choose_local_tries: rnd() % 4,
    choose_local_fallback_tries: rnd() % 6,
    choose_total_tries: 1 + (rnd() % 60),
    chooseleaf_descend_once: rnd() % 2,
    chooseleaf_vary_r: rnd() % 3,
    chooseleaf_stable: rnd() % 2,
    straw_calc_version: rnd() % 2,
    allowed_bucket_algs: ALGS_V4,
  };
  const root = rootOf(h);
  const sets = [
    ['set_choose_tries', 1 + (rnd() % 10)],
    ['set_chooseleaf_tries', 1 + (rnd() % 5)],
    ['set_choose_local_tries', rnd() % 3],
    ['set_choose_local_fallback_tries', rnd() % 4],
    ['set_chooseleaf_vary_r', rnd() % 3],
    ['set_chooseleaf_stable', rnd() % 2],
  ];
  const rules = [];
  for (let k = 0; k < 4; k++) {
    const indep = rnd() % 2 === 1;
    const steps = [];
    for (const st of sets) if (rnd() % 4 === 0) steps.push(st);
    steps.push(['take', root]);
    const m = indep ? 'indep' : 'firstn';
    switch (rnd() % 3) {
      case 0:
        steps.push([`chooseleaf_${m}`, 0, 1 + (rnd() % 2)]);
        break;
      case 1:
        // (a rule must end in devices: crushtool --test indexes its statistics by the output ids)
        steps.push([`choose_${m}`, 0, 0]);
        break;
      default:
        steps.push([`choose_${m}`, 2, 2], [`chooseleaf_${m}`, -(rnd() % 2), 1]);
    }
    steps.push(['emit']);
    rules.push(R(k, `r${k}`, indep ? 3 : 1, steps));
  }
  maps.push({
    name: `random-${n}`,
    tunables: t,
    ...h,
    rules,
    tests: [0, 1, 2, 3].flatMap((rule) => [
      { rule, rep: 1 + (rnd() % 6), weights: {} },
      { rule, rep: 1 + (rnd() % 6), weights: reweights(h.devices, rule + n) },
    ]),
  });
}

// M. bucket items heavier than 2^31 in 16.16 (40000.0): straw2 reads such a weight as a negative C int,
// so its draw turns positive and always wins; list and straw see the u32.
for (const alg of ['straw2', 'straw', 'list']) {
  const hosts = [0, 1, 2, 3, 4].map((i) => ({ id: -2 - i, name: `h${i}`, type: 1, alg: 'straw2', items: [[i, 0x10000]] }));
  const w = [40000 * 0x10000, 0x10000, 20000 * 0x10000, 0x8000, 0];
  const rootB = { id: -1, name: 'root', type: 3, alg, items: hosts.map((h, i) => [h.id, w[i]]) };
  maps.push({
    name: `heavy-weights-${alg}`,
    tunables: tunables('jewel', { straw_calc_version: 1 }),
    devices: [0, 1, 2, 3, 4],
    buckets: [...hosts, rootB],
    rules: [
      R(0, 'rep_host', 1, [['take', -1], ['chooseleaf_firstn', 0, 1], ['emit']]),
      R(1, 'ec_host', 3, [['take', -1], ['chooseleaf_indep', 0, 1], ['emit']]),
    ],
    tests: [0, 1].flatMap((rule) => [{ rule, rep: 3, weights: {} }]),
  });
}

// N. choose_args on buckets of every algorithm: only straw2 buckets use them.
{
  const h = hierarchy({
    racks: 2,
    hosts: 4,
    osds: 3,
    alg: { host: (r, hh) => ['straw2', 'list', 'tree', 'uniform'][hh], rack: 'straw', root: 'straw2' },
    w: (d) => 0x10000 + (d % 2) * 0x8000,
  });
  const root = rootOf(h);
  const args = h.buckets.map((b) => ({
    bucketId: b.id,
    weightSet: [b.items.map((it, i) => (i % 2 ? 0x4000 : 0x30000))],
    ids: b.items.map((it) => it[0] + 1000),
  }));
  maps.push({
    name: 'choose-args-mixed',
    tunables: tunables('jewel'),
    ...h,
    chooseArgs: { '-1': args },
    rules: [
      R(0, 'rep_host', 1, [['take', root], ['chooseleaf_firstn', 0, 1], ['emit']]),
      R(1, 'ec_host', 3, [['take', root], ['chooseleaf_indep', 0, 1], ['emit']]),
    ],
    tests: [0, 1].flatMap((rule) => [{ rule, rep: 3, weights: {} }, { rule, rep: 5, weights: reweights(h.devices, 2) }]),
  });
}

// ---- text rendering -------------------------------------------------------------------------------
/** Exact decimal of a 16.16 value (terminates within 16 places). */
function fixed(w) {
  let s = (w / 65536).toFixed(16);
  s = s.replace(/0+$/, '');
  if (s.endsWith('.')) s += '0';
  return s;
}

const STEP_TEXT = {
  choose_firstn: (n, t) => `choose firstn ${n} type ${t}`,
  choose_indep: (n, t) => `choose indep ${n} type ${t}`,
  chooseleaf_firstn: (n, t) => `chooseleaf firstn ${n} type ${t}`,
  chooseleaf_indep: (n, t) => `chooseleaf indep ${n} type ${t}`,
};

function renderText(m) {
  const name = new Map();
  for (const d of m.devices) name.set(d, `osd.${d}`);
  for (const b of m.buckets) name.set(b.id, b.name);
  const typeName = new Map(TYPES);
  const L = ['# begin crush map'];
  for (const n of TUNABLE_NAMES) L.push(`tunable ${n} ${m.tunables[n]}`);
  L.push('', '# devices');
  for (const d of [...m.devices].sort((a, b) => a - b)) L.push(`device ${d} osd.${d}`);
  L.push('', '# types');
  for (const [id, n] of TYPES) L.push(`type ${id} ${n}`);
  L.push('', '# buckets');
  for (const b of m.buckets) {
    L.push(`${typeName.get(b.type)} ${b.name} {`, `\tid ${b.id}`, `\talg ${b.alg}`, `\thash ${b.hash ?? 0}`);
    for (const [it, w] of b.items) L.push(`\titem ${name.get(it)} weight ${fixed(w)}`);
    L.push('}');
  }
  L.push('', '# rules');
  for (const r of m.rules) {
    L.push(`rule ${r.name} {`, `\tid ${r.id}`, `\ttype ${r.type === 1 ? 'replicated' : 'erasure'}`);
    L.push(`\tmin_size ${r.minSize}`, `\tmax_size ${r.maxSize}`);
    for (const [op, a1, a2] of r.steps) {
      if (op === 'take') L.push(`\tstep take ${name.get(a1)}`);
      else if (op === 'emit') L.push('\tstep emit');
      else if (STEP_TEXT[op]) L.push(`\tstep ${STEP_TEXT[op](a1, typeName.get(a2) ?? `t${a2}`)}`);
      else L.push(`\tstep ${op} ${a1}`);
    }
    L.push('}');
  }
  if (m.chooseArgs) {
    L.push('', '# choose_args');
    for (const [key, list] of Object.entries(m.chooseArgs)) {
      // the text syntax takes the set id as unsigned 64-bit: -1 (the default set) is 2^64 - 1
      L.push(`choose_args ${key === '-1' ? '18446744073709551615' : key} {`);
      for (const a of list) {
        L.push('  {', `    bucket_id ${a.bucketId}`);
        if (a.weightSet) {
          L.push('    weight_set [');
          for (const ws of a.weightSet) L.push(`      [ ${ws.map(fixed).join(' ')} ]`);
          L.push('    ]');
        }
        if (a.ids) L.push(`    ids [ ${a.ids.join(' ')} ]`);
        L.push('  }');
      }
      L.push('}');
    }
  }
  L.push('', '# end crush map', '');
  return L.join('\n');
}

// ---- run ------------------------------------------------------------------------------------------
function crushtool(args) {
  return execFileSync('/usr/bin/crushtool', args, { encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] });
}

mkdirSync(outDir, { recursive: true });
const tmp = mkdtempSync(join(tmpdir(), 'core-maps-'));
try {
  for (const m of maps) {
    const text = renderText(m);
    const txt = join(outDir, `${m.name}.txt`);
    writeFileSync(txt, text);
    const bin = join(tmp, `${m.name}.bin`);
    crushtool(['-c', txt, '-o', bin, '--enable-unsafe-tunables']);
    // the compiled weights must be the tabled ones
    const dump = JSON.parse(crushtool(['-i', bin, '--dump']));
    for (const b of m.buckets) {
      const db = dump.buckets.find((x) => x.id === b.id);
      const got = db.items.map((it) => [it.id, it.weight >>> 0]); // the dump prints weights as signed ints
      const want = b.alg === 'uniform' ? b.items.map((it) => [it[0], b.items[0][1]]) : b.items;
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        throw new Error(`${m.name}: bucket ${b.name} compiled as ${JSON.stringify(got)}, tabled ${JSON.stringify(want)}`);
      }
    }
    for (const n of TUNABLE_NAMES) {
      if (dump.tunables[n] !== m.tunables[n]) throw new Error(`${m.name}: tunable ${n} is ${dump.tunables[n]}`);
    }
    const chunks = [];
    for (const [k, t] of m.tests.entries()) {
      const args = ['-i', bin, '--test', '--show-mappings', '--rule', String(t.rule), '--num-rep', String(t.rep)];
      args.push('--min-x', String(MIN_X), '--max-x', String(MAX_X));
      for (const [d, w] of Object.entries(t.weights)) args.push('--weight', d, fixed(w));
      if (t.pool !== undefined) args.push('--pool-id', String(t.pool));
      const out = crushtool(args).trim().split('\n');
      chunks.push(`# test ${k} rule ${t.rule} rep ${t.rep}`);
      let x = MIN_X;
      for (const line of out) {
        const mm = /^CRUSH rule (\d+) x (\d+) \[([-\d,]*)\]$/.exec(line);
        if (!mm || Number(mm[2]) !== x) throw new Error(`${m.name}: unexpected line ${line}`);
        chunks.push(mm[3]);
        x++;
      }
      if (x !== MAX_X + 1) throw new Error(`${m.name}: ${x - MIN_X} mappings`);
    }
    writeFileSync(join(outDir, `${m.name}.out.gz`), gzipSync(chunks.join('\n') + '\n', { level: 9 }));
    // the choose_tries histogram (crushtool --show-choose-tries) of every test, summed over all x
    const tries = [];
    for (const t of m.tests) {
      const args = ['-i', bin, '--test', '--show-choose-tries', '--rule', String(t.rule), '--num-rep', String(t.rep)];
      args.push('--min-x', String(MIN_X), '--max-x', String(MAX_X));
      for (const [d, w] of Object.entries(t.weights)) args.push('--weight', d, fixed(w));
      if (t.pool !== undefined) args.push('--pool-id', String(t.pool));
      const hist = [];
      for (const line of crushtool(args).trim().split('\n')) {
        const mm = /^\s*(\d+):\s+(\d+)$/.exec(line);
        if (!mm || Number(mm[1]) !== hist.length) throw new Error(`${m.name}: unexpected line ${line}`);
        hist.push(Number(mm[2]));
      }
      tries.push(hist);
    }
    m.chooseTries = tries;
    m.dumpTunables = dump.tunables; // crushtool --dump's "tunables" section, in order
    const desc = { ...m, types: TYPES, minX: MIN_X, maxX: MAX_X };
    writeFileSync(join(outDir, `${m.name}.json`), JSON.stringify(desc) + '\n');
    console.log(`${m.name}: ${m.tests.length} tests`);
  }
  // the tunables a fresh CrushWrapper gets (set_tunables_default), as crushtool --build leaves them
  const built = join(tmp, 'built.bin');
  crushtool(['--build', '--num_osds', '2', '-o', built, 'host', 'straw2', '1', 'root', 'straw2', '0']);
  writeFileSync(join(outDir, '..', 'build-default-tunables.json'), JSON.stringify(JSON.parse(crushtool(['-i', built, '--dump'])).tunables) + '\n');
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
