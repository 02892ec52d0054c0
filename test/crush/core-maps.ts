// Shared by the core tests: loads the map tables of test/fixtures/crush/core/maps (written by
// scripts/gen-core-maps.mjs) and builds each map with tsceph's builder, as CrushCompiler would.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { addBucket, addRule, crushCreate, finalize, makeBucket, makeRule } from '../../crush/builder.js';
import { BucketAlg, CrushChooseArgMap, CrushMap, RuleOp } from '../../crush/types.js';

const here = dirname(fileURLToPath(import.meta.url));
export const coreFixtures = join(here, '..', '..', '..', 'test', 'fixtures', 'crush', 'core');
export const mapsDir = join(coreFixtures, 'maps');

export interface MapDesc {
  name: string;
  tunables: Record<string, number>;
  devices: number[];
  buckets: { id: number; name: string; type: number; alg: string; hash?: number; items: [number, number][] }[];
  rules: { id: number; name: string; type: number; minSize: number; maxSize: number; steps: (string | number)[][] }[];
  chooseArgs?: Record<string, { bucketId: number; weightSet?: number[][]; ids?: number[] }[]>;
  tests: { rule: number; rep: number; weights: Record<string, number>; pool?: number }[];
  chooseTries: number[][];
  dumpTunables: Record<string, number | string>;
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
    const bucket = makeBucket(map, ALG[b.alg]!, b.hash ?? 0, b.type, b.items.map((i) => i[0]), b.items.map((i) => i[1]));
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


export function mapNames(): string[] {
  return readdirSync(mapsDir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
}

export function loadMapDesc(name: string): MapDesc {
  return JSON.parse(readFileSync(join(mapsDir, `${name}.json`), 'utf8')) as MapDesc;
}
