// The monitor shell's side of the wire: which typed message is which request, and the replies it
// builds. Kept apart from mon/monitor.ts so the shell's logic reads in the monitor's terms (commands,
// subscriptions, OSD reports) rather than message classes.

import { Decoder, Encoder } from '../common/encoding.js';
import { CephError } from '../common/errors.js';
import { decodeAddrVec, encodeAddrVec, type EntityAddrVec, type PgId } from '../common/osdmap/index.js';
import {
  entityNameString,
  type Message,
  CEPH_SUBSCRIBE_ONETIME,
  MLog,
  MLogAck,
  MConfig,
  MMonCommand,
  MMonCommandAck,
  MMonGetMap,
  MMonGetVersion,
  MMonGetVersionReply,
  MMonMap,
  MMonSubscribe,
  MMonSubscribeAck,
  MOSDAlive,
  MOSDBoot,
  MOSDFailure,
  MOSDMap,
  MOSDMarkMeDown,
  MOSDPGCreate2,
  MOSDPGCreated,
  MOSDPGTemp,
  NO_SHARD,
  MPing,
  MPGStats,
  MPGStatsAck,
  MGetPoolStats,
  MGetPoolStatsReply,
  MStatfs,
  MStatfsReply,
  type PoolStat,
  fromPeerMessage as peerToMessage,
  toPeerMessage as messageToPeer,
} from '../msg/index.js';
import type { CmdMap, CommandReply, OsdMapUpdate, PeerMessage, PgCreateInfo, PgTempRequest } from './core/types.js';

/** Subscriptions are renewed by clients well inside this (seconds, sent in MMonSubscribeAck). */
export const SUBSCRIBE_RENEW_INTERVAL_S = 300;
/** Bounds on what a client may send in one command. */
export const COMMAND_TEXT_BYTES_MAX = 1 << 20;

export function toPeerMessage(m: Message): PeerMessage | null {
  return messageToPeer(m);
}

export function fromPeerMessage(p: PeerMessage): Message {
  return peerToMessage(p);
}

export type Classified =
  | { kind: 'getmap' }
  | { kind: 'subscribe'; items: Array<[string, { start: number; onetime: boolean }]> }
  | { kind: 'getversion'; what: string; handle: number }
  | { kind: 'command'; tid: number; cmd: string[]; inbl: Buffer }
  | { kind: 'commandAck'; tid: number; reply: CommandReply }
  | { kind: 'osdBoot'; osd: number; addrs: { public: EntityAddrVec; cluster: EntityAddrVec; hbBack: EntityAddrVec; hbFront: EntityAddrVec }; sbEpoch: number; features: bigint }
  | { kind: 'osdFailure'; target: number; reporter: number; failedForMs: number; isFailed: boolean; immediate: boolean }
  | { kind: 'osdMarkMeDown'; osd: number; requestAck: boolean }
  | { kind: 'osdAlive'; osd: number; want: number }
  | { kind: 'log'; fsid: string; lastByChannel: Map<string, number>; lines: string[] }
  | { kind: 'pgStats'; osd: number; msg: MPGStats }
  | { kind: 'pgCreated'; osd: number; pgid: PgId }
  | { kind: 'pgTemp'; osd: number; req: PgTempRequest }
  | { kind: 'getPoolStats'; tid: number; fsid: string; pools: string[] }
  | { kind: 'statfs'; tid: number; fsid: string; dataPool: number | null }
  | { kind: 'ping' }
  | { kind: 'unknown' };

/** MOSDFailure flags: without FLAG_FAILED the report takes an earlier one back (the peer is alive);
 * FLAG_IMMEDIATE says the failure is known (a refused connection), not a heartbeat timeout. */
const MOSDFAILURE_FLAG_FAILED = 1;
const MOSDFAILURE_FLAG_IMMEDIATE = 2;

export function classify(m: Message, peerAddrs: EntityAddrVec = [], peerNum = -1): Classified {
  if (m instanceof MMonGetMap) return { kind: 'getmap' };
  if (m instanceof MMonSubscribe) {
    return { kind: 'subscribe', items: [...m.what].map(([k, v]) => [k, { start: v.start, onetime: (v.flags & CEPH_SUBSCRIBE_ONETIME) !== 0 }]) };
  }
  if (m instanceof MMonGetVersion) return { kind: 'getversion', what: m.what, handle: m.handle };
  if (m instanceof MMonCommand) return { kind: 'command', tid: m.header.tid, cmd: m.cmd, inbl: m.inbl };
  if (m instanceof MMonCommandAck) return { kind: 'commandAck', tid: m.header.tid, reply: { r: m.r, rs: m.rs, out: m.outbl } };
  if (m instanceof MOSDBoot) {
    return {
      kind: 'osdBoot',
      osd: m.sb.whoami,
      addrs: { public: peerAddrs, cluster: m.clusterAddrs, hbBack: m.hbBackAddrs, hbFront: m.hbFrontAddrs },
      sbEpoch: m.sb.currentEpoch,
      features: m.osdFeatures,
    };
  }
  if (m instanceof MOSDFailure) {
    return {
      kind: 'osdFailure',
      target: m.targetOsd,
      reporter: peerNum,
      failedForMs: m.failedFor * 1000,
      isFailed: (m.flags & MOSDFAILURE_FLAG_FAILED) !== 0,
      immediate: (m.flags & MOSDFAILURE_FLAG_IMMEDIATE) !== 0,
    };
  }
  if (m instanceof MOSDAlive) return { kind: 'osdAlive', osd: peerNum, want: m.want };
  if (m instanceof MOSDMarkMeDown) return { kind: 'osdMarkMeDown', osd: m.targetOsd, requestAck: m.requestAck };
  if (m instanceof MLog) {
    const lastByChannel = new Map<string, number>();
    const lines: string[] = [];
    for (const e of m.entries) {
      lastByChannel.set(e.channel, Math.max(lastByChannel.get(e.channel) ?? 0, e.seq));
      lines.push(`[${e.channel}] ${entityNameString(e.rank)} ${e.msg}`);
    }
    return { kind: 'log', fsid: m.fsid, lastByChannel, lines };
  }
  if (m instanceof MPGStats) return { kind: 'pgStats', osd: peerNum, msg: m };
  if (m instanceof MOSDPGCreated) return { kind: 'pgCreated', osd: peerNum, pgid: m.pgid };
  if (m instanceof MOSDPGTemp) {
    return { kind: 'pgTemp', osd: peerNum, req: { mapEpoch: m.mapEpoch, forced: m.forced, pgTemp: m.pgTemp.map((t) => ({ pgid: { ...t.pgid }, osds: [...t.osds] })) } };
  }
  if (m instanceof MGetPoolStats) return { kind: 'getPoolStats', tid: m.header.tid, fsid: m.fsid, pools: m.pools };
  if (m instanceof MStatfs) return { kind: 'statfs', tid: m.header.tid, fsid: m.fsid, dataPool: m.dataPool };
  if (m instanceof MPing) return { kind: 'ping' };
  return { kind: 'unknown' };
}

/** A command's JSON (Ceph's CLI sends one JSON object, possibly split over the vector). */
export function parseCmd(cmd: readonly string[]): CmdMap {
  const text = cmd.join('');
  if (text.length > COMMAND_TEXT_BYTES_MAX) throw new CephError('E2BIG', `command of ${text.length} bytes is over the limit of ${COMMAND_TEXT_BYTES_MAX}`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new CephError('EINVAL', `command is not JSON: ${text.slice(0, 200)}`);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CephError('EINVAL', 'command must be a JSON object');
  const out: CmdMap = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') out[k] = x;
    else if (Array.isArray(x) && x.every((y) => typeof y === 'string')) out[k] = x as string[];
    else if (Array.isArray(x) && x.every((y) => typeof y === 'number')) out[k] = x as number[];
    else throw new CephError('EINVAL', `command argument '${k}' has an unsupported type`);
  }
  if (typeof out.prefix !== 'string') throw new CephError('EINVAL', "command has no 'prefix'");
  return out;
}

export function commandAck(tid: number, reply: CommandReply, cmd: string[] = []): Message {
  const m = new MMonCommandAck(cmd, reply.r, reply.rs, reply.out);
  m.header.tid = tid;
  return m;
}

export function commandMessage(fsid: string, cmd: string[], inbl: Buffer, tid: number): Message {
  const m = new MMonCommand(fsid, cmd, inbl);
  m.header.tid = tid;
  return m;
}

export function monMapMessage(monmapBl: Buffer): Message {
  return new MMonMap(monmapBl);
}

export function subscribeAck(fsid: string): Message {
  return new MMonSubscribeAck(fsid, SUBSCRIBE_RENEW_INTERVAL_S);
}

export function versionReply(handle: number, version: number, oldest: number): Message {
  return new MMonGetVersionReply(handle, version, oldest);
}

export function osdMapMessage(u: OsdMapUpdate): Message {
  const m = new MOSDMap(u.fsid);
  for (const [e, b] of u.maps) m.maps.set(e, b);
  for (const [e, b] of u.incrementalMaps) m.incrementalMaps.set(e, b);
  m.clusterOsdmapTrimLowerBound = u.oldest;
  m.newestMap = u.newest;
  return m;
}

/** The monitor's ack of an MOSDMarkMeDown: the same fields, request_ack cleared (Ceph's reply). */
export function markMeDownAck(m: Message): Message {
  if (!(m instanceof MOSDMarkMeDown)) throw new CephError('EINVAL', `not an MOSDMarkMeDown: ${m.typeName()}`);
  const a = new MOSDMarkMeDown();
  a.fsid = m.fsid;
  a.targetOsd = m.targetOsd;
  a.targetAddrs = m.targetAddrs;
  a.epoch = m.epoch;
  a.requestAck = false;
  a.downAndDead = m.downAndDead;
  return a;
}

export function logAck(fsid: string, last: number, channel: string): Message {
  return new MLogAck(fsid, last, channel);
}

export function pgCreateMessage(epoch: number, pgs: readonly PgCreateInfo[]): Message {
  return new MOSDPGCreate2(epoch, pgs.map((p) => ({
    pgid: { pool: p.pool, seed: p.seed },
    shard: NO_SHARD,
    created: p.created,
    createdStamp: { sec: Math.floor(p.createdStampMs / 1000), nsec: (p.createdStampMs % 1000) * 1e6 },
  })));
}

export function configMessage(): Message {
  return new MConfig(new Map());
}

/** MPGStatsAck for a report: each PG with the (reported_seq, reported_epoch) the monitors now hold. */
export function pgStatsAck(tid: number, entries: ReadonlyArray<{ pgid: { pool: number; seed: number }; seq: number; epoch: number }>): Message {
  const m = new MPGStatsAck();
  m.header.tid = tid;
  m.pgStat = entries.map((e) => ({ pgid: { pool: e.pgid.pool, seed: e.pgid.seed }, seq: e.seq, epoch: e.epoch }));
  return m;
}

/** MGetPoolStatsReply: pool name -> pool_stat_t (per_pool when every OSD reports per-pool usage). */
export function poolStatsReply(fsid: string, tid: number, version: number, stats: Map<string, PoolStat>, perPool: boolean): Message {
  const m = new MGetPoolStatsReply(fsid, tid, version);
  m.poolStats = stats;
  m.perPool = perPool;
  return m;
}

/** The ack entries in an internal forward's reply (the PGMap service encodes them: pgmap.ts encodeAckEntries). */
export function decodeAckEntries(b: Buffer): Array<{ pgid: { pool: number; seed: number }; seq: number; epoch: number }> {
  const m = MPGStatsAck.decode({ header: { seq: 0, tid: 0, type: MPGStatsAck.TYPE, priority: 127, version: 1, compatVersion: 1, dataOff: 0, ackSeq: 0, flags: 0 }, front: [b], middle: [], data: [] }, 0n);
  return m.pgStat;
}

/** An MPGStats' front, to carry inside a forwarded internal command. */
export function encodePgStatsFront(m: MPGStats): Buffer {
  return Buffer.concat(m.toRaw(0n).front);
}

export function decodePgStatsFront(b: Buffer): MPGStats {
  return MPGStats.decode({ header: { seq: 0, tid: 0, type: MPGStats.TYPE, priority: 127, version: MPGStats.HEAD_VERSION, compatVersion: 1, dataOff: 0, ackSeq: 0, flags: 0 }, front: [b], middle: [], data: [] }, 0n);
}

/**
 * An MOSDBoot a peon forwards: the sender's public addrs (entity_addrvec_t, which the leader cannot see
 * on its own connection; Ceph's MForward carries them) then the message's front.
 */
export function encodeBootForward(m: MOSDBoot, publicAddrs: EntityAddrVec): Buffer {
  const e = new Encoder(64);
  encodeAddrVec(e, publicAddrs);
  return Buffer.concat([e.toBuffer(), ...m.toRaw(0n).front]);
}

export function decodeBootForward(b: Buffer): { m: MOSDBoot; publicAddrs: EntityAddrVec } {
  const d = new Decoder(b, 'forwarded MOSDBoot');
  const publicAddrs = decodeAddrVec(d, 'public addrs');
  const front = b.subarray(d.pos);
  const m = MOSDBoot.decode({ header: { seq: 0, tid: 0, type: MOSDBoot.TYPE, priority: 127, version: MOSDBoot.HEAD_VERSION, compatVersion: MOSDBoot.COMPAT_VERSION, dataOff: 0, ackSeq: 0, flags: 0 }, front: [front], middle: [], data: [] }, 0n);
  return { m, publicAddrs };
}

/** MStatfsReply: ceph_mon_statfs_reply (fsid, version, ceph_statfs), matched by tid. */
export function statfsReply(fsid: string, tid: number, version: number, st: { kb: number; kbUsed: number; kbAvail: number; numObjects: number }): Message {
  const m = new MStatfsReply(fsid, version, { kb: st.kb, kbUsed: st.kbUsed, kbAvail: st.kbAvail, numObjects: st.numObjects });
  m.header.tid = tid;
  return m;
}
