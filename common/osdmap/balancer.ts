// The upmap balancer, as Ceph 16.2 "Pacific" computes it (src/osd/OSDMap.cc OSDMap::calc_pg_upmaps and
// try_pg_upmap, src/crush/CrushWrapper.cc try_remap_rule and _choose_type_stack; driven by
// `osdmaptool --upmap` and the mgr balancer module). It moves PGs, one pg_upmap_items pair at a time,
// from the OSDs holding more PGs than their CRUSH weight share ("overfull") to those holding fewer
// ("underfull"), and drops existing pairs that map PGs into overfull or out of underfull OSDs.
//
// Glossary (Ceph's words):
//  - target: an OSD's fair share of PG replicas, its effective weight (reweight x CRUSH weight share
//    under the pool's rule) x pgs_per_weight; deviation: PGs held minus target (a float, as Ceph's).
//  - overfull: OSDs whose deviation exceeds max_deviation (or, when none does but some OSD is below
//    -max_deviation, every OSD with a positive deviation: "more_overfull"); underfull: OSDs below
//    -max_deviation, most underfull first; more_underfull: the other OSDs with a negative deviation.
//  - stddev: the sum of squared deviations (Ceph names it so; there is no square root). A change is
//    kept only if it lowers this sum.
//  - aggressive (osd_calc_pg_upmaps_aggressively): shuffle the candidate PGs, retry after a change that
//    does not help (up to local_fallback_retries times, skipping the PGs tried), and alternate between
//    overfull-first and underfull-first searches; otherwise stop at the first change that does not help.
//
// Walk-through of one call (each step is Ceph's):
//  1. Count the up set of every PG of the pools (pg_to_up_acting_osds) per OSD; sum each OSD's
//     effective weight over the pools' rules (get_rule_weight_osd_map x reweight), in floats.
//  2. Compute deviations; stop if the largest |deviation| is within max_deviation.
//  3. Up to `max` rounds: build overfull/underfull; for the fullest OSDs first, try to drop an existing
//     pair that remapped a PG into it, else ask CRUSH (try_remap_rule) for a mapping of one of its PGs
//     that swaps an overfull OSD for an underfull one, and add the pair whose source deviates most;
//     failing that, for the emptiest underfull OSDs, drop a pair that moved a PG away from it.
//  4. Re-score with the change; keep it (into `inc` and the working copy of pg_upmap_items) if the
//     squared deviations shrink, else stop or (aggressive) retry without the PGs just tried.
//
// Randomness: in aggressive mode Pacific shuffles with std::default_random_engine (minstd_rand0) seeded
// from a fresh std::random_device draw before each search, so its output is random. Here the draw is
// a parameter (`randomDevice`); with libstdc++'s minstd_rand0 and std::shuffle reproduced bit for bit,
// the same draws give the same result as Ceph. Without it a fixed sequence is used.
//
// Pure: no I/O, clock or ambient randomness; the optional log receives Ceph's messages up to logLevel.

import { crushFindRule, RuleOp, type CrushLog, type CrushWrapper } from '../../crush/index.js';
import { assert } from '../errors.js';
import { OsdVector, PlacementWork, UpActing, pgToRawUpmapInto, pgToUpActingOsdsInto } from './placement.js';
import { CephAssertFailure } from './build.js';
import { floatText, osdsText } from './tester.js';
import { formatIntVector } from './print.js';
import { insertPgSorted, pgText } from './osdmap.js';
import { CEPH_OSD_IN, CRUSH_ITEM_NONE, PgMap, type OSDMapData, type OSDMapIncremental, type UpmapItem } from './types.js';

/** A sink for Ceph's log lines: level as Ceph's dout level (-1 for lderr), text without the prefix. */
export type BalancerLog = CrushLog;

/** The options osdmaptool reads from its configuration, plus the injected randomness and log. */
export interface CalcPgUpmapsOptions {
  /** osd_calc_pg_upmaps_aggressively (default true). */
  aggressive: boolean;
  /** osd_calc_pg_upmaps_local_fallback_retries (default 100). */
  localFallbackRetries: number;
  /**
   * std::random_device::operator(): a u32 per draw; each aggressive search seeds a fresh minstd_rand0
   * with one draw. Defaults to fixedRandomDevice(0).
   */
  randomDevice?: () => number;
  /** Receives the messages of level <= logLevel (Ceph's debug_osd; lderr is -1). */
  log?: BalancerLog;
  /** Default 1: only what Pacific prints without raising debug_osd. */
  logLevel?: number;
}

// ---------------------------------------------------------------------------------------------------
// libstdc++'s engines and std::shuffle (GCC 12, which built Debian's 16.2.15), bit for bit

/** A uniform random bit generator as libstdc++'s distributions see it. */
export interface RandomEngine {
  readonly min: number;
  readonly max: number;
  next(): number;
}

const MINSTD_M = 2147483647;

/** std::minstd_rand0 (std::default_random_engine in libstdc++): x <- 16807 x mod (2^31 - 1). */
export class MinstdRand0 implements RandomEngine {
  readonly min = 1;
  readonly max = MINSTD_M - 1;
  private x: number;
  constructor(seed: number) {
    // linear_congruential_engine::seed: s mod m, and 1 instead of 0 (c is 0)
    const s = seed % MINSTD_M;
    this.x = s === 0 ? 1 : s;
  }
  next(): number {
    this.x = (this.x * 16807) % MINSTD_M; // < 2^46: exact in a double
    return this.x;
  }
}

/** std::mt19937 (osdmaptool shuffles its pool list with one, seeded from std::random_device). */
export class Mt19937 implements RandomEngine {
  readonly min = 0;
  readonly max = 0xffffffff;
  private readonly mt = new Uint32Array(624);
  private index = 624;
  constructor(seed: number) {
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = mt[i - 1]!;
      mt[i] = (Math.imul(1812433253, (prev ^ (prev >>> 30)) >>> 0) + i) >>> 0;
    }
  }
  next(): number {
    const mt = this.mt;
    if (this.index >= 624) {
      for (let k = 0; k < 624; k++) {
        const y = (mt[k]! & 0x80000000) | (mt[(k + 1) % 624]! & 0x7fffffff);
        mt[k] = (mt[(k + 397) % 624]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0)) >>> 0;
      }
      this.index = 0;
    }
    let y = mt[this.index++]!;
    y ^= y >>> 11;
    y = (y ^ ((y << 7) & 0x9d2c5680)) >>> 0;
    y = (y ^ ((y << 15) & 0xefc60000)) >>> 0;
    y ^= y >>> 18;
    return y >>> 0;
  }
}

/**
 * std::uniform_int_distribution<unsigned long>{a, b}(g) as libstdc++ 12 computes it: Lemire's
 * nearly divisionless method for a full 32-bit engine, else rejection with one division.
 */
export function uniformInt(g: RandomEngine, a: number, b: number): number {
  const urngRange = g.max - g.min;
  const urange = b - a;
  if (urngRange > urange) {
    const uerange = urange + 1;
    if (urngRange === 0xffffffff) {
      const range = BigInt(uerange);
      let product = BigInt(g.next()) * range;
      let low = Number(product & 0xffffffffn);
      if (low < uerange) {
        const threshold = (0x100000000 - uerange) % uerange;
        while (low < threshold) {
          product = BigInt(g.next()) * range;
          low = Number(product & 0xffffffffn);
        }
      }
      return Number(product >> 32n) + a;
    }
    const scaling = Math.floor(urngRange / uerange);
    const past = uerange * scaling;
    let ret: number;
    do ret = g.next() - g.min;
    while (ret >= past);
    return Math.floor(ret / scaling) + a;
  }
  assert(urngRange === urange, 'uniformInt: upscaling is not needed by any caller');
  return g.next() - g.min + a;
}

/** std::shuffle(first, last, g) as libstdc++ 12 does it (two swap positions per draw when it can). */
export function cppShuffle<T>(v: T[], g: RandomEngine): void {
  const n = v.length;
  if (n === 0) return;
  const swap = (i: number, j: number): void => {
    const t = v[i]!;
    v[i] = v[j]!;
    v[j] = t;
  };
  const urngRange = g.max - g.min;
  if (Math.floor(urngRange / n) >= n) {
    let i = 1;
    if (n % 2 === 0) {
      swap(i, uniformInt(g, 0, 1));
      i++;
    }
    while (i !== n) {
      const swapRange = i + 1;
      const x = uniformInt(g, 0, swapRange * (swapRange + 1) - 1);
      swap(i, Math.floor(x / (swapRange + 1)));
      i++;
      swap(i, x % (swapRange + 1));
      i++;
    }
    return;
  }
  for (let i = 1; i < n; i++) swap(i, uniformInt(g, 0, i));
}

/**
 * A deterministic stand-in for std::random_device: draw k is a 32-bit mix of seed + k. Also what
 * scripts/osdmap-balancer's LD_PRELOAD shim makes Ceph's std::random_device return, so that Ceph's
 * "random" balancer can be recorded and compared exactly.
 */
export function fixedRandomDevice(seed = 0): () => number {
  let k = 0;
  return () => {
    let x = (seed + Math.imul(k++, 0x9e3779b9)) >>> 0;
    x = Math.imul(x ^ (x >>> 16), 0x85ebca6b) >>> 0;
    x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35) >>> 0;
    return (x ^ (x >>> 16)) >>> 0;
  };
}

// ---------------------------------------------------------------------------------------------------
// Log text as Ceph's operator<< prints it (include/types.h)

function setText(s: Iterable<number>): string {
  return [...s].sort((a, b) => a - b).join(',');
}
function itemsText(items: readonly UpmapItem[]): string {
  return `[${items.map(([a, b]) => `${a},${b}`).join(',')}]`;
}

// ---------------------------------------------------------------------------------------------------
// PG keys

const SEED_SPAN = 0x100000000;

/**
 * pg_t as one number, so that PG sets are Sets of numbers: the pool's rank among the map's pool ids
 * times 2^32 plus the seed. Ranks keep pg_t order (pool, then seed) and any pool id fits.
 */
class PgKeys {
  private readonly rank = new Map<number, number>();
  private readonly pools: number[];
  constructor(m: OSDMapData) {
    const ids = new Set<number>(m.pools.keys());
    for (const [pg] of m.pgUpmapItems.sortedEntries()) ids.add(pg.pool);
    this.pools = [...ids].sort((a, b) => a - b);
    this.pools.forEach((id, i) => this.rank.set(id, i));
  }
  key(pool: number, seed: number): number {
    return this.rank.get(pool)! * SEED_SPAN + seed;
  }
  pool(k: number): number {
    return this.pools[Math.floor(k / SEED_SPAN)]!;
  }
  seed(k: number): number {
    return k % SEED_SPAN;
  }
  text(k: number): string {
    return pgText(this.pool(k), this.seed(k));
  }
}

// ---------------------------------------------------------------------------------------------------
// CrushWrapper::try_remap_rule and _choose_type_stack

const CHOOSE_TYPE_STACK_FUNC =
  'int CrushWrapper::_choose_type_stack(ceph::common::CephContext*, const std::vector<std::pair<int, int> >&, const std::set<int>&, ' +
  'const std::vector<int>&, const std::vector<int>&, const std::vector<int>&, std::vector<int>::const_iterator&, std::set<int>&, ' +
  'std::vector<int>*, int, int) const';

/** The CRUSH queries the remapper repeats, memoized for one calc_pg_upmaps call (the map is fixed). */
class CrushQueries {
  private readonly candidates = new Map<string, number[]>();
  private readonly parents = new Map<string, number>();
  private readonly contains = new Map<string, boolean>();
  constructor(readonly cw: CrushWrapper) {}

  /** get_parent_of_type(item, type, rule) with rule >= 0: the first of the rule's buckets of the type holding item, or 0. */
  parentOfType(item: number, type: number, rule: number): number {
    const key = `${rule}/${type}/${item}`;
    let p = this.parents.get(key);
    if (p === undefined) {
      p = 0;
      for (const c of this.candidatesOf(rule, type)) {
        if (this.subtreeContains(c, item)) {
          p = c;
          break;
        }
      }
      this.parents.set(key, p);
    }
    return p;
  }

  subtreeContains(root: number, item: number): boolean {
    const key = `${root}/${item}`;
    let r = this.contains.get(key);
    if (r === undefined) {
      r = this.cw.subtreeContains(root, item);
      this.contains.set(key, r);
    }
    return r;
  }

  private candidatesOf(rule: number, type: number): number[] {
    const key = `${rule}/${type}`;
    let c = this.candidates.get(key);
    if (c === undefined) {
      c = [];
      const r = this.cw.getRule(rule);
      const roots = new Set<number>();
      if (r !== null) for (const st of r.steps) if (st.op === RuleOp.Take) roots.add(st.arg1);
      for (const root of [...roots].sort((a, b) => a - b)) c.push(...this.cw.getChildrenOfType(root, type, false));
      this.candidates.set(key, c);
    }
    return c;
  }
}

/** The remapper's inputs that stay fixed over one try_remap_rule call. */
interface RemapInput {
  q: CrushQueries;
  overfull: ReadonlySet<number>;
  underfull: readonly number[];
  moreUnderfull: readonly number[];
  orig: readonly number[];
  rule: number;
}

/** orig[i]; past the end Ceph reads beyond the vector (undefined behaviour): a hole stands in for it. */
function origAt(orig: readonly number[], i: number): number {
  return i < orig.length ? orig[i]! : CRUSH_ITEM_NONE;
}

/**
 * _choose_type_stack: walk one chain of choose steps (type, fan-out) down from the working set `w`,
 * following `orig` (the PG's current mapping) from position cursor.i, and swapping each overfull leaf
 * for an underfull (then a more_underfull) OSD under the same parent that is not used yet. A bucket
 * whose leaves include an overfull OSD but no underfull one is exchanged for a peer (same parent) that
 * has underfull leaves. Returns the new working set.
 */
function chooseTypeStack(inp: RemapInput, stack: ReadonlyArray<[number, number]>, cursor: { i: number }, used: Set<number>, w0: number[], rootBucket: number): number[] {
  const { q, overfull, underfull, moreUnderfull, orig, rule } = inp;
  if (rootBucket >= 0) throw new CephAssertFailure('./src/crush/CrushWrapper.cc', 3866, CHOOSE_TYPE_STACK_FUNC, 'root_bucket < 0'); // the rule takes a device
  const cumulativeFanout: number[] = new Array<number>(stack.length).fill(0);
  let f = 1;
  for (let j = stack.length - 1; j >= 0; j--) {
    cumulativeFanout[j] = f;
    f *= stack[j]![1];
  }
  // per intermediate level, the buckets with at least one underfull OSD below them
  const underfullBuckets: Array<Set<number>> = [];
  for (let j = 0; j < stack.length - 1; j++) underfullBuckets.push(new Set());
  for (const osd of underfull) {
    let item = osd;
    for (let j = stack.length - 2; j >= 0; j--) {
      item = q.parentOfType(item, stack[j]![0], rule);
      if (!q.subtreeContains(rootBucket, item)) continue;
      underfullBuckets[j]!.add(item);
    }
  }
  let w = w0;
  for (let j = 0; j < stack.length; j++) {
    const [type, fanout] = stack[j]!;
    const cumFanout = cumulativeFanout[j]!;
    const o: number[] = [];
    let tmpi = cursor.i;
    if (cursor.i === orig.length) break;
    for (const from of w) {
      const leaves: Array<Set<number>> = [];
      for (let pos = 0; pos < fanout; pos++) leaves.push(new Set());
      for (let pos = 0; pos < fanout; pos++) {
        if (type > 0) {
          // non-leaf: the bucket of this type above the next `cumFanout` leaves of orig
          o.push(q.parentOfType(origAt(orig, tmpi), type, rule));
          for (let n = 0; n < cumFanout && tmpi !== orig.length; n++) leaves[pos]!.add(orig[tmpi++]!);
        } else {
          let replaced = false;
          const cur = orig[cursor.i]!;
          if (overfull.has(cur)) {
            for (const pool of [underfull, moreUnderfull]) {
              for (const item of pool) {
                if (used.has(item)) continue;
                if (!q.subtreeContains(from, item)) continue;
                if (orig.includes(item)) continue;
                o.push(item);
                used.add(item);
                replaced = true;
                cursor.i++;
                break;
              }
              if (replaced) break;
            }
          }
          if (!replaced) {
            o.push(cur);
            cursor.i++;
          }
          if (cursor.i === orig.length) break;
        }
      }
      if (j + 1 < stack.length) {
        // buckets with overfull leaves but no underfull candidate: swap for a peer that has some
        const ub = [...underfullBuckets[j]!].sort((a, b) => a - b);
        for (let pos = 0; pos < fanout; pos++) {
          const here = origAt(o, pos);
          if (underfullBuckets[j]!.has(here)) continue;
          let anyOverfull = false;
          for (const osd of leaves[pos]!) {
            if (overfull.has(osd)) {
              anyOverfull = true;
              break;
            }
          }
          if (!anyOverfull) continue;
          for (const alt of ub) {
            if (o.includes(alt)) continue;
            if (j === 0 || q.parentOfType(here, stack[j - 1]![0], rule) === q.parentOfType(alt, stack[j - 1]![0], rule)) {
              o[pos] = alt;
              break;
            }
          }
        }
      }
      if (cursor.i === orig.length) break;
    }
    w = o;
  }
  return w;
}

/**
 * CrushWrapper::try_remap_rule: replay rule `ruleno` over `orig` (the PG's mapping), swapping overfull
 * OSDs for underfull ones where the rule's structure allows; returns the new mapping.
 */
function tryRemapRule(inp: RemapInput, ruleno: number, maxout: number, log: (level: number, text: () => string) => void): number[] {
  const cw = inp.q.cw;
  const map = cw.crush;
  const rule = cw.getRule(ruleno);
  assert(rule !== null, `try_remap_rule: no rule ${ruleno}`);
  let w: number[] = [];
  const out: number[] = [];
  const cursor = { i: 0 };
  const used = new Set<number>();
  let typeStack: Array<[number, number]> = [];
  let rootBucket = 0;
  for (const st of rule.steps) {
    switch (st.op) {
      case RuleOp.Take: {
        const a = st.arg1;
        if ((a >= 0 && a < map.maxDevices) || (-1 - a >= 0 && -1 - a < map.buckets.length && map.buckets[-1 - a])) {
          w = [a];
          rootBucket = a;
        } else {
          log(1, () => ` bad take value ${a}`);
        }
        break;
      }
      case RuleOp.ChooseleafFirstN:
      case RuleOp.ChooseleafIndep: {
        let numrep = st.arg1;
        const type = st.arg2;
        if (numrep <= 0) numrep += maxout;
        typeStack.push([type, numrep]);
        if (type > 0) typeStack.push([0, 1]);
        w = chooseTypeStack(inp, typeStack, cursor, used, w, rootBucket);
        typeStack = [];
        break;
      }
      case RuleOp.ChooseFirstN:
      case RuleOp.ChooseIndep: {
        let numrep = st.arg1;
        if (numrep <= 0) numrep += maxout;
        typeStack.push([st.arg2, numrep]);
        break;
      }
      case RuleOp.Emit:
        if (typeStack.length > 0) {
          w = chooseTypeStack(inp, typeStack, cursor, used, w, rootBucket);
          typeStack = [];
        }
        out.push(...w);
        w = [];
        break;
      default:
        break;
    }
  }
  return out;
}

function sameOsds(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** OSDMap::try_pg_upmap: a remapping of `orig` away from overfull OSDs, or null. */
function tryPgUpmap(
  m: OSDMapData,
  q: CrushQueries,
  pool: number,
  overfull: ReadonlySet<number>,
  underfull: readonly number[],
  moreUnderfull: readonly number[],
  orig: readonly number[],
  log: (level: number, text: () => string) => void,
): number[] | null {
  const p = m.pools.get(pool);
  if (p === undefined) return null;
  const rule = crushFindRule(m.crush.crush, p.crushRule, p.type, p.size);
  if (rule < 0) return null;
  if (!orig.some((osd) => overfull.has(osd))) return null; // nothing to move
  const out = tryRemapRule({ q, overfull, underfull, moreUnderfull, orig, rule }, rule, p.size, log);
  if (sameOsds(out, orig)) return null;
  return out;
}

// ---------------------------------------------------------------------------------------------------
// calc_pg_upmaps

const CALC_PG_UPMAPS_FUNC = 'int OSDMap::calc_pg_upmaps(ceph::common::CephContext*, uint32_t, int, const std::set<long int>&, Incremental*)';

/**
 * Pacific's ceph_assert in calc_pg_upmaps (line numbers of 16.2.15's OSDMap.cc, read from the asserts'
 * data in libceph-common): some are reached by maps Ceph accepts (an up set holding an OSD the pool's
 * rule gives no weight), so they end as Ceph's do, with a CephAssertFailure the CLI reports.
 */
function calcAssert(cond: boolean, line: number, text: string): asserts cond {
  if (!cond) throw new CephAssertFailure('./src/osd/OSDMap.cc', line, CALC_PG_UPMAPS_FUNC, text);
}

/** pgs_by_osd during one attempt: a copy-on-write view (Ceph copies the whole map each attempt). */
class TempPgsByOsd {
  readonly changed = new Map<number, Set<number>>();
  constructor(private readonly base: ReadonlyMap<number, Set<number>>) {}
  /** temp_pgs_by_osd[osd]: creates the entry (empty) as std::map's operator[] does. */
  private own(osd: number): Set<number> {
    let s = this.changed.get(osd);
    if (s === undefined) {
      const b = this.base.get(osd);
      s = b === undefined ? new Set() : new Set(b);
      this.changed.set(osd, s);
    }
    return s;
  }
  erase(osd: number, pg: number): void {
    this.own(osd).delete(pg);
  }
  insert(osd: number, pg: number): void {
    this.own(osd).add(pg);
  }
  keys(): number[] {
    const k = new Set<number>(this.base.keys());
    for (const o of this.changed.keys()) k.add(o);
    return [...k].sort((a, b) => a - b);
  }
  size(osd: number): number {
    return (this.changed.get(osd) ?? this.base.get(osd))?.size ?? 0;
  }
}

interface Scores {
  /** osd -> deviation (osd_deviation). */
  osdDeviation: Map<number, number>;
  /** (deviation, osd) ascending, equal deviations in OSD order (deviation_osd, a std::multimap). */
  deviationOsd: Array<[number, number]>;
  /** The sum of squared deviations. */
  stddev: number;
  curMaxDeviation: number;
}

/** The working copy calc_pg_upmaps edits (deepish_copy_from): its own pg_upmap_items. */
function workingCopy(m: OSDMapData): OSDMapData {
  const items = new PgMap<UpmapItem[]>();
  for (const [pg, v] of m.pgUpmapItems.sortedEntries()) items.set(pg.pool, pg.seed, v.map(([a, b]): UpmapItem => [a, b]));
  return { ...m, pgUpmapItems: items };
}

/**
 * OSDMap::calc_pg_upmaps(cct, max_deviation, max, only_pools, pending_inc): balance the PGs of
 * `onlyPools` (all pools when empty) across their OSDs with at most `max` rounds of pg_upmap_items
 * changes, recorded in `inc` (new_pg_upmap_items / old_pg_upmap_items). Returns the number of changes.
 * `m` is not modified.
 */
export function calcPgUpmaps(
  m: OSDMapData,
  maxDeviationIn: number,
  max: number,
  onlyPools: ReadonlySet<number>,
  inc: OSDMapIncremental,
  opts: CalcPgUpmapsOptions,
): number {
  const sink = opts.log;
  const logLevel = sink === undefined ? -Infinity : (opts.logLevel ?? 1);
  const dout = (level: number, text: () => string): void => {
    if (level <= logLevel) sink!(level, text());
  };
  const rd = opts.randomDevice ?? fixedRandomDevice(0);
  const aggressive = opts.aggressive;
  const localFallbackRetries = opts.localFallbackRetries;

  dout(10, () => `calc_pg_upmaps pools ${setText(onlyPools)}`);
  let maxDeviation = maxDeviationIn >>> 0; // uint32_t
  if (maxDeviation < 1) maxDeviation = 1; // can't be less than 1 pg
  const negMaxDeviation = -(maxDeviation | 0); // -(int)max_deviation
  // the comparisons with the float deviations convert these integers to float first
  const maxDeviationF = Math.fround(maxDeviation);
  const negMaxDeviationF = Math.fround(negMaxDeviation);
  const tmp = workingCopy(m);
  const keys = new PgKeys(m);
  const pgKey = (pool: number, seed: number): number => keys.key(pool, seed);
  const keyPool = (k: number): number => keys.pool(k);
  const keySeed = (k: number): number => keys.seed(k);
  const keyText = (k: number): string => keys.text(k);
  const work = new PlacementWork();
  const q = new CrushQueries(tmp.crush);
  let numChanged = 0;

  // 1. PGs per OSD and effective weights over the pools' rules
  const pgsByOsd = new Map<number, Set<number>>();
  let totalPgs = 0;
  let osdWeightTotal = 0;
  const osdWeight = new Map<number, number>();
  const ua = new UpActing();
  for (const poolId of [...m.pools.keys()].sort((a, b) => a - b)) {
    if (onlyPools.size > 0 && !onlyPools.has(poolId)) continue;
    const pool = m.pools.get(poolId)!;
    for (let ps = 0; ps < pool.pgNum; ps++) {
      pgToUpActingOsdsInto(tmp, poolId, ps, work, ua, true, true);
      dout(20, () => `calc_pg_upmaps ${pgText(poolId, ps)} up ${osdsText(ua.up)}`);
      const key = pgKey(poolId, ps);
      for (let i = 0; i < ua.up.size; i++) {
        const osd = ua.up.osds[i]!;
        if (osd === CRUSH_ITEM_NONE) continue;
        let s = pgsByOsd.get(osd);
        if (s === undefined) {
          s = new Set();
          pgsByOsd.set(osd, s);
        }
        s.add(key);
      }
    }
    totalPgs = (totalPgs + Math.imul(pool.size, pool.pgNum)) | 0;
    const ruleno = crushFindRule(tmp.crush.crush, pool.crushRule, pool.type, pool.size);
    const wm = tmp.crush.getRuleWeightOsdMap(ruleno);
    const pmap = typeof wm === 'number' ? new Map<number, number>() : wm;
    dout(20, () => `calc_pg_upmaps pool ${poolId} ruleno ${ruleno} weight-map {${[...pmap].map(([o, w]) => `${o}=${floatText(w)}`).join(',')}}`);
    for (const [osd, share] of pmap) {
      if (osd >= tmp.maxOsd) throw new CephAssertFailure('./src/osd/OSDMap.h', 807, 'unsigned int OSDMap::get_weight(int) const', 'o < max_osd');
      const weightf = Math.fround(Math.fround(tmp.osdWeight[osd]! >>> 0) / CEPH_OSD_IN);
      const adjusted = Math.fround(weightf * share);
      if (adjusted === 0) continue;
      osdWeight.set(osd, Math.fround((osdWeight.get(osd) ?? 0) + adjusted));
      osdWeightTotal = Math.fround(osdWeightTotal + adjusted);
    }
  }
  const weighted = [...osdWeight.keys()].sort((a, b) => a - b);
  for (const osd of weighted) {
    let s = pgsByOsd.get(osd);
    if (s === undefined) {
      s = new Set();
      pgsByOsd.set(osd, s);
    }
    const n = s.size;
    dout(20, () => ` osd.${osd} weight ${floatText(osdWeight.get(osd)!)} pgs ${n}`);
  }
  if (osdWeightTotal === 0) {
    dout(-1, () => 'calc_pg_upmaps abort due to osd_weight_total == 0');
    return 0;
  }
  const pgsPerWeight = Math.fround(Math.fround(totalPgs) / osdWeightTotal);
  dout(10, () => ` osd_weight_total ${floatText(osdWeightTotal)}`);
  dout(10, () => ` pgs_per_weight ${floatText(pgsPerWeight)}`);
  if (max <= 0) {
    dout(-1, () => 'calc_pg_upmaps abort due to max <= 0');
    return 0;
  }

  const targetOf = (osd: number): number => Math.fround((osdWeight.get(osd) ?? 0) * pgsPerWeight);
  /** Deviations of every OSD in `keys` (ascending), sizes from `sizeOf`; `line`: Pacific's ceph_assert there. */
  const score = (keys: readonly number[], sizeOf: (osd: number) => number, line: number): Scores => {
    const osdDeviation = new Map<number, number>();
    const deviationOsd: Array<[number, number]> = [];
    let stddev = 0;
    let curMaxDeviation = 0;
    for (const osd of keys) {
      // the OSD must still be there (in the rule's tree, with weight)
      calcAssert(osdWeight.has(osd), line, 'osd_weight.count(i.first)');
      const target = targetOf(osd);
      const n = sizeOf(osd);
      const deviation = Math.fround(n - target);
      dout(20, () => ` osd.${osd}\tpgs ${n}\ttarget ${floatText(target)}\tdeviation ${floatText(deviation)}`);
      osdDeviation.set(osd, deviation);
      deviationOsd.push([deviation, osd]);
      stddev = Math.fround(stddev + Math.fround(deviation * deviation));
      if (Math.abs(deviation) > curMaxDeviation) curMaxDeviation = Math.abs(deviation);
    }
    deviationOsd.sort((a, b) => a[0] - b[0]); // stable: equal deviations stay in OSD order
    return { osdDeviation, deviationOsd, stddev, curMaxDeviation };
  };

  // 2. where we stand
  let cur = score(
    [...pgsByOsd.keys()].sort((a, b) => a - b),
    (osd) => pgsByOsd.get(osd)!.size,
    4881,
  );
  let stddev = cur.stddev;
  dout(20, () => ` stdev ${floatText(stddev)} max_deviation ${floatText(cur.curMaxDeviation)}`);
  if (cur.curMaxDeviation <= maxDeviationF) {
    dout(10, () => 'calc_pg_upmaps distribution is almost perfect');
    return 0;
  }

  // 3. rounds of changes
  const raw = new OsdVector();
  const origV = new OsdVector();
  let skipOverfull = false;
  rounds: while (max-- !== 0) {
    const loop = max + 1;
    dout(30, () => `Top of loop #${loop}`);
    let overfull = new Set<number>();
    const moreOverfull = new Set<number>();
    let usingMoreOverfull = false;
    const underfull: number[] = [];
    const moreUnderfull: number[] = [];
    const devOsd = cur.deviationOsd;
    for (let k = devOsd.length - 1; k >= 0; k--) {
      const [dev, osd] = devOsd[k]!;
      dout(30, () => ` check ${floatText(dev)} <= ${maxDeviation}`);
      if (dev <= 0) break;
      if (dev > maxDeviationF) {
        dout(30, () => ` add overfull osd.${osd}`);
        overfull.add(osd);
      } else {
        moreOverfull.add(osd);
      }
    }
    for (const [dev, osd] of devOsd) {
      dout(30, () => ` check ${floatText(dev)} >= ${negMaxDeviation}`);
      if (dev >= 0) break;
      if (dev < negMaxDeviationF) {
        dout(30, () => ` add underfull osd.${osd}`);
        underfull.push(osd);
      } else {
        moreUnderfull.push(osd);
      }
    }
    if (underfull.length === 0 && overfull.size === 0) {
      dout(20, () => 'calc_pg_upmaps failed to build overfull and underfull');
      break;
    }
    if (overfull.size === 0 && underfull.length > 0) {
      dout(20, () => 'calc_pg_upmaps Using more_overfull since we still have underfull');
      overfull = moreOverfull;
      usingMoreOverfull = true;
    }
    dout(10, () => ` overfull ${setText(overfull)} underfull ${formatIntVector(underfull)}`);
    const toSkip = new Set<number>();
    let localFallbackRetried = 0;

    retry: for (;;) {
      const change: { unmap: number | null; upmap: { pg: number; items: UpmapItem[] } | null } = { unmap: null, upmap: null };
      const temp = new TempPgsByOsd(pgsByOsd);

      // always start with the fullest; stop at the first change found
      const searchOverfull = (): boolean => {
        for (let k = devOsd.length - 1; k >= 0; k--) {
          if (skipOverfull && underfull.length > 0) {
            dout(10, () => ' skipping overfull ');
            return false; // fall through to the underfull search
          }
          const [deviation, osd] = devOsd[k]!;
          if (deviation < 0) {
            dout(10, () => ' hitting underfull osds now when trying to remap overfull osds');
            return false;
          }
          const target = targetOf(osd);
          dout(10, () => ` Overfull search osd.${osd} target ${floatText(target)} deviation ${floatText(deviation)}`);
          calcAssert(target > 0, 4977, 'target > 0');
          if (!usingMoreOverfull && deviation <= maxDeviationF) {
            dout(10, () => ` osd.${osd} target ${floatText(target)} deviation ${floatText(deviation)} < max deviation ${maxDeviation}`);
            return false;
          }
          const pgs = [...(pgsByOsd.get(osd) ?? [])].filter((pg) => !toSkip.has(pg)).sort((a, b) => a - b);
          if (aggressive) cppShuffle(pgs, new MinstdRand0(rd() >>> 0)); // equal (in)attention
          // first: existing pairs that remapped a PG into this OSD
          for (const pg of pgs) {
            const items = tmp.pgUpmapItems.get(keyPool(pg), keySeed(pg));
            if (items === undefined) continue;
            const newItems: UpmapItem[] = [];
            for (const it of items) {
              if (it[1] === osd) {
                dout(10, () => ` will try dropping existing remapping pair ${it[0]} -> ${it[1]} which remapped ${keyText(pg)} into overfull osd.${osd}`);
                temp.erase(it[1], pg);
                temp.insert(it[0], pg);
              } else {
                newItems.push(it);
              }
            }
            if (newItems.length === 0) {
              dout(10, () => ` existing pg_upmap_items ${itemsText(items)} remapped ${keyText(pg)} into overfull osd.${osd}, will try cancelling it entirely`);
              change.unmap = pg;
              return true;
            } else if (newItems.length !== items.length) {
              dout(10, () => ` existing pg_upmap_items ${itemsText(items)} remapped ${keyText(pg)} into overfull osd.${osd}, new_pg_upmap_items now ${itemsText(newItems)}`);
              change.upmap = { pg, items: newItems };
              return true;
            }
          }
          // then: a new pair from CRUSH's alternatives
          for (const pg of pgs) {
            const pool = keyPool(pg);
            const seed = keySeed(pg);
            const explicit = tmp.pgUpmap.get(pool, seed);
            if (explicit !== undefined) {
              // pg_upmap is the admin's (the balancer does not make them): leave it alone
              dout(10, () => ` ${keyText(pg)} already has pg_upmap ${formatIntVector(explicit)}, skipping`);
              continue;
            }
            const poolSize = tmp.pools.get(pool)!.size;
            let newItems: UpmapItem[] = [];
            const existing = new Set<number>();
            const it = tmp.pgUpmapItems.get(pool, seed);
            if (it !== undefined && it.length >= poolSize) {
              dout(10, () => ` ${keyText(pg)} already has full-size pg_upmap_items ${itemsText(it)}, skipping`);
              continue;
            } else if (it !== undefined) {
              dout(10, () => ` ${keyText(pg)} already has pg_upmap_items ${itemsText(it)}`);
              newItems = it.map(([a, b]): UpmapItem => [a, b]);
              for (const [a, b] of it) {
                existing.add(a);
                existing.add(b);
              }
            }
            dout(10, () => ` trying ${keyText(pg)}`);
            pgToRawUpmapInto(tmp, pool, seed, work, raw, origV); // including existing upmaps
            const orig = origV.toArray();
            const out = tryPgUpmap(m, q, pool, overfull, underfull, moreUnderfull, orig, dout);
            if (out === null) continue;
            dout(10, () => ` ${keyText(pg)} ${formatIntVector(orig)} -> ${formatIntVector(out)}`);
            if (orig.length !== out.length) continue;
            let pos = -1;
            let maxDev = 0;
            for (let i = 0; i < out.length; i++) {
              if (orig[i] === out[i]) continue;
              if (existing.has(orig[i]!) || existing.has(out[i]!)) continue; // new pairs only
              const d = cur.osdDeviation.get(orig[i]!) ?? 0;
              if (d > maxDev) {
                maxDev = d;
                pos = i;
                dout(30, () => `Max osd.${orig[i]} pos ${i} dev ${floatText(d)}`);
              }
            }
            if (pos !== -1) {
              const from = orig[pos]!;
              const to = out[pos]!;
              dout(10, () => ` will try adding new remapping pair ${from} -> ${to} for ${keyText(pg)}${from !== osd ? ' NOT selected osd' : ''}`);
              temp.erase(from, pg);
              temp.insert(to, pg);
              calcAssert(newItems.length < poolSize, 5109, 'new_upmap_items.size() < (size_t)pg_pool_size');
              // one pair at a time, so that each step brings the distribution closer
              newItems.push([from, to]);
              change.upmap = { pg, items: newItems };
              return true;
            }
          }
        }
        return false;
      };

      const searchUnderfull = (): boolean => {
        for (const [deviation, osd] of devOsd) {
          if (!underfull.includes(osd)) break;
          const target = targetOf(osd);
          calcAssert(target > 0, 5131, 'target > 0');
          if (Math.abs(deviation) < maxDeviationF) {
            // respect max_deviation too
            dout(10, () => ` osd.${osd} target ${floatText(target)} deviation ${floatText(deviation)} -> absolute ${floatText(Math.abs(deviation))} < max ${maxDeviation}`);
            return false;
          }
          // existing pairs that moved a PG away from this OSD
          const candidates: Array<[number, UpmapItem[]]> = [];
          for (const [pg, items] of tmp.pgUpmapItems.sortedEntries()) {
            const key = pgKey(pg.pool, pg.seed);
            if (toSkip.has(key)) continue;
            if (onlyPools.size > 0 && !onlyPools.has(pg.pool)) continue;
            candidates.push([key, items]);
          }
          if (aggressive) cppShuffle(candidates, new MinstdRand0(rd() >>> 0));
          for (const [pg, items] of candidates) {
            const newItems: UpmapItem[] = [];
            for (const it of items) {
              if (it[0] === osd) {
                dout(10, () => ` will try dropping existing remapping pair ${it[0]} -> ${it[1]} which remapped ${keyText(pg)} out from underfull osd.${osd}`);
                temp.erase(it[1], pg);
                temp.insert(it[0], pg);
              } else {
                newItems.push(it);
              }
            }
            if (newItems.length === 0) {
              dout(10, () => ` existing pg_upmap_items ${itemsText(items)} remapped ${keyText(pg)} out from underfull osd.${osd}, will try cancelling it entirely`);
              change.unmap = pg;
              return true;
            } else if (newItems.length !== items.length) {
              dout(10, () => ` existing pg_upmap_items ${itemsText(items)} remapped ${keyText(pg)} out from underfull osd.${osd}, new_pg_upmap_items now ${itemsText(newItems)}`);
              change.upmap = { pg, items: newItems };
              return true;
            }
          }
        }
        return false;
      };

      let found = searchOverfull();
      if (!found) {
        dout(10, () => ' failed to find any changes for overfull osds');
        found = searchUnderfull();
      }
      if (!found) {
        dout(10, () => ' failed to find any changes for underfull osds');
        if (!aggressive) {
          dout(10, () => ' break due to aggressive mode not enabled');
          break rounds;
        } else if (!skipOverfull) {
          // both overfull and underfull OSDs have been searched
          dout(10, () => ' break due to not being able to find any further optimizations');
          break rounds;
        }
        // restart with the fullest and search exhaustively
        skipOverfull = false;
        continue rounds;
      }

      // 4. test the change; keep it if it helps
      const next = score(temp.keys(), (osd) => temp.size(osd), 5227);
      const newStddev = next.stddev;
      dout(10, () => ` stddev ${floatText(stddev)} -> ${floatText(newStddev)}`);
      if (newStddev >= stddev) {
        if (!aggressive) {
          dout(10, () => ' break because stddev is not decreasing and aggressive mode is not enabled');
          break rounds;
        }
        localFallbackRetried++;
        if (localFallbackRetried >= localFallbackRetries) {
          // no progress: alternate, so that overfull and underfull OSDs get equal (in)attention
          skipOverfull = !skipOverfull;
          dout(10, () => ` hit local_fallback_retries ${localFallbackRetries}`);
          continue rounds;
        }
        const unmapped = change.unmap;
        const upmapped = change.upmap;
        if (unmapped !== null) toSkip.add(unmapped);
        if (upmapped !== null) toSkip.add(upmapped.pg);
        dout(20, () => ` local_fallback_retried ${localFallbackRetried} to_skip ${[...toSkip].sort((a, b) => a - b).map(keyText).join(',')}`);
        continue retry;
      }

      // ready to go
      calcAssert(newStddev < stddev, 5271, 'new_stddev < stddev');
      stddev = newStddev;
      for (const [osd, s] of temp.changed) pgsByOsd.set(osd, s);
      cur = next;
      const unmapped = change.unmap;
      const upmapped = change.upmap;
      if (unmapped !== null) {
        dout(10, () => ` unmap pg ${keyText(unmapped)}`);
        const pool = keyPool(unmapped);
        const seed = keySeed(unmapped);
        calcAssert(tmp.pgUpmapItems.has(pool, seed), 5278, 'tmp.pg_upmap_items.count(i)');
        tmp.pgUpmapItems.delete(pool, seed);
        insertPgSorted(inc.oldPgUpmapItems, pool, seed);
        numChanged++;
      }
      if (upmapped !== null) {
        dout(10, () => ` upmap pg ${keyText(upmapped.pg)} new pg_upmap_items ${itemsText(upmapped.items)}`);
        const pool = keyPool(upmapped.pg);
        const seed = keySeed(upmapped.pg);
        tmp.pgUpmapItems.set(pool, seed, upmapped.items);
        inc.newPgUpmapItems.set(pool, seed, upmapped.items.map(([a, b]): UpmapItem => [a, b]));
        numChanged++;
      }
      const curMax = next.curMaxDeviation;
      dout(20, () => ` stdev ${floatText(stddev)} max_deviation ${floatText(curMax)}`);
      if (curMax <= maxDeviationF) {
        dout(10, () => 'calc_pg_upmaps Optimization plan is almost perfect');
        break rounds;
      }
      continue rounds;
    }
  }
  dout(10, () => ` num_changed = ${numChanged}`);
  return numChanged;
}
