#!/usr/bin/env node
// rados: the object CLI, as Ceph 16's `rados` (src/tools/rados/rados.cc) behaves for the commands
// below, on tsceph's librados. Configuration comes as for every Ceph tool (-c, -m, --id, -n, CEPH_ARGS,
// --<option> value); the tool's own flags follow rados.cc (-p, -N, --all, -f/--format, -b, -O, -t, ...).
// Texts on stdout and stderr and exit statuses follow Debian's Ceph 16.2.15 `rados` (the oracle the
// tests compare with): a failed object command prints "error <verb> POOL/OBJ: (N) text" and exits 1;
// errors that reach the end of the program also print "error N: (N) text".
//
// mkpool / rmpool are not in Ceph 16's rados (they went in Nautilus); they are kept here with the texts
// older rados printed. bench and cleanup are obj_bencher's (src/common/obj_bencher.cc): the same object
// names, contents, metadata object and output, so Ceph's rados can read what this one wrote.

import { hostname } from 'node:os';
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

import { Decoder, Encoder, compareStringBytes } from '../common/encoding.js';
import { loadConfig, type LoadedConfig } from '../common/config.js';
import { CephError, Errno, strerror, type ErrnoName } from '../common/errors.js';
import { createFormatter, formatDoubleG, formatFixed, type Formatter } from '../common/formatter.js';
import type { UTime } from '../common/osdmap/index.js';
import { opSetAllocHint, opWrite } from '../msg/index.js';
import { Rados, type IoCtx, type ListEntry, type PoolStats } from '../librados/index.js';
import { ExitNow } from './argparse.js';
import { cppStrerror, fsErrno, isMainModule, writeAllSync } from './shell.js';

/** rados' default op size for put/get and bench (default_op_size, 4 MiB). */
export const OP_SIZE_DEFAULT = 1 << 22;
/** obj_bencher's default concurrency. */
export const BENCH_CONCURRENCY_DEFAULT = 16;
/** How long a command waits for the cluster when client_mount_timeout is 0. */
export const RADOS_CONNECT_TIMEOUT_MS = 30000;
/** The metadata object a bench run leaves for seq/rand/cleanup (obj_bencher's BENCH_LASTRUN_METADATA). */
export const BENCH_LASTRUN_METADATA = 'benchmark_last_metadata';
export const BENCH_PREFIX = 'benchmark_data';
/** obj_bencher takes the host name into a 30-byte buffer: at most 29 characters of it. */
const HOSTNAME_CHARS_MAX = 29;
/** Concurrent removes of `rados cleanup`. */
export const CLEANUP_CONCURRENCY = 16;

export interface RadosIo {
  stdout(b: Buffer): void;
  stderr(s: string): void;
  env: Readonly<Record<string, string | undefined>>;
  readStdin(): Buffer;
  readFile(path: string): Buffer;
  writeFile(path: string, data: Buffer): void;
  /** Seconds since the epoch for the bench's --show-time and latencies (performance.now based). */
  nowMs(): number;
  pid: number;
  hostname: string;
}

const USAGE = `usage: rados [options] [commands]
POOL COMMANDS
   lspools                          list the pools
   mkpool <pool-name> [pg-num]      create a pool (a tsceph extra: Ceph 16 dropped it)
   rmpool <pool-name> <pool-name> --yes-i-really-really-mean-it
                                    delete a pool and all its objects (also a tsceph extra)
   df                               usage per pool and for the cluster
   ls                               list the objects of the pool (-N namespace, --all for every one)

OBJECT COMMANDS
   get <obj-name> <outfile>         read an object into a file ('-' for stdout)
   put <obj-name> <infile> [--offset offset]
                                    write an object from a file ('-' for stdin), at offset (default 0)
   append <obj-name> <infile>       append a file to an object
   truncate <obj-name> length       cut or extend an object to length bytes
   create <obj-name>                create an empty object
   rm <obj-name> ...                remove objects
   stat <obj-name>                  show an object's mtime and size
   listxattr <obj-name>
   getxattr <obj-name> attr
   setxattr <obj-name> attr [val]   (the value from stdin when not given)
   rmxattr <obj-name> attr
   listomapkeys <obj-name>          the keys of an object's omap
   listomapvals <obj-name>          the keys and values of an object's omap
   getomapval <obj-name> <key> [file]
   setomapval <obj-name> <key> [val] (the value from stdin when not given)
   rmomapkey <obj-name> <key>
   clearomap <obj-name> [obj-name...]
   getomapheader <obj-name> [file]
   setomapheader <obj-name> <val>
   bench <seconds> write|seq|rand [-t concurrent_operations] [--no-cleanup] [--run-name run_name] [--no-hints]
                                    benchmark: 16 concurrent ops of 4 MiB unless -t / -b say otherwise;
                                    a write run removes its objects at the end unless --no-cleanup;
                                    the run name defaults to 'benchmark_last_metadata'
   cleanup [--run-name run_name] [--prefix prefix]
                                    remove the objects a bench write run left

GLOBAL OPTIONS:
   -p pool, --pool=pool             the pool to work in
   -N namespace, --namespace=namespace
                                    the namespace of the objects
   --all                            with ls: every namespace
   --default                        with ls: the default namespace only (wins over --all)
   --object-locator locator         place objects by this key instead of their name
   -f [plain|json|json-pretty], --format=...
   -b op_size                       block size of put/get and of bench writes
   -O object_size                   object size of bench writes
   --max-objects N                  stop a bench write after N objects
   --offset N                       with put: where to start writing
   --input-file file                the value of setomapval / setxattr from a file

BENCH OPTIONS:
   -t N, --concurrent-ios=N         concurrent operations
   --show-time                      prefix lines with the date and time
   --no-verify                      do not check the contents of objects read

GENERIC OPTIONS:
`;

/** The client options part of the usage: rados prints it on stdout, after the rest. */
const GENERIC_USAGE = `  --conf/-c FILE    read configuration from the given configuration file
  --id ID           set ID portion of my name
  --name/-n TYPE.ID set name
  -m MONADDR        the monitors to contact
  --cluster NAME    set cluster name (default: ceph)

`;

interface Opts {
  pool: string | null;
  nspace: string;
  all: boolean;
  locator: string;
  format: string;
  opSize: number;
  objectSize: number;
  concurrency: number;
  maxObjects: number;
  noCleanup: boolean;
  runName: string;
  prefix: string;
  offset: number;
  offsetGiven: boolean;
  /** -b was given (rados refuses it for a read bench). */
  opSizeGiven: boolean;
  yes: boolean;
  noVerify: boolean;
  noHints: boolean;
  showTime: boolean;
  inputFile: string | null;
}

/** Print the usage: asked for (--help: stdout, status 0) or after a bad command line (stderr, status 1). */
class Usage extends Error {
  constructor(readonly asked = false) {
    super('usage');
  }
}

/** rados' exit status when main() returns -EINVAL (an option value it cannot parse): 256 - 22. */
const EXIT_EINVAL = 256 - Errno.EINVAL;

/**
 * strict_iecstrtoll: a size with an optional IEC suffix (4096, 4K, 4M, 1G); `name` is the option's
 * long name without dashes, as rados names it in the complaint (block-size, offset, ...).
 */
function iecSize(name: string, v: string, io: RadosIo): number {
  const m = /^(\d+)([KMGTPE]i?)?B?$/.exec(v);
  if (!m) {
    io.stderr(`Invalid value for ${name}: strict_iecstrtoll: unit prefix not recognized\n`);
    throw new ExitNow(EXIT_EINVAL);
  }
  const shift = m[2] ? 'KMGTPE'.indexOf(m[2][0]!) * 10 + 10 : 0;
  return Number(m[1]) * 2 ** shift;
}

function parseArgs(rest: string[], io: RadosIo): { opts: Opts; words: string[] } {
  const o: Opts = {
    pool: null, nspace: '', all: false, locator: '', format: 'plain', opSize: OP_SIZE_DEFAULT, objectSize: 0,
    concurrency: BENCH_CONCURRENCY_DEFAULT, opSizeGiven: false, maxObjects: 0, noCleanup: false, runName: '', prefix: '', offset: 0, offsetGiven: false,
    yes: false, noVerify: false, noHints: false, showTime: false, inputFile: null,
  };
  let defaultNs = false;
  const words: string[] = [];
  const takeValue = (i: number, a: string): { v: string; used: number } => {
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) return { v: a.slice(eq + 1), used: 1 };
    if (i + 1 >= rest.length) {
      io.stderr(`Option ${a} requires an argument.\n`);
      throw new ExitNow(1);
    }
    return { v: rest[i + 1]!, used: 2 };
  };
  for (let i = 0; i < rest.length; ) {
    const a = rest[i]!;
    const key = a.startsWith('--') ? '--' + a.slice(2).split('=')[0]!.replace(/_/g, '-') : a;
    let used = 1;
    const val = (): string => {
      const t = takeValue(i, a);
      used = t.used;
      return t.v;
    };
    switch (key) {
      case '-p': case '--pool': o.pool = val(); break;
      case '-N': case '--namespace': o.nspace = val(); break;
      case '--all': o.all = true; break;
      case '--default': defaultNs = true; break;
      case '--object-locator': o.locator = val(); break;
      case '-f': case '--format': o.format = val(); break;
      case '-b': case '--block-size': o.opSize = iecSize('block-size', val(), io); o.opSizeGiven = true; break;
      case '-O': case '--object-size': o.objectSize = iecSize('object-size', val(), io); break;
      case '-t': case '--concurrent-ios': o.concurrency = iecSize('concurrent-ios', val(), io); break;
      case '--max-objects': o.maxObjects = iecSize('max-objects', val(), io); break;
      case '--offset': o.offset = iecSize('offset', val(), io); o.offsetGiven = true; break;
      case '--run-name': o.runName = val(); break;
      case '--prefix': o.prefix = val(); break;
      case '--input-file': o.inputFile = val(); break;
      case '--no-cleanup': o.noCleanup = true; break;
      case '--no-verify': o.noVerify = true; break;
      case '--no-hints': o.noHints = true; break;
      case '--show-time': o.showTime = true; break;
      case '--yes-i-really-really-mean-it': o.yes = true; break;
      case '-h': case '--help': throw new Usage(true);
      default:
        if (a === '--') {
          words.push(...rest.slice(i + 1));
          i = rest.length;
          continue;
        }
        words.push(a);
    }
    i += used;
  }
  if (defaultNs) o.all = false;
  if (o.objectSize === 0) o.objectSize = o.opSize;
  return { opts: o, words };
}

// ---- text helpers ---------------------------------------------------------------------------------

/** Ceph's bufferlist::hexdump: 16 bytes a line, identical lines folded into '*', the length last. */
export function hexdump(b: Buffer): string {
  const per = 16;
  let out = '';
  let wasSame = false;
  for (let o = 0; o < b.length; o += per) {
    if (o > 0 && o + per <= b.length && b.subarray(o, o + per).equals(b.subarray(o - per, o))) {
      if (!wasSame) out += '*\n';
      wasSame = true;
      continue;
    }
    wasSame = false;
    let line = o.toString(16).padStart(8, '0') + ' ';
    let i = 0;
    for (; i < per && o + i < b.length; i++) {
      if (i === 8) line += ' ';
      line += ' ' + b[o + i]!.toString(16).padStart(2, '0');
    }
    for (; i < per; i++) {
      if (i === 8) line += ' ';
      line += '   ';
    }
    line += '  |';
    for (i = 0; i < per && o + i < b.length; i++) {
      const c = b[o + i]!;
      line += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.';
    }
    out += line + '|\n';
  }
  return out + b.length.toString(16).padStart(8, '0') + '\n';
}

/** Ceph's byte_u_t: "0 B", "4 KiB", "1.5 MiB" (at most 7 characters with the unit when not exact). */
export function byteU(v: number): string {
  const units = [' B', ' KiB', ' MiB', ' GiB', ' TiB', ' PiB', ' EiB'];
  let n = v;
  let index = 0;
  while (n >= 1024 && index < 6) {
    n = Math.floor(n / 1024);
    index++;
  }
  const mult = 2 ** (10 * index);
  if (index === 0 || v % mult === 0) return `${n}${units[index]}`;
  let s = '';
  for (let i = 2; i >= 0; i--) {
    s = `${formatFixed(v / mult, i)}${units[index]}`;
    if (s.length <= 7) break;
  }
  return s;
}

/** utime_t::localtime as Ceph 16 prints it: 2026-11-30T21:49:01.000000+0000. */
export function localTimeText(t: UTime): string {
  const d = new Date(t.sec * 1000);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const off = -d.getTimezoneOffset();
  const sign = off < 0 ? '-' : '+';
  const ao = Math.abs(off);
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.` +
    `${p(Math.floor(t.nsec / 1000), 6)}${sign}${p(Math.floor(ao / 60))}${p(ao % 60)}`;
}

function errnoOf(e: unknown): number {
  if (e instanceof CephError) return -e.errno;
  throw e;
}

/** A fixed-width text table as Ceph's TextTable prints it: columns two spaces apart, no trailing spaces. */
function textTable(headers: Array<{ name: string; right: boolean }>, rows: string[][]): string {
  const widths = headers.map((h, c) => Math.max(h.name.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]): string => cells.map((cell, c) => {
    const w = widths[c]!;
    const right = headers[c]!.right;
    const last = c === cells.length - 1;
    return right ? cell.padStart(w) : last ? cell : cell.padEnd(w);
  }).join('  ').replace(/\s+$/, '') + '\n';
  return line(headers.map((h) => h.name)) + rows.map((r) => line(r)).join('');
}

// ---- the program ----------------------------------------------------------------------------------

class Tool {
  private rados: Rados | null = null;
  private readonly out: (s: string | Buffer) => void;
  constructor(readonly io: RadosIo, readonly o: Opts, readonly loaded: LoadedConfig) {
    this.out = (s) => io.stdout(typeof s === 'string' ? Buffer.from(s) : s);
  }

  async connect(): Promise<Rados> {
    if (this.rados) return this.rados;
    // client_mount_timeout bounds the connection (Ceph's default, 300 s; --client-mount-timeout 5 for less).
    const cfg = this.loaded.config;
    const mountS = cfg.getNumber('client_mount_timeout');
    const connectTimeoutMs = mountS > 0 ? mountS * 1000 : RADOS_CONNECT_TIMEOUT_MS;
    this.rados = await Rados.connect({ config: cfg, id: cfg.identity.name.id, connectTimeoutMs });
    return this.rados;
  }

  async shutdown(): Promise<void> {
    await this.rados?.shutdown();
  }

  /** The pool's IoCtx, or the status after printing rados' complaint. */
  async ioctx(): Promise<IoCtx | number> {
    const r = await this.connect();
    const pool = this.o.pool!;
    let io: IoCtx;
    try {
      io = r.ioctx(pool);
    } catch (e) {
      this.io.stderr(`error opening pool ${pool}: ${cppStrerror(errnoOf(e))}\n`);
      return 1;
    }
    io.setNamespace(this.o.nspace);
    if (this.o.locator) io.setLocatorKey(this.o.locator);
    return io;
  }

  fail(what: string, e: unknown): number {
    this.io.stderr(`${what}: ${cppStrerror(errnoOf(e))}\n`);
    return 1;
  }

  /**
   * The shape of most object commands: open the pool's IoCtx and run `f` on it. A CephError from `f`
   * prints "<what>: (N) text" and gives status 1 (rados' "error ... POOL/OBJ" lines); `f` may return
   * a status of its own, else 0.
   */
  private async withIoctx(what: string, f: (io: IoCtx) => Promise<number | void>): Promise<number> {
    const io = await this.ioctx();
    if (typeof io === 'number') return io;
    try {
      return (await f(io)) ?? 0;
    } catch (e) {
      return this.fail(what, e);
    }
  }

  readInput(name: string): Buffer | number {
    try {
      return name === '-' ? this.io.readStdin() : this.io.readFile(name);
    } catch (e) {
      this.io.stderr(`error reading input file ${name}: ${cppStrerror(-fsErrno(e))}\n`);
      return 1;
    }
  }

  /** A value given as the argument, else from --input-file, else from stdin. */
  valueArg(v: string | undefined): Buffer | number {
    if (v !== undefined) return Buffer.from(v);
    if (this.o.inputFile !== null) return this.readInput(this.o.inputFile);
    return this.io.readStdin();
  }

  writeOutput(name: string, data: Buffer): number {
    if (name === '-') {
      this.out(data);
      return 0;
    }
    try {
      this.io.writeFile(name, data);
      return 0;
    } catch (e) {
      this.io.stderr(`failed to open file: ${cppStrerror(-fsErrno(e))}\n`);
      return -fsErrno(e);
    }
  }

  formatter(): Formatter | null {
    if (this.o.format === 'plain' || this.o.format === '') return null;
    return createFormatter(this.o.format, 'json-pretty');
  }

  // ---- commands ------------------------------------------------------------------------------

  async run(words: string[]): Promise<number> {
    const cmd = words[0]!;
    const args = words.slice(1);
    const poolless = new Set(['lspools', 'mkpool', 'rmpool', 'df']);
    if (!poolless.has(cmd) && this.o.pool === null) {
      if (KNOWN.has(cmd)) {
        if (cmd === 'ls') {
          this.io.stderr('either pool name or pg id needs to be specified\n');
          return 1;
        }
        throw new Usage(); // as rados: every other pool command without -p prints the usage
      }
    }
    switch (cmd) {
      case 'lspools': return this.lspools();
      case 'mkpool': return this.mkpool(args);
      case 'rmpool': return this.rmpool(args);
      case 'df': return this.df();
      case 'ls':
        if (args.length > 0 && args[0] !== '-') {
          this.io.stderr('Please use --output to specify the output file name\n');
          return 1;
        }
        return this.ls();
      case 'put': return this.put(args, false);
      case 'append': return this.put(args, true);
      case 'get': return this.get(args);
      case 'stat': return this.stat(args);
      case 'rm': return this.rm(args);
      case 'create': return this.create(args);
      case 'truncate': return this.truncate(args);
      case 'setxattr': return this.setxattr(args);
      case 'getxattr': return this.getxattr(args);
      case 'rmxattr': return this.rmxattr(args);
      case 'listxattr': return this.listxattr(args);
      case 'setomapval': return this.setomapval(args);
      case 'getomapval': return this.getomapval(args);
      case 'rmomapkey': return this.rmomapkey(args);
      case 'listomapkeys': return this.listomap(args, false);
      case 'listomapvals': return this.listomap(args, true);
      case 'clearomap': return this.clearomap(args);
      case 'getomapheader': return this.getomapheader(args);
      case 'setomapheader': return this.setomapheader(args);
      case 'bench': return this.bench(args);
      case 'cleanup': return this.cleanup();
      default:
        this.io.stderr(`unrecognized command ${cmd}; -h or --help for usage\n`);
        return -Errno.EINVAL;
    }
  }

  private need(args: string[], n: number): void {
    if (args.length < n) throw new Usage();
  }

  private async lspools(): Promise<number> {
    const r = await this.connect();
    for (const p of r.poolList()) this.out(`${p}\n`);
    return 0;
  }

  private async mkpool(args: string[]): Promise<number> {
    this.need(args, 1);
    const r = await this.connect();
    const name = args[0]!;
    try {
      await r.poolCreate(name, args[1] !== undefined ? Number(args[1]) : undefined);
    } catch (e) {
      this.io.stderr(`error creating pool ${name}: ${cppStrerror(errnoOf(e))}\n`);
      return 1;
    }
    this.out(`successfully created pool ${name}\n`);
    return 0;
  }

  private async rmpool(args: string[]): Promise<number> {
    this.need(args, 1);
    const name = args[0]!;
    if (args[1] !== name || !this.o.yes) {
      this.io.stderr(`WARNING:\n  This will PERMANENTLY DESTROY an entire pool of objects with no way back.\n` +
        `  To confirm, pass the pool to remove twice, followed by\n  --yes-i-really-really-mean-it\n`);
      return 1;
    }
    const r = await this.connect();
    try {
      await r.poolDelete(name);
    } catch (e) {
      this.io.stderr(`error deleting pool ${name}: ${cppStrerror(errnoOf(e))}\n`);
      return 1;
    }
    this.out(`successfully deleted pool ${name}\n`);
    return 0;
  }

  private async df(): Promise<number> {
    const r = await this.connect();
    const names = this.o.pool !== null ? [this.o.pool] : r.poolList();
    let stats: Map<string, PoolStats>;
    try {
      stats = await r.poolStats(names);
    } catch (e) {
      this.io.stderr(`error fetching pool stats: ${cppStrerror(errnoOf(e))}\n`);
      return 1;
    }
    const f = this.formatter();
    const rows: string[][] = [];
    if (f) {
      f.openObjectSection('stats');
      f.openArraySection('pools');
    }
    for (const [name, s] of stats) {
      if (!f) {
        rows.push([name, byteU(s.numBytes), String(s.numObjects), String(s.numObjectClones), String(s.numObjectCopies),
          String(s.numObjectsMissingOnPrimary), String(s.numObjectsUnfound), String(s.numObjectsDegraded), String(s.numRd),
          byteU(s.numRdKb * 1024), String(s.numWr), byteU(s.numWrKb * 1024), byteU(s.compressedBytesAlloc), byteU(s.compressedBytesOrig)]);
        continue;
      }
      f.openObjectSection('pool');
      f.dumpString('name', name);
      const id = r.osdmap.lookupPoolName(name);
      if (id >= 0) f.dumpInt('id', id);
      f.dumpInt('size_bytes', s.numBytes);
      f.dumpInt('size_kb', s.numKb);
      f.dumpInt('num_objects', s.numObjects);
      f.dumpInt('num_object_clones', s.numObjectClones);
      f.dumpInt('num_object_copies', s.numObjectCopies);
      f.dumpInt('num_objects_missing_on_primary', s.numObjectsMissingOnPrimary);
      f.dumpInt('num_objects_unfound', s.numObjectsUnfound);
      f.dumpInt('num_objects_degraded', s.numObjectsDegraded);
      f.dumpInt('read_ops', s.numRd);
      f.dumpInt('read_bytes', s.numRdKb * 1024);
      f.dumpInt('write_ops', s.numWr);
      f.dumpInt('write_bytes', s.numWrKb * 1024);
      f.dumpInt('compress_bytes_used', s.compressedBytesAlloc);
      f.dumpInt('compress_under_bytes', s.compressedBytesOrig);
      f.closeSection();
    }
    if (!f) {
      const cols = ['POOL_NAME', 'USED', 'OBJECTS', 'CLONES', 'COPIES', 'MISSING_ON_PRIMARY', 'UNFOUND', 'DEGRADED', 'RD_OPS', 'RD', 'WR_OPS', 'WR', 'USED COMPR', 'UNDER COMPR'];
      this.out(textTable(cols.map((name, c) => ({ name, right: c > 0 })), rows));
    }
    let st;
    try {
      st = await r.clusterStats();
    } catch (e) {
      this.io.stderr(`error getting total cluster usage: ${cppStrerror(errnoOf(e))}\n`);
      return 1;
    }
    if (!f) {
      this.out('\n');
      this.out(`total_objects    ${st.numObjects}\n`);
      this.out(`total_used       ${byteU(st.kbUsed * 1024)}\n`);
      this.out(`total_avail      ${byteU(st.kbAvail * 1024)}\n`);
      this.out(`total_space      ${byteU(st.kb * 1024)}\n`);
    } else {
      f.closeSection();
      f.dumpInt('total_objects', st.numObjects);
      f.dumpInt('total_used', st.kbUsed);
      f.dumpInt('total_avail', st.kbAvail);
      f.dumpInt('total_space', st.kb);
      f.closeSection();
      this.out(f.flush());
    }
    return 0;
  }

  private async ls(): Promise<number> {
    const io = await this.ioctx();
    if (typeof io === 'number') return io;
    const f = this.formatter();
    if (f) f.openArraySection('objects');
    try {
      let text = '';
      for await (const e of io.listObjects({ allNamespaces: this.o.all })) {
        if (f) {
          f.openObjectSection('object');
          f.dumpString('namespace', e.nspace);
          f.dumpString('name', e.oid);
          if (e.locator) f.dumpString('locator', e.locator);
          f.closeSection();
        } else {
          text += lsLine(e, this.o.all);
          if (text.length > 65536) {
            this.out(text);
            text = '';
          }
        }
      }
      this.out(text);
    } catch (e) {
      // Ceph's listing throws a std::system_error naming the C call; rados prints its what().
      this.io.stderr(`rados_nobjects_list_next2: ${strerror(errnoOf(e))}\n`);
      return 1;
    }
    if (f) {
      f.closeSection();
      this.out(f.flush()); // the pretty formatter ends its text with the newline rados adds
    }
    return 0;
  }

  private async put(args: string[], append: boolean): Promise<number> {
    this.need(args, 2);
    const [oid, file] = [args[0]!, args[1]!];
    const data = this.readInput(file);
    // Ceph's do_put / do_append return 1 (not an errno) for an unreadable input: the status stays 0.
    if (typeof data === 'number') return 0;
    const op = this.o.opSize;
    return this.withIoctx(`error ${append ? 'appending' : 'putting'} ${this.o.pool}/${oid}`, async (io) => {
      // As do_put / do_append: op-size chunks; put replaces the object with its first chunk unless
      // --offset was given; empty input appends nothing, or puts an empty object (then a hole up to
      // --offset).
      const base = append ? 0 : this.o.offset;
      if (data.length === 0 && !append) {
        await io.writeFull(oid, data);
        if (base > 0) await io.truncate(oid, base);
      }
      for (let off = 0; off < data.length; off += op) {
        const chunk = data.subarray(off, off + op);
        if (append) await io.append(oid, chunk);
        else if (base + off === 0 && !this.o.offsetGiven) await io.writeFull(oid, chunk);
        else await io.write(oid, chunk, base + off);
      }
    });
  }

  private async get(args: string[]): Promise<number> {
    this.need(args, 2);
    const [oid, file] = [args[0]!, args[1]!];
    const io = await this.ioctx();
    if (typeof io === 'number') return io;
    const parts: Buffer[] = [];
    try {
      for (let off = 0; ; ) {
        const b = await io.read(oid, this.o.opSize, off);
        parts.push(b);
        off += b.length;
        if (b.length < this.o.opSize) break;
      }
    } catch (e) {
      return this.fail(`error getting ${this.o.pool}/${oid}`, e);
    }
    const r = this.writeOutput(file, Buffer.concat(parts));
    if (r < 0) {
      this.io.stderr(`error getting ${this.o.pool}/${oid}: ${cppStrerror(r)}\n`);
      return 1;
    }
    return 0;
  }

  private async stat(args: string[]): Promise<number> {
    this.need(args, 1);
    const oid = args[0]!;
    return this.withIoctx(` error stat-ing ${this.o.pool}/${oid}`, async (io) => {
      const st = await io.stat(oid);
      this.out(`${this.o.pool}/${oid} mtime ${localTimeText({ sec: st.mtime.sec, nsec: 0 })}, size ${st.size}\n`);
    });
  }

  private async rm(args: string[]): Promise<number> {
    this.need(args, 1);
    const io = await this.ioctx();
    if (typeof io === 'number') return io;
    for (const oid of args) {
      try {
        await io.remove(oid);
      } catch (e) {
        return this.fail(`error removing ${this.o.pool}>${this.o.nspace ? `${this.o.nspace}/` : ''}${oid}`, e);
      }
    }
    return 0;
  }

  private async create(args: string[]): Promise<number> {
    this.need(args, 1);
    const oid = args[0]!;
    return this.withIoctx(`error creating ${this.o.pool}/${oid}`, (io) => io.create(oid, true));
  }

  private async truncate(args: string[]): Promise<number> {
    this.need(args, 2);
    const oid = args[0]!;
    if (!/^[-+]?\d+$/.test(args[1]!)) {
      this.io.stderr(`Invalid value for size: '${args[1]}'\n`);
      return 1;
    }
    const size = Number(args[1]);
    if (!Number.isSafeInteger(size) || size < 0) {
      this.io.stderr(`error, cannot truncate to negative value\n`);
      throw new Usage();
    }
    const io = await this.ioctx();
    if (typeof io === 'number') return io;
    try {
      await io.truncate(oid, size);
    } catch (e) {
      // rados prints this and keeps the error, so its end adds "error N: ..." too.
      const r = errnoOf(e);
      this.io.stderr(`error truncating oid ${oid} to ${size}: ${cppStrerror(r)}\n`);
      return r;
    }
    return 0;
  }

  private async setxattr(args: string[]): Promise<number> {
    this.need(args, 2);
    if (args.length > 3) throw new Usage();
    const [oid, attr] = [args[0]!, args[1]!];
    const v = this.valueArg(args[2]);
    if (typeof v === 'number') return v;
    return this.withIoctx(`error setting xattr ${this.o.pool}/${oid}/${attr}`, (io) => io.setxattr(oid, attr, v));
  }

  private async getxattr(args: string[]): Promise<number> {
    this.need(args, 2);
    const [oid, attr] = [args[0]!, args[1]!];
    return this.withIoctx(`error getting xattr ${this.o.pool}/${oid}/${attr}`, async (io) => {
      this.out(await io.getxattr(oid, attr));
    });
  }

  private async rmxattr(args: string[]): Promise<number> {
    this.need(args, 2);
    const [oid, attr] = [args[0]!, args[1]!];
    return this.withIoctx(`error removing xattr ${this.o.pool}/${oid}/${attr}`, (io) => io.rmxattr(oid, attr));
  }

  private async listxattr(args: string[]): Promise<number> {
    this.need(args, 1);
    const oid = args[0]!;
    return this.withIoctx(`error getting xattr set ${this.o.pool}/${oid}`, async (io) => {
      // The OSD keeps its own attributes ('_', 'snapset') beside the user's, which carry a leading '_'.
      for (const k of (await io.getxattrs(oid)).keys()) this.out(`${k}\n`);
    });
  }

  private async setomapval(args: string[]): Promise<number> {
    this.need(args, 2);
    const [oid, key] = [args[0]!, args[1]!];
    const v = this.valueArg(args[2]);
    if (typeof v === 'number') return v;
    return this.withIoctx(`error setting omap value ${this.o.pool}/${oid}/${key}`, (io) => io.omapSet(oid, new Map([[key, v]])));
  }

  private async getomapval(args: string[]): Promise<number> {
    this.need(args, 2);
    const [oid, key, file] = [args[0]!, args[1]!, args[2]];
    return this.withIoctx(`error getting omap value ${this.o.pool}/${oid}/${key}`, async (io) => {
      const v = (await io.omapGet(oid, [key])).get(key);
      if (v === undefined) {
        this.out(`No such key: ${this.o.pool}/${oid}/${key}\n`);
        return 1;
      }
      return this.dumpValue('value', v, file);
    });
  }

  /** getomapval / getomapheader: the bytes to `file`, else a hexdump under "<what> (N bytes) :". */
  private dumpValue(what: string, v: Buffer, file: string | undefined): number {
    if (file !== undefined) {
      this.io.stderr(`Writing to ${file}\n`);
      return this.writeOutput(file, v) < 0 ? 1 : 0;
    }
    this.out(`${what} (${v.length} bytes) :\n${hexdump(v)}\n`);
    return 0;
  }

  private async rmomapkey(args: string[]): Promise<number> {
    this.need(args, 2);
    const [oid, key] = [args[0]!, args[1]!];
    return this.withIoctx(`error removing omap key ${this.o.pool}/${oid}/${key}`, (io) => io.omapRm(oid, [key]));
  }

  private async listomap(args: string[], vals: boolean): Promise<number> {
    this.need(args, 1);
    const oid = args[0]!;
    return this.withIoctx(`error getting omap key${vals ? 's' : ' set'} ${this.o.pool}/${oid}`, async (io) => {
      if (!vals) {
        for (const k of await io.omapKeys(oid)) this.out(`${k}\n`);
      } else {
        for (const [k, v] of await io.omapGet(oid)) this.out(`${k}\nvalue (${v.length} bytes) :\n${hexdump(v)}\n`);
      }
    });
  }

  private async clearomap(args: string[]): Promise<number> {
    this.need(args, 1);
    const io = await this.ioctx();
    if (typeof io === 'number') return io;
    for (const oid of args) {
      try {
        await io.omapClear(oid);
      } catch (e) {
        // rados prints no ": " before the error text here.
        this.io.stderr(`error clearing omap keys ${this.o.pool}/${oid}/${cppStrerror(errnoOf(e))}\n`);
        return 1;
      }
    }
    return 0;
  }

  private async getomapheader(args: string[]): Promise<number> {
    this.need(args, 1);
    const [oid, file] = [args[0]!, args[1]];
    return this.withIoctx(`error getting omap header ${this.o.pool}/${oid}`, async (io) => this.dumpValue('header', await io.omapGetHeader(oid), file));
  }

  private async setomapheader(args: string[]): Promise<number> {
    this.need(args, 2);
    const [oid, val] = [args[0]!, args[1]!];
    return this.withIoctx(`error setting omap value ${this.o.pool}/${oid}`, (io) => io.omapSetHeader(oid, Buffer.from(val)));
  }

  // ---- bench ---------------------------------------------------------------------------------

  private async bench(args: string[]): Promise<number> {
    this.need(args, 2);
    const io = await this.ioctx();
    if (typeof io === 'number') return io;
    // As rados: strtol's whole-string check on the seconds (none given is 0), then the mode.
    if (!/^[+-]?\d*$/.test(args[0]!)) {
      this.io.stderr(`Invalid value for seconds: '${args[0]}'\n`);
      return 1;
    }
    const seconds = Math.max(0, Number(args[0] || '0'));
    const mode = args[1]!;
    if (!['write', 'seq', 'rand'].includes(mode)) throw new Usage();
    if (mode !== 'write' && this.o.opSizeGiven) {
      this.io.stderr("-b|--block_size option can be used only with 'write' bench test\n");
      return 1;
    }
    this.out(`hints = ${this.o.noHints ? 0 : 1}\n`);
    if (this.o.concurrency <= 0) {
      this.io.stderr(`error during benchmark: ${cppStrerror(-Errno.EINVAL)}\n`);
      return -Errno.EINVAL;
    }
    const b = new Bencher(this, io);
    const r = await b.run(mode as 'write' | 'seq' | 'rand', seconds);
    if (r < 0) {
      this.io.stderr(`error during benchmark: ${cppStrerror(r)}\n`);
      return r;
    }
    return 0;
  }

  private async cleanup(): Promise<number> {
    const io = await this.ioctx();
    if (typeof io === 'number') return io;
    const b = new Bencher(this, io);
    const r = await b.cleanupCommand();
    if (r < 0) {
      this.io.stderr(`error during cleanup: ${cppStrerror(r)}\n`);
      return r;
    }
    return 0;
  }

  emit(s: string): void {
    this.out(s);
  }
}

const KNOWN = new Set(['ls', 'put', 'append', 'get', 'stat', 'rm', 'create', 'truncate', 'setxattr', 'getxattr', 'rmxattr', 'listxattr',
  'setomapval', 'getomapval', 'rmomapkey', 'listomapkeys', 'listomapvals', 'clearomap', 'getomapheader', 'setomapheader', 'bench', 'cleanup']);

function lsLine(e: ListEntry, all: boolean): string {
  let s = all ? `${e.nspace}\t` : '';
  s += e.oid;
  if (e.locator) s += `\t${e.locator}`;
  return s + '\n';
}

// ---- obj_bencher ----------------------------------------------------------------------------------

interface BenchMeta {
  objectSize: number;
  numOps: number;
  pid: number;
  opSize: number;
}

/** The bench metadata object: object size (u64), ops done (s32), writer pid (s32), op size (u64). */
export function encodeBenchMeta(m: BenchMeta): Buffer {
  return new Encoder(24).u64(m.objectSize).s32(m.numOps).s32(m.pid).u64(m.opSize).toBuffer();
}

export function decodeBenchMeta(b: Buffer): BenchMeta {
  const d = new Decoder(b, 'bench metadata');
  const objectSize = d.u64('object_size');
  const numOps = d.s32('num_ops');
  const pid = d.s32('pid');
  const opSize = d.atEnd() ? objectSize : d.u64('op_size');
  return { objectSize, numOps, pid, opSize };
}

/**
 * obj_bencher's object contents: "I'm the %16dth op!" then NUL, the rest 'z' (snprintf into op_size).
 * A bench worker passes its own buffer (from an earlier call) to have only the text rewritten: the
 * text has the same length for every op, so the 'z' bytes after it stay as they are.
 */
export function benchContents(index: number, opSize: number, into: Buffer = Buffer.alloc(opSize, 'z')): Buffer {
  if (opSize === 0) return into;
  const n = into.write(`I'm the ${String(index).padStart(16)}th op!`, 0, opSize - 1, 'latin1');
  into[n] = 0;
  return into;
}

const g = (x: number): string => formatDoubleG(x, 6);

class Bencher {
  private inFlight = 0;
  private started = 0;
  private finished = 0;
  private curLatency = 0;
  private avgLatency = 0;
  private minLatency = 9999;
  private maxLatency = 0;
  private totalLatency = 0;
  private startMs = 0;
  private readonly latencies: number[] = [];
  private readonly bwHistory: number[] = [];
  private readonly iopsHistory: number[] = [];
  private maxBw = 0;
  private minBw = Number.MAX_VALUE;
  private maxIops = 0;
  private minIops = 0x7fffffff;
  private opSize = 0;
  private objectSize = 0;
  private errors = 0;
  private readonly io: RadosIo;

  constructor(private readonly t: Tool, private readonly ioctx: IoCtx) {
    this.io = t.io;
  }

  private prefix(pid = this.io.pid): string {
    return `${BENCH_PREFIX}_${this.io.hostname.slice(0, HOSTNAME_CHARS_MAX)}_${pid}`;
  }

  private objectName(n: number, pid?: number): string {
    return `${this.prefix(pid)}_object${n}`;
  }

  private line(s: string): void {
    this.t.emit((this.t.o.showTime ? localTimeText(this.now()) + ' ' : '') + s);
  }

  private now(): UTime {
    const ms = this.io.nowMs();
    return { sec: Math.floor(ms / 1000), nsec: Math.floor((ms % 1000) * 1e6) };
  }

  private metaName(): string {
    return this.t.o.runName || BENCH_LASTRUN_METADATA;
  }

  private async fetchMeta(): Promise<BenchMeta | number> {
    try {
      const b = await this.ioctx.read(this.metaName(), 24);
      if (b.length === 0) return -Errno.ENOENT;
      return decodeBenchMeta(b);
    } catch (e) {
      return errnoOf(e);
    }
  }

  /** The status printer: one line a second, the header every 20 lines (obj_bencher's status_printer). */
  private startPrinter(): () => void {
    let i = 0;
    let previous = 0;
    let cycleSinceChange = 0;
    const tick = (): void => {
      if (i % 20 === 0) {
        if (i > 0) this.t.emit(`${localTimeText(this.now())} min lat: ${g(this.minLatency)} max lat: ${g(this.maxLatency)} avg lat: ${g(this.avgLatency)}\n`);
        this.line(`${'sec'.padStart(5)}${'Cur ops'.padStart(8)}${'started'.padStart(10)}${'finished'.padStart(10)}${'avg MB/s'.padStart(10)}` +
          `${'cur MB/s'.padStart(10)}${'last lat(s)'.padStart(12)}${'avg lat(s)'.padStart(12)}\n`);
      }
      const bw = cycleSinceChange ? ((this.finished - previous) * this.opSize) / (1024 * 1024) / cycleSinceChange : -1;
      if (bw > -1) {
        if (bw > this.maxBw) this.maxBw = bw;
        if (bw < this.minBw) this.minBw = bw;
        this.bwHistory.push(bw);
      }
      const iops = cycleSinceChange ? Math.trunc((this.finished - previous) / cycleSinceChange) : -1;
      if (iops > -1) {
        if (iops > this.maxIops) this.maxIops = iops;
        if (iops < this.minIops) this.minIops = iops;
        this.iopsHistory.push(iops);
      }
      const elapsedS = (this.io.nowMs() - this.startMs) / 1000;
      const avgBw = elapsedS > 0 ? (this.opSize * this.finished) / elapsedS / (1024 * 1024) : 0;
      const head = `${String(i).padStart(5)} ${String(this.inFlight).padStart(7)} ${String(this.started).padStart(9)} ${String(this.finished).padStart(9)} ${g(avgBw).padStart(9)}`;
      if (previous !== this.finished) {
        previous = this.finished;
        cycleSinceChange = 0;
        this.line(`${head} ${g(bw).padStart(9)} ${g(this.curLatency).padStart(11)} ${g(this.avgLatency).padStart(11)}\n`);
      } else {
        this.line(`${head} ${'0'.padStart(9)} ${'-'.padStart(11)} ${g(this.avgLatency).padStart(11)}\n`);
      }
      i++;
      cycleSinceChange++;
    };
    tick();
    const timer = setInterval(tick, 1000);
    return () => clearInterval(timer);
  }

  private record(latencyS: number, keep: boolean): void {
    this.curLatency = latencyS;
    if (keep) this.latencies.push(latencyS);
    this.totalLatency += latencyS;
    if (latencyS > this.maxLatency) this.maxLatency = latencyS;
    if (latencyS < this.minLatency) this.minLatency = latencyS;
    this.finished++;
    this.avgLatency = this.totalLatency / this.finished;
    this.inFlight--;
  }

  async run(mode: 'write' | 'seq' | 'rand', seconds: number): Promise<number> {
    const o = this.t.o;
    let meta: BenchMeta | null = null;
    if (mode !== 'write') {
      const m = await this.fetchMeta();
      if (typeof m === 'number') {
        if (m === -Errno.ENOENT) this.io.stderr('Must write data before running a read benchmark!\n');
        return m;
      }
      meta = m;
      this.opSize = m.opSize;
      this.objectSize = m.objectSize;
    } else {
      this.opSize = o.opSize;
      this.objectSize = o.objectSize;
    }
    const r = mode === 'write' ? await this.write(seconds) : await this.read(seconds, meta!, mode === 'rand');
    if (r < 0 || mode !== 'write' || o.noCleanup) return r;
    const m = await this.fetchMeta();
    if (typeof m === 'number') return m;
    this.t.emit('Cleaning up (deleting benchmark objects)\n');
    const t0 = this.io.nowMs();
    const removed = await this.removeObjects(this.objectsOf(m), this.io.pid);
    if (removed < 0) return removed;
    try {
      await this.ioctx.remove(this.metaName());
    } catch (e) {
      return errnoOf(e);
    }
    this.t.emit(removedText(removed));
    this.t.emit(`Clean up completed and total clean up time :${g((this.io.nowMs() - t0) / 1000)}\n`);
    return 0;
  }

  private objectsOf(m: BenchMeta): number {
    const perObject = m.opSize ? Math.max(1, Math.floor(m.objectSize / m.opSize)) : 1;
    return Math.ceil(m.numOps / perObject);
  }

  private async write(seconds: number): Promise<number> {
    const o = this.t.o;
    const conc = o.concurrency;
    this.line(`Maintaining ${conc} concurrent writes of ${this.opSize} bytes to objects of size ${this.objectSize} for up to ${seconds} seconds or ${o.maxObjects} objects\n`);
    this.line(`Object prefix: ${this.prefix()}\n`);
    const perObject = this.opSize ? Math.max(1, Math.floor(this.objectSize / this.opSize)) : 1;
    const maxOps = o.maxObjects ? Math.ceil((this.objectSize * o.maxObjects) / this.opSize) : Infinity;
    this.startMs = this.io.nowMs();
    const stopMs = this.startMs + seconds * 1000;
    let failure = 0;
    const worker = async (): Promise<void> => {
      // One buffer per worker: its op is acknowledged before the next one reuses it.
      const contents = benchContents(0, this.opSize);
      while (failure === 0 && (seconds === 0 || this.io.nowMs() < stopMs) && this.started < maxOps) {
        const n = this.started++;
        this.inFlight++;
        const name = this.objectName(Math.floor(n / perObject));
        const offset = this.opSize * (n % perObject);
        const ops = [opWrite(offset, benchContents(n, this.opSize, contents))];
        if (!o.noHints) ops.unshift(opSetAllocHint(this.objectSize, this.opSize, 0));
        const t0 = performance.now();
        try {
          await this.ioctx.operate(name, ops);
        } catch (e) {
          failure = errnoOf(e);
          return;
        }
        this.record((performance.now() - t0) / 1000, true);
      }
    };
    // The first ops go out before the first status line, as obj_bencher starts them.
    const workers = Array.from({ length: conc }, worker);
    const stopPrinter = this.startPrinter();
    await Promise.all(workers);
    const elapsedS = (this.io.nowMs() - this.startMs) / 1000;
    stopPrinter();
    if (failure < 0) return failure;
    const bw = (this.finished * this.opSize) / elapsedS / (1024 * 1024);
    const lines: Array<[string, string]> = [
      ['Total time run:', g(elapsedS)],
      ['Total writes made:', String(this.finished)],
      ['Write size:', String(this.opSize)],
      ['Object size:', String(this.objectSize)],
      ['Bandwidth (MB/sec):', g(bw)],
      ['Stddev Bandwidth:', g(stddev(this.bwHistory))],
      ['Max bandwidth (MB/sec):', g(this.maxBw)],
      ['Min bandwidth (MB/sec):', g(this.bwHistory.length ? this.minBw : 0)],
      ['Average IOPS:', String(Math.trunc(this.finished / elapsedS))],
      ['Stddev IOPS:', g(stddev(this.iopsHistory))],
      ['Max IOPS:', String(this.maxIops)],
      ['Min IOPS:', String(this.iopsHistory.length ? this.minIops : 0)],
      ['Average Latency(s):', g(this.avgLatency)],
      ['Stddev Latency(s):', g(stddev(this.latencies))],
      ['Max latency(s):', g(this.maxLatency)],
      ['Min latency(s):', g(this.minLatency)],
    ];
    for (const [k, v] of lines) this.line(`${k.padEnd(24)}${v}\n`);
    try {
      await this.ioctx.writeFull(this.metaName(), encodeBenchMeta({ objectSize: this.objectSize, numOps: this.finished, pid: this.io.pid, opSize: this.opSize }));
    } catch (e) {
      return errnoOf(e);
    }
    return 0;
  }

  private async read(seconds: number, meta: BenchMeta, random: boolean): Promise<number> {
    const o = this.t.o;
    const conc = o.concurrency;
    const perObject = this.opSize ? Math.max(1, Math.floor(this.objectSize / this.opSize)) : 1;
    this.startMs = this.io.nowMs();
    const stopMs = this.startMs + seconds * 1000;
    // obj_bencher starts the printer before a random run's first reads, after a sequential run's.
    let stopPrinter = random ? this.startPrinter() : null;
    let failure = 0;
    const worker = async (): Promise<void> => {
      const expected = benchContents(0, this.opSize);
      while (failure === 0 && (seconds === 0 || this.io.nowMs() < stopMs) && (random || this.started < meta.numOps)) {
        const n = random ? Math.floor(Math.random() * meta.numOps) : this.started;
        this.started++;
        this.inFlight++;
        const name = this.objectName(Math.floor(n / perObject), meta.pid);
        const t0 = performance.now();
        let got: Buffer;
        try {
          got = await this.ioctx.read(name, this.opSize, this.opSize * (n % perObject));
        } catch (e) {
          this.io.stderr(`read got ${errnoOf(e)}\n`);
          failure = errnoOf(e);
          return;
        }
        this.record((performance.now() - t0) / 1000, false);
        if (!o.noVerify && !got.equals(benchContents(n, this.opSize, expected))) {
          this.io.stderr(`${name} is not correct!\n`);
          this.errors++;
        }
      }
    };
    const workers = Array.from({ length: conc }, worker);
    stopPrinter ??= this.startPrinter();
    await Promise.all(workers);
    const elapsedS = (this.io.nowMs() - this.startMs) / 1000;
    stopPrinter();
    if (failure < 0) return failure;
    const bw = (this.finished * this.opSize) / elapsedS / (1024 * 1024);
    const lines: Array<[string, string]> = [
      ['Total time run:', g(elapsedS)],
      ['Total reads made:', String(this.finished)],
      ['Read size:', String(this.opSize)],
      ['Object size:', String(this.objectSize)],
      ['Bandwidth (MB/sec):', g(bw)],
      ['Average IOPS:', String(Math.trunc(this.finished / elapsedS))],
      ['Stddev IOPS:', g(stddev(this.iopsHistory))],
      ['Max IOPS:', String(this.maxIops)],
      ['Min IOPS:', String(this.iopsHistory.length ? this.minIops : 0)],
      ['Average Latency(s):', g(this.avgLatency)],
      ['Max latency(s):', g(this.maxLatency)],
      ['Min latency(s):', g(this.minLatency)],
    ];
    for (const [k, v] of lines) this.line(`${k.padEnd(22)}${v}\n`);
    return this.errors > 0 ? -Errno.EIO : 0;
  }

  /** Remove a run's `count` objects; how many were removed or found gone already (obj_bencher counts both), or -errno. */
  private removeObjects(count: number, pid: number): Promise<number> {
    return this.removeEach(count, (i) => this.objectName(i, pid));
  }

  private removeNamed(names: readonly string[]): Promise<number> {
    return this.removeEach(names.length, (i) => names[i]!);
  }

  private async removeEach(count: number, name: (i: number) => string): Promise<number> {
    let next = 0;
    let removed = 0;
    let failure = 0;
    const worker = async (): Promise<void> => {
      while (failure === 0 && next < count) {
        try {
          await this.ioctx.remove(name(next++));
        } catch (e) {
          const r = errnoOf(e);
          if (r !== -Errno.ENOENT) {
            failure = r;
            return;
          }
        }
        removed++;
      }
    };
    await Promise.all(Array.from({ length: CLEANUP_CONCURRENCY }, worker));
    return failure < 0 ? failure : removed;
  }

  /**
   * `rados cleanup`, as obj_bencher's clean_up: list the IoCtx's namespace (every one with --all) for
   * the run's metadata object and for objects named with the prefix (--prefix, else
   * benchmark_data_HOST); in each namespace holding such objects, remove the run's objects by its
   * metadata (then the metadata), or by the prefix when that namespace has no metadata object.
   */
  async cleanupCommand(): Promise<number> {
    const o = this.t.o;
    const metaName = this.metaName();
    const prefix = o.prefix || `${BENCH_PREFIX}_${this.io.hostname.slice(0, HOSTNAME_CHARS_MAX)}`;
    if (!prefix.startsWith(BENCH_PREFIX)) {
      this.io.stderr(`Specified --prefix invalid, it must begin with "${BENCH_PREFIX}"\n`);
      return -Errno.EINVAL;
    }
    const metaSpaces = new Set<string>();
    const prefixSpaces = new Set<string>();
    for await (const e of this.ioctx.listObjects({ allNamespaces: o.all })) {
      if (e.oid === metaName) metaSpaces.add(e.nspace);
      if (e.oid.startsWith(prefix)) prefixSpaces.add(e.nspace);
    }
    for (const ns of [...prefixSpaces].sort(compareStringBytes)) {
      this.ioctx.setNamespace(ns);
      if (!metaSpaces.has(ns)) {
        this.t.emit('Warning: using slow linear search\n');
        const names: string[] = [];
        for await (const e of this.ioctx.listObjects()) if (e.oid.startsWith(prefix)) names.push(e.oid);
        const r = await this.removeNamed(names);
        if (r < 0) return -Errno.EIO;
        this.t.emit(removedText(r));
        continue;
      }
      const m = await this.fetchMeta();
      if (typeof m === 'number') return m;
      const removed = await this.removeObjects(this.objectsOf(m), m.pid);
      if (removed < 0) return removed;
      this.t.emit(removedText(removed));
      try {
        await this.ioctx.remove(metaName);
      } catch (e) {
        return errnoOf(e);
      }
    }
    return 0;
  }
}

/** obj_bencher's "Removed N object(s)" line. */
function removedText(n: number): string {
  return `Removed ${n} object${n !== 1 ? 's' : ''}\n`;
}

/** obj_bencher's vec_stddev: the sample standard deviation, 0 under two samples. */
function stddev(v: readonly number[]): number {
  if (v.length < 2) return 0;
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const ss = v.reduce((a, b) => a + (b - mean) * (b - mean), 0);
  return Math.sqrt(ss / (v.length - 1));
}

// ---- entry ----------------------------------------------------------------------------------------

export async function main(argv: string[], ioIn: Partial<RadosIo> = {}): Promise<number> {
  const io: RadosIo = {
    stdout: (b) => writeAllSync(1, b),
    stderr: (s) => writeAllSync(2, Buffer.from(s)),
    env: process.env,
    readStdin: () => readFileSync(0),
    readFile: (p) => readFileSync(p),
    writeFile: (p, d) => writeFileSync(p, d, { mode: 0o644 }),
    nowMs: () => performance.timeOrigin + performance.now(),
    pid: process.pid,
    hostname: hostname().split('.')[0] ?? 'localhost',
    ...ioIn,
  };
  let tool: Tool | null = null;
  try {
    let loaded: LoadedConfig;
    try {
      loaded = loadConfig({ argv, env: io.env, defaultType: 'client' });
    } catch (e) {
      if (e instanceof CephError) {
        io.stderr(`${e.message}\n`);
        return 1;
      }
      throw e;
    }
    const { opts, words } = parseArgs(loaded.rest, io);
    if (words.length === 0) {
      io.stderr('rados: you must give an action. Try --help\n');
      return 1;
    }
    tool = new Tool(io, opts, loaded);
    const r = await tool.run(words);
    if (r < 0) {
      io.stderr(`error ${-r}: ${cppStrerror(r)}\n`);
      return 1;
    }
    return r;
  } catch (e) {
    if (e instanceof ExitNow) return e.status;
    if (e instanceof Usage) {
      if (e.asked) io.stdout(Buffer.from(USAGE));
      else io.stderr(USAGE);
      io.stdout(Buffer.from(GENERIC_USAGE));
      return e.asked ? 0 : 1;
    }
    if (e instanceof CephError) {
      const code: ErrnoName = e.code;
      if (code === 'ETIMEDOUT' || code === 'ENOENT' || code === 'EINVAL') {
        io.stderr(`couldn't connect to cluster: ${cppStrerror(-e.errno)}\n`);
        return 1;
      }
      io.stderr(`error ${e.errno}: ${cppStrerror(-e.errno)}\n`);
      return 1;
    }
    throw e;
  } finally {
    await tool?.shutdown();
  }
}

if (isMainModule(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`rados: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
