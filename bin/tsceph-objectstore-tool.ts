#!/usr/bin/env node
// tsceph-objectstore-tool: offline access to an OSD's BlockStore, in the spirit of Ceph 16.2's
// ceph-objectstore-tool (src/tools/ceph_objectstore_tool.cc): make a store, check and repair it, list its
// PGs and objects, dump an object, export a PG (collection) to a file and import it into another store,
// and show the superblock and usage. Options, messages and the export framing follow Ceph's tool
// (RadosDump.h); what differs is written up in docs/objectstore-tool.md.
//
// The export stream is Ceph's: a 16-byte super_header, then sections of (header, payload, footer), the
// header a versioned struct of (type<<24 | type<<16 | 0xffce, i64 size), the footer a versioned struct
// holding 0xecffffce. Our footers are struct_v 2 and add the payload's crc32c after the magic, which
// Ceph's decoder (DECODE_START(1)) skips; our PG_BEGIN is struct_v 1 (pg_t, which Ceph reads, then our
// own fields, which it skips); OBJECT_BEGIN is struct_v 2 (no object_info_t); no PG_METADATA section,
// as our PGs have no pg_info or pg_log yet.

import { once } from 'node:events';
import { constants as fsConstants, promises as fsp, statSync } from 'node:fs';
import { isatty } from 'node:tty';
import type { Readable, Writable } from 'node:stream';

import { cephCrc32c, crc32c } from '../common/crc32c.js';
import { compareStringBytes, Decoder, Encoder } from '../common/encoding.js';
import { CephError, Errno } from '../common/errors.js';
import { parseSize } from '../common/size.js';
import { createFormatter, type Formatter } from '../common/formatter.js';
import { FileDevice, type BlockDevice } from '../common/blockdev/index.js';
import {
  BlockStore,
  readBlockStoreSuperblock,
  META_COLLECTION,
  NO_GEN,
  NO_SHARD,
  PAGE_ENTRIES_MAX,
  SNAP_HEAD,
  Transaction,
  objectText,
  parseCollection,
  pgCollection,
  type CollectionId,
  type FsckReport,
  type GHObject,
  type ObjectStore,
} from '../osd/index.js';
import { cppStrerror, fsErrno, isMainModule, writeAllSync } from './shell.js';
import { ArgCursor } from './argparse.js';

// ---------------------------------------------------------------------------------------------------
// Limits.

/** Bytes of object data per DATA section (Ceph's max_read). */
export const EXPORT_DATA_CHUNK_BYTES = 1024 * 1024;
/** Omap entries per OMAP section. */
export const EXPORT_OMAP_BATCH_ENTRIES = 1000;
/** Objects per listing page. */
const LIST_PAGE_OBJECTS = 300;
/** Data bytes one import transaction carries before it is queued and a new one started. */
export const IMPORT_TX_DATA_BYTES_MAX = 64 * 1024 * 1024;
/** Attr and omap bytes one import transaction carries before it is queued and a new one started (a
 *  store bounds the metadata of one transaction; an object's omap can be far larger). */
export const IMPORT_TX_META_BYTES_MAX = 256 * 1024;
/** Bytes of import transactions queued but not yet durable. */
export const IMPORT_INFLIGHT_BYTES_MAX = 128 * 1024 * 1024;
/** Import transactions queued but not yet durable. */
export const IMPORT_INFLIGHT_TX_MAX = 32;
/** The largest section payload an import accepts (a DATA section is EXPORT_DATA_CHUNK_BYTES plus framing). */
export const IMPORT_SECTION_BYTES_MAX = 256 * 1024 * 1024;
/** Milliseconds between progress lines on stderr. */
const PROGRESS_INTERVAL_MS = 1000;

// ---------------------------------------------------------------------------------------------------
// The export framing (RadosDump.h).

export const SectionType = {
  NONE: 0,
  PG_BEGIN: 1,
  PG_END: 2,
  OBJECT_BEGIN: 3,
  OBJECT_END: 4,
  DATA: 5,
  ATTRS: 6,
  OMAP_HDR: 7,
  OMAP: 8,
  PG_METADATA: 9,
  POOL_BEGIN: 10,
  POOL_END: 11,
  END_OF_TYPES: 12,
} as const;

const SHORT_MAGIC = 0xffce;
/** "ceff ffec" in the stream. */
const END_MAGIC = ((0xecff << 16) | SHORT_MAGIC) >>> 0;
export const SUPER_MAGIC = ((SHORT_MAGIC << 16) | SHORT_MAGIC) >>> 0;
/** Ceph's super_ver 2 (its pg_begin may carry an OSDSuperblock; ours is struct_v 1 and does not). */
export const SUPER_VERSION = 2;
const SUPER_FIXED_BYTES = 16;
/** Our footer: struct_v 2 (compat 1) = magic + crc32c of the payload. */
const FOOTER_V = 2;
/** Marks our own fields after pg_t in PG_BEGIN. */
const TSCEPH_PG_BEGIN_TAG = 'tsceph';

function encodeSectionHeader(type: number, size: number): Buffer {
  const e = new Encoder(32);
  e.startStruct(1, 1);
  e.u32((((type << 24) | (type << 16)) >>> 0) | SHORT_MAGIC);
  e.s64(size);
  e.finishStruct();
  return e.toBuffer();
}

function encodeFooter(crc: number): Buffer {
  const e = new Encoder(32);
  e.startStruct(FOOTER_V, 1);
  e.u32(END_MAGIC);
  e.u32(crc);
  e.finishStruct();
  return e.toBuffer();
}

const HEADER_BYTES = encodeSectionHeader(SectionType.NONE, 0).length;
const FOOTER_BYTES = encodeFooter(0).length;

function encodeSuperHeader(): Buffer {
  const e = new Encoder(SUPER_FIXED_BYTES);
  e.u32(SUPER_MAGIC).u32(SUPER_VERSION).u32(HEADER_BYTES).u32(FOOTER_BYTES);
  return e.toBuffer();
}

/** hobject_t::encode (struct_v 4, compat 3). */
function encodeHobject(e: Encoder, o: GHObject): void {
  e.startStruct(4, 3);
  e.string(o.key);
  e.string(o.oid);
  e.s64(o.snap);
  e.u32(o.hash >>> 0);
  e.bool(false);
  e.string(o.nspace);
  e.s64(o.pool);
  e.finishStruct();
}

function decodeHobject(d: Decoder): Omit<GHObject, 'generation' | 'shard'> {
  const v = d.decodeStartLegacyCompatLen(4, 3, 3, 'hobject_t');
  const key = v >= 1 ? d.string('key') : '';
  const oid = d.string('oid');
  const snap = d.s64('snap');
  const hash = d.u32('hash');
  const max = v >= 2 ? d.bool('max') : false;
  let nspace = '';
  let pool = -1;
  if (v >= 4) {
    nspace = d.string('nspace');
    pool = d.s64('pool');
  }
  d.decodeFinish('hobject_t');
  if (max) throw new CephError('EINVAL', 'export holds a max object');
  return { key, oid, snap, hash, nspace, pool };
}

function encodeStringBufferMap(e: Encoder, entries: readonly (readonly [string, Buffer])[]): void {
  e.u32(entries.length);
  for (const [k, v] of entries) {
    e.string(k);
    e.bytes(v);
  }
}

function decodeStringBufferMap(d: Decoder, what: string): [string, Buffer][] {
  const n = d.count(what, 8);
  const out: [string, Buffer][] = [];
  for (let i = 0; i < n; i++) {
    const k = d.string(`${what} key`);
    out.push([k, d.bytes(`${what} value`)]);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Pgids: spg_t as Ceph prints and parses it ("1.2a", "1.2as0").

export interface Pgid {
  readonly pool: number;
  readonly seed: number;
  readonly shard: number;
}

const PGID_RE = /^(\d+)\.([0-9a-fA-F]+)(?:s(\d+))?$/;

export function parsePgid(text: string): Pgid | undefined {
  const m = PGID_RE.exec(text);
  if (!m) return collectionPgid(text);
  const pool = Number(m[1]);
  const seed = parseInt(m[2]!, 16);
  const shard = m[3] === undefined ? NO_SHARD : Number(m[3]);
  if (!Number.isSafeInteger(pool) || seed > 0xffffffff || shard > 127) return undefined;
  return { pool, seed, shard };
}

export function pgidText(p: Pgid): string {
  return `${p.pool}.${(p.seed >>> 0).toString(16)}${p.shard === NO_SHARD ? '' : `s${p.shard}`}`;
}

function collectionPgid(cid: CollectionId): Pgid | undefined {
  const c = parseCollection(cid);
  return c && c.kind === 'pg' ? { pool: c.pool, seed: c.seed, shard: c.shard } : undefined;
}

// ---------------------------------------------------------------------------------------------------
// ghobject_t as Ceph's ghobject_t::dump writes it, and read back from that JSON.

export function dumpGhobject(f: Formatter, o: GHObject): void {
  f.dumpString('oid', o.oid);
  f.dumpString('key', o.key);
  f.dumpInt('snapid', o.snap);
  f.dumpInt('hash', o.hash >>> 0);
  f.dumpInt('max', 0);
  f.dumpInt('pool', o.pool);
  f.dumpString('namespace', o.nspace);
  if (o.generation !== NO_GEN) f.dumpInt('generation', o.generation);
  if (o.shard !== NO_SHARD) f.dumpInt('shard_id', o.shard);
  f.dumpInt('max', o.max ? 1 : 0);
}

function jsonInt(v: unknown, what: string, lo: number, hi: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
    throw new CephError('EINVAL', `Decode object JSON error: ${what} must be an integer in [${lo}, ${hi}]`);
  }
  return v;
}

function jsonString(v: unknown, what: string): string {
  if (typeof v !== 'string') throw new CephError('EINVAL', `Decode object JSON error: ${what} must be a string`);
  return v;
}

/** ghobject_t::decode(json): the fields --op list prints; missing ones take ghobject_t's defaults. */
export function ghobjectFromJson(v: unknown): GHObject {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new CephError('EINVAL', 'Decode object JSON error: not a JSON object');
  }
  const o = v as Record<string, unknown>;
  const snap = o['snapid'] === undefined ? 0 : jsonInt(o['snapid'], 'snapid', SNAP_HEAD, Number.MAX_SAFE_INTEGER);
  return {
    oid: o['oid'] === undefined ? '' : jsonString(o['oid'], 'oid'),
    key: o['key'] === undefined ? '' : jsonString(o['key'], 'key'),
    snap,
    hash: o['hash'] === undefined ? 0 : jsonInt(o['hash'], 'hash', -0x80000000, 0xffffffff) >>> 0,
    pool: o['pool'] === undefined ? -1 : jsonInt(o['pool'], 'pool', -Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER),
    nspace: o['namespace'] === undefined ? '' : jsonString(o['namespace'], 'namespace'),
    generation: o['generation'] === undefined ? NO_GEN : jsonInt(o['generation'], 'generation', NO_GEN, Number.MAX_SAFE_INTEGER),
    shard: o['shard_id'] === undefined ? NO_SHARD : jsonInt(o['shard_id'], 'shard_id', NO_SHARD, 127),
  };
}

// ---------------------------------------------------------------------------------------------------
// Output: text through blocking writes (small), export bytes through a stream with back-pressure.

function writeAll(fd: number, s: string | Buffer): void {
  writeAllSync(fd, typeof s === 'string' ? Buffer.from(s, 'utf8') : s);
}

export interface ToolIo {
  stdout(s: string): void;
  stderr(s: string): void;
  /** Opens stdin as a byte stream (import from '-'). */
  stdin(): Readable;
  /** Opens stdout as a byte stream (export to '-'). */
  stdoutStream(): Writable;
  stdinIsTty: boolean;
  stdoutIsTty: boolean;
  /** Milliseconds, for progress lines. */
  now(): number;
}

function processIo(): ToolIo {
  return {
    stdout: (s) => writeAll(1, s),
    stderr: (s) => writeAll(2, s),
    stdin: () => process.stdin,
    stdoutStream: () => process.stdout,
    stdinIsTty: isatty(0),
    stdoutIsTty: isatty(1),
    now: () => performance.now(),
  };
}

/** Bytes out to a stream, waiting for 'drain' when its buffer is full. */
class ByteSink {
  bytes = 0;
  private failed: Error | undefined;
  constructor(private readonly stream: Writable) {
    stream.on('error', (e: Error) => {
      this.failed = e;
    });
  }

  async write(bufs: readonly Buffer[]): Promise<void> {
    let full = false;
    for (const b of bufs) {
      if (this.failed) throw this.failed;
      this.bytes += b.length;
      if (!this.stream.write(b)) full = true;
    }
    // events.once rejects when 'error' comes first, and removes its listeners either way.
    if (full) await once(this.stream, 'drain');
    if (this.failed) throw this.failed;
  }

  async end(): Promise<void> {
    if (this.failed) throw this.failed;
    if (this.stream === process.stdout) return;
    await new Promise<void>((resolve, reject) => {
      this.stream.end((e?: Error | null) => (e ? reject(e) : resolve()));
    });
  }
}

/** Bytes in from a stream, read exactly `n` at a time. */
class ByteSource {
  bytes = 0;
  private chunks: Buffer[] = [];
  private have = 0;
  private ended = false;
  private readonly it: AsyncIterator<Buffer>;
  constructor(stream: Readable) {
    this.it = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  }

  /** Exactly n bytes, or undefined at a clean end of input before the first byte; EFAULT when it ends inside. */
  async read(n: number): Promise<Buffer | undefined> {
    while (this.have < n && !this.ended) {
      const r = await this.it.next();
      if (r.done) {
        this.ended = true;
        break;
      }
      const b = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
      this.chunks.push(b);
      this.have += b.length;
    }
    if (this.have < n) {
      if (this.have === 0 && n > 0) return undefined;
      throw new CephError('EFAULT', 'Unexpected EOF');
    }
    let out: Buffer;
    const first = this.chunks[0]!;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let at = 0;
      while (at < n) {
        const c = this.chunks[0]!;
        const take = Math.min(c.length, n - at);
        c.copy(out, at, 0, take);
        at += take;
        if (take === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(take);
      }
    }
    this.have -= n;
    this.bytes += n;
    return out;
  }

  async readExact(n: number): Promise<Buffer> {
    const b = await this.read(n);
    if (b === undefined) throw new CephError('EFAULT', 'Unexpected EOF');
    return b;
  }
}

/** Progress on stderr at most once a PROGRESS_INTERVAL_MS, then a last line. */
class Progress {
  private last: number;
  private shown = false;
  constructor(
    private readonly io: ToolIo,
    private readonly what: string,
  ) {
    this.last = io.now();
  }

  tick(objects: number, bytes: number): void {
    const now = this.io.now();
    if (now - this.last < PROGRESS_INTERVAL_MS) return;
    this.last = now;
    this.shown = true;
    this.io.stderr(`${this.what}: ${objects} objects, ${mib(bytes)} MiB\n`);
  }

  done(objects: number, bytes: number): void {
    if (this.shown) this.io.stderr(`${this.what}: ${objects} objects, ${mib(bytes)} MiB, done\n`);
  }
}

function mib(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}

// ---------------------------------------------------------------------------------------------------
// Export.

export interface ExportStats {
  objects: number;
  dataBytes: number;
  streamBytes: number;
}

class SectionWriter {
  constructor(private readonly sink: ByteSink) {}

  async section(type: number, payload: readonly Buffer[]): Promise<void> {
    let size = 0;
    let crc = 0xffffffff;
    for (const b of payload) {
      size += b.length;
      crc = cephCrc32c(crc, b);
    }
    await this.sink.write([encodeSectionHeader(type, size), ...payload, encodeFooter(~crc >>> 0)]);
  }

  /** A section with no payload: Ceph's write_simple, a header alone. */
  async simple(type: number): Promise<void> {
    await this.sink.write([encodeSectionHeader(type, 0)]);
  }
}

/** Every object of collection `cid` in order. */
async function* collectionObjects(store: ObjectStore, cid: CollectionId): AsyncGenerator<GHObject> {
  let start: GHObject | undefined;
  for (;;) {
    const page = await store.listObjects(cid, start, undefined, LIST_PAGE_OBJECTS);
    for (const o of page.objects) yield o;
    if (page.next === undefined) return;
    start = page.next;
  }
}

async function exportObject(store: ObjectStore, cid: CollectionId, o: GHObject, w: SectionWriter, debug: (s: string) => void): Promise<number> {
  const st = await store.stat(cid, o);
  debug(`Read ${objectText(o)}\n`);
  const begin = new Encoder(128);
  begin.startStruct(2, 1);
  encodeHobject(begin, o);
  begin.s64(o.generation);
  begin.u8(o.shard & 0xff);
  begin.finishStruct();
  await w.section(SectionType.OBJECT_BEGIN, [begin.toBuffer()]);

  for (let offset = 0; offset < st.size; ) {
    const len = Math.min(EXPORT_DATA_CHUNK_BYTES, st.size - offset);
    const data = await store.read(cid, o, offset, len);
    if (data.length !== len) {
      throw new CephError('EIO', `${objectText(o)}: read of ${len} bytes at ${offset} returned ${data.length}`);
    }
    // data_section (1, 1): u64 offset, u64 len, bufferlist; the data itself is not copied.
    const head = new Encoder(32);
    head.u8(1).u8(1).u32(8 + 8 + 4 + len);
    head.u64(offset).u64(len).u32(len);
    await w.section(SectionType.DATA, [head.toBuffer(), data]);
    offset += len;
  }

  const attrs = [...(await store.getattrs(cid, o)).entries()].sort((a, b) => compareStringBytes(a[0], b[0]));
  const ae = new Encoder(256);
  ae.startStruct(1, 1);
  encodeStringBufferMap(ae, attrs);
  ae.finishStruct();
  await w.section(SectionType.ATTRS, [ae.toBuffer()]);

  const hdr = await store.omapGetHeader(cid, o);
  const he = new Encoder(64);
  he.startStruct(1, 1).bytes(hdr).finishStruct();
  await w.section(SectionType.OMAP_HDR, [he.toBuffer()]);

  let after: string | undefined;
  for (;;) {
    const page = await store.omapIterate(cid, o, after, EXPORT_OMAP_BATCH_ENTRIES);
    if (page.entries.length > 0) {
      const oe = new Encoder(1024);
      oe.startStruct(1, 1);
      encodeStringBufferMap(oe, page.entries);
      oe.finishStruct();
      await w.section(SectionType.OMAP, [oe.toBuffer()]);
      after = page.entries[page.entries.length - 1]![0];
    }
    if (!page.more || page.entries.length === 0) break;
  }
  await w.simple(SectionType.OBJECT_END);
  return st.size;
}

/** Write collection `cid` (a PG) to `out` in the export format. */
export async function exportCollection(
  store: ObjectStore,
  cid: CollectionId,
  out: Writable,
  io: ToolIo,
  debug = false,
): Promise<ExportStats> {
  const pgid = collectionPgid(cid);
  if (!pgid) throw new CephError('EINVAL', `collection ${cid} is not a PG; only PGs can be exported`);
  const sink = new ByteSink(out);
  const w = new SectionWriter(sink);
  const dbg = debug ? (s: string) => io.stderr(s) : () => undefined;
  const bits = await store.collectionBits(cid);

  await sink.write([encodeSuperHeader()]);
  // pg_begin struct_v 1: pg_t (as Ceph reads it), then our own fields, which Ceph's decoder skips.
  const pb = new Encoder(64);
  pb.startStruct(1, 1);
  pb.u8(1).s64(pgid.pool).u32(pgid.seed).s32(-1);
  pb.string(TSCEPH_PG_BEGIN_TAG);
  pb.u8(pgid.shard & 0xff);
  pb.u32(bits);
  pb.finishStruct();
  await w.section(SectionType.PG_BEGIN, [pb.toBuffer()]);

  const progress = new Progress(io, `Exporting ${pgidText(pgid)}`);
  const stats: ExportStats = { objects: 0, dataBytes: 0, streamBytes: 0 };
  for await (const o of collectionObjects(store, cid)) {
    stats.dataBytes += await exportObject(store, cid, o, w, dbg);
    stats.objects++;
    progress.tick(stats.objects, stats.dataBytes);
  }
  await w.simple(SectionType.PG_END);
  await sink.end();
  progress.done(stats.objects, stats.dataBytes);
  stats.streamBytes = sink.bytes;
  return stats;
}

// ---------------------------------------------------------------------------------------------------
// Import.

interface Section {
  readonly type: number;
  readonly payload: Buffer;
}

class SectionReader {
  headerBytes = 0;
  footerBytes = 0;
  constructor(private readonly src: ByteSource) {}

  /** super_header: magic, version, header and footer sizes. */
  async readSuper(): Promise<void> {
    const b = await this.src.read(SUPER_FIXED_BYTES);
    if (b === undefined || b.length < SUPER_FIXED_BYTES) throw new CephError('EFAULT', 'Unexpected EOF');
    const d = new Decoder(b, 'export super_header');
    const magic = d.u32('magic');
    const version = d.u32('version');
    this.headerBytes = d.u32('header_size');
    this.footerBytes = d.u32('footer_size');
    if (magic !== SUPER_MAGIC) throw new CephError('EFAULT', 'Invalid magic number');
    if (version > SUPER_VERSION) throw new CephError('EINVAL', `Can't handle export format version=${version}`);
    if (this.headerBytes < 6 || this.headerBytes > 4096 || this.footerBytes < 6 || this.footerBytes > 4096) {
      throw new CephError('EFAULT', `export super_header gives header_size ${this.headerBytes}, footer_size ${this.footerBytes}`);
    }
  }

  async next(): Promise<Section> {
    const hb = await this.src.readExact(this.headerBytes);
    const hd = new Decoder(hb, 'export section header');
    hd.decodeStart(1, 'header');
    const debugType = hd.u32('type');
    const size = hd.s64('size');
    hd.decodeFinish('header');
    if ((debugType & 0xffff) !== SHORT_MAGIC) throw new CephError('EFAULT', 'Bad section header magic');
    const type = debugType >>> 24;
    if (size < 0 || size > IMPORT_SECTION_BYTES_MAX) throw new CephError('EFAULT', `section of ${size} bytes`);
    const payload = size > 0 ? await this.src.readExact(size) : Buffer.alloc(0);
    if (size > 0) {
      const fb = await this.src.readExact(this.footerBytes);
      const fd = new Decoder(fb, 'export section footer');
      const v = fd.decodeStart(FOOTER_V, 'footer');
      const magic = fd.u32('magic');
      if (magic !== END_MAGIC) throw new CephError('EFAULT', 'Bad footer magic');
      if (v >= 2) {
        const crc = fd.u32('crc');
        const actual = crc32c(payload);
        if (crc !== actual) {
          throw new CephError('EFAULT', `section type ${type}: crc32c 0x${actual.toString(16)} where the footer says 0x${crc.toString(16)}`);
        }
      }
      fd.decodeFinish('footer');
    }
    return { type, payload };
  }
}

export interface ImportStats {
  pgid: string;
  objects: number;
  dataBytes: number;
}

/** The PG_BEGIN payload: the pgid and, in our exports, the shard and split bits. */
function decodePgBegin(payload: Buffer): { pgid: Pgid; bits: number } {
  const d = new Decoder(payload, 'pg_begin');
  const v = d.decodeStart(3, 'pg_begin');
  if (v > 1) {
    throw new CephError('EINVAL', `pg_begin struct_v ${v}: an export from Ceph's ceph-objectstore-tool, which this tool cannot import`);
  }
  // pg_t: u8 version 1, u64 pool, u32 seed, s32 (was preferred).
  const pgv = d.u8('pg_t version');
  if (pgv !== 1) throw new CephError('EINVAL', `pg_begin: pg_t version ${pgv}`);
  const pool = d.s64('pool');
  const seed = d.u32('seed');
  d.s32('preferred');
  let shard = NO_SHARD;
  let bits = -1;
  if (!d.atStructEnd() && d.string('tag') === TSCEPH_PG_BEGIN_TAG) {
    const s = d.u8('shard');
    shard = s === 0xff ? NO_SHARD : s;
    bits = d.u32('bits');
  }
  d.decodeFinish('pg_begin');
  if (bits < 0 || bits > 32) throw new CephError('EINVAL', 'pg_begin lacks the split bits tsceph writes: not a tsceph export');
  return { pgid: { pool, seed, shard }, bits };
}

/** Read an export from `input` into `store` as a new collection (EEXIST when it exists). */
export async function importCollection(
  store: ObjectStore,
  input: Readable,
  io: ToolIo,
  opts: { pgid?: Pgid; debug?: boolean } = {},
): Promise<ImportStats> {
  const src = new ByteSource(input);
  const r = new SectionReader(src);
  await r.readSuper();
  const first = await r.next();
  if (first.type === SectionType.POOL_BEGIN) throw new CephError('EINVAL', 'Pool exports cannot be imported into a PG');
  if (first.type !== SectionType.PG_BEGIN) throw new CephError('EFAULT', `Invalid first section type ${first.type}`);
  const { pgid, bits } = decodePgBegin(first.payload);
  if (opts.pgid && pgidText(opts.pgid) !== pgidText(pgid)) {
    throw new CephError('EINVAL', `specified pgid ${pgidText(opts.pgid)} does not match actual pgid ${pgidText(pgid)}`);
  }
  const cid = pgCollection(pgid.pool, pgid.seed, pgid.shard);
  if (await store.collectionExists(cid)) throw new CephError('EEXIST', `pgid ${pgidText(pgid)} already exists`);
  io.stdout(`Importing pgid ${pgidText(pgid)}\n`);
  await store.queueTransaction(new Transaction().createCollection(cid, bits));

  const stats: ImportStats = { pgid: pgidText(pgid), objects: 0, dataBytes: 0 };
  const progress = new Progress(io, `Importing ${pgidText(pgid)}`);
  const inflight: Promise<void>[] = [];
  const inflightBytes: number[] = [];
  let queuedBytes = 0;
  let failure: unknown;
  const queue = async (t: Transaction): Promise<void> => {
    if (t.empty) return;
    const p = store.queueTransaction(t).catch((e: unknown) => {
      failure ??= e;
    });
    inflight.push(p);
    inflightBytes.push(t.dataBytes);
    queuedBytes += t.dataBytes;
    while (inflight.length > IMPORT_INFLIGHT_TX_MAX || (queuedBytes > IMPORT_INFLIGHT_BYTES_MAX && inflight.length > 1)) {
      await inflight.shift();
      queuedBytes -= inflightBytes.shift()!;
    }
    if (failure !== undefined) throw failure;
  };

  try {
    let done = false;
    while (!done) {
      const s = await r.next();
      switch (s.type) {
        case SectionType.OBJECT_BEGIN: {
          stats.dataBytes += await importObject(s.payload, r, cid, pgid, queue, opts.debug ? io : undefined);
          stats.objects++;
          progress.tick(stats.objects, stats.dataBytes);
          break;
        }
        case SectionType.PG_METADATA:
          if (opts.debug) io.stderr('Skipping PG_METADATA: tsceph PGs keep no pg_info or log yet\n');
          break;
        case SectionType.PG_END:
          done = true;
          break;
        default:
          if (s.type >= SectionType.END_OF_TYPES) {
            io.stdout('Skipping unknown section type\n');
            break;
          }
          throw new CephError('EFAULT', `Unknown section type ${s.type}`);
      }
    }
    while (inflight.length > 0) await inflight.shift();
    if (failure !== undefined) throw failure;
  } catch (e) {
    await Promise.allSettled(inflight);
    await removeCollection(store, cid).catch(() => undefined);
    throw e;
  }
  progress.done(stats.objects, stats.dataBytes);
  return stats;
}

/** object_begin: hobject_t, then (struct_v 2 on) generation and shard; Ceph's v3 object_info_t is skipped. */
function decodeObjectBegin(payload: Buffer): GHObject {
  const d = new Decoder(payload, 'object_begin');
  const v = d.decodeStart(3, 'object_begin');
  const h = decodeHobject(d);
  let generation = NO_GEN;
  let shard = NO_SHARD;
  if (v > 1) {
    generation = d.s64('generation');
    const s = d.u8('shard_id');
    shard = s === 0xff ? NO_SHARD : s;
  }
  d.decodeFinish('object_begin');
  return { ...h, generation, shard };
}

/**
 * Ceph's dump-export: what an export holds, as JSON, checking every section's crc32c on the way;
 * needs no store. Per object: its ghobject, data bytes and sections, attr names, omap header length
 * and omap entry count.
 */
export async function dumpExport(input: Readable, f: Formatter): Promise<void> {
  const r = new SectionReader(new ByteSource(input));
  await r.readSuper();
  const first = await r.next();
  if (first.type === SectionType.POOL_BEGIN) throw new CephError('EINVAL', 'Dump of pool exports not supported');
  if (first.type !== SectionType.PG_BEGIN) throw new CephError('EFAULT', `Invalid first section type ${first.type}`);
  const { pgid, bits } = decodePgBegin(first.payload);
  f.openObjectSection('Export');
  f.dumpString('pgid', pgidText(pgid));
  f.dumpInt('bits', bits);
  f.openArraySection('objects');
  let objects = 0;
  for (let done = false; !done; ) {
    const s = await r.next();
    if (s.type === SectionType.PG_END) done = true;
    else if (s.type === SectionType.PG_METADATA || s.type >= SectionType.END_OF_TYPES) continue;
    else if (s.type !== SectionType.OBJECT_BEGIN) throw new CephError('EFAULT', `Unknown section type ${s.type}`);
    else {
      const o = decodeObjectBegin(s.payload);
      let dataBytes = 0;
      let dataSections = 0;
      let attrs: string[] = [];
      let header = 0;
      let omapEntries = 0;
      for (;;) {
        const x = await r.next();
        if (x.type === SectionType.OBJECT_END) break;
        const d = new Decoder(x.payload, 'object section');
        if (x.type === SectionType.DATA) {
          d.decodeStart(1, 'data_section');
          d.u64('offset');
          dataBytes += d.u64('len');
          dataSections++;
        } else if (x.type === SectionType.ATTRS) {
          d.decodeStart(1, 'attr_section');
          attrs = attrs.concat(decodeStringBufferMap(d, 'attrs').map(([k]) => k));
        } else if (x.type === SectionType.OMAP_HDR) {
          d.decodeStart(1, 'omap_hdr_section');
          header = d.bytes('hdr').length;
        } else if (x.type === SectionType.OMAP) {
          d.decodeStart(1, 'omap_section');
          omapEntries += decodeStringBufferMap(d, 'omap').length;
        } else if (x.type < SectionType.END_OF_TYPES) {
          throw new CephError('EFAULT', `Unknown section type ${x.type}`);
        }
      }
      f.openObjectSection('object');
      f.openObjectSection('oid');
      dumpGhobject(f, o);
      f.closeSection();
      f.dumpInt('data_bytes', dataBytes);
      f.dumpInt('data_sections', dataSections);
      f.openArraySection('attrs');
      for (const a of attrs) f.dumpString('name', a);
      f.closeSection();
      f.dumpInt('omap_header_bytes', header);
      f.dumpInt('omap_entries', omapEntries);
      f.closeSection();
      objects++;
    }
  }
  f.closeSection();
  f.dumpInt('object_count', objects);
  f.closeSection();
}

async function importObject(
  beginPayload: Buffer,
  r: SectionReader,
  cid: CollectionId,
  pgid: Pgid,
  queue: (t: Transaction) => Promise<void>,
  debugIo: ToolIo | undefined,
): Promise<number> {
  const o = decodeObjectBegin(beginPayload);
  if (o.pool < 0) throw new CephError('EFAULT', `ERROR: Export contains temporary object '${objectText(o)}'`);
  if (o.shard !== pgid.shard) {
    throw new CephError('EFAULT', `INTERNAL ERROR: Importing shard ${pgid.shard} but object shard is ${o.shard}`);
  }
  debugIo?.stdout(`Write ${objectText(o)}\n`);
  let t = new Transaction().touch(cid, o);
  let bytes = 0;
  let metaBytes = 0;
  /** Start a new transaction when the metadata of `more` bytes would not fit this one. */
  const roomForMeta = async (more: number): Promise<void> => {
    if (metaBytes > 0 && metaBytes + more > IMPORT_TX_META_BYTES_MAX) {
      await queue(t);
      t = new Transaction();
      metaBytes = 0;
    }
    metaBytes += more;
  };
  const entryBytes = (entries: [string, Buffer][]): number => {
    let n = 0;
    for (const [k, v] of entries) n += Buffer.byteLength(k) + v.length + 16;
    return n;
  };
  for (;;) {
    const s = await r.next();
    if (s.type === SectionType.OBJECT_END) break;
    const sd = new Decoder(s.payload, 'object section');
    switch (s.type) {
      case SectionType.DATA: {
        sd.decodeStart(1, 'data_section');
        const offset = sd.u64('offset');
        const len = sd.u64('len');
        const data = sd.bytes('data');
        sd.decodeFinish('data_section');
        if (data.length !== len) throw new CephError('EFAULT', `data section of ${data.length} bytes says len ${len}`);
        if (t.dataBytes + len > IMPORT_TX_DATA_BYTES_MAX) {
          await queue(t);
          t = new Transaction();
        }
        t.write(cid, o, offset, data);
        bytes += len;
        break;
      }
      case SectionType.ATTRS: {
        sd.decodeStart(1, 'attr_section');
        const attrs = decodeStringBufferMap(sd, 'attrs');
        sd.decodeFinish('attr_section');
        if (attrs.length > 0) {
          await roomForMeta(entryBytes(attrs));
          t.setattrs(cid, o, new Map(attrs));
        }
        break;
      }
      case SectionType.OMAP_HDR: {
        sd.decodeStart(1, 'omap_hdr_section');
        const hdr = sd.bytes('hdr');
        sd.decodeFinish('omap_hdr_section');
        if (hdr.length > 0) {
          await roomForMeta(hdr.length);
          t.omapSetHeader(cid, o, hdr);
        }
        break;
      }
      case SectionType.OMAP: {
        sd.decodeStart(1, 'omap_section');
        const entries = decodeStringBufferMap(sd, 'omap');
        sd.decodeFinish('omap_section');
        for (let i = 0; i < entries.length; ) {
          // Whole OMAP sections when they fit; a section larger than the cap in slices of it.
          let j = i;
          let n = 0;
          while (j < entries.length && (j === i || n + entryBytes([entries[j]!]) <= IMPORT_TX_META_BYTES_MAX)) n += entryBytes([entries[j++]!]);
          await roomForMeta(n);
          t.omapSetKeys(cid, o, new Map(entries.slice(i, j)));
          i = j;
        }
        break;
      }
      default:
        if (s.type >= SectionType.END_OF_TYPES) {
          debugIo?.stdout('Skipping unknown object section type\n');
          break;
        }
        throw new CephError('EFAULT', `Unknown section type ${s.type}`);
    }
  }
  await queue(t);
  return bytes;
}

/** Remove every object of `cid`, then the collection (undo of a failed import). */
async function removeCollection(store: ObjectStore, cid: CollectionId): Promise<void> {
  if (!(await store.collectionExists(cid))) return;
  let t = new Transaction();
  for await (const o of collectionObjects(store, cid)) {
    t.remove(cid, o);
    if (t.ops.length >= 1000) {
      await store.queueTransaction(t);
      t = new Transaction();
    }
  }
  t.removeCollection(cid);
  await store.queueTransaction(t);
}

// ---------------------------------------------------------------------------------------------------
// Listing and lookup.

/** The PG collections a --pgid names (no shard given: every shard), or every PG without one. */
async function pgCollections(store: ObjectStore, pgid: string): Promise<CollectionId[]> {
  const all = await store.listCollections();
  if (pgid === META_COLLECTION) return all.filter((c) => c === META_COLLECTION);
  const want = pgid === '' ? undefined : parsePgid(pgid);
  return all.filter((c) => {
    const p = collectionPgid(c);
    if (!p) return false;
    if (!want) return true;
    return p.pool === want.pool && p.seed === want.seed && (want.shard === NO_SHARD || want.shard === p.shard);
  });
}

/** The one PG collection a --pgid names with its shard as given (none: the unsharded one), if the store has it. */
async function pgCollectionExact(store: ObjectStore, pgid: string): Promise<CollectionId | undefined> {
  const want = parsePgid(pgid);
  if (!want) return undefined;
  return (await pgCollections(store, pgid)).find((c) => collectionPgid(c)!.shard === want.shard);
}

interface Found {
  cid: CollectionId;
  o: GHObject;
}

async function lookupObjects(store: ObjectStore, colls: CollectionId[], name: string, nspace: string | undefined): Promise<Found[]> {
  const out: Found[] = [];
  for (const cid of colls) {
    for await (const o of collectionObjects(store, cid)) {
      if ((name === '' || o.oid === name) && (nspace === undefined || o.nspace === nspace)) out.push({ cid, o });
    }
  }
  return out;
}

/** pgid_object_list::dump: [pgid, coll?, ghobject] per object. */
function dumpFound(f: Formatter, x: Found, humanReadable: boolean): void {
  f.openArraySection('pgid_object');
  const p = collectionPgid(x.cid);
  if (p) f.dumpString('pgid', pgidText(p));
  if (!p || !humanReadable) f.dumpString('coll', x.cid);
  f.openObjectSection('ghobject');
  dumpGhobject(f, x.o);
  f.closeSection();
  f.closeSection();
}

/** The object a positional argument names: JSON from --op list, or a name looked up in the PGs. */
async function resolveObject(store: ObjectStore, text: string, pgid: string, nspace: string | undefined): Promise<Found> {
  let v: unknown;
  let isJson = false;
  try {
    v = JSON.parse(text);
    isJson = typeof v === 'object' && v !== null;
  } catch {
    isJson = false;
  }
  if (!isJson) {
    const colls = pgid === '' ? await pgCollections(store, '') : await pgCollections(store, pgid);
    const found = await lookupObjects(store, colls, text, nspace);
    if (found.length !== 1) {
      throw new CephError(
        'ENOENT',
        found.length === 0
          ? `No object id '${text}' found or invalid JSON specified`
          : `Found ${found.length} objects with id '${text}', please use a JSON spec from --op list instead`,
      );
    }
    return found[0]!;
  }
  let objPgid = pgid;
  if (Array.isArray(v)) {
    if (v.length < 2 || v.length > 3) throw new CephError('EINVAL', `Object '${text}' must be a JSON array with 2 elements`);
    if (typeof v[0] !== 'string') throw new CephError('EINVAL', `Object '${text}' must be a JSON array with the first element a string`);
    if (pgid !== '' && v[0] !== pgid) throw new CephError('EINVAL', `object '${text}' has a pgid different from the --pgid=${pgid} option`);
    objPgid = v[0];
    v = v[v.length - 1];
  } else if (pgid === '') {
    throw new CephError('EINVAL', `Without --pgid the object '${text}' must be a JSON array`);
  }
  const o = ghobjectFromJson(v);
  let cid: CollectionId;
  if (objPgid === META_COLLECTION) cid = META_COLLECTION;
  else {
    const p = parsePgid(objPgid);
    if (!p) throw new CephError('EINVAL', `Invalid pgid '${objPgid}' specified`);
    if (p.pool !== o.pool) throw new CephError('EINVAL', "Object pool and pgid pool don't match");
    cid = pgCollection(p.pool, p.seed, p.shard === NO_SHARD ? o.shard : p.shard);
  }
  if (!(await store.exists(cid, o))) throw new CephError('ENOENT', `object ${objectText(o)} not found in ${cid}`);
  return { cid, o };
}

async function dumpObject(store: ObjectStore, x: Found, f: Formatter): Promise<void> {
  const st = await store.stat(x.cid, x.o);
  const attrs = [...(await store.getattrs(x.cid, x.o)).entries()].sort((a, b) => compareStringBytes(a[0], b[0]));
  const hdr = await store.omapGetHeader(x.cid, x.o);
  f.openObjectSection('obj');
  f.openObjectSection('id');
  dumpGhobject(f, x.o);
  f.closeSection();
  f.dumpString('coll', x.cid);
  f.openObjectSection('stat');
  f.dumpInt('size', st.size);
  f.dumpInt('allocated', st.allocated);
  f.closeSection();
  f.openArraySection('attrs');
  for (const [name, value] of attrs) {
    f.openObjectSection('attr');
    f.dumpString('name', name);
    f.dumpInt('length', value.length);
    f.closeSection();
  }
  f.closeSection();
  f.openObjectSection('omap_header');
  f.dumpInt('length', hdr.length);
  f.closeSection();
  f.openArraySection('omap');
  let after: string | undefined;
  let count = 0;
  for (;;) {
    const page = await store.omapIterate(x.cid, x.o, after, EXPORT_OMAP_BATCH_ENTRIES);
    for (const [k, value] of page.entries) {
      f.openObjectSection('omap_entry');
      f.dumpString('key', k);
      f.dumpInt('length', value.length);
      f.closeSection();
      count++;
    }
    if (!page.more || page.entries.length === 0) break;
    after = page.entries[page.entries.length - 1]![0];
  }
  f.closeSection();
  f.dumpInt('omap_keys', count);
  f.closeSection();
}

// ---------------------------------------------------------------------------------------------------
// info: the superblock and usage.

/** Any plain value (the superblock reader's fields) through a formatter, snake_case names kept. */
function dumpValue(f: Formatter, name: string, v: unknown): void {
  if (v === null || v === undefined) f.dumpNull(name);
  else if (typeof v === 'number' && Number.isInteger(v)) f.dumpInt(name, v);
  else if (typeof v === 'number') f.dumpFloat(name, v);
  else if (typeof v === 'bigint') f.dumpInt(name, v);
  else if (typeof v === 'boolean') f.dumpBool(name, v);
  else if (typeof v === 'string') f.dumpString(name, v);
  else if (Buffer.isBuffer(v)) f.dumpString(name, v.toString('hex'));
  else if (Array.isArray(v)) {
    f.openArraySection(name);
    for (const x of v) dumpValue(f, 'item', x);
    f.closeSection();
  } else if (v instanceof Map) {
    f.openObjectSection(name);
    for (const [k, x] of v) dumpValue(f, String(k), x);
    f.closeSection();
  } else if (typeof v === 'object') {
    f.openObjectSection(name);
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (typeof x !== 'function') dumpValue(f, snake(k), x);
    }
    f.closeSection();
  } else f.dumpString(name, String(v));
}

function snake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

async function dumpInfo(store: ObjectStore, device: BlockDevice, superblock: unknown, f: Formatter): Promise<void> {
  const sfs = await store.statfs();
  const mem = store.memory();
  const colls = await store.listCollections();
  f.openObjectSection('info');
  f.dumpString('type', store.type);
  f.dumpString('path', device.name);
  f.dumpInt('device_size', device.size);
  dumpValue(f, 'superblock', superblock);
  f.openObjectSection('statfs');
  f.dumpInt('total', sfs.total);
  f.dumpInt('available', sfs.available);
  f.dumpInt('allocated', sfs.allocated);
  f.dumpInt('stored', sfs.stored);
  f.dumpInt('metadata', sfs.metadata);
  f.closeSection();
  f.openObjectSection('memory');
  f.dumpInt('cache_bytes', mem.cacheBytes);
  f.dumpInt('cache_bytes_max', mem.cacheBytesMax);
  f.dumpInt('cached_objects', mem.cachedObjects);
  f.dumpInt('bytes_per_object', Math.round(mem.bytesPerObject));
  f.closeSection();
  f.dumpInt('collections', colls.length);
  f.closeSection();
}

// ---------------------------------------------------------------------------------------------------
// The store on the device.

/** A BlockStore over `device` (not mounted). */
function openBlockStore(device: BlockDevice): ObjectStore {
  return new BlockStore(device);
}

// ---------------------------------------------------------------------------------------------------
// The command line.

const OPS = ['info', 'mkfs', 'fsck', 'repair', 'export', 'import', 'remove', 'list', 'list-pgs', 'dump', 'dump-export'] as const;
const OBJCMDS = ['dump', 'get-bytes', 'list-attrs', 'list-omap'] as const;

const USAGE = `
Allowed options:
  --help                      produce help message
  --data-path arg             path to object store (a file or block device), 
                              mandatory
  --op arg                    Arg is one of [info, mkfs, fsck, repair, export, 
                              import, remove, list, list-pgs, dump, 
                              dump-export]
  --pgid arg                  PG id (e.g. 1.2a or 1.2as0, or meta), mandatory 
                              for export and remove
  --file arg                  path of file to export, import or dump-export 
                              ('-' or none: stdout or stdin)
  --mkfs-size arg             with --op mkfs: create (or extend) the file to 
                              this many bytes (suffixes K, M, G, T: powers of 
                              1024)
  --format arg (=json-pretty) Output format which may be json, json-pretty
  --namespace arg             Specify namespace when searching for objects
  --debug                     Enable diagnostic output to stderr
  --force                     with --op remove: really remove the PG

Positional syntax:

tsceph-objectstore-tool ... <object> dump
tsceph-objectstore-tool ... <object> get-bytes [file]
tsceph-objectstore-tool ... <object> list-attrs
tsceph-objectstore-tool ... <object> list-omap

<object> can be a JSON object description as displayed
by --op list.
<object> can be an object name which will be looked up in all
the OSD's PGs.

The optional [file] argument will read stdin or write stdout
if not specified or if '-' specified.
`;

interface Options {
  help: boolean;
  debug: boolean;
  force: boolean;
  dataPath: string | undefined;
  op: string | undefined;
  pgid: string;
  file: string | undefined;
  format: string;
  mkfsSize: number | undefined;
  nspace: string | undefined;
  positional: string[];
}

/** A size with an optional K/M/G/T suffix (powers of 1024), as Ceph's strict_iecstrtoll reads it. */
class UsageError extends Error {
  constructor(
    message: string,
    readonly showUsage: boolean,
  ) {
    super(message);
  }
}

function parseArgs(argv: string[]): Options {
  const o: Options = {
    help: false,
    debug: false,
    force: false,
    dataPath: undefined,
    op: undefined,
    pgid: '',
    file: undefined,
    format: 'json-pretty',
    mkfsSize: undefined,
    nspace: undefined,
    positional: [],
  };
  const errors: string[] = [];
  const c = new ArgCursor([...argv], (s) => errors.push(s));
  let onlyPositional = false;
  while (!c.done) {
    const word = c.current;
    if (onlyPositional || !word.startsWith('--') || word === '-') {
      o.positional.push(c.take()!);
      continue;
    }
    if (c.doubleDash()) {
      onlyPositional = true;
      continue;
    }
    if (c.flag('--help')) {
      o.help = true;
      continue;
    }
    if (c.flag('--debug')) {
      o.debug = true;
      continue;
    }
    if (c.flag('--force')) {
      o.force = true;
      continue;
    }
    const before = c.err.length;
    let v: string | null;
    if ((v = c.withArgErr('--data-path')) !== null) o.dataPath = v;
    else if ((v = c.withArgErr('--op')) !== null) o.op = v;
    else if ((v = c.withArgErr('--pgid')) !== null) o.pgid = v;
    else if ((v = c.withArgErr('--file')) !== null) o.file = v;
    else if ((v = c.withArgErr('--format')) !== null) o.format = v;
    else if ((v = c.withArgErr('--namespace')) !== null) o.nspace = v;
    else if ((v = c.withArgErr('--mkfs-size')) !== null) {
      if (c.err.length === before) {
        const size = parseSize(v);
        if (size === undefined || size <= 0) throw new UsageError(`Invalid --mkfs-size '${v}': give a byte count such as 1073741824 or 1G`, false);
        o.mkfsSize = size;
      }
    } else throw new UsageError(`unrecognised option '${word}'`, false);
    if (c.err.length !== before) throw new UsageError(`the required argument for option '${word.split('=')[0]}' is missing`, false);
  }
  if (errors.length) throw new UsageError(errors.join('').trim(), false);
  if (o.positional.length > 4) throw new UsageError('too many positional options have been specified on the command line', false);
  return o;
}

/** A CephError's text as this tool prints it: Ceph's "(22) Invalid argument" and what we know more. */
function errText(e: unknown): string {
  if (e instanceof CephError) return `${cppStrerror(e.errno)}: ${e.message}`;
  if (e instanceof Error) return e.message;
  return String(e);
}

function errnoOf(e: unknown): number {
  if (e instanceof CephError) return e.errno;
  return e instanceof Error ? fsErrno(e) : Errno.EIO;
}

function printFsck(io: ToolIo, report: FsckReport, what: 'fsck' | 'repair'): number {
  for (const p of report.problems) io.stderr(`${what}: ${p.kind}: ${p.message}${p.repairable ? ' (repairable)' : ''}\n`);
  // A repair fixes the problems it calls repairable (report.repaired counts its fixes, which may cover
  // several problems at once); the rest remain.
  const remaining = what === 'repair' ? report.problems.filter((p) => !p.repairable).length : report.errors;
  if (what === 'repair' && report.repaired > 0) io.stderr(`repair: repaired ${report.repaired} error(s)\n`);
  if (remaining > 0) {
    io.stderr(`${what} status: ${remaining} remaining error(s) and warning(s)\n`);
    return 1;
  }
  io.stdout(`${what} success\n`);
  return 0;
}

/**
 * The whole tool. Returns the exit status; every error is one line on stderr (with the usage text
 * where Ceph's tool shows it), never a stack trace.
 */
export async function main(argv: string[], ioIn?: Partial<ToolIo>): Promise<number> {
  const io: ToolIo = { ...processIo(), ...ioIn };
  let opts: Options;
  try {
    opts = parseArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`${e.message}\n`);
      if (e.showUsage) io.stderr(USAGE);
      return 1;
    }
    throw e;
  }
  if (opts.help) {
    io.stderr(USAGE);
    return 1;
  }
  const [object, objcmdArg, arg1] = opts.positional;
  const op = opts.op;
  let objcmd = objcmdArg;
  if (op === 'dump' && object !== undefined && objcmd === undefined) objcmd = 'dump';

  if (opts.dataPath === undefined && op !== 'dump-export') {
    io.stderr('Must provide --data-path\n' + USAGE);
    return 1;
  }
  if (op === undefined && object === undefined) {
    io.stderr('Must provide --op or object command...\n' + USAGE);
    return 1;
  }
  if (op !== undefined && !(OPS as readonly string[]).includes(op)) {
    io.stderr(`Must provide --op (${OPS.join(', ')})\n` + USAGE);
    return 1;
  }
  if (op === undefined && (objcmd === undefined || !(OBJCMDS as readonly string[]).includes(objcmd))) {
    io.stderr(objcmd === undefined ? `Must provide --op (${OPS.join(', ')})\n` + USAGE : `Unknown object command '${objcmd}'\n` + USAGE);
    return 1;
  }
  if (op === 'dump' && object === undefined) {
    io.stderr('--op dump needs an <object> (JSON from --op list, or a name)\n' + USAGE);
    return 1;
  }
  if (opts.file !== undefined && op !== 'export' && op !== 'import' && op !== 'dump-export') {
    io.stderr('--file option only applies to import, export, dump-export\n');
    return 1;
  }
  if (opts.mkfsSize !== undefined && op !== 'mkfs') {
    io.stderr('--mkfs-size option only applies to mkfs\n');
    return 1;
  }
  const toStdio = opts.file === undefined || opts.file === '-';
  if (op === 'export' && toStdio && io.stdoutIsTty) {
    io.stderr('stdout is a tty and no --file filename specified\n');
    return 1;
  }
  if ((op === 'import' || op === 'dump-export') && toStdio && io.stdinIsTty) {
    io.stderr('stdin is a tty and no --file filename specified\n');
    return 1;
  }

  // list with a -pretty format: one compact object per line, no enclosing array (as Ceph does).
  let format = opts.format;
  const humanReadable = format.endsWith('-pretty');
  if (op === 'list' && humanReadable) format = format.slice(0, -'-pretty'.length);
  if (format !== 'json' && format !== 'json-pretty') {
    io.stderr(`unrecognized format: ${opts.format}\n`);
    return 1;
  }
  const formatter = createFormatter(format)!;

  if (op === 'dump-export') {
    try {
      await dumpExport(await openInput(opts.file, io), formatter);
      io.stdout(formatter.flush() + '\n');
      return 0;
    } catch (e) {
      io.stderr(`dump-export: ${errText(e)}\n`);
      return 1;
    }
  }
  const dataPath = opts.dataPath!;
  const create = op === 'mkfs' && opts.mkfsSize !== undefined;
  if (!create) {
    try {
      statSync(dataPath);
    } catch (e) {
      const errno = errnoOf(e);
      io.stderr(`data-path: ${dataPath}: ${cppStrerror(errno).replace(/^\(\d+\) /, '')}\n`);
      return 1;
    }
  }
  if (opts.pgid !== '' && opts.pgid !== META_COLLECTION && !parsePgid(opts.pgid)) {
    io.stderr(`Invalid pgid '${opts.pgid}' specified\n`);
    return 1;
  }
  if ((op === 'export' || op === 'remove') && opts.pgid === '') {
    io.stderr('Must provide pgid\n' + USAGE);
    return 1;
  }

  // mkfs: open (or make) the device and write an empty store.
  if (op === 'mkfs') {
    let device: FileDevice | undefined;
    try {
      device = await FileDevice.open(dataPath, create ? { size: opts.mkfsSize!, create: true } : {});
      const store = openBlockStore(device);
      await store.mkfs();
    } catch (e) {
      io.stderr(`mkfs failed: ${errText(e)}\n`);
      await device?.close().catch(() => undefined);
      return 1;
    }
    await device.close();
    return 0;
  }

  let device: FileDevice;
  try {
    device = await FileDevice.open(dataPath);
  } catch (e) {
    io.stderr(`Mount failed with '${cppStrerror(errnoOf(e))}': ${errText(e).replace(/^\(\d+\) [^:]*: /, '')}\n`);
    return 1;
  }
  const store = openBlockStore(device);
  let superblock: unknown;
  try {
    if (op === 'info') superblock = await readBlockStoreSuperblock(device);
    await store.mount();
  } catch (e) {
    io.stderr(`Mount failed with '${cppStrerror(errnoOf(e))}': ${errText(e).replace(/^\(\d+\) [^:]*: /, '')}\n`);
    await device.close().catch(() => undefined);
    return 1;
  }

  let ret = 0;
  try {
    ret = await runMounted(store, device, superblock, op, objcmd, object, arg1, opts, formatter, humanReadable, io);
  } catch (e) {
    const what = op ?? objcmd ?? 'op';
    io.stderr(`${what === 'list' ? 'do_list' : what} failed: ${errText(e)}\n`);
    if (op === 'import' && e instanceof CephError && e.code === 'EFAULT') io.stderr('Corrupt input for import\n');
    ret = 1;
  }
  try {
    await store.umount();
  } catch (e) {
    io.stderr(`umount failed: ${errText(e)}\n`);
    ret = 1;
  }
  await device.close().catch(() => undefined);
  return ret;
}

async function runMounted(
  store: ObjectStore,
  device: BlockDevice,
  superblock: unknown,
  op: string | undefined,
  objcmd: string | undefined,
  object: string | undefined,
  arg1: string | undefined,
  opts: Options,
  f: Formatter,
  humanReadable: boolean,
  io: ToolIo,
): Promise<number> {
  switch (op) {
    case 'fsck':
    case 'repair':
      return printFsck(io, await store.fsck(op === 'repair'), op);
    case 'info':
      await dumpInfo(store, device, superblock, f);
      io.stdout(f.flush() + '\n');
      return 0;
    case 'list-pgs': {
      for (const cid of await store.listCollections()) {
        const p = collectionPgid(cid);
        if (p) io.stdout(`${pgidText(p)}\n`);
      }
      return 0;
    }
    case 'list': {
      const colls = await pgCollections(store, opts.pgid);
      const found = await lookupObjects(store, colls, object ?? '', opts.nspace);
      if (!humanReadable) f.openArraySection('pgid_objects');
      for (const x of found) {
        dumpFound(f, x, humanReadable);
        if (humanReadable) io.stdout(f.flush() + '\n');
      }
      if (!humanReadable) {
        f.closeSection();
        io.stdout(f.flush() + '\n');
      }
      return 0;
    }
    case 'export': {
      if (opts.pgid === META_COLLECTION) {
        io.stderr('Export of the meta collection is not supported: export a PG\n');
        return 1;
      }
      const cid = await pgCollectionExact(store, opts.pgid);
      if (cid === undefined) {
        io.stderr(`PG '${opts.pgid}' not found\n`);
        return 1;
      }
      const out = await openOutput(opts.file, io);
      const stats = await exportCollection(store, cid, out, io, opts.debug);
      io.stderr(`Exported pgid ${opts.pgid}: ${stats.objects} objects, ${stats.dataBytes} bytes of data, ${stats.streamBytes} bytes written\n`);
      return 0;
    }
    case 'remove': {
      if (!opts.force) {
        io.stderr('Please export the PG first or you must use --force option\n');
        return 1;
      }
      const cid = await pgCollectionExact(store, opts.pgid);
      if (cid === undefined) {
        io.stderr(`PG '${opts.pgid}' not found\n`);
        return 1;
      }
      await removeCollection(store, cid);
      io.stdout('Remove successful\n');
      return 0;
    }
    case 'import': {
      const input = await openInput(opts.file, io);
      const want = opts.pgid === '' ? undefined : parsePgid(opts.pgid);
      const stats = await importCollection(store, input, io, { ...(want ? { pgid: want } : {}), debug: opts.debug });
      io.stderr(`Imported pgid ${stats.pgid}: ${stats.objects} objects, ${stats.dataBytes} bytes of data\n`);
      io.stdout('Import successful\n');
      return 0;
    }
    default:
      break;
  }
  // Object commands.
  const x = await resolveObject(store, object!, opts.pgid, opts.nspace);
  switch (objcmd) {
    case 'dump':
      await dumpObject(store, x, f);
      io.stdout(f.flush() + '\n');
      return 0;
    case 'list-attrs':
      for (const name of [...(await store.getattrs(x.cid, x.o)).keys()].sort(compareStringBytes)) io.stdout(`${name}\n`);
      return 0;
    case 'list-omap': {
      let after: string | undefined;
      for (;;) {
        const page = await store.omapIterate(x.cid, x.o, after, PAGE_ENTRIES_MAX);
        for (const [k] of page.entries) io.stdout(`${k}\n`);
        if (!page.more || page.entries.length === 0) break;
        after = page.entries[page.entries.length - 1]![0];
      }
      return 0;
    }
    case 'get-bytes': {
      const out = arg1 === undefined || arg1 === '-' ? io.stdoutStream() : (await fsp.open(arg1, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_TRUNC, 0o666)).createWriteStream();
      const sink = new ByteSink(out);
      const st = await store.stat(x.cid, x.o);
      for (let off = 0; off < st.size; off += EXPORT_DATA_CHUNK_BYTES) {
        await sink.write([await store.read(x.cid, x.o, off, Math.min(EXPORT_DATA_CHUNK_BYTES, st.size - off))]);
      }
      await sink.end();
      return 0;
    }
  }
  throw new CephError('EINVAL', `Unknown object command '${objcmd}'`);
}

async function openOutput(file: string | undefined, io: ToolIo): Promise<Writable> {
  if (file === undefined || file === '-') return io.stdoutStream();
  try {
    const fh = await fsp.open(file, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_TRUNC, 0o666);
    return fh.createWriteStream();
  } catch (e) {
    throw CephError.fromErrno(fsErrno(e), `file: ${file}: cannot open for writing`);
  }
}

async function openInput(file: string | undefined, io: ToolIo): Promise<Readable> {
  if (file === undefined || file === '-') return io.stdin();
  try {
    const fh = await fsp.open(file, fsConstants.O_RDONLY);
    return fh.createReadStream();
  } catch (e) {
    throw CephError.fromErrno(fsErrno(e), `file: ${file}: cannot open for reading`);
  }
}

if (isMainModule(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`tsceph-objectstore-tool: ${errText(e)}\n`);
      process.exitCode = 1;
    },
  );
}
