#!/usr/bin/env node
// ceph-mon: the tsceph monitor daemon, with Ceph 16's ceph-mon options for what it does so far:
//   ceph-mon -i NAME [-c CONF] --mkfs [--monmap FILE]   create the monitor's store (data dir mon_data)
//   ceph-mon -i NAME [-c CONF] [-f | -d]                 run it (-f: foreground, log to log_file;
//                                                         -d: foreground, log to stderr; neither: detach)
// Configuration comes from ceph.conf, CEPH_ARGS and the command line as for Ceph (common/config.ts).
// Without --monmap, --mkfs builds the initial monmap from fsid, mon_host and mon_initial_members.

import { readFileSync } from 'node:fs';

import { loadConfig, monHostEntries, parseAddrVecList, type CephConfig } from '../common/config.js';
import { CephError } from '../common/errors.js';
import { decodeMonMap, newMonMap, addMon, type MonMap } from '../common/monmap/index.js';
import { mkfsMonitor, Monitor } from '../mon/monitor.js';
import { MonStore } from '../mon/store.js';
import { daemonLogger, detachDaemon, removePidFile, stopSignal, writePidFile } from './daemon.js';
import { isMainModule } from './shell.js';

const USAGE = `usage: ceph-mon -i <monitorid> [flags]
  --mkfs                 build a fresh monitor store in mon_data (default /var/lib/ceph/mon/$cluster-$id)
  --monmap <file>        with --mkfs: the initial monmap (else built from fsid, mon_host, mon_initial_members)
  --mon-data <dir>       where the monitor's store lives (option mon_data)
  -c, --conf <file>      configuration file (else CEPH_CONF, /etc/ceph/$cluster.conf, ...)
  --cluster <name>       cluster name (default ceph)
  -f, --foreground       do not detach; log to log_file
  -d                     do not detach; log to stderr
  -h, --help             this text
Any configuration option can be given as --<option> <value>.
`;

interface MonArgs {
  mkfs: boolean;
  monmapPath: string | null;
  foreground: boolean;
  logToStderr: boolean;
  help: boolean;
}

function parseOwnArgs(rest: string[]): MonArgs {
  const a: MonArgs = { mkfs: false, monmapPath: null, foreground: false, logToStderr: false, help: false };
  for (let i = 0; i < rest.length; i++) {
    const w = rest[i]!;
    if (w === '--mkfs') a.mkfs = true;
    else if (w === '--monmap') {
      const v = rest[++i];
      if (v === undefined) throw new CephError('EINVAL', 'Option --monmap requires an argument.');
      a.monmapPath = v;
    } else if (w.startsWith('--monmap=')) a.monmapPath = w.slice('--monmap='.length);
    else if (w === '-f' || w === '--foreground') a.foreground = true;
    else if (w === '-d') {
      a.foreground = true;
      a.logToStderr = true;
    } else if (w === '-h' || w === '--help') a.help = true;
    else throw new CephError('EINVAL', `unrecognized argument '${w}' (see ceph-mon --help)`);
  }
  return a;
}

/** MonMap::build_initial for --mkfs without --monmap: fsid, mon_host, names from mon_initial_members. */
export function initialMonMap(config: CephConfig): MonMap {
  const fsid = config.getString('fsid');
  if (/^0{8}-0{4}-0{4}-0{4}-0{12}$/.test(fsid)) throw new CephError('EINVAL', 'no fsid: set fsid in ceph.conf or pass --monmap');
  const monHost = config.getString('mon_host');
  if (!monHost) throw new CephError('EINVAL', 'no mon_host: set mon_host in ceph.conf or pass --monmap');
  const entries = monHostEntries(parseAddrVecList(monHost, 'mon_host'), true);
  const names = config.getString('mon_initial_members').split(/[\s,;]+/).filter((x) => x !== '');
  if (names.length > 0 && names.length !== entries.length) {
    throw new CephError('EINVAL', `mon_initial_members names ${names.length} monitors but mon_host has ${entries.length} addresses`);
  }
  const nowMs = Date.now();
  const m = newMonMap({ fsid, created: { sec: Math.floor(nowMs / 1000), nsec: (nowMs % 1000) * 1e6 }, enableAllFeatures: true, minMonRelease: 16 });
  entries.forEach((e, i) => addMon(m, names[i] ?? e.name, e.addrs));
  return m;
}

function secondsMs(config: CephConfig, name: string): number {
  return Math.round(config.getNumber(name) * 1000);
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let loaded;
  try {
    loaded = loadConfig({ argv, env, defaultType: 'mon', shortIdFlag: true, daemon: true, pid: process.pid });
  } catch (e) {
    process.stderr.write(`ceph-mon: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  const { config, rest } = loaded;
  let args: MonArgs;
  try {
    args = parseOwnArgs(rest);
  } catch (e) {
    process.stderr.write(`ceph-mon: ${e instanceof Error ? e.message : String(e)}\n${USAGE}`);
    return 1;
  }
  if (args.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const name = config.identity.name.id;
  if (config.identity.name.type !== 'mon' || name === 'admin') {
    process.stderr.write(`ceph-mon: must specify '-i name' with the monitor id\n${USAGE}`);
    return 1;
  }
  const dataDir = config.getString('mon_data');

  if (args.mkfs) {
    try {
      let monmap: MonMap;
      if (args.monmapPath) {
        let bytes: Buffer;
        try {
          bytes = readFileSync(args.monmapPath);
        } catch (e) {
          throw new CephError('ENOENT', `couldn't read monmap ${args.monmapPath}: ${(e as Error).message}`);
        }
        monmap = decodeMonMap(bytes);
      } else {
        monmap = initialMonMap(config);
      }
      const fsid = config.getString('fsid');
      if (!/^0{8}-/.test(fsid) && fsid !== monmap.fsid) {
        throw new CephError('EINVAL', `fsid ${fsid} in the configuration differs from the monmap's ${monmap.fsid}`);
      }
      await mkfsMonitor(dataDir, name, monmap);
      process.stdout.write(`ceph-mon: created monfs at ${dataDir} for mon.${name}\n`);
      return 0;
    } catch (e) {
      process.stderr.write(`ceph-mon: mkfs failed: ${e instanceof Error ? e.message : String(e)}\n`);
      return 1;
    }
  }

  if (!MonStore.exists(dataDir)) {
    process.stderr.write(`ceph-mon: monitor data directory at '${dataDir}' does not exist: have you run 'mkfs'?\n`);
    return 1;
  }
  const logFile = config.getString('log_file') || null;
  const pidFile = config.lookup('pid_file') || null;

  if (!args.foreground) {
    detachDaemon(import.meta.url, argv, env, logFile);
    return 0;
  }

  const log = daemonLogger(`mon.${name}`, logFile, args.logToStderr || !logFile, false);
  let mon: Monitor;
  try {
    mon = await Monitor.start({
      name,
      dataDir,
      log,
      // Monitors listen with nonce 0: the monmap's addresses have none, and clients dial them so.
      nonce: 0,
      quorum: {
        leaseMs: secondsMs(config, 'mon_lease'),
        leaseRenewIntervalMs: Math.round(config.getNumber('mon_lease') * config.getNumber('mon_lease_renew_interval_factor') * 1000),
        leaseAckTimeoutMs: Math.round(config.getNumber('mon_lease') * config.getNumber('mon_lease_ack_timeout_factor') * 1000),
        acceptTimeoutMs: Math.round(config.getNumber('mon_lease') * config.getNumber('mon_accept_timeout_factor') * 1000),
        electionTimeoutMs: secondsMs(config, 'mon_election_timeout'),
        probeTimeoutMs: secondsMs(config, 'mon_probe_timeout'),
        paxosMinVersions: config.getNumber('paxos_min'),
        paxosTrimMaxVersions: config.getNumber('paxos_trim_max'),
        paxosMaxJoinDriftVersions: config.getNumber('paxos_max_join_drift'),
        syncChunkBytesMax: config.getNumber('mon_sync_max_payload_size'),
        syncChunkKeysMax: config.getNumber('mon_sync_max_payload_keys'),
      },
      services: {
        osdDownOutIntervalMs: secondsMs(config, 'mon_osd_down_out_interval'),
        osdHeartbeatGraceMs: secondsMs(config, 'osd_heartbeat_grace'),
        osdMinDownReporters: config.getNumber('mon_osd_min_down_reporters'),
        osdReporterSubtreeLevel: config.getString('mon_osd_reporter_subtree_level'),
        osdReportTimeoutMs: secondsMs(config, 'mon_osd_report_timeout'),
        poolDefaultSize: config.getNumber('osd_pool_default_size'),
        poolDefaultMinSize: config.getNumber('osd_pool_default_min_size'),
        poolDefaultPgNum: config.getNumber('osd_pool_default_pg_num'),
        maxPgPerOsd: config.getNumber('mon_max_pg_per_osd'),
        allowPoolDelete: config.getBool('mon_allow_pool_delete'),
        minOsdmapEpochs: config.getNumber('mon_min_osdmap_epochs'),
      },
    });
  } catch (e) {
    log.error(`failed to start: ${e instanceof Error ? e.message : String(e)}`);
    process.stderr.write(`ceph-mon: ${e instanceof Error ? e.message : String(e)}\n`);
    return 1;
  }
  writePidFile(pidFile);
  // Until a signal's shutdown finishes, or the monitor closes by itself.
  await Promise.race([stopSignal(log).then(() => mon.shutdown()).catch(() => undefined), mon.closed]);
  removePidFile(pidFile);
  return 0;
}

if (isMainModule(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`ceph-mon: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
