// The copy-on-write B+tree over in-memory nodes. Pure and synchronous: when an operation needs a clean
// node that is not in memory, the PageSource throws NeedPage; the shell reads that page and runs the
// operation again. Every operation throws NeedPage only at points where the tree is whole and the
// operation is idempotent (set, rm and rmRange are blind writes), so a rerun is always correct.
//
// Copy-on-write: a clean node (an image of pages the durable tree may reference) is never changed. A
// change copies every clean node on its path into a dirty node and records the clean node's pages in
// `freed`; the shell hands those pages back to the allocator only once a checkpoint that no longer
// references them is durable.

import { CephError, assert } from '../../errors.js';
import { cephCrc32c } from '../../crc32c.js';
import { Encoder } from '../../encoding.js';
import type { PageAllocator } from './alloc.js';
import { PAGE_BYTES, TREE_DEPTH_MAX, VALUE_RUNS_MAX } from './limits.js';
import { type ChildRef, type LeafValue, Node, NODE_HEADER_BYTES, PageRef, ValueExtent, branchKeyBytes, encodeNode, leafEntryBytes, nodeBytes, pagesFor } from './pages.js';

/** Thrown (not an Error) when an operation needs a page that is not in memory. */
export class NeedPage {
  constructor(readonly ref: PageRef) {}
}

export interface PageSource {
  /** The clean node stored at `ref` if it is in memory, else throw NeedPage(ref). */
  node(ref: PageRef): Node;
}

interface Step {
  node: Node;
  /** Index of the child taken (branches) or of the key position (leaf). */
  idx: number;
}

/** Bytes a node may use in one page. */
const NODE_USABLE_BYTES = PAGE_BYTES - NODE_HEADER_BYTES;
/** A leaf under this many bytes after a removal is merged with a sibling when both fit one page. */
const LEAF_MERGE_BELOW_BYTES = PAGE_BYTES / 4;
const LEAF_MERGE_FILL_BYTES = (PAGE_BYTES * 3) / 4;

/** Bytes of a key pair compared in JS before the rest goes to Buffer's native compare. */
const COMPARE_JS_BYTES = 32;

/**
 * Unsigned byte order of two keys, as Buffer.compare (only the sign is meaningful). Short keys and the
 * first COMPARE_JS_BYTES of long ones are compared in JS: a call into C++ per comparison cost more than
 * the bytes themselves (a tree descent makes dozens).
 */
export function compareKeys(a: Buffer, b: Buffer): number {
  const n = a.length < b.length ? a.length : b.length;
  const m = n < COMPARE_JS_BYTES ? n : COMPARE_JS_BYTES;
  for (let i = 0; i < m; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  if (m === n) return a.length - b.length;
  return a.compare(b, m, b.length, m, a.length);
}

/** True when two keys hold the same bytes. */
function sameKey(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && compareKeys(a, b) === 0;
}

export function lowerBound(keys: readonly Buffer[], key: Buffer): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(keys[mid]!, key) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the child of a branch whose range holds `key`: the number of separators <= key. */
export function childIndex(keys: readonly Buffer[], key: Buffer): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(keys[mid]!, key) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The shortest key s with left < s <= right (left < right). */
export function shortestSeparator(left: Buffer, right: Buffer): Buffer {
  let p = 0;
  const n = Math.min(left.length, right.length);
  while (p < n && left[p] === right[p]) p++;
  return Buffer.from(right.subarray(0, p + 1));
}

/** Cut `sizes` into contiguous pieces of at most `usable` bytes each (a single larger item stands alone), balanced. */
export function partition(sizes: readonly number[], usable: number): number[] {
  let total = 0;
  for (const s of sizes) total += s;
  const k = Math.max(1, Math.ceil(total / usable));
  const target = total / k;
  const tryCut = (balanced: boolean): number[] | null => {
    const cuts: number[] = [];
    let cur = 0;
    for (let i = 0; i < sizes.length; i++) {
      const s = sizes[i]!;
      if (cur > 0 && (cur + s > usable || (balanced && cur + s / 2 > target))) {
        cuts.push(i);
        cur = 0;
      }
      cur += s;
    }
    if (balanced && cur > usable && sizes.length - (cuts[cuts.length - 1] ?? 0) > 1) return null;
    return cuts;
  };
  return tryCut(true) ?? tryCut(false)!;
}

/**
 * The first key of the leaf after the one `path` ends in: the separator of the lowest branch on the path
 * that has a child to the right of the one taken; undefined when the path ends in the last leaf.
 */
function nextLeafFirstKey(path: readonly Step[]): Buffer | undefined {
  for (let l = path.length - 2; l >= 0; l--) {
    const s = path[l]!;
    if (s.idx < s.node.keys.length) return s.node.keys[s.idx]!;
  }
  return undefined;
}

function cloneNode(n: Node): Node {
  const c = new Node(n.leaf, n.keys.slice(), n.vals.slice(), n.kids.slice());
  return c;
}

export interface FreezeWrite {
  readonly slot: number;
  readonly data: Buffer[];
}

/** A large value a freeze placed, with its bytes (readers take them from memory until the write lands). */
export interface FrozenValue {
  readonly extent: ValueExtent;
  readonly data: Buffer;
}

export interface FreezeResult {
  readonly root: PageRef | null;
  readonly writes: FreezeWrite[];
  readonly values: FrozenValue[];
  /** Nodes now clean, with their homes set, for the page cache. */
  readonly nodes: Node[];
  readonly pages: number;
}

export class BTree {
  root: ChildRef | null;
  keys: number;
  /** Pages no longer referenced by the in-memory tree, releasable after the next durable checkpoint. */
  freed: PageRef[] = [];
  /** Dirty nodes made since the last freeze (an upper bound), and bytes of large values not yet written. */
  dirtyNodes = 0;
  dirtyValueBytes = 0;
  dirtyValues = 0;

  constructor(
    private readonly src: PageSource,
    root: PageRef | null,
    keys: number,
    readonly inlineMax: number,
  ) {
    this.root = root;
    this.keys = keys;
  }

  private resolve(c: ChildRef): Node {
    return c instanceof Node ? c : this.src.node(c);
  }

  /** The path from the root to the leaf whose range holds `key` (leaf step's idx: lowerBound). */
  private descend(key: Buffer): Step[] | null {
    if (!this.root) return null;
    const path: Step[] = [];
    let n = this.resolve(this.root);
    while (!n.leaf) {
      if (path.length >= TREE_DEPTH_MAX) throw new CephError('EIO', `kv: tree deeper than ${TREE_DEPTH_MAX} (corrupt pages form a cycle?)`);
      const idx = childIndex(n.keys, key);
      path.push({ node: n, idx });
      n = this.resolve(n.kids[idx]!);
    }
    path.push({ node: n, idx: lowerBound(n.keys, key) });
    return path;
  }

  /** Replace every clean node on the path by a dirty copy (no NeedPage from here on). */
  private makeDirty(path: Step[]): void {
    for (let i = 0; i < path.length; i++) {
      const s = path[i]!;
      if (s.node.dirty) continue;
      const copy = cloneNode(s.node);
      this.freed.push(s.node.home!);
      this.dirtyNodes++;
      if (i === 0) this.root = copy;
      else path[i - 1]!.node.kids[path[i - 1]!.idx] = copy;
      s.node = copy;
    }
  }

  private dropValue(v: LeafValue): void {
    if (v instanceof ValueExtent) this.freed.push(...v.runs);
  }

  get(key: Buffer): LeafValue | undefined {
    const path = this.descend(key);
    if (!path) return undefined;
    const leaf = path[path.length - 1]!;
    const i = leaf.idx;
    return i < leaf.node.keys.length && sameKey(leaf.node.keys[i]!, key) ? leaf.node.vals[i] : undefined;
  }

  set(key: Buffer, value: Buffer): void {
    if (!this.root) {
      this.root = new Node(true, [key], [value]);
      this.dirtyNodes++;
      this.keys++;
      this.noteValue(value);
      return;
    }
    const path = this.descend(key)!;
    this.makeDirty(path);
    const leaf = path[path.length - 1]!;
    const n = leaf.node;
    const i = leaf.idx;
    if (i < n.keys.length && sameKey(n.keys[i]!, key)) {
      this.dropValue(n.vals[i]!);
      n.vals[i] = value;
    } else {
      n.keys.splice(i, 0, key);
      n.vals.splice(i, 0, value);
      this.keys++;
    }
    this.noteValue(value);
    this.splitUp(path);
  }

  private noteValue(v: Buffer): void {
    if (v.length > this.inlineMax) {
      this.dirtyValueBytes += v.length;
      this.dirtyValues++;
    }
  }

  /** Split every over-full node on the path, bottom up. */
  private splitUp(path: Step[]): void {
    for (let level = path.length - 1; level >= 0; level--) {
      const n = path[level]!.node;
      if (nodeBytes(n, this.inlineMax) <= PAGE_BYTES || n.keys.length < (n.leaf ? 2 : 1)) return;
      const pieces: Node[] = [];
      const seps: Buffer[] = [];
      if (n.leaf) {
        const sizes = n.keys.map((k, i) => leafEntryBytes(k, n.vals[i]!, this.inlineMax));
        const cuts = partition(sizes, NODE_USABLE_BYTES);
        if (cuts.length === 0) return;
        const bounds = [0, ...cuts, n.keys.length];
        for (let p = 0; p + 1 < bounds.length; p++) {
          const a = bounds[p]!;
          const b = bounds[p + 1]!;
          pieces.push(new Node(true, n.keys.slice(a, b), n.vals.slice(a, b)));
          if (p > 0) seps.push(shortestSeparator(n.keys[a - 1]!, n.keys[a]!));
        }
      } else {
        // Items: kid 0, then (key i-1, kid i); a piece starting at item a > 0 promotes key a-1.
        // Every branch piece keeps two children or more, so a split always leaves fewer separators
        // above than it had (a branch of huge keys stays one multi-page node instead of splitting forever).
        const sizes = n.kids.map((_, i) => (i === 0 ? 6 : branchKeyBytes(n.keys[i - 1]!)));
        const bounds = [0, ...partition(sizes, NODE_USABLE_BYTES), n.kids.length];
        for (let p = 0; p + 1 < bounds.length && bounds.length > 2; ) {
          if (bounds[p + 1]! - bounds[p]! >= 2) {
            p++;
            continue;
          }
          // A one-child piece joins its neighbour: drop the bound between them.
          bounds.splice(p + 1 < bounds.length - 1 ? p + 1 : p, 1);
          p = 0;
        }
        if (bounds.length <= 2) return;
        for (let p = 0; p + 1 < bounds.length; p++) {
          const a = bounds[p]!;
          const b = bounds[p + 1]!;
          pieces.push(new Node(false, n.keys.slice(a, b - 1), [], n.kids.slice(a, b)));
          if (p > 0) seps.push(n.keys[a - 1]!);
        }
      }
      this.dirtyNodes += pieces.length;
      if (level === 0) {
        this.root = new Node(false, seps, [], pieces);
        this.dirtyNodes++;
        // The new root may itself be over-full when many pieces were made; split it too.
        this.splitUp([{ node: this.root, idx: 0 }]);
        return;
      }
      const parent = path[level - 1]!;
      const at = parent.idx;
      parent.node.kids.splice(at, 1, ...pieces);
      parent.node.keys.splice(at, 0, ...seps);
    }
  }

  rm(key: Buffer): void {
    const path = this.descend(key);
    if (!path) return;
    const leaf = path[path.length - 1]!;
    const i = leaf.idx;
    if (i >= leaf.node.keys.length || !sameKey(leaf.node.keys[i]!, key)) return;
    // Bring the merge sibling into memory before changing anything.
    let sib: { idx: number; node: Node } | null = null;
    if (path.length > 1) {
      const after = nodeBytes(leaf.node, this.inlineMax) - leafEntryBytes(key, leaf.node.vals[i]!, this.inlineMax);
      const parent = path[path.length - 2]!;
      if (after < LEAF_MERGE_BELOW_BYTES && after > NODE_HEADER_BYTES && parent.node.kids.length > 1) {
        const si = parent.idx + 1 < parent.node.kids.length ? parent.idx + 1 : parent.idx - 1;
        sib = { idx: si, node: this.resolve(parent.node.kids[si]!) };
      }
    }
    this.makeDirty(path);
    const n = leaf.node;
    this.dropValue(n.vals[i]!);
    n.keys.splice(i, 1);
    n.vals.splice(i, 1);
    this.keys--;
    if (n.keys.length === 0) this.removeEmpty(path);
    else if (sib) this.mergeLeaf(path, sib);
    this.collapseRoot();
  }

  /** Merge the path's leaf with a sibling when both fit one page comfortably. */
  private mergeLeaf(path: Step[], sib: { idx: number; node: Node }): void {
    const parent = path[path.length - 2]!;
    const leaf = path[path.length - 1]!.node;
    const total = nodeBytes(leaf, this.inlineMax) + nodeBytes(sib.node, this.inlineMax) - NODE_HEADER_BYTES;
    if (total > LEAF_MERGE_FILL_BYTES) return;
    let s = sib.node;
    if (!s.dirty) {
      this.freed.push(s.home!);
      s = cloneNode(s);
    }
    const li = Math.min(parent.idx, sib.idx);
    const left = li === parent.idx ? leaf : s;
    const right = li === parent.idx ? s : leaf;
    const merged = new Node(true, left.keys.concat(right.keys), left.vals.concat(right.vals));
    this.dirtyNodes++;
    parent.node.kids.splice(li, 2, merged);
    parent.node.keys.splice(li, 1);
  }

  /** Remove an emptied leaf from its parent, and any branch left without children. */
  private removeEmpty(path: Step[]): void {
    for (let level = path.length - 1; level >= 0; level--) {
      const n = path[level]!.node;
      const empty = n.leaf ? n.keys.length === 0 : n.kids.length === 0;
      if (!empty) return;
      if (level === 0) {
        this.root = null;
        return;
      }
      const parent = path[level - 1]!;
      const at = parent.idx;
      parent.node.kids.splice(at, 1);
      if (parent.node.keys.length > 0) parent.node.keys.splice(at > 0 ? at - 1 : 0, 1);
    }
  }

  /** A dirty branch root with one child gives way to the child. */
  private collapseRoot(): void {
    while (this.root instanceof Node && !this.root.leaf && this.root.dirty && this.root.kids.length === 1) this.root = this.root.kids[0]!;
  }

  /** Remove every key in [start, end). */
  rmRange(start: Buffer, end: Buffer): void {
    if (Buffer.compare(start, end) >= 0) return;
    let from = start;
    for (;;) {
      const path = this.descend(from);
      if (!path) return;
      const leaf = path[path.length - 1]!;
      const upper = nextLeafFirstKey(path); // before the removal below reshapes the path
      const i = leaf.idx;
      const j = lowerBound(leaf.node.keys, end);
      if (i < j) {
        this.makeDirty(path);
        const n = leaf.node;
        for (let k = i; k < j; k++) this.dropValue(n.vals[k]!);
        n.keys.splice(i, j - i);
        n.vals.splice(i, j - i);
        this.keys -= j - i;
        if (n.keys.length === 0) this.removeEmpty(path);
        this.collapseRoot();
      }
      if (!upper || Buffer.compare(upper, end) >= 0) return;
      from = upper;
    }
  }

  /**
   * Entries with from <= key < end in order, appended to `out` until it holds `max`. On NeedPage the
   * caller loads the page and calls again with `from` just past the last key in `out`.
   */
  list(from: Buffer, end: Buffer | undefined, max: number, out: { key: Buffer; value: LeafValue }[]): void {
    let at = from;
    while (out.length < max) {
      const path = this.descend(at);
      if (!path) return;
      const leaf = path[path.length - 1]!;
      const n = leaf.node;
      for (let i = leaf.idx; i < n.keys.length && out.length < max; i++) {
        if (end && Buffer.compare(n.keys[i]!, end) >= 0) return;
        out.push({ key: n.keys[i]!, value: n.vals[i]! });
      }
      const upper = nextLeafFirstKey(path);
      if (!upper || (end && Buffer.compare(upper, end) >= 0)) return;
      at = upper;
    }
  }

  /**
   * Zero the dirty counters (upper bounds) once nothing reachable is dirty: after a freeze, or when every
   * dirty node made since the last one was dropped again.
   */
  clearDirty(): void {
    assert(!(this.root instanceof Node && this.root.dirty), 'kv: dirty counters cleared while the root is dirty');
    this.dirtyNodes = 0;
    this.dirtyValueBytes = 0;
    this.dirtyValues = 0;
  }

  /** Pages the next freeze will allocate at most (dirty nodes plus large values), for space checks. */
  dirtyPagesBound(): number {
    return 2 * this.dirtyNodes + Math.ceil(this.dirtyValueBytes / PAGE_BYTES) + this.dirtyValues;
  }

  /**
   * Give every dirty node and large value a home in free pages and encode it (children before parents),
   * so the caller can write them; the nodes become clean. All or nothing: ENOSPC changes nothing.
   */
  freeze(alloc: PageAllocator, uuidTag: number, generation: number): FreezeResult {
    const order: Node[] = [];
    const visit = (n: Node): void => {
      if (!n.leaf) for (const k of n.kids) if (k instanceof Node && k.dirty) visit(k);
      order.push(n);
    };
    if (this.root instanceof Node && this.root.dirty) visit(this.root);
    // Pass 1: allocate every value's runs and every node's pages, or nothing.
    const taken: PageRef[] = [];
    const placed = new Map<Node, { i: number; runs: PageRef[] }[]>();
    const homes: PageRef[] = [];
    const fail = (): never => {
      for (const r of taken) alloc.release(r.slot, r.pages);
      throw new CephError('ENOSPC', `kv: no room for a checkpoint of ${order.length} nodes (${alloc.free} pages free); delete keys or use a bigger region`);
    };
    for (const n of order) {
      let extra = 0;
      if (n.leaf) {
        const mine: { i: number; runs: PageRef[] }[] = [];
        for (let i = 0; i < n.vals.length; i++) {
          const v = n.vals[i]!;
          if (v instanceof ValueExtent || v.length <= this.inlineMax) continue;
          const runs = allocValue(alloc, pagesFor(v.length)) ?? fail();
          taken.push(...runs);
          mine.push({ i, runs });
          extra += 8 * (runs.length - 1);
        }
        placed.set(n, mine);
      }
      const p = pagesFor(nodeBytes(n, this.inlineMax) + extra);
      const slot = alloc.alloc(p);
      if (slot < 0) fail();
      const home = new PageRef(slot, p);
      taken.push(home);
      homes.push(home);
    }
    // Pass 2: place and encode.
    const writes: FreezeWrite[] = [];
    const values: FrozenValue[] = [];
    const enc = new Encoder(PAGE_BYTES);
    let pages = 0;
    order.forEach((n, k) => {
      if (n.leaf) {
        for (const { i, runs } of placed.get(n)!) {
          const v = n.vals[i] as Buffer;
          let at = 0;
          for (const run of runs) {
            const part = v.subarray(at, at + run.pages * PAGE_BYTES);
            at += part.length;
            const pad = run.pages * PAGE_BYTES - part.length;
            writes.push({ slot: run.slot, data: pad ? [part, Buffer.alloc(pad)] : [part] });
            pages += run.pages;
          }
          const extent = new ValueExtent(runs, v.length, cephCrc32c(0xffffffff, v));
          n.vals[i] = extent;
          values.push({ extent, data: v });
        }
      } else {
        n.kids = n.kids.map((c) => (c instanceof Node ? c.home! : c));
      }
      const home = homes[k]!;
      const buf = encodeNode(n, home.slot, uuidTag, generation, this.inlineMax, enc);
      assert(buf.length === home.pages * PAGE_BYTES, 'node outgrew the pages allocated for it');
      writes.push({ slot: home.slot, data: [buf] });
      n.home = home;
      n.dirty = false;
      pages += home.pages;
    });
    if (this.root instanceof Node) this.root = this.root.home!;
    this.clearDirty();
    return { root: this.root, writes, nodes: order, values, pages };
  }
}

/** Runs for a value of `pages` pages: one run if the area has one that long, else halves down to single pages. */
function allocValue(alloc: PageAllocator, pages: number): PageRef[] | null {
  const whole = alloc.alloc(pages);
  if (whole >= 0) return [new PageRef(whole, pages)];
  const got: PageRef[] = [];
  let left = pages;
  let chunk = Math.max(1, pages >> 1);
  while (left > 0) {
    const want = Math.min(chunk, left);
    const slot = got.length < VALUE_RUNS_MAX ? alloc.alloc(want) : -1;
    if (slot >= 0) {
      got.push(new PageRef(slot, want));
      left -= want;
    } else if (want > 1 && got.length < VALUE_RUNS_MAX) chunk = want >> 1;
    else {
      for (const r of got) alloc.release(r.slot, r.pages);
      return null;
    }
  }
  return got;
}
