// Starts a throwaway REAL Ceph 16 cluster on loopback for tests: one ceph-mon, one ceph-mgr (no python
// modules: it only keeps the PG map, so `ceph pg ...` and `ceph -s` show PG states) and N ceph-osd
// (BlueStore on a sparse file, or MemStore), auth none, in a temp directory under /tmp/<name>/. It
// creates pools, kills an OSD with -9 and starts it again, waits for every PG to be active+clean, and
// stops every process by the PID it started (never by name).
//
//   const c = await startRealCephCluster({ name: 'hg', monPort: 18500, osdPortMin: 18510, osdPortMax: 18549, osds: 3 });
//   await c.createPool('p', { pgNum: 8, size: 3, minSize: 2 });
//   await c.killOsd(1); await c.waitOsdDown(1); c.startOsd(1); await c.waitClean();
//   await c.stop();
//
// MemStore keeps its data in memory and writes it out only on a clean shutdown: an OSD killed with -9
// comes back having forgotten everything since its mkfs. Thrash tests therefore use BlueStore (the
// default here), which survives -9 like a real disk.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signalProcess } from './proc-stat.js';
import { portAnswers } from './real-ceph-mon.js';
import { until, untilAsync } from './wait.js';

export type RealObjectStore = 'bluestore' | 'memstore';

export interface RealCephClusterOptions {
  /** Temp directories go under /tmp/<name>/ (use your helper or test name). */
  name: string;
  /** The monitor's msgr2 port on 127.0.0.1. */
  monPort: number;
  /** Ports the mgr and OSDs bind (each OSD takes 4: public, cluster, 2 heartbeat; the mgr 1). */
  osdPortMin: number;
  osdPortMax: number;
  /** How many OSDs (default 3). */
  osds?: number;
  /** Default 'bluestore' (survives kill -9). */
  objectstore?: RealObjectStore;
  /** Size of each BlueStore block file (sparse) or MemStore device (default 1 GiB / 256 MiB). */
  deviceBytes?: number;
  /** Extra [global] options (override the defaults below). */
  options?: Record<string, string>;
  /** How long to wait for the monitor, the mgr and the OSDs to come up (default 90 s). */
  startTimeoutMs?: number;
}

export interface CliOut {
  status: number;
  stdout: string;
  stderr: string;
}

export interface PoolOptions {
  pgNum?: number;
  size?: number;
  minSize?: number;
}

/** One PG as `ceph pg dump pgs` reports it (the fields the waits use). */
export interface PgBrief {
  pgid: string;
  state: string;
  up: number[];
  acting: number[];
  reported_epoch: number;
}

export interface RealCephCluster {
  readonly dir: string;
  readonly conf: string;
  readonly fsid: string;
  readonly osdCount: number;
  readonly objectstore: RealObjectStore;
  /** Ceph's CLI against this cluster (synchronous). */
  ceph(args: string[], timeoutS?: number): CliOut;
  /** Ceph's CLI with -f json, parsed; throws on a non-zero exit. */
  cephJson<T>(args: string[], timeoutS?: number): T;
  /** Ceph's rados CLI against this cluster (synchronous; stdin from `input`, stdout as bytes). */
  rados(args: string[], input?: Buffer): { status: number; stdout: Buffer; stderr: string };
  /** Create a replicated pool and wait until all its PGs are active+clean. */
  createPool(name: string, opts?: PoolOptions): Promise<number>;
  /** True while the OSD process we started is alive. */
  osdRunning(id: number): boolean;
  /** SIGKILL the OSD and wait for the process to exit (the monitor marks it down later). */
  killOsd(id: number): Promise<void>;
  /** Send a signal to the OSD's process we started (SIGSTOP / SIGCONT to freeze and thaw it). */
  signalOsd(id: number, sig: NodeJS.Signals): void;
  /** Start the OSD's process again (it boots and the monitor marks it up). */
  startOsd(id: number): void;
  /** Wait until the osdmap shows the OSD down / up. */
  waitOsdDown(id: number, timeoutMs?: number): Promise<void>;
  waitOsdUp(id: number, timeoutMs?: number): Promise<void>;
  /** The OSDs the osdmap shows up. */
  upOsds(): number[];
  /** Every PG of the cluster as the mgr last heard of it. */
  pgs(): PgBrief[];
  /**
   * Wait until every OSD is up and every PG is active+clean with a full acting set, as reported at or
   * after the epoch the newest OSD booted in (so a report from before a restart cannot pass for clean).
   */
  waitClean(timeoutMs?: number): Promise<void>;
  /** Kill every process we started (SIGKILL) and remove the directory unless keepDir. */
  stop(keepDir?: boolean): Promise<void>;
}

const BIN = '/usr/bin';

/** True when Debian's ceph-mon, ceph-mgr, ceph-osd and ceph CLI are installed. */
export function realCephClusterAvailable(): boolean {
  return ['ceph-mon', 'ceph-mgr', 'ceph-osd', 'ceph', 'monmaptool'].every((b) => existsSync(join(BIN, b)));
}

/** Debian's rados CLI with this conf (synchronous; stdin from `input`, stdout as bytes). */
export function cephRados(conf: string, args: string[], input?: Buffer): { status: number; stdout: Buffer; stderr: string } {
  const r = spawnSync(`${BIN}/rados`, ['-c', conf, ...args], { input, maxBuffer: 256 << 20, timeout: 120000 });
  return { status: r.status ?? -1, stdout: r.stdout ?? Buffer.alloc(0), stderr: r.stderr?.toString() ?? '' };
}

function runSync(cmd: string, args: string[], what: string, timeoutMs = 120000): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs });
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}): ${r.stderr || r.stdout}`);
}

function runAsync(cmd: string, args: string[], what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    c.stderr?.on('data', (b: Buffer) => { if (err.length < 8192) err += b.toString(); });
    c.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${what} failed (${code}): ${err}`))));
    c.once('error', reject);
  });
}

export async function startRealCephCluster(opts: RealCephClusterOptions): Promise<RealCephCluster> {
  if (!realCephClusterAvailable()) {
    throw new Error('Ceph 16 is not installed: apt-get install ceph-mon ceph-mgr ceph-osd ceph-common (the CI does)');
  }
  const osdCount = opts.osds ?? 3;
  const store = opts.objectstore ?? 'bluestore';
  const deviceBytes = opts.deviceBytes ?? (store === 'bluestore' ? 1 << 30 : 256 << 20);
  const startTimeoutMs = opts.startTimeoutMs ?? 90000;
  const root = join('/tmp', opts.name);
  mkdirSync(root, { recursive: true });
  const dir = mkdtempSync(join(root, 'ceph-cluster-'));
  const fsid = randomUUID();
  const monAddr = `v2:127.0.0.1:${opts.monPort}`;
  const emptyModules = join(dir, 'mgr-modules');
  mkdirSync(emptyModules);
  const settings: Record<string, string> = {
    fsid,
    mon_host: monAddr,
    auth_cluster_required: 'none',
    auth_service_required: 'none',
    auth_client_required: 'none',
    run_dir: dir,
    log_file: `${dir}/$name.log`,
    admin_socket: `${dir}/$name.asok`,
    pid_file: `${dir}/$name.pid`,
    mon_data: `${dir}/mon.$id`,
    mgr_data: `${dir}/mgr.$id`,
    osd_data: `${dir}/osd.$id`,
    mon_initial_members: 'a',
    ms_bind_msgr1: 'false',
    ms_bind_port_min: String(opts.osdPortMin),
    ms_bind_port_max: String(opts.osdPortMax),
    mon_allow_pool_delete: 'true',
    mon_allow_pool_size_one: 'true',
    // Every OSD sits on this one host: place replicas across OSDs and count each OSD as a reporter.
    osd_crush_chooseleaf_type: '0',
    mon_osd_reporter_subtree_level: 'osd',
    mon_osd_min_down_reporters: '1',
    // A killed OSD is noticed in seconds (its peers also fail fast on connection refused), and stays in.
    osd_heartbeat_interval: '1',
    osd_heartbeat_grace: '4',
    mon_osd_adjust_heartbeat_grace: 'false',
    mon_osd_down_out_interval: '3600',
    osd_pool_default_pg_autoscale_mode: 'off',
    osd_pool_default_size: '3',
    osd_pool_default_min_size: '2',
    mon_max_pg_per_osd: '1000',
    // Small and few threads: 2 cores are shared by many.
    osd_op_num_shards: '2',
    osd_op_num_threads_per_shard: '1',
    osd_objectstore: store,
    memstore_device_bytes: String(deviceBytes),
    bluestore_block_create: 'true',
    bluestore_block_size: String(deviceBytes),
    bluestore_block_db_create: 'false',
    bluestore_block_wal_create: 'false',
    bluestore_fsck_on_mount: 'false',
    bluestore_fsck_on_mkfs: 'false',
    bluestore_cache_autotune: 'false',
    bluestore_cache_size: String(64 << 20),
    osd_memory_target: String(1 << 30),
    // No python modules: the mgr only keeps the PG map (ceph pg stat / dump, ceph -s).
    mgr_module_path: emptyModules,
    mgr_stats_period: '1',
    mon_pg_warn_min_per_osd: '0',
    mon_data_avail_warn: '1',
    mon_data_avail_crit: '0',
    ...(opts.options ?? {}),
  };
  const conf = join(dir, 'ceph.conf');
  writeFileSync(conf, ['[global]', ...Object.entries(settings).map(([k, v]) => `${k} = ${v}`), ''].join('\n'));

  const osdProcs = new Map<number, ChildProcess>();
  let mgr: ChildProcess | null = null;
  let mon: ChildProcess | null = null;

  const ceph = (args: string[], timeoutS = 20): CliOut => {
    const r = spawnSync(`${BIN}/ceph`, ['-c', conf, '--connect-timeout', String(timeoutS), ...args], {
      encoding: 'utf8', timeout: (timeoutS + 30) * 1000, maxBuffer: 64 << 20,
    });
    return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };
  const cephJson = <T>(args: string[], timeoutS = 20): T => {
    const r = ceph([...args, '-f', 'json'], timeoutS);
    if (r.status !== 0) throw new Error(`ceph ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  };
  const rados = (args: string[], input?: Buffer): { status: number; stdout: Buffer; stderr: string } => cephRados(conf, args, input);
  const daemon = (bin: string, args: string[]): ChildProcess => {
    const c = spawn(`${BIN}/${bin}`, ['-c', conf, ...args, '-f'], { stdio: 'ignore' });
    if (c.pid === undefined) throw new Error(`${bin} did not start`);
    return c;
  };
  const alive = (c: ChildProcess | null | undefined): boolean => !!c && c.exitCode === null && c.signalCode === null;
  const killProc = async (c: ChildProcess | null | undefined): Promise<void> => {
    if (!alive(c)) return;
    const exited = new Promise((r) => c!.once('exit', r));
    c!.kill('SIGKILL');
    await exited;
  };

  const stop = async (keepDir = false): Promise<void> => {
    await Promise.all([...osdProcs.values()].map(killProc));
    await killProc(mgr);
    await killProc(mon);
    if (!keepDir) rmSync(dir, { recursive: true, force: true });
  };

  const osdMapJson = (): { epoch: number; osds: { osd: number; up: number; up_from: number }[] } =>
    cephJson<{ epoch: number; osds: { osd: number; up: number; up_from: number }[] }>(['osd', 'dump']);
  const upOsds = (): number[] => {
    try {
      return osdMapJson().osds.filter((o) => o.up === 1).map((o) => o.osd);
    } catch {
      return [];
    }
  };
  const pgs = (): PgBrief[] => {
    const r = ceph(['pg', 'dump', 'pgs', '-f', 'json']);
    if (r.status !== 0) return [];
    const j = JSON.parse(r.stdout) as { pg_stats?: PgBrief[] } | PgBrief[];
    return Array.isArray(j) ? j : (j.pg_stats ?? []);
  };
  const waitOsd = (id: number, up: boolean, timeoutMs: number): Promise<void> =>
    until(`osd.${id} ${up ? 'up' : 'down'}`, () => upOsds().includes(id) === up, timeoutMs, 300).then(() => undefined);

  const cluster: RealCephCluster = {
    dir, conf, fsid, osdCount, objectstore: store, ceph, cephJson, rados,
    async createPool(name, po = {}) {
      const mk = ceph(['osd', 'pool', 'create', name, String(po.pgNum ?? 8), String(po.pgNum ?? 8), 'replicated']);
      if (mk.status !== 0) throw new Error(`pool create ${name}: ${mk.stderr}`);
      for (const [k, v] of [['size', po.size], ['min_size', po.minSize]] as const) {
        if (v === undefined) continue;
        const r = ceph(['osd', 'pool', 'set', name, k, String(v), ...(v === 1 && k === 'size' ? ['--yes-i-really-mean-it'] : [])]);
        if (r.status !== 0) throw new Error(`pool set ${name} ${k} ${v}: ${r.stderr}`);
      }
      await cluster.waitClean();
      return cephJson<{ pool_id: number; pool_name: string }[]>(['osd', 'pool', 'ls', 'detail']).find((p) => p.pool_name === name)!.pool_id;
    },
    osdRunning: (id) => alive(osdProcs.get(id)),
    async killOsd(id) {
      await killProc(osdProcs.get(id));
    },
    signalOsd(id, sig) {
      const c = osdProcs.get(id);
      if (alive(c)) signalProcess(c!.pid!, sig);
    },
    startOsd(id) {
      if (alive(osdProcs.get(id))) throw new Error(`osd.${id} is already running`);
      osdProcs.set(id, daemon('ceph-osd', ['-i', String(id)]));
    },
    waitOsdDown: (id, timeoutMs = 60000) => waitOsd(id, false, timeoutMs),
    waitOsdUp: (id, timeoutMs = 90000) => waitOsd(id, true, timeoutMs),
    upOsds,
    pgs,
    async waitClean(timeoutMs = 120000) {
      let epoch0 = 0;
      let last = '';
      try {
        await until('all PGs active+clean', () => {
          const map = osdMapJson();
          const up = map.osds.filter((o) => o.up === 1);
          if (up.length < osdCount) {
            last = `up osds ${up.map((o) => o.osd).join(',')}`;
            return false;
          }
          // Every PG maps to OSDs that all booted by this epoch; a report older than it predates a restart.
          epoch0 = Math.max(...up.map((o) => o.up_from));
          const pools = cephJson<{ pool_id: number; size: number; pg_num: number }[]>(['osd', 'pool', 'ls', 'detail']);
          const sizes = new Map(pools.map((p) => [p.pool_id, p.size]));
          const want = pools.reduce((a, p) => a + p.pg_num, 0);
          const list = pgs();
          const bad = list.filter((p) => {
            const size = sizes.get(Number(p.pgid.split('.')[0])) ?? 0;
            return p.state !== 'active+clean' || p.acting.length !== size || p.reported_epoch < epoch0;
          });
          last = `${list.length}/${want} PGs reported, not clean: ${bad.slice(0, 6).map((p) => `${p.pgid} ${p.state} [${p.acting.join(',')}] e${p.reported_epoch}`).join('; ')}`;
          return list.length === want && bad.length === 0;
        }, timeoutMs, 1000);
      } catch (e) {
        throw new Error(`${(e as Error).message} (newest OSD boot epoch ${epoch0}; ${last})`);
      }
    },
    stop,
  };

  try {
    // The monitor.
    const monmap = join(dir, 'monmap');
    runSync(`${BIN}/monmaptool`, ['--create', '--fsid', fsid, '--addv', 'a', `[${monAddr}]`, monmap], 'monmaptool');
    runSync(`${BIN}/ceph-mon`, ['-c', conf, '--mkfs', '-i', 'a', '--monmap', monmap], 'ceph-mon --mkfs');
    // A monitor of an earlier run may still hold the port for a moment; ours would then fail to bind
    // while the commands below talk to the old one.
    await untilAsync(`port ${opts.monPort} to be free (another process holds it)`, async () => !(await portAnswers(opts.monPort)), 30000, 200);
    mon = daemon('ceph-mon', ['-i', 'a']);
    await untilAsync(`ceph-mon on port ${opts.monPort} (see ${dir}/mon.a.log)`, async () => {
      if (!alive(mon)) throw new Error(`ceph-mon exited before it came up on port ${opts.monPort} (see ${dir}/mon.a.log)`);
      return portAnswers(opts.monPort);
    }, startTimeoutMs, 100);
    await until('ceph mon stat', () => ceph(['mon', 'stat']).status === 0, startTimeoutMs, 300);

    // The mgr (PG map only).
    mkdirSync(join(dir, 'mgr.x'));
    mgr = daemon('ceph-mgr', ['-i', 'x']);

    // The OSDs: ids, mkfs in parallel, then start them.
    for (let i = 0; i < osdCount; i++) {
      const r = ceph(['osd', 'create']);
      if (r.status !== 0 || r.stdout.trim() !== String(i)) throw new Error(`osd create gave ${r.stdout.trim()}: ${r.stderr}`);
      mkdirSync(join(dir, `osd.${i}`));
    }
    await Promise.all(Array.from({ length: osdCount }, (_, i) =>
      runAsync(`${BIN}/ceph-osd`, ['-c', conf, '-i', String(i), '--mkfs'], `ceph-osd -i ${i} --mkfs`)));
    for (let i = 0; i < osdCount; i++) cluster.startOsd(i);
    await until(`${osdCount} OSDs up`, () => upOsds().length === osdCount, startTimeoutMs, 500);
    await until('the mgr to be available', () => {
      const r = ceph(['mgr', 'stat', '-f', 'json']);
      return r.status === 0 && (JSON.parse(r.stdout) as { available: boolean }).available;
    }, startTimeoutMs, 500);
  } catch (e) {
    await stop(true);
    throw new Error(`${(e as Error).message} (cluster dir kept: ${dir})`);
  }
  return cluster;
}
