import { readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
export async function run(repo, work) {
const { compileCrushMap } = await import(`${repo}/dist/crush/compiler.js`);
const { decompileCrushMap } = await import(`${repo}/dist/crush/decompiler.js`);
const { decodeCrushMap, encodeCrushMap } = await import(`${repo}/dist/crush/encoding.js`);
const { CrushWrapper } = await import(`${repo}/dist/crush/wrapper.js`);
const dir = `${repo}/test/fixtures/crush/text/maps/`;
const maps = ['classes-choose-args','basic','classes','choose_args','algs','holes','legacy-ssd','empty-class','uniform-classes','rules','weights','built24','odd-names','hash-and-empty'];
let seed = Number(process.argv[2] ?? 1);
const rnd = () => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return seed / 4294967296; };
const pick = (a) => a[Math.floor(rnd() * a.length)];
const weights = ['0', '0.5', '1', '2.25', '3', '0.0625', '10'];
let bad = 0; const N = Number(process.argv[3] ?? 100);
for (let k = 0; k < N; k++) {
  const m = pick(maps);
  const text = readFileSync(dir + m + '.txt', 'utf8');
  const cw0 = compileCrushMap(text);
  const names = [...cw0.names.nameMap.values()].filter(n => !n.includes('~'));
  const types = [...cw0.names.typeMap.values()];
  const buckets = names.filter(n => cw0.getItemId(n) < 0);
  const loc = () => { const out = []; const nl = 1 + Math.floor(rnd() * 2); for (let i = 0; i < nl; i++) out.push('--loc', pick(types), rnd() < 0.7 && buckets.length ? pick(buckets) : 'new' + Math.floor(rnd() * 3)); return out; };
  const ops = [
    () => ['--add-item', String(Math.floor(rnd() * 30)), pick(weights), rnd() < 0.5 ? 'osd.' + Math.floor(rnd() * 30) : pick(names), ...loc()],
    () => ['--update-item', String(Math.floor(rnd() * 30)), pick(weights), rnd() < 0.5 ? 'osd.' + Math.floor(rnd() * 30) : pick(names), ...loc()],
    () => ['--remove-item', pick(names)],
    () => ['--reweight-item', pick(names), pick(weights)],
    () => ['--reweight'],
    () => ['--move', pick(names), ...loc()],
    () => ['--add-bucket', 'nb' + Math.floor(rnd() * 3), pick(types), ...(rnd() < 0.5 ? loc() : [])],
    () => ['--create-simple-rule', 'nr', pick(buckets.length ? buckets : names), pick(types), rnd() < 0.5 ? 'firstn' : 'indep'],
    () => ['--create-replicated-rule', 'nr2', pick(buckets.length ? buckets : names), pick(types), ...(rnd() < 0.5 ? ['--device-class', pick(['hdd', 'ssd', 'nvme', 'x'])] : [])],
    () => ['--remove-rule', pick([...cw0.names.ruleNameMap.values(), 'zz'])],
    () => ['--rebuild-class-roots'],
  ];
  const n = 1 + Math.floor(rnd() * 3); const used = new Set(); const flags = [];
  for (let j = 0; j < n; j++) { const idx = Math.floor(rnd() * ops.length); const f = ops[idx](); const key = f[0] === '--update-item' ? '--add-item' : f[0]; const clash = { '--add-bucket': ['--add-item'], '--add-item': ['--add-bucket'], '--remove-rule': ['--create-simple-rule', '--create-replicated-rule'], '--create-simple-rule': ['--remove-rule'], '--create-replicated-rule': ['--remove-rule'] }; if ((clash[key] || []).some((c) => used.has(c))) continue; if (used.has(key) || (key === '--create-replicated-rule' && used.has('--create-simple-rule')) || (key === '--create-simple-rule' && used.has('--create-replicated-rule'))) continue; used.add(key); flags.push(...f); }
  writeFileSync(work + '/ef.txt', text);
  spawnSync('crushtool', ['-c', 'ef.txt', '-o', 'ef.bin'], { cwd: work });
  spawnSync('rm', ['-f', work + '/efo.bin']); const r = spawnSync('crushtool', ['-i', 'ef.bin', ...flags, '-o', 'efo.bin'], { cwd: work });
  const rc = r.status ?? 134;
  let want = null;
  if (rc === 0) { want = spawnSync('crushtool', ['-d', 'efo.bin'], { cwd: work }).stdout.toString(); if (!want) continue; }
  // ours
  const cw = CrushWrapper.from(decodeCrushMap(readFileSync(work + '/ef.bin')));
  let grc;
  try { grc = apply(cw, flags); } catch (e) { grc = 'EXC ' + e.stack; }
  const got = grc === 0 ? decompileCrushMap(cw) : null;
  let ok = rc === 0 ? got === want : (rc === 134 ? true : grc === rc);
  if (ok && rc === 0 && !Buffer.from(encodeCrushMap(cw)).equals(readFileSync(work + '/efo.bin'))) { ok = false; console.log('binary differs'); }
  if (!ok) { bad++; console.log('DIFF', m, flags.join(' '), 'rc', rc, 'ours', grc); if (got && want) { const a = want.split('\n'), b = got.split('\n'); for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) { console.log('  line', i + 1, JSON.stringify(a[i]), JSON.stringify(b[i])); break; } } }
}
console.log('done bad', bad);
}

function apply(cw, args) {
  const loc = new Map(); const groups = {}; let cur = null;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--loc') { loc.set(args[i + 1], args[i + 2]); i += 2; continue; }
    if (args[i].startsWith('--') && args[i] !== '--device-class') { cur = args[i]; groups[cur] = []; continue; }
    if (args[i] === '--device-class') { groups.dc = [args[i + 1]]; i++; continue; }
    groups[cur].push(args[i]);
  }
  const order = ['--reweight-item', '--remove-item', '--add-item', '--update-item', '--add-bucket', '--move', '--create-replicated-rule', '--create-simple-rule', '--remove-rule', '--reweight', '--rebuild-class-roots'];
  let modified = false;
  for (const op of order) {
    if (!groups[op]) continue;
    const flat = [op, ...groups[op], ...(groups.dc && op.startsWith('--create') ? ['--device-class', groups.dc[0]] : [])];
    for (const [k, v] of loc) flat.push('--loc', k, v);
    const r = apply1(cw, flat, op === '--remove-rule' || op === '--move');
    if (r === 'nomod') continue;
    if (r !== 0) return r;
    modified = true;
  }
  if (modified) cw.finalize();
  return 0;
}
function apply1(cw, args, special) {
  const loc = new Map(); const rest = [];
  for (let i = 0; i < args.length; i++) { if (args[i] === '--loc') { loc.set(args[i + 1], args[i + 2]); i += 2; } else rest.push(args[i]); }
  const exit = (r) => (r < 0 ? (256 + r) & 0xff : r);
  const f32 = (s) => Math.fround(parseFloat(s));
  let deviceClass = ''; const dc = rest.indexOf('--device-class'); if (dc >= 0) { deviceClass = rest[dc + 1]; rest.splice(dc, 2); }
  const [op, ...a] = rest;
  switch (op) {
    case '--add-item': case '--update-item': { const id = Number(a[0]); const r = op === '--add-item' ? cw.insertItem(id, f32(a[1]), a[2], loc) : cw.updateItem(id, f32(a[1]), a[2], loc); if (r < 0) return exit(r); break; }
    case '--remove-item': { if (!cw.nameExists(a[0])) return exit(-2); const r = cw.removeItem(cw.getItemId(a[0]), false); if (r !== 0) return exit(r); break; }
    case '--reweight-item': { if (!cw.nameExists(a[0])) return exit(-2); const r = cw.adjustItemWeightf(cw.getItemId(a[0]), f32(a[1])); if (r < 0) return exit(r); break; }
    case '--reweight': cw.reweight(); break;
    case '--rebuild-class-roots': if (cw.rebuildRootsWithClasses() < 0) return 1; break;
    case '--move': { const name = a[0]; if (!cw.nameExists(name)) return exit(-2); const id = cw.getItemId(name); if (!loc.size) return exit(-22); if (cw.checkItemLoc(id, loc).found) return 1; let r; if (id >= 0) { r = cw.createOrMoveItem(id, 0, name, loc); r = r === 0 ? 1 : r === 1 ? 0 : r; } else r = cw.moveBucket(id, loc); if (r !== 0) return exit(r); break; }
    case '--add-bucket': { const [name, type] = a; if (cw.nameExists(name)) return exit(-17); const t = cw.getTypeId(type); if (t <= 0) return exit(-22); const b = cw.addBucket(0, 0, 0, t, [], []); if (b.ret < 0) return exit(b.ret); if (cw.setItemName(b.id, name) < 0) return exit(-22); if (loc.size && !cw.checkItemLoc(b.id, loc).found) { const r = cw.moveBucket(b.id, loc); if (r < 0) return exit(r); } break; }
    case '--create-replicated-rule': case '--create-simple-rule': { const [name, rootName, type] = a; const mode = op === '--create-simple-rule' ? a[3] : 'firstn'; if (cw.ruleExists(name)) return 1; const r = cw.addSimpleRule(name, rootName, type, deviceClass, mode, 1); if (r < 0) return 1; break; }
    case '--remove-rule': { if (!cw.ruleExists(a[0])) return 'nomod'; if (cw.removeRule(cw.getRuleId(a[0])) < 0) return 1; break; }
  }
  return 0;
}
