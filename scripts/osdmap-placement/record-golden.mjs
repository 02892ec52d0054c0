// Records what Ceph's osdmaptool maps for the golden set's monitor-made maps (test/golden/osdmap/maps/mon:
// the named checkpoints and every full map of the monitor's history), for test/osdmap/placement.test.ts. Writes OUT.json: per map its file, the sha256 of its bytes (so a
// regenerated golden set is noticed), the PG count and the sha256 of the `--test-map-pgs-dump-all` PG
// lines, and the `--upmap-cleanup` commands; plus, for each checkpoint, the PG lines themselves in
// OUTDIR/golden-NAME.dump-all.txt so that a failure shows the first differing PG.
//
// Usage: node scripts/osdmap-placement/record-golden.mjs GOLDEN_MON_DIR OUTDIR
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';

const [dir, outDir] = process.argv.slice(2);
if (!dir || !outDir) throw new Error('usage: record-golden.mjs GOLDEN_MON_DIR OUTDIR');
const OSDMAPTOOL = process.env.OSDMAPTOOL ?? '/usr/bin/osdmaptool';
const root = new URL('../..', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'placement-golden-'));
const sha = (b) => createHash('sha256').update(b).digest('hex');

const checkpoints = readdirSync(dir).filter((f) => f.endsWith('.bin')).sort();
const history = readdirSync(join(dir, 'history')).filter((f) => /^full-\d+\.bin(\.gz)?$/.test(f)).sort();
const maps = [];
for (const f of [...checkpoints, ...history.map((h) => join('history', h))]) {
  const path = join(dir, f);
  let bytes = readFileSync(path);
  if (f.endsWith('.gz')) bytes = gunzipSync(bytes);
  const bin = join(tmp, 'map.bin');
  writeFileSync(bin, bytes);
  const dump = execFileSync(OSDMAPTOOL, [bin, '--test-map-pgs-dump-all'], { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28 })
    .toString('latin1')
    .split('\n')
    .filter((l) => /^\d+\.[0-9a-f]+ raw \(/.test(l));
  const cmds = join(tmp, 'cleanup.txt');
  execFileSync(OSDMAPTOOL, [bin, '--upmap-cleanup', cmds], { stdio: 'ignore' });
  const entry = {
    file: relative(root, path),
    sha256: sha(bytes),
    pgs: dump.length,
    dumpAllSha256: sha(dump.map((l) => l + '\n').join('')),
    upmapCleanup: readFileSync(cmds, 'latin1'),
  };
  if (!f.startsWith('history')) {
    const name = f.replace(/\.bin$/, '');
    writeFileSync(join(outDir, `golden-${name}.dump-all.txt`), dump.map((l) => l + '\n').join(''));
    entry.dumpAll = `golden-${name}.dump-all.txt`;
  }
  maps.push(entry);
}
rmSync(tmp, { recursive: true });
writeFileSync(
  join(outDir, 'golden-mon.json'),
  '{"about": "osdmaptool 16.2 on the golden monitor-made maps (scripts/osdmap-placement/record-golden.mjs)",\n "maps": [\n' +
    maps.map((m) => '  ' + JSON.stringify(m)).join(',\n') +
    '\n ]\n}\n',
);
console.log(`${maps.length} golden maps, ${maps.reduce((s, m) => s + m.pgs, 0)} PGs`);
