// Regenerates test/golden/pg/: the PG messages real Ceph 16.2.15 OSDs send each other while peering,
// recovering, backfilling and heart-beating, for test/msg/pg-messages.test.ts (decode each payload,
// encode it again, require Ceph's bytes). How: one real ceph-mon (port 18000) and three real ceph-osd
// (memstore, auth none, so msgr2 runs in crc mode and frames are plaintext). Every OSD port (public and
// cluster 18010-18015, heartbeat ones picked from ms_bind_port 18020-18049) is reached by the other
// OSDs through a relay in this script: an LD_PRELOAD shim (scripts/golden-capture.mjs, shared with
// gen-osdop-golden.mjs) adds 50 to any connect() aimed at 18010-18049, and the relay on port+50 copies
// the bytes unchanged to the real port while reading both directions with tsceph's msgr2 frame reader.
// The peers still believe they reached the real port, so msgr2's address checks pass.
// Phases (the file name's prefix): create (a size-3 pool peers), down (osd.2 stops; writes and deletes
// follow), recover (osd.2 returns: log-based recovery, pushes and recovery deletes), pull (osd.0 stops
// and returns: as primary it pulls), missing (recovery slowed, osd.1 marked down while osd.2 still
// misses objects: MOSDPGLog replies with pg_missing_t items), backfill (logs are short, osd.1 misses
// many writes: backfill), out (osd.2 marked out), shrink (pool size 2: clean PGs purge their strays
// on osd.2 with MOSDPGRemove). Up to KEEP_PER_KIND payloads of each message type per phase are kept as
// NAME.front.bin (+ NAME.data.bin, NAME.middle.bin when not empty), with headers in manifest.json.
// Usage: npm run build && node scripts/gen-pg-golden.mjs
import { spawn } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildRedirectShim, closeRelays, daemon, redirectEnv, relayTo, requireCeph, ROOT, run, scratchDir, segment, sleep, stop, stopAll,
} from './golden-capture.mjs';

const OUT = join(ROOT, 'test/golden/pg');
requireCeph('gen-pg-golden');

const FSID = '5a1e0c3d-7b9f-4a61-9d2e-3c4b5a697802';
const UUIDS = ['33333333-3333-4444-5555-000000000000', '33333333-3333-4444-5555-000000000001', '33333333-3333-4444-5555-000000000002'];
const MON_PORT = 18000;
const PORT_LO = 18010;
const PORT_HI = 18049;
const RELAY_OFFSET = 50;
const KEEP_PER_KIND = 6;
const KEEP_PG_LOGS_MISSING_PHASE = 40;
const tmp = scratchDir('gen-pg-golden');
for (let i = 0; i < 3; i++) mkdirSync(`${tmp}/osd-${i}`, { recursive: true });
// written to OUT.new and moved into place at the end, so a failed run leaves the old vectors alone
const NEW = `${OUT}.new`;
rmSync(NEW, { recursive: true, force: true });
mkdirSync(NEW, { recursive: true });

const conf = `${tmp}/ceph.conf`;
writeFileSync(conf, ['[global]', `fsid = ${FSID}`, `mon_host = v2:127.0.0.1:${MON_PORT}`, 'ms_bind_msgr1 = false',
  'auth_cluster_required = none', 'auth_service_required = none', 'auth_client_required = none',
  `log_file = ${tmp}/$name.log`, `run_dir = ${tmp}`, `admin_socket = ${tmp}/$name.asok`, `mon_data = ${tmp}/mon-$id`,
  'osd_objectstore = memstore', `osd_data = ${tmp}/osd-$id`, 'memstore_device_bytes = 268435456',
  'osd_pool_default_size = 3', 'osd_pool_default_min_size = 2', 'mon_allow_pool_size_one = true',
  'osd_pool_default_pg_autoscale_mode = off', 'osd_crush_chooseleaf_type = 0',
  // short logs so that many writes while an OSD is down force a backfill
  'osd_min_pg_log_entries = 10', 'osd_max_pg_log_entries = 10', 'osd_pg_log_trim_min = 1',
  'osd_pg_log_dups_tracked = 20', 'osd_heartbeat_interval = 1',
  `ms_bind_port_min = ${PORT_LO + 10}`, `ms_bind_port_max = ${PORT_HI}`,
  ...[0, 1, 2].flatMap((i) => [`[osd.${i}]`, `public_addr = v2:127.0.0.1:${PORT_LO + 2 * i}`,
    `cluster_addr = v2:127.0.0.1:${PORT_LO + 2 * i + 1}`]), ''].join('\n'));

// ---- the relay ------------------------------------------------------------------------------------
let phase = 'setup';
const KINDS = {
  70: 'MOSDPing', 80: 'MOSDPGNotify', 81: 'MOSDPGQuery', 83: 'MOSDPGLog', 84: 'MOSDPGRemove', 85: 'MOSDPGInfo',
  86: 'MOSDPGTrim', 94: 'MOSDPGScan', 95: 'MOSDPGBackfill', 96: 'MOSDPGBackfillRemove', 99: 'MBackfillReserve',
  105: 'MOSDPGPush', 106: 'MOSDPGPull', 107: 'MOSDPGPushReply', 114: 'MOSDPGUpdateLogMissing',
  115: 'MOSDPGUpdateLogMissingReply', 118: 'MOSDPGRecoveryDelete', 119: 'MOSDPGRecoveryDeleteReply',
  130: 'MOSDPGNotify2', 131: 'MOSDPGQuery2', 132: 'MOSDPGInfo2', 133: 'MOSDPGLease', 134: 'MOSDPGLeaseAck',
  150: 'MRecoveryReserve',
};
const manifest = [];
const counts = new Map();
const seen = new Map();
function keepMessage(conn, h, frame) {
  const kind = KINDS[h.type];
  if (!kind) return;
  seen.set(kind, (seen.get(kind) ?? 0) + 1);
  if (phase === 'setup') return;
  const stem0 = `${phase}-${kind}`;
  const n = counts.get(stem0) ?? 0;
  if (n >= (phase === 'missing' && h.type === 83 ? KEEP_PG_LOGS_MISSING_PHASE : KEEP_PER_KIND)) return;
  counts.set(stem0, n + 1);
  const name = `${stem0}-${n}`;
  const front = segment(frame, 1);
  const middle = segment(frame, 2);
  const data = segment(frame, 3);
  writeFileSync(join(NEW, `${name}.front.bin`), front);
  if (middle.length) writeFileSync(join(NEW, `${name}.middle.bin`), middle);
  if (data.length) writeFileSync(join(NEW, `${name}.data.bin`), data);
  manifest.push({ name, conn, type: h.type, version: h.version, compatVersion: h.compatVersion, tid: h.tid,
    priority: h.priority, dataOff: h.dataOff, flags: h.flags, frontBytes: front.length, middleBytes: middle.length,
    dataBytes: data.length });
}
for (let p = PORT_LO; p <= PORT_HI; p++) await relayTo(p + RELAY_OFFSET, p, keepMessage);

// ---- the connect() shim: every OSD port redirected to its relay --------------------------------------
const shimEnv = redirectEnv(buildRedirectShim(tmp), PORT_LO, PORT_HI, RELAY_OFFSET);

// ---- the cluster ----------------------------------------------------------------------------------
const osds = [];
const startOsd = (i) => { osds[i] = daemon(['ceph-osd', '-c', conf, '-i', String(i), '-f'], shimEnv); };
try {
  run('monmaptool', ['--create', '--fsid', FSID, '--addv', 'a', `v2:127.0.0.1:${MON_PORT}`, `${tmp}/monmap`]);
  run('ceph-mon', ['-c', conf, '--mkfs', '-i', 'a', '--monmap', `${tmp}/monmap`]);
  daemon(['ceph-mon', '-c', conf, '-i', 'a', '-f']);
  await sleep(1500);
  const ceph = (...a) => run('ceph', ['-c', conf, '--connect-timeout', '20', ...a]).toString();
  const upCount = () => (ceph('osd', 'dump').match(/^osd\.\d+ up/gm) ?? []).length;
  const waitUp = async (n) => { for (let i = 0; i < 200 && upCount() !== n; i++) await sleep(300); };
  for (let i = 0; i < 3; i++) {
    ceph('osd', 'new', UUIDS[i], String(i));
    run('ceph-osd', ['-c', conf, '-i', String(i), '--mkfs', '--osd-uuid', UUIDS[i]]);
  }
  for (let i = 0; i < 3; i++) startOsd(i);
  await waitUp(3);
  await sleep(2000);

  const rados = async (args, mayFail = false) => {
    const p = spawn('rados', ['-c', conf, '-p', 'p1', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (c) => { err += c; });
    const t = setTimeout(() => p.kill('SIGKILL'), 60000);
    const code = await new Promise((r) => p.once('exit', r));
    clearTimeout(t);
    if (code !== 0 && !mayFail) throw new Error(`rados ${args.join(' ')}: exit ${code} ${err}`);
  };
  writeFileSync(`${tmp}/in`, 'hello golden pg object\n');
  const putMany = async (prefix, n) => {
    // one rados process per call is slow; `rados bench`-style loops would hide the object names
    for (let i = 0; i < n; i++) await rados(['put', `${prefix}${i}`, `${tmp}/in`]);
  };

  phase = 'create';
  ceph('osd', 'pool', 'create', 'p1', '8', '8');
  await sleep(6000);
  await putMany('a', 12);

  phase = 'down';
  await stop(osds[2]);
  await sleep(4000);
  await putMany('b', 10);
  await rados(['rm', 'a0']);
  await rados(['rm', 'a1']);
  await rados(['setomapval', 'a2', 'k', 'v']);

  phase = 'recover';
  startOsd(2);
  await waitUp(3);
  await sleep(8000);

  phase = 'pull';
  await stop(osds[0]);
  await sleep(4000);
  await putMany('c', 10);
  await rados(['rm', 'a3']);
  startOsd(0);
  await waitUp(3);
  await sleep(8000);

  phase = 'missing';
  // slow recovery down, so that osd.2 still misses objects when a new interval starts: the primary then
  // asks it for its log and missing set, and its MOSDPGLog reply carries pg_missing_t items
  ceph('config', 'set', 'osd', 'osd_recovery_sleep', '5');
  await stop(osds[2]);
  await sleep(4000);
  await putMany('e', 10);
  startOsd(2);
  await waitUp(3);
  await sleep(5000);
  ceph('osd', 'down', '1');
  await sleep(10000);
  ceph('config', 'set', 'osd', 'osd_recovery_sleep', '0');
  await waitUp(3);
  await sleep(15000); // let recovery finish before the next phase takes another OSD away

  phase = 'backfill';
  await stop(osds[1]);
  await sleep(4000);
  await putMany('d', 120);
  startOsd(1);
  await waitUp(3);
  await sleep(12000);

  phase = 'out';
  ceph('osd', 'out', '2');
  await sleep(10000);

  phase = 'shrink';
  // size 2 on the two OSDs left in: the PGs go clean and their primaries purge the strays on osd.2
  ceph('osd', 'pool', 'set', 'p1', 'size', '2');
  await sleep(15000);
  phase = 'done';
} finally {
  closeRelays();
  await stopAll();
}
manifest.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
writeFileSync(join(NEW, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
rmSync(OUT, { recursive: true, force: true });
renameSync(NEW, OUT);
console.log(`gen-pg-golden: ${manifest.length} messages in ${OUT}; seen: ${JSON.stringify(Object.fromEntries(seen))}`);
if (!process.env.KEEP_TMP) rmSync(tmp, { recursive: true, force: true });
