// A PG's persistent state (PgPersistent: info, past intervals, log, missing, last epoch) in the omap of
// its pgmeta object, with Ceph's key layout (src/osd/PG.cc prepare_info_keymap, src/osd/PGLog.cc
// _write_log_and_missing / read_log_and_missing):
//   "_infover"  u8 struct version of the info keys (10)
//   "_info"     pg_info_t
//   "_fastinfo" pg_fast_info_t: the fields a write changes (last_update, last_complete, last_user_version,
//               some stats); Ceph writes it instead of the whole info when only those changed. Applied
//               over "_info" on load when its last_update is newer; tsceph writes the info whole
//               (measured cheaper than Ceph's pg_info_t compare here) and drops the key
//   "_biginfo"  PastIntervals, then the info's purged_snaps (interval_set<snapid_t>); "_info" holds
//               none (Ceph's prepare_info_keymap swaps them out)
//   "_epoch"    u32, the last map epoch the PG processed
//   "0000000010.00000000000000000123"  one pg_log_entry_t, keyed by its eversion (epoch.version), written
//               with its checksum (Ceph's encode_with_checksum: the encoded entry as a bufferlist, then
//               its crc32c)
//   "dup_<eversion key>"   pg_log_dup_t
//   "missing/<object>"     (hobject_t, pg_missing_item)
//   "may_include_deletes_in_missing"  present when the missing set may hold deletes
//   "can_rollback_to", "rollback_info_trimmed_to"  eversion_t
// The writer adds its updates to the caller's transaction, so a write's data and its log entry commit
// together.

import { Decoder, Encoder } from '../common/encoding.js';
import { cephCrc32c } from '../common/crc32c.js';
import { assert, CephError } from '../common/errors.js';
import { decodeUTime, encodeUTime } from '../msg/messages/common.js';
import type { PgId } from '../common/osdmap/index.js';
import { decodeEVersion, decodeHObject, encodeEVersion, encodeHObject, type EVersion, type HObject, type SpgId } from '../msg/messages/osdop.js';
import {
  cmpEVersion, decodeIntervalSet, decodePastIntervals, decodePgInfo, decodePgLogDup, decodePgLogEntry, decodePgMissingItem, emptyPgLog, emptyPgMissing,
  encodeIntervalSet, encodePastIntervals, encodePgInfo, encodePgLogDup, encodePgLogEntry, encodePgMissingItem, objectKey,
  type PastIntervals, type PgInfo, type PgLog, type PgLogEntry, type PgMissing, type PgMissingItem,
} from '../msg/messages/pgtypes.js';
import type { PgLogDelta, PgPersistent } from './core/peering-api.js';
import { takeMissingChanges } from './core/pglog.js';
import { makeObject, type CollectionId, type GHObject, type ObjectStore, type Transaction } from './objectstore/types.js';

export type PgLogDup = PgLog['dups'][number];

/** One scratch encoder for every pgmeta value (encodes are synchronous; each result is copied out). */
const scratch = new Encoder(2048);

function enc(f: (e: Encoder) => void): Buffer {
  scratch.reset();
  f(scratch);
  return scratch.toBuffer();
}

/**
 * Each log entry's encoding (the pg_log_entry_t bytes, no length or checksum), kept while the entry
 * lives: the primary encodes an entry once for its pgmeta key and the MOSDRepOp's logbl, and a replica
 * keeps the bytes it received instead of encoding them again. Entries are never changed once made.
 */
const entryBodies = new WeakMap<PgLogEntry, Buffer>();

/** The entry's pg_log_entry_t bytes (cached). */
export function entryBody(entry: PgLogEntry): Buffer {
  let b = entryBodies.get(entry);
  if (b === undefined) {
    b = enc((e) => encodePgLogEntry(e, entry));
    entryBodies.set(entry, b);
  }
  return b;
}

/** Note that `body` is the encoding of `entry` (a replica's entries decoded from a MOSDRepOp's logbl). */
export function rememberEntryBody(entry: PgLogEntry, body: Buffer): void {
  entryBodies.set(entry, body);
}

/**
 * pg_missing_item, with pgtypes' codec (the one pg_missing_t uses): written in the SERVER_OCTOPUS form
 * Ceph 16 writes (zero version, the (-1,-1) mark, need, have, flags, clean regions); read in that form
 * or the older one (need, have, flags; the whole object dirty), as Ceph's pg_missing_item::decode reads
 * a "missing/" key an older OSD left.
 */
export function encodeMissingItem(e: Encoder, i: PgMissingItem): void {
  encodePgMissingItem(e, i);
}

export function decodeMissingItem(d: Decoder, what: string): PgMissingItem {
  return decodePgMissingItem(d, what);
}

export const INFO_KEY = '_info';
export const FASTINFO_KEY = '_fastinfo';
export const INFOVER_KEY = '_infover';
export const BIGINFO_KEY = '_biginfo';
export const EPOCH_KEY = '_epoch';
export const MAY_INCLUDE_DELETES_KEY = 'may_include_deletes_in_missing';
export const CAN_ROLLBACK_TO_KEY = 'can_rollback_to';
export const ROLLBACK_INFO_TRIMMED_TO_KEY = 'rollback_info_trimmed_to';
const DUP_PREFIX = 'dup_';
const MISSING_PREFIX = 'missing/';
/** The info keys' struct version (Ceph 16's pg_latest_struct_v). */
export const INFO_STRUCT_V = 10;
const INFOVER_VALUE = Buffer.from([INFO_STRUCT_V]);
/** omap keys read per page when loading. */
const loadPageKeys = 4096;

/** Ceph's pgmeta object: no name, the PG's seed as its hash, in the PG's pool. */
export function pgmetaObject(pgid: PgId): GHObject {
  return makeObject(pgid.pool, '', pgid.seed);
}

/** eversion_t::get_key_name: "%010u.%020llu" of epoch and version. */
export function logKey(v: EVersion): string {
  return `${String(v.epoch).padStart(10, '0')}.${String(v.version).padStart(20, '0')}`;
}

/** The object part of a "missing/" key: unique per object (hobject_t::to_str is also unique). */
function missingKey(soid: HObject): string {
  return MISSING_PREFIX + objectKey(soid).replace(/\u0000/g, '/');
}

/** The pgmeta keys and values of a missing set. */
export function missingKeys(missing: PgMissing): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const { soid, item } of missing.items.values()) {
    out.set(missingKey(soid), enc((e) => {
      encodeHObject(e, soid);
      encodeMissingItem(e, item);
    }));
  }
  return out;
}

function evBuf(v: EVersion): Buffer {
  return enc((e) => encodeEVersion(e, v));
}

/** pg_log_entry_t::encode_with_checksum: the entry as a length-prefixed bufferlist, then its crc32c. */
export function encodeEntryWithChecksum(entry: PgLogEntry): Buffer {
  const body = entryBody(entry);
  const out = Buffer.allocUnsafe(body.length + 8);
  out.writeUInt32LE(body.length, 0);
  body.copy(out, 4);
  out.writeUInt32LE(cephCrc32c(0, body, 0, body.length) >>> 0, body.length + 4);
  return out;
}

export function decodeEntryWithChecksum(b: Buffer, what: string): PgLogEntry {
  const d = new Decoder(b);
  const body = Buffer.from(d.bytes(what));
  const crc = d.u32(what);
  const got = cephCrc32c(0, body, 0, body.length) >>> 0;
  if (crc !== got) throw new CephError('EIO', `${what}: pg log entry crc ${got.toString(16)} != stored ${crc.toString(16)}`);
  return decodePgLogEntry(new Decoder(body), what);
}

/** pg_fast_info_t (v1): the info fields most writes change. */
export function encodeFastInfo(e: Encoder, i: PgInfo): void {
  const s = i.stats;
  const sum = s.statsSum;
  e.startStruct(1, 1);
  encodeEVersion(e, i.lastUpdate);
  encodeEVersion(e, i.lastComplete);
  e.u64(i.lastUserVersion);
  encodeEVersion(e, s.version);
  e.u64(s.reportedSeq);
  encodeUTime(e, s.lastFresh);
  encodeUTime(e, s.lastActive);
  encodeUTime(e, s.lastPeered);
  encodeUTime(e, s.lastClean);
  encodeUTime(e, s.lastUnstale);
  encodeUTime(e, s.lastUndegraded);
  encodeUTime(e, s.lastFullsized);
  e.s64(s.logSize);
  e.s64(sum.numBytes).s64(sum.numObjects).s64(sum.numObjectCopies).s64(sum.numRd).s64(sum.numRdKb);
  e.s64(sum.numWr).s64(sum.numWrKb).s64(sum.numObjectsDirty);
  e.finishStruct();
}

/** pg_fast_info_t::try_apply_to: put `b`'s fields into `info` when its last_update is newer (true then). */
export function applyFastInfo(info: PgInfo, b: Buffer, what: string): boolean {
  const d = new Decoder(b);
  d.decodeStart(1, what);
  const lastUpdate = decodeEVersion(d, what);
  if (cmpEVersion(lastUpdate, info.lastUpdate) <= 0) return false;
  info.lastUpdate = lastUpdate;
  info.lastComplete = decodeEVersion(d, what);
  info.lastUserVersion = d.u64(what);
  const s = info.stats;
  const sum = s.statsSum;
  s.version = decodeEVersion(d, what);
  s.reportedSeq = d.u64(what);
  s.lastFresh = decodeUTime(d, what);
  s.lastActive = decodeUTime(d, what);
  s.lastPeered = decodeUTime(d, what);
  s.lastClean = decodeUTime(d, what);
  s.lastUnstale = decodeUTime(d, what);
  s.lastUndegraded = decodeUTime(d, what);
  s.lastFullsized = decodeUTime(d, what);
  s.logSize = d.s64(what);
  s.ondiskLogSize = s.logSize;
  sum.numBytes = d.s64(what);
  sum.numObjects = d.s64(what);
  sum.numObjectCopies = d.s64(what);
  sum.numRd = d.s64(what);
  sum.numRdKb = d.s64(what);
  sum.numWr = d.s64(what);
  sum.numWrKb = d.s64(what);
  sum.numObjectsDirty = d.s64(what);
  d.decodeFinish(what);
  return true;
}

/**
 * What a PG last wrote to its pgmeta object, kept by the PG between writes so the next write adds only
 * what changed: the missing keys, "_biginfo" bytes, epoch, rollback marks.
 */
export class PgMetaWritten {
  /** The missing set's keys and values as on disk. */
  readonly missing = new Map<string, Buffer>();
  /** The missing set `missing` mirrors (its changes come from takeMissingChanges while it stays the same). */
  missingOf: PgMissing | undefined;
  /** The "may_include_deletes_in_missing" key was written. */
  mayIncludeDeletes = false;
  /** A "_fastinfo" key (which this writer never writes) was removed. */
  fastInfoChecked = false;
  /** The "_biginfo" value as written (past intervals and purged snaps). */
  bigInfo: Buffer | undefined;
  epoch: number | undefined;
  /** can_rollback_to and rollback_info_trimmed_to as written. */
  rollback: [EVersion, EVersion] | undefined;
  /**
   * The dups whose keys the object holds, in order, by identity (a dup is never changed once made);
   * undefined when unknown (the next trim rewrites every dup key).
   */
  dups: PgLogDup[] | undefined;
  /** Tests: after each incremental missing-set write, compare what is on disk with the whole set's keys. */
  static checkMissing = false;
}

/**
 * Add the PG's state changes to `t`: the log delta (rewind, append, trim; the dups after a trim),
 * the info and epoch (`epoch`, else state.epoch), and when `dirty` also the past intervals, the missing
 * set and the rollback marks. `written` (what this PG wrote last, kept by the caller) makes the write a
 * diff: the past intervals, epoch, rollback marks, dups and missing keys go only when they changed. Without
 * it everything is written whole.
 */
export function writePgMeta(
  t: Transaction, cid: CollectionId, meta: GHObject, state: PgPersistent,
  delta: PgLogDelta, dirty: boolean, epoch?: number, written?: PgMetaWritten,
): void {
  if (delta.rewindTo !== undefined) {
    // every log key sorts between "0" and ":" (digits only); drop those after rewindTo
    t.omapRmKeyRange(cid, meta, logKey(delta.rewindTo) + '\u0000', ':');
  }
  if (delta.trimTo !== undefined) {
    t.omapRmKeyRange(cid, meta, '0', logKey(delta.trimTo) + '\u0000');
    writeDups(t, cid, meta, state.log.dups, written);
  }
  const keys = new Map<string, Buffer>();
  for (const e of delta.append) keys.set(logKey(e.version), encodeEntryWithChecksum(e));
  // the info changes with every log change (last_update, last_complete): always written, whole or fast
  // (Ceph writes "_fastinfo" when only pg_fast_info_t's fields changed; telling that costs a deep
  // compare of pg_info_t, which measured slower here than encoding the info, so the info goes whole and
  // any "_fastinfo" a store holds is dropped with it)
  if (written?.fastInfoChecked !== true) {
    t.omapRmKeys(cid, meta, [FASTINFO_KEY]);
    if (written) written.fastInfoChecked = true;
  }
  keys.set(INFOVER_KEY, INFOVER_VALUE);
  const info = state.info;
  keys.set(INFO_KEY, enc((e) => encodePgInfo(e, info.purgedSnaps.length === 0 ? info : { ...info, purgedSnaps: [] })));
  const ep = epoch ?? state.epoch;
  if (written?.epoch !== ep) {
    const b = Buffer.allocUnsafe(4);
    b.writeUInt32LE(ep >>> 0, 0);
    keys.set(EPOCH_KEY, b);
    if (written) written.epoch = ep;
  }
  if (dirty) {
    const bigInfo = enc((e) => {
      encodePastIntervals(e, state.pastIntervals);
      encodeIntervalSet(e, info.purgedSnaps);
    });
    if (!written?.bigInfo?.equals(bigInfo)) {
      keys.set(BIGINFO_KEY, bigInfo);
      if (written) written.bigInfo = bigInfo;
    }
    const log = state.log;
    if (!written?.rollback || cmpEVersion(written.rollback[0], log.canRollbackTo) !== 0 || cmpEVersion(written.rollback[1], log.rollbackInfoTrimmedTo) !== 0) {
      keys.set(CAN_ROLLBACK_TO_KEY, evBuf(log.canRollbackTo));
      keys.set(ROLLBACK_INFO_TRIMMED_TO_KEY, evBuf(log.rollbackInfoTrimmedTo));
      if (written) written.rollback = [{ ...log.canRollbackTo }, { ...log.rollbackInfoTrimmedTo }];
    }
    if (state.missing.mayIncludeDeletes && written?.mayIncludeDeletes !== true) {
      keys.set(MAY_INCLUDE_DELETES_KEY, Buffer.alloc(0));
      if (written) written.mayIncludeDeletes = true;
    }
    if (written) {
      const onDisk = written.missing;
      // only what changed since the last write (a key range removal re-sorts the whole pgmeta omap):
      // the objects pglog's functions changed since this writer last wrote this set, else a full diff
      const changes = takeMissingChanges(state.missing);
      if (changes !== undefined && written.missingOf === state.missing) {
        const gone: string[] = [];
        for (const [k, soid] of changes) {
          const rec = state.missing.items.get(k);
          const mk = missingKey(soid);
          if (!rec) {
            if (onDisk.delete(mk)) gone.push(mk);
            continue;
          }
          const v = enc((e) => {
            encodeHObject(e, soid);
            encodeMissingItem(e, rec.item);
          });
          if (!onDisk.get(mk)?.equals(v)) keys.set(mk, v);
          onDisk.set(mk, v);
        }
        if (gone.length) t.omapRmKeys(cid, meta, gone);
        if (PgMetaWritten.checkMissing) {
          const now = missingKeys(state.missing);
          assert(now.size === onDisk.size && [...now].every(([k, v]) => onDisk.get(k)?.equals(v)), 'pgmeta: the incremental missing keys differ from the whole missing set');
        }
      } else if (state.missing.items.size > 0 || onDisk.size > 0) {
        const now = missingKeys(state.missing);
        const gone: string[] = [];
        for (const k of onDisk.keys()) if (!now.has(k)) gone.push(k);
        if (gone.length) t.omapRmKeys(cid, meta, gone);
        for (const [k, v] of now) if (!onDisk.get(k)?.equals(v)) keys.set(k, v);
        onDisk.clear();
        for (const [k, v] of now) onDisk.set(k, v);
      }
      written.missingOf = state.missing;
    } else {
      t.omapRmKeyRange(cid, meta, MISSING_PREFIX, MISSING_PREFIX.slice(0, -1) + '0');
      for (const [k, v] of missingKeys(state.missing)) keys.set(k, v);
    }
  }
  if (keys.size) t.omapSetKeys(cid, meta, keys);
}

function dupKey(d: PgLogDup): string {
  return DUP_PREFIX + logKey(d.version);
}

/**
 * After a trim: the dup keys become `dups`. With what was written before (`written.dups`), only the
 * difference goes (the trimmed entries' new dups in, dups pushed out by the bound removed by key), as
 * Ceph's _write_log_and_missing writes only the dirty dups; without it every dup key is rewritten.
 */
function writeDups(t: Transaction, cid: CollectionId, meta: GHObject, dups: readonly PgLogDup[], written: PgMetaWritten | undefined): void {
  const onDisk = written?.dups;
  const keys = new Map<string, Buffer>();
  if (onDisk === undefined) {
    t.omapRmKeyRange(cid, meta, DUP_PREFIX, DUP_PREFIX.slice(0, -1) + '`');
    for (const d of dups) keys.set(dupKey(d), enc((e) => encodePgLogDup(e, d)));
  } else {
    // a trim pushes dups out at the front and adds its own at the end: find the kept run by identity
    // (a few compares per dup), else compare as sets
    let dropped = dups.length === 0 ? onDisk.length : onDisk.indexOf(dups[0]!);
    let kept = dropped < 0 ? 0 : Math.min(onDisk.length - dropped, dups.length);
    for (let i = 0; i < kept; i++) {
      if (onDisk[dropped + i] !== dups[i]) {
        dropped = -1;
        break;
      }
    }
    const gone: string[] = [];
    const added: PgLogDup[] = [];
    if (dropped >= 0 && dropped + kept === onDisk.length) {
      for (let i = 0; i < dropped; i++) gone.push(dupKey(onDisk[i]!));
      for (let i = kept; i < dups.length; i++) added.push(dups[i]!);
    } else {
      const now = new Set(dups);
      const was = new Set(onDisk);
      for (const d of onDisk) if (!now.has(d)) gone.push(dupKey(d));
      for (const d of dups) if (!was.has(d)) added.push(d);
    }
    // removals first: a dup key removed and written again in one transaction ends up written
    if (gone.length) t.omapRmKeys(cid, meta, gone);
    for (const d of added) keys.set(dupKey(d), enc((e) => encodePgLogDup(e, d)));
  }
  if (keys.size) t.omapSetKeys(cid, meta, keys);
  if (written) written.dups = dups.slice();
}

/** Read a PG's state back from its pgmeta object (ENOENT when the PG has none). */
export async function loadPgMeta(store: ObjectStore, cid: CollectionId, meta: GHObject, spgid: SpgId): Promise<PgPersistent> {
  if (!(await store.exists(cid, meta))) throw new CephError('ENOENT', `pg ${cid}: no pgmeta object`);
  let info: PgInfo | undefined;
  let pastIntervals: PastIntervals | undefined;
  let purgedSnaps: Array<[bigint, bigint]> = [];
  let epoch = 0;
  let fastInfo: { v: Buffer; what: string } | undefined;
  const log: PgLog = emptyPgLog();
  const missing = emptyPgMissing();
  missing.mayIncludeDeletes = false;
  let after: string | undefined;
  for (;;) {
    const page = await store.omapIterate(cid, meta, after, loadPageKeys);
    for (const [k, v] of page.entries) {
      const what = `pgmeta ${cid} key ${k}`;
      if (k === INFO_KEY) info = decodePgInfo(new Decoder(v), what);
      else if (k === FASTINFO_KEY) fastInfo = v.length ? { v, what } : undefined;
      else if (k === BIGINFO_KEY) {
        const d = new Decoder(v);
        pastIntervals = decodePastIntervals(d, what);
        // (a "_biginfo" of tsceph before the purged snaps were added ends here)
        purgedSnaps = d.atEnd() ? [] : decodeIntervalSet(d, what);
      }
      else if (k === EPOCH_KEY) epoch = new Decoder(v).u32(what);
      else if (k === INFOVER_KEY) {
        if (v.length !== 1 || v[0]! > INFO_STRUCT_V) throw new CephError('EIO', `${what}: info struct v${v[0]} is newer than ${INFO_STRUCT_V}`);
      } else if (k === CAN_ROLLBACK_TO_KEY) log.canRollbackTo = decodeEVersion(new Decoder(v), what);
      else if (k === ROLLBACK_INFO_TRIMMED_TO_KEY) log.rollbackInfoTrimmedTo = decodeEVersion(new Decoder(v), what);
      else if (k === MAY_INCLUDE_DELETES_KEY) missing.mayIncludeDeletes = true;
      else if (k.startsWith(DUP_PREFIX)) log.dups.push(decodePgLogDup(new Decoder(v), what));
      else if (k.startsWith(MISSING_PREFIX)) {
        const d = new Decoder(v);
        const soid = decodeHObject(d, what);
        const item = decodeMissingItem(d, what);
        missing.items.set(objectKey(soid), { soid, item });
      } else if (k.charCodeAt(0) >= 0x30 && k.charCodeAt(0) <= 0x39) log.log.push(decodeEntryWithChecksum(v, what));
    }
    if (!page.more || page.entries.length === 0) break;
    after = page.entries[page.entries.length - 1]![0];
  }
  if (!info) throw new CephError('EIO', `pg ${cid}: pgmeta has no ${INFO_KEY}`);
  if (fastInfo) applyFastInfo(info, fastInfo.v, fastInfo.what);
  info.purgedSnaps = purgedSnaps;
  if (info.pgid.pgid.pool !== spgid.pgid.pool || info.pgid.pgid.seed !== spgid.pgid.seed) {
    throw new CephError('EIO', `pg ${cid}: pgmeta info is for pg ${info.pgid.pgid.pool}.${info.pgid.pgid.seed.toString(16)}`);
  }
  log.tail = { ...info.logTail };
  log.head = log.log.length ? { ...log.log[log.log.length - 1]!.version } : { ...info.lastUpdate };
  return { info, pastIntervals: pastIntervals ?? { first: 0, last: 0, allParticipants: [], intervals: [] }, log, missing, epoch };
}
