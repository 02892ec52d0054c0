// Proves MOSDPGTemp handling in the monitor services as Ceph's OSDMonitor (preprocess_pgtemp / prepare_pgtemp / clean_temps): wire bytes -> classify -> pending incremental -> committed map whose acting set differs from up as placement computes; a clear; ignored requests (down sender, not the acting primary, gone pool or PG); up_thru raised; redundant entries dropped on proposal; a peon forwards (and the forward's flat encoding reads back); `osd dump` prints pg_temp lines as Ceph.
import { strict as assert } from 'node:assert';
import { decodeIncremental, pgToUpActingOsds, type PgId } from '../../common/osdmap/index.js';
import type { PgTempRequest } from '../../mon/core/types.js';
import { flattenPgTemp, parseForwardedPgTemp, PG_TEMP_FORWARD } from '../../mon/monitor.js';
import { classify, parseCmd } from '../../mon/wire.js';
import { decodeMessage } from '../../msg/message.js';
import { MOSDPGTemp } from '../../msg/index.js';
import { ServicesHarness, testMonMap, testOsdAddrs } from './services-support.js';

/** Three OSDs on three hosts, all up, and a pool of 8 PGs of size 3. */
function cluster(): { h: ServicesHarness; pool: number } {
  const h = new ServicesHarness(testMonMap(['a']), { allowPoolDelete: true });
  for (let i = 0; i < 3; i++) {
    h.command({ prefix: 'osd create' });
    h.command({ prefix: 'osd crush add-bucket', name: `host${i}`, type: 'host', args: ['root=default'] });
    h.command({ prefix: 'osd crush add', id: i, weight: 1, args: [`host=host${i}`] });
  }
  const r = h.command({ prefix: 'osd pool create', pool: 'rbd', pg_num: 8, size: 3 });
  assert.equal(r.r, 0, r.rs);
  for (let i = 0; i < 3; i++) h.bootOsd(i);
  const m = h.osdmap();
  return { h, pool: [...m.poolName].find(([, n]) => n === 'rbd')![0] };
}

function req(epoch: number, pgid: PgId, osds: number[], forced = false): PgTempRequest {
  return { mapEpoch: epoch, forced, pgTemp: [{ pgid, osds }] };
}

function lastInc(h: ServicesHarness) {
  return decodeIncremental(h.store.get('osdmap', String(h.services.osdmapEpoch()))!);
}

describe('mon: MOSDPGTemp', () => {
  it('from the wire to a committed pg_temp: acting differs from up as placement computes; the new acting primary clears it', () => {
    const { h, pool } = cluster();
    const pgid = { pool, seed: 5 };
    const before = pgToUpActingOsds(h.osdmap(), pgid);
    assert.equal(before.up.length, 3);
    const [a, b, c] = before.up as [number, number, number];
    // The up primary asks for [b, a, c] (b leads while a backfills), through the wire.
    const e0 = h.services.osdmapEpoch();
    const m = new MOSDPGTemp(e0);
    m.pgTemp = [{ pgid, osds: [b, a, c] }];
    const back = decodeMessage(m.toRaw(0n), 0n);
    const w = classify(back, testOsdAddrs(6800 + a * 10).public, a);
    assert.equal(w.kind, 'pgTemp');
    if (w.kind !== 'pgTemp') return;
    const o = h.services.handlePgTemp(a, testOsdAddrs(6800 + a * 10).public, w.req, h.ctx());
    assert.equal(o.kind, 'afterCommit', JSON.stringify(o));
    assert.ok(h.propose());
    assert.equal(h.services.osdmapEpoch(), e0 + 1);
    const inc = lastInc(h);
    assert.deepEqual(inc.newPgTemp.get(pool, 5), [b, a, c]);
    const after = pgToUpActingOsds(h.osdmap(), pgid);
    assert.deepEqual(after.up, before.up, 'up is CRUSH\'s');
    assert.equal(after.upPrimary, a);
    assert.deepEqual(after.acting, [b, a, c]);
    assert.equal(after.actingPrimary, b);
    // The same request again (say a resend): no change, answered at once.
    const again = h.services.handlePgTemp(a, null, req(e0 + 1, pgid, [b, a, c]), h.ctx());
    assert.equal(again.kind, 'reply');
    assert.equal(again.kind === 'reply' && again.reply.r, -116, 'a is no longer the acting primary: stale');
    const same = h.services.handlePgTemp(b, null, req(e0 + 1, pgid, [b, a, c]), h.ctx());
    assert.ok(same.kind === 'reply' && same.reply.r === 0, 'the acting primary asking for what the map has: the map back');
    assert.equal(h.propose(), false);
    // `osd dump` as Ceph prints it.
    const dump = h.command({ prefix: 'osd dump' }).out.toString();
    assert.match(dump, new RegExp(`\\npg_temp ${pool}\\.5 \\[${b},${a},${c}\\]\\n`));
    const json = JSON.parse(h.command({ prefix: 'osd dump', format: 'json' }).out.toString()) as { pg_temp: Array<{ pgid: string; osds: number[] }> };
    assert.deepEqual(json.pg_temp, [{ pgid: `${pool}.5`, osds: [b, a, c] }]);
    // The acting primary asks to clear it (backfill done): an empty list removes the mapping.
    const clr = h.services.handlePgTemp(b, null, req(e0 + 1, pgid, []), h.ctx());
    assert.equal(clr.kind, 'afterCommit');
    assert.ok(h.propose());
    assert.deepEqual(lastInc(h).newPgTemp.get(pool, 5), []);
    assert.equal(h.osdmap().pgTemp.size, 0);
    assert.deepEqual(pgToUpActingOsds(h.osdmap(), pgid).acting, before.up);
  });

  it('ignores a down or unknown sender, a wrong address, a non-primary, a gone pool or PG', () => {
    const { h, pool } = cluster();
    const e = h.services.osdmapEpoch();
    const m = h.osdmap();
    const up = pgToUpActingOsds(m, { pool, seed: 2 }).up;
    const primary = up[0]!;
    const other = up[1]!;
    const stale = (o: ReturnType<typeof h.services.handlePgTemp>): boolean => o.kind === 'reply' && o.reply.r < 0;
    assert.ok(stale(h.services.handlePgTemp(other, null, req(e, { pool, seed: 2 }, [other, primary]), h.ctx())), 'not the acting primary');
    assert.ok(stale(h.services.handlePgTemp(primary, testOsdAddrs(7900).public, req(e, { pool, seed: 2 }, [other, primary]), h.ctx())), 'not at its address');
    assert.ok(stale(h.services.handlePgTemp(9, null, req(e, { pool, seed: 2 }, [other, primary]), h.ctx())), 'no such OSD');
    assert.ok(stale(h.services.handlePgTemp(primary, null, req(e, { pool: pool + 5, seed: 0 }, [other]), h.ctx())), 'no such pool');
    assert.ok(stale(h.services.handlePgTemp(primary, null, req(e, { pool, seed: 8 }, [other]), h.ctx())), 'seed past pg_num');
    // Nothing to clear is no change (answered, not proposed).
    const none = h.services.handlePgTemp(primary, null, req(e, { pool, seed: 2 }, []), h.ctx());
    assert.ok(none.kind === 'reply' && none.reply.r === 0);
    assert.equal(h.propose(), false);
    // A down sender.
    assert.equal(h.services.handleOsdMarkMeDown(primary, h.ctx()).kind, 'afterCommit');
    assert.ok(h.propose());
    assert.ok(stale(h.services.handlePgTemp(primary, null, req(e, { pool, seed: 2 }, [other, primary]), h.ctx())));
    assert.equal(h.propose(), false);
  });

  it('raises the sender\'s up_thru to its epoch; a peon forwards; the forward\'s command reads back', () => {
    const { h, pool } = cluster();
    const e = h.services.osdmapEpoch();
    const m = h.osdmap();
    const pgid = { pool, seed: 1 };
    const up = pgToUpActingOsds(m, pgid).up;
    const upThru = m.osdInfo[up[0]!]!.upThru;
    assert.ok(upThru < e);
    const peon = { ...h.ctx(), rank: 1, isLeader: false };
    assert.equal(h.services.handlePgTemp(up[0]!, null, req(e, pgid, [up[1]!, up[0]!]), peon).kind, 'forward');
    assert.equal(h.services.handlePgTemp(up[0]!, null, req(e, pgid, [up[1]!, up[0]!]), h.ctx()).kind, 'afterCommit');
    assert.ok(h.propose());
    const inc = lastInc(h);
    assert.equal(inc.newUpThru.get(up[0]!), e);
    assert.equal(h.osdmap().osdInfo[up[0]!]!.upThru, e);
    // The forward's flat command carries the request whole.
    const r: PgTempRequest = { mapEpoch: 7, forced: true, pgTemp: [{ pgid: { pool: 1, seed: 3 }, osds: [2, 0] }, { pgid: { pool: 1, seed: 4 }, osds: [] }] };
    const cmd = parseCmd([JSON.stringify({ prefix: PG_TEMP_FORWARD, osd: 2, epoch: 7, forced: true, pg_temp: flattenPgTemp(r) })]);
    assert.deepEqual(parseForwardedPgTemp(cmd), r);
    assert.equal(parseForwardedPgTemp({ prefix: PG_TEMP_FORWARD, epoch: 1, pg_temp: [1, 2, 5, 0] }), null, 'truncated');
  });

  it('drops redundant entries on proposal: equal to up, oversized, all OSDs down, deleted pool', () => {
    const { h, pool } = cluster();
    const e = h.services.osdmapEpoch();
    const m = h.osdmap();
    const pgA = { pool, seed: 0 };
    const pgB = { pool, seed: 3 };
    const upA = pgToUpActingOsds(m, pgA).up;
    const upB = pgToUpActingOsds(m, pgB).up;
    // Equal to up from the start: never enters the map (taken out of the incremental).
    assert.equal(h.services.handlePgTemp(upA[0]!, null, req(e, pgA, [...upA], true), h.ctx()).kind, 'afterCommit');
    // Oversized (4 OSDs for a size 3 pool): likewise.
    assert.equal(h.services.handlePgTemp(upB[0]!, null, req(e, pgB, [...upB, upB[0]!]), h.ctx()).kind, 'afterCommit');
    assert.ok(h.propose());
    assert.equal(h.osdmap().pgTemp.size, 0);
    assert.equal(lastInc(h).newPgTemp.size, 0);
    // [a, b] for a size 3 PG whose up is [a, b, c]; shrinking the pool to 2 makes it equal to up: removed.
    const e2 = h.services.osdmapEpoch();
    assert.equal(h.services.handlePgTemp(upA[0]!, null, req(e2, pgA, [upA[0]!, upA[1]!]), h.ctx()).kind, 'afterCommit');
    assert.ok(h.propose());
    assert.deepEqual(h.osdmap().pgTemp.get(pool, 0), [upA[0]!, upA[1]!]);
    assert.equal(h.command({ prefix: 'osd pool set', pool: 'rbd', var: 'min_size', val: '1' }).r, 0);
    const rs = h.command({ prefix: 'osd pool set', pool: 'rbd', var: 'size', val: '2' });
    assert.equal(rs.r, 0, rs.rs);
    assert.deepEqual(pgToUpActingOsds(h.osdmap(), pgA).up, [upA[0]!, upA[1]!]);
    assert.deepEqual(lastInc(h).newPgTemp.get(pool, 0), [], 'removed in the same epoch');
    assert.equal(h.osdmap().pgTemp.size, 0);
    // A pg_temp whose OSDs all go down is removed.
    const e3 = h.services.osdmapEpoch();
    const upB2 = pgToUpActingOsds(h.osdmap(), pgB).up;
    const tmp = [upB2[1]!];
    assert.equal(h.services.handlePgTemp(upB2[0]!, null, req(e3, pgB, tmp), h.ctx()).kind, 'afterCommit');
    assert.ok(h.propose());
    assert.deepEqual(h.osdmap().pgTemp.get(pool, 3), tmp);
    assert.equal(h.services.handleOsdMarkMeDown(upB2[1]!, h.ctx()).kind, 'afterCommit');
    assert.ok(h.propose());
    assert.equal(h.osdmap().pgTemp.size, 0);
    // A pg_temp of a pool being deleted goes with it.
    const e4 = h.services.osdmapEpoch();
    const seedC = [0, 1, 2, 3, 4, 5, 6, 7].find((seed) => pgToUpActingOsds(h.osdmap(), { pool, seed }).up.length === 2)!;
    const pgC = { pool, seed: seedC };
    const ua = pgToUpActingOsds(h.osdmap(), pgC);
    assert.equal(h.services.handlePgTemp(ua.actingPrimary, null, req(e4, pgC, [...ua.up].reverse()), h.ctx()).kind, 'afterCommit');
    assert.ok(h.propose());
    assert.equal(ua.up.length, 2);
    assert.equal(h.osdmap().pgTemp.size, 1);
    const del = h.command({ prefix: 'osd pool rm', pool: 'rbd', pool2: 'rbd', yes_i_really_really_mean_it: true });
    assert.equal(del.r, 0, del.rs);
    assert.equal(h.osdmap().pools.has(pool), false);
    assert.equal(h.osdmap().pgTemp.size, 0, 'the deleted pool\'s pg_temp is removed in the same epoch');
    assert.equal(lastInc(h).newPgTemp.get(pool, seedC)?.length, 0);
  });
});
