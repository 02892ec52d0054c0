// Ceph's binary CRUSH map encoding (CrushWrapper::encode / decode as of Pacific 16.2), both ways.
//
// Layout (all little-endian; the map has no struct header of its own):
//   u32 magic (0x00010000), s32 max_buckets, u32 max_rules, s32 max_devices
//   max_buckets x bucket: u32 alg (0 = empty slot) then s32 id, u16 type, u8 alg, u8 hash, u32 weight,
//     u32 size, size x s32 items, then per algorithm: uniform u32 item_weight; list size x (weight,
//     sum); tree u8 num_nodes + num_nodes x u32; straw size x (weight, straw); straw2 size x weight
//   max_rules x rule: u32 present (0/1) then u32 len, u8 ruleset, u8 type, u8 min_size, u8 max_size,
//     len x (u32 op, s32 arg1, s32 arg2)
//   type names, item names, rule names: u32 count, (s32 key, string) pairs
//   tunables in groups that older encoders stop before: (local, local_fallback, total: u32),
//     (descend_once u32), (vary_r u8), (straw_calc_version u8), (allowed_bucket_algs u32),
//     (chooseleaf_stable u8, only with the TUNABLES5 feature)
//   luminous and later: class_map (s32 -> s32), class_name (s32 -> string),
//     class_bucket (s32 -> (s32 -> s32)), then choose_args: u32 count, (s64 id, u32 n, n x (u32 bucket
//     index, u32 positions, positions x (u32 size, size x u32 weight), u32 ids_size, ids x s32))
//
// Names are read and written one char per byte (Ceph allows only [-_.0-9a-zA-Z] in them, so this is
// ASCII in practice) so that even a corrupted name round-trips byte for byte.
//
// Decoding follows Ceph: an encoding that stops at a group boundary keeps the legacy tunables for the
// rest; afterwards max_devices is recomputed as Ceph's finalize() does and choose_args are tidied as
// update_choose_args() does. Unlike Ceph, garbage is refused with a CephError instead of an abort: a
// bucket's id must match its slot, bucket items must name existing buckets without cycles, and
// choose_args must fit the buckets they describe.

import { CephError } from '../common/errors.js';
import { Decoder, Encoder } from '../common/encoding.js';
import {
  BucketAlg,
  CRUSH_MAGIC,
  CrushBucket,
  CrushChooseArg,
  CrushChooseArgMap,
  CrushMap,
  CrushNames,
  CrushRule,
  CrushRuleStep,
  emptyCrushNames,
  legacyTunables,
} from './types.js';

/** The parts of a CrushWrapper the codec reads and writes. */
export interface CrushMapWithNames {
  crush: CrushMap;
  names: CrushNames;
}

/** Ceph feature bits that change the CRUSH encoding (src/include/ceph_features.h). */
export const CEPH_FEATURE_CRUSH_TUNABLES5 = 1n << 58n;
const CEPH_FEATURE_INCARNATION_2 = 1n << 57n;
/** SERVER_LUMINOUS and CRUSH_CHOOSE_ARGS share bit 49 of incarnation 2. */
export const CEPH_FEATUREMASK_SERVER_LUMINOUS = (1n << 49n) | CEPH_FEATURE_INCARNATION_2;
export const CEPH_FEATUREMASK_CRUSH_CHOOSE_ARGS = CEPH_FEATUREMASK_SERVER_LUMINOUS;
/** What Pacific's crushtool encodes with: every feature the encoder knows. */
export const CRUSH_ENCODE_FEATURES_ALL =
  CEPH_FEATURE_CRUSH_TUNABLES5 | CEPH_FEATUREMASK_SERVER_LUMINOUS | CEPH_FEATUREMASK_CRUSH_CHOOSE_ARGS;

const LABEL = 'crush map';
const sharedEncoder = new Encoder(4096);

function haveFeature(features: bigint, mask: bigint): boolean {
  return (features & mask) === mask;
}

function isEmptyArg(arg: CrushChooseArg | null | undefined): boolean {
  return !arg || (arg.weightSet.length === 0 && (arg.ids === null || arg.ids.length === 0));
}

/**
 * Encode a map as CrushWrapper::encode does. `features` defaults to everything Pacific supports;
 * without CRUSH_CHOOSE_ARGS the single compat weight set replaces straw2 weights, as Ceph does for
 * pre-luminous peers.
 */
export function encodeCrushMap(cw: CrushMapWithNames, features: bigint = CRUSH_ENCODE_FEATURES_ALL): Buffer {
  const e = sharedEncoder.reset();
  encodeCrushMapInto(e, cw, features);
  return e.toBuffer();
}

/** Encode into a caller-owned Encoder (for embedding in an OSDMap). */
export function encodeCrushMapInto(e: Encoder, cw: CrushMapWithNames, features: bigint = CRUSH_ENCODE_FEATURES_ALL): void {
  const { crush, names } = cw;
  e.u32(CRUSH_MAGIC);
  e.s32(crush.buckets.length);
  e.u32(crush.rules.length);
  e.s32(crush.maxDevices);

  let compatArgs: CrushChooseArgMap | null = null;
  if (names.chooseArgs.size > 0 && !haveFeature(features, CEPH_FEATUREMASK_CRUSH_CHOOSE_ARGS)) {
    if (hasIncompatChooseArgs(names)) {
      throw new CephError('EINVAL', 'crush map: choose_args cannot be encoded for peers without CRUSH_CHOOSE_ARGS');
    }
    compatArgs = names.chooseArgs.values().next().value ?? null;
  }

  for (let i = 0; i < crush.buckets.length; i++) {
    const b = crush.buckets[i];
    if (!b) {
      e.u32(0);
      continue;
    }
    e.u32(b.alg);
    e.s32(b.id).u16(b.type).u8(b.alg).u8(b.hash).u32(b.weight).u32(b.size);
    for (let j = 0; j < b.size; j++) e.s32(b.items[j]!);
    switch (b.alg) {
      case BucketAlg.Uniform:
        e.u32(b.itemWeight);
        break;
      case BucketAlg.List:
        for (let j = 0; j < b.size; j++) e.u32(b.itemWeights[j]!).u32(b.sumWeights[j]!);
        break;
      case BucketAlg.Tree: {
        // num_nodes is a u8 in Ceph's struct: a count past 255 wraps there, and only that many go out
        const numNodes = b.numNodes & 0xff;
        e.u8(numNodes);
        for (let j = 0; j < numNodes; j++) e.u32(b.nodeWeights[j] ?? 0);
        break;
      }
      case BucketAlg.Straw:
        for (let j = 0; j < b.size; j++) e.u32(b.itemWeights[j]!).u32(b.straws[j]!);
        break;
      case BucketAlg.Straw2: {
        const arg = compatArgs ? compatArgs[i] : null;
        const weights = arg && arg.weightSet.length > 0 ? arg.weightSet[0]! : b.itemWeights;
        for (let j = 0; j < b.size; j++) e.u32(weights[j]!);
        break;
      }
      default:
        throw new CephError('EINVAL', `crush map: bucket ${b.id} has unknown algorithm ${b.alg as number}`);
    }
  }

  for (const r of crush.rules) {
    if (!r) {
      e.u32(0);
      continue;
    }
    e.u32(1).u32(r.steps.length);
    e.u8(r.mask.ruleset).u8(r.mask.type).u8(r.mask.minSize).u8(r.mask.maxSize);
    for (const s of r.steps) e.u32(s.op).s32(s.arg1).s32(s.arg2);
  }

  encodeIntStringMap(e, names.typeMap);
  encodeIntStringMap(e, names.nameMap);
  encodeIntStringMap(e, names.ruleNameMap);

  e.u32(crush.chooseLocalTries).u32(crush.chooseLocalFallbackTries).u32(crush.chooseTotalTries);
  e.u32(crush.chooseleafDescendOnce);
  e.u8(crush.chooseleafVaryR);
  e.u8(crush.strawCalcVersion);
  e.u32(crush.allowedBucketAlgs);
  if ((features & CEPH_FEATURE_CRUSH_TUNABLES5) !== 0n) e.u8(crush.chooseleafStable);

  if (!haveFeature(features, CEPH_FEATUREMASK_SERVER_LUMINOUS)) return;
  const classMapKeys = sortedKeys(names.classMap);
  e.u32(classMapKeys.length);
  for (const k of classMapKeys) e.s32(k).s32(names.classMap.get(k)!);
  encodeIntStringMap(e, names.className);
  const cbKeys = sortedKeys(names.classBucket);
  e.u32(cbKeys.length);
  for (const k of cbKeys) {
    const inner = names.classBucket.get(k)!;
    const innerKeys = sortedKeys(inner);
    e.s32(k).u32(innerKeys.length);
    for (const c of innerKeys) e.s32(c).s32(inner.get(c)!);
  }

  const argKeys = sortedKeys(names.chooseArgs);
  e.u32(argKeys.length);
  for (const key of argKeys) {
    const map = names.chooseArgs.get(key)!;
    e.s64(key);
    let n = 0;
    for (const arg of map) if (!isEmptyArg(arg)) n++;
    e.u32(n);
    for (let i = 0; i < map.length; i++) {
      const arg = map[i];
      if (!arg || isEmptyArg(arg)) continue;
      e.u32(i).u32(arg.weightSet.length);
      for (const ws of arg.weightSet) {
        e.u32(ws.length);
        for (let k = 0; k < ws.length; k++) e.u32(ws[k]!);
      }
      const ids = arg.ids ?? EMPTY_IDS;
      e.u32(ids.length);
      for (let k = 0; k < ids.length; k++) e.s32(ids[k]!);
    }
  }
}

const EMPTY_IDS = new Int32Array(0);

function sortedKeys<V>(m: ReadonlyMap<number, V>): number[] {
  return [...m.keys()].sort((a, b) => a - b);
}

function encodeIntStringMap(e: Encoder, m: ReadonlyMap<number, string>): void {
  const keys = sortedKeys(m);
  e.u32(keys.length);
  for (const k of keys) e.s32(k).binaryString(m.get(k)!);
}

/** Ceph's has_incompat_choose_args: more than one set, or anything but one weight position. */
export function hasIncompatChooseArgs(names: CrushNames): boolean {
  if (names.chooseArgs.size === 0) return false;
  if (names.chooseArgs.size > 1) return true;
  const map = names.chooseArgs.values().next().value as CrushChooseArgMap;
  for (const arg of map) {
    if (!arg || isEmptyArg(arg)) continue;
    if (arg.weightSet.length !== 1) return true;
    if (arg.ids && arg.ids.length !== 0) return true;
  }
  return false;
}


/**
 * Decode a binary CRUSH map as CrushWrapper::decode does. Throws CephError: EIO when the data ends
 * inside a field, EINVAL when it is not a CRUSH map or contradicts itself.
 */
export function decodeCrushMap(buf: Uint8Array): CrushMapWithNames {
  const d = new Decoder(buf, LABEL);
  const r = decodeCrushMapFrom(d);
  return r;
}

/** Decode from a Decoder positioned at the map (for embedding in an OSDMap); reads to its end. */
export function decodeCrushMapFrom(d: Decoder): CrushMapWithNames {
  d.setContext('');
  const magic = d.u32('magic');
  if (magic !== CRUSH_MAGIC) {
    d.pos -= 4;
    d.malformed('magic', `bad magic number 0x${magic.toString(16)} (expected 0x${CRUSH_MAGIC.toString(16)})`);
  }
  const maxBuckets = d.s32('max_buckets');
  if (maxBuckets < 0) d.malformed('max_buckets', `negative count ${maxBuckets}`);
  const maxRules = d.u32('max_rules');
  const maxDevicesEncoded = d.s32('max_devices');
  d.checkCount(maxBuckets, 4, 'buckets');

  const crush: CrushMap = {
    ...legacyTunables(),
    buckets: new Array<CrushBucket | null>(maxBuckets).fill(null),
    rules: [],
    maxDevices: maxDevicesEncoded,
  };
  const names = emptyCrushNames();

  for (let i = 0; i < maxBuckets; i++) {
    crush.buckets[i] = decodeBucket(d, i);
  }
  d.setContext('');
  d.checkCount(maxRules, 4, 'rules');
  crush.rules = new Array<CrushRule | null>(maxRules).fill(null);
  for (let i = 0; i < maxRules; i++) {
    crush.rules[i] = decodeRule(d, i);
  }
  d.setContext('');

  decodeIntStringMap(d, names.typeMap, 'type names');
  decodeIntStringMap(d, names.nameMap, 'item names');
  decodeIntStringMap(d, names.ruleNameMap, 'rule names');

  if (!d.atEnd()) {
    crush.chooseLocalTries = d.u32('tunable choose_local_tries');
    crush.chooseLocalFallbackTries = d.u32('tunable choose_local_fallback_tries');
    crush.chooseTotalTries = d.u32('tunable choose_total_tries');
  }
  if (!d.atEnd()) crush.chooseleafDescendOnce = d.u32('tunable chooseleaf_descend_once');
  if (!d.atEnd()) crush.chooseleafVaryR = d.u8('tunable chooseleaf_vary_r');
  if (!d.atEnd()) crush.strawCalcVersion = d.u8('tunable straw_calc_version');
  if (!d.atEnd()) crush.allowedBucketAlgs = d.u32('tunable allowed_bucket_algs');
  if (!d.atEnd()) crush.chooseleafStable = d.u8('tunable chooseleaf_stable');
  if (!d.atEnd()) {
    // These three maps go through Ceph's denc, which inserts with emplace_hint: on a repeated key the
    // first value stays (the name maps above and choose_args below keep the last).
    let n = d.count('class_map', 8);
    for (let i = 0; i < n; i++) {
      const item = d.s32('class_map item');
      const cls = d.s32('class_map class');
      if (!names.classMap.has(item)) names.classMap.set(item, cls);
    }
    n = d.count('class_name', 8);
    for (let i = 0; i < n; i++) {
      const id = d.s32('class_name id');
      const name = d.binaryString('class_name name');
      if (!names.className.has(id)) names.className.set(id, name);
    }
    n = d.count('class_bucket', 8);
    for (let i = 0; i < n; i++) {
      const bucket = d.s32('class_bucket bucket');
      const m = d.count('class_bucket classes', 8);
      const inner = new Map<number, number>();
      for (let j = 0; j < m; j++) {
        const c = d.s32('class_bucket class');
        const shadow = d.s32('class_bucket shadow bucket');
        if (!inner.has(c)) inner.set(c, shadow);
      }
      if (!names.classBucket.has(bucket)) names.classBucket.set(bucket, inner);
    }
  }
  if (!d.atEnd()) decodeChooseArgs(d, crush, names);
  // Anything after this is from a newer encoder (Reef's msr tunables); Pacific ignores it.
  d.pos += d.remaining;
  d.setContext('');

  validateBucketGraph(d, crush);
  tidyChooseArgs(crush, names);
  finalizeMaxDevices(crush, names);
  return { crush, names };
}

function decodeBucket(d: Decoder, index: number): CrushBucket | null {
  const id0 = -1 - index;
  d.setContext('bucket', id0);
  const algPrefix = d.u32('alg');
  if (algPrefix === 0) return null;
  if (algPrefix < BucketAlg.Uniform || algPrefix > BucketAlg.Straw2) {
    d.pos -= 4;
    d.malformed('alg', `unsupported bucket algorithm: ${algPrefix}`);
  }
  const id = d.s32('id');
  if (id !== id0) {
    d.pos -= 4;
    d.malformed('id', `bucket in slot ${index} has id ${id}, expected ${id0}`);
  }
  const type = d.u16('type');
  const alg = d.u8('alg') as BucketAlg;
  if (alg !== algPrefix) {
    d.pos -= 1;
    d.malformed('alg', `algorithm ${alg} differs from the slot's ${algPrefix}`);
  }
  const hash = d.u8('hash');
  const weight = d.u32('weight');
  const size = d.u32('size');
  d.checkCount(size, 4, 'items');
  const items = new Int32Array(size);
  for (let j = 0; j < size; j++) items[j] = d.s32('items');

  const b: CrushBucket = {
    id,
    type,
    alg,
    hash,
    weight,
    size,
    items,
    itemWeight: 0,
    itemWeights: EMPTY_U32,
    sumWeights: EMPTY_U32,
    numNodes: 0,
    nodeWeights: EMPTY_U32,
    straws: EMPTY_U32,
  };
  switch (alg) {
    case BucketAlg.Uniform:
      b.itemWeight = d.u32('item_weight');
      b.itemWeights = new Uint32Array(size).fill(b.itemWeight);
      break;
    case BucketAlg.List:
      d.checkCount(size, 8, 'item weights');
      b.itemWeights = new Uint32Array(size);
      b.sumWeights = new Uint32Array(size);
      for (let j = 0; j < size; j++) {
        b.itemWeights[j] = d.u32('item weights');
        b.sumWeights[j] = d.u32('sum weights');
      }
      break;
    case BucketAlg.Tree:
      b.numNodes = d.u8('num_nodes');
      b.nodeWeights = new Uint32Array(b.numNodes);
      for (let j = 0; j < b.numNodes; j++) b.nodeWeights[j] = d.u32('node weights');
      b.itemWeights = new Uint32Array(size);
      for (let j = 0; j < size; j++) {
        const node = ((j + 1) << 1) - 1;
        b.itemWeights[j] = node < b.numNodes ? b.nodeWeights[node]! : 0;
      }
      break;
    case BucketAlg.Straw:
      d.checkCount(size, 8, 'item weights');
      b.itemWeights = new Uint32Array(size);
      b.straws = new Uint32Array(size);
      for (let j = 0; j < size; j++) {
        b.itemWeights[j] = d.u32('item weights');
        b.straws[j] = d.u32('straws');
      }
      break;
    case BucketAlg.Straw2:
      b.itemWeights = new Uint32Array(size);
      for (let j = 0; j < size; j++) b.itemWeights[j] = d.u32('item weights');
      break;
  }
  return b;
}

const EMPTY_U32 = new Uint32Array(0);

function decodeRule(d: Decoder, ruleno: number): CrushRule | null {
  d.setContext('rule', ruleno);
  const present = d.u32('present flag');
  if (present === 0) return null;
  const len = d.u32('len');
  d.checkCount(len, 12, 'steps');
  const ruleset = d.u8('ruleset');
  const type = d.u8('type');
  const minSize = d.u8('min_size');
  const maxSize = d.u8('max_size');
  const steps: CrushRuleStep[] = new Array<CrushRuleStep>(len);
  for (let j = 0; j < len; j++) {
    const op = d.u32('step op');
    const arg1 = d.s32('step arg1');
    const arg2 = d.s32('step arg2');
    steps[j] = { op, arg1, arg2 };
  }
  return { mask: { ruleset, type, minSize, maxSize }, steps };
}

/**
 * Ceph's decode_32_or_64_string_map: keys are s32, but a long-fixed bug once wrote them as 64-bit; a
 * zero where the string length should be means the high key half came first, so the length follows.
 */
function decodeIntStringMap(d: Decoder, m: Map<number, string>, what: string): void {
  const n = d.count(what, 8);
  for (let i = 0; i < n; i++) {
    const key = d.s32(what);
    let len = d.u32(what);
    if (len === 0) len = d.u32(what);
    m.set(key, d.binaryStringBody(len, what));
  }
}

function decodeChooseArgs(d: Decoder, crush: CrushMap, names: CrushNames): void {
  const maxBuckets = crush.buckets.length;
  const n = d.count('choose_args', 12);
  for (let i = 0; i < n; i++) {
    d.setContext('');
    const key = d.s64('choose_args id');
    d.setContext('choose_args', key);
    const map: CrushChooseArgMap = new Array<CrushChooseArg | null>(maxBuckets).fill(null);
    const size = d.count('bucket count', 12);
    for (let j = 0; j < size; j++) {
      const bucketIndex = d.u32('bucket index');
      if (bucketIndex >= maxBuckets) {
        d.pos -= 4;
        d.malformed('bucket index', `bucket index ${bucketIndex} is not below max_buckets ${maxBuckets}`);
      }
      d.setContext(`choose_args ${key} bucket`, -1 - bucketIndex);
      const positions = d.count('weight_set positions', 4);
      const weightSet: Uint32Array[] = [];
      for (let k = 0; k < positions; k++) {
        const wsSize = d.count('weight_set size', 4);
        const ws = new Uint32Array(wsSize);
        for (let l = 0; l < wsSize; l++) ws[l] = d.u32('weight_set weights');
        weightSet.push(ws);
      }
      const idsSize = d.count('ids size', 4);
      let ids: Int32Array | null = null;
      if (idsSize > 0) {
        const b = crush.buckets[bucketIndex];
        if (!b || b.size !== idsSize) {
          d.pos -= 4;
          d.malformed('ids', `${idsSize} ids for a bucket of ${b ? b.size : 'no'} items`);
        }
        ids = new Int32Array(idsSize);
        for (let k = 0; k < idsSize; k++) ids[k] = d.s32('ids');
      }
      map[bucketIndex] = { ids, weightSet };
    }
    names.chooseArgs.set(key, map);
  }
  d.setContext('');
}

/** Refuse bucket items that name missing buckets, and cycles (the tree walkers would never end). */
function validateBucketGraph(d: Decoder, crush: CrushMap): void {
  const n = crush.buckets.length;
  for (const b of crush.buckets) {
    if (!b) continue;
    for (let j = 0; j < b.size; j++) {
      const item = b.items[j]!;
      if (item < 0 && (-1 - item >= n || !crush.buckets[-1 - item])) {
        d.setContext('bucket', b.id);
        d.malformed('items', `item ${item} is not an existing bucket`);
      }
    }
  }
  // 0 = unvisited, 1 = on the current path, 2 = done
  const state = new Uint8Array(n);
  const stack: number[] = [];
  const posStack: number[] = [];
  for (let root = 0; root < n; root++) {
    if (!crush.buckets[root] || state[root] !== 0) continue;
    stack.push(root);
    posStack.push(0);
    state[root] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const b = crush.buckets[top]!;
      const p = posStack[posStack.length - 1]!;
      if (p >= b.size) {
        state[top] = 2;
        stack.pop();
        posStack.pop();
        continue;
      }
      posStack[posStack.length - 1] = p + 1;
      const item = b.items[p]!;
      if (item >= 0) continue;
      const child = -1 - item;
      if (state[child] === 1) {
        d.setContext('bucket', b.id);
        d.malformed('items', `item ${item} makes a cycle`);
      }
      if (state[child] === 0) {
        state[child] = 1;
        stack.push(child);
        posStack.push(0);
      }
    }
  }
  d.setContext('');
}

/**
 * Ceph's update_choose_args after decode: drop args of missing or non-straw2 buckets, and resize weight
 * sets whose length differs from their bucket's size (keeping the leading weights, padding with 0).
 */
function tidyChooseArgs(crush: CrushMap, names: CrushNames): void {
  for (const map of names.chooseArgs.values()) {
    let positions = 1;
    for (const arg of map) {
      if (arg && arg.weightSet.length > 0) {
        positions = arg.weightSet.length;
        break;
      }
    }
    for (let j = 0; j < map.length; j++) {
      const arg = map[j];
      if (!arg) continue;
      const b = crush.buckets[j];
      if (!b || b.alg !== BucketAlg.Straw2) {
        map[j] = null;
        continue;
      }
      if (arg.weightSet.length === 0 || arg.weightSet.length !== positions) continue;
      for (let p = 0; p < arg.weightSet.length; p++) {
        const ws = arg.weightSet[p]!;
        if (ws.length !== b.size) {
          const fixed = new Uint32Array(b.size);
          fixed.set(ws.subarray(0, Math.min(ws.length, b.size)));
          arg.weightSet[p] = fixed;
        }
      }
    }
  }
}

/** Ceph's finalize(): max_devices is one past the largest device in a bucket or with a name. */
function finalizeMaxDevices(crush: CrushMap, names: CrushNames): void {
  let max = 0;
  for (const b of crush.buckets) {
    if (!b) continue;
    for (let j = 0; j < b.size; j++) if (b.items[j]! >= max) max = b.items[j]! + 1;
  }
  let maxName = -1;
  for (const k of names.nameMap.keys()) if (k > maxName) maxName = k;
  if (names.nameMap.size > 0 && maxName >= max) max = maxName + 1;
  crush.maxDevices = max;
}


