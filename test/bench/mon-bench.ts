// Benchmark 6b: monitor map updates committed per second and command commit latency (p50 / p99) with
// three monitors on loopback, tsceph's beside a real Ceph 16 cluster of three ceph-mon in the same run.
// Every command is a write that makes a new OSDMap epoch (`osd out N` / `osd in N` alternately on an
// OSD of the worker's own), sent by tsceph's MonClient to both clusters, so the client side is the same.
// Reported at 1 and at 16 commands in flight.
//
// Ceph proposes at most once per paxos_propose_interval (1 s) after a recent commit and batches what
// arrives meanwhile, so its latency at one command in flight is bounded below by that interval; tsceph
// proposes as soon as the previous proposal commits. The second Ceph row sets paxos_propose_interval to
// 0.01 s to compare the Paxos round itself.
//
// Usage: npm run bench:mon [-- --seconds N] [--port P] [--no-ceph]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAddrVecList } from '../../common/config.js';
import { MonClient } from '../../mon/client/index.js';
import { cpuSeconds } from '../support/proc-stat.js';
import { arg, exitWithUsageIfAsked } from './args.js';

const bin = (name: string) => fileURLToPath(new URL(`../../bin/${name}.js`, import.meta.url));

interface Cluster {
  name: string;
  monHost: string;
  cpuSeconds(): number;
  stop(): Promise<void>;
}

async function startTsceph(port: number): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-tsceph-mon-'));
  const r = spawnSync(process.execPath, [bin('vstart'), '--mons', '3', '--osds', '0', '--dir', dir, '--port', String(port)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`vstart failed: ${r.stderr}`);
  const pids = ['a', 'b', 'c'].map((n) => Number(readFileSync(join(dir, 'out', `mon.${n}.pid`), 'utf8')));
  return {
    name: 'tsceph',
    monHost: [0, 1, 2].map((i) => `v2:127.0.0.1:${port + i}`).join(','),
    cpuSeconds: () => pids.reduce((s, p) => s + cpuSeconds(p), 0),
    stop: async () => {
      spawnSync(process.execPath, [bin('vstart'), '--stop', '--dir', dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function startCeph(port: number, extra: Record<string, string>): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-ceph-mon-'));
  const fsid = randomUUID();
  const names = ['a', 'b', 'c'];
  const monHost = names.map((_, i) => `v2:127.0.0.1:${port + i}`).join(',');
  const conf = join(dir, 'ceph.conf');
  writeFileSync(conf, [
    '[global]', `fsid = ${fsid}`, `mon_host = ${monHost}`, `mon_initial_members = ${names.join(',')}`,
    'auth_cluster_required = none', 'auth_service_required = none', 'auth_client_required = none',
    'ms_bind_msgr1 = false', `mon_data = ${dir}/mon.$id`, `log_file = ${dir}/$name.log`, `admin_socket = ${dir}/$name.asok`,
    `pid_file = ${dir}/$name.pid`, `run_dir = ${dir}`,
    ...Object.entries(extra).map(([k, v]) => `${k} = ${v}`), '',
  ].join('\n'));
  const monmap = join(dir, 'monmap');
  const add = names.flatMap((n, i) => ['--addv', n, `[v2:127.0.0.1:${port + i}]`]);
  let r = spawnSync('monmaptool', ['--create', '--fsid', fsid, ...add, monmap], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`monmaptool: ${r.stderr}`);
  const children: ChildProcess[] = [];
  for (const n of names) {
    r = spawnSync('ceph-mon', ['-c', conf, '--mkfs', '-i', n, '--monmap', monmap], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ceph-mon --mkfs: ${r.stderr}`);
  }
  for (const n of names) children.push(spawn('ceph-mon', ['-c', conf, '-i', n, '-f'], { stdio: 'ignore' }));
  const deadline = Date.now() + 60000;
  for (;;) {
    const q = spawnSync('ceph', ['-c', conf, '--connect-timeout', '5', 'quorum_status', '-f', 'json'], { encoding: 'utf8' });
    if (q.status === 0 && (JSON.parse(q.stdout) as { quorum: number[] }).quorum.length === 3) break;
    if (Date.now() > deadline) throw new Error('real Ceph monitors did not form a quorum');
    await new Promise((res) => setTimeout(res, 300));
  }
  return {
    name: Object.keys(extra).length ? `ceph (${Object.entries(extra).map(([k, v]) => `${k}=${v}`).join(' ')})` : 'ceph',
    monHost,
    cpuSeconds: () => children.reduce((s, c) => s + (c.pid ? cpuSeconds(c.pid) : 0), 0),
    stop: async () => {
      for (const c of children) c.kill('SIGTERM');
      await Promise.all(children.map((c) => new Promise((res) => (c.exitCode !== null ? res(null) : c.once('exit', res)))));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Result {
  commits: number;
  seconds: number;
  p50: number;
  p99: number;
  cpu: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function run(c: Cluster, inFlight: number, seconds: number): Promise<Result> {
  const mc = new MonClient({ monAddrs: parseAddrVecList(c.monHost, 'mon_host') });
  await mc.connect({ timeoutMs: 30000 });
  // One OSD per worker, created up front (not timed).
  const osds: number[] = [];
  for (let i = 0; i < inFlight; i++) {
    const r = await mc.command({ prefix: 'osd create' }, undefined, { timeoutMs: 30000 });
    if (r.r !== 0) throw new Error(`osd create: ${r.rs}`);
    osds.push(Number(r.out.toString().trim()));
  }
  const lat: number[] = [];
  const cpu0 = c.cpuSeconds();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(osds.map(async (osd) => {
    let out = true;
    while (performance.now() < end) {
      const s = performance.now();
      const r = await mc.command({ prefix: out ? 'osd out' : 'osd in', ids: [String(osd)] }, undefined, { timeoutMs: 30000 });
      if (r.r !== 0) throw new Error(`osd ${out ? 'out' : 'in'} ${osd}: ${r.rs}`);
      lat.push(performance.now() - s);
      out = !out;
    }
  }));
  const secs = (performance.now() - t0) / 1000;
  const cpu = c.cpuSeconds() - cpu0;
  await mc.shutdown();
  lat.sort((a, b) => a - b);
  return { commits: lat.length, seconds: secs, p50: percentile(lat, 50), p99: percentile(lat, 99), cpu };
}

function row(name: string, inFlight: number, r: Result): string {
  return `${name.padEnd(44)} ${String(inFlight).padStart(3)}  ${(r.commits / r.seconds).toFixed(1).padStart(9)}/s  p50 ${r.p50.toFixed(1).padStart(7)} ms  p99 ${r.p99.toFixed(1).padStart(7)} ms  mon cpu ${(r.cpu / r.commits * 1000).toFixed(2)} ms/cmd`;
}

async function main(): Promise<void> {
  exitWithUsageIfAsked(import.meta.url);
  const seconds = Number(arg('seconds', '10'));
  const port = Number(arg('port', '17600'));
  const withCeph = !process.argv.includes('--no-ceph') && existsSync('/usr/bin/ceph-mon');
  console.log(`bench:mon  ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load ${loadavg().map((x) => x.toFixed(2)).join(' ')}, ${seconds} s per case`);
  console.log(`${'cluster (3 monitors)'.padEnd(44)} qd   commits           latency`);
  const results = new Map<string, Result>();
  const clusters: Array<() => Promise<Cluster>> = [() => startTsceph(port)];
  if (withCeph) {
    clusters.push(() => startCeph(port + 10, {}));
    clusters.push(() => startCeph(port + 20, { paxos_propose_interval: '0.01', paxos_min_wait: '0.001' }));
  }
  for (const start of clusters) {
    const c = await start();
    try {
      for (const qd of [1, 16]) {
        const r = await run(c, qd, seconds);
        results.set(`${c.name}/${qd}`, r);
        console.log(row(c.name, qd, r));
      }
    } finally {
      await c.stop();
    }
  }
  if (withCeph) {
    for (const qd of [1, 16]) {
      const t = results.get(`tsceph/${qd}`)!;
      const k = results.get(`ceph/${qd}`)!;
      console.log(`ratio tsceph/ceph at qd ${qd}: commits ${((t.commits / t.seconds) / (k.commits / k.seconds)).toFixed(2)}x, p50 latency ${(t.p50 / k.p50).toFixed(2)}x`);
    }
  }
}

main().then(() => process.exit(0), (e: unknown) => {
  console.error(e instanceof Error ? e.stack : String(e));
  process.exit(1);
});
