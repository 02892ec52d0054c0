// Proves the peering state machine (osd/core/peering.ts) walks Ceph's states in scripted scenarios:
// creation waits for up_thru and goes active+clean, a returning replica is recovered from the log (push
// tasks, degraded -> clean), a PG whose only rw-interval members are down is "down" until one returns, a
// PG whose surviving infos are older than a known activation, or whose only survivor is a backfill target
// once the others are marked lost, is "incomplete", divergent writes are rewound on the OSD that had them,
// strays delete the PG once the primary is clean, stale messages are ignored, no push of an object the
// primary misses or pulls, restarted OSDs peer from their persisted state, a peer behind the log tail is
// backfilled (write targets follow last_backfill), an up primary that cannot lead asks for a pg_temp, and
// an object no up OSD holds is unfound (while other objects recover) until an OSD holding it returns.
// A deterministic FIFO network drives the cores.
import { strict as assert } from 'node:assert';
import { createPeeringCore, findBestInfo, type PeeringCoreDebug } from '../../osd/core/peering.js';
import type { PeeringMessage, PgMapView, RecoveryTask } from '../../osd/core/peering-api.js';
import { emptyReqId, type EVersion, type HObject } from '../../msg/messages/osdop.js';
import { emptyPgInfo, maxHObject, objectKey, PgLogOp, type PgLogEntry } from '../../msg/messages/pgtypes.js';
import { cloneInfo, cloneLog, cloneMissing, evText } from '../../osd/core/pglog.js';
import { clonePastIntervals } from '../../osd/core/pastintervals.js';
import { PGID, soidOf } from './peering-harness.js';

interface MapSpec { up: number[]; acting?: number[]; upOsds?: number[]; pgTemp?: number[] | null; size?: number; minSize?: number }

const T0 = { sec: 0, nsec: 0 };

class Net {
  readonly cores = new Map<number, PeeringCoreDebug>();
  readonly fed = new Map<number, number>();
  readonly views: PgMapView[] = [];
  private upThru = new Map<number, number>();
  private upOsds = new Set<number>();
  private pgTemp: number[] | undefined;
  /** `ceph osd lost`: the epoch each OSD was marked lost at (applies from the next map). */
  readonly lost = new Map<number, number>();
  private spec: MapSpec = { up: [] };
  queue: Array<{ from: number; to: number; msg: PeeringMessage }> = [];
  readonly removed = new Set<number>();
  readonly rewound: Array<{ osd: number; oids: string[]; rewindTo?: string }> = [];
  readonly tasks: RecoveryTask[] = [];
  upThruWant = new Map<number, number>();
  pgTempWant: number[] | undefined;
  /** Drop messages whose kind/route matches (a lost message). */
  filter: ((m: { from: number; to: number; msg: PeeringMessage }) => boolean) | undefined;

  constructor(readonly logBounds?: { entriesMin: number; entriesMax: number; trimEntriesMin: number }) {}

  get epoch(): number {
    return this.views.length;
  }

  map(spec: MapSpec, upThru: Record<number, number> = {}): void {
    this.spec = { ...this.spec, ...spec };
    if (spec.upOsds) this.upOsds = new Set(spec.upOsds);
    else this.upOsds = new Set([...spec.up, ...(spec.acting ?? [])]);
    if (spec.pgTemp !== undefined) this.pgTemp = spec.pgTemp ?? undefined;
    for (const [o, e] of Object.entries(upThru)) this.upThru.set(Number(o), e);
    const epoch = this.views.length + 1;
    const ut = new Map(this.upThru);
    const ups = new Set(this.upOsds);
    const lost = new Map(this.lost);
    const up = spec.up;
    const acting = spec.acting ?? (this.pgTemp ? this.pgTemp.filter((o) => ups.has(o)) : up);
    this.views.push({
      epoch, poolExists: true, poolSize: this.spec.size ?? 3, poolMinSize: this.spec.minSize ?? 2, pgNum: 1,
      up, upPrimary: up[0] ?? -1, acting, actingPrimary: acting[0] ?? -1,
      isUp: (o) => ups.has(o), upThru: (o) => ut.get(o) ?? 0, lostAt: (o) => lost.get(o) ?? 0,
    });
  }

  /** Grant the pending up_thru asks in a new map with the same mapping. */
  grantUpThru(): void {
    const g: Record<number, number> = {};
    for (const o of this.upThruWant.keys()) g[o] = this.epoch + 1;
    this.upThruWant.clear();
    const v = this.views[this.epoch - 1]!;
    this.map({ up: v.up, acting: this.pgTempWant !== undefined ? undefined : v.acting, upOsds: [...this.upOsds] }, g);
  }

  create(osd: number, createdEpoch = 1): PeeringCoreDebug {
    const c = createPeeringCore({ pgid: PGID, whoami: osd, createdEpoch, poolCreatedEpoch: 1 }, this.logBounds);
    this.cores.set(osd, c);
    this.fed.set(osd, createdEpoch - 1);
    return c;
  }

  feed(osd: number): void {
    const c = this.cores.get(osd);
    if (!c) return;
    const from = this.fed.get(osd)!;
    if (from >= this.epoch) return;
    for (let e = from + 1; e <= this.epoch; e++) c.advanceMap(this.views[e - 1]!);
    this.fed.set(osd, this.epoch);
    c.activateMap(T0);
    this.drain(osd);
  }

  drain(osd: number): void {
    const c = this.cores.get(osd)!;
    const fx = c.takeEffects();
    for (const s of fx.send) this.queue.push({ from: osd, to: s.to, msg: s.msg });
    if (fx.rewoundObjects.length || fx.logDelta.rewindTo) this.rewound.push({ osd, oids: fx.rewoundObjects.map((o) => o.oid), rewindTo: fx.logDelta.rewindTo ? evText(fx.logDelta.rewindTo) : undefined });
    if (fx.needUpThru !== undefined) this.upThruWant.set(osd, fx.needUpThru);
    if (fx.wantPgTemp !== undefined) this.pgTempWant = fx.wantPgTemp;
    if (fx.removePg) {
      this.removed.add(osd);
      this.cores.delete(osd);
    }
  }

  /** Deliver every queued message (FIFO) to OSDs that are up and hold the PG. */
  run(): void {
    for (let n = 0; this.queue.length > 0; n++) {
      assert.ok(n < 10000, 'message storm');
      const m = this.queue.shift()!;
      if (this.filter?.(m)) continue;
      const c = this.cores.get(m.to);
      if (!c || !this.upOsds.has(m.to)) continue;
      c.handleMessage(m.from, m.msg, T0);
      this.drain(m.to);
    }
  }

  /** Feed maps to every OSD, deliver, grant up_thru until nothing changes. */
  settle(): void {
    for (let round = 0; round < 20; round++) {
      for (const o of [...this.cores.keys()].sort()) if (this.upOsds.has(o)) this.feed(o);
      this.run();
      if (this.upThruWant.size > 0) { this.grantUpThru(); continue; }
      if (this.pgTempWant !== undefined) {
        const v = this.views[this.epoch - 1]!;
        const pt = this.pgTempWant;
        this.pgTempWant = undefined;
        this.map({ up: v.up, upOsds: [...this.upOsds], pgTemp: pt.length ? pt : null });
        continue;
      }
      let stale = false;
      for (const o of this.cores.keys()) if (this.upOsds.has(o) && this.fed.get(o)! < this.epoch) stale = true;
      if (!stale) return;
    }
  }

  state(osd: number): string {
    return this.cores.get(osd)!.stateString();
  }

  /** The primary writes an entry and every write target applies it. */
  write(primary: number, name: string, op: number = PgLogOp.MODIFY, only?: number[]): PgLogEntry {
    const p = this.cores.get(primary)!;
    const soid = soidOf(name);
    const version = p.nextVersion();
    const e = logEntry(soid, version, op);
    p.appendLogEntry(e);
    this.drain(primary);
    for (const t of only ?? p.writeTargets(soid)) {
      this.cores.get(t)!.appendLogEntry(e);
      this.drain(t);
    }
    return e;
  }

  /** Run the primary's recovery tasks to completion (the model store is not kept here). */
  recover(primary: number): void {
    for (let n = 0; n < 50; n++) {
      const p = this.cores.get(primary)!;
      const ts = p.takeRecoveryTasks(10);
      this.drain(primary);
      if (ts.length === 0) return;
      for (const t of ts) {
        this.tasks.push(t);
        if (t.kind === 'pull') p.onObjectRecoveredLocally(t.soid, t.version);
        else if (t.kind === 'push' || t.kind === 'delete') {
          for (const o of t.to) {
            this.cores.get(o)?.onObjectRecoveredLocally(t.soid, t.version);
            if (this.cores.has(o)) this.drain(o);
            p.onPeerRecovered(o, t.soid, t.version);
          }
        } else p.onBackfillProgress(t.to, maxHObject());
        this.drain(primary);
        this.run();
      }
    }
  }
}

let tid = 0;
function logEntry(soid: HObject, version: EVersion, op: number = PgLogOp.MODIFY, prior: EVersion = { epoch: 0, version: 0 }): PgLogEntry {
  return {
    op, soid, version, priorVersion: prior, revertingTo: { epoch: 0, version: 0 }, reqid: { ...emptyReqId(), name: { type: 8, num: 9 }, tid: ++tid },
    extraReqids: [], mtime: T0, returnCode: 0, opReturns: [], userVersion: version.version,
    modDesc: Buffer.alloc(0), snaps: Buffer.alloc(0), cleanRegions: Buffer.alloc(0),
  };
}

/** A 3-OSD PG created at epoch 1, active+clean. */
function cleanPg(osds = [0, 1, 2], extra: number[] = []): Net {
  const n = new Net();
  n.map({ up: osds, upOsds: [...osds, ...extra] });
  for (const o of osds) n.create(o);
  n.settle();
  return n;
}

/**
 * A short-log PG (2 to 4 entries) on osds 0-2, active+clean; then `away` leaves and the other two
 * take (and trim past) writes to `names`, so it comes back behind the log tail.
 */
function writesWhileAway(away: number, names: string[]): Net {
  const n = new Net({ entriesMin: 2, entriesMax: 4, trimEntriesMin: 1 });
  n.map({ up: [0, 1, 2] });
  for (const o of [0, 1, 2]) n.create(o);
  n.settle();
  const rest = [0, 1, 2].filter((o) => o !== away);
  n.map({ up: rest, upOsds: rest });
  n.settle();
  const primary = rest[0]!;
  for (const name of names) {
    const e = n.write(primary, name);
    n.cores.get(primary)!.committedEverywhere(e.version);
    n.drain(primary);
    n.run();
  }
  return n;
}

describe('peering: scripted scenarios', () => {
  it('a new PG is creating+peering, asks for up_thru, then goes active+clean with its replicas active', () => {
    const n = new Net();
    n.map({ up: [0, 1, 2] });
    for (const o of [0, 1, 2]) n.create(o);
    for (const o of [0, 1, 2]) n.feed(o);
    assert.equal(n.state(0), 'creating+peering');
    assert.equal(n.upThruWant.get(0), 1, 'the primary asks for up_thru >= same_interval_since');
    n.run();
    assert.equal(n.state(0), 'creating+peering', 'waits for up_thru');
    assert.equal(n.cores.get(0)!.debugPhase(), 'waitUpThru');
    n.grantUpThru();
    n.settle();
    assert.equal(n.state(0), 'active+clean');
    assert.ok(n.cores.get(0)!.isPrimary() && n.cores.get(0)!.isActive());
    assert.ok(n.cores.get(1)!.isActive() && !n.cores.get(1)!.isPrimary());
    assert.equal(n.state(1), 'active');
    const h = n.cores.get(0)!.info().history;
    assert.ok(h.lastEpochStarted >= 2 && h.lastEpochClean >= 2, `les ${h.lastEpochStarted} lec ${h.lastEpochClean}`);
  });

  it('a replica that missed writes is degraded, gets push tasks, and the PG goes clean', () => {
    const n = cleanPg([0, 1, 2], [3]);
    n.map({ up: [0, 1, 3], upOsds: [0, 1, 3] }); // osd.2 down, osd.3 in
    n.create(3);
    n.settle();
    n.write(0, 'a');
    n.write(0, 'b');
    assert.equal(n.state(0), 'active+clean', 'osd.3 was empty and the log reached back: recovered at activation');
    n.map({ up: [0, 1], upOsds: [0, 1] });
    n.settle();
    assert.equal(n.state(0), 'active+undersized+degraded');
    const w = n.write(0, 'c');
    n.write(0, 'a');
    n.map({ up: [0, 1, 3], upOsds: [0, 1, 3] });
    n.settle();
    assert.match(n.state(0), /^active\+recovery_wait\+degraded$/);
    assert.equal(n.cores.get(0)!.debugPeer(3)!.missing, 2);
    assert.ok(n.cores.get(0)!.isMissingOrDegraded(w.soid));
    assert.deepEqual(n.cores.get(0)!.writeTargets(w.soid), [1, 3]);
    n.recover(0);
    assert.deepEqual(n.tasks.map((t) => t.kind), ['push', 'push']);
    assert.equal(n.state(0), 'active+clean');
    assert.equal(n.cores.get(3)!.persistentState().missing.items.size, 0);
  });

  it('an appended entry dirties the persistent state (past intervals, rollback marks, missing) only when it touches a missing object', () => {
    const n = cleanPg([0, 1, 2], [3]);
    n.map({ up: [0, 1, 3], upOsds: [0, 1, 3] });
    n.create(3);
    n.settle();
    n.write(0, 'a');
    n.write(0, 'b');
    n.map({ up: [0, 1], upOsds: [0, 1] });
    n.settle();
    n.write(0, 'a');
    n.map({ up: [0, 1, 3], upOsds: [0, 1, 3] });
    n.settle();
    const p = n.cores.get(0)!;
    const r = n.cores.get(3)!;
    assert.ok(r.persistentState().missing.items.has(objectKey(soidOf('a'))), 'osd.3 misses a');
    const append = (name: string): [boolean, boolean] => {
      const e = logEntry(soidOf(name), p.nextVersion(), PgLogOp.MODIFY);
      const out: boolean[] = [];
      for (const [osd, c] of [[0, p], [3, r]] as const) {
        c.appendLogEntry(e);
        const fx = c.takeEffects();
        assert.equal(fx.logDelta.append.length, 1, `osd.${osd} appends ${name}`);
        for (const s of fx.send) n.queue.push({ from: osd, to: s.to, msg: s.msg });
        out.push(fx.dirty);
      }
      return [out[0]!, out[1]!];
    };
    assert.deepEqual(append('b'), [false, false], 'b is missing nowhere: the log delta and info only');
    assert.deepEqual(append('a'), [false, true], 'a is missing on osd.3: its need moves there');
  });

  it('never hands out a push of an object the primary still misses or is pulling', () => {
    const n = cleanPg();
    n.map({ up: [1, 2], upOsds: [1, 2], minSize: 1 }); // osd.0 down
    n.settle();
    n.write(1, 'x');
    n.map({ up: [1], upOsds: [1] }); // osd.2 down too
    n.settle();
    const w = n.write(1, 'x');
    n.map({ up: [0, 1, 2], upOsds: [0, 1, 2] });
    n.settle();
    const p = n.cores.get(0)!;
    assert.equal(p.debugPhase(), 'active');
    assert.ok(p.isMissingLocally(w.soid) && p.debugPeer(2)!.missing === 1, 'osd.0 and osd.2 both miss x');
    const pushesOfX = (ts: RecoveryTask[]): number => ts.filter((t) => t.kind !== 'pull' && t.kind !== 'backfill' && t.soid.oid === 'x').length;
    const first = p.takeRecoveryTasks(10, w.soid);
    assert.deepEqual(first.map((t) => t.kind), ['pull']);
    assert.equal(pushesOfX(p.takeRecoveryTasks(10, w.soid)), 0, 'the pull is outstanding');
    // the pulled copy is older than needed: still missing, so pull again, never push
    p.onObjectRecoveredLocally(w.soid, { epoch: 0, version: 1 });
    const again = p.takeRecoveryTasks(10, w.soid);
    assert.deepEqual(again.map((t) => t.kind), ['pull']);
    assert.equal(pushesOfX(again), 0);
    // a failed pull is re-planned as a pull
    p.onRecoveryFailed(again[0]!);
    const retry = p.takeRecoveryTasks(10);
    assert.deepEqual(retry.map((t) => t.kind), ['pull']);
    p.onObjectRecoveredLocally(w.soid, w.version);
    const push = p.takeRecoveryTasks(10);
    assert.deepEqual(push.map((t) => (t.kind === 'push' ? `${t.soid.oid}->${t.to.join(',')}` : t.kind)), ['x->2']);
    // a push that left the peer older than needed: it still misses x, so x is pushed again
    p.onPeerRecovered(2, w.soid, { epoch: 0, version: 1 });
    assert.deepEqual(p.takeRecoveryTasks(10).map((t) => (t.kind === 'push' ? `${t.soid.oid}->${t.to.join(',')}` : t.kind)), ['x->2']);
    p.onPeerRecovered(2, w.soid, w.version);
    n.drain(0);
    n.run();
    assert.equal(n.state(0), 'active+clean');
  });

  it('is down while every member of the last rw interval is down, and recovers when one returns', () => {
    const n = new Net();
    n.map({ up: [0, 1], size: 2, minSize: 1, upOsds: [0, 1, 2, 3] });
    for (const o of [0, 1]) n.create(o);
    n.settle();
    assert.equal(n.state(0), 'active+clean');
    n.write(0, 'x');
    n.write(0, 'y');
    n.map({ up: [2, 3], upOsds: [2, 3] });
    n.create(2);
    n.create(3);
    n.settle();
    assert.equal(n.state(2), 'down');
    assert.equal(n.cores.get(2)!.isActive(), false);
    n.map({ up: [2, 3], upOsds: [0, 2, 3] }); // osd.0 back (a stray now)
    n.settle();
    assert.match(n.state(2), /^active\+recovery_wait\+degraded$/);
    n.recover(2);
    const kinds = n.tasks.map((t) => `${t.kind}:${t.kind === 'pull' ? t.from : ''}`);
    assert.ok(kinds.includes('pull:0'), kinds.join(','));
    assert.equal(n.state(2), 'active+clean');
    assert.ok(n.removed.has(0), 'the stray deletes the PG once the primary is clean');
  });

  it('an object no up OSD holds is unfound while others recover, and found once an OSD holding it returns', () => {
    const n = new Net();
    n.map({ up: [0, 1], size: 2, minSize: 1, upOsds: [0, 1] });
    for (const o of [0, 1]) n.create(o);
    n.settle();
    const x = n.write(0, 'x');
    n.map({ up: [0], upOsds: [0] }); // osd.1 down: y is on osd.0 alone
    n.settle();
    const y = n.write(0, 'y');
    n.map({ up: [0, 2], upOsds: [0, 2] }); // osd.2 joins, learns the log, misses x and y
    n.create(2);
    n.settle();
    assert.equal(n.cores.get(0)!.debugPeer(2)!.missing, 2);
    // a new interval (min_size 2) on the same OSDs: osd.2 learns that [0,2] went active (its history's
    // les), so the interval osd.0 wrote y alone in is no longer in a prior set
    n.map({ up: [0, 2], upOsds: [0, 2], minSize: 2 });
    n.settle();
    assert.match(n.state(0), /^active\+/);
    n.map({ up: [2, 1], upOsds: [1, 2] }); // osd.0 down before recovering osd.2; osd.1 back with x
    n.settle();
    const p = n.cores.get(2)!;
    assert.ok(p.isMissingLocally(x.soid) && p.isMissingLocally(y.soid));
    assert.match(n.state(2), /recovery_unfound/, `y: osd.0 alone has it (${n.state(2)} ${p.debugPhase()} ${p.debugPeer(1)?.mode} missing ${p.persistentState().missing.items.size})`);
    n.recover(2);
    assert.deepEqual(n.tasks.map((t) => (t.kind === 'pull' ? `pull ${t.soid.oid} from ${t.from}` : t.kind)), ['pull x from 1']);
    assert.ok(!p.isMissingLocally(x.soid));
    assert.match(n.state(2), /recovery_unfound/, 'recovering x found nothing new for y');
    n.map({ up: [2, 1], upOsds: [0, 1, 2] }); // osd.0 returns as a stray: the primary asks it for its log
    n.settle();
    assert.doesNotMatch(n.state(2), /unfound/);
    n.map({ up: [2, 1], upOsds: [1, 2] }); // and down again before y is pulled: unfound again
    n.settle();
    assert.match(n.state(2), /recovery_unfound/);
    n.map({ up: [2, 1], upOsds: [0, 1, 2] });
    n.settle();
    assert.doesNotMatch(n.state(2), /unfound/);
    n.recover(2);
    assert.ok(n.tasks.some((t) => t.kind === 'pull' && t.soid.oid === 'y' && t.from === 0), n.tasks.map((t) => t.kind).join(','));
    assert.equal(n.state(2), 'active+clean');
    assert.ok(evText(p.info().lastComplete) === evText(y.version) || evText(p.info().lastComplete) === evText(p.info().lastUpdate));
  });

  it('is incomplete when no surviving info reaches the last activation', () => {
    const infos = new Map([[0, emptyPgInfo(PGID)], [1, emptyPgInfo(PGID)]]);
    infos.get(0)!.history.lastEpochStarted = 9;
    infos.get(0)!.lastEpochStarted = 5;
    infos.get(1)!.lastEpochStarted = 4;
    assert.equal(findBestInfo(infos, 0), -1);
    infos.get(1)!.lastEpochStarted = 9;
    infos.get(1)!.lastUpdate = { epoch: 9, version: 3 };
    assert.equal(findBestInfo(infos, 0), 1);
    // a core whose only info is behind its own history's les
    const c = createPeeringCore({ pgid: PGID, whoami: 0, createdEpoch: 1 });
    c.info().history.lastEpochStarted = 7;
    const v: PgMapView = {
      epoch: 8, poolExists: true, poolSize: 1, poolMinSize: 1, pgNum: 1, up: [0], upPrimary: 0, acting: [0], actingPrimary: 0,
      isUp: (o) => o === 0, upThru: () => 8, lostAt: () => 0,
    };
    c.advanceMap(v);
    c.activateMap(T0);
    assert.equal(c.stateString(), 'incomplete');
  });

  it('find_best_info prefers newer last_update, then the longer tail, then the current primary', () => {
    const mk = (lu: number, tail: number): ReturnType<typeof emptyPgInfo> => {
      const i = emptyPgInfo(PGID);
      i.lastUpdate = { epoch: 3, version: lu };
      i.logTail = { epoch: 3, version: tail };
      i.lastEpochStarted = 3;
      return i;
    };
    assert.equal(findBestInfo(new Map([[0, mk(5, 1)], [1, mk(6, 1)]]), 0), 1);
    assert.equal(findBestInfo(new Map([[0, mk(6, 2)], [1, mk(6, 1)]]), 0), 1);
    assert.equal(findBestInfo(new Map([[0, mk(6, 1)], [1, mk(6, 1)]]), 1), 1);
    const incomplete = mk(9, 1);
    incomplete.lastBackfill = { ...incomplete.lastBackfill, max: false };
    assert.equal(findBestInfo(new Map([[0, mk(6, 1)], [1, incomplete]]), 1), 0, 'a backfilling info never leads');
  });

  it('rewinds a divergent write on the OSD that alone applied it', () => {
    const n = cleanPg();
    n.write(0, 'a');
    n.write(0, 'd', PgLogOp.MODIFY, []); // applied on osd.0 only, never acknowledged
    n.map({ up: [1, 2], upOsds: [1, 2] }); // osd.0 fails
    n.settle();
    n.write(1, 'b');
    assert.equal(n.state(1), 'active+undersized+degraded');
    n.map({ up: [0, 1, 2], upOsds: [0, 1, 2] });
    n.settle();
    const r = n.rewound.find((x) => x.osd === 0);
    assert.ok(r, 'osd.0 rewound its log');
    assert.deepEqual(r.oids, ['d']);
    assert.ok(r.rewindTo);
    const log0 = n.cores.get(0)!.persistentState().log.log.map((e) => e.soid.oid);
    assert.ok(!log0.includes('d') && log0.includes('b'), log0.join(','));
    n.recover(0);
    assert.equal(n.state(0), 'active+clean');
  });

  it('a restarted replica and primary peer again from their persisted state', () => {
    const n = cleanPg();
    n.write(0, 'a');
    n.write(0, 'b');
    for (const osd of [1, 0]) {
      const p = n.cores.get(osd)!.persistentState();
      const copy = { info: cloneInfo(p.info), pastIntervals: clonePastIntervals(p.pastIntervals), log: cloneLog(p.log), missing: cloneMissing(p.missing), epoch: p.epoch };
      const c = createPeeringCore({ pgid: PGID, whoami: osd, persistent: copy });
      n.cores.set(osd, c);
      c.advanceMap(n.views[p.epoch - 1]!); // the base map first
      n.fed.set(osd, p.epoch);
      n.map({ up: [0, 1, 2] }); // a new epoch, same interval: peering restarts because the OSD did
      n.settle();
      assert.equal(n.state(0), 'active+clean', `after osd.${osd} restarted`);
      assert.equal(evText(c.info().lastUpdate), evText(n.cores.get(2)!.info().lastUpdate));
    }
    // without the base map, a changed mapping is taken as a new interval (recorded as maybe-rw)
    const p = n.cores.get(2)!.persistentState();
    const c = createPeeringCore({ pgid: PGID, whoami: 2, persistent: { ...p, info: cloneInfo(p.info), pastIntervals: clonePastIntervals(p.pastIntervals) } });
    n.map({ up: [2, 0, 1] });
    c.advanceMap(n.views[n.epoch - 1]!);
    c.activateMap(T0);
    assert.equal(c.persistentState().info.history.sameIntervalSince, n.epoch);
    assert.ok(c.persistentState().pastIntervals.intervals.length > 0);
  });

  it('ignores messages from an older interval', () => {
    const n = cleanPg();
    const c1 = n.cores.get(1)!;
    const before = c1.persistentState().log.head;
    const stale: PeeringMessage = { kind: 'trim', pgid: PGID, trimTo: { epoch: 99, version: 99 }, epochSent: 1 };
    n.map({ up: [0, 1, 2], acting: [0, 1, 2], upOsds: [0, 1, 2, 3] }); // same interval
    n.map({ up: [1, 0, 2], upOsds: [0, 1, 2] });
    n.settle();
    c1.handleMessage(0, stale, T0);
    assert.equal(evText(c1.persistentState().log.head), evText(before));
    assert.equal(c1.takeEffects().send.length, 0);
  });

  it('backfills a peer behind the log tail; writes reach it only below last_backfill', () => {
    const n = writesWhileAway(2, ['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    assert.ok(n.cores.get(0)!.persistentState().log.log.length <= 4, 'the log was trimmed while undersized');
    n.map({ up: [0, 1, 2], upOsds: [0, 1, 2] });
    n.settle();
    const p = n.cores.get(0)!;
    assert.equal(p.debugPeer(2)!.mode, 'backfill');
    assert.equal(n.state(0), 'active+degraded+backfill_wait', 'two complete members reach min_size: writes go on');
    assert.equal(p.isActive(), true);
    const tasks = p.takeRecoveryTasks(5);
    assert.deepEqual(tasks.map((t) => t.kind), ['backfill']);
    const mid = soidOf('c');
    p.onBackfillProgress(2, mid);
    const below = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map(soidOf).filter((s) => p.writeTargets(s).includes(2));
    assert.ok(below.every((s) => s.hash === mid.hash || p.writeTargets(s).length === 2));
    assert.deepEqual(p.writeTargets(mid), [1, 2]);
    p.onBackfillProgress(2, maxHObject());
    n.drain(0);
    n.run(); // osd.2 takes the log and acks; the primary peers again, now writeable
    n.settle();
    assert.equal(n.state(0), 'active+clean');
    assert.ok(n.cores.get(2)!.info().lastBackfill.max);
  });

  it('is incomplete when the only survivor of an rw interval is a backfill target and the others are marked lost', () => {
    const n = writesWhileAway(2, ['a', 'b', 'c', 'd', 'e', 'f', 'g']);
    n.map({ up: [0, 1, 2], upOsds: [0, 1, 2] });
    n.settle();
    assert.equal(n.cores.get(0)!.debugPeer(2)!.mode, 'backfill');
    n.cores.get(0)!.takeRecoveryTasks(5);
    n.cores.get(0)!.onBackfillProgress(2, soidOf('c')); // part-way
    n.write(0, 'h'); // the interval took writes: acked on osd.0 and osd.1 (and osd.2 only if below last_backfill)
    // the two complete members fail: osd.2 alone cannot know the writes it never got
    n.map({ up: [2], upOsds: [2] });
    n.settle();
    assert.equal(n.state(2), 'down', 'blocked by the down complete members');
    // the admin declares them gone for good (`ceph osd lost`): nothing complete survives
    n.lost.set(0, n.epoch + 1);
    n.lost.set(1, n.epoch + 1);
    n.map({ up: [2], upOsds: [2] });
    n.settle();
    assert.equal(n.state(2), 'incomplete');
    assert.equal(n.cores.get(2)!.isActive(), false);
    // a complete copy comes back after all: it leads and the PG recovers
    n.map({ up: [2, 1], upOsds: [1, 2] });
    n.settle();
    assert.deepEqual(n.views[n.epoch - 1]!.acting[0], 1, 'osd.1 leads through a pg_temp');
    n.recover(1);
    n.settle();
    assert.doesNotMatch(n.state(2), /incomplete|down/);
  });

  it('asks for a pg_temp when the up primary cannot lead, and to drop it once it is backfilled', () => {
    const n = writesWhileAway(0, ['a', 'b', 'c', 'd', 'e', 'f']);
    n.map({ up: [0, 1, 2], upOsds: [0, 1, 2] });
    for (const o of [0, 1, 2]) n.feed(o);
    n.run();
    assert.deepEqual(n.pgTempWant, [1, 2], 'osd.0 is behind the tail: osd.1 should lead');
    n.settle();
    const v = n.views[n.epoch - 1]!;
    assert.deepEqual(v.acting, [1, 2]);
    assert.match(n.state(1), /remapped/);
    n.recover(1);
    n.settle();
    assert.deepEqual(n.views[n.epoch - 1]!.acting, [0, 1, 2], 'pg_temp removed after backfill');
    assert.equal(n.state(0), 'active+clean');
  });
});
