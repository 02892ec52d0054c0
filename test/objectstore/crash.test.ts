// Proves BlockStore loses no committed transaction and half-applies none across crashes: random
// transactions at queue depth 1..8 on a FaultyDevice that crashes after a random number of writes and
// flushes (unflushed writes kept, lost or torn), then a remount must show exactly the model after every
// acknowledged transaction plus a prefix of those in flight, with a clean fsck. Bit flips in the data
// area after a clean umount must read as the right bytes or EIO, never wrong bytes, and fsck must report
// them. A harness self-check first shows the checker catches a store that acknowledges before its flush.
// Env: CRASH_ITERATIONS=<n> (seeds, default 100, 4 crashes each), CRASH_SEED=<n> replays one seed,
// CRASH_VERBOSE=1 prints per-run figures, CRASH_DEBUG=1 prints the in-flight transactions and listings of a failure.
import assert from 'node:assert/strict';
import { CephError } from '../../common/errors.js';
import { BLOCK_BYTES, FaultyDevice, SECTOR_BYTES, type BlockDevice } from '../../common/blockdev/index.js';
import { crc32c } from '../../common/crc32c.js';
import type {
  CollectionId, FsckReport, GHObject, ListResult, ObjectStat, ObjectStore, OmapPage, StoreMemory, StoreStatfs, Transaction,
} from '../../osd/objectstore/types.js';
import { BlockStore, decodeSuperblock, type BlockStoreLogger, type Region } from '../../osd/blockstore/index.js';
import { Rng, caseSeed } from '../support/rng.js';
import { StoreModel, compareStoreToModel, randomTransaction, type RandomTxOptions } from '../support/store-model.js';

// ---------------------------------------------------------------------------------------------------
// The harness: generic over how a store is built on a device.

export interface StoreFactory {
  readonly name: string;
  readonly deviceBytes: number;
  open(dev: BlockDevice): ObjectStore;
}

/** Transactions small enough that the device never fills (ENOSPC would part store from model). */
const TX_OPTIONS: RandomTxOptions = { opsMax: 6, writeBytesMax: 96 * 1024, objectBytesMax: 192 * 1024, names: 12, invalidChance: 0.05 };

export interface CrashFigures {
  crashes: number;
  crashesInMount: number;
  transactions: number;
  acknowledged: number;
  /** Transactions in flight at a crash, and how many of them the remount showed. */
  inFlight: number;
  inFlightSurvived: number;
  rejected: number;
}

function newFigures(): CrashFigures {
  return { crashes: 0, crashesInMount: 0, transactions: 0, acknowledged: 0, inFlight: 0, inFlightSurvived: 0, rejected: 0 };
}

function turn(): Promise<void> {
  return new Promise<void>((resolve) => setImmediate(resolve));
}

type Outcome = 'pending' | 'ok' | CephError;

/**
 * Queue transactions generated from the model at queue depth `qd` until the device crashes or `count`
 * have settled. Returns the models after each queued prefix (models[i] = state after transactions
 * 0..i-1 that the model accepts) and each transaction's outcome.
 */
async function runUntilCrash(
  store: ObjectStore, dev: FaultyDevice, rng: Rng, base: StoreModel, count: number, qd: number, seed: number,
): Promise<{ models: StoreModel[]; outcomes: Outcome[]; expectOk: boolean[]; txs: Transaction[] }> {
  const models: StoreModel[] = [base];
  const txs: Transaction[] = [];
  const outcomes: Outcome[] = [];
  const expectOk: boolean[] = [];
  let next = 0;
  let outstanding = 0;
  await new Promise<void>((done) => {
    let finished = false;
    const finish = (): void => {
      if (!finished) {
        finished = true;
        done();
      }
    };
    void dev.whenCrashed().then(finish);
    const pump = (): void => {
      while (!dev.crashed && outstanding < qd && next < count) {
        const i = next++;
        const before = models[i]!;
        const t = randomTransaction(rng, before, TX_OPTIONS);
        txs.push(t);
        const after = before.clone();
        let ok = true;
        try {
          after.apply(t);
        } catch {
          ok = false;
        }
        models.push(ok ? after : before);
        expectOk.push(ok);
        outcomes.push('pending');
        outstanding++;
        store.queueTransaction(t).then(
          () => {
            outcomes[i] = 'ok';
          },
          (err: unknown) => {
            if (!(err instanceof CephError)) throw new Error(`seed=${seed}: transaction ${i} failed with a non-CephError: ${String(err)}`);
            outcomes[i] = err;
          },
        ).finally(() => {
          outstanding--;
          pump();
        }).catch((err: unknown) => {
          outcomes[i] = new CephError('EIO', String(err));
          finish();
        });
      }
      if (outstanding === 0 && next >= count) finish();
    };
    pump();
  });
  // Let completions already on their way land: a store may resolve a transaction whose flush finished
  // just before the crash. Any transaction that resolves, now or later, claims to be durable.
  for (let i = 0; i < 4; i++) await turn();
  return { models, outcomes, expectOk, txs };
}

/** For a failure message: which subsets of the in-flight transactions [lo, hi) the store does match. */
async function matchingSubsets(store: ObjectStore, models: StoreModel[], txs: readonly Transaction[], lo: number, hi: number): Promise<string> {
  const n = Math.min(hi - lo, 10);
  const found: string[] = [];
  for (let mask = 0; mask < 1 << n && found.length < 4; mask++) {
    const m = models[lo]!.clone();
    const picked: number[] = [];
    for (let j = 0; j < n; j++) {
      if (!(mask & (1 << j))) continue;
      picked.push(lo + j);
      try {
        m.apply(txs[lo + j]!);
      } catch {
        // rejected in this order: it applies nothing
      }
    }
    try {
      await compareStoreToModel(store, m, 'subset');
      found.push(`{${picked.join(', ')}}`);
    } catch {
      // not this one
    }
  }
  return found.length ? `the store matches in-flight subsets ${found.join(' ')} (durability out of queue order)` : 'no subset of the in-flight transactions matches either (a transaction half applied?)';
}

/** The store must equal models[k] for some k in [lo, hi]; returns k. */
async function findPrefix(store: ObjectStore, models: StoreModel[], txs: readonly Transaction[], lo: number, hi: number, label: string): Promise<number> {
  const misses: string[] = [];
  let last: StoreModel | undefined;
  for (let k = hi; k >= lo; k--) {
    const m = models[k]!;
    if (m === last) continue; // a rejected transaction: the same state as k+1
    last = m;
    try {
      await compareStoreToModel(store, m, `${label} against prefix ${k}`);
      return k;
    } catch (err) {
      misses.push(err instanceof Error ? err.message : String(err));
    }
  }
  if (process.env.CRASH_DEBUG) {
    for (let i = lo; i < hi; i++) console.log(`tx ${i}:`, txs[i]!.ops.map((o) => `${o.op} ${o.cid} ${'oid' in o ? `${o.oid.oid}:${o.oid.snap}:${o.oid.generation}` : ''} ${'dest' in o ? `-> ${o.dest.oid}:${o.dest.snap}:${o.dest.generation}` : ''} ${'destCid' in o ? o.destCid : ''}`).join(' | '));
    for (const cid of await store.listCollections()) {
      const l = await store.listObjects(cid, undefined, undefined, 1000);
      console.log(`store ${cid}:`, l.objects.map((o) => `${o.oid}:${o.snap}:${o.generation}`).join(' '));
    }
    for (let k = lo; k <= hi; k++) for (const cid of models[k]!.listCollections()) console.log(`model ${k} ${cid}:`, models[k]!.objects(cid).map((o) => `${o.oid}:${o.snap}:${o.generation}`).join(' '));
  }
  const subsets = await matchingSubsets(store, models, txs, lo, hi);
  throw new Error(`${label}: the store matches no allowed prefix in [${lo}, ${hi}] (acknowledged: ${lo}); ${subsets}:\n  ${misses.slice(0, 4).join('\n  ')}`);
}

/**
 * One seed: mkfs, then several epochs of (mount, random transactions, crash at a random device op,
 * maybe crash again during the remount's replay, remount, fsck, find the prefix).
 */
export async function crashSeed(seed: number, factory: StoreFactory, figures: CrashFigures, epochs: number): Promise<void> {
  const rng = new Rng(seed);
  const devRng = new Rng(seed ^ 0x2f6b_1d35);
  const jitter = rng.chance(0.5);
  let dev = new FaultyDevice(factory.deviceBytes, devRng, { jitter, name: `faulty(seed=${seed})` });
  let store = factory.open(dev);
  await store.mkfs();
  let model = new StoreModel();
  for (let epoch = 0; epoch < epochs; epoch++) {
    const label = `seed=${seed} epoch ${epoch} (${factory.name})`;
    await store.mount();
    const qd = rng.int(1, 8);
    const count = rng.int(4, 60);
    // Device ops before the crash: writes and flushes, up to a little past what count transactions need.
    const startOps = dev.stats.writes + dev.stats.flushes;
    const crashAt = rng.int(1, 4 + count * 3);
    const crashed = dev.crashAfter(crashAt);
    const { models, outcomes, expectOk, txs } = await runUntilCrash(store, dev, rng, model, count, qd, seed);
    if (!dev.crashed) dev.crash();
    const image = await crashed;
    const opsRun = dev.stats.writes + dev.stats.flushes - startOps;
    figures.crashes++;

    // Outcomes must be the model's: accepted when it accepts, rejected (with a CephError) when not.
    let acked = 0;
    for (let i = 0; i < outcomes.length; i++) {
      const o = outcomes[i]!;
      if (o === 'pending') continue;
      if (o === 'ok') {
        assert.ok(expectOk[i], `${label}: transaction ${i} committed but the model rejects it`);
        acked = i + 1;
        figures.acknowledged++;
      } else {
        assert.ok(!expectOk[i], `${label}: transaction ${i} rejected (${o.code}: ${o.message}) but the model accepts it`);
        figures.rejected++;
      }
    }
    figures.transactions += outcomes.length;
    const hi = outcomes.length;
    figures.inFlight += hi - acked;

    // Remount from the crash image; sometimes crash again during the replay and remount once more.
    dev = FaultyDevice.fromImage(image, devRng, { jitter, adopt: true, name: `faulty(seed=${seed})` });
    if (rng.chance(0.25)) {
      const again = dev.crashAfter(rng.int(1, 6));
      const replaying = factory.open(dev);
      const mounted = replaying.mount().then(() => 'mounted' as const, (err: unknown) => err);
      const first = await Promise.race([again.then(() => 'crashed' as const), mounted]);
      if (first === 'crashed') {
        figures.crashesInMount++;
        dev = FaultyDevice.fromImage(await again, devRng, { jitter, adopt: true, name: `faulty(seed=${seed})` });
      } else if (first !== 'mounted') {
        throw new Error(`${label}: mount after the crash failed: ${String(first)}`);
      } else {
        // The mount finished before the countdown ran out: crash now (an idle store) and remount.
        dev.crash();
        dev = FaultyDevice.fromImage(await again, devRng, { jitter, adopt: true, name: `faulty(seed=${seed})` });
      }
    }
    store = factory.open(dev);
    try {
      await store.mount();
    } catch (err) {
      throw new Error(`${label}: mount after the crash failed: ${String(err)}`);
    }
    const report = await store.fsck(false);
    assert.equal(report.errors, 0, `${label}: fsck after the crash: ${report.problems.map((p) => `${p.kind}: ${p.message}`).join('; ')}`);
    const k = await findPrefix(store, models, txs, acked, hi, label);
    figures.inFlightSurvived += k - acked;
    model = models[k]!;
    await store.umount();
    if (process.env.CRASH_VERBOSE) {
      console.log(`${label}: qd ${qd}, ${hi} queued, ${acked} acked, prefix ${k}, crash armed at op ${crashAt}, ${opsRun} ops ran`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Bit flips: after a clean umount, flip bits in blocks of the data area that hold data, remount, and
// read everything: each read is the model's bytes or EIO, and fsck reports damage whenever a read did.

export interface FlipFigures {
  runs: number;
  flips: number;
  reads: number;
  eio: number;
  fsckErrors: number;
}

/** Blocks of `region` that are not all zeros in `image` (data a flip can damage). */
function usedBlocks(image: Buffer, region: Region): number[] {
  const out: number[] = [];
  for (let off = region.offset; off + BLOCK_BYTES <= region.offset + region.length; off += BLOCK_BYTES) {
    const b = image.subarray(off, off + BLOCK_BYTES);
    let any = false;
    for (let i = 0; i < BLOCK_BYTES; i += 8) {
      if (b.readBigUInt64LE(i) !== 0n) {
        any = true;
        break;
      }
    }
    if (any) out.push(off);
  }
  return out;
}

async function readOrEio(label: string, what: string, got: () => Promise<Buffer>, want: Buffer, figures: FlipFigures): Promise<boolean> {
  figures.reads++;
  let b: Buffer;
  try {
    b = await got();
  } catch (err) {
    if (err instanceof CephError && err.code === 'EIO') {
      figures.eio++;
      return false;
    }
    throw new Error(`${label}: ${what} failed with ${String(err)}, not EIO`);
  }
  if (!b.equals(want)) throw new Error(`${label}: ${what} returned wrong bytes after bit flips (never allowed: EIO or the data)`);
  return true;
}

export async function bitFlipSeed(seed: number, factory: StoreFactory, figures: FlipFigures): Promise<void> {
  const label = `seed=${seed} bit flips (${factory.name})`;
  const rng = new Rng(seed);
  const dev = new FaultyDevice(factory.deviceBytes, new Rng(seed ^ 0x0f11b5), { name: `faulty(seed=${seed})` });
  let store = factory.open(dev);
  await store.mkfs();
  await store.mount();
  let model = new StoreModel();
  const count = rng.int(10, 60);
  for (let i = 0; i < count; i++) {
    const t = randomTransaction(rng, model, { ...TX_OPTIONS, invalidChance: 0 });
    model.apply(t);
    await store.queueTransaction(t);
  }
  await store.umount();
  const sb = decodeSuperblock(await dev.read(0, BLOCK_BYTES), dev.name);
  const blocks = usedBlocks(dev.bytes, sb.data);
  if (blocks.length === 0) return;
  const flips = rng.int(1, 12);
  for (let i = 0; i < flips; i++) dev.flipBits(1, rng.pick(blocks), BLOCK_BYTES);
  figures.runs++;
  figures.flips += flips;
  store = factory.open(dev);
  await store.mount(); // metadata is untouched: the mount must work
  let damaged = false;
  for (const cid of model.listCollections()) {
    for (const oid of model.objects(cid)) {
      const size = model.stat(cid, oid).size;
      const name = `read of ${cid} ${JSON.stringify(oid.oid)} snap ${oid.snap}`;
      if (!(await readOrEio(label, `${name} whole`, () => store.read(cid, oid, 0, 0), model.read(cid, oid, 0, 0), figures))) damaged = true;
      if (size > 0) {
        const off = rng.int(0, size - 1);
        const len = rng.int(1, size - off);
        if (!(await readOrEio(label, `${name} ${off}~${len}`, () => store.read(cid, oid, off, len), model.read(cid, oid, off, len), figures))) damaged = true;
      }
    }
  }
  const report = await store.fsck(false);
  figures.fsckErrors += report.errors;
  if (damaged) assert.ok(report.errors > 0, `${label}: reads hit EIO but fsck reports no errors`);
  await store.umount();
}

// ---------------------------------------------------------------------------------------------------
// A harness self-check: a log store that records each transaction's index in one sector and flushes
// before acknowledging (or, broken, after), replaying the indexes on mount. The checker must pass the
// honest one and catch the broken one.

const LOG_MAGIC = 0x4c4f4721;

class LogStore implements ObjectStore {
  readonly type = 'logstore';
  private model = new StoreModel();
  private next = 0;
  /** Every transaction the run queued, by log position (the self-check's stand-in for an encoding). */
  constructor(private readonly dev: BlockDevice, private readonly registry: Transaction[], private readonly ackBeforeFlush: boolean) {}

  async mkfs(): Promise<void> {
    await this.dev.write(0, [Buffer.alloc(SECTOR_BYTES)]);
    await this.dev.flush();
  }
  async mount(): Promise<void> {
    this.model = new StoreModel();
    this.next = 0;
    for (let p = 0; (p + 1) * SECTOR_BYTES <= this.dev.size; p++) {
      const s = await this.dev.read(p * SECTOR_BYTES, SECTOR_BYTES);
      if (s.readUInt32LE(0) !== LOG_MAGIC || s.readUInt32LE(4) !== p || s.readUInt32LE(8) !== crc32c(s.subarray(0, 8))) break;
      const t = this.registry[s.readUInt32LE(12)]!;
      this.model.apply(t);
      this.next = p + 1;
    }
    // Zero the rest of the log so a stale record of a lost epoch can never extend it later.
    const from = this.next * SECTOR_BYTES;
    await this.dev.write(from, [Buffer.alloc(this.dev.size - from)]);
    await this.dev.flush();
  }
  async umount(): Promise<void> {
    await this.dev.flush();
  }
  async fsck(): Promise<FsckReport> {
    return { errors: 0, repaired: 0, problems: [], objects: this.model.objectCount(), collections: this.model.listCollections().length };
  }
  async queueTransaction(t: Transaction): Promise<void> {
    const after = this.model.clone();
    after.apply(t); // throws: rejected, nothing applied
    this.model = after;
    const p = this.next++;
    const s = Buffer.alloc(SECTOR_BYTES);
    s.writeUInt32LE(LOG_MAGIC, 0);
    s.writeUInt32LE(p, 4);
    s.writeUInt32LE(crc32c(s.subarray(0, 8)), 8);
    s.writeUInt32LE(this.registry.push(t) - 1, 12);
    await this.dev.write(p * SECTOR_BYTES, [s]);
    if (this.ackBeforeFlush) {
      void this.dev.flush();
      return;
    }
    await this.dev.flush();
  }
  async listCollections(): Promise<CollectionId[]> {
    return this.model.listCollections();
  }
  async collectionExists(cid: CollectionId): Promise<boolean> {
    return this.model.collectionExists(cid);
  }
  async collectionBits(cid: CollectionId): Promise<number> {
    return this.model.collectionBits(cid);
  }
  async collectionEmpty(cid: CollectionId): Promise<boolean> {
    return this.model.collectionEmpty(cid);
  }
  async listObjects(cid: CollectionId, start: GHObject | undefined, end: GHObject | undefined, max: number): Promise<ListResult> {
    return this.model.listObjects(cid, start, end, max);
  }
  async exists(cid: CollectionId, oid: GHObject): Promise<boolean> {
    return this.model.exists(cid, oid);
  }
  async stat(cid: CollectionId, oid: GHObject): Promise<ObjectStat> {
    const size = this.model.stat(cid, oid).size;
    return { size, allocated: size };
  }
  async read(cid: CollectionId, oid: GHObject, offset: number, length: number): Promise<Buffer> {
    return this.model.read(cid, oid, offset, length);
  }
  async getattr(cid: CollectionId, oid: GHObject, name: string): Promise<Buffer> {
    return this.model.getattr(cid, oid, name);
  }
  async getattrs(cid: CollectionId, oid: GHObject): Promise<Map<string, Buffer>> {
    return this.model.getattrs(cid, oid);
  }
  async omapGetHeader(cid: CollectionId, oid: GHObject): Promise<Buffer> {
    return this.model.omapGetHeader(cid, oid);
  }
  async omapGetValues(cid: CollectionId, oid: GHObject, keys: readonly string[]): Promise<Map<string, Buffer>> {
    return this.model.omapGetValues(cid, oid, keys);
  }
  async omapIterate(cid: CollectionId, oid: GHObject, after: string | undefined, max: number): Promise<OmapPage> {
    return this.model.omapIterate(cid, oid, after, max);
  }
  async statfs(): Promise<StoreStatfs> {
    return { total: this.dev.size, available: this.dev.size, allocated: 0, stored: this.model.dataBytes(), metadata: 0 };
  }
  memory(): StoreMemory {
    return { cacheBytes: 0, cacheBytesMax: 0, cachedObjects: 0, bytesPerObject: 0 };
  }
}

function logStoreFactory(ackBeforeFlush: boolean): StoreFactory {
  const registry: Transaction[] = [];
  return { name: ackBeforeFlush ? 'log store acking before flush' : 'log store', deviceBytes: 1024 * 1024, open: (dev) => new LogStore(dev, registry, ackBeforeFlush) };
}

// ---------------------------------------------------------------------------------------------------

/** Seeds of a run: CRASH_SEED alone, or CRASH_ITERATIONS (default `n`) seeds mixed from `runSeed`. */
export function runSeeds(runSeed: number, n: number): number[] {
  const only = process.env.CRASH_SEED;
  if (only !== undefined) return [Number(only)];
  const count = Number(process.env.CRASH_ITERATIONS ?? n);
  return Array.from({ length: count }, (_, i) => caseSeed(runSeed, i));
}

/** What BlockStore logged (checksum mismatches name the object); kept, not printed. */
const logged: string[] = [];
const quietLogger: BlockStoreLogger = {
  error: (m) => void (logged.length < 1000 && logged.push(m)),
  warn: () => {},
};

const blockStoreFactory: StoreFactory = {
  name: 'BlockStore',
  deviceBytes: 64 * 1024 * 1024,
  open: (dev) => new BlockStore(dev, { logger: quietLogger }),
};

/** The smallest caches: the KV checkpoints every few transactions (so crashes land in checkpoints)
 *  and onodes are evicted and reloaded. */
const smallCacheFactory: StoreFactory = {
  name: 'BlockStore, small caches',
  deviceBytes: 64 * 1024 * 1024,
  open: (dev) => new BlockStore(dev, { logger: quietLogger, kvCacheBytesMax: 1024 * 1024, cacheBytesMax: 256 * 1024 }),
};

/** Seeds alternate between the default and the small-cache store. */
function factoryFor(seed: number): StoreFactory {
  return seed % 2 === 0 ? blockStoreFactory : smallCacheFactory;
}

const CRASH_EPOCHS = 4;

describe('BlockStore crash safety', () => {
  it('keeps every acknowledged transaction, and a prefix of those in flight, across random crashes', async function () {
    const seeds = runSeeds(0xc4a54, 100);
    this.timeout(120000 + seeds.length * 2000);
    const figures = newFigures();
    const t0 = Date.now();
    for (const seed of seeds) await crashSeed(seed, factoryFor(seed), figures, CRASH_EPOCHS);
    if (process.env.CRASH_VERBOSE || seeds.length > 100) {
      console.log(`    ${figures.crashes} crash cycles in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${JSON.stringify(figures)}`);
    }
    assert.ok(figures.acknowledged > 0 && figures.inFlight > 0, JSON.stringify(figures));
  });

  it('reads the right bytes or EIO after bit flips in the data area, and fsck reports the damage', async function () {
    const seeds = runSeeds(0xb17f, 25);
    this.timeout(120000 + seeds.length * 2000);
    const figures: FlipFigures = { runs: 0, flips: 0, reads: 0, eio: 0, fsckErrors: 0 };
    logged.length = 0;
    for (const seed of seeds) await bitFlipSeed(seed, factoryFor(seed), figures);
    // Each EIO is logged naming the object it hit.
    if (figures.eio > 0) assert.ok(logged.some((m) => /checksum mismatch reading .*#.*#/.test(m)), `no log names a damaged object: ${logged.slice(0, 3).join('; ')}`);
    if (process.env.CRASH_VERBOSE || seeds.length > 100) console.log(`    bit flips: ${JSON.stringify(figures)}`);
    if (process.env.CRASH_SEED === undefined) assert.ok(figures.eio > 0 && figures.fsckErrors > 0, `flips were never detected: ${JSON.stringify(figures)}`);
  });
});

describe('objectstore crash harness self-check', () => {
  it('passes a store that flushes before acknowledging', async () => {
    const figures = newFigures();
    for (let i = 0; i < 16; i++) await crashSeed(caseSeed(0x10c, i), logStoreFactory(false), figures, 3);
    assert.ok(figures.crashes === 48 && figures.acknowledged > 0 && figures.inFlight > 0, JSON.stringify(figures));
    assert.ok(figures.inFlightSurvived > 0 && figures.inFlightSurvived < figures.inFlight, JSON.stringify(figures));
  });

  it('catches a store that acknowledges before its flush completes', async () => {
    let caught: Error | undefined;
    const figures = newFigures();
    for (let i = 0; i < 40 && !caught; i++) {
      try {
        await crashSeed(caseSeed(0x10d, i), logStoreFactory(true), figures, 3);
      } catch (err) {
        caught = err as Error;
      }
    }
    assert.ok(caught, 'the harness missed an acknowledged transaction lost in a crash');
    assert.match(caught.message, /seed=\d+ .*matches no allowed prefix/);
  });
});
