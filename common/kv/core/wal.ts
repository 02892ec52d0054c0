// The journal's encodings: a batch (the ops of one submit) and a group record (the batches one journal
// write carries). Pure: bytes in, objects out, no I/O.
//
// Batch:  u32 totalBytes, u32 opCount, then per op u8 kind (1 set, 2 rm, 3 rmRange) and u32-length
//         byte strings (set: key, value; rm: key; rmRange: start, end).
// Record: a 64-byte header, the batches back to back, zero padding to a 512-byte sector:
//   0 u32 magic 'KVJR'   4 u32 crc32c of header bytes [8, 64) then the payload
//   8 u32 uuidTag        12 u8 version, 3 reserved   16 u64 lsn (its own logical journal position)
//   24 u64 firstSeq      32 u32 batchCount            36 u32 payloadBytes   40 u32 recordBytes
//   44 u32 crc32c of header bytes [8, 44) (lets replay trust the lengths before reading the payload)

import { CephError, assert } from '../../errors.js';
import { cephCrc32c, cephCrc32cOfList } from '../../crc32c.js';
import { Decoder, Encoder } from '../../encoding.js';
import type { KVBatch, KVOp } from '../types.js';
import { BATCH_BYTES_MAX, BATCH_OPS_MAX, JOURNAL_ALIGN_BYTES, KEY_BYTES_MAX, RECORD_HEADER_BYTES, VALUE_BYTES_MAX } from './limits.js';

export const RECORD_MAGIC = 0x524a564b; // 'KVJR'
export const RECORD_VERSION = 1;

/** Check a batch against the limits before it touches the tree; `batchBytesMax` is the store's own bound. */
export function validateBatch(batch: KVBatch, batchBytesMax: number): void {
  if (batch.ops.length > BATCH_OPS_MAX) {
    throw new CephError('E2BIG', `kv: batch of ${batch.ops.length} ops is over the limit of ${BATCH_OPS_MAX}`);
  }
  let bytes = 0;
  const key = (k: Buffer, what: string): void => {
    if (!Buffer.isBuffer(k)) throw new CephError('EINVAL', `kv: ${what} is not a Buffer`);
    if (k.length > KEY_BYTES_MAX) throw new CephError('E2BIG', `kv: ${what} of ${k.length} bytes is over the limit of ${KEY_BYTES_MAX}`);
    bytes += k.length;
  };
  for (const op of batch.ops) {
    if (op.op === 'set') {
      key(op.key, 'key');
      if (!Buffer.isBuffer(op.value)) throw new CephError('EINVAL', 'kv: value is not a Buffer');
      if (op.value.length > VALUE_BYTES_MAX) {
        throw new CephError('E2BIG', `kv: value of ${op.value.length} bytes is over the limit of ${VALUE_BYTES_MAX}`);
      }
      bytes += op.value.length;
    } else if (op.op === 'rm') key(op.key, 'key');
    else if (op.op === 'rmRange') {
      key(op.start, 'range start');
      key(op.end, 'range end');
    } else throw new CephError('EINVAL', `kv: unknown batch op ${(op as { op: string }).op}`);
  }
  const max = Math.min(BATCH_BYTES_MAX, batchBytesMax);
  if (bytes > max) throw new CephError('E2BIG', `kv: batch of ${bytes} key and value bytes is over this store's limit of ${max} (a quarter of its journal)`);
}

/** Bytes a batch takes in a record. */
export function batchRecordBytes(batch: KVBatch): number {
  let b = 8;
  for (const op of batch.ops) b += op.op === 'rm' ? 5 + op.key.length : op.op === 'set' ? 9 + op.key.length + op.value.length : 9 + op.start.length + op.end.length;
  return b;
}

export function encodeBatch(batch: KVBatch): Buffer {
  const total = batchRecordBytes(batch);
  const enc = new Encoder(total);
  enc.u32(total).u32(batch.ops.length);
  for (const op of batch.ops) {
    if (op.op === 'set') enc.u8(1).bytes(op.key).bytes(op.value);
    else if (op.op === 'rm') enc.u8(2).bytes(op.key);
    else enc.u8(3).bytes(op.start).bytes(op.end);
  }
  assert(enc.length === total, 'batch size');
  return enc.view().subarray(0, total);
}

/** The ops of an encoded batch (views into `buf`). */
export function decodeBatch(buf: Buffer): KVOp[] {
  const d = new Decoder(buf, 'kv batch');
  const total = d.u32('total');
  if (total !== buf.length) throw new CephError('EIO', `kv: batch length ${total} != ${buf.length}`);
  const n = d.count('ops', 5);
  const ops: KVOp[] = [];
  for (let i = 0; i < n; i++) {
    const kind = d.u8('op');
    if (kind === 1) {
      const key = d.bytes('key');
      ops.push({ op: 'set', key, value: d.bytes('value') });
    } else if (kind === 2) ops.push({ op: 'rm', key: d.bytes('key') });
    else if (kind === 3) {
      const start = d.bytes('start');
      ops.push({ op: 'rmRange', start, end: d.bytes('end') });
    } else throw new CephError('EIO', `kv: unknown op kind ${kind} in a journal batch`);
  }
  if (!d.atEnd()) throw new CephError('EIO', 'kv: trailing bytes in a journal batch');
  return ops;
}

export function alignUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}

/** Total on-journal bytes of a record carrying `payloadBytes`. */
export function recordBytesFor(payloadBytes: number): number {
  return alignUp(RECORD_HEADER_BYTES + payloadBytes, JOURNAL_ALIGN_BYTES);
}

/** Zeros a record's padding is cut from (read only: every record shares it). */
const RECORD_PAD = Buffer.alloc(JOURNAL_ALIGN_BYTES);

/** The buffers of one record, for one gathered write: header, the encoded batches, padding. */
export function encodeRecord(uuidTag: number, lsn: number, firstSeq: number, batches: readonly Buffer[]): Buffer[] {
  let payload = 0;
  for (const b of batches) payload += b.length;
  const total = recordBytesFor(payload);
  const h = Buffer.alloc(RECORD_HEADER_BYTES);
  const enc = new Encoder(RECORD_HEADER_BYTES);
  enc.u32(RECORD_MAGIC).u32(0).u32(uuidTag).u8(RECORD_VERSION).u8(0).u16(0).u64(lsn).u64(firstSeq);
  enc.u32(batches.length).u32(payload).u32(total);
  enc.view().copy(h);
  h.writeUInt32LE(cephCrc32c(0xffffffff, h, 8, 44), 44);
  h.writeUInt32LE(cephCrc32cOfList(cephCrc32c(0xffffffff, h, 8, RECORD_HEADER_BYTES), batches), 4);
  const out = [h, ...batches];
  const pad = total - RECORD_HEADER_BYTES - payload;
  if (pad) out.push(RECORD_PAD.subarray(0, pad));
  return out;
}

export interface RecordHeader {
  readonly lsn: number;
  readonly firstSeq: number;
  readonly batchCount: number;
  readonly payloadBytes: number;
  readonly recordBytes: number;
}

/** The header at the start of `buf` if it is a sound record header for position `lsn`, else null. */
export function decodeRecordHeader(buf: Buffer, uuidTag: number, lsn: number): RecordHeader | null {
  if (buf.length < RECORD_HEADER_BYTES) return null;
  if (buf.readUInt32LE(0) !== RECORD_MAGIC) return null;
  if (cephCrc32c(0xffffffff, buf, 8, 44) !== buf.readUInt32LE(44)) return null;
  if (buf.readUInt32LE(8) !== uuidTag || buf[12] !== RECORD_VERSION) return null;
  const d = new Decoder(buf, 'kv record', 16, 44);
  const at = d.u64('lsn');
  const firstSeq = d.u64('first seq');
  const batchCount = d.u32('batch count');
  const payloadBytes = d.u32('payload bytes');
  const recordBytes = d.u32('record bytes');
  if (at !== lsn || recordBytes !== recordBytesFor(payloadBytes) || batchCount === 0 || batchCount * 8 > payloadBytes) return null;
  return { lsn: at, firstSeq, batchCount, payloadBytes, recordBytes };
}

/** The encoded batches of a whole record whose header decoded; null if its crc fails or it does not parse. */
export function recordBatches(buf: Buffer, h: RecordHeader): Buffer[] | null {
  if (buf.length < RECORD_HEADER_BYTES + h.payloadBytes) return null;
  if (cephCrc32c(0xffffffff, buf, 8, RECORD_HEADER_BYTES + h.payloadBytes) !== buf.readUInt32LE(4)) return null;
  const out: Buffer[] = [];
  let at = RECORD_HEADER_BYTES;
  const end = RECORD_HEADER_BYTES + h.payloadBytes;
  for (let i = 0; i < h.batchCount; i++) {
    if (at + 8 > end) return null;
    const len = buf.readUInt32LE(at);
    if (len < 8 || at + len > end) return null;
    out.push(buf.subarray(at, at + len));
    at += len;
  }
  return at === end ? out : null;
}
