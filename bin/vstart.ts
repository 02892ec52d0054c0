#!/usr/bin/env node
// vstart: a local tsceph cluster on loopback for development and tests, in the spirit of Ceph's
// src/vstart.sh:
//   vstart [--mons N] [--osds N] [--osd-size S] [--dir D] [--port P] [--new]
//                                 create (or reuse) and start the cluster in D; with OSDs, a pool
//                                 "tsceph" of size min(3, N) is created with the cluster
//   vstart --status [--dir D]     which daemons run, the quorum and the OSDs up/in
//   vstart --stop [--dir D]       stop the daemons vstart started (by PID: OSDs first, then monitors)
// With no options: 1 monitor and 3 OSDs, each OSD on a sparse 1 GiB file (dev/osd.N/block); --osds 0
// makes a monitor-only cluster (the monitor tests use it).
// Layout of D: ceph.conf (what clients need), monmap, dev/mon.NAME and dev/osd.N (stores),
// out/NAME.log and out/NAME.pid. Ports: monitor i on P+i, OSDs bind in P+10..P+99. A second run
// reuses the cluster in D (starting the daemons that are not running); --new replaces it.

import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { addMon, encodeMonMap, newMonMap } from '../common/monmap/index.js';
import { makeEntityAddr } from '../common/entityaddr.js';
import { parseSize } from '../common/size.js';
import { daemonMemoryEnv, osdNodeFlags } from './daemon-memory.js';
import { isMainModule } from './shell.js';

const USAGE = `usage: vstart [options]
  --mons N        number of monitors (1, 3 or 5; default 1)
  --osds N        number of OSDs (default 3; 0 for monitors only); a pool "tsceph" of size
                  min(3, N) is created with them (Ceph's vstart.sh creates none)
  --osd-size S    each OSD's device file size (sparse; default 1G; K/M/G suffixes)
  --dir D         cluster directory (default ./tsceph-cluster, or $TSCEPH_VSTART_DIR)
  --port P        first monitor port (default: a free port from 40100); monitor i listens on P+i,
                  OSDs bind in P+10..P+99
  -o 'OPT = VAL'  add a line to ceph.conf's [global] section of a new cluster (repeatable; as vstart.sh)
  --new           remove an existing cluster in D and create a fresh one
  --status        show the daemons and the quorum, then exit
  --stop          stop the daemons this cluster's vstart started (by their PID files), then exit
  -h, --help      this text
Environment: TSCEPH_NODE_FLAGS (e.g. --maglev) adds Node flags to each daemon it starts.
  TSCEPH_MALLOC=glibc|tcmalloc|none: the daemons' allocator settings (default glibc: MALLOC_ARENA_MAX,
  MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_ unless set; tcmalloc: preload libtcmalloc_minimal if
  installed; none: leave the environment alone). See docs/memory.md.
`;

const MON_NAMES = ['a', 'b', 'c', 'd', 'e'];
const QUORUM_WAIT_MS = 60000;
const STOP_WAIT_MS = 10000;
const OSDS_UP_WAIT_MS = 90000;
/** Default OSD device size: small enough for CI (the file is sparse). */
const OSD_SIZE_DEFAULT = 1024 * 1024 * 1024;
const OSDS_MAX = 64;
/** The pool created with the OSDs. */
export const VSTART_POOL = 'tsceph';
const VSTART_POOL_PGS = 16;
/** OSDs bind in [P + OSD_PORT_OFFSET, P + OSD_PORT_SPAN - 1]. */
const OSD_PORT_OFFSET = 10;
const OSD_PORT_SPAN = 100;

interface VstartArgs {
  mons: number;
  osds: number;
  osdSize: number;
  extraConf: string[];
  dir: string;
  port: number | null;
  fresh: boolean;
  status: boolean;
  stop: boolean;
  help: boolean;
}

function parseArgs(argv: string[], env: NodeJS.ProcessEnv): VstartArgs {
  const a: VstartArgs = { mons: 1, osds: 3, osdSize: OSD_SIZE_DEFAULT, extraConf: [], dir: env.TSCEPH_VSTART_DIR ?? 'tsceph-cluster', port: null, fresh: false, status: false, stop: false, help: false };
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
      case '--osds': {
        const n = Number(value(i, w));
        if (!Number.isInteger(n) || n < 0 || n > OSDS_MAX) throw new Error(`--osds must be an integer in 0..${OSDS_MAX} (got ${argv[i + 1]})`);
        a.osds = n;
        i++;
        break;
      }
      case '--osd-size': {
        const v = value(i, w);
        const bytes = parseSize(v) ?? NaN;
        if (bytes < 64 * 1024 * 1024 || Number.isNaN(bytes)) throw new Error(`--osd-size must be a size of at least 64M (got ${v})`);
        a.osdSize = bytes;
        i++;
        break;
      }
      case '--dir': a.dir = value(i, w); i++; break;
      case '-o': {
        const v = value(i, w);
        if (!/^\s*[A-Za-z0-9_ ]+\s*=/.test(v) || v.includes('\n')) throw new Error(`-o takes 'option = value' (got ${v})`);
        a.extraConf.push(v.trim());
        i++;
        break;
      }
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
  for (let base = 40100; base < 49000; base += 100) {
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

/** OSD ids of the cluster: the dev/osd.N directories ceph-osd --mkfs made. */
function osdIds(f: ClusterFiles): number[] {
  if (!existsSync(f.dev)) return [];
  return readdirSync(f.dev)
    .map((n) => /^osd\.(\d+)$/.exec(n))
    .filter((m): m is RegExpExecArray => m !== null && existsSync(join(f.dev, m[0], 'block')))
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
}

/** A PID from a pid file, if that process still runs and is our daemon script for this conf. */
function livePid(pidFile: string, conf: string, script = 'ceph-mon.js'): number | null {
  if (!existsSync(pidFile)) return null;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    // Only a process we started: our daemon script with this cluster's conf (a reused PID is someone else).
    if (!cmdline.includes(script) || !cmdline.includes(conf)) return null;
    return pid;
  } catch {
    return null;
  }
}

function writeConf(f: ClusterFiles, fsid: string, names: string[], ports: number[], osds: number, osdSize: number, extra: string[]): void {
  const monHost = ports.map((p) => `v2:127.0.0.1:${p}`).join(',');
  // A monitor-only cluster (--osds 0) keeps the conf of earlier versions: the monitor
  // tests add their own [osd] sections for real ceph-osd processes.
  const withOsds = osds > 0;
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
    `osd_pool_default_size = ${withOsds ? Math.min(3, osds) : 3}`,
    // Every OSD runs on this one host: count failure reporters per OSD, as Ceph's vstart.sh does.
    ...(withOsds ? ['mon_osd_reporter_subtree_level = osd'] : []),
    ...extra,
    '',
    '[mon]',
    `mon_data = ${f.dev}/mon.$id`,
    '',
  ];
  if (withOsds) {
    lines.push(
      '[osd]',
      `osd_data = ${f.dev}/osd.$id`,
      `bluestore_block_size = ${osdSize}`,
      // One crush host per OSD: the default rule places replicas on distinct hosts, and every OSD runs
      // on this one machine (Ceph's vstart.sh sets osd_crush_chooseleaf_type = 0 instead, which
      // tsceph's monitors do not read).
      'crush_location = root=default host=$host-osd$id',
      `ms_bind_port_min = ${ports[0]! + OSD_PORT_OFFSET}`,
      `ms_bind_port_max = ${ports[0]! + OSD_PORT_SPAN - 1}`,
      '',
    );
  }
  // No [mon.NAME] sections: Ceph's clients add a monitor for each one (with no address unless it has
  // mon_addr) beside those from mon_host, and then hunt a monitor that cannot be dialled.
  writeFileSync(f.conf, lines.join('\n'));
}

/** Node flags for the daemons (e.g. TSCEPH_NODE_FLAGS=--maglev), passed before the script. */
function daemonNodeFlags(): string[] {
  return (process.env['TSCEPH_NODE_FLAGS'] ?? '').split(/\s+/).filter((w) => w.length > 0);
}

function startDaemon(f: ClusterFiles, script: string, name: string, args: string[], nodeFlags: string[] = daemonNodeFlags()): number {
  const log = openSync(join(f.out, `${name}.stdout`), 'a');
  const child = spawn(process.execPath, [...nodeFlags, binPath(script), '-c', f.conf, ...args, '-f'], { detached: true, stdio: ['ignore', log, log], env: daemonMemoryEnv(process.env) });
  closeSync(log);
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  writeFileSync(join(f.out, `${name}.pid`), `${child.pid}\n`);
  return child.pid;
}

function startMon(f: ClusterFiles, name: string): number {
  return startDaemon(f, 'ceph-mon', `mon.${name}`, ['-i', name]);
}

/**
 * V8 tiering for an OSD, before the user's flags (which win): optimize a function after twice the
 * default interrupt budget (67584 bytecode bytes) and inline at most 300 bytecode bytes into one
 * optimized function (default 920). A fresh OSD spent as much CPU in TurboFan's background jobs as on
 * its main thread through the first 10 s of a 4 KiB write bench; these cut the OSD CPU per write there
 * by about a quarter, and not the warm figure (docs/v8-tiering.md).
 */
export const OSD_JIT_FLAGS: readonly string[] = ['--interrupt-budget=135168', '--max-inlined-bytecode-size-cumulative=300'];

function startOsd(f: ClusterFiles, id: number): number {
  return startDaemon(f, 'ceph-osd', `osd.${id}`, ['-i', String(id)], osdNodeFlags([...OSD_JIT_FLAGS, ...daemonNodeFlags()]));
}

function cephCli(f: ClusterFiles, args: string[], timeoutS = 10): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [binPath('ceph'), '-c', f.conf, '--connect-timeout', String(timeoutS), ...args], { encoding: 'utf8', timeout: (timeoutS + 20) * 1000 });
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function quorumStatus(f: ClusterFiles): { quorum_names: string[] } | null {
  const r = cephCli(f, ['quorum_status', '-f', 'json'], 5);
  if (r.status !== 0) return null;
  try {
    return JSON.parse(r.stdout) as { quorum_names: string[] };
  } catch {
    return null;
  }
}

function osdStat(f: ClusterFiles): { num_osds: number; num_up_osds: number; num_in_osds: number } | null {
  const r = cephCli(f, ['osd', 'stat', '-f', 'json'], 5);
  if (r.status !== 0) return null;
  try {
    return JSON.parse(r.stdout) as { num_osds: number; num_up_osds: number; num_in_osds: number };
  } catch {
    return null;
  }
}

async function waitFor(deadlineMs: number, test: () => boolean): Promise<boolean> {
  const deadline = Date.now() + deadlineMs;
  while (Date.now() < deadline) {
    if (test()) return true;
    await new Promise((r) => setTimeout(r, 300));
  }
  return false;
}

async function waitQuorum(f: ClusterFiles, names: string[]): Promise<boolean> {
  return waitFor(QUORUM_WAIT_MS, () => {
    const q = quorumStatus(f);
    return q !== null && names.every((n) => q.quorum_names.includes(n));
  });
}

/** Make OSD `id`: `osd new UUID ID` at the monitors, then ceph-osd --mkfs (Ceph's vstart.sh does the same). */
function createOsd(f: ClusterFiles, id: number): void {
  const uuid = randomUUID();
  const r = cephCli(f, ['osd', 'new', uuid, String(id)], 20);
  if (r.status !== 0) throw new Error(`ceph osd new for osd.${id} failed: ${r.stderr.trim()}`);
  const mk = spawnSync(process.execPath, [binPath('ceph-osd'), '-c', f.conf, '-i', String(id), '--mkfs', '--osd-uuid', uuid], { encoding: 'utf8' });
  if (mk.status !== 0) throw new Error(`ceph-osd --mkfs for osd.${id} failed: ${mk.stderr.trim()}`);
}

async function stopCluster(f: ClusterFiles, out: (s: string) => void): Promise<void> {
  if (!existsSync(f.conf)) {
    out('vstart: no cluster here\n');
    return;
  }
  // OSDs first (they ask the monitors to mark them down), then the monitors.
  const groups: Array<Array<[string, number, string]>> = [[], []];
  for (const id of osdIds(f)) {
    const pid = livePid(join(f.out, `osd.${id}.pid`), f.conf, 'ceph-osd.js');
    if (pid !== null) groups[0]!.push([`osd.${id}`, pid, 'ceph-osd.js']);
  }
  for (const n of monNames(f.conf)) {
    const pid = livePid(join(f.out, `mon.${n}.pid`), f.conf);
    if (pid !== null) groups[1]!.push([`mon.${n}`, pid, 'ceph-mon.js']);
  }
  for (const pids of groups) {
    for (const [, pid] of pids) process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + STOP_WAIT_MS;
    for (const [who, pid, script] of pids) {
      const pidFile = join(f.out, `${who}.pid`);
      while (Date.now() < deadline && livePid(pidFile, f.conf, script) === pid) await new Promise((r) => setTimeout(r, 100));
      if (livePid(pidFile, f.conf, script) === pid) process.kill(pid, 'SIGKILL');
      rmSync(pidFile, { force: true });
      out(`stopped ${who} (pid ${pid})\n`);
    }
  }
  if (groups[0]!.length + groups[1]!.length === 0) out('vstart: nothing was running\n');
}

function usageText(f: ClusterFiles, osds: number): string {
  const ceph = binPath('ceph');
  const rados = binPath('rados');
  const lines = [
    '',
    'tsceph cluster is up. To use it:',
    `  export CEPH_CONF=${f.conf}`,
    `  node ${ceph} -s`,
  ];
  if (osds > 0) {
    lines.push(
      `  echo hello > /tmp/hello.txt`,
      `  node ${rados} -p ${VSTART_POOL} put hello /tmp/hello.txt`,
      `  node ${rados} -p ${VSTART_POOL} get hello -`,
    );
  } else {
    lines.push(`  node ${ceph} osd pool create mypool 8`);
  }
  lines.push(`Logs: ${f.out}/    Status: node ${fileURLToPath(import.meta.url)} --status --dir ${resolve(f.conf, '..')}`);
  lines.push(`Stop: node ${fileURLToPath(import.meta.url)} --stop --dir ${resolve(f.conf, '..')}`, '');
  return lines.join('\n');
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
    for (const id of osdIds(f)) {
      const pid = livePid(join(f.out, `osd.${id}.pid`), f.conf, 'ceph-osd.js');
      out(`osd.${id}: ${pid === null ? 'stopped' : `running (pid ${pid})`}\n`);
    }
    const q = quorumStatus(f);
    out(q ? `quorum: ${q.quorum_names.join(',')}\n` : 'quorum: none\n');
    if (q && osdIds(f).length > 0) {
      const st = osdStat(f);
      if (st) out(`osds: ${st.num_osds} osds: ${st.num_up_osds} up, ${st.num_in_osds} in\n`);
    }
    return 0;
  }

  if (existsSync(f.conf) && a.fresh) {
    await stopCluster(f, out);
    rmSync(a.dir, { recursive: true, force: true });
  }
  let names: string[];
  let created = false;
  let osds: number[];
  if (existsSync(f.conf)) {
    names = monNames(f.conf);
    osds = osdIds(f);
    out(`vstart: reusing the cluster in ${a.dir} (${names.length} monitors, ${osds.length} OSDs; --new replaces it)\n`);
  } else {
    created = true;
    names = MON_NAMES.slice(0, a.mons);
    const ports = await pickPorts(a.port, names.length);
    mkdirSync(f.out, { recursive: true });
    mkdirSync(f.dev, { recursive: true });
    const fsid = randomUUID();
    writeConf(f, fsid, names, ports, a.osds, a.osdSize, a.extraConf);
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
    osds = [];
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
  if (created && a.osds > 0) {
    try {
      for (let id = 0; id < a.osds; id++) createOsd(f, id);
    } catch (e) {
      process.stderr.write(`vstart: ${(e as Error).message}\n`);
      return 1;
    }
    osds = osdIds(f);
    out(`created ${osds.length} OSD(s) on ${a.osdSize} byte device files in ${f.dev}\n`);
  }
  for (const id of osds) {
    const running = livePid(join(f.out, `osd.${id}.pid`), f.conf, 'ceph-osd.js');
    if (running !== null) {
      out(`osd.${id} already running (pid ${running})\n`);
      continue;
    }
    const pid = startOsd(f, id);
    out(`started osd.${id} (pid ${pid})\n`);
  }
  if (osds.length > 0) {
    const up = await waitFor(OSDS_UP_WAIT_MS, () => (osdStat(f)?.num_up_osds ?? -1) >= osds.length);
    if (!up) {
      process.stderr.write(`vstart: the OSDs were not all up within ${OSDS_UP_WAIT_MS / 1000} s; see ${f.out}/osd.*.log\n`);
      return 1;
    }
    out(`osds: ${osds.length} up\n`);
    if (created) {
      const size = Math.min(3, osds.length);
      const p = cephCli(f, ['osd', 'pool', 'create', VSTART_POOL, String(VSTART_POOL_PGS)], 20);
      if (p.status !== 0) {
        process.stderr.write(`vstart: creating pool ${VSTART_POOL} failed: ${p.stderr.trim()}\n`);
        return 1;
      }
      cephCli(f, ['osd', 'pool', 'set', VSTART_POOL, 'size', String(size)], 20);
      out(`pool ${VSTART_POOL}: size ${size}, ${VSTART_POOL_PGS} pgs\n`);
    }
  }
  out(usageText(f, osds.length));
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
