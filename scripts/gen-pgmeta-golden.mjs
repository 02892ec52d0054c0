// Regenerates test/golden/pgmeta/: the omap of a PG's pgmeta object as a real Ceph 16.2.15 OSD wrote it
// (_info, _infover, _fastinfo, _biginfo, _epoch, the log entries, may_include_deletes_in_missing), for
// test/osd/pg.test.ts (osd/pgmeta.ts must read them and write the same bytes). How: a real cluster of
// one ceph-mon, one ceph-mgr and one BlueStore ceph-osd (test/support/real-ceph-cluster.ts, ports
// 18700-18749), a pool of size 1 with one PG, three objects put and one removed with Ceph's rados; the
// OSD is killed and ceph-objectstore-tool reads the pgmeta object's omap off its device. Each value
// goes to <key>.bin; manifest.json lists the keys in omap order.
// Usage: npm run build && node scripts/gen-pgmeta-golden.mjs
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'test/golden/pgmeta');
const { startRealCephCluster } = await import(join(ROOT, 'dist/test/support/real-ceph-cluster.js'));

const tool = (dataPath, args) => {
  const r = spawnSync('ceph-objectstore-tool', ['--no-mon-config', '--data-path', dataPath, ...args], { timeout: 120000 });
  if (r.status !== 0) throw new Error(`ceph-objectstore-tool ${args.join(' ')}: ${r.stderr.toString()}`);
  return r.stdout;
};

const c = await startRealCephCluster({ name: 'gen-pgmeta', monPort: 18700, osdPortMin: 18710, osdPortMax: 18749, osds: 1 });
let dataPath;
try {
  await c.createPool('p', { pgNum: 1, size: 1, minSize: 1 });
  for (const o of ['a', 'b', 'c']) {
    if (c.rados(['-p', 'p', 'put', o, '-'], Buffer.from(`hello ${o}`)).status !== 0) throw new Error(`rados put ${o}`);
  }
  if (c.rados(['-p', 'p', 'rm', 'b']).status !== 0) throw new Error('rados rm b');
  await c.killOsd(0);
  dataPath = join(c.dir, 'osd.0');
  // the pgmeta object of pg 1.0: no name, the PG's seed as its hash
  const pgmeta = JSON.stringify(['1.0', { oid: '', key: '', snapid: -2, hash: 0, max: 0, pool: 1, namespace: '' }]);
  const keys = tool(dataPath, [pgmeta, 'list-omap']).toString().split('\n').filter((k) => k !== '');
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  for (const k of keys) writeFileSync(join(OUT, `${k}.bin`), tool(dataPath, [pgmeta, 'get-omap', k]));
  writeFileSync(join(OUT, 'manifest.json'), JSON.stringify({ ceph: '16.2.15', pgid: '1.0', keys }, null, 2) + '\n');
  console.log(`wrote ${keys.length} keys to ${OUT}: ${keys.join(' ')}`);
} finally {
  await c.stop();
}
