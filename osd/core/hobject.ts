// The two names of one object: hobject_t as the wire and the PG log carry it (snap a u64 with
// CEPH_NOSNAP / CEPH_SNAPDIR as specials) and the store's ghobject_t (snap a number with SNAP_HEAD /
// SNAP_DIR). The one place the specials are mapped.

import { CEPH_NOSNAP, CEPH_SNAPDIR, type HObject } from '../../msg/messages/osdop.js';
import { SNAP_DIR, SNAP_HEAD, type GHObject } from '../objectstore/types.js';

/** A store snap as the wire's u64. */
export function snapToWire(snap: number): bigint {
  return snap === SNAP_HEAD ? CEPH_NOSNAP : snap === SNAP_DIR ? CEPH_SNAPDIR : BigInt(snap);
}

/** A wire snap as the store's number (callers that must refuse snaps past 2^53 check first). */
export function snapFromWire(snap: bigint): number {
  return snap === CEPH_NOSNAP ? SNAP_HEAD : snap === CEPH_SNAPDIR ? SNAP_DIR : Number(snap);
}

/** The store's ghobject_t to hobject_t. */
export function toHObject(g: GHObject): HObject {
  return { oid: g.oid, key: g.key, nspace: g.nspace, hash: g.hash >>> 0, pool: g.pool, snap: snapToWire(g.snap), max: g.max === true };
}
