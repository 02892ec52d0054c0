#!/usr/bin/env node
// ceph-osd: the tsceph OSD daemon, with Ceph 16's ceph-osd options for what it does:
//   ceph-osd -i ID --mkfs [--osd-data DIR | --data DEV] [--osd-uuid U] [-c CONF]
//       make the BlockStore on the device and write the OSD superblock (whoami, cluster fsid, osd fsid)
//   ceph-osd -i ID [--osd-data DIR | --data DEV] [-c CONF] [-f | -d]
//       mount, boot against the monitors and serve; SIGTERM/SIGINT: ask to be marked down (bounded wait
//       for the ack), stop the PGs, umount, exit 0
// The device is --data DEV, else $osd_data/block (a file, created sparse at --mkfs with
// bluestore_block_size bytes; tsceph's default is 1 GiB, Ceph's 100 GiB). Options Ceph has but tsceph's
// option table does not (osd_data, osd_heartbeat_interval, ...) are read from the conf file's [osd]
// sections or given as --<name> <value> on the command line.

import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';

import { FileDevice } from '../common/blockdev/index.js';
import { loadConfig, type CephConfig } from '../common/config.js';
import { CephError } from '../common/errors.js';
import { parseSize } from '../common/size.js';
import { BlockStore } from '../osd/index.js';
import { CLIENT_MESSAGE_BYTES_MAX, CLIENT_MESSAGES_MAX, OSD, mkfsOsd, readOsdSuperblock } from '../osd/osd.js';
import { daemonLogger, detachDaemon, removePidFile, stopSignal, writePidFile } from './daemon.js';
import { gcExternalGrowthBytes, startExternalGcWatch, startMemoryLog } from './daemon-memory.js';
import { isMainModule } from './shell.js';

const USAGE = `usage: ceph-osd -i <osdid> [flags]
  --mkfs                 create a fresh BlockStore and OSD superblock on the device
  --osd-data <dir>       the OSD's data directory (default /var/lib/ceph/osd/$cluster-$id); the device is <dir>/block
  --data <dev>           the device (a file or block device) instead of <osd-data>/block
  --osd-uuid <uuid>      with --mkfs: the OSD's uuid (default random)
  -c, --conf <file>      configuration file
  -f, --foreground       do not detach; log to log_file
  -d                     do not detach; log to stderr
  -h, --help             this text
Options read from the conf file or as --<name> <value>: bluestore_block_size (bytes, default 1G),
bluestore_cache_size (bytes, default 32M: onode + KV caches), bluestore_cache_meta_ratio (0.45), bluestore_cache_kv_ratio (0.45),
osd_heartbeat_interval (s), osd_heartbeat_grace (s), osd_mon_shutdown_timeout (s),
osd_crush_update_on_start (bool), crush_location ('root=default host=h'), ms_bind_port_min/max, debug_osd (>= 10 logs debug lines),
osd_client_message_size_cap (bytes of client messages held until their ops are answered, default 24M; 0: no cap),
osd_client_message_cap (client messages held, default 256; 0: no cap).
`;

/** Size of a device file created by --mkfs when bluestore_block_size is not set (tsceph: 1 GiB, sparse). */
const DEFAULT_BLOCK_BYTES = 1024 * 1024 * 1024;

/**
 * The store's caches together (Ceph's bluestore_cache_size; docs/memory.md), split by the two ratios
 * below between the onode cache and the KV engine's page cache. Ceph sizes its cache from 1-3 GiB (or
 * autotunes it to osd_memory_target); tsceph's OSD aims at a third of a Ceph OSD's RSS, so its default is
 * small: with 64 MiB each, the two caches alone were 128 MiB of an OSD's ~200 MiB after 6,000 4 KiB writes.
 */
const DEFAULT_CACHE_BYTES = 32 * 1024 * 1024;
/** Ceph 16's defaults: bluestore_cache_meta_ratio (onodes) and bluestore_cache_kv_ratio (RocksDB's block cache). */
const DEFAULT_CACHE_META_RATIO = 0.45;
const DEFAULT_CACHE_KV_RATIO = 0.45;
/** Below this a cache thrashes on the PG metadata objects alone (and the KV engine refuses less than 1 MiB). */
const CACHE_PART_BYTES_MIN = 2 * 1024 * 1024;

/** The OSD options tsceph's option table lacks: name -> default (read from conf or the command line). */
const OSD_OPTIONS: Record<string, string> = {
  osd_data: '/var/lib/ceph/osd/$cluster-$id',
  bluestore_block_size: String(DEFAULT_BLOCK_BYTES),
  bluestore_cache_size: String(DEFAULT_CACHE_BYTES),
  bluestore_cache_meta_ratio: String(DEFAULT_CACHE_META_RATIO),
  bluestore_cache_kv_ratio: String(DEFAULT_CACHE_KV_RATIO),
  osd_uuid: '',
  osd_heartbeat_interval: '6',
  osd_mon_shutdown_timeout: '5',
  osd_crush_update_on_start: 'true',
  crush_location: '',
  debug_osd: '1',
  osd_client_message_size_cap: String(CLIENT_MESSAGE_BYTES_MAX),
  osd_client_message_cap: String(CLIENT_MESSAGES_MAX),
};

interface OsdArgs {
  mkfs: boolean;
  foreground: boolean;
  logToStderr: boolean;
  help: boolean;
  data: string | null;
  /** --<osd option> values from the command line. */
  options: Map<string, string>;
}

function parseOwnArgs(rest: string[]): OsdArgs {
  const a: OsdArgs = { mkfs: false, foreground: false, logToStderr: false, help: false, data: null, options: new Map() };
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]!;
    const eq = w.indexOf('=');
    const head = eq > 0 ? w.slice(0, eq) : w;
    const value = (): string => {
      if (eq > 0) return w.slice(eq + 1);
      const v = rest[++i];
      if (v === undefined) throw new CephError('EINVAL', `Option ${head} requires an argument.`);
      return v;
    };
    if (w === '--mkfs') a.mkfs = true;
    else if (w === '-f' || w === '--foreground') a.foreground = true;
    else if (w === '-d') {
      a.foreground = true;
      a.logToStderr = true;
    } else if (w === '-h' || w === '--help') a.help = true;
    else if (head === '--data') a.data = value();
    else if (head.startsWith('--') && head.slice(2).replace(/-/g, '_') in OSD_OPTIONS) a.options.set(head.slice(2).replace(/-/g, '_'), value());
    else throw new CephError('EINVAL', `unrecognized argument '${w}' (see ceph-osd --help)`);
  }
  return a;
}

/** An OSD option: command line, else the conf file (by section), else tsceph's default. */
function osdOption(config: CephConfig, args: OsdArgs, name: string): string {
  const v = args.options.get(name) ?? config.lookup(name) ?? config.lookup(name.replace(/_/g, ' ')) ?? OSD_OPTIONS[name]!;
  return config.expand(v);
}

function parseRatio(s: string, what: string): number {
  const r = Number(s);
  if (!Number.isFinite(r) || r < 0 || r > 1) throw new CephError('EINVAL', `${what}: not a ratio in [0, 1]: '${s}'`);
  return r;
}

/** The onode and KV cache caps from bluestore_cache_size and its two ratios. */
export function storeCacheBytes(cacheBytes: number, metaRatio: number, kvRatio: number): { onodeBytes: number; kvBytes: number } {
  if (metaRatio + kvRatio > 1) throw new CephError('EINVAL', `bluestore_cache_meta_ratio + bluestore_cache_kv_ratio = ${metaRatio + kvRatio} > 1`);
  return {
    onodeBytes: Math.max(CACHE_PART_BYTES_MIN, Math.floor(cacheBytes * metaRatio)),
    kvBytes: Math.max(CACHE_PART_BYTES_MIN, Math.floor(cacheBytes * kvRatio)),
  };
}

function parseBytes(s: string, what: string): number {
  const v = parseSize(s);
  if (v === undefined) throw new CephError('EINVAL', `${what}: not a size: '${s}'`);
  return v;
}

function parseCount(s: string, what: string): number {
  const v = Number(s.trim());
  if (!/^\d+$/.test(s.trim()) || !Number.isSafeInteger(v)) throw new CephError('EINVAL', `${what}: not a count: '${s}'`);
  return v;
}

function parseSeconds(s: string, what: string): number {
  const n = Number(s);
  if (!Number.isFinite(n) || n <= 0) throw new CephError('EINVAL', `${what}: expected a positive number of seconds, got '${s}'`);
  return n;
}

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let loaded;
  try {
    loaded = loadConfig({ argv, env, defaultType: 'osd', shortIdFlag: true, daemon: true, pid: process.pid });
  } catch (e) {
    process.stderr.write(`ceph-osd: ${errText(e)}\n`);
    return 1;
  }
  const { config, rest } = loaded;
  let args: OsdArgs;
  try {
    args = parseOwnArgs(rest);
  } catch (e) {
    process.stderr.write(`ceph-osd: ${errText(e)}\n${USAGE}`);
    return 1;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const idText = config.identity.name.id;
  const whoami = Number(idText);
  if (config.identity.name.type !== 'osd' || !/^\d+$/.test(idText) || !Number.isSafeInteger(whoami)) {
    process.stderr.write(`ceph-osd: must specify '-i #' where # is the osd number\n${USAGE}`);
    return 1;
  }
  let dataDir: string;
  let devPath: string;
  let blockBytes: number;
  let hbIntervalS: number;
  let shutdownS: number;
  try {
    dataDir = osdOption(config, args, 'osd_data');
    devPath = args.data ?? join(dataDir, 'block');
    blockBytes = parseBytes(osdOption(config, args, 'bluestore_block_size'), 'bluestore_block_size');
    hbIntervalS = parseSeconds(osdOption(config, args, 'osd_heartbeat_interval'), 'osd_heartbeat_interval');
    shutdownS = parseSeconds(osdOption(config, args, 'osd_mon_shutdown_timeout'), 'osd_mon_shutdown_timeout');
  } catch (e) {
    process.stderr.write(`ceph-osd: ${errText(e)}\n`);
    return 1;
  }
  const fsid = config.getString('fsid');
  const fsidSet = !/^0{8}-0{4}-0{4}-0{4}-0{12}$/.test(fsid);

  if (args.mkfs) {
    if (!fsidSet) {
      process.stderr.write('ceph-osd: --mkfs needs the cluster fsid: set fsid in ceph.conf\n');
      return 1;
    }
    let dev: FileDevice | null = null;
    try {
      const osdUuid = osdOption(config, args, 'osd_uuid') || randomUUID();
      if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(osdUuid)) throw new CephError('EINVAL', `--osd-uuid: not a uuid: '${osdUuid}'`);
      if (!args.data) mkdirSync(dataDir, { recursive: true });
      const exists = existsSync(devPath);
      if (exists && statSync(devPath).isDirectory()) throw new CephError('EISDIR', `${devPath} is a directory, not a device`);
      dev = await FileDevice.open(devPath, exists ? {} : { size: blockBytes, create: true });
      const store = new BlockStore(dev, { uuid: osdUuid.toLowerCase() });
      await store.mkfs();
      await store.mount();
      await mkfsOsd(store, { whoami, clusterFsid: fsid, osdFsid: osdUuid.toLowerCase() });
      await store.umount();
      if (!args.data) {
        // Ceph's OSD data directory files: who this is and of which cluster.
        writeFileSync(join(dataDir, 'whoami'), `${whoami}\n`);
        writeFileSync(join(dataDir, 'ceph_fsid'), `${fsid}\n`);
        writeFileSync(join(dataDir, 'fsid'), `${osdUuid.toLowerCase()}\n`);
        writeFileSync(join(dataDir, 'type'), 'tsceph-blockstore\n');
      }
      process.stderr.write(`ceph-osd: created object store ${devPath} for osd.${whoami} fsid ${fsid}\n`);
      return 0;
    } catch (e) {
      process.stderr.write(`ceph-osd: mkfs failed on ${devPath}: ${errText(e)}\n`);
      return 1;
    } finally {
      await dev?.close().catch(() => undefined);
    }
  }

  if (!existsSync(devPath)) {
    process.stderr.write(`ceph-osd: no device at ${devPath}: have you run 'ceph-osd -i ${whoami} --mkfs'?\n`);
    return 1;
  }
  const logFile = config.getString('log_file') || null;
  const pidFile = config.lookup('pid_file') || null;
  if (!args.foreground) {
    detachDaemon(import.meta.url, argv, env, logFile);
    return 0;
  }
  const debugLevel = Number(osdOption(config, args, 'debug_osd').split('/')[0]);
  const log = daemonLogger(`osd.${idText}`, logFile, args.logToStderr || !logFile, debugLevel >= 10);
  // A bug is a crash (Ceph's ceph_abort): say where in the log, then exit so the daemon restarts clean.
  const crash = (what: string) => (e: unknown): void => {
    log.error(`${what}: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    process.exit(1);
  };
  process.on('uncaughtException', crash('uncaught exception'));
  process.on('unhandledRejection', crash('unhandled rejection'));

  // Mount and check the device is this OSD's before anything talks to the cluster.
  let dev: FileDevice;
  let store: BlockStore;
  let caches: { onodeBytes: number; kvBytes: number };
  let clientMessageBytesMax: number;
  let clientMessagesMax: number;
  try {
    clientMessageBytesMax = parseBytes(osdOption(config, args, 'osd_client_message_size_cap'), 'osd_client_message_size_cap');
    clientMessagesMax = parseCount(osdOption(config, args, 'osd_client_message_cap'), 'osd_client_message_cap');
    caches = storeCacheBytes(
      parseBytes(osdOption(config, args, 'bluestore_cache_size'), 'bluestore_cache_size'),
      parseRatio(osdOption(config, args, 'bluestore_cache_meta_ratio'), 'bluestore_cache_meta_ratio'),
      parseRatio(osdOption(config, args, 'bluestore_cache_kv_ratio'), 'bluestore_cache_kv_ratio'),
    );
  } catch (e) {
    process.stderr.write(`ceph-osd: ${errText(e)}\n`);
    return 1;
  }
  try {
    dev = await FileDevice.open(devPath);
  } catch (e) {
    process.stderr.write(`ceph-osd: cannot open ${devPath}: ${errText(e)}\n`);
    return 1;
  }
  try {
    store = new BlockStore(dev, {
      cacheBytesMax: caches.onodeBytes, kvCacheBytesMax: caches.kvBytes,
      logger: { error: (m) => log.error(`blockstore: ${m}`), warn: (m) => log.warn(`blockstore: ${m}`) },
    });
    await store.mount();
    log.info(`store caches: onode ${caches.onodeBytes} bytes, kv ${caches.kvBytes} bytes (bluestore_cache_size and its ratios)`);
  } catch (e) {
    await dev.close().catch(() => undefined);
    process.stderr.write(`ceph-osd: ${devPath} is not a tsceph OSD device (${errText(e)}); run --mkfs first\n`);
    return 1;
  }
  const fail = async (msg: string): Promise<number> => {
    await store.umount().catch(() => undefined);
    await dev.close().catch(() => undefined);
    log.error(msg);
    process.stderr.write(`ceph-osd: ${msg}\n`);
    return 1;
  };
  try {
    const sb = await readOsdSuperblock(store);
    if (sb.whoami !== whoami) return await fail(`${devPath} belongs to osd.${sb.whoami}, not osd.${whoami}`);
    if (fsidSet && sb.clusterFsid !== fsid) return await fail(`${devPath} belongs to cluster ${sb.clusterFsid}, not ${fsid} (the configuration's fsid)`);
  } catch (e) {
    return await fail(`${devPath}: ${errText(e)}`);
  }

  const crushUpdate = !/^(false|0|no)$/i.test(osdOption(config, args, 'osd_crush_update_on_start'));
  const crushLoc = osdOption(config, args, 'crush_location').split(/[\s,;]+/).filter((x) => x !== '');
  const osd = new OSD({
    whoami,
    store,
    config,
    log,
    portMin: config.getNumber('ms_bind_port_min'),
    portMax: config.getNumber('ms_bind_port_max'),
    heartbeatIntervalMs: Math.round(hbIntervalS * 1000),
    heartbeatGraceMs: Math.round(config.getNumber('osd_heartbeat_grace') * 1000),
    markDownTimeoutMs: Math.round(shutdownS * 1000),
    crushUpdateOnStart: crushUpdate,
    clientMessageBytesMax,
    clientMessagesMax,
    ...(crushLoc.length ? { crushLocation: crushLoc } : {}),
    metadata: new Map([['osd_data', dataDir], ['devices', devPath]]),
  });
  try {
    await osd.start();
  } catch (e) {
    return await fail(`failed to start: ${errText(e)}`);
  }
  writePidFile(pidFile);
  const memLog = startMemoryLog(env, (m) => log.info(m));
  const gcWatch = startExternalGcWatch(gcExternalGrowthBytes(env), () => getHeapStatistics().external_memory);
  await stopSignal(log);
  if (memLog) clearInterval(memLog);
  if (gcWatch) clearInterval(gcWatch);
  let code = 0;
  try {
    await osd.stop();
    await store.umount();
  } catch (e) {
    log.error(`shutdown: ${errText(e)}`);
    code = 1;
  }
  await dev.close().catch(() => undefined);
  removePidFile(pidFile);
  log.info('exit');
  return code;
}

if (isMainModule(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      // Nothing of ours is left running; do not wait for stray handles.
      setTimeout(() => process.exit(code), 200).unref();
    },
    (e: unknown) => {
      process.stderr.write(`ceph-osd: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
