// A randomized model checker for RADOS objects, in the spirit of Ceph's ceph_test_rados (src/test/osd/
// RadosModel.h): a seeded stream of operations over a small set of objects (writes at offsets, writefull,
// append, truncate, zero, remove, create, xattrs, omap keys / clear / header, compound ops), a model of
// what each object must hold, and reads that check every byte, xattr and omap entry against it.
//
// What it proves: no acknowledged write is lost, no read returns anything but a state the model allows
// (never bytes that were never written, never a stale state), and errors are the ones Ceph returns.
//
// Walk-through:
//   1. Op i of the stream is made from caseSeed(seed, i) alone (object, kind, offsets, bytes), so the
//      same seed gives the same stream whatever the timing; only outcomes depend on the cluster.
//   2. Ops are issued in stream order, at most `inFlight` at once, at most one per object (an op waits
//      for its object's previous op: per-object order, as a client that waits for its acks).
//   3. A write's predicted result comes from applying its steps to the model state in order: a step that
//      fails (ENOENT, EEXIST) fails the whole compound op and changes nothing (Ceph runs it atomically).
//      The reply must carry that result.
//   4. An op whose outcome is unknown (timeout, connection lost with it in flight) leaves the object
//      with two candidate states, before and after. Before the object's next op a read resolves it:
//      the read must match one candidate, which becomes the state. A read matching none is a failure.
//   5. verifyAll() reads every object at the end (after faults stop) and checks it.
// A failure names seed=<run seed>, the op, what was expected and got, and the object's op history.
//
// The checker talks to a CheckerClient (write steps atomically, read an object's whole state), so the
// same workload runs over librados against a real cluster (RadosCheckerClient), or over any other
// client (the deterministic simulation's in-memory one, MemoryCheckerClient here).

import { CephError } from '../../common/errors.js';
import { ReadOp, WriteOp, type IoCtx } from '../../librados/index.js';
import { Rng, caseSeed } from './rng.js';

// ---------------------------------------------------------------------------------------------------
// Operations and object state

export type WriteStep =
  | { kind: 'write'; offset: number; data: Buffer }
  | { kind: 'writefull'; data: Buffer }
  | { kind: 'append'; data: Buffer }
  | { kind: 'truncate'; size: number }
  | { kind: 'zero'; offset: number; length: number }
  | { kind: 'remove' }
  | { kind: 'create'; exclusive: boolean }
  | { kind: 'setxattr'; name: string; value: Buffer }
  | { kind: 'rmxattr'; name: string }
  | { kind: 'omapset'; entries: Map<string, Buffer> }
  | { kind: 'omaprm'; keys: string[] }
  | { kind: 'omapclear' }
  | { kind: 'omapheader'; header: Buffer };

export type StepKind = WriteStep['kind'];

/** What one op of the stream does. */
export type CheckerOp =
  | { kind: 'read' }
  | { kind: 'readrange'; offset: number; length: number }
  | { kind: 'compound'; steps: WriteStep[] }
  | WriteStep;

export type OpKind = CheckerOp['kind'];

/** An existing object's whole client-visible state. */
export interface ObjectState {
  data: Buffer;
  xattrs: Map<string, Buffer>;
  omap: Map<string, Buffer>;
  omapHeader: Buffer;
}

/** null: the object does not exist. */
export type MaybeObject = ObjectState | null;

/**
 * What the checker needs from a client. Errors are thrown as objects with Ceph's errno name in `code`
 * (CephError): ENOENT / EEXIST are results, ETIMEDOUT and the like mean the outcome is unknown.
 */
export interface CheckerClient {
  /** Apply the steps to one object atomically (one compound op). */
  write(oid: string, steps: readonly WriteStep[]): Promise<void>;
  /** The object's whole state in one atomic read, or null when it does not exist. */
  read(oid: string): Promise<MaybeObject>;
  /** `length` bytes from `offset` (fewer at the end; ENOENT when absent). */
  readRange(oid: string, offset: number, length: number): Promise<Buffer>;
}

/** Error codes after which the op may or may not have been applied. */
export const UNKNOWN_OUTCOME_CODES: ReadonlySet<string> = new Set([
  'ETIMEDOUT', 'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ESHUTDOWN', 'EPIPE', 'ENOTCONN', 'EAGAIN', 'EINTR', 'ECANCELED',
]);

const errCode = (e: unknown): string => (e instanceof CephError || (typeof e === 'object' && e !== null && 'code' in e)
  ? String((e as { code: unknown }).code) : 'EUNKNOWN');

function cloneState(s: MaybeObject): MaybeObject {
  return s === null ? null : { data: Buffer.from(s.data), xattrs: new Map(s.xattrs), omap: new Map(s.omap), omapHeader: s.omapHeader };
}

const emptyObject = (): ObjectState => ({ data: Buffer.alloc(0), xattrs: new Map(), omap: new Map(), omapHeader: Buffer.alloc(0) });

function resize(data: Buffer, size: number): Buffer {
  if (size <= data.length) return Buffer.from(data.subarray(0, size));
  const out = Buffer.alloc(size);
  data.copy(out);
  return out;
}

/**
 * One step on a state, as Ceph 16's PrimaryLogPG does it (checked against a real ceph-osd): writes,
 * setxattr, omap set and omap header create the object; truncate and zero on a missing object do
 * nothing; remove, rmxattr, omap rm and omap clear on a missing object are ENOENT; zero reaching the
 * end of the object truncates it at the offset; omap clear drops the header too.
 * Returns the new state, or an errno name.
 */
export function applyStep(s: MaybeObject, step: WriteStep): MaybeObject | string {
  const o = s === null ? null : cloneState(s)!;
  const made = (): ObjectState => o ?? emptyObject();
  switch (step.kind) {
    case 'write': {
      const x = made();
      const end = step.offset + step.data.length;
      if (end > x.data.length) x.data = resize(x.data, end);
      step.data.copy(x.data, step.offset);
      return x;
    }
    case 'writefull': {
      const x = made();
      x.data = Buffer.from(step.data);
      return x;
    }
    case 'append': {
      const x = made();
      x.data = Buffer.concat([x.data, step.data]);
      return x;
    }
    case 'truncate':
      if (o === null) return null;
      o.data = resize(o.data, step.size);
      return o;
    case 'zero':
      if (o === null || step.offset >= o.data.length) return o;
      if (step.offset + step.length >= o.data.length) o.data = resize(o.data, step.offset);
      else o.data.fill(0, step.offset, step.offset + step.length);
      return o;
    case 'remove':
      return o === null ? 'ENOENT' : null;
    case 'create':
      if (o !== null && step.exclusive) return 'EEXIST';
      return made();
    case 'setxattr': {
      const x = made();
      x.xattrs.set(step.name, step.value);
      return x;
    }
    case 'rmxattr':
      if (o === null) return 'ENOENT';
      o.xattrs.delete(step.name);
      return o;
    case 'omapset': {
      const x = made();
      for (const [k, v] of step.entries) x.omap.set(k, v);
      return x;
    }
    case 'omaprm':
      if (o === null) return 'ENOENT';
      for (const k of step.keys) o.omap.delete(k);
      return o;
    case 'omapclear':
      if (o === null) return 'ENOENT';
      o.omap.clear();
      o.omapHeader = Buffer.alloc(0);
      return o;
    case 'omapheader': {
      const x = made();
      x.omapHeader = step.header;
      return x;
    }
  }
}

/** Steps in order, atomically: the first failing step's errno and no change, or the new state. */
export function applySteps(s: MaybeObject, steps: readonly WriteStep[]): { state: MaybeObject; result: string } {
  let cur = s;
  for (const step of steps) {
    const r = applyStep(cur, step);
    if (typeof r === 'string') return { state: s, result: r };
    cur = r;
  }
  return { state: cur, result: 'ok' };
}

function mapsEqual(a: ReadonlyMap<string, Buffer>, b: ReadonlyMap<string, Buffer>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) {
    const w = b.get(k);
    if (w === undefined || !w.equals(v)) return false;
  }
  return true;
}

export function statesEqual(a: MaybeObject, b: MaybeObject): boolean {
  if (a === null || b === null) return a === b;
  return a.data.equals(b.data) && mapsEqual(a.xattrs, b.xattrs) && mapsEqual(a.omap, b.omap) && a.omapHeader.equals(b.omapHeader);
}

const hexAround = (b: Buffer, at: number): string => b.subarray(Math.max(0, at - 4), at + 12).toString('hex');

function describeMap(m: ReadonlyMap<string, Buffer>): string {
  return `{${[...m.keys()].sort().map((k) => `${k}:${m.get(k)!.length}B/${m.get(k)!.subarray(0, 6).toString('hex')}`).join(' ')}}`;
}

/** Where two states differ, in one line (for a failure report). */
export function diffStates(want: MaybeObject, got: MaybeObject): string {
  if (want === null || got === null) {
    return `expected ${want === null ? 'no object' : `an object of ${want.data.length} B`}, got ${got === null ? 'no object (ENOENT)' : `an object of ${got.data.length} B`}`;
  }
  const out: string[] = [];
  if (!want.data.equals(got.data)) {
    let i = 0;
    while (i < want.data.length && i < got.data.length && want.data[i] === got.data[i]) i++;
    out.push(`data: size ${want.data.length} expected, ${got.data.length} got; first difference at byte ${i}: expected ${hexAround(want.data, i)} got ${hexAround(got.data, i)}`);
  }
  if (!mapsEqual(want.xattrs, got.xattrs)) out.push(`xattrs: expected ${describeMap(want.xattrs)} got ${describeMap(got.xattrs)}`);
  if (!mapsEqual(want.omap, got.omap)) out.push(`omap: expected ${describeMap(want.omap)} got ${describeMap(got.omap)}`);
  if (!want.omapHeader.equals(got.omapHeader)) out.push(`omap header: expected ${want.omapHeader.toString('hex')} got ${got.omapHeader.toString('hex')}`);
  return out.join('; ');
}

function describeStep(s: WriteStep): string {
  switch (s.kind) {
    case 'write': return `write ${s.offset}~${s.data.length}`;
    case 'writefull': return `writefull ${s.data.length}`;
    case 'append': return `append ${s.data.length}`;
    case 'truncate': return `truncate ${s.size}`;
    case 'zero': return `zero ${s.offset}~${s.length}`;
    case 'create': return `create${s.exclusive ? ' excl' : ''}`;
    case 'setxattr': return `setxattr ${s.name}=${s.value.length}B`;
    case 'rmxattr': return `rmxattr ${s.name}`;
    case 'omapset': return `omapset ${[...s.entries.keys()].join(',')}`;
    case 'omaprm': return `omaprm ${s.keys.join(',')}`;
    case 'omapheader': return `omapheader ${s.header.length}B`;
    default: return s.kind;
  }
}

export function describeOp(op: CheckerOp): string {
  if (op.kind === 'read') return 'read';
  if (op.kind === 'readrange') return `readrange ${op.offset}~${op.length}`;
  if (op.kind === 'compound') return `compound [${op.steps.map(describeStep).join(', ')}]`;
  return describeStep(op);
}

// ---------------------------------------------------------------------------------------------------
// The generator

export interface CheckerOptions {
  /** The run's seed (printed as seed=<n> with any failure). */
  seed: number;
  /** Ops of the stream to run. */
  ops: number;
  /** Stop issuing new ops after this long (ms), even if `ops` are not done. */
  durationMs?: number;
  /** How many objects (default 16). */
  objects?: number;
  /** Object name prefix (default 'mc-'). */
  prefix?: string;
  /** Ops in flight at once, on different objects (default 4). */
  inFlight?: number;
  /** Offsets and sizes stay below this (default 64 KiB); appends past it become truncates. */
  objectBytesMax?: number;
  /** Largest single write (default 16 KiB). */
  writeBytesMax?: number;
  /** Relative weights of op kinds (missing kinds keep their default weight; 0 turns one off). */
  weights?: Partial<Record<OpKind, number>>;
  /** How often to try again a read whose outcome is unknown (default 30). */
  readRetriesMax?: number;
  /** Called for every op finished (progress, tracing). */
  onOp?: (e: HistoryEntry) => void;
  /** The clock for durationMs and the report (default Date.now; a simulation passes its own). */
  now?: () => number;
}

/** Default op mix (roughly ceph_test_rados' default weights, plus omap, zero and compound ops). */
export const DEFAULT_WEIGHTS: Readonly<Record<OpKind, number>> = {
  read: 20, readrange: 6, write: 16, writefull: 6, append: 8, truncate: 4, zero: 4, remove: 3, create: 2,
  setxattr: 6, rmxattr: 3, omapset: 6, omaprm: 3, omapclear: 1, omapheader: 2, compound: 8,
};

const XATTR_NAMES = ['a', 'b', 'c', 'd', 'e'];
const OMAP_KEYS = Array.from({ length: 16 }, (_, i) => `k${String(i).padStart(2, '0')}`);

/** Bytes that carry the op's seed, so a report can tell which write a stray byte came from. */
function payload(rng: Rng, len: number): Buffer {
  const b = Buffer.allocUnsafe(len);
  for (let i = 0; i < len; i++) b[i] = Math.floor(rng.next() * 256);
  return b;
}

function genStep(rng: Rng, kind: StepKind, objMax: number, wrMax: number): WriteStep {
  const len = (): number => rng.int(1, wrMax);
  switch (kind) {
    case 'write': {
      const l = len();
      return { kind, offset: rng.int(0, Math.max(0, objMax - l)), data: payload(rng, l) };
    }
    case 'writefull': return { kind, data: payload(rng, rng.chance(0.05) ? 0 : len()) };
    case 'append': return { kind, data: payload(rng, rng.int(1, Math.max(1, wrMax >> 1))) };
    case 'truncate': return { kind, size: rng.int(0, objMax) };
    // Never length 0: a real Ceph 16 primary dies on it (FAILED ceph_assert(op.extent.length) in
    // PrimaryLogPG.cc), and the client's resend then kills the next primary too.
    case 'zero': return { kind, offset: rng.int(0, objMax - 1), length: rng.int(1, wrMax) };
    case 'remove': return { kind };
    case 'create': return { kind, exclusive: rng.chance(0.5) };
    case 'setxattr': return { kind, name: rng.pick(XATTR_NAMES), value: payload(rng, rng.int(0, 64)) };
    case 'rmxattr': return { kind, name: rng.pick(XATTR_NAMES) };
    case 'omapset': {
      const entries = new Map<string, Buffer>();
      for (let n = rng.int(1, 4); n > 0; n--) entries.set(rng.pick(OMAP_KEYS), payload(rng, rng.int(0, 48)));
      return { kind, entries };
    }
    case 'omaprm': return { kind, keys: Array.from({ length: rng.int(1, 3) }, () => rng.pick(OMAP_KEYS)) };
    case 'omapclear': return { kind };
    case 'omapheader': return { kind, header: payload(rng, rng.int(0, 32)) };
  }
}

const STEP_KINDS: readonly StepKind[] = ['write', 'writefull', 'append', 'truncate', 'zero', 'remove', 'create', 'setxattr', 'rmxattr', 'omapset', 'omaprm', 'omapclear', 'omapheader'];

export interface GeneratedOp {
  index: number;
  object: number;
  op: CheckerOp;
}

/** Op `index` of the stream of `seed`: a function of the two alone. */
export function generateOp(seed: number, index: number, opts: { objects: number; objectBytesMax: number; writeBytesMax: number; weights: Readonly<Record<OpKind, number>> }): GeneratedOp {
  const rng = new Rng(caseSeed(seed, index));
  const object = rng.int(0, opts.objects - 1);
  const kinds = Object.keys(opts.weights) as OpKind[];
  const total = kinds.reduce((a, k) => a + opts.weights[k], 0);
  let x = rng.next() * total;
  let kind: OpKind = kinds[0]!;
  for (const k of kinds) {
    x -= opts.weights[k];
    if (x < 0) { kind = k; break; }
  }
  const objMax = opts.objectBytesMax;
  const wrMax = Math.min(opts.writeBytesMax, objMax);
  let op: CheckerOp;
  if (kind === 'read') op = { kind };
  else if (kind === 'readrange') op = { kind, offset: rng.int(0, objMax), length: rng.int(1, wrMax) };
  else if (kind === 'compound') {
    const steps: WriteStep[] = [];
    for (let n = rng.int(2, 4); n > 0; n--) {
      // At most one remove per compound op: Ceph 16 turns remove, (re)create, remove of an existing
      // object within one op into no change at all (the object keeps its old data; seen with a real
      // ceph-osd, BlueStore and MemStore alike), which is not what a client means and not worth modelling.
      const kinds = steps.some((s) => s.kind === 'remove') ? STEP_KINDS.filter((k) => k !== 'remove') : STEP_KINDS;
      steps.push(genStep(rng, rng.pick(kinds), objMax, wrMax));
    }
    op = { kind, steps };
  } else op = genStep(rng, kind, objMax, wrMax);
  return { index, object, op };
}

// ---------------------------------------------------------------------------------------------------
// The checker

export type Outcome = 'ok' | 'unknown' | string;

export interface HistoryEntry {
  /** Stream index, or -1 for a read the checker added (to resolve an unknown outcome, or at the end). */
  index: number;
  oid: string;
  what: string;
  /** The model's prediction (a write's result), or '' for reads. */
  expected: string;
  outcome: Outcome;
  note?: string;
}

export interface CheckerReport {
  seed: number;
  opsDone: number;
  byKind: Record<string, number>;
  /** Ops whose outcome was unknown, and how each resolved. */
  unknown: number;
  resolvedApplied: number;
  resolvedNotApplied: number;
  readRetries: number;
  failures: string[];
  elapsedMs: number;
}

export class ModelCheckError extends Error {
  constructor(readonly report: CheckerReport, text: string) {
    super(text);
    this.name = 'ModelCheckError';
  }
}

/** Entries of an object's history kept for a failure report. */
export const HISTORY_ENTRIES_MAX = 40;

interface ObjectModel {
  oid: string;
  /** The possible states: one when known, more after ops whose outcome is unknown. */
  candidates: MaybeObject[];
  busy: Promise<void> | null;
  history: HistoryEntry[];
}

export class ModelChecker {
  private readonly objects: ObjectModel[];
  private readonly weights: Readonly<Record<OpKind, number>>;
  private readonly objectBytesMax: number;
  private readonly writeBytesMax: number;
  private readonly inFlight: number;
  private readonly readRetriesMax: number;
  private readonly byKind: Record<string, number> = {};
  private readonly failures: string[] = [];
  private opsDone = 0;
  private unknown = 0;
  private resolvedApplied = 0;
  private resolvedNotApplied = 0;
  private readRetries = 0;
  private startMs = 0;
  private stopRequested = false;
  private readonly now: () => number;

  constructor(private readonly client: CheckerClient, private readonly opts: CheckerOptions) {
    const n = opts.objects ?? 16;
    const prefix = opts.prefix ?? 'mc-';
    this.objects = Array.from({ length: n }, (_, i) => ({ oid: `${prefix}${i}`, candidates: [null], busy: null, history: [] }));
    this.weights = { ...DEFAULT_WEIGHTS, ...(opts.weights ?? {}) };
    this.objectBytesMax = opts.objectBytesMax ?? 64 * 1024;
    this.writeBytesMax = opts.writeBytesMax ?? 16 * 1024;
    this.inFlight = opts.inFlight ?? 4;
    this.readRetriesMax = opts.readRetriesMax ?? 30;
    this.now = opts.now ?? Date.now;
  }

  /** Stop issuing new ops (the ones in flight finish). */
  requestStop(): void {
    this.stopRequested = true;
  }

  get failed(): boolean {
    return this.failures.length > 0;
  }

  /** Run the stream; resolves with the report, rejects with ModelCheckError at the first violation. */
  async run(): Promise<CheckerReport> {
    this.startMs = this.now();
    const deadline = this.opts.durationMs !== undefined ? this.startMs + this.opts.durationMs : Infinity;
    const running = new Set<Promise<void>>();
    for (let i = 0; i < this.opts.ops; i++) {
      if (this.stopRequested || this.failed || this.now() > deadline) break;
      const g = generateOp(this.opts.seed, i, { objects: this.objects.length, objectBytesMax: this.objectBytesMax, writeBytesMax: this.writeBytesMax, weights: this.weights });
      const obj = this.objects[g.object]!;
      // Per-object order, then room in the window (issue order stays the stream's order).
      while (obj.busy) await obj.busy;
      while (running.size >= this.inFlight) await Promise.race(running);
      if (this.failed) break;
      const p: Promise<void> = this.execute(obj, g).finally(() => {
        running.delete(p);
        obj.busy = null;
      });
      obj.busy = p;
      running.add(p);
    }
    await Promise.all(running);
    return this.finish();
  }

  /** Read every object (after faults stop) and check it; resolves unknown outcomes. */
  async verifyAll(): Promise<CheckerReport> {
    if (this.startMs === 0) this.startMs = this.now();
    for (const obj of this.objects) {
      if (this.failed) break;
      await this.checkedRead(obj, -1, 'final read');
    }
    return this.finish();
  }

  report(): CheckerReport {
    return {
      seed: this.opts.seed, opsDone: this.opsDone, byKind: { ...this.byKind }, unknown: this.unknown,
      resolvedApplied: this.resolvedApplied, resolvedNotApplied: this.resolvedNotApplied, readRetries: this.readRetries,
      failures: [...this.failures], elapsedMs: this.now() - this.startMs,
    };
  }

  /** The report as a few lines of text. */
  static format(r: CheckerReport): string {
    const kinds = Object.keys(r.byKind).sort().map((k) => `${k}=${r.byKind[k]}`).join(' ');
    const lines = [
      `model checker seed=${r.seed}: ${r.opsDone} ops in ${r.elapsedMs} ms (${kinds}); unknown outcomes ${r.unknown} ` +
        `(applied ${r.resolvedApplied}, not applied ${r.resolvedNotApplied}); read retries ${r.readRetries}`,
    ];
    for (const f of r.failures) lines.push(`FAILURE seed=${r.seed}: ${f}`);
    return lines.join('\n');
  }

  private finish(): CheckerReport {
    const r = this.report();
    if (r.failures.length > 0) throw new ModelCheckError(r, ModelChecker.format(r));
    return r;
  }

  private record(obj: ObjectModel, e: HistoryEntry): void {
    obj.history.push(e);
    if (obj.history.length > HISTORY_ENTRIES_MAX) obj.history.shift();
    this.opts.onOp?.(e);
  }

  private fail(obj: ObjectModel, what: string): void {
    const hist = obj.history.map((h) =>
      `    ${h.index >= 0 ? `#${h.index}` : '(check)'} ${h.what}${h.expected ? ` expect ${h.expected}` : ''} -> ${h.outcome}${h.note ? ` (${h.note})` : ''}`);
    this.failures.push(`${obj.oid}: ${what}\n  replay: MODEL_SEED=${this.opts.seed}; history of ${obj.oid} (oldest first, last ${obj.history.length}):\n${hist.join('\n')}`);
  }

  private count(kind: string): void {
    this.byKind[kind] = (this.byKind[kind] ?? 0) + 1;
    this.opsDone++;
  }

  private async execute(obj: ObjectModel, g: GeneratedOp): Promise<void> {
    // An object with several possible states is read first, to learn which it is.
    if (obj.candidates.length > 1) {
      if (!(await this.checkedRead(obj, -1, 'resolve'))) return;
    }
    let op = g.op;
    // Keep objects bounded: an append past the limit becomes a truncate.
    const cur = obj.candidates[0]!;
    if (op.kind === 'append' && cur !== null && cur.data.length + op.data.length > this.objectBytesMax) {
      op = { kind: 'truncate', size: Math.floor(cur.data.length / 2) };
    }
    this.count(op.kind);
    if (op.kind === 'read') {
      await this.checkedRead(obj, g.index, 'read');
      return;
    }
    if (op.kind === 'readrange') {
      await this.checkedRangeRead(obj, g.index, op.offset, op.length);
      return;
    }
    const steps = op.kind === 'compound' ? op.steps : [op];
    const before = obj.candidates[0]!;
    const predicted = applySteps(before, steps);
    let outcome: Outcome;
    try {
      await this.client.write(obj.oid, steps);
      outcome = 'ok';
    } catch (e) {
      const code = errCode(e);
      outcome = UNKNOWN_OUTCOME_CODES.has(code) ? 'unknown' : code;
    }
    this.record(obj, { index: g.index, oid: obj.oid, what: describeOp(op), expected: predicted.result, outcome });
    if (outcome === 'unknown') {
      this.unknown++;
      if (predicted.result === 'ok' && !statesEqual(before, predicted.state)) obj.candidates = [before, predicted.state];
      return;
    }
    if (outcome !== predicted.result) {
      this.fail(obj, `#${g.index} ${describeOp(op)} returned ${outcome}, the model expected ${predicted.result}`);
      return;
    }
    obj.candidates = [predicted.state];
  }

  /** Read until the outcome is known (retrying unknown ones); check against the candidates. */
  private async checkedRead(obj: ObjectModel, index: number, why: string): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      let got: MaybeObject;
      try {
        got = await this.client.read(obj.oid);
      } catch (e) {
        const code = errCode(e);
        if (UNKNOWN_OUTCOME_CODES.has(code) && attempt < this.readRetriesMax) {
          this.readRetries++;
          continue;
        }
        this.record(obj, { index, oid: obj.oid, what: why, expected: '', outcome: code });
        this.fail(obj, `${why} failed with ${code}${attempt > 0 ? ` after ${attempt} tries` : ''}`);
        return false;
      }
      const match = obj.candidates.findIndex((c) => statesEqual(c, got));
      const several = obj.candidates.length > 1;
      this.record(obj, {
        index, oid: obj.oid, what: why, expected: '', outcome: got === null ? 'ENOENT' : `${got.data.length} B`,
        note: several ? (match === 1 ? 'the unknown op was applied' : match === 0 ? 'the unknown op was not applied' : undefined) : undefined,
      });
      if (match < 0) {
        const diffs = obj.candidates.map((c, i) => `${several ? (i === 0 ? 'if the unknown op was not applied: ' : 'if it was: ') : ''}${diffStates(c, got)}`);
        this.fail(obj, `${index >= 0 ? `#${index} ` : ''}${why} returned a state the model does not allow: ${diffs.join(' | ')}`);
        return false;
      }
      if (several) {
        if (match === 0) this.resolvedNotApplied++;
        else this.resolvedApplied++;
      }
      obj.candidates = [obj.candidates[match]!];
      return true;
    }
  }

  private async checkedRangeRead(obj: ObjectModel, index: number, offset: number, length: number): Promise<void> {
    const what = `readrange ${offset}~${length}`;
    const expect = (s: MaybeObject): Buffer | 'ENOENT' => (s === null ? 'ENOENT' : s.data.subarray(Math.min(offset, s.data.length), Math.min(offset + length, s.data.length)));
    for (let attempt = 0; ; attempt++) {
      let got: Buffer | 'ENOENT';
      try {
        got = await this.client.readRange(obj.oid, offset, length);
      } catch (e) {
        const code = errCode(e);
        if (code === 'ENOENT') got = 'ENOENT';
        else if (UNKNOWN_OUTCOME_CODES.has(code) && attempt < this.readRetriesMax) {
          this.readRetries++;
          continue;
        } else {
          this.record(obj, { index, oid: obj.oid, what, expected: '', outcome: code });
          this.fail(obj, `#${index} ${what} failed with ${code}`);
          return;
        }
      }
      const want = expect(obj.candidates[0]!);
      this.record(obj, { index, oid: obj.oid, what, expected: '', outcome: got === 'ENOENT' ? 'ENOENT' : `${got.length} B` });
      const same = want === 'ENOENT' || got === 'ENOENT' ? want === got : want.equals(got);
      if (!same) {
        let detail: string;
        if (want === 'ENOENT' || got === 'ENOENT') detail = `expected ${want === 'ENOENT' ? 'ENOENT' : `${want.length} B`}, got ${got === 'ENOENT' ? 'ENOENT' : `${got.length} B`}`;
        else {
          let i = 0;
          while (i < want.length && i < got.length && want[i] === got[i]) i++;
          detail = `expected ${want.length} B, got ${got.length} B; first difference at object byte ${offset + i}: expected ${hexAround(want, i)} got ${hexAround(got, i)}`;
        }
        this.fail(obj, `#${index} ${what} returned bytes the model does not allow: ${detail}`);
      }
      return;
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Clients

/** Omap entries the checker's objects can hold (its key set is smaller). */
const OMAP_READ_KEYS_MAX = 512;

/** The checker's client over librados' WriteOp / ReadOp: one compound op per write, one per whole-object read. */
export class RadosCheckerClient implements CheckerClient {
  constructor(private readonly io: IoCtx, private readonly timeoutMs?: number) {}

  static toWriteOp(steps: readonly WriteStep[]): WriteOp {
    const w = new WriteOp();
    for (const s of steps) {
      switch (s.kind) {
        case 'write': w.write(s.data, s.offset); break;
        case 'writefull': w.writeFull(s.data); break;
        case 'append': w.append(s.data); break;
        case 'truncate': w.truncate(s.size); break;
        case 'zero': w.zero(s.offset, s.length); break;
        case 'remove': w.remove(); break;
        case 'create': w.create(s.exclusive); break;
        case 'setxattr': w.setxattr(s.name, s.value); break;
        case 'rmxattr': w.rmxattr(s.name); break;
        case 'omapset': w.omapSet(s.entries); break;
        case 'omaprm': w.omapRmKeys(s.keys); break;
        case 'omapclear': w.omapClear(); break;
        case 'omapheader': w.omapSetHeader(s.header); break;
      }
    }
    return w;
  }

  async write(oid: string, steps: readonly WriteStep[]): Promise<void> {
    await this.io.operate(oid, RadosCheckerClient.toWriteOp(steps), { timeoutMs: this.timeoutMs });
  }

  async read(oid: string): Promise<MaybeObject> {
    const r = new ReadOp();
    const stat = r.stat();
    const data = r.read(0, 0);
    const xattrs = r.getxattrs();
    const header = r.omapGetHeader();
    const vals = r.omapGetVals('', OMAP_READ_KEYS_MAX);
    try {
      await this.io.operate(oid, r, { timeoutMs: this.timeoutMs });
    } catch (e) {
      if (errCode(e) === 'ENOENT') return null;
      throw e;
    }
    const page = vals.get();
    if (page.more) throw new CephError('E2BIG', `${oid}: more than ${OMAP_READ_KEYS_MAX} omap keys`);
    const bytes = data.get();
    // stat's size and the read's length must agree (they come from one atomic read).
    if (bytes.length !== stat.get().size) throw new CephError('EIO', `${oid}: stat says ${stat.get().size} B, read returned ${bytes.length} B`);
    return { data: bytes, xattrs: xattrs.get(), omap: page.entries, omapHeader: header.get() };
  }

  async readRange(oid: string, offset: number, length: number): Promise<Buffer> {
    return this.io.read(oid, length, offset, { timeoutMs: this.timeoutMs });
  }
}

/** A perfect in-memory object store (the model's own semantics): for checker self-tests and as a base for planted faults. */
export class MemoryCheckerClient implements CheckerClient {
  readonly objects = new Map<string, ObjectState>();

  async write(oid: string, steps: readonly WriteStep[]): Promise<void> {
    const r = applySteps(this.objects.get(oid) ?? null, steps);
    if (r.result !== 'ok') throw new CephError(r.result as 'ENOENT', `${oid}: ${r.result}`);
    if (r.state === null) this.objects.delete(oid);
    else this.objects.set(oid, r.state);
  }

  async read(oid: string): Promise<MaybeObject> {
    return cloneState(this.objects.get(oid) ?? null);
  }

  async readRange(oid: string, offset: number, length: number): Promise<Buffer> {
    const o = this.objects.get(oid);
    if (!o) throw new CephError('ENOENT', `${oid}: no such object`);
    return Buffer.from(o.data.subarray(Math.min(offset, o.data.length), Math.min(offset + length, o.data.length)));
  }
}

export type PlantedFault = 'lose-acked-write' | 'stale-read' | 'phantom-bytes';

/**
 * A client that misbehaves on purpose, to prove the checker notices: after `afterOps` eligible ops it
 *  - lose-acked-write: acknowledges a write that would change the object without doing it;
 *  - stale-read: answers a read with the object's state from before its last write;
 *  - phantom-bytes: answers a read with a byte nobody wrote.
 * With `repeatEvery` > 0 it does so again every that many eligible ops (a single lost write can be
 * hidden for good when the next ops on its object overwrite everything it did, before any read);
 * otherwise it then behaves. `planted` is the first fault planted, `plants` all of them.
 */
export class FaultyCheckerClient implements CheckerClient {
  private ops = 0;
  private readonly previous = new Map<string, MaybeObject>();
  readonly plants: string[] = [];

  constructor(private readonly inner: CheckerClient, private readonly fault: PlantedFault, private readonly afterOps = 20, private readonly repeatEvery = 0) {}

  get planted(): string | null {
    return this.plants[0] ?? null;
  }

  private due(): boolean {
    if (this.plants.length > 0 && this.repeatEvery === 0) return false;
    return ++this.ops > this.afterOps;
  }

  private plant(what: string): void {
    this.plants.push(what);
    this.ops = this.afterOps - this.repeatEvery;
  }

  async write(oid: string, steps: readonly WriteStep[]): Promise<void> {
    if (this.fault === 'lose-acked-write' && this.due()) {
      // Lose it only if it would have changed something (a write that fails or changes nothing hides the fault).
      const before = await this.inner.read(oid);
      const r = applySteps(before, steps);
      if (r.result === 'ok' && !statesEqual(before, r.state)) {
        this.plant(`dropped an acknowledged write to ${oid}: ${steps.map(describeStep).join(', ')}`);
        return;
      }
      this.ops = this.afterOps; // try again on the next write
    }
    if (this.fault === 'stale-read') this.previous.set(oid, await this.inner.read(oid));
    await this.inner.write(oid, steps);
  }

  async read(oid: string): Promise<MaybeObject> {
    const s = await this.inner.read(oid);
    if (this.fault === 'stale-read' && this.previous.has(oid) && !statesEqual(this.previous.get(oid)!, s) && this.due()) {
      this.plant(`returned a stale state of ${oid}`);
      return cloneState(this.previous.get(oid)!);
    }
    if (this.fault === 'phantom-bytes' && s !== null && s.data.length > 0 && this.due()) {
      const at = s.data.length >> 1;
      s.data[at] = s.data[at]! ^ 0x5a;
      this.plant(`flipped byte ${at} of ${oid}`);
    }
    return s;
  }

  readRange(oid: string, offset: number, length: number): Promise<Buffer> {
    return this.inner.readRange(oid, offset, length);
  }
}
