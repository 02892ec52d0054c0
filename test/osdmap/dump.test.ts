// Proves common/osdmap/dump.ts writes exactly what Ceph 16.2.15's `osdmaptool MAP --dump FORMAT` writes
// (json-pretty, json, xml-pretty) for every map in test/fixtures/osdmap/views, and exactly what
// libceph-common's own OSDMap::Incremental::dump writes for the incrementals there (called through
// scripts/osdmap-views/inc-dump.cc, as no Ceph tool prints incrementals), all recorded by
// scripts/osdmap-views/gen.sh.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JSONFormatter } from '../../common/formatter.js';
import { decodeIncremental, decodeOSDMap, encodeOSDMap } from '../../common/osdmap/encoding.js';
import { newIncremental, newPgPool } from '../../common/osdmap/osdmap.js';
import { dumpIncremental, dumpOSDMap, osdmaptoolDump } from '../../common/osdmap/dump.js';
import { loadViewMap, viewMaps, viewsDir, wantView } from './view-fixtures.js';

const maps = viewMaps;
const load = loadViewMap;
const want = wantView;

describe('osdmap/dump: osdmaptool --dump', () => {
  it('has fixtures', () => assert.ok(maps.length >= 20, `${maps.length} maps`));
  for (const name of maps) {
    it(name, () => {
      const m = load(name);
      assert.equal(osdmaptoolDump(m, 'json-pretty'), want(name + '.dump.json'), 'json-pretty');
      assert.equal(osdmaptoolDump(m, 'json'), want(name + '.dump-json.txt'), 'json');
      assert.equal(osdmaptoolDump(m, 'xml-pretty'), want(name + '.dump.xml'), 'xml-pretty');
    });
  }

  for (const name of ['rich', 'tree-weightsets', 'mon-states']) {
    it(`${name} --dump table-kv: dump_stream values keyed when the next value comes, as Ceph's TableFormatter does`, () => {
      assert.equal(osdmaptoolDump(load(name), 'table-kv'), want(name + '.dump-table-kv.txt'));
    });
  }

  it('an unknown format falls back to json, as Formatter::create(fmt, "", "json") does', () => {
    assert.equal(osdmaptoolDump(load('rich'), 'bogus'), want('rich.dump-json.txt'));
  });
});

const incs = readdirSync(viewsDir)
  .filter((f) => f.endsWith('.inc.bin'))
  .map((f) => f.slice(0, -8))
  .sort();

describe('osdmap/dump: Incremental::dump, as libceph-common dumps it', () => {
  it('has fixtures', () => assert.ok(incs.length >= 3, `${incs.length} incrementals`));
  for (const name of incs) {
    it(name, () => {
      const inc = decodeIncremental(readFileSync(join(viewsDir, name + '.inc.bin')));
      for (const [pretty, file] of [[true, name + '.inc.json'], [false, name + '.inc-json.txt']] as const) {
        const f = new JSONFormatter(pretty);
        f.openObjectSection('incremental');
        dumpIncremental(inc, f, { decodeFullMap: (b) => decodeOSDMap(b) });
        f.closeSection();
        assert.equal(f.flush() + '\n', want(file), file);
      }
    });
  }
});

describe('osdmap/dump: Incremental::dump shape', () => {
  function incJson(fill: (inc: ReturnType<typeof newIncremental>) => void): unknown {
    const inc = newIncremental(7);
    fill(inc);
    const f = new JSONFormatter(false);
    f.openObjectSection('inc');
    dumpIncremental(inc, f, { decodeFullMap: (b) => decodeOSDMap(b) });
    f.closeSection();
    return JSON.parse(f.flush());
  }

  it("an empty incremental: Ceph's field order, unchanged markers, crush and node flags inside new_purged_snaps", () => {
    const j = incJson(() => {}) as Record<string, unknown>;
    assert.deepEqual(Object.keys(j), [
      'epoch', 'fsid', 'modified', 'new_last_up_change', 'new_last_in_change', 'new_pool_max', 'new_flags',
      'new_full_ratio', 'new_nearfull_ratio', 'new_backfillfull_ratio', 'new_require_min_compat_client',
      'new_require_osd_release', 'new_max_osd', 'new_pools', 'new_pool_names', 'old_pools', 'new_up_osds',
      'new_weight', 'osd_state_xor', 'new_pg_temp', 'primary_temp', 'new_pg_upmap', 'old_pg_upmap',
      'new_pg_upmap_items', 'old_pg_upmap_items', 'new_up_thru', 'new_lost', 'new_last_clean_interval',
      'new_blocklist', 'old_blocklist', 'new_range_blocklist', 'old_range_blocklist', 'new_xinfo', 'new_uuid',
      'erasure_code_profiles', 'old_erasure_code_profiles', 'new_removed_snaps', 'new_purged_snaps',
    ]);
    assert.equal(j.new_pool_max, -1);
    assert.equal(j.new_full_ratio, -1);
    assert.equal(j.new_require_osd_release, 255);
    // the three sections Ceph opens before closing new_purged_snaps, unnamed inside the array
    assert.deepEqual(j.new_purged_snaps, [
      [],
      [],
      {
        change_stretch_mode: false,
        stretch_mode_enabled: false,
        new_stretch_bucket_count: 0,
        new_degraded_stretch_mode: 0,
        new_recovering_stretch_mode: 0,
        new_stretch_mode_bucket: 0,
      },
    ]);
  });

  it('dumps every change, the embedded full map and CRUSH map', () => {
    const full = load('simple-4-pool');
    const j = incJson((inc) => {
      inc.fullmap = encodeOSDMap(full);
      inc.newMaxOsd = 5;
      inc.newPools.set(3, newPgPool());
      inc.newPoolNames.set(3, 'three');
      inc.oldPools.push(2, 1, 2);
      inc.newState.set(1, 3);
      inc.newWeight.set(1, 0x10000);
      inc.newPgTemp.set(1, 2, [3, 1]);
      inc.newPrimaryTemp.set(1, 2, 3);
      inc.newUpThru.set(1, 6);
      inc.newLost.set(0, 5);
      inc.newLastCleanInterval.set(1, [2, 4]);
      inc.newCrushNodeFlags.set(-1, 1 << 8);
      inc.clusterSnapshot = 'x';
    }) as Record<string, unknown>;
    assert.equal((j.full_map as Record<string, unknown>).max_osd, 4);
    assert.deepEqual(j.old_pools, [1, 2]);
    assert.deepEqual(j.osd_state_xor, [{ osd: 1, state_xor: ['exists', 'up'] }]);
    assert.deepEqual(j.new_pg_temp, [{ pgid: '1.2', osds: [3, 1] }]);
    assert.deepEqual(j.primary_temp, ['1.2', 3]);
    assert.deepEqual(j.new_last_clean_interval, [{ osd: 1, first: 2, last: 4 }]);
    assert.equal(j.cluster_snapshot, 'x');
    assert.deepEqual((j.new_purged_snaps as unknown[])[0], [{ id: -1, flag: 'noup' }]);
  });

  it('dumpOSDMap into a caller section equals the osdmap section of --dump json', () => {
    const f = new JSONFormatter(false);
    f.openObjectSection('osdmap');
    dumpOSDMap(load('rich'), f);
    f.closeSection();
    assert.equal(f.flush(), want('rich.dump-json.txt'));
  });
});
