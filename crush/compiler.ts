// Compiles crushtool's text map format (Ceph 16.2's grammar.h + CrushCompiler.cc) into a CrushWrapper.
//
// Ceph reads the file line by line, drops '#' comments, squeezes whitespace, joins the lines into one
// string and runs a Boost.Spirit grammar over it; then it walks the tree. We do the same in two passes:
//  1. a hand-written backtracking parser over the joined string, with the grammar's exact shape (its
//     keywords are plain prefixes, so "device0osd.0" parses as Ceph parses it). When the parse stops
//     early, the error names the line and text where Ceph's parser stopped: the end of the last whole
//     top-level statement, reported as crushtool reports it ("file:N error: parse error at '...'").
//  2. the semantic walk of CrushCompiler::parse_crush, with the same checks, order, id allocation and
//     messages (crushtool prints these without a line number; we add the line and column).
// Every failure is a CrushCompileError (EINVAL); `crushtoolMessage` holds what crushtool writes to
// stderr, and `crushtoolAborts` marks inputs on which crushtool itself crashes.

import { CephError, Errno } from '../common/errors.js';
import { additionIsUnsafe } from './builder.js';
import {
  BucketAlg,
  CRUSH_MAX_BUCKET_WEIGHT,
  CRUSH_MAX_DEVICE_WEIGHT,
  CrushChooseArg,
  CrushChooseArgMap,
  RuleOp,
  RuleType,
} from './types.js';
import { CrushWrapper } from './wrapper.js';

/** A text map that crushtool would refuse. */
export class CrushCompileError extends CephError {
  /** 1-based line of the offending text (0 when the input has no lines). */
  readonly line: number;
  /** 1-based column in that line. */
  readonly column: number;
  /** What is wrong, in crushtool's words where crushtool has words for it. */
  readonly reason: string;
  /** Exactly what crushtool writes to stderr for this input ('' when it crashes instead). */
  readonly crushtoolMessage: string;
  /** crushtool aborts (exit 134) on this input rather than reporting an error. */
  readonly crushtoolAborts: boolean;
  constructor(
    filename: string,
    line: number,
    column: number,
    reason: string,
    crushtoolMessage: string,
    crushtoolAborts = false,
  ) {
    super('EINVAL', `${filename}:${line}:${column}: ${reason}`);
    this.name = 'CrushCompileError';
    this.line = line;
    this.column = column;
    this.reason = reason;
    this.crushtoolMessage = crushtoolMessage;
    this.crushtoolAborts = crushtoolAborts;
  }
}

export interface CompileOptions {
  /** The file name crushtool would print in parse errors (default "<input>"). */
  filename?: string;
  /** crushtool -v: how many times -v was given (0 = quiet). */
  verbose?: number;
  /** Where the verbose lines go (crushtool writes them to stderr, before any error). */
  log?: (text: string) => void;
}

// ---------------------------------------------------------------------------------------------------
// C number conversions

/** strtol(s, 0, 10) then the implicit conversion to a 32-bit int. */
function cInt(s: string): number {
  let v: bigint;
  try {
    v = BigInt(s.trim());
  } catch {
    return 0;
  }
  const max = (1n << 63n) - 1n;
  if (v > max) v = max;
  if (v < -max - 1n) v = -max - 1n;
  return Number(BigInt.asIntN(32, v));
}

/** C atoi (used for a numeric bucket hash). */
function cAtoi(s: string): number {
  return cInt(s);
}

/** Exact sign of (decimal string value - d). */
function compareDecimalToDouble(s: string, d: number): number {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s.trim());
  if (!m) return 0;
  const neg = m[1] === '-';
  const digits = (m[2] ?? '') + (m[3] ?? '');
  let exp10 = (m[4] ? parseInt(m[4], 10) : 0) - (m[3] ?? '').length;
  let num = BigInt(digits || '0');
  if (neg) num = -num;
  // d = mant * 2^e2 exactly
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, d);
  const hi = buf.getUint32(0);
  const lo = buf.getUint32(4);
  const sign = hi >>> 31 ? -1n : 1n;
  const bexp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e2: number;
  if (bexp === 0) e2 = -1074;
  else {
    mant |= 1n << 52n;
    e2 = bexp - 1075;
  }
  mant *= sign;
  // compare num * 10^exp10 with mant * 2^e2
  let left = num;
  let right = mant;
  if (exp10 >= 0) left *= 10n ** BigInt(exp10);
  else right *= 10n ** BigInt(-exp10);
  if (e2 >= 0) right <<= BigInt(e2);
  else left <<= BigInt(-e2);
  exp10 = 0;
  return left > right ? 1 : left < right ? -1 : 0;
}

/** strtof(): the decimal rounded once, correctly, to a float. */
function cStrtof(s: string): number {
  const d = parseFloat(s);
  if (!Number.isFinite(d)) return d;
  const f = Math.fround(d);
  if (f === d || !Number.isFinite(f)) return f;
  // d may sit exactly halfway between two floats, where rounding twice can go the wrong way
  const other = f > d ? nextFloatDown(f) : nextFloatUp(f);
  const lo = Math.min(f, other);
  const hi = Math.max(f, other);
  if ((lo + hi) / 2 !== d) return f;
  const c = compareDecimalToDouble(s, d);
  if (c > 0) return hi;
  if (c < 0) return lo;
  return f; // an exact tie: fround already rounded to even
}

function nextFloatUp(f: number): number {
  const b = new DataView(new ArrayBuffer(4));
  b.setFloat32(0, f);
  let u = b.getUint32(0);
  if (f >= 0) u += 1;
  else u -= 1;
  b.setUint32(0, u >>> 0);
  return b.getFloat32(0);
}
function nextFloatDown(f: number): number {
  return -nextFloatUp(-f);
}

/** (unsigned)(strtof(s) * (float)0x10000) as x86-64 gcc computes it. */
function weightFromText(s: string): number {
  const f = Math.fround(cStrtof(s) * 65536);
  if (!Number.isFinite(f) || Math.abs(f) >= 9223372036854775808) return 0;
  const t = Math.trunc(f);
  return ((t % 4294967296) + 4294967296) % 4294967296;
}

/** ostream << float with the default precision (like %g with 6 significant digits). */
function formatFloatG(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x < 0 ? '-inf' : 'inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const neg = x < 0;
  const a = Math.abs(x);
  const [mant, e] = a.toExponential(5).split('e') as [string, string];
  const exp = parseInt(e, 10);
  const strip = (t: string): string => (t.includes('.') ? t.replace(/0+$/, '').replace(/\.$/, '') : t);
  let out: string;
  if (exp < -4 || exp >= 6) {
    out = `${strip(mant)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  } else {
    out = strip(a.toFixed(5 - exp));
  }
  return neg ? `-${out}` : out;
}

// ---------------------------------------------------------------------------------------------------
// Pass 0: the joined text, as CrushCompiler::compile builds it

interface Source {
  big: string; // what the grammar sees (bytes as latin1 chars)
  lineStarts: number[]; // sorted keys of Ceph's line_pos
  lineAt: number[]; // line_pos values
  lineVal: string[]; // original lines, 1-based (index 0 unused)
  origCol: Int32Array; // for each char of big, its 0-based column in its original line
  nul: number; // where a C string would end
}

function toByteString(text: string | Uint8Array): string {
  const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  let s = '';
  for (let i = 0; i < bytes.length; i += 8192) {
    s += String.fromCharCode(...bytes.subarray(i, i + 8192));
  }
  return s;
}

function fromByteString(s: string): string {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  return new TextDecoder().decode(b);
}

function isCSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}

function prepare(
  text: string | Uint8Array,
  show: (s: string) => string,
  verbose = 0,
  log: (t: string) => void = () => {},
): Source {
  const raw = toByteString(text);
  const lines = raw.split('\n');
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  const parts: string[] = [];
  let bigLen = 0;
  let lastSpace = false;
  const cols: number[] = [];
  const linePos = new Map<number, number>();
  const lineVal: string[] = [''];
  for (let ln = 1; ln <= lines.length; ln++) {
    const str = lines[ln - 1]!;
    lineVal.push(str);
    const hash = str.indexOf('#');
    const code = hash >= 0 ? str.slice(0, hash) : str;
    if (verbose > 1) log(`${ln}: ${show(code)}\n`);
    // squeeze runs of whitespace to one space; drop leading and trailing whitespace
    const out: string[] = [];
    const scol: number[] = [];
    let white = false;
    for (let p = 0; p < code.length; p++) {
      const c = code.charCodeAt(p);
      if (isCSpace(c) && c !== 10) {
        if (white) continue;
        white = true;
      } else {
        if (white) {
          if (out.length) {
            out.push(' ');
            scol.push(p - 1);
          }
          white = false;
        }
        let q = p + 1;
        while (q < code.length && !isCSpace(code.charCodeAt(q))) q++;
        out.push(code.slice(p, q));
        for (let k = p; k < q; k++) scol.push(k);
        p = q - 1;
      }
    }
    const stripped = out.join('');
    if (verbose > 3) log(` "${show(code)}" -> "${show(stripped)}"\n`);
    if (stripped.length && bigLen && !lastSpace) {
      parts.push(' ');
      cols.push(-1);
      bigLen++;
    }
    linePos.set(bigLen, ln);
    if (stripped.length) {
      parts.push(stripped);
      bigLen += stripped.length;
      lastSpace = stripped.charCodeAt(stripped.length - 1) === 32;
      for (const c of scol) cols.push(c);
    }
  }
  const big = parts.join('');
  if (verbose > 2) log(`whole file is: "${show(big)}"\n`);
  const keys = [...linePos.keys()].sort((a, b) => a - b);
  const nul = big.indexOf('\0');
  return {
    big,
    lineStarts: keys,
    lineAt: keys.map((k) => linePos.get(k)!),
    lineVal,
    origCol: Int32Array.from(cols),
    nul: nul < 0 ? big.length : nul,
  };
}

/** Ceph's line_pos lookup: the line whose start is the greatest key <= pos. */
function lineIndexOf(src: Source, pos: number): number {
  let lo = 0;
  let hi = src.lineStarts.length - 1;
  if (hi < 0) return -1;
  if (src.lineStarts[0]! > pos) return 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (src.lineStarts[mid]! <= pos) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

// ---------------------------------------------------------------------------------------------------
// Pass 1: the grammar

interface TunableNode {
  kind: 'tunable';
  pos: number;
  name: string;
  value: string;
}
interface DeviceNode {
  kind: 'device';
  pos: number;
  id: string;
  name: string;
  cls?: string;
}
interface TypeNode {
  kind: 'type';
  pos: number;
  id: string;
  name: string;
}
interface BucketIdNode {
  pos: number;
  id: string;
  cls?: string;
}
interface BucketItemNode {
  pos: number;
  name: string;
  weight?: string;
  itemPos?: string;
}
interface BucketNode {
  kind: 'bucket';
  pos: number;
  type: string;
  name: string;
  ids: BucketIdNode[];
  alg: string;
  algPos: number;
  hashes: string[];
  items: BucketItemNode[];
}
type StepNode =
  | { op: 'take'; pos: number; item: string; cls?: string }
  | { op: 'set'; pos: number; which: number; value: string }
  | { op: 'choose'; pos: number; leaf: boolean; mode: 'firstn' | 'indep'; n: string; type: string }
  | { op: 'emit'; pos: number };
interface RuleNode {
  kind: 'rule';
  pos: number;
  name?: string;
  id: string;
  type: 'replicated' | 'erasure';
  minSize: string;
  maxSize: string;
  steps: StepNode[];
}
interface ChooseArgNode {
  pos: number;
  bucketId: string;
  weightSet?: { pos: number; rows: { pos: number; weights: string[] }[] };
  ids?: { pos: number; ids: string[] };
}
interface ChooseArgsNode {
  kind: 'choose_args';
  pos: number;
  id: string;
  args: ChooseArgNode[];
}
type TopNode = TunableNode | DeviceNode | TypeNode | BucketNode | RuleNode | ChooseArgsNode;

const SET_STEPS: readonly [string, number][] = [
  ['set_choose_tries', RuleOp.SetChooseTries],
  ['set_choose_local_tries', RuleOp.SetChooseLocalTries],
  ['set_choose_local_fallback_tries', RuleOp.SetChooseLocalFallbackTries],
  ['set_chooseleaf_tries', RuleOp.SetChooseleafTries],
  ['set_chooseleaf_vary_r', RuleOp.SetChooseleafVaryR],
  ['set_chooseleaf_stable', RuleOp.SetChooseleafStable],
];

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isNameChar(c: number): boolean {
  return (
    (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 45 || c === 95 || c === 46
  );
}

class Parser {
  i = 0;
  tokenStart = 0;
  /** The farthest position where a token failed to match: where the text stopped making sense. */
  far = 0;
  constructor(
    readonly s: string,
    readonly n: number,
  ) {}

  private ws(): void {
    while (this.i < this.n && isCSpace(this.s.charCodeAt(this.i))) this.i++;
    this.tokenStart = this.i;
  }
  private miss(at: number): null {
    if (at > this.far) this.far = at;
    return null;
  }
  lit(t: string): boolean {
    this.ws();
    if (this.i + t.length <= this.n && this.s.startsWith(t, this.i)) {
      this.i += t.length;
      return true;
    }
    this.miss(this.i);
    return false;
  }
  name(): string | null {
    this.ws();
    const st = this.i;
    while (this.i < this.n && isNameChar(this.s.charCodeAt(this.i))) this.i++;
    return this.i > st ? this.s.slice(st, this.i) : this.miss(st);
  }
  private digits(st: number): string | null {
    const d0 = this.i;
    while (this.i < this.n && isDigit(this.s.charCodeAt(this.i))) this.i++;
    if (this.i === d0) {
      this.i = st;
      return this.miss(st);
    }
    return this.s.slice(st, this.i);
  }
  posint(): string | null {
    this.ws();
    return this.digits(this.i);
  }
  negint(): string | null {
    this.ws();
    const st = this.i;
    if (this.s[this.i] !== '-') return this.miss(st);
    this.i++;
    return this.digits(st);
  }
  integer(): string | null {
    this.ws();
    const st = this.i;
    if (this.s[this.i] === '-') this.i++;
    return this.digits(st);
  }
  /** Spirit's real_p: sign, digits, optional fraction (leading or trailing dot), optional exponent. */
  real(): string | null {
    this.ws();
    const st = this.i;
    const s = this.s;
    let j = this.i;
    if (s[j] === '+' || s[j] === '-') j++;
    const d0 = j;
    while (j < this.n && isDigit(s.charCodeAt(j))) j++;
    const gotNumber = j > d0;
    let eHit = false;
    if (s[j] === '.' && j < this.n) {
      j++;
      const f0 = j;
      while (j < this.n && isDigit(s.charCodeAt(j))) j++;
      if (j === f0 && !gotNumber) return this.miss(st);
    } else if (!gotNumber) {
      return this.miss(st);
    }
    if (j < this.n && (s[j] === 'e' || s[j] === 'E')) {
      eHit = true;
      j++;
    }
    if (eHit) {
      if (s[j] === '+' || s[j] === '-') j++;
      const x0 = j;
      while (j < this.n && isDigit(s.charCodeAt(j))) j++;
      if (j === x0) return this.miss(st);
    }
    this.i = j;
    return s.slice(st, j);
  }

  // ------------------------------------------------------------------------------------------------

  private attempt<T>(f: () => T | null): T | null {
    const save = this.i;
    const r = f();
    if (r === null) this.i = save;
    return r;
  }

  tunable(): TunableNode | null {
    return this.attempt(() => {
      if (!this.lit('tunable')) return null;
      const pos = this.tokenStart;
      const name = this.name();
      if (name === null) return null;
      const value = this.posint();
      if (value === null) return null;
      return { kind: 'tunable', pos, name, value };
    });
  }

  device(): DeviceNode | null {
    return this.attempt(() => {
      if (!this.lit('device')) return null;
      const pos = this.tokenStart;
      const id = this.posint();
      if (id === null) return null;
      const name = this.name();
      if (name === null) return null;
      const node: DeviceNode = { kind: 'device', pos, id, name };
      const cls = this.attempt(() => (this.lit('class') ? this.name() : null));
      if (cls !== null) node.cls = cls;
      return node;
    });
  }

  bucketType(): TypeNode | null {
    return this.attempt(() => {
      if (!this.lit('type')) return null;
      const pos = this.tokenStart;
      const id = this.posint();
      if (id === null) return null;
      const name = this.name();
      if (name === null) return null;
      return { kind: 'type', pos, id, name };
    });
  }

  bucket(): BucketNode | null {
    return this.attempt(() => {
      const type = this.name();
      if (type === null) return null;
      const pos = this.tokenStart;
      const name = this.name();
      if (name === null) return null;
      if (!this.lit('{')) return null;
      const ids: BucketIdNode[] = [];
      for (;;) {
        const idn = this.attempt((): BucketIdNode | null => {
          if (!this.lit('id')) return null;
          const ipos = this.tokenStart;
          const id = this.negint();
          if (id === null) return null;
          const node: BucketIdNode = { pos: ipos, id };
          const cls = this.attempt(() => (this.lit('class') ? this.name() : null));
          if (cls !== null) node.cls = cls;
          return node;
        });
        if (!idn) break;
        ids.push(idn);
      }
      if (!this.lit('alg')) return null;
      const algPos = this.tokenStart;
      const alg = this.name();
      if (alg === null) return null;
      const hashes: string[] = [];
      for (;;) {
        const h = this.attempt(() => {
          if (!this.lit('hash')) return null;
          const v = this.attempt(() => this.integer());
          if (v !== null) return v;
          return this.lit('rjenkins1') ? 'rjenkins1' : null;
        });
        if (h === null) break;
        hashes.push(h);
      }
      const items: BucketItemNode[] = [];
      for (;;) {
        const it = this.attempt((): BucketItemNode | null => {
          if (!this.lit('item')) return null;
          const ipos = this.tokenStart;
          const iname = this.name();
          if (iname === null) return null;
          const node: BucketItemNode = { pos: ipos, name: iname };
          const w = this.attempt(() => (this.lit('weight') ? this.real() : null));
          if (w !== null) node.weight = w;
          const p = this.attempt(() => (this.lit('pos') ? this.posint() : null));
          if (p !== null) node.itemPos = p;
          return node;
        });
        if (!it) break;
        items.push(it);
      }
      if (!this.lit('}')) return null;
      return { kind: 'bucket', pos, type, name, ids, alg, algPos, hashes, items };
    });
  }

  private step(): StepNode | null {
    return this.attempt((): StepNode | null => {
      if (!this.lit('step')) return null;
      const pos = this.tokenStart;
      const take = this.attempt((): StepNode | null => {
        if (!this.lit('take')) return null;
        const item = this.name();
        if (item === null) return null;
        const node: StepNode = { op: 'take', pos, item };
        const cls = this.attempt(() => (this.lit('class') ? this.name() : null));
        if (cls !== null) node.cls = cls;
        return node;
      });
      if (take) return take;
      for (const [kw, which] of SET_STEPS) {
        const set = this.attempt((): StepNode | null => {
          if (!this.lit(kw)) return null;
          const value = this.posint();
          return value === null ? null : { op: 'set', pos, which, value };
        });
        if (set) return set;
      }
      for (const leaf of [false, true]) {
        const ch = this.attempt((): StepNode | null => {
          if (!this.lit(leaf ? 'chooseleaf' : 'choose')) return null;
          let mode: 'firstn' | 'indep';
          if (this.attempt(() => (this.lit('indep') ? true : null))) mode = 'indep';
          else if (this.lit('firstn')) mode = 'firstn';
          else return null;
          const n = this.integer();
          if (n === null) return null;
          if (!this.lit('type')) return null;
          const type = this.name();
          if (type === null) return null;
          return { op: 'choose', pos, leaf, mode, n, type };
        });
        if (ch) return ch;
      }
      if (this.lit('emit')) return { op: 'emit', pos };
      return null;
    });
  }

  rule(): RuleNode | null {
    return this.attempt((): RuleNode | null => {
      if (!this.lit('rule')) return null;
      const pos = this.tokenStart;
      const name = this.attempt(() => this.name());
      if (!this.lit('{')) return null;
      if (!this.attempt(() => (this.lit('id') ? true : null)) && !this.lit('ruleset')) return null;
      const id = this.posint();
      if (id === null) return null;
      if (!this.lit('type')) return null;
      let type: 'replicated' | 'erasure';
      if (this.attempt(() => (this.lit('replicated') ? true : null))) type = 'replicated';
      else if (this.lit('erasure')) type = 'erasure';
      else return null;
      if (!this.lit('min_size')) return null;
      const minSize = this.posint();
      if (minSize === null) return null;
      if (!this.lit('max_size')) return null;
      const maxSize = this.posint();
      if (maxSize === null) return null;
      const steps: StepNode[] = [];
      for (;;) {
        const st = this.step();
        if (!st) break;
        steps.push(st);
      }
      if (steps.length === 0) return null;
      if (!this.lit('}')) return null;
      const node: RuleNode = { kind: 'rule', pos, id, type, minSize, maxSize, steps };
      if (name !== null) node.name = name;
      return node;
    });
  }

  private chooseArg(): ChooseArgNode | null {
    return this.attempt((): ChooseArgNode | null => {
      if (!this.lit('{')) return null;
      const pos = this.tokenStart;
      if (!this.lit('bucket_id')) return null;
      const bucketId = this.negint();
      if (bucketId === null) return null;
      const node: ChooseArgNode = { pos, bucketId };
      const ws = this.attempt(() => {
        if (!this.lit('weight_set')) return null;
        const wpos = this.tokenStart;
        if (!this.lit('[')) return null;
        const rows: { pos: number; weights: string[] }[] = [];
        for (;;) {
          const row = this.attempt(() => {
            if (!this.lit('[')) return null;
            const rpos = this.tokenStart;
            const weights: string[] = [];
            for (;;) {
              const r = this.attempt(() => this.real());
              if (r === null) break;
              weights.push(r);
            }
            return this.lit(']') ? { pos: rpos, weights } : null;
          });
          if (!row) break;
          rows.push(row);
        }
        return this.lit(']') ? { pos: wpos, rows } : null;
      });
      if (ws) node.weightSet = ws;
      const ids = this.attempt(() => {
        if (!this.lit('ids')) return null;
        const ipos = this.tokenStart;
        if (!this.lit('[')) return null;
        const list: string[] = [];
        for (;;) {
          const v = this.attempt(() => this.integer());
          if (v === null) break;
          list.push(v);
        }
        return this.lit(']') ? { pos: ipos, ids: list } : null;
      });
      if (ids) node.ids = ids;
      if (!this.lit('}')) return null;
      return node;
    });
  }

  chooseArgs(): ChooseArgsNode | null {
    return this.attempt((): ChooseArgsNode | null => {
      if (!this.lit('choose_args')) return null;
      const pos = this.tokenStart;
      const id = this.posint();
      if (id === null) return null;
      if (!this.lit('{')) return null;
      const args: ChooseArgNode[] = [];
      for (;;) {
        const a = this.chooseArg();
        if (!a) break;
        args.push(a);
      }
      if (!this.lit('}')) return null;
      return { kind: 'choose_args', pos, id, args };
    });
  }

  /** crushmap = *(tunable | device | bucket_type) >> *(bucket | crushrule) >> *choose_args */
  crushmap(): { nodes: TopNode[]; stop: number } {
    const nodes: TopNode[] = [];
    for (;;) {
      const node = this.tunable() ?? this.device() ?? this.bucketType();
      if (!node) break;
      nodes.push(node);
    }
    for (;;) {
      const node = this.bucket() ?? this.rule();
      if (!node) break;
      nodes.push(node);
    }
    for (;;) {
      const node = this.chooseArgs();
      if (!node) break;
      nodes.push(node);
    }
    return { nodes, stop: this.i };
  }
}

// ---------------------------------------------------------------------------------------------------
// Pass 2: the semantics of CrushCompiler::parse_crush

class Compiler {
  readonly cw = new CrushWrapper();
  private readonly itemId = new Map<string, number>();
  private readonly idItem = new Map<number, string>();
  private readonly itemWeight = new Map<number, number>();
  private readonly typeId = new Map<string, number>();
  private readonly ruleId = new Map<string, number>();
  private readonly classBucket = new Map<number, Map<number, number>>();

  constructor(
    private readonly src: Source,
    private readonly filename: string,
    private readonly verbose = 0,
    private readonly log: (t: string) => void = () => {},
  ) {
    // always start from the legacy tunables, so that a text map compiles the same forever
    this.cw.setTunablesLegacy();
  }

  fail(pos: number, reason: string, printed?: string, aborts = false): never {
    const li = lineIndexOf(this.src, pos);
    let line = 0;
    let column = 0;
    if (li >= 0) {
      line = this.src.lineAt[li]!;
      column = (pos < this.src.origCol.length && pos >= 0 ? this.src.origCol[pos]! : 0) + 1;
      if (column <= 0) column = 1;
    }
    throw new CrushCompileError(
      this.filename,
      line,
      column,
      reason,
      aborts ? '' : (printed ?? `${reason}\n`),
      aborts,
    );
  }

  run(nodes: TopNode[]): void {
    this.adjustBucketItemPlace(nodes);
    this.findUsedBucketIds(nodes);
    let sawRule = false;
    for (const node of nodes) {
      switch (node.kind) {
        case 'tunable':
          this.parseTunable(node);
          this.logTunable(node);
          break;
        case 'device':
          this.parseDevice(node);
          break;
        case 'type':
          this.parseBucketType(node);
          break;
        case 'bucket':
          if (sawRule) this.fail(node.pos, 'buckets must be defined before rules');
          this.parseBucket(node);
          break;
        case 'rule':
          if (!sawRule) {
            sawRule = true;
            this.cw.populateClasses(this.classBucket);
          }
          this.parseRule(node);
          break;
        case 'choose_args':
          this.parseChooseArgs(node);
          break;
      }
    }
    this.cw.finalize();
  }

  /**
   * Ceph reorders buckets so that one named inside another comes first, by swapping tree nodes in a
   * single pass over a fixed name -> position table; we reproduce the pass as it is, quirks included.
   */
  private adjustBucketItemPlace(nodes: TopNode[]): void {
    const bucketItems = new Map<string, Set<string>>();
    const where = new Map<string, number>();
    const order: string[] = [];
    nodes.forEach((n, idx) => {
      if (n.kind !== 'bucket') return;
      order.push(n.name);
      where.set(n.name, idx);
      let set = bucketItems.get(n.name);
      if (!set) {
        set = new Set();
        bucketItems.set(n.name, set);
      }
      for (const it of n.items) set.add(it.name);
    });
    for (let i = 0; i < order.length; i++) {
      for (let j = i + 1; j < order.length; j++) {
        const a = order[i]!;
        const b = order[j]!;
        if (!bucketItems.get(a)!.has(b)) continue;
        if (bucketItems.get(b)!.has(a)) {
          const msg = `bucket  '${a}' and bucket '${b}' are included each other`;
          this.fail((nodes[where.get(a)!] as BucketNode).pos, msg);
        }
        const pa = where.get(a)!;
        const pb = where.get(b)!;
        const t = nodes[pa]!;
        nodes[pa] = nodes[pb]!;
        nodes[pb] = t;
      }
    }
  }

  private findUsedBucketIds(nodes: TopNode[]): void {
    for (const n of nodes) {
      if (n.kind === 'bucket' && n.ids.length) this.idItem.set(cInt(n.ids[0]!.id), '');
    }
  }

  private parseTunable(n: TunableNode): void {
    const val = cInt(n.value);
    const cw = this.cw;
    switch (n.name) {
      case 'choose_local_tries':
        return cw.setChooseLocalTries(val);
      case 'choose_local_fallback_tries':
        return cw.setChooseLocalFallbackTries(val);
      case 'choose_total_tries':
        return cw.setChooseTotalTries(val);
      case 'chooseleaf_descend_once':
        return cw.setChooseleafDescendOnce(val);
      case 'chooseleaf_vary_r':
        return cw.setChooseleafVaryR(val);
      case 'chooseleaf_stable':
        return cw.setChooseleafStable(val);
      case 'straw_calc_version':
        return cw.setStrawCalcVersion(val);
      case 'allowed_bucket_algs':
        return cw.setAllowedBucketAlgs(val);
      default:
        this.fail(n.pos, `tunable ${n.name} not recognized`);
    }
  }

  private logTunable(n: TunableNode): void {
    if (this.verbose) this.log(`tunable ${n.name} ${cInt(n.value)}\n`);
  }

  private parseDevice(n: DeviceNode): void {
    const id = cInt(n.id);
    this.cw.setItemName(id, n.name);
    if (this.itemId.has(n.name)) this.fail(n.pos, `item ${n.name} defined twice`);
    this.itemId.set(n.name, id);
    this.idItem.set(id, n.name);
    let v = `device ${id} '${n.name}'`;
    if (n.cls !== undefined) {
      this.cw.setItemClass(id, n.cls);
      v += ` class '${n.cls}'`;
    }
    if (this.verbose) this.log(`${v}\n`);
  }

  private parseBucketType(n: TypeNode): void {
    const id = cInt(n.id);
    if (this.verbose) this.log(`type ${id} '${n.name}'\n`);
    this.typeId.set(n.name, id);
    this.cw.setTypeName(id, n.name);
  }

  private parseBucket(n: BucketNode): void {
    const type = this.typeId.get(n.type);
    if (type === undefined) this.fail(n.pos, `bucket type '${n.type}' is not defined`);
    if (this.itemId.has(n.name)) this.fail(n.pos, `bucket or device '${n.name}' is already defined`);
    const name = n.name;

    let id = 0;
    let alg = -1;
    let hash = 0;
    const usedItems = new Set<number>();
    let size = 0;
    const classId = new Map<number, number>();
    for (const idn of n.ids) {
      const maybeId = cInt(idn.id);
      if (this.verbose) this.log(`bucket ${name} id ${maybeId}`);
      if (idn.cls !== undefined) {
        // the class need not exist yet: an empty shadow tree may still be named by a rule
        const cid = this.cw.getOrCreateClassId(idn.cls);
        if (classId.has(cid)) this.fail(idn.pos, `duplicate device class ${idn.cls} for bucket ${name}`);
        classId.set(cid, maybeId);
        if (this.verbose) this.log(` class '${idn.cls}'\n`);
      } else {
        id = maybeId;
        if (this.verbose) this.log('\n');
      }
    }
    switch (n.alg) {
      case 'uniform':
        alg = BucketAlg.Uniform;
        break;
      case 'list':
        alg = BucketAlg.List;
        break;
      case 'tree':
        alg = BucketAlg.Tree;
        break;
      case 'straw':
        alg = BucketAlg.Straw;
        break;
      case 'straw2':
        alg = BucketAlg.Straw2;
        break;
      default:
        this.fail(n.algPos, `unknown bucket alg '${n.alg}'`, `unknown bucket alg '${n.alg}'\n\n`);
    }
    for (const h of n.hashes) hash = h === 'rjenkins1' ? 0 : cAtoi(h);
    for (const it of n.items) {
      size++;
      if (it.itemPos !== undefined) {
        const pos = cInt(it.itemPos);
        if (usedItems.has(pos)) {
          this.fail(it.pos, `item '${it.name}' in bucket '${name}' has explicit pos ${pos}, which is occupied`);
        }
        usedItems.add(pos);
      }
    }
    if (usedItems.size) size = Math.max(size, Math.max(...usedItems));
    const items = new Array<number>(Math.max(size, 0)).fill(0);
    const weights = new Array<number>(Math.max(size, 0)).fill(0);

    let curpos = 0;
    let bucketweight = 0;
    let haveUniformWeight = false;
    let uniformWeight = 0;
    for (const it of n.items) {
      const itemid = this.itemId.get(it.name);
      if (itemid === undefined) this.fail(it.pos, `item '${it.name}' in bucket '${name}' is not defined`);
      let weight = this.itemWeight.get(itemid) ?? 0x10000;
      let pos = -1;
      if (it.weight !== undefined) {
        weight = weightFromText(it.weight);
        if (weight > CRUSH_MAX_DEVICE_WEIGHT && itemid >= 0) {
          this.fail(it.pos, `device weight limited to ${CRUSH_MAX_DEVICE_WEIGHT / 0x10000}`);
        } else if (weight > CRUSH_MAX_BUCKET_WEIGHT && itemid < 0) {
          this.fail(it.pos, `bucket weight limited to ${CRUSH_MAX_BUCKET_WEIGHT / 0x10000} to prevent overflow`);
        }
      }
      if (it.itemPos !== undefined) pos = cInt(it.itemPos);
      if (alg === BucketAlg.Uniform) {
        if (!haveUniformWeight) {
          haveUniformWeight = true;
          uniformWeight = weight;
        } else if (uniformWeight !== weight) {
          this.fail(
            it.pos,
            `item '${it.name}' in uniform bucket '${name}' has weight ${weight} but previous item(s) have ` +
              `weight ${formatFloatG(Math.fround(Math.fround(uniformWeight) / 65536))}; uniform bucket ` +
              'items must all have identical weights.',
          );
        }
      }
      if (pos >= size) this.fail(it.pos, `item '${it.name}' in bucket '${name}' has pos ${pos} >= size ${size}`);
      if (pos < 0) {
        while (usedItems.has(curpos)) curpos++;
        pos = curpos++;
      }
      items[pos] = itemid;
      weights[pos] = weight;
      if (additionIsUnsafe(bucketweight, weight)) {
        this.fail(
          it.pos,
          'oh no! our bucket weights are overflowing all over the place, better lower the item weights',
        );
      }
      bucketweight = (bucketweight + weight) >>> 0;
    }

    if (id === 0) {
      for (id = -1; this.idItem.has(id); id--);
    }
    let cb = this.classBucket.get(id);
    for (const [cid, sid] of classId) {
      if (!cb) {
        cb = new Map();
        this.classBucket.set(id, cb);
      }
      cb.set(cid, sid);
    }
    if (this.verbose) {
      const w = formatFloatG(Math.fround(Math.fround(bucketweight) / 65536));
      this.log(`bucket ${name} (${id}) ${size} items and weight ${w}\n`);
    }
    this.idItem.set(id, name);
    this.itemId.set(name, id);
    this.itemWeight.set(id, bucketweight);

    if (alg === BucketAlg.Uniform && size > 0 && (weights[0] === 0 || Math.floor(0xffffffff / weights[0]!) < size)) {
      // crush_make_bucket returns NULL for a uniform bucket of weight 0; Ceph asserts on it
      this.fail(n.pos, `uniform bucket '${name}' has items of weight 0`, undefined, true);
    }
    const r = this.cw.addBucket(id, alg, hash, type, items, weights).ret;
    if (r < 0) {
      if (r === -Errno.EEXIST) this.fail(n.pos, `Duplicate bucket id ${id}`);
      // crush_make_bucket returned NULL: Ceph's add_bucket asserts
      this.fail(n.pos, `bucket '${name}' cannot be built (crushtool aborts here)`, undefined, true);
    }
    this.cw.setItemName(id, name);
  }

  private parseRule(n: RuleNode): void {
    let rname = '';
    if (n.name !== undefined) {
      if (this.ruleId.has(n.name)) {
        this.fail(n.pos, `rule name '${n.name}' already defined`, `rule name '${n.name}' already defined\n\n`);
      }
      rname = n.name;
    }
    const ruleno = cInt(n.id);
    const type = n.type === 'replicated' ? RuleType.Replicated : RuleType.Erasure;
    const minsize = cInt(n.minSize);
    const maxsize = cInt(n.maxSize);
    const steps = n.steps.length;
    if (this.cw.ruleExists(ruleno)) this.fail(n.pos, `rule ${ruleno} already exists`);
    const r = this.cw.addRule(ruleno, steps, type, minsize, maxsize);
    if (r !== ruleno) this.fail(n.pos, `unable to add rule id ${ruleno} for rule '${rname}'`);
    if (rname.length) {
      this.cw.setRuleName(ruleno, rname);
      this.ruleId.set(rname, ruleno);
    }
    let step = 0;
    for (const s of n.steps) {
      switch (s.op) {
        case 'take': {
          let id = this.itemId.get(s.item);
          if (id === undefined) this.fail(s.pos, `in rule '${rname}' item '${s.item}' not defined`);
          if (s.cls !== undefined) {
            const c = this.cw.getClassId(s.cls);
            if (c < 0) {
              // crushtool gives up here without a word
              this.fail(s.pos, `in rule '${rname}' step take ${s.item}: class ${s.cls} does not exist`, '');
            }
            const cb = this.cw.names.classBucket.get(id);
            if (!cb) this.fail(s.pos, `in rule '${rname}' step take ${s.item} has no class information`);
            const shadow = cb.get(c);
            if (shadow === undefined) {
              this.fail(s.pos, `in rule '${rname}' step take ${s.item} no matching bucket for class ${s.cls}`);
            }
            id = shadow;
          }
          if (this.verbose) {
            this.log(
              s.cls === undefined
                ? `rule ${rname} take ${s.item}\n`
                : `rule ${rname} take ${s.item} remapped to ${this.cw.getItemName(id) ?? ''}\n`,
            );
          }
          this.cw.setRuleStep(ruleno, step++, RuleOp.Take, id, 0);
          break;
        }
        case 'set':
          this.cw.setRuleStep(ruleno, step++, s.which, cInt(s.value), 0);
          break;
        case 'choose': {
          const t = this.typeId.get(s.type);
          if (t === undefined) this.fail(s.pos, `in rule '${rname}' type '${s.type}' not defined`);
          const op = s.leaf
            ? s.mode === 'firstn'
              ? RuleOp.ChooseleafFirstN
              : RuleOp.ChooseleafIndep
            : s.mode === 'firstn'
              ? RuleOp.ChooseFirstN
              : RuleOp.ChooseIndep;
          this.cw.setRuleStep(ruleno, step++, op, cInt(s.n), t);
          break;
        }
        case 'emit':
          this.cw.setRuleStep(ruleno, step++, RuleOp.Emit, 0, 0);
          break;
      }
    }
  }

  private parseChooseArgs(n: ChooseArgsNode): void {
    const index = cInt(n.id);
    if (this.cw.names.chooseArgs.has(index)) this.fail(n.pos, `${index} duplicated`);
    const maxBuckets = this.cw.getMaxBuckets();
    const cmap: CrushChooseArgMap = new Array<CrushChooseArg | null>(maxBuckets).fill(null);
    for (const a of n.args) {
      const bucketId = cInt(a.bucketId);
      if (-1 - bucketId < 0 || -1 - bucketId >= maxBuckets) this.fail(a.pos, `${bucketId} is out of range`);
      const b = this.cw.getBucket(bucketId);
      if (!b) this.fail(a.pos, `${bucketId} does not exist`);
      let arg = cmap[-1 - bucketId];
      if (!arg) {
        arg = { ids: null, weightSet: [] };
        cmap[-1 - bucketId] = arg;
      }
      if (a.weightSet) {
        const sets: Uint32Array[] = [];
        for (const row of a.weightSet.rows) {
          if (row.weights.length !== b.size) {
            this.fail(row.pos, `${bucketId} needs exactly ${b.size} weights but got ${row.weights.length}`);
          }
          sets.push(Uint32Array.from(row.weights.map(weightFromText)));
        }
        arg.weightSet = sets;
      }
      if (a.ids) {
        if (a.ids.ids.length !== b.size) {
          this.fail(a.ids.pos, `${bucketId} needs exactly ${b.size} ids but got ${a.ids.ids.length}`);
        }
        arg.ids = Int32Array.from(a.ids.ids.map(cInt));
      }
    }
    this.cw.names.chooseArgs.set(index, cmap);
  }
}

/**
 * Compile crushtool's text format. Throws CrushCompileError (code EINVAL) naming the line, column and
 * what is wrong, for every input crushtool -c refuses. Give the file's bytes (a Uint8Array) to get
 * crushtool's exact bytes back in crushtoolMessage and the verbose log, as byte strings (write them as
 * latin1); given a string, those come back as text.
 */
export function compileCrushMap(text: string | Uint8Array, opts: CompileOptions = {}): CrushWrapper {
  const filename = opts.filename ?? '<input>';
  const verbose = opts.verbose ?? 0;
  const log = opts.log ?? ((): void => {});
  // text in, text out; bytes in (a file as read), byte strings out (one char per byte, for latin1)
  const out = typeof text === 'string' ? fromByteString : (b: string): string => b;
  const src = prepare(text, out, verbose, log);
  const parser = new Parser(src.big, src.nul);
  const { nodes, stop } = parser.crushmap();
  if (stop !== src.nul) {
    const li = lineIndexOf(src, stop);
    const key = src.lineStarts[li]!;
    const line = src.lineAt[li]!;
    const pos = stop - key;
    const rest = out(src.lineVal[line]!.slice(pos));
    // where the text stopped making sense: the farthest token that did not fit
    let tok = Math.max(stop, parser.far);
    while (tok < src.nul && src.big[tok] === ' ') tok++;
    const atEnd = tok >= src.nul;
    if (tok >= src.origCol.length) tok = Math.max(0, src.origCol.length - 1);
    const tli = lineIndexOf(src, tok);
    const tline = src.lineAt[tli]!;
    const tcol = Math.max(0, tok < src.origCol.length ? src.origCol[tok]! : 0) + 1;
    const printed = `${filename}:${line} error: parse error at '${rest}'\n`;
    const near = fromByteString(src.lineVal[tline]!.slice(Math.max(0, tcol - 1))).trim();
    const reason = atEnd
      ? 'parse error: the map ends in the middle of a statement'
      : `parse error at '${near.length > 40 ? `${near.slice(0, 40)}...` : near}'`;
    throw new CrushCompileError(filename, tline, atEnd ? tcol + 1 : tcol, reason, printed);
  }
  const c = new Compiler(src, filename, verbose, log);
  if (nodes.length === 1) {
    // Spirit collapses a one-child tree; parse_crush then meets an unexpected node and aborts
    c.fail(nodes[0]!.pos, 'a map of a single statement crashes crushtool (ceph_abort in parse_crush)', '', true);
  }
  try {
    c.run(nodes);
  } catch (e) {
    if (e instanceof RangeError) {
      // a bucket hierarchy deeper than the JS stack: refuse it rather than crash
      throw new CrushCompileError(filename, 1, 1, 'the bucket hierarchy is too deep', '', true);
    }
    throw e;
  }
  return c.cw;
}
