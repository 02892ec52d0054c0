// Proves the pure cores stay pure: no clock, randomness, timers, filesystem, sockets or process state
// under the core folders, by scanning their TypeScript sources for the forbidden names.
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const coreDirs = ['crush', 'common/osdmap', 'common/kv/core', 'osd/objectstore', 'osd/blockstore/core', 'msg/core', 'mon/core', 'osd/core'];
const forbidden: [RegExp, string][] = [
  [/\bDate\.now\b/, 'Date.now'],
  [/\bnew Date\b/, 'new Date'],
  [/\bperformance\.now\b/, 'performance.now'],
  [/\bMath\.random\b/, 'Math.random'],
  [/\bset(Timeout|Interval|Immediate)\b/, 'timers'],
  [/\bprocess\./, 'process state'],
  [/['"](node:)?(fs|fs\/promises|net|dgram|child_process|http|https|tls|timers|worker_threads)['"]/, 'I/O module'],
  [/\bas any\b|:\s*any\b/, 'any'],
];

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sources(p));
    else if (name.endsWith('.ts')) out.push(p);
  }
  return out;
}

// dist/test/tidy.test.js -> project root is two levels up.
const root = resolve(new URL('../..', import.meta.url).pathname);

describe('tidy: pure cores', () => {
  for (const dir of coreDirs) {
    it(`${dir}/ uses no clock, randomness, timers, I/O or any`, () => {
      const abs = join(root, dir);
      assert.ok(existsSync(abs), `${abs} exists`);
      const problems: string[] = [];
      for (const file of sources(abs)) {
        const lines = readFileSync(file, 'utf8').split('\n');
        lines.forEach((line, i) => {
          const code = line.replace(/\/\/.*$/, '');
          for (const [re, what] of forbidden) {
            if (re.test(code)) problems.push(`${file}:${i + 1}: ${what}: ${line.trim()}`);
          }
        });
      }
      assert.deepEqual(problems, []);
    });
  }
});
