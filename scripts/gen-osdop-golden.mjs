// Regenerates test/golden/osdop/: MOSDOp payloads written by Ceph 16.2.15's real `rados` CLI and the
// MOSDOpReply payloads a real ceph-osd answers with, for test/msg/osdop.test.ts (decode each, encode it
// again, require Ceph's bytes). How: a 1-mon 1-osd cluster on loopback (auth none, memstore, ports
// 17700-17719), the OSD on 127.0.0.1:17710. Each `rados` command runs with a small LD_PRELOAD shim
// (scripts/golden-capture.mjs, shared with gen-pg-golden.mjs) that turns its connect() to port 17710
// into a connect() to 17713, where this script relays every byte unchanged to the OSD and reads both directions with tsceph's msgr2 frame
// reader (crc mode, so frames are plaintext). The client still believes it reached 17710, so msgr2's
// address checks pass. The MESSAGE frames of type CEPH_MSG_OSD_OP (42) and CEPH_MSG_OSD_OPREPLY (43) are
// kept: NAME.front.bin (+ NAME.data.bin when the data segment is not empty), headers in manifest.json.
// Then a second OSD joins (ports 17714-17717) and both OSDs run with the shim pointed at each other's
// cluster port, relayed the same way, so a size-2 pool's writes give MOSDRepOp (112) and
// MOSDRepOpReply (113) as one real ceph-osd sends them to another.
// Usage: npm run build && node scripts/gen-osdop-golden.mjs
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildRedirectShim, closeRelays, daemon, redirectEnv, relayTo, requireCeph, ROOT, run, scratchDir, segment, sleep, stop, stopAll,
} from './golden-capture.mjs';

const OUT = join(ROOT, 'test/golden/osdop');
requireCeph('gen-osdop-golden');

const FSID = '5a1e0c3d-7b9f-4a61-9d2e-3c4b5a697801';
const OSD_UUID = '22222222-3333-4444-5555-666666666666';
const OSD1_UUID = '22222222-3333-4444-5555-777777777777';
const MON_PORT = 17700;
const OSD_PORT = 17710; // the real ceph-osd
const OSD_CLUSTER = 17712;
const RELAY_PORT = 17713; // this script
const OSD1_PORT = 17714;
const OSD1_CLUSTER = 17715;
const RELAY_TO_OSD0_CLUSTER = 17716;
const RELAY_TO_OSD1_CLUSTER = 17717;
const tmp = scratchDir('gen-osdop-golden');
mkdirSync(`${tmp}/osd-0`, { recursive: true });
mkdirSync(`${tmp}/osd-1`, { recursive: true });
mkdirSync(OUT, { recursive: true });
for (const f of readdirSync(OUT)) rmSync(join(OUT, f));

const conf = `${tmp}/ceph.conf`;
writeFileSync(conf, ['[global]', `fsid = ${FSID}`, `mon_host = v2:127.0.0.1:${MON_PORT}`, 'ms_bind_msgr1 = false',
  'auth_cluster_required = none', 'auth_service_required = none', 'auth_client_required = none',
  `log_file = ${tmp}/$name.log`, `run_dir = ${tmp}`, `admin_socket = ${tmp}/$name.asok`, `mon_data = ${tmp}/mon-$id`,
  'osd_objectstore = memstore', `osd_data = ${tmp}/osd-$id`, 'memstore_device_bytes = 268435456',
  'osd_pool_default_size = 1', 'osd_pool_default_min_size = 1', 'mon_allow_pool_size_one = true',
  'osd_pool_default_pg_autoscale_mode = off', 'osd_crush_chooseleaf_type = 0',
  '[osd.0]', `public_addr = v2:127.0.0.1:${OSD_PORT}`,
  `cluster_addr = v2:127.0.0.1:${OSD_CLUSTER}`,
  '[osd.1]', `public_addr = v2:127.0.0.1:${OSD1_PORT}`, `cluster_addr = v2:127.0.0.1:${OSD1_CLUSTER}`, ''].join('\n'));

// ---- the relay ------------------------------------------------------------------------------------
let label = 'setup';
const KINDS = { 42: 'MOSDOp', 43: 'MOSDOpReply', 112: 'MOSDRepOp', 113: 'MOSDRepOpReply' };
const manifest = [];
const counts = new Map();
function keepMessage(dir, h, frame) {
  const kind = KINDS[h.type];
  if (!kind || label === 'setup' || label === 'between') return;
  const stem0 = `${label}-${kind}`;
  const n = counts.get(stem0) ?? 0;
  counts.set(stem0, n + 1);
  const name = `${stem0}-${n}`;
  const front = segment(frame, 1);
  const data = segment(frame, 3);
  writeFileSync(join(OUT, `${name}.front.bin`), front);
  if (data.length) writeFileSync(join(OUT, `${name}.data.bin`), data);
  manifest.push({ name, direction: dir, type: h.type, version: h.version, compatVersion: h.compatVersion, tid: h.tid, dataOff: h.dataOff,
    flags: h.flags, frontBytes: front.length, dataBytes: data.length });
}
const LABELS = ['client->osd', 'osd->client'];
await relayTo(RELAY_PORT, OSD_PORT, keepMessage, LABELS);
await relayTo(RELAY_TO_OSD0_CLUSTER, OSD_CLUSTER, keepMessage, LABELS);
await relayTo(RELAY_TO_OSD1_CLUSTER, OSD1_CLUSTER, keepMessage, LABELS);

// ---- the connect() shim: one port redirected to its relay ------------------------------------------
const shim = buildRedirectShim(tmp);
const shimFor = (from, to) => redirectEnv(shim, from, from, to - from);
const shimEnv = shimFor(OSD_PORT, RELAY_PORT);

// ---- the cluster ----------------------------------------------------------------------------------
try {
  run('monmaptool', ['--create', '--fsid', FSID, '--addv', 'a', `v2:127.0.0.1:${MON_PORT}`, `${tmp}/monmap`]);
  run('ceph-mon', ['-c', conf, '--mkfs', '-i', 'a', '--monmap', `${tmp}/monmap`]);
  daemon(['ceph-mon', '-c', conf, '-i', 'a', '-f']);
  await sleep(1500);
  const ceph = (...a) => run('ceph', ['-c', conf, '--connect-timeout', '20', ...a]).toString();
  ceph('osd', 'new', OSD_UUID, '0');
  run('ceph-osd', ['-c', conf, '-i', '0', '--mkfs', '--osd-uuid', OSD_UUID]);
  const osd0 = daemon(['ceph-osd', '-c', conf, '-i', '0', '-f']);
  for (let i = 0; i < 100 && !ceph('osd', 'dump').includes('osd.0 up'); i++) await sleep(300);
  ceph('osd', 'pool', 'create', 'p1', '8', '8');
  await sleep(3000); // no mgr, so no `pg stat`: rados itself waits for the PG to go active

  // Async: the relay lives in this process, so the event loop must run while rados does.
  const rados = async (name, args, mayFail = false, pool = 'p1') => {
    label = name;
    const p = spawn('rados', ['-c', conf, '-p', pool, ...args], { env: shimEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (c) => { err += c; });
    const t = setTimeout(() => p.kill('SIGKILL'), 60000);
    const code = await new Promise((r) => p.once('exit', r));
    clearTimeout(t);
    await sleep(200);
    label = 'between';
    if (code !== 0 && !mayFail) throw new Error(`rados ${args.join(' ')}: exit ${code} ${err}`);
  };
  writeFileSync(`${tmp}/in`, 'hello golden object\n');
  await rados('put', ['put', 'obj1', `${tmp}/in`]);
  await rados('get', ['get', 'obj1', `${tmp}/out`]);
  await rados('stat', ['stat', 'obj1']);
  await rados('append', ['append', 'obj1', `${tmp}/in`]);
  await rados('truncate', ['truncate', 'obj1', '7']);
  await rados('setxattr', ['setxattr', 'obj1', 'user.color', 'blue']);
  await rados('getxattr', ['getxattr', 'obj1', 'user.color']);
  await rados('listxattr', ['listxattr', 'obj1']);
  await rados('setomapval', ['setomapval', 'obj1', 'key1', 'val1']);
  await rados('getomapval', ['getomapval', 'obj1', 'key1']);
  await rados('listomapvals', ['listomapvals', 'obj1']);
  await rados('setomapheader', ['setomapheader', 'obj1', 'hdr']);
  await rados('rmomapkey', ['rmomapkey', 'obj1', 'key1']);
  await rados('create', ['create', 'obj2']);
  await rados('rm', ['rm', 'obj2']);
  await rados('stat-missing', ['stat', 'nosuch'], true); // ENOENT is the point
  await rados('put-ns', ['-N', 'ns1', 'put', 'obj3', `${tmp}/in`]);
  await rados('put-locator', ['--object-locator', 'loc1', 'put', 'obj4', `${tmp}/in`]);
  await sleep(500);

  // Two OSDs, each reaching the other's cluster port through a relay.
  await stop(osd0);
  ceph('osd', 'new', OSD1_UUID, '1');
  run('ceph-osd', ['-c', conf, '-i', '1', '--mkfs', '--osd-uuid', OSD1_UUID]);
  daemon(['ceph-osd', '-c', conf, '-i', '0', '-f'], shimFor(OSD1_CLUSTER, RELAY_TO_OSD1_CLUSTER));
  daemon(['ceph-osd', '-c', conf, '-i', '1', '-f'], shimFor(OSD_CLUSTER, RELAY_TO_OSD0_CLUSTER));
  for (let i = 0; i < 100; i++) {
    const d = ceph('osd', 'dump');
    if (d.includes('osd.0 up') && d.includes('osd.1 up')) break;
    await sleep(300);
  }
  ceph('osd', 'pool', 'create', 'p2', '8', '8');
  ceph('osd', 'pool', 'set', 'p2', 'size', '2');
  await sleep(4000);
  await rados('repop-put', ['put', 'robj1', `${tmp}/in`], false, 'p2');
  await rados('repop-omap', ['setomapval', 'robj1', 'k', 'v'], false, 'p2');
  await rados('repop-rm', ['rm', 'robj1'], false, 'p2');
  await sleep(500);
} finally {
  closeRelays();
  await stopAll();
}
manifest.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
writeFileSync(join(OUT, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
console.log(`gen-osdop-golden: ${manifest.length} messages in ${OUT}`);
rmSync(tmp, { recursive: true, force: true });
