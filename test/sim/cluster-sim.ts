// The whole-cluster deterministic simulation: the real shells (mon/monitor.ts Monitors on in-memory
// stores, osd/osd.ts OSDs on MemStores, librados Rados clients running the model checker) in one
// process, over test/sim/simnet.ts (the real msgr2 messenger on a seeded in-memory network), under
// @sinonjs/fake-timers' virtual clock. One seed fixes everything: the network's delays, the faults,
// the clients' op streams, every random number a daemon draws (Math.random is replaced for the run;
// nonces, cookies and hunting get seeded functions; Date is virtual), so a seed replays exactly.
//
// The run (runClusterSim):
//   1. Build: a monmap of `mons` monitors at 10.0.0.1.. (port 3300), each store mkfs'd on a FaultyDevice;
//      start them and wait for a quorum. An admin client creates the OSD ids; `osds` OSDs at
//      10.0.1.1.. (one crush host each) boot on fresh MemStores; the pool (size 3, min_size 2, pgNum
//      PGs) is created; wait until the monitors report every PG active+clean.
//   2. Workload: `clients` Rados clients (10.0.2.N) each run a ModelChecker over their own objects
//      while the fault loop injects, every 0.5-3 s of virtual time: connection resets, OSD kill -9 and
//      restart on what its store held at the kill (MemStore.clone), monitor kill and restart on the
//      durable image of its device (FaultyDevice.crash: unflushed writes kept, lost or torn), short
//      isolations of one host. At most size - min_size OSDs and a minority of monitors are out at once.
//   3. Heal: faults stop, everything down is restarted; within a virtual deadline every OSD must be up
//      and every PG active+clean (the monitors' `pg stat`).
//   4. Check: each checker's verifyAll() reads every object (no acknowledged write lost, no byte never
//      written), then everything shuts down and the real timers come back.
// The driver is the only loop: run every microtask to quiescence (a real setImmediate), fire the next
// virtual timer, repeat, until the awaited promise settles or the phase's virtual deadline passes.
//
// A failure throws ClusterSimError naming `seed=<n>`, the phase, the virtual time, the faults so far
// and the daemons' last log lines.

import FakeTimers from '@sinonjs/fake-timers';
import { makeEntityAddr } from '../../common/entityaddr.js';
import { FaultyDevice } from '../../common/blockdev/index.js';
import { addMon, newMonMap } from '../../common/monmap/index.js';
import { Rados, type IoCtx } from '../../librados/index.js';
import { Monitor, mkfsMonitor } from '../../mon/monitor.js';
import type { Logger } from '../../msg/index.js';
import { MemStore } from '../../osd/index.js';
import { OSD, mkfsOsd } from '../../osd/osd.js';
import { ModelChecker, RadosCheckerClient, type CheckerClient, type CheckerReport, type MaybeObject, type WriteStep } from '../support/model-checker.js';
import { Rng, caseSeed } from '../support/rng.js';
import { SimNet, type SimHost, type TraceEvent } from './simnet.js';

/** Bytes of each monitor's store device (the KV engine's region: maps and the Paxos window fit). */
export const MON_DEVICE_BYTES = 16 * 1024 * 1024;
export const MON_PORT = 3300;
export const OSD_PORT_MIN = 6800;
export const OSD_PORT_MAX = 6899;
/** Virtual time at the start of a run (a fixed date: the maps' stamps are the same every run). */
export const SIM_EPOCH_MS = Date.UTC(2026, 0, 1);
export const POOL_NAME = 'simpool';
export const POOL_SIZE = 3;
export const POOL_MIN_SIZE = 2;
/** Virtual-time budgets of the phases. */
export const SETUP_DEADLINE_MS = 180_000;
export const WORKLOAD_DEADLINE_MS = 900_000;
export const HEAL_DEADLINE_MS = 300_000;
export const VERIFY_DEADLINE_MS = 300_000;
export const TEARDOWN_DEADLINE_MS = 60_000;
/** A client op not answered in this long has an unknown outcome (the checker reads it back later). */
export const CLIENT_OP_TIMEOUT_MS = 60_000;
/** A client waits up to this long (virtual, uniform) before each op, so a run's ops spread over time. */
export const THINK_MS_MAX = 1000;
/** Log lines kept per run for a failure's report. */
export const LOG_LINES_MAX = 400;
/** Virtual timers fired per run at most (a livelock guard). */
export const TIMER_FIRINGS_MAX = 20_000_000;

const FSID = '5eed5eed-0000-4000-8000-000000000001';

export interface FaultWeights {
  reset: number;
  osdKill: number;
  monKill: number;
  isolate: number;
  /** Two OSDs killed together for a short while (more than size - min_size: writes must stall, not corrupt). */
  osdKillTwo: number;
}

export interface ClusterSimOptions {
  seed: number;
  mons?: number;
  osds?: number;
  clients?: number;
  pgNum?: number;
  /** Model checker ops per client. */
  ops?: number;
  objects?: number;
  inFlight?: number;
  /** Each client op waits up to this long first (default THINK_MS_MAX; 0 for back-to-back ops). */
  thinkMsMax?: number;
  /** Faults during the workload (none when false). */
  faults?: boolean;
  faultWeights?: Partial<FaultWeights>;
  /** Record every network delivery (for comparing two runs). */
  record?: boolean;
  /** Print daemon logs as they happen (CLUSTER_SIM_VERBOSE). */
  verbose?: boolean | 'debug';
}

export interface ClusterSimResult {
  seed: number;
  digest: number;
  deliveries: number;
  bytesDelivered: number;
  virtualMs: number;
  timerFirings: number;
  faults: string[];
  reports: CheckerReport[];
  trace: TraceEvent[] | null;
}

export class ClusterSimError extends Error {}

export const DEFAULT_FAULT_WEIGHTS: FaultWeights = { reset: 5, osdKill: 3, monKill: 1, isolate: 2, osdKillTwo: 0.5 };

interface MonNode {
  name: string;
  ip: string;
  image: Buffer;
  dev: FaultyDevice | null;
  host: SimHost | null;
  mon: Monitor | null;
  incarnation: number;
}

interface OsdNode {
  id: number;
  ip: string;
  store: MemStore;
  host: SimHost | null;
  osd: OSD | null;
  incarnation: number;
}

/** A checker client that thinks a while (virtual time, seeded) before each op. */
class PacedClient implements CheckerClient {
  constructor(private readonly inner: CheckerClient, private readonly rng: Rng, private readonly thinkMsMax: number) {}
  private think(): Promise<void> {
    return new Promise<void>((resolve) => setTimeout(resolve, this.rng.int(0, this.thinkMsMax)));
  }
  async write(oid: string, steps: readonly WriteStep[]): Promise<void> {
    await this.think();
    return this.inner.write(oid, steps);
  }
  async read(oid: string): Promise<MaybeObject> {
    await this.think();
    return this.inner.read(oid);
  }
  async readRange(oid: string, offset: number, length: number): Promise<Buffer> {
    await this.think();
    return this.inner.readRange(oid, offset, length);
  }
}

type SimClock = ReturnType<ReturnType<typeof FakeTimers.withGlobal>["install"]>;

/** The current macrotask turn's end: every microtask and nextTick queued so far has run. */
type Yield = () => Promise<void>;

export async function runClusterSim(o: ClusterSimOptions): Promise<ClusterSimResult> {
  const realSetImmediate = globalThis.setImmediate;
  const yieldReal: Yield = () => new Promise<void>((resolve) => realSetImmediate(resolve));
  const realRandom = Math.random;
  const clock = FakeTimers.withGlobal(globalThis).install({
    now: SIM_EPOCH_MS,
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'Date', 'performance', 'hrtime'],
    shouldClearNativeTimers: true,
  });
  const randomRng = new Rng(caseSeed(o.seed, 1));
  Math.random = () => randomRng.next();
  const rejections: string[] = [];
  const onRejection = (e: unknown): void => {
    rejections.push(e instanceof Error ? e.stack ?? e.message : String(e));
  };
  process.on('unhandledRejection', onRejection);
  try {
    const sim = new ClusterSim(o, clock, yieldReal, rejections);
    return await sim.run();
  } finally {
    process.off('unhandledRejection', onRejection);
    Math.random = realRandom;
    clock.uninstall();
  }
}

class ClusterSim {
  private readonly seed: number;
  private readonly nMons: number;
  private readonly nOsds: number;
  private readonly nClients: number;
  private readonly pgNum: number;
  private readonly net: SimNet;
  private readonly faultRng: Rng;
  private readonly idRng: Rng;
  private readonly weights: FaultWeights;
  private readonly mons: MonNode[] = [];
  private readonly osds: OsdNode[] = [];
  private readonly clients: Rados[] = [];
  private readonly logLines: string[] = [];
  private readonly faults: string[] = [];
  private phase = 'setup';
  private timerFirings = 0;
  private faultsOn = false;
  /** Restarts scheduled by the fault loop, awaited by the heal phase. */
  private readonly restarts = new Set<Promise<void>>();
  private nextNonce = 1;
  /** What the last active+clean check saw (for a failure's report). */
  private lastSeen = '';

  constructor(
    private readonly o: ClusterSimOptions,
    private readonly clock: SimClock,
    private readonly yieldReal: Yield,
    private readonly rejections: string[],
  ) {
    this.seed = o.seed;
    this.nMons = o.mons ?? 3;
    this.nOsds = o.osds ?? 4;
    this.nClients = o.clients ?? 1;
    this.pgNum = o.pgNum ?? 8;
    this.net = new SimNet({ rng: new Rng(caseSeed(o.seed, 2)), delayMsMin: 0, delayMsMax: 3, spikeChance: 0.01, spikeMsMax: 40, record: o.record ?? false });
    this.faultRng = new Rng(caseSeed(o.seed, 3));
    this.idRng = new Rng(caseSeed(o.seed, 4));
    this.weights = { ...DEFAULT_FAULT_WEIGHTS, ...(o.faultWeights ?? {}) };
  }

  // ---- plumbing ----------------------------------------------------------------------------------

  private now(): number {
    return Date.now() - SIM_EPOCH_MS;
  }

  private logger(who: string): Logger {
    const line = (lvl: string, msg: string): void => {
      const l = `[${this.now()}ms] ${who} ${lvl}: ${msg}`;
      if (this.o.verbose) console.log(l);
      this.logLines.push(l);
      if (this.logLines.length > LOG_LINES_MAX) this.logLines.shift();
    };
    return {
      debug: (m: string) => { if (this.o.verbose === 'debug') line('debug', m); },
      info: (m: string) => line('info', m),
      warn: (m: string) => line('warn', m),
      error: (m: string) => line('error', m),
    };
  }

  private randomU64 = (): bigint => (BigInt(this.idRng.u32()) << 32n) | BigInt(this.idRng.u32() || 1);
  private random = (): number => this.idRng.next();

  private fail(what: string): never {
    throw new ClusterSimError(
      `cluster sim seed=${this.seed} failed in ${this.phase} at ${this.now()} ms virtual: ${what}\n` +
      `  replay: CLUSTER_SIM_SEED=${this.seed}\n` +
      `  faults (${this.faults.length}): ${this.faults.slice(-30).join('; ')}\n` +
      `  last cluster check: ${this.lastSeen}\n` +
      `  last log lines:\n    ${this.logLines.slice(-60).join('\n    ')}`,
    );
  }

  /** Run the simulation until `p` settles; fail when the virtual deadline passes first. */
  private async drive<T>(p: Promise<T>, deadlineMs: number, what: string): Promise<T> {
    let settled = false;
    let value: T | undefined;
    let error: unknown = null;
    let failed = false;
    p.then((v) => { settled = true; value = v; }, (e: unknown) => { settled = true; failed = true; error = e; });
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      await this.yieldReal();
      if (this.rejections.length > 0) this.fail(`unhandled rejection: ${this.rejections[0]}`);
      if (settled) break;
      if (Date.now() > deadline) this.fail(`${what}: not done within ${deadlineMs} ms of virtual time`);
      if (this.clock.countTimers() === 0) this.fail(`${what}: nothing left to run (no timers) and not done`);
      if (++this.timerFirings > TIMER_FIRINGS_MAX) this.fail(`${what}: more than ${TIMER_FIRINGS_MAX} timers fired`);
      this.clock.next();
    }
    if (failed) throw error;
    return value as T;
  }

  /** Poll `test` every `everyMs` of virtual time until it holds. */
  private waitFor(test: () => Promise<boolean> | boolean, everyMs = 500): Promise<void> {
    return (async () => {
      for (;;) {
        if (await test()) return;
        await new Promise<void>((resolve) => setTimeout(resolve, everyMs));
      }
    })();
  }

  private monHost(): string {
    return this.mons.map((m) => `v2:${m.ip}:${MON_PORT}`).join(',');
  }

  // ---- daemons -----------------------------------------------------------------------------------

  private async startMon(m: MonNode): Promise<void> {
    m.incarnation++;
    const dev = FaultyDevice.fromImage(m.image, new Rng(caseSeed(this.seed, 1000 + m.incarnation * 16 + this.mons.indexOf(m))), { adopt: true, name: `mon.${m.name}` });
    m.dev = dev;
    const host = this.net.host(m.ip, `mon.${m.name}#${m.incarnation}`);
    m.host = host;
    m.mon = await Monitor.start({
      name: m.name, dataDir: '', device: dev, transport: host, nonce: 0, randomU64: this.randomU64,
      log: this.logger(`mon.${m.name}`),
      services: { osdReporterSubtreeLevel: 'osd', osdHeartbeatGraceMs: 6000, poolDefaultSize: POOL_SIZE, poolDefaultMinSize: POOL_MIN_SIZE, allowPoolDelete: true },
    });
  }

  /** kill -9 a monitor: its network dies, its device crashes (unflushed writes kept, lost or torn). */
  private killMon(m: MonNode): void {
    if (!m.host || !m.dev || !m.mon) return;
    this.net.kill(m.host);
    m.image = m.dev.crash();
    const zombie = m.mon;
    m.mon = null;
    m.host = null;
    m.dev = null;
    void zombie.shutdown().catch(() => undefined); // its device hangs: this never finishes, and nothing it does is seen
  }

  private async startOsd(n: OsdNode): Promise<void> {
    n.incarnation++;
    const host = this.net.host(n.ip, `osd.${n.id}#${n.incarnation}`);
    n.host = host;
    await n.store.mount();
    const osd = new OSD({
      whoami: n.id, store: n.store, monAddrs: this.mons.map((m) => [makeEntityAddr(2, m.ip, MON_PORT)]), log: this.logger(`osd.${n.id}`),
      bindHost: n.ip, portMin: OSD_PORT_MIN, portMax: OSD_PORT_MAX, nonce: this.nextNonce++,
      heartbeatIntervalMs: 1000, heartbeatGraceMs: 6000, markDownTimeoutMs: 3000,
      crushLocation: [`host=sim${n.id}`, 'root=default'], crushWeight: 1,
      transport: host, hostname: `sim${n.id}`, randomU64: this.randomU64, random: this.random,
    });
    n.osd = osd;
    await Promise.race([osd.start(), host.dead]); // killed while starting: that start never finishes
  }

  /** kill -9 an OSD: its network dies at once, the restart gets a copy of its store as it is now. */
  private killOsd(n: OsdNode): void {
    if (!n.host || !n.osd) return;
    this.net.kill(n.host);
    const zombie = n.osd;
    n.store = n.store.clone();
    n.osd = null;
    n.host = null;
    void zombie.abort().catch(() => undefined);
  }

  private async connectClient(i: number): Promise<Rados> {
    const host = this.net.host(`10.0.2.${i + 1}`, `client.${i}`);
    return Rados.connect({
      monHost: this.monHost(), transport: host, nonce: this.nextNonce++, randomU64: this.randomU64, random: this.random,
      log: this.logger(`client${i}`),
    });
  }

  // ---- cluster state -----------------------------------------------------------------------------

  private async command(r: Rados, cmd: Record<string, string | number | boolean | string[]>): Promise<string> {
    const res = await r.command(cmd);
    return res.out.toString('utf8');
  }

  /** Every OSD up and every PG active+clean, as the monitors see it. */
  private async clean(r: Rados): Promise<boolean> {
    try {
      const stText = await this.command(r, { prefix: 'osd stat', format: 'json' });
      const st = JSON.parse(stText) as { num_osds: number; num_up_osds: number; num_in_osds: number };
      this.lastSeen = `osd stat ${stText.trim()}`;
      if (st.num_up_osds !== this.nOsds || st.num_in_osds !== this.nOsds) return false;
      const pg = await this.command(r, { prefix: 'pg stat' });
      this.lastSeen += `; pg stat ${pg.trim()}`;
      const m = /^(\d+) pgs: (\d+) active\+clean;/.exec(pg.trim());
      if (!!m && Number(m[1]) === this.pgNum && Number(m[2]) === this.pgNum) return true;
      this.lastSeen += `\n  pg dump pgs_brief: ${(await this.command(r, { prefix: 'pg dump', dumpcontents: ['pgs_brief'] })).trim().replace(/\n/g, '\n    ')}`;
      return false;
    } catch (e) {
      this.lastSeen = `the check failed: ${e instanceof Error ? e.message : String(e)}`;
      return false;
    }
  }

  // ---- faults ------------------------------------------------------------------------------------

  private downOsds(): number {
    return this.osds.filter((n) => !n.osd || this.net.isolated(n.ip)).length;
  }
  private downMons(): number {
    return this.mons.filter((m) => !m.mon || this.net.isolated(m.ip)).length;
  }

  private note(f: string): void {
    this.faults.push(`${this.now()}ms ${f}`);
    this.logger('sim').info(f);
  }

  private later(ms: number, what: () => Promise<void>): void {
    const p: Promise<void> = new Promise<void>((resolve) => setTimeout(resolve, ms)).then(what).finally(() => this.restarts.delete(p));
    this.restarts.add(p);
  }

  /** Kill an OSD now and restart it `downMs` later (`why` ends the log line). */
  private bounceOsd(n: OsdNode, downMs: number, why: string): void {
    this.note(`kill osd.${n.id} for ${downMs} ms${why}`);
    this.killOsd(n);
    this.later(downMs, async () => {
      this.note(`restart osd.${n.id}`);
      await this.startOsd(n);
    });
  }

  /** Kill a monitor now and restart it `downMs` later. */
  private bounceMon(m: MonNode, downMs: number): void {
    this.note(`kill mon.${m.name} for ${downMs} ms`);
    this.killMon(m);
    this.later(downMs, async () => {
      this.note(`restart mon.${m.name}`);
      await this.startMon(m);
    });
  }

  private injectFault(): void {
    const w = this.weights;
    const total = w.reset + w.osdKill + w.monKill + w.isolate + w.osdKillTwo;
    let x = this.faultRng.next() * total;
    const osdBudget = POOL_SIZE - POOL_MIN_SIZE;
    const monBudget = Math.floor((this.nMons - 1) / 2);
    if ((x -= w.reset) < 0) {
      const conns = this.net.connections();
      if (conns.length === 0) return;
      const s = this.faultRng.pick(conns);
      this.note(`reset ${s.localHost}:${s.localPort}-${s.remoteHost}:${s.remotePort}`);
      this.net.resetConnection(s);
    } else if ((x -= w.osdKill) < 0) {
      if (this.downOsds() >= osdBudget) return;
      const n = this.faultRng.pick(this.osds.filter((q) => q.osd));
      this.bounceOsd(n, this.faultRng.int(1000, 20000), '');
    } else if ((x -= w.monKill) < 0) {
      if (this.downMons() >= monBudget) return;
      const m = this.faultRng.pick(this.mons.filter((q) => q.mon));
      this.bounceMon(m, this.faultRng.int(1000, 15000));
    } else if ((x -= w.osdKillTwo) < 0) {
      if (this.downOsds() > 0) return;
      const up = this.osds.filter((q) => q.osd);
      const first = this.faultRng.pick(up);
      const second = this.faultRng.pick(up.filter((q) => q !== first));
      for (const n of [first, second]) this.bounceOsd(n, this.faultRng.int(1000, 8000), ' (two at once)');
    } else {
      // Isolate one host: an OSD or a monitor within the budgets, or a client.
      const cands: string[] = [];
      if (this.downOsds() < osdBudget) for (const n of this.osds) if (n.osd) cands.push(n.ip);
      if (this.downMons() < monBudget) for (const m of this.mons) if (m.mon) cands.push(m.ip);
      for (let i = 0; i < this.clients.length; i++) cands.push(`10.0.2.${i + 1}`);
      if (cands.length === 0) return;
      const ip = this.faultRng.pick(cands);
      const ms = this.faultRng.int(500, 8000);
      this.note(`isolate ${ip} for ${ms} ms`);
      this.net.isolate(ip, ms);
    }
  }

  private faultLoop(): Promise<void> {
    return (async () => {
      while (this.faultsOn) {
        await new Promise<void>((resolve) => setTimeout(resolve, this.faultRng.int(500, 3000)));
        if (this.faultsOn) this.injectFault();
      }
    })();
  }

  // ---- the run -----------------------------------------------------------------------------------

  async run(): Promise<ClusterSimResult> {
    try {
      return await this.runPhases();
    } catch (e) {
      if (e instanceof ClusterSimError) throw e;
      this.fail(e instanceof Error ? e.stack ?? e.message : String(e));
    }
  }

  private async runPhases(): Promise<ClusterSimResult> {
    // 1. Build.
    const monmap = newMonMap({ fsid: FSID, created: { sec: Math.floor(SIM_EPOCH_MS / 1000), nsec: 0 }, enableAllFeatures: true, minMonRelease: 16 });
    const names = ['a', 'b', 'c', 'd', 'e'].slice(0, this.nMons);
    names.forEach((name, i) => addMon(monmap, name, [makeEntityAddr(2, `10.0.0.${i + 1}`, MON_PORT)]));
    for (const [i, name] of names.entries()) {
      const dev = new FaultyDevice(MON_DEVICE_BYTES, new Rng(caseSeed(this.seed, 100 + i)), { asyncFlush: false });
      const uuid = Buffer.alloc(16, i + 1);
      await this.drive(mkfsMonitor('', name, monmap, { dev, uuid }), SETUP_DEADLINE_MS, `mkfs mon.${name}`);
      this.mons.push({ name, ip: `10.0.0.${i + 1}`, image: dev.currentImage(), dev: null, host: null, mon: null, incarnation: 0 });
    }
    for (const m of this.mons) await this.drive(this.startMon(m), SETUP_DEADLINE_MS, `start mon.${m.name}`);
    await this.drive(Promise.all(this.mons.map((m) => m.mon!.waitForQuorum())), SETUP_DEADLINE_MS, 'monitor quorum');
    for (let i = 0; i < this.nClients; i++) this.clients.push(await this.drive(this.connectClient(i), SETUP_DEADLINE_MS, `connect client ${i}`));
    const admin = this.clients[0]!;
    for (let id = 0; id < this.nOsds; id++) {
      const out = await this.drive(this.command(admin, { prefix: 'osd create' }), SETUP_DEADLINE_MS, 'osd create');
      if (out.trim() !== String(id)) this.fail(`osd create gave '${out.trim()}', expected ${id}`);
      const store = new MemStore();
      await store.mkfs();
      await store.mount();
      await mkfsOsd(store, { whoami: id, clusterFsid: FSID, osdFsid: `5eed5eed-0000-4000-8000-0000000010${String(id).padStart(2, '0')}` });
      await store.umount();
      this.osds.push({ id, ip: `10.0.1.${id + 1}`, store, host: null, osd: null, incarnation: 0 });
    }
    for (const n of this.osds) await this.drive(this.startOsd(n), SETUP_DEADLINE_MS, `start osd.${n.id}`);
    await this.drive(admin.poolCreate(POOL_NAME, this.pgNum), SETUP_DEADLINE_MS, 'pool create');
    await this.drive(this.waitFor(() => this.clean(admin)), SETUP_DEADLINE_MS, 'active+clean after setup');

    // 2. Workload, with faults.
    this.phase = 'workload';
    const checkers = this.clients.map((r, i) => {
      const io: IoCtx = r.ioctx(POOL_NAME);
      const client = new PacedClient(new RadosCheckerClient(io, CLIENT_OP_TIMEOUT_MS), new Rng(caseSeed(this.seed, 20 + i)), this.o.thinkMsMax ?? THINK_MS_MAX);
      return new ModelChecker(client, {
        seed: caseSeed(this.seed, 10 + i), ops: this.o.ops ?? 200, objects: this.o.objects ?? 12, inFlight: this.o.inFlight ?? 4,
        prefix: `c${i}-`, objectBytesMax: 16 * 1024, writeBytesMax: 4096, now: () => Date.now(),
      });
    });
    this.faultsOn = this.o.faults ?? true;
    const faultDone = this.faultsOn ? this.faultLoop() : Promise.resolve();
    const runs = Promise.all(checkers.map((c) => c.run()));
    await this.drive(runs, WORKLOAD_DEADLINE_MS, 'the model checkers\' op streams');

    // 3. Heal.
    this.phase = 'heal';
    this.faultsOn = false;
    await this.drive(faultDone, HEAL_DEADLINE_MS, 'the fault loop to stop');
    await this.drive(Promise.all([...this.restarts]), HEAL_DEADLINE_MS, 'scheduled restarts');
    for (const m of this.mons) if (!m.mon) await this.drive(this.startMon(m), HEAL_DEADLINE_MS, `restart mon.${m.name}`);
    for (const n of this.osds) if (!n.osd) await this.drive(this.startOsd(n), HEAL_DEADLINE_MS, `restart osd.${n.id}`);
    await this.drive(this.waitFor(() => this.clean(admin)), HEAL_DEADLINE_MS, 'all OSDs up and all PGs active+clean after the faults');

    // 4. Check every object.
    this.phase = 'verify';
    const reports = await this.drive(Promise.all(checkers.map((c) => c.verifyAll())), VERIFY_DEADLINE_MS, 'verifyAll');

    // 5. Tear down.
    this.phase = 'teardown';
    const virtualMs = this.now();
    await this.drive((async () => {
      for (const r of this.clients) await r.shutdown();
      for (const n of this.osds) await n.osd?.abort();
      for (const m of this.mons) await m.mon?.shutdown();
    })(), TEARDOWN_DEADLINE_MS, 'shutdown');
    return {
      seed: this.seed, digest: this.net.digest >>> 0, deliveries: this.net.deliveries, bytesDelivered: this.net.bytesDelivered, virtualMs,
      timerFirings: this.timerFirings, faults: this.faults, reports, trace: this.net.trace,
    };
  }
}
