// The quorum core: one monitor's probing, synchronizing, electing and Paxos roles (Ceph's Monitor.cc
// bootstrap / handle_probe / sync_* / start_election / win_election / lose_election, with
// mon/core/elector.ts and mon/core/paxos.ts doing the election and the consensus). Pure: every input
// returns a QuorumReady (persist, then send, then refresh services for what committed).
//
// States: probing -> (synchronizing -> probing) -> electing -> leader | peon -> (any trouble) probing.
// Store keys it owns besides "paxos": monitor/election_epoch (the elector's epoch), monitor/joined (this
// monitor was once part of a quorum), mon_sync/in_sync and mon_sync/last_committed_floor (a full sync is
// under way: the store is not a consistent copy until it finishes).

import { compareStringBytes } from '../../common/encoding.js';
import { assert } from '../../common/errors.js';
import type { MonMap } from '../../common/monmap/types.js';
import { Elector, type ElectorHost } from './elector.js';
import { PAXOS_PREFIX, Paxos, type PaxosHost } from './paxos.js';
import { MonStoreOpType, MonStoreTx, versionKey, type MonStoreRead } from './store.js';
import {
  ElectionOp, PaxosOp, ProbeOp, SyncOp,
  type ElectionMessage, type PaxosMessage, type PeerMessage, type ProbeMessage, type Quorum, type QuorumConfig,
  type QuorumEvent, type QuorumReady, type QuorumState, type SyncMessage,
} from './types.js';

export const MONITOR_PREFIX = 'monitor';
export const MON_SYNC_PREFIX = 'mon_sync';
/** Set while a sync is under way (a restart finds it and syncs again). */
export const MON_SYNC_IN_SYNC_KEY = 'in_sync';
/** The monmap a sync's erase would take, kept for a restart after a crash mid-sync (Ceph's latest_monmap). */
export const MON_SYNC_LATEST_MONMAP_KEY = 'latest_monmap';
/** The last_committed a sync must reach before the store is whole again (set with in_sync). */
const MON_SYNC_LAST_COMMITTED_FLOOR_KEY = 'last_committed_floor';
/** Ceph 16 (pacific) as ceph_release_t. */
export const MON_RELEASE_PACIFIC = 16;
/** Sync snapshots a provider keeps at once; the oldest goes first. */
export const SYNC_PROVIDERS_MAX = 4;
/** Paxos keys that are one monitor's own promises, never copied by a sync. */
const PAXOS_LOCAL_KEYS = new Set(['accepted_pn', 'last_pn', 'pending_v', 'pending_pn']);

/** Ceph's defaults (mon_lease 5 s and its factors, mon_election_timeout, mon_probe_timeout, paxos_*). */
export const DEFAULT_QUORUM_CONFIG: Readonly<QuorumConfig> = Object.freeze({
  leaseMs: 5000,
  leaseRenewIntervalMs: 3000, // mon_lease * mon_lease_renew_interval_factor (0.6)
  leaseAckTimeoutMs: 10000, // mon_lease * mon_lease_ack_timeout_factor (2)
  electionTimeoutMs: 5000,
  acceptTimeoutMs: 10000, // mon_lease * mon_accept_timeout_factor (2)
  probeTimeoutMs: 2000,
  paxosMinVersions: 500, // paxos_min
  paxosTrimMaxVersions: 500, // paxos_trim_max
  paxosMaxJoinDriftVersions: 10, // paxos_max_join_drift
  syncChunkBytesMax: 1 << 20, // mon_sync_max_payload_size
  syncChunkKeysMax: 2000, // mon_sync_max_payload_keys
});

export function checkQuorumConfig(c: QuorumConfig): void {
  assert(c.leaseRenewIntervalMs < c.leaseMs, 'the lease must be renewed before it runs out');
  assert(c.leaseAckTimeoutMs >= c.leaseMs, 'a lease ack timeout shorter than the lease would drop healthy quorums');
  assert(c.paxosMinVersions >= 1 && c.paxosTrimMaxVersions >= 1, 'paxos keeps and trims at least one version');
  assert(c.syncChunkBytesMax > 0 && c.syncChunkKeysMax > 0, 'sync chunks hold something');
}
checkQuorumConfig(DEFAULT_QUORUM_CONFIG);

/** The store the core reads and writes: the shell's in-memory mirror (MemMonStore). */
export interface QuorumStore extends MonStoreRead {
  apply(tx: MonStoreTx): void;
  prefixNames(): string[];
}

interface SyncProvider {
  to: number;
  cookie: number;
  /** The snapshot: every synced (prefix, key, value) in byte order, taken when the cookie was made. */
  entries: Array<[string, string, Buffer]>;
  deadlineMs: number;
}

interface SyncRequester {
  provider: number;
  cookie: number;
  /** The provider's last_committed in its snapshot. */
  startVersion: number;
  /** Where we are: the last snapshot key applied (['', '']: none yet) and the last tail version applied. */
  lastKey: [string, string];
  tailVersion: number;
  deadlineMs: number;
}

function compareKeyPair(a: readonly [string, string], b: readonly [string, string]): number {
  return compareStringBytes(a[0], b[0]) || compareStringBytes(a[1], b[1]);
}

class Step {
  persist: MonStoreTx | null = null;
  send: Array<{ to: number; msg: PeerMessage }> = [];
  committed: number[] = [];
  events: QuorumEvent[] = [];
}

export function createQuorum(rank: number, monmap: MonMap, store: QuorumStore, config: QuorumConfig = DEFAULT_QUORUM_CONFIG): Quorum {
  return new QuorumCore(rank, monmap, store, config);
}

export class QuorumCore implements Quorum, PaxosHost, ElectorHost {
  private _state: QuorumState = 'probing';
  private _leader = -1;
  private _quorum: number[] = [];
  private readonly elector: Elector;
  private readonly paxos: Paxos;
  private step: Step | null = null;
  private hasEverJoined = false;
  private outsideQuorum = new Set<number>();
  private probeDeadlineMs = 0;
  private syncReq: SyncRequester | null = null;
  private readonly providers = new Map<number, SyncProvider>();
  private nextCookie = 1;

  constructor(readonly rank: number, private monmap: MonMap, readonly store: QuorumStore, readonly config: QuorumConfig) {
    checkQuorumConfig(config);
    assert(rank >= 0 && rank < monmap.ranks.length, `rank ${rank} outside a monmap of ${monmap.ranks.length}`);
    this.elector = new Elector(this, config.electionTimeoutMs);
    this.paxos = new Paxos(this);
  }

  get state(): QuorumState { return this._state; }
  get electionEpoch(): number { return this.elector.epoch; }
  get leader(): number { return this._leader; }
  get quorumRanks(): readonly number[] { return this._quorum; }
  get firstCommitted(): number { return this.paxos.firstCommitted; }
  get lastCommitted(): number { return this.paxos.lastCommitted; }
  /** The Paxos sub-state (recovering / active / updating ...), for logs and tests. */
  get paxosState(): string { return this.paxos.state; }

  // --------------------------------------------------------------------------------------------
  // Steps

  private run(fn: () => void): QuorumReady {
    assert(this.step === null, 'quorum core re-entered');
    const s = new Step();
    this.step = s;
    try {
      fn();
    } finally {
      this.step = null;
    }
    return { persist: s.persist, send: s.send, committed: s.committed, events: s.events };
  }
  private cur(): Step {
    assert(this.step !== null, 'quorum core used outside a step');
    return this.step;
  }
  write(tx: MonStoreTx): void {
    if (tx.empty) return;
    this.store.apply(tx);
    const s = this.cur();
    if (!s.persist) s.persist = new MonStoreTx();
    s.persist.append(tx);
  }
  private sendPeer(to: number, msg: PeerMessage): void {
    this.cur().send.push({ to, msg });
  }
  private event(e: QuorumEvent): void {
    this.cur().events.push(e);
  }
  log(level: 'debug' | 'info' | 'warn', text: string): void {
    this.event({ kind: 'log', level, text: `mon.${this.rank}: ${text}` });
  }
  private setState(state: QuorumState): void {
    this._state = state;
    this.event({ kind: 'state', state, electionEpoch: this.elector.epoch, quorum: [...this._quorum], leader: this._leader });
  }

  // --------------------------------------------------------------------------------------------
  // Public API

  start(nowMs: number): QuorumReady {
    return this.run(() => {
      this.paxos.init();
      this.elector.init();
      this.hasEverJoined = this.store.exists(MONITOR_PREFIX, 'joined');
      this.bootstrap('start', nowMs);
    });
  }

  receive(fromRank: number, msg: PeerMessage, nowMs: number): QuorumReady {
    return this.run(() => {
      if (this._state === 'shutdown') return;
      if (fromRank < 0 || fromRank >= this.monCount() || fromRank === this.rank) {
        this.log('warn', `message from unknown rank ${fromRank} dropped`);
        return;
      }
      if ((msg.kind === 'probe' || msg.kind === 'election') && msg.m.fsid !== this.monmap.fsid) {
        this.log('warn', `${msg.kind} from mon.${fromRank} of another cluster (fsid ${msg.m.fsid}) dropped`);
        return;
      }
      switch (msg.kind) {
        case 'probe': return this.handleProbe(fromRank, msg.m, nowMs);
        case 'election': return this.handleElection(fromRank, msg.m, nowMs);
        case 'paxos': return this.handlePaxos(fromRank, msg.m, nowMs);
        case 'sync': return this.handleSync(fromRank, msg.m, nowMs);
      }
    });
  }

  tick(nowMs: number): QuorumReady {
    return this.run(() => {
      for (const [cookie, p] of this.providers) if (nowMs >= p.deadlineMs) this.providers.delete(cookie);
      switch (this._state) {
        case 'probing':
          if (nowMs >= this.probeDeadlineMs) this.bootstrap('probe timed out', nowMs);
          break;
        case 'electing':
          this.elector.tick(nowMs);
          break;
        case 'leader':
        case 'peon':
          this.paxos.tick(nowMs);
          break;
        case 'synchronizing':
          if (this.syncReq && nowMs >= this.syncReq.deadlineMs) this.bootstrap('sync timed out', nowMs);
          break;
        case 'shutdown':
          break;
      }
    });
  }

  isReadable(nowMs: number): boolean {
    return (this._state === 'leader' || this._state === 'peon') && this.paxos.isReadable(nowMs);
  }
  isWriteable(): boolean {
    return this._state === 'leader' && this.paxos.isWriteable();
  }

  propose(value: Buffer, nowMs: number): QuorumReady {
    return this.run(() => {
      assert(this.isWriteable(), `propose on mon.${this.rank} in state ${this._state}/${this.paxos.state}`);
      this.paxos.propose(value, nowMs);
    });
  }

  setMonMap(monmap: MonMap, nowMs: number): QuorumReady {
    return this.run(() => {
      const old = this.monmap;
      this.monmap = monmap;
      const changed = old.ranks.length !== monmap.ranks.length || old.ranks.some((n, i) => monmap.ranks[i] !== n);
      if (changed && this._state !== 'synchronizing') this.bootstrap(`monmap e${monmap.epoch} changed the ranks`, nowMs);
    });
  }

  // --------------------------------------------------------------------------------------------
  // Hosts for the elector and Paxos

  monCount(): number { return this.monmap.ranks.length; }
  quorum(): readonly number[] { return this._quorum; }
  isLeader(): boolean { return this._state === 'leader'; }
  currentEpoch(): number { return this.elector.epoch; }
  readEpoch(): number { return this.store.getNumber(MONITOR_PREFIX, 'election_epoch'); }
  persistEpoch(epoch: number): void {
    this.write(new MonStoreTx().putNumber(MONITOR_PREFIX, 'election_epoch', epoch));
  }
  everJoined(): boolean { return this.hasEverJoined; }
  isCurrentMember(rank: number): boolean {
    return (this._state === 'leader' || this._state === 'peon') && this._quorum.includes(rank);
  }
  sendElection(to: number, op: number, epoch: number, quorum: number[]): void {
    this.sendPeer(to, { kind: 'election', m: this.electionMessage(op, epoch, quorum) });
  }
  sendPaxos(to: number, m: PaxosMessage): void {
    this.sendPeer(to, { kind: 'paxos', m });
  }
  committed(v: number): void { this.cur().committed.push(v); }
  readable(): void { this.event({ kind: 'readable' }); }
  writeable(): void { if (this.isWriteable()) this.event({ kind: 'writeable' }); }

  joinElection(_nowMs: number): void {
    if (this._state === 'electing') return;
    this.leaveRoles();
    this.setState('electing');
  }
  triggerNewElection(nowMs: number): void {
    this.startElection(nowMs);
  }
  resetElection(nowMs: number): void {
    this.bootstrap('election failed and I never joined a quorum', nowMs);
  }
  won(epoch: number, quorum: number[], nowMs: number): void {
    this._leader = this.rank;
    this._quorum = quorum;
    this.noteJoined();
    this.setState('leader');
    this.log('info', `won election epoch ${epoch}, quorum ${quorum.join(',')}`);
    this.paxos.leaderInit(nowMs);
  }
  lost(epoch: number, quorum: number[], leader: number, nowMs: number): void {
    this._leader = leader;
    this._quorum = quorum;
    this.noteJoined();
    this.setState('peon');
    this.log('info', `peon of mon.${leader} in election epoch ${epoch}`);
    this.paxos.peonInit(nowMs);
  }
  private noteJoined(): void {
    if (this.hasEverJoined) return;
    this.hasEverJoined = true;
    this.write(new MonStoreTx().putNumber(MONITOR_PREFIX, 'joined', 1));
  }

  // --------------------------------------------------------------------------------------------
  // Roles

  private leaveRoles(): void {
    this.paxos.reset();
    this._leader = -1;
    this._quorum = [];
  }

  bootstrap(reason: string, nowMs: number): void {
    this.log('info', `bootstrap: ${reason}`);
    this.elector.cancel();
    this.leaveRoles();
    this.syncReq = null;
    this.paxos.init();
    this.outsideQuorum = new Set([this.rank]);
    this.setState('probing');
    if (this.monCount() === 1 && this.rank === 0 && !this.store.exists(MON_SYNC_PREFIX, MON_SYNC_IN_SYNC_KEY)) {
      this.elector.standaloneVictory(nowMs);
      return;
    }
    for (let r = 0; r < this.monCount(); r++) {
      if (r !== this.rank) this.sendPeer(r, { kind: 'probe', m: this.probeMessage(ProbeOp.PROBE) });
    }
    this.probeDeadlineMs = nowMs + this.config.probeTimeoutMs;
  }

  private startElection(nowMs: number): void {
    if (this._state === 'synchronizing' || this._state === 'shutdown') return;
    this.leaveRoles();
    if (this._state !== 'electing') this.setState('electing');
    this.elector.start(nowMs);
  }

  // --------------------------------------------------------------------------------------------
  // Probing

  private probeMessage(op: number): ProbeMessage {
    const inQuorum = this._state === 'leader' || this._state === 'peon';
    return {
      fsid: this.monmap.fsid,
      op,
      name: this.monmap.ranks[this.rank] ?? '',
      quorum: inQuorum ? [...this._quorum] : [],
      leader: inQuorum ? this._leader : -1,
      monmapBl: Buffer.alloc(0),
      paxosFirstVersion: this.paxos.firstCommitted,
      paxosLastVersion: this.paxos.lastCommitted,
      hasEverJoined: this.hasEverJoined,
      requiredFeatures: 0n,
      monRelease: MON_RELEASE_PACIFIC,
    };
  }

  private handleProbe(from: number, m: ProbeMessage, nowMs: number): void {
    if (m.op === ProbeOp.PROBE) {
      this.sendPeer(from, { kind: 'probe', m: this.probeMessage(ProbeOp.REPLY) });
      return;
    }
    if (m.op !== ProbeOp.REPLY || this._state !== 'probing') return;
    const lc = this.paxos.lastCommitted;
    if (this.store.exists(MON_SYNC_PREFIX, MON_SYNC_IN_SYNC_KEY)) {
      // A full sync was interrupted: the store is not consistent; finish it from someone at least as far.
      const floor = this.store.getNumber(MON_SYNC_PREFIX, MON_SYNC_LAST_COMMITTED_FLOOR_KEY);
      if (m.paxosLastVersion >= floor) this.syncStart(from, nowMs);
      return;
    }
    if (m.paxosFirstVersion > 1 && lc < m.paxosFirstVersion) {
      this.log('info', `mon.${from} trimmed past my last_committed ${lc} (its first is ${m.paxosFirstVersion}): sync`);
      this.syncStart(from, nowMs);
      return;
    }
    if (lc + this.config.paxosMaxJoinDriftVersions < m.paxosLastVersion) {
      this.log('info', `mon.${from} is at ${m.paxosLastVersion}, more than ${this.config.paxosMaxJoinDriftVersions} past my ${lc}: sync`);
      this.syncStart(from, nowMs);
      return;
    }
    if (m.quorum.length > 0) {
      // A quorum exists without us: call an election so it takes us in.
      this.startElection(nowMs);
      return;
    }
    this.outsideQuorum.add(from);
    if (this.outsideQuorum.size > Math.floor(this.monCount() / 2)) this.startElection(nowMs);
  }

  // --------------------------------------------------------------------------------------------
  // Elections

  private electionMessage(op: number, epoch: number, quorum: number[]): ElectionMessage {
    return {
      fsid: this.monmap.fsid,
      op,
      epoch,
      monmapBl: Buffer.alloc(0),
      quorum,
      quorumFeatures: 0n,
      monFeatures: 0n,
      monRelease: MON_RELEASE_PACIFIC,
      sharingBl: Buffer.alloc(0),
      scoringBl: Buffer.alloc(0),
      strategy: 1,
      metadata: new Map(),
    };
  }

  private handleElection(from: number, m: ElectionMessage, nowMs: number): void {
    // A store mid-copy (or left half copied by a crash) must not vote.
    if (this._state === 'synchronizing' || this.store.exists(MON_SYNC_PREFIX, MON_SYNC_IN_SYNC_KEY)) return;
    switch (m.op) {
      case ElectionOp.PROPOSE: return this.elector.receivePropose(from, m.epoch, nowMs);
      case ElectionOp.ACK: return this.elector.receiveAck(from, m.epoch, nowMs);
      case ElectionOp.VICTORY: {
        this.elector.receiveVictory(from, m.epoch, m.quorum, nowMs);
        return;
      }
      default:
        this.log('debug', `election op ${m.op} from mon.${from} ignored`);
    }
  }

  // --------------------------------------------------------------------------------------------
  // Paxos dispatch

  private handlePaxos(from: number, m: PaxosMessage, nowMs: number): void {
    if (this._state !== 'leader' && this._state !== 'peon') return;
    if (m.epoch > this.elector.epoch) {
      this.bootstrap(`paxos message from epoch ${m.epoch} past mine ${this.elector.epoch}`, nowMs);
      return;
    }
    if (m.epoch !== this.elector.epoch || !this._quorum.includes(from)) return;
    if (this._state === 'leader') {
      switch (m.op) {
        case PaxosOp.LAST: return this.paxos.handleLast(from, m, nowMs);
        case PaxosOp.ACCEPT: return this.paxos.handleAccept(from, m, nowMs);
        case PaxosOp.LEASE_ACK: return this.paxos.handleLeaseAck(from, m, nowMs);
      }
    } else if (from === this._leader) {
      switch (m.op) {
        case PaxosOp.COLLECT: return this.paxos.handleCollect(from, m, nowMs);
        case PaxosOp.BEGIN: return this.paxos.handleBegin(from, m, nowMs);
        case PaxosOp.COMMIT: return this.paxos.handleCommit(from, m, nowMs);
        case PaxosOp.LEASE: return this.paxos.handleLease(from, m, nowMs);
      }
    }
  }

  // --------------------------------------------------------------------------------------------
  // Sync (a full copy of the store, then the Paxos versions committed while it was copied)

  private syncMessage(op: number, fields: Partial<SyncMessage>): SyncMessage {
    return { op, cookie: 0, lastCommitted: 0, lastKey: ['', ''], chunkBl: Buffer.alloc(0), replyTo: null, ...fields };
  }

  private syncStart(provider: number, nowMs: number): void {
    this.elector.cancel();
    this.leaveRoles();
    const floor = Math.max(this.store.getNumber(MON_SYNC_PREFIX, MON_SYNC_LAST_COMMITTED_FLOOR_KEY), this.paxos.lastCommitted);
    const tx = new MonStoreTx();
    // The sync erases the monmap (and mkfs's): keep the latest under mon_sync/latest_monmap, where a
    // restart after a crash mid-sync finds it (Ceph's sync_start backup, read by obtain_monmap).
    const monmapLast = this.store.getNumber('monmap', 'last_committed');
    const latestMonmap = (monmapLast > 0 ? this.store.get('monmap', String(monmapLast)) : undefined) ?? this.store.get('mkfs', 'monmap')
      ?? this.store.get(MON_SYNC_PREFIX, MON_SYNC_LATEST_MONMAP_KEY);
    if (latestMonmap) tx.put(MON_SYNC_PREFIX, MON_SYNC_LATEST_MONMAP_KEY, latestMonmap);
    for (const prefix of this.store.prefixNames()) {
      if (prefix === MONITOR_PREFIX || prefix === MON_SYNC_PREFIX) continue;
      for (const key of this.store.keys(prefix)) {
        if (prefix === PAXOS_PREFIX && (key === 'accepted_pn' || key === 'last_pn')) continue;
        tx.erase(prefix, key);
      }
    }
    tx.putNumber(MON_SYNC_PREFIX, MON_SYNC_IN_SYNC_KEY, 1);
    tx.putNumber(MON_SYNC_PREFIX, MON_SYNC_LAST_COMMITTED_FLOOR_KEY, floor);
    this.write(tx);
    this.paxos.init();
    this.syncReq = { provider, cookie: 0, startVersion: 0, lastKey: ['', ''], tailVersion: 0, deadlineMs: nowMs + this.config.acceptTimeoutMs };
    this.setState('synchronizing');
    this.log('info', `sync from mon.${provider} (floor ${floor})`);
    this.sendPeer(provider, { kind: 'sync', m: this.syncMessage(SyncOp.GET_COOKIE_FULL, {}) });
  }

  private handleSync(from: number, m: SyncMessage, nowMs: number): void {
    switch (m.op) {
      case SyncOp.GET_COOKIE_FULL:
      case SyncOp.GET_COOKIE_RECENT:
        return this.provideCookie(from, nowMs);
      case SyncOp.GET_CHUNK:
        return this.provideChunk(from, m, nowMs);
    }
    const req = this.syncReq;
    if (this._state !== 'synchronizing' || !req || from !== req.provider) return;
    switch (m.op) {
      case SyncOp.COOKIE:
        if (req.cookie !== 0) return;
        req.cookie = m.cookie;
        req.startVersion = m.lastCommitted;
        req.tailVersion = m.lastCommitted;
        req.deadlineMs = nowMs + this.config.acceptTimeoutMs;
        this.requestChunk(req);
        return;
      case SyncOp.CHUNK:
      case SyncOp.LAST_CHUNK: {
        if (m.cookie !== req.cookie || req.cookie === 0) return;
        const tx = MonStoreTx.decode(m.chunkBl, 'sync chunk');
        // Chunks are addressed by position, so a duplicate or a late reply to an older request is
        // dropped and no chunk is ever skipped.
        if (!this.chunkContinues(req, m, tx)) return;
        this.write(tx);
        req.lastKey = [m.lastKey[0], m.lastKey[1]];
        req.tailVersion = m.lastCommitted;
        req.deadlineMs = nowMs + this.config.acceptTimeoutMs;
        if (m.op === SyncOp.CHUNK) this.requestChunk(req);
        else this.syncFinish(m.lastCommitted, nowMs);
        return;
      }
      case SyncOp.NO_COOKIE:
        this.bootstrap(`mon.${from} has no sync for us`, nowMs);
        return;
    }
  }

  private provideCookie(from: number, nowMs: number): void {
    if (this._state === 'synchronizing' || this.store.exists(MON_SYNC_PREFIX, MON_SYNC_IN_SYNC_KEY)) {
      this.sendPeer(from, { kind: 'sync', m: this.syncMessage(SyncOp.NO_COOKIE, {}) });
      return;
    }
    const lc = this.paxos.lastCommitted;
    const entries: Array<[string, string, Buffer]> = [];
    for (const prefix of this.store.prefixNames()) {
      if (prefix === MONITOR_PREFIX || prefix === MON_SYNC_PREFIX) continue;
      for (const key of this.store.keys(prefix)) {
        if (prefix === PAXOS_PREFIX) {
          if (PAXOS_LOCAL_KEYS.has(key)) continue;
          const v = Number(key);
          if (Number.isInteger(v) && String(v) === key && v > lc) continue; // an uncommitted value
        }
        entries.push([prefix, key, this.store.get(prefix, key)!]);
      }
    }
    while (this.providers.size >= SYNC_PROVIDERS_MAX) this.providers.delete(this.providers.keys().next().value!);
    const cookie = this.rank * 2 ** 32 + this.nextCookie++;
    this.providers.set(cookie, { to: from, cookie, entries, deadlineMs: nowMs + 2 * this.config.acceptTimeoutMs });
    this.sendPeer(from, { kind: 'sync', m: this.syncMessage(SyncOp.COOKIE, { cookie, lastCommitted: lc }) });
  }

  private requestChunk(req: SyncRequester): void {
    this.sendPeer(req.provider, {
      kind: 'sync',
      m: this.syncMessage(SyncOp.GET_CHUNK, { cookie: req.cookie, lastKey: [req.lastKey[0], req.lastKey[1]], lastCommitted: req.tailVersion }),
    });
  }

  /**
   * Does this chunk start exactly where we are? A snapshot chunk's first key must come after our last
   * key (a reply to an older request starts at or before it); a tail chunk must follow a finished
   * snapshot and start at our next version; an empty last chunk must find us where it was asked from.
   */
  private chunkContinues(req: SyncRequester, m: SyncMessage, tx: MonStoreTx): boolean {
    const first = tx.ops[0];
    if (!first) return compareKeyPair(m.lastKey, req.lastKey) === 0 && m.lastCommitted === req.tailVersion;
    if (first.type !== MonStoreOpType.PUT) return false;
    if (m.lastCommitted === req.tailVersion) return compareKeyPair([first.prefix, first.key], req.lastKey) > 0;
    return first.prefix === PAXOS_PREFIX && first.key === versionKey(req.tailVersion + 1) &&
      compareKeyPair(m.lastKey, req.lastKey) === 0 && m.lastCommitted === req.tailVersion + tx.ops.length;
  }

  private provideChunk(from: number, m: SyncMessage, nowMs: number): void {
    const p = this.providers.get(m.cookie);
    if (!p || p.to !== from) {
      this.sendPeer(from, { kind: 'sync', m: this.syncMessage(SyncOp.NO_COOKIE, { cookie: m.cookie }) });
      return;
    }
    p.deadlineMs = nowMs + 2 * this.config.acceptTimeoutMs;
    const tx = new MonStoreTx();
    const full = (): boolean => tx.bytes >= this.config.syncChunkBytesMax || tx.keys >= this.config.syncChunkKeysMax;
    const lc = this.paxos.lastCommitted;
    // The first snapshot entry after the requester's last key (entries are in byte order).
    let pos = 0;
    let hi = p.entries.length;
    while (pos < hi) {
      const mid = (pos + hi) >>> 1;
      const e = p.entries[mid]!;
      if (compareKeyPair([e[0], e[1]], m.lastKey) <= 0) pos = mid + 1;
      else hi = mid;
    }
    const finalKey: [string, string] = p.entries.length > 0 ? [p.entries[p.entries.length - 1]![0], p.entries[p.entries.length - 1]![1]] : ['', ''];
    let lastKey: [string, string] = [m.lastKey[0], m.lastKey[1]];
    let tail = m.lastCommitted;
    if (pos < p.entries.length) {
      // Snapshot keys only: a chunk never mixes them with tail versions.
      while (pos < p.entries.length && !full()) {
        const [prefix, key, value] = p.entries[pos++]!;
        tx.put(prefix, key, value);
        lastKey = [prefix, key];
      }
    } else {
      // The versions committed since the snapshot, which the requester replays at the end.
      lastKey = finalKey;
      while (tail < lc && !full()) {
        const value = this.store.get(PAXOS_PREFIX, versionKey(tail + 1));
        if (!value) {
          this.providers.delete(p.cookie);
          this.sendPeer(from, { kind: 'sync', m: this.syncMessage(SyncOp.NO_COOKIE, { cookie: m.cookie }) });
          return;
        }
        tail++;
        tx.put(PAXOS_PREFIX, versionKey(tail), value);
      }
    }
    const last = pos === p.entries.length && tail === lc;
    if (last) this.providers.delete(p.cookie);
    this.sendPeer(from, {
      kind: 'sync',
      m: this.syncMessage(last ? SyncOp.LAST_CHUNK : SyncOp.CHUNK, { cookie: p.cookie, lastCommitted: tail, lastKey, chunkBl: tx.encode() }),
    });
  }

  private syncFinish(lastCommitted: number, nowMs: number): void {
    const req = this.syncReq;
    assert(req !== null, 'sync finish without a sync');
    const tx = new MonStoreTx();
    for (let v = req.startVersion + 1; v <= lastCommitted; v++) {
      const value = this.store.get(PAXOS_PREFIX, versionKey(v));
      assert(value !== undefined, `sync: version ${v} missing after the last chunk`);
      tx.append(MonStoreTx.decode(value, `paxos value ${v}`));
    }
    tx.putNumber(PAXOS_PREFIX, 'last_committed', lastCommitted);
    tx.erase(MON_SYNC_PREFIX, MON_SYNC_IN_SYNC_KEY);
    tx.erase(MON_SYNC_PREFIX, MON_SYNC_LAST_COMMITTED_FLOOR_KEY);
    this.write(tx);
    this.syncReq = null;
    this.paxos.init();
    this.log('info', `sync finished at version ${lastCommitted}`);
    this.event({ kind: 'synced' });
    this.bootstrap('sync finished', nowMs);
  }
}
