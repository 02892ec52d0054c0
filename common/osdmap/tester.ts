// osdmaptool's mapping tester (Ceph 16.2 src/tools/osdmaptool.cc): what `--test-map-pgs`,
// `--test-map-pgs-dump`, `--test-map-pgs-dump-all`, `--test-map-pg` and `--test-map-object` print.
//
// Pure: the text goes to a caller's sink; --test-random's generator is a parameter (osdmaptool seeds
// glibc's rand() with its pid, so GlibcRand below reproduces a run given that pid). The per-PG loop
// reuses one PlacementWork and one UpActing and counts into typed arrays: it allocates nothing per PG
// except the dump lines' text.

import { CRUSH_ITEM_NONE, type OSDMapData, type PgId } from './types.js';
import { OSDMap, pgText } from './osdmap.js';
import {
  OsdVector,
  PlacementWork,
  UpActing,
  objectLocatorToPg,
  pgToRawOsdsInto,
  pgToUpActingOsdsInto,
  pickPrimary,
  poolRawSeedToPg,
} from './placement.js';
import { formatDoubleG } from '../formatter.js';

/** Where the tester's text goes, in pieces; the caller buffers. */
export interface TextSink {
  write(text: string): void;
}

/**
 * Thrown where Ceph's osdmaptool dies of a signal instead of printing (an out-of-range counter write);
 * the CLI turns it into the same exit status.
 */
export class OsdmaptoolFault extends Error {
  constructor(
    readonly signal: 'SIGSEGV' | 'SIGFPE' | 'SIGABRT',
    what: string,
  ) {
    super(what);
  }
}

// ---------------------------------------------------------------------------------------------------
// Formatting as Ceph's streams do

/** operator<<(ostream&, const vector<int>&): "[1,2,3]". */
export function osdsText(v: OsdVector): string {
  let s = '[';
  for (let i = 0; i < v.size; i++) s += (i ? ',' : '') + v.osds[i]!;
  return s + ']';
}

/**
 * `ostream << double` with the default precision. Every NaN osdmaptool's report can meet comes from
 * 0.0 / 0.0 (and operations on it), which x86 makes with the sign bit set: glibc prints "-nan".
 */
export function doubleText(d: number): string {
  if (Number.isNaN(d)) return '-nan';
  return formatDoubleG(d, 6);
}

const floatTextCache = new Map<number, string>();

/** `ostream << float`: the float's value (already rounded to single precision) as a double. */
export function floatText(f: number): string {
  const v = Math.fround(f);
  let s = floatTextCache.get(v);
  if (s === undefined) {
    s = doubleText(v);
    if (floatTextCache.size < 4096) floatTextCache.set(v, s);
  }
  return s;
}

// ---------------------------------------------------------------------------------------------------
// glibc rand(), for --test-random

/** glibc's random() (TYPE_3: x[i] = x[i-3] + x[i-31]) as srand()/rand() use it. */
export class GlibcRand {
  private readonly r = new Int32Array(34);
  private i = 0;
  constructor(seed: number) {
    this.srand(seed);
  }
  srand(seed: number): void {
    let word = seed | 0;
    if (word === 0) word = 1;
    const r = this.r;
    r[0] = word;
    for (let k = 1; k < 31; k++) {
      // Schrage's method, as srandom_r: 16807 * word mod (2^31 - 1) without overflow
      const hi = Math.trunc(word / 127773);
      const lo = word % 127773;
      word = 16807 * lo - 2836 * hi;
      if (word < 0) word += 2147483647;
      r[k] = word;
    }
    for (let k = 31; k < 34; k++) r[k] = r[k - 31]!;
    this.i = 0;
    for (let k = 0; k < 310; k++) this.step();
  }
  /** The next raw 32-bit sum (the ring holds the last 34). */
  private step(): number {
    const r = this.r;
    const i = this.i;
    const v = (r[(i + 34 - 31) % 34]! + r[(i + 34 - 3) % 34]!) | 0;
    r[i] = v;
    this.i = (i + 1) % 34;
    return v;
  }
  /** rand(): 0 .. 2^31 - 1. */
  next(): number {
    return this.step() >>> 1;
  }
}

// ---------------------------------------------------------------------------------------------------
// --test-map-pgs / --test-map-pgs-dump / --test-map-pgs-dump-all

export interface MapPgsOptions {
  /** Only this pool (-1: every pool). */
  pool: number;
  /** When > 0, each tested pool's pg_num is set to this first (pg_pool_t::set_pg_num; it sticks). */
  pgNum: bigint;
  /** --test-map-pgs-dump: a "pg\t[acting]\tprimary" line per PG. */
  dump: boolean;
  /** --test-map-pgs-dump-all: raw, up and acting per PG (printed unless `dump` is also set). */
  dumpAll: boolean;
  /** --test-random: random placements (pool size OSDs drawn with rand() % max_osd) instead of CRUSH. */
  random: GlibcRand | null;
}

/** pg_pool_t::set_pg_num(int): pg_num, pg_num_pending and the masks. */
function setPgNum(map: OSDMapData, poolId: number, pgNum: bigint): void {
  const p = map.pools.get(poolId)!;
  const v = Number(BigInt.asUintN(32, pgNum));
  p.pgNum = v;
  p.pgNumPending = v;
  const bits = (x: number): number => (x === 0 ? 0 : 32 - Math.clz32(x));
  p.pgNumMask = (2 ** bits((v - 1) >>> 0) - 1) >>> 0;
  p.pgpNumMask = (2 ** bits((p.pgpNum - 1) >>> 0) - 1) >>> 0;
}

/** The per-run state of the tester, reusable across runs on maps of the same max_osd. */
export class MapPgsTester {
  readonly work = new PlacementWork();
  readonly upActing = new UpActing();
  readonly raw = new OsdVector();
  readonly randomOsds = new OsdVector();
  count = new Int32Array(0);
  firstCount = new Int32Array(0);
  primaryCount = new Int32Array(0);
  /** Ceph's vector<int> size(30) histogram of set sizes (pool sizes are u8, so 256 covers them). */
  readonly sizes = new Int32Array(256);

  /**
   * Run the test on `map` (which it may change: --pg_num sticks) and write osdmaptool's report to
   * `out`. Holes (CRUSH_ITEM_NONE) in erasure-coded sets are not counted. Throws OsdmaptoolFault where
   * osdmaptool's counters would be written out of bounds (a random placement on an empty map).
   */
  run(map: OSDMap, o: MapPgsOptions, out: TextSink): void {
    const n = map.maxOsd;
    if (this.count.length < n) {
      this.count = new Int32Array(n);
      this.firstCount = new Int32Array(n);
      this.primaryCount = new Int32Array(n);
    } else {
      this.count.fill(0);
      this.firstCount.fill(0);
      this.primaryCount.fill(0);
    }
    const count = this.count;
    const firstCount = this.firstCount;
    const primaryCount = this.primaryCount;
    const sizes = this.sizes;
    sizes.fill(0);
    let maxSize = 0;
    const work = this.work;
    work.invalidate();
    const ua = this.upActing;
    const raw = this.raw;
    const rnd = this.randomOsds;
    const poolIds = [...map.pools.keys()].sort((a, b) => a - b);
    let text = '';
    for (const poolId of poolIds) {
      if (o.pool !== -1 && poolId !== o.pool) continue;
      if (o.pgNum > 0n) setPgNum(map, poolId, o.pgNum);
      const pool = map.pools.get(poolId)!;
      text += `pool ${poolId} pg_num ${pool.pgNum}\n`;
      const pgNum = pool.pgNum;
      for (let ps = 0; ps < pgNum; ps++) {
        let osds: OsdVector;
        let primary: number;
        let rawPrimary = -1;
        if (o.random !== null) {
          rnd.clear();
          for (let i = 0; i < pool.size; i++) {
            if (n === 0) throw new OsdmaptoolFault('SIGFPE', 'rand() % 0');
            rnd.push(o.random.next() % n);
          }
          osds = rnd;
          primary = rnd.size > 0 ? rnd.osds[0]! : 0;
        } else if (o.dumpAll) {
          pgToRawOsdsInto(map, pool, poolId, ps, work, raw);
          rawPrimary = pickPrimary(raw);
          pgToUpActingOsdsInto(map, poolId, ps, work, ua, true, true);
          osds = ua.acting;
          primary = ua.actingPrimary;
        } else {
          pgToUpActingOsdsInto(map, poolId, ps, work, ua, true, false);
          osds = ua.acting;
          primary = ua.actingPrimary;
        }
        const size = osds.size;
        sizes[size]!++;
        if (maxSize < size) maxSize = size;
        if (o.dump) {
          text += `${pgText(poolId, ps)}\t${osdsText(osds)}\t${primary}\n`;
        } else if (o.dumpAll) {
          text +=
            `${pgText(poolId, ps)} raw (${osdsText(raw)}, p${rawPrimary}) up (${osdsText(ua.up)}, p${ua.upPrimary}) ` +
            `acting (${osdsText(ua.acting)}, p${ua.actingPrimary})\n`;
        }
        if (text.length >= 1 << 16) {
          out.write(text);
          text = '';
        }
        const a = osds.osds;
        for (let i = 0; i < size; i++) {
          const osd = a[i]!;
          if (osd === CRUSH_ITEM_NONE) continue; // an erasure-coded hole
          if (osd < 0 || osd >= n) {
            out.write(text);
            throw new OsdmaptoolFault('SIGSEGV', `count[${osd}] past max_osd ${n}`);
          }
          count[osd]!++;
        }
        if (size > 0 && a[0] !== CRUSH_ITEM_NONE) firstCount[a[0]!]!++;
        if (primary >= 0) {
          if (primary >= n) {
            out.write(text);
            throw new OsdmaptoolFault('SIGSEGV', `primary_count[${primary}] past max_osd ${n}`);
          }
          primaryCount[primary]!++;
        }
      }
    }
    out.write(text);
    out.write(this.report(map, maxSize));
  }

  /** The summary after the mappings: the per-OSD table, the spread and the set-size histogram. */
  private report(map: OSDMap, maxSize: number): string {
    const n = map.maxOsd;
    const count = this.count;
    let s = '#osd\tcount\tfirst\tprimary\tc wt\twt\n';
    let total = 0;
    let inCount = 0;
    let minOsd = -1;
    let maxOsd = -1;
    const itemWeight = deviceWeights(map, n);
    const counted = (i: number): boolean => map.isIn(i) && itemWeight[i]! > 0;
    for (let i = 0; i < n; i++) {
      if (!counted(i)) continue;
      inCount++;
      const cwt = Math.fround(Math.fround(itemWeight[i]!) / 0x10000);
      const wt = Math.fround(Math.fround(map.osdWeight[i]!) / 0x10000);
      s += `osd.${i}\t${count[i]}\t${this.firstCount[i]}\t${this.primaryCount[i]}\t${floatText(cwt)}\t${floatText(wt)}\n`;
      total += count[i]!;
      if (count[i] && (minOsd < 0 || count[i]! < count[minOsd]!)) minOsd = i;
      if (count[i] && (maxOsd < 0 || count[i]! > count[maxOsd]!)) maxOsd = i;
    }
    // uint64_t avg = in ? total / in : 0; the deviations are uint64 differences squared (mod 2^64,
    // exact here) summed as doubles.
    const avg = inCount ? Math.floor(total / inCount) : 0;
    let dev = 0;
    for (let i = 0; i < n; i++) {
      if (!counted(i)) continue;
      const d = avg - count[i]!;
      dev += d * d;
    }
    dev /= inCount;
    dev = Math.sqrt(dev);
    const edev = Math.sqrt((total / inCount) * (1.0 - 1.0 / inCount));
    s += ` in ${inCount}\n`;
    s += ` avg ${avg} stddev ${doubleText(dev)} (${doubleText(dev / avg)}x) (expected ${doubleText(edev)} ${doubleText(edev / avg)}x))\n`;
    if (minOsd >= 0) s += ` min osd.${minOsd} ${count[minOsd]}\n`;
    if (maxOsd >= 0) s += ` max osd.${maxOsd} ${count[maxOsd]}\n`;
    for (let i = 0; i <= maxSize; i++) {
      if (this.sizes[i]) s += `size ${i}\t${this.sizes[i]}\n`;
    }
    return s;
  }
}

/**
 * CrushWrapper::get_item_weight for devices 0..n-1 in one pass: the weight in the first bucket (by
 * bucket index) holding the device, -ENOENT (-2) for a device no bucket holds.
 */
export function deviceWeights(map: OSDMap, n: number): Int32Array {
  const w = new Int32Array(n).fill(-2);
  const seen = new Uint8Array(n);
  const buckets = map.crush.crush.buckets;
  for (let bi = 0; bi < buckets.length; bi++) {
    const b = buckets[bi];
    if (!b) continue;
    for (let pos = 0; pos < b.size; pos++) {
      const item = b.items[pos]!;
      if (item < 0 || item >= n || seen[item]) continue;
      seen[item] = 1;
      w[item] = map.crush.getBucketItemWeight(b.id, pos) | 0;
    }
  }
  return w;
}

// ---------------------------------------------------------------------------------------------------
// --test-map-pg and --test-map-object

/**
 * pg_t::parse as Pacific does it: sscanf(s, "%llu.%x"). Returns the pool as Ceph stores and prints it
 * (a uint64; pool lookups read it as int64) and the seed, or null when sscanf does not fill both.
 */
export function parsePgidSscanf(s: string): { pool: bigint; seed: number } | null {
  let i = 0;
  const ws = (): void => {
    while (i < s.length && ' \t\n\v\f\r'.includes(s[i]!)) i++;
  };
  ws();
  let neg = false;
  if (s[i] === '+' || s[i] === '-') neg = s[i++] === '-';
  const ds = i;
  while (i < s.length && s[i]! >= '0' && s[i]! <= '9') i++;
  if (i === ds) return null;
  let pool = BigInt(s.slice(ds, i));
  if (pool > 0xffffffffffffffffn) pool = 0xffffffffffffffffn;
  if (neg) pool = BigInt.asUintN(64, -pool);
  const poolU64 = pool;
  if (s[i] !== '.') return null;
  i++;
  ws();
  let sneg = false;
  if (s[i] === '+' || s[i] === '-') sneg = s[i++] === '-';
  if (s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X') && /[0-9a-fA-F]/.test(s[i + 2] ?? '')) i += 2;
  const hs = i;
  while (i < s.length && /[0-9a-fA-F]/.test(s[i]!)) i++;
  if (i === hs) {
    // "0x" with no digits after it still reads the 0
    if (s[hs - 1] === 'x' || s[hs - 1] === 'X') return { pool: poolU64, seed: 0 };
    return null;
  }
  let seed = BigInt('0x' + s.slice(hs, i));
  if (seed > 0xffffffffffffffffn) seed = 0xffffffffffffffffn;
  if (sneg) seed = BigInt.asUintN(64, -seed);
  return { pool: poolU64, seed: Number(BigInt.asUintN(32, seed)) };
}

/**
 * The two lines of `--test-map-pg PGID` for a parsed pg: " parsed 'TEXT' -> PG" and the raw, up and
 * acting sets with their primaries.
 */
export function testMapPg(map: OSDMap, text: string, pg: { pool: bigint; seed: number }): string {
  const pgStr = `${pg.pool}.${pg.seed.toString(16)}`;
  let s = ` parsed '${text}' -> ${pgStr}\n`;
  const poolId = Number(BigInt.asIntN(64, pg.pool)); // pg_t::pool() is an int64
  const work = new PlacementWork();
  const raw = new OsdVector();
  const pool = Number.isSafeInteger(poolId) ? map.pools.get(poolId) : undefined;
  let rawPrimary = -1;
  if (pool !== undefined) {
    pgToRawOsdsInto(map, pool, poolId, pg.seed, work, raw);
    rawPrimary = pickPrimary(raw);
  }
  const ua = new UpActing();
  if (pool !== undefined) pgToUpActingOsdsInto(map, poolId, pg.seed, work, ua, true, true);
  s += `${pgStr} raw (${osdsText(raw)}, p${rawPrimary}) up (${osdsText(ua.up)}, p${ua.upPrimary}) acting (${osdsText(ua.acting)}, p${ua.actingPrimary})\n`;
  return s;
}

/**
 * `--test-map-object NAME` in pool `poolId` (which must exist): " object 'NAME' -> PG -> [acting]".
 * The name is a byte string (one char per byte), hashed as those bytes.
 */
export function testMapObject(map: OSDMap, name: string, poolId: number): string {
  const bytes = Buffer.from(name, 'latin1');
  const rawSeed = objectLocatorToPg(map, bytes, { pool: poolId });
  const pool = map.pools.get(poolId)!;
  const pg: PgId = { pool: poolId, seed: poolRawSeedToPg(pool, rawSeed) };
  const ua = new UpActing();
  pgToUpActingOsdsInto(map, poolId, pg.seed, new PlacementWork(), ua, true, false);
  // object_t's operator<< writes the name's bytes as they are.
  return ` object '${name}' -> ${pgText(pg.pool, pg.seed)} -> ${osdsText(ua.acting)}\n`;
}
