// Benchmark: the OSD's read path below the messenger (opexec's READ through the ObjectStore port into BlockStore on a file device), cold (fresh mount, each object once in write order, as `rados bench seq`) and warm (random re-reads, as `rados bench rand`), 4 KiB and 4 MiB objects, reporting CPU microseconds per read (all threads, and the main thread alone) and peak RSS.
//
// Usage: node dist/test/bench/read-bench.js [--size SIZE] [--small N] [--large N] [--qd N] [--rounds N]
//                                           [--warm-reads N] [--dir DIR] [--json FILE]
//
// Set-up: a BlockStore on a sparse file of --size bytes in a temporary directory under --dir (default
// os.tmpdir()), 8 PG collections; --small objects of 4 KiB and --large objects of 4 MiB written whole
// with WRITEFULL through the op executor, as an OSD writes them (so each carries object_info_t "_" and
// "snapset" xattrs and a data digest). Each round then, for 4 KiB and for 4 MiB:
//   cold   umount, mount (empty onode cache, KV pages cold in the engine's cache; the file's pages
//          stay in the OS page cache, as in a rados bench run), read every object once in write order;
//   warm   --warm-reads random whole-object reads of the same objects (onodes cached).
// Every read is one MOSDOp's worth of executor work: exists, the "_" xattr, the read, the digest check,
// --qd of them in flight. CPU is process CPU time (utime + stime of every thread, and of the main
// thread from /proc/self/task) per read; the first round includes the JIT's warm-up, later rounds do
// not. Figures are medians over the rounds after the first (or round 1 alone with --rounds 1).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSize } from '../../common/size.js';
import { FileDevice } from '../../common/blockdev/index.js';
import { opRead, opWriteFull, CEPH_NOSNAP, type HObject, type OSDOp } from '../../msg/messages/osdop.js';
import { BlockStore } from '../../osd/blockstore/index.js';
import { executeOps, objectStorePort } from '../../osd/core/opexec.js';
import type { OpExecInput } from '../../osd/core/opexec-api.js';
import { Transaction, makeObject, pgCollection, type CollectionId, type GHObject } from '../../osd/objectstore/types.js';
import { Rng } from '../support/rng.js';
import { CLOCK_TICKS_PER_SECOND, peakRssKiB } from '../support/proc-stat.js';
import { flags } from './args.js';

const KIB = 1024;
const MIB = 1024 * KIB;
const COLLECTIONS = 8;
const SEED = 0x4ead;

interface Options {
  size: number;
  small: number;
  large: number;
  qd: number;
  rounds: number;
  warmReads: number;
  dir: string;
  json: string | undefined;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { size: 4 * 1024 * MIB, small: 8000, large: 96, qd: 16, rounds: 3, warmReads: 0, dir: tmpdir(), json: undefined };
  for (const { name: a, value: v } of flags(argv)) {
    if (a === '--size') {
      const x = v();
      const size = parseSize(x);
      if (size === undefined) throw new Error(`--size: not a size: '${x}'`);
      o.size = size;
    }
    else if (a === '--small') o.small = Number(v());
    else if (a === '--large') o.large = Number(v());
    else if (a === '--qd') o.qd = Number(v());
    else if (a === '--rounds') o.rounds = Number(v());
    else if (a === '--warm-reads') o.warmReads = Number(v());
    else if (a === '--dir') o.dir = v();
    else if (a === '--json') o.json = v();
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

/** CPU seconds of the whole process and of its main thread, from /proc. */
function cpuNow(): { all: number; main: number } {
  const all = process.cpuUsage();
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { all: (all.user + all.system) / 1e6, main: (Number(f[11]) + Number(f[12])) / CLOCK_TICKS_PER_SECOND };
}

function threads(): number {
  return readdirSync('/proc/self/task').length;
}

interface Obj {
  cid: CollectionId;
  gh: GHObject;
  soid: HObject;
  bytes: number;
}

function objectAt(kind: string, i: number, bytes: number): Obj {
  const hash = (Math.imul(i + 1, 0x9e3779b1) >>> 0) & ~(COLLECTIONS - 1) | (i % COLLECTIONS);
  const gh = makeObject(1, `benchmark_data_${kind}_object${i}`, hash >>> 0);
  const soid: HObject = { oid: gh.oid, key: '', nspace: '', hash: gh.hash, pool: 1, snap: CEPH_NOSNAP, max: false };
  return { cid: pgCollection(1, i % COLLECTIONS), gh, soid, bytes };
}

let tid = 0;
function input(o: Obj, ops: OSDOp[], version: number): OpExecInput {
  return {
    soid: o.soid, obj: o.gh, cid: o.cid, ops, flags: 0, reqid: { name: { type: 8, num: 4100 }, tid: ++tid, inc: 0 },
    version: { epoch: 10, version }, lastUserVersion: version - 1, mtime: { sec: 1_764_547_200, nsec: 0 },
  };
}

async function writeAll(store: BlockStore, objs: Obj[], qd: number): Promise<void> {
  let version = 1;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < objs.length) {
      const o = objs[next++]!;
      const data = Buffer.alloc(o.bytes, (next * 31) & 0xff);
      data.writeUInt32LE(next, 0);
      const r = await executeOps(input(o, [opWriteFull(data)], ++version), objectStorePort(store, o.cid, o.gh));
      if (r.result !== 0 || !r.transaction) throw new Error(`write of ${o.gh.oid}: ${r.result}`);
      await store.queueTransaction(r.transaction);
    }
  };
  await Promise.all(Array.from({ length: qd }, worker));
}

/** Read `order` (indexes into objs) with qd in flight; returns CPU per read in microseconds. */
async function readAll(store: BlockStore, objs: Obj[], order: number[], qd: number): Promise<{ usAll: number; usMain: number; seconds: number }> {
  let next = 0;
  const c0 = cpuNow();
  const t0 = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    while (next < order.length) {
      const o = objs[order[next++]!]!;
      const r = await executeOps(input(o, [opRead(0, o.bytes)], 0), objectStorePort(store, o.cid, o.gh));
      if (r.result !== 0 || r.ops[0]!.outdata.length !== o.bytes) throw new Error(`read of ${o.gh.oid}: ${r.result}`);
    }
  };
  await Promise.all(Array.from({ length: qd }, worker));
  const c1 = cpuNow();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { usAll: ((c1.all - c0.all) * 1e6) / order.length, usMain: ((c1.main - c0.main) * 1e6) / order.length, seconds };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function main(): Promise<void> {
  const opts = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(opts.dir, 'read-bench-'));
  const path = join(dir, 'dev');
  const cleanup = (): void => rmSync(dir, { recursive: true, force: true });
  process.on('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    const dev = await FileDevice.open(path, { size: opts.size, create: true });
    const store = new BlockStore(dev);
    await store.mkfs();
    await store.mount();
    const t = new Transaction();
    for (let i = 0; i < COLLECTIONS; i++) t.createCollection(pgCollection(1, i), Math.log2(COLLECTIONS));
    await store.queueTransaction(t);
    const small = Array.from({ length: opts.small }, (_, i) => objectAt('4k', i, 4 * KIB));
    const large = Array.from({ length: opts.large }, (_, i) => objectAt('4m', i, 4 * MIB));
    const w0 = Date.now();
    await writeAll(store, small, opts.qd);
    await writeAll(store, large, opts.qd);
    process.stderr.write(`read-bench: wrote ${small.length} x 4 KiB and ${large.length} x 4 MiB in ${((Date.now() - w0) / 1000).toFixed(1)} s\n`);
    const rng = new Rng(SEED);
    const rows: Record<string, number[][]> = {};
    const add = (name: string, r: { usAll: number; usMain: number; seconds: number }, n: number): void => {
      (rows[name] ??= []).push([r.usAll, r.usMain, n / r.seconds]);
      process.stderr.write(`  ${name.padEnd(8)} ${r.usAll.toFixed(1).padStart(8)} us/read (main ${r.usMain.toFixed(1)}), ${(n / r.seconds).toFixed(0)} reads/s, load ${loadavg()[0]!.toFixed(2)}\n`);
    };
    for (let round = 1; round <= opts.rounds; round++) {
      process.stderr.write(`round ${round} (threads ${threads()})\n`);
      for (const [kind, objs] of [['4k', small], ['4m', large]] as const) {
        if (objs.length === 0) continue;
        await store.umount();
        await store.mount();
        const seq = objs.map((_, i) => i);
        add(`${kind}-cold`, await readAll(store, objs, seq, opts.qd), seq.length);
        const n = opts.warmReads > 0 ? opts.warmReads : objs.length * 2;
        const rand = Array.from({ length: n }, () => rng.int(0, objs.length - 1));
        add(`${kind}-warm`, await readAll(store, objs, rand, opts.qd), n);
      }
    }
    await store.umount();
    const pick = (xs: number[][]): number[][] => (xs.length > 1 ? xs.slice(1) : xs);
    const summary: Record<string, { usAll: number; usMain: number; readsPerSecond: number }> = {};
    for (const [name, xs] of Object.entries(rows)) {
      const p = pick(xs);
      summary[name] = { usAll: median(p.map((x) => x[0]!)), usMain: median(p.map((x) => x[1]!)), readsPerSecond: median(p.map((x) => x[2]!)) };
    }
    const out = { summary, rounds: rows, peakRssMiB: Math.round(peakRssKiB(process.pid) / 1024), load: loadavg() };
    process.stdout.write(JSON.stringify(out, null, 1) + '\n');
    if (opts.json) writeFileSync(opts.json, JSON.stringify(out, null, 1));
  } finally {
    cleanup();
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`read-bench: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
  process.exit(1);
});
