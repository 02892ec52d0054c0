// Benchmark: where the time of one 4 KiB write at one op in flight goes, end to end (client, primary, replicas, store, device), from the QD1 trace stamps every process of a cluster records (common/qd1trace.ts).
//
// Usage: TSCEPH_QD1_TRACE=DIR node dist/test/bench/qd1-trace.js --conf CEPH_CONF [--pool P] [--ops N]
//            [--warmup N] [--size BYTES] [--json FILE]
//        node dist/test/bench/qd1-trace.js --analyze DIR --client-pid PID   (again, over a finished run)
//
// Set-up: a cluster whose daemons were started with TSCEPH_QD1_TRACE=DIR in their environment (vstart
// passes its environment on), e.g.
//   TSCEPH_QD1_TRACE=/tmp/h5/tr node dist/bin/vstart.js --dir /tmp/h5/c --port 21400 --osds 3 --osd-size 4G
// This tool, run with the same variable, writes --warmup then --ops new objects of --size bytes
// (`rados bench write -t 1`'s pattern: each op one whole new object), one at a time, and stamps each
// op's send and reply ('cl.send', 'cl.recv'). Two seconds later (the daemons write their stamps once a
// second) it reads every trace file of DIR and cuts it by the ops' windows: at one op in flight every
// stamp inside an op's send..reply window belongs to that op (heartbeats and stats add a few others,
// which the 50% presence filter below drops). In each window each process gets a role: the one that
// stamped 'osd.op' is the primary, those that stamped 'rep.rx' replicas (rep1 replied first). Each stamp
// is named `<point>#<k>` (its k-th occurrence in the window on that process) and reported as its
// median and p90 offset from 'cl.send' over the ops that have it, in time order. A summary splits the
// median op into the legs of the critical path.

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { Rados } from '../../librados/index.js';
import { flags } from './args.js';

interface Options {
  conf: string;
  pool: string;
  ops: number;
  warmup: number;
  size: number;
  json: string | null;
  analyze: string | null;
  clientPid: number;
  /** Print the raw merged timeline of these many ops (from the middle of the run). */
  dump: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { conf: '', pool: 'tsceph', ops: 300, warmup: 50, size: 4096, json: null, analyze: null, clientPid: process.pid, dump: 0 };
  for (const { name: a, value: v } of flags(argv)) {
    if (a === '--conf' || a === '-c') o.conf = v();
    else if (a === '--pool' || a === '-p') o.pool = v();
    else if (a === '--ops') o.ops = Number(v());
    else if (a === '--warmup') o.warmup = Number(v());
    else if (a === '--size') o.size = Number(v());
    else if (a === '--json') o.json = v();
    else if (a === '--analyze') o.analyze = v();
    else if (a === '--client-pid') o.clientPid = Number(v());
    else if (a === '--dump') o.dump = Number(v());
    else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

interface Stamp {
  t: number;
  point: string;
}

/** Every trace file of `dir`, by process id, stamps in time order. */
function readTraces(dir: string): Map<number, Stamp[]> {
  const out = new Map<number, Stamp[]>();
  for (const f of readdirSync(dir)) {
    const m = /^trace\.(\d+)\.txt$/.exec(f);
    if (!m) continue;
    const list: Stamp[] = [];
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      const sp = line.indexOf(' ');
      if (sp < 0) continue;
      list.push({ t: Number(line.slice(0, sp)), point: line.slice(sp + 1) });
    }
    list.sort((a, b) => a.t - b.t);
    out.set(Number(m[1]), list);
  }
  return out;
}

/** Index of the first stamp at or after t. */
function lowerBound(list: Stamp[], t: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

interface Row {
  role: string;
  point: string;
  ops: number;
  medianUs: number;
  p90Us: number;
}

interface Analysis {
  ops: number;
  totalMedianUs: number;
  totalP99Us: number;
  /** Latency less the critical OSD's fdatasync, per op: median and p90. */
  nonDiskMedianUs: number;
  nonDiskP90Us: number;
  rows: Row[];
  legs: Array<{ leg: string; ops: number; medianUs: number; p90Us: number }>;
}

/**
 * The legs of an op's path: [name, role A, point A, role B, point B, n]: from the first A (in A's
 * role) to the n-th B (in B's role) at or after it, per op; 'start' and 'end' are the client's send
 * and receive. A point's ':PORT' suffix is ignored.
 */
const LEGS: ReadonlyArray<readonly [string, string, string, string, string, number]> = [
  ['client: send -> MOSDOp written to its socket', 'client', 'start', 'client', 'tcp.write', 1],
  ['client socket -> primary dispatches MOSDOp', 'client', 'tcp.write', 'primary', 'osd.op', 1],
  ['primary: dispatch -> executeOps done', 'primary', 'osd.op', 'primary', 'pg.executed', 1],
  ['primary: executeOps done -> second repop written to its socket', 'primary', 'pg.executed', 'primary', 'tcp.write', 2],
  ['primary: executeOps done -> own fdatasync issued', 'primary', 'pg.executed', 'primary', 'dev.fdatasync', 1],
  ['primary: fdatasync', 'primary', 'dev.fdatasync', 'primary', 'dev.fdatasync.done', 1],
  ['primary: executeOps done -> rep2 dispatches repop', 'primary', 'pg.executed', 'rep2', 'rep.rx', 1],
  ['rep1: repop dispatched -> fdatasync issued', 'rep1', 'rep.rx', 'rep1', 'dev.fdatasync', 1],
  ['rep2: repop dispatched -> fdatasync issued', 'rep2', 'rep.rx', 'rep2', 'dev.fdatasync', 1],
  ['rep2: fdatasync', 'rep2', 'dev.fdatasync', 'rep2', 'dev.fdatasync.done', 1],
  ['rep2: fdatasync done -> reply written to its socket', 'rep2', 'dev.fdatasync.done', 'rep2', 'tcp.write', 1],
  ['rep2 reply socket -> primary dispatches it', 'rep2', 'msgr.send.osd_repop_reply', 'primary', 'pg.repop.reply', 1],
  ['primary: last repop reply -> client reply written to its socket', 'rep2', 'msgr.send.osd_repop_reply', 'primary', 'tcp.write', 1],
  ['primary reply socket -> client receives', 'primary', 'msgr.send.osd_op_reply', 'client', 'end', 1],
];

function analyze(dir: string, clientPid: number, dump = 0): Analysis {
  const legSamples: number[][] = LEGS.map(() => []);
  const traces = readTraces(dir);
  const client = traces.get(clientPid);
  if (!client) throw new Error(`no trace file of the client (pid ${clientPid}) in ${dir}`);
  const windows: Array<[number, number]> = [];
  let send = -1;
  for (const s of client) {
    if (s.point === 'cl.send') send = s.t;
    else if (s.point === 'cl.recv' && send >= 0) {
      windows.push([send, s.t]);
      send = -1;
    }
  }
  // offsets (us from cl.send) per role and point name, over the windows
  const samples = new Map<string, number[]>();
  const add = (role: string, name: string, us: number): void => {
    const k = `${role}\t${name}`;
    let l = samples.get(k);
    if (!l) samples.set(k, (l = []));
    l.push(us);
  };
  const totals: number[] = [];
  /** Per op: the latency less the fdatasync of the OSD whose fdatasync ended last (the disk's share of the critical path). */
  const nonDisk: number[] = [];
  const dumpFrom = Math.floor(windows.length / 2);
  for (let w = 0; w < windows.length; w++) {
    const [from, to] = windows[w]!;
    totals.push((to - from) / 1000);
    const perRole: Array<{ role: string; stamps: Stamp[]; doneAt: number }> = [];
    for (const [pid, list] of traces) {
      const i0 = lowerBound(list, from);
      const i1 = lowerBound(list, to + 1);
      if (i1 <= i0) continue;
      const stamps = list.slice(i0, i1);
      let role = pid === clientPid ? 'client' : 'other';
      let doneAt = Infinity;
      for (const s of stamps) {
        if (s.point === 'osd.op' && pid !== clientPid) role = 'primary';
        if (s.point === 'rep.rx' && role === 'other') role = 'replica';
        if (s.point === 'rep.done' && doneAt === Infinity) doneAt = s.t;
      }
      if (role === 'other') continue;
      perRole.push({ role, stamps, doneAt });
    }
    const reps = perRole.filter((r) => r.role === 'replica').sort((a, b) => a.doneAt - b.doneAt);
    reps.forEach((r, i) => (r.role = `rep${i + 1}`));
    let lastDone = -1;
    let lastSync = 0;
    for (const r of perRole) {
      let issued = -1;
      for (const s of r.stamps) {
        if ((s.point === 'dev.fdatasync' || s.point === 'dev.fdatasync:inline') && issued < 0) issued = s.t;
        else if (s.point === 'dev.fdatasync.done' && issued >= 0) {
          if (s.t > lastDone) {
            lastDone = s.t;
            lastSync = s.t - issued;
          }
          break;
        }
      }
    }
    nonDisk.push((to - from - lastSync) / 1000);
    const byRole = new Map<string, Stamp[]>();
    for (const r of perRole) byRole.set(r.role, r.stamps);
    const find = (role: string, point: string, after: number, nth: number): number => {
      if (point === 'start') return from;
      if (point === 'end') return to;
      let k = 0;
      for (const s of byRole.get(role) ?? []) {
        if (s.t < after) continue;
        if (s.point === point || (s.point.startsWith(point) && s.point[point.length] === ':')) {
          if (++k === nth) return s.t;
        }
      }
      return NaN;
    };
    LEGS.forEach(([, ra, pa, rb, pb, nth], i) => {
      const a = find(ra, pa, from, 1);
      const b = find(rb, pb, a, nth);
      if (!Number.isNaN(a) && !Number.isNaN(b)) legSamples[i]!.push((b - a) / 1000);
    });
    if (w >= dumpFrom && w < dumpFrom + dump) {
      const all: Array<[number, string]> = [];
      for (const r of perRole) for (const s of r.stamps) all.push([s.t, `${r.role.padEnd(8)} ${s.point}`]);
      all.sort((a, b) => a[0] - b[0]);
      console.log(`--- op ${w}: ${((to - from) / 1000).toFixed(0)} us`);
      for (const [t, what] of all) console.log(`${((t - from) / 1000).toFixed(0).padStart(6)} ${what}`);
    }
    for (const r of perRole) {
      const seen = new Map<string, number>();
      for (const s of r.stamps) {
        // 'tcp.write:PORT': the port tells connections apart in a dump; the summary counts them together
        const colon = s.point.indexOf(':');
        const point = colon < 0 ? s.point : s.point.slice(0, colon);
        const k = (seen.get(point) ?? 0) + 1;
        seen.set(point, k);
        add(r.role, `${point}#${k}`, (s.t - from) / 1000);
      }
    }
  }
  const n = windows.length;
  const rows: Row[] = [];
  for (const [k, l] of samples) {
    if (l.length < n / 2) continue;
    const [role, point] = k.split('\t') as [string, string];
    l.sort((a, b) => a - b);
    rows.push({ role, point, ops: l.length, medianUs: quantile(l, 0.5), p90Us: quantile(l, 0.9) });
  }
  rows.sort((a, b) => a.medianUs - b.medianUs);
  totals.sort((a, b) => a - b);
  nonDisk.sort((a, b) => a - b);
  const legs = LEGS.map(([name], i) => {
    const l = legSamples[i]!.sort((a, b) => a - b);
    return { leg: name, ops: l.length, medianUs: quantile(l, 0.5), p90Us: quantile(l, 0.9) };
  });
  return { ops: n, totalMedianUs: quantile(totals, 0.5), totalP99Us: quantile(totals, 0.99), nonDiskMedianUs: quantile(nonDisk, 0.5), nonDiskP90Us: quantile(nonDisk, 0.9), rows, legs };
}

function report(a: Analysis): void {
  const f = (x: number): string => (Number.isNaN(x) ? '-' : x.toFixed(0).padStart(6));
  console.log(`ops ${a.ops}: client latency median ${(a.totalMedianUs / 1000).toFixed(3)} ms, p99 ${(a.totalP99Us / 1000).toFixed(3)} ms; load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`not the disk (latency less the last OSD's fdatasync): median ${(a.nonDiskMedianUs / 1000).toFixed(3)} ms, p90 ${(a.nonDiskP90Us / 1000).toFixed(3)} ms`);
  console.log('role     point                               ops   median    p90  (us after cl.send)');
  for (const r of a.rows) console.log(`${r.role.padEnd(8)} ${r.point.padEnd(34)} ${String(r.ops).padStart(5)} ${f(r.medianUs)} ${f(r.p90Us)}`);
  console.log('\nlegs (per op, then median and p90 over the ops; overlapping, so they need not add up):');
  for (const l of a.legs) console.log(`${f(l.medianUs)} ${f(l.p90Us)} us  ${l.leg} (${l.ops} ops)`);
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (o.analyze) {
    const a = analyze(o.analyze, o.clientPid, o.dump);
    report(a);
    if (o.json) writeFileSync(o.json, JSON.stringify(a, null, 1));
    return;
  }
  const dir = process.env['TSCEPH_QD1_TRACE'];
  if (!dir) throw new Error('set TSCEPH_QD1_TRACE to the directory the daemons trace into');
  if (!o.conf) throw new Error('--conf is required');
  // imported after the check so the stamps module sees the variable (it reads it once at load)
  const { qd1Stamp, qd1TraceFlush } = await import('../../common/qd1trace.js');
  const rados = await Rados.connect({ conf: o.conf });
  try {
    const io = rados.ioctx(o.pool);
    const data = Buffer.alloc(o.size, 0x5a);
    const prefix = `qd1_${process.pid}_`;
    for (let i = 0; i < o.warmup; i++) await io.write(`${prefix}warm${i}`, data, 0);
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < o.ops; i++) {
      qd1Stamp('cl.send');
      await io.write(`${prefix}${i}`, data, 0);
      qd1Stamp('cl.recv');
    }
    const cpu = process.cpuUsage(cpu0);
    console.log(`client CPU ${((cpu.user + cpu.system) / o.ops).toFixed(0)} us/op`);
    for (let i = 0; i < o.warmup; i++) await io.remove(`${prefix}warm${i}`);
    for (let i = 0; i < o.ops; i++) await io.remove(`${prefix}${i}`);
  } finally {
    await rados.shutdown();
  }
  qd1TraceFlush();
  await new Promise((r) => setTimeout(r, 2200));
  if (!existsSync(dir)) throw new Error(`${dir} does not exist`);
  const a = analyze(dir, process.pid, o.dump);
  report(a);
  if (o.json) writeFileSync(o.json, JSON.stringify(a, null, 1));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack ?? e.message : String(e));
  process.exit(1);
});
