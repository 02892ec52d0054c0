// `crushtool --build --num_osds N layer...`: a synthetic hierarchy built bottom-up.
//
// Devices osd.0..osd.N-1 (weight 1.0 each) are grouped, layer by layer, into buckets of the layer's
// algorithm holding `size` items each (0: one bucket holding everything below). Layer k gets type id
// k (devices are type 0 "osd"); buckets are named `<layer><index>`, or just `<layer>` for size 0,
// truncated to 19 characters as Ceph's fixed buffers do. The map then gets Ceph's default replicated
// rule (OSDMap::build_simple_crush_rules) rooted at the first bucket of the last layer, choosing leaves
// across the type-1 layer.

import { CrushWrapper } from './wrapper.js';
import { strerror } from '../common/errors.js';
import { BucketAlg, CRUSH_HASH_DEFAULT, RuleType } from './types.js';

function cppStrerror(r: number): string {
  return `(${Math.abs(r)}) ${strerror(r)}`;
}

export interface BuildLayer {
  name: string;
  /** uniform, list, straw, straw2 or tree. */
  bucketType: string;
  /** Items per bucket; 0 puts everything below into one bucket. */
  size: number;
}

const bucketAlgs: [string, BucketAlg][] = [
  ['uniform', BucketAlg.Uniform],
  ['list', BucketAlg.List],
  ['straw', BucketAlg.Straw],
  ['straw2', BucketAlg.Straw2],
  ['tree', BucketAlg.Tree],
];

export interface BuildSinks {
  /** Warnings and errors, as crushtool prints them to stderr. */
  stderr(text: string): void;
}

/** The first `n` bytes of `s`, as C's bounded string functions keep. */
function cBytes(s: string, n: number): string {
  const b = Buffer.from(s, 'utf8');
  return b.length <= n ? s : b.subarray(0, n).toString('utf8');
}

/** crushtool formats "<layer>%d" into 19 bytes, then the name into 20 (19 and a NUL). */
function bucketName(layer: string, index: number): string {
  const format = cBytes(`${layer}%d`, 18);
  const name = format.endsWith('%d') ? `${format.slice(0, -2)}${index}` : format.replace(/%$/, '');
  return cBytes(name, 19);
}

/**
 * Build the map. Returns the wrapper, or the exit status crushtool returns when a layer is bad
 * (after printing the same complaint to `sinks.stderr`).
 */
export function buildCrushMap(numOsds: number, layers: BuildLayer[], sinks: BuildSinks): CrushWrapper | number {
  const cw = new CrushWrapper();
  cw.create();

  let lowerItems: number[] = [];
  let lowerWeights: number[] = [];
  cw.crush.maxDevices = Math.max(numOsds, 0);
  for (let i = 0; i < numOsds; i++) {
    lowerItems.push(i);
    lowerWeights.push(0x10000);
    cw.setItemName(i, `osd.${i}`);
  }
  cw.setTypeName(0, 'osd');

  let type = 1;
  for (const l of layers) {
    cw.setTypeName(type, l.name);
    const alg = bucketAlgs.find(([n]) => n === l.bucketType)?.[1];
    if (alg === undefined) {
      sinks.stderr(`unknown bucket type '${l.bucketType}'\n`);
      return 1;
    }
    const curItems: number[] = [];
    const curWeights: number[] = [];
    let lowerPos = 0;
    let i = 0;
    while (lowerPos < lowerItems.length) {
      const items: number[] = [];
      const weights: number[] = [];
      let weight = 0;
      for (let j = 0; j < l.size || l.size === 0; j++) {
        if (lowerPos === lowerItems.length) break;
        items.push(lowerItems[lowerPos]!);
        weights.push(lowerWeights[lowerPos]!);
        weight = (weight + lowerWeights[lowerPos]!) | 0;
        lowerPos++;
      }
      const { ret, id } = cw.addBucket(0, alg, CRUSH_HASH_DEFAULT, type, items, weights);
      if (ret < 0) {
        sinks.stderr(` Couldn't add bucket: ${cppStrerror(ret)}\n`);
        return ret & 0xff;
      }
      const name = l.size ? bucketName(l.name, i) : cBytes(l.name, 19);
      cw.setItemName(id, name);
      curItems.push(id);
      curWeights.push(weight);
      i++;
    }
    lowerItems = curItems;
    lowerWeights = curWeights;
    type++;
  }

  const last = layers[layers.length - 1]!;
  const root = last.size === 0 ? last.name : `${last.name}0`;

  const roots = findRoots(cw);
  if (roots.length > 1) {
    sinks.stderr(
      `The crush rulesets will use the root ${root}\n` +
        'and ignore the others.\n' +
        `There are ${roots.length} roots, they can be\n` +
        'grouped into a single root by appending something like:\n' +
        '  root straw 0\n' +
        '\n',
    );
  }

  // OSDMap::build_simple_crush_rules: osd_crush_chooseleaf_type is 1 by default.
  const failureDomain = cw.getTypeName(1) ?? '';
  const why = { message: '' };
  if (cw.addSimpleRule('replicated_rule', root, failureDomain, '', 'firstn', RuleType.Replicated, why) < 0) {
    // Ceph's build_simple_crush_rules writes the complaint with no line end.
    sinks.stderr(why.message);
    return 1;
  }
  return cw;
}

/** Buckets no other bucket holds. */
function findRoots(cw: CrushWrapper): number[] {
  const held = new Set<number>();
  for (const b of cw.crush.buckets) if (b) for (let i = 0; i < b.size; i++) held.add(b.items[i]!);
  const roots: number[] = [];
  cw.crush.buckets.forEach((b, idx) => {
    if (b && !held.has(-1 - idx)) roots.push(-1 - idx);
  });
  return roots;
}
