// The Objecter (Ceph's src/osdc/Objecter.cc, first slice): places each op on its PG's acting primary
// with the shared OSDMap code, sends it as a MOSDOp over a lossy client connection to that OSD's
// public msgr2 address from the map (nonce included), matches the MOSDOpReply by tid, and sends again
// when a new map moves the op or its connection resets. Ops in flight and their bytes are bounded;
// every op has a deadline (ETIMEDOUT).
//
// Walk-through of one op:
//   1. submit(): wait for room under opsInFlightMax / opBytesInFlightMax, give it a tid, arm its timer.
//   2. target(): hash the locator key (or name) in the namespace -> raw seed -> PG seed -> acting
//      primary. No map yet, or no primary up: the op waits for the next map. Pool gone: ENOENT.
//   3. send(): MOSDOp with tid, epoch, flags, the hobject and the op list, to the connection of that
//      OSD (made once per OSD address and dropped on reset).
//   4. A reply with the same tid settles it; a negative result rejects with CephError (errno name).
//   5. handleMap(): every op whose primary or primary's address changed is sent again (same tid,
//      retryAttempt + 1). A connection reset or refusal resends its ops after resendDelayMs.

import { CephError, assert } from '../common/errors.js';
import {
  ENTITY_ADDR_TYPE_MSGR2, PACIFIC_FEATURES, PlacementWork, UpActing, formatAddrVec, mapToPg, pgToActingPrimary, poolRawHashToPg,
  type EntityAddrVec, type OSDMap,
} from '../common/osdmap/index.js';
import {
  CEPH_NOSNAP, EntityType, MOSDOp, MOSDOpReply, NO_SHARD, OsdFlag, osdOpIsRead, osdOpIsWrite, type Connection, type Dispatcher, type Logger, type Message,
  type Messenger, type OSDOp,
} from '../msg/index.js';
import { operationError } from './operation.js';

/** Ops sent and not yet answered, at once (Ceph's objecter_inflight_ops is 1024). */
export const OPS_IN_FLIGHT_MAX = 1024;
/** Payload bytes of ops in flight (objecter_inflight_op_bytes, 100 MiB). */
export const OP_BYTES_IN_FLIGHT_MAX = 100 * 1024 * 1024;
/** Default per-op deadline (librados has none by default; a test suite wants one). */
export const OP_TIMEOUT_MS = 30000;
/** Pause before sending again after a connection reset or refusal (the OSD may be restarting). */
export const RESEND_DELAY_MS = 200;
/** Ops waiting for room under the in-flight bounds. */
export const OPS_QUEUED_MAX = 65536;

/** Where an op goes: pool, namespace, locator key ('' = the name) and the object name. */
export interface OpTarget {
  pool: number;
  nspace: string;
  key: string;
  oid: string;
  /** A PG op (listing): the PG seed to address instead of hashing the name (oid is then ''). */
  pgSeed?: number;
}

export interface OpResult {
  reply: MOSDOpReply;
  /** The OSD that answered. */
  osd: number;
  /** The ops as the OSD returned them (outdata, rval). */
  ops: OSDOp[];
}

export interface ObjecterOptions {
  opsInFlightMax?: number;
  opBytesInFlightMax?: number;
  opTimeoutMs?: number;
  resendDelayMs?: number;
  log?: Logger;
}

interface InFlightOp {
  tid: number;
  target: OpTarget;
  ops: OSDOp[];
  flags: number;
  bytes: number;
  /** Placement on the newest map (calcTarget): the name's raw hash, its PG seed, the acting primary
   *  (-1: none up with an address) and that primary's address key. */
  rawHash: number;
  pgSeed: number;
  osd: number;
  addrKey: string;
  conn: Connection | null;
  attempts: number;
  timer: NodeJS.Timeout | null;
  resolve: (r: OpResult) => void;
  reject: (e: Error) => void;
  allowError: boolean;
}

export interface SubmitOptions {
  /** Per-op deadline (ETIMEDOUT); 0 = none; the Objecter's opTimeoutMs when not given. */
  timeoutMs?: number;
  /** Resolve with the reply even when its result is negative (the caller reads result and rvals). */
  allowError?: boolean;
}

interface OsdSession {
  osd: number;
  addrKey: string;
  conn: Connection;
}

const noLog: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function opBytes(ops: readonly OSDOp[]): number {
  let n = 0;
  for (const o of ops) n += o.indata.length;
  return n;
}

export class Objecter implements Dispatcher {
  private map: OSDMap | null = null;
  private readonly work = new PlacementWork();
  private readonly upActing = new UpActing();
  /** Each OSD's msgr2 address key on the current map, filled on first use ('' = down or none). */
  private addrKeys: Array<string | undefined> = [];
  private lastTid = 0;
  private readonly inFlight = new Map<number, InFlightOp>();
  private inFlightBytes = 0;
  private readonly queue: Array<() => void> = [];
  private readonly sessions = new Map<number, OsdSession>();
  private readonly resendTimers = new Set<NodeJS.Timeout>();
  private stopped = false;
  readonly opsInFlightMax: number;
  readonly opBytesInFlightMax: number;
  readonly opTimeoutMs: number;
  private readonly resendDelayMs: number;
  private readonly log: Logger;
  /** Counters for tests: how many times an op was sent again. */
  resends = 0;

  constructor(private readonly messenger: Messenger, opts: ObjecterOptions = {}) {
    this.opsInFlightMax = opts.opsInFlightMax ?? OPS_IN_FLIGHT_MAX;
    this.opBytesInFlightMax = opts.opBytesInFlightMax ?? OP_BYTES_IN_FLIGHT_MAX;
    this.opTimeoutMs = opts.opTimeoutMs ?? OP_TIMEOUT_MS;
    this.resendDelayMs = opts.resendDelayMs ?? RESEND_DELAY_MS;
    this.log = opts.log ?? noLog;
    assert(this.opsInFlightMax > 0 && this.opBytesInFlightMax > 0, 'objecter bounds must be positive');
    messenger.addDispatcher(this);
  }

  get osdmap(): OSDMap | null {
    return this.map;
  }

  get opsInFlight(): number {
    return this.inFlight.size;
  }

  /** A new map (already applied by the caller): retarget every op it moves. */
  handleMap(map: OSDMap): void {
    this.map = map;
    this.work.invalidate();
    this.addrKeys = [];
    for (const [osd, s] of this.sessions) {
      if (this.addrKeyOf(osd) !== s.addrKey) {
        s.conn.markDown();
        this.sessions.delete(osd);
      }
    }
    for (const op of this.inFlight.values()) {
      const { osd, addrKey } = op;
      if (!this.calcTarget(op)) continue;
      if (op.osd !== osd || op.addrKey !== addrKey || op.conn === null) this.send(op);
    }
  }

  /**
   * Run `ops` on one object. Resolves with the reply when its result is >= 0; rejects with CephError
   * (ENOENT, EEXIST, ..., ETIMEDOUT) otherwise.
   */
  async submit(target: OpTarget, ops: OSDOp[], opts: SubmitOptions = {}): Promise<OpResult> {
    if (this.stopped) throw new CephError('ESHUTDOWN', 'the Rados handle was shut down');
    const bytes = opBytes(ops);
    if (bytes > this.opBytesInFlightMax) throw new CephError('E2BIG', `one op of ${bytes} bytes exceeds the in-flight bound of ${this.opBytesInFlightMax} bytes`);
    while (this.inFlight.size >= this.opsInFlightMax || this.inFlightBytes + bytes > this.opBytesInFlightMax) {
      if (this.queue.length >= OPS_QUEUED_MAX) throw new CephError('EAGAIN', `${OPS_QUEUED_MAX} ops already wait for room; slow down`);
      await new Promise<void>((r) => this.queue.push(r));
      if (this.stopped) throw new CephError('ESHUTDOWN', 'the Rados handle was shut down');
    }
    const write = ops.some((o) => osdOpIsWrite(o.op));
    const read = ops.some((o) => osdOpIsRead(o.op));
    const flags = (write ? OsdFlag.WRITE | OsdFlag.ONDISK : 0) | (read || !write ? OsdFlag.READ : 0);
    return new Promise<OpResult>((resolve, reject) => {
      const op: InFlightOp = {
        tid: ++this.lastTid, target, ops, flags, bytes, rawHash: 0, pgSeed: 0, osd: -1, addrKey: '', conn: null, attempts: 0, timer: null, resolve, reject,
        allowError: opts.allowError === true,
      };
      this.inFlight.set(op.tid, op);
      this.inFlightBytes += bytes;
      const timeoutMs = opts.timeoutMs ?? this.opTimeoutMs;
      if (timeoutMs > 0) {
        op.timer = setTimeout(() => {
          this.finish(op, new CephError('ETIMEDOUT', `${target.oid}: no reply within ${timeoutMs} ms (osd.${op.osd}, ${op.attempts} sends); is the OSD up and its PG active?`));
        }, timeoutMs);
      }
      if (this.calcTarget(op)) this.send(op);
    });
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    for (const t of this.resendTimers) clearTimeout(t);
    this.resendTimers.clear();
    for (const op of [...this.inFlight.values()]) this.finish(op, new CephError('ESHUTDOWN', 'the Rados handle was shut down'));
    for (const s of this.sessions.values()) s.conn.markDown();
    this.sessions.clear();
    for (const w of this.queue.splice(0)) w();
  }

  // --- Dispatcher --------------------------------------------------------------------------------

  dispatch(conn: Connection, m: Message): void {
    if (!(m instanceof MOSDOpReply)) return;
    const op = this.inFlight.get(m.header.tid);
    if (!op || op.conn !== conn) return; // late reply to an earlier send, or not ours
    if (m.redirect) {
      this.finish(op, new CephError('EOPNOTSUPP', `${op.target.oid}: the OSD redirected the op (not supported yet)`));
      return;
    }
    if (m.result < 0 && !op.allowError) {
      this.finish(op, operationError(m.result, op.target.oid, op.osd));
      return;
    }
    this.finish(op, null, { reply: m, ops: m.ops, osd: op.osd });
  }

  handleReset(conn: Connection): void {
    this.connectionLost(conn);
  }

  handleRefused(conn: Connection): void {
    this.connectionLost(conn);
  }

  handleRemoteReset(conn: Connection): void {
    this.connectionLost(conn);
  }

  // --- internals ---------------------------------------------------------------------------------

  private connectionLost(conn: Connection): void {
    let ours = false;
    for (const [osd, s] of this.sessions) {
      if (s.conn === conn) {
        this.sessions.delete(osd);
        ours = true;
      }
    }
    if (!ours || this.stopped) return;
    const waiting = [...this.inFlight.values()].filter((op) => op.conn === conn);
    for (const op of waiting) op.conn = null;
    if (waiting.length === 0) return;
    this.log.debug(`objecter: connection to ${formatAddrVec(conn.peerAddrs)} lost, ${waiting.length} ops to resend`);
    const t = setTimeout(() => {
      this.resendTimers.delete(t);
      for (const op of waiting) {
        if (this.inFlight.get(op.tid) !== op || op.conn !== null) continue;
        if (this.calcTarget(op)) this.send(op);
      }
    }, this.resendDelayMs);
    this.resendTimers.add(t);
  }

  private addrKeyOf(osd: number): string {
    if (osd < 0) return '';
    let k = this.addrKeys[osd];
    if (k === undefined) {
      const v = this.osdAddrs(osd);
      k = this.addrKeys[osd] = v ? formatAddrVec(v) : '';
    }
    return k;
  }

  private osdAddrs(osd: number): EntityAddrVec | null {
    const map = this.map;
    if (!map || osd < 0 || !map.isUp(osd)) return null;
    const v = (map.clientAddrs[osd] ?? []).filter((a) => a.type === ENTITY_ADDR_TYPE_MSGR2);
    return v.length ? v : null;
  }

  /**
   * Place the op on the current map: op.rawHash, op.pgSeed, op.osd and op.addrKey (osd -1 when no map
   * or no primary up yet). False when the op was failed instead (pool deleted, PG past pg_num).
   */
  private calcTarget(op: InFlightOp): boolean {
    const map = this.map;
    if (!map) {
      op.osd = -1;
      op.addrKey = '';
      return true;
    }
    const t = op.target;
    const pool = map.pools.get(t.pool);
    if (!pool) {
      this.finish(op, new CephError('ENOENT', `pool ${t.pool} does not exist (osdmap epoch ${map.epoch})`));
      return false;
    }
    const raw = t.pgSeed ?? mapToPg(map, t.pool, t.oid, t.key, t.nspace);
    const seed = t.pgSeed ?? poolRawHashToPg(pool, raw);
    if (seed >= pool.pgNum) {
      this.finish(op, new CephError('ERANGE', `pg ${t.pool}.${seed.toString(16)} is past pg_num ${pool.pgNum} (the pool changed while listing)`));
      return false;
    }
    const primary = pgToActingPrimary(map, t.pool, seed, this.work, this.upActing);
    op.rawHash = raw >>> 0;
    op.pgSeed = seed;
    op.addrKey = this.addrKeyOf(primary);
    op.osd = op.addrKey ? primary : -1;
    return true;
  }

  /** Send the op where calcTarget placed it (or leave it for the next map when it found no primary). */
  private send(op: InFlightOp): void {
    const map = this.map;
    if (!map || op.osd < 0) {
      op.conn = null; // no primary yet: the next map sends it
      return;
    }
    const target = op.target;
    const m = new MOSDOp();
    m.header.tid = op.tid;
    m.pgid = { pgid: { pool: target.pool, seed: op.pgSeed }, shard: NO_SHARD };
    m.hobj = { oid: target.oid, key: target.key, nspace: target.nspace, hash: op.rawHash, pool: target.pool, snap: CEPH_NOSNAP, max: false };
    m.osdmapEpoch = map.epoch;
    m.flags = op.flags | OsdFlag.KNOWN_REDIR | (target.pgSeed !== undefined ? OsdFlag.PGOP : 0);
    m.clientInc = 1;
    const now = Date.now();
    m.mtime = { sec: Math.floor(now / 1000), nsec: (now % 1000) * 1e6 };
    m.ops = op.ops;
    m.retryAttempt = op.attempts;
    m.features = PACIFIC_FEATURES;
    // The reqid stays unset: the OSD files the op under our entity name, this tid and clientInc.
    if (op.attempts > 0) this.resends++;
    op.attempts++;
    op.conn = this.session(op.osd, op.addrKey).conn;
    op.conn.send(m);
  }

  private session(osd: number, addrKey: string): OsdSession {
    const s = this.sessions.get(osd);
    if (s && s.addrKey === addrKey) return s;
    s?.conn.markDown();
    const addrs = this.osdAddrs(osd);
    assert(addrs !== null, `osd.${osd} has no msgr2 address although it was chosen`);
    const fresh: OsdSession = { osd, addrKey, conn: this.messenger.connectTo(EntityType.OSD, addrs) };
    this.sessions.set(osd, fresh);
    return fresh;
  }

  private finish(op: InFlightOp, err: Error | null, r?: OpResult): void {
    if (this.inFlight.get(op.tid) !== op) return;
    this.inFlight.delete(op.tid);
    this.inFlightBytes -= op.bytes;
    if (op.timer) clearTimeout(op.timer);
    op.timer = null;
    if (err) op.reject(err);
    else op.resolve(r!);
    const next = this.queue.shift();
    if (next) next();
  }
}
