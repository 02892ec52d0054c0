// Proves tsceph's crushtool is a drop-in for Ceph's: replays every golden case Ceph 16.2.15's crushtool produced (test/golden/crush, made by scripts/gen-crush-golden.sh) through crushtool's main() in-process, and a sample through `node dist/bin/crushtool.js`, comparing stdout, exit code, output files and deterministic stderr byte for byte.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../bin/crushtool.js';
import { decodeCrushMap, encodeCrushMap } from '../../crush/encoding.js';
import { BucketAlg } from '../../crush/types.js';
import { uninitialisedTreeNodes } from './pacific-heap.js';
import { describeBinaryDiff, describeDiff } from '../support/diff.js';
import { collectCaseOutputs, loadBlob, prepareCaseDir, type Blob } from '../support/golden.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const GOLD = join(ROOT, 'test/golden/crush');
const CLI = join(ROOT, 'dist/bin/crushtool.js');
const CASE_TIMEOUT_MS = 60_000;
const PARALLEL_MAX = 2; // the machine has two cores


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
  outputs: Record<string, string>;
  /** Outputs whose shadow tree buckets hold Pacific's uninitialised node weights (heap words). */
  garbageOutputs?: string[];
}

interface Manifest {
  crushtool: string;
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

/** Run crushtool's main() in this process (the golden runs used argv[0] = `crushtool`). */
async function runInProcess(c: GoldenCase): Promise<RunResult> {
  const dir = prepareCaseDir(GOLD, c.inputs, 'tsceph-golden-');
  const out: string[] = [];
  const err: string[] = [];
  let exit: number | null = null;
  let error: string | undefined;
  try {
    exit = await main(c.argv, {
      stdout: (s) => out.push(s),
      stderr: (s) => err.push(s),
      cwd: dir,
      argv0: 'crushtool',
      readStdin: () => null,
    });
  } catch (e) {
    error = `main() threw: ${(e as Error).stack ?? String(e)}`;
  }
  const r: RunResult = { stdout: Buffer.from(out.join(''), 'utf8'), stderr: Buffer.from(err.join(''), 'utf8'), exit, signal: null,
    outputs: collectCaseOutputs(GOLD, c.inputs, dir) };
  if (error !== undefined) r.error = error;
  return r;
}

/** Run `node dist/bin/crushtool.js` as a child process. */
function runSpawned(c: GoldenCase): Promise<RunResult> {
  const dir = prepareCaseDir(GOLD, c.inputs, 'tsceph-golden-');
  return new Promise((resolvePromise) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const child = spawn(process.execPath, [CLI, ...c.argv], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
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

/**
 * A binary CRUSH map crushtool wrote with heap words in the node weights Pacific never initialises in
 * the shadow tree buckets it grows item by item: those words are taken from Ceph's map into tsceph's
 * (decoded), and then the two must be the same bytes. Anything else that differs is reported.
 */
function garbageMaskedDiff(what: string, expected: Buffer, actual: Buffer): string | null {
  let exp;
  let got;
  try {
    exp = decodeCrushMap(expected);
    got = decodeCrushMap(actual);
  } catch (e) {
    return `${what}: ${(e as Error).message}`;
  }
  if (!encodeCrushMap(got).equals(actual)) return `${what}: tsceph's map does not re-encode to its own bytes`;
  const n = Math.min(exp.crush.buckets.length, got.crush.buckets.length);
  for (let i = 0; i < n; i++) {
    const e = exp.crush.buckets[i];
    const g = got.crush.buckets[i];
    if (!e || !g || e.alg !== BucketAlg.Tree || g.alg !== BucketAlg.Tree || e.size !== g.size || e.numNodes !== g.numNodes) continue;
    if (!(exp.names.nameMap.get(e.id) ?? '').includes('~')) continue; // only shadow buckets are grown item by item
    const garbage = uninitialisedTreeNodes(e.size);
    for (let k = 0; k < e.numNodes; k++) if (garbage[k]) g.nodeWeights[k] = e.nodeWeights[k]!;
  }
  const masked = encodeCrushMap(got);
  return masked.equals(expected) ? null : describeBinaryDiff(`${what} (past Pacific's heap garbage)`, expected, masked);
}

function check(c: GoldenCase, r: RunResult): void {
  const problems: string[] = [];
  if (r.error !== undefined) problems.push(r.error);
  if (r.signal !== null) problems.push(`killed by ${r.signal}`);
  const expStdout = loadBlob(GOLD, c.stdout);
  if (!expStdout.equals(r.stdout)) problems.push(describeDiff('stdout', expStdout, r.stdout));
  if (r.exit !== c.exit) problems.push(`exit code ${String(r.exit)}, expected ${c.exit}`);
  const expStderr = loadBlob(GOLD, c.stderr);
  if (c.stderrExact) {
    if (!expStderr.equals(r.stderr)) problems.push(describeDiff('stderr', expStderr, r.stderr));
  }
  for (const [name, rel] of Object.entries(c.outputs)) {
    const exp = readFileSync(join(GOLD, rel));
    const got = r.outputs.get(name);
    if (got === undefined) problems.push(`output file ${name} was not written`);
    else if (c.garbageOutputs?.includes(name)) {
      const d = garbageMaskedDiff(`output file ${name}`, exp, got);
      if (d !== null) problems.push(d);
    } else if (!exp.equals(got)) {
      problems.push(name.endsWith('.bin') ? describeBinaryDiff(`output file ${name}`, exp, got)
        : describeDiff(`output file ${name}`, exp, got));
    }
  }
  for (const name of r.outputs.keys()) {
    if (!(name in c.outputs)) problems.push(`wrote ${name}, which crushtool does not`);
  }
  if (problems.length > 0) {
    const stderrNote = c.stderrExact ? '' : `\n  (stderr not compared; crushtool's was ${JSON.stringify(expStderr.toString('utf8').slice(0, 200))})`;
    assert.fail(`crushtool ${c.argv.join(' ')}\n  ${problems.join('\n  ')}${stderrNote}`);
  }
}

const manifest = JSON.parse(readFileSync(join(GOLD, 'cases.json'), 'utf8')) as Manifest;

function byGroup(cases: GoldenCase[]): Map<string, GoldenCase[]> {
  const groups = new Map<string, GoldenCase[]>();
  for (const c of cases) {
    const list = groups.get(c.group) ?? [];
    list.push(c);
    groups.set(c.group, list);
  }
  return groups;
}

describe(`crushtool golden vectors (Ceph ${manifest.crushtool})`, function () {
  for (const [group, list] of byGroup(manifest.cases)) {
    describe(group, function () {
      for (const c of list) {
        it(c.name, async function () {
          check(c, await runInProcess(c));
        });
      }
    });
  }
});

// The executable itself (argument handling from process.argv, exit status, stdout flushing): the
// first case of every group and every case that fails, run as child processes, two at a time.
const spawnedCases = [...byGroup(manifest.cases).values()].flatMap((list) => list.filter((c, i) => i === 0 || c.exit !== 0));

describe(`crushtool golden vectors through node ${'dist/bin/crushtool.js'}`, function () {
  const results = new Map<string, Promise<RunResult>>();
  before(function () {
    assert.ok(existsSync(CLI), `${CLI} is missing: build tsceph (npx tsc -p tsconfig.json) first`);
    const queue = [...spawnedCases];
    const waiting = new Map<string, (r: RunResult) => void>();
    for (const c of queue) results.set(c.name, new Promise((res) => waiting.set(c.name, res)));
    const worker = async (): Promise<void> => {
      for (let c = queue.shift(); c !== undefined; c = queue.shift()) waiting.get(c.name)!(await runSpawned(c));
    };
    for (let i = 0; i < PARALLEL_MAX; i++) void worker();
  });
  for (const c of spawnedCases) {
    it(c.name, async function () {
      this.timeout(CASE_TIMEOUT_MS * 4);
      check(c, await results.get(c.name)!);
    });
  }
});
