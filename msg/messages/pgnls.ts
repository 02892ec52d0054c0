// Listing a PG's objects, CEPH_OSD_OP_PGNLS, in Ceph 16's layouts: the request (pgls.count and
// pgls.start_epoch in the op's argument union, the cursor hobject_t as indata) and the reply,
// pg_nls_response_t (src/osd/osd_types.h): a versioned struct of the cursor to continue from and
// list<librados::ListObjectImpl> (namespace, name, locator). The one place this layout lives: the
// OSD's listing (osd/core/pgls.ts) encodes replies with it, librados' listObjects decodes them;
// test/osd/pgls.test.ts compares the bytes with a real ceph-osd's pages.

import { Decoder, Encoder } from '../../common/encoding.js';
import { CephError } from '../../common/errors.js';
import { OsdOpCode, decodeHObject, emptyHObject, encodeHObject, newOSDOp, type HObject, type OSDOp } from './osdop.js';

/** librados' LIBRADOS_ALL_NSPACES: the namespace that lists every namespace. */
export const ALL_NSPACES = '\u0001';
/** Entries one reply may carry before a decoder calls it corrupt. */
export const LIST_REPLY_ENTRIES_MAX = 1 << 20;

/** One listed object (librados::ListObjectImpl). */
export interface ListEntry {
  nspace: string;
  oid: string;
  locator: string;
}

/** pg_nls_response_t: the cursor to continue from (the PG's end when it is done) and the entries. */
export interface PgNlsResponse {
  handle: HObject;
  entries: ListEntry[];
}

/** PGNLS: up to `count` objects of the PG from `cursor` on (listStartCursor(): the PG's start). */
export function opPgNls(count: number, cursor: HObject, epoch: number): OSDOp {
  const o = newOSDOp(OsdOpCode.PGNLS);
  o.args.writeUInt32LE(count >>> 0, 0); // pgls.count (u64)
  o.args.writeUInt32LE(Math.floor(count / 0x1_0000_0000), 4);
  o.args.writeUInt32LE(epoch >>> 0, 8); // pgls.start_epoch
  const e = new Encoder(64);
  encodeHObject(e, cursor);
  o.indata = e.toBuffer();
  return o;
}

/** The cursor that starts a listing (hobject_t()). */
export function listStartCursor(): HObject {
  return emptyHObject();
}

export function encodePgNlsResponse(r: PgNlsResponse): Buffer {
  const e = new Encoder(64 + r.entries.length * 32);
  e.startStruct(1, 1);
  encodeHObject(e, r.handle);
  e.u32(r.entries.length);
  for (const x of r.entries) e.string(x.nspace).string(x.oid).string(x.locator);
  e.finishStruct();
  return e.toBuffer();
}

export function decodePgNlsResponse(b: Buffer): PgNlsResponse {
  const what = 'pg_nls_response_t';
  const d = new Decoder(b);
  d.decodeStart(1, what);
  const handle = decodeHObject(d);
  const n = d.u32(what);
  if (n > LIST_REPLY_ENTRIES_MAX) throw new CephError('EBADMSG', `${what}: ${n} entries`);
  const entries: ListEntry[] = [];
  for (let i = 0; i < n; i++) entries.push({ nspace: d.string(what), oid: d.string(what), locator: d.string(what) });
  d.decodeFinish(what);
  return { handle, entries };
}
