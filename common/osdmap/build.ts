// OSDMap::build_simple (Ceph 16.2 src/osd/OSDMap.cc build_simple_optioned, build_simple_crush_map,
// build_simple_crush_rules, _build_crush_types): the small map `osdmaptool --createsimple N` writes.
//
// A pure function: the clock is a parameter (Ceph reads ceph_clock_now() for created/modified), and the
// configuration values Ceph reads from its context are the `BuildSimpleConfig` below, defaulting to
// Pacific's built-in defaults (what osdmaptool sees without a ceph.conf).

import { CRUSH_HASH_DEFAULT, CrushWrapper, RuleType } from '../../crush/index.js';
import { CEPH_STR_HASH_RJENKINS, PoolType, POOL_FLAG_HASHPSPOOL, POOL_FLAG_NODELETE, POOL_FLAG_NOPGCHANGE,
  POOL_FLAG_NOSIZECHANGE, type UTime } from './types.js';
import { assert } from '../errors.js';
import { calcPgMasks, newPgPool, OSDMap } from './osdmap.js';

/**
 * A ceph_assert that Ceph 16.2.15 fails on this input (it aborts there). `file`, `line` and `func` are
 * where Pacific's assertion is, for the report the tools print.
 */
export class CephAssertFailure extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly func: string,
    readonly cond: string,
  ) {
    super(`${file}: ${line}: FAILED ceph_assert(${cond})`);
  }
}

/** pg_pool_t::FLAG_BULK as 16.2.15 numbers it (later releases moved it). */
export const POOL_FLAG_BULK = 1 << 17;

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
 * strings, or else "k=v" words separated by spaces, tabs or newlines (a word without '='
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
  for (const word of text.split(/[ \t\n]+/)) {
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
  const m = startMap(opts);
  m.setMaxOsd(opts.numOsd);
  const r = buildSimpleCrushMap(m.crush, opts.numOsd, config);
  assert(r === 0, `build_simple_crush_map: ${r}`);
  finishSimple(m, opts, config);
  return m;
}

/** The configuration file's sections, as `osdmaptool -c FILE --create-from-conf` reads them. */
export type ConfSections = ReadonlyMap<string, ReadonlyMap<string, string>>;

export interface BuildSimpleFromConfOptions extends Omit<BuildSimpleOptions, 'numOsd'> {
  sections: ConfSections;
  /** mon_max_osd: an [osd.N] section past it makes build_simple give up (-ERANGE). */
  monMaxOsd: number;
}

/** The [osd.N] sections in std::map order, with N as strtol reads it (the whole rest must parse). */
function osdSections(sections: ConfSections): Array<{ name: string; id: number }> {
  const names = [...sections.keys()].sort((a, b) => Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1')));
  const out: Array<{ name: string; id: number }> = [];
  for (const name of names) {
    if (!name.startsWith('osd.')) continue;
    const rest = name.slice(4);
    const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(rest);
    if (m) {
      if (m[0].length !== rest.length) continue;
      // long -> int: strtol saturates at the long range, then the int keeps the low 32 bits
      let v = BigInt(m[1]!);
      if (v > (1n << 63n) - 1n) v = (1n << 63n) - 1n;
      if (v < -(1n << 63n)) v = -(1n << 63n);
      out.push({ name, id: Number(BigInt.asIntN(32, v)) });
    } else if (rest === '') {
      out.push({ name, id: 0 }); // strtol of "" reads nothing and stops at the end
    }
  }
  return out;
}

/** get_val_from_conf_file over ["osd", section]: the first section that sets the key. */
function confValue(sections: ConfSections, names: string[], key: string): string {
  for (const n of names) {
    const v = sections.get(n)?.get(key);
    if (v !== undefined) return v;
  }
  return '';
}

/**
 * OSDMap::build_simple_crush_map_from_conf: the simple types and root, then each [osd.N] section's
 * OSD at its configured host / rack (default unknownhost / unknownrack), row, room and datacenter.
 */
export function buildSimpleCrushMapFromConf(cw: CrushWrapper, sections: ConfSections, config: BuildSimpleConfig = PACIFIC_BUILD_SIMPLE_CONFIG): number {
  cw.create();
  const rootType = buildCrushTypes(cw);
  const root = cw.addBucket(0, 0, CRUSH_HASH_DEFAULT, rootType, [], []);
  if (root.ret < 0) return root.ret;
  cw.setItemName(root.id, 'default');
  for (const { name, id } of osdSections(sections)) {
    const at = ['osd', name];
    const host = confValue(sections, at, 'host') || 'unknownhost';
    const rack = confValue(sections, at, 'rack') || 'unknownrack';
    const row = confValue(sections, at, 'row');
    const room = confValue(sections, at, 'room');
    const dc = confValue(sections, at, 'datacenter');
    const loc = new Map<string, string>([['host', host], ['rack', rack]]);
    if (row) loc.set('row', row);
    if (room) loc.set('room', room);
    if (dc) loc.set('datacenter', dc);
    loc.set('root', 'default');
    cw.insertItem(id, 1.0, name, loc);
  }
  buildSimpleCrushRules(cw, 'default', config);
  cw.finalize();
  return 0;
}

/**
 * OSDMap::build_simple with num_osd < 0 (`--create-from-conf`): max_osd is one past the highest
 * [osd.N] section (1 when there is none), OSDs are placed as the sections say. When a section's id is
 * past mon_max_osd Ceph stops right there (osdmaptool ignores the error): the map then has its epoch,
 * fsid and stamps and nothing else.
 */
export function buildSimpleFromConf(opts: BuildSimpleFromConfOptions): OSDMap {
  const config: BuildSimpleConfig = { ...PACIFIC_BUILD_SIMPLE_CONFIG, ...opts.config };
  const m = startMap(opts);
  let maxosd = 0;
  for (const { id } of osdSections(opts.sections)) {
    if (id > opts.monMaxOsd) return m;
    if (id > maxosd) maxosd = id;
  }
  m.setMaxOsd(maxosd + 1);
  const r = buildSimpleCrushMapFromConf(m.crush, opts.sections, config);
  assert(r === 0, `build_simple_crush_map_from_conf: ${r}`);
  finishSimple(m, opts, config);
  return m;
}

function startMap(opts: { epoch: number; fsid: string; now: UTime }): OSDMap {
  const m = new OSDMap();
  m.epoch = opts.epoch;
  m.fsid = opts.fsid;
  m.created = { sec: opts.now.sec, nsec: opts.now.nsec };
  m.modified = { sec: opts.now.sec, nsec: opts.now.nsec };
  return m;
}

/** The part of build_simple_optioned after the CRUSH map: the default pool and EC profile. */
function finishSimple(m: OSDMap, opts: Omit<BuildSimpleOptions, 'numOsd'>, config: BuildSimpleConfig): void {

  const poolbase = m.maxOsd ? m.maxOsd : 1;
  const rule = defaultReplicatedRuleset(m.crush, config);
  if (rule < 0) {
    // osd_pool_default_crush_rule names a rule the simple map does not have
    throw new CephAssertFailure(
      './src/osd/OSDMap.cc',
      4391,
      'int OSDMap::build_simple_optioned(ceph::common::CephContext*, epoch_t, uuid_d&, int, int, int, bool)',
      'default_replicated_rule >= 0',
    );
  }

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
  }

  const profile = parseStrMap(config.osdPoolDefaultErasureCodeProfile);
  // A profile that does not parse makes build_simple return its error (which osdmaptool ignores).
  if (profile === null) return;
  m.erasureCodeProfiles.set('default', profile);
}
