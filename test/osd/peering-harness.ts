// A PG-level simulation harness for the peering core (used by peering-sim.test.ts and peering.test.ts):
// N OSDs, each with one PeeringCore for one PG and a model object store (object name -> version), a
// model monitor that publishes maps (OSDs down/up, up_thru grants, pg_temp), a network of per-pair
// FIFO queues with seeded delay (reordered across pairs, dropped when an endpoint crashes), client
// writes through the primary's write path, and recovery tasks executed against the model stores.
// An OSD marked down crashes: its core is rebuilt from its last persisted state when it comes back.

import { Rng } from '../support/rng.js';
import { createPeeringCore } from '../../osd/core/peering.js';
import type { PeeringCore, PeeringMessage, PgMapView, PgPersistent, RecoveryTask } from '../../osd/core/peering-api.js';
import { CEPH_NOSNAP, emptyReqId, type EVersion, type HObject, type SpgId } from '../../msg/messages/osdop.js';
import { cmpEVersion, cmpHObject, emptyPgLog, PgLogOp, type PgLogEntry } from '../../msg/messages/pgtypes.js';
import { cloneInfo, cloneLog, cloneMissing, evText, isDeleteOp, type PgLogBounds } from '../../osd/core/pglog.js';
import { clonePastIntervals } from '../../osd/core/pastintervals.js';

export const PGID: SpgId = { pgid: { pool: 1, seed: 0 }, shard: -1 };

export class SimFailure extends Error {}

interface MapState {
  epoch: number;
  up: boolean[];
  upThru: number[];
  pgTemp: number[] | undefined;
  poolSize: number;
  poolMinSize: number;
}

type NetMsg =
  | { kind: 'peer'; msg: PeeringMessage }
  | { kind: 'repop'; entry: PgLogEntry; epochSent: number }
  | { kind: 'repopReply'; version: EVersion; epochSent: number };

interface Queued { at: number; from: number; to: number; m: NetMsg }

interface Write { entry: PgLogEntry; waiting: Set<number>; sis: number; primary: number }

interface Ack { name: string; version: EVersion; del: boolean }

interface RecoveryJob { at: number; primary: number; sis: number; task: RecoveryTask; stage: number; mid?: HObject }

export interface HarnessOptions {
  seed: number;
  osds: number;
  size: number;
  minSize: number;
  objects: number;
  /** Per-step chance of a map change during faults. */
  faultRate: number;
  trace?: boolean;
  /** PG log bounds (small ones make trimming, backfill and pg_temp happen). */
  logBounds?: PgLogBounds;
}

interface Osd {
  id: number;
  alive: boolean;
  core: (PeeringCore & { debugPhase(): string }) | undefined;
  persisted: PgPersistent | undefined;
  epoch: number;
  store: Map<string, EVersion>;
}

function objName(i: number): string {
  return `obj${i}`;
}

function nameHash(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
  return h >>> 0;
}

export function soidOf(name: string): HObject {
  return { oid: name, key: '', nspace: '', hash: nameHash(name), pool: 1, snap: CEPH_NOSNAP, max: false };
}

function copyPersistent(p: PgPersistent): PgPersistent {
  return { info: cloneInfo(p.info), pastIntervals: clonePastIntervals(p.pastIntervals), log: cloneLog(p.log), missing: cloneMissing(p.missing), epoch: p.epoch };
}

export class PeeringHarness {
  readonly rng: Rng;
  readonly maps: MapState[] = [];
  readonly osds: Osd[] = [];
  readonly order: number[];
  step = 0;
  private queues = new Map<string, Queued[]>();
  private writes: Write[] = [];
  readonly acks: Ack[] = [];
  private jobs: RecoveryJob[] = [];
  private wantUpThru = new Map<number, number>();
  private wantPgTemp: number[] | undefined;
  private reqSeq = 0;
  readonly log: string[] = [];
  writesIssued = 0;
  /** Every state name any PG showed (coverage of the run). */
  readonly statesSeen = new Set<string>();

  constructor(readonly o: HarnessOptions) {
    this.rng = new Rng(o.seed);
    const order = Array.from({ length: o.osds }, (_, i) => i);
    for (let i = order.length - 1; i > 0; i--) {
      const j = this.rng.int(0, i);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    this.order = order;
    this.maps.push({ epoch: 1, up: order.map(() => true), upThru: order.map(() => 0), pgTemp: undefined, poolSize: o.size, poolMinSize: o.minSize });
    for (let i = 0; i < o.osds; i++) this.osds.push({ id: i, alive: true, core: undefined, persisted: undefined, epoch: 0, store: new Map() });
    for (const id of this.view(1).up) this.createPg(this.osds[id]!);
  }

  trace(s: string): void {
    if (this.o.trace) this.log.push(`[${this.step}] ${s}`);
    if (this.log.length > 20000) this.log.shift();
  }

  get epoch(): number {
    return this.maps.length;
  }

  mapAt(e: number): MapState {
    return this.maps[e - 1]!;
  }

  view(e: number): PgMapView {
    const m = this.mapAt(e);
    const up = this.order.filter((o) => m.up[o]).slice(0, m.poolSize);
    let acting = up;
    if (m.pgTemp) {
      const t = m.pgTemp.filter((o) => m.up[o]);
      if (t.length > 0) acting = t;
    }
    return {
      epoch: e, poolExists: true, poolSize: m.poolSize, poolMinSize: m.poolMinSize, pgNum: 1,
      up, upPrimary: up[0] ?? -1, acting, actingPrimary: acting[0] ?? -1,
      isUp: (o) => m.up[o] === true,
      upThru: (o) => m.upThru[o] ?? 0,
      lostAt: () => 0,
    };
  }

  // ---- the monitor -----------------------------------------------------------------------------------

  /** Publish a new map from the current one changed by `f`. */
  newMap(f: (m: MapState) => void): void {
    const cur = this.mapAt(this.epoch);
    const next: MapState = { epoch: cur.epoch + 1, up: [...cur.up], upThru: [...cur.upThru], pgTemp: cur.pgTemp ? [...cur.pgTemp] : undefined, poolSize: cur.poolSize, poolMinSize: cur.poolMinSize };
    f(next);
    this.maps.push(next);
    const v = this.view(next.epoch);
    this.trace(`map e${next.epoch} up=[${v.up}] acting=[${v.acting}] upThru=[${next.upThru}] pgTemp=${next.pgTemp ? `[${next.pgTemp}]` : '-'}`);
    for (const o of this.osds) {
      const wasUp = cur.up[o.id];
      const isUp = next.up[o.id];
      if (wasUp && !isUp) this.crash(o);
      if (!wasUp && isUp) this.boot(o);
    }
  }

  /** The monitor grants pending up_thru and pg_temp requests in one new map. */
  monTick(): void {
    if (this.wantUpThru.size === 0 && this.wantPgTemp === undefined) return;
    const ups = [...this.wantUpThru.entries()];
    const pt = this.wantPgTemp;
    this.wantUpThru.clear();
    this.wantPgTemp = undefined;
    const cur = this.mapAt(this.epoch);
    this.newMap((m) => {
      for (const [o] of ups) if (cur.up[o]) m.upThru[o] = m.epoch;
      if (pt !== undefined) m.pgTemp = pt.length === 0 ? undefined : pt;
    });
  }

  private crash(o: Osd): void {
    this.trace(`osd.${o.id} crashes`);
    o.alive = false;
    o.core = undefined;
    for (const [k, q] of this.queues) {
      const [f, t] = k.split('>').map(Number);
      if (f === o.id || t === o.id) q.length = 0;
    }
    this.wantUpThru.delete(o.id);
  }

  private boot(o: Osd): void {
    this.trace(`osd.${o.id} boots`);
    o.alive = true;
    if (o.persisted) {
      o.core = createPeeringCore({ pgid: PGID, whoami: o.id, persistent: copyPersistent(o.persisted) }, this.o.logBounds);
      o.epoch = o.persisted.epoch;
      if (o.epoch >= 1) o.core.advanceMap(this.view(o.epoch));
    } else {
      o.core = undefined;
      o.epoch = this.epoch; // no PG: it learns the newest map on boot
    }
  }

  private createPg(o: Osd): void {
    o.core = createPeeringCore({ pgid: PGID, whoami: o.id, createdEpoch: 1, poolCreatedEpoch: 1 }, this.o.logBounds);
    o.epoch = 0;
    this.catchUp(o, o.alive ? Math.max(1, o.epoch) : 1);
  }

  /** Feed maps up to `to` (Ceph: the OSD advances its PGs through each epoch in order). */
  catchUp(o: Osd, to: number): void {
    if (!o.alive) return;
    if (!o.core) {
      o.epoch = Math.max(o.epoch, to);
      return;
    }
    if (to <= o.epoch) return;
    for (let e = o.epoch + 1; e <= to; e++) o.core.advanceMap(this.view(e));
    o.epoch = to;
    o.core.activateMap({ sec: this.step, nsec: 0 });
    this.drain(o);
  }

  // ---- effects and the network -------------------------------------------------------------------

  private send(from: number, to: number, m: NetMsg): void {
    const k = `${from}>${to}`;
    let q = this.queues.get(k);
    if (!q) this.queues.set(k, (q = []));
    const last = q.length ? q[q.length - 1]!.at : 0;
    q.push({ at: Math.max(last, this.step + this.rng.int(0, 4)), from, to, m });
  }

  drain(o: Osd): void {
    const core = o.core;
    if (!core) return;
    const fx = core.takeEffects();
    for (const soid of fx.rewoundObjects) o.store.delete(soid.oid);
    if (fx.rewoundObjects.length) this.trace(`osd.${o.id} removes [${fx.rewoundObjects.map((s) => s.oid)}]${fx.logDelta.rewindTo ? ` rewind to ${evText(fx.logDelta.rewindTo)}` : ''}`);
    if (fx.dirty || fx.logDelta.append.length || fx.logDelta.trimTo || fx.logDelta.rewindTo) o.persisted = copyPersistent(core.persistentState());
    for (const s of fx.send) {
      this.trace(`osd.${o.id} -> osd.${s.to} ${s.msg.kind}${s.msg.kind === 'query' ? `(${s.msg.type})` : ''} e${s.msg.epochSent}`);
      this.send(o.id, s.to, { kind: 'peer', msg: s.msg });
    }
    if (fx.needUpThru !== undefined) this.wantUpThru.set(o.id, fx.needUpThru);
    if (fx.wantPgTemp !== undefined) this.wantPgTemp = fx.wantPgTemp;
    if (fx.removePg) {
      this.trace(`osd.${o.id} removes the PG`);
      o.core = undefined;
      o.persisted = undefined;
      o.store.clear();
    }
    if (fx.stateChanged && o.core) {
      const st = o.core.stateString();
      for (const part of st.split('+')) this.statesSeen.add(part);
      this.trace(`osd.${o.id} ${o.core.debugPhase()} ${st}`);
    }
    // (a lagging OSD may activate an interval long gone; no client reaches it there)
    if (fx.activated && o.core && o.epoch === this.epoch) this.checkActivation(o);
  }

  private deliver(q: Queued): void {
    const o = this.osds[q.to]!;
    if (!o.alive) return;
    const m = q.m;
    if (m.kind === 'peer') {
      if (!o.core) {
        // Ceph creates the PG when a peer asks about it or activates it; it then follows the maps
        // from creation. Infos, trims and notifies for a PG an OSD does not hold are dropped.
        if (m.msg.kind !== 'query' && m.msg.kind !== 'log') return;
        o.core = createPeeringCore({ pgid: PGID, whoami: o.id, createdEpoch: 1, poolCreatedEpoch: 1 }, this.o.logBounds);
        const to = o.epoch;
        o.epoch = 0;
        this.catchUp(o, Math.max(1, to));
        if (!o.core) return;
      }
      o.core.handleMessage(q.from, m.msg, { sec: this.step, nsec: 0 });
      this.drain(o);
      return;
    }
    if (m.kind === 'repop') {
      const core = o.core;
      if (!core || m.epochSent < core.info().history.sameIntervalSince || !core.isActive()) return;
      core.appendLogEntry(m.entry);
      this.applyToStore(o, m.entry);
      this.drain(o);
      this.send(o.id, q.from, { kind: 'repopReply', version: m.entry.version, epochSent: m.epochSent });
      return;
    }
    // repopReply
    const w = this.writes.find((x) => x.primary === o.id && cmpEVersion(x.entry.version, m.version) === 0);
    if (!w) return;
    w.waiting.delete(q.from);
    this.completeWrites(o);
  }

  private applyToStore(o: Osd, e: PgLogEntry): void {
    if (isDeleteOp(e.op)) o.store.delete(e.soid.oid);
    else o.store.set(e.soid.oid, e.version);
  }

  private completeWrites(p: Osd): void {
    const core = p.core;
    if (!core) return;
    const sis = core.info().history.sameIntervalSince;
    let upTo: EVersion | undefined;
    while (this.writes.length && this.writes[0]!.primary === p.id && this.writes[0]!.sis === sis && this.writes[0]!.waiting.size === 0) {
      const w = this.writes.shift()!;
      this.acks.push({ name: w.entry.soid.oid, version: w.entry.version, del: isDeleteOp(w.entry.op) });
      this.trace(`ack ${w.entry.soid.oid} ${evText(w.entry.version)}${isDeleteOp(w.entry.op) ? ' (delete)' : ''}`);
      upTo = w.entry.version;
    }
    if (upTo) {
      core.committedEverywhere(upTo);
      this.drain(p);
    }
  }

  /** A client write (or delete) through the current primary, if it can take one. */
  clientWrite(): void {
    const v = this.view(this.epoch);
    const p = this.osds[v.actingPrimary];
    // The client has the newest map: the OSD serves it only once it has that map too.
    if (!p || !p.core || p.epoch < this.epoch || !p.core.isPrimary() || !p.core.isActive()) return;
    // Abandon writes of older intervals / other primaries (Ceph's clients resend those).
    const sis = p.core.info().history.sameIntervalSince;
    this.writes = this.writes.filter((w) => w.primary === p.id && w.sis === sis);
    const name = objName(this.rng.int(0, this.o.objects - 1));
    const soid = soidOf(name);
    if (this.writes.some((w) => w.entry.soid.oid === name)) return;
    if (p.core.isMissingOrDegraded(soid)) {
      this.kickRecovery(p, soid);
      return;
    }
    const del = p.store.has(name) && this.rng.chance(0.15);
    const version = p.core.nextVersion();
    const entry: PgLogEntry = {
      op: del ? PgLogOp.DELETE : PgLogOp.MODIFY, soid, version, priorVersion: p.store.get(name) ?? { epoch: 0, version: 0 },
      revertingTo: { epoch: 0, version: 0 }, reqid: { ...emptyReqId(), name: { type: 8, num: 1 }, tid: ++this.reqSeq }, extraReqids: [], mtime: { sec: this.step, nsec: 0 },
      returnCode: 0, opReturns: [], userVersion: version.version, modDesc: Buffer.alloc(0), snaps: Buffer.alloc(0), cleanRegions: Buffer.alloc(0),
    };
    p.core.appendLogEntry(entry);
    this.applyToStore(p, entry);
    this.drain(p);
    const targets = p.core.writeTargets(soid);
    this.writes.push({ entry, waiting: new Set(targets), sis, primary: p.id });
    this.writesIssued++;
    this.trace(`write ${name} ${evText(version)} -> [${targets}]${del ? ' (delete)' : ''}`);
    for (const t of targets) this.send(p.id, t, { kind: 'repop', entry, epochSent: p.epoch });
    this.completeWrites(p);
  }

  // ---- recovery ------------------------------------------------------------------------------------

  private kickRecovery(p: Osd, urgent?: HObject): void {
    if (!p.core) return;
    const tasks = p.core.takeRecoveryTasks(3, urgent);
    const sis = p.core.info().history.sameIntervalSince;
    for (const t of tasks) {
      this.trace(`task ${t.kind} ${t.kind === 'backfill' ? `to ${t.to}` : `${t.soid.oid} ${evText(t.version)} ${t.kind === 'pull' ? `from ${t.from}` : `to [${t.to}]`}`}`);
      this.jobs.push({ at: this.step + this.rng.int(1, 5), primary: p.id, sis, task: t, stage: 0 });
    }
    this.drain(p);
  }

  private runJob(j: RecoveryJob): void {
    const p = this.osds[j.primary]!;
    if (!p.alive || !p.core || p.core.info().history.sameIntervalSince !== j.sis || !p.core.isPrimary()) return;
    const core = p.core;
    const t = j.task;
    const peerOk = (o: number): boolean => {
      const x = this.osds[o]!;
      return x.alive && x.core !== undefined && x.core.info().history.sameIntervalSince === j.sis;
    };
    if (t.kind === 'pull') {
      const src = this.osds[t.from]!;
      if (!src.alive) { core.onRecoveryFailed(t); this.drain(p); return; }
      const have = src.store.get(t.soid.oid);
      if (!have || cmpEVersion(have, t.version) !== 0) {
        throw new SimFailure(`pull ${t.soid.oid} ${evText(t.version)} from osd.${t.from}: it has ${have ? evText(have) : 'nothing'}`);
      }
      p.store.set(t.soid.oid, have);
      core.onObjectRecoveredLocally(t.soid, have);
      this.drain(p);
      return;
    }
    if (t.kind === 'push' || t.kind === 'delete') {
      const have = p.store.get(t.soid.oid);
      if (t.kind === 'push' && (!have || cmpEVersion(have, t.version) !== 0)) {
        throw new SimFailure(`push ${t.soid.oid} ${evText(t.version)}: primary osd.${p.id} has ${have ? evText(have) : 'nothing'}`);
      }
      let failed = false;
      for (const o of t.to) {
        const x = this.osds[o]!;
        if (!peerOk(o)) { failed = true; continue; }
        if (t.kind === 'push') x.store.set(t.soid.oid, have!);
        else x.store.delete(t.soid.oid);
        x.core!.onObjectRecoveredLocally(t.soid, t.version);
        this.drain(x);
        core.onPeerRecovered(o, t.soid, t.version);
      }
      if (failed) core.onRecoveryFailed(t);
      this.drain(p);
      return;
    }
    // backfill in two stages: up to a midpoint, then the rest
    const x = this.osds[t.to]!;
    if (!peerOk(t.to)) { core.onRecoveryFailed(t); this.drain(p); return; }
    const names = [...new Set([...p.store.keys(), ...x.store.keys()])].map(soidOf).sort(cmpHObject);
    const after = names.filter((s) => cmpHObject(s, j.mid ?? t.from) > 0);
    const upTo = j.stage === 0 && after.length > 1 ? after[Math.floor(after.length / 2) - 1]! : { ...soidOf(''), max: true };
    for (const s of after) {
      if (!upTo.max && cmpHObject(s, upTo) > 0) break;
      const have = p.store.get(s.oid);
      if (have) x.store.set(s.oid, have);
      else x.store.delete(s.oid);
    }
    core.onBackfillProgress(t.to, upTo);
    this.drain(p);
    if (!upTo.max) this.jobs.push({ ...j, at: this.step + this.rng.int(1, 5), stage: 1, mid: upTo });
  }

  // ---- the loop ----------------------------------------------------------------------------------

  /** One simulated step: deliver due messages, run due jobs, let OSDs learn maps, the monitor act. */
  tick(opts: { faults: boolean; writes: boolean }): void {
    this.step++;
    // messages: the heads of queues that are due, in a seeded order
    const due: Queued[] = [];
    for (const q of this.queues.values()) if (q.length && q[0]!.at <= this.step) due.push(q[0]!);
    for (let i = due.length - 1; i > 0; i--) {
      const j = this.rng.int(0, i);
      [due[i], due[j]] = [due[j]!, due[i]!];
    }
    for (const d of due) {
      const q = this.queues.get(`${d.from}>${d.to}`)!;
      if (q[0] !== d) continue;
      // As the OSD shell does: a message from a newer epoch waits (and so does everything after it
      // on that link) until the OSD has that map.
      const e = d.m.kind === 'peer' ? d.m.msg.epochSent : d.m.epochSent;
      const target = this.osds[d.to]!;
      if (target.alive && e > target.epoch) continue;
      q.shift();
      this.deliver(d);
    }
    const ready = this.jobs.filter((j) => j.at <= this.step);
    this.jobs = this.jobs.filter((j) => j.at > this.step);
    for (const j of ready) this.runJob(j);
    // OSDs learn newer maps with a delay
    for (const o of this.osds) if (o.alive && o.epoch < this.epoch && this.rng.chance(0.5)) this.catchUp(o, this.rng.int(o.epoch + 1, this.epoch));
    // OSDs mapped to the PG that have no PG yet create it when they see the map (Ceph: pg create / peering)
    const v = this.view(this.epoch);
    for (const id of [...v.up, ...v.acting]) {
      const o = this.osds[id]!;
      if (o.alive && !o.core && o.epoch >= this.epoch) this.createPg(o);
    }
    if (this.rng.chance(0.3)) this.monTick();
    if (opts.faults && this.rng.chance(this.o.faultRate)) this.fault();
    if (opts.writes && this.rng.chance(0.4)) this.clientWrite();
    const p = this.osds[v.actingPrimary];
    if (p?.alive && p.core && this.rng.chance(0.5)) this.kickRecovery(p);
  }

  private fault(): void {
    const cur = this.mapAt(this.epoch);
    const up = this.osds.filter((o) => cur.up[o.id]).map((o) => o.id);
    const down = this.osds.filter((o) => !cur.up[o.id]).map((o) => o.id);
    if (down.length > 0 && (up.length <= 1 || this.rng.chance(0.5))) {
      const o = this.rng.pick(down);
      this.newMap((m) => { m.up[o] = true; });
    } else if (up.length > 0) {
      const o = this.rng.pick(up);
      this.newMap((m) => { m.up[o] = false; });
    }
  }

  /** Every OSD up again (the end of the fault phase). */
  healAll(): void {
    const cur = this.mapAt(this.epoch);
    if (cur.up.every((x) => x)) return;
    this.newMap((m) => { m.up = m.up.map(() => true); });
  }

  primary(): Osd | undefined {
    const v = this.view(this.epoch);
    return this.osds[v.actingPrimary];
  }

  /** The PG is active+clean on the newest map, every acting member is active in it, nothing in flight. */
  settled(): boolean {
    const v = this.view(this.epoch);
    const p = this.osds[v.actingPrimary];
    if (!p || !p.core || p.epoch !== this.epoch || p.core.stateString() !== 'active+clean') return false;
    for (const id of v.acting) {
      const o = this.osds[id]!;
      if (!o.core || o.epoch !== this.epoch || !o.core.isActive()) return false;
    }
    if (this.jobs.length > 0) return false;
    for (const q of this.queues.values()) if (q.length) return false;
    return this.wantPgTemp === undefined && this.wantUpThru.size === 0;
  }

  /**
   * Safety at activation: a primary that starts taking writes must know every acknowledged write,
   * i.e. its authoritative log holds the acked entry or a later one for the object (or was trimmed past
   * it and the object is present or missing at a newer version). Going active without a survivor of a
   * read-write interval breaks this.
   */
  private checkActivation(p: Osd): void {
    const core = p.core!;
    const st = core.persistentState();
    const last = new Map<string, Ack>();
    for (const a of this.acks) {
      const had = last.get(a.name);
      if (!had || cmpEVersion(had.version, a.version) < 0) last.set(a.name, a);
    }
    for (const [name, a] of last) {
      if (st.log.log.some((e) => e.soid.oid === name && cmpEVersion(e.version, a.version) >= 0)) continue;
      if (cmpEVersion(st.log.tail, a.version) >= 0) continue;
      throw new SimFailure(`osd.${p.id} went active at e${p.epoch} without acked ${a.del ? 'delete' : 'write'} ${name} ${evText(a.version)} (log ${evText(st.log.tail)}..${evText(st.log.head)})`);
    }
  }

  /** Safety: the acting stores agree, and every acknowledged write is there (or superseded). */
  check(): void {
    const v = this.view(this.epoch);
    const p = this.osds[v.actingPrimary]!;
    const fmt = (m: Map<string, EVersion>): string => [...m.entries()].sort().map(([k, x]) => `${k}@${evText(x)}`).join(' ');
    for (const id of v.acting) {
      const o = this.osds[id]!;
      if (fmt(o.store) !== fmt(p.store)) throw new SimFailure(`osd.${id} store {${fmt(o.store)}} differs from primary osd.${p.id} {${fmt(p.store)}}`);
    }
    const last = new Map<string, Ack>();
    for (const a of this.acks) {
      const had = last.get(a.name);
      if (!had || cmpEVersion(had.version, a.version) < 0) last.set(a.name, a);
    }
    const log = p.core!.persistentState().log;
    /** A later write (acked or not, kept by peering) explains a newer state than the ack's. */
    const laterInLog = (name: string, after: EVersion, del: boolean): boolean =>
      cmpEVersion(log.tail, after) > 0 || log.log.some((e) => e.soid.oid === name && cmpEVersion(e.version, after) > 0 && isDeleteOp(e.op) === del);
    for (const [name, a] of last) {
      const have = p.store.get(name);
      if (!have && !a.del && laterInLog(name, a.version, true)) continue;
      if (have && a.del && laterInLog(name, a.version, false)) continue;
      if (a.del) {
        if (have && cmpEVersion(have, a.version) <= 0) throw new SimFailure(`acked delete of ${name} at ${evText(a.version)} but osd.${p.id} has ${evText(have)}`);
      } else if (!have || cmpEVersion(have, a.version) < 0) {
        throw new SimFailure(`acked write ${name} ${evText(a.version)} lost: osd.${p.id} has ${have ? evText(have) : 'nothing'}`);
      }
    }
    // every stored version is one the primary's log or an ack knows (no invented data)
    for (const [name, ver] of p.store) {
      const inLog = log.log.some((e) => e.soid.oid === name && cmpEVersion(e.version, ver) === 0);
      const acked = this.acks.some((a) => a.name === name && cmpEVersion(a.version, ver) === 0);
      if (!inLog && !acked && cmpEVersion(ver, log.tail) > 0) throw new SimFailure(`osd.${p.id} holds ${name}@${evText(ver)} that no log entry or ack explains`);
    }
  }
}

export function emptyLogForTests(): ReturnType<typeof emptyPgLog> {
  return emptyPgLog();
}
