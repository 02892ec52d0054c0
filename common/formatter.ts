// Ceph's output formatters, byte for byte: JSONFormatter (src/common/Formatter.cc) in its compact
// ("json") and indented ("json-pretty") forms, and TextTable (src/common/TextTable.cc), the column
// layout behind `crushtool --tree`, `ceph osd tree` and friends. Every tool that prints what Ceph prints
// (crushtool, osdmaptool, the ceph CLI) writes through these.
//
// Number formats follow the C++ streams Ceph uses: integers in decimal; dump_float as an ostream with
// precision 17 in its default (%g-like) notation; fixed notation with a given number of decimals for
// tables. Both are rounded from the exact binary value, half to even, as glibc does (JS's toFixed and
// toPrecision round ties away from zero and so differ on values such as 0.015625).

/** The formatter calls Ceph's dump code makes, camelCased. */
export interface Formatter {
  openObjectSection(name: string): void;
  openArraySection(name: string): void;
  closeSection(): void;
  dumpInt(name: string, v: number | bigint): void;
  dumpUnsigned(name: string, v: number | bigint): void;
  dumpFloat(name: string, v: number): void;
  dumpString(name: string, s: string): void;
  dumpBool(name: string, b: boolean): void;
  dumpNull(name: string): void;
  /** A value printed as given, without quotes (Ceph's dump_format_unquoted). */
  dumpUnquoted(name: string, text: string): void;
  /** Everything written since the last flush; resets the buffered text. */
  flush(): string;
  reset(): void;
}

interface SectionEntry {
  isArray: boolean;
  size: number;
}

const INDENT = '    ';

/** Ceph's JSONFormatter. */
export class JSONFormatter implements Formatter {
  private out = '';
  private readonly stack: SectionEntry[] = [];
  private lineBreak = false;

  constructor(readonly pretty: boolean) {}

  /** A trailing newline on flush (Ceph's enable_line_break; off by default). */
  enableLineBreak(): void {
    this.lineBreak = true;
  }

  reset(): void {
    this.out = '';
    this.stack.length = 0;
  }

  flush(): string {
    let s = this.out;
    if (this.lineBreak) s += '\n';
    this.out = '';
    return s;
  }

  private indent(): void {
    for (let i = 1; i < this.stack.length; i++) this.out += INDENT;
  }

  private printComma(entry: SectionEntry): void {
    if (entry.size) {
      if (this.pretty) {
        this.out += ',\n';
        this.indent();
      } else {
        this.out += ',';
      }
    } else if (this.pretty) {
      this.out += '\n';
      this.indent();
    }
    if (this.pretty && entry.isArray) this.out += INDENT;
  }

  private printName(name: string): void {
    const entry = this.stack[this.stack.length - 1];
    if (!entry) return;
    this.printComma(entry);
    if (!entry.isArray) {
      if (this.pretty) this.out += INDENT;
      // Ceph writes section and field names without escaping them.
      this.out += '"' + name + '"' + (this.pretty ? ': ' : ':');
    }
    entry.size++;
  }

  private openSection(name: string, isArray: boolean): void {
    this.printName(name);
    this.out += isArray ? '[' : '{';
    this.stack.push({ isArray, size: 0 });
  }

  openObjectSection(name: string): void {
    this.openSection(name, false);
  }

  openArraySection(name: string): void {
    this.openSection(name, true);
  }

  closeSection(): void {
    const entry = this.stack[this.stack.length - 1];
    if (!entry) throw new Error('tsceph assertion failed: JSONFormatter.closeSection with no open section');
    if (this.pretty && entry.size) {
      this.out += '\n';
      this.indent();
    }
    this.out += entry.isArray ? ']' : '}';
    this.stack.pop();
    if (this.pretty && this.stack.length === 0) this.out += '\n';
  }

  dumpUnquoted(name: string, text: string): void {
    this.printName(name);
    this.out += text;
  }

  dumpInt(name: string, v: number | bigint): void {
    this.dumpUnquoted(name, formatInteger(v));
  }

  dumpUnsigned(name: string, v: number | bigint): void {
    this.dumpUnquoted(name, formatUnsigned(v));
  }

  dumpFloat(name: string, v: number): void {
    this.dumpUnquoted(name, formatDoubleG(v, 17));
  }

  dumpString(name: string, s: string): void {
    this.printName(name);
    this.out += '"' + escapeJson(s) + '"';
  }

  dumpBool(name: string, b: boolean): void {
    this.dumpUnquoted(name, b ? 'true' : 'false');
  }

  dumpNull(name: string): void {
    this.dumpUnquoted(name, 'null');
  }
}

/** Ceph's xml_stream_escaper: the five XML entities, and control bytes but tab and newline as &#xNN;. */
export function escapeXml(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[<>&'"\x00-\x08\x0b-\x1f\x7f]/.test(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x3c) out += '&lt;';
    else if (c === 0x26) out += '&amp;';
    else if (c === 0x3e) out += '&gt;';
    else if (c === 0x27) out += '&apos;';
    else if (c === 0x22) out += '&quot;';
    else if ((c < 0x20 && c !== 0x09 && c !== 0x0a) || c === 0x7f) out += '&#x' + c.toString(16).padStart(2, '0') + ';';
    else out += s[i];
  }
  return out;
}

/** Ceph's XMLFormatter: one element per section and value, one space of indent per level when pretty. */
export class XMLFormatter implements Formatter {
  protected out = '';
  protected readonly sections: string[] = [];

  constructor(
    readonly pretty: boolean,
    private readonly lowercased = false,
    private readonly underscored = true,
  ) {}

  reset(): void {
    this.out = '';
    this.sections.length = 0;
  }

  flush(): string {
    let s = this.out;
    if (this.pretty) s += '\n';
    this.out = '';
    return s;
  }

  protected elementName(name: string): string {
    let e = name;
    if (this.underscored) e = e.replace(/ /g, '_');
    if (this.lowercased) e = e.toLowerCase();
    return e;
  }

  protected printSpaces(): void {
    if (this.pretty) this.out += ' '.repeat(this.sections.length);
  }

  protected endLine(): void {
    if (this.pretty) this.out += '\n';
  }

  private openSection(name: string): void {
    this.printSpaces();
    const e = this.elementName(name);
    this.out += '<' + e + '>';
    this.endLine();
    this.sections.push(e);
  }

  openObjectSection(name: string): void {
    this.openSection(name);
  }

  openArraySection(name: string): void {
    this.openSection(name);
  }

  closeSection(): void {
    const e = this.sections.pop();
    if (e === undefined) throw new Error('tsceph assertion failed: XMLFormatter.closeSection with no open section');
    this.printSpaces();
    this.out += '</' + e + '>';
    this.endLine();
  }

  protected value(name: string, text: string): void {
    const e = this.elementName(name);
    this.printSpaces();
    this.out += '<' + e + '>' + text + '</' + e + '>';
    this.endLine();
  }

  dumpUnquoted(name: string, text: string): void {
    this.value(name, escapeXml(text));
  }

  dumpInt(name: string, v: number | bigint): void {
    this.value(name, formatInteger(v));
  }

  dumpUnsigned(name: string, v: number | bigint): void {
    this.value(name, formatUnsigned(v));
  }

  dumpFloat(name: string, v: number): void {
    this.value(name, formatDoubleG(v, 17));
  }

  dumpString(name: string, s: string): void {
    this.value(name, escapeXml(s));
  }

  dumpBool(name: string, b: boolean): void {
    this.value(name, b ? 'true' : 'false');
  }

  dumpNull(name: string): void {
    this.value(name, 'null');
  }
}

/** Ceph's HTMLFormatter: XML sections, values as "<li>name: value</li>" (floats with 6 digits). */
export class HTMLFormatter extends XMLFormatter {
  protected override value(name: string, text: string): void {
    this.printSpaces();
    this.out += '<li>' + name + ': ' + text + '</li>';
    this.endLine();
  }

  override dumpFloat(name: string, v: number): void {
    this.value(name, formatDoubleG(v, 6));
  }
}

/**
 * Ceph's TableFormatter: every value becomes a column named by its enclosing sections (innermost
 * first) and a per-name counter, printed as one boxed table, or as key::NAME="VALUE" pairs (table-kv).
 */
export class TableFormatter implements Formatter {
  private rows: [string, string][][] = [];
  private readonly sectionNames: string[] = [];
  private sectionOpen = 0;
  private readonly sectionCount = new Map<string, number>();
  private columnSize: number[] = [];

  constructor(readonly keyval = false) {}

  reset(): void {
    this.rows = [];
    this.sectionNames.length = 0;
    this.sectionOpen = 0;
    this.sectionCount.clear();
    this.columnSize = [];
  }

  openObjectSection(name: string): void {
    this.sectionNames.push(name);
    this.sectionOpen++;
  }

  openArraySection(name: string): void {
    this.openObjectSection(name);
  }

  closeSection(): void {
    this.sectionOpen--;
    const last = this.sectionNames.pop();
    if (last !== undefined) this.sectionCount.set(last, 0);
  }

  private rowIndex(name: string): number {
    if (this.rows.length === 0) this.rows.push([]);
    let i = this.rows.length - 1;
    const row = this.rows[i]!;
    if (row.length > 0 && row[0]![0] === name) {
      this.rows.push([]);
      i++;
    }
    return i;
  }

  private sectionName(name: string): string {
    let t = name;
    for (const s of this.sectionNames) t = s + ':' + t;
    if (this.sectionOpen) {
      const n = this.sectionCount.get(t) ?? 0;
      this.sectionCount.set(t, n + 1);
      return `${t}[${n}]`;
    }
    return t;
  }

  private add(name: string, text: string): void {
    const i = this.rowIndex(name);
    this.rows[i]!.push([this.sectionName(name), text]);
  }

  dumpUnquoted(name: string, text: string): void {
    this.add(name, text);
  }
  dumpInt(name: string, v: number | bigint): void {
    this.add(name, formatInteger(v));
  }
  dumpUnsigned(name: string, v: number | bigint): void {
    this.add(name, formatUnsigned(v));
  }
  dumpFloat(name: string, v: number): void {
    this.add(name, formatDoubleG(v, 17));
  }
  dumpString(name: string, s: string): void {
    this.add(name, s);
  }
  dumpBool(name: string, b: boolean): void {
    this.add(name, b ? 'true' : 'false');
  }
  dumpNull(name: string): void {
    this.add(name, 'null');
  }

  flush(): string {
    const size = [...this.columnSize];
    for (const row of this.rows) {
      for (let j = 0; j < row.length; j++) {
        while (size.length < row.length) size.push(0);
        size.length = row.length; // Ceph resizes the sizes to each row's length
        const [k, v] = row[j]!;
        if (v.length > size[j]!) size[j] = v.length;
        if (k.length > size[j]!) size[j] = k.length;
      }
    }
    let needHeader = size.length !== this.columnSize.length;
    if (!needHeader) for (let i = 0; i < size.length; i++) if (size[i] !== this.columnSize[i]) needHeader = true;
    this.columnSize = size;
    let out = '';
    const rule = (row: [string, string][]): string => {
      let l = '+';
      for (let j = 0; j < row.length; j++) l += '-'.repeat(size[j]! + 3) + '+';
      return l + '\n';
    };
    this.rows.forEach((row, i) => {
      if (i === 0 && needHeader && !this.keyval) {
        out += rule(row) + '|';
        for (let j = 0; j < row.length; j++) out += ' ' + row[j]![0].padEnd(size[j]! + 2) + '|';
        out += '\n' + rule(row);
      }
      if (!this.keyval) out += '|';
      for (let j = 0; j < row.length; j++) {
        const [k, v] = row[j]!;
        if (this.keyval) out += `key::${k}="${v}" `;
        else out += ' ' + v.padEnd(size[j]! + 2) + '|';
      }
      out += '\n';
      if (!this.keyval && i === this.rows.length - 1) out += rule(row);
    });
    this.rows = [];
    return out;
  }
}

/**
 * Ceph's Formatter::create: json, json-pretty, xml, xml-pretty, html, html-pretty, table, table-kv;
 * an unknown type uses `fallback` if given, else null.
 */
export function createFormatter(type: string, defaultType = 'json-pretty', fallback = ''): Formatter | null {
  const t = type === '' ? defaultType : type;
  switch (t) {
    case 'json':
      return new JSONFormatter(false);
    case 'json-pretty':
      return new JSONFormatter(true);
    case 'xml':
      return new XMLFormatter(false);
    case 'xml-pretty':
      return new XMLFormatter(true);
    case 'html':
      return new HTMLFormatter(false);
    case 'html-pretty':
      return new HTMLFormatter(true);
    case 'table':
      return new TableFormatter(false);
    case 'table-kv':
      return new TableFormatter(true);
  }
  if (fallback !== '') return createFormatter(fallback, '', '');
  return null;
}

/** An unsigned 64-bit value as C++ prints a uint64_t: negative inputs wrap around as a cast would. */
function formatUnsigned(v: number | bigint): string {
  if (typeof v === 'number' && v >= 0) return formatInteger(v);
  return BigInt.asUintN(64, typeof v === 'bigint' ? v : BigInt(Math.trunc(v))).toString();
}

function formatInteger(v: number | bigint): string {
  if (typeof v === 'bigint') return v.toString();
  if (Number.isInteger(v)) return Object.is(v, -0) ? '0' : v.toFixed(0);
  return String(Math.trunc(v));
}

// eslint-disable-next-line no-control-regex
const JSON_ESCAPE_RE = /["\\\t\n\x00-\x1f\x7f]/;

/** Ceph's json_stream_escaper: quote, backslash, tab, newline, and other control bytes as \u00XX. */
export function escapeJson(s: string): string {
  if (!JSON_ESCAPE_RE.test(s)) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += '\\\\';
    else if (c === 0x09) out += '\\t';
    else if (c === 0x0a) out += '\\n';
    else if (c < 0x20 || c === 0x7f) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += s[i];
  }
  return out;
}

// ---- exact decimal formatting of doubles ----

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/**
 * The exact decimal value of a finite non-zero |d|: digits (no leading zeros) and the power of ten of
 * the digit after the decimal point, i.e. |d| = 0.DIGITS x 10^pointPos.
 */
function exactDecimal(d: number): { digits: string; pointPos: number } {
  f64[0] = Math.abs(d);
  const lo = u32[0]!;
  const hi = u32[1]!;
  const biasedExp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (biasedExp === 0) {
    exp = -1074;
  } else {
    mant |= 1n << 52n;
    exp = biasedExp - 1075;
  }
  let digits: string;
  let fracDigits: number;
  if (exp >= 0) {
    digits = (mant << BigInt(exp)).toString();
    fracDigits = 0;
  } else {
    digits = (mant * 5n ** BigInt(-exp)).toString();
    fracDigits = -exp;
  }
  // value = digits x 10^-fracDigits; strip leading zeros is not needed (BigInt toString has none)
  let end = digits.length;
  while (end > 1 && digits.charCodeAt(end - 1) === 48) {
    end--;
    fracDigits--;
  }
  digits = digits.slice(0, end);
  return { digits, pointPos: digits.length - fracDigits };
}

/**
 * Round a digit string to `keep` digits, half to even. Returns the rounded digits (length keep, or
 * keep + 1 when a carry added a digit) — keep may be <= 0, meaning the value rounds to 0 or to 1 unit.
 */
function roundDigits(digits: string, keep: number): { digits: string; carried: boolean } {
  if (keep >= digits.length) return { digits: digits.padEnd(keep, '0'), carried: false };
  let head = keep > 0 ? digits.slice(0, keep) : '';
  const rest = keep >= 0 ? digits.slice(keep) : '0'.repeat(-keep) + digits;
  const first = rest.charCodeAt(0) - 48;
  let up = false;
  if (first > 5) up = true;
  else if (first === 5) {
    let beyond = false;
    for (let i = 1; i < rest.length; i++) if (rest.charCodeAt(i) !== 48) beyond = true;
    if (beyond) up = true;
    else {
      const lastKept = head.length > 0 ? head.charCodeAt(head.length - 1) - 48 : 0;
      up = lastKept % 2 === 1;
    }
  }
  if (!up) return { digits: head, carried: false };
  if (head.length === 0) return { digits: '1', carried: true };
  const inc = (BigInt(head) + 1n).toString();
  const carried = inc.length > head.length;
  head = inc.padStart(head.length, '0');
  return { digits: head, carried };
}

function nonFinite(d: number): string {
  if (Number.isNaN(d)) return 'nan';
  return d > 0 ? 'inf' : '-inf';
}

/** C's printf("%.*f", decimals, d) (and an ostream with std::fixed and that precision). */
export function formatFixed(d: number, decimals: number): string {
  if (!Number.isFinite(d)) return nonFinite(d);
  const neg = d < 0 || Object.is(d, -0);
  if (d === 0) return (neg ? '-' : '') + (decimals > 0 ? '0.' + '0'.repeat(decimals) : '0');
  const { digits, pointPos } = exactDecimal(d);
  // d x 10^decimals has pointPos + decimals integer digits; round it to an integer, half to even
  const scaled = roundDigits(digits, pointPos + decimals).digits || '0';
  const padded = scaled.padStart(decimals + 1, '0');
  const intPart = padded.slice(0, padded.length - decimals);
  const body = decimals > 0 ? `${intPart}.${padded.slice(padded.length - decimals)}` : intPart;
  return (neg ? '-' : '') + body;
}

/** C's printf("%.*g", precision, d): what an ostream with that precision prints by default. */
export function formatDoubleG(d: number, precision = 6): string {
  if (!Number.isFinite(d)) return nonFinite(d);
  const p = precision === 0 ? 1 : precision;
  const neg = d < 0 || Object.is(d, -0);
  if (d === 0) return neg ? '-0' : '0';
  const { digits, pointPos } = exactDecimal(d);
  const r = roundDigits(digits, p);
  let sig = r.digits;
  let x = pointPos - 1; // exponent of the first digit
  if (r.carried) {
    x++;
    sig = sig.slice(0, p);
  }
  // strip trailing zeros (no '#' flag)
  let end = sig.length;
  while (end > 1 && sig.charCodeAt(end - 1) === 48) end--;
  sig = sig.slice(0, end);
  let body: string;
  if (x < -4 || x >= p) {
    const mant = sig.length > 1 ? `${sig[0]}.${sig.slice(1)}` : sig;
    const ax = Math.abs(x);
    body = `${mant}e${x < 0 ? '-' : '+'}${ax < 10 ? '0' : ''}${ax}`;
  } else if (x >= 0) {
    const intPart = sig.length > x + 1 ? sig.slice(0, x + 1) : sig.padEnd(x + 1, '0');
    const frac = sig.length > x + 1 ? sig.slice(x + 1) : '';
    body = frac ? `${intPart}.${frac}` : intPart;
  } else {
    body = '0.' + '0'.repeat(-x - 1) + sig;
  }
  return (neg ? '-' : '') + body;
}

// ---- TextTable ----

export const enum Align {
  Left = 0,
  Center = 1,
  Right = 2,
}

interface TextTableColumn {
  heading: string;
  width: number;
  hdAlign: Align;
  colAlign: Align;
}

function pad(s: string, width: number, align: Align): string {
  const len = s.length;
  if (len >= width) return s;
  switch (align) {
    case Align.Left:
      return s + ' '.repeat(width - len);
    case Align.Right:
      return ' '.repeat(width - len) + s;
    case Align.Center: {
      const lpad = Math.floor(width / 2) - Math.floor(len / 2);
      const l = Math.max(0, lpad);
      return ' '.repeat(l) + s + ' '.repeat(Math.max(0, width - l - len));
    }
  }
}

/** Ceph's TextTable: define columns, add cells row by row, then render. */
export class TextTable {
  private readonly cols: TextTableColumn[] = [];
  private readonly rows: string[][] = [];
  private current: string[] = [];
  /** Spaces before every cell (Ceph's indent). */
  indent = 0;
  /** Between columns (Ceph's column_separation). */
  columnSeparation = '  ';

  defineColumn(heading: string, hdAlign: Align, colAlign: Align): void {
    this.cols.push({ heading, width: heading.length, hdAlign, colAlign });
  }

  /** Add the next cell of the current row (Ceph's operator<<). */
  cell(value: string | number): this {
    const s = typeof value === 'number' ? String(value) : value;
    const col = this.cols[this.current.length];
    if (!col) throw new Error('tsceph assertion failed: TextTable row has more cells than columns');
    if (s.length > col.width) col.width = s.length;
    this.current.push(s);
    return this;
  }

  /** Close the current row (Ceph's TextTable::endrow). */
  endRow(): this {
    if (this.current.length !== this.cols.length) {
      throw new Error('tsceph assertion failed: TextTable row has fewer cells than columns');
    }
    this.rows.push(this.current);
    this.current = [];
    return this;
  }

  clear(): void {
    this.rows.length = 0;
    this.current = [];
    for (const c of this.cols) c.width = c.heading.length;
  }

  toString(): string {
    const ind = ' '.repeat(this.indent);
    const lines: string[] = [];
    let line = '';
    for (let i = 0; i < this.cols.length; i++) {
      const c = this.cols[i]!;
      if (i) line += this.columnSeparation;
      line += ind + pad(c.heading, c.width, c.hdAlign);
    }
    lines.push(line);
    for (const row of this.rows) {
      line = '';
      for (let j = 0; j < row.length; j++) {
        const c = this.cols[j]!;
        if (j) line += this.columnSeparation;
        line += ind + pad(row[j]!, c.width, c.colAlign);
      }
      lines.push(line);
    }
    return lines.join('\n') + '\n';
  }
}
