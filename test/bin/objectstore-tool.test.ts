// Proves tsceph-objectstore-tool's export format round-trips a PG whole (data across DATA sections, attrs, omap header, omap across OMAP sections, odd object names) and refuses damaged, truncated and colliding imports, in-process on MemStore with seeded contents; then drives the compiled CLI as a child process on small file-backed BlockStores under os.tmpdir(): mkfs, info, list-pgs, list, dump, export -> import into a second store and compare, dump-export, remove, fsck, repair, and bad arguments as one-line errors.
//
// OBJECTSTORE_TOOL_SEED=n replays the in-process round trip with that seed (a failure prints seed=<n>).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { FileDevice } from '../../common/blockdev/index.js';
import { crc32c } from '../../common/crc32c.js';
import { CephError } from '../../common/errors.js';
import { BlockStore, FORMAT_VERSION } from '../../osd/blockstore/index.js';
import {
  EXPORT_DATA_CHUNK_BYTES,
  EXPORT_OMAP_BATCH_ENTRIES,
  IMPORT_TX_META_BYTES_MAX,
  SUPER_MAGIC,
  dumpGhobject,
  exportCollection,
  ghobjectFromJson,
  importCollection,
  parsePgid,
  type ToolIo,
} from '../../bin/tsceph-objectstore-tool.js';
import { JSONFormatter } from '../../common/formatter.js';
import { MemStore } from '../../osd/objectstore/memstore.js';
import {
  NO_SHARD,
  SNAP_HEAD,
  Transaction,
  compareObjects,
  makeObject,
  pgCollection,
  type CollectionId,
  type GHObject,
  type ObjectStore,
} from '../../osd/objectstore/types.js';
import { Rng } from '../support/rng.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = join(ROOT, 'dist/bin/tsceph-objectstore-tool.js');
const envSeed = process.env['OBJECTSTORE_TOOL_SEED'];
const SEED = envSeed === undefined ? 0x70015eed : Number(envSeed);
const OMAP_KEYS_PER_TX = 250;

function quietIo(): ToolIo & { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (s) => out.push(s),
    stderr: (s) => err.push(s),
    stdin: () => Readable.from([]),
    stdoutStream: () => new PassThrough(),
    stdinIsTty: false,
    stdoutIsTty: false,
    now: () => 0,
  };
}

/** Fill `cid` with seeded objects that reach every part of the format. */
async function populate(store: ObjectStore, cid: CollectionId, pool: number, seed: number, bits: number, rng: Rng): Promise<GHObject[]> {
  await store.queueTransaction(new Transaction().createCollection(cid, bits));
  const mask = bits === 0 ? 0 : bits === 32 ? 0xffffffff : (1 << bits) - 1;
  const hashFor = (): number => ((rng.u32() & ~mask) | (seed & mask)) >>> 0;
  const objs: GHObject[] = [
    makeObject(pool, 'empty', hashFor()),
    makeObject(pool, 'big', hashFor()),
    makeObject(pool, 'omap-heavy', hashFor()),
    makeObject(pool, 'näme with spaces/and:colons%', hashFor(), { nspace: 'ns1', key: 'locator' }),
    makeObject(pool, 'snapped', hashFor(), { snap: 7 }),
    makeObject(pool, '', hashFor()),
  ];
  for (let i = 0; i < 10; i++) objs.push(makeObject(pool, `obj_${i}`, hashFor()));
  for (const o of objs) {
    const t = new Transaction().touch(cid, o);
    const size = o.oid === 'empty' ? 0 : o.oid === 'big' ? 2 * EXPORT_DATA_CHUNK_BYTES + 12345 : rng.int(1, 70000);
    if (size > 0) t.write(cid, o, 0, Buffer.from(Array.from({ length: size }, () => rng.int(0, 255))));
    // omap in transactions of at most OMAP_KEYS_PER_TX keys (a store may bound one batch's metadata).
    const omapBatches: Map<string, Buffer>[] = [];
    if (o.oid !== 'empty') {
      const attrs = new Map<string, Buffer>();
      for (let a = rng.int(1, 4); a > 0; a--) attrs.set(`_attr${a}`, Buffer.from(`v${rng.u32()}`));
      attrs.set('binary', Buffer.from([0, 1, 2, 255]));
      t.setattrs(cid, o, attrs);
      if (rng.chance(0.7)) t.omapSetHeader(cid, o, Buffer.from(`header ${rng.u32()}`));
      // omap-heavy: three OMAP sections, and more than IMPORT_TX_META_BYTES_MAX (import splits it).
      const keys = o.oid === 'omap-heavy' ? EXPORT_OMAP_BATCH_ENTRIES * 2 + 7 : rng.int(0, 20);
      for (let k0 = 0; k0 < keys; k0 += OMAP_KEYS_PER_TX) {
        const omap = new Map<string, Buffer>();
        for (let k = k0; k < Math.min(keys, k0 + OMAP_KEYS_PER_TX); k++) omap.set(`key_${k.toString().padStart(5, '0')}`, Buffer.from(`value ${k} ${rng.u32()}`.padEnd(o.oid === 'omap-heavy' ? 160 : 0, '.')));
        omapBatches.push(omap);
      }
    }
    if (omapBatches.length > 0) t.omapSetKeys(cid, o, omapBatches[0]!);
    await store.queueTransaction(t);
    for (const omap of omapBatches.slice(1)) await store.queueTransaction(new Transaction().omapSetKeys(cid, o, omap));
  }
  return objs;
}

interface Snapshot {
  o: GHObject;
  data: Buffer;
  attrs: [string, string][];
  header: string;
  omap: [string, string][];
}

async function snapshot(store: ObjectStore, cid: CollectionId): Promise<{ bits: number; objects: Snapshot[] }> {
  const objects: Snapshot[] = [];
  let start: GHObject | undefined;
  for (;;) {
    const page = await store.listObjects(cid, start, undefined, 100);
    for (const o of page.objects) {
      const attrs = [...(await store.getattrs(cid, o)).entries()].map(([k, v]): [string, string] => [k, v.toString('hex')]).sort();
      const omap: [string, string][] = [];
      let after: string | undefined;
      for (;;) {
        const p = await store.omapIterate(cid, o, after, 500);
        for (const [k, v] of p.entries) omap.push([k, v.toString('hex')]);
        if (!p.more || p.entries.length === 0) break;
        after = p.entries[p.entries.length - 1]![0];
      }
      objects.push({ o, data: await store.read(cid, o, 0, 0), attrs, header: (await store.omapGetHeader(cid, o)).toString('hex'), omap });
    }
    if (page.next === undefined) break;
    start = page.next;
  }
  return { bits: await store.collectionBits(cid), objects };
}

async function exportToBuffer(store: ObjectStore, cid: CollectionId): Promise<Buffer> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (b: Buffer) => chunks.push(b));
  await exportCollection(store, cid, out, quietIo());
  return Buffer.concat(chunks);
}

async function mountedMemStore(): Promise<MemStore> {
  const s = new MemStore();
  await s.mkfs();
  await s.mount();
  return s;
}

describe('tsceph-objectstore-tool export format (in-process, MemStore)', function () {
  this.timeout(60_000);
  const cid = pgCollection(3, 0x2a);

  it(`round-trips a PG whole: data, attrs, omap header and keys (seed=${SEED})`, async function () {
    const rng = new Rng(SEED);
    const a = await mountedMemStore();
    await populate(a, cid, 3, 0x2a, 6, rng);
    const before = await snapshot(a, cid);
    const bytes = await exportToBuffer(a, cid);
    const b = await mountedMemStore();
    const io = quietIo();
    const stats = await importCollection(b, Readable.from([bytes]), io);
    assert.equal(stats.pgid, '3.2a', `seed=${SEED}`);
    assert.equal(stats.objects, before.objects.length, `seed=${SEED}`);
    assert.deepEqual(await b.listCollections(), [cid], `seed=${SEED}`);
    const after = await snapshot(b, cid);
    assert.equal(after.bits, 6, `seed=${SEED}`);
    assert.equal(after.objects.length, before.objects.length, `seed=${SEED}`);
    for (let i = 0; i < before.objects.length; i++) {
      const x = before.objects[i]!;
      const y = after.objects[i]!;
      assert.equal(compareObjects(x.o, y.o), 0, `seed=${SEED} object ${i}`);
      assert.ok(x.data.equals(y.data), `seed=${SEED} data of ${x.o.oid}`);
      assert.deepEqual(y.attrs, x.attrs, `seed=${SEED} attrs of ${x.o.oid}`);
      assert.equal(y.header, x.header, `seed=${SEED} omap header of ${x.o.oid}`);
      assert.deepEqual(y.omap, x.omap, `seed=${SEED} omap of ${x.o.oid}`);
    }
    assert.deepEqual(io.out, ['Importing pgid 3.2a\n']);
    const heavy = before.objects.find((x) => x.o.oid === 'omap-heavy')!;
    assert.ok(heavy.omap.reduce((n, [k, v]) => n + k.length + v.length / 2, 0) > IMPORT_TX_META_BYTES_MAX, 'omap-heavy spans several import transactions');
  });

  it("writes Ceph's framing: super_header, then sections a Ceph decoder reads", async function () {
    const a = await mountedMemStore();
    await a.queueTransaction(new Transaction().createCollection(cid, 6));
    await a.queueTransaction(new Transaction().write(cid, makeObject(3, 'x', 0x2a), 0, Buffer.from('hello')));
    const bytes = await exportToBuffer(a, cid);
    // super_header: magic "ceff ceff", version 2, header 18 bytes, footer 14 bytes (our struct_v 2 footer).
    assert.equal(bytes.readUInt32LE(0), SUPER_MAGIC);
    assert.deepEqual([bytes.readUInt32LE(4), bytes.readUInt32LE(8), bytes.readUInt32LE(12)], [2, 18, 14]);
    // Section header: struct (1,1,len 12), debug_type = type<<24 | type<<16 | 0xffce, i64 size.
    assert.deepEqual([bytes[16], bytes[17], bytes.readUInt32LE(18)], [1, 1, 12]);
    assert.equal(bytes.readUInt32LE(22), ((1 << 24) | (1 << 16) | 0xffce) >>> 0);
    const size = Number(bytes.readBigInt64LE(26));
    // pg_begin struct_v 1: pg_t = u8 1, u64 pool 3, u32 seed 0x2a, s32 -1.
    const pb = bytes.subarray(34, 34 + size);
    assert.deepEqual([pb[0], pb[1], pb[6]], [1, 1, 1]);
    assert.equal(Number(pb.readBigInt64LE(7)), 3);
    assert.equal(pb.readUInt32LE(15), 0x2a);
    assert.equal(pb.readInt32LE(19), -1);
    // Footer: struct (2,1), end magic "ceff ffec", then the payload's crc32c.
    const f = bytes.subarray(34 + size, 34 + size + 14);
    assert.deepEqual([f[0], f[1], f.readUInt32LE(2), f.readUInt32LE(6)], [2, 1, 8, 0xecffffce]);
    assert.equal(f.readUInt32LE(10), crc32c(pb), 'footer crc is the standard CRC-32C of the payload');
    // The stream ends with PG_END: a header alone, size 0.
    const tail = bytes.subarray(bytes.length - 18);
    assert.equal(tail.readUInt32LE(6), ((2 << 24) | (2 << 16) | 0xffce) >>> 0);
    assert.equal(tail.readBigInt64LE(10), 0n);
  });

  it('refuses an import over an existing PG (EEXIST), a pgid mismatch (EINVAL), and leaves nothing', async function () {
    const rng = new Rng(SEED ^ 1);
    const a = await mountedMemStore();
    await populate(a, cid, 3, 0x2a, 6, rng);
    const bytes = await exportToBuffer(a, cid);
    await assert.rejects(importCollection(a, Readable.from([bytes]), quietIo()), (e: unknown) => e instanceof CephError && e.code === 'EEXIST' && /already exists/.test(e.message));
    const b = await mountedMemStore();
    await assert.rejects(
      importCollection(b, Readable.from([bytes]), quietIo(), { pgid: parsePgid('3.2b')! }),
      (e: unknown) => e instanceof CephError && e.code === 'EINVAL' && /does not match actual pgid 3.2a/.test(e.message),
    );
    assert.deepEqual(await b.listCollections(), []);
  });

  it('detects a flipped byte (crc32c) and a truncated stream, and removes the partial PG', async function () {
    const rng = new Rng(SEED ^ 2);
    const a = await mountedMemStore();
    await populate(a, cid, 3, 0x2a, 6, rng);
    const bytes = await exportToBuffer(a, cid);
    for (const at of [Math.floor(bytes.length / 2), bytes.length - 200]) {
      const bad = Buffer.from(bytes);
      bad[at] ^= 0x10;
      const b = await mountedMemStore();
      await assert.rejects(importCollection(b, Readable.from([bad]), quietIo()), (e: unknown) => e instanceof CephError && ['EFAULT', 'EINVAL', 'EIO'].includes(e.code), `flip at ${at}`);
      assert.deepEqual(await b.listCollections(), [], `flip at ${at}: partial import left behind`);
    }
    const b = await mountedMemStore();
    await assert.rejects(importCollection(b, Readable.from([bytes.subarray(0, bytes.length - 30)]), quietIo()), (e: unknown) => e instanceof CephError && e.code === 'EFAULT' && /Unexpected EOF/.test(e.message));
    assert.deepEqual(await b.listCollections(), []);
    await assert.rejects(importCollection(b, Readable.from([Buffer.from('not an export at all')]), quietIo()), /Invalid magic number/);
  });

  it("prints ghobject_t as Ceph's ghobject_t::dump and reads it back", function () {
    const o = makeObject(1, 'foo', 0x12345678, { nspace: 'n', key: 'k', shard: 2, generation: 5 });
    const f = new JSONFormatter(false);
    f.openObjectSection('ghobject');
    dumpGhobject(f, o);
    f.closeSection();
    const text = f.flush();
    assert.equal(text, '{"oid":"foo","key":"k","snapid":-2,"hash":305419896,"max":0,"pool":1,"namespace":"n","generation":5,"shard_id":2,"max":0}');
    assert.equal(compareObjects(ghobjectFromJson(JSON.parse(text)), o), 0);
    const head = ghobjectFromJson({ oid: 'x', snapid: -2, hash: 1, pool: 2 });
    assert.equal(head.snap, SNAP_HEAD);
    assert.equal(head.shard, NO_SHARD);
  });
});

// ---------------------------------------------------------------------------------------------------
// The CLI as a child process on file-backed BlockStores.

interface Run {
  code: number;
  stdout: string;
  stdoutBytes: Buffer;
  stderr: string;
}

function run(args: string[], opts: { input?: Buffer } = {}): Promise<Run> {
  return new Promise((resolveRun) => {
    const child = execFile('node', [CLI, ...args], { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolveRun({ code: typeof code === 'number' ? code : 1, stdout: stdout.toString('utf8'), stdoutBytes: stdout, stderr: stderr.toString('utf8') });
    });
    if (opts.input) child.stdin!.end(opts.input);
    else child.stdin!.end();
  });
}

/** One line, no stack trace. */
function assertOneLineError(r: Run, re: RegExp): void {
  assert.notEqual(r.code, 0, `exit status: ${r.stderr}`);
  assert.match(r.stderr, re);
  assert.doesNotMatch(r.stderr, /^\s+at /m, `stack trace on stderr: ${r.stderr}`);
}

describe('tsceph-objectstore-tool CLI (child process, file-backed BlockStore)', function () {
  this.timeout(120_000);
  let dir = '';
  const devA = (): string => join(dir, 'a.img');
  const devB = (): string => join(dir, 'b.img');
  const cid = pgCollection(2, 0x1f);
  let objs: GHObject[] = [];

  before(function () {
    mkdirSync(tmpdir(), { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'tsceph-objectstore-tool-'));
  });

  after(function () {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function withStore<T>(path: string, fn: (s: ObjectStore) => Promise<T>): Promise<T> {
    const dev = await FileDevice.open(path);
    const s = new BlockStore(dev);
    await s.mount();
    try {
      return await fn(s);
    } finally {
      await s.umount();
      await dev.close();
    }
  }

  it('mkfs makes a store on a new file of --mkfs-size bytes; info shows its superblock and usage', async function () {
    const r = await run(['--data-path', devA(), '--op', 'mkfs', '--mkfs-size', '256M']);
    assert.equal(r.code, 0, r.stderr);
    const info = await run(['--data-path', devA(), '--op', 'info']);
    assert.equal(info.code, 0, info.stderr);
    const j = JSON.parse(info.stdout) as { type: string; device_size: number; superblock: { uuid: string; format_version: number; device_bytes: number }; statfs: { total: number }; memory: { cache_bytes_max: number } };
    assert.equal(j.type, 'blockstore');
    assert.equal(j.device_size, 256 * 1024 * 1024);
    assert.match(j.superblock.uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    assert.equal(j.superblock.format_version, FORMAT_VERSION);
    assert.ok(j.statfs.total > 0 && j.statfs.total <= 256 * 1024 * 1024);
    assert.ok(j.memory.cache_bytes_max > 0);
  });

  it('list-pgs, list and dump show what the library wrote', async function () {
    const rng = new Rng(SEED ^ 3);
    objs = await withStore(devA(), async (s) => {
      const o = await populate(s, cid, 2, 0x1f, 5, rng);
      await s.queueTransaction(new Transaction().createCollection(pgCollection(2, 3), 5).createCollection('meta', 0));
      return o;
    });
    const pgs = await run(['--data-path', devA(), '--op', 'list-pgs']);
    assert.equal(pgs.code, 0, pgs.stderr);
    assert.deepEqual(pgs.stdout.trim().split('\n').sort(), ['2.1f', '2.3']);

    const list = await run(['--data-path', devA(), '--op', 'list', '--pgid', '2.1f']);
    assert.equal(list.code, 0, list.stderr);
    const lines = list.stdout.trim().split('\n');
    assert.equal(lines.length, objs.length);
    const listed = lines.map((l) => JSON.parse(l) as [string, Record<string, unknown>]);
    for (const [pgid] of listed) assert.equal(pgid, '2.1f');
    const sorted = [...objs].sort(compareObjects);
    listed.forEach(([, g], i) => assert.equal(compareObjects(ghobjectFromJson(g), sorted[i]!), 0, `line ${i}`));

    const compact = await run(['--data-path', devA(), '--op', 'list', '--format', 'json']);
    const arr = JSON.parse(compact.stdout) as [string, string, unknown][];
    assert.equal(arr.length, objs.length);
    assert.deepEqual(arr[0]!.slice(0, 2), ['2.1f', cid]);

    const byName = await run(['--data-path', devA(), 'omap-heavy', 'dump']);
    assert.equal(byName.code, 0, byName.stderr);
    const d = JSON.parse(byName.stdout) as { id: { oid: string }; stat: { size: number }; attrs: { name: string }[]; omap_keys: number };
    assert.equal(d.id.oid, 'omap-heavy');
    assert.equal(d.omap_keys, EXPORT_OMAP_BATCH_ENTRIES * 2 + 7);
    assert.ok(d.attrs.some((a) => a.name === 'binary'));

    const big = listed.find(([, g]) => g['oid'] === 'big')!;
    const byJson = await run(['--data-path', devA(), '--op', 'dump', JSON.stringify(big)]);
    assert.equal(byJson.code, 0, byJson.stderr);
    assert.equal((JSON.parse(byJson.stdout) as { stat: { size: number } }).stat.size, 2 * EXPORT_DATA_CHUNK_BYTES + 12345);

    const missing = await run(['--data-path', devA(), 'no-such-object', 'dump']);
    assertOneLineError(missing, /No object id 'no-such-object' found/);
  });

  it('export to a file, import into a second store: the same PG; again: EEXIST', async function () {
    const file = join(dir, '2.1f.export');
    const ex = await run(['--data-path', devA(), '--op', 'export', '--pgid', '2.1f', '--file', file]);
    assert.equal(ex.code, 0, ex.stderr);
    assert.match(ex.stderr, new RegExp(`Exported pgid 2.1f: ${objs.length} objects`));
    assert.ok(existsSync(file));
    assert.equal((await run(['--data-path', devB(), '--op', 'mkfs', '--mkfs-size', '256M'])).code, 0);
    const im = await run(['--data-path', devB(), '--op', 'import', '--file', file]);
    assert.equal(im.code, 0, im.stderr);
    assert.match(im.stdout, /Importing pgid 2.1f\nImport successful\n/);
    const a = await withStore(devA(), (s) => snapshot(s, cid));
    const b = await withStore(devB(), (s) => snapshot(s, cid));
    assert.equal(b.bits, a.bits);
    assert.equal(b.objects.length, a.objects.length);
    a.objects.forEach((x, i) => {
      const y = b.objects[i]!;
      assert.equal(compareObjects(x.o, y.o), 0);
      assert.ok(x.data.equals(y.data), `data of ${x.o.oid}`);
      assert.deepEqual(y.attrs, x.attrs);
      assert.equal(y.header, x.header);
      assert.deepEqual(y.omap, x.omap);
    });
    const again = await run(['--data-path', devB(), '--op', 'import', '--file', file]);
    assertOneLineError(again, /pgid 2.1f already exists/);

    // dump-export reads the file alone (no --data-path), checking every crc on the way.
    const dump = await run(['--op', 'dump-export', '--file', file]);
    assert.equal(dump.code, 0, dump.stderr);
    const dj = JSON.parse(dump.stdout) as { pgid: string; bits: number; object_count: number; objects: { oid: { oid: string }; data_bytes: number; omap_entries: number }[] };
    assert.equal(dj.pgid, '2.1f');
    assert.equal(dj.bits, 5);
    assert.equal(dj.object_count, objs.length);
    const heavy = dj.objects.find((x) => x.oid.oid === 'omap-heavy')!;
    assert.equal(heavy.omap_entries, EXPORT_OMAP_BATCH_ENTRIES * 2 + 7);
    assert.equal(dj.objects.find((x) => x.oid.oid === 'big')!.data_bytes, 2 * EXPORT_DATA_CHUNK_BYTES + 12345);
    const bad = readFileSync(file);
    bad[Math.floor(bad.length / 2)] ^= 0x01;
    writeFileSync(join(dir, 'bad.export'), bad);
    assertOneLineError(await run(['--op', 'dump-export', '--file', join(dir, 'bad.export')]), /^dump-export: \(\d+\) [^:]+: .*\n$/);
    const devC = join(dir, 'c.img');
    assert.equal((await run(['--data-path', devC, '--op', 'mkfs', '--mkfs-size', '256M'])).code, 0);
    const badImport = await run(['--data-path', devC, '--op', 'import', '--file', join(dir, 'bad.export')]);
    assertOneLineError(badImport, /^import failed: \(14\) Bad address: section type \d+: crc32c .*\nCorrupt input for import\n$/);
    assert.equal((await run(['--data-path', devC, '--op', 'list-pgs'])).stdout, '', 'a failed import left its PG behind');
  });

  it("export to stdout ('-') and import from stdin", async function () {
    const ex = await run(['--data-path', devA(), '--op', 'export', '--pgid', '2.3', '--file', '-']);
    assert.equal(ex.code, 0, ex.stderr);
    const raw = ex.stdoutBytes;
    assert.equal(raw.readUInt32LE(0), SUPER_MAGIC);
    const im = await run(['--data-path', devB(), '--op', 'import'], { input: raw });
    assert.equal(im.code, 0, im.stderr);
    const colls = await withStore(devB(), (s) => s.listCollections());
    assert.ok(colls.includes(pgCollection(2, 3)));
  });

  it('remove needs --force, then drops the PG and its objects', async function () {
    assertOneLineError(await run(['--data-path', devB(), '--op', 'remove', '--pgid', '2.3']), /^Please export the PG first or you must use --force option\n$/);
    const r = await run(['--data-path', devB(), '--op', 'remove', '--pgid', '2.3', '--force']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'Remove successful\n');
    const pgs = await run(['--data-path', devB(), '--op', 'list-pgs']);
    assert.equal(pgs.stdout, '2.1f\n');
    assertOneLineError(await run(['--data-path', devB(), '--op', 'remove', '--pgid', '2.3', '--force']), /^PG '2.3' not found\n$/);
  });

  it('fsck and repair report success on a clean store', async function () {
    const f = await run(['--data-path', devB(), '--op', 'fsck']);
    assert.equal(f.code, 0, f.stderr);
    assert.equal(f.stdout, 'fsck success\n');
    const r = await run(['--data-path', devB(), '--op', 'repair']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'repair success\n');
  });

  it('bad arguments, a missing device and a device that is not a BlockStore: one line, exit 1', async function () {
    assertOneLineError(await run(['--op', 'list']), /^Must provide --data-path/);
    assertOneLineError(await run(['--data-path', devA()]), /^Must provide --op or object command/);
    assertOneLineError(await run(['--data-path', devA(), '--op', 'frobnicate']), /^Must provide --op \(/);
    assertOneLineError(await run(['--data-path', devA(), '--op', 'list', '--bogus']), /^unrecognised option '--bogus'\n$/);
    assertOneLineError(await run(['--data-path', devA(), '--op', 'list', '--pgid', 'x.y']), /^Invalid pgid 'x.y' specified\n$/);
    assertOneLineError(await run(['--data-path', devA(), '--op', 'export']), /^Must provide pgid/);
    assertOneLineError(await run(['--data-path', devA(), '--op', 'export', '--pgid', '9.9', '--file', join(dir, 'x')]), /^PG '9.9' not found\n$/);
    assertOneLineError(await run(['--data-path', devA(), '--op', 'list', '--format', 'xml']), /^unrecognized format: xml\n$/);
    assertOneLineError(await run(['--data-path', devA(), '--op', 'list', '--file', 'x']), /^--file option only applies to import, export, dump-export\n$/);
    assertOneLineError(await run(['--data-path', join(dir, 'nope.img'), '--op', 'info']), /^data-path: .*nope.img: No such file or directory\n$/);
    assertOneLineError(await run(['--data-path', devA(), '--op', 'mkfs', '--mkfs-size', 'lots']), /^Invalid --mkfs-size 'lots'/);
    const junk = join(dir, 'junk.img');
    writeFileSync(junk, Buffer.alloc(1024 * 1024, 0x41));
    const r = await run(['--data-path', junk, '--op', 'list-pgs']);
    assertOneLineError(r, /^Mount failed with '\(22\) Invalid argument': .*not a tsceph BlockStore/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
    const help = await run(['--help']);
    assert.equal(help.code, 1);
    assert.match(help.stderr, /--data-path arg/);
    assert.ok(readFileSync(junk).every((b) => b === 0x41), 'a failed mount wrote to the device');
  });
});
