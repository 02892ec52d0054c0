// The CRUSH map model with names, device classes, shadow trees and choose_args, as Ceph 16.2's C++
// CrushWrapper keeps it (src/crush/CrushWrapper.{h,cc}). The C-level map lives in `crush`; the names,
// classes, shadow-tree index and weight sets in `names`. Methods keep Ceph's names in camelCase and
// Ceph's conventions: they return 0 / a count / an id on success and a negative errno on failure, so a
// shell (bin/crushtool, the monitor) can report exactly what Ceph reports.
//
// Ordering: Ceph keeps these tables in std::map, which iterates in key order; JS Maps iterate in
// insertion order. Every walk below that can change ids, output or placement goes through sortedKeys().

import { CephError, Errno, strerror } from '../common/errors.js';
import {
  addBucket as crushAddBucket,
  addRule as crushAddRule,
  bucketAddItem as crushBucketAddItem,
  bucketAdjustItemWeight as crushBucketAdjustItemWeight,
  bucketRemoveItem as crushBucketRemoveItem,
  crushCreate,
  finalize as crushFinalize,
  getBucketItemWeight,
  makeBucket,
  makeRule,
  removeBucket as crushRemoveBucket,
  reweightBucket as crushReweightBucket,
} from './builder.js';
import { CrushWork, crushDoRule } from './mapper.js';
import { setTunablesProfile as coreSetTunablesProfile, TunablesProfile } from './tunables.js';
import {
  BucketAlg,
  CRUSH_HASH_DEFAULT,
  CrushBucket,
  CrushChooseArg,
  CrushChooseArgMap,
  CrushMap,
  CrushNames,
  CrushRule,
  CrushRuleStep,
  DEFAULT_CHOOSE_ARGS,
  emptyCrushNames,
  RuleOp,
  RuleType,
} from './types.js';

export type { TunablesProfile };

/** A location: type name -> bucket name (Ceph's std::map<string,string> loc). */
export type CrushLocation = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

/** Ceph's cpp_strerror(): "(2) No such file or directory". */
function errnoText(r: number): string {
  return `(${Math.abs(r)}) ${strerror(r)}`;
}

/** Keys of a numeric-keyed Map in ascending order (std::map order). */
export function sortedKeys<V>(m: ReadonlyMap<number, V>): number[] {
  return [...m.keys()].sort((a, b) => a - b);
}

/**
 * choose_args keys in Pacific's order: the map is keyed by int64 (-1 is the compat set), so negative
 * ids come first, although the decompiler prints them as uint64.
 */
export function chooseArgsKeys(m: ReadonlyMap<number, unknown>): number[] {
  return sortedKeys(m);
}

/** A choose_args id as crushtool -d prints it (as a uint64). */
export function chooseArgsIdString(id: number): string {
  return id < 0 ? BigInt.asUintN(64, BigInt(id)).toString() : String(id);
}

function locMap(loc: CrushLocation): Map<string, string> {
  if (loc instanceof Map) return new Map(loc as ReadonlyMap<string, string>);
  return new Map(Object.entries(loc as Record<string, string>));
}

/** std::map<string,...> order: byte-wise; for ASCII names that is UTF-16 code unit order. */
function sortedStringKeys<V>(m: ReadonlyMap<string, V>): string[] {
  return [...m.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** C's (int)(f * (float)0x10000) for a float weight, with the float rounding Ceph gets. */
export function weightfToFixed(weight: number): number {
  const w = Math.fround(Math.fround(weight) * 65536);
  // C's (int) of a float out of int's range (or NaN) is x86's "integer indefinite", INT_MIN.
  if (!(w > -2147483649 && w < 2147483648)) return -2147483648;
  return Math.trunc(w) | 0;
}

/** Ceph's validate_weightf(): -EOVERFLOW when the 16.16 weight does not fit an int. */
export function validateWeightf(weight: number): number {
  const w = Math.fround(Math.fround(weight) * 65536);
  // Ceph converts the float to uint64 first. On x86-64 a value at or past 2^64 (and +inf) converts to
  // 0 (the out-of-range result 2^63 is xored away), so such weights pass; Ceph then stores them as
  // (int) of the float, INT_MIN.
  if (w >= 18446744073709551616) return 0;
  if (!(w > -1) || w >= 2147483648) return -Errno.EOVERFLOW; // negative or NaN: huge as uint64
  return 0;
}

/**
 * Thrown where Ceph 16.2's CrushWrapper fails a ceph_assert on the given input, so Ceph's process
 * aborts (crushtool exits 134). tsceph stops the operation with this error instead of corrupting the
 * map; `crushtoolAborts` tells bin/crushtool to end with Ceph's status.
 */
export class CrushAssertError extends CephError {
  readonly crushtoolAborts = true;
  readonly crushtoolMessage: string;
  constructor(where: string, what: string) {
    super('EINVAL', `${where}: ${what} (Ceph 16.2 fails an assertion here)`);
    this.name = 'CrushAssertError';
    this.crushtoolMessage = `crushtool: ${where}: ${what}: Ceph 16.2 fails an assertion here\n`;
  }
}

/**
 * choose_args entries that device_class_clone made for a shadow bucket whose original has no weight
 * set. Ceph allocates their weight_set with zero positions (calloc(0) is not NULL with glibc), and
 * adjust_item_weight_in_bucket asserts on such an entry; an entry decoded or compiled without weight
 * sets has a NULL weight_set and is skipped. The two look alike in CrushChooseArg, so the wrapper
 * remembers the first kind here.
 */
const emptyAllocatedWeightSets = new WeakSet<CrushChooseArg>();

/**
 * The memory behind a weight set that bucket_remove_item shrank. Ceph shifts the weights down in place
 * and reallocs to one fewer; glibc shrinks such a small block in place, so the old last weight stays
 * readable past the new end. A tree bucket keeps its size when an item other than the last leaves
 * (the slot stays, as item 0), so the sums and writes that walk b->size positions of the weight set
 * read and write that slack: a weight-set total then counts the last weight twice, as in Ceph.
 * Maps a shrunk weight set (a view) to the whole array it was cut from.
 */
const weightSetSlack = new WeakMap<Uint32Array, Uint32Array>();

/** weights[i] as Ceph reads it: within the block that realloc kept, else 0. */
function weightSetRead(ws: Uint32Array, i: number): number {
  if (i < ws.length) return ws[i]!;
  const whole = weightSetSlack.get(ws);
  return whole && i < whole.length ? whole[i]! : 0;
}

/** weights[i] = v as Ceph writes it: into the block's slack too (a write past that is dropped). */
function weightSetWrite(ws: Uint32Array, i: number, v: number): void {
  if (i < ws.length) ws[i] = v >>> 0;
  else {
    const whole = weightSetSlack.get(ws);
    if (whole && i < whole.length) whole[i] = v >>> 0;
  }
}

function newArg(): CrushChooseArg {
  return { ids: null, weightSet: [] };
}

/** Ceph's CrushWrapper. */
export class CrushWrapper {
  crush: CrushMap;
  names: CrushNames;

  private haveRmaps = false;
  private typeRmap = new Map<string, number>();
  private nameRmap = new Map<string, number>();
  private ruleNameRmap = new Map<string, number>();
  private work: CrushWork | null = null;
  private workResultMax = 0;
  private workMap: CrushMap | null = null;

  /** With no arguments, a new empty map as Ceph's constructor makes it (default tunables). */
  constructor(crush?: CrushMap, names?: CrushNames) {
    if (crush) {
      this.crush = crush;
      this.names = names ?? emptyCrushNames();
    } else {
      this.crush = crushCreate();
      this.names = emptyCrushNames();
      this.setTunablesDefault();
    }
  }

  /** Wrap a decoded {crush, names} pair. */
  static from(m: { crush: CrushMap; names: CrushNames }): CrushWrapper {
    return new CrushWrapper(m.crush, m.names);
  }

  /** create(): start over with an empty map and the default tunables. */
  create(): void {
    this.crush = crushCreate();
    this.names = emptyCrushNames();
    this.invalidateRmaps();
    this.work = null;
    this.setTunablesDefault();
  }

  /** Call after changing `names` directly: the name -> id caches are rebuilt on next use. */
  invalidateRmaps(): void {
    this.haveRmaps = false;
  }

  private buildRmaps(): void {
    if (this.haveRmaps) return;
    const build = (f: ReadonlyMap<number, string>, r: Map<string, number>): void => {
      r.clear();
      for (const k of sortedKeys(f)) r.set(f.get(k)!, k);
    };
    build(this.names.typeMap, this.typeRmap);
    build(this.names.nameMap, this.nameRmap);
    build(this.names.ruleNameMap, this.ruleNameRmap);
    this.haveRmaps = true;
  }

  // ---------------------------------------------------------------------------------------------
  // Tunables

  setTunablesProfile(profile: TunablesProfile): void {
    coreSetTunablesProfile(this.crush, profile);
  }
  setTunablesLegacy(): void {
    this.setTunablesProfile('legacy');
  }
  setTunablesArgonaut(): void {
    this.setTunablesProfile('argonaut');
  }
  setTunablesBobtail(): void {
    this.setTunablesProfile('bobtail');
  }
  setTunablesFirefly(): void {
    this.setTunablesProfile('firefly');
  }
  setTunablesHammer(): void {
    this.setTunablesProfile('hammer');
  }
  setTunablesJewel(): void {
    this.setTunablesProfile('jewel');
  }
  setTunablesOptimal(): void {
    this.setTunablesProfile('optimal');
  }
  setTunablesDefault(): void {
    this.setTunablesProfile('default');
  }

  // The tunable setters store what Ceph's u32 / u8 struct fields would hold.
  setChooseLocalTries(n: number): void {
    this.crush.chooseLocalTries = n >>> 0;
  }
  setChooseLocalFallbackTries(n: number): void {
    this.crush.chooseLocalFallbackTries = n >>> 0;
  }
  setChooseTotalTries(n: number): void {
    this.crush.chooseTotalTries = n >>> 0;
  }
  setChooseleafDescendOnce(n: number): void {
    this.crush.chooseleafDescendOnce = n ? 1 : 0;
  }
  setChooseleafVaryR(n: number): void {
    this.crush.chooseleafVaryR = n & 0xff;
  }
  setChooseleafStable(n: number): void {
    this.crush.chooseleafStable = n & 0xff;
  }
  setStrawCalcVersion(n: number): void {
    this.crush.strawCalcVersion = n & 0xff;
  }
  setAllowedBucketAlgs(n: number): void {
    this.crush.allowedBucketAlgs = n >>> 0;
  }

  /** get_default_bucket_alg(): the preferred algorithm the tunables allow, 0 if none. */
  getDefaultBucketAlg(): number {
    const a = this.crush.allowedBucketAlgs;
    if (a & (1 << BucketAlg.Straw2)) return BucketAlg.Straw2;
    if (a & (1 << BucketAlg.Straw)) return BucketAlg.Straw;
    if (a & (1 << BucketAlg.Tree)) return BucketAlg.Tree;
    if (a & (1 << BucketAlg.List)) return BucketAlg.List;
    if (a & (1 << BucketAlg.Uniform)) return BucketAlg.Uniform;
    return 0;
  }

  // ---------------------------------------------------------------------------------------------
  // Types

  getNumTypeNames(): number {
    return this.names.typeMap.size;
  }
  getMaxTypeId(): number {
    const k = sortedKeys(this.names.typeMap);
    return k.length ? k[k.length - 1]! : 0;
  }
  /** The type id for a name, or -1. */
  getTypeId(name: string): number {
    this.buildRmaps();
    return this.typeRmap.get(name) ?? -1;
  }
  getTypeName(t: number): string | undefined {
    return this.names.typeMap.get(t);
  }
  setTypeName(t: number, name: string): void {
    this.names.typeMap.set(t, name);
    if (this.haveRmaps) this.typeRmap.set(name, t);
  }

  // ---------------------------------------------------------------------------------------------
  // Item names

  static isValidCrushName(s: string): boolean {
    return /^[-_.0-9A-Za-z]+$/.test(s);
  }
  nameExists(name: string): boolean {
    this.buildRmaps();
    return this.nameRmap.has(name);
  }
  itemExists(i: number): boolean {
    return this.names.nameMap.has(i);
  }
  /** The id of a named item, or 0 when there is none (as Ceph). */
  getItemId(name: string): number {
    this.buildRmaps();
    return this.nameRmap.get(name) ?? 0;
  }
  getItemName(i: number): string | undefined {
    return this.names.nameMap.get(i);
  }
  /** Returns 0, or -EINVAL for a name outside [-_.0-9A-Za-z]+. */
  setItemName(i: number, name: string): number {
    if (!CrushWrapper.isValidCrushName(name)) return -Errno.EINVAL;
    this.names.nameMap.set(i, name);
    if (this.haveRmaps) this.nameRmap.set(name, i);
    return 0;
  }
  /** Name an item without validation (shadow buckets carry '~'). */
  private setItemNameRaw(i: number, name: string): void {
    this.names.nameMap.set(i, name);
    if (this.haveRmaps) this.nameRmap.set(name, i);
  }
  private removeItemName(i: number): void {
    if (this.names.nameMap.delete(i)) this.haveRmaps = false;
  }
  /** is_shadow_item(): a named item whose name is not a valid crush name ("host~ssd"). */
  isShadowItem(id: number): boolean {
    const n = this.getItemName(id);
    return n !== undefined && !CrushWrapper.isValidCrushName(n);
  }

  /** split_id_class(): for a shadow bucket, the original bucket and the class. */
  splitIdClass(i: number): { ret: number; id: number; cls: number } {
    const name = this.getItemName(i);
    if (name === undefined) return { ret: -Errno.EINVAL, id: 0, cls: -1 };
    const pos = name.indexOf('~');
    if (pos < 0) return { ret: 0, id: i, cls: -1 };
    const base = name.slice(0, pos);
    if (!this.nameExists(base)) return { ret: -Errno.ENOENT, id: 0, cls: -1 };
    const cname = name.slice(pos + 1);
    if (!this.classExists(cname)) return { ret: -Errno.ENOENT, id: 0, cls: -1 };
    return { ret: 0, id: this.getItemId(base), cls: this.getClassId(cname) };
  }

  // ---------------------------------------------------------------------------------------------
  // Rules

  getMaxRules(): number {
    return this.crush.rules.length;
  }
  /** By id or by name. */
  ruleExists(rule: number | string): boolean {
    if (typeof rule === 'string') {
      this.buildRmaps();
      return this.ruleNameRmap.has(rule);
    }
    return rule >= 0 && rule < this.crush.rules.length && this.crush.rules[rule] != null;
  }
  /** The rule id for a name, or -ENOENT. */
  getRuleId(name: string): number {
    this.buildRmaps();
    return this.ruleNameRmap.get(name) ?? -Errno.ENOENT;
  }
  getRuleName(i: number): string | undefined {
    return this.names.ruleNameMap.get(i);
  }
  setRuleName(i: number, name: string): void {
    this.names.ruleNameMap.set(i, name);
    if (this.haveRmaps) this.ruleNameRmap.set(name, i);
  }
  getRule(ruleno: number): CrushRule | null {
    if (ruleno < 0 || ruleno >= this.crush.rules.length) return null;
    return this.crush.rules[ruleno] ?? null;
  }
  /**
   * add_rule(): an empty rule of `len` noop steps at `ruleno` (-1 = first free), with Pacific's mask
   * (ruleset = ruleno; each mask field a u8). Returns the rule number or a negative errno.
   */
  addRule(ruleno: number, len: number, type: number, minSize: number, maxSize: number): number {
    const steps: CrushRuleStep[] = [];
    for (let i = 0; i < len; i++) steps.push({ op: RuleOp.Noop, arg1: 0, arg2: 0 });
    const rule = makeRule(steps, ruleno & 0xff, type & 0xff, minSize & 0xff, maxSize & 0xff);
    try {
      return crushAddRule(this.crush, rule, ruleno);
    } catch {
      return -Errno.ENOSPC;
    }
  }
  setRuleStep(ruleno: number, step: number, op: number, arg1: number, arg2: number): number {
    const r = this.getRule(ruleno);
    if (!r || step >= r.steps.length) return -1;
    r.steps[step] = { op, arg1: arg1 | 0, arg2: arg2 | 0 };
    return 0;
  }

  /**
   * add_simple_rule() as Pacific's `osd crush rule create-replicated/-simple` and crushtool's
   * --create-simple-rule / --create-replicated-rule make it. Returns the rule id, or a negative errno
   * with the reason in err.message.
   */
  addSimpleRule(
    name: string,
    rootName: string,
    failureDomainName: string,
    deviceClass: string,
    mode: string,
    ruleType: number = RuleType.Replicated,
    err?: { message: string },
  ): number {
    return this.addSimpleRuleAt(name, rootName, failureDomainName, deviceClass, mode, ruleType, -1, err);
  }

  addSimpleRuleAt(
    name: string,
    rootName: string,
    failureDomainName: string,
    deviceClass: string,
    mode: string,
    ruleType: number,
    rno: number,
    err?: { message: string },
  ): number {
    const fail = (code: number, msg: string): number => {
      if (err) err.message = msg;
      return code;
    };
    if (this.ruleExists(name)) return fail(-Errno.EEXIST, `rule ${name} exists`);
    if (rno >= 0) {
      if (this.ruleExists(rno)) return fail(-Errno.EEXIST, `rule with ruleno ${rno} exists`);
      if (this.rulesetExists(rno)) return fail(-Errno.EEXIST, `ruleset ${rno} exists`);
    } else {
      for (rno = 0; rno < this.getMaxRules(); rno++) {
        if (!this.ruleExists(rno) && !this.rulesetExists(rno)) break;
      }
    }
    if (!this.nameExists(rootName)) return fail(-Errno.ENOENT, `root item ${rootName} does not exist`);
    let root = this.getItemId(rootName);
    let type = 0;
    if (failureDomainName.length) {
      type = this.getTypeId(failureDomainName);
      if (type < 0) return fail(-Errno.EINVAL, `unknown type ${failureDomainName}`);
    }
    if (deviceClass.length) {
      if (!this.classExists(deviceClass)) {
        return fail(-Errno.EINVAL, `device class ${deviceClass} does not exist`);
      }
      const c = this.getClassId(deviceClass);
      const shadow = this.names.classBucket.get(root)?.get(c);
      if (shadow === undefined) {
        return fail(-Errno.EINVAL, `root ${rootName} has no devices with class ${deviceClass}`);
      }
      root = shadow;
    }
    if (mode !== 'firstn' && mode !== 'indep') return fail(-Errno.EINVAL, `unknown mode ${mode}`);
    const indep = mode === 'indep';
    const steps: CrushRuleStep[] = [];
    if (indep) {
      steps.push({ op: RuleOp.SetChooseleafTries, arg1: 5, arg2: 0 });
      steps.push({ op: RuleOp.SetChooseTries, arg1: 100, arg2: 0 });
    }
    steps.push({ op: RuleOp.Take, arg1: root, arg2: 0 });
    if (type) {
      steps.push({ op: indep ? RuleOp.ChooseleafIndep : RuleOp.ChooseleafFirstN, arg1: 0, arg2: type });
    } else {
      steps.push({ op: indep ? RuleOp.ChooseIndep : RuleOp.ChooseFirstN, arg1: 0, arg2: 0 });
    }
    steps.push({ op: RuleOp.Emit, arg1: 0, arg2: 0 });
    const rule = makeRule(steps, rno & 0xff, ruleType & 0xff, indep ? 3 : 1, indep ? 20 : 10);
    let ret: number;
    try {
      ret = crushAddRule(this.crush, rule, rno);
    } catch {
      ret = -Errno.ENOSPC;
    }
    if (ret < 0) return fail(ret, `failed to add rule ${rno} because (28) No space left on device`);
    this.setRuleName(rno, name);
    this.haveRmaps = false;
    return rno;
  }

  rulesetExists(ruleset: number): boolean {
    for (let i = 0; i < this.crush.rules.length; i++) {
      const r = this.crush.rules[i];
      if (r && r.mask.ruleset === ruleset) return true;
    }
    return false;
  }

  /** remove_rule(): returns 0, or -ENOENT. Rebuilds the shadow trees (a class may die with it). */
  removeRule(ruleno: number): number {
    if (ruleno < 0 || ruleno >= this.crush.rules.length || !this.crush.rules[ruleno]) return -Errno.ENOENT;
    this.crush.rules[ruleno] = null;
    this.names.ruleNameMap.delete(ruleno);
    this.haveRmaps = false;
    return this.rebuildRootsWithClasses();
  }

  // ---------------------------------------------------------------------------------------------
  // Buckets

  getMaxBuckets(): number {
    return this.crush.buckets.length;
  }
  getMaxDevices(): number {
    return this.crush.maxDevices;
  }
  getBucket(id: number): CrushBucket | null {
    const pos = -1 - id;
    if (pos < 0 || pos >= this.crush.buckets.length) return null;
    return this.crush.buckets[pos] ?? null;
  }
  bucketExists(id: number): boolean {
    return this.getBucket(id) !== null;
  }
  getBucketWeight(id: number): number {
    const b = this.getBucket(id);
    return b ? b.weight : -Errno.ENOENT;
  }
  getBucketWeightf(id: number): number {
    const b = this.getBucket(id);
    return b ? Math.fround(b.weight / 65536) : 0;
  }
  getBucketType(id: number): number {
    const b = this.getBucket(id);
    return b ? b.type : -Errno.ENOENT;
  }
  getBucketSize(id: number): number {
    const b = this.getBucket(id);
    return b ? b.size : -Errno.ENOENT;
  }
  getBucketItem(id: number, pos: number): number {
    const b = this.getBucket(id);
    if (!b) return -Errno.ENOENT;
    if (pos < 0 || pos >= b.size) return -Errno.ENOENT;
    return b.items[pos]!;
  }
  /** The item's 16.16 weight at `pos`, as a u32. */
  getBucketItemWeight(id: number, pos: number): number {
    const b = this.getBucket(id);
    return b ? getBucketItemWeight(b, pos) >>> 0 : -Errno.ENOENT;
  }

  /**
   * add_bucket(): make a bucket (alg 0 = the default for the tunables) holding `items` and store it at
   * `bucketno` (0 = first free id). Keeps every choose_args set sized to max_buckets and gives the new
   * bucket weight sets copied from `weights`. Returns {ret: 0, id} or {ret: negative errno, id: 0}.
   */
  addBucket(
    bucketno: number,
    alg: number,
    hash: number,
    type: number,
    items: ArrayLike<number>,
    weights: ArrayLike<number>,
  ): { ret: number; id: number } {
    if (alg === 0) {
      alg = this.getDefaultBucketAlg();
      if (alg === 0) return { ret: -Errno.EINVAL, id: 0 };
    }
    let b: CrushBucket;
    try {
      b = makeBucket(this.crush, alg as BucketAlg, hash & 0xff, type & 0xffff, items, weights);
    } catch {
      return { ret: -Errno.EINVAL, id: 0 };
    }
    let id: number;
    try {
      id = crushAddBucket(this.crush, bucketno, b);
    } catch (e) {
      return { ret: (e as { code?: string }).code === 'EEXIST' ? -Errno.EEXIST : -Errno.EINVAL, id: 0 };
    }
    const pos = -1 - id;
    const size = items.length;
    for (const key of chooseArgsKeys(this.names.chooseArgs)) {
      const cmap = this.names.chooseArgs.get(key)!;
      while (cmap.length < this.crush.buckets.length) cmap.push(null);
      if (size > 0) {
        const positions = this.getChooseArgsPositions(cmap);
        const carg = newArg();
        for (let p = 0; p < positions; p++) {
          const w = new Uint32Array(size);
          for (let i = 0; i < size; i++) w[i] = weights[i]! >>> 0;
          carg.weightSet.push(w);
        }
        cmap[pos] = carg;
      }
    }
    return { ret: 0, id };
  }

  /** bucket_add_item(): add to the bucket and to its weight sets / ids in every choose_args set. */
  bucketAddItem(b: CrushBucket, item: number, weight: number): number {
    const r = crushBucketAddItem(this.crush, b, item, weight);
    if (r < 0) return r;
    for (const key of chooseArgsKeys(this.names.chooseArgs)) {
      const arg = this.names.chooseArgs.get(key)![-1 - b.id];
      if (!arg) continue;
      for (let j = 0; j < arg.weightSet.length; j++) {
        const old = arg.weightSet[j]!;
        const w = new Uint32Array(old.length + 1);
        w.set(old);
        w[old.length] = weight >>> 0;
        arg.weightSet[j] = w;
      }
      if (arg.ids && arg.ids.length) {
        const ids = new Int32Array(arg.ids.length + 1);
        ids.set(arg.ids);
        ids[arg.ids.length] = item;
        arg.ids = ids;
      }
    }
    return 0;
  }

  /** bucket_remove_item(): remove from the bucket and from its weight sets / ids. */
  bucketRemoveItem(b: CrushBucket, item: number): number {
    let position = 0;
    for (; position < b.size; position++) if (b.items[position] === item) break;
    if (position === b.size) return -Errno.ENOENT;
    const r = crushBucketRemoveItem(this.crush, b, item);
    if (r < 0) return r;
    for (const key of chooseArgsKeys(this.names.chooseArgs)) {
      const arg = this.names.chooseArgs.get(key)![-1 - b.id];
      if (!arg) continue;
      for (let j = 0; j < arg.weightSet.length; j++) {
        const old = arg.weightSet[j]!;
        if (old.length <= 1) {
          arg.weightSet[j] = new Uint32Array(0);
          continue;
        }
        // shift down in place and keep the block: the old last weight stays behind the new end
        const whole = weightSetSlack.get(old) ?? old;
        for (let k = position; k + 1 < old.length; k++) old[k] = old[k + 1]!;
        const w = whole.subarray(0, old.length - 1);
        weightSetSlack.set(w, whole);
        arg.weightSet[j] = w;
      }
      if (arg.ids && arg.ids.length) {
        const ids = new Int32Array(arg.ids.length - 1);
        for (let k = 0, o = 0; k < arg.ids.length; k++) if (k !== position) ids[o++] = arg.ids[k]!;
        arg.ids = ids.length ? ids : null;
      }
    }
    return 0;
  }

  /** bucket_adjust_item_weight(): optionally set the item's weight in every weight set too. */
  bucketAdjustItemWeight(b: CrushBucket, item: number, weight: number, adjustWeightSets: boolean): number {
    if (adjustWeightSets) {
      let position = 0;
      for (; position < b.size; position++) if (b.items[position] === item) break;
      for (const key of chooseArgsKeys(this.names.chooseArgs)) {
        const arg = this.names.chooseArgs.get(key)![-1 - b.id];
        if (!arg) continue;
        for (const ws of arg.weightSet) if (position < ws.length) ws[position] = weight >>> 0;
      }
    }
    return crushBucketAdjustItemWeight(this.crush, b, item, weight >>> 0);
  }

  // ---------------------------------------------------------------------------------------------
  // Hierarchy queries

  findRoots(): Set<number> {
    const roots: number[] = [];
    for (const b of this.crush.buckets) if (b && !this.searchItemExists(b.id)) roots.push(b.id);
    return new Set(roots.sort((a, b) => a - b));
  }
  findShadowRoots(): number[] {
    return [...this.findRoots()].filter((r) => this.isShadowItem(r));
  }
  findNonshadowRoots(): number[] {
    return [...this.findRoots()].filter((r) => !this.isShadowItem(r));
  }
  /** Roots named by a rule's take steps, ascending. */
  findTakes(): number[] {
    const s = new Set<number>();
    for (const r of this.crush.rules) {
      if (!r) continue;
      for (const st of r.steps) if (st.op === RuleOp.Take) s.add(st.arg1);
    }
    return [...s].sort((a, b) => a - b);
  }

  /** subtree_contains(): is item at or under root? (walked with an explicit stack) */
  subtreeContains(root: number, item: number): boolean {
    const todo = [root];
    while (todo.length) {
      const r = todo.pop()!;
      if (r === item) return true;
      if (r >= 0) continue;
      const b = this.getBucket(r);
      if (!b) continue;
      for (let j = b.size - 1; j >= 0; j--) todo.push(b.items[j]!);
    }
    return false;
  }

  private searchItemExists(item: number): boolean {
    for (const b of this.crush.buckets) {
      if (!b) continue;
      for (let j = 0; j < b.size; j++) if (b.items[j] === item) return true;
    }
    return false;
  }
  /** check_item_present(). */
  checkItemPresent(id: number): boolean {
    return this.searchItemExists(id);
  }

  private bucketIsInUse(item: number): boolean {
    for (const m of this.names.classBucket.values()) for (const v of m.values()) if (v === item) return true;
    for (const r of this.crush.rules) {
      if (!r) continue;
      for (const st of r.steps) {
        if (st.op !== RuleOp.Take) continue;
        const s = this.splitIdClass(st.arg1);
        if (s.ret < 0) return false;
        if (st.arg1 === item || s.id === item) return true;
      }
    }
    return false;
  }

  /** get_immediate_parent(): (type name, bucket name) of the first non-shadow bucket holding id. */
  getImmediateParent(id: number): { ret: number; type: string; name: string } {
    for (const b of this.crush.buckets) {
      if (!b || this.isShadowItem(b.id)) continue;
      for (let i = 0; i < b.size; i++) {
        if (b.items[i] === id) {
          return { ret: 0, type: this.getTypeName(b.type) ?? '', name: this.getItemName(b.id) ?? '' };
        }
      }
    }
    return { ret: -Errno.ENOENT, type: '', name: '' };
  }
  /** get_immediate_parent_id(): the id of the first non-shadow bucket holding id, or null (Ceph's -ENOENT). */
  getImmediateParentId(id: number): number | null {
    for (const b of this.crush.buckets) {
      if (!b || this.isShadowItem(b.id)) continue;
      for (let i = 0; i < b.size; i++) if (b.items[i] === id) return b.id;
    }
    return null;
  }

  /**
   * check_item_loc(): is the item directly inside the bucket named for the lowest type given in loc?
   * Returns the item's weight there when found.
   */
  checkItemLoc(item: number, loc: CrushLocation): { found: boolean; weight: number } {
    const l = locMap(loc);
    for (const t of sortedKeys(this.names.typeMap)) {
      if (t === 0) continue;
      const bname = l.get(this.names.typeMap.get(t)!);
      if (bname === undefined) continue;
      if (!this.nameExists(bname)) return { found: false, weight: 0 };
      const id = this.getItemId(bname);
      if (id >= 0) return { found: false, weight: 0 };
      const b = this.getBucket(id);
      if (!b) return { found: false, weight: 0 };
      for (let j = 0; j < b.size; j++) {
        if (b.items[j] === item) return { found: true, weight: getBucketItemWeight(b, j) | 0 };
      }
      return { found: false, weight: 0 };
    }
    return { found: false, weight: 0 };
  }

  /** get_item_weight(): a bucket's own weight, or the first weight found for the item; -ENOENT. */
  getItemWeight(id: number): number {
    for (const b of this.crush.buckets) {
      if (!b) continue;
      if (b.id === id) return b.weight | 0;
      for (let i = 0; i < b.size; i++) if (b.items[i] === id) return getBucketItemWeight(b, i) | 0;
    }
    return -Errno.ENOENT;
  }
  getItemWeightf(id: number): number {
    return Math.fround(Math.fround(this.getItemWeight(id)) / 65536);
  }
  getItemWeightInLoc(id: number, loc: CrushLocation): number {
    const l = locMap(loc);
    for (const k of sortedStringKeys(l)) {
      const b = this.getBucket(this.getItemId(l.get(k)!));
      if (!b) continue;
      for (let i = 0; i < b.size; i++) if (b.items[i] === id) return getBucketItemWeight(b, i) | 0;
    }
    return -Errno.ENOENT;
  }

  // ---------------------------------------------------------------------------------------------
  // Weights

  /**
   * adjust_item_weight(): set the item's 16.16 weight in every bucket holding it; each bucket's new
   * weight is pushed up to its own parents in turn. Returns the number of buckets changed or -ENOENT.
   */
  adjustItemWeight(id: number, weight: number, updateWeightSets = true): number {
    let changed = 0;
    for (let bidx = 0; bidx < this.crush.buckets.length; bidx++) {
      if (!this.crush.buckets[bidx]) continue;
      const r = this.adjustItemWeightInBucket(id, weight, -1 - bidx, updateWeightSets);
      if (r > 0) changed++;
    }
    return changed ? changed : -Errno.ENOENT;
  }

  adjustItemWeightf(id: number, weight: number, updateWeightSets = true): number {
    const r = validateWeightf(weight);
    if (r < 0) return r;
    return this.adjustItemWeight(id, weightfToFixed(weight), updateWeightSets);
  }

  adjustItemWeightInBucket(id: number, weight: number, bucketId: number, updateWeightSets: boolean): number {
    const b = this.getBucket(bucketId);
    if (!b) return -Errno.ENOENT;
    let changed = 0;
    for (let i = 0; i < b.size; i++) {
      if (b.items[i] === id) {
        this.bucketAdjustItemWeight(b, id, weight, updateWeightSets);
        this.adjustItemWeight(bucketId, b.weight, false);
        changed++;
      }
    }
    // keep the weight sets of the parents summing to this bucket's weight-set totals
    for (const key of chooseArgsKeys(this.names.chooseArgs)) {
      const cmap = this.names.chooseArgs.get(key)!;
      const arg = cmap[-1 - bucketId];
      if (!arg) continue;
      if (arg.weightSet.length === 0) {
        if (emptyAllocatedWeightSets.has(arg)) {
          throw new CrushAssertError(
            'adjust_item_weight_in_bucket',
            `bucket ${bucketId} has a choose_args entry with an empty weight set`,
          );
        }
        continue;
      }
      const w = new Array<number>(arg.weightSet.length).fill(0);
      for (let i = 0; i < b.size; i++) {
        for (let j = 0; j < arg.weightSet.length; j++) w[j] = (w[j]! + weightSetRead(arg.weightSet[j]!, i)) | 0;
      }
      this.chooseArgsAdjustItemWeight(cmap, bucketId, w);
    }
    return changed ? changed : -Errno.ENOENT;
  }

  adjustItemWeightInLoc(id: number, weight: number, loc: CrushLocation, updateWeightSets = true): number {
    const l = locMap(loc);
    let changed = 0;
    for (const k of sortedStringKeys(l)) {
      const bid = this.getItemId(l.get(k)!);
      if (!this.bucketExists(bid)) continue;
      if (this.adjustItemWeightInBucket(id, weight, bid, updateWeightSets) > 0) changed++;
    }
    return changed ? changed : -Errno.ENOENT;
  }

  adjustItemWeightfInLoc(id: number, weight: number, loc: CrushLocation, updateWeightSets = true): number {
    const r = validateWeightf(weight);
    if (r < 0) return r;
    return this.adjustItemWeightInLoc(id, weightfToFixed(weight), loc, updateWeightSets);
  }

  /** Ceph's reweightItem is adjust_item_weightf by name; provided for crushtool --reweight-item. */
  reweightItem(name: string, weight: number): number {
    if (!this.nameExists(name)) return -Errno.ENOENT;
    return this.adjustItemWeightf(this.getItemId(name), weight);
  }

  /** reweight(): recompute every bucket weight from the devices up, then rebuild the shadow trees. */
  reweight(): number {
    for (const id of this.findNonshadowRoots()) {
      if (id >= 0) continue;
      const b = this.getBucket(id)!;
      const r = crushReweightBucket(this.crush, b);
      if (r !== 0) throw new CrushAssertError('reweight', `crush_reweight_bucket(${id}) returned ${r}`);
      for (const key of chooseArgsKeys(this.names.chooseArgs)) {
        this.reweightChooseArgsBucket(b, this.names.chooseArgs.get(key)!);
      }
    }
    // Pacific asserts both: a shadow tree it cannot build (a uniform bucket's clone refuses every
    // weight but 0) aborts crushtool --reweight
    const r = this.rebuildRootsWithClasses();
    if (r !== 0) throw new CrushAssertError('reweight', `rebuild_roots_with_classes returned ${r}`);
    return 0;
  }

  private reweightChooseArgsBucket(b: CrushBucket, cmap: CrushChooseArgMap): number[] {
    const idx = -1 - b.id;
    const arg = cmap[idx];
    const npos = arg ? arg.weightSet.length : 0;
    const weightv = new Array<number>(npos).fill(0);
    for (let i = 0; i < b.size; i++) {
      const item = b.items[i]!;
      if (item >= 0) {
        for (let pos = 0; pos < npos; pos++) weightv[pos] = (weightv[pos]! + arg!.weightSet[0]![i]!) >>> 0;
      } else {
        const sub = this.getBucket(item);
        const subw = sub ? this.reweightChooseArgsBucketSized(sub, cmap, npos) : new Array<number>(npos).fill(0);
        for (let pos = 0; pos < npos; pos++) {
          weightv[pos] = (weightv[pos]! + subw[pos]!) >>> 0;
          arg!.weightSet[0]![i] = subw[pos]!;
        }
      }
    }
    return weightv;
  }
  // Ceph resizes the child's vector to the child's own position count; the parent reads npos entries.
  private reweightChooseArgsBucketSized(b: CrushBucket, cmap: CrushChooseArgMap, npos: number): number[] {
    const w = this.reweightChooseArgsBucket(b, cmap);
    while (w.length < npos) w.push(0);
    return w;
  }

  // ---------------------------------------------------------------------------------------------
  // choose_args (weight sets)

  /** get_choose_args_positions(): positions of the first bucket that has a weight set, else 1. */
  getChooseArgsPositions(cmap: CrushChooseArgMap): number {
    for (const a of cmap) if (a && a.weightSet.length) return a.weightSet.length;
    return 1;
  }

  /** choose_args_adjust_item_weight(): set id's weight-set weights in every bucket holding it. */
  chooseArgsAdjustItemWeight(cmap: CrushChooseArgMap, id: number, weight: number[]): number {
    let changed = 0;
    for (let bidx = 0; bidx < this.crush.buckets.length; bidx++) {
      const b = this.crush.buckets[bidx];
      if (!b) continue;
      changed += this.chooseArgsAdjustItemWeightInBucket(cmap, b.id, id, weight);
    }
    return changed ? changed : -Errno.ENOENT;
  }

  private chooseArgsAdjustItemWeightInBucket(
    cmap: CrushChooseArgMap,
    bucketId: number,
    id: number,
    weight: number[],
  ): number {
    let changed = 0;
    const bidx = -1 - bucketId;
    const b = this.crush.buckets[bidx]!;
    if (bidx >= cmap.length) return 0;
    let carg = cmap[bidx];
    // Ceph fills in a weight set only where weight_set is NULL; an entry device_class_clone made
    // with zero positions keeps them (see emptyAllocatedWeightSets).
    if (!carg || (carg.weightSet.length === 0 && !emptyAllocatedWeightSets.has(carg))) {
      // give the bucket a weight set filled with its item weights
      const positions = this.getChooseArgsPositions(cmap);
      if (!carg) {
        carg = newArg();
        cmap[bidx] = carg;
      }
      carg.weightSet = [];
      for (let p = 0; p < positions; p++) {
        const w = new Uint32Array(b.size);
        for (let i = 0; i < b.size; i++) w[i] = getBucketItemWeight(b, i) >>> 0;
        carg.weightSet.push(w);
      }
      changed++;
    }
    if (carg.weightSet.length !== weight.length) return 0;
    for (let i = 0; i < b.size; i++) {
      if (b.items[i] === id) {
        for (let j = 0; j < weight.length; j++) weightSetWrite(carg.weightSet[j]!, i, weight[j]!);
        changed++;
      }
    }
    if (changed) {
      const bw = new Array<number>(weight.length).fill(0);
      for (let i = 0; i < b.size; i++) {
        for (let j = 0; j < weight.length; j++) bw[j] = (bw[j]! + weightSetRead(carg.weightSet[j]!, i)) | 0;
      }
      this.chooseArgsAdjustItemWeight(cmap, b.id, bw);
    }
    return changed;
  }

  /**
   * update_choose_args(): drop weight sets / ids of buckets that are gone or not straw2, and resize
   * mis-sized weight sets. Ceph runs this when it decodes a map.
   */
  updateChooseArgs(): void {
    for (const key of chooseArgsKeys(this.names.chooseArgs)) {
      const cmap = this.names.chooseArgs.get(key)!;
      while (cmap.length < this.crush.buckets.length) cmap.push(null);
      const positions = this.getChooseArgsPositions(cmap);
      for (let j = 0; j < this.crush.buckets.length; j++) {
        const b = this.crush.buckets[j];
        const carg = cmap[j];
        if (!carg) continue;
        if (!b || b.alg !== BucketAlg.Straw2) {
          cmap[j] = null;
          continue;
        }
        if (carg.weightSet.length === 0 || carg.weightSet.length !== positions) continue;
        for (let p = 0; p < positions; p++) {
          const ws = carg.weightSet[p]!;
          if (ws.length !== b.size) {
            const n = new Uint32Array(b.size);
            n.set(ws.subarray(0, Math.min(ws.length, b.size)));
            carg.weightSet[p] = n;
          }
        }
      }
    }
  }

  /** create_choose_args(): an empty set sized to max_buckets (returns the existing one if any). */
  createChooseArgs(id: number): CrushChooseArgMap {
    let cmap = this.names.chooseArgs.get(id);
    if (!cmap) {
      cmap = new Array<CrushChooseArg | null>(this.crush.buckets.length).fill(null);
      this.names.chooseArgs.set(id, cmap);
    }
    return cmap;
  }
  rmChooseArgs(id: number): void {
    this.names.chooseArgs.delete(id);
  }
  chooseArgsGet(id: number): CrushChooseArgMap | null {
    return this.names.chooseArgs.get(id) ?? null;
  }

  /**
   * The straw2 buckets (by -1-id) whose entry in this choose_args set is a weight set that
   * device_class_clone allocated with zero positions (emptyAllocatedWeightSets), or null when there
   * are none. Only a map whose shadow trees were rebuilt in this process has such entries (the
   * encoding drops them). Pacific's mapper takes a non-NULL weight_set as present and reads
   * weight_set[positions - 1], i.e. weight_set[-1]: glibc's chunk header, whose first word (the end of
   * the previous chunk) it takes as the weights pointer. That is almost never a valid pointer and the
   * draw crashes; tsceph always reports the crash (see CrushWork.weightSetTraps).
   */
  weightSetTraps(cmap: CrushChooseArgMap | null): Uint8Array | null {
    if (cmap === null) return null;
    let traps: Uint8Array | null = null;
    const n = Math.min(cmap.length, this.crush.buckets.length);
    for (let i = 0; i < n; i++) {
      const a = cmap[i];
      if (!a || a.weightSet.length !== 0 || !emptyAllocatedWeightSets.has(a) || this.crush.buckets[i]?.alg !== BucketAlg.Straw2) continue;
      traps ??= new Uint8Array(this.crush.buckets.length);
      traps[i] = 1;
    }
    return traps;
  }

  /** get_full_location_ordered(): (type, bucket name) pairs from the item's parent up to its root. */
  getFullLocationOrdered(id: number): [string, string][] {
    const path: [string, string][] = [];
    if (!this.itemExists(id)) return path;
    let cur = id;
    for (let guard = 0; guard < 100000; guard++) {
      const p = this.getImmediateParent(cur);
      if (p.ret !== 0) break;
      path.push([p.type, p.name]);
      cur = this.getItemId(p.name);
    }
    return path;
  }
  /** get_full_location(): type name -> bucket name for every ancestor (crushtool --show-location). */
  getFullLocation(id: number): Map<string, string> {
    const m = new Map<string, string>();
    for (const [t, n] of this.getFullLocationOrdered(id)) if (!m.has(t)) m.set(t, n);
    return new Map(sortedStringKeys(m).map((k) => [k, m.get(k)!]));
  }
  /** get_children(): the items of a bucket (none for a device); -ENOENT for a missing bucket. */
  getChildren(id: number): number[] | number {
    if (id >= 0) return [];
    const b = this.getBucket(id);
    if (!b) return -Errno.ENOENT;
    return Array.from(b.items.subarray(0, b.size));
  }
  /** get_leaves(): every device under the named item, ascending. */
  getLeaves(name: string): number[] | number {
    if (!this.nameExists(name)) return -Errno.ENOENT;
    const id = this.getItemId(name);
    const out = new Set<number>();
    const walk = (i: number): number => {
      if (i >= 0) {
        out.add(i);
        return 0;
      }
      const b = this.getBucket(i);
      if (!b) return -Errno.ENOENT;
      for (let n = 0; n < b.size; n++) {
        const r = walk(b.items[n]!);
        if (r < 0) return r;
      }
      return 0;
    };
    const r = walk(id);
    if (r < 0) return r;
    return [...out].sort((a, b) => a - b);
  }
  /** get_parent_of_type() without a rule: the nearest non-shadow ancestor of the type, or 0. */
  getParentOfType(item: number, type: number): number {
    let cur = item;
    for (let guard = 0; guard < 100000; guard++) {
      const p = this.getImmediateParentId(cur);
      if (p === null) return 0;
      cur = p;
      if (this.getBucketType(cur) === type) return cur;
    }
    return 0;
  }
  /** get_children_of_type(): buckets of the type (or devices for type 0) under id. */
  getChildrenOfType(id: number, type: number, excludeShadow = true): number[] {
    const out: number[] = [];
    const walk = (i: number): void => {
      if (i >= 0) {
        if (type === 0) out.push(i);
        return;
      }
      const b = this.getBucket(i);
      if (!b || b.type < type) return;
      if (b.type === type) {
        if (!this.isShadowItem(b.id) || !excludeShadow) out.push(b.id);
        return;
      }
      for (let n = 0; n < b.size; n++) walk(b.items[n]!);
    };
    walk(id);
    return out;
  }
  /** get_rules_by_class(): rules that take a shadow tree of the class; -ENOENT for no such class. */
  getRulesByClass(className: string): number[] | number {
    if (!this.classExists(className)) return -Errno.ENOENT;
    const cid = this.getClassId(className);
    const out: number[] = [];
    for (let i = 0; i < this.crush.rules.length; i++) {
      const r = this.crush.rules[i];
      if (!r) continue;
      for (const st of r.steps) {
        if (st.op !== RuleOp.Take) continue;
        const sp = this.splitIdClass(st.arg1);
        if (sp.ret < 0) return sp.ret;
        if (sp.cls !== -1 && sp.cls === cid) {
          out.push(i);
          break;
        }
      }
    }
    return out;
  }
  /** rename_item(): 0, or a negative errno with the reason in err.message. */
  renameItem(srcname: string, dstname: string, err?: { message: string }): number {
    const r = this.canRenameItem(srcname, dstname, err ?? { message: '' });
    if (r < 0) return r;
    return this.setItemName(this.getItemId(srcname), dstname);
  }

  // ---------------------------------------------------------------------------------------------
  // Editing the hierarchy

  /**
   * insert_item(): place `item` (named `name`, float `weight`) at `loc`, creating missing buckets
   * below the lowest existing one. Returns 0 or a negative errno.
   */
  insertItem(item: number, weight: number, name: string, loc: CrushLocation, initWeightSets = true): number {
    if (!CrushWrapper.isValidCrushName(name)) return -Errno.EINVAL;
    const l = locMap(loc);
    for (const [k, v] of l) {
      if (!CrushWrapper.isValidCrushName(k) || !CrushWrapper.isValidCrushName(v)) return -Errno.EINVAL;
    }
    let r = validateWeightf(weight);
    if (r < 0) return r;
    if (this.nameExists(name)) {
      if (this.getItemId(name) !== item) return -Errno.EEXIST;
    } else {
      this.setItemName(item, name);
    }
    let cur = item;
    for (const t of sortedKeys(this.names.typeMap)) {
      if (t === 0) continue;
      const tname = this.names.typeMap.get(t)!;
      const q = l.get(tname);
      if (q === undefined) continue;
      if (!this.nameExists(q)) {
        const nb = this.addBucket(0, 0, CRUSH_HASH_DEFAULT, t, [cur], [0]);
        if (nb.ret < 0) return nb.ret;
        this.setItemName(nb.id, q);
        cur = nb.id;
        continue;
      }
      const id = this.getItemId(q);
      const b = this.getBucket(id);
      if (!b) return -Errno.EINVAL;
      if (this.subtreeContains(id, cur)) return -Errno.EINVAL;
      if (t !== b.type) return -Errno.EINVAL;
      if (this.subtreeContains(cur, b.id)) return -Errno.ELOOP;
      // Ceph asserts this succeeds; it fails only for a uniform bucket (weight 0 != its item weight)
      if (this.bucketAddItem(b, cur, 0) < 0) {
        throw new CrushAssertError('insert_item', `cannot add item ${cur} to uniform bucket ${b.id}`);
      }
      break;
    }
    if (this.adjustItemWeightfInLoc(item, weight, l, item >= 0 && initWeightSets) > 0) {
      if (item >= this.crush.maxDevices) this.crush.maxDevices = item + 1;
      r = this.rebuildRootsWithClasses();
      if (r < 0) return r;
      return 0;
    }
    return -Errno.EINVAL;
  }

  /**
   * update_item(): put the item at loc with this weight and name, moving it if it is elsewhere.
   * Returns 0 (no change), 1 (changed) or a negative errno.
   */
  updateItem(item: number, weight: number, name: string, loc: CrushLocation): number {
    if (!CrushWrapper.isValidCrushName(name)) return -Errno.EINVAL;
    const l = locMap(loc);
    for (const [k, v] of l) {
      if (!CrushWrapper.isValidCrushName(k) || !CrushWrapper.isValidCrushName(v)) return -Errno.EINVAL;
    }
    let ret = validateWeightf(weight);
    if (ret < 0) return ret;
    ret = 0;
    const iweight = weightfToFixed(weight);
    const at = this.checkItemLoc(item, l);
    if (at.found) {
      if (at.weight !== iweight) {
        this.adjustItemWeightInLoc(item, iweight, l);
        ret = this.rebuildRootsWithClasses();
        if (ret < 0) return ret;
        ret = 1;
      }
      if (this.getItemName(item) !== name) {
        this.setItemName(item, name);
        ret = 1;
      }
    } else {
      if (this.itemExists(item)) this.removeItem(item, true);
      ret = this.insertItem(item, weight, name, l);
      if (ret === 0) ret = 1;
    }
    return ret;
  }

  /** create_or_move_item(): like update_item but keeps an existing item's weight. */
  createOrMoveItem(item: number, weight: number, name: string, loc: CrushLocation, initWeightSets = true): number {
    if (!CrushWrapper.isValidCrushName(name)) return -Errno.EINVAL;
    let ret = 0;
    if (!this.checkItemLoc(item, loc).found) {
      if (this.searchItemExists(item)) {
        weight = this.getItemWeightf(item);
        this.removeItem(item, true);
      }
      ret = this.insertItem(item, weight, name, loc, item >= 0 && initWeightSets);
      if (ret === 0) ret = 1;
    }
    return ret;
  }

  /**
   * remove_item(): take the item out of every bucket (a bucket must be empty and unused by rules and
   * shadow trees unless unlinkOnly). Returns 0 or a negative errno.
   */
  removeItem(item: number, unlinkOnly: boolean): number {
    let ret = -Errno.ENOENT;
    if (item < 0 && !unlinkOnly) {
      const t = this.getBucket(item);
      if (!t) return -Errno.ENOENT;
      if (t.size) return -Errno.ENOTEMPTY;
      if (this.bucketIsInUse(item)) return -Errno.EBUSY;
    }
    for (let i = 0; i < this.crush.buckets.length; i++) {
      const b = this.crush.buckets[i];
      if (!b) continue;
      for (let j = 0; j < b.size; j++) {
        if (b.items[j] === item) {
          this.adjustItemWeightInBucket(item, 0, b.id, true);
          this.bucketRemoveItem(b, item);
          ret = 0;
        }
      }
    }
    if (this.maybeRemoveLastInstance(item, unlinkOnly)) ret = 0;
    return ret;
  }

  private maybeRemoveLastInstance(item: number, unlinkOnly: boolean): boolean {
    if (this.searchItemExists(item)) return false;
    if (item < 0 && this.bucketIsInUse(item)) return false;
    if (item < 0 && !unlinkOnly) {
      const t = this.getBucket(item);
      if (t) crushRemoveBucket(this.crush, item);
      this.names.classBucket.delete(item);
      this.classRemoveItem(item);
      this.updateChooseArgs();
    }
    if ((item >= 0 || !unlinkOnly) && this.names.nameMap.has(item)) {
      this.removeItemName(item);
      if (item >= 0 && !unlinkOnly) this.classRemoveItem(item);
    }
    this.rebuildRootsWithClasses();
    return true;
  }

  /** remove_item_under(): remove the item from beneath `ancestor` only. */
  removeItemUnder(item: number, ancestor: number, unlinkOnly: boolean): number {
    if (!unlinkOnly && this.bucketIsInUse(item)) return -Errno.EBUSY;
    let ret = this.removeItemUnderInner(item, ancestor, unlinkOnly);
    if (ret < 0) return ret;
    if (item < 0 && !unlinkOnly) {
      const t = this.getBucket(item);
      if (!t) return -Errno.ENOENT;
      if (t.size) return -Errno.ENOTEMPTY;
    }
    if (this.maybeRemoveLastInstance(item, unlinkOnly)) ret = 0;
    return ret;
  }

  private removeItemUnderInner(item: number, ancestor: number, unlinkOnly: boolean): number {
    if (ancestor >= 0) return -Errno.EINVAL;
    const b = this.getBucket(ancestor);
    if (!b) return -Errno.EINVAL;
    let ret = -Errno.ENOENT;
    for (let i = 0; i < b.size; i++) {
      const id = b.items[i]!;
      if (id === item) {
        this.adjustItemWeightInBucket(item, 0, b.id, true);
        this.bucketRemoveItem(b, item);
        ret = 0;
      } else if (id < 0) {
        if (this.removeItemUnder(item, id, unlinkOnly) === 0) ret = 0;
      }
    }
    return ret;
  }

  /** detach_bucket(): unlink a bucket from its (first) parent; returns the bucket's weight. */
  detachBucket(item: number): number {
    if (item >= 0) return -Errno.EINVAL;
    const b = this.getBucket(item);
    if (!b) return -Errno.ENOENT;
    const bucketWeight = b.weight;
    const parentLoc = this.getImmediateParent(item);
    const parent = this.getBucket(this.getItemId(parentLoc.name));
    if (parentLoc.ret === 0 && parent) {
      this.adjustItemWeightInBucket(item, 0, parent.id, true);
      this.bucketRemoveItem(parent, item);
    }
    return bucketWeight;
  }

  /** move_bucket(): detach a bucket and insert it at loc with its weight. */
  moveBucket(id: number, loc: CrushLocation): number {
    if (id >= 0) return -Errno.EINVAL;
    if (!this.itemExists(id)) return -Errno.ENOENT;
    const name = this.getItemName(id)!;
    const w = this.detachBucket(id);
    return this.insertItem(id, Math.fround(w | 0) / 65536, name, loc, false); // int / (float)0x10000
  }

  /** link_bucket(): add another link to an existing bucket at loc. */
  linkBucket(id: number, loc: CrushLocation): number {
    if (id >= 0) return -Errno.EINVAL;
    if (!this.itemExists(id)) return -Errno.ENOENT;
    const b = this.getBucket(id);
    if (!b) return -Errno.ENOENT;
    return this.insertItem(id, Math.fround(b.weight / 65536), this.getItemName(id)!, loc);
  }

  // ---------------------------------------------------------------------------------------------
  // Device classes

  private classRname(): Map<string, number> {
    const r = new Map<string, number>();
    for (const k of sortedKeys(this.names.className)) r.set(this.names.className.get(k)!, k);
    return r;
  }
  classExists(name: string): boolean {
    return this.classRname().has(name);
  }
  getClassName(i: number): string | undefined {
    return this.names.className.get(i);
  }
  /** The class id for a name, or -EINVAL. */
  getClassId(name: string): number {
    return this.classRname().get(name) ?? -Errno.EINVAL;
  }
  private allocClassId(): number {
    const k = sortedKeys(this.names.className);
    if (!k.length) return 0;
    const id = (k[k.length - 1]! + 1) | 0;
    if (id >= 0) return id;
    for (let c = 0; ; c++) if (!this.names.className.has(c)) return c;
  }
  getOrCreateClassId(name: string): number {
    const c = this.getClassId(name);
    if (c >= 0) return c;
    const i = this.allocClassId();
    this.names.className.set(i, name);
    return i;
  }
  removeClassName(name: string): number {
    const id = this.classRname().get(name);
    if (id === undefined) return -Errno.ENOENT;
    this.names.className.delete(id);
    return 0;
  }
  /** The class name of an item, if it has one. */
  getItemClass(i: number): string | undefined {
    const c = this.names.classMap.get(i);
    return c === undefined ? undefined : this.getClassName(c);
  }
  getItemClassId(i: number): number {
    return this.names.classMap.get(i) ?? -Errno.ENOENT;
  }
  /** set_item_class() by name (returns 0 / -EINVAL) or by class id (returns the id). */
  setItemClass(i: number, cls: string | number): number {
    if (typeof cls === 'number') {
      this.names.classMap.set(i, cls);
      return cls;
    }
    if (!CrushWrapper.isValidCrushName(cls)) return -Errno.EINVAL;
    this.names.classMap.set(i, this.getOrCreateClassId(cls));
    return 0;
  }
  classRemoveItem(i: number): void {
    this.names.classMap.delete(i);
  }

  /**
   * update_device_class() (`ceph osd crush set-device-class`): bind a device to a class and rebuild
   * the shadow trees. Returns 1 changed, 0 unchanged, or a negative errno with err.message.
   */
  updateDeviceClass(id: number, className: string, name: string, err?: { message: string }): number {
    const old = this.getItemClass(id);
    if (old !== undefined && old !== className) {
      if (err) {
        err.message =
          `osd.${id} has already bound to class '${old}', can not reset class to '${className}'; ` +
          `use 'ceph osd crush rm-device-class <id>' to remove old class first`;
      }
      return -Errno.EBUSY;
    }
    const classId = this.getOrCreateClassId(className);
    if (id < 0) {
      if (err) err.message = `${name} id ${id} is negative`;
      return -Errno.EINVAL;
    }
    if (this.names.classMap.get(id) === classId) {
      if (err) err.message = `${name} already set to class ${className}. `;
      return 0;
    }
    this.setItemClass(id, classId);
    const r = this.rebuildRootsWithClasses();
    return r < 0 ? r : 1;
  }

  /** remove_device_class(). */
  removeDeviceClass(id: number): number {
    if (this.getItemName(id) === undefined) return -Errno.ENOENT;
    if (this.getItemClass(id) === undefined) return 0;
    this.classRemoveItem(id);
    return this.rebuildRootsWithClasses();
  }

  /** set_subtree_class(): give every device under a bucket the class (no rebuild). */
  setSubtreeClass(subtree: string, newClass: string): number {
    if (!this.nameExists(subtree)) return -Errno.ENOENT;
    const cid = this.getOrCreateClassId(newClass);
    const q = [this.getItemId(subtree)];
    while (q.length) {
      const id = q.shift()!;
      const b = this.getBucket(id);
      if (!b) return -Errno.ENOENT;
      for (let i = 0; i < b.size; i++) {
        const item = b.items[i]!;
        if (item >= 0) this.names.classMap.set(item, cid);
        else q.push(item);
      }
    }
    return 0;
  }

  private classIsDead(classId: number): boolean {
    for (const [k, v] of this.names.classMap) if (k >= 0 && v === classId) return false;
    for (const r of this.crush.rules) {
      if (!r) continue;
      for (const st of r.steps) {
        if (st.op !== RuleOp.Take) continue;
        for (const m of this.names.classBucket.values()) if (m.get(classId) === st.arg1) return false;
      }
    }
    return true;
  }
  cleanupDeadClasses(): void {
    for (const c of sortedKeys(this.names.className)) {
      if (this.classIsDead(c)) this.removeClassName(this.names.className.get(c)!);
    }
  }

  /**
   * device_class_clone(): the shadow copy "name~class" of a bucket holding only devices of the class
   * (and shadow copies of child buckets). Reuses an id from oldClassBucket when it has one; otherwise
   * takes the first id free in the map and not used by any old shadow bucket. Returns {ret, clone}.
   */
  deviceClassClone(
    originalId: number,
    deviceClass: number,
    oldClassBucket: ReadonlyMap<number, ReadonlyMap<number, number>>,
    usedIds: ReadonlySet<number>,
    cmapItemWeight: Map<number, Map<number, number[]>>,
  ): { ret: number; clone: number } {
    const itemName = this.getItemName(originalId);
    if (itemName === undefined) return { ret: -10 /* -ECHILD */, clone: 0 };
    const className = this.getClassName(deviceClass);
    if (className === undefined) return { ret: -Errno.EBADF, clone: 0 };
    const copyName = `${itemName}~${className}`;
    if (this.nameExists(copyName)) return { ret: 0, clone: this.getItemId(copyName) };

    const original = this.getBucket(originalId)!;
    let copy: CrushBucket;
    try {
      copy = makeBucket(this.crush, original.alg, original.hash, original.type, [], []);
    } catch {
      return { ret: -Errno.EINVAL, clone: 0 };
    }
    const itemOrigPos: number[] = [];
    for (let i = 0; i < original.size; i++) {
      const item = original.items[i]!;
      const weight = getBucketItemWeight(original, i);
      if (item >= 0) {
        if (this.names.classMap.get(item) !== deviceClass) continue;
        const res = crushBucketAddItem(this.crush, copy, item, weight);
        if (res) return { ret: res, clone: 0 };
      } else {
        const child = this.deviceClassClone(item, deviceClass, oldClassBucket, usedIds, cmapItemWeight);
        if (child.ret < 0) return child;
        const childCopy = this.getBucket(child.clone)!;
        const res = crushBucketAddItem(this.crush, copy, child.clone, childCopy.weight);
        if (res) return { ret: res, clone: 0 };
      }
      itemOrigPos.push(i);
    }
    let bno = oldClassBucket.get(originalId)?.get(deviceClass);
    if (bno === undefined) {
      bno = -1;
      while ((-1 - bno < this.crush.buckets.length && this.crush.buckets[-1 - bno]) || usedIds.has(bno)) bno--;
    }
    let clone: number;
    try {
      clone = crushAddBucket(this.crush, bno, copy);
    } catch (e) {
      return { ret: (e as { code?: string }).code === 'EEXIST' ? -Errno.EEXIST : -Errno.EINVAL, clone: 0 };
    }
    this.setItemClass(clone, deviceClass);
    this.setItemNameRaw(clone, copyName);
    let cb = this.names.classBucket.get(originalId);
    if (!cb) {
      cb = new Map();
      this.names.classBucket.set(originalId, cb);
    }
    cb.set(deviceClass, clone);

    // weight sets for the clone, from the original's
    for (const key of chooseArgsKeys(this.names.chooseArgs)) {
      const cmap = this.names.chooseArgs.get(key)!;
      while (cmap.length < this.crush.buckets.length) cmap.push(null);
      const o = cmap[-1 - originalId];
      const positions = o ? o.weightSet.length : 0;
      const n = newArg();
      for (let s = 0; s < positions; s++) n.weightSet.push(new Uint32Array(copy.size));
      if (positions === 0) emptyAllocatedWeightSets.add(n);
      cmap[-1 - bno] = n;
      let perKey = cmapItemWeight.get(key);
      if (!perKey) {
        perKey = new Map();
        cmapItemWeight.set(key, perKey);
      }
      for (let s = 0; s < positions; s++) {
        // Ceph builds a fresh vector per position, so only the last position's total survives
        const bucketWeights = new Array<number>(positions).fill(0);
        for (let i = 0; i < copy.size; i++) {
          const item = copy.items[i]!;
          let w = 0;
          if (item >= 0) w = o!.weightSet[s]![itemOrigPos[i]!]!;
          else if (perKey.has(item)) w = perKey.get(item)![s] ?? 0;
          n.weightSet[s]![i] = w;
          bucketWeights[s] = (bucketWeights[s]! + w) | 0;
        }
        perKey.set(bno, bucketWeights);
      }
    }
    return { ret: 0, clone };
  }

  /** populate_classes(): build the shadow trees of every non-shadow root for every class. */
  populateClasses(oldClassBucket: ReadonlyMap<number, ReadonlyMap<number, number>>): number {
    const usedIds = new Set<number>();
    for (const m of oldClassBucket.values()) for (const v of m.values()) usedIds.add(v);
    const cmapItemWeight = new Map<number, Map<number, number[]>>();
    for (const r of this.findNonshadowRoots()) {
      for (const c of sortedKeys(this.names.className)) {
        const res = this.deviceClassClone(r, c, oldClassBucket, usedIds, cmapItemWeight);
        if (res.ret < 0) return res.ret;
      }
    }
    return 0;
  }

  /** remove_root(): drop a shadow root and everything below it (idempotent). */
  removeRoot(item: number): number {
    const b = this.getBucket(item);
    if (!b) return 0;
    for (let n = 0; n < b.size; n++) {
      if (b.items[n]! >= 0) continue;
      const r = this.removeRoot(b.items[n]!);
      if (r < 0) return r;
    }
    crushRemoveBucket(this.crush, item);
    this.removeItemName(item);
    this.names.classBucket.delete(item);
    this.classRemoveItem(item);
    this.updateChooseArgs();
    return 0;
  }

  /** trim_roots_with_class(): remove every shadow tree. */
  trimRootsWithClass(): number {
    for (const r of this.findShadowRoots()) {
      if (r >= 0) continue;
      const res = this.removeRoot(r);
      if (res) return res;
    }
    return 0;
  }

  /** rebuild_roots_with_classes(): drop dead classes, then rebuild every shadow tree, keeping ids. */
  rebuildRootsWithClasses(): number {
    const old = new Map<number, Map<number, number>>();
    for (const [k, v] of this.names.classBucket) old.set(k, new Map(v));
    this.cleanupDeadClasses();
    const r = this.trimRootsWithClass();
    if (r < 0) return r;
    this.names.classBucket.clear();
    return this.populateClasses(old);
  }

  // ---------------------------------------------------------------------------------------------
  // Operations of `ceph osd crush ...` that crushtool has no flag for

  /**
   * adjust_subtree_weight(): give every device under the bucket this 16.16 weight (breadth first),
   * then rebuild the shadow trees. Returns the number of devices set, or a negative errno.
   */
  adjustSubtreeWeight(id: number, weight: number, updateWeightSets = true): number {
    const root = this.getBucket(id);
    if (!root) return -Errno.ENOENT;
    let changed = 0;
    const q: CrushBucket[] = [root];
    while (q.length) {
      const b = q.shift()!;
      for (let i = 0; i < b.size; i++) {
        const n = b.items[i]!;
        if (n >= 0) {
          this.adjustItemWeightInBucket(n, weight, b.id, updateWeightSets);
          changed++;
        } else {
          const sub = this.getBucket(n);
          if (sub) q.push(sub);
        }
      }
    }
    const r = this.rebuildRootsWithClasses();
    return r < 0 ? r : changed;
  }
  adjustSubtreeWeightf(id: number, weight: number, updateWeightSets = true): number {
    const r = validateWeightf(weight);
    if (r < 0) return r;
    return this.adjustSubtreeWeight(id, weightfToFixed(weight), updateWeightSets);
  }

  /** is_parent_of(): is p an ancestor of child (through first parents)? */
  isParentOf(child: number, p: number): boolean {
    for (let guard = 0; guard < 1000000; guard++) {
      const parent = this.getImmediateParentId(child);
      if (parent === null) return false;
      if (parent === p) return true;
      child = parent;
    }
    return false;
  }

  /** swap_bucket(): exchange the contents (and names) of two unrelated buckets, keeping their ids. */
  swapBucket(src: number, dst: number): number {
    if (src >= 0 || dst >= 0) return -Errno.EINVAL;
    if (!this.itemExists(src) || !this.itemExists(dst)) return -Errno.EINVAL;
    const a = this.getBucket(src);
    const b = this.getBucket(dst);
    if (!a || !b) return -Errno.EINVAL;
    if (this.isParentOf(a.id, b.id) || this.isParentOf(b.id, a.id)) return -Errno.EINVAL;
    const aw = a.weight;
    const bw = b.weight;
    this.adjustItemWeight(a.id, bw);
    this.adjustItemWeight(b.id, aw);
    const tmp = new Map<number, number>();
    const as = a.size;
    const bs = b.size;
    for (let i = 0; i < as; i++) {
      const item = a.items[0]!;
      tmp.set(item, getBucketItemWeight(a, 0));
      this.bucketRemoveItem(a, item);
    }
    for (let i = 0; i < bs; i++) {
      const item = b.items[0]!;
      const w = getBucketItemWeight(b, 0);
      this.bucketRemoveItem(b, item);
      this.bucketAddItem(a, item, w);
    }
    for (const item of sortedKeys(tmp)) this.bucketAddItem(b, item, tmp.get(item)!);
    // swap_names
    const an = this.names.nameMap.get(src) ?? '';
    const bn = this.names.nameMap.get(dst) ?? '';
    this.names.nameMap.set(src, bn);
    this.names.nameMap.set(dst, an);
    if (this.haveRmaps) {
      this.nameRmap.set(an, dst);
      this.nameRmap.set(bn, src);
    }
    return this.rebuildRootsWithClasses();
  }

  /** rename_bucket(): rename_item for buckets only (-ENOTDIR for a device). */
  renameBucket(srcname: string, dstname: string, err?: { message: string }): number {
    const e = err ?? { message: '' };
    const r = this.canRenameItem(srcname, dstname, e);
    if (r) return r;
    const srcid = this.getItemId(srcname);
    if (srcid >= 0) {
      e.message = `srcname = '${srcname}' is not a bucket because its id = ${srcid} is >= 0`;
      return -Errno.ENOTDIR;
    }
    return this.setItemName(srcid, dstname);
  }

  private canRenameItem(srcname: string, dstname: string, err: { message: string }): number {
    if (this.nameExists(srcname)) {
      if (this.nameExists(dstname)) {
        err.message = `dstname = '${dstname}' already exists`;
        return -Errno.EEXIST;
      }
      if (CrushWrapper.isValidCrushName(dstname)) return 0;
      err.message = `dstname = '${dstname}' does not match [-_.0-9a-zA-Z]+`;
      return -Errno.EINVAL;
    }
    if (this.nameExists(dstname)) {
      err.message = `srcname = '${srcname}' does not exist and dstname = '${dstname}' already exists`;
      return -Errno.EALREADY;
    }
    err.message = `srcname = '${srcname}' does not exist`;
    return -Errno.ENOENT;
  }

  /** rename_rule(). */
  renameRule(srcname: string, dstname: string, err?: { message: string }): number {
    if (!this.ruleExists(srcname)) {
      if (err) err.message = `source rule name '${srcname}' does not exist`;
      return -Errno.ENOENT;
    }
    if (this.ruleExists(dstname)) {
      if (err) err.message = `destination rule name '${dstname}' already exists`;
      return -Errno.EEXIST;
    }
    const id = this.getRuleId(srcname);
    this.names.ruleNameMap.set(id, dstname);
    if (this.haveRmaps) {
      this.ruleNameRmap.delete(srcname);
      this.ruleNameRmap.set(dstname, id);
    }
    return 0;
  }

  /** rename_class(): rename a class and the shadow buckets that carry its name. */
  renameClass(srcname: string, dstname: string): number {
    const rn = this.classRname();
    const classId = rn.get(srcname);
    if (classId === undefined) return -Errno.ENOENT;
    if (rn.has(dstname)) return -Errno.EEXIST;
    for (const id of sortedKeys(this.names.classMap)) {
      if (id < 0 && this.names.classMap.get(id) === classId) {
        const old = this.getItemName(id) ?? '';
        const pos = old.indexOf('~');
        if (pos < 0) continue;
        this.names.nameMap.set(id, `${old.slice(0, pos)}~${dstname}`);
        this.haveRmaps = false;
      }
    }
    this.names.className.set(classId, dstname);
    return 0;
  }

  /** class_is_in_use(): rules that take a shadow tree of the class (with crushtool's message). */
  classIsInUse(classId: number, err?: { message: string }): boolean {
    const rules: number[] = [];
    for (let i = 0; i < this.crush.rules.length; i++) {
      const r = this.crush.rules[i];
      if (!r) continue;
      for (const st of r.steps) {
        if (st.op !== RuleOp.Take) continue;
        for (const k of sortedKeys(this.names.classBucket)) {
          if (this.names.classBucket.get(k)!.get(classId) === st.arg1) rules.push(i);
        }
      }
    }
    if (!rules.length) return false;
    if (err) {
      err.message = `still referenced by crush_rule(s): ${rules.map((r) => `'${this.getRuleName(r) ?? ''}'`).join(',')}`;
    }
    return true;
  }

  /** get_rules_by_osd(): rules whose take steps reach the device. */
  getRulesByOsd(osd: number): number[] | number {
    if (osd < 0) return -Errno.EINVAL;
    const out: number[] = [];
    for (let i = 0; i < this.crush.rules.length; i++) {
      const r = this.crush.rules[i];
      if (!r) continue;
      for (const st of r.steps) {
        if (st.op !== RuleOp.Take) continue;
        if (this.subtreeContains(st.arg1, osd)) {
          out.push(i);
          break;
        }
      }
    }
    return out;
  }

  /**
   * get_rule_weight_osd_map(): each device's share of the rule's take roots, by 16.16 weight (as
   * floats, like Ceph). Returns -ENOENT for a missing rule.
   */
  getRuleWeightOsdMap(ruleno: number): Map<number, number> | number {
    const rule = this.getRule(ruleno);
    if (!rule) return -Errno.ENOENT;
    const pmap = new Map<number, number>();
    for (const st of rule.steps) {
      const m = new Map<number, number>();
      let sum = 0;
      if (st.op === RuleOp.Take) {
        const n = st.arg1;
        if (n >= 0) {
          m.set(n, 1);
          sum = 1;
        } else {
          sum = Math.fround(sum + this.takeWeightOsdMap(n, m));
        }
      }
      for (const k of sortedKeys(m)) {
        const v = Math.fround(m.get(k)! / sum);
        pmap.set(k, pmap.has(k) ? Math.fround(pmap.get(k)! + v) : v);
      }
    }
    return new Map(sortedKeys(pmap).map((k) => [k, pmap.get(k)!]));
  }

  private takeWeightOsdMap(root: number, m: Map<number, number>): number {
    let sum = 0;
    const q = [root];
    while (q.length) {
      const b = this.getBucket(q.shift()!);
      if (!b) continue;
      for (let j = 0; j < b.size; j++) {
        const id = b.items[j]!;
        if (id >= 0) {
          const w = Math.fround(getBucketItemWeight(b, j) >>> 0);
          m.set(id, w);
          sum = Math.fround(sum + w);
        } else {
          q.push(id);
        }
      }
    }
    return sum;
  }

  // ---------------------------------------------------------------------------------------------
  // Reclassify (crushtool --reclassify)

  /**
   * get_new_bucket_id(): the first free bucket slot; when there is none the bucket array (and every
   * choose_args set) grows by exactly one.
   */
  getNewBucketId(): number {
    let id = -1;
    while (-1 - id < this.crush.buckets.length && this.crush.buckets[-1 - id]) id--;
    if (-1 - id === this.crush.buckets.length) {
      this.crush.buckets.push(null);
      for (const key of chooseArgsKeys(this.names.chooseArgs)) {
        const cmap = this.names.chooseArgs.get(key)!;
        while (cmap.length < this.crush.buckets.length) cmap.push(null);
      }
    }
    return id;
  }

  /**
   * reclassify(): turn a legacy map with parallel per-class trees into one tree with device classes,
   * keeping the old bucket ids as the shadow ids so that placement does not move.
   *  - classifyRoot: root name -> class: every bucket under the root gets a new id, its old id becomes
   *    its shadow for the class, and rules taking the root now take "root class C".
   *  - classifyBucket: "%suffix" / "prefix%" / exact name -> [class, default parent]: matching buckets
   *    are merged into their base-named bucket (created under the default parent if missing) and become
   *    its shadow for the class.
   * Progress lines go to `out` (crushtool prints them on stdout). Returns 0 or a negative errno.
   */
  reclassify(
    out: (line: string) => void,
    classifyRoot: ReadonlyMap<string, string>,
    classifyBucket: ReadonlyMap<string, readonly [string, string]>,
  ): number {
    for (const rootName of sortedStringKeys(classifyRoot)) {
      const newClass = classifyRoot.get(rootName)!;
      if (!this.nameExists(rootName)) {
        out(`root ${rootName} does not exist\n`);
        return -Errno.EINVAL;
      }
      const rootId = this.getItemId(rootName);
      const newClassId = this.getOrCreateClassId(newClass);
      out(`classify_root ${rootName} (${rootId}) as ${newClass}\n`);
      for (let j = 0; j < this.crush.rules.length; j++) {
        const rule = this.crush.rules[j];
        if (!rule) continue;
        for (const st of rule.steps) {
          if (st.op !== RuleOp.Take) continue;
          const sp = this.splitIdClass(st.arg1);
          if (sp.ret < 0) return sp.ret;
          if (sp.cls >= 0 && sp.id === rootId) {
            out(`  rule ${j} includes take on root ${rootName} class ${sp.cls}\n`);
            return -Errno.EINVAL;
          }
        }
      }
      const renumber = new Map<number, number>();
      const q = [rootId];
      while (q.length) {
        const id = q.shift()!;
        const bucket = this.getBucket(id);
        if (!bucket) {
          out(`cannot find bucket ${id}: (2) No such file or directory\n`);
          return -Errno.ENOENT;
        }
        const newId = this.getNewBucketId();
        out(`  renumbering bucket ${id} -> ${newId}\n`);
        renumber.set(id, newId);
        this.crush.buckets[-1 - newId] = bucket;
        bucket.id = newId;
        const empty = makeBucket(this.crush, bucket.alg, bucket.hash, bucket.type, [], []);
        empty.id = id;
        this.crush.buckets[-1 - id] = empty;
        for (const key of chooseArgsKeys(this.names.chooseArgs)) {
          const cmap = this.names.chooseArgs.get(key)!;
          cmap[-1 - newId] = cmap[-1 - id] ?? null;
          cmap[-1 - id] = null;
        }
        this.names.classBucket.delete(id);
        let cb = this.names.classBucket.get(newId);
        if (!cb) {
          cb = new Map();
          this.names.classBucket.set(newId, cb);
        }
        cb.set(newClassId, id);
        // Ceph writes these names straight into name_map, leaving any cached reverse map as it was
        const name = this.getItemName(id) ?? '';
        this.names.nameMap.set(newId, name);
        this.names.nameMap.set(id, `${name}~${newClass}`);
        for (let j = 0; j < bucket.size; j++) if (bucket.items[j]! < 0) q.unshift(bucket.items[j]!);
      }
      for (const b of this.crush.buckets) {
        if (!b) continue;
        for (let j = 0; j < b.size; j++) {
          const n = renumber.get(b.items[j]!);
          if (n !== undefined) b.items[j] = n;
        }
      }
      const r = this.rebuildRootsWithClasses();
      if (r < 0) {
        out(`failed to rebuild_roots_with_classes: ${errnoText(r)}\n`);
        return r;
      }
    }

    const sendTo = new Map<number, number>();
    const newClassBucket = new Map<number, Map<number, number>>();
    const newBucketNames = new Map<number, string>();
    const newBuckets = new Map<number, Map<string, string>>();
    const newBucketByName = new Map<string, number>();
    for (const match of sortedStringKeys(classifyBucket)) {
      const [newClass, defaultParent] = classifyBucket.get(match)!;
      if (!this.nameExists(defaultParent)) {
        out(`default parent ${defaultParent} does not exist\n`);
        return -Errno.EINVAL;
      }
      const defaultParentId = this.getItemId(defaultParent);
      const dpb = this.getBucket(defaultParentId)!;
      const defaultParentTypeName = this.getTypeName(dpb.type) ?? '';
      out(`classify_bucket ${match} as ${newClass} default bucket ${defaultParent} (${defaultParentTypeName})\n`);
      const newClassId = this.getOrCreateClassId(newClass);
      for (let j = 0; j < this.crush.buckets.length; j++) {
        const b = this.crush.buckets[j];
        if (!b || this.isShadowItem(b.id)) continue;
        const name = this.getItemName(b.id) ?? '';
        if (name.length < match.length) continue;
        let basename: string;
        if (match[0] === '%') {
          if (match.slice(1) !== name.slice(name.length - match.length + 1)) continue;
          basename = name.slice(0, name.length - match.length + 1);
        } else if (match[match.length - 1] === '%') {
          if (match.slice(0, match.length - 1) !== name.slice(0, match.length - 1)) continue;
          basename = name.slice(match.length - 1);
        } else if (match === name) {
          basename = defaultParent;
        } else {
          continue;
        }
        out(`match ${match} to ${name} basename ${basename}\n`);
        let baseId: number;
        if (this.nameExists(basename)) {
          baseId = this.getItemId(basename);
          out(`  have base ${baseId}\n`);
        } else if (newBucketByName.has(basename)) {
          baseId = newBucketByName.get(basename)!;
          out(`  already creating base ${baseId}\n`);
        } else {
          baseId = this.getNewBucketId();
          const nb = makeBucket(this.crush, b.alg, b.hash, b.type, [], []);
          nb.id = baseId;
          this.crush.buckets[-1 - baseId] = nb;
          this.names.nameMap.set(baseId, basename);
          newBucketByName.set(basename, baseId);
          out(`  created base ${baseId}\n`);
          let nl = newBuckets.get(baseId);
          if (!nl) {
            nl = new Map();
            newBuckets.set(baseId, nl);
          }
          nl.set(defaultParentTypeName, defaultParent);
        }
        sendTo.set(b.id, baseId);
        let ncb = newClassBucket.get(baseId);
        if (!ncb) {
          ncb = new Map();
          newClassBucket.set(baseId, ncb);
        }
        ncb.set(newClassId, b.id);
        newBucketNames.set(b.id, `${basename}~${this.getClassName(newClassId)}`);
        for (let i = 0; i < b.size; i++) {
          const item = b.items[i]!;
          if (item >= 0) this.names.classMap.set(item, newClassId);
        }
      }
    }
    this.haveRmaps = false;

    for (const fromId of sortedKeys(sendTo)) {
      const from = this.getBucket(fromId)!;
      const to = this.getBucket(sendTo.get(fromId)!)!;
      out(`moving items from ${from.id} (${this.getItemName(from.id)}) to ${to.id} (${this.getItemName(to.id)})\n`);
      for (let j = 0; j < from.size; j++) {
        const item = from.items[j]!;
        const toLoc = new Map([[this.getTypeName(to.type) ?? '', this.getItemName(to.id) ?? '']]);
        let r: number;
        if (item >= 0) {
          if (this.subtreeContains(to.id, item)) continue;
          const fromLoc = new Map([[this.getTypeName(from.type) ?? '', this.getItemName(from.id) ?? '']]);
          const w = Math.fround(Math.fround(this.getItemWeightInLoc(item, fromLoc)) / 65536);
          r = this.insertItem(item, w, this.getItemName(item) ?? '', toLoc);
        } else {
          const newItem = sendTo.get(item);
          if (newItem === undefined) return -Errno.EINVAL;
          if (this.subtreeContains(to.id, newItem)) continue;
          r = this.linkBucket(newItem, toLoc);
        }
        if (r !== 0) {
          out(`reclassify err from insert_item: ${errnoText(r)}\n`);
          return r;
        }
      }
    }

    for (const baseId of sortedKeys(newBuckets)) {
      const loc = newBuckets.get(baseId)!;
      if (this.getImmediateParentId(baseId) === null) {
        const shown = sortedStringKeys(loc)
          .map((k) => `${k}=${loc.get(k)}`)
          .join(',');
        out(`new bucket ${baseId} missing parent, adding at {${shown}}\n`);
        const r = this.linkBucket(baseId, loc);
        if (r !== 0) {
          out(`reclassify err from insert_item: ${errnoText(r)}\n`);
          return r;
        }
      }
    }

    for (const [bid, m] of newClassBucket) {
      let cb = this.names.classBucket.get(bid);
      if (!cb) {
        cb = new Map();
        this.names.classBucket.set(bid, cb);
      }
      for (const [c, v] of m) cb.set(c, v);
    }
    for (const [id, name] of newBucketNames) this.names.nameMap.set(id, name);
    const r = this.rebuildRootsWithClasses();
    if (r < 0) {
      out(`failed to rebuild_roots_with_classes: ${errnoText(r)}\n`);
      return r;
    }
    return 0;
  }

  // ---------------------------------------------------------------------------------------------
  // Finalize and mapping

  /** finalize(): max_devices covers every bucket item and every named device. */
  finalize(): void {
    crushFinalize(this.crush);
    let maxName: number | undefined;
    for (const k of this.names.nameMap.keys()) if (maxName === undefined || k > maxName) maxName = k;
    if (maxName !== undefined && maxName >= this.crush.maxDevices) this.crush.maxDevices = maxName + 1;
    this.haveRmaps = false;
    this.buildRmaps();
  }

  /**
   * do_rule(): map input x through rule `ruleno` into `out` (at most maxout items), with 16.16 device
   * reweights `weights` and optionally a choose_args set. Returns the number of results.
   */
  doRule(
    ruleno: number,
    x: number,
    out: Int32Array,
    maxout: number,
    weights: Uint32Array,
    chooseArgsId?: number,
  ): number {
    if (!this.work || this.workMap !== this.crush || this.workResultMax < maxout) {
      this.work = new CrushWork(this.crush, maxout);
      this.workMap = this.crush;
      this.workResultMax = maxout;
    }
    const args = chooseArgsId === undefined ? null : (this.names.chooseArgs.get(chooseArgsId) ?? null);
    const n = crushDoRule(this.crush, ruleno, x, out, maxout, weights, weights.length, this.work, args);
    return n < 0 ? 0 : n;
  }

  /** Forget the cached mapping workspace (call after changing the bucket layout). */
  resetWork(): void {
    this.work = null;
  }

  static readonly DEFAULT_CHOOSE_ARGS = DEFAULT_CHOOSE_ARGS;
}
