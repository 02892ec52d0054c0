// A short-lived real Ceph 16.2.15 cluster on loopback (one ceph-mon, a few memstore ceph-osd
// daemons), driven with the `ceph` CLI to make OSD maps osdmaptool alone cannot make: erasure-coded
// pools, pg_temp / primary_temp, pg_upmap(_items), primary affinity, real addresses, down and out
// OSDs, blocklist entries, pool snapshots, flags, weight sets and a "big" map. Maps are taken with
// `ceph osd getmap` at named checkpoints; after the monitor stops, every epoch's full and
// incremental map is read from its store with ceph-kvstore-tool.
//
// Everything lives in one fresh temporary directory (config, keyring, stores, logs, admin sockets,
// pid files). Daemons are started in the foreground as children of this process and stopped by
// their PIDs, on success and on error (an exit hook kills whatever is still running).
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';

const CLI_TIMEOUT_MS = 30_000;
const UP_WAIT_MS = 60_000;
const MON_STOP_WAIT_MS = 15_000;

/** A free TCP port on 127.0.0.1 (the kernel picks one; we close it and hand it to the monitor). */
function freePort() {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolvePort(port));
    });
  });
}

/** Every child daemon this module started, by PID; killed by PID on exit. */
const daemons = new Map(); // pid -> { name, child, exited }

function killAllNow() {
  for (const [pid, d] of daemons) {
    if (d.exited) continue;
    try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
  }
}
let hooked = false;
function hookExit() {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAllNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => { killAllNow(); process.exit(128 + ({ SIGINT: 2, SIGTERM: 15, SIGHUP: 1 })[sig]); });
  }
}

export async function makeClusterMaps({ goldDir, log = console.log, keepTmp = false }) {
  hookExit();
  const T = mkdtempSync(join(tmpdir(), 'osdmap-golden-cluster-'));
  const conf = join(T, 'ceph.conf');
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C', TZ: 'UTC', HOME: T };
  const started = Date.now();
  const since = () => `${((Date.now() - started) / 1000).toFixed(1)}s`;
  for (const d of ['run', 'log', 'mon', 'osd', 'crash', 'maps']) mkdirSync(join(T, d));
  log(`cluster: temp dir ${T}`);
  let ok = false;
  try {
    const port = await freePort();
    const fsid = randomUUID();
    writeFileSync(conf, [
      '[global]',
      `fsid = ${fsid}`,
      `mon host = v2:127.0.0.1:${port}`,
      'public addr = 127.0.0.1',
      'cluster addr = 127.0.0.1',
      'ms bind ipv6 = false',
      'auth cluster required = none',
      'auth service required = none',
      'auth client required = none',
      'auth allow insecure global id reclaim = true',
      `run dir = ${T}/run`,
      `admin socket = ${T}/run/$name.asok`,
      `log file = ${T}/log/$name.log`,
      `pid file = ${T}/run/$name.pid`,
      `crash dir = ${T}/crash`,
      `keyring = ${T}/keyring`,
      `mon data = ${T}/mon/$id`,
      `osd data = ${T}/osd/$id`,
      'osd objectstore = memstore',
      'memstore device bytes = 268435456',
      'osd pool default pg autoscale mode = off',
      'mon allow pool delete = true',
      'mon allow pool size one = true',
      'mon osd allow primary temp = true',
      'mon warn on pool no redundancy = false',
      'mon max pg per osd = 1000',
      'osd crush initial weight = 1',
      // commit each command's map change quickly (the default waits a second per proposal)
      'paxos propose interval = 0.05',
      'paxos min wait = 0.01',
      '',
    ].join('\n'));

    // the ceph CLI: every command must succeed unless `tolerate` says otherwise
    const ceph = (args, { tolerate = false, quiet = false } = {}) => {
      const r = spawnSync('ceph', ['-c', conf, ...args], { env, timeout: CLI_TIMEOUT_MS, maxBuffer: 1 << 28 });
      if (r.error) throw new Error(`ceph ${args.join(' ')}: ${r.error.message}`);
      const out = r.stdout.toString('utf8');
      const err = r.stderr.toString('utf8');
      if (r.status !== 0) {
        if (!tolerate) throw new Error(`ceph ${args.join(' ')} failed (${r.status ?? r.signal}): ${err.trim()}`);
        log(`cluster: [${since()}] ceph ${args.join(' ')} refused: ${err.trim()}`);
      } else if (!quiet) {
        log(`cluster: [${since()}] ceph ${args.join(' ')}${err.trim() ? ` -> ${err.trim().split('\n').pop()}` : ''}`);
      }
      return { status: r.status, out, err };
    };
    const tool = (cmd, args) => {
      const r = spawnSync(cmd, args, { env, timeout: CLI_TIMEOUT_MS, maxBuffer: 1 << 28 });
      if (r.error || r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.error?.message ?? r.stderr.toString()}`);
      return r.stdout;
    };
    const startDaemon = (name, cmd, args) => {
      const fd = openSync(join(T, 'log', `${name}.out`), 'a');
      const child = spawn(cmd, args, { env, stdio: ['ignore', fd, fd] });
      closeSync(fd);
      const d = { name, child, exited: false, code: null };
      daemons.set(child.pid, d);
      child.on('exit', (code, signal) => { d.exited = true; d.code = code ?? signal; });
      log(`cluster: [${since()}] started ${name} pid ${child.pid}`);
      return d;
    };
    const stopDaemon = async (d, signal, waitMs) => {
      if (d.exited) return;
      process.kill(d.child.pid, signal);
      const until = Date.now() + waitMs;
      while (!d.exited && Date.now() < until) await sleep(50);
      if (!d.exited) {
        log(`cluster: ${d.name} (pid ${d.child.pid}) ignored ${signal}; SIGKILL`);
        process.kill(d.child.pid, 'SIGKILL');
        while (!d.exited) await sleep(50);
      }
      log(`cluster: [${since()}] stopped ${d.name} pid ${d.child.pid} (${d.code})`);
    };
    const osdDump = () => JSON.parse(ceph(['osd', 'dump', '-f', 'json'], { quiet: true }).out);
    const waitFor = async (what, pred) => {
      const until = Date.now() + UP_WAIT_MS;
      for (;;) {
        const m = osdDump();
        if (pred(m)) return m;
        if (Date.now() > until) throw new Error(`cluster: timed out waiting for ${what}`);
        await sleep(500);
      }
    };

    // ---- the monitor
    tool('ceph-authtool', ['--create-keyring', join(T, 'keyring'), '--gen-key', '-n', 'mon.', '--cap', 'mon', 'allow *']);
    tool('monmaptool', ['--create', '--fsid', fsid, '--addv', 'a', `[v2:127.0.0.1:${port}]`, join(T, 'monmap')]);
    tool('ceph-mon', ['-c', conf, '-i', 'a', '--mkfs', '--monmap', join(T, 'monmap')]);
    const mon = startDaemon('mon.a', 'ceph-mon', ['-c', conf, '-i', 'a', '-f']);
    {
      const until = Date.now() + UP_WAIT_MS;
      while (spawnSync('ceph', ['-c', conf, '--connect-timeout', '5', 'mon', 'stat'], { env, timeout: 10_000 }).status !== 0) {
        if (mon.exited) throw new Error(`ceph-mon exited (${mon.code}); see ${T}/log`);
        if (Date.now() > until) throw new Error('ceph-mon did not answer');
        await sleep(300);
      }
    }

    const checkpoints = [];
    const checkpoint = (name, about) => {
      const file = join(T, 'maps', `${name}.bin`);
      const r = ceph(['osd', 'getmap', '-o', file]);
      const epoch = Number(/got osdmap epoch (\d+)/.exec(r.err)?.[1]);
      if (!Number.isInteger(epoch)) throw new Error(`getmap printed no epoch: ${r.err}`);
      checkpoints.push({ name, epoch, about, file });
      log(`cluster: checkpoint ${name} = epoch ${epoch}`);
      return file;
    };

    // ---- OSDs 0..5 on hosts h0..h2 (two each), real daemons on memstore
    const osds = new Map(); // id -> daemon
    const weights = [1, 1, 1, 2, 1.5, 0.5];
    const startOsd = (host, weight) => {
      const uuid = randomUUID();
      const id = Number(ceph(['osd', 'new', uuid]).out.trim());
      mkdirSync(join(T, 'osd', String(id)));
      tool('ceph-osd', ['-c', conf, '-i', String(id), '--mkfs', '--osd-uuid', uuid]);
      osds.set(id, startDaemon(`osd.${id}`, 'ceph-osd', ['-c', conf, '-i', String(id), '-f',
        '--crush-location', `root=default host=${host}`, '--osd-crush-initial-weight', String(weight)]));
      return id;
    };
    for (let i = 0; i < 6; i++) startOsd(`h${i % 3}`, weights[i]);
    await waitFor('6 OSDs up', (m) => m.osds.length === 6 && m.osds.every((o) => o.up === 1 && o.in === 1));
    checkpoint('mon-fresh', '6 OSDs up and in on hosts h0..h2 (osd.N on host h(N%3)), real v1+v2 addresses, no pools');

    // ---- device classes, rules, erasure profiles and pools
    ceph(['osd', 'crush', 'rm-device-class', 'osd.2', 'osd.5']);
    ceph(['osd', 'crush', 'set-device-class', 'ssd', 'osd.2', 'osd.5']);
    ceph(['osd', 'crush', 'rule', 'create-replicated', 'rep-ssd', 'default', 'osd', 'ssd']);
    ceph(['osd', 'crush', 'rule', 'create-replicated', 'rep-osd', 'default', 'osd']);
    ceph(['osd', 'crush', 'rule', 'create-replicated', 'rep-hdd-host', 'default', 'host', 'hdd']);
    ceph(['osd', 'erasure-code-profile', 'set', 'ec21', 'k=2', 'm=1', 'crush-failure-domain=osd']);
    ceph(['osd', 'erasure-code-profile', 'set', 'ec42', 'k=4', 'm=2', 'crush-failure-domain=osd']);
    ceph(['osd', 'erasure-code-profile', 'set', 'ec21host', 'k=2', 'm=1', 'crush-failure-domain=host', 'plugin=jerasure', 'technique=reed_sol_van']);
    ceph(['osd', 'erasure-code-profile', 'set', 'ec-isa', 'k=3', 'm=2', 'plugin=isa', 'crush-failure-domain=osd', 'crush-device-class=hdd']);
    ceph(['osd', 'crush', 'rule', 'create-erasure', 'ec-rule-made', 'ec21']);
    // pool ids follow creation order: 1 rep, 2 np2, 3 pgp, 4 nohash, 5 ec21, 6 ec42, 7 echost, 8 ssd, 9 grow, 10 misc, 11 ecisa
    ceph(['osd', 'pool', 'create', 'rep', '32', '32', 'replicated']);
    ceph(['osd', 'pool', 'create', 'np2', '12', '12', 'replicated']);
    ceph(['osd', 'pool', 'create', 'pgp', '16', '16', 'replicated']);
    ceph(['osd', 'pool', 'set', 'pgp', 'pgp_num_actual', '8']);
    ceph(['osd', 'pool', 'set', 'np2', 'pgp_num_actual', '7']);
    ceph(['osd', 'pool', 'create', 'nohash', '8', '8', 'replicated']);
    ceph(['osd', 'pool', 'set', 'nohash', 'hashpspool', 'false', '--yes-i-really-mean-it']);
    ceph(['osd', 'pool', 'create', 'ec21', '16', '16', 'erasure', 'ec21']);
    ceph(['osd', 'pool', 'create', 'ec42', '8', '8', 'erasure', 'ec42']);
    ceph(['osd', 'pool', 'create', 'echost', '8', '8', 'erasure', 'ec21host']);
    ceph(['osd', 'pool', 'create', 'ssd', '8', '8', 'replicated', 'rep-ssd']);
    ceph(['osd', 'pool', 'set', 'ssd', 'size', '2']);
    ceph(['osd', 'pool', 'set', 'ssd', 'min_size', '1']);
    ceph(['osd', 'pool', 'create', 'grow', '8', '8', 'replicated', 'rep-osd']);
    ceph(['osd', 'pool', 'set', 'grow', 'pg_num', '12']); // only pg_num_target moves: there is no mgr to step pg_num
    ceph(['osd', 'pool', 'create', 'misc', '4', '4', 'replicated', 'rep-hdd-host']);
    ceph(['osd', 'pool', 'create', 'ecisa', '8', '8', 'erasure', 'ec-isa']);
    ceph(['osd', 'pool', 'application', 'enable', 'rep', 'rbd']);
    ceph(['osd', 'pool', 'application', 'set', 'rep', 'rbd', 'owner', 'golden']);
    ceph(['osd', 'pool', 'application', 'enable', 'ec21', 'rgw']);
    ceph(['osd', 'pool', 'application', 'enable', 'misc', 'cephfs']);
    ceph(['osd', 'pool', 'application', 'set', 'misc', 'cephfs', 'data', 'fs1']);
    ceph(['osd', 'pool', 'application', 'enable', 'misc', 'custom-app', '--yes-i-really-mean-it']);
    ceph(['osd', 'pool', 'mksnap', 'rep', 'snap-a']);
    ceph(['osd', 'pool', 'mksnap', 'rep', 'snap-b']);
    ceph(['osd', 'pool', 'mksnap', 'rep', 'snap-c']);
    ceph(['osd', 'pool', 'rmsnap', 'rep', 'snap-b']);
    ceph(['osd', 'pool', 'set-quota', 'rep', 'max_objects', '100000']);
    ceph(['osd', 'pool', 'set-quota', 'rep', 'max_bytes', '10737418240']);
    ceph(['osd', 'pool', 'set', 'misc', 'compression_mode', 'aggressive']);
    ceph(['osd', 'pool', 'set', 'misc', 'compression_algorithm', 'zstd']);
    ceph(['osd', 'pool', 'set', 'misc', 'nodelete', 'true']);
    ceph(['osd', 'pool', 'set', 'misc', 'target_size_ratio', '0.25']);
    ceph(['osd', 'pool', 'set', 'misc', 'pg_autoscale_mode', 'warn']);
    ceph(['osd', 'pool', 'set', 'misc', 'noscrub', 'true']);
    ceph(['osd', 'pool', 'set', 'ec21', 'fast_read', '1']);
    ceph(['osd', 'pool', 'set', 'ec21', 'allow_ec_overwrites', 'true'], { tolerate: true });
    await waitFor('pools created', (m) => m.pools.length === 11 && m.pools.every((p) => !/creating/.test(p.flags_names)));
    checkpoint('mon-pools', '11 pools: replicated (power-of-two, non-power-of-two, pgp_num < pg_num, hashpspool off, '
      + 'size 2 on an ssd class rule, per-osd rule, pg_num_target > pg_num), erasure k2m1 (osd / host), k4m2, isa k3m2; '
      + 'snapshots, quotas, application metadata, pool options; device classes; mon-made rules');

    // ---- states: freeze every OSD (SIGSTOP) so peering cannot undo the temps, then edit
    const live = [...osds.entries()].filter(([, d]) => !d.exited);
    for (const [, d] of live) process.kill(d.child.pid, 'SIGSTOP');
    log(`cluster: [${since()}] froze ${live.length} OSDs (SIGSTOP)`);
    await stopDaemon(osds.get(2), 'SIGKILL', 5000);
    ceph(['osd', 'down', '2']);
    ceph(['osd', 'out', '5']);
    ceph(['osd', 'reweight', '4', '0.75']);
    ceph(['osd', 'primary-affinity', '1', '0.5']);
    ceph(['osd', 'primary-affinity', '3', '0']);
    ceph(['osd', 'crush', 'reweight', 'osd.4', '1.25']);
    for (const f of ['noout', 'noscrub', 'nodeep-scrub', 'nobackfill']) ceph(['osd', 'set', f]);
    ceph(['osd', 'add-noout', 'osd.3']);
    ceph(['osd', 'add-nodown', 'osd.0']);
    ceph(['osd', 'set-group', 'noout', 'h1']);
    ceph(['osd', 'set-full-ratio', '0.97']);
    ceph(['osd', 'set-backfillfull-ratio', '0.92']);
    ceph(['osd', 'set-nearfull-ratio', '0.8']);
    ceph(['osd', 'blocklist', 'add', '127.0.0.1:0/1234']);
    ceph(['osd', 'blocklist', 'add', '127.0.0.1:6800/999', '3000']);
    ceph(['osd', 'blocklist', 'add', '127.0.0.2:0/0', '60']);
    ceph(['osd', 'crush', 'weight-set', 'create-compat']);
    ceph(['osd', 'crush', 'weight-set', 'reweight-compat', 'osd.1', '0.5']);
    ceph(['osd', 'crush', 'weight-set', 'create', 'np2', 'positional']);
    ceph(['osd', 'crush', 'weight-set', 'reweight', 'np2', 'osd.0', '0.9', '0.8', '0.7']);
    // temps and upmaps chosen from the PGs' current up sets, so that they differ from them and
    // name only up OSDs (the monitor drops those that do not)
    const upOf = upSets(ceph, tool, T);
    const pick = (pool, n, pred) => {
      const out = [];
      for (const [pg, up] of upOf(pool)) if (out.length < n && pred(up, pg)) out.push([pg, up]);
      if (out.length < n) throw new Error(`cluster: only ${out.length} PGs of pool ${pool} fit`);
      return out;
    };
    const usable = (o) => o >= 0 && o !== 2 && o !== 5 && o !== 2147483647;
    const mate = { 0: 3, 3: 0, 1: 4, 4: 1 }; // the other usable OSD of the same host
    for (const [pg, up] of pick(2, 2, (up) => up.filter(usable).length >= 2)) {
      ceph(['osd', 'pg-temp', pg, ...up.filter(usable).reverse().map(String)]);
    }
    for (const [pg, up] of pick(1, 2, (up) => up.filter(usable).length >= 2)) {
      ceph(['osd', 'primary-temp', pg, String(up.filter(usable)[1])]);
    }
    ceph(['osd', 'pg-temp', '5.0', '0', '1', '3']);
    ceph(['osd', 'primary-temp', '6.1', '4'], { tolerate: true });
    for (const [pg, up] of pick(1, 3, (up, pg) => !pg.endsWith('.0') && up.filter((o) => o in mate).length >= 1)) {
      const from = up.find((o) => o in mate);
      ceph(['osd', 'pg-upmap-items', pg, String(from), String(mate[from])]);
    }
    for (const [pg, up] of pick(3, 1, (up) => up.filter((o) => o in mate).length >= 2)) {
      const from = up.filter((o) => o in mate);
      ceph(['osd', 'pg-upmap-items', pg, String(from[0]), String(mate[from[0]]), String(from[1]), String(mate[from[1]])]);
    }
    for (const [pg, up] of pick(5, 2, (up) => up.some((o) => o in mate && !up.includes(mate[o])))) {
      const from = up.find((o) => o in mate && !up.includes(mate[o]));
      ceph(['osd', 'pg-upmap-items', pg, String(from), String(mate[from])]);
    }
    // whole-set upmaps must keep the pool's size and its rule's failure domain, and name no out
    // OSD, or the monitor drops them: pool 9 places by OSD, pool 1 by host (osd.2 is down but in)
    const sets9 = [[4, 3, 0], [1, 0, 3], [0, 4, 1]];
    for (const [pg, up] of pick(9, 2, (up) => up.length === 3)) {
      const to = sets9.find((s) => s.join() !== up.join());
      sets9.splice(sets9.indexOf(to), 1);
      ceph(['osd', 'pg-upmap', pg, ...to.map(String)]);
    }
    ceph(['osd', 'pg-upmap', '1.4', '3', '4', '2']);
    checkpoint('mon-states', 'mon-pools plus: osd.2 killed and marked down, osd.5 out, reweight/primary-affinity/crush '
      + 'weight changes, cluster and per-OSD and per-group flags, full ratios, blocklist, compat and per-pool (positional) '
      + 'weight sets, pg_temp, primary_temp, pg_upmap and pg_upmap_items');
    for (const [, d] of live) if (!d.exited) process.kill(d.child.pid, 'SIGCONT');
    log(`cluster: [${since()}] thawed the OSDs (SIGCONT)`);
    await sleep(3000);
    checkpoint('mon-thawed', 'mon-states a few seconds after the OSDs resumed: peering has replaced or dropped the temps');

    // ---- big: racks, 24 more OSDs that never run (some in, some out), a purged hole, a destroyed OSD.
    // The weight sets go first: Pacific's monitor dies (free() of a bad pointer in ~CrushWrapper,
    // SIGABRT) on `osd crush add` into a map that has them after the racks moved.
    ceph(['osd', 'crush', 'weight-set', 'rm', 'np2']);
    ceph(['osd', 'crush', 'weight-set', 'rm-compat']);
    for (const r of ['r0', 'r1', 'r2']) {
      ceph(['osd', 'crush', 'add-bucket', r, 'rack']);
      ceph(['osd', 'crush', 'move', r, 'root=default']);
    }
    for (let h = 0; h < 3; h++) ceph(['osd', 'crush', 'move', `h${h}`, `rack=r${h}`]);
    const classes = ['hdd', 'hdd', 'ssd', 'nvme'];
    for (let i = 0; i < 24; i++) {
      const id = Number(ceph(['osd', 'new', randomUUID()], { quiet: true }).out.trim());
      const host = `h${3 + (i % 7)}`;
      const rack = `r${(3 + (i % 7)) % 3}`;
      const weight = [1, 2, 0.5, 4, 1.75, 3.6][i % 6];
      ceph(['osd', 'crush', 'add', `osd.${id}`, String(weight), 'root=default', `rack=${rack}`, `host=${host}`], { quiet: true });
      ceph(['osd', 'crush', 'set-device-class', classes[i % 4], `osd.${id}`], { quiet: true });
    }
    log(`cluster: [${since()}] added 24 OSDs that never run`);
    // `osd purge` / `osd destroy` are the manager's (safety checks first); with no mgr, ask the
    // monitor for the underlying commands
    ceph(['osd', 'purge-actual', '27', '--yes-i-really-mean-it']);
    ceph(['osd', 'destroy-actual', '26', '--yes-i-really-mean-it']);
    ceph(['osd', 'out', '28', '29']);
    ceph(['osd', 'crush', 'rule', 'create-replicated', 'rack-rule', 'default', 'rack']);
    ceph(['osd', 'erasure-code-profile', 'set', 'ec42host', 'k=4', 'm=2', 'crush-failure-domain=host']);
    ceph(['osd', 'pool', 'create', 'big-rep', '64', '64', 'replicated', 'rack-rule']);
    ceph(['osd', 'pool', 'create', 'big-ec', '32', '32', 'erasure', 'ec42host']);
    ceph(['osd', 'pool', 'create', 'big-np2', '100', '100', 'replicated']);
    ceph(['osd', 'pool', 'set', 'big-np2', 'pgp_num_actual', '50']);
    ceph(['osd', 'primary-affinity', '10', '0.3']);
    ceph(['osd', 'reweight', '12', '0.6']);
    ceph(['osd', 'crush', 'weight-set', 'create-compat']);
    ceph(['osd', 'crush', 'weight-set', 'reweight-compat', 'osd.7', '1.5']);
    checkpoint('mon-big', 'mon-thawed plus racks r0..r2 over hosts h0..h9, osd.6..29 created with `osd new` (which marks them in) and '
      + '`osd crush add` but never started (28/29 marked out), osd.27 purged (a hole), osd.26 destroyed, '
      + 'hdd/ssd/nvme classes, a rack rule, pools big-rep (rack rule), big-ec (k4m2 host), big-np2 (pg 100, pgp 50)');

    // ---- stop everything, then read every epoch from the monitor's store
    for (const [, d] of osds) await stopDaemon(d, 'SIGKILL', 5000);
    await stopDaemon(mon, 'SIGTERM', MON_STOP_WAIT_MS);
    const store = join(T, 'mon', 'a', 'store.db');
    const kv = (...args) => tool('ceph-kvstore-tool', ['rocksdb', store, ...args]);
    // one `dump osdmap` (a hex dump of every key) instead of one `get` per key, which costs a
    // store open each; two keys are read back with `get` to check the parse
    const values = parseKvDump(kv('dump', 'osdmap').toString('latin1'));
    const val = (key) => {
      const v = values.get(`osdmap\t${key}`);
      if (!v) throw new Error(`monitor store has no osdmap/${key}`);
      return v;
    };
    const first = Number(val('first_committed').readBigUInt64LE(0));
    const last = Number(val('last_committed').readBigUInt64LE(0));
    for (const key of [`full_${last}`, String(first)]) {
      if (!readKv(kv, T, 'osdmap', key).equals(val(key))) throw new Error(`ceph-kvstore-tool dump and get disagree on osdmap/${key}`);
    }
    log(`cluster: [${since()}] monitor store holds osdmap epochs ${first}..${last}`);

    // ---- copy into the golden tree
    const monDir = join(goldDir, 'maps', 'mon');
    rmSync(monDir, { recursive: true, force: true });
    mkdirSync(join(monDir, 'history'), { recursive: true });
    const history = [];
    const fulls = new Map();
    for (let e = first; e <= last; e++) {
      const full = val(`full_${e}`);
      const inc = val(String(e));
      const pad = String(e).padStart(4, '0');
      writeFileSync(join(monDir, 'history', `full-${pad}.bin.gz`), gzipSync(full, { level: 9 }));
      writeFileSync(join(monDir, 'history', `inc-${pad}.bin.gz`), gzipSync(inc, { level: 9 }));
      history.push({ epoch: e, full: `maps/mon/history/full-${pad}.bin.gz`, inc: `maps/mon/history/inc-${pad}.bin.gz`,
        fullBytes: full.length, incBytes: inc.length });
      fulls.set(e, full);
    }
    const index = { about: 'Maps made by a real Ceph 16.2.15 monitor (scripts/golden-osdmap/cluster.mjs). checkpoints: '
      + '`ceph osd getmap` at named moments; history: every epoch in the monitor store, the full map '
      + '(key osdmap/full_E) and the incremental that made it (key osdmap/E), gzipped. full(E-1) + inc(E) = full(E).',
    fsid, first, last, checkpoints: [], history };
    for (const c of checkpoints) {
      const rel = `maps/mon/${c.name}.bin`;
      copyFileSync(c.file, join(goldDir, rel));
      const bytes = readFileSync(c.file);
      const same = bytes.equals(fulls.get(c.epoch));
      if (!same) log(`cluster: note: getmap of epoch ${c.epoch} differs from the store's full_${c.epoch}`);
      index.checkpoints.push({ name: c.name, epoch: c.epoch, file: rel, sameAsStore: same, about: c.about });
    }
    writeFileSync(join(monDir, 'index.json'), JSON.stringify(index, null, 1) + '\n');
    log(`cluster: [${since()}] done: ${checkpoints.length} checkpoints, ${history.length} epochs`);
    ok = true;
    return index;
  } finally {
    killAllNow();
    const until = Date.now() + 10_000;
    while ([...daemons.values()].some((d) => !d.exited) && Date.now() < until) await sleep(50);
    for (const [pid, d] of daemons) {
      if (!d.exited) log(`cluster: WARNING ${d.name} pid ${pid} still running after SIGKILL`);
    }
    if (ok && !keepTmp) rmSync(T, { recursive: true, force: true });
    else log(`cluster: kept ${T} (logs under log/)`);
  }
}

/** `ceph-kvstore-tool rocksdb STORE get PREFIX KEY out FILE`, returning the bytes. */
function readKv(kv, T, prefix, key) {
  const f = join(T, 'kv.out');
  rmSync(f, { force: true });
  kv('get', prefix, key, 'out', f);
  if (!existsSync(f)) throw new Error(`ceph-kvstore-tool wrote no ${prefix}/${key}`);
  return readFileSync(f);
}

/** `ceph-kvstore-tool ... dump PREFIX`: "PREFIX\tKEY" lines, each followed by a hex dump and its length. */
export function parseKvDump(text) {
  const out = new Map();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const key = lines[i];
    if (!key.includes('\t')) continue;
    const bytes = [];
    let row = [];
    let repeat = false; // a `*` line: rows equal to the last one were left out, up to the next offset
    let j = i + 1;
    for (; j < lines.length && (/^[0-9a-f]{8}(  |$)/.test(lines[j]) || lines[j] === '*'); j++) {
      if (lines[j] === '*') { repeat = true; continue; }
      const offset = parseInt(lines[j].slice(0, 8), 16);
      if (repeat) {
        while (bytes.length < offset) bytes.push(...row);
        repeat = false;
      }
      if (bytes.length !== offset) throw new Error(`ceph-kvstore-tool dump: offset ${lines[j].slice(0, 8)} after ${bytes.length} bytes of ${JSON.stringify(key)}`);
      if (lines[j].length === 8) break; // the closing length line
      row = lines[j].slice(10, 60).trim().split(/\s+/).map((h) => parseInt(h, 16));
      bytes.push(...row);
    }
    if (!/^[0-9a-f]{8}$/.test(lines[j] ?? '') || parseInt(lines[j], 16) !== bytes.length) {
      throw new Error(`ceph-kvstore-tool dump: cannot parse the value of ${JSON.stringify(key)}`);
    }
    out.set(key, Buffer.from(bytes));
    i = j;
  }
  return out;
}

/** A function pool -> [[pgid, up set]] for the current map, from Ceph's own osdmaptool. */
function upSets(ceph, tool, T) {
  const f = join(T, 'maps', 'now.bin');
  ceph(['osd', 'getmap', '-o', f], { quiet: true });
  return (pool) => {
    const out = tool('osdmaptool', [f, '--test-map-pgs-dump-all', '--pool', String(pool)]).toString('utf8');
    const rows = [];
    for (const m of out.matchAll(/^(\d+\.[0-9a-f]+) raw \(\[[^\]]*\], p-?\d+\) up \(\[([^\]]*)\], p-?\d+\)/gm)) {
      rows.push([m[1], m[2] === '' ? [] : m[2].split(',').map(Number)]);
    }
    return rows;
  };
}

export function listDaemons() {
  return [...daemons.entries()].map(([pid, d]) => ({ pid, name: d.name, exited: d.exited }));
}

