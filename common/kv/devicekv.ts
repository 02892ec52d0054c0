// DeviceKV: tsceph's key-value engine on a region of a BlockDevice. The I/O shell around the pure core
// in ./core (node and header codecs, the copy-on-write B+tree, the journal codec, the page allocator):
// it reads and writes pages, runs group commit over the journal ring, checkpoints, and recovers.
// Layout, invariants and the reasons behind them: docs/kv.md.
//
// Region: [header 0][header 1][journal ring: journalBytes][page area: pageCount x 4 KiB]

import { randomBytes } from 'node:crypto';
import { CephError, assert } from '../errors.js';
import { qd1Stamp, qd1Trace } from '../qd1trace.js';
import { cephCrc32c } from '../crc32c.js';
import type { BlockDevice } from '../blockdev/types.js';
import type { KVBatch, KVEntry, KVOp, KVStats, KVStore } from './types.js';
import { PageAllocator } from './core/alloc.js';
import { BTree, NeedPage, type FreezeWrite, type PageSource } from './core/btree.js';
import {
  CACHE_BYTES_MAX_DEFAULT, CACHE_BYTES_MIN, HEADER_BYTES, JOURNAL_BYTES_MAX, JOURNAL_BYTES_MIN, JOURNAL_REGION_DIVISOR,
  JOURNAL_ALIGN_BYTES, PAGE_AREA_PAGES_MIN, PAGE_BYTES, PAGE_COUNT_MAX, RECORD_HEADER_BYTES, REGION_BYTES_MIN, TREE_DEPTH_MAX, VALUE_INLINE_BYTES_MAX,
} from './core/limits.js';
import { type KVHeader, type LeafValue, Node, PageRef, ValueExtent, decodeHeader, decodeNode, encodeHeader, KV_FORMAT_VERSION, uuidTagOf } from './core/pages.js';
import { decodeBatch, decodeRecordHeader, encodeBatch, encodeRecord, recordBatches, recordBytesFor, validateBatch, type RecordHeader } from './core/wal.js';

export interface KVRegion {
  /** Byte offset of the region on the device (a multiple of 4096). */
  readonly offset: number;
  /** Bytes of the region (a multiple of 4096). */
  readonly length: number;
}

export interface FormatKVOptions {
  /** Bytes of the journal ring (a multiple of 4096); default the region's 1/16 within 256 KiB..1 GiB. */
  readonly journalBytes?: number;
  /** The store's uuid (16 bytes); random by default. */
  readonly uuid?: Buffer;
}

export interface OpenKVOptions {
  /** Bound on pages held in memory, clean and dirty (default 64 MiB, at least 1 MiB). */
  readonly cacheBytesMax?: number;
}

export interface KVFsckReport {
  /** Problems found, one sentence each; empty when the store is sound. */
  readonly errors: string[];
  readonly nodes: number;
  readonly keys: number;
  readonly valueExtents: number;
  readonly depth: number;
}

function checkRegion(dev: BlockDevice, region: KVRegion): void {
  const { offset, length } = region;
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length <= 0 || offset % PAGE_BYTES || length % PAGE_BYTES) {
    throw new CephError('EINVAL', `kv: region ${offset}+${length} on ${dev.name} must be whole 4096-byte blocks`);
  }
  if (offset + length > dev.size) throw new CephError('EINVAL', `kv: region ${offset}+${length} runs past the end of ${dev.name} (${dev.size} bytes)`);
  if (length < REGION_BYTES_MIN) throw new CephError('EINVAL', `kv: region of ${length} bytes is under the minimum of ${REGION_BYTES_MIN}`);
}

/** Write an empty engine over the region (both header blocks; the journal and pages need no clearing). */
export async function formatKV(dev: BlockDevice, region: KVRegion, opts: FormatKVOptions = {}): Promise<void> {
  checkRegion(dev, region);
  const room = region.length - 2 * HEADER_BYTES;
  let journalBytes = opts.journalBytes ?? Math.min(JOURNAL_BYTES_MAX, Math.max(JOURNAL_BYTES_MIN, Math.floor(region.length / JOURNAL_REGION_DIVISOR / PAGE_BYTES) * PAGE_BYTES));
  if (journalBytes % PAGE_BYTES || journalBytes < JOURNAL_BYTES_MIN || journalBytes > JOURNAL_BYTES_MAX) {
    throw new CephError('EINVAL', `kv: journal of ${journalBytes} bytes must be a multiple of 4096 in ${JOURNAL_BYTES_MIN}..${JOURNAL_BYTES_MAX}`);
  }
  if (room - journalBytes < PAGE_AREA_PAGES_MIN * PAGE_BYTES) {
    if (opts.journalBytes !== undefined) throw new CephError('EINVAL', `kv: a journal of ${journalBytes} bytes leaves fewer than ${PAGE_AREA_PAGES_MIN} pages in a region of ${region.length}`);
    journalBytes = JOURNAL_BYTES_MIN;
  }
  const pageCount = Math.min(PAGE_COUNT_MAX, Math.floor((room - journalBytes) / PAGE_BYTES));
  const uuid = opts.uuid ?? randomBytes(16);
  if (uuid.length !== 16) throw new CephError('EINVAL', 'kv: uuid must be 16 bytes');
  const base: KVHeader = {
    uuid, generation: 0, regionOffset: region.offset, regionLength: region.length, journalBytes, pageCount,
    root: null, checkpointSeq: 0, journalStartLsn: 0, keys: 0,
  };
  // Both slots get a header (generations 0 and 1) so no stale header of an earlier format can win.
  await dev.write(region.offset, [encodeHeader(base), encodeHeader({ ...base, generation: 1 })]);
  await dev.flush();
}

/** Open the engine on the region: pick the newest sound header, rebuild the free-page map, replay the journal. */
export async function openKV(dev: BlockDevice, region: KVRegion, opts: OpenKVOptions = {}): Promise<DeviceKV> {
  checkRegion(dev, region);
  const cacheBytesMax = opts.cacheBytesMax ?? CACHE_BYTES_MAX_DEFAULT;
  if (!(cacheBytesMax >= CACHE_BYTES_MIN)) throw new CephError('EINVAL', `kv: cacheBytesMax ${cacheBytesMax} is under the minimum of ${CACHE_BYTES_MIN}`);
  const both = await dev.read(region.offset, 2 * HEADER_BYTES);
  const reads = [decodeHeader(both.subarray(0, HEADER_BYTES)), decodeHeader(both.subarray(HEADER_BYTES))];
  const where = `${dev.name} at offset ${region.offset}`;
  if (reads.every((r) => r.kind === 'foreign')) throw new CephError('EINVAL', `kv: ${where} is not a tsceph KV region (no KV magic in either header block); format it first`);
  let best: KVHeader | undefined;
  for (const r of reads) {
    if (r.kind !== 'ok') continue;
    const h = r.header;
    if (h.regionOffset !== region.offset || h.regionLength !== region.length) {
      throw new CephError('EINVAL', `kv: ${where} was formatted as region ${h.regionOffset}+${h.regionLength}, not ${region.offset}+${region.length}`);
    }
    if (!best || h.generation > best.generation) best = h;
  }
  if (!best) {
    const v = reads.find((r) => r.kind === 'version');
    if (v && v.kind === 'version') throw new CephError('EINVAL', `kv: ${where} has KV format version ${v.version}; this build reads version ${KV_FORMAT_VERSION} only`);
    const why = reads.map((r, i) => `header ${i}: ${r.kind === 'corrupt' ? r.why : r.kind}`).join('; ');
    throw new CephError('EIO', `kv: ${where}: both header blocks are unreadable (${why})`);
  }
  const kv = new DeviceKV(dev, region, best, cacheBytesMax);
  await kv.recover();
  return kv;
}

/** Open, check every page, value and record checksum and the tree's order, and close. */
export async function fsckKV(dev: BlockDevice, region: KVRegion, opts: OpenKVOptions = {}): Promise<KVFsckReport> {
  let kv: DeviceKV;
  try {
    kv = await openKV(dev, region, opts);
  } catch (e) {
    if (e instanceof CephError && e.code === 'EIO') return { errors: [e.message], nodes: 0, keys: 0, valueExtents: 0, depth: 0 };
    throw e;
  }
  try {
    return await kv.fsck();
  } finally {
    await kv.close();
  }
}

interface Pending {
  readonly seq: number;
  readonly buf: Buffer;
}

interface Waiter {
  readonly seq: number;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

/** Batches per group record are bounded by bytes: a quarter of the journal. */
const JOURNAL_GROUP_DIVISOR = 4;
/**
 * Page writes a checkpoint keeps in flight at once: few, so the journal's writes and flushes (which
 * submits wait on) do not queue behind a checkpoint's in the device's (or libuv's) queue.
 */
const CHECKPOINT_WRITES_IN_FLIGHT = 2;
/** A checkpoint merges writes of adjacent pages into gathered writes of up to this many bytes. */
const CHECKPOINT_WRITE_BYTES_MAX = 1024 * 1024;

/** Writes of adjacent page runs merged into gathered writes, in page order. */
function coalesce(writes: readonly FreezeWrite[]): FreezeWrite[] {
  const sorted = [...writes].sort((a, b) => a.slot - b.slot);
  const out: { slot: number; data: Buffer[]; pages: number }[] = [];
  for (const w of sorted) {
    let bytes = 0;
    for (const d of w.data) bytes += d.length;
    const last = out[out.length - 1];
    if (last && last.slot + last.pages === w.slot && (last.pages * PAGE_BYTES) + bytes <= CHECKPOINT_WRITE_BYTES_MAX) {
      last.data.push(...w.data);
      last.pages += bytes / PAGE_BYTES;
    } else out.push({ slot: w.slot, data: [...w.data], pages: bytes / PAGE_BYTES });
  }
  return out;
}
/**
 * The tree keeps the keys and values it is given until a checkpoint writes their nodes (the clean images
 * it caches then are decoded from the pages written). Views of a whole batch (or journal record) would
 * keep all of its bytes alive while one small entry lives on, and a copy of each in a buffer of its own
 * costs an allocation per key and per value (four or five per BlockStore write). So: the small keys and
 * values of a batch are copied into one buffer of their total size (what they pin is their own batch's
 * small entries, until the next checkpoint), and a large value, which goes to pages of its own at the
 * checkpoint, stays a view of the batch: it pins the batch's bytes until it is checkpointed or removed,
 * as BlockStore's deferred records (large values removed together) do briefly. Rewrites `ops` in place.
 */
function adoptOps(ops: KVOp[], inlineMax: number): KVOp[] {
  let small = 0;
  for (const op of ops) if (op.op === 'set') small += op.key.length + (op.value.length <= inlineMax ? op.value.length : 0);
  if (small === 0) return ops;
  const arena = Buffer.allocUnsafeSlow(small);
  let at = 0;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    if (op.op !== 'set') continue;
    const k = at;
    at += op.key.copy(arena, at);
    const key = arena.subarray(k, at);
    let value = op.value;
    if (value.length <= inlineMax) {
      const v = at;
      at += value.copy(arena, at);
      value = arena.subarray(v, at);
    }
    ops[i] = { op: 'set', key, value };
  }
  assert(at === small, 'kv: adopted bytes fill the arena');
  return ops;
}

/** Tree walks at open and in fsck read this many pages at once. */
const WALK_READS_IN_FLIGHT = 32;
/** Nodes on a path a batch copies, in the space estimate at admission (a tree of that depth holds billions of keys). */
const ADMISSION_PATH_PAGES = 8;
/** Failed page reads one call excuses because the tree changed meanwhile (then the error stands). */
const LOAD_RETRIES_MAX = 8;
/** How far past the end of replay the journal is searched for a record that should not be there. */
const JOURNAL_SCAN_BYTES = 4 * 1024 * 1024;
/** Bytes of the journal that search reads at a time. */
const JOURNAL_SCAN_READ_BYTES = 1024 * 1024;

export class DeviceKV implements KVStore, PageSource {
  private readonly uuidTag: number;
  private readonly journalBase: number;
  private readonly journalBytes: number;
  private readonly pageBase: number;
  private readonly alloc: PageAllocator;
  private readonly tree: BTree;
  /** Largest batch (keys plus values) this store takes: a quarter of its journal. */
  readonly batchBytesMax: number;
  /** Dirty bytes that start a background checkpoint, and that make submits wait for one. */
  private readonly dirtyBytesSoft: number;
  private readonly dirtyBytesHard: number;
  /** Free pages submits leave alone (see submit). */
  private readonly pagesReserve: number;

  /** Clean nodes by page slot, least recently used first. */
  private readonly cache = new Map<number, Node>();
  private cleanBytes = 0;
  /** Slots of nodes whose checkpoint write is still in flight: never evicted. */
  private readonly pinned = new Set<number>();
  /** Large values whose checkpoint write is still in flight, by slot: reads take them from here. */
  private readonly valuesInFlight = new Map<number, Buffer>();
  private readonly loads = new Map<number, Promise<void>>();
  /** Bumped at every freeze; a page load that spans one is discarded (its slot may have been reused). */
  private freezes = 0;
  /** Bumped by every op applied and every page release: a page asked for by an older attempt may be gone. */
  private treeVersion = 0;
  /** The newest checkpoint frozen: no page of the tree in memory is newer. */
  private generationMax: number;
  /** Reads of value extents in flight; page releases wait while any are. */
  private extentReaders = 0;
  private deferredRelease: PageRef[] = [];

  /** Last batch sequence applied to the tree. */
  private seq = 0;
  /** Last batch sequence whose record is durable. */
  private durableSeq = 0;
  /** Next journal record position, and the oldest position the durable header still needs. */
  private headLsn: number;
  private startLsn: number;
  private pending: Pending[] = [];
  private waiters: Waiter[] = [];
  private writerRun: Promise<void> | null = null;
  /** Submits pass admission (backpressure waits) one at a time, in call order. */
  private admission: Promise<unknown> = Promise.resolve();
  /** Settles once the newest submitted batch is applied in memory (or failed): reads wait for it. */
  private lastApply: Promise<unknown> = Promise.resolve();
  /** Batches submitted and batches applied (or refused) so far: reads wait only while they differ. */
  private submitsQueued = 0;
  private submitsDone = 0;
  private treeLock: Promise<void> = Promise.resolve();
  private checkpointRun: Promise<void> | null = null;
  private failed: Error | null = null;
  private closed = false;

  private batches = 0;
  private flushes = 0;
  private groups = 0;

  constructor(
    private readonly dev: BlockDevice,
    private readonly region: KVRegion,
    private header: KVHeader,
    readonly cacheBytesMax: number,
  ) {
    this.uuidTag = uuidTagOf(header.uuid);
    this.journalBase = region.offset + 2 * HEADER_BYTES;
    this.journalBytes = header.journalBytes;
    this.pageBase = this.journalBase + header.journalBytes;
    const pagesFit = Math.floor((region.length - 2 * HEADER_BYTES - header.journalBytes) / PAGE_BYTES);
    if (header.pageCount > pagesFit || header.journalBytes < JOURNAL_BYTES_MIN || header.journalBytes % PAGE_BYTES) {
      throw new CephError('EIO', `kv: header of ${dev.name} at ${region.offset} has an impossible layout (journal ${header.journalBytes}, ${header.pageCount} pages)`);
    }
    this.alloc = new PageAllocator(header.pageCount);
    this.tree = new BTree(this, header.root, header.keys, VALUE_INLINE_BYTES_MAX);
    this.batchBytesMax = Math.floor(this.journalBytes / JOURNAL_GROUP_DIVISOR) - RECORD_HEADER_BYTES - 4096;
    this.pagesReserve = Math.max(16, Math.floor(header.pageCount / 32));
    this.dirtyBytesSoft = Math.floor(cacheBytesMax / 4);
    this.dirtyBytesHard = Math.floor(cacheBytesMax / 2);
    this.generationMax = header.generation;
    this.headLsn = header.journalStartLsn;
    this.startLsn = header.journalStartLsn;
    this.seq = header.checkpointSeq;
    this.durableSeq = header.checkpointSeq;
  }

  // ---- pages ----

  private pageOffset(slot: number): number {
    return this.pageBase + slot * PAGE_BYTES;
  }

  node(ref: PageRef): Node {
    const n = this.cache.get(ref.slot);
    if (!n || n.home!.pages !== ref.pages) throw new NeedPage(ref);
    this.cache.delete(ref.slot);
    this.cache.set(ref.slot, n);
    return n;
  }

  private checkRef(ref: PageRef): void {
    if (ref.slot + ref.pages > this.header.pageCount) {
      throw new CephError('EIO', `kv: a page of ${this.dev.name} refers to page ${ref.slot}+${ref.pages}, past the page area's ${this.header.pageCount} pages`);
    }
  }

  /** Read the node at `ref` into the cache (once, however many ask). */
  private load(ref: PageRef): Promise<void> {
    if (this.cache.has(ref.slot) && this.cache.get(ref.slot)!.home!.pages === ref.pages) return Promise.resolve();
    const running = this.loads.get(ref.slot);
    if (running) return running;
    const p = (async () => {
      try {
        this.checkRef(ref);
        const freezes = this.freezes;
        const off = this.pageOffset(ref.slot);
        const buf = await this.dev.read(off, ref.pages * PAGE_BYTES);
        const n = decodeNode(buf, ref, this.uuidTag, `${this.dev.name} offset ${off}`, this.generationMax);
        if (freezes === this.freezes && !this.cache.has(ref.slot)) this.cacheInsert(ref.slot, n);
      } finally {
        this.loads.delete(ref.slot);
      }
    })();
    this.loads.set(ref.slot, p);
    return p;
  }

  private cacheInsert(slot: number, n: Node): void {
    const old = this.cache.get(slot);
    if (old) this.cleanBytes -= old.home!.pages * PAGE_BYTES;
    this.cache.delete(slot);
    this.cache.set(slot, n);
    this.cleanBytes += n.home!.pages * PAGE_BYTES;
    this.evict();
  }

  private cacheDrop(slot: number): void {
    const old = this.cache.get(slot);
    if (!old) return;
    this.cleanBytes -= old.home!.pages * PAGE_BYTES;
    this.cache.delete(slot);
  }

  private dirtyBytes(): number {
    return this.tree.dirtyNodes * PAGE_BYTES + this.tree.dirtyValueBytes;
  }

  private evict(): void {
    if (this.cleanBytes + this.dirtyBytes() <= this.cacheBytesMax) return;
    for (const [slot, n] of this.cache) {
      if (this.cleanBytes + this.dirtyBytes() <= this.cacheBytesMax) break;
      if (this.pinned.has(slot)) continue;
      this.cache.delete(slot);
      this.cleanBytes -= n.home!.pages * PAGE_BYTES;
    }
  }

  /** Run a synchronous tree operation, reading the pages it asks for until it completes. */
  private async withPages<T>(fn: () => T): Promise<T> {
    const excused = { n: 0 };
    for (;;) {
      const version = this.treeVersion;
      try {
        return fn();
      } catch (e) {
        if (!(e instanceof NeedPage)) throw e;
        await this.loadFor(e.ref, version, excused);
      }
    }
  }

  /**
   * Load a page an attempt asked for. If the tree changed since the attempt began, the page may have
   * left it (and its slot been freed or reused): a read that fails then is no error, the rerun decides.
   */
  private async loadFor(ref: PageRef, version: number, excused: { n: number }): Promise<void> {
    try {
      await this.load(ref);
    } catch (e) {
      if (this.treeVersion === version || ++excused.n > LOAD_RETRIES_MAX) throw e;
    }
  }

  private doneReading(): void {
    if (--this.extentReaders === 0 && this.deferredRelease.length) this.releasePages(this.deferredRelease.splice(0));
  }

  /** Read a large value; the caller counted itself in extentReaders before its last await. */
  private async readExtent(v: ValueExtent): Promise<Buffer> {
    try {
      for (const r of v.runs) this.checkRef(r);
      const first = v.runs[0]!;
      const off = this.pageOffset(first.slot);
      let buf = this.valuesInFlight.get(first.slot);
      if (!buf) {
        const parts = await Promise.all(v.runs.map((r) => this.dev.read(this.pageOffset(r.slot), r.pages * PAGE_BYTES)));
        buf = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      }
      if (cephCrc32c(0xffffffff, buf, 0, v.bytes) !== v.crc) {
        const where = v.runs.map((r) => `${this.pageOffset(r.slot)}+${r.pages * PAGE_BYTES}`).join(', ');
        throw new CephError('EIO', `kv: corrupt value on ${this.dev.name} at offset ${off} (pages ${where}; ${v.bytes} bytes): crc32c mismatch`);
      }
      return buf.subarray(0, v.bytes);
    } finally {
      this.doneReading();
    }
  }

  /** Give up a counted large-value read without reading. */
  private async skipRead(): Promise<Buffer> {
    this.doneReading();
    return Buffer.alloc(0);
  }

  private async valueOf(v: LeafValue): Promise<Buffer> {
    return v instanceof ValueExtent ? this.readExtent(v) : Buffer.from(v);
  }

  private releasePages(refs: PageRef[]): void {
    if (this.extentReaders > 0) {
      this.deferredRelease.push(...refs);
      return;
    }
    this.treeVersion++;
    for (const r of refs) {
      this.alloc.release(r.slot, r.pages);
      const c = this.cache.get(r.slot);
      if (c && c.home!.slot === r.slot) this.cacheDrop(r.slot);
    }
  }

  // ---- the tree lock: batches apply, and checkpoints freeze, one at a time ----

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.treeLock.then(fn);
    this.treeLock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private applyOp(op: KVOp): void {
    if (op.op === 'set') this.tree.set(op.key, op.value);
    else if (op.op === 'rm') this.tree.rm(op.key);
    else this.tree.rmRange(op.start, op.end);
  }

  /** Apply decoded ops (views of an encoded batch or a journal record) to the tree; adoptOps copies what it keeps. */
  private async applyOps(decoded: KVOp[]): Promise<void> {
    const ops = adoptOps(decoded, this.tree.inlineMax);
    for (const op of ops) {
      this.treeVersion++;
      // Most ops find their pages in memory: run them at once, and go through withPages (which
      // reads what is missing and reruns; the ops are idempotent at every NeedPage) only when not.
      try {
        this.applyOp(op);
        continue;
      } catch (e) {
        if (!(e instanceof NeedPage)) throw e;
      }
      await this.withPages(() => this.applyOp(op));
    }
  }

  private check(): void {
    if (this.failed) throw new CephError('EIO', `kv: ${this.dev.name} store failed earlier and must be reopened: ${this.failed.message}`);
    if (this.closed) throw new CephError('EBADF', `kv: ${this.dev.name} store is closed`);
  }

  private fail(e: unknown): Error {
    const err = e instanceof Error ? e : new Error(String(e));
    if (!this.failed) this.failed = err;
    for (const w of this.waiters.splice(0)) w.reject(err);
    return err;
  }

  // ---- KVStore ----

  async submit(batch: KVBatch, sync = true): Promise<void> {
    this.check();
    validateBatch(batch, this.batchBytesMax);
    if (batch.empty) return;
    const buf = encodeBatch(batch);
    // Pages the next checkpoint may need with this batch in (a heuristic: what is dirty now, the batch's
    // large values, a path of copied nodes, a node per KiB of keys and values); PAGES_RESERVE more stay
    // free for what the heuristic misses, and for the checkpoint after a replay at open.
    let batchPages = 2 * ADMISSION_PATH_PAGES;
    let smallBytes = buf.length;
    for (const op of batch.ops) {
      if (op.op !== 'set' || op.value.length <= VALUE_INLINE_BYTES_MAX) continue;
      batchPages += Math.ceil(op.value.length / PAGE_BYTES);
      smallBytes -= op.value.length;
    }
    batchPages += Math.ceil(smallBytes / 1024);
    const needPages = (): number => this.tree.dirtyPagesBound() + batchPages + this.pagesReserve;
    // Admission, in call order: wait for a checkpoint while dirty pages are over their bound or space is
    // short, then queue the apply on the tree lock (so batches apply in submission order).
    const admitted = this.admission.then(async () => {
      while (this.dirtyBytes() > this.dirtyBytesHard && !this.failed) await this.checkpointOnce();
      for (let tries = 0; tries < 3 && needPages() > this.alloc.free && !this.failed; tries++) await this.checkpointOnce();
      if (needPages() > this.alloc.free) {
        throw new CephError('ENOSPC', `kv: ${this.dev.name} has ${this.alloc.free} free pages, too few for a batch of ${buf.length} bytes (freed pages return after a checkpoint)`);
      }
      return { apply: this.locked(apply) };
    });
    this.admission = admitted.catch(() => undefined);
    // Reads issued from here on see this batch (the contract's read-your-writes): they wait for its apply.
    this.submitsQueued++;
    this.lastApply = admitted.then((a) => a.apply).then(
      () => void this.submitsDone++,
      () => void this.submitsDone++,
    );
    const apply = async (): Promise<number> => {
      this.check();
      try {
        await this.applyOps(decodeBatch(buf));
      } catch (e) {
        // A batch half applied in memory can not be taken back: the store stops.
        throw this.fail(e);
      }
      const s = ++this.seq;
      this.pending.push({ seq: s, buf });
      return s;
    };
    const seq = await (await admitted).apply;
    this.batches++;
    // The writer may have made it durable already (or failed) while this continuation waited its turn.
    let durable: Promise<void> | undefined;
    if (sync && this.failed) throw this.failed;
    if (sync && this.durableSeq < seq) durable = new Promise<void>((resolve, reject) => this.waiters.push({ seq, resolve, reject }));
    void this.writer();
    this.maybeCheckpoint();
    if (durable) await durable;
  }

  /** Wait until every batch submitted before this call is applied in memory. */
  private async appliedSoFar(): Promise<void> {
    // Batches apply in submission order, so the newest one's apply settling covers all before it; a
    // batch submitted after this call is not waited for.
    await this.lastApply;
  }

  async get(key: Buffer): Promise<Buffer | undefined> {
    this.check();
    if (this.submitsDone < this.submitsQueued) await this.appliedSoFar();
    // Count an extent read before any await, so no checkpoint can free its pages in between.
    const v = await this.withPages(() => {
      const found = this.tree.get(key);
      if (found instanceof ValueExtent) this.extentReaders++;
      return found;
    });
    return v === undefined ? undefined : this.valueOf(v);
  }

  async list(start: Buffer, end: Buffer | undefined, max: number): Promise<KVEntry[]> {
    this.check();
    if (this.submitsDone < this.submitsQueued) await this.appliedSoFar();
    const found: { key: Buffer; value: LeafValue }[] = [];
    let from = start;
    let counted = 0;
    const excused = { n: 0 };
    const countExtents = (): void => {
      for (; counted < found.length; counted++) if (found[counted]!.value instanceof ValueExtent) this.extentReaders++;
    };
    for (;;) {
      const version = this.treeVersion;
      try {
        this.tree.list(from, end, max, found);
        countExtents();
        break;
      } catch (e) {
        countExtents();
        if (!(e instanceof NeedPage)) {
          for (const f of found) if (f.value instanceof ValueExtent) this.doneReading();
          throw e;
        }
        if (found.length) from = Buffer.concat([found[found.length - 1]!.key, Buffer.alloc(1)]);
        await this.loadFor(e.ref, version, excused);
      }
    }
    // Large values are read WALK_READS_IN_FLIGHT at a time; every read counted above is settled (and
    // counts itself done) even when one fails.
    const out: KVEntry[] = [];
    let failure: unknown = null;
    for (let i = 0; i < found.length; i += WALK_READS_IN_FLIGHT) {
      const chunk = found.slice(i, i + WALK_READS_IN_FLIGHT);
      const values = await Promise.allSettled(chunk.map((f) => (failure === null || !(f.value instanceof ValueExtent) ? this.valueOf(f.value) : this.skipRead())));
      values.forEach((v, j) => {
        if (v.status === 'rejected') failure ??= v.reason;
        else out.push({ key: Buffer.from(chunk[j]!.key), value: v.value });
      });
    }
    if (failure !== null) throw failure;
    return out;
  }

  async checkpoint(): Promise<void> {
    this.check();
    if (this.checkpointRun) await this.checkpointRun.catch(() => undefined);
    await this.checkpointOnce();
  }

  stats(): KVStats {
    return {
      cacheBytes: this.cleanBytes + this.dirtyBytes(),
      cacheBytesMax: this.cacheBytesMax,
      usedBytes: 2 * HEADER_BYTES + (this.headLsn - this.startLsn) + (this.header.pageCount - this.alloc.free) * PAGE_BYTES,
      regionBytes: this.region.length,
      keys: this.tree.keys,
      batches: this.batches,
      flushes: this.flushes,
    };
  }

  /** Journal group records written since open (batches / groups is the group-commit factor). */
  get journalGroups(): number {
    return this.groups;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (!this.failed) {
      await this.admission;
      await this.treeLock;
      while (this.pending.length || this.writerRun) await (this.writerRun ?? this.writer());
      await this.checkpoint();
    }
    this.closed = true;
  }

  // ---- group commit ----

  /** Write pending batches as group records, one write and one flush per group, until none are left. */
  private writer(): Promise<void> {
    if (!this.writerRun) {
      this.writerRun = this.writeLoop().finally(() => {
        this.writerRun = null;
        if (this.pending.length && !this.failed) void this.writer();
        this.maybeCheckpoint();
      });
    }
    return this.writerRun;
  }

  private async writeLoop(): Promise<void> {
    try {
      while (this.pending.length && !this.failed) {
        // Gather: let submits already queued for admission and the tree lock apply first, so they join this group.
        await this.admission;
        await this.treeLock;
        const groupMax = Math.floor(this.journalBytes / JOURNAL_GROUP_DIVISOR);
        let payload = 0;
        let n = 0;
        while (n < this.pending.length && (n === 0 || payload + this.pending[n]!.buf.length + RECORD_HEADER_BYTES <= groupMax)) payload += this.pending[n++]!.buf.length;
        const group = this.pending.slice(0, n);
        const bytes = recordBytesFor(payload);
        const place = (): number => {
          const phys = this.headLsn % this.journalBytes;
          return phys + bytes > this.journalBytes ? this.headLsn + this.journalBytes - phys : this.headLsn;
        };
        // The ring must not overrun records the durable header still needs: checkpoint first.
        while (place() + bytes - this.startLsn > this.journalBytes) await this.checkpointOnce();
        this.pending.splice(0, n);
        const lsn = place();
        this.headLsn = lsn + bytes;
        const data = encodeRecord(this.uuidTag, lsn, group[0]!.seq, group.map((p) => p.buf));
        if (qd1Trace) qd1Stamp('kv.write');
        await this.dev.write(this.journalBase + (lsn % this.journalBytes), data);
        if (qd1Trace) qd1Stamp('kv.flush');
        await this.dev.flush();
        if (qd1Trace) qd1Stamp('kv.flushed');
        this.flushes++;
        this.groups++;
        this.durableSeq = group[n - 1]!.seq;
        const ready = this.waiters.filter((w) => w.seq <= this.durableSeq);
        this.waiters = this.waiters.filter((w) => w.seq > this.durableSeq);
        for (const w of ready) w.resolve();
      }
    } catch (e) {
      this.fail(e);
    }
  }

  // ---- checkpoints ----

  private maybeCheckpoint(): void {
    if (this.checkpointRun || this.failed || this.closed) return;
    const journalUsed = this.headLsn - this.startLsn;
    if (journalUsed > this.journalBytes / 2 || this.dirtyBytes() > this.dirtyBytesSoft) {
      this.checkpointOnce().catch(() => undefined);
    }
  }

  /** Run a checkpoint, or wait for the one running. */
  private checkpointOnce(): Promise<void> {
    if (!this.checkpointRun) {
      this.checkpointRun = this.runCheckpoint().finally(() => {
        this.checkpointRun = null;
      });
    }
    return this.checkpointRun;
  }

  /**
   * Freeze the tree (give dirty nodes free pages, encode them), write them, flush, write the other
   * header block, flush; only then free the pages the previous tree used and the journal before the freeze.
   */
  private async runCheckpoint(): Promise<void> {
    const frozen = await this.locked(async () => {
      this.check();
      const idle = !(this.tree.root instanceof Node) && this.tree.freed.length === 0 && this.headLsn === this.startLsn && this.seq === this.header.checkpointSeq;
      if (idle) {
        // Nothing reachable is dirty (the dirty nodes made since the last freeze were all dropped again).
        this.tree.clearDirty();
        return null;
      }
      const generation = this.header.generation + 1;
      const res = this.tree.freeze(this.alloc, this.uuidTag, generation);
      this.freezes++;
      this.generationMax = generation;
      const release = this.tree.freed;
      this.tree.freed = [];
      // Clean images of the written nodes, decoded from their own pages (so they share no batch buffers).
      const bySlot = new Map(res.writes.map((w) => [w.slot, w]));
      for (const v of res.values) this.valuesInFlight.set(v.extent.runs[0]!.slot, v.data);
      for (const n of res.nodes) {
        const home = n.home!;
        const w = bySlot.get(home.slot);
        assert(w, 'frozen node has a write');
        this.pinned.add(home.slot);
        this.cacheInsert(home.slot, decodeNode(w.data[0]!, home, this.uuidTag, 'checkpoint', generation));
      }
      const next: KVHeader = {
        ...this.header, generation, root: res.root, checkpointSeq: this.seq, journalStartLsn: this.headLsn, keys: this.tree.keys,
      };
      return { res, release, next };
    });
    if (!frozen) return;
    const { res, release, next } = frozen;
    try {
      const runs = coalesce(res.writes);
      for (let i = 0; i < runs.length; i += CHECKPOINT_WRITES_IN_FLIGHT) {
        await Promise.all(runs.slice(i, i + CHECKPOINT_WRITES_IN_FLIGHT).map((w) => this.dev.write(this.pageOffset(w.slot), w.data)));
      }
      if (res.writes.length) {
        await this.dev.flush();
        this.flushes++;
      }
      await this.dev.write(this.region.offset + (next.generation % 2) * HEADER_BYTES, [encodeHeader(next)]);
      await this.dev.flush();
      this.flushes++;
    } catch (e) {
      throw this.fail(e);
    } finally {
      for (const n of res.nodes) this.pinned.delete(n.home!.slot);
      for (const v of res.values) this.valuesInFlight.delete(v.extent.runs[0]!.slot);
    }
    this.header = next;
    this.startLsn = next.journalStartLsn;
    this.releasePages(release);
    this.evict();
  }

  // ---- recovery ----

  /** Rebuild the free-page map from the tree, then replay the journal after the checkpoint. */
  async recover(): Promise<void> {
    await this.walk((ref) => {
      this.checkRef(ref);
      if (!this.alloc.markUsed(ref.slot, ref.pages)) {
        throw new CephError('EIO', `kv: page ${ref.slot}+${ref.pages} of ${this.dev.name} is referenced twice (corrupt tree)`);
      }
    });
    await this.replay();
    if (this.headLsn !== this.startLsn) await this.checkpointOnce();
    // The sector at the journal's end may hold the header of a record torn by the crash. If the next
    // record is placed at the ring's next lap instead (it does not fit before the end), a later replay
    // would stop at that stale header and miss it: clear the sector, durably, before writing any record.
    await this.dev.write(this.journalBase + (this.headLsn % this.journalBytes), [Buffer.alloc(JOURNAL_ALIGN_BYTES)]);
    await this.dev.flush();
    this.flushes++;
  }

  /**
   * Visit every node and value extent of the durable tree (breadth first, reads in parallel), calling
   * `each` for each page run; returns [nodes, depth].
   */
  private async walk(each: (ref: PageRef, n: Node | null, lo: Buffer | null, hi: Buffer | null, depth: number) => void): Promise<[number, number]> {
    const root = this.header.root;
    if (!root) return [0, 0];
    let level: { ref: PageRef; lo: Buffer | null; hi: Buffer | null }[] = [{ ref: root, lo: null, hi: null }];
    let depth = 0;
    let nodes = 0;
    while (level.length) {
      depth++;
      if (depth > TREE_DEPTH_MAX) throw new CephError('EIO', `kv: tree of ${this.dev.name} deeper than ${TREE_DEPTH_MAX}`);
      const next: typeof level = [];
      for (let i = 0; i < level.length; i += WALK_READS_IN_FLIGHT) {
        const chunk = level.slice(i, i + WALK_READS_IN_FLIGHT);
        await Promise.all(chunk.map((c) => this.load(c.ref)));
        for (const c of chunk) {
          const n = await this.withPages(() => this.node(c.ref));
          nodes++;
          each(c.ref, n, c.lo, c.hi, depth);
          if (n.leaf) {
            for (const v of n.vals) if (v instanceof ValueExtent) for (const r of v.runs) each(r, null, null, null, depth);
          } else {
            for (let k = 0; k < n.kids.length; k++) {
              next.push({ ref: n.kids[k] as PageRef, lo: k === 0 ? c.lo : n.keys[k - 1]!, hi: k < n.keys.length ? n.keys[k]! : c.hi });
            }
          }
        }
      }
      level = next;
    }
    return [nodes, depth];
  }

  /** Read the record header at `lsn` if one is there. */
  private async recordHeaderAt(lsn: number): Promise<{ h: RecordHeader; first: Buffer } | null> {
    const first = await this.dev.read(this.journalBase + (lsn % this.journalBytes), JOURNAL_ALIGN_BYTES);
    const h = decodeRecordHeader(first, this.uuidTag, lsn);
    if (!h || (lsn % this.journalBytes) + h.recordBytes > this.journalBytes || lsn + h.recordBytes - this.startLsn > this.journalBytes) return null;
    return { h, first };
  }

  /** The record at `lsn`, or (when nothing sound is there) at the start of the next ring lap. */
  private async findRecord(lsn: number): Promise<{ h: RecordHeader; first: Buffer } | null> {
    const here = await this.recordHeaderAt(lsn);
    if (here || lsn % this.journalBytes === 0) return here;
    return this.recordHeaderAt(lsn + this.journalBytes - (lsn % this.journalBytes));
  }

  /** Apply the journal's records after the checkpoint in order; stop at the first one that is not whole. */
  private async replay(): Promise<number> {
    let lsn = this.startLsn;
    let expected = this.header.checkpointSeq + 1;
    let applied = 0;
    for (;;) {
      const found = await this.findRecord(lsn);
      if (!found) break;
      const { h } = found;
      // Records continue the sequence; the first after a checkpoint may repeat batches it already holds.
      if (h.firstSeq > expected) break;
      const buf = h.recordBytes > JOURNAL_ALIGN_BYTES ? await this.dev.read(this.journalBase + (h.lsn % this.journalBytes), h.recordBytes) : found.first;
      const batches = recordBatches(buf, h);
      if (!batches) break;
      for (let i = 0; i < batches.length; i++) {
        const seq = h.firstSeq + i;
        if (seq < expected) continue;
        let ops: KVOp[];
        try {
          ops = decodeBatch(batches[i]!);
        } catch (e) {
          throw new CephError('EIO', `kv: journal batch ${seq} on ${this.dev.name} does not decode: ${(e as Error).message}`);
        }
        await this.applyOps(ops);
        applied++;
        expected = seq + 1;
      }
      lsn = h.lsn + h.recordBytes;
    }
    await this.checkJournalEnd(lsn, expected);
    this.headLsn = lsn;
    this.seq = expected - 1;
    this.durableSeq = this.seq;
    return applied;
  }

  /**
   * Replay stopped at `lsn`: a torn or never-written tail, or a damaged record with committed ones after
   * it. Records are written one group at a time, each after the previous one's flush, so no whole record
   * (header and payload sound) can follow the end of the journal: look for one in the next
   * JOURNAL_SCAN_BYTES and call it EIO if found.
   */
  private async checkJournalEnd(lsn: number, expected: number): Promise<void> {
    const limit = Math.min(this.startLsn + this.journalBytes, lsn + JOURNAL_SCAN_BYTES);
    for (let at = lsn; at < limit; ) {
      const phys = at % this.journalBytes;
      const len = Math.min(limit - at, this.journalBytes - phys, JOURNAL_SCAN_READ_BYTES);
      const chunk = await this.dev.read(this.journalBase + phys, len);
      for (let o = 0; o < len; o += JOURNAL_ALIGN_BYTES) {
        const h = decodeRecordHeader(chunk.subarray(o, o + RECORD_HEADER_BYTES), this.uuidTag, at + o);
        if (!h || h.firstSeq < expected || (phys + o) + h.recordBytes > this.journalBytes) continue;
        const whole = await this.dev.read(this.journalBase + phys + o, h.recordBytes);
        if (recordBatches(whole, h)) {
          throw new CephError('EIO', `kv: journal of ${this.dev.name} is damaged at offset ${this.journalBase + (lsn % this.journalBytes)}: a record of batches ${h.firstSeq}.. follows at offset ${this.journalBase + phys + o}, so committed batches would be lost`);
        }
      }
      at += len;
    }
  }

  /** Where the engine's parts lie on the device (for tools and tests). */
  layout(): { headerOffset: number; journalOffset: number; journalBytes: number; pageOffset: number; pageCount: number; generation: number } {
    return { headerOffset: this.region.offset, journalOffset: this.journalBase, journalBytes: this.journalBytes, pageOffset: this.pageBase, pageCount: this.header.pageCount, generation: this.header.generation };
  }

  /** The journal's live window: replay starts at startLsn, the next record goes at headLsn (logical bytes). */
  journalWindow(): { startLsn: number; headLsn: number } {
    return { startLsn: this.startLsn, headLsn: this.headLsn };
  }

  /** Page runs the durable tree uses: its nodes and its large values. */
  async usedRuns(): Promise<{ slot: number; pages: number; kind: 'node' | 'value' }[]> {
    const out: { slot: number; pages: number; kind: 'node' | 'value' }[] = [];
    await this.walk((ref, n) => void out.push({ slot: ref.slot, pages: ref.pages, kind: n ? 'node' : 'value' }));
    return out;
  }

  // ---- fsck ----

  /** Check every node, value and the tree's order against the device (after a checkpoint). */
  async fsck(): Promise<KVFsckReport> {
    await this.checkpoint();
    const errors: string[] = [];
    const seen = new PageAllocator(this.header.pageCount);
    let keys = 0;
    let extents = 0;
    const leafDepths = new Set<number>();
    const valueChecks: Promise<void>[] = [];
    let nodes = 0;
    let depth = 0;
    try {
      // Read pages straight from the device, not the cache.
      for (const slot of [...this.cache.keys()]) if (!this.pinned.has(slot)) this.cacheDrop(slot);
      [nodes, depth] = await this.walk((ref, n, lo, hi, d) => {
        if (!seen.markUsed(ref.slot, ref.pages)) errors.push(`page ${ref.slot}+${ref.pages} is referenced twice or lies outside the page area`);
        if (!n) return;
        for (let i = 1; i < n.keys.length; i++) {
          if (Buffer.compare(n.keys[i - 1]!, n.keys[i]!) >= 0) errors.push(`page ${ref.slot}: keys ${i - 1} and ${i} are out of order`);
        }
        if (n.keys.length) {
          if (lo && Buffer.compare(n.keys[0]!, lo) < 0) errors.push(`page ${ref.slot}: first key sorts before its parent's bound`);
          if (hi && Buffer.compare(n.keys[n.keys.length - 1]!, hi) >= 0) errors.push(`page ${ref.slot}: last key sorts at or after its parent's bound`);
        }
        if (n.leaf) {
          leafDepths.add(d);
          keys += n.keys.length;
          if (n.keys.length === 0) errors.push(`page ${ref.slot}: empty leaf`);
          for (const v of n.vals) {
            if (v instanceof ValueExtent) {
              extents++;
              this.extentReaders++;
              valueChecks.push(this.readExtent(v).then(() => undefined, (e: Error) => void errors.push(e.message)));
            }
          }
        } else if (n.kids.length === 0) errors.push(`page ${ref.slot}: branch without children`);
      });
      await Promise.all(valueChecks);
    } catch (e) {
      errors.push((e as Error).message);
    }
    if (leafDepths.size > 1) errors.push(`leaves at different depths: ${[...leafDepths].join(', ')}`);
    if (errors.length === 0 && keys !== this.tree.keys) errors.push(`tree holds ${keys} keys, header says ${this.tree.keys}`);
    if (errors.length === 0 && seen.free !== this.alloc.free) errors.push(`${this.header.pageCount - seen.free} pages in use, allocator says ${this.header.pageCount - this.alloc.free}`);
    return { errors, nodes, keys, valueExtents: extents, depth };
  }
}
