// Writes a copy of an OSDMap with OSD states drawn from a seed (up/down, in/out, reweights, noup/noout
// flags, full, primary affinity, map flags), encoded by tsceph's encoder. The expected outputs for these
// maps are Ceph's osdmaptool's (gen-cli-fixtures.sh runs it on them), so the encoder is not what is
// tested. Usage: node scripts/osdmap-cli/random-states.mjs IN OUT SEED [DOWN_FRACTION]
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const lib = await import(join(root, 'dist/common/osdmap/index.js'));
const [, , inp, outp, seedText, downText] = process.argv;
let seed = Number(seedText) >>> 0;
const downFraction = Number(downText ?? 0.25);
const rnd = () => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 4294967296;
};
const mode = seed % 4;
const m = lib.decodeOSDMap(readFileSync(inp));
for (let i = 0; i < m.maxOsd; i++) {
  const r = rnd();
  let st = 0;
  let w = 0;
  if (r < 0.05) [st, w] = [0, 0]; // does not exist
  else if (r < downFraction) [st, w] = [1, 0x10000]; // down, in
  else if (r < downFraction + 0.1) [st, w] = [3, 0]; // up, out
  else if (r < downFraction + 0.2) [st, w] = [3, Math.floor(rnd() * 0x10000)]; // reweighted
  else [st, w] = [3, 0x10000];
  if (rnd() < 0.05) st |= (1 << 8) | (1 << 11); // noup, noout
  if (rnd() < 0.05 && (st & 3) === 3) st |= 1 << 4; // full
  m.osdState[i] = st;
  m.osdWeight[i] = w;
}
if (mode >= 2) for (let i = 0; i < m.maxOsd; i++) if (rnd() < 0.2) m.setPrimaryAffinity(i, Math.floor(rnd() * 0x10000));
if (mode === 3) m.flags |= (1 << 15) | (1 << 7); // sortbitwise, noout
m.epoch++;
writeFileSync(outp, lib.encodeOSDMap(m));
