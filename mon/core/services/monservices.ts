// All Paxos services of one monitor behind the lead's MonServices contract (mon/core/types.ts): the
// OSDMap (osdmonitor.ts), the MonMap (monmapmonitor.ts), health (health.ts) and status (status.ts).
// Commands are routed by prefix; every reply is built from committed state, every change goes into a
// service's pending state and out through encodePending as one store transaction.

import type { EntityAddrVec, PgId } from '../../../common/osdmap/index.js';
import { MonStoreTx, type MonStoreRead } from '../store.js';
import type { CmdMap, CommandOutcome, MonContext, MonServices, MonServicesConfig, OsdMapUpdate, PgCreateInfo, PgTempRequest } from '../types.js';
import { argBool, argInt, argList, argStr, flushNl, formatterFor, replyAfterCommit, replyErr, replyNow } from './common.js';
import { computeHealth, dumpHealth, healthPlain } from './health.js';
import { MonmapMonitor, isMonCommand } from './monmapmonitor.js';
import { OsdMonitor, isOsdCommand } from './osdmonitor.js';
import { dumpStatus, statusPlain } from './status.js';
import {
  PgMapService,
  clusterStatfs,
  encodeAckEntries,
  dfJson,
  dfPlain,
  dumpPgStatSummary,
  filterPgs,
  osdDfJson,
  osdDfPlain,
  osdPoolStatsJson,
  osdPoolStatsPlain,
  pgDumpJson,
  pgDumpPlain,
  pgDumpWhat,
  pgLsJson,
  pgLsPlain,
  pgMapPlain,
  dumpPgMap,
  pgStatPlain,
  pgStateBit,
  pgStateName,
  poolStatsFor,
  type PgMapDigest,
} from './pgmap.js';
import { parsePgid, type OSDMap } from '../../../common/osdmap/index.js';
import type { MPGStats, PoolStat } from '../../../msg/messages/pgstats.js';
import type { Formatter } from '../../../common/formatter.js';

/**
 * What `ceph version` answers: tsceph speaks Ceph 16.2.15's protocols and formats, and clients
 * (the CLI, librados) compare this text, so it is Ceph's own.
 */
export const CEPH_VERSION_TEXT = 'ceph version 16.2.15 (618f440892089921c3e944a991122ddc44e60516) pacific (stable)';

/** Ceph 16's defaults for the options the services read. */
export const DEFAULT_MON_SERVICES_CONFIG: Readonly<MonServicesConfig> = Object.freeze({
  osdDownOutIntervalMs: 600_000,
  osdHeartbeatGraceMs: 20_000,
  osdMinDownReporters: 2,
  osdReporterSubtreeLevel: 'host',
  osdReportTimeoutMs: 900_000,
  poolDefaultSize: 3,
  poolDefaultMinSize: 0,
  poolDefaultPgNum: 32,
  maxPgPerOsd: 250,
  allowPoolDelete: false,
  minOsdmapEpochs: 500,
});

class Services implements MonServices {
  readonly osd: OsdMonitor;
  readonly mon = new MonmapMonitor();
  readonly pg = new PgMapService();

  constructor(private readonly config: MonServicesConfig) {
    this.osd = new OsdMonitor(config);
  }

  refresh(store: MonStoreRead, ctx: MonContext): void {
    this.mon.refresh(store, ctx);
    this.osd.refresh(store, ctx);
    this.pg.refresh(store, ctx.electionEpoch);
  }

  createInitial(ctx: MonContext): MonStoreTx {
    const tx = new MonStoreTx();
    this.mon.createInitial(ctx, tx);
    this.osd.createInitial(ctx, tx);
    return tx;
  }

  encodePending(ctx: MonContext): MonStoreTx | null {
    // One proposal at a time for the whole monitor (Paxos carries one value per version).
    if (this.osd.inFlight() || this.mon.inFlight() || this.pg.inFlight()) return null;
    const tx = new MonStoreTx();
    this.mon.encodePending(ctx, tx);
    this.osd.encodePending(ctx, tx);
    // PG stats ride along with any other change, else go out at most once per propose interval.
    this.pg.encodePending(tx, this.committedOsdmap(), ctx.nowMs, !tx.empty);
    return tx.empty ? null : tx;
  }

  handleCommand(cmd: CmdMap, inbl: Buffer, ctx: MonContext): CommandOutcome {
    const prefix = argStr(cmd, 'prefix') ?? '';
    if (prefix === 'health' || prefix === 'status' || prefix === 's') {
      const monmap = this.mon.committed;
      if (!monmap) return { kind: 'wait', until: 'readable' };
      const osdmap = this.osd.epoch() > 0 ? this.osd.committed : null;
      const dg = this.digest(ctx);
      // Like Ceph without an active manager, no PG checks until the first PG stats are committed.
      const h = computeHealth(osdmap, monmap, ctx, this.config, this.pg.epoch() > 0 ? dg : undefined);
      const f = formatterFor(cmd);
      if (prefix === 'health') {
        const detail = cmd['detail'] !== undefined && argBool(cmd, 'detail');
        if (f) {
          f.openObjectSection('health');
          dumpHealth(h, f, detail);
          f.closeSection();
          return replyNow(0, '', f.flush());
        }
        return replyNow(0, '', healthPlain(h, detail));
      }
      if (f) {
        f.openObjectSection('status');
        dumpStatus(f, h, monmap, osdmap, ctx, this.pg, dg);
        f.closeSection();
        return replyNow(0, '', flushNl(f));
      }
      return replyNow(0, '', statusPlain(h, monmap, osdmap, ctx, this.pg, dg));
    }
    if (prefix === 'fsid') {
      const f = formatterFor(cmd);
      if (f) {
        f.openObjectSection('mon');
        f.dumpString('fsid', ctx.monmap.fsid);
        f.closeSection();
        return replyNow(0, '', f.flush());
      }
      return replyNow(0, '', `${ctx.monmap.fsid}\n`);
    }
    if (prefix === 'version') {
      const f = formatterFor(cmd);
      if (f) {
        f.openObjectSection('version');
        f.dumpString('version', CEPH_VERSION_TEXT);
        f.closeSection();
        return replyNow(0, '', flushNl(f));
      }
      return replyNow(0, '', `${CEPH_VERSION_TEXT}\n`);
    }
    if (isPgCommand(prefix)) return this.handlePgCommand(prefix, cmd, ctx);
    if (isMonCommand(prefix)) return this.mon.handleCommand(cmd, ctx);
    if (isOsdCommand(prefix)) return this.osd.handleCommand(cmd, inbl, ctx);
    return replyErr('EINVAL', 'unrecognized command');
  }

  tick(ctx: MonContext): void {
    this.osd.tick(ctx);
  }

  handleOsdBoot(
    osd: number,
    addrs: { public: EntityAddrVec; cluster: EntityAddrVec; hbBack: EntityAddrVec; hbFront: EntityAddrVec },
    _sbEpoch: number,
    features: bigint,
    ctx: MonContext,
  ): CommandOutcome {
    return this.osd.handleBoot(osd, addrs, features, ctx);
  }

  handleOsdFailure(target: number, reporter: number, failedForMs: number, isFailed: boolean, ctx: MonContext, immediate = false): void {
    this.osd.handleFailure(target, reporter, failedForMs, isFailed, ctx, immediate);
  }

  handleOsdAlive(osd: number, want: number, ctx: MonContext): CommandOutcome {
    return this.osd.handleAlive(osd, want, ctx);
  }

  handleOsdMarkMeDown(osd: number, ctx: MonContext): CommandOutcome {
    return this.osd.handleMarkMeDown(osd, ctx);
  }

  handlePgCreated(osd: number, pgid: PgId, ctx: MonContext): CommandOutcome {
    return this.osd.handlePgCreated(osd, pgid, ctx);
  }

  handlePgTemp(osd: number, addrs: EntityAddrVec | null, req: PgTempRequest, ctx: MonContext): CommandOutcome {
    return this.osd.handlePgTemp(osd, addrs, req, ctx);
  }

  osdmapEpoch(): number {
    return this.osd.epoch();
  }

  osdmapUpdatesFor(have: number, maxMaps: number): OsdMapUpdate {
    return this.osd.updatesFor(have, maxMaps);
  }

  osdPgCreates(osd: number, nowMs: number): PgCreateInfo[] {
    return this.osd.pgCreatesFor(osd, nowMs);
  }

  osdmapLatestFull(): OsdMapUpdate {
    return this.osd.latestFull();
  }

  monmapEpoch(): number {
    return this.mon.epoch();
  }

  handlePgStats(osd: number, m: MPGStats, ctx: MonContext): CommandOutcome {
    const osdmap = this.committedOsdmap();
    if (!osdmap) return replyErr('EAGAIN', 'no osdmap yet');
    if (m.fsid !== ctx.monmap.fsid) return replyErr('EINVAL', `pg stats for fsid ${m.fsid}, not ours`);
    if (!ctx.isLeader) return { kind: 'forward' };
    const ack = this.pg.handleStats(osd, m, osdmap, ctx.nowMs);
    const out = encodeAckEntries(ack);
    return this.pg.hasPending() ? replyAfterCommit('', out) : replyNow(0, '', out);
  }

  poolStats(names: readonly string[], ctx: MonContext): { stats: Map<string, PoolStat>; perPool: boolean; version: number } {
    const osdmap = this.committedOsdmap();
    if (!osdmap) return { stats: new Map(), perPool: false, version: 0 };
    const dg = this.digest(ctx);
    return { stats: poolStatsFor(osdmap, dg, names), perPool: dg.perPool, version: this.pg.epoch() };
  }

  clusterStatfs(ctx: MonContext, dataPool: number | null = null): { kb: number; kbUsed: number; kbAvail: number; numObjects: number; version: number } {
    return { ...clusterStatfs(this.digest(ctx), this.committedOsdmap(), dataPool), version: this.pg.epoch() };
  }

  private committedOsdmap(): OSDMap | null {
    return this.osd.epoch() > 0 ? this.osd.committed : null;
  }

  private digest(ctx: MonContext): PgMapDigest {
    return this.pg.digest(this.committedOsdmap(), ctx.nowMs, this.config.osdReportTimeoutMs);
  }

  /** The PGMap's commands (Ceph 16 serves them from the manager: MgrCommands.h). */
  private handlePgCommand(prefix: string, cmd: CmdMap, ctx: MonContext): CommandOutcome {
    const osdmap = this.committedOsdmap();
    if (!osdmap) return { kind: 'wait', until: 'readable' };
    const dg = this.digest(ctx);
    const f = formatterFor(cmd);
    const done = (plain: string, dump: (f: Formatter) => void): CommandOutcome => {
      if (f) {
        dump(f);
        return replyNow(0, '', flushNl(f));
      }
      return replyNow(0, '', plain);
    };
    switch (prefix) {
      case 'pg stat':
        return f ? done('', (x) => dumpPgStatSummary(x, this.pg, dg)) : replyNow(0, '', pgStatPlain(this.pg, dg));
      case 'pg dump': {
        const what = argList(cmd, 'dumpcontents');
        if (f) {
          pgDumpJson(f, this.pg, dg, what);
          return replyNow(0, `dumped ${pgDumpWhat(what).join(',')}`, flushNl(f));
        }
        return replyNow(0, `dumped ${pgDumpWhat(what).join(',')}`, pgDumpPlain(this.pg, dg, what));
      }
      case 'pg ls':
      case 'pg ls-by-pool':
      case 'pg ls-by-osd':
      case 'pg ls-by-primary': {
        let pool = -1;
        if (prefix === 'pg ls-by-pool') {
          const name = argStr(cmd, 'poolstr') ?? '';
          pool = osdmap.lookupPoolName(name);
          if (pool < 0) return replyErr('ENOENT', `pool ${name} does not exist`);
        } else if (cmd['pool'] !== undefined) {
          pool = argInt(cmd, 'pool') ?? -1;
          if (pool >= 0 && !osdmap.pools.has(pool)) return replyErr('ENOENT', `pool ${pool} does not exist`);
        }
        let osd = -1;
        if (prefix === 'pg ls-by-osd' || prefix === 'pg ls-by-primary') {
          const id = (argStr(cmd, 'osd') ?? '').replace(/^osd\./, '');
          osd = /^\d+$/.test(id) ? Number(id) : -1;
          if (osd >= 0 && !osdmap.isUp(osd)) return replyErr('EAGAIN', `osd ${osd} is not up`);
        }
        const stateWords = argList(cmd, 'states');
        let bits = 0;
        let all = stateWords.length === 0;
        for (const w of stateWords) {
          if (w === 'all') {
            all = true;
            continue;
          }
          const bit = pgStateBit(w);
          if (bit === undefined) return replyErr('EINVAL', `'${w}' is not a valid pg state, available choices: ${pgStateName(0xffffffff)}`);
          if (Math.floor(bits / Math.max(bit, 1)) % 2 === 0) bits += bit;
        }
        const states: number | 'all' = all ? 'all' : bits;
        const pgs = filterPgs(dg, pool, osd, prefix === 'pg ls-by-primary', states);
        return f ? done('', (x) => pgLsJson(x, pgs)) : replyNow(0, '', pgs.length ? pgLsPlain(pgs, ctx.nowMs) : '');
      }
      case 'pg map': {
        const pg = parsePgid(argStr(cmd, 'pgid') ?? '');
        if (!pg) return replyErr('EINVAL', `invalid pgid '${argStr(cmd, 'pgid') ?? ''}'`);
        const pool = osdmap.pools.get(pg.pool);
        if (!pool) return replyErr('ENOENT', `pg '${argStr(cmd, 'pgid') ?? ''}' does not exist`);
        if (pg.seed >= pool.pgNum) return replyErr('ENOENT', `pg '${argStr(cmd, 'pgid') ?? ''}' does not exist`);
        return done(pgMapPlain(osdmap, pg), (x) => dumpPgMap(x, osdmap, pg));
      }
      case 'df': {
        const detail = argStr(cmd, 'detail') !== undefined && argBool(cmd, 'detail');
        return f ? done('', (x) => {
          x.openObjectSection('df');
          dfJson(x, osdmap, dg, detail);
          x.closeSection();
        }) : replyNow(0, '', dfPlain(osdmap, dg, detail));
      }
      case 'osd df':
        return f ? done('', (x) => {
          x.openObjectSection('df');
          osdDfJson(x, osdmap, dg);
          x.closeSection();
        }) : replyNow(0, '', osdDfPlain(osdmap, dg));
      case 'osd pool stats': {
        let ids = [...osdmap.pools.keys()].sort((a, b) => a - b);
        const name = argStr(cmd, 'pool_name');
        if (name !== undefined) {
          const id = osdmap.lookupPoolName(name);
          if (id < 0) return replyErr('ENOENT', `unrecognized pool '${name}'`);
          ids = [id];
        }
        return f ? done('', (x) => osdPoolStatsJson(x, osdmap, dg, ids)) : replyNow(0, '', osdPoolStatsPlain(osdmap, dg, ids));
      }
    }
    return replyErr('EINVAL', 'unrecognized command');
  }

  encodedMonMap(): Buffer {
    return this.mon.encoded();
  }
}

/** The monitor's services with `config` (Ceph 16's defaults where a field is left out). */
export function createMonServices(config: Partial<MonServicesConfig> = {}): MonServices {
  return new Services({ ...DEFAULT_MON_SERVICES_CONFIG, ...config });
}

const PG_COMMANDS = new Set(['pg stat', 'pg dump', 'pg ls', 'pg ls-by-pool', 'pg ls-by-osd', 'pg ls-by-primary', 'pg map', 'df', 'osd df', 'osd pool stats']);

/** The commands the PGMap answers. */
export function isPgCommand(prefix: string): boolean {
  return PG_COMMANDS.has(prefix);
}
