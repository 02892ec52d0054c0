// Regenerates test/golden/msg/: message payloads (the front segment, as received) written by REAL Ceph
// 16.2.15 daemons, for test/msg/messages.test.ts, which decodes each with its class and checks that
// encoding it again gives Ceph's bytes. Three captures, all on loopback with auth none, through
// tsceph's messenger (needs `npm run build` first):
//   1. client -> ceph-mon: what a monitor sends a client (MMonMap, MConfig, MOSDMap, MMonGetVersionReply,
//      MMonCommandAck) after MMonGetMap, MMonSubscribe, MMonGetVersion and MMonCommand;
//   2. ceph-osd -> a fake monitor: what an OSD sends (MMonGetMap, MMonSubscribe, MMonCommand,
//      MMonGetVersion, MOSDBoot) while it makes its store (memstore) and boots;
//   3. ceph-mon -> a fake peer monitor (rank 1 of 2): MMonProbe, MMonElection and MMonPaxos, as the real
//      monitor probes, wins the election and runs Paxos with the fake peer.
// Each kept payload is CLASS-vVERSION[-opOP].bin with its header type and version in manifest.json (the
// first of each class, version and op; MOSDMap full / incremental and each command reply apart). Usage: npm run build && node scripts/gen-msg-golden.mjs
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(new URL('.', import.meta.url).pathname, '..');
const OUT = join(ROOT, 'test/golden/msg');
const dist = (p) => join(ROOT, 'dist', p);
const { createMessenger, addrFromHostPort, Policies, EntityType, EntityAddrType } = await import(dist('msg/index.js'));
const { AuthNoneClient } = await import(dist('msg/core/protocol.js'));
const M = await import(dist('msg/messages/index.js'));
const { addMon, encodeMonMap, newMonMap, parseAddrVec } = await import(dist('common/monmap/index.js'));
const { decodeOSDMap, encodeOSDMap } = await import(dist('common/osdmap/index.js'));

const want = '16.2.15';
const v = spawnSync('ceph', ['--version'], { encoding: 'utf8' }).stdout.split(' ')[2];
if (v !== want) {
  console.error(`gen-msg-golden: ceph is ${v}, need ${want}; refusing`);
  process.exit(2);
}

const FSID = '0b6bd5a4-61f4-4e57-8a0c-2f0a9d4e8c11';
const OSD_UUID = '11111111-2222-3333-4444-555555555555';
const tmp = `/tmp/gen-msg-golden.${process.pid}`;
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
mkdirSync(OUT, { recursive: true });
for (const f of readdirSync(OUT)) rmSync(join(OUT, f));

const manifest = [];
const keys = new Set();
function keep(source, m) {
  const op = typeof m.op === 'number' ? m.op : -1;
  let key = `${m.constructor.name}-v${m.header.version}${op >= 0 ? `-op${op}` : ''}`;
  if (m instanceof M.MOSDMap) key += m.incrementalMaps.size ? '-inc' : '-full';
  if (m instanceof M.MMonCommandAck) key += `-tid${m.header.tid}`;
  if (keys.has(key)) return;
  keys.add(key);
  const file = `${key}.bin`;
  writeFileSync(join(OUT, file), Buffer.concat(m.front));
  manifest.push({ file, type: m.header.type, version: m.header.version, compatVersion: m.header.compatVersion, typeName: m.typeName(), source, dataBytes: m.data.reduce((n, b) => n + b.length, 0) });
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const confLines = (monHost, extra = []) => ['[global]', `fsid = ${FSID}`, `mon_host = ${monHost}`, 'auth_cluster_required = none', 'auth_service_required = none',
  'auth_client_required = none', `log_file = ${tmp}/$name.log`, `run_dir = ${tmp}`, `admin_socket = ${tmp}/$name.asok`, ...extra, ''].join('\n');
async function stop(p) {
  if (p.exitCode !== null) return;
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), 5000);
  await new Promise((r) => p.once('exit', r));
  clearTimeout(t);
}

// ---- 1. a client of a real ceph-mon --------------------------------------------------------------
{
  const port = 17170;
  const conf = `${tmp}/c1.conf`;
  writeFileSync(conf, confLines(`v2:127.0.0.1:${port}`, [`mon_data = ${tmp}/c1-mon-$id`]));
  spawnSync('monmaptool', ['--create', '--fsid', FSID, '--addv', 'a', `v2:127.0.0.1:${port}`, `${tmp}/c1-monmap`]);
  spawnSync('ceph-mon', ['-c', conf, '--mkfs', '-i', 'a', '--monmap', `${tmp}/c1-monmap`]);
  const mon = spawn('ceph-mon', ['-c', conf, '-i', 'a', '-f'], { stdio: 'ignore' });
  await sleep(2000);
  const msgr = createMessenger({ entity: { type: EntityType.CLIENT, num: -1 }, nonce: 0x6d7367, authClient: new AuthNoneClient({ type: EntityType.CLIENT, id: 'admin' }) });
  msgr.addDispatcher({ dispatch(_c, m) { keep('ceph-mon to a client', m); } });
  msgr.start();
  const conn = msgr.connectTo(EntityType.MON, [addrFromHostPort(EntityAddrType.MSGR2, 0, '127.0.0.1', port)]);
  conn.send(new M.MMonGetMap());
  conn.send(new M.MMonSubscribe().add('monmap', 0).add('config', 0).add('osdmap', 0));
  conn.send(new M.MMonGetVersion('osdmap', 1));
  const cmd = new M.MMonCommand(FSID, [JSON.stringify({ prefix: 'osd pool create', pool: 'p1', pg_num: 8 })]);
  cmd.header.tid = 1;
  conn.send(cmd);
  await sleep(3000);
  const bad = new M.MMonCommand(FSID, [JSON.stringify({ prefix: 'osd pool get', pool: 'nope', var: 'size' })]);
  bad.header.tid = 2;
  conn.send(bad);
  await sleep(1000);
  await msgr.shutdown();
  await stop(mon);
}

// ---- 2. a real ceph-osd talking to a fake monitor ------------------------------------------------
{
  const port = 17172;
  const conf = `${tmp}/c2.conf`;
  writeFileSync(conf, confLines(`v2:127.0.0.1:${port}`, ['osd_objectstore = memstore', `osd_data = ${tmp}/osd-data`]));
  mkdirSync(`${tmp}/osd-data`, { recursive: true });
  const mm = newMonMap({ fsid: FSID, created: { sec: 1700000000, nsec: 0 }, epoch: 1, enableAllFeatures: true, minMonRelease: 16 });
  addMon(mm, 'a', parseAddrVec(`v2:127.0.0.1:${port}`));
  const monmapBl = encodeMonMap(mm);
  spawnSync('osdmaptool', ['--createsimple', '1', '--clobber', `${tmp}/osdmap`]);
  const om = decodeOSDMap(readFileSync(`${tmp}/osdmap`));
  om.fsid = FSID;
  om.osdState[0] = 1; // exists
  om.osdUuid[0] = OSD_UUID;
  om.requireOsdRelease = 16;
  om.flags |= (1 << 15) | (1 << 19) | (1 << 20) | (1 << 22); // sortbitwise, recovery_deletes, purged_snapdirs, pglog_hardlimit
  om.fullRatio = 0.95;
  om.backfillfullRatio = 0.9;
  om.nearfullRatio = 0.85;
  const omBl = encodeOSDMap(om);
  const msgr = createMessenger({ entity: { type: EntityType.MON, num: 0 }, nonce: 0, authClient: new AuthNoneClient({ type: EntityType.MON, id: 'a' }) });
  msgr.addDispatcher({
    dispatch(conn, m) {
      keep('ceph-osd to a monitor', m);
      if (m instanceof M.MMonGetMap) conn.send(new M.MMonMap(monmapBl));
      else if (m instanceof M.MMonSubscribe) {
        if (m.what.has('monmap')) conn.send(new M.MMonMap(monmapBl));
        if (m.what.has('config')) conn.send(new M.MConfig(new Map()));
        if (m.what.has('osdmap')) {
          const x = new M.MOSDMap(FSID);
          x.maps.set(1, omBl);
          x.oldest = 1;
          x.newest = 1;
          conn.send(x);
        }
      } else if (m instanceof M.MMonGetVersion) conn.send(new M.MMonGetVersionReply(m.handle, 1, 1));
      else if (m instanceof M.MMonCommand) {
        const ack = new M.MMonCommandAck(m.cmd, 0, '', Buffer.alloc(0));
        ack.header.tid = m.header.tid;
        conn.send(ack);
      }
    },
  });
  await msgr.bind('127.0.0.1', port);
  msgr.start();
  const mkfs = spawn('ceph-osd', ['-c', conf, '-i', '0', '-f', '--mkfs', '--osd-uuid', OSD_UUID], { stdio: 'ignore' });
  await new Promise((r) => mkfs.once('exit', r));
  const osd = spawn('ceph-osd', ['-c', conf, '-i', '0', '-f'], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !keys.has('MOSDBoot-v7'); i++) await sleep(100);
  await stop(osd);
  await msgr.shutdown();
}

// ---- 3. a real ceph-mon with a fake peer monitor -------------------------------------------------
{
  const pa = 17174;
  const pb = 17175;
  const conf = `${tmp}/c3.conf`;
  writeFileSync(conf, confLines(`v2:127.0.0.1:${pa},v2:127.0.0.1:${pb}`, [`mon_data = ${tmp}/c3-mon-$id`]));
  spawnSync('monmaptool', ['--create', '--enable-all-features', '--fsid', FSID, '--addv', 'a', `v2:127.0.0.1:${pa}`, '--addv', 'b', `v2:127.0.0.1:${pb}`, `${tmp}/c3-monmap`]);
  const monmapBl = readFileSync(`${tmp}/c3-monmap`);
  spawnSync('ceph-mon', ['-c', conf, '--mkfs', '-i', 'a', '--monmap', `${tmp}/c3-monmap`]);
  const now = () => ({ sec: Math.floor(Date.now() / 1000), nsec: 0 });
  const msgr = createMessenger({ entity: { type: EntityType.MON, num: 1 }, nonce: 0, authClient: new AuthNoneClient({ type: EntityType.MON, id: 'b' }),
    policies: new Map([[EntityType.MON, Policies.losslessPeer()]]) });
  let lc = 0;
  msgr.addDispatcher({
    dispatch(conn, m) {
      keep('ceph-mon to a peer monitor', m);
      const paxos = (op, x) => new M.MMonPaxos({ epoch: x.epoch, op, firstCommitted: 0, lastCommitted: op === 2 ? lc : x.lastCommitted, pnFrom: 0, pn: x.pn, uncommittedPn: 0, leaseTimestamp: { sec: 0, nsec: 0 },
        sentTimestamp: now(), latestVersion: 0, latestValue: Buffer.alloc(0), values: new Map(), featureMap: Buffer.alloc(0) });
      if (m instanceof M.MMonProbe && m.op === 1) {
        conn.send(new M.MMonProbe({ fsid: FSID, op: 2, name: 'b', quorum: [], leader: -1, monmapBl, paxosFirstVersion: 0, paxosLastVersion: 0, hasEverJoined: false, requiredFeatures: 0n, monRelease: 16 }));
      } else if (m instanceof M.MMonElection && m.op === 1) {
        conn.send(new M.MMonElection({ fsid: FSID, op: 2, epoch: m.epoch, monmapBl, quorum: [], quorumFeatures: 0x3f01cfbffffdffffn, monFeatures: 0xffn, monRelease: 16,
          sharingBl: Buffer.alloc(0), scoringBl: Buffer.alloc(0), strategy: 1, metadata: new Map() }));
      } else if (m instanceof M.MMonPaxos) {
        if (m.op === 1) conn.send(paxos(2, m));
        else if (m.op === 3) conn.send(paxos(4, m));
        else if (m.op === 5) lc = m.lastCommitted;
        else if (m.op === 6) conn.send(paxos(7, m));
      }
    },
  });
  await msgr.bind('127.0.0.1', pb);
  msgr.start();
  const mon = spawn('ceph-mon', ['-c', conf, '-i', 'a', '-f'], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !(keys.has('MMonPaxos-v4-op5') && keys.has('MMonPaxos-v4-op6')); i++) await sleep(100);
  await stop(mon);
  await msgr.shutdown();
}

manifest.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
writeFileSync(join(OUT, 'manifest.json'), JSON.stringify(manifest, null, 1) + '\n');
rmSync(tmp, { recursive: true, force: true });
console.log(`gen-msg-golden: kept ${manifest.length} payloads in ${OUT}: ${manifest.map((x) => x.file.replace(/\.bin$/, '')).join(' ')}`);
