// The CRUSH data model, shared by every module in crush/ and by its users.
//
// Two layers, as in Ceph:
//  - CrushMap mirrors Ceph's C `struct crush_map` (src/crush/crush.h): buckets, rules, tunables. The
//    mapper (crush_do_rule) needs only this layer.
//  - CrushWrapper (crush/wrapper.ts) adds what Ceph's C++ CrushWrapper adds: names of types, items and
//    rules, device classes and their shadow trees, and choose_args (weight sets). Its plain data lives in
//    CrushNames below so that the encoder, compiler and decompiler can all read it.
//
// All weights are 16.16 fixed point unsigned integers (0x10000 == 1.0), stored in plain numbers or
// Uint32Array. Item ids are signed 32-bit: devices >= 0, buckets < 0 (bucket id b lives at index -1-b).

export const CRUSH_MAGIC = 0x00010000;
export const CRUSH_MAX_DEPTH = 10;
export const CRUSH_MAX_RULESET = 1 << 8;
export const CRUSH_MAX_RULES = CRUSH_MAX_RULESET;
export const CRUSH_MAX_DEVICE_WEIGHT = 100 * 0x10000;
export const CRUSH_MAX_BUCKET_WEIGHT = 65535 * 0x10000;
/** Slot not yet decided (internal to indep). */
export const CRUSH_ITEM_UNDEF = 0x7ffffffe;
/** A hole: no item could be placed at this position (indep). */
export const CRUSH_ITEM_NONE = 0x7fffffff;
export const CRUSH_HASH_RJENKINS1 = 0;
export const CRUSH_HASH_DEFAULT = CRUSH_HASH_RJENKINS1;

export const enum BucketAlg {
  Uniform = 1,
  List = 2,
  Tree = 3,
  Straw = 4,
  Straw2 = 5,
}

export const CRUSH_LEGACY_ALLOWED_BUCKET_ALGS =
  (1 << BucketAlg.Uniform) | (1 << BucketAlg.List) | (1 << BucketAlg.Straw);

export const enum RuleOp {
  Noop = 0,
  Take = 1, // arg1 = value to start with
  ChooseFirstN = 2, // arg1 = num items to pick, arg2 = type
  ChooseIndep = 3, // same
  Emit = 4, // no args
  ChooseleafFirstN = 6,
  ChooseleafIndep = 7,
  SetChooseTries = 8, // override choose_total_tries
  SetChooseleafTries = 9, // override chooseleaf_descend_once
  SetChooseLocalTries = 10,
  SetChooseLocalFallbackTries = 11,
  SetChooseleafVaryR = 12,
  SetChooseleafStable = 13,
}

/** Rule types as in Ceph's pg_pool_t / CrushWrapper: 1 replicated, 3 erasure. */
export const enum RuleType {
  Replicated = 1,
  Erasure = 3,
}

export interface CrushRuleStep {
  op: number; // RuleOp
  arg1: number; // signed 32
  arg2: number; // signed 32
}

/** Pacific still carries the rule mask (ruleset, type, min_size, max_size), each a u8 on the wire. */
export interface CrushRuleMask {
  ruleset: number;
  type: number;
  minSize: number;
  maxSize: number;
}

export interface CrushRule {
  mask: CrushRuleMask;
  steps: CrushRuleStep[];
}

/**
 * One bucket. Every bucket has every field so the mapper sees a single object shape; the fields an
 * algorithm does not use are empty arrays / 0.
 *  - uniform: itemWeight (all items share it)
 *  - list:    itemWeights[i], sumWeights[i] (sum of weights of items 0..i)
 *  - tree:    numNodes, nodeWeights (binary tree in an array, leaves at odd indices)
 *  - straw:   itemWeights[i], straws[i] (precomputed by straw_calc_version 0 or 1)
 *  - straw2:  itemWeights[i]
 */
export interface CrushBucket {
  id: number; // < 0
  type: number; // u16, a type id from CrushNames.typeMap (0 is the device type)
  alg: BucketAlg;
  hash: number; // u8, CRUSH_HASH_RJENKINS1
  weight: number; // u32 16.16, sum of item weights
  size: number; // number of items
  items: Int32Array;
  itemWeight: number; // uniform only
  itemWeights: Uint32Array; // list, straw, straw2 (and filled with itemWeight for uniform)
  sumWeights: Uint32Array; // list only
  numNodes: number; // tree only (u8 on the wire)
  nodeWeights: Uint32Array; // tree only
  straws: Uint32Array; // straw only
}

/** Tunables, with Ceph's field names in camelCase. Defaults are Ceph's "legacy" profile values. */
export interface CrushTunables {
  chooseLocalTries: number;
  chooseLocalFallbackTries: number;
  chooseTotalTries: number;
  chooseleafDescendOnce: number;
  chooseleafVaryR: number;
  chooseleafStable: number;
  strawCalcVersion: number;
  allowedBucketAlgs: number;
}

/** Ceph's `struct crush_map`. */
export interface CrushMap extends CrushTunables {
  /** Indexed by -1-id; length is max_buckets. */
  buckets: (CrushBucket | null)[];
  /** Indexed by rule id; length is max_rules. */
  rules: (CrushRule | null)[];
  maxDevices: number;
}

/** One bucket's entry in a choose_args set (Ceph's crush_choose_arg). */
export interface CrushChooseArg {
  /** Replacement ids used for hashing (straw2), or null. Length == bucket size when present. */
  ids: Int32Array | null;
  /** One weight vector per position; each has bucket-size entries. Empty when absent. */
  weightSet: Uint32Array[];
}

/** A choose_args set, indexed by -1-bucketId (length max_buckets); null where a bucket has none. */
export type CrushChooseArgMap = (CrushChooseArg | null)[];

/** The names and classes the C++ CrushWrapper keeps beside the C map. */
export interface CrushNames {
  typeMap: Map<number, string>; // type id -> name
  nameMap: Map<number, string>; // item id -> name
  ruleNameMap: Map<number, string>; // rule id -> name
  classMap: Map<number, number>; // item id -> class id
  className: Map<number, string>; // class id -> name
  /** bucket id -> (class id -> shadow bucket id) */
  classBucket: Map<number, Map<number, number>>;
  /** choose_args sets keyed by their int64 id (a pool id, or -1 for the default / compat set). */
  chooseArgs: Map<number, CrushChooseArgMap>;
}

export const DEFAULT_CHOOSE_ARGS = -1;

/** Empty names, as a freshly created CrushWrapper has them. */
export function emptyCrushNames(): CrushNames {
  return {
    typeMap: new Map(),
    nameMap: new Map(),
    ruleNameMap: new Map(),
    classMap: new Map(),
    className: new Map(),
    classBucket: new Map(),
    chooseArgs: new Map(),
  };
}

/** Build the default (legacy) tunables, as crush_create() sets them. */
export function legacyTunables(): CrushTunables {
  return {
    chooseLocalTries: 2,
    chooseLocalFallbackTries: 5,
    chooseTotalTries: 19,
    chooseleafDescendOnce: 0,
    chooseleafVaryR: 0,
    chooseleafStable: 0,
    strawCalcVersion: 0,
    allowedBucketAlgs: CRUSH_LEGACY_ALLOWED_BUCKET_ALGS,
  };
}
