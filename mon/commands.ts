// The monitor's command table and Ceph's CLI argument matching (src/mon/MonCommands.h, src/common/
// cmdparse.cc and src/pybind/ceph_argparse.py in Ceph 16). A command is a signature: prefix words and
// typed arguments ("name=pool,type=CephPoolname name=pg_num,type=CephInt,range=0,req=false"), plus help,
// module, perms and flags. The signatures below are Ceph 16's for the commands tsceph's monitor serves,
// so `commandDescriptions()` is what a Pacific monitor answers to get_command_descriptions and a real
// `ceph` CLI can drive a tsceph monitor.
//
// `parseCommandArgv(words)` turns CLI words into a CmdMap the way ceph_argparse.validate_command does:
// every signature is scored on how many words it matches (partly and fully), the best ones are tried
// with the fewest required arguments first, keyword forms (--name value, --name=value, --flag) are
// accepted, and errors read as Ceph's ("Invalid command: ..." followed by the usage line, or "no valid
// command found; N closest matches:"). `validateCmdMap` is the monitor's side (cmdparse's
// validate_cmd): the prefix must be known and every argument present with its type.

import { CephError } from '../common/errors.js';
import type { CmdMap, CmdValue } from './core/types.js';

/** MonCommand flags (src/mon/MonCommands.h FLAG()). */
export const CommandFlag = { NOFORWARD: 1, OBSOLETE: 2, DEPRECATED: 4, MGR: 8, POLL: 16, HIDDEN: 32 } as const;

/**
 * Manager commands tsceph's monitors serve (the PGMap's): a Pacific monitor lists them with
 * CommandFlag.MGR; ours list them without it so Ceph's CLI sends them to the monitor.
 */
export const MON_SERVED_MGR_COMMANDS: ReadonlySet<string> = new Set(['pg stat', 'pg dump', 'pg ls-by-pool', 'pg ls-by-primary', 'pg ls-by-osd', 'pg ls', 'osd df', 'osd pool stats']);

export interface MonCommand {
  /** Prefix words and argument descriptors, as MonCommands.h writes them. */
  sig: string;
  help: string;
  module: string;
  perm: string;
  flags: number;
}

function cmd(sig: string, help: string, module: string, perm: string, flags = 0): MonCommand {
  return { sig, help, module, perm, flags };
}

/** The commands issue 5's monitor serves, with Ceph 16's signatures, help and perms. */
export const MON_COMMANDS: readonly MonCommand[] = [
  cmd('status', 'show cluster status', 'mon', 'r'),
  cmd('health name=detail,type=CephChoices,req=false,strings=detail', 'show cluster health', 'mon', 'r'),
  cmd('fsid', 'show cluster FSID/UUID', 'mon', 'r'),
  cmd('quorum_status', 'report status of monitor quorum', 'mon', 'r'),
  cmd('mon_status', 'report status of monitors', 'mon', 'r', 33),
  cmd('version', 'show mon daemon version', 'mon', 'r', 33),
  cmd('mon stat', 'summarize monitor status', 'mon', 'r'),
  cmd('mon dump name=epoch,type=CephInt,range=0,req=false', 'dump formatted monmap (optionally from epoch)', 'mon', 'r'),
  cmd('mon getmap name=epoch,type=CephInt,range=0,req=false', 'get monmap', 'mon', 'r'),
  cmd('mon add name=name,type=CephString name=addr,type=CephIPAddr name=location,type=CephString,goodchars=[A-Za-z0-9-_.=],n=N,req=false', 'add new monitor named <name> at <addr>, possibly with CRUSH location <location>', 'mon', 'rw'),
  cmd('mon rm name=name,type=CephString', 'remove monitor named <name>', 'mon', 'rw'),
  cmd('mon remove name=name,type=CephString', 'remove monitor named <name>', 'mon', 'rw', 4),
  cmd('osd stat', 'print summary of OSD map', 'osd', 'r'),
  cmd('osd dump name=epoch,type=CephInt,range=0,req=false', 'print summary of OSD map', 'osd', 'r'),
  cmd('osd tree name=epoch,type=CephInt,range=0,req=false name=states,type=CephChoices,n=N,req=false,strings=up|down|in|out|destroyed', 'print OSD tree', 'osd', 'r'),
  cmd('osd ls name=epoch,type=CephInt,range=0,req=false', 'show all OSD ids', 'osd', 'r'),
  cmd('osd getmap name=epoch,type=CephInt,range=0,req=false', 'get OSD map', 'osd', 'r'),
  cmd('osd getcrushmap name=epoch,type=CephInt,range=0,req=false', 'get CRUSH map', 'osd', 'r'),
  cmd('osd getmaxosd', 'show largest OSD id', 'osd', 'r'),
  cmd('osd find name=id,type=CephOsdName', 'find osd <id> in the CRUSH map and show its location', 'osd', 'r'),
  cmd('osd map name=pool,type=CephPoolname name=object,type=CephObjectname name=nspace,type=CephString,req=false', 'find pg for <object> in <pool> with [namespace]', 'osd', 'r'),
  cmd('osd lspools', 'list pools', 'osd', 'r', 4),
  cmd('osd crush rule ls', 'list crush rules', 'osd', 'r'),
  cmd('osd crush rule dump name=name,type=CephString,goodchars=[A-Za-z0-9-_.],req=false', 'dump crush rule <name> (default all)', 'osd', 'r'),
  cmd('osd crush dump', 'dump crush map', 'osd', 'r'),
  cmd('osd setcrushmap name=prior_version,type=CephInt,req=false', 'set crush map from input file', 'osd', 'rw'),
  cmd('osd crush set name=prior_version,type=CephInt,req=false', 'set crush map from input file', 'osd', 'rw'),
  cmd('osd crush set name=id,type=CephOsdName name=weight,type=CephFloat,range=0.0 name=args,type=CephString,goodchars=[A-Za-z0-9-_.=],n=N', 'update crushmap position and weight for <name> to <weight> with location <args>', 'osd', 'rw'),
  cmd('osd crush add-bucket name=name,type=CephString,goodchars=[A-Za-z0-9-_.] name=type,type=CephString name=args,type=CephString,goodchars=[A-Za-z0-9-_.=],n=N,req=false', 'add no-parent (probably root) crush bucket <name> of type <type> to location <args>', 'osd', 'rw'),
  cmd('osd crush set-device-class name=class,type=CephString name=ids,type=CephString,n=N', 'set the <class> of the osd(s) <id> [<id>...],or use <all|any> to set all.', 'osd', 'rw'),
  cmd('osd crush rm-device-class name=ids,type=CephString,n=N', 'remove class of the osd(s) <id> [<id>...],or use <all|any> to remove all.', 'osd', 'rw'),
  cmd('osd crush add name=id,type=CephOsdName name=weight,type=CephFloat,range=0.0 name=args,type=CephString,goodchars=[A-Za-z0-9-_.=],n=N', 'add or update crushmap position and weight for <name> with <weight> and location <args>', 'osd', 'rw'),
  cmd('osd crush create-or-move name=id,type=CephOsdName name=weight,type=CephFloat,range=0.0 name=args,type=CephString,goodchars=[A-Za-z0-9-_.=],n=N', 'create entry or move existing entry for <name> <weight> at/to location <args>', 'osd', 'rw'),
  cmd('osd crush move name=name,type=CephString,goodchars=[A-Za-z0-9-_.] name=args,type=CephString,goodchars=[A-Za-z0-9-_.=],n=N', 'move existing entry for <name> to location <args>', 'osd', 'rw'),
  cmd('osd crush link name=name,type=CephString name=args,type=CephString,goodchars=[A-Za-z0-9-_.=],n=N', 'link existing entry for <name> under location <args>', 'osd', 'rw'),
  cmd('osd crush rm name=name,type=CephString,goodchars=[A-Za-z0-9-_.] name=ancestor,type=CephString,goodchars=[A-Za-z0-9-_.],req=false', 'remove <name> from crush map (everywhere, or just at <ancestor>)', 'osd', 'rw'),
  cmd('osd crush remove name=name,type=CephString,goodchars=[A-Za-z0-9-_.] name=ancestor,type=CephString,goodchars=[A-Za-z0-9-_.],req=false', 'remove <name> from crush map (everywhere, or just at <ancestor>)', 'osd', 'rw', 4),
  cmd('osd crush unlink name=name,type=CephString,goodchars=[A-Za-z0-9-_.] name=ancestor,type=CephString,goodchars=[A-Za-z0-9-_.],req=false', 'unlink <name> from crush map (everywhere, or just at <ancestor>)', 'osd', 'rw'),
  cmd("osd crush reweight name=name,type=CephString,goodchars=[A-Za-z0-9-_.] name=weight,type=CephFloat,range=0.0", "change <name>'s weight to <weight> in crush map", "osd", "rw"),
  cmd('osd crush tunables name=profile,type=CephChoices,strings=legacy|argonaut|bobtail|firefly|hammer|jewel|optimal|default', 'set crush tunables values to <profile>', 'osd', 'rw'),
  cmd('osd crush show-tunables', 'show current crush tunables', 'osd', 'r'),
  cmd('osd crush rule create-replicated name=name,type=CephString,goodchars=[A-Za-z0-9-_.] name=root,type=CephString,goodchars=[A-Za-z0-9-_.] name=type,type=CephString,goodchars=[A-Za-z0-9-_.] name=class,type=CephString,goodchars=[A-Za-z0-9-_.],req=false', 'create crush rule <name> for replicated pool to start from <root>, replicate across buckets of type <type>, use devices of type <class> (ssd or hdd)', 'osd', 'rw'),
  cmd('osd crush rule rm name=name,type=CephString,goodchars=[A-Za-z0-9-_.]', 'remove crush rule <name>', 'osd', 'rw'),
  cmd('osd crush tree name=shadow,type=CephChoices,req=false,strings=--show-shadow', 'dump crush buckets and items in a tree view', 'osd', 'r'),
  cmd('osd crush class ls', 'list all crush device classes', 'osd', 'r'),
  cmd('osd setmaxosd name=newmax,type=CephInt,range=0', 'set new maximum osd value', 'osd', 'rw'),
  cmd('osd set name=key,type=CephChoices,strings=full|pause|noup|nodown|noout|noin|nobackfill|norebalance|norecover|noscrub|nodeep-scrub|notieragent|nosnaptrim|pglog_hardlimit name=yes_i_really_mean_it,type=CephBool,req=false', 'set <key>', 'osd', 'rw'),
  cmd('osd unset name=key,type=CephChoices,strings=full|pause|noup|nodown|noout|noin|nobackfill|norebalance|norecover|noscrub|nodeep-scrub|notieragent|nosnaptrim', 'unset <key>', 'osd', 'rw'),
  cmd('osd down name=ids,type=CephString,n=N name=definitely_dead,type=CephBool,req=false', 'set osd(s) <id> [<id>...] down, or use <any|all> to set all osds down', 'osd', 'rw'),
  cmd('osd out name=ids,type=CephString,n=N', 'set osd(s) <id> [<id>...] out, or use <any|all> to set all osds out', 'osd', 'rw'),
  cmd('osd in name=ids,type=CephString,n=N', 'set osd(s) <id> [<id>...] in, can use <any|all> to automatically set all previously out osds in', 'osd', 'rw'),
  cmd('osd rm name=ids,type=CephString,n=N', 'remove osd(s) <id> [<id>...], or use <any|all> to remove all osds', 'osd', 'rw', 4),
  cmd('osd create name=uuid,type=CephUUID,req=false name=id,type=CephOsdName,req=false', 'create new osd (with optional UUID and ID)', 'osd', 'rw', 4),
  cmd('osd new name=uuid,type=CephUUID,req=true name=id,type=CephOsdName,req=false', 'Create a new OSD. If supplied, the `id` to be replaced needs to exist and have been previously destroyed. Reads secrets from JSON file via `-i <file>` (see man page).', 'osd', 'rw'),
  cmd('osd pool ls name=detail,type=CephChoices,req=false,strings=detail', 'list pools', 'osd', 'r'),
  cmd('osd pool create name=pool,type=CephPoolname name=pg_num,type=CephInt,range=0,req=false name=pgp_num,type=CephInt,range=0,req=false name=pool_type,type=CephChoices,req=false,strings=replicated|erasure name=erasure_code_profile,type=CephString,goodchars=[A-Za-z0-9-_.],req=false name=rule,type=CephString,req=false name=expected_num_objects,type=CephInt,range=0,req=false name=size,type=CephInt,range=0,req=false name=pg_num_min,type=CephInt,range=0,req=false name=pg_num_max,type=CephInt,range=0,req=false name=autoscale_mode,type=CephChoices,req=false,strings=on|off|warn name=bulk,type=CephBool,req=false name=target_size_bytes,type=CephInt,range=0,req=false name=target_size_ratio,type=CephFloat,range=0.0,req=false', 'create pool', 'osd', 'rw'),
  cmd('osd pool delete name=pool,type=CephPoolname name=pool2,type=CephPoolname,req=false name=yes_i_really_really_mean_it,type=CephBool,req=false name=yes_i_really_really_mean_it_not_faking,type=CephBool,req=false', 'delete pool', 'osd', 'rw', 4),
  cmd('osd pool rm name=pool,type=CephPoolname name=pool2,type=CephPoolname,req=false name=yes_i_really_really_mean_it,type=CephBool,req=false name=yes_i_really_really_mean_it_not_faking,type=CephBool,req=false', 'remove pool', 'osd', 'rw'),
  cmd('osd pool rename name=srcpool,type=CephPoolname name=destpool,type=CephPoolname', 'rename <srcpool> to <destpool>', 'osd', 'rw'),
  cmd('osd pool get name=pool,type=CephPoolname name=var,type=CephChoices,strings=size|min_size|pg_num|pgp_num|crush_rule|hashpspool|nodelete|nopgchange|nosizechange|write_fadvise_dontneed|noscrub|nodeep-scrub|hit_set_type|hit_set_period|hit_set_count|hit_set_fpp|use_gmt_hitset|target_max_objects|target_max_bytes|cache_target_dirty_ratio|cache_target_dirty_high_ratio|cache_target_full_ratio|cache_min_flush_age|cache_min_evict_age|erasure_code_profile|min_read_recency_for_promote|all|min_write_recency_for_promote|fast_read|hit_set_grade_decay_rate|hit_set_search_last_n|scrub_min_interval|scrub_max_interval|deep_scrub_interval|recovery_priority|recovery_op_priority|scrub_priority|compression_mode|compression_algorithm|compression_required_ratio|compression_max_blob_size|compression_min_blob_size|csum_type|csum_min_block|csum_max_block|allow_ec_overwrites|fingerprint_algorithm|pg_autoscale_mode|pg_autoscale_bias|pg_num_min|pg_num_max|target_size_bytes|target_size_ratio|dedup_tier|dedup_chunk_algorithm|dedup_cdc_chunk_size|bulk', 'get pool parameter <var>', 'osd', 'r'),
  cmd('osd pool set name=pool,type=CephPoolname name=var,type=CephChoices,strings=size|min_size|pg_num|pgp_num|pgp_num_actual|crush_rule|hashpspool|nodelete|nopgchange|nosizechange|write_fadvise_dontneed|noscrub|nodeep-scrub|hit_set_type|hit_set_period|hit_set_count|hit_set_fpp|use_gmt_hitset|target_max_bytes|target_max_objects|cache_target_dirty_ratio|cache_target_dirty_high_ratio|cache_target_full_ratio|cache_min_flush_age|cache_min_evict_age|min_read_recency_for_promote|min_write_recency_for_promote|fast_read|hit_set_grade_decay_rate|hit_set_search_last_n|scrub_min_interval|scrub_max_interval|deep_scrub_interval|recovery_priority|recovery_op_priority|scrub_priority|compression_mode|compression_algorithm|compression_required_ratio|compression_max_blob_size|compression_min_blob_size|csum_type|csum_min_block|csum_max_block|allow_ec_overwrites|fingerprint_algorithm|pg_autoscale_mode|pg_autoscale_bias|pg_num_min|pg_num_max|target_size_bytes|target_size_ratio|dedup_tier|dedup_chunk_algorithm|dedup_cdc_chunk_size|bulk name=val,type=CephString name=yes_i_really_mean_it,type=CephBool,req=false', 'set pool parameter <var> to <val>', 'osd', 'rw'),
  cmd('osd pool set-quota name=pool,type=CephPoolname name=field,type=CephChoices,strings=max_objects|max_bytes name=val,type=CephString', 'set object or byte limit on pool', 'osd', 'rw'),
  cmd('osd pool get-quota name=pool,type=CephPoolname', 'obtain object or byte limits for pool', 'osd', 'r'),
  cmd('osd erasure-code-profile ls', 'list all erasure code profiles', 'osd', 'r'),
  cmd('osd blocklist ls', 'show blocklisted clients', 'osd', 'r'),
  // The PGMap's commands: Ceph 16 serves most from the manager (src/mgr/MgrCommands.h) and its monitor
  // lists them with FLAG_MGR (8), which makes Ceph's CLI send them to a manager. tsceph has none: its
  // monitors answer them (mon/core/services/pgmap.ts), so they are listed without that flag and the
  // CLI sends them here. Otherwise the entries are a Pacific monitor's.
  cmd("pg stat", "show placement group status.", "pg", "r", 0),
  cmd("pg dump name=dumpcontents,type=CephChoices,n=N,req=false,strings=all|summary|sum|delta|pools|osds|pgs|pgs_brief", "show human-readable versions of pg map (only 'all' valid with plain)", "pg", "r", 0),
  cmd("pg ls-by-pool name=poolstr,type=CephString name=states,type=CephString,n=N,req=false", "list pg with pool = [poolname]", "pg", "r", 0),
  cmd("pg ls-by-primary name=osd,type=CephOsdName name=pool,type=CephInt,req=false name=states,type=CephString,n=N,req=false", "list pg with primary = [osd]", "pg", "r", 0),
  cmd("pg ls-by-osd name=osd,type=CephOsdName name=pool,type=CephInt,req=false name=states,type=CephString,n=N,req=false", "list pg on osd [osd]", "pg", "r", 0),
  cmd("pg ls name=pool,type=CephInt,req=false name=states,type=CephString,n=N,req=false", "list pg with specific pool, osd, state", "pg", "r", 0),
  cmd("pg map name=pgid,type=CephPgid", "show mapping of pg to osds", "pg", "r", 0),
  cmd("df name=detail,type=CephChoices,req=false,strings=detail", "show cluster free space stats", "mon", "r", 0),
  cmd("osd df name=output_method,type=CephChoices,req=false,strings=plain|tree name=filter_by,type=CephChoices,req=false,strings=class|name name=filter,type=CephString,req=false", "show OSD utilization", "osd", "r", 0),
  cmd("osd pool stats name=pool_name,type=CephPoolname,req=false", "obtain stats from all pools, or from specified pool", "osd", "r", 0),
];

// -------------------------------------------------------------------------------------------------
// Signatures

/** One word of a signature: a literal prefix word or a typed argument. */
export type SigWord = string | Readonly<Record<string, string>>;

/** The descriptions a monitor answers get_command_descriptions with (sig as JSON words). */
export interface CommandDescription {
  sig: SigWord[];
  help: string;
  module: string;
  perm: string;
  flags: number;
}

/** cmddesc_get_args: "name=pool,type=CephPoolname" words become objects with sorted keys. */
export function parseSignature(sig: string): SigWord[] {
  const out: SigWord[] = [];
  for (const word of sig.split(' ')) {
    if (word === '') continue;
    if (!word.includes('=')) {
      out.push(word);
      continue;
    }
    const kv: Record<string, string> = {};
    // A value may itself contain ',' only inside goodchars' brackets; split on commas outside [].
    let depth = 0;
    let start = 0;
    const parts: string[] = [];
    for (let i = 0; i <= word.length; i++) {
      const c = word[i];
      if (c === '[') depth++;
      else if (c === ']') depth--;
      else if ((c === ',' && depth === 0) || c === undefined) {
        parts.push(word.slice(start, i));
        start = i + 1;
      }
    }
    for (const p of parts) {
      const eq = p.indexOf('=');
      if (eq > 0) kv[p.slice(0, eq)] = p.slice(eq + 1);
    }
    const sorted: Record<string, string> = {};
    for (const k of Object.keys(kv).sort()) sorted[k] = kv[k]!;
    out.push(sorted);
  }
  return out;
}

/** get_command_descriptions: {"cmd000": {...}, ...} in table order (Ceph numbers them the same way). */
export function commandDescriptions(commands: readonly MonCommand[] = MON_COMMANDS): Record<string, CommandDescription> {
  const out: Record<string, CommandDescription> = {};
  commands.forEach((c, i) => {
    out[`cmd${String(i).padStart(3, '0')}`] = { sig: parseSignature(c.sig), help: c.help, module: c.module, perm: c.perm, flags: c.flags };
  });
  return out;
}

/**
 * The out buffer of a get_command_descriptions reply, byte for byte as a Ceph 16 monitor writes it
 * (compact JSON, keys sig/help/module/perm/flags, argument keys sorted).
 */
export function encodeCommandDescriptions(commands: readonly MonCommand[] = MON_COMMANDS): Buffer {
  return Buffer.from(JSON.stringify(commandDescriptions(commands)), 'utf8');
}

// -------------------------------------------------------------------------------------------------
// Argument types (ceph_argparse's CephArgtype classes)

type ArgErrorKind = 'Number' | 'Format' | 'Missing' | 'Valid' | 'TooFew' | 'Prefix' | 'Error';

class ArgError extends Error {
  constructor(readonly kind: ArgErrorKind, message: string) {
    super(message);
  }
}

type ArgValue = string | number | boolean;

interface ArgType {
  /** Validate one word (partial: a prefix of a valid value is enough); the value or an ArgError. */
  valid(s: string, partial: boolean): ArgValue;
  /** How the type shows in messages ("<int[0-]>", "a|b"). */
  show(): string;
}

const PY_PRINTABLE = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~ \t\n\r\x0b\x0c';

/** Python's int(s, 0): optional sign, 0x / 0o / 0b prefixes, '_' between digits, no leading zeros. */
export function pyInt(s: string): number | null {
  const t = s.trim();
  const m = /^([+-]?)(0[xX](?:_?[0-9a-fA-F])+|0[oO](?:_?[0-7])+|0[bB](?:_?[01])+|[1-9](?:_?\d)*|0(?:_?0)*)$/.exec(t);
  if (!m) return null;
  const body = m[2]!.replace(/_/g, '');
  let v: number;
  if (/^0[xX]/.test(body)) v = parseInt(body.slice(2), 16);
  else if (/^0[oO]/.test(body)) v = parseInt(body.slice(2), 8);
  else if (/^0[bB]/.test(body)) v = parseInt(body.slice(2), 2);
  else v = Number(body);
  return m[1] === '-' ? -v : v;
}

/** Python's float(s). */
export function pyFloat(s: string): number | null {
  const t = s.trim().toLowerCase();
  const m = /^([+-]?)(inf|infinity|nan|(?:\d(?:_?\d)*)?\.?(?:\d(?:_?\d)*)?(?:e[+-]?\d(?:_?\d)*)?)$/.exec(t);
  if (!m || m[2] === '' || m[2] === '.' || /^\.?e/.test(m[2]!)) return null;
  const body = m[2]!.replace(/_/g, '');
  const v = body === 'inf' || body === 'infinity' ? Infinity : body === 'nan' ? NaN : Number(body);
  if (!/^(inf|infinity|nan)$/.test(body) && !/\d/.test(body)) return null;
  return m[1] === '-' ? -v : v;
}

/** repr() of a Python float. */
export function pyFloatRepr(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : '-inf';
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return v.toFixed(1);
  return String(v).replace(/e([+-])(\d)$/, 'e$10$2');
}

/** repr() of a Python str. */
export function pyStrRepr(s: string): string {
  const q = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = q;
  for (const c of s) {
    if (c === '\\') out += '\\\\';
    else if (c === q) out += '\\' + c;
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f) out += '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0');
    else out += c;
  }
  return out + q;
}

function rangeOf(params: Readonly<Record<string, string>>, parse: (x: string) => number): number[] {
  const r = params.range;
  return r === undefined || r === '' ? [] : r.split('|').map(parse);
}

function checkRange(val: number, range: number[], show: (x: number) => string): void {
  const shown = (): string => '[' + range.map(show).join(', ') + ']';
  if (range.length === 2 && (val < range[0]! || val > range[1]!)) throw new ArgError('Valid', `${show(val)} not in range ${shown()}`);
  if (range.length === 1 && val < range[0]!) throw new ArgError('Valid', `${show(val)} not in range ${shown()}`);
}

function isIPv4(a: string): boolean {
  return /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(a) && a.split('.').every((x) => Number(x) <= 255);
}

function isIPv6(a: string): boolean {
  if (!/^[0-9a-fA-F:.]+$/.test(a)) return false;
  let s = a;
  let groupsMax = 8;
  const last = s.lastIndexOf(':');
  if (s.slice(last + 1).includes('.')) {
    if (!isIPv4(s.slice(last + 1))) return false;
    s = s.slice(0, last + 1) + '0';
    groupsMax = 7;
  }
  const halves = s.split('::');
  if (halves.length > 2) return false;
  const count = (h: string): number | null => {
    if (h === '') return 0;
    const g = h.split(':');
    return g.every((x) => /^[0-9a-fA-F]{1,4}$/.test(x)) ? g.length : null;
  };
  const a0 = count(halves[0]!);
  const a1 = halves.length === 2 ? count(halves[1]!) : 0;
  if (a0 === null || a1 === null) return false;
  const total = a0 + a1 + (groupsMax === 7 ? 1 : 0);
  return halves.length === 2 ? total <= 7 : total === 8;
}

/** CephIPAddr.valid: checks the address; returns it without its v1:/v2:/any: prefix, as ceph_argparse stores it. */
function ipAddrValid(s0: string): string {
  let s = s0;
  let type = 6;
  let p: string | null = null;
  if (s.startsWith('v1:')) {
    s = s.slice(3);
    type = 4;
  } else if (s.startsWith('v2:')) {
    s = s.slice(3);
    type = 6;
  } else if (s.startsWith('any:')) {
    s = s.slice(4);
    type = 4;
  } else if (s.startsWith('[')) type = 6;
  else if (s.includes('.')) type = 4;
  let a: string;
  if (type === 4) {
    const port = s.indexOf(':');
    if (port !== -1) {
      a = s.slice(0, port);
      p = s.slice(port + 1);
      const n = pyInt10(p);
      if (n === null) throw new ArgError('Error', `invalid literal for int() with base 10: ${pyStrRepr(p)}`);
      if (n > 65535) throw new ArgError('Valid', `${p}: invalid IPv4 port`);
    } else a = s;
    if (!isIPv4(a)) throw new ArgError('Valid', `${a}: invalid IPv4 address`);
  } else {
    if (s.startsWith('[')) {
      const end = s.indexOf(']');
      if (end === -1) throw new ArgError('Format', `${s} missing terminating ]`);
      if (s[end + 1] === ':') {
        const d = s[end + 2];
        if (d === undefined || !/\d/.test(d)) throw new ArgError('Valid', `${s}: bad port number`);
        p = d;
      }
      a = s.slice(1, end);
    } else a = s;
    if (!isIPv6(a)) throw new ArgError('Valid', `${s} not valid IPv6 address`);
  }
  if (p !== null && Number(p) > 65535) throw new ArgError('Valid', `${p} not a valid port number`);
  return s;
}

/** Python's int(s) (base 10). */
function pyInt10(s: string): number | null {
  const m = /^\s*([+-]?\d(?:_?\d)*)\s*$/.exec(s);
  return m ? Number(m[1]!.replace(/_/g, '')) : null;
}

function makeType(typeName: string, params: Readonly<Record<string, string>>): ArgType {
  switch (typeName) {
    case 'CephInt': {
      const range = rangeOf(params, (x) => Number(x));
      return {
        valid(s) {
          const v = pyInt(s);
          if (v === null) throw new ArgError('Valid', `${s} doesn't represent an int`);
          checkRange(v, range, String);
          return v;
        },
        show: () => `<int${range.length === 1 ? `[${range[0]}-]` : range.length === 2 ? `[${range[0]}-${range[1]}]` : ''}>`,
      };
    }
    case 'CephFloat': {
      const range = rangeOf(params, (x) => pyFloat(x) ?? NaN);
      return {
        valid(s) {
          const v = pyFloat(s);
          if (v === null) throw new ArgError('Valid', `${s} doesn't represent a float`);
          checkRange(v, range, pyFloatRepr);
          return v;
        },
        show: () => `<float${range.length === 1 ? `[${pyFloatRepr(range[0]!)}-]` : range.length === 2 ? `[${pyFloatRepr(range[0]!)}-${pyFloatRepr(range[1]!)}]` : ''}>`,
      };
    }
    case 'CephString': {
      const goodchars = params.goodchars ?? '';
      let goodset: Set<string> | null = null;
      if (goodchars !== '') {
        const re = new RegExp('^(?:' + goodchars + ')');
        goodset = new Set([...PY_PRINTABLE].filter((c) => re.test(c)));
        if (goodset.size === 0) goodset = null;
      }
      return {
        valid(s) {
          if (goodset) {
            const bad: string[] = [];
            for (const c of s) if (!goodset.has(c) && !bad.includes(c)) bad.push(c);
            if (bad.length) throw new ArgError('Format', `invalid chars ${bad.join('')} in ${s}`);
          }
          return s;
        },
        show: () => `<string${goodchars ? `(goodchars ${goodchars})` : ''}>`,
      };
    }
    case 'CephIPAddr':
      return { valid: (s) => ipAddrValid(s), show: () => '<IPaddr[:port]>' };
    case 'CephEntityAddr':
      return {
        valid(s) {
          let ip = s;
          let nonce: string | null = null;
          if (s.includes('/')) {
            const parts = s.split('/');
            if (parts.length !== 2) throw new ArgError('Error', `too many values to unpack (expected 2)`);
            ip = parts[0]!;
            nonce = parts[1]!;
            if (nonce.endsWith(']')) {
              nonce = nonce.slice(0, -1);
              ip += ']';
            }
          }
          ipAddrValid(ip);
          if (nonce) {
            const n = pyInt10(nonce);
            if (n === null || n < 0) throw new ArgError('Valid', `${s}: invalid entity, nonce ${nonce} not integer > 0`);
          }
          return s;
        },
        show: () => '<EntityAddr>',
      };
    case 'CephPoolname':
      return { valid: (s) => s, show: () => '<poolname>' };
    case 'CephObjectname':
      return { valid: (s) => s, show: () => '<objectname>' };
    case 'CephPgid':
      return {
        valid(s) {
          const dot = s.indexOf('.');
          if (dot === -1) throw new ArgError('Format', 'pgid has no .');
          const pool = pyInt10(s.slice(0, dot));
          if (pool === null) throw new ArgError('Format', `pool ${s.slice(0, dot)} not integer`);
          if (pool < 0) throw new ArgError('Format', `pool ${pool} < 0`);
          if (!/^\s*[+-]?(0[xX])?[0-9a-fA-F](_?[0-9a-fA-F])*\s*$/.test(s.slice(dot + 1))) throw new ArgError('Format', `pgnum ${s.slice(dot + 1)} not hex integer`);
          return s;
        },
        show: () => '<pgid>',
      };
    case 'CephName':
      return {
        valid(s) {
          if (s === '*' || s === 'mgr' || s === 'mon') return s;
          const dot = s.indexOf('.');
          if (dot === -1) throw new ArgError('Format', `CephName: no . in ${s}`);
          const t = s.slice(0, dot);
          const i = s.slice(dot + 1);
          if (!['osd', 'mon', 'client', 'mds', 'mgr'].includes(t)) throw new ArgError('Valid', 'unknown type ' + t);
          if (t === 'osd' && i !== '*' && pyInt10(i) === null) throw new ArgError('Format', 'osd id ' + i + ' not integer');
          return s;
        },
        show: () => '<name (type.id)>',
      };
    case 'CephOsdName':
      return {
        valid(s) {
          if (s === '*') return s;
          let i = s;
          const dot = s.indexOf('.');
          if (dot !== -1) {
            const t = s.slice(0, dot);
            i = s.slice(dot + 1);
            if (t !== 'osd') throw new ArgError('Valid', 'unknown type ' + t);
          }
          const n = pyInt10(i);
          if (n === null) throw new ArgError('Format', 'osd id ' + i + ' not integer');
          if (n < 0) throw new ArgError('Format', `osd id ${n} is less than 0`);
          return n;
        },
        show: () => '<osdname (id|osd.id)>',
      };
    case 'CephChoices': {
      const strings = (params.strings ?? '').split('|');
      const show = (): string => (strings.length === 1 ? strings[0]! : strings.join('|'));
      return {
        valid(s, partial) {
          if (!partial) {
            if (!strings.includes(s)) throw new ArgError('Valid', `${s} not in ${show()}`);
            return s;
          }
          if (strings.some((t) => t.startsWith(s))) return s;
          throw new ArgError('Valid', `${s} not in ${show()}`);
        },
        show,
      };
    }
    case 'CephBool':
      return {
        valid(s) {
          const l = s.toLowerCase();
          if (l === 'true' || l === '1') return true;
          if (l === 'false' || l === '0') return false;
          throw new ArgError('Valid', `${s} not one of 'true', 'false'`);
        },
        show: () => '<bool>',
      };
    case 'CephUUID':
      return {
        valid(s) {
          const hex = s.replace('urn:', '').replace('uuid:', '').replace(/^[{}]+|[{}]+$/g, '').replace(/-/g, '');
          if (hex.length !== 32) throw new ArgError('Format', `invalid UUID ${s}: badly formed hexadecimal UUID string`);
          if (!/^[+-]?[0-9a-fA-F_]+$/.test(hex) || /^_|_$|__/.test(hex)) throw new ArgError('Format', `invalid UUID ${s}: invalid literal for int() with base 16: ${pyStrRepr(hex)}`);
          return s;
        },
        show: () => '<uuid>',
      };
    default:
      throw new CephError('EINVAL', `unknown type ${typeName}`);
  }
}

/** ceph_argparse's argdesc: one signature word, with its type and count. */
export interface ArgDesc {
  name: string;
  typeName: string; // 'CephPrefix' for literal words
  prefix: string; // the literal word of a prefix
  req: boolean;
  /** n=N: one or more (comma lists and repeats). */
  N: boolean;
  n: number;
  type: ArgType;
  params: Readonly<Record<string, string>>;
}

function prefixType(prefix: string): ArgType {
  return {
    valid(s, partial) {
      if (partial ? prefix.startsWith(s) : s === prefix) return s;
      throw new ArgError('Prefix', `no match for ${s}`);
    },
    show: () => prefix,
  };
}

/** parse_funcsig: signature words to argument descriptors. */
export function argDescs(sig: readonly SigWord[]): ArgDesc[] {
  return sig.map((w) => {
    if (typeof w === 'string') return { name: 'prefix', typeName: 'CephPrefix', prefix: w, req: true, N: false, n: 1, type: prefixType(w), params: {} };
    const t = w.type;
    if (t === undefined) throw new CephError('EINVAL', `JSON descriptor has no type`);
    const nRaw = w.n ?? '1';
    const N = nRaw === 'n' || nRaw === 'N';
    return {
      name: w.name ?? '',
      typeName: t,
      prefix: '',
      req: w.req === undefined || w.req === 'True' || w.req === 'true',
      N,
      n: N ? 1 : Number(nRaw),
      type: makeType(t, w),
      params: w,
    };
  });
}

/** argdesc.__str__: "pool(<poolname>)", "[detail]", "ids(<string>)...". */
function descStr(d: ArgDesc): string {
  const choices1 = d.typeName === 'CephChoices' && (d.params.strings ?? '').split('|').length === 1;
  let s = choices1 || d.typeName === 'CephPrefix' ? d.type.show() : `${d.name}(${d.type.show()})${d.N ? '...' : ''}`;
  if (!d.req) s = '[' + s + ']';
  return s;
}

/** argdesc.helpstr: the usage form ("<pool>", "[<pg_num:int>]", "--yes-i-really-mean-it"). */
function helpStr(d: ArgDesc): string {
  let chunk: string;
  switch (d.typeName) {
    case 'CephBool': chunk = `--${d.name.replace(/_/g, '-')}`; break;
    case 'CephPrefix': chunk = d.type.show(); break;
    case 'CephChoices': chunk = d.name === 'format' ? `--${d.name} {${d.type.show()}}` : d.type.show(); break;
    case 'CephOsdName': chunk = '<id|osd.id>'; break;
    case 'CephName': chunk = '<type.id>'; break;
    case 'CephInt': chunk = `<${d.name}:int>`; break;
    case 'CephFloat': chunk = `<${d.name}:float>`; break;
    default: chunk = `<${d.name}>`;
  }
  if (d.N) chunk += '...';
  if (!d.req) chunk = '[' + chunk + ']';
  return chunk;
}

/** concise_sig: the usage line of a command. */
export function conciseSig(sig: readonly ArgDesc[]): string {
  return sig.map(helpStr).join(' ');
}

// -------------------------------------------------------------------------------------------------
// Matching (ceph_argparse's validate_one / matchnum / validate / validate_command)

interface DescState {
  numseen: number;
  n: number;
}

function validateOne(word: string, d: ArgDesc, st: DescState, isKwarg: boolean, partial: boolean): ArgValue[] {
  const vals: ArgValue[] = [];
  const allowCsv = isKwarg || d.typeName !== 'CephString';
  if (d.N && allowCsv) {
    for (const part of word.split(',')) vals.push(d.type.valid(part, partial));
  } else {
    vals.push(d.type.valid(word, partial));
  }
  st.numseen += 1;
  if (d.N) st.n = st.numseen + 1;
  return vals;
}

function freshStates(sig: readonly ArgDesc[]): DescState[] {
  return sig.map((d) => ({ numseen: 0, n: d.n }));
}

function matchnum(args: readonly string[], sig: readonly ArgDesc[], partial: boolean): number {
  const words = [...args];
  const states = freshStates(sig);
  let matchcnt = 0;
  for (let k = 0; k < sig.length; k++) {
    const d = sig[k]!;
    const st = states[k]!;
    st.numseen = 0;
    while (st.numseen < st.n) {
      if (words.length === 0) return matchcnt;
      const word = words.shift()!;
      let valid: boolean;
      try {
        validateOne(word, d, st, false, partial && words.length === 0);
        valid = true;
      } catch (e) {
        if (!(e instanceof ArgError)) throw e;
        valid = false;
      }
      if (!valid) {
        if (!d.req) {
          words.unshift(word);
          break;
        }
        return matchcnt;
      }
    }
    if (d.req) matchcnt += 1;
  }
  return matchcnt;
}

type Validated = Map<string, ArgValue | ArgValue[]>;

function storeArg(d: ArgDesc, vals: ArgValue[], out: Validated): void {
  const old = out.get(d.name);
  if (d.N) {
    out.set(d.name, old !== undefined ? [...(old as ArgValue[]), ...vals] : vals);
  } else if (d.typeName === 'CephPrefix' && old !== undefined) {
    out.set(d.name, `${old as string} ${vals[vals.length - 1] as string}`);
  } else {
    out.set(d.name, vals[vals.length - 1]!);
  }
}

const CONFIRM_FLAGS = ['--yes-i-really-mean-it', '--yes-i-really-really-mean-it', '--yes-i-really-really-mean-it-not-faking', '--force'];

/** validate(): words against one signature; ArgError when they do not fit. `notes` collects stderr lines. */
function validate(args: readonly string[], sig: readonly ArgDesc[], flags: number, notes: string[]): Validated {
  const myargs = [...args];
  const states = freshStates(sig);
  const reqsiglen = sig.filter((d) => d.req).length;
  let matchcnt = 0;
  const out: Validated = new Map();
  let saved: [string, ArgError] | null = null;
  const byName = new Map<string, number>();
  sig.forEach((d, i) => {
    if (d.typeName !== 'CephPrefix') byName.set(d.name, i);
  });
  const injectargs = myargs.length > 0 && myargs[0] === 'injectargs';

  for (let k = 0; k < sig.length; k++) {
    const d = sig[k]!;
    const st = states[k]!;
    st.numseen = 0;
    while (st.numseen < st.n) {
      const myarg = myargs.length ? myargs.shift()! : undefined;
      if (myarg === undefined) {
        if (!d.req) break;
        if (out.has(d.name)) break;
      }
      if (myarg) {
        let kwIndex: number | undefined;
        let kwValue = '';
        const eq = /^--([^=]+)=([^\n]+)/.exec(myarg);
        if (eq) {
          kwIndex = byName.get(eq[1]!.replace(/-/g, '_'));
          kwValue = eq[2]!;
        } else {
          const sp = /^--([^=]+)/.exec(myarg);
          if (sp) {
            kwIndex = byName.get(sp[1]!.replace(/-/g, '_'));
            if (kwIndex !== undefined) {
              if (sig[kwIndex]!.typeName === 'CephBool') kwValue = 'true';
              else if (myargs.length) kwValue = myargs.shift()!;
              else kwIndex = undefined;
            }
          }
        }
        if (kwIndex !== undefined) {
          const kd = sig[kwIndex]!;
          const vals = validateOne(kwValue, kd, states[kwIndex]!, true, false);
          matchcnt += 1;
          storeArg(kd, vals, out);
          continue;
        }
      }
      if (myarg !== undefined && myarg.startsWith('--')) {
        const isValue = d.typeName === 'CephChoices' || CONFIRM_FLAGS.includes(myarg) || injectargs;
        if (!isValue) throw new ArgError('Valid', `Unexpected argument '${myarg}'`);
      }
      if (myarg === undefined && d.req) {
        if (d.N && st.numseen < 1) throw new ArgError('Number', `saw ${st.numseen} of ${descStr(d)}, expected at least 1`);
        if (!d.N && st.numseen < st.n) {
          if (st.numseen === 0 && st.n === 1) throw new ArgError('Missing', `missing required parameter ${descStr(d)}`);
          throw new ArgError('Number', `saw ${st.numseen} of ${descStr(d)}, expected ${st.n}`);
        }
        break;
      }
      let vals: ArgValue[];
      try {
        vals = validateOne(myarg!, d, st, false, false);
      } catch (e) {
        if (!(e instanceof ArgError)) throw e;
        if (!d.req) {
          saved = [myarg!, e];
          myargs.unshift(myarg!);
          break;
        }
        throw e;
      }
      matchcnt += 1;
      storeArg(d, vals, out);
      saved = null;
    }
  }
  if (matchcnt < reqsiglen) throw new ArgError('TooFew', 'not enough arguments given');
  if (myargs.length) {
    if (saved) notes.push(`${saved[0]} not valid:  ${saved[1].message}`);
    throw new ArgError('Error', 'unused arguments: [' + myargs.map(pyStrRepr).join(', ') + ']');
  }
  if (flags & CommandFlag.MGR) out.set('target', 'mon-mgr');
  if (flags & CommandFlag.POLL) out.set('poll', true);
  return out;
}

export type MatchResult =
  | { ok: true; cmdmap: CmdMap; description: CommandDescription }
  | { ok: false; /** What Ceph's CLI prints to stderr before "Error EINVAL: invalid command". */ message: string };

/**
 * validate_command: match CLI words against command descriptions (ours by default, or what a monitor
 * answered get_command_descriptions with). On failure `message` holds Ceph's stderr lines.
 */
export function matchCommand(words: readonly string[], descriptions: Readonly<Record<string, CommandDescription>> = defaultDescriptions()): MatchResult {
  let best = 0;
  let bestcmds: Array<{ c: CommandDescription; sig: ArgDesc[] }> = [];
  for (const c of Object.values(descriptions)) {
    if (c.flags & CommandFlag.OBSOLETE) continue;
    const sig = argDescs(c.sig);
    let matched = matchnum(words, sig, true);
    if (matched >= Math.floor(best) && matched === matchnum(words, sig, false)) matched += 0.5;
    if (matched < best) continue;
    if (matched > best) {
      best = matched;
      bestcmds = [{ c, sig }];
    } else {
      bestcmds.push({ c, sig });
    }
  }
  const grade = (x: { sig: ArgDesc[] }): number => x.sig.filter((d) => d.req).length;
  const sorted = bestcmds.map((x, i) => ({ x, i })).sort((a, b) => grade(a.x) - grade(b.x) || a.i - b.i).map((y) => y.x);
  const notes: string[] = [];
  let ex: ArgError | null = null;
  let found: { c: CommandDescription; sig: ArgDesc[] } | null = null;
  let last: { c: CommandDescription; sig: ArgDesc[] } | null = null;
  let valid: Validated | null = null;
  for (const cand of sorted) {
    last = cand;
    try {
      valid = validate(words, cand.sig, cand.c.flags, notes);
      found = cand;
      break;
    } catch (e) {
      if (!(e instanceof ArgError)) throw e;
      if (e.kind === 'Prefix' || e.kind === 'TooFew') continue;
      ex = e;
      if (e.kind === 'Missing') {
        if (bestcmds.length === 1) found = cand;
        break;
      }
      found = cand;
      break;
    }
  }
  if (found && valid) {
    const cmdmap: CmdMap = {};
    for (const [k, v] of valid) cmdmap[k] = v as CmdValue;
    return { ok: true, cmdmap, description: found.c };
  }
  const lines = [...notes];
  if (found) {
    lines.push(`Invalid command: ${ex ? ex.message : ''}`);
    lines.push(`${conciseSig(last!.sig)} :  ${last!.c.help}`);
  } else {
    const shown = bestcmds.filter((x) => !(x.c.flags & (CommandFlag.DEPRECATED | CommandFlag.HIDDEN))).slice(0, 10);
    lines.push(`no valid command found; ${shown.length} closest matches:`);
    for (const x of shown) lines.push(conciseSig(x.sig));
  }
  return { ok: false, message: lines.join('\n') + '\n' };
}

let cachedDescriptions: Record<string, CommandDescription> | null = null;
function defaultDescriptions(): Record<string, CommandDescription> {
  return (cachedDescriptions ??= commandDescriptions());
}

/** CLI words to a CmdMap (Ceph's validate_command); CephError EINVAL carrying Ceph's message otherwise. */
export function parseCommandArgv(words: readonly string[], descriptions?: Readonly<Record<string, CommandDescription>>): CmdMap {
  const r = matchCommand(words, descriptions);
  if (!r.ok) throw new CephError('EINVAL', r.message.trimEnd());
  return r.cmdmap;
}

// -------------------------------------------------------------------------------------------------
// The monitor's side: validate a received cmdmap against the table (cmdparse.cc validate_cmd)

/** Keys any command may carry besides its own arguments (the CLI adds format; ceph_argparse target / poll). */
const GENERIC_KEYS = new Set(['prefix', 'format', 'target', 'poll', 'width', 'print_header']);

/** The prefix of a cmdmap and the description it names, or undefined. */
export function findCommand(cmdmap: CmdMap, descriptions: Readonly<Record<string, CommandDescription>> = defaultDescriptions()): CommandDescription | undefined {
  const prefix = cmdmap.prefix;
  if (typeof prefix !== 'string') return undefined;
  let hit: CommandDescription | undefined;
  for (const c of Object.values(descriptions)) {
    const words = c.sig.filter((w): w is string => typeof w === 'string').join(' ');
    if (words === prefix) {
      // Several signatures may share a prefix ("osd crush set"): prefer the one that names every given
      // argument and whose required arguments are all given.
      const args = c.sig.filter((w): w is Readonly<Record<string, string>> => typeof w !== 'string');
      const names = new Set(args.map((w) => w.name));
      const reqOk = args.every((w) => !(w.req === undefined || w.req === 'true') || (w.name !== undefined && w.name in cmdmap));
      const keysOk = Object.keys(cmdmap).every((k) => GENERIC_KEYS.has(k) || names.has(k));
      if (reqOk && keysOk) return c;
      hit ??= c;
    }
  }
  return hit;
}

function typeOk(d: ArgDesc, v: CmdValue): string | null {
  const one = (x: string | number | boolean): string | null => {
    if (d.typeName === 'CephInt' && typeof x === 'number' && !Number.isInteger(x)) return 'not an int';
    if (d.typeName === 'CephBool' && typeof x === 'boolean') return null;
    if (d.typeName === 'CephOsdName' && typeof x === 'number') return x >= 0 && Number.isInteger(x) ? null : 'not an osd id';
    try {
      d.type.valid(String(x), false);
      return null;
    } catch (e) {
      if (e instanceof ArgError) return e.message;
      throw e;
    }
  };
  if (Array.isArray(v) !== d.N) return d.N ? 'expected a list' : 'expected a single value, got a list';
  if (Array.isArray(v)) {
    for (const x of v) {
      const r = one(x);
      if (r) return r;
    }
    return null;
  }
  return one(v);
}

/** What a Ceph monitor reads each argument type as (cmd_getval): the JSON type it must have. */
function jsonTypeOk(d: ArgDesc, v: CmdValue): boolean {
  const one = (x: unknown): boolean => {
    switch (d.typeName) {
      case 'CephInt':
      case 'CephOsdName':
        return typeof x === 'number' && Number.isInteger(x);
      case 'CephFloat':
        // Ceph refuses an integer here ("1" for 1.0); JSON.parse cannot tell them apart, so we accept it.
        return typeof x === 'number';
      case 'CephBool':
        return typeof x === 'boolean';
      default:
        return typeof x === 'string';
    }
  };
  if (d.N) return Array.isArray(v) && (v as unknown[]).every(one);
  return !Array.isArray(v) && one(v);
}

export interface ValidateOptions {
  /**
   * Also check what ceph_argparse checks on the client side: required arguments present, ranges,
   * choices, goodchars, uuids, addresses. A Ceph monitor does not (its services word those refusals).
   */
  strict?: boolean;
}

/**
 * The monitor's check of a received command, as a Ceph 16 monitor makes it: a prefix ("command prefix
 * not found"), a known command ("command not known"), and each given argument of the JSON type its
 * signature reads it as ("bad or missing field 'pg_num'"). With `strict`, the client-side checks too.
 * CephError EINVAL with Ceph's words otherwise; returns the matching description.
 */
export function validateCmdMap(cmdmap: CmdMap, descriptions?: Readonly<Record<string, CommandDescription>>, opts: ValidateOptions = {}): CommandDescription {
  if (typeof cmdmap.prefix !== 'string') throw new CephError('EINVAL', 'command prefix not found');
  const c = findCommand(cmdmap, descriptions);
  if (!c) throw new CephError('EINVAL', 'command not known');
  for (const d of argDescs(c.sig)) {
    if (d.typeName === 'CephPrefix') continue;
    const v = cmdmap[d.name];
    if (v === undefined) {
      if (opts.strict && d.req) throw new CephError('EINVAL', `bad or missing field '${d.name}'`);
      continue;
    }
    if (!jsonTypeOk(d, v)) throw new CephError('EINVAL', `bad or missing field '${d.name}'`);
    if (opts.strict) {
      const why = typeOk(d, v);
      if (why) throw new CephError('EINVAL', `invalid value for field '${d.name}': ${why}`);
    }
  }
  return c;
}

// -------------------------------------------------------------------------------------------------
// The JSON text of a command, as Ceph's CLI writes it (python json.dumps)

function pyJsonString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20 || c > 0x7e) {
      if (c > 0xffff) {
        const v = c - 0x10000;
        out += `\\u${(0xd800 + (v >> 10)).toString(16).padStart(4, '0')}\\u${(0xdc00 + (v & 0x3ff)).toString(16).padStart(4, '0')}`;
      } else out += `\\u${c.toString(16).padStart(4, '0')}`;
    } else out += ch;
  }
  return out + '"';
}

/**
 * json.dumps(cmdmap) as ceph.in sends it: ", " and ": " separators, ASCII escapes, and CephFloat
 * arguments written as floats ("1.0"; a Ceph monitor refuses a float argument written as "1").
 */
export function cmdmapToJson(cmdmap: CmdMap, descriptions?: Readonly<Record<string, CommandDescription>>): string {
  const c = typeof cmdmap.prefix === 'string' ? findCommand(cmdmap, descriptions) : undefined;
  const floats = new Set<string>();
  if (c) for (const d of argDescs(c.sig)) if (d.typeName === 'CephFloat') floats.add(d.name);
  const value = (k: string, x: string | number | boolean): string => {
    if (typeof x === 'string') return pyJsonString(x);
    if (typeof x === 'boolean') return x ? 'true' : 'false';
    if (floats.has(k)) return Number.isFinite(x) ? pyFloatRepr(x) : Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
    return String(x);
  };
  const parts: string[] = [];
  for (const [k, v] of Object.entries(cmdmap)) {
    const text = Array.isArray(v) ? '[' + (v as Array<string | number>).map((x) => value(k, x)).join(', ') + ']' : value(k, v);
    parts.push(`${pyJsonString(k)}: ${text}`);
  }
  return '{' + parts.join(', ') + '}';
}
