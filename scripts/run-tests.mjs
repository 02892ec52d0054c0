// Runs every compiled test file under dist/test with mocha's spec reporter and closes with the
// line CI reads: "N passed, N failed". Exits non-zero when any test fails.
// Usage: node scripts/run-tests.mjs [--grep PATTERN] [file ...]
import Mocha from 'mocha';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...findTests(p));
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

const args = process.argv.slice(2);
let grep;
const files = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--grep') grep = args[++i];
  else files.push(resolve(args[i]));
}
const mocha = new Mocha({ reporter: 'spec', timeout: 120000, grep });
for (const f of files.length ? files : findTests(resolve('dist/test'))) mocha.addFile(f);
await mocha.loadFilesAsync();
const runner = mocha.run((failures) => {
  const passed = runner.stats?.passes ?? 0;
  const failed = runner.stats?.failures ?? failures;
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 ? 1 : 0;
});
