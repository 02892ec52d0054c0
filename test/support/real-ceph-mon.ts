// Starts a throwaway REAL Ceph 16 monitor (Debian's ceph-mon) on loopback with auth "none", as the oracle
// for interop and golden-output tests: our messenger and clients talk to it, and its `ceph` CLI output
// is what ours must match. Stops it by the PID it started; never by name.
//
//   const mon = await startRealCephMon({ port: 17400 });
//   ... mon.conf (path of its ceph.conf), mon.addr ('v2:127.0.0.1:17400'), mon.ceph(['-s']) ...
//   await mon.stop();

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from './wait.js';

export interface RealCephMonOptions {
  /** msgr2 port on 127.0.0.1 (give each test file its own range). */
  port: number;
  /** Monitor name (default "a"). */
  name?: string;
  /** Extra [global] lines, e.g. { mon_allow_pool_delete: 'true' }. */
  options?: Record<string, string>;
  /** Also bind msgr1 on port+1 (off by default: v2 only). */
  msgr1?: boolean;
  /** Fixed fsid (default random). */
  fsid?: string;
  /** How long to wait for the monitor to answer (default 20 s). */
  startTimeoutMs?: number;
}

export interface RealCephMon {
  dir: string;
  conf: string;
  fsid: string;
  name: string;
  port: number;
  /** mon_host value, e.g. "v2:127.0.0.1:17400". */
  addr: string;
  pid: number;
  /** Run Ceph's own CLI against it (synchronously): stdout, stderr, exit status. */
  ceph(args: string[], input?: Buffer): { status: number; stdout: Buffer; stderr: string };
  /** Kill the monitor (SIGTERM, then SIGKILL) and remove its directory unless keepDir. */
  stop(keepDir?: boolean): Promise<void>;
}

const CEPH_MON = '/usr/bin/ceph-mon';

/** True when Debian's ceph-mon and ceph CLI are installed (CI installs them: see .ci/run). */
export function realCephAvailable(): boolean {
  return existsSync(CEPH_MON) && existsSync('/usr/bin/ceph') && existsSync('/usr/bin/monmaptool');
}

function run(cmd: string, args: string[], what: string): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}): ${r.stderr || r.stdout}`);
}

/** True when something accepts a TCP connection on 127.0.0.1:port. */
export async function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => { s.destroy(); resolve(true); });
    s.once('error', () => resolve(false));
  });
}

export async function startRealCephMon(opts: RealCephMonOptions): Promise<RealCephMon> {
  if (!realCephAvailable()) {
    throw new Error('Ceph 16 is not installed: apt-get install ceph-mon ceph-common ceph-base (the CI does)');
  }
  const name = opts.name ?? 'a';
  const fsid = opts.fsid ?? randomUUID();
  const dir = mkdtempSync(join(tmpdir(), 'real-ceph-mon-'));
  const addr = opts.msgr1 ? `[v2:127.0.0.1:${opts.port},v1:127.0.0.1:${opts.port + 1}]` : `v2:127.0.0.1:${opts.port}`;
  const lines = [
    '[global]',
    `fsid = ${fsid}`,
    `mon_host = ${addr}`,
    'auth_cluster_required = none',
    'auth_service_required = none',
    'auth_client_required = none',
    `mon_data = ${dir}/mon.$id`,
    `log_file = ${dir}/$name.log`,
    `admin_socket = ${dir}/$name.asok`,
    `pid_file = ${dir}/$name.pid`,
    `run_dir = ${dir}`,
    `mon_initial_members = ${name}`,
    'mon_allow_pool_delete = true',
    'mon_osd_pool_ec_fast_read = false',
    ...Object.entries(opts.options ?? {}).map(([k, v]) => `${k} = ${v}`),
    '',
  ];
  const conf = join(dir, 'ceph.conf');
  writeFileSync(conf, lines.join('\n'));
  const monmap = join(dir, 'monmap');
  run('/usr/bin/monmaptool', ['--create', '--fsid', fsid, '--addv', name, addr.startsWith('[') ? addr : `[${addr}]`, monmap], 'monmaptool');
  run(CEPH_MON, ['-c', conf, '--mkfs', '-i', name, '--monmap', monmap], 'ceph-mon --mkfs');
  const child: ChildProcess = spawn(CEPH_MON, ['-c', conf, '-i', name, '-f'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => { if (stderr.length < 65536) stderr += b.toString(); });
  const pid = child.pid;
  if (pid === undefined) throw new Error('ceph-mon did not start');
  let exited = false;
  const exitedP = new Promise<void>((resolve) => child.once('exit', () => { exited = true; resolve(); }));

  const ceph = (args: string[], input?: Buffer) => {
    const r = spawnSync('/usr/bin/ceph', ['-c', conf, '--connect-timeout', '15', ...args], { input, maxBuffer: 64 << 20 });
    return { status: r.status ?? -1, stdout: r.stdout ?? Buffer.alloc(0), stderr: r.stderr?.toString() ?? '' };
  };
  const stop = async (keepDir = false) => {
    if (!exited) {
      process.kill(pid, 'SIGTERM');
      const t = setTimeout(() => { if (!exited) process.kill(pid, 'SIGKILL'); }, 3000);
      await exitedP;
      clearTimeout(t);
    }
    if (!keepDir) rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (opts.startTimeoutMs ?? 20000);
  while (!(await portAnswers(opts.port))) {
    if (exited || Date.now() > deadline) {
      await stop(true);
      throw new Error(`real ceph-mon did not come up on port ${opts.port} (dir ${dir}): ${stderr.slice(-2000)}`);
    }
    await sleep(100);
  }
  // The port answers before the monitor has formed its quorum of one; wait until a command works.
  for (;;) {
    const r = ceph(['mon', 'stat']);
    if (r.status === 0) break;
    if (exited || Date.now() > deadline) {
      await stop(true);
      throw new Error(`real ceph-mon on port ${opts.port} never answered 'mon stat': ${r.stderr}`);
    }
    await sleep(200);
  }
  return { dir, conf, fsid, name, port: opts.port, addr, pid, ceph, stop };
}
