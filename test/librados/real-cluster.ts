// A throwaway real Ceph 16 cluster for librados and rados CLI tests: Debian's ceph-mon and one
// ceph-osd (memstore) on loopback, size-1 pools. Stops what it started, by PID.
//
//   const c = await startRealCluster({ monPort: 18400, osdPortMin: 18410, osdPortMax: 18439 });
//   ... c.conf, c.ceph(['osd', 'dump']), c.rados(['-p', 'x', 'ls']) (Debian's own rados) ...
//   await c.stop();

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startRealCephMon, type RealCephMon } from '../support/real-ceph-mon.js';
import { until } from '../support/vstart-cluster.js';

export interface RealCluster {
  mon: RealCephMon;
  conf: string;
  dir: string;
  osd: ChildProcess;
  /** Ceph's ceph-mgr, when asked for (it turns OSD reports into the pool stats `rados df` shows). */
  mgr: ChildProcess | null;
  ceph(args: string[]): { status: number; stdout: string; stderr: string };
  /** Debian's rados CLI against this cluster. */
  rados(args: string[], input?: Buffer): { status: number; stdout: Buffer; stderr: string };
  stop(keepDir?: boolean): Promise<void>;
}

export async function startRealCluster(opts: { monPort: number; osdPortMin: number; osdPortMax: number; options?: Record<string, string>; mgr?: boolean }): Promise<RealCluster> {
  const mon = await startRealCephMon({ port: opts.monPort, options: {
    osd_pool_default_size: '1', osd_pool_default_min_size: '1', mon_allow_pool_size_one: 'true', mon_allow_pool_delete: 'true',
    osd_pool_default_pg_autoscale_mode: 'off', osd_crush_chooseleaf_type: '0', ms_bind_msgr1: 'false',
    osd_objectstore: 'memstore', memstore_device_bytes: '268435456', osd_data: '$run_dir/osd.$id',
    ms_bind_port_min: String(opts.osdPortMin), ms_bind_port_max: String(opts.osdPortMax),
    mon_warn_on_pool_no_redundancy: 'false',
    ...opts.options,
  } });
  const ceph = (args: string[]): { status: number; stdout: string; stderr: string } => {
    const r = mon.ceph(args);
    return { status: r.status, stdout: r.stdout.toString(), stderr: r.stderr };
  };
  let osd: ChildProcess | null = null;
  let mgr: ChildProcess | null = null;
  try {
    const created = ceph(['osd', 'create']);
    if (created.status !== 0) throw new Error(`ceph osd create: ${created.stderr}`);
    mkdirSync(join(mon.dir, 'osd.0'), { recursive: true });
    const osdArgs = ['-c', mon.conf, '-i', '0'];
    const mk = spawnSync('/usr/bin/ceph-osd', [...osdArgs, '--mkfs'], { encoding: 'utf8', timeout: 60000 });
    if (mk.status !== 0) throw new Error(`ceph-osd --mkfs: ${mk.stderr}`);
    osd = spawn('/usr/bin/ceph-osd', [...osdArgs, '-f'], { stdio: 'ignore' });
    await until('osd.0 up', () => ceph(['osd', 'dump']).stdout.includes('osd.0 up'), 60000);
    if (opts.mgr) {
      mkdirSync(join(mon.dir, 'mgr.x'), { recursive: true });
      mgr = spawn('/usr/bin/ceph-mgr', ['-c', mon.conf, '-i', 'x', '-f', '--mgr_data', join(mon.dir, 'mgr.x')], { stdio: 'ignore' });
      await until('mgr active', () => /"available":\s*true/.test(ceph(['mgr', 'dump', '--format', 'json']).stdout), 60000);
    }
  } catch (e) {
    mgr?.kill('SIGKILL');
    osd?.kill('SIGKILL');
    await mon.stop(true);
    throw e;
  }
  const theOsd = osd;
  const rados = (args: string[], input?: Buffer): { status: number; stdout: Buffer; stderr: string } => {
    const r = spawnSync('/usr/bin/rados', ['-c', mon.conf, ...args], { input, maxBuffer: 256 << 20, timeout: 120000 });
    return { status: r.status ?? -1, stdout: r.stdout ?? Buffer.alloc(0), stderr: r.stderr?.toString() ?? '' };
  };
  const theMgr = mgr;
  const stop = async (keepDir = false): Promise<void> => {
    if (theMgr && theMgr.exitCode === null && theMgr.signalCode === null) {
      const exited = new Promise((r) => theMgr.once('exit', r));
      theMgr.kill('SIGKILL');
      await exited;
    }
    if (theOsd.exitCode === null && theOsd.signalCode === null) {
      const exited = new Promise((r) => theOsd.once('exit', r));
      theOsd.kill('SIGCONT');
      theOsd.kill('SIGKILL');
      await exited;
    }
    await mon.stop(keepDir);
  };
  return { mon, conf: mon.conf, dir: mon.dir, osd: theOsd, mgr: theMgr, ceph, rados, stop };
}
