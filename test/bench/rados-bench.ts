// Benchmark 6 (issue 6, Deliver 6): a whole cluster side by side with Ceph, measured by Ceph's own client.
// In one run it starts, one at a time (never both at once on a 2-core machine):
//   tsceph: bin/vstart.js (test/support/osd-cluster.ts), 1 monitor and 3 OSDs on file-backed BlockStore
//           devices, pool "tsceph" (size 3, 16 PGs);
//   Ceph 16: Debian's ceph-mon, ceph-mgr (PG map only) and 3 ceph-osd with BlueStore on file-backed devices
//            (test/support/real-ceph-cluster.ts), pool "bench" (size 3, min_size 2, 16 PGs);
// and drives both with Debian's `rados bench` (the same unmodified Ceph client): 4 KiB and 4 MiB, write /
// seq / rand at -t 16, then 4 KiB write at -t 1 (QD1 latency). Each turn starts a fresh cluster; rounds
// alternate the order (tsceph first, then Ceph first, ...) so a load swing on the shared machine does not
// favour one side. Per phase it records rados bench's figures (IOPS, MB/s, avg/stddev/max/min latency),
// each daemon's CPU seconds (utime+stime from /proc/PID/stat before and after) and, per turn, each
// daemon's peak RSS (VmHWM). It prints the per-round figures, the mean of the rounds and tsceph/Ceph
// ratios beside the issue's targets, and exits 0; a cluster that does not start is an error (exit 1).
// If Debian's rados fails a phase against tsceph, the phase is run again with tsceph's bin/rados and the
// row says so.
//
// Usage: npm run bench:rados [-- --seconds N] [--rounds N] [--only tsceph|ceph] [--json FILE] [--osd-size BYTES]
// (BENCH_SECONDS sets --seconds; default 10 s per phase, 2 rounds.) Ports 18000-18099. Temp files in /tmp/hb/ (the tsceph cluster in $TMPDIR/bench-tsceph-*).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OsdCluster } from '../support/osd-cluster.js';
import { cpuSeconds, parentPid, peakRssKiB } from '../support/proc-stat.js';
import { startRealCephCluster, type RealCephCluster } from '../support/real-ceph-cluster.js';
import { arg, exitWithUsageIfAsked } from './args.js';

const bin = (name: string): string => fileURLToPath(new URL(`../../bin/${name}.js`, import.meta.url));

const TMP_ROOT = '/tmp/hb';
const TSCEPH_MON_PORT = 18000; // its OSDs bind in 18010..18099 (vstart's span)
const CEPH_MON_PORT = 18005;
const CEPH_OSD_PORT_MIN = 18040;
const CEPH_OSD_PORT_MAX = 18099;
const POOL_PGS = 16;
const OSD_COUNT = 3;
const OSD_SIZE_DEFAULT_BYTES = 8 * 1024 * 1024 * 1024;
const RADOS = '/usr/bin/rados';
/** A phase may run past its seconds (cleanup of in-flight ops, a slow start): allow this much extra. */
const PHASE_SLACK_S = 120;

type Side = 'tsceph' | 'ceph';

interface Phase {
  key: string;
  label: string;
  mode: 'write' | 'seq' | 'rand';
  blockBytes: number;
  threads: number;
}

const PHASES: Phase[] = [
  { key: '4k-write', label: '4 KiB write -t 16', mode: 'write', blockBytes: 4096, threads: 16 },
  { key: '4k-seq', label: '4 KiB seq -t 16', mode: 'seq', blockBytes: 4096, threads: 16 },
  { key: '4k-rand', label: '4 KiB rand -t 16', mode: 'rand', blockBytes: 4096, threads: 16 },
  { key: '4m-write', label: '4 MiB write -t 16', mode: 'write', blockBytes: 4 << 20, threads: 16 },
  { key: '4m-seq', label: '4 MiB seq -t 16', mode: 'seq', blockBytes: 4 << 20, threads: 16 },
  { key: '4m-rand', label: '4 MiB rand -t 16', mode: 'rand', blockBytes: 4 << 20, threads: 16 },
  { key: '4k-write-qd1', label: '4 KiB write -t 1', mode: 'write', blockBytes: 4096, threads: 1 },
];

interface BenchFigures {
  ok: boolean;
  client: string;
  error?: string;
  seconds: number;
  ops: number;
  iops: number;
  mbps: number;
  latAvgMs: number;
  latStddevMs: number | null;
  latMaxMs: number;
  latMinMs: number;
  /** CPU seconds per daemon during the phase. */
  cpuS: Record<string, number>;
  load1: number;
}

interface Turn {
  side: Side;
  round: number;
  phases: Record<string, BenchFigures>;
  /** Peak RSS (VmHWM) per daemon at the end of the turn, KiB. */
  hwmKiB: Record<string, number>;
}

interface RunningCluster {
  side: Side;
  conf: string;
  pool: string;
  /** daemon name -> pid */
  pids: Map<string, number>;
  stop(): Promise<void>;
}

// ---- /proc -------------------------------------------------------------------------------------------

/** Our own children running a Ceph daemon binary with this conf: name (osd.0, mon.a, mgr.x) -> pid. */
function cephChildren(conf: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (parentPid(Number(d)) !== process.pid) continue;
      const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      const m = /ceph-(mon|mgr|osd)$/.exec(argv[0] ?? '');
      const i = argv.indexOf('-i');
      if (!m || i < 0 || !argv.includes(conf)) continue;
      out.set(`${m[1]}.${argv[i + 1]}`, Number(d));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

// ---- the clusters ------------------------------------------------------------------------------------

async function startTsceph(osdSizeBytes: number): Promise<RunningCluster> {
  let c: OsdCluster;
  try {
    c = OsdCluster.start({ osds: OSD_COUNT, port: TSCEPH_MON_PORT, prefix: 'bench-tsceph-', osdSize: String(osdSizeBytes) });
  } catch (e) {
    throw new Error(`tsceph vstart failed: ${(e as Error).message}`);
  }
  const pids = new Map<string, number>();
  for (const name of ['mon.a', ...Array.from({ length: OSD_COUNT }, (_, i) => `osd.${i}`)]) pids.set(name, c.pidOf(name));
  const cluster: RunningCluster = { side: 'tsceph', conf: c.conf, pool: 'tsceph', pids, stop: async () => c.destroy() };
  try {
    await waitPoolActive(cluster);
  } catch (e) {
    c.destroy();
    throw e;
  }
  return cluster;
}

async function startCeph(osdSizeBytes: number): Promise<RunningCluster> {
  let c: RealCephCluster | null = null;
  try {
    c = await startRealCephCluster({
      name: 'hb', monPort: CEPH_MON_PORT, osdPortMin: CEPH_OSD_PORT_MIN, osdPortMax: CEPH_OSD_PORT_MAX,
      osds: OSD_COUNT, objectstore: 'bluestore', deviceBytes: osdSizeBytes, startTimeoutMs: 180000,
    });
    await c.createPool('bench', { pgNum: POOL_PGS, size: 3, minSize: 2 });
  } catch (e) {
    if (c) await c.stop();
    throw new Error(`Ceph cluster did not start: ${(e as Error).message}`);
  }
  const real = c;
  return { side: 'ceph', conf: real.conf, pool: 'bench', pids: cephChildren(real.conf), stop: () => real.stop() };
}

/** Wait until a tiny object can be written and read through Debian's rados (every PG of the pool serves I/O). */
async function waitPoolActive(c: RunningCluster, timeoutMs = 120000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const probe = join(TMP_ROOT, `probe-${process.pid}`);
  writeFileSync(probe, 'probe');
  let last = '';
  try {
    for (;;) {
      let ok = true;
      // Objects in several PGs: each must be writable.
      for (let i = 0; i < POOL_PGS * 2 && ok; i++) {
        const r = spawnSync(RADOS, ['-c', c.conf, '-p', c.pool, 'put', `probe-${i}`, probe], { encoding: 'utf8', timeout: 20000 });
        if (r.status !== 0) {
          ok = false;
          last = r.stderr.trim();
        }
      }
      if (ok) {
        for (let i = 0; i < POOL_PGS * 2; i++) spawnSync(RADOS, ['-c', c.conf, '-p', c.pool, 'rm', `probe-${i}`], { timeout: 20000 });
        return;
      }
      if (Date.now() > deadline) throw new Error(`${c.side}: pool ${c.pool} not writable after ${timeoutMs} ms: ${last}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    rmSync(probe, { force: true });
  }
}

// ---- rados bench -------------------------------------------------------------------------------------

function num(out: string, re: RegExp): number | null {
  const m = re.exec(out);
  return m ? Number(m[1]) : null;
}

function parseBench(out: string): Omit<BenchFigures, 'ok' | 'client' | 'cpuS' | 'load1'> | null {
  const seconds = num(out, /Total time run:\s+([\d.]+)/);
  const ops = num(out, /Total (?:writes|reads) made:\s+(\d+)/);
  const mbps = num(out, /Bandwidth \(MB\/sec\):\s+([\d.]+)/);
  const avg = num(out, /Average Latency\(s\):\s+([\d.e-]+)/);
  const max = num(out, /Max latency\(s\):\s+([\d.e-]+)/);
  const min = num(out, /Min latency\(s\):\s+([\d.e-]+)/);
  const sd = num(out, /Stddev Latency\(s\):\s+([\d.e-]+)/);
  if (seconds === null || ops === null || mbps === null || avg === null || max === null || min === null || seconds <= 0) return null;
  return {
    seconds, ops, iops: ops / seconds, mbps,
    latAvgMs: avg * 1000, latStddevMs: sd === null ? null : sd * 1000, latMaxMs: max * 1000, latMinMs: min * 1000,
  };
}

function radosArgs(c: RunningCluster, p: Phase, seconds: number): string[] {
  const args = ['-c', c.conf, '-p', c.pool, 'bench', String(seconds), p.mode, '-t', String(p.threads), '--run-name', `hb-${p.blockBytes}-${p.threads}`];
  if (p.mode === 'write') args.push('-b', String(p.blockBytes), '--no-cleanup');
  return args;
}

function runPhase(c: RunningCluster, p: Phase, seconds: number): BenchFigures {
  const before = new Map([...c.pids].map(([n, pid]) => [n, cpuSeconds(pid)]));
  const clients: Array<[string, string, string[]]> = [['Ceph rados', RADOS, radosArgs(c, p, seconds)]];
  if (c.side === 'tsceph') clients.push(['tsceph bin/rados (fallback)', process.execPath, [bin('rados'), ...radosArgs(c, p, seconds)]]);
  let error = '';
  for (const [client, cmd, args] of clients) {
    const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: (seconds + PHASE_SLACK_S) * 1000, maxBuffer: 64 << 20 });
    const f = r.status === 0 ? parseBench(r.stdout) : null;
    if (f) {
      const cpuS: Record<string, number> = {};
      for (const [n, pid] of c.pids) cpuS[n] = cpuSeconds(pid) - (before.get(n) ?? 0);
      return { ok: true, client, ...f, cpuS, load1: loadavg()[0]! };
    }
    error += `${client}: exit ${r.status ?? r.signal}: ${(r.stderr || r.stdout).trim().split('\n').slice(-4).join(' | ')}\n`;
    process.stdout.write(`  ${c.side} ${p.label}: ${error}`);
  }
  return { ok: false, client: '-', error, seconds: 0, ops: 0, iops: 0, mbps: 0, latAvgMs: 0, latStddevMs: null, latMaxMs: 0, latMinMs: 0, cpuS: {}, load1: loadavg()[0]! };
}

function cleanup(c: RunningCluster, p: Phase): void {
  spawnSync(RADOS, ['-c', c.conf, '-p', c.pool, 'cleanup', '--run-name', `hb-${p.blockBytes}-${p.threads}`], { encoding: 'utf8', timeout: 600000 });
}

// ---- reporting ---------------------------------------------------------------------------------------

const f1 = (x: number): string => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

function osdCpu(f: BenchFigures): number {
  return Object.entries(f.cpuS).filter(([n]) => n.startsWith('osd.')).reduce((a, [, v]) => a + v, 0);
}

function printTurn(t: Turn): void {
  console.log(`\n${t.side} (round ${t.round})`);
  console.log('  phase               client  IOPS     MB/s   lat avg/sd/max/min ms          CPU s (daemons)                         load');
  for (const p of PHASES) {
    const f = t.phases[p.key];
    if (!f) continue;
    if (!f.ok) {
      console.log(`  ${p.label.padEnd(19)} FAILED ${f.error?.trim()}`);
      continue;
    }
    const cpu = Object.entries(f.cpuS).map(([n, v]) => `${n} ${v.toFixed(1)}`).join(', ');
    const lat = `${f1(f.latAvgMs)}/${f.latStddevMs === null ? '-' : f1(f.latStddevMs)}/${f1(f.latMaxMs)}/${f1(f.latMinMs)}`;
    console.log(`  ${p.label.padEnd(19)} ${f.client === 'Ceph rados' ? 'ceph  ' : 'TSCEPH'}  ${f1(f.iops).padStart(7)} ${f1(f.mbps).padStart(7)}   ${lat.padEnd(29)} ${cpu.padEnd(40)} ${f.load1.toFixed(1)}`);
  }
  console.log(`  peak RSS (VmHWM): ${Object.entries(t.hwmKiB).map(([n, k]) => `${n} ${(k / 1024).toFixed(0)} MiB`).join(', ')}`);
}

interface Summary {
  phase: string;
  tsceph: { iops: number; mbps: number; latAvgMs: number; latMaxMs: number; osdCpuMsPerOp: number };
  ceph: { iops: number; mbps: number; latAvgMs: number; latMaxMs: number; osdCpuMsPerOp: number };
}

function summarize(turns: Turn[]): Summary[] {
  const out: Summary[] = [];
  const side = (s: Side, key: string): Summary['tsceph'] => {
    const fs = turns.filter((t) => t.side === s).map((t) => t.phases[key]).filter((f): f is BenchFigures => !!f && f.ok);
    return {
      iops: mean(fs.map((f) => f.iops)),
      mbps: mean(fs.map((f) => f.mbps)),
      latAvgMs: mean(fs.map((f) => f.latAvgMs)),
      latMaxMs: mean(fs.map((f) => f.latMaxMs)),
      osdCpuMsPerOp: mean(fs.map((f) => (osdCpu(f) * 1000) / Math.max(1, f.ops))),
    };
  };
  for (const p of PHASES) out.push({ phase: p.label, tsceph: side('tsceph', p.key), ceph: side('ceph', p.key) });
  return out;
}

function printSummary(turns: Turn[], sum: Summary[]): void {
  const r = (a: number, b: number): string => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}x` : '-');
  console.log(`\nMean of ${Math.max(...turns.map((t) => t.round))} round(s); ratio = tsceph / Ceph`);
  console.log('phase               | IOPS tsceph / ceph / ratio | MB/s tsceph / ceph   | lat avg ms tsceph / ceph / ratio | OSD CPU ms/op tsceph / ceph | target');
  for (const s of sum) {
    let target = 'IOPS, MB/s >= 1x';
    if (s.phase === '4 KiB write -t 16') target = `IOPS >= 2x: ${s.tsceph.iops / s.ceph.iops >= 2 ? 'met' : 'missed'}`;
    else if (s.phase === '4 KiB write -t 1') target = `lat <= 0.5x: ${s.tsceph.latAvgMs / s.ceph.latAvgMs <= 0.5 ? 'met' : 'missed'}`;
    else target = `>= 1x: ${s.tsceph.iops / s.ceph.iops >= 1 ? 'met' : 'missed'}`;
    console.log(`${s.phase.padEnd(19)} | ${f1(s.tsceph.iops).padStart(7)} / ${f1(s.ceph.iops).padStart(7)} / ${r(s.tsceph.iops, s.ceph.iops).padStart(6)} | ${f1(s.tsceph.mbps).padStart(7)} / ${f1(s.ceph.mbps).padStart(7)}    | ${f1(s.tsceph.latAvgMs).padStart(7)} / ${f1(s.ceph.latAvgMs).padStart(7)} / ${r(s.tsceph.latAvgMs, s.ceph.latAvgMs).padStart(6)}     | ${f1(s.tsceph.osdCpuMsPerOp).padStart(7)} / ${f1(s.ceph.osdCpuMsPerOp).padStart(7)}           | ${target}`);
  }
  const peak = (s: Side, prefix: string): number => Math.max(0, ...turns.filter((t) => t.side === s).flatMap((t) => Object.entries(t.hwmKiB).filter(([n]) => n.startsWith(prefix)).map(([, k]) => k)));
  const tsOsd = peak('tsceph', 'osd.');
  const cephOsd = peak('ceph', 'osd.');
  console.log(`peak RSS per OSD (max over OSDs and rounds): tsceph ${(tsOsd / 1024).toFixed(0)} MiB, Ceph ${(cephOsd / 1024).toFixed(0)} MiB, ratio ${r(tsOsd, cephOsd)} (target <= 0.33x: ${tsOsd * 3 <= cephOsd ? 'met' : 'missed'})`);
  console.log(`peak RSS per monitor: tsceph ${(peak('tsceph', 'mon.') / 1024).toFixed(0)} MiB, Ceph ${(peak('ceph', 'mon.') / 1024).toFixed(0)} MiB (Ceph's mgr ${(peak('ceph', 'mgr.') / 1024).toFixed(0)} MiB)`);
}

// ---- main --------------------------------------------------------------------------------------------

let active: RunningCluster | null = null;

async function turn(side: Side, round: number, seconds: number, osdSizeBytes: number): Promise<Turn> {
  const t0 = Date.now();
  active = side === 'tsceph' ? await startTsceph(osdSizeBytes) : await startCeph(osdSizeBytes);
  const c = active;
  console.log(`${side} round ${round}: up in ${((Date.now() - t0) / 1000).toFixed(0)} s (${[...c.pids].map(([n, p]) => `${n} pid ${p}`).join(', ')})`);
  const t: Turn = { side, round, phases: {}, hwmKiB: {} };
  try {
    for (const p of PHASES) {
      t.phases[p.key] = runPhase(c, p, seconds);
      // After the reads of a size (and after the QD1 writes), remove that run's objects.
      if (p.mode === 'rand' || p.threads === 1) cleanup(c, p);
    }
    for (const [n, pid] of c.pids) t.hwmKiB[n] = peakRssKiB(pid);
  } finally {
    await c.stop();
    active = null;
  }
  printTurn(t);
  return t;
}

async function main(): Promise<void> {
  exitWithUsageIfAsked(import.meta.url);
  const seconds = Number(arg('seconds', process.env.BENCH_SECONDS ?? '10'));
  const rounds = Number(arg('rounds', '2'));
  const only = arg('only', '');
  const osdSizeBytes = Number(arg('osd-size', String(OSD_SIZE_DEFAULT_BYTES)));
  const jsonOut = arg('json', '');
  mkdirSync(TMP_ROOT, { recursive: true });
  if (!existsSync(RADOS)) throw new Error(`${RADOS} is not installed (Debian's ceph-common)`);
  const ver = spawnSync(RADOS, ['--version'], { encoding: 'utf8' }).stdout.trim();
  console.log(`bench:rados  ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}, node ${process.version}, ${ver}`);
  console.log(`${seconds} s per phase, ${rounds} round(s), ${OSD_COUNT} OSDs on ${(osdSizeBytes / 2 ** 30).toFixed(0)} GiB file devices, pool size 3, ${POOL_PGS} PGs`);
  const turns: Turn[] = [];
  for (let round = 1; round <= rounds; round++) {
    const order: Side[] = round % 2 === 1 ? ['tsceph', 'ceph'] : ['ceph', 'tsceph'];
    for (const side of order) {
      if (only && only !== side) continue;
      turns.push(await turn(side, round, seconds, osdSizeBytes));
    }
  }
  const sum = summarize(turns);
  if (!only) printSummary(turns, sum);
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ seconds, rounds, turns, summary: sum }, null, 2));
}

async function stopActive(): Promise<void> {
  const c = active;
  active = null;
  if (c) await c.stop();
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.error(`\nbench:rados: ${sig}: stopping the cluster`);
    void stopActive().finally(() => process.exit(1));
  });
}

main().then(() => process.exit(0), async (e: unknown) => {
  console.error(`bench:rados: ${(e as Error).stack ?? String(e)}`);
  await stopActive();
  process.exit(1);
});
