#!/usr/bin/env node
// osdmaptool: a drop-in for Ceph 16.2's osdmaptool (src/tools/osdmaptool.cc). Same options (parsed as
// ceph_argparse and global_init parse them, CEPH_ARGS included), same stages in the same order, same
// messages, exit statuses and output bytes. The work is done by the pure modules of common/osdmap
// (build_simple, placement, the codec, the views, the tester); this file parses the command line,
// reads and writes files, and prints.

import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';

import { CephError, assert } from '../common/errors.js';
import { JSONFormatter } from '../common/formatter.js';
import * as osdmapLib from '../common/osdmap/index.js';
import {
  CEPH_OSD_IN,
  CEPH_OSD_OUT,
  CEPH_OSD_UP,
  CephAssertFailure,
  GlibcRand,
  MapPgsTester,
  Mt19937,
  OSDMap,
  OsdmaptoolFault,
  PACIFIC_BUILD_SIMPLE_CONFIG,
  applyIncremental,
  buildSimple,
  buildSimpleFromConf,
  calcPgUpmaps,
  calcUpOsdFeatures,
  cleanPgUpmaps,
  cppShuffle,
  decodeOSDMap,
  deviceWeights,
  dumpHealthChecks,
  encodeOSDMap,
  ianaTimeZone,
  incUpmapCommands,
  newIncremental,
  osdmaptoolDump,
  osdmaptoolTree,
  parsePgidSscanf,
  pgText,
  testMapObject,
  testMapPg,
  type BuildSimpleConfig,
  type OSDMapIncremental,
  type TextSink,
  type UTime,
  type ViewOptions,
} from '../common/osdmap/index.js';
import { decodeCrushMap, encodeCrushMap, CrushWrapper } from '../crush/index.js';
import { byteString, cppStrerror, fsErrno, isMainModule, readWholeFile, writeAllSync, writeWholeFile } from './shell.js';
import { ArgCursor, ExitNow, atof, strictStrtoll } from './argparse.js';
import { CEPH_BOOL_OPTIONS, CEPH_INT_OPTIONS, CEPH_VALUE_OPTIONS } from './osdmaptool-options.js';

const CEPH_VERSION = 'ceph version 16.2.15 (618f440892089921c3e944a991122ddc44e60516) pacific (stable)';

/** Where osdmaptool's bytes go and what it reads from its environment; defaults are the process's. */
export interface OsdmaptoolIo {
  /** Byte strings (one char per byte), as C writes them. */
  stdout(text: string): void;
  stderr(text: string): void;
  /** Directory relative paths are resolved against. */
  cwd: string;
  /** argv[0] as Ceph prints it in messages ("osdmaptool: ..."). */
  argv0: string;
  /** The CEPH_ARGS environment variable. */
  cephArgs: string | undefined;
  /** ceph_clock_now(): the created/modified stamps of --createsimple. */
  now(): UTime;
  /** getpid(): --test-random seeds rand() with it. */
  pid: number;
  /** The TZ environment variable (utime_t prints local time); undefined is UTC here. */
  tz: string | undefined;
  /** std::random_device's draws (u32): --upmap's pool order and the balancer's shuffles. */
  randomDevice: () => number;
}

function processIo(): OsdmaptoolIo {
  return {
    stdout: (s) => writeAll(1, s),
    stderr: (s) => writeAll(2, s),
    cwd: process.cwd(),
    argv0: 'osdmaptool',
    cephArgs: byteString(process.env['CEPH_ARGS']),
    now: () => {
      // clock_gettime(CLOCK_REALTIME) to the microsecond (utime_t prints microseconds)
      const us = Math.floor((performance.timeOrigin + performance.now()) * 1000);
      return { sec: Math.floor(us / 1e6), nsec: (us % 1e6) * 1000 };
    },
    pid: process.pid,
    tz: process.env['TZ'],
    randomDevice: () => randomBytes(4).readUInt32LE(0),
  };
}

/** A blocking write of the whole text (stdout may be a pipe: EAGAIN is retried). */
function writeAll(fd: number, s: string): void {
  writeAllSync(fd, Buffer.from(s, 'latin1'));
}

const USAGE = ` usage: [--print] <mapfilename>
   --create-from-conf      creates an osd map with default configurations
   --createsimple <numosd> [--clobber] [--pg-bits <bitsperosd>] [--pgp-bits <bits>] creates a relatively generic OSD map with <numosd> devices
   --pgp-bits <bits>       pgp_num map attribute will be shifted by <bits>
   --pg-bits <bits>        pg_num map attribute will be shifted by <bits>
   --clobber               allows osdmaptool to overwrite <mapfilename> if it already exists
   --export-crush <file>   write osdmap's crush map to <file>
   --import-crush <file>   replace osdmap's crush map with <file>
   --health                dump health checks
   --test-map-pgs [--pool <poolid>] [--pg_num <pg_num>] [--range-first <first> --range-last <last>] map all pgs
   --test-map-pgs-dump [--pool <poolid>] [--range-first <first> --range-last <last>] map all pgs
   --test-map-pgs-dump-all [--pool <poolid>] [--range-first <first> --range-last <last>] map all pgs to osds
   --mark-up-in            mark osds up and in (but do not persist)
   --mark-out <osdid>      mark an osd as out (but do not persist)
   --mark-up <osdid>       mark an osd as up (but do not persist)
   --mark-in <osdid>       mark an osd as in (but do not persist)
   --with-default-pool     include default pool when creating map
   --clear-temp            clear pg_temp and primary_temp
   --clean-temps           clean pg_temps
   --test-random           do random placements
   --test-map-pg <pgid>    map a pgid to osds
   --test-map-object <objectname> [--pool <poolid>] map an object to osds
   --upmap-cleanup <file>  clean up pg_upmap[_items] entries, writing
                           commands to <file> [default: - for stdout]
   --upmap <file>          calculate pg upmap entries to balance pg layout
                           writing commands to <file> [default: - for stdout]
   --upmap-max <max-count> set max upmap entries to calculate [default: 10]
   --upmap-deviation <max-deviation>
                           max deviation from target [default: 5]
   --upmap-pool <poolname> restrict upmap balancing to 1 or more pools
   --upmap-active          Act like an active balancer, keep applying changes until balanced
   --dump <format>         displays the map in plain text when <format> is 'plain', 'json' if specified format is not supported
   --tree                  displays a tree of the map
   --test-crush [--range-first <first> --range-last <last>] map pgs to acting osds
   --adjust-crush-weight <osdid:weight>[,<osdid:weight>,<...>] change <osdid> CRUSH <weight> (but do not persist)
   --save                  write modified osdmap with upmap or crush-adjust changes
`;

// ---------------------------------------------------------------------------------------------------
// Output: cout is buffered (and flushed before anything goes to cerr, so a terminal sees Ceph's order)

class Output implements TextSink {
  private buf = '';
  constructor(private readonly io: OsdmaptoolIo) {}
  write(s: string): void {
    this.buf += s;
    if (this.buf.length >= 1 << 16) this.flush();
  }
  flush(): void {
    if (this.buf.length) {
      this.io.stdout(this.buf);
      this.buf = '';
    }
  }
  err(s: string): void {
    this.flush();
    this.io.stderr(s);
  }
}

/** Thrown to end like an uncaught C++ exception does: terminate()'s report, then SIGABRT (134). */
class Terminate extends Error {
  constructor(
    readonly type: string,
    readonly what: string,
  ) {
    super(`${type}: ${what}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Files, as bufferlist::read_file / write_file see them

// ---------------------------------------------------------------------------------------------------
// global_init: CEPH_ARGS, the early arguments and the configuration options osdmaptool can see

const ENTITY_TYPES = ['auth', 'mon', 'osd', 'mds', 'mgr', 'client'];

/** Debug subsystems (each a `debug_<name>` option taking "N" or "N/M"). */
const DEBUG_SUBSYSTEMS = (
  'none lockdep context crush mds mds_balancer mds_locker mds_log mds_log_expire mds_migrator buffer ' +
  'timer filer striper objecter rados rbd rbd_mirror rbd_replay rbd_pwl journaler objectcacher ' +
  'immutable_obj_cache client osd optracker objclass filestore journal ms mon monc paxos tp auth crypto ' +
  'finisher reserver heartbeatmap perfcounter rgw rgw_sync civetweb javaclient asok throttle refs ' +
  'compressor bluestore bluefs bdev kstore rocksdb leveldb memdb fuse mgr mgrc dpdk eventtrace ' +
  'prioritycache test cephfs_mirror cephsqlite'
).split(' ');

type OptType = 'bool' | 'int' | 'uint' | 'str' | 'float';

interface OptSpec {
  type: OptType;
  /** Allowed values of a string option (Option::set_enum_allowed). */
  enumValues?: string[];
  def: string;
}

/**
 * The configuration options whose values osdmaptool's code reads (build_simple and friends), plus the
 * common ones people pass to any Ceph tool. Other option names are not recognised here: they stay on
 * the command line, where osdmaptool then sees them as extra arguments.
 */
const OPTIONS: Record<string, OptSpec> = {
  osd_pool_default_flags: { type: 'int', def: '0' },
  osd_pool_default_flag_hashpspool: { type: 'bool', def: 'true' },
  osd_pool_default_flag_nodelete: { type: 'bool', def: 'false' },
  osd_pool_default_flag_nopgchange: { type: 'bool', def: 'false' },
  osd_pool_default_flag_nosizechange: { type: 'bool', def: 'false' },
  osd_pool_default_flag_bulk: { type: 'bool', def: 'false' },
  osd_pool_default_size: { type: 'uint', def: '3' },
  osd_pool_default_min_size: { type: 'uint', def: '0' },
  osd_pool_default_crush_rule: { type: 'int', def: '-1' },
  osd_pool_default_pg_autoscale_mode: { type: 'str', enumValues: ['off', 'warn', 'on'], def: 'on' },
  osd_crush_chooseleaf_type: { type: 'int', def: '1' },
  osd_pool_default_erasure_code_profile: { type: 'str', def: 'plugin=jerasure technique=reed_sol_van k=2 m=2' },
  osd_pool_default_pg_num: { type: 'uint', def: '32' },
  osd_pool_default_pgp_num: { type: 'uint', def: '0' },
  osd_pool_default_type: { type: 'str', enumValues: ['replicated', 'erasure'], def: 'replicated' },
  mon_max_osd: { type: 'int', def: '10000' },
  osd_calc_pg_upmaps_aggressively: { type: 'bool', def: 'true' },
  osd_calc_pg_upmaps_local_fallback_retries: { type: 'uint', def: '100' },
  log_file: { type: 'str', def: '' },
  log_to_file: { type: 'bool', def: 'false' },
  log_to_stderr: { type: 'bool', def: 'true' },
  err_to_stderr: { type: 'bool', def: 'false' },
  log_to_syslog: { type: 'bool', def: 'false' },
  err_to_syslog: { type: 'bool', def: 'false' },
  log_max_recent: { type: 'int', def: '500' },
  keyring: { type: 'str', def: '' },
  key: { type: 'str', def: '' },
  keyfile: { type: 'str', def: '' },
  mon_host: { type: 'str', def: '' },
  fsid: { type: 'str', def: '00000000-0000-0000-0000-000000000000' },
  admin_socket: { type: 'str', def: '' },
  daemonize: { type: 'bool', def: 'false' },
  fuse_debug: { type: 'bool', def: 'false' },
  public_addr: { type: 'str', def: '' },
  monmap: { type: 'str', def: '' },
  client_mountpoint: { type: 'str', def: '/' },
  crash_dir: { type: 'str', def: '/var/lib/ceph/crash' },
  plugin_dir: { type: 'str', def: '/usr/lib/x86_64-linux-gnu/ceph' },
  erasure_code_dir: { type: 'str', def: '/usr/lib/x86_64-linux-gnu/ceph/erasure-code' },
};
for (const s of DEBUG_SUBSYSTEMS) OPTIONS[`debug_${s}`] = { type: 'str', def: '' };

/** The configuration as osdmaptool's CephContext holds it (only the options above). */
class Config {
  readonly values = new Map<string, string>();
  /** [section] -> key -> value from a -c configuration file. */
  readonly sections = new Map<string, Map<string, string>>();

  get(name: string): string {
    return this.values.get(name) ?? OPTIONS[name]!.def;
  }
  getBool(name: string): boolean {
    return this.get(name) === 'true';
  }
  getInt(name: string): number {
    return Number(this.get(name));
  }

  /** md_config_t::_set_val with its validation: '' on success, else the reason. */
  set(name: string, raw: string): string {
    const spec = OPTIONS[name]!;
    const v = raw;
    switch (spec.type) {
      case 'bool': {
        const b = parseBool(v);
        if (b === null) return `Expected option value to be integer, got '${v}'`;
        this.values.set(name, b ? 'true' : 'false');
        return '';
      }
      case 'int':
      case 'uint': {
        const r = strictSiCast(v, spec.type === 'uint');
        if (typeof r === 'string') return r;
        this.values.set(name, String(r));
        return '';
      }
      case 'float': {
        const f = Number(v);
        if (v.trim() === '' || Number.isNaN(f)) return `strict_strtod: expected double, got: '${v}'`;
        this.values.set(name, String(f));
        return '';
      }
      case 'str':
        if (name.startsWith('debug_')) {
          const e = checkDebugLevel(v);
          if (e) return e;
        }
        if (spec.enumValues && !spec.enumValues.includes(v)) {
          return `'${v}' is not one of the permitted values: ${spec.enumValues.join(', ')}`;
        }
        this.values.set(name, v);
        return '';
    }
  }

  buildSimpleConfig(): BuildSimpleConfig {
    return {
      ...PACIFIC_BUILD_SIMPLE_CONFIG,
      osdPoolDefaultFlags: this.getInt('osd_pool_default_flags'),
      osdPoolDefaultFlagHashpspool: this.getBool('osd_pool_default_flag_hashpspool'),
      osdPoolDefaultFlagNodelete: this.getBool('osd_pool_default_flag_nodelete'),
      osdPoolDefaultFlagNopgchange: this.getBool('osd_pool_default_flag_nopgchange'),
      osdPoolDefaultFlagNosizechange: this.getBool('osd_pool_default_flag_nosizechange'),
      osdPoolDefaultFlagBulk: this.getBool('osd_pool_default_flag_bulk'),
      osdPoolDefaultSize: this.getInt('osd_pool_default_size'),
      osdPoolDefaultMinSize: this.getInt('osd_pool_default_min_size'),
      osdPoolDefaultCrushRule: this.getInt('osd_pool_default_crush_rule'),
      osdPoolDefaultPgAutoscaleMode: this.get('osd_pool_default_pg_autoscale_mode'),
      osdCrushChooseleafType: this.getInt('osd_crush_chooseleaf_type'),
      osdPoolDefaultErasureCodeProfile: this.get('osd_pool_default_erasure_code_profile'),
    };
  }
}

/** The debug_* validator: sscanf("%d/%d") must read at least N, and N (and M) must be in 0..99. */
function checkDebugLevel(v: string): string {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)(?:\/[ \t\n\v\f\r]*([+-]?\d+))?/.exec(v);
  if (!m) return 'value must take the form N or N/M, where N and M are integers';
  const inRange = (x: string): boolean => Number(x) >= 0 && Number(x) <= 99;
  if (!inRange(m[1]!) || (m[2] !== undefined && !inRange(m[2]))) return 'value must be in range [0, 99]';
  return '';
}

function parseBool(v: string): boolean | null {
  const l = v.toLowerCase();
  if (l === 'true' || l === 'yes' || l === 'on') return true;
  if (l === 'false' || l === 'no' || l === 'off') return false;
  const r = strictStrtoll(v, false);
  if (r.err) return null;
  return r.value !== 0n;
}

/**
 * strict_si_cast<int64_t / uint64_t>: an optional unit prefix (K, M, G, T, P, E: powers of 1000) after
 * an integer; the value or the reason it was refused, in Ceph's words.
 */
function strictSiCast(v: string, unsigned: boolean): number | string {
  if (v === '') return 'strict_sistrtoll: value not specified';
  let n = v;
  let m = 0;
  if (/[^0-9+-]/.test(v)) {
    const u = v[v.length - 1]!;
    const k = 'KMGTPE'.indexOf(u);
    if (k >= 0) m = 3 * (k + 1);
    else if (u !== 'B') return 'strict_si_cast: unit prefix not recognized';
    if (m >= 3) n = v.slice(0, -1);
  }
  const r = strictStrtoll(n, false);
  if (r.err) return r.err;
  const ll = r.value as bigint;
  if (ll < 0n && unsigned) return 'strict_sistrtoll: value should not be negative';
  const scale = 10n ** BigInt(m);
  const min = unsigned ? 0n : -(1n << 63n);
  const max = unsigned ? (1n << 64n) - 1n : (1n << 63n) - 1n;
  if (ll < min / scale) return 'strict_sistrtoll: value seems to be too small';
  if (ll > max / scale) return 'strict_sistrtoll: value seems to be too large';
  return Number(ll * scale);
}

/**
 * env_to_vec: CEPH_ARGS words (split on spaces) go first, then the command line's; the words after a
 * "--" in either come last, after one "--".
 */
function mergeCephArgs(args: string[], env: string | undefined): string[] {
  const split = (v: string[]): [string[], string[]] => {
    const dd = v.indexOf('--');
    return dd < 0 ? [v, []] : [v.slice(0, dd), v.slice(dd + 1)];
  };
  const envWords = env === undefined ? [] : env.split(' ').filter((w) => w !== '');
  const [eo, ea] = split(envWords);
  const [co, ca] = split(args);
  const out = [...eo, ...co];
  if (ea.length || ca.length || args.includes('--') || envWords.includes('--')) out.push('--', ...ea, ...ca);
  return out;
}

/** ConfFile: [section] headers and `key = value` lines; key spaces and dashes become underscores. */
function parseConfFile(text: string, into: Map<string, Map<string, string>>): void {
  let section: Map<string, string> | null = null;
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/^[ \t]+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[([^\]]*)\]/.exec(line);
    if (sec) {
      const name = sec[1]!.trim();
      section = into.get(name) ?? new Map<string, string>();
      into.set(name, section);
      continue;
    }
    if (section === null) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const key = line.slice(0, eq).trim().replace(/[ -]+/g, '_');
    let value = line.slice(eq + 1).trim();
    if (value.startsWith('"')) {
      const end = value.indexOf('"', 1);
      value = end < 0 ? value.slice(1) : value.slice(1, end);
    } else {
      const c = value.search(/[#;]/);
      if (c >= 0) value = value.slice(0, c).trim();
    }
    section.set(key, value);
  }
}

/**
 * global_init over the argument list: merges CEPH_ARGS, handles the early arguments (--version,
 * --conf, --cluster, --id, --name, --show_args) and the configuration options, removing every word it
 * takes. Returns the configuration, or ends the program (ExitNow) as Ceph does.
 */
function globalInit(args: string[], io: OsdmaptoolIo, out: Output, path: (p: string) => Buffer): Config {
  const merged = mergeCephArgs(args, io.cephArgs);
  args.length = 0;
  args.push(...merged);
  const origArgs = merged.slice();
  const conf = new Config();
  let confFiles: string | null = null;
  // ceph_argparse_early_args
  const early = new ArgCursor(args, (s) => out.err(s));
  while (!early.done) {
    if (early.current === '--') break;
    let v: string | null;
    if (early.flag('--version', '-v')) {
      out.write(`${CEPH_VERSION}\n`);
      throw new ExitNow(0);
    } else if ((v = early.withArg('--conf', '-c')) !== null) {
      confFiles = v;
    } else if (early.flag('--no-config-file')) {
      confFiles = null;
    } else if ((v = early.withArg('--cluster')) !== null) {
      // the cluster name only picks default file names, which osdmaptool does not read
    } else if ((v = early.withArg('--id', '--user')) !== null) {
      // the entity id
    } else if ((v = early.withArg('--name', '-n')) !== null) {
      const dot = v.indexOf('.');
      if (dot < 0 || !ENTITY_TYPES.includes(v.slice(0, dot))) {
        out.err(`error parsing '${v}': expected string of the form TYPE.ID, valid types are: ${ENTITY_TYPES.join(', ')}\n`);
        throw new ExitNow(1);
      }
    } else if (early.flag('--show_args')) {
      out.write(`args: ${origArgs.join(' ')}\n`);
    } else {
      early.skip();
    }
  }
  // The configuration files named with -c (comma, space or semicolon separated; missing ones are
  // reported and skipped). Values in [global], [client] and [client.admin] apply.
  if (confFiles !== null) {
    let anyRead = false;
    const complaints: string[] = [];
    for (const f of confFiles.split(/[,; \t]+/).filter((x) => x !== '')) {
      const r = readWholeFile(f, path(f));
      if ('data' in r) {
        parseConfFile(r.data.toString('latin1'), conf.sections);
        anyRead = true;
      } else {
        complaints.push(`can't open ${f}: ${cppStrerror(r.errno)}`);
      }
    }
    if (!anyRead) {
      // Ceph logs these with a time stamp and thread id; the text after them is the same.
      out.err('Errors while parsing config file!\n');
      for (const c of complaints) out.err(`${c}\n`);
    }
    for (const s of ['global', 'client', 'client.admin']) {
      const sec = conf.sections.get(s);
      if (!sec) continue;
      for (const [k, v] of sec) if (k in OPTIONS) conf.set(k, v);
    }
  }
  // md_config_t::parse_argv
  const c = new ArgCursor(args, (s) => out.err(s));
  while (!c.done) {
    if (c.current === '--') break;
    let v: string | null;
    if (c.flag('--show_conf')) {
      throw new ExitNow(0);
    } else if (c.flag('--show_config')) {
      out.err(`${io.argv0}: --show_config is not supported by tsceph's osdmaptool\n`);
      throw new ExitNow(1);
    } else if ((v = c.withArg('--show_config_value')) !== null) {
      const name = v.replace(/[ -]/g, '_');
      if (!(name in OPTIONS)) {
        out.err(`failed to get config option '${v}': option not found\n`);
        throw new ExitNow(1);
      }
      out.write(`${conf.get(name)}\n`);
      throw new ExitNow(0);
    } else if (c.flag('--no-mon-config') || c.flag('--mon-config')) {
      // monitors are not consulted by osdmaptool either way
    } else if (c.flag('--foreground', '-f')) {
      conf.set('daemonize', 'false');
    } else if (c.flag('-d')) {
      conf.set('daemonize', 'false');
      conf.set('log_file', '');
      conf.set('log_to_stderr', 'true');
      conf.set('err_to_stderr', 'true');
      conf.set('log_to_syslog', 'false');
    } else if ((v = c.withArg('--monmap', '-M')) !== null) {
      conf.set('monmap', v);
    } else if ((v = c.withArg('--mon_host', '-m')) !== null) {
      conf.set('mon_host', v);
    } else if ((v = c.withArg('--bind')) !== null) {
      conf.set('public_addr', v);
    } else if ((v = c.withArg('--keyfile', '-K')) !== null) {
      conf.set('keyfile', v);
    } else if ((v = c.withArg('--keyring', '-k')) !== null) {
      conf.set('keyring', v);
    } else if ((v = c.withArg('--client_mountpoint', '-r')) !== null) {
      conf.set('client_mountpoint', v);
    } else {
      const r = parseOption(c, conf, out);
      if (r === 'error') break; // parse_argv gives up at the first bad value (global_init carries on)
      if (r === 'no') c.skip();
    }
  }
  return conf;
}

/**
 * md_config_t::parse_option: true when the word at the cursor is a configuration option (taking its
 * value with it). The options in OPTIONS are set and checked; any other Ceph option is taken off the
 * command line with its value, which nothing here reads.
 */
function parseOption(c: ArgCursor, conf: Config, out: Output): 'taken' | 'error' | 'no' {
  const word = c.current;
  if (!word.startsWith('--')) return 'no';
  const eq = word.indexOf('=');
  const bare = (eq < 0 ? word.slice(2) : word.slice(2, eq)).replace(/-/g, '_');
  const noName = bare.startsWith('no_') ? bare.slice(3) : null;
  const isBool = (n: string): boolean => (n in OPTIONS ? OPTIONS[n]!.type === 'bool' : CEPH_BOOL_OPTIONS.has(n));
  const isValue = (n: string): boolean =>
    n in OPTIONS ? OPTIONS[n]!.type !== 'bool' : CEPH_VALUE_OPTIONS.has(n) || CEPH_INT_OPTIONS.has(n);
  let name: string;
  let value: string;
  if (isBool(bare)) {
    name = bare;
    // ceph_argparse_binary_flag: "--opt", "--opt=V", or "--opt V" when V is a boolean word
    c.take();
    if (eq >= 0) {
      value = word.slice(eq + 1);
      if (!['true', 'false', '1', '0'].includes(value)) {
        out.err(`parse error setting '${name}' to ''\n\n`);
        return 'error';
      }
      value = value === 'true' || value === '1' ? 'true' : 'false';
    } else if (!c.done && ['true', 'false', '1', '0'].includes(c.current)) {
      const next = c.take()!;
      value = next === 'true' || next === '1' ? 'true' : 'false';
    } else {
      value = 'true';
    }
  } else if (isValue(bare)) {
    name = bare;
    c.take();
    if (eq >= 0) {
      value = word.slice(eq + 1);
    } else if (c.done) {
      out.err(`parse error setting '${name}' to '' (Option --${name} requires an argument.\n)\n\n`);
      return 'error';
    } else {
      value = c.take()!;
    }
  } else if (noName !== null && eq < 0 && isBool(noName)) {
    c.take();
    name = noName;
    value = 'false';
  } else {
    return 'no';
  }
  let err = '';
  if (name in OPTIONS) {
    err = conf.set(name, value);
  } else if (CEPH_INT_OPTIONS.has(name)) {
    // Most of Ceph's integer options are unsigned (the types of the others are not known here)
    const r = strictSiCast(value, true);
    if (typeof r === 'string') err = r;
  }
  if (err) {
    out.err(`parse error setting '${name}' to '${value}' (${err})\n\n`);
    return 'error';
  }
  return 'taken';
}

// ---------------------------------------------------------------------------------------------------
// C++ conversions osdmaptool uses on option values

/** std::stoi: leading white space, sign, digits; throws as libstdc++ does. */
function stoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  if (!m) throw new Terminate('std::invalid_argument', 'stoi');
  const v = BigInt(m[1]!);
  if (v > 2147483647n || v < -2147483648n) throw new Terminate('std::out_of_range', 'stoi');
  return Number(v);
}

/** strtod's accepted prefix, as std::stod / std::stof need it (throws when there is none). */
function stodPrefix(s: string, what: 'stod' | 'stof'): number {
  if (!/^[ \t\n\v\f\r]*[+-]?(\d|\.\d|inf|nan|0[xX]\.?[0-9a-fA-F])/i.test(s)) throw new Terminate('std::invalid_argument', what);
  return atof(s);
}

function stod(s: string): number {
  const v = stodPrefix(s, 'stod');
  if (Number.isFinite(v) === false && !/inf|nan/i.test(s)) throw new Terminate('std::out_of_range', 'stod');
  return v;
}

function stof(s: string): number {
  const v = stodPrefix(s, 'stof');
  const f = Math.fround(v);
  if (!Number.isFinite(f) && Number.isFinite(v)) throw new Terminate('std::out_of_range', 'stof');
  if (!Number.isFinite(v) && !/inf|nan/i.test(s)) throw new Terminate('std::out_of_range', 'stof');
  return f;
}

/** (int) of a double, as x86's cvttsd2si gives it (out of range and NaN: INT_MIN). */
function doubleToInt(d: number): number {
  if (!Number.isFinite(d) || d >= 2147483648 || d <= -2147483649) return -2147483648;
  return Math.trunc(d);
}

// ---------------------------------------------------------------------------------------------------
// Views

/** utime_t prints local time: the zone TZ names (UTC when unset or unknown, as glibc falls back). */
function viewOptions(io: OsdmaptoolIo): ViewOptions {
  if (io.tz === undefined || io.tz === '') return {};
  const tz = ianaTimeZone(io.tz.startsWith(':') ? io.tz.slice(1) : io.tz);
  return tz === null ? {} : { tz };
}

// ---------------------------------------------------------------------------------------------------
// main

/**
 * The whole of osdmaptool. Returns the process exit status. `argv` and everything written to the
 * sinks are byte strings (one char per byte), as C sees them.
 */
export async function main(argv: string[], ioIn?: Partial<OsdmaptoolIo>): Promise<number> {
  const io: OsdmaptoolIo = { ...processIo(), ...ioIn };
  const out = new Output(io);
  try {
    return run(argv.slice(), io, out);
  } catch (e) {
    if (e instanceof ExitNow) return e.status;
    if (e instanceof Terminate) {
      out.err(`terminate called after throwing an instance of '${e.type}'\n  what():  ${e.what}\n*** Caught signal (Aborted) **\n`);
      return 128 + 6;
    }
    if (e instanceof OsdmaptoolFault) {
      const name = e.signal === 'SIGSEGV' ? 'Segmentation fault' : e.signal === 'SIGFPE' ? 'Floating point exception' : 'Aborted';
      out.err(`*** Caught signal (${name}) **\n`);
      return 128 + (e.signal === 'SIGSEGV' ? 11 : e.signal === 'SIGFPE' ? 8 : 6);
    }
    if (e instanceof CephAssertFailure) {
      out.err(
        `${e.file}: In function '${e.func}' thread 7f0000000000 time ${osdmapLib.formatUtime(io.now())}\n` +
          `${e.file}: ${e.line}: FAILED ceph_assert(${e.cond})\n*** Caught signal (Aborted) **\n`,
      );
      return 128 + 6;
    }
    // A bug of ours: say so in one line rather than with a JavaScript stack.
    out.err(`${io.argv0}: internal error: ${(e as Error).message ?? String(e)}\n`);
    return 1;
  } finally {
    out.flush();
  }
}

function run(args: string[], io: OsdmaptoolIo, out: Output): number {
  const me = io.argv0;
  const cwdBytes = Buffer.from(io.cwd, 'utf8').toString('latin1');
  const path = (p: string): Buffer => Buffer.from(isAbsolute(p) ? p : resolve(cwdBytes, p), 'latin1');
  const usage = (): never => {
    out.write(USAGE);
    throw new ExitNow(1);
  };

  if (args.length === 0) {
    out.err(`${me}: -h or --help for usage\n`);
    return 1;
  }
  if (args.some((a) => a === '-h' || a === '--help')) usage();

  const conf = globalInit(args, io, out, path);

  let print = false;
  let printFormat: string | null = null;
  let tree = false;
  let treeFormat: string | null = null;
  let createsimple = false;
  let createpool = false;
  let createFromConf = false;
  let numOsd = 0;
  let pgBits = 6;
  let pgpBits = 6;
  let clobber = false;
  let modified = false;
  let exportCrush = '';
  let importCrush = '';
  let testMapPgArg = '';
  let testMapObjectArg = '';
  let adjustCrushWeight = '';
  let testCrush = false;
  let rangeFirst = -1;
  let rangeLast = -1;
  let pool = -1;
  let markUpIn = false;
  let markedOut = -1;
  let markedUp = -1;
  let markedIn = -1;
  let clearTemp = false;
  let cleanTemps = false;
  let testMapPgs = false;
  let testMapPgsDump = false;
  let testRandom = false;
  let upmapCleanup = false;
  let upmap = false;
  let health = false;
  let upmapFile = '-';
  let upmapMax = 10;
  let upmapDeviation = 5;
  let upmapActive = false;
  const upmapPools = new Set<string>();
  let pgNum = -1n;
  let testMapPgsDumpAll = false;
  let save = false;

  // One `val` shared by the string options that take Ceph's error stream: a missing value leaves the
  // previous option's value in it, as in Ceph.
  let val = '';
  const c = new ArgCursor(args, (s) => out.err(s));
  const withVal = (...names: string[]): boolean => {
    const before = c.err.length;
    const v = c.withArgErr(...names);
    if (v === null) return false;
    if (!(v === '' && c.err.length > before)) val = v;
    return true;
  };
  const num = (fallback: number, ...names: string[]): number | null => {
    const v = c.withNumber('int', fallback, ...names);
    return v === null ? null : Number(v);
  };
  const failOnErr = (): void => {
    if (c.err !== '') {
      out.err(`${c.err}\n`);
      throw new ExitNow(1);
    }
  };
  let n: number | null;
  let s: string | null;
  while (!c.done) {
    if (c.doubleDash()) break;
    if (c.flag('-p', '--print')) {
      print = true;
    } else if (withVal('--dump')) {
      print = true;
      if (val !== '' && val !== 'plain') printFormat = val;
    } else if (withVal('--tree')) {
      tree = true;
      if (val !== '' && val !== 'plain') treeFormat = val;
    } else if ((n = num(pgBits, '--osd-pg-bits')) !== null) {
      pgBits = n;
    } else if ((n = num(pgpBits, '--osd-pgp-bits')) !== null) {
      pgpBits = n;
    } else if ((s = c.withArg('--upmap-cleanup')) !== null) {
      upmapFile = s;
      upmapCleanup = true;
    } else if ((s = c.withArg('--upmap')) !== null) {
      upmapFile = s;
      upmapCleanup = true;
      upmap = true;
    } else if ((n = num(upmapMax, '--upmap-max')) !== null) {
      upmapMax = n;
    } else if ((n = num(upmapDeviation, '--upmap-deviation')) !== null) {
      upmapDeviation = n;
    } else if ((s = c.withArg('--upmap-pool')) !== null) {
      val = s;
      upmapPools.add(s);
    } else if ((n = num(numOsd, '--createsimple')) !== null) {
      numOsd = n;
      failOnErr();
      createsimple = true;
    } else if (c.flag('--upmap-active')) {
      upmapActive = true;
    } else if (c.flag('--health')) {
      health = true;
    } else if (c.flag('--with-default-pool')) {
      createpool = true;
    } else if (c.flag('--create-from-conf')) {
      createFromConf = true;
    } else if (c.flag('--mark-up-in')) {
      markUpIn = true;
    } else if ((s = c.withArg('--mark-out')) !== null) {
      val = s;
      markedOut = stoi(s);
    } else if ((s = c.withArg('--mark-up')) !== null) {
      val = s;
      markedUp = doubleToInt(stod(s));
    } else if ((s = c.withArg('--mark-in')) !== null) {
      val = s;
      markedIn = doubleToInt(stod(s));
    } else if (c.flag('--clear-temp')) {
      clearTemp = true;
    } else if (c.flag('--clean-temps')) {
      cleanTemps = true;
    } else if (c.flag('--test-map-pgs')) {
      testMapPgs = true;
    } else if (c.flag('--test-map-pgs-dump')) {
      testMapPgsDump = true;
    } else if (c.flag('--test-map-pgs-dump-all')) {
      testMapPgsDumpAll = true;
    } else if (c.flag('--test-random')) {
      testRandom = true;
    } else if (c.flag('--clobber')) {
      clobber = true;
    } else if ((n = num(pgBits, '--pg_bits')) !== null) {
      pgBits = n;
      failOnErr();
    } else if ((n = num(pgpBits, '--pgp_bits')) !== null) {
      pgpBits = n;
      failOnErr();
    } else if ((s = c.withArg('--export_crush')) !== null) {
      val = s;
      exportCrush = s;
    } else if ((s = c.withArg('--import_crush')) !== null) {
      val = s;
      importCrush = s;
    } else if ((s = c.withArg('--test_map_pg')) !== null) {
      val = s;
      testMapPgArg = s;
    } else if ((s = c.withArg('--test_map_object')) !== null) {
      val = s;
      testMapObjectArg = s;
    } else if (c.flag('--test_crush')) {
      testCrush = true;
    } else if (withVal('--pg_num')) {
      const r = strictStrtoll(val, false);
      if (r.err) {
        out.err(`error parsing integer value ${r.err}\n`);
        throw new ExitNow(1);
      }
      pgNum = r.value as bigint;
    } else if ((n = num(rangeFirst, '--range_first')) !== null) {
      rangeFirst = n;
    } else if ((n = num(rangeLast, '--range_last')) !== null) {
      rangeLast = n;
    } else if ((n = num(pool, '--pool')) !== null) {
      pool = n;
      failOnErr();
    } else if (withVal('--adjust-crush-weight')) {
      adjustCrushWeight = val;
    } else if (c.flag('--save')) {
      save = true;
    } else {
      c.skip();
    }
  }
  if (args.length === 0) {
    out.err(`${me}: must specify osdmap filename\n`);
    usage();
  } else if (args.length > 1) {
    out.err(`${me}: too many arguments\n`);
    usage();
  }
  if (upmapDeviation < 1) {
    out.err(`${me}: upmap-deviation must be >= 1\n`);
    usage();
  }
  const fn = args[0]!;

  if (rangeFirst >= 0 && rangeLast >= 0) {
    // Reads FN/first .. FN/last, decoding each (OSDMap::dedup shares what the maps have in common).
    for (let i = rangeFirst; i <= rangeLast; i++) {
      const f = `${fn}/${i}`;
      const r = readWholeFile(f, path(f));
      if (!('data' in r)) {
        out.err(`unable to read ${f}: ${cppStrerror(r.errno)}\n`);
        throw new ExitNow(1);
      }
      out.write(`${f} got ${r.data.length} bytes\n`);
      try {
        decodeOSDMap(r.data);
      } catch (e) {
        // OSDMap::decode's buffer::error is not caught here: terminate() reports it
        if (!(e instanceof CephError)) throw e;
        if (e.code === 'EIO') throw new Terminate('ceph::buffer::v15_2_0::end_of_buffer', 'End of buffer');
        throw new Terminate('ceph::buffer::v15_2_0::malformed_input', `${e.message}: Malformed input`);
      }
    }
    throw new ExitNow(0);
  }

  let osdmap = new OSDMap();
  // OSDMap caches the features of its up OSDs when it is decoded or advanced by an incremental (not
  // when osdmaptool marks OSDs up); --health reads the cached value.
  let upOsdFeatures = 0n;
  const apply = (inc: OSDMapIncremental): number => {
    const r = applyIncremental(osdmap, inc);
    upOsdFeatures = calcUpOsdFeatures(osdmap);
    return r;
  };
  out.err(`${me}: osdmap file '${fn}'\n`);

  if (!createsimple && !createFromConf && !clobber) {
    const r = readWholeFile(fn, path(fn));
    if ('data' in r) {
      try {
        osdmap = decodeOSDMap(r.data);
        upOsdFeatures = calcUpOsdFeatures(osdmap);
      } catch (e) {
        if (!(e instanceof CephError)) throw e;
        out.err(`${me}: error decoding osdmap '${fn}'\n`);
        return 255;
      }
    } else {
      out.err(`${me}: couldn't open ${fn}: ${r.error}\n`);
      return 255;
    }
  } else if ((createsimple || createFromConf) && !clobber && exists(path(fn))) {
    out.err(`${me}: ${fn} exists, --clobber to overwrite\n`);
    return 255;
  }

  if (createsimple || createFromConf) {
    if (createsimple) {
      if (numOsd < 1) {
        out.err(`${me}: osd count must be > 0\n`);
        throw new ExitNow(1);
      }
    } else {
      numOsd = -1;
    }
    const common = {
      epoch: 0,
      fsid: '00000000-0000-0000-0000-000000000000',
      defaultPool: createpool,
      pgBits,
      pgpBits,
      now: io.now(),
      config: conf.buildSimpleConfig(),
    };
    if (numOsd >= 0) {
      osdmap = buildSimple({ ...common, numOsd });
    } else {
      osdmap = buildSimpleFromConf({ ...common, sections: conf.sections, monMaxOsd: conf.getInt('mon_max_osd') });
    }
    modified = true;
  }

  if (markUpIn) {
    out.write('marking all OSDs up and in\n');
    // get_item_weight of every device in one pass (adjusting one device leaves the others' weights)
    const crushWeight = deviceWeights(osdmap, osdmap.maxOsd);
    for (let i = 0; i < osdmap.maxOsd; i++) {
      osdmap.setState(i, osdmap.getState(i) | CEPH_OSD_UP);
      osdmap.setWeight(i, CEPH_OSD_IN);
      if (crushWeight[i] === 0) osdmap.crush.adjustItemWeightf(i, 1.0);
    }
  }
  if (markedOut >= 0 && markedOut < osdmap.maxOsd) {
    out.write(`marking OSD@${markedOut} as out\n`);
    osdmap.setState(markedOut, osdmap.getState(markedOut) | CEPH_OSD_UP);
    osdmap.setWeight(markedOut, CEPH_OSD_OUT);
  }
  if (markedUp >= 0 && markedUp < osdmap.maxOsd) {
    out.write(`marking OSD@${markedUp} as up\n`);
    osdmap.setState(markedUp, osdmap.getState(markedUp) | CEPH_OSD_UP);
  }
  // Set when Pacific writes before its per-OSD vectors (see --mark-in): glibc notices when the map
  // is freed as main() returns, after everything else was printed.
  let heapCorrupted = false;
  if (markedIn >= 0 && markedIn < osdmap.maxOsd) {
    // Pacific prints and sets the --mark-up id here (a slip in osdmaptool.cc). Past max_osd that trips
    // set_weight's assertion; below 0 (no --mark-up) it writes over malloc's chunk headers.
    out.write(`marking OSD@${markedUp} as up\n`);
    if (markedUp >= osdmap.maxOsd) {
      throw new CephAssertFailure('./src/osd/OSDMap.h', 801, 'void OSDMap::set_weight(int, unsigned int)', 'o < max_osd');
    }
    if (markedUp >= 0) osdmap.setWeight(markedUp, CEPH_OSD_IN);
    else heapCorrupted = true;
  }

  if (adjustCrushWeight !== '') {
    for (const tok of adjustCrushWeight.split(',')) {
      if (tok === '') continue; // for_each_substr skips empty pieces
      const pos = tok.indexOf(':');
      if (pos < 0) {
        out.err(`${me}: use ':' as separator of osd id and its weight\n`);
        usage();
      }
      const osdId = stoi(tok.slice(0, pos));
      const w = stof(tok.slice(pos + 1));
      osdmap.crush.adjustItemWeightf(osdId, w);
      out.write(`Adjusted osd.${osdId} CRUSH weight to ${osdmapLib.floatText(w)}\n`);
      if (save) {
        const inc = newIncremental(osdmap.epoch + 1);
        inc.fsid = osdmap.fsid;
        apply(inc);
        modified = true;
      }
    }
  }

  if (clearTemp) {
    out.write('clearing pg/primary temp\n');
    osdmap.pgTemp.clear();
    osdmap.primaryTemp.clear();
  }
  if (cleanTemps) {
    // OSDMap::clean_temps fills an incremental osdmaptool then drops: nothing the run prints or writes
    // depends on it.
    out.write('cleaning pg temps\n');
  }

  let upmapFd = -1; // -1: stdout (through the cout buffer, which Ceph flushes line by line)
  if (upmap || upmapCleanup) {
    if (upmapFile !== '-') {
      try {
        upmapFd = openSync(path(upmapFile), 'w', 0o644);
      } catch (e) {
        out.err(`error opening ${upmapFile}: ${cppStrerror(fsErrno(e))}\n`);
        throw new ExitNow(1);
      }
      out.write(`writing upmap command output to: ${upmapFile}\n`);
    }
  }
  const writeUpmaps = (text: string): void => {
    if (upmapFd < 0) out.write(text);
    else writeSync(upmapFd, Buffer.from(text, 'latin1'));
  };
  try {
    if (upmapCleanup) {
      out.write('checking for upmap cleanups\n');
      const inc = newIncremental(osdmap.epoch + 1);
      inc.fsid = osdmap.fsid;
      if (cleanPgUpmaps(osdmap, inc, undefined, dout(conf, io, out))) {
        writeUpmaps(incUpmapCommands(inc));
        const ar = apply(inc);
        assert(ar === 0, `apply_incremental: ${ar}`); // Ceph asserts it too
      }
    }
    if (upmap) {
      out.write(`upmap, max-count ${upmapMax}, max deviation ${upmapDeviation}\n`);
      const r = runUpmap(osdmap, conf, out, writeUpmaps, apply, {
        max: upmapMax,
        deviation: upmapDeviation,
        active: upmapActive,
        save,
        pools: upmapPools,
        randomDevice: io.randomDevice,
        io,
      });
      if (r.modified) modified = true;
    }
  } finally {
    if (upmapFd >= 0) closeSync(upmapFd);
  }

  if (importCrush !== '') {
    const r = readWholeFile(importCrush, path(importCrush));
    if (!('data' in r)) {
      out.err(`${me}: error reading crush map from ${importCrush}: ${r.error}\n`);
      throw new ExitNow(1);
    }
    let cw: CrushWrapper;
    try {
      cw = CrushWrapper.from(decodeCrushMap(r.data));
    } catch (e) {
      if (!(e instanceof CephError)) throw e;
      // CrushWrapper::decode throws malformed_input for a bad magic, end_of_buffer when the data runs out
      if (e.code === 'EIO') throw new Terminate('ceph::buffer::v15_2_0::end_of_buffer', 'End of buffer');
      const what = /bad magic/.test(e.message) ? 'bad magic number' : e.message;
      throw new Terminate('ceph::buffer::v15_2_0::malformed_input', `${what}: Malformed input`);
    }
    if (cw.getMaxDevices() > osdmap.maxOsd) {
      out.err(`${me}: crushmap max_devices ${cw.getMaxDevices()} > osdmap max_osd ${osdmap.maxOsd}\n`);
      throw new ExitNow(1);
    }
    const inc = newIncremental(osdmap.epoch + 1);
    inc.fsid = osdmap.fsid;
    inc.crush = Buffer.from(r.data);
    apply(inc);
    out.write(`${me}: imported ${r.data.length} byte crush map from ${importCrush}\n`);
    modified = true;
  }

  if (exportCrush !== '') {
    const bytes = encodeCrushMap(osdmap.crush);
    if (writeWholeFile(exportCrush, path(exportCrush), bytes, (t) => out.err(t)) < 0) {
      // Pacific names the --import-crush file here.
      out.err(`${me}: error writing crush map to ${importCrush}\n`);
      throw new ExitNow(1);
    }
    out.write(`${me}: exported crush map to ${exportCrush}\n`);
  }

  if (testMapObjectArg !== '') {
    if (pool === -1) {
      out.write(`${me}: assuming pool 1 (use --pool to override)\n`);
      pool = 1;
    }
    if (!osdmap.pools.has(pool)) {
      out.err(`There is no pool ${pool}\n`);
      throw new ExitNow(1);
    }
    out.write(testMapObject(osdmap, testMapObjectArg, pool));
  }
  if (testMapPgArg !== '') {
    const pg = parsePgidSscanf(testMapPgArg);
    if (pg === null) {
      out.err(`${me}: failed to parse pg '${testMapPgArg}\n`);
      usage();
    }
    out.write(testMapPg(osdmap, testMapPgArg, pg!));
  }
  if (testMapPgs || testMapPgsDump || testMapPgsDumpAll) {
    if (pool !== -1 && !osdmap.pools.has(pool)) {
      out.err(`There is no pool ${pool}\n`);
      throw new ExitNow(1);
    }
    new MapPgsTester().run(
      osdmap,
      {
        pool,
        pgNum,
        dump: testMapPgsDump,
        dumpAll: testMapPgsDumpAll,
        random: testRandom ? new GlibcRand(io.pid) : null,
      },
      out,
    );
  }
  if (testCrush) runTestCrush(osdmap, out);

  if (
    !print && !health && !tree && !modified && exportCrush === '' && importCrush === '' && testMapPgArg === '' &&
    testMapObjectArg === '' && !testMapPgs && !testMapPgsDump && !testMapPgsDumpAll && adjustCrushWeight === '' &&
    !upmap && !upmapCleanup
  ) {
    out.err(`${me}: no action specified?\n`);
    usage();
  }

  if (modified) osdmap.epoch = (osdmap.epoch + 1) >>> 0;

  const opts = viewOptions(io);
  if (health) {
    const f = new JSONFormatter(true);
    f.openObjectSection('checks');
    dumpHealthChecks(osdmap, f, upOsdFeatures);
    f.closeSection();
    out.write(f.flush());
  }
  if (print) out.write(osdmaptoolDump(osdmap, printFormat ?? 'plain', opts));
  if (tree) out.write(osdmaptoolTree(osdmap, treeFormat ?? ''));
  if (modified) {
    const bytes = encodeOSDMap(osdmap);
    out.write(`${me}: writing epoch ${osdmap.epoch} to ${fn}\n`);
    const r = writeWholeFile(fn, path(fn), bytes, (t) => out.err(t));
    if (r) {
      out.err(`osdmaptool: error writing to '${fn}': ${cppStrerror(r)}\n`);
      return heapCorrupted ? heapAbort(out) : 1;
    }
  }
  return heapCorrupted ? heapAbort(out) : 0;
}

/** How Pacific ends when main() returns after --mark-in wrote before osd_weight (see above). */
function heapAbort(out: Output): number {
  out.err('free(): invalid next size (fast)\n*** Caught signal (Aborted) **\n');
  return 128 + 6;
}

/**
 * Ceph's dout to stderr, as a utility logs by default: the lines of levels up to the subsystem's log
 * level (debug_osd, debug_crush: 1 unless set) with the time stamp, thread and level prefix.
 */
function dout(conf: Config, io: OsdmaptoolIo, out: Output): (level: number, text: string) => void {
  const osdLevel = debugLevel(conf, 'debug_osd', 1);
  const crushLevel = debugLevel(conf, 'debug_crush', 1);
  return (level, text) => {
    // CrushWrapper's messages are the crush subsystem's, OSDMap's the osd subsystem's
    const max = /^(verify_upmap|try_remap_rule|_choose_type_stack)/.test(text) ? crushLevel : osdLevel;
    if (level > max) return;
    const now = io.now();
    const stamp = osdmapLib.formatUtime({ sec: now.sec, nsec: now.nsec - (now.nsec % 1_000_000) }).replace(/(\.\d{3})\d{3}/, '$1');
    out.err(`${stamp} 7f0000000000 ${String(level).padStart(2)} ${text}\n\n`); // the entry, then its own newline
  };
}

/** A subsystem's log level: the N of its debug_<subsys> "N/M" value. */
function debugLevel(conf: Config, name: string, dflt: number): number {
  const m = /^\s*(-?\d+)/.exec(conf.get(name));
  return m ? Number(m[1]) : dflt;
}

function exists(p: Buffer): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

interface UpmapOptions {
  max: number;
  deviation: number;
  active: boolean;
  save: boolean;
  pools: ReadonlySet<string>;
  /** std::random_device: the pool shuffles and the balancer's aggressive searches draw from it. */
  randomDevice: () => number;
  io: OsdmaptoolIo;
}

/**
 * The --upmap balancer loop. Pacific shuffles the pool order with std::random_device each round (so
 * with several pools the order, and so the result, varies between runs) and times each round.
 */
function runUpmap(
  osdmap: OSDMap,
  conf: Config,
  out: Output,
  writeUpmaps: (s: string) => void,
  apply: (inc: OSDMapIncremental) => number,
  o: UpmapOptions,
): { modified: boolean } {
  const pools: number[] = [];
  const only = new Set<number>();
  for (const name of [...o.pools].sort(osdmapLib.compareByteStrings)) {
    const p = osdmap.lookupPoolName(name);
    if (p < 0) {
      out.err(` pool ${name} does not exist\n`);
      throw new ExitNow(1);
    }
    pools.push(p);
    only.add(p);
  }
  if (pools.length) {
    out.write(` limiting to pools ${[...o.pools].sort(osdmapLib.compareByteStrings).join(',')} ([${pools.join(',')}])\n`);
  } else {
    for (const id of [...osdmap.pools.keys()].sort((a, b) => a - b)) pools.push(id);
  }
  if (pools.length === 0) {
    out.write('No pools available\n');
    return { modified: false };
  }
  const rd = o.randomDevice;
  const log = dout(conf, o.io, out);
  const logLevel = Math.max(debugLevel(conf, 'debug_osd', 1), debugLevel(conf, 'debug_crush', 1));
  let modified = false;
  let rounds = 0;
  // Ceph times the rounds with CLOCK_MONOTONIC; here the injected clock (frozen in tests, as under
  // libfaketime, where Ceph prints 0)
  const clock = (): number => {
    const t = o.io.now();
    return t.sec + 1e-9 * t.nsec;
  };
  const roundStart = clock();
  for (;;) {
    // std::shuffle(pools, std::mt19937{random_device()}) each round
    cppShuffle(pools, new Mt19937(rd()));
    out.write(`pools ${pools.map((p) => `${osdmap.getPoolName(p) ?? ''} `).join('')}\n`);
    const inc = newIncremental(osdmap.epoch + 1);
    inc.fsid = osdmap.fsid;
    let totalDid = 0;
    let left = o.max;
    const began = clock();
    for (const p of pools) {
      const did = calcPgUpmaps(osdmap, o.deviation, left, new Set([p]), inc, {
        aggressive: conf.getBool('osd_calc_pg_upmaps_aggressively'),
        localFallbackRetries: conf.getInt('osd_calc_pg_upmaps_local_fallback_retries'),
        randomDevice: rd,
        log,
        logLevel,
      });
      totalDid += did;
      left -= did;
      if (left <= 0) break;
    }
    const end = clock();
    const elapsed = Math.fround(end - began);
    out.write(`prepared ${totalDid}/${o.max} changes\n`);
    if (o.active) out.write(`Time elapsed ${osdmapLib.doubleText(elapsed)} secs\n`);
    if (totalDid > 0) {
      writeUpmaps(incUpmapCommands(inc));
      if (o.save || o.active) {
        const r = apply(inc);
        assert(r === 0, `apply_incremental: ${r}`); // Ceph asserts it too
        if (o.save) modified = true;
      }
    } else {
      out.write('Unable to find further optimization, or distribution is already perfect\n');
      if (o.active) {
        const perOsd = new Map<number, number>();
        const work = new osdmapLib.PlacementWork();
        const ua = new osdmapLib.UpActing();
        for (const id of [...osdmap.pools.keys()].sort((a, b) => a - b)) {
          if (only.size && !only.has(id)) continue;
          const p = osdmap.pools.get(id)!;
          for (let ps = 0; ps < p.pgNum; ps++) {
            osdmapLib.pgToUpActingOsdsInto(osdmap, id, ps, work, ua, true, true);
            const seen = new Set<number>();
            for (let i = 0; i < ua.up.size; i++) {
              const osd = ua.up.osds[i]!;
              if (osd === osdmapLib.CRUSH_ITEM_NONE || seen.has(osd)) continue;
              seen.add(osd);
              perOsd.set(osd, (perOsd.get(osd) ?? 0) + 1);
            }
          }
        }
        for (const osd of [...perOsd.keys()].sort((a, b) => a - b)) out.write(`osd.${osd} pgs ${perOsd.get(osd)}\n`);
        out.write(`Total time elapsed ${osdmapLib.doubleText(Math.fround(end - roundStart))} secs, ${rounds} rounds\n`);
      }
      break;
    }
    rounds++;
    if (!o.active) break;
  }
  return { modified };
}

/** --test-crush: maps every PG 100 times per pass, forever (Pacific aborts only on a mismatch). */
function runTestCrush(osdmap: OSDMap, out: Output): void {
  const work = new osdmapLib.PlacementWork();
  const ua = new osdmapLib.UpActing();
  for (let pass = 1; ; pass++) {
    out.write(`pass ${pass}\n`);
    for (const id of [...osdmap.pools.keys()].sort((a, b) => a - b)) {
      const p = osdmap.pools.get(id)!;
      for (let ps = 0; ps < p.pgNum; ps++) {
        let first: number[] | null = null;
        for (let i = 0; i < 100; i++) {
          out.write(`${pgText(id, ps)} attempt ${i}\n`);
          osdmapLib.pgToUpActingOsdsInto(osdmap, id, ps, work, ua, true, false);
          const now = ua.acting.toArray();
          if (first === null) first = now;
          else if (first.join(',') !== now.join(',')) {
            out.write(`${pgText(id, ps)} had [${first.join(',')}] now [${now.join(',')}]\n`);
            throw new OsdmaptoolFault('SIGABRT', 'test-crush mismatch');
          }
        }
      }
    }
  }
}

const isMain = isMainModule(import.meta.url);

if (isMain) {
  main(process.argv.slice(2).map((a) => byteString(a)!)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`osdmaptool: ${(e as Error).message ?? String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
