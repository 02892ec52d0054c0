// OSDMap::print_tree as Ceph 16.2 prints it: `osdmaptool MAP --tree` (the plain TextTable of
// OSDTreePlainDumper: ID CLASS WEIGHT TYPE NAME STATUS REWEIGHT PRI-AFF, DNE rows for OSDs in CRUSH
// that do not exist, then stray OSDs that exist but are in no bucket), and its Formatter form
// (OSDTreeFormattingDumper: "nodes" and "stray"), which `osdmaptool --tree=json` and `ceph osd tree
// -f json` print.
//
// The walk is CrushTreeDumper's: non-shadow roots in ascending id order, depth first; a bucket's
// children sorted by "CLASS_osd.%08d" for devices and "_NAME" for buckets; with a filter (ceph osd
// tree up/down/in/out/destroyed), leaves that do not match are skipped and so are buckets left empty.

import { Align, TextTable, type Formatter } from '../formatter.js';
import { bucketItemWeight, cName, weightToFloat } from '../../crush/dump.js';
import { formatWeightf } from '../../crush/tree.js';
import { DEFAULT_CHOOSE_ARGS } from '../../crush/types.js';
import { createViewFormatter, dumpStream } from './dump.js';
import { osdExists, osdIsDestroyed, osdIsOut, osdIsUp } from './osdmap.js';
import { osdPrimaryAffinityf, osdWeightf } from './print.js';
import type { OSDMapData } from './types.js';

/** OSDMap's DUMP_* filter bits for print_tree. */
export const DUMP_IN = 1;
export const DUMP_OUT = 2;
export const DUMP_UP = 4;
export const DUMP_DOWN = 8;
export const DUMP_DESTROYED = 16;

/** CrushTreeDumper::Item. */
export interface OsdTreeItem {
  id: number;
  parent: number;
  depth: number;
  /** float, as Ceph's Item::weight */
  weight: number;
  /** For buckets: the children in the order they are visited. */
  children: number[];
}

/** find_nonshadow_roots: buckets that are no bucket's item and are not shadow buckets, ascending. */
function nonshadowRoots(m: OSDMapData): number[] {
  const { crush } = m.crush;
  const contained = new Set<number>();
  for (const b of crush.buckets) {
    if (!b) continue;
    for (let j = 0; j < b.size; j++) contained.add(b.items[j]!);
  }
  const roots: number[] = [];
  for (const b of crush.buckets) {
    if (b && !contained.has(b.id) && !m.crush.isShadowItem(b.id)) roots.push(b.id);
  }
  return roots.sort((a, b) => a - b);
}

/** OSDTree*Dumper::should_dump_leaf. */
function shouldDumpLeaf(m: OSDMapData, filter: number, i: number): boolean {
  if (!filter) return true;
  return (
    ((filter & DUMP_UP) !== 0 && osdIsUp(m, i)) ||
    ((filter & DUMP_DOWN) !== 0 && !osdIsUp(m, i)) ||
    ((filter & DUMP_IN) !== 0 && !osdIsOut(m, i)) ||
    ((filter & DUMP_OUT) !== 0 && osdIsOut(m, i)) ||
    ((filter & DUMP_DESTROYED) !== 0 && osdIsDestroyed(m, i))
  );
}

/**
 * The items CrushTreeDumper visits, in order, and the set it touched. `bucket` limits the walk to
 * one named item (Dumper::set_root); an unknown name walks nothing.
 */
export function walkOsdTree(m: OSDMapData, filter = 0, bucket = ''): { items: OsdTreeItem[]; touched: Set<number> } {
  const { crush, names } = m.crush;
  const getBucket = (id: number) => (id < 0 ? (crush.buckets[-1 - id] ?? null) : null);
  const shouldDump = (id: number, depth = 0): boolean => {
    if (id >= 0) return shouldDumpLeaf(m, filter, id);
    if (!filter) return true;
    const b = getBucket(id);
    if (!b || depth > 64) return false;
    for (let k = b.size - 1; k >= 0; k--) if (shouldDump(b.items[k]!, depth + 1)) return true;
    return false;
  };
  let roots: number[];
  if (bucket !== '') {
    roots = [];
    for (const [id, name] of names.nameMap) if (name === bucket) roots.push(id);
    roots = roots.slice(0, 1);
  } else {
    roots = nonshadowRoots(m);
  }
  const items: OsdTreeItem[] = [];
  const touched = new Set<number>();
  const stack: OsdTreeItem[] = [];
  for (const root of roots) {
    if (!shouldDump(root)) continue;
    const rb = getBucket(root);
    stack.push({ id: root, parent: 0, depth: 0, weight: rb ? weightToFloat(rb.weight) : 0, children: [] });
    while (stack.length) {
      const qi = stack.pop()!;
      touched.add(qi.id);
      items.push(qi);
      if (qi.id >= 0) continue;
      const b = getBucket(qi.id);
      if (!b) continue;
      if (qi.depth > 64) continue; // a cyclic map; Ceph would loop forever
      const sorted = new Map<string, { id: number; weight: number }>();
      for (let k = b.size - 1; k >= 0; k--) {
        const id = b.items[k]!;
        if (!shouldDump(id)) continue;
        let key: string;
        if (id >= 0) {
          const c = names.classMap.get(id);
          key = `${c === undefined ? '' : (cName(names.className, c) ?? '')}_osd.${String(id).padStart(8, '0')}`;
        } else {
          key = '_' + (cName(names.nameMap, id) ?? '');
        }
        // get_bucket_item_weightf: the int weight over 0x10000, in float
        sorted.set(key, { id, weight: Math.fround(Math.fround(bucketItemWeight(b, k) | 0) / 0x10000) });
      }
      const keys = [...sorted.keys()].sort((a, c) => (a < c ? -1 : a > c ? 1 : 0));
      for (let i = keys.length - 1; i >= 0; i--) {
        const e = sorted.get(keys[i]!)!;
        qi.children.push(e.id);
      }
      // Ceph pushes each child to the front of its queue, largest key first, so the smallest key
      // is visited next; on this stack that means pushing the largest first
      for (let i = keys.length - 1; i >= 0; i--) {
        const e = sorted.get(keys[i]!)!;
        stack.push({ id: e.id, parent: qi.id, depth: qi.depth + 1, weight: e.weight, children: [] });
      }
    }
  }
  return { items, touched };
}

function itemClass(m: OSDMapData, id: number): string | undefined {
  const names = m.crush.names;
  const c = names.classMap.get(id);
  return c === undefined ? undefined : cName(names.className, c);
}

function statusOf(m: OSDMapData, id: number): string {
  if (osdIsUp(m, id)) return 'up';
  if (osdIsDestroyed(m, id)) return 'destroyed';
  return 'down';
}

/** Items in visit order, followed by the stray OSDs (exist, untouched, matching the filter). */
function treeRows(m: OSDMapData, filter: number, bucket: string): { items: OsdTreeItem[]; stray: OsdTreeItem[] } {
  const { items, touched } = walkOsdTree(m, filter, bucket);
  const stray: OsdTreeItem[] = [];
  if (bucket === '') {
    for (let i = 0; i < m.maxOsd; i++) {
      if (osdExists(m, i) && !touched.has(i) && shouldDumpLeaf(m, filter, i)) {
        stray.push({ id: i, parent: 0, depth: 0, weight: 0, children: [] });
      }
    }
  }
  return { items, stray };
}

/** OSDMap::print_tree with no formatter: the TextTable `osdmaptool --tree` and `ceph osd tree` print. */
export function printOsdTree(m: OSDMapData, filter = 0, bucket = ''): string {
  const { crush, names } = m.crush;
  const tbl = new TextTable();
  tbl.defineColumn('ID', Align.Left, Align.Right);
  tbl.defineColumn('CLASS', Align.Left, Align.Right);
  tbl.defineColumn('WEIGHT', Align.Left, Align.Right);
  tbl.defineColumn('TYPE NAME', Align.Left, Align.Left);
  tbl.defineColumn('STATUS', Align.Left, Align.Right);
  tbl.defineColumn('REWEIGHT', Align.Left, Align.Right);
  tbl.defineColumn('PRI-AFF', Align.Left, Align.Right);
  const { items, stray } = treeRows(m, filter, bucket);
  for (const qi of [...items, ...stray]) {
    tbl.cell(String(qi.id)).cell(itemClass(m, qi.id) ?? '').cell(formatWeightf(qi.weight));
    const indent = '    '.repeat(qi.depth);
    if (qi.id < 0) {
      // a missing (NULL) type name stops the ostringstream: only the indent is left
      const b = crush.buckets[-1 - qi.id];
      const typeName = b ? cName(names.typeMap, b.type) : undefined;
      tbl.cell(typeName === undefined ? indent : `${indent}${typeName} ${cName(names.nameMap, qi.id) ?? ''}`);
      tbl.cell('').cell('').cell('');
    } else {
      tbl.cell(`${indent}osd.${qi.id}`);
      if (!osdExists(m, qi.id)) {
        tbl.cell('DNE').cell('0').cell('');
      } else {
        tbl.cell(statusOf(m, qi.id)).cell(formatWeightf(osdWeightf(m, qi.id))).cell(formatWeightf(osdPrimaryAffinityf(m, qi.id)));
      }
    }
    tbl.endRow();
  }
  return tbl.toString();
}

/** CrushTreeDumper::dump_item_fields plus OSDTreeFormattingDumper's leaf fields. */
function dumpTreeItem(m: OSDMapData, qi: OsdTreeItem, f: Formatter): void {
  const { crush, names } = m.crush;
  f.openObjectSection('item');
  f.dumpInt('id', qi.id);
  const cls = itemClass(m, qi.id);
  if (cls !== undefined) f.dumpString('device_class', cls);
  if (qi.id < 0) {
    const b = crush.buckets[-1 - qi.id];
    const type = b ? b.type : -2;
    f.dumpString('name', cName(names.nameMap, qi.id) ?? '');
    f.dumpString('type', cName(names.typeMap, type) ?? '');
    f.dumpInt('type_id', type);
  } else {
    dumpStream(f, 'name', `osd.${qi.id}`);
    f.dumpString('type', cName(names.typeMap, 0) ?? '');
    f.dumpInt('type_id', 0);
    f.dumpFloat('crush_weight', qi.weight);
    f.dumpUnsigned('depth', qi.depth);
  }
  if (qi.parent < 0) {
    f.openObjectSection('pool_weights');
    const bidx = -1 - qi.parent;
    const b = crush.buckets[bidx];
    for (const key of [...names.chooseArgs.keys()].sort((a, c) => a - c)) {
      const arg = names.chooseArgs.get(key)![bidx];
      if (!b || !arg || arg.weightSet.length < 1) continue;
      const ws0 = arg.weightSet[0]!;
      let bpos = 0;
      while (bpos < ws0.length && b.items[bpos] !== qi.id) bpos++;
      const name = key === DEFAULT_CHOOSE_ARGS ? '(compat)' : (m.poolName.get(key) ?? String(key));
      f.openArraySection(name);
      for (const ws of arg.weightSet) f.dumpFloat('weight', weightToFloat(ws[bpos] ?? 0));
      f.closeSection();
    }
    f.closeSection();
  }
  if (qi.id < 0) {
    f.openArraySection('children');
    for (const c of qi.children) f.dumpInt('child', c);
    f.closeSection();
  } else {
    f.dumpUnsigned('exists', osdExists(m, qi.id) ? 1 : 0);
    f.dumpString('status', statusOf(m, qi.id));
    f.dumpFloat('reweight', osdWeightf(m, qi.id));
    f.dumpFloat('primary_affinity', osdPrimaryAffinityf(m, qi.id));
  }
  f.closeSection();
}

/** OSDMap::print_tree with a formatter: "nodes", then (without a bucket) "stray". */
export function dumpOsdTree(m: OSDMapData, f: Formatter, filter = 0, bucket = ''): void {
  const { items, stray } = treeRows(m, filter, bucket);
  f.openArraySection('nodes');
  for (const qi of items) dumpTreeItem(m, qi, f);
  f.closeSection();
  if (bucket === '') {
    f.openArraySection('stray');
    for (const qi of stray) dumpTreeItem(m, qi, f);
    f.closeSection();
  }
}

/**
 * Exactly what `osdmaptool MAP --tree[=FORMAT]` writes: the plain table without a format, else the
 * tree inside a "tree" section through Formatter::create(FORMAT, "", "json"), then a newline.
 */
export function osdmaptoolTree(m: OSDMapData, format = ''): string {
  if (format === '') return printOsdTree(m);
  const f = createViewFormatter(format);
  f.openObjectSection('tree');
  dumpOsdTree(m, f);
  f.closeSection();
  return f.flush() + '\n';
}

