// Proves past intervals and the prior set (osd/core/pastintervals.ts) follow Ceph's rules: what starts
// a new interval, when an interval may have gone read-write (min_size and the primary's up_thru), the
// compact representation (only maybe-rw intervals kept, superseded ones dropped, every participant
// remembered), and the prior set: probe targets, down members, and a down PG when a maybe-rw interval
// since last_epoch_started has no survivor (lost OSDs excepted). Hand-built map sequences.
import { strict as assert } from 'node:assert';
import { emptyPastIntervals } from '../../msg/messages/pgtypes.js';
import type { PgMapView } from '../../osd/core/peering-api.js';
import {
  addInterval, buildPriorSet, checkNewInterval, incompleteSurvivorsBlock, isNewInterval, maybeWentRw, priorSetAffected,
} from '../../osd/core/pastintervals.js';

interface V {
  epoch: number;
  up?: number[];
  acting?: number[];
  size?: number;
  minSize?: number;
  pgNum?: number;
  upOsds?: number[];
  upThru?: Record<number, number>;
  lost?: Record<number, number>;
}

function view(v: V): PgMapView {
  const up = v.up ?? [0, 1, 2];
  const acting = v.acting ?? up;
  const upOsds = new Set(v.upOsds ?? [...up, ...acting]);
  return {
    epoch: v.epoch, poolExists: true, poolSize: v.size ?? 3, poolMinSize: v.minSize ?? 2, pgNum: v.pgNum ?? 8,
    up, upPrimary: up[0] ?? -1, acting, actingPrimary: acting[0] ?? -1,
    isUp: (o) => upOsds.has(o), upThru: (o) => v.upThru?.[o] ?? 0, lostAt: (o) => v.lost?.[o] ?? 0,
  };
}

describe('pastintervals: new intervals', () => {
  it('up, acting, primaries, size, min_size and pg_num changes start an interval; nothing else does', () => {
    const a = view({ epoch: 5 });
    assert.equal(isNewInterval(a, view({ epoch: 6 })), false);
    assert.equal(isNewInterval(a, view({ epoch: 6, upThru: { 0: 6 } })), false, 'up_thru alone is not an interval change');
    assert.ok(isNewInterval(a, view({ epoch: 6, up: [0, 1, 3] })));
    assert.ok(isNewInterval(a, view({ epoch: 6, acting: [1, 0, 2] })));
    assert.ok(isNewInterval(a, view({ epoch: 6, up: [1, 0, 2], acting: [0, 1, 2] })), 'up primary');
    assert.ok(isNewInterval(a, view({ epoch: 6, size: 2 })));
    assert.ok(isNewInterval(a, view({ epoch: 6, minSize: 1 })));
    assert.ok(isNewInterval(a, view({ epoch: 6, pgNum: 16 })));
  });

  it('maybe_went_rw needs min_size acting members and the primary\'s up_thru at the interval start', () => {
    assert.ok(maybeWentRw(view({ epoch: 9, upThru: { 0: 5 } }), 5, 0));
    assert.equal(maybeWentRw(view({ epoch: 9, upThru: { 0: 4 } }), 5, 0), false, 'up_thru before the start');
    assert.equal(maybeWentRw(view({ epoch: 9, acting: [0], upThru: { 0: 5 } }), 5, 0), false, 'below min_size');
    assert.equal(maybeWentRw(view({ epoch: 9, acting: [], upThru: {} }), 5, 0), false, 'no primary');
    assert.ok(maybeWentRw(view({ epoch: 9, upThru: { 0: 1 } }), 5, 7), 'went clean inside the interval');
  });

  it('check_new_interval records the ended interval [same_interval_since, epoch-1]', () => {
    const pi = emptyPastIntervals();
    const last = view({ epoch: 9, upThru: { 0: 6 } });
    assert.equal(checkNewInterval(last, view({ epoch: 10, upThru: { 0: 6 } }), 6, 0, pi), false);
    assert.ok(checkNewInterval(last, view({ epoch: 10, up: [0, 1, 3] }), 6, 0, pi));
    assert.deepEqual({ first: pi.first, last: pi.last }, { first: 6, last: 9 });
    assert.deepEqual(pi.intervals.map((i) => [i.first, i.last, i.acting.map((s) => s.osd)]), [[6, 9, [0, 1, 2]]]);
    // an interval that never got up_thru is remembered only as participants
    const last2 = view({ epoch: 12, up: [0, 1, 3], upThru: { 0: 6 } });
    assert.ok(checkNewInterval(last2, view({ epoch: 13, up: [3, 1, 0] }), 10, 0, pi));
    assert.equal(pi.intervals.length, 1);
    assert.equal(pi.last, 12);
    assert.deepEqual(pi.allParticipants.map((s) => s.osd), [0, 1, 2, 3]);
  });

  it('keeps every maybe-rw interval, even one a later subset would supersede in Ceph (backfill targets sit in acting here)', () => {
    const pi = emptyPastIntervals();
    addInterval(pi, 2, 4, [0, 1, 2], true);
    addInterval(pi, 5, 7, [3, 4], true);
    addInterval(pi, 8, 9, [0, 1], true);
    assert.deepEqual(pi.intervals.map((i) => i.first), [2, 5, 8]);
    assert.deepEqual(pi.allParticipants.map((s) => s.osd), [0, 1, 2, 3, 4]);
  });
});

describe('pastintervals: prior set', () => {
  it('an interval whose up members are all backfill targets blocks on its down members', () => {
    const pi = emptyPastIntervals();
    addInterval(pi, 25, 27, [2, 3], true);
    addInterval(pi, 28, 29, [3], true);
    const cur = view({ epoch: 30, up: [0, 3], upOsds: [0, 3] });
    assert.equal(buildPriorSet(pi, 20, cur, 0).pgDown, false, 'osd.3 is up in both');
    assert.deepEqual(incompleteSurvivorsBlock(pi, 20, cur, (o) => o !== 3), [2], 'but osd.3 was only being backfilled');
    assert.deepEqual(incompleteSurvivorsBlock(pi, 20, cur, () => true), []);
    assert.deepEqual(incompleteSurvivorsBlock(pi, 28, cur, (o) => o !== 3), [], 'before last_epoch_started');
  });

  it('probes the current up and acting sets and the up members of maybe-rw intervals', () => {
    const pi = emptyPastIntervals();
    addInterval(pi, 2, 4, [3, 4], true);
    addInterval(pi, 5, 6, [5, 6], false);
    const prior = buildPriorSet(pi, 0, view({ epoch: 7, up: [0, 1], upOsds: [0, 1, 3, 5, 6] }), 0);
    assert.deepEqual(prior.probe, [0, 1, 3]);
    assert.deepEqual(prior.down, [4]);
    assert.equal(prior.pgDown, false);
  });

  it('is down when every member of a maybe-rw interval is down; lost members and old intervals do not count', () => {
    const pi = emptyPastIntervals();
    addInterval(pi, 2, 4, [3, 4], true);
    const cur = { epoch: 7, up: [0, 1], upOsds: [0, 1] };
    const prior = buildPriorSet(pi, 0, view(cur), 0);
    assert.ok(prior.pgDown);
    assert.deepEqual(prior.blockedBy, [3, 4]);
    assert.equal(buildPriorSet(pi, 5, view(cur), 0).pgDown, false, 'the interval ended before last_epoch_started');
    assert.equal(buildPriorSet(pi, 0, view({ ...cur, lost: { 3: 6, 4: 6 } }), 0).pgDown, false, 'both marked lost after it');
    assert.ok(buildPriorSet(pi, 0, view({ ...cur, lost: { 3: 1, 4: 1 } }), 0).pgDown, 'lost before the interval: it was back in it');
  });

  it('is affected when a probe target goes down, a down member comes up or is marked lost', () => {
    const pi = emptyPastIntervals();
    addInterval(pi, 2, 4, [3, 4], true);
    const prior = buildPriorSet(pi, 0, view({ epoch: 7, up: [0, 1], upOsds: [0, 1, 3] }), 0);
    assert.equal(priorSetAffected(prior, view({ epoch: 8, up: [0, 1], upOsds: [0, 1, 3] }), 0), false);
    assert.ok(priorSetAffected(prior, view({ epoch: 8, up: [0, 1], upOsds: [0, 1] }), 0), 'osd.3 went down');
    assert.ok(priorSetAffected(prior, view({ epoch: 8, up: [0, 1], upOsds: [0, 1, 3, 4] }), 0), 'osd.4 came up');
    assert.ok(priorSetAffected(prior, view({ epoch: 8, up: [0, 1], upOsds: [0, 1, 3], lost: { 4: 8 } }), 0), 'osd.4 lost');
  });
});
