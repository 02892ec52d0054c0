// Regenerates test/fixtures/osdmap/cli/ (inputs/ and cases/) with Ceph 16.2.15's own osdmaptool: builds
// the input maps (osdmaptool --createsimple, crushtool --build + --import-crush, and OSD states drawn by
// random-states.mjs), then runs every case below in a scratch copy of inputs/ under a fixed clock
// (faketime, TZ=UTC) and records stdout, stderr, the exit status and every file the run created or
// changed into cases/cases.json (+ cases/NAME.*). test/osdmap/cli.test.ts replays them through tsceph's
// osdmaptool. Needs /usr/bin/osdmaptool and crushtool (16.2.15), faketime, and a built tsceph (npm run
// build) for random-states.mjs. Usage: node scripts/osdmap-cli/gen-cli-fixtures.mjs
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '../..');
const fix = join(root, 'test/fixtures/osdmap/cli');
const inputs = join(fix, 'inputs');
const casesDir = join(fix, 'cases');
const NOW = '2026-01-01 00:00:00';
const NOW_SEC = 1767225600;
const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'buffer', ...opts });
  if (r.error) throw r.error;
  return r;
}
function must(cmd, args, cwd) {
  const r = run(cmd, args, { cwd, env: { PATH: process.env.PATH, TZ: 'UTC' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
}

const version = run('osdmaptool', ['--version']).stdout.toString();
if (!version.startsWith('ceph version 16.2.15 ')) throw new Error(`need Ceph 16.2.15's osdmaptool, have ${version}`);
if (!existsSync(LIBFAKETIME)) throw new Error(`need libfaketime (${LIBFAKETIME})`);

// ---- inputs -------------------------------------------------------------------------------------
rmSync(inputs, { recursive: true, force: true });
mkdirSync(inputs, { recursive: true });
const ft = (args) => ['-f', `@${NOW} x0`, 'osdmaptool', ...args];
must('faketime', ft(['--createsimple', '6', '--with-default-pool', 'six.bin', '--clobber']), inputs);
must('faketime', ft(['--createsimple', '3', 'nopool.bin', '--clobber']), inputs);
must('crushtool', ['--build', '--num_osds', '24', 'host', 'straw2', '3', 'rack', 'straw2', '2', 'row', 'straw2', '2', 'root', 'straw2', '0', '-o', 'mid.crush'], inputs);
// 24 OSDs up and in (--mark-up-in is saved because --createsimple modifies the map), then a real hierarchy
must('faketime', ft(['--createsimple', '24', '--with-default-pool', '--pg-bits', '4', '--mark-up-in', 'mid.bin', '--clobber']), inputs);
must('faketime', ft(['mid.bin', '--import-crush', 'mid.crush']), inputs);
for (const [name, seed, down] of [['r1', 1, 0.25], ['r2', 2, 0.25], ['r3', 3, 0.25], ['d1', 12, 0.8], ['d2', 17, 1.0]]) {
  must('node', [join(here, 'random-states.mjs'), 'mid.bin', `${name}.bin`, String(seed), String(down)], inputs);
}
// an erasure-coded pool (rule 1: chooseleaf indep over hosts), all up, then with nine OSDs down (holes)
const midText = run('crushtool', ['-d', join(inputs, 'mid.crush')]).stdout.toString();
writeFileSync(
  join(inputs, 'midec.txt'),
  `${midText}rule ecrule {\n\tid 1\n\ttype erasure\n\tmin_size 3\n\tmax_size 6\n\tstep set_chooseleaf_tries 5\n` +
    '\tstep set_choose_tries 100\n\tstep take root\n\tstep chooseleaf indep 0 type host\n\tstep emit\n}\n',
);
must('crushtool', ['-c', 'midec.txt', '-o', 'midec.crush'], inputs);
cpSync(join(inputs, 'mid.bin'), join(inputs, 'midec.bin'));
must('faketime', ft(['midec.bin', '--import-crush', 'midec.crush']), inputs);
must('node', [join(here, 'add-ec-pool.mjs'), 'midec.bin', 'ec-up.bin'], inputs);
must('node', [join(here, 'add-ec-pool.mjs'), 'midec.bin', 'ec-down.bin', '0,1,2,3,4,5,6,7,8'], inputs);
rmSync(join(inputs, 'midec.bin'));
// maps with pg_upmap / pg_upmap_items to clean (made for the placement tests with a real monitor)
for (const n of ['00', '01']) cpSync(join(root, `test/fixtures/osdmap/placement/placement-${n}.bin`), join(inputs, `upmaps-${n}.bin`));
writeFileSync(join(inputs, 'junk.bin'), 'hello\n');
writeFileSync(join(inputs, 'empty.bin'), '');
writeFileSync(join(inputs, 'trunc.bin'), readFileSync(join(inputs, 'six.bin')).subarray(0, 100));
writeFileSync(join(inputs, 'osds.conf'), '[global]\nosd pool default size = 2\n[osd.3]\nhost = h1\n[osd.1]\nrack = r9\nroot = foo\n[osd.x]\n[osd.7a]\n[osd]\nrow = rowa\n');
mkdirSync(join(inputs, 'epochs'));
cpSync(join(inputs, 'six.bin'), join(inputs, 'epochs/0'));
cpSync(join(inputs, 'mid.bin'), join(inputs, 'epochs/1'));

// ---- cases --------------------------------------------------------------------------------------
// [name, argv, CEPH_ARGS?]
const cases = [
  ['no-args', []],
  ['help', ['--help']],
  ['help-short-late', ['six.bin', '-h']],
  ['version', ['--version', 'six.bin']],
  ['version-short', ['-v']],
  ['no-action', ['six.bin']],
  ['no-action-marks', ['six.bin', '--mark-up-in', '--clear-temp']],
  ['too-many', ['six.bin', 'mid.bin', '--print']],
  ['no-file', ['--print']],
  ['missing-file', ['nofile', '--print']],
  ['directory', ['.', '--print']],
  ['corrupt', ['junk.bin', '--print']],
  ['truncated', ['trunc.bin', '--tree']],
  ['double-dash', ['six.bin', '--', '--print']],
  ['unknown-option', ['--frobnicate', 'six.bin', '--print']],
  ['exists', ['--createsimple', '3', 'six.bin']],
  ['createsimple', ['--createsimple', '3', 'new.bin']],
  ['createsimple-zero', ['--createsimple', '0', 'new.bin']],
  ['createsimple-negative', ['--createsimple', '-2', 'new.bin']],
  ['createsimple-word', ['--createsimple', 'abc', 'new.bin']],
  ['createsimple-missing', ['--createsimple']],
  ['createsimple-equals', ['--createsimple=5', 'new.bin', '--with-default-pool', '--pg_bits=2', '--print']],
  ['createsimple-clobber', ['--createsimple', '4', 'six.bin', '--clobber', '--with-default-pool', '--tree']],
  ['createsimple-big-bits', ['--createsimple', '3', 'new.bin', '--with-default-pool', '--pg-bits', '12', '--pgp-bits', '30', '--print']],
  ['createsimple-bad-bits', ['--createsimple', '3', 'new.bin', '--with-default-pool', '--pgp-bits', 'abc']],
  ['createsimple-missing-bits', ['--createsimple', '3', 'new.bin', '--with-default-pool', '--pg-bits']],
  ['createsimple-osd-bits', ['--createsimple', '3', 'new.bin', '--with-default-pool', '--osd-pg-bits', 'x', '--print']],
  ['create-from-conf', ['--create-from-conf', 'new.bin', '--with-default-pool', '--print', '--tree']],
  ['create-from-conf-file', ['-c', 'osds.conf', '--create-from-conf', 'new.bin', '--with-default-pool', '--print', '--tree']],
  ['clobber-read', ['six.bin', '--clobber', '--print']],
  ['conf-size', ['--osd_pool_default_size', '2', '--createsimple', '3', '--with-default-pool', 'new.bin', '--print']],
  ['conf-size-dashes-equals', ['--osd-pool-default-size=5', '--createsimple', '3', '--with-default-pool', 'new.bin', '--print']],
  ['conf-size-bad', ['--osd_pool_default_size', 'abc', '--createsimple', '3', '--with-default-pool', 'new.bin', '--print']],
  ['conf-hashpspool-false', ['--osd_pool_default_flag_hashpspool', 'false', '--createsimple', '3', '--with-default-pool', 'new.bin', '--print']],
  ['conf-no-hashpspool', ['--no-osd_pool_default_flag_hashpspool', '--createsimple', '3', '--with-default-pool', 'new.bin', '--print']],
  ['conf-hashpspool-bad', ['--createsimple', '3', '--with-default-pool', 'new.bin', '--osd_pool_default_flag_hashpspool=maybe', '--print']],
  ['conf-autoscale-warn', ['--osd_pool_default_pg_autoscale_mode', 'warn', '--createsimple', '3', '--with-default-pool', 'new.bin', '--print']],
  ['conf-autoscale-bad', ['--osd_pool_default_pg_autoscale_mode', 'bogus', '--createsimple', '3', '--with-default-pool', 'new.bin', '--print']],
  ['conf-min-size', ['--osd_pool_default_min_size', '7', '--createsimple', '3', '--with-default-pool', 'new.bin', '--print']],
  ['conf-ec-profile', ['--osd_pool_default_erasure_code_profile', 'k=3,m=1', '--createsimple', '3', 'new.bin', '--dump', 'json-pretty']],
  ['conf-crush-rule-missing', ['--osd_pool_default_crush_rule', '5', '--createsimple', '3', '--with-default-pool', 'new.bin']],
  ['conf-flags', ['--osd_pool_default_flags', '12', '--osd_pool_default_flag_bulk', 'true', '--createsimple', '3', '--with-default-pool', 'new.bin', '--print']],
  ['conf-debug', ['--debug-osd', '0', '--debug_crush=0/0', 'six.bin', '--print']],
  ['conf-show-value', ['--show_config_value', 'osd_pool_default_size', 'six.bin']],
  ['conf-other-options', ['six.bin', '--print', '--osd_max_backfills', '3', '--no-ms_crc_data', '--mon_host', '1.2.3.4', '-m', 'x', '--keyring', 'k', '--ms-crc-data', 'false']],
  ['conf-other-bad-values', ['six.bin', '--print', '--osd-max-backfills=x', '--osd_max_backfills', '-3', '--mon_max_osd', '10x', '--osd_pool_default_size', '5B', '--osd_pool_default_size=', '--osd_max_backfills', '5K']],
  ['conf-value-missing', ['six.bin', '--print', '--osd_pool_default_size']],
  ['conf-no-on-value-option', ['six.bin', '--print', '--no-osd_max_backfills']],
  ['ceph-args-print', ['six.bin'], '--print'],
  ['ceph-args-file', ['--print'], 'six.bin'],
  ['ceph-args-show', ['six.bin', '--print'], '--show_args'],
  ['ceph-args-dashdash', ['six.bin', '--', 'b'], '--show_args  -- a'],
  ['ceph-args-name-bad', ['six.bin', '--print'], '--name foo'],
  ['name-ok', ['--name', 'osd.1', '--id', 'x', '--cluster', 'c', 'six.bin', '--print']],
  ['dump-json', ['six.bin', '--dump', 'json']],
  ['dump-xml-pretty', ['six.bin', '--dump', 'xml-pretty']],
  ['dump-unknown-format', ['six.bin', '--dump', 'bogus']],
  ['dump-plain', ['mid.bin', '--dump', 'plain']],
  ['dump-missing-format', ['six.bin', '--dump']],
  ['tree-json-pretty', ['mid.bin', '--tree', 'json-pretty']],
  ['tree-takes-dump-format', ['six.bin', '--dump', 'json', '--tree']],
  ['tree-plain-print', ['r1.bin', '--tree=plain', '-p']],
  ['mark-up-in-print', ['six.bin', '--mark-up-in', '--print', '--tree']],
  ['mark-out', ['r1.bin', '--mark-out', '3', '--test-map-pgs']],
  ['mark-out-past-max', ['six.bin', '--mark-out', '99', '--print']],
  ['mark-out-word', ['six.bin', '--mark-out', 'abc', '--print']],
  ['mark-up', ['d1.bin', '--mark-up', '2.7', '--tree']],
  ['mark-in-alone', ['six.bin', '--mark-in', '4', '--print']],
  ['mark-in-up-past-max', ['six.bin', '--mark-up', '9', '--mark-in', '4', '--print']],
  ['mark-in-and-up', ['r2.bin', '--mark-up', '5', '--mark-in', '6', '--tree']],
  ['mark-up-word', ['six.bin', '--mark-up', 'x', '--print']],
  ['adjust-weights', ['mid.bin', '--adjust-crush-weight', '1:2.5,3:0,,7:0.125', '--test-map-pgs', '--tree']],
  ['adjust-weights-save', ['mid.bin', '--adjust-crush-weight', '1:0.5,2:3', '--save', '--print']],
  ['adjust-weights-no-colon', ['mid.bin', '--adjust-crush-weight', '5']],
  ['adjust-weights-bad-id', ['mid.bin', '--adjust-crush-weight', 'a:1']],
  ['adjust-weights-bad-weight', ['mid.bin', '--adjust-crush-weight', '1:x']],
  ['clear-temp', ['six.bin', '--clear-temp', '--print']],
  ['clean-temps', ['r1.bin', '--clean-temps', '--print']],
  ['export-crush', ['mid.bin', '--export-crush', 'out.crush']],
  ['export-crush-fail', ['mid.bin', '--export-crush', 'nodir/out.crush']],
  ['import-crush', ['mid.bin', '--import-crush', 'mid.crush', '--print']],
  ['import-crush-too-many-devices', ['six.bin', '--import-crush', 'mid.crush']],
  ['import-crush-missing', ['six.bin', '--import-crush', 'nofile']],
  ['import-crush-junk', ['six.bin', '--import-crush', 'junk.bin']],
  ['import-crush-empty', ['six.bin', '--import-crush', 'empty.bin']],
  ['import-crush-truncated', ['six.bin', '--import-crush', 'trunc.bin']],
  ['clobber-test-map-pgs', ['--clobber', '--test-map-pgs', 'six.bin']],
  ['import-export-print', ['mid.bin', '--import-crush', 'mid.crush', '--export-crush', 'again.crush', '--tree']],
  ['test-map-pg', ['r1.bin', '--test-map-pg', '1.0']],
  ['test-map-pg-hex', ['r2.bin', '--test-map-pg', '1.3f']],
  ['test-map-pg-raw', ['r2.bin', '--test-map-pg', '1.1234']],
  ['test-map-pg-prefix', ['r3.bin', '--test-map-pg', '1.0x1f']],
  ['test-map-pg-no-pool', ['r1.bin', '--test-map-pg', '9.0']],
  ['test-map-pg-bad', ['r1.bin', '--test-map-pg', 'abc']],
  ['test-map-pg-no-seed', ['r1.bin', '--test-map-pg', '1.']],
  ['test-map-object', ['r1.bin', '--test-map-object', 'foo']],
  ['test-map-object-pool', ['r2.bin', '--test-map-object', 'rbd_data.1234', '--pool', '1']],
  ['test-map-object-no-pool', ['r2.bin', '--test-map-object', 'foo', '--pool', '5']],
  ['test-map-object-nopool-map', ['nopool.bin', '--test-map-object', 'foo']],
  ['test-map-pgs-empty', ['six.bin', '--test-map-pgs']],
  ['test-map-pgs-up-in', ['six.bin', '--test-map-pgs', '--mark-up-in']],
  ['test-map-pgs', ['r1.bin', '--test-map-pgs']],
  ['test-map-pgs-pool', ['r2.bin', '--test-map-pgs', '--pool', '1']],
  ['test-map-pgs-no-pool', ['r2.bin', '--test-map-pgs', '--pool', '3']],
  ['test-map-pgs-pool-word', ['r2.bin', '--test-map-pgs', '--pool', 'x']],
  ['test-map-pgs-pg-num', ['r3.bin', '--test-map-pgs', '--pg_num', '1000']],
  ['test-map-pgs-pg-num-bad', ['r3.bin', '--test-map-pgs', '--pg_num', '12x']],
  ['test-map-pgs-pg-num-print', ['mid.bin', '--test-map-pgs', '--pg_num', '7', '--print']],
  ['test-map-pgs-dump', ['r1.bin', '--test-map-pgs-dump']],
  ['test-map-pgs-dump-all', ['r2.bin', '--test-map-pgs-dump-all']],
  ['test-map-pgs-dump-both', ['r3.bin', '--test-map-pgs-dump', '--test-map-pgs-dump-all']],
  ['test-map-pgs-down', ['d1.bin', '--test-map-pgs-dump']],
  ['test-map-pgs-all-down', ['d2.bin', '--test-map-pgs-dump-all']],
  ['ec-test-map-pgs', ['ec-up.bin', '--test-map-pgs']],
  ['ec-holes-dump', ['ec-down.bin', '--test-map-pgs-dump']],
  ['ec-holes-dump-all', ['ec-down.bin', '--test-map-pgs-dump-all', '--pool', '2']],
  ['ec-holes-summary', ['ec-down.bin', '--test-map-pgs', '--pool', '2']],
  ['ec-holes-map-pg', ['ec-down.bin', '--test-map-pg', '2.3']],
  ['ec-holes-map-object', ['ec-down.bin', '--test-map-object', 'foo', '--pool', '2']],
  ['ec-holes-health', ['ec-down.bin', '--health', '--print']],
  ['range', ['epochs', '--range-first', '0', '--range-last', '1']],
  ['range-missing', ['epochs', '--range-first', '0', '--range-last', '3']],
  ['health-six', ['six.bin', '--health']],
  ['health-nopool', ['nopool.bin', '--health']],
  ['health-r1', ['r1.bin', '--health']],
  ['health-r2', ['r2.bin', '--health']],
  ['health-r3', ['r3.bin', '--health']],
  ['health-d1', ['d1.bin', '--health']],
  ['health-d2', ['d2.bin', '--health']],
  ['upmap-deviation-zero', ['six.bin', '--upmap', '-', '--upmap-deviation', '0']],
  ['upmap-cleanup-stdout', ['upmaps-00.bin', '--upmap-cleanup', '-', '--print']],
  ['upmap-cleanup-to-file', ['upmaps-01.bin', '--upmap-cleanup', 'cmds.txt', '--dump', 'json']],
  ['upmap-cleanup-quiet', ['upmaps-01.bin', '--upmap-cleanup', '-', '--debug_crush', '0', '--debug_osd', '-1']],
  ['upmap-cleanup-none', ['r1.bin', '--upmap-cleanup', '-']],
  ['upmap-cleanup-file', ['r1.bin', '--upmap-cleanup', 'cmds.txt']],
  ['upmap-cleanup-bad-file', ['r1.bin', '--upmap-cleanup', 'nodir/cmds.txt']],
  ['upmap-no-pool', ['r1.bin', '--upmap', '-', '--upmap-pool', 'nosuch']],
  ['upmap-nopool-map', ['nopool.bin', '--upmap', 'cmds.txt']],
  // --test-random seeds rand() with getpid(): these run as pid 1 in a new pid namespace
  ['test-random', ['r1.bin', '--test-map-pgs-dump', '--test-random'], undefined, { pid1: true }],
  ['test-random-summary', ['mid.bin', '--test-map-pgs', '--test-random', '--pg_num', '5000'], undefined, { pid1: true }],
];

// ---- record -------------------------------------------------------------------------------------
function walk(dir, prefix = '') {
  const out = [];
  for (const f of readdirSync(dir).sort()) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) out.push(...walk(p, `${prefix}${f}/`));
    else out.push(`${prefix}${f}`);
  }
  return out;
}

/**
 * A crash report is kept up to where Ceph's logging joins in (a time-stamped line, from another
 * thread, at a varying place), then its "*** Caught signal" line: the log dump, backtraces and thread
 * ids change from run to run. cli.test.ts cuts tsceph's stderr the same way.
 */
function stableCrashReport(buf) {
  // Log lines name the thread that wrote them: one id for all, as tsceph prints it
  const text = buf.toString('latin1').replace(/^(\d{4}-\d\d-\d\dT\S+) [0-9a-f]{12} /gm, '$1 7f0000000000 ');
  const signal = /^\*\*\* Caught signal .*$/m.exec(text);
  if (!signal) return Buffer.from(text, 'latin1');
  const kept = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('*** Caught signal') || /^\d{4}-\d\d-\d\dT\S+ [0-9a-f]+ /.test(line)) break;
    if (/^ (ceph version|\d+: |in thread)/.test(line)) continue;
    kept.push(line.replace(/ thread [0-9a-f]+ time /g, ' thread 7f0000000000 time '));
  }
  kept.push(signal[0], '');
  return Buffer.from(kept.join('\n'), 'latin1');
}

rmSync(casesDir, { recursive: true, force: true });
mkdirSync(casesDir, { recursive: true });
const scratch = mkdtempSync(join(tmpdir(), 'osdmaptool-cli-'));
const manifest = { osdmaptool: version.trim(), now: { sec: NOW_SEC, nsec: 0 }, cases: [] };
try {
  for (const [name, argv, cephArgs, opts = {}] of cases) {
    const work = join(scratch, name);
    cpSync(inputs, work, { recursive: true });
    const before = new Map(walk(work).map((f) => [f, readFileSync(join(work, f))]));
    // libfaketime preloaded directly (not through the faketime wrapper, which loses signal exits)
    const env = { PATH: process.env.PATH, TZ: 'UTC', LC_ALL: 'C', LD_PRELOAD: LIBFAKETIME, FAKETIME: `@${NOW} x0` };
    if (cephArgs !== undefined) env.CEPH_ARGS = cephArgs;
    process.stderr.write(`${name} `);
    const [cmd, args] = opts.pid1 ? ['unshare', ['-fp', '--mount-proc', 'osdmaptool', ...argv]] : ['osdmaptool', argv];
    const r = run(cmd, args, { cwd: work, env, timeout: 60000, stdio: ['ignore', 'pipe', 'pipe'] });
    const exit = r.status ?? 128 + ({ SIGABRT: 6, SIGSEGV: 11, SIGFPE: 8 }[r.signal] ?? 0);
    const c = { name, argv, exit, stdout: `${name}.stdout`, stderr: `${name}.stderr`, outputs: {} };
    if (cephArgs !== undefined) c.cephArgs = cephArgs;
    if (opts.pid1) c.pid = 1;
    writeFileSync(join(casesDir, c.stdout), r.stdout);
    writeFileSync(join(casesDir, c.stderr), stableCrashReport(r.stderr));
    for (const f of walk(work)) {
      const buf = readFileSync(join(work, f));
      const old = before.get(f);
      if (old && old.equals(buf)) continue;
      const rel = `${name}.out.${f.replace(/\//g, '_')}`;
      writeFileSync(join(casesDir, rel), buf);
      c.outputs[f] = rel;
    }
    manifest.cases.push(c);
    rmSync(work, { recursive: true, force: true });
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
writeFileSync(join(casesDir, 'cases.json'), JSON.stringify(manifest, null, 1) + '\n');
console.log(`${manifest.cases.length} cases recorded in ${casesDir}`);
if (!existsSync(join(casesDir, 'cases.json'))) process.exit(1);
