// The monitor's pure cores and how they meet: the quorum core (probing, election, Paxos, sync) and the
// Paxos services (monmap, osdmap, health, ...). Both are synchronous state machines: inputs are
// messages, ticks and commands with the time passed in; outputs are store transactions to persist,
// messages to send and values committed. The shell (mon/monitor.ts) does the I/O, in this order:
//   1. persist Ready.persist durably (it is already applied to the in-memory store the cores read);
//   2. then send Ready.send;
//   3. then refresh services for Ready.committed and answer what waited on those commits.
//
// Contract (written by the lead). Implementations:
//   mon/core/elector.ts, paxos.ts, quorum.ts  (Quorum: probing + election + Paxos + sync + leases)
//   mon/core/services/*.ts                      (MonServices and each PaxosService)
// Message field shapes below are the exact fields of Ceph's messages (src/messages/MMonPaxos.h,
// MMonElection.h, MMonProbe.h, MMonSync.h) in camelCase; msg/messages/ classes implement them.

import type { EntityAddrVec, PgId, UTime } from '../../common/osdmap/index.js';
import type { MonMap } from '../../common/monmap/types.js';
import type { MonStoreRead, MonStoreTx } from './store.js';
import type { MPGStats, PoolStat } from '../../msg/messages/pgstats.js';

// -------------------------------------------------------------------------------------------------
// Peer messages (mon <-> mon)

export const PaxosOp = { COLLECT: 1, LAST: 2, BEGIN: 3, ACCEPT: 4, COMMIT: 5, LEASE: 6, LEASE_ACK: 7 } as const;

export interface PaxosMessage {
  epoch: number; // election epoch
  op: number; // PaxosOp
  firstCommitted: number;
  lastCommitted: number;
  pnFrom: number;
  pn: number;
  uncommittedPn: number;
  leaseTimestamp: UTime;
  sentTimestamp: UTime;
  latestVersion: number;
  latestValue: Buffer;
  /** version -> encoded MonStoreTx */
  values: Map<number, Buffer>;
  featureMap: Buffer;
}

export const ElectionOp = { PROPOSE: 1, ACK: 2, NAK: 3, VICTORY: 4 } as const;

export interface ElectionMessage {
  fsid: string;
  op: number; // ElectionOp
  epoch: number;
  monmapBl: Buffer;
  quorum: number[]; // ranks, ascending
  quorumFeatures: bigint;
  monFeatures: bigint; // mon_feature_t
  monRelease: number;
  sharingBl: Buffer;
  scoringBl: Buffer;
  strategy: number;
  metadata: Map<string, string>;
}

export const ProbeOp = { PROBE: 1, REPLY: 2, SLURP: 3, SLURP_LATEST: 4, DATA: 5, MISSING_FEATURES: 6 } as const;

export interface ProbeMessage {
  fsid: string;
  op: number; // ProbeOp
  name: string;
  quorum: number[];
  leader: number; // -1 when unknown (Ceph 16 encodes it since v8)
  monmapBl: Buffer;
  paxosFirstVersion: number;
  paxosLastVersion: number;
  hasEverJoined: boolean;
  requiredFeatures: bigint;
  monRelease: number;
}

export const SyncOp = { GET_COOKIE_FULL: 1, GET_COOKIE_RECENT: 2, COOKIE: 3, GET_CHUNK: 4, CHUNK: 5, LAST_CHUNK: 6, NO_COOKIE: 8 } as const;

export interface SyncMessage {
  op: number; // SyncOp
  cookie: number; // u64
  lastCommitted: number;
  lastKey: [string, string]; // (prefix, key)
  chunkBl: Buffer; // an encoded MonStoreTx
  replyTo: unknown; // entity_inst_t in Ceph; unused by tsceph cores (kept for the wire)
}

export type PeerMessage =
  | { kind: 'paxos'; m: PaxosMessage }
  | { kind: 'election'; m: ElectionMessage }
  | { kind: 'probe'; m: ProbeMessage }
  | { kind: 'sync'; m: SyncMessage };

// -------------------------------------------------------------------------------------------------
// The quorum core

export type QuorumState = 'probing' | 'synchronizing' | 'electing' | 'leader' | 'peon' | 'shutdown';

export interface QuorumConfig {
  /** Ceph: mon_lease (5 s), mon_lease_renew_interval_factor (0.6), mon_lease_ack_timeout_factor (2). */
  leaseMs: number;
  leaseRenewIntervalMs: number;
  leaseAckTimeoutMs: number;
  /** mon_election_timeout (5 s); mon_accept_timeout_factor * lease (10 s); mon_probe_timeout (2 s). */
  electionTimeoutMs: number;
  acceptTimeoutMs: number;
  probeTimeoutMs: number;
  /** Paxos trimming: keep at least this many committed versions (paxos_min 500), trim in steps. */
  paxosMinVersions: number;
  paxosTrimMaxVersions: number;
  /** A peer this many versions behind (or behind our first_committed) syncs the whole store. */
  paxosMaxJoinDriftVersions: number;
  /** Sync chunk limits. */
  syncChunkBytesMax: number;
  syncChunkKeysMax: number;
}

export interface QuorumReady {
  /** Already applied to the store the cores read; the shell persists it durably before sending. */
  persist: MonStoreTx | null;
  send: Array<{ to: number; msg: PeerMessage }>;
  /** Paxos versions committed (applied) locally by this step, ascending: services refresh. */
  committed: number[];
  /** State changes, in order (for logs, the shell, and the services: leader / peon / electing ...). */
  events: QuorumEvent[];
}

export type QuorumEvent =
  | { kind: 'state'; state: QuorumState; electionEpoch: number; quorum: number[]; leader: number }
  | { kind: 'readable' } // lease valid (peon) or quorum active (leader): reads may be served
  | { kind: 'writeable' } // leader active and no proposal in flight: services may propose
  | { kind: 'synced' } // a store sync finished: the services must reload everything
  | { kind: 'log'; level: 'debug' | 'info' | 'warn'; text: string };

/**
 * One monitor's probing / election / Paxos / sync state machine. Ranks address peers (the shell maps a
 * rank to the monmap address). Time is passed in as milliseconds (the shell's monotonic clock plus the
 * wall clock for Paxos's lease timestamps, which Ceph puts on the wire).
 */
export interface Quorum {
  readonly rank: number;
  readonly state: QuorumState;
  readonly electionEpoch: number;
  readonly leader: number; // -1 when none
  readonly quorumRanks: readonly number[];
  /** Paxos versions committed here. */
  readonly firstCommitted: number;
  readonly lastCommitted: number;
  /** Start (or restart after a crash, reading the store): begins probing. */
  start(nowMs: number): QuorumReady;
  receive(fromRank: number, msg: PeerMessage, nowMs: number): QuorumReady;
  /** The shell calls this often (e.g. every 50-100 ms); the core checks its own deadlines. */
  tick(nowMs: number): QuorumReady;
  /** True while reads may be served: leader with quorum, or peon with a valid lease. */
  isReadable(nowMs: number): boolean;
  /** True when the leader may propose (active, nothing in flight). */
  isWriteable(): boolean;
  /** Leader only, isWriteable() required: propose one value (an encoded MonStoreTx). */
  propose(value: Buffer, nowMs: number): QuorumReady;
  /** A new monmap committed (ranks may have changed): adopt it. */
  setMonMap(monmap: MonMap, nowMs: number): QuorumReady;
}

// -------------------------------------------------------------------------------------------------
// Commands and services

/** A command as Ceph's CLI sends it: JSON object with "prefix" and named arguments. */
export type CmdValue = string | number | boolean | string[] | number[];
export type CmdMap = Record<string, CmdValue>;

/** The reply to a command: Ceph's MMonCommandAck (r, rs) plus the output buffer. */
export interface CommandReply {
  r: number; // 0 or -errno
  rs: string; // status text (goes to stderr in the CLI)
  out: Buffer; // output (stdout)
}

export type CommandOutcome =
  /** Answered now (reads, errors, no-ops). */
  | { kind: 'reply'; reply: CommandReply }
  /** Leader: the change is in the pending state; reply once the next proposal containing it commits. */
  | { kind: 'afterCommit'; reply: CommandReply }
  /** Peon: this command writes; forward it to the leader. */
  | { kind: 'forward' }
  /** Cannot answer yet (not readable, or leader busy): retry once readable / writeable. */
  | { kind: 'wait'; until: 'readable' | 'writeable' };

export interface MonContext {
  nowMs: number; // wall clock, ms since the epoch (for utime_t stamps)
  rank: number;
  isLeader: boolean;
  electionEpoch: number;
  quorumRanks: readonly number[];
  leader: number;
  monmap: MonMap;
  /** When each current quorum member joined (for `quorum_status`), and our start time. */
  quorumSinceMs: number;
}

export interface MonServicesConfig {
  /** mon_osd_down_out_interval (600 s), osd_heartbeat_grace (20 s), mon_osd_min_down_reporters (2),
   * mon_osd_reporter_subtree_level ("host"), mon_osd_report_timeout (900 s). */
  osdDownOutIntervalMs: number;
  osdHeartbeatGraceMs: number;
  osdMinDownReporters: number;
  osdReporterSubtreeLevel: string;
  osdReportTimeoutMs: number;
  /** osd_pool_default_size (3), min_size (0: size - size/2), pg_num (32), crush rule (-1: first). */
  poolDefaultSize: number;
  poolDefaultMinSize: number;
  poolDefaultPgNum: number;
  /** mon_max_pg_per_osd (250), mon_allow_pool_delete (false), mon_osdmap_full_prune... */
  maxPgPerOsd: number;
  allowPoolDelete: boolean;
  /** Keep this many old osdmap epochs (mon_min_osdmap_epochs, 500). */
  minOsdmapEpochs: number;
}

/** A subscription reply: what a subscriber that has `have` (0: nothing) should receive. */
export interface OsdMapUpdate {
  fsid: string;
  /** epoch -> encoded full map, epoch -> encoded incremental (Ceph's MOSDMap maps/incremental_maps) */
  maps: Map<number, Buffer>;
  incrementalMaps: Map<number, Buffer>;
  oldest: number; // cluster_osdmap_trim_lower_bound
  newest: number;
}

/** An MOSDPGTemp's content: the sender's map epoch and the wanted mappings (an empty list removes one). */
export interface PgTempRequest {
  mapEpoch: number;
  pgTemp: Array<{ pgid: PgId; osds: number[] }>;
  forced: boolean;
}

/** A PG an OSD must create (Ceph's MOSDPGCreate2 entry): the pool's creation epoch and time. */
export interface PgCreateInfo {
  pool: number;
  seed: number;
  created: number; // epoch
  createdStampMs: number;
}

/**
 * All Paxos services of one monitor. Reads come from the store after each commit (`refresh`), so every
 * monitor answers reads from the same committed state; only the leader changes pending state.
 */
export interface MonServices {
  /** At start, after a sync, and after each commit: reload committed state from the store. */
  refresh(store: MonStoreRead, ctx: MonContext): void;
  /** Leader, once after winning an election on an empty store: the initial maps (Ceph's create_initial). */
  createInitial(ctx: MonContext): MonStoreTx;
  /** Leader: gather every service's pending changes into one transaction (null: nothing pending). */
  encodePending(ctx: MonContext): MonStoreTx | null;
  /** A command from a client (or forwarded from a peon). */
  handleCommand(cmd: CmdMap, inbl: Buffer, ctx: MonContext): CommandOutcome;
  /** Leader: failure grace, down -> out after the interval, report timeouts. */
  tick(ctx: MonContext): void;
  /** OSD messages (MOSDBoot, MOSDFailure, MOSDMarkMeDown, MOSDAlive ...), leader only for changes. */
  handleOsdBoot(osd: number, addrs: { public: EntityAddrVec; cluster: EntityAddrVec; hbBack: EntityAddrVec; hbFront: EntityAddrVec }, sbEpoch: number, features: bigint, ctx: MonContext): CommandOutcome;
  /** `immediate`: MOSDFailure's FLAG_IMMEDIATE (the target refused connections): down at once, as Ceph's force_failure. */
  handleOsdFailure(target: number, reporter: number, failedForMs: number, isFailed: boolean, ctx: MonContext, immediate?: boolean): void;
  handleOsdMarkMeDown(osd: number, ctx: MonContext): CommandOutcome;
  /** MOSDAlive: the OSD needs up_thru >= want (its PGs wait in WaitUpThru until a map records it). */
  handleOsdAlive(osd: number, want: number, ctx: MonContext): CommandOutcome;
  /** MOSDPGCreated: a PG of a creating pool exists (the pool's flag clears when all have). */
  handlePgCreated(osd: number, pgid: PgId, ctx: MonContext): CommandOutcome;
  /**
   * MOSDPGTemp from `osd` (its public addrs when the sender is known directly): r < 0 ignored (nothing
   * back), r = 0 reply (now or after the commit) is the osdmap from the request's epoch; a peon gets
   * `forward` when the leader must change the map.
   */
  handlePgTemp(osd: number, addrs: EntityAddrVec | null, req: PgTempRequest, ctx: MonContext): CommandOutcome;
  /** Committed epochs for subscribers. */
  osdmapEpoch(): number;
  /** Incrementals from have + 1 (a full map first when have + 1 is no longer kept), at most maxMaps. */
  osdmapUpdatesFor(have: number, maxMaps: number): OsdMapUpdate;
  /** The newest full map alone (a subscription from epoch 0). */
  osdmapLatestFull(): OsdMapUpdate;
  /** The PGs of pools still being created whose acting primary is `osd` in the committed map. */
  osdPgCreates(osd: number, nowMs: number): PgCreateInfo[];
  monmapEpoch(): number;
  encodedMonMap(): Buffer;
  /**
   * Leader: an OSD's MPGStats (mon/core/services/pgmap.ts). The reply's out holds the encoded ack
   * entries (MPGStatsAck's map); afterCommit until the write holding the report is committed.
   */
  handlePgStats(osd: number, m: MPGStats, ctx: MonContext): CommandOutcome;
  /** MGetPoolStats: pool_stat_t per known pool name, from the committed PGMap. */
  poolStats(names: readonly string[], ctx: MonContext): { stats: Map<string, PoolStat>; perPool: boolean; version: number };
  /** MStatfs: the cluster's space in KiB and its object count (ceph_statfs). */
  clusterStatfs(ctx: MonContext, dataPool?: number | null): { kb: number; kbUsed: number; kbAvail: number; numObjects: number; version: number };
}
