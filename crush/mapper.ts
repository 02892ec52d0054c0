// The CRUSH mapping algorithm, bit-exact with Ceph's src/crush/mapper.c (Pacific): the bucket choose
// functions of the five algorithms, the device "out" test with 16.16 reweights, crush_choose_firstn and
// crush_choose_indep with every tunable, and crush_do_rule's step interpreter.
//
// Hot-path rules kept here: no allocation per crushDoRule call (the caller owns a CrushWork holding all
// scratch space), integer math in doubles only where the values provably fit in 53 bits (see the notes
// at each 64-bit spot), no closures, no BigInt.

import { crushHash32_2Lo16, crushHash32_3Lo16, crushHash32_3Out, crushHash32_4Lo16, crushHash32_4Out, HASH_OUT } from './hash.js';
import { crushLn } from './ln.js';
import {
  BucketAlg,
  CRUSH_ITEM_NONE,
  CRUSH_ITEM_UNDEF,
  CrushBucket,
  CrushChooseArg,
  CrushChooseArgMap,
  CrushMap,
  RuleOp,
} from './types.js';

const TWO16 = 65536;
const TWO48 = 281474976710656;
const PERM_R0 = 0xffff; // perm_n marker: only perm[0] is valid (the r = 0 shortcut)

/**
 * crush_ln(u) - 2^48 for every 16-bit u, computed once (512 KiB): straw2's draw numerator. Each entry
 * is an integer in [-2^48, 0], exact in a double.
 */
const LN_DRAW = new Float64Array(0x10000);
for (let u = 0; u < 0x10000; u++) LN_DRAW[u] = crushLn(u) - TWO48;

/**
 * Ceph's crush_work: the caller-owned workspace for crushDoRule. It holds the per-bucket permutation
 * state of bucket_perm_choose and the three result-sized vectors crush_do_rule juggles. Make one per
 * map (and per thread of use); crushDoRule reinitialises the permutation state on every call, as Ceph
 * builds a fresh workspace per mapping, and grows itself if the map gained buckets.
 *
 * When `chooseTries` is set, the mapper counts how many tries each choice took into it (Ceph's
 * map->choose_tries histogram, used by `crushtool --show-choose-tries`); indices above
 * map.chooseTotalTries or past the array's end are not counted.
 *
 * When `weightSetTraps` is set (indexed by -1-bucketId), drawing from a straw2 bucket whose slot is 1
 * records that bucket's id in `trappedBucket` (0 when the call met none), and the draw goes on with the item
 * weights. The slots mark choose_args entries that exist only in a Pacific process's memory: a weight
 * set allocated with zero positions, from which Ceph's mapper reads weight_set[-1] (CrushWrapper's
 * weightSetTraps says which, and crushtool's tester turns a trap into Ceph's crash).
 */
export class CrushWork {
  chooseTries: Uint32Array | null = null;
  weightSetTraps: Uint8Array | null = null;
  trappedBucket = 0;
  permX: Uint32Array;
  permN: Uint32Array;
  perm: Uint32Array[];
  /** Bucket indices whose permN went non-zero during the current call: the only ones to reset. */
  touched: Int32Array;
  touchedCount = 0;
  a: Int32Array;
  b: Int32Array;
  c: Int32Array;

  constructor(map: CrushMap, resultMax: number) {
    const nb = map.buckets.length;
    this.permX = new Uint32Array(nb);
    this.permN = new Uint32Array(nb);
    this.touched = new Int32Array(nb);
    this.perm = new Array<Uint32Array>(nb);
    for (let i = 0; i < nb; i++) this.perm[i] = new Uint32Array(map.buckets[i]?.size ?? 0);
    const n = Math.max(resultMax, 1);
    this.a = new Int32Array(n);
    this.b = new Int32Array(n);
    this.c = new Int32Array(n);
  }

  /**
   * Fit the workspace to `map` and `resultMax` (allocating only when they outgrew it) and forget the
   * permutations of the previous call, as a fresh crush_work would.
   */
  prepare(map: CrushMap, resultMax: number): void {
    const nb = map.buckets.length;
    for (let i = 0; i < this.touchedCount; i++) this.permN[this.touched[i]!] = 0;
    this.touchedCount = 0;
    this.trappedBucket = 0;
    if (this.permN.length < nb) {
      this.permX = new Uint32Array(nb);
      this.permN = new Uint32Array(nb);
      this.touched = new Int32Array(nb);
      for (let i = this.perm.length; i < nb; i++) this.perm.push(new Uint32Array(0));
    }
    if (this.a.length < resultMax) {
      this.a = new Int32Array(resultMax);
      this.b = new Int32Array(resultMax);
      this.c = new Int32Array(resultMax);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Bucket choose functions. Each picks one item of bucket `b` for input x and replica rank r.
// A bucket whose hash type is not rjenkins1 (0) hashes everything to 0, as Ceph's crush_hash32_*
// return 0 for an unknown type (crushtool compiles `hash 1` and maps with it).

/**
 * A random permutation of the bucket's positions for input x, built lazily up to rank r (uniform
 * buckets, and any bucket in the "local fallback" search). r = 0 is computed without the permutation.
 */
function permChoose(b: CrushBucket, work: CrushWork, x: number, r: number): number {
  const idx = -1 - b.id;
  const size = b.size;
  let perm = work.perm[idx]!;
  if (perm.length < size) {
    // the bucket grew since the workspace was made
    perm = new Uint32Array(size);
    work.perm[idx] = perm;
  }
  const pr = (r >>> 0) % size;
  let permN = work.permN[idx]!;
  if (permN === 0) work.touched[work.touchedCount++] = idx;
  if (work.permX[idx] !== x >>> 0 || permN === 0) {
    work.permX[idx] = x;
    if (pr === 0) {
      let s = 0;
      if (b.hash === 0) {
        crushHash32_3Out(x, b.id, 0);
        s = HASH_OUT[0]! % size;
      }
      perm[0] = s;
      work.permN[idx] = PERM_R0;
      return b.items[s]!;
    }
    for (let i = 0; i < size; i++) perm[i] = i;
    permN = 0;
  } else if (permN === PERM_R0) {
    // expand the r = 0 shortcut into the permutation's first step
    for (let i = 1; i < size; i++) perm[i] = i;
    perm[perm[0]!] = 0;
    permN = 1;
  }
  while (permN <= pr) {
    const p = permN;
    if (p < size - 1) {
      let i = 0;
      if (b.hash === 0) {
        crushHash32_3Out(x, b.id, p);
        i = HASH_OUT[0]! % (size - p);
      }
      if (i) {
        const t = perm[p + i]!;
        perm[p + i] = perm[p]!;
        perm[p] = t;
      }
    }
    permN++;
  }
  work.permN[idx] = permN;
  return b.items[perm[pr]!]!;
}

/** list: walk from the last item back; keep item i with probability weight_i / sum_weights_i. */
function listChoose(b: CrushBucket, x: number, r: number): number {
  const rj = b.hash === 0;
  for (let i = b.size - 1; i >= 0; i--) {
    // (hash & 0xffff) * sum_weight < 2^48: exact; >> 16 is a floor division by 2^16.
    const h = rj ? crushHash32_4Lo16(x, b.items[i]!, r, b.id) : 0;
    const w = Math.floor((h * b.sumWeights[i]!) / TWO16);
    if (w < b.itemWeights[i]!) return b.items[i]!;
  }
  return b.items[0]!;
}

/** The high 32 bits of the 64-bit product of two u32: hash * weight >> 32, split so every step is exact. */
function mulHi32(h: number, w: number): number {
  const hHi = h >>> 16;
  const hLo = h & 0xffff;
  // h*w = hHi*w*2^16 + hLo*w, both terms < 2^48.
  return Math.floor((hHi * w + Math.floor((hLo * w) / TWO16)) / TWO16);
}

/** tree: descend the weighted binary tree from the root, left or right by a hash of (x, node, r). */
function treeChoose(b: CrushBucket, x: number, r: number): number {
  const nw = b.nodeWeights;
  let n = b.numNodes >> 1;
  if (n === 0) return b.items[0]!; // a corrupt num_nodes; Ceph would never leave the loop
  while (!(n & 1)) {
    let t = 0;
    if (b.hash === 0) {
      crushHash32_4Out(x, n, r, b.id);
      t = mulHi32(HASH_OUT[0]!, nw[n]!);
    }
    const half = (n & -n) >>> 1; // 1 << (height(n) - 1)
    const l = n - half;
    n = t < nw[l]! ? l : n + half;
  }
  // A leaf past the last item is reached when the node weights above it are not zero: Pacific leaves
  // heap garbage in the tree buckets it grows item by item (the shadow trees of device classes), and
  // that garbage is encoded. Ceph then reads items[] past its end; in a decoded map that memory is the
  // slack of calloc(size * 4), which is zero, so the pick is device 0. (Past that slack, in trees of 5-6
  // or 9+ items, Ceph reads glibc's chunk header and the next allocation: 0 is the answer kept there.)
  const leaf = n >> 1;
  return leaf < b.size ? b.items[leaf]! : 0;
}

/** straw (v1 buckets): the longest straw wins, straw = (hash & 0xffff) * precomputed length. */
function strawChoose(b: CrushBucket, x: number, r: number): number {
  let high = 0;
  let highDraw = 0;
  const straws = b.straws;
  const rj = b.hash === 0;
  for (let i = 0; i < b.size; i++) {
    const h = rj ? crushHash32_3Lo16(x, b.items[i]!, r) : 0;
    const draw = h * straws[i]!; // < 2^48, exact
    if (i === 0 || draw > highDraw) {
      high = i;
      highDraw = draw;
    }
  }
  return b.items[high]!;
}

/**
 * straw2: each item draws ln(u) / weight with u a 16-bit hash of (x, id, r); the largest draw wins.
 *
 * Exactness of the division. Ceph computes div64_s64(ln, weight) with ln = crush_ln(u) - 2^48, an
 * integer in [-2^48, 0], and weight the item's u32 weight read as a C int (so weights >= 2^31 become
 * negative), truncating toward zero. Here q = ln / w is rounded once to the nearest double: the error is
 * at most |q| * 2^-53 <= 2^48 / |w| * 2^-53 < 1 / |w|. If q is an integer it is exactly representable
 * (|q| <= 2^48) and comes out exact. Otherwise q = k / |w| for an integer k not divisible by |w|, so q
 * lies at least 1 / |w| from every integer, and an error below 1 / |w| cannot carry it across (or onto)
 * one. Hence Math.trunc(ln / w) equals the C quotient. A zero weight never wins (Ceph uses S64_MIN,
 * below every real draw; -Infinity behaves the same in these comparisons).
 */
function straw2Choose(b: CrushBucket, x: number, r: number, arg: CrushChooseArg | null, position: number): number {
  let weights = b.itemWeights;
  let ids = b.items;
  if (arg !== null) {
    const ws = arg.weightSet;
    if (ws.length > 0) weights = ws[position < ws.length ? position : ws.length - 1]!;
    if (arg.ids !== null) ids = arg.ids;
  }
  let high = 0;
  let highDraw = 0;
  const rj = b.hash === 0;
  for (let i = 0; i < b.size; i++) {
    const w = weights[i]!;
    let draw: number;
    if (w !== 0) {
      draw = Math.trunc(LN_DRAW[rj ? crushHash32_3Lo16(x, ids[i]!, r) : 0]! / (w | 0));
    } else {
      draw = -Infinity;
    }
    if (i === 0 || draw > highDraw) {
      high = i;
      highDraw = draw;
    }
  }
  return b.items[high]!;
}

function bucketChoose(
  b: CrushBucket,
  work: CrushWork,
  x: number,
  r: number,
  chooseArgs: CrushChooseArgMap | null,
  position: number,
): number {
  switch (b.alg) {
    case BucketAlg.Uniform:
      return permChoose(b, work, x, r);
    case BucketAlg.List:
      return listChoose(b, x, r);
    case BucketAlg.Tree:
      return treeChoose(b, x, r);
    case BucketAlg.Straw:
      return strawChoose(b, x, r);
    case BucketAlg.Straw2:
      if (work.weightSetTraps !== null && work.weightSetTraps[-1 - b.id] === 1) work.trappedBucket = b.id;
      return straw2Choose(b, x, r, chooseArgs !== null ? chooseArgs[-1 - b.id] ?? null : null, position);
    default:
      return b.items[0]!;
  }
}

/**
 * Is device `item` out for input x? Devices beyond the weight vector are out; a 16.16 reweight of 1.0 or
 * more keeps it in, 0 takes it out, and in between it stays in for that fraction of inputs.
 */
function isOut(weights: Uint32Array, weightMax: number, item: number, x: number): boolean {
  if (item >= weightMax) return true;
  const w = weights[item]!;
  if (w >= 0x10000) return false;
  if (w === 0) return true;
  return crushHash32_2Lo16(x, item) >= w;
}

/** The type of item `item` (0 for devices), or -1 for a bucket id the map does not hold. */
function itemType(map: CrushMap, item: number): number {
  if (item >= 0) return 0;
  const b = map.buckets[-1 - item];
  return b ? b.type : -1;
}

// ---------------------------------------------------------------------------------------------------
// crush_choose_firstn

/**
 * Choose `numrep` distinct items of type `type` under `bucket`, writing them to out[outBase + outpos..].
 * With recurseToLeaf (chooseleaf), also pick one device under each chosen item into out2[out2Base + ..].
 * Returns the new outpos. Mirrors Ceph's crush_choose_firstn parameter for parameter.
 */
function chooseFirstn(
  map: CrushMap,
  work: CrushWork,
  bucket: CrushBucket,
  weights: Uint32Array,
  weightMax: number,
  x: number,
  numrep: number,
  type: number,
  out: Int32Array,
  outBase: number,
  outpos: number,
  outSize: number,
  tries: number,
  recurseTries: number,
  localRetries: number,
  localFallbackRetries: number,
  recurseToLeaf: boolean,
  varyR: number,
  stable: number,
  out2: Int32Array | null,
  out2Base: number,
  parentR: number,
  chooseArgs: CrushChooseArgMap | null,
): number {
  let count = outSize;
  let item = 0;
  const maxDescents = map.buckets.length;
  for (let rep = stable ? 0 : outpos; rep < numrep && count > 0; rep++) {
    let ftotal = 0;
    let skipRep = false;
    let retryDescent: boolean;
    do {
      retryDescent = false;
      let inb = bucket;
      let flocal = 0;
      let descents = 0;
      let retryBucket: boolean;
      do {
        let collide = false;
        let reject = false;
        retryBucket = false;
        const r = rep + parentR + ftotal;
        if (inb.size === 0) {
          reject = true;
        } else {
          if (localFallbackRetries > 0 && flocal >= inb.size >>> 1 && flocal > localFallbackRetries) {
            item = permChoose(inb, work, x, r);
          } else {
            item = bucketChoose(inb, work, x, r, chooseArgs, outpos);
          }
          if (item >= map.maxDevices) {
            skipRep = true;
            break;
          }
          const itemtype = itemType(map, item);
          if (itemtype !== type) {
            if (item >= 0 || -1 - item >= map.buckets.length || itemtype < 0) {
              skipRep = true;
              break;
            }
            if (++descents > maxDescents) {
              // only a cyclic (corrupt) map descends this far; Ceph would loop forever
              skipRep = true;
              break;
            }
            inb = map.buckets[-1 - item]!;
            retryBucket = true;
            continue;
          }
          for (let i = 0; i < outpos; i++) {
            if (out[outBase + i] === item) {
              collide = true;
              break;
            }
          }
          if (!collide && recurseToLeaf) {
            if (item < 0) {
              const subR = varyR ? r >> (varyR - 1) : 0;
              if (
                chooseFirstn(
                  map, work, map.buckets[-1 - item]!, weights, weightMax, x,
                  stable ? 1 : outpos + 1, 0,
                  out2!, out2Base, outpos, count,
                  recurseTries, 0, localRetries, localFallbackRetries,
                  false, varyR, stable, null, 0, subR, chooseArgs,
                ) <= outpos
              ) {
                reject = true; // no leaf under it
              }
            } else {
              out2![out2Base + outpos] = item; // already a leaf
            }
          }
          if (!reject && !collide && itemtype === 0) reject = isOut(weights, weightMax, item, x);
        }
        if (reject || collide) {
          ftotal++;
          flocal++;
          if (collide && flocal <= localRetries) retryBucket = true;
          else if (localFallbackRetries > 0 && flocal <= inb.size + localFallbackRetries) retryBucket = true;
          else if (ftotal < tries) retryDescent = true;
          else skipRep = true;
        }
      } while (retryBucket);
    } while (retryDescent);

    if (skipRep) continue;
    out[outBase + outpos] = item;
    outpos++;
    count--;
    const hist = work.chooseTries;
    if (hist !== null && ftotal <= map.chooseTotalTries && ftotal < hist.length) hist[ftotal]++;
  }
  return outpos;
}

// ---------------------------------------------------------------------------------------------------
// crush_choose_indep

/**
 * Choose `left` items for positions outpos..outpos+left-1 breadth first, each position keeping its
 * own rank so that a failure only moves that position; positions that cannot be filled become
 * CRUSH_ITEM_NONE. Mirrors Ceph's crush_choose_indep.
 */
function chooseIndep(
  map: CrushMap,
  work: CrushWork,
  bucket: CrushBucket,
  weights: Uint32Array,
  weightMax: number,
  x: number,
  left: number,
  numrep: number,
  type: number,
  out: Int32Array,
  outBase: number,
  outpos: number,
  tries: number,
  recurseTries: number,
  recurseToLeaf: boolean,
  out2: Int32Array | null,
  out2Base: number,
  parentR: number,
  chooseArgs: CrushChooseArgMap | null,
): void {
  const endpos = outpos + left;
  const maxDescents = map.buckets.length;
  for (let rep = outpos; rep < endpos; rep++) {
    out[outBase + rep] = CRUSH_ITEM_UNDEF;
    if (out2 !== null) out2[out2Base + rep] = CRUSH_ITEM_UNDEF;
  }
  let ftotal = 0;
  for (; left > 0 && ftotal < tries; ftotal++) {
    for (let rep = outpos; rep < endpos; rep++) {
      if (out[outBase + rep] !== CRUSH_ITEM_UNDEF) continue;
      let inb = bucket;
      let descents = 0;
      for (;;) {
        // the rank depends on the position, also in nested calls
        let r = rep + parentR;
        if (inb.alg === BucketAlg.Uniform && inb.size % numrep === 0) r += (numrep + 1) * ftotal;
        else r += numrep * ftotal;
        r |= 0;
        if (inb.size === 0) break;
        const item = bucketChoose(inb, work, x, r, chooseArgs, outpos);
        if (item >= map.maxDevices) {
          out[outBase + rep] = CRUSH_ITEM_NONE;
          if (out2 !== null) out2[out2Base + rep] = CRUSH_ITEM_NONE;
          left--;
          break;
        }
        const itemtype = itemType(map, item);
        if (itemtype !== type) {
          if (item >= 0 || -1 - item >= map.buckets.length || itemtype < 0) {
            out[outBase + rep] = CRUSH_ITEM_NONE;
            if (out2 !== null) out2[out2Base + rep] = CRUSH_ITEM_NONE;
            left--;
            break;
          }
          if (++descents > maxDescents) {
            // only a cyclic (corrupt) map descends this far; Ceph would loop forever
            out[outBase + rep] = CRUSH_ITEM_NONE;
            if (out2 !== null) out2[out2Base + rep] = CRUSH_ITEM_NONE;
            left--;
            break;
          }
          inb = map.buckets[-1 - item]!;
          continue;
        }
        let collide = false;
        for (let i = outpos; i < endpos; i++) {
          if (out[outBase + i] === item) {
            collide = true;
            break;
          }
        }
        if (collide) break;
        if (recurseToLeaf) {
          if (item < 0) {
            chooseIndep(
              map, work, map.buckets[-1 - item]!, weights, weightMax, x,
              1, numrep, 0, out2!, out2Base, rep,
              recurseTries, 0, false, null, 0, r, chooseArgs,
            );
            if (out2 !== null && out2[out2Base + rep] === CRUSH_ITEM_NONE) break; // no leaf
          } else if (out2 !== null) {
            out2[out2Base + rep] = item;
          }
        }
        if (itemtype === 0 && isOut(weights, weightMax, item, x)) break;
        out[outBase + rep] = item;
        left--;
        break;
      }
    }
  }
  for (let rep = outpos; rep < endpos; rep++) {
    if (out[outBase + rep] === CRUSH_ITEM_UNDEF) out[outBase + rep] = CRUSH_ITEM_NONE;
    if (out2 !== null && out2[out2Base + rep] === CRUSH_ITEM_UNDEF) out2[out2Base + rep] = CRUSH_ITEM_NONE;
  }
  const hist = work.chooseTries;
  if (hist !== null && ftotal <= map.chooseTotalTries && ftotal < hist.length) hist[ftotal]++;
}

// ---------------------------------------------------------------------------------------------------
// crush_do_rule

/**
 * Map input x through rule `ruleno` into result[0..]: returns the number of items written (at most
 * resultMax). `weights` holds the 16.16 device reweights (weightMax of them; devices past it are out).
 * `chooseArgs`, when given, supplies straw2 weight sets by position and replacement hash ids. An
 * unknown rule maps to nothing, as in Ceph. indep rules leave CRUSH_ITEM_NONE holes.
 */
export function crushDoRule(
  map: CrushMap,
  ruleno: number,
  x: number,
  result: Int32Array,
  resultMax: number,
  weights: Uint32Array,
  weightMax: number,
  work: CrushWork,
  chooseArgs: CrushChooseArgMap | null,
): number {
  if (ruleno < 0 || ruleno >= map.rules.length) return 0;
  const rule = map.rules[ruleno];
  if (!rule) return 0;
  work.prepare(map, resultMax);
  x |= 0;
  let w = work.a;
  let o = work.b;
  const c = work.c;
  let wsize = 0;
  let resultLen = 0;
  // Ceph's choose_total_tries counted retries, not tries: one more try than the tunable says.
  let chooseTries = map.chooseTotalTries + 1;
  let chooseLeafTries = 0;
  let localRetries = map.chooseLocalTries;
  let localFallbackRetries = map.chooseLocalFallbackTries;
  let varyR = map.chooseleafVaryR;
  let stable = map.chooseleafStable;
  const maxBuckets = map.buckets.length;
  const steps = rule.steps;

  for (let s = 0; s < steps.length; s++) {
    const step = steps[s]!;
    const arg1 = step.arg1;
    switch (step.op) {
      case RuleOp.Take:
        if ((arg1 >= 0 && arg1 < map.maxDevices) || (arg1 < 0 && -1 - arg1 < maxBuckets && map.buckets[-1 - arg1])) {
          w[0] = arg1;
          wsize = 1;
        }
        break;
      case RuleOp.SetChooseTries:
        if (arg1 > 0) chooseTries = arg1;
        break;
      case RuleOp.SetChooseleafTries:
        if (arg1 > 0) chooseLeafTries = arg1;
        break;
      case RuleOp.SetChooseLocalTries:
        if (arg1 >= 0) localRetries = arg1;
        break;
      case RuleOp.SetChooseLocalFallbackTries:
        if (arg1 >= 0) localFallbackRetries = arg1;
        break;
      case RuleOp.SetChooseleafVaryR:
        if (arg1 >= 0) varyR = arg1;
        break;
      case RuleOp.SetChooseleafStable:
        if (arg1 >= 0) stable = arg1;
        break;
      case RuleOp.ChooseFirstN:
      case RuleOp.ChooseleafFirstN:
      case RuleOp.ChooseIndep:
      case RuleOp.ChooseleafIndep: {
        if (wsize === 0) break;
        const firstn = step.op === RuleOp.ChooseFirstN || step.op === RuleOp.ChooseleafFirstN;
        const recurseToLeaf = step.op === RuleOp.ChooseleafFirstN || step.op === RuleOp.ChooseleafIndep;
        let osize = 0;
        for (let i = 0; i < wsize; i++) {
          let numrep = arg1;
          if (numrep <= 0) {
            numrep += resultMax;
            if (numrep <= 0) continue;
          }
          const bno = -1 - w[i]!;
          if (bno < 0 || bno >= maxBuckets) continue; // e.g. CRUSH_ITEM_NONE from an earlier indep step
          const bucket = map.buckets[bno];
          if (!bucket) continue;
          if (firstn) {
            let recurseTries: number;
            if (chooseLeafTries) recurseTries = chooseLeafTries;
            else if (map.chooseleafDescendOnce) recurseTries = 1;
            else recurseTries = chooseTries;
            osize += chooseFirstn(
              map, work, bucket, weights, weightMax, x, numrep, step.arg2,
              o, osize, 0, resultMax - osize,
              chooseTries, recurseTries, localRetries, localFallbackRetries,
              recurseToLeaf, varyR, stable, c, osize, 0, chooseArgs,
            );
          } else {
            const outSize = numrep < resultMax - osize ? numrep : resultMax - osize;
            chooseIndep(
              map, work, bucket, weights, weightMax, x, outSize, numrep, step.arg2,
              o, osize, 0,
              chooseTries, chooseLeafTries ? chooseLeafTries : 1,
              recurseToLeaf, c, osize, 0, chooseArgs,
            );
            osize += outSize;
          }
        }
        if (recurseToLeaf) for (let i = 0; i < osize; i++) o[i] = c[i]!;
        const tmp = o;
        o = w;
        w = tmp;
        wsize = osize;
        break;
      }
      case RuleOp.Emit:
        for (let i = 0; i < wsize && resultLen < resultMax; i++) result[resultLen++] = w[i]!;
        wsize = 0;
        break;
      default:
        break;
    }
  }
  return resultLen;
}

/** crush_find_rule(): the first rule whose mask matches ruleset, type and size, or -1. */
export function crushFindRule(map: CrushMap, ruleset: number, type: number, size: number): number {
  for (let i = 0; i < map.rules.length; i++) {
    const r = map.rules[i];
    if (r && r.mask.ruleset === ruleset && r.mask.type === type && r.mask.minSize <= size && r.mask.maxSize >= size) {
      return i;
    }
  }
  return -1;
}
