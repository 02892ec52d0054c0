// Proves MOSDPGCreated end to end in the monitor services (Ceph's prepare_pg_created / update_pending_pgs): its wire layout, PGs reported created leave the creates, the last one clears the pool's `creating` flag in an incremental (last_change moves to that epoch, as Ceph's apply_incremental does), repeats and reports from down OSDs change nothing, a peon forwards, and the state survives in the store (a fresh services instance over it agrees).
import { strict as assert } from 'node:assert';
import { decodeIncremental, POOL_FLAG_CREATING } from '../../common/osdmap/index.js';
import { createMonServices } from '../../mon/core/services/monservices.js';
import { decodeMessage } from '../../msg/message.js';
import { MOSDPGCreated } from '../../msg/index.js';
import { ServicesHarness, twoHostCluster } from './services-support.js';

/** Three OSDs on two hosts, all up, and a pool of 8 PGs. */
function cluster(): { h: ServicesHarness; pool: number } {
  const h = twoHostCluster();
  for (let i = 0; i < 3; i++) h.bootOsd(i);
  const m = h.osdmap();
  return { h, pool: [...m.poolName].find(([, n]) => n === 'rbd')![0] };
}

function allCreates(h: ServicesHarness): number[] {
  return [0, 1, 2].flatMap((i) => h.services.osdPgCreates(i, 5000).map((c) => c.seed)).sort((a, b) => a - b);
}

describe('mon: MOSDPGCreated', () => {
  it('encodes as Ceph 16: paxos header then pg_t, version 1, compat 0, and reads back', () => {
    const m = new MOSDPGCreated({ pool: 3, seed: 0x1f });
    const raw = m.toRaw(0n);
    assert.equal(raw.header.type, 116);
    assert.equal(raw.header.version, 1);
    assert.equal(raw.header.compatVersion, 0);
    const front = Buffer.concat(raw.front);
    // version u64, deprecated_session_mon s16 (-1), deprecated_session_mon_tid u64, then pg_t (v1, pool, seed, preferred -1).
    assert.equal(front.toString('hex'), '0000000000000000' + 'ffff' + '0000000000000000' + '01' + '0300000000000000' + '1f000000' + 'ffffffff');
    const back = decodeMessage(raw, 0n);
    assert.ok(back instanceof MOSDPGCreated);
    assert.deepEqual(back.pgid, { pool: 3, seed: 0x1f });
    assert.equal(back.typeName(), 'pg_created');
  });

  it('created PGs leave the creates; the last one clears the pool\'s creating flag in a new epoch', () => {
    const { h, pool } = cluster();
    const before = h.osdmap().pools.get(pool)!;
    assert.ok(before.flags & POOL_FLAG_CREATING);
    assert.deepEqual(allCreates(h), [0, 1, 2, 3, 4, 5, 6, 7]);
    for (let seed = 0; seed < 7; seed++) {
      const o = h.services.handlePgCreated(0, { pool, seed }, h.ctx());
      assert.equal(o.kind, 'afterCommit', `seed ${seed}: ${JSON.stringify(o)}`);
    }
    const e0 = h.services.osdmapEpoch();
    assert.ok(h.propose(), 'the reports make an epoch');
    assert.equal(h.services.osdmapEpoch(), e0 + 1);
    assert.deepEqual(allCreates(h), [7], 'only the unreported PG is still asked for');
    assert.ok(h.osdmap().pools.get(pool)!.flags & POOL_FLAG_CREATING, 'not all created yet');
    // A repeat, a PG past pg_num, another pool: nothing to propose.
    assert.equal(h.services.handlePgCreated(1, { pool, seed: 3 }, h.ctx()).kind, 'reply');
    assert.equal(h.services.handlePgCreated(1, { pool, seed: 8 }, h.ctx()).kind, 'reply');
    assert.equal(h.services.handlePgCreated(1, { pool: pool + 7, seed: 0 }, h.ctx()).kind, 'reply');
    assert.equal(h.propose(), false);
    // The last one.
    assert.equal(h.services.handlePgCreated(2, { pool, seed: 7 }, h.ctx()).kind, 'afterCommit');
    assert.ok(h.propose());
    const inc = decodeIncremental(h.store.get('osdmap', String(h.services.osdmapEpoch()))!);
    const np = inc.newPools.get(pool);
    assert.ok(np, 'the incremental carries the pool');
    assert.equal(np.flags & POOL_FLAG_CREATING, 0);
    const after = h.osdmap().pools.get(pool)!;
    assert.equal(after.flags, before.flags & ~POOL_FLAG_CREATING);
    assert.equal(after.lastChange, h.services.osdmapEpoch(), 'a pool in new_pools changes in that epoch');
    assert.deepEqual(allCreates(h), []);
    // Once the pool is created, a report is ignored.
    assert.equal(h.services.handlePgCreated(0, { pool, seed: 0 }, h.ctx()).kind, 'reply');
    assert.equal(h.propose(), false);
  });

  it('a down OSD\'s report is ignored; a peon forwards', () => {
    const { h, pool } = cluster();
    assert.equal(h.services.handleOsdMarkMeDown(1, h.ctx()).kind, 'afterCommit');
    assert.ok(h.propose());
    assert.equal(h.services.handlePgCreated(1, { pool, seed: 0 }, h.ctx()).kind, 'reply');
    assert.equal(h.propose(), false);
    const peon = { ...h.ctx(), rank: 1, isLeader: false };
    assert.equal(h.services.handlePgCreated(0, { pool, seed: 0 }, peon).kind, 'forward');
  });

  it('the created set is in the store: a fresh services instance (a peon, a new leader) asks for the same creates', () => {
    const { h, pool } = cluster();
    for (const seed of [1, 4, 6]) h.services.handlePgCreated(0, { pool, seed }, h.ctx());
    assert.ok(h.propose());
    const other = createMonServices();
    other.refresh(h.store, h.ctx());
    const creates = [0, 1, 2].flatMap((i) => other.osdPgCreates(i, 5000).map((c) => c.seed)).sort((a, b) => a - b);
    assert.deepEqual(creates, [0, 2, 3, 5, 7]);
    assert.deepEqual(allCreates(h), [0, 2, 3, 5, 7]);
    // The new instance, as leader, finishes the pool.
    for (const seed of [0, 2, 3, 5, 7]) assert.equal(other.handlePgCreated(2, { pool, seed }, h.ctx()).kind, 'afterCommit');
    const tx = other.encodePending(h.ctx());
    assert.ok(tx);
    h.commit(tx);
    assert.equal(h.osdmap().pools.get(pool)!.flags & POOL_FLAG_CREATING, 0);
    assert.deepEqual(allCreates(h), []);
  });
});
