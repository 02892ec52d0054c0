// Runs Ceph's osdmaptool for the golden vectors and records each run as a case: argv, inputs,
// exit status, stdout, stderr and the files the run left. Every run happens in a fresh empty
// directory holding only the case's inputs, under a stopped clock, in a clean environment:
//
//   LD_PRELOAD=libfaketime.so.1 FAKETIME='@2026-01-01 00:00:00 x0'  (what `faketime -f` sets; see NOW)
//   LC_ALL=C TZ=UTC HOME=<empty dir> PATH=<osdmaptool's dir>:/usr/bin:/bin
//   CEPH_CONF=<a file holding only `crash dir =`>; no CEPH_ARGS; argv[0] = `osdmaptool`; stdin closed
//
// osdmaptool reads no configuration file unless told to (global_init with
// CINIT_FLAG_NO_DEFAULT_CONFIG_FILE: strace shows no open of /etc/ceph), but it does honour
// CEPH_CONF. The one setting given there, an empty crash_dir, stops an aborting run from writing a
// crash report into /var/lib/ceph/crash; it changes nothing else (same stdout and maps).
//
// The `faketime` wrapper itself is not used for the runs because it forks and reports a child
// killed by a signal (an abort) as exit status 1; preloading the same library keeps the status.
// gen.mjs checks once that both give byte-identical maps.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';

export const FAKETIME = '@2026-01-01 00:00:00 x0';
export const NOW = Object.freeze({ sec: Date.UTC(2026, 0, 1) / 1000, nsec: 0 });
export const CEPH_CONF_TEXT = '[global]\n\tcrash dir =\n';
export const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const INLINE_MAX = 2048; // bytes of text kept inside cases.json
const GZIP_MIN = 32 * 1024; // stdout/stderr/output blobs at least this large are stored gzipped
const RUN_TIMEOUT_MS = 120_000;

export class Recorder {
  /** gold: the golden directory; osdmaptool: its absolute path. */
  constructor(gold, osdmaptool, log = console.log) {
    this.gold = gold;
    this.osdmaptool = osdmaptool;
    this.log = log;
    this.cases = [];
    this.names = new Set();
    this.home = mkdtempSync(join(tmpdir(), 'osdmap-golden-home-'));
    writeFileSync(join(this.home, 'ceph.conf'), CEPH_CONF_TEXT);
    process.on('exit', () => this.close()); // also when the generator fails half way
    this.env = {
      PATH: `${dirname(osdmaptool)}:/usr/bin:/bin`,
      LC_ALL: 'C',
      TZ: 'UTC',
      HOME: this.home,
      CEPH_CONF: join(this.home, 'ceph.conf'),
      LD_PRELOAD: LIBFAKETIME,
      FAKETIME,
    };
    this.counter = 0;
    this.previous = new Map();
  }

  close() {
    rmSync(this.home, { recursive: true, force: true });
  }

  /** Run osdmaptool once with argv in a fresh directory holding inputs ({name: path under gold}). */
  runOnce(argv, inputs) {
    const dir = mkdtempSync(join(tmpdir(), 'osdmap-golden-'));
    try {
      for (const [name, rel] of Object.entries(inputs)) {
        mkdirSync(dirname(join(dir, name)), { recursive: true });
        copyFileSync(join(this.gold, rel), join(dir, name));
      }
      const r = spawnSync(this.osdmaptool, argv, { cwd: dir, env: this.env, argv0: 'osdmaptool', maxBuffer: 1 << 30,
        timeout: RUN_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'pipe'] });
      if (r.error) throw new Error(`osdmaptool ${argv.join(' ')}: ${r.error.message}`);
      const outputs = {};
      for (const f of walk(dir)) {
        const buf = readFileSync(join(dir, f));
        if (f in inputs && buf.equals(readFileSync(join(this.gold, inputs[f])))) continue; // unchanged input
        outputs[f] = buf;
      }
      // a shell's view of a signal death: 128 + the signal number (an abort is 134)
      const code = r.status ?? 128 + (osConstants.signals[r.signal] ?? 0);
      return { stdout: r.stdout, stderr: r.stderr, code, outputs, signal: r.signal };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  /**
   * Record one case. opts: about; saveAs {output name: path under gold}; expectExit; random
   * (osdmaptool draws from std::random_device or rand(): record stdout/outputs of one run and mark
   * them not comparable when they vary); runs (how many times to run, default 2).
   */
  add(name, group, argv, inputs = {}, opts = {}) {
    if (this.names.has(name)) throw new Error(`duplicate case ${name}`);
    this.names.add(name);
    const runs = opts.runs ?? (opts.random ? 4 : 2);
    const rs = [];
    for (let i = 0; i < runs; i++) rs.push(this.runOnce(argv, inputs));
    const a = rs[0];
    let stdoutExact = true;
    let outputsExact = true;
    for (const b of rs.slice(1)) {
      if (a.code !== b.code) throw new Error(`case ${name}: exit status varies (${a.code}, ${b.code})`);
      if (!a.stdout.equals(b.stdout)) stdoutExact = false;
      const fa = Object.keys(a.outputs).sort().join();
      const fb = Object.keys(b.outputs).sort().join();
      if (fa !== fb) throw new Error(`case ${name}: output files vary (${fa} / ${fb})`);
      for (const f of Object.keys(a.outputs)) if (!a.outputs[f].equals(b.outputs[f])) outputsExact = false;
    }
    if ((!stdoutExact || !outputsExact) && !opts.random) {
      throw new Error(`case ${name}: osdmaptool is not deterministic here (stdout ${stdoutExact}, outputs ${outputsExact})`);
    }
    if (opts.expectExit !== undefined && a.code !== opts.expectExit) {
      throw new Error(`case ${name}: exit ${a.code}, expected ${opts.expectExit}\n${a.stdout}\n${a.stderr}`);
    }
    let stderrExact = rs.every((b) => b.stderr.equals(a.stderr)) && !a.signal;
    // a random case keeps the output recorded last time when nothing it depends on changed, so
    // that regenerating does not churn (either run is something Ceph printed)
    if (!stdoutExact || !outputsExact) {
      const prev = this.previous.get(name);
      if (prev && prev.key === caseKey(argv, inputs, this.gold) && prev.exit === a.code
        && Object.keys(prev.outputs).sort().join() === Object.keys(a.outputs).sort().join()) {
        a.stdout = prev.stdout;
        a.stderr = prev.stderr;
        a.outputs = prev.outputs;
        stderrExact = prev.stderrExact;
        stdoutExact = stdoutExact && prev.stdoutExact;
        outputsExact = outputsExact && prev.outputsExact;
      }
    }
    // likewise stderr that is not compared (log lines racing the exit, crash reports)
    if (!stderrExact) {
      const prev = this.previous.get(name);
      if (prev && !prev.stderrExact && prev.key === caseKey(argv, inputs, this.gold) && prev.exit === a.code && prev.stdout.equals(a.stdout)) {
        a.stderr = prev.stderr;
      }
    }
    const outputs = {};
    for (const [f, buf] of Object.entries(a.outputs)) {
      let rel = opts.saveAs?.[f];
      if (!rel) {
        rel = `out/${safe(name)}.${safe(f)}`;
        if (buf.length >= GZIP_MIN) rel += '.gz';
      }
      mkdirSync(dirname(join(this.gold, rel)), { recursive: true });
      writeFileSync(join(this.gold, rel), rel.endsWith('.gz') ? gzipSync(buf, { level: 9 }) : buf);
      outputs[f] = rel;
    }
    // stderr that is not compared is kept for people to read, with what changes between runs
    // (thread ids, addresses) masked so that regenerating does not churn
    const stderr = stderrExact ? a.stderr : Buffer.from(mask(a.stderr.toString('latin1')), 'latin1');
    const c = { name, group };
    if (opts.about) c.about = opts.about;
    Object.assign(c, {
      argv, inputs, now: NOW, exit: a.code,
      stdout: this.blob(name, 'stdout', a.stdout), stderr: this.blob(name, 'stderr', stderr), stderrExact, outputs,
    });
    if (a.signal) c.signal = a.signal;
    if (!stdoutExact) c.stdoutExact = false;
    if (!outputsExact) c.outputsExact = false;
    this.cases.push(c);
    if (++this.counter % 100 === 0) this.log(`  ${this.counter} cases`);
    return c;
  }

  /**
   * Remember the random cases of an existing cases.json (call before the golden tree is wiped):
   * their recorded bytes and what they depended on.
   */
  loadPrevious() {
    const file = join(this.gold, 'cases.json');
    if (!existsSync(file)) return;
    const old = JSON.parse(readFileSync(file, 'utf8'));
    const read = (rel) => {
      const raw = readFileSync(join(this.gold, rel));
      return rel.endsWith('.gz') ? gunzipSync(raw) : raw;
    };
    const blobBytes = (b) => (b.text !== undefined ? Buffer.from(b.text, 'utf8') : read(b.file));
    for (const c of old.cases ?? []) {
      if (c.stdoutExact !== false && c.outputsExact !== false && c.stderrExact !== false) continue;
      try {
        this.previous.set(c.name, {
          key: caseKey(c.argv, c.inputs, this.gold), exit: c.exit, stdout: blobBytes(c.stdout), stderr: blobBytes(c.stderr),
          stderrExact: c.stderrExact, stdoutExact: c.stdoutExact !== false, outputsExact: c.outputsExact !== false,
          outputs: Object.fromEntries(Object.entries(c.outputs).map(([f, rel]) => [f, read(rel)])),
        });
      } catch {
        // a file of the old set is gone: record afresh
      }
    }
  }

  /** Store a stdout/stderr blob: inline text when small, a file (gzipped when large) otherwise. */
  blob(caseName, kind, buf) {
    if (buf.length <= INLINE_MAX && isText(buf)) return { text: buf.toString('utf8') };
    const base = `out/${safe(caseName)}.${kind}`;
    mkdirSync(join(this.gold, 'out'), { recursive: true });
    if (buf.length >= GZIP_MIN) {
      writeFileSync(join(this.gold, base + '.gz'), gzipSync(buf, { level: 9 }));
      return { file: base + '.gz', gzip: true };
    }
    writeFileSync(join(this.gold, base), buf);
    return { file: base };
  }
}

/** What a case depends on: its argv and the bytes of its inputs. */
function caseKey(argv, inputs, gold) {
  const h = createHash('sha256');
  h.update(JSON.stringify(argv));
  for (const [name, rel] of Object.entries(inputs).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))) {
    h.update(`\0${name}\0`);
    h.update(existsSync(join(gold, rel)) ? readFileSync(join(gold, rel)) : Buffer.from('missing'));
  }
  return h.digest('hex');
}

export function safe(s) {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_');
}

function isText(buf) {
  return !buf.includes(0) && Buffer.from(buf.toString('utf8'), 'utf8').equals(buf);
}

/** Thread ids, code addresses and pids in Ceph's crash reports. */
export function mask(s) {
  return s
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, '<uuid>')
    .replace(/\b(0x)?[0-9a-f]{12}\b/g, '<addr>')
    .replace(/0x[0-9a-f]+/g, '<addr>')
    .replace(/\(PID: \d+\)/g, '(PID: <pid>)');
}

/** Relative paths of the regular files under dir, sorted. */
function walk(dir, prefix = '') {
  const out = [];
  for (const f of readdirSync(join(dir, prefix)).sort()) {
    const rel = prefix ? `${prefix}/${f}` : f;
    if (statSync(join(dir, rel)).isDirectory()) out.push(...walk(dir, rel));
    else out.push(rel);
  }
  return out;
}

