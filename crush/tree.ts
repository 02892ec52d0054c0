// `crushtool --tree`: Ceph's CrushTreeDumper walk rendered as the plain TextTable (CrushTreePlainDumper),
// shadow trees included as crushtool shows them.
//
// The walk: roots are the buckets no bucket contains, in ascending id order (so shadow roots such as
// "default~ssd", with lower ids, come first). Depth first from each root; a bucket's children are
// visited in the order of a sort key: "_" + name for buckets, CLASS + "_osd." + 8-digit id for devices
// (an empty class for devices without one), compared bytewise. Columns: ID, CLASS, WEIGHT, one per
// choose_args set (the weight of the item in its parent's first weight-set position), TYPE NAME.

import { Align, TextTable, formatFixed } from '../common/formatter.js';
import { bucketItemWeight, cName, weightToFloat, type CrushView } from './dump.js';
import { DEFAULT_CHOOSE_ARGS } from './types.js';

interface TreeItem {
  id: number;
  parent: number;
  depth: number;
  weight: number; // float, as Ceph's Item::weight
}

/** Ceph's weightf_t output: "-" below -0.01, "0" below 1e-6, else fixed with 5 decimals. */
export function formatWeightf(v: number): string {
  const w = Math.fround(v);
  if (w < Math.fround(-0.01)) return '-';
  if (w < Math.fround(0.000001)) return '0';
  return formatFixed(w, 5);
}

/** Ceph's find_roots: existing buckets that are no bucket's item, ascending. */
export function findRoots(cw: CrushView): number[] {
  const { crush } = cw;
  const contained = new Set<number>();
  for (const b of crush.buckets) {
    if (!b) continue;
    for (let j = 0; j < b.size; j++) contained.add(b.items[j]!);
  }
  const roots: number[] = [];
  for (let i = 0; i < crush.buckets.length; i++) {
    const b = crush.buckets[i];
    if (b && !contained.has(b.id)) roots.push(b.id);
  }
  return roots.sort((a, b) => a - b);
}

/** std::string's order. Decoded names hold one byte per char, so code unit order is byte order. */
function compareBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The items of the tree in the order CrushTreeDumper visits them. Calls `visit` for each; the walk is
 * iterative, and decodeCrushMap refuses cyclic maps, so it ends.
 */
export function walkCrushTree(cw: CrushView, visit: (item: TreeItem) => void): void {
  const { crush, names } = cw;
  const stack: TreeItem[] = [];
  for (const root of findRoots(cw)) {
    const rb = crush.buckets[-1 - root]!;
    stack.push({ id: root, parent: 0, depth: 0, weight: weightToFloat(rb.weight) });
    while (stack.length > 0) {
      const qi = stack.pop()!;
      visit(qi);
      if (qi.id >= 0) continue;
      const b = crush.buckets[-1 - qi.id];
      if (!b) continue;
      // children keyed as Ceph sorts them; a repeated key keeps the lowest position
      const sorted = new Map<string, TreeItem>();
      for (let k = b.size - 1; k >= 0; k--) {
        const id = b.items[k]!;
        let key: string;
        if (id >= 0) {
          const c = names.classMap.get(id);
          const cls = c === undefined ? '' : (cName(names.className, c) ?? '');
          key = `${cls}_osd.${String(id).padStart(8, '0')}`;
        } else {
          key = '_' + (cName(names.nameMap, id) ?? '');
        }
        // Ceph reads item weights through crush_get_bucket_item_weight, which returns an int
        const weight = Math.fround(Math.fround(bucketItemWeight(b, k) | 0) / 0x10000);
        sorted.set(key, { id, parent: qi.id, depth: qi.depth + 1, weight });
      }
      const keys = [...sorted.keys()].sort(compareBytes);
      for (let i = keys.length - 1; i >= 0; i--) stack.push(sorted.get(keys[i]!)!);
    }
  }
}

/** Exactly what `crushtool -i MAP --tree` prints. */
export function crushtoolTree(cw: CrushView): string {
  const { crush, names } = cw;
  const tbl = new TextTable();
  tbl.defineColumn('ID', Align.Left, Align.Right);
  tbl.defineColumn('CLASS', Align.Left, Align.Right);
  tbl.defineColumn('WEIGHT', Align.Left, Align.Right);
  const argKeys = [...names.chooseArgs.keys()].sort((a, b) => a - b);
  for (const key of argKeys) {
    tbl.defineColumn(key === DEFAULT_CHOOSE_ARGS ? '(compat)' : String(key), Align.Left, Align.Right);
  }
  tbl.defineColumn('TYPE NAME', Align.Left, Align.Left);

  walkCrushTree(cw, (qi) => {
    const c = names.classMap.get(qi.id);
    const cls = c === undefined ? '' : (cName(names.className, c) ?? '');
    tbl.cell(String(qi.id)).cell(cls).cell(formatWeightf(qi.weight));
    for (const key of argKeys) {
      let cell = '';
      if (qi.parent < 0) {
        const bidx = -1 - qi.parent;
        const b = crush.buckets[bidx];
        const arg = names.chooseArgs.get(key)![bidx];
        if (b && arg && arg.weightSet.length >= 1) {
          const ws = arg.weightSet[0]!;
          let pos = 0;
          while (pos < ws.length && b.items[pos] !== qi.id) pos++;
          cell = pos < ws.length ? formatWeightf(weightToFloat(ws[pos]!)) : '';
        }
      }
      tbl.cell(cell);
    }
    const indent = '    '.repeat(qi.depth);
    if (qi.id < 0) {
      // Ceph streams a missing (NULL) name into an ostringstream, which stops all later output
      // into it: an unnamed type leaves only the indent, an unnamed bucket only "type ".
      const b = crush.buckets[-1 - qi.id];
      const typeName = b ? cName(names.typeMap, b.type) : undefined;
      if (typeName === undefined) tbl.cell(indent);
      else tbl.cell(`${indent}${typeName} ${cName(names.nameMap, qi.id) ?? ''}`);
    } else {
      tbl.cell(`${indent}osd.${qi.id}`);
    }
    tbl.endRow();
  });
  return tbl.toString();
}
