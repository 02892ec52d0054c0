// Proves the PG shell works with the real peering core, op executor and message codecs: OSDs on
// MemStores wired by an in-memory network (every message encoded and decoded) peer to active+clean,
// replicate client writes to every acting OSD before replying, order ops per object, dedupe resent
// requests, hold I/O below min_size, keep PG state across a restart, and recover (log-based) or
// backfill an OSD that was down. Throughout, the PG's reqid and object indexes, updated in place on
// each log trim, are checked against a rebuild from the log (PG.checkIndexes).
import { strict as assert } from 'node:assert';
import { mapToPg, pgToUpActingOsds } from '../../common/osdmap/index.js';
import { CEPH_NOSNAP, OsdFlag, opAppend, opDelete, opRead, opStat, opWriteFull, type HObject } from '../../msg/messages/osdop.js';
import { decodePgNlsReply, listStartCursor, opPgNls } from '../../librados/ops.js';
import { createPeeringCore } from '../../osd/core/peering.js';
import { pgCollection } from '../../osd/objectstore/types.js';
import { PgMetaWritten } from '../../osd/pgmeta.js';
import { PG, realPgDeps, toGh, type PgDeps } from '../../osd/pg.js';
import { caseSeed, Rng } from '../support/rng.js';
import { TestCluster, type TestOsd } from './pg-net.js';

function hobjOf(c: TestCluster, oid: string): HObject {
  return { oid, key: '', nspace: '', hash: mapToPg(c.map, 1, oid, '', ''), pool: 1, snap: CEPH_NOSNAP, max: false };
}

/** The object's data on one OSD's store, or null when it has none. */
async function dataOn(c: TestCluster, o: TestOsd, oid: string): Promise<string | null> {
  const pgid = c.pgOf(oid);
  const cid = pgCollection(1, pgid.seed);
  const gh = toGh(hobjOf(c, oid));
  if (!(await o.store.collectionExists(cid)) || !(await o.store.exists(cid, gh))) return null;
  return (await o.store.read(cid, gh, 0, 0)).toString();
}

/** Recovery counters summed over every OSD's PGs. */
/** Starts `c` (size 3, min_size 2), then stops both replicas of PG 1.0: the PG is left below min_size. */
async function belowMinSize(c: TestCluster): Promise<{ primary: number; others: number[] }> {
  await c.start();
  await c.waitState('active+clean');
  const primary = c.primaryOf({ pool: 1, seed: 0 });
  const others = c.osds.map((o) => o.whoami).filter((o) => o !== primary);
  await c.stopOsd(others[0]!);
  await c.stopOsd(others[1]!);
  await c.settle();
  return { primary, others };
}

function totals(c: TestCluster): Record<string, number> {
  const out: Record<string, number> = {};
  for (const o of c.osds) {
    for (const pg of o.pgs.values()) {
      for (const [k, v] of Object.entries(pg.recoveryCounters())) out[k] = (out[k] ?? 0) + v;
    }
  }
  return out;
}

/** Small PG logs, so a short outage already needs backfill. */
const smallLogDeps: PgDeps = { ...realPgDeps, createCore: (init) => createPeeringCore(init, { entriesMin: 8, entriesMax: 16, trimEntriesMin: 4 }) };

before(() => {
  PG.checkIndexes = true;
  PgMetaWritten.checkMissing = true;
});
after(() => {
  PG.checkIndexes = false;
  PgMetaWritten.checkMissing = false;
});

describe('PG cluster (in-memory, real core and executor)', function () {
  this.timeout(60000);
  let c: TestCluster | undefined;
  afterEach(async () => {
    await c?.close();
    c = undefined;
  });

  it('peers to active+clean and replicates a write to every acting OSD before replying', async () => {
    c = new TestCluster({ osds: 3, size: 3, minSize: 2, pgNum: 1, deps: realPgDeps });
    await c.start();
    await c.waitState('active+clean');
    const r = await c.op('hello', [opWriteFull(Buffer.from('world'))]);
    assert.equal(r.result, 0);
    assert.ok(r.replayVersion.version >= 1, 'a write reports its log version');
    // acked means on disk everywhere
    for (const o of c.osds) assert.equal(await dataOn(c, o, 'hello'), 'world', `osd.${o.whoami}`);
    const g = await c.op('hello', [opRead(0, 0)]);
    assert.equal(g.result, 0);
    assert.equal(g.ops[0]!.outdata.toString(), 'world');
    assert.equal(g.userVersion, r.userVersion);
    const missing = await c.op('nothing', [opStat()]);
    assert.equal(missing.result, -2);
    const st = c.osds[c.primaryOf({ pool: 1, seed: 0 })]!.pg({ pool: 1, seed: 0 })!.stats();
    assert.equal(st.statsSum.numObjects, 1);
    assert.equal(st.statsSum.numBytes, 5);
    assert.deepEqual([...st.acting].sort(), [0, 1, 2]);
  });

  it('lists each PG\'s objects (PGNLS) from its primary, paged with the returned cursor', async () => {
    c = new TestCluster({ osds: 3, size: 2, minSize: 1, pgNum: 4, deps: realPgDeps });
    await c.start();
    await c.waitState('active+clean');
    const names = Array.from({ length: 30 }, (_, i) => `list-${i}`);
    await Promise.all(names.map((n) => c!.op(n, [opWriteFull(Buffer.from(n))])));
    const seen: string[] = [];
    for (let seed = 0; seed < 4; seed++) {
      let cursor = listStartCursor();
      for (let page = 0; page < 100; page++) {
        const r = await c.pgOp({ pool: 1, seed }, [opPgNls(4, cursor, c.map.epoch)]);
        assert.ok(r.result === 0 || r.result === 1, `PGNLS result ${r.result}`);
        const { handle, entries } = decodePgNlsReply(r.ops[0]!.outdata);
        for (const e of entries) {
          assert.equal(c.pgOf(e.oid).seed, seed, `${e.oid} listed by its own PG`);
          seen.push(e.oid);
        }
        if (r.result === 1) break;
        cursor = handle;
      }
    }
    assert.deepEqual(seen.sort(), [...names].sort());
  });

  it('refuses ops as do_op does: long names ENAMETOOLONG, PARALLELEXEC EINVAL, an object of another PG dropped', async () => {
    c = new TestCluster({ osds: 3, size: 3, minSize: 2, pgNum: 4, deps: realPgDeps });
    await c.start();
    await c.waitState('active+clean');
    const long = 'x'.repeat(2049);
    assert.equal((await c.op(long, [opWriteFull(Buffer.from('a'))])).result, -36);
    const m = c.makeOp('par', [opStat()]);
    m.flags |= OsdFlag.PARALLELEXEC;
    const pgid = m.pgid.pgid;
    c.osds[c.primaryOf(pgid)]!.pg(pgid)!.handleClientOp(m, c.client);
    assert.equal((await c.client.waitReply(m.header.tid)).result, -22);
    // an object that hashes to another PG, sent to this one: no reply (the client retargets)
    let other = 'stray-0';
    for (let i = 1; c.pgOf(other).seed === pgid.seed; i++) other = `stray-${i}`;
    const w = c.makeOp(other, [opWriteFull(Buffer.from('no'))]);
    w.pgid = { pgid, shard: -1 };
    const before = c.client.replies.length;
    c.osds[c.primaryOf(pgid)]!.pg(pgid)!.handleClientOp(w, c.client);
    await c.settle();
    assert.equal(c.client.replies.length, before);
  });

  it('orders ops on one object and gives each write the next log version', async () => {
    c = new TestCluster({ osds: 3, size: 3, minSize: 2, pgNum: 2, deps: realPgDeps });
    await c.start();
    await c.waitState('active+clean');
    const ps = [];
    for (let i = 0; i < 20; i++) ps.push(c.op('seq', [opAppend(Buffer.from(String(i % 10)))]));
    for (let i = 0; i < 10; i++) ps.push(c.op(`other-${i}`, [opWriteFull(Buffer.from(`v${i}`))]));
    const rs = await Promise.all(ps);
    for (const r of rs) assert.equal(r.result, 0);
    const seqVersions = rs.slice(0, 20).map((r) => r.replayVersion.version);
    for (let i = 1; i < seqVersions.length; i++) assert.ok(seqVersions[i]! > seqVersions[i - 1]!, `versions increase: ${seqVersions}`);
    const expect = '01234567890123456789';
    for (const o of c.osds) assert.equal(await dataOn(c, o, 'seq'), expect);
    for (let i = 0; i < 10; i++) for (const o of c.osds) assert.equal(await dataOn(c, o, `other-${i}`), `v${i}`);
  });

  it('answers a resent write from the log without applying it twice', async () => {
    c = new TestCluster({ osds: 3, size: 3, minSize: 2, pgNum: 1, deps: realPgDeps });
    await c.start();
    await c.waitState('active+clean');
    const first = await c.op('dup', [opAppend(Buffer.from('x'))], 777);
    c.client.replies.length = 0;
    const again = await c.op('dup', [opAppend(Buffer.from('x'))], 777);
    assert.equal(again.result, 0);
    assert.deepEqual(again.replayVersion, first.replayVersion);
    assert.equal(again.userVersion, first.userVersion);
    for (const o of c.osds) assert.equal(await dataOn(c, o, 'dup'), 'x');
  });

  it('keeps the PG log and objects across a restart of every OSD', async () => {
    c = new TestCluster({ osds: 3, size: 3, minSize: 2, pgNum: 1, deps: realPgDeps });
    await c.start();
    await c.waitState('active+clean');
    const w = await c.op('keep', [opWriteFull(Buffer.from('kept'))], 900);
    for (const o of c.osds) await c.stopOsd(o.whoami);
    for (const o of c.osds) await c.startOsd(o.whoami);
    await c.waitState('active+clean');
    const g = await c.op('keep', [opRead(0, 0)]);
    assert.equal(g.ops[0]!.outdata.toString(), 'kept');
    // the reqid survived in the log
    const again = await c.op('keep', [opWriteFull(Buffer.from('kept'))], 900);
    assert.deepEqual(again.replayVersion, w.replayVersion);
  });

  it('PG.create of a PG the store already holds loads it instead of resetting it', async () => {
    c = new TestCluster({ osds: 3, size: 3, minSize: 2, pgNum: 1, deps: realPgDeps });
    await c.start();
    await c.waitState('active+clean');
    const w = await c.op('kept', [opWriteFull(Buffer.from('k'))]);
    const o = c.osds[0]!;
    const again = await PG.create(o, { pool: 1, seed: 0 }, 1, 1, realPgDeps);
    assert.deepEqual(again.stats().version, w.replayVersion);
    await again.close();
  });

  it('writes while an OSD is down (degraded), then recovers it from the log to active+clean', async () => {
    c = new TestCluster({ osds: 3, size: 3, minSize: 2, pgNum: 1, deps: realPgDeps });
    await c.start();
    await c.waitState('active+clean');
    await c.op('a', [opWriteFull(Buffer.from('a1'))]);
    await c.op('gone', [opWriteFull(Buffer.from('g'))]);
    const victim = [...c.osds.map((o) => o.whoami)].find((o) => o !== c!.primaryOf({ pool: 1, seed: 0 }))!;
    await c.stopOsd(victim);
    await c.waitState('active+undersized+degraded');
    assert.equal((await c.op('a', [opWriteFull(Buffer.from('a2'))])).result, 0);
    assert.equal((await c.op('b', [opWriteFull(Buffer.from('b1'))])).result, 0);
    assert.equal((await c.op('gone', [opDelete()])).result, 0);
    await c.startOsd(victim);
    // a write to an object the returning OSD misses waits for that object's recovery, then replicates
    assert.equal((await c.op('b', [opWriteFull(Buffer.from('b2'))])).result, 0);
    await c.waitState('active+clean');
    const v = c.osds[victim]!;
    assert.equal(await dataOn(c, v, 'a'), 'a2');
    assert.equal(await dataOn(c, v, 'b'), 'b2');
    const rc = totals(c);
    assert.ok(rc.pushes >= 1 && rc.backfillBatches === 0, JSON.stringify(rc));
    assert.equal(await dataOn(c, v, 'gone'), null);
  });

  it('holds I/O below min_size and runs it once the PG is back to min_size', async () => {
    c = new TestCluster({ osds: 3, size: 3, minSize: 2, pgNum: 1, deps: realPgDeps });
    const { primary, others } = await belowMinSize(c);
    const st = c.osds[primary]!.pg({ pool: 1, seed: 0 })!.stateString();
    assert.ok(!/^active/.test(st), `below min_size the PG is not active: ${st}`);
    let done = false;
    const p = c.op('held', [opWriteFull(Buffer.from('h'))]).then((r) => {
      done = true;
      return r;
    });
    await c.settle();
    assert.equal(done, false, 'no I/O below min_size');
    await c.startOsd(others[0]!);
    const r = await p;
    assert.equal(r.result, 0);
    await c.startOsd(others[1]!);
    await c.waitState('active+clean');
    for (const o of c.osds) assert.equal(await dataOn(c, o, 'held'), 'h');
  });

  it('checks an op held below min_size as do_op does when it runs (a long name is ENAMETOOLONG, never written)', async () => {
    c = new TestCluster({ osds: 3, size: 3, minSize: 2, pgNum: 1, deps: realPgDeps });
    const { others } = await belowMinSize(c);
    const p = c.op('y'.repeat(2049), [opWriteFull(Buffer.from('long'))]);
    await c.settle();
    await c.startOsd(others[0]!);
    assert.equal((await p).result, -36);
    await c.startOsd(others[1]!);
    await c.waitState('active+clean');
  });

  it('backfills an OSD whose log no longer overlaps, removing objects deleted meanwhile', async () => {
    c = new TestCluster({ osds: 3, size: 3, minSize: 2, pgNum: 1, deps: smallLogDeps });
    await c.start();
    await c.waitState('active+clean');
    for (let i = 0; i < 10; i++) await c.op(`old-${i}`, [opWriteFull(Buffer.from(`o${i}`))]);
    const victim = c.osds.map((o) => o.whoami).find((o) => o !== c!.primaryOf({ pool: 1, seed: 0 }))!;
    await c.stopOsd(victim);
    await c.waitState('active+undersized+degraded');
    for (let i = 0; i < 5; i++) await c.op(`old-${i}`, [opDelete()]);
    for (let i = 0; i < 40; i++) await c.op(`new-${i}`, [opWriteFull(Buffer.from(`n${i}`))]);
    await c.startOsd(victim);
    // writes while the backfill runs (some wait for their batch, some go to the target directly)
    const during = await Promise.all(Array.from({ length: 20 }, (_, i) => c!.opResend(`new-${i * 2}`, [opAppend(Buffer.from('+'))])));
    for (const r of during) assert.equal(r.result, 0);
    await c.waitState('active+clean', 20000);
    const v = c.osds[victim]!;
    for (let i = 0; i < 5; i++) assert.equal(await dataOn(c, v, `old-${i}`), null, `old-${i} removed`);
    for (let i = 5; i < 10; i++) assert.equal(await dataOn(c, v, `old-${i}`), `o${i}`);
    for (let i = 0; i < 40; i++) {
      for (const o of c.osds) assert.equal(await dataOn(c, o, `new-${i}`), i % 2 === 0 ? `n${i}+` : `n${i}`, `osd.${o.whoami} new-${i}`);
    }
    const rc = totals(c);
    assert.ok(rc.backfillBatches >= 1 && rc.extrasRemoved === 5, JSON.stringify(rc));
  });

  it('a returning primary that missed writes pulls them (or lets a pg_temp primary push) and ends clean', async () => {
    c = new TestCluster({ osds: 3, size: 3, minSize: 2, pgNum: 1, deps: realPgDeps });
    await c.start();
    await c.waitState('active+clean');
    const primary = c.primaryOf({ pool: 1, seed: 0 });
    await c.op('p', [opWriteFull(Buffer.from('p1'))]);
    await c.stopOsd(primary);
    await c.waitState('active+undersized+degraded');
    await c.op('p', [opWriteFull(Buffer.from('p2'))]);
    await c.op('q', [opWriteFull(Buffer.from('q1'))]);
    await c.startOsd(primary);
    await c.waitState('active+clean');
    for (const o of c.osds) {
      assert.equal(await dataOn(c, o, 'p'), 'p2', `osd.${o.whoami}`);
      assert.equal(await dataOn(c, o, 'q'), 'q1', `osd.${o.whoami}`);
    }
    const rc = totals(c);
    assert.ok(rc.pulls + rc.pushes >= 2, JSON.stringify(rc));
    assert.equal((await c.op('p', [opRead(0, 0)])).ops[0]!.outdata.toString(), 'p2');
  });
});

// ---- seeded thrashing: a model of every acknowledged write, checked after OSDs stop and restart ----
// PG_SEED=<n> replays one seed; PG_SEEDS=<count> sets how many run (default 4).

describe('PG cluster thrash (seeded)', function () {
  this.timeout(120000);
  const seeds: number[] = process.env.PG_SEED !== undefined
    ? [Number(process.env.PG_SEED)]
    : Array.from({ length: Number(process.env.PG_SEEDS ?? 4) }, (_, i) => caseSeed(0x5eed, i));
  for (const seed of seeds) {
    it(`seed=${seed}: every acknowledged write survives OSD stops and restarts; the PGs end active+clean`, async () => {
      const rng = new Rng(seed);
      const size = rng.chance(0.75) ? 3 : 2;
      // up to two OSDs down: with size 3 some PGs drop below min_size (no I/O until one returns)
      const maxDown = rng.int(1, 2);
      const c = new TestCluster({ osds: 4, size, minSize: size - 1, pgNum: 4, deps: rng.chance(0.5) ? smallLogDeps : realPgDeps });
      const fail = (msg: string): never => assert.fail(`seed=${seed}: ${msg}`);
      try {
        await c.start();
        await c.waitState('active+clean').catch((e: Error) => fail(e.message));
        const names = Array.from({ length: 10 }, (_, i) => `obj-${i}`);
        const model = new Map<string, string | null>();
        const busy = new Set<string>();
        const inflight: Array<Promise<void>> = [];
        const down = new Set<number>();
        for (let step = 0; step < 80; step++) {
          const r = rng.next();
          if (r < 0.1 && down.size < maxDown) {
            const victim = rng.int(0, 3);
            if (!down.has(victim)) {
              down.add(victim);
              await c.stopOsd(victim);
            }
          } else if (r < 0.2 && down.size > 0) {
            const back = rng.pick([...down]);
            down.delete(back);
            await c.startOsd(back);
          } else {
            const oid = rng.pick(names);
            if (busy.has(oid)) continue;
            busy.add(oid);
            const kind = rng.int(0, 4);
            const data = `${step}:${rng.u32().toString(36)};`;
            const ops = kind === 0 ? [opDelete()] : kind <= 2 ? [opAppend(Buffer.from(data))] : [opWriteFull(Buffer.from(data))];
            inflight.push(c.opResend(oid, ops).then((rep) => {
              if (process.env.PG_TEST_LOG) console.log(`reply tid ${rep.header.tid} ${oid} kind ${kind} data ${data} result ${rep.result} v ${rep.replayVersion.epoch}'${rep.replayVersion.version}`);
              busy.delete(oid);
              const prev = model.get(oid) ?? null;
              if (kind === 0) {
                if (rep.result === 0) model.set(oid, null);
                else if (rep.result !== -2 || prev !== null) fail(`delete ${oid}: ${rep.result} (model ${prev})`);
              } else if (rep.result !== 0) fail(`write ${oid}: ${rep.result}`);
              else model.set(oid, kind <= 2 ? (prev ?? '') + data : data);
            }));
          }
          if (rng.chance(0.3)) await c.settle(2);
        }
        for (const o of down) await c.startOsd(o);
        await Promise.all(inflight);
        await c.waitState('active+clean', 30000).catch((e: Error) => fail(e.message));
        for (const oid of names) {
          const want = model.get(oid) ?? null;
          const rep = await c.opResend(oid, [opRead(0, 0)]);
          const got = rep.result === 0 ? rep.ops[0]!.outdata.toString() : rep.result === -2 ? null : fail(`read ${oid}: ${rep.result}`);
          if (got !== want) fail(`read ${oid}: ${JSON.stringify(got)} != model ${JSON.stringify(want)}`);
          const acting = pgToUpActingOsds(c.map, c.pgOf(oid)).acting;
          for (const osd of acting) {
            const have = await dataOn(c, c.osds[osd]!, oid);
            if (have !== want) fail(`osd.${osd} ${oid}: ${JSON.stringify(have)} != model ${JSON.stringify(want)}`);
          }
        }
      } finally {
        await c.close();
      }
    });
  }
});
