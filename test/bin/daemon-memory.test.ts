// Proves the daemons' memory settings (bin/daemon-memory.ts, docs/memory.md): the environment each
// TSCEPH_MALLOC choice yields, that settings already in the environment win, the OSD's V8 nursery flag,
// the store cache split of bluestore_cache_size, a self-detaching daemon's child getting them, and, on a real vstart cluster (one monitor, one OSD), that the
// daemons were started with them (/proc/PID/environ and /proc/PID/cmdline). Ports 21300-21399.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { detachDaemon } from '../../bin/daemon.js';
import {
  GLIBC_ARENAS_MAX, GLIBC_MMAP_THRESHOLD_BYTES, OSD_SEMI_SPACE_MIB, TCMALLOC_LIBRARY_PATHS,
  daemonMemoryEnv, gcExternalGrowthBytes, osdNodeFlags, startExternalGcWatch,
} from '../../bin/daemon-memory.js';
import { storeCacheBytes } from '../../bin/ceph-osd.js';
import { CephError } from '../../common/errors.js';
import { OsdCluster } from '../support/osd-cluster.js';
import { until } from '../support/wait.js';

const PORT = 21300;

describe('daemon memory settings', () => {
  it('glibc (the default) sets the three malloc variables and keeps the rest of the environment', () => {
    // The values docs/memory.md gives (its table), not the module's constants: a changed setting must show here.
    const glibc = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '1048576', MALLOC_TRIM_THRESHOLD_: '4194304' };
    assert.deepEqual(daemonMemoryEnv({ PATH: '/bin' }), { PATH: '/bin', ...glibc });
    assert.deepEqual(daemonMemoryEnv({ TSCEPH_MALLOC: 'glibc', PATH: '/bin' }), { TSCEPH_MALLOC: 'glibc', PATH: '/bin', ...glibc });
    assert.deepEqual(daemonMemoryEnv({ TSCEPH_MALLOC: '' }), { TSCEPH_MALLOC: '', ...glibc });
  });

  it('a daemon detaching itself (ceph-osd or ceph-mon without -f) starts its child with the settings', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'detach-env-'));
    try {
      const script = join(dir, 'child.mjs');
      const out = join(dir, 'env.json');
      writeFileSync(script, `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(out)}, JSON.stringify(process.env));\n`);
      detachDaemon(pathToFileURL(script).href, [], { PATH: process.env['PATH'] }, null);
      const env = await until('the detached child', () => existsSync(out) && readFileSync(out, 'utf8').endsWith('}') && (JSON.parse(readFileSync(out, 'utf8')) as Record<string, string>), 10000, 20);
      assert.equal(env['MALLOC_ARENA_MAX'], '2');
      assert.equal(env['MALLOC_MMAP_THRESHOLD_'], '1048576');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a variable already set wins', () => {
    const out = daemonMemoryEnv({ MALLOC_ARENA_MAX: '8' });
    assert.equal(out['MALLOC_ARENA_MAX'], '8');
    assert.equal(out['MALLOC_MMAP_THRESHOLD_'], String(GLIBC_MMAP_THRESHOLD_BYTES));
  });

  it('none leaves the environment as given', () => {
    const env = { TSCEPH_MALLOC: 'none', PATH: '/bin' };
    assert.deepEqual(daemonMemoryEnv(env), env);
  });

  it('tcmalloc preloads the library when installed, before any other preload, else falls back to glibc', () => {
    const lib = TCMALLOC_LIBRARY_PATHS[0]!;
    const has = (p: string): boolean => p === lib;
    assert.equal(daemonMemoryEnv({ TSCEPH_MALLOC: 'tcmalloc' }, has)['LD_PRELOAD'], lib);
    assert.equal(daemonMemoryEnv({ TSCEPH_MALLOC: 'tcmalloc', LD_PRELOAD: '/x.so' }, has)['LD_PRELOAD'], `${lib}:/x.so`);
    assert.equal(daemonMemoryEnv({ TSCEPH_MALLOC: 'tcmalloc' }, has)['MALLOC_ARENA_MAX'], undefined);
    const without = daemonMemoryEnv({ TSCEPH_MALLOC: 'tcmalloc' }, () => false);
    assert.equal(without['LD_PRELOAD'], undefined);
    assert.equal(without['MALLOC_MMAP_THRESHOLD_'], String(GLIBC_MMAP_THRESHOLD_BYTES));
  });

  it('an unknown choice is refused', () => {
    assert.throws(() => daemonMemoryEnv({ TSCEPH_MALLOC: 'jemalloc' }), (e: unknown) => e instanceof CephError && e.code === 'EINVAL' && /TSCEPH_MALLOC=jemalloc/.test(e.message));
  });

  it('an OSD gets a small nursery unless the user set one', () => {
    assert.deepEqual(osdNodeFlags([], {}), [`--max-semi-space-size=${OSD_SEMI_SPACE_MIB}`]);
    assert.deepEqual(osdNodeFlags(['--maglev'], {}), [`--max-semi-space-size=${OSD_SEMI_SPACE_MIB}`, '--maglev']);
    assert.deepEqual(osdNodeFlags(['--max-semi-space-size=16'], {}), ['--max-semi-space-size=16']);
  });

  it('TSCEPH_GC_EXTERNAL_MIB turns the external-memory GC watch on (with --expose-gc), off by default', () => {
    assert.equal(gcExternalGrowthBytes({}), 0);
    assert.equal(gcExternalGrowthBytes({ TSCEPH_GC_EXTERNAL_MIB: '16' }), 16 << 20);
    assert.throws(() => gcExternalGrowthBytes({ TSCEPH_GC_EXTERNAL_MIB: '-1' }), /TSCEPH_GC_EXTERNAL_MIB/);
    assert.deepEqual(osdNodeFlags([], { TSCEPH_GC_EXTERNAL_MIB: '16' }), ['--expose-gc', `--max-semi-space-size=${OSD_SEMI_SPACE_MIB}`]);
    assert.equal(startExternalGcWatch(0, () => 0), null);
  });

  it('bluestore_cache_size is split by its two ratios, each part at least 2 MiB; ratios over 1 together are refused', () => {
    assert.deepEqual(storeCacheBytes(32 << 20, 0.45, 0.45), { onodeBytes: Math.floor((32 << 20) * 0.45), kvBytes: Math.floor((32 << 20) * 0.45) });
    assert.deepEqual(storeCacheBytes(1 << 20, 0.45, 0.45), { onodeBytes: 2 << 20, kvBytes: 2 << 20 });
    assert.throws(() => storeCacheBytes(32 << 20, 0.6, 0.5), /EINVAL|> 1/);
  });

  describe('on a vstart cluster', function () {
    this.timeout(180000);
    let c: OsdCluster | null = null;
    const saved = { malloc: process.env['TSCEPH_MALLOC'], flags: process.env['TSCEPH_NODE_FLAGS'] };

    before(() => {
      delete process.env['TSCEPH_MALLOC'];
      delete process.env['TSCEPH_NODE_FLAGS'];
      c = OsdCluster.start({ osds: 1, port: PORT, prefix: 'daemon-memory-' });
    });

    after(() => {
      c?.destroy();
      if (saved.malloc !== undefined) process.env['TSCEPH_MALLOC'] = saved.malloc;
      if (saved.flags !== undefined) process.env['TSCEPH_NODE_FLAGS'] = saved.flags;
    });

    const environ = (pid: number): string[] => readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    const cmdline = (pid: number): string[] => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');

    it('the monitor and the OSD run with the glibc settings; the OSD with the small nursery, the monitor without', () => {
      for (const name of ['mon.a', 'osd.0']) {
        const env = environ(c!.pidOf(name));
        assert.ok(env.includes(`MALLOC_MMAP_THRESHOLD_=${GLIBC_MMAP_THRESHOLD_BYTES}`), `${name}: ${env.filter((e) => e.startsWith('MALLOC')).join(' ')}`);
        assert.ok(env.includes(`MALLOC_ARENA_MAX=${GLIBC_ARENAS_MAX}`));
      }
      assert.ok(cmdline(c!.pidOf('osd.0')).includes(`--max-semi-space-size=${OSD_SEMI_SPACE_MIB}`));
      assert.ok(!cmdline(c!.pidOf('mon.a')).some((w) => w.startsWith('--max-semi-space-size')));
    });

    it('the OSD sized its store caches from bluestore_cache_size (default 32 MiB)', () => {
      const log = readFileSync(join(c!.dir, 'out', 'osd.0.log'), 'utf8');
      const part = Math.floor((32 << 20) * 0.45);
      assert.match(log, new RegExp(`store caches: onode ${part} bytes, kv ${part} bytes`));
    });
  });
});
