// OSDMap::dump and OSDMap::Incremental::dump as Ceph 16.2 writes them through a Formatter
// (`osdmaptool MAP --dump json|json-pretty|xml|...`), with the dumps of the records inside: pg_pool_t,
// osd_info_t, osd_xinfo_t, entity_addrvec_t, HitSet::Params, pool_opts_t. Pacific's field set and
// order: no allow_crimson, pg_upmap_primaries or read_balance sections (those are newer).
//
// The stream-form values (utime_t, addresses, pg_t, snap sets) come from print.ts.

import { TableFormatter, createFormatter, type Formatter } from '../formatter.js';
import { dumpCrushMap } from '../../crush/dump.js';
import { decodeCrushMap } from '../../crush/encoding.js';
import { CrushWrapper } from '../../crush/wrapper.js';
import {
  UTC,
  addrMapEntries,
  addrTypeName,
  addrVecLegacyStr,
  autoscaleModeName,
  bloomParams,
  cacheModeName,
  cephReleaseName,
  clusterSnapshot,
  formatEntityAddr,
  formatSnapIntervalSet,
  formatSockaddr,
  formatUtime,
  getMinCompatClient,
  hitSetTypeName,
  legacyAddr,
  osdPrimaryAffinityf,
  osdStateSet,
  osdWeightf,
  osdmapFlagSet,
  osdmapFlagString,
  poolFlagsString,
  poolGradeTable,
  poolOptsSorted,
  printOSDMap,
  sortedBlocklist,
  type TimeZone,
  type ViewOptions,
} from './print.js';
import { decodeOSDMap } from './encoding.js';
import { UUID_ZERO, compareByteStrings, osdExists, pgidToString } from './osdmap.js';
import {
  CEPH_OSD_UP,
  POOL_FLAG_POOL_SNAPS,
  type EntityAddr,
  type EntityAddrVec,
  type HitSetParams,
  type OSDMapData,
  type OSDMapIncremental,
  type OsdInfo,
  type OsdXinfo,
  type PgMap,
  type PgPool,
  type SnapIntervalSet,
} from './types.js';

/** What the dumps take besides the map. */
export interface DumpOptions extends ViewOptions {
  /** Decodes an incremental's embedded full map ("full_map"); decodeOSDMap by default. */
  decodeFullMap?: (buf: Buffer) => OSDMapData;
}

// ---- records ------------------------------------------------------------------------------------

/** A Formatter that keeps Ceph's dump_stream apart from dump_string. */
export interface StreamFormatter extends Formatter {
  dumpStream(name: string, text: string): void;
}

/**
 * Ceph's `f->dump_stream(name) << text`. JSON and XML print it as dump_string does, but Ceph's
 * TableFormatter holds the value until the next value is dumped and keys it with the sections open
 * then (so a dump_stream that ends a section is listed outside it); a formatter that models that
 * has dumpStream, the others get dumpString.
 */
export function dumpStream(f: Formatter, name: string, text: string): void {
  if ('dumpStream' in f && typeof (f as StreamFormatter).dumpStream === 'function') (f as StreamFormatter).dumpStream(name, text);
  else f.dumpString(name, text);
}

/**
 * Ceph's TableFormatter with its dump_stream: the value waits until the next value (or the flush)
 * and is then keyed with the sections open at that moment. Built over common/formatter.ts's
 * TableFormatter, which has no dump_stream of its own.
 */
export class StreamTableFormatter extends TableFormatter implements StreamFormatter {
  private pendingName = '';
  private pendingText = '';

  private finishPending(): void {
    if (this.pendingName.length) {
      const name = this.pendingName;
      this.pendingName = '';
      super.dumpString(name, this.pendingText);
    }
  }
  dumpStream(name: string, text: string): void {
    this.finishPending();
    this.pendingName = name;
    this.pendingText = text;
  }
  override dumpInt(name: string, v: number | bigint): void {
    this.finishPending();
    super.dumpInt(name, v);
  }
  override dumpUnsigned(name: string, v: number | bigint): void {
    this.finishPending();
    super.dumpUnsigned(name, v);
  }
  override dumpFloat(name: string, v: number): void {
    this.finishPending();
    super.dumpFloat(name, v);
  }
  override dumpString(name: string, s: string): void {
    this.finishPending();
    super.dumpString(name, s);
  }
  override dumpBool(name: string, b: boolean): void {
    this.finishPending();
    super.dumpBool(name, b);
  }
  override dumpNull(name: string): void {
    this.finishPending();
    super.dumpNull(name);
  }
  override dumpUnquoted(name: string, text: string): void {
    this.finishPending();
    super.dumpUnquoted(name, text);
  }
  override flush(): string {
    this.finishPending();
    return super.flush();
  }
  override reset(): void {
    this.pendingName = '';
    super.reset();
  }
}

/**
 * Formatter::create(format, "", "json") as the views need it: the table formats get
 * StreamTableFormatter so dump_stream keys come out as Ceph's do.
 */
export function createViewFormatter(format: string): Formatter {
  if (format === 'table') return new StreamTableFormatter(false);
  if (format === 'table-kv') return new StreamTableFormatter(true);
  return createFormatter(format, '', 'json')!;
}

function numericKeys<V>(m: ReadonlyMap<number, V>): number[] {
  return [...m.keys()].sort((a, b) => a - b);
}

/** entity_addr_t::dump. */
export function dumpEntityAddr(a: EntityAddr, f: Formatter): void {
  f.dumpString('type', addrTypeName(a.type));
  dumpStream(f, 'addr', formatSockaddr(a));
  f.dumpUnsigned('nonce', a.nonce >>> 0);
}

/** entity_addrvec_t::dump (inside the caller's object section). */
export function dumpEntityAddrVec(v: EntityAddrVec, f: Formatter): void {
  f.openArraySection('addrvec');
  for (const a of v) {
    f.openObjectSection('addr');
    dumpEntityAddr(a, f);
    f.closeSection();
  }
  f.closeSection();
}

function dumpAddrVecObject(name: string, v: EntityAddrVec, f: Formatter): void {
  f.openObjectSection(name);
  dumpEntityAddrVec(v, f);
  f.closeSection();
}

/** osd_info_t::dump. */
export function dumpOsdInfo(i: OsdInfo, f: Formatter): void {
  f.dumpInt('last_clean_begin', i.lastCleanBegin >>> 0);
  f.dumpInt('last_clean_end', i.lastCleanEnd >>> 0);
  f.dumpInt('up_from', i.upFrom >>> 0);
  f.dumpInt('up_thru', i.upThru >>> 0);
  f.dumpInt('down_at', i.downAt >>> 0);
  f.dumpInt('lost_at', i.lostAt >>> 0);
}

/** osd_xinfo_t::laggy_probability: a float in memory (the codec converts from and to the u32). */
export function laggyProbabilityf(x: OsdXinfo): number {
  return Math.fround(x.laggyProbability);
}

/** osd_xinfo_t::dump. */
export function dumpOsdXinfo(x: OsdXinfo, f: Formatter, tz: TimeZone = UTC): void {
  dumpStream(f, 'down_stamp', formatUtime(x.downStamp, tz));
  f.dumpFloat('laggy_probability', laggyProbabilityf(x));
  f.dumpInt('laggy_interval', x.laggyInterval >>> 0);
  f.dumpInt('features', BigInt.asIntN(64, x.features));
  f.dumpUnsigned('old_weight', x.oldWeight >>> 0);
  dumpStream(f, 'last_purged_snaps_scrub', formatUtime(x.lastPurgedSnapsScrub, tz));
  f.dumpInt('dead_epoch', x.deadEpoch >>> 0);
}

/** HitSet::Params::dump. */
export function dumpHitSetParams(p: HitSetParams, f: Formatter): void {
  f.dumpString('type', hitSetTypeName(p.type));
  if (p.type === 3) {
    const b = bloomParams(p);
    f.dumpFloat('false_positive_probability', b.fppMicro / 1000000.0);
    f.dumpInt('target_size', BigInt.asIntN(64, b.targetSize));
    f.dumpInt('seed', BigInt.asIntN(64, b.seed));
  }
}

/** pg_pool_t::dump (Pacific 16.2: stretch fields, no is_stretch_pool / nonprimary_shards). */
export function dumpPgPool(p: PgPool, f: Formatter, tz: TimeZone = UTC): void {
  dumpStream(f, 'create_time', formatUtime(p.createTime, tz));
  f.dumpUnsigned('flags', BigInt(p.flags));
  f.dumpString('flags_names', poolFlagsString(p.flags));
  f.dumpInt('type', p.type);
  f.dumpInt('size', p.size);
  f.dumpInt('min_size', p.minSize);
  f.dumpInt('crush_rule', p.crushRule);
  f.dumpInt('peering_crush_bucket_count', p.peeringCrushBucketCount >>> 0);
  f.dumpInt('peering_crush_bucket_target', p.peeringCrushBucketTarget >>> 0);
  f.dumpInt('peering_crush_bucket_barrier', p.peeringCrushBucketBarrier >>> 0);
  f.dumpInt('peering_crush_bucket_mandatory_member', p.peeringCrushMandatoryMember | 0);
  f.dumpInt('object_hash', p.objectHash);
  f.dumpString('pg_autoscale_mode', autoscaleModeName(p.pgAutoscaleMode));
  f.dumpUnsigned('pg_num', p.pgNum >>> 0);
  f.dumpUnsigned('pg_placement_num', p.pgpNum >>> 0);
  f.dumpUnsigned('pg_placement_num_target', p.pgpNumTarget >>> 0);
  f.dumpUnsigned('pg_num_target', p.pgNumTarget >>> 0);
  f.dumpUnsigned('pg_num_pending', p.pgNumPending >>> 0);
  const mm = p.lastPgMergeMeta;
  f.openObjectSection('last_pg_merge_meta');
  dumpStream(f, 'source_pgid', pgidToString(mm.sourcePgid));
  f.dumpUnsigned('ready_epoch', mm.readyEpoch >>> 0);
  f.dumpUnsigned('last_epoch_started', mm.lastEpochStarted >>> 0);
  f.dumpUnsigned('last_epoch_clean', mm.lastEpochClean >>> 0);
  dumpStream(f, 'source_version', `${mm.sourceVersion.epoch >>> 0}'${BigInt.asUintN(64, mm.sourceVersion.version)}`);
  dumpStream(f, 'target_version', `${mm.targetVersion.epoch >>> 0}'${BigInt.asUintN(64, mm.targetVersion.version)}`);
  f.closeSection();
  dumpStream(f, 'last_change', String(p.lastChange >>> 0));
  dumpStream(f, 'last_force_op_resend', String(p.lastForceOpResend >>> 0));
  dumpStream(f, 'last_force_op_resend_prenautilus', String(p.lastForceOpResendPrenautilus >>> 0));
  dumpStream(f, 'last_force_op_resend_preluminous', String(p.lastForceOpResendPreluminous >>> 0));
  f.dumpUnsigned('auid', p.auid);
  f.dumpString('snap_mode', p.flags & POOL_FLAG_POOL_SNAPS ? 'pool' : 'selfmanaged');
  f.dumpUnsigned('snap_seq', p.snapSeq);
  f.dumpUnsigned('snap_epoch', p.snapEpoch >>> 0);
  f.openArraySection('pool_snaps');
  for (const snapid of [...p.snaps.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) {
    const s = p.snaps.get(snapid)!;
    f.openObjectSection('pool_snap_info');
    f.dumpUnsigned('snapid', s.snapid);
    dumpStream(f, 'stamp', formatUtime(s.stamp, tz));
    f.dumpString('name', s.name);
    f.closeSection();
  }
  f.closeSection();
  dumpStream(f, 'removed_snaps', formatSnapIntervalSet(p.removedSnaps));
  f.dumpUnsigned('quota_max_bytes', p.quotaMaxBytes);
  f.dumpUnsigned('quota_max_objects', p.quotaMaxObjects);
  f.openArraySection('tiers');
  for (const t of [...p.tiers].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))) f.dumpUnsigned('pool_id', t);
  f.closeSection();
  f.dumpInt('tier_of', p.tierOf);
  f.dumpInt('read_tier', p.readTier);
  f.dumpInt('write_tier', p.writeTier);
  f.dumpString('cache_mode', cacheModeName(p.cacheMode));
  f.dumpUnsigned('target_max_bytes', p.targetMaxBytes);
  f.dumpUnsigned('target_max_objects', p.targetMaxObjects);
  f.dumpUnsigned('cache_target_dirty_ratio_micro', p.cacheTargetDirtyRatioMicro >>> 0);
  f.dumpUnsigned('cache_target_dirty_high_ratio_micro', p.cacheTargetDirtyHighRatioMicro >>> 0);
  f.dumpUnsigned('cache_target_full_ratio_micro', p.cacheTargetFullRatioMicro >>> 0);
  f.dumpUnsigned('cache_min_flush_age', p.cacheMinFlushAge >>> 0);
  f.dumpUnsigned('cache_min_evict_age', p.cacheMinEvictAge >>> 0);
  f.dumpString('erasure_code_profile', p.erasureCodeProfile);
  f.openObjectSection('hit_set_params');
  dumpHitSetParams(p.hitSetParams, f);
  f.closeSection();
  f.dumpUnsigned('hit_set_period', p.hitSetPeriod >>> 0);
  f.dumpUnsigned('hit_set_count', p.hitSetCount >>> 0);
  f.dumpBool('use_gmt_hitset', p.useGmtHitset);
  // u32 in Pacific's pg_pool_t
  f.dumpUnsigned('min_read_recency_for_promote', p.minReadRecencyForPromote >>> 0);
  f.dumpUnsigned('min_write_recency_for_promote', p.minWriteRecencyForPromote >>> 0);
  f.dumpUnsigned('hit_set_grade_decay_rate', p.hitSetGradeDecayRate >>> 0);
  f.dumpUnsigned('hit_set_search_last_n', p.hitSetSearchLastN >>> 0);
  f.openArraySection('grade_table');
  for (const g of poolGradeTable(p)) f.dumpUnsigned('value', g);
  f.closeSection();
  f.dumpUnsigned('stripe_width', p.stripeWidth >>> 0);
  f.dumpUnsigned('expected_num_objects', p.expectedNumObjects);
  f.dumpBool('fast_read', p.fastRead);
  f.openObjectSection('options');
  for (const [name, v] of poolOptsSorted(p.opts)) {
    if (v.type === 'str') f.dumpString(name, v.value);
    else if (v.type === 'int') f.dumpInt(name, v.value);
    else f.dumpFloat(name, v.value);
  }
  f.closeSection();
  f.openObjectSection('application_metadata');
  for (const app of [...p.applicationMetadata.keys()].sort(compareByteStrings)) {
    const kv = p.applicationMetadata.get(app)!;
    f.openObjectSection(app);
    for (const k of [...kv.keys()].sort(compareByteStrings)) f.dumpString(k, kv.get(k)!);
    f.closeSection();
  }
  f.closeSection();
}

/** OSDMap::dump_erasure_code_profiles. */
export function dumpErasureCodeProfiles(profiles: ReadonlyMap<string, ReadonlyMap<string, string>>, f: Formatter): void {
  f.openObjectSection('erasure_code_profiles');
  for (const name of [...profiles.keys()].sort(compareByteStrings)) {
    const kv = profiles.get(name)!;
    f.openObjectSection(name);
    for (const k of [...kv.keys()].sort(compareByteStrings)) f.dumpString(k, kv.get(k)!);
    f.closeSection();
  }
  f.closeSection();
}

function dumpSnapQueue(name: string, m: ReadonlyMap<number, SnapIntervalSet>, f: Formatter): void {
  f.openArraySection(name);
  for (const pool of numericKeys(m)) dumpPoolSnaps(pool, m.get(pool)!, f);
  f.closeSection();
}

function dumpPoolSnaps(pool: number, s: SnapIntervalSet, f: Formatter): void {
  f.openObjectSection('pool');
  f.dumpInt('pool', pool);
  f.openArraySection('snaps');
  for (const r of s) {
    f.openObjectSection('interval');
    f.dumpUnsigned('begin', r.start);
    f.dumpUnsigned('length', r.len);
    f.closeSection();
  }
  f.closeSection();
  f.closeSection();
}

function dumpPgOsdsList(name: string, m: PgMap<number[]>, entry: string, f: Formatter): void {
  f.openArraySection(name);
  for (const [pg, osds] of m.sortedEntries()) {
    f.openObjectSection(entry);
    dumpStream(f, 'pgid', pgidToString(pg));
    f.openArraySection('osds');
    for (const o of osds) f.dumpInt('osd', o);
    f.closeSection();
    f.closeSection();
  }
  f.closeSection();
}

function dumpUpmapItems(name: string, m: PgMap<Array<[number, number]>>, f: Formatter): void {
  f.openArraySection(name);
  for (const [pg, items] of m.sortedEntries()) {
    f.openObjectSection('mapping');
    dumpStream(f, 'pgid', pgidToString(pg));
    f.openArraySection('mappings');
    for (const [from, to] of items) {
      f.openObjectSection('mapping');
      f.dumpInt('from', from);
      f.dumpInt('to', to);
      f.closeSection();
    }
    f.closeSection();
    f.closeSection();
  }
  f.closeSection();
}

function crushItemName(m: OSDMapData, id: number): string {
  const n = m.crush.names.nameMap.get(id);
  return n !== undefined ? n : String(id);
}

function crushClassName(m: OSDMapData, id: number): string {
  const n = m.crush.names.className.get(id);
  return n !== undefined ? n : String(id);
}

function dumpFlagNames(flags: number, f: Formatter): void {
  for (const s of osdStateSet(flags)) f.dumpString('flag', s);
}

// ---- OSDMap::dump -------------------------------------------------------------------------------

/** OSDMap::dump_osd: one OSD's "osd_info" object (nothing for an OSD that does not exist). */
export function dumpOsd(m: OSDMapData, id: number, f: Formatter): void {
  if (!osdExists(m, id)) return;
  const up = ((m.osdState[id] ?? 0) & CEPH_OSD_UP) !== 0;
  f.openObjectSection('osd_info');
  f.dumpInt('osd', id);
  dumpStream(f, 'uuid', m.osdUuid[id] ?? UUID_ZERO);
  f.dumpInt('up', up ? 1 : 0);
  f.dumpInt('in', (m.osdWeight[id] ?? 0) >>> 0 !== 0 ? 1 : 0);
  f.dumpFloat('weight', osdWeightf(m, id));
  f.dumpFloat('primary_affinity', osdPrimaryAffinityf(m, id));
  dumpOsdInfo(m.osdInfo[id]!, f);
  const pub = m.clientAddrs[id] ?? [];
  const clu = m.clusterAddrs[id] ?? [];
  const hbb = m.hbBackAddrs[id] ?? [];
  const hbf = m.hbFrontAddrs[id] ?? [];
  dumpAddrVecObject('public_addrs', pub, f);
  dumpAddrVecObject('cluster_addrs', clu, f);
  dumpAddrVecObject('heartbeat_back_addrs', hbb, f);
  dumpAddrVecObject('heartbeat_front_addrs', hbf, f);
  dumpStream(f, 'public_addr', addrVecLegacyStr(pub));
  dumpStream(f, 'cluster_addr', addrVecLegacyStr(clu));
  dumpStream(f, 'heartbeat_back_addr', addrVecLegacyStr(hbb));
  dumpStream(f, 'heartbeat_front_addr', addrVecLegacyStr(hbf));
  f.openArraySection('state');
  for (const s of osdStateSet(m.osdState[id] ?? 0)) f.dumpString('state', s);
  f.closeSection();
  f.closeSection();
}

/** OSDMap::dump: every section, in Pacific's order, into the caller's open section. */
export function dumpOSDMap(m: OSDMapData, f: Formatter, opts: ViewOptions = {}): void {
  const tz = opts.tz ?? UTC;
  f.dumpInt('epoch', m.epoch >>> 0);
  dumpStream(f, 'fsid', m.fsid);
  dumpStream(f, 'created', formatUtime(m.created, tz));
  dumpStream(f, 'modified', formatUtime(m.modified, tz));
  dumpStream(f, 'last_up_change', formatUtime(m.lastUpChange, tz));
  dumpStream(f, 'last_in_change', formatUtime(m.lastInChange, tz));
  f.dumpString('flags', osdmapFlagString(m.flags));
  f.dumpUnsigned('flags_num', m.flags >>> 0);
  f.openArraySection('flags_set');
  for (const s of osdmapFlagSet(m.flags)) f.dumpString('flag', s);
  f.closeSection();
  f.dumpUnsigned('crush_version', m.crushVersion >>> 0);
  f.dumpFloat('full_ratio', Math.fround(m.fullRatio));
  f.dumpFloat('backfillfull_ratio', Math.fround(m.backfillfullRatio));
  f.dumpFloat('nearfull_ratio', Math.fround(m.nearfullRatio));
  f.dumpString('cluster_snapshot', clusterSnapshot(m));
  f.dumpInt('pool_max', m.poolMax | 0);
  f.dumpInt('max_osd', m.maxOsd);
  f.dumpString('require_min_compat_client', cephReleaseName(m.requireMinCompatClient));
  f.dumpString('min_compat_client', cephReleaseName(getMinCompatClient(m)));
  f.dumpString('require_osd_release', cephReleaseName(m.requireOsdRelease));

  f.openArraySection('pools');
  for (const id of numericKeys(m.pools)) {
    f.openObjectSection('pool');
    f.dumpInt('pool', id);
    f.dumpString('pool_name', m.poolName.get(id) ?? '<unknown>');
    dumpPgPool(m.pools.get(id)!, f, tz);
    f.closeSection();
  }
  f.closeSection();

  f.openArraySection('osds');
  for (let i = 0; i < m.maxOsd; i++) dumpOsd(m, i, f);
  f.closeSection();

  f.openArraySection('osd_xinfo');
  for (let i = 0; i < m.maxOsd; i++) {
    if (!osdExists(m, i)) continue;
    f.openObjectSection('xinfo');
    f.dumpInt('osd', i);
    dumpOsdXinfo(m.osdXinfo[i]!, f, tz);
    f.closeSection();
  }
  f.closeSection();

  dumpPgOsdsList('pg_upmap', m.pgUpmap, 'mapping', f);
  dumpUpmapItems('pg_upmap_items', m.pgUpmapItems, f);
  dumpPgOsdsList('pg_temp', m.pgTemp, 'osds', f);

  f.openArraySection('primary_temp');
  for (const [pg, osd] of m.primaryTemp.sortedEntries()) {
    dumpStream(f, 'pgid', pgidToString(pg));
    f.dumpInt('osd', osd);
  }
  f.closeSection();

  f.openObjectSection('blocklist');
  for (const e of sortedBlocklist(m.blocklist)) dumpStream(f, formatEntityAddr(e.addr), formatUtime(e.until, tz));
  f.closeSection();
  f.openObjectSection('range_blocklist');
  for (const e of addrMapEntries(m.rangeBlocklist)) dumpStream(f, formatEntityAddr(e.addr), formatUtime(e.until, tz));
  f.closeSection();

  dumpErasureCodeProfiles(m.erasureCodeProfiles, f);

  dumpSnapQueue('removed_snaps_queue', m.removedSnapsQueue, f);
  dumpSnapQueue('new_removed_snaps', m.newRemovedSnaps, f);
  dumpSnapQueue('new_purged_snaps', m.newPurgedSnaps, f);

  f.openObjectSection('crush_node_flags');
  for (const id of numericKeys(m.crushNodeFlags)) {
    f.openArraySection(crushItemName(m, id));
    dumpFlagNames(m.crushNodeFlags.get(id)!, f);
    f.closeSection();
  }
  f.closeSection();
  f.openObjectSection('device_class_flags');
  for (const id of numericKeys(m.deviceClassFlags)) {
    f.openArraySection(crushClassName(m, id));
    dumpFlagNames(m.deviceClassFlags.get(id)!, f);
    f.closeSection();
  }
  f.closeSection();

  f.openObjectSection('stretch_mode');
  f.dumpBool('stretch_mode_enabled', m.stretchModeEnabled);
  f.dumpUnsigned('stretch_bucket_count', m.stretchBucketCount >>> 0);
  f.dumpUnsigned('degraded_stretch_mode', m.degradedStretchMode >>> 0);
  f.dumpUnsigned('recovering_stretch_mode', m.recoveringStretchMode >>> 0);
  f.dumpInt('stretch_mode_bucket', m.stretchModeBucket | 0);
  f.closeSection();
}

// ---- OSDMap::Incremental::dump ------------------------------------------------------------------

/**
 * OSDMap::Incremental::dump as Pacific writes it. Faithful to a Ceph quirk: the "new_purged_snaps"
 * array is not closed where it ends, so new_crush_node_flags, new_device_class_flags and
 * stretch_mode land inside it, and the function's last close ends it.
 *
 * Not checked against a Ceph tool (none here prints incrementals); built from Pacific's code.
 */
export function dumpIncremental(inc: OSDMapIncremental, f: Formatter, opts: DumpOptions = {}): void {
  const tz = opts.tz ?? UTC;
  f.dumpInt('epoch', inc.epoch >>> 0);
  dumpStream(f, 'fsid', inc.fsid);
  dumpStream(f, 'modified', formatUtime(inc.modified, tz));
  dumpStream(f, 'new_last_up_change', formatUtime(inc.newLastUpChange, tz));
  dumpStream(f, 'new_last_in_change', formatUtime(inc.newLastInChange, tz));
  f.dumpInt('new_pool_max', inc.newPoolMax);
  f.dumpInt('new_flags', inc.newFlags | 0);
  f.dumpFloat('new_full_ratio', Math.fround(inc.newFullRatio));
  f.dumpFloat('new_nearfull_ratio', Math.fround(inc.newNearfullRatio));
  f.dumpFloat('new_backfillfull_ratio', Math.fround(inc.newBackfillfullRatio));
  f.dumpInt('new_require_min_compat_client', inc.newRequireMinCompatClient & 0xff);
  f.dumpInt('new_require_osd_release', inc.newRequireOsdRelease & 0xff);

  if (inc.fullmap && inc.fullmap.length) {
    const decode = opts.decodeFullMap ?? decodeOSDMap;
    f.openObjectSection('full_map');
    dumpOSDMap(decode(inc.fullmap), f, { tz });
    f.closeSection();
  }
  if (inc.crush && inc.crush.length) {
    f.openObjectSection('crush');
    const c = decodeCrushMap(inc.crush);
    dumpCrushMap(new CrushWrapper(c.crush, c.names), f);
    f.closeSection();
  }

  f.dumpInt('new_max_osd', inc.newMaxOsd);

  f.openArraySection('new_pools');
  for (const id of numericKeys(inc.newPools)) {
    f.openObjectSection('pool');
    f.dumpInt('pool', id);
    dumpPgPool(inc.newPools.get(id)!, f, tz);
    f.closeSection();
  }
  f.closeSection();
  f.openArraySection('new_pool_names');
  for (const id of numericKeys(inc.newPoolNames)) {
    f.openObjectSection('pool_name');
    f.dumpInt('pool', id);
    f.dumpString('name', inc.newPoolNames.get(id)!);
    f.closeSection();
  }
  f.closeSection();
  f.openArraySection('old_pools');
  for (const id of [...new Set(inc.oldPools)].sort((a, b) => a - b)) f.dumpInt('pool', id);
  f.closeSection();

  f.openArraySection('new_up_osds');
  for (const osd of numericKeys(inc.newUpClient)) {
    const pub = inc.newUpClient.get(osd)!;
    f.openObjectSection('osd');
    f.dumpInt('osd', osd);
    dumpStream(f, 'public_addr', formatEntityAddr(legacyAddr(pub)));
    dumpAddrVecObject('public_addrs', pub, f);
    const clu = inc.newUpCluster.get(osd);
    if (clu !== undefined) {
      dumpStream(f, 'cluster_addr', formatEntityAddr(legacyAddr(clu)));
      dumpAddrVecObject('cluster_addrs', clu, f);
    }
    const hbb = inc.newHbBackUp.get(osd);
    if (hbb !== undefined) dumpAddrVecObject('heartbeat_back_addrs', hbb, f);
    const hbf = inc.newHbFrontUp.get(osd);
    if (hbf !== undefined) dumpAddrVecObject('heartbeat_front_addrs', hbf, f);
    f.closeSection();
  }
  f.closeSection();

  f.openArraySection('new_weight');
  for (const osd of numericKeys(inc.newWeight)) {
    f.openObjectSection('osd');
    f.dumpInt('osd', osd);
    f.dumpInt('weight', inc.newWeight.get(osd)! >>> 0);
    f.closeSection();
  }
  f.closeSection();

  f.openArraySection('osd_state_xor');
  for (const osd of numericKeys(inc.newState)) {
    f.openObjectSection('osd');
    f.dumpInt('osd', osd);
    f.openArraySection('state_xor');
    for (const s of osdStateSet(inc.newState.get(osd)!)) f.dumpString('state', s);
    f.closeSection();
    f.closeSection();
  }
  f.closeSection();

  dumpPgOsdsList('new_pg_temp', inc.newPgTemp, 'pg', f);

  f.openArraySection('primary_temp');
  for (const [pg, osd] of inc.newPrimaryTemp.sortedEntries()) {
    dumpStream(f, 'pgid', pgidToString(pg));
    f.dumpInt('osd', osd);
  }
  f.closeSection();

  dumpPgOsdsList('new_pg_upmap', inc.newPgUpmap, 'mapping', f);
  f.openArraySection('old_pg_upmap');
  for (const pg of sortedPgSet(inc.oldPgUpmap)) dumpStream(f, 'pgid', pgidToString(pg));
  f.closeSection();
  dumpUpmapItems('new_pg_upmap_items', inc.newPgUpmapItems, f);
  f.openArraySection('old_pg_upmap_items');
  for (const pg of sortedPgSet(inc.oldPgUpmapItems)) dumpStream(f, 'pgid', pgidToString(pg));
  f.closeSection();

  f.openArraySection('new_up_thru');
  for (const osd of numericKeys(inc.newUpThru)) {
    f.openObjectSection('osd');
    f.dumpInt('osd', osd);
    f.dumpInt('up_thru', inc.newUpThru.get(osd)! >>> 0);
    f.closeSection();
  }
  f.closeSection();

  f.openArraySection('new_lost');
  for (const osd of numericKeys(inc.newLost)) {
    f.openObjectSection('osd');
    f.dumpInt('osd', osd);
    f.dumpInt('epoch_lost', inc.newLost.get(osd)! >>> 0);
    f.closeSection();
  }
  f.closeSection();

  f.openArraySection('new_last_clean_interval');
  for (const osd of numericKeys(inc.newLastCleanInterval)) {
    const [first, last] = inc.newLastCleanInterval.get(osd)!;
    f.openObjectSection('osd');
    f.dumpInt('osd', osd);
    f.dumpInt('first', first >>> 0);
    f.dumpInt('last', last >>> 0);
    f.closeSection();
  }
  f.closeSection();

  f.openArraySection('new_blocklist');
  for (const e of addrMapEntries(inc.newBlocklist)) dumpStream(f, formatEntityAddr(e.addr), formatUtime(e.until, tz));
  f.closeSection();
  f.openArraySection('old_blocklist');
  for (const a of inc.oldBlocklist) dumpStream(f, 'addr', formatEntityAddr(a));
  f.closeSection();
  f.openArraySection('new_range_blocklist');
  for (const e of addrMapEntries(inc.newRangeBlocklist)) dumpStream(f, formatEntityAddr(e.addr), formatUtime(e.until, tz));
  f.closeSection();
  f.openArraySection('old_range_blocklist');
  for (const a of inc.oldRangeBlocklist) dumpStream(f, 'addr', formatEntityAddr(a));
  f.closeSection();

  f.openArraySection('new_xinfo');
  for (const osd of numericKeys(inc.newXinfo)) {
    f.openObjectSection('xinfo');
    f.dumpInt('osd', osd);
    dumpOsdXinfo(inc.newXinfo.get(osd)!, f, tz);
    f.closeSection();
  }
  f.closeSection();

  if (inc.clusterSnapshot.length) f.dumpString('cluster_snapshot', inc.clusterSnapshot);

  f.openArraySection('new_uuid');
  for (const osd of numericKeys(inc.newUuid)) {
    f.openObjectSection('osd');
    f.dumpInt('osd', osd);
    dumpStream(f, 'uuid', inc.newUuid.get(osd)!);
    f.closeSection();
  }
  f.closeSection();

  dumpErasureCodeProfiles(inc.newErasureCodeProfiles, f);
  f.openArraySection('old_erasure_code_profiles');
  for (const name of inc.oldErasureCodeProfiles) f.dumpString('old', name);
  f.closeSection();

  f.openArraySection('new_removed_snaps');
  for (const pool of numericKeys(inc.newRemovedSnaps)) dumpPoolSnaps(pool, inc.newRemovedSnaps.get(pool)!, f);
  f.closeSection();
  f.openArraySection('new_purged_snaps');
  for (const pool of numericKeys(inc.newPurgedSnaps)) dumpPoolSnaps(pool, inc.newPurgedSnaps.get(pool)!, f);
  // (Ceph does not close new_purged_snaps here.)
  f.openArraySection('new_crush_node_flags');
  for (const id of numericKeys(inc.newCrushNodeFlags)) {
    f.openObjectSection('node');
    f.dumpInt('id', id);
    dumpFlagNames(inc.newCrushNodeFlags.get(id)!, f);
    f.closeSection();
  }
  f.closeSection();
  f.openArraySection('new_device_class_flags');
  for (const id of numericKeys(inc.newDeviceClassFlags)) {
    f.openObjectSection('device_class');
    f.dumpInt('id', id);
    dumpFlagNames(inc.newDeviceClassFlags.get(id)!, f);
    f.closeSection();
  }
  f.closeSection();
  f.openObjectSection('stretch_mode');
  f.dumpBool('change_stretch_mode', inc.changeStretchMode);
  f.dumpBool('stretch_mode_enabled', inc.stretchModeEnabled);
  f.dumpUnsigned('new_stretch_bucket_count', inc.newStretchBucketCount >>> 0);
  f.dumpUnsigned('new_degraded_stretch_mode', inc.newDegradedStretchMode >>> 0);
  f.dumpUnsigned('new_recovering_stretch_mode', inc.newRecoveringStretchMode >>> 0);
  f.dumpInt('new_stretch_mode_bucket', inc.newStretchModeBucket | 0);
  f.closeSection();
  f.closeSection(); // closes new_purged_snaps, as in Ceph
}

/** A set<pg_t> in Ceph's order (pool, then seed), duplicates dropped. */
function sortedPgSet(pgs: ReadonlyArray<{ pool: number; seed: number }>): Array<{ pool: number; seed: number }> {
  const seen = new Set<string>();
  const out: Array<{ pool: number; seed: number }> = [];
  for (const pg of pgs) {
    const k = `${pg.pool}.${pg.seed}`;
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(pg);
  }
  return out.sort((a, b) => (a.pool !== b.pool ? a.pool - b.pool : (a.seed >>> 0) - (b.seed >>> 0)));
}

// ---- what osdmaptool prints -----------------------------------------------------------------------

/**
 * Exactly what `osdmaptool MAP --dump FORMAT` writes: OSDMap::print for "plain" (or an empty format),
 * else the dump inside an "osdmap" section through Formatter::create(FORMAT, "", "json"), so an
 * unknown format prints json.
 */
export function osdmaptoolDump(m: OSDMapData, format: string, opts: ViewOptions = {}): string {
  if (format === '' || format === 'plain') return printOSDMap(m, opts);
  const f = createViewFormatter(format);
  f.openObjectSection('osdmap');
  dumpOSDMap(m, f, opts);
  f.closeSection();
  return f.flush();
}
