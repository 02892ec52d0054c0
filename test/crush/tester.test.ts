// Proves CrushTester's pieces match Ceph: number formatting against glibc printf("%g") (fixture made by
// scripts/gen-cli-fixtures.sh), --weight conversion against crushtool's own weight dump, and the
// tester's output split (stdout vs stderr) and defaults on maps and outputs recorded from crushtool.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { decodeCrushMap } from '../../crush/encoding.js';
import {
  Lrand48,
  crushTest,
  defaultTesterOptions,
  formatFloatG,
  testerDeviceWeight,
} from '../../crush/tester.js';
import { atof } from '../../bin/argparse.js';

const root = resolve(new URL('../../..', import.meta.url).pathname);
const fixtures = join(root, 'test/fixtures/crush/cli');

function caseFile(name: string, file: string): string {
  return readFileSync(join(fixtures, 'cases', name, file), 'latin1');
}

describe('CrushTester', () => {
  it('formats floats as C++ streams do (printf %g, ties to even)', () => {
    const lines = readFileSync(join(fixtures, 'printf-g.txt'), 'utf8').trim().split('\n');
    assert.ok(lines.length > 30);
    for (const line of lines) {
      const [value, want] = line.split('\t') as [string, string];
      assert.equal(formatFloatG(Number(value)), want, `%g of ${value}`);
    }
  });

  it('turns --weight values into 16.16 weights as crushtool does', () => {
    // The case passes --weight 0 0.3, 1 1.7, 2 -1, 3 0.00001, 4 0.999999, 5 abc, 6 1e-3.
    const args = caseFile('t-weight-values', 'args').trim().split(/\s+/);
    const given: [number, string][] = [];
    for (let i = 0; i < args.length; i++) {
      if (args[i] === '--weight') given.push([Number(args[i + 1]), args[i + 2]!]);
    }
    const m = /devices weights \(hex\): \[([0-9a-f,]*)\]/.exec(caseFile('t-weight-values', 'stderr'));
    assert.ok(m);
    const hex = m[1]!.split(',').map((h) => parseInt(h, 16));
    for (const [dev, text] of given) {
      assert.equal(testerDeviceWeight(Math.fround(atof(text))), hex[dev], `--weight ${dev} ${text}`);
    }
  });

  it('writes the weight vector to stderr and everything else to stdout', () => {
    const cw = decodeCrushMap(readFileSync(join(fixtures, 'inputs/built.map')));
    const o = defaultTesterOptions();
    o.outputUtilizationAll = true;
    o.outputStatistics = true;
    o.outputChooseTries = true;
    o.minRep = o.maxRep = 3;
    o.deviceWeight.set(1, testerDeviceWeight(0.5));
    o.deviceWeight.set(20, testerDeviceWeight(1));
    let out = '';
    let err = '';
    const r = crushTest(cw, o, { out: (s) => (out += s), err: (s) => (err += s) });
    assert.equal(r, 0);
    assert.equal(err, 'devices weights (hex): [10000,8000,10000,10000,10000,10000,10000,10000,10000,10000,10000,10000]\n');
    // Same options as the recorded case, minus the histogram: its stdout is a prefix of ours.
    const want = caseFile('t-util-all', 'stdout');
    assert.ok(out.startsWith(want), 'statistics and utilization as crushtool printed them');
    const histogram = out.slice(want.length).split('\n').filter((l) => l !== '');
    assert.equal(histogram.length, cw.crush.chooseTotalTries);
    assert.match(histogram[0]!, /^ 0: {1,9}\d+$/);
  });

  it('draws glibc lrand48 numbers from its unseeded state', () => {
    // glibc: x(n+1) = (0x5deece66d * x(n) + 0xb) mod 2^48 from x = 0; lrand48 returns x >> 17.
    const rng = new Lrand48();
    let x = 0n;
    for (let i = 0; i < 1000; i++) {
      x = (0x5deece66dn * x + 0xbn) & ((1n << 48n) - 1n);
      assert.equal(rng.next(), Number(x >> 17n));
    }
  });
});
