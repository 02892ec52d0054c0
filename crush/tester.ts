// CrushTester: what `crushtool --test` prints, as a pure function over a CRUSH map.
//
// Ceph's CrushTester (src/crush/CrushTester.cc) maps a range of inputs x through every selected rule
// and replica count and reports the mappings, the bad ones, per-device utilization against what the
// device weights predict, result-size statistics and the retry histogram. This module reproduces its
// text byte for byte (Pacific), including the float32 arithmetic of the expected counts and C++'s
// default float formatting. Text goes to two sinks, as crushtool has it: `out` (stdout) and `err`
// (stderr; only the device weight vector goes there).

import { crushHash32_2 } from './hash.js';
import { CrushWork, crushDoRule } from './mapper.js';
import {
  CRUSH_ITEM_NONE,
  DEFAULT_CHOOSE_ARGS,
  type CrushChooseArgMap,
  type CrushMap,
  type CrushNames,
} from './types.js';

/** What the tester reads: a CrushWrapper, or anything with its two public fields. */
export interface CrushTesterMap {
  crush: CrushMap;
  names: CrushNames;
  /** CrushWrapper.weightSetTraps: choose_args entries only a Pacific process's memory holds. */
  weightSetTraps?(cmap: CrushChooseArgMap | null): Uint8Array | null;
}

export interface CrushTesterOptions {
  minX: number;
  maxX: number;
  minRule: number;
  maxRule: number;
  /** Only test rules whose mask ruleset equals this (-1: all). */
  ruleset: number;
  minRep: number;
  maxRep: number;
  /** -1: x is used as is; otherwise x is hashed with the pool id, as the OSDMap does for a pg. */
  poolId: number;
  numBatches: number;
  /** Weights set with --weight, already in 16.16 fixed point and clamped to [0, 0x10000]. */
  deviceWeight: Map<number, number>;
  /** Ratio of devices marked down in each chosen host-level bucket (0: none). */
  markDownDeviceRatio: number;
  markDownBucketRatio: number;
  useCrush: boolean;
  outputUtilization: boolean;
  outputUtilizationAll: boolean;
  outputStatistics: boolean;
  outputMappings: boolean;
  outputBadMappings: boolean;
  outputChooseTries: boolean;
  /** --output-csv: write the per-rule data sets as CSV files through `sink.file`. */
  outputCsv: boolean;
  /** --output-name NAME gives "NAME-": the prefix of those files. */
  outputDataFileName: string;
  /**
   * map->working_size as of the map's last finalize (decode and compile finalize; a fresh map has 0).
   * When it no longer matches crushWorkingSize(map), the first mapping aborts as Ceph's does.
   * undefined: never stale.
   */
  finalizedWorkingSize?: number;
}

/** CrushTester's constructor defaults. */
export function defaultTesterOptions(): CrushTesterOptions {
  return {
    minX: -1,
    maxX: -1,
    minRule: -1,
    maxRule: -1,
    ruleset: -1,
    minRep: -1,
    maxRep: -1,
    poolId: -1,
    numBatches: 1,
    deviceWeight: new Map(),
    markDownDeviceRatio: 0,
    markDownBucketRatio: 1,
    useCrush: true,
    outputUtilization: false,
    outputUtilizationAll: false,
    outputStatistics: false,
    outputMappings: false,
    outputBadMappings: false,
    outputChooseTries: false,
    outputCsv: false,
    outputDataFileName: '',
  };
}

/** CrushTester::set_device_weight: a float weight (1.0 = fully in) to clamped 16.16. */
export function testerDeviceWeight(f: number): number {
  // (int)(f * 0x10000) in float arithmetic, truncated toward zero; x86 turns NaN, infinities and
  // products outside int range into INT_MIN, which the clamp then makes 0.
  const prod = Math.fround(Math.fround(f) * 0x10000);
  let w = Number.isFinite(prod) && prod > -2147483649 && prod < 2147483648 ? Math.trunc(prod) : -2147483648;
  if (w < 0) w = 0;
  if (w > 0x10000) w = 0x10000;
  return w;
}

export interface TesterSink {
  out(text: string): void;
  err(text: string): void;
  /** Create or replace a file (relative to the working directory); only used by --output-csv. */
  file?(name: string, text: string): void;
}

/** CrushTester's tester_data_set: what --output-csv writes for one rule. */
interface TesterDataSet {
  deviceUtilization: string[];
  deviceUtilizationAll: string[];
  placementInformation: string[];
  batchDeviceUtilizationAll: string[];
  batchDeviceExpectedUtilizationAll: string[];
  proportionalWeights: Map<number, number>;
  proportionalWeightsAll: Map<number, number>;
  absoluteWeights: Map<number, number>;
}

function indexedRow(index: number, values: ArrayLike<number>, n: number, float: boolean): string {
  let s = String(index);
  for (let i = 0; i < n; i++) s += ',' + (float ? formatFloatG(values[i]!) : String(values[i]));
  return s + '\n';
}

function weightRows(m: Map<number, number>): string {
  let s = '';
  for (const k of [...m.keys()].sort((a, b) => a - b)) s += `${k},${formatFloatG(m.get(k)!)}\n`;
  return s;
}

/** CrushTester::write_data_set_to_csv. */
function writeDataSetToCsv(tag: string, d: TesterDataSet, maxRep: number, numBatches: number, sink: TesterSink): void {
  if (!sink.file) return;
  const util = 'Device ID, Number of Objects Stored, Number of Objects Expected\n';
  sink.file(`${tag}-device_utilization.csv`, util + d.deviceUtilization.join(''));
  sink.file(`${tag}-device_utilization_all.csv`, util + d.deviceUtilizationAll.join(''));
  let header = 'Input';
  for (let i = 0; i < maxRep; i++) header += `, OSD${i}`;
  sink.file(`${tag}-placement_information.csv`, header + '\n' + d.placementInformation.join(''));
  const pw = 'Device ID, Proportional Weight\n';
  sink.file(`${tag}-proportional_weights.csv`, pw + weightRows(d.proportionalWeights));
  sink.file(`${tag}-proportional_weights_all.csv`, pw + weightRows(d.proportionalWeightsAll));
  sink.file(`${tag}-absolute_weights.csv`, 'Device ID, Absolute Weight\n' + weightRows(d.absoluteWeights));
  if (numBatches > 1) {
    let h1 = 'Batch Round';
    let h2 = 'Batch Round';
    for (let i = 0; i < d.deviceUtilization.length; i++) {
      h1 += `, Objects Stored on OSD${i}`;
      h2 += `, Objects Expected on OSD${i}`;
    }
    sink.file(`${tag}-batch_device_utilization_all.csv`, h1 + '\n' + d.batchDeviceUtilizationAll.join(''));
    sink.file(
      `${tag}-batch_device_expected_utilization_all.csv`,
      h2 + '\n' + d.batchDeviceExpectedUtilizationAll.join(''),
    );
  }
}

// ---------------------------------------------------------------- formatting as C++ streams do

/** `std::ostream << float` with the default flags: printf("%g") on the float's exact value. */
export function formatFloatG(value: number, precision = 6): string {
  if (Number.isNaN(value)) return value < 0 ? '-nan' : 'nan';
  if (!Number.isFinite(value)) return value < 0 ? '-inf' : 'inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  value = tieToEven(value, precision);
  const exp = roundedExponent(value, precision);
  if (exp < -4 || exp >= precision) {
    const s = value.toExponential(precision - 1);
    const [mant, e] = s.split('e') as [string, string];
    const m = stripZeros(mant);
    const en = Number(e);
    const sign = en < 0 ? '-' : '+';
    const digits = String(Math.abs(en)).padStart(2, '0');
    return `${m}e${sign}${digits}`;
  }
  return stripZeros(value.toFixed(precision - 1 - exp));
}

/**
 * JS rounds exact decimal ties away from zero; glibc's printf rounds them to even. When `value` sits
 * exactly halfway and the kept digit is even, step to the neighbouring double toward zero, which
 * then rounds down as printf would.
 */
function tieToEven(value: number, precision: number): number {
  const digits = Math.abs(value).toExponential(precision + 40);
  const mant = digits.slice(0, digits.indexOf('e')).replace('.', '');
  if (mant[precision] !== '5' || !/^0*$/.test(mant.slice(precision + 1))) return value;
  if (Number(mant[precision - 1]) % 2 !== 0) return value;
  tieScratch[0] = value;
  tieBits[0] -= 1n;
  return tieScratch[0];
}
const tieScratch = new Float64Array(1);
const tieBits = new BigInt64Array(tieScratch.buffer);

function roundedExponent(value: number, precision: number): number {
  const s = Math.abs(value).toExponential(precision - 1);
  return Number(s.slice(s.indexOf('e') + 1));
}

function stripZeros(s: string): string {
  if (s.indexOf('.') < 0) return s;
  s = s.replace(/0+$/, '');
  return s.endsWith('.') ? s.slice(0, -1) : s;
}

/** Ceph's `operator<<(ostream&, const vector<T>&)`: "[a,b,c]". */
function formatVector(v: ArrayLike<number>, n: number, hex = false): string {
  let s = '[';
  for (let i = 0; i < n; i++) {
    if (i > 0) s += ',';
    s += hex ? (v[i]! >>> 0).toString(16) : String(v[i]);
  }
  return s + ']';
}

// ---------------------------------------------------------------- map queries CrushTester uses

function ruleExists(map: CrushMap, r: number): boolean {
  return r >= 0 && r < map.rules.length && map.rules[r] != null;
}

/** CrushWrapper::check_item_present: is `id` an item of any bucket (shadow buckets included)? */
function itemPresentSet(map: CrushMap): Set<number> {
  const present = new Set<number>();
  for (const b of map.buckets) {
    if (!b) continue;
    for (let i = 0; i < b.size; i++) present.add(b.items[i]!);
  }
  return present;
}

/** CrushWrapper::get_bucket_type: the bucket's type, or -ENOENT for a device or a missing id. */
function bucketType(map: CrushMap, id: number): number {
  const pos = -1 - id;
  if (id >= 0 || pos >= map.buckets.length) return -2;
  const b = map.buckets[pos];
  return b ? b.type : -2;
}

/** CrushTester::get_maximum_affected_by_rule: an upper bound on what one rule can return. */
export function maximumAffectedByRule(cw: CrushTesterMap, ruleno: number): number {
  const map = cw.crush;
  const rule = map.rules[ruleno]!;
  const affectedTypes: number[] = [];
  const replicationsByType = new Map<number, number>();
  for (const step of rule.steps) {
    if (step.op >= 2 && step.op !== 4) {
      affectedTypes.push(step.arg2);
      replicationsByType.set(step.arg2, step.arg1);
    }
  }
  const maxOfType = new Map<number, number>();
  // Every occurrence of a type counts the named buckets of that type again, as Ceph's loop does.
  const nameIds = [...cw.names.nameMap.keys()].sort((a, b) => a - b);
  for (const t of affectedTypes) {
    if (!maxOfType.has(t)) maxOfType.set(t, 0);
    for (const id of nameIds) {
      if (bucketType(map, id) === t) maxOfType.set(t, maxOfType.get(t)! + 1);
    }
  }
  for (const t of affectedTypes) {
    const rep = replicationsByType.get(t) ?? 0;
    if (rep > 0 && rep < (maxOfType.get(t) ?? 0)) maxOfType.set(t, rep);
  }
  let maxAffected = Math.max(map.buckets.length, map.maxDevices);
  for (const t of affectedTypes) {
    const m = maxOfType.get(t) ?? 0;
    if (m > 0 && m < maxAffected) maxAffected = m;
  }
  return maxAffected;
}

/** CrushWrapper::choose_args_get_with_fallback: the set for `index`, else the default set. */
function chooseArgsWithFallback(names: CrushNames, index: number): CrushChooseArgMap | null {
  return names.chooseArgs.get(index) ?? names.chooseArgs.get(DEFAULT_CHOOSE_ARGS) ?? null;
}

// ---------------------------------------------------------------- glibc lrand48, for --mark-down-ratio

/** glibc's drand48 family state (48-bit LCG), unseeded: x = 0, a = 0x5deece66d, c = 0xb. */
export class Lrand48 {
  // The 48-bit state as three 16-bit limbs, low first.
  private x0 = 0;
  private x1 = 0;
  private x2 = 0;
  next(): number {
    // x = a * x + c mod 2^48, with a = 0x5_deec_e66d split as 16-bit limbs.
    const a0 = 0xe66d;
    const a1 = 0xdeec;
    const a2 = 0x0005;
    const p0 = a0 * this.x0 + 0xb;
    const p1 = a0 * this.x1 + a1 * this.x0 + Math.floor(p0 / 0x10000);
    const p2 = a0 * this.x2 + a1 * this.x1 + a2 * this.x0 + Math.floor(p1 / 0x10000);
    this.x0 = p0 % 0x10000;
    this.x1 = p1 % 0x10000;
    this.x2 = p2 % 0x10000;
    // lrand48 returns the top 31 bits.
    return this.x2 * 0x8000 + (this.x1 >>> 1);
  }
}

/**
 * Where Ceph's tester divides an integer by zero the process dies with SIGFPE; the tester throws this
 * instead, and crushtool turns it into the same exit status (128 + 8).
 */
export class CrushTesterFault extends Error {
  constructor(readonly signal: 'SIGFPE' | 'SIGABRT' | 'SIGSEGV') {
    super(signal === 'SIGFPE' ? 'Floating point exception' : signal === 'SIGABRT' ? 'Aborted' : 'Segmentation fault');
    this.name = 'CrushTesterFault';
  }
}

/**
 * The size Ceph's crush_finalize() records as map->working_size: the mapping workspace for this bucket
 * layout (a pointer per slot, a 16-byte header and 4 bytes per item for each bucket). Ceph's mapper
 * asserts that the layout still has this size, so a map edited after its last finalize (crushtool
 * finalizes only when writing the map out) aborts at its first mapping.
 */
export function crushWorkingSize(map: CrushMap): number {
  let size = 8 + 8 * map.buckets.length;
  for (const b of map.buckets) if (b) size += 16 + 4 * b.size;
  return size;
}

/** lrand48() % n, where n == 0 is C's integer division by zero. */
function randBelow(rng: Lrand48, n: number): number {
  if (n === 0) throw new CrushTesterFault('SIGFPE');
  return rng.next() % n;
}

/** CrushTester::adjust_weights: mark some devices down (weight 0) when --mark-down-ratio is set. */
function adjustWeights(map: CrushMap, opts: CrushTesterOptions, weight: Uint32Array, rng: Lrand48): void {
  if (!(opts.markDownDeviceRatio > 0)) return;
  const bucketIds: number[] = [];
  for (let i = 0; i < map.buckets.length; i++) {
    const b = map.buckets[i];
    if (b && b.weight > 0) bucketIds.push(-1 - i);
  }
  const aboveDevices: number[] = [];
  for (const id of bucketIds) {
    const b = map.buckets[-1 - id]!;
    if (b.size === 0) continue;
    if (b.items[0]! >= 0) aboveDevices.push(id);
  }
  for (let i = 0; i < aboveDevices.length; i++) {
    const j = randBelow(rng, aboveDevices.length - 1);
    const t = aboveDevices[i]!;
    aboveDevices[i] = aboveDevices[j]!;
    aboveDevices[j] = t;
  }
  const numBuckets = Math.trunc(Math.fround(Math.fround(opts.markDownBucketRatio) * aboveDevices.length));
  for (let i = 0; i < numBuckets; i++) {
    const b = map.buckets[-1 - aboveDevices[i]!]!;
    const size = b.size;
    const items = Array.from(b.items.subarray(0, size));
    for (let o = 0; o < size; o++) {
      const j = randBelow(rng, size - 1);
      const t = items[o]!;
      items[o] = items[j]!;
      items[j] = t;
    }
    // Ceph marks the bucket's first items down, not the permuted ones; kept as it does.
    const local = Math.trunc(Math.fround(Math.fround(opts.markDownDeviceRatio) * size));
    for (let o = 0; o < local; o++) {
      const item = b.items[o]!;
      if (item >= 0 && item < weight.length) weight[item] = 0;
    }
  }
}

// ---------------------------------------------------------------- the test

/**
 * What test and compare share: the rule and x ranges (negative bounds mean every rule and x 0..1023)
 * and the device weight vector (--weight overrides, else 1.0 for devices in the tree, 0 for others).
 */
function testRange(
  map: CrushMap,
  o: CrushTesterOptions,
): { minRule: number; maxRule: number; minX: number; maxX: number; weight: Uint32Array } {
  const allRules = o.minRule < 0 || o.maxRule < 0;
  const allX = o.minX < 0 || o.maxX < 0;
  const present = itemPresentSet(map);
  const weight = new Uint32Array(map.maxDevices);
  for (let d = 0; d < map.maxDevices; d++) {
    const w = o.deviceWeight.get(d);
    weight[d] = w !== undefined ? w : present.has(d) ? 0x10000 : 0;
  }
  return {
    minRule: allRules ? 0 : o.minRule,
    maxRule: allRules ? map.rules.length - 1 : o.maxRule,
    minX: allX ? 0 : o.minX,
    maxX: allX ? 1023 : o.maxX,
    weight,
  };
}

/**
 * CrushTester::test. Returns 0, or a negative errno where Ceph's returns one. Output goes to the
 * sinks exactly as crushtool prints it.
 */
export function crushTest(cw: CrushTesterMap, o: CrushTesterOptions, sink: TesterSink): number {
  const map = cw.crush;
  const { minRule, maxRule, minX, maxX, weight } = testRange(map, o);
  const maxDevices = map.maxDevices;
  if (o.outputUtilizationAll) {
    sink.err(`devices weights (hex): ${formatVector(weight, maxDevices, true)}\n`);
  }
  const rng = new Lrand48();
  adjustWeights(map, o, weight, rng);

  let chooseTries: Uint32Array | null = null;
  if (o.outputChooseTries) chooseTries = new Uint32Array(map.chooseTotalTries + 1);

  const chooseArgs = chooseArgsWithFallback(cw.names, 0);
  const traps = cw.weightSetTraps?.(chooseArgs) ?? null;
  const stale = o.finalizedWorkingSize !== undefined && o.finalizedWorkingSize !== crushWorkingSize(map);
  let out = '';
  const flush = (): void => {
    if (out.length) sink.out(out);
    out = '';
  };

  for (let r = minRule; r < map.rules.length && r <= maxRule; r++) {
    if (!ruleExists(map, r)) {
      if (o.outputStatistics) out += `rule ${r} dne\n`;
      continue;
    }
    const rule = map.rules[r]!;
    if (o.ruleset >= 0 && rule.mask.ruleset !== o.ruleset) continue;
    let minr = o.minRep;
    let maxr = o.maxRep;
    if (o.minRep < 0 || o.maxRep < 0) {
      minr = rule.mask.minSize;
      maxr = rule.mask.maxSize;
    }
    const ruleName = cw.names.ruleNameMap.get(r) ?? '';
    if (o.outputStatistics) {
      out += `rule ${r} (${ruleName}), x = ${minX}..${maxX}, numrep = ${minr}..${maxr}\n`;
    }
    const maxAffected = maximumAffectedByRule(cw, r);

    for (let nr = minr; nr <= maxr; nr++) {
      const per = new Int32Array(maxDevices);
      const sizes = new Map<number, number>();
      const numObjects = maxX - minX + 1;
      let objectsPerBatch = Math.trunc(numObjects / o.numBatches);
      let batchMin = minX;
      let batchMax = minX + objectsPerBatch - 1;

      let totalWeight = 0;
      for (let i = 0; i < maxDevices; i++) totalWeight = (totalWeight + weight[i]!) | 0;
      if (totalWeight === 0) continue;

      const expectedObjects = Math.fround(Math.imul(Math.min(nr, maxAffected), numObjects));
      const numExpected = new Float32Array(maxDevices);
      const data: TesterDataSet = {
        deviceUtilization: [],
        deviceUtilizationAll: [],
        placementInformation: [],
        batchDeviceUtilizationAll: [],
        batchDeviceExpectedUtilizationAll: [],
        proportionalWeights: new Map(),
        proportionalWeightsAll: new Map(),
        absoluteWeights: new Map(),
      };
      const batchPer = new Map<number, Int32Array>();
      for (let i = 0; i < maxDevices; i++) {
        const pw = Math.fround(Math.fround(weight[i]!) / Math.fround(totalWeight));
        numExpected[i] = Math.fround(pw * expectedObjects);
        if (o.outputCsv) {
          data.absoluteWeights.set(i, Math.fround(Math.fround(weight[i]!) / 0x10000));
          if (pw > 0) data.proportionalWeights.set(i, pw);
          data.proportionalWeightsAll.set(i, pw);
        }
      }

      const work = new CrushWork(map, Math.max(nr, 0));
      work.weightSetTraps = traps;
      work.chooseTries = chooseTries;
      const result = new Int32Array(Math.max(nr, 1));

      for (let batch = 0; batch < o.numBatches; batch++) {
        if (batch === o.numBatches - 1) {
          batchMax = maxX;
          objectsPerBatch = batchMax - batchMin + 1;
        }
        const temporaryPer = new Int32Array(maxDevices);
        for (let x = batchMin; x <= batchMax; x++) {
          let len = 0;
          if (o.useCrush) {
            if (o.outputMappings) out += 'CRUSH';
            if (stale) {
              flush();
              throw new CrushTesterFault('SIGABRT');
            }
            let realX = x | 0;
            if (o.poolId !== -1) realX = crushHash32_2(x >>> 0, o.poolId >>> 0) | 0;
            len = nr > 0 ? crushDoRule(map, r, realX, result, nr, weight, maxDevices, work, chooseArgs) : 0;
            if (work.trappedBucket !== 0) {
              // Pacific read a zero-position weight set's weight_set[-1] as its weights (see
              // CrushWrapper.weightSetTraps) and died there
              flush();
              throw new CrushTesterFault('SIGSEGV');
            }
            if (len < 0) len = 0;
          } else {
            if (o.outputMappings) out += 'RNG';
            len = randomPlacement(cw, r, result, nr, weight, maxAffected, rng);
          }
          if (o.outputMappings) out += ` rule ${r} x ${x} ${formatVector(result, len)}\n`;
          if (o.outputCsv) data.placementInformation.push(indexedRow(x, result, len, false));
          let hasNone = false;
          for (let i = 0; i < len; i++) {
            const item = result[i]!;
            if (item !== CRUSH_ITEM_NONE) {
              if (item >= 0 && item < maxDevices) {
                per[item]!++;
                temporaryPer[item]!++;
              }
            } else {
              hasNone = true;
            }
          }
          batchPer.set(batch, temporaryPer);
          sizes.set(len, (sizes.get(len) ?? 0) + 1);
          if (o.outputBadMappings && (len !== nr || hasNone)) {
            out += `bad mapping rule ${r} x ${x} num_rep ${nr} result ${formatVector(result, len)}\n`;
          }
          if (out.length > 65536) flush();
        }
        batchMin = batchMax + 1;
        batchMax = batchMin + objectsPerBatch - 1;
      }

      if (o.outputUtilization && !o.outputStatistics) {
        for (let i = 0; i < maxDevices; i++) out += `  device ${i}:\t${per[i]}\n`;
      }
      if (o.outputStatistics) {
        for (const size of [...sizes.keys()].sort((a, b) => a - b)) {
          out +=
            `rule ${r} (${ruleName}) num_rep ${nr} result size == ${size}:\t` +
            `${sizes.get(size)}/${maxX - minX + 1}\n`;
        }
        for (let i = 0; i < maxDevices; i++) {
          const line =
            `  device ${i}:\t\t stored : ${per[i]}\t expected : ${formatFloatG(numExpected[i]!)}\n`;
          if (o.outputUtilization) {
            if (numExpected[i]! > 0 && per[i]! > 0) out += line;
          } else if (o.outputUtilizationAll) {
            out += line;
          }
        }
      }
      if (o.outputCsv) {
        const pair = new Float32Array(2);
        for (let i = 0; i < maxDevices; i++) {
          pair[0] = per[i]!;
          pair[1] = numExpected[i]!;
          const row = indexedRow(i, pair, 2, true);
          data.deviceUtilizationAll.push(row);
          if (numExpected[i]! > 0 && per[i]! > 0) data.deviceUtilization.push(row);
        }
        if (o.numBatches > 1) {
          for (let i = 0; i < o.numBatches; i++) {
            const bp = batchPer.get(i) ?? new Int32Array(0);
            data.batchDeviceUtilizationAll.push(indexedRow(i, bp, bp.length, false));
            data.batchDeviceExpectedUtilizationAll.push(indexedRow(i, bp, bp.length, false));
          }
        }
        flush();
        writeDataSetToCsv(o.outputDataFileName + ruleName, data, o.maxRep, o.numBatches, sink);
      }
    }
  }

  if (chooseTries) {
    const n = map.chooseTotalTries;
    for (let i = 0; i < n; i++) {
      out += `${String(i).padStart(2)}: ${String(chooseTries[i]).padStart(9)}\n`;
    }
  }
  flush();
  return 0;
}

/**
 * CrushTester::random_placement (--simulate): draw devices with lrand48 until the draw respects the
 * rule's failure domains. Returns the number of items written to `out`.
 */
function randomPlacement(
  cw: CrushTesterMap,
  ruleno: number,
  out: Int32Array,
  maxout: number,
  weight: Uint32Array,
  maxAffected: number,
  rng: Lrand48,
): number {
  const map = cw.crush;
  let total = 0;
  for (let i = 0; i < weight.length; i++) total += weight[i]!;
  if (total === 0 || map.maxDevices === 0) return 0;
  const requested = Math.min(maxout, maxAffected);
  if (requested <= 0) return 0;
  const trial: number[] = new Array<number>(requested).fill(0);
  for (let tries = 0; tries < 100; tries++) {
    for (let i = 0; i < requested; i++) trial[i] = rng.next() % map.maxDevices;
    if (validPlacement(cw, ruleno, trial, weight)) {
      for (let i = 0; i < requested && i < out.length; i++) out[i] = trial[i]!;
      return requested;
    }
  }
  return 0;
}

/** CrushTester::check_valid_placement. */
function validPlacement(cw: CrushTesterMap, ruleno: number, devices: number[], weight: Uint32Array): boolean {
  const map = cw.crush;
  let valid = true;
  const included: number[] = [];
  for (const d of devices) {
    if (weight[d] === 0) {
      valid = false;
      break;
    }
    included.push(d);
  }
  const affected: string[] = [];
  let minType = cw.names.typeMap.size;
  for (const t of cw.names.typeMap.keys()) if (t < minType) minType = t;
  const minTypeName = cw.names.typeMap.get(minType) ?? '';
  for (const step of map.rules[ruleno]!.steps) {
    if (step.op >= 2 && step.op !== 4) affected.push(cw.names.typeMap.get(step.arg2) ?? '');
  }
  const onlyOsd = affected.length === 1 && affected[0] === minTypeName && minTypeName === 'osd';
  for (const d of included) {
    if (included.filter((e) => e === d).length > 1) valid = false;
  }
  if (!onlyOsd) {
    const seen = new Set<string>();
    for (const d of included) {
      if (!valid) break;
      const loc = fullLocation(cw, d);
      for (const t of affected) {
        const where = loc.get(t) ?? '';
        if (seen.has(where)) {
          valid = false;
          break;
        }
        seen.add(where);
      }
    }
  }
  return valid;
}

/** CrushWrapper::get_full_location for a device: type name -> bucket name, walking up parents. */
function fullLocation(cw: CrushTesterMap, id: number): Map<string, string> {
  const loc = new Map<string, string>();
  const map = cw.crush;
  // Ceph answers nothing for an item without a name.
  if (!cw.names.nameMap.has(id)) return loc;
  let cur = id;
  for (;;) {
    let parent: number | null = null;
    for (let i = 0; i < map.buckets.length && parent === null; i++) {
      const b = map.buckets[i];
      if (!b) continue;
      const bid = -1 - i;
      if (cw.names.nameMap.get(bid)?.includes('~')) continue;
      for (let k = 0; k < b.size; k++) {
        if (b.items[k] === cur) {
          parent = bid;
          break;
        }
      }
    }
    if (parent === null) break;
    const b = map.buckets[-1 - parent]!;
    const typeName = cw.names.typeMap.get(b.type) ?? '';
    // The lowest ancestor of a type wins, as map::insert keeps the first.
    if (!loc.has(typeName)) loc.set(typeName, cw.names.nameMap.get(parent) ?? '');
    cur = parent;
  }
  return loc;
}

/**
 * CrushTester::compare (`crushtool -i A --compare B`): map the same inputs through both maps and
 * count, per rule of A, the inputs whose results differ. Returns 0 when none differ, -1 otherwise.
 */
export function crushCompare(
  cw: CrushTesterMap,
  cw2: CrushTesterMap,
  o: CrushTesterOptions,
  sink: TesterSink,
): number {
  const map = cw.crush;
  const { minRule, maxRule, minX, maxX, weight } = testRange(map, o);
  const maxDevices = map.maxDevices;
  adjustWeights(map, o, weight, new Lrand48());
  const args1 = chooseArgsWithFallback(cw.names, 0);
  const traps1 = cw.weightSetTraps?.(args1) ?? null;
  const stale = o.finalizedWorkingSize !== undefined && o.finalizedWorkingSize !== crushWorkingSize(map);
  const args2 = chooseArgsWithFallback(cw2.names, 0);

  let ret = 0;
  let out = '';
  for (let r = minRule; r < map.rules.length && r <= maxRule; r++) {
    if (!ruleExists(map, r)) {
      if (o.outputStatistics) out += `rule ${r} dne\n`;
      continue;
    }
    const rule = map.rules[r]!;
    let minr = o.minRep;
    let maxr = o.maxRep;
    if (o.minRep < 0 || o.maxRep < 0) {
      minr = rule.mask.minSize;
      maxr = rule.mask.maxSize;
    }
    let bad = 0;
    for (let nr = minr; nr <= maxr; nr++) {
      const n = Math.max(nr, 1);
      const res1 = new Int32Array(n);
      const res2 = new Int32Array(n);
      const work1 = new CrushWork(map, n);
      work1.weightSetTraps = traps1;
      const work2 = new CrushWork(cw2.crush, n);
      for (let x = minX; x <= maxX; x++) {
        if (stale) {
          sink.out(out);
          throw new CrushTesterFault('SIGABRT');
        }
        // Ceph's mapper dereferences an empty rule slot of the other map.
        if (r < cw2.crush.rules.length && !cw2.crush.rules[r]) {
          sink.out(out);
          throw new CrushTesterFault('SIGSEGV');
        }
        let l1 = nr > 0 ? crushDoRule(map, r, x, res1, nr, weight, maxDevices, work1, args1) : 0;
        if (work1.trappedBucket !== 0) {
          sink.out(out); // as in test(): Pacific died reading a zero-position weight set
          throw new CrushTesterFault('SIGSEGV');
        }
        let l2 = nr > 0 ? crushDoRule(cw2.crush, r, x, res2, nr, weight, maxDevices, work2, args2) : 0;
        if (l1 < 0) l1 = 0;
        if (l2 < 0) l2 = 0;
        let same = l1 === l2;
        for (let i = 0; same && i < l1; i++) same = res1[i] === res2[i];
        if (!same) bad++;
      }
    }
    if (bad) ret = -1;
    const max = (maxr - minr + 1) * (maxX - minX + 1);
    out += `rule ${r} had ${bad}/${max} mismatched mappings (${formatFloatG(bad / max)})\n`;
  }
  if (ret) {
    sink.out(out);
    sink.err('warning: maps are NOT equivalent\n');
  } else {
    sink.out(out + 'maps appear equivalent\n');
  }
  return ret;
}

/**
 * CrushTester::check_overlapped_rules (`crushtool --check`): rules that share a ruleset and type and
 * whose [min_size, max_size] ranges overlap, one line per overlapping size range, as Ceph's interval
 * map (with adjacent equal ranges joined) reports them.
 */
export function checkOverlappedRules(cw: CrushTesterMap): string {
  const groups = new Map<string, { ruleset: number; type: number; rules: number[] }>();
  cw.crush.rules.forEach((rule, r) => {
    if (!rule) return;
    const key = `${rule.mask.ruleset}/${rule.mask.type}`;
    let g = groups.get(key);
    if (!g) {
      g = { ruleset: rule.mask.ruleset, type: rule.mask.type, rules: [] };
      groups.set(key, g);
    }
    g.rules.push(r);
  });
  const ordered = [...groups.values()].sort((a, b) => a.ruleset - b.ruleset || a.type - b.type);
  const byteOrder = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  let text = '';
  for (const g of ordered) {
    const rules = g.rules.map((r) => ({
      min: cw.crush.rules[r]!.mask.minSize,
      max: cw.crush.rules[r]!.mask.maxSize,
      name: cw.names.ruleNameMap.get(r) ?? `rule${r}`,
    }));
    const points = [...new Set(rules.flatMap((x) => (x.min <= x.max ? [x.min, x.max + 1] : [])))].sort(
      (a, b) => a - b,
    );
    const segments: { lo: number; hi: number; names: string[] }[] = [];
    for (let i = 0; i + 1 < points.length; i++) {
      const lo = points[i]!;
      const hi = points[i + 1]! - 1;
      const names = [...new Set(rules.filter((x) => x.min <= lo && hi <= x.max).map((x) => x.name))].sort(byteOrder);
      if (names.length === 0) continue;
      const last = segments[segments.length - 1];
      if (last && last.hi + 1 === lo && last.names.join('\0') === names.join('\0')) last.hi = hi;
      else segments.push({ lo, hi, names });
    }
    for (const s of segments) {
      if (s.names.length > 1) text += `overlapped rules in ruleset ${g.ruleset}: ${s.names.join(', ')}\n`;
    }
  }
  return text;
}
