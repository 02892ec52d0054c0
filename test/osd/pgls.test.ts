// Proves osd/core/pgls.ts answers PGNLS (and PGLS) as Ceph 16's do_pg_op does, over a MemStore collection: paging with the cursor returns every head object of the namespace exactly once in the PG's bitwise hash order for every page size (also when the store pages in twos), skips the pgmeta object, temp objects, snapshots and the hit-set namespace, lists every namespace for LIBRADOS_ALL_NSPACES, merges objects the PG is missing, ends with result 1 and the PG's end as the handle (pg_t::get_hobj_end, checked by hand for power-of-two and other pg_nums), refuses cursors outside the PG with EINVAL; replies decode with librados' own pg_nls_response_t decoder; and against a real Ceph 16 ceph-osd (memstore, ports 18930-18959, skipped when Ceph is not installed) every page of a 4-PG pool with namespaces and locator keys is byte for byte the real OSD's reply. PGLS_KEEP=1 keeps the real cluster's directory.
import assert from 'node:assert/strict';
import { Encoder } from '../../common/encoding.js';
import { Errno } from '../../common/errors.js';
import { ALL_NSPACES, decodePgNlsReply, listStartCursor, opPgNls, type ListEntry } from '../../librados/ops.js';
import { CEPH_NOSNAP, OsdOpCode, encodeHObject, newOSDOp, type HObject } from '../../msg/messages/osdop.js';
import { listPgObjects, pgHobjEnd, pgSplitBits, decodePgLsReply, type PgListInput } from '../../osd/core/pgls.js';
import { MemStore } from '../../osd/index.js';
import { Transaction, makeObject, pgCollection, reverseBits32, type GHObject } from '../../osd/objectstore/types.js';

const POOL = 3;
const PG_NUM = 8;
const SEED = 5;
const CID = pgCollection(POOL, SEED);

/** Hashes that land in PG 3.5 of an 8-PG pool (low 3 bits = 5). */
const hashOf = (i: number): number => ((Math.imul(i + 1, 0x9e3779b1) & ~7) | SEED) >>> 0;

interface Obj {
  nspace: string;
  oid: string;
  key: string;
  hash: number;
}

async function setup(): Promise<{ store: MemStore; heads: Obj[] }> {
  const store = new MemStore();
  await store.mkfs();
  await store.mount();
  const t = new Transaction().createCollection(CID, 3);
  const heads: Obj[] = [];
  for (let i = 0; i < 40; i++) {
    const o: Obj = { nspace: i % 3 === 0 ? 'ns1' : i % 5 === 0 ? 'ns2' : '', oid: `obj-${i}`, key: i === 7 ? 'loc' : '', hash: hashOf(i) };
    heads.push(o);
    t.touch(CID, makeObject(POOL, o.oid, o.hash, { nspace: o.nspace, key: o.key }));
  }
  t.touch(CID, makeObject(POOL, '', SEED)); // pgmeta
  t.touch(CID, makeObject(-2 - POOL, 'temp-obj', hashOf(3))); // a temp object
  t.touch(CID, makeObject(POOL, 'obj-1', hashOf(1), { snap: 4 })); // a clone
  t.touch(CID, makeObject(POOL, 'hitset', hashOf(50), { nspace: '.ceph-internal' }));
  await store.queueTransaction(t);
  return { store, heads };
}

function order(a: Obj, b: Obj): number {
  const ra = reverseBits32(a.hash);
  const rb = reverseBits32(b.hash);
  if (ra !== rb) return ra < rb ? -1 : 1;
  if (a.nspace !== b.nspace) return a.nspace < b.nspace ? -1 : 1;
  const ka = a.key || a.oid;
  const kb = b.key || b.oid;
  return ka < kb ? -1 : ka > kb ? 1 : a.oid < b.oid ? -1 : a.oid > b.oid ? 1 : 0;
}

async function listAll(store: MemStore, nspace: string, page: number, extra: Partial<PgListInput> = {}, storePage = Infinity): Promise<{ entries: ListEntry[]; rounds: number; last: HObject }> {
  let cursor = listStartCursor();
  const entries: ListEntry[] = [];
  for (let rounds = 1; ; rounds++) {
    const r = await listPgObjects({
      op: opPgNls(page, cursor, 10), pool: POOL, seed: SEED, pgNum: PG_NUM, nspace,
      list: (start: GHObject | undefined, max: number) => store.listObjects(CID, start, undefined, Math.min(max, storePage)),
      ...extra,
    });
    assert.ok(r.result === 0 || r.result === 1, `result ${r.result}`);
    const p = decodePgNlsReply(r.outdata);
    assert.ok(p.entries.length <= page);
    entries.push(...p.entries);
    if (r.result === 1) return { entries, rounds, last: p.handle };
    cursor = p.handle;
    assert.ok(rounds < 1000);
  }
}

describe('osd/core/pgls: PGNLS over a PG collection', () => {
  it('every page size lists each head of the namespace once, in hash order, then result 1 with the PG end as handle', async () => {
    const { store, heads } = await setup();
    for (const ns of ['', 'ns1', 'ns2']) {
      const want = heads.filter((h) => h.nspace === ns).sort(order).map((h) => ({ nspace: h.nspace, oid: h.oid, locator: h.key }));
      for (const page of [1, 2, 3, 7, 1000]) {
        for (const storePage of [2, Infinity]) {
          const got = await listAll(store, ns, page, {}, storePage);
          assert.deepEqual(got.entries, want, `ns '${ns}' page ${page} storePage ${storePage}`);
          assert.deepEqual(got.last, pgHobjEnd(POOL, SEED, PG_NUM));
        }
      }
    }
  });

  it('LIBRADOS_ALL_NSPACES lists every namespace (not the hit-set one, the pgmeta, temp or clone objects)', async () => {
    const { store, heads } = await setup();
    const got = await listAll(store, ALL_NSPACES, 5);
    assert.deepEqual(got.entries, heads.slice().sort(order).map((h) => ({ nspace: h.nspace, oid: h.oid, locator: h.key })));
  });

  it('objects the PG is missing locally are listed in their place; pending deletions are not', async () => {
    const { store, heads } = await setup();
    const miss: HObject = { oid: 'only-on-peer', key: '', nspace: '', hash: hashOf(100), pool: POOL, snap: CEPH_NOSNAP, max: false };
    const gone = heads.find((h) => h.nspace === '')!;
    const got = await listAll(store, '', 3, { missing: [miss], isDeleted: (h) => h.oid === gone.oid });
    const want = [...heads.filter((h) => h.nspace === '' && h.oid !== gone.oid), { nspace: '', oid: 'only-on-peer', key: '', hash: miss.hash }]
      .sort(order).map((h) => ({ nspace: h.nspace, oid: h.oid, locator: h.key }));
    assert.deepEqual(got.entries, want);
  });

  it('an empty PG answers result 1 at once; a cursor outside the PG is EINVAL; a bad cursor is EINVAL', async () => {
    const store = new MemStore();
    await store.mkfs();
    await store.mount();
    await store.queueTransaction(new Transaction().createCollection(CID, 3));
    const got = await listAll(store, '', 10);
    assert.deepEqual(got.entries, []);
    assert.equal(got.rounds, 1);
    const list = (s: GHObject | undefined, m: number) => store.listObjects(CID, s, undefined, m);
    const outside: HObject = { oid: 'x', key: '', nspace: '', hash: 4, pool: POOL, snap: CEPH_NOSNAP, max: false };
    const r = await listPgObjects({ op: opPgNls(10, outside, 1), pool: POOL, seed: SEED, pgNum: PG_NUM, nspace: '', list });
    assert.equal(r.result, -Errno.EINVAL);
    const bad = opPgNls(10, listStartCursor(), 1);
    bad.indata = Buffer.from([1, 2, 3]);
    assert.equal((await listPgObjects({ op: bad, pool: POOL, seed: SEED, pgNum: PG_NUM, nspace: '', list })).result, -Errno.EINVAL);
  });

  it('PGLS (the old op) lists one namespace as pg_ls_response_t', async () => {
    const { store, heads } = await setup();
    const o = newOSDOp(OsdOpCode.PGLS);
    o.args.writeUInt32LE(1000, 0);
    const e = new Encoder();
    encodeHObject(e, listStartCursor());
    o.indata = e.toBuffer();
    const r = await listPgObjects({ op: o, pool: POOL, seed: SEED, pgNum: PG_NUM, nspace: 'ns1', list: (s, m) => store.listObjects(CID, s, undefined, m) });
    assert.equal(r.result, 1);
    const p = decodePgLsReply(r.outdata);
    assert.deepEqual(p.entries, heads.filter((h) => h.nspace === 'ns1').sort(order).map((h) => ({ oid: h.oid, locator: h.key })));
  });
});

describe('osd/core/pgls: PG bounds as pg_t computes them', () => {
  it('split bits and the end hobject for power-of-two and other pg_nums (worked by hand)', () => {
    assert.equal(pgSplitBits(0, 1), 0);
    assert.equal(pgSplitBits(5, 8), 3);
    // pg_num 12: p = 4; seeds whose low 3 bits are below 12 % 8 = 4 use 4 bits, others 3
    assert.equal(pgSplitBits(3, 12), 4);
    assert.equal(pgSplitBits(11, 12), 4);
    assert.equal(pgSplitBits(5, 12), 3);
    // 8 PGs, seed 5: reversed 0xa0000000 | 0x1fffffff, + 1 = 0xc0000000, reversed back = 3
    assert.equal(pgHobjEnd(3, 5, 8).hash, 3);
    assert.equal(pgHobjEnd(3, 5, 8).snap, CEPH_NOSNAP);
    // seed 7 of 8 is the last in bitwise order: its end is hobject_t::max
    assert.equal(pgHobjEnd(3, 7, 8).max, true);
    // one PG covers everything
    assert.equal(pgHobjEnd(3, 0, 1).max, true);
  });
});

// ---- the same listings from a real Ceph 16 ceph-osd -------------------------------------------------

describe('osd/core/pgls: the same PGNLS replies as a real Ceph 16 ceph-osd (memstore, ports 18930-18959)', function () {
  this.timeout(420000);
  let cluster: import('../support/real-ceph-cluster.js').RealCephCluster | undefined;
  let rados: import('../../librados/index.js').Rados | undefined;

  before(async function () {
    const support = await import('../support/real-ceph-cluster.js');
    if (!support.realCephClusterAvailable()) return this.skip();
    cluster = await support.startRealCephCluster({ name: 'ha', monPort: 18930, osdPortMin: 18940, osdPortMax: 18959, osds: 1, objectstore: 'memstore', startTimeoutMs: 180000 });
    const { Rados } = await import('../../librados/index.js');
    rados = await Rados.connect({ conf: cluster.conf });
  });
  after(async () => {
    await rados?.shutdown();
    await cluster?.stop(process.env.PGLS_KEEP === '1');
  });

  it('4 PGs, 3 namespaces, locator keys: every page of every PG is byte for byte the real OSD\'s, page sizes 1, 3 and 1000', async () => {
    const { cephStableMod, poolHashKey } = await import('../../common/osdmap/index.js');
    const { opWriteFull } = await import('../../msg/messages/osdop.js');
    const pgNum = 4;
    const pool = await cluster!.createPool('ls', { pgNum, size: 1, minSize: 1 });
    await rados!.waitForMap((m) => m.pools.has(pool), 30000, 'pool ls');
    const store = new MemStore();
    await store.mkfs();
    await store.mount();
    const t = new Transaction();
    for (let seed = 0; seed < pgNum; seed++) t.createCollection(pgCollection(pool, seed), 2).touch(pgCollection(pool, seed), makeObject(pool, '', seed)); // with its pgmeta object, as a PG has
    for (let i = 0; i < 30; i++) {
      const nspace = i % 3 === 0 ? 'n1' : i % 7 === 0 ? 'n2' : '';
      const oid = `object-${i}`;
      const key = i % 11 === 5 ? `loc-${i % 2}` : '';
      await rados!.objecter.submit({ pool, nspace, key, oid }, [opWriteFull(Buffer.from(oid))]);
      const hash = poolHashKey(rados!.osdmap.pools.get(pool)!, key || oid, nspace); // ns + '\037' + key, as Ceph hashes
      t.touch(pgCollection(pool, cephStableMod(hash, pgNum, 3)), makeObject(pool, oid, hash, { nspace, key }));
    }
    await store.queueTransaction(t);
    let pages = 0;
    for (let seed = 0; seed < pgNum; seed++) {
      for (const nspace of ['', 'n1', ALL_NSPACES]) {
        for (const page of [1, 3, 1000]) {
          let cursor = listStartCursor();
          for (let round = 0; ; round++) {
            const theirs = await rados!.objecter.submit({ pool, nspace, key: '', oid: '', pgSeed: seed }, [opPgNls(page, cursor, 1)], { allowError: true });
            const ours = await listPgObjects({
              op: opPgNls(page, cursor, 1), pool, seed, pgNum, nspace,
              list: (s, m) => store.listObjects(pgCollection(pool, seed), s, undefined, m),
            });
            const what = `pg ${pool}.${seed} ns '${nspace}' page ${page} round ${round}`;
            assert.equal(ours.result, theirs.reply.result, what);
            assert.equal(ours.outdata.toString('hex'), theirs.ops[0]!.outdata.toString('hex'), what);
            pages++;
            if (theirs.reply.result === 1) break;
            cursor = decodePgNlsReply(theirs.ops[0]!.outdata).handle;
            assert.ok(round < 100, what);
          }
        }
      }
    }
    assert.ok(pages > 40);
  });
});
