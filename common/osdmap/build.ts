// OSDMap::build_simple (Ceph 16.2 src/osd/OSDMap.cc build_simple_optioned, build_simple_crush_map,
// build_simple_crush_rules, _build_crush_types): the small map `osdmaptool --createsimple N` writes.
//
// A pure function: the clock is a parameter (Ceph reads ceph_clock_now() for created/modified), and the
// configuration values Ceph reads from its context are the `BuildSimpleConfig` below, defaulting to
// Pacific's built-in defaults (what osdmaptool sees without a ceph.conf).

import { CRUSH_HASH_DEFAULT, CrushWrapper, RuleType } from '../../crush/index.js';
import { CEPH_STR_HASH_RJENKINS, PoolType, POOL_FLAG_HASHPSPOOL, POOL_FLAG_NODELETE, POOL_FLAG_NOPGCHANGE,
  POOL_FLAG_NOSIZECHANGE, type UTime } from './types.js';
import { calcPgMasks, newPgPool, OSDMap } from './osdmap.js';

/** pg_pool_t::FLAG_BULK (Pacific 16.2.8 and later). */
export const POOL_FLAG_BULK = 1 << 21;

/** pg_pool_t::pg_autoscale_mode_t. */
export const PgAutoscaleMode = { off: 0, warn: 1, on: 2, unknown: 0xff } as const;

/** The configuration options build_simple reads, with Pacific's defaults. */
export interface BuildSimpleConfig {
  osdPoolDefaultFlags: number;
  osdPoolDefaultFlagHashpspool: boolean;
  osdPoolDefaultFlagNodelete: boolean;
  osdPoolDefaultFlagNopgchange: boolean;
  osdPoolDefaultFlagNosizechange: boolean;
  osdPoolDefaultFlagBulk: boolean;
  osdPoolDefaultSize: number;
  /** 0: size - size / 2. */
  osdPoolDefaultMinSize: number;
  /** -1: the first replicated rule. */
  osdPoolDefaultCrushRule: number;
  osdPoolDefaultPgAutoscaleMode: string;
  osdCrushChooseleafType: number;
  osdPoolDefaultErasureCodeProfile: string;
}

export const PACIFIC_BUILD_SIMPLE_CONFIG: Readonly<BuildSimpleConfig> = Object.freeze({
  osdPoolDefaultFlags: 0,
  osdPoolDefaultFlagHashpspool: true,
  osdPoolDefaultFlagNodelete: false,
  osdPoolDefaultFlagNopgchange: false,
  osdPoolDefaultFlagNosizechange: false,
  osdPoolDefaultFlagBulk: false,
  osdPoolDefaultSize: 3,
  osdPoolDefaultMinSize: 0,
  osdPoolDefaultCrushRule: -1,
  osdPoolDefaultPgAutoscaleMode: 'on',
  osdCrushChooseleafType: 1,
  osdPoolDefaultErasureCodeProfile: 'plugin=jerasure technique=reed_sol_van k=2 m=2',
});

export interface BuildSimpleOptions {
  /** The epoch the map is built at (osdmaptool passes 0 and bumps it to 1 before writing). */
  epoch: number;
  fsid: string;
  /** Number of OSDs (>= 0). */
  numOsd: number;
  /** Add the 'rbd' pool (build_simple_with_pool). */
  defaultPool: boolean;
  /** pg_num = max(numOsd, 1) << pgBits; pgp_num likewise, with pgpBits capped at pgBits. */
  pgBits: number;
  pgpBits: number;
  /** ceph_clock_now() at build time: the map's created and modified stamps. */
  now: UTime;
  config?: Partial<BuildSimpleConfig>;
}

/** OSDMap::_build_crush_types: Ceph's default type names; returns the root type id. */
export function buildCrushTypes(cw: CrushWrapper): number {
  const names = ['osd', 'host', 'chassis', 'rack', 'row', 'pdu', 'pod', 'room', 'datacenter', 'zone', 'region', 'root'];
  names.forEach((n, i) => cw.setTypeName(i, n));
  return names.length - 1;
}

/** CrushWrapper::get_osd_pool_default_crush_replicated_ruleset. */
export function defaultReplicatedRuleset(cw: CrushWrapper, config: BuildSimpleConfig): number {
  const r = config.osdPoolDefaultCrushRule;
  if (r >= 0) return cw.rulesetExists(r) ? r : -1;
  // find_first_ruleset(TYPE_REPLICATED): the lowest ruleset of a replicated rule, -1 if none.
  let result = -1;
  for (let i = 0; i < cw.crush.rules.length; i++) {
    const rule = cw.crush.rules[i];
    if (rule && rule.mask.type === RuleType.Replicated && (result === -1 || rule.mask.ruleset < result)) {
      result = rule.mask.ruleset;
    }
  }
  return result;
}

/** OSDMap::build_simple_crush_rules: the one replicated rule, 'replicated_rule', under `root`. */
export function buildSimpleCrushRules(cw: CrushWrapper, root: string, config: BuildSimpleConfig, err?: { message: string }): number {
  const crushRule = defaultReplicatedRuleset(cw, config);
  const failureDomain = cw.getTypeName(config.osdCrushChooseleafType) ?? '';
  const r = cw.addSimpleRuleAt('replicated_rule', root, failureDomain, '', 'firstn', RuleType.Replicated, crushRule, err);
  return r < 0 ? r : 0;
}

/**
 * OSDMap::build_simple_crush_map: root 'default' > rack 'localrack' > host 'localhost' > osd.0..N-1,
 * each of weight 1.0, and the replicated rule. Starts from an empty map with the default tunables.
 */
export function buildSimpleCrushMap(cw: CrushWrapper, numOsd: number, config: BuildSimpleConfig = PACIFIC_BUILD_SIMPLE_CONFIG): number {
  cw.create();
  const rootType = buildCrushTypes(cw);
  const root = cw.addBucket(0, 0, CRUSH_HASH_DEFAULT, rootType, [], []);
  if (root.ret < 0) return root.ret;
  cw.setItemName(root.id, 'default');
  const loc = new Map([
    ['host', 'localhost'],
    ['rack', 'localrack'],
    ['root', 'default'],
  ]);
  for (let o = 0; o < numOsd; o++) {
    // Ceph ignores insert_item's result here.
    cw.insertItem(o, 1.0, `osd.${o}`, loc);
  }
  // Ceph ignores this result too.
  buildSimpleCrushRules(cw, 'default', config);
  cw.finalize();
  return 0;
}

/**
 * get_json_str_map as build_simple uses it on osd_pool_default_erasure_code_profile: a JSON object of
 * strings, or else "k=v" words separated by spaces, commas, semicolons or tabs (a word without '='
 * maps to ""). Returns null when the text looks like JSON but is not an object of strings.
 */
export function parseStrMap(text: string): Map<string, string> | null {
  const out = new Map<string, string>();
  const t = text.trim();
  if (t.startsWith('{')) {
    let v: unknown;
    try {
      v = JSON.parse(t);
    } catch {
      return null;
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      out.set(k, typeof x === 'string' ? x : JSON.stringify(x));
    }
    return sortedStrMap(out);
  }
  for (const word of text.split(/[ \t\n,;]+/)) {
    if (word === '') continue;
    const eq = word.indexOf('=');
    if (eq < 0) out.set(word, '');
    else out.set(word.slice(0, eq), word.slice(eq + 1));
  }
  return sortedStrMap(out);
}

function sortedStrMap(m: Map<string, string>): Map<string, string> {
  const keys = [...m.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return new Map(keys.map((k) => [k, m.get(k)!]));
}

/** pg_pool_t::get_pg_autoscale_mode_by_name. */
export function pgAutoscaleModeByName(name: string): number {
  if (name === 'off') return PgAutoscaleMode.off;
  if (name === 'warn') return PgAutoscaleMode.warn;
  if (name === 'on') return PgAutoscaleMode.on;
  return PgAutoscaleMode.unknown;
}

/**
 * OSDMap::build_simple / build_simple_with_pool, as osdmaptool --createsimple calls them: a map of
 * `numOsd` OSD slots (none exists yet: state 0, weight out), the simple CRUSH map, optionally the
 * 'rbd' pool, and the 'default' erasure code profile.
 */
export function buildSimple(opts: BuildSimpleOptions): OSDMap {
  const config: BuildSimpleConfig = { ...PACIFIC_BUILD_SIMPLE_CONFIG, ...opts.config };
  const m = new OSDMap();
  m.epoch = opts.epoch;
  m.fsid = opts.fsid;
  m.created = { sec: opts.now.sec, nsec: opts.now.nsec };
  m.modified = { sec: opts.now.sec, nsec: opts.now.nsec };
  m.setMaxOsd(opts.numOsd);

  const r = buildSimpleCrushMap(m.crush, opts.numOsd, config);
  if (r !== 0) throw new Error(`build_simple_crush_map failed: ${r}`);

  const poolbase = m.maxOsd ? m.maxOsd : 1;
  const rule = defaultReplicatedRuleset(m.crush, config);
  if (rule < 0) throw new Error('build_simple: no replicated crush rule');

  if (opts.defaultPool) {
    const pgpBits = opts.pgpBits > opts.pgBits ? opts.pgBits : opts.pgpBits;
    const id = ++m.poolMax;
    const p = newPgPool();
    p.type = PoolType.Replicated;
    p.flags = config.osdPoolDefaultFlags;
    if (config.osdPoolDefaultFlagHashpspool) p.flags |= POOL_FLAG_HASHPSPOOL;
    if (config.osdPoolDefaultFlagNodelete) p.flags |= POOL_FLAG_NODELETE;
    if (config.osdPoolDefaultFlagNopgchange) p.flags |= POOL_FLAG_NOPGCHANGE;
    if (config.osdPoolDefaultFlagNosizechange) p.flags |= POOL_FLAG_NOSIZECHANGE;
    if (config.osdPoolDefaultFlagBulk) p.flags |= POOL_FLAG_BULK;
    p.size = config.osdPoolDefaultSize & 0xff;
    const ms = config.osdPoolDefaultMinSize;
    p.minSize = (ms ? Math.min(ms, p.size) : p.size - Math.floor(p.size / 2)) & 0xff;
    p.crushRule = rule;
    p.objectHash = CEPH_STR_HASH_RJENKINS;
    // int shifts, as Ceph's `poolbase << pg_bits` (wrapping the same way), stored as u32.
    const pgNum = (poolbase << opts.pgBits) >>> 0;
    const pgpNum = (poolbase << pgpBits) >>> 0;
    p.pgNum = pgNum;
    p.pgNumPending = pgNum;
    p.pgpNum = pgpNum;
    p.pgNumTarget = pgNum;
    p.pgpNumTarget = pgpNum;
    calcPgMasks(p);
    p.lastChange = m.epoch;
    p.applicationMetadata.set('rbd', new Map());
    const mode = pgAutoscaleModeByName(config.osdPoolDefaultPgAutoscaleMode);
    p.pgAutoscaleMode = mode !== PgAutoscaleMode.unknown ? mode : PgAutoscaleMode.off;
    m.pools.set(id, p);
    m.poolName.set(id, 'rbd');
    m.rebuildNamePool();
  }

  const profile = parseStrMap(config.osdPoolDefaultErasureCodeProfile);
  if (profile === null) throw new Error('build_simple: osd_pool_default_erasure_code_profile does not parse');
  m.erasureCodeProfiles.set('default', profile);
  return m;
}
