// Helpers the Paxos services share: reading a command's arguments as Ceph's cmd_getval does, building
// replies (Ceph's r / rs / out), picking the output format, and Ceph's small text conventions
// (timespan_str, a location map printed as {k=v,...}, float printing as an ostream does).

import { formatDoubleG } from '../../../common/formatter.js';
import { Errno, type ErrnoName, strerror } from '../../../common/errors.js';
import { createViewFormatter } from '../../../common/osdmap/index.js';
import type { Formatter } from '../../../common/formatter.js';
import type { CmdMap, CmdValue, CommandOutcome, CommandReply } from '../types.js';

export const EMPTY_BUF = Buffer.alloc(0);

/** A command's argument as text (numbers are stringified, arrays joined as Ceph's CLI would). */
export function argStr(cmd: CmdMap, name: string): string | undefined {
  const v: CmdValue | undefined = cmd[name];
  if (v === undefined) return undefined;
  if (Array.isArray(v)) return v.map(String).join(' ');
  return String(v);
}

/** A command's argument as a list of strings (a single value becomes a one-element list). */
export function argList(cmd: CmdMap, name: string): string[] {
  const v = cmd[name];
  if (v === undefined) return [];
  if (Array.isArray(v)) return v.map(String);
  return [String(v)];
}

/** An integer argument: a number or a decimal string; NaN when present but not an integer. */
export function argInt(cmd: CmdMap, name: string): number | undefined {
  const v = cmd[name];
  if (v === undefined) return undefined;
  if (typeof v === 'number') return Number.isInteger(v) ? v : NaN;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number.parseInt(v, 10);
  return NaN;
}

/** A float argument. */
export function argFloat(cmd: CmdMap, name: string): number | undefined {
  const v = cmd[name];
  if (v === undefined) return undefined;
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return NaN;
}

/** A flag argument (CephBool, or CephChoices like "--yes-i-really-mean-it" given as its own name). */
export function argBool(cmd: CmdMap, name: string): boolean {
  const v = cmd[name];
  if (v === undefined) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') return v === 'true' || v === '1' || v.startsWith('--') || v === name;
  if (typeof v === 'number') return v !== 0;
  return v.length > 0;
}

/** The requested format ("plain" when none). */
export function argFormat(cmd: CmdMap): string {
  return argStr(cmd, 'format') ?? 'plain';
}

/** Formatter::create(format) as the monitor calls it: null for plain (and unknown) formats. */
export function formatterFor(cmd: CmdMap, fallback?: string): Formatter | null {
  const format = argFormat(cmd);
  if (format === 'json' || format === 'json-pretty' || format === 'xml' || format === 'xml-pretty') return createViewFormatter(format);
  if (fallback !== undefined) return createViewFormatter(fallback);
  return null;
}

export function negErrno(code: ErrnoName): number {
  return -Errno[code];
}

/** A reply as the monitor sends it: an error with no text gets cpp_strerror's "(N) text". */
export function makeReply(r: number, rs: string, out: Buffer | string = EMPTY_BUF): CommandReply {
  if (r < 0 && rs === '') rs = `(${-r}) ${strerror(r)}`;
  return { r, rs, out: typeof out === 'string' ? Buffer.from(out) : out };
}

export function replyNow(r: number, rs: string, out: Buffer | string = EMPTY_BUF): CommandOutcome {
  return { kind: 'reply', reply: makeReply(r, rs, out) };
}

export function replyErr(code: ErrnoName, rs: string): CommandOutcome {
  return replyNow(negErrno(code), rs);
}

export function replyAfterCommit(rs: string, out: Buffer | string = EMPTY_BUF): CommandOutcome {
  return { kind: 'afterCommit', reply: makeReply(0, rs, out) };
}

/** A float as `ostream << double` prints it (6 significant digits). */
export function streamFloat(v: number): string {
  return formatDoubleG(v, 6);
}

/** `ostream << std::map<string,string>`: {k=v,k2=v2}, keys in byte order. */
export function formatLocMap(loc: ReadonlyMap<string, string>): string {
  const keys = [...loc.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return '{' + keys.map((k) => `${k}=${loc.get(k)!}`).join(',') + '}';
}

/** Ceph's timespan_str for a span in milliseconds (float seconds under 2 s, then s, m, h, d, w, M, y). */
export function timespanStr(ms: number): string {
  const nsec = Math.max(0, Math.round(ms * 1e6));
  if (nsec < 2_000_000_000) return `${formatDoubleG(Math.fround(nsec / 1e9), 6)}s`;
  const sec = Math.floor(nsec / 1e9);
  if (sec < 120) return `${sec}s`;
  const min = Math.floor(sec / 60);
  if (min < 120) return `${min}m`;
  const hr = Math.floor(min / 60);
  if (hr < 48) return `${hr}h`;
  const day = Math.floor(hr / 24);
  if (day < 14) return `${day}d`;
  const wk = Math.floor(day / 7);
  if (wk < 12) return `${wk}w`;
  const mn = Math.floor(day / 30);
  if (mn < 24) return `${mn}M`;
  return `${Math.floor(day / 365)}y`;
}

/** A wall-clock time in ms as a utime_t. */
export function utimeFromMs(ms: number): { sec: number; nsec: number } {
  const sec = Math.floor(ms / 1000);
  return { sec, nsec: Math.round((ms - sec * 1000) * 1e6) };
}

export function msFromUtime(t: { sec: number; nsec: number }): number {
  return t.sec * 1000 + Math.floor(t.nsec / 1e6);
}

/** A formatter's output ending in one newline (the monitor appends one; json-pretty has it already). */
export function flushNl(f: Formatter): string {
  const s = f.flush();
  return s.endsWith('\n') ? s : s + '\n';
}
