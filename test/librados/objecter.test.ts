// Proves the Objecter's rules without a cluster: over a fake messenger and an osdmap built in memory,
// ops go to the acting primary's address from the map, replies match by tid and connection, a map
// that moves an op or a connection reset sends it again (same tid, next retryAttempt), the in-flight
// bound holds ops back, timeouts, deleted pools and OSD errors reject with Ceph's errno names, and IoCtx.listObjects pages a PG until result 1 or a max handle (not an empty page).
import { strict as assert } from 'node:assert';
import { makeEntityAddr } from '../../common/entityaddr.js';
import {
  CEPH_OSD_EXISTS, CEPH_OSD_UP, OSDMap, PlacementWork, UpActing, buildSimple, mapToPg, pgToActingPrimary, poolRawHashToPg, type EntityAddrVec,
} from '../../common/osdmap/index.js';
import { CephError } from '../../common/errors.js';
import {
  EntityAddrType, EntityType, MOSDOp, MOSDOpReply, OsdFlag, opRead, opWriteFull,
} from '../../msg/index.js';
import { FakeConn, FakeMessenger } from '../support/fake-messenger.js';
import { Objecter } from '../../librados/objecter.js';
import { IoCtx } from '../../librados/ioctx.js';
import { Encoder } from '../../common/encoding.js';
import { encodeHObject, emptyHObject, type HObject } from '../../msg/messages/osdop.js';

const addrOf = (osd: number, nonce: number): EntityAddrVec => [makeEntityAddr(EntityAddrType.MSGR2, '127.0.0.1', 6800 + osd, nonce)];

function makeMap(): OSDMap {
  const m = buildSimple({ epoch: 1, fsid: '11111111-2222-3333-4444-555555555555', numOsd: 4, defaultPool: true, pgBits: 3, pgpBits: 3, now: { sec: 0, nsec: 0 }, config: { osdCrushChooseleafType: 0 } });
  for (let i = 0; i < 4; i++) {
    m.osdState[i] = CEPH_OSD_EXISTS | CEPH_OSD_UP;
    m.osdWeight[i] = 0x10000;
    m.clientAddrs[i] = addrOf(i, 1000 + i);
  }
  return m;
}

function primaryOf(m: OSDMap, pool: number, oid: string): number {
  const seed = poolRawHashToPg(m.pools.get(pool)!, mapToPg(m, pool, oid, '', ''));
  return pgToActingPrimary(m, pool, seed, new PlacementWork(), new UpActing());
}

function reply(to: MOSDOp, result: number, outdata?: Buffer): MOSDOpReply {
  const r = MOSDOpReply.replyTo(to, result, 1);
  if (outdata) r.ops[0]!.outdata = outdata;
  return r;
}

/** pg_nls_response_t as an OSD encodes it. */
function nlsReply(handle: HObject, oids: Array<[string, string]>): Buffer {
  const e = new Encoder(64);
  e.startStruct(1, 1);
  encodeHObject(e, handle);
  e.u32(oids.length);
  for (const [ns, oid] of oids) e.string(ns).string(oid).string('');
  e.finishStruct();
  return e.toBuffer();
}

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));
const POOL = 1;

describe('Objecter', () => {
  let msgr: FakeMessenger;
  /** The ops the Objecter sent, with their connections. */
  const sentOps = (): Array<{ conn: FakeConn; m: MOSDOp }> => msgr.sent().map(({ conn, m }) => ({ conn, m: m as MOSDOp }));
  let map: OSDMap;
  let obj: Objecter;
  beforeEach(() => {
    msgr = new FakeMessenger({ peerType: EntityType.OSD, myName: { type: EntityType.CLIENT, num: 1 }, connected: true, refuseAfterDown: true });
    map = makeMap();
    obj = new Objecter(msgr, { resendDelayMs: 1, opTimeoutMs: 5000 });
    obj.handleMap(map);
  });
  afterEach(() => obj.shutdown());

  it('allowError resolves a failed reply with its result and rvals (what operate() reads); without it the errno rejects', async () => {
    const p = obj.submit({ pool: POOL, nspace: '', key: '', oid: 'obj-e' }, [opRead(0, 10)], { allowError: true });
    await tick();
    const [s] = sentOps();
    const r = reply(s!.m, -61);
    r.ops[0]!.rval = -61;
    r.userVersion = 7;
    obj.dispatch(s!.conn, r);
    const got = await p;
    assert.equal(got.reply.result, -61);
    assert.equal(got.ops[0]!.rval, -61);
    assert.equal(got.reply.userVersion, 7);
    assert.equal(got.osd, primaryOf(map, POOL, 'obj-e'));
    const q = obj.submit({ pool: POOL, nspace: '', key: '', oid: 'obj-e' }, [opRead(0, 10)]);
    await tick();
    const s2 = sentOps()[1]!;
    obj.dispatch(s2.conn, reply(s2.m, -(4095 + 3)));
    await assert.rejects(q, (e: unknown) => e instanceof CephError && e.code === 'ECANCELED' && /offset 3/.test(e.message));
  });

  it('sends to the acting primary at its map address and settles on the reply with the same tid', async () => {
    const p = obj.submit({ pool: POOL, nspace: '', key: '', oid: 'obj-a' }, [opRead(0, 10)]);
    await tick();
    const [s] = sentOps();
    const primary = primaryOf(map, POOL, 'obj-a');
    assert.deepEqual(s!.conn.peerAddrs, map.clientAddrs[primary]);
    assert.equal(s!.m.hobj.oid, 'obj-a');
    assert.equal(s!.m.hobj.hash, mapToPg(map, POOL, 'obj-a', '', '') >>> 0);
    assert.equal(s!.m.retryAttempt, 0);
    assert.equal(s!.m.flags & (OsdFlag.READ | OsdFlag.WRITE), OsdFlag.READ);
    assert.equal(s!.m.osdmapEpoch, map.epoch);
    assert.ok(primary >= 0);
    // A reply with another tid, or on another connection, settles nothing.
    const stray = reply(s!.m, 0);
    stray.header.tid = s!.m.header.tid + 100;
    obj.dispatch(s!.conn, stray);
    obj.dispatch(new FakeConn([], EntityType.OSD, true, false), reply(s!.m as MOSDOp, 0));
    assert.equal(obj.opsInFlight, 1);
    obj.dispatch(s!.conn, reply(s!.m, 0, Buffer.from('payload')));
    const r = await p;
    assert.deepEqual(r.ops[0]!.outdata, Buffer.from('payload'));
    assert.equal(obj.opsInFlight, 0);
  });

  it('an OSD error rejects with its errno name', async () => {
    const p = obj.submit({ pool: POOL, nspace: '', key: '', oid: 'missing' }, [opRead(0, 0)]);
    await tick();
    const [s] = sentOps();
    obj.dispatch(s!.conn, reply(s!.m, -2));
    await assert.rejects(p, (e: unknown) => e instanceof CephError && e.code === 'ENOENT' && e.errno === 2);
  });

  it('a map that marks the primary down resends to the new primary with the same tid', async () => {
    const p = obj.submit({ pool: POOL, nspace: '', key: '', oid: 'mover' }, [opWriteFull(Buffer.from('x'))]);
    await tick();
    const first = sentOps()[0]!;
    assert.equal(first.m.flags & (OsdFlag.READ | OsdFlag.WRITE | OsdFlag.ONDISK), OsdFlag.WRITE | OsdFlag.ONDISK);
    const old = primaryOf(map, POOL, 'mover');
    map.epoch++;
    map.osdState[old] = CEPH_OSD_EXISTS; // down
    obj.handleMap(map);
    const again = sentOps()[1]!;
    const now = primaryOf(map, POOL, 'mover');
    assert.notEqual(now, old);
    assert.deepEqual(again.conn.peerAddrs, map.clientAddrs[now]);
    assert.equal(again.m.header.tid, first.m.header.tid);
    assert.equal(again.m.retryAttempt, 1);
    assert.equal(again.m.osdmapEpoch, map.epoch);
    assert.ok(first.conn.down, 'the connection to the down OSD is closed');
    obj.dispatch(first.conn, reply(first.m, 0)); // the old OSD answers late: ignored
    assert.equal(obj.opsInFlight, 1);
    obj.dispatch(again.conn, reply(again.m, 0));
    await p;
    assert.equal(obj.resends, 1);
  });

  it('an op with no primary up waits for a map that brings one', async () => {
    for (let i = 0; i < 4; i++) map.osdState[i] = CEPH_OSD_EXISTS;
    map.epoch++;
    obj.handleMap(map);
    const p = obj.submit({ pool: POOL, nspace: '', key: '', oid: 'waiter' }, [opRead(0, 1)]);
    await tick(10);
    assert.equal(sentOps().length, 0);
    for (let i = 0; i < 4; i++) map.osdState[i] = CEPH_OSD_EXISTS | CEPH_OSD_UP;
    map.epoch++;
    obj.handleMap(map);
    const s = sentOps()[0]!;
    assert.equal(s.m.osdmapEpoch, map.epoch);
    obj.dispatch(s.conn, reply(s.m, 0));
    await p;
  });

  it('a new address for the same primary (it restarted) moves the op too', async () => {
    const p = obj.submit({ pool: POOL, nspace: '', key: '', oid: 'restart' }, [opRead(0, 1)]);
    await tick();
    const osd = primaryOf(map, POOL, 'restart');
    map.epoch++;
    map.clientAddrs[osd] = addrOf(osd, 9999);
    obj.handleMap(map);
    const again = sentOps()[1]!;
    assert.equal(again.conn.peerAddrs[0]!.nonce, 9999);
    obj.dispatch(again.conn, reply(again.m, 0));
    await p;
  });

  it('a connection reset resends its ops on a new connection', async () => {
    const p = obj.submit({ pool: POOL, nspace: '', key: '', oid: 'reset' }, [opRead(0, 1)]);
    await tick();
    const first = sentOps()[0]!;
    obj.handleReset(first.conn);
    await tick(20);
    const again = sentOps()[1]!;
    assert.notEqual(again.conn, first.conn);
    assert.equal(again.m.retryAttempt, 1);
    obj.dispatch(again.conn, reply(again.m, 0));
    await p;
  });

  it('holds ops beyond the in-flight bound until earlier ones finish', async () => {
    await obj.shutdown();
    obj = new Objecter(msgr, { opsInFlightMax: 2, opTimeoutMs: 5000 });
    obj.handleMap(map);
    const ps = ['b1', 'b2', 'b3'].map((oid) => obj.submit({ pool: POOL, nspace: '', key: '', oid }, [opRead(0, 1)]));
    await tick();
    assert.equal(sentOps().length, 2);
    const s0 = sentOps()[0]!;
    obj.dispatch(s0.conn, reply(s0.m, 0));
    await tick();
    assert.equal(sentOps().length, 3);
    for (const s of sentOps().slice(1)) obj.dispatch(s.conn, reply(s.m, 0));
    await Promise.all(ps);
  });

  it('times out with ETIMEDOUT and fails ops on a deleted pool with ENOENT', async () => {
    await assert.rejects(obj.submit({ pool: POOL, nspace: '', key: '', oid: 't' }, [opRead(0, 1)], { timeoutMs: 30 }),
      (e: unknown) => e instanceof CephError && e.code === 'ETIMEDOUT');
    const p = obj.submit({ pool: POOL, nspace: '', key: '', oid: 'gone' }, [opRead(0, 1)]);
    map.epoch++;
    map.pools.delete(POOL);
    obj.handleMap(map);
    await assert.rejects(p, (e: unknown) => e instanceof CephError && e.code === 'ENOENT');
    await assert.rejects(obj.submit({ pool: 77, nspace: '', key: '', oid: 'x' }, [opRead(0, 1)]), (e: unknown) => e instanceof CephError && e.code === 'ENOENT');
  });

  it('one sweeping timer serves every op\'s deadline, and stops once nothing is in flight', async () => {
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    await new Promise((r) => setImmediate(r)); // mocha arms its test timeout once the test returned its promise
    const before = timers();
    const sweep = new Objecter(msgr, { opTimeoutMs: 5000, opTimeoutTickMs: 10 });
    sweep.handleMap(map);
    try {
      const quick = Array.from({ length: 50 }, (_, i) => sweep.submit({ pool: POOL, nspace: '', key: '', oid: `q${i}` }, [opRead(0, 1)], { timeoutMs: 30 }));
      const slow = sweep.submit({ pool: POOL, nspace: '', key: '', oid: 'slow' }, [opRead(0, 1)], { timeoutMs: 0 });
      assert.equal(timers(), before + 1, '51 ops in flight, one timer');
      const t0 = performance.now();
      for (const q of quick) await assert.rejects(q, (e: unknown) => e instanceof CephError && e.code === 'ETIMEDOUT');
      const late = performance.now() - t0;
      assert.ok(late < 30 + 10 + 200, `timed out ${late.toFixed(0)} ms after submit: within a tick or so of the deadline`);
      // The op without a deadline still waits; answer it, and the sweep stops on its next tick.
      const s = sentOps().find((x) => x.m.hobj.oid === 'slow')!;
      sweep.dispatch(s.conn, reply(s.m, 0));
      await slow;
      await tick(30);
      await new Promise((r) => setImmediate(r)); // out of the timers phase (a running timer still counts)
      assert.equal(timers(), before, 'no timer left with nothing in flight');
    } finally {
      await sweep.shutdown();
    }
  });

  it('an IoCtx call whose reply does not decode rejects with the decoder\'s error', async () => {
    const io = new IoCtx(obj, POOL, 'rbd');
    const p = io.stat('short-stat');
    await tick();
    const [s] = sentOps();
    obj.dispatch(s!.conn, reply(s!.m, 0, Buffer.alloc(3)));
    await assert.rejects(p, (e: unknown) => e instanceof CephError);
    assert.equal(obj.opsInFlight, 0);
  });

  it('namespaces and locator keys change placement input, not the name sent', async () => {
    void obj.submit({ pool: POOL, nspace: 'ns1', key: 'lk', oid: 'named' }, [opRead(0, 1)]).catch(() => {});
    await tick();
    const s = sentOps()[0]!;
    assert.equal(s.m.hobj.oid, 'named');
    assert.equal(s.m.hobj.key, 'lk');
    assert.equal(s.m.hobj.nspace, 'ns1');
    assert.equal(s.m.hobj.hash, mapToPg(map, POOL, 'named', 'lk', 'ns1') >>> 0);
  });
  it('listObjects walks the pool in hobject order (PGs by bit-reversed seed, following each end handle), goes on past an empty page, and stops only on a max handle', async () => {
    const io = new IoCtx(obj, POOL, 'rbd');
    io.setNamespace('ns');
    const pgNum = map.pools.get(POOL)!.pgNum;
    const bits = Math.log2(pgNum);
    assert.ok(Number.isInteger(bits), 'the test map has a power-of-two pg_num');
    const rev = (v: number): number => {
      let r = 0;
      for (let i = 0; i < 32; i++) r = (r * 2) + ((v >>> i) & 1);
      return r >>> 0;
    };
    // pg_t::get_hobj_end: the next PG's start in bit-reversed hash order, max after the last.
    const hobjEnd = (seed: number): HObject => {
      const revEnd = (rev(seed) | (0xffffffff >>> bits)) + 1;
      return revEnd >= 2 ** 32 ? { ...emptyHObject(), max: true } : { ...emptyHObject(), pool: POOL, hash: rev(revEnd) };
    };
    const got: string[] = [];
    const order: number[] = [];
    let finished = false;
    const done = (async () => { for await (const e of io.listObjects({ pageEntries: 2 })) got.push(e.oid); finished = true; })();
    const at = (hash: number): HObject => ({ ...emptyHObject(), pool: POOL, hash, oid: `c${hash}` });
    const seen = new Set<MOSDOp>();
    let answered = 0;
    const lastSeed = pgNum - 1; // all ones: last in bit-reversed order
    for (let round = 0; round < 400 && !finished; round++) {
      await tick();
      for (const { conn, m } of sentOps()) {
        if (seen.has(m)) continue;
        seen.add(m);
        answered++;
        const seed = m.pgid.pgid.seed;
        assert.equal(m.pgid.pgid.pool, POOL);
        if (order[order.length - 1] !== seed) order.push(seed);
        // PG 0: an empty page (the OSD skipped another namespace's objects) with a cursor further on
        // inside PG 0, then a page with one object, then its end. The last PG: a max handle with result
        // 0. Other PGs: empty, result 1, their end handle.
        if (seed === 0 && answered === 1) obj.dispatch(conn, reply(m, 0, nlsReply(at(pgNum * 2), [])));
        else if (seed === 0 && answered === 2) obj.dispatch(conn, reply(m, 0, nlsReply(at(pgNum * 4), [['ns', 'a']])));
        else if (seed === 0) obj.dispatch(conn, reply(m, 1, nlsReply(hobjEnd(0), [['ns', 'b']])));
        else if (seed === lastSeed) obj.dispatch(conn, reply(m, 0, nlsReply({ ...emptyHObject(), max: true }, [['ns', 'c']])));
        else obj.dispatch(conn, reply(m, 1, nlsReply(hobjEnd(seed), [])));
      }
    }
    await done;
    assert.deepEqual(got, ['a', 'b', 'c']);
    assert.equal(answered, 3 + (pgNum - 1), 'three pages for PG 0, one for each other PG');
    const expected = Array.from({ length: pgNum }, (_, i) => i).sort((x, y) => rev(x) - rev(y));
    assert.deepEqual(order, expected, 'PGs in bit-reversed seed order, as Ceph lists them');
  });

  it('listObjects fails with EIO on an empty page that does not move the cursor (it would loop forever)', async () => {
    const io = new IoCtx(obj, POOL, 'rbd');
    const done = (async () => { for await (const _ of io.listObjects()) void _; })();
    const failed = assert.rejects(done, (e: unknown) => e instanceof CephError && e.code === 'EIO');
    await tick();
    const [s] = sentOps();
    obj.dispatch(s!.conn, reply(s!.m, 0, nlsReply(emptyHObject(), [])));
    await failed;
  });
});
