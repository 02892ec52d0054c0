// Proves common/osdmap/print.ts writes exactly what Ceph 16.2.15's `osdmaptool MAP --print` writes, for
// every map in test/fixtures/osdmap/views (osdmaptool --createsimple maps, maps a real 16.2.15 monitor
// made, and maps with every kind of pool, OSD, address, temp, upmap, blocklist and flag, recorded by
// scripts/osdmap-views/gen.sh), in UTC and in another time zone; and that its hash-table order for
// blocklists is libstdc++'s.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  UTC,
  cephReleaseName,
  fixedOffsetZone,
  formatAddrVec,
  formatEntityAddr,
  formatIpv6,
  formatSnapIntervalSet,
  formatUtime,
  getMinCompatClient,
  ianaTimeZone,
  osdmapFlagString,
  poolFlagsString,
  printOSDMap,
  unorderedMapOrder,
} from '../../common/osdmap/print.js';
import { osdmaptoolDump } from '../../common/osdmap/dump.js';
import { pgidToString } from '../../common/osdmap/osdmap.js';
import { loadViewMap, viewMaps, viewsDir, wantView } from './view-fixtures.js';

const maps = viewMaps;
const load = loadViewMap;
const want = wantView;

describe('osdmap/print: osdmaptool --print', () => {
  it('has fixtures', () => assert.ok(maps.length >= 20, `${maps.length} maps`));
  for (const name of maps) {
    it(name, () => {
      const m = load(name);
      assert.equal(printOSDMap(m), want(name + '.print.txt'));
      assert.equal(osdmaptoolDump(m, 'plain'), want(name + '.print.txt'));
    });
  }

  it('rich map in America/New_York, as osdmaptool prints with TZ set', () => {
    const tz = ianaTimeZone('America/New_York');
    assert.ok(tz);
    assert.equal(printOSDMap(load('rich'), { tz }), want('rich.print-tz.txt'));
  });
});

describe('osdmap/print: stream forms', () => {
  it('utime_t: relative below ten years, local ISO 8601 above, with a %z offset', () => {
    assert.equal(formatUtime({ sec: 0, nsec: 0 }), '0.000000');
    assert.equal(formatUtime({ sec: 315359999, nsec: 999999999 }), '315359999.999999');
    assert.equal(formatUtime({ sec: 315360000, nsec: 1000 }), '1979-12-30T00:00:00.000001+0000');
    assert.equal(formatUtime({ sec: 1767225600, nsec: 123456789 }, UTC), '2026-01-01T00:00:00.123456+0000');
    assert.equal(formatUtime({ sec: 1767225600, nsec: 0 }, fixedOffsetZone(-5 * 3600)), '2025-12-31T19:00:00.000000-0500');
    assert.equal(formatUtime({ sec: 1767225600, nsec: 0 }, fixedOffsetZone(5 * 3600 + 1800)), '2026-01-01T05:30:00.000000+0530');
    assert.equal(formatUtime({ sec: 0xffffffff, nsec: 0 }), '2106-02-07T06:28:15.000000+0000');
    // leap day
    assert.equal(formatUtime({ sec: 1709164800, nsec: 0 }), '2024-02-29T00:00:00.000000+0000');
  });

  it('inet_ntop(AF_INET6) as glibc: longest zero run, first on ties, embedded IPv4 forms', () => {
    const b = (...w: number[]) => {
      const x = Buffer.alloc(16);
      w.forEach((v, i) => x.writeUInt16BE(v, 2 * i));
      return x;
    };
    assert.equal(formatIpv6(b(0, 0, 0, 0, 0, 0, 0, 0)), '::');
    assert.equal(formatIpv6(b(0, 0, 0, 0, 0, 0, 0, 1)), '::1');
    assert.equal(formatIpv6(b(1, 0, 0, 0, 0, 0, 0, 0)), '1::');
    assert.equal(formatIpv6(b(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1)), '2001:db8::1:0:0:1');
    assert.equal(formatIpv6(b(0x2001, 0xdb8, 0, 1, 1, 1, 1, 1)), '2001:db8:0:1:1:1:1:1');
    assert.equal(formatIpv6(b(0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304)), '::ffff:1.2.3.4');
    assert.equal(formatIpv6(b(0, 0, 0, 0, 0, 0, 0x0102, 0x0304)), '::1.2.3.4');
    assert.equal(formatIpv6(b(0xfe80, 0, 0, 0, 0xabcd, 0, 0, 0)), 'fe80::abcd:0:0:0');
  });

  it('entity_addr_t and entity_addrvec_t forms', () => {
    const sa = Buffer.from([0x1a, 0x90, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]);
    const v2 = { type: 2, nonce: 7, family: 2, sockaddr: sa };
    const v1 = { type: 1, nonce: 7, family: 2, sockaddr: sa };
    const any = { type: 3, nonce: 0, family: 2, sockaddr: sa };
    assert.equal(formatEntityAddr(v2), 'v2:10.0.0.1:6800/7');
    assert.equal(formatEntityAddr(any), '10.0.0.1:6800/0');
    assert.equal(formatEntityAddr({ type: 0, nonce: 0, family: 0, sockaddr: Buffer.alloc(0) }), '-');
    assert.equal(formatEntityAddr({ type: 2, nonce: 1, family: 0, sockaddr: Buffer.alloc(0) }), 'v2:(unrecognized address family 0)/1');
    assert.equal(formatAddrVec([]), '');
    assert.equal(formatAddrVec([v1]), 'v1:10.0.0.1:6800/7');
    assert.equal(formatAddrVec([v2, v1]), '[v2:10.0.0.1:6800/7,v1:10.0.0.1:6800/7]');
  });

  it('pg_t prints its pool as a u64 (osdmaptool --test-map-pg -1.0 shows 18446744073709551615.0)', () => {
    assert.equal(pgidToString({ pool: 3, seed: 0x1f }), '3.1f');
    assert.equal(pgidToString({ pool: -1, seed: 0 }), '18446744073709551615.0');
  });

  it('snap interval sets print in hex, flag strings in Ceph order', () => {
    assert.equal(formatSnapIntervalSet([]), '[]');
    assert.equal(formatSnapIntervalSet([{ start: 1n, len: 26n }, { start: 0xfffffffffffffffen, len: 1n }]), '[1~1a,head~1]');
    assert.equal(osdmapFlagString((1 << 14) | (1 << 9) | 1), 'nobackfill,norebalance');
    assert.equal(poolFlagsString(0), '');
    assert.equal(poolFlagsString((1 << 16) | (1 << 17) | 1), 'hashpspool,???,bulk');
    assert.equal(cephReleaseName(16), 'pacific');
    assert.equal(cephReleaseName(17), 'unknown');
  });

  it('min_compat_client follows the features the map needs', () => {
    const expect: Record<string, string> = {
      'compat-argonaut': 'argonaut',
      'compat-argonaut-tunables': 'argonaut',
      'compat-bobtail': 'dumpling',
      'compat-hashpspool': 'dumpling',
      'compat-firefly': 'firefly',
      'compat-affinity': 'firefly',
      'compat-affinity-default': 'argonaut',
      'compat-cachepool': 'firefly',
      'compat-v3rule': 'firefly',
      'compat-hammer': 'hammer',
      'compat-v5rule': 'jewel',
      'compat-upmap': 'luminous',
      'tree-weightsets': 'luminous',
      'simple-1': 'jewel',
    };
    for (const [name, rel] of Object.entries(expect)) {
      assert.equal(cephReleaseName(getMinCompatClient(load(name))), rel, name);
      assert.ok(want(name + '.print.txt').includes(`\nmin_compat_client ${rel}\n`), name);
    }
  });
});

describe('osdmap/print: unordered_map order', () => {
  it("matches libstdc++'s std::unordered_map for recorded insert sequences (rehashes, shared buckets)", () => {
    const lines = readFileSync(join(viewsDir, 'unordered-order.txt'), 'utf8').trim().split('\n');
    assert.ok(lines.length >= 30);
    for (const line of lines) {
      const [a, b] = line.split('|');
      const hashes = a!.trim().split(' ').map(Number);
      const order = b!.trim().split(' ').map(Number);
      assert.deepEqual(unorderedMapOrder(hashes), order, `${hashes.length} keys`);
    }
  });
});
