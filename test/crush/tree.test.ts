// Proves crush/tree.ts prints exactly what `crushtool -i MAP --tree` prints (shadow trees, choose_args
// columns, float weights) for every binary in test/fixtures/crush/bin, recorded by
// scripts/gen-bin-fixtures.sh with crushtool.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeCrushMap } from '../../crush/encoding.js';
import { crushtoolTree, findRoots, formatWeightf } from '../../crush/tree.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, '..', '..', '..', 'test', 'fixtures', 'crush', 'bin');
const maps = readdirSync(fixtures)
  .filter((f) => f.endsWith('.bin') && !f.endsWith('.reenc.bin'))
  .map((f) => f.slice(0, -4))
  .sort();

describe('crush/tree crushtool --tree', () => {
  for (const name of maps) {
    it(`${name}`, () => {
      const m = decodeCrushMap(readFileSync(join(fixtures, name + '.bin')));
      // Names decode one char per byte, so the output's bytes are its chars (latin1); compare bytes.
      const want = readFileSync(join(fixtures, name + '.tree.txt'), 'latin1');
      assert.equal(crushtoolTree(m), want);
    });
  }

  it('lists shadow roots (lower ids) before the roots they shadow', () => {
    const m = decodeCrushMap(readFileSync(join(fixtures, 'classes.bin')));
    const roots = findRoots(m);
    assert.deepEqual(roots, [...roots].sort((a, b) => a - b));
    // from classes.tree.txt: default~nvme, default~hdd, default~ssd, other~nvme, ~hdd, ~ssd, other, default
    assert.deepEqual(roots, [-28, -22, -16, -10, -9, -8, -7, -1]);
  });

  it('formats weights as weightf_t: "-" for negatives, "0" for tiny, else 5 decimals', () => {
    assert.equal(formatWeightf(-1), '-');
    assert.equal(formatWeightf(0), '0');
    assert.equal(formatWeightf(1 / 65536), '0.00002');
    assert.equal(formatWeightf(0.015625), '0.01562');
  });
});
