// The OSD thrasher (Ceph's qa/tasks/ceph_manager.py Thrasher, in small): at seeded intervals it kills an
// OSD with -9 and later starts it again, never leaving fewer than min_size OSDs up, so every PG keeps
// serving I/O (with size 3, min_size 2 and three OSDs: at most one down at a time). stop() revives every
// OSD and waits until all PGs are active+clean; then the model checker reads every object once more.
//
// It drives any cluster that offers kill / start / wait: a real Ceph cluster (realCephThrashTarget), or a
// tsceph vstart cluster (TsVstartThrashTarget below, written for when our OSD daemon runs; the default
// test run does not use it yet).

import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { binPath, until } from './vstart-cluster.js';
import type { RealCephCluster } from './real-ceph-cluster.js';
import { Rng } from './rng.js';

export interface ThrashTarget {
  /** Every OSD id of the cluster. */
  readonly osdIds: readonly number[];
  /** SIGKILL the OSD's process (resolves once it is gone). */
  killOsd(id: number): Promise<void>;
  /** Start the OSD again (resolves once its process runs; waitOsdUp waits for the map). */
  startOsd(id: number): Promise<void>;
  waitOsdDown(id: number, timeoutMs: number): Promise<void>;
  waitOsdUp(id: number, timeoutMs: number): Promise<void>;
  /** All OSDs up and every PG active+clean. */
  waitClean(timeoutMs: number): Promise<void>;
  /** What to print about an OSD when a wait for it fails (its log's tail). */
  diagnose?(id: number): string;
}

export interface ThrasherOptions {
  seed: number;
  /** OSDs that must stay up (the pools' min_size). */
  minUp: number;
  /** Pause between actions, drawn in [min, max] ms. */
  intervalMsMin?: number;
  intervalMsMax?: number;
  /** Chance that, with an OSD down, the next action revives rather than kills another. */
  reviveChance?: number;
  /** Also wait for active+clean after a revive, with this chance (lets recovery finish sometimes). */
  cleanChance?: number;
  /** Waits for the map to show an OSD down / up, and for clean. */
  mapWaitMs?: number;
  cleanWaitMs?: number;
  log?: (line: string) => void;
}

export interface ThrashEvent {
  atMs: number;
  what: 'kill' | 'down' | 'start' | 'up' | 'clean';
  osd: number;
}

export class Thrasher {
  readonly events: ThrashEvent[] = [];
  private readonly rng: Rng;
  private readonly down = new Set<number>();
  private running: Promise<void> | null = null;
  private stopping = false;
  private wake: (() => void) | null = null;
  private t0 = 0;
  private error: Error | null = null;

  constructor(private readonly target: ThrashTarget, private readonly opts: ThrasherOptions) {
    this.rng = new Rng(opts.seed);
  }

  get kills(): number {
    return this.events.filter((e) => e.what === 'kill').length;
  }

  /** Begin thrashing in the background. */
  start(): void {
    if (this.running) return;
    this.t0 = Date.now();
    this.running = this.loop().catch((e: Error) => { this.error = e; });
  }

  /** Stop thrashing, start every OSD that is down, and wait until all PGs are active+clean. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.running;
    for (const id of [...this.down]) await this.revive(id);
    await this.target.waitClean(this.opts.cleanWaitMs ?? 180000);
    this.note('clean', -1);
    if (this.error) throw new Error(`thrasher seed=${this.opts.seed}: ${this.error.message}`);
  }

  private note(what: ThrashEvent['what'], osd: number): void {
    const e = { atMs: Date.now() - this.t0, what, osd };
    this.events.push(e);
    this.opts.log?.(`thrasher +${(e.atMs / 1000).toFixed(1)}s ${what}${osd >= 0 ? ` osd.${osd}` : ''}`);
  }

  private async pause(): Promise<void> {
    const ms = this.rng.int(this.opts.intervalMsMin ?? 2000, this.opts.intervalMsMax ?? 6000);
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => { clearTimeout(t); resolve(); };
    });
    this.wake = null;
  }

  private async kill(id: number): Promise<void> {
    await this.target.killOsd(id);
    this.down.add(id);
    this.note('kill', id);
    // As ceph_manager does: the map must show it down before anything else happens to the cluster.
    await this.target.waitOsdDown(id, this.opts.mapWaitMs ?? 60000);
    this.note('down', id);
  }

  private async revive(id: number): Promise<void> {
    await this.target.startOsd(id);
    this.note('start', id);
    try {
      await this.target.waitOsdUp(id, this.opts.mapWaitMs ?? 90000);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${this.target.diagnose?.(id) ?? ''}`);
    }
    this.down.delete(id);
    this.note('up', id);
  }

  private async loop(): Promise<void> {
    const ids = this.target.osdIds;
    const downMax = ids.length - this.opts.minUp;
    while (!this.stopping) {
      await this.pause();
      if (this.stopping) break;
      const up = ids.filter((i) => !this.down.has(i));
      const canKill = this.down.size < downMax && up.length > 0;
      if (this.down.size > 0 && (!canKill || this.rng.chance(this.opts.reviveChance ?? 0.7))) {
        await this.revive(this.rng.pick([...this.down].sort((a, b) => a - b)));
        if (this.rng.chance(this.opts.cleanChance ?? 0.3)) {
          await this.target.waitClean(this.opts.cleanWaitMs ?? 180000);
          this.note('clean', -1);
        }
      } else if (canKill) {
        await this.kill(this.rng.pick(up));
      }
    }
  }
}

/** A real Ceph cluster (test/support/real-ceph-cluster.ts) as a thrash target. */
export function realCephThrashTarget(c: RealCephCluster): ThrashTarget {
  return {
    osdIds: Array.from({ length: c.osdCount }, (_, i) => i),
    killOsd: (id) => c.killOsd(id),
    startOsd: async (id) => {
      if (!c.osdRunning(id)) c.startOsd(id);
    },
    waitOsdDown: (id, ms) => c.waitOsdDown(id, ms),
    waitOsdUp: (id, ms) => c.waitOsdUp(id, ms),
    waitClean: (ms) => c.waitClean(ms),
    diagnose: (id) => {
      try {
        return `--- osd.${id}.log\n${readFileSync(join(c.dir, `osd.${id}.log`), 'utf8').slice(-3000)}`;
      } catch {
        return '';
      }
    },
  };
}

/**
 * A tsceph cluster made by our own bin/vstart (1 monitor, N OSDs on file-backed devices) as a thrash
 * target, in vstart-cluster.ts's style: our ceph CLI for the maps, OSD processes killed by the PIDs in
 * out/osd.N.pid and restarted with bin/ceph-osd. NOT used by the default test run yet: our OSD daemon
 * and vstart --osds are being built in this same issue; once `vstart --osds 3` brings a cluster to
 * active+clean, run test/osd/model-checker.test.ts with MODEL_TARGET=tsceph (opt-in while the OSD is
 * being built; it first passed calm and thrashed on 30 Nov evening).
 */
export class TsVstartThrashTarget implements ThrashTarget {
  readonly conf: string;
  readonly osdIds: readonly number[];
  private readonly pids = new Set<number>();

  private constructor(readonly dir: string, osds: number) {
    this.conf = join(dir, 'ceph.conf');
    this.osdIds = Array.from({ length: osds }, (_, i) => i);
  }

  /** vstart --mons 1 --osds N in a fresh directory under /tmp/<name>/ (monitor on port, OSDs on port+10..port+99). */
  static start(name: string, port: number, osds = 3): TsVstartThrashTarget {
    mkdirSync(join('/tmp', name), { recursive: true });
    const dir = mkdtempSync(join('/tmp', name, 'tsceph-vstart-'));
    const r = spawnSync(process.execPath, [binPath('vstart'), '--mons', '1', '--osds', String(osds), '--dir', dir, '--port', String(port), '--new',
      '-o', 'osd_heartbeat_interval = 1', '-o', 'osd_heartbeat_grace = 4', '-o', 'mon_osd_min_down_reporters = 1'], { encoding: 'utf8', timeout: 180000 });
    const t = new TsVstartThrashTarget(dir, osds);
    t.adoptPids();
    if (r.status !== 0) {
      t.destroy();
      throw new Error(`vstart --osds ${osds} failed: ${r.stdout}\n${r.stderr}`);
    }
    return t;
  }

  private pidFile(kind: 'mon' | 'osd', id: string | number): string {
    return join(this.dir, 'out', `${kind}.${id}.pid`);
  }

  private adoptPids(): void {
    for (const f of [this.pidFile('mon', 'a'), ...this.osdIds.map((i) => this.pidFile('osd', i))]) {
      if (existsSync(f)) this.pids.add(Number(readFileSync(f, 'utf8').trim()));
    }
  }

  /** True while `pid` is a live daemon of this cluster (its command line names our conf): never signal a reused PID. */
  private ours(pid: number): boolean {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(this.conf);
    } catch {
      return false;
    }
  }

  ceph(args: string[], timeoutS = 20): { status: number; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [binPath('ceph'), '-c', this.conf, '--connect-timeout', String(timeoutS), ...args], { encoding: 'utf8', timeout: (timeoutS + 30) * 1000 });
    return { status: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  private upOsds(): number[] {
    const r = this.ceph(['osd', 'dump', '-f', 'json'], 5);
    if (r.status !== 0) return [];
    return (JSON.parse(r.stdout) as { osds: { osd: number; up: number }[] }).osds.filter((o) => o.up === 1).map((o) => o.osd);
  }

  async killOsd(id: number): Promise<void> {
    const pid = Number(readFileSync(this.pidFile('osd', id), 'utf8').trim());
    this.pids.delete(pid);
    if (!this.ours(pid)) return; // already gone
    process.kill(pid, 'SIGKILL');
    await until(`osd.${id} (pid ${pid}) to exit`, () => !this.ours(pid), 10000);
  }

  async startOsd(id: number): Promise<void> {
    const f = this.pidFile('osd', id);
    if (existsSync(f) && this.ours(Number(readFileSync(f, 'utf8').trim()))) return; // still running (booting slowly)
    const log = openSync(join(this.dir, 'out', `osd.${id}.stdout`), 'a');
    const child = spawn(process.execPath, [binPath('ceph-osd'), '-c', this.conf, '-i', String(id), '-f'], { detached: true, stdio: ['ignore', log, log] });
    closeSync(log);
    child.unref();
    if (child.pid === undefined) throw new Error(`could not start osd.${id}`);
    this.pids.add(child.pid);
    writeFileSync(this.pidFile('osd', id), `${child.pid}\n`); // as vstart does: --stop and the next kill find it
  }

  async waitOsdDown(id: number, timeoutMs: number): Promise<void> {
    await until(`osd.${id} down`, () => !this.upOsds().includes(id), timeoutMs);
  }

  async waitOsdUp(id: number, timeoutMs: number): Promise<void> {
    await until(`osd.${id} up`, () => this.upOsds().includes(id), timeoutMs);
  }

  /** The state of every PG (one entry per PG) from `ceph pg stat`, or null when the CLI fails. */
  pgStates(): string[] | null {
    const r = this.ceph(['pg', 'stat', '-f', 'json'], 5);
    if (r.status !== 0) return null;
    // Ceph 16 nests the summary under pg_summary; earlier versions of our monitor put it at the top.
    type PgSummary = { num_pgs?: number; num_pg_by_state?: { name: string; num: number }[] };
    const s = JSON.parse(r.stdout) as PgSummary & { pg_summary?: PgSummary };
    const by = (s.pg_summary ?? s).num_pg_by_state ?? [];
    return by.flatMap((x) => Array.from({ length: x.num }, () => x.name));
  }

  async waitClean(timeoutMs: number): Promise<void> {
    await until('all PGs active+clean', () => {
      if (this.upOsds().length !== this.osdIds.length) return false;
      const states = this.pgStates();
      return !!states && states.length > 0 && states.every((x) => x === 'active+clean');
    }, timeoutMs);
  }

  diagnose(id: number): string {
    return this.osdLogTail(id);
  }

  /** The last `bytes` of an OSD's log and stdout (for a failure report). */
  osdLogTail(id: number, bytes = 3000): string {
    return [`osd.${id}.log`, `osd.${id}.stdout`].map((n) => {
      try {
        const t = readFileSync(join(this.dir, 'out', n), 'utf8');
        return `--- ${n}\n${t.slice(-bytes)}`;
      } catch {
        return '';
      }
    }).join('\n');
  }

  /** Kill every daemon of this cluster; remove its directory unless keepDir. */
  destroy(keepDir = false): void {
    this.adoptPids();
    for (const pid of this.pids) if (this.ours(pid)) process.kill(pid, 'SIGKILL');
    if (!keepDir) rmSync(this.dir, { recursive: true, force: true });
  }
}
