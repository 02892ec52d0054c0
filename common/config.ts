// Ceph's configuration as a client or a daemon sees it (src/common/ConfUtils.cc, config.cc,
// ceph_argparse.cc, options.cc in Pacific): the ceph.conf grammar, section lookup order, $metavariables,
// a typed table of the options tsceph uses (Ceph's names and defaults), where values come from and
// which source wins (defaults < conf file < CEPH_ARGS < command line), and mon_host parsing into
// address vectors with Ceph's default ports.
//
// In the file, spaces and underscores in a key are one (normalized); dashes are not: Ceph 16 reads
// `mon-data` only under that literal name (`ceph-conf --lookup`), never as the option mon_data. On
// the command line and in CEPH_ARGS `--mon-data` and `--mon_data` are the same option.
// Differences from Ceph, on purpose: a value that does not parse as its option's type is an error
// (CephError EINVAL naming the option and the file and line) where Ceph warns and keeps the default;
// host names in mon_host are not resolved through DNS (only addresses and "localhost").

import { readFileSync } from 'node:fs';
import { hostname as osHostname, homedir } from 'node:os';
import { CephError } from './errors.js';
import { addrPort, parseAddrVecAt, withPort } from './entityaddr.js';
import { ENTITY_ADDR_TYPE_ANY, ENTITY_ADDR_TYPE_LEGACY, ENTITY_ADDR_TYPE_MSGR2 } from './osdmap/types.js';
import type { EntityAddr, EntityAddrVec } from './osdmap/types.js';

/** Ceph's MAX_CONFIG_FILE_SZ. */
export const CONF_FILE_BYTES_MAX = 0x40000000;
/** CEPH_MON_PORT_IANA (msgr2) and CEPH_MON_PORT_LEGACY (msgr1). */
export const MON_PORT_MSGR2 = 3300;
export const MON_PORT_LEGACY = 6789;
/** How deep $option references may nest when expanding (Ceph stops loops the same way). */
export const META_EXPANSION_DEPTH_MAX = 16;

// -------------------------------------------------------------------------------------------------
// The conf file

export interface ConfLine {
  value: string;
  line: number; // 1-based line of the key
}

/** Ceph's ConfFile: section name -> normalized key -> value (the last of duplicate keys wins). */
export class ConfFile {
  readonly sections = new Map<string, Map<string, ConfLine>>();
  constructor(readonly fileName: string) {}

  /** ConfFile::read: the raw value of `key` (normalized) in `section`, or undefined. */
  read(section: string, key: string): ConfLine | undefined {
    return this.sections.get(section)?.get(normalizeKeyName(key));
  }

  sectionNames(): string[] {
    return [...this.sections.keys()].sort();
  }

  /** Parse a conf file's text as Ceph's grammar does; a syntax error is CephError EINVAL. */
  static parse(text: string, fileName = '<buffer>'): ConfFile {
    return new ConfParser(text, fileName).parseFile();
  }
}

/** ConfFile::normalize_key_name: trim whitespace, each inner run of whitespace becomes one '_'. */
export function normalizeKeyName(key: string): string {
  return key.trim().replace(/\s+/g, '_');
}

/** The name of an option as the option table knows it: normalized, and '-' the same as '_'. */
export function optionKey(key: string): string {
  return normalizeKeyName(key).replace(/-/g, '_');
}

class ConfSyntaxError extends Error {}

/**
 * A recursive-descent reading of ConfUtils.cc's grammar. A backslash before a line end continues the
 * line; `\x` is x; '#' and ';' start comments (also inside quotes, unless escaped); a key is words
 * separated by blanks; a key=value line must end with a line end; headings are `[name]`.
 */
class ConfParser {
  private pos = 0;
  constructor(
    private readonly s: string,
    private readonly fileName: string,
  ) {}

  parseFile(): ConfFile {
    const conf = new ConfFile(this.fileName);
    try {
      // A file that is one key=value line (no heading) puts it in [global].
      const start = this.pos;
      const single = this.tryKeyVal();
      if (single) {
        this.expectEnd();
        conf.sections.set('global', new Map([[single.key, single.line]]));
        return conf;
      }
      this.pos = start;
      for (;;) {
        this.skip();
        if (!this.eol()) break;
      }
      while (this.peek() === '[' || (this.skip(), this.peek() === '[')) {
        this.section(conf);
      }
      this.expectEnd();
      return conf;
    } catch (e) {
      if (e instanceof ConfSyntaxError) {
        throw new CephError('EINVAL', `${this.fileName}: parse error: ${e.message} in line ${this.lineAt(this.pos)}`);
      }
      throw e;
    }
  }

  private lineAt(pos: number): number {
    let n = 1;
    for (let i = 0; i < pos && i < this.s.length; i++) if (this.s[i] === '\n') n++;
    return n;
  }

  private peek(off = 0): string | undefined {
    return this.s[this.pos + off];
  }

  private atEol(p = this.pos): boolean {
    const c = this.s[p];
    return c === '\n' || c === '\r';
  }

  private eol(): boolean {
    const c = this.peek();
    if (c === '\r') {
      this.pos += this.peek(1) === '\n' ? 2 : 1;
      return true;
    }
    if (c === '\n') {
      this.pos++;
      return true;
    }
    return false;
  }

  private isBlank(c: string | undefined): boolean {
    return c === ' ' || c === '\t';
  }

  /** The skipper: continuation markers and comments (blanks, then # or ;, to the line end). */
  private skip(): void {
    for (;;) {
      if (this.peek() === '\\' && this.atEol(this.pos + 1)) {
        this.pos++;
        this.eol();
        continue;
      }
      let p = this.pos;
      while (this.isBlank(this.s[p])) p++;
      if (this.s[p] === '#' || this.s[p] === ';') {
        while (p < this.s.length && !this.atEol(p)) p++;
        this.pos = p;
        continue;
      }
      return;
    }
  }

  private blanks(): void {
    while (this.isBlank(this.peek())) this.pos++;
  }

  /** text_char at the cursor: [value, length] or null. */
  private textChar(p = this.pos): [string, number] | null {
    const c = this.s[p];
    if (c === undefined) return null;
    if (c === '\\' && p + 1 < this.s.length && !this.atEol(p + 1)) return [this.s[p + 1]!, 2];
    if (c === '#' || c === ';' || c === '\n' || c === '\r') return null;
    return [c, 1];
  }

  private expectEnd(): void {
    this.skip();
    if (this.pos < this.s.length) throw new ConfSyntaxError(`expected '<eoi>'`);
  }

  /** One or more empty lines (blanks or a comment, then a line end). */
  private emptyLines(): void {
    let n = 0;
    for (;;) {
      const save = this.pos;
      this.skip();
      this.blanks();
      if (!this.eol()) {
        this.pos = save;
        break;
      }
      n++;
    }
    if (n === 0) throw new ConfSyntaxError(`expected '<empty_line>'`);
  }

  /** key = value; null (cursor unspecified) when the text is not a key followed by '='. */
  private tryKeyVal(): { key: string; line: ConfLine } | null {
    this.skip();
    this.blanks();
    const keyStart = this.pos;
    const line = this.lineAt(keyStart);
    let keyEnd = -1;
    for (;;) {
      // one word of key characters
      const wordStart = this.pos;
      for (;;) {
        const t = this.textChar();
        if (!t || (t[1] === 1 && (t[0] === '=' || t[0] === '[' || t[0] === ' '))) break;
        this.pos += t[1];
      }
      if (this.pos === wordStart) {
        if (keyEnd < 0) return null;
        break;
      }
      keyEnd = this.pos;
      const afterWord = this.pos;
      this.blanks();
      if (this.pos === afterWord) break;
    }
    this.pos = keyEnd;
    this.blanks();
    if (this.peek() !== '=') return null;
    this.pos++;
    const key = normalizeKeyName(this.s.slice(keyStart, keyEnd));
    // From here on every step is an expectation: failures are syntax errors.
    this.blanks();
    const value = this.value();
    this.emptyLines();
    return { key, line: { value: value.trim(), line } };
  }

  private value(): string {
    this.skip();
    const q = this.peek();
    if (q === '"' || q === "'") {
      this.pos++;
      let out = '';
      for (;;) {
        const t = this.textChar();
        if (!t || (t[1] === 1 && t[0] === q)) break;
        out += t[0];
        this.pos += t[1];
      }
      if (this.peek() !== q) throw new ConfSyntaxError(`expected '"${q}"'`);
      this.pos++;
      return out;
    }
    let out = '';
    for (;;) {
      this.skip();
      const t = this.textChar();
      if (!t) break;
      out += t[0];
      this.pos += t[1];
    }
    return out;
  }

  private section(conf: ConfFile): void {
    this.pos++; // '['
    let name = '';
    for (;;) {
      const t = this.textChar();
      if (!t || (t[1] === 1 && t[0] === ']')) break;
      name += t[0];
      this.pos += t[1];
    }
    if (name === '') throw new ConfSyntaxError(`expected '<section name>'`);
    if (this.peek() !== ']') throw new ConfSyntaxError(`expected ']'`);
    this.pos++;
    this.emptyLines();
    let lines = conf.sections.get(name);
    if (!lines) conf.sections.set(name, (lines = new Map()));
    for (;;) {
      const save = this.pos;
      this.skip();
      this.blanks();
      if (this.peek() === '[' || this.pos >= this.s.length) {
        this.pos = save;
        break;
      }
      this.pos = save;
      const kv = this.tryKeyVal();
      if (!kv) {
        this.pos = save;
        break;
      }
      lines.delete(kv.key);
      lines.set(kv.key, kv.line);
    }
    for (;;) {
      const save = this.pos;
      this.skip();
      if (!this.eol()) {
        this.pos = save;
        break;
      }
    }
  }
}

// -------------------------------------------------------------------------------------------------
// The option table

export type OptionType = 'str' | 'int' | 'uint' | 'float' | 'bool' | 'uuid' | 'addrvec' | 'secs';
export type OptionValue = string | number | boolean;

export interface OptionSpec {
  name: string;
  type: OptionType;
  /** Ceph's default (clients and tools). */
  default: OptionValue;
  /** Ceph's set_daemon_default, when different. */
  daemonDefault?: OptionValue;
  min?: number;
  max?: number;
  desc: string;
}

function opt(name: string, type: OptionType, dflt: OptionValue, desc: string, extra: Partial<OptionSpec> = {}): OptionSpec {
  return { name, type, default: dflt, desc, ...extra };
}

/** The options issue 5 uses, with Ceph 16's names, types and defaults (src/common/options.cc). */
export const OPTIONS: readonly OptionSpec[] = [
  opt('fsid', 'uuid', '00000000-0000-0000-0000-000000000000', 'cluster fsid (uuid)'),
  opt('mon_host', 'str', '', 'list of hosts or addresses to search for a monitor'),
  opt('mon_dns_srv_name', 'str', 'ceph-mon', 'name of DNS SRV record to check for monitor addresses'),
  opt('mon_data', 'str', '/var/lib/ceph/mon/$cluster-$id', 'path to mon database'),
  opt('mon_initial_members', 'str', '', 'names of the monitors that must form the initial quorum'),
  opt('public_addr', 'addrvec', '-', 'public-facing address to bind to'),
  opt('public_network', 'str', '', 'network(s) from which to choose a public address to bind to'),
  opt('log_file', 'str', '', 'path to log file', { daemonDefault: '/var/log/ceph/$cluster-$name.log' }),
  opt('log_to_stderr', 'bool', true, 'send log lines to stderr', { daemonDefault: false }),
  opt('keyring', 'str', '/etc/ceph/$cluster.$name.keyring,/etc/ceph/$cluster.keyring,/etc/ceph/keyring,/etc/ceph/keyring.bin,', 'path to a keyring file'),
  opt('run_dir', 'str', '/var/run/ceph', 'path for the admin socket and pid files'),
  opt('admin_socket', 'str', '', 'path for the runtime control socket file', { daemonDefault: '$run_dir/$cluster-$name.asok' }),
  opt('mon_lease', 'float', 5, 'lease interval (s)', { min: 0 }),
  opt('mon_lease_renew_interval_factor', 'float', 0.6, 'multiple of mon_lease for the lease renewal interval', { min: 0, max: 0.9999999 }),
  opt('mon_lease_ack_timeout_factor', 'float', 2, 'multiple of mon_lease for the lease ack interval', { min: 1.0001, max: 100 }),
  opt('mon_accept_timeout_factor', 'float', 2, 'multiple of mon_lease for follower mons to accept proposed state changes'),
  opt('mon_election_timeout', 'float', 5, 'maximum time for a mon election (seconds)'),
  opt('mon_probe_timeout', 'float', 2, 'timeout for querying other mons during bootstrap pre-election phase (seconds)'),
  opt('paxos_min', 'int', 500, 'minimum number of paxos states to keep around'),
  opt('paxos_trim_min', 'int', 250, 'number of extra proposals tolerated before trimming'),
  opt('paxos_trim_max', 'int', 500, 'maximum amount of versions to trim during a single proposal'),
  opt('paxos_max_join_drift', 'int', 10, 'Maximum number of paxos versions a mon may lag before a full sync'),
  opt('mon_sync_max_payload_size', 'uint', 1048576, 'target max message payload for mon sync'),
  opt('mon_sync_max_payload_keys', 'int', 2000, 'target max keys in message payload for mon sync'),
  opt('mon_osd_down_out_interval', 'int', 600, 'number of seconds after which down OSDs are marked out'),
  opt('mon_osd_min_down_reporters', 'uint', 2, 'number of OSDs from different subtrees who need to report a down OSD'),
  opt('mon_osd_reporter_subtree_level', 'str', 'host', 'in which level of parent bucket the reporters are counted'),
  opt('mon_osd_report_timeout', 'int', 900, 'time before OSDs who do not report to the mons are marked down (seconds)'),
  opt('mon_min_osdmap_epochs', 'int', 500, 'min number of OSDMaps to store'),
  opt('mon_max_pg_per_osd', 'uint', 250, 'Max number of PGs per OSD the cluster will allow'),
  opt('mon_allow_pool_delete', 'bool', false, 'allow pool deletions'),
  opt('osd_heartbeat_grace', 'int', 20, 'Duration of time after which a peer OSD is marked down (seconds)'),
  opt('osd_pool_default_size', 'uint', 3, 'the number of copies of an object for new replicated pools', { min: 0, max: 10 }),
  opt('osd_pool_default_min_size', 'uint', 0, 'the minimal number of copies allowed to write to a degraded pool for new replicated pools', { min: 0, max: 255 }),
  opt('osd_pool_default_pg_num', 'uint', 32, 'number of PGs for new pools'),
  opt('osd_pool_default_pgp_num', 'uint', 0, 'number of PGs for placement purposes (0 to match pg_num)'),
  opt('osd_pool_default_crush_rule', 'int', -1, 'CRUSH rule for newly created pools'),
  opt('ms_bind_port_min', 'int', 6800, 'Lowest port number to bind daemon(s) to'),
  opt('ms_bind_port_max', 'int', 7300, 'Highest port number to bind daemon(s) to'),
  opt('ms_bind_msgr1', 'bool', true, 'Bind servers to msgr1 (legacy) protocol address(es)'),
  opt('ms_bind_msgr2', 'bool', true, 'Bind servers to msgr2 (nautilus+) protocol address(es)'),
  opt('auth_cluster_required', 'str', 'cephx', 'authentication methods required by the cluster'),
  opt('auth_service_required', 'str', 'cephx', 'authentication methods required by service daemons'),
  opt('auth_client_required', 'str', 'cephx, none', 'authentication methods allowed by clients'),
  opt('auth_supported', 'str', '', 'authentication methods required (deprecated)'),
  opt('mon_client_hunt_interval', 'float', 3, 'How frequently to hunt for a new mon when not connected'),
  opt('mon_client_ping_interval', 'float', 10, 'How frequently to ping the mon (seconds)'),
  opt('mon_client_hunt_parallel', 'uint', 3, 'How many mons to try to connect to in parallel during hunt'),
  opt('client_mount_timeout', 'secs', 300, 'Timeout for initial connection to the cluster (seconds)'),
  opt('rados_mon_op_timeout', 'secs', 0, 'timeout for operations handled by monitors (0: none)'),
];

const optionIndex = new Map<string, OptionSpec>(OPTIONS.map((o) => [o.name, o]));

export function findOption(name: string): OptionSpec | undefined {
  return optionIndex.get(optionKey(name));
}

/** SI suffixes as Ceph's strict_si_cast reads them (powers of 1000). */
const SI_SUFFIX: Record<string, number> = { K: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/**
 * Option::parse_value: the typed value of `raw`, or an error text. Ints take Ceph's SI suffixes, bools
 * are true/false (any case) or an integer, uuids are 32 hex digits with or without the hyphens.
 */
export function parseOptionValue(o: OptionSpec, raw: string): { value: OptionValue } | { error: string } {
  const s = raw.trim();
  switch (o.type) {
    case 'str':
    case 'addrvec':
      return { value: raw };
    case 'uuid': {
      const hex = s.replace(/-/g, '');
      if (!/^[0-9a-fA-F]{32}$/.test(hex)) return { error: `failed to parse '${raw}' as a uuid` };
      const h = hex.toLowerCase();
      return { value: `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}` };
    }
    case 'bool': {
      const l = s.toLowerCase();
      if (l === 'true') return { value: true };
      if (l === 'false') return { value: false };
      if (/^-?\d+$/.test(s)) return { value: Number(s) !== 0 };
      return { error: `Expected option value to be integer, got '${raw}'` };
    }
    case 'float': {
      if (s === '' || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) return { error: `strict_strtod: expected double, got: '${raw}'` };
      return rangeChecked(o, Number(s));
    }
    case 'int':
    case 'uint':
    case 'secs': {
      const m = /^([-+]?\d+)([KMGTPE]?)$/.exec(s);
      if (!m) return { error: `strict_sistrtoll: value not specified or not a number: '${raw}'` };
      const v = Number(m[1]) * (m[2] ? SI_SUFFIX[m[2]]! : 1);
      if (!Number.isSafeInteger(v)) return { error: `strict_sistrtoll: value out of range: '${raw}'` };
      if (o.type === 'uint' && v < 0) return { error: `strict_sistrtoll: value should not be negative: '${raw}'` };
      return rangeChecked(o, v);
    }
  }
}

function rangeChecked(o: OptionSpec, v: number): { value: number } | { error: string } {
  if (o.min !== undefined && v < o.min) return { error: `Value '${v}' out of range: [${o.min}, ${o.max ?? ''}]` };
  if (o.max !== undefined && v > o.max) return { error: `Value '${v}' out of range: [${o.min ?? ''}, ${o.max}]` };
  return { value: v };
}

/** A value as Ceph prints it (`ceph-conf --show-config-value`, `config get`): floats with 6 decimals. */
export function formatOptionValue(o: OptionSpec, v: OptionValue): string {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (o.type === 'float' && typeof v === 'number') return v.toFixed(6);
  return String(v);
}

// -------------------------------------------------------------------------------------------------
// Entity names and the configuration itself

export const ENTITY_TYPE_NAMES = ['auth', 'mon', 'osd', 'mds', 'mgr', 'client'] as const;

export interface ConfEntityName {
  type: string; // "mon", "osd", "client", ...
  id: string; // "a", "3", "admin"
}

/** EntityName::from_str: "TYPE.ID"; EINVAL as Ceph words it otherwise. */
export function parseConfEntityName(s: string): ConfEntityName {
  const dot = s.indexOf('.');
  const type = dot < 0 ? '' : s.slice(0, dot);
  if (dot < 0 || !(ENTITY_TYPE_NAMES as readonly string[]).includes(type)) {
    throw new CephError('EINVAL', `error parsing '${s}': expected string of the form TYPE.ID, valid types are: ${ENTITY_TYPE_NAMES.join(', ')}`);
  }
  return { type, id: s.slice(dot + 1) };
}

export type ConfigSource = 'default' | 'file' | 'env' | 'cmdline' | 'override';
const SOURCE_RANK: Record<ConfigSource, number> = { default: 0, file: 1, env: 2, cmdline: 3, override: 4 };

interface SetValue {
  value: OptionValue;
  source: ConfigSource;
  where: string;
}

export interface ConfigIdentity {
  name: ConfEntityName;
  cluster: string;
  host: string;
  pid: number;
  /** Daemons see set_daemon_default values (log_file, admin_socket, ...). */
  daemon: boolean;
}

/**
 * One process's configuration. Values are kept per option with their source; a later set from a
 * lower-precedence source does not override a higher one. Strings are stored raw and $metavariables
 * expanded on read, as Ceph does.
 */
export class CephConfig {
  readonly identity: ConfigIdentity;
  conf: ConfFile | null = null;
  /** Extra sections searched first (ceph-conf -s). */
  extraSections: string[] = [];
  private readonly values = new Map<string, SetValue>();

  constructor(identity: Partial<ConfigIdentity> = {}) {
    this.identity = {
      name: identity.name ?? { type: 'client', id: 'admin' },
      cluster: identity.cluster ?? 'ceph',
      host: identity.host ?? 'localhost',
      pid: identity.pid ?? 0,
      daemon: identity.daemon ?? false,
    };
  }

  get entityName(): string {
    return `${this.identity.name.type}.${this.identity.name.id}`;
  }

  /** Sections searched, first match wins: extra, TYPE.ID, TYPE, global (md_config_t::_get_my_sections). */
  sections(): string[] {
    return [...this.extraSections, this.entityName, this.identity.name.type, 'global'];
  }

  /** The raw conf-file value for `key` by section lookup, $metavariables expanded (`ceph-conf --lookup`). */
  lookup(key: string): string | undefined {
    if (!this.conf) return undefined;
    for (const s of this.sections()) {
      const l = this.conf.read(s, key);
      if (l) return this.expand(l.value);
    }
    return undefined;
  }

  /** Set an option from a source; EINVAL (naming the option and `where`) for a bad value or name. */
  set(name: string, raw: string, source: ConfigSource, where: string): void {
    const o = findOption(name);
    if (!o) throw new CephError('EINVAL', `${where}: unknown option '${name}'`);
    const parsed = parseOptionValue(o, raw);
    if ('error' in parsed) throw new CephError('EINVAL', `${where}: bad value for option '${o.name}': ${parsed.error}`);
    const old = this.values.get(o.name);
    if (old && SOURCE_RANK[old.source] > SOURCE_RANK[source]) return;
    this.values.set(o.name, { value: parsed.value, source, where });
  }

  /** Where an option's current value came from. */
  sourceOf(name: string): ConfigSource {
    const o = findOption(name);
    return (o && this.values.get(o.name)?.source) ?? 'default';
  }

  /** Read every known option from the conf file's sections (md_config_t::parse_config_files). */
  applyConfFile(conf: ConfFile): void {
    this.conf = conf;
    for (const o of OPTIONS) {
      for (const s of this.sections()) {
        const sec = conf.sections.get(s);
        if (!sec) continue;
        // Ceph reads the option's own name (spaces in the file are underscores; dashes are not).
        const hit = sec.get(o.name);
        if (hit) {
          this.set(o.name, hit.value, 'file', `${conf.fileName}:${hit.line}`);
          break;
        }
      }
    }
  }

  /** The typed value (defaults applied), strings with $metavariables expanded. */
  get(name: string): OptionValue {
    const o = findOption(name);
    if (!o) throw new CephError('EINVAL', `unknown option '${name}'`);
    const v = this.rawValue(o);
    return typeof v === 'string' && (o.type === 'str' || o.type === 'addrvec') ? this.expand(v) : v;
  }

  getString(name: string): string {
    return String(this.get(name));
  }

  getNumber(name: string): number {
    const v = this.get(name);
    if (typeof v !== 'number') throw new CephError('EINVAL', `option '${name}' is not numeric`);
    return v;
  }

  getBool(name: string): boolean {
    const v = this.get(name);
    if (typeof v !== 'boolean') throw new CephError('EINVAL', `option '${name}' is not a bool`);
    return v;
  }

  /** `ceph-conf --show-config-value NAME`: the value as Ceph prints it. */
  show(name: string): string {
    const o = findOption(name);
    if (!o) throw new CephError('ENOENT', `failed to get config option '${name}': option not found`);
    return formatOptionValue(o, this.get(o.name));
  }

  private rawValue(o: OptionSpec): OptionValue {
    const set = this.values.get(o.name);
    if (set) return set.value;
    return this.identity.daemon && o.daemonDefault !== undefined ? o.daemonDefault : o.default;
  }

  /** md_config_t::_expand_meta: $cluster $type $id $num $name $host $pid $home and $option, also ${...}. */
  expand(s: string, depth = 0): string {
    if (!s.includes('$')) return s;
    let out = '';
    let i = 0;
    while (i < s.length) {
      const c = s[i]!;
      if (c !== '$') {
        out += c;
        i++;
        continue;
      }
      let name: string;
      let end: number;
      if (s[i + 1] === '{') {
        const close = s.indexOf('}', i + 2);
        if (close < 0) {
          out += s.slice(i);
          break;
        }
        name = s.slice(i + 2, close);
        end = close + 1;
      } else {
        let j = i + 1;
        while (j < s.length && /[A-Za-z0-9_]/.test(s[j]!)) j++;
        name = s.slice(i + 1, j);
        end = j;
      }
      const v = this.metaValue(name, depth);
      if (v === undefined) {
        out += s.slice(i, end);
      } else {
        out += v;
      }
      i = end;
    }
    return out;
  }

  private metaValue(name: string, depth: number): string | undefined {
    const id = this.identity;
    switch (name) {
      case 'cluster': return id.cluster;
      case 'type': return id.name.type;
      case 'id':
      case 'num': return id.name.id;
      case 'name': return this.entityName;
      case 'host': return id.host;
      case 'pid': return String(id.pid);
      case 'home': return homedir();
      default: {
        const o = name === '' ? undefined : optionIndex.get(name);
        if (!o || depth >= META_EXPANSION_DEPTH_MAX) return undefined;
        const v = this.rawValue(o);
        return typeof v === 'string' ? this.expand(v, depth + 1) : formatOptionValue(o, v);
      }
    }
  }

  /** mon_host as Ceph's MonMap::build_initial sees it (for a client: msgr2 and legacy candidates). */
  monHostEntries(forMkfs = false): MonHostEntry[] {
    const s = this.getString('mon_host');
    if (s.trim() === '') return [];
    return monHostEntries(parseAddrVecList(s, 'mon_host'), forMkfs);
  }
}

// -------------------------------------------------------------------------------------------------
// Addresses (entity_addr_t::parse, parse_ip_port_vec) and mon_host

/** parse_ip_port_vec: address vectors separated by ',', ';' or blanks; EINVAL naming `what`. */
export function parseAddrVecList(s: string, what = 'address list'): EntityAddrVec[] {
  const out: EntityAddrVec[] = [];
  let p = 0;
  const isSep = (c: string | undefined): boolean => c === ',' || c === ';' || c === ' ' || c === '\t' || c === '\n';
  while (p < s.length && isSep(s[p])) p++;
  while (p < s.length) {
    const r = parseAddrVecAt(s, p, { localhost: true });
    if (!r) throw new CephError('EINVAL', `${what}: cannot parse '${s}' at '${s.slice(p)}'`);
    out.push(r.vec);
    p = r.end;
    if (p < s.length && !isSep(s[p])) throw new CephError('EINVAL', `${what}: cannot parse '${s}' at '${s.slice(p)}'`);
    while (p < s.length && isSep(s[p])) p++;
  }
  return out;
}

export interface MonHostEntry {
  name: string; // "noname-a", "noname-a-legacy", ...
  addrs: EntityAddrVec;
}

/**
 * MonMap::init_with_ips / _add_ambiguous_addr: an address with no type and no port gives msgr2 at 3300
 * and (clients) legacy at 6789; port 6789 alone means legacy; another port alone means msgr2 there (and
 * legacy on the same port for clients); a typed address without a port takes its type's default port.
 */
export function monHostEntries(vecs: EntityAddrVec[], forMkfs = false, prefix = 'noname-'): MonHostEntry[] {
  const out: MonHostEntry[] = [];
  const seen = new Set<string>();
  const key = (a: EntityAddr): string => `${a.type}/${a.family}/${a.sockaddr.toString('hex')}`;
  const add = (name: string, addrs: EntityAddrVec): void => {
    if (addrs.some((a) => seen.has(key(a)))) return;
    for (const a of addrs) seen.add(key(a));
    out.push({ name, addrs });
  };
  vecs.forEach((vec, i) => {
    const name = prefix + String.fromCharCode(97 + i);
    if (vec.length !== 1) {
      add(name, vec);
      return;
    }
    const a = vec[0]!;
    const port = addrPort(a);
    if (a.type !== ENTITY_ADDR_TYPE_ANY) {
      const p = port !== 0 ? port : a.type === ENTITY_ADDR_TYPE_LEGACY ? MON_PORT_LEGACY : MON_PORT_MSGR2;
      add(name, [withPort(a, p, a.type)]);
    } else if (port === MON_PORT_LEGACY) {
      add(forMkfs ? name : name + '-legacy', [withPort(a, port, ENTITY_ADDR_TYPE_LEGACY)]);
    } else if (port === 0) {
      if (forMkfs) {
        add(name, [withPort(a, MON_PORT_MSGR2, ENTITY_ADDR_TYPE_MSGR2), withPort(a, MON_PORT_LEGACY, ENTITY_ADDR_TYPE_LEGACY)]);
      } else {
        add(name, [withPort(a, MON_PORT_MSGR2, ENTITY_ADDR_TYPE_MSGR2)]);
        add(name + '-legacy', [withPort(a, MON_PORT_LEGACY, ENTITY_ADDR_TYPE_LEGACY)]);
      }
    } else {
      add(name, [withPort(a, port, ENTITY_ADDR_TYPE_MSGR2)]);
      if (!forMkfs) add(name + '-legacy', [withPort(a, port, ENTITY_ADDR_TYPE_LEGACY)]);
    }
  });
  return out;
}

// -------------------------------------------------------------------------------------------------
// Loading: conf file search, CEPH_ARGS and the command line

export interface LoadOptions {
  argv: string[];
  env?: Readonly<Record<string, string | undefined>>;
  /** Entity type when only --id is given ("client" for tools, the daemon's type for daemons). */
  defaultType?: string;
  /** Daemons take `-i` as --id; the ceph CLI uses -i for --in-file and does not. */
  shortIdFlag?: boolean;
  daemon?: boolean;
  host?: string;
  pid?: number;
  /** Read a file's text, undefined when it does not exist (injectable for tests). */
  readFile?: (path: string) => string | undefined;
  /** Also search /etc/ceph/$cluster.conf, ~/.ceph/$cluster.conf, ./$cluster.conf when no -c or CEPH_CONF. */
  searchDefaultConf?: boolean;
}

export interface LoadedConfig {
  config: CephConfig;
  /** Arguments not consumed (the tool's own). */
  rest: string[];
  confPath: string | null;
}

function defaultReadFile(path: string): string | undefined {
  try {
    const b = readFileSync(path);
    if (b.length > CONF_FILE_BYTES_MAX) throw new CephError('EINVAL', `config file '${path}' is ${b.length} bytes, but the maximum is ${CONF_FILE_BYTES_MAX}`);
    return b.toString('utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** An option word as Ceph matches it: `--foo-bar` and `--foo_bar` alike, value as next word or after '='. */
function takeOption(args: string[], i: number, names: readonly string[]): { value: string; used: number } | null {
  const a = args[i]!;
  for (const n of names) {
    const norm = (x: string): string => (x.startsWith('--') ? '--' + x.slice(2).replace(/-/g, '_') : x);
    const eq = a.indexOf('=');
    const head = norm(eq < 0 ? a : a.slice(0, eq));
    if (head !== norm(n)) continue;
    if (eq >= 0 && n.startsWith('--')) return { value: a.slice(eq + 1), used: 1 };
    if (i + 1 >= args.length) throw new CephError('EINVAL', `Option ${n} requires an argument.`);
    return { value: args[i + 1]!, used: 2 };
  }
  return null;
}

/**
 * Build a process's configuration as Ceph's global_init / rados_conf_* do: CEPH_ARGS words come
 * before the command line (so the command line wins), the conf file is -c / --conf, else CEPH_CONF,
 * else the default search path; --cluster, --name / -n, --id (and -i for daemons); `-m` and
 * `--<option> value` for any known option. With -c and no --cluster, a file named NAME.conf makes the
 * cluster NAME (as Ceph deduces it).
 */
export function loadConfig(opts: LoadOptions): LoadedConfig {
  const env = opts.env ?? {};
  const readFile = opts.readFile ?? defaultReadFile;
  const envWords = (env.CEPH_ARGS ?? '').split(/\s+/).filter((w) => w !== '');
  const sources: Array<{ words: string[]; source: ConfigSource }> = [
    { words: envWords, source: 'env' },
    { words: [...opts.argv], source: 'cmdline' },
  ];
  // Early arguments: conf file, cluster, name.
  let confPath: string | null = null;
  let cluster: string | null = null;
  let name: ConfEntityName | null = null;
  let id: string | null = null;
  const idFlags = opts.shortIdFlag ? ['--id', '--user', '-i'] : ['--id', '--user'];
  const late: Array<{ key: string; value: string; source: ConfigSource; where: string }> = [];
  const rest: string[] = [];
  for (const src of sources) {
    const w = src.words;
    for (let i = 0; i < w.length; ) {
      const a = w[i]!;
      if (a === '--') {
        if (src.source === 'cmdline') rest.push(...w.slice(i));
        break;
      }
      let t: { value: string; used: number } | null;
      if ((t = takeOption(w, i, ['--conf', '-c']))) confPath = t.value;
      else if ((t = takeOption(w, i, ['--cluster']))) cluster = t.value;
      else if ((t = takeOption(w, i, ['--name', '-n']))) name = parseConfEntityName(t.value);
      else if ((t = takeOption(w, i, idFlags))) id = t.value;
      else if ((t = takeOption(w, i, ['-m', '--mon-host']))) late.push({ key: 'mon_host', value: t.value, source: src.source, where: src.source === 'env' ? 'CEPH_ARGS' : 'command line' });
      else if (a.startsWith('--') && findOption(a.slice(2).split('=')[0]!) && (t = takeOption(w, i, [a.split('=')[0]!]))) {
        late.push({ key: a.slice(2).split('=')[0]!, value: t.value, source: src.source, where: src.source === 'env' ? 'CEPH_ARGS' : 'command line' });
      } else {
        if (src.source === 'cmdline') rest.push(a);
        i++;
        continue;
      }
      i += t.used;
    }
  }
  const entity: ConfEntityName = name ?? { type: opts.defaultType ?? 'client', id: id ?? 'admin' };
  if (name && id !== null) entity.id = id;
  if (cluster === null && confPath !== null) {
    const base = confPath.slice(confPath.lastIndexOf('/') + 1);
    if (base.endsWith('.conf') && base.length > 5) cluster = base.slice(0, -5);
  }
  const config = new CephConfig({ name: entity, cluster: cluster ?? 'ceph', host: opts.host ?? osHostname().split('.')[0], pid: opts.pid ?? 0, daemon: opts.daemon ?? false });

  let chosen: string | null = null;
  let text: string | undefined;
  if (confPath !== null || env.CEPH_CONF) {
    chosen = confPath ?? env.CEPH_CONF!;
    text = readFile(chosen);
    if (text === undefined) throw new CephError('ENOENT', `can't open ${chosen}: (2) No such file or directory`);
  } else if (opts.searchDefaultConf ?? true) {
    for (const p of ['/etc/ceph/$cluster.conf', '~/.ceph/$cluster.conf', '$cluster.conf']) {
      const path = config.expand(p).replace(/^~/, homedir());
      text = readFile(path);
      if (text !== undefined) {
        chosen = path;
        break;
      }
    }
  }
  if (text !== undefined && chosen !== null) config.applyConfFile(ConfFile.parse(text, chosen));
  for (const l of late) config.set(l.key, l.value, l.source, l.where);
  return { config, rest, confPath: chosen };
}
