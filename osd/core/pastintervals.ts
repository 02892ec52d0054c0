// Past intervals and the prior set (Ceph's PastIntervals::check_new_interval, pi_compact_rep and
// PastIntervals::PriorSet in src/osd/osd_types.cc), pure.
//
// An interval is a run of map epochs in which a PG's up set, acting set, primaries, pool size /
// min_size and pg_num stay the same. Peering must hear from at least one member of every past
// interval that may have gone read-write (maybe_went_rw: its acting set reached min_size and its
// primary's up_thru reached the interval's start, so it could have activated and accepted writes),
// back to the last epoch the PG started. Those members are the prior set's probe targets; if every
// member of such an interval is down (and not marked lost), writes may exist only on down OSDs and
// the PG is down until one returns.

import { CRUSH_ITEM_NONE } from '../../common/osdmap/index.js';
import { NO_SHARD, type PgShard } from '../../msg/messages/osdop.js';
import type { CompactInterval, PastIntervals } from '../../msg/messages/pgtypes.js';
import { emptyPastIntervals } from '../../msg/messages/pgtypes.js';
import type { PgMapView } from './peering-api.js';

/** The parts of a map that decide an interval. */
export type IntervalMap = Pick<PgMapView, 'epoch' | 'up' | 'upPrimary' | 'acting' | 'actingPrimary' | 'poolSize' | 'poolMinSize' | 'pgNum'>;

/** Same OSDs in the same order (up and acting sets compare this way). */
export function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Ceph's is_new_interval: did primaries, up, acting, size, min_size or pg_num change? */
export function isNewInterval(old: IntervalMap, cur: IntervalMap): boolean {
  return old.actingPrimary !== cur.actingPrimary || !sameList(old.acting, cur.acting)
    || old.upPrimary !== cur.upPrimary || !sameList(old.up, cur.up)
    || old.poolSize !== cur.poolSize || old.poolMinSize !== cur.poolMinSize || old.pgNum !== cur.pgNum;
}

/**
 * May the interval that `last` ends have gone read-write? Its acting set had min_size members, it had
 * a primary, and the primary's up_thru (in the interval's last map) reached the interval's start; or
 * the PG went clean inside it (recovery needs an active PG).
 */
export function maybeWentRw(last: PgMapView, first: number, lastEpochClean: number): boolean {
  const members = last.acting.filter((o) => o !== CRUSH_ITEM_NONE && o >= 0).length;
  if (members === 0 || last.actingPrimary < 0 || members < last.poolMinSize) return false;
  if (last.upThru(last.actingPrimary) >= first) return true;
  return lastEpochClean >= first && lastEpochClean <= last.epoch;
}

/**
 * Ceph's check_new_interval: if `cur` starts a new interval, record the one that `last` ended
 * ([sameIntervalSince, cur.epoch - 1]) in `pi` and return true.
 */
export function checkNewInterval(last: PgMapView, cur: PgMapView, sameIntervalSince: number, lastEpochClean: number, pi: PastIntervals): boolean {
  if (!isNewInterval(last, cur)) return false;
  const first = sameIntervalSince;
  const lastEpoch = cur.epoch - 1;
  if (lastEpoch >= first) addInterval(pi, first, lastEpoch, last.acting, maybeWentRw(last, first, lastEpochClean));
  return true;
}

function cmpShard(a: PgShard, b: PgShard): number {
  return a.osd !== b.osd ? a.osd - b.osd : a.shard - b.shard;
}

function shardSet(osds: readonly number[]): PgShard[] {
  const out: PgShard[] = [];
  for (const o of osds) {
    if (o === CRUSH_ITEM_NONE || o < 0) continue;
    if (!out.some((s) => s.osd === o)) out.push({ osd: o, shard: NO_SHARD });
  }
  return out.sort(cmpShard);
}

/**
 * pi_compact_rep::add_interval: extend the covered range, remember every participant, and keep the
 * interval itself only if it may have gone read-write. Unlike Ceph, an earlier interval is never
 * dropped as "superseded" by a later one whose acting set is a subset: that is sound only when every
 * acting member holds every object, and here a backfill target can sit in the acting set (Ceph moves
 * it out with a pg_temp), so a later interval of backfill targets says nothing about the earlier data.
 */
export function addInterval(pi: PastIntervals, first: number, last: number, acting: readonly number[], maybeRw: boolean): void {
  if (pi.first === 0 && pi.last === 0) pi.first = first;
  if (last > pi.last) pi.last = last;
  const set = shardSet(acting);
  for (const s of set) if (!pi.allParticipants.some((t) => cmpShard(s, t) === 0)) pi.allParticipants.push(s);
  pi.allParticipants.sort(cmpShard);
  if (!maybeRw) return;
  const iv: CompactInterval = { first, last, acting: set };
  pi.intervals.push(iv);
}

export function clearPastIntervals(pi: PastIntervals): void {
  const e = emptyPastIntervals();
  pi.first = e.first;
  pi.last = e.last;
  pi.allParticipants = e.allParticipants;
  pi.intervals = e.intervals;
}

export function clonePastIntervals(pi: PastIntervals): PastIntervals {
  return {
    first: pi.first, last: pi.last, allParticipants: pi.allParticipants.map((s) => ({ ...s })),
    intervals: pi.intervals.map((i) => ({ first: i.first, last: i.last, acting: i.acting.map((s) => ({ ...s })) })),
  };
}

export interface PriorSet {
  /** OSDs to query (up members of the current up/acting sets and of every maybe-rw interval). */
  probe: number[];
  /** Members of maybe-rw intervals that are down now (not lost). */
  down: number[];
  /** Down OSDs peering waits for (a maybe-rw interval has no survivor without them). */
  blockedBy: number[];
  /** Some maybe-rw interval since last_epoch_started has no up member: the PG is down. */
  pgDown: boolean;
  /** lost_at of each `down` member when the set was built (a change affects the set). */
  downLostAt: number[];
}

/**
 * Ceph's PriorSet: probe the current up and acting sets, and for every maybe-rw interval ending at or
 * after `lastEpochStarted`, its up members. A replicated PG can recover from any one survivor, so an
 * interval whose members are all down (and some not lost) makes the PG down.
 */
export function buildPriorSet(pi: PastIntervals, lastEpochStarted: number, map: PgMapView, whoami: number): PriorSet {
  const probe = new Set<number>([whoami]);
  const down = new Set<number>();
  const blocked = new Set<number>();
  let pgDown = false;
  for (const o of [...map.acting, ...map.up]) if (o >= 0 && o !== CRUSH_ITEM_NONE && map.isUp(o)) probe.add(o);
  for (let i = pi.intervals.length - 1; i >= 0; i--) {
    const iv = pi.intervals[i]!;
    if (iv.last < lastEpochStarted) continue;
    let upNow = 0;
    const downHere: number[] = [];
    for (const s of iv.acting) {
      if (map.isUp(s.osd)) {
        probe.add(s.osd);
        upNow++;
      } else if (map.lostAt(s.osd) > iv.first) {
        // lost: peering does not wait for it
      } else {
        down.add(s.osd);
        downHere.push(s.osd);
      }
    }
    if (upNow === 0 && downHere.length > 0) {
      pgDown = true;
      for (const o of downHere) blocked.add(o);
    }
  }
  const sorted = (s: Set<number>): number[] => [...s].sort((a, b) => a - b);
  const downList = sorted(down);
  return { probe: sorted(probe), down: downList, blockedBy: sorted(blocked), pgDown, downLostAt: downList.map((o) => map.lostAt(o)) };
}

/** Ceph's prior_set_affected: a probe target went down, or a down member came up or was marked lost. */
export function priorSetAffected(prior: PriorSet, map: PgMapView, whoami: number): boolean {
  for (const o of prior.probe) if (o !== whoami && !map.isUp(o)) return true;
  for (let i = 0; i < prior.down.length; i++) {
    const o = prior.down[i]!;
    if (map.isUp(o) || map.lostAt(o) !== prior.downLostAt[i]) return true;
  }
  return false;
}

/**
 * Once the probe targets' infos are in: a maybe-rw interval (since last_epoch_started) whose up members
 * are all incomplete (backfill targets: they never held every object) has no real survivor either;
 * writes acknowledged in it may live only on its down members. Returns those members (empty: fine).
 * Ceph keeps backfill targets out of the acting set, so its prior set alone covers this.
 */
export function incompleteSurvivorsBlock(pi: PastIntervals, lastEpochStarted: number, map: PgMapView, isComplete: (osd: number) => boolean): number[] {
  const blocked = new Set<number>();
  for (const iv of pi.intervals) {
    if (iv.last < lastEpochStarted) continue;
    const upMembers = iv.acting.filter((s) => map.isUp(s.osd)).map((s) => s.osd);
    const downMembers = iv.acting.filter((s) => !map.isUp(s.osd) && !(map.lostAt(s.osd) > iv.first)).map((s) => s.osd);
    if (upMembers.length > 0 && downMembers.length > 0 && upMembers.every((o) => !isComplete(o))) for (const o of downMembers) blocked.add(o);
  }
  return [...blocked].sort((a, b) => a - b);
}
