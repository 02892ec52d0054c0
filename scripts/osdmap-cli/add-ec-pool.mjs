// Writes a copy of an OSDMap with an erasure-coded pool 'ec' (id 2, size 4, CRUSH rule 1, 32 PGs) and
// the given OSDs marked down, encoded by tsceph's encoder; osdmaptool cannot make such a pool itself.
// The expected outputs on these maps are Ceph's osdmaptool's (gen-cli-fixtures.mjs runs it on them).
// Usage: node scripts/osdmap-cli/add-ec-pool.mjs IN OUT [DOWN_OSD,...]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const lib = await import(join(root, 'dist/common/osdmap/index.js'));
const [, , inp, outp, downs] = process.argv;
const m = lib.decodeOSDMap(readFileSync(inp));
const p = lib.newPgPool();
p.type = 3;
p.size = 4;
p.minSize = 3;
p.crushRule = 1;
p.objectHash = 2;
p.flags = 1;
p.pgNum = p.pgpNum = p.pgNumTarget = p.pgpNumTarget = p.pgNumPending = 32;
lib.calcPgMasks(p);
p.erasureCodeProfile = 'default';
p.stripeWidth = 8192;
p.lastChange = m.epoch;
m.pools.set(2, p);
m.poolName.set(2, 'ec');
m.poolMax = 2;
for (const d of (downs ?? '').split(',').filter(Boolean)) m.osdState[Number(d)] &= ~2;
m.epoch++;
writeFileSync(outp, lib.encodeOSDMap(m));
