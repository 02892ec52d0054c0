// The deterministic simulation of a monitor cluster: N quorum cores (mon/core/quorum.ts), each over its
// own MemMonStore mirror with a separate durable image, a seeded network (delay, loss, duplication,
// reordering, partitions), a simulated clock, crashes that lose unflushed writes, wipes, and a client
// that proposes small store transactions through whoever is writeable. One seed is one run; the same
// seed replays the same run exactly (no wall clock, no Math.random, a deterministic event order).
//
// The shell contract is modelled as the real monitor keeps it: a Ready's persist becomes durable at a
// later "flush" event, and only then are its messages sent; a crash drops every Ready not flushed yet
// and restarts the core from the durable image.

import { MemMonStore, MonStoreOpType, MonStoreTx, versionKey } from '../../mon/core/store.js';
import { createQuorum, type QuorumCore } from '../../mon/core/quorum.js';
import { PAXOS_PREFIX } from '../../mon/core/paxos.js';
import type { PeerMessage, Quorum, QuorumConfig, QuorumReady } from '../../mon/core/types.js';
import type { MonMap } from '../../common/monmap/types.js';
import { Rng } from '../support/rng.js';

/** Shrunk timeouts and Paxos limits so a run exercises elections, trimming and sync in seconds. */
export const SIM_QUORUM_CONFIG: QuorumConfig = {
  leaseMs: 1000,
  leaseRenewIntervalMs: 600,
  leaseAckTimeoutMs: 2000,
  electionTimeoutMs: 1000,
  acceptTimeoutMs: 2000,
  probeTimeoutMs: 500,
  paxosMinVersions: 20,
  paxosTrimMaxVersions: 10,
  paxosMaxJoinDriftVersions: 5,
  syncChunkBytesMax: 2000,
  syncChunkKeysMax: 25,
};

export interface SimOptions {
  seed: number;
  mons: number;
  /** Simulated time with faults, then the time allowed for a leader and a commit, then for catch-up. */
  faultMs: number;
  livenessMs: number;
  catchUpMs: number;
  config?: QuorumConfig;
  /**
   * A lying disk, for the checker's self-test: 'drop-accepted' silently loses a peon's accepted value
   * (the version key, pending_v, pending_pn) from any persist that commits nothing, while the peon goes
   * on to acknowledge it. The checker must catch the values this loses.
   */
  faultyDisk?: 'drop-accepted';
  /** Keep a trace of events (for a failing seed's report). */
  trace?: boolean | 'debug';
}

export const TICK_MS = 50;
const CLIENT_INTERVAL_MS = 15;
const FAULT_INTERVAL_MS = 1000;

type Event =
  | { kind: 'deliver'; from: number; to: number; msg: PeerMessage }
  | { kind: 'flush'; rank: number; incarnation: number }
  | { kind: 'tick'; rank: number; incarnation: number }
  | { kind: 'restart'; rank: number }
  | { kind: 'client' }
  | { kind: 'fault' };

interface Scheduled { at: number; seq: number; ev: Event }

/** A binary min-heap on (at, seq): ties break by insertion order, so runs are deterministic. */
class EventQueue {
  private heap: Scheduled[] = [];
  private seq = 0;
  get size(): number { return this.heap.length; }
  peek(): Scheduled | undefined { return this.heap[0]; }
  push(at: number, ev: Event): void {
    const h = this.heap;
    h.push({ at, seq: this.seq++, ev });
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i]!, h[p]!)) break;
      [h[i], h[p]] = [h[p]!, h[i]!];
      i = p;
    }
  }
  pop(): Scheduled | undefined {
    const h = this.heap;
    if (h.length === 0) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1, r = l + 1;
        let m = i;
        if (l < h.length && less(h[l]!, h[m]!)) m = l;
        if (r < h.length && less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
function less(a: Scheduled, b: Scheduled): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

interface SimMon {
  rank: number;
  up: boolean;
  /** Bumped at each crash: events for an older incarnation are dropped. */
  incarnation: number;
  store: MemMonStore;
  durable: MemMonStore;
  core: QuorumCore;
  pending: QuorumReady[];
  flushScheduled: boolean;
}

export class SimFailure extends Error {}

export function simMonMap(n: number): MonMap {
  const names = Array.from({ length: n }, (_, i) => String.fromCharCode(97 + i));
  return {
    fsid: '00000000-0000-0000-0000-00000000c0de',
    epoch: 1,
    lastChanged: { sec: 0, nsec: 0 },
    created: { sec: 0, nsec: 0 },
    mons: new Map(names.map((name) => [name, { name, publicAddrs: [], priority: 0, weight: 0, crushLoc: new Map() }])),
    ranks: names,
    persistentFeatures: 0n,
    optionalFeatures: 0n,
    minMonRelease: 16,
    removedRanks: new Set(),
    strategy: 1,
    disallowedLeaders: new Set(),
    stretchModeEnabled: false,
    tiebreakerMon: '',
    stretchMarkedDownMons: new Set(),
  };
}

export interface SimStats {
  elections: number;
  commits: number;
  crashes: number;
  wipes: number;
  syncs: number;
  partitions: number;
  messages: number;
  maxVersion: number;
  leaderAfterHealMs: number;
  commitAfterHealMs: number;
  catchUpAfterHealMs: number;
}

export class MonSim {
  readonly rng: Rng;
  readonly config: QuorumConfig;
  readonly monmap: MonMap;
  readonly mons: SimMon[] = [];
  now = 0;
  private readonly q = new EventQueue();
  /** Version -> value, as first committed durably anywhere. */
  readonly chosen = new Map<number, Buffer>();
  /** test key -> value, from every chosen value. */
  readonly committedKeys = new Map<string, string>();
  private nextValue = 1;
  /** Groups of a partition: mons in different groups cannot talk (null: fully connected). */
  private group: number[] | null = null;
  private lossP = 0;
  private dupP = 0;
  private reorderP = 0;
  private readonly linkLastAt: number[] = [];
  private delayMaxMs = 10;
  private flushDelayMaxMs = 5;
  private healed = false;
  private clientOn = true;
  /** This run's fault profile: mixed faults, or mostly short crashes. */
  readonly crashy: boolean;
  private healAt = 0;
  private firstCommitAfterHeal = -1;
  private firstLeaderAfterHeal = -1;
  private readonly traceLines: string[] = [];
  readonly stats: SimStats = {
    elections: 0, commits: 0, crashes: 0, wipes: 0, syncs: 0, partitions: 0, messages: 0, maxVersion: 0,
    leaderAfterHealMs: -1, commitAfterHealMs: -1, catchUpAfterHealMs: -1,
  };

  constructor(readonly opts: SimOptions) {
    this.rng = new Rng(opts.seed);
    this.config = opts.config ?? SIM_QUORUM_CONFIG;
    this.monmap = simMonMap(opts.mons);
    this.crashy = this.rng.chance(0.4);
    for (let r = 0; r < opts.mons; r++) {
      const durable = new MemMonStore();
      const store = durable.clone();
      this.mons.push({
        rank: r, up: true, incarnation: 0, store, durable, core: createQuorum(r, this.monmap, store, this.config) as QuorumCore,
        pending: [], flushScheduled: false,
      });
    }
  }

  private trace(text: string): void {
    if (this.opts.trace) this.traceLines.push(`${this.now}ms ${text}`);
  }
  traceTail(n = 80): string {
    return this.traceLines.slice(-n).join('\n');
  }
  fail(text: string): never {
    throw new SimFailure(`seed=${this.opts.seed} at ${this.now}ms: ${text}`);
  }

  // ---------------------------------------------------------------------------------------------
  // Running

  /** Start every monitor and the client; with randomFaults, the fault schedule and network chaos too. */
  begin(randomFaults: boolean): void {
    for (const m of this.mons) {
      this.handleReady(m, m.core.start(this.now));
      this.q.push(this.now + this.rng.int(1, TICK_MS), { kind: 'tick', rank: m.rank, incarnation: m.incarnation });
    }
    this.q.push(this.now + CLIENT_INTERVAL_MS, { kind: 'client' });
    if (randomFaults) {
      this.q.push(this.now + FAULT_INTERVAL_MS, { kind: 'fault' });
      this.setChaos(true);
    } else {
      this.healed = true;
      this.setChaos(false);
    }
  }

  /** Process events up to time t (inclusive); stop early when until() holds after an event. */
  runUntil(t: number, until?: () => boolean): boolean {
    for (;;) {
      const s = this.q.peek();
      if (!s) this.fail('event queue ran dry');
      if (s.at > t) {
        this.now = t;
        return false;
      }
      this.q.pop();
      this.now = s.at;
      this.dispatch(s.ev);
      if (until?.()) return true;
    }
  }

  /** The random run: faults until faultMs, then liveness and catch-up within their bounds, then checks. */
  run(): SimStats {
    this.begin(true);
    this.runUntil(this.opts.faultMs);
    this.heal();
    if (!this.runUntil(this.healAt + this.opts.livenessMs, () => this.firstCommitAfterHeal >= 0)) {
      this.fail(`no commit within ${this.opts.livenessMs}ms after faults stopped (leader after heal: ${this.firstLeaderAfterHeal}ms)`);
    }
    this.clientOn = false; // liveness is proven: let the monitors settle
    this.awaitCatchUp(this.opts.catchUpMs);
    this.stats.catchUpAfterHealMs = this.now - this.healAt;
    this.finalCheck();
    return this.stats;
  }

  /** Run until every monitor is in one full quorum at the same durable version, or fail. */
  awaitCatchUp(withinMs: number): void {
    if (!this.runUntil(this.now + withinMs, () => this.caughtUp())) {
      this.fail(`monitors did not catch up within ${withinMs}ms: ` +
        this.mons.map((m) => `mon.${m.rank} ${m.up ? m.core.state : 'down'} e${m.core.electionEpoch} q[${m.core.quorumRanks.join(',')}] lc ${m.core.lastCommitted}` +
          ` durable lc ${m.durable.getNumber(PAXOS_PREFIX, 'last_committed')} unflushed ${m.pending.length}`).join(', '));
    }
  }

  /** Scripted faults for the targeted tests. */
  isolate(rank: number | null): void {
    this.group = rank === null ? null : this.mons.map((m) => (m.rank === rank ? 1 : 0));
    this.trace(rank === null ? 'network healed' : `isolate mon.${rank}`);
  }
  crashRank(rank: number, downMs: number, wipe = false): void {
    const m = this.mons[rank]!;
    if (wipe) this.stats.wipes++;
    this.crash(m, downMs, wipe);
  }
  setClient(on: boolean): void {
    this.clientOn = on;
  }
  lastCommittedOf(rank: number): number {
    return this.mons[rank]!.durable.getNumber(PAXOS_PREFIX, 'last_committed');
  }
  firstCommittedOf(rank: number): number {
    return this.mons[rank]!.durable.getNumber(PAXOS_PREFIX, 'first_committed');
  }
  leaderRank(): number {
    const l = this.mons.find((m) => m.up && m.core.state === 'leader');
    return l ? l.rank : -1;
  }

  private dispatch(ev: Event): void {
    switch (ev.kind) {
      case 'deliver': {
        const m = this.mons[ev.to]!;
        // Messages already on the wire arrive even if their sender crashed since.
        if (!m.up) return;
        this.handleReady(m, m.core.receive(ev.from, ev.msg, this.now));
        return;
      }
      case 'flush': {
        const m = this.mons[ev.rank]!;
        if (!m.up || ev.incarnation !== m.incarnation) return;
        m.flushScheduled = false;
        this.flushOne(m);
        if (m.pending.length > 0) this.scheduleFlush(m);
        return;
      }
      case 'tick': {
        const m = this.mons[ev.rank]!;
        if (!m.up || ev.incarnation !== m.incarnation) return;
        this.handleReady(m, m.core.tick(this.now));
        this.q.push(this.now + TICK_MS, { kind: 'tick', rank: m.rank, incarnation: m.incarnation });
        return;
      }
      case 'restart':
        return this.restart(this.mons[ev.rank]!);
      case 'client':
        this.client();
        this.q.push(this.now + CLIENT_INTERVAL_MS + this.rng.int(0, 15), { kind: 'client' });
        return;
      case 'fault':
        if (!this.healed) {
          this.fault();
          const gap = this.crashy ? this.rng.int(50, 500) : this.rng.int(FAULT_INTERVAL_MS / 2, FAULT_INTERVAL_MS * 2);
          this.q.push(this.now + gap, { kind: 'fault' });
        }
        return;
    }
  }

  private handleReady(m: SimMon, r: QuorumReady): void {
    for (const e of r.events) {
      if (e.kind === 'state') {
        this.trace(`mon.${m.rank} -> ${e.state} e${e.electionEpoch} q[${e.quorum.join(',')}] leader ${e.leader}`);
        if (e.state === 'leader') {
          this.stats.elections++;
          if (this.healed && this.firstLeaderAfterHeal < 0) this.firstLeaderAfterHeal = this.now - this.healAt;
        }
        if (e.state === 'synchronizing') this.stats.syncs++;
      } else if (e.kind === 'log' && (e.level !== 'debug' || this.opts.trace === 'debug')) {
        this.trace(e.text);
      }
    }
    if (!r.persist && r.send.length === 0) return;
    m.pending.push(r);
    this.scheduleFlush(m);
  }

  private scheduleFlush(m: SimMon): void {
    if (m.flushScheduled) return;
    m.flushScheduled = true;
    this.q.push(this.now + this.rng.int(0, this.flushDelayMaxMs), { kind: 'flush', rank: m.rank, incarnation: m.incarnation });
  }

  /** Make the oldest Ready durable, check what it committed, then send its messages. */
  private flushOne(m: SimMon): void {
    const r = m.pending.shift();
    if (!r) return;
    if (r.persist) {
      const before = m.durable.getNumber(PAXOS_PREFIX, 'last_committed');
      m.durable.apply(this.opts.faultyDisk === 'drop-accepted' && m.core.state === 'peon' ? dropAccepted(r.persist) : r.persist);
      const after = m.durable.getNumber(PAXOS_PREFIX, 'last_committed');
      if (!m.durable.exists('mon_sync', 'in_sync')) {
        for (let v = before + 1; v <= after; v++) this.noteCommitted(m, v);
      }
    }
    for (const { to, msg } of r.send) this.transmit(m.rank, to, msg);
  }

  private noteCommitted(m: SimMon, v: number): void {
    const value = m.durable.get(PAXOS_PREFIX, versionKey(v));
    if (!value) return; // trimmed already (arrived by a sync snapshot)
    const prior = this.chosen.get(v);
    if (prior) {
      if (!prior.equals(value)) this.fail(`mon.${m.rank} committed a different value for version ${v}`);
      return;
    }
    this.chosen.set(v, value);
    this.stats.commits++;
    this.stats.maxVersion = Math.max(this.stats.maxVersion, v);
    this.trace(`mon.${m.rank} first commit of v${v}`);
    let hasClientKey = false;
    for (const op of MonStoreTx.decode(value).ops) {
      if (op.type === MonStoreOpType.PUT && op.prefix === 'test') {
        this.committedKeys.set(op.key, op.value.toString());
        hasClientKey = true;
      }
    }
    if (this.healed && hasClientKey && this.firstCommitAfterHeal < 0) {
      this.firstCommitAfterHeal = this.now;
      this.stats.commitAfterHealMs = this.now - this.healAt;
      this.stats.leaderAfterHealMs = this.firstLeaderAfterHeal;
    }
  }

  private connected(a: number, b: number): boolean {
    return this.group === null || this.group[a] === this.group[b];
  }

  private transmit(from: number, to: number, msg: PeerMessage): void {
    this.stats.messages++;
    if (!this.connected(from, to) || this.rng.chance(this.lossP)) return;
    const copies = this.rng.chance(this.dupP) ? 2 : 1;
    const link = from * this.mons.length + to;
    for (let i = 0; i < copies; i++) {
      let at = this.now + this.rng.int(1, this.delayMaxMs);
      // Links are FIFO (as a lossless msgr2 session is) unless this message is picked to overtake.
      if (!this.rng.chance(this.reorderP)) at = Math.max(at, this.linkLastAt[link] ?? 0);
      this.linkLastAt[link] = Math.max(at, this.linkLastAt[link] ?? 0);
      this.q.push(at, { kind: 'deliver', from, to, msg });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // The client

  private client(): void {
    if (!this.clientOn) return;
    const leaders = this.mons.filter((m) => m.up && m.core.isWriteable());
    if (leaders.length === 0) return;
    const m = this.rng.pick(leaders);
    const id = this.nextValue++;
    const tx = new MonStoreTx().put('test', `k${id}`, Buffer.from(`v${id}`));
    this.handleReady(m, m.core.propose(tx.encode(), this.now));
  }

  // ---------------------------------------------------------------------------------------------
  // Faults

  private setChaos(on: boolean): void {
    this.lossP = on ? 0.03 : 0;
    this.dupP = on ? 0.03 : 0;
    this.reorderP = on ? 0.1 : 0;
    this.delayMaxMs = on ? 60 : 5;
    this.flushDelayMaxMs = on ? 20 : 2;
  }

  private fault(): void {
    const n = this.mons.length;
    const roll = this.rng.next();
    if (this.crashy && roll < 0.5) {
      // Short, frequent crashes: promises and accepted values must survive restarts.
      const m = this.rng.pick(this.mons);
      if (m.up) this.crash(m, this.rng.int(20, 600));
    } else if (roll < 0.25) {
      const m = this.rng.pick(this.mons);
      if (m.up) this.crash(m, this.rng.int(100, 3000));
    } else if (roll < 0.4 && n > 1) {
      this.group = this.mons.map(() => this.rng.int(0, 1));
      this.stats.partitions++;
      this.trace(`partition ${this.group.join('')}`);
    } else if (roll < 0.55) {
      this.group = null;
      this.trace('network healed');
    } else if (roll < 0.6 && n > 1) {
      // Isolate one monitor for a long time so it falls behind the trimmed log and must sync.
      const r = this.rng.int(0, n - 1);
      this.group = this.mons.map((m) => (m.rank === r ? 1 : 0));
      this.stats.partitions++;
      this.trace(`isolate mon.${r}`);
    } else if (roll < 0.65 && this.wipeAllowed()) {
      const m = this.rng.pick(this.mons);
      this.stats.wipes++;
      this.trace(`wipe mon.${m.rank}`);
      this.crash(m, this.rng.int(50, 1000), true);
    } else if (roll < 0.75) {
      this.lossP = this.rng.pick([0, 0.01, 0.05, 0.2]);
      this.dupP = this.rng.pick([0, 0.02, 0.1]);
      this.reorderP = this.rng.pick([0, 0.05, 0.3]);
      this.delayMaxMs = this.rng.pick([5, 30, 100, 300]);
    }
  }

  /**
   * A wipe loses a monitor's promises and accepted values. Paxos survives that only when the state is
   * redundant: every monitor up, connected, in one full quorum, and holding the same committed versions
   * durably. Then every committed value is on the others, and a value in flight can only commit with
   * the accept of every other monitor too (Ceph's commit needs every quorum member's accept).
   */
  private wipeAllowed(): boolean {
    if (this.group !== null || this.mons.length < 3) return false;
    const e = this.mons[0]!.core.electionEpoch;
    const lc = this.mons[0]!.durable.getNumber(PAXOS_PREFIX, 'last_committed');
    return this.mons.every((m) => m.up && (m.core.state === 'leader' || m.core.state === 'peon') &&
      m.core.electionEpoch === e && m.core.quorumRanks.length === this.mons.length && m.pending.length === 0 &&
      m.durable.getNumber(PAXOS_PREFIX, 'last_committed') === lc && m.core.lastCommitted === lc);
  }

  crash(m: SimMon, downMs: number, wipe = false): void {
    this.stats.crashes++;
    this.trace(`crash mon.${m.rank} for ${downMs}ms${wipe ? ' (wiped)' : ''} (${m.pending.length} unflushed)`);
    m.up = false;
    m.incarnation++;
    m.pending = [];
    m.flushScheduled = false;
    if (wipe) m.durable = new MemMonStore();
    this.q.push(this.now + downMs, { kind: 'restart', rank: m.rank });
  }

  private restart(m: SimMon): void {
    if (m.up) return;
    m.up = true;
    m.store = m.durable.clone();
    m.core = createQuorum(m.rank, this.monmap, m.store, this.config) as QuorumCore;
    this.trace(`restart mon.${m.rank} lc ${m.durable.getNumber(PAXOS_PREFIX, 'last_committed')}`);
    this.handleReady(m, m.core.start(this.now));
    this.q.push(this.now + this.rng.int(1, TICK_MS), { kind: 'tick', rank: m.rank, incarnation: m.incarnation });
  }

  heal(): void {
    this.healed = true;
    this.healAt = this.now;
    this.group = null;
    this.setChaos(false);
    this.trace('faults stop: heal, restart everyone');
    for (const m of this.mons) if (!m.up) this.restart(m);
  }

  // ---------------------------------------------------------------------------------------------
  // Checks

  private caughtUp(): boolean {
    const max = Math.max(...this.mons.map((m) => m.durable.getNumber(PAXOS_PREFIX, 'last_committed')));
    return this.mons.every((m) => m.up && m.pending.length === 0 && !m.durable.exists('mon_sync', 'in_sync') &&
      m.durable.getNumber(PAXOS_PREFIX, 'last_committed') === max &&
      (m.core.state === 'leader' || m.core.state === 'peon') && m.core.quorumRanks.length === this.mons.length);
  }

  /** Every committed value is in every monitor's durable store, and their committed states agree. */
  finalCheck(): void {
    for (const m of this.mons) {
      const s = m.durable;
      const lc = s.getNumber(PAXOS_PREFIX, 'last_committed');
      if (lc < this.stats.maxVersion) this.fail(`mon.${m.rank} ends at ${lc}, below the highest committed version ${this.stats.maxVersion}`);
      for (const [key, value] of this.committedKeys) {
        const got = s.get('test', key);
        if (!got) this.fail(`mon.${m.rank} lost committed key ${key}`);
        if (got.toString() !== value) this.fail(`mon.${m.rank} has ${key}=${got.toString()}, committed ${value}`);
      }
      for (const key of s.keys('test')) {
        if (!this.committedKeys.has(key)) this.fail(`mon.${m.rank} holds ${key}, which was never committed`);
      }
      const first = s.getNumber(PAXOS_PREFIX, 'first_committed');
      for (let v = first; v <= lc; v++) {
        const value = s.get(PAXOS_PREFIX, versionKey(v));
        if (!value) this.fail(`mon.${m.rank} misses version ${v} inside its range [${first}, ${lc}]`);
        const c = this.chosen.get(v);
        if (c && !c.equals(value)) this.fail(`mon.${m.rank} holds a different value for version ${v}`);
      }
    }
  }
}

function dropAccepted(tx: MonStoreTx): MonStoreTx {
  if (tx.ops.some((op) => op.prefix === PAXOS_PREFIX && op.key === 'last_committed')) return tx;
  const out = new MonStoreTx();
  for (const op of tx.ops) {
    const accepted = op.prefix === PAXOS_PREFIX && (op.key === 'pending_v' || op.key === 'pending_pn' || /^[0-9]+$/.test(op.key));
    if (accepted) continue;
    if (op.type === MonStoreOpType.PUT) out.put(op.prefix, op.key, op.value);
    else if (op.type === MonStoreOpType.ERASE) out.erase(op.prefix, op.key);
    else if (op.type === MonStoreOpType.ERASE_RANGE) out.eraseRange(op.prefix, op.key, op.endKey);
  }
  return out;
}

export function runSim(opts: SimOptions): SimStats {
  const sim = new MonSim(opts);
  try {
    return sim.run();
  } catch (e) {
    if (opts.trace && e instanceof Error) e.message += `\n--- last events ---\n${sim.traceTail()}`;
    throw e;
  }
}

export type { Quorum };
