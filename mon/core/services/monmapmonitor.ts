// The MonMap Paxos service (Ceph's MonmapMonitor, src/mon/MonmapMonitor.cc), as a pure state machine.
// Store layout as Ceph's: prefix "monmap", the whole encoded map of epoch e under the decimal key
// "e", plus "first_committed" / "last_committed". `mon add` / `mon remove` change one pending map
// (the leader's); its commit bumps the epoch and every monitor's refresh() loads it.

import { CephError } from '../../../common/errors.js';
import {
  MON_FEATURES_SUPPORTED,
  addMon,
  cloneMonMap,
  decodeMonMap,
  dumpMonFeatures,
  dumpMonMap,
  encodeMonMap,
  monmaptoolAddAddrs,
  printMonMap,
  printMonMapSummary,
  removeMon,
} from '../../../common/monmap/index.js';
import type { MonMap } from '../../../common/monmap/types.js';
import { CephRelease, dumpStream, formatAddrVec } from '../../../common/osdmap/index.js';
import type { Formatter } from '../../../common/formatter.js';
import { type MonStoreRead, MonStoreTx, versionKey } from '../store.js';
import type { CmdMap, CommandOutcome, MonContext } from '../types.js';
import { argInt, argStr, flushNl, formatterFor, replyAfterCommit, replyErr, replyNow, utimeFromMs } from './common.js';

export const MONMAP_PREFIX = 'monmap';

/** What Ceph 16 reports as the quorum's connection features in quorum_status (CEPH_FEATURES_ALL). */
export const QUORUM_CON_FEATURES = 4540138314316775423n;

const READ_PREFIXES = new Set(['mon dump', 'mon stat', 'quorum_status', 'mon getmap']);
const WRITE_PREFIXES = new Set(['mon add', 'mon remove', 'mon rm']);

export function isMonCommand(prefix: string): boolean {
  return READ_PREFIXES.has(prefix) || WRITE_PREFIXES.has(prefix);
}

export class MonmapMonitor {
  committed: MonMap | null = null;
  private committedBuf: Buffer | null = null;
  private lastCommitted = 0;
  private store: MonStoreRead | null = null;
  private pending: MonMap | null = null;
  /** The map proposed and not yet seen committed (changes meanwhile build on it). */
  private proposed: MonMap | null = null;
  private electionEpoch = -1;

  epoch(): number {
    return this.lastCommitted;
  }

  encoded(): Buffer {
    if (!this.committedBuf) throw new CephError('EAGAIN', 'no monmap committed yet');
    return this.committedBuf;
  }

  refresh(store: MonStoreRead, ctx: MonContext): void {
    this.store = store;
    this.noteElection(ctx);
    const last = store.getNumber(MONMAP_PREFIX, 'last_committed');
    if (last === 0 || (last === this.lastCommitted && this.committedBuf)) return;
    const buf = store.get(MONMAP_PREFIX, versionKey(last));
    if (!buf) throw new CephError('EIO', `monmap: epoch ${last} missing from the store`);
    this.committed = decodeMonMap(buf);
    this.committedBuf = buf;
    this.lastCommitted = last;
    if (this.proposed && this.proposed.epoch <= last) {
      // Committed (ours, or another leader's value in its place: then what we stacked on it is void).
      if (!buf.equals(encodeMonMap(this.proposed))) this.pending = null;
      this.proposed = null;
    }
  }

  /** A new election drops pending and in-flight changes (their clients are told to retry). */
  private noteElection(ctx: MonContext): void {
    if (ctx.electionEpoch === this.electionEpoch) return;
    const first = this.electionEpoch === -1;
    this.electionEpoch = ctx.electionEpoch;
    if (first) return;
    this.pending = null;
    this.proposed = null;
  }

  /** The map changes build on: pending, else the proposal in flight, else the committed map. */
  private base(): MonMap {
    return cloneMonMap(this.pending ?? this.proposed ?? this.committed!);
  }

  /** Ceph's MonmapMonitor::create_initial: the mkfs monmap as epoch 1, Pacific's features on. */
  createInitial(ctx: MonContext, tx: MonStoreTx): void {
    const m = cloneMonMap(ctx.monmap);
    if (m.epoch === 0) m.epoch = 1;
    m.persistentFeatures |= MON_FEATURES_SUPPORTED;
    if (m.minMonRelease < CephRelease.pacific) m.minMonRelease = CephRelease.pacific;
    tx.put(MONMAP_PREFIX, versionKey(m.epoch), encodeMonMap(m));
    tx.putNumber(MONMAP_PREFIX, 'first_committed', m.epoch);
    tx.putNumber(MONMAP_PREFIX, 'last_committed', m.epoch);
  }

  encodePending(ctx: MonContext, tx: MonStoreTx): boolean {
    this.noteElection(ctx);
    if (!this.pending || this.proposed) return false;
    const m = this.pending;
    m.epoch = this.lastCommitted + 1;
    m.lastChanged = utimeFromMs(ctx.nowMs);
    tx.put(MONMAP_PREFIX, versionKey(m.epoch), encodeMonMap(m));
    tx.putNumber(MONMAP_PREFIX, 'last_committed', m.epoch);
    this.proposed = m;
    this.pending = null;
    return true;
  }

  inFlight(): boolean {
    return this.proposed !== null;
  }

  hasPending(): boolean {
    return this.pending !== null;
  }

  handleCommand(cmd: CmdMap, ctx: MonContext): CommandOutcome {
    const prefix = argStr(cmd, 'prefix') ?? '';
    const m = this.committed;
    if (!m) return { kind: 'wait', until: 'readable' };
    if (READ_PREFIXES.has(prefix)) return this.read(prefix, cmd, m, ctx);
    if (!ctx.isLeader) return { kind: 'forward' };
    this.noteElection(ctx);
    if (prefix === 'mon add') return this.add(cmd);
    return this.remove(cmd);
  }

  private read(prefix: string, cmd: CmdMap, m: MonMap, ctx: MonContext): CommandOutcome {
    switch (prefix) {
      case 'mon dump':
      case 'mon getmap': {
        const e = argInt(cmd, 'epoch');
        let map = m;
        let buf = this.committedBuf!;
        if (e !== undefined && e !== m.epoch) {
          const b = this.store?.get(MONMAP_PREFIX, versionKey(e));
          if (!b) return replyErr('ENOENT', `there is no map for epoch ${e}`);
          buf = b;
          map = decodeMonMap(b);
        }
        if (prefix === 'mon getmap') return replyNow(0, `got monmap epoch ${map.epoch}`, buf);
        const f = formatterFor(cmd);
        if (f) {
          f.openObjectSection('monmap');
          dumpMonMap(map, f, ctx.quorumRanks);
          f.closeSection();
          return replyNow(0, `dumped monmap epoch ${map.epoch}`, flushNl(f));
        }
        return replyNow(0, `dumped monmap epoch ${map.epoch}`, printMonMap(map));
      }
      case 'mon stat': {
        const f = formatterFor(cmd);
        if (f) {
          f.openObjectSection('monmap');
          this.dumpStat(m, f, ctx);
          f.closeSection();
          return replyNow(0, '', flushNl(f));
        }
        return replyNow(0, '', this.statLine(m, ctx) + '\n');
      }
      default: {
        // quorum_status: JSON always (json-pretty when asked).
        const f = formatterFor(cmd, 'json')!;
        f.openObjectSection('quorum_status');
        this.dumpQuorumStatus(m, f, ctx);
        f.closeSection();
        return replyNow(0, '', flushNl(f));
      }
    }
  }

  /** Monitor's `mon stat` line: the summary, removed ranks, election epoch, leader and quorum. */
  statLine(m: MonMap, ctx: MonContext): string {
    const removed = [...m.removedRanks].sort((a, b) => a - b).join(',');
    const leaderName = m.ranks[ctx.leader] ?? '';
    const q = ctx.quorumRanks;
    return (
      `${printMonMapSummary(m)} removed_ranks: {${removed}}, election epoch ${ctx.electionEpoch}, ` +
      `leader ${ctx.leader} ${leaderName}, quorum ${q.join(',')} ${q.map((r) => m.ranks[r] ?? '').join(',')}`
    );
  }

  dumpStat(m: MonMap, f: Formatter, ctx: MonContext): void {
    f.dumpUnsigned('epoch', m.epoch);
    f.dumpString('min_mon_release_name', releaseName(m.minMonRelease));
    f.dumpUnsigned('num_mons', m.mons.size);
    f.dumpString('leader', m.ranks[ctx.leader] ?? '');
    f.openArraySection('quorum');
    for (const r of ctx.quorumRanks) {
      f.openObjectSection('mon');
      f.dumpInt('rank', r);
      f.dumpString('name', m.ranks[r] ?? '');
      f.closeSection();
    }
    f.closeSection();
  }

  dumpQuorumStatus(m: MonMap, f: Formatter, ctx: MonContext): void {
    f.dumpInt('election_epoch', ctx.electionEpoch);
    f.openArraySection('quorum');
    for (const r of ctx.quorumRanks) f.dumpInt('mon', r);
    f.closeSection();
    f.openArraySection('quorum_names');
    for (const r of ctx.quorumRanks) f.dumpString('mon', m.ranks[r] ?? '');
    f.closeSection();
    f.dumpString('quorum_leader_name', m.ranks[ctx.leader] ?? '');
    f.dumpInt('quorum_age', quorumAgeSec(ctx));
    f.openObjectSection('features');
    dumpStream(f, 'quorum_con', QUORUM_CON_FEATURES.toString());
    dumpMonFeatures(m.persistentFeatures, 'quorum_mon', f);
    f.closeSection();
    f.openObjectSection('monmap');
    dumpMonMap(m, f);
    f.closeSection();
  }

  private add(cmd: CmdMap): CommandOutcome {
    const name = argStr(cmd, 'name') ?? '';
    const addrText = argStr(cmd, 'addr') ?? '';
    const base = this.base();
    let addrs;
    try {
      addrs = monmaptoolAddAddrs(base, addrText);
    } catch {
      return replyErr('EINVAL', `addr ${addrText} does not parse`);
    }
    const have = base.mons.get(name);
    if (have) {
      if (formatAddrVec(have.publicAddrs) === formatAddrVec(addrs)) return replyNow(0, `mon.${name} at ${formatAddrVec(addrs)} already exists`);
      return replyErr('EEXIST', `mon.${name} already exists at address ${formatAddrVec(have.publicAddrs)}`);
    }
    try {
      addMon(base, name, addrs);
    } catch (e) {
      if (e instanceof CephError) return replyErr(e.code, e.message);
      throw e;
    }
    this.pending = base;
    return replyAfterCommit(`adding mon.${name} at ${formatAddrVec(addrs)}`);
  }

  private remove(cmd: CmdMap): CommandOutcome {
    const name = argStr(cmd, 'name') ?? '';
    const base = this.base();
    const info = base.mons.get(name);
    if (!info) return replyNow(0, `mon.${name} does not exist or has already been removed`);
    if (base.mons.size === 1) return replyErr('EINVAL', `error: refusing removal of last monitor ${name}`);
    removeMon(base, name);
    this.pending = base;
    return replyAfterCommit(`removing mon.${name} at ${formatAddrVec(info.publicAddrs)}, there will be ${base.mons.size} monitors`);
  }
}

export function quorumAgeSec(ctx: MonContext): number {
  return Math.max(0, Math.floor((ctx.nowMs - ctx.quorumSinceMs) / 1000));
}

function releaseName(r: number): string {
  const e = Object.entries(CephRelease).find(([, v]) => v === r);
  return e ? e[0] : 'unknown';
}

