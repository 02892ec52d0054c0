// A tsceph cluster of real daemon processes for integration tests, made by our own vstart in a temp
// directory on the given ports, and the few things those tests do to it: run our ceph CLI, read the
// quorum, wait for a condition, kill and restart a monitor. Every process is stopped by its PID.

import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signalProcess } from './proc-stat.js';
import { until } from './wait.js';

export const binPath = (name: string): string => fileURLToPath(new URL(`../../bin/${name}.js`, import.meta.url));

export interface CliResult {
  status: number;
  stdout: string;
  stderr: string;
}

/** Our ceph CLI with `conf` (args before the command, e.g. -m ADDR, go first in `args`). */
export function runCeph(conf: string, args: string[], timeoutS = 20): CliResult {
  const r = spawnSync(process.execPath, [binPath('ceph'), '-c', conf, '--connect-timeout', String(timeoutS), ...args], { encoding: 'utf8', timeout: (timeoutS + 30) * 1000 });
  return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/**
 * Start one daemon of a vstart cluster in `dir` again as vstart does: `<script> -c conf <args> -f`,
 * detached, its output to out/<name>.stdout (the daemon writes its own pid file). Returns its PID.
 */
export function startClusterDaemon(dir: string, conf: string, script: string, name: string, args: string[]): number {
  const log = openSync(join(dir, 'out', `${name}.stdout`), 'a');
  const child = spawn(process.execPath, [binPath(script), '-c', conf, ...args, '-f'], { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  return child.pid;
}

export interface QuorumStatus {
  quorum_names: string[];
  quorum_leader_name: string;
}

export class VstartCluster {
  readonly conf: string;
  /** Every monitor PID this cluster started (vstart's and restarts), for the final kill. */
  private readonly pids = new Set<number>();

  private constructor(readonly dir: string, readonly port: number, readonly names: string[]) {
    this.conf = join(dir, 'ceph.conf');
    for (const n of names) this.pids.add(this.pidOf(n));
  }

  /** vstart --mons N --osds 0 in a fresh temp directory, monitor i on port + i. */
  static start(mons: number, port: number, prefix = 'tsceph-vstart-'): VstartCluster {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    const r = spawnSync(process.execPath, [binPath('vstart'), '--mons', String(mons), '--osds', '0', '--dir', dir, '--port', String(port)], { encoding: 'utf8', timeout: 120000 });
    if (r.status !== 0) {
      // vstart may have started some monitors before giving up: stop them (by their pid files) too.
      const logs = ['a', 'b', 'c', 'd', 'e'].slice(0, mons).map((n) => {
        try {
          signalProcess(Number(readFileSync(join(dir, 'out', `mon.${n}.pid`), 'utf8').trim()), 'SIGKILL');
        } catch {
          // not started or gone
        }
        try {
          return `--- mon.${n}.log\n${readFileSync(join(dir, 'out', `mon.${n}.log`), 'utf8').slice(-1500)}`;
        } catch {
          return '';
        }
      });
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`vstart failed: ${r.stdout}\n${r.stderr}\n${logs.join('\n')}`);
    }
    return new VstartCluster(dir, port, ['a', 'b', 'c', 'd', 'e'].slice(0, mons));
  }

  monAddr(name: string): string {
    const i = name.charCodeAt(0) - 'a'.charCodeAt(0);
    return `v2:127.0.0.1:${this.port + i}`;
  }

  /** Our ceph CLI with this cluster's conf (and `-m` for one monitor when given). */
  ceph(args: string[], opts: { timeoutS?: number; mon?: string } = {}): CliResult {
    return runCeph(this.conf, opts.mon ? ['-m', this.monAddr(opts.mon), ...args] : args, opts.timeoutS);
  }

  /** Debian's ceph CLI with this cluster's conf. */
  realCeph(args: string[], timeoutS = 20): CliResult {
    const r = spawnSync('/usr/bin/ceph', ['-c', this.conf, '--connect-timeout', String(timeoutS), ...args], { encoding: 'utf8', timeout: (timeoutS + 40) * 1000 });
    return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  quorum(): QuorumStatus | null {
    const r = this.ceph(['quorum_status', '-f', 'json'], { timeoutS: 5 });
    return r.status === 0 ? (JSON.parse(r.stdout) as QuorumStatus) : null;
  }

  /** Wait until the quorum holds exactly these names (any order). */
  async quorumOf(names: string[], timeoutMs = 90000): Promise<QuorumStatus> {
    const want = [...names].sort().join(',');
    return until(`a quorum of ${want}`, () => {
      const q = this.quorum();
      return q && [...q.quorum_names].sort().join(',') === want ? q : null;
    }, timeoutMs);
  }

  pidOf(name: string): number {
    return Number(readFileSync(join(this.dir, 'out', `mon.${name}.pid`), 'utf8').trim());
  }

  kill9(name: string): void {
    signalProcess(this.pidOf(name), 'SIGKILL');
  }

  /** Start a monitor of this cluster again (after a kill, or a new one after mkfs). */
  startMon(name: string): number {
    const pid = startClusterDaemon(this.dir, this.conf, 'ceph-mon', `mon.${name}`, ['-i', name]);
    this.pids.add(pid);
    return pid;
  }

  /** Kill everything this cluster started and remove its directory. */
  destroy(): void {
    for (const pid of this.pids) {
      try {
        signalProcess(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export { until };
