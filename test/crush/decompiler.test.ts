// Proves decompileCrushMap writes crushtool -d's bytes for maps built through the CrushWrapper API (not the compiler): Ceph's %.3f weights with ties to even, placeholder names, hidden shadow buckets, rule masks and choose_args, against crushtool-made fixtures.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readdirSync } from 'node:fs';
import { compileCrushMap } from '../../crush/compiler.js';
import { decodeCrushMap } from '../../crush/encoding.js';
import { decompileCrushMap, decompileCrushMapResult, formatFixedpoint } from '../../crush/decompiler.js';
import { BucketAlg, RuleOp, RuleType } from '../../crush/types.js';
import { CrushWrapper } from '../../crush/wrapper.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '../../../test/fixtures/crush/text');
const fixture = (p: string): string => readFileSync(join(root, p), 'utf8');

describe('crush text decompiler', () => {
  describe('binary maps crushtool wrote decompile as crushtool -d prints them', () => {
    const decoded = join(root, 'decoded');
    for (const f of readdirSync(decoded).filter((n) => n.endsWith('.expected')).sort()) {
      const name = f.replace(/\.expected$/, '');
      it(name, () => {
        const bin = readFileSync(join(root, '../bin', `${name}.bin`));
        const cw = CrushWrapper.from(decodeCrushMap(bin));
        // names are byte strings (one char per byte), so the text is compared byte for byte
        assert.equal(decompileCrushMap(cw), readFileSync(join(decoded, f), 'latin1'));
      });
    }
  });

  it('prints weights as crushtool does (%.3f of a float, ties to even)', () => {
    // the weights.txt fixture: osd.0..9 of host w were given these weights, crushtool printed these
    const given = [0x1000, 0x3000, 6553, 100 * 0x10000, 0x8000, 5 * 0x10000, 0x14000, 0, 1, 6553593];
    const expected = fixture('maps/weights.expected');
    const printed = [...expected.matchAll(/^\titem osd\.(\d) weight (\S+)$/gm)]
      .slice(0, 10)
      .map((m) => m[2]);
    assert.deepEqual(
      given.map((w) => formatFixedpoint(w)),
      printed,
    );
    assert.equal(formatFixedpoint(0x1000), '0.062'); // 0.0625: an exact tie goes to even
    assert.equal(formatFixedpoint(0x3000), '0.188'); // 0.1875
    assert.equal(formatFixedpoint(-0x10000), '-1.000'); // a u32 weight above 2^31 prints negative
    assert.equal(formatFixedpoint(0xffffffff), '-0.000');
  });

  it('writes basic.expected for the same map built through the API', () => {
    const cw = new CrushWrapper();
    cw.setTunablesProfile('optimal');
    for (let i = 0; i < 4; i++) cw.setItemName(i, `osd.${i}`);
    cw.setTypeName(0, 'osd');
    cw.setTypeName(1, 'host');
    cw.setTypeName(11, 'root');
    const a = cw.addBucket(-2, BucketAlg.Straw2, 0, 1, [0, 1], [0x10000, 0x10000]);
    const b = cw.addBucket(-3, BucketAlg.Straw2, 0, 1, [2, 3], [0x8000, 0x18000]);
    cw.setItemName(a.id, 'node-a');
    cw.setItemName(b.id, 'node-b');
    const r = cw.addBucket(-1, BucketAlg.Straw2, 0, 11, [-2, -3], [0x20000, 0x20000]);
    cw.setItemName(r.id, 'default');
    assert.equal(cw.addSimpleRule('replicated_rule', 'default', 'host', '', 'firstn', RuleType.Replicated), 0);
    cw.finalize();
    assert.equal(decompileCrushMap(cw), fixture('maps/basic.expected'));
  });

  it('invents names where a map has none, and hides nothing else', () => {
    const cw = new CrushWrapper();
    cw.setTunablesProfile('legacy');
    cw.setTypeName(1, 'host');
    cw.addBucket(-1, BucketAlg.Straw2, 0, 1, [0, 1], [0x10000, 0x10000]);
    cw.addBucket(-2, BucketAlg.List, 0, 7, [-1], [0x20000]);
    cw.setItemName(1, 'osd.1');
    cw.setItemName(-2, 'top');
    const n = cw.addRule(0, 3, RuleType.Erasure, 1, 5);
    cw.setRuleStep(n, 0, RuleOp.Take, -2, 0);
    cw.setRuleStep(n, 1, RuleOp.ChooseIndep, 2, 9);
    cw.setRuleStep(n, 2, RuleOp.Emit, 0, 0);
    cw.finalize();
    const text = decompileCrushMap(cw);
    // no "type 0" name: crushtool prints "type 0 osd" but calls type 0 "device" in buckets and steps
    assert.match(text, /# types\ntype 0 osd\ntype 1 host\n/);
    assert.match(text, /^host bucket0 \{$/m);
    assert.match(text, /^type7 top \{$/m);
    assert.match(text, /^\titem device0 weight 1\.000$/m);
    assert.match(text, /^rule  \{\n\tid 0\n\ttype erasure\n/m);
    assert.match(text, /step choose indep 2 type type9\n/);
  });

  it('stops where crushtool stops when a rule takes an unnamed item', () => {
    const cw = new CrushWrapper();
    cw.setTypeName(1, 'host');
    cw.addBucket(-1, BucketAlg.Straw2, 0, 1, [], []);
    const n = cw.addRule(0, 2, RuleType.Replicated, 1, 10);
    cw.setRuleStep(n, 0, RuleOp.Take, -1, 0);
    cw.setRuleStep(n, 1, RuleOp.Emit, 0, 0);
    cw.finalize();
    const r = decompileCrushMapResult(cw);
    assert.ok(r.text.endsWith('\tmax_size 10\n\tstep take '));
    assert.equal(r.error?.code, 'EINVAL');
    assert.equal(decompileCrushMap(cw), r.text);
  });

  it('decompiles a bucket chain far deeper than the JS stack', () => {
    const cw = new CrushWrapper();
    cw.setTypeName(1, 'b');
    const depth = 30000;
    cw.addBucket(-depth, BucketAlg.Straw2, 0, 1, [0], [0x10000]);
    for (let i = depth - 1; i >= 1; i--) cw.addBucket(-i, BucketAlg.Straw2, 0, 1, [-(i + 1)], [0x10000]);
    cw.finalize();
    const text = decompileCrushMap(cw);
    // children first: the innermost bucket comes first, the root (-1) last
    assert.match(text, new RegExp(`# buckets\\nb bucket${depth - 1} \\{\\n\\tid -${depth}\\t`));
    assert.match(text, /\nb bucket0 \{\n\tid -1\t\t# do not change unnecessarily\n\t# weight 1\.000\n\talg straw2\n\thash 0\t# rjenkins1\n\titem bucket1 weight 1\.000\n\}\n\n# rules\n/);
  });

  it('flags a ruleset that differs from the rule id', () => {
    const text = decompileCrushMap(compileCrushMap(fixture('maps/rules.txt')));
    assert.match(text, /\tid 300\n\t# WARNING: ruleset 44 != id 300; this will not recompile to the same map\n/);
  });

  it('omits the weight sets of buckets that are not straw2, as decoding drops them', () => {
    const cw = compileCrushMap(fixture('maps/choose_args.txt'));
    assert.ok(cw.names.chooseArgs.get(7)![2]); // bucket -3 (straw) still has its entry in memory
    assert.equal(decompileCrushMap(cw), fixture('maps/choose_args.expected'));
    assert.doesNotMatch(fixture('maps/choose_args.expected'), /bucket_id -3/);
  });

  it('lists shadow ids under their bucket and never prints shadow buckets', () => {
    const text = decompileCrushMap(compileCrushMap(fixture('maps/classes.txt')));
    assert.equal(text, fixture('maps/classes.expected'));
    assert.doesNotMatch(text, /~/);
    assert.match(text, /\tid -22 class ssd\t\t# do not change unnecessarily\n/);
  });
});
