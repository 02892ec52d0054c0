// Test support for the PG shell: N OSDs, each a PgHost over its own MemStore, wired by an in-memory
// network that encodes every message to its wire form and decodes it on delivery (so the message
// codecs are exercised too), delivered on later event-loop turns in send order per link. A client
// connection collects MOSDOpReplies. No processes, no sockets.

import {
  buildSimple, calcPgMasks, CEPH_OSD_EXISTS, CEPH_OSD_UP, decodeOSDMap, encodeOSDMap, mapToPg, pgToUpActingOsds,
  poolRawHashToPg, type OSDMap, type PgId, type UTime,
} from '../../common/osdmap/index.js';
import { decodeMessage, EntityType, type Connection, type EntityName, type Message } from '../../msg/index.js';
import { CEPH_NOSNAP, MOSDOp, MOSDOpReply, OsdFlag, type OSDOp } from '../../msg/messages/osdop.js';
import { MemStore } from '../../osd/objectstore/memstore.js';
import type { ObjectStore } from '../../osd/objectstore/types.js';
import type { PgHost } from '../../osd/pg-api.js';
import { peerMessagePgid } from '../../osd/osd.js';
import { listStoredPgs, PG, type PgDeps } from '../../osd/pg.js';

function cloneMap(m: OSDMap): OSDMap {
  return decodeOSDMap(encodeOSDMap(m));
}

export const FEATURES = 0x3f01cfbffffdffffn;

/** A client's connection: replies land in `replies` and resolve the waiter of their tid. */
export class ClientConn implements Connection {
  readonly peerName: EntityName;
  readonly peerAddrs = [];
  readonly features = FEATURES;
  readonly isConnected = true;
  readonly sendQueueBytes = 0;
  priv: unknown = null;
  readonly replies: MOSDOpReply[] = [];
  private readonly waiters = new Map<number, (r: MOSDOpReply) => void>();
  constructor(num: number) {
    this.peerName = { type: EntityType.CLIENT, num };
  }
  send(m: Message): void {
    const r = decodeMessage(m.toRaw(FEATURES), FEATURES) as MOSDOpReply;
    this.replies.push(r);
    const w = this.waiters.get(r.header.tid);
    if (w) {
      this.waiters.delete(r.header.tid);
      w(r);
    }
  }
  waitReply(tid: number): Promise<MOSDOpReply> {
    const have = this.replies.find((r) => r.header.tid === tid);
    if (have) return Promise.resolve(have);
    return new Promise((resolve) => this.waiters.set(tid, resolve));
  }
  drained(): Promise<void> {
    return Promise.resolve();
  }
  keepalive(): void {}
  markDown(): void {}
}

export class TestOsd implements PgHost {
  readonly pgs = new Map<string, PG>();
  readonly upThruAsks: number[] = [];
  readonly pgTempAsks: Array<{ pgid: PgId; osds: number[] }> = [];
  readonly logs: string[] = [];
  statsChanges = 0;
  constructor(readonly whoami: number, readonly store: ObjectStore, private readonly cluster: TestCluster) {}
  currentMap(): OSDMap {
    return this.cluster.snapshot(this.cluster.map.epoch)!;
  }
  mapAt(epoch: number): OSDMap | undefined {
    return this.cluster.snapshot(epoch);
  }
  sendToOsd(osd: number, m: Message): void {
    this.cluster.deliver(this.whoami, osd, m);
  }
  requestUpThru(epoch: number): void {
    this.upThruAsks.push(epoch);
    this.cluster.onUpThru(this.whoami, epoch);
  }
  requestPgTemp(pgid: PgId, osds: number[]): void {
    this.pgTempAsks.push({ pgid, osds });
  }
  statsChanged(_pgid: PgId): void {
    this.statsChanges++;
  }
  now(): UTime {
    return { sec: 1000 + this.cluster.ticks, nsec: 0 };
  }
  log(level: 'debug' | 'info' | 'warn' | 'error', msg: string): void {
    this.logs.push(`${level} osd.${this.whoami} ${msg}`);
    const want = process.env.PG_TEST_LOG;
    if (want && (level !== 'debug' || want === 'debug')) console.log(`e${this.cluster.map.epoch} ${level} osd.${this.whoami} ${msg}`);
  }
  pg(pgid: PgId): PG | undefined {
    return this.pgs.get(`${pgid.pool}.${pgid.seed}`);
  }
}

export interface TestClusterOptions {
  osds: number;
  size: number;
  minSize: number;
  pgNum: number;
  deps: PgDeps;
}

/** Pool 1 ("rbd") with the given size, min_size and pg_num on `osds` OSDs, all up and in. */
export class TestCluster {
  map: OSDMap;
  readonly osds: TestOsd[] = [];
  ticks = 0;
  /** Links cut by a test: "a>b" drops a's messages to b. */
  readonly cut = new Set<string>();
  private readonly maps = new Map<number, OSDMap>();
  /** OSDs that are stopped (messages to and from them are dropped). */
  readonly stopped = new Set<number>();
  private tid = 0;
  readonly client = new ClientConn(4100);
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];

  constructor(readonly opts: TestClusterOptions) {
    const m = buildSimple({ epoch: 1, fsid: '11111111-2222-3333-4444-555555555555', numOsd: opts.osds, defaultPool: true, pgBits: 0, pgpBits: 0, now: { sec: 0, nsec: 0 }, config: { osdCrushChooseleafType: 0 } });
    for (let i = 0; i < opts.osds; i++) {
      m.osdState[i] = CEPH_OSD_EXISTS | CEPH_OSD_UP;
      m.osdWeight[i] = 0x10000;
      m.osdInfo[i] = { ...m.osdInfo[i]!, upFrom: 1, upThru: 0 };
    }
    const pool = m.pools.get(1)!;
    pool.size = opts.size;
    pool.minSize = opts.minSize;
    pool.pgNum = opts.pgNum;
    pool.pgpNum = opts.pgNum;
    calcPgMasks(pool);
    this.map = m;
    for (let i = 0; i < opts.osds; i++) this.osds.push(new TestOsd(i, new MemStore(), this));
  }

  async start(): Promise<void> {
    this.maps.set(this.map.epoch, cloneMap(this.map));
    for (const o of this.osds) await o.store.mkfs().then(() => o.store.mount());
    await this.feedMap();
    await this.settle();
  }

  /** The map of an epoch, as it was then. */
  snapshot(epoch: number): OSDMap | undefined {
    return this.maps.get(epoch);
  }

  /**
   * What the daemon does with a new map: create the PGs this OSD is now up or acting for (a PG it
   * is not mapped to is created when a peer's message arrives), feed every epoch the PG has not seen
   * in order, then activate.
   */
  async feedMap(): Promise<void> {
    const epoch = this.map.epoch;
    for (const o of this.osds) {
      if (this.stopped.has(o.whoami)) continue;
      for (let seed = 0; seed < this.opts.pgNum; seed++) {
        const pgid = { pool: 1, seed };
        if (o.pg(pgid)) continue;
        const r = pgToUpActingOsds(this.map, pgid);
        if (!r.up.includes(o.whoami) && !r.acting.includes(o.whoami)) continue;
        o.pgs.set(`1.${seed}`, await PG.create(o, pgid, epoch, 1, this.opts.deps));
      }
    }
    for (const o of this.osds) {
      if (this.stopped.has(o.whoami)) continue;
      for (const pg of o.pgs.values()) this.feedPg(pg);
    }
  }

  private feedPg(pg: PG): void {
    for (let e = 1; e <= this.map.epoch; e++) {
      const m = this.maps.get(e);
      if (m) pg.advanceMap(m);
    }
    pg.activateMap();
  }

  /** A new epoch: `change` edits the map (mark down, up_thru, ...). */
  async newEpoch(change: (m: OSDMap) => void): Promise<void> {
    this.map.epoch++;
    change(this.map);
    this.maps.set(this.map.epoch, cloneMap(this.map));
    await this.feedMap();
    this.resendPending();
  }

  /** Stop an OSD (its PGs close; messages to it are dropped) and mark it down in a new epoch. */
  async stopOsd(osd: number, markDown = true): Promise<void> {
    this.stopped.add(osd);
    const o = this.osds[osd]!;
    for (const pg of o.pgs.values()) await pg.close();
    o.pgs.clear();
    if (markDown) {
      await this.newEpoch((m) => {
        m.osdState[osd] = m.osdState[osd]! & ~CEPH_OSD_UP;
        m.osdInfo[osd] = { ...m.osdInfo[osd]!, downAt: m.epoch };
      });
    }
  }

  /** Restart an OSD: load its PGs from its store, mark it up in a new epoch. */
  async startOsd(osd: number): Promise<void> {
    const o = this.osds[osd]!;
    for (const pgid of await listStoredPgs(o.store)) o.pgs.set(`${pgid.pool}.${pgid.seed}`, await PG.load(o, pgid, this.opts.deps));
    this.stopped.delete(osd);
    await this.newEpoch((m) => {
      m.osdState[osd] = m.osdState[osd]! | CEPH_OSD_UP;
      m.osdInfo[osd] = { ...m.osdInfo[osd]!, upFrom: m.epoch };
    });
  }

  /** Wait until every PG's primary reports `state` (e.g. "active+clean"), or fail after `ms`. */
  async waitState(state: string, ms = 10000): Promise<void> {
    const until = Date.now() + ms;
    for (;;) {
      await this.settle(5);
      const bad: string[] = [];
      for (let seed = 0; seed < this.opts.pgNum; seed++) {
        const p = this.primaryOf({ pool: 1, seed });
        const st = p < 0 ? 'no primary' : this.osds[p]!.pg({ pool: 1, seed })!.stateString();
        if (st !== state) bad.push(`1.${seed} ${st}`);
      }
      if (bad.length === 0) return;
      if (Date.now() > until) throw new Error(`waiting for ${state}: ${bad.join(', ')}`);
    }
  }

  onUpThru(osd: number, epoch: number): void {
    // the monitors grant up_thru in a new map (later, as a separate epoch)
    setImmediate(() => {
      const info = this.map.osdInfo[osd]!;
      if (info.upThru >= epoch || this.stopped.has(osd)) return;
      void this.newEpoch((m) => {
        m.osdInfo[osd] = { ...m.osdInfo[osd]!, upThru: m.epoch };
      });
    });
  }

  deliver(from: number, to: number, m: Message): void {
    if (this.stopped.has(from) || this.stopped.has(to) || this.cut.has(`${from}>${to}`)) return;
    const raw = m.toRaw(FEATURES);
    const copy = decodeMessage(raw, FEATURES);
    this.inFlight++;
    setImmediate(() => {
      this.inFlight--;
      if (!this.stopped.has(to)) {
        const target = this.osds[to]!;
        const pgid = peerMessagePgid(copy);
        const pg = pgid ? target.pg(pgid) : undefined;
        if (pg) pg.handlePeerMessage(from, copy);
        else void this.createAndDeliver(target, from, copy, pgid);
      }
      if (this.inFlight === 0) this.wakeIdle();
    });
  }

  private async createAndDeliver(target: TestOsd, from: number, m: Message, pgid: PgId | null): Promise<void> {
    if (!pgid || pgid.pool !== 1) return;
    this.inFlight++;
    let pg = target.pg(pgid);
    if (!pg) {
      pg = await PG.create(target, pgid, this.map.epoch, 1, this.opts.deps);
      if (target.pg(pgid)) pg = target.pg(pgid)!;
      else {
        target.pgs.set(`${pgid.pool}.${pgid.seed}`, pg);
        this.feedPg(pg);
      }
    }
    pg.handlePeerMessage(from, m);
    this.inFlight--;
    if (this.inFlight === 0) this.wakeIdle();
  }

  private wakeIdle(): void {
    const ws = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of ws) w();
  }

  /** Wait until no message is in flight for a few event-loop turns (the store works in between). */
  async settle(rounds = 20): Promise<void> {
    for (let quiet = 0; quiet < rounds; ) {
      await new Promise<void>((r) => setTimeout(r, 1));
      if (this.inFlight === 0) quiet++;
      else quiet = 0;
    }
  }

  pgOf(oid: string): PgId {
    const pool = this.map.pools.get(1)!;
    return { pool: 1, seed: poolRawHashToPg(pool, mapToPg(this.map, 1, oid, '', '')) };
  }

  /** The acting primary in the current map (where a client sends), if it runs and holds the PG. */
  primaryOf(pgid: PgId): number {
    const p = pgToUpActingOsds(this.map, pgid).actingPrimary;
    if (p < 0 || this.stopped.has(p) || !this.osds[p]!.pg(pgid)) return -1;
    return p;
  }

  /** Build a MOSDOp for `oid` (client.4100, next tid). */
  makeOp(oid: string, ops: OSDOp[], tid?: number): MOSDOp {
    const m = new MOSDOp();
    const pgid = this.pgOf(oid);
    m.pgid = { pgid, shard: -1 };
    m.hobj = { oid, key: '', nspace: '', hash: mapToPg(this.map, 1, oid, '', ''), pool: 1, snap: CEPH_NOSNAP, max: false };
    m.osdmapEpoch = this.map.epoch;
    m.header.tid = tid ?? ++this.tid;
    m.clientInc = 1;
    m.mtime = { sec: 1700000000, nsec: 0 };
    m.ops = ops;
    m.flags = 0;
    return m;
  }

  /** Ops sent with resend on: resent to the current primary after every new map (as the Objecter does). */
  private readonly pendingOps = new Map<number, { oid: string; ops: OSDOp[] }>();

  /** Send an op and keep resending it (same tid) on each new map until it is answered. */
  async opResend(oid: string, ops: OSDOp[]): Promise<MOSDOpReply> {
    const tid = ++this.tid;
    this.pendingOps.set(tid, { oid, ops });
    this.sendPending(tid);
    const r = await this.client.waitReply(tid);
    this.pendingOps.delete(tid);
    return r;
  }

  private sendPending(tid: number): void {
    const p = this.pendingOps.get(tid);
    if (!p) return;
    const m = this.makeOp(p.oid, p.ops.map((o) => ({ ...o })), tid);
    const pgid = m.pgid.pgid;
    const primary = this.primaryOf(pgid);
    if (primary < 0) return;
    const copy = decodeMessage(m.toRaw(FEATURES), FEATURES) as MOSDOp;
    this.osds[primary]!.pg(pgid)!.handleClientOp(copy, this.client);
  }

  private resendPending(): void {
    for (const tid of this.pendingOps.keys()) this.sendPending(tid);
  }

  /** Send an op to the PG's primary (as the Objecter would) and wait for the reply. */
  async op(oid: string, ops: OSDOp[], tid?: number): Promise<MOSDOpReply> {
    const m = this.makeOp(oid, ops, tid);
    const pgid = m.pgid.pgid;
    const primary = this.primaryOf(pgid);
    if (primary < 0) throw new Error(`no primary for ${oid}`);
    const copy = decodeMessage(m.toRaw(FEATURES), FEATURES) as MOSDOp;
    this.osds[primary]!.pg(pgid)!.handleClientOp(copy, this.client);
    return this.client.waitReply(m.header.tid);
  }

  /** A PG op (e.g. PGNLS) addressed to a PG by seed, as the Objecter sends it, to the PG's primary. */
  async pgOp(pgid: PgId, ops: OSDOp[]): Promise<MOSDOpReply> {
    const m = new MOSDOp();
    m.pgid = { pgid, shard: -1 };
    m.hobj = { oid: '', key: '', nspace: '', hash: pgid.seed, pool: 1, snap: CEPH_NOSNAP, max: false };
    m.osdmapEpoch = this.map.epoch;
    m.header.tid = ++this.tid;
    m.clientInc = 1;
    m.ops = ops;
    m.flags = OsdFlag.PGOP | OsdFlag.READ;
    const primary = this.primaryOf(pgid);
    if (primary < 0) throw new Error(`no primary for pg 1.${pgid.seed}`);
    const copy = decodeMessage(m.toRaw(FEATURES), FEATURES) as MOSDOp;
    this.osds[primary]!.pg(pgid)!.handleClientOp(copy, this.client);
    return this.client.waitReply(m.header.tid);
  }

  async close(): Promise<void> {
    for (const o of this.osds) for (const pg of o.pgs.values()) await pg.close();
  }
}
