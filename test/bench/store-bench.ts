// Benchmark: durable writes through tsceph's object store against fio on the same filesystem with the same patterns and durability: 4 KiB random overwrites of preallocated objects and 4 MiB whole-object writes, at queue depth 1 and 32, reporting IOPS, MB/s, p50/p99 latency, CPU seconds per GB and CPU microseconds per write, and the ratios to fio.
//
// Usage: npm run bench:store [-- --seconds N] [--size BYTES] [--dir DIR] [--quick] [--only 4k-qd1,...]
//                              [--impl store,device,fio] [--store block|mem] [--rounds N] [--json FILE]
//                              [--device file|ram] [--ram-flush-ms N] [--cpu-prof FILE] [--keep-cache]
//
// --device ram puts BlockStore on a MemDevice of --size bytes (no file, no fio, no raw device): the
// store's own CPU per write with no I/O under it, for profiling (`node --cpu-prof`). Its flush waits
// --ram-flush-ms (default 1) on a timer, so transactions gather into groups as they do over a disk.
//
// Three implementations run each pattern, one after the other, in one temporary directory (on the
// filesystem of --dir, default os.tmpdir()); --rounds N repeats it all and reports medians:
//   store   the ObjectStore (BlockStore on a FileDevice over a file of --size bytes; --store mem runs
//           MemStore instead, to check the wiring: its figures say nothing about the disk). A transaction
//           is one object write; its latency runs from queueTransaction to the promise resolving, which
//           the contract says happens once it is durable. QD32 keeps 32 transactions in flight.
//   device  the raw FileDevice on fio's file (positional writes then flush): the floor our store sits on,
//           on the very file fio writes. QD1 = write, flush, wait; QD32 = 32 writes in flight, wait for all, one flush.
//   fio     fio on a second file of the same size in the same directory, buffered like FileDevice (no
//           O_DIRECT): QD1 = psync with fdatasync=1; QD32 = libaio, iodepth=32, iodepth_batch_submit=32,
//           iodepth_batch_complete_min=32, fdatasync=32: 32 writes submitted together, all reaped, then
//           one fdatasync covering exactly those 32 (docs/benchmarks.md explains the choice).
// Durability is the same for all three: a write counts once a flush issued after it has completed.
// Targets (issue 4): 4 KiB QD32 store IOPS >= 0.5 x fio's; 4 MiB store bandwidth >= 0.7 x fio's.
// Both files are written whole first, so every run overwrites written blocks (no allocation in the
// filesystem under any of them). The files are deleted at the end (and on Ctrl-C). Before each store
// and device run the file's clean page cache is dropped, as fio drops its own before each job (its
// default invalidate=1): the set-up's large writes leave large folios, in which a 4 KiB overwrite costs
// the kernel ~5x more (dropCache; --keep-cache to skip it).
import { spawnSync } from 'node:child_process';
import { Session } from 'node:inspector';
import { mkdirSync, mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileDevice, MemDevice, type BlockDevice } from '../../common/blockdev/index.js';
import { BlockStore } from '../../osd/blockstore/index.js';
import { MemStore } from '../../osd/objectstore/memstore.js';
import {
  Transaction,
  makeObject,
  pgCollection,
  type CollectionId,
  type GHObject,
  type ObjectStore,
} from '../../osd/objectstore/types.js';
import { parseSize } from '../../common/size.js';
import { Rng } from '../support/rng.js';
import { flags } from './args.js';

const KIB = 1024;
const MIB = 1024 * KIB;
const GIB = 1024 * MIB;
const SMALL_BYTES = 4 * KIB;
const LARGE_BYTES = 4 * MIB;
/** Objects are spread over this many PG collections, as an OSD's are. */
const COLLECTIONS = 8;
/** Share of the store's data space the 4 MiB pattern may fill (old copies are freed after each write). */
const LARGE_SPACE_FRACTION = 0.6;
const SEED = 0x5eed;

type PatternName = '4k-qd1' | '4k-qd32' | '4m-qd1' | '4m-qd32';
type ImplName = 'store' | 'device' | 'fio';

interface Pattern {
  name: PatternName;
  bytes: number;
  qd: number;
}

const PATTERNS: Pattern[] = [
  { name: '4k-qd1', bytes: SMALL_BYTES, qd: 1 },
  { name: '4k-qd32', bytes: SMALL_BYTES, qd: 32 },
  { name: '4m-qd1', bytes: LARGE_BYTES, qd: 1 },
  { name: '4m-qd32', bytes: LARGE_BYTES, qd: 32 },
];

interface Result {
  pattern: PatternName;
  impl: ImplName;
  ops: number;
  seconds: number;
  iops: number;
  mbPerSec: number;
  p50Ms: number;
  p99Ms: number;
  cpuSecPerGB: number;
  /** CPU microseconds per operation (a transaction, a device write, a fio write). */
  cpuUsPerOp: number;
  /** The kernel's share of cpuUsPerOp (system time). */
  sysUsPerOp: number;
  /** How the latency figures were obtained. */
  latencyNote: string;
  round: number;
}

interface Options {
  seconds: number;
  size: number;
  dir: string;
  only: PatternName[];
  impls: ImplName[];
  store: 'block' | 'mem';
  json: string | undefined;
  rounds: number;
  device: 'file' | 'ram';
  ramFlushMs: number;
  cpuProf: string | undefined;
  /** Leave the files' page cache as the set-up left it (fio drops its own at each job regardless). */
  keepCache: boolean;
  heapProf: string | undefined;
}

const USAGE = `store-bench: durable writes through the object store beside fio and the raw device
  --seconds N         seconds per figure (default 10)
  --size BYTES        size of each file / the RAM device (default 2G)
  --dir DIR           directory for the files (default the OS temp dir)
  --quick             3 s figures on 512 MiB files
  --only P,...        patterns: 4k-qd1, 4k-qd32, 4m-qd1, 4m-qd32
  --impl I,...        store, device, fio (default all three)
  --store block|mem   BlockStore (default) or MemStore
  --device file|ram   BlockStore on a file (default) or on a MemDevice: store CPU alone, no fio
  --ram-flush-ms N    with --device ram: each flush waits N ms on a timer (default 1)
  --rounds N          repeat everything N times and report medians
  --json FILE         write every figure to FILE
  --cpu-prof FILE     a V8 CPU profile of the store's measured runs alone (no set-up, fsck, fio) to FILE
  --heap-prof FILE    a sampling allocation profile of the same runs, collected objects included
  --keep-cache        do not drop the files' page cache before each store and device run (fio drops its own)
`;

/** V8's profiler over the store's measured runs (node:inspector), for --cpu-prof. */
class Profiler {
  private readonly session = new Session();
  private constructor() {}
  static async start(): Promise<Profiler> {
    const p = new Profiler();
    p.session.connect();
    await p.post('Profiler.enable');
    return p;
  }
  private post(method: string, params?: object): Promise<unknown> {
    return new Promise((resolve, reject) => this.session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res))));
  }
  resume(heap: boolean): Promise<unknown> {
    if (!heap) return this.post('Profiler.start');
    return this.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  }
  /** Stop and keep the profile of the last resume() in `file` (.cpuprofile or .heapprofile format). */
  async pause(heap: boolean, file: string): Promise<void> {
    const r = (await this.post(heap ? 'HeapProfiler.stopSampling' : 'Profiler.stop')) as { profile: unknown };
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, JSON.stringify(r.profile));
  }
}

/** A MemDevice whose flush takes `ms` on a timer, as a disk's would: transactions group as over a file. */
class SlowFlushMemDevice extends MemDevice {
  constructor(size: number, private readonly ms: number) {
    super(size, undefined, 'ram');
  }
  override async flush(): Promise<void> {
    await super.flush();
    if (this.ms > 0) await new Promise<void>((r) => setTimeout(r, this.ms));
  }
}

/** A --size value, rounded down to whole MiB. */
function deviceSize(s: string): number {
  const v = parseSize(s);
  if (v === undefined) throw new Error(`bad size '${s}'`);
  return Math.floor(v / MIB) * MIB;
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    seconds: 10,
    size: 2 * GIB,
    dir: tmpdir(),
    only: PATTERNS.map((p) => p.name),
    impls: ['store', 'device', 'fio'],
    store: 'block',
    json: undefined,
    rounds: 1,
    device: 'file',
    ramFlushMs: 1,
    cpuProf: undefined,
    heapProf: undefined,
    keepCache: false,
  };
  for (const { name: a, value: next } of flags(argv)) {
    if (a === '--seconds') o.seconds = Number(next());
    else if (a === '--size') o.size = deviceSize(next());
    else if (a === '--dir') o.dir = next();
    else if (a === '--quick') {
      o.seconds = 3;
      o.size = 512 * MIB;
    } else if (a === '--only') o.only = next().split(',') as PatternName[];
    else if (a === '--impl') o.impls = next().split(',') as ImplName[];
    else if (a === '--store') o.store = next() as 'block' | 'mem';
    else if (a === '--json') o.json = next();
    else if (a === '--rounds') o.rounds = Number(next());
    else if (a === '--device') o.device = next() as 'file' | 'ram';
    else if (a === '--ram-flush-ms') o.ramFlushMs = Number(next());
    else if (a === '--cpu-prof') o.cpuProf = next();
    else if (a === '--keep-cache') o.keepCache = true;
    else if (a === '--heap-prof') o.heapProf = next();
    else if (a === '--help') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  if (o.device !== 'file' && o.device !== 'ram') throw new Error(`--device is file or ram, not ${String(o.device)}`);
  if (!(o.ramFlushMs >= 0)) throw new Error('--ram-flush-ms must be >= 0');
  if (o.device === 'ram') o.impls = o.impls.filter((i) => i === 'store');
  if (!(o.seconds > 0)) throw new Error('--seconds must be positive');
  for (const p of o.only) if (!PATTERNS.some((x) => x.name === p)) throw new Error(`unknown pattern ${p}`);
  return o;
}

// ---------------------------------------------------------------------------------------------------
// Measuring.

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

class Recorder {
  private lat = new Float64Array(1 << 16);
  private n = 0;
  bytes = 0;
  private readonly t0 = performance.now();
  private readonly cpu0 = process.cpuUsage();

  add(ms: number, bytes: number): void {
    if (this.n === this.lat.length) {
      const next = new Float64Array(this.lat.length * 2);
      next.set(this.lat);
      this.lat = next;
    }
    this.lat[this.n++] = ms;
    this.bytes += bytes;
  }

  result(pattern: PatternName, impl: ImplName, latencyNote: string): Result {
    const seconds = (performance.now() - this.t0) / 1000;
    const cpu = process.cpuUsage(this.cpu0);
    const sorted = this.lat.slice(0, this.n).sort();
    return {
      pattern,
      impl,
      ops: this.n,
      seconds,
      iops: this.n / seconds,
      mbPerSec: this.bytes / seconds / 1e6,
      p50Ms: percentile(sorted, 50),
      p99Ms: percentile(sorted, 99),
      cpuSecPerGB: (cpu.user + cpu.system) / 1e6 / (this.bytes / 1e9),
      cpuUsPerOp: (cpu.user + cpu.system) / this.n,
      sysUsPerOp: cpu.system / this.n,
      latencyNote,
      round: 0,
    };
  }
}

/** Run `op` from `qd` workers until `seconds` pass; each op's latency is recorded. */
async function closedLoop(seconds: number, qd: number, rec: Recorder, op: (worker: number) => Promise<number>): Promise<void> {
  const end = performance.now() + seconds * 1000;
  const worker = async (w: number): Promise<void> => {
    while (performance.now() < end) {
      const t = performance.now();
      const bytes = await op(w);
      rec.add(performance.now() - t, bytes);
    }
  };
  await Promise.all(Array.from({ length: qd }, (_, w) => worker(w)));
}

// ---------------------------------------------------------------------------------------------------
// The store.

type StoreKind = 'block' | 'mem';

function makeStore(kind: StoreKind, device: BlockDevice | undefined): ObjectStore {
  if (kind === 'mem') return new MemStore();
  return new BlockStore(device!);
}

interface StoreFixture {
  store: ObjectStore;
  colls: CollectionId[];
  /** Objects written before the 4 KiB overwrites. */
  prefilled: GHObject[];
  /** Object slots for the 4 MiB pattern (the first `prefilled.length` exist). */
  slots: GHObject[];
  objectBytes: number;
  device: BlockDevice | undefined;
}

function objectFor(i: number): GHObject {
  return makeObject(1, `bench_${i}`, ((Math.imul(i + 1, 0x9e3779b1) & ~(COLLECTIONS - 1)) | i % COLLECTIONS) >>> 0);
}

async function setupStore(kind: StoreKind, device: BlockDevice | undefined, dataBytes: number, log: (s: string) => void): Promise<StoreFixture> {
  const store = makeStore(kind, device);
  await store.mkfs();
  await store.mount();
  const colls = Array.from({ length: COLLECTIONS }, (_, i) => pgCollection(1, i));
  const t = new Transaction();
  for (const c of colls) t.createCollection(c, Math.log2(COLLECTIONS));
  await store.queueTransaction(t);
  const sfs = await store.statfs();
  const space = Math.min(dataBytes, sfs.available);
  const slotCount = Math.max(2, Math.floor((space * LARGE_SPACE_FRACTION) / LARGE_BYTES));
  const slots = Array.from({ length: slotCount }, (_, i) => objectFor(i));
  const prefilled = slots.slice(0, Math.max(1, slotCount >> 1));
  const data = Buffer.alloc(LARGE_BYTES, 0x5a);
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (next < prefilled.length) {
        const o = prefilled[next++]!;
        await store.queueTransaction(new Transaction().write(colls[o.hash % COLLECTIONS]!, o, 0, data));
      }
    }),
  );
  log(`  prefilled ${prefilled.length} objects of 4 MiB in ${((performance.now() - t0) / 1000).toFixed(1)} s; ${slotCount} slots for 4 MiB writes`);
  return { store, colls, prefilled, slots, objectBytes: LARGE_BYTES, device };
}

async function runStorePattern(fx: StoreFixture, p: Pattern, seconds: number, rng: Rng): Promise<Result> {
  const payload = Buffer.alloc(p.bytes, 0xa5);
  const rec = new Recorder();
  const blocksPerObject = fx.objectBytes / SMALL_BYTES;
  await closedLoop(seconds, p.qd, rec, async () => {
    const t = new Transaction();
    if (p.bytes === SMALL_BYTES) {
      const o = fx.prefilled[rng.int(0, fx.prefilled.length - 1)]!;
      t.write(fx.colls[o.hash % COLLECTIONS]!, o, rng.int(0, blocksPerObject - 1) * SMALL_BYTES, payload);
    } else {
      const o = fx.slots[rng.int(0, fx.slots.length - 1)]!;
      t.write(fx.colls[o.hash % COLLECTIONS]!, o, 0, payload);
    }
    await fx.store.queueTransaction(t);
    return p.bytes;
  });
  return rec.result(p.name, 'store', 'per transaction, queue to durable');
}

// ---------------------------------------------------------------------------------------------------
// The raw device.

async function runDevicePattern(dev: BlockDevice, p: Pattern, seconds: number, rng: Rng): Promise<Result> {
  const payload = [Buffer.alloc(p.bytes, 0x3c)];
  const slots = Math.floor(dev.size / p.bytes);
  const rec = new Recorder();
  if (p.qd === 1) {
    await closedLoop(seconds, 1, rec, async () => {
      await dev.write(rng.int(0, slots - 1) * p.bytes, payload);
      await dev.flush();
      return p.bytes;
    });
  } else {
    // Batches: qd writes in flight, all complete, one flush; each write's latency is its batch's.
    const end = performance.now() + seconds * 1000;
    const writes: Promise<void>[] = new Array(p.qd);
    while (performance.now() < end) {
      const t = performance.now();
      for (let i = 0; i < p.qd; i++) writes[i] = dev.write(rng.int(0, slots - 1) * p.bytes, payload);
      await Promise.all(writes);
      await dev.flush();
      const ms = performance.now() - t;
      for (let i = 0; i < p.qd; i++) rec.add(ms, p.bytes);
    }
  }
  return rec.result(p.name, 'device', p.qd === 1 ? 'write + flush' : 'batch of 32 writes + flush');
}

// ---------------------------------------------------------------------------------------------------
// fio.

interface FioPercentiles {
  percentile?: Record<string, number>;
  mean?: number;
}
interface FioJob {
  write: { iops: number; bw_bytes: number; io_bytes: number; total_ios: number; clat_ns: FioPercentiles };
  sync?: { total_ios: number; lat_ns: FioPercentiles };
  usr_cpu: number;
  sys_cpu: number;
  job_runtime: number;
}

function fioArgs(p: Pattern, file: string, size: number, seconds: number): string[] {
  const common = [
    '--name=tsceph-store-bench',
    `--filename=${file}`,
    `--size=${size}`,
    '--rw=randwrite',
    `--bs=${p.bytes}`,
    '--direct=0',
    '--time_based',
    `--runtime=${seconds}`,
    '--randrepeat=0',
    '--overwrite=1',
    '--norandommap',
    '--output-format=json',
  ];
  if (p.qd === 1) return [...common, '--ioengine=psync', '--iodepth=1', '--fdatasync=1'];
  return [
    ...common,
    '--ioengine=libaio',
    `--iodepth=${p.qd}`,
    `--iodepth_batch_submit=${p.qd}`,
    `--iodepth_batch_complete_min=${p.qd}`,
    `--fdatasync=${p.qd}`,
  ];
}

function pct(x: FioPercentiles | undefined, key: string): number {
  return (x?.percentile?.[key] ?? NaN) / 1e6;
}

function runFio(p: Pattern, file: string, size: number, seconds: number): Result {
  const args = fioArgs(p, file, size, seconds);
  const r = spawnSync('fio', args, { encoding: 'utf8', maxBuffer: 64 * MIB });
  if (r.status !== 0) throw new Error(`fio ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const job = (JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as { jobs: FioJob[] }).jobs[0]!;
  const seconds_ = job.job_runtime / 1000;
  const w = job.write;
  const bytes = w.io_bytes;
  const cpuSec = ((job.usr_cpu + job.sys_cpu) / 100) * seconds_;
  // fio times a write (clat) and each fdatasync (sync lat) apart: a durable write at QD1 is one of each.
  return {
    pattern: p.name,
    impl: 'fio',
    ops: w.total_ios,
    seconds: seconds_,
    iops: w.iops,
    mbPerSec: w.bw_bytes / 1e6,
    p50Ms: pct(w.clat_ns, '50.000000') + pct(job.sync?.lat_ns, '50.000000'),
    p99Ms: pct(w.clat_ns, '99.000000') + pct(job.sync?.lat_ns, '99.000000'),
    cpuSecPerGB: cpuSec / (bytes / 1e9),
    cpuUsPerOp: (cpuSec * 1e6) / w.total_ios,
    sysUsPerOp: ((job.sys_cpu / 100) * seconds_ * 1e6) / w.total_ios,
    latencyNote: 'write clat + fdatasync lat percentiles, added',
    round: 0,
  };
}

/**
 * Drop the clean page-cache pages of `file`, as fio does to its own file before each job (its default
 * invalidate=1): `dd iflag=nocache count=0` is posix_fadvise(POSIX_FADV_DONTNEED) over the whole file.
 * Why it matters: the setup writes (the fill in 1 MiB pieces, the store's 4 MiB prefill) leave the
 * file's cache in large folios, and ext4 walks every buffer of a folio for a 4 KiB write into it
 * (ext4_block_write_begin) and again at writeback (mpage_process_page_bufs): 28-32 us of kernel time
 * per 4 KiB overwrite plus its share of fdatasync, against 5-6 us once the cache is dropped (measured
 * here with writevSync and an fdatasync per 32 writes on a 512 MiB file). fio always runs in the
 * cheap state, so the store and the device run there too (--keep-cache to leave the cache alone).
 */
function dropCache(file: string): void {
  const r = spawnSync('dd', [`if=${file}`, 'iflag=nocache', 'count=0', 'status=none'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dd iflag=nocache on ${file} failed (${r.status}): ${r.stderr}`);
}

/**
 * Write `file` whole (non-zero bytes) and fdatasync it, so every run overwrites allocated, written
 * blocks. Without this fio's file is fallocated (unwritten extents: the first write to each block
 * changes filesystem metadata, which each fdatasync then commits) and the device file is sparse.
 */
async function fillFile(file: string, size: number): Promise<void> {
  const { open } = await import('node:fs/promises');
  const fh = await open(file, 'w');
  try {
    const chunk = Buffer.alloc(MIB, 0x77);
    for (let off = 0; off < size; off += MIB) await fh.write(chunk, 0, Math.min(MIB, size - off), off);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

// ---------------------------------------------------------------------------------------------------
// Report.

/** Per pattern and implementation, the median of each figure over the rounds. */
function medians(results: Result[]): Result[] {
  const out: Result[] = [];
  const med = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
  };
  for (const p of PATTERNS) {
    for (const impl of ['store', 'device', 'fio'] as ImplName[]) {
      const rs = results.filter((r) => r.pattern === p.name && r.impl === impl);
      if (rs.length === 0) continue;
      out.push({
        pattern: p.name,
        impl,
        ops: med(rs.map((r) => r.ops)),
        seconds: med(rs.map((r) => r.seconds)),
        iops: med(rs.map((r) => r.iops)),
        mbPerSec: med(rs.map((r) => r.mbPerSec)),
        p50Ms: med(rs.map((r) => r.p50Ms)),
        p99Ms: med(rs.map((r) => r.p99Ms)),
        cpuSecPerGB: med(rs.map((r) => r.cpuSecPerGB)),
        cpuUsPerOp: med(rs.map((r) => r.cpuUsPerOp)),
        sysUsPerOp: med(rs.map((r) => r.sysUsPerOp)),
        latencyNote: rs[0]!.latencyNote,
        round: 0,
      });
    }
  }
  return out;
}

function fmt(v: number, digits: number): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '-';
}

function table(results: Result[]): string {
  const lines: string[] = [];
  const head = ['pattern', 'impl', 'IOPS', 'MB/s', 'p50 ms', 'p99 ms', 'CPU s/GB', 'CPU us/op', 'sys us/op', 'vs fio'];
  const widths = [9, 7, 10, 9, 8, 8, 9, 10, 10, 8];
  const row = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' ');
  lines.push(row(head));
  for (const r of results) {
    const fio = results.find((x) => x.pattern === r.pattern && x.impl === 'fio');
    const ratio = fio && r.impl !== 'fio' ? (r.pattern.startsWith('4k') ? r.iops / fio.iops : r.mbPerSec / fio.mbPerSec) : NaN;
    lines.push(
      row([r.pattern, r.impl, fmt(r.iops, 0), fmt(r.mbPerSec, 1), fmt(r.p50Ms, 3), fmt(r.p99Ms, 3), fmt(r.cpuSecPerGB, 2), fmt(r.cpuUsPerOp, 1), fmt(r.sysUsPerOp, 1), Number.isFinite(ratio) ? `${ratio.toFixed(2)}x` : '']),
    );
  }
  return lines.join('\n');
}

function targets(results: Result[]): string {
  const out: string[] = [];
  const check = (pattern: PatternName, what: 'iops' | 'mbPerSec', min: number): void => {
    const s = results.find((r) => r.pattern === pattern && r.impl === 'store');
    const f = results.find((r) => r.pattern === pattern && r.impl === 'fio');
    if (!s || !f) return;
    const ratio = s[what] / f[what];
    out.push(`  ${pattern} ${what === 'iops' ? 'IOPS' : 'bandwidth'}: store/fio ${ratio.toFixed(2)} (target >= ${min}) ${ratio >= min ? 'met' : 'NOT met'}`);
  };
  check('4k-qd32', 'iops', 0.5);
  check('4m-qd1', 'mbPerSec', 0.7);
  check('4m-qd32', 'mbPerSec', 0.7);
  return out.join('\n');
}

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const log = (s: string): void => {
    process.stderr.write(s + '\n');
  };
  mkdirSync(opts.dir, { recursive: true });
  const work = mkdtempSync(join(opts.dir, 'tsceph-store-bench-'));
  const devPath = join(work, 'device.img');
  const fioPath = join(work, 'fio.dat');
  const cleanup = (): void => rmSync(work, { recursive: true, force: true });
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  const free = statfsSync(opts.dir);
  if (opts.device === 'file' && free.bavail * free.bsize < opts.size * 2.2) throw new Error(`${opts.dir}: need ${((opts.size * 2.2) / GIB).toFixed(1)} GiB free`);
  const fioVersion = spawnSync('fio', ['--version'], { encoding: 'utf8' }).stdout.trim();
  console.log(
    `store bench: ${opts.seconds} s per run, ${(opts.size / GIB).toFixed(2)} GiB ${opts.device === 'ram' ? `RAM device (flush ${opts.ramFlushMs} ms)` : `files in ${work}`}, store=${opts.store}, ` +
      `node ${process.version}, ${fioVersion}, ${cpus().length} CPUs, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`,
  );
  const results: Result[] = [];
  const rng = new Rng(SEED);
  try {
    const patterns = PATTERNS.filter((p) => opts.only.includes(p.name));
    const t0 = performance.now();
    if (opts.impls.includes('device') || opts.impls.includes('fio')) await fillFile(fioPath, opts.size);
    if (opts.impls.includes('store') && opts.store === 'block' && opts.device === 'file') await fillFile(devPath, opts.size);
    log(`  wrote the files whole in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    // Each pattern runs on the three in turn (store, device, fio), so a noisy neighbour hits all three
    // alike; --rounds repeats the whole sequence and the table shows each figure's median.
    const fx =
      opts.impls.includes('store')
        ? await setupStore(opts.store, opts.store !== 'block' ? undefined : opts.device === 'ram' ? new SlowFlushMemDevice(opts.size, opts.ramFlushMs) : await FileDevice.open(devPath, { size: opts.size }), opts.size, log)
        : undefined;
    const raw = opts.impls.includes('device') ? await FileDevice.open(fioPath, { size: opts.size }) : undefined;
    const profiler = fx && (opts.cpuProf || opts.heapProf) ? await Profiler.start() : undefined;
    for (let round = 1; round <= opts.rounds; round++) {
      for (const p of patterns) {
        const rs: Result[] = [];
        if (fx) {
          const profFile = opts.heapProf ?? opts.cpuProf;
          const heap = opts.heapProf !== undefined;
          if (opts.device === 'file' && opts.store === 'block' && !opts.keepCache) dropCache(devPath);
          if (profiler) await profiler.resume(heap);
          rs.push(await runStorePattern(fx, p, opts.seconds, rng));
          if (profiler) await profiler.pause(heap, patterns.length * opts.rounds > 1 ? `${profFile!}.${p.name}.${round}` : profFile!);
        }
        if (raw) {
          if (!opts.keepCache) dropCache(fioPath);
          rs.push(await runDevicePattern(raw, p, opts.seconds, rng));
        }
        if (opts.impls.includes('fio')) rs.push(runFio(p, fioPath, opts.size, opts.seconds));
        for (const r of rs) {
          r.round = round;
          results.push(r);
        }
        log(`  round ${round} ${p.name}: ` + rs.map((r) => `${r.impl} ${r.iops.toFixed(0)} IOPS ${r.mbPerSec.toFixed(1)} MB/s`).join(', '));
      }
    }
    if (fx) {
      // A figure from a store that fsck finds damaged would be worthless: check before leaving.
      const rep = await fx.store.fsck();
      log(`  store fsck after the runs: ${rep.objects} objects, ${rep.errors} errors${rep.errors ? `: ${rep.problems.map((p) => p.message).join('; ')}` : ''}`);
      if (rep.errors) throw new Error('the store failed fsck after the benchmark');
      await fx.store.umount();
      await fx.device?.close();
    }
    await raw?.close();
  } finally {
    cleanup();
  }
  const order: ImplName[] = ['store', 'device', 'fio'];
  const summary = medians(results);
  summary.sort((a, b) => PATTERNS.findIndex((p) => p.name === a.pattern) - PATTERNS.findIndex((p) => p.name === b.pattern) || order.indexOf(a.impl) - order.indexOf(b.impl));
  if (opts.rounds > 1) {
    for (let round = 1; round <= opts.rounds; round++) {
      console.log(`round ${round}:`);
      console.log(table(results.filter((r) => r.round === round)));
    }
    console.log(`medians of ${opts.rounds} rounds:`);
  }
  console.log(table(summary));
  const t = targets(summary);
  if (t) console.log(`targets:\n${t}`);
  console.log('latency: store = queue to durable per transaction; device QD32 = its batch of 32 + flush; fio = write clat + fdatasync, added');
  if (opts.json) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(opts.json, JSON.stringify({ opts: { ...opts }, results }, null, 2));
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`store-bench: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
