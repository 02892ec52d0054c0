// Op payloads librados needs that msg/messages/osdop.ts has no builder for yet: listing a PG's
// objects (CEPH_OSD_OP_PGNLS) and its reply (pg_nls_response_t), in Ceph 16's layouts. The OSD side
// (osd/core/pgls.ts) encodes the reply; test/osd/pgls.test.ts checks both against a real ceph-osd.

import { Decoder, Encoder } from '../common/encoding.js';
import { CephError } from '../common/errors.js';
import { OsdOpCode, decodeHObject, emptyHObject, encodeHObject, newOSDOp, type HObject, type OSDOp } from '../msg/index.js';

/** librados' LIBRADOS_ALL_NSPACES: the namespace that lists every namespace. */
export const ALL_NSPACES = '\u0001';
/** Entries a listing asks a PG for per round trip (Ceph's default is 1024). */
export const LIST_PAGE_ENTRIES = 1024;
/** Entries one reply may carry before we call it corrupt. */
export const LIST_REPLY_ENTRIES_MAX = 1 << 20;

/** One listed object. */
export interface ListEntry {
  nspace: string;
  oid: string;
  locator: string;
}

/** PGNLS: up to `count` objects of the PG from `cursor` on (hobject_t(): the PG's start). */
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

/** The cursor that starts a PG listing. */
export function listStartCursor(): HObject {
  return emptyHObject();
}

/** pg_nls_response_t: the cursor to continue from (max = this PG is done) and the entries. */
export function decodePgNlsReply(b: Buffer): { handle: HObject; entries: ListEntry[] } {
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
