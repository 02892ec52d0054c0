// The cluster handle (librados' Rados / rados_t): one messenger shared by a MonClient (session,
// osdmap subscription, commands) and the Objecter (ops to OSDs). The osdmap is kept current from the
// monitors' MOSDMap messages: incrementals applied in order with common/osdmap (the first carries the
// full map), or a full map when the incrementals do not reach back to ours.

import { randomInt } from 'node:crypto';
import { loadConfig, parseAddrVecList, type CephConfig } from '../common/config.js';
import { CephError, errnoName } from '../common/errors.js';
import { OSDMap, applyIncremental, decodeIncremental, decodeOSDMap } from '../common/osdmap/index.js';
import { MonClient } from '../mon/client/index.js';
import {
  EntityType, MGetPoolStats, MGetPoolStatsReply, MOSDMap, MStatfs, MStatfsReply, type PoolStat, Policies, createMessenger, type Connection, type Dispatcher, type Logger, type Message, type Messenger, type Transport,
} from '../msg/index.js';
import { IoCtx } from './ioctx.js';
import { Objecter, type ObjecterOptions } from './objecter.js';

/** How long connect() waits for a monitor session and the first osdmap. */
export const CONNECT_TIMEOUT_MS = 30000;
/** How long a pool command waits for the osdmap that shows its effect. */
export const POOL_MAP_WAIT_MS = 30000;
/** How long clusterStats() waits for the monitors' answer (asking again every STATFS_RETRY_MS). */
export const STATFS_TIMEOUT_MS = 30000;
export const STATFS_RETRY_MS = 3000;
/** Default pg_num of poolCreate (Ceph 16's osd_pool_default_pg_num). */
export const POOL_PG_NUM_DEFAULT = 32;

export interface ConnectOptions {
  /** Path of a ceph.conf (mon_host is read from it). */
  conf?: string;
  /** Or a configuration already loaded (a CLI's -c / -m / --id / CEPH_ARGS, via common/config's loadConfig). */
  config?: CephConfig;
  /** Or the monitors directly: 'v2:127.0.0.1:3300,v2:127.0.0.1:3301' or '[v2:...]' as mon_host takes. */
  monHost?: string;
  /** client.<id>; 'admin' by default. */
  id?: string;
  connectTimeoutMs?: number;
  objecter?: ObjecterOptions;
  log?: Logger;
  /** The messenger's transport (msg/transport.ts; TCP when omitted), nonce and randomness: a simulation passes its own. */
  transport?: Transport;
  nonce?: number;
  randomU64?: () => bigint;
  random?: () => number;
}

const noLog: Logger = { debug() {}, info() {}, warn() {}, error() {} };

type MapWaiter = { test: (m: OSDMap) => boolean; resolve: () => void };

/** The cluster's capacity and object count (librados' rados_cluster_stat_t): sizes in KiB. */
export interface ClusterStats {
  kb: number;
  kbUsed: number;
  kbAvail: number;
  numObjects: number;
}

/**
 * One pool's usage as librados' pool_stat_t gives it, from the monitors' pool_stat_t (sizes in bytes;
 * kb rounded up). With per-pool store stats (perPool) sizes are what the OSDs allocated.
 */
export interface PoolStats {
  numBytes: number;
  numKb: number;
  numObjects: number;
  numObjectClones: number;
  numObjectCopies: number;
  numObjectsMissingOnPrimary: number;
  numObjectsUnfound: number;
  numObjectsDegraded: number;
  numRd: number;
  numRdKb: number;
  numWr: number;
  numWrKb: number;
  numUserBytes: number;
  compressedBytesOrig: number;
  compressedBytes: number;
  compressedBytesAlloc: number;
}

/** librados' conversion of pool_stat_t (librados_cxx.cc get_pool_stats, raw_used_rate taken as 1). */
export function poolStatsFrom(p: PoolStat, perPool: boolean): PoolStats {
  const sum = p.stats;
  const allocated = (perPool ? p.storeStats.allocated : sum.numBytes) + (perPool ? p.storeStats.omapAllocated : 0);
  const user = (perPool ? p.storeStats.dataStored : sum.numBytes) + (perPool ? p.storeStats.omapAllocated : sum.numOmapBytes);
  return {
    numBytes: allocated,
    numKb: Math.ceil(allocated / 1024),
    numObjects: sum.numObjects,
    numObjectClones: sum.numObjectClones,
    numObjectCopies: sum.numObjectCopies,
    numObjectsMissingOnPrimary: sum.numObjectsMissingOnPrimary,
    numObjectsUnfound: sum.numObjectsUnfound,
    numObjectsDegraded: sum.numObjectsDegraded,
    numRd: sum.numRd,
    numRdKb: sum.numRdKb,
    numWr: sum.numWr,
    numWrKb: sum.numWrKb,
    numUserBytes: user,
    compressedBytesOrig: p.storeStats.dataCompressedOriginal,
    compressedBytes: p.storeStats.dataCompressed,
    compressedBytesAlloc: p.storeStats.dataCompressedAllocated,
  };
}

interface MonWaiter {
  resolve: (m: Message) => void;
  reject: (e: Error) => void;
  /** Send (again) on the current monitor session. */
  send: () => void;
}

export class Rados implements Dispatcher {
  /** The monitor connection the osdmap last came on: our MonClient's session (it alone subscribes). */
  private monConn: Connection | null = null;
  private lastMonTid = 0;
  private readonly monWaiters = new Map<number, MonWaiter>();
  private map = new OSDMap();
  private readonly mapWaiters = new Set<MapWaiter>();
  private closed = false;

  private constructor(
    private readonly messenger: Messenger,
    readonly monc: MonClient,
    readonly objecter: Objecter,
  ) {}

  /** Connect to the cluster: a monitor session, then the current osdmap. */
  static async connect(opts: ConnectOptions): Promise<Rados> {
    const id = opts.id ?? 'admin';
    let config: CephConfig | undefined = opts.config;
    if (config !== undefined) {
      // as given
    } else if (opts.conf !== undefined) {
      config = loadConfig({ argv: ['-c', opts.conf, '--id', id], defaultType: 'client' }).config;
    } else if (opts.monHost === undefined) {
      throw new CephError('EINVAL', 'Rados.connect needs { conf: path }, { config } or { monHost: addresses }');
    }
    const log = opts.log ?? noLog;
    const messenger = createMessenger({
      entity: { type: EntityType.CLIENT, num: -1 },
      nonce: opts.nonce ?? randomInt(1, 0x7fffffff),
      defaultPolicy: Policies.lossyClient(),
      authId: id,
      log,
      ...(opts.transport ? { transport: opts.transport } : {}),
      ...(opts.randomU64 ? { randomU64: opts.randomU64 } : {}),
    });
    messenger.start();
    let monc: MonClient;
    try {
      const monOpts = { messenger, authId: id, log, ...(opts.random ? { random: opts.random } : {}) };
      monc = new MonClient(config ? { config, ...monOpts } : { monAddrs: parseAddrVecList(opts.monHost!, 'monHost'), ...monOpts });
    } catch (e) {
      await messenger.shutdown(); // no monitors to dial (ENOENT) or a bad address (EINVAL)
      throw e;
    }
    const objecter = new Objecter(messenger, { ...opts.objecter, log });
    const rados = new Rados(messenger, monc, objecter);
    messenger.addDispatcher(rados);
    monc.onOsdMap((m) => rados.handleOsdMap(m));
    const timeoutMs = opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
    try {
      await monc.connect({ timeoutMs });
      monc.subscribe('osdmap', 1);
      await rados.waitForMap((m) => m.epoch > 0, timeoutMs, 'the first osdmap');
    } catch (e) {
      await rados.shutdown();
      throw e;
    }
    return rados;
  }

  /** The osdmap as this client knows it (do not modify). */
  get osdmap(): OSDMap {
    return this.map;
  }

  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of [...this.monWaiters.values()]) w.reject(new CephError('ESHUTDOWN', 'the Rados handle was shut down'));
    await this.objecter.shutdown();
    await this.monc.shutdown();
    await this.messenger.shutdown();
  }

  /** An I/O context on a pool (by name, looked up in the current map). */
  ioctx(pool: string): IoCtx {
    return new IoCtx(this.objecter, this.poolLookup(pool), pool);
  }

  // --- pools -------------------------------------------------------------------------------------

  /** Pool id by name; ENOENT when the current map has no such pool. */
  poolLookup(name: string): number {
    const id = this.map.lookupPoolName(name);
    if (id < 0) throw new CephError('ENOENT', `pool '${name}' does not exist (osdmap epoch ${this.map.epoch})`);
    return id;
  }

  /** Pool names in id order. */
  poolList(): string[] {
    return [...this.map.pools.keys()].sort((a, b) => a - b).map((id) => this.map.poolName.get(id) ?? String(id));
  }

  /** `osd pool create NAME PG_NUM`; resolves once our map has the pool. EEXIST when it exists. */
  async poolCreate(name: string, pgNum = POOL_PG_NUM_DEFAULT): Promise<number> {
    if (this.map.lookupPoolName(name) >= 0) throw new CephError('EEXIST', `pool '${name}' already exists`);
    await this.command({ prefix: 'osd pool create', pool: name, pg_num: pgNum, pgp_num: pgNum });
    await this.waitForMap((m) => m.lookupPoolName(name) >= 0, POOL_MAP_WAIT_MS, `pool '${name}' in the osdmap`);
    return this.poolLookup(name);
  }

  /** `osd pool delete NAME NAME --yes-i-really-really-mean-it`; resolves once our map lost it. */
  async poolDelete(name: string): Promise<void> {
    this.poolLookup(name);
    await this.command({ prefix: 'osd pool delete', pool: name, pool2: name, yes_i_really_really_mean_it: true });
    await this.waitForMap((m) => m.lookupPoolName(name) < 0, POOL_MAP_WAIT_MS, `pool '${name}' gone from the osdmap`);
  }

  /** A monitor command; CephError with the monitor's errno and message when it fails. */
  async command(cmd: Record<string, string | number | boolean | string[]>): Promise<{ rs: string; out: Buffer }> {
    const r = await this.monc.command(cmd);
    if (r.r < 0) throw new CephError(errnoName(r.r) ?? 'EIO', `${String(cmd.prefix)}: ${r.rs || `error ${r.r}`}`);
    return { rs: r.rs, out: r.out };
  }

  // --- cluster stats ---------------------------------------------------------------------------

  /**
   * The cluster's size, use and object count from the monitors (MStatfs / MStatfsReply, as librados'
   * cluster_stat). Sizes in KiB.
   */
  async clusterStats(timeoutMs = STATFS_TIMEOUT_MS): Promise<ClusterStats> {
    const r = await this.monRequest((fsid, tid) => {
      const m = new MStatfs(fsid);
      m.header.tid = tid;
      return m;
    }, 'statfs', timeoutMs);
    return { ...(r as MStatfsReply).st };
  }

  /**
   * Usage of the named pools (MGetPoolStats, as librados' get_pool_stats): a pool the monitors have
   * no stats for (no PG reported yet, or no such pool) is left out of the map.
   */
  async poolStats(pools: readonly string[], timeoutMs = STATFS_TIMEOUT_MS): Promise<Map<string, PoolStats>> {
    const r = (await this.monRequest((fsid, tid) => new MGetPoolStats(fsid, tid, [...pools]), 'pool stats', timeoutMs)) as MGetPoolStatsReply;
    const out = new Map<string, PoolStats>();
    for (const [name, p] of [...r.poolStats].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) out.set(name, poolStatsFrom(p, r.perPool));
    return out;
  }

  /**
   * A request to the monitors answered by a reply with the same tid, sent on the monitor session, again
   * at once on a new session, and every STATFS_RETRY_MS until answered. version stays 0 in these
   * requests: it is the stats version the monitor would wait for before answering.
   */
  private monRequest(build: (fsid: string, tid: number) => Message, what: string, timeoutMs: number): Promise<Message> {
    if (this.closed) return Promise.reject(new CephError('ESHUTDOWN', 'the Rados handle was shut down'));
    const tid = ++this.lastMonTid;
    return new Promise<Message>((resolve, reject) => {
      const send = (): void => {
        const conn = this.monConn;
        const fsid = this.monc.getMonMap()?.fsid;
        if (!conn || fsid === undefined) return;
        conn.send(build(fsid, tid));
      };
      const retry = setInterval(send, STATFS_RETRY_MS);
      const timer = setTimeout(() => {
        done();
        reject(new CephError('ETIMEDOUT', `no ${what} reply from the monitors within ${timeoutMs} ms`));
      }, timeoutMs);
      const done = (): void => {
        clearInterval(retry);
        clearTimeout(timer);
        this.monWaiters.delete(tid);
      };
      this.monWaiters.set(tid, {
        resolve: (m) => { done(); resolve(m); },
        reject: (e) => { done(); reject(e); },
        send,
      });
      send();
    });
  }

  dispatch(conn: Connection, m: Message): void {
    if (m instanceof MOSDMap && conn.peerName.type === EntityType.MON && conn !== this.monConn) {
      // A new monitor session: what was asked on the old one goes again now, as Ceph's MonClient resends.
      this.monConn = conn;
      for (const w of [...this.monWaiters.values()]) w.send();
    }
    else if (m instanceof MStatfsReply || m instanceof MGetPoolStatsReply) this.monWaiters.get(m.header.tid)?.resolve(m);
  }

  handleReset(conn: Connection): void {
    if (conn === this.monConn) this.monConn = null;
  }

  // --- the osdmap --------------------------------------------------------------------------------

  /** Resolves when the map satisfies `test` (now or after a later map); ETIMEDOUT otherwise. */
  waitForMap(test: (m: OSDMap) => boolean, timeoutMs: number, what: string): Promise<void> {
    if (test(this.map)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const w: MapWaiter = {
        test,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.mapWaiters.delete(w);
        reject(new CephError('ETIMEDOUT', `no ${what} within ${timeoutMs} ms (osdmap epoch ${this.map.epoch})`));
      }, timeoutMs);
      this.mapWaiters.add(w);
    });
  }

  private handleOsdMap(m: MOSDMap): void {
    const before = this.map.epoch;
    const last = m.getLast();
    for (let e = this.map.epoch + 1; e <= last; e++) {
      const inc = m.incrementalMaps.get(e);
      const full = m.maps.get(e);
      if (inc) {
        const decoded = decodeIncremental(inc);
        if (applyIncremental(this.map, decoded) < 0) break; // another cluster's map: ignore
      } else if (full) {
        this.map = decodeOSDMap(full);
      } else if (this.map.epoch === before) {
        // A gap before anything applied: take the newest full map in the message, if any.
        const fulls = [...m.maps.keys()].filter((k) => k > this.map.epoch).sort((a, b) => b - a);
        if (fulls.length === 0) break;
        this.map = decodeOSDMap(m.maps.get(fulls[0]!)!);
        e = this.map.epoch;
      } else {
        break;
      }
    }
    if (this.map.epoch === before) return;
    this.monc.gotEpoch('osdmap', this.map.epoch);
    this.objecter.handleMap(this.map);
    for (const w of [...this.mapWaiters]) {
      if (w.test(this.map)) {
        this.mapWaiters.delete(w);
        w.resolve();
      }
    }
  }
}
