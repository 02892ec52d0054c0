// Records what Ceph 16.2.15's `osdmaptool --upmap` (OSDMap::calc_pg_upmaps) makes of a set of maps, for
// test/osdmap/balancer.test.ts. Writes test/fixtures/osdmap/balancer/: the input maps (NAME.bin) and
// cases.json.gz (per case: the map, the balancer parameters, osdmaptool's argv, stdout, the command file,
// the sha256 of the map --save wrote, and the calc_pg_upmaps debug log at --debug_osd LEVEL), and
// shuffle.json: what libstdc++'s std::shuffle does with minstd_rand0 and mt19937 (shuffle-vectors.cc).
//
// The maps:
//  - osdmaptool-made: `--createsimple N --with-default-pool` with an imported CRUSH map of uneven
//    weights (hosts of different sizes; racks > hosts > OSDs with a choose-rack / chooseleaf-host rule;
//    one flat host; choose-host / choose-osd; too few hosts for the pool size; a size-2 pool), then
//    pg_upmap_items made by a first balancer run (--save), then a second CRUSH map with other weights
//    imported, so that some existing items now point the wrong way;
//  - two maps a real 16.2.15 monitor wrote (copied from the golden set: many pools, erasure pools with
//    holes, device-class rules, a down and an out OSD, primary affinity, pg_upmap and pg_upmap_items);
//  - six seeded maps of the placement tests (copied from test/fixtures/osdmap/placement), some of which
//    make Pacific abort in a ceph_assert of calc_pg_upmaps (recorded: exit 134 and the FAILED line).
//
// Randomness: Pacific seeds a std::default_random_engine from std::random_device before each aggressive
// search, and osdmaptool shuffles its pool list with a std::mt19937 seeded the same way. Every run here
// preloads random-device-shim.so (built from random-device-shim.c), which makes std::random_device a
// fixed sequence (fixedRandomDevice(seed) in common/osdmap/balancer.ts), so that the aggressive mode is
// recorded exactly too. All runs also preload libfaketime with the clock stopped (the "Time elapsed"
// lines of --upmap-active then print 0), as the golden recorder does.
//
// Usage: node scripts/osdmap-balancer/gen.mjs   (needs osdmaptool, crushtool, cc, g++ and libfaketime;
// regenerating gives the same bytes: osdmaptool's fsids come from std::random_device too)
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
const OUT = join(root, 'test/fixtures/osdmap/balancer');
const OSDMAPTOOL = process.env.OSDMAPTOOL ?? '/usr/bin/osdmaptool';
const CRUSHTOOL = process.env.CRUSHTOOL ?? '/usr/bin/crushtool';
const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const FAKETIME = '@2026-01-01 00:00:00 x0';
const GOLDEN_MON = join(root, 'test/golden/osdmap/maps/mon');

const tmp = mkdtempSync(join(tmpdir(), 'osdmap-balancer-'));
const shim = join(tmp, 'random-device-shim.so');
execFileSync('cc', ['-shared', '-fPIC', '-O2', '-o', shim, join(root, 'scripts/osdmap-balancer/random-device-shim.c')]);
const sha = (b) => createHash('sha256').update(b).digest('hex');
mkdirSync(OUT, { recursive: true });

function run(bin, args, { cwd = tmp, seed = 0 } = {}) {
  const r = spawnSync(bin, args, {
    cwd,
    argv0: bin.split('/').pop(),
    env: {
      PATH: '/usr/bin:/bin',
      TZ: 'UTC',
      LD_PRELOAD: `${LIBFAKETIME} ${shim}`,
      FAKETIME,
      TSCEPH_RANDOM_DEVICE_SEED: String(seed),
    },
    maxBuffer: 1 << 28,
  });
  if (r.error) throw r.error;
  // a failed ceph_assert aborts: report it as the shell would (128 + SIGABRT)
  const code = r.status ?? (r.signal === 'SIGABRT' ? 134 : -1);
  return { code, stdout: r.stdout.toString('latin1'), stderr: r.stderr.toString('latin1') };
}
function must(bin, args, opts) {
  const r = run(bin, args, opts);
  if (r.code !== 0) throw new Error(`${bin} ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r;
}

// ---- CRUSH maps --------------------------------------------------------------------------------
const TUNABLES = `tunable choose_local_tries 0
tunable choose_local_fallback_tries 0
tunable choose_total_tries 50
tunable chooseleaf_descend_once 1
tunable chooseleaf_vary_r 1
tunable chooseleaf_stable 1
tunable straw_calc_version 1
tunable allowed_bucket_algs 54
`;
const TYPES = 'type 0 osd\ntype 1 host\ntype 3 rack\ntype 11 root\n';

/** A CRUSH text from a tree: [{rack?, hosts: [[w, w, ...], ...]}], and the rule steps of rule 0. */
function crushText(racks, ruleSteps, weightOf) {
  let osd = 0;
  let bid = -1;
  const devices = [];
  const buckets = [];
  const rackItems = [];
  for (const rack of racks) {
    const hostItems = [];
    for (const host of rack.hosts) {
      const items = host.map(() => {
        const id = osd++;
        devices.push(`device ${id} osd.${id}`);
        return `\titem osd.${id} weight ${weightOf(id, host).toFixed(3)}`;
      });
      const id = --bid;
      const name = `host${-id - 1}`;
      buckets.push(`host ${name} {\n\tid ${id}\n\talg straw2\n\thash 0\n${items.join('\n')}\n}`);
      hostItems.push(name);
    }
    if (rack.name) {
      const id = --bid;
      buckets.push(`rack ${rack.name} {\n\tid ${id}\n\talg straw2\n\thash 0\n${hostItems.map((h) => `\titem ${h}`).join('\n')}\n}`);
      rackItems.push(rack.name);
    } else {
      rackItems.push(...hostItems);
    }
  }
  const rootId = --bid;
  buckets.push(`root default {\n\tid ${rootId}\n\talg straw2\n\thash 0\n${rackItems.map((n) => `\titem ${n}`).join('\n')}\n}`);
  const rule = `rule replicated_rule {\n\tid 0\n\ttype replicated\n\tmin_size 1\n\tmax_size 10\n\tstep take default\n${ruleSteps.map((s) => `\tstep ${s}`).join('\n')}\n\tstep emit\n}`;
  // buckets must be defined before they are used: hosts, then racks, then the root (already in order)
  return `${TUNABLES}${devices.join('\n')}\n${TYPES}${buckets.join('\n')}\n${rule}\n`;
}

/** Per-OSD weights given as a table (id -> weight), 1.0 when absent. */
const weights = (table) => (id) => table[id] ?? 1;

const FAMILIES = [
  {
    name: 'hosts',
    about: '5 hosts of 2-5 OSDs with uneven weights, chooseleaf host (size 3, 17 OSDs x 8 PGs)',
    racks: [{ hosts: [[1, 1], [1, 1, 1], [1, 1, 1, 1, 1], [1, 1, 1], [1, 1, 1, 1]] }],
    rule: ['chooseleaf firstn 0 type host'],
    w1: weights({ 0: 2, 1: 2, 4: 0.5, 6: 1.5, 9: 3, 12: 0.75, 15: 2.5 }),
    w2: weights({ 0: 1, 1: 3, 4: 2, 6: 0.5, 9: 1, 12: 2, 14: 2, 15: 0.5 }),
    nosd: 17,
    pgBits: 3,
  },
  {
    name: 'racks',
    about: '3 racks x 3 hosts x 3 OSDs, choose firstn 0 rack then chooseleaf firstn 1 host (size 3, 27 OSDs x 8 PGs)',
    racks: [
      { name: 'rack0', hosts: [[1, 1, 1], [1, 1, 1], [1, 1, 1]] },
      { name: 'rack1', hosts: [[1, 1, 1], [1, 1, 1], [1, 1, 1]] },
      { name: 'rack2', hosts: [[1, 1, 1], [1, 1, 1], [1, 1, 1]] },
    ],
    rule: ['choose firstn 0 type rack', 'chooseleaf firstn 1 type host'],
    w1: weights({ 0: 2, 4: 0.5, 8: 1.5, 10: 2, 13: 0.5, 20: 3, 22: 0.25, 26: 2 }),
    w2: weights({ 1: 2, 4: 2, 9: 0.5, 10: 1, 14: 3, 20: 1, 23: 2, 25: 0.5 }),
    nosd: 27,
    pgBits: 3,
  },
  {
    name: 'flat',
    about: 'one host of 10 OSDs, choose firstn 0 osd (size 3, 10 OSDs x 16 PGs)',
    racks: [{ hosts: [[1, 1, 1, 1, 1, 1, 1, 1, 1, 1]] }],
    rule: ['choose firstn 0 type osd'],
    w1: weights({ 0: 4, 1: 0.5, 2: 2, 5: 3, 7: 0.25 }),
    w2: weights({ 0: 1, 1: 2, 3: 3, 5: 1, 8: 0.5 }),
    nosd: 10,
    pgBits: 4,
  },
  {
    name: 'choose2',
    about: '4 hosts of 3 OSDs, choose firstn 0 host then choose firstn 1 osd (two choose steps, no chooseleaf; size 3, 12 OSDs x 16 PGs)',
    racks: [{ hosts: [[1, 1, 1], [1, 1, 1], [1, 1, 1], [1, 1, 1]] }],
    rule: ['choose firstn 0 type host', 'choose firstn 1 type osd'],
    w1: weights({ 0: 3, 3: 0.5, 5: 2, 7: 1.5, 11: 0.25 }),
    w2: weights({ 1: 3, 3: 2, 6: 0.5, 9: 2 }),
    nosd: 12,
    pgBits: 4,
  },
  {
    name: 'short',
    about: '2 hosts of 4 OSDs under a size-3 pool, chooseleaf host: CRUSH finds 2 OSDs per PG, so every OSD is below its target and nothing moves (size 3, 8 OSDs x 16 PGs)',
    racks: [{ hosts: [[1, 1, 1, 1], [1, 1, 1, 1]] }],
    rule: ['chooseleaf firstn 0 type host'],
    w1: weights({ 0: 2, 2: 0.5, 5: 3 }),
    w2: weights({ 1: 2, 4: 0.5, 6: 3 }),
    nosd: 8,
    pgBits: 4,
  },
  {
    name: 'size2',
    about: '6 hosts of 2 OSDs with a size-2 pool (osd_pool_default_size 2), chooseleaf host (12 OSDs x 16 PGs)',
    racks: [{ hosts: [[1, 1], [1, 1], [1, 1], [1, 1], [1, 1], [1, 1]] }],
    rule: ['chooseleaf firstn 0 type host'],
    w1: weights({ 0: 2, 3: 0.5, 6: 3, 9: 1.5 }),
    w2: weights({ 1: 2, 3: 3, 7: 0.5, 10: 2 }),
    nosd: 12,
    pgBits: 4,
    create: ['--osd_pool_default_size', '2'],
  },
];

const maps = {};

function makeFamily(f) {
  const dir = join(tmp, f.name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'c1.txt'), crushText(f.racks, f.rule, f.w1));
  writeFileSync(join(dir, 'c2.txt'), crushText(f.racks, f.rule, f.w2));
  must(CRUSHTOOL, ['-c', 'c1.txt', '-o', 'c1.bin'], { cwd: dir });
  must(CRUSHTOOL, ['-c', 'c2.txt', '-o', 'c2.bin'], { cwd: dir });
  must(OSDMAPTOOL, ['--createsimple', String(f.nosd), '--with-default-pool', '--pg_bits', String(f.pgBits), ...(f.create ?? []), 'om'], { cwd: dir });
  must(OSDMAPTOOL, ['om', '--import-crush', 'c1.bin'], { cwd: dir });
  // base: the imported map as osdmaptool leaves it (OSDs neither up nor in: cases add --mark-up-in)
  copyFileSync(join(dir, 'om'), join(OUT, `${f.name}.bin`));
  maps[f.name] = { about: `${f.about}; OSDs made up and in by --mark-up-in`, markUpIn: true };
  // items: a first balancer run saves pg_upmap_items (and the up/in state)
  must(OSDMAPTOOL, ['om', '--mark-up-in', '--upmap', 'seed.txt', '--upmap-deviation', '1', '--upmap-max', '12', '--save', '--osd_calc_pg_upmaps_aggressively=false'], { cwd: dir });
  copyFileSync(join(dir, 'om'), join(OUT, `${f.name}-items.bin`));
  maps[`${f.name}-items`] = { about: `${f.about}; up and in, with the pg_upmap_items of a first balancer run`, markUpIn: false };
  // shifted: other CRUSH weights under the same items
  must(OSDMAPTOOL, ['om', '--import-crush', 'c2.bin'], { cwd: dir });
  copyFileSync(join(dir, 'om'), join(OUT, `${f.name}-shifted.bin`));
  maps[`${f.name}-shifted`] = { about: `${f.about}; the items of ${f.name}-items under reweighted CRUSH weights`, markUpIn: false };
}
for (const f of FAMILIES) makeFamily(f);

for (const name of ['mon-states', 'mon-big']) {
  const src = join(GOLDEN_MON, `${name}.bin`);
  if (!existsSync(src)) throw new Error(`${src} is missing: run scripts/gen-osdmap-golden.sh first`);
  copyFileSync(src, join(OUT, `${name}.bin`));
}
const PLACEMENT = ['placement-00', 'placement-01', 'placement-02', 'placement-05', 'placement-11', 'placement-12'];
for (const name of PLACEMENT) {
  copyFileSync(join(root, 'test/fixtures/osdmap/placement', `${name}.bin`), join(OUT, `${name}.bin`));
  maps[name] = { about: `scripts/osdmap-placement/make-maps.mjs's ${name} (made by tsceph's encoder, read by osdmaptool)`, markUpIn: false };
}
maps['mon-states'] = { about: 'a 16.2.15 monitor\'s map: 11 pools (replicated, erasure with holes, device classes), a down and an out OSD, affinity, pg_upmap and pg_upmap_items', markUpIn: false };
maps['mon-big'] = { about: 'a 16.2.15 monitor\'s map with 24 OSDs and 14 pools, all marked up and in', markUpIn: true };

// ---- cases -------------------------------------------------------------------------------------
/**
 * p: { dev, max, pools: [names], active, save, aggressive, retries, seed, debug, markUpIn? }
 */
function argvOf(p, markUpIn) {
  const a = ['osdmap'];
  if (markUpIn) a.push('--mark-up-in');
  a.push('--upmap', 'cmds.txt', '--upmap-deviation', String(p.dev), '--upmap-max', String(p.max));
  for (const pool of p.pools) a.push('--upmap-pool', pool);
  if (p.active) a.push('--upmap-active');
  if (p.save) a.push('--save');
  a.push(`--osd_calc_pg_upmaps_aggressively=${p.aggressive}`);
  a.push(`--osd_calc_pg_upmaps_local_fallback_retries=${p.retries}`);
  a.push('--debug_osd', String(p.debug));
  return a;
}

/** Ceph's log entries on stderr: "STAMP THREAD LEVEL TEXT" (each followed by an empty line). */
function logEntries(stderr) {
  const out = [];
  for (const line of stderr.split('\n')) {
    const m = /^\d{4}-\d\d-\d\dT\S+ [0-9a-f]+ +(-?\d+) (.*)$/.exec(line);
    // a failed ceph_assert's report is also a log entry: recorded apart (assertFailed)
    if (m && !/^(\.\/src\/\S+: In function |\*\*\* Caught signal)/.test(m[2])) out.push(`${m[1]} ${m[2]}`);
  }
  return out;
}

const cases = [];
function runCase(mapName, argv, seed) {
  const dir = join(tmp, 'case');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir);
  copyFileSync(join(OUT, `${mapName}.bin`), join(dir, 'osdmap'));
  const before = readFileSync(join(dir, 'osdmap'));
  const r = run(OSDMAPTOOL, argv, { cwd: dir, seed });
  if (r.code !== 0 && r.code !== 134) throw new Error(`${mapName} ${argv.join(' ')}: exit ${r.code}\n${r.stderr}`);
  const after = readFileSync(join(dir, 'osdmap'));
  const cmds = existsSync(join(dir, 'cmds.txt')) ? readFileSync(join(dir, 'cmds.txt'), 'latin1') : '';
  const failed = /^(\S+: \d+: FAILED ceph_assert\(.*\))$/m.exec(r.stderr);
  return { exit: r.code, stdout: r.stdout, stderr: r.stderr, cmds, savedSha256: after.equals(before) ? null : sha(after), assertFailed: failed ? failed[1] : null };
}

function addCase(mapName, name, p) {
  const meta = maps[mapName];
  const markUpIn = p.markUpIn ?? meta.markUpIn;
  const argv = argvOf(p, markUpIn);
  const a = runCase(mapName, argv, p.seed);
  const b = runCase(mapName, argv, p.seed); // the shim makes runs repeatable: check it
  if (a.exit !== b.exit || a.stdout !== b.stdout || a.cmds !== b.cmds || a.savedSha256 !== b.savedSha256) {
    throw new Error(`${mapName}/${name}: two runs differ although std::random_device is fixed`);
  }
  cases.push({
    name: `${mapName}/${name}`,
    map: `${mapName}.bin`,
    markUpIn,
    params: p,
    argv,
    exit: a.exit,
    assertFailed: a.assertFailed,
    stdout: a.stdout,
    cmds: a.cmds,
    savedSha256: a.savedSha256,
    log: logEntries(a.stderr),
  });
  process.stdout.write(`${mapName}/${name}: ${a.stdout.match(/prepared \d+\/\d+/g)?.join(' ') ?? ''}\n`);
}

const P = (o) => ({ dev: 1, max: 10, pools: [], active: false, save: false, aggressive: false, retries: 100, seed: 0, debug: 10, ...o });

for (const f of FAMILIES) {
  for (const v of [f.name, `${f.name}-items`, `${f.name}-shifted`]) {
    addCase(v, 'plain-dev1-max10', P({ debug: 20 }));
    addCase(v, 'plain-dev1-max100', P({ max: 100 }));
    addCase(v, 'plain-dev2-max5-active', P({ dev: 2, max: 5, active: true }));
    addCase(v, 'plain-dev5', P({ dev: 5 }));
    addCase(v, 'aggr-seed1-dev1-max100', P({ aggressive: true, seed: 1, max: 100 }));
    addCase(v, 'aggr-seed2-dev1-max20-retries3', P({ aggressive: true, seed: 2, max: 20, retries: 3, debug: 20 }));
    addCase(v, 'aggr-seed3-dev1-max50-retries0', P({ aggressive: true, seed: 3, max: 50, retries: 0 }));
    addCase(v, 'aggr-seed4-dev1-max10-active-save', P({ aggressive: true, seed: 4, active: true, save: true }));
  }
}
// the two early exits, which Pacific logs with lderr (printed at any debug level)
addCase('hosts', 'none-in', P({ markUpIn: false, debug: 1 }));
addCase('hosts', 'max-0', P({ max: 0, debug: 1 }));
addCase('racks-items', 'balanced-enough', P({ dev: 20, debug: 20 }));
for (const v of ['mon-states', 'mon-big']) {
  addCase(v, 'plain-dev1-max20', P({ max: 20 }));
  addCase(v, 'plain-dev1-max100-save', P({ max: 100, save: true }));
  addCase(v, 'aggr-seed5-dev1-max20', P({ aggressive: true, seed: 5, max: 20 }));
  addCase(v, 'aggr-seed6-dev1-max100-active', P({ aggressive: true, seed: 6, max: 100, active: true }));
  addCase(v, 'aggr-seed7-dev2-max30-retries1-save', P({ aggressive: true, seed: 7, dev: 2, max: 30, retries: 1, save: true }));
  for (const pool of ['rep', 'ec21', 'echost', 'ssd', 'grow', 'np2']) {
    addCase(v, `pool-${pool}-plain`, P({ pools: [pool], max: 20, debug: 20 }));
    addCase(v, `pool-${pool}-aggr-seed8`, P({ pools: [pool], aggressive: true, seed: 8, max: 20 }));
  }
  addCase(v, 'pools-rep-ec21-aggr-seed9-active', P({ pools: ['rep', 'ec21'], aggressive: true, seed: 9, max: 10, active: true }));
}
// seeded maps of the placement tests: many pools, weight sets, erasure pools with holes, temps, upmaps
// that cleanup cancels, OSDs that are down, out or missing. Some hold PGs on OSDs their pool's rule
// gives no weight, where Pacific aborts in ceph_assert(osd_weight.count(i.first)).
for (const v of PLACEMENT) {
  addCase(v, 'plain-dev1-max50', P({ max: 50 }));
  addCase(v, 'aggr-seed11-dev1-max50', P({ aggressive: true, seed: 11, max: 50 }));
  addCase(v, 'up-in-aggr-seed12-dev2-max20-active-retries2', P({ markUpIn: true, aggressive: true, seed: 12, dev: 2, max: 20, active: true, retries: 2 }));
  addCase(v, 'up-in-plain-dev1-max50-save', P({ markUpIn: true, max: 50, save: true }));
}

writeFileSync(
  join(OUT, 'cases.json.gz'),
  gzipSync(`${JSON.stringify(
    {
      about:
        'osdmaptool 16.2.15 --upmap runs (OSDMap::calc_pg_upmaps) recorded by scripts/osdmap-balancer/gen.mjs, with std::random_device made a fixed sequence by random-device-shim.so (TSCEPH_RANDOM_DEVICE_SEED = params.seed) and the clock stopped; log: the stderr log entries at --debug_osd params.debug as "LEVEL TEXT"',
      osdmaptool: execFileSync(OSDMAPTOOL, ['--version']).toString().trim(),
      maps,
      cases,
    },
    null,
    1,
  )}\n`, { level: 9 }),
);

// libstdc++'s std::shuffle with minstd_rand0 and mt19937, from the system's g++ (GCC 12, as Debian's Ceph)
const vectors = join(tmp, 'shuffle-vectors');
execFileSync('g++', ['-O2', '-std=c++17', '-o', vectors, join(root, 'scripts/osdmap-balancer/shuffle-vectors.cc')]);
const lines = execFileSync(vectors).toString().trim().split('\n');
writeFileSync(join(OUT, 'shuffle.json'), `[\n${lines.join(',\n')}\n]\n`);
rmSync(tmp, { recursive: true, force: true });
process.stdout.write(`${cases.length} cases\n`);
