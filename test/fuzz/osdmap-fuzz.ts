// Differential fuzzer: random OSDMaps (random CRUSH hierarchies and rules, replicated and erasure pools
// with any pg_num / pgp_num, hashpspool on and off, both object hashes, OSDs that are down, out,
// reweighted or absent, primary affinity, pg_temp, primary_temp, pg_upmap and pg_upmap_items), written
// by tsceph's encoder and read by Ceph's own osdmaptool and by tsceph's; every mapping, object
// placement and view the two print must be the same. Any difference is a bug in tsceph (Ceph is right):
// in the encoder (osdmaptool reads our bytes), the placement pipeline or the views.
//
// Usage: npm run fuzz:osdmap -- [--seconds N] [--iterations N] [--seed S] [--case SEED] [--out DIR]
//   --seconds N     stop starting new maps after N seconds (default 30)
//   --iterations N  stop after N maps instead (makes a whole run reproducible)
//   --seed S        the run's seed (default: from the clock; printed either way)
//   --case SEED     run the single map with this per-map seed (as printed in a failure report)
//   --out DIR       where reproducers go (default /tmp/tsceph-osdmap-fuzz)
//   --print SEED    print the CRUSH map text of one per-map seed, and run nothing
// Exit status: 0 no difference, 1 a difference was found, 2 osdmaptool is not installed.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../bin/osdmaptool.js';
import { firstLineDiff } from '../support/diff.js';
import { caseSeed, Rng } from '../support/rng.js';
import { compileCrushMap } from '../../crush/index.js';
import {
  CEPH_OSD_EXISTS,
  CEPH_OSD_UP,
  CEPH_STR_HASH_LINUX,
  CEPH_STR_HASH_RJENKINS,
  CRUSH_ITEM_NONE,
  calcPgMasks,
  decodeOSDMap,
  encodeOSDMap,
  newPgPool,
  OSDMap,
  PoolType,
  POOL_FLAG_HASHPSPOOL,
  type UpmapItem,
} from '../../common/osdmap/index.js';

const OSDMAPTOOL = process.env.OSDMAPTOOL ?? '/usr/bin/osdmaptool';
const CRUSHTOOL = process.env.CRUSHTOOL ?? '/usr/bin/crushtool';
// osdmaptool answers in milliseconds; when Pacific corrupts its heap (adjusting a zero CRUSH weight in
// a list bucket under --mark-up-in, for one) its fatal-signal handler can deadlock on the malloc lock,
// so a run that takes this long is taken as a crash.
const CEPH_TIMEOUT_MS = 10_000;

// ------------------------------------------------------------------ randomness

// ------------------------------------------------------------------ random maps

const TUNABLES: Record<string, string> = {
  legacy: '',
  firefly:
    'tunable choose_local_tries 0\ntunable choose_local_fallback_tries 0\ntunable choose_total_tries 50\n' +
    'tunable chooseleaf_descend_once 1\ntunable chooseleaf_vary_r 1\n',
  jewel:
    'tunable choose_local_tries 0\ntunable choose_local_fallback_tries 0\ntunable choose_total_tries 50\n' +
    'tunable chooseleaf_descend_once 1\ntunable chooseleaf_vary_r 1\ntunable chooseleaf_stable 1\n' +
    'tunable straw_calc_version 1\ntunable allowed_bucket_algs 54\n',
};

interface Spec {
  crushText: string;
  numDevices: number;
  rules: Array<{ id: number; type: 'replicated' | 'erasure' }>;
}

/** A CRUSH hierarchy root > racks > hosts > OSDs with a few rules of both types. */
function randomCrush(r: Rng): Spec {
  const numHosts = r.int(1, 8);
  const perHost = r.int(1, 5);
  const racks = r.int(1, Math.min(3, numHosts));
  const classes = r.chance(0.3);
  // Pacific builds no class shadow trees for uniform buckets (crushtool refuses such maps).
  const alg = r.pick(classes ? ['straw2', 'straw2', 'straw', 'list', 'tree'] : ['straw2', 'straw2', 'straw2', 'straw', 'list', 'tree', 'uniform']);
  let text = TUNABLES[r.pick(['jewel', 'jewel', 'firefly', 'legacy'])]!;
  const numDevices = numHosts * perHost;
  for (let i = 0; i < numDevices; i++) text += `device ${i} osd.${i}${classes ? ` class ${i % 3 === 2 ? 'ssd' : 'hdd'}` : ''}\n`;
  text += 'type 0 osd\ntype 1 host\ntype 2 rack\ntype 3 root\n';
  let id = -2;
  const hostOfRack: string[][] = Array.from({ length: racks }, () => []);
  const weightOf = new Map<string, number>();
  for (let h = 0; h < numHosts; h++) {
    const uniformWeight = r.pick([1, 2, 0.5]);
    let items = '';
    let sum = 0;
    for (let j = 0; j < perHost; j++) {
      const w = alg === 'uniform' ? uniformWeight : r.pick([0, 0.5, 1, 1, 1, 2, 3.5, 10]);
      items += `\titem osd.${h * perHost + j} weight ${w.toFixed(3)}\n`;
      sum += w;
    }
    text += `host host${h} {\n\tid ${id--}\n\talg ${alg}\n\thash 0\n${items}}\n`;
    weightOf.set(`host${h}`, sum);
    hostOfRack[h % racks]!.push(`host${h}`);
  }
  const rackAlg = alg === 'uniform' ? 'straw2' : alg;
  let rootItems = '';
  for (let k = 0; k < racks; k++) {
    let items = '';
    let sum = 0;
    for (const h of hostOfRack[k]!) {
      items += `\titem ${h} weight ${weightOf.get(h)!.toFixed(3)}\n`;
      sum += weightOf.get(h)!;
    }
    text += `rack rack${k} {\n\tid ${id--}\n\talg ${rackAlg}\n\thash 0\n${items}}\n`;
    rootItems += `\titem rack${k} weight ${sum.toFixed(3)}\n`;
  }
  text += `root default {\n\tid -1\n\talg ${rackAlg}\n\thash 0\n${rootItems}}\n`;
  const take = classes && r.chance(0.5) ? 'step take default class hdd' : 'step take default';
  const rules: Spec['rules'] = [
    { id: 0, type: 'replicated' },
    { id: 1, type: 'erasure' },
    { id: 2, type: 'replicated' },
    { id: 3, type: 'erasure' },
  ];
  text +=
    `rule rep_host {\n\tid 0\n\ttype replicated\n\tmin_size 1\n\tmax_size 10\n\t${take}\n\tstep chooseleaf firstn 0 type host\n\tstep emit\n}\n` +
    `rule ec_host {\n\tid 1\n\ttype erasure\n\tmin_size 3\n\tmax_size 20\n\tstep set_chooseleaf_tries 5\n\tstep set_choose_tries 100\n` +
    `\t${take}\n\tstep chooseleaf indep 0 type host\n\tstep emit\n}\n` +
    `rule rep_osd {\n\tid 2\n\ttype replicated\n\tmin_size 1\n\tmax_size 10\n\tstep take default\n\tstep choose firstn 0 type osd\n\tstep emit\n}\n` +
    `rule ec_osd {\n\tid 3\n\ttype erasure\n\tmin_size 3\n\tmax_size 20\n\tstep take default\n\tstep choose indep 0 type osd\n\tstep emit\n}\n`;
  return { crushText: text, numDevices, rules };
}

function randomUuid(r: Rng): string {
  const b = Buffer.alloc(16);
  for (let i = 0; i < 16; i += 4) b.writeUInt32LE(r.u32(), i);
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** An OSD id for temp/upmap entries: mostly real ones, sometimes absent, out of range or NONE. */
function randomOsdRef(r: Rng, maxOsd: number, erasure: boolean): number {
  const x = r.next();
  if (x < 0.85) return r.int(0, Math.max(0, maxOsd - 1));
  if (x < 0.92) return maxOsd + r.int(0, 3);
  return erasure ? CRUSH_ITEM_NONE : r.int(0, Math.max(0, maxOsd - 1));
}

export function randomOsdMap(seed: number): OSDMap {
  const r = new Rng(seed);
  const spec = randomCrush(r);
  const m = new OSDMap();
  try {
    m.crush = compileCrushMap(spec.crushText);
  } catch (e) {
    throw new Error(`case ${seed}: tsceph's compiler refused the generated CRUSH map (npm run fuzz:osdmap -- --print ${seed}): ${(e as Error).message}`);
  }
  m.fsid = randomUuid(r);
  m.epoch = r.int(1, 5000);
  m.created = { sec: 1700000000 + r.int(0, 1e7), nsec: r.int(0, 999999999) };
  m.modified = { sec: m.created.sec + r.int(0, 1e6), nsec: r.int(0, 999999999) };
  m.requireOsdRelease = 16;
  m.requireMinCompatClient = r.pick([0, 12, 14]);
  m.fullRatio = Math.fround(0.95);
  m.backfillfullRatio = Math.fround(0.9);
  m.nearfullRatio = Math.fround(0.85);
  m.erasureCodeProfiles.set('default', new Map([['k', '2'], ['m', '1'], ['plugin', 'jerasure'], ['technique', 'reed_sol_van']]));
  const maxOsd = spec.numDevices + r.int(0, 3);
  m.setMaxOsd(maxOsd);
  for (let i = 0; i < maxOsd; i++) {
    if (!r.chance(0.88)) continue;
    m.osdState[i] = CEPH_OSD_EXISTS | (r.chance(0.8) ? CEPH_OSD_UP : 0);
    const w = r.next();
    m.osdWeight[i] = w < 0.7 ? 0x10000 : w < 0.85 ? 0 : r.int(1, 0xffff);
    m.osdUuid[i] = randomUuid(r);
    m.osdInfo[i]!.upFrom = r.int(0, m.epoch);
    m.osdInfo[i]!.upThru = r.int(0, m.epoch);
  }
  if (r.chance(0.3)) {
    for (let i = 0; i < maxOsd; i++) {
      if (r.chance(0.4)) m.setPrimaryAffinity(i, r.pick([0, 0x10000, r.int(0, 0x10000), 0x4000]));
    }
  }
  const numPools = r.int(1, 3);
  for (let pid = 1; pid <= numPools; pid++) {
    const p = newPgPool();
    const erasure = r.chance(0.35);
    p.type = erasure ? PoolType.Erasure : PoolType.Replicated;
    p.size = erasure ? r.int(3, 6) : r.int(1, 4);
    p.minSize = Math.max(1, p.size - 1);
    const wanted = erasure ? 'erasure' : 'replicated';
    const fitting = spec.rules.filter((x) => x.type === wanted);
    // Now and then a rule of the other type: Pacific's find_rule then finds nothing.
    p.crushRule = r.chance(0.05) ? r.pick(spec.rules).id : r.pick(fitting).id;
    p.objectHash = r.chance(0.8) ? CEPH_STR_HASH_RJENKINS : CEPH_STR_HASH_LINUX;
    p.pgNum = r.chance(0.3) ? 1 << r.int(0, 8) : r.int(1, 300);
    p.pgpNum = r.chance(0.6) ? p.pgNum : r.int(1, p.pgNum);
    p.pgNumTarget = p.pgNum;
    p.pgpNumTarget = p.pgpNum;
    p.pgNumPending = p.pgNum;
    p.flags = r.chance(0.75) ? POOL_FLAG_HASHPSPOOL : 0;
    p.lastChange = r.int(1, m.epoch);
    p.pgAutoscaleMode = r.pick([0, 1, 2]);
    p.createTime = { ...m.created };
    if (erasure) {
      p.erasureCodeProfile = 'default';
      p.stripeWidth = 8192;
    }
    calcPgMasks(p);
    m.pools.set(pid, p);
    m.poolName.set(pid, `pool${pid}`);
    const pgs = (): number => r.int(0, p.pgNum - 1);
    for (let k = r.chance(0.5) ? r.int(1, 6) : 0; k > 0; k--) {
      const n = r.int(1, p.size + 1);
      m.pgTemp.set(pid, pgs(), Array.from({ length: n }, () => randomOsdRef(r, maxOsd, erasure)));
    }
    // A primary_temp past max_osd makes Pacific's tester index past its vectors (undefined behaviour).
    for (let k = r.chance(0.3) ? r.int(1, 4) : 0; k > 0; k--) m.primaryTemp.set(pid, pgs(), r.int(0, maxOsd - 1));
    for (let k = r.chance(0.4) ? r.int(1, 6) : 0; k > 0; k--) {
      m.pgUpmap.set(pid, pgs(), Array.from({ length: r.int(1, p.size) }, () => randomOsdRef(r, maxOsd, erasure)));
    }
    for (let k = r.chance(0.5) ? r.int(1, 8) : 0; k > 0; k--) {
      const items: UpmapItem[] = Array.from({ length: r.int(1, 3) }, () => [randomOsdRef(r, maxOsd, false), randomOsdRef(r, maxOsd, erasure)]);
      m.pgUpmapItems.set(pid, pgs(), items);
    }
  }
  m.poolMax = numPools;
  return m;
}

/** What each case asks both tools, derived from the seed so a reproducer replays the same commands. */
function caseArgs(seed: number, m: OSDMap, cephBuilt: boolean): string[][] {
  const r = new Rng(seed ^ 0x5bd1e995);
  const up = cephBuilt ? ['--mark-up-in'] : [];
  const runs: string[][] = [['map.bin', ...up, '--print', '--tree', '--test-map-pgs-dump-all']];
  const marks: string[] = [...up];
  if (!cephBuilt && r.chance(0.3)) marks.push('--mark-up-in');
  if (r.chance(0.2)) marks.push('--mark-out', String(r.int(0, m.maxOsd - 1)));
  if (marks.length > up.length) runs.push(['map.bin', ...marks, '--test-map-pgs-dump-all']);
  if (r.chance(0.3)) runs.push(['map.bin', '--dump', 'json-pretty']);
  const pools = [...m.pools.keys()];
  const pool = r.pick(pools);
  runs.push(['map.bin', ...up, '--test-map-pgs', '--pool', String(pool)]);
  const names = ['foo', `obj-${r.u32()}`, `rbd_data.${r.u32().toString(16)}.000000000000000${r.int(0, 9)}`, 'x'.repeat(r.int(1, 200))];
  runs.push(['map.bin', ...up, '--test-map-object', r.pick(names), '--pool', String(pool)]);
  return runs;
}

// ------------------------------------------------------------------ running both tools

interface Run {
  stdout: string;
  stderr: string;
  exit: number;
}

function ceph(dir: string, args: string[]): Run {
  const r = spawnSync(OSDMAPTOOL, args, {
    cwd: dir,
    argv0: 'osdmaptool',
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', TZ: 'UTC', CEPH_CONF: '/dev/null' },
    maxBuffer: 1 << 28,
    encoding: 'latin1',
    timeout: CEPH_TIMEOUT_MS,
    killSignal: 'SIGKILL',
  });
  const exit = r.status ?? (r.signal !== null ? 128 + (osConstants.signals[r.signal] ?? 0) : -1);
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', exit };
}

async function tsceph(dir: string, args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  let exit: number;
  try {
    exit = await main(args, {
      stdout: (s) => out.push(s),
      stderr: (s) => err.push(s),
      cwd: dir,
      argv0: 'osdmaptool',
      cephArgs: undefined,
      tz: 'UTC',
    });
  } catch (e) {
    err.push(`main() threw: ${(e as Error).stack ?? String(e)}\n`);
    exit = -999;
  }
  return { stdout: out.join(''), stderr: err.join(''), exit };
}

/** Ceph died of a signal, or hung in its own fatal-signal handler: its output can't be compared. */
function cephCrashed(c: Run): boolean {
  return c.stderr.includes('ceph_assert') || c.stderr.includes('*** Caught signal') || c.exit >= 128;
}

interface Difference {
  command: string;
  detail: string;
}

/**
 * A map built by Ceph's own tools, as an operator would: crushtool compiles the random CRUSH text,
 * osdmaptool --createsimple makes the map (pg bits at random), --import-crush puts the CRUSH map in, and
 * now and then --adjust-crush-weight --save moves it on by an incremental. Its OSDs do not exist until
 * --mark-up-in, which caseArgs then always passes.
 */
function cephBuiltMap(seed: number, dir: string): OSDMap | null {
  const r = new Rng(seed ^ 0x2545f491);
  const spec = randomCrush(new Rng(seed));
  writeFileSync(join(dir, 'crush.txt'), spec.crushText);
  const tool = (cmd: string, args: string[]): boolean =>
    spawnSync(cmd, args, { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', CEPH_CONF: '/dev/null' }, timeout: CEPH_TIMEOUT_MS }).status === 0;
  const n = spec.numDevices + r.int(0, 3);
  if (!tool(CRUSHTOOL, ['-c', 'crush.txt', '-o', 'crush.bin'])) return null;
  const create = ['--createsimple', String(n), '--with-default-pool', '--pg-bits', String(r.int(0, 5)), 'map.bin', '--clobber'];
  if (r.chance(0.5)) create.push('--pgp-bits', String(r.int(0, 5)));
  if (!tool(OSDMAPTOOL, create) || !tool(OSDMAPTOOL, ['map.bin', '--import-crush', 'crush.bin'])) return null;
  if (r.chance(0.3)) {
    const adj = Array.from({ length: r.int(1, 3) }, () => `${r.int(0, spec.numDevices - 1)}:${r.pick(['0', '0.5', '2', '1.25'])}`);
    if (!tool(OSDMAPTOOL, ['map.bin', '--adjust-crush-weight', adj.join(','), '--save'])) return null;
  }
  return decodeOSDMap(readFileSync(join(dir, 'map.bin')));
}

async function checkCase(seed: number, dir: string): Promise<{ diffs: Difference[]; crashed: boolean; runs: number }> {
  let m: OSDMap | null = null;
  let cephBuilt = false;
  if (new Rng(seed ^ 0x68e31da4).chance(0.25)) {
    m = cephBuiltMap(seed, dir);
    cephBuilt = m !== null;
  }
  if (m === null) {
    m = randomOsdMap(seed);
    writeFileSync(join(dir, 'map.bin'), encodeOSDMap(m));
  }
  const diffs: Difference[] = [];
  let crashed = false;
  const all = caseArgs(seed, m, cephBuilt);
  for (const args of all) {
    const c = ceph(dir, args);
    const t = await tsceph(dir, args);
    const command = `osdmaptool ${args.join(' ')}`;
    if (cephCrashed(c)) {
      // Pacific's heap corruption decides whether and how it dies; tsceph stops with an emulated
      // crash where it can tell. Only a clean tsceph exit next to a Ceph crash would be suspicious,
      // and even that depends on glibc's heap layout, so it is counted, not failed.
      crashed = true;
      continue;
    }
    if (c.exit !== t.exit) {
      diffs.push({ command, detail: `exit ${c.exit} (ceph) vs ${t.exit} (tsceph); ceph stderr ${JSON.stringify(c.stderr.slice(0, 300))}, tsceph stderr ${JSON.stringify(t.stderr.slice(0, 300))}` });
    } else if (c.stdout !== t.stdout) {
      diffs.push({ command, detail: `stdout ${firstLineDiff(c.stdout, t.stdout)}` });
    } else if (c.stderr !== t.stderr) {
      diffs.push({ command, detail: `stderr ${firstLineDiff(c.stderr, t.stderr)}` });
    }
  }
  return { diffs, crashed, runs: all.length };
}

function parseArgs(argv: string[]): { seconds: number; iterations: number; seed: number; single: number | null; out: string } {
  const o = {
    seconds: 30,
    iterations: Infinity,
    seed: (Date.now() ^ (process.pid << 16)) >>> 0,
    single: null as number | null,
    out: join(tmpdir(), 'tsceph-osdmap-fuzz'),
  };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1] ?? '';
    switch (argv[i]) {
      case '--seconds': o.seconds = Number(v); i++; break;
      case '--iterations': o.iterations = Number(v); i++; break;
      case '--seed': o.seed = Number(v) >>> 0; i++; break;
      case '--case': o.single = Number(v) >>> 0; i++; break;
      case '--out': o.out = v; i++; break;
      case '--print': {
        process.stdout.write(randomCrush(new Rng(Number(v) >>> 0)).crushText);
        process.exit(0);
      }
      default: throw new Error(`osdmap-fuzz: unknown argument ${argv[i]}`);
    }
  }
  return o;
}

async function fuzz(): Promise<number> {
  if (!existsSync(OSDMAPTOOL)) {
    console.log(`osdmap-fuzz: ${OSDMAPTOOL} is not installed (Debian's ceph-base 16.2.15 provides it); nothing to compare against`);
    return 2;
  }
  const o = parseArgs(process.argv.slice(2));
  mkdirSync(o.out, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'osdmap-fuzz-'));
  const started = Date.now();
  let maps = 0;
  let runs = 0;
  let failures = 0;
  const crashes: number[] = [];
  console.log(`osdmap-fuzz: seed ${o.seed}${o.single !== null ? `, single case ${o.single}` : ''}, ${o.seconds}s, reproducers in ${o.out}`);
  try {
    for (let i = 0; ; i++) {
      if (o.single === null && (i >= o.iterations || Date.now() - started > o.seconds * 1000)) break;
      if (o.single !== null && i > 0) break;
      const seed = o.single ?? caseSeed(o.seed, i);
      const { diffs, crashed, runs: n } = await checkCase(seed, dir);
      maps++;
      runs += n;
      if (crashed) crashes.push(seed);
      if (diffs.length === 0) continue;
      failures++;
      const file = join(o.out, `osdmap-fuzz-${seed}.bin`);
      copyFileSync(join(dir, 'map.bin'), file);
      console.log(`DIFFERENCE case ${seed} (run seed ${o.seed}, map #${i}):`);
      for (const d of diffs) console.log(`  ${d.command}\n    ${d.detail}`);
      console.log(`  map: ${file} (replay: npm run fuzz:osdmap -- --case ${seed}; by hand: osdmaptool ${file} ... vs node dist/bin/osdmaptool.js ${file} ...)`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`osdmap-fuzz: ${maps} maps, ${runs} osdmaptool runs compared, ${failures} with differences, ${crashes.length} crashed Ceph, ${secs}s, seed ${o.seed}`);
  if (crashes.length) console.log(`osdmap-fuzz: osdmaptool crashed on cases ${crashes.slice(0, 20).join(', ')} (exit status compared only)`);
  return failures > 0 ? 1 : 0;
}

fuzz().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(`osdmap-fuzz: ${(e as Error).stack ?? String(e)}`);
    process.exitCode = 1;
  },
);
