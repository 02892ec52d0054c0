// Proves crush/dump.ts prints exactly what `crushtool -i MAP --dump [-f FORMAT]` prints (every format), for
// every binary in test/fixtures/crush/bin, whose dumps scripts/gen-bin-fixtures.sh recorded with crushtool.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeCrushMap } from '../../crush/encoding.js';
import { crushtoolDump } from '../../crush/dump.js';
import { getMinRequiredVersion, tunablesProfileName } from '../../crush/tunables.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, '..', '..', '..', 'test', 'fixtures', 'crush', 'bin');
const maps = readdirSync(fixtures)
  .filter((f) => f.endsWith('.bin') && !f.endsWith('.reenc.bin'))
  .map((f) => f.slice(0, -4))
  .sort();

function firstDiff(a: string, b: string): string {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return `first difference at ${i}: got ${JSON.stringify(a.slice(i, i + 60))}, want ${JSON.stringify(b.slice(i, i + 60))}`;
}

describe('crush/dump crushtool --dump', () => {
  for (const name of maps) {
    it(`${name}`, () => {
      const m = decodeCrushMap(readFileSync(join(fixtures, name + '.bin')));
      // Names decode one char per byte, so the output's bytes are its chars (latin1); compare bytes.
      const want = readFileSync(join(fixtures, name + '.dump.json'), 'latin1');
      const got = crushtoolDump(m);
      assert.ok(got === want, firstDiff(got, want));
      for (const format of ['json', 'xml', 'xml-pretty', 'html', 'html-pretty', 'table', 'table-kv']) {
        const path = join(fixtures, `${name}.dump-${format}.out`);
        if (!existsSync(path)) continue;
        const gotOther = crushtoolDump(m, format);
        const wantOther = readFileSync(path, 'latin1');
        assert.ok(gotOther === wantOther, `${format}: ${firstDiff(gotOther, wantOther)}`);
      }
    });
  }

  it('reports tunable profiles and minimum versions as crushtool did', () => {
    const cases: [string, string, string][] = [
      ['argonaut', 'argonaut', 'argonaut'],
      ['bobtail', 'bobtail', 'bobtail'],
      ['firefly', 'firefly', 'firefly'],
      ['compat-weightset', 'hammer', 'hammer'],
      ['classes', 'jewel', 'jewel'],
      ['odd-tunables', 'unknown', 'jewel'],
      ['algs', 'argonaut', 'hammer'],
    ];
    for (const [name, profile, version] of cases) {
      const { crush } = decodeCrushMap(readFileSync(join(fixtures, name + '.bin')));
      assert.equal(tunablesProfileName(crush), profile, name);
      assert.equal(getMinRequiredVersion(crush), version, name);
    }
  });
});
