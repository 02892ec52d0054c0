// Proves `--build` makes the same maps as Ceph's crushtool: buildCrushMap's encoding is compared byte
// for byte with the maps crushtool wrote for the build-* cases (scripts/gen-cli-fixtures.sh).
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { buildCrushMap, type BuildLayer } from '../../crush/build.js';
import { encodeCrushMap } from '../../crush/encoding.js';

const root = resolve(new URL('../../..', import.meta.url).pathname);
const cases = join(root, 'test/fixtures/crush/cli/cases');

/** The --num_osds value and layer triples of a recorded `crushtool --build ...` command line. */
function parseBuild(args: string[]): { numOsds: number; layers: BuildLayer[] } {
  let numOsds = 0;
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--build' || a === '--') continue;
    if (a === '--num_osds') numOsds = Number(args[++i]);
    else if (a === '-o') i++;
    else rest.push(a);
  }
  const layers: BuildLayer[] = [];
  for (let j = 0; j + 2 < rest.length; j += 3) {
    layers.push({ name: rest[j]!, bucketType: rest[j + 1]!, size: Number(rest[j + 2]) });
  }
  return { numOsds, layers };
}

describe('crushtool --build', () => {
  const names = readdirSync(cases).filter((n) => n.startsWith('build-') && existsSync(join(cases, n, 'files/b.map')));
  it('has recorded builds to compare with', () => assert.ok(names.length >= 6));
  for (const name of names) {
    const args = readFileSync(join(cases, name, 'args'), 'utf8').trim().split(/\s+/);
    it(`${name}: ${args.join(' ')}`, () => {
      const { numOsds, layers } = parseBuild(args);
      let stderr = '';
      const cw = buildCrushMap(numOsds, layers, { stderr: (s) => (stderr += s) });
      assert.ok(typeof cw !== 'number', `build failed: ${stderr}`);
      cw.finalize();
      const want = readFileSync(join(cases, name, 'files/b.map'));
      const got = encodeCrushMap(cw);
      assert.ok(got.equals(want), `${got.length} bytes vs crushtool's ${want.length}`);
      assert.equal(stderr, readFileSync(join(cases, name, 'stderr'), 'utf8'));
    });
  }
  it('refuses an unknown bucket algorithm as crushtool does', () => {
    let stderr = '';
    const r = buildCrushMap(3, [{ name: 'host', bucketType: 'foo', size: 2 }], { stderr: (s) => (stderr += s) });
    assert.equal(r, 1);
    assert.equal(stderr, readFileSync(join(cases, 'build-bad-alg', 'stderr'), 'utf8'));
  });
});
