// Seeded random PG structs (msg/messages/pgtypes.ts) in the canonical form their decoders return (sets
// sorted, fields a version does not carry left at their defaults), so encode -> decode -> deepEqual holds.

import { Encoder } from '../../common/encoding.js';
import type { UTime } from '../../common/osdmap/index.js';
import { CEPH_NOSNAP, type EVersion, type HObject, type OsdReqId, type PgShard, type SpgId } from '../../msg/messages/osdop.js';
import {
  PgLogOp, PgState, cmpHObject, emptyObjectStatSum, emptyPgStat, encodeCleanRegions, maxHObject, objectKey,
  type CompactInterval, type ObjectStatSum, type PastIntervals, type PgHistory, type PgInfo, type PgLog, type PgLogEntry,
  type PgMissing, type PgMissingItem, type PgStat,
} from '../../msg/messages/pgtypes.js';
import { caseSeed, Rng } from './rng.js';

const NAMES = ['obj', 'rbd_data.1', 'a', 'benchmark_data_x_1234_object7', 'zz', 'héllo', ''];

export function randStr(r: Rng, max = 12): string {
  if (r.chance(0.3)) return r.pick(NAMES);
  let s = '';
  const n = r.int(0, max);
  for (let i = 0; i < n; i++) s += String.fromCharCode(r.int(0x21, 0x7e));
  return s;
}

export function randBytes(r: Rng, max = 24): Buffer {
  const b = Buffer.alloc(r.int(0, max));
  for (let i = 0; i < b.length; i++) b[i] = r.int(0, 255);
  return b;
}

export function randEv(r: Rng): EVersion {
  return { epoch: r.u32(), version: r.int(0, 2 ** 40) };
}

export function randTime(r: Rng): UTime {
  return { sec: r.u32(), nsec: r.int(0, 999_999_999) };
}

export function randHObject(r: Rng): HObject {
  if (r.chance(0.05)) return maxHObject();
  const snap = r.chance(0.7) ? CEPH_NOSNAP : BigInt(r.u32()) * 7n;
  return { oid: randStr(r), key: r.chance(0.2) ? randStr(r, 6) : '', nspace: r.chance(0.2) ? randStr(r, 6) : '', hash: r.u32(), pool: r.int(0, 40), snap, max: false };
}

export function randShard(r: Rng): PgShard {
  return { osd: r.int(0, 30), shard: r.chance(0.7) ? -1 : r.int(0, 10) };
}

export function randShardSet(r: Rng, max = 5): PgShard[] {
  const m = new Map<string, PgShard>();
  const n = r.int(0, max);
  for (let i = 0; i < n; i++) {
    const s = randShard(r);
    m.set(`${s.osd}/${s.shard}`, s);
  }
  return [...m.values()].sort((a, b) => a.osd - b.osd || a.shard - b.shard);
}

export function randSpg(r: Rng): SpgId {
  return { pgid: { pool: r.int(0, 60), seed: r.int(0, 4095) }, shard: r.chance(0.8) ? -1 : r.int(0, 10) };
}

export function randReqId(r: Rng): OsdReqId {
  return { name: { type: r.pick([4, 8]), num: r.int(0, 2 ** 40) }, tid: r.int(0, 2 ** 40), inc: r.int(-5, 2 ** 30) };
}

function randSnapIntervals(r: Rng): Array<[bigint, bigint]> {
  const out: Array<[bigint, bigint]> = [];
  let at = 1n;
  const n = r.int(0, 3);
  for (let i = 0; i < n; i++) {
    at += BigInt(r.int(1, 1000));
    const len = BigInt(r.int(1, 50));
    out.push([at, len]);
    at += len;
  }
  return out;
}

export function randHistory(r: Rng): PgHistory {
  return {
    epochCreated: r.u32(), epochPoolCreated: r.u32(), lastEpochStarted: r.u32(), lastIntervalStarted: r.u32(),
    lastEpochClean: r.u32(), lastIntervalClean: r.u32(), lastEpochSplit: r.u32(), lastEpochMarkedFull: r.u32(),
    sameUpSince: r.u32(), sameIntervalSince: r.u32(), samePrimarySince: r.u32(), lastScrub: randEv(r),
    lastDeepScrub: randEv(r), lastScrubStamp: randTime(r), lastDeepScrubStamp: randTime(r),
    lastCleanScrubStamp: randTime(r), priorReadableUntilUb: r.int(0, 100_000) * 1e9 + r.int(0, 999_999_999),
  };
}

const I32_FIELDS = new Set(['numFlushModeHigh', 'numFlushModeLow', 'numEvictModeSome', 'numEvictModeFull']);

export function randStatSum(r: Rng): ObjectStatSum {
  const s = emptyObjectStatSum();
  for (const k of Object.keys(s) as Array<keyof ObjectStatSum>) {
    s[k] = I32_FIELDS.has(k) ? r.int(-(2 ** 31), 2 ** 31 - 1) : r.int(-(2 ** 50), 2 ** 50);
  }
  return s;
}

export function randState(r: Rng): number {
  let s = 0;
  for (const bit of Object.values(PgState)) if (r.chance(0.2)) s += bit;
  return s;
}

export function randStat(r: Rng): PgStat {
  const s = emptyPgStat();
  const t = (): UTime => randTime(r);
  const ints = (n: number): number[] => Array.from({ length: r.int(0, n) }, () => r.int(-1, 50));
  Object.assign(s, {
    version: randEv(r), reportedSeq: r.int(0, 2 ** 45), reportedEpoch: r.u32(), state: randState(r), lastFresh: t(),
    lastChange: t(), lastActive: t(), lastPeered: t(), lastClean: t(), lastUnstale: t(), lastUndegraded: t(),
    lastFullsized: t(), logStart: randEv(r), ondiskLogStart: randEv(r), created: r.u32(), lastEpochClean: r.u32(),
    parent: { pool: r.int(0, 100), seed: r.u32() }, parentSplitBits: r.u32(), lastScrub: randEv(r), lastDeepScrub: randEv(r),
    lastScrubStamp: t(), lastDeepScrubStamp: t(), lastCleanScrubStamp: t(), statsSum: randStatSum(r),
    logSize: r.int(-5, 2 ** 40), ondiskLogSize: r.int(-5, 2 ** 40), up: ints(4), acting: ints(4), upPrimary: r.int(-1, 50),
    actingPrimary: r.int(-1, 50), mappingEpoch: r.u32(), lastBecameActive: t(), lastBecamePeered: t(), snaptrimqLen: r.u32(),
    statsInvalid: r.chance(0.5), dirtyStatsInvalid: r.chance(0.5), omapStatsInvalid: r.chance(0.5),
    hitsetStatsInvalid: r.chance(0.5), hitsetBytesStatsInvalid: r.chance(0.5), pinStatsInvalid: r.chance(0.5),
    manifestStatsInvalid: r.chance(0.5), purgedSnaps: randSnapIntervals(r), blockedBy: ints(3),
    availNoMissing: Array.from({ length: r.int(0, 3) }, () => randShard(r)),
  });
  const counts = new Map<string, { shards: PgShard[]; objects: number }>();
  for (let i = r.int(0, 3); i > 0; i--) {
    const shards = randShardSet(r, 3);
    counts.set(shards.map((x) => `${x.osd}/${x.shard}`).join(','), { shards, objects: r.int(-5, 2 ** 31 - 1) });
  }
  s.objectLocationCounts = [...counts.values()].sort((a, b) => {
    for (let i = 0; i < Math.min(a.shards.length, b.shards.length); i++) {
      const c = a.shards[i]!.osd - b.shards[i]!.osd || a.shards[i]!.shard - b.shards[i]!.shard;
      if (c !== 0) return c;
    }
    return a.shards.length - b.shards.length;
  });
  return s;
}

export function randInfo(r: Rng): PgInfo {
  return {
    pgid: randSpg(r), lastUpdate: randEv(r), lastComplete: randEv(r), logTail: randEv(r), lastBackfill: randHObject(r),
    stats: randStat(r), history: randHistory(r), purgedSnaps: randSnapIntervals(r), lastUserVersion: r.int(0, 2 ** 45),
    lastEpochStarted: r.u32(), lastIntervalStarted: r.u32(),
  };
}

export function randPastIntervals(r: Rng): PastIntervals {
  if (r.chance(0.1)) return { first: 0, last: 0, allParticipants: [], intervals: [] };
  const intervals: CompactInterval[] = [];
  for (let i = r.int(0, 4); i > 0; i--) intervals.push({ first: r.u32(), last: r.u32(), acting: randShardSet(r, 4) });
  return { first: r.u32(), last: r.u32(), allParticipants: randShardSet(r, 6), intervals };
}

/** A valid encoded ObjectModDesc (Ceph keeps its ops as an opaque bufferlist). */
export function randModDesc(r: Rng): Buffer {
  const e = new Encoder(64);
  const v = r.int(1, 2);
  e.startStruct(v, v).bool(r.chance(0.5)).bool(r.chance(0.5)).bytes(randBytes(r, 16)).finishStruct();
  return e.toBuffer();
}

export function randCleanRegions(r: Rng): Buffer {
  return encodeCleanRegions({ cleanOffsets: randSnapIntervals(r), cleanOmap: r.chance(0.5), newObject: r.chance(0.5) });
}

const LOG_OPS = Object.values(PgLogOp);

export function randLogEntry(r: Rng): PgLogEntry {
  const op = r.pick(LOG_OPS);
  const extraReqids = Array.from({ length: r.chance(0.8) ? 0 : r.int(1, 3) }, () => ({ reqid: randReqId(r), userVersion: r.int(0, 2 ** 40) }));
  const e: PgLogEntry = {
    op, soid: randHObject(r), version: randEv(r), priorVersion: randEv(r),
    revertingTo: op === PgLogOp.LOST_REVERT ? randEv(r) : { epoch: 0, version: 0 }, reqid: randReqId(r), extraReqids,
    mtime: randTime(r), returnCode: r.int(-200, 5),
    opReturns: Array.from({ length: r.int(0, 2) }, () => ({ rval: r.int(-100, 100), data: randBytes(r, 12) })),
    userVersion: r.int(0, 2 ** 45), modDesc: randModDesc(r), snaps: randBytes(r, 20), cleanRegions: randCleanRegions(r),
  };
  if (extraReqids.length) {
    e.extraReqidReturnCodes = [];
    for (let i = 0; i < extraReqids.length; i++) if (r.chance(0.5)) e.extraReqidReturnCodes.push([i, r.int(-100, 0)]);
  }
  return e;
}

export function randLog(r: Rng): PgLog {
  return {
    head: randEv(r), tail: randEv(r), canRollbackTo: randEv(r), rollbackInfoTrimmedTo: randEv(r),
    log: Array.from({ length: r.int(0, 5) }, () => randLogEntry(r)),
    dups: Array.from({ length: r.int(0, 3) }, () => ({
      reqid: randReqId(r), version: randEv(r), userVersion: r.int(0, 2 ** 40), returnCode: r.int(-100, 0),
      opReturns: Array.from({ length: r.int(0, 2) }, () => ({ rval: r.int(-100, 100), data: randBytes(r, 8) })),
    })),
  };
}

/** A missing set; its Map is in Ceph's hobject order (the order a decoder fills it in). */
export function randMissing(r: Rng): PgMissing {
  const items: Array<{ soid: HObject; item: PgMissingItem }> = [];
  for (let i = r.int(0, 5); i > 0; i--) {
    items.push({ soid: randHObject(r), item: { need: randEv(r), have: randEv(r), isDelete: r.chance(0.3), cleanRegions: randCleanRegions(r) } });
  }
  items.sort((a, b) => cmpHObject(a.soid, b.soid));
  const m: PgMissing = { items: new Map(), mayIncludeDeletes: r.chance(0.5) };
  for (const it of items) m.items.set(objectKey(it.soid), it);
  return m;
}

/**
 * Runs `body` once per case seed of a run (caseSeed(runSeed, 0 .. cases-1)), or only for the seed in
 * the env var `replayVar` when it is set. A failure's message starts with its seed and how to replay it.
 */
export function forEachCaseSeed(runSeed: number, cases: number, replayVar: string, body: (r: Rng, seed: number) => void): void {
  const only = process.env[replayVar];
  const seeds = only !== undefined ? [Number(only)] : Array.from({ length: cases }, (_, i) => caseSeed(runSeed, i));
  for (const seed of seeds) {
    try {
      body(new Rng(seed), seed);
    } catch (e) {
      if (e instanceof Error) e.message = `seed=${seed} (${replayVar}=${seed} replays it): ${e.message}`;
      throw e;
    }
  }
}
