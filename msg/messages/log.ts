// The cluster log: daemons send their log entries to the monitors in MLog, and a monitor acknowledges
// the last sequence number it keeps with MLogAck (src/messages/MLog.h, MLogAck.h, src/common/LogEntry.cc).
// A Ceph OSD sends MLog soon after it boots; a monitor that cannot decode it would fault the session.

import { Encoder, type Decoder } from '../../common/encoding.js';
import { decodeAddrVec, encodeAddrVec, UUID_ZERO, type EntityAddrVec, type UTime } from '../../common/osdmap/index.js';
import { Message, type EntityName, type RawMessage } from '../message.js';
import { PaxosServiceMessage, decodeEntityName, decodeUTime, decodeUuid, encodeEntityName, encodeUTime, encodeUuid, frontDecoder, setFront } from './common.js';

/** MSG_LOG and MSG_LOGACK (src/msg/Message.h). */
export const MSG_LOG = 52;
export const MSG_LOGACK = 53;

/** clog_type: the priority of a log entry. */
export const ClogType = { DEBUG: 0, INFO: 1, SEC: 2, WARN: 3, ERROR: 4, UNKNOWN: -1 } as const;

/** Ceph's EntityName (auth name: a type number and an id string), as LogEntry carries it. */
export interface AuthName {
  type: number;
  id: string;
}

export interface LogEntry {
  name: AuthName;
  rank: EntityName;
  addrs: EntityAddrVec;
  stamp: UTime;
  seq: number;
  prio: number;
  msg: string;
  channel: string;
}

/** LogEntry as Pacific writes it (struct v5, compat 5); v6 adds fields we skip on decode. */
const LOG_ENTRY_V = 5;

function encodeLogEntry(e: Encoder, l: LogEntry): void {
  e.startStruct(LOG_ENTRY_V, 5);
  e.u32(l.name.type).string(l.name.id);
  encodeEntityName(e, l.rank);
  encodeAddrVec(e, l.addrs);
  encodeUTime(e, l.stamp);
  e.u64(l.seq).u16(l.prio).string(l.msg).string(l.channel);
  e.finishStruct();
}

function decodeLogEntry(d: Decoder): LogEntry {
  const v = d.decodeStartLegacyCompatLen(6, 2, 2, 'LogEntry');
  if (v < 5) d.malformed('LogEntry', `struct v${v} (before Nautilus) is not supported`);
  const name = { type: d.u32('name type'), id: d.string('name id') };
  const rank = decodeEntityName(d, 'rank');
  const addrs = decodeAddrVec(d, 'addrs');
  const stamp = decodeUTime(d, 'stamp');
  const seq = d.u64('seq');
  const prio = d.u16('prio');
  const msg = d.string('msg');
  const channel = d.string('channel');
  d.decodeFinish('LogEntry');
  return { name, rank, addrs, stamp, seq, prio: prio > 0x7fff ? prio - 0x10000 : prio, msg, channel };
}

/** MLog: log entries from a daemon, with the cluster fsid. */
export class MLog extends PaxosServiceMessage {
  static readonly TYPE = MSG_LOG;
  static readonly HEAD_VERSION = 1;
  static readonly COMPAT_VERSION = 0;

  fsid = UUID_ZERO;
  entries: LogEntry[] = [];

  constructor(fsid?: string, entries?: LogEntry[]) {
    super(MLog.TYPE, MLog.HEAD_VERSION, MLog.COMPAT_VERSION);
    if (fsid !== undefined) this.fsid = fsid;
    if (entries !== undefined) this.entries = entries;
  }

  typeName(): string {
    return 'log';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(64);
    this.paxosEncode(e);
    encodeUuid(e, this.fsid);
    e.u32(this.entries.length);
    for (const l of this.entries) encodeLogEntry(e, l);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MLog {
    const d = frontDecoder(raw, 'log');
    const m = new MLog();
    m.paxosDecode(d);
    m.fsid = decodeUuid(d, 'fsid');
    const n = d.count('entries', 8);
    for (let i = 0; i < n; i++) m.entries.push(decodeLogEntry(d));
    return m;
  }
}

/** MLogAck: the monitor keeps entries up to `last` of `channel`. */
export class MLogAck extends Message {
  static readonly TYPE = MSG_LOGACK;
  static readonly HEAD_VERSION = 1;
  static readonly COMPAT_VERSION = 0;

  fsid = UUID_ZERO;
  last = 0;
  channel = '';

  constructor(fsid?: string, last?: number, channel?: string) {
    super(MLogAck.TYPE, MLogAck.HEAD_VERSION, MLogAck.COMPAT_VERSION);
    if (fsid !== undefined) this.fsid = fsid;
    if (last !== undefined) this.last = last;
    if (channel !== undefined) this.channel = channel;
  }

  typeName(): string {
    return 'log_ack';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(48);
    encodeUuid(e, this.fsid);
    e.u64(this.last).string(this.channel);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MLogAck {
    const d = frontDecoder(raw, 'log_ack');
    const m = new MLogAck();
    m.fsid = decodeUuid(d, 'fsid');
    m.last = d.u64('last');
    m.channel = d.string('channel'); // optional before Luminous; every Pacific sender writes it
    return m;
  }
}
