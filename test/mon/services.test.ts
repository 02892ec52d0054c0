// Proves the services' Paxos semantics by driving MonServices directly over a MemMonStore with a fake clock: Ceph's store layout, every epoch's incremental decoding and applying to the same full map (crc checked), boot / failure grace and reporters / down->out, peon forwarding, trimming and subscriptions, mon add/remove, health checks, and Ceph's errno and texts for bad commands.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeMonMap } from '../../common/monmap/index.js';
import {
  CEPH_OSD_AUTOOUT,
  applyIncrementalChecked,
  decodeIncremental,
  decodeOSDMap,
  encodeOSDMap,
  osdmapCrc,
} from '../../common/osdmap/index.js';
import { decodeCrushMap, encodeCrushMap, CrushWrapper } from '../../crush/index.js';
import { pgToActingOsds } from '../../common/osdmap/index.js';
import type { CmdMap } from '../../mon/core/types.js';
import { ServicesHarness, TEST_OSD_FEATURES, testMonMap, testOsdAddrs, twoHostCluster } from './services-support.js';

describe('mon services: store layout and epochs', () => {
  it('create_initial writes epoch 1 of both maps under Ceph\'s keys', () => {
    const h = new ServicesHarness(testMonMap(['a', 'b', 'c']));
    const s = h.store;
    assert.equal(s.getNumber('osdmap', 'first_committed'), 1);
    assert.equal(s.getNumber('osdmap', 'last_committed'), 1);
    assert.equal(s.getNumber('osdmap', 'full_latest'), 1);
    const inc = decodeIncremental(s.get('osdmap', '1')!);
    assert.ok(inc.fullmap, 'epoch 1 carries the full map');
    assert.equal(osdmapCrc(s.get('osdmap', 'full_1')!), inc.fullCrc);
    const m = decodeOSDMap(s.get('osdmap', 'full_1')!);
    assert.equal(m.epoch, 1);
    assert.equal(m.fsid, '5f1c8e34-5b0a-4a2a-9d2c-6a1e7e4b2c01');
    assert.ok(m.crush.ruleExists('replicated_rule'));
    assert.equal(s.getNumber('monmap', 'last_committed'), 1);
    const mm = decodeMonMap(s.get('monmap', '1')!);
    assert.equal(mm.epoch, 1);
    assert.deepEqual(mm.ranks, ['a', 'b', 'c']);
    assert.equal(h.services.monmapEpoch(), 1);
    assert.ok(h.services.encodedMonMap().equals(s.get('monmap', '1')!));
  });

  it('every epoch\'s incremental applied to the previous full map gives the stored full map (crc checked)', () => {
    const h = twoHostCluster();
    h.bootOsd(0);
    h.bootOsd(1);
    h.command({ prefix: 'osd pool set', pool: 'rbd', var: 'size', val: '2' });
    h.command({ prefix: 'osd out', ids: ['1'] });
    const last = h.services.osdmapEpoch();
    assert.ok(last >= 14, `epoch ${last}`);
    for (let e = 2; e <= last; e++) {
      const prev = h.store.get('osdmap', `full_${e - 1}`)!;
      const inc = decodeIncremental(h.store.get('osdmap', String(e))!);
      assert.equal(inc.epoch, e);
      const r = applyIncrementalChecked(prev, inc);
      assert.ok(r.crcMatches, `epoch ${e} crc`);
      assert.ok(r.encoded.equals(h.store.get('osdmap', `full_${e}`)!), `epoch ${e} bytes`);
    }
  });

  it('a command that changes nothing proposes nothing; one that fails leaves no pending change', () => {
    const h = twoHostCluster();
    const e = h.services.osdmapEpoch();
    assert.equal(h.command({ prefix: 'osd pool create', pool: 'rbd', pg_num: 8 }).rs, "pool 'rbd' already exists");
    assert.equal(h.command({ prefix: 'osd pool set', pool: 'rbd', var: 'size', val: '99' }).r, -22);
    assert.equal(h.services.encodePending(h.ctx()), null);
    assert.equal(h.services.osdmapEpoch(), e);
  });
});

describe('mon services: OSD lifecycle', () => {
  it('boot marks an OSD up with its addresses, up_from and features; a NEW osd stays in', () => {
    const h = twoHostCluster();
    h.bootOsd(0);
    const m = h.osdmap();
    assert.ok(m.isUp(0));
    assert.equal(m.osdInfo[0]!.upFrom, m.epoch);
    assert.equal(m.clientAddrs[0]!.length, 1);
    assert.equal(m.osdXinfo[0]!.features, TEST_OSD_FEATURES);
    assert.ok(m.isIn(0));
    assert.match(h.command({ prefix: 'osd stat' }).out.toString(), /^3 osds: 1 up \(since 0s\), 3 in \(since \d+s\); epoch: e\d+\n$/);
    // The same boot again changes nothing.
    const again = h.services.handleOsdBoot(0, testOsdAddrs(6800), 0, 0n, h.ctx());
    assert.equal(again.kind, 'reply');
  });

  it('an OSD restarted while marked up goes down in one epoch and comes up at its new address in a later one', () => {
    // Ceph's prepare_boot: the old instance's down is its own epoch, so every PG sees a new interval;
    // the new instance's boot is held (and a repeat of it too) until that map is committed.
    const h = twoHostCluster();
    h.bootOsd(0);
    const upEpoch = h.services.osdmapEpoch();
    assert.equal(h.services.handleOsdBoot(0, testOsdAddrs(7000), 0, TEST_OSD_FEATURES, h.ctx()).kind, 'afterCommit');
    assert.equal(h.services.handleOsdBoot(0, testOsdAddrs(7000), 0, TEST_OSD_FEATURES, h.ctx()).kind, 'reply');
    assert.ok(h.propose());
    const down = h.osdmap();
    assert.equal(down.epoch, upEpoch + 1);
    assert.ok(!down.isUp(0), 'the old instance is down in an epoch of its own');
    h.tick();
    assert.ok(h.propose(), 'the held boot is taken on the next tick');
    const up = h.osdmap();
    assert.equal(up.epoch, upEpoch + 2);
    assert.ok(up.isUp(0));
    assert.equal(up.osdInfo[0]!.upFrom, up.epoch);
    assert.deepEqual(up.clientAddrs[0], testOsdAddrs(7000).public);
  });

  it('boot and mark-me-down incrementals carry the fields a real Ceph 16 monitor writes', () => {
    // Seen in a real ceph-mon's store for a new OSD's first boot and its SIGTERM shutdown: boot sets
    // the four address vectors, weight IN (the OSD was NEW), xinfo with the features and
    // last_up_change, and no state bits; mark-me-down toggles UP, sets dead_epoch and last_up_change.
    const h = twoHostCluster();
    h.bootOsd(0);
    const e = h.services.osdmapEpoch();
    const inc = decodeIncremental(h.store.get('osdmap', String(e))!);
    assert.deepEqual([...inc.newUpClient.keys()], [0]);
    assert.deepEqual([...inc.newUpCluster.keys()], [0]);
    assert.deepEqual([...inc.newHbBackUp.keys()], [0]);
    assert.deepEqual([...inc.newHbFrontUp.keys()], [0]);
    assert.deepEqual([...inc.newWeight], [[0, 0x10000]]);
    assert.equal(inc.newState.size, 0);
    assert.equal(inc.newXinfo.get(0)!.features, TEST_OSD_FEATURES);
    assert.deepEqual(inc.newLastUpChange, inc.modified);
    assert.equal(inc.newLastInChange.sec, 0, 'a NEW osd was in already: no in change');
    assert.equal(h.services.handleOsdMarkMeDown(0, h.ctx()).kind, 'afterCommit');
    assert.ok(h.propose());
    const down = decodeIncremental(h.store.get('osdmap', String(e + 1))!);
    assert.deepEqual([...down.newState], [[0, 2]]);
    assert.equal(down.newXinfo.get(0)!.deadEpoch, e);
    assert.deepEqual(down.newLastUpChange, down.modified);
    assert.equal(down.newWeight.size, 0);
  });

  it('failure reports: down only after osd_heartbeat_grace and from reporters in 2 distinct hosts', () => {
    const h = twoHostCluster();
    for (let i = 0; i < 3; i++) h.bootOsd(i);
    const ctx = () => h.ctx();
    // osd.1 and osd.2 share host1: one subtree, not enough.
    h.services.handleOsdFailure(0, 1, 30_000, true, ctx());
    h.services.handleOsdFailure(0, 2, 30_000, true, ctx());
    h.services.tick(ctx());
    assert.equal(h.services.encodePending(ctx()), null, 'two reporters from one host do not mark down');
    // osd.1 fails; reported by osd.0 (host0) and osd.2 (host1) but only 5 s so far.
    h.services.handleOsdFailure(1, 0, 5_000, true, ctx());
    h.services.handleOsdFailure(1, 2, 5_000, true, ctx());
    h.services.tick(ctx());
    assert.equal(h.services.encodePending(ctx()), null, 'grace not reached');
    h.advance(14_999);
    h.services.tick(ctx());
    assert.equal(h.services.encodePending(ctx()), null, 'one ms before the grace');
    h.advance(1);
    h.services.tick(ctx());
    assert.ok(h.propose(), 'marked down once the grace passed');
    const m = h.osdmap();
    assert.ok(!m.isUp(1));
    assert.equal(m.osdInfo[1]!.downAt, m.epoch);
    assert.ok(m.isUp(0) && m.isUp(2));
  });

  it('an immediate report (connection refused) marks down at once, with dead_epoch, as a real monitor does', () => {
    const h = twoHostCluster();
    for (let i = 0; i < 3; i++) h.bootOsd(i);
    const e = h.services.osdmapEpoch();
    h.services.handleOsdFailure(2, 0, 0, true, h.ctx(), true);
    assert.ok(h.propose());
    const inc = decodeIncremental(h.store.get('osdmap', String(e + 1))!);
    assert.deepEqual([...inc.newState], [[2, 2]]);
    assert.equal(inc.newXinfo.get(2)!.deadEpoch, e + 1);
    assert.deepEqual(inc.newLastUpChange, inc.modified);
    // With nodown set, nothing happens.
    h.command({ prefix: 'osd set', key: 'nodown' });
    h.services.handleOsdFailure(1, 0, 0, true, h.ctx(), true);
    assert.equal(h.services.encodePending(h.ctx()), null);
  });

  it('a cancelled report does not count', () => {
    const h = twoHostCluster();
    for (let i = 0; i < 3; i++) h.bootOsd(i);
    h.services.handleOsdFailure(1, 0, 30_000, true, h.ctx());
    h.services.handleOsdFailure(1, 0, 30_000, false, h.ctx());
    h.services.handleOsdFailure(1, 2, 30_000, true, h.ctx());
    h.services.tick(h.ctx());
    assert.equal(h.services.encodePending(h.ctx()), null);
  });

  it('down -> out after mon_osd_down_out_interval, marked AUTOOUT, and back in when it boots', () => {
    const h = twoHostCluster();
    for (let i = 0; i < 3; i++) h.bootOsd(i);
    const o = h.services.handleOsdMarkMeDown(2, h.ctx());
    assert.equal(o.kind, 'afterCommit');
    assert.ok(h.propose());
    assert.ok(!h.osdmap().isUp(2));
    h.advance(599_999);
    h.tick();
    assert.equal(h.services.encodePending(h.ctx()), null, 'not yet');
    h.advance(1);
    h.tick();
    assert.ok(h.propose());
    let m = h.osdmap();
    assert.ok(m.isOut(2));
    assert.ok(m.getState(2) & CEPH_OSD_AUTOOUT);
    assert.equal(m.osdXinfo[2]!.oldWeight, 0x10000);
    h.bootOsd(2);
    m = h.osdmap();
    assert.ok(m.isUp(2) && m.isIn(2));
    assert.equal(m.getState(2) & CEPH_OSD_AUTOOUT, 0);
  });

  it('down -> out stops at mon_osd_min_in_ratio (0.75) and skips a whole rack that is down', () => {
    const h = twoHostCluster();
    // Never booted: down and in from the start, so the clock runs for all three (as in Ceph).
    h.advance(600_000);
    h.tick();
    assert.ok(h.propose());
    let m = h.osdmap();
    assert.deepEqual([0, 1, 2].map((o) => m.isOut(o)), [true, false, false], 'then 2/3 in is below 0.75');
    h.advance(600_000);
    h.tick();
    assert.equal(h.services.encodePending(h.ctx()), null);

    const r = twoHostCluster();
    for (let i = 0; i < 3; i++) r.bootOsd(i);
    r.command({ prefix: 'osd crush add-bucket', name: 'rack1', type: 'rack', args: ['root=default'] });
    r.command({ prefix: 'osd crush move', name: 'host1', args: ['rack=rack1'] });
    r.command({ prefix: 'osd down', ids: ['1'] });
    r.command({ prefix: 'osd down', ids: ['2'] });
    r.advance(600_000);
    r.tick();
    assert.equal(r.services.encodePending(r.ctx()), null, 'rack1 is entirely down: nothing marked out');
    r.command({ prefix: 'osd crush move', name: 'host1', args: ['root=default'] });
    r.advance(599_999);
    r.tick();
    assert.equal(r.services.encodePending(r.ctx()), null, 'the timer restarted while the rack was down');
    r.advance(1);
    r.tick();
    assert.ok(r.propose());
    m = r.osdmap();
    assert.ok(m.isOut(1) && m.isIn(2), 'one out, then 2/3 in stops the next');
  });

  it('noout keeps a down OSD in; osd in / out / down by command', () => {
    const h = twoHostCluster();
    for (let i = 0; i < 3; i++) h.bootOsd(i);
    h.command({ prefix: 'osd set', key: 'noout' });
    assert.equal(h.command({ prefix: 'osd down', ids: ['1'] }).rs, 'marked down osd.1. ');
    h.advance(700_000);
    h.tick();
    assert.equal(h.services.encodePending(h.ctx()), null);
    assert.equal(h.command({ prefix: 'osd out', ids: ['1'] }).rs, 'marked out osd.1. ');
    assert.ok(h.osdmap().isOut(1));
    assert.equal(h.osdmap().getState(1) & CEPH_OSD_AUTOOUT, 0, 'out by command is not AUTOOUT');
    assert.equal(h.command({ prefix: 'osd in', ids: ['1'] }).rs, 'marked in osd.1. ');
    assert.ok(h.osdmap().isIn(1));
    assert.equal(h.command({ prefix: 'osd in', ids: ['1', '9'] }).rs, 'osd.1 is already in. osd.9 does not exist. ');
  });
});

describe('mon services: peons, trimming, subscriptions', () => {
  it('a peon answers reads and forwards writes', () => {
    const h = twoHostCluster();
    const peon = { ...h.ctx(), rank: 1, isLeader: false };
    assert.equal(h.services.handleCommand({ prefix: 'osd pool create', pool: 'x' }, Buffer.alloc(0), peon).kind, 'forward');
    assert.equal(h.services.handleCommand({ prefix: 'mon add', name: 'd', addr: '127.0.0.1:3300' }, Buffer.alloc(0), peon).kind, 'forward');
    assert.equal(h.services.handleOsdBoot(0, testOsdAddrs(6800), 0, 0n, peon).kind, 'forward');
    const r = h.services.handleCommand({ prefix: 'osd ls' }, Buffer.alloc(0), peon);
    assert.equal(r.kind, 'reply');
  });

  it('PG creates: every PG of a creating pool goes to its acting primary, none to a down OSD', () => {
    const h = twoHostCluster();
    assert.deepEqual([0, 1, 2].map((i) => h.services.osdPgCreates(i, 5000).length), [0, 0, 0], 'no OSD up: no primaries');
    for (let i = 0; i < 3; i++) h.bootOsd(i);
    const m = h.osdmap();
    const poolId = [...m.poolName].find(([, n]) => n === 'rbd')![0];
    const creates = [0, 1, 2].flatMap((i) => h.services.osdPgCreates(i, 5000).map((c) => ({ ...c, osd: i })));
    assert.deepEqual(creates.map((c) => c.seed).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5, 6, 7]);
    for (const c of creates) {
      assert.equal(c.pool, poolId);
      assert.equal(c.created, m.pools.get(poolId)!.lastChange);
      assert.equal(c.createdStampMs, 5000);
      assert.equal(pgToActingOsds(m, { pool: c.pool, seed: c.seed }).actingPrimary, c.osd, `pg ${c.pool}.${c.seed}`);
    }
  });

  it('keeps minOsdmapEpochs epochs; subscribers get incrementals, after the oldest kept full map when they are older', () => {
    const h = twoHostCluster({ minOsdmapEpochs: 5 });
    for (let i = 0; i < 3; i++) h.bootOsd(i);
    const last = h.services.osdmapEpoch();
    assert.equal(h.store.getNumber('osdmap', 'first_committed'), last - 4);
    assert.equal(h.store.get('osdmap', String(last - 5)), undefined);
    assert.equal(h.store.get('osdmap', `full_${last - 5}`), undefined);
    assert.ok(h.store.get('osdmap', `full_${last - 4}`));
    const recent = h.services.osdmapUpdatesFor(last - 3, 100);
    assert.deepEqual([...recent.incrementalMaps.keys()], [last - 2, last - 1, last]);
    assert.equal(recent.maps.size, 0);
    assert.equal(recent.oldest, last - 4);
    assert.equal(recent.newest, last);
    const limited = h.services.osdmapUpdatesFor(last - 3, 2);
    assert.deepEqual([...limited.incrementalMaps.keys()], [last - 2, last - 1]);
    const old = h.services.osdmapUpdatesFor(1, 100);
    assert.deepEqual([...old.maps.keys()], [last - 4]);
    assert.deepEqual([...old.incrementalMaps.keys()], [last - 3, last - 2, last - 1, last]);
    assert.deepEqual([...h.services.osdmapLatestFull().maps.keys()], [last]);
    assert.equal(h.services.osdmapUpdatesFor(last, 100).maps.size, 0);
    assert.equal(h.command({ prefix: 'osd getmap', epoch: 2 }).r, -2);
  });

  it('changes made while a proposal is in flight build on it and go out in the next one', () => {
    const h = twoHostCluster();
    const ctx = h.ctx();
    const first = h.services.handleCommand({ prefix: 'osd create' }, Buffer.alloc(0), ctx);
    assert.equal(first.kind === 'afterCommit' && first.reply.out.toString(), '3\n');
    const tx1 = h.services.encodePending(ctx);
    assert.ok(tx1);
    // Not committed yet: the next osd create must not hand out id 3 again.
    const second = h.services.handleCommand({ prefix: 'osd create' }, Buffer.alloc(0), ctx);
    assert.equal(second.kind === 'afterCommit' && second.reply.out.toString(), '4\n');
    const mon = h.services.handleCommand({ prefix: 'mon add', name: 'b', addr: 'v2:127.0.0.1:17201' }, Buffer.alloc(0), ctx);
    assert.equal(mon.kind, 'afterCommit');
    assert.equal(h.services.encodePending(ctx), null, 'one proposal at a time');
    h.commit(tx1);
    const tx2 = h.services.encodePending(ctx);
    assert.ok(tx2, 'the second osd create and the mon add');
    h.commit(tx2);
    assert.equal(h.services.encodePending(ctx), null);
    const m = h.osdmap();
    assert.ok(m.exists(3) && m.exists(4));
    assert.equal(h.services.monmapEpoch(), 2);
  });

  it('osd down then osd rm in one pending change removes the OSD', () => {
    const h = twoHostCluster();
    for (let i = 0; i < 3; i++) h.bootOsd(i);
    const ctx = h.ctx();
    h.services.handleCommand({ prefix: 'osd create' }, Buffer.alloc(0), ctx);
    const tx1 = h.services.encodePending(ctx)!;
    assert.equal(h.services.handleCommand({ prefix: 'osd down', ids: ['1'] }, Buffer.alloc(0), ctx).kind, 'afterCommit');
    const rm = h.services.handleCommand({ prefix: 'osd rm', ids: ['1'] }, Buffer.alloc(0), ctx);
    assert.equal(rm.kind === 'afterCommit' && rm.reply.rs, 'removed osd.1');
    h.commit(tx1);
    h.commit(h.services.encodePending(ctx)!);
    const m = h.osdmap();
    assert.ok(!m.exists(1));
    assert.equal(m.getState(1), 0);
    assert.ok(m.isUp(0) && m.isUp(2));
  });

  it('a new election drops pending changes and a proposal that never committed', () => {
    const h = twoHostCluster();
    const e = h.services.osdmapEpoch();
    h.services.handleCommand({ prefix: 'osd pool create', pool: 'lost', pg_num: 8 }, Buffer.alloc(0), h.ctx());
    assert.ok(h.services.encodePending(h.ctx()), 'proposed, then the leader loses its quorum');
    h.services.handleCommand({ prefix: 'osd pool create', pool: 'lost2', pg_num: 8 }, Buffer.alloc(0), h.ctx());
    h.electionEpoch += 2;
    assert.equal(h.services.encodePending(h.ctx()), null);
    assert.equal(h.services.osdmapEpoch(), e);
    const r = h.command({ prefix: 'osd pool create', pool: 'again', pg_num: 8 });
    assert.equal(r.rs, "pool 'again' created");
    const m = h.osdmap();
    assert.equal(m.epoch, e + 1);
    assert.equal(m.lookupPoolName('lost'), -2);
    assert.equal(m.lookupPoolName('lost2'), -2);
  });

  it('a restarted monitor reloads the same committed state from the store', () => {
    const h = twoHostCluster();
    h.bootOsd(0);
    const again = new ServicesHarness(testMonMap(['a']));
    again.services.refresh(h.store, h.ctx());
    assert.equal(again.services.osdmapEpoch(), h.services.osdmapEpoch());
    assert.ok(encodeOSDMap(again.osdmap()).equals(encodeOSDMap(h.osdmap())));
  });
});

describe('mon services: crush and pools', () => {
  it('getcrushmap / setcrushmap round trip bumps crush_version; garbage is EINVAL', () => {
    const h = twoHostCluster();
    const got = h.command({ prefix: 'osd getcrushmap' });
    const v = Number(got.rs);
    const cw = CrushWrapper.from(decodeCrushMap(got.out));
    cw.addSimpleRule('r2', 'default', 'osd', '', 'firstn');
    const set = h.command({ prefix: 'osd setcrushmap' }, encodeCrushMap(cw));
    assert.equal(set.r, 0);
    assert.equal(set.rs, String(v + 1));
    assert.equal(h.osdmap().crushVersion, v + 1);
    assert.ok(h.osdmap().crush.ruleExists('r2'));
    const bad = h.command({ prefix: 'osd setcrushmap' }, Buffer.from('nonsense'));
    assert.equal(bad.r, -22);
    assert.match(bad.rs, /^Failed to parse crushmap: /);
  });

  it('setcrushmap refuses a map without a pool\'s rule, with a rule the pool does not fit, or with devices past max_osd', () => {
    const h = twoHostCluster();
    const cw = CrushWrapper.from(decodeCrushMap(h.command({ prefix: 'osd getcrushmap' }).out));
    cw.removeRule(0);
    const r = h.command({ prefix: 'osd setcrushmap' }, encodeCrushMap(cw));
    assert.equal(r.r, -22);
    assert.match(r.rs, /pool 1 references crush_rule 0/);
    const small = CrushWrapper.from(decodeCrushMap(h.command({ prefix: 'osd getcrushmap' }).out));
    small.getRule(0)!.mask.maxSize = 2;
    const r2 = h.command({ prefix: 'osd setcrushmap' }, encodeCrushMap(small));
    assert.deepEqual([r2.r, r2.rs], [-22, 'pool 1 size 3 does not fall within rule 0 min_size 1 and max_size 2']);
    const big = CrushWrapper.from(decodeCrushMap(h.command({ prefix: 'osd getcrushmap' }).out));
    big.insertItem(7, 1, 'osd.7', new Map([['host', 'host0']]));
    const r3 = h.command({ prefix: 'osd setcrushmap' }, encodeCrushMap(big));
    assert.deepEqual([r3.r, r3.rs], [-34, 'crushmap max_devices 8 > osdmap max_osd 3']);
  });

  it('pool errors carry Ceph\'s errno and text', () => {
    const h = twoHostCluster();
    const cases: Array<[CmdMap, number, string | RegExp]> = [
      [{ prefix: 'osd pool set', pool: 'rbd', var: 'size', val: '11' }, -22, 'pool size must be between 1 and 10'],
      [{ prefix: 'osd pool set', pool: 'rbd', var: 'min_size', val: '4' }, -22, 'pool min_size must be between 1 and size, which is set to 3'],
      [{ prefix: 'osd pool set', pool: 'rbd', var: 'pgp_num', val: '9' }, -22, 'specified pgp_num 9 > pg_num 8'],
      [{ prefix: 'osd pool set', pool: 'rbd', var: 'crush_rule', val: 'nope' }, -2, 'crush rule nope does not exist'],
      [{ prefix: 'osd pool set', pool: 'rbd', var: 'bogus', val: '1' }, -22, "unrecognized variable 'bogus'"],
      [{ prefix: 'osd pool set', pool: 'nope', var: 'size', val: '2' }, -2, "unrecognized pool 'nope'"],
      [{ prefix: 'osd pool create', pool: 'big', pg_num: 4096 }, -34, /^ pg_num 4096 size 3 would mean 12312 total pgs, which exceeds max 750 \(mon_max_pg_per_osd 250 \* num_in_osds 3\)$/],
      [{ prefix: 'osd crush add', id: 7, weight: 1, args: ['host=host0'] }, -2, 'osd.7 does not exist. Create it before updating the crush map'],
      [{ prefix: 'osd crush reweight', name: 'osd.9', weight: 1 }, -2, "device 'osd.9' does not appear in the crush map"],
      [{ prefix: 'osd crush move', name: 'nohost', args: ['root=default'] }, -2, 'item nohost does not exist'],
      [{ prefix: 'osd crush add-bucket', name: 'r1', type: 'nosuchtype' }, -22, "type 'nosuchtype' does not exist"],
      [{ prefix: 'osd crush rm', name: 'host1' }, -39, '(39) Directory not empty'],
      [{ prefix: 'osd map', pool: 'nope', object: 'x' }, -2, 'pool nope does not exist'],
      [{ prefix: 'osd dump', epoch: 999 }, -2, 'there is no map for epoch 999'],
    ];
    for (const [cmd, r, rs] of cases) {
      const got = h.command(cmd);
      assert.equal(got.r, r, `${JSON.stringify(cmd)}: ${got.rs}`);
      if (typeof rs === 'string') assert.equal(got.rs, rs);
      else assert.match(got.rs, rs);
    }
  });

  it('pool create takes size, pgp_num, a rule by name and the autoscale mode', () => {
    const h = twoHostCluster();
    h.command({ prefix: 'osd crush rule create-replicated', name: 'byosd', root: 'default', type: 'osd' });
    const r = h.command({ prefix: 'osd pool create', pool: 'x', pg_num: 16, pgp_num: 8, pool_type: 'replicated', rule: 'byosd', size: 2, autoscale_mode: 'warn' });
    assert.equal(r.rs, "pool 'x' created");
    const m = h.osdmap();
    const p = m.pools.get(m.lookupPoolName('x'))!;
    assert.deepEqual([p.size, p.minSize, p.pgNum, p.pgpNum, p.crushRule, p.pgAutoscaleMode], [2, 1, 16, 8, 1, 1]);
    assert.equal(h.command({ prefix: 'osd pool create', pool: 'y', rule: 'nope' }).rs, "specified rule nope doesn't exist");
    assert.equal(h.command({ prefix: 'osd pool create', pool: 'z', pool_type: 'erasure' }).r, -22);
  });

  it('pg_num changes at once, with pgp_num, and placement follows', () => {
    const h = twoHostCluster();
    assert.equal(h.command({ prefix: 'osd pool set', pool: 'rbd', var: 'pg_num', val: '16' }).rs, 'set pool 1 pg_num to 16');
    const p = h.osdmap().pools.get(1)!;
    assert.equal(p.pgNum, 16);
    assert.equal(p.pgpNum, 16);
    assert.equal(p.pgNumMask, 15);
    assert.match(h.command({ prefix: 'osd map', pool: 'rbd', object: 'obj1' }).out.toString(), /\(1\.f\)/);
  });

  it('pool delete: refused by default, allowed with mon_allow_pool_delete', () => {
    const refused = twoHostCluster();
    assert.equal(refused.command({ prefix: 'osd pool delete', pool: 'rbd', pool2: 'rbd', yes_i_really_really_mean_it: true }).r, -1);
    const h = twoHostCluster({ allowPoolDelete: true });
    const r = h.command({ prefix: 'osd pool delete', pool: 'rbd', pool2: 'rbd', yes_i_really_really_mean_it: true });
    assert.deepEqual([r.r, r.rs], [0, "pool 'rbd' removed"]);
    assert.equal(h.osdmap().pools.size, 0);
    assert.equal(h.command({ prefix: 'osd pool delete', pool: 'rbd', pool2: 'rbd', yes_i_really_really_mean_it: true }).rs, "pool 'rbd' does not exist");
  });

  it('placement: with OSDs up, osd map names an up set from distinct hosts', () => {
    const h = twoHostCluster();
    for (let i = 0; i < 3; i++) h.bootOsd(i);
    h.command({ prefix: 'osd pool set', pool: 'rbd', var: 'size', val: '2' });
    const j = JSON.parse(h.command({ prefix: 'osd map', pool: 'rbd', object: 'obj1', format: 'json' }).out.toString()) as { up: number[]; acting: number[]; up_primary: number };
    assert.equal(j.up.length, 2);
    assert.ok(j.up.includes(0), 'host0 holds one copy');
    assert.deepEqual(j.acting, j.up);
    assert.equal(j.up_primary, j.up[0]);
  });
});

describe('mon services: monmap and health', () => {
  it('mon add / remove commit new monmap epochs', () => {
    const h = new ServicesHarness(testMonMap(['a']));
    const r = h.command({ prefix: 'mon add', name: 'b', addr: 'v2:127.0.0.1:17201' });
    assert.deepEqual([r.r, r.rs], [0, 'adding mon.b at v2:127.0.0.1:17201/0']);
    assert.equal(h.services.monmapEpoch(), 2);
    assert.deepEqual(decodeMonMap(h.services.encodedMonMap()).ranks, ['a', 'b']);
    assert.match(h.command({ prefix: 'mon dump' }).out.toString(), /^epoch 2\n[\s\S]*1: v2:127\.0\.0\.1:17201\/0 mon\.b\n$/);
    assert.equal(h.command({ prefix: 'mon add', name: 'b', addr: 'v2:127.0.0.1:17201' }).rs, 'mon.b at v2:127.0.0.1:17201/0 already exists');
    const rm = h.command({ prefix: 'mon remove', name: 'b' });
    assert.equal(rm.rs, 'removing mon.b at v2:127.0.0.1:17201/0, there will be 1 monitors');
    assert.equal(h.services.monmapEpoch(), 3);
    assert.equal(h.command({ prefix: 'mon remove', name: 'a' }).r, -22);
    assert.equal(h.command({ prefix: 'mon getmap', epoch: 2 }).rs, 'got monmap epoch 2');
  });

  it('MON_DOWN when a monitor is out of quorum, OSD_DOWN when a booted OSD is down', () => {
    const h = twoHostCluster();
    const h3 = new ServicesHarness(testMonMap(['a', 'b', 'c']));
    h3.quorumRanks = [0, 1];
    assert.equal(h3.command({ prefix: 'health' }).out.toString(), 'HEALTH_OK\n', 'within mon_down_mkfs_grace of creation');
    // as a real 3-monitor Ceph 16 cluster with mon.c stopped prints it
    h3.electionEpoch = 4;
    assert.equal(
      h3.command({ prefix: 'mon stat' }).out.toString(),
      'e1: 3 mons at {a=v2:127.0.0.1:17200/0,b=v2:127.0.0.1:17201/0,c=v2:127.0.0.1:17202/0} removed_ranks: {}, election epoch 4, leader 0 a, quorum 0,1 a,b\n',
    );
    h3.advance(60_001);
    const plain = h3.command({ prefix: 'health', detail: 'detail' }).out.toString();
    assert.equal(
      plain,
      'HEALTH_WARN 1/3 mons down, quorum a,b\n[WRN] MON_DOWN: 1/3 mons down, quorum a,b\n    mon.c (rank 2) addr v2:127.0.0.1:17202/0 is down (out of quorum)\n',
    );
    const j = JSON.parse(h3.command({ prefix: 'health', format: 'json' }).out.toString()) as { status: string; checks: Record<string, { summary: { count: number } }> };
    assert.equal(j.status, 'HEALTH_WARN');
    assert.equal(j.checks['MON_DOWN']!.summary.count, 1);
    assert.match(h3.command({ prefix: 'status' }).out.toString(), /mon: 3 daemons, quorum a,b \(age 60s\), out of quorum: c\n/);

    for (let i = 0; i < 3; i++) h.bootOsd(i);
    assert.equal(h.command({ prefix: 'health' }).out.toString(), 'HEALTH_OK\n');
    h.command({ prefix: 'osd down', ids: ['2'] });
    const detail = h.command({ prefix: 'health', detail: 'detail' }).out.toString();
    assert.match(detail, /^HEALTH_WARN 1 osds down\n\[WRN\] OSD_DOWN: 1 osds down\n    osd\.2 \(root=default,host=host1\) is down\n$/);
  });

  it('status shows the quorum age and OSD counts', () => {
    const h = twoHostCluster();
    h.bootOsd(0);
    h.advance(90_000);
    const out = h.command({ prefix: 'status' }).out.toString();
    assert.match(out, /mon: 1 daemons, quorum a \(age \d+s\)\n/);
    assert.match(out, /osd: 3 osds: 1 up \(since 90s\), 3 in \(since \d+s\)\n/);
    assert.match(out, /pools: {3}1 pools, 8 pgs\n/);
  });
});

describe('mon services: Ceph\'s tools read our maps', () => {
  let dir = '';
  before(function () {
    try {
      execFileSync('osdmaptool', ['--help'], { stdio: 'ignore' });
    } catch (e) {
      // osdmaptool --help exits 1 but exists; only a missing binary skips.
      if ((e as { code?: string }).code === 'ENOENT') this.skip();
    }
    dir = mkdtempSync(join(tmpdir(), 'mon-services-'));
  });
  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('osdmaptool prints `osd getmap` output; crushtool decompiles `osd getcrushmap` output', () => {
    const h = twoHostCluster();
    for (let i = 0; i < 3; i++) h.bootOsd(i);
    const map = join(dir, 'osdmap');
    writeFileSync(map, h.command({ prefix: 'osd getmap' }).out);
    const printed = execFileSync('osdmaptool', ['--print', map], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    assert.match(printed, new RegExp(`^epoch ${h.services.osdmapEpoch()}\\n`));
    assert.match(printed, /osd\.2 up {3}in {2}weight 1 up_from \d+ .* exists,up\n/);
    const crush = join(dir, 'crush');
    writeFileSync(crush, h.command({ prefix: 'osd getcrushmap' }).out);
    const text = execFileSync('crushtool', ['-d', crush], { encoding: 'utf8' });
    assert.match(text, /host host1 \{/);
    assert.match(text, /rule replicated_rule \{/);
  });
});
