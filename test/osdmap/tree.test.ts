// Proves common/osdmap/tree.ts writes exactly what Ceph 16.2.15's `osdmaptool MAP --tree` and
// `--tree=json-pretty|xml` write for every map in test/fixtures/osdmap/views (device classes, hidden
// shadow trees, weight sets named by pool and "(compat)", DNE and destroyed OSDs, strays), recorded by
// scripts/osdmap-views/gen.sh; and that the `ceph osd tree` filters keep the leaves and buckets
// Ceph's dumper keeps.
import assert from 'node:assert/strict';
import { DUMP_DESTROYED, DUMP_DOWN, DUMP_UP, osdmaptoolTree, printOsdTree, walkOsdTree } from '../../common/osdmap/tree.js';
import { loadViewMap, viewMaps, wantView } from './view-fixtures.js';

const maps = viewMaps;
const load = loadViewMap;
const want = wantView;

describe('osdmap/tree: osdmaptool --tree', () => {
  it('has fixtures', () => assert.ok(maps.length >= 20, `${maps.length} maps`));
  for (const name of maps) {
    it(name, () => {
      const m = load(name);
      assert.equal(osdmaptoolTree(m), want(name + '.tree.txt'), 'plain');
      assert.equal(osdmaptoolTree(m, 'json-pretty'), want(name + '.tree.json'), 'json-pretty');
      assert.equal(osdmaptoolTree(m, 'xml'), want(name + '.tree.xml'), 'xml');
    });
  }
});

describe('osdmap/tree: --tree=table', () => {
  for (const name of ['rich', 'tree-weightsets', 'mon-states']) {
    it(name, () => assert.equal(osdmaptoolTree(load(name), 'table'), want(name + '.tree-table.txt')));
  }
});

describe('osdmap/tree: filters and a named root (ceph osd tree)', () => {
  it('up: only up leaves, and only buckets holding one', () => {
    const m = load('tree-weightsets');
    const ids = walkOsdTree(m, DUMP_UP).items.map((i) => i.id);
    for (const id of ids) if (id >= 0) assert.ok((m.osdState[id]! & 2) !== 0, `osd.${id} is up`);
    assert.ok(!ids.includes(-8), 'the empty bucket is skipped');
    assert.ok(ids.includes(-1));
  });

  it('destroyed: the destroyed OSD and its ancestors', () => {
    const m = load('tree-weightsets');
    assert.deepEqual(walkOsdTree(m, DUMP_DESTROYED).items.map((i) => i.id), [-1, -5, -2, 2]);
  });

  it('down lists DNE leaves (they are not up) but no strays that are up', () => {
    const m = load('tree-weightsets');
    const text = printOsdTree(m, DUMP_DOWN);
    assert.ok(text.includes('DNE'));
    assert.ok(!/\n 8 /.test(text), 'the up stray osd.8 is not listed');
  });

  it('a named bucket is the only root and strays are not listed', () => {
    const m = load('tree-weightsets');
    const text = printOsdTree(m, 0, 'rb');
    const rows = text.trim().split('\n').slice(1);
    assert.match(rows[0]!, /^-6 .* rack rb/);
    assert.ok(rows.every((r) => !/ osd\.8 /.test(r)));
    assert.equal(printOsdTree(m, 0, 'nosuch').trim().split('\n').length, 1);
  });
});
