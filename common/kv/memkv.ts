// An in-memory KVStore: a sorted array of entries. For simulations and tests that need the KVStore
// contract without a device; nothing survives close().

import type { KVBatch, KVEntry, KVStats, KVStore } from './types.js';

export class MemKV implements KVStore {
  private keys: Buffer[] = [];
  private values: Buffer[] = [];
  private batches = 0;

  /** Index of the first key >= key. */
  private lowerBound(key: Buffer): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (Buffer.compare(this.keys[mid]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  async submit(batch: KVBatch): Promise<void> {
    for (const op of batch.ops) {
      if (op.op === 'set') {
        const i = this.lowerBound(op.key);
        const value = Buffer.from(op.value);
        if (i < this.keys.length && this.keys[i]!.equals(op.key)) this.values[i] = value;
        else {
          this.keys.splice(i, 0, Buffer.from(op.key));
          this.values.splice(i, 0, value);
        }
      } else if (op.op === 'rm') {
        const i = this.lowerBound(op.key);
        if (i < this.keys.length && this.keys[i]!.equals(op.key)) {
          this.keys.splice(i, 1);
          this.values.splice(i, 1);
        }
      } else {
        if (Buffer.compare(op.start, op.end) >= 0) continue;
        const a = this.lowerBound(op.start);
        const b = this.lowerBound(op.end);
        this.keys.splice(a, b - a);
        this.values.splice(a, b - a);
      }
    }
    this.batches++;
  }

  async get(key: Buffer): Promise<Buffer | undefined> {
    const i = this.lowerBound(key);
    return i < this.keys.length && this.keys[i]!.equals(key) ? this.values[i] : undefined;
  }

  async list(start: Buffer, end: Buffer | undefined, max: number): Promise<KVEntry[]> {
    const out: KVEntry[] = [];
    for (let i = this.lowerBound(start); i < this.keys.length && out.length < max; i++) {
      if (end && Buffer.compare(this.keys[i]!, end) >= 0) break;
      out.push({ key: this.keys[i]!, value: this.values[i]! });
    }
    return out;
  }

  async checkpoint(): Promise<void> {}

  stats(): KVStats {
    let bytes = 0;
    for (let i = 0; i < this.keys.length; i++) bytes += this.keys[i]!.length + this.values[i]!.length;
    return { cacheBytes: bytes, cacheBytesMax: Infinity, usedBytes: bytes, regionBytes: Infinity, keys: this.keys.length, batches: this.batches, flushes: 0 };
  }

  async close(): Promise<void> {}
}
