// Listing a PG's objects for a client: CEPH_OSD_OP_PGNLS (and the older PGLS), as Ceph 16's
// PrimaryLogPG::do_pg_op answers them.
//
// The client sends a cursor (an hobject_t: hobject_t() for "from the start", else the handle the
// previous reply returned) and a count; the OSD lists the PG's collection from the cursor in the
// bitwise hash order (merged with the objects the PG knows it is missing locally, which are listed
// too), skips the PG's meta object, temp objects, snapshots (only heads are listed), the internal
// hit-set namespace and, unless the client asked for LIBRADOS_ALL_NSPACES, other namespaces, and
// returns at most min(count, osd_max_pgls) entries with the cursor to continue from. When the PG is
// exhausted the result is 1 and the handle is the PG's end (the next PG's start).
//
// Pure: the collection listing is an injected async function, so the PG shell passes its store.

import { Decoder, Encoder } from '../../common/encoding.js';
import { calcBitsOf } from '../../common/osdmap/index.js';
import { CephError, Errno } from '../../common/errors.js';
import {
  CEPH_NOSNAP, HOBJECT_POOL_NONE, OsdOpCode, decodeHObject, encodeHObject, type HObject, type OSDOp,
} from '../../msg/messages/osdop.js';
import { ALL_NSPACES, encodePgNlsResponse, type ListEntry } from '../../msg/messages/pgnls.js';
import { cmpHObject, maxHObject } from '../../msg/messages/pgtypes.js';
import { NO_SHARD, makeObject, reverseBits32, type GHObject, type ListResult } from '../objectstore/types.js';
import { snapFromWire, toHObject } from './hobject.js';

/** osd_max_pgls: entries one listing op returns at most. */
export const pglsEntriesMax = 1024;
/** osd_hit_set_namespace: cache-tier bookkeeping objects, never listed. */
export const HIT_SET_NAMESPACE = '.ceph-internal';

/** pg_t::get_split_bits: how many low hash bits place an object in this PG. */
export function pgSplitBits(seed: number, pgNum: number): number {
  if (pgNum === 1) return 0;
  const p = calcBitsOf(pgNum);
  const m = 2 ** (p - 1);
  return seed % m < pgNum % m ? p : p - 1;
}

/** pg_t::get_hobj_start: the PG's first hobject (no name, snap 0, the seed as hash). */
export function pgHobjStart(pool: number, seed: number): HObject {
  return { oid: '', key: '', nspace: '', hash: seed >>> 0, pool, snap: 0n, max: false };
}

/** pg_t::get_hobj_end: the first hobject past the PG (hobject_t::max for the last one). */
export function pgHobjEnd(pool: number, seed: number, pgNum: number): HObject {
  const bits = pgSplitBits(seed, pgNum);
  const revStart = reverseBits32(seed);
  const revEnd = ((revStart | (0xffffffff >>> bits)) >>> 0) + 1; // up to 2^32, as a double
  if (revEnd >= 0x1_0000_0000) return maxHObject();
  return { oid: '', key: '', nspace: '', hash: reverseBits32(revEnd), pool, snap: CEPH_NOSNAP, max: false };
}

function isMinHObject(h: HObject): boolean {
  return !h.max && h.pool === HOBJECT_POOL_NONE && h.oid === '' && h.key === '' && h.nspace === '' && h.hash === 0 && h.snap === 0n;
}

/** A listed store object as hobject_t; the store's end as hobject_t::max. */
function listedHObject(g: GHObject): HObject {
  return g.max ? maxHObject() : toHObject(g);
}

/** ghobject_t(h, generation 0, NO_SHARD): the smallest store object at h (a listing's inclusive start). */
function toStoreStart(h: HObject): GHObject {
  return makeObject(h.pool, h.oid, h.hash, { nspace: h.nspace, key: h.key, snap: snapFromWire(h.snap), generation: 0, shard: NO_SHARD });
}

export interface PgListInput {
  /** The PGNLS or PGLS op: pgls.count in its union, the cursor (hobject_t) in its indata. */
  op: OSDOp;
  pool: number;
  seed: number;
  /** The pool's pg_num (the PG's hash range depends on it). */
  pgNum: number;
  /** The MOSDOp's namespace: ALL_NSPACES lists them all. */
  nspace: string;
  /** A page of the PG's collection from `start` (inclusive; undefined = the first), at most `max`. */
  list(start: GHObject | undefined, max: number): Promise<ListResult>;
  /** Objects the PG is missing locally (they exist, so they are listed). */
  missing?: readonly HObject[];
  /** Objects whose deletion is pending recovery (not listed). */
  isDeleted?(h: HObject): boolean;
}

export interface PgListResult {
  /** 0, 1 (this PG is done) or -errno. */
  result: number;
  outdata: Buffer;
}

/** Ceph's PGBackend::objects_list_partial: up to `max` listable objects from `begin`, and where to go on. */
async function listPartial(input: PgListInput, begin: HObject, max: number): Promise<{ ls: HObject[]; next: HObject }> {
  let cursor: GHObject | undefined = isMinHObject(begin) ? undefined : toStoreStart(begin);
  let done = false;
  const ls: HObject[] = [];
  while (!done && ls.length < max) {
    const page = await input.list(cursor, max - ls.length);
    for (const g of page.objects) {
      if (g.pool < 0 || g.oid === '') continue; // temp objects and the pgmeta object
      if (g.generation !== -1) continue; // EC rollback generations
      ls.push(listedHObject(g));
    }
    if (page.next === undefined || page.next.max) done = true;
    else cursor = page.next;
    if (page.objects.length === 0 && !done) done = true; // a store that pages nothing cannot progress
  }
  return { ls, next: done ? maxHObject() : listedHObject(cursor!) };
}

export async function listPgObjects(input: PgListInput): Promise<PgListResult> {
  const o = input.op;
  const nls = o.op === OsdOpCode.PGNLS;
  if (!nls && o.op !== OsdOpCode.PGLS) return { result: -Errno.EOPNOTSUPP, outdata: Buffer.alloc(0) };
  const count = o.args.readUInt32LE(0) + o.args.readUInt32LE(4) * 0x1_0000_0000;
  const listSize = Math.min(pglsEntriesMax, count);
  let lowerBound: HObject;
  try {
    lowerBound = decodeHObject(new Decoder(o.indata, 'pgls handle'), 'pgls handle');
  } catch {
    return { result: -Errno.EINVAL, outdata: Buffer.alloc(0) };
  }
  const pgStart = pgHobjStart(input.pool, input.seed);
  const pgEnd = pgHobjEnd(input.pool, input.seed, input.pgNum);
  if ((!lowerBound.max && cmpHObject(lowerBound, pgEnd) >= 0) || (!isMinHObject(lowerBound) && cmpHObject(lowerBound, pgStart) < 0)) {
    return { result: -Errno.EINVAL, outdata: Buffer.alloc(0) };
  }
  const { ls, next: storeNext } = await listPartial(input, lowerBound, listSize);
  let next = storeNext;
  const missing = [...(input.missing ?? [])].filter((m) => cmpHObject(m, lowerBound) >= 0).sort(cmpHObject);
  let mi = 0;
  let li = 0;
  const entries: ListEntry[] = [];
  const max = maxHObject();
  for (;;) {
    const mcand = mi < missing.length ? missing[mi]! : max;
    const lcand = li < ls.length ? ls[li]! : max;
    let candidate: HObject;
    const c = cmpHObject(mcand, lcand);
    if (c === 0) {
      candidate = mcand;
      if (!mcand.max) {
        li++;
        mi++;
      }
    } else if (c < 0) {
      candidate = mcand;
      mi++;
    } else {
      candidate = lcand;
      li++;
    }
    if (cmpHObject(candidate, next) >= 0) break;
    if (entries.length === listSize) {
      next = candidate;
      break;
    }
    if (candidate.snap !== CEPH_NOSNAP) continue;
    if (candidate.nspace === HIT_SET_NAMESPACE) continue;
    if (input.isDeleted?.(candidate)) continue;
    if (nls ? input.nspace !== ALL_NSPACES && candidate.nspace !== input.nspace : candidate.nspace !== input.nspace) continue;
    entries.push({ nspace: candidate.nspace, oid: candidate.oid, locator: candidate.key });
  }
  let result = 0;
  let handle = next;
  if (next.max && mi >= missing.length && li >= ls.length) {
    result = 1;
    handle = pgEnd;
  }
  if (nls) return { result, outdata: encodePgNlsResponse({ handle, entries }) };
  const e = new Encoder(64 + entries.length * 32);
  e.u8(1); // pg_ls_response_t: a bare version byte, the handle, list<pair<object_t, string>>
  encodeHObject(e, handle);
  e.u32(entries.length);
  for (const x of entries) e.string(x.oid).string(x.locator);
  return { result, outdata: e.toBuffer() };
}

/** pg_ls_response_t (PGLS's reply), for tests and old clients. */
export function decodePgLsReply(b: Buffer): { handle: HObject; entries: Array<{ oid: string; locator: string }> } {
  const d = new Decoder(b, 'pg_ls_response_t');
  const v = d.u8('struct_v');
  if (v !== 1) throw new CephError('EBADMSG', `pg_ls_response_t v${v}`);
  const handle = decodeHObject(d);
  const entries = d.list('entries', 8, (x) => ({ oid: x.string('oid'), locator: x.string('locator') }));
  return { handle, entries };
}
