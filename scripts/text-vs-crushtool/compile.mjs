import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
export async function run(repo, work) {
const { compileCrushMap } = await import(`${repo}/dist/crush/compiler.js`);
const { decompileCrushMap } = await import(`${repo}/dist/crush/decompiler.js`);
const { encodeCrushMap } = await import(`${repo}/dist/crush/encoding.js`);
const dir = `${repo}/test/fixtures/crush/text/maps/`;
const files = readdirSync(dir).filter(f => f.endsWith('.txt') && !f.startsWith('built24'));
let seed = Number(process.argv[2] ?? 1);
const rnd = () => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed / 4294967296; };
const toks = ['{', '}', ' ', '\n', 'id', '-1', '-7', 'class', 'ssd', 'item', 'weight', '0.5', 'pos', '3', 'step', 'take', 'emit', 'choose', 'firstn', 'type', 'host', 'osd.0', '#', 'alg', 'straw2', 'uniform', 'tree', 'rule', 'device', '9', 'bucket_id', 'weight_set', '[', ']', 'ids'];
let n = Number(process.argv[3] ?? 200), bad = 0;
for (let k = 0; k < n; k++) {
  const f = files[Math.floor(rnd() * files.length)];
  let t = readFileSync(dir + f, 'utf8');
  const m = 1 + Math.floor(rnd() * 3);
  for (let j = 0; j < m; j++) {
    const p = Math.floor(rnd() * t.length);
    const r = rnd();
    if (r < 0.3) t = t.slice(0, p) + t.slice(p + 1 + Math.floor(rnd() * 8));
    else if (r < 0.7) t = t.slice(0, p) + toks[Math.floor(rnd() * toks.length)] + t.slice(p);
    else { const q = Math.floor(rnd() * t.length); const a = Math.min(p, q), b = Math.max(p, q); const line = t.indexOf('\n', b); t = t.slice(0, a) + t.slice(b, line < 0 ? undefined : line) + t.slice(a, b) + (line < 0 ? '' : t.slice(line)); }
  }
  writeFileSync(work + '/fz.txt', t);
  const c = spawnSync('crushtool', ['-c', 'fz.txt', '-o', 'fz.bin'], { cwd: work });
  let want, werr = c.stderr.toString(), wrc = c.status ?? 134;
  if (wrc === 0) want = spawnSync('crushtool', ['-d', 'fz.bin'], { cwd: work }).stdout.toString();
  let got, gerr = '', abort = false;
  let bin = null;
  try { const cw = compileCrushMap(t, { filename: 'fz.txt' }); bin = Buffer.from(encodeCrushMap(cw)); got = decompileCrushMap(cw); } catch (e) { if (!e.crushtoolMessage && e.crushtoolMessage !== '') { console.log('CRASH', e); bad++; writeFileSync(`${work}/crash${k}.txt`, t); continue; } gerr = e.crushtoolMessage; abort = e.crushtoolAborts; }
  if (wrc === 0 && bin && !bin.equals(readFileSync(work + '/fz.bin'))) { console.log('binary differs', k); bad++; }
  const ok = wrc === 0 ? got === want : (wrc === 134 || wrc === 139 ? abort : (got === undefined && gerr === werr));
  if (!ok) { bad++; writeFileSync(`${work}/diff${k}.txt`, t); console.log('DIFF', k, f, 'rc', wrc, JSON.stringify(werr.slice(0, 200)), '|', JSON.stringify(gerr.slice(0, 200)), got === undefined ? '' : (want === undefined ? 'we compiled' : 'output differs')); }
}
console.log('done', n, 'bad', bad);
}
