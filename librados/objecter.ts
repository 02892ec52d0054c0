// The Objecter (Ceph's src/osdc/Objecter.cc, first slice): places each op on its PG's acting primary
// with the shared OSDMap code, sends it as a MOSDOp over a lossy client connection to that OSD's
// public msgr2 address from the map (nonce included), matches the MOSDOpReply by tid, and sends again
// when a new map moves the op or its connection resets. Ops in flight and their bytes are bounded;
// every op has a deadline (ETIMEDOUT), checked by one sweeping timer for all ops.
//
// Walk-through of one op:
//   1. submit(): wait for room under opsInFlightMax / opBytesInFlightMax, give it a tid and its
//      deadline (the sweep runs while any op is in flight: every opTimeoutTickMs it fails the ops
//      past their deadline, so an op times out at most one tick late).
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
/** How often the sweep looks for ops past their deadline (an op times out at most this late). */
export const OP_TIMEOUT_TICK_MS = 100;
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
  opTimeoutTickMs?: number;
  resendDelayMs?: number;
  log?: Logger;
}

/** An op from submit() to its reply (or failure): one object per op, its fields set up front. */
class InFlightOp {
  /** Placement on the newest map (calcTarget): the name's raw hash, its PG seed, the acting primary
   *  (-1: none up with an address) and that primary's address key. */
  rawHash = 0;
  pgSeed = 0;
  osd = -1;
  addrKey = '';
  conn: Connection | null = null;
  attempts = 0;
  resolve: (v: unknown) => void = noResolve;
  reject: (e: Error) => void = noReject;

  constructor(
    readonly tid: number,
    readonly target: OpTarget,
    readonly ops: OSDOp[],
    readonly flags: number,
    readonly bytes: number,
    readonly allowError: boolean,
    /** Milliseconds on the Objecter's clock after which the sweep fails the op (Infinity: never). */
    readonly deadline: number,
    readonly timeoutMs: number,
    /** What the op's promise resolves with, made from the reply (null: the OpResult itself). */
    readonly map: ((r: OpResult) => unknown) | null,
  ) {}
}

const noResolve = (): void => undefined;
const noReject = (): void => undefined;

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
  for (let i = 0; i < ops.length; i++) n += ops[i]!.indata.length;
  return n;
}

/** The MOSDOp flags of an op list: WRITE|ONDISK with any write, READ with any read (or no write). */
function opFlags(ops: readonly OSDOp[]): number {
  let write = false;
  let read = false;
  for (let i = 0; i < ops.length; i++) {
    const code = ops[i]!.op;
    if (osdOpIsWrite(code)) write = true;
    if (osdOpIsRead(code)) read = true;
  }
  return (write ? OsdFlag.WRITE | OsdFlag.ONDISK : 0) | (read || !write ? OsdFlag.READ : 0);
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
  /** The one deadline sweep, running while ops are in flight. */
  private sweepTimer: NodeJS.Timeout | null = null;
  private readonly sweepBound = (): void => this.sweep();
  private stopped = false;
  readonly opsInFlightMax: number;
  readonly opBytesInFlightMax: number;
  readonly opTimeoutMs: number;
  readonly opTimeoutTickMs: number;
  private readonly resendDelayMs: number;
  private readonly log: Logger;
  /** Counters for tests: how many times an op was sent again. */
  resends = 0;

  constructor(private readonly messenger: Messenger, opts: ObjecterOptions = {}) {
    this.opsInFlightMax = opts.opsInFlightMax ?? OPS_IN_FLIGHT_MAX;
    this.opBytesInFlightMax = opts.opBytesInFlightMax ?? OP_BYTES_IN_FLIGHT_MAX;
    this.opTimeoutMs = opts.opTimeoutMs ?? OP_TIMEOUT_MS;
    this.opTimeoutTickMs = opts.opTimeoutTickMs ?? OP_TIMEOUT_TICK_MS;
    this.resendDelayMs = opts.resendDelayMs ?? RESEND_DELAY_MS;
    this.log = opts.log ?? noLog;
    assert(this.opsInFlightMax > 0 && this.opBytesInFlightMax > 0 && this.opTimeoutTickMs > 0, 'objecter bounds must be positive');
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
   * (ENOENT, EEXIST, ..., ETIMEDOUT) otherwise. With `map`, resolves with map(reply) instead (an
   * IoCtx call's value, without a second promise; a throw from map rejects). One Promise per op; a
   * wait for room only when the in-flight bounds are reached.
   */
  submit(target: OpTarget, ops: OSDOp[], opts?: SubmitOptions): Promise<OpResult>;
  submit<T>(target: OpTarget, ops: OSDOp[], opts: SubmitOptions | undefined, map: (r: OpResult) => T): Promise<T>;
  submit<T>(target: OpTarget, ops: OSDOp[], opts?: SubmitOptions, map?: (r: OpResult) => T): Promise<T | OpResult> {
    if (this.stopped) return Promise.reject(new CephError('ESHUTDOWN', 'the Rados handle was shut down'));
    const bytes = opBytes(ops);
    if (bytes > this.opBytesInFlightMax) return Promise.reject(new CephError('E2BIG', `one op of ${bytes} bytes exceeds the in-flight bound of ${this.opBytesInFlightMax} bytes`));
    if (this.inFlight.size >= this.opsInFlightMax || this.inFlightBytes + bytes > this.opBytesInFlightMax) return this.submitAfterRoom(target, ops, bytes, opts, map ?? null);
    return this.start(target, ops, bytes, opts, map ?? null);
  }

  private async submitAfterRoom(target: OpTarget, ops: OSDOp[], bytes: number, opts: SubmitOptions | undefined, map: ((r: OpResult) => unknown) | null): Promise<never> {
    while (this.inFlight.size >= this.opsInFlightMax || this.inFlightBytes + bytes > this.opBytesInFlightMax) {
      if (this.queue.length >= OPS_QUEUED_MAX) throw new CephError('EAGAIN', `${OPS_QUEUED_MAX} ops already wait for room; slow down`);
      await new Promise<void>((r) => this.queue.push(r));
      if (this.stopped) throw new CephError('ESHUTDOWN', 'the Rados handle was shut down');
    }
    return this.start(target, ops, bytes, opts, map);
  }

  /** Put the op in flight (there is room) and send it where it goes. The promise's type is the caller's (map's). */
  private start(target: OpTarget, ops: OSDOp[], bytes: number, opts: SubmitOptions | undefined, map: ((r: OpResult) => unknown) | null): Promise<never> {
    const timeoutMs = opts?.timeoutMs ?? this.opTimeoutMs;
    const deadline = timeoutMs > 0 ? performance.now() + timeoutMs : Infinity;
    const op = new InFlightOp(++this.lastTid, target, ops, opFlags(ops), bytes, opts?.allowError === true, deadline, timeoutMs, map);
    const p = new Promise<never>((resolve, reject) => {
      op.resolve = resolve as (v: unknown) => void;
      op.reject = reject;
    });
    this.inFlight.set(op.tid, op);
    this.inFlightBytes += bytes;
    if (this.sweepTimer === null && deadline !== Infinity) this.sweepTimer = setInterval(this.sweepBound, this.opTimeoutTickMs);
    if (this.calcTarget(op)) this.send(op);
    return p;
  }

  /** The deadline sweep: fail the ops past their deadline; stop when nothing is in flight. */
  private sweep(): void {
    if (this.inFlight.size === 0) {
      if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
      this.sweepTimer = null;
      return;
    }
    const now = performance.now();
    for (const op of this.inFlight.values()) {
      if (op.deadline > now) continue;
      this.finish(op, new CephError('ETIMEDOUT', `${op.target.oid}: no reply within ${op.timeoutMs} ms (osd.${op.osd}, ${op.attempts} sends); is the OSD up and its PG active?`));
    }
  }

  async shutdown(): Promise<void> {
    this.stopped = true;
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
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
    if (err) op.reject(err);
    else if (op.map === null) op.resolve(r!);
    else settleMapped(op, op.map, r!);
    const next = this.queue.shift();
    if (next) next();
  }
}

/** Resolve with map(reply), or reject when map throws (reply bytes that do not decode: a CephError). */
function settleMapped(op: InFlightOp, map: (r: OpResult) => unknown, r: OpResult): void {
  let v: unknown;
  try {
    v = map(r);
  } catch (e) {
    op.reject(e as Error);
    return;
  }
  op.resolve(v);
}
