// A tsceph cluster with OSD processes for integration tests: our vstart (--osds N) in a temp directory
// on the given ports, and what those tests do to it: run our ceph and rados CLIs, read `ceph -s`, kill
// an OSD (-9 or SIGSTOP) and start it again, wait for all PGs active+clean, and on a failure show the
// daemons' logs. Every process is stopped by its PID (from vstart's pid files, checked against
// /proc/PID/cmdline so a reused PID is never signalled).

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signalProcess } from './proc-stat.js';
import { binPath, runCeph, startClusterDaemon, until, type CliResult } from './vstart-cluster.js';

export interface OsdClusterOptions {
  osds: number;
  /** First monitor port; OSDs bind in port+10 .. port+99. */
  port: number;
  prefix?: string;
  /** Device file size per OSD (vstart --osd-size), e.g. '256M'. */
  osdSize?: string;
  /** ceph.conf [global] lines, e.g. 'osd_heartbeat_grace = 3'. */
  conf?: string[];
}

export class OsdCluster {
  readonly conf: string;
  /** Every daemon PID this object started or learned from vstart, for the final kill. */
  private readonly pids = new Set<number>();

  private constructor(readonly dir: string, readonly osds: number) {
    this.conf = join(dir, 'ceph.conf');
    this.learnPids();
  }

  /** vstart --osds N in a fresh temp directory. Throws with vstart's output and the logs if it fails. */
  static start(o: OsdClusterOptions): OsdCluster {
    const dir = mkdtempSync(join(tmpdir(), o.prefix ?? 'tsceph-osdcluster-'));
    const args = [binPath('vstart'), '--dir', dir, '--port', String(o.port), '--osds', String(o.osds), '--osd-size', o.osdSize ?? '256M'];
    for (const c of o.conf ?? []) args.push('-o', c);
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 180000 });
    const c = new OsdCluster(dir, o.osds);
    if (r.status !== 0) {
      const logs = c.logTails(20);
      c.destroy();
      throw new Error(`vstart failed: ${r.stdout}\n${r.stderr}\n${logs}`);
    }
    return c;
  }

  /** A cluster vstart already made in `dir` (a test that runs vstart itself to check its output). */
  static attach(dir: string, osds: number): OsdCluster {
    return new OsdCluster(dir, osds);
  }

  private learnPids(): void {
    const out = join(this.dir, 'out');
    if (!existsSync(out)) return;
    for (const f of readdirSync(out).filter((n) => n.endsWith('.pid'))) {
      const pid = Number(readFileSync(join(out, f), 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0) this.pids.add(pid);
    }
  }

  /** Our ceph CLI with this cluster's conf. */
  ceph(args: string[], timeoutS = 20): CliResult {
    return runCeph(this.conf, args, timeoutS);
  }

  /** Our rados CLI with this cluster's conf. */
  rados(args: string[], timeoutS = 60): CliResult {
    const r = spawnSync(process.execPath, [binPath('rados'), '-c', this.conf, ...args], { encoding: 'utf8', timeout: timeoutS * 1000 });
    return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  pidOf(name: string): number {
    return Number(readFileSync(join(this.dir, 'out', `${name}.pid`), 'utf8').trim());
  }

  /** The PID if it still runs one of this cluster's daemons (by its command line). */
  private ours(pid: number): boolean {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(this.conf);
    } catch {
      return false;
    }
  }

  signalOsd(id: number, sig: NodeJS.Signals): void {
    const pid = this.pidOf(`osd.${id}`);
    if (this.ours(pid)) signalProcess(pid, sig);
  }

  /** Start osd.N again (after a kill), as vstart does: ceph-osd -f, pid file written by the daemon. */
  startOsd(id: number): number {
    const pid = startClusterDaemon(this.dir, this.conf, 'ceph-osd', `osd.${id}`, ['-i', String(id)]);
    this.pids.add(pid);
    return pid;
  }

  osdUp(id: number): boolean {
    return new RegExp(`osd\\.${id}\\s+up`).test(this.ceph(['osd', 'tree']).stdout);
  }

  osdDown(id: number): boolean {
    return new RegExp(`osd\\.${id}\\s+down`).test(this.ceph(['osd', 'tree']).stdout);
  }

  /** `ceph -s` shows every PG active+clean (and at least one PG). */
  allClean(): boolean {
    const s = this.ceph(['-s'], 10).stdout;
    const m = /pools:\s+\d+ pools, (\d+) pgs/.exec(s);
    return m !== null && Number(m[1]) > 0 && new RegExp(`pgs:\\s+${m[1]} active\\+clean`).test(s);
  }

  async waitClean(timeoutMs = 120000): Promise<void> {
    await until('all PGs active+clean', () => this.allClean(), timeoutMs);
  }

  log(name: string): string {
    try {
      return readFileSync(join(this.dir, 'out', `${name}.log`), 'utf8');
    } catch {
      return '';
    }
  }

  /** The last `lines` lines of every daemon log (for a failure message). */
  logTails(lines = 25): string {
    const out = join(this.dir, 'out');
    if (!existsSync(out)) return '';
    return readdirSync(out)
      .filter((n) => n.endsWith('.log'))
      .map((f) => `--- ${f}\n${readFileSync(join(out, f), 'utf8').trimEnd().split('\n').slice(-lines).join('\n')}`)
      .join('\n');
  }

  /**
   * Kill every daemon of this cluster (SIGKILL, after SIGCONT for a frozen one) and remove the
   * directory (kept with keepDir, for a look at the logs and stores).
   */
  destroy(opts: { keepDir?: boolean } = {}): void {
    this.learnPids();
    for (const pid of this.pids) {
      if (!this.ours(pid)) continue;
      try {
        process.kill(pid, 'SIGCONT');
        signalProcess(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    if (opts.keepDir) console.log(`kept the cluster directory ${this.dir}`);
    else rmSync(this.dir, { recursive: true, force: true });
  }
}
