// Writes test/golden/crush/: text maps, the binaries Ceph's crushtool compiles from them, and
// cases.json, a list of crushtool invocations with their expected stdout, stderr, exit code and
// output files. Run through scripts/gen-crush-golden.sh, which checks crushtool's version first.
// crushtool runs with argv[0] = `crushtool` (as when found on PATH), which it echoes in some messages.
// Every case is run twice; stderr that changes between runs is recorded but marked not comparable.
// Compiles of maps with device classes and tree buckets run with address space randomisation off
// (setarch -R): Pacific writes uninitialised heap words (pointer bits) into their shadow buckets' node
// weights, which then repeat from run to run; the replay compares those outputs except at the node
// weights Ceph never writes (garbageOutputs).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync, copyFileSync, existsSync } from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { goldenMaps, badMaps, hierarchy, mapText, basicRules, PROFILES } from './maps.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const GOLD = join(ROOT, 'test/golden/crush');
const CRUSHTOOL = process.env.CRUSHTOOL ?? '/usr/bin/crushtool';
const INLINE_MAX = 2048; // bytes of text kept inside cases.json
const GZIP_MIN = 32 * 1024; // stdout/stderr blobs at least this large are stored gzipped

const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', HOME: tmpdir() };

// setarch -R must work here (personality(ADDR_NO_RANDOMIZE)): see addCase's opts.garbage
{
  const r = spawnSync('setarch', ['-R', 'true'], { env });
  if (r.error || r.status !== 0) {
    console.error(`gen: 'setarch -R' does not work here (${r.error?.message ?? `exit ${r.status}`}); util-linux's setarch is needed`);
    process.exit(2);
  }
}

rmSync(join(GOLD, 'maps'), { recursive: true, force: true });
rmSync(join(GOLD, 'out'), { recursive: true, force: true });
mkdirSync(join(GOLD, 'maps'), { recursive: true });
mkdirSync(join(GOLD, 'out'), { recursive: true });

const cases = [];
const names = new Set();
const skipped = [];

function safe(s) {
  return s.replace(/[^A-Za-z0-9._-]+/g, '_');
}

/**
 * Run crushtool with argv in a fresh directory holding `inputs` ({file name: path under GOLD}); with
 * noAslr under `setarch -R`, which runs it as `crushtool` found on PATH (so argv[0] stays the same).
 */
function runOnce(argv, inputs, noAslr = false) {
  const dir = mkdtempSync(join(tmpdir(), 'crush-golden-'));
  try {
    for (const [name, rel] of Object.entries(inputs)) copyFileSync(join(GOLD, rel), join(dir, name));
    const r = noAslr
      ? spawnSync('setarch', ['-R', basename(CRUSHTOOL), ...argv], { cwd: dir, maxBuffer: 1 << 30,
        env: { ...env, PATH: `${dirname(CRUSHTOOL)}:${env.PATH}` } })
      : spawnSync(CRUSHTOOL, argv, { cwd: dir, env, maxBuffer: 1 << 30, argv0: 'crushtool' });
    if (r.error) throw r.error;
    const outputs = {};
    for (const f of readdirSync(dir).sort()) {
      if (f in inputs) {
        const before = readFileSync(join(GOLD, inputs[f]));
        const after = readFileSync(join(dir, f));
        if (before.equals(after)) continue; // unchanged input
      }
      outputs[f] = readFileSync(join(dir, f));
    }
    // a shell's view of a signal death: 128 + the signal number (an assert's abort is 134)
    const code = r.status ?? 128 + (osConstants.signals[r.signal] ?? 0);
    return { stdout: r.stdout, stderr: r.stderr, code, outputs, signal: r.signal };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function isText(buf) {
  return !buf.includes(0) && buf.toString('utf8') === Buffer.from(buf.toString('utf8'), 'utf8').toString('utf8')
    && Buffer.from(buf.toString('utf8'), 'utf8').equals(buf);
}

/** Store a stdout/stderr blob: inline text when small, a file (gzipped when large) otherwise. */
function blob(caseName, kind, buf) {
  if (buf.length <= INLINE_MAX && isText(buf)) return { text: buf.toString('utf8') };
  const base = `out/${safe(caseName)}.${kind}`;
  if (buf.length >= GZIP_MIN) {
    writeFileSync(join(GOLD, base + '.gz'), gzipSync(buf, { level: 9 }));
    return { file: base + '.gz', gzip: true };
  }
  writeFileSync(join(GOLD, base), buf);
  return { file: base };
}

/**
 * Record one case. opts.saveAs: {output file name: path under GOLD} to keep an output where
 * later cases can use it as an input (default out/<case>.<file>). opts.expectExit: sanity check.
 * opts.garbage: output files holding Pacific's uninitialised shadow tree node weights (the run is
 * made without address randomisation, and the replay does not compare those words).
 * opts.keepCrash: keep the case when crushtool dies of SIGSEGV (its exit status and stdout are compared).
 */
function addCase(name, group, argv, inputs = {}, opts = {}) {
  if (names.has(name)) throw new Error(`duplicate case ${name}`);
  names.add(name);
  const noAslr = (opts.garbage ?? []).length > 0;
  const a = runOnce(argv, inputs, noAslr);
  // a failed ceph_assert, or C's assert (the mapper's workspace check after an edit that resized buckets)
  const asserted = a.signal === 'SIGABRT' && (a.stderr.includes('FAILED ceph_assert') || a.stderr.includes("Assertion `"));
  // opts.keepCrash: a crash tsceph reproduces (Pacific's mapper reading a zero-position weight set)
  const kept = opts.keepCrash === true && a.signal === 'SIGSEGV';
  if (a.signal && !asserted && !kept) {
    // A crash is no behaviour to copy: leave the case out and say so. (A failed ceph_assert is
    // kept: crushtool then exits with 134, which tsceph copies; its report is not compared.)
    console.log(`skipped ${name}: crushtool ${argv.join(' ')} died of ${a.signal}`);
    skipped.push(`${name}: ${a.signal}`);
    return { outputs: {} };
  }
  const b = runOnce(argv, inputs, noAslr);
  if (!a.stdout.equals(b.stdout) || a.code !== b.code) throw new Error(`case ${name}: crushtool is not deterministic`);
  for (const f of Object.keys(a.outputs)) {
    if (!b.outputs[f] || !a.outputs[f].equals(b.outputs[f])) throw new Error(`case ${name}: output ${f} differs between runs`);
  }
  if (opts.expectExit !== undefined && a.code !== opts.expectExit) {
    throw new Error(`case ${name}: exit ${a.code}, expected ${opts.expectExit}\n${a.stderr}`);
  }
  const stderrExact = a.stderr.equals(b.stderr) && !/\d{4}-\d\d-\d\dT?\s?\d\d:\d\d:\d\d/.test(a.stderr.toString('latin1'));
  const outputs = {};
  for (const [f, buf] of Object.entries(a.outputs)) {
    const rel = opts.saveAs?.[f] ?? `out/${safe(name)}.${safe(f)}`;
    writeFileSync(join(GOLD, rel), buf);
    outputs[f] = rel;
  }
  // stderr that is not compared is kept for people to read, with the parts that change on every
  // run (times, thread ids, addresses, crash ids) masked so that regenerating does not churn.
  const stderr = stderrExact ? a.stderr : Buffer.from(a.stderr.toString('latin1')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(\+\d{4}|Z)?/g, '<time>')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, '<uuid>') // before <addr> eats its tail
    .replace(/\b(0x)?[0-9a-f]{12}\b/g, '<addr>')
    .replace(/0x[0-9a-f]+/g, '<addr>'), 'latin1');
  const c = { name, group, argv, inputs, exit: a.code, stdout: blob(name, 'stdout', a.stdout),
    stderr: blob(name, 'stderr', stderr), stderrExact, outputs };
  if (opts.about) c.about = opts.about;
  if (noAslr) c.garbageOutputs = opts.garbage.filter((f) => f in outputs);
  cases.push(c);
  return c;
}

function writeMapText(name, text) {
  const rel = `maps/${name}.txt`;
  writeFileSync(join(GOLD, rel), text);
  return rel;
}

function ruleCount(text) {
  return (text.match(/^rule /gm) ?? []).length;
}

// ---------------------------------------------------------------- the maps
const compiled = {}; // map name -> rel path of its binary
for (const m of goldenMaps()) {
  const txt = writeMapText(m.name, m.text);
  const bin = `maps/${m.name}.bin`;
  const garbage = m.heapGarbage ? ['map.bin'] : [];
  addCase(`${m.name}/compile`, 'compile', ['-c', 'map.txt', '-o', 'map.bin'], { 'map.txt': txt },
    { saveAs: { 'map.bin': bin }, expectExit: 0, about: m.about, garbage });
  compiled[m.name] = bin;
  addCase(`${m.name}/decompile`, 'decompile', ['-d', 'map.bin'], { 'map.bin': bin }, { expectExit: 0 });
  const dec = addCase(`${m.name}/decompile-o`, 'decompile', ['-d', 'map.bin', '-o', 'map.txt'], { 'map.bin': bin }, { expectExit: 0 });
  // crushtool's own text (comments, pos, class ids) compiled back
  addCase(`${m.name}/recompile`, 'compile', ['-c', 'map.txt', '-o', 'map.bin'], { 'map.txt': dec.outputs['map.txt'] }, { expectExit: 0, garbage });
  for (const n of m.numReps) {
    addCase(`${m.name}/mappings-rep${n}`, 'mappings', ['-i', 'map.bin', '--test', '--show-mappings', '--num-rep', String(n)],
      { 'map.bin': bin }, { expectExit: 0 });
  }
  addCase(`${m.name}/tree`, 'tree', ['-i', 'map.bin', '--tree'], { 'map.bin': bin }, { expectExit: 0 });
  addCase(`${m.name}/dump`, 'dump', ['-i', 'map.bin', '--dump'], { 'map.bin': bin }, { expectExit: 0 });
  addCase(`${m.name}/statistics`, 'statistics', ['-i', 'map.bin', '--test', '--show-statistics', '--num-rep', '3'],
    { 'map.bin': bin }, { expectExit: 0 });
  addCase(`${m.name}/bad-mappings`, 'bad-mappings', ['-i', 'map.bin', '--test', '--show-bad-mappings', '--num-rep', String(Math.max(...m.numReps))],
    { 'map.bin': bin }, { expectExit: 0 });
  if (ruleCount(m.text) === 0) throw new Error(`${m.name} has no rules`);
}

// Second-level display cases on a few maps.
const showMaps = ['alg-mixed', 'classes', 'indep-holes', 'hier-medium', 'weights-odd', 'tun-total-tries-1', 'sparse-ids', 'choose-args-positions'];
for (const m of showMaps) {
  const bin = compiled[m];
  const io = { 'map.bin': bin };
  addCase(`${m}/utilization`, 'utilization', ['-i', 'map.bin', '--test', '--show-utilization', '--num-rep', '3'], io, { expectExit: 0 });
  addCase(`${m}/utilization-all`, 'utilization', ['-i', 'map.bin', '--test', '--show-utilization-all', '--num-rep', '2'], io, { expectExit: 0 });
  addCase(`${m}/statistics-utilization`, 'statistics', ['-i', 'map.bin', '--test', '--show-statistics', '--show-utilization', '--rule', '0'], io, { expectExit: 0 });
  addCase(`${m}/statistics-utilization-all`, 'statistics', ['-i', 'map.bin', '--test', '--show-statistics', '--show-utilization-all', '--rule', '1', '--num-rep', '4'], io, { expectExit: 0 });
  addCase(`${m}/choose-tries`, 'choose-tries', ['-i', 'map.bin', '--test', '--show-choose-tries', '--num-rep', '3'], io, { expectExit: 0 });
  addCase(`${m}/default-numrep`, 'mappings', ['-i', 'map.bin', '--test', '--show-mappings', '--rule', '1', '--min-x', '0', '--max-x', '99'], io, { expectExit: 0 });
  addCase(`${m}/dump-json`, 'dump', ['-i', 'map.bin', '--dump', '-f', 'json'], io, { expectExit: 0 });
}

// --test knobs: x ranges, one x, rule ranges, pool id, weights (reweights), batches, everything at once.
{
  const io = { 'map.bin': compiled['hier-medium'] };
  const t = (name, args) => addCase(`test-opts/${name}`, 'test-options', ['-i', 'map.bin', '--test', ...args], io);
  t('x-range', ['--show-mappings', '--num-rep', '3', '--min-x', '100', '--max-x', '300']);
  t('x-one', ['--show-mappings', '--num-rep', '3', '--x', '42']);
  t('rule-range', ['--show-mappings', '--num-rep', '2', '--min-rule', '2', '--max-rule', '4', '--min-x', '0', '--max-x', '50']);
  t('rule-one', ['--show-mappings', '--num-rep', '3', '--rule', '6']);
  t('rule-missing', ['--show-statistics', '--rule', '40', '--num-rep', '3']);
  t('ruleset', ['--show-mappings', '--ruleset', '3', '--num-rep', '3', '--min-x', '0', '--max-x', '20']);
  for (const pool of ['0', '1', '7', '-1', '123456']) t(`pool-${pool}`, ['--show-mappings', '--num-rep', '3', '--pool-id', pool]);
  t('weight-out', ['--show-mappings', '--num-rep', '3', '--weight', '0', '0', '--weight', '5', '0', '--weight', '17', '0']);
  t('weight-half', ['--show-mappings', '--num-rep', '3', '--weight', '1', '0.5', '--weight', '2', '0.25', '--weight', '30', '0.9']);
  t('weight-many', ['--show-mappings', '--num-rep', '5', ...Array.from({ length: 20 }, (_, i) => ['--weight', String(i * 2), String([0, 0.1, 0.5, 0.75, 1][i % 5])]).flat()]);
  t('weight-clamp', ['--show-mappings', '--num-rep', '3', '--weight', '3', '1.5', '--weight', '4', '-1']);
  t('weight-bad-mappings', ['--show-bad-mappings', '--num-rep', '6', '--weight', '0', '0', '--weight', '1', '0', '--weight', '2', '0', '--weight', '3', '0']);
  t('weight-stats', ['--show-statistics', '--show-utilization', '--num-rep', '3', '--weight', '7', '0', '--weight', '8', '0.3']);
  t('weight-util-all', ['--show-utilization-all', '--num-rep', '3', '--weight', '7', '0']);
  t('all-show', ['--show-mappings', '--show-statistics', '--show-utilization', '--show-bad-mappings', '--show-choose-tries', '--num-rep', '4', '--min-x', '0', '--max-x', '200']);
  t('batches', ['--show-statistics', '--num-rep', '3', '--batches', '4']);
  t('no-output', ['--num-rep', '3']);
  t('num-rep-0', ['--show-mappings', '--num-rep', '0', '--rule', '0', '--min-x', '0', '--max-x', '9']);
  t('x-huge', ['--show-mappings', '--num-rep', '3', '--min-x', '2147483000', '--max-x', '2147483646']);
  t('output-csv', ['--output-csv', '--output-name', 'run', '--num-rep', '3', '--rule', '0', '--min-x', '0', '--max-x', '63']);
  addCase('indep-holes/weights', 'test-options', ['-i', 'map.bin', '--test', '--show-mappings', '--num-rep', '4', '--weight', '0', '0', '--weight', '3', '0.5'],
    { 'map.bin': compiled['indep-holes'] });
  addCase('classes/weights', 'test-options', ['-i', 'map.bin', '--test', '--show-mappings', '--num-rep', '3', '--weight', '1', '0', '--weight', '4', '0.5', '--weight', '7', '0'],
    { 'map.bin': compiled.classes });
  addCase('choose-args-compat/weights', 'test-options', ['-i', 'map.bin', '--test', '--show-mappings', '--num-rep', '3', '--weight', '0', '0'],
    { 'map.bin': compiled['choose-args-compat'] });
  addCase('choose-args-positions/pool', 'test-options', ['-i', 'map.bin', '--test', '--show-mappings', '--num-rep', '3', '--pool-id', '5'],
    { 'map.bin': compiled['choose-args-positions'] });
}

// Other display options.
{
  const io = { 'map.bin': compiled['hier-medium'] };
  addCase('display/check', 'display', ['-i', 'map.bin', '--check'], io);
  addCase('display/check-max', 'display', ['-i', 'map.bin', '--check', '10'], io);
  addCase('display/show-location', 'display', ['-i', 'map.bin', '--show-location', '5'], io);
  addCase('display/tree-classes', 'display', ['-i', 'map.bin', '--tree'], { 'map.bin': compiled.classes });
  addCase('display/tree-json', 'display', ['-i', 'map.bin', '--tree', '-f', 'json-pretty'], { 'map.bin': compiled.classes });
  addCase('display/dump-classes-json', 'display', ['-i', 'map.bin', '--dump', '-f', 'json'], { 'map.bin': compiled.classes });
}

// Output formats, comparisons, random placement and the remaining display options.
{
  const io = { 'map.bin': compiled['classes'] };
  for (const f of ['json', 'json-pretty', 'xml', 'xml-pretty', 'table', 'table-kv', 'html', 'html-pretty']) {
    addCase(`formats/dump-${f}`, 'formats', ['-i', 'map.bin', '--dump', '-f', f], io);
    addCase(`formats/tree-${f}`, 'formats', ['-i', 'map.bin', '--tree', '-f', f], io);
  }
  addCase('formats/dump-bogus', 'formats', ['-i', 'map.bin', '--dump', '-f', 'yaml'], io);
  addCase('display/bucket-tree', 'display', ['-i', 'map.bin', '--bucket-tree', '--bucket-name', 'rack0'], io);
  addCase('display/help', 'display', ['--help'], {});
  addCase('display/help-output', 'display', ['--help-output'], {});
  addCase('display/compile-verbose', 'display', ['-c', 'map.txt', '-o', 'map.bin', '-v'], { 'map.txt': 'maps/hier-small.txt' });
  addCase('display/decompile-verbose', 'display', ['-d', 'map.bin', '-v'], { 'map.bin': compiled['hier-small'] });
  const two = { 'map.bin': compiled['alg-straw-v0'], 'other.bin': compiled['alg-straw-v1'] };
  addCase('compare/straw-v0-v1', 'compare', ['-i', 'map.bin', '--compare', 'other.bin', '--test', '--num-rep', '3'], two);
  addCase('compare/same', 'compare', ['-i', 'map.bin', '--compare', 'map.bin', '--test', '--num-rep', '3'], { 'map.bin': compiled['alg-straw2'] });
  addCase('compare/profiles', 'compare', ['-i', 'map.bin', '--compare', 'other.bin', '--test', '--rule', '0', '--num-rep', '3'],
    { 'map.bin': compiled['profile-legacy'], 'other.bin': compiled['profile-bobtail'] });
  const hm = { 'map.bin': compiled['hier-medium'] };
  addCase('test-opts/simulate', 'test-options', ['-i', 'map.bin', '--test', '--simulate', '--show-mappings', '--num-rep', '3', '--min-x', '0', '--max-x', '63'], hm);
  addCase('test-opts/simulate-stats', 'test-options', ['-i', 'map.bin', '--test', '--simulate', '--show-statistics', '--num-rep', '3'], hm);
  addCase('test-opts/mark-down', 'test-options', ['-i', 'map.bin', '--test', '--show-mappings', '--num-rep', '3', '--mark-down-ratio', '0.5',
    '--mark-down-bucket-ratio', '0.5', '--min-x', '0', '--max-x', '127'], hm);
  addCase('edit/reclassify-bucket', 'edit', ['-i', 'in.bin', '--reclassify', '--reclassify-bucket', 'host%', 'ssd', 'default', '-o', 'out.bin'],
    { 'in.bin': compiled['hier-small'] });
}

// --build
const builds = [
  ['build-3level', ['--num_osds', '12', 'host', 'straw2', '3', 'rack', 'straw2', '2', 'root', 'straw2', '0']],
  ['build-uniform', ['--num_osds', '8', 'host', 'uniform', '2', 'root', 'uniform', '0']],
  ['build-list-tree', ['--num_osds', '10', 'host', 'list', '5', 'root', 'tree', '0']],
  ['build-straw', ['--num_osds', '9', 'host', 'straw', '3', 'rack', 'straw', '3', 'root', 'straw', '0']],
  ['build-uneven', ['--num_osds', '11', 'host', 'straw2', '4', 'root', 'straw2', '0']],
  ['build-flat', ['--num_osds', '5', 'root', 'straw2', '0']],
  ['build-1000', ['--num_osds', '1000', 'host', 'straw2', '10', 'rack', 'straw2', '10', 'root', 'straw2', '0']],
];
for (const [name, args] of builds) {
  const bin = `maps/${name}.bin`;
  addCase(`${name}/build`, 'build', ['-o', 'map.bin', '--build', ...args], {}, { saveAs: { 'map.bin': bin }, expectExit: 0 });
  compiled[name] = bin;
  const io = { 'map.bin': bin };
  addCase(`${name}/decompile`, 'decompile', ['-d', 'map.bin'], io, { expectExit: 0 });
  addCase(`${name}/tree`, 'tree', ['-i', 'map.bin', '--tree'], io, { expectExit: 0 });
  for (const n of name === 'build-1000' ? [3] : [1, 3, 4]) {
    addCase(`${name}/mappings-rep${n}`, 'mappings', ['-i', 'map.bin', '--test', '--show-mappings', '--num-rep', String(n)], io, { expectExit: 0 });
  }
}
addCase('build-no-osds/build', 'build', ['-o', 'map.bin', '--build', 'host', 'straw2', '3'], {});
addCase('build-bad-alg/build', 'build', ['-o', 'map.bin', '--build', '--num_osds', '4', 'host', 'straw9', '2', 'root', 'straw2', '0'], {});
addCase('build-stdout/build', 'build', ['--build', '--num_osds', '4', 'host', 'straw2', '2', 'root', 'straw2', '0'], {});

// Edit operations: each writes a new binary; decompile it and map with it.
{
  const base = compiled['hier-small'];
  const cls = compiled.classes;
  const edits = [
    ['add-item', base, ['--add-item', '100', '1.5', 'osd.100', '--loc', 'host', 'newhost', '--loc', 'rack', 'rack1', '--loc', 'root', 'default']],
    ['add-item-existing-host', base, ['--add-item', '8', '2.0', 'osd.8', '--loc', 'host', 'host0']],
    ['add-item-no-loc', base, ['--add-item', '9', '1.0', 'osd.9']],
    ['add-item-dup', base, ['--add-item', '0', '1.0', 'osd.0', '--loc', 'host', 'host1']],
    ['update-item-move', base, ['--update-item', '0', '3.0', 'osd.0', '--loc', 'host', 'host3']],
    ['update-item-weight', base, ['--update-item', '1', '0.25', 'osd.1', '--loc', 'host', 'host0']],
    ['update-item-new', base, ['--update-item', '12', '1.0', 'osd.12', '--loc', 'host', 'host2']],
    ['remove-item', base, ['--remove-item', 'osd.3']],
    ['remove-item-missing', base, ['--remove-item', 'osd.77']],
    ['remove-bucket-nonempty', base, ['--remove-item', 'host1']],
    ['reweight-item', base, ['--reweight-item', 'osd.2', '0.5']],
    ['reweight-item-bucket', base, ['--reweight-item', 'host2', '7']],
    ['reweight-item-zero', base, ['--reweight-item', 'osd.5', '0']],
    ['reweight', compiled['weights-odd'], ['--reweight']],
    ['add-bucket', base, ['--add-bucket', 'rack2', 'rack', '--loc', 'root', 'default']],
    ['add-bucket-noloc', base, ['--add-bucket', 'spare', 'root']],
    ['add-bucket-dup', base, ['--add-bucket', 'rack0', 'rack']],
    ['add-bucket-badtype', base, ['--add-bucket', 'x', 'shelf']],
    ['move', base, ['--move', 'host0', '--loc', 'rack', 'rack1']],
    ['move-to-root', base, ['--move', 'host3', '--loc', 'root', 'default']],
    ['create-replicated-rule', base, ['--create-replicated-rule', 'newrule', 'default', 'rack']],
    ['create-replicated-rule-class', cls, ['--create-replicated-rule', 'ssdrule', 'default', 'host', '--device-class', 'ssd']],
    ['create-simple-rule-firstn', base, ['--create-simple-rule', 'simple', 'default', 'host', 'firstn']],
    ['create-simple-rule-indep', base, ['--create-simple-rule', 'simple_ec', 'rack0', 'osd', 'indep']],
    ['create-simple-rule-class', cls, ['--create-simple-rule', 'nvme_ec', 'default', 'host', 'indep', '--device-class', 'nvme']],
    ['create-rule-dup', base, ['--create-replicated-rule', 'rep_leaf_host', 'default', 'host']],
    ['create-rule-badroot', base, ['--create-replicated-rule', 'r', 'nowhere', 'host']],
    ['remove-rule', base, ['--remove-rule', 'ec_leaf_host']],
    ['remove-rule-missing', base, ['--remove-rule', 'nope']],
    ['set-choose-local-tries', base, ['--set-choose-local-tries', '2']],
    ['set-choose-local-fallback-tries', base, ['--set-choose-local-fallback-tries', '5']],
    ['set-choose-total-tries', base, ['--set-choose-total-tries', '19']],
    ['set-chooseleaf-descend-once', base, ['--set-chooseleaf-descend-once', '0']],
    ['set-chooseleaf-vary-r', base, ['--set-chooseleaf-vary-r', '0']],
    ['set-chooseleaf-stable', base, ['--set-chooseleaf-stable', '0']],
    ['set-legacy-all', base, ['--set-choose-local-tries', '2', '--set-choose-local-fallback-tries', '5', '--set-choose-total-tries', '19',
      '--set-chooseleaf-descend-once', '0', '--set-chooseleaf-vary-r', '0', '--set-chooseleaf-stable', '0']],
    ['set-subtree-class', base, ['--set-subtree-class', 'rack0', 'ssd']],
    ['rebuild-class-roots', cls, ['--rebuild-class-roots']],
    ['classes-add-item', cls, ['--add-item', '50', '1.0', 'osd.50', '--loc', 'host', 'host0']],
    ['classes-remove-item', cls, ['--remove-item', 'osd.1']],
    ['classes-reweight-item', cls, ['--reweight-item', 'osd.2', '3.0']],
    ['classes-move', cls, ['--move', 'host1', '--loc', 'rack', 'rack1']],
    ['reclassify-root', compiled['hier-small'], ['--reclassify', '--reclassify-root', 'default', 'hdd']],
    ['combo-tunables-and-edit', base, ['--set-choose-total-tries', '30', '--add-bucket', 'host9', 'host', '--loc', 'rack', 'rack0',
      '--create-replicated-rule', 'combo', 'default', 'host']],
  ];
  for (const [name, input, args] of edits) {
    const c = addCase(`edit/${name}`, 'edit', ['-i', 'in.bin', ...args, '-o', 'out.bin'], { 'in.bin': input });
    if (c.outputs['out.bin']) {
      const io = { 'map.bin': c.outputs['out.bin'] };
      addCase(`edit/${name}/decompile`, 'edit', ['-d', 'map.bin'], io);
      addCase(`edit/${name}/mappings`, 'edit', ['-i', 'map.bin', '--test', '--show-mappings', '--num-rep', '3', '--min-x', '0', '--max-x', '255'], io);
    }
  }
  // without -o the edit is reported but not written
  addCase('edit/no-output', 'edit', ['-i', 'in.bin', '--reweight-item', 'osd.2', '0.5'], { 'in.bin': base });
  addCase('edit/tree-after', 'edit', ['-i', 'in.bin', '--reweight-item', 'osd.2', '0.5', '--tree'], { 'in.bin': base });
}

// --test after an edit in the same process: crushtool edits, tests the edited map, and only then
// finalizes and writes it, so these runs show Pacific's in-memory state after adjust_item_weight and
// friends (shadow trees and weight sets included). `-o` keeps the written map, which is tested again
// after a reload. The tree maps carry Pacific's heap garbage in their shadow buckets (compiled without
// address randomisation, see addCase); their draws that run past a bucket's last item read the
// decoder's zeroed calloc slack. Edits that rebuild the shadow trees (--reweight,
// --rebuild-class-roots) and compile-and-test are left out on them: Pacific then grows new shadow
// buckets over heap words that change from run to run, which no one can reproduce.
{
  const T = ['--test', '--show-mappings', '--num-rep', '3', '--min-x', '0', '--max-x', '511'];
  const inprocMaps = goldenMaps().filter((m) => m.name.startsWith('classes-alg-') || m.name === 'classes-tree-bug');
  for (const m of inprocMaps) {
    const io = { 'map.bin': compiled[m.name] };
    const spec = m.spec;
    const cls = new Map(spec.devices.map((d) => [d.name, d.cls]));
    const devs = spec.buckets.filter((b) => b.type === 'host').flatMap((b) => b.items);
    const pick = (c, zero) => devs.find(([n, w]) => cls.get(n) === c && (w === 0) === zero)?.[0];
    const hasClassRules = spec.rules.some((r) => r.steps.some((x) => / class /.test(x)));
    const edits = [
      ['reweight-zero-up', ['--reweight-item', pick('hdd', true), '1']], // osdmaptool --mark-up-in's edit
      ['reweight-down', ['--reweight-item', pick('hdd', false), '0']],
      ['reweight-ssd', ['--reweight-item', pick('ssd', false), '2.5']],
      ['reweight-host', ['--reweight-item', 'host1', '7']],
      ['reweight-rack', ['--reweight-item', 'rack0', '3']],
      ...(m.heapGarbage ? [] : [['reweight-all', ['--reweight']], ['rebuild-class-roots', ['--rebuild-class-roots']]]),
      ['tunable', ['--set-chooseleaf-vary-r', '0']],
      ['new-rule', ['--create-replicated-rule', 'newrule', 'default', 'host', ...(hasClassRules ? ['--device-class', 'ssd'] : [])]],
    ].filter(([, argv]) => !argv.includes(undefined));
    for (const [ename, eargs] of edits) {
      // with weight sets, a rebuild leaves shadow buckets with zero-position weight sets that Pacific's
      // mapper dereferences (SIGSEGV; the written map has none of them)
      const rebuild = eargs.includes('--reweight') || eargs.includes('--rebuild-class-roots');
      const crashes = rebuild && m.name === 'classes-alg-straw2';
      // and the uniform map's shadow trees cannot be built: --reweight asserts, the rebuild fails
      const fails = rebuild && m.name === 'classes-alg-uniform';
      const c = addCase(`inproc/${m.name}/${ename}`, 'inproc', ['-i', 'map.bin', ...eargs, '-o', 'out.bin', ...T], io,
        { expectExit: crashes ? 139 : fails ? undefined : 0, keepCrash: crashes });
      let written = c.outputs['out.bin'];
      if (crashes) {
        const w = addCase(`inproc/${m.name}/${ename}/write`, 'inproc', ['-i', 'map.bin', ...eargs, '-o', 'out.bin'], io, { expectExit: 0 });
        written = w.outputs['out.bin'];
      }
      if (written) addCase(`inproc/${m.name}/${ename}/reloaded`, 'inproc', ['-i', 'map.bin', ...T], { 'map.bin': written }, { expectExit: 0 });
    }
    if (!m.heapGarbage) {
      addCase(`inproc/${m.name}/compile-and-test`, 'inproc', ['-c', 'map.txt', ...T], { 'map.txt': `maps/${m.name}.txt` }, { expectExit: 0 });
    }
  }
  // an edit that changes bucket sizes leaves map->working_size stale: the in-process test asserts
  addCase('inproc/classes-alg-straw2/add-item', 'inproc', ['-i', 'map.bin', '--add-item', '99', '1', 'osd.99', '--loc', 'host', 'host0',
    '-o', 'out.bin', ...T], { 'map.bin': compiled['classes-alg-straw2'] }, { expectExit: 134 });

  // The bug report: three --reweight-item flags (crushtool keeps the last), tested in the same process.
  const bug = { 'map.bin': compiled['classes-tree-bug'] };
  const R = ['--reweight-item', 'osd.8', '1.0', '--reweight-item', 'osd.13', '1.0', '--reweight-item', 'osd.25', '1.0'];
  const X = ['--min-x', '0', '--max-x', '4999'];
  addCase('inproc/classes-tree-bug/report', 'inproc', ['-i', 'map.bin', ...R, '--test', '--show-mappings', '--rule', '0', '--num-rep', '3', ...X], bug,
    { expectExit: 0, about: 'the bug report\'s command: Pacific maps through its shadow trees\' garbage node weights past their last items' });
  // What osdmaptool --mark-up-in does to this map's CRUSH (adjust_item_weightf(osd, 1.0) for each
  // device of weight 0), one edit per run, the last tested in the same process and after a reload.
  let prev = bug;
  for (const [k, osd] of ['osd.8', 'osd.13', 'osd.25'].entries()) {
    const last = k === 2;
    const c = addCase(`inproc/classes-tree-bug/mark-up-in-${osd}`, 'inproc', ['-i', 'map.bin', '--reweight-item', osd, '1', '-o', 'out.bin',
      ...(last ? ['--test', '--show-mappings', '--num-rep', '4', ...X] : [])], prev, { expectExit: 0 });
    prev = { 'map.bin': c.outputs['out.bin'] };
  }
  for (const rule of ['0', '1', '2', '3']) {
    addCase(`inproc/classes-tree-bug/mark-up-in/rule${rule}`, 'inproc', ['-i', 'map.bin', '--test', '--show-mappings', '--rule', rule,
      '--num-rep', '4', ...X], prev, { expectExit: 0 });
  }
}

// Maps whose tunables come from crushtool's setters, then are mapped (profiles through flags).
{
  const base = compiled['alg-mixed'];
  for (const [p, t] of Object.entries(PROFILES)) {
    const c = addCase(`setters-${p}/set`, 'edit', ['-i', 'in.bin', '--set-choose-local-tries', String(t.choose_local_tries),
      '--set-choose-local-fallback-tries', String(t.choose_local_fallback_tries), '--set-choose-total-tries', String(t.choose_total_tries),
      '--set-chooseleaf-descend-once', String(t.chooseleaf_descend_once), '--set-chooseleaf-vary-r', String(t.chooseleaf_vary_r),
      '--set-chooseleaf-stable', String(t.chooseleaf_stable), '-o', 'out.bin'], { 'in.bin': base }, { expectExit: 0 });
    const io = { 'map.bin': c.outputs['out.bin'] };
    addCase(`setters-${p}/dump`, 'dump', ['-i', 'map.bin', '--dump'], io, { expectExit: 0 });
    addCase(`setters-${p}/mappings`, 'mappings', ['-i', 'map.bin', '--test', '--show-mappings', '--num-rep', '4'], io, { expectExit: 0 });
  }
}

// Maps and edits the differential fuzzer (test/fuzz/crush-fuzz.ts) found tsceph getting wrong.
{
  const dir = join(ROOT, 'scripts/golden/fuzz-found');
  const found = JSON.parse(readFileSync(join(dir, 'cases.json'), 'utf8'));
  for (const f of found) {
    const mapName = f.map.replace(/\.txt$/, '');
    const name = f.name ?? mapName;
    const bin = `maps/fuzz-${mapName}.bin`;
    if (!existsSync(join(GOLD, bin))) {
      const txt = writeMapText(`fuzz-${mapName}`, readFileSync(join(dir, f.map), 'utf8'));
      addCase(`fuzz-${mapName}/compile`, 'fuzz-found', ['-c', 'map.txt', '-o', 'map.bin'], { 'map.txt': txt }, { saveAs: { 'map.bin': bin }, expectExit: 0 });
    }
    const c = addCase(`fuzz-${name}/edit`, 'fuzz-found', ['-i', 'in.bin', ...f.argv, '-o', 'out.bin'], { 'in.bin': bin }, { about: f.about });
    if (c.outputs['out.bin']) addCase(`fuzz-${name}/edit/decompile`, 'fuzz-found', ['-d', 'map.bin'], { 'map.bin': c.outputs['out.bin'] });
  }
}

// Compile + test in one command, and compile errors.
addCase('compile-and-test/hier-small', 'compile', ['-c', 'map.txt', '-o', 'map.bin', '--test', '--show-statistics', '--num-rep', '2'],
  { 'map.txt': 'maps/hier-small.txt' });
addCase('compile-and-tree/hier-small', 'compile', ['-c', 'map.txt', '--tree'], { 'map.txt': 'maps/hier-small.txt' });
addCase('decompile-text-as-binary', 'errors', ['-d', 'map.txt'], { 'map.txt': 'maps/hier-small.txt' });
addCase('missing-input', 'errors', ['-i', 'nothere.bin', '--test', '--show-mappings'], {});
addCase('no-action', 'errors', [], {});
addCase('unknown-arg', 'errors', ['-i', 'map.bin', '--frobnicate'], { 'map.bin': compiled['hier-small'] });
addCase('compile-and-decompile', 'errors', ['-c', 'map.txt', '-d', 'map.bin'], { 'map.txt': 'maps/hier-small.txt', 'map.bin': compiled['hier-small'] });
{
  const trunc = 'maps/truncated.bin';
  const full = readFileSync(join(GOLD, compiled['hier-small']));
  writeFileSync(join(GOLD, trunc), full.subarray(0, Math.floor(full.length / 2)));
  addCase('decompile-truncated', 'errors', ['-d', 'map.bin'], { 'map.bin': trunc });
}
for (const m of badMaps()) {
  const txt = writeMapText(`bad-${m.name}`, m.text);
  addCase(`bad-${m.name}/compile`, 'compile-errors', ['-c', 'map.txt', '-o', 'map.bin'], { 'map.txt': txt }, { about: m.about });
}
// unsafe tunables need --enable-unsafe-tunables
{
  const t = mapText({ tunables: { choose_local_tries: 0, choose_local_fallback_tries: 0, choose_total_tries: 50, chooseleaf_descend_once: 1,
    chooseleaf_vary_r: 1, chooseleaf_stable: 1, straw_calc_version: 1, allowed_bucket_algs: 54 },
  ...hierarchy({ hosts: 2, osds: 2, alg: 'straw2' }), rules: basicRules().slice(0, 1) });
  const txt = writeMapText('tunables-text', t.replace('choose_total_tries 50', 'choose_total_tries 0'));
  addCase('tunables-zero-total/compile', 'compile-errors', ['-c', 'map.txt', '-o', 'map.bin'], { 'map.txt': txt });
  addCase('tunables-zero-total/compile-unsafe', 'compile', ['-c', 'map.txt', '-o', 'map.bin', '--enable-unsafe-tunables'], { 'map.txt': txt });
}

const manifest = {
  about: 'Golden vectors for tsceph crushtool, made by scripts/gen-crush-golden.sh with Ceph crushtool. '
    + 'Each case runs crushtool with argv in an empty directory holding `inputs` (name -> file here); '
    + 'stdout/stderr are {text} or {file, gzip?}; outputs name the files the run left (name -> file here).',
  crushtool: process.env.CRUSHTOOL_VERSION ?? 'unknown',
  skipped,
  cases,
};
writeFileSync(join(GOLD, 'cases.json'), JSON.stringify(manifest, null, 1) + '\n');
if (!existsSync(join(GOLD, 'cases.json'))) throw new Error('cases.json not written');
const byExit = {};
for (const c of cases) byExit[c.exit] = (byExit[c.exit] ?? 0) + 1;
console.log(`wrote ${cases.length} cases to ${GOLD} (exit codes: ${JSON.stringify(byExit)})`);
