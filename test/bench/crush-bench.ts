// Benchmark: CRUSH mappings per second, Ceph's crushtool against tsceph (the mapper in-process, and the whole CLI), on a 1,000-OSD straw2 map.
//
// Usage: npm run bench:crush [-- --x-count N] [--rounds R]
// The map is 10 racks x 10 hosts x 10 OSDs of straw2 buckets with crushtool --build's 3-replica
// "chooseleaf firstn 0 type host" rule. Ceph's `crushtool --test` with no --show-* option still
// maps every x (CrushTester::test calls do_rule for each x whatever is printed), so its run time is
// the mapping time plus start-up, which is measured separately (--max-x 0) and taken off.
// Prints the figures; writes nothing but a temporary directory it removes.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeCrushMap } from '../../crush/encoding.js';
import { CrushWork, crushDoRule } from '../../crush/mapper.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = join(ROOT, 'dist/bin/crushtool.js');
const CRUSHTOOL = process.env.CRUSHTOOL ?? '/usr/bin/crushtool';
const BUILD_ARGS = ['--build', '--num_osds', '1000', 'host', 'straw2', '10', 'rack', 'straw2', '10', 'root', 'straw2', '0'];

function opt(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const X_COUNT = opt('--x-count', 1_000_000);
const ROUNDS = opt('--rounds', 3);
const NUM_REP = 3;

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Best wall time of `rounds` runs of a command (the machine is shared; the best run is the least disturbed). */
function timeCommand(cmd: string, args: string[], cwd: string, rounds: number): number {
  let best = Infinity;
  for (let i = 0; i < rounds; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 1 << 26 });
    const t = seconds(t0);
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr?.toString()}`);
    best = Math.min(best, t);
  }
  return best;
}

function testArgs(xCount: number): string[] {
  return ['-i', 'map.bin', '--test', '--rule', '0', '--num-rep', String(NUM_REP), '--min-x', '0', '--max-x', String(xCount - 1)];
}

function rate(n: number, s: number): string {
  return `${Math.round(n / s).toLocaleString('en-US')} mappings/s`;
}

function main(): void {
  const dir = mkdtempSync(join(tmpdir(), 'crush-bench-'));
  try {
    const haveCeph = existsSync(CRUSHTOOL);
    const builder = haveCeph ? [CRUSHTOOL] : [process.execPath, CLI];
    const b = spawnSync(builder[0], [...builder.slice(1), '-o', 'map.bin', ...BUILD_ARGS], { cwd: dir });
    if (b.status !== 0) throw new Error(`building the map failed: ${b.stderr?.toString()}`);
    console.log(`map: crushtool -o map.bin ${BUILD_ARGS.join(' ')} (built by ${haveCeph ? CRUSHTOOL : 'tsceph'})`);
    console.log(`work: rule 0 (chooseleaf firstn 0 type host), num_rep ${NUM_REP}, x = 0..${X_COUNT - 1}; best of ${ROUNDS}`);
    console.log(`machine: ${cpus()[0]?.model ?? 'unknown cpu'} x${cpus().length}, node ${process.version}`);

    // tsceph in-process: decode the binary and run crush_do_rule over every x, as CrushTester does.
    const cw = decodeCrushMap(readFileSync(join(dir, 'map.bin')));
    const map = cw.crush;
    const weights = new Uint32Array(map.maxDevices).fill(0x10000);
    const work = new CrushWork(map, NUM_REP);
    const result = new Int32Array(NUM_REP);
    let best = Infinity;
    let checksum = 0;
    for (let round = 0; round < ROUNDS; round++) {
      checksum = 0;
      const t0 = process.hrtime.bigint();
      for (let x = 0; x < X_COUNT; x++) {
        const n = crushDoRule(map, 0, x, result, NUM_REP, weights, weights.length, work, null);
        for (let i = 0; i < n; i++) checksum = (Math.imul(checksum, 31) + result[i]) | 0;
      }
      best = Math.min(best, seconds(t0));
    }
    const tsMapper = best;
    console.log(`tsceph mapper (in-process):  ${tsMapper.toFixed(3)} s  ${rate(X_COUNT, tsMapper)}  (checksum ${checksum >>> 0})`);

    // Check the in-process loop computes what Ceph computes: the first 1024 x against --show-mappings.
    if (haveCeph) {
      const m = spawnSync(CRUSHTOOL, ['-i', 'map.bin', '--test', '--rule', '0', '--num-rep', String(NUM_REP), '--show-mappings', '--min-x', '0', '--max-x', '1023'],
        { cwd: dir, encoding: 'utf8' });
      const lines = m.stdout.split('\n').filter((l) => l.startsWith('CRUSH'));
      for (let x = 0; x < 1024; x++) {
        const n = crushDoRule(map, 0, x, result, NUM_REP, weights, weights.length, work, null);
        const ours = `CRUSH rule 0 x ${x} [${Array.from(result.subarray(0, n)).join(',')}]`;
        if (lines[x] !== ours) throw new Error(`mapping differs from crushtool at x=${x}: ${lines[x]} vs ${ours}`);
      }
      console.log('tsceph mapper agrees with crushtool --show-mappings on x = 0..1023');
    }

    // The whole CLI, like for like with Ceph's: same arguments, process start-up included and then taken off.
    const tsStart = timeCommand(process.execPath, [CLI, ...testArgs(1)], dir, ROUNDS);
    const tsCli = timeCommand(process.execPath, [CLI, ...testArgs(X_COUNT)], dir, ROUNDS);
    console.log(`tsceph crushtool --test:     ${tsCli.toFixed(3)} s  (start-up ${tsStart.toFixed(3)} s)  ${rate(X_COUNT, tsCli - tsStart)} net, ${rate(X_COUNT, tsCli)} gross`);

    if (!haveCeph) {
      console.log(`Ceph's crushtool (${CRUSHTOOL}) is not installed: no ratio`);
      return;
    }
    const cephStart = timeCommand(CRUSHTOOL, testArgs(1), dir, ROUNDS);
    const ceph = timeCommand(CRUSHTOOL, testArgs(X_COUNT), dir, ROUNDS);
    console.log(`ceph crushtool --test:       ${ceph.toFixed(3)} s  (start-up ${cephStart.toFixed(3)} s)  ${rate(X_COUNT, ceph - cephStart)} net, ${rate(X_COUNT, ceph)} gross`);
    const cephNet = ceph - cephStart;
    console.log(`ratio tsceph/ceph (mappings per second, start-up excluded): mapper ${(cephNet / tsMapper).toFixed(2)}x, CLI ${(cephNet / (tsCli - tsStart)).toFixed(2)}x`);
    console.log(`ratio tsceph/ceph (whole commands): CLI ${(ceph / tsCli).toFixed(2)}x`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
