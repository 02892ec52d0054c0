// Differential fuzzer: random CRUSH maps compiled, decompiled, shown (--tree/--dump), edited and mapped by Ceph's crushtool and by tsceph's, and mapped again in the same run as an edit or a compile (Ceph's in-memory state); any difference is a bug in one of them (and Ceph is right), unless it comes from Pacific reading heap memory it never wrote (then it is counted, not compared).
//
// Usage: npm run fuzz:crush -- [--seconds N] [--iterations N] [--seed S] [--case SEED] [--out DIR]
//   --seconds N     stop starting new maps after N seconds (default 30)
//   --iterations N  stop after N maps instead (makes a whole run reproducible)
//   --seed S        the run's seed (default: from the clock; printed either way)
//   --case SEED     run the single map with this per-map seed (as printed in a failure report)
//   --out DIR       where reproducers go (default /tmp/tsceph-crush-fuzz)
//   --print SEED    print the map and the --test arguments of one per-map seed, and run nothing
// Exit status: 0 no difference, 1 a difference was found, 2 crushtool is not installed.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../bin/crushtool.js';
import { firstLineDiff } from '../support/diff.js';
import { caseSeed, Rng } from '../support/rng.js';
import { decodeCrushMap } from '../../crush/encoding.js';
import { treeReadsPastCalloc } from '../crush/pacific-heap.js';

const CRUSHTOOL = process.env.CRUSHTOOL ?? '/usr/bin/crushtool';

// ------------------------------------------------------------------ randomness

// ------------------------------------------------------------------ random maps

interface Device {
  id: number;
  name: string;
  cls: string | null;
}
interface Bucket {
  type: string;
  name: string;
  id: number | null; // null: let the compiler pick
  alg: string;
  items: [string, number | null][];
}
interface Rule {
  name: string;
  id: number;
  type: 'replicated' | 'erasure';
  steps: string[];
}
interface ChooseArgEntry {
  bucketId: number;
  weightSet: number[][];
  ids: number[] | null;
}
interface MapSpec {
  tunables: [string, number][];
  devices: Device[];
  types: [number, string][];
  buckets: Bucket[];
  rules: Rule[];
  chooseArgs: { id: string; entries: ChooseArgEntry[] }[];
}

const PROFILES: Record<string, [string, number][]> = {
  legacy: [],
  bobtail: [['choose_local_tries', 0], ['choose_local_fallback_tries', 0], ['choose_total_tries', 50], ['chooseleaf_descend_once', 1]],
  firefly: [['choose_local_tries', 0], ['choose_local_fallback_tries', 0], ['choose_total_tries', 50], ['chooseleaf_descend_once', 1],
    ['chooseleaf_vary_r', 1]],
  hammer: [['choose_local_tries', 0], ['choose_local_fallback_tries', 0], ['choose_total_tries', 50], ['chooseleaf_descend_once', 1],
    ['chooseleaf_vary_r', 1], ['allowed_bucket_algs', 54]],
  jewel: [['choose_local_tries', 0], ['choose_local_fallback_tries', 0], ['choose_total_tries', 50], ['chooseleaf_descend_once', 1],
    ['chooseleaf_vary_r', 1], ['chooseleaf_stable', 1], ['straw_calc_version', 1], ['allowed_bucket_algs', 54]],
};

const ALGS = ['uniform', 'list', 'tree', 'straw', 'straw2'] as const;
const WEIGHTS = [0, 0.001, 0.1, 0.25, 0.5, 1, 1, 1, 1.5, 2, 3.333, 7, 10, 99.999];

function randomWeight(r: Rng): number {
  return r.chance(0.8) ? r.pick(WEIGHTS) : r.int(0, 20000) / 1000;
}

function fmt(w: number): string {
  return w.toFixed(3);
}

function randomMap(seed: number): MapSpec {
  const r = new Rng(seed);
  const levelNames = r.pick([['host', 'root'], ['host', 'rack', 'root'], ['host', 'rack', 'row', 'root'], ['root']]);
  const types: [number, string][] = [[0, 'osd']];
  levelNames.forEach((n, i) => types.push([i + 1 + (r.chance(0.2) ? 5 : 0) * (i > 0 ? 1 : 0), n]));
  // type ids must stay unique and increasing
  for (let i = 1; i < types.length; i++) if (types[i][0] <= types[i - 1][0]) types[i][0] = types[i - 1][0] + 1;
  const classes = r.chance(0.5) ? r.pick([['hdd'], ['hdd', 'ssd'], ['ssd', 'nvme', 'hdd']]) : [];

  const devices: Device[] = [];
  const buckets: Bucket[] = [];
  let nextDev = 0;
  // Buckets without an id get the first free id from the compiler, in text order. Explicit ids then
  // start below any id it could hand out: Pacific's crushtool corrupts memory when the two collide.
  const omitIds = r.chance(0.1);
  let nextBucketId = omitIds ? -40 : -1;
  const takeId = (): number | null => {
    if (omitIds && r.chance(0.3)) return null;
    const id = nextBucketId;
    nextBucketId -= r.chance(0.2) ? r.int(2, 3) : 1;
    return id;
  };
  // build bottom-up: a level's buckets each get 1..fan children from the level below
  let below: { name: string; weight: number }[] = [];
  for (let li = 0; li < levelNames.length; li++) {
    const level = levelNames[li];
    const count = level === 'root' ? 1 : li === 0 ? r.int(1, 6) : Math.max(1, Math.ceil(below.length / r.int(1, 4)));
    const current: { name: string; weight: number }[] = [];
    let cursor = 0;
    for (let b = 0; b < count; b++) {
      // With device classes uniform buckets stay out: Pacific cannot clone them into shadow trees (the
      // clone refuses every weight but 0), its --test workspace can overrun on what is left (heap
      // corruption), and the edits of such maps whose rebuild fails (insert_item, move, add-bucket)
      // are not reproduced yet. Tree buckets are cloned into shadow trees with uninitialised node
      // weights; the mapper's reads past their items are compared where they stay inside the
      // decoder's zeroed calloc slack (see pacificHeapReads).
      const alg = classes.length > 0 ? r.pick(ALGS.filter((a) => a !== 'uniform')) : r.pick(ALGS);
      const items: [string, number | null][] = [];
      let sum = 0;
      if (li === 0) {
        const n = r.int(1, 7);
        const uniformWeight = randomWeight(r);
        for (let k = 0; k < n; k++) {
          const id = nextDev;
          nextDev += r.chance(0.1) ? 2 : 1; // occasional gaps in device ids
          const cls = classes.length > 0 && r.chance(0.9) ? r.pick(classes) : null;
          devices.push({ id, name: `osd.${id}`, cls });
          const w = alg === 'uniform' ? uniformWeight : randomWeight(r);
          items.push([`osd.${id}`, w]);
          sum += w;
        }
      } else {
        const remaining = below.length - cursor;
        const bucketsLeft = count - b;
        const n = b === count - 1 ? remaining : Math.max(1, Math.min(remaining - (bucketsLeft - 1), r.int(1, 4)));
        const kids = below.slice(cursor, cursor + n);
        cursor += n;
        const uniformOk = kids.every((k) => k.weight === kids[0].weight);
        for (const k of kids) {
          items.push([k.name, r.chance(0.1) ? randomWeight(r) : null]);
          sum += k.weight;
        }
        if (alg === 'uniform' && !uniformOk) {
          buckets.push({ type: level, name: `${level}${b}`, id: takeId(), alg: 'straw2', items });
          current.push({ name: `${level}${b}`, weight: sum });
          continue;
        }
        if (alg === 'uniform') for (const it of items) it[1] = null;
      }
      const name = level === 'root' ? 'default' : `${level}${b}`;
      buckets.push({ type: level, name, id: takeId(), alg, items });
      current.push({ name, weight: sum });
    }
    below = current;
  }

  // tunables: a profile, sometimes with one or two values changed
  const tun = new Map<string, number>(PROFILES[r.pick(Object.keys(PROFILES))]);
  const knobs: [string, () => number][] = [
    ['choose_local_tries', () => r.int(0, 3)], ['choose_local_fallback_tries', () => r.int(0, 5)],
    ['choose_total_tries', () => r.int(1, 60)], ['chooseleaf_descend_once', () => r.int(0, 1)],
    ['chooseleaf_vary_r', () => r.int(0, 3)], ['chooseleaf_stable', () => r.int(0, 1)],
    ['straw_calc_version', () => r.int(0, 1)],
  ];
  for (let k = r.int(0, 2); k > 0; k--) {
    const [name, f] = r.pick(knobs);
    if (tun.size === 0) for (const [n, v] of PROFILES.bobtail) tun.set(n, v);
    tun.set(name, f());
  }
  const order = ['choose_local_tries', 'choose_local_fallback_tries', 'choose_total_tries', 'chooseleaf_descend_once',
    'chooseleaf_vary_r', 'chooseleaf_stable', 'straw_calc_version', 'allowed_bucket_algs'];
  const tunables: [string, number][] = order.filter((n) => tun.has(n)).map((n) => [n, tun.get(n)!]);

  // rules
  const rules: Rule[] = [];
  const typeNames = types.map((t) => t[1]);
  const nRules = r.int(1, 4);
  const usedClasses = [...new Set(devices.map((d) => d.cls).filter((c): c is string => c !== null))];
  for (let i = 0; i < nRules; i++) {
    const steps: string[] = [];
    const indep = r.chance(0.4);
    for (const s of ['set_choose_tries', 'set_chooseleaf_tries', 'set_choose_local_tries', 'set_choose_local_fallback_tries',
      'set_chooseleaf_vary_r', 'set_chooseleaf_stable']) {
      if (r.chance(0.08)) steps.push(`${s} ${s.endsWith('vary_r') ? r.int(0, 3) : s.endsWith('stable') ? r.int(0, 1) : r.int(0, 10)}`);
    }
    const blocks = r.chance(0.15) ? 2 : 1;
    for (let b = 0; b < blocks; b++) {
      const takeName = r.chance(0.8) ? 'default' : r.pick(buckets).name;
      // (a take of a device that is emitted as is also ends at a device)
      const cls = usedClasses.length > 0 && r.chance(0.4) ? ` class ${r.pick(usedClasses)}` : '';
      steps.push(`take ${takeName}${cls}`);
      const nChoose = r.chance(0.25) ? 2 : 1;
      for (let c = 0; c < nChoose; c++) {
        const mode = indep ? 'indep' : 'firstn';
        const num = r.pick([0, 0, 0, 1, 2, 3, 4, -1]);
        const type = r.pick(typeNames.slice(0, -1).length > 0 ? typeNames.slice(0, -1) : typeNames);
        // The last choose must end at devices: crushtool's tester counts results in a per-device
        // array indexed by the item id, so a rule that emits buckets corrupts Ceph's heap.
        const leaf = (c === nChoose - 1 && type !== 'osd') || r.chance(0.5);
        steps.push(`${leaf ? 'chooseleaf' : 'choose'} ${mode} ${num} type ${type}`);
      }
      steps.push('emit');
    }
    rules.push({ name: `rule${i}`, id: i, type: indep ? 'erasure' : 'replicated', steps });
  }

  // choose_args for some buckets that have an explicit id
  const chooseArgs: MapSpec['chooseArgs'] = [];
  if (r.chance(0.35)) {
    const id = r.pick(['0', '18446744073709551615', '1']);
    const positions = r.int(1, 3);
    const entries: ChooseArgEntry[] = [];
    for (const b of buckets) {
      if (b.id === null || !r.chance(0.6)) continue;
      const n = b.items.length;
      const weightSet = r.chance(0.85) ? Array.from({ length: positions }, () => Array.from({ length: n }, () => randomWeight(r))) : [];
      const ids = r.chance(0.3) ? Array.from({ length: n }, () => r.int(-50, 50)) : null;
      if (weightSet.length === 0 && ids === null) continue;
      entries.push({ bucketId: b.id, weightSet, ids });
    }
    if (entries.length > 0) chooseArgs.push({ id, entries });
  }
  return { tunables, devices, types, buckets, rules, chooseArgs };
}

function mapText(m: MapSpec): string {
  const out: string[] = [];
  for (const [k, v] of m.tunables) out.push(`tunable ${k} ${v}`);
  for (const d of m.devices) out.push(`device ${d.id} ${d.name}${d.cls !== null ? ` class ${d.cls}` : ''}`);
  for (const [id, n] of m.types) out.push(`type ${id} ${n}`);
  for (const b of m.buckets) {
    out.push(`${b.type} ${b.name} {`);
    if (b.id !== null) out.push(`\tid ${b.id}`);
    out.push(`\talg ${b.alg}`, '\thash 0');
    for (const [n, w] of b.items) out.push(w === null ? `\titem ${n}` : `\titem ${n} weight ${fmt(w)}`);
    out.push('}');
  }
  for (const r of m.rules) {
    out.push(`rule ${r.name} {`, `\tid ${r.id}`, `\ttype ${r.type}`, '\tmin_size 1', '\tmax_size 10');
    for (const s of r.steps) out.push(`\tstep ${s}`);
    out.push('}');
  }
  for (const ca of m.chooseArgs) {
    out.push(`choose_args ${ca.id} {`);
    for (const e of ca.entries) {
      out.push('  {', `    bucket_id ${e.bucketId}`);
      if (e.weightSet.length > 0) {
        out.push('    weight_set [');
        for (const ws of e.weightSet) out.push(`      [ ${ws.map(fmt).join(' ')} ]`);
        out.push('    ]');
      }
      if (e.ids !== null) out.push(`    ids [ ${e.ids.join(' ')} ]`);
      out.push('  }');
    }
    out.push('}');
  }
  return out.join('\n') + '\n';
}

// ------------------------------------------------------------------ running both tools

interface Run {
  stdout: string;
  stderr: string;
  exit: number;
  signal?: NodeJS.Signals | null;
}

/** Ceph's crash handler can hang after a heap corruption; such a run is dropped, not compared. */
const CEPH_TIMEOUT_MS = 10_000;

function ceph(dir: string, args: string[]): Run {
  const r = spawnSync(CRUSHTOOL, args, { cwd: dir, argv0: 'crushtool', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
    maxBuffer: 1 << 28, encoding: 'utf8', timeout: CEPH_TIMEOUT_MS, killSignal: 'SIGKILL' });
  // As a shell reports it: 128 + the signal number when crushtool died of a signal.
  const exit = r.status ?? (r.signal !== null ? 128 + (osConstants.signals[r.signal] ?? 0) : -1);
  return { stdout: r.stdout ?? '', stderr: r.stderr ?? '', exit, signal: r.signal };
}

async function tsceph(dir: string, args: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  let exit: number;
  try {
    exit = await main(args, { stdout: (s) => out.push(s), stderr: (s) => err.push(s), cwd: dir, argv0: 'crushtool', readStdin: () => null });
  } catch (e) {
    err.push(`main() threw: ${(e as Error).stack ?? String(e)}\n`);
    exit = -999;
  }
  return { stdout: out.join(''), stderr: err.join(''), exit };
}

interface Difference {
  what: string;
  command: string;
  detail: string;
}

/** Ceph's assert/abort report carries timestamps, addresses and thread ids: only its exit status can match. */
function cephCrashed(c: Run): boolean {
  return c.stderr.includes('ceph_assert') || c.stderr.includes('*** Caught signal');
}

function cmp(what: string, command: string, c: Run, t: Run, stderrToo: boolean): Difference | null {
  if (cephCrashed(c)) stderrToo = false;
  if (c.exit !== t.exit) return { what, command, detail: `exit ${c.exit} (ceph) vs ${t.exit} (tsceph); ceph stderr ${JSON.stringify(c.stderr.slice(0, 300))}, tsceph stderr ${JSON.stringify(t.stderr.slice(0, 300))}` };
  if (c.stdout !== t.stdout) return { what, command, detail: `stdout ${firstLineDiff(c.stdout, t.stdout)}` };
  if (stderrToo && c.stderr !== t.stderr) return { what, command, detail: `stderr ${firstLineDiff(c.stderr, t.stderr)}` };
  return null;
}

/** The test plan for one map, derived from its seed so a reproducer replays the same commands. */
function testArgs(seed: number, m: MapSpec): string[] {
  const r = new Rng(seed ^ 0x5bd1e995);
  const args = ['-i', 'ceph.bin', '--test', '--show-mappings', '--num-rep', String(r.int(1, 7)), '--min-x', '0', '--max-x', String(r.int(100, 1023))];
  const n = r.chance(0.5) ? r.int(1, 3) : 0;
  for (let i = 0; i < n && m.devices.length > 0; i++) {
    args.push('--weight', String(r.pick(m.devices).id), r.pick(['0', '0.5', '0.25', '0.9', '1']));
  }
  if (r.chance(0.2)) args.push('--pool-id', String(r.int(0, 20)));
  if (r.chance(0.2)) args.push('--show-statistics');
  if (r.chance(0.15)) args.push('--show-bad-mappings');
  if (r.chance(0.1)) args.push(r.pick(['--show-utilization', '--show-utilization-all', '--show-choose-tries']));
  return args;
}

/** One random edit of the compiled map (or none), derived from the map's seed. */
function editArgs(seed: number, m: MapSpec): string[] | null {
  const r = new Rng(seed ^ 0x27d4eb2f);
  if (!r.chance(0.4)) return null;
  const buckets = m.buckets;
  const typeOf = (name: string): string | undefined => buckets.find((b) => b.name === name)?.type;
  const parentType = (t: string): string | undefined => {
    const i = m.types.findIndex((x) => x[1] === t);
    return i >= 0 && i + 1 < m.types.length ? m.types[i + 1][1] : undefined;
  };
  const bucketOfType = (t: string | undefined): Bucket | undefined => {
    const xs = buckets.filter((b) => b.type === t);
    return xs.length > 0 ? r.pick(xs) : undefined;
  };
  const dev = m.devices.length > 0 ? r.pick(m.devices) : undefined;
  const b = r.pick(buckets);
  const newId = m.devices.reduce((a, d) => Math.max(a, d.id), -1) + r.int(1, 3);
  const leafType = m.types[1]?.[1] ?? 'root';
  const host = bucketOfType(leafType);
  const w = r.pick(['0', '0.5', '1', '2.25', '7']);
  const classes = [...new Set(m.devices.map((d) => d.cls).filter((c): c is string => c !== null))];
  switch (r.int(0, 10)) {
    case 0: return dev ? ['--reweight-item', dev.name, w] : null;
    case 1: return ['--reweight-item', b.name, w];
    case 2: return dev ? ['--remove-item', dev.name] : null;
    case 3: return host ? ['--add-item', String(newId), w, `osd.${newId}`, '--loc', host.type, host.name] : null;
    case 4: return dev && host ? ['--update-item', String(dev.id), w, dev.name, '--loc', host.type, host.name] : null;
    case 5: {
      const pt = parentType(b.type);
      const dest = bucketOfType(pt);
      return dest && b.name !== 'default' ? ['--move', b.name, '--loc', dest.type, dest.name] : null;
    }
    case 6: {
      const pt = parentType(typeOf(b.name) ?? 'root');
      return ['--add-bucket', 'newbucket', b.type, ...(pt ? ['--loc', pt, bucketOfType(pt)?.name ?? 'default'] : [])];
    }
    case 7: return ['--reweight'];
    case 8: return ['--create-replicated-rule', 'newrule', 'default', r.pick(m.types)[1],
      ...(classes.length > 0 && r.chance(0.5) ? ['--device-class', r.pick(classes)] : [])];
    case 9: return ['--create-simple-rule', 'newrule', 'default', r.pick(m.types)[1], r.pick(['firstn', 'indep'])];
    default: return [r.pick(['--set-choose-total-tries', '--set-chooseleaf-vary-r', '--set-chooseleaf-stable', '--set-chooseleaf-descend-once',
      '--set-choose-local-tries', '--set-choose-local-fallback-tries']), String(r.int(0, 3))];
  }
}

/**
 * One random edit to run in the same crushtool invocation as --test (crushtool tests the edited map
 * before it writes it): mostly weight changes (adjust_item_weight, as osdmaptool --mark-up-in does to
 * devices of weight 0), shadow tree rebuilds, tunables and rules, sometimes an edit that changes
 * bucket sizes (Pacific then asserts on its stale workspace size).
 */
function inprocEditArgs(seed: number, m: MapSpec): string[] {
  const r = new Rng(seed ^ 0x4cf5ad43);
  const devWeights = new Map<string, number>();
  for (const b of m.buckets) for (const [n, w] of b.items) if (n.startsWith('osd.') && w !== null) devWeights.set(n, w);
  const zero = [...devWeights].filter(([, w]) => w === 0).map(([n]) => n);
  const dev = m.devices.length > 0 ? r.pick(m.devices) : undefined;
  const w = r.pick(['0', '0.5', '1', '2.25', '7']);
  switch (r.int(0, 9)) {
    case 0:
    case 1: return dev ? ['--reweight-item', dev.name, w] : ['--reweight'];
    case 2: return zero.length > 0 ? ['--reweight-item', r.pick(zero), '1'] : ['--reweight'];
    case 3: return ['--reweight-item', r.pick(m.buckets).name, w];
    case 4: return ['--reweight'];
    case 5: return ['--rebuild-class-roots'];
    case 6: return [r.pick(['--set-choose-total-tries', '--set-chooseleaf-vary-r', '--set-chooseleaf-stable']), String(r.int(0, 3))];
    case 7: return ['--create-replicated-rule', 'newrule', 'default', r.pick(m.types)[1]];
    case 8: return dev ? ['--reweight-item', dev.name, w, '--reweight'] : ['--reweight'];
    default: return editArgs(seed ^ 0x1b873593, m) ?? ['--reweight'];
  }
}

/**
 * Why Ceph's mappings of this binary depend on its heap, or null: a tree bucket whose garbage node
 * weights (Pacific's shadow trees) lead to leaves past the zeroed slack of the decoder's calloc.
 */
function pacificHeapReads(bin: Buffer): string | null {
  let past;
  try {
    past = treeReadsPastCalloc(decodeCrushMap(bin).crush);
  } catch {
    return null;
  }
  if (past.length === 0) return null;
  return past.map((p) => `bucket ${p.bucketId} (size ${p.size}) leaves ${p.leaves.join(',')}`).join('; ');
}

/**
 * Does Pacific grow tree buckets of this map item by item (realloc, node weights left unwritten)?
 * It does for every shadow tree of a map with device classes. Then `+=` on a garbage word can pass
 * 2^32 and crush_add_tree_bucket_item fails with ERANGE, on some runs and not others.
 */
function growsTreesOverGarbage(m: MapSpec): boolean {
  return m.devices.some((d) => d.cls !== null) && m.buckets.some((b) => b.alg === 'tree');
}

/**
 * Ceph failed where tsceph did not, on a map whose shadow trees Pacific grows over heap garbage: a
 * rebuild whose `+=` overflowed (ERANGE; --reweight then asserts, a compile finds no class). When the
 * garbage comes from freed shadow buckets of the same map it repeats from run to run.
 */
function garbageFailure(m: MapSpec, c: Run, t: Run): boolean {
  return growsTreesOverGarbage(m) && c.exit !== 0 && t.exit === 0;
}

/** Shadow buckets (names with '~') of a binary map, or -1 when it does not decode. */
function shadowCount(bin: Buffer): number {
  try {
    let n = 0;
    for (const name of decodeCrushMap(bin).names.nameMap.values()) if (name.includes('~')) n++;
    return n;
  } catch {
    return -1;
  }
}

/**
 * Ceph's map lacks shadow buckets tsceph's has, on a map whose shadow trees Pacific grows over heap
 * garbage: its populate failed part way with ERANGE, and the caller went on (a compile with no class
 * rule, an edit that ignores the rebuild's result).
 */
function lostShadows(m: MapSpec, cephBin: Buffer, tsBin: Buffer): boolean {
  return growsTreesOverGarbage(m) && shadowCount(cephBin) < shadowCount(tsBin);
}

/** Run Ceph again: does it say the same (exit status and stdout)? */
function cephRepeats(dir: string, args: string[], first: Run): boolean {
  const again = ceph(dir, args);
  return again.exit === first.exit && again.stdout === first.stdout;
}

let cephCrashes = 0;
const crashSeeds: number[] = [];
let heapSkips = 0;

/** With holes in the bucket array Pacific's encoder writes stray heap bytes; compare bytes only when a second compile agrees. */
function cephIsDeterministic(dir: string, first: Buffer): boolean {
  const again = ceph(dir, ['-c', 'map.txt', '-o', 'ceph2.bin']);
  if (again.exit !== 0) return false;
  const same = readFileSync(join(dir, 'ceph2.bin')).equals(first);
  rmSync(join(dir, 'ceph2.bin'), { force: true });
  return same;
}

async function checkMap(seed: number, m: MapSpec, dir: string): Promise<Difference[]> {
  const text = mapText(m);
  writeFileSync(join(dir, 'map.txt'), text);
  const diffs: Difference[] = [];
  const cc = ceph(dir, ['-c', 'map.txt', '-o', 'ceph.bin']);
  const tc = await tsceph(dir, ['-c', 'map.txt', '-o', 'ts.bin']);
  const d0 = cmp('compile', 'crushtool -c map.txt -o X.bin', cc, tc, true);
  if (d0 !== null) {
    // a tree shadow bucket whose heap garbage overflowed (ERANGE) fails Pacific's compile on some runs
    if (garbageFailure(m, cc, tc) || (growsTreesOverGarbage(m) && !cephRepeats(dir, ['-c', 'map.txt', '-o', 'ceph.bin'], cc))) {
      heapSkips++;
      rmSync(join(dir, 'ceph.bin'), { force: true });
      return [];
    }
    return [d0];
  }
  if (cc.exit !== 0) return []; // both refused the map, with the same words
  const cephBin = readFileSync(join(dir, 'ceph.bin'));
  const tsBin = readFileSync(join(dir, 'ts.bin'));
  const dCeph = ceph(dir, ['-d', 'ceph.bin']);
  const dCephOfTs = ceph(dir, ['-d', 'ts.bin']);
  const d1 = cmp('binary (ceph -d of tsceph\'s binary vs of ceph\'s)', 'crushtool -d X.bin', dCeph, dCephOfTs, true);
  if (d1 !== null) {
    if (lostShadows(m, cephBin, tsBin)) heapSkips++;
    else diffs.push(d1);
  } else if (!cephBin.equals(tsBin) && cephIsDeterministic(dir, cephBin)) {
    let i = 0;
    while (i < cephBin.length && cephBin[i] === tsBin[i]) i++;
    diffs.push({ what: 'binary bytes', command: 'crushtool -c map.txt -o X.bin', detail: `first difference at byte ${i} (${cephBin.length} vs ${tsBin.length} bytes)` });
  }
  const dTs = await tsceph(dir, ['-d', 'ceph.bin']);
  const d2 = cmp('decompile (tsceph -d of ceph\'s binary)', 'crushtool -d ceph.bin', dCeph, dTs, true);
  if (d2 !== null) diffs.push(d2);
  const vr = new Rng(seed ^ 0x165667b1);
  if (vr.chance(0.3)) {
    const view = ['-i', 'ceph.bin', ...vr.pick([['--tree'], ['--dump'], ['--dump', '-f', 'json'], ['--tree', '-f', 'json-pretty'], ['--dump', '-f', 'xml']])];
    const d6 = cmp('view', `crushtool ${view.join(' ')}`, ceph(dir, view), await tsceph(dir, view), true);
    if (d6 !== null) diffs.push(d6);
  }
  const edit = editArgs(seed, m);
  if (edit !== null) {
    const eArgs = ['-i', 'ceph.bin', ...edit, '-o', 'edited.bin'];
    rmSync(join(dir, 'edited.bin'), { force: true });
    const eCeph = ceph(dir, eArgs);
    // A heap corruption (double free, bad chunk, segfault) is Ceph's undefined behaviour; a failed
    // ceph_assert is deterministic and tsceph copies its exit status.
    const heapDeath = eCeph.signal !== null && eCeph.signal !== undefined && !eCeph.stderr.includes('FAILED ceph_assert');
    const cephOut = existsSync(join(dir, 'edited.bin')) ? readFileSync(join(dir, 'edited.bin')) : null;
    rmSync(join(dir, 'edited.bin'), { force: true });
    const eTs = await tsceph(dir, eArgs);
    const tsOut = existsSync(join(dir, 'edited.bin')) ? readFileSync(join(dir, 'edited.bin')) : null;
    const d4 = heapDeath ? null : cmp('edit', `crushtool ${eArgs.join(' ')}`, eCeph, eTs, true);
    // the edit grew tree shadows over heap garbage whose `+=` overflowed
    const overflowed = d4 !== null && (garbageFailure(m, eCeph, eTs) || (growsTreesOverGarbage(m) && !cephRepeats(dir, eArgs, eCeph)));
    if (heapDeath) cephCrashes++;
    else if (overflowed) heapSkips++;
    else if (d4 !== null) diffs.push(d4);
    else if ((cephOut === null) !== (tsOut === null)) {
      diffs.push({ what: 'edit', command: `crushtool ${eArgs.join(' ')}`, detail: `output written by ${cephOut ? 'ceph' : 'tsceph'} only` });
    } else if (cephOut !== null && tsOut !== null && !cephOut.equals(tsOut)) {
      writeFileSync(join(dir, 'edited-ceph.bin'), cephOut);
      writeFileSync(join(dir, 'edited-ts.bin'), tsOut);
      const a = ceph(dir, ['-d', 'edited-ceph.bin']);
      const b = ceph(dir, ['-d', 'edited-ts.bin']);
      // Ceph's edit can leave stray heap words that decompile as made-up items: unnamed ids print as
      // `deviceN` or `bucketN` (the fuzzer's own maps name every item). The garbage differs from run
      // to run of the same case, so it is never compared.
      const garbage = /\bitem (device|bucket)\d+ /.test(a.stdout);
      // Ceph's decompiler can also die or hang (killed at CEPH_TIMEOUT_MS) on that garbage: run to run,
      // the same case (3114470254 of seed 20261121) decompiled fine once and was SIGKILLed the next time.
      const cephDied = a.signal !== null && a.signal !== undefined;
      if (cephDied) cephCrashes++;
      const d5 = garbage || cephDied ? null : cmp('edit result (ceph -d of both outputs)', `crushtool ${eArgs.join(' ')}`, a, b, true);
      // Pacific leaves stale heap words in the unused node weights of a tree bucket that grew: only
      // without tree buckets must equal maps be equal bytes.
      if (d5 !== null) {
        if (lostShadows(m, cephOut, tsOut)) heapSkips++;
        else diffs.push(d5);
      }
      else if (!garbage && !cephDied && !m.buckets.some((x) => x.alg === 'tree')) {
        diffs.push({ what: 'edit result bytes', command: `crushtool ${eArgs.join(' ')}`, detail: 'same map, different bytes' });
      }
    }
  }
  const args = testArgs(seed, m);
  // Ceph's answers past a tree bucket's zeroed slack come from its allocator: nothing to compare.
  const heap = pacificHeapReads(cephBin);
  if (heap !== null) {
    heapSkips++;
    return diffs;
  }
  const tCeph = ceph(dir, args);
  if (tCeph.signal !== null && tCeph.signal !== undefined) {
    cephCrashes++; // a crash inside Ceph's mapper (e.g. heap corruption) is nothing to copy
    if (crashSeeds.length < 5 && !crashSeeds.includes(seed)) crashSeeds.push(seed);
    return diffs;
  }
  const tTs = await tsceph(dir, args);
  const d3 = cmp('test', `crushtool ${args.join(' ')}`, tCeph, tTs, false);
  if (d3 !== null) diffs.push(d3);
  diffs.push(...(await checkInProcess(seed, m, dir, args, cephBin.equals(tsBin))));
  return diffs;
}

/**
 * --test in the same run as an edit (and sometimes as the compile): what Pacific's memory holds after
 * the edit, which the written map need not show (zero-position weight sets of rebuilt shadow buckets,
 * a stale workspace size). A difference is dropped as Pacific's undefined behaviour when the edit
 * alone kills Ceph, when the stale workspace overran the stack before Ceph's assertion, when the edit
 * grew tree buckets over heap garbage (the written maps differ in bytes, or Ceph fails where tsceph
 * does not, or Ceph does not repeat itself), or when Ceph's mapper reads past a tree bucket's zeroed
 * slack.
 */
async function checkInProcess(seed: number, m: MapSpec, dir: string, testArgv: string[], sameCompile: boolean): Promise<Difference[]> {
  const diffs: Difference[] = [];
  const edit = inprocEditArgs(seed, m);
  const argv = ['-i', 'ceph.bin', ...edit, ...testArgv.slice(2)];
  const c = ceph(dir, argv);
  const t = await tsceph(dir, argv);
  const d = cmp('in-process edit + test', `crushtool ${argv.join(' ')}`, c, t, false);
  if (d !== null) {
    // the edited map as each tool writes it (crushtool tests before it writes, so a run that died
    // wrote nothing): equal bytes mean no new heap garbage
    const eArgs = ['-i', 'ceph.bin', ...edit, '-o', 'inproc.bin'];
    rmSync(join(dir, 'inproc.bin'), { force: true });
    const ec = ceph(dir, eArgs);
    const cOut = existsSync(join(dir, 'inproc.bin')) ? readFileSync(join(dir, 'inproc.bin')) : null;
    rmSync(join(dir, 'inproc.bin'), { force: true });
    await tsceph(dir, eArgs);
    const tOut = existsSync(join(dir, 'inproc.bin')) ? readFileSync(join(dir, 'inproc.bin')) : null;
    const heapDeath = ec.signal !== null && ec.signal !== undefined && !ec.stderr.includes('FAILED ceph_assert');
    // an edit that resized buckets overruns the stale workspace (a stack array) before Ceph's
    // assertion fires; how its crash handler then fares depends on what the overrun hit
    const smashed = c.stderr.includes('crush_init_workspace: Assertion') && c.exit !== 128 + 6;
    const garbage = m.buckets.some((b) => b.alg === 'tree') && (cOut === null || tOut === null || !cOut.equals(tOut));
    const reads = cOut !== null ? pacificHeapReads(cOut) : null;
    const unstable = garbageFailure(m, c, t) || (growsTreesOverGarbage(m) && !cephRepeats(dir, argv, c));
    // tsceph died where Pacific read weight_set[-1] of a rebuilt shadow bucket: that word is usually no
    // pointer (Ceph dies too), but it is whatever glibc's previous chunk ends with
    const lucky = t.exit === 128 + 11 && c.exit === 0 && m.chooseArgs.length > 0 && m.devices.some((x) => x.cls !== null)
      && edit.some((a) => a === '--reweight' || a === '--rebuild-class-roots');
    if (heapDeath || smashed || garbage || reads !== null || unstable || lucky) heapSkips++;
    else diffs.push(d);
  }
  // compile and test in one run, when the two compiles agree byte for byte (no shadow tree garbage)
  if (sameCompile && new Rng(seed ^ 0x2f6b5a1d).chance(0.25)) {
    const cArgs = ['-c', 'map.txt', ...testArgv.slice(2)];
    const c2 = ceph(dir, cArgs);
    if (c2.signal === null || c2.signal === undefined || c2.stderr.includes('FAILED ceph_assert')) {
      const d2 = cmp('compile + test', `crushtool ${cArgs.join(' ')}`, c2, await tsceph(dir, cArgs), false);
      if (d2 !== null) diffs.push(d2);
    }
  }
  return diffs;
}

/** Smaller variants of a map to try while a difference of the same kind persists. */
function* shrinkCandidates(m: MapSpec): Generator<MapSpec> {
  if (m.chooseArgs.length > 0) yield { ...m, chooseArgs: [] };
  if (m.rules.length > 1) for (let i = 0; i < m.rules.length; i++) yield { ...m, rules: [{ ...m.rules[i], id: 0 }] };
  for (let i = 0; i < m.tunables.length; i++) yield { ...m, tunables: m.tunables.filter((_, k) => k !== i) };
  if (m.devices.some((d) => d.cls !== null) && !m.rules.some((r) => r.steps.some((s) => s.includes(' class ')))) {
    yield { ...m, devices: m.devices.map((d) => ({ ...d, cls: null })) };
  }
  for (const r of m.rules) {
    for (let i = 0; i < r.steps.length; i++) {
      if (r.steps[i].startsWith('set_')) yield { ...m, rules: m.rules.map((x) => (x === r ? { ...r, steps: r.steps.filter((_, k) => k !== i) } : x)) };
    }
  }
  for (let i = 0; i < m.buckets.length; i++) {
    const b = m.buckets[i];
    if (b.items.length > 1) {
      for (let k = 0; k < b.items.length; k++) {
        const items = b.items.filter((_, j) => j !== k);
        const gone = b.items[k][0];
        const stillUsed = m.buckets.some((x, j) => j !== i && x.items.some((it) => it[0] === gone));
        if (stillUsed) continue;
        const chooseArgs = m.chooseArgs.map((ca) => ({ ...ca, entries: ca.entries.filter((e) => e.bucketId !== b.id) }));
        yield { ...m, buckets: m.buckets.map((x, j) => (j === i ? { ...x, items } : x)), chooseArgs };
      }
    }
  }
}

const SHRINK_MS_MAX = 45_000;

async function shrink(seed: number, m: MapSpec, kind: string, dir: string): Promise<MapSpec> {
  let best = m;
  const deadline = Date.now() + SHRINK_MS_MAX;
  for (let round = 0; round < 200 && Date.now() < deadline; round++) {
    let improved = false;
    for (const cand of shrinkCandidates(best)) {
      if (Date.now() > deadline) break;
      const diffs = await checkMap(seed, cand, dir);
      if (diffs.some((d) => d.what === kind)) {
        best = cand;
        improved = true;
        break;
      }
    }
    if (!improved) break;
  }
  return best;
}

// ------------------------------------------------------------------ driver

function parseArgs(argv: string[]): { seconds: number; iterations: number; seed: number; single: number | null; out: string } {
  const o = { seconds: 30, iterations: Infinity, seed: (Date.now() ^ (process.pid << 16)) >>> 0, single: null as number | null,
    out: join(tmpdir(), 'tsceph-crush-fuzz') };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i + 1];
    switch (argv[i]) {
      case '--seconds': o.seconds = Number(v); i++; break;
      case '--iterations': o.iterations = Number(v); i++; break;
      case '--seed': o.seed = Number(v) >>> 0; i++; break;
      case '--case': o.single = Number(v) >>> 0; i++; break;
      case '--out': o.out = v; i++; break;
      case '--print': {
        const seed = Number(v) >>> 0;
        const m = randomMap(seed);
        process.stdout.write(mapText(m));
        console.log(`# --test arguments: ${testArgs(seed, m).join(' ')}`);
        console.log(`# edit tested in the same run: ${inprocEditArgs(seed, m).join(' ')}`);
        process.exit(0);
      }
      default: throw new Error(`crush-fuzz: unknown argument ${argv[i]}`);
    }
  }
  return o;
}

async function fuzz(): Promise<number> {
  if (!existsSync(CRUSHTOOL)) {
    console.log(`crush-fuzz: ${CRUSHTOOL} is not installed (Debian's ceph-base 16.2.15 provides it); nothing to compare against`);
    return 2;
  }
  const o = parseArgs(process.argv.slice(2));
  mkdirSync(o.out, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'crush-fuzz-'));
  const started = Date.now();
  let maps = 0;
  let refused = 0;
  let failures = 0;
  console.log(`crush-fuzz: seed ${o.seed}${o.single !== null ? `, single case ${o.single}` : ''}, ${o.seconds}s, reproducers in ${o.out}`);
  try {
    for (let i = 0; ; i++) {
      if (o.single === null && (i >= o.iterations || Date.now() - started > o.seconds * 1000)) break;
      if (o.single !== null && i > 0) break;
      const seed = o.single ?? caseSeed(o.seed, i);
      const m = randomMap(seed);
      const diffs = await checkMap(seed, m, dir);
      maps++;
      if (diffs.length === 0) {
        if (!existsSync(join(dir, 'ceph.bin'))) refused++;
        rmSync(join(dir, 'ceph.bin'), { force: true });
        continue;
      }
      failures++;
      console.log(`difference in case ${seed} (${diffs[0].what}); shrinking the map...`);
      const small = await shrink(seed, m, diffs[0].what, dir);
      const file = join(o.out, `crush-fuzz-${seed}.txt`);
      writeFileSync(file, mapText(small));
      writeFileSync(join(o.out, `crush-fuzz-${seed}.full.txt`), mapText(m));
      const again = await checkMap(seed, small, dir);
      console.log(`DIFFERENCE case ${seed} (run seed ${o.seed}, map #${i}):`);
      for (const d of diffs) console.log(`  ${d.what}: ${d.command}\n    ${d.detail}`);
      console.log(`  reproducer: ${file} (full map: crush-fuzz-${seed}.full.txt)`);
      for (const d of again) console.log(`  reproducer still shows ${d.what}: ${d.detail}`);
      console.log(`  replay: npm run fuzz:crush -- --case ${seed}`);
      console.log(`  by hand: crushtool -c ${file} -o /tmp/c.bin; node dist/bin/crushtool.js -c ${file} -o /tmp/t.bin; then -d each, and --test with: ${testArgs(seed, small).slice(2).join(' ')}`);
      const ed = editArgs(seed, small);
      if (ed !== null) console.log(`  edit tried on the compiled map: ${ed.join(' ')}`);
      console.log(`  edit tested in the same run: ${inprocEditArgs(seed, small).join(' ')}`);
      rmSync(join(dir, 'ceph.bin'), { force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`crush-fuzz: ${maps} maps (${refused} refused by both, ${cephCrashes} crashed Ceph, ${heapSkips} runs where Ceph read heap it never wrote), ${failures} with differences, ${secs}s, seed ${o.seed}`);
  if (crashSeeds.length > 0) console.log(`crush-fuzz: Ceph's --test crashed on cases ${crashSeeds.join(', ')} (not compared)`);
  return failures > 0 ? 1 : 0;
}

fuzz().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(`crush-fuzz: ${(e as Error).stack ?? String(e)}`);
    process.exitCode = 1;
  },
);
