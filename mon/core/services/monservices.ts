// All Paxos services of one monitor behind the lead's MonServices contract (mon/core/types.ts): the
// OSDMap (osdmonitor.ts), the MonMap (monmapmonitor.ts), health (health.ts) and status (status.ts).
// Commands are routed by prefix; every reply is built from committed state, every change goes into a
// service's pending state and out through encodePending as one store transaction.

import type { EntityAddrVec } from '../../../common/osdmap/index.js';
import { MonStoreTx, type MonStoreRead } from '../store.js';
import type { CmdMap, CommandOutcome, MonContext, MonServices, MonServicesConfig, OsdMapUpdate, PgCreateInfo } from '../types.js';
import { argBool, argStr, flushNl, formatterFor, replyErr, replyNow } from './common.js';
import { computeHealth, dumpHealth, healthPlain } from './health.js';
import { MonmapMonitor, isMonCommand } from './monmapmonitor.js';
import { OsdMonitor, isOsdCommand } from './osdmonitor.js';
import { dumpStatus, statusPlain } from './status.js';

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

  constructor(private readonly config: MonServicesConfig) {
    this.osd = new OsdMonitor(config);
  }

  refresh(store: MonStoreRead, ctx: MonContext): void {
    this.mon.refresh(store, ctx);
    this.osd.refresh(store, ctx);
  }

  createInitial(ctx: MonContext): MonStoreTx {
    const tx = new MonStoreTx();
    this.mon.createInitial(ctx, tx);
    this.osd.createInitial(ctx, tx);
    return tx;
  }

  encodePending(ctx: MonContext): MonStoreTx | null {
    // One proposal at a time for the whole monitor (Paxos carries one value per version).
    if (this.osd.inFlight() || this.mon.inFlight()) return null;
    const tx = new MonStoreTx();
    this.mon.encodePending(ctx, tx);
    this.osd.encodePending(ctx, tx);
    return tx.empty ? null : tx;
  }

  handleCommand(cmd: CmdMap, inbl: Buffer, ctx: MonContext): CommandOutcome {
    const prefix = argStr(cmd, 'prefix') ?? '';
    if (prefix === 'health' || prefix === 'status' || prefix === 's') {
      const monmap = this.mon.committed;
      if (!monmap) return { kind: 'wait', until: 'readable' };
      const osdmap = this.osd.epoch() > 0 ? this.osd.committed : null;
      const h = computeHealth(osdmap, monmap, ctx, this.config);
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
        dumpStatus(f, h, monmap, osdmap, ctx);
        f.closeSection();
        return replyNow(0, '', flushNl(f));
      }
      return replyNow(0, '', statusPlain(h, monmap, osdmap, ctx));
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

  encodedMonMap(): Buffer {
    return this.mon.encoded();
  }
}

/** The monitor's services with `config` (Ceph 16's defaults where a field is left out). */
export function createMonServices(config: Partial<MonServicesConfig> = {}): MonServices {
  return new Services({ ...DEFAULT_MON_SERVICES_CONFIG, ...config });
}
