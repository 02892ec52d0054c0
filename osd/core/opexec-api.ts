// CONTRACT between the op executor (osd/core/opexec.ts) and the OSD shell (osd/pg.ts). Written by the
// lead before the OSD work was split; the implementer may add members (say so in the commit), not
// change these.
//
// The executor runs one client MOSDOp's ops against one object the way Ceph's
// PrimaryLogPG::do_osd_ops does: reads fill each op's outdata and rval, writes build one ObjectStore
// Transaction, and the compound op is atomic: if an op fails (and does not carry FAILOK) the whole
// request fails with that op's errno and no transaction is produced. Object metadata Ceph keeps in the
// "_" attr (object_info_t: version, user_version, size, mtime, ...) is read and written by the executor
// through the same port, so every OSD keeps it exactly as a Ceph OSD would.
//
// It does no I/O of its own: reads go through the injected ObjectReadPort (the shell backs it with the
// ObjectStore; tests with MemStore), so it is deterministic, and the time comes in as an argument.

import type { UTime } from '../../common/osdmap/index.js';
import type { EVersion, HObject, OSDOp, OsdReqId } from '../../msg/messages/osdop.js';
import type { CollectionId, GHObject, OmapPage, Transaction } from '../objectstore/types.js';

/** Reads of the target object as it is before this request (after earlier requests' transactions). */
export interface ObjectReadPort {
  exists(): Promise<boolean>;
  /** Logical size; ENOENT if missing. */
  size(): Promise<number>;
  read(offset: number, length: number): Promise<Buffer>;
  getattr(name: string): Promise<Buffer>; // ENODATA if absent
  getattrs(): Promise<Map<string, Buffer>>;
  omapGetHeader(): Promise<Buffer>;
  omapGetValues(keys: readonly string[]): Promise<Map<string, Buffer>>;
  omapIterate(after: string | undefined, max: number): Promise<OmapPage>;
}

export interface OpExecInput {
  /** The object as the client named it, and its store identity and collection. */
  soid: HObject;
  obj: GHObject;
  cid: CollectionId;
  ops: OSDOp[];
  /** MOSDOp flags (OsdFlag bits). */
  flags: number;
  reqid: OsdReqId;
  /** The version a write will get (PG log head + 1 at the current epoch). */
  version: EVersion;
  /** The PG's last_user_version: a write's user_version is max(this, object's) + 1. */
  lastUserVersion: number;
  /** The client's mtime for writes (MOSDOp mtime). */
  mtime: UTime;
  /**
   * The OSD's clock when the request runs (added by the executor's implementer): a write with a client
   * mtime stores it as object_info_t's local_mtime, as Ceph's finish_ctx does. Without it the client
   * mtime stands in.
   */
  osdNow?: UTime;
}

export interface OpExecResult {
  /** 0, or the negative errno the reply carries (the first failing op's). */
  result: number;
  /** input.ops with rval and outdata filled (for the reply). */
  ops: OSDOp[];
  /** The transaction to apply and replicate, or null for a read-only (or failed) request. */
  transaction: Transaction | null;
  /** When transaction != null: MODIFY or DELETE (PgLogOp), and the entry's user_version. */
  logOp: number;
  userVersion: number;
  /** The object's user_version the reply reports (for reads: the current one). */
  replyVersion: number;
  /** Stats deltas for pg_stat_t (objects, bytes, omap keys) and counters (reads/writes, KB). */
  deltaObjects: number;
  deltaBytes: number;
  numRd: number;
  numRdKb: number;
  numWr: number;
  numWrKb: number;
}

export type ExecuteOps = (input: OpExecInput, port: ObjectReadPort) => Promise<OpExecResult>;
