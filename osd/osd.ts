// The OSD daemon shell (Ceph's src/osd/OSD.cc, the parts around the PGs): one messenger for monitors,
// peer OSDs and clients, the MonClient session, the OSDMap history kept in the store's meta collection,
// the OSD superblock, boot and re-boot, heartbeats and failure reports, up_thru and pg_temp requests,
// PG stats, and the registry of PGs (osd/pg.ts) that maps, client ops and peer messages are routed to.
//
// Walk-through (docs/osd.md has the long form):
//   1. start: read the superblock (whoami and fsid checked), load the kept maps and the PGs on disk,
//      bind the messenger in [portMin, portMax], open the monitor session, subscribe to the osdmap from
//      newest + 1 and to osd_pg_creates.
//   2. boot: once the crush location is set (osd crush create-or-move, as Ceph's
//      osd_crush_update_on_start) and a map is known, send MOSDBoot (resent while booting); a map that
//      shows us up at our address makes us active; a later map that shows us down (or up elsewhere)
//      while we run means we were wrongly marked down: as Ceph, rebind the messenger first (a new nonce
//      and port; every peer session is marked down), then boot again at the new address, so peers
//      see a new OSD instance and never resume or reset a session of the old one.
//   3. maps: each MOSDMap's epochs are applied in order (full maps or incrementals on the previous
//      encoding), written to meta (osdmap.N, inc_osdmap.N, the superblock) in one transaction, then fed
//      to every PG (advanceMap per epoch, activateMap once); then the registry is brought in line with
//      the newest map (PGs we are up/acting for are created, PGs of deleted pools removed), heartbeat
//      peers are recomputed and ops that waited for the map or the PG are retried.
//   4. ops: a client op newer than our map waits (bounded) for it; one for a PG we are not the acting
//      primary of is dropped (the client resends on its newer map, as with Ceph); one for a PG still
//      being created waits for it. Peer messages go to their PG (created on demand).
//   5. stop: MOSDMarkMeDown with request_ack, wait (bounded) for the ack, close the PGs, shut down.
//
// All mutations of the map history and the PG registry run on one promise chain (`serial`), so a map
// batch, a PG creation and a PG removal never interleave.

import { hostname } from 'node:os';
import { randomInt } from 'node:crypto';

import type { CephConfig } from '../common/config.js';
import { addrHostPort } from '../common/entityaddr.js';
import { CephError } from '../common/errors.js';
import { qd1Stamp, qd1Trace } from '../common/qd1trace.js';
import {
  OSDMap, PACIFIC_FEATURES, PlacementWork, UpActing, applyIncremental, applyIncrementalChecked, decodeIncremental,
  decodeOSDMap, encodeOSDMap, formatAddrVec, pgToUpActingOsdsInto, type EntityAddrVec, type PgId, type UTime,
} from '../common/osdmap/index.js';
import { Decoder, Encoder } from '../common/encoding.js';
import { MonClient } from '../mon/client/index.js';
import {
  EntityType, MOSDAlive, MOSDBoot, MOSDFailure, MOSDMap, MOSDMarkMeDown, MOSDOp, MOSDPGTemp, MPing, Policies,
  createMessenger, decodeOSDSuperblock, encodeOSDSuperblock, newOSDSuperblock,
  type Connection, type Dispatcher, type Logger, type Message, type Messenger, type OSDSuperblock, type PgStat, type Transport,
} from '../msg/index.js';
import { MOSDPGCreate2 } from '../msg/messages/pgcreate.js';
import { MOSDPGCreated } from '../msg/messages/pgcreated.js';
import { MPGStats, emptyOsdStat, emptyStoreStatfs, type StoreStatfs } from '../msg/messages/pgstats.js';
import { MOSDPing, PingOp } from '../msg/messages/pg.js';
import { Heartbeat, HEARTBEAT_GRACE_MS, HEARTBEAT_INTERVAL_MS, type HeartbeatWire, type PingInfo } from './heartbeat.js';
import { META_COLLECTION, Transaction, makeObject, pgCollection, type GHObject, type ObjectStore } from './objectstore/types.js';
import type { PgHandle, PgHost } from './pg-api.js';
import { ClientOpHolds } from './client-holds.js';
import { PG, listStoredPgs } from './pg.js';

// ---- limits ----------------------------------------------------------------------------------------

/** Epochs of maps kept in the store and in memory (Ceph's monitors keep mon_min_osdmap_epochs 500). */
export const MAPS_KEEP_EPOCHS = 500;
/** Decoded maps cached (Ceph's osd_map_cache_size is 50). */
export const MAP_CACHE_DECODED_MAX = 50;
/**
 * A PG created here is fed the held maps since its created epoch (the peering core builds past intervals
 * from them), at most this many before the current one: fewer than the decoded-map cache holds, so a
 * batch of creates decodes each epoch once.
 */
export const PG_CREATE_PAST_EPOCHS_MAX = 40;
/** PGs that removed themselves, remembered so their late peer messages do not recreate them. */
export const REMOVED_PGS_REMEMBERED_MAX = 4096;
const PRIMARY_UNKNOWN = -2;
/** Old map epochs removed per map batch (Ceph's osd_target_transaction_size bounds its trims). */
export const MAP_TRIM_PER_BATCH_MAX = 64;
/** Client ops and peer messages held while waiting for a map or a PG. */
export const WAITING_OPS_MAX = 4096;
export const WAITING_PEER_MESSAGES_MAX = 4096;
/** A held op older than this is dropped (the client's op timeout and resend take over). */
export const WAITING_OP_AGE_MAX_MS = 60000;
/** Boot, MOSDAlive and pg_temp requests are resent at this interval while not satisfied. */
export const BOOT_RESEND_MS = 5000;
export const ALIVE_RESEND_MS = 2000;
export const PGTEMP_RESEND_MS = 5000;
/** How often changed PG stats are reported, and how often at the latest when nothing changed
 * (Ceph's osd_mon_report_interval, 5 s). */
export const STATS_INTERVAL_MS = 1000;
export const STATS_REPORT_MAX_MS = 5000;
/** Ceph's osd_mon_shutdown_timeout: how long stop() waits for the mark-me-down ack. */
export const MARK_DOWN_TIMEOUT_MS = 5000;
/** The daemon's housekeeping timer. */
export const OSD_TICK_MS = 100;
/**
 * Bytes of client messages the OSD holds until their ops are answered (Ceph's osd_client_message_size_cap,
 * 500 MiB there; osd/client-holds.ts). Sized for memory (docs/memory.md): 6 x 4 MiB writes, with the
 * MOSDRepOps a replica holds for other primaries outside it. 0: no budget.
 */
export const CLIENT_MESSAGE_BYTES_MAX = 24 * 1024 * 1024;
/** Client messages the OSD holds until answered (Ceph's osd_client_message_cap, the same 256). */
export const CLIENT_MESSAGES_MAX = 256;
/** Ceph's osd_heartbeat_min_peers: neighbours pinged beside the PG peers. */
export const HEARTBEAT_MIN_PEERS = 10;
/** A PG whose creation failed is not tried again before this. */
export const PG_CREATE_RETRY_MS = 5000;
/** How long boot waits for `osd crush create-or-move` before booting anyway. */
export const CRUSH_UPDATE_TIMEOUT_MS = 10000;

// ---- the store layout of the OSD's own objects (Ceph's names) ----------------------------------------

/** OSD_SUPERBLOCK_GOBJECT: meta/osd_superblock (pool -1, snap 0). */
export const SUPERBLOCK_OBJECT: GHObject = makeObject(-1, 'osd_superblock', 0, { snap: 0 });

export function osdmapObject(epoch: number): GHObject {
  return makeObject(-1, `osdmap.${epoch}`, 0, { snap: 0 });
}

export function incOsdmapObject(epoch: number): GHObject {
  return makeObject(-1, `inc_osdmap.${epoch}`, 0, { snap: 0 });
}

/** The superblock as stored (a versioned OSDSuperblock, msg/messages/osd.ts). */
export function encodeSuperblockObject(sb: OSDSuperblock): Buffer {
  const e = new Encoder(256);
  encodeOSDSuperblock(e, sb);
  return e.toBuffer();
}

/** Read this store's OSD superblock; ENOENT when it has none (not an OSD's store, or no --mkfs). */
export async function readOsdSuperblock(store: ObjectStore): Promise<OSDSuperblock> {
  if (!(await store.collectionExists(META_COLLECTION)) || !(await store.exists(META_COLLECTION, SUPERBLOCK_OBJECT))) {
    throw new CephError('ENOENT', 'no OSD superblock in this store (run ceph-osd --mkfs first)');
  }
  const st = await store.stat(META_COLLECTION, SUPERBLOCK_OBJECT);
  const bytes = await store.read(META_COLLECTION, SUPERBLOCK_OBJECT, 0, st.size);
  const d = new Decoder(bytes, 'osd_superblock');
  return decodeOSDSuperblock(d);
}

/** Ceph's OSD::mkfs after the store's own mkfs: the meta collection and the superblock. */
export async function mkfsOsd(store: ObjectStore, who: { whoami: number; clusterFsid: string; osdFsid: string }): Promise<OSDSuperblock> {
  if (await store.collectionExists(META_COLLECTION)) {
    const old = await readOsdSuperblock(store).catch(() => null);
    if (old) {
      if (old.whoami !== who.whoami || old.clusterFsid !== who.clusterFsid) {
        throw new CephError('EEXIST', `the store already holds osd.${old.whoami} of cluster ${old.clusterFsid}`);
      }
      return old; // Ceph's mkfs on an existing OSD of the same identity is a no-op
    }
  }
  const sb = newOSDSuperblock();
  sb.whoami = who.whoami;
  sb.clusterFsid = who.clusterFsid;
  sb.osdFsid = who.osdFsid;
  const t = new Transaction();
  if (!(await store.collectionExists(META_COLLECTION))) t.createCollection(META_COLLECTION, 0);
  t.write(META_COLLECTION, SUPERBLOCK_OBJECT, 0, encodeSuperblockObject(sb));
  await store.queueTransaction(t);
  return sb;
}

// ---- the PG factory (osd/pg.ts; tests may pass their own) ---------------------------------------------

export interface PgFactory {
  create(host: PgHost, pgid: PgId, createdEpoch: number, poolCreatedEpoch: number): Promise<PgHandle>;
  load(host: PgHost, pgid: PgId): Promise<PgHandle>;
  listStored(store: ObjectStore): Promise<PgId[]>;
}

export const defaultPgFactory: PgFactory = {
  create: (host, pgid, created, poolCreated) => PG.create(host, pgid, created, poolCreated),
  load: (host, pgid) => PG.load(host, pgid),
  listStored: (store) => listStoredPgs(store),
};

/**
 * Ceph's heartbeat wire: MOSDPing PING carrying the sender's stamps, answered by PING_REPLY echoing
 * them (src/osd/OSD.cc handle_osd_ping). `who` gives the fields the sender fills from its own state.
 */
export function mosdPingWire(who: () => { fsid: string; upFrom: number }): HeartbeatWire {
  const stamp = (ms: number): { sec: number; nsec: number } => ({ sec: Math.floor(ms / 1000), nsec: (ms % 1000) * 1e6 });
  const build = (op: number, epoch: number, stampMs: number): MOSDPing => {
    const m = new MOSDPing();
    const w = who();
    m.fsid = w.fsid;
    m.upFrom = w.upFrom;
    m.mapEpoch = epoch;
    m.op = op;
    m.pingStamp = stamp(stampMs);
    m.monoPingStamp = stamp(stampMs);
    m.monoSendStamp = stamp(stampMs);
    return m;
  };
  return {
    ping: (epoch, stampMs) => build(PingOp.PING, epoch, stampMs),
    reply: (p, epoch) => build(PingOp.PING_REPLY, epoch, p.stampMs),
    read: (m) => {
      if (!(m instanceof MOSDPing)) return null;
      const stampMs = m.monoPingStamp.sec * 1000 + Math.floor(m.monoPingStamp.nsec / 1e6);
      if (m.op === PingOp.PING) return { kind: 'ping', stampMs, epoch: m.mapEpoch };
      if (m.op === PingOp.PING_REPLY) return { kind: 'reply', stampMs, epoch: m.mapEpoch };
      return { kind: 'other', stampMs, epoch: m.mapEpoch };
    },
  };
}

/** A heartbeat wire over MPing: no replies, every ping received is the sender's sign of life. */
export const mpingHeartbeatWire: HeartbeatWire = {
  ping: () => new MPing(),
  reply: () => null,
  read: (m) => (m instanceof MPing ? { kind: 'reply', stampMs: 0, epoch: 0 } : null),
};

/** MPGStats (or whatever carries PG stats to the monitors): built by the caller's wiring. */
export type StatsMessageBuilder = (args: { fsid: string; epoch: number; stats: ReadonlyMap<string, { pgid: PgId; stat: PgStat }> }) => Message | null;

export interface OsdOptions {
  whoami: number;
  /** Mounted, with the OSD superblock (mkfsOsd). The caller umounts it after stop(). */
  store: ObjectStore;
  /** Where the monitors are: a config (mon_host) or address vectors. */
  config?: CephConfig;
  monAddrs?: EntityAddrVec[];
  log?: Logger;
  bindHost?: string;
  portMin?: number;
  portMax?: number;
  nonce?: number;
  heartbeatIntervalMs?: number;
  heartbeatGraceMs?: number;
  heartbeatWire?: HeartbeatWire;
  statsIntervalMs?: number;
  statsMessage?: StatsMessageBuilder;
  markDownTimeoutMs?: number;
  /** osd_crush_update_on_start (default true): set our crush location before booting. */
  crushUpdateOnStart?: boolean;
  /** Crush location words (default host=<short hostname> root=default). */
  crushLocation?: string[];
  /** Crush weight (default: the store's size in TiB, as Ceph). */
  crushWeight?: number;
  pgFactory?: PgFactory;
  mapsKeepEpochs?: number;
  /** MOSDBoot metadata beside the defaults. */
  metadata?: Map<string, string>;
  /** The messenger's transport (msg/transport.ts; TCP when omitted): a simulation passes its own. */
  transport?: Transport;
  /** The host name for the crush location and boot metadata (os.hostname() when omitted). */
  hostname?: string;
  /** osd_client_message_size_cap / osd_client_message_cap (CLIENT_MESSAGE_BYTES_MAX, CLIENT_MESSAGES_MAX); 0 bytes: no budget. */
  clientMessageBytesMax?: number;
  clientMessagesMax?: number;
  /** Randomness for the messenger's cookies and the MonClient's hunting (crypto / Math.random when omitted). */
  randomU64?: () => bigint;
  random?: () => number;
}

export type OsdState = 'booting' | 'active' | 'stopping' | 'stopped';

interface WaitingOp {
  m: MOSDOp;
  conn: Connection;
  sinceMs: number;
}

interface WaitingPeerMessage {
  from: number;
  m: Message;
  pgid: PgId;
  key: string;
  epoch: number;
  sinceMs: number;
}

const noLog: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function pgKey(pgid: PgId): string {
  return `${pgid.pool}.${(pgid.seed >>> 0).toString(16)}`;
}

function sameAddrs(a: EntityAddrVec | undefined, b: EntityAddrVec): boolean {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.type !== y.type || x.nonce !== y.nonce || x.family !== y.family || !x.sockaddr.equals(y.sockaddr)) return false;
  }
  return true;
}

function nowUTime(): UTime {
  const ms = Date.now();
  return { sec: Math.floor(ms / 1000), nsec: (ms % 1000) * 1e6 };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function asPgId(v: unknown): PgId | null {
  if (!isRecord(v)) return null;
  if (typeof v.pool === 'number' && typeof v.seed === 'number') return { pool: v.pool, seed: v.seed };
  if (isRecord(v.pgid)) return asPgId(v.pgid);
  return null;
}

/** The PG a peer message is about: its spgid / pgid field (Ceph's messages all carry one). */
export function peerMessagePgid(m: Message): PgId | null {
  const r = m as unknown as Record<string, unknown>;
  for (const f of ['spgid', 'pgid', 'pgId']) {
    const p = asPgId(r[f]);
    if (p) return p;
  }
  for (const f of ['info', 'notify', 'query']) {
    const sub = r[f];
    if (isRecord(sub)) {
      const p = asPgId(sub.pgid);
      if (p) return p;
    }
  }
  return null;
}

/** The map epoch a peer message was sent at (map_epoch / epoch_sent), 0 when it has none. */
export function peerMessageEpoch(m: Message): number {
  const r = m as unknown as Record<string, unknown>;
  for (const f of ['mapEpoch', 'epochSent', 'mapEpochSent', 'epoch']) {
    const v = r[f];
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  }
  return 0;
}

export class OSD implements PgHost, Dispatcher {
  readonly whoami: number;
  readonly store: ObjectStore;
  readonly logger: Logger;
  private readonly opts: OsdOptions;
  private readonly pgFactory: PgFactory;
  private readonly hbWire: HeartbeatWire;
  private readonly heartbeat: Heartbeat;
  private readonly mapsKeep: number;
  private msgr: Messenger | null = null;
  private monc: MonClient | null = null;
  private sb: OSDSuperblock = newOSDSuperblock();
  private stateValue: OsdState = 'booting';

  // Map history: encoded full maps of the kept epochs, a cache of decoded ones, the current map.
  private readonly fullMaps = new Map<number, Buffer>();
  private readonly decoded = new Map<number, OSDMap>();
  private map: OSDMap = new OSDMap();
  private readonly poolSeen = new Map<number, number>();

  // PG registry.
  private readonly pgs = new Map<string, PgHandle>();
  private readonly createFailedMs = new Map<string, number>();
  private readonly creatingForPeers = new Set<string>();
  private readonly peerConns = new Map<number, { conn: Connection; addrs: EntityAddrVec }>();
  private readonly work = new PlacementWork();
  private readonly ua = new UpActing();
  // Acting primary per PG for the current map, filled on first use (the op path does no CRUSH work
  // after a PG's first op of an epoch): pool id -> per-seed primary, PRIMARY_UNKNOWN until computed.
  private primaryCacheMap: OSDMap | null = null;
  private readonly primaryCache = new Map<number, Int32Array>();
  // PGs that deleted themselves (PgHost.pgRemoved): not recreated for a peer's message unless the map
  // maps them here again.
  private readonly removedPgs = new Set<string>();

  // Waiting work.
  private waitingOps: WaitingOp[] = [];
  private waitingPeer: WaitingPeerMessage[] = [];
  private serial: Promise<void> = Promise.resolve();

  // Monitor requests.
  private crushDone = false;
  private bootSentMs = 0;
  /** A rebind after a wrong mark-down is under way: no boot and no peer messages until it is done. */
  private rebinding = false;
  /** Our MOSDBoot went out while the map showed an older instance of us up: the monitors mark that one down first. */
  private bootSentUpElsewhere = false;
  /** Some epoch showed us up at our address, and (markedDownSinceUp) a later one did not. */
  private seenUpHere = false;
  private markedDownSinceUp = false;
  private bootEpoch = 0;
  private upThruWanted = 0;
  private aliveSentMs = 0;
  private aliveSentWant = 0;
  private readonly pgTempWanted = new Map<string, { pgid: PgId; osds: number[] }>();
  private pgTempSentMs = 0;
  private readonly statsDirty = new Set<string>();
  private statsSentMs = 0;
  private statsSeq = 0;
  private statfs: StoreStatfs = emptyStoreStatfs();
  private statfsBusy = false;
  private markDownAck: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stoppedPromise: Promise<void> | null = null;
  /** Holds on client ops' received bytes until they are answered (null: no client budget). */
  readonly clientHolds: ClientOpHolds | null;
  /** Counters for tests and logs. */
  readonly counters = {
    mapsApplied: 0, bootsSent: 0, failuresSent: 0, cancelsSent: 0, opsDropped: 0, pgsCreated: 0, pgsRemoved: 0,
    pgCreateMessages: 0, pingsAnswered: 0, pingRepliesReceived: 0,
  };

  constructor(opts: OsdOptions) {
    this.opts = opts;
    this.whoami = opts.whoami;
    this.store = opts.store;
    this.logger = opts.log ?? noLog;
    this.pgFactory = opts.pgFactory ?? defaultPgFactory;
    this.hbWire = opts.heartbeatWire ?? mosdPingWire(() => ({ fsid: this.sb.clusterFsid, upFrom: this.bootEpoch }));
    this.heartbeat = new Heartbeat({
      intervalMs: opts.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS,
      graceMs: opts.heartbeatGraceMs ?? HEARTBEAT_GRACE_MS,
    });
    this.mapsKeep = Math.max(2, opts.mapsKeepEpochs ?? MAPS_KEEP_EPOCHS);
    this.clientHolds = (opts.clientMessageBytesMax ?? CLIENT_MESSAGE_BYTES_MAX) > 0 ? new ClientOpHolds() : null;
  }

  get state(): OsdState {
    return this.stateValue;
  }

  get superblock(): OSDSuperblock {
    return this.sb;
  }

  /** Our public (and cluster) addresses, after start. */
  get addrs(): EntityAddrVec {
    return this.msgr?.myAddrs ?? [];
  }

  /** The PGs held, by "pool.seed" (hex seed, as Ceph prints pgids). */
  pgIds(): string[] {
    return [...this.pgs.keys()].sort();
  }

  heartbeatPeers(): number[] {
    return this.heartbeat.peerIds();
  }

  // ---- start ----------------------------------------------------------------------------------------

  async start(): Promise<void> {
    this.sb = await readOsdSuperblock(this.store);
    if (this.sb.whoami !== this.whoami) {
      throw new CephError('EINVAL', `OSD id ${this.whoami} does not match the store's whoami ${this.sb.whoami}: this device belongs to osd.${this.sb.whoami}`);
    }
    await this.loadMaps();
    const nonce = this.opts.nonce ?? randomInt(1, 0x7fffffff);
    const msgr = createMessenger({
      entity: { type: EntityType.OSD, num: this.whoami },
      nonce,
      policies: new Map([
        [EntityType.OSD, Policies.losslessPeer()],
        [EntityType.MON, Policies.lossyClient()],
        [EntityType.CLIENT, Policies.statelessServer()],
        [EntityType.MGR, Policies.statelessServer()],
      ]),
      defaultPolicy: Policies.statelessServer(),
      log: this.logger,
      ...(this.clientHolds ? { receiveBudgets: new Map([[EntityType.CLIENT, {
        bytesMax: this.opts.clientMessageBytesMax ?? CLIENT_MESSAGE_BYTES_MAX,
        messagesMax: (this.opts.clientMessagesMax ?? CLIENT_MESSAGES_MAX) || Number.MAX_SAFE_INTEGER,
      }]]) } : {}),
      ...(this.opts.transport ? { transport: this.opts.transport } : {}),
      ...(this.opts.randomU64 ? { randomU64: this.opts.randomU64 } : {}),
    });
    this.msgr = msgr;
    try {
      await this.bind(msgr);
      const monOpts = { messenger: msgr, log: this.logger, ...(this.opts.random ? { random: this.opts.random } : {}) };
      const monc = new MonClient(this.opts.config ? { config: this.opts.config, ...monOpts } : { monAddrs: this.opts.monAddrs ?? [], ...monOpts });
      this.monc = monc;
      monc.onOsdMap((m) => this.queueMaps(m));
      monc.onSession(() => this.onMonSession());
      msgr.addDispatcher(this);
      msgr.start();
      await this.loadPgs();
      monc.init();
      monc.subscribe('osdmap', this.sb.newestMap + 1);
      monc.subscribe('osd_pg_creates', 0);
    } catch (e) {
      await this.monc?.shutdown();
      await msgr.shutdown();
      throw e;
    }
    this.logger.info(`osd.${this.whoami}: started on ${formatAddrVec(msgr.myAddrs)}, maps ${this.sb.oldestMap}..${this.sb.newestMap}, ${this.pgs.size} pgs`);
    this.timer = setInterval(() => this.tick(), OSD_TICK_MS);
    if (this.opts.crushUpdateOnStart ?? true) void this.updateCrushLocation();
    else this.crushDone = true;
  }

  private async bind(msgr: Messenger): Promise<void> {
    const host = this.opts.bindHost ?? '127.0.0.1';
    const min = this.opts.portMin ?? 6800;
    const max = this.opts.portMax ?? 7300;
    let last: unknown = null;
    for (let port = min; port <= max; port++) {
      try {
        await msgr.bind(host, port);
        return;
      } catch (e) {
        last = e;
      }
    }
    throw new CephError('EBUSY', `osd.${this.whoami}: no free port in ${host}:${min}-${max}${last instanceof Error ? ` (${last.message})` : ''}`);
  }

  private async loadMaps(): Promise<void> {
    const { oldestMap, newestMap } = this.sb;
    if (newestMap === 0) return;
    const from = Math.max(oldestMap, 1, newestMap - this.mapsKeep + 1);
    for (let e = from; e <= newestMap; e++) {
      const o = osdmapObject(e);
      if (!(await this.store.exists(META_COLLECTION, o))) continue;
      const st = await this.store.stat(META_COLLECTION, o);
      this.fullMaps.set(e, await this.store.read(META_COLLECTION, o, 0, st.size));
    }
    const newest = this.fullMaps.get(newestMap);
    if (!newest) throw new CephError('EIO', `osd.${this.whoami}: the superblock names map ${newestMap} but meta has no osdmap.${newestMap}`);
    this.map = decodeOSDMap(newest);
    this.decoded.set(newestMap, this.map);
    const oldest = Math.min(...this.fullMaps.keys());
    for (const id of this.map.pools.keys()) this.poolSeen.set(id, oldest);
  }

  private async loadPgs(): Promise<void> {
    const loaded: PgHandle[] = [];
    for (const pgid of await this.pgFactory.listStored(this.store)) {
      try {
        const pg = await this.pgFactory.load(this, pgid);
        this.pgs.set(pgKey(pgid), pg);
        loaded.push(pg);
      } catch (e) {
        this.logger.error(`osd.${this.whoami}: cannot load pg ${pgKey(pgid)}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    if (this.map.epoch === 0 || loaded.length === 0) return;
    // A PG persisted at an older epoch than the newest stored map (the OSD died between storing a map
    // and the PG processing it) must see every epoch in between, in order, or its past intervals miss
    // an interval; each PG ignores the epochs it has already processed. Epoch-major, so each held map
    // is decoded once.
    const held = [...this.fullMaps.keys()].filter((e) => e < this.map.epoch).sort((a, b) => a - b);
    for (const e of held) {
      const past = this.mapAt(e);
      if (!past) continue;
      for (const pg of loaded) if (past.pools.has(pg.pgid.pool)) pg.advanceMap(past);
    }
    for (const pg of loaded) {
      pg.advanceMap(this.map);
      pg.activateMap();
    }
  }

  /** Ceph's update_crush_location: `osd crush create-or-move` with our weight and location. */
  private async updateCrushLocation(): Promise<void> {
    const monc = this.monc;
    if (!monc) return;
    let weight = this.opts.crushWeight;
    if (weight === undefined) {
      let total = 0;
      try {
        total = (await this.store.statfs()).total;
      } catch {
        total = 0;
      }
      // Ceph: "%.4lf" of max(.00001, size in TiB)
      weight = Number(Math.max(0.00001, total / 2 ** 40).toFixed(4));
      if (weight <= 0) weight = 0.0001;
    }
    const args = this.opts.crushLocation ?? [`host=${(this.opts.hostname ?? hostname()).split('.')[0] || 'localhost'}`, 'root=default'];
    try {
      const r = await monc.command({ prefix: 'osd crush create-or-move', id: this.whoami, weight, args }, Buffer.alloc(0), { timeoutMs: CRUSH_UPDATE_TIMEOUT_MS });
      if (r.r < 0) this.logger.warn(`osd.${this.whoami}: osd crush create-or-move failed: ${r.rs}`);
      else this.logger.info(`osd.${this.whoami}: crush location ${args.join(' ')} weight ${weight}: ${r.rs}`);
    } catch (e) {
      this.logger.warn(`osd.${this.whoami}: osd crush create-or-move: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.crushDone = true;
    this.maybeSendBoot(Date.now());
  }

  // ---- PgHost -----------------------------------------------------------------------------------------

  currentMap(): OSDMap {
    return this.map;
  }

  mapAt(epoch: number): OSDMap | undefined {
    if (epoch === this.map.epoch) return this.map;
    const hit = this.decoded.get(epoch);
    if (hit) {
      this.decoded.delete(epoch);
      this.decoded.set(epoch, hit);
      return hit;
    }
    const enc = this.fullMaps.get(epoch);
    if (!enc) return undefined;
    const m = decodeOSDMap(enc);
    this.cacheDecoded(m);
    return m;
  }

  pgRemoved(pgid: PgId): void {
    const key = pgKey(pgid);
    const pg = this.pgs.get(key);
    if (!pg) return;
    this.pgs.delete(key);
    this.statsDirty.delete(key);
    this.counters.pgsRemoved++;
    if (this.removedPgs.size >= REMOVED_PGS_REMEMBERED_MAX) this.removedPgs.delete(this.removedPgs.values().next().value as string);
    this.removedPgs.add(key);
    // Its held work goes nowhere now: peer messages for it are dropped below unless it is mapped here.
    this.logger.info(`osd.${this.whoami}: pg ${key} removed itself (e${this.map.epoch})`);
  }

  /** The acting primary of a PG in the current map, computed once per PG and epoch. */
  private actingPrimaryOf(pool: number, pgNum: number, seed: number): number {
    const map = this.map;
    if (this.primaryCacheMap !== map) {
      this.primaryCache.clear();
      this.primaryCacheMap = map;
    }
    let row = this.primaryCache.get(pool);
    if (!row || row.length !== pgNum) {
      row = new Int32Array(pgNum).fill(PRIMARY_UNKNOWN);
      this.primaryCache.set(pool, row);
    }
    if (seed >= pgNum) {
      pgToUpActingOsdsInto(map, pool, seed, this.work, this.ua);
      return this.ua.actingPrimary;
    }
    let p = row[seed]!;
    if (p === PRIMARY_UNKNOWN) {
      pgToUpActingOsdsInto(map, pool, seed, this.work, this.ua);
      p = this.ua.actingPrimary;
      row[seed] = p;
    }
    return p;
  }

  /** Whether the current map puts this OSD in the PG's up or acting set. */
  private mappedHere(pgid: PgId): boolean {
    if (!this.map.pools.has(pgid.pool)) return false;
    pgToUpActingOsdsInto(this.map, pgid.pool, pgid.seed, this.work, this.ua);
    return this.ua.up.toArray().includes(this.whoami) || this.ua.acting.toArray().includes(this.whoami);
  }

  sendToOsd(osd: number, m: Message): void {
    const msgr = this.msgr;
    if (!msgr || this.stateValue === 'stopped') return;
    const map = this.map;
    if (this.rebinding) return; // our address is changing; a peer session now would carry the old one
    if (osd < 0 || osd >= map.maxOsd || !map.isUp(osd)) {
      this.logger.debug(`osd.${this.whoami}: not sending ${m.typeName()} to osd.${osd}: not up in e${map.epoch}`);
      return;
    }
    const addrs = map.clusterAddrs[osd]?.length ? map.clusterAddrs[osd]! : map.clientAddrs[osd]!;
    const conn = msgr.connectTo(EntityType.OSD, addrs);
    this.peerConns.set(osd, { conn, addrs });
    conn.send(m);
  }

  /** Ceph's note_down_osd: drop the sessions of peers that are down (or moved) in the new map. */
  private dropDownPeers(): void {
    const map = this.map;
    for (const [osd, p] of [...this.peerConns]) {
      if (osd < map.maxOsd && map.isUp(osd) && sameAddrs(map.clusterAddrs[osd]?.length ? map.clusterAddrs[osd] : map.clientAddrs[osd], p.addrs)) continue;
      p.conn.markDown();
      this.peerConns.delete(osd);
    }
  }

  requestUpThru(epoch: number): void {
    if (epoch <= this.upThruWanted) return;
    this.upThruWanted = epoch;
    this.maybeSendAlive(Date.now());
  }

  requestPgTemp(pgid: PgId, osds: number[]): void {
    this.pgTempWanted.set(pgKey(pgid), { pgid: { ...pgid }, osds: [...osds] });
    this.pgTempSentMs = 0;
  }

  statsChanged(pgid: PgId): void {
    this.statsDirty.add(pgKey(pgid));
  }

  now(): UTime {
    return nowUTime();
  }

  log(level: 'debug' | 'info' | 'warn' | 'error', msg: string): void {
    this.logger[level](msg);
  }

  // ---- maps ---------------------------------------------------------------------------------------------

  private queueMaps(m: MOSDMap): void {
    if (this.stateValue === 'stopped') return;
    this.serial = this.serial.then(() => this.applyMaps(m)).catch((e: unknown) => {
      this.logger.error(`osd.${this.whoami}: osdmap handling failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    });
  }

  private cacheDecoded(m: OSDMap): void {
    this.decoded.set(m.epoch, m);
    while (this.decoded.size > MAP_CACHE_DECODED_MAX) {
      const first = this.decoded.keys().next().value as number;
      this.decoded.delete(first);
    }
  }

  /** Apply the epochs of one MOSDMap after ours, persist them, feed the PGs (Ceph's handle_osd_map). */
  private async applyMaps(m: MOSDMap): Promise<void> {
    if (this.stateValue === 'stopped') return;
    if (this.sb.clusterFsid !== m.fsid && !/^0{8}-/.test(this.sb.clusterFsid)) {
      this.logger.warn(`osd.${this.whoami}: ignoring an osdmap of cluster ${m.fsid}`);
      return;
    }
    const last = m.getLast();
    let cur = this.map.epoch;
    if (last <= cur) return;
    const fresh: OSDMap[] = [];
    const t = new Transaction();
    let prevEnc = this.fullMaps.get(cur);
    for (let e = cur + 1; e <= last; e++) {
      const full = m.maps.get(e);
      const inc = m.incrementalMaps.get(e);
      let next: OSDMap;
      let enc: Buffer;
      if (full) {
        enc = Buffer.from(full);
        next = decodeOSDMap(enc);
      } else if (inc) {
        const decodedInc = decodeIncremental(inc);
        if (decodedInc.fullmap) {
          enc = Buffer.from(decodedInc.fullmap);
          next = decodeOSDMap(enc);
        } else if (cur === 0 && e === 1) {
          next = new OSDMap();
          if (applyIncremental(next, decodedInc) < 0) break;
          enc = encodeOSDMap(next);
        } else if (prevEnc && cur === e - 1) {
          const applied = applyIncrementalChecked(prevEnc, decodedInc);
          if (decodedInc.haveCrc && !applied.crcMatches) this.logger.debug(`osd.${this.whoami}: e${e} built from the incremental has another crc than the monitor's`);
          next = applied.map;
          enc = applied.encoded;
        } else {
          break;
        }
        t.write(META_COLLECTION, incOsdmapObject(e), 0, Buffer.from(inc));
      } else if (cur === this.map.epoch && fresh.length === 0) {
        // A gap before anything applied (the monitors trimmed what we lack): jump to the oldest full map offered.
        const fulls = [...m.maps.keys()].filter((k) => k > cur).sort((a, b) => a - b);
        if (fulls.length === 0) break;
        e = fulls[0]! - 1;
        continue;
      } else {
        break;
      }
      if (next.epoch !== e) {
        this.logger.warn(`osd.${this.whoami}: map for e${e} says epoch ${next.epoch}; ignored`);
        break;
      }
      t.write(META_COLLECTION, osdmapObject(e), 0, enc);
      this.fullMaps.set(e, enc);
      prevEnc = enc;
      fresh.push(next);
      cur = e;
    }
    if (fresh.length === 0) {
      // Nothing usable (a gap): ask again for what follows our newest epoch (a fresh subscription, as
      // the same start would not be resent).
      this.logger.info(`osd.${this.whoami}: maps ${m.getFirst()}..${last} do not follow e${this.map.epoch}; asking for e${this.map.epoch + 1} on`);
      this.monc?.unsubscribe('osdmap');
      this.monc?.subscribe('osdmap', this.map.epoch + 1);
      return;
    }
    // Superblock and trimming of old epochs (never past what a held PG may still need: none lags
    // behind the current map, as every PG is fed each epoch as it comes).
    const newest = cur;
    let oldest = this.sb.oldestMap || fresh[0]!.epoch;
    let trimmed = 0;
    while (newest - oldest + 1 > this.mapsKeep && trimmed < MAP_TRIM_PER_BATCH_MAX) {
      if (this.fullMaps.has(oldest)) {
        t.remove(META_COLLECTION, osdmapObject(oldest));
        this.fullMaps.delete(oldest);
        this.decoded.delete(oldest);
      }
      t.remove(META_COLLECTION, incOsdmapObject(oldest));
      oldest++;
      trimmed++;
    }
    const sb: OSDSuperblock = { ...this.sb, oldestMap: oldest, newestMap: newest, currentEpoch: newest, clusterOsdmapTrimLowerBound: m.clusterOsdmapTrimLowerBound };
    if (/^0{8}-/.test(sb.clusterFsid)) sb.clusterFsid = m.fsid;
    t.write(META_COLLECTION, SUPERBLOCK_OBJECT, 0, encodeSuperblockObject(sb));
    t.truncate(META_COLLECTION, SUPERBLOCK_OBJECT, encodeSuperblockObject(sb).length);
    await this.store.queueTransaction(t);
    this.sb = sb;
    for (const map of fresh) {
      for (const id of map.pools.keys()) if (!this.poolSeen.has(id)) this.poolSeen.set(id, map.epoch);
      if (map.epoch >= oldest) this.cacheDecoded(map);
    }
    for (const id of [...this.poolSeen.keys()]) if (!fresh[fresh.length - 1]!.pools.has(id)) this.poolSeen.delete(id);
    this.map = fresh[fresh.length - 1]!;
    this.counters.mapsApplied += fresh.length;
    this.monc?.gotEpoch('osdmap', newest);
    for (const pg of this.pgs.values()) {
      for (const map of fresh) pg.advanceMap(map);
      pg.activateMap();
    }
    this.logger.debug(`osd.${this.whoami}: maps ${fresh[0]!.epoch}..${newest} applied`);
    if (!this.rebinding) {
      // Every epoch, not only the newest: peers drop their sessions to us on any epoch showing us down,
      // even if a later one in this batch shows us up again at the same address.
      for (const map of fresh) {
        const upHere = this.whoami < map.maxOsd && map.isUp(this.whoami) && sameAddrs(map.clientAddrs[this.whoami], this.addrs);
        if (upHere) this.seenUpHere = true;
        else if (this.seenUpHere) this.markedDownSinceUp = true;
      }
    }
    this.afterMap(Date.now());
    await this.syncPgs();
    this.retryWaiting();
  }

  /** Our state against the new map: active when it shows us up here; re-boot when it wrongly shows us down. */
  private afterMap(nowMs: number): void {
    const map = this.map;
    const me = this.whoami;
    const upHere = me < map.maxOsd && map.isUp(me) && sameAddrs(map.clientAddrs[me], this.addrs);
    // Marked down since this instance was up, even if a later epoch of the batch shows it up again at the
    // same address (a boot resent while cut off): peers dropped their sessions with us all the same.
    const downSinceUp = this.markedDownSinceUp && (this.stateValue === 'active' || this.stateValue === 'booting');
    if ((this.stateValue === 'active' && !upHere) || downSinceUp) {
      this.logger.warn(upHere
        ? `osd.${me}: marked down and up again at this address by e${map.epoch}; rebinding and booting again`
        : `osd.${me}: map e${map.epoch} wrongly marked me down; booting again`);
      this.stateValue = 'booting';
      this.bootSentMs = 0;
      this.rebindAfterMarkDown();
    } else if (this.stateValue === 'booting' && upHere) {
      this.stateValue = 'active';
      this.bootEpoch = map.osdInfo[me]?.upFrom ?? map.epoch;
      this.logger.info(`osd.${me}: boot: up in e${map.epoch} (up_from ${this.bootEpoch})`);
    } else if (this.stateValue === 'booting' && this.bootSentUpElsewhere && !map.isUp(me)) {
      // The map that marks the old instance down: boot again now (Ceph's monitor retries the boot itself).
      this.bootSentUpElsewhere = false;
      this.bootSentMs = 0;
    }
    if (this.upThruWanted > 0 && (map.osdInfo[me]?.upThru ?? 0) >= this.upThruWanted) this.aliveSentWant = this.upThruWanted;
    for (const [k, w] of [...this.pgTempWanted]) {
      const have = map.pgTemp.get(w.pgid.pool, w.pgid.seed) ?? [];
      if (have.length === w.osds.length && have.every((o, i) => o === w.osds[i])) this.pgTempWanted.delete(k);
    }
    this.dropDownPeers();
    this.heartbeat.setPeers(this.heartbeatPeerSet(), nowMs);
    this.maybeSendBoot(nowMs);
  }

  /**
   * Ceph's OSD::_committed_osd_maps on "wrongly marked me down": rebind to a new nonce and a port other
   * than ours, which marks down every peer session (and their queued messages, all of an interval that
   * has ended), then boot with the new address. Peers mark their sessions to the old address down when
   * a map shows us down or elsewhere (dropDownPeers); the map that marks us up again at the new address
   * is a new interval for every PG we are in, so peering sends its queries again on fresh sessions.
   * Keeping the address instead let a peer's new session replace ours as a restarted peer's, dropping
   * the queries queued on it (docs/simulation.md).
   */
  private rebindAfterMarkDown(): void {
    const msgr = this.msgr;
    this.seenUpHere = false;
    this.markedDownSinceUp = false;
    if (!msgr?.rebind || this.rebinding) return;
    const old = this.addrs[0];
    const oldPort = old ? addrHostPort(old).port : -1;
    const min = this.opts.portMin ?? 6800;
    const max = this.opts.portMax ?? 7300;
    const ports: number[] = [];
    for (let port = min; port <= max; port++) if (port !== oldPort) ports.push(port);
    this.rebinding = true;
    this.peerConns.clear();
    msgr.rebind(this.opts.bindHost ?? '127.0.0.1', ports).then(
      () => {
        this.rebinding = false;
        this.maybeSendBoot(Date.now());
      },
      (e: unknown) => {
        this.rebinding = false;
        if (this.stateValue === 'stopped' || this.stateValue === 'stopping') return;
        // As Ceph: an OSD that cannot rebind shuts down.
        this.logger.error(`osd.${this.whoami}: rebind failed, stopping: ${e instanceof Error ? e.message : String(e)}`);
        void this.stop();
      },
    );
  }

  /**
   * Ceph's maybe_update_heartbeat_peers: the up OSDs that share a PG's up or acting set with us (from
   * the map, whether or not the PG is created yet), plus the next up OSDs by id until there are
   * osd_heartbeat_min_peers, so a failure is seen even by OSDs with few PGs.
   */
  private heartbeatPeerSet(): number[] {
    const map = this.map;
    const me = this.whoami;
    if (this.stateValue !== 'active') return [];
    const out = new Set<number>();
    const add = (o: number): void => {
      if (o >= 0 && o !== me && o < map.maxOsd && map.isUp(o)) out.add(o);
    };
    for (const [poolId, pool] of map.pools) {
      for (let seed = 0; seed < pool.pgNum; seed++) {
        pgToUpActingOsdsInto(map, poolId, seed, this.work, this.ua);
        const up = this.ua.up.toArray();
        const acting = this.ua.acting.toArray();
        if (!up.includes(me) && !acting.includes(me)) continue;
        for (const o of up) add(o);
        for (const o of acting) add(o);
      }
    }
    for (let i = 1; i < map.maxOsd && out.size < HEARTBEAT_MIN_PEERS; i++) add((me + i) % map.maxOsd);
    return [...out].sort((a, b) => a - b);
  }

  /** Create the PGs we are up/acting for and do not hold; remove the PGs of deleted pools. */
  private async syncPgs(): Promise<void> {
    const map = this.map;
    for (const [key, pg] of [...this.pgs]) {
      if (!map.pools.has(pg.pgid.pool)) await this.removePg(key, pg);
    }
    if (this.stateValue !== 'active') return;
    for (const [poolId, pool] of [...map.pools].sort((a, b) => a[0] - b[0])) {
      for (let seed = 0; seed < pool.pgNum; seed++) {
        const key = pgKey({ pool: poolId, seed });
        if (this.pgs.has(key)) continue;
        pgToUpActingOsdsInto(map, poolId, seed, this.work, this.ua);
        if (!this.ua.up.toArray().includes(this.whoami) && !this.ua.acting.toArray().includes(this.whoami)) continue;
        const created = this.poolSeen.get(poolId) ?? map.epoch;
        await this.createPg({ pool: poolId, seed }, created, created);
      }
    }
  }

  private async createPg(pgid: PgId, createdEpoch: number, poolCreatedEpoch: number): Promise<PgHandle | null> {
    const key = pgKey(pgid);
    const have = this.pgs.get(key);
    if (have) return have;
    if (!this.map.pools.has(pgid.pool)) return null;
    const failedMs = this.createFailedMs.get(key);
    if (failedMs !== undefined && Date.now() - failedMs < PG_CREATE_RETRY_MS) return null;
    this.createFailedMs.delete(key);
    try {
      const pg = await this.pgFactory.create(this, pgid, createdEpoch, poolCreatedEpoch);
      this.pgs.set(key, pg);
      this.removedPgs.delete(key);
      this.counters.pgsCreated++;
      // The held maps since the created epoch, in order (bounded), then the current one.
      const cur = this.map.epoch;
      for (let e = Math.max(createdEpoch, cur - PG_CREATE_PAST_EPOCHS_MAX, 1); e < cur; e++) {
        const past = this.fullMaps.has(e) ? this.mapAt(e) : undefined;
        if (past && past.pools.has(pgid.pool)) pg.advanceMap(past);
      }
      pg.advanceMap(this.map);
      pg.activateMap();
      this.statsDirty.add(key);
      this.logger.debug(`osd.${this.whoami}: pg ${key} created (created e${createdEpoch})`);
      return pg;
    } catch (e) {
      if (this.createFailedMs.size < WAITING_PEER_MESSAGES_MAX) this.createFailedMs.set(key, Date.now());
      this.logger.error(`osd.${this.whoami}: cannot create pg ${key}: ${e instanceof Error ? e.message : String(e)}`);
      return null;
    }
  }

  private async removePg(key: string, pg: PgHandle): Promise<void> {
    this.pgs.delete(key);
    this.removedPgs.delete(key);
    this.statsDirty.delete(key);
    try {
      await pg.close();
      const cid = pgCollection(pg.pgid.pool, pg.pgid.seed);
      // Empty the collection page by page, then remove it (bounded transactions).
      while (await this.store.collectionExists(cid)) {
        const page = await this.store.listObjects(cid, undefined, undefined, 256);
        const t = new Transaction();
        for (const o of page.objects) t.remove(cid, o);
        if (page.objects.length === 0 || page.next === undefined) t.removeCollection(cid);
        await this.store.queueTransaction(t);
        if (page.objects.length === 0) break;
      }
      this.counters.pgsRemoved++;
      this.logger.info(`osd.${this.whoami}: pg ${key} removed (pool gone)`);
    } catch (e) {
      this.logger.error(`osd.${this.whoami}: removing pg ${key}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  // ---- monitor messages -----------------------------------------------------------------------------------

  private onMonSession(): void {
    // A new monitor (or the same one after a reset): what we asked and was not yet granted is resent.
    this.bootSentMs = 0;
    this.aliveSentMs = 0;
    this.pgTempSentMs = 0;
    const nowMs = Date.now();
    for (const o of this.heartbeat.reportedPeers()) this.sendFailure(o, this.heartbeat.silentForMs(o, nowMs), false);
    this.maybeSendBoot(nowMs);
  }

  private maybeSendBoot(nowMs: number): void {
    const monc = this.monc;
    if (!monc || this.stateValue !== 'booting' || this.rebinding || !this.crushDone || this.map.epoch === 0) return;
    if (this.bootSentMs && nowMs - this.bootSentMs < BOOT_RESEND_MS) return;
    const m = new MOSDBoot();
    m.version = this.map.epoch;
    m.sb = { ...this.sb, currentEpoch: this.map.epoch };
    m.hbBackAddrs = this.addrs;
    m.hbFrontAddrs = this.addrs;
    m.clusterAddrs = this.addrs;
    m.bootEpoch = this.bootEpoch;
    m.osdFeatures = PACIFIC_FEATURES;
    m.metadata = new Map([
      ['ceph_release', 'pacific'],
      ['ceph_version_short', 'tsceph'],
      ['hostname', this.opts.hostname ?? hostname()],
      ['osd_objectstore', this.store.type ?? 'unknown'],
      ['front_addr', formatAddrVec(this.addrs)],
      ['back_addr', formatAddrVec(this.addrs)],
      ...(this.opts.metadata ?? new Map<string, string>()),
    ]);
    if (monc.sendMessage(m)) {
      this.bootSentMs = nowMs;
      this.bootSentUpElsewhere = this.map.isUp(this.whoami);
      this.counters.bootsSent++;
      this.logger.info(`osd.${this.whoami}: sent MOSDBoot at e${this.map.epoch} from ${formatAddrVec(this.addrs)}`);
    }
  }

  private maybeSendAlive(nowMs: number): void {
    const monc = this.monc;
    if (!monc || this.stateValue !== 'active' || this.upThruWanted === 0) return;
    if ((this.map.osdInfo[this.whoami]?.upThru ?? 0) >= this.upThruWanted) return;
    if (this.aliveSentWant >= this.upThruWanted && nowMs - this.aliveSentMs < ALIVE_RESEND_MS) return;
    if (monc.sendMessage(new MOSDAlive(this.map.epoch, this.upThruWanted))) {
      this.aliveSentMs = nowMs;
      this.aliveSentWant = this.upThruWanted;
    }
  }

  private maybeSendPgTemp(nowMs: number): void {
    const monc = this.monc;
    if (!monc || this.stateValue !== 'active' || this.pgTempWanted.size === 0) return;
    if (this.pgTempSentMs && nowMs - this.pgTempSentMs < PGTEMP_RESEND_MS) return;
    const m = new MOSDPGTemp(this.map.epoch);
    m.pgTemp = [...this.pgTempWanted.values()].map((w) => ({ pgid: { ...w.pgid }, osds: [...w.osds] }));
    if (monc.sendMessage(m)) this.pgTempSentMs = nowMs;
  }

  /** MPGStats (Ceph sends it to the mgr; tsceph's monitors keep the PGMap): every PG we are primary of. */
  private maybeSendStats(nowMs: number): void {
    const monc = this.monc;
    if (!monc || this.stateValue !== 'active') return;
    const sinceMs = nowMs - this.statsSentMs;
    if (sinceMs < (this.opts.statsIntervalMs ?? STATS_INTERVAL_MS)) return;
    if (this.statsDirty.size === 0 && sinceMs < STATS_REPORT_MAX_MS) return;
    const stats = new Map<string, { pgid: PgId; stat: PgStat }>();
    for (const [key, pg] of [...this.pgs].sort((a, b) => a[1].pgid.pool - b[1].pgid.pool || a[1].pgid.seed - b[1].pgid.seed)) {
      const pool = this.map.pools.get(pg.pgid.pool);
      if (!pool || this.actingPrimaryOf(pg.pgid.pool, pool.pgNum, pg.pgid.seed) !== this.whoami) continue;
      try {
        stats.set(key, { pgid: pg.pgid, stat: pg.stats() });
      } catch (e) {
        this.logger.debug(`osd.${this.whoami}: no stats from pg ${key}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    this.statsDirty.clear();
    this.statsSentMs = nowMs;
    const build = this.opts.statsMessage ?? ((a) => this.pgStatsMessage(a.fsid, a.epoch, a.stats));
    const m = build({ fsid: this.sb.clusterFsid, epoch: this.map.epoch, stats });
    if (m && monc.sendMessage(m)) this.statsSeq++;
    this.refreshStatfs();
  }

  private pgStatsMessage(fsid: string, epoch: number, stats: ReadonlyMap<string, { pgid: PgId; stat: PgStat }>): Message {
    const m = new MPGStats(fsid, epoch);
    m.version = epoch;
    m.pgStat = [...stats.values()].map((s) => ({ pgid: { ...s.pgid }, stat: s.stat }));
    const os = emptyOsdStat();
    os.statfs = { ...this.statfs };
    os.hbPeers = this.heartbeat.peerIds();
    os.upFrom = this.bootEpoch;
    os.seq = this.statsSeq + 1;
    os.numPgs = this.pgs.size;
    os.numOsds = 1;
    m.osdStat = os;
    return m;
  }

  private refreshStatfs(): void {
    if (this.statfsBusy) return;
    this.statfsBusy = true;
    this.store.statfs().then(
      (s) => {
        this.statfs = { ...emptyStoreStatfs(), total: s.total, available: s.available, allocated: s.allocated, dataStored: s.stored, internalMetadata: s.metadata };
        this.statfsBusy = false;
      },
      () => {
        this.statfsBusy = false;
      },
    );
  }

  /** An MOSDFailure about `osd` in the current map (Ceph's OSD::send_failures / send_still_alive). */
  private failureMessage(osd: number, flags: number): MOSDFailure {
    const map = this.map;
    const m = new MOSDFailure();
    m.version = map.epoch;
    m.fsid = this.sb.clusterFsid;
    m.targetOsd = osd;
    m.targetAddrs = map.clientAddrs[osd] ?? [];
    m.epoch = map.epoch;
    m.flags = flags;
    return m;
  }

  private sendFailure(osd: number, failedForMs: number, immediate: boolean): void {
    const monc = this.monc;
    if (!monc || osd >= this.map.maxOsd || !this.map.isUp(osd)) return;
    const m = this.failureMessage(osd, MOSDFailure.FLAG_FAILED | (immediate ? MOSDFailure.FLAG_IMMEDIATE : 0));
    m.failedFor = Math.floor(failedForMs / 1000);
    if (monc.sendMessage(m)) {
      this.counters.failuresSent++;
      this.logger.info(`osd.${this.whoami}: reported osd.${osd} failed (${immediate ? 'connection refused' : `no reply for ${m.failedFor} s`})`);
    }
  }

  private sendStillAlive(osd: number): void {
    const monc = this.monc;
    if (!monc || osd >= this.map.maxOsd) return;
    if (monc.sendMessage(this.failureMessage(osd, MOSDFailure.FLAG_ALIVE))) {
      this.counters.cancelsSent++;
      this.logger.info(`osd.${this.whoami}: osd.${osd} answers again; failure report cancelled`);
    }
  }

  // ---- Dispatcher ------------------------------------------------------------------------------------------

  /** A client op returns the hold the messenger keeps its bytes under until the op is answered. */
  dispatch(conn: Connection, m: Message): void | Promise<void> {
    if (this.stateValue === 'stopped') return;
    let held: Promise<void> | undefined;
    if (this.clientHolds && m instanceof MOSDOp && conn.peerName.type === EntityType.CLIENT) {
      const h = this.clientHolds.hold(conn, m, Date.now());
      conn = h.conn;
      held = h.settled;
    }
    try {
      this.route(conn, m);
    } catch (e) {
      // Bad input from a peer never takes the daemon down.
      this.logger.warn(`osd.${this.whoami}: ${m.typeName()} from ${formatAddrVec(conn.peerAddrs)}: ${e instanceof Error ? e.message : String(e)}`);
      if (m instanceof MOSDOp) this.clientHolds?.dropped(conn, m);
    }
    return held;
  }

  handleReset(conn: Connection): void {
    if (conn.peerName.type === EntityType.CLIENT) this.clientHolds?.reset(conn);
  }

  private route(conn: Connection, m: Message): void {
    const peer = conn.peerName;
    if (peer.type === EntityType.MON) {
      // MOSDMap from the session is handled through the MonClient; the rest is ours.
      if (m instanceof MOSDMarkMeDown) this.markDownAck?.();
      else if (m instanceof MOSDPGCreate2) this.handlePgCreate(m);
      return;
    }
    if (m instanceof MOSDOp) {
      this.handleOp(conn, m);
      return;
    }
    if (peer.type !== EntityType.OSD) return;
    const ping = this.hbWire.read(m);
    if (ping) {
      this.handlePing(conn, peer.num, ping);
      return;
    }
    if (m instanceof MOSDMap) {
      this.queueMaps(m); // a peer shares a newer map (Ceph's share_map)
      return;
    }
    this.handlePeerMessage(peer.num, m);
  }

  private handlePing(conn: Connection, from: number, p: PingInfo): void {
    const nowMs = Date.now();
    if (p.kind === 'other') return; // YOU_DIED and the retired ops: the map says what happened
    if (p.kind === 'ping') {
      const r = this.hbWire.reply(p, this.map.epoch);
      if (r) {
        conn.send(r);
        this.counters.pingsAnswered++;
      }
      // A wire without replies: a peer's ping is its sign of life.
      if (r === null && this.heartbeat.handleAnswer(from, nowMs)) this.sendStillAlive(from);
      return;
    }
    this.counters.pingRepliesReceived++;
    if (this.heartbeat.handleAnswer(from, nowMs)) this.sendStillAlive(from);
  }

  handleRefused(conn: Connection): void {
    if (conn.peerName.type !== EntityType.OSD || this.stateValue !== 'active') return;
    const osd = this.osdAt(conn.peerAddrs);
    if (osd < 0) return;
    const r = this.heartbeat.handleRefused(osd);
    if (r) this.sendFailure(osd, 0, true);
  }

  /** The OSD whose cluster or public address this is in the current map, or -1. */
  private osdAt(addrs: EntityAddrVec): number {
    const map = this.map;
    for (let o = 0; o < map.maxOsd; o++) {
      if (!map.isUp(o)) continue;
      if (sameAddrs(map.clusterAddrs[o], addrs) || sameAddrs(map.clientAddrs[o], addrs)) return o;
    }
    return -1;
  }

  private handlePgCreate(m: MOSDPGCreate2): void {
    this.counters.pgCreateMessages++;
    const creates = m.pgs.map((p) => ({ ...p, pgid: { ...p.pgid } }));
    this.serial = this.serial.then(async () => {
      for (const p of creates) {
        if (!this.pgs.has(pgKey(p.pgid))) await this.createPg(p.pgid, p.created, p.created);
        // Ceph's send_pg_created: the monitors stop asking for this PG and clear the pool's `creating`
        // flag once every PG of it is reported. Sent for a PG we have already too: a repeated create
        // means the monitors missed the earlier report.
        this.monc?.sendMessage(new MOSDPGCreated(p.pgid));
      }
      this.retryWaiting();
    }).catch((e: unknown) => this.logger.error(`osd.${this.whoami}: pg create: ${e instanceof Error ? e.message : String(e)}`));
  }

  /** Ceph's OSD::handle_op / dispatch_session_waiting, reduced: epoch check, primary check, the PG. */
  private handleOp(conn: Connection, m: MOSDOp): void {
    if (qd1Trace) qd1Stamp('osd.op');
    if (this.stateValue !== 'active') {
      this.hold(conn, m);
      return;
    }
    // Keep a client's order: behind an op of the same connection that still waits.
    if (this.waitingOps.some((w) => w.conn === conn)) {
      this.hold(conn, m);
      return;
    }
    if (!this.tryOp(conn, m)) this.hold(conn, m);
  }

  /** True when the op was delivered or dropped; false when it must wait. */
  private tryOp(conn: Connection, m: MOSDOp): boolean {
    const map = this.map;
    if (m.osdmapEpoch > map.epoch) return false;
    const pgid = m.pgid.pgid;
    const pool = map.pools.get(pgid.pool);
    if (!pool) {
      this.counters.opsDropped++;
      this.clientHolds?.dropped(conn, m);
      this.logger.debug(`osd.${this.whoami}: op for pool ${pgid.pool} (gone or unknown in e${map.epoch}) dropped`);
      return true;
    }
    const primary = this.actingPrimaryOf(pgid.pool, pool.pgNum, pgid.seed);
    if (primary !== this.whoami) {
      this.counters.opsDropped++;
      this.clientHolds?.dropped(conn, m);
      this.logger.debug(`osd.${this.whoami}: op for ${pgKey(pgid)} dropped: acting primary is osd.${primary} in e${map.epoch}`);
      return true;
    }
    const pg = this.pgs.get(pgKey(pgid));
    if (!pg) return false;
    pg.handleClientOp(m, conn);
    return true;
  }

  private hold(conn: Connection, m: MOSDOp): void {
    if (this.waitingOps.length >= WAITING_OPS_MAX) {
      this.counters.opsDropped++;
      this.clientHolds?.dropped(conn, m);
      this.logger.warn(`osd.${this.whoami}: ${WAITING_OPS_MAX} ops already wait; op tid ${m.header.tid} dropped`);
      return;
    }
    this.waitingOps.push({ m, conn, sinceMs: Date.now() });
  }

  private handlePeerMessage(from: number, m: Message): void {
    const pgid = peerMessagePgid(m);
    if (!pgid) {
      this.logger.debug(`osd.${this.whoami}: ${m.typeName()} from osd.${from} names no PG; dropped`);
      return;
    }
    const key = pgKey(pgid);
    const epoch = peerMessageEpoch(m);
    const pg = this.pgs.get(key);
    if (!pg && epoch <= this.map.epoch && this.removedHere(key, pgid)) {
      this.logger.debug(`osd.${this.whoami}: ${m.typeName()} from osd.${from} for removed pg ${key} dropped`);
      return;
    }
    if (pg && epoch <= this.map.epoch && !this.waitingPeer.some((w) => w.key === key)) {
      pg.handlePeerMessage(from, m);
      return;
    }
    if (this.waitingPeer.length >= WAITING_PEER_MESSAGES_MAX) {
      this.logger.warn(`osd.${this.whoami}: ${WAITING_PEER_MESSAGES_MAX} peer messages already wait; ${m.typeName()} from osd.${from} dropped`);
      return;
    }
    this.waitingPeer.push({ from, m, pgid: { ...pgid }, key, epoch, sinceMs: Date.now() });
    if (!pg && epoch <= this.map.epoch && this.map.pools.has(pgid.pool)) this.createForPeers([pgid]);
  }

  /** A message for a PG that removed itself, while the map does not map it here: dropped, not a create. */
  private removedHere(key: string, pgid: PgId): boolean {
    if (!this.removedPgs.has(key)) return false;
    if (this.mappedHere(pgid)) {
      this.removedPgs.delete(key);
      return false;
    }
    return true;
  }

  /** Ceph creates a PG when a peer's notify / query / log names one we should hold. */
  private createForPeers(pgids: PgId[]): void {
    const todo = pgids.filter((p) => !this.creatingForPeers.has(pgKey(p)));
    if (todo.length === 0) return;
    for (const p of todo) this.creatingForPeers.add(pgKey(p));
    this.serial = this.serial.then(async () => {
      for (const pgid of todo) {
        const created = this.poolSeen.get(pgid.pool) ?? this.map.epoch;
        await this.createPg(pgid, created, created);
        this.creatingForPeers.delete(pgKey(pgid));
      }
      this.retryWaiting();
    }).catch((e: unknown) => this.logger.error(`osd.${this.whoami}: pg create for a peer: ${e instanceof Error ? e.message : String(e)}`));
  }

  /** Deliver what waited for a map or a PG, in arrival order, as far as it can go now. */
  private retryWaiting(): void {
    const nowMs = Date.now();
    if (this.waitingPeer.length) {
      const still: WaitingPeerMessage[] = [];
      const blocked = new Set<string>();
      const toCreate = new Map<string, PgId>();
      for (const w of this.waitingPeer) {
        const current = w.epoch <= this.map.epoch;
        if (current && !this.map.pools.has(w.pgid.pool)) continue; // the pool is gone: drop
        const pg = this.pgs.get(w.key);
        if (!pg && current && this.removedHere(w.key, w.pgid)) continue; // removed here, not mapped here: drop
        if (!blocked.has(w.key) && pg && current) {
          pg.handlePeerMessage(w.from, w.m);
          continue;
        }
        if (nowMs - w.sinceMs > WAITING_OP_AGE_MAX_MS) continue;
        if (!pg && current) toCreate.set(w.key, w.pgid);
        blocked.add(w.key);
        still.push(w);
      }
      this.waitingPeer = still;
      const fresh = [...toCreate].filter(([k]) => !this.createFailedMs.has(k)).map(([, p]) => p);
      if (fresh.length) this.createForPeers(fresh);
    }
    if (this.waitingOps.length && this.stateValue === 'active') {
      const still: WaitingOp[] = [];
      const blocked = new Set<Connection>();
      for (const w of this.waitingOps) {
        if (nowMs - w.sinceMs > WAITING_OP_AGE_MAX_MS) {
          this.counters.opsDropped++;
          continue;
        }
        if (!blocked.has(w.conn) && this.tryOp(w.conn, w.m)) continue;
        blocked.add(w.conn);
        still.push(w);
      }
      this.waitingOps = still;
    }
  }

  // ---- timer ---------------------------------------------------------------------------------------------------

  private tick(): void {
    if (this.stateValue === 'stopped' || this.stateValue === 'stopping') return;
    const nowMs = Date.now();
    this.maybeSendBoot(nowMs);
    this.maybeSendAlive(nowMs);
    this.maybeSendPgTemp(nowMs);
    this.maybeSendStats(nowMs);
    if (this.stateValue === 'active') {
      const hb = this.heartbeat.tick(nowMs);
      for (const o of hb.pings) this.sendToOsd(o, this.hbWire.ping(this.map.epoch, nowMs));
      for (const f of hb.failures) this.sendFailure(f.osd, f.failedForMs, f.immediate);
    }
    if (this.waitingOps.length || this.waitingPeer.length) this.retryWaiting();
    this.clientHolds?.sweep(nowMs);
  }

  // ---- stop ----------------------------------------------------------------------------------------------------

  /**
   * Ceph's OSD::shutdown after a SIGTERM: ask to be marked down (waiting for the ack, bounded), stop the
   * PGs, close the sessions. The store stays mounted (its owner umounts it).
   */
  stop(): Promise<void> {
    this.stoppedPromise ??= this.doStop();
    return this.stoppedPromise;
  }

  /**
   * Stop at once without telling the monitors or closing the PGs: what a crash looks like to the
   * cluster (tests use it for in-process OSDs). The store is left as it is.
   */
  async abort(): Promise<void> {
    this.stateValue = 'stopped';
    this.clientHolds?.settleAll();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.stoppedPromise ??= Promise.resolve();
    await this.monc?.shutdown();
    await this.msgr?.shutdown();
  }

  private async doStop(): Promise<void> {
    const wasActive = this.stateValue === 'active';
    this.stateValue = 'stopping';
    const monc = this.monc;
    if (wasActive && monc && this.map.isUp(this.whoami)) {
      const m = new MOSDMarkMeDown();
      m.version = this.map.epoch;
      m.fsid = this.sb.clusterFsid;
      m.targetOsd = this.whoami;
      m.targetAddrs = this.addrs;
      m.epoch = this.map.epoch;
      m.requestAck = true;
      const acked = new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), this.opts.markDownTimeoutMs ?? MARK_DOWN_TIMEOUT_MS);
        this.markDownAck = () => {
          clearTimeout(timer);
          resolve(true);
        };
      });
      if (monc.sendMessage(m)) {
        const ok = await acked;
        this.logger.info(`osd.${this.whoami}: ${ok ? 'marked down by the monitors' : 'no mark-me-down ack in time; stopping anyway'}`);
      }
      this.markDownAck = null;
    }
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.serial.catch(() => undefined);
    for (const pg of this.pgs.values()) {
      try {
        await pg.close();
      } catch (e) {
        this.logger.warn(`osd.${this.whoami}: closing pg ${pgKey(pg.pgid)}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    this.pgs.clear();
    this.waitingOps = [];
    this.waitingPeer = [];
    this.clientHolds?.settleAll();
    this.stateValue = 'stopped';
    await monc?.shutdown();
    await this.msgr?.shutdown();
    this.logger.info(`osd.${this.whoami}: stopped`);
  }
}
