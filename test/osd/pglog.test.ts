// Proves the PG log functions (osd/core/pglog.ts) keep Ceph's PGLog rules: appends advance the head
// (last_complete kept exact without a rescan), missing items come in recovery order (lazily),
// trimming keeps osd_min/max_pg_log_entries and respects min_last_complete_ondisk, merging an
// authoritative log rewinds divergent entries (objects removed, missing at the authoritative version or
// gone), deletes remove objects, objects past last_backfill are left to backfill, and a peer's missing
// set is computed without touching its state. Hand-built logs with the expected results worked out; the
// missing set's index (recovery order, resuming after a place, oldest need, changes for the shell) against a naive model under
// seeded random changes (PGLOG_SEED=<n> replays one case, PGLOG_CASES=<n> runs more).
import { strict as assert } from 'node:assert';
import { caseSeed, Rng } from '../support/rng.js';
import { CEPH_NOSNAP, emptyReqId, type EVersion, type HObject } from '../../msg/messages/osdop.js';
import { cmpHObject, emptyPgInfo, emptyPgLog, emptyPgMissing, maxHObject, objectKey, PgLogOp, type PgLogEntry } from '../../msg/messages/pgtypes.js';
import {
  appendEntry, calcTrimTo, claimLog, computeLastComplete, ev, evText, findCommonPoint, logAfter, logsOverlap, mergeLog, missingAfter,
  missingAdd, missingGet, missingGot, missingInOrder, missingOldestNeed, missingRemove, missingSetNeed, missingSorted,
  pgLogDupsMax, pgLogEntriesMin, procReplicaLog, takeMissingChanges, trimLog, type LogState,
} from '../../osd/core/pglog.js';

const PGID = { pgid: { pool: 1, seed: 0 }, shard: -1 };

function obj(name: string): HObject {
  let h = 0;
  for (let i = 0; i < name.length; i++) h = (Math.imul(h, 31) + name.charCodeAt(i)) >>> 0;
  return { oid: name, key: '', nspace: '', hash: h, pool: 1, snap: CEPH_NOSNAP, max: false };
}

let tid = 0;
function entry(name: string, v: EVersion, prior: EVersion = ev(0, 0), op: number = PgLogOp.MODIFY): PgLogEntry {
  return {
    op, soid: obj(name), version: v, priorVersion: prior, revertingTo: ev(0, 0), reqid: { ...emptyReqId(), name: { type: 8, num: 4 }, tid: ++tid },
    extraReqids: [], mtime: { sec: 0, nsec: 0 }, returnCode: 0, opReturns: [], userVersion: v.version,
    modDesc: Buffer.alloc(0), snaps: Buffer.alloc(0), cleanRegions: Buffer.alloc(0),
  };
}

function state(entries: PgLogEntry[]): LogState {
  const s: LogState = { info: emptyPgInfo(PGID), log: emptyPgLog(), missing: emptyPgMissing() };
  for (const e of entries) appendEntry(s, e);
  return s;
}

const versions = (s: LogState): string[] => s.log.log.map((e) => evText(e.version));
const missingText = (s: LogState): string[] =>
  [...s.missing.items.values()].map(({ soid, item }) => `${soid.oid}:${evText(item.need)}/${evText(item.have)}`).sort();

describe('pglog: append and trim', () => {
  it('append advances head, last_update and last_complete; an older version is refused', () => {
    const s = state([entry('a', ev(2, 1)), entry('b', ev(2, 2))]);
    assert.equal(evText(s.info.lastUpdate), "2'2");
    assert.equal(evText(s.info.lastComplete), "2'2");
    assert.throws(() => appendEntry(s, entry('c', ev(1, 3))));
    assert.throws(() => appendEntry(s, entry('c', ev(2, 2))));
  });

  it('last_complete stops before the oldest missing need', () => {
    const s = state([entry('a', ev(2, 1)), entry('b', ev(2, 2)), entry('c', ev(2, 3))]);
    missingAdd(s.missing, obj('b'), ev(2, 2), ev(0, 0));
    assert.equal(evText(computeLastComplete(s)), "2'1");
    // a write to a missing object moves its need; a delete drops it
    appendEntry(s, entry('b', ev(2, 4), ev(2, 2), PgLogOp.DELETE));
    assert.equal(s.missing.items.size, 0);
    assert.equal(evText(s.info.lastComplete), "2'4");
  });

  it('append keeps last_complete exact without rescanning (writes to present objects, missing ones, deletes)', () => {
    const s = state([entry('a', ev(2, 1)), entry('b', ev(2, 2)), entry('c', ev(2, 3))]);
    missingAdd(s.missing, obj('b'), ev(2, 2), ev(0, 0));
    missingAdd(s.missing, obj('c'), ev(2, 3), ev(0, 0));
    s.info.lastComplete = computeLastComplete(s);
    const names = ['a', 'd', 'b', 'e', 'a', 'c', 'f', 'b'];
    let v = 4;
    for (const [i, n] of names.entries()) {
      appendEntry(s, entry(n, ev(3, v++), ev(0, 0), i === 7 ? PgLogOp.DELETE : PgLogOp.MODIFY));
      assert.equal(evText(s.info.lastComplete), evText(computeLastComplete(s)), `after ${n}`);
    }
    assert.equal(s.missing.items.size, 1, 'c is still missing (its need moved to 3\'9)');
    assert.equal(evText(s.info.lastComplete), "3'8");
  });

  it('missing items come lazily in recovery order (need, then object), skipping rejected keys', () => {
    const m = emptyPgMissing();
    for (let i = 0; i < 40; i++) missingAdd(m, obj(`o${i}`), ev(2, 100 - (i % 13)), ev(0, 0));
    const skip = (k: string): boolean => k.includes('o1');
    const want = missingSorted(m).filter(({ soid }) => !skip(objectKey(soid))).map(({ soid }) => soid.oid);
    assert.deepEqual([...missingInOrder(m, skip)].map(({ soid }) => soid.oid), want);
    assert.equal(want.length, 40 - 11);
    const first = missingInOrder(m, () => false).next();
    assert.equal(first.done, false);
    assert.equal(evText(first.value!.item.need), "2'88");
  });

  it('calc_trim_to keeps the minimum while clean, the maximum while degraded, and stops at the limit', () => {
    const many = (n: number): LogState => state(Array.from({ length: n }, (_, i) => entry(`o${i % 7}`, ev(3, i + 1))));
    assert.equal(calcTrimTo(many(pgLogEntriesMin + 50).log, ev(3, 1e6), false), undefined, 'fewer than trim_min to drop');
    const s = many(pgLogEntriesMin + 120);
    assert.equal(evText(calcTrimTo(s.log, ev(3, 1e6), false)!), "3'120");
    assert.equal(calcTrimTo(s.log, ev(3, 1e6), true), undefined, 'degraded keeps up to the max');
    assert.equal(evText(calcTrimTo(s.log, ev(3, 110), false)!), "3'110", 'never past min_last_complete_ondisk');
    assert.equal(evText(calcTrimTo(s.log, ev(3, 50), false)!), "3'50");
    assert.equal(evText(calcTrimTo(s.log, ev(3, 10), false, { entriesMin: 3, entriesMax: 8, trimEntriesMin: 1 })!), "3'10");
  });

  it('trim drops entries, moves the tail and keeps their reqids as dups (bounded)', () => {
    const s = state([entry('a', ev(2, 1)), entry('b', ev(2, 2)), entry('c', ev(2, 3))]);
    assert.equal(trimLog(s, ev(2, 2)), 2);
    assert.deepEqual(versions(s), ["2'3"]);
    assert.equal(evText(s.info.logTail), "2'2");
    assert.equal(s.log.dups.length, 2);
    assert.equal(trimLog(s, ev(2, 1)), 0);
    const big = state(Array.from({ length: pgLogDupsMax + 10 }, (_, i) => entry('x', ev(1, i + 1))));
    trimLog(big, big.log.head);
    assert.equal(big.log.dups.length, pgLogDupsMax);
    assert.equal(big.log.log.length, 0);
    assert.equal(evText(big.info.lastUpdate), evText(big.log.head));
  });

  it('copy_after gives the entries after a version, or the whole log before the tail', () => {
    const s = state([entry('a', ev(2, 1)), entry('b', ev(2, 2)), entry('c', ev(2, 3))]);
    trimLog(s, ev(2, 1));
    assert.deepEqual(logAfter(s.log, ev(2, 2)).log.map((e) => evText(e.version)), ["2'3"]);
    assert.equal(evText(logAfter(s.log, ev(2, 2)).tail), "2'2");
    assert.deepEqual(logAfter(s.log, ev(0, 0)).log.map((e) => evText(e.version)), ["2'2", "2'3"]);
  });
});

describe('pglog: merge', () => {
  it('appends newer authoritative entries and marks their objects missing', () => {
    const local = state([entry('a', ev(2, 1)), entry('b', ev(2, 2))]);
    const auth = state([entry('a', ev(2, 1)), entry('b', ev(2, 2)), entry('c', ev(3, 3)), entry('a', ev(3, 4), ev(2, 1))]);
    const r = mergeLog(local, auth.log);
    assert.equal(r.rewindTo, undefined);
    assert.equal(r.appended.length, 2);
    assert.deepEqual(versions(local), ["2'1", "2'2", "3'3", "3'4"]);
    assert.deepEqual(missingText(local), ["a:3'4/2'1", "c:3'3/0'0"]);
    assert.equal(evText(local.info.lastComplete), "2'2");
  });

  it('rewinds entries past the authoritative head: the object goes back to its prior version', () => {
    const local = state([entry('a', ev(2, 1)), entry('b', ev(2, 2)), entry('a', ev(2, 3), ev(2, 1)), entry('d', ev(2, 4))]);
    const auth = state([entry('a', ev(2, 1)), entry('b', ev(2, 2))]);
    const r = mergeLog(local, auth.log);
    assert.equal(evText(r.rewindTo!), "2'2");
    assert.equal(r.divergent, 2);
    assert.deepEqual(r.remove.map((o) => o.oid).sort(), ['a', 'd']);
    assert.deepEqual(missingText(local), ["a:2'1/0'0"], 'a is recovered at 2\'1, d (created divergently) is just removed');
    assert.equal(evText(local.info.lastUpdate), "2'2");
  });

  it('rewinds a branch: same version numbers, newer epoch wins', () => {
    const local = state([entry('a', ev(2, 1)), entry('b', ev(2, 2)), entry('c', ev(2, 3), ev(0, 0))]);
    const auth = state([entry('a', ev(2, 1)), entry('b', ev(2, 2)), entry('e', ev(4, 3)), entry('c', ev(4, 4))]);
    assert.equal(evText(findCommonPoint(local.log, auth.log)), "2'2");
    const r = mergeLog(local, auth.log);
    assert.equal(evText(r.rewindTo!), "2'2");
    assert.deepEqual(versions(local), ["2'1", "2'2", "4'3", "4'4"]);
    assert.deepEqual(r.remove.map((o) => o.oid), ['c']);
    assert.deepEqual(missingText(local), ["c:4'4/0'0", "e:4'3/0'0"]);
  });

  it('a divergent write to an object the authoritative log deleted leaves it removed, not missing', () => {
    const local = state([entry('a', ev(2, 1)), entry('a', ev(2, 2), ev(2, 1), PgLogOp.DELETE), entry('a', ev(2, 3), ev(2, 2))]);
    const auth = state([entry('a', ev(2, 1)), entry('a', ev(2, 2), ev(2, 1), PgLogOp.DELETE)]);
    const r = mergeLog(local, auth.log);
    assert.deepEqual(r.remove.map((o) => o.oid), ['a']);
    assert.equal(local.missing.items.size, 0);
  });

  it('authoritative deletes remove the object instead of recovering it', () => {
    const local = state([entry('a', ev(2, 1))]);
    const auth = state([entry('a', ev(2, 1)), entry('a', ev(3, 2), ev(2, 1), PgLogOp.DELETE)]);
    const r = mergeLog(local, auth.log);
    assert.deepEqual(r.remove.map((o) => o.oid), ['a']);
    assert.equal(local.missing.items.size, 0);
  });

  it('objects past last_backfill are left to backfill', () => {
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    const sorted = names.map(obj).sort(cmpHObject);
    const local = state([]);
    local.info.lastBackfill = sorted[2]!;
    const auth = state(names.map((n, i) => entry(n, ev(2, i + 1))));
    mergeLog(local, auth.log);
    assert.deepEqual(missingText(local).map((t) => t.split(':')[0]), sorted.slice(0, 3).map((o) => o.oid).sort());
  });

  it('refuses a merge without overlap (the peer must be backfilled)', () => {
    const auth = state([entry('a', ev(2, 1)), entry('b', ev(2, 2)), entry('c', ev(2, 3))]);
    trimLog(auth, ev(2, 2));
    const local = state([entry('a', ev(2, 1))]);
    assert.equal(logsOverlap(local.log.head, auth.log), false);
    assert.throws(() => mergeLog(local, auth.log));
  });

  it('proc_replica_log computes a peer\'s missing set and common point without changing its state', () => {
    const auth = state([entry('a', ev(2, 1)), entry('b', ev(2, 2)), entry('c', ev(3, 3)), entry('a', ev(3, 4), ev(2, 1))]);
    const peer = state([entry('a', ev(2, 1)), entry('b', ev(2, 2)), entry('z', ev(2, 3))]);
    missingAdd(peer.missing, obj('b'), ev(2, 2), ev(0, 0));
    const before = JSON.stringify(versions(peer));
    const r = procReplicaLog(auth.log, peer.info, peer.log, peer.missing);
    assert.equal(evText(r.common), "2'2");
    assert.deepEqual([...r.missing.items.values()].map(({ soid, item }) => `${soid.oid}:${evText(item.need)}`).sort(), ["a:3'4", "b:2'2", "c:3'3"]);
    assert.equal(JSON.stringify(versions(peer)), before);
    assert.ok(missingGet(peer.missing, obj('b')));
    assert.equal(peer.missing.items.size, 1);
  });

  it('claiming a log replaces ours and clears missing', () => {
    const local = state([entry('a', ev(2, 1))]);
    missingAdd(local.missing, obj('a'), ev(2, 1), ev(0, 0));
    const auth = state([entry('b', ev(5, 7))]);
    claimLog(local, auth.log);
    assert.deepEqual(versions(local), ["5'7"]);
    assert.equal(local.missing.items.size, 0);
    assert.ok(maxHObject().max);
  });
});

describe('pglog: the missing set index', () => {
  const onlySeed = process.env.PGLOG_SEED !== undefined ? Number(process.env.PGLOG_SEED) : undefined;
  const cases = onlySeed !== undefined ? 1 : Number(process.env.PGLOG_CASES ?? 30);

  /** The last_complete of the definition: the newest entry before the oldest need, by a full scan. */
  function naiveLastComplete(s: LogState): string {
    if (s.missing.items.size === 0) return evText(s.info.lastUpdate);
    const oldest = missingSorted(s.missing)[0]!.item.need;
    let lc = s.log.tail;
    for (const e of s.log.log) {
      if (!(e.version.epoch < oldest.epoch || (e.version.epoch === oldest.epoch && e.version.version < oldest.version))) break;
      lc = e.version;
    }
    return evText(lc);
  }

  it('keeps recovery order, the oldest need, last_complete and the change list exact under random changes', () => {
    for (let c = 0; c < cases; c++) {
      const seed = onlySeed ?? caseSeed(0x5e7, c);
      try {
        const rng = new Rng(seed);
        const names = Array.from({ length: rng.int(5, 300) }, (_, i) => `o${i}`);
        const s = state([]);
        let v = 1;
        // the shell's view of the set as persisted, kept with takeMissingChanges
        assert.equal(takeMissingChanges(s.missing), undefined, 'the first call starts tracking');
        const shadow = new Map<string, string>();
        const itemText = (k: string): string | undefined => {
          const r = s.missing.items.get(k);
          return r && `${evText(r.item.need)}/${evText(r.item.have)}/${r.item.isDelete}`;
        };
        for (const [k] of s.missing.items) shadow.set(k, itemText(k)!);
        for (let step = 0; step < 400; step++) {
          const soid = obj(rng.pick(names));
          const r = rng.int(0, 9);
          let external = false;
          if (r <= 2) appendEntry(s, entry(soid.oid, ev(3, v++), ev(0, 0), rng.chance(0.1) ? PgLogOp.DELETE : PgLogOp.MODIFY));
          else if (r <= 4) missingAdd(s.missing, soid, ev(rng.int(2, 3), rng.int(1, Math.max(1, v))), ev(0, 0));
          else if (r === 5) missingRemove(s.missing, soid);
          else if (r === 6 && missingGet(s.missing, soid)) missingSetNeed(s.missing, soid, ev(3, rng.int(1, Math.max(1, v))));
          else if (r === 7) missingGot(s.missing, soid, ev(3, rng.int(1, Math.max(1, v))));
          else if (r === 8) {
            // an authoritative log a few entries ahead (merge: objects missing at the new versions)
            const auth = cloneLogStateForTest(s);
            for (let i = rng.int(1, 4); i > 0; i--) appendEntry(auth, entry(rng.pick(names), ev(3, v++)));
            mergeLog(s, auth.log);
          } else if (rng.chance(0.3)) {
            // a change made past pglog's functions: the index and the change list notice it
            const k = objectKey(soid);
            external = true;
            if (s.missing.items.has(k)) s.missing.items.delete(k);
            else s.missing.items.set(k, { soid, item: { need: ev(3, 1), have: ev(0, 0), isDelete: false, cleanRegions: Buffer.alloc(0) } });
          }
          s.info.lastComplete = computeLastComplete(s);
          assert.equal(evText(s.info.lastComplete), naiveLastComplete(s), `last_complete at step ${step}`);
          const want = missingSorted(s.missing);
          assert.equal(missingOldestNeed(s.missing) && evText(missingOldestNeed(s.missing)!), want[0] && evText(want[0].item.need));
          if (step % 7 === 0) {
            const skip = (k: string): boolean => k.includes('5');
            assert.deepEqual([...missingInOrder(s.missing, skip)].map(({ soid: o }) => o.oid), want.filter(({ soid: o }) => !skip(objectKey(o))).map(({ soid: o }) => o.oid), `order at step ${step}`);
            // a walk resumed after any item's place gives the items after it
            const j = rng.int(-1, want.length - 1);
            const from = j < 0 ? undefined : { key: objectKey(want[j]!.soid), soid: want[j]!.soid, need: want[j]!.item.need };
            assert.deepEqual([...missingAfter(s.missing, from)].map(({ rec }) => rec.soid.oid), want.slice(j + 1).map(({ soid: o }) => o.oid), `after item ${j} at step ${step}`);
          }
          // (a change past the functions is noticed by the set's size: two of them could cancel out)
          if (step % 3 === 0 || external) {
            const changes = takeMissingChanges(s.missing);
            if (changes === undefined) {
              shadow.clear();
              for (const [k] of s.missing.items) shadow.set(k, itemText(k)!);
            } else {
              for (const [k] of changes) {
                const t = itemText(k);
                if (t === undefined) shadow.delete(k);
                else shadow.set(k, t);
              }
            }
            const now = [...s.missing.items.keys()].map((k) => `${k}=${itemText(k)}`).sort();
            assert.deepEqual([...shadow].map(([k, t]) => `${k}=${t}`).sort(), now, `persisted view at step ${step}`);
          }
        }
      } catch (e) {
        const err = e instanceof Error ? e : new Error(String(e));
        err.message = `seed=${seed}: ${err.message}`;
        throw err;
      }
    }
  });

  it('hands out 32000 missing objects oldest first, one at a time (the old linear scans took minutes here)', () => {
    const m = emptyPgMissing();
    const n = 32000;
    for (let i = 0; i < n; i++) missingAdd(m, obj(`big${i}`), ev(4, n - i), ev(0, 0));
    let last = '';
    let k = 0;
    const busy = new Set<string>();
    for (; k < n; k++) {
      const it = missingInOrder(m, (key) => busy.has(key)).next();
      assert.equal(it.done, false);
      const need = it.value!.item.need;
      assert.ok(last === '' || need.version > Number(last), 'oldest first');
      last = String(need.version);
      missingGot(m, it.value!.soid, need);
    }
    assert.equal(m.items.size, 0);
  });

  it('catches a need changed in place behind its functions (the index assert), and re-indexes a set resized behind them', () => {
    const m = emptyPgMissing();
    for (let i = 1; i <= 5; i++) missingAdd(m, obj(`p${i}`), ev(3, i), ev(0, 0));
    assert.equal(missingOldestNeed(m)?.version, 1); // builds the index
    missingGet(m, obj('p1'))!.need = ev(3, 9); // in place: the index still has p1 first
    assert.throws(() => missingRemove(m, obj('p1')), /missing set index holds p1/);

    const n = emptyPgMissing();
    for (let i = 1; i <= 5; i++) missingAdd(n, obj(`q${i}`), ev(3, i), ev(0, 0));
    assert.equal(missingOldestNeed(n)?.version, 1);
    n.items.delete(objectKey(obj('q1'))); // past the functions: the size tells
    assert.equal(missingOldestNeed(n)?.version, 2);
    assert.deepEqual([...missingInOrder(n, () => false)].map(({ soid }) => soid.oid), ['q2', 'q3', 'q4', 'q5']);
  });
});

function cloneLogStateForTest(s: LogState): LogState {
  return { info: { ...s.info, history: { ...s.info.history }, stats: { ...s.info.stats } }, log: { ...s.log, log: [...s.log.log], dups: [...s.log.dups] }, missing: emptyPgMissing() };
}
