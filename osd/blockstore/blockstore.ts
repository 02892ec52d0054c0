// BlockStore: the ObjectStore on one block device (a regular file or a device node), no filesystem in
// between. This file is the shell around the pure transaction core (core/transaction.ts): it prefetches what the
// core needs, runs it, writes new data, commits the KV batch (group commit shares one flush among many
// transactions), applies deferred small writes in place afterwards, and serves reads.
//
// Transaction pipeline, one transaction at a time through each stage, stages overlapping:
//   1. prepare (serial, in queue order): load onodes (cache or KV), run the core, fetch what it asks
//      for and run it again; then publish the plan's onodes to the cache (pinned until durable), take
//      its blocks from the allocator and keep the content of every block it will write (`pendingRuns`
//      for new data, `pendingBlocks` for deferred blocks) so reads and later prepares see it before
//      the device does.
//   2. data: write newly allocated blocks of large writes; then make them durable (a device flush,
//      shared with any other flush that started after the writes landed) before any metadata names
//      them. Small writes skip this stage: their data rides in the KV batch (the deferred record).
//   3. commit: submit the KV batch in queue order (onodes, extent shards, omap, the deferred record);
//      many batches share one KV flush. The transaction's promise resolves when the batch is durable.
//   4. deferred: after commit, write journaled small writes in place, then release the blocks the
//      transaction freed; the deferred records are removed by a later batch once a flush has covered
//      the in-place writes.
//
// The shell uses no clock or filesystem (the device and KV engine are handed in); its one timer is the
// event-loop turn of group commit (submitGrouped). The pure parts live in ./core.

import { randomUUID } from 'node:crypto';
import { CephError, assert } from '../../common/errors.js';
import { qd1Stamp, qd1Trace } from '../../common/qd1trace.js';
import { cephCrc32c, crc32c, noteCrc32cOfAll } from '../../common/crc32c.js';
import { compareStringBytes } from '../../common/encoding.js';
import { BufferPool, READ_POOL_READ_BYTES_MIN, releaser, type PooledRead } from '../../common/bufpool.js';
import type { BlockDevice } from '../../common/blockdev/types.js';
import { KVBatch, type KVStore } from '../../common/kv/types.js';
import { BATCH_BYTES_MAX, BATCH_OPS_MAX } from '../../common/kv/core/limits.js';
import { MemKV } from '../../common/kv/memkv.js';
import { formatKV, openKV } from '../../common/kv/devicekv.js';
import {
  PAGE_ENTRIES_MAX, objectText, type CollectionId, type FsckProblem, type FsckReport, type GHObject, type ListResult,
  type ObjectStat, type ObjectStore, type OmapPage, type StoreMemory, type StoreStatfs, type Transaction,
} from '../objectstore/types.js';
import { isCount } from '../objectstore/validate.js';
import { Allocator } from './core/allocator.js';
import { combineBlockCrc } from './core/blockcrc.js';
import {
  prepareTransaction, needsBarrier, referencedObjects, type CollState, type CoreEnv, type CoreNeeds, type CorePlan, type OmapContent, type OnodeKeyOf,
} from './core/transaction.js';
import {
  COLLECTIONS_END, COLLECTIONS_START, DEFERRED_END, DEFERRED_START, NID_MAX_KEY, OMAP_END, OMAP_START,
  OMAP_KEY_PREFIX_BYTES, ONODES_END, ONODES_START, SHARDS_END, SHARDS_START, collectionFromKey,
  decodeDeferredKey, decodeOmapKey, decodeOnodeKey, decodeShardKey, deferredKey, keyAfter, omapEntriesRange, omapHeaderKey,
  omapKey, omapRange, onodeKey, onodePrefix, onodePrefixEnd, shardRange,
} from './core/keys.js';
import { decodeSuperblock, encodeSuperblock, planLayout, FORMAT_VERSION, type Region, type Superblock } from './core/layout.js';
import {
  BLOCK_BYTES, CACHE_BYTES_MAX, DEFERRED_FRESH_WRITE_BYTES_MAX, DEFERRED_PENDING_BYTES_MAX, KV_JOURNAL_BYTES_MAX, KV_JOURNAL_BYTES_MIN, KV_JOURNAL_FRACTION, DEFERRED_RECORDS_MAX, DEFERRED_WRITE_BYTES_MAX,
  SCAN_PAGE_ENTRIES, SHARD_BLOCKS, SHARD_SHIFT,
} from './core/limits.js';
import {
  decodeCollection, decodeDeferred, decodeNidMax, decodeOnode, decodeShard, deferredRecordBlock, deferredRecordBytes, encodeDeferred,
  onodeAllocatedBytes, onodeBytes, type DeferredBlock, type Onode,
} from './core/onode.js';
import { DeferredRecordPool } from './recordpool.js';

export interface BlockStoreLogger {
  error(message: string): void;
  warn(message: string): void;
}

/** How BlockStore makes and opens its KV engine in the superblock's KV region. */
export interface KVFactory {
  format(dev: BlockDevice, region: Region): Promise<void>;
  open(dev: BlockDevice, region: Region): Promise<KVStore>;
}

export interface BlockStoreOptions {
  /** Byte cap of the onode cache. */
  cacheBytesMax?: number;
  /** Deferred bytes committed but not yet written in place before new transactions wait. */
  deferredBytesMax?: number;
  /** Overwrites up to this many bytes of blocks an object owns are journaled (0: never). */
  deferredWriteBytesMax?: number;
  /** Writes up to this many bytes to new blocks (new objects, appends, holes) are journaled (0: never). */
  deferredFreshBytesMax?: number;
  logger?: BlockStoreLogger;
  /** The KV engine (default: tsceph's device KV engine in the superblock's KV region). */
  kv?: KVFactory;
  /** Page cache cap of the KV engine (default the engine's). */
  kvCacheBytesMax?: number;
  /** KV region size for mkfs (default: 1/16 of the device within limits). */
  kvBytes?: number;
  /** The uuid mkfs writes (default random). */
  uuid?: string;
}

const consoleLogger: BlockStoreLogger = {
  error: (m) => console.error(`blockstore: ${m}`),
  warn: () => {},
};

/** tsceph's device KV engine (common/kv/devicekv.ts) in the KV region: the default. */
export function deviceKVFactory(opts: { cacheBytesMax?: number } = {}): KVFactory {
  return {
    format: (dev, region) => formatKV(dev, region, { journalBytes: kvJournalBytes(region.length) }),
    open: (dev, region) => openKV(dev, region, opts.cacheBytesMax === undefined ? {} : { cacheBytesMax: opts.cacheBytesMax }),
  };
}

/** The journal size BlockStore formats its KV region with (see limits.ts). */
export function kvJournalBytes(regionBytes: number): number {
  const j = Math.floor(regionBytes / KV_JOURNAL_FRACTION / BLOCK_BYTES) * BLOCK_BYTES;
  return Math.min(KV_JOURNAL_BYTES_MAX, Math.max(KV_JOURNAL_BYTES_MIN, j));
}

/** The largest batch a KV engine takes, when it says (DeviceKV does). */
function kvBatchBytesMax(kv: KVStore): number {
  const v = (kv as { batchBytesMax?: unknown }).batchBytesMax;
  return typeof v === 'number' ? v : Infinity;
}

const memKVs = new WeakMap<BlockDevice, MemKV>();

/**
 * A KV factory over MemKV, kept per device object: a stand-in for the device KV engine in tests (the
 * metadata lives in RAM beside the device, so remounting the same device object finds it).
 */
export const memKVFactory: KVFactory = {
  async format(dev) {
    memKVs.set(baseDevice(dev), new MemKV());
  },
  async open(dev) {
    const kv = memKVs.get(baseDevice(dev));
    if (!kv) throw new CephError('EIO', `${dev.name}: no in-memory KV for this device`);
    return kv;
  },
};

function baseDevice(dev: BlockDevice): BlockDevice {
  return dev instanceof TrackedDevice ? dev.base : dev;
}

/** Read and check a device's superblock (for tools: `--op info`). */
export async function readBlockStoreSuperblock(dev: BlockDevice): Promise<Superblock> {
  if (dev.size < BLOCK_BYTES) throw new CephError('EINVAL', `${dev.name}: not a tsceph BlockStore (bad magic)`);
  return decodeSuperblock(await dev.read(0, BLOCK_BYTES), dev.name);
}

/** A device's flushSync() as a promise (settled before it is returned). */
function flushOnThisThread(dev: BlockDevice): Promise<void> {
  try {
    dev.flushSync!();
    return Promise.resolve();
  } catch (err) {
    return Promise.reject(err as Error);
  }
}

/**
 * The device as the store and its KV engine see it: counts flushes so a write's durability can be
 * known. A KV flush while the store has at most one transaction in flight (one write at a time, as
 * `rados bench -t 1`) is made on the event loop's thread (flushSync): nothing else waits for the loop,
 * and the thread pool would add two thread wake-ups to each write's latency. With more in flight the
 * flush goes to the pool, so the loop keeps preparing the next group meanwhile; so do data flushes
 * (durable()), which follow large writes whose bytes may still be leaving by socket.
 */
class TrackedDevice implements BlockDevice {
  started = 0;
  completed = 0;
  private readonly inflight = new Map<number, Promise<void>>();
  /** `flushInline()`: true when the store has nothing else to do while a flush runs (flushSync then). */
  constructor(private readonly dev: BlockDevice, private readonly flushInline: () => boolean = () => false) {}
  /** The device this one wraps. */
  get base(): BlockDevice {
    return this.dev;
  }
  get size(): number {
    return this.dev.size;
  }
  get name(): string {
    return this.dev.name;
  }
  read(offset: number, length: number): Promise<Buffer> {
    return this.dev.read(offset, length);
  }
  readInto(offset: number, into: Buffer): Promise<void> {
    return this.dev.readInto(offset, into);
  }
  write(offset: number, data: readonly Buffer[]): Promise<void> {
    return this.dev.write(offset, data);
  }
  /** The KV engine's flushes (journal records, checkpoints): inline while the store is otherwise idle. */
  flush(): Promise<void> {
    return this.flushWith(this.dev.flushSync !== undefined && this.flushInline());
  }
  private async flushWith(inline: boolean): Promise<void> {
    const seq = ++this.started;
    const p = inline ? flushOnThisThread(this.dev) : this.dev.flush();
    this.inflight.set(seq, p);
    try {
      await p;
      if (seq > this.completed) this.completed = seq;
    } finally {
      this.inflight.delete(seq);
    }
  }
  /** The flush number that will cover writes that have landed by now. */
  get nextFlush(): number {
    return this.started + 1;
  }
  /**
   * Resolve once a flush numbered >= `need` has completed, joining one in progress or starting one.
   * While an older flush (one that cannot cover these writes) is in progress, wait for it first: every
   * caller that arrives meanwhile then shares the one flush started after it (group commit for data
   * writes; 32 large writes in flight otherwise each started their own fdatasync).
   */
  async durable(need: number): Promise<void> {
    while (this.completed < need) {
      let wait: Promise<void> | undefined;
      let newest = 0;
      for (const [seq, p] of this.inflight) {
        if (seq >= need) {
          wait = p;
          break;
        }
        if (seq > newest) {
          newest = seq;
          wait = p;
        }
      }
      if (wait) await wait.catch(() => {});
      else await this.flushWith(false); // data writes (large ones: sockets may still be sending them) use the pool
    }
  }
  close(): Promise<void> {
    return this.dev.close();
  }
}

/** A data write in flight: `count` blocks from device block `start`, their bytes in `data` (whole blocks). */
interface PendingRun {
  readonly start: number;
  readonly count: number;
  readonly data: readonly Buffer[];
  readonly token: number;
}

/** Block `k` of a run's buffers (a view). */
function runBlock(data: readonly Buffer[], k: number): Buffer {
  let at = k * BLOCK_BYTES;
  for (const b of data) {
    if (at < b.length) return b.subarray(at, at + BLOCK_BYTES);
    at -= b.length;
  }
  assert(false, 'block inside its run');
}

interface CacheEntry {
  onode: Onode | null;
  bytes: number;
  pins: number;
  /** Read since trimming last passed it (the CLOCK bit). */
  ref: boolean;
}

/** A block whose newest write has not landed on the device: reads and prepares take its data from here. */
interface PendingBlock {
  /** The caller's bytes until the group's deferred record is built, then a view of that record. */
  data: Buffer;
  readonly token: number;
}

/** A deferred block of one transaction on its way to its in-place write. */
interface DeferredWrite {
  readonly pblock: number;
  readonly pending: PendingBlock;
}

/**
 * The journal record of the deferred blocks of the transactions that share one KV batch (one record
 * per batch, not per transaction: one tree insert and one removal per group). It is removed once every
 * one of those transactions has had its blocks written in place and a flush has covered them.
 */
interface DeferredRecord {
  readonly seq: number;
  jobsLeft: number;
  /** The pooled buffer the record is encoded in: given back once its last job is in place (recordpool.ts). */
  readonly buf: Buffer;
}

interface DeferredJob {
  readonly record: DeferredRecord | undefined;
  readonly writes: readonly DeferredWrite[];
  readonly freed: number[];
}

/** A transaction's KV batch waiting for its group (submitGrouped). */
interface HeldBatch {
  readonly batch: KVBatch;
  /** The transaction's deferred blocks: their record goes into the merged batch (submitMerged). */
  readonly writes: readonly DeferredWrite[];
  /** The record that holds `writes`, once submitMerged has built it. */
  record: DeferredRecord | undefined;
  /** Resolves once the batch is durable. */
  durable: Promise<void>;
  resolve: () => void;
  reject: (e: Error) => void;
}

const NO_WRITES: readonly DeferredWrite[] = [];
/** A placeholder promise (HeldBatch.durable before its own is made). */
const NEVER: Promise<void> = new Promise<void>(noop);
const NO_BLOCKS: ReadonlyMap<number, Buffer> = new Map();
const NO_OMAPS: ReadonlyMap<number, OmapContent> = new Map();
const NO_LISTINGS: ReadonlyMap<CollectionId, readonly string[]> = new Map();

/** Batch bytes of a deferred record of `blocks` blocks under its key. */
function deferredEntryBytes(blocks: number): number {
  return blocks === 0 ? 0 : DEFERRED_KEY_BYTES + deferredRecordBytes(blocks);
}

interface Mounted {
  readonly sb: Superblock;
  readonly kv: KVStore;
  alloc: Allocator;
  readonly collections: Map<CollectionId, CollState>;
  nidNext: number;
  nidMax: number;
  deferredSeq: number;
  storedBytes: number;
}

function noop(): void {}

/** Bytes of a deferred record's key ('D', u64 sequence). */
const DEFERRED_KEY_BYTES = 9;
/** Bytes of each batch kept for removing applied deferred records. */
const DEFERRED_REMOVAL_ROOM_BYTES = DEFERRED_KEY_BYTES * 256;
const EMPTY = Buffer.alloc(0);
/** A logical block's index inside its extent shard. */
const SHARD_MASK = SHARD_BLOCKS - 1;

export class BlockStore implements ObjectStore {
  readonly type = 'blockstore';
  /** Landing Buffers of large reads whose results go out in a message (readPooled). */
  readonly readPool = new BufferPool();
  private readonly dev: TrackedDevice;
  private readonly cacheBytesMax: number;
  private readonly deferredBytesMax: number;
  private readonly deferredWriteBytesMax: number;
  private readonly deferredFreshBytesMax: number;
  private readonly logger: BlockStoreLogger;
  private readonly kvFactory: KVFactory;
  private readonly opts: BlockStoreOptions;
  private m: Mounted | undefined;
  private failed: Error | undefined;

  // Pipeline state.
  private prepareTail: Promise<unknown> = Promise.resolve();
  private submitTail: Promise<void> = Promise.resolve();
  private commitTail: Promise<void> = Promise.resolve();
  private readonly inflight = new Map<string, Promise<void>>();
  /** Deferred blocks not yet written in place, by device block: reads and prepares take them from here. */
  private readonly pendingBlocks = new Map<number, PendingBlock>();
  /** Runs of newly allocated blocks whose data write has not landed yet (one entry per write, not per block). */
  private pendingRuns: PendingRun[] = [];
  private blockToken = 0;
  private mutationEpoch = 0;
  /** Batches waiting for the group in the KV engine to be durable (submitGrouped). */
  private held: HeldBatch[] = [];
  private groupOutstanding = false;
  private groupScheduled = false;

  // Onode cache, CLOCK-style: insertion order is the eviction order; a hit only sets the entry's `ref`
  // bit, and trimming moves a referenced entry to the back (clearing the bit) instead of evicting it.
  private readonly cache = new Map<string, CacheEntry>();
  /**
   * Each object's onode key, built once per GHObject (an OSD op asks exists, getattr and read of the same
   * object, then its write's prepare: one key instead of four); GHObjects are immutable, and the entry
   * goes with the object.
   */
  private readonly keyMemo = new WeakMap<GHObject, OnodeKeyOf>();
  private cacheBytes = 0;

  // Deferred writes.
  private readonly deferredQueue: DeferredJob[] = [];
  private deferredRunning: Promise<void> | undefined;
  /** A turn is scheduled to start the in-place writes (scheduleDeferred), or they wait for the next group. */
  private deferredScheduled = false;
  private deferredAfterGroup = false;
  private deferredPendingBytes = 0;
  private deferredWaiters: (() => void)[] = [];
  /** Records written in place, waiting for a flush numbered >= need before their removal. */
  private readonly deferredApplied: { seq: number; need: number }[] = [];
  /** Buffers of deferred records, reused (ownership: recordpool.ts). */
  readonly recordPool = new DeferredRecordPool();
  /** Transactions queued and not yet settled (durable or failed): at most 1, KV flushes run inline. */
  private transactionsInFlight = 0;
  private readonly transactionSettled = (): void => {
    this.transactionsInFlight--;
  };

  constructor(device: BlockDevice, opts: BlockStoreOptions = {}) {
    this.dev = new TrackedDevice(device, () => this.transactionsInFlight <= 1);
    this.cacheBytesMax = opts.cacheBytesMax ?? CACHE_BYTES_MAX;
    this.deferredBytesMax = opts.deferredBytesMax ?? DEFERRED_PENDING_BYTES_MAX;
    this.deferredWriteBytesMax = opts.deferredWriteBytesMax ?? DEFERRED_WRITE_BYTES_MAX;
    this.deferredFreshBytesMax = opts.deferredFreshBytesMax ?? DEFERRED_FRESH_WRITE_BYTES_MAX;
    this.logger = opts.logger ?? consoleLogger;
    this.kvFactory = opts.kv ?? deviceKVFactory(opts.kvCacheBytesMax === undefined ? {} : { cacheBytesMax: opts.kvCacheBytesMax });
    this.opts = opts;
  }

  // ---------------------------------------------------------------------------------------------
  // mkfs / mount / umount

  async mkfs(): Promise<void> {
    if (this.m) throw new CephError('EBUSY', `${this.dev.name}: mkfs of a mounted BlockStore`);
    const { kv, data } = planLayout(this.dev.size, this.opts.kvBytes);
    // Wipe the old superblock first: a crash inside mkfs leaves a device that does not mount.
    await this.dev.write(0, [Buffer.alloc(BLOCK_BYTES)]);
    await this.dev.flush();
    await this.kvFactory.format(this.dev, kv);
    const sb: Superblock = {
      formatVersion: FORMAT_VERSION, uuid: this.opts.uuid ?? randomUUID(), deviceBytes: this.dev.size,
      blockBytes: BLOCK_BYTES, kv, data,
    };
    await this.dev.write(0, [encodeSuperblock(sb)]);
    await this.dev.flush();
  }

  async mount(): Promise<void> {
    if (this.m) throw new CephError('EBUSY', `${this.dev.name}: already mounted`);
    const sb = await readBlockStoreSuperblock(this.dev);
    if (sb.deviceBytes > this.dev.size) {
      throw new CephError('EINVAL', `${this.dev.name}: the superblock says ${sb.deviceBytes} bytes, the device has ${this.dev.size}`);
    }
    const kv = await this.kvFactory.open(this.dev, sb.kv);
    const alloc = new Allocator(sb.data.offset / BLOCK_BYTES, sb.data.length / BLOCK_BYTES);
    const m: Mounted = { sb, kv, alloc, collections: new Map(), nidNext: 1, nidMax: 1, deferredSeq: 0, storedBytes: 0 };
    try {
      for await (const e of this.scan(kv, COLLECTIONS_START, COLLECTIONS_END)) {
        const cid = collectionFromKey(e.key);
        m.collections.set(cid, { bits: decodeCollection(e.value, `collection ${cid}`).bits, objects: 0 });
      }
      let maxNid = 0;
      for await (const e of this.scan(kv, ONODES_START, ONODES_END)) {
        const { cid, oid } = decodeOnodeKey(e.key);
        const o = decodeOnode(e.value, `onode of ${cid} ${objectText(oid)}`);
        const c = m.collections.get(cid);
        if (c) m.collections.set(cid, { bits: c.bits, objects: c.objects + 1 });
        else this.logger.error(`mount: onode ${objectText(oid)} of a missing collection ${cid} (run fsck)`);
        m.storedBytes += o.size;
        if (o.nid > maxNid) maxNid = o.nid;
      }
      // Deferred records: the blocks they name, so the shard scan can collect the crcs their owners expect.
      const records: { seq: number; blocks: DeferredBlock[] }[] = [];
      const expected = new Map<number, number>();
      for await (const e of this.scan(kv, DEFERRED_START, DEFERRED_END)) {
        const seq = decodeDeferredKey(e.key);
        try {
          const blocks = decodeDeferred(e.value, `deferred record ${seq}`);
          records.push({ seq, blocks });
          for (const b of blocks) expected.set(b.pblock, -1);
        } catch (err) {
          this.logger.error(`mount: ${(err as Error).message}; record dropped`);
          records.push({ seq, blocks: [] });
        }
        if (seq >= m.deferredSeq) m.deferredSeq = seq + 1;
      }
      let conflicts = 0;
      for await (const e of this.scan(kv, SHARDS_START, SHARDS_END)) {
        const { nid, shard } = decodeShardKey(e.key);
        const s = decodeShard(e.value, `extent shard ${shard} of node ${nid}`);
        for (let i = 0; i < SHARD_BLOCKS; i++) {
          const pb = s.pblocks[i]!;
          if (pb === 0) continue;
          if (!alloc.claim(pb)) conflicts++;
          if (expected.has(pb)) expected.set(pb, s.crcs[i]!);
        }
      }
      if (conflicts) this.logger.error(`mount: ${conflicts} blocks are claimed twice or lie outside the data region (run fsck)`);
      const stored = await kv.get(NID_MAX_KEY);
      const nidMax = stored ? decodeNidMax(stored) : 1;
      m.nidMax = nidMax;
      m.nidNext = Math.max(nidMax, maxNid + 1);
      await this.replayDeferred(kv, records, expected);
    } catch (err) {
      await kv.close().catch(noop);
      throw err;
    }
    this.m = m;
    this.failed = undefined;
  }

  /** Write journaled overwrites whose owners still expect them, flush, and drop the records. */
  private async replayDeferred(kv: KVStore, records: { seq: number; blocks: DeferredBlock[] }[], expected: Map<number, number>): Promise<number> {
    if (records.length === 0) return 0;
    records.sort((a, b) => a.seq - b.seq);
    // The last record naming a block wins; apply only what the extent map's crc says the block holds.
    const latest = new Map<number, Buffer>();
    for (const r of records) for (const b of r.blocks) latest.set(b.pblock, b.data);
    let applied = 0;
    for (const [pb, data] of latest) {
      const want = expected.get(pb);
      if (want === undefined || want < 0) continue;
      if (crc32c(data) !== want) continue;
      await this.dev.write(pb * BLOCK_BYTES, [data]);
      applied++;
    }
    await this.dev.flush();
    const batch = new KVBatch();
    for (const r of records) batch.rm(deferredKey(r.seq));
    await kv.submit(batch);
    return applied;
  }

  async umount(): Promise<void> {
    const m = this.need();
    await this.quiesce();
    await this.drainDeferred();
    await this.cleanupDeferred(true);
    if (!this.failed) {
      await this.dev.flush();
      await m.kv.checkpoint();
    }
    await m.kv.close();
    this.m = undefined;
    this.cache.clear();
    this.cacheBytes = 0;
    this.inflight.clear();
    this.pendingBlocks.clear();
    this.pendingRuns = [];
  }

  private need(): Mounted {
    if (!this.m) throw new CephError('EINVAL', `${this.dev.name}: BlockStore is not mounted`);
    return this.m;
  }

  private needWritable(): Mounted {
    const m = this.need();
    if (this.failed) throw new CephError('EIO', `${this.dev.name}: BlockStore stopped after a device error: ${this.failed.message}`);
    return m;
  }

  private async *scan(kv: KVStore, start: Buffer, end: Buffer): AsyncGenerator<{ key: Buffer; value: Buffer }> {
    let from = start;
    for (;;) {
      const page = await kv.list(from, end, SCAN_PAGE_ENTRIES);
      for (const e of page) yield e;
      if (page.length < SCAN_PAGE_ENTRIES) return;
      from = keyAfter(page[page.length - 1]!.key);
    }
  }

  /** Every transaction queued so far has been prepared and submitted to the KV. */
  private async quiesce(): Promise<void> {
    await this.prepareTail.catch(noop);
    await this.committed();
  }

  /** Every transaction prepared so far is durable (called from inside the prepare queue by fsck). */
  private async committed(): Promise<void> {
    await this.submitTail.catch(noop);
    await this.commitTail.catch(noop);
  }

  // ---------------------------------------------------------------------------------------------
  // The onode cache

  private cacheGet(key: string): CacheEntry | undefined {
    const e = this.cache.get(key);
    if (e !== undefined) e.ref = true;
    return e;
  }

  private cachePut(key: string, onode: Onode | null, pin: boolean): void {
    const old = this.cache.get(key);
    const bytes = onode ? onodeBytes(onode) : 64 + key.length;
    if (old) {
      this.cacheBytes -= old.bytes;
      this.cache.delete(key);
    }
    const e: CacheEntry = { onode, bytes, pins: (old?.pins ?? 0) + (pin ? 1 : 0), ref: false };
    this.cache.set(key, e);
    this.cacheBytes += bytes;
    this.trimCache();
  }

  private unpin(key: string): void {
    const e = this.cache.get(key);
    if (e && e.pins > 0) e.pins--;
  }

  private trimCache(): void {
    if (this.cacheBytes <= this.cacheBytesMax) return;
    // An entry moved to the back is visited again later in this loop (Map iteration sees it), its bit
    // clear by then: every entry is moved at most once per trim.
    for (const [k, e] of this.cache) {
      if (this.cacheBytes <= this.cacheBytesMax) break;
      if (e.pins > 0) continue;
      this.cache.delete(k);
      if (e.ref) {
        e.ref = false;
        this.cache.set(k, e);
        continue;
      }
      this.cacheBytes -= e.bytes;
    }
  }

  /** The onode under `key` with all its extent shards: from the cache, else from the KV. */
  private async loadOnode(key: Buffer, keyStr: string, what: () => string): Promise<Onode | null> {
    const m = this.need();
    for (;;) {
      const hit = this.cacheGet(keyStr);
      if (hit) return hit.onode;
      const epoch = this.mutationEpoch;
      const value = await m.kv.get(key);
      let onode: Onode | null = null;
      if (value) {
        onode = decodeOnode(value, `onode of ${what()}`);
        const [s0, s1] = shardRange(onode.nid);
        for await (const e of this.scan(m.kv, s0, s1)) {
          const { shard } = decodeShardKey(e.key);
          onode.shards.set(shard, decodeShard(e.value, `extent shard ${shard} of ${what()}`));
        }
      }
      if (epoch !== this.mutationEpoch) continue; // a transaction changed things meanwhile: read again
      if (!this.cache.has(keyStr)) this.cachePut(keyStr, onode, false);
      return onode;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Transactions

  queueTransaction(t: Transaction): Promise<void> {
    if (qd1Trace) qd1Stamp('bs.queue');
    let m: Mounted;
    try {
      m = this.needWritable();
    } catch (err) {
      return Promise.reject(err);
    }
    const prepared = this.prepareTail.then(() => this.prepare(m, t));
    // transactionsInFlight is counted down by reactions each transaction has anyway: here if it fails
    // in prepare, else in publish once its commit has settled.
    this.transactionsInFlight++;
    this.prepareTail = prepared.then(undefined, this.transactionSettled);
    return prepared.then((p) => p.commit);
  }

  /**
   * Stage 1; returns the promise of the transaction's durability (stages 2-4 run on their own), boxed
   * so that the prepare queue does not wait for it.
   */
  private async prepare(m: Mounted, t: Transaction): Promise<{ commit: Promise<void> }> {
    if (this.failed) throw new CephError('EIO', `${this.dev.name}: BlockStore stopped after a device error: ${this.failed.message}`);
    while (this.deferredPendingBytes > this.deferredBytesMax && !this.failed) await new Promise<void>((r) => this.deferredWaiters.push(r));
    // A split lists the collection and a clone reads the source's omap from the KV: let every earlier
    // transaction become durable first (a KV engine may apply a submitted batch only later).
    if (needsBarrier(t)) await this.committed();
    const onodes = new Map<string, Onode | null>();
    // Made when the core first asks for blocks, omaps or listings (an overwrite of cached objects does not).
    let blocks: Map<number, Buffer> | undefined;
    let omaps: Map<number, OmapContent> | undefined;
    let listings: Map<CollectionId, string[]> | undefined;
    let loads: Promise<void>[] | undefined;
    const onodeKeys = new Map<GHObject, OnodeKeyOf>();
    for (const [cid, oid] of referencedObjects(t)) {
      const k = this.keyOf(cid, oid);
      const { key, keyStr } = k;
      if (!onodeKeys.has(oid)) onodeKeys.set(oid, k);
      if (onodes.has(keyStr)) continue;
      // A cached onode is taken at once: no promise and no event-loop turn for the common case.
      const hit = this.cacheGet(keyStr);
      if (hit) {
        onodes.set(keyStr, hit.onode);
        continue;
      }
      onodes.set(keyStr, null);
      (loads ??= []).push(this.loadOnode(key, keyStr, () => `${cid} ${objectText(oid)}`).then((o) => void onodes.set(keyStr, o)));
    }
    if (loads) await Promise.all(loads);
    let plan: CorePlan | undefined;
    for (let round = 0; !plan; round++) {
      assert(round < 16, 'the transaction core keeps asking for more');
      const env: CoreEnv = {
        collections: m.collections, onodes, blocks: blocks ?? NO_BLOCKS, omaps: omaps ?? NO_OMAPS, listings: listings ?? NO_LISTINGS,
        allocator: m.alloc, nidNext: m.nidNext, nidMax: m.nidMax, deferredWriteBytesMax: this.deferredWriteBytesMax,
        deferredFreshBytesMax: this.deferredFreshBytesMax, onodeKeys,
      };
      const r = prepareTransaction(t, env);
      if (r.plan) {
        plan = r.plan;
        break;
      }
      blocks ??= new Map();
      omaps ??= new Map();
      listings ??= new Map();
      await this.fetchNeeds(m, r.needs, onodes, blocks, omaps, listings);
    }
    // Leave room for the deferred-record removals a batch may carry.
    const limit = kvBatchBytesMax(m.kv) - DEFERRED_REMOVAL_ROOM_BYTES;
    const bytes = plan.batch.bytes + deferredEntryBytes(plan.deferred.length);
    if (bytes > limit) {
      for (const run of plan.allocated) m.alloc.release(run.start, run.length);
      throw new CephError('E2BIG', `blockstore: the transaction's metadata is ${bytes} bytes, over the KV engine's batch limit of ${limit}`);
    }
    if (qd1Trace) qd1Stamp('bs.prepared');
    return { commit: this.publish(m, plan) };
  }

  private async fetchNeeds(
    m: Mounted, needs: CoreNeeds, onodes: Map<string, Onode | null>, blocks: Map<number, Buffer>,
    omaps: Map<number, OmapContent>, listings: Map<CollectionId, string[]>,
  ): Promise<void> {
    const jobs: Promise<void>[] = [];
    for (const keyStr of needs.onodes) {
      const key = Buffer.from(keyStr, 'latin1');
      jobs.push(this.loadOnode(key, keyStr, () => { const d = decodeOnodeKey(key); return `${d.cid} ${objectText(d.oid)}`; }).then((o) => void onodes.set(keyStr, o)));
    }
    const want = [...needs.blocks].sort((a, b) => a - b);
    for (const run of runsOf(want)) jobs.push(this.readBlocks(run[0]!, run.length).then((bufs) => bufs.forEach((b, i) => blocks.set(run[i]!, b))));
    for (const nid of needs.omaps) {
      jobs.push((async () => {
        const [a, b] = omapRange(nid);
        let header: Buffer | undefined;
        const entries = new Map<string, Buffer>();
        for await (const e of this.scan(m.kv, a, b)) {
          const k = decodeOmapKey(e.key);
          if (k.key === undefined) header = e.value;
          else entries.set(k.key, e.value);
        }
        omaps.set(nid, { header, entries });
      })());
    }
    for (const cid of needs.listings) {
      jobs.push((async () => {
        const keys: string[] = [];
        for await (const e of this.scan(m.kv, onodePrefix(cid), onodePrefixEnd(cid))) keys.push(e.key.toString('latin1'));
        listings.set(cid, keys);
      })());
    }
    await Promise.all(jobs);
  }

  /** `count` device blocks from `start`, each from pendingRuns / pendingBlocks when a write of it has not landed. */
  private async readBlocks(start: number, count: number): Promise<Buffer[]> {
    const out: Buffer[] = new Array(count);
    // Deferred blocks are copied: their bytes live in a pooled record buffer the caller must not keep a view of.
    if (!this.fillPending(start, count, out, true)) return out;
    const buf = await this.dev.read(start * BLOCK_BYTES, count * BLOCK_BYTES);
    // Check again: a write may have been published while the read ran; its content wins.
    const again: Buffer[] = new Array(count);
    this.fillPending(start, count, again, true);
    for (let i = 0; i < count; i++) out[i] = again[i] ?? out[i] ?? buf.subarray(i * BLOCK_BYTES, (i + 1) * BLOCK_BYTES);
    return out;
  }

  /**
   * Put into `out` the content of each block of [start, start+count) whose newest write has not landed
   * (the entry with the highest token wins); true when some block has none. A deferred block is a view
   * of a pooled record buffer (recordpool.ts): the caller copies it out before it awaits anything, or
   * asks for a copy (`copyDeferred`).
   */
  private fillPending(start: number, count: number, out: Buffer[], copyDeferred = false): boolean {
    let tokens: number[] | undefined;
    const end = start + count;
    for (const r of this.pendingRuns) {
      const a = Math.max(start, r.start);
      const z = Math.min(end, r.start + r.count);
      if (a >= z) continue;
      tokens ??= new Array<number>(count).fill(0);
      for (let pb = a; pb < z; pb++) {
        if (r.token < tokens[pb - start]!) continue;
        tokens[pb - start] = r.token;
        out[pb - start] = runBlock(r.data, pb - r.start);
      }
    }
    let missing = false;
    for (let i = 0; i < count; i++) {
      const p = this.pendingBlocks.size ? this.pendingBlocks.get(start + i) : undefined;
      if (p && (!tokens || p.token > tokens[i]!)) out[i] = copyDeferred ? Buffer.from(p.data) : p.data;
      else if (!out[i]) missing = true;
    }
    return missing;
  }

  private clearPending(pb: number, token: number): void {
    if (this.pendingBlocks.get(pb)?.token === token) this.pendingBlocks.delete(pb);
  }

  /** Make the plan the store's state in memory and start stages 2-4. */
  private publish(m: Mounted, plan: CorePlan): Promise<void> {
    this.mutationEpoch++;
    m.storedBytes += plan.storedDelta;
    for (const [cid, c] of plan.collections) {
      if (c) m.collections.set(cid, c);
      else m.collections.delete(cid);
    }
    m.nidNext = plan.nidNext;
    m.nidMax = plan.nidMax;
    const runs: PendingRun[] = [];
    for (const w of plan.dataWrites) {
      let bytes = 0;
      for (const b of w.data) bytes += b.length;
      const run: PendingRun = { start: w.offset / BLOCK_BYTES, count: bytes / BLOCK_BYTES, data: w.data, token: ++this.blockToken };
      runs.push(run);
      this.pendingRuns.push(run);
    }
    const writes: DeferredWrite[] = plan.deferred.length === 0 ? (NO_WRITES as DeferredWrite[]) : new Array<DeferredWrite>(plan.deferred.length);
    for (let i = 0; i < plan.deferred.length; i++) {
      const d = plan.deferred[i]!;
      const pending: PendingBlock = { data: d.data, token: ++this.blockToken };
      this.pendingBlocks.set(d.pblock, pending);
      writes[i] = { pblock: d.pblock, pending };
    }
    this.deferredPendingBytes += plan.deferred.length * BLOCK_BYTES;
    // The onode keys are the plan's own map's (never changed after publish), walked where needed, not copied.

    // Stage 2: data. The writes are issued before the checksums are computed, so the two overlap.
    const dataDurable = plan.dataWrites.length === 0 ? undefined : (async () => {
      await Promise.all(plan.dataWrites.map((w) => this.dev.write(w.offset, w.data)));
      this.pendingRuns = this.pendingRuns.filter((r) => !runs.includes(r));
      await this.dev.durable(this.dev.nextFlush);
    })();
    plan.seal();
    for (const [key, onode] of plan.onodes) this.cachePut(key, onode, true);
    // Stage 3: commit, in queue order.
    const prevSubmitted = this.submitTail;
    let submitted!: () => void;
    this.submitTail = new Promise<void>((r) => (submitted = r));
    const prevCommitted = this.commitTail;
    let held: HeldBatch | undefined;
    const commit = (async () => {
      try {
        if (dataDurable) await dataDurable;
        await prevSubmitted;
        if (this.failed) throw this.failed;
        this.addDeferredRemovals(plan.batch);
        this.mutationEpoch++;
        held = this.submitGrouped(m, plan.batch, writes);
        submitted();
        await held.durable;
        if (qd1Trace) qd1Stamp('bs.durable');
      } catch (err) {
        submitted();
        this.fail(err as Error);
        throw err;
      }
      await prevCommitted;
      // Stage 4: after commit.
      for (const k of plan.onodes.keys()) this.unpin(k);
      this.trimCache();
      if (plan.deferred.length === 0 && !this.deferredRunning && this.deferredQueue.length === 0) {
        // No deferred write is in flight that could still land on these blocks: free them now.
        for (const pb of plan.freed) m.alloc.release(pb);
      } else if (plan.deferred.length || plan.freed.length) {
        this.deferredQueue.push({ record: held!.record, writes, freed: plan.freed });
        this.scheduleDeferred();
      }
    })();
    const settled = commit.catch(noop);
    this.commitTail = settled;
    for (const k of plan.onodes.keys()) this.inflight.set(k, settled);
    void settled.then(() => {
      this.transactionSettled();
      for (const k of plan.onodes.keys()) if (this.inflight.get(k) === settled) this.inflight.delete(k);
    });
    return commit;
  }

  /**
   * Group commit from the store's side: batches wait while a group of them is in the KV engine; when it
   * is durable the next group goes in one event-loop turn later, so the transactions its completion
   * released (their clients queue the next ones in microtasks) join it. Without the turn a closed loop
   * of 32 clients settles into two alternating groups of about 16, each paying a flush.
   */
  private submitGrouped(m: Mounted, batch: KVBatch, writes: readonly DeferredWrite[] = NO_WRITES): HeldBatch {
    const h: HeldBatch = { batch, writes, record: undefined, durable: NEVER, resolve: noop, reject: noop };
    h.durable = new Promise<void>((resolve, reject) => {
      h.resolve = resolve;
      h.reject = reject;
    });
    this.held.push(h);
    this.scheduleGroup(m);
    return h;
  }

  private scheduleGroup(m: Mounted): void {
    if (this.groupOutstanding || this.groupScheduled || this.held.length === 0) return;
    this.groupScheduled = true;
    setImmediate(() => {
      if (qd1Trace) qd1Stamp('bs.group');
      this.groupScheduled = false;
      const group = this.held.splice(0);
      this.groupOutstanding = true;
      const done = this.submitMerged(m, group);
      if (this.deferredAfterGroup) {
        // The group's journal write and flush are issued in this turn's microtasks: write the waiting
        // in-place blocks in the next turn, while that flush runs.
        this.deferredAfterGroup = false;
        setImmediate(() => this.kickDeferred());
      }
      void Promise.all(done).then(() => {
        this.groupOutstanding = false;
        this.scheduleGroup(m);
      });
    });
  }

  /**
   * Submit a group's batches to the KV as few batches as the KV's limits allow, in order: the ops of
   * consecutive batches concatenated. The KV then encodes, admits, applies and journals one batch per
   * group instead of one per transaction. Atomicity only widens (the transactions of a merged batch
   * become durable together), and a KV failure already stops the whole store.
   */
  private submitMerged(m: Mounted, group: HeldBatch[]): Promise<void>[] {
    const done: Promise<void>[] = [];
    const bytesMax = Math.min(kvBatchBytesMax(m.kv), BATCH_BYTES_MAX);
    let i = 0;
    while (i < group.length) {
      let j = i + 1;
      // A merged record is a little smaller than the members' records would be apart: a safe bound.
      let bytes = group[i]!.batch.bytes + deferredEntryBytes(group[i]!.writes.length);
      let ops = group[i]!.batch.ops.length + 1;
      let blocks = group[i]!.writes.length;
      while (j < group.length) {
        const h = group[j]!;
        const b = h.batch.bytes + deferredEntryBytes(h.writes.length);
        if (bytes + b > bytesMax || ops + h.batch.ops.length > BATCH_OPS_MAX) break;
        bytes += b;
        ops += h.batch.ops.length;
        blocks += h.writes.length;
        j++;
      }
      const members = group.slice(i, j);
      let batch = members[0]!.batch;
      if (members.length > 1) {
        batch = new KVBatch();
        for (const h of members) {
          for (const op of h.batch.ops) batch.ops.push(op);
          batch.bytes += h.batch.bytes;
        }
      }
      if (blocks > 0) this.addDeferredRecord(m, batch, members, blocks);
      done.push(m.kv.submit(batch).then(
        () => {
          for (const h of members) h.resolve();
        },
        (e: Error) => {
          for (const h of members) h.reject(e);
        },
      ));
      i = j;
    }
    return done;
  }

  /**
   * One journal record for the deferred blocks of `members` (in queue order: on replay the last block
   * naming a device block wins), put into their merged batch. From here on the blocks' pending data and
   * in-place writes are views of the record, so callers may reuse their buffers once they have committed.
   */
  private addDeferredRecord(m: Mounted, batch: KVBatch, members: readonly HeldBatch[], blocks: number): void {
    const list: DeferredBlock[] = new Array<DeferredBlock>(blocks);
    let k = 0;
    for (const h of members) for (const w of h.writes) list[k++] = { pblock: w.pblock, data: w.pending.data };
    // Owned by the record until its last job is written in place (recordpool.ts); the KV takes its copy in submit().
    const buf = this.recordPool.take(deferredRecordBytes(blocks));
    const encoded = encodeDeferred(list, buf);
    const record: DeferredRecord = { seq: m.deferredSeq++, jobsLeft: 0, buf };
    batch.set(deferredKey(record.seq), encoded);
    k = 0;
    for (const h of members) {
      if (h.writes.length === 0) continue;
      h.record = record;
      record.jobsLeft++;
      for (const w of h.writes) w.pending.data = deferredRecordBlock(encoded, k++);
    }
  }

  private fail(err: Error): void {
    if (!this.failed) {
      this.failed = err;
      this.logger.error(`device or KV error; the store stops taking transactions: ${err.message}`);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Deferred writes

  /**
   * Start the in-place writes of committed deferred blocks one turn later; when a group of new
   * transactions is about to go to the KV by then, later still: once that group's flush is under way
   * (scheduleGroup), so the writes take the event loop while it would wait for the device anyway
   * instead of delaying the group. Nothing waits on their timing but memory (deferredBytesMax) and
   * the release of freed blocks.
   */
  private scheduleDeferred(): void {
    if (this.deferredRunning || this.deferredScheduled || this.deferredAfterGroup) return;
    this.deferredScheduled = true;
    setImmediate(() => {
      this.deferredScheduled = false;
      if (this.groupScheduled && !this.failed) this.deferredAfterGroup = true;
      else this.kickDeferred();
    });
  }

  private kickDeferred(): void {
    this.deferredAfterGroup = false;
    // An empty queue would end the loop below before its first await, clearing deferredRunning before it is set.
    if (this.deferredRunning || this.deferredQueue.length === 0) return;
    this.deferredRunning = (async () => {
      await undefined;
      try {
        while (this.deferredQueue.length) {
          const jobs = this.deferredQueue.splice(0);
          const latest = new Map<number, PendingBlock>();
          for (const j of jobs) for (const w of j.writes) latest.set(w.pblock, w.pending);
          const writing: Promise<void>[] = [];
          for (const [pb, p] of latest) writing.push(this.dev.write(pb * BLOCK_BYTES, [p.data]));
          await Promise.all(writing);
          const need = this.dev.nextFlush;
          const m = this.m!;
          for (const j of jobs) {
            for (const w of j.writes) this.clearPending(w.pblock, w.pending.token);
            this.deferredPendingBytes -= j.writes.length * BLOCK_BYTES;
            for (const pb of j.freed) m.alloc.release(pb);
            if (j.record && --j.record.jobsLeft === 0) {
              this.deferredApplied.push({ seq: j.record.seq, need });
              // Every job of the record has had its writes land and its pendingBlocks entries removed
              // (above): nothing holds a view of its buffer any more.
              this.recordPool.give(j.record.buf);
            }
          }
          const waiters = this.deferredWaiters.splice(0);
          for (const w of waiters) w();
          if (this.deferredApplied.length >= DEFERRED_RECORDS_MAX) await this.cleanupDeferred(false);
        }
      } catch (err) {
        this.fail(err as Error);
      } finally {
        this.deferredRunning = undefined;
        const waiters = this.deferredWaiters.splice(0);
        for (const w of waiters) w();
      }
    })();
  }

  private async drainDeferred(): Promise<void> {
    while (this.deferredRunning || this.deferredQueue.length) {
      if (!this.deferredRunning) this.kickDeferred();
      await this.deferredRunning;
    }
  }

  /** Put into `batch` the removal of every deferred record a completed flush has covered. */
  private addDeferredRemovals(batch: KVBatch): void {
    let n = 0;
    const most = Math.floor(DEFERRED_REMOVAL_ROOM_BYTES / DEFERRED_KEY_BYTES);
    while (n < this.deferredApplied.length && n < most && this.deferredApplied[n]!.need <= this.dev.completed) n++;
    if (n === 0) return;
    for (const r of this.deferredApplied.splice(0, n)) batch.rm(deferredKey(r.seq));
  }

  /** Flush the device and remove every applied deferred record in one batch (umount, or too many records). */
  private async cleanupDeferred(all: boolean): Promise<void> {
    const m = this.m;
    if (!m || this.failed || this.deferredApplied.length === 0) return;
    if (!all && this.deferredApplied.length < DEFERRED_RECORDS_MAX) return;
    await this.dev.durable(this.deferredApplied[this.deferredApplied.length - 1]!.need);
    // Goes through the same ordered submit path as transactions.
    const prev = this.submitTail;
    let submitted!: () => void;
    this.submitTail = new Promise<void>((r) => (submitted = r));
    try {
      await prev;
      const waits: Promise<void>[] = [];
      for (;;) {
        const batch = new KVBatch();
        this.addDeferredRemovals(batch);
        if (batch.empty) break;
        waits.push(this.submitGrouped(m, batch).durable);
      }
      submitted();
      await Promise.all(waits);
    } catch (err) {
      submitted();
      this.fail(err as Error);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Reads

  private async settled(key: string): Promise<void> {
    const p = this.inflight.get(key);
    if (p) await p;
  }

  private needColl(m: Mounted, cid: CollectionId): CollState {
    const c = m.collections.get(cid);
    if (!c) throw new CephError('ENOENT', `no collection ${cid}`);
    return c;
  }

  /** The object's onode after its in-flight transactions; ENOENT when it or its collection is missing. */
  private async object(cid: CollectionId, oid: GHObject): Promise<Onode> {
    const o = await this.lookup(cid, oid);
    if (!o) throw new CephError('ENOENT', `no object ${objectText(oid)} in ${cid}`);
    return o;
  }

  /** The object's onode key in `cid`, built once per GHObject (keyMemo): lookups and prepare share it. */
  private keyOf(cid: CollectionId, oid: GHObject): OnodeKeyOf {
    let k = this.keyMemo.get(oid);
    if (k === undefined || k.cid !== cid) {
      const key = onodeKey(cid, oid);
      k = { cid, key, keyStr: key.toString('latin1') };
      this.keyMemo.set(oid, k);
    }
    return k;
  }

  /** The object's onode after its in-flight transactions, null when it is missing; ENOENT when its collection is. */
  private async lookup(cid: CollectionId, oid: GHObject): Promise<Onode | null> {
    const m = this.need();
    if (oid.max) {
      this.needColl(m, cid);
      return null;
    }
    const k = this.keyOf(cid, oid);
    await this.settled(k.keyStr);
    this.needColl(m, cid);
    return this.loadOnode(k.key, k.keyStr, () => `${cid} ${objectText(oid)}`);
  }

  async listCollections(): Promise<CollectionId[]> {
    const m = this.need();
    await this.quiesce();
    return [...m.collections.keys()].sort(compareStringBytes);
  }

  async collectionExists(cid: CollectionId): Promise<boolean> {
    const m = this.need();
    await this.quiesce();
    return m.collections.has(cid);
  }

  async collectionBits(cid: CollectionId): Promise<number> {
    const m = this.need();
    await this.quiesce();
    return this.needColl(m, cid).bits;
  }

  async collectionEmpty(cid: CollectionId): Promise<boolean> {
    const m = this.need();
    await this.quiesce();
    return this.needColl(m, cid).objects === 0;
  }

  async listObjects(cid: CollectionId, start: GHObject | undefined, end: GHObject | undefined, max: number): Promise<ListResult> {
    const m = this.need();
    if (!isCount(max)) throw new CephError('EINVAL', `bad listing max ${max}`);
    await this.quiesce();
    this.needColl(m, cid);
    if (start?.max) return { objects: [], next: undefined };
    const n = Math.min(max, PAGE_ENTRIES_MAX);
    const from = start ? onodeKey(cid, start) : onodePrefix(cid);
    const to = end && !end.max ? onodeKey(cid, end) : onodePrefixEnd(cid);
    if (Buffer.compare(from, to) >= 0) return { objects: [], next: undefined };
    const entries = await m.kv.list(from, to, n + 1);
    const objects = entries.slice(0, n).map((e) => decodeOnodeKey(e.key).oid);
    const next = entries.length > n ? decodeOnodeKey(entries[n]!.key).oid : undefined;
    return { objects, next };
  }

  async exists(cid: CollectionId, oid: GHObject): Promise<boolean> {
    // No error built for the common answer: an OSD asks this of every object it is about to create.
    return (await this.lookup(cid, oid)) !== null;
  }

  async stat(cid: CollectionId, oid: GHObject): Promise<ObjectStat> {
    const o = await this.object(cid, oid);
    return { size: o.size, allocated: onodeAllocatedBytes(o) };
  }

  async read(cid: CollectionId, oid: GHObject, offset: number, length: number): Promise<Buffer> {
    return this.readData(cid, oid, offset, length, null);
  }

  /**
   * read(), with the device reads landing in a Buffer of readPool when the blocks the range touches
   * are at least READ_POOL_READ_BYTES_MIN and fit one. The caller calls `release` once nothing
   * references `data` (the reply carrying it has been written), or never (the GC takes it).
   */
  async readPooled(cid: CollectionId, oid: GHObject, offset: number, length: number): Promise<PooledRead> {
    const lease: PooledRead = { data: EMPTY, release: null };
    lease.data = await this.readData(cid, oid, offset, length, lease);
    return lease;
  }

  /** read()'s body; with `lease`, a large enough read lands in a pooled Buffer whose release goes there. */
  private async readData(cid: CollectionId, oid: GHObject, offset: number, length: number, lease: PooledRead | null): Promise<Buffer> {
    if (!isCount(offset) || !isCount(length)) throw new CephError('EINVAL', `bad read ${offset}~${length}`);
    const o = await this.object(cid, oid);
    if (offset >= o.size) return EMPTY;
    const end = length === 0 ? o.size : Math.min(o.size, offset + length);
    const first = Math.floor(offset / BLOCK_BYTES);
    const last = Math.floor((end - 1) / BLOCK_BYTES);
    // One buffer of the whole blocks the range touches: the device reads land in it and the caller gets
    // a view of it (no zeroing of what the reads fill, no second buffer, no copy). Its own backing
    // store, not a slice of Node's pool, so a caller that keeps a small read pins no one else's bytes.
    // A pooled Buffer is acquired here and its release handed out only once the read has succeeded: a
    // failed read leaves it to the GC (a device read may still be landing in it).
    const bytes = (last - first + 1) * BLOCK_BYTES;
    const pool = this.readPool;
    const pooled = lease !== null && bytes >= READ_POOL_READ_BYTES_MIN && bytes <= pool.bufferBytes;
    const buf = pooled ? pool.acquire() : Buffer.allocUnsafeSlow(bytes);
    // Gather device-contiguous runs of mapped blocks and read each run at once; holes read as zeros.
    let runL = -1;
    let runP = 0;
    let runN = 0;
    let jobs: Promise<void>[] | undefined;
    for (let l = first; l <= last; l++) {
      const s = o.shards.get(l >>> SHARD_SHIFT);
      const pb = s === undefined ? 0 : s.pblocks[l & SHARD_MASK]!;
      if (runN > 0 && pb !== 0 && pb === runP + runN) {
        runN++;
        continue;
      }
      if (runN > 0) (jobs ??= []).push(this.readRun(o, cid, oid, buf, (runL - first) * BLOCK_BYTES, runL, runP, runN, -1).then(noop));
      runN = 0;
      if (pb === 0) buf.fill(0, (l - first) * BLOCK_BYTES, (l - first + 1) * BLOCK_BYTES);
      else {
        runL = l;
        runP = pb;
        runN = 1;
      }
    }
    const from = offset - first * BLOCK_BYTES;
    const to = end - first * BLOCK_BYTES;
    // A pooled result is always a fresh view: the Buffer object is never handed out twice, so nothing
    // keyed by it (the crc memos) can mistake a later read's bytes for these.
    const out = !pooled && from === 0 && to === buf.length ? buf : buf.subarray(from, to);
    if (runN > 0) {
      if (jobs === undefined && offset === 0 && end === o.size && runL === 0 && runN === last + 1) {
        // The whole object in one device run: the pass that checks the blocks yields the object's
        // crc32c(-1) on the way (the OSD's data digest check takes it from there).
        noteCrc32cOfAll(out, await this.readRun(o, cid, oid, buf, 0, 0, runP, runN, end));
        if (pooled) lease.release = releaser(pool, buf);
        return out;
      }
      (jobs ??= []).push(this.readRun(o, cid, oid, buf, (runL - first) * BLOCK_BYTES, runL, runP, runN, -1).then(noop));
    }
    if (jobs !== undefined) await (jobs.length === 1 ? jobs[0] : Promise.all(jobs));
    if (pooled) lease.release = releaser(pool, buf);
    return out;
  }

  /**
   * Read `count` device blocks from `pblock` (logical block `lblock` on) into buf at `at`, the content
   * of any block whose write has not landed taken from memory instead, and check each block's crc32c
   * against the onode's (EIO naming the object and offset on a mismatch). With `prefix` >= 0, also
   * returns Ceph's crc32c(-1) of the run's first `prefix` bytes (from the same pass); else 0.
   */
  private async readRun(o: Onode, cid: CollectionId, oid: GHObject, buf: Buffer, at: number, lblock: number, pblock: number, count: number, prefix: number): Promise<number> {
    const bytes = count * BLOCK_BYTES;
    if (!this.anyPending()) {
      await this.dev.readInto(pblock * BLOCK_BYTES, buf.subarray(at, at + bytes));
    } else {
      const pending: Buffer[] = new Array(count);
      // Copies of deferred blocks: these are used after the read's await, by when a record buffer may be reused.
      if (this.fillPending(pblock, count, pending, true)) {
        await this.dev.readInto(pblock * BLOCK_BYTES, buf.subarray(at, at + bytes));
        // Check again: a write may have been published while the read ran; its content wins.
        const again: Buffer[] = new Array(count);
        if (this.anyPending()) this.fillPending(pblock, count, again);
        for (let i = 0; i < count; i++) {
          const p = again[i] ?? pending[i];
          if (p !== undefined) p.copy(buf, at + i * BLOCK_BYTES);
        }
      } else {
        for (let i = 0; i < count; i++) pending[i]!.copy(buf, at + i * BLOCK_BYTES);
      }
    }
    // One crc32c pass over the run, compared with the blocks' crcs combined (core/blockcrc.ts); the
    // blocks one by one only to name a bad one.
    let want = 0;
    for (let i = 0; i < count; i++) {
      const l = lblock + i;
      want = combineBlockCrc(want, o.shards.get(l >>> SHARD_SHIFT)!.crcs[l & SHARD_MASK]!);
    }
    let head = 0;
    let got: number;
    if (prefix >= 0) {
      head = cephCrc32c(0xffffffff, buf, at, at + prefix);
      got = cephCrc32c(head, buf, at + prefix, at + bytes);
    } else {
      got = cephCrc32c(0xffffffff, buf, at, at + bytes);
    }
    if ((~got >>> 0) === want) return head;
    for (let i = 0; i < count; i++) {
      const l = lblock + i;
      const crc = o.shards.get(l >>> SHARD_SHIFT)!.crcs[l & SHARD_MASK]!;
      const a = at + i * BLOCK_BYTES;
      if ((~cephCrc32c(0xffffffff, buf, a, a + BLOCK_BYTES) >>> 0) !== crc) {
        const msg = `checksum mismatch reading ${cid} ${objectText(oid)} at offset ${l * BLOCK_BYTES} (device block ${pblock + i})`;
        this.logger.error(msg);
        throw new CephError('EIO', `blockstore: ${msg}`);
      }
    }
    assert(false, 'a run whose blocks each match their crc32c matches their combination');
  }

  /** True when some block's write has not landed yet (reads must look at pendingRuns / pendingBlocks). */
  private anyPending(): boolean {
    return this.pendingRuns.length > 0 || this.pendingBlocks.size > 0;
  }

  async getattr(cid: CollectionId, oid: GHObject, name: string): Promise<Buffer> {
    const o = await this.object(cid, oid);
    const v = o.attrs.get(name);
    if (!v) throw new CephError('ENODATA', `no attr ${JSON.stringify(name)} on ${objectText(oid)}`);
    return Buffer.from(v);
  }

  async getattrs(cid: CollectionId, oid: GHObject): Promise<Map<string, Buffer>> {
    const o = await this.object(cid, oid);
    const names = [...o.attrs.keys()].sort(compareStringBytes);
    return new Map(names.map((k) => [k, Buffer.from(o.attrs.get(k)!)]));
  }

  async omapGetHeader(cid: CollectionId, oid: GHObject): Promise<Buffer> {
    const o = await this.object(cid, oid);
    const v = await this.need().kv.get(omapHeaderKey(o.nid));
    return v ? Buffer.from(v) : Buffer.alloc(0);
  }

  async omapGetValues(cid: CollectionId, oid: GHObject, keys: readonly string[]): Promise<Map<string, Buffer>> {
    const o = await this.object(cid, oid);
    const kv = this.need().kv;
    const sorted = [...new Set(keys)].sort(compareStringBytes);
    const out = new Map<string, Buffer>();
    for (const k of sorted) {
      const v = await kv.get(omapKey(o.nid, k));
      if (v) out.set(k, Buffer.from(v));
    }
    return out;
  }

  async omapIterate(cid: CollectionId, oid: GHObject, after: string | undefined, max: number): Promise<OmapPage> {
    if (!isCount(max)) throw new CephError('EINVAL', `bad omap page max ${max}`);
    const o = await this.object(cid, oid);
    const kv = this.need().kv;
    const [first, end] = omapEntriesRange(o.nid);
    const from = after === undefined ? first : keyAfter(omapKey(o.nid, after));
    const n = Math.min(max, PAGE_ENTRIES_MAX);
    const entries = await kv.list(from, end, n + 1);
    return {
      entries: entries.slice(0, n).map((e) => [e.key.toString('utf8', OMAP_KEY_PREFIX_BYTES), Buffer.from(e.value)]),
      more: entries.length > n,
    };
  }

  async statfs(): Promise<StoreStatfs> {
    const m = this.need();
    await this.quiesce();
    return {
      total: m.sb.data.length,
      available: m.alloc.free * BLOCK_BYTES,
      allocated: m.alloc.used * BLOCK_BYTES,
      stored: m.storedBytes,
      metadata: m.kv.stats().usedBytes,
    };
  }

  memory(): StoreMemory {
    let objects = 0;
    for (const e of this.cache.values()) if (e.onode) objects++;
    return {
      cacheBytes: this.cacheBytes,
      cacheBytesMax: this.cacheBytesMax,
      cachedObjects: objects,
      bytesPerObject: objects ? Math.round(this.cacheBytes / objects) : 0,
    };
  }

  /** The superblock of the mounted store. */
  superblock(): Superblock {
    return this.need().sb;
  }

  // ---------------------------------------------------------------------------------------------
  // fsck

  async fsck(repair = false): Promise<FsckReport> {
    const m = this.need();
    const run = this.prepareTail.then(async () => {
      await this.committed();
      await this.drainDeferred();
      await this.cleanupDeferred(true);
      return this.fsckQuiet(m, repair);
    });
    this.prepareTail = run.catch(noop);
    return run;
  }

  private async fsckQuiet(m: Mounted, repair: boolean): Promise<FsckReport> {
    const problems: FsckProblem[] = [];
    let repaired = 0;
    const problem = (kind: string, message: string, repairable: boolean): void => {
      problems.push({ kind, message, repairable });
    };
    const fix = new KVBatch();
    // Collections.
    const colls = new Set<CollectionId>();
    for await (const e of this.scan(m.kv, COLLECTIONS_START, COLLECTIONS_END)) {
      const cid = collectionFromKey(e.key);
      colls.add(cid);
      try {
        decodeCollection(e.value, `collection ${cid}`);
      } catch (err) {
        problem('metadata', (err as Error).message, false);
      }
    }
    // Onodes.
    const owners = new Map<number, string>();
    let objects = 0;
    const counts = new Map<CollectionId, number>();
    for await (const e of this.scan(m.kv, ONODES_START, ONODES_END)) {
      let name = `onode key ${e.key.toString('hex')}`;
      try {
        const { cid, oid } = decodeOnodeKey(e.key);
        name = `${cid} ${objectText(oid)}`;
        const o = decodeOnode(e.value, `onode of ${name}`);
        objects++;
        if (!colls.has(cid)) problem('orphan', `object ${name} lies in a missing collection`, false);
        counts.set(cid, (counts.get(cid) ?? 0) + 1);
        if (owners.has(o.nid)) problem('metadata', `node id ${o.nid} of ${name} is also used by ${owners.get(o.nid)}`, false);
        owners.set(o.nid, name);
      } catch (err) {
        problem('metadata', `${name}: ${(err as Error).message}`, false);
      }
    }
    for (const [cid, c] of m.collections) {
      if ((counts.get(cid) ?? 0) !== c.objects) problem('metadata', `collection ${cid}: ${c.objects} objects counted in memory, ${counts.get(cid) ?? 0} in the KV`, false);
    }
    // Extent shards: range, overlap, crcs (deep), owner.
    const rebuilt = new Allocator(m.alloc.firstBlock, m.alloc.blockCount);
    const firstData = m.sb.data.offset / BLOCK_BYTES;
    const endData = firstData + m.sb.data.length / BLOCK_BYTES;
    for await (const e of this.scan(m.kv, SHARDS_START, SHARDS_END)) {
      let nid = -1;
      let shard = -1;
      try {
        ({ nid, shard } = decodeShardKey(e.key));
        const owner = owners.get(nid);
        if (owner === undefined) {
          problem('orphan', `extent shard ${shard} of node ${nid} has no onode`, true);
          if (repair) {
            fix.rm(e.key);
            repaired++;
          }
          continue;
        }
        const s = decodeShard(e.value, `extent shard ${shard} of ${owner}`);
        for (let i = 0; i < SHARD_BLOCKS; i++) {
          const pb = s.pblocks[i]!;
          if (pb === 0) continue;
          const off = (shard * SHARD_BLOCKS + i) * BLOCK_BYTES;
          if (pb < firstData || pb >= endData) {
            problem('allocation', `${owner} offset ${off}: device block ${pb} lies outside the data region`, false);
            continue;
          }
          if (!rebuilt.claim(pb)) problem('overlap', `${owner} offset ${off}: device block ${pb} is used twice`, false);
          const data = await this.dev.read(pb * BLOCK_BYTES, BLOCK_BYTES);
          if (crc32c(data) !== s.crcs[i]) problem('checksum', `${owner} offset ${off}: device block ${pb} fails its crc32c`, false);
        }
      } catch (err) {
        problem('metadata', `extent shard ${shard} of node ${nid}: ${(err as Error).message}`, false);
      }
    }
    // Omap owners.
    let from: Buffer = OMAP_START;
    for (;;) {
      const page = await m.kv.list(from, OMAP_END, SCAN_PAGE_ENTRIES);
      if (page.length === 0) break;
      const e = page[0]!;
      let nid: number;
      try {
        nid = decodeOmapKey(e.key).nid;
      } catch (err) {
        problem('metadata', (err as Error).message, false);
        from = keyAfter(e.key);
        continue;
      }
      const [a, b] = omapRange(nid);
      if (!owners.has(nid)) {
        problem('orphan', `omap of node ${nid} has no onode`, true);
        if (repair) {
          fix.rmRange(a, b);
          repaired++;
        }
      }
      from = b;
    }
    // Deferred records left (after the cleanup above, only ones a crash left are possible).
    for await (const e of this.scan(m.kv, DEFERRED_START, DEFERRED_END)) {
      try {
        const seq = decodeDeferredKey(e.key);
        for (const b of decodeDeferred(e.value, `deferred record ${seq}`)) {
          if (b.pblock < firstData || b.pblock >= endData) problem('metadata', `deferred record ${seq} names block ${b.pblock} outside the data region`, false);
        }
      } catch (err) {
        problem('metadata', (err as Error).message, false);
      }
    }
    // Allocator agreement.
    let leaks = 0;
    let missing = 0;
    for (let pb = firstData; pb < endData; pb++) {
      const a = m.alloc.isUsed(pb);
      const b = rebuilt.isUsed(pb);
      if (a && !b) leaks++;
      else if (b && !a) missing++;
    }
    if (leaks) problem('leak', `${leaks} blocks are marked used but no object owns them`, true);
    if (missing) problem('allocation', `${missing} blocks owned by objects are marked free`, true);
    if ((leaks || missing) && repair) {
      m.alloc = rebuilt;
      repaired++;
    }
    if (repair && !fix.empty) await m.kv.submit(fix);
    if (repair && repaired) {
      this.cache.clear();
      this.cacheBytes = 0;
    }
    const errors = problems.length;
    return { errors, repaired, problems, objects, collections: colls.size };
  }
}

/** Split sorted block numbers into runs of consecutive numbers. */
function runsOf(sorted: number[]): number[][] {
  const out: number[][] = [];
  for (const b of sorted) {
    const last = out[out.length - 1];
    if (last && last[last.length - 1] === b - 1) last.push(b);
    else out.push([b]);
  }
  return out;
}

