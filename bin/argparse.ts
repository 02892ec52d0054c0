// Ceph's command line conventions (src/common/ceph_argparse.cc), as its tools see them: long options
// match with '-' and '_' alike, take their value as the next word or after '=', and numeric values are
// screened and converted with Ceph's messages. Matched words are removed from the argument list, so
// whatever is left at the end was not understood.

/** Thrown to end the program at once with a status, as Ceph's _exit() does. */
export class ExitNow extends Error {
  constructor(readonly status: number) {
    super(`exit ${status}`);
  }
}

/** The first two characters stay, then '-' becomes '_' up to an '='; the rest is copied as is. */
export function dashesToUnderscores(s: string): string {
  if (s.length <= 2) return s;
  const eq = s.indexOf('=', 2);
  const head = eq < 0 ? s.slice(2) : s.slice(2, eq);
  return s.slice(0, 2) + head.replace(/-/g, '_') + (eq < 0 ? '' : s.slice(eq));
}

/** A cursor over the argument list; `args` shrinks as options are taken. */
export class ArgCursor {
  i = 0;
  /** Ceph's shared `err` ostringstream: numeric parse errors accumulate here. */
  err = '';
  constructor(
    readonly args: string[],
    private readonly stderr: (s: string) => void,
  ) {}

  get done(): boolean {
    return this.i >= this.args.length;
  }

  get current(): string {
    return this.args[this.i]!;
  }

  /** The word at the cursor, removed; undefined at the end. */
  take(): string | undefined {
    if (this.i >= this.args.length) return undefined;
    return this.args.splice(this.i, 1)[0];
  }

  skip(): void {
    this.i++;
  }

  doubleDash(): boolean {
    if (this.current === '--') {
      this.args.splice(this.i, 1);
      return true;
    }
    return false;
  }

  /** ceph_argparse_flag. */
  flag(...names: string[]): boolean {
    const first = dashesToUnderscores(this.current);
    for (const n of names) {
      if (dashesToUnderscores(n) === first) {
        this.args.splice(this.i, 1);
        return true;
      }
    }
    return false;
  }

  /**
   * va_ceph_argparse_witharg: 0 no match, 1 matched with `value`, -1 matched but the value is missing
   * (the message is then in `missing`).
   */
  private match(names: string[]): { r: 0 | 1 | -1; value: string; missing: string } {
    const orig = this.current;
    const first = dashesToUnderscores(orig);
    for (const n of names) {
      const a2 = dashesToUnderscores(n);
      if (!first.startsWith(a2)) continue;
      const next = first.charAt(n.length);
      if (first.length > n.length && next === '=') {
        this.args.splice(this.i, 1);
        return { r: 1, value: first.slice(n.length + 1), missing: '' };
      }
      if (first.length === n.length) {
        if (this.i + 1 >= this.args.length) {
          this.args.splice(this.i, 1);
          return { r: -1, value: '', missing: `Option ${orig} requires an argument.\n` };
        }
        this.args.splice(this.i, 1);
        const value = this.args.splice(this.i, 1)[0]!;
        return { r: 1, value, missing: '' };
      }
    }
    return { r: 0, value: '', missing: '' };
  }

  /** The string form without an error stream: a missing value ends the program with status 1. */
  withArg(...names: string[]): string | null {
    const m = this.match(names);
    if (m.r === 0) return null;
    if (m.r < 0) {
      this.stderr(m.missing);
      throw new ExitNow(1);
    }
    return m.value;
  }

  /** The string form with the shared error stream. */
  withArgErr(...names: string[]): string | null {
    const m = this.match(names);
    if (m.r === 0) return null;
    if (m.r < 0) {
      this.err += m.missing;
      return '';
    }
    return m.value;
  }

  /**
   * The typed forms (int, long long, float). Returns null when no name matched; otherwise the value
   * (EXIT_FAILURE, 1, when the word is not numeric, as Ceph stores), with errors appended to `err`.
   * `fallback` is returned when the value is missing (Ceph leaves the variable untouched).
   */
  withNumber(kind: 'int' | 'longlong' | 'float', fallback: number | bigint, ...names: string[]): number | bigint | null {
    const m = this.match(names);
    if (m.r === 0) return null;
    if (m.r < 0) {
      this.err += m.missing;
      return fallback;
    }
    const { isOption, isNumeric } = argValueType(m.value);
    if (isOption || !isNumeric) {
      this.err += isOption ? 'Missing option value' : `The option value '${m.value}' is invalid`;
      return kind === 'longlong' ? 1n : 1;
    }
    const conv = kind === 'float' ? strictStrtof(m.value) : strictStrtoll(m.value, kind === 'int');
    this.err += conv.err;
    return conv.value;
  }
}

/** ceph_arg_value_type: does the word look like an option, and like a number? */
export function argValueType(s: string): { isOption: boolean; isNumeric: boolean } {
  let isNumeric = true;
  let isFloat = false;
  let isOption = s.length >= 2 && s[0] === '-' && s[1] === '-';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c >= '0' && c <= '9') continue;
    if (i === 0 && s.length >= 2 && c === '-') continue;
    if (c === '.' && !isFloat) {
      isFloat = true;
      continue;
    }
    isNumeric = false;
    break;
  }
  if (s[0] === '-' && !isNumeric) isOption = true;
  return { isOption, isNumeric };
}

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
const LLONG_MIN = -(1n << 63n);
const LLONG_MAX = (1n << 63n) - 1n;

/** strict_strtoll / strict_strtol (base 10) on a word already screened by argValueType. */
export function strictStrtoll(s: string, asInt: boolean): { value: number | bigint; err: string } {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)/.exec(s);
  if (!m || m[0].length !== s.length) {
    return { value: asInt ? 0 : 0n, err: `Expected option value to be integer, got '${s}'` };
  }
  let v = BigInt(m[2]!);
  if (m[1] === '-') v = -v;
  if (v < LLONG_MIN || v > LLONG_MAX) {
    return { value: asInt ? 0 : 0n, err: `The option value '${s}' seems to be invalid` };
  }
  if (asInt) {
    if (v < BigInt(INT_MIN) || v > BigInt(INT_MAX)) {
      return { value: 0, err: `The option value '${s}' seems to be invalid` };
    }
    return { value: Number(v), err: '' };
  }
  return { value: v, err: '' };
}

/** strict_strtof on a word already screened by argValueType (digits, one '.', a leading '-'). */
export function strictStrtof(s: string): { value: number; err: string } {
  const m = /^[ \t\n\v\f\r]*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(s);
  if (!m) return { value: 0, err: `strict_strtof: expected float, got: '${s}'` };
  if (m[0].length !== s.length) {
    return { value: 0, err: `strict_strtof: garbage at end of string. got: '${s}'` };
  }
  const v = Math.fround(Number(m[0]));
  if (!Number.isFinite(v) || (v === 0 && /[1-9]/.test(m[0]))) {
    return { value: 0, err: `strict_strtof: floating point overflow or underflow parsing '${s}'` };
  }
  return { value: v, err: '' };
}

/** C's atof: the longest numeric prefix (after white space, hex floats included), 0 when there is none. */
export function atof(s: string): number {
  const hex = /^[ \t\n\v\f\r]*([+-]?)0[xX](?=\.?[0-9a-fA-F])([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?/.exec(s);
  if (hex) {
    const int = hex[2] ?? '';
    const frac = hex[3] ?? '';
    let v = 0;
    for (const ch of int + frac) v = v * 16 + parseInt(ch, 16);
    v *= Math.pow(2, Number(hex[4] ?? 0) - 4 * frac.length);
    return hex[1] === '-' ? -v : v;
  }
  const m = /^[ \t\n\v\f\r]*([+-]?)(?:(inf(?:inity)?)|(nan)|((?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?))/i.exec(s);
  if (!m) return 0;
  const sign = m[1] === '-' ? -1 : 1;
  if (m[2]) return sign * Infinity;
  if (m[3]) return NaN;
  return sign * Number(m[4]);
}

/** C's atoi: leading white space, sign and digits; 0 when there are none; wraps like glibc's strtol to int. */
export function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  if (!m) return 0;
  let v = BigInt(m[1]!);
  if (v > LLONG_MAX) v = LLONG_MAX;
  if (v < LLONG_MIN) v = LLONG_MIN;
  return Number(BigInt.asIntN(32, v));
}
