// The monitor's store as its pure cores see it: an ordered map of (prefix, key) -> bytes, read
// synchronously, changed only by whole transactions. A MonStoreTx is Ceph's MonitorDBStore::Transaction
// (same ops, same encoding), because a Paxos value IS an encoded store transaction: committing version
// v on every monitor means applying the same transaction to every store.
//
// Contract (written by the lead):
// - Cores read through MonStoreRead and never mutate a store directly: they build a MonStoreTx and
//   hand it out (Quorum's Ready.persist). The shell (mon/store.ts) keeps a MemMonStore mirror and
//   writes every transaction to the key-value engine on disk, durably, before it sends the messages
//   that the same Ready produced. After a crash the mirror is rebuilt from disk.
// - Keys compare as bytes (Ceph's RocksDB order); versions are decimal strings as Ceph stringifies
//   them ("12"), so use versionKey() and list numerically where order matters.

import { Decoder, Encoder, compareStringBytes } from '../../common/encoding.js';
import { CephError } from '../../common/errors.js';

export const MonStoreOpType = { PUT: 1, ERASE: 2, COMPACT: 3, ERASE_RANGE: 4 } as const;

export type MonStoreOp =
  | { type: typeof MonStoreOpType.PUT; prefix: string; key: string; value: Buffer }
  | { type: typeof MonStoreOpType.ERASE; prefix: string; key: string }
  | { type: typeof MonStoreOpType.ERASE_RANGE; prefix: string; key: string; endKey: string }
  | { type: typeof MonStoreOpType.COMPACT; prefix: string; key: string; endKey: string };

/** Ceph stringifies version_t keys in decimal. */
export function versionKey(v: number): string {
  return String(v);
}

export class MonStoreTx {
  readonly ops: MonStoreOp[] = [];
  /** Ceph tracks these two totals in the encoding. */
  bytes = 0;
  keys = 0;

  put(prefix: string, key: string, value: Buffer): this {
    this.ops.push({ type: MonStoreOpType.PUT, prefix, key, value });
    this.bytes += prefix.length + key.length + value.length;
    this.keys++;
    return this;
  }
  putNumber(prefix: string, key: string, v: number): this {
    return this.put(prefix, key, encodeVersionValue(v));
  }
  erase(prefix: string, key: string): this {
    this.ops.push({ type: MonStoreOpType.ERASE, prefix, key });
    this.bytes += prefix.length + key.length;
    this.keys++;
    return this;
  }
  /** Erase keys in [key, endKey) of prefix (byte order). */
  eraseRange(prefix: string, key: string, endKey: string): this {
    this.ops.push({ type: MonStoreOpType.ERASE_RANGE, prefix, key, endKey });
    this.bytes += prefix.length + key.length + endKey.length;
    this.keys++;
    return this;
  }
  append(other: MonStoreTx): this {
    for (const op of other.ops) this.ops.push(op);
    this.bytes += other.bytes;
    this.keys += other.keys;
    return this;
  }
  get empty(): boolean {
    return this.ops.length === 0;
  }

  /** MonitorDBStore::Transaction::encode (v2, compat 1). */
  encode(): Buffer {
    const e = new Encoder();
    this.encodeInto(e);
    return e.toBuffer();
  }
  encodeInto(e: Encoder): void {
    e.startStruct(2, 1);
    e.u32(this.ops.length);
    for (const op of this.ops) {
      e.startStruct(2, 1);
      e.u8(op.type);
      e.string(op.prefix);
      e.string(op.key);
      e.bytes(op.type === MonStoreOpType.PUT ? op.value : EMPTY);
      e.string(op.type === MonStoreOpType.ERASE_RANGE || op.type === MonStoreOpType.COMPACT ? op.endKey : '');
      e.finishStruct();
    }
    e.u64(this.bytes);
    e.u64(this.keys);
    e.finishStruct();
  }

  static decode(buf: Uint8Array, label = 'MonitorDBStore::Transaction'): MonStoreTx {
    const d = new Decoder(buf, label);
    const tx = MonStoreTx.decodeFrom(d);
    if (!d.atEnd()) d.malformed('transaction', 'trailing bytes');
    return tx;
  }
  static decodeFrom(d: Decoder): MonStoreTx {
    const tx = new MonStoreTx();
    d.decodeStart(2, 'MonitorDBStore::Transaction');
    const n = d.count('ops', 5);
    for (let i = 0; i < n; i++) {
      d.decodeStart(2, 'MonitorDBStore::Op');
      const type = d.u8('op type');
      const prefix = d.string('prefix');
      const key = d.string('key');
      const value = d.bytes('value');
      const endKey = d.string('endkey');
      d.decodeFinish('MonitorDBStore::Op');
      switch (type) {
        case MonStoreOpType.PUT: tx.ops.push({ type, prefix, key, value: Buffer.from(value) }); break;
        case MonStoreOpType.ERASE: tx.ops.push({ type, prefix, key }); break;
        case MonStoreOpType.ERASE_RANGE: tx.ops.push({ type, prefix, key, endKey }); break;
        case MonStoreOpType.COMPACT: tx.ops.push({ type, prefix, key, endKey }); break;
        default: d.malformed('op type', `unknown store op ${type}`);
      }
    }
    tx.bytes = d.u64('bytes');
    tx.keys = d.u64('keys');
    d.decodeFinish('MonitorDBStore::Transaction');
    return tx;
  }
}

const EMPTY = Buffer.alloc(0);

/** Ceph stores version_t values (last_committed ...) as an encoded u64. */
export function encodeVersionValue(v: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return b;
}
export function decodeVersionValue(b: Uint8Array, what: string): number {
  if (b.length !== 8) throw new CephError('EIO', `${what}: expected 8 bytes, found ${b.length}`);
  return new Decoder(b, what).u64(what);
}

export interface MonStoreRead {
  get(prefix: string, key: string): Buffer | undefined;
  exists(prefix: string, key: string): boolean;
  /** get(prefix, key) decoded as a u64 version, or 0 when absent (Ceph's get_version semantics). */
  getNumber(prefix: string, key: string): number;
  /** Keys of prefix in byte order, from `from` (inclusive) on. */
  keys(prefix: string, from?: string): string[];
}

/** The in-memory store: the mirror the shell keeps, and the whole store in tests and the simulation. */
export class MemMonStore implements MonStoreRead {
  private readonly prefixes = new Map<string, Map<string, Buffer>>();

  get(prefix: string, key: string): Buffer | undefined {
    return this.prefixes.get(prefix)?.get(key);
  }
  exists(prefix: string, key: string): boolean {
    return this.prefixes.get(prefix)?.has(key) ?? false;
  }
  getNumber(prefix: string, key: string): number {
    const b = this.get(prefix, key);
    return b ? decodeVersionValue(b, `${prefix}/${key}`) : 0;
  }
  keys(prefix: string, from?: string): string[] {
    const m = this.prefixes.get(prefix);
    if (!m) return [];
    const out = [...m.keys()].filter((k) => from === undefined || compareStringBytes(k, from) >= 0);
    out.sort(compareStringBytes);
    return out;
  }
  prefixNames(): string[] {
    return [...this.prefixes.keys()].sort(compareStringBytes);
  }
  apply(tx: MonStoreTx): void {
    for (const op of tx.ops) {
      switch (op.type) {
        case MonStoreOpType.PUT: {
          let m = this.prefixes.get(op.prefix);
          if (!m) this.prefixes.set(op.prefix, (m = new Map()));
          m.set(op.key, op.value);
          break;
        }
        case MonStoreOpType.ERASE:
          this.prefixes.get(op.prefix)?.delete(op.key);
          break;
        case MonStoreOpType.ERASE_RANGE: {
          const m = this.prefixes.get(op.prefix);
          if (!m) break;
          for (const k of [...m.keys()]) {
            if (compareStringBytes(k, op.key) >= 0 && compareStringBytes(k, op.endKey) < 0) m.delete(k);
          }
          break;
        }
        case MonStoreOpType.COMPACT:
          break;
      }
    }
  }
  /** A deep copy (for the simulation's durable image). */
  clone(): MemMonStore {
    const c = new MemMonStore();
    for (const [p, m] of this.prefixes) c.prefixes.set(p, new Map(m));
    return c;
  }
  /** Every (prefix, key, value), ordered: for comparisons in tests. */
  entries(): Array<[string, string, Buffer]> {
    const out: Array<[string, string, Buffer]> = [];
    for (const p of this.prefixNames()) for (const k of this.keys(p)) out.push([p, k, this.get(p, k)!]);
    return out;
  }
}
