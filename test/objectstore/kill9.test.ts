// Proves a real kill -9 of a process writing a BlockStore on a file loses no acknowledged transaction
// and half-applies none: a child process runs the seeded transaction sequence at queue depth 8 and
// prints each acknowledgement; the parent SIGKILLs it (by PID) after a random delay, mounts the file
// in-process, checks fsck is clean and that the store equals the model after every acknowledged
// transaction plus a prefix of those in flight, then lets the next child go on from there.
// Env: KILL9_ITERATIONS=<n> kills (default 3), KILL9_SEED=<n> replays one run.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { FileDevice } from '../../common/blockdev/index.js';
import { BlockStore } from '../../osd/blockstore/index.js';
import { Rng } from '../support/rng.js';
import { compareStoreToModel } from '../support/store-model.js';
import { KILL9_DEVICE_BYTES, TxSequence } from './kill9-child.js';

const here = dirname(fileURLToPath(import.meta.url));
const CHILD = join(here, 'kill9-child.js');

interface ChildRun {
  /** Highest index queued + 1, highest acknowledged + 1 (both `start` when none). */
  queued: number;
  acked: number;
  ackedCount: number;
  ackedIndexes: number[];
  rejected: [number, string][];
  ready: boolean;
  done: boolean;
  signal: NodeJS.Signals | null;
  code: number | null;
  stderr: string;
}

/** Run the child and SIGKILL it `delayMs` after it is ready (or after spawn when `fromSpawn`). */
function runChild(args: string[], start: number, delayMs: number, fromSpawn: boolean): Promise<ChildRun> {
  return new Promise<ChildRun>((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const run: ChildRun = { queued: start, acked: start, ackedCount: 0, ackedIndexes: [], rejected: [], ready: false, done: false, signal: null, code: null, stderr: '' };
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      timer = setTimeout(() => {
        if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) process.kill(child.pid, 'SIGKILL');
      }, delayMs);
    };
    if (fromSpawn) arm();
    let partial = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      partial += chunk;
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const l of lines) {
        const [what, a, b] = l.split(' ');
        if (what === 'ready') {
          run.ready = true;
          if (!fromSpawn) arm();
        } else if (what === 'q') run.queued = Math.max(run.queued, Number(a) + 1);
        else if (what === 'c') {
          run.acked = Math.max(run.acked, Number(a) + 1);
          run.ackedCount++;
          run.ackedIndexes.push(Number(a));
        } else if (what === 'r') run.rejected.push([Number(a), b ?? '']);
        else if (what === 'done') run.done = true;
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (run.stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      run.code = code;
      run.signal = signal;
      resolve(run);
    });
  });
}

describe('objectstore kill -9', function () {
  const dir = join(tmpdir(), 'h2-devices', `kill9-${process.pid}`);
  before(() => mkdirSync(dir, { recursive: true }));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('loses no acknowledged transaction across SIGKILLs of the writing process', async function () {
    const seed = Number(process.env.KILL9_SEED ?? 0x6b1119);
    const kills = Number(process.env.KILL9_ITERATIONS ?? 3);
    this.timeout(60000 + kills * 30000);
    const rng = new Rng(seed);
    const path = join(dir, 'store.img');
    let start = 0;
    const totals = { kills: 0, acked: 0, inFlight: 0, inFlightSurvived: 0, killedInMount: 0 };
    for (let iter = 0; iter < kills; iter++) {
      const label = `seed=${seed} kill ${iter}`;
      const mode = iter === 0 ? 'mkfs' : 'mount';
      // Mostly a delay after the child is ready; sometimes one from spawn, which may land in the replay.
      const fromSpawn = iter > 0 && rng.chance(0.3);
      const delayMs = fromSpawn ? rng.int(50, 400) : rng.int(150, 1200);
      const run = await runChild([path, String(seed), String(start), mode, '1000000', String(KILL9_DEVICE_BYTES)], start, delayMs, fromSpawn);
      assert.equal(run.signal, 'SIGKILL', `${label}: the child ended on its own (code ${run.code}): ${run.stderr}`);
      assert.ok(iter > 0 || run.ready, `${label}: killed before mkfs finished`);
      if (!run.ready) totals.killedInMount++;
      totals.kills++;

      const seq = new TxSequence(seed, run.acked);
      for (const [i, code] of run.rejected) {
        assert.ok(!seq.expectOk(i), `${label}: transaction ${i} rejected (${code}) but the model accepts it`);
      }
      for (const i of run.ackedIndexes) {
        assert.ok(seq.expectOk(i), `${label}: transaction ${i} acknowledged but the model rejects it`);
      }
      const dev = await FileDevice.open(path);
      const store = new BlockStore(dev);
      await store.mount();
      const report = await store.fsck(false);
      assert.equal(report.errors, 0, `${label}: fsck after kill -9: ${report.problems.map((p) => `${p.kind}: ${p.message}`).join('; ')}`);
      let found = -1;
      const misses: string[] = [];
      for (let k = run.queued; k >= run.acked; k--) {
        try {
          await compareStoreToModel(store, seq.model(k), `${label} against prefix ${k}`);
          found = k;
          break;
        } catch (err) {
          misses.push(err instanceof Error ? err.message : String(err));
        }
      }
      await store.umount();
      await dev.close();
      assert.ok(found >= 0, `${label}: the store matches no prefix in [${run.acked}, ${run.queued}]:\n  ${misses.slice(0, 4).join('\n  ')}`);
      totals.acked += run.ackedCount;
      totals.inFlight += run.queued - run.acked;
      totals.inFlightSurvived += found - run.acked;
      start = found;
    }
    assert.ok(totals.acked > 0, `seed=${seed}: no child acknowledged anything before its kill: ${JSON.stringify(totals)}`);
    if (process.env.KILL9_VERBOSE) console.log(JSON.stringify(totals));
  });
});
