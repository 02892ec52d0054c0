// CONTRACT between the per-PG peering core (osd/core/peering.ts, pure) and the OSD shell (osd/pg.ts,
// osd/osd.ts) that feeds it maps and messages and executes what it decides. Written by the lead before
// the OSD work was split; the implementer may add members (say so in the commit), not change these.
//
// The core follows Ceph's doc/dev/peering.rst and src/osd/PeeringState.cc: on every new interval the
// primary builds the prior set from the past intervals, queries infos (GetInfo), picks the
// authoritative log and fetches it (GetLog), learns each peer's missing set (GetMissing), waits for
// up_thru (NeedUpThru), and activates the replicas (MOSDPGLog with info, log and missing); replicas
// answer with their info; the primary then recovers missing objects from the log (push to replicas,
// pull to itself), backfills peers whose logs do not reach the authoritative log's tail, and goes
// clean. Divergent entries (past the authoritative head, or on a branch the authoritative log does not
// have) are rewound: their objects become missing at the authoritative version (or deleted).
//
// Everything here is synchronous and deterministic: no clock (times come in as arguments), no
// randomness, no I/O. Messages are plain objects shaped as Ceph's peering messages; the shell turns
// them into MOSDPGQuery2 / MOSDPGNotify2 / MOSDPGInfo2 / MOSDPGLog / MOSDPGTrim (msg/messages/pg.ts).

import type { UTime } from '../../common/osdmap/index.js';
import type { EVersion, HObject, SpgId } from '../../msg/messages/osdop.js';
import type {
  PastIntervals, PgHistory, PgInfo, PgLog, PgLogEntry, PgMissing, PgStateBits,
} from '../../msg/messages/pgtypes.js';

/** What the core needs from one OSDMap epoch, for its PG (the shell computes it with common/osdmap). */
export interface PgMapView {
  epoch: number;
  /** false once the pool is deleted: the PG must be removed. */
  poolExists: boolean;
  poolSize: number;
  poolMinSize: number;
  /** Pool's pg_num at this epoch (a change is a new interval; splitting is not supported yet). */
  pgNum: number;
  up: number[];
  upPrimary: number;
  acting: number[];
  actingPrimary: number;
  /** Is osd N up in this epoch. */
  isUp(osd: number): boolean;
  /** osd N's up_thru in this epoch (0 if none). */
  upThru(osd: number): number;
  /** Is osd N marked lost? Ceph's lost_at > interval.first makes a down peer not block peering. */
  lostAt(osd: number): number;
}

/** pg_query_t types. */
export const PgQueryType = { INFO: 0, LOG: 1, MISSING: 4, FULLLOG: 5 } as const;

export type PeeringMessage =
  /** MOSDPGQuery2 (pg_query_t): ask a peer for its info, its log since `since`, or all of it. */
  | { kind: 'query'; pgid: SpgId; type: number; since: EVersion; history: PgHistory; epochSent: number }
  /** MOSDPGNotify2 (pg_notify_t): a peer's info (reply to an INFO query, or unsolicited from a stray). */
  | { kind: 'notify'; pgid: SpgId; info: PgInfo; pastIntervals: PastIntervals; epochSent: number; queryEpoch: number }
  /** MOSDPGLog: info + log + missing (reply to a LOG query, or the primary activating a replica). */
  | { kind: 'log'; pgid: SpgId; info: PgInfo; log: PgLog; missing: PgMissing; pastIntervals: PastIntervals; epochSent: number; queryEpoch: number }
  /** MOSDPGInfo2: a replica's info after activating, or the primary's info update. */
  | { kind: 'info'; pgid: SpgId; info: PgInfo; pastIntervals: PastIntervals; epochSent: number; queryEpoch: number }
  /** MOSDPGTrim: the primary tells replicas they may trim their logs up to `trimTo`. */
  | { kind: 'trim'; pgid: SpgId; trimTo: EVersion; epochSent: number };

/** The part of a PG that must survive a restart (written to the PG's meta object by the shell). */
export interface PgPersistent {
  info: PgInfo;
  pastIntervals: PastIntervals;
  log: PgLog;
  missing: PgMissing;
  /** The last map epoch this PG processed. */
  epoch: number;
}

/** Log changes to persist, in this order: rewind (drop entries after `rewindTo`), append, trim. */
export interface PgLogDelta {
  rewindTo?: EVersion;
  append: PgLogEntry[];
  trimTo?: EVersion;
}

/** Recovery work the core hands the shell; the shell reports completion with the on* calls. */
export type RecoveryTask =
  /** Primary has the object at `version`: copy it whole to these peers (MOSDPGPush). */
  | { kind: 'push'; soid: HObject; version: EVersion; to: number[] }
  /** Primary lacks it: fetch from `from`, which has `version` (MOSDPGPull). */
  | { kind: 'pull'; soid: HObject; version: EVersion; from: number }
  /** The object was deleted at `version`: delete it on these peers (MOSDPGRecoveryDelete). */
  | { kind: 'delete'; soid: HObject; version: EVersion; to: number[] }
  /** Backfill `to` (its last_backfill is `from`): copy every object sorting after `from`, remove its extras. */
  | { kind: 'backfill'; to: number; from: HObject };

/** What the core decided since the last takeEffects(). */
export interface PeeringEffects {
  send: Array<{ to: number; msg: PeeringMessage }>;
  /** Info / past intervals / missing changed: persist persistentState() parts (with logDelta). */
  dirty: boolean;
  logDelta: PgLogDelta;
  /** Local objects to remove or roll back because their log entries were divergent (then missing). */
  rewoundObjects: HObject[];
  /** Ask the monitors for up_thru >= this epoch (MOSDAlive). */
  needUpThru?: number;
  /** Ask the monitors for this pg_temp (MOSDPGTemp); [] clears it. */
  wantPgTemp?: number[];
  /** The PG's pool is gone or this OSD no longer holds it: delete its collection. */
  removePg: boolean;
  /** State changed (report PG stats soon). */
  stateChanged: boolean;
  /** Client ops waiting on peering may now run (the PG became active). */
  activated: boolean;
}

export interface PeeringCoreInit {
  pgid: SpgId;
  whoami: number;
  /** Existing PG read back from the store, or undefined for a new PG. */
  persistent?: PgPersistent;
  /** For a new PG: the epoch it was created in (MOSDPGCreate2's `created`, or the epoch this OSD first maps it). */
  createdEpoch?: number;
  /** The pool's creation epoch (pg_history_t.epoch_pool_created). */
  poolCreatedEpoch?: number;
}

/** One PG's peering state machine. */
export interface PeeringCore {
  readonly pgid: SpgId;
  /** Feed every map epoch in order (the shell holds all maps since the PG's last epoch). */
  advanceMap(view: PgMapView): void;
  /** After a batch of advanceMap calls: start peering if the interval changed (Ceph's ActMap). */
  activateMap(now: UTime): void;
  /** A peering message from osd `from`. Stale ones (epochSent before the interval) are ignored. */
  handleMessage(from: number, msg: PeeringMessage, now: UTime): void;

  // ---- state ----
  stateBits(): PgStateBits;
  /** "active+clean", "peering", ... as Ceph's pg_state_string. */
  stateString(): string;
  isPrimary(): boolean;
  isActive(): boolean;
  /** The acting set and primary of the current interval. */
  acting(): number[];
  up(): number[];
  info(): PgInfo;
  persistentState(): PgPersistent;

  // ---- the write path ----
  /** Primary: the version the next log entry gets (epoch = current map epoch, version = head + 1). */
  nextVersion(): EVersion;
  /**
   * Primary and replicas: an op's log entry is being applied (in the same store transaction as its
   * data). Advances last_update (and last_complete when nothing is missing).
   */
  appendLogEntry(entry: PgLogEntry): void;
  /** Primary: every acting member committed up to `v` (advances min_last_complete_ondisk, may trim). */
  committedEverywhere(v: EVersion): void;
  /** Is this object missing (primary) or missing on some acting peer: recover before a write. */
  isMissingOrDegraded(soid: HObject): boolean;
  /** Missing on the primary itself: recover before a read. */
  isMissingLocally(soid: HObject): boolean;
  /** Peers (besides self) that must receive each write: acting plus backfill targets that have passed soid. */
  writeTargets(soid: HObject): number[];

  // ---- recovery ----
  /** Up to `max` tasks not yet handed out; a high-priority `soid` (a blocked op's) goes first. */
  takeRecoveryTasks(max: number, urgent?: HObject): RecoveryTask[];
  /** This OSD now holds soid at version (pull finished, or a push received on a replica). */
  onObjectRecoveredLocally(soid: HObject, version: EVersion): void;
  /** Peer `osd` now holds soid at version (its push reply arrived), or deleted it. */
  onPeerRecovered(osd: number, soid: HObject, version: EVersion): void;
  /** A recovery task failed (peer gone, read error); the core re-queues it. */
  onRecoveryFailed(task: RecoveryTask): void;
  /** Backfill progress: `osd` now has every object up to and including `upTo` (max = done). */
  onBackfillProgress(osd: number, upTo: HObject): void;

  takeEffects(): PeeringEffects;
}
