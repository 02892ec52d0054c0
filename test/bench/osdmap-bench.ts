// Benchmark: placement lookups per second, Ceph's osdmaptool against tsceph, on a 1,000-OSD map with a 32,768-PG pool: a whole `--test-map-pgs` run (both CLIs, start-up taken off), tsceph's PG -> up/acting pipeline in-process, and tsceph's object name -> acting set lookups in-process.
//
// Usage: npm run bench:osdmap [-- --rounds R] [--objects N]
// The map: `osdmaptool --createsimple 1000 --with-default-pool` with its CRUSH map replaced by
// `crushtool --build --num_osds 1000 host straw2 10 rack straw2 10 root straw2 0` (10 racks x 10 hosts x
// 10 OSDs, 3-replica chooseleaf-host rule). Every run passes `--mark-up-in --pool 1 --pg_num 32768`, so
// both tools map the same 32,768 PGs onto 1,000 up and in OSDs. Start-up is measured with `--pg_num 1`
// and taken off. Prints the figures; writes nothing but a temporary directory it removes.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CEPH_OSD_EXISTS,
  CEPH_OSD_IN,
  CEPH_OSD_UP,
  decodeOSDMap,
  objectLocatorToPg,
  OsdVector,
  pgToUpActingOsdsInto,
  PlacementWork,
  UpActing,
  calcPgMasks,
} from '../../common/osdmap/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const CLI = join(ROOT, 'dist/bin/osdmaptool.js');
const OSDMAPTOOL = process.env.OSDMAPTOOL ?? '/usr/bin/osdmaptool';
const CRUSHTOOL = process.env.CRUSHTOOL ?? '/usr/bin/crushtool';
const PG_NUM = 32768;

function opt(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
}

const ROUNDS = opt('--rounds', 3);
const OBJECTS = opt('--objects', 1_000_000);

function seconds(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/** Best wall time of `rounds` runs of a command (the machine is shared: the best run is the least disturbed). */
function timeCommand(cmd: string[], args: string[], cwd: string, rounds: number): { best: number; stdout: string } {
  let best = Infinity;
  let stdout = '';
  for (let i = 0; i < rounds; i++) {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(cmd[0]!, [...cmd.slice(1), ...args], {
      cwd,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', TZ: 'UTC', CEPH_CONF: '/dev/null' },
      maxBuffer: 1 << 28,
      encoding: 'latin1',
    });
    const t = seconds(t0);
    if (r.status !== 0) throw new Error(`${cmd.join(' ')} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
    best = Math.min(best, t);
    stdout = r.stdout;
  }
  return { best, stdout };
}

function rate(n: number, s: number, what: string): string {
  return `${Math.round(n / s).toLocaleString('en-US')} ${what}/s`;
}

function testArgs(pgNum: number): string[] {
  return ['map.bin', '--mark-up-in', '--test-map-pgs', '--pool', '1', '--pg_num', String(pgNum)];
}

function main(): void {
  const haveCeph = existsSync(OSDMAPTOOL) && existsSync(CRUSHTOOL);
  if (!haveCeph) {
    console.log(`Ceph's osdmaptool/crushtool (${OSDMAPTOOL}, ${CRUSHTOOL}) are not installed: the map is made with them and they are the reference; nothing to compare`);
    process.exitCode = 2;
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'osdmap-bench-'));
  try {
    const run = (cmd: string, args: string[]): void => {
      const r = spawnSync(cmd, args, { cwd: dir, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', CEPH_CONF: '/dev/null' } });
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr?.toString()}`);
    };
    run(OSDMAPTOOL, ['--createsimple', '1000', '--with-default-pool', 'map.bin', '--clobber']);
    run(CRUSHTOOL, ['-o', 'crush.bin', '--build', '--num_osds', '1000', 'host', 'straw2', '10', 'rack', 'straw2', '10', 'root', 'straw2', '0']);
    run(OSDMAPTOOL, ['map.bin', '--import-crush', 'crush.bin']);
    console.log('map: osdmaptool --createsimple 1000 --with-default-pool, CRUSH from crushtool --build --num_osds 1000 host straw2 10 rack straw2 10 root straw2 0');
    console.log(`work: --mark-up-in --test-map-pgs --pool 1 --pg_num ${PG_NUM} (3 replicas); ${OBJECTS.toLocaleString('en-US')} object lookups; best of ${ROUNDS}`);
    console.log(`machine: ${cpus()[0]?.model ?? 'unknown cpu'} x${cpus().length}, load ${loadavg().map((x) => x.toFixed(1)).join(' ')}, node ${process.version}`);

    // --- the CLIs, like for like
    const cephStart = timeCommand([OSDMAPTOOL], testArgs(1), dir, ROUNDS).best;
    const ceph = timeCommand([OSDMAPTOOL], testArgs(PG_NUM), dir, ROUNDS);
    const tsStart = timeCommand([process.execPath, CLI], testArgs(1), dir, ROUNDS).best;
    const ts = timeCommand([process.execPath, CLI], testArgs(PG_NUM), dir, ROUNDS);
    if (ts.stdout !== ceph.stdout) throw new Error('tsceph --test-map-pgs printed something else than osdmaptool');
    const cephNet = ceph.best - cephStart;
    const tsNet = ts.best - tsStart;
    console.log(`ceph   osdmaptool --test-map-pgs: ${ceph.best.toFixed(3)} s (start-up ${cephStart.toFixed(3)} s)  ${rate(PG_NUM, cephNet, 'PGs')} net`);
    console.log(`tsceph osdmaptool --test-map-pgs: ${ts.best.toFixed(3)} s (start-up ${tsStart.toFixed(3)} s)  ${rate(PG_NUM, tsNet, 'PGs')} net (same output)`);

    // --- in-process: the same map, OSDs up and in as --mark-up-in leaves them, pool 1 at 32768 PGs
    const map = decodeOSDMap(readFileSync(join(dir, 'map.bin')));
    for (let i = 0; i < map.maxOsd; i++) {
      map.osdState[i] = (map.osdState[i]! | CEPH_OSD_UP | CEPH_OSD_EXISTS) >>> 0;
      map.osdWeight[i] = CEPH_OSD_IN;
    }
    const pool = map.pools.get(1)!;
    pool.pgNum = pool.pgpNum = PG_NUM;
    calcPgMasks(pool);
    const work = new PlacementWork();
    const ua = new UpActing();
    let best = Infinity;
    let checksum = 0;
    for (let round = 0; round < ROUNDS; round++) {
      checksum = 0;
      const t0 = process.hrtime.bigint();
      for (let ps = 0; ps < PG_NUM; ps++) {
        pgToUpActingOsdsInto(map, 1, ps, work, ua);
        checksum = (Math.imul(checksum, 31) + ua.actingPrimary) | 0;
      }
      best = Math.min(best, seconds(t0));
    }
    const tsPgs = best;
    console.log(`tsceph pg -> up/acting in-process: ${tsPgs.toFixed(4)} s  ${rate(PG_NUM, tsPgs, 'PGs')}  (checksum ${checksum >>> 0})`);

    const names: string[] = [];
    for (let i = 0; i < 4096; i++) names.push(`rbd_data.10074b0dc51.${i.toString(16).padStart(16, '0')}`);
    const loc = { pool: 1, key: '', nspace: '', hash: -1 };
    best = Infinity;
    for (let round = 0; round < ROUNDS; round++) {
      checksum = 0;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < OBJECTS; i++) {
        const ps = objectLocatorToPg(map, names[i & 4095]!, loc);
        pgToUpActingOsdsInto(map, 1, ps, work, ua);
        checksum = (Math.imul(checksum, 31) + ua.actingPrimary) | 0;
      }
      best = Math.min(best, seconds(t0));
    }
    const tsObjects = best;
    console.log(`tsceph object -> acting in-process: ${tsObjects.toFixed(3)} s  ${rate(OBJECTS, tsObjects, 'objects')}  (checksum ${checksum >>> 0})`);
    void OsdVector;

    console.log(`ratio tsceph/ceph, PGs mapped per second (start-up excluded): CLI ${(cephNet / tsNet).toFixed(2)}x, in-process pipeline ${(cephNet / tsPgs).toFixed(2)}x`);
    console.log(`ratio tsceph/ceph, whole --test-map-pgs commands: ${(ceph.best / ts.best).toFixed(2)}x`);
    console.log(`ratio tsceph object lookups (hash + pg + acting) per second / ceph PG lookups per second: ${(OBJECTS / tsObjects / (PG_NUM / cephNet)).toFixed(2)}x`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
