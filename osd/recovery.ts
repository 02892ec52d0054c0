// Recovery for one PG: executes the peering core's RecoveryTasks over the store and the cluster
// messenger, as Ceph's ReplicatedBackend does (push, pull, recovery delete) plus backfill.
//
//  push      the primary reads the object whole (data, xattrs, omap header and values) and sends it
//            (MOSDPGPush) to each peer; a receiver replaces its copy in one transaction (remove, then
//            write everything) and answers MOSDPGPushReply once it is durable.
//  pull      the primary asks the holder (MOSDPGPull); the holder pushes the object to the primary.
//  delete    MOSDPGRecoveryDelete: the peer removes the object, answers MOSDPGRecoveryDeleteReply.
//  backfill  the primary walks its collection in hash order from the target's last_backfill, in
//            batches: it holds client writes to the batch's range, pushes every object of the range,
//            then sends a progress mark (MOSDPGBackfill PROGRESS with the new last_backfill); the target
//            removes the objects of that range it holds but was not sent (extras), and the primary
//            tells the core (onBackfillProgress). Pushes + removals at the target: no MOSDPGScan digest
//            (every object of the range is sent; a scan would skip the ones already current).
//
// Throttled: at most recoveryMaxActive tasks per PG and osdRecoveryMaxActive per OSD (shared by the
// PGs of one host), and a backfill batch holds at most backfillBatchObjects / backfillBatchBytes.
// An object a blocked client op waits on is taken first (urgent).

import { CephError } from '../common/errors.js';
import { compareObjects, NO_SHARD, OBJECT_MAX, Transaction, type CollectionId, type GHObject } from './objectstore/types.js';
import type { Message } from '../msg/index.js';
import type { EVersion, HObject, SpgId } from '../msg/messages/osdop.js';
import {
  defaultObjectInfoBytes, defaultSnapSetBytes, emptyRecoveryInfo, emptyRecoveryProgress, MOSDPGBackfill, MOSDPGPull,
  MOSDPGPush, MOSDPGPushReply, MOSDPGRecoveryDelete, MOSDPGRecoveryDeleteReply, PgBackfillOp,
  type ObjectRecoveryInfo, type ObjectRecoveryProgress, type PushOp,
} from '../msg/messages/pg.js';
import { objectKey } from '../msg/messages/pgtypes.js';
import type { PeeringCore, RecoveryTask } from './core/peering-api.js';
import type { PgHost } from './pg-api.js';

// ---- limits ---------------------------------------------------------------------------------------

/** Ceph 16's osd_recovery_max_active (for HDDs 3): tasks in flight per PG and per OSD. */
export const recoveryMaxActive = 3;
export const osdRecoveryMaxActive = 3;
/** Objects and bytes of one backfill batch (Ceph's osd_backfill_scan_min/max are 64/512 objects). */
export const backfillBatchObjects = 64;
export const backfillBatchBytes = 8 * 1024 * 1024;
/** Omap keys read per page when reading an object whole. */
const omapPageKeys = 4096;

// ---- the recovery messages as plain objects (the wire classes are HB's msg/messages/pg.ts) --------

/** One object whole: what a push carries (Ceph's PushOp with ObjectRecoveryInfo, complete in one op). */
export interface ObjectCopy {
  soid: HObject;
  version: EVersion;
  /** The object's size (a deletion is recovered with a delete, never a push). */
  size: number;
  data: Buffer;
  attrs: Map<string, Buffer>;
  omapHeader: Buffer;
  omap: Map<string, Buffer>;
}

export type RecoveryMsg =
  | { kind: 'push'; pushes: ObjectCopy[] }
  | { kind: 'pushReply'; objects: HObject[] }
  | { kind: 'pull'; objects: Array<{ soid: HObject; version: EVersion }> }
  | { kind: 'delete'; objects: Array<{ soid: HObject; version: EVersion }> }
  | { kind: 'deleteReply'; objects: Array<{ soid: HObject; version: EVersion }> }
  /** Backfill progress: the target now has every object <= lastBackfill (max: done). */
  | { kind: 'backfillProgress'; lastBackfill: HObject; done: boolean };

export interface RecoveryDeps {
  /** `minEpoch`: the primary's interval start when it asked (replies echo the request's). */
  recoveryToWire(msg: RecoveryMsg, pgid: SpgId, epoch: number, fromOsd: number, minEpoch: number): Message;
  /** null when the message is not a recovery message. */
  recoveryFromWire(m: Message): { msg: RecoveryMsg; minEpoch: number } | null;
}

/** What the PG gives its recovery engine. */
export interface RecoveryContext {
  host: PgHost;
  deps: RecoveryDeps;
  core: PeeringCore;
  cid: CollectionId;
  spgid: SpgId;
  epoch(): number;
  /** The current interval's first epoch (same_interval_since). */
  intervalStart(): number;
  toGh(h: HObject): GHObject;
  toHObject(g: GHObject): HObject;
  /** Send in the PG's order (after earlier persistence). */
  send(to: number, m: Message): void;
  /** Queue `t` with the core's pending effects (missing set, info) folded in; resolves when durable. */
  commit(t: Transaction): Promise<void>;
  /** An object of this PG changed locally through recovery (stats delta), its waiters may run. */
  onLocalObjectChanged(key: string, deltaObjects: number, deltaBytes: number): void;
  onPeerRecovered(key: string): void;
  /** Drain the core's effects (after telling it about progress). */
  kick(): void;
  /** A client op on this object is running or queued. */
  isObjectBusy(key: string): boolean;
  track(p: Promise<unknown>): void;
}

/**
 * An OSD's recovery slots (the PGs of one host share them): tasks in flight, and the PGs waiting for
 * one (each once, in arrival order).
 */
interface OsdSlots {
  n: number;
  waiters: Set<() => void>;
}

const osdActive = new WeakMap<PgHost, OsdSlots>();

function osdSlots(host: PgHost): OsdSlots {
  let s = osdActive.get(host);
  if (!s) {
    s = { n: 0, waiters: new Set() };
    osdActive.set(host, s);
  }
  return s;
}

interface ActiveTask {
  task: RecoveryTask;
  /** Peers whose reply is still awaited (push / delete), or the holder (pull). */
  waitingOn: Set<number>;
  key: string;
  gen: number;
}

export class PgRecovery {
  private gen = 0;
  private readonly active = new Map<string, ActiveTask>();
  private urgentObject: HObject | undefined;
  /** A backfill batch's range (begin exclusive, end inclusive), during which writes in it wait. */
  private backfillRange: { begin: GHObject; end: GHObject } | undefined;
  private readonly backfillPushWaits = new Map<string, () => void>();
  private readonly idleWaiters = new Map<string, Array<() => void>>();
  /** Target side of a backfill: objects received since the last progress mark, and that mark. */
  private backfillReceived = new Set<string>();
  private backfillPrev: GHObject | undefined;
  private slotsHeld = 0;
  /** What this PG's recovery did (tests and the daemon's dumps). */
  readonly counters = { pushes: 0, pulls: 0, deletes: 0, backfillBatches: 0, pushesReceived: 0, extrasRemoved: 0 };

  constructor(private readonly ctx: RecoveryContext) {}

  /** A new interval: forget everything in flight (the core re-plans recovery after peering). */
  reset(): void {
    this.gen++;
    this.releaseSlots(this.slotsHeld);
    this.active.clear();
    this.objectTasks.clear();
    this.urgentObject = undefined;
    this.backfillRange = undefined;
    for (const w of this.backfillPushWaits.values()) w();
    this.backfillPushWaits.clear();
    for (const ws of this.idleWaiters.values()) for (const w of ws) w();
    this.idleWaiters.clear();
    this.backfillReceived = new Set();
    this.backfillPrev = undefined;
  }

  /** Is this object being recovered (or inside the current backfill batch)? Client ops on it wait. */
  isRecovering(key: string, gh?: GHObject): boolean {
    if ((this.objectTasks.get(key) ?? 0) > 0 || this.localApplying.has(key)) return true;
    const r = this.backfillRange;
    if (r && gh) return compareObjects(gh, r.begin) > 0 && compareObjects(gh, r.end) <= 0;
    return false;
  }

  /** A client op waits on this object: recover it before anything else. */
  urgent(soid: HObject): void {
    this.urgentObject = soid;
    this.kick();
  }

  /** The PG's per-object queue for `key` emptied. */
  objectIdle(key: string): void {
    const ws = this.idleWaiters.get(key);
    if (!ws) return;
    this.idleWaiters.delete(key);
    for (const w of ws) w();
  }

  /** Take tasks from the core while slots are free. */
  kick(): void {
    const core = this.ctx.core;
    if (!core.isPrimary() || !core.isActive()) return;
    const slots = osdSlots(this.ctx.host);
    for (;;) {
      if (this.active.size >= recoveryMaxActive) return;
      if (slots.n >= osdRecoveryMaxActive && this.urgentObject === undefined) {
        slots.waiters.add(this.kickLater); // a set: PGs waking with no slot free wait again in O(1)
        return;
      }
      const tasks = core.takeRecoveryTasks(1, this.urgentObject);
      const task = tasks[0];
      if (!task) return;
      if (this.urgentObject && task.kind !== 'backfill' && objectKey(task.soid) === objectKey(this.urgentObject)) this.urgentObject = undefined;
      slots.n++;
      this.slotsHeld++;
      this.start(task);
    }
  }

  private readonly kickLater = (): void => {
    this.kick();
  };

  private releaseSlots(n: number): void {
    if (n <= 0) return;
    const slots = osdSlots(this.ctx.host);
    slots.n = Math.max(0, slots.n - n);
    this.slotsHeld = Math.max(0, this.slotsHeld - n);
    const ws = [...slots.waiters];
    slots.waiters.clear();
    for (const w of ws) w();
  }

  /** One task per kind and object (the core may hand a pull and a push of one object at once). */
  private taskKey(t: RecoveryTask): string {
    return t.kind === 'backfill' ? `backfill:${t.to}` : `${t.kind}:${objectKey(t.soid)}`;
  }

  /** Objects with a task in flight (by object key), and objects whose recovered copy is not yet durable here. */
  private readonly objectTasks = new Map<string, number>();
  private readonly localApplying = new Map<string, Promise<void>>();

  /** Wait until a copy of the object being applied here is durable (a push must not read it before). */
  private async settledLocally(key: string): Promise<void> {
    for (let p = this.localApplying.get(key); p; p = this.localApplying.get(key)) await p.catch(() => undefined);
  }

  private start(task: RecoveryTask): void {
    const gen = this.gen;
    this.ctx.host.log('debug', `pg ${this.ctx.cid}: recovery ${task.kind} ${task.kind === 'backfill' ? `osd.${task.to} from ${task.from.oid}` : `${task.soid.oid} ${task.version.epoch}'${task.version.version}`}`);
    const key = this.taskKey(task);
    const a: ActiveTask = { task, waitingOn: new Set(), key, gen };
    this.active.set(key, a);
    if (task.kind !== 'backfill') {
      const ok = objectKey(task.soid);
      this.objectTasks.set(ok, (this.objectTasks.get(ok) ?? 0) + 1);
    }
    const p = this.run(a).catch((e: unknown) => {
      this.ctx.host.log('warn', `pg ${this.ctx.cid}: recovery ${task.kind} failed: ${String(e)}`);
      if (this.gen === gen) {
        this.ctx.core.onRecoveryFailed(task);
        this.finish(a);
      }
    });
    this.ctx.track(p);
  }

  private finish(a: ActiveTask): void {
    if (this.active.get(a.key) !== a) return;
    this.active.delete(a.key);
    if (a.task.kind !== 'backfill') {
      const ok = objectKey(a.task.soid);
      const n = (this.objectTasks.get(ok) ?? 1) - 1;
      if (n > 0) this.objectTasks.set(ok, n);
      else this.objectTasks.delete(ok);
      this.ctx.onPeerRecovered(ok);
    }
    this.releaseSlots(1);
    this.ctx.kick();
    this.kick();
  }

  private async run(a: ActiveTask): Promise<void> {
    const t = a.task;
    const me = this.ctx.host.whoami;
    switch (t.kind) {
      case 'push': {
        await this.settledLocally(objectKey(t.soid));
        if (a.gen !== this.gen) return;
        const copy = await this.readCopy(t.soid, t.version);
        for (const osd of t.to) if (osd !== me) a.waitingOn.add(osd);
        for (const osd of a.waitingOn) this.sendTo(osd, { kind: 'push', pushes: [copy] });
        this.counters.pushes += a.waitingOn.size;
        if (a.waitingOn.size === 0) this.finish(a);
        return;
      }
      case 'pull':
        a.waitingOn.add(t.from);
        this.counters.pulls++;
        this.sendTo(t.from, { kind: 'pull', objects: [{ soid: t.soid, version: t.version }] });
        return;
      case 'delete': {
        if (t.to.includes(me)) await this.deleteLocally(t.soid, t.version);
        if (a.gen !== this.gen) return;
        for (const osd of t.to) if (osd !== me) a.waitingOn.add(osd);
        for (const osd of a.waitingOn) this.sendTo(osd, { kind: 'delete', objects: [{ soid: t.soid, version: t.version }] });
        this.counters.deletes += a.waitingOn.size;
        if (a.waitingOn.size === 0) this.finish(a);
        return;
      }
      case 'backfill':
        await this.backfill(a, t.to, t.from);
        return;
    }
  }

  private sendTo(osd: number, msg: RecoveryMsg, minEpoch = this.ctx.intervalStart()): void {
    this.ctx.send(osd, this.ctx.deps.recoveryToWire(msg, this.ctx.spgid, this.ctx.epoch(), this.ctx.host.whoami, minEpoch));
  }

  // ---- reading and writing whole objects ----------------------------------------------------------

  private async readCopy(soid: HObject, version: EVersion): Promise<ObjectCopy> {
    const store = this.ctx.host.store;
    const cid = this.ctx.cid;
    const gh = this.ctx.toGh(soid);
    const st = await store.stat(cid, gh); // ENOENT fails the task; the core re-plans it
    const data = st.size > 0 ? await store.read(cid, gh, 0, st.size) : Buffer.alloc(0);
    const attrs = await store.getattrs(cid, gh);
    const omapHeader = await store.omapGetHeader(cid, gh);
    const omap = new Map<string, Buffer>();
    let after: string | undefined;
    for (;;) {
      const page = await store.omapIterate(cid, gh, after, omapPageKeys);
      for (const [k, v] of page.entries) omap.set(k, v);
      if (!page.more || page.entries.length === 0) break;
      after = page.entries[page.entries.length - 1]![0];
    }
    return { soid, version, size: st.size, data, attrs, omapHeader, omap };
  }

  /** Replace the local copy with `c` in one transaction (with the core's missing-set update). */
  private async applyCopy(c: ObjectCopy): Promise<void> {
    const store = this.ctx.host.store;
    const cid = this.ctx.cid;
    const gh = this.ctx.toGh(c.soid);
    let oldSize = -1;
    try {
      oldSize = (await store.stat(cid, gh)).size;
    } catch {
      oldSize = -1;
    }
    const t = new Transaction();
    t.remove(cid, gh);
    t.touch(cid, gh);
    if (c.data.length) t.write(cid, gh, 0, c.data);
    if (c.size > c.data.length) t.truncate(cid, gh, c.size);
    if (c.attrs.size) t.setattrs(cid, gh, c.attrs);
    if (c.omapHeader.length) t.omapSetHeader(cid, gh, c.omapHeader);
    if (c.omap.size) t.omapSetKeys(cid, gh, c.omap);
    this.ctx.core.onObjectRecoveredLocally(c.soid, c.version);
    await this.commitLocal(objectKey(c.soid), t);
    this.ctx.onLocalObjectChanged(objectKey(c.soid), oldSize < 0 ? 1 : 0, c.size - Math.max(0, oldSize));
  }

  /** Commit a recovered object; until durable, pushes of it wait and client ops on it count it as recovering. */
  private commitLocal(key: string, t: Transaction): Promise<void> {
    // marked before committing: the commit drains the core's effects, which may start a push of it
    let release = (): void => undefined;
    const mark = new Promise<void>((r) => {
      release = r;
    });
    this.localApplying.set(key, mark);
    const p = this.ctx.commit(t);
    const done = (): void => {
      if (this.localApplying.get(key) === mark) this.localApplying.delete(key);
      release();
    };
    p.then(done, done);
    return p;
  }

  private async deleteLocally(soid: HObject, version: EVersion): Promise<void> {
    const store = this.ctx.host.store;
    const gh = this.ctx.toGh(soid);
    let oldSize = -1;
    try {
      oldSize = (await store.stat(this.ctx.cid, gh)).size;
    } catch {
      oldSize = -1;
    }
    const t = new Transaction();
    t.remove(this.ctx.cid, gh);
    this.ctx.core.onObjectRecoveredLocally(soid, version);
    await this.commitLocal(objectKey(soid), t);
    this.ctx.onLocalObjectChanged(objectKey(soid), oldSize < 0 ? 0 : -1, oldSize < 0 ? 0 : -oldSize);
  }

  // ---- messages -----------------------------------------------------------------------------------

  /** Handles a recovery message; false when `m` is not one. */
  handleMessage(from: number, m: Message): boolean {
    const got = this.ctx.deps.recoveryFromWire(m);
    if (got === null) return false;
    const { msg, minEpoch } = got;
    if (minEpoch < this.ctx.intervalStart()) {
      // from (or answering) an older interval: Ceph's old_peering_msg
      this.ctx.host.log('debug', `pg ${this.ctx.cid}: stale ${msg.kind} from osd.${from} (e${minEpoch} < ${this.ctx.intervalStart()})`);
      return true;
    }
    const gen = this.gen;
    const p = this.handle(from, msg, gen, minEpoch).catch((e: unknown) => {
      this.ctx.host.log('warn', `pg ${this.ctx.cid}: ${msg.kind} from osd.${from}: ${String(e)}`);
    });
    this.ctx.track(p);
    return true;
  }

  private async handle(from: number, msg: RecoveryMsg, gen: number, minEpoch: number): Promise<void> {
    const core = this.ctx.core;
    switch (msg.kind) {
      case 'push': {
        // a replica receiving the primary's push, the primary receiving a pulled object, or a backfill target
        for (const c of msg.pushes) {
          this.ctx.host.log('debug', `pg ${this.ctx.cid}: push ${c.soid.oid} ${c.version.epoch}'${c.version.version} (${c.size} bytes) from osd.${from}${gen !== this.gen ? ' (stale)' : ''}`);
          await this.applyCopy(c);
          this.counters.pushesReceived++;
          if (gen !== this.gen) return;
          if (!core.isPrimary()) this.backfillReceived.add(objectKey(c.soid));
          const a = this.active.get(`pull:${objectKey(c.soid)}`);
          if (a) this.finish(a);
        }
        if (!core.isPrimary()) this.sendTo(from, { kind: 'pushReply', objects: msg.pushes.map((c) => c.soid) }, minEpoch);
        this.ctx.kick();
        return;
      }
      case 'pushReply': {
        for (const soid of msg.objects) {
          const key = objectKey(soid);
          const bf = this.backfillPushWaits.get(`${from}:${key}`);
          if (bf) {
            this.backfillPushWaits.delete(`${from}:${key}`);
            bf();
            continue;
          }
          const a = this.active.get(`push:${key}`);
          if (!a || a.task.kind !== 'push' || !a.waitingOn.has(from)) continue;
          a.waitingOn.delete(from);
          core.onPeerRecovered(from, soid, a.task.version);
          this.ctx.onPeerRecovered(key);
          if (a.waitingOn.size === 0) this.finish(a);
        }
        this.ctx.kick();
        return;
      }
      case 'pull': {
        this.ctx.host.log('debug', `pg ${this.ctx.cid}: pull of ${msg.objects.map((o) => o.soid.oid).join(',')} from osd.${from}`);
        const pushes: ObjectCopy[] = [];
        for (const o of msg.objects) {
          await this.settledLocally(objectKey(o.soid));
          pushes.push(await this.readCopy(o.soid, o.version));
        }
        if (gen !== this.gen) return;
        this.sendTo(from, { kind: 'push', pushes }, minEpoch);
        return;
      }
      case 'delete': {
        for (const o of msg.objects) await this.deleteLocally(o.soid, o.version);
        if (gen !== this.gen) return;
        this.sendTo(from, { kind: 'deleteReply', objects: msg.objects }, minEpoch);
        this.ctx.kick();
        return;
      }
      case 'deleteReply': {
        for (const o of msg.objects) {
          const key = objectKey(o.soid);
          const a = this.active.get(`delete:${key}`);
          if (!a || a.task.kind !== 'delete' || !a.waitingOn.has(from)) continue;
          a.waitingOn.delete(from);
          core.onPeerRecovered(from, o.soid, o.version);
          this.ctx.onPeerRecovered(key);
          if (a.waitingOn.size === 0) this.finish(a);
        }
        this.ctx.kick();
        return;
      }
      case 'backfillProgress':
        await this.removeExtras(this.ctx.toGh(msg.lastBackfill), msg.done);
        return;
    }
  }

  // ---- backfill -----------------------------------------------------------------------------------

  private async backfill(a: ActiveTask, to: number, from: HObject): Promise<void> {
    const store = this.ctx.host.store;
    const cid = this.ctx.cid;
    const gen = a.gen;
    let prev = this.ctx.toGh(from);
    for (;;) {
      // 1. the batch's range: up to backfillBatchObjects objects after prev
      const page = await store.listObjects(cid, prev.max ? OBJECT_MAX : prev, undefined, backfillBatchObjects + 1);
      if (gen !== this.gen) return;
      const objs = page.objects.filter((o) => compareObjects(o, prev) > 0 && !isPgmeta(o)).slice(0, backfillBatchObjects);
      const done = objs.length < backfillBatchObjects && (page.next === undefined || objs.length === 0);
      const end: GHObject = done ? OBJECT_MAX : objs[objs.length - 1]!;
      // 2. hold writes to the range, and wait for those already running in it
      this.backfillRange = { begin: prev, end };
      for (const o of objs) await this.waitIdle(objectKey(this.ctx.toHObject(o)));
      if (gen !== this.gen) return;
      // 3. list the range again (writes may have created or removed objects) and push each
      const batch = await this.listRange(prev, end);
      let bytes = 0;
      const waits: Promise<void>[] = [];
      for (const o of batch) {
        const soid = this.ctx.toHObject(o);
        const copy = await this.readCopy(soid, this.ctx.core.info().lastUpdate);
        if (gen !== this.gen) return;
        bytes += copy.size;
        waits.push(new Promise<void>((resolve) => this.backfillPushWaits.set(`${to}:${objectKey(soid)}`, resolve)));
        this.sendTo(to, { kind: 'push', pushes: [copy] });
        if (bytes >= backfillBatchBytes) {
          await Promise.all(waits.splice(0));
          bytes = 0;
        }
      }
      await Promise.all(waits);
      if (gen !== this.gen) return;
      // 4. the target drops what it has in the range but was not sent; the core learns the progress
      const endH = done ? { ...this.ctx.toHObject(OBJECT_MAX), max: true } : this.ctx.toHObject(end);
      this.sendTo(to, { kind: 'backfillProgress', lastBackfill: endH, done });
      this.ctx.core.onBackfillProgress(to, endH);
      this.counters.backfillBatches++;
      this.backfillRange = undefined;
      this.ctx.onPeerRecovered('*backfill*');
      this.ctx.kick();
      if (done) break;
      prev = end;
    }
    this.finish(a);
  }

  /** Objects in (begin, end] in hash order (pgmeta skipped). */
  private async listRange(begin: GHObject, end: GHObject): Promise<GHObject[]> {
    const out: GHObject[] = [];
    let start: GHObject | undefined = begin;
    for (;;) {
      const page = await this.ctx.host.store.listObjects(this.ctx.cid, start, undefined, backfillBatchObjects * 2);
      for (const o of page.objects) {
        if (compareObjects(o, begin) <= 0 || isPgmeta(o)) continue;
        if (compareObjects(o, end) > 0) return out;
        out.push(o);
      }
      if (!page.next) return out;
      start = page.next;
    }
  }

  private waitIdle(key: string): Promise<void> {
    if (!this.ctx.isObjectBusy(key)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const ws = this.idleWaiters.get(key) ?? [];
      ws.push(resolve);
      this.idleWaiters.set(key, ws);
    });
  }

  /** Target side: remove local objects in (previous mark, lastBackfill] that the primary did not send. */
  private async removeExtras(lastBackfill: GHObject, done: boolean): Promise<void> {
    const begin = this.backfillPrev ?? this.ctx.toGh(this.ctx.core.info().lastBackfill);
    const end = done ? OBJECT_MAX : lastBackfill;
    const objs = await this.listRange(begin, end);
    const t = new Transaction();
    let removed = 0;
    for (const o of objs) {
      if (this.backfillReceived.has(objectKey(this.ctx.toHObject(o)))) continue;
      t.remove(this.ctx.cid, o);
      removed++;
    }
    this.backfillReceived = new Set();
    this.backfillPrev = done ? undefined : lastBackfill;
    this.counters.extrasRemoved += removed;
    if (removed > 0) {
      await this.ctx.commit(t);
      this.ctx.onLocalObjectChanged('*backfill*', -removed, 0);
    }
  }
}

function isPgmeta(o: GHObject): boolean {
  return o.oid === '' && o.key === '' && o.nspace === '' && !o.max;
}

// ---- the wire: RecoveryMsg <-> Ceph's recovery messages (msg/messages/pg.ts) ----------------------

function fullProgress(c: ObjectCopy): ObjectRecoveryProgress {
  let lastKey = '';
  for (const k of c.omap.keys()) lastKey = k;
  return { first: false, dataComplete: true, dataRecoveredTo: c.size, omapRecoveredTo: lastKey, omapComplete: true };
}

function toPushOp(c: ObjectCopy): PushOp {
  const extents: Array<[bigint, bigint]> = c.size > 0 ? [[0n, BigInt(c.size)]] : [];
  const info: ObjectRecoveryInfo = {
    ...emptyRecoveryInfo(), soid: c.soid, version: c.version, size: c.size, oi: c.attrs.get('_') ?? Buffer.alloc(0),
    ss: c.attrs.get('snapset') ?? Buffer.alloc(0), copySubset: extents, objectExist: true,
  };
  return {
    soid: c.soid, version: c.version, data: c.data, dataIncluded: c.data.length ? [[0n, BigInt(c.data.length)]] : [],
    omapHeader: c.omapHeader, omapEntries: [...c.omap], attrset: [...c.attrs], recoveryInfo: info,
    afterProgress: fullProgress(c), beforeProgress: emptyRecoveryProgress(),
  };
}

function fromPushOp(p: PushOp): ObjectCopy {
  if (!p.beforeProgress.first || !p.afterProgress.dataComplete || !p.afterProgress.omapComplete) {
    throw new CephError('EOPNOTSUPP', `push of ${p.soid.oid}: partial pushes (objects in several chunks) are not supported`);
  }
  let data = p.data;
  for (const [off] of p.dataIncluded) if (off !== 0n) throw new CephError('EOPNOTSUPP', `push of ${p.soid.oid}: sparse data extents`);
  const size = p.recoveryInfo.size >= 0 ? p.recoveryInfo.size : data.length;
  if (data.length > size) data = data.subarray(0, size);
  return { soid: p.soid, version: p.version, size, data, attrs: new Map(p.attrset), omapHeader: p.omapHeader, omap: new Map(p.omapEntries) };
}

function fillRecovery(m: MOSDPGPush | MOSDPGPull | MOSDPGPushReply | MOSDPGRecoveryDelete | MOSDPGRecoveryDeleteReply, pgid: SpgId, epoch: number, fromOsd: number, minEpoch: number): void {
  m.pgid = { pgid: { ...pgid.pgid }, shard: pgid.shard };
  m.mapEpoch = Math.max(epoch, minEpoch);
  m.minEpoch = minEpoch;
  m.from = { osd: fromOsd, shard: NO_SHARD };
}

/** The recovery messages in Ceph 16's classes (a push carries each object whole, in one PushOp). */
export const recoveryWire: RecoveryDeps = {
  recoveryToWire(msg: RecoveryMsg, pgid: SpgId, epoch: number, fromOsd: number, minEpoch: number): Message {
    switch (msg.kind) {
      case 'push': {
        const m = new MOSDPGPush();
        fillRecovery(m, pgid, epoch, fromOsd, minEpoch);
        m.pushes = msg.pushes.map(toPushOp);
        for (const c of msg.pushes) m.cost += c.size + 1024;
        return m;
      }
      case 'pushReply': {
        const m = new MOSDPGPushReply();
        fillRecovery(m, pgid, epoch, fromOsd, minEpoch);
        m.replies = msg.objects.map((soid) => ({ soid }));
        return m;
      }
      case 'pull': {
        const m = new MOSDPGPull();
        fillRecovery(m, pgid, epoch, fromOsd, minEpoch);
        m.pulls = msg.objects.map((o) => ({
          soid: o.soid,
          recoveryInfo: { ...emptyRecoveryInfo(), soid: o.soid, version: o.version, size: -1, oi: defaultObjectInfoBytes(), ss: defaultSnapSetBytes(), copySubset: [[0n, 0xffffffffffffffffn]] },
          recoveryProgress: emptyRecoveryProgress(),
        }));
        return m;
      }
      case 'delete': {
        const m = new MOSDPGRecoveryDelete();
        fillRecovery(m, pgid, epoch, fromOsd, minEpoch);
        m.objects = msg.objects.map((o) => ({ soid: o.soid, version: o.version }));
        return m;
      }
      case 'deleteReply': {
        const m = new MOSDPGRecoveryDeleteReply();
        fillRecovery(m, pgid, epoch, fromOsd, minEpoch);
        m.objects = msg.objects.map((o) => ({ soid: o.soid, version: o.version }));
        return m;
      }
      case 'backfillProgress': {
        const m = new MOSDPGBackfill();
        m.op = msg.done ? PgBackfillOp.FINISH : PgBackfillOp.PROGRESS;
        m.mapEpoch = epoch;
        m.queryEpoch = minEpoch;
        m.pgid = { pgid: { ...pgid.pgid }, shard: pgid.shard };
        m.lastBackfill = msg.lastBackfill;
        return m;
      }
    }
  },
  recoveryFromWire(m: Message): { msg: RecoveryMsg; minEpoch: number } | null {
    if (m instanceof MOSDPGPush) return { msg: { kind: 'push', pushes: m.pushes.map(fromPushOp) }, minEpoch: m.minEpoch };
    if (m instanceof MOSDPGPushReply) return { msg: { kind: 'pushReply', objects: m.replies.map((r) => r.soid) }, minEpoch: m.minEpoch };
    if (m instanceof MOSDPGPull) return { msg: { kind: 'pull', objects: m.pulls.map((p) => ({ soid: p.soid, version: p.recoveryInfo.version })) }, minEpoch: m.minEpoch };
    if (m instanceof MOSDPGRecoveryDelete) return { msg: { kind: 'delete', objects: m.objects }, minEpoch: m.minEpoch };
    if (m instanceof MOSDPGRecoveryDeleteReply) return { msg: { kind: 'deleteReply', objects: m.objects }, minEpoch: m.minEpoch };
    if (m instanceof MOSDPGBackfill) {
      if (m.op === PgBackfillOp.FINISH_ACK) return null;
      return { msg: { kind: 'backfillProgress', lastBackfill: m.lastBackfill, done: m.op === PgBackfillOp.FINISH }, minEpoch: m.queryEpoch };
    }
    return null;
  },
};
