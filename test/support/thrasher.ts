// The OSD thrasher (Ceph's qa/tasks/ceph_manager.py Thrasher, in small): at seeded intervals it kills an
// OSD with -9 and later starts it again, never leaving fewer than min_size OSDs up, so every PG keeps
// serving I/O (with size 3, min_size 2 and three OSDs: at most one down at a time). stop() revives every
// OSD and waits until all PGs are active+clean; then the model checker reads every object once more.
//
// It drives any cluster that offers kill / start / wait: a real Ceph cluster (realCephThrashTarget), or a
// tsceph vstart cluster (tsOsdClusterThrashTarget; the default test run does not use it yet).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { until } from './vstart-cluster.js';
import type { OsdCluster } from './osd-cluster.js';
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
 * A tsceph cluster made by our own bin/vstart (test/support/osd-cluster.ts) as a thrash target: our
 * ceph CLI for the maps, OSD processes killed by the PIDs in out/osd.N.pid (checked against
 * /proc/PID/cmdline) and started again with bin/ceph-osd. Used by test/osd/model-checker.test.ts with
 * MODEL_TARGET=tsceph.
 */
export function tsOsdClusterThrashTarget(c: OsdCluster): ThrashTarget {
  /** The OSD's PID while its process runs (a stale pid file names a dead or reused PID). */
  const livePid = (id: number): number | null => {
    let pid: number;
    try {
      pid = c.pidOf(`osd.${id}`);
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(c.conf) ? pid : null;
    } catch {
      return null;
    }
  };
  return {
    osdIds: Array.from({ length: c.osds }, (_, i) => i),
    async killOsd(id) {
      if (livePid(id) === null) return; // already gone
      c.signalOsd(id, 'SIGKILL');
      await until(`osd.${id} to exit`, () => livePid(id) === null, 10000);
    },
    async startOsd(id) {
      if (livePid(id) === null) c.startOsd(id); // else still running (booting slowly)
    },
    waitOsdDown: (id, ms) => until(`osd.${id} down`, () => c.osdDown(id), ms).then(() => undefined),
    waitOsdUp: (id, ms) => until(`osd.${id} up`, () => c.osdUp(id), ms).then(() => undefined),
    waitClean: (ms) => c.waitClean(ms),
    diagnose: (id) => [`osd.${id}.log`, `osd.${id}.stdout`].map((n) => {
      try {
        return `--- ${n}\n${readFileSync(join(c.dir, 'out', n), 'utf8').slice(-3000)}`;
      } catch {
        return '';
      }
    }).join('\n'),
  };
}
