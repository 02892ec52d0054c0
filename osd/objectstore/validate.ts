// The checks of an op's own arguments that every ObjectStore makes before it looks at any state: the
// contract's EINVAL cases (osd/objectstore/types.ts). Both stores call these, so a malformed op is refused
// with the same words wherever it goes. The state checks (ENOENT, EEXIST, ENOTEMPTY) stay with each store.

import { isValidCollection, NAME_BYTES_MAX, objectsEqual, OBJECT_SIZE_MAX, type GHObject, type TxOp } from './types.js';

/** A non-negative safe integer: an offset, a length or a size. */
export function isCount(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/** A pg's split bits: 0..32. */
export function isBits(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= 32;
}

/** The low `bits` bits of a hash, as a mask (bits 0..32). */
export function bitsMask(bits: number): number {
  return bits >= 32 ? 0xffffffff : ((1 << bits) >>> 0) - 1;
}

/** True when `hash` falls in the pg whose low `bits` bits are `rem`'s: a collection's membership test. */
export function hashMatches(hash: number, bits: number, rem: number): boolean {
  const m = bitsMask(bits);
  return ((hash & m) >>> 0) === ((rem & m) >>> 0);
}

/** Longer than NAME_BYTES_MAX bytes as UTF-8 (the byte count is taken only when it could be). */
export function nameTooLong(s: string): boolean {
  return s.length > NAME_BYTES_MAX / 3 && Buffer.byteLength(s, 'utf8') > NAME_BYTES_MAX;
}

/** What is wrong with an object id a transaction names, or undefined. */
export function objectProblem(o: GHObject): string | undefined {
  if (o.max) return 'the max object cannot be stored';
  if (!Number.isSafeInteger(o.pool)) return `bad pool ${o.pool}`;
  if (!Number.isInteger(o.hash) || o.hash < 0 || o.hash > 0xffffffff) return `bad hash ${o.hash}`;
  if (!Number.isSafeInteger(o.snap) || o.snap < -2) return `bad snap ${o.snap}`;
  if (!Number.isSafeInteger(o.generation) || o.generation < -1) return `bad generation ${o.generation}`;
  if (!Number.isInteger(o.shard) || o.shard < -1 || o.shard > 127) return `bad shard ${o.shard}`;
  if (nameTooLong(o.oid) || nameTooLong(o.key) || nameTooLong(o.nspace)) return `object name longer than ${NAME_BYTES_MAX} bytes`;
  return undefined;
}

function extentProblem(offset: number, length: number): string | undefined {
  if (!isCount(offset) || !isCount(length)) return `bad extent ${offset}~${length}`;
  if (offset + length > OBJECT_SIZE_MAX) return `extent ${offset}~${length} ends past the object size limit ${OBJECT_SIZE_MAX}`;
  return undefined;
}

/** Collection ids found valid, so the hot path does not run the parser's regex per op; bounded. */
const validCids = new Set<string>();
const VALID_CIDS_CACHED_MAX = 4096;

/** isValidCollection, remembering the ids that pass (an OSD names the same few hundred over and over). */
export function validCollection(cid: string): boolean {
  if (validCids.has(cid)) return true;
  if (!isValidCollection(cid)) return false;
  if (validCids.size >= VALID_CIDS_CACHED_MAX) validCids.clear();
  validCids.add(cid);
  return true;
}

function badCollection(cid: string): string {
  return `bad collection name ${JSON.stringify(cid)}`;
}

/** The first problem with an op's own arguments (the store refuses it with EINVAL), or undefined. */
export function txOpFormProblem(op: TxOp): string | undefined {
  if (!validCollection(op.cid)) return badCollection(op.cid);
  if (op.op === 'mkcoll') return isBits(op.bits) ? undefined : `bits ${op.bits} not in 0..32`;
  // By op name rather than `'oid' in op`, a property test on many op shapes that V8 cannot cache.
  if (op.op !== 'rmcoll' && op.op !== 'splitCollection' && op.op !== 'collSetBits') {
    const p = objectProblem(op.oid);
    if (p) return p;
  }
  if (op.op === 'clone' || op.op === 'cloneRange' || op.op === 'collMoveRename') {
    const p = objectProblem(op.dest);
    if (p) return `destination: ${p}`;
  }
  switch (op.op) {
    case 'write': {
      let n = 0;
      for (const b of op.data) n += b.length;
      if (n !== op.length) return `length ${op.length} but ${n} data bytes`;
      return extentProblem(op.offset, op.length);
    }
    case 'zero':
      return extentProblem(op.offset, op.length);
    case 'truncate':
      return extentProblem(op.size, 0);
    case 'cloneRange':
      return extentProblem(op.srcOffset, op.length) ?? extentProblem(op.destOffset, op.length);
    case 'setattrs':
      for (const k of op.attrs.keys()) if (nameTooLong(k)) return `attr name longer than ${NAME_BYTES_MAX} bytes`;
      return undefined;
    case 'rmattr':
      return nameTooLong(op.name) ? `attr name longer than ${NAME_BYTES_MAX} bytes` : undefined;
    case 'omapSetKeys':
      for (const k of op.entries.keys()) if (nameTooLong(k)) return `omap key longer than ${NAME_BYTES_MAX} bytes`;
      return undefined;
    case 'omapRmKeys':
      for (const k of op.keys) if (nameTooLong(k)) return `omap key longer than ${NAME_BYTES_MAX} bytes`;
      return undefined;
    case 'omapRmKeyRange':
      return nameTooLong(op.first) || nameTooLong(op.last) ? `omap key longer than ${NAME_BYTES_MAX} bytes` : undefined;
    case 'collMoveRename':
      if (!validCollection(op.destCid)) return badCollection(op.destCid);
      return op.cid === op.destCid && objectsEqual(op.oid, op.dest) ? 'source and destination are one object' : undefined;
    case 'splitCollection':
      if (!validCollection(op.destCid)) return badCollection(op.destCid);
      if (!isBits(op.bits)) return `bits ${op.bits} not in 0..32`;
      if (!Number.isInteger(op.rem) || op.rem < 0 || op.rem > 0xffffffff) return `bad rem ${op.rem}`;
      return op.cid === op.destCid ? 'split into itself' : undefined;
    case 'collSetBits':
      return isBits(op.bits) ? undefined : `bits ${op.bits} not in 0..32`;
    default:
      return undefined;
  }
}
