// The ObjectStore compliance suite: every backend (MemStore, BlockStore) runs these mocha tests, one
// focused test per rule of the contract in osd/objectstore/types.ts, then a seeded random run compared
// against the reference model (test/support/store-model.ts).
//
// Environment (the random run):
//   STORE_ITERATIONS=n  transactions per seed (default: opts.iterations, else 1500)
//   STORE_SEED=n        replay that one seed alone (a failure prints `seed=<n> iteration=<i>`)
//   STORE_SEEDS=n       how many seeds a default run covers (default 1)
//   STORE_RUN_SEED=n    the run seed the default seeds derive from (default 0x0b1ec7)
//   STORE_COMPARE_EVERY=n  compare the whole store with the model every n transactions (default:
//                       opts.compareEvery, else 50); 1 pins a replayed failure to its transaction
// A seed fixes the transactions whatever the backend; remounts and queued bursts come from a second
// generator derived from it.
//
// Where the contract in types.ts is silent, the suite (and the model) take BlueStore's behaviour
// (src/os/bluestore/BlueStore.cc); each choice below has a test:
//  - zero on a missing object creates it (BlueStore's _txc_add_transaction lists OP_ZERO among the ops
//    that create), sized offset+length; the size grows to offset+length whenever that is past the end.
//  - a write of length 0 creates the object but does not change its size (_do_write returns early).
//  - clone needs the destination to have the source's hash, else EINVAL (BlueStore's _clone "mismatched
//    hash"); it replaces dest's data, attrs, omap header and keys.
//  - cloneRange of a source range ending past the source's size is EINVAL (_clone_range); a length of 0
//    creates dest and changes nothing else. Offsets past OBJECT_SIZE_MAX are EINVAL (the contract's
//    code; BlueStore says E2BIG).
//  - clone, cloneRange or collMoveRename onto the source object itself is EINVAL (BlueStore would
//    destroy the data; the OSD never asks for it).
//  - omapClear removes the omap header too (BlueStore's _do_omap_clear removes the header key).
//  - splitCollection matches `hash & mask == rem & mask` (hobject_t::match) and sets both collections'
//    bits; objects already in dest under the same name are replaced. Split into itself is EINVAL.
//  - exists() on a missing collection is ENOENT, like every other read (BlueStore has no handle for it).
//  - names (object oid/key/nspace, attr names, omap keys) longer than NAME_BYTES_MAX bytes are EINVAL.
//  - listObjects' `next` is the first object not returned (Ceph's pnext), undefined when none remains
//    before `end`; a page never holds more than `max` objects; max 0 returns no objects.
//  - getattrs' Map order is not part of the contract; omapGetValues and omapIterate are in byte order.

import assert from 'node:assert/strict';
import { CephError } from '../../common/errors.js';
import {
  compareObjects,
  makeObject,
  META_COLLECTION,
  NAME_BYTES_MAX,
  OBJECT_MAX,
  OBJECT_SIZE_MAX,
  objectText,
  pgCollection,
  Transaction,
  TX_DATA_BYTES_MAX,
  TX_OPS_MAX,
  type CollectionId,
  type GHObject,
  type ObjectStore,
} from '../../osd/objectstore/types.js';
import { caseSeed, Rng } from '../support/rng.js';
import { compareStoreToModel, randomBytes, randomTransaction, StoreModel, type RandomTxOptions } from '../support/store-model.js';

export interface StoreFactory {
  /** A new store, already mkfs'ed and mounted. */
  create(): Promise<ObjectStore>;
  /** Simulate a clean restart: umount, return a freshly constructed store over the same backing, mounted. */
  remount?(store: ObjectStore): Promise<ObjectStore>;
  destroy(store: ObjectStore): Promise<void>;
}

export interface ComplianceOptions {
  /** Random transactions per seed (STORE_ITERATIONS overrides). */
  readonly iterations?: number;
  /** Seeds in a default run (STORE_SEEDS overrides). */
  readonly seeds?: number;
  /** Compare the whole store with the model every this many transactions. */
  readonly compareEvery?: number;
  /** Chance per transaction of a remount (when the factory can). */
  readonly remountChance?: number;
  /** Sizes and mix of the random transactions. */
  readonly randomTx?: RandomTxOptions;
  /** mocha timeout of the random run, ms. */
  readonly randomTimeoutMs?: number;
}

const PG = pgCollection(1, 0);
const KiB = 1024;
const MiB = 1024 * 1024;

function obj(name: string, hash = 0x5eed1234, fields: Partial<GHObject> = {}): GHObject {
  return makeObject(1, name, hash, fields);
}

function tx(): Transaction {
  return new Transaction();
}

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name}=${v} is not a non-negative integer`);
  return n;
}

/** Await p and require a CephError with `code`. */
async function rejects(p: Promise<unknown>, code: string, what = 'operation'): Promise<void> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  if (err === undefined) throw new Error(`${what}: expected ${code}, it succeeded`);
  if (!(err instanceof CephError) || err.code !== code) {
    throw new Error(`${what}: expected CephError ${code}, got ${err instanceof Error ? `${err.name} ${(err as { code?: string }).code ?? ''}: ${err.message}` : String(err)}`);
  }
}

/** Every read of one object (all but exists) rejects with ENOENT. */
async function objectReadsAreEnoent(store: ObjectStore, c: CollectionId, o: GHObject): Promise<void> {
  await rejects(store.stat(c, o), 'ENOENT', 'stat');
  await rejects(store.read(c, o, 0, 0), 'ENOENT', 'read');
  await rejects(store.getattr(c, o, 'a'), 'ENOENT', 'getattr');
  await rejects(store.getattrs(c, o), 'ENOENT', 'getattrs');
  await rejects(store.omapGetHeader(c, o), 'ENOENT', 'omapGetHeader');
  await rejects(store.omapGetValues(c, o, ['k']), 'ENOENT', 'omapGetValues');
  await rejects(store.omapIterate(c, o, undefined, 10), 'ENOENT', 'omapIterate');
}

function sameBytes(actual: Buffer, expected: Buffer, what: string): void {
  if (actual.equals(expected)) return;
  const n = Math.min(actual.length, expected.length);
  let i = 0;
  while (i < n && actual[i] === expected[i]) i++;
  throw new Error(`${what}: ${actual.length} bytes read, ${expected.length} expected; first difference at byte ${i} (read ${actual.subarray(i, i + 8).toString('hex')}, expected ${expected.subarray(i, i + 8).toString('hex')})`);
}

/** A byte pattern that differs at every offset (so misplaced bytes show). */
function pattern(n: number, salt: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + salt + (i >>> 8)) & 0xff;
  return b;
}

/** A local expected image of an object's bytes. */
class Image {
  bytes = Buffer.alloc(0);
  write(off: number, data: Buffer): void {
    if (off + data.length > this.bytes.length) this.resize(off + data.length);
    data.copy(this.bytes, off);
  }
  resize(n: number): void {
    const b = Buffer.alloc(n);
    this.bytes.copy(b, 0, 0, Math.min(n, this.bytes.length));
    this.bytes = b;
  }
  zero(off: number, len: number): void {
    if (off + len > this.bytes.length) this.resize(off + len);
    this.bytes.fill(0, off, off + len);
  }
}

export function complianceSuite(name: string, factory: StoreFactory, opts: ComplianceOptions = {}): void {
  describe(`ObjectStore compliance: ${name}`, function () {
    let store: ObjectStore;
    let live = false;

    beforeEach(async function () {
      live = false;
      store = await factory.create();
      live = true;
      await store.queueTransaction(tx().createCollection(PG, 0));
    });

    afterEach(async function () {
      if (!live) return;
      live = false;
      await factory.destroy(store);
    });

    async function apply(t: Transaction): Promise<void> {
      await store.queueTransaction(t);
    }

    async function data(cid: CollectionId, o: GHObject): Promise<Buffer> {
      return store.read(cid, o, 0, 0);
    }

    // ------------------------------------------------------------------------------------------
    describe('collections', function () {
      it('mkcoll creates with bits; listCollections, collectionExists, collectionBits, collectionEmpty report it', async function () {
        const a = pgCollection(1, 0x1f, 2);
        await apply(tx().createCollection(a, 5).createCollection(META_COLLECTION, 0));
        assert.deepEqual((await store.listCollections()).slice().sort(), [PG, a, META_COLLECTION].sort());
        assert.equal(await store.collectionExists(a), true);
        assert.equal(await store.collectionExists('1.77_head'), false);
        assert.equal(await store.collectionBits(a), 5);
        assert.equal(await store.collectionBits(PG), 0);
        assert.equal(await store.collectionEmpty(a), true);
        await apply(tx().touch(a, obj('x', 0x1f)));
        assert.equal(await store.collectionEmpty(a), false);
      });

      it('mkcoll of an existing collection is EEXIST and rejects the whole transaction', async function () {
        await rejects(store.queueTransaction(tx().touch(PG, obj('before')).createCollection(PG, 3)), 'EEXIST');
        assert.equal(await store.exists(PG, obj('before')), false);
        assert.equal(await store.collectionBits(PG), 0);
        await rejects(store.queueTransaction(tx().createCollection('2.0_head', 1).createCollection('2.0_head', 1)), 'EEXIST', 'twice in one transaction');
        assert.equal(await store.collectionExists('2.0_head'), false);
      });

      it('mkcoll with a malformed name or bits out of 0..32 is EINVAL', async function () {
        for (const bad of ['', 'pg1', '1.0', '1.0_foo', '1.g_head', 'META', '-1.0_head']) {
          await rejects(store.queueTransaction(tx().createCollection(bad, 0)), 'EINVAL', `name ${JSON.stringify(bad)}`);
        }
        for (const bits of [-1, 33, 1.5, Number.NaN]) {
          await rejects(store.queueTransaction(tx().createCollection('2.0_head', bits)), 'EINVAL', `bits ${bits}`);
        }
        await apply(tx().createCollection('2.0_head', 32).createCollection('2.1_TEMP', 0));
        assert.equal(await store.collectionBits('2.0_head'), 32);
      });

      it('rmcoll: ENOENT when missing, ENOTEMPTY with objects, and it sees earlier ops of its transaction', async function () {
        await rejects(store.queueTransaction(tx().removeCollection('9.0_head')), 'ENOENT');
        await apply(tx().touch(PG, obj('a')));
        await rejects(store.queueTransaction(tx().removeCollection(PG)), 'ENOTEMPTY');
        await rejects(store.queueTransaction(tx().remove(PG, obj('a')).touch(PG, obj('b')).removeCollection(PG)), 'ENOTEMPTY', 'refilled in the transaction');
        assert.equal(await store.exists(PG, obj('a')), true);
        await apply(tx().remove(PG, obj('a')).removeCollection(PG));
        assert.equal(await store.collectionExists(PG), false);
        assert.deepEqual(await store.listCollections(), []);
        // Remove and create again in one transaction: the new one is empty and has the new bits.
        await apply(tx().createCollection(PG, 1).touch(PG, obj('c', 0)));
        await apply(tx().remove(PG, obj('c', 0)).removeCollection(PG).createCollection(PG, 4));
        assert.equal(await store.collectionBits(PG), 4);
        assert.equal(await store.collectionEmpty(PG), true);
      });

      it('every op on a missing collection is ENOENT', async function () {
        const c = '7.3_head';
        const o = obj('o');
        const ops: [string, (t: Transaction) => void][] = [
          ['touch', (t) => t.touch(c, o)],
          ['write', (t) => t.write(c, o, 0, Buffer.from('x'))],
          ['zero', (t) => t.zero(c, o, 0, 1)],
          ['truncate', (t) => t.truncate(c, o, 0)],
          ['remove', (t) => t.remove(c, o)],
          ['setattrs', (t) => t.setattr(c, o, 'a', Buffer.from('v'))],
          ['rmattr', (t) => t.rmattr(c, o, 'a')],
          ['rmattrs', (t) => t.rmattrs(c, o)],
          ['clone', (t) => t.clone(c, o, { ...o, snap: 1 })],
          ['cloneRange', (t) => t.cloneRange(c, o, { ...o, snap: 1 }, 0, 0, 0)],
          ['omapClear', (t) => t.omapClear(c, o)],
          ['omapSetKeys', (t) => t.omapSetKeys(c, o, new Map([['k', Buffer.from('v')]]))],
          ['omapRmKeys', (t) => t.omapRmKeys(c, o, ['k'])],
          ['omapRmKeyRange', (t) => t.omapRmKeyRange(c, o, 'a', 'z')],
          ['omapSetHeader', (t) => t.omapSetHeader(c, o, Buffer.from('h'))],
          ['rmcoll', (t) => t.removeCollection(c)],
          ['collMoveRename', (t) => t.collectionMoveRename(c, o, PG, o)],
          ['splitCollection', (t) => t.splitCollection(c, 1, 1, PG)],
          ['collSetBits', (t) => t.collectionSetBits(c, 1)],
        ];
        for (const [what, build] of ops) {
          const t = tx().touch(PG, obj('marker'));
          build(t);
          await rejects(store.queueTransaction(t), 'ENOENT', what);
        }
        assert.equal(await store.exists(PG, obj('marker')), false);
      });

      it('every read of a missing collection is ENOENT', async function () {
        const c = '7.3_head';
        const o = obj('o');
        await rejects(store.collectionBits(c), 'ENOENT', 'collectionBits');
        await rejects(store.collectionEmpty(c), 'ENOENT', 'collectionEmpty');
        await rejects(store.listObjects(c, undefined, undefined, 10), 'ENOENT', 'listObjects');
        await rejects(store.exists(c, o), 'ENOENT', 'exists');
        await objectReadsAreEnoent(store, c, o);
      });

      it('every read of a missing object is ENOENT; exists is false', async function () {
        const o = obj('nobody');
        assert.equal(await store.exists(PG, o), false);
        await objectReadsAreEnoent(store, PG, o);
      });

      it('collectionSetBits changes the bits; out of range is EINVAL', async function () {
        await apply(tx().collectionSetBits(PG, 7));
        assert.equal(await store.collectionBits(PG), 7);
        await rejects(store.queueTransaction(tx().collectionSetBits(PG, 33)), 'EINVAL');
        assert.equal(await store.collectionBits(PG), 7);
      });

      it('a transaction can create a collection and fill it', async function () {
        const c = pgCollection(3, 1);
        await apply(tx().createCollection(c, 1).write(c, makeObject(3, 'x', 1), 0, Buffer.from('hello')));
        sameBytes(await data(c, makeObject(3, 'x', 1)), Buffer.from('hello'), 'data');
      });
    });

    // ------------------------------------------------------------------------------------------
    describe('object data', function () {
      it('touch creates an empty object and leaves an existing one alone', async function () {
        const o = obj('t');
        await apply(tx().touch(PG, o));
        assert.equal((await store.stat(PG, o)).size, 0);
        sameBytes(await data(PG, o), Buffer.alloc(0), 'empty');
        await apply(tx().write(PG, o, 0, Buffer.from('abc')).setattr(PG, o, 'a', Buffer.from('1')));
        await apply(tx().touch(PG, o));
        sameBytes(await data(PG, o), Buffer.from('abc'), 'after touch');
        sameBytes(await store.getattr(PG, o, 'a'), Buffer.from('1'), 'attr');
      });

      it('write creates, extends, overwrites; read length 0 is to the end; reads past the end are short or empty', async function () {
        const o = obj('w');
        await apply(tx().write(PG, o, 0, Buffer.from('0123456789')));
        assert.equal((await store.stat(PG, o)).size, 10);
        sameBytes(await store.read(PG, o, 0, 0), Buffer.from('0123456789'), 'whole');
        sameBytes(await store.read(PG, o, 3, 0), Buffer.from('3456789'), 'from 3 to end');
        sameBytes(await store.read(PG, o, 3, 4), Buffer.from('3456'), 'middle');
        sameBytes(await store.read(PG, o, 8, 100), Buffer.from('89'), 'past the end');
        sameBytes(await store.read(PG, o, 10, 5), Buffer.alloc(0), 'at the end');
        sameBytes(await store.read(PG, o, 1000, 5), Buffer.alloc(0), 'far past the end');
        sameBytes(await store.read(PG, o, 1000, 0), Buffer.alloc(0), 'far past the end, length 0');
        await apply(tx().write(PG, o, 4, Buffer.from('ab')));
        sameBytes(await data(PG, o), Buffer.from('0123ab6789'), 'overwrite');
        await apply(tx().write(PG, o, 8, Buffer.from('XYZ')));
        sameBytes(await data(PG, o), Buffer.from('0123ab67XYZ'), 'overlapping the end');
        assert.equal((await store.stat(PG, o)).size, 11);
      });

      it('a write past the end leaves a hole that reads as zeros', async function () {
        const o = obj('hole');
        await apply(tx().write(PG, o, 0, Buffer.from('head')));
        await apply(tx().write(PG, o, 3 * MiB + 5, Buffer.from('tail')));
        const want = Buffer.alloc(3 * MiB + 9);
        want.write('head', 0);
        want.write('tail', 3 * MiB + 5);
        assert.equal((await store.stat(PG, o)).size, want.length);
        sameBytes(await data(PG, o), want, 'with hole');
        sameBytes(await store.read(PG, o, MiB, 4096), Buffer.alloc(4096), 'inside the hole');
        // A first write at an offset: the object starts with a hole.
        const p = obj('hole2');
        await apply(tx().write(PG, p, 5000, Buffer.from('x')));
        const w2 = Buffer.alloc(5001);
        w2[5000] = 0x78;
        sameBytes(await data(PG, p), w2, 'leading hole');
      });

      it('unaligned writes across 4 KiB boundaries read back exactly', async function () {
        const o = obj('unaligned');
        const img = new Image();
        const writes: [number, number][] = [
          [4090, 12], [8191, 4098], [0, 1], [4095, 1], [4096, 1], [12287, 2], [1, 4094], [20000, 70000], [65535, 3],
          [4097, 8190], [100, 20000], [90000, 1],
        ];
        let salt = 1;
        for (const [off, len] of writes) {
          const d = pattern(len, salt++);
          img.write(off, d);
          await apply(tx().write(PG, o, off, d));
          sameBytes(await data(PG, o), img.bytes, `after write ${off}~${len}`);
        }
        for (const [off, len] of [[4093, 6], [8190, 3], [0, 4097], [4095, 8194], [12286, 1]] as const) {
          sameBytes(await store.read(PG, o, off, len), img.bytes.subarray(off, off + len), `read ${off}~${len}`);
        }
      });

      it('a write op may carry several buffers (a bufferlist)', async function () {
        const o = obj('list');
        const parts = [Buffer.from('ab'), Buffer.alloc(0), pattern(5000, 3), Buffer.from('z')];
        await apply(tx().write(PG, o, 4000, parts));
        const want = Buffer.alloc(4000 + 5003);
        Buffer.concat(parts).copy(want, 4000);
        sameBytes(await data(PG, o), want, 'gathered');
      });

      it('large writes (4 MiB and more) and overwrites inside them', async function () {
        this.timeout(60000);
        const o = obj('large');
        const img = new Image();
        const big = pattern(4 * MiB + 123, 9);
        img.write(1000, big);
        await apply(tx().write(PG, o, 1000, big));
        assert.equal((await store.stat(PG, o)).size, 4 * MiB + 1123);
        sameBytes(await data(PG, o), img.bytes, 'large');
        const mid = pattern(64 * KiB + 7, 4);
        img.write(2 * MiB - 3, mid);
        const aligned = pattern(4 * MiB, 5);
        img.write(4 * MiB, aligned);
        await apply(tx().write(PG, o, 2 * MiB - 3, mid).write(PG, o, 4 * MiB, aligned));
        sameBytes(await data(PG, o), img.bytes, 'after overwrites');
        sameBytes(await store.read(PG, o, 4 * MiB - 1, 2), img.bytes.subarray(4 * MiB - 1, 4 * MiB + 1), 'across 4 MiB');
      });

      it('a write of length 0 creates the object and does not change its size (BlueStore)', async function () {
        const o = obj('empty-write');
        await apply(tx().write(PG, o, 100, Buffer.alloc(0)));
        assert.equal((await store.stat(PG, o)).size, 0);
        await apply(tx().write(PG, o, 0, Buffer.from('abc')).write(PG, o, 50, []));
        assert.equal((await store.stat(PG, o)).size, 3);
      });

      it('zero: inside reads zeros, size unchanged; past the end extends; a missing object is created (BlueStore)', async function () {
        const o = obj('z');
        const img = new Image();
        const d = pattern(20000, 7);
        img.write(0, d);
        await apply(tx().write(PG, o, 0, d));
        img.zero(4000, 5000);
        await apply(tx().zero(PG, o, 4000, 5000));
        sameBytes(await data(PG, o), img.bytes, 'zero inside');
        assert.equal((await store.stat(PG, o)).size, 20000);
        img.zero(19000, 3000);
        await apply(tx().zero(PG, o, 19000, 3000));
        assert.equal((await store.stat(PG, o)).size, 22000);
        sameBytes(await data(PG, o), img.bytes, 'zero across the end');
        await apply(tx().zero(PG, o, 100, 0));
        assert.equal((await store.stat(PG, o)).size, 22000, 'zero of length 0 inside');
        const m = obj('z-missing');
        await apply(tx().zero(PG, m, 10, 90));
        assert.equal((await store.stat(PG, m)).size, 100);
        sameBytes(await data(PG, m), Buffer.alloc(100), 'created by zero');
      });

      it('truncate shrinks and grows; grown bytes read as zeros (old bytes do not come back)', async function () {
        const o = obj('tr');
        const d = pattern(3 * 4096 + 17, 2);
        await apply(tx().write(PG, o, 0, d));
        await apply(tx().truncate(PG, o, 5000));
        assert.equal((await store.stat(PG, o)).size, 5000);
        sameBytes(await data(PG, o), d.subarray(0, 5000), 'shrunk');
        await apply(tx().truncate(PG, o, 9000));
        const want = Buffer.alloc(9000);
        d.copy(want, 0, 0, 5000);
        sameBytes(await data(PG, o), want, 'grown again');
        await apply(tx().truncate(PG, o, 1).truncate(PG, o, 3 * 4096 + 17));
        const want2 = Buffer.alloc(3 * 4096 + 17);
        want2[0] = d[0]!;
        sameBytes(await data(PG, o), want2, 'shrink and grow in one transaction');
        await apply(tx().truncate(PG, o, 0));
        assert.equal((await store.stat(PG, o)).size, 0);
        sameBytes(await data(PG, o), Buffer.alloc(0), 'empty');
      });

      it('remove deletes data, attrs and omap; a recreated object starts empty', async function () {
        const o = obj('rm');
        await apply(tx().write(PG, o, 0, Buffer.from('data')).setattr(PG, o, 'a', Buffer.from('1'))
          .omapSetKeys(PG, o, new Map([['k', Buffer.from('v')]])).omapSetHeader(PG, o, Buffer.from('h')));
        await apply(tx().remove(PG, o));
        assert.equal(await store.exists(PG, o), false);
        await apply(tx().touch(PG, o));
        assert.equal((await store.stat(PG, o)).size, 0);
        assert.equal((await store.getattrs(PG, o)).size, 0);
        assert.equal((await store.omapIterate(PG, o, undefined, 10)).entries.length, 0);
        sameBytes(await store.omapGetHeader(PG, o), Buffer.alloc(0), 'header');
        // Remove and write again in one transaction.
        await apply(tx().write(PG, o, 0, Buffer.from('old')).remove(PG, o).write(PG, o, 2, Buffer.from('n')));
        sameBytes(await data(PG, o), Buffer.from('\0\0n'), 'rewritten');
      });

      it('malformed extents are EINVAL: negative, fractional, past OBJECT_SIZE_MAX, length not matching the data', async function () {
        const o = obj('bad');
        await apply(tx().write(PG, o, 0, Buffer.from('keep')));
        const cases: [string, Transaction][] = [
          ['write at -1', tx().write(PG, o, -1, Buffer.from('x'))],
          ['write at 1.5', tx().write(PG, o, 1.5, Buffer.from('x'))],
          ['write at NaN', tx().write(PG, o, Number.NaN, Buffer.from('x'))],
          ['write past the size limit', tx().write(PG, o, OBJECT_SIZE_MAX - 1, Buffer.from('xy'))],
          ['zero of length -1', tx().zero(PG, o, 0, -1)],
          ['zero past the size limit', tx().zero(PG, o, OBJECT_SIZE_MAX, 1)],
          ['truncate to -1', tx().truncate(PG, o, -1)],
          ['truncate past the size limit', tx().truncate(PG, o, OBJECT_SIZE_MAX + 1)],
          ['clone range of length -1', tx().cloneRange(PG, o, { ...o, snap: 1 }, 0, -1, 0)],
          ['clone range past the size limit', tx().cloneRange(PG, o, { ...o, snap: 1 }, 0, 4, OBJECT_SIZE_MAX - 2)],
        ];
        const lying = tx();
        lying.ops.push({ op: 'write', cid: PG, oid: o, offset: 0, length: 5, data: [Buffer.from('abc')] });
        cases.push(['write length not matching its data', lying]);
        for (const [what, t] of cases) {
          t.touch(PG, obj('never'));
          await rejects(store.queueTransaction(t), 'EINVAL', what);
        }
        sameBytes(await data(PG, o), Buffer.from('keep'), 'unchanged');
        assert.equal(await store.exists(PG, obj('never')), false);
        await rejects(store.read(PG, o, -1, 1), 'EINVAL', 'read at -1');
        await rejects(store.read(PG, o, 0, -1), 'EINVAL', 'read of length -1');
      });

      it('an object op naming the max object, or names past NAME_BYTES_MAX, is EINVAL', async function () {
        await rejects(store.queueTransaction(tx().touch(PG, OBJECT_MAX)), 'EINVAL', 'max object');
        await rejects(store.queueTransaction(tx().touch(PG, obj('n'.repeat(NAME_BYTES_MAX + 1)))), 'EINVAL', 'long oid');
        await rejects(store.queueTransaction(tx().setattr(PG, obj('a'), 'n'.repeat(NAME_BYTES_MAX + 1), Buffer.alloc(1))), 'EINVAL', 'long attr name');
        await rejects(store.queueTransaction(tx().omapSetKeys(PG, obj('a'), new Map([['\u00e9'.repeat(NAME_BYTES_MAX / 2 + 1), Buffer.alloc(1)]]))), 'EINVAL', 'long omap key (bytes, not chars)');
        await apply(tx().touch(PG, obj('n'.repeat(NAME_BYTES_MAX))).setattr(PG, obj('a'), 'n'.repeat(NAME_BYTES_MAX), Buffer.alloc(1)));
        assert.equal(await store.exists(PG, obj('n'.repeat(NAME_BYTES_MAX))), true);
      });
    });

    // ------------------------------------------------------------------------------------------
    describe('transactions', function () {
      it('is all-or-nothing: a failing op mid-transaction leaves no trace of any op', async function () {
        const a = obj('a');
        const b = obj('b');
        await apply(tx().write(PG, a, 0, Buffer.from('original')).setattr(PG, a, 'x', Buffer.from('1'))
          .omapSetKeys(PG, a, new Map([['k1', Buffer.from('v1')]])));
        const failing: [string, string, (t: Transaction) => void][] = [
          ['ENOENT', 'clone of a missing object', (t) => t.clone(PG, obj('missing'), obj('missing', undefined, { snap: 3 }))],
          ['ENOENT', 'op on a missing collection', (t) => t.touch('5.0_head', a)],
          ['EEXIST', 'mkcoll of an existing collection', (t) => t.createCollection(PG, 0)],
          ['ENOTEMPTY', 'rmcoll of a full collection', (t) => t.removeCollection(PG)],
          ['EINVAL', 'negative offset', (t) => t.write(PG, a, -5, Buffer.from('x'))],
          ['ENOENT', 'move of a missing object', (t) => t.collectionMoveRename(PG, obj('missing'), PG, obj('else'))],
        ];
        for (const [code, what, bad] of failing) {
          const t = tx()
            .write(PG, a, 0, Buffer.from('CHANGED!'))
            .truncate(PG, a, 3)
            .setattr(PG, a, 'x', Buffer.from('2'))
            .rmattr(PG, a, 'x')
            .omapSetKeys(PG, a, new Map([['k2', Buffer.from('v2')]]))
            .omapRmKeys(PG, a, ['k1'])
            .omapSetHeader(PG, a, Buffer.from('hdr'))
            .write(PG, b, 0, Buffer.from('new object'))
            .createCollection('4.0_head', 0)
            .clone(PG, a, { ...a, snap: 4 });
          bad(t);
          t.remove(PG, a).write(PG, obj('after'), 0, Buffer.from('z'));
          await rejects(store.queueTransaction(t), code, what);
          sameBytes(await data(PG, a), Buffer.from('original'), `${what}: data`);
          sameBytes(await store.getattr(PG, a, 'x'), Buffer.from('1'), `${what}: attr`);
          assert.deepEqual([...(await store.omapGetValues(PG, a, ['k1', 'k2'])).keys()], ['k1'], `${what}: omap`);
          sameBytes(await store.omapGetHeader(PG, a), Buffer.alloc(0), `${what}: header`);
          assert.equal(await store.exists(PG, b), false, `${what}: new object`);
          assert.equal(await store.exists(PG, { ...a, snap: 4 }), false, `${what}: clone`);
          assert.equal(await store.collectionExists('4.0_head'), false, `${what}: collection`);
          assert.equal(await store.exists(PG, obj('after')), false, `${what}: op after the failure`);
        }
        // The store still takes transactions.
        await apply(tx().write(PG, b, 0, Buffer.from('ok')));
        sameBytes(await data(PG, b), Buffer.from('ok'), 'afterwards');
      });

      it('ops see the state the earlier ops of their transaction leave', async function () {
        const a = obj('a');
        const s = { ...a, snap: 2 };
        await apply(tx().write(PG, a, 0, Buffer.from('abc')).clone(PG, a, s).write(PG, a, 0, Buffer.from('X'))
          .cloneRange(PG, s, a, 1, 2, 5));
        sameBytes(await data(PG, s), Buffer.from('abc'), 'clone of the first write');
        sameBytes(await data(PG, a), Buffer.from('Xbc\0\0bc'), 'range from the clone');
        // Moving an object then cloning it under its new name.
        await apply(tx().collectionMoveRename(PG, a, PG, obj('moved')).clone(PG, obj('moved'), obj('moved', undefined, { snap: 9 })));
        assert.equal(await store.exists(PG, a), false);
        sameBytes(await data(PG, obj('moved', undefined, { snap: 9 })), Buffer.from('Xbc\0\0bc'), 'moved then cloned');
      });

      it('tolerates a missing object for remove, truncate, rmattr(s), omapClear, omapRmKeys, omapRmKeyRange', async function () {
        const m = obj('missing');
        await apply(tx().remove(PG, m).truncate(PG, m, 100).rmattr(PG, m, 'a').rmattrs(PG, m).omapClear(PG, m)
          .omapRmKeys(PG, m, ['k']).omapRmKeyRange(PG, m, 'a', 'z').touch(PG, obj('marker')));
        assert.equal(await store.exists(PG, m), false, 'none of them creates it');
        assert.equal(await store.exists(PG, obj('marker')), true, 'the transaction applied');
        assert.equal(await store.collectionEmpty(PG), false);
      });

      it('creates a missing object for touch, write, zero, setattrs, omapSetKeys, omapSetHeader', async function () {
        const make: [string, (t: Transaction, o: GHObject) => void][] = [
          ['touch', (t, o) => t.touch(PG, o)],
          ['write', (t, o) => t.write(PG, o, 0, Buffer.from('x'))],
          ['zero', (t, o) => t.zero(PG, o, 0, 4)],
          ['setattrs', (t, o) => t.setattrs(PG, o, new Map([['a', Buffer.from('1')]]))],
          ['omapSetKeys', (t, o) => t.omapSetKeys(PG, o, new Map([['k', Buffer.from('v')]]))],
          ['omapSetHeader', (t, o) => t.omapSetHeader(PG, o, Buffer.from('h'))],
        ];
        for (const [what, build] of make) {
          const o = obj(`by-${what}`);
          const t = tx();
          build(t, o);
          await apply(t);
          assert.equal(await store.exists(PG, o), true, what);
        }
      });

      it('over TX_OPS_MAX ops or TX_DATA_BYTES_MAX data bytes is E2BIG and applies nothing', async function () {
        this.timeout(60000);
        const many = tx();
        for (let i = 0; i <= TX_OPS_MAX; i++) many.touch(PG, obj('same'));
        await rejects(store.queueTransaction(many), 'E2BIG', 'ops');
        assert.equal(await store.exists(PG, obj('same')), false);
        const chunk = Buffer.alloc(MiB, 1);
        const heavy = tx();
        for (let n = 0; n * MiB <= TX_DATA_BYTES_MAX; n++) heavy.write(PG, obj('heavy'), 0, chunk);
        await rejects(store.queueTransaction(heavy), 'E2BIG', 'data bytes');
        assert.equal(await store.exists(PG, obj('heavy')), false);
      });

      it('transactions queued without waiting apply in submission order', async function () {
        this.timeout(60000);
        const o = obj('order');
        const n = 100;
        const pending: Promise<void>[] = [];
        for (let i = 0; i < n; i++) {
          const rec = Buffer.alloc(8);
          rec.writeUInt32LE(i, 0);
          rec.writeUInt32LE(i * 7 + 1, 4);
          // Each one truncates to its own start: one applied out of order would cut later records off.
          const t = tx().truncate(PG, o, i * 8).write(PG, o, i * 8, rec).setattr(PG, o, 'last', Buffer.from(String(i)))
            .omapSetKeys(PG, o, new Map([['last', rec], [`k${String(i).padStart(3, '0')}`, rec]]));
          if (i % 10 === 0) t.omapRmKeyRange(PG, o, 'k', `k${String(i).padStart(3, '0')}`);
          pending.push(store.queueTransaction(t));
        }
        await Promise.all(pending);
        const got = await data(PG, o);
        assert.equal(got.length, n * 8);
        for (let i = 0; i < n; i++) assert.equal(got.readUInt32LE(i * 8), i, `record ${i}`);
        sameBytes(await store.getattr(PG, o, 'last'), Buffer.from(String(n - 1)), 'last attr');
        const keys = (await store.omapIterate(PG, o, undefined, 1000)).entries.map(([k]) => k);
        assert.deepEqual(keys, Array.from({ length: 10 }, (_, i) => `k${String(90 + i).padStart(3, '0')}`).concat(['last']));
      });

      it('a rejected transaction among queued ones does not disturb the others', async function () {
        const o = obj('mixed');
        const p1 = store.queueTransaction(tx().write(PG, o, 0, Buffer.from('one')));
        const p2 = store.queueTransaction(tx().write(PG, o, 0, Buffer.from('TWO')).clone(PG, obj('ghost'), obj('ghost', undefined, { snap: 1 })));
        const p3 = store.queueTransaction(tx().write(PG, o, 3, Buffer.from('three')));
        await p1;
        await rejects(p2, 'ENOENT', 'the middle one');
        await p3;
        sameBytes(await data(PG, o), Buffer.from('onethree'), 'first and third');
      });

      it('reads after commit see the whole transaction', async function () {
        this.timeout(60000);
        const t = tx();
        const objs: GHObject[] = [];
        for (let i = 0; i < 20; i++) {
          const o = obj(`whole${i}`, 0x1000 + i);
          objs.push(o);
          t.write(PG, o, i * 1000, pattern(i === 7 ? 2 * MiB : 3000, i)).setattr(PG, o, '_', Buffer.from([i]))
            .omapSetKeys(PG, o, new Map([['i', Buffer.from([i])]]));
        }
        await store.queueTransaction(t);
        for (let i = 0; i < 20; i++) {
          const o = objs[i]!;
          const want = Buffer.alloc(i * 1000 + (i === 7 ? 2 * MiB : 3000));
          pattern(i === 7 ? 2 * MiB : 3000, i).copy(want, i * 1000);
          sameBytes(await data(PG, o), want, `object ${i}`);
          sameBytes(await store.getattr(PG, o, '_'), Buffer.from([i]), `attr ${i}`);
          sameBytes((await store.omapGetValues(PG, o, ['i'])).get('i') ?? Buffer.alloc(0), Buffer.from([i]), `omap ${i}`);
        }
      });

      it('the store copies what it is given and what it returns', async function () {
        const o = obj('copies');
        const d = Buffer.from('original-data');
        const v = Buffer.from('attr-value');
        const k = Buffer.from('omap-value');
        const h = Buffer.from('header');
        await apply(tx().write(PG, o, 0, d).setattr(PG, o, 'a', v).omapSetKeys(PG, o, new Map([['k', k]])).omapSetHeader(PG, o, h));
        d.fill(0x21);
        v.fill(0x21);
        k.fill(0x21);
        h.fill(0x21);
        const r = await data(PG, o);
        sameBytes(r, Buffer.from('original-data'), 'data after the caller reused its buffer');
        r.fill(0x22);
        sameBytes(await data(PG, o), Buffer.from('original-data'), 'data after the caller changed a read');
        const a = await store.getattr(PG, o, 'a');
        sameBytes(a, Buffer.from('attr-value'), 'attr');
        a.fill(0x22);
        (await store.getattrs(PG, o)).get('a')!.fill(0x22);
        sameBytes(await store.getattr(PG, o, 'a'), Buffer.from('attr-value'), 'attr after changing reads');
        (await store.omapGetValues(PG, o, ['k'])).get('k')!.fill(0x22);
        (await store.omapIterate(PG, o, undefined, 10)).entries[0]![1].fill(0x22);
        sameBytes((await store.omapGetValues(PG, o, ['k'])).get('k')!, Buffer.from('omap-value'), 'omap');
        (await store.omapGetHeader(PG, o)).fill(0x22);
        sameBytes(await store.omapGetHeader(PG, o), Buffer.from('header'), 'header');
      });
    });

    // ------------------------------------------------------------------------------------------
    describe('attrs', function () {
      it('binary, empty and unicode-named attrs; overwrite; getattrs returns them all', async function () {
        const o = obj('attrs');
        const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
        const big = pattern(10000, 5);
        await apply(tx().setattrs(PG, o, new Map([['bin', all], ['empty', Buffer.alloc(0)], ['\u00e9t\u00e9 \u{1F600}', Buffer.from('u')], ['', Buffer.from('noname')], ['big', big]])));
        sameBytes(await store.getattr(PG, o, 'bin'), all, 'binary');
        sameBytes(await store.getattr(PG, o, 'empty'), Buffer.alloc(0), 'empty value');
        sameBytes(await store.getattr(PG, o, '\u00e9t\u00e9 \u{1F600}'), Buffer.from('u'), 'unicode name');
        sameBytes(await store.getattr(PG, o, ''), Buffer.from('noname'), 'empty name');
        sameBytes(await store.getattr(PG, o, 'big'), big, 'big value');
        await apply(tx().setattr(PG, o, 'bin', Buffer.from('replaced')).setattr(PG, o, 'empty', Buffer.from('now set')));
        const m = await store.getattrs(PG, o);
        assert.deepEqual([...m.keys()].sort(), ['', 'big', 'bin', 'empty', '\u00e9t\u00e9 \u{1F600}'].sort());
        sameBytes(m.get('bin')!, Buffer.from('replaced'), 'overwritten');
        sameBytes(m.get('empty')!, Buffer.from('now set'), 'overwritten empty');
        assert.equal((await store.stat(PG, o)).size, 0, 'attrs do not change the size');
      });

      it('getattr of a missing name is ENODATA; an empty value is not missing', async function () {
        const o = obj('nodata');
        await apply(tx().setattr(PG, o, 'e', Buffer.alloc(0)));
        await rejects(store.getattr(PG, o, 'absent'), 'ENODATA');
        sameBytes(await store.getattr(PG, o, 'e'), Buffer.alloc(0), 'empty');
      });

      it('rmattr removes one (a missing name does nothing); rmattrs removes all; data and omap stay', async function () {
        const o = obj('rma');
        await apply(tx().write(PG, o, 0, Buffer.from('d')).setattrs(PG, o, new Map([['a', Buffer.from('1')], ['b', Buffer.from('2')], ['c', Buffer.from('3')]]))
          .omapSetKeys(PG, o, new Map([['k', Buffer.from('v')]])));
        await apply(tx().rmattr(PG, o, 'b').rmattr(PG, o, 'nope'));
        assert.deepEqual([...(await store.getattrs(PG, o)).keys()].sort(), ['a', 'c']);
        await rejects(store.getattr(PG, o, 'b'), 'ENODATA');
        await apply(tx().rmattrs(PG, o));
        assert.equal((await store.getattrs(PG, o)).size, 0);
        sameBytes(await data(PG, o), Buffer.from('d'), 'data');
        assert.equal((await store.omapGetValues(PG, o, ['k'])).size, 1);
        await apply(tx().rmattrs(PG, o).setattr(PG, o, 'z', Buffer.from('after')));
        assert.deepEqual([...(await store.getattrs(PG, o)).keys()], ['z']);
      });

      it('attrs survive writes, truncates and zeros', async function () {
        const o = obj('keep');
        await apply(tx().setattr(PG, o, 'a', Buffer.from('1')).write(PG, o, 0, pattern(9000, 1)).truncate(PG, o, 10).zero(PG, o, 0, 5000));
        sameBytes(await store.getattr(PG, o, 'a'), Buffer.from('1'), 'attr');
      });
    });

    // ------------------------------------------------------------------------------------------
    describe('omap', function () {
      it('set keys, header, get values (existing keys only, in key order)', async function () {
        const o = obj('om');
        await apply(tx().touch(PG, o));
        sameBytes(await store.omapGetHeader(PG, o), Buffer.alloc(0), 'no header yet');
        const bin = Buffer.from([0, 255, 0, 1]);
        await apply(tx().omapSetKeys(PG, o, new Map([['b', Buffer.from('2')], ['a', Buffer.from('1')], ['', Buffer.from('empty key')], ['bin', bin], ['nil', Buffer.alloc(0)]]))
          .omapSetHeader(PG, o, Buffer.from([1, 2, 3])));
        sameBytes(await store.omapGetHeader(PG, o), Buffer.from([1, 2, 3]), 'header');
        const got = await store.omapGetValues(PG, o, ['nil', 'zz', 'b', 'a', '', 'bin', 'a']);
        assert.deepEqual([...got.keys()], ['', 'a', 'b', 'bin', 'nil']);
        sameBytes(got.get('')!, Buffer.from('empty key'), 'empty key');
        sameBytes(got.get('bin')!, bin, 'binary value');
        sameBytes(got.get('nil')!, Buffer.alloc(0), 'empty value');
        await apply(tx().omapSetKeys(PG, o, new Map([['a', Buffer.from('one')]])).omapSetHeader(PG, o, Buffer.alloc(0)));
        sameBytes((await store.omapGetValues(PG, o, ['a'])).get('a')!, Buffer.from('one'), 'overwritten');
        sameBytes(await store.omapGetHeader(PG, o), Buffer.alloc(0), 'header set empty');
      });

      it('keys are in byte (UTF-8) order, not UTF-16 order', async function () {
        const o = obj('order');
        const keys = ['\u{10000}', '\uffff', 'a', 'Z', '\u00e9', '', 'a\u0000', 'ab', '\u007f', '\u0080', '\ud7ff', '\ue000'];
        await apply(tx().omapSetKeys(PG, o, new Map(keys.map((k) => [k, Buffer.from(k)]))));
        const want = keys.slice().sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
        assert.deepEqual(want.indexOf('\uffff') < want.indexOf('\u{10000}'), true);
        const got = (await store.omapIterate(PG, o, undefined, 100)).entries.map(([k]) => k);
        assert.deepEqual(got, want);
        assert.deepEqual([...(await store.omapGetValues(PG, o, keys)).keys()], want);
        const after = (await store.omapIterate(PG, o, '\uffff', 100)).entries.map(([k]) => k);
        assert.deepEqual(after, ['\u{10000}']);
      });

      it('omapIterate pages: strictly after the cursor, at most max, more until the last key', async function () {
        const o = obj('pages');
        const keys = Array.from({ length: 21 }, (_, i) => `key${String(i * 3).padStart(3, '0')}`);
        await apply(tx().omapSetKeys(PG, o, new Map(keys.map((k, i) => [k, Buffer.from([i])]))));
        const seen: string[] = [];
        let after: string | undefined;
        let pages = 0;
        for (;;) {
          const p = await store.omapIterate(PG, o, after, 7);
          pages++;
          assert.ok(p.entries.length <= 7);
          for (const [k, v] of p.entries) {
            seen.push(k);
            sameBytes(v, Buffer.from([keys.indexOf(k)]), `value of ${k}`);
          }
          if (!p.more) break;
          after = p.entries[p.entries.length - 1]![0];
        }
        assert.deepEqual(seen, keys);
        assert.equal(pages, 3, 'a last full page says no more');
        const mid = await store.omapIterate(PG, o, 'key010', 2);
        assert.deepEqual(mid.entries.map(([k]) => k), ['key012', 'key015']);
        assert.equal(mid.more, true);
        const exact = await store.omapIterate(PG, o, 'key012', 1);
        assert.deepEqual(exact.entries.map(([k]) => k), ['key015'], 'after an existing key excludes it');
        const end = await store.omapIterate(PG, o, 'key060', 5);
        assert.deepEqual(end, { entries: [], more: false });
        const none = await store.omapIterate(PG, o, undefined, 0);
        assert.equal(none.entries.length, 0);
        assert.equal(none.more, true);
        const empty = obj('empty-omap');
        await apply(tx().touch(PG, empty));
        assert.deepEqual(await store.omapIterate(PG, empty, undefined, 10), { entries: [], more: false });
      });

      it('omapRmKeyRange removes first <= k < last exactly; first >= last removes nothing', async function () {
        const o = obj('range');
        const keys = ['', 'a', 'aa', 'ab', 'b', 'ba', 'c', 'd', '\u00e9', '\u{10000}'];
        const reset = (): Transaction => tx().omapClear(PG, o).omapSetKeys(PG, o, new Map(keys.map((k) => [k, Buffer.from('v')])));
        const cases: [string, string, string[]][] = [
          ['a', 'b', ['', 'b', 'ba', 'c', 'd', '\u00e9', '\u{10000}']],
          ['aa', 'ab', ['', 'a', 'ab', 'b', 'ba', 'c', 'd', '\u00e9', '\u{10000}']],
          ['a0', 'b0', ['', 'a', 'ba', 'c', 'd', '\u00e9', '\u{10000}']],
          ['', 'a', ['a', 'aa', 'ab', 'b', 'ba', 'c', 'd', '\u00e9', '\u{10000}']],
          ['c', 'c', keys],
          ['d', 'a', keys],
          ['d', '\u{10000}', ['', 'a', 'aa', 'ab', 'b', 'ba', 'c', '\u{10000}']],
          ['\uffff', '\u{10001}', ['', 'a', 'aa', 'ab', 'b', 'ba', 'c', 'd', '\u00e9']],
          ['', '\u{10FFFF}', []],
        ];
        for (const [first, last, left] of cases) {
          await apply(reset().omapRmKeyRange(PG, o, first, last));
          const got = (await store.omapIterate(PG, o, undefined, 100)).entries.map(([k]) => k);
          assert.deepEqual(got, left, `range [${JSON.stringify(first)}, ${JSON.stringify(last)})`);
        }
      });

      it('omapRmKeys removes the named keys (missing ones are ignored); omapClear removes keys and header (BlueStore)', async function () {
        const o = obj('rmk');
        await apply(tx().omapSetKeys(PG, o, new Map([['a', Buffer.from('1')], ['b', Buffer.from('2')], ['c', Buffer.from('3')]])).omapSetHeader(PG, o, Buffer.from('h'))
          .write(PG, o, 0, Buffer.from('data')).setattr(PG, o, 'x', Buffer.from('y')));
        await apply(tx().omapRmKeys(PG, o, ['a', 'zz', 'c']));
        assert.deepEqual([...(await store.omapGetValues(PG, o, ['a', 'b', 'c'])).keys()], ['b']);
        await apply(tx().omapClear(PG, o));
        assert.deepEqual(await store.omapIterate(PG, o, undefined, 10), { entries: [], more: false });
        sameBytes(await store.omapGetHeader(PG, o), Buffer.alloc(0), 'header cleared');
        sameBytes(await data(PG, o), Buffer.from('data'), 'data stays');
        sameBytes(await store.getattr(PG, o, 'x'), Buffer.from('y'), 'attrs stay');
        await apply(tx().truncate(PG, o, 0).omapSetKeys(PG, o, new Map([['k', Buffer.from('v')]])).truncate(PG, o, 0));
        assert.equal((await store.omapGetValues(PG, o, ['k'])).size, 1, 'omap survives truncate');
      });

      it('many keys with large values', async function () {
        const o = obj('bulk');
        const m = new Map<string, Buffer>();
        for (let i = 0; i < 500; i++) m.set(`${String(i).padStart(5, '0')}.key`, pattern(i % 7 === 0 ? 5000 : 40, i));
        await apply(tx().omapSetKeys(PG, o, m));
        const got: [string, Buffer][] = [];
        let after: string | undefined;
        for (;;) {
          const p = await store.omapIterate(PG, o, after, 64);
          got.push(...p.entries);
          if (!p.more) break;
          after = p.entries[p.entries.length - 1]![0];
        }
        assert.equal(got.length, 500);
        for (const [k, v] of got) sameBytes(v, m.get(k)!, k);
      });
    });

    // ------------------------------------------------------------------------------------------
    describe('clone and cloneRange', function () {
      it('clone copies data, attrs, omap header and keys; the two are independent afterwards', async function () {
        const a = obj('src', 0xabc);
        const c = { ...a, snap: 4 };
        const d = pattern(3 * 4096 + 100, 1);
        await apply(tx().write(PG, a, 0, d).setattrs(PG, a, new Map([['_', Buffer.from('oi')], ['snapset', Buffer.from('ss')]]))
          .omapSetHeader(PG, a, Buffer.from('hdr')).omapSetKeys(PG, a, new Map([['k1', Buffer.from('v1')], ['k2', Buffer.from('v2')]])));
        await apply(tx().clone(PG, a, c));
        sameBytes(await data(PG, c), d, 'cloned data');
        assert.deepEqual([...(await store.getattrs(PG, c)).keys()].sort(), ['_', 'snapset']);
        sameBytes(await store.omapGetHeader(PG, c), Buffer.from('hdr'), 'cloned header');
        assert.deepEqual([...(await store.omapGetValues(PG, c, ['k1', 'k2'])).keys()], ['k1', 'k2']);
        // Change the source: the clone keeps what it had.
        await apply(tx().write(PG, a, 4000, Buffer.from('SOURCE')).truncate(PG, a, 5000).setattr(PG, a, '_', Buffer.from('new'))
          .omapRmKeys(PG, a, ['k1']).omapSetHeader(PG, a, Buffer.from('H2')));
        sameBytes(await data(PG, c), d, 'clone after source writes');
        sameBytes(await store.getattr(PG, c, '_'), Buffer.from('oi'), 'clone attr');
        assert.equal((await store.omapGetValues(PG, c, ['k1'])).size, 1, 'clone omap');
        sameBytes(await store.omapGetHeader(PG, c), Buffer.from('hdr'), 'clone header');
        // Change the clone: the source keeps what it has.
        const srcNow = await data(PG, a);
        await apply(tx().write(PG, c, 0, Buffer.from('CLONE')).zero(PG, c, 4096, 4096).omapSetKeys(PG, c, new Map([['k3', Buffer.from('v3')]])).rmattrs(PG, c));
        sameBytes(await data(PG, a), srcNow, 'source after clone writes');
        assert.equal((await store.omapGetValues(PG, a, ['k3'])).size, 0);
        sameBytes(await store.getattr(PG, a, '_'), Buffer.from('new'), 'source attr');
        // Remove the source: the clone stays.
        await apply(tx().remove(PG, a));
        const want = Buffer.from(d);
        want.write('CLONE', 0);
        want.fill(0, 4096, 8192);
        sameBytes(await data(PG, c), want, 'clone after the source is gone');
      });

      it('clone replaces an existing destination whole', async function () {
        const a = obj('s2', 7);
        const c = { ...a, snap: 1 };
        await apply(tx().write(PG, c, 0, pattern(10000, 3)).setattr(PG, c, 'old', Buffer.from('1')).omapSetKeys(PG, c, new Map([['old', Buffer.from('1')]]))
          .omapSetHeader(PG, c, Buffer.from('oldh')).write(PG, a, 0, Buffer.from('small')));
        await apply(tx().clone(PG, a, c));
        sameBytes(await data(PG, c), Buffer.from('small'), 'data replaced');
        assert.equal((await store.getattrs(PG, c)).size, 0, 'attrs replaced');
        assert.deepEqual(await store.omapIterate(PG, c, undefined, 10), { entries: [], more: false });
        sameBytes(await store.omapGetHeader(PG, c), Buffer.alloc(0), 'header replaced');
      });

      it('clone: ENOENT for a missing source, EINVAL for another hash or onto itself (BlueStore)', async function () {
        const a = obj('s3', 0x10);
        await apply(tx().write(PG, a, 0, Buffer.from('x')));
        await rejects(store.queueTransaction(tx().clone(PG, obj('nope', 0x10), { ...a, snap: 1 })), 'ENOENT', 'missing source');
        await rejects(store.queueTransaction(tx().clone(PG, a, obj('s3', 0x11, { snap: 1 }))), 'EINVAL', 'another hash');
        await rejects(store.queueTransaction(tx().clone(PG, a, a)), 'EINVAL', 'onto itself');
        assert.equal((await store.listObjects(PG, undefined, undefined, 10)).objects.length, 1);
      });

      it('cloneRange copies a range into dest at an offset; the rest of dest, its attrs and the source stay', async function () {
        const a = obj('cr', 0x22);
        const b = obj('cr-dest', 0x22);
        const src = pattern(3 * MiB + 5, 1);
        const dst = pattern(100000, 2);
        await apply(tx().write(PG, a, 0, src).write(PG, b, 0, dst).setattr(PG, b, 'mine', Buffer.from('yes')));
        const img = new Image();
        img.write(0, dst);
        img.write(4093, src.subarray(12345, 12345 + 70000));
        await apply(tx().cloneRange(PG, a, b, 12345, 70000, 4093));
        sameBytes(await data(PG, b), img.bytes, 'inside dest');
        img.write(MiB + 1, src.subarray(7, 7 + 2 * MiB));
        await apply(tx().cloneRange(PG, a, b, 7, 2 * MiB, MiB + 1));
        sameBytes(await data(PG, b), img.bytes, 'extending dest, unaligned, past 1 MiB');
        sameBytes(await store.getattr(PG, b, 'mine'), Buffer.from('yes'), 'dest attrs stay');
        sameBytes(await data(PG, a), src, 'source unchanged');
        // Independence after the copy.
        await apply(tx().write(PG, a, 12345, Buffer.alloc(70000, 0xee)));
        sameBytes(await data(PG, b), img.bytes, 'dest after the source changes');
        // A new dest; length 0 creates it without data.
        const n = obj('cr-new', 0x33);
        await apply(tx().cloneRange(PG, a, n, 10, 0, 500));
        assert.equal((await store.stat(PG, n)).size, 0);
        await apply(tx().cloneRange(PG, a, n, 0, 10, 500));
        const want = Buffer.alloc(510);
        src.copy(want, 500, 0, 10);
        sameBytes(await data(PG, n), want, 'new dest with a leading hole');
      });

      it('cloneRange: ENOENT for a missing source, EINVAL past the source size or onto itself (BlueStore)', async function () {
        const a = obj('crs');
        await apply(tx().write(PG, a, 0, Buffer.from('0123456789')));
        await rejects(store.queueTransaction(tx().cloneRange(PG, obj('none'), a, 0, 1, 0)), 'ENOENT', 'missing source');
        await rejects(store.queueTransaction(tx().cloneRange(PG, a, obj('d'), 5, 6, 0)), 'EINVAL', 'past the size');
        await rejects(store.queueTransaction(tx().cloneRange(PG, a, a, 0, 2, 4)), 'EINVAL', 'onto itself');
        await apply(tx().cloneRange(PG, a, obj('d'), 5, 5, 0));
        sameBytes(await data(PG, obj('d')), Buffer.from('56789'), 'up to the size exactly');
      });
    });

    // ------------------------------------------------------------------------------------------
    describe('listing', function () {
      function sample(): GHObject[] {
        const out: GHObject[] = [];
        const hashes = [0, 1, 2, 0x80000000, 0x7fffffff, 0xffffffff, 0x12345678, 0x00010000, 0x10];
        for (const h of hashes) {
          out.push(obj('a', h), obj('b', h), obj('a', h, { snap: 3 }), obj('a', h, { snap: 0 }), obj('a', h, { nspace: 'ns' }));
        }
        out.push(obj('k', 5, { key: 'zz' }), obj('zz', 5), obj('\u00e9', 5), obj('\u{1F600}', 5), obj('', 5));
        out.push(obj('gen', 9, { generation: 3 }), obj('gen', 9, { generation: 0 }), obj('gen', 9, { snap: -1 }));
        out.push(makeObject(-3, 'temp', 9), makeObject(2, 'otherpool', 9), makeObject(1, 'shard', 9, { shard: 2 }));
        return out;
      }

      async function fill(): Promise<GHObject[]> {
        const objs = sample();
        const t = tx();
        for (const o of objs) t.touch(PG, o);
        await apply(t);
        return objs.slice().sort(compareObjects);
      }

      function texts(l: readonly GHObject[]): string[] {
        return l.map(objectText);
      }

      it('lists every object once in compareObjects order', async function () {
        const want = await fill();
        const got = await store.listObjects(PG, undefined, undefined, 1000);
        assert.deepEqual(texts(got.objects), texts(want));
        assert.equal(got.next, undefined);
        for (let i = 1; i < got.objects.length; i++) assert.ok(compareObjects(got.objects[i - 1]!, got.objects[i]!) < 0);
      });

      it('pages through the cursor: next is the first object not returned', async function () {
        const want = await fill();
        for (const size of [1, 7, want.length - 1, want.length]) {
          const seen: GHObject[] = [];
          let cursor: GHObject | undefined;
          for (let guard = 0; guard <= want.length + 1; guard++) {
            const p = await store.listObjects(PG, cursor, undefined, size);
            assert.ok(p.objects.length <= size);
            seen.push(...p.objects);
            if (!p.next) break;
            assert.equal(p.objects.length, size, 'a short page ends the listing');
            assert.equal(objectText(p.next), objectText(want[seen.length]!), 'next is the following object');
            cursor = p.next;
          }
          assert.deepEqual(texts(seen), texts(want), `pages of ${size}`);
        }
      });

      it('start is inclusive, end exclusive, max 0 returns none', async function () {
        const want = await fill();
        const s = want[5]!;
        const e = want[12]!;
        const r = await store.listObjects(PG, s, e, 100);
        assert.deepEqual(texts(r.objects), texts(want.slice(5, 12)));
        assert.equal(r.next, undefined, 'nothing left before end');
        const r2 = await store.listObjects(PG, s, e, 3);
        assert.deepEqual(texts(r2.objects), texts(want.slice(5, 8)));
        assert.equal(objectText(r2.next!), objectText(want[8]!));
        const r3 = await store.listObjects(PG, s, OBJECT_MAX, 1000);
        assert.deepEqual(texts(r3.objects), texts(want.slice(5)));
        const r4 = await store.listObjects(PG, e, s, 10);
        assert.deepEqual(r4.objects, [], 'start after end');
        const r5 = await store.listObjects(PG, undefined, undefined, 0);
        assert.deepEqual(r5.objects, []);
        assert.equal(objectText(r5.next!), objectText(want[0]!));
        // A cursor that is not an object of the collection: from the next one in order.
        const between = { ...want[3]!, oid: `${want[3]!.oid}\u0000` };
        const idx = want.findIndex((o) => compareObjects(o, between) > 0);
        const r6 = await store.listObjects(PG, between, undefined, 2);
        assert.deepEqual(texts(r6.objects), texts(want.slice(idx, idx + 2)));
        assert.deepEqual((await store.listObjects(PG, OBJECT_MAX, undefined, 10)).objects, []);
      });

      it('an empty collection lists nothing; removed objects leave the listing', async function () {
        assert.deepEqual(await store.listObjects(PG, undefined, undefined, 10), { objects: [], next: undefined });
        const want = await fill();
        const t = tx();
        for (let i = 0; i < want.length; i += 2) t.remove(PG, want[i]!);
        await apply(t);
        const got = await store.listObjects(PG, undefined, undefined, 1000);
        assert.deepEqual(texts(got.objects), texts(want.filter((_, i) => i % 2 === 1)));
        for (let i = 0; i < want.length; i++) assert.equal(await store.exists(PG, want[i]!), i % 2 === 1);
      });
    });

    // ------------------------------------------------------------------------------------------
    describe('split and move', function () {
      it('splitCollection moves exactly the objects whose low bits match, with their contents, and sets bits', async function () {
        const parent = pgCollection(1, 1);
        const child = pgCollection(1, 5);
        await apply(tx().createCollection(parent, 2));
        const objs: GHObject[] = [];
        const t = tx();
        for (let i = 0; i < 64; i++) {
          const h = (((i * 0x9e3779b1) >>> 0) & ~0x7) | (i % 2 === 0 ? 1 : 5);
          const o = obj(`o${i}`, h >>> 0);
          objs.push(o);
          t.write(parent, o, 0, Buffer.from(`data${i}`)).setattr(parent, o, 'i', Buffer.from([i])).omapSetKeys(parent, o, new Map([['i', Buffer.from([i])]]));
        }
        await apply(t);
        await apply(tx().createCollection(child, 3).splitCollection(parent, 3, 5, child));
        assert.equal(await store.collectionBits(parent), 3);
        assert.equal(await store.collectionBits(child), 3);
        const inParent = (await store.listObjects(parent, undefined, undefined, 1000)).objects.map(objectText).sort();
        const inChild = (await store.listObjects(child, undefined, undefined, 1000)).objects.map(objectText).sort();
        assert.deepEqual(inParent, objs.filter((o) => (o.hash & 7) === 1).map(objectText).sort());
        assert.deepEqual(inChild, objs.filter((o) => (o.hash & 7) === 5).map(objectText).sort());
        for (let i = 0; i < 64; i++) {
          const o = objs[i]!;
          const c = (o.hash & 7) === 5 ? child : parent;
          sameBytes(await data(c, o), Buffer.from(`data${i}`), `data of ${i}`);
          sameBytes(await store.getattr(c, o, 'i'), Buffer.from([i]), `attr of ${i}`);
          sameBytes((await store.omapGetValues(c, o, ['i'])).get('i')!, Buffer.from([i]), `omap of ${i}`);
          assert.equal(await store.exists(c === child ? parent : child, o), false);
        }
        // Split again, with rem given unmasked (only its low bits count).
        const grandchild = pgCollection(1, 0xd);
        await apply(tx().createCollection(grandchild, 4).splitCollection(child, 4, 0xfd, grandchild));
        const inGrand = (await store.listObjects(grandchild, undefined, undefined, 1000)).objects.map(objectText).sort();
        assert.deepEqual(inGrand, objs.filter((o) => (o.hash & 0xf) === 0xd).map(objectText).sort());
        assert.equal(await store.collectionBits(child), 4);
      });

      it('splitCollection: ENOENT for a missing side, EINVAL for bad bits or into itself', async function () {
        await rejects(store.queueTransaction(tx().splitCollection(PG, 1, 1, '1.1_head')), 'ENOENT', 'missing dest');
        await rejects(store.queueTransaction(tx().splitCollection('1.9_head', 1, 1, PG)), 'ENOENT', 'missing source');
        await apply(tx().createCollection('1.1_head', 1));
        await rejects(store.queueTransaction(tx().splitCollection(PG, 33, 1, '1.1_head')), 'EINVAL', 'bits 33');
        await rejects(store.queueTransaction(tx().splitCollection(PG, 1, 1, PG)), 'EINVAL', 'into itself');
        assert.equal(await store.collectionBits(PG), 0);
      });

      it('collectionMoveRename moves data, attrs and omap under the new name and replaces what was there', async function () {
        const temp = '1.0_TEMP';
        const t0 = makeObject(-3, 'temp_recovering', 0x40);
        const final = obj('recovered', 0x40);
        await apply(tx().createCollection(temp, 0).write(temp, t0, 0, pattern(9000, 1)).setattr(temp, t0, '_', Buffer.from('oi'))
          .omapSetKeys(temp, t0, new Map([['k', Buffer.from('v')]])).omapSetHeader(temp, t0, Buffer.from('h')));
        await apply(tx().write(PG, final, 0, Buffer.from('stale')).setattr(PG, final, 'stale', Buffer.from('1')));
        await apply(tx().collectionMoveRename(temp, t0, PG, final));
        assert.equal(await store.exists(temp, t0), false);
        assert.equal(await store.collectionEmpty(temp), true);
        sameBytes(await data(PG, final), pattern(9000, 1), 'data moved');
        assert.deepEqual([...(await store.getattrs(PG, final)).keys()], ['_'], 'attrs moved, old dest attrs gone');
        sameBytes((await store.omapGetValues(PG, final, ['k'])).get('k')!, Buffer.from('v'), 'omap moved');
        sameBytes(await store.omapGetHeader(PG, final), Buffer.from('h'), 'header moved');
        // Within one collection.
        await apply(tx().collectionMoveRename(PG, final, PG, obj('renamed', 0x40)));
        assert.deepEqual((await store.listObjects(PG, undefined, undefined, 10)).objects.map(objectText), [objectText(obj('renamed', 0x40))]);
        sameBytes(await data(PG, obj('renamed', 0x40)), pattern(9000, 1), 'renamed data');
      });

      it('collectionMoveRename: ENOENT for a missing source object or collection, EINVAL onto itself', async function () {
        const a = obj('mv');
        await apply(tx().touch(PG, a));
        await rejects(store.queueTransaction(tx().collectionMoveRename(PG, obj('ghost'), PG, obj('x'))), 'ENOENT', 'missing object');
        await rejects(store.queueTransaction(tx().collectionMoveRename(PG, a, '1.4_head', a)), 'ENOENT', 'missing dest collection');
        await rejects(store.queueTransaction(tx().collectionMoveRename(PG, a, PG, a)), 'EINVAL', 'onto itself');
        assert.equal(await store.exists(PG, a), true);
      });
    });

    // ------------------------------------------------------------------------------------------
    describe('store', function () {
      it('statfs counts stored data; memory() is sane; fsck is clean', async function () {
        const before = await store.statfs();
        assert.ok(before.total > 0 && before.available <= before.total);
        await apply(tx().write(PG, obj('s'), 0, pattern(MiB, 1)));
        const after = await store.statfs();
        assert.ok(after.stored - before.stored >= MiB, `stored grew by ${after.stored - before.stored}`);
        assert.ok(after.allocated - before.allocated >= MiB, `allocated grew by ${after.allocated - before.allocated}`);
        assert.ok(after.available <= before.available - MiB, 'available shrank');
        await apply(tx().remove(PG, obj('s')));
        const gone = await store.statfs();
        assert.ok(gone.stored < after.stored, 'stored shrank after remove');
        const m = store.memory();
        for (const v of [m.cacheBytes, m.cacheBytesMax, m.cachedObjects, m.bytesPerObject]) assert.ok(Number.isFinite(v) && v >= 0);
        const r = await store.fsck();
        assert.equal(r.errors, 0, JSON.stringify(r.problems));
        assert.ok(r.collections >= 1);
      });

      if (factory.remount) it('remount keeps collections, objects, data, attrs and omap', async function () {
        const model = new StoreModel();
        const rng = new Rng(20261130);
        const both = async (t: Transaction): Promise<void> => {
          model.apply(t);
          await store.queueTransaction(t);
        };
        await both(tx().createCollection(pgCollection(2, 0), 1).createCollection(META_COLLECTION, 0));
        model.apply(tx().createCollection(PG, 0)); // made by beforeEach
        await both(tx().write(PG, obj('big'), 3, randomBytes(rng, 5 * MiB + 1)).setattr(PG, obj('big'), '_', Buffer.alloc(0))
          .omapSetHeader(PG, obj('big'), Buffer.from('h')).omapSetKeys(PG, obj('big'), new Map([['k', Buffer.from('v')]])));
        for (let i = 0; i < 20; i++) {
          await both(tx().write(pgCollection(2, 0), makeObject(2, `o${i}`, i * 2), i * 100, randomBytes(rng, 1 + i * 500))
            .setattr(META_COLLECTION, makeObject(-1, `m${i}`, 0), 'v', Buffer.from([i])));
        }
        await both(tx().truncate(PG, obj('big'), 100000).zero(PG, obj('big'), 10, 5000));
        await compareStoreToModel(store, model, 'before remount');
        store = await factory.remount!(store);
        await compareStoreToModel(store, model, 'after remount');
        await both(tx().write(PG, obj('big'), 0, Buffer.from('again')));
        store = await factory.remount!(store);
        await compareStoreToModel(store, model, 'after a second remount');
        const r = await store.fsck();
        assert.equal(r.errors, 0, JSON.stringify(r.problems));
      });
    });

    // ------------------------------------------------------------------------------------------
    describe('random transactions against the model', function () {
      const iterations = envInt('STORE_ITERATIONS') ?? opts.iterations ?? 1500;
      const only = envInt('STORE_SEED');
      const runSeed = envInt('STORE_RUN_SEED') ?? 0x0b1ec7;
      const seedCount = envInt('STORE_SEEDS') ?? opts.seeds ?? 1;
      const seeds = only !== undefined ? [only] : Array.from({ length: seedCount }, (_, k) => caseSeed(runSeed, k));
      const compareEvery = Math.max(1, envInt('STORE_COMPARE_EVERY') ?? opts.compareEvery ?? 50);
      const remountChance = opts.remountChance ?? 0.01;

      for (const seed of seeds) {
        it(`seed=${seed}: ${iterations} transactions, compared every ${compareEvery}`, async function () {
          this.timeout(opts.randomTimeoutMs ?? Math.max(120000, iterations * 200));
          // The collection beforeEach made is not part of this run.
          await store.queueTransaction(tx().removeCollection(PG));
          await runRandom(seed);
        });
      }

      async function runRandom(seed: number): Promise<void> {
        const rng = new Rng(seed);
        const sched = new Rng(caseSeed(seed, 1));
        const model = new StoreModel();
        let i = 0;
        const where = (): string => `seed=${seed} iteration=${i}`;
        try {
          while (i < iterations) {
            if (factory.remount && sched.chance(remountChance)) store = await factory.remount(store);
            // Mostly one at a time; sometimes a burst queued without waiting (submission order).
            const burst = sched.chance(0.15) ? sched.int(2, 8) : 1;
            const pending: { promise: Promise<unknown>; want: string | undefined; at: number }[] = [];
            for (let b = 0; b < burst && i < iterations; b++, i++) {
              const t = randomTransaction(rng, model, opts.randomTx);
              let want: string | undefined;
              try {
                model.apply(t);
              } catch (e) {
                if (!(e instanceof CephError)) throw e;
                want = e.code;
              }
              pending.push({ promise: store.queueTransaction(t).then(() => undefined, (e: unknown) => e), want, at: i });
            }
            for (const p of pending) {
              const got = await p.promise;
              const code = got === undefined ? undefined : got instanceof CephError ? got.code : `non-CephError ${String(got)}`;
              if (code !== p.want) {
                throw new Error(`seed=${seed} iteration=${p.at}: the model ${p.want ? `rejects with ${p.want}` : 'applies it'}, the store ${code ? `rejects with ${code}${got instanceof Error ? ` (${got.message})` : ''}` : 'applies it'}`);
              }
            }
            if (i % compareEvery < burst) await compareStoreToModel(store, model, where());
          }
          await compareStoreToModel(store, model, `${where()} (end)`);
          if (factory.remount) {
            store = await factory.remount(store);
            await compareStoreToModel(store, model, `${where()} (end, after remount)`);
          }
          const r = await store.fsck();
          if (r.errors !== 0) throw new Error(`${where()}: fsck: ${JSON.stringify(r.problems.slice(0, 5))}`);
        } catch (e) {
          if (e instanceof Error && !e.message.includes(`seed=${seed}`)) e.message = `${where()}: ${e.message}`;
          throw e;
        }
      }
    });
  });
}
