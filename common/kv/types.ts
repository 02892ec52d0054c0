// The key-value engine contract: ordered byte-string keys, atomic batches, ordered iteration. BlockStore
// keeps its metadata in it (on the same device as its data) and the monitors keep their store in it (on
// a file), as Ceph uses RocksDB for both.

/** One change in a batch. Keys compare as unsigned bytes (Buffer.compare). */
export type KVOp =
  | { readonly op: 'set'; readonly key: Buffer; readonly value: Buffer }
  | { readonly op: 'rm'; readonly key: Buffer }
  /** Remove every key k with start <= k < end. */
  | { readonly op: 'rmRange'; readonly start: Buffer; readonly end: Buffer };

/** An ordered list of changes applied atomically: after a crash either all are there or none. */
export class KVBatch {
  readonly ops: KVOp[] = [];
  /** Bytes of keys and values, for limits. */
  bytes = 0;
  set(key: Buffer, value: Buffer): this {
    this.ops.push({ op: 'set', key, value });
    this.bytes += key.length + value.length;
    return this;
  }
  rm(key: Buffer): this {
    this.ops.push({ op: 'rm', key });
    this.bytes += key.length;
    return this;
  }
  rmRange(start: Buffer, end: Buffer): this {
    this.ops.push({ op: 'rmRange', start, end });
    this.bytes += start.length + end.length;
    return this;
  }
  get empty(): boolean {
    return this.ops.length === 0;
  }
}

export interface KVEntry {
  readonly key: Buffer;
  readonly value: Buffer;
}

export interface KVStats {
  /** Bytes of pages held in the page cache (clean and dirty). */
  readonly cacheBytes: number;
  readonly cacheBytesMax: number;
  /** Bytes of the engine's region in use (pages referenced by the tree, plus the live journal). */
  readonly usedBytes: number;
  readonly regionBytes: number;
  readonly keys: number;
  /** Batches committed since open, and device flushes they took (group commit: flushes < batches). */
  readonly batches: number;
  readonly flushes: number;
}

export interface KVStore {
  /**
   * Commit a batch. Resolves once the batch is durable (sync true, the default) or applied in memory
   * and queued for the next flush (sync false). Batches apply in submission order; a read issued after
   * submit() returned sees the batch. Many batches share one device flush (group commit). The engine
   * takes what it keeps of the batch's keys and values before submit() returns (a copy or an encoding
   * of its own): the caller may reuse their buffers once the call is made (BlockStore reuses its
   * deferred records' buffers, osd/blockstore/recordpool.ts).
   */
  submit(batch: KVBatch, sync?: boolean): Promise<void>;
  get(key: Buffer): Promise<Buffer | undefined>;
  /** Entries with start <= key < end (end undefined: to the last key) in key order, at most `max`. */
  list(start: Buffer, end: Buffer | undefined, max: number): Promise<KVEntry[]>;
  /** Write everything to its home location and trim the journal (the shell also does this on its own). */
  checkpoint(): Promise<void>;
  stats(): KVStats;
  close(): Promise<void>;
}
