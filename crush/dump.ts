// `crushtool --dump`: CrushWrapper::dump (devices, types, buckets, rules, tunables, choose_args) as
// Pacific writes it, through Ceph's formatter. The profile and feature facts in the tunables section
// come from tunables.ts (CrushWrapper's has_*_tunables / get_min_required_version).

import { Formatter, createFormatter } from '../common/formatter.js';
import { CephError } from '../common/errors.js';
import {
  getMinRequiredVersion,
  hasArgonautTunables,
  hasJewelTunables,
  hasNondefaultTunables,
  hasNondefaultTunables2,
  hasNondefaultTunables3,
  hasNondefaultTunables5,
  hasV2Rules,
  hasV3Rules,
  hasV4Buckets,
  hasV5Rules,
  tunablesProfileName,
} from './tunables.js';
import { bucketAlgName } from './builder.js';
import { BucketAlg, CRUSH_HASH_RJENKINS1, CrushBucket, CrushMap, CrushNames, RuleOp } from './types.js';

/** What the dump reads: a CrushWrapper or anything with its two data fields. */
export interface CrushView {
  crush: CrushMap;
  names: CrushNames;
}

/** Ceph's crush_hash_name. */
export function hashName(hash: number): string {
  return hash === CRUSH_HASH_RJENKINS1 ? 'rjenkins1' : 'unknown';
}

/** Ceph's crush_get_bucket_item_weight: the 16.16 weight of the item at `pos`, 0 past the end. */
export function bucketItemWeight(b: CrushBucket, pos: number): number {
  if (pos < 0 || pos >= b.size) return 0;
  switch (b.alg) {
    case BucketAlg.Uniform:
      return b.itemWeight;
    case BucketAlg.Tree: {
      const node = ((pos + 1) << 1) - 1;
      return node < b.nodeWeights.length ? b.nodeWeights[node]! : 0;
    }
    default:
      return b.itemWeights[pos] ?? 0;
  }
}

/** A 16.16 weight as the float Ceph computes ((float)w / (float)0x10000). */
export function weightToFloat(w: number): number {
  return Math.fround(Math.fround(w >>> 0) / 0x10000);
}

// ---- the dump ----

/**
 * A name as Ceph prints it: CrushWrapper hands names out as C strings, so a name with a NUL byte in it
 * (only possible in a corrupted map) ends there.
 */
export function cName(m: ReadonlyMap<number, string>, key: number): string | undefined {
  const s = m.get(key);
  if (s === undefined) return undefined;
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

function itemClassName(names: CrushNames, id: number): string | undefined {
  const c = names.classMap.get(id);
  return c === undefined ? undefined : cName(names.className, c);
}

/** CrushWrapper::dump_tunables. */
export function dumpTunables(map: CrushMap, f: Formatter): void {
  // CrushWrapper's getters return int, so these u32 values past 2^31 print negative, except
  // allowed_bucket_algs, whose getter is unsigned
  f.dumpInt('choose_local_tries', map.chooseLocalTries | 0);
  f.dumpInt('choose_local_fallback_tries', map.chooseLocalFallbackTries | 0);
  f.dumpInt('choose_total_tries', map.chooseTotalTries | 0);
  f.dumpInt('chooseleaf_descend_once', map.chooseleafDescendOnce | 0);
  f.dumpInt('chooseleaf_vary_r', map.chooseleafVaryR | 0);
  f.dumpInt('chooseleaf_stable', map.chooseleafStable | 0);
  f.dumpInt('straw_calc_version', map.strawCalcVersion | 0);
  f.dumpInt('allowed_bucket_algs', map.allowedBucketAlgs >>> 0);
  f.dumpString('profile', tunablesProfileName(map));
  f.dumpInt('optimal_tunables', hasJewelTunables(map) ? 1 : 0);
  f.dumpInt('legacy_tunables', hasArgonautTunables(map) ? 1 : 0);
  f.dumpString('minimum_required_version', getMinRequiredVersion(map));
  f.dumpInt('require_feature_tunables', hasNondefaultTunables(map) ? 1 : 0);
  f.dumpInt('require_feature_tunables2', hasNondefaultTunables2(map) ? 1 : 0);
  f.dumpInt('has_v2_rules', hasV2Rules(map) ? 1 : 0);
  f.dumpInt('require_feature_tunables3', hasNondefaultTunables3(map) ? 1 : 0);
  f.dumpInt('has_v3_rules', hasV3Rules(map) ? 1 : 0);
  f.dumpInt('has_v4_buckets', hasV4Buckets(map) ? 1 : 0);
  f.dumpInt('require_feature_tunables5', hasNondefaultTunables5(map) ? 1 : 0);
  f.dumpInt('has_v5_rules', hasV5Rules(map) ? 1 : 0);
}

const CHOOSE_OP_NAMES: Record<number, string> = {
  [RuleOp.ChooseFirstN]: 'choose_firstn',
  [RuleOp.ChooseIndep]: 'choose_indep',
  [RuleOp.ChooseleafFirstN]: 'chooseleaf_firstn',
  [RuleOp.ChooseleafIndep]: 'chooseleaf_indep',
};

/** CrushWrapper::dump_rule for one existing rule. */
export function dumpRule(cw: CrushView, ruleno: number, f: Formatter): void {
  const { crush, names } = cw;
  const r = crush.rules[ruleno];
  if (!r) return;
  f.openObjectSection('rule');
  f.dumpInt('rule_id', ruleno);
  const name = cName(names.ruleNameMap, ruleno);
  if (name !== undefined) f.dumpString('rule_name', name);
  f.dumpInt('ruleset', r.mask.ruleset);
  f.dumpInt('type', r.mask.type);
  f.dumpInt('min_size', r.mask.minSize);
  f.dumpInt('max_size', r.mask.maxSize);
  f.openArraySection('steps');
  for (const s of r.steps) {
    f.openObjectSection('step');
    switch (s.op) {
      case RuleOp.Noop:
        f.dumpString('op', 'noop');
        break;
      case RuleOp.Take:
        f.dumpString('op', 'take');
        f.dumpInt('item', s.arg1);
        f.dumpString('item_name', cName(names.nameMap, s.arg1) ?? '');
        break;
      case RuleOp.Emit:
        f.dumpString('op', 'emit');
        break;
      case RuleOp.ChooseFirstN:
      case RuleOp.ChooseIndep:
      case RuleOp.ChooseleafFirstN:
      case RuleOp.ChooseleafIndep:
        f.dumpString('op', CHOOSE_OP_NAMES[s.op]!);
        f.dumpInt('num', s.arg1);
        f.dumpString('type', cName(names.typeMap, s.arg2) ?? '');
        break;
      case RuleOp.SetChooseTries:
        f.dumpString('op', 'set_choose_tries');
        f.dumpInt('num', s.arg1);
        break;
      case RuleOp.SetChooseleafTries:
        f.dumpString('op', 'set_chooseleaf_tries');
        f.dumpInt('num', s.arg1);
        break;
      default:
        f.dumpInt('opcode', s.op | 0); // Ceph's get_rule_op returns an int
        f.dumpInt('arg1', s.arg1);
        f.dumpInt('arg2', s.arg2);
    }
    f.closeSection();
  }
  f.closeSection();
  f.closeSection();
}

/** CrushWrapper::dump_choose_args: the "choose_args" object. */
export function dumpChooseArgs(cw: CrushView, f: Formatter): void {
  f.openObjectSection('choose_args');
  const keys = [...cw.names.chooseArgs.keys()].sort((a, b) => a - b);
  for (const key of keys) {
    const map = cw.names.chooseArgs.get(key)!;
    f.openArraySection(String(key));
    for (let i = 0; i < map.length; i++) {
      const arg = map[i];
      if (!arg) continue;
      const hasIds = arg.ids !== null && arg.ids.length > 0;
      if (arg.weightSet.length === 0 && !hasIds) continue;
      f.openObjectSection('choose_args');
      f.dumpInt('bucket_id', -1 - i);
      if (arg.weightSet.length > 0) {
        f.openArraySection('weight_set');
        for (const ws of arg.weightSet) {
          f.openArraySection('weights');
          for (let k = 0; k < ws.length; k++) f.dumpFloat('weight', weightToFloat(ws[k]!));
          f.closeSection();
        }
        f.closeSection();
      }
      if (hasIds) {
        f.openArraySection('ids');
        for (let k = 0; k < arg.ids!.length; k++) f.dumpInt('id', arg.ids![k]!);
        f.closeSection();
      }
      f.closeSection();
    }
    f.closeSection();
  }
  f.closeSection();
}

/** CrushWrapper::dump: the fields of the map, written into the currently open object section. */
export function dumpCrushMap(cw: CrushView, f: Formatter): void {
  const { crush, names } = cw;
  f.openArraySection('devices');
  for (let i = 0; i < crush.maxDevices; i++) {
    f.openObjectSection('device');
    f.dumpInt('id', i);
    f.dumpString('name', cName(names.nameMap, i) ?? `device${i}`);
    const cls = itemClassName(names, i);
    if (cls !== undefined) f.dumpString('class', cls);
    f.closeSection();
  }
  f.closeSection();

  f.openArraySection('types');
  const typeIds = [...names.typeMap.keys()].filter((t) => t >= 0).sort((a, b) => a - b);
  if (typeIds[0] !== 0) {
    f.openObjectSection('type');
    f.dumpInt('type_id', 0);
    f.dumpString('name', 'device');
    f.closeSection();
  }
  for (const t of typeIds) {
    f.openObjectSection('type');
    f.dumpInt('type_id', t);
    f.dumpString('name', cName(names.typeMap, t)!);
    f.closeSection();
  }
  f.closeSection();

  f.openArraySection('buckets');
  for (let i = 0; i < crush.buckets.length; i++) {
    const b = crush.buckets[i];
    if (!b) continue;
    const id = -1 - i;
    f.openObjectSection('bucket');
    f.dumpInt('id', id);
    const name = cName(names.nameMap, id);
    if (name !== undefined) f.dumpString('name', name);
    f.dumpInt('type_id', b.type);
    const typeName = cName(names.typeMap, b.type);
    if (typeName !== undefined) f.dumpString('type_name', typeName);
    f.dumpInt('weight', b.weight | 0);
    f.dumpString('alg', bucketAlgName(b.alg));
    f.dumpString('hash', hashName(b.hash));
    f.openArraySection('items');
    for (let j = 0; j < b.size; j++) {
      f.openObjectSection('item');
      f.dumpInt('id', b.items[j]!);
      f.dumpInt('weight', bucketItemWeight(b, j) | 0);
      f.dumpInt('pos', j);
      f.closeSection();
    }
    f.closeSection();
    f.closeSection();
  }
  f.closeSection();

  f.openArraySection('rules');
  for (let i = 0; i < crush.rules.length; i++) dumpRule(cw, i, f);
  f.closeSection();

  f.openObjectSection('tunables');
  dumpTunables(crush, f);
  f.closeSection();

  dumpChooseArgs(cw, f);
}

/**
 * Exactly what `crushtool -i MAP --dump [-f FORMAT]` prints: the map in a "crush_map" object,
 * flushed, then a newline. FORMAT is json or json-pretty (the default, and the fallback).
 */
export function crushtoolDump(cw: CrushView, format = 'json-pretty'): string {
  const f = createFormatter(format, 'json-pretty', 'json-pretty');
  if (!f) throw new CephError('EINVAL', `unsupported dump format ${format}`);
  f.openObjectSection('crush_map');
  dumpCrushMap(cw, f);
  f.closeSection();
  return f.flush() + '\n';
}
