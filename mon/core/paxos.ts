// Ceph's Paxos (src/mon/Paxos.cc) as a pure state machine: one value per version, each value an encoded
// MonStoreTx that every monitor applies when that version commits. The leader of an election epoch first
// recovers (collect / last: learn every quorum member's promise, catch laggards up, re-propose a value
// some member accepted but nobody is known to have committed), then runs one version at a time
// (begin / accept / commit, all of the quorum must accept) and grants read leases to the peons.
//
// Store keys, prefix "paxos" (as Ceph): first_committed, last_committed, accepted_pn, last_pn,
// pending_v, pending_pn, and "<v>" for each version v kept, holding that version's value. Committing v
// writes last_committed = v and the value's own operations in ONE transaction, so a crash never leaves
// a version half applied. Every write goes through host.write, which the shell persists before it sends
// the messages produced in the same step: a promise (accepted_pn) or an accepted value is durable before
// the leader can count it.
//
// See docs/monitor.md for the walk-throughs and the reason for each step.

import { assert } from '../../common/errors.js';
import type { UTime } from '../../common/osdmap/index.js';
import { MonStoreTx, versionKey, type MonStoreRead } from './store.js';
import { PaxosOp, type PaxosMessage, type QuorumConfig } from './types.js';

export const PAXOS_PREFIX = 'paxos';
/** Proposal numbers: (round * PN_ROUND_STRIDE) + rank, so two monitors never share one. */
export const PN_ROUND_STRIDE = 100;

export type PaxosState = 'recovering' | 'active' | 'updating' | 'updating-previous';

export interface PaxosHost {
  readonly rank: number;
  readonly config: QuorumConfig;
  readonly store: MonStoreRead;
  currentEpoch(): number;
  quorum(): readonly number[];
  isLeader(): boolean;
  /** Apply to the store now and add to this step's persist transaction. */
  write(tx: MonStoreTx): void;
  sendPaxos(to: number, m: PaxosMessage): void;
  committed(v: number): void;
  /** Ceph's mon->bootstrap(): drop out of the quorum and probe again. */
  bootstrap(reason: string, nowMs: number): void;
  readable(): void;
  writeable(): void;
  log(level: 'debug' | 'info' | 'warn', text: string): void;
}

const EMPTY = Buffer.alloc(0);

export function utimeFromMs(ms: number): UTime {
  const sec = Math.floor(ms / 1000);
  return { sec, nsec: (ms - sec * 1000) * 1_000_000 };
}
export function msFromUtime(t: UTime): number {
  return t.sec * 1000 + Math.floor(t.nsec / 1_000_000);
}

export function paxosMessage(op: number, epoch: number, fields: Partial<PaxosMessage>): PaxosMessage {
  return {
    epoch,
    op,
    firstCommitted: 0,
    lastCommitted: 0,
    pnFrom: 0,
    pn: 0,
    uncommittedPn: 0,
    leaseTimestamp: { sec: 0, nsec: 0 },
    sentTimestamp: { sec: 0, nsec: 0 },
    latestVersion: 0,
    latestValue: EMPTY,
    values: new Map(),
    featureMap: EMPTY,
    ...fields,
  };
}

export class Paxos {
  state: PaxosState = 'recovering';
  firstCommitted = 0;
  lastCommitted = 0;
  acceptedPn = 0;
  lastPn = 0;

  // Leader, recovery.
  private uncommittedV = 0;
  private uncommittedPn = 0;
  private uncommittedValue: Buffer | null = null;
  private readonly lastFrom = new Set<number>();
  private readonly peerLastCommitted = new Map<number, number>();
  // Leader, a round in flight.
  private newValue: Buffer | null = null;
  private readonly accepted = new Set<number>();
  // Leases.
  leaseExpireMs = 0;
  private readonly leaseAcked = new Set<number>();
  private wasReadable = false;

  // Deadlines (0: none).
  private collectDeadlineMs = 0;
  private acceptDeadlineMs = 0;
  private leaseRenewMs = 0;
  private leaseAckDeadlineMs = 0;
  private leaseTimeoutMs = 0; // peon: no lease from the leader by then

  constructor(private readonly host: PaxosHost) {}

  /** Read our committed range and promises from the store (start, after a sync). */
  init(): void {
    const s = this.host.store;
    this.firstCommitted = s.getNumber(PAXOS_PREFIX, 'first_committed');
    this.lastCommitted = s.getNumber(PAXOS_PREFIX, 'last_committed');
    this.acceptedPn = s.getNumber(PAXOS_PREFIX, 'accepted_pn');
    this.lastPn = Math.max(this.lastPn, s.getNumber(PAXOS_PREFIX, 'last_pn'));
    assert(this.firstCommitted <= this.lastCommitted || this.lastCommitted === 0,
      `paxos first_committed ${this.firstCommitted} > last_committed ${this.lastCommitted}`);
  }

  /** Leave any role: forget rounds, leases and deadlines (not the stored state). */
  reset(): void {
    this.state = 'recovering';
    this.uncommittedV = 0;
    this.uncommittedPn = 0;
    this.uncommittedValue = null;
    this.lastFrom.clear();
    this.peerLastCommitted.clear();
    this.newValue = null;
    this.accepted.clear();
    this.leaseExpireMs = 0;
    this.leaseAcked.clear();
    this.wasReadable = false;
    this.collectDeadlineMs = 0;
    this.acceptDeadlineMs = 0;
    this.leaseRenewMs = 0;
    this.leaseAckDeadlineMs = 0;
    this.leaseTimeoutMs = 0;
  }

  private msg(op: number, fields: Partial<PaxosMessage>): PaxosMessage {
    return paxosMessage(op, this.host.currentEpoch(), fields);
  }
  private peons(): number[] {
    return this.host.quorum().filter((r) => r !== this.host.rank);
  }
  private put(tx: MonStoreTx, key: string, v: number): void {
    tx.putNumber(PAXOS_PREFIX, key, v);
  }

  isReadable(nowMs: number): boolean {
    return (this.state === 'active' || this.state === 'updating' || this.state === 'updating-previous') &&
      this.lastCommitted > 0 && this.leaseExpireMs > nowMs;
  }
  isWriteable(): boolean {
    return this.host.isLeader() && this.state === 'active';
  }

  // ---------------------------------------------------------------------------------------------
  // Leader: recovery

  leaderInit(nowMs: number): void {
    this.reset();
    this.collect(0, nowMs);
  }

  peonInit(nowMs: number): void {
    this.reset();
    // A peon that hears nothing from its leader (no collect, no lease) gives up and probes again.
    this.leaseTimeoutMs = nowMs + this.host.config.leaseAckTimeoutMs;
  }

  /** Ceph's get_new_proposal_number: above gt and anything used before, ending in our rank. */
  private newProposalNumber(gt: number): number {
    this.lastPn = Math.max(this.lastPn, gt);
    this.lastPn = (Math.floor(this.lastPn / PN_ROUND_STRIDE) + 1) * PN_ROUND_STRIDE + this.host.rank;
    return this.lastPn;
  }

  private collect(oldPn: number, nowMs: number): void {
    this.state = 'recovering';
    this.lastFrom.clear();
    this.peerLastCommitted.clear();
    this.uncommittedV = 0;
    this.uncommittedPn = 0;
    this.uncommittedValue = null;
    const s = this.host.store;
    // Our own accepted but uncommitted value, if any, sits at last_committed + 1.
    const pendingV = s.getNumber(PAXOS_PREFIX, 'pending_v');
    const pending = s.get(PAXOS_PREFIX, versionKey(this.lastCommitted + 1));
    if (pendingV === this.lastCommitted + 1 && pending) {
      this.uncommittedV = pendingV;
      this.uncommittedPn = s.getNumber(PAXOS_PREFIX, 'pending_pn');
      this.uncommittedValue = pending;
    }
    this.acceptedPn = this.newProposalNumber(Math.max(this.acceptedPn, oldPn));
    const tx = new MonStoreTx();
    this.put(tx, 'last_pn', this.lastPn);
    this.put(tx, 'accepted_pn', this.acceptedPn);
    this.host.write(tx);
    this.lastFrom.add(this.host.rank);
    this.peerLastCommitted.set(this.host.rank, this.lastCommitted);
    this.host.log('debug', `collect pn ${this.acceptedPn} lc ${this.lastCommitted}`);
    for (const p of this.peons()) {
      this.host.sendPaxos(p, this.msg(PaxosOp.COLLECT, {
        firstCommitted: this.firstCommitted, lastCommitted: this.lastCommitted, pn: this.acceptedPn, pnFrom: this.host.rank,
      }));
    }
    this.collectDeadlineMs = nowMs + this.host.config.acceptTimeoutMs;
    if (this.lastFrom.size === this.host.quorum().length) this.finishCollect(nowMs);
  }

  handleCollect(from: number, m: PaxosMessage, nowMs: number): void {
    this.state = 'recovering';
    this.leaseExpireMs = 0;
    this.wasReadable = false;
    this.leaseTimeoutMs = nowMs + this.host.config.leaseAckTimeoutMs;
    if (m.firstCommitted > this.lastCommitted + 1) {
      this.host.bootstrap(`leader's first_committed ${m.firstCommitted} is past my last_committed ${this.lastCommitted}: must sync`, nowMs);
      return;
    }
    const reply = this.msg(PaxosOp.LAST, { firstCommitted: this.firstCommitted, lastCommitted: this.lastCommitted });
    if (m.pn > this.acceptedPn) {
      // The promise: never accept a proposal numbered below m.pn again. Durable before the reply.
      this.acceptedPn = m.pn;
      const tx = new MonStoreTx();
      this.put(tx, 'accepted_pn', this.acceptedPn);
      this.host.write(tx);
    }
    reply.pn = this.acceptedPn;
    reply.pnFrom = m.pnFrom;
    if (m.lastCommitted < this.lastCommitted) this.shareState(reply, m.lastCommitted);
    const s = this.host.store;
    const pendingV = s.getNumber(PAXOS_PREFIX, 'pending_v');
    const pending = s.get(PAXOS_PREFIX, versionKey(this.lastCommitted + 1));
    if (m.lastCommitted <= this.lastCommitted && pendingV === this.lastCommitted + 1 && pending) {
      reply.values.set(this.lastCommitted + 1, pending);
      reply.uncommittedPn = s.getNumber(PAXOS_PREFIX, 'pending_pn');
    }
    this.host.sendPaxos(from, reply);
  }

  /** Put every committed value after peerLastCommitted that we still hold into m. */
  private shareState(m: PaxosMessage, peerLastCommitted: number): void {
    for (let v = Math.max(peerLastCommitted + 1, this.firstCommitted); v <= this.lastCommitted; v++) {
      const value = this.host.store.get(PAXOS_PREFIX, versionKey(v));
      if (value) m.values.set(v, value);
    }
    m.lastCommitted = this.lastCommitted;
    m.firstCommitted = this.firstCommitted;
  }

  /** Commit the values in m that extend our log contiguously up to m.lastCommitted. */
  private storeState(m: PaxosMessage): boolean {
    const versions = [...m.values.keys()].filter((v) => v > this.lastCommitted && v <= m.lastCommitted).sort((a, b) => a - b);
    if (versions.length === 0 || versions[0] !== this.lastCommitted + 1) return false;
    const tx = new MonStoreTx();
    let lc = this.lastCommitted;
    const done: number[] = [];
    for (const v of versions) {
      if (v !== lc + 1) break;
      const value = m.values.get(v)!;
      tx.put(PAXOS_PREFIX, versionKey(v), value);
      tx.append(MonStoreTx.decode(value, `paxos value ${v}`));
      lc = v;
      done.push(v);
    }
    this.put(tx, 'last_committed', lc);
    this.host.write(tx);
    this.lastCommitted = lc;
    this.firstCommitted = this.host.store.getNumber(PAXOS_PREFIX, 'first_committed');
    for (const v of done) this.host.committed(v);
    if (this.uncommittedV !== 0 && this.uncommittedV <= this.lastCommitted) {
      this.uncommittedV = 0;
      this.uncommittedPn = 0;
      this.uncommittedValue = null;
    }
    return true;
  }

  handleLast(from: number, m: PaxosMessage, nowMs: number): void {
    if (this.state !== 'recovering') return;
    this.peerLastCommitted.set(from, m.lastCommitted);
    if (m.firstCommitted > this.lastCommitted + 1) {
      this.host.bootstrap(`peon ${from} first_committed ${m.firstCommitted} is past my last_committed ${this.lastCommitted}: I must sync`, nowMs);
      return;
    }
    this.storeState(m);
    for (const [peer, plc] of this.peerLastCommitted) {
      if (plc + 1 < this.firstCommitted && this.firstCommitted > 1) {
        this.host.bootstrap(`peon ${peer} last_committed ${plc} is before my first_committed ${this.firstCommitted}: it must sync`, nowMs);
        return;
      }
    }
    if (m.pn > this.acceptedPn) {
      // Someone promised a higher number: start over above it.
      this.collect(m.pn, nowMs);
      return;
    }
    if (m.pn < this.acceptedPn) return; // a reply to an older collect
    this.lastFrom.add(from);
    if (m.uncommittedPn > 0) {
      const v = m.lastCommitted + 1;
      const value = m.values.get(v);
      if (value && m.uncommittedPn >= this.uncommittedPn && m.lastCommitted >= this.lastCommitted && v >= this.uncommittedV) {
        this.uncommittedV = v;
        this.uncommittedPn = m.uncommittedPn;
        this.uncommittedValue = value;
      }
    }
    if (this.host.quorum().every((r) => this.lastFrom.has(r))) this.finishCollect(nowMs);
  }

  private finishCollect(nowMs: number): void {
    this.collectDeadlineMs = 0;
    // Bring lagging peons up to our last_committed before anything new.
    for (const p of this.peons()) {
      const plc = this.peerLastCommitted.get(p) ?? 0;
      if (plc < this.lastCommitted) {
        const c = this.msg(PaxosOp.COMMIT, { pn: this.acceptedPn });
        this.shareState(c, plc);
        this.host.sendPaxos(p, c);
      }
    }
    if (this.uncommittedV === this.lastCommitted + 1 && this.uncommittedValue) {
      this.host.log('info', `recovering uncommitted version ${this.uncommittedV} (pn ${this.uncommittedPn})`);
      this.state = 'updating-previous';
      this.begin(this.uncommittedValue, nowMs);
    } else {
      this.state = 'active';
      this.extendLease(nowMs);
      this.host.writeable();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Leader: a round

  /** Leader, active: propose a new value (the quorum adds its own bookkeeping ops first). */
  propose(value: Buffer, nowMs: number): void {
    assert(this.isWriteable(), 'paxos propose while not writeable');
    const c = this.host.config;
    const extra = new MonStoreTx();
    // The first version also records first_committed = 1 (as Ceph's begin does).
    if (this.lastCommitted === 0) this.put(extra, 'first_committed', 1);
    // Trimming travels inside a value, so every monitor trims identically at the same version.
    const v = this.lastCommitted + 1;
    // Trim in batches (Ceph's paxos_trim_min, half of paxos_trim_max): most values go out as given.
    const trimMinVersions = Math.max(1, Math.floor(c.paxosTrimMaxVersions / 2));
    if (this.firstCommitted > 0 && v - this.firstCommitted >= c.paxosMinVersions + trimMinVersions) {
      const end = Math.min(v - c.paxosMinVersions, this.firstCommitted + c.paxosTrimMaxVersions);
      for (let t = this.firstCommitted; t < end; t++) extra.erase(PAXOS_PREFIX, versionKey(t));
      this.put(extra, 'first_committed', end);
    }
    let bytes = value;
    if (!extra.empty) {
      const tx = MonStoreTx.decode(value, 'proposed value');
      bytes = new MonStoreTx().append(extra).append(tx).encode();
    }
    this.state = 'updating';
    this.begin(bytes, nowMs);
  }

  private begin(value: Buffer, nowMs: number): void {
    assert(this.host.isLeader(), 'begin on a peon');
    const v = this.lastCommitted + 1;
    this.newValue = value;
    this.accepted.clear();
    this.accepted.add(this.host.rank);
    const tx = new MonStoreTx();
    tx.put(PAXOS_PREFIX, versionKey(v), value);
    this.put(tx, 'pending_v', v);
    this.put(tx, 'pending_pn', this.acceptedPn);
    this.host.write(tx);
    if (this.host.quorum().length === 1) {
      this.commit(nowMs);
      return;
    }
    for (const p of this.peons()) {
      this.host.sendPaxos(p, this.msg(PaxosOp.BEGIN, {
        pn: this.acceptedPn, lastCommitted: this.lastCommitted, firstCommitted: this.firstCommitted, values: new Map([[v, value]]),
      }));
    }
    this.acceptDeadlineMs = nowMs + this.host.config.acceptTimeoutMs;
  }

  handleBegin(from: number, m: PaxosMessage, nowMs: number): void {
    if (m.pn < this.acceptedPn) {
      this.host.log('debug', `begin pn ${m.pn} from ${from} below my promise ${this.acceptedPn}: ignored`);
      return;
    }
    const v = m.lastCommitted + 1;
    const value = m.values.get(v);
    if (m.lastCommitted !== this.lastCommitted || !value) {
      this.host.log('debug', `begin for version ${v} but my last_committed is ${this.lastCommitted}: ignored`);
      return;
    }
    const tx = new MonStoreTx();
    if (m.pn > this.acceptedPn) {
      this.acceptedPn = m.pn;
      this.put(tx, 'accepted_pn', m.pn);
    }
    this.state = 'updating';
    tx.put(PAXOS_PREFIX, versionKey(v), value);
    this.put(tx, 'pending_v', v);
    this.put(tx, 'pending_pn', this.acceptedPn);
    this.host.write(tx);
    this.host.sendPaxos(from, this.msg(PaxosOp.ACCEPT, { pn: this.acceptedPn, lastCommitted: this.lastCommitted, firstCommitted: this.firstCommitted }));
  }

  handleAccept(from: number, m: PaxosMessage, nowMs: number): void {
    if (this.state !== 'updating' && this.state !== 'updating-previous') return;
    if (m.pn !== this.acceptedPn || m.lastCommitted !== this.lastCommitted) return; // an older round
    this.accepted.add(from);
    if (this.host.quorum().every((r) => this.accepted.has(r))) this.commit(nowMs);
  }

  private commit(nowMs: number): void {
    const value = this.newValue;
    assert(value !== null, 'commit without a value');
    const v = this.lastCommitted + 1;
    const tx = new MonStoreTx();
    this.put(tx, 'last_committed', v);
    tx.append(MonStoreTx.decode(value, `paxos value ${v}`));
    this.host.write(tx);
    this.lastCommitted = v;
    this.firstCommitted = this.host.store.getNumber(PAXOS_PREFIX, 'first_committed');
    this.host.committed(v);
    for (const p of this.peons()) {
      this.host.sendPaxos(p, this.msg(PaxosOp.COMMIT, {
        pn: this.acceptedPn, lastCommitted: v, firstCommitted: this.firstCommitted, values: new Map([[v, value]]),
      }));
    }
    this.newValue = null;
    this.accepted.clear();
    this.acceptDeadlineMs = 0;
    this.uncommittedV = 0;
    this.uncommittedPn = 0;
    this.uncommittedValue = null;
    const wasPrevious = this.state === 'updating-previous';
    this.state = 'active';
    if (wasPrevious || this.leaseExpireMs <= nowMs) this.extendLease(nowMs);
    this.host.writeable();
  }

  handleCommit(from: number, m: PaxosMessage, _nowMs: number): void {
    if (!this.storeState(m) && m.lastCommitted > this.lastCommitted) {
      this.host.log('debug', `commit up to ${m.lastCommitted} from ${from} does not extend my ${this.lastCommitted}`);
    }
    if (this.state === 'updating' && this.lastCommitted >= this.host.store.getNumber(PAXOS_PREFIX, 'pending_v')) this.state = 'active';
  }

  // ---------------------------------------------------------------------------------------------
  // Leases

  private extendLease(nowMs: number): void {
    const c = this.host.config;
    this.leaseExpireMs = nowMs + c.leaseMs;
    this.leaseAcked.clear();
    this.leaseAcked.add(this.host.rank);
    for (const p of this.peons()) {
      this.host.sendPaxos(p, this.msg(PaxosOp.LEASE, {
        lastCommitted: this.lastCommitted, firstCommitted: this.firstCommitted, leaseTimestamp: utimeFromMs(this.leaseExpireMs),
      }));
    }
    if (this.leaseAckDeadlineMs === 0 && this.peons().length > 0) this.leaseAckDeadlineMs = nowMs + c.leaseAckTimeoutMs;
    this.leaseRenewMs = nowMs + c.leaseRenewIntervalMs;
    this.noteReadable(nowMs);
  }

  private noteReadable(nowMs: number): void {
    const r = this.isReadable(nowMs);
    if (r && !this.wasReadable) this.host.readable();
    this.wasReadable = r;
  }

  handleLease(from: number, m: PaxosMessage, nowMs: number): void {
    if (m.lastCommitted !== this.lastCommitted) {
      this.host.log('debug', `lease at ${m.lastCommitted} from ${from} but I am at ${this.lastCommitted}: ignored`);
      return;
    }
    this.leaseExpireMs = Math.max(this.leaseExpireMs, msFromUtime(m.leaseTimestamp));
    if (this.state === 'recovering' || this.state === 'updating') this.state = 'active';
    this.host.sendPaxos(from, this.msg(PaxosOp.LEASE_ACK, {
      firstCommitted: this.firstCommitted, lastCommitted: this.lastCommitted, leaseTimestamp: m.leaseTimestamp,
    }));
    this.leaseTimeoutMs = nowMs + this.host.config.leaseAckTimeoutMs;
    this.noteReadable(nowMs);
  }

  handleLeaseAck(from: number, _m: PaxosMessage, _nowMs: number): void {
    this.leaseAcked.add(from);
    if (this.host.quorum().every((r) => this.leaseAcked.has(r))) this.leaseAckDeadlineMs = 0;
  }

  // ---------------------------------------------------------------------------------------------

  tick(nowMs: number): void {
    const due = (d: number): boolean => d !== 0 && nowMs >= d;
    if (this.host.isLeader()) {
      if (due(this.collectDeadlineMs)) return this.host.bootstrap('collect timed out', nowMs);
      if (due(this.acceptDeadlineMs)) return this.host.bootstrap('accept timed out', nowMs);
      if (due(this.leaseAckDeadlineMs)) return this.host.bootstrap('lease ack timed out', nowMs);
      if (due(this.leaseRenewMs) && this.state === 'active') this.extendLease(nowMs);
    } else {
      if (due(this.leaseTimeoutMs)) return this.host.bootstrap('lease timed out', nowMs);
    }
    if (this.wasReadable && !this.isReadable(nowMs)) this.wasReadable = false;
  }

  /** For probes and sync: the committed range we hold. */
  range(): { first: number; last: number } {
    return { first: this.firstCommitted, last: this.lastCommitted };
  }
}
