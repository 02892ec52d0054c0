// Building and editing the C-level CRUSH map, as Ceph's src/crush/builder.c does: making buckets of
// the five algorithms (with straw lengths and tree node weights computed the same way), adding and
// removing buckets and rules, per-algorithm item add / remove / reweight, and crush_finalize.
//
// Weights are 16.16 fixed point held in u32. Where Ceph adds or subtracts u32 values and lets them
// wrap, we wrap too (`>>> 0`); where Ceph refuses an overflowing addition (crush_addition_is_unsafe) we
// return -ERANGE or throw, as the C code returns an error or NULL.

import { CephError, Errno } from '../common/errors.js';
import {
  BucketAlg,
  CRUSH_MAX_RULES,
  CrushBucket,
  CrushMap,
  CrushRule,
  CrushRuleStep,
  legacyTunables,
} from './types.js';

const U32_MAX = 0xffffffff;

/** crush_addition_is_unsafe: would a + b overflow a u32? */
export function additionIsUnsafe(a: number, b: number): boolean {
  return U32_MAX - (b >>> 0) < (a >>> 0);
}

/** crush_multiplication_is_unsafe: would a * b overflow a u32 (or is b zero)? */
export function multiplicationIsUnsafe(a: number, b: number): boolean {
  if ((b >>> 0) === 0) return true;
  return Math.floor(U32_MAX / (b >>> 0)) < (a >>> 0);
}

/** crush_create(): an empty map with the legacy tunables. */
export function crushCreate(): CrushMap {
  return {
    ...legacyTunables(),
    buckets: [],
    rules: [],
    maxDevices: 0,
  };
}

/** crush_finalize(): max_devices is one more than the largest device id found in any bucket. */
export function finalize(map: CrushMap): void {
  let maxDevices = 0;
  for (const b of map.buckets) {
    if (!b) continue;
    for (let i = 0; i < b.size; i++) {
      const item = b.items[i]!;
      if (item >= maxDevices) maxDevices = item + 1;
    }
  }
  map.maxDevices = maxDevices;
}

// ---------------------------------------------------------------------------------------------------
// Rules

export function makeRule(
  steps: readonly CrushRuleStep[],
  ruleset: number,
  type: number,
  minSize: number,
  maxSize: number,
): CrushRule {
  return {
    mask: { ruleset, type, minSize, maxSize },
    steps: steps.map((s) => ({ op: s.op, arg1: s.arg1 | 0, arg2: s.arg2 | 0 })),
  };
}

/**
 * crush_add_rule(): put `rule` at `ruleno`, or at the first free slot when ruleno < 0. Grows the rule
 * array as needed. Returns the rule number; throws ENOSPC when the map already has CRUSH_MAX_RULES.
 */
export function addRule(map: CrushMap, rule: CrushRule, ruleno: number): number {
  let r: number;
  if (ruleno < 0) {
    for (r = 0; r < map.rules.length; r++) if (!map.rules[r]) break;
  } else {
    r = ruleno;
  }
  if (r >= map.rules.length) {
    if (map.rules.length + 1 > CRUSH_MAX_RULES) {
      throw new CephError('ENOSPC', `crush map already has ${CRUSH_MAX_RULES} rules`);
    }
    while (map.rules.length < r + 1) map.rules.push(null);
  }
  map.rules[r] = rule;
  return r;
}

// ---------------------------------------------------------------------------------------------------
// Buckets in the map

/** crush_get_next_bucket_id(): the id of the first free bucket slot. */
export function getNextBucketId(map: CrushMap): number {
  let pos = 0;
  for (; pos < map.buckets.length; pos++) if (!map.buckets[pos]) break;
  return -1 - pos;
}

/**
 * crush_add_bucket(): store `bucket` under `id` (0 picks the first free id). The bucket array grows by
 * doubling from 8, as Ceph's max_buckets does. Returns the id; throws EEXIST if the slot is taken and
 * EINVAL for a non-negative id.
 */
export function addBucket(map: CrushMap, id: number, bucket: CrushBucket): number {
  if (id === 0) id = getNextBucketId(map);
  if (id >= 0) throw new CephError('EINVAL', `bucket id ${id} must be negative`);
  const pos = -1 - id;
  let max = map.buckets.length;
  while (pos >= max) max = max ? max * 2 : 8;
  while (map.buckets.length < max) map.buckets.push(null);
  if (map.buckets[pos]) throw new CephError('EEXIST', `bucket id ${id} already exists`);
  bucket.id = id;
  map.buckets[pos] = bucket;
  return id;
}

/** crush_remove_bucket(): clear the bucket's slot (the array keeps its length). */
export function removeBucket(map: CrushMap, id: number): void {
  const pos = -1 - id;
  if (pos < 0 || pos >= map.buckets.length || !map.buckets[pos]) {
    throw new CephError('ENOENT', `no bucket with id ${id}`);
  }
  map.buckets[pos] = null;
}

// ---------------------------------------------------------------------------------------------------
// Tree helpers. Tree nodes are numbered so that leaves are odd (item i sits at node 2i+1) and a node's
// height is its number of trailing zero bits; the root of a depth-d tree is node 2^(d-1).

/** crush_calc_tree_node(): the node number of leaf i. */
export function calcTreeNode(i: number): number {
  return ((i + 1) << 1) - 1;
}

function treeHeight(n: number): number {
  let h = 0;
  while ((n & 1) === 0) {
    h++;
    n >>= 1;
  }
  return h;
}

function treeParent(n: number): number {
  const h = treeHeight(n);
  return n & (1 << (h + 1)) ? n - (1 << h) : n + (1 << h);
}

/** Depth of the smallest tree whose leaves hold `size` items (0 for an empty bucket). */
function treeDepth(size: number): number {
  if (size === 0) return 0;
  let depth = 1;
  let t = size - 1;
  while (t) {
    t >>= 1;
    depth++;
  }
  return depth;
}

// ---------------------------------------------------------------------------------------------------
// Making buckets

function emptyBucket(alg: BucketAlg, hash: number, type: number, size: number): CrushBucket {
  return {
    id: 0,
    type,
    alg,
    hash,
    weight: 0,
    size,
    items: new Int32Array(size),
    itemWeight: 0,
    itemWeights: new Uint32Array(size),
    sumWeights: new Uint32Array(0),
    numNodes: 0,
    nodeWeights: new Uint32Array(0),
    straws: new Uint32Array(0),
  };
}

function fail(alg: BucketAlg, why: string): never {
  throw new CephError('EINVAL', `cannot make ${bucketAlgName(alg)} bucket: ${why}`);
}

/**
 * crush_make_bucket(): a new bucket (id 0 until addBucket) holding `items` with 16.16 `weights`.
 * Uniform buckets take weights[0] for every item; straw buckets get their straws from calcStraws using
 * map.strawCalcVersion; tree buckets get node weights. The bucket's own weight is the items' sum.
 * Throws EINVAL where Ceph's builder returns NULL (u32 overflow, or a uniform bucket of weight 0).
 *
 * Every algorithm also fills itemWeights (uniform: all equal to itemWeight; tree: the leaf weights),
 * so callers can read an item's weight without switching on the algorithm.
 */
export function makeBucket(
  map: CrushMap,
  alg: BucketAlg,
  hash: number,
  type: number,
  items: ArrayLike<number>,
  weights: ArrayLike<number>,
): CrushBucket {
  const size = items.length;
  const b = emptyBucket(alg, hash, type, size);
  for (let i = 0; i < size; i++) b.items[i] = items[i]!;
  switch (alg) {
    case BucketAlg.Uniform: {
      const w = size && weights.length ? weights[0]! >>> 0 : 0;
      // An empty uniform bucket is fine (crushtool compiles one); one whose items weigh 0 or whose
      // total overflows is refused (Pacific's crushtool asserts on it).
      if (size > 0 && multiplicationIsUnsafe(size, w)) fail(alg, 'item weight is 0 or the total overflows');
      b.itemWeight = w;
      b.itemWeights.fill(w);
      b.weight = (size * w) >>> 0;
      return b;
    }
    case BucketAlg.List: {
      b.sumWeights = new Uint32Array(size);
      let w = 0;
      for (let i = 0; i < size; i++) {
        const wi = weights[i]! >>> 0;
        b.itemWeights[i] = wi;
        if (additionIsUnsafe(w, wi)) fail(alg, 'total weight overflows');
        w += wi;
        b.sumWeights[i] = w;
      }
      b.weight = w;
      return b;
    }
    case BucketAlg.Tree: {
      if (size === 0) return b;
      const depth = treeDepth(size);
      b.numNodes = 1 << depth;
      b.nodeWeights = new Uint32Array(b.numNodes);
      let total = 0;
      for (let i = 0; i < size; i++) {
        const wi = weights[i]! >>> 0;
        b.itemWeights[i] = wi;
        let node = calcTreeNode(i);
        b.nodeWeights[node] = wi;
        if (additionIsUnsafe(total, wi)) fail(alg, 'total weight overflows');
        total += wi;
        for (let j = 1; j < depth; j++) {
          node = treeParent(node);
          if (additionIsUnsafe(b.nodeWeights[node]!, wi)) fail(alg, 'node weight overflows');
          b.nodeWeights[node] = b.nodeWeights[node]! + wi;
        }
      }
      b.weight = total;
      return b;
    }
    case BucketAlg.Straw:
    case BucketAlg.Straw2: {
      // Ceph sums these without an overflow check: the u32 total wraps.
      let total = 0;
      for (let i = 0; i < size; i++) {
        const wi = weights[i]! >>> 0;
        b.itemWeights[i] = wi;
        total = (total + wi) >>> 0;
      }
      b.weight = total;
      if (alg === BucketAlg.Straw) {
        b.straws = new Uint32Array(size);
        calcStraws(map, b);
      }
      return b;
    }
    default:
      fail(alg, 'unknown bucket algorithm');
  }
}

/** crush_bucket_alg_name(). */
export function bucketAlgName(alg: number): string {
  switch (alg) {
    case BucketAlg.Uniform:
      return 'uniform';
    case BucketAlg.List:
      return 'list';
    case BucketAlg.Tree:
      return 'tree';
    case BucketAlg.Straw:
      return 'straw';
    case BucketAlg.Straw2:
      return 'straw2';
    default:
      return 'unknown';
  }
}

/** crush_get_bucket_item_weight(): the weight of the item at position `pos` (0 if out of range). */
export function getBucketItemWeight(b: CrushBucket, pos: number): number {
  if (pos < 0 || pos >= b.size) return 0;
  switch (b.alg) {
    case BucketAlg.Uniform:
      return b.itemWeight;
    case BucketAlg.Tree:
      return b.nodeWeights[calcTreeNode(pos)]!;
    case BucketAlg.List:
    case BucketAlg.Straw:
    case BucketAlg.Straw2:
      return b.itemWeights[pos]!;
    default:
      return 0;
  }
}

/**
 * crush_calc_straw(): the straw lengths of a straw bucket, from its item weights, by the map's
 * straw_calc_version (0: the original, which mishandles runs of equal weights; 1: fixed).
 *
 * Exactness notes. Ceph does this in C doubles, which JS numbers are. Two integer expressions in it are
 * u32 arithmetic in C and wrap: `numleft * (w[i] - w[i-1])` is computed with Math.imul and `>>> 0`.
 * The final `straw * 0x10000` is stored to a u32 by truncation; on x86-64 a value above 2^32 keeps its
 * low 32 bits, which `>>> 0` of the truncated value reproduces.
 */
export function calcStraws(map: CrushMap, b: CrushBucket): void {
  const size = b.size;
  const weights = b.itemWeights;
  if (b.straws.length !== size) b.straws = new Uint32Array(size);
  const straws = b.straws;

  // Indices sorted by ascending weight with Ceph's insertion sort (ties keep their original order).
  const reverse = new Int32Array(size);
  if (size) reverse[0] = 0;
  for (let i = 1; i < size; i++) {
    let j = 0;
    for (; j < i; j++) {
      if (weights[i]! < weights[reverse[j]!]!) {
        for (let k = i; k > j; k--) reverse[k] = reverse[k - 1]!;
        reverse[j] = i;
        break;
      }
    }
    if (j === i) reverse[i] = i;
  }

  let numleft = size;
  let straw = 1.0;
  let wbelow = 0;
  let lastw = 0;
  let i = 0;
  const v0 = map.strawCalcVersion === 0;
  while (i < size) {
    const ri = reverse[i]!;
    if (weights[ri] === 0) {
      straws[ri] = 0;
      i++;
      if (!v0) numleft--;
      continue;
    }
    straws[ri] = doubleToU32(straw * 0x10000);
    i++;
    if (i === size) break;
    const cur = weights[reverse[i]!]!;
    const prev = weights[reverse[i - 1]!]!;
    if (v0) {
      if (cur === prev) continue;
      wbelow += (prev - lastw) * numleft;
      for (let j = i; j < size; j++) {
        if (weights[reverse[j]!] === cur) numleft--;
        else break;
      }
    } else {
      wbelow += (prev - lastw) * numleft;
      numleft--;
    }
    const wnext = Math.imul(numleft, (cur - prev) >>> 0) >>> 0;
    const pbelow = wbelow / (wbelow + wnext);
    straw *= Math.pow(1.0 / pbelow, 1.0 / numleft);
    lastw = prev;
  }
}

/**
 * C's conversion of a double to u32 as gcc does it on x86-64: truncate to a signed 64-bit integer
 * (out-of-range values and NaN give 0x8000000000000000) and keep the low 32 bits.
 */
function doubleToU32(v: number): number {
  if (!(v > -9223372036854775808 && v < 9223372036854775808)) return 0;
  return Math.trunc(v) >>> 0;
}

// ---------------------------------------------------------------------------------------------------
// Adding items

function grownInt32(a: Int32Array, n: number): Int32Array {
  const r = new Int32Array(n);
  r.set(a.subarray(0, Math.min(a.length, n)));
  return r;
}

function grownUint32(a: Uint32Array, n: number): Uint32Array {
  const r = new Uint32Array(n);
  r.set(a.subarray(0, Math.min(a.length, n)));
  return r;
}

/**
 * crush_bucket_add_item(): append `item` with 16.16 `weight`. Returns 0, or -ERANGE when a u32 sum
 * would overflow (like Ceph, some fields may already have changed by then).
 */
export function bucketAddItem(map: CrushMap, b: CrushBucket, item: number, weight: number): number {
  weight = weight >>> 0;
  // every item of a uniform bucket weighs the same: another weight is refused, as in Pacific
  if (b.alg === BucketAlg.Uniform && weight !== b.itemWeight >>> 0) return -Errno.EINVAL;
  const newsize = b.size + 1;
  b.items = grownInt32(b.items, newsize);
  b.itemWeights = grownUint32(b.itemWeights, newsize);
  switch (b.alg) {
    case BucketAlg.Uniform: {
      b.items[newsize - 1] = item;
      b.itemWeights[newsize - 1] = b.itemWeight;
      if (additionIsUnsafe(b.weight, weight)) return -Errno.ERANGE;
      b.weight = (b.weight + weight) >>> 0;
      b.size++;
      return 0;
    }
    case BucketAlg.List: {
      b.sumWeights = grownUint32(b.sumWeights, newsize);
      b.items[newsize - 1] = item;
      b.itemWeights[newsize - 1] = weight;
      if (newsize > 1) {
        if (additionIsUnsafe(b.sumWeights[newsize - 2]!, weight)) return -Errno.ERANGE;
        b.sumWeights[newsize - 1] = b.sumWeights[newsize - 2]! + weight;
      } else {
        b.sumWeights[newsize - 1] = weight;
      }
      b.weight = (b.weight + weight) >>> 0;
      b.size++;
      return 0;
    }
    case BucketAlg.Tree: {
      const depth = treeDepth(newsize);
      b.numNodes = 1 << depth;
      b.nodeWeights = grownUint32(b.nodeWeights, b.numNodes);
      let node = calcTreeNode(newsize - 1);
      b.nodeWeights[node] = weight;
      // When the tree just grew a level, the new root starts with the old root's (left subtree's) weight.
      const root = b.numNodes >> 1;
      if (depth >= 2 && node - 1 === root) b.nodeWeights[root] = b.nodeWeights[root >> 1]!;
      for (let j = 1; j < depth; j++) {
        node = treeParent(node);
        if (additionIsUnsafe(b.nodeWeights[node]!, weight)) return -Errno.ERANGE;
        b.nodeWeights[node] = b.nodeWeights[node]! + weight;
      }
      if (additionIsUnsafe(b.weight, weight)) return -Errno.ERANGE;
      b.items[newsize - 1] = item;
      b.itemWeights[newsize - 1] = weight;
      b.weight = (b.weight + weight) >>> 0;
      b.size++;
      return 0;
    }
    case BucketAlg.Straw:
    case BucketAlg.Straw2: {
      b.items[newsize - 1] = item;
      b.itemWeights[newsize - 1] = weight;
      if (additionIsUnsafe(b.weight, weight)) return -Errno.ERANGE;
      b.weight = (b.weight + weight) >>> 0;
      b.size++;
      if (b.alg === BucketAlg.Straw) calcStraws(map, b);
      return 0;
    }
    default:
      return -1;
  }
}

// ---------------------------------------------------------------------------------------------------
// Removing items

function shrink(b: CrushBucket, n: number): void {
  b.items = b.items.slice(0, n);
  b.itemWeights = b.itemWeights.slice(0, n);
}

/** crush_bucket_remove_item(): remove `item`. Returns 0 or -ENOENT. */
export function bucketRemoveItem(map: CrushMap, b: CrushBucket, item: number): number {
  let i = 0;
  for (; i < b.size; i++) if (b.items[i] === item) break;
  if (i === b.size) return -Errno.ENOENT;
  switch (b.alg) {
    case BucketAlg.Uniform: {
      for (let j = i; j < b.size - 1; j++) b.items[j] = b.items[j + 1]!;
      b.size--;
      b.weight = b.itemWeight < b.weight ? b.weight - b.itemWeight : 0;
      shrink(b, b.size);
      return 0;
    }
    case BucketAlg.List: {
      const weight = b.itemWeights[i]!;
      for (let j = i; j < b.size - 1; j++) {
        b.items[j] = b.items[j + 1]!;
        b.itemWeights[j] = b.itemWeights[j + 1]!;
        b.sumWeights[j] = b.sumWeights[j + 1]! - weight;
      }
      b.weight = weight < b.weight ? b.weight - weight : 0;
      b.size--;
      shrink(b, b.size);
      b.sumWeights = b.sumWeights.slice(0, b.size);
      return 0;
    }
    case BucketAlg.Tree: {
      // The leaf is zeroed in place (its item id becomes 0, as in Ceph); trailing empty leaves are
      // then dropped.
      const depth = treeDepth(b.size);
      b.items[i] = 0;
      let node = calcTreeNode(i);
      const weight = b.nodeWeights[node]!;
      b.nodeWeights[node] = 0;
      b.itemWeights[i] = 0;
      for (let j = 1; j < depth; j++) {
        node = treeParent(node);
        b.nodeWeights[node] = b.nodeWeights[node]! - weight;
      }
      b.weight = weight < b.weight ? b.weight - weight : 0;
      let newsize = b.size;
      while (newsize > 0) {
        if (b.nodeWeights[calcTreeNode(newsize - 1)]) break;
        newsize--;
      }
      if (newsize !== b.size) {
        const olddepth = treeDepth(b.size);
        const newdepth = treeDepth(newsize);
        shrink(b, newsize);
        if (olddepth !== newdepth) {
          b.numNodes = 1 << newdepth;
          b.nodeWeights = b.nodeWeights.slice(0, b.numNodes);
        }
        b.size = newsize;
      }
      return 0;
    }
    case BucketAlg.Straw:
    case BucketAlg.Straw2: {
      const w = b.itemWeights[i]!;
      b.weight = w < b.weight ? b.weight - w : 0;
      for (let j = i; j < b.size - 1; j++) {
        b.items[j] = b.items[j + 1]!;
        b.itemWeights[j] = b.itemWeights[j + 1]!;
      }
      b.size--;
      shrink(b, b.size);
      if (b.alg === BucketAlg.Straw) {
        b.straws = new Uint32Array(b.size);
        calcStraws(map, b);
      }
      return 0;
    }
    default:
      return -1;
  }
}

// ---------------------------------------------------------------------------------------------------
// Changing an item's weight

/**
 * crush_bucket_adjust_item_weight(): set `item`'s weight; returns the change in the bucket's weight as a
 * signed 32-bit number (0 when the item is not in the bucket). For a uniform bucket every item takes
 * the new weight.
 */
export function bucketAdjustItemWeight(map: CrushMap, b: CrushBucket, item: number, weight: number): number {
  weight = weight >>> 0;
  if (b.alg === BucketAlg.Uniform) {
    const diff = Math.imul((weight - b.itemWeight) | 0, b.size);
    b.itemWeight = weight;
    b.itemWeights.fill(weight);
    b.weight = Math.imul(weight, b.size) >>> 0;
    return diff;
  }
  let idx = 0;
  for (; idx < b.size; idx++) if (b.items[idx] === item) break;
  if (idx === b.size) return 0;
  switch (b.alg) {
    case BucketAlg.List: {
      const diff = (weight - b.itemWeights[idx]!) | 0;
      b.itemWeights[idx] = weight;
      b.weight = (b.weight + diff) >>> 0;
      for (let j = idx; j < b.size; j++) b.sumWeights[j] = b.sumWeights[j]! + diff;
      return diff;
    }
    case BucketAlg.Tree: {
      const depth = treeDepth(b.size);
      let node = calcTreeNode(idx);
      const diff = (weight - b.nodeWeights[node]!) | 0;
      b.nodeWeights[node] = weight;
      b.itemWeights[idx] = weight;
      b.weight = (b.weight + diff) >>> 0;
      for (let j = 1; j < depth; j++) {
        node = treeParent(node);
        b.nodeWeights[node] = b.nodeWeights[node]! + diff;
      }
      return diff;
    }
    case BucketAlg.Straw:
    case BucketAlg.Straw2: {
      const diff = (weight - b.itemWeights[idx]!) | 0;
      b.itemWeights[idx] = weight;
      b.weight = (b.weight + diff) >>> 0;
      if (b.alg === BucketAlg.Straw) calcStraws(map, b);
      return diff;
    }
    default:
      return -1;
  }
}

// ---------------------------------------------------------------------------------------------------
// Recomputing weights from the children up

/**
 * crush_reweight_bucket(): recompute this bucket's weight (and, recursively, every child bucket's) from
 * the leaves up. Device items keep their stored weights; child buckets contribute their new weight.
 * A uniform bucket with more bucket children than devices takes the children's average as item weight.
 * Returns 0, or -ERANGE on u32 overflow.
 */
export function reweightBucket(map: CrushMap, b: CrushBucket): number {
  switch (b.alg) {
    case BucketAlg.Uniform: {
      let sum = 0;
      let n = 0;
      let leaves = 0;
      for (let i = 0; i < b.size; i++) {
        const id = b.items[i]!;
        if (id < 0) {
          const c = map.buckets[-1 - id];
          if (!c) continue;
          reweightBucket(map, c);
          if (additionIsUnsafe(sum, c.weight)) return -Errno.ERANGE;
          sum += c.weight;
          n++;
        } else {
          leaves++;
        }
      }
      if (n > leaves) {
        b.itemWeight = Math.floor(sum / n);
        b.itemWeights.fill(b.itemWeight);
      }
      b.weight = Math.imul(b.itemWeight, b.size) >>> 0;
      return 0;
    }
    case BucketAlg.Tree: {
      b.weight = 0;
      for (let i = 0; i < b.size; i++) {
        const node = calcTreeNode(i);
        const id = b.items[i]!;
        if (id < 0) {
          const c = map.buckets[-1 - id];
          if (c) {
            reweightBucket(map, c);
            b.nodeWeights[node] = c.weight;
            b.itemWeights[i] = c.weight;
          }
        }
        if (additionIsUnsafe(b.weight, b.nodeWeights[node]!)) return -Errno.ERANGE;
        b.weight += b.nodeWeights[node]!;
      }
      return 0;
    }
    case BucketAlg.List:
    case BucketAlg.Straw:
    case BucketAlg.Straw2: {
      b.weight = 0;
      for (let i = 0; i < b.size; i++) {
        const id = b.items[i]!;
        if (id < 0) {
          const c = map.buckets[-1 - id];
          if (c) {
            reweightBucket(map, c);
            b.itemWeights[i] = c.weight;
          }
        }
        if (additionIsUnsafe(b.weight, b.itemWeights[i]!)) return -Errno.ERANGE;
        b.weight += b.itemWeights[i]!;
      }
      if (b.alg === BucketAlg.Straw) calcStraws(map, b);
      return 0;
    }
    default:
      return -1;
  }
}
