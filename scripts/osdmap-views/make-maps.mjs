// Builds the OSDMaps (and OSDMap::Incrementals, NAME.inc.bin) whose views test/osdmap/{print,dump,tree}.test.ts compare with Ceph's osdmaptool:
// maps osdmaptool --createsimple cannot make (OSDs that exist, addresses of every kind, erasure, cache
// and snapshot pools, every pool option, temps, upmaps, blocklists, flags, device classes, weight
// sets, stretch mode, ...). Each is encoded with tsceph's codec; gen.sh then records what Ceph's
// osdmaptool prints for it. The views are what is tested, not the encoder: osdmaptool decodes the
// bytes itself. Usage: node scripts/osdmap-views/make-maps.mjs OUTDIR   (after npm run build)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileCrushMap } from '../../dist/crush/compiler.js';
import { buildSimple } from '../../dist/common/osdmap/build.js';
import { encodeIncremental, encodeOSDMap } from '../../dist/common/osdmap/encoding.js';
import { encodeCrushMap } from '../../dist/crush/encoding.js';
import { OSDMap, addrKey, makePgPool, newIncremental, newOsdXinfo } from '../../dist/common/osdmap/osdmap.js';

const out = process.argv[2];
if (!out) throw new Error('usage: make-maps.mjs OUTDIR');
mkdirSync(out, { recursive: true });

const T0 = { sec: 1767225600, nsec: 123456789 }; // 2026-01-01T00:00:00.123456

// ---- helpers ------------------------------------------------------------------------------------

function v4(type, ip, port, nonce) {
  const sa = Buffer.alloc(14);
  sa.writeUInt16BE(port, 0);
  ip.split('.').forEach((x, i) => (sa[2 + i] = Number(x)));
  return { type, nonce, family: 2, sockaddr: sa };
}
function v6(type, words, port, nonce) {
  const sa = Buffer.alloc(26);
  sa.writeUInt16BE(port, 0);
  words.forEach((w, i) => sa.writeUInt16BE(w, 6 + 2 * i));
  return { type, nonce, family: 10, sockaddr: sa };
}
const NONE = { type: 0, nonce: 0, family: 0, sockaddr: Buffer.alloc(0) };
function pool(fields) {
  const n = 8;
  return makePgPool({ type: 1, size: 3, minSize: 2, objectHash: 2, pgNum: n, pgpNum: n, pgNumTarget: n, pgpNumTarget: n, pgNumPending: n, flags: 1, pgAutoscaleMode: 1, ...fields });
}
function bloomImpl(fppMicro, targetSize, seed) {
  const b = Buffer.alloc(6 + 20);
  b[0] = 1;
  b[1] = 1;
  b.writeUInt32LE(20, 2);
  b.writeUInt32LE(fppMicro, 6);
  b.writeBigUInt64LE(targetSize, 10);
  b.writeBigUInt64LE(seed, 18);
  return b;
}
function setOsd(m, i, { state = 3, weight = 0x10000, pub = [], clu = [], hbb = [], hbf = [], uuid, info, xinfo } = {}) {
  m.osdState[i] = state;
  m.osdWeight[i] = weight;
  m.clientAddrs[i] = pub;
  m.clusterAddrs[i] = clu;
  m.hbBackAddrs[i] = hbb;
  m.hbFrontAddrs[i] = hbf;
  if (uuid) m.osdUuid[i] = uuid;
  if (info) Object.assign(m.osdInfo[i], info);
  if (xinfo) Object.assign(m.osdXinfo[i], xinfo);
}
function baseMap(crushText, maxOsd) {
  const m = new OSDMap();
  m.fsid = 'b3a1f0e2-4c5d-4e6f-8a9b-0c1d2e3f4a5b';
  m.epoch = 42;
  m.created = { ...T0 };
  m.modified = { sec: T0.sec + 3600, nsec: 5000 };
  m.crush = compileCrushMap(crushText);
  m.setMaxOsd(maxOsd);
  m.fullRatio = 0.95;
  m.backfillfullRatio = 0.9;
  m.nearfullRatio = 0.85;
  m.requireMinCompatClient = 12;
  m.requireOsdRelease = 16;
  m.flags = (1 << 15) | (1 << 19) | (1 << 20) | (1 << 22); // sortbitwise, recovery_deletes, purged_snapdirs, pglog_hardlimit
  m.erasureCodeProfiles.set('default', new Map([['k', '2'], ['m', '1'], ['plugin', 'jerasure'], ['technique', 'reed_sol_van']]));
  return m;
}
function save(name, m) {
  writeFileSync(join(out, name + '.bin'), encodeOSDMap(m));
}

const TUNABLES_JEWEL = `tunable choose_local_tries 0
tunable choose_local_fallback_tries 0
tunable choose_total_tries 50
tunable chooseleaf_descend_once 1
tunable chooseleaf_vary_r 1
tunable chooseleaf_stable 1
tunable straw_calc_version 1
tunable allowed_bucket_algs 54
`;

const CLASSES_CRUSH = `${TUNABLES_JEWEL}
device 0 osd.0 class ssd
device 1 osd.1 class hdd
device 2 osd.2 class hdd
device 3 osd.3 class nvme
device 4 osd.4 class ssd
device 5 osd.5 class hdd
device 6 osd.6
device 7 osd.7 class hdd
device 9 osd.9 class hdd

type 0 osd
type 1 host
type 2 rack
type 11 root

host a {
	id -2
	alg straw2
	hash 0
	item osd.0 weight 1.000
	item osd.1 weight 4.000
	item osd.2 weight 4.000
}
host b {
	id -3
	alg straw2
	hash 0
	item osd.5 weight 4.000
	item osd.3 weight 0.500
	item osd.4 weight 1.000
}
host c {
	id -4
	alg straw
	hash 0
	item osd.7 weight 4.000
	item osd.6 weight 2.000
	item osd.9 weight 0.000
}
host empty {
	id -8
	alg straw2
	hash 0
}
rack ra {
	id -5
	alg straw2
	hash 0
	item b weight 5.500
	item a weight 9.000
}
rack rb {
	id -6
	alg straw2
	hash 0
	item c weight 6.000
	item empty weight 0.000
}
root default {
	id -1
	alg straw2
	hash 0
	item ra weight 14.500
	item rb weight 6.000
}
root other {
	id -7
	alg straw2
	hash 0
	item osd.1 weight 2.500
}

rule replicated_rule {
	id 0
	type replicated
	min_size 1
	max_size 10
	step take default
	step chooseleaf firstn 0 type host
	step emit
}
rule ssd_rule {
	id 1
	type replicated
	min_size 1
	max_size 10
	step take default class ssd
	step chooseleaf firstn 0 type host
	step emit
}
rule ec_rule {
	id 2
	type erasure
	min_size 3
	max_size 3
	step set_chooseleaf_tries 5
	step set_choose_tries 100
	step take default class hdd
	step chooseleaf indep 0 type osd
	step emit
}
`;

// ---- 1. rich: every section of the dump and the print ---------------------------------------------
{
  const m = baseMap(CLASSES_CRUSH, 12);
  const u = (i) => `${String(i).padStart(8, "0")}-1111-2222-3333-44445555666${i % 10}`;
  setOsd(m, 0, {
    pub: [v4(2, '10.0.0.1', 6800, 1001), v4(1, '10.0.0.1', 6801, 1001)],
    clu: [v4(2, '192.168.0.1', 6802, 1001), v4(1, '192.168.0.1', 6803, 1001)],
    hbb: [v4(2, '192.168.0.1', 6806, 1001), v4(1, '192.168.0.1', 6807, 1001)],
    hbf: [v4(2, '10.0.0.1', 6804, 1001), v4(1, '10.0.0.1', 6805, 1001)],
    uuid: u(0),
    info: { lastCleanBegin: 3, lastCleanEnd: 17, upFrom: 20, upThru: 40, downAt: 19 },
    xinfo: { downStamp: { sec: T0.sec + 60, nsec: 999999999 }, laggyProbability: 0.5, laggyInterval: 17, features: 0x3f01cfbffffdffffn, oldWeight: 0x8000, lastPurgedSnapsScrub: { sec: T0.sec + 120, nsec: 0 }, deadEpoch: 3 },
  });
  setOsd(m, 1, {
    weight: 0x8000,
    pub: [v6(2, [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1], 6800, 7), v6(1, [0x2001, 0xdb8, 0, 0, 0, 0, 0, 1], 6801, 7)],
    clu: [v6(2, [0xfe80, 0, 0, 0, 0x211, 0x22ff, 0xfe33, 0x4455], 6802, 7)],
    hbb: [v6(2, [0, 0, 0, 0, 0, 0, 0, 1], 6803, 7)],
    hbf: [v6(1, [0, 0, 0, 0, 0, 0xffff, 0x0a00, 0x0001], 6804, 7)],
    uuid: u(1),
    info: { lastCleanBegin: 5, lastCleanEnd: 6, upFrom: 7, upThru: 8, downAt: 6, lostAt: 30 },
    xinfo: { laggyProbability: 0.7, laggyInterval: 4, features: 0xffffffffffffffffn, oldWeight: 0 },
  });
  setOsd(m, 2, { state: 1 | 8, weight: 0, uuid: u(2), info: { downAt: 12 } }); // exists, new, out, down
  setOsd(m, 3, {
    state: 1 | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11), // destroyed + noup/nodown/noin/noout
    weight: 0x10000,
    pub: [v4(3, '10.0.0.4', 0, 0)],
    clu: [NONE],
  });
  setOsd(m, 4, { state: 3 | 4 | 16 | 32 | 64 | (1 << 12) | (1 << 20), weight: 0x4000, pub: [v4(1, '10.0.0.5', 6789, 0)] });
  setOsd(m, 5, { state: 3, weight: 0xffff, pub: [v4(2, '10.0.0.6', 3300, 4294967295)], uuid: 'ffffffff-ffff-ffff-ffff-ffffffffffff' });
  setOsd(m, 6, { state: 1, weight: 1, pub: [{ type: 2, nonce: 5, family: 7, sockaddr: Buffer.from('0102030405', 'hex') }] });
  setOsd(m, 10, { state: 3, weight: 0x10000, uuid: u(10) }); // stray: exists, not in CRUSH
  // osd 7 and 9 are in CRUSH but do not exist (DNE); osd 8 and 11 are empty slots
  m.setPrimaryAffinity(0, 0x8000);
  m.setPrimaryAffinity(1, 0);
  m.setPrimaryAffinity(5, 12345);
  m.lastUpChange = { sec: T0.sec + 10, nsec: 1000 };
  m.lastInChange = { sec: 5, nsec: 7000 };
  m.crushVersion = 9;
  m.clusterSnapshotEpoch = 42; // shown only in the epoch it was taken
  m.clusterSnapshot = 'snap-1';

  // pools
  const snaps = new Map([
    [1n, { snapid: 1n, stamp: { sec: T0.sec + 7, nsec: 250000 }, name: 'first' }],
    [26n, { snapid: 26n, stamp: { sec: 99, nsec: 0 }, name: 'a b\tc' }],
    [27n, { snapid: 27n, stamp: { sec: 1782864000, nsec: 0 }, name: 'summer' }], // daylight saving time in New York
  ]);
  m.pools.set(1, pool({
    pgNum: 12, pgpNum: 10, pgNumTarget: 16, pgpNumTarget: 16, pgNumPending: 11, pgAutoscaleMode: 2, lastChange: 41,
    flags: 1 | (1 << 4) | (1 << 14) | (1 << 9), snapSeq: 26n, snapEpoch: 40, snaps,
    removedSnaps: [{ start: 2n, len: 3n }, { start: 10n, len: 16n }],
    auid: 77n, quotaMaxBytes: 1099511627776n, quotaMaxObjects: 1000000n, lastForceOpResend: 33, lastForceOpResendPrenautilus: 32,
    lastForceOpResendPreluminous: 31, expectedNumObjects: 5000n, fastRead: true, createTime: { sec: T0.sec + 1, nsec: 999000 },
    applicationMetadata: new Map([['rbd', new Map()], ['cephfs', new Map([['data', 'fs1'], ['metadata', 'fs1']])]]),
    lastPgMergeMeta: { sourcePgid: { pool: 1, seed: 11 }, readyEpoch: 30, lastEpochStarted: 28, lastEpochClean: 27, sourceVersion: { epoch: 25, version: 1234n }, targetVersion: { epoch: 26, version: 98765432109n } },
    opts: new Map([
      [0, { type: 'double', value: 3600 }], [1, { type: 'double', value: 604800.5 }], [2, { type: 'double', value: 0.1 }],
      [3, { type: 'int', value: 5 }], [4, { type: 'int', value: -3 }], [5, { type: 'int', value: 1 }],
      [6, { type: 'str', value: 'aggressive' }], [7, { type: 'str', value: 'zstd' }], [8, { type: 'double', value: 0.875 }],
      [9, { type: 'int', value: 4194304 }], [10, { type: 'int', value: 65536 }], [11, { type: 'int', value: 2 }],
      [12, { type: 'int', value: 1048576 }], [13, { type: 'int', value: 4096 }], [14, { type: 'str', value: 'sha256' }],
      [15, { type: 'int', value: 16 }], [16, { type: 'int', value: 1000000000000 }], [17, { type: 'double', value: 0.2 }],
      [18, { type: 'double', value: 4 }], [19, { type: 'double', value: 2.5e-7 }], [20, { type: 'int', value: 3 }],
      [21, { type: 'str', value: 'fastcdc' }], [22, { type: 'int', value: 8192 }], [23, { type: 'int', value: 256 }],
      [24, { type: 'int', value: 50 }], [30, { type: 'str', value: 'unknown-key' }],
    ]),
  }));
  m.pools.set(2, pool({
    type: 3, size: 3, minSize: 2, crushRule: 2, erasureCodeProfile: 'default', stripeWidth: 8192, pgNum: 4, pgpNum: 4,
    pgNumTarget: 4, pgpNumTarget: 4, pgNumPending: 4, flags: 1 | 4 | (1 << 13), snapSeq: 5n, snapEpoch: 12,
    removedSnaps: [{ start: 1n, len: 1n }], pgAutoscaleMode: 0,
    applicationMetadata: new Map([['rgw', new Map()]]), createTime: { sec: 1, nsec: 0 },
  }));
  m.pools.set(5, pool({
    tiers: [7n, 6n], readTier: 6, writeTier: 6, flags: 1 | 8, pgAutoscaleMode: 0xff,
    lastChange: 9, cacheMode: 0,
  }));
  m.pools.set(6, pool({
    tierOf: 5, cacheMode: 1, targetMaxBytes: 10737418240n, targetMaxObjects: 100000n, cacheTargetDirtyRatioMicro: 400000,
    cacheTargetDirtyHighRatioMicro: 600000, cacheTargetFullRatioMicro: 800000, cacheMinFlushAge: 600, cacheMinEvictAge: 1800,
    hitSetParams: { type: 3, impl: bloomImpl(50000, 1000n, 12345n) }, hitSetPeriod: 3600, hitSetCount: 4,
    hitSetGradeDecayRate: 20, hitSetSearchLastN: 2, minReadRecencyForPromote: 1, minWriteRecencyForPromote: -1,
    useGmtHitset: false, flags: 1 | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 10) | (1 << 11) | (1 << 12) | (1 << 15) | (1 << 16),
  }));
  m.pools.set(7, pool({ tierOf: 5, cacheMode: 5, hitSetParams: { type: 1, impl: Buffer.alloc(0) }, hitSetCount: 2, hitSetPeriod: 10, hitSetGradeDecayRate: 50, flags: 0, objectHash: 1 }));
  m.pools.set(8, pool({ cacheMode: 6, hitSetParams: { type: 2, impl: Buffer.alloc(0) }, hitSetCount: 1, flags: (1 << 17) | (1 << 18) | (1 << 21) | 2, objectHash: 7, type: 9, pgAutoscaleMode: 7 }));
  m.pools.set(9, pool({
    peeringCrushBucketCount: 3, peeringCrushBucketTarget: 2, peeringCrushBucketBarrier: 1, peeringCrushMandatoryMember: -2,
    cacheMode: 2,
  }));
  m.pools.set(10, pool({ cacheMode: 3 }));
  m.pools.set(11, pool({ cacheMode: 4 }));
  m.poolName.set(1, 'rbd');
  m.poolName.set(2, 'ec.data');
  m.poolName.set(5, 'base');
  m.poolName.set(6, 'hot');
  m.poolName.set(7, 'cold');
  m.poolName.set(8, "we'ird \"name\"");
  m.poolName.set(9, 'stretchy');
  m.poolName.set(10, 'ro');
  m.poolName.set(11, 'rf');
  m.poolMax = 12;
  m.erasureCodeProfiles.set('ec21', new Map([['k', '2'], ['m', '1'], ['crush-failure-domain', 'osd'], ['plugin', 'isa']]));
  m.erasureCodeProfiles.set('empty', new Map());

  m.pgTemp.set(1, 3, [1, 0, 5]);
  m.pgTemp.set(1, 0, [5, 0]);
  m.pgTemp.set(2, 1, [0, 0x7fffffff, 5]);
  m.primaryTemp.set(1, 3, 5);
  m.primaryTemp.set(2, 0, 0);
  m.pgUpmap.set(1, 7, [0, 1, 5]);
  m.pgUpmap.set(1, 0xb, [5, 4]);
  m.pgUpmapItems.set(1, 2, [[0, 1]]);
  m.pgUpmapItems.set(2, 3, [[0, 4], [5, 1]]);
  for (const [a, until] of [
    [v4(3, '10.0.0.9', 0, 3271), { sec: T0.sec + 3600, nsec: 42000 }],
    [v4(3, '10.0.0.8', 0, 0), { sec: T0.sec + 7200, nsec: 0 }],
    [v4(1, '10.0.0.10', 6800, 12), { sec: 12, nsec: 0 }],
    [v6(3, [0x2001, 0xdb8, 0, 0, 1, 0, 0, 1], 0, 99), { sec: T0.sec, nsec: 0 }],
  ]) m.blocklist.set(addrKey(a), { addr: a, until });
  for (const [a, until] of [
    [v4(4, '10.1.0.0', 0, 16), { sec: T0.sec + 86400, nsec: 0 }],
    [v4(4, '10.2.3.0', 0, 24), { sec: T0.sec + 86400, nsec: 500 }],
  ]) m.rangeBlocklist.set(addrKey(a), { addr: a, until });

  m.removedSnapsQueue.set(1, [{ start: 3n, len: 2n }, { start: 255n, len: 1n }]);
  m.removedSnapsQueue.set(2, []);
  m.newRemovedSnaps.set(1, [{ start: 3n, len: 1n }]);
  m.newPurgedSnaps.set(2, [{ start: 1n, len: 1n }, { start: 4096n, len: 4096n }]);
  m.crushNodeFlags.set(-2, (1 << 8) | (1 << 11));
  m.crushNodeFlags.set(-99, 1 << 9);
  m.deviceClassFlags.set(0, 1 << 10);
  m.deviceClassFlags.set(42, (1 << 8) | (1 << 9));
  m.stretchModeEnabled = true;
  m.stretchBucketCount = 2;
  m.degradedStretchMode = 1;
  m.recoveringStretchMode = 0;
  m.stretchModeBucket = 3;
  save('rich', m);

  // the same map with every osdmap flag bit set (unnamed bits give "" in flags_set), no stretch mode
  m.flags = 0xffffffff | 0;
  m.stretchModeEnabled = false;
  m.requireMinCompatClient = 0;
  m.requireOsdRelease = 0;
  m.clusterSnapshotEpoch = 41; // not this epoch's: hidden
  m.rangeBlocklist.clear();
  save('allflags', m);
}

// ---- 2. min_compat_client and tree variations --------------------------------------------------------
function simple(opts) {
  return buildSimple({ epoch: 1, fsid: '12345678-9abc-def0-1234-56789abcdef0', numOsd: 6, defaultPool: true, pgBits: 3, pgpBits: 3, now: T0, ...opts });
}
function allUp(m, n = m.maxOsd) {
  for (let i = 0; i < n; i++) setOsd(m, i, { pub: [v4(2, `127.0.0.1`, 6800 + i, 100 + i), v4(1, '127.0.0.1', 6900 + i, 100 + i)] });
}
{
  const legacy = `tunable choose_local_tries 2
tunable choose_local_fallback_tries 5
tunable choose_total_tries 19
tunable chooseleaf_descend_once 0
tunable chooseleaf_vary_r 0
tunable chooseleaf_stable 0
tunable straw_calc_version 0
tunable allowed_bucket_algs 22
device 0 osd.0
device 1 osd.1
device 2 osd.2
type 0 osd
type 1 host
type 11 root
host h {
	id -2
	alg straw
	hash 0
	item osd.0 weight 1.000
	item osd.1 weight 1.000
	item osd.2 weight 1.000
}
root default {
	id -1
	alg straw
	hash 0
	item h weight 3.000
}
rule replicated_rule {
	id 0
	type replicated
	min_size 1
	max_size 10
	step take default
	step chooseleaf firstn 0 type host
	step emit
}
`;
  const variants = {
    'compat-argonaut': (t) => t,
    'compat-argonaut-tunables': (t) => t.replace('choose_total_tries 19', 'choose_total_tries 50'),
    'compat-bobtail': (t) => t.replace('chooseleaf_descend_once 0', 'chooseleaf_descend_once 1'),
    'compat-firefly': (t) => t.replace('chooseleaf_vary_r 0', 'chooseleaf_vary_r 1'),
    'compat-hammer': (t) => t.replace(/alg straw\n/g, 'alg straw2\n'),
    'compat-v2rule': (t) => t.replace('step take default', 'step set_choose_tries 100\n\tstep take default'),
    'compat-v3rule': (t) => t.replace('step take default', 'step set_chooseleaf_vary_r 1\n\tstep take default'),
    'compat-v5rule': (t) => t.replace('step take default', 'step set_chooseleaf_stable 1\n\tstep take default'),
  };
  for (const [name, edit] of Object.entries(variants)) {
    const m = baseMap(edit(legacy), 3);
    m.requireMinCompatClient = 0;
    m.requireOsdRelease = 0;
    allUp(m);
    m.pools.set(1, pool({ flags: 0, crushRule: 0 }));
    m.poolName.set(1, 'p');
    m.poolMax = 1;
    save(name, m);
  }
  const extra = {
    'compat-hashpspool': (m) => m.pools.get(1).flags = 1,
    'compat-affinity': (m) => m.setPrimaryAffinity(1, 0x8000),
    'compat-affinity-default': (m) => m.setPrimaryAffinity(1, 0x10000),
    'compat-cachepool': (m) => (m.pools.get(1).tierOf = 9),
    'compat-upmap': (m) => m.pgUpmapItems.set(1, 0, [[0, 1]]),
    'compat-upmap-nautilus': (m) => {
      m.pgUpmap.set(1, 0, [2, 1, 0]);
      m.requireMinCompatClient = 14;
      m.requireOsdRelease = 14;
    },
  };
  for (const [name, edit] of Object.entries(extra)) {
    const m = baseMap(legacy, 3);
    m.requireMinCompatClient = 0;
    m.requireOsdRelease = 0;
    allUp(m);
    m.pools.set(1, pool({ flags: 0, crushRule: 0 }));
    m.poolName.set(1, 'p');
    m.poolMax = 1;
    edit(m);
    save(name, m);
  }
}

// ---- 3. trees: weight sets named by pool, compat set, filters of state ---------------------------------
{
  const ws = CLASSES_CRUSH.replace('root other {', 'root other {').concat(`
choose_args 1 {
  {
    bucket_id -1
    weight_set [
      [ 2.000 1.000 ]
      [ 1.500 1.250 ]
    ]
  }
  {
    bucket_id -2
    weight_set [
      [ 0.500 0.750 0.125 ]
    ]
  }
}
choose_args 3 {
  {
    bucket_id -3
    weight_set [
      [ 0.123 0.456 0.789 ]
    ]
  }
}
`);
  const m = baseMap(ws, 10);
  m.requireMinCompatClient = 0;
  allUp(m, 6);
  setOsd(m, 2, { state: 1 | (1 << 7), weight: 0 });
  setOsd(m, 6, { state: 1, weight: 0x3000 });
  setOsd(m, 8, { state: 3, weight: 0x10000 }); // stray
  m.setPrimaryAffinity(4, 0x1234);
  m.pools.set(1, pool({ crushRule: 0 }));
  m.poolName.set(1, 'weighted');
  m.poolMax = 2;
  // text cannot name the compat set (-1): move set 3 there
  const args = m.crush.names.chooseArgs;
  args.set(-1, args.get(3));
  args.delete(3);
  save('tree-weightsets', m);
}
{
  // the createsimple layout with OSDs up and in (what --mark-up-in shows, but persisted)
  const m = simple({ numOsd: 5 });
  allUp(m);
  m.epoch = 2;
  save('simple-up', m);
}
{
  // a blocklist big enough to rehash and share buckets: Ceph keeps it in an unordered_map
  const m = simple({ numOsd: 3 });
  allUp(m);
  for (let i = 0; i < 45; i++) {
    const a = i % 5 === 4
      ? v6(3, [0x2001, 0xdb8, 0, i, 0, 0, 0, i * 7], 0, i * 1000)
      : v4(i % 7 === 0 ? 1 : 3, `10.${i % 3}.${i}.${(i * 37) % 256}`, i % 4 ? 0 : 6800 + i, i * 7919);
    m.blocklist.set(addrKey(a), { addr: a, until: { sec: T0.sec + i * 60, nsec: i * 1000 } });
  }
  save('blocklist-many', m);
}

// ---- 4. incrementals (their dump is checked against libceph-common's own, via inc-dump.cc) --------
function saveInc(name, inc) {
  writeFileSync(join(out, name + '.inc.bin'), encodeIncremental(inc));
}
{
  const inc = newIncremental(43);
  inc.fsid = 'b3a1f0e2-4c5d-4e6f-8a9b-0c1d2e3f4a5b';
  saveInc('empty', inc);
}
{
  const inc = newIncremental(43);
  inc.fsid = 'b3a1f0e2-4c5d-4e6f-8a9b-0c1d2e3f4a5b';
  inc.modified = { sec: T0.sec + 5, nsec: 1234567 };
  inc.newLastUpChange = { sec: T0.sec + 4, nsec: 0 };
  inc.newLastInChange = { sec: 3, nsec: 3000 };
  inc.newPoolMax = 12;
  inc.newFlags = (1 << 15) | (1 << 5) | 1;
  inc.newFullRatio = 0.97;
  inc.newNearfullRatio = 0.8;
  inc.newBackfillfullRatio = 0.925;
  inc.newRequireMinCompatClient = 12;
  inc.newRequireOsdRelease = 16;
  inc.newMaxOsd = 9;
  inc.newPools.set(3, pool({ flags: 1 | (1 << 13), snapSeq: 4n, removedSnaps: [{ start: 1n, len: 3n }], applicationMetadata: new Map([['rbd', new Map([['k', 'v']])]]) }));
  inc.newPools.set(2, pool({ type: 3, erasureCodeProfile: 'default', stripeWidth: 4096 }));
  inc.newPoolNames.set(3, 'three');
  inc.newPoolNames.set(2, 'two');
  inc.oldPools.push(5, 4);
  inc.newUpClient.set(1, [v4(2, '10.0.0.2', 6800, 99), v4(1, '10.0.0.2', 6801, 99)]);
  inc.newUpClient.set(0, [v4(2, '10.0.0.1', 6800, 98)]);
  inc.newUpCluster.set(1, [v6(2, [0xfd00, 0, 0, 0, 0, 0, 0, 2], 6802, 99), v6(1, [0xfd00, 0, 0, 0, 0, 0, 0, 2], 6803, 99)]);
  inc.newHbBackUp.set(1, [v4(2, '192.168.1.2', 6804, 99)]);
  inc.newHbFrontUp.set(0, [v4(2, '10.0.0.1', 6805, 98)]);
  inc.newState.set(2, 2);
  inc.newState.set(0, 3 | 8);
  inc.newState.set(3, 1 << 7);
  inc.newWeight.set(1, 0x10000);
  inc.newWeight.set(2, 0);
  inc.newPgTemp.set(1, 4, [2, 0]);
  inc.newPgTemp.set(1, 1, []);
  inc.newPrimaryTemp.set(1, 4, 2);
  inc.newPrimaryTemp.set(2, 0, -1);
  inc.newPrimaryAffinity.set(1, 0x8000);
  inc.newUpThru.set(1, 42);
  inc.newLastCleanInterval.set(0, [10, 20]);
  inc.newLost.set(4, 40);
  inc.newUuid.set(1, '01234567-89ab-cdef-0123-456789abcdef');
  inc.newXinfo.set(1, { ...newOsdXinfo(), laggyProbability: 0.25, laggyInterval: 9, features: 0x3f01cfbffffdffffn, oldWeight: 0x10000 });
  for (const [a, until] of [
    [v4(3, '10.0.0.9', 0, 3271), { sec: T0.sec + 3600, nsec: 0 }],
    [v4(3, '10.0.0.7', 0, 1), { sec: T0.sec + 60, nsec: 0 }],
  ]) inc.newBlocklist.set(addrKey(a), { addr: a, until });
  inc.oldBlocklist.push(v4(3, '10.0.0.3', 0, 5), v4(1, '10.0.0.2', 0, 4));
  const r = v4(4, '10.9.0.0', 0, 16);
  inc.newRangeBlocklist.set(addrKey(r), { addr: r, until: { sec: T0.sec, nsec: 0 } });
  inc.oldRangeBlocklist.push(v4(4, '10.8.0.0', 0, 16));
  inc.newPgUpmap.set(1, 3, [0, 1]);
  inc.oldPgUpmap.push({ pool: 1, seed: 5 }, { pool: 1, seed: 2 });
  inc.newPgUpmapItems.set(1, 6, [[0, 2], [1, 3]]);
  inc.oldPgUpmapItems.push({ pool: 2, seed: 0 });
  inc.newRemovedSnaps.set(3, [{ start: 5n, len: 2n }]);
  inc.newPurgedSnaps.set(3, [{ start: 1n, len: 1n }]);
  inc.newErasureCodeProfiles.set('ec42', new Map([['k', '4'], ['m', '2']]));
  inc.oldErasureCodeProfiles.push('old1', 'old0');
  inc.newCrushNodeFlags.set(-3, (1 << 8) | (1 << 9));
  inc.newDeviceClassFlags.set(1, 1 << 11);
  inc.clusterSnapshot = 'snappy';
  inc.changeStretchMode = true;
  inc.stretchModeEnabled = true;
  inc.newStretchBucketCount = 2;
  inc.newDegradedStretchMode = 1;
  inc.newRecoveringStretchMode = 1;
  inc.newStretchModeBucket = 3;
  saveInc('changes', inc);

  // with a whole map and a CRUSH map inside
  const full = newIncremental(2);
  full.fsid = '12345678-9abc-def0-1234-56789abcdef0';
  const m = simple({ numOsd: 2 });
  allUp(m);
  full.fullmap = encodeOSDMap(m);
  full.crush = encodeCrushMap(compileCrushMap(CLASSES_CRUSH));
  saveInc('fullmap', full);
}
