// The PG shell: one placement group on this OSD. It drives the pure peering core (osd/core/peering.ts)
// with maps and peer messages and executes what it decides (send, persist, recover); on the primary it
// runs client ops through the op executor (osd/core/opexec.ts), replicates each write (MOSDRepOp) and
// answers the client once every acting member has the write on disk; on a replica it applies MOSDRepOps.
// The PG log and info go to the pgmeta object (osd/pgmeta.ts) in the same store transaction as the data
// they describe, so a crash never separates them. docs/pg.md walks through the flows.

import { Decoder, Encoder } from '../common/encoding.js';
import { assert, CephError, Errno } from '../common/errors.js';
import { qd1Stamp, qd1Trace } from '../common/qd1trace.js';
import { calcBitsOf, osdIsUp, pgToUpActingOsds, type OSDMap, type PgId, type UTime } from '../common/osdmap/index.js';
import type { Connection, EntityName, Message } from '../msg/index.js';
import {
  copyOSDOp, MOSDOp, MOSDOpReply, MOSDRepOp, MOSDRepOpReply, OsdFlag, OsdOpCode, osdOpIsWrite,
  zeroEVersion, type EVersion, type HObject, type OSDOp, type OsdReqId, type SpgId,
} from '../msg/messages/osdop.js';
import {
  cmpEVersion, decodePgLogEntry, decodePgStat, emptyPgStat, encodePgStat, objectKey, PgState,
  type PgLog, type PgLogEntry, type PgStat,
} from '../msg/messages/pgtypes.js';
import type { ExecuteOps, OpExecResult } from './core/opexec-api.js';
import type { PeeringCore, PeeringCoreInit, PeeringEffects, PeeringMessage, PgLogDelta, PgMapView } from './core/peering-api.js';
import type { PgHandle, PgHost } from './pg-api.js';
import { entryBody, loadPgMeta, missingKeys, PgMetaWritten, pgmetaObject, rememberEntryBody, writePgMeta } from './pgmeta.js';
import { createPeeringCore, noEffects } from './core/peering.js';
import { snapFromWire, toHObject } from './core/hobject.js';
import { executeOps, objectStorePort, pooledReadPort } from './core/opexec.js';
import { listPgObjects, pgSplitBits } from './core/pgls.js';
import { decodeTransactionSegments, encodeTransactionParts } from './core/txcodec.js';
import { fromWireAll, toWire } from './pgwire.js';
import { PgRecovery, recoveryWire, type RecoveryDeps } from './recovery.js';
import {
  makeObject, NO_SHARD, parseCollection, pgCollection, Transaction,
  type CollectionId, type GHObject, type ObjectStore,
} from './objectstore/types.js';

// ---- limits ---------------------------------------------------------------------------------------

/** Client ops a PG holds while it peers (or waits for a map); past this the op is dropped (the client resends). */
export const opsWaitingMax = 4096;
/** Ceph's osd_max_object_name_len and osd_max_object_namespace_len. */
export const objectNameBytesMax = 2048;
export const objectNamespaceBytesMax = 256;
/** Writes of one PG replicating at once (each holds its transaction until every replica acks). */
export const writesInFlightMax = 256;
/** Log every write's start and commit at debug level (off: the text costs CPU on every write). */
const traceWrites = false;

// ---- what the PG is built from --------------------------------------------------------------------

/**
 * The parts the PG drives: the peering core, the op executor, the transaction and message codecs.
 * PG.create / PG.load use realPgDeps unless given others (tests).
 */
export interface PgDeps extends RecoveryDeps {
  createCore(init: PeeringCoreInit): PeeringCore;
  executeOps: ExecuteOps;
  /**
   * Our Transaction in Ceph's ObjectStore::Transaction encoding (MOSDRepOp's data segment, as a list
   * of buffers: large write data by reference) and back (from the segment's buffers; write data stay
   * views of them).
   */
  encodeTransaction(t: Transaction): Buffer[];
  decodeTransaction(b: readonly Buffer[]): Transaction;
  /** The peering core's messages to and from their Ceph message classes. */
  toWire(msg: PeeringMessage): Message;
  /** Every core message a wire message carries ([] when it is not a peering message). */
  fromWire(m: Message): PeeringMessage[];
}

/** The real parts: the peering core, the op executor, Ceph's transaction encoding, the PG messages. */
/** Effects whose persistence is done elsewhere (applyEffectsButPersistence): read, never written to. */
const noLogDelta: PgLogDelta = Object.freeze({ append: Object.freeze([]) as unknown as PgLogEntry[] });
const noObjects = Object.freeze([]) as unknown as HObject[];

export const realPgDeps: PgDeps = {
  createCore: (init) => createPeeringCore(init),
  executeOps,
  encodeTransaction: (t) => encodeTransactionParts(t),
  decodeTransaction: (b) => decodeTransactionSegments(b),
  toWire,
  fromWire: fromWireAll,
  ...recoveryWire,
};

// ---- object names ---------------------------------------------------------------------------------

/** hobject_t (wire) to the store's ghobject_t (the other way: osd/core/hobject.ts's toHObject). */
export function toGh(h: HObject): GHObject {
  return makeObject(h.pool, h.oid, h.hash, { nspace: h.nspace, key: h.key, snap: snapFromWire(h.snap), ...(h.max ? { max: true } : {}) });
}

export { toHObject };

/** MOSDRepOp's logbl: a vector<pg_log_entry_t>. */
export function encodeLogEntries(entries: readonly PgLogEntry[]): Buffer {
  // each entry's bytes come from the cache its pgmeta key also uses (one encode per entry)
  const bodies = entries.map(entryBody);
  let n = 4;
  for (const b of bodies) n += b.length;
  const out = Buffer.allocUnsafe(n);
  out.writeUInt32LE(entries.length, 0);
  let at = 4;
  for (const b of bodies) at += b.copy(out, at);
  return out;
}

export function decodeLogEntries(b: Buffer): PgLogEntry[] {
  const d = new Decoder(b, 'osd_repop logbl');
  const n = d.count('log entries', 40);
  const out: PgLogEntry[] = [];
  for (let i = 0; i < n; i++) {
    const start = d.pos;
    const entry = decodePgLogEntry(d);
    // keep the received bytes (copied: logbl may be a view of the whole message) for the pgmeta key
    rememberEntryBody(entry, Buffer.from(b.subarray(start, d.pos)));
    out.push(entry);
  }
  return out;
}

/** pg_stat_t.parent of a PG that never split (read-only). */
const PARENT_NONE: Readonly<PgId> = { pool: 0, seed: 0 };

/** Scratch encoder for the per-write pg_stat_t (synchronous; the bytes are copied out). */
const statEncoder = new Encoder(1024);

function encodeStat(s: PgStat): Buffer {
  statEncoder.reset();
  encodePgStat(statEncoder, s);
  return statEncoder.toBuffer();
}

function reqidKey(r: OsdReqId): string {
  return `${r.name.type}.${r.name.num}:${r.inc}:${r.tid}`;
}

function evKey(v: EVersion): string {
  return `${v.epoch}'${v.version}`;
}

/** Every PG collection this store holds (Ceph's OSD::load_pgs reads the same list). */
export async function listStoredPgs(store: ObjectStore): Promise<PgId[]> {
  const out: PgId[] = [];
  for (const cid of await store.listCollections()) {
    const p = parseCollection(cid);
    if (p && p.kind === 'pg' && p.shard === NO_SHARD) out.push({ pool: p.pool, seed: p.seed });
  }
  out.sort((a, b) => (a.pool !== b.pool ? a.pool - b.pool : a.seed - b.seed));
  return out;
}

/** The peering core's view of one map epoch for this PG. */
export function pgMapView(map: OSDMap, pgid: PgId): PgMapView {
  const pool = map.pools.get(pgid.pool);
  // a snapshot: the core may keep the view after the map object has moved on
  const up = new Map<number, boolean>();
  const upThrus: number[] = [];
  const lostAts: number[] = [];
  for (let o = 0; o < map.maxOsd; o++) {
    up.set(o, osdIsUp(map, o));
    upThrus.push(map.osdInfo[o]?.upThru ?? 0);
    lostAts.push(map.osdInfo[o]?.lostAt ?? 0);
  }
  const isUp = (osd: number): boolean => up.get(osd) === true;
  const upThru = (osd: number): number => upThrus[osd] ?? 0;
  const lostAt = (osd: number): number => lostAts[osd] ?? 0;
  if (!pool) {
    return { epoch: map.epoch, poolExists: false, poolSize: 0, poolMinSize: 0, pgNum: 0, up: [], upPrimary: -1, acting: [], actingPrimary: -1, isUp, upThru, lostAt };
  }
  const r = pgToUpActingOsds(map, pgid);
  return {
    epoch: map.epoch, poolExists: true, poolSize: pool.size, poolMinSize: pool.minSize, pgNum: pool.pgNum,
    up: r.up, upPrimary: r.upPrimary, acting: r.acting, actingPrimary: r.actingPrimary, isUp, upThru, lostAt,
  };
}

// ---- the op path's records ------------------------------------------------------------------------

interface ClientOp {
  m: MOSDOp;
  conn: Connection;
  reqid: OsdReqId;
  soid: HObject;
  key: string;
  isWrite: boolean;
  /** reqidKey(reqid), made once a write needs it (the dup check, the repop index, doneReqs). */
  reqKey: string | undefined;
}

/** The op's reqid key (made on first use). */
function opReqKey(op: ClientOp): string {
  return (op.reqKey ??= reqidKey(op.reqid));
}

/** A write being replicated: done when the local commit and every target's ack arrived. */
interface RepOp {
  op: ClientOp;
  version: EVersion;
  userVersion: number;
  result: OpExecResult;
  waitingOn: Set<number>;
  localDone: boolean;
  /** The PG interval it was started in; a new interval abandons it. */
  gen: number;
  /** Replied to (left `repops` in version order). */
  replied: boolean;
  /** Resolved when it replied or was abandoned (repopDone). */
  waiters: Array<() => void> | undefined;
}

/** A committed write's outcome, for resent requests (the log's reqids and dups). */
interface DoneReq {
  version: EVersion;
  userVersion: number;
  returnCode: number;
  opReturns: Array<{ rval: number; data: Buffer }>;
}

// ---- the PG ---------------------------------------------------------------------------------------

export class PG implements PgHandle {
  readonly pgid: PgId;
  readonly spgid: SpgId;
  readonly cid: CollectionId;
  readonly meta: GHObject;
  private readonly core: PeeringCore;
  private readonly recovery: PgRecovery;
  private closed = false;
  private removed = false;
  /** The newest epoch fed to the core. */
  private epoch = 0;
  /** Bumped on every new interval: work started in an older one is abandoned. */
  private gen = 0;
  private sameIntervalSince = 0;

  /** Client ops waiting for the PG to become active (or for a newer map). */
  private waitingForActive: ClientOp[] = [];
  /** Per-object queues: the head is running, the rest wait (one op in flight per object). */
  private readonly objectQueues = new Map<string, ClientOp[]>();
  /** Serializes op execution so versions are handed out and transactions queued in log order. */
  private execTail: Promise<void> = Promise.resolve();
  /** Writes replicating, in version order. */
  private readonly repops: RepOp[] = [];
  private readonly repopsByReqid = new Map<string, RepOp>();
  /** Committed writes by reqid (log entries and dups). */
  private readonly doneReqs = new Map<string, DoneReq>();
  /** What the pgmeta object holds as last written (each write adds only what changed). */
  private readonly written = new PgMetaWritten();
  /** Persistence and sends, in the order the core decided them. */
  private chain: Promise<void> = Promise.resolve();
  /** What MOSDRepOps wait for: peering persistence and earlier peer messages' order (not write commits). */
  private repopChain: Promise<void> = Promise.resolve();
  /** Links of repopChain not yet run: 0 means a MOSDRepOp may go at once (nothing to wait behind). */
  private repopChainLinks = 0;
  /** Transactions queued and not yet durable (close() waits for them). */
  private readonly pending = new Set<Promise<void>>();
  /** Ops waiting for an object to be recovered, by object key. */
  private readonly waitingForRecovery = new Map<string, Array<() => void>>();

  // stats the PG maintains (objects, bytes) and counters
  private numObjectsValue = 0;
  private numBytesValue = 0;
  /** The pg_stat_t of the newest MOSDRepOp, not yet decoded (a replica takes the primary's counts). */
  private replicaStats: Buffer | undefined;
  private readonly counters = { numRd: 0, numRdKb: 0, numWr: 0, numWrKb: 0, numObjectsRecovered: 0, numBytesRecovered: 0 };
  private lastActive: UTime = { sec: 0, nsec: 0 };
  private lastClean: UTime = { sec: 0, nsec: 0 };
  private lastChange: UTime = { sec: 0, nsec: 0 };
  private lastStateBits = 0;
  private reportedSeq = 0;

  private get numObjects(): number {
    this.takeReplicaStats();
    return this.numObjectsValue;
  }
  private set numObjects(v: number) {
    this.takeReplicaStats();
    this.numObjectsValue = v;
  }
  private get numBytes(): number {
    this.takeReplicaStats();
    return this.numBytesValue;
  }
  private set numBytes(v: number) {
    this.takeReplicaStats();
    this.numBytesValue = v;
  }

  private takeReplicaStats(): void {
    const b = this.replicaStats;
    if (b === undefined) return;
    this.replicaStats = undefined;
    try {
      const s = decodePgStat(new Decoder(b), 'osd_repop pg_stat_t');
      this.numObjectsValue = s.statsSum.numObjects;
      this.numBytesValue = s.statsSum.numBytes;
    } catch {
      // stats are advisory on a replica
    }
  }

  private constructor(
    private readonly host: PgHost,
    pgid: PgId,
    private readonly deps: PgDeps,
    init: PeeringCoreInit,
  ) {
    this.pgid = { pool: pgid.pool, seed: pgid.seed };
    this.spgid = { pgid: this.pgid, shard: NO_SHARD };
    this.cid = pgCollection(pgid.pool, pgid.seed);
    this.meta = pgmetaObject(pgid);
    this.core = deps.createCore(init);
    this.epoch = init.persistent?.epoch ?? 0;
    this.sameIntervalSince = this.core.info().history.sameIntervalSince;
    this.recovery = new PgRecovery({
      host,
      deps,
      core: this.core,
      cid: this.cid,
      spgid: this.spgid,
      epoch: () => this.epoch,
      intervalStart: () => this.sameIntervalSince,
      toGh,
      toHObject,
      send: (to, m) => this.sendOrdered(to, m),
      onLocalObjectChanged: (key, deltaObjects, deltaBytes) => this.onRecoveredLocally(key, deltaObjects, deltaBytes),
      onPeerRecovered: (key) => this.wakeRecoveryWaiters(key),
      commit: (t) => this.commitWithEffects(t),
      kick: () => this.drainEffects(),
      isObjectBusy: (key) => this.objectQueues.has(key),
      track: (p) => this.track(p),
    });
  }

  /** A new PG: makes its collection and pgmeta object with an empty log (loads it if the store has it). */
  static async create(host: PgHost, pgid: PgId, createdEpoch: number, poolCreatedEpoch: number, deps?: PgDeps): Promise<PG> {
    const d = deps ?? realPgDeps;
    const cid = pgCollection(pgid.pool, pgid.seed);
    if ((await host.store.collectionExists(cid)) && (await host.store.exists(cid, pgmetaObject(pgid)))) {
      // the store already holds this PG (a create raced a restart): keep its state, never reset it
      return PG.load(host, pgid, deps);
    }
    const spgid: SpgId = { pgid: { pool: pgid.pool, seed: pgid.seed }, shard: NO_SHARD };
    const pg = new PG(host, pgid, d, { pgid: spgid, whoami: host.whoami, createdEpoch, poolCreatedEpoch });
    const t = new Transaction();
    const pool = host.currentMap().pools.get(pgid.pool);
    const bits = pool ? calcBitsOf(Math.max(0, pool.pgNum - 1)) : 0;
    if (!(await host.store.collectionExists(pg.cid))) t.createCollection(pg.cid, bits);
    t.touch(pg.cid, pg.meta);
    writePgMeta(t, pg.cid, pg.meta, pg.core.persistentState(), { append: [] }, true, undefined, pg.written);
    await host.store.queueTransaction(t);
    return pg;
  }

  /** A PG this store already holds (after a restart): reads its pgmeta and counts its objects. */
  static async load(host: PgHost, pgid: PgId, deps?: PgDeps): Promise<PG> {
    const d = deps ?? realPgDeps;
    const spgid: SpgId = { pgid: { pool: pgid.pool, seed: pgid.seed }, shard: NO_SHARD };
    const cid = pgCollection(pgid.pool, pgid.seed);
    const persistent = await loadPgMeta(host.store, cid, pgmetaObject(pgid), spgid);
    const pg = new PG(host, pgid, d, { pgid: spgid, whoami: host.whoami, persistent });
    for (const [k, v] of missingKeys(persistent.missing)) pg.written.missing.set(k, v);
    pg.written.dups = persistent.log.dups.slice();
    pg.indexLog();
    await pg.recountObjects();
    return pg;
  }

  // ---- maps ---------------------------------------------------------------------------------------

  advanceMap(map: OSDMap): void {
    if (this.closed || this.removed) return;
    if (map.epoch <= this.epoch) return;
    this.epoch = map.epoch;
    this.core.advanceMap(pgMapView(map, this.pgid));
    const since = this.core.info().history.sameIntervalSince;
    if (since !== this.sameIntervalSince) {
      this.sameIntervalSince = since;
      this.onNewInterval();
    }
  }

  activateMap(): void {
    if (this.closed || this.removed) return;
    this.core.activateMap(this.host.now());
    this.drainEffects();
    // ops that waited for a newer map may now run; a non-primary drops those its map has caught up with
    if (this.isServing()) this.releaseWaiting();
    else if (!this.core.isPrimary()) this.waitingForActive = this.waitingForActive.filter((op) => op.m.osdmapEpoch > this.epoch);
  }

  /** A new interval: abandon replication in flight and requeue its ops (they run again after peering). */
  private onNewInterval(): void {
    this.gen++;
    this.host.log('debug', `pg ${this.pgText()}: new interval since e${this.sameIntervalSince}, acting [${this.core.acting().join(',')}]${this.core.isPrimary() ? ' primary' : ''}, ${this.repops.length} writes in flight requeued`);
    const requeue: ClientOp[] = [];
    for (const r of this.repops) requeue.push(r.op);
    this.wakeRepopWaiters();
    this.repops.length = 0;
    this.repopsByReqid.clear();
    for (const q of this.objectQueues.values()) for (const op of q) if (!requeue.includes(op)) requeue.push(op);
    this.objectQueues.clear();
    this.recovery.reset();
    for (const waiters of this.waitingForRecovery.values()) for (const w of waiters) w();
    this.waitingForRecovery.clear();
    if (this.core.isPrimary()) {
      this.waitingForActive = requeue.concat(this.waitingForActive).slice(0, opsWaitingMax);
    } else {
      this.waitingForActive = [];
    }
  }

  private isServing(): boolean {
    return this.core.isPrimary() && (this.core.stateBits() & PgState.ACTIVE) !== 0;
  }

  // ---- peering effects ----------------------------------------------------------------------------

  /** Take the core's effects and execute them: persist, then send, request, recover, release. */
  private drainEffects(): void {
    for (let i = 0; i < 64; i++) {
      if (!this.applyEffects(this.core.takeEffects(), undefined, undefined)) break;
    }
  }

  /** Queue `t` with the core's pending persistence folded in; its messages go once it is durable. */
  private commitWithEffects(t: Transaction): Promise<void> {
    const sends: Array<[number, Message]> = [];
    this.applyEffects(this.core.takeEffects(), t, sends);
    const p = this.queueOrdered(t);
    for (const [to, m] of sends) this.sendOrdered(to, m);
    this.drainEffects();
    return p;
  }

  /**
   * The effects (messages, state) of a batch whose persistence writePgMeta already put in a write's
   * transaction. `eff` is the caller's (takeEffects handed it over, nothing reads it after): its
   * persistence is cleared in place, not copied per write (the shared empty `noEffects` has none).
   */
  private applyEffectsButPersistence(eff: PeeringEffects): void {
    if (eff !== noEffects) {
      eff.dirty = false;
      eff.logDelta = noLogDelta;
      eff.rewoundObjects = noObjects;
    }
    this.applyEffects(eff, undefined, undefined);
  }

  /**
   * Execute one batch of effects. With `into`, persistence goes into that transaction (the caller
   * queues it) and messages into `sends` (the caller sends them after queueing). Returns true when the
   * effects were not empty (the caller drains again: running them may add more).
   */
  private applyEffects(eff: PeeringEffects, into: Transaction | undefined, sends: Array<[number, Message]> | undefined): boolean {
    const persist = eff.dirty || eff.logDelta.append.length > 0 || eff.logDelta.rewindTo !== undefined
      || eff.logDelta.trimTo !== undefined || eff.rewoundObjects.length > 0;
    let nonEmpty = persist || eff.send.length > 0 || eff.removePg || eff.activated || eff.stateChanged
      || eff.needUpThru !== undefined || eff.wantPgTemp !== undefined;
    if (persist && !eff.removePg) {
      const t = into ?? new Transaction();
      for (const soid of eff.rewoundObjects) t.remove(this.cid, toGh(soid));
      if (eff.rewoundObjects.length) this.host.log('debug', `pg ${this.pgText()}: rewound ${eff.rewoundObjects.map((o) => o.oid).join(',')}`);
      writePgMeta(t, this.cid, this.meta, this.core.persistentState(), eff.logDelta, eff.dirty, this.epoch, this.written);
      if (eff.logDelta.rewindTo !== undefined) this.indexLog();
      else if (eff.logDelta.trimTo !== undefined) this.indexTrim();
      for (const e of eff.logDelta.append) this.noteLogEntry(e, false);
      if (!into) this.queueOrdered(t);
      if (eff.rewoundObjects.length > 0) this.track(this.chain.then(() => this.recountObjects()));
    }
    for (const s of eff.send) {
      const m = this.deps.toWire(s.msg);
      if (sends) sends.push([s.to, m]);
      else this.sendOrdered(s.to, m);
    }
    if (eff.needUpThru !== undefined) this.host.requestUpThru(eff.needUpThru);
    if (eff.wantPgTemp !== undefined) this.host.requestPgTemp(this.pgid, eff.wantPgTemp);
    if (eff.removePg) {
      this.removed = true;
      this.track(this.chain.then(() => this.removeCollection()).then(() => this.host.pgRemoved?.(this.pgid)));
      nonEmpty = false;
    }
    if (eff.stateChanged || eff.activated) this.noteState();
    if (eff.activated) {
      this.indexLog();
      this.track(this.chain.then(() => this.recountObjects()).then(() => this.host.statsChanged(this.pgid)));
      this.releaseWaiting();
    }
    if (!this.removed && this.core.isPrimary() && this.core.isActive()) this.recovery.kick();
    return nonEmpty;
  }

  private noteState(): void {
    const bits = this.core.stateBits();
    const now = this.host.now();
    if (bits !== this.lastStateBits) {
      this.lastStateBits = bits;
      this.lastChange = now;
    }
    if (bits & PgState.ACTIVE) this.lastActive = now;
    if (bits & PgState.CLEAN) this.lastClean = now;
    this.host.statsChanged(this.pgid);
  }

  /** Queue a store transaction after everything queued before it. */
  /**
   * Queue a store transaction now (the store applies one collection's transactions in queue order).
   * Peer messages sent after it wait until it is durable (Ceph sends a PeeringCtx's messages after its
   * transaction, which the store orders after every op transaction queued before). `peering`: it is
   * peering persistence, which MOSDRepOps wait for too; a client write's transaction does not hold the
   * next write's MOSDRepOp (the primary waits for its own commit before replying).
   */
  private queueOrdered(t: Transaction, peering = true): Promise<void> {
    const p = this.host.store.queueTransaction(t);
    const logged = p.then(undefined, (e: unknown) => {
      this.host.log('error', `pg ${this.pgText()}: transaction failed: ${String(e)}`);
    });
    this.chain = this.chain.then(() => logged);
    if (peering) {
      this.repopChainLinks++;
      this.repopChain = this.repopChain.then(() => logged).then(() => void this.repopChainLinks--);
    }
    this.trackSettled(logged);
    return p;
  }

  /** Send after every transaction queued before it is durable. */
  private sendOrdered(to: number, m: Message): void {
    this.chain = this.chain.then(() => {
      if (!this.closed) this.host.sendToOsd(to, m);
    });
  }

  /**
   * Send a MOSDRepOp after the peering persistence queued before it (not after earlier writes); at
   * once when nothing is queued before it, so the replicas get it in this turn, ahead of the local
   * store's work on the same write (a microtask later, the store's prepare ran between the sends).
   */
  private sendRepOp(to: number, m: Message): void {
    if (this.repopChainLinks === 0) {
      if (qd1Trace) qd1Stamp('pg.repop.send');
      if (!this.closed) this.host.sendToOsd(to, m);
      return;
    }
    this.repopChainLinks++;
    this.repopChain = this.repopChain.then(() => {
      this.repopChainLinks--;
      if (qd1Trace) qd1Stamp('pg.repop.send');
      if (!this.closed) this.host.sendToOsd(to, m);
    });
  }

  private track(p: Promise<unknown>): void {
    const q = p.then(() => undefined, (e: unknown) => this.host.log('error', `pg ${this.pgText()}: ${String(e)}`));
    this.pending.add(q);
    void q.finally(() => this.pending.delete(q));
  }

  /** track() for a promise that never rejects (each write's): one reaction instead of four promises. */
  private trackSettled(p: Promise<void>): void {
    this.pending.add(p);
    void p.then(() => this.pending.delete(p));
  }

  private async removeCollection(): Promise<void> {
    const store = this.host.store;
    if (!(await store.collectionExists(this.cid))) return;
    for (;;) {
      const page = await store.listObjects(this.cid, undefined, undefined, 1024);
      if (page.objects.length === 0) break;
      const t = new Transaction();
      for (const o of page.objects) t.remove(this.cid, o);
      await store.queueTransaction(t);
    }
    const t = new Transaction();
    t.removeCollection(this.cid);
    await store.queueTransaction(t);
    this.host.log('info', `pg ${this.pgText()}: removed`);
  }

  // ---- client ops (primary) -----------------------------------------------------------------------

  handleClientOp(m: MOSDOp, conn: Connection): void {
    if (this.closed || this.removed) return;
    let isWrite = (m.flags & OsdFlag.WRITE) !== 0;
    for (let i = 0; !isWrite && i < m.ops.length; i++) isWrite = osdOpIsWrite(m.ops[i]!.op);
    const soid: HObject = { ...m.hobj, pool: this.pgid.pool };
    const op: ClientOp = { m, conn, reqid: m.effectiveReqId(conn.peerName as EntityName), soid, key: objectKey(soid), isWrite, reqKey: undefined };
    if (m.osdmapEpoch > this.epoch || !this.isServing()) {
      if (this.epoch >= m.osdmapEpoch && !this.core.isPrimary()) {
        // misdirected: Ceph's OSD drops it; the client resends on its newer map
        this.host.log('debug', `pg ${this.pgText()}: drop op ${m.hobj.oid} (not primary at e${this.epoch})`);
        return;
      }
      if (this.waitingForActive.length >= opsWaitingMax) {
        this.host.log('warn', `pg ${this.pgText()}: ${opsWaitingMax} ops waiting, dropping one (client resends)`);
        return;
      }
      this.waitingForActive.push(op);
      return;
    }
    this.enqueue(op);
  }

  /** PrimaryLogPG::do_op's checks: 0, a -errno to reply, or 'drop' (an object of another PG). */
  private checkOp(op: ClientOp): number | 'drop' {
    const m = op.m;
    if (m.flags & OsdFlag.PARALLELEXEC) return -Errno.EINVAL;
    if (Buffer.byteLength(m.hobj.oid) > objectNameBytesMax || Buffer.byteLength(m.hobj.key) > objectNameBytesMax) return -Errno.ENAMETOOLONG;
    if (Buffer.byteLength(m.hobj.nspace) > objectNamespaceBytesMax) return -Errno.ENAMETOOLONG;
    if (m.hobj.oid === '') return -Errno.EINVAL;
    const map = this.host.mapAt(this.epoch) ?? this.host.currentMap();
    const pgNum = map.pools.get(this.pgid.pool)?.pgNum ?? 1;
    const bits = pgSplitBits(this.pgid.seed, pgNum);
    const mask = bits >= 32 ? 0xffffffff : (2 ** bits) - 1;
    if (m.hobj.pool !== this.pgid.pool || ((m.hobj.hash >>> 0) & mask) !== (this.pgid.seed & mask)) {
      this.host.log('warn', `pg ${this.pgText()}: op on ${m.hobj.oid} (hash ${m.hobj.hash.toString(16)}) is not in this pg; dropped`);
      return 'drop';
    }
    return 0;
  }

  /** A PG op (PGNLS / PGLS listing): answered from the collection, with no object to order on. */
  private isPgOp(m: MOSDOp): boolean {
    return (m.flags & OsdFlag.PGOP) !== 0 || m.ops.some((o) => o.op === OsdOpCode.PGNLS || o.op === OsdOpCode.PGLS);
  }

  private async runPgOp(op: ClientOp): Promise<void> {
    const map = this.host.mapAt(this.epoch) ?? this.host.currentMap();
    const pgNum = map.pools.get(this.pgid.pool)?.pgNum ?? 1;
    const missing = this.core.persistentState().missing;
    const present: HObject[] = [];
    const deleted = new Set<string>();
    for (const { soid, item } of missing.items.values()) {
      if (item.isDelete) deleted.add(objectKey(soid));
      else present.push(soid);
    }
    let result = 0;
    const ops = op.m.ops.map(copyOSDOp); // as executeOps copies them: a write's data pieces stay unjoined
    for (const o of ops) {
      const r = await listPgObjects({
        op: o, pool: this.pgid.pool, seed: this.pgid.seed, pgNum, nspace: op.m.hobj.nspace,
        list: (start, max) => this.host.store.listObjects(this.cid, start, undefined, max),
        missing: present, isDeleted: (h) => deleted.has(objectKey(h)),
      });
      o.rval = r.result < 0 ? r.result : 0;
      o.outdata = r.outdata;
      result = r.result;
      if (r.result < 0) break;
    }
    if (!this.closed) this.reply(op, result, ops, zeroEVersion(), 0);
  }

  private releaseWaiting(): void {
    if (!this.isServing()) return;
    const keep: ClientOp[] = [];
    const run: ClientOp[] = [];
    for (const op of this.waitingForActive) (op.m.osdmapEpoch > this.epoch ? keep : run).push(op);
    this.waitingForActive = keep;
    for (const op of run) this.enqueue(op);
  }

  /** Run an op now (PG active): a PG op at once, an object op after do_op's checks in its object's queue. */
  private enqueue(op: ClientOp): void {
    if (this.isPgOp(op.m)) {
      this.runPgOp(op).catch((e: unknown) => {
        this.host.log('error', `pg ${this.pgText()}: pg op failed: ${String(e)}`);
        if (!this.closed) this.reply(op, e instanceof CephError ? -e.errno : -5, null, zeroEVersion(), 0);
      });
      return;
    }
    // checked here, not on arrival: an op held while the PG peered is checked when it runs, as Ceph's
    // do_op checks an op requeued from waiting_for_active
    const bad = this.checkOp(op);
    if (bad === 'drop') return;
    if (bad !== 0) {
      this.reply(op, bad, null, zeroEVersion(), 0);
      return;
    }
    const q = this.objectQueues.get(op.key);
    if (q) {
      q.push(op);
      return;
    }
    this.objectQueues.set(op.key, [op]);
    this.startOp(op);
  }

  private startOp(op: ClientOp): void {
    const gen = this.gen;
    this.runOp(op, gen).then(
      () => this.nextOnObject(op, gen),
      (e: unknown) => {
        this.host.log('error', `pg ${this.pgText()}: op ${op.m.hobj.oid} failed: ${String(e)}`);
        if (this.gen === gen && !this.closed) this.reply(op, e instanceof CephError ? -e.errno : -5, null, zeroEVersion(), 0);
        this.nextOnObject(op, gen);
      },
    );
  }

  private nextOnObject(op: ClientOp, gen: number): void {
    if (this.gen !== gen || this.closed) return; // the queues were rebuilt for the new interval
    const q = this.objectQueues.get(op.key);
    if (!q || q[0] !== op) return;
    q.shift();
    const next = q[0];
    if (next === undefined) {
      this.objectQueues.delete(op.key);
      this.recovery.objectIdle(op.key);
      return;
    }
    this.startOp(next);
  }

  /** Runs one op to its reply (writes: until every replica has it). */
  private async runOp(op: ClientOp, gen: number): Promise<void> {
    if (this.closed) return;
    if (op.isWrite) {
      // only committed writes are in doneReqs: a write still replicating is ahead of this op in the
      // object's queue, and one abandoned by a new interval is found (or not) in the log after peering
      const done = this.doneReqs.get(opReqKey(op));
      if (done) {
        this.replyDup(op, done);
        return;
      }
    }
    // recover the object first if this op needs it
    for (let i = 0; ; i++) {
      const needs = op.isWrite ? this.core.isMissingOrDegraded(op.soid) : this.core.isMissingLocally(op.soid);
      if (!needs && !this.recovery.isRecovering(op.key, toGh(op.soid))) break;
      this.host.log('debug', `pg ${this.pgText()}: op tid ${op.m.header.tid} on ${op.m.hobj.oid} waits for recovery`);
      if (i > 1000) throw new CephError('EAGAIN', 'object recovery did not finish');
      await this.waitRecovered(op);
      if (this.gen !== gen) return;
    }
    if (this.gen !== gen) return;
    let repop: RepOp | null = null;
    const turn = this.execTail.then(async () => {
      if (this.gen !== gen || this.closed) return;
      repop = await this.execute(op, gen);
    });
    this.execTail = turn.catch(() => undefined);
    await turn;
    if (repop) await this.repopDone(repop);
  }

  private waitRecovered(op: ClientOp): Promise<void> {
    return new Promise<void>((resolve) => {
      const list = this.waitingForRecovery.get(op.key) ?? [];
      list.push(resolve);
      this.waitingForRecovery.set(op.key, list);
      this.recovery.urgent(op.soid);
      this.drainEffects();
    });
  }

  private wakeRecoveryWaiters(key: string): void {
    if (key === '*backfill*') {
      // a backfill batch ended: every op held in its range checks again
      const all = [...this.waitingForRecovery.values()];
      this.waitingForRecovery.clear();
      for (const list of all) for (const w of list) w();
      return;
    }
    const list = this.waitingForRecovery.get(key);
    if (!list) return;
    this.waitingForRecovery.delete(key);
    for (const w of list) w();
  }

  private onRecoveredLocally(key: string, deltaObjects: number, deltaBytes: number): void {
    this.numObjects += deltaObjects;
    this.numBytes += deltaBytes;
    this.counters.numObjectsRecovered++;
    this.wakeRecoveryWaiters(key);
  }

  /** Execute (serialized with the other ops of the PG): reads reply now, writes start replicating. */
  private async execute(op: ClientOp, gen: number): Promise<RepOp | null> {
    if (qd1Trace) qd1Stamp('pg.exec');
    const obj = toGh(op.soid);
    const info = this.core.info();
    const version = op.isWrite ? this.core.nextVersion() : zeroEVersion();
    // A read-only request's large reads may land in pooled Buffers, released once its reply is written.
    const readPort = op.isWrite ? null : pooledReadPort(this.host.store, this.cid, obj);
    const result = await this.deps.executeOps(
      {
        soid: op.soid, obj, cid: this.cid, ops: op.m.ops, flags: op.m.flags, reqid: op.reqid, version,
        lastUserVersion: info.lastUserVersion, mtime: op.m.mtime,
      },
      readPort ?? objectStorePort(this.host.store, this.cid, obj),
    );
    if (this.gen !== gen || this.closed) return null;
    if (qd1Trace) qd1Stamp('pg.executed');
    this.counters.numRd += result.numRd;
    this.counters.numRdKb += result.numRdKb;
    this.counters.numWr += result.numWr;
    this.counters.numWrKb += result.numWrKb;
    if (result.transaction === null) {
      this.reply(op, result.result, result.ops, zeroEVersion(), result.replyVersion, readPort?.takeRelease() ?? null);
      return null;
    }
    if (this.repops.length >= writesInFlightMax) {
      // back-pressure: the version was handed out, so wait here (in log order) for the oldest write
      await this.repopDone(this.repops[0]!);
      if (this.gen !== gen || this.closed) return null;
    }
    // a write: log entry, pgmeta, local apply and replication
    const entry: PgLogEntry = {
      op: result.logOp, soid: op.soid, version, priorVersion: this.lastVersionOf(op.key), revertingTo: zeroEVersion(),
      reqid: op.reqid, extraReqids: [], mtime: op.m.mtime, returnCode: result.result, opReturns: [],
      userVersion: result.userVersion, modDesc: Buffer.alloc(0), snaps: Buffer.alloc(0), cleanRegions: Buffer.alloc(0),
    };
    const targets = this.core.writeTargets(op.soid).filter((o) => o !== this.host.whoami);
    this.core.appendLogEntry(entry);
    const t = result.transaction;
    // the op's data first, then pgmeta (the entry, info) in the same transaction; the core's log delta
    // holds the entry (appendLogEntry is a log change like any other)
    const eff = this.core.takeEffects();
    const delta = eff.logDelta;
    assert(delta.append[delta.append.length - 1] === entry, 'the core logs the write it was given');
    writePgMeta(t, this.cid, this.meta, this.core.persistentState(), delta, eff.dirty, this.epoch, this.written);
    this.noteLogEntry(entry, false);
    if (delta.rewindTo !== undefined) this.indexLog();
    else if (delta.trimTo !== undefined) this.indexTrim();
    this.numObjects += result.deltaObjects;
    this.numBytes += result.deltaBytes;
    const repop: RepOp = { op, version, userVersion: result.userVersion, result, waitingOn: new Set(targets), localDone: false, gen, replied: false, waiters: undefined };
    if (traceWrites) this.host.log('debug', `pg ${this.pgText()}: write ${op.m.hobj.oid} ${evKey(version)} tid ${op.m.header.tid} to [${targets.join(',')}]`);
    this.repops.push(repop);
    this.repopsByReqid.set(opReqKey(op), repop);
    // replicas get the transaction as Ceph encodes it, before the local commit (as Ceph's issue_repop)
    if (targets.length > 0) {
      const txbl = this.deps.encodeTransaction(t);
      const logbl = encodeLogEntries([entry]);
      const stats = this.repopStatBytes();
      for (const osd of targets) {
        const r = new MOSDRepOp();
        r.mapEpoch = this.epoch;
        r.minEpoch = this.sameIntervalSince;
        r.reqid = op.reqid;
        r.pgid = this.spgid;
        r.poid = op.soid;
        r.acksWanted = OsdFlag.ONDISK;
        r.version = version;
        r.logbl = logbl;
        r.pgStats = stats;
        r.pgTrimTo = zeroEVersion();
        r.from = { osd: this.host.whoami, shard: NO_SHARD };
        r.minLastCompleteOndisk = this.core.info().lastComplete;
        r.transactionParts = txbl;
        this.sendRepOp(osd, r);
      }
    }
    if (qd1Trace) qd1Stamp('pg.queue');
    this.queueOrdered(t, false).then(
      () => {
        if (qd1Trace) qd1Stamp('pg.local.done');
        repop.localDone = true;
        this.evalRepops();
      },
      () => undefined,
    );
    // other effects of the append (messages, state)
    this.applyEffectsButPersistence(eff);
    this.drainEffects();
    return repop;
  }

  /** Resolves once this repop has replied (or was abandoned by a new interval or close). */
  private repopDone(r: RepOp): Promise<void> {
    if (r.replied || r.gen !== this.gen || this.closed) return Promise.resolve();
    return new Promise<void>((resolve) => (r.waiters ??= []).push(resolve));
  }

  private static wakeRepop(r: RepOp): void {
    const ws = r.waiters;
    if (ws === undefined) return;
    r.waiters = undefined;
    for (const w of ws) w();
  }

  /** Every repop in flight is abandoned (new interval, close): wake whoever waits for one. */
  private wakeRepopWaiters(): void {
    for (const r of this.repops) PG.wakeRepop(r);
  }

  /** Ceph's eval_repop: reply to writes in version order once they are on disk everywhere. */
  private evalRepops(): void {
    let progressed = false;
    while (this.repops.length > 0) {
      const r = this.repops[0]!;
      if (!r.localDone || r.waitingOn.size > 0) break;
      this.repops.shift();
      r.replied = true;
      const reqKey = opReqKey(r.op);
      this.repopsByReqid.delete(reqKey);
      this.core.committedEverywhere(r.version);
      this.noteDone(r.op.reqid, { version: r.version, userVersion: r.userVersion, returnCode: r.result.result, opReturns: [] }, reqKey);
      if (traceWrites) this.host.log('debug', `pg ${this.pgText()}: committed ${r.op.m.hobj.oid} ${evKey(r.version)} tid ${r.op.m.header.tid}`);
      this.reply(r.op, r.result.result, r.result.ops, r.version, r.userVersion);
      PG.wakeRepop(r);
      progressed = true;
    }
    if (progressed) this.drainEffects();
  }

  private reply(op: ClientOp, result: number, ops: OSDOp[] | null, v: EVersion, uv: number, onWritten: (() => void) | null = null): void {
    if (qd1Trace) qd1Stamp('pg.reply');
    const r = MOSDOpReply.replyTo(op.m, result, this.epoch);
    r.onWritten = onWritten;
    if (ops) {
      for (let i = 0; i < r.ops.length && i < ops.length; i++) {
        r.ops[i]!.rval = ops[i]!.rval;
        r.ops[i]!.outdata = ops[i]!.outdata;
      }
    }
    r.setReplyVersions(v, uv);
    op.conn.send(r);
  }

  private replyDup(op: ClientOp, d: DoneReq): void {
    const r = MOSDOpReply.replyTo(op.m, d.returnCode, this.epoch);
    for (let i = 0; i < r.ops.length && i < d.opReturns.length; i++) {
      r.ops[i]!.rval = d.opReturns[i]!.rval;
      r.ops[i]!.outdata = d.opReturns[i]!.data;
    }
    r.setReplyVersions(d.version, d.userVersion);
    op.conn.send(r);
  }

  // ---- the log index (resent requests, prior versions) --------------------------------------------

  private readonly lastVersionByObject = new Map<string, EVersion>();
  /** The log entries the indexes hold, in log order (indexTrim finds the trimmed ones here). */
  private indexedLog: PgLogEntry[] = [];
  /** The dups doneReqs was last brought up to date with, in order. */
  private indexedDups: PgLog['dups'] = [];
  /** indexedLog[0, indexedDone) were counted as done by the last indexLog / indexTrim. */
  private indexedDone = 0;

  private lastVersionOf(key: string): EVersion {
    return this.lastVersionByObject.get(key) ?? zeroEVersion();
  }

  /**
   * An entry entered the log. `committed`: it is on disk on every acting OSD (entries the PG activated
   * with, or a write whose replicas all acked), so a resent request may be answered from it.
   */
  private noteLogEntry(e: PgLogEntry, committed: boolean): void {
    if (committed) this.noteDone(e.reqid, { version: e.version, userVersion: e.userVersion, returnCode: e.returnCode, opReturns: e.opReturns });
    this.lastVersionByObject.set(objectKey(e.soid), e.version);
    const last = this.indexedLog[this.indexedLog.length - 1];
    if (last === undefined || cmpEVersion(last.version, e.version) < 0) this.indexedLog.push(e);
  }

  private noteDone(r: OsdReqId, d: DoneReq, key?: string): void {
    if (r.name.type !== 0 || r.tid !== 0) this.doneReqs.set(key ?? reqidKey(r), d);
  }

  /** Rebuild the reqid and object indexes from the core's log (after load, rewind, trim, activation). */
  private indexLog(): void {
    const log = this.core.persistentState().log;
    this.doneReqs.clear();
    this.lastVersionByObject.clear();
    this.indexedLog = [];
    for (const d of log.dups) {
      this.doneReqs.set(reqidKey(d.reqid), { version: d.version, userVersion: d.userVersion, returnCode: d.returnCode, opReturns: d.opReturns });
    }
    for (const e of log.log) this.noteLogEntry(e, true);
    this.indexedDups = log.dups.slice();
    this.indexedDone = this.indexedLog.length;
  }

  /**
   * After a trim (no rewind): bring the indexes to what indexLog would build, touching only what the
   * trim changed instead of every dup and entry (a PG holds up to 3,000 dups; a trim comes every ~100
   * writes). The trimmed entries leave lastVersionByObject and stay in doneReqs as the dups they became;
   * dups the bound pushed out leave doneReqs; every entry still in the log counts as done (indexLog's
   * rule). Falls back to indexLog when the log or dups are not what the trim of the indexed ones gives.
   */
  private indexTrim(): void {
    const log = this.core.persistentState().log;
    const now = log.log;
    const was = this.indexedLog;
    // the trimmed entries are the indexed log's head: find where the remaining log starts in it
    let cut = was.length;
    if (now.length > 0) {
      cut = was.indexOf(now[0]!);
      if (cut < 0) {
        this.indexLog();
        return;
      }
    }
    const kept = was.length - cut;
    for (let i = 0; i < kept && i < now.length; i++) {
      if (was[cut + i] !== now[i]) {
        this.indexLog();
        return;
      }
    }
    // dups: the indexed ones minus those pushed out by the bound, then the trimmed entries' (as trimLog makes them)
    const dupsWas = this.indexedDups;
    const dupsNow = log.dups;
    let added = 0;
    for (let i = 0; i < cut; i++) if (was[i]!.reqid.name.type !== 0 || was[i]!.reqid.tid !== 0) added++;
    const dropped = dupsWas.length + added - dupsNow.length;
    if (dropped < 0 || dropped > dupsWas.length) {
      this.indexLog();
      return;
    }
    for (let i = dropped; i < dupsWas.length; i++) {
      if (dupsWas[i] !== dupsNow[i - dropped]) {
        this.indexLog();
        return;
      }
    }
    for (let i = 0; i < dropped; i++) this.doneReqs.delete(reqidKey(dupsWas[i]!.reqid));
    for (let i = dupsWas.length - dropped; i < dupsNow.length; i++) {
      const d = dupsNow[i]!;
      this.doneReqs.set(reqidKey(d.reqid), { version: d.version, userVersion: d.userVersion, returnCode: d.returnCode, opReturns: d.opReturns });
    }
    for (let i = 0; i < cut; i++) {
      const e = was[i]!;
      const k = objectKey(e.soid);
      const v = this.lastVersionByObject.get(k);
      if (v !== undefined && cmpEVersion(v, e.version) === 0) this.lastVersionByObject.delete(k);
    }
    // the remaining entries (and any appended after the indexed ones) count as done, as indexLog has it
    this.indexedLog = was.slice(cut);
    // (the entries the last index counted are counted still: only those appended since are noted)
    for (let i = Math.max(0, this.indexedDone - cut); i < now.length; i++) this.noteLogEntry(now[i]!, true);
    this.indexedDups = dupsNow.slice();
    this.indexedDone = this.indexedLog.length;
    if (PG.checkIndexes) this.checkIndexes();
  }

  /** Tests: after every indexTrim, check that the indexes equal what indexLog builds. */
  static checkIndexes = false;

  private checkIndexes(): void {
    const done = new Map(this.doneReqs);
    const last = new Map(this.lastVersionByObject);
    const shadow = this.indexedLog.slice();
    this.indexLog();
    assert(shadow.length === this.indexedLog.length && shadow.every((e, i) => e === this.indexedLog[i]), 'indexTrim: the indexed log');
    assert(last.size === this.lastVersionByObject.size, `indexTrim: ${last.size} objects indexed, indexLog has ${this.lastVersionByObject.size}`);
    for (const [k, v] of this.lastVersionByObject) assert(last.get(k) !== undefined && cmpEVersion(last.get(k)!, v) === 0, `indexTrim: object ${k}`);
    assert(done.size === this.doneReqs.size, `indexTrim: ${done.size} reqids indexed, indexLog has ${this.doneReqs.size}`);
    for (const [k, v] of this.doneReqs) {
      const d = done.get(k);
      assert(d !== undefined && cmpEVersion(d.version, v.version) === 0 && d.userVersion === v.userVersion && d.returnCode === v.returnCode, `indexTrim: reqid ${k}`);
    }
  }

  // ---- peer messages ------------------------------------------------------------------------------

  handlePeerMessage(fromOsd: number, m: Message): void {
    if (this.closed || this.removed) return;
    if (m instanceof MOSDRepOp) {
      this.handleRepOp(fromOsd, m);
      return;
    }
    if (m instanceof MOSDRepOpReply) {
      this.handleRepOpReply(fromOsd, m);
      return;
    }
    if (this.recovery.handleMessage(fromOsd, m)) {
      this.drainEffects();
      return;
    }
    const pms = this.deps.fromWire(m);
    if (pms.length === 0) {
      this.host.log('debug', `pg ${this.pgText()}: ignoring ${m.typeName()} from osd.${fromOsd}`);
      return;
    }
    for (const pm of pms) {
      if (pm.pgid.pgid.pool !== this.pgid.pool || pm.pgid.pgid.seed !== this.pgid.seed) continue;
      this.core.handleMessage(fromOsd, pm, this.host.now());
    }
    this.drainEffects();
  }

  /** Replica: apply the primary's transaction and log entries in one transaction, ack once durable. */
  private handleRepOp(fromOsd: number, m: MOSDRepOp): void {
    if (qd1Trace) qd1Stamp('rep.rx');
    if (m.mapEpoch < this.sameIntervalSince) {
      this.host.log('debug', `pg ${this.pgText()}: stale repop e${m.mapEpoch} < ${this.sameIntervalSince}`);
      return;
    }
    let t: Transaction;
    let entries: PgLogEntry[];
    try {
      t = this.deps.decodeTransaction(m.transactionParts);
      entries = decodeLogEntries(m.logbl);
    } catch (e) {
      this.host.log('error', `pg ${this.pgText()}: bad repop from osd.${fromOsd}: ${String(e)}`);
      return;
    }
    for (const e of entries) this.core.appendLogEntry(e);
    const eff = this.core.takeEffects();
    // the core's log delta holds the entries (with anything else the core logged)
    assert(entries.length === 0 || eff.logDelta.append[eff.logDelta.append.length - 1] === entries[entries.length - 1], 'the core logs the entries it was given');
    writePgMeta(t, this.cid, this.meta, this.core.persistentState(), eff.logDelta, eff.dirty, this.epoch, this.written);
    for (const e of entries) this.noteLogEntry(e, false);
    // the primary's object and byte counts: decoded only when something reads them
    this.replicaStats = m.pgStats;
    const epoch = this.epoch;
    // the reply needs these only (the message, whose transaction views the received bytes, can go)
    const minEpoch = m.minEpoch;
    const reqid = m.reqid;
    if (qd1Trace) qd1Stamp('rep.queue');
    this.queueOrdered(t).then(
      () => {
        if (qd1Trace) qd1Stamp('rep.done');
        const r = new MOSDRepOpReply();
        r.mapEpoch = epoch;
        r.minEpoch = minEpoch;
        r.reqid = reqid;
        r.pgid = this.spgid;
        r.ackType = OsdFlag.ONDISK;
        r.result = 0;
        r.lastCompleteOndisk = this.core.info().lastComplete;
        r.from = { osd: this.host.whoami, shard: NO_SHARD };
        if (!this.closed) this.host.sendToOsd(fromOsd, r);
      },
      () => undefined,
    );
    this.applyEffectsButPersistence(eff);
  }

  private handleRepOpReply(fromOsd: number, m: MOSDRepOpReply): void {
    if (qd1Trace) qd1Stamp('pg.repop.reply');
    // a reply from an older interval may name the reqid of a write requeued and run again since; the
    // reply echoes the repop's min_epoch (our same_interval_since when we sent it)
    if (m.minEpoch < this.sameIntervalSince) return;
    const r = this.repopsByReqid.get(reqidKey(m.reqid));
    if (!r) return;
    if (m.result !== 0) {
      this.host.log('error', `pg ${this.pgText()}: osd.${fromOsd} failed repop ${evKey(r.version)}: ${m.result}`);
      return; // the write stays unacked; the next interval re-peers
    }
    if ((m.ackType & OsdFlag.ONDISK) === 0) return;
    r.waitingOn.delete(fromOsd);
    this.evalRepops();
  }

  // ---- stats --------------------------------------------------------------------------------------

  stats(): PgStat {
    const s = emptyPgStat();
    this.fillStats(s);
    // the report outlives this call: no field may share the PG's own objects
    s.version = { ...s.version };
    s.logStart = { ...s.logStart };
    s.ondiskLogStart = { ...s.ondiskLogStart };
    s.parent = { ...s.parent };
    s.up = s.up.slice();
    s.acting = s.acting.slice();
    return s;
  }

  /** The pg_stat_t a MOSDRepOp carries: filled in place in one object per PG and encoded at once. */
  private repopStat: PgStat | undefined;

  private repopStatBytes(): Buffer {
    const s = (this.repopStat ??= emptyPgStat());
    this.fillStats(s);
    return encodeStat(s);
  }

  /** Set every pg_stat_t field the PG keeps (the rest stay as emptyPgStat has them); fields may share the PG's objects. */
  private fillStats(s: PgStat): void {
    const info = this.core.info();
    const now = this.host.now();
    s.version = info.lastUpdate;
    s.reportedEpoch = this.epoch;
    // Ceph's publish_stats_to_osd: (reported_epoch, reported_seq) grows with every report
    s.reportedSeq = ++this.reportedSeq;
    s.state = this.core.stateBits();
    s.lastFresh = now;
    s.lastChange = this.lastChange;
    s.lastActive = this.lastActive;
    s.lastPeered = this.lastActive;
    s.lastClean = this.lastClean;
    s.lastUnstale = now;
    s.lastUndegraded = (s.state & PgState.DEGRADED) ? this.lastChange : now;
    s.lastFullsized = (s.state & PgState.UNDERSIZED) ? this.lastChange : now;
    s.logStart = info.logTail;
    s.ondiskLogStart = info.logTail;
    s.created = info.history.epochCreated;
    s.lastEpochClean = info.history.lastEpochClean;
    s.parent = PARENT_NONE;
    const sum = s.statsSum;
    sum.numObjects = this.numObjects;
    sum.numBytes = this.numBytes;
    sum.numObjectCopies = this.numObjects * Math.max(1, this.core.acting().length);
    sum.numRd = this.counters.numRd;
    sum.numRdKb = this.counters.numRdKb;
    sum.numWr = this.counters.numWr;
    sum.numWrKb = this.counters.numWrKb;
    sum.numObjectsRecovered = this.counters.numObjectsRecovered;
    sum.numBytesRecovered = this.counters.numBytesRecovered;
    const logLen = this.core.persistentState().log.log.length;
    s.logSize = logLen;
    s.ondiskLogSize = logLen;
    s.up = this.core.up();
    s.acting = this.core.acting();
    s.upPrimary = s.up.length ? s.up[0]! : -1;
    s.actingPrimary = s.acting.length ? s.acting[0]! : -1;
    s.mappingEpoch = this.epoch;
    s.lastBecameActive = this.lastActive;
    s.lastBecamePeered = this.lastActive;
    s.lastScrubStamp = info.history.lastScrubStamp;
    s.lastDeepScrubStamp = info.history.lastDeepScrubStamp;
    s.lastCleanScrubStamp = info.history.lastCleanScrubStamp;
  }

  /** Count the PG's objects and bytes from the store (after load, peering or recovery changed them). */
  private async recountObjects(): Promise<void> {
    const store = this.host.store;
    if (!(await store.collectionExists(this.cid))) return;
    let objects = 0;
    let bytes = 0;
    let start: GHObject | undefined;
    for (;;) {
      const page = await store.listObjects(this.cid, start, undefined, 1024);
      for (const o of page.objects) {
        if (o.oid === '' && o.nspace === '' && o.key === '') continue; // pgmeta
        objects++;
        bytes += (await store.stat(this.cid, o)).size;
      }
      if (!page.next) break;
      start = page.next;
    }
    this.numObjects = objects;
    this.numBytes = bytes;
  }

  // ---- shutdown -----------------------------------------------------------------------------------

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.recovery.reset();
    this.wakeRepopWaiters();
    for (const w of this.waitingForRecovery.values()) for (const f of w) f();
    this.waitingForRecovery.clear();
    await this.execTail;
    await this.chain;
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  private pgText(): string {
    return `${this.pgid.pool}.${this.pgid.seed.toString(16)}`;
  }

  /** What recovery did on this OSD for this PG (pushes, pulls, deletes, backfill batches). */
  recoveryCounters(): Readonly<PgRecovery['counters']> {
    return this.recovery.counters;
  }

  /** For tests and the daemon's dumps: the peering core's state string. */
  stateString(): string {
    return this.core.stateString();
  }

  /** True once the core decided this PG is to be removed (the daemon drops the handle). */
  isRemoved(): boolean {
    return this.removed;
  }
}
