// Proves crushDoRule maps exactly as Ceph 16.2's crushtool does: every map under
// test/fixtures/crush/core/maps (all five bucket algorithms, straw_calc_version 0/1, every tunable
// profile, every set_* step, firstn/indep/chooseleaf, reweights, holes, choose_args) is built here
// from its JSON tables with tsceph's builder and each recorded crushtool --test mapping is replayed.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { addBucket, addRule, crushCreate, finalize, makeBucket, makeRule } from '../../crush/builder.js';
import { crushHash32_2 } from '../../crush/hash.js';
import { CrushWork, crushDoRule, crushFindRule } from '../../crush/mapper.js';
import { BucketAlg, CrushChooseArgMap, CrushMap, CRUSH_ITEM_NONE, RuleOp } from '../../crush/types.js';

const here = dirname(fileURLToPath(import.meta.url));
const mapsDir = join(here, '..', '..', '..', 'test', 'fixtures', 'crush', 'core', 'maps');

interface MapDesc {
  name: string;
  tunables: Record<string, number>;
  devices: number[];
  buckets: { id: number; name: string; type: number; alg: string; items: [number, number][] }[];
  rules: { id: number; name: string; type: number; minSize: number; maxSize: number; steps: (string | number)[][] }[];
  chooseArgs?: Record<string, { bucketId: number; weightSet?: number[][]; ids?: number[] }[]>;
  tests: { rule: number; rep: number; weights: Record<string, number>; pool?: number }[];
  chooseTries: number[][];
  minX: number;
  maxX: number;
}

const ALG: Record<string, BucketAlg> = {
  uniform: BucketAlg.Uniform,
  list: BucketAlg.List,
  tree: BucketAlg.Tree,
  straw: BucketAlg.Straw,
  straw2: BucketAlg.Straw2,
};
const OP: Record<string, RuleOp> = {
  take: RuleOp.Take,
  emit: RuleOp.Emit,
  choose_firstn: RuleOp.ChooseFirstN,
  choose_indep: RuleOp.ChooseIndep,
  chooseleaf_firstn: RuleOp.ChooseleafFirstN,
  chooseleaf_indep: RuleOp.ChooseleafIndep,
  set_choose_tries: RuleOp.SetChooseTries,
  set_chooseleaf_tries: RuleOp.SetChooseleafTries,
  set_choose_local_tries: RuleOp.SetChooseLocalTries,
  set_choose_local_fallback_tries: RuleOp.SetChooseLocalFallbackTries,
  set_chooseleaf_vary_r: RuleOp.SetChooseleafVaryR,
  set_chooseleaf_stable: RuleOp.SetChooseleafStable,
};

/** Build the C-level map from the tables, as CrushCompiler would (tunables first, then buckets, rules). */
export function buildMap(d: MapDesc): { map: CrushMap; chooseArgs: Map<number, CrushChooseArgMap> } {
  const map = crushCreate();
  const t = d.tunables;
  map.chooseLocalTries = t['choose_local_tries']!;
  map.chooseLocalFallbackTries = t['choose_local_fallback_tries']!;
  map.chooseTotalTries = t['choose_total_tries']!;
  map.chooseleafDescendOnce = t['chooseleaf_descend_once']!;
  map.chooseleafVaryR = t['chooseleaf_vary_r']!;
  map.chooseleafStable = t['chooseleaf_stable']!;
  map.strawCalcVersion = t['straw_calc_version']!;
  map.allowedBucketAlgs = t['allowed_bucket_algs']!;
  for (const b of d.buckets) {
    const bucket = makeBucket(map, ALG[b.alg]!, 0, b.type, b.items.map((i) => i[0]), b.items.map((i) => i[1]));
    addBucket(map, b.id, bucket);
  }
  for (const r of d.rules) {
    const steps = r.steps.map(([op, a1, a2]) => ({ op: OP[op as string]!, arg1: (a1 as number) ?? 0, arg2: (a2 as number) ?? 0 }));
    addRule(map, makeRule(steps, r.id, r.type, r.minSize, r.maxSize), r.id);
  }
  finalize(map);
  // CrushWrapper::finalize also counts named devices that no bucket holds
  const maxNamed = Math.max(...d.devices);
  if (maxNamed >= map.maxDevices) map.maxDevices = maxNamed + 1;
  const chooseArgs = new Map<number, CrushChooseArgMap>();
  for (const [key, list] of Object.entries(d.chooseArgs ?? {})) {
    const cam: CrushChooseArgMap = new Array(map.buckets.length).fill(null);
    for (const a of list) {
      cam[-1 - a.bucketId] = {
        ids: a.ids ? Int32Array.from(a.ids) : null,
        weightSet: (a.weightSet ?? []).map((w) => Uint32Array.from(w)),
      };
    }
    chooseArgs.set(Number(key), cam);
  }
  return { map, chooseArgs };
}

function loadExpected(name: string): string[][] {
  const text = gunzipSync(readFileSync(join(mapsDir, `${name}.out.gz`))).toString('utf8');
  const tests: string[][] = [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) {
    if (line.startsWith('# test')) tests.push([]);
    else tests[tests.length - 1]!.push(line); // an empty line is an empty mapping
  }
  return tests;
}

describe('crush mapper against crushtool', () => {
  const names = readdirSync(mapsDir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
  it('has the fixture maps', () => assert.ok(names.length >= 10));
  for (const name of names) {
    it(`maps ${name} like crushtool --test --show-mappings`, () => {
      const d = JSON.parse(readFileSync(join(mapsDir, `${name}.json`), 'utf8')) as MapDesc;
      const { map, chooseArgs } = buildMap(d);
      const expected = loadExpected(name);
      assert.equal(expected.length, d.tests.length);
      const present = new Set<number>();
      for (const b of d.buckets) for (const [it] of b.items) if (it >= 0) present.add(it);
      const work = new CrushWork(map, 16);
      const result = new Int32Array(16);
      for (const [k, t] of d.tests.entries()) {
        const hist = new Uint32Array(map.chooseTotalTries + 1);
        work.chooseTries = hist;
        const weights = new Uint32Array(map.maxDevices);
        for (let o = 0; o < map.maxDevices; o++) weights[o] = present.has(o) ? 0x10000 : 0;
        for (const [dev, w] of Object.entries(t.weights)) weights[Number(dev)] = w;
        const pool = t.pool ?? -1;
        // crushtool --test always maps with the default choose_args set (-1), whatever --pool-id says;
        // --pool-id only changes the input to hash(x, pool).
        const args = chooseArgs.get(-1) ?? null;
        const lines = expected[k]!;
        assert.equal(lines.length, d.maxX - d.minX + 1);
        for (let x = d.minX; x <= d.maxX; x++) {
          const realX = pool === -1 ? x : crushHash32_2(x, pool) | 0;
          const n = crushDoRule(map, t.rule, realX, result, t.rep, weights, weights.length, work, args);
          const got = Array.from(result.subarray(0, n)).join(',');
          if (got !== lines[x - d.minX]) {
            assert.fail(`${name} test ${k} (rule ${t.rule} rep ${t.rep} pool ${pool}) x ${x}: got [${got}] want [${lines[x - d.minX]}]`);
          }
        }
        // crushtool --show-choose-tries prints choose_total_tries buckets of the histogram
        assert.deepEqual(Array.from(hist.subarray(0, map.chooseTotalTries)), d.chooseTries[k], `${name} test ${k}: choose_tries`);
      }
    });
  }

  it('finds rules by mask', () => {
    const map = crushCreate();
    addRule(map, makeRule([], 0, 1, 1, 10), 0);
    addRule(map, makeRule([], 1, 3, 3, 6), 1);
    assert.equal(crushFindRule(map, 1, 3, 4), 1);
    assert.equal(crushFindRule(map, 1, 3, 7), -1);
    assert.equal(crushFindRule(map, 0, 1, 1), 0);
    assert.equal(CRUSH_ITEM_NONE, 0x7fffffff);
  });
});
