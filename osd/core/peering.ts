// The per-PG peering state machine (Ceph's src/osd/PeeringState.cc and doc/dev/peering.rst), pure:
// maps and peering messages go in, a batch of effects (messages, persistence, up_thru / pg_temp asks,
// recovery work) comes out. See osd/core/peering-api.ts for the contract and docs/peering.md for the
// walk-through and where this differs from Ceph.
//
// Primary, on every new interval: build the prior set from the past intervals (down if a maybe-rw
// interval has no up member) -> GetInfo (query every probe target) -> choose the authoritative info
// (find_best_info) and the acting set it wants (pg_temp if the up primary cannot lead) -> GetLog
// (fetch the authoritative log, merge it, rewinding divergent entries) -> GetMissing (each peer's
// missing set from its log) -> WaitUpThru -> Activate (send each peer its log and missing, or a
// backfill reset) -> all peers answered -> Active: recovery (pull / push), then backfill, then clean.
// Replicas answer queries, merge the primary's log on activation and answer with their info. Strays
// (holding the PG but no longer mapped) notify the primary and delete the PG once told it is clean.
//
// Logs are fetched whole (FULLLOG) while peering: simpler than Ceph's LOG-since-les and never misses a
// divergence point; the log is bounded (pgLogEntriesMax) so the message is too.

import { assert } from '../../common/errors.js';
import type { UTime } from '../../common/osdmap/index.js';
import { emptyHObject, type EVersion, type HObject, type SpgId } from '../../msg/messages/osdop.js';
import {
  cmpHObject, emptyPastIntervals, emptyPgInfo, emptyPgLog, emptyPgMissing, maxHObject, objectKey, PgState,
  pgStateString, type PastIntervals, type PgHistory, type PgInfo, type PgLog, type PgLogEntry, type PgMissing, type PgStateBits,
} from '../../msg/messages/pgtypes.js';
import {
  buildPriorSet, checkNewInterval, clearPastIntervals, clonePastIntervals, addInterval, incompleteSurvivorsBlock, priorSetAffected, sameList, type PriorSet,
} from './pastintervals.js';
import {
  appendEntry, calcTrimTo, claimLog, cloneInfo, cloneLog, evEq, evLt, evMax, logAfter, logsOverlap, mergeLog,
  missingAfter, missingGet, missingGot, procReplicaLog, syncInfo, trimLog, ZERO_VERSION, type LogState, type MissingPosition,
  checkPgLogBounds, defaultPgLogBounds, type PgLogBounds,
} from './pglog.js';
import {
  PgQueryType, type PeeringCore, type PeeringCoreInit, type PeeringEffects, type PeeringMessage, type PgMapView,
  type PgPersistent, type RecoveryTask,
} from './peering-api.js';

/** Messages from epochs this PG has not reached yet wait here (bounded; the oldest go first). */
export const peeringFutureMessagesMax = 1024;

type Phase =
  | 'initial' | 'getInfo' | 'getLog' | 'getMissing' | 'waitUpThru' | 'waitActingChange' | 'activating' | 'active'
  | 'down' | 'incomplete' | 'replica' | 'replicaActive' | 'stray' | 'deleted';

const PEERING_PHASES: ReadonlySet<Phase> = new Set<Phase>(['getInfo', 'getLog', 'getMissing', 'waitUpThru', 'waitActingChange', 'down', 'incomplete']);

/** A peer in acting ∪ up (Ceph's acting_recovery_backfill) as the primary tracks it. */
interface PeerState {
  /** backfillDone: every object copied, the target's acknowledgement of its new info is awaited. */
  mode: 'log' | 'backfill' | 'backfillDone';
  /** What it lacks (log mode). */
  missing: PgMissing;
  /** Its last entry that the authoritative log also holds: activation sends the log after this. */
  common: EVersion;
  /** Backfill mode: it holds every object up to and including this. */
  lastBackfill: HObject;
}

interface InFlight {
  task: RecoveryTask;
  /** Peers a push / delete still waits on. */
  pending: Set<number>;
}

function hasBit(state: number, bit: number): boolean {
  return Math.floor(state / bit) % 2 === 1;
}

/** pg_history_t::merge: take the newer of the fields a map cannot recompute. */
export function mergeHistory(h: PgHistory, o: PgHistory): boolean {
  let changed = false;
  const keys = ['epochCreated', 'epochPoolCreated', 'lastEpochStarted', 'lastIntervalStarted', 'lastEpochClean', 'lastIntervalClean', 'lastEpochSplit', 'lastEpochMarkedFull'] as const;
  for (const k of keys) {
    if (h[k] < o[k]) {
      h[k] = o[k];
      changed = true;
    }
  }
  if (evLt(h.lastScrub, o.lastScrub)) { h.lastScrub = o.lastScrub; h.lastScrubStamp = o.lastScrubStamp; changed = true; }
  if (evLt(h.lastDeepScrub, o.lastDeepScrub)) { h.lastDeepScrub = o.lastDeepScrub; h.lastDeepScrubStamp = o.lastDeepScrubStamp; changed = true; }
  return changed;
}

/**
 * Ceph's find_best_info: among the infos, the one whose log is authoritative. Only infos whose own
 * last_epoch_started reaches the newest les anyone reports (including in history) qualify for the
 * lower bound on last_update; then, among complete infos at or above that bound: newest last_update,
 * then longest tail, then `prefer` (the current primary). -1 if none qualifies (incomplete).
 */
export function findBestInfo(infos: ReadonlyMap<number, PgInfo>, prefer: number): number {
  let maxLes = 0;
  for (const i of infos.values()) {
    maxLes = Math.max(maxLes, i.history.lastEpochStarted, i.lastEpochStarted);
  }
  let minLu: EVersion | undefined;
  for (const i of infos.values()) {
    if (i.lastEpochStarted >= maxLes && (!minLu || evLt(i.lastUpdate, minLu))) minLu = i.lastUpdate;
  }
  if (!minLu) return -1;
  let best = -1;
  let bestInfo: PgInfo | undefined;
  const osds = [...infos.keys()].sort((a, b) => a - b);
  for (const o of osds) {
    const i = infos.get(o)!;
    if (!i.lastBackfill.max) continue;
    if (evLt(i.lastUpdate, minLu)) continue;
    if (!bestInfo) { best = o; bestInfo = i; continue; }
    if (evLt(bestInfo.lastUpdate, i.lastUpdate)) { best = o; bestInfo = i; continue; }
    if (evLt(i.lastUpdate, bestInfo.lastUpdate)) continue;
    if (evLt(i.logTail, bestInfo.logTail)) { best = o; bestInfo = i; continue; }
    if (evLt(bestInfo.logTail, i.logTail)) continue;
    if (o === prefer) { best = o; bestInfo = i; }
  }
  return best;
}

function emptyEffects(): PeeringEffects {
  return { send: [], dirty: false, logDelta: { append: [] }, rewoundObjects: [], removePg: false, stateChanged: false, activated: false };
}

/**
 * What takeEffects returns when nothing happened since the last call (the shell drains after every
 * write, mostly to find nothing): one frozen object, so an empty drain allocates nothing.
 */
export const noEffects: PeeringEffects = Object.freeze({
  send: Object.freeze([]) as unknown as PeeringEffects['send'],
  dirty: false,
  logDelta: Object.freeze({ append: Object.freeze([]) as unknown as PgLogEntry[] }),
  rewoundObjects: Object.freeze([]) as unknown as HObject[],
  removePg: false,
  stateChanged: false,
  activated: false,
});

/** Nothing in `fx` (every field as emptyEffects has it). */
function effectsEmpty(fx: PeeringEffects): boolean {
  const d = fx.logDelta;
  return fx.send.length === 0 && !fx.dirty && d.append.length === 0 && d.rewindTo === undefined && d.trimTo === undefined
    && fx.rewoundObjects.length === 0 && fx.needUpThru === undefined && fx.wantPgTemp === undefined && !fx.removePg
    && !fx.stateChanged && !fx.activated;
}

class PeeringCoreImpl implements PeeringCore {
  readonly pgid: SpgId;
  private readonly whoami: number;
  private st: LogState;
  private pastIntervals: PastIntervals;
  private epoch = 0;
  /** The epoch a loaded PG had processed (its base map), if loaded. */
  private readonly loadedEpoch: number | undefined;
  private view: PgMapView | undefined;
  private newInterval = false;
  private restartPeering = true;
  private phase: Phase = 'initial';
  private creating: boolean;
  private prior: PriorSet | undefined;
  private readonly peerInfo = new Map<number, PgInfo>();
  private readonly infoRequested = new Set<number>();
  private authOsd = -1;
  private readonly logRequested = new Set<number>();
  private readonly peers = new Map<number, PeerState>();
  private readonly activated = new Set<number>();
  /** Strays (and a stray authoritative OSD) whose info, log and missing we hold: recovery sources. */
  private readonly strayState = new Map<number, { info: PgInfo; newest: Map<string, EVersion>; missing: PgMissing }>();
  /**
   * Complete peers behind the log tail that hold objects we miss: left out of this activation (no
   * backfill reset yet, which would make their objects unusable) until we recovered from them.
   */
  private readonly deferred = new Set<number>();
  /** Did the acting set have min_size complete members at activation (active, not peered)? */
  private activeWriteable = false;
  private readonly strayQueried = new Set<number>();
  private readonly inFlight = new Map<string, InFlight>();
  private readonly backfillInFlight = new Set<number>();
  private clean = false;
  private pgTempAsked: number[] | undefined;
  private minLastCompleteOndisk: EVersion = ZERO_VERSION;
  private pending: Array<{ from: number; msg: PeeringMessage }> = [];
  private fx: PeeringEffects = emptyEffects();
  private reportedState = -1;
  /** anyUnfound's kept answer (see there): undefined when unknown. */
  private unfoundWitness: string | null | undefined;
  /**
   * Objects takeRecoveryTasks found unfound (we miss them, no source): later calls pass over them
   * without asking again, until something that can give them a source happens (as anyUnfound's answer).
   */
  private readonly unfoundKnown = new Set<string>();
  /**
   * Per missing set (ours, the peers'): every object before this place in recovery order is busy (in
   * flight or unfound-known), so takeRecoveryTasks starts after it (Ceph's last_requested). Dropped for a
   * set when one of its objects may stop being busy: a task fails or ends with the object still missing
   * somewhere, or the unfound knowledge is forgotten.
   */
  private readonly recoveryCursor = new Map<PgMissing, MissingPosition>();

  private readonly bounds: PgLogBounds;

  constructor(init: PeeringCoreInit, bounds: PgLogBounds) {
    this.bounds = bounds;
    this.pgid = init.pgid;
    this.whoami = init.whoami;
    if (init.persistent) {
      const p = init.persistent;
      this.st = { info: cloneInfo(p.info), log: cloneLog(p.log), missing: p.missing };
      this.pastIntervals = clonePastIntervals(p.pastIntervals);
      this.epoch = p.epoch;
      this.loadedEpoch = p.epoch;
      this.creating = false;
    } else {
      const info = emptyPgInfo(init.pgid);
      info.history.epochCreated = init.createdEpoch ?? 0;
      info.history.epochPoolCreated = init.poolCreatedEpoch ?? init.createdEpoch ?? 0;
      this.st = { info, log: emptyPgLog(), missing: emptyPgMissing() };
      this.pastIntervals = emptyPastIntervals();
      this.loadedEpoch = undefined;
      this.creating = true;
    }
  }

  // ---- maps ----------------------------------------------------------------------------------------

  advanceMap(view: PgMapView): void {
    this.forgetUnfound();
    if (this.phase === 'deleted') return;
    const h = this.st.info.history;
    if (!view.poolExists) {
      this.view = view;
      this.epoch = view.epoch;
      this.setPhase('deleted');
      this.fx.removePg = true;
      return;
    }
    const last = this.view;
    if (last) {
      if (view.epoch <= last.epoch) return;
      if (checkNewInterval(last, view, h.sameIntervalSince, h.lastEpochClean, this.pastIntervals)) this.onNewInterval(last, view);
    } else if (this.loadedEpoch !== undefined) {
      if (view.epoch > this.loadedEpoch) {
        // No base map: compare with the mapping the PG stored; assume the gap may have gone rw.
        const s = this.st.info.stats;
        const same = sameList(s.up, view.up) && sameList(s.acting, view.acting) && s.upPrimary === view.upPrimary && s.actingPrimary === view.actingPrimary;
        if (!same) {
          if (view.epoch - 1 >= h.sameIntervalSince && s.acting.length > 0) addInterval(this.pastIntervals, h.sameIntervalSince, view.epoch - 1, s.acting, true);
          this.onNewInterval(undefined, view);
        }
      }
    } else {
      // A new PG: its first interval starts with the first map it sees.
      h.sameIntervalSince = h.sameUpSince = h.samePrimarySince = view.epoch;
      this.newInterval = true;
      this.fx.dirty = true;
    }
    this.view = view;
    this.epoch = Math.max(this.epoch, view.epoch);
    for (const o of [...this.strayState.keys()]) if (!view.isUp(o)) this.strayState.delete(o);
    for (const o of [...this.strayQueried]) if (!view.isUp(o)) this.strayQueried.delete(o);
    if (!this.newInterval && PEERING_PHASES.has(this.phase) && this.prior && priorSetAffected(this.prior, view, this.whoami)) {
      this.restartPeering = true;
    }
  }

  private onNewInterval(last: PgMapView | undefined, view: PgMapView): void {
    const h = this.st.info.history;
    h.sameIntervalSince = view.epoch;
    if (!last || last.upPrimary !== view.upPrimary || !sameList(last.up, view.up)) h.sameUpSince = view.epoch;
    if (!last || last.actingPrimary !== view.actingPrimary) h.samePrimarySince = view.epoch;
    this.newInterval = true;
    this.fx.dirty = true;
  }

  // `now` (the contract's clock) is not used yet: no peering decision here depends on time.
  activateMap(_now: UTime): void {
    this.forgetUnfound();
    if (this.phase === 'deleted') return this.finish();
    if (!this.view) return this.finish();
    if (this.newInterval || this.restartPeering) {
      this.newInterval = false;
      this.restartPeering = false;
      this.startPeering();
    } else if (this.phase === 'waitUpThru') {
      if (this.upThruOk()) this.activate();
      else this.fx.needUpThru = this.st.info.history.sameIntervalSince;
    } else if (this.phase === 'active') {
      this.discoverUnfound(); // an OSD that may hold unfound objects may have come up
    }
    this.replayPending();
    this.finish();
  }

  private upThruOk(): boolean {
    return this.view!.upThru(this.whoami) >= this.st.info.history.sameIntervalSince;
  }

  /** Acting members holding every object (us, and peers recovering from the log rather than backfilling). */
  private completeActingCount(): number {
    let n = 0;
    for (const o of this.view!.acting) if (o === this.whoami || this.peers.get(o)?.mode === 'log') n++;
    return n;
  }

  private recordStray(from: number, info: PgInfo, log: PgLog, missing: PgMissing): void {
    const newest = new Map<string, EVersion>();
    for (const e of log.log) newest.set(objectKey(e.soid), e.version);
    this.strayState.set(from, { info, newest, missing });
  }

  /**
   * Ceph's search_for_missing: does this stray hold soid at exactly `need`? It is complete, its
   * last_update reaches need, it does not miss soid, and its log's newest entry for soid is need (or
   * its log no longer covers need: a later committed write would have raised our need).
   */
  private strayHas(o: number, soid: HObject, need: EVersion): boolean {
    const st = this.strayState.get(o);
    if (!st || !st.info.lastBackfill.max || evLt(st.info.lastUpdate, need) || missingGet(st.missing, soid)) return false;
    const newest = st.newest.get(objectKey(soid));
    if (newest) return evEq(newest, need);
    return !evLt(st.info.logTail, need);
  }

  // ---- peering -------------------------------------------------------------------------------------

  private resetPeerState(): void {
    this.forgetUnfound();
    this.peerInfo.clear();
    this.infoRequested.clear();
    this.authOsd = -1;
    this.logRequested.clear();
    this.peers.clear();
    this.activated.clear();
    this.strayState.clear();
    this.deferred.clear();
    this.strayQueried.clear();
    this.inFlight.clear();
    this.backfillInFlight.clear();
    this.clean = false;
    this.prior = undefined;
    this.pgTempAsked = undefined; // asks are deduplicated within one interval only
  }

  private startPeering(): void {
    const v = this.view!;
    this.resetPeerState();
    const s = this.st.info.stats;
    s.up = [...v.up];
    s.acting = [...v.acting];
    s.upPrimary = v.upPrimary;
    s.actingPrimary = v.actingPrimary;
    s.mappingEpoch = v.epoch;
    this.fx.dirty = true;
    if (v.actingPrimary === this.whoami) {
      if (!this.upThruOk()) this.fx.needUpThru = this.st.info.history.sameIntervalSince;
      this.setPhase('getInfo');
      this.buildPrior();
      this.getInfos();
    } else if (v.acting.includes(this.whoami) || v.up.includes(this.whoami)) {
      this.setPhase('replica');
    } else {
      this.setPhase('stray');
      if (v.actingPrimary >= 0) this.sendTo(v.actingPrimary, this.notifyMsg(this.epoch));
    }
  }

  private buildPrior(): void {
    this.prior = buildPriorSet(this.pastIntervals, this.st.info.history.lastEpochStarted, this.view!, this.whoami);
    if (this.prior.pgDown) this.setPhase('down');
  }

  private getInfos(): void {
    if (this.phase !== 'getInfo') return;
    for (const o of this.prior!.probe) {
      if (o === this.whoami || this.peerInfo.has(o) || this.infoRequested.has(o)) continue;
      this.infoRequested.add(o);
      this.sendTo(o, { kind: 'query', pgid: this.pgid, type: PgQueryType.INFO, since: ZERO_VERSION, history: { ...this.st.info.history }, epochSent: this.epoch });
    }
    this.checkGotInfos();
  }

  private checkGotInfos(): void {
    if (this.phase !== 'getInfo') return;
    for (const o of this.prior!.probe) if (o !== this.whoami && !this.peerInfo.has(o)) return;
    this.chooseAndGetLog();
  }

  /** Infos of up OSDs, ours included. */
  private upInfos(): Map<number, PgInfo> {
    const m = new Map<number, PgInfo>([[this.whoami, this.st.info]]);
    for (const [o, i] of this.peerInfo) if (this.view!.isUp(o)) m.set(o, i);
    return m;
  }

  private chooseAndGetLog(): void {
    const v = this.view!;
    const infos = this.upInfos();
    const blocked = incompleteSurvivorsBlock(this.pastIntervals, this.st.info.history.lastEpochStarted, v, (o) => infos.get(o)?.lastBackfill.max === true);
    if (blocked.length > 0) {
      this.prior!.blockedBy = blocked;
      return this.setPhase('down');
    }
    const auth = findBestInfo(infos, this.whoami);
    if (auth < 0) return this.setPhase('incomplete');
    const authInfo = infos.get(auth)!;
    const canLead = (o: number): boolean => {
      const i = infos.get(o);
      return i !== undefined && i.lastBackfill.max && !evLt(i.lastUpdate, authInfo.logTail);
    };
    let want: number[];
    if (v.upPrimary >= 0 && canLead(v.upPrimary)) want = [...v.up];
    else if (canLead(auth)) want = [auth, ...v.up.filter((o) => o !== auth && o !== v.upPrimary)];
    else return this.setPhase('incomplete');
    if (!sameList(want, v.acting)) {
      const ask = sameList(want, v.up) ? [] : want;
      if (!this.pgTempAsked || !sameList(this.pgTempAsked, ask)) {
        this.pgTempAsked = ask;
        this.fx.wantPgTemp = ask;
      }
      return this.setPhase('waitActingChange');
    }
    this.authOsd = auth;
    this.setPhase('getLog');
    if (auth === this.whoami) return this.getMissing();
    this.logRequested.add(auth);
    this.sendTo(auth, { kind: 'query', pgid: this.pgid, type: PgQueryType.FULLLOG, since: ZERO_VERSION, history: { ...this.st.info.history }, epochSent: this.epoch });
  }

  private procMasterLog(from: number, msg: Extract<PeeringMessage, { kind: 'log' }>): void {
    this.logRequested.delete(from);
    this.peerInfo.set(from, msg.info);
    mergeHistory(this.st.info.history, msg.info.history);
    if (!logsOverlap(this.st.log.head, msg.log)) return this.setPhase('incomplete');
    this.applyMerge(msg.log);
    // The authoritative OSD's missing set is in its reply: if it is a stray it is a recovery source.
    const v = this.view!;
    if (!v.acting.includes(from) && !v.up.includes(from)) {
      this.recordStray(from, msg.info, msg.log, msg.missing);
      this.strayQueried.add(from);
    }
    this.getMissing();
  }

  /** Merge an authoritative log into ours and record the effects. */
  private applyMerge(olog: PgLog): void {
    const r = mergeLog(this.st, olog);
    if (r.rewindTo) this.fx.logDelta.rewindTo = r.rewindTo;
    this.fx.logDelta.append.push(...r.appended);
    this.fx.rewoundObjects.push(...r.remove);
    this.fx.dirty = true;
  }

  /** The peers besides us that activation covers: acting ∪ up. */
  private peerList(): number[] {
    const v = this.view!;
    const out: number[] = [];
    for (const o of [...v.acting, ...v.up]) if (o >= 0 && o !== this.whoami && !out.includes(o) && v.isUp(o)) out.push(o);
    return out;
  }

  private getMissing(): void {
    this.setPhase('getMissing');
    const me = this.st.info;
    for (const o of this.peerList()) {
      const pi = this.peerInfo.get(o) ?? emptyPgInfo(this.pgid);
      const behind = evLt(pi.lastUpdate, me.logTail);
      // A complete peer behind our log's tail is backfilled; if we miss objects it may still hold
      // them (Ceph's add_source_info from the pre-activation peer_info), so fetch its log first.
      if (!pi.lastBackfill.max || (behind && this.st.missing.items.size === 0)) {
        this.peers.set(o, { mode: 'backfill', missing: emptyPgMissing(), common: ZERO_VERSION, lastBackfill: emptyHObject() });
      } else if (evEq(pi.lastUpdate, me.lastUpdate) && evEq(pi.lastComplete, pi.lastUpdate)) {
        this.peers.set(o, { mode: 'log', missing: emptyPgMissing(), common: pi.lastUpdate, lastBackfill: maxHObject() });
      } else {
        this.logRequested.add(o);
        this.sendTo(o, { kind: 'query', pgid: this.pgid, type: PgQueryType.FULLLOG, since: ZERO_VERSION, history: { ...me.history }, epochSent: this.epoch });
      }
    }
    this.checkGotMissing();
  }

  private procReplicaLogMsg(from: number, msg: Extract<PeeringMessage, { kind: 'log' }>): void {
    this.logRequested.delete(from);
    this.peerInfo.set(from, msg.info);
    if (!msg.info.lastBackfill.max || !logsOverlap(msg.log.head, this.st.log)) {
      this.peers.set(from, { mode: 'backfill', missing: emptyPgMissing(), common: ZERO_VERSION, lastBackfill: emptyHObject() });
      // Its objects stay until backfill (which starts after log recovery) replaces them: a source.
      if (msg.info.lastBackfill.max) {
        this.recordStray(from, msg.info, msg.log, msg.missing);
        for (const { soid, item } of this.st.missing.items.values()) {
          if (this.strayHas(from, soid, item.need)) {
            this.peers.delete(from);
            this.deferred.add(from);
            break;
          }
        }
      }
    } else {
      const r = procReplicaLog(this.st.log, msg.info, msg.log, msg.missing);
      this.peers.set(from, { mode: 'log', missing: r.missing, common: r.common, lastBackfill: maxHObject() });
    }
    this.checkGotMissing();
  }

  private checkGotMissing(): void {
    if (this.phase !== 'getMissing' || this.logRequested.size > 0) return;
    if (!this.upThruOk()) {
      this.fx.needUpThru = this.st.info.history.sameIntervalSince;
      return this.setPhase('waitUpThru');
    }
    this.activate();
  }

  private activate(): void {
    const h = this.st.info.history;
    this.setPhase('activating');
    this.activeWriteable = this.completeActingCount() >= this.view!.poolMinSize;
    if (this.activeWriteable) {
      this.st.info.lastEpochStarted = this.epoch;
      this.st.info.lastIntervalStarted = h.sameIntervalSince;
    }
    this.minLastCompleteOndisk = ZERO_VERSION;
    for (const [o, ps] of this.peers) {
      if (ps.mode === 'backfill') {
        const pi = cloneInfo(this.st.info);
        pi.lastBackfill = emptyHObject();
        pi.lastComplete = pi.lastUpdate;
        ps.lastBackfill = emptyHObject();
        this.sendTo(o, { kind: 'log', pgid: this.pgid, info: pi, log: cloneLog(this.st.log), missing: emptyPgMissing(), pastIntervals: clonePastIntervals(this.pastIntervals), epochSent: this.epoch, queryEpoch: this.epoch });
      } else {
        this.sendTo(o, { kind: 'log', pgid: this.pgid, info: cloneInfo(this.st.info), log: logAfter(this.st.log, ps.common), missing: ps.missing, pastIntervals: clonePastIntervals(this.pastIntervals), epochSent: this.epoch, queryEpoch: this.epoch });
      }
    }
    this.fx.dirty = true;
    this.checkAllActivated();
  }

  private checkAllActivated(): void {
    if (this.phase !== 'activating') return;
    for (const o of this.peers.keys()) if (!this.activated.has(o)) return;
    this.setPhase('active');
    this.creating = false;
    const h = this.st.info.history;
    if (this.activeWriteable) {
      h.lastEpochStarted = Math.max(h.lastEpochStarted, this.st.info.lastEpochStarted);
      h.lastIntervalStarted = Math.max(h.lastIntervalStarted, this.st.info.lastIntervalStarted);
      this.fx.activated = true;
    }
    this.fx.dirty = true;
    this.discoverUnfound();
    this.checkRecovered();
  }

  // ---- recovery bookkeeping ------------------------------------------------------------------------

  private anyPeerMissing(): boolean {
    for (const ps of this.peers.values()) if (ps.mode === 'log' && ps.missing.items.size > 0) return true;
    return false;
  }

  /** A backfill peer whose backfill has not started. */
  private backfillToStart(): boolean {
    for (const [o, ps] of this.peers) if (ps.mode === 'backfill' && !this.backfillInFlight.has(o)) return true;
    return false;
  }

  private anyBackfill(): boolean {
    for (const ps of this.peers.values()) if (ps.mode !== 'log') return true;
    return false;
  }

  /** A peer that holds soid at its newest version, to pull from; -1 if none (unfound). */
  private pullSource(soid: HObject): number {
    for (const [o, ps] of this.peers) if (ps.mode === 'log' && !missingGet(ps.missing, soid)) return o;
    const need = missingGet(this.st.missing, soid)?.need;
    if (need) for (const o of this.strayState.keys()) if (this.view!.isUp(o) && this.strayHas(o, soid, need)) return o;
    return -1;
  }

  /** Is soid (missing here at `need`) held by no log-mode peer and no up stray (Ceph's unfound)? */
  private isUnfound(k: string, soid: HObject, need: EVersion): boolean {
    for (const ps of this.peers.values()) if (ps.mode === 'log' && !ps.missing.items.has(k)) return false;
    for (const o of this.strayState.keys()) if (this.view!.isUp(o) && this.strayHas(o, soid, need)) return false;
    return true;
  }

  /** Something that may give a missing object a source, or take one away, happened. */
  private forgetUnfound(): void {
    this.unfoundWitness = undefined;
    if (this.unfoundKnown.size > 0) this.unfoundKnown.clear();
    if (this.recoveryCursor.size > 0) this.recoveryCursor.clear();
  }

  /** soid is no longer in flight or unfound-known: walks of the sets still holding it start over. */
  private reopen(k: string): void {
    if (this.recoveryCursor.size === 0) return;
    if (this.st.missing.items.has(k)) this.recoveryCursor.delete(this.st.missing);
    for (const ps of this.peers.values()) if (ps.missing.items.has(k)) this.recoveryCursor.delete(ps.missing);
  }

  /**
   * Does the primary miss an object no peer or known stray holds (Ceph's unfound)? Asked after every
   * recovered object (the state bits), so the answer is kept: undefined (unknown), null (nothing
   * unfound) or the key of an unfound object. Recovery progress only finds objects (our missing set and
   * the peers' shrink), so across it "none" stays true and "this one" needs a look at that one object;
   * everything else (maps, messages, writes to missing objects, a new peering round) forgets it.
   */
  private anyUnfound(): boolean {
    const w = this.unfoundWitness;
    if (w === null) return false;
    if (w !== undefined) {
      const rec = this.st.missing.items.get(w);
      if (rec && this.isUnfound(w, rec.soid, rec.item.need)) return true;
    }
    for (const [k, { soid, item }] of this.st.missing.items) {
      if (this.isUnfound(k, soid, item.need)) {
        this.unfoundWitness = k;
        return true;
      }
    }
    this.unfoundWitness = null;
    return false;
  }

  /** Ceph's discover_all_missing: ask up strays for their logs when objects have no source. */
  private discoverUnfound(): void {
    if (this.phase !== 'active' || !this.anyUnfound()) return;
    // Ceph's might_have_unfound: every participant of the past intervals, and every stray we heard.
    const candidates = new Set<number>([...this.peerInfo.keys(), ...this.pastIntervals.allParticipants.map((s) => s.osd)]);
    for (const o of [...candidates].sort((a, b) => a - b)) {
      const i = this.peerInfo.get(o);
      if (o === this.whoami || this.peers.has(o) || this.strayQueried.has(o) || !this.view!.isUp(o) || (i && !i.lastBackfill.max)) continue;
      this.strayQueried.add(o);
      this.sendTo(o, { kind: 'query', pgid: this.pgid, type: PgQueryType.FULLLOG, since: ZERO_VERSION, history: { ...this.st.info.history }, epochSent: this.epoch });
    }
  }

  private checkRecovered(): void {
    if (this.phase !== 'active' || this.clean) return;
    if (this.deferred.size > 0 && this.st.missing.items.size === 0) return this.startPeeringKeepInfos();
    if (this.st.missing.items.size > 0 || this.anyPeerMissing() || this.anyBackfill()) return;
    const v = this.view!;
    if (!sameList(v.acting, v.up)) {
      // Recovered while remapped: if the up set can lead now, ask for the pg_temp to go.
      const upOk = v.up.every((o) => o === this.whoami || this.peers.get(o)?.mode === 'log');
      if (upOk && v.up.length > 0) {
        if (!this.pgTempAsked || this.pgTempAsked.length !== 0) {
          this.pgTempAsked = [];
          this.fx.wantPgTemp = [];
        }
        return;
      }
    }
    if (!this.activeWriteable || v.acting.length < v.poolSize) return;
    // try_mark_clean
    this.clean = true;
    const h = this.st.info.history;
    h.lastEpochClean = this.epoch;
    h.lastIntervalClean = h.sameIntervalSince;
    this.st.info.stats.lastEpochClean = this.epoch;
    clearPastIntervals(this.pastIntervals);
    this.fx.dirty = true;
    for (const o of this.peers.keys()) this.sendTo(o, this.infoMsg(this.epoch));
    for (const o of this.peerInfo.keys()) if (!this.peers.has(o) && v.isUp(o)) this.sendTo(o, this.infoMsg(this.epoch));
  }

  // ---- messages ------------------------------------------------------------------------------------

  handleMessage(from: number, msg: PeeringMessage, _now: UTime): void {
    this.forgetUnfound();
    if (this.phase === 'deleted') return this.finish();
    if (!this.view || msg.epochSent > this.epoch) {
      this.pending.push({ from, msg });
      if (this.pending.length > peeringFutureMessagesMax) this.pending.shift();
      return this.finish();
    }
    this.dispatch(from, msg);
    this.finish();
  }

  private replayPending(): void {
    if (this.pending.length === 0) return;
    const ready = this.pending.filter((p) => p.msg.epochSent <= this.epoch);
    this.pending = this.pending.filter((p) => p.msg.epochSent > this.epoch);
    for (const p of ready) if (this.phase !== 'deleted') this.dispatch(p.from, p.msg);
  }

  private dispatch(from: number, msg: PeeringMessage): void {
    if (msg.epochSent < this.st.info.history.sameIntervalSince) return; // an older interval's
    if (this.newInterval || this.restartPeering) return; // activateMap will restart peering first
    switch (msg.kind) {
      case 'query': return this.onQuery(from, msg);
      case 'notify': return this.onNotify(from, msg.info);
      case 'log': return this.onLog(from, msg);
      case 'info': return this.onInfo(from, msg);
      case 'trim': return this.onTrim(from, msg.trimTo);
    }
  }

  private isPrimaryNow(): boolean {
    return this.view !== undefined && this.view.actingPrimary === this.whoami;
  }

  private onQuery(from: number, q: Extract<PeeringMessage, { kind: 'query' }>): void {
    if (this.isPrimaryNow()) return;
    this.updateHistory(q.history);
    if (q.type === PgQueryType.INFO) {
      this.sendTo(from, this.notifyMsg(q.epochSent));
    } else {
      const log = q.type === PgQueryType.LOG ? logAfter(this.st.log, q.since) : cloneLog(this.st.log);
      this.sendTo(from, { kind: 'log', pgid: this.pgid, info: cloneInfo(this.st.info), log, missing: this.st.missing, pastIntervals: clonePastIntervals(this.pastIntervals), epochSent: this.epoch, queryEpoch: q.epochSent });
    }
  }

  /** Replica / stray: learn from the primary's history; drop past intervals once the PG went clean since. */
  private updateHistory(h: PgHistory): void {
    const mine = this.st.info.history;
    if (mergeHistory(mine, h)) {
      this.fx.dirty = true;
      if (mine.lastEpochClean >= mine.sameIntervalSince && this.pastIntervals.intervals.length + this.pastIntervals.first > 0) {
        clearPastIntervals(this.pastIntervals);
      }
    }
  }

  private onNotify(from: number, info: PgInfo): void {
    if (!this.isPrimaryNow()) return;
    const had = this.peerInfo.get(from);
    this.peerInfo.set(from, info);
    const h = this.st.info.history;
    switch (this.phase) {
      case 'getInfo': {
        const oldLes = h.lastEpochStarted;
        mergeHistory(h, info.history);
        this.infoRequested.delete(from);
        if (h.lastEpochStarted > oldLes) {
          this.buildPrior();
          return this.getInfos();
        }
        return this.checkGotInfos();
      }
      case 'down':
      case 'incomplete':
      case 'waitActingChange':
        if (!had || !evEq(had.lastUpdate, info.lastUpdate) || had.lastEpochStarted !== info.lastEpochStarted || had.lastBackfill.max !== info.lastBackfill.max) {
          mergeHistory(h, info.history);
          this.startPeeringKeepInfos();
        }
        return;
      case 'active':
        if (this.clean) {
          const v = this.view!;
          if (!v.acting.includes(from) && !v.up.includes(from)) this.sendTo(from, this.infoMsg(this.epoch));
        } else {
          if (!this.strayState.has(from)) this.strayQueried.delete(from);
          this.discoverUnfound();
        }
        return;
      default:
        return;
    }
  }

  /** Restart GetInfo in the same interval, keeping the infos already heard. */
  private startPeeringKeepInfos(): void {
    const keep = new Map(this.peerInfo);
    this.startPeering();
    for (const [o, i] of keep) this.peerInfo.set(o, i);
    this.getInfos();
  }

  private onLog(from: number, msg: Extract<PeeringMessage, { kind: 'log' }>): void {
    if (this.isPrimaryNow()) {
      if (this.phase === 'getLog' && from === this.authOsd && this.logRequested.has(from)) return this.procMasterLog(from, msg);
      if (this.phase === 'getMissing' && this.logRequested.has(from)) return this.procReplicaLogMsg(from, msg);
      if (this.phase === 'active' && this.strayQueried.has(from)) {
        this.recordStray(from, msg.info, msg.log, msg.missing);
      }
      return;
    }
    const v = this.view!;
    if (from !== v.actingPrimary) return;
    const me = this.st.info;
    if (!msg.info.lastBackfill.max) {
      // Backfill reset: take the primary's log; objects are copied by backfill.
      claimLog(this.st, msg.log);
      this.st.info.lastBackfill = emptyHObject();
      this.fx.logDelta = { rewindTo: ZERO_VERSION, append: [...this.st.log.log] };
    } else if (!me.lastBackfill.max) {
      if (this.phase !== 'replicaActive') return; // a stale completion
      // Backfill finished: every object is current; take the primary's log whole (keeping writes
      // that were applied here after the primary sent it).
      const newer = this.st.log.log.filter((e) => evLt(msg.log.head, e.version));
      claimLog(this.st, msg.log);
      for (const e of newer) appendEntry(this.st, e);
      this.st.info.lastBackfill = maxHObject();
      this.fx.logDelta = { rewindTo: ZERO_VERSION, append: [...this.st.log.log] };
      this.fx.dirty = true;
      this.updateHistory(msg.info.history);
      this.sendTo(from, this.infoMsg(msg.epochSent));
      return;
    } else {
      if (!logsOverlap(this.st.log.head, msg.log)) return; // cannot happen: the primary backfills such peers
      this.applyMerge(msg.log);
    }
    // Activation (Ceph's replica activate).
    this.updateHistory(msg.info.history);
    if (me.lastEpochStarted < msg.info.lastEpochStarted) {
      me.lastEpochStarted = msg.info.lastEpochStarted;
      me.lastIntervalStarted = me.history.sameIntervalSince;
    }
    if (msg.pastIntervals.last >= this.pastIntervals.last) this.pastIntervals = clonePastIntervals(msg.pastIntervals);
    syncInfo(this.st);
    this.fx.dirty = true;
    this.setPhase('replicaActive');
    this.sendTo(from, this.infoMsg(msg.epochSent));
  }

  private onInfo(from: number, msg: Extract<PeeringMessage, { kind: 'info' }>): void {
    if (this.isPrimaryNow()) {
      const ps = this.peers.get(from);
      if (this.phase === 'activating' && ps && ps.mode !== 'backfillDone') {
        this.activated.add(from);
        this.checkAllActivated();
      } else if (ps && ps.mode === 'backfillDone' && msg.info.lastBackfill.max) {
        ps.mode = 'log';
        ps.lastBackfill = maxHObject();
        this.peerInfo.set(from, msg.info);
        // Peered only for want of complete members: with this one the PG can take writes; peer again
        // so activation records last_epoch_started (Ceph gets here through a pg_temp change).
        if (!this.activeWriteable && this.completeActingCount() >= this.view!.poolMinSize) return this.startPeeringKeepInfos();
        this.checkRecovered();
      }
      return;
    }
    const v = this.view!;
    if (from !== v.actingPrimary) return;
    this.updateHistory(msg.info.history);
    const h = msg.info.history;
    const mapped = v.acting.includes(this.whoami) || v.up.includes(this.whoami);
    // Not while messages from newer epochs wait: a newer interval may map us again (they would be lost).
    if (!mapped && this.pending.length === 0 && h.lastEpochClean >= h.sameIntervalSince && h.sameIntervalSince >= this.st.info.history.sameIntervalSince) {
      this.setPhase('deleted');
      this.fx.removePg = true;
    }
  }

  private onTrim(from: number, trimTo: EVersion): void {
    if (this.isPrimaryNow() || from !== this.view!.actingPrimary) return;
    const to = evLt(this.st.info.lastComplete, trimTo) ? this.st.info.lastComplete : trimTo;
    if (trimLog(this.st, to) > 0) {
      this.fx.logDelta.trimTo = to;
      this.fx.dirty = true;
    }
  }

  private notifyMsg(queryEpoch: number): PeeringMessage {
    return { kind: 'notify', pgid: this.pgid, info: cloneInfo(this.st.info), pastIntervals: clonePastIntervals(this.pastIntervals), epochSent: this.epoch, queryEpoch };
  }

  private infoMsg(queryEpoch: number): PeeringMessage {
    return { kind: 'info', pgid: this.pgid, info: cloneInfo(this.st.info), pastIntervals: clonePastIntervals(this.pastIntervals), epochSent: this.epoch, queryEpoch };
  }

  private sendTo(to: number, msg: PeeringMessage): void {
    this.fx.send.push({ to, msg });
  }

  // ---- state ---------------------------------------------------------------------------------------

  private setPhase(p: Phase): void {
    this.phase = p;
  }

  stateBits(): PgStateBits {
    const v = this.view;
    let s = 0;
    const add = (bit: number): void => {
      if (!hasBit(s, bit)) s += bit;
    };
    switch (this.phase) {
      case 'initial': case 'stray': case 'deleted':
        return 0;
      case 'replica':
        return PgState.PEERING;
      case 'replicaActive':
        return PgState.ACTIVE;
      case 'down':
        add(PgState.DOWN);
        break;
      case 'incomplete':
        add(PgState.INCOMPLETE);
        break;
      case 'getInfo': case 'getLog': case 'getMissing': case 'waitUpThru': case 'waitActingChange':
        add(PgState.PEERING);
        break;
      case 'activating':
      case 'active': {
        add(this.phase === 'activating' ? PgState.ACTIVATING : this.activeWriteable ? PgState.ACTIVE : PgState.PEERED);
        if (this.clean) add(PgState.CLEAN);
        const undersized = v!.acting.length < v!.poolSize;
        if (undersized) add(PgState.UNDERSIZED);
        const recovering = this.st.missing.items.size > 0 || this.anyPeerMissing();
        let backfillInActing = false;
        for (const [o, ps] of this.peers) if (ps.mode !== 'log' && v!.acting.includes(o)) backfillInActing = true;
        if (undersized || recovering || backfillInActing || this.deferred.size > 0) add(PgState.DEGRADED);
        if (this.phase === 'active') {
          if (recovering) {
            let pulling = false;
            for (const f of this.inFlight.values()) if (f.task.kind !== 'backfill') pulling = true;
            add(pulling ? PgState.RECOVERING : PgState.RECOVERY_WAIT);
            if (this.anyUnfound()) add(PgState.RECOVERY_UNFOUND);
          } else if (this.anyBackfill()) {
            add(this.backfillInFlight.size > 0 ? PgState.BACKFILLING : PgState.BACKFILL_WAIT);
          }
        }
        break;
      }
    }
    if (v && !sameList(v.acting, v.up)) add(PgState.REMAPPED);
    // creating: a new PG that, as far as it knows, never went active anywhere
    if (this.creating && this.st.info.history.lastEpochStarted === 0 && this.pastIntervals.intervals.length === 0) add(PgState.CREATING);
    return s;
  }

  stateString(): string {
    return pgStateString(this.stateBits());
  }

  isPrimary(): boolean {
    return this.isPrimaryNow() && this.phase !== 'deleted';
  }

  isActive(): boolean {
    if (this.phase === 'replicaActive') return true;
    return this.phase === 'active' && this.activeWriteable;
  }

  acting(): number[] {
    return this.view ? [...this.view.acting] : [];
  }

  up(): number[] {
    return this.view ? [...this.view.up] : [];
  }

  info(): PgInfo {
    return this.st.info;
  }

  persistentState(): PgPersistent {
    return { info: this.st.info, pastIntervals: this.pastIntervals, log: this.st.log, missing: this.st.missing, epoch: this.epoch };
  }

  // ---- write path ----------------------------------------------------------------------------------

  nextVersion(): EVersion {
    return { epoch: Math.max(this.epoch, this.st.log.head.epoch), version: this.st.log.head.version + 1 };
  }

  appendLogEntry(entry: PgLogEntry): void {
    const missingBefore = this.st.missing.items.size;
    // a write to an object missing here moves its need: a stray holding the old version no longer counts
    const touchesMissing = missingBefore > 0 && this.st.missing.items.has(objectKey(entry.soid));
    if (touchesMissing) this.forgetUnfound();
    appendEntry(this.st, entry);
    this.fx.logDelta.append.push(entry);
    // The entry and the info go with every log delta; the rest of pgmeta (past intervals, rollback
    // marks, missing keys) changes on an append only when the entry touched a missing object, so only
    // then is the state dirty (else every write re-encoded "_biginfo" on every OSD to find it unchanged)
    if (touchesMissing) this.fx.dirty = true;
    // The state only changes if the entry touched a missing object (writes are the hot path).
    if (this.st.missing.items.size !== missingBefore) this.finish();
  }

  committedEverywhere(v: EVersion): void {
    if (!this.isPrimaryNow()) return;
    this.minLastCompleteOndisk = evMax(this.minLastCompleteOndisk, v);
    const degraded = this.st.missing.items.size > 0 || this.anyPeerMissing() || this.anyBackfill() || (this.view !== undefined && this.view.acting.length < this.view.poolSize);
    const to = calcTrimTo(this.st.log, this.minLastCompleteOndisk, degraded, this.bounds);
    if (to && trimLog(this.st, to) > 0) {
      this.fx.logDelta.trimTo = to;
      this.fx.dirty = true;
      for (const o of this.peers.keys()) this.sendTo(o, { kind: 'trim', pgid: this.pgid, trimTo: to, epochSent: this.epoch });
    }
  }

  isMissingOrDegraded(soid: HObject): boolean {
    // the hot write path: one key, and no peer loop while nothing is missing anywhere
    const k = objectKey(soid);
    if (this.st.missing.items.has(k)) return true;
    for (const ps of this.peers.values()) if (ps.mode === 'log' && ps.missing.items.size > 0 && ps.missing.items.has(k)) return true;
    return false;
  }

  isMissingLocally(soid: HObject): boolean {
    return missingGet(this.st.missing, soid) !== undefined;
  }

  writeTargets(soid: HObject): number[] {
    if (!this.isPrimaryNow()) return [];
    const out: number[] = [];
    for (const [o, ps] of this.peers) {
      if (ps.mode !== 'backfill' || cmpHObject(soid, ps.lastBackfill) <= 0) out.push(o);
    }
    return out;
  }

  // ---- recovery ------------------------------------------------------------------------------------

  takeRecoveryTasks(max: number, urgent?: HObject): RecoveryTask[] {
    const out: RecoveryTask[] = [];
    if (!this.isPrimaryNow() || this.phase !== 'active' || max <= 0) return out;
    // A clean PG (the shell asks after every write): no set to walk, no backfill to start. The walk
    // below would find nothing either; this skips its closures and generators.
    if (urgent === undefined && this.st.missing.items.size === 0 && !this.anyPeerMissing() && !this.backfillToStart()) return out;
    const consider = (soid: HObject): void => {
      if (out.length >= max) return;
      const k = objectKey(soid);
      if (this.inFlight.has(k)) return;
      const mine = missingGet(this.st.missing, soid);
      if (mine) {
        const from = this.pullSource(soid);
        if (from < 0) {
          this.unfoundKnown.add(k);
          return;
        }
        const task: RecoveryTask = { kind: 'pull', soid, version: mine.need, from };
        this.inFlight.set(k, { task, pending: new Set([from]) });
        out.push(task);
        return;
      }
      // Never push (or delete) what we cannot read ourselves: the primary misses it or is pulling it.
      if (this.pullOutstanding(soid)) return;
      const to: number[] = [];
      let version: EVersion = ZERO_VERSION;
      let del = false;
      for (const [o, ps] of this.peers) {
        if (ps.mode !== 'log') continue;
        const it = missingGet(ps.missing, soid);
        if (!it) continue;
        to.push(o);
        version = evMax(version, it.need);
        del = del || it.isDelete;
      }
      if (to.length === 0) return;
      const task: RecoveryTask = del ? { kind: 'delete', soid, version, to } : { kind: 'push', soid, version, to };
      this.inFlight.set(k, { task, pending: new Set(to) });
      out.push(task);
    };
    if (urgent) consider(urgent);
    // In recovery order, lazily (no sort of the whole set per call); objects in flight are skipped, and
    // so are objects found unfound before (we miss them: no pull, and no push or delete to a peer).
    // Each set's walk starts after the objects a previous walk found busy (see recoveryCursor).
    const busy = (k: string): boolean => this.inFlight.has(k) || this.unfoundKnown.has(k);
    const walk = (m: PgMissing): void => {
      let cursor = this.recoveryCursor.get(m);
      let prefix = true;
      for (const { key, rec } of missingAfter(m, cursor)) {
        if (out.length >= max) break;
        if (!busy(key)) consider(rec.soid);
        if (prefix && busy(key)) cursor = { key, soid: rec.soid, need: rec.item.need };
        else prefix = false;
      }
      if (cursor) this.recoveryCursor.set(m, cursor);
    };
    walk(this.st.missing);
    for (const ps of this.peers.values()) {
      if (ps.mode !== 'log' || out.length >= max) continue;
      walk(ps.missing);
    }
    // Backfill once log-based recovery is done (the primary pushes from its own store).
    if (this.st.missing.items.size === 0 && !this.anyPeerMissing() && this.inFlight.size === 0) {
      for (const [o, ps] of this.peers) {
        if (out.length >= max) break;
        if (ps.mode !== 'backfill' || this.backfillInFlight.has(o)) continue;
        this.backfillInFlight.add(o);
        out.push({ kind: 'backfill', to: o, from: ps.lastBackfill });
      }
    }
    if (out.length > 0) this.finish();
    return out;
  }

  /** Does the primary still miss soid, or wait for a pull of it? (A push or delete of it must wait.) */
  private pullOutstanding(soid: HObject): boolean {
    if (missingGet(this.st.missing, soid)) return true;
    return this.inFlight.get(objectKey(soid))?.task.kind === 'pull';
  }

  onObjectRecoveredLocally(soid: HObject, version: EVersion): void {
    if (this.unfoundKnown.size > 0) this.unfoundKnown.delete(objectKey(soid));
    if (missingGot(this.st.missing, soid, version)) {
      syncInfo(this.st);
      this.fx.dirty = true;
    }
    const k = objectKey(soid);
    const f = this.inFlight.get(k);
    if (f && f.task.kind === 'pull') this.inFlight.delete(k);
    this.reopen(k);
    this.checkRecovered();
    this.finish();
  }

  onPeerRecovered(osd: number, soid: HObject, version: EVersion): void {
    if (this.unfoundKnown.size > 0) this.unfoundKnown.delete(objectKey(soid));
    const ps = this.peers.get(osd);
    if (ps && ps.mode === 'log') missingGot(ps.missing, soid, version);
    const k = objectKey(soid);
    const f = this.inFlight.get(k);
    if (f && f.task.kind !== 'pull') {
      f.pending.delete(osd);
      if (f.pending.size === 0) this.inFlight.delete(k);
    }
    if (!this.inFlight.has(k)) this.reopen(k);
    this.checkRecovered();
    this.finish();
  }

  onRecoveryFailed(task: RecoveryTask): void {
    if (task.kind === 'backfill') this.backfillInFlight.delete(task.to);
    else {
      const k = objectKey(task.soid);
      if (this.inFlight.get(k)?.task === task) this.inFlight.delete(k);
      this.reopen(k);
    }
    this.finish();
  }

  onBackfillProgress(osd: number, upTo: HObject): void {
    this.forgetUnfound();
    const ps = this.peers.get(osd);
    // Progress of a backfill this peering round did not hand out (peering restarted) is stale.
    if (!ps || ps.mode !== 'backfill' || !this.backfillInFlight.has(osd)) return this.finish();
    if (cmpHObject(ps.lastBackfill, upTo) < 0) ps.lastBackfill = upTo;
    if (upTo.max) {
      // Ceph's backfill FINISH: the target takes our log and a complete last_backfill, and acks with
      // its info; only then is it a full replica (a pg_temp change before that would lose the news).
      this.backfillInFlight.delete(osd);
      ps.mode = 'backfillDone';
      ps.missing = emptyPgMissing();
      ps.common = this.st.info.lastUpdate;
      const pi = cloneInfo(this.st.info);
      this.sendTo(osd, { kind: 'log', pgid: this.pgid, info: pi, log: cloneLog(this.st.log), missing: emptyPgMissing(), pastIntervals: clonePastIntervals(this.pastIntervals), epochSent: this.epoch, queryEpoch: this.epoch });
    }
    this.finish();
  }

  // ---- effects -------------------------------------------------------------------------------------

  private finish(): void {
    const s = this.stateBits();
    if (s !== this.reportedState) {
      this.reportedState = s;
      this.fx.stateChanged = true;
      this.st.info.stats.state = s;
    }
  }

  takeEffects(): PeeringEffects {
    const fx = this.fx;
    if (effectsEmpty(fx)) return noEffects; // this.fx stays (empty) for the next change
    this.fx = emptyEffects();
    return fx;
  }

  /** For tests and logs: the internal phase name. */
  debugPhase(): string {
    return this.phase;
  }

  /** For tests: the primary's view of a peer (mode and missing count). */
  debugPeer(osd: number): { mode: string; missing: number; lastBackfill: HObject } | undefined {
    const ps = this.peers.get(osd);
    return ps ? { mode: ps.mode, missing: ps.missing.items.size, lastBackfill: ps.lastBackfill } : undefined;
  }
}

/** The peering core of one PG on OSD init.whoami. */
export type PeeringCoreDebug = PeeringCore & {
  debugPhase(): string;
  debugPeer(osd: number): { mode: string; missing: number; lastBackfill: HObject } | undefined;
};

/**
 * The peering core of one PG on OSD init.whoami. `logBounds` are Ceph's osd_min_pg_log_entries /
 * osd_max_pg_log_entries / osd_pg_log_trim_min (defaults: Ceph 16's).
 */
export function createPeeringCore(init: PeeringCoreInit, logBounds: PgLogBounds = defaultPgLogBounds): PeeringCoreDebug {
  assert(init.whoami >= 0, 'whoami is an OSD id');
  checkPgLogBounds(logBounds);
  return new PeeringCoreImpl(init, { ...logBounds });
}
