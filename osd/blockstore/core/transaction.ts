// BlockStore's transaction logic as a pure, synchronous function: a Transaction and what the shell
// prefetched (onodes with their extent maps, device blocks, omap contents, collection listings) go in;
// a plan comes out: the KV batch, the data writes to newly allocated blocks, the deferred (journaled)
// small writes, the blocks freed, and the new cached state. No I/O, no clock, no randomness.
//
// When the core finds it needs something the shell did not prefetch (a block to read-modify-write, the
// omap of a clone source, an object moved by a split), it finishes the pass to learn everything it is
// missing and returns those needs instead of a plan; the shell fetches them and runs it again. The core
// changes nothing outside its own copies until it returns a plan (the allocator is the one exception:
// the blocks of a returned plan are taken from it).
//
// Validation and its order follow the reference model (test/support/store-model.ts): each op is checked
// (EINVAL), then its collection (ENOENT), then applied to the transaction's working state; the first
// failure rejects the whole transaction with nothing applied.

import { CephError, assert, type ErrnoName } from '../../../common/errors.js';
import { crc32c } from '../../../common/crc32c.js';
import { KVBatch } from '../../../common/kv/types.js';
import {
  TX_DATA_BYTES_MAX, TX_OPS_MAX, objectText,
  type CollectionId, type GHObject, type Transaction, type TxOp,
} from '../../objectstore/types.js';
import { hashMatches, objectProblem, txOpFormProblem, validCollection } from '../../objectstore/validate.js';
import type { Allocator, BlockRun } from './allocator.js';
import { PieceCursor } from './pieces.js';
import {
  NID_MAX_KEY, collectionKey, decodeOnodeKey, omapHeaderKey, omapKey, omapRange,
  onodeKey, shardKey, shardRange,
} from './keys.js';
import { BLOCK_BYTES, DEFERRED_TXN_BYTES_MAX, NID_RESERVE_STEP, SHARD_BLOCKS, SHARD_SHIFT } from './limits.js';
import {
  copyShard, encodeCollection, encodeNidMax, encodeOnode, encodeShard, newShard, shardEmpty,
  type DeferredBlock, type ExtentShard, type Onode,
} from './onode.js';

export interface CollState {
  readonly bits: number;
  /** Objects in the collection. */
  readonly objects: number;
}

/** An object's omap as the KV holds it (for clone). */
export interface OmapContent {
  readonly header: Buffer | undefined;
  readonly entries: ReadonlyMap<string, Buffer>;
}

/** What the core reads. Onodes come with every extent shard loaded. */
export interface CoreEnv {
  readonly collections: ReadonlyMap<CollectionId, CollState>;
  /** By onode key (latin1 string of the KV key): the onode, or null when the object does not exist. */
  readonly onodes: ReadonlyMap<string, Onode | null>;
  /** Device blocks the shell read, by block number. */
  readonly blocks: ReadonlyMap<number, Buffer>;
  readonly omaps: ReadonlyMap<number, OmapContent>;
  /** Onode keys (latin1) of a collection's objects, for a split. */
  readonly listings: ReadonlyMap<CollectionId, readonly string[]>;
  readonly allocator: Allocator;
  /** The next node id to hand out, and the end of the reserved range persisted in the KV. */
  readonly nidNext: number;
  readonly nidMax: number;
  /** Writes up to this many bytes to blocks an object owns are deferred (0: never). */
  readonly deferredWriteBytesMax: number;
  /**
   * Writes up to this many bytes to blocks an object does not own yet (a new object, an append, a
   * hole) are journaled as well: their new blocks are written in place after the commit, so the
   * transaction needs one flush (the KV's) instead of two (data, then KV). 0: never. Default 0.
   */
  readonly deferredFreshBytesMax?: number;
  /** Onode keys the shell already built for this transaction's objects (by object identity), to reuse. */
  readonly onodeKeys?: ReadonlyMap<GHObject, OnodeKeyOf>;
}

/** An object's onode key in one collection, as bytes and as the latin1 string the maps use. */
export interface OnodeKeyOf {
  readonly cid: CollectionId;
  readonly key: Buffer;
  readonly keyStr: string;
}

export interface CoreNeeds {
  readonly onodes: Set<string>;
  readonly blocks: Set<number>;
  readonly omaps: Set<number>;
  readonly listings: Set<CollectionId>;
}

/** One device write of newly allocated, contiguous blocks. */
export interface DataWrite {
  readonly offset: number;
  readonly data: Buffer[];
}

export interface CorePlan {
  readonly batch: KVBatch;
  readonly dataWrites: DataWrite[];
  /**
   * Blocks to write in place once the batch is durable. Their journal record is not in the batch: the
   * shell writes one record for all the transactions that share a KV batch (their blocks in queue
   * order) and adds it then; until that record is built the blocks' data are the caller's buffers.
   */
  readonly deferred: DeferredBlock[];
  /** Blocks that become free once the batch is durable. */
  readonly freed: number[];
  /** Blocks taken from the allocator for this plan. */
  readonly allocated: BlockRun[];
  /** New cached state: onode key (latin1) -> onode or null (gone). */
  readonly onodes: Map<string, Onode | null>;
  readonly collections: Map<CollectionId, CollState | null>;
  readonly nidNext: number;
  readonly nidMax: number;
  /** Change of the sum of object sizes. */
  readonly storedDelta: number;
  /**
   * Compute the crc32c of every block written and put them in the extent shards and the batch. Until
   * then the plan's crcs are placeholders: the shell calls it right after issuing the data writes, so
   * the checksum work overlaps the device's, and before anything reads the plan's onodes.
   */
  readonly seal: () => void;
}

/** Views laid end to end in one ArrayBuffer merged into one view each (a view per maximal run). */
function joinViews(views: readonly Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  let i = 0;
  while (i < views.length) {
    const first = views[i]!;
    let end = first.byteOffset + first.length;
    let j = i + 1;
    while (j < views.length && views[j]!.buffer === first.buffer && views[j]!.byteOffset === end) end += views[j++]!.length;
    out.push(j === i + 1 ? first : Buffer.from(first.buffer, first.byteOffset, end - first.byteOffset));
    i = j;
  }
  return out;
}

export type CoreResult = { readonly plan: CorePlan; readonly needs?: undefined } | { readonly plan?: undefined; readonly needs: CoreNeeds };

const ZERO_BLOCK = Buffer.alloc(BLOCK_BYTES);
/** Blocks of a write that straddle its pieces' boundaries are copied into slabs of this many blocks. */
const STRADDLE_SLAB_BLOCKS = 64;
/** Plans writing at most this many blocks compute their crcs in finish(), not in seal(). */
const SEAL_NOW_BLOCKS_MAX = 16;

interface Pending {
  data: Buffer;
  /** Overwrite the block the object already owns, through the journal. */
  inplace: boolean;
  /** A new block whose data goes through the journal too (a small write to a hole or past the end). */
  journaled: boolean;
}

interface OmapLogOp {
  readonly op: 'set' | 'rm' | 'rmRange' | 'clear' | 'header';
  readonly key?: string;
  readonly last?: string;
  readonly value?: Buffer;
}

interface Node {
  readonly nid: number;
  onode: Onode;
  owned: boolean;
  /** The onode's attrs map is this transaction's own (own() shares the cached one until an attr changes). */
  attrsOwned: boolean;
  readonly ownedShards: Set<number>;
  dirty: boolean;
  readonly pending: Map<number, Pending>;
  alive: boolean;
  /** Created by this transaction: nothing of it is in the KV yet. */
  readonly isNew: boolean;
  readonly omapLog: OmapLogOp[];
  /** The name the node goes by, for error messages (text built only when one is). */
  whatCid: CollectionId;
  whatOid: GHObject | undefined;
}

interface Name {
  readonly cid: CollectionId;
  readonly oid: GHObject;
  readonly key: Buffer;
  readonly base: Onode | null;
  node: Node | null;
}

function fail(code: ErrnoName, index: number, op: TxOp, what: string): never {
  throw new CephError(code, `op ${index} (${op.op}): ${what}`);
}

/** Check an op's own arguments (EINVAL), as every store does (osd/objectstore/validate.ts). */
function validateOp(op: TxOp, i: number): void {
  const problem = txOpFormProblem(op);
  if (problem) fail('EINVAL', i, op, problem);
}

/** The objects a transaction names, for the shell to prefetch: [cid, oid] pairs. */
export function referencedObjects(t: Transaction): [CollectionId, GHObject][] {
  const out: [CollectionId, GHObject][] = [];
  for (const op of t.ops) {
    if (op.op === 'mkcoll' || op.op === 'rmcoll' || op.op === 'splitCollection' || op.op === 'collSetBits') continue;
    if (objectProblem(op.oid) || !validCollection(op.cid)) continue;
    out.push([op.cid, op.oid]);
    if (op.op === 'clone' || op.op === 'cloneRange') {
      if (!objectProblem(op.dest)) out.push([op.cid, op.dest]);
    } else if (op.op === 'collMoveRename') {
      if (!objectProblem(op.dest) && validCollection(op.destCid)) out.push([op.destCid, op.dest]);
    }
  }
  return out;
}

/** True when the transaction reads KV state beyond onodes (a split's listing, a clone's omap): the shell lets earlier transactions commit first. */
export function needsBarrier(t: Transaction): boolean {
  for (const op of t.ops) if (op.op === 'splitCollection' || op.op === 'clone') return true;
  return false;
}

/** Plan one transaction. Throws a CephError when it cannot apply (nothing is changed). */
export function prepareTransaction(t: Transaction, env: CoreEnv): CoreResult {
  if (t.ops.length > TX_OPS_MAX) throw new CephError('E2BIG', `transaction of ${t.ops.length} ops (max ${TX_OPS_MAX})`);
  let dataBytes = 0;
  for (const op of t.ops) if (op.op === 'write') dataBytes += op.length;
  if (dataBytes > TX_DATA_BYTES_MAX) throw new CephError('E2BIG', `transaction carries ${dataBytes} data bytes (max ${TX_DATA_BYTES_MAX})`);
  const p = new Planner(env);
  try {
    for (let i = 0; i < t.ops.length; i++) p.apply(t.ops[i]!, i);
  } catch (err) {
    // A failure reached with missing inputs may be an artefact of them: fetch and run again.
    if (p.missing()) return { needs: p.wanted() };
    throw err;
  }
  if (p.missing()) return { needs: p.wanted() };
  return { plan: p.finish() };
}

class Planner {
  /** What the pass found missing; made on the first miss (most transactions have none). */
  private needs: CoreNeeds | undefined;
  private readonly batch = new KVBatch();
  private readonly names = new Map<string, Name>();
  private readonly nodes = new Map<number, Node>();
  /** Collections this transaction changed (null: removed), over env.collections. */
  private readonly collsChanged = new Map<CollectionId, CollState | null>();
  private readonly freed: number[] = [];
  private nidNext: number;
  private deferredBytes = 0;

  constructor(private readonly env: CoreEnv) {
    this.nidNext = env.nidNext;
  }

  missing(): boolean {
    const n = this.needs;
    return n !== undefined && n.onodes.size + n.blocks.size + n.omaps.size + n.listings.size > 0;
  }

  /** The needs of a pass that found something missing. */
  wanted(): CoreNeeds {
    assert(this.needs !== undefined, 'needs asked of a pass that missed nothing');
    return this.needs;
  }

  private need(): CoreNeeds {
    this.needs ??= { onodes: new Set(), blocks: new Set(), omaps: new Set(), listings: new Set() };
    return this.needs;
  }

  // ---- working state

  private coll(cid: CollectionId): CollState | undefined {
    const c = this.collsChanged.get(cid);
    if (c !== undefined) return c ?? undefined;
    return this.env.collections.get(cid);
  }

  private setColl(cid: CollectionId, c: CollState | null): void {
    this.collsChanged.set(cid, c);
  }

  private nameByKey(keyStr: string, cid: CollectionId, oid: GHObject, key: Buffer): Name {
    let n = this.names.get(keyStr);
    if (n) return n;
    let base = this.env.onodes.get(keyStr);
    if (base === undefined) {
      this.need().onodes.add(keyStr);
      base = null;
    }
    let node: Node | null = null;
    if (base) {
      node = this.nodes.get(base.nid) ?? null;
      if (!node) {
        node = {
          nid: base.nid, onode: base, owned: false, attrsOwned: false, ownedShards: new Set(), dirty: false, pending: new Map(),
          alive: true, isNew: false, omapLog: [], whatCid: cid, whatOid: oid,
        };
        this.nodes.set(base.nid, node);
      }
    }
    n = { cid, oid, key, base, node };
    this.names.set(keyStr, n);
    return n;
  }

  private name(cid: CollectionId, oid: GHObject): Name {
    const known = this.env.onodeKeys?.get(oid);
    if (known !== undefined && known.cid === cid) return this.nameByKey(known.keyStr, cid, oid, known.key);
    const key = onodeKey(cid, oid);
    return this.nameByKey(key.toString('latin1'), cid, oid, key);
  }

  /** Point a name at a node (or none), keeping the collection's object count. */
  private bind(n: Name, node: Node | null): void {
    if ((n.node !== null) !== (node !== null)) {
      const c = this.coll(n.cid);
      if (c) this.setColl(n.cid, { bits: c.bits, objects: c.objects + (node ? 1 : -1) });
    }
    n.node = node;
    if (node) {
      node.whatCid = n.cid;
      node.whatOid = n.oid;
    }
  }

  private create(n: Name): Node {
    const nid = this.nidNext++;
    const node: Node = {
      nid, onode: { nid, size: 0, attrs: new Map(), shards: new Map() }, owned: true, attrsOwned: true, ownedShards: new Set(), dirty: true,
      pending: new Map(), alive: true, isNew: true, omapLog: [], whatCid: n.cid, whatOid: undefined,
    };
    this.nodes.set(nid, node);
    this.bind(n, node);
    return node;
  }

  /** The object's node, created when missing. */
  private obtain(n: Name): Node {
    return n.node ?? this.create(n);
  }

  /** The node's onode, copied for this transaction (its record is rewritten only when marked dirty). */
  private own(node: Node): Onode {
    if (!node.owned) {
      const o = node.onode;
      // forEach, not new Map(o.shards): the constructor walks an iterator, an entry array per shard.
      const shards = new Map<number, ExtentShard>();
      o.shards.forEach(copyEntry, shards);
      node.onode = { nid: o.nid, size: o.size, attrs: o.attrs, shards };
      node.owned = true;
    }
    return node.onode;
  }

  /** The onode's attrs to change (copied on the first change): its record goes into the batch. */
  private mutAttrs(node: Node): Map<string, Buffer> {
    const o = this.mutOnode(node);
    if (!node.attrsOwned) {
      o.attrs = new Map(o.attrs);
      node.attrsOwned = true;
    }
    return o.attrs;
  }

  /** The onode to change size or attrs in: its record goes into the batch. */
  private mutOnode(node: Node): Onode {
    node.dirty = true;
    return this.own(node);
  }

  private mutShard(node: Node, index: number): ExtentShard {
    const o = this.own(node);
    let s = o.shards.get(index);
    if (!s || !node.ownedShards.has(index)) {
      s = s ? copyShard(s) : newShard();
      o.shards.set(index, s);
      node.ownedShards.add(index);
    }
    return s;
  }

  private pblock(node: Node, l: number): number {
    const s = node.onode.shards.get(l >>> SHARD_SHIFT);
    return s ? s.pblocks[l & (SHARD_BLOCKS - 1)]! : 0;
  }

  /** The current 4 KiB of logical block l (zeros for a hole), verified against its crc. */
  private content(node: Node, l: number): Buffer {
    const p = node.pending.get(l);
    if (p) return p.data;
    const s = node.onode.shards.get(l >>> SHARD_SHIFT);
    const pb = s ? s.pblocks[l & (SHARD_BLOCKS - 1)]! : 0;
    if (!s || pb === 0) return ZERO_BLOCK;
    const b = this.env.blocks.get(pb);
    if (!b) {
      this.need().blocks.add(pb);
      return ZERO_BLOCK;
    }
    if (crc32c(b) !== s.crcs[l & (SHARD_BLOCKS - 1)]) {
      throw new CephError('EIO', `blockstore: checksum mismatch in ${node.whatCid} ${node.whatOid ? objectText(node.whatOid) : ''} at offset ${l * BLOCK_BYTES} (device block ${pb})`);
    }
    return b;
  }

  /**
   * `opBytes`: the length of the op writing the block; small ops go through the journal (0: the
   * block's own rewrite, as a truncate's tail, always journaled where it overwrites; Infinity: never).
   */
  private pend(node: Node, l: number, data: Buffer, opBytes: number): void {
    const old = node.pending.get(l);
    if (old) {
      old.data = data;
      return;
    }
    const owned = this.pblock(node, l) !== 0;
    const fits = this.deferredBytes + BLOCK_BYTES <= DEFERRED_TXN_BYTES_MAX;
    const inplace = owned && fits && opBytes <= this.env.deferredWriteBytesMax;
    const freshMax = this.env.deferredFreshBytesMax ?? 0;
    const journaled = !owned && fits && freshMax > 0 && opBytes <= freshMax;
    if (inplace || journaled) this.deferredBytes += BLOCK_BYTES;
    node.pending.set(l, { data, inplace, journaled });
    this.own(node);
  }

  /** Make logical block l a hole; its device block is freed with the transaction. */
  private punch(node: Node, l: number): void {
    node.pending.delete(l);
    const pb = this.pblock(node, l);
    if (pb === 0) return;
    const s = this.mutShard(node, l >>> SHARD_SHIFT);
    s.pblocks[l & (SHARD_BLOCKS - 1)] = 0;
    s.crcs[l & (SHARD_BLOCKS - 1)] = 0;
    this.freed.push(pb);
  }

  /** Every logical block >= from that has content (device block or pending). */
  private blocksFrom(node: Node, from: number): number[] {
    const out = new Set<number>();
    for (const [si, s] of node.onode.shards) {
      if ((si + 1) * SHARD_BLOCKS <= from) continue;
      for (let i = 0; i < SHARD_BLOCKS; i++) {
        const l = si * SHARD_BLOCKS + i;
        if (l >= from && s.pblocks[i] !== 0) out.add(l);
      }
    }
    for (const l of node.pending.keys()) if (l >= from) out.add(l);
    return [...out].sort((a, b) => a - b);
  }

  /**
   * Write `data` (or zeros when null) at [off, off+len). `data` is the op's list of pieces, never
   * joined: a whole block is a view of the piece holding it; one straddling pieces is copied into a
   * slab of straddled blocks (one allocation for up to STRADDLE_SLAB_BLOCKS of them).
   */
  private writeRange(node: Node, off: number, len: number, data: readonly Buffer[] | null, opBytes: number): void {
    const end = off + len;
    const cursor = data ? new PieceCursor(data) : undefined;
    let slab: Buffer | undefined;
    let slabAt = 0;
    for (let l = Math.floor(off / BLOCK_BYTES); l * BLOCK_BYTES < end; l++) {
      const bs = l * BLOCK_BYTES;
      const a = Math.max(off, bs) - bs;
      const b = Math.min(end, bs + BLOCK_BYTES) - bs;
      if (a === 0 && b === BLOCK_BYTES) {
        if (!cursor) {
          this.punch(node, l);
          continue;
        }
        let blk = cursor.view(bs - off, bs - off + BLOCK_BYTES);
        if (!blk) {
          if (!slab || slabAt === slab.length) {
            slab = Buffer.allocUnsafeSlow(Math.min(STRADDLE_SLAB_BLOCKS, data!.length) * BLOCK_BYTES);
            slabAt = 0;
          }
          blk = slab.subarray(slabAt, slabAt + BLOCK_BYTES);
          slabAt += BLOCK_BYTES;
          cursor.copy(bs - off, bs - off + BLOCK_BYTES, blk, 0);
        }
        this.pend(node, l, blk, opBytes);
        continue;
      }
      const cur = this.content(node, l);
      if (!cursor && cur === ZERO_BLOCK) continue;
      const blk = Buffer.from(cur);
      if (cursor) cursor.copy(bs + a - off, bs + b - off, blk, a);
      else blk.fill(0, a, b);
      this.pend(node, l, blk, opBytes);
    }
    if (end > node.onode.size) this.mutOnode(node).size = end;
  }

  private readRange(node: Node, off: number, len: number): Buffer {
    const out = Buffer.alloc(len);
    const end = off + len;
    for (let l = Math.floor(off / BLOCK_BYTES); l * BLOCK_BYTES < end; l++) {
      const bs = l * BLOCK_BYTES;
      const a = Math.max(off, bs);
      const b = Math.min(end, bs + BLOCK_BYTES);
      this.content(node, l).copy(out, a - off, a - bs, b - bs);
    }
    return out;
  }

  private truncate(node: Node, size: number): void {
    const o = this.own(node);
    if (size < o.size) {
      for (const l of this.blocksFrom(node, Math.ceil(size / BLOCK_BYTES))) this.punch(node, l);
      const tail = size % BLOCK_BYTES;
      if (tail !== 0) {
        const l = Math.floor(size / BLOCK_BYTES);
        const cur = this.content(node, l);
        if (cur !== ZERO_BLOCK) {
          const blk = Buffer.from(cur);
          blk.fill(0, tail);
          this.pend(node, l, blk, 0);
        }
      }
    }
    if (o.size !== size) {
      o.size = size;
      node.dirty = true;
    }
  }

  /** Drop a node: its blocks are freed, its extent map and omap removed. */
  private kill(node: Node): void {
    for (const l of this.blocksFrom(node, 0)) this.punch(node, l);
    node.alive = false;
    if (!node.isNew) {
      const [s0, s1] = shardRange(node.nid);
      this.batch.rmRange(s0, s1);
    }
    // Even a node made by this transaction may have omap sets earlier in the batch.
    if (!node.isNew || node.omapLog.length > 0) {
      const [m0, m1] = omapRange(node.nid);
      this.batch.rmRange(m0, m1);
    }
  }

  private removeName(n: Name): void {
    if (!n.node) return;
    const node = n.node;
    this.bind(n, null);
    this.kill(node);
  }

  private omapOf(node: Node): { header: Buffer | undefined; entries: Map<string, Buffer> } {
    let header: Buffer | undefined;
    let entries = new Map<string, Buffer>();
    if (!node.isNew) {
      const base = this.env.omaps.get(node.nid);
      if (!base) {
        this.need().omaps.add(node.nid);
      } else {
        header = base.header;
        entries = new Map(base.entries);
      }
    }
    for (const e of node.omapLog) {
      if (e.op === 'set') entries.set(e.key!, e.value!);
      else if (e.op === 'rm') entries.delete(e.key!);
      else if (e.op === 'header') header = e.value;
      else if (e.op === 'clear') {
        entries.clear();
        header = undefined;
      } else {
        const first = Buffer.from(e.key!, 'utf8');
        const last = Buffer.from(e.last!, 'utf8');
        for (const k of [...entries.keys()]) {
          const kb = Buffer.from(k, 'utf8');
          if (Buffer.compare(kb, first) >= 0 && Buffer.compare(kb, last) < 0) entries.delete(k);
        }
      }
    }
    return { header, entries };
  }

  // ---- ops

  apply(op: TxOp, i: number): void {
    validateOp(op, i);
    if (op.op === 'mkcoll') {
      if (this.coll(op.cid)) fail('EEXIST', i, op, `collection ${op.cid} exists`);
      this.setColl(op.cid, { bits: op.bits, objects: 0 });
      this.batch.set(collectionKey(op.cid), encodeCollection({ bits: op.bits }));
      return;
    }
    if (!this.coll(op.cid)) fail('ENOENT', i, op, `no collection ${op.cid}`);
    switch (op.op) {
      case 'touch':
        this.obtain(this.name(op.cid, op.oid));
        return;
      case 'write': {
        const node = this.obtain(this.name(op.cid, op.oid));
        if (op.length === 0) return;
        this.writeRange(node, op.offset, op.length, op.data, op.length);
        return;
      }
      case 'zero': {
        const node = this.obtain(this.name(op.cid, op.oid));
        const size = node.onode.size;
        if (op.offset < size) this.writeRange(node, op.offset, Math.min(size, op.offset + op.length) - op.offset, null, op.length);
        const end = op.offset + op.length;
        if (end > node.onode.size) this.mutOnode(node).size = end;
        return;
      }
      case 'truncate': {
        const n = this.name(op.cid, op.oid);
        if (n.node) this.truncate(n.node, op.size);
        return;
      }
      case 'remove':
        this.removeName(this.name(op.cid, op.oid));
        return;
      case 'setattrs': {
        const attrs = this.mutAttrs(this.obtain(this.name(op.cid, op.oid)));
        for (const [k, v] of op.attrs) attrs.set(k, copyOwned(v)); // cached with the onode: no pinned pool slab
        return;
      }
      case 'rmattr': {
        const n = this.name(op.cid, op.oid);
        if (n.node?.onode.attrs.has(op.name)) this.mutAttrs(n.node).delete(op.name);
        return;
      }
      case 'rmattrs': {
        const n = this.name(op.cid, op.oid);
        if (n.node && n.node.onode.attrs.size > 0) this.mutAttrs(n.node).clear();
        return;
      }
      case 'clone': {
        const src = this.name(op.cid, op.oid);
        if (!src.node) fail('ENOENT', i, op, `no source object ${objectText(op.oid)}`);
        const dn = this.name(op.cid, op.dest);
        if (dn === src) fail('EINVAL', i, op, 'clone onto itself');
        if (op.oid.hash >>> 0 !== op.dest.hash >>> 0) fail('EINVAL', i, op, 'clone to an object of another hash');
        const s = src.node;
        this.removeName(dn);
        const d = this.create(dn);
        const o = this.mutOnode(d);
        o.size = s.onode.size;
        const attrs = this.mutAttrs(d);
        for (const [k, v] of s.onode.attrs) attrs.set(k, v);
        for (const l of this.blocksFrom(s, 0)) {
          const c = this.content(s, l);
          if (c !== ZERO_BLOCK) this.pend(d, l, c, Infinity);
        }
        const om = this.omapOf(s);
        if (om.header) {
          this.batch.set(omapHeaderKey(d.nid), om.header);
          d.omapLog.push({ op: 'header', value: om.header });
        }
        for (const [k, v] of om.entries) {
          this.batch.set(omapKey(d.nid, k), v);
          d.omapLog.push({ op: 'set', key: k, value: v });
        }
        return;
      }
      case 'cloneRange': {
        const src = this.name(op.cid, op.oid);
        if (!src.node) fail('ENOENT', i, op, `no source object ${objectText(op.oid)}`);
        const dn = this.name(op.cid, op.dest);
        if (dn === src) fail('EINVAL', i, op, 'clone range onto itself');
        if (op.srcOffset + op.length > src.node.onode.size) {
          fail('EINVAL', i, op, `source range ${op.srcOffset}~${op.length} past its size ${src.node.onode.size}`);
        }
        const bytes = op.length > 0 ? this.readRange(src.node, op.srcOffset, op.length) : null;
        const d = this.obtain(dn);
        if (bytes) this.writeRange(d, op.destOffset, op.length, [bytes], op.length);
        return;
      }
      case 'omapClear': {
        const n = this.name(op.cid, op.oid);
        if (!n.node) return;
        const [m0, m1] = omapRange(n.node.nid);
        this.batch.rmRange(m0, m1);
        n.node.omapLog.push({ op: 'clear' });
        return;
      }
      case 'omapSetKeys': {
        const node = this.obtain(this.name(op.cid, op.oid));
        for (const [k, v] of op.entries) {
          const value = Buffer.from(v);
          this.batch.set(omapKey(node.nid, k), value);
          node.omapLog.push({ op: 'set', key: k, value });
        }
        return;
      }
      case 'omapRmKeys': {
        const n = this.name(op.cid, op.oid);
        if (!n.node) return;
        for (const k of op.keys) {
          this.batch.rm(omapKey(n.node.nid, k));
          n.node.omapLog.push({ op: 'rm', key: k });
        }
        return;
      }
      case 'omapRmKeyRange': {
        const n = this.name(op.cid, op.oid);
        if (!n.node) return;
        const a = omapKey(n.node.nid, op.first);
        const b = omapKey(n.node.nid, op.last);
        if (Buffer.compare(a, b) < 0) this.batch.rmRange(a, b);
        n.node.omapLog.push({ op: 'rmRange', key: op.first, last: op.last });
        return;
      }
      case 'omapSetHeader': {
        const node = this.obtain(this.name(op.cid, op.oid));
        const value = Buffer.from(op.header);
        this.batch.set(omapHeaderKey(node.nid), value);
        node.omapLog.push({ op: 'header', value });
        return;
      }
      case 'rmcoll': {
        const c = this.coll(op.cid)!;
        if (c.objects > 0) fail('ENOTEMPTY', i, op, `collection ${op.cid} has ${c.objects} objects`);
        this.setColl(op.cid, null);
        this.batch.rm(collectionKey(op.cid));
        return;
      }
      case 'collMoveRename': {
        if (!this.coll(op.destCid)) fail('ENOENT', i, op, `no collection ${op.destCid}`);
        const src = this.name(op.cid, op.oid);
        if (!src.node) fail('ENOENT', i, op, `no source object ${objectText(op.oid)}`);
        const node = src.node;
        const dn = this.name(op.destCid, op.dest);
        this.bind(src, null);
        this.removeName(dn);
        this.bind(dn, node);
        return;
      }
      case 'splitCollection': {
        if (!this.coll(op.destCid)) fail('ENOENT', i, op, `no collection ${op.destCid}`);
        const listing = this.env.listings.get(op.cid);
        if (!listing) {
          this.need().listings.add(op.cid);
        } else {
          for (const keyStr of listing) {
            if (this.names.has(keyStr)) continue;
            const key = Buffer.from(keyStr, 'latin1');
            const { cid, oid } = decodeOnodeKey(key);
            this.nameByKey(keyStr, cid, oid, key);
          }
        }
        const moving = [...this.names.values()].filter((n) => n.cid === op.cid && n.node && hashMatches(n.oid.hash, op.bits, op.rem));
        for (const n of moving) {
          const node = n.node!;
          const dn = this.name(op.destCid, n.oid);
          this.bind(n, null);
          this.removeName(dn);
          this.bind(dn, node);
        }
        const src = this.coll(op.cid)!;
        this.setColl(op.cid, { bits: op.bits, objects: src.objects });
        const dst = this.coll(op.destCid)!;
        this.setColl(op.destCid, { bits: op.bits, objects: dst.objects });
        this.batch.set(collectionKey(op.cid), encodeCollection({ bits: op.bits }));
        this.batch.set(collectionKey(op.destCid), encodeCollection({ bits: op.bits }));
        return;
      }
      case 'collSetBits': {
        const c = this.coll(op.cid)!;
        this.setColl(op.cid, { bits: op.bits, objects: c.objects });
        this.batch.set(collectionKey(op.cid), encodeCollection({ bits: op.bits }));
        return;
      }
    }
  }

  // ---- the plan

  finish(): CorePlan {
    const batch = this.batch;
    const alive = [...this.nodes.values()].filter((n) => n.alive);
    let wanted = 0;
    for (const node of alive) for (const p of node.pending.values()) if (!p.inplace) wanted++;
    const alloc = this.env.allocator;
    if (wanted > alloc.free) {
      throw new CephError('ENOSPC', `blockstore: the transaction needs ${wanted} new blocks of 4 KiB, ${alloc.free} are free`);
    }
    const allocated: BlockRun[] = [];
    const dataWrites: DataWrite[] = [];
    const deferred: DeferredBlock[] = [];
    // Blocks whose crc seal() (or the sealNow pass) computes: parallel arrays, not an object per block.
    const sealShardsOf: ExtentShard[] = [];
    const sealIndex: number[] = [];
    const sealData: Buffer[] = [];
    const sealShards: { at: number; s: ExtentShard }[] = [];
    for (const node of alive) {
      if (node.pending.size === 0) continue;
      const ls = [...node.pending.keys()];
      if (ls.length > 1) ls.sort(byNumber);
      let freshCount = 0;
      for (const p of node.pending.values()) if (!p.inplace) freshCount++;
      const fresh = freshCount === 0 ? NO_BLOCKS : freshCount === ls.length ? ls : ls.filter((l) => !node.pending.get(l)!.inplace);
      const runs = fresh.length ? alloc.allocate(fresh.length) : NO_RUNS;
      for (const r of runs) allocated.push(r);
      let fi = 0;
      let last: DataWrite | undefined;
      let lastEnd = -1;
      for (const run of runs) {
        for (let k = 0; k < run.length; k++, fi++) {
          const l = fresh[fi]!;
          const pb = run.start + k;
          const data = node.pending.get(l)!.data;
          const old = this.pblock(node, l);
          if (old !== 0) this.freed.push(old);
          const s = this.mutShard(node, l >>> SHARD_SHIFT);
          s.pblocks[l & (SHARD_BLOCKS - 1)] = pb;
          sealShardsOf.push(s);
          sealIndex.push(l & (SHARD_BLOCKS - 1));
          sealData.push(data);
          if (node.pending.get(l)!.journaled) {
            deferred.push({ pblock: pb, data });
            continue;
          }
          if (last && lastEnd === pb) last.data.push(data);
          else {
            last = { offset: pb * BLOCK_BYTES, data: [data] };
            dataWrites.push(last);
          }
          lastEnd = pb + 1;
        }
      }
      for (const l of ls) {
        const p = node.pending.get(l)!;
        if (!p.inplace) continue;
        const pb = this.pblock(node, l);
        const s = this.mutShard(node, l >>> SHARD_SHIFT);
        sealShardsOf.push(s);
        sealIndex.push(l & (SHARD_BLOCKS - 1));
        sealData.push(p.data);
        deferred.push({ pblock: pb, data: p.data });
      }
    }
    // Adjacent views of one caller buffer become one view: one iovec instead of one per block.
    for (const w of dataWrites) if (w.data.length > 1) w.data.splice(0, w.data.length, ...joinViews(w.data));
    // A small plan is sealed here (its crcs cost less than encoding its shards twice); a big one's
    // checksums wait for seal(), after its data writes are issued.
    const sealNow = sealData.length <= SEAL_NOW_BLOCKS_MAX;
    const sealCrcs = (): void => {
      for (let k = 0; k < sealData.length; k++) sealShardsOf[k]!.crcs[sealIndex[k]!] = crc32c(sealData[k]!);
    };
    if (sealNow) {
      sealCrcs();
      sealData.length = 0;
    }
    for (const node of alive) {
      for (const si of node.ownedShards) {
        const s = node.onode.shards.get(si)!;
        if (shardEmpty(s)) {
          node.onode.shards.delete(si);
          if (!node.isNew) batch.rm(shardKey(node.nid, si));
        } else {
          // Unsealed: encoded now for its size (the crcs do not change it), again by seal().
          if (!sealNow) sealShards.push({ at: batch.ops.length, s });
          batch.set(shardKey(node.nid, si), encodeShard(s));
        }
      }
    }
    const onodes = new Map<string, Onode | null>();
    let storedDelta = 0;
    for (const [keyStr, n] of this.names) {
      const node = n.node;
      storedDelta += (node?.onode.size ?? 0) - (n.base?.size ?? 0);
      if (!node) {
        if (n.base) batch.rm(n.key);
        onodes.set(keyStr, null);
        continue;
      }
      if (node.dirty || n.base?.nid !== node.nid) batch.set(n.key, encodeOnode(node.onode));
      onodes.set(keyStr, node.onode);
    }
    const collections = this.collsChanged; // the planner ends here: its map becomes the plan's
    let nidMax = this.env.nidMax;
    if (this.nidNext > nidMax) {
      nidMax = this.nidNext + NID_RESERVE_STEP;
      batch.set(NID_MAX_KEY, encodeNidMax(nidMax));
    }
    return {
      batch, dataWrites, deferred, freed: this.freed, allocated, onodes, collections,
      nidNext: this.nidNext, nidMax, storedDelta,
      seal: () => {
        sealCrcs();
        for (const j of sealShards) {
          const op = batch.ops[j.at]!;
          assert(op.op === 'set', 'seal finds its shard record');
          batch.ops[j.at] = { op: 'set', key: op.key, value: encodeShard(j.s) };
        }
      },
    };
  }
}


function byNumber(a: number, b: number): number {
  return a - b;
}

const NO_BLOCKS: readonly number[] = [];
const NO_RUNS: readonly BlockRun[] = [];

function copyEntry(this: Map<number, ExtentShard>, s: ExtentShard, index: number): void {
  this.set(index, s);
}

/** A copy of `v` in memory of its own (the caller's Buffer may be reused; a pooled copy would pin a slab). */
function copyOwned(v: Buffer): Buffer {
  const out = Buffer.allocUnsafeSlow(v.length);
  v.copy(out);
  return out;
}
