// Ceph's classic election (src/mon/ElectionLogic.cc, strategy CLASSIC): the lowest rank that a majority
// of the monmap acknowledges becomes leader. The election epoch is odd while an election runs and even
// while a quorum stands; it is persisted before any message that depends on it leaves this monitor.
//
// Pure: the host (mon/core/quorum.ts) persists, sends and changes the monitor's state; time comes in as
// an argument. Rules, each with its reason:
//  - start(): bump to the next odd epoch (init() first turns a persisted odd epoch into the even one
//    after it, so every retry uses a fresh epoch) and propose ourselves to every other rank.
//  - propose from a higher epoch: adopt that epoch (we missed an election) and then judge it.
//  - propose from an older epoch: ignored, unless we sit in a stable quorum that the proposer is not
//    in: then it just started, and a new election lets it join.
//  - same epoch: a lower rank than ours wins over us, so we ack (defer) unless we already acked an
//    even lower rank; a higher rank loses to us, so we start our own election if we are not running one.
//  - ack: counted while we are electing ourselves; everyone acking ends the election at once.
//  - timeout: a majority of acks makes us leader; otherwise the one we deferred to never won: retry.
//  - victory: the sender's quorum and epoch (even) become ours. A victory that does not follow our own
//    election epoch means we missed something: adopt its epoch and start over.

import { assert } from '../../common/errors.js';
import { ElectionOp } from './types.js';

export interface ElectorHost {
  readonly rank: number;
  /** Ranks in the monmap (paxos_size). */
  monCount(): number;
  readEpoch(): number;
  persistEpoch(epoch: number): void;
  sendElection(to: number, op: number, epoch: number, quorum: number[]): void;
  /** Is `rank` in the quorum we are currently part of (only meaningful while the epoch is even). */
  isCurrentMember(rank: number): boolean;
  everJoined(): boolean;
  /** Our epoch moved (Ceph's notify_bump_epoch): the monitor joins the election. */
  joinElection(nowMs: number): void;
  /** Ceph's trigger_new_election: the monitor calls an election of its own. */
  triggerNewElection(nowMs: number): void;
  /** We never joined a quorum and the election failed: back to probing. */
  resetElection(nowMs: number): void;
  won(epoch: number, quorum: number[], nowMs: number): void;
  lost(epoch: number, quorum: number[], leader: number, nowMs: number): void;
  log(level: 'debug' | 'info' | 'warn', text: string): void;
}

export class Elector {
  epoch = 0;
  electingMe = false;
  leaderAcked = -1;
  readonly ackedMe = new Set<number>();
  /** When the current election period ends (0: no election running). */
  deadlineMs = 0;

  constructor(private readonly host: ElectorHost, private readonly timeoutMs: number) {}

  /** Ceph's init(): read the persisted epoch; an odd one means we died mid-election: step past it. */
  init(): void {
    this.epoch = this.host.readEpoch();
    if (this.epoch === 0) {
      this.epoch = 1;
    } else if (this.epoch % 2 === 1) {
      this.epoch++;
      this.host.persistEpoch(this.epoch);
    }
  }

  private bumpEpoch(e: number, nowMs: number): void {
    assert(e >= this.epoch, `election epoch goes back from ${this.epoch} to ${e}`);
    this.epoch = e;
    this.host.persistEpoch(e);
    this.electingMe = false;
    this.leaderAcked = -1; // an ack holds for one epoch
    this.ackedMe.clear();
    this.deadlineMs = nowMs + this.timeoutMs;
    this.host.joinElection(nowMs);
  }

  /** Stop any running election (the monitor left electing). */
  cancel(): void {
    this.deadlineMs = 0;
    this.electingMe = false;
    this.leaderAcked = -1;
    this.ackedMe.clear();
  }

  start(nowMs: number): void {
    this.ackedMe.clear();
    this.init();
    if (this.epoch % 2 === 0) this.bumpEpoch(this.epoch + 1, nowMs);
    this.ackedMe.add(this.host.rank);
    this.leaderAcked = -1;
    this.electingMe = true;
    for (let r = 0; r < this.host.monCount(); r++) {
      if (r !== this.host.rank) this.host.sendElection(r, ElectionOp.PROPOSE, this.epoch, []);
    }
    this.deadlineMs = nowMs + this.timeoutMs;
    this.host.log('debug', `election epoch ${this.epoch}: proposing myself (rank ${this.host.rank})`);
  }

  /** A monmap of one: win alone (Ceph's declare_standalone_victory). */
  standaloneVictory(nowMs: number): void {
    assert(this.host.monCount() === 1 && this.host.rank === 0, 'standalone victory needs a monmap of one');
    this.init();
    this.epoch++;
    if (this.epoch % 2 === 1) this.epoch++;
    this.host.persistEpoch(this.epoch);
    this.cancel();
    this.host.won(this.epoch, [this.host.rank], nowMs);
  }

  private defer(who: number, nowMs: number): void {
    assert(who < this.host.rank, `defer to rank ${who} from rank ${this.host.rank}`);
    if (this.electingMe) {
      this.ackedMe.clear();
      this.electingMe = false;
    }
    this.leaderAcked = who;
    this.host.sendElection(who, ElectionOp.ACK, this.epoch, []);
    // The one we acked ends its election a full period after it started it, and its victory still has
    // to reach us: wait two periods before we give up on it.
    this.deadlineMs = nowMs + 2 * this.timeoutMs;
  }

  receivePropose(from: number, mepoch: number, nowMs: number): void {
    if (from === this.host.rank) return;
    if (mepoch % 2 === 0) {
      this.host.log('debug', `ignoring propose from ${from} with even epoch ${mepoch}`);
      return;
    }
    if (mepoch > this.epoch) {
      this.bumpEpoch(mepoch, nowMs);
    } else if (mepoch < this.epoch) {
      if (this.epoch % 2 === 0 && !this.host.isCurrentMember(from)) {
        this.host.log('debug', `propose from ${from} at old epoch ${mepoch}: it just started; new election`);
        this.host.triggerNewElection(nowMs);
      }
      return;
    }
    if (this.host.rank < from) {
      // We would win over them.
      if (this.leaderAcked >= 0) {
        assert(this.leaderAcked < from, `acked ${this.leaderAcked} yet ${from} would win`);
      } else if (!this.electingMe) {
        this.host.triggerNewElection(nowMs);
      }
    } else if (this.leaderAcked < 0 || this.leaderAcked >= from) {
      this.defer(from, nowMs);
    }
  }

  receiveAck(from: number, mepoch: number, nowMs: number): void {
    if (mepoch % 2 === 0) return;
    if (mepoch > this.epoch) {
      this.bumpEpoch(mepoch, nowMs);
      this.host.triggerNewElection(nowMs);
      return;
    }
    if (mepoch < this.epoch) return; // an ack for an election long over
    if (this.electingMe) {
      this.ackedMe.add(from);
      if (this.ackedMe.size === this.host.monCount()) this.declareVictory(nowMs);
    }
  }

  /** Returns true when the victory stands and we became a peon. */
  receiveVictory(from: number, mepoch: number, quorum: number[], nowMs: number): boolean {
    if (mepoch % 2 === 1 || mepoch <= this.epoch) return false; // stale or duplicated
    if (from > this.host.rank || !quorum.includes(this.host.rank) || !quorum.includes(from)) {
      // In the classic strategy a higher rank cannot beat us unless we never acked it: start over.
      this.bumpEpoch(mepoch, nowMs);
      this.host.triggerNewElection(nowMs);
      return false;
    }
    this.leaderAcked = -1;
    this.electingMe = false;
    if (mepoch !== this.epoch + 1) {
      this.host.log('debug', `victory at epoch ${mepoch} but mine is ${this.epoch}: I missed it; restarting`);
      this.bumpEpoch(mepoch, nowMs);
      this.host.triggerNewElection(nowMs);
      return false;
    }
    this.epoch = mepoch;
    this.host.persistEpoch(mepoch);
    this.ackedMe.clear();
    this.deadlineMs = 0;
    this.host.lost(mepoch, [...quorum].sort((a, b) => a - b), from, nowMs);
    return true;
  }

  private declareVictory(nowMs: number): void {
    assert(this.epoch % 2 === 1, `victory at even epoch ${this.epoch}`);
    const quorum = [...this.ackedMe].sort((a, b) => a - b);
    this.ackedMe.clear();
    this.electingMe = false;
    this.leaderAcked = -1;
    this.deadlineMs = 0;
    this.epoch++;
    this.host.persistEpoch(this.epoch);
    for (const r of quorum) if (r !== this.host.rank) this.host.sendElection(r, ElectionOp.VICTORY, this.epoch, quorum);
    this.host.won(this.epoch, quorum, nowMs);
  }

  /** The host calls this from tick while electing. */
  tick(nowMs: number): void {
    if (this.deadlineMs === 0 || nowMs < this.deadlineMs) return;
    this.deadlineMs = 0;
    if (this.electingMe && this.ackedMe.size > Math.floor(this.host.monCount() / 2)) {
      this.declareVictory(nowMs);
    } else if (this.host.everJoined()) {
      this.host.triggerNewElection(nowMs);
    } else {
      this.host.resetElection(nowMs);
    }
  }
}
