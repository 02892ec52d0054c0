// The OSDMap Paxos service (Ceph's OSDMonitor, src/mon/OSDMonitor.cc), as a pure state machine.
//
// Store layout (prefix "osdmap", as Ceph's PaxosService keeps it): the incremental of epoch e under
// the decimal key "e", the full map under "full_e", "full_latest" = newest full epoch, and
// "first_committed" / "last_committed". Ceph writes full maps outside Paxos, in each monitor's
// update_from_paxos; tsceph's cores never write the store themselves, so the leader puts the full map
// in the same proposal as its incremental (the bytes are the same on every monitor either way).
//
// Flow: commands and OSD messages fill one pending incremental (the leader only). encodePending turns
// it into epoch+1: it applies the incremental to a copy of the committed map, sets full_crc from the
// result, encodes both, and checks that the encoded incremental applied to the committed map gives a
// map with that crc. After the commit every monitor's refresh() loads the new committed map.

import { CephError, Errno, assert } from '../../../common/errors.js';
import { compareStringBytes, Decoder, Encoder } from '../../../common/encoding.js';
import {
  CEPH_OSD_AUTOOUT,
  CEPH_OSD_IN,
  CEPH_OSD_NEW,
  CEPH_OSD_OUT,
  CEPH_OSD_UP,
  CEPH_OSDMAP_NOOUT,
  CEPH_OSDMAP_NODOWN,
  CEPH_OSDMAP_NOUP,
  CEPH_OSDMAP_NOIN,
  CEPH_OSDMAP_PGLOG_HARDLIMIT,
  CEPH_OSDMAP_PURGED_SNAPDIRS,
  CEPH_OSDMAP_RECOVERY_DELETES,
  CEPH_OSDMAP_SORTBITWISE,
  CEPH_STR_HASH_RJENKINS,
  CephRelease,
  POOL_FLAG_CREATING,
  POOL_FLAG_HASHPSPOOL,
  POOL_FLAG_NODELETE,
  POOL_FLAG_NOPGCHANGE,
  POOL_FLAG_NOSIZECHANGE,
  POOL_FLAG_NODEEP_SCRUB,
  POOL_FLAG_NOSCRUB,
  POOL_FLAG_WRITE_FADVISE_DONTNEED,
  POOL_FLAG_BULK,
  PoolType,
  UUID_ZERO,
  applyIncremental,
  pgToActingOsds,
  pgToRawUp,
  autoscaleModeName,
  buildSimple,
  calcPgMasks,
  clonePgPool,
  cloneAddrVec,
  decodeIncremental,
  decodeOSDMap,
  dumpOSDMap,
  dumpOsdTree,
  dumpPgPool,
  encodeIncremental,
  encodeOSDMap,
  newIncremental,
  newOsdXinfo,
  newPgPool,
  objectLocatorToPgId,
  osdmapCrc,
  pgAutoscaleModeByName,
  pgToUpActingOsds,
  pgidToString,
  poolHashKey,
  printOSDMap,
  osdmapFlagString,
  printOsdTree,
  walkOsdTree,
  dumpEntityAddrVec,
  dumpStream,
  formatEntityAddr,
  formatUtime,
  DUMP_DESTROYED,
  DUMP_DOWN,
  DUMP_IN,
  DUMP_OUT,
  DUMP_UP,
  printPools,
  rawPgToPg,
  type EntityAddrVec,
  type OSDMap,
  type OSDMapIncremental,
  type PgId,
  type OsdXinfo,
} from '../../../common/osdmap/index.js';
import { CrushWrapper, crushtoolTree, decodeCrushMap, dumpCrushMap, dumpRule, dumpTunables, encodeCrushMap, TUNABLES_PROFILES, type TunablesProfile } from '../../../crush/index.js';
import type { Formatter } from '../../../common/formatter.js';
import { CRUSH_HASH_DEFAULT } from '../../../crush/types.js';
import { type MonStoreRead, MonStoreTx, versionKey } from '../store.js';
import type { CmdMap, CommandOutcome, MonContext, MonServicesConfig, OsdMapUpdate, PgCreateInfo, PgTempRequest } from '../types.js';
import {
  argBool,
  argFloat,
  argInt,
  argList,
  argStr,
  formatLocMap,
  formatterFor,
  flushNl,
  msFromUtime,
  replyAfterCommit,
  replyErr,
  replyNow,
  streamFloat,
  timespanStr,
  utimeFromMs,
} from './common.js';

export const OSDMAP_PREFIX = 'osdmap';
/**
 * Where the PGs reported created (MOSDPGCreated) of pools still flagged `creating` are kept, written with
 * the osdmap epoch that takes them in (Ceph keeps its creating_pgs_t under this prefix, key "creating";
 * ours keeps the other half, key "created": pool -> seeds).
 */
export const OSD_PG_CREATING_PREFIX = 'osd_pg_creating';
const CREATED_KEY = 'created';

/**
 * The feature bits Ceph 16's monitor records in each incremental it encodes (OSDMap's significant
 * features for a Pacific quorum, as read back from a real ceph-mon's store).
 */
export const OSDMAP_INC_ENCODE_FEATURES = 0x0f00088010212a04n;

/** mon_osd_full_ratio, mon_osd_backfillfull_ratio, mon_osd_nearfull_ratio. */
const FULL_RATIO = 0.95;
const BACKFILLFULL_RATIO = 0.9;
const NEARFULL_RATIO = 0.85;
/** osd_pool_default_size is refused outside [1, osd_pool_max_size (10)] ... */
const POOL_SIZE_MAX = 10;

/** A pool variable as `osd pool get` prints it. */
interface PoolVar {
  plain: string;
  json: string | number | boolean;
}

/** One reporter's claim that an OSD failed (Ceph's failure_reporter_t). */
interface FailureReport {
  failedSinceMs: number;
}

/** Which commands this service handles (Ceph's OSDMonitor prefixes). */
export function isOsdCommand(prefix: string): boolean {
  return prefix.startsWith('osd ') || prefix === 'osd';
}

const READ_PREFIXES = new Set([
  'osd stat', 'osd dump', 'osd tree', 'osd ls', 'osd getmap', 'osd getcrushmap', 'osd map', 'osd pool ls',
  'osd pool get', 'osd crush rule ls', 'osd crush dump', 'osd crush tree', 'osd getmaxosd', 'osd find',
  'osd lspools', 'osd crush rule dump', 'osd crush show-tunables', 'osd crush class ls',
  'osd erasure-code-profile ls', 'osd blocklist ls', 'osd pool get-quota',
]);

/** `osd tree states=...`: the filter bits (OSDMap's DUMP_*). */
const TREE_STATES: Record<string, number> = { in: DUMP_IN, out: DUMP_OUT, up: DUMP_UP, down: DUMP_DOWN, destroyed: DUMP_DESTROYED };

/** mon_max_osd. */
const MON_MAX_OSD = 10000;
/** PGs per pool the setcrushmap smoke test maps with the new CRUSH map. */
const CRUSH_SMOKE_PGS = 64;
/** mon_osd_min_in_ratio: the down -> out timer stops marking OSDs out below this fraction in. */
const OSD_MIN_IN_RATIO = 0.75;
/** mon_osd_down_out_subtree_limit: a whole subtree of this type down is not marked out. */
const DOWN_OUT_SUBTREE_LIMIT = 'rack';

/** The addresses an MOSDBoot announces. */
type BootAddrs = { public: EntityAddrVec; cluster: EntityAddrVec; hbBack: EntityAddrVec; hbFront: EntityAddrVec };

export class OsdMonitor {
  /** The newest committed map (epoch 0 and empty before create_initial commits). */
  committed: OSDMap;
  private committedBuf: Buffer | null = null;
  private firstCommitted = 0;
  private lastCommitted = 0;
  private store: MonStoreRead | null = null;

  /** The leader's pending change and the map it would make (recomputed after each change). */
  private pending: OSDMapIncremental;
  private pendingMapCache: OSDMap | null = null;
  /**
   * The epoch proposed by encodePending and not yet seen committed, with its full map: changes made
   * meanwhile build on it (as Ceph's commands wait for the proposal before they look at the map).
   */
  private proposedEpoch = 0;
  private proposedBuf: Buffer | null = null;
  /** The election epoch the pending state belongs to; a new election drops it (PaxosService::restart). */
  private electionEpoch = -1;

  /** Failure reports: target -> reporter -> report. */
  private readonly failures = new Map<number, Map<number, FailureReport>>();
  /** OSDs seen going down, with when (ms): candidates for down -> out. */
  private readonly downPendingOut = new Map<number, number>();
  /** Boots of OSDs restarted while marked up, taken once the map marking the old instance down is out (Ceph's C_RetryMessage). */
  private readonly bootsAfterDown = new Map<number, { addrs: BootAddrs; features: bigint }>();

  /** Committed: the PGs of creating pools reported created, pool -> seeds (OSD_PG_CREATING_PREFIX). */
  private created = new Map<number, Set<number>>();
  /** Leader: MOSDPGCreated reports the next epoch takes in (Ceph's pending_created_pgs). */
  private pendingCreated: PgId[] = [];
  /** pgCreatesFor's answer for one committed epoch: the PGs to create, by acting primary. */
  private creating: { epoch: number; byPrimary: Map<number, PgCreateInfo[]> } | null = null;

  constructor(private readonly config: MonServicesConfig) {
    this.committed = decodeOSDMap(encodeOSDMap(buildSimple({ epoch: 0, fsid: UUID_ZERO, numOsd: 0, defaultPool: false, pgBits: 6, pgpBits: 6, now: { sec: 0, nsec: 0 } })));
    this.pending = newIncremental(1);
  }

  epoch(): number {
    return this.lastCommitted;
  }

  // ---------------------------------------------------------------------------------------------
  // Committed state

  refresh(store: MonStoreRead, ctx: MonContext): void {
    this.store = store;
    const last = store.getNumber(OSDMAP_PREFIX, 'last_committed');
    this.firstCommitted = store.getNumber(OSDMAP_PREFIX, 'first_committed');
    this.noteElection(ctx);
    if (last === this.lastCommitted && this.committedBuf !== null) return;
    if (last === 0) return;
    const latestFull = store.getNumber(OSDMAP_PREFIX, 'full_latest') || last;
    const buf = store.get(OSDMAP_PREFIX, `full_${latestFull}`);
    if (!buf) throw new CephError('EIO', `osdmap: full map of epoch ${latestFull} missing from the store`);
    let map = decodeOSDMap(buf);
    let mapBuf = buf;
    // Epochs past the newest full map: apply their incrementals.
    for (let e = latestFull + 1; e <= last; e++) {
      const ib = store.get(OSDMAP_PREFIX, versionKey(e));
      if (!ib) throw new CephError('EIO', `osdmap: incremental ${e} missing from the store`);
      applyIncremental(map, decodeIncremental(ib));
      mapBuf = encodeOSDMap(map);
      map = decodeOSDMap(mapBuf);
    }
    this.committed = map;
    this.committedBuf = mapBuf;
    this.lastCommitted = last;
    this.created = decodeCreated(store.get(OSD_PG_CREATING_PREFIX, CREATED_KEY));
    this.noteDownTransitions(ctx.nowMs);
    if (this.proposedEpoch !== 0 && last >= this.proposedEpoch) {
      // Our proposal committed (pending builds on it already) - or another value took its epoch.
      const ours = last === this.proposedEpoch && this.proposedBuf !== null && this.proposedBuf.equals(mapBuf);
      this.proposedEpoch = 0;
      this.proposedBuf = null;
      if (!ours) this.resetPending();
    }
    // A pending change built on another epoch is stale: the leader starts over.
    if (this.pending.epoch !== this.baseEpoch() + 1) this.resetPending();
    this.pendingMapCache = null;
  }

  /** A new election: whatever was pending or in flight is dropped (its clients are told to retry). */
  private noteElection(ctx: MonContext): void {
    if (ctx.electionEpoch === this.electionEpoch) return;
    const first = this.electionEpoch === -1;
    this.electionEpoch = ctx.electionEpoch;
    if (first) return;
    this.proposedEpoch = 0;
    this.proposedBuf = null;
    this.failures.clear();
    this.pendingCreated = [];
    this.resetPending();
  }

  /** True while a proposal made here has not been seen committed. */
  inFlight(): boolean {
    return this.proposedEpoch > this.lastCommitted;
  }

  /** The map new changes build on: the proposal in flight, else the committed map. */
  private baseEpoch(): number {
    return this.proposedEpoch > this.lastCommitted ? this.proposedEpoch : this.lastCommitted;
  }
  private baseBuf(): Buffer {
    if (this.proposedEpoch > this.lastCommitted && this.proposedBuf) return this.proposedBuf;
    return this.committedBuf ?? encodeOSDMap(this.committed);
  }

  /** Ceph's update_from_paxos bookkeeping: OSDs that went down start the down -> out clock. */
  /**
   * Ceph's update_from_paxos bookkeeping: every OSD that is down and in (booted or not) starts the
   * down -> out clock when this monitor first sees it so; one that is up leaves it.
   */
  private noteDownTransitions(nowMs: number): void {
    const m = this.committed;
    for (const o of [...this.downPendingOut.keys()]) if (o >= m.maxOsd || !m.exists(o)) this.downPendingOut.delete(o);
    for (let o = 0; o < m.maxOsd; o++) {
      if (!m.exists(o) || m.isOut(o)) continue;
      if (m.isUp(o)) this.downPendingOut.delete(o);
      else if (!this.downPendingOut.has(o)) this.downPendingOut.set(o, nowMs);
    }
  }

  private resetPending(): void {
    this.pending = newIncremental(this.baseEpoch() + 1);
    this.pending.fsid = this.committed.fsid;
    this.pendingMapCache = null;
  }

  /** The committed map with the pending incremental applied (what new commands validate against). */
  private pendingMap(): OSDMap {
    if (this.pendingMapCache) return this.pendingMapCache;
    const m = decodeOSDMap(this.baseBuf());
    if (this.hasPending()) {
      const inc = this.cloneIncremental(this.pending);
      inc.epoch = m.epoch + 1;
      inc.fsid = m.fsid;
      applyIncremental(m, inc);
    }
    this.pendingMapCache = m;
    return m;
  }

  private cloneIncremental(inc: OSDMapIncremental): OSDMapIncremental {
    return decodeIncremental(encodeIncremental({ ...inc }, OSDMAP_INC_ENCODE_FEATURES));
  }

  private changed(): void {
    this.pendingMapCache = null;
  }

  hasPending(): boolean {
    const p = this.pending;
    if (p.fullmap !== null || p.crush !== null || p.clusterSnapshot !== '' || p.changeStretchMode) return true;
    if (p.newMaxOsd >= 0 || p.newPoolMax >= 0 || p.newFlags >= 0) return true;
    if (p.newNearfullRatio >= 0 || p.newFullRatio >= 0 || p.newBackfillfullRatio >= 0) return true;
    if (p.newRequireMinCompatClient !== 0xff || p.newRequireOsdRelease !== 0xff) return true;
    const sized = [
      p.newPools, p.newPoolNames, p.newUpClient, p.newUpCluster, p.newHbBackUp, p.newHbFrontUp, p.newState,
      p.newWeight, p.newPgTemp, p.newPrimaryTemp, p.newPrimaryAffinity, p.newUpThru, p.newLastCleanInterval,
      p.newLost, p.newUuid, p.newXinfo, p.newBlocklist, p.newRangeBlocklist, p.newPgUpmap, p.newPgUpmapItems,
      p.newRemovedSnaps, p.newPurgedSnaps, p.newErasureCodeProfiles, p.newCrushNodeFlags, p.newDeviceClassFlags,
    ];
    if (sized.some((x) => x.size > 0)) return true;
    const lists = [p.oldPools, p.oldBlocklist, p.oldRangeBlocklist, p.oldPgUpmap, p.oldPgUpmapItems, p.oldErasureCodeProfiles];
    return lists.some((x) => x.length > 0);
  }

  // ---------------------------------------------------------------------------------------------
  // Proposals

  /** Ceph's OSDMonitor::create_initial: epoch 1, a full map in the incremental. */
  createInitial(ctx: MonContext, tx: MonStoreTx): void {
    const now = utimeFromMs(ctx.nowMs);
    const m = buildSimple({ epoch: 1, fsid: ctx.monmap.fsid, numOsd: 0, defaultPool: false, pgBits: 6, pgpBits: 6, now });
    m.flags |= CEPH_OSDMAP_SORTBITWISE | CEPH_OSDMAP_RECOVERY_DELETES | CEPH_OSDMAP_PURGED_SNAPDIRS | CEPH_OSDMAP_PGLOG_HARDLIMIT;
    m.fullRatio = FULL_RATIO;
    m.backfillfullRatio = BACKFILLFULL_RATIO;
    m.nearfullRatio = NEARFULL_RATIO;
    m.requireOsdRelease = CephRelease.pacific;
    m.requireMinCompatClient = CephRelease.luminous;
    const full = encodeOSDMap(m);
    const inc = newIncremental(1);
    inc.fsid = m.fsid;
    inc.modified = now;
    inc.fullmap = full;
    inc.newFullRatio = FULL_RATIO;
    inc.newBackfillfullRatio = BACKFILLFULL_RATIO;
    inc.newNearfullRatio = NEARFULL_RATIO;
    inc.fullCrc = osdmapCrc(full);
    tx.put(OSDMAP_PREFIX, versionKey(1), encodeIncremental(inc, OSDMAP_INC_ENCODE_FEATURES));
    tx.put(OSDMAP_PREFIX, 'full_1', full);
    tx.putNumber(OSDMAP_PREFIX, 'full_latest', 1);
    tx.putNumber(OSDMAP_PREFIX, 'first_committed', 1);
    tx.putNumber(OSDMAP_PREFIX, 'last_committed', 1);
  }

  /** Ceph's encode_pending: the pending incremental as epoch+1 (false: nothing pending). */
  encodePending(ctx: MonContext, tx: MonStoreTx): boolean {
    this.noteElection(ctx);
    if ((!this.hasPending() && this.pendingCreated.length === 0) || this.committedBuf === null) return false;
    // One proposal at a time: the next waits until this one is seen committed.
    if (this.proposedEpoch > this.lastCommitted) return false;
    const epoch = this.lastCommitted + 1;
    const inc = this.pending;
    inc.epoch = epoch;
    inc.fsid = this.committed.fsid;
    inc.modified = utimeFromMs(ctx.nowMs);
    // last_in_change / last_up_change move only when some OSD's in-ness or up-ness really changes
    // (a booting NEW osd gets weight IN again: not an in change).
    {
      const before = this.committed;
      const after = decodeOSDMap(this.committedBuf);
      applyIncremental(after, this.cloneIncremental(inc));
      let inChange = false;
      let upChange = false;
      for (let o = 0; o < Math.max(before.maxOsd, after.maxOsd); o++) {
        const inB = o < before.maxOsd && before.exists(o) && before.isIn(o);
        const inA = o < after.maxOsd && after.exists(o) && after.isIn(o);
        const upB = o < before.maxOsd && before.exists(o) && before.isUp(o);
        const upA = o < after.maxOsd && after.exists(o) && after.isUp(o);
        if (inB !== inA) inChange = true;
        if (upB !== upA || (upA && inc.newUpClient.has(o))) upChange = true;
      }
      if (inChange) inc.newLastInChange = { ...inc.modified };
      if (upChange) inc.newLastUpChange = { ...inc.modified };
    }
    for (const [id, p] of inc.newPools) {
      if (p.lastChange !== epoch) inc.newPools.set(id, { ...p, lastChange: epoch });
    }
    this.cleanTemps(inc);
    const created = this.takeInCreated(inc);
    tx.put(OSD_PG_CREATING_PREFIX, CREATED_KEY, encodeCreated(created));
    // The full map this epoch makes, and its crc in the incremental.
    const next = decodeOSDMap(this.committedBuf);
    applyIncremental(next, this.cloneIncremental(inc));
    const full = encodeOSDMap(next);
    inc.fullCrc = osdmapCrc(full);
    const incBuf = encodeIncremental(inc, OSDMAP_INC_ENCODE_FEATURES);
    // Paired check: what a subscriber does with the incremental must give the same map.
    const check = decodeOSDMap(this.committedBuf);
    const decodedInc = decodeIncremental(incBuf);
    applyIncremental(check, decodedInc);
    const checkBuf = encodeOSDMap(check);
    assert(decodedInc.haveCrc && osdmapCrc(checkBuf) === decodedInc.fullCrc && checkBuf.equals(full), `osdmap e${epoch}: incremental does not reproduce the full map`);
    tx.put(OSDMAP_PREFIX, versionKey(epoch), incBuf);
    tx.put(OSDMAP_PREFIX, `full_${epoch}`, full);
    tx.putNumber(OSDMAP_PREFIX, 'full_latest', epoch);
    tx.putNumber(OSDMAP_PREFIX, 'last_committed', epoch);
    this.encodeTrim(tx, epoch);
    // The proposal is out: new changes build on it.
    this.proposedEpoch = epoch;
    this.proposedBuf = full;
    this.pending = newIncremental(epoch + 1);
    this.pending.fsid = this.committed.fsid;
    this.pendingMapCache = null;
    return true;
  }

  /** Keep at least minOsdmapEpochs epochs: erase older incrementals and full maps. */
  private encodeTrim(tx: MonStoreTx, newest: number): void {
    const first = this.firstCommitted || 1;
    const keep = Math.max(1, this.config.minOsdmapEpochs);
    const newFirst = newest - keep + 1;
    if (newFirst <= first) return;
    for (let e = first; e < newFirst; e++) {
      tx.erase(OSDMAP_PREFIX, versionKey(e));
      tx.erase(OSDMAP_PREFIX, `full_${e}`);
    }
    tx.putNumber(OSDMAP_PREFIX, 'first_committed', newFirst);
  }

  // ---------------------------------------------------------------------------------------------
  // Subscriptions

  /**
   * What a subscriber that has epoch `have` (0: none) gets next, as Ceph's send_incremental: the
   * incrementals from have + 1 (the first epoch's incremental carries the whole map), at most
   * `maxMaps`; when have + 1 is older than what is kept, the oldest kept full map first.
   */
  updatesFor(have: number, maxMaps: number): OsdMapUpdate {
    const newest = this.lastCommitted;
    const oldest = this.firstCommitted || 1;
    const out: OsdMapUpdate = { fsid: this.committed.fsid, maps: new Map(), incrementalMaps: new Map(), oldest, newest };
    if (newest === 0 || !this.store || have >= newest) return out;
    let first = have + 1;
    if (first < oldest) {
      const full = this.fullMapBuf(oldest);
      if (full) out.maps.set(oldest, full);
      first = oldest + 1;
    }
    const last = Math.min(newest, first + Math.max(1, maxMaps) - 1);
    for (let e = first; e <= last; e++) {
      const b = this.store.get(OSDMAP_PREFIX, versionKey(e));
      if (!b) break;
      out.incrementalMaps.set(e, b);
    }
    return out;
  }

  /**
   * Ceph's pg creates: the PGs of pools still flagged `creating` not yet reported created (MOSDPGCreated),
   * grouped by their acting primary in the committed map (computed once per epoch). The pool's last
   * change stands for its creation epoch (the flag is cleared only once none is asked for).
   */
  pgCreatesFor(osd: number, nowMs: number): PgCreateInfo[] {
    const m = this.committed;
    if (!this.creating || this.creating.epoch !== m.epoch) {
      const byPrimary = new Map<number, PgCreateInfo[]>();
      for (const [poolId, pool] of m.pools) {
        if ((pool.flags & POOL_FLAG_CREATING) === 0) continue;
        const done = this.created.get(poolId);
        for (let seed = 0; seed < pool.pgNum; seed++) {
          if (done?.has(seed)) continue;
          const primary = pgToActingOsds(m, { pool: poolId, seed }).actingPrimary;
          if (primary < 0) continue;
          let list = byPrimary.get(primary);
          if (!list) byPrimary.set(primary, (list = []));
          list.push({ pool: poolId, seed, created: pool.lastChange, createdStampMs: nowMs });
        }
      }
      this.creating = { epoch: m.epoch, byPrimary };
    }
    return this.creating.byPrimary.get(osd) ?? [];
  }

  /**
   * MOSDPGCreated from `osd` (Ceph's preprocess/prepare_pg_created): a PG of a creating pool exists. Taken
   * from an up OSD only, for a PG of a pool still flagged creating that is not known created already;
   * the next epoch records it (and clears the pool's flag when it was the last). Anything else is
   * ignored, as a repeat is harmless.
   */
  handlePgCreated(osd: number, pgid: PgId, ctx: MonContext): CommandOutcome {
    if (!ctx.isLeader) return { kind: 'forward' };
    this.noteElection(ctx);
    const c = this.committed;
    if (osd < 0 || osd >= c.maxOsd || !c.exists(osd) || !c.isUp(osd)) return replyNow(0, `ignoring pg created from non-active osd.${osd}`);
    const pool = this.pendingMap().pools.get(pgid.pool);
    if (!pool || (pool.flags & POOL_FLAG_CREATING) === 0 || pgid.seed >= pool.pgNum) return replyNow(0, `pg ${pgidToString(pgid)} is not being created`);
    if (this.created.get(pgid.pool)?.has(pgid.seed) || this.pendingCreated.some((p) => p.pool === pgid.pool && p.seed === pgid.seed)) {
      return replyNow(0, `pg ${pgidToString(pgid)} already known created`);
    }
    this.pendingCreated.push({ pool: pgid.pool, seed: pgid.seed });
    this.changed();
    return replyAfterCommit(`pg ${pgidToString(pgid)} created`);
  }

  /**
   * Ceph's update_pending_pgs and CREATING flag removal, in encodePending: the created set with this
   * epoch's reports taken in; a pool (in the map the incremental makes) whose PGs are all created loses
   * its `creating` flag in the incremental, and leaves the set with pools that are gone or no longer
   * creating. Like every pool in new_pools, the pool's last_change becomes this epoch (Ceph's
   * apply_incremental does that).
   */
  private takeInCreated(inc: OSDMapIncremental): Map<number, Set<number>> {
    assert(this.committedBuf !== null, 'osdmap: no committed map');
    const after = decodeOSDMap(this.committedBuf);
    applyIncremental(after, this.cloneIncremental(inc));
    const created = new Map<number, Set<number>>();
    for (const [pool, seeds] of this.created) created.set(pool, new Set(seeds));
    for (const p of this.pendingCreated) {
      let seeds = created.get(p.pool);
      if (!seeds) created.set(p.pool, (seeds = new Set()));
      seeds.add(p.seed);
    }
    this.pendingCreated = [];
    for (const [id, pool] of after.pools) {
      if ((pool.flags & POOL_FLAG_CREATING) === 0) continue;
      const seeds = created.get(id);
      let all = pool.pgNum > 0;
      for (let seed = 0; all && seed < pool.pgNum; seed++) all = seeds?.has(seed) ?? false;
      if (!all) continue;
      const base = inc.newPools.get(id) ?? pool;
      inc.newPools.set(id, { ...base, flags: base.flags & ~POOL_FLAG_CREATING });
      created.delete(id);
    }
    for (const id of [...created.keys()]) {
      const pool = after.pools.get(id);
      if (!pool || (pool.flags & POOL_FLAG_CREATING) === 0) created.delete(id);
    }
    return created;
  }

  /**
   * MOSDPGTemp from `from` (Ceph's preprocess_pgtemp, then prepare_pgtemp on the leader). The committed
   * map decides, as in Ceph:
   * - ignored (reply r = -ESTALE, nothing goes back to the OSD): the sender is not up, or not at the
   *   address the map has for it (`fromAddrs`, when known), or every entry is stale (its pool is gone, the
   *   PG does not exist, or the sender is not the PG's acting primary any more: the interval changed);
   * - no change (reply r = 0 now; the shell sends the sender the osdmap from its epoch, Ceph's _reply_map):
   *   every live entry is in the map already (same pg_temp and no primary_temp; an empty list for a PG
   *   with neither);
   * - otherwise (or `forced`) the pending incremental takes every entry whose pool exists and is not being
   *   deleted (an empty list removes the mapping), clears a primary_temp of those PGs, raises the
   *   sender's up_thru to its map epoch, and the reply (the osdmap) waits for the commit.
   * A peon answers the first two itself and forwards the third.
   * Unlike Ceph, an entry for a PG past pg_num is skipped here as well (Ceph drops it in clean_temps).
   */
  handlePgTemp(from: number, fromAddrs: EntityAddrVec | null, req: PgTempRequest, ctx: MonContext): CommandOutcome {
    this.noteElection(ctx);
    const c = this.committed;
    if (from < 0 || from >= c.maxOsd || !c.exists(from) || !c.isUp(from) || (fromAddrs !== null && fromAddrs.length > 0 && !sameAddrs(c.clientAddrs[from] ?? [], fromAddrs))) {
      return replyNow(-Errno.ESTALE, `ignoring pg_temp from down or unknown osd.${from}`);
    }
    if (!req.forced) {
      let ignored = 0;
      let change = false;
      for (const t of req.pgTemp) {
        const pool = c.pools.get(t.pgid.pool);
        if (!pool || t.pgid.seed >= pool.pgNum) {
          ignored++;
          continue;
        }
        if (pgToActingOsds(c, t.pgid).actingPrimary !== from) {
          ignored++;
          continue;
        }
        const have = c.pgTemp.get(t.pgid.pool, t.pgid.seed);
        const prim = c.primaryTemp.has(t.pgid.pool, t.pgid.seed);
        if (t.osds.length === 0 ? have !== undefined || prim : have === undefined || !sameInts(have, t.osds) || prim) {
          change = true;
          break;
        }
      }
      if (!change) {
        if (ignored === req.pgTemp.length) return replyNow(-Errno.ESTALE, `pg_temp from osd.${from}: every entry is stale`);
        return replyNow(0, `pg_temp from osd.${from}: no changes`);
      }
    }
    if (!ctx.isLeader) return { kind: 'forward' };
    let taken = 0;
    for (const t of req.pgTemp) {
      const pool = c.pools.get(t.pgid.pool);
      if (this.pending.oldPools.includes(t.pgid.pool) || !pool || t.pgid.seed >= pool.pgNum) continue;
      this.pending.newPgTemp.set(t.pgid.pool, t.pgid.seed, [...t.osds]);
      if (c.primaryTemp.has(t.pgid.pool, t.pgid.seed) || this.pending.newPrimaryTemp.has(t.pgid.pool, t.pgid.seed)) {
        this.pending.newPrimaryTemp.set(t.pgid.pool, t.pgid.seed, -1);
      }
      taken++;
    }
    // Ceph's update_up_thru: the sender need not ask for up_thru separately.
    const upThru = this.pending.newUpThru.get(from) ?? c.osdInfo[from]?.upThru ?? 0;
    if (req.mapEpoch > upThru) this.pending.newUpThru.set(from, req.mapEpoch);
    this.changed();
    return replyAfterCommit(`pg_temp from osd.${from}: ${taken} of ${req.pgTemp.length} entries pending`);
  }

  /**
   * Ceph's OSDMap::clean_temps, run on each proposal: in the map the incremental makes, a pg_temp is
   * dropped when its pool is gone, its PG is past pg_num, all its OSDs are down, it equals the PG's
   * raw up set, or it is longer than the pool's size; a primary_temp is dropped when that OSD is down or
   * it names the primary the PG has anyway. A redundant entry only added by this incremental is taken
   * out of it rather than removed.
   */
  private cleanTemps(inc: OSDMapIncremental): void {
    assert(this.committedBuf !== null, 'osdmap: no committed map');
    const old = this.committed;
    if (old.pgTemp.size === 0 && old.primaryTemp.size === 0 && inc.newPgTemp.size === 0 && inc.newPrimaryTemp.size === 0) return;
    const next = decodeOSDMap(this.committedBuf);
    applyIncremental(next, this.cloneIncremental(inc));
    const down = (o: number): boolean => !(o >= 0 && o < next.maxOsd && next.exists(o) && next.isUp(o));
    for (const [pg, osds] of next.pgTemp.sortedEntries()) {
      const pool = next.pools.get(pg.pool);
      if (!pool || pg.seed >= pool.pgNum || osds.every(down)) {
        inc.newPgTemp.set(pg.pool, pg.seed, []);
        continue;
      }
      if (sameInts(pgToRawUp(next, pg).up, osds) || osds.length > pool.size) {
        if (old.pgTemp.has(pg.pool, pg.seed)) inc.newPgTemp.set(pg.pool, pg.seed, []);
        else inc.newPgTemp.delete(pg.pool, pg.seed);
      }
    }
    for (const [pg, osd] of next.primaryTemp.sortedEntries()) {
      if (down(osd)) {
        inc.newPrimaryTemp.set(pg.pool, pg.seed, -1);
        continue;
      }
      if (pgToActingOsds(next, pg).actingPrimary === pgToRawUp(next, pg).primary) {
        if (old.primaryTemp.has(pg.pool, pg.seed)) inc.newPrimaryTemp.set(pg.pool, pg.seed, -1);
        else inc.newPrimaryTemp.delete(pg.pool, pg.seed);
      }
    }
  }

  /** The newest full map alone (a subscription from epoch 0: Ceph's build_latest_full). */
  latestFull(): OsdMapUpdate {
    const newest = this.lastCommitted;
    const out: OsdMapUpdate = { fsid: this.committed.fsid, maps: new Map(), incrementalMaps: new Map(), oldest: this.firstCommitted || 1, newest };
    const full = newest > 0 ? this.fullMapBuf(newest) : undefined;
    if (full) out.maps.set(newest, full);
    return out;
  }

  private fullMapBuf(epoch: number): Buffer | undefined {
    if (epoch === this.lastCommitted && this.committedBuf) return this.committedBuf;
    return this.store?.get(OSDMAP_PREFIX, `full_${epoch}`);
  }

  // ---------------------------------------------------------------------------------------------
  // OSD messages

  handleBoot(osd: number, addrs: BootAddrs, features: bigint, ctx: MonContext): CommandOutcome {
    if (!ctx.isLeader) return { kind: 'forward' };
    this.noteElection(ctx);
    const m = this.pendingMap();
    if (osd < 0 || osd >= m.maxOsd || !m.exists(osd)) return replyErr('ENOENT', `osd.${osd} does not exist`);
    if (m.isDestroyed(osd)) return replyErr('EINVAL', `osd.${osd} is destroyed`);
    if (m.flags & CEPH_OSDMAP_NOUP) return replyNow(0, `noup flag set; osd.${osd} stays down`);
    if (m.isUp(osd) && sameAddrs(m.clientAddrs[osd]!, addrs.public)) return replyNow(0, `osd.${osd} already up`);
    const p = this.pending;
    // Restarted while marked up (Ceph's prepare_boot): the old instance goes down in an epoch of its
    // own, and the new one's boot (the OSD sends it again on that map) comes up in a later one, so every
    // PG sees the down and up as new intervals. Up and down in one epoch changed no up or acting set:
    // the PGs of a restarted primary stayed peering with replicas that saw no new interval.
    if (m.isUp(osd)) {
      p.newState.set(osd, (p.newState.get(osd) ?? 0) | CEPH_OSD_UP);
      this.failures.delete(osd);
      this.bootsAfterDown.set(osd, { addrs, features });
      this.changed();
      return replyAfterCommit(`osd.${osd} was up at another address: marked down first`);
    }
    if (((p.newState.get(osd) ?? 0) & CEPH_OSD_UP) !== 0) {
      this.bootsAfterDown.set(osd, { addrs, features });
      return replyNow(0, `osd.${osd} goes down first; its boot is taken once that map is out`);
    }
    this.bootsAfterDown.delete(osd);
    p.newUpClient.set(osd, cloneAddrVec(addrs.public));
    p.newUpCluster.set(osd, cloneAddrVec(addrs.cluster));
    p.newHbBackUp.set(osd, cloneAddrVec(addrs.hbBack));
    p.newHbFrontUp.set(osd, cloneAddrVec(addrs.hbFront));
    const xi: OsdXinfo = { ...(m.osdXinfo[osd] ?? newOsdXinfo()) };
    xi.features = features;
    p.newXinfo.set(osd, xi);
    // mon_osd_auto_mark_new_in / mon_osd_auto_mark_auto_out_in
    // (a new weight also clears NEW and AUTOOUT when the map applies it)
    const state = m.getState(osd);
    if (!(m.flags & CEPH_OSDMAP_NOIN)) {
      if (state & CEPH_OSD_NEW) p.newWeight.set(osd, CEPH_OSD_IN);
      else if (state & CEPH_OSD_AUTOOUT && m.getWeight(osd) === CEPH_OSD_OUT) {
        p.newWeight.set(osd, xi.oldWeight > 0 ? xi.oldWeight : CEPH_OSD_IN);
      }
    }
    this.failures.delete(osd);
    this.downPendingOut.delete(osd);
    this.changed();
    return replyAfterCommit(`osd.${osd} boot`);
  }

  /** MOSDFailure: record (or cancel) a report, then see whether the target is now down. */
  handleFailure(target: number, reporter: number, failedForMs: number, isFailed: boolean, ctx: MonContext, immediate = false): void {
    if (!ctx.isLeader) return;
    this.noteElection(ctx);
    const m = this.pendingMap();
    if (target < 0 || target >= m.maxOsd || !m.exists(target) || !m.isUp(target)) return;
    if (isFailed && immediate) {
      // Ceph's force_failure: the reporter's connection was refused; no grace, no second reporter.
      if (!(m.flags & CEPH_OSDMAP_NODOWN)) this.markFailed(m, target);
      this.failures.delete(target);
      return;
    }
    if (!isFailed) {
      this.failures.get(target)?.delete(reporter);
      if (this.failures.get(target)?.size === 0) this.failures.delete(target);
      return;
    }
    let reports = this.failures.get(target);
    if (!reports) this.failures.set(target, (reports = new Map()));
    const since = ctx.nowMs - Math.max(0, failedForMs);
    const old = reports.get(reporter);
    reports.set(reporter, { failedSinceMs: old ? Math.min(old.failedSinceMs, since) : since });
    this.checkFailure(target, ctx.nowMs);
  }

  /** Ceph's check_failure: grace passed and enough reporters from distinct subtrees. */
  private checkFailure(target: number, nowMs: number): boolean {
    const reports = this.failures.get(target);
    if (!reports || reports.size === 0) return false;
    const m = this.pendingMap();
    if (!m.exists(target) || !m.isUp(target)) {
      this.failures.delete(target);
      return false;
    }
    if (m.flags & CEPH_OSDMAP_NODOWN) return false;
    let failedSince = Infinity;
    const subtrees = new Set<string>();
    const level = this.config.osdReporterSubtreeLevel;
    for (const [reporter, r] of reports) {
      failedSince = Math.min(failedSince, r.failedSinceMs);
      let key = `osd.${reporter}`;
      if (m.crush.itemExists(reporter)) {
        const loc = m.crush.getFullLocation(reporter);
        const at = loc.get(level);
        if (at !== undefined) key = `${level}=${at}`;
      }
      subtrees.add(key);
    }
    const failedFor = nowMs - failedSince;
    if (failedFor < this.config.osdHeartbeatGraceMs) return false;
    if (subtrees.size < this.config.osdMinDownReporters) return false;
    this.markFailed(m, target);
    this.failures.delete(target);
    return true;
  }

  /** Marked down by failure reports: Ceph also records the epoch it died in (dead_epoch). */
  private markFailed(m: OSDMap, osd: number): void {
    this.markDown(osd);
    const xi: OsdXinfo = { ...(this.pending.newXinfo.get(osd) ?? m.osdXinfo[osd] ?? newOsdXinfo()) };
    xi.deadEpoch = this.pending.epoch;
    this.pending.newXinfo.set(osd, xi);
  }

  private markDown(osd: number): void {
    const p = this.pending;
    p.newState.set(osd, (p.newState.get(osd) ?? 0) | CEPH_OSD_UP);
    this.changed();
  }

  handleMarkMeDown(osd: number, ctx: MonContext): CommandOutcome {
    if (!ctx.isLeader) return { kind: 'forward' };
    this.noteElection(ctx);
    const m = this.pendingMap();
    if (osd < 0 || osd >= m.maxOsd || !m.exists(osd) || !m.isUp(osd)) return replyNow(0, `osd.${osd} is already down`);
    this.markDown(osd);
    // dead_epoch: the epoch the OSD stopped at (the OSD's own epoch in Ceph's message; ours is the newest).
    const xi: OsdXinfo = { ...(this.pending.newXinfo.get(osd) ?? m.osdXinfo[osd] ?? newOsdXinfo()) };
    xi.deadEpoch = this.lastCommitted;
    this.pending.newXinfo.set(osd, xi);
    this.failures.delete(osd);
    return replyAfterCommit(`marked down osd.${osd}`);
  }

  /**
   * MOSDAlive: an up OSD needs up_thru at least `want` before its PGs may go active (Ceph's
   * prepare_alive). Nothing to do when it has it already; otherwise the next epoch records it.
   */
  handleAlive(osd: number, want: number, ctx: MonContext): CommandOutcome {
    if (!ctx.isLeader) return { kind: 'forward' };
    this.noteElection(ctx);
    const m = this.pendingMap();
    if (osd < 0 || osd >= m.maxOsd || !m.exists(osd) || !m.isUp(osd)) return replyNow(0, `osd.${osd} is not up`);
    const have = this.pending.newUpThru.get(osd) ?? m.osdInfo[osd]?.upThru ?? 0;
    if (have >= want) return replyNow(0, `osd.${osd} up_thru ${have}`);
    this.pending.newUpThru.set(osd, want);
    this.changed();
    return replyAfterCommit(`osd.${osd} up_thru ${want}`);
  }

  /** Leader tick: failure grace, down -> out after mon_osd_down_out_interval. */
  tick(ctx: MonContext): void {
    if (!ctx.isLeader || this.committedBuf === null) return;
    this.noteElection(ctx);
    for (const target of [...this.failures.keys()].sort((a, b) => a - b)) this.checkFailure(target, ctx.nowMs);
    for (const [osd, b] of [...this.bootsAfterDown]) {
      if (((this.pending.newState.get(osd) ?? 0) & CEPH_OSD_UP) !== 0) continue; // the down is not out yet
      this.bootsAfterDown.delete(osd);
      if (!this.pendingMap().isUp(osd)) this.handleBoot(osd, b.addrs, b.features, ctx);
    }
    if (this.config.osdDownOutIntervalMs <= 0) return;
    const downSubtrees = new Map<number, boolean>();
    for (const osd of [...this.downPendingOut.keys()].sort((a, b) => a - b)) {
      const m = this.pendingMap(); // with the OSDs this loop marked out already
      const since = this.downPendingOut.get(osd)!;
      if (!m.exists(osd) || m.isUp(osd) || m.isOut(osd)) {
        this.downPendingOut.delete(osd);
        continue;
      }
      if (!this.canMarkOut(m)) return;
      // A whole rack down (mon_osd_down_out_subtree_limit) is an outage, not a failure: wait.
      if (this.containingSubtreeIsDown(m, osd, DOWN_OUT_SUBTREE_LIMIT, downSubtrees)) {
        this.downPendingOut.set(osd, ctx.nowMs);
        continue;
      }
      if (ctx.nowMs - since < this.config.osdDownOutIntervalMs) continue;
      this.markOut(m, osd, true);
      this.downPendingOut.delete(osd);
    }
  }

  /** Ceph's can_mark_out: not with noout, and not once fewer than mon_osd_min_in_ratio are in. */
  private canMarkOut(m: OSDMap): boolean {
    if (m.flags & CEPH_OSDMAP_NOOUT) return false;
    const { num, in: inn } = m.countOsds();
    if (num === 0) return false;
    return Math.fround(inn / num) >= OSD_MIN_IN_RATIO;
  }

  /** OSDMap::containing_subtree_is_down: the OSD's ancestor of this type has no OSD up. */
  private containingSubtreeIsDown(m: OSDMap, osd: number, typeName: string, cache: Map<number, boolean>): boolean {
    const type = m.crush.getTypeId(typeName);
    if (type <= 0 || !m.crush.itemExists(osd)) return false;
    let cur = osd;
    for (;;) {
      const parent = m.crush.getImmediateParentId(cur);
      if (parent === null) return false;
      if (m.crush.getBucketType(parent) === type) {
        const hit = cache.get(parent);
        if (hit !== undefined) return hit;
        const leaves = m.crush.getLeaves(m.crush.getItemName(parent) ?? '');
        const down = typeof leaves !== 'number' && leaves.every((o) => !(o < m.maxOsd && m.exists(o) && m.isUp(o)));
        cache.set(parent, down);
        return down;
      }
      cur = parent;
    }
  }

  private markOut(m: OSDMap, osd: number, auto: boolean): void {
    const p = this.pending;
    p.newWeight.set(osd, CEPH_OSD_OUT);
    const xi: OsdXinfo = { ...(p.newXinfo.get(osd) ?? m.osdXinfo[osd] ?? newOsdXinfo()) };
    xi.oldWeight = m.getWeight(osd);
    p.newXinfo.set(osd, xi);
    if (auto && !(m.getState(osd) & CEPH_OSD_AUTOOUT)) p.newState.set(osd, (p.newState.get(osd) ?? 0) | CEPH_OSD_AUTOOUT);
    this.changed();
  }

  // ---------------------------------------------------------------------------------------------
  // Commands

  handleCommand(cmd: CmdMap, inbl: Buffer, ctx: MonContext): CommandOutcome {
    const prefix = argStr(cmd, 'prefix') ?? '';
    if (this.committedBuf === null) return { kind: 'wait', until: 'readable' };
    if (READ_PREFIXES.has(prefix)) return this.readCommand(prefix, cmd, ctx.nowMs);
    if (!ctx.isLeader) return { kind: 'forward' };
    this.noteElection(ctx);
    return this.writeCommand(prefix, cmd, inbl, ctx);
  }

  private readCommand(prefix: string, cmd: CmdMap, nowMs: number): CommandOutcome {
    const m = this.committed;
    const f = formatterFor(cmd);
    switch (prefix) {
      case 'osd stat': {
        if (f) {
          f.openObjectSection('osdmap');
          this.dumpStat(m, f);
          f.closeSection();
          return replyNow(0, '', f.flush());
        }
        return replyNow(0, '', this.statLine(m, nowMs) + '\n');
      }
      case 'osd dump': {
        const e = argInt(cmd, 'epoch');
        const map = e !== undefined && e !== m.epoch ? this.mapAt(e) : m;
        if (!map) return replyErr('ENOENT', `there is no map for epoch ${e}`);
        if (f) {
          f.openObjectSection('osdmap');
          dumpOSDMap(map, f);
          f.closeSection();
          return replyNow(0, '', flushNl(f));
        }
        // The monitor's dump has no blank lines between sections (osdmaptool --print has).
        return replyNow(0, '', printOSDMap(map).split('\n').filter((l) => l !== '').map((l) => l + '\n').join(''));
      }
      case 'osd tree': {
        const e = argInt(cmd, 'epoch');
        const map = e !== undefined && e !== m.epoch ? this.mapAt(e) : m;
        if (!map) return replyErr('ENOENT', `there is no map for epoch ${e}`);
        let filter = 0;
        for (const st of argList(cmd, 'states')) filter |= TREE_STATES[st] ?? 0;
        if (f) {
          f.openObjectSection('tree');
          dumpOsdTree(map, f, filter);
          f.closeSection();
          return replyNow(0, '', flushNl(f));
        }
        return replyNow(0, '', printOsdTree(map, filter));
      }
      case 'osd ls': {
        const ids: number[] = [];
        for (let i = 0; i < m.maxOsd; i++) if (m.exists(i)) ids.push(i);
        if (f) {
          f.openArraySection('osds');
          for (const i of ids) f.dumpInt('osd', i);
          f.closeSection();
          return replyNow(0, '', flushNl(f));
        }
        return replyNow(0, '', ids.map((i) => `${i}\n`).join(''));
      }
      case 'osd getmap': {
        const e = argInt(cmd, 'epoch') ?? m.epoch;
        const buf = e === m.epoch ? this.committedBuf! : this.fullMapBuf(e);
        if (!buf) return replyErr('ENOENT', `there is no map for epoch ${e}`);
        return replyNow(0, `got osdmap epoch ${e}`, buf);
      }
      case 'osd getcrushmap': {
        const e = argInt(cmd, 'epoch');
        const map = e !== undefined && e !== m.epoch ? this.mapAt(e) : m;
        if (!map) return replyErr('ENOENT', `there is no map for epoch ${e}`);
        return replyNow(0, `${map.crushVersion}`, encodeCrushMap(map.crush));
      }
      case 'osd getmaxosd': {
        if (f) {
          f.openObjectSection('getmaxosd');
          f.dumpUnsigned('epoch', m.epoch);
          f.dumpInt('max_osd', m.maxOsd);
          f.closeSection();
          return replyNow(0, '', f.flush());
        }
        return replyNow(0, '', `max_osd = ${m.maxOsd} in epoch ${m.epoch}\n`);
      }
      case 'osd find': {
        const id = cmd['id'];
        if (typeof id !== 'number' || !Number.isInteger(id)) return replyErr('EINVAL', "bad or missing field 'id'");
        if (id < 0 || id >= m.maxOsd || !m.exists(id)) return replyErr('ENOENT', `osd.${id} does not exist`);
        const ff = formatterFor(cmd, 'json-pretty')!;
        ff.openObjectSection('osd_location');
        ff.dumpInt('osd', id);
        ff.openObjectSection('addrs');
        dumpEntityAddrVec(m.clientAddrs[id]!, ff);
        ff.closeSection();
        dumpStream(ff, 'osd_fsid', m.osdUuid[id]!);
        ff.openObjectSection('crush_location');
        const loc = m.crush.itemExists(id) ? m.crush.getFullLocation(id) : new Map<string, string>();
        for (const k of [...loc.keys()].sort()) ff.dumpString(k, loc.get(k)!);
        ff.closeSection();
        ff.closeSection();
        return replyNow(0, '', flushNl(ff));
      }
      case 'osd lspools': {
        const ids = [...m.pools.keys()].sort((a, b) => a - b);
        if (f) {
          f.openArraySection('pools');
          for (const id of ids) {
            f.openObjectSection('pool');
            f.dumpInt('poolnum', id);
            f.dumpString('poolname', m.poolName.get(id) ?? '');
            f.closeSection();
          }
          f.closeSection();
          return replyNow(0, '', flushNl(f));
        }
        return replyNow(0, '', ids.map((id) => `${id} ${m.poolName.get(id) ?? ''}\n`).join(''));
      }
      case 'osd crush rule dump': {
        const ff = formatterFor(cmd, 'json-pretty')!;
        const name = argStr(cmd, 'name');
        if (name !== undefined && name !== '') {
          if (!m.crush.ruleExists(name)) return replyErr('ENOENT', `unknown crush rule '${name}'`);
          dumpRule(m.crush, m.crush.getRuleId(name), ff);
        } else {
          ff.openArraySection('rules');
          for (let r = 0; r < m.crush.getMaxRules(); r++) if (m.crush.ruleExists(r)) dumpRule(m.crush, r, ff);
          ff.closeSection();
        }
        return replyNow(0, '', flushNl(ff) + '\n');
      }
      case 'osd crush show-tunables': {
        const ff = formatterFor(cmd, 'json-pretty')!;
        ff.openObjectSection('crush_map_tunables');
        dumpTunables(m.crush.crush, ff);
        ff.closeSection();
        return replyNow(0, '', flushNl(ff) + '\n');
      }
      case 'osd crush tree': {
        if (f) {
          f.openObjectSection('crush_tree');
          dumpCrushTree(m, f);
          f.closeSection();
          return replyNow(0, '', f.flush());
        }
        return replyNow(0, '', crushtoolTree(m.crush));
      }
      case 'osd crush class ls': {
        const ff = formatterFor(cmd, 'json-pretty')!;
        ff.openArraySection('crush_classes');
        const names = [...m.crush.names.className.values()].sort(compareStringBytes);
        for (const n of names) ff.dumpString('class', n);
        ff.closeSection();
        return replyNow(0, '', flushNl(ff));
      }
      case 'osd erasure-code-profile ls': {
        const names = [...m.erasureCodeProfiles.keys()].sort(compareStringBytes);
        if (f) {
          f.openArraySection('erasure-code-profiles');
          for (const n of names) f.dumpString('profile', n);
          f.closeSection();
          return replyNow(0, '', flushNl(f));
        }
        return replyNow(0, '', names.map((n) => n + '\n').join(''));
      }
      case 'osd blocklist ls': {
        const entries = [...m.blocklist.values()];
        if (f) {
          f.openArraySection('blocklist');
          for (const b of entries) {
            f.openObjectSection('entry');
            f.dumpString('addr', formatEntityAddr(b.addr));
            f.dumpString('until', formatUtime(b.until));
            f.closeSection();
          }
          f.closeSection();
          return replyNow(0, `listed ${entries.length} entries`, f.flush());
        }
        return replyNow(0, `listed ${entries.length} entries`, entries.map((b) => `${formatEntityAddr(b.addr)} ${formatUtime(b.until)}\n`).join(''));
      }
      case 'osd pool get-quota': {
        const poolName = argStr(cmd, 'pool') ?? '';
        if (m.lookupPoolName(poolName) < 0) return replyErr('ENOENT', `unrecognized pool '${poolName}'`);
        // Ceph reads the current usage from PG stats; until OSDs report them there are none.
        return replyErr('ENOENT', `no stats for pool '${poolName}'`);
      }
      case 'osd crush dump': {
        const ff = formatterFor(cmd, 'json-pretty')!;
        ff.openObjectSection('crush_map');
        dumpCrushMap(m.crush, ff);
        ff.closeSection();
        return replyNow(0, '', flushNl(ff));
      }
      case 'osd crush rule ls': {
        const names: string[] = [];
        for (let r = 0; r < m.crush.getMaxRules(); r++) {
          if (m.crush.ruleExists(r)) names.push(m.crush.getRuleName(r) ?? '');
        }
        if (f) {
          f.openArraySection('rules');
          for (const n of names) f.dumpString('name', n);
          f.closeSection();
          return replyNow(0, '', f.flush());
        }
        return replyNow(0, '', names.map((n) => n + '\n').join(''));
      }
      case 'osd map':
        return this.osdMapCommand(m, cmd);
      case 'osd pool ls': {
        const detail = argStr(cmd, 'detail') !== undefined && argBool(cmd, 'detail');
        const ids = [...m.pools.keys()].sort((a, b) => a - b);
        if (f) {
          f.openArraySection('pools');
          for (const id of ids) {
            if (detail) {
              f.openObjectSection('pool');
              f.dumpInt('pool_id', id);
              f.dumpString('pool_name', m.poolName.get(id) ?? '');
              dumpPgPool(m.pools.get(id)!, f);
              f.closeSection();
            } else f.dumpString('pool_name', m.poolName.get(id) ?? '');
          }
          f.closeSection();
          return replyNow(0, '', f.flush());
        }
        if (detail) return replyNow(0, '', printPools(m));
        return replyNow(0, '', ids.map((id) => `${m.poolName.get(id) ?? ''}\n`).join(''));
      }
      case 'osd pool get':
        return this.poolGet(m, cmd);
      default:
        return replyErr('EINVAL', 'unrecognized command');
    }
  }

  private mapAt(epoch: number): OSDMap | null {
    const b = this.fullMapBuf(epoch);
    return b ? decodeOSDMap(b) : null;
  }

  /** OSDMap::print_summary's text (without the newline). */
  statLine(m: OSDMap, nowMs: number): string {
    const { num, up, in: inn } = m.countOsds();
    let s = `${num} osds: ${up} up`;
    const now = nowMs;
    if (m.lastUpChange.sec !== 0) s += ` (since ${timespanStr(now - msFromUtime(m.lastUpChange))})`;
    s += `, ${inn} in`;
    if (m.lastInChange.sec !== 0) s += ` (since ${timespanStr(now - msFromUtime(m.lastInChange))})`;
    s += `; epoch: e${m.epoch}`;
    return s + osdFlagsLine(m, '');
  }

  dumpStat(m: OSDMap, f: import('../../../common/formatter.js').Formatter): void {
    dumpOsdStat(m, f);
  }

  private osdMapCommand(m: OSDMap, cmd: CmdMap): CommandOutcome {
    const poolName = argStr(cmd, 'pool') ?? '';
    const obj = argStr(cmd, 'object') ?? '';
    const ns = argStr(cmd, 'nspace') ?? '';
    const poolId = m.lookupPoolName(poolName);
    if (poolId < 0) return replyErr('ENOENT', `pool ${poolName} does not exist`);
    const pool = m.pools.get(poolId)!;
    const raw = poolHashKey(pool, obj, ns);
    const rawPg = objectLocatorToPgId(m, obj, { pool: poolId, key: '', nspace: ns, hash: -1 });
    const pg = rawPgToPg(m, rawPg);
    const ua = pgToUpActingOsds(m, pg);
    const rawText = `${poolId}.${(raw >>> 0).toString(16)}`;
    const f = formatterFor(cmd);
    if (f) {
      f.openObjectSection('osd_map');
      f.dumpUnsigned('epoch', m.epoch);
      f.dumpString('pool', poolName);
      f.dumpInt('pool_id', poolId);
      f.dumpString('objname', obj);
      if (ns) f.dumpString('namespace', ns);
      f.dumpString('raw_pgid', rawText);
      f.dumpString('pgid', pgidToString(pg));
      f.openArraySection('up');
      for (const o of ua.up) f.dumpInt('osd', o);
      f.closeSection();
      f.dumpInt('up_primary', ua.upPrimary);
      f.openArraySection('acting');
      for (const o of ua.acting) f.dumpInt('osd', o);
      f.closeSection();
      f.dumpInt('acting_primary', ua.actingPrimary);
      f.closeSection();
      return replyNow(0, '', f.flush());
    }
    const name = ns ? `${ns}/${obj}` : obj;
    const text =
      `osdmap e${m.epoch} pool '${poolName}' (${poolId}) object '${name}' -> pg ${rawText} (${pgidToString(pg)}) -> ` +
      `up ([${ua.up.join(',')}], p${ua.upPrimary}) acting ([${ua.acting.join(',')}], p${ua.actingPrimary})\n`;
    return replyNow(0, '', text);
  }

  private poolGet(m: OSDMap, cmd: CmdMap): CommandOutcome {
    const poolName = argStr(cmd, 'pool') ?? '';
    const poolId = m.lookupPoolName(poolName);
    if (poolId < 0) return replyErr('ENOENT', `unrecognized pool '${poolName}'`);
    const p = m.pools.get(poolId)!;
    const v = argStr(cmd, 'var') ?? '';
    // Ceph's order for `all`; values as Ceph prints them (plain, then JSON).
    const flag = (bit: number): PoolVar => ({ plain: p.flags & bit ? 'true' : 'false', json: (p.flags & bit) !== 0 });
    const vars: Array<[string, () => PoolVar]> = [
      ['size', () => ({ plain: String(p.size), json: p.size })],
      ['min_size', () => ({ plain: String(p.minSize), json: p.minSize })],
      ['pg_num', () => ({ plain: String(p.pgNum), json: p.pgNum })],
      ['pgp_num', () => ({ plain: String(p.pgpNum), json: p.pgpNum })],
      ['crush_rule', () => ({ plain: m.crush.getRuleName(p.crushRule) ?? String(p.crushRule), json: m.crush.getRuleName(p.crushRule) ?? String(p.crushRule) })],
      ['hashpspool', () => flag(POOL_FLAG_HASHPSPOOL)],
      ['nodelete', () => flag(POOL_FLAG_NODELETE)],
      ['nopgchange', () => flag(POOL_FLAG_NOPGCHANGE)],
      ['nosizechange', () => flag(POOL_FLAG_NOSIZECHANGE)],
      ['write_fadvise_dontneed', () => flag(POOL_FLAG_WRITE_FADVISE_DONTNEED)],
      ['noscrub', () => flag(POOL_FLAG_NOSCRUB)],
      ['nodeep-scrub', () => flag(POOL_FLAG_NODEEP_SCRUB)],
      ['use_gmt_hitset', () => ({ plain: p.useGmtHitset ? '1' : '0', json: p.useGmtHitset })],
      ['fast_read', () => ({ plain: p.fastRead ? '1' : '0', json: p.fastRead ? 1 : 0 })],
      ['pg_autoscale_mode', () => ({ plain: autoscaleModeName(p.pgAutoscaleMode), json: autoscaleModeName(p.pgAutoscaleMode) })],
      ['bulk', () => flag(POOL_FLAG_BULK)],
    ];
    const chosen = v === 'all' ? vars : vars.filter(([k]) => k === v);
    if (chosen.length === 0) return replyErr('EINVAL', `pool '${poolName}': invalid variable: '${v}'`);
    const f = formatterFor(cmd);
    if (f) {
      f.openObjectSection('pool');
      f.dumpString('pool', poolName);
      f.dumpInt('pool_id', poolId);
      for (const [k, get] of chosen) {
        const val = get().json;
        if (typeof val === 'number') f.dumpInt(k, val);
        else if (typeof val === 'boolean') f.dumpBool(k, val);
        else f.dumpString(k, val);
      }
      f.closeSection();
      return replyNow(0, '', f.flush());
    }
    return replyNow(0, '', chosen.map(([k, get]) => `${k}: ${get().plain}\n`).join(''));
  }

  private writeCommand(prefix: string, cmd: CmdMap, inbl: Buffer, ctx: MonContext): CommandOutcome {
    switch (prefix) {
      case 'osd create':
        return this.osdCreate(cmd);
      case 'osd in':
      case 'osd out':
      case 'osd down':
        return this.osdInOutDown(prefix.slice(4), cmd);
      case 'osd pool create':
        return this.poolCreate(cmd, ctx);
      case 'osd pool set':
        return this.poolSet(cmd);
      case 'osd pool delete':
      case 'osd pool rm':
        return this.poolDelete(cmd);
      case 'osd crush add-bucket':
        return this.crushAddBucket(cmd);
      case 'osd crush move':
        return this.crushMove(cmd);
      case 'osd crush set':
        // Two commands share the prefix: with an id it places an OSD, without one it sets the map.
        if (cmd['id'] === undefined) return this.setCrushMap(inbl, cmd);
        return this.crushAdd(prefix, cmd);
      case 'osd crush add':
        return this.crushAdd(prefix, cmd);
      case 'osd crush create-or-move':
        return this.crushCreateOrMove(cmd);
      case 'osd crush link':
        return this.crushLink(cmd);
      case 'osd crush set-device-class':
        return this.crushSetDeviceClass(cmd);
      case 'osd crush rm-device-class':
        return this.crushRmDeviceClass(cmd);
      case 'osd crush tunables':
        return this.crushTunables(cmd);
      case 'osd pool rename':
        return this.poolRename(cmd);
      case 'osd pool set-quota':
        return this.poolSetQuota(cmd);
      case 'osd setmaxosd':
        return this.setMaxOsd(cmd);
      case 'osd new':
        if ((argStr(cmd, 'uuid') ?? '') === '') return replyErr('EINVAL', "requires the OSD's UUID to be specified.");
        return this.osdCreate(cmd);
      case 'osd rm':
        return this.osdRm(cmd);
      case 'osd crush reweight':
        return this.crushReweight(cmd);
      case 'osd crush rm':
      case 'osd crush remove':
      case 'osd crush unlink':
        return this.crushRemove(prefix, cmd);
      case 'osd crush rule create-replicated':
        return this.crushRuleCreateReplicated(cmd);
      case 'osd crush rule rm':
        return this.crushRuleRm(cmd);
      case 'osd setcrushmap':
        return this.setCrushMap(inbl, cmd);
      case 'osd set':
      case 'osd unset':
        return this.osdFlag(prefix === 'osd set', cmd);
      default:
        return replyErr('EINVAL', 'unrecognized command');
    }
  }

  // --- osd create / in / out / down ------------------------------------------------------------

  private osdCreate(cmd: CmdMap): CommandOutcome {
    const m = this.pendingMap();
    const uuid = argStr(cmd, 'uuid') ?? '';
    const idArg = cmd['id'];
    let id = -1;
    if (idArg !== undefined) {
      // CephOsdName arrives as an integer; anything else is refused as cmd_getval does.
      if (typeof idArg !== 'number' || !Number.isInteger(idArg) || idArg < 0) return replyErr('EINVAL', "bad or missing field 'id'");
      id = idArg;
    }
    if (uuid !== '' && !/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(uuid)) {
      return replyErr('EINVAL', `invalid uuid ${uuid}`);
    }
    const lower = uuid.toLowerCase();
    if (lower !== '' && lower !== UUID_ZERO) {
      for (let i = 0; i < m.maxOsd; i++) {
        if (m.exists(i) && m.osdUuid[i] === lower) {
          if (id >= 0 && id !== i) return replyErr('EEXIST', `uuid ${lower} already in use for different id ${i}`);
          return replyNow(0, '', `${i}\n`);
        }
      }
    }
    if (id >= 0 && id < m.maxOsd && m.exists(id)) return replyErr('EINVAL', `id ${id} already in use and does not match uuid ${lower || UUID_ZERO}`);
    if (id < 0) {
      id = m.maxOsd;
      for (let i = 0; i < m.maxOsd; i++) {
        if (!m.exists(i)) {
          id = i;
          break;
        }
      }
    }
    const p = this.pending;
    if (id >= m.maxOsd) p.newMaxOsd = id + 1;
    p.newState.set(id, (p.newState.get(id) ?? 0) | CEPH_OSD_NEW);
    p.newWeight.set(id, CEPH_OSD_IN);
    if (lower !== '' && lower !== UUID_ZERO) p.newUuid.set(id, lower);
    this.changed();
    return replyAfterCommit('', `${id}\n`);
  }

  private osdInOutDown(what: string, cmd: CmdMap): CommandOutcome {
    const m = this.pendingMap();
    let ids: number[] = [];
    let rs = '';
    for (const s of argList(cmd, 'ids')) {
      if (s === 'any' || s === 'all' || s === '*') {
        for (let i = 0; i < m.maxOsd; i++) if (m.exists(i)) ids.push(i);
        continue;
      }
      const n = /^(?:osd\.)?(-?\d+)$/.exec(s);
      if (!n) {
        rs += `invalid osd id '${s}'. `;
        continue;
      }
      ids.push(Number(n[1]));
    }
    ids = [...new Set(ids)];
    let any = false;
    for (const osd of ids) {
      if (osd < 0 || osd >= m.maxOsd || !m.exists(osd)) {
        rs += `osd.${osd} does not exist. `;
        continue;
      }
      if (what === 'down') {
        if (!m.isUp(osd)) {
          rs += `osd.${osd} is already down. `;
          continue;
        }
        this.markDown(osd);
        rs += `marked down osd.${osd}. `;
        any = true;
      } else if (what === 'out') {
        if (m.isOut(osd)) {
          rs += `osd.${osd} is already out. `;
          continue;
        }
        this.markOut(m, osd, false);
        this.downPendingOut.delete(osd);
        rs += `marked out osd.${osd}. `;
        any = true;
      } else {
        if (m.isIn(osd)) {
          rs += `osd.${osd} is already in. `;
          continue;
        }
        const old = m.osdXinfo[osd]!.oldWeight;
        this.pending.newWeight.set(osd, old > 0 ? old : CEPH_OSD_IN);
        this.changed();
        rs += `marked in osd.${osd}. `;
        any = true;
      }
    }
    return any ? replyAfterCommit(rs) : replyNow(0, rs);
  }

  private osdFlag(set: boolean, cmd: CmdMap): CommandOutcome {
    const key = argStr(cmd, 'key') ?? '';
    const bits: Record<string, number> = { noup: CEPH_OSDMAP_NOUP, nodown: CEPH_OSDMAP_NODOWN, noout: CEPH_OSDMAP_NOOUT, noin: CEPH_OSDMAP_NOIN };
    const bit = bits[key];
    if (bit === undefined) return replyErr('EINVAL', `unrecognized flag '${key}'`);
    const m = this.pendingMap();
    const flags = this.pending.newFlags >= 0 ? this.pending.newFlags : m.flags;
    const next = set ? flags | bit : flags & ~bit;
    if (next === m.flags && this.pending.newFlags < 0) return replyNow(0, `${key} is ${set ? 'set' : 'unset'}`);
    this.pending.newFlags = next >>> 0;
    this.changed();
    return replyAfterCommit(`${key} is ${set ? 'set' : 'unset'}`);
  }

  // --- pools -----------------------------------------------------------------------------------

  private defaultMinSize(size: number): number {
    const ms = this.config.poolDefaultMinSize;
    return ms ? Math.min(ms, size) : size - Math.floor(size / 2);
  }

  /** Ceph's check_pg_num: the PGs all pools would place stay under mon_max_pg_per_osd * in OSDs. */
  private checkPgNum(m: OSDMap, poolId: number, pgNum: number, size: number): string | null {
    let projected = pgNum * size;
    for (const [id, p] of m.pools) if (id !== poolId) projected += p.pgNum * p.size;
    // Ceph assumes a cluster of at least 3 OSDs here.
    const numIn = Math.max(3, m.countOsds().in);
    const max = this.config.maxPgPerOsd * numIn;
    if (projected > max) {
      return ` pg_num ${pgNum} size ${size} would mean ${projected} total pgs, which exceeds max ${max} (mon_max_pg_per_osd ${this.config.maxPgPerOsd} * num_in_osds ${numIn})`;
    }
    return null;
  }

  private poolCreate(cmd: CmdMap, ctx: MonContext): CommandOutcome {
    const m = this.pendingMap();
    const name = argStr(cmd, 'pool') ?? '';
    if (name === '') return replyErr('EINVAL', 'pool name must not be empty');
    if (m.lookupPoolName(name) >= 0) return replyNow(0, `pool '${name}' already exists`);
    const type = argStr(cmd, 'pool_type') ?? 'replicated';
    if (type !== 'replicated') return replyErr('EINVAL', `unsupported pool type '${type}' (tsceph: replicated pools only)`);
    let pgNum = argInt(cmd, 'pg_num') ?? 0;
    if (Number.isNaN(pgNum)) return replyErr('EINVAL', 'pg_num must be an integer');
    if (pgNum === 0) pgNum = this.config.poolDefaultPgNum;
    let pgpNum = argInt(cmd, 'pgp_num') ?? 0;
    if (Number.isNaN(pgpNum)) return replyErr('EINVAL', 'pgp_num must be an integer');
    if (pgpNum === 0) pgpNum = pgNum;
    if (pgNum > 65536) return replyErr('ERANGE', `'pg_num' must be greater than 0 and less than or equal to 65536 (current 65536)`);
    if (pgpNum > pgNum) return replyErr('ERANGE', `'pgp_num' must be greater than 0 and lower or equal than 'pg_num', which in this case is ${pgNum}`);
    let rule = -1;
    const ruleName = argStr(cmd, 'rule') ?? argStr(cmd, 'erasure_code_profile');
    if (ruleName !== undefined && ruleName !== '') {
      rule = m.crush.getRuleId(ruleName);
      if (rule < 0) return replyErr('ENOENT', `specified rule ${ruleName} doesn't exist`);
    } else {
      for (let r = 0; r < m.crush.getMaxRules(); r++) {
        const cr = m.crush.getRule(r);
        if (cr && cr.mask.type === PoolType.Replicated) {
          rule = r;
          break;
        }
      }
      if (rule < 0) return replyErr('ENOENT', 'no replicated crush rule found');
    }
    const sizeArg = argInt(cmd, 'size');
    if (sizeArg !== undefined && (Number.isNaN(sizeArg) || sizeArg < 0 || sizeArg > POOL_SIZE_MAX)) return replyErr('EINVAL', `pool size must be between 1 and ${POOL_SIZE_MAX}`);
    const size = sizeArg ? sizeArg : this.config.poolDefaultSize;
    const err = this.checkPgNum(m, -1, pgNum, size);
    if (err) return replyErr('ERANGE', err);
    const p = newPgPool();
    p.type = PoolType.Replicated;
    p.size = size;
    p.minSize = this.defaultMinSize(size);
    p.crushRule = rule;
    p.objectHash = CEPH_STR_HASH_RJENKINS;
    p.flags = POOL_FLAG_HASHPSPOOL | POOL_FLAG_CREATING;
    p.pgNum = pgNum;
    p.pgpNum = pgpNum;
    p.pgNumTarget = pgNum;
    p.pgpNumTarget = pgpNum;
    p.pgNumPending = pgNum;
    calcPgMasks(p);
    p.lastChange = this.pending.epoch;
    p.createTime = utimeFromMs(ctx.nowMs);
    // osd_pool_default_cache_target_{dirty,dirty_high,full}_ratio
    p.cacheTargetDirtyRatioMicro = 400000;
    p.cacheTargetDirtyHighRatioMicro = 600000;
    p.cacheTargetFullRatioMicro = 800000;
    const mode = pgAutoscaleModeByName(argStr(cmd, 'autoscale_mode') ?? 'on');
    p.pgAutoscaleMode = mode === 0xff ? 2 : mode;
    const id = Math.max(m.poolMax, this.pending.newPoolMax) + 1;
    this.pending.newPoolMax = id;
    this.pending.newPools.set(id, p);
    this.pending.newPoolNames.set(id, name);
    this.changed();
    return replyAfterCommit(`pool '${name}' created`);
  }

  private poolSet(cmd: CmdMap): CommandOutcome {
    const m = this.pendingMap();
    const name = argStr(cmd, 'pool') ?? '';
    const id = m.lookupPoolName(name);
    if (id < 0) return replyErr('ENOENT', `unrecognized pool '${name}'`);
    const v = argStr(cmd, 'var') ?? '';
    const val = argStr(cmd, 'val') ?? '';
    const cur = m.pools.get(id)!;
    const parseIntVal = (): number | string => {
      if (!/^-?\d+$/.test(val.trim())) return `error parsing integer value '${val}': Expected option value to be integer, got '${val}'`;
      return Number.parseInt(val, 10);
    };
    const p = clonePgPool(cur);
    switch (v) {
      case 'size': {
        const n = parseIntVal();
        if (typeof n === 'string') return replyErr('EINVAL', n);
        if (cur.flags & POOL_FLAG_NOSIZECHANGE) return replyErr('EPERM', 'pool size change is disabled; you must unset nosizechange flag for the pool first');
        // mon_allow_pool_size_one is false (Ceph 16's default) and not configurable here.
        if (n === 1) return replyErr('EPERM', 'configuring pool size as 1 is disabled by default.');
        if (n <= 0 || n > POOL_SIZE_MAX) return replyErr('EINVAL', `pool size must be between 1 and ${POOL_SIZE_MAX}`);
        const err = this.checkPgNum(m, id, p.pgNum, n);
        if (err) return replyErr('ERANGE', err);
        p.size = n;
        p.minSize = this.defaultMinSize(n);
        break;
      }
      case 'min_size': {
        const n = parseIntVal();
        if (typeof n === 'string') return replyErr('EINVAL', n);
        if (n < 1 || n > p.size) return replyErr('EINVAL', `pool min_size must be between 1 and size, which is set to ${p.size}`);
        p.minSize = n;
        break;
      }
      case 'pg_num':
      case 'pg_num_actual': {
        const n = parseIntVal();
        if (typeof n === 'string') return replyErr('EINVAL', n);
        if (cur.flags & POOL_FLAG_NOPGCHANGE) return replyErr('EPERM', 'pool pg_num change is disabled; you must unset nopgchange flag for the pool first');
        if (n <= 0 || n > 65536) return replyErr('ERANGE', `'pg_num' must be greater than 0 and less than or equal to 65536 (current ${cur.pgNum})`);
        if (n === cur.pgNum) return replyNow(0, `set pool ${id} ${v} to ${val}`);
        const err = this.checkPgNum(m, id, n, p.size);
        if (err) return replyErr('ERANGE', err);
        // tsceph has no manager to walk pg_num toward pg_num_target: the change is made at once.
        p.pgNum = n;
        p.pgNumTarget = n;
        p.pgNumPending = n;
        p.pgpNum = n;
        p.pgpNumTarget = n;
        calcPgMasks(p);
        break;
      }
      case 'pgp_num':
      case 'pgp_num_actual': {
        const n = parseIntVal();
        if (typeof n === 'string') return replyErr('EINVAL', n);
        if (n <= 0) return replyErr('EINVAL', `specified pgp_num must > 0, but you set to ${n}`);
        if (n > p.pgNum) return replyErr('EINVAL', `specified pgp_num ${n} > pg_num ${p.pgNum}`);
        p.pgpNum = n;
        p.pgpNumTarget = n;
        calcPgMasks(p);
        break;
      }
      case 'crush_rule': {
        let rule = m.crush.getRuleId(val);
        if (rule < 0 && /^\d+$/.test(val) && m.crush.ruleExists(Number(val))) rule = Number(val);
        if (rule < 0) return replyErr('ENOENT', `crush rule ${val} does not exist`);
        p.crushRule = rule;
        break;
      }
      case 'hashpspool':
      case 'nodelete':
      case 'nopgchange':
      case 'nosizechange': {
        const bit = { hashpspool: POOL_FLAG_HASHPSPOOL, nodelete: POOL_FLAG_NODELETE, nopgchange: POOL_FLAG_NOPGCHANGE, nosizechange: POOL_FLAG_NOSIZECHANGE }[v];
        if (val === 'true' || val === '1') p.flags |= bit;
        else if (val === 'false' || val === '0') p.flags &= ~bit;
        else return replyErr('EINVAL', `expecting value 'true', 'false', '0', or '1'`);
        break;
      }
      case 'pg_autoscale_mode': {
        const mode = pgAutoscaleModeByName(val);
        if (mode === 0xff) return replyErr('EINVAL', `specified invalid mode ${val}`);
        p.pgAutoscaleMode = mode;
        break;
      }
      default:
        return replyErr('EINVAL', `unrecognized variable '${v}'`);
    }
    p.lastChange = this.pending.epoch;
    this.pending.newPools.set(id, p);
    this.changed();
    return replyAfterCommit(`set pool ${id} ${v} to ${val}`);
  }

  private poolDelete(cmd: CmdMap): CommandOutcome {
    const m = this.pendingMap();
    const name = argStr(cmd, 'pool') ?? '';
    const name2 = argStr(cmd, 'pool2') ?? '';
    const id = m.lookupPoolName(name);
    if (id < 0) return replyNow(0, `pool '${name}' does not exist`);
    const sure = argBool(cmd, 'yes_i_really_really_mean_it') || argBool(cmd, 'yes_i_really_really_mean_it_not_faking');
    if (name2 !== name || !sure) {
      return replyErr(
        'EPERM',
        `WARNING: this will *PERMANENTLY DESTROY* all data stored in pool ${name}.  If you are *ABSOLUTELY CERTAIN* that is what you want, pass the pool name *twice*, followed by --yes-i-really-really-mean-it.`,
      );
    }
    if (!this.config.allowPoolDelete) {
      return replyErr('EPERM', 'pool deletion is disabled; you must first set the mon_allow_pool_delete config option to true before you can destroy a pool');
    }
    const p = m.pools.get(id)!;
    if (p.flags & POOL_FLAG_NODELETE) return replyErr('EPERM', `pool deletion is disabled; you must unset nodelete flag for the pool first`);
    this.pending.newPools.delete(id);
    this.pending.newPoolNames.delete(id);
    if (!this.pending.oldPools.includes(id)) this.pending.oldPools.push(id);
    this.changed();
    return replyAfterCommit(`pool '${name}' removed`);
  }

  // --- crush -----------------------------------------------------------------------------------

  /** A copy of the pending CRUSH map to change (Ceph's _get_pending_crush). */
  private pendingCrush(): CrushWrapper {
    return CrushWrapper.from(decodeCrushMap(encodeCrushMap(this.pendingMap().crush)));
  }

  private setPendingCrush(cw: CrushWrapper): void {
    this.pending.crush = encodeCrushMap(cw);
    this.changed();
  }

  private parseLoc(cmd: CmdMap): Map<string, string> | string {
    const loc = new Map<string, string>();
    for (const a of argList(cmd, 'args')) {
      const eq = a.indexOf('=');
      if (eq <= 0) return `invalid loc '${a}'`;
      loc.set(a.slice(0, eq), a.slice(eq + 1));
    }
    return loc;
  }

  private crushAddBucket(cmd: CmdMap): CommandOutcome {
    const name = argStr(cmd, 'name') ?? '';
    const typeName = argStr(cmd, 'type') ?? '';
    const m = this.pendingMap();
    if (m.crush.nameExists(name)) return replyNow(0, `bucket '${name}' already exists`);
    if (!CrushWrapper.isValidCrushName(name)) return replyErr('EINVAL', `'${name}' is not a valid crush name`);
    const loc = this.parseLoc(cmd);
    if (typeof loc === 'string') return replyErr('EINVAL', loc);
    const cw = this.pendingCrush();
    const type = cw.getTypeId(typeName);
    if (type < 0) return replyErr('EINVAL', `type '${typeName}' does not exist`);
    if (type === 0) return replyErr('EINVAL', `type '${typeName}' is for devices, not buckets`);
    const r = cw.addBucket(0, 0, CRUSH_HASH_DEFAULT, type, [], []);
    if (r.ret < 0) return replyNow(r.ret, `add_bucket error: '${r.ret}'`);
    cw.setItemName(r.id, name);
    let rs = `added bucket ${name} type ${typeName} to crush map`;
    if (loc.size > 0) {
      const mr = cw.moveBucket(r.id, loc);
      if (mr < 0) return replyNow(mr, `error moving bucket '${name}' to location ${formatLocMap(loc)}`);
      rs = `added bucket ${name} type ${typeName} to location ${formatLocMap(loc)}`;
    }
    this.setPendingCrush(cw);
    return replyAfterCommit(rs);
  }

  private crushMove(cmd: CmdMap): CommandOutcome {
    const name = argStr(cmd, 'name') ?? '';
    const loc = this.parseLoc(cmd);
    if (typeof loc === 'string') return replyErr('EINVAL', loc);
    const cw = this.pendingCrush();
    if (!cw.nameExists(name)) return replyErr('ENOENT', `item ${name} does not exist`);
    const id = cw.getItemId(name);
    const at = cw.checkItemLoc(id, loc);
    if (at.found) return replyNow(0, `no need to move item id ${id} name '${name}' to location ${formatLocMap(loc)} in crush map`);
    let r: number;
    if (id >= 0) r = cw.createOrMoveItem(id, 0, name, loc);
    else r = cw.moveBucket(id, loc);
    if (r < 0) return replyNow(r, `error moving item id ${id} name '${name}' to location ${formatLocMap(loc)}`);
    this.setPendingCrush(cw);
    return replyAfterCommit(`moved item id ${id} name '${name}' to location ${formatLocMap(loc)} in crush map`);
  }

  private parseOsdId(v: string | undefined): number {
    if (v === undefined) return -1;
    const n = /^(?:osd\.)?(\d+)$/.exec(v);
    return n ? Number(n[1]) : -1;
  }

  /** The osd id, weight and location of `osd crush add / set / create-or-move`, or the error reply. */
  private crushItemArgs(cmd: CmdMap): { osd: number; weight: number; loc: Map<string, string> } | CommandOutcome {
    const osd = this.parseOsdId(argStr(cmd, 'id'));
    if (osd < 0) return replyErr('EINVAL', `invalid osd id '${argStr(cmd, 'id') ?? ''}'`);
    const weight = argFloat(cmd, 'weight');
    if (weight === undefined || Number.isNaN(weight) || weight < 0) return replyErr('EINVAL', 'invalid weight');
    const loc = this.parseLoc(cmd);
    if (typeof loc === 'string') return replyErr('EINVAL', loc);
    const m = this.pendingMap();
    if (osd >= m.maxOsd || !m.exists(osd)) return replyErr('ENOENT', `osd.${osd} does not exist. Create it before updating the crush map`);
    return { osd, weight, loc };
  }

  private crushAdd(prefix: string, cmd: CmdMap): CommandOutcome {
    const args = this.crushItemArgs(cmd);
    if ('kind' in args) return args;
    const { osd, weight, loc } = args;
    const name = `osd.${osd}`;
    const cw = this.pendingCrush();
    let action: string;
    let r: number;
    if (prefix === 'osd crush set' || cw.checkItemLoc(osd, loc).found) {
      action = 'set';
      r = cw.updateItem(osd, weight, name, loc);
    } else {
      action = 'add';
      r = cw.insertItem(osd, weight, name, loc);
      if (r === 0) r = 1;
    }
    if (r < 0) return replyNow(r, '');
    const what = `${action} item id ${osd} name '${name}' weight ${streamFloat(weight)} at location ${formatLocMap(loc)}`;
    if (r === 0) return replyNow(0, `${what}: no change`);
    this.setPendingCrush(cw);
    return replyAfterCommit(`${what} to crush map`);
  }

  private crushReweight(cmd: CmdMap): CommandOutcome {
    const name = argStr(cmd, 'name') ?? '';
    const w = argFloat(cmd, 'weight');
    if (w === undefined || Number.isNaN(w) || w < 0) return replyErr('EINVAL', 'invalid weight');
    const cw = this.pendingCrush();
    if (!cw.nameExists(name)) return replyErr('ENOENT', `device '${name}' does not appear in the crush map`);
    const id = cw.getItemId(name);
    if (id < 0) return replyErr('EINVAL', `device '${name}' is not a leaf in the crush map`);
    const r = cw.adjustItemWeightf(id, w);
    if (r < 0) return replyNow(r, '');
    this.setPendingCrush(cw);
    return replyAfterCommit(`reweighted item id ${id} name '${name}' to ${streamFloat(w)} in crush map`);
  }

  private crushRemove(prefix: string, cmd: CmdMap): CommandOutcome {
    const name = argStr(cmd, 'name') ?? '';
    const unlinkOnly = prefix === 'osd crush unlink';
    const cw = this.pendingCrush();
    if (!cw.nameExists(name)) return replyNow(0, `device '${name}' does not appear in the crush map`);
    const id = cw.getItemId(name);
    const ancestor = argStr(cmd, 'ancestor');
    let r: number;
    if (ancestor !== undefined) {
      if (!cw.nameExists(ancestor)) return replyErr('ENOENT', `ancestor item '${ancestor}' does not appear in the crush map`);
      r = cw.removeItemUnder(id, cw.getItemId(ancestor), unlinkOnly);
    } else {
      r = cw.removeItem(id, unlinkOnly);
    }
    if (r === -2) return replyNow(0, `item ${id} does not appear in that position`);
    if (r < 0) return replyNow(r, '');
    if (!unlinkOnly) this.pending.newCrushNodeFlags.set(id, 0);
    this.setPendingCrush(cw);
    return replyAfterCommit(unlinkOnly ? `unlinked item id ${id} name '${name}' from crush map` : `removed item id ${id} name '${name}' from crush map`);
  }

  private crushRuleCreateReplicated(cmd: CmdMap): CommandOutcome {
    const name = argStr(cmd, 'name') ?? '';
    const root = argStr(cmd, 'root') ?? '';
    const type = argStr(cmd, 'type') ?? '';
    const cls = argStr(cmd, 'class') ?? '';
    const cw = this.pendingCrush();
    if (cw.ruleExists(name)) return replyNow(0, `rule ${name} already exists`);
    const err = { message: '' };
    const r = cw.addSimpleRule(name, root, type, cls, 'firstn', PoolType.Replicated, err);
    if (r < 0) return replyNow(r, err.message.trim());
    this.setPendingCrush(cw);
    return replyAfterCommit('');
  }

  private crushRuleRm(cmd: CmdMap): CommandOutcome {
    const name = argStr(cmd, 'name') ?? '';
    const cw = this.pendingCrush();
    if (!cw.ruleExists(name)) return replyNow(0, `rule ${name} does not exist`);
    const id = cw.getRuleId(name);
    for (const p of this.pendingMap().pools.values()) {
      if (p.crushRule === id) return replyErr('EBUSY', `crush ruleset ${name} ${id} is in use`);
    }
    const r = cw.removeRule(id);
    if (r < 0) return replyNow(r, '');
    this.setPendingCrush(cw);
    return replyAfterCommit('');
  }

  private crushCreateOrMove(cmd: CmdMap): CommandOutcome {
    const args = this.crushItemArgs(cmd);
    if ('kind' in args) return args;
    const { osd, weight, loc } = args;
    const name = `osd.${osd}`;
    const cw = this.pendingCrush();
    const r = cw.createOrMoveItem(osd, weight, name, loc);
    const what = `item name '${name}' weight ${streamFloat(weight)} at location ${formatLocMap(loc)} to crush map`;
    if (r < 0) return replyNow(r, '');
    if (r === 0) return replyNow(0, `create-or-move updated ${what}`);
    this.setPendingCrush(cw);
    return replyAfterCommit(`create-or-move updating ${what}`);
  }

  /** The OSD ids of a set/rm-device-class command ("any" / "all" / "*" first: every OSD). */
  private deviceClassIds(cmd: CmdMap, m: OSDMap): { ids: number[]; wildcard: boolean } | string {
    const words = argList(cmd, 'ids');
    if (words[0] === 'any' || words[0] === 'all' || words[0] === '*') {
      const ids: number[] = [];
      for (let i = 0; i < m.maxOsd; i++) if (m.exists(i)) ids.push(i);
      return { ids, wildcard: true };
    }
    const ids: number[] = [];
    for (const w of words) {
      const n = /^(?:osd\.)?(\d+)$/.exec(w);
      if (!n) return `invalid osd id ${w}, unable to parse osd id:"${w}". `;
      ids.push(Number(n[1]));
    }
    return { ids, wildcard: false };
  }

  private crushSetDeviceClass(cmd: CmdMap): CommandOutcome {
    const cls = argStr(cmd, 'class') ?? '';
    const m = this.pendingMap();
    const which = this.deviceClassIds(cmd, m);
    if (typeof which === 'string') return replyErr('EINVAL', which);
    const cw = this.pendingCrush();
    const hadPendingCrush = this.pending.crush !== null;
    let rs = '';
    const updated: number[] = [];
    for (const osd of which.ids) {
      if (osd >= m.maxOsd || !m.exists(osd)) {
        rs += `osd.${osd} does not exist. `;
        continue;
      }
      const name = `osd.${osd}`;
      if (!cw.itemExists(osd)) {
        if (cw.crush.maxDevices < osd + 1) cw.crush.maxDevices = osd + 1;
        cw.setItemName(osd, name);
      }
      const err = { message: '' };
      const r = cw.updateDeviceClass(osd, cls, name, err);
      if (r < 0) return replyNow(r, rs + err.message);
      rs += err.message;
      if (r === 0 && !hadPendingCrush) {
        if (!which.wildcard) rs += `set-device-class item id ${osd} name '${name}' device_class '${cls}': no change. `;
      } else updated.push(osd);
    }
    // Ceph proposes the (possibly unchanged) map either way.
    this.setPendingCrush(cw);
    return replyAfterCommit(`${rs}set osd(s) ${updated.join(',')} to class '${cls}'`);
  }

  private crushRmDeviceClass(cmd: CmdMap): CommandOutcome {
    const m = this.pendingMap();
    const which = this.deviceClassIds(cmd, m);
    if (typeof which === 'string') return replyErr('EINVAL', which);
    const cw = this.pendingCrush();
    let rs = '';
    const updated: number[] = [];
    for (const osd of which.ids) {
      if (osd >= m.maxOsd || !m.exists(osd)) {
        rs += `osd.${osd} does not exist. `;
        continue;
      }
      if (cw.getItemClass(osd) === undefined) {
        rs += `osd.${osd} belongs to no class, `;
        continue;
      }
      const r = cw.removeDeviceClass(osd);
      if (r < 0) return replyNow(r, rs);
      updated.push(osd);
    }
    this.setPendingCrush(cw);
    return replyAfterCommit(`${rs}done removing class of osd(s): ${updated.join(',')}`);
  }

  private crushLink(cmd: CmdMap): CommandOutcome {
    const name = argStr(cmd, 'name') ?? '';
    const loc = this.parseLoc(cmd);
    if (typeof loc === 'string') return replyErr('EINVAL', loc);
    const cw = this.pendingCrush();
    if (!cw.nameExists(name)) return replyErr('ENOENT', `item ${name} does not exist`);
    const id = cw.getItemId(name);
    if (id >= 0) return replyErr('EINVAL', `item ${name} is not a bucket`);
    if (cw.checkItemLoc(id, loc).found) return replyNow(0, `no need to move item id ${id} name '${name}' to location ${formatLocMap(loc)} in crush map`);
    const r = cw.linkBucket(id, loc);
    if (r < 0) return replyNow(r, `cannot link item id ${id} name '${name}' to location ${formatLocMap(loc)}`);
    this.setPendingCrush(cw);
    return replyAfterCommit(`linked item id ${id} name '${name}' to location ${formatLocMap(loc)} in crush map`);
  }

  private crushTunables(cmd: CmdMap): CommandOutcome {
    const profile = argStr(cmd, 'profile') ?? '';
    if (!(TUNABLES_PROFILES as readonly string[]).includes(profile)) return replyErr('EINVAL', `unrecognized profile '${profile}'`);
    const cw = this.pendingCrush();
    cw.setTunablesProfile(profile as TunablesProfile);
    this.setPendingCrush(cw);
    return replyAfterCommit(`adjusted tunables profile to ${profile}`);
  }

  private poolRename(cmd: CmdMap): CommandOutcome {
    const src = argStr(cmd, 'srcpool') ?? '';
    const dst = argStr(cmd, 'destpool') ?? '';
    const m = this.pendingMap();
    const id = m.lookupPoolName(src);
    if (id < 0) {
      if (m.lookupPoolName(dst) >= 0) return replyNow(0, `pool '${src}' does not exist; pool '${dst}' does -- assuming successful rename`);
      return replyErr('ENOENT', `unrecognized pool '${src}'`);
    }
    if (m.lookupPoolName(dst) >= 0) return replyErr('EEXIST', `pool '${dst}' already exists`);
    this.pending.newPoolNames.set(id, dst);
    this.changed();
    return replyAfterCommit(`pool '${src}' renamed to '${dst}'`);
  }

  private poolSetQuota(cmd: CmdMap): CommandOutcome {
    const name = argStr(cmd, 'pool') ?? '';
    const field = argStr(cmd, 'field') ?? '';
    const val = argStr(cmd, 'val') ?? '';
    const m = this.pendingMap();
    const id = m.lookupPoolName(name);
    if (id < 0) return replyErr('ENOENT', `unrecognized pool '${name}'`);
    if (field !== 'max_objects' && field !== 'max_bytes') return replyErr('EINVAL', `unrecognized field '${field}'`);
    const n = field === 'max_bytes' ? parseIecBytes(val) : parseSiCount(val);
    if (n === null) return replyErr('EINVAL', `error parsing value '${val}'`);
    const p = clonePgPool(m.pools.get(id)!);
    if (field === 'max_bytes') p.quotaMaxBytes = n;
    else p.quotaMaxObjects = n;
    p.lastChange = this.pending.epoch;
    this.pending.newPools.set(id, p);
    this.changed();
    return replyAfterCommit(`set-quota ${field} = ${n} for pool ${name}`);
  }

  private setMaxOsd(cmd: CmdMap): CommandOutcome {
    const n = argInt(cmd, 'newmax');
    if (n === undefined || Number.isNaN(n) || n < 0) return replyErr('EINVAL', "bad or missing field 'newmax'");
    if (n > MON_MAX_OSD) return replyErr('EINVAL', `cannot set max_osd to ${n} which is > conf.mon_max_osd (${MON_MAX_OSD})`);
    const m = this.pendingMap();
    for (let i = n; i < m.maxOsd; i++) {
      if (m.exists(i)) return replyErr('EBUSY', `cannot shrink max_osd to ${n} because osd.${i} (and possibly others) still in use`);
    }
    if (n === m.maxOsd) return replyNow(0, `set new max_osd = ${n}`);
    this.pending.newMaxOsd = n;
    this.changed();
    return replyAfterCommit(`set new max_osd = ${n}`);
  }

  private osdRm(cmd: CmdMap): CommandOutcome {
    const m = this.pendingMap();
    let rs = '';
    const removed: number[] = [];
    for (const s of argList(cmd, 'ids')) {
      const ids: number[] = [];
      if (s === 'any' || s === 'all' || s === '*') {
        for (let i = 0; i < m.maxOsd; i++) if (m.exists(i)) ids.push(i);
      } else {
        const n = /^(?:osd\.)?(-?\d+)$/.exec(s);
        if (!n) {
          rs += `invalid osd id '${s}'. `;
          continue;
        }
        ids.push(Number(n[1]));
      }
      for (const osd of ids) {
        if (osd < 0 || osd >= m.maxOsd || !m.exists(osd)) {
          rs += `osd.${osd} does not exist. `;
          continue;
        }
        if (m.isUp(osd)) return replyErr('EBUSY', `${rs}osd.${osd} is still up; must be down before removal. `);
        // Every state bit flips off, EXISTS included: the map forgets the OSD. (State changes are
        // XORed onto the committed map, so fold in any toggle already pending for it.)
        this.pending.newState.set(osd, ((this.pending.newState.get(osd) ?? 0) ^ m.getState(osd)) >>> 0);
        this.pending.newUuid.set(osd, UUID_ZERO);
        removed.push(osd);
      }
    }
    if (removed.length === 0) return replyNow(0, rs);
    this.changed();
    return replyAfterCommit(`removed ${removed.map((o) => `osd.${o}`).join(', ')}`);
  }

  private setCrushMap(inbl: Buffer, cmd: CmdMap): CommandOutcome {
    const m0 = this.pendingMap();
    const prior = argInt(cmd, 'prior_version');
    if (prior !== undefined) {
      // A resend of the update that made the current version succeeds again without a change.
      if (prior === m0.crushVersion - 1 && encodeCrushMap(m0.crush).equals(inbl)) return replyNow(0, `${m0.crushVersion}`);
      if (prior !== m0.crushVersion) return replyErr('EPERM', `prior_version ${prior} != crush version ${m0.crushVersion}`);
    }
    let cw: CrushWrapper;
    try {
      cw = CrushWrapper.from(decodeCrushMap(inbl));
    } catch (e) {
      const text = e instanceof Error ? e.message : String(e);
      const why = /magic/.test(text) ? 'bad magic number' : text;
      return replyErr('EINVAL', `Failed to parse crushmap: ${why}: Malformed input`);
    }
    const m = this.pendingMap();
    // Validate as Ceph does before accepting: devices within max_osd, every pool's rule present and
    // fitting the pool (OSDMap::validate_crush_rules), and a smoke test that the rules map.
    if (cw.getMaxDevices() > m.maxOsd) return replyErr('ERANGE', `crushmap max_devices ${cw.getMaxDevices()} > osdmap max_osd ${m.maxOsd}`);
    for (const pid of [...m.pools.keys()].sort((a, b) => a - b)) {
      const p = m.pools.get(pid)!;
      const rule = cw.getRule(p.crushRule);
      if (!rule) return replyErr('EINVAL', `pool ${pid} references crush_rule ${p.crushRule} but it is not present`);
      if (rule.mask.ruleset !== p.crushRule) return replyErr('EINVAL', `rule ${p.crushRule} mask ruleset does not match rule id`);
      if (rule.mask.type !== p.type) return replyErr('EINVAL', `pool ${pid} type does not match rule ${p.crushRule}`);
      if (p.size < rule.mask.minSize || p.size > rule.mask.maxSize) {
        return replyErr('EINVAL', `pool ${pid} size ${p.size} does not fall within rule ${p.crushRule} min_size ${rule.mask.minSize} and max_size ${rule.mask.maxSize}`);
      }
    }
    try {
      const trial = decodeOSDMap(encodeOSDMap(m));
      trial.crush = cw;
      for (const [pid, p] of trial.pools) {
        for (let seed = 0; seed < Math.min(p.pgNum, CRUSH_SMOKE_PGS); seed++) pgToUpActingOsds(trial, { pool: pid, seed });
      }
    } catch (e) {
      return replyErr('EINVAL', `crush smoke test failed with -22: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.setPendingCrush(cw);
    return replyAfterCommit(`${m.crushVersion + 1}`);
  }
}

function sameInts(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameAddrs(a: EntityAddrVec, b: EntityAddrVec): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.type !== y.type || x.nonce !== y.nonce || x.family !== y.family || !x.sockaddr.equals(y.sockaddr)) return false;
  }
  return true;
}

/** The flags that print_summary leaves out (CEPH_OSDMAP_SEMIHIDDEN_FLAGS). */
const SEMIHIDDEN_FLAGS = CEPH_OSDMAP_SORTBITWISE | CEPH_OSDMAP_RECOVERY_DELETES | CEPH_OSDMAP_PURGED_SNAPDIRS | CEPH_OSDMAP_PGLOG_HARDLIMIT | (1 << 16) | (1 << 17) | (1 << 18);

/** OSDMap::print_summary as JSON: what `osd stat -f json` prints and `status` nests under "osdmap". */
export function dumpOsdStat(m: OSDMap, f: import('../../../common/formatter.js').Formatter): void {
  const { num, up, in: inn } = m.countOsds();
  f.dumpUnsigned('epoch', m.epoch);
  f.dumpInt('num_osds', num);
  f.dumpInt('num_up_osds', up);
  f.dumpUnsigned('osd_up_since', m.lastUpChange.sec);
  f.dumpInt('num_in_osds', inn);
  f.dumpUnsigned('osd_in_since', m.lastInChange.sec);
  f.dumpUnsigned('num_remapped_pgs', 0);
}

/** print_summary's flags line ("\n<prefix>flags noout"), or nothing when no flag shows. */
export function osdFlagsLine(m: OSDMap, prefix: string): string {
  const important = (m.flags & ~SEMIHIDDEN_FLAGS) >>> 0;
  return important ? `\n${prefix}flags ${osdmapFlagString(important)}` : '';
}

/** Ceph's `ceph osd crush tree -f json`: the CRUSH hierarchy without the OSDMap's status fields. */
function dumpCrushTree(m: OSDMap, f: Formatter): void {
  const { crush, names } = m.crush;
  f.openArraySection('nodes');
  for (const qi of walkOsdTree(m).items) {
    f.openObjectSection('item');
    f.dumpInt('id', qi.id);
    const cls = m.crush.getItemClass(qi.id);
    if (cls !== undefined) f.dumpString('device_class', cls);
    if (qi.id < 0) {
      const b = crush.buckets[-1 - qi.id];
      const type = b ? b.type : -2;
      f.dumpString('name', names.nameMap.get(qi.id) ?? '');
      f.dumpString('type', names.typeMap.get(type) ?? '');
      f.dumpInt('type_id', type);
    } else {
      f.dumpString('name', `osd.${qi.id}`);
      f.dumpString('type', names.typeMap.get(0) ?? '');
      f.dumpInt('type_id', 0);
      f.dumpFloat('crush_weight', qi.weight);
      f.dumpUnsigned('depth', qi.depth);
    }
    if (qi.parent < 0) {
      f.openObjectSection('pool_weights');
      f.closeSection();
    }
    if (qi.id < 0) {
      f.openArraySection('children');
      for (const c of qi.children) f.dumpInt('child', c);
      f.closeSection();
    }
    f.closeSection();
  }
  f.closeSection();
  f.openArraySection('stray');
  f.closeSection();
}

const IEC_UNITS: Record<string, number> = { '': 0, B: 0, K: 10, KI: 10, KIB: 10, M: 20, MI: 20, MIB: 20, G: 30, GI: 30, GIB: 30, T: 40, TI: 40, TIB: 40, P: 50, PI: 50, PIB: 50, E: 60, EI: 60, EIB: 60 };

/** strict_iecstrtoll: "10G" = 10 GiB. */
function parseIecBytes(s: string): bigint | null {
  const m = /^\s*(\d+)\s*([A-Za-z]*)\s*$/.exec(s);
  if (!m) return null;
  const shift = IEC_UNITS[m[2]!.toUpperCase()];
  if (shift === undefined) return null;
  return BigInt(m[1]!) << BigInt(shift);
}

/** strict_sistrtoll: "1k" = 1000. */
function parseSiCount(s: string): bigint | null {
  const m = /^\s*(\d+)\s*([kKmMgGtTpPeE]?)\s*$/.exec(s);
  if (!m) return null;
  const exp = 'KMGTPE'.indexOf(m[2]!.toUpperCase()) + 1;
  return BigInt(m[1]!) * 1000n ** BigInt(m[2] ? exp : 0);
}

/** The created set's store value: u32 pools, each s64 pool, u32 seeds, u32 seed ... (sorted). */
function encodeCreated(created: Map<number, Set<number>>): Buffer {
  const e = new Encoder(16);
  const pools = [...created.keys()].sort((a, b) => a - b);
  e.u32(pools.length);
  for (const id of pools) {
    const seeds = [...created.get(id)!].sort((a, b) => a - b);
    e.s64(id).u32(seeds.length);
    for (const seed of seeds) e.u32(seed);
  }
  return e.toBuffer();
}

function decodeCreated(b: Buffer | undefined): Map<number, Set<number>> {
  const out = new Map<number, Set<number>>();
  if (!b) return out;
  const d = new Decoder(b);
  const n = d.count('created pools', 12);
  for (let i = 0; i < n; i++) {
    const id = d.s64('pool');
    const m = d.count('created seeds', 4);
    const seeds = new Set<number>();
    for (let j = 0; j < m; j++) seeds.add(d.u32('seed'));
    out.set(id, seeds);
  }
  return out;
}
