// Shared by the CRUSH golden test and the differential fuzzer: where Pacific's tree buckets hold heap
// garbage and where its mapper then reads memory it never wrote. These are test oracles, not part of
// crush/: they say which answers of Ceph's depend on its allocator, so that tests compare only the
// answers that do not.
//
// What Pacific 16.2.15 does, and what tsceph does with it:
// 1. Tree node weights. Ceph grows a tree bucket item by item (crush_add_tree_bucket_item: every shadow
//    bucket device_class_clone makes, and --add-item and friends) with realloc and never writes node 0,
//    the leaves past the last item and every inner node whose number is not a power of two (`+=` adds
//    the right weight to whatever was there). A map Ceph compiles with device classes and tree buckets
//    so carries heap words (pointer bits, different on every run) in its shadow buckets, and the
//    encoder writes them out. tsceph's builder writes zeros there; its compile equals Ceph's except at
//    those words (uninitialisedTreeNodes). When `+=` carries a word past 2^32, Ceph's
//    crush_add_tree_bucket_item fails with ERANGE (a compile then finds "no class information",
//    --reweight asserts): that depends on the allocator, and tsceph never fails there.
// 2. Items past the end. With such weights bucket_tree_choose can reach a leaf past the last item and
//    return items[k], k >= size. In a decoded map (every daemon and client decodes the map it maps
//    with) that is the slack of the decoder's calloc(4 * size), which glibc zeroes: Ceph picks device 0,
//    and so does crush/mapper.ts. The slack covers every leaf of a tree of 1-4, 7 or 8 items
//    (callocSlots); past it Ceph reads glibc's chunk header and the next allocation
//    (treeReadsPastCalloc), which tsceph cannot know and answers 0 for. In a map built in the same
//    process (crushtool -c with --test, or an edit that rebuilds the shadow trees) the slack is not
//    zeroed either and the weights are fresh garbage, so Ceph's own answers change from run to run.
// 3. Zero-position weight sets. When device_class_clone rebuilds shadow trees while choose_args exist,
//    a shadow bucket whose original has no weight set gets weight_set = calloc(0, ...), not NULL, with
//    0 positions. The encoder drops the entry, but Pacific's mapper reads weight_set[-1] (glibc's chunk
//    header, whose first word is the end of the previous chunk) as the weights pointer and dies
//    (SIGSEGV) at the first draw from such a straw2 bucket: crushtool --reweight or
//    --rebuild-class-roots with --test in the same run. tsceph's wrapper knows those entries
//    (CrushWrapper.weightSetTraps), the mapper flags a draw from one (CrushWork.weightSetTraps) and the
//    tester turns it into the same crash. Rarely that word is a readable pointer and Ceph maps on with
//    garbage weights (once in some 2000 fuzzed maps); tsceph still reports the crash.
import { BucketAlg, CrushBucket, CrushMap } from '../../crush/types.js';

/**
 * How many u32 slots calloc(4 * size) zeroes in glibc when it hands out the smallest chunk that fits:
 * a chunk is max(32, 4·size + 8 rounded up to 16) bytes with 8 of them glibc's, and calloc clears all
 * the rest. Ceph's decoder allocates a bucket's items this way, so items[size .. slots-1] read 0.
 * A larger (reused) chunk can only add zero slots.
 */
export function callocSlots(size: number): number {
  const chunk = Math.max(32, (4 * size + 8 + 15) & ~15);
  return (chunk - 8) / 4;
}

/**
 * Leaves past the last item (as item indices >= size) that bucket_tree_choose can reach with these
 * node weights. At node n it draws t = hash·w(n) >> 32, which is in [0, w(n) - 1] (0 when w(n) = 0),
 * and goes left when t < w(left). The answer over-approximates (every hash is taken as possible).
 */
export function treeLeavesPastEnd(b: CrushBucket): number[] {
  const out: number[] = [];
  if (b.alg !== BucketAlg.Tree) return out;
  const nw = b.nodeWeights;
  const stack: number[] = [];
  if (b.numNodes >> 1) stack.push(b.numNodes >> 1);
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n & 1) {
      if (n >> 1 >= b.size) out.push(n >> 1);
      continue;
    }
    const half = (n & -n) >>> 1;
    const l = n - half;
    const tMax = nw[n]! > 0 ? nw[n]! - 1 : 0;
    if (nw[l]! > 0) stack.push(l);
    if (tMax >= nw[l]!) stack.push(n + half);
  }
  return out.sort((a, b2) => a - b2);
}

/**
 * Tree buckets of a decoded map whose reachable leaves lie past the zeroed slack of the decoder's
 * calloc: there Ceph's mapper reads glibc's chunk header and the next allocation, which depends on
 * the process's whole allocation history. Empty when every answer of Ceph's is reproducible.
 */
export function treeReadsPastCalloc(map: CrushMap): { bucketId: number; size: number; leaves: number[] }[] {
  const out: { bucketId: number; size: number; leaves: number[] }[] = [];
  for (const b of map.buckets) {
    if (!b || b.alg !== BucketAlg.Tree) continue;
    const slots = callocSlots(b.size);
    const leaves = treeLeavesPastEnd(b).filter((k) => k >= slots);
    if (leaves.length > 0) out.push({ bucketId: b.id, size: b.size, leaves });
  }
  return out;
}

/**
 * Node weights Ceph leaves uninitialised in a tree bucket it grows from empty with
 * crush_add_tree_bucket_item (as device_class_clone builds every shadow bucket): each growth is a
 * realloc, and only the new leaf, the new root (copied from the old one) and `+=` on the path up are
 * written. `+=` on an unwritten node keeps it garbage, so these positions hold whatever the heap held
 * (plus the right weights, for the inner nodes). Returns one flag per node of a size-`size` tree.
 */
export function uninitialisedTreeNodes(size: number): boolean[] {
  const defined: boolean[] = [];
  for (let newsize = 1; newsize <= size; newsize++) {
    let depth = 1;
    for (let t = newsize - 1; t; t >>= 1) depth++;
    const numNodes = 1 << depth;
    while (defined.length < numNodes) defined.push(false); // realloc: old entries kept, new ones garbage
    const node = (newsize << 1) - 1; // leaf of item newsize - 1
    defined[node] = true;
    const root = numNodes >> 1;
    if (depth >= 2 && node - 1 === root) defined[root] = defined[root >> 1]!;
    // then node_weights[p] += weight up the path: an unwritten node stays garbage
  }
  return defined.map((d) => !d);
}
