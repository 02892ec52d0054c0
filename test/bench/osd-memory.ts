// OSD memory under rados bench (issue 6's RSS target): a fresh 3-OSD vstart cluster driven by Debian's
// `rados bench` (4 KiB then 4 MiB; write, seq, rand at -t 16), each OSD's peak RSS per phase and its CPU
// per operation, so a memory setting that costs CPU shows beside the memory it saves.
// Peak per phase: before each phase the script writes 5 to /proc/PID/clear_refs, which resets VmHWM to
// the current RSS (Linux >= 4.0, own processes only); VmHWM read after the phase is that phase's peak.
// The daemons inherit this script's environment through vstart, so an A/B of allocator or Node settings
// is two runs with different environments, e.g.
//   TSCEPH_MALLOC=none TSCEPH_NODE_FLAGS=--max-semi-space-size=16 node dist/test/bench/osd-memory.js --label before
//   node dist/test/bench/osd-memory.js --label tuned
// (add --conf 'bluestore_cache_size = 149130808' to the first for the store caches' old 64 + 64 MiB).
// Usage: node dist/test/bench/osd-memory.js [--seconds N (8)] [--runs N (1)] [--port P (21300)]
//        [--osd-size BYTES (4G)] [--phases 4m-write,4m-seq,... (all)] [--conf 'OPT = VAL' ...] [--label TEXT] [--json FILE] [--keep]
// (a 4m-seq or 4m-rand phase reads what the 4m-write phase before it wrote); --keep keeps the cluster's
// directory (the daemons' logs, e.g. their --trace-gc output in out/osd.N.stdout).
// Ports P..P+99 (vstart's span). Temp files in $TMPDIR (the cluster in $TMPDIR/osdmem-*). Every daemon is
// stopped by PID at the end of each run and on an error; Ctrl-C ends the running rados bench, whose
// failed phase is such an error (the SIGINT listener keeps Node from exiting before the clean-up).
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { OsdCluster } from '../support/osd-cluster.js';
import { cpuSeconds, peakRssKiB, resetPeakRss, rssKiB } from '../support/proc-stat.js';
import { arg, exitWithUsageIfAsked } from './args.js';

const RADOS = '/usr/bin/rados';
const OSD_COUNT = 3;
const POOL = 'tsceph';
const POOL_PGS = 16;
const PHASE_SLACK_S = 120;

interface Phase {
  key: string;
  mode: 'write' | 'seq' | 'rand';
  blockBytes: number;
}

const PHASES: Phase[] = [
  { key: '4k-write', mode: 'write', blockBytes: 4096 },
  { key: '4k-seq', mode: 'seq', blockBytes: 4096 },
  { key: '4k-rand', mode: 'rand', blockBytes: 4096 },
  { key: '4m-write', mode: 'write', blockBytes: 4 << 20 },
  { key: '4m-seq', mode: 'seq', blockBytes: 4 << 20 },
  { key: '4m-rand', mode: 'rand', blockBytes: 4 << 20 },
];

interface PhaseFigures {
  phase: string;
  ops: number;
  seconds: number;
  /** Peak RSS per OSD during the phase, MiB. */
  peakMiB: number[];
  /** RSS per OSD at the end of the phase, MiB. */
  endMiB: number[];
  /** CPU of the three OSDs per op, ms. */
  osdCpuMsPerOp: number;
  load1: number;
}

function benchArgs(conf: string, p: Phase, seconds: number): string[] {
  const a = ['-c', conf, '-p', POOL, 'bench', String(seconds), p.mode, '-t', '16', '--run-name', `om-${p.blockBytes}`];
  if (p.mode === 'write') a.push('-b', String(p.blockBytes), '--no-cleanup');
  return a;
}

function waitWritable(conf: string, timeoutMs = 120000): void {
  const probe = join(tmpdir(), `osdmem-probe-${process.pid}`);
  writeFileSync(probe, 'probe');
  const deadline = Date.now() + timeoutMs;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  try {
    for (;;) {
      let ok = true;
      for (let i = 0; i < POOL_PGS * 2 && ok; i++) {
        ok = spawnSync(RADOS, ['-c', conf, '-p', POOL, 'put', `probe-${i}`, probe], { timeout: 20000 }).status === 0;
      }
      if (ok) return;
      if (Date.now() > deadline) throw new Error(`pool ${POOL} not writable after ${timeoutMs} ms`);
      Atomics.wait(nap, 0, 0, 1000);
    }
  } finally {
    rmSync(probe, { force: true });
  }
}

function runOnce(seconds: number, port: number, osdSize: string, phases: Phase[], keepDir: boolean, conf: string[]): PhaseFigures[] {
  const c = OsdCluster.start({ osds: OSD_COUNT, port, prefix: 'osdmem-', osdSize, conf });
  const stop = (): void => c.destroy({ keepDir });
  process.once('SIGINT', stop);
  try {
    const pids = Array.from({ length: OSD_COUNT }, (_, i) => c.pidOf(`osd.${i}`));
    waitWritable(c.conf);
    const out: PhaseFigures[] = [];
    for (const p of phases) {
      for (const pid of pids) resetPeakRss(pid);
      const cpu0 = pids.reduce((s, pid) => s + cpuSeconds(pid), 0);
      const r = spawnSync(RADOS, benchArgs(c.conf, p, seconds), { encoding: 'utf8', timeout: (seconds + PHASE_SLACK_S) * 1000, maxBuffer: 64 << 20 });
      const cpu = pids.reduce((s, pid) => s + cpuSeconds(pid), 0) - cpu0;
      const ops = Number(/Total (?:writes|reads) made:\s+(\d+)/.exec(r.stdout)?.[1] ?? 0);
      const secs = Number(/Total time run:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? 0);
      if (r.status !== 0 || ops === 0) throw new Error(`${p.key}: rados bench exit ${r.status ?? r.signal}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
      const f: PhaseFigures = {
        phase: p.key, ops, seconds: secs,
        peakMiB: pids.map((pid) => Math.round(peakRssKiB(pid) / 1024)),
        endMiB: pids.map((pid) => Math.round(rssKiB(pid) / 1024)),
        osdCpuMsPerOp: (cpu * 1000) / ops,
        load1: loadavg()[0]!,
      };
      console.log(`  ${p.key.padEnd(9)} ops ${String(ops).padStart(6)} in ${secs.toFixed(1)} s  peak MiB ${f.peakMiB.join('/')}  end MiB ${f.endMiB.join('/')}  OSD CPU ${f.osdCpuMsPerOp.toFixed(2)} ms/op  load ${f.load1.toFixed(1)}`);
      out.push(f);
    }
    return out;
  } finally {
    process.removeListener('SIGINT', stop);
    c.destroy({ keepDir });
  }
}

function main(): void {
  exitWithUsageIfAsked(import.meta.url);
  const seconds = Number(arg('seconds', '8'));
  const runs = Number(arg('runs', '1'));
  const port = Number(arg('port', '21300'));
  const osdSize = arg('osd-size', String(4 * 1024 * 1024 * 1024));
  const label = arg('label', '');
  const json = arg('json', '');
  const only = arg('phases', '');
  const conf = process.argv.flatMap((a, i) => (a === '--conf' && process.argv[i + 1] !== undefined ? [process.argv[i + 1]!] : []));
  const phases = only ? PHASES.filter((p) => only.split(',').includes(p.key)) : PHASES;
  if (phases.length === 0) throw new Error(`--phases ${only}: none of ${PHASES.map((p) => p.key).join(',')}`);
  const env = ['TSCEPH_MALLOC', 'TSCEPH_NODE_FLAGS', 'MALLOC_ARENA_MAX', 'MALLOC_TRIM_THRESHOLD_', 'MALLOC_MMAP_THRESHOLD_', 'LD_PRELOAD']
    .filter((k) => process.env[k] !== undefined).map((k) => `${k}=${process.env[k]}`).join(' ');
  console.log(`osd-memory ${label} (${env || 'no memory env'}${conf.length ? `; ${conf.join('; ')}` : ''}), ${seconds} s per phase, load ${loadavg()[0]!.toFixed(1)}`);
  const all: PhaseFigures[][] = [];
  for (let i = 0; i < runs; i++) {
    console.log(`run ${i + 1}`);
    all.push(runOnce(seconds, port, osdSize, phases, process.argv.includes('--keep'), conf));
  }
  const maxPeak = (key: string): number => Math.max(...all.map((r) => Math.max(...r.find((f) => f.phase === key)!.peakMiB)));
  const meanCpu = (key: string): number => all.reduce((s, r) => s + r.find((f) => f.phase === key)!.osdCpuMsPerOp, 0) / all.length;
  console.log(`summary ${label}: phase, max peak RSS over OSDs and runs (MiB), mean OSD CPU ms/op`);
  for (const p of phases) console.log(`  ${p.key.padEnd(9)} ${String(maxPeak(p.key)).padStart(5)}  ${meanCpu(p.key).toFixed(2)}`);
  if (json) writeFileSync(json, JSON.stringify({ label, env, seconds, runs: all }, null, 1));
}

main();
