// CRUSH tunable profiles and the facts about a map that Ceph reports beside them (Pacific's
// CrushWrapper: set_tunables_*, has_*_tunables, has_v*_rules, get_min_required_version, and
// dump_tunables' field list for `crushtool --dump` and `ceph osd crush show-tunables`).

import {
  BucketAlg,
  CRUSH_LEGACY_ALLOWED_BUCKET_ALGS,
  CrushMap,
  CrushRule,
  CrushTunables,
  RuleOp,
} from './types.js';

/** uniform | list | straw | straw2: what hammer and later allow. */
export const CRUSH_V4_ALLOWED_BUCKET_ALGS =
  (1 << BucketAlg.Uniform) | (1 << BucketAlg.List) | (1 << BucketAlg.Straw) | (1 << BucketAlg.Straw2);

export type TunablesProfile = 'legacy' | 'argonaut' | 'bobtail' | 'firefly' | 'hammer' | 'jewel' | 'optimal' | 'default';

export const TUNABLES_PROFILES: readonly TunablesProfile[] = [
  'legacy',
  'argonaut',
  'bobtail',
  'firefly',
  'hammer',
  'jewel',
  'optimal',
  'default',
];

/** The release-named profile values, without straw_calc_version (which only some setters touch). */
function setRelease(t: CrushTunables, release: 'argonaut' | 'bobtail' | 'firefly' | 'hammer' | 'jewel'): void {
  if (release === 'argonaut') {
    t.chooseLocalTries = 2;
    t.chooseLocalFallbackTries = 5;
    t.chooseTotalTries = 19;
    t.chooseleafDescendOnce = 0;
  } else {
    t.chooseLocalTries = 0;
    t.chooseLocalFallbackTries = 0;
    t.chooseTotalTries = 50;
    t.chooseleafDescendOnce = 1;
  }
  t.chooseleafVaryR = release === 'argonaut' || release === 'bobtail' ? 0 : 1;
  t.chooseleafStable = release === 'jewel' ? 1 : 0;
  t.allowedBucketAlgs =
    release === 'hammer' || release === 'jewel' ? CRUSH_V4_ALLOWED_BUCKET_ALGS : CRUSH_LEGACY_ALLOWED_BUCKET_ALGS;
}

/**
 * CrushWrapper::set_tunables_<profile>(). The release profiles (argonaut .. jewel) leave
 * straw_calc_version alone; legacy is argonaut with straw_calc_version 0; optimal and default are jewel
 * with straw_calc_version 1.
 */
export function setTunablesProfile(t: CrushTunables, profile: TunablesProfile): void {
  switch (profile) {
    case 'legacy':
      setRelease(t, 'argonaut');
      t.strawCalcVersion = 0;
      return;
    case 'optimal':
    case 'default':
      setRelease(t, 'jewel');
      t.strawCalcVersion = 1;
      return;
    case 'argonaut':
    case 'bobtail':
    case 'firefly':
    case 'hammer':
    case 'jewel':
      setRelease(t, profile);
      return;
    default:
      throw new Error(`unknown tunables profile ${String(profile)}`);
  }
}

/** True when the tunables are exactly the release's (straw_calc_version is not compared, as in Ceph). */
export function hasReleaseTunables(
  t: CrushTunables,
  release: 'argonaut' | 'bobtail' | 'firefly' | 'hammer' | 'jewel',
): boolean {
  const r: CrushTunables = { ...t };
  setRelease(r, release);
  return (
    t.chooseLocalTries === r.chooseLocalTries &&
    t.chooseLocalFallbackTries === r.chooseLocalFallbackTries &&
    t.chooseTotalTries === r.chooseTotalTries &&
    t.chooseleafDescendOnce === r.chooseleafDescendOnce &&
    t.chooseleafVaryR === r.chooseleafVaryR &&
    t.chooseleafStable === r.chooseleafStable &&
    t.allowedBucketAlgs === r.allowedBucketAlgs
  );
}

export const hasArgonautTunables = (t: CrushTunables): boolean => hasReleaseTunables(t, 'argonaut');
export const hasBobtailTunables = (t: CrushTunables): boolean => hasReleaseTunables(t, 'bobtail');
export const hasFireflyTunables = (t: CrushTunables): boolean => hasReleaseTunables(t, 'firefly');
export const hasHammerTunables = (t: CrushTunables): boolean => hasReleaseTunables(t, 'hammer');
export const hasJewelTunables = (t: CrushTunables): boolean => hasReleaseTunables(t, 'jewel');
export const hasOptimalTunables = hasJewelTunables;
export const hasLegacyTunables = hasArgonautTunables;
/** Aliases under the names the shared contract used. */
export const isLegacyTunables = hasLegacyTunables;
export const isOptimalTunables = hasOptimalTunables;

/** The dump's "profile": the newest release whose tunables match exactly, else "unknown". */
export function tunablesProfileName(t: CrushTunables): string {
  for (const r of ['jewel', 'hammer', 'firefly', 'bobtail', 'argonaut'] as const) {
    if (hasReleaseTunables(t, r)) return r;
  }
  return 'unknown';
}

/** Tunables that need the CRUSH_TUNABLES feature (any of the three tries differs from argonaut). */
export function hasNondefaultTunables(t: CrushTunables): boolean {
  return t.chooseLocalTries !== 2 || t.chooseLocalFallbackTries !== 5 || t.chooseTotalTries !== 19;
}
/** ... CRUSH_TUNABLES2 (chooseleaf_descend_once). */
export function hasNondefaultTunables2(t: CrushTunables): boolean {
  return t.chooseleafDescendOnce !== 0;
}
/** ... CRUSH_TUNABLES3 (chooseleaf_vary_r). */
export function hasNondefaultTunables3(t: CrushTunables): boolean {
  return t.chooseleafVaryR !== 0;
}
/** ... CRUSH_TUNABLES5 (chooseleaf_stable). */
export function hasNondefaultTunables5(t: CrushTunables): boolean {
  return t.chooseleafStable !== 0;
}

function ruleUses(rule: CrushRule | null | undefined, ops: readonly number[]): boolean {
  if (!rule) return false;
  for (const s of rule.steps) if (ops.includes(s.op)) return true;
  return false;
}

const V2_OPS = [RuleOp.ChooseIndep, RuleOp.ChooseleafIndep, RuleOp.SetChooseTries, RuleOp.SetChooseleafTries];
const V3_OPS = [RuleOp.SetChooseleafVaryR];
const V5_OPS = [RuleOp.SetChooseleafStable];

/** A rule using indep or the set_choose(leaf)_tries steps. */
export function isV2Rule(map: CrushMap, ruleno: number): boolean {
  return ruleUses(map.rules[ruleno], V2_OPS);
}
/** A rule using set_chooseleaf_vary_r. */
export function isV3Rule(map: CrushMap, ruleno: number): boolean {
  return ruleUses(map.rules[ruleno], V3_OPS);
}
/** A rule using set_chooseleaf_stable. */
export function isV5Rule(map: CrushMap, ruleno: number): boolean {
  return ruleUses(map.rules[ruleno], V5_OPS);
}
export function hasV2Rules(map: CrushMap): boolean {
  return map.rules.some((r) => ruleUses(r, V2_OPS));
}
export function hasV3Rules(map: CrushMap): boolean {
  return map.rules.some((r) => ruleUses(r, V3_OPS));
}
export function hasV5Rules(map: CrushMap): boolean {
  return map.rules.some((r) => ruleUses(r, V5_OPS));
}
/** Any straw2 bucket. */
export function hasV4Buckets(map: CrushMap): boolean {
  return map.buckets.some((b) => b !== null && b.alg === BucketAlg.Straw2);
}
/** Any bucket that is not straw2. */
export function hasNonStraw2Buckets(map: CrushMap): boolean {
  return map.buckets.some((b) => b !== null && b.alg !== BucketAlg.Straw2);
}

/** CrushWrapper::get_min_required_version(): the oldest release that can use this map. */
export function getMinRequiredVersion(map: CrushMap): string {
  if (hasV5Rules(map) || hasNondefaultTunables5(map)) return 'jewel';
  if (hasV4Buckets(map)) return 'hammer';
  if (hasNondefaultTunables3(map)) return 'firefly';
  if (hasNondefaultTunables2(map) || hasNondefaultTunables(map)) return 'bobtail';
  return 'argonaut';
}

/** CrushWrapper::get_default_bucket_alg(): the preferred allowed algorithm (straw2 first), or 0. */
export function getDefaultBucketAlg(t: CrushTunables): number {
  for (const alg of [BucketAlg.Straw2, BucketAlg.Straw, BucketAlg.Tree, BucketAlg.List, BucketAlg.Uniform]) {
    if (t.allowedBucketAlgs & (1 << alg)) return alg;
  }
  return 0;
}

/**
 * The fields of CrushWrapper::dump_tunables in their order: the eight tunables as ints, then the
 * helpful extras ("profile" and "minimum_required_version" are strings, the flags are 0/1 ints).
 */
export function tunablesDump(map: CrushMap): [string, number | string][] {
  const b = (v: boolean): number => (v ? 1 : 0);
  return [
    ['choose_local_tries', map.chooseLocalTries],
    ['choose_local_fallback_tries', map.chooseLocalFallbackTries],
    ['choose_total_tries', map.chooseTotalTries],
    ['chooseleaf_descend_once', map.chooseleafDescendOnce],
    ['chooseleaf_vary_r', map.chooseleafVaryR],
    ['chooseleaf_stable', map.chooseleafStable],
    ['straw_calc_version', map.strawCalcVersion],
    ['allowed_bucket_algs', map.allowedBucketAlgs >>> 0],
    ['profile', tunablesProfileName(map)],
    ['optimal_tunables', b(hasOptimalTunables(map))],
    ['legacy_tunables', b(hasLegacyTunables(map))],
    ['minimum_required_version', getMinRequiredVersion(map)],
    ['require_feature_tunables', b(hasNondefaultTunables(map))],
    ['require_feature_tunables2', b(hasNondefaultTunables2(map))],
    ['has_v2_rules', b(hasV2Rules(map))],
    ['require_feature_tunables3', b(hasNondefaultTunables3(map))],
    ['has_v3_rules', b(hasV3Rules(map))],
    ['has_v4_buckets', b(hasV4Buckets(map))],
    ['require_feature_tunables5', b(hasNondefaultTunables5(map))],
    ['has_v5_rules', b(hasV5Rules(map))],
  ];
}
