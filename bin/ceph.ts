#!/usr/bin/env node
// ceph: the admin CLI, as Ceph 16's `ceph` (src/ceph.in) behaves for monitor commands. Its own flags
// are parsed as ceph.in's argparse parser parses them (CEPH_ARGS words appended after the command line,
// long options abbreviable, `--opt=value`, `-fjson`); the rest goes through the Ceph configuration
// (-m, --mon-host, --<option> value) and what is left is the command. The command's words are matched
// against the monitor's own command descriptions (get_command_descriptions; tsceph's table when the
// monitor has none) by mon/commands.ts, sent with MonClient, and the reply printed as ceph.in prints it:
// the output buffer on stdout (after an empty line for json formats) or into -o FILE, the status text
// on stderr, and a failure as "Error ENOENT: ..." with the errno as exit status.
//
// Differences from Ceph: no admin-socket, watch, tell or mgr commands yet; a monitor that cannot be
// reached within --connect-timeout ends with "Error ETIMEDOUT: ..." and status 110 (Ceph prints
// "timed out" and exits 1), and --connect-timeout also bounds each command (Ceph leaves that to
// rados_mon_op_timeout), so a cluster without quorum fails clearly instead of hanging.

import { closeSync, openSync, readFileSync } from 'node:fs';
import { randomInt } from 'node:crypto';

import { loadConfig, type LoadedConfig } from '../common/config.js';
import { CephError, Errno, strerror } from '../common/errors.js';
import { MonClient, errnoText } from '../mon/client/index.js';
import { argDescs, cmdmapToJson, commandDescriptions, conciseSig, matchCommand, CommandFlag, type CommandDescription } from '../mon/commands.js';
import { fsErrno, isMainModule, writeAllSync } from './shell.js';

export const CEPH_VERSION_TEXT = 'ceph version 16.2.15-tsceph (tsceph 0.1.0) pacific (stable)';
/** ceph.in's default timeout for -h when none is given (seconds). */
export const HELP_CONNECT_TIMEOUT_S = 5;
const FORMATS = ['json', 'json-pretty', 'xml', 'xml-pretty', 'plain', 'yaml'] as const;

export interface CephIo {
  stdout(b: Buffer): void;
  stderr(s: string): void;
  env: Readonly<Record<string, string | undefined>>;
  readFile(path: string): Buffer;
  /** Open an output file for writing (created or truncated); returns its writer and closer. */
  openOut(path: string): { write(b: Buffer): void; close(): void };
  readStdin(): Buffer;
  columns: number;
}

function processIo(): CephIo {
  return {
    stdout: (b) => writeAllSync(1, b),
    stderr: (s) => writeAllSync(2, Buffer.from(s, 'utf8')),
    env: process.env,
    readFile: (p) => readFileSync(p),
    openOut: (p) => {
      const fd = openSync(p, 'w', 0o644);
      return { write: (b) => writeAllSync(fd, b), close: () => closeSync(fd) };
    },
    readStdin: () => readFileSync(0),
    columns: process.stdout.isTTY ? process.stdout.columns : 80,
  };
}

/** ceph.in's own options (argparse), the ones tsceph implements. */
interface ParsedArgs {
  help: boolean;
  cephconf?: string;
  inputFile?: string;
  outputFile?: string;
  clientId?: string;
  clientName?: string;
  cluster?: string;
  status: boolean;
  version: boolean;
  verbose: boolean;
  format?: string;
  connectTimeout?: number;
}

interface OptSpec {
  names: string[];
  dest: keyof ParsedArgs;
  value: boolean;
  choices?: readonly string[];
  int?: boolean;
  store?: boolean; // store_true / store_false value
  metavar?: string;
  help: string;
}

const OPTS: OptSpec[] = [
  { names: ['-h', '--help'], dest: 'help', value: false, store: true, help: 'request mon help' },
  { names: ['-c', '--conf'], dest: 'cephconf', value: true, metavar: 'CEPHCONF', help: 'ceph configuration file' },
  { names: ['-i', '--in-file'], dest: 'inputFile', value: true, metavar: 'INPUT_FILE', help: 'input file, or "-" for stdin' },
  { names: ['-o', '--out-file'], dest: 'outputFile', value: true, metavar: 'OUTPUT_FILE', help: 'output file, or "-" for stdout' },
  { names: ['--id', '--user'], dest: 'clientId', value: true, metavar: 'CLIENT_ID', help: 'client id for authentication' },
  { names: ['--name', '-n'], dest: 'clientName', value: true, metavar: 'CLIENT_NAME', help: 'client name for authentication' },
  { names: ['--cluster'], dest: 'cluster', value: true, metavar: 'CLUSTER', help: 'cluster name' },
  { names: ['-s', '--status'], dest: 'status', value: false, store: true, help: 'show cluster status' },
  { names: ['--version', '-v'], dest: 'version', value: false, store: true, help: 'display version' },
  { names: ['--verbose'], dest: 'verbose', value: false, store: true, help: 'make verbose' },
  { names: ['--concise'], dest: 'verbose', value: false, store: false, help: 'make less verbose' },
  { names: ['-f', '--format'], dest: 'format', value: true, choices: FORMATS, help: '' },
  { names: ['--connect-timeout'], dest: 'connectTimeout', value: true, int: true, metavar: 'CLUSTER_TIMEOUT', help: 'set a timeout for connecting to the cluster' },
];

class UsageError extends Error {}

/** argparse's parse_known_args over OPTS: known options parsed, everything else kept in order. */
export function parseCephArgs(args: readonly string[]): { parsed: ParsedArgs; extras: string[] } {
  const parsed: ParsedArgs = { help: false, status: false, version: false, verbose: false };
  const extras: string[] = [];
  const longs = OPTS.flatMap((o) => o.names.filter((n) => n.startsWith('--')).map((n) => [n, o] as const));
  const set = (o: OptSpec, raw: string | undefined, shown: string): void => {
    const rec = parsed as unknown as Record<string, unknown>;
    if (!o.value) {
      rec[o.dest] = o.store ?? true;
      return;
    }
    if (raw === undefined) throw new UsageError(`argument ${o.names.join('/')}: expected one argument`);
    if (o.choices && !o.choices.includes(raw)) {
      throw new UsageError(`argument ${o.names.join('/')}: invalid choice: '${raw}' (choose from ${o.choices.map((c) => `'${c}'`).join(', ')})`);
    }
    if (o.int) {
      if (!/^\s*[+-]?\d+\s*$/.test(raw)) throw new UsageError(`argument ${shown}: invalid int value: '${raw}'`);
      rec[o.dest] = Number(raw);
      return;
    }
    rec[o.dest] = raw;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--') {
      extras.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const key = eq < 0 ? a : a.slice(0, eq);
      let hits = longs.filter(([n]) => n === key);
      if (hits.length === 0) hits = longs.filter(([n]) => n.startsWith(key));
      const opts = [...new Set(hits.map(([, o]) => o))];
      if (opts.length > 1) throw new UsageError(`ambiguous option: ${key} could match ${hits.map(([n]) => n).join(', ')}`);
      const o = opts[0];
      if (!o) {
        extras.push(a);
        continue;
      }
      if (!o.value) {
        if (eq >= 0) throw new UsageError(`argument ${o.names.join('/')}: ignored explicit argument '${a.slice(eq + 1)}'`);
        set(o, undefined, key);
      } else if (eq >= 0) set(o, a.slice(eq + 1), key);
      else set(o, nextValue(args, ++i), key);
      continue;
    }
    if (a.startsWith('-') && a.length > 1 && !/^-\d+(\.\d*)?$/.test(a)) {
      const o = OPTS.find((x) => x.names.includes(a.slice(0, 2)));
      if (!o) {
        extras.push(a);
        continue;
      }
      if (!o.value) {
        set(o, undefined, a.slice(0, 2));
        // combined short flags ("-sh") are rare for ceph; treat the rest as more flags
        for (const c of a.slice(2)) {
          const more = OPTS.find((x) => x.names.includes('-' + c) && !x.value);
          if (!more) throw new UsageError(`argument ${o.names.join('/')}: ignored explicit argument '${a.slice(2)}'`);
          set(more, undefined, '-' + c);
        }
      } else if (a.length > 2) set(o, a.slice(2).replace(/^=/, ''), a.slice(0, 2));
      else set(o, nextValue(args, ++i), a);
      continue;
    }
    extras.push(a);
  }
  return { parsed, extras };
}

function nextValue(args: readonly string[], i: number): string | undefined {
  const v = args[i];
  if (v === undefined || (v.startsWith('-') && v.length > 1 && !/^-\d+(\.\d*)?$/.test(v))) return undefined;
  return v;
}

function usageText(): string {
  return [
    'usage: ceph [-h] [-c CEPHCONF] [-i INPUT_FILE] [-o OUTPUT_FILE]',
    '            [--id CLIENT_ID] [--name CLIENT_NAME] [--cluster CLUSTER]',
    '            [-s] [--version] [--verbose] [--concise]',
    '            [-f {json,json-pretty,xml,xml-pretty,plain,yaml}]',
    '            [--connect-timeout CLUSTER_TIMEOUT]',
    '',
  ].join('\n');
}

function generalHelp(): string {
  const lines = ['', ' General usage: ', ' ==============', usageText().trimEnd(), '', 'Ceph administration tool', '', 'options:'];
  for (const o of OPTS) {
    let left = o.names.map((n) => (o.value ? `${n} ${o.metavar ?? (o.choices ? `{${o.choices.join(',')}}` : 'VALUE')}` : n)).join(', ');
    left = '  ' + left;
    if (!o.help) lines.push(left);
    else if (left.length <= 22) lines.push(left.padEnd(24) + o.help);
    else lines.push(left, ' '.repeat(24) + o.help);
  }
  lines.push('', ' Local commands: ', ' ===============', '', 'ping <mon.id>           Send simple presence/life test to a mon', '');
  return lines.join('\n') + '\n';
}

const DONTSPLIT = new Set('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ{[<>]}');

/** ceph.in's wrap(): lines of at most `width`, later ones indented, split away from words and brackets. */
function wrap(text: string, width0: number, indent: number): string[] {
  const out: string[] = [];
  let s = text;
  let width = width0;
  let leader = '';
  let result = '';
  while (s.length) {
    if (s.length <= width) {
      out.push(leader + s);
      break;
    }
    let split = width;
    while (split > 0 && DONTSPLIT.has(s[split - 1]!)) split--;
    if (split === 0) split = width;
    if (result) result = leader;
    else {
      leader = ' '.repeat(indent);
      width -= 1;
    }
    result += s.slice(0, split).trimStart();
    s = s.slice(split);
    out.push(result);
  }
  return out;
}

/** format_help: every command's usage and help in two columns, sorted by usage. */
export function formatCommandHelp(descs: Readonly<Record<string, CommandDescription>>, columns: number, partial?: string): string {
  const rows = Object.values(descs)
    .filter((c) => c.help && !(c.flags & (CommandFlag.OBSOLETE | CommandFlag.DEPRECATED | CommandFlag.HIDDEN)))
    .map((c) => ({ c, concise: conciseSig(argDescs(c.sig)) }))
    .filter((x) => !partial || x.concise.startsWith(partial))
    .sort((a, b) => (a.concise < b.concise ? -1 : a.concise > b.concise ? 1 : 0));
  const width = columns - 1;
  const sigWidth = Math.floor(width / 2);
  const helpWidth = Math.floor(width / 2) + (width % 2);
  let out = '';
  for (const { c, concise } of rows) {
    const sl = wrap(concise, sigWidth, 1);
    const hl = wrap(c.help, helpWidth, 1);
    const n = Math.max(sl.length, hl.length);
    for (let i = 0; i < n; i++) out += `${(sl[i] ?? '').padEnd(sigWidth)} ${hl[i] ?? ''}\n`;
  }
  return out;
}

/** How Python prints an OSError from open(): "[Errno 2] No such file or directory: 'x'". */
function pyOsError(e: unknown, path: string): string {
  const n = fsErrno(e);
  return `[Errno ${n}] ${strerror(n)}: '${path}'`;
}

function errnoOf(e: unknown): number {
  if (e instanceof CephError) return Errno[e.code as keyof typeof Errno] ?? Errno.EIO;
  return Errno.EIO;
}

/** The whole CLI; returns the exit status. */
export async function main(argv: string[], ioIn: Partial<CephIo> = {}): Promise<number> {
  const io: CephIo = { ...processIo(), ...ioIn };
  const cephArgs = io.env.CEPH_ARGS;
  const all = cephArgs ? [...argv, ...cephArgs.split(/\s+/).filter((w) => w !== '' && !w.includes('--admin-socket'))] : [...argv];
  let parsed: ParsedArgs;
  let extras: string[];
  try {
    ({ parsed, extras } = parseCephArgs(all));
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    io.stderr(usageText() + `ceph: error: ${e.message}\n`);
    return 2;
  }
  if (parsed.version) {
    io.stdout(Buffer.from(CEPH_VERSION_TEXT + '\n'));
    return 0;
  }
  if (parsed.help) io.stdout(Buffer.from(generalHelp()));

  // Ceph's configuration: conf file, name, cluster, then the generic options left in extras.
  const name = parsed.clientName ?? `client.${parsed.clientId ?? 'admin'}`;
  const confArgv = [...(parsed.cephconf ? ['-c', parsed.cephconf] : []), '--name', name, ...(parsed.cluster ? ['--cluster', parsed.cluster] : []), ...extras];
  let loaded: LoadedConfig;
  let client: MonClient;
  try {
    loaded = loadConfig({ argv: confArgv, env: { CEPH_CONF: io.env.CEPH_CONF }, defaultType: 'client' });
    client = new MonClient({ config: loaded.config, authId: loaded.config.identity.name.id, nonce: randomInt(0x7fffffff) });
  } catch (e) {
    io.stderr(`Error initializing cluster client: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  let childargs = loaded.rest.filter((w) => w !== '--');
  // rados connect(): --connect-timeout, else client_mount_timeout (300 s); -h waits 5 s at most.
  let timeoutS = parsed.connectTimeout;
  if (parsed.help && !timeoutS) timeoutS = HELP_CONNECT_TIMEOUT_S;
  if (!timeoutS) timeoutS = loaded.config.getNumber('client_mount_timeout');
  // A command's own timeout: rados_mon_op_timeout (0: none, as Ceph); with --connect-timeout, at most that
  // too, so a monitor that accepts us but has no quorum ends in ETIMEDOUT instead of a hang.
  const opTimeoutS = loaded.config.getNumber('rados_mon_op_timeout');
  const opLimitS = parsed.connectTimeout && (opTimeoutS <= 0 || parsed.connectTimeout < opTimeoutS) ? parsed.connectTimeout : opTimeoutS;
  const opOpts = opLimitS > 0 ? { timeoutMs: opLimitS * 1000 } : {};

  try {
    try {
      await client.connect(timeoutS ? { timeoutMs: timeoutS * 1000 } : {});
    } catch (e) {
      io.stderr(`Error ${errnoText(-errnoOf(e))}: ${e instanceof Error ? e.message : String(e)}\n`);
      return errnoOf(e);
    }

    // The monitor's own command descriptions, as the real CLI asks for them; ours if it has none.
    let descs: Record<string, CommandDescription> = commandDescriptions();
    const d = await client.command({ prefix: 'get_command_descriptions' }, Buffer.alloc(0), opOpts);
    if (d.r === 0 && d.out.length) {
      try {
        descs = JSON.parse(d.out.toString('utf8')) as Record<string, CommandDescription>;
      } catch {
        // keep ours
      }
    }

    if (parsed.help) {
      io.stdout(Buffer.from('\n Monitor commands: \n ==================\n'));
      io.stdout(Buffer.from(formatCommandHelp(descs, io.columns, childargs.join(' ') || undefined)));
      return 0;
    }

    let inbuf: Buffer = Buffer.alloc(0);
    if (parsed.inputFile) {
      try {
        inbuf = parsed.inputFile === '-' ? io.readStdin() : io.readFile(parsed.inputFile);
      } catch (e) {
        io.stderr(`Can't open input file ${parsed.inputFile}: ${pyOsError(e, parsed.inputFile)}\n`);
        return 1;
      }
    }
    let outf: { write(b: Buffer): void; close(): void } | null = null;
    if (parsed.outputFile) {
      try {
        outf = parsed.outputFile === '-' ? { write: io.stdout, close: () => {} } : io.openOut(parsed.outputFile);
      } catch (e) {
        io.stderr(`Can't open output file ${parsed.outputFile}: ${pyOsError(e, parsed.outputFile)}\n`);
        return 1;
      }
    }

    if (parsed.status) childargs = ['status', ...childargs];
    if (childargs.length === 0) {
      io.stderr('ceph: no command given (interactive mode is not supported by tsceph); try ceph -h\n');
      return Errno.EINVAL;
    }
    const m = matchCommand(childargs, descs);
    if (!m.ok) {
      io.stderr(m.message);
      io.stderr('Error EINVAL: invalid command\n');
      outf?.close();
      return Errno.EINVAL;
    }
    const cmdmap = { ...m.cmdmap };
    delete cmdmap.target;
    if (parsed.format) cmdmap.format = parsed.format;
    if (parsed.verbose) io.stderr(`Submitting command:  ${cmdmapToJson(cmdmap, descs)}\n`);

    let ret: number;
    let outbuf: Buffer;
    let outs: string;
    try {
      ({ r: ret, out: outbuf, rs: outs } = await client.rawCommand([cmdmapToJson(cmdmap, descs)], inbuf, opOpts));
    } catch (e) {
      ret = -errnoOf(e);
      outbuf = Buffer.alloc(0);
      outs = e instanceof Error ? e.message : String(e);
    }
    if (ret === -Errno.ETIMEDOUT && !outs) outs = "Connection timed out. Please check the client's permission and connection.";

    if (outf) {
      outf.write(outbuf);
      outf.close();
    } else {
      if (parsed.format && parsed.format.startsWith('json')) io.stdout(Buffer.from('\n'));
      if (outbuf.length) io.stdout(outbuf);
    }
    if (ret < 0) {
      io.stderr(`Error ${errnoText(ret)}: ${outs}\n`);
      return -ret;
    }
    if (outs) io.stderr(outs + '\n');
    return 0;
  } finally {
    await client.shutdown();
  }
}

if (isMainModule(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exit(code);
    },
    (e: unknown) => {
      process.stderr.write(`ceph: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
