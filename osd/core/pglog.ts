// The PG log (Ceph's src/osd/PGLog.cc, pure): appending entries, trimming to a bound, merging an
// authoritative log into a local one with divergent entries rewound, and computing what a peer is
// missing from its info and log. Everything works on a LogState (info + log + missing) that the caller
// owns; functions mutate it in place and report what the store must do (objects to remove, the log
// delta to persist).
//
// Logs share a prefix (the log matching property): an entry's version (epoch, v) is written by the one
// primary of that epoch, and a replica's log is made equal to its primary's at activation, so two logs
// holding the same version hold the same entries up to it. The merge therefore looks for the newest
// version both logs hold (the common point); the local entries after it are divergent.

import { assert } from '../../common/errors.js';
import type { EVersion, HObject } from '../../msg/messages/osdop.js';
import {
  cmpEVersion, cmpHObject, emptyPgMissing, objectKey, PgLogOp,
  type PgInfo, type PgLog, type PgLogEntry, type PgMissing, type PgMissingItem,
} from '../../msg/messages/pgtypes.js';

// ---- limits (Ceph 16 defaults) ---------------------------------------------------------------------

/** osd_min_pg_log_entries: a clean PG keeps at least this many entries. */
export const pgLogEntriesMin = 250;
/** osd_max_pg_log_entries: a degraded or recovering PG keeps up to this many. */
export const pgLogEntriesMax = 10000;
/** osd_pg_log_trim_min: trim only when at least this many entries can go (batches the trim messages). */
export const pgLogTrimEntriesMin = 100;
/** osd_pg_log_dups_tracked: reqids of trimmed entries kept for resent-request detection. */
export const pgLogDupsMax = 3000;

/** The trim bounds as one value (Ceph's config options; tests shrink them to exercise backfill). */
export interface PgLogBounds {
  entriesMin: number;
  entriesMax: number;
  trimEntriesMin: number;
}
export const defaultPgLogBounds: Readonly<PgLogBounds> = Object.freeze({ entriesMin: pgLogEntriesMin, entriesMax: pgLogEntriesMax, trimEntriesMin: pgLogTrimEntriesMin });

export function checkPgLogBounds(b: PgLogBounds): void {
  assert(b.entriesMin >= 1 && b.entriesMin <= b.entriesMax && b.trimEntriesMin >= 1 && b.trimEntriesMin <= b.entriesMax, 'pg log bounds are ordered');
}
checkPgLogBounds(defaultPgLogBounds);

// ---- eversion helpers ------------------------------------------------------------------------------

export const ZERO_VERSION: Readonly<EVersion> = Object.freeze({ epoch: 0, version: 0 });

export function ev(epoch: number, version: number): EVersion {
  return { epoch, version };
}
export function evLt(a: EVersion, b: EVersion): boolean {
  return cmpEVersion(a, b) < 0;
}
export function evLe(a: EVersion, b: EVersion): boolean {
  return cmpEVersion(a, b) <= 0;
}
export function evEq(a: EVersion, b: EVersion): boolean {
  return a.epoch === b.epoch && a.version === b.version;
}
export function evMax(a: EVersion, b: EVersion): EVersion {
  return cmpEVersion(a, b) >= 0 ? a : b;
}
export function evMin(a: EVersion, b: EVersion): EVersion {
  return cmpEVersion(a, b) <= 0 ? a : b;
}
export function evText(v: EVersion): string {
  return `${v.epoch}'${v.version}`;
}

/** An op that leaves the object absent. */
export function isDeleteOp(op: number): boolean {
  return op === PgLogOp.DELETE || op === PgLogOp.LOST_DELETE;
}

// ---- the state the functions work on ---------------------------------------------------------------

export interface LogState {
  info: PgInfo;
  log: PgLog;
  missing: PgMissing;
}

/** A copy safe to mutate (entries and objects are shared: they are never mutated). */
export function cloneLogState(s: LogState): LogState {
  return {
    info: cloneInfo(s.info),
    log: cloneLog(s.log),
    missing: cloneMissing(s.missing),
  };
}

export function cloneInfo(i: PgInfo): PgInfo {
  return { ...i, history: { ...i.history }, stats: { ...i.stats } };
}

export function cloneLog(l: PgLog): PgLog {
  return { ...l, log: [...l.log], dups: [...l.dups] };
}

export function cloneMissing(m: PgMissing): PgMissing {
  const out = emptyPgMissing();
  out.mayIncludeDeletes = m.mayIncludeDeletes;
  for (const [k, v] of m.items) out.items.set(k, { soid: v.soid, item: { ...v.item } });
  return out;
}

// ---- missing set -----------------------------------------------------------------------------------
//
// Recovery takes missing objects oldest need first, and last_complete stops before the oldest need, so
// both ask "which item has the smallest need" once per recovered object. Ceph answers from rmissing, a
// std::map<version_t, hobject_t> kept beside pg_missing_set's items. Here every PgMissing that is asked
// an ordered question gets a MissingIndex (held in a WeakMap, so the shared PgMissing shape and its
// codecs stay as they are): the items sorted in recovery order in chunks of bounded length, updated by
// the mutators below in O(log n) (plus a copy within one chunk). Code that changes an indexed set must
// do it through these functions; a set changed behind their back (a Map.set or delete elsewhere) is
// noticed by its size and re-indexed, a need changed in place is not (an assert fires when the index
// cannot find the item it expects).

type MissingRecord = { soid: HObject; item: PgMissingItem };

/** One indexed item: its record as the set holds it, and its key. */
export interface IndexedItem {
  key: string;
  rec: MissingRecord;
}

/** Items per chunk of the index at most (a chunk over this is split in two). */
const missingIndexChunkItemsMax = 512;

/** Recovery order: needed version, then Ceph's hobject_t order; the key breaks the (odd) ties. */
function cmpIndexed(a: IndexedItem, b: IndexedItem): number {
  const c = cmpRecoveryOrder(a.rec, b.rec);
  if (c !== 0 || a.key === b.key) return c;
  return a.key < b.key ? -1 : 1;
}

/** A missing set's items sorted in recovery order (Ceph's rmissing): a list of sorted chunks. */
class MissingIndex {
  readonly chunks: IndexedItem[][] = [];
  size = 0;

  constructor(readonly items: PgMissing['items']) {
    const all: IndexedItem[] = [];
    for (const [key, rec] of items) all.push({ key, rec });
    all.sort(cmpIndexed);
    const half = missingIndexChunkItemsMax >> 1;
    for (let i = 0; i < all.length; i += half) this.chunks.push(all.slice(i, i + half));
    this.size = all.length;
  }

  /** The chunk `x` belongs in: the first whose last item is not before it (else the last chunk). */
  private chunkFor(x: IndexedItem): number {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const c = this.chunks[mid]!;
      if (cmpIndexed(c[c.length - 1]!, x) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Where `x` is or would go in `chunk` (the first item not before it). */
  private static position(chunk: IndexedItem[], x: IndexedItem): number {
    let lo = 0;
    let hi = chunk.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cmpIndexed(chunk[mid]!, x) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  insert(x: IndexedItem): void {
    this.size++;
    if (this.chunks.length === 0) {
      this.chunks.push([x]);
      return;
    }
    const ci = this.chunkFor(x);
    const chunk = this.chunks[ci]!;
    chunk.splice(MissingIndex.position(chunk, x), 0, x);
    if (chunk.length > missingIndexChunkItemsMax) this.chunks.splice(ci + 1, 0, chunk.splice(chunk.length >> 1));
  }

  /** Remove the item of `key` whose record is `rec` (sorted by rec's current need). */
  remove(key: string, rec: MissingRecord): void {
    const x: IndexedItem = { key, rec };
    const ci = this.chunks.length === 0 ? -1 : this.chunkFor(x);
    const chunk = this.chunks[ci];
    const at = chunk ? MissingIndex.position(chunk, x) : -1;
    assert(chunk !== undefined && chunk[at]?.key === key, `missing set index holds ${key.split('\u0000')[3]} at ${evText(rec.item.need)}`);
    chunk.splice(at, 1);
    if (chunk.length === 0) this.chunks.splice(ci, 1);
    this.size--;
  }

  first(): IndexedItem | undefined {
    return this.chunks[0]?.[0];
  }

  /** The items after `x` in order (all of them without `x`). */
  *after(x: IndexedItem | undefined): Generator<IndexedItem> {
    let ci = 0;
    let at = 0;
    if (x && this.chunks.length > 0) {
      ci = this.chunkFor(x);
      const chunk = this.chunks[ci]!;
      at = MissingIndex.position(chunk, x);
      if (at < chunk.length && cmpIndexed(chunk[at]!, x) === 0) at++;
    }
    for (; ci < this.chunks.length; ci++, at = 0) {
      const chunk = this.chunks[ci]!;
      for (; at < chunk.length; at++) yield chunk[at]!;
    }
  }
}

const missingIndexes = new WeakMap<PgMissing, MissingIndex>();

/** The set's index, built on first use (and rebuilt if the set was changed past the functions here). */
function missingIndex(m: PgMissing): MissingIndex {
  let ix = missingIndexes.get(m);
  if (!ix || ix.items !== m.items || ix.size !== m.items.size) {
    ix = new MissingIndex(m.items);
    missingIndexes.set(m, ix);
  }
  return ix;
}

/** The index if the set has an up-to-date one (mutators keep it so; they do not create one). */
function liveIndex(m: PgMissing): MissingIndex | undefined {
  const ix = missingIndexes.get(m);
  if (!ix) return undefined;
  if (ix.items !== m.items || ix.size !== m.items.size) {
    missingIndexes.delete(m);
    return undefined;
  }
  return ix;
}

/** Per tracked set: the objects changed since the consumer last asked, and the size that change left. */
interface MissingChanges {
  items: PgMissing['items'];
  size: number;
  changed: Map<string, HObject>;
}

const missingChanges = new WeakMap<PgMissing, MissingChanges>();

/** A function here changed `key` of `m`, whose size was `sizeBefore` (a size that moved otherwise stays noticed). */
function noteChange(m: PgMissing, key: string, soid: HObject, sizeBefore: number): void {
  const c = missingChanges.get(m);
  if (!c) return;
  c.changed.set(key, soid);
  if (c.size === sizeBefore) c.size = m.items.size;
}

/**
 * What changed in `m` since the last call, for a shell that persists the set item by item (Ceph's
 * PGLog::_write_log_and_missing writes only the dirty "missing/" keys instead of the whole set): the
 * objects added, removed or changed by the functions here (look each key up in m.items; absent means
 * removed). undefined on the first call for a set and when the set was changed past these functions
 * (Map.set / delete elsewhere, or another Map): the caller writes the whole set then. One consumer per
 * set (the shell persisting it); an item changed in place elsewhere is not seen.
 */
export function takeMissingChanges(m: PgMissing): Map<string, HObject> | undefined {
  const c = missingChanges.get(m);
  missingChanges.set(m, { items: m.items, size: m.items.size, changed: new Map() });
  if (!c || c.items !== m.items || c.size !== m.items.size) return undefined;
  return c.changed;
}

export function missingGet(m: PgMissing, soid: HObject): PgMissingItem | undefined {
  return m.items.get(objectKey(soid))?.item;
}

export function missingAdd(m: PgMissing, soid: HObject, need: EVersion, have: EVersion, isDelete = false): void {
  const key = objectKey(soid);
  const rec: MissingRecord = { soid, item: { need, have, isDelete, cleanRegions: Buffer.alloc(0) } };
  const ix = liveIndex(m);
  const old = m.items.get(key);
  const sizeBefore = m.items.size;
  if (ix && old) ix.remove(key, old);
  m.items.set(key, rec);
  if (ix) ix.insert({ key, rec });
  noteChange(m, key, soid, sizeBefore);
}

export function missingRemove(m: PgMissing, soid: HObject): boolean {
  return missingRemoveKey(m, objectKey(soid));
}

function missingRemoveKey(m: PgMissing, key: string): boolean {
  const rec = m.items.get(key);
  if (!rec) return false;
  liveIndex(m)?.remove(key, rec);
  m.items.delete(key);
  noteChange(m, key, rec.soid, m.items.size + 1);
  return true;
}

/** Move a missing item's need (a newer write to an object still missing), keeping the index in order. */
export function missingSetNeed(m: PgMissing, soid: HObject, need: EVersion): void {
  const key = objectKey(soid);
  const rec = m.items.get(key);
  assert(rec !== undefined, `${soid.oid} is missing`);
  const ix = liveIndex(m);
  if (ix) ix.remove(key, rec);
  rec.item.need = need;
  if (ix) ix.insert({ key, rec });
  noteChange(m, key, soid, m.items.size);
}

/** A missing item's copy here is gone (a divergent copy removed): it has nothing to start from. */
export function missingClearHave(m: PgMissing, soid: HObject): void {
  const key = objectKey(soid);
  const rec = m.items.get(key);
  if (!rec) return;
  rec.item.have = ZERO_VERSION;
  noteChange(m, key, soid, m.items.size);
}

/** The object is now at `version` here: drop its missing item if that satisfies it. */
export function missingGot(m: PgMissing, soid: HObject, version: EVersion): boolean {
  const key = objectKey(soid);
  const rec = m.items.get(key);
  if (!rec || evLt(version, rec.item.need)) return false;
  return missingRemoveKey(m, key);
}

function cmpRecoveryOrder(a: MissingRecord, b: MissingRecord): number {
  return cmpEVersion(a.item.need, b.item.need) || cmpHObject(a.soid, b.soid);
}

/** Missing items in the order recovery takes them: by needed version, then object. */
export function missingSorted(m: PgMissing): Array<{ soid: HObject; item: PgMissingItem }> {
  return [...m.items.values()].sort(cmpRecoveryOrder);
}

/** The oldest needed version of the set (Ceph's rmissing.begin()), undefined when nothing is missing. */
export function missingOldestNeed(m: PgMissing): EVersion | undefined {
  if (m.items.size === 0) return undefined;
  return missingIndex(m).first()!.rec.item.need;
}

/**
 * The missing items in recovery order (as missingSorted), skipping keys `skip` rejects, lazily from the
 * set's index: a caller that wants the first few (recovery hands out a task at a time) pays O(log n)
 * plus the items it passes over. The set must not change while iterating; `skip` may start rejecting
 * keys already yielded (the recovery loop marks what it hands out).
 */
export function* missingInOrder(m: PgMissing, skip: (key: string) => boolean): Generator<{ soid: HObject; item: PgMissingItem }> {
  if (m.items.size === 0) return;
  const ix = missingIndex(m);
  const size = ix.size;
  for (const chunk of ix.chunks) {
    for (const { key, rec } of chunk) {
      assert(ix.size === size, 'the missing set does not change while it is iterated');
      if (!skip(key)) yield rec;
    }
  }
}

/** A place in a missing set's recovery order (an item's need, object and key when it was passed). */
export interface MissingPosition {
  key: string;
  soid: HObject;
  need: EVersion;
}

/**
 * The missing items after `after` in recovery order (all of them without it), each with its key, lazily
 * from the set's index (the index's own entries, no allocation per item: a caller that keeps a place
 * copies { key, soid: rec.soid, need: rec.item.need } then). The set must not change while iterating.
 */
export function* missingAfter(m: PgMissing, after: MissingPosition | undefined): Generator<Readonly<IndexedItem>> {
  if (m.items.size === 0) return;
  const ix = missingIndex(m);
  const size = ix.size;
  const from = after && { key: after.key, rec: { soid: after.soid, item: { need: after.need, have: ZERO_VERSION, isDelete: false, cleanRegions: Buffer.alloc(0) } } };
  for (const x of ix.after(from)) {
    assert(ix.size === size, 'the missing set does not change while it is iterated');
    yield x;
  }
}

// ---- info bookkeeping ------------------------------------------------------------------------------

/**
 * last_complete: the newest version up to which every object is present, i.e. the entry just before
 * the oldest missing need (last_update when nothing is missing).
 */
export function computeLastComplete(s: LogState): EVersion {
  const oldest = missingOldestNeed(s.missing);
  if (oldest === undefined) return s.info.lastUpdate;
  // the newest entry before the oldest need
  const at = firstEntryNotBefore(s.log.log, oldest);
  return at === 0 ? s.log.tail : s.log.log[at - 1]!.version;
}

/** The index of the first entry whose version is not before `v` (entries are in version order): a binary search. */
function firstEntryNotBefore(log: readonly PgLogEntry[], v: EVersion): number {
  let lo = 0;
  let hi = log.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (evLt(log[mid]!.version, v)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Keep info's copies of the log bounds in step with the log. */
export function syncInfo(s: LogState): void {
  s.info.lastUpdate = s.log.head;
  s.info.logTail = s.log.tail;
  s.info.lastComplete = computeLastComplete(s);
}

// ---- append / trim ---------------------------------------------------------------------------------

/**
 * Append one entry (a write being applied). An object that is missing here moves its need forward
 * (or leaves the missing set for a delete, which makes it absent anyway).
 */
export function appendEntry(s: LogState, e: PgLogEntry): void {
  assert(evLt(s.log.head, e.version), `log entry ${evText(e.version)} follows head ${evText(s.log.head)}`);
  s.log.log.push(e);
  s.log.head = e.version;
  if (e.userVersion > s.info.lastUserVersion) s.info.lastUserVersion = e.userVersion;
  s.info.lastUpdate = e.version;
  // The write path: O(1) unless the entry touches a missing object. Nothing missing: complete up to
  // the head; otherwise the oldest missing need did not move, so last_complete did not either.
  if (s.missing.items.size === 0) {
    s.info.lastComplete = e.version;
    return;
  }
  const it = missingGet(s.missing, e.soid);
  if (!it) return;
  if (isDeleteOp(e.op)) missingRemove(s.missing, e.soid);
  else missingSetNeed(s.missing, e.soid, e.version);
  s.info.lastComplete = computeLastComplete(s);
}

/**
 * Ceph's calc_trim_to: the version to trim to so the log keeps `keep` entries (pgLogEntriesMin when
 * clean, pgLogEntriesMax while degraded), never past `limit` (min_last_complete_ondisk), and only when
 * at least pgLogTrimEntriesMin entries would go. undefined: nothing to trim.
 */
export function calcTrimTo(log: PgLog, limit: EVersion, degraded: boolean, bounds: PgLogBounds = defaultPgLogBounds): EVersion | undefined {
  const keep = degraded ? bounds.entriesMax : bounds.entriesMin;
  const excess = log.log.length - keep;
  if (excess < bounds.trimEntriesMin) return undefined;
  let to: EVersion | undefined;
  for (let i = 0; i < excess; i++) {
    const v = log.log[i]!.version;
    if (evLt(limit, v)) break;
    to = v;
  }
  return to;
}

/** Drop entries up to and including `trimTo`; their reqids become dups (bounded). Returns the count. */
export function trimLog(s: LogState, trimTo: EVersion): number {
  let n = 0;
  while (n < s.log.log.length && evLe(s.log.log[n]!.version, trimTo)) n++;
  if (n === 0 && evLe(trimTo, s.log.tail)) return 0;
  const gone = s.log.log.splice(0, n);
  for (const e of gone) {
    if (e.reqid.name.type === 0 && e.reqid.tid === 0) continue;
    s.log.dups.push({ reqid: e.reqid, version: e.version, userVersion: e.userVersion, returnCode: e.returnCode, opReturns: e.opReturns });
  }
  if (s.log.dups.length > pgLogDupsMax) s.log.dups.splice(0, s.log.dups.length - pgLogDupsMax);
  s.log.tail = evMax(s.log.tail, evMin(trimTo, s.log.head));
  if (evLt(s.log.canRollbackTo, s.log.tail)) s.log.canRollbackTo = s.log.tail;
  if (evLt(s.log.rollbackInfoTrimmedTo, s.log.tail)) s.log.rollbackInfoTrimmedTo = s.log.tail;
  syncInfo(s);
  return n;
}

/** Ceph's pg_log_t::copy_after: the entries after `since` (the whole log if since is before the tail). */
export function logAfter(log: PgLog, since: EVersion): PgLog {
  const from = evLt(since, log.tail) ? log.tail : since;
  return {
    head: log.head, tail: from, canRollbackTo: log.canRollbackTo, rollbackInfoTrimmedTo: log.rollbackInfoTrimmedTo,
    log: log.log.filter((e) => evLt(from, e.version)), dups: [],
  };
}

// ---- merge -----------------------------------------------------------------------------------------

export interface MergeResult {
  /** The common point: local entries after it were divergent and dropped. */
  common: EVersion;
  /** Set when local entries were dropped (persist: drop entries after it). */
  rewindTo?: EVersion;
  /** Entries added from the authoritative log, in order. */
  appended: PgLogEntry[];
  /** Local objects to remove: divergent copies, and objects the authoritative log deleted. */
  remove: HObject[];
  /** How many local entries were divergent. */
  divergent: number;
}

/** Can `olog` be merged into a log whose head is `head` (they overlap), or must the peer be backfilled? */
export function logsOverlap(head: EVersion, olog: PgLog): boolean {
  return !evLt(head, olog.tail);
}

/**
 * The newest version both the local log and `olog` hold (olog.tail or the local tail when none is
 * shared: entries at or before a trimmed tail were committed everywhere, so they are agreed).
 */
export function findCommonPoint(local: PgLog, olog: PgLog): EVersion {
  const theirs = new Set<string>();
  for (const e of olog.log) theirs.add(evText(e.version));
  for (let i = local.log.length - 1; i >= 0; i--) {
    const v = local.log[i]!.version;
    if (evLe(v, olog.tail)) break;
    if (theirs.has(evText(v))) return v;
  }
  // Nothing shared after olog's tail: agreed up to the older of olog's tail and our head.
  return evMax(local.tail, evMin(olog.tail, local.head));
}

/**
 * Merge an authoritative log into `s` (Ceph's PGLog::merge_log with rewind_divergent_log folded in):
 * local entries after the common point are divergent and dropped, olog's entries after it are
 * appended, and the missing set is brought up to date: every object touched by a new entry is missing
 * at its newest version (unless past last_backfill: backfill copies it), deleted objects are removed,
 * divergent objects are removed locally and missing at the authoritative version (or simply removed if
 * the authoritative log says they do not exist). The caller checks logsOverlap first.
 */
export function mergeLog(s: LogState, olog: PgLog): MergeResult {
  assert(logsOverlap(s.log.head, olog), `merge of log ${evText(olog.tail)}..${evText(olog.head)} into head ${evText(s.log.head)} without overlap`);
  const common = findCommonPoint(s.log, olog);
  const res: MergeResult = { common, appended: [], remove: [], divergent: 0 };

  // 1. Drop divergent entries, remembering each object's state before its first divergent entry.
  const divergentPrior = new Map<string, { soid: HObject; prior: EVersion }>();
  let keep = s.log.log.length;
  while (keep > 0 && evLt(common, s.log.log[keep - 1]!.version)) keep--;
  if (keep < s.log.log.length) {
    const dropped = s.log.log.splice(keep);
    res.divergent = dropped.length;
    res.rewindTo = common;
    for (const e of dropped) {
      const k = objectKey(e.soid);
      if (!divergentPrior.has(k)) divergentPrior.set(k, { soid: e.soid, prior: e.priorVersion });
    }
    s.log.head = common;
  }

  // 2. Append the authoritative entries after the common point.
  const newest = new Map<string, { soid: HObject; entry: PgLogEntry; firstPrior: EVersion }>();
  for (const e of olog.log) {
    if (!evLt(common, e.version)) continue;
    s.log.log.push(e);
    res.appended.push(e);
    const k = objectKey(e.soid);
    const had = newest.get(k);
    newest.set(k, { soid: e.soid, entry: e, firstPrior: had ? had.firstPrior : e.priorVersion });
    if (e.userVersion > s.info.lastUserVersion) s.info.lastUserVersion = e.userVersion;
  }
  if (res.appended.length > 0) s.log.head = res.appended[res.appended.length - 1]!.version;

  // 3. Divergent objects: the local copy is wrong. Remove it; the missing set below says what to get.
  const backfilled = (soid: HObject): boolean => cmpHObject(soid, s.info.lastBackfill) > 0;
  for (const [k, { soid, prior }] of divergentPrior) {
    res.remove.push(soid);
    if (newest.has(k)) {
      missingClearHave(s.missing, soid);
      continue; // step 4 sets the need
    }
    // No newer authoritative entry: the object should be as it was before the divergent writes.
    const priorEntry = findEntry(s.log, soid, prior);
    if (evEq(prior, ZERO_VERSION) || (priorEntry && isDeleteOp(priorEntry.op)) || backfilled(soid)) {
      missingRemove(s.missing, soid);
    } else {
      missingAdd(s.missing, soid, prior, ZERO_VERSION);
    }
  }

  // 4. Objects the new entries touched.
  for (const [k, { soid, entry, firstPrior }] of newest) {
    if (backfilled(soid)) continue;
    if (isDeleteOp(entry.op)) {
      missingRemove(s.missing, soid);
      if (!divergentPrior.has(k)) res.remove.push(soid);
      continue;
    }
    if (missingGet(s.missing, soid)) missingSetNeed(s.missing, soid, entry.version);
    else missingAdd(s.missing, soid, entry.version, divergentPrior.has(k) ? ZERO_VERSION : firstPrior);
  }
  syncInfo(s);
  return res;
}

/** The entry for `soid` at exactly version `v`, if the log still holds it (a binary search by version). */
function findEntry(log: PgLog, soid: HObject, v: EVersion): PgLogEntry | undefined {
  if (evEq(v, ZERO_VERSION)) return undefined;
  const e = log.log[firstEntryNotBefore(log.log, v)];
  return e && evEq(e.version, v) && objectKey(e.soid) === objectKey(soid) ? e : undefined;
}

/**
 * Replace the local log with `olog` (Ceph's reset_backfill_claim_log / a finished backfill): the PG's
 * objects are being (or were) copied whole, so nothing is missing from the log's point of view.
 */
export function claimLog(s: LogState, olog: PgLog): void {
  s.log = { ...cloneLog(olog), dups: [...s.log.dups] };
  s.missing = emptyPgMissing();
  syncInfo(s);
}

/**
 * Ceph's proc_replica_log: what a peer is missing once the authoritative log (`auth`, the primary's
 * merged log) is applied to its info, log and missing. Returns its missing set and the common point
 * (the peer's last_update as far as the authoritative history goes: send it the log after this).
 */
export function procReplicaLog(auth: PgLog, peerInfo: PgInfo, peerLog: PgLog, peerMissing: PgMissing): { missing: PgMissing; common: EVersion } {
  const peer = cloneLogState({ info: peerInfo, log: peerLog, missing: peerMissing });
  // A partial peer log (LOG since x) stands for its whole history: its tail is where it starts.
  const r = mergeLog(peer, auth);
  return { missing: peer.missing, common: r.common };
}
