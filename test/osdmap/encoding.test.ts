// Proves the OSDMap codec reads what Ceph 16.2 writes and writes it back byte for byte: maps made by Ceph's osdmaptool (test/fixtures/osdmap/codec, scripts/osdmap-codec/gen-fixtures.sh) and by a real Ceph monitor (test/golden/osdmap/maps) round-trip exactly; every truncation and every bit flip of a map is refused with a CephError naming the osdmap; incrementals round-trip and apply.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { CephError } from '../../common/errors.js';
import {
  addrKey,
  applyIncremental,
  applyIncrementalChecked,
  CEPH_OSD_EXISTS,
  CEPH_OSD_UP,
  decodeIncremental,
  decodeOSDMap,
  encodeIncremental,
  encodeOSDMap,
  newIncremental,
  newPgPool,
  osdmapCrc,
  PgMap,
  PoolType,
  snapSetSubtract,
  snapSetUnion,
  type EntityAddr,
} from '../../common/osdmap/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const FIXTURES = join(ROOT, 'test/fixtures/osdmap/codec');
const GOLDEN_MAPS = join(ROOT, 'test/golden/osdmap/maps');
/** Every epoch a real 16.2.15 monitor committed: full-E.bin.gz and inc-E.bin.gz (scripts/golden-osdmap). */
const MON_HISTORY = join(ROOT, 'test/golden/osdmap/maps/mon/history');

/** Every full map we have from Ceph: osdmaptool fixtures and, when present, the golden set's maps. */
function cephMaps(): Array<{ name: string; bytes: Buffer }> {
  const out: Array<{ name: string; bytes: Buffer }> = [];
  for (const f of readdirSync(FIXTURES).sort()) {
    if (f.endsWith('.bin')) out.push({ name: `fixtures/${f}`, bytes: readFileSync(join(FIXTURES, f)) });
  }
  // The golden set's full maps: osdmaptool-made ones at the top, monitor checkpoints in mon/ (maps/bad
  // holds the corrupt ones and maps/crush CRUSH maps, neither read here).
  for (const sub of ['', 'mon']) {
    for (const f of readdirSync(join(GOLDEN_MAPS, sub)).sort()) {
      if (f.endsWith('.bin')) out.push({ name: `golden/${sub ? `${sub}/` : ''}${f}`, bytes: readFileSync(join(GOLDEN_MAPS, sub, f)) });
    }
  }
  return out;
}

function assertCephError(fn: () => unknown, what: string): CephError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof CephError, `${what}: expected a CephError, got ${(e as Error).stack ?? String(e)}`);
    return e;
  }
  assert.fail(`${what}: decoded without an error`);
}

function ipv4Addr(ip: [number, number, number, number], port: number, nonce: number, type = 2): EntityAddr {
  const sa = Buffer.alloc(14);
  sa.writeUInt16BE(port, 0);
  sa.set(ip, 2);
  return { type, nonce, family: 2, sockaddr: sa };
}

describe('osdmap codec', () => {
  const maps = cephMaps();

  it('has Ceph-made maps to test with', () => {
    assert.ok(maps.length >= 50, `only ${maps.length} maps found`);
  });

  it('decodes every Ceph-made map and re-encodes it byte for byte', () => {
    for (const { name, bytes } of maps) {
      const m = decodeOSDMap(bytes);
      const out = encodeOSDMap(m);
      if (!out.equals(bytes)) {
        let i = 0;
        while (i < out.length && out[i] === bytes[i]) i++;
        assert.fail(`${name}: re-encoding differs at byte ${i} (${bytes.length} bytes in, ${out.length} out)`);
      }
      assert.equal(osdmapCrc(out), osdmapCrc(bytes));
    }
  });

  it('reads the fields osdmaptool wrote', () => {
    const m = decodeOSDMap(readFileSync(join(FIXTURES, 'simple-5-pool.bin')));
    assert.equal(m.epoch, 1);
    assert.equal(m.fsid, '00000000-0000-0000-0000-000000000000');
    assert.deepEqual(m.created, { sec: 1767225600, nsec: 0 });
    assert.equal(m.maxOsd, 5);
    assert.equal(m.pools.size, 1);
    const p = m.pools.get(1)!;
    assert.equal(m.poolName.get(1), 'rbd');
    assert.equal(m.lookupPoolName('rbd'), 1);
    assert.equal(p.type, PoolType.Replicated);
    assert.equal(p.size, 3);
    assert.equal(p.minSize, 2);
    assert.equal(p.pgNum, 5 << 6);
    assert.equal(p.pgNumMask, 511);
    assert.equal(p.flags & 1, 1, 'hashpspool');
    assert.deepEqual([...p.applicationMetadata.keys()], ['rbd']);
    assert.deepEqual([...m.erasureCodeProfiles.get('default')!.entries()], [
      ['k', '2'],
      ['m', '2'],
      ['plugin', 'jerasure'],
      ['technique', 'reed_sol_van'],
    ]);
    assert.equal(m.crush.crush.buckets.filter((b) => b).length, 3);
  });

  it('refuses every truncation of a map with a CephError', () => {
    for (const f of ['simple-2-pool.bin', 'imported-12.bin']) {
      const bytes = readFileSync(join(FIXTURES, f));
      for (let n = 0; n < bytes.length; n++) {
        const e = assertCephError(() => decodeOSDMap(bytes.subarray(0, n)), `${f} cut at ${n}`);
        assert.match(e.message, /osdmap/);
      }
    }
  });

  it('refuses every single-bit flip of a map (crc32c catches what the structure does not)', () => {
    const bytes = readFileSync(join(FIXTURES, 'simple-2-pool.bin'));
    for (let i = 0; i < bytes.length; i++) {
      const b = Buffer.from(bytes);
      b[i] = b[i]! ^ (1 << (i % 8));
      assertCephError(() => decodeOSDMap(b), `bit ${i % 8} of byte ${i}`);
    }
  });

  it('names what failed to decode', () => {
    const bytes = readFileSync(join(FIXTURES, 'simple-2-pool.bin'));
    const e = assertCephError(() => decodeOSDMap(bytes.subarray(0, 60)), 'cut in the pools');
    assert.match(e.message, /^osdmap: truncated reading wrapper body/);
    // The pool count (after the 12 header bytes, fsid, epoch and two times) says 1000 pools.
    const many = Buffer.from(bytes);
    many.writeUInt32LE(1000, 12 + 16 + 4 + 8 + 8);
    assert.match(assertCephError(() => decodeOSDMap(many), 'pool count').message, /osdmap: truncated reading epoch 1 pools \(count 1000/);
    const bad = Buffer.from(bytes);
    bad.writeUInt32LE(osdmapCrc(bytes) ^ 1, bad.length - 4);
    assert.match(assertCephError(() => decodeOSDMap(bad), 'bad crc').message, /bad crc/);
    // Without the crc check the same bytes decode.
    assert.equal(decodeOSDMap(bad, { verifyCrc: false }).epoch, 1);
  });

  it('encodes a map built in memory so that it decodes to the same content', () => {
    const m = decodeOSDMap(readFileSync(join(FIXTURES, 'imported-12.bin')));
    m.setState(3, CEPH_OSD_EXISTS | CEPH_OSD_UP);
    m.setWeight(3, 0x10000);
    m.clientAddrs[3] = [ipv4Addr([127, 0, 0, 1], 6800, 1234), ipv4Addr([127, 0, 0, 1], 6801, 1234, 1)];
    m.setPrimaryAffinity(4, 0x8000);
    m.pgTemp.set(1, 7, [3, 4, 5]);
    m.primaryTemp.set(1, 7, 4);
    m.pgUpmap.set(1, 2, [0, 1, 2]);
    m.pgUpmapItems.set(1, 3, [[0, 5]]);
    const a = ipv4Addr([10, 0, 0, 9], 0, 0, 3);
    m.blocklist.set(addrKey(a), { addr: a, until: { sec: 5, nsec: 6 } });
    const ec = newPgPool();
    ec.type = PoolType.Erasure;
    ec.size = 4;
    ec.minSize = 3;
    ec.pgNum = ec.pgpNum = 12;
    ec.erasureCodeProfile = 'default';
    m.pools.set(2, ec);
    m.poolName.set(2, 'ecpool');
    m.poolMax = 2;
    const bytes = encodeOSDMap(m);
    const back = decodeOSDMap(bytes);
    assert.deepEqual(back.clientAddrs[3], m.clientAddrs[3]);
    assert.deepEqual(back.pgTemp.get(1, 7), [3, 4, 5]);
    assert.equal(back.primaryTemp.get(1, 7), 4);
    assert.equal(back.getPrimaryAffinity(4), 0x8000);
    assert.deepEqual(back.pgUpmapItems.get(1, 3), [[0, 5]]);
    assert.equal(back.blocklist.size, 1);
    assert.equal(back.pools.get(2)!.erasureCodeProfile, 'default');
    assert.equal(back.pools.get(2)!.pgNumMask, 15);
    assert.ok(encodeOSDMap(back).equals(bytes), 'second encoding differs from the first');
  });

  it("replays a real monitor's history: every full map and incremental round-trips, and full(E-1) + inc(E) = full(E)", () => {
    const epochs = readdirSync(MON_HISTORY)
      .map((f) => /^inc-(\d+)\.bin\.gz$/.exec(f))
      .filter((x): x is RegExpExecArray => x !== null)
      .map((x) => Number(x[1]))
      .sort((a, b) => a - b);
    assert.ok(epochs.length >= 100, `only ${epochs.length} epochs in ${MON_HISTORY}`);
    const read = (kind: string, e: number): Buffer =>
      gunzipSync(readFileSync(join(MON_HISTORY, `${kind}-${String(e).padStart(4, '0')}.bin.gz`)));
    let applied = 0;
    for (const e of epochs) {
      const full = read('full', e);
      const incBytes = read('inc', e);
      assert.ok(encodeOSDMap(decodeOSDMap(full)).equals(full), `full map ${e} does not round-trip`);
      const inc = decodeIncremental(incBytes);
      assert.equal(inc.epoch, e);
      assert.ok(encodeIncremental(inc, inc.encodeFeatures).equals(incBytes), `incremental ${e} does not round-trip`);
      if (!epochs.includes(e - 1)) continue;
      const r = applyIncrementalChecked(read('full', e - 1), inc);
      assert.ok(r.crcMatches, `epoch ${e}: the applied map's crc is not the incremental's full_crc`);
      assert.ok(r.encoded.equals(full), `epoch ${e}: full(${e - 1}) + inc(${e}) differs from the monitor's full(${e})`);
      applied++;
    }
    assert.ok(applied >= 100);
  });

  it('round-trips and applies an incremental', () => {
    const base = readFileSync(join(FIXTURES, 'imported-12.bin'));
    const m = decodeOSDMap(base);
    const inc = newIncremental(m.epoch + 1);
    inc.fsid = m.fsid;
    inc.modified = { sec: 1767225700, nsec: 5 };
    inc.newUpClient.set(2, [ipv4Addr([127, 0, 0, 1], 6802, 42)]);
    inc.newHbBackUp.set(2, [ipv4Addr([127, 0, 0, 1], 6803, 42)]);
    inc.newHbFrontUp.set(2, [ipv4Addr([127, 0, 0, 1], 6804, 42)]);
    inc.newUpCluster.set(2, [ipv4Addr([127, 0, 0, 1], 6805, 42)]);
    inc.newWeight.set(2, 0x10000);
    inc.newPgTemp.set(1, 0, [2, 1]);
    inc.newPgUpmapItems.set(1, 5, [[1, 2]]);
    inc.newUuid.set(2, '11111111-2222-3333-4444-555555555555');
    inc.newRemovedSnaps.set(1, [{ start: 2n, len: 3n }]);
    const bytes = encodeIncremental(inc);
    const back = decodeIncremental(bytes);
    assert.ok(encodeIncremental(back).equals(bytes), 'incremental re-encoding differs');
    assert.equal(applyIncremental(m, back), 0);
    assert.equal(m.epoch, inc.epoch);
    assert.ok(m.isUp(2) && m.isIn(2));
    assert.equal(m.osdInfo[2]!.upFrom, inc.epoch);
    assert.deepEqual(m.pgTemp.get(1, 0), [2, 1]);
    assert.deepEqual(m.removedSnapsQueue.get(1), [{ start: 2n, len: 3n }]);
    assert.equal(m.osdUuid[2], '11111111-2222-3333-4444-555555555555');
    // Wrong epoch and wrong cluster are refused.
    assertCephError(() => applyIncremental(m, back), 'same incremental twice');
    const other = newIncremental(m.epoch + 1);
    other.fsid = '99999999-2222-3333-4444-555555555555';
    assert.equal(applyIncremental(m, other), -22);
  });

  it('refuses every truncation of an incremental', () => {
    const inc = newIncremental(5);
    inc.newPgTemp.set(3, 1, [1, 2]);
    inc.newPools.set(3, newPgPool());
    const bytes = encodeIncremental(inc);
    for (let n = 0; n < bytes.length; n++) assertCephError(() => decodeIncremental(bytes.subarray(0, n)), `cut at ${n}`);
  });

  it('unites and subtracts snap interval sets as interval_set does', () => {
    const a = snapSetUnion([{ start: 1n, len: 2n }], [{ start: 3n, len: 2n }, { start: 10n, len: 1n }]);
    assert.deepEqual(a, [{ start: 1n, len: 4n }, { start: 10n, len: 1n }]);
    assert.deepEqual(snapSetSubtract(a, [{ start: 2n, len: 1n }]), [
      { start: 1n, len: 1n },
      { start: 3n, len: 2n },
      { start: 10n, len: 1n },
    ]);
    assert.deepEqual(snapSetSubtract(a, a), []);
    void PgMap;
  });
});
