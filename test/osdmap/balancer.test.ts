// Proves common/osdmap/balancer.ts balances as Ceph 16.2.15's OSDMap::calc_pg_upmaps does: libstdc++'s minstd_rand0, mt19937 and std::shuffle against the standard's check values and g++'s own output, then 207 `osdmaptool --upmap` runs (test/fixtures/osdmap/balancer, recorded with std::random_device made a fixed sequence so that the aggressive, shuffling mode is exact too) replayed twice, as osdmaptool's loop around calcPgUpmaps and through bin/osdmaptool's main() given the same draws: stdout, the command file, the saved map's bytes and every calc_pg_upmaps debug log line equal Ceph's.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { main } from '../../bin/osdmaptool.js';
import {
  applyIncremental,
  calcPgUpmaps,
  CephAssertFailure,
  CEPH_OSD_IN,
  CEPH_OSD_UP,
  cleanPgUpmaps,
  cppShuffle,
  CRUSH_ITEM_NONE,
  decodeOSDMap,
  deviceWeights,
  encodeOSDMap,
  fixedRandomDevice,
  incUpmapCommands,
  MinstdRand0,
  Mt19937,
  newIncremental,
  OSDMap,
  PlacementWork,
  pgToUpActingOsdsInto,
  UpActing,
  type RandomEngine,
} from '../../common/osdmap/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const FIX = join(ROOT, 'test/fixtures/osdmap/balancer');

interface Params {
  dev: number;
  max: number;
  pools: string[];
  active: boolean;
  save: boolean;
  aggressive: boolean;
  retries: number;
  seed: number;
  debug: number;
}
interface Case {
  name: string;
  map: string;
  markUpIn: boolean;
  params: Params;
  argv: string[];
  stdout: string;
  cmds: string;
  savedSha256: string | null;
  log: string[];
  /** 0, or 134 when Pacific aborted in a ceph_assert (assertFailed: its "FILE: LINE: FAILED ceph_assert(COND)"). */
  exit: number;
  assertFailed: string | null;
}
interface Fixtures {
  maps: Record<string, { about: string }>;
  cases: Case[];
}

const fixtures = JSON.parse(gunzipSync(readFileSync(join(FIX, 'cases.json.gz'))).toString('latin1')) as Fixtures;
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** osdmaptool's --mark-up-in. */
function markUpIn(m: OSDMap): void {
  const crushWeight = deviceWeights(m, m.maxOsd);
  for (let i = 0; i < m.maxOsd; i++) {
    m.setState(i, m.getState(i) | CEPH_OSD_UP);
    m.setWeight(i, CEPH_OSD_IN);
    if (crushWeight[i] === 0) m.crush.adjustItemWeightf(i, 1.0);
  }
}

/**
 * osdmaptool's --upmap (Pacific's loop: cleanup, then rounds of a pool shuffle with an mt19937 seeded
 * from std::random_device and one calc_pg_upmaps per pool), with std::random_device the fixed sequence
 * the recording's shim gave Ceph. The elapsed times print 0 as under the recording's stopped clock.
 */
interface Replayed {
  stdout: string;
  cmds: string;
  saved: Buffer | null;
  log: string[];
  /** The ceph_assert that ended the run, as Ceph prints it, or null. */
  failed: string | null;
}

function replay(c: Case): Replayed {
  const r: Replayed = { stdout: '', cmds: '', saved: null, log: [], failed: null };
  try {
    replayInto(c, r);
  } catch (e) {
    if (!(e instanceof CephAssertFailure)) throw e;
    r.failed = `${e.file}: ${e.line}: FAILED ceph_assert(${e.cond})`;
  }
  return r;
}

function replayInto(c: Case, r: Replayed): void {
  const p = c.params;
  const m = decodeOSDMap(readFileSync(join(FIX, c.map)));
  const log = r.log;
  if (c.markUpIn) {
    r.stdout += 'marking all OSDs up and in\n';
    markUpIn(m);
  }
  r.stdout += 'writing upmap command output to: cmds.txt\n';
  r.stdout += 'checking for upmap cleanups\n';
  const cleanup = newIncremental(m.epoch + 1);
  cleanup.fsid = m.fsid;
  if (cleanPgUpmaps(m, cleanup)) {
    r.cmds += incUpmapCommands(cleanup);
    assert.equal(applyIncremental(m, cleanup), 0);
  }
  r.stdout += `upmap, max-count ${p.max}, max deviation ${p.dev}\n`;
  const names = [...new Set(p.pools)].sort();
  const pools: number[] = names.map((n) => m.lookupPoolName(n));
  if (pools.length) r.stdout += ` limiting to pools ${names.join(',')} ([${pools.join(',')}])\n`;
  else pools.push(...[...m.pools.keys()].sort((a, b) => a - b));
  const rd = fixedRandomDevice(p.seed);
  let modified = false;
  let rounds = 0;
  for (;;) {
    cppShuffle(pools, new Mt19937(rd()));
    r.stdout += `pools ${pools.map((id) => `${m.getPoolName(id)} `).join('')}\n`;
    const inc = newIncremental(m.epoch + 1);
    inc.fsid = m.fsid;
    let totalDid = 0;
    let left = p.max;
    for (const pool of pools) {
      const did = calcPgUpmaps(m, p.dev, left, new Set([pool]), inc, {
        aggressive: p.aggressive,
        localFallbackRetries: p.retries,
        randomDevice: rd,
        log: (level, text) => log.push(`${level} ${text}`),
        logLevel: p.debug,
      });
      totalDid += did;
      left -= did;
      if (left <= 0) break;
    }
    r.stdout += `prepared ${totalDid}/${p.max} changes\n`;
    if (p.active) r.stdout += 'Time elapsed 0 secs\n';
    if (totalDid > 0) {
      r.cmds += incUpmapCommands(inc);
      if (p.save || p.active) {
        assert.equal(applyIncremental(m, inc), 0);
        if (p.save) modified = true;
      }
    } else {
      r.stdout += 'Unable to find further optimization, or distribution is already perfect\n';
      if (p.active) {
        const perOsd = new Map<number, Set<number>>();
        const work = new PlacementWork();
        const ua = new UpActing();
        for (const id of [...m.pools.keys()].sort((a, b) => a - b)) {
          if (pools.length && p.pools.length && !pools.includes(id)) continue;
          for (let ps = 0; ps < m.pools.get(id)!.pgNum; ps++) {
            pgToUpActingOsdsInto(m, id, ps, work, ua, true, true);
            for (const osd of ua.up.toArray()) {
              if (osd === CRUSH_ITEM_NONE) continue;
              if (!perOsd.has(osd)) perOsd.set(osd, new Set());
              perOsd.get(osd)!.add(id * 2 ** 32 + ps);
            }
          }
        }
        for (const osd of [...perOsd.keys()].sort((a, b) => a - b)) r.stdout += `osd.${osd} pgs ${perOsd.get(osd)!.size}\n`;
        r.stdout += `Total time elapsed 0 secs, ${rounds} rounds\n`;
      }
      break;
    }
    rounds++;
    if (!p.active) break;
  }
  if (modified) {
    m.epoch++; // osdmaptool's inc_epoch before writing a modified map
    r.saved = encodeOSDMap(m);
    r.stdout += `osdmaptool: writing epoch ${m.epoch} to osdmap\n`;
  }
}

/** Ceph's log entries from the first of calc_pg_upmaps on (the cleanup's own are tested in upmap.test.ts). */
function balancerLog(log: readonly string[]): string[] {
  const first = log.findIndex((l) => /^-?\d+ calc_pg_upmaps /.test(l));
  return first < 0 ? [] : log.slice(first);
}

function firstDifference(a: readonly string[], b: readonly string[]): string {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1} of ${a.length}/${b.length}:\n  ceph:    ${JSON.stringify(a[i])}\n  tsceph:  ${JSON.stringify(b[i])}`;
  }
  return 'equal';
}

describe('upmap balancer (OSDMap::calc_pg_upmaps)', () => {
  describe("libstdc++'s engines and std::shuffle", () => {
    it('minstd_rand0 and mt19937 give the check values the C++ standard names for their 10000th draw', () => {
      const nth = (g: RandomEngine): number => {
        let v = 0;
        for (let i = 0; i < 10000; i++) v = g.next();
        return v;
      };
      assert.equal(nth(new MinstdRand0(1)), 1043618065);
      assert.equal(nth(new Mt19937(5489)), 4123659995);
    });

    it("std::shuffle permutes as g++ 12's does, for both engines, even and odd sizes, and past the two-positions-per-draw limit", () => {
      const vectors = JSON.parse(readFileSync(join(FIX, 'shuffle.json'), 'latin1')) as Array<{
        engine: string;
        seed: number;
        n: number;
        out?: number[];
        checksum?: number;
        next: number;
      }>;
      assert.ok(vectors.length > 300);
      for (const v of vectors) {
        const g = v.engine === 'mt19937' ? new Mt19937(v.seed) : new MinstdRand0(v.seed);
        const a = Array.from({ length: v.n }, (_, i) => i);
        cppShuffle(a, g);
        const what = `${v.engine} seed ${v.seed} n ${v.n}`;
        if (v.out) assert.deepEqual(a, v.out, what);
        else {
          let sum = 0;
          for (let i = 0; i < a.length; i++) sum = (sum + Math.imul(i, a[i]!)) >>> 0;
          assert.equal(sum, v.checksum, what);
        }
        assert.equal(g.next(), v.next, `${what}: the engine state after the shuffle`);
      }
    });
  });

  describe(`osdmaptool --upmap replayed (${fixtures.cases.length} recorded runs)`, () => {
    for (const c of fixtures.cases) {
      it(c.name, () => {
        const r = replay(c);
        assert.equal(r.failed, c.assertFailed, 'the ceph_assert that ended the run');
        assert.equal(r.stdout, c.stdout, 'stdout');
        assert.equal(r.cmds, c.cmds, 'the upmap command file');
        assert.equal(r.saved === null ? null : sha(r.saved), c.savedSha256, 'the map --save wrote');
        const want = balancerLog(c.log);
        assert.ok(r.log.length === want.length && r.log.every((l, i) => l === want[i]), `debug_osd ${c.params.debug} log: ${firstDifference(want, r.log)}`);
      });
    }
  });

  describe(`through bin/osdmaptool's main() with the same std::random_device draws (${fixtures.cases.length} runs)`, () => {
    for (const c of fixtures.cases) {
      it(c.name, async () => {
        const dir = mkdtempSync(join(tmpdir(), 'balancer-cli-'));
        try {
          writeFileSync(join(dir, 'osdmap'), readFileSync(join(FIX, c.map)));
          let stdout = '';
          let stderr = '';
          const code = await main(c.argv, {
            stdout: (s) => {
              stdout += s;
            },
            stderr: (s) => {
              stderr += s;
            },
            cwd: dir,
            argv0: 'osdmaptool',
            cephArgs: undefined,
            now: () => ({ sec: 1767225600, nsec: 0 }),
            pid: 1,
            tz: undefined,
            randomDevice: fixedRandomDevice(c.params.seed),
          });
          assert.equal(code, c.exit, 'exit status');
          if (c.assertFailed !== null) assert.ok(stderr.includes(`${c.assertFailed}\n`), `stderr names ${c.assertFailed}`);
          assert.equal(stdout, c.stdout, 'stdout');
          assert.equal(readFileSync(join(dir, 'cmds.txt'), 'latin1'), c.cmds, 'the upmap command file');
          const saved = readFileSync(join(dir, 'osdmap'));
          assert.equal(c.savedSha256 === null ? null : sha(saved), c.savedSha256, 'the map --save wrote');
          const entries: string[] = [];
          for (const line of stderr.split('\n')) {
            const m = /^\d{4}-\d\d-\d\dT\S+ [0-9a-f]+ +(-?\d+) (.*)$/.exec(line);
            if (m) entries.push(`${m[1]} ${m[2]}`);
          }
          const want = balancerLog(c.log);
          const got = balancerLog(entries);
          assert.ok(got.length === want.length && got.every((l, i) => l === want[i]), `stderr log: ${firstDifference(want, got)}`);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  });
});
