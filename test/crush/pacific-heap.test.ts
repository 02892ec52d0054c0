// Proves tsceph maps the way Pacific does where Pacific reads memory it never wrote: tree draws past a bucket's last item give device 0 (the decoder's zeroed calloc slack), and a rebuilt shadow bucket's zero-position weight set is reported as the crash it is; checked on hand-built buckets and on Ceph 16.2.15's own compiled maps from test/golden/crush (whose exact mappings golden.test.ts replays).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addBucket, addRule, bucketAddItem, crushCreate, finalize, makeBucket, makeRule } from '../../crush/builder.js';
import { compileCrushMap } from '../../crush/compiler.js';
import { decodeCrushMap, encodeCrushMap } from '../../crush/encoding.js';
import { CrushWork, crushDoRule } from '../../crush/mapper.js';
import { CrushTesterFault, crushTest, defaultTesterOptions } from '../../crush/tester.js';
import { BucketAlg, RuleOp } from '../../crush/types.js';
import { CrushWrapper } from '../../crush/wrapper.js';
import { callocSlots, treeLeavesPastEnd, treeReadsPastCalloc, uninitialisedTreeNodes } from './pacific-heap.js';

const GOLD = join(resolve(dirname(fileURLToPath(import.meta.url)), '../../..'), 'test/golden/crush');

function flagged(flags: boolean[]): number[] {
  return flags.flatMap((f, i) => (f ? [i] : []));
}

describe("Pacific's heap garbage in tree buckets", () => {
  it('knows which node weights Ceph leaves unwritten when it grows a tree item by item', () => {
    assert.deepEqual(flagged(uninitialisedTreeNodes(1)), [0]);
    assert.deepEqual(flagged(uninitialisedTreeNodes(2)), [0]);
    assert.deepEqual(flagged(uninitialisedTreeNodes(3)), [0, 6, 7]);
    assert.deepEqual(flagged(uninitialisedTreeNodes(4)), [0, 6]);
    assert.deepEqual(flagged(uninitialisedTreeNodes(5)), [0, 6, 10, 11, 12, 13, 14, 15]);
    assert.deepEqual(flagged(uninitialisedTreeNodes(8)), [0, 6, 10, 12, 14]);
  });

  it("sizes the decoder's zeroed slack as glibc's calloc does", () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 16, 17].map(callocSlots), [6, 6, 6, 6, 6, 6, 10, 10, 10, 10, 14, 18, 18]);
  });

  it('picks device 0 for a draw that runs past the last item, never an undefined item', () => {
    // a 3-item host: node 6 (parent of leaf 5 = item 2 and leaf 7 = no item) with a garbage weight
    const map = crushCreate();
    const host = makeBucket(map, BucketAlg.Tree, 0, 1, [4, 5, 6], [0x10000, 0x10000, 0x10000]);
    host.nodeWeights[6] = 0x7c8c0d75; // a heap word, as in the bug report's host3~hdd
    addBucket(map, -1, host);
    const take = { op: RuleOp.Take, arg1: -1, arg2: 0 };
    const emit = { op: RuleOp.Emit, arg1: 0, arg2: 0 };
    addRule(map, makeRule([take, { op: RuleOp.ChooseFirstN, arg1: 0, arg2: 0 }, emit], 0, 1, 1, 10), 0);
    addRule(map, makeRule([take, { op: RuleOp.ChooseIndep, arg1: 0, arg2: 0 }, emit], 1, 3, 1, 10), 1);
    finalize(map);
    assert.deepEqual(treeLeavesPastEnd(host), [3]);
    assert.deepEqual(treeReadsPastCalloc(map), []); // leaf 3 is inside calloc(12)'s six zeroed slots
    const work = new CrushWork(map, 3);
    const out = new Int32Array(3);
    const weights = new Uint32Array(7).fill(0x10000);
    let zeros = 0;
    for (const rule of [0, 1]) {
      for (let x = 0; x < 500; x++) {
        const n = crushDoRule(map, rule, x, out, 3, weights, weights.length, work, null);
        for (const item of out.subarray(0, n)) {
          assert.ok(Number.isInteger(item), `rule ${rule} x ${x}: ${String(item)}`);
          if (item === 0) zeros++;
        }
      }
    }
    assert.ok(zeros > 500, `device 0 (in no bucket) was picked ${zeros} times`);
  });

  it('never runs past the last item in the trees tsceph grows (zeros where Ceph has garbage)', () => {
    const map = crushCreate();
    const b = makeBucket(map, BucketAlg.Tree, 0, 1, [], []);
    for (let i = 0; i < 11; i++) {
      bucketAddItem(map, b, i, 0x10000 * (1 + (i % 3)));
      assert.deepEqual(treeLeavesPastEnd(b), [], `size ${i + 1}`);
    }
  });

  it("reproduces Ceph's compile except at the node weights Ceph never writes", () => {
    const text = readFileSync(join(GOLD, 'maps/classes-tree-bug.txt'), 'utf8');
    const ceph = decodeCrushMap(readFileSync(join(GOLD, 'maps/classes-tree-bug.bin')));
    const ours = compileCrushMap(text);
    let shadows = 0;
    let garbage = 0;
    for (const [i, e] of ceph.crush.buckets.entries()) {
      const g = ours.crush.buckets[i]!;
      if (!e || e.alg !== BucketAlg.Tree) continue;
      const unwritten = (ceph.names.nameMap.get(e.id) ?? '').includes('~') ? uninitialisedTreeNodes(e.size) : [];
      if (unwritten.length > 0) shadows++;
      for (let k = 0; k < e.numNodes; k++) {
        if (e.nodeWeights[k] === g.nodeWeights[k]) continue;
        assert.ok(unwritten[k], `bucket ${e.id} node ${k}: ceph ${e.nodeWeights[k]!.toString(16)}, tsceph ${g.nodeWeights[k]!.toString(16)}`);
        garbage++;
      }
    }
    assert.ok(shadows >= 20 && garbage > 0, `${shadows} shadow trees, ${garbage} garbage words`);
    // and Ceph's garbage sends three shadow hosts' draws past their last item, inside the slack
    const past = ceph.crush.buckets.filter((b) => b && treeLeavesPastEnd(b).length > 0).map((b) => b!.id);
    assert.ok(past.length > 0);
    assert.deepEqual(treeReadsPastCalloc(ceph.crush), []);
  });
});

describe('zero-position weight sets of rebuilt shadow buckets', () => {
  const text = readFileSync(join(GOLD, 'maps/classes-alg-straw2.txt'), 'utf8');

  it('exist only in memory, after a rebuild with weight sets present', () => {
    const cw = compileCrushMap(text);
    const set = cw.chooseArgsGet(-1);
    assert.equal(cw.weightSetTraps(set), null, 'the compiler adds choose_args after the shadow trees');
    cw.rebuildRootsWithClasses();
    const traps = cw.weightSetTraps(cw.chooseArgsGet(-1));
    assert.ok(traps !== null);
    const trapped = flagged(Array.from(traps, (t) => t === 1)).map((i) => -1 - i);
    // every trapped bucket is a straw2 shadow whose original has no weight set in the -1 set
    for (const id of trapped) {
      const name = cw.getItemName(id)!;
      assert.ok(name.includes('~'), name);
      const original = cw.getItemId(name.slice(0, name.indexOf('~')));
      assert.equal(cw.chooseArgsGet(-1)![-1 - original]?.weightSet.length ?? 0, 0, name);
    }
    assert.ok(trapped.length >= 4);
    // the encoding drops them: a reloaded map has none
    const reloaded = CrushWrapper.from(decodeCrushMap(encodeCrushMap(cw)));
    assert.equal(reloaded.weightSetTraps(reloaded.chooseArgsGet(-1)), null);
  });

  it("turn crushtool --test into Pacific's segfault at the first draw from one", () => {
    const cw = compileCrushMap(text);
    cw.rebuildRootsWithClasses();
    const work = new CrushWork(cw.crush, 3);
    work.weightSetTraps = cw.weightSetTraps(cw.chooseArgsGet(-1));
    const out = new Int32Array(3);
    const weights = new Uint32Array(cw.crush.maxDevices).fill(0x10000);
    crushDoRule(cw.crush, 2, 0, out, 3, weights, weights.length, work, cw.chooseArgsGet(-1)); // no class: no shadow
    assert.equal(work.trappedBucket, 0);
    crushDoRule(cw.crush, 0, 0, out, 3, weights, weights.length, work, cw.chooseArgsGet(-1)); // take default class hdd
    assert.ok(work.trappedBucket < 0);
    const printed: string[] = [];
    const o = { ...defaultTesterOptions(), minX: 0, maxX: 9, minRule: 2, maxRule: 3, minRep: 3, maxRep: 3, outputMappings: true };
    assert.throws(
      () => crushTest(cw, o, { out: (t) => printed.push(t), err: () => {} }),
      (e: unknown) => e instanceof CrushTesterFault && e.signal === 'SIGSEGV',
    );
    assert.match(printed.join(''), /CRUSH rule 2 x 9 \[[0-9,]+\]\nCRUSH$/);
  });
});
