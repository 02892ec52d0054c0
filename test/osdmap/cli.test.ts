// Proves bin/osdmaptool.ts handles the command line, configuration options, CEPH_ARGS, errors, crashes and every stage as Ceph 16.2.15's osdmaptool does: replays the cases scripts/osdmap-cli/gen-cli-fixtures.mjs recorded from the real tool (test/fixtures/osdmap/cli) through main() in-process under the same clock, comparing stdout, exit status, written files and stderr (less the parts Ceph fills with thread ids, times and backtraces); and checks the tester's C-library helpers against glibc's known values.
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main } from '../../bin/osdmaptool.js';
import { GlibcRand, doubleText, parsePgidSscanf } from '../../common/osdmap/index.js';
import { walkFiles } from '../support/golden.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const FIX = join(ROOT, 'test/fixtures/osdmap/cli');

interface CliCase {
  name: string;
  argv: string[];
  cephArgs?: string;
  /** getpid() of the recorded run (--test-random seeds rand() with it). */
  pid?: number;
  exit: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
}
const manifest = JSON.parse(readFileSync(join(FIX, 'cases/cases.json'), 'utf8')) as {
  now: { sec: number; nsec: number };
  cases: CliCase[];
};

/**
 * stderr without what Ceph varies from run to run, cut as the generator cuts it: a crash report up to
 * where Ceph's time-stamped logging joins in, without backtrace lines, then its "*** Caught signal"
 * line; thread ids and times in assert reports masked.
 */
function stableStderr(text: string): string {
  const s = text.replace(/^(\d{4}-\d\d-\d\dT\S+) [0-9a-f]{12} /gm, '$1 7f0000000000 ');
  const signal = /^\*\*\* Caught signal .*$/m.exec(s);
  if (!signal) return s;
  const kept: string[] = [];
  for (const line of s.split('\n')) {
    if (line.startsWith('*** Caught signal') || /^\d{4}-\d\d-\d\dT\S+ [0-9a-f]+ /.test(line)) break;
    if (/^ (ceph version|\d+: |in thread)/.test(line)) continue;
    kept.push(line.replace(/ thread [0-9a-f]+ time \S+/g, ' thread X time T'));
  }
  kept.push(signal[0], '');
  return kept.join('\n');
}

describe('osdmaptool command line against Ceph 16.2.15 (test/fixtures/osdmap/cli)', function () {
  for (const c of manifest.cases) {
    it(c.name, async function () {
      this.timeout(60_000);
      const dir = mkdtempSync(join(tmpdir(), 'tsceph-osdmaptool-cli-'));
      try {
        cpSync(join(FIX, 'inputs'), dir, { recursive: true });
        const before = new Map(walkFiles(dir).map((f) => [f, readFileSync(join(dir, f))]));
        const out: string[] = [];
        const err: string[] = [];
        const exit = await main(c.argv, {
          stdout: (s) => out.push(s),
          stderr: (s) => err.push(s),
          cwd: dir,
          argv0: 'osdmaptool',
          cephArgs: c.cephArgs,
          now: () => manifest.now,
          pid: c.pid ?? 1,
          tz: 'UTC',
        });
        const problems: string[] = [];
        const expOut = readFileSync(join(FIX, 'cases', c.stdout)).toString('latin1');
        const gotOut = out.join('');
        if (gotOut !== expOut) problems.push(`stdout differs:\n--- expected\n${expOut.slice(0, 1500)}\n--- got\n${gotOut.slice(0, 1500)}`);
        if (exit !== c.exit) problems.push(`exit ${exit}, expected ${c.exit}`);
        const expErr = stableStderr(readFileSync(join(FIX, 'cases', c.stderr)).toString('latin1'));
        const gotErr = stableStderr(err.join(''));
        if (gotErr !== expErr) problems.push(`stderr differs:\n--- expected\n${expErr}\n--- got\n${gotErr}`);
        const written = new Map<string, Buffer>();
        for (const f of walkFiles(dir)) {
          const buf = readFileSync(join(dir, f));
          const old = before.get(f);
          if (!old || !old.equals(buf)) written.set(f, buf);
        }
        for (const [f, rel] of Object.entries(c.outputs)) {
          const got = written.get(f);
          if (!got) problems.push(`did not write ${f}`);
          else if (!got.equals(readFileSync(join(FIX, 'cases', rel)))) problems.push(`${f} differs from osdmaptool's`);
        }
        for (const f of written.keys()) if (!(f in c.outputs)) problems.push(`wrote ${f}, which osdmaptool does not`);
        if (problems.length) assert.fail(`osdmaptool ${c.argv.join(' ')}${c.cephArgs ? ` (CEPH_ARGS=${c.cephArgs})` : ''}\n${problems.join('\n')}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('osdmaptool tester helpers', function () {
  it('GlibcRand gives glibc rand() after srand(seed)', function () {
    // srand(1) is glibc's default sequence: 1804289383, 846930886, 1681692777, ...
    const r = new GlibcRand(1);
    assert.deepEqual([r.next(), r.next(), r.next(), r.next()], [1804289383, 846930886, 1681692777, 1714636915]);
    // seed 0 behaves as seed 1, as in glibc
    const z = new GlibcRand(0);
    assert.equal(z.next(), 1804289383);
  });

  it('parses pg ids as sscanf("%llu.%x") does', function () {
    assert.deepEqual(parsePgidSscanf('1.1f'), { pool: 1n, seed: 0x1f });
    assert.deepEqual(parsePgidSscanf(' 2.0x10'), { pool: 2n, seed: 16 });
    assert.deepEqual(parsePgidSscanf('3.7ztail'), { pool: 3n, seed: 7 });
    assert.deepEqual(parsePgidSscanf('-1.0'), { pool: 0xffffffffffffffffn, seed: 0 });
    assert.equal(parsePgidSscanf('1.'), null);
    assert.equal(parsePgidSscanf('abc'), null);
    assert.equal(parsePgidSscanf('1 .2'), null);
  });

  it('prints doubles as an ostream does, with x86 NaN as -nan', function () {
    assert.equal(doubleText(0 / 0), '-nan');
    assert.equal(doubleText(1 / 0), 'inf');
    assert.equal(doubleText(2.5), '2.5');
    assert.equal(doubleText(1234567), '1.23457e+06');
  });
});
