// Proves tsceph's osdmaptool is a drop-in for Ceph's: replays every golden case Ceph 16.2.15's osdmaptool produced (test/golden/osdmap/cases.json, recorded under a fixed clock) through osdmaptool's main() in-process with that clock, and a sample through `node dist/bin/osdmaptool.js` as real subprocesses (with libfaketime preloaded for the clock), comparing stdout, exit code, output files and deterministic stderr byte for byte.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../bin/osdmaptool.js';
import { describeBinaryDiff, describeDiff, isText } from '../support/diff.js';
import { collectCaseOutputs, loadBlob, prepareCaseDir, type Blob } from '../support/golden.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const GOLD = join(ROOT, 'test/golden/osdmap');
const CLI = join(ROOT, 'dist/bin/osdmaptool.js');
const CASE_TIMEOUT_MS = 120_000;
const PARALLEL_MAX = 2; // the machine has two cores


/** The fixed clock a case ran under: {sec, nsec}, seconds since the epoch, or a date text. */
type Now = { sec: number; nsec?: number } | number | string;

export interface GoldenCase {
  name: string;
  group: string;
  about?: string;
  argv: string[];
  inputs: Record<string, string>;
  exit: number;
  stdout: Blob;
  stderr: Blob;
  stderrExact: boolean;
  /** false when osdmaptool's stdout changed between recorded runs (random draws): not compared. */
  stdoutExact?: boolean;
  /** false when the output files changed between recorded runs: only their names are compared. */
  outputsExact?: boolean;
  /** The signal that ended osdmaptool, when one did (exit is then 128 + its number). */
  signal?: string;
  outputs: Record<string, string>;
  now?: Now;
  /** CEPH_ARGS, when the case set it. */
  cephArgs?: string;
  /** TZ, when the case set one (the default is UTC). */
  tz?: string;
  /** getpid() of the recorded run, for --test-random. */
  pid?: number;
}

interface Manifest {
  osdmaptool?: string;
  cases: GoldenCase[];
}

interface RunResult {
  stdout: Buffer;
  stderr: Buffer;
  exit: number | null;
  signal: string | null;
  outputs: Map<string, Buffer>;
  error?: string;
}

function nowOf(c: GoldenCase): { sec: number; nsec: number } {
  const n = c.now;
  if (n === undefined) return { sec: 1767225600, nsec: 0 }; // 2026-01-01 00:00:00 UTC
  if (typeof n === 'number') return { sec: Math.floor(n), nsec: Math.round((n - Math.floor(n)) * 1e9) };
  if (typeof n === 'string') {
    const at = n.startsWith('@') ? n.slice(1) : n;
    const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(at) ? at : `${at.replace(' ', 'T')}Z`);
    return { sec: Math.floor(ms / 1000), nsec: (ms % 1000) * 1e6 };
  }
  return { sec: n.sec, nsec: n.nsec ?? 0 };
}

/** faketime's -f argument for the case's clock (frozen). */
function faketimeSpec(c: GoldenCase): string {
  const { sec, nsec } = nowOf(c);
  const d = new Date(sec * 1000);
  const ts = d.toISOString().replace('T', ' ').slice(0, 19);
  return `@${ts}${nsec ? `.${String(nsec).padStart(9, '0')}` : ''} x0`;
}

/** Run osdmaptool's main() in this process with the case's clock (argv[0] = `osdmaptool`). */
async function runInProcess(c: GoldenCase): Promise<RunResult> {
  const dir = prepareCaseDir(GOLD, c.inputs, 'tsceph-osdmap-golden-');
  const out: string[] = [];
  const err: string[] = [];
  let exit: number | null = null;
  let error: string | undefined;
  const now = nowOf(c);
  try {
    exit = await main(
      c.argv.map((a) => Buffer.from(a, 'utf8').toString('latin1')),
      {
        stdout: (s) => out.push(s),
        stderr: (s) => err.push(s),
        cwd: dir,
        argv0: 'osdmaptool',
        cephArgs: c.cephArgs,
        now: () => now,
        pid: c.pid ?? 1,
        tz: c.tz ?? 'UTC',
      },
    );
  } catch (e) {
    error = `main() threw: ${(e as Error).stack ?? String(e)}`;
  }
  const r: RunResult = {
    stdout: Buffer.from(out.join(''), 'latin1'),
    stderr: Buffer.from(err.join(''), 'latin1'),
    exit,
    signal: null,
    outputs: collectCaseOutputs(GOLD, c.inputs, dir),
  };
  if (error !== undefined) r.error = error;
  return r;
}

const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const havePreload = existsSync(LIBFAKETIME);
const haveFaketime = havePreload || spawnSync('faketime', ['--version'], { stdio: 'ignore' }).status === 0;

/** Run `node dist/bin/osdmaptool.js` as a child process, under faketime for the case's clock. */
function runSpawned(c: GoldenCase): Promise<RunResult> {
  const dir = prepareCaseDir(GOLD, c.inputs, 'tsceph-osdmap-golden-');
  return new Promise((resolvePromise) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const env: Record<string, string> = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', LC_ALL: 'C', TZ: c.tz ?? 'UTC' };
    if (c.cephArgs !== undefined) env['CEPH_ARGS'] = c.cephArgs;
    if (havePreload) {
      env['LD_PRELOAD'] = LIBFAKETIME;
      env['FAKETIME'] = faketimeSpec(c);
    }
    const [cmd, args] = haveFaketime && !havePreload
      ? ['faketime', ['-f', faketimeSpec(c), process.execPath, CLI, ...c.argv]]
      : [process.execPath, [CLI, ...c.argv]];
    const child = spawn(cmd, args as string[], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const timer = setTimeout(() => child.kill('SIGKILL'), CASE_TIMEOUT_MS);
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    const finish = (exit: number | null, signal: string | null, error?: string): void => {
      clearTimeout(timer);
      const outputs = collectCaseOutputs(GOLD, c.inputs, dir);
      const r: RunResult = { stdout: Buffer.concat(out), stderr: Buffer.concat(err), exit, signal, outputs };
      if (error !== undefined) r.error = error;
      resolvePromise(r);
    };
    child.on('error', (e) => finish(null, null, String(e)));
    child.on('close', (code, signal) => finish(code, signal));
  });
}

function check(c: GoldenCase, r: RunResult): void {
  const problems: string[] = [];
  if (r.error !== undefined) problems.push(r.error);
  if (r.signal !== null) problems.push(`killed by ${r.signal}`);
  const expStdout = loadBlob(GOLD, c.stdout);
  if (c.stdoutExact !== false && !expStdout.equals(r.stdout)) problems.push(describeDiff('stdout', expStdout, r.stdout));
  if (r.exit !== c.exit) problems.push(`exit code ${String(r.exit)}, expected ${c.exit}`);
  const expStderr = loadBlob(GOLD, c.stderr);
  if (c.stderrExact && !expStderr.equals(r.stderr)) problems.push(describeDiff('stderr', expStderr, r.stderr));
  for (const [name, rel] of Object.entries(c.outputs)) {
    const exp = readFileSync(join(GOLD, rel));
    const got = r.outputs.get(name);
    if (got === undefined) problems.push(`output file ${name} was not written`);
    else if (c.outputsExact !== false && !exp.equals(got)) {
      problems.push(isText(exp) ? describeDiff(`output file ${name}`, exp, got) : describeBinaryDiff(`output file ${name}`, exp, got));
    }
  }
  for (const name of r.outputs.keys()) {
    if (!(name in c.outputs)) problems.push(`wrote ${name}, which osdmaptool does not`);
  }
  if (problems.length > 0) {
    const stderrNote = c.stderrExact ? '' : `\n  (stderr not compared; osdmaptool's was ${JSON.stringify(expStderr.toString('latin1').slice(0, 200))})`;
    assert.fail(`osdmaptool ${c.argv.join(' ')}\n  ${problems.join('\n  ')}${stderrNote}`);
  }
}

const manifestPath = join(GOLD, 'cases.json');
const manifest: Manifest = existsSync(manifestPath)
  ? (JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest)
  : { cases: [] };

function byGroup(cases: GoldenCase[]): Map<string, GoldenCase[]> {
  const groups = new Map<string, GoldenCase[]>();
  for (const c of cases) {
    const list = groups.get(c.group) ?? [];
    list.push(c);
    groups.set(c.group, list);
  }
  return groups;
}

describe(`osdmaptool golden vectors (Ceph ${manifest.osdmaptool ?? '16.2.15'})`, function () {
  if (manifest.cases.length === 0) {
    it('has golden vectors to replay (test/golden/osdmap/cases.json)');
    return;
  }
  for (const [group, list] of byGroup(manifest.cases)) {
    describe(group, function () {
      for (const c of list) {
        it(c.name, async function () {
          this.timeout(CASE_TIMEOUT_MS);
          check(c, await runInProcess(c));
        });
      }
    });
  }
});

// The executable itself (argument handling from process.argv, exit status, stdout flushing, the clock):
// the first case of every group and every case that fails, run as child processes, two at a time.
const spawnedCases = [...byGroup(manifest.cases).values()].flatMap((list) => list.filter((c, i) => i === 0 || c.exit !== 0));

describe('osdmaptool golden vectors through node dist/bin/osdmaptool.js', function () {
  if (spawnedCases.length === 0) return;
  const results = new Map<string, Promise<RunResult>>();
  before(function () {
    assert.ok(existsSync(CLI), `${CLI} is missing: build tsceph (npx tsc -p tsconfig.json) first`);
    const queue = [...spawnedCases];
    const waiting = new Map<string, (r: RunResult) => void>();
    for (const c of queue) results.set(c.name, new Promise((res) => waiting.set(c.name, res)));
    const worker = async (): Promise<void> => {
      for (let c = queue.shift(); c !== undefined; c = queue.shift()) {
        let r: RunResult;
        try {
          r = await runSpawned(c);
        } catch (e) {
          // a case that cannot even start (say, a missing input) fails alone instead of stalling the queue
          r = { stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), exit: null, signal: null, outputs: new Map(), error: String(e) };
        }
        waiting.get(c.name)!(r);
      }
    };
    for (let i = 0; i < PARALLEL_MAX; i++) void worker();
  });
  for (const c of spawnedCases) {
    it(c.name, async function () {
      // These runs stamp the clock into the map: without libfaketime the child cannot be given the
      // case's clock, and the test says so rather than passing or skipping silently.
      if (!haveFaketime && c.now !== undefined && c.argv.some((a) => /create/.test(a))) {
        assert.fail(`${c.name} needs libfaketime to give the child the recorded clock: apt-get install faketime`);
      }
      this.timeout(CASE_TIMEOUT_MS * 4);
      check(c, await results.get(c.name)!);
    });
  }
});
