#!/usr/bin/env node
// vstart: a local tsceph cluster on loopback for development and tests, in the spirit of Ceph's
// src/vstart.sh. This first version starts monitors only (OSDs come with the OSD issue):
//   vstart [--mons N] [--dir D] [--port P] [--new]   create (or reuse) and start the cluster in D
//   vstart --status [--dir D]                           which daemons run, and the quorum
//   vstart --stop [--dir D]                             stop the daemons vstart started (by PID)
// Layout of D: ceph.conf (what clients need), monmap, dev/mon.NAME (stores), out/NAME.log and
// out/NAME.pid. A second run reuses a stopped or running cluster in D; --new replaces it.

import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { addMon, encodeMonMap, newMonMap } from '../common/monmap/index.js';
import { makeEntityAddr } from '../common/entityaddr.js';
import { isMainModule } from './shell.js';

const USAGE = `usage: vstart [options]
  --mons N        number of monitors (1, 3 or 5; default 1)
  --dir D         cluster directory (default ./tsceph-cluster, or $TSCEPH_VSTART_DIR)
  --port P        first monitor port (default: a free port from 40100); monitor i listens on P+i
  --new           remove an existing cluster in D and create a fresh one
  --status        show the daemons and the quorum, then exit
  --stop          stop the daemons this cluster's vstart started (by their PID files), then exit
  -h, --help      this text
`;

const MON_NAMES = ['a', 'b', 'c', 'd', 'e'];
const QUORUM_WAIT_MS = 60000;
const STOP_WAIT_MS = 10000;

interface VstartArgs {
  mons: number;
  dir: string;
  port: number | null;
  fresh: boolean;
  status: boolean;
  stop: boolean;
  help: boolean;
}

function parseArgs(argv: string[], env: NodeJS.ProcessEnv): VstartArgs {
  const a: VstartArgs = { mons: 1, dir: env.TSCEPH_VSTART_DIR ?? 'tsceph-cluster', port: null, fresh: false, status: false, stop: false, help: false };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const w = argv[i]!;
    switch (w) {
      case '--mons': case '-m': {
        const n = Number(value(i, w));
        if (![1, 3, 5].includes(n)) throw new Error(`--mons must be 1, 3 or 5 (got ${argv[i + 1]})`);
        a.mons = n;
        i++;
        break;
      }
      case '--dir': a.dir = value(i, w); i++; break;
      case '--port': {
        const p = Number(value(i, w));
        if (!Number.isInteger(p) || p < 1024 || p > 65530) throw new Error(`--port must be an integer in 1024..65530 (got ${argv[i + 1]})`);
        a.port = p;
        i++;
        break;
      }
      case '--new': case '-n': a.fresh = true; break;
      case '--status': a.status = true; break;
      case '--stop': a.stop = true; break;
      case '-h': case '--help': a.help = true; break;
      default: throw new Error(`unknown argument '${w}'`);
    }
  }
  a.dir = resolve(a.dir);
  return a;
}

function binPath(name: string): string {
  return fileURLToPath(new URL(`./${name}.js`, import.meta.url));
}

function portFree(port: number): Promise<boolean> {
  return new Promise((res) => {
    const s = createServer();
    s.once('error', () => res(false));
    s.listen(port, '127.0.0.1', () => s.close(() => res(true)));
  });
}

async function pickPorts(first: number | null, n: number): Promise<number[]> {
  if (first !== null) {
    const ports = Array.from({ length: n }, (_, i) => first + i);
    for (const p of ports) if (!(await portFree(p))) throw new Error(`port ${p} on 127.0.0.1 is in use; pick another --port`);
    return ports;
  }
  for (let base = 40100; base < 49000; base += 10) {
    const ports = Array.from({ length: n }, (_, i) => base + i);
    let ok = true;
    for (const p of ports) if (!(await portFree(p))) { ok = false; break; }
    if (ok) return ports;
  }
  throw new Error('no free ports found in 40100..49000');
}

interface ClusterFiles {
  conf: string;
  monmap: string;
  out: string;
  dev: string;
}

function files(dir: string): ClusterFiles {
  return { conf: join(dir, 'ceph.conf'), monmap: join(dir, 'monmap'), out: join(dir, 'out'), dev: join(dir, 'dev') };
}

/** Monitor names of the cluster: mon_initial_members, plus any [mon.X] section added since (mon add). */
function monNames(conf: string): string[] {
  const text = readFileSync(conf, 'utf8');
  const initial = /^mon_initial_members\s*=\s*(.*)$/m.exec(text)?.[1]?.split(/[\s,;]+/).filter((x) => x !== '') ?? [];
  const sections = [...text.matchAll(/^\[mon\.([A-Za-z0-9_-]+)\]/gm)].map((m) => m[1]!);
  return [...new Set([...initial, ...sections])];
}

/** A PID from a pid file, if that process still runs and is one of our ceph-mon processes for this conf. */
function livePid(pidFile: string, conf: string): number | null {
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    // Only a process we started: our daemon script with this cluster's conf (a reused PID is someone else).
    if (!cmdline.includes('ceph-mon.js') || !cmdline.includes(conf)) return null;
    return pid;
  } catch {
    return null;
  }
}

function writeConf(f: ClusterFiles, dir: string, fsid: string, names: string[], ports: number[]): void {
  const monHost = ports.map((p) => `v2:127.0.0.1:${p}`).join(',');
  const lines = [
    '; written by tsceph vstart',
    '[global]',
    `fsid = ${fsid}`,
    `mon_host = ${monHost}`,
    `mon_initial_members = ${names.join(',')}`,
    'auth_cluster_required = none',
    'auth_service_required = none',
    'auth_client_required = none',
    'ms_bind_msgr1 = false',
    `run_dir = ${f.out}`,
    `log_file = ${f.out}/$name.log`,
    `pid_file = ${f.out}/$name.pid`,
    'mon_allow_pool_delete = true',
    'osd_pool_default_size = 3',
    '',
    '[mon]',
    `mon_data = ${f.dev}/mon.$id`,
    '',
  ];
  // No [mon.NAME] sections: Ceph's clients add a monitor for each one (with no address unless it has
  // mon_addr) beside those from mon_host, and then hunt a monitor that cannot be dialled.
  void dir;
  writeFileSync(f.conf, lines.join('\n'));
}

function startMon(f: ClusterFiles, name: string): number {
  const log = openSync(join(f.out, `mon.${name}.stdout`), 'a');
  const child = spawn(process.execPath, [binPath('ceph-mon'), '-c', f.conf, '-i', name, '-f'], { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start mon.${name}`);
  writeFileSync(join(f.out, `mon.${name}.pid`), `${child.pid}\n`);
  return child.pid;
}

function quorumStatus(f: ClusterFiles): { quorum_names: string[] } | null {
  const r = spawnSync(process.execPath, [binPath('ceph'), '-c', f.conf, '--connect-timeout', '5', 'quorum_status', '-f', 'json'], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  try {
    return JSON.parse(r.stdout) as { quorum_names: string[] };
  } catch {
    return null;
  }
}

async function waitQuorum(f: ClusterFiles, names: string[]): Promise<boolean> {
  const deadline = Date.now() + QUORUM_WAIT_MS;
  while (Date.now() < deadline) {
    const q = quorumStatus(f);
    if (q && names.every((n) => q.quorum_names.includes(n))) return true;
    await new Promise((r) => setTimeout(r, 300));
  }
  return false;
}

async function stopCluster(f: ClusterFiles, out: (s: string) => void): Promise<void> {
  if (!existsSync(f.conf)) {
    out('vstart: no cluster here\n');
    return;
  }
  const pids: Array<[string, number]> = [];
  for (const n of monNames(f.conf)) {
    const pid = livePid(join(f.out, `mon.${n}.pid`), f.conf);
    if (pid !== null) pids.push([`mon.${n}`, pid]);
  }
  for (const [, pid] of pids) process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_WAIT_MS;
  for (const [who, pid] of pids) {
    while (Date.now() < deadline && livePid(join(f.out, `${who}.pid`), f.conf) === pid) await new Promise((r) => setTimeout(r, 100));
    if (livePid(join(f.out, `${who}.pid`), f.conf) === pid) process.kill(pid, 'SIGKILL');
    rmSync(join(f.out, `${who}.pid`), { force: true });
    out(`stopped ${who} (pid ${pid})\n`);
  }
  if (pids.length === 0) out('vstart: nothing was running\n');
}

function usageText(f: ClusterFiles, ceph: string): string {
  return [
    '',
    'tsceph cluster is up. To use it:',
    `  export CEPH_CONF=${f.conf}`,
    `  node ${ceph} -s`,
    `  node ${ceph} osd pool create mypool 8`,
    `Logs: ${f.out}/    Stop: node ${fileURLToPath(import.meta.url)} --stop --dir ${resolve(f.conf, '..')}`,
    '',
  ].join('\n');
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const out = (s: string) => process.stdout.write(s);
  let a: VstartArgs;
  try {
    a = parseArgs(argv, env);
  } catch (e) {
    process.stderr.write(`vstart: ${(e as Error).message}\n${USAGE}`);
    return 1;
  }
  if (a.help) {
    out(USAGE);
    return 0;
  }
  const f = files(a.dir);
  if (a.stop) {
    await stopCluster(f, out);
    return 0;
  }
  if (a.status) {
    if (!existsSync(f.conf)) {
      out(`vstart: no cluster in ${a.dir}\n`);
      return 1;
    }
    for (const n of monNames(f.conf)) {
      const pid = livePid(join(f.out, `mon.${n}.pid`), f.conf);
      out(`mon.${n}: ${pid === null ? 'stopped' : `running (pid ${pid})`}\n`);
    }
    const q = quorumStatus(f);
    out(q ? `quorum: ${q.quorum_names.join(',')}\n` : 'quorum: none\n');
    return 0;
  }

  if (existsSync(f.conf) && a.fresh) {
    await stopCluster(f, out);
    rmSync(a.dir, { recursive: true, force: true });
  }
  let names: string[];
  if (existsSync(f.conf)) {
    names = monNames(f.conf);
    out(`vstart: reusing the cluster in ${a.dir} (${names.length} monitors; --new replaces it)\n`);
  } else {
    names = MON_NAMES.slice(0, a.mons);
    const ports = await pickPorts(a.port, names.length);
    mkdirSync(f.out, { recursive: true });
    mkdirSync(f.dev, { recursive: true });
    const fsid = randomUUID();
    writeConf(f, a.dir, fsid, names, ports);
    const nowMs = Date.now();
    const monmap = newMonMap({ fsid, created: { sec: Math.floor(nowMs / 1000), nsec: (nowMs % 1000) * 1e6 }, enableAllFeatures: true, minMonRelease: 16 });
    names.forEach((n, i) => addMon(monmap, n, [makeEntityAddr(2, '127.0.0.1', ports[i]!)]));
    writeFileSync(f.monmap, encodeMonMap(monmap));
    for (const n of names) {
      const r = spawnSync(process.execPath, [binPath('ceph-mon'), '-c', f.conf, '-i', n, '--mkfs', '--monmap', f.monmap], { encoding: 'utf8' });
      if (r.status !== 0) {
        process.stderr.write(`vstart: ceph-mon --mkfs for mon.${n} failed: ${r.stderr}`);
        return 1;
      }
    }
    out(`vstart: created a cluster with ${names.length} monitor(s) in ${a.dir} (fsid ${fsid})\n`);
  }
  for (const n of names) {
    const running = livePid(join(f.out, `mon.${n}.pid`), f.conf);
    if (running !== null) {
      out(`mon.${n} already running (pid ${running})\n`);
      continue;
    }
    const pid = startMon(f, n);
    out(`started mon.${n} (pid ${pid})\n`);
  }
  if (!(await waitQuorum(f, names))) {
    process.stderr.write(`vstart: the monitors did not form a quorum within ${QUORUM_WAIT_MS / 1000} s; see ${f.out}/*.log\n`);
    return 1;
  }
  out(`quorum: ${names.join(',')}\n`);
  out(usageText(f, binPath('ceph')));
  return 0;
}

if (isMainModule(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (e: unknown) => {
      process.stderr.write(`vstart: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
