// The messages clients and daemons exchange with a monitor (src/messages/MMon*.h in Ceph 16):
// MMonGetMap / MMonMap, MMonSubscribe / MMonSubscribeAck, MMonCommand / MMonCommandAck,
// MMonGetVersion / MMonGetVersionReply and MMonGetOSDMap.

import { Encoder } from '../../common/encoding.js';
import { decodeMonMap, encodeMonMap } from '../../common/monmap/index.js';
import { Message, type RawMessage } from '../message.js';
import {
  Feature,
  MsgType,
  PaxosServiceMessage,
  UUID_ZERO,
  decodeBl,
  decodeStringVec,
  decodeUuid,
  encodeStringVec,
  encodeUuid,
  frontDecoder,
  hasFeatures,
  joinSegments,
  setFront,
} from './common.js';

/** MMonGetMap: "send me your monmap" (no payload). */
export class MMonGetMap extends Message {
  static readonly TYPE = MsgType.CEPH_MSG_MON_GET_MAP;
  static readonly HEAD_VERSION = 1;
  static readonly COMPAT_VERSION = 0;

  constructor() {
    super(MMonGetMap.TYPE, MMonGetMap.HEAD_VERSION, MMonGetMap.COMPAT_VERSION);
  }

  typeName(): string {
    return 'mon_getmap';
  }

  encodePayload(_features: bigint): void {
    // no payload
  }

  static decode(_raw: RawMessage, _features: bigint): MMonGetMap {
    return new MMonGetMap();
  }
}

/**
 * MMonMap: an encoded MonMap as a bufferlist. Peers without MONENC or MSG_ADDR2 get the map
 * re-encoded for their features, as Ceph does.
 */
export class MMonMap extends Message {
  static readonly TYPE = MsgType.CEPH_MSG_MON_MAP;
  static readonly HEAD_VERSION = 1;
  static readonly COMPAT_VERSION = 0;

  monmapBl: Buffer = Buffer.alloc(0);

  constructor(monmapBl?: Buffer) {
    super(MMonMap.TYPE, MMonMap.HEAD_VERSION, MMonMap.COMPAT_VERSION);
    if (monmapBl) this.monmapBl = monmapBl;
  }

  typeName(): string {
    return 'mon_map';
  }

  encodePayload(features: bigint): void {
    let bl = this.monmapBl;
    if (bl.length && (!hasFeatures(features, Feature.MONENC) || !hasFeatures(features, Feature.MSG_ADDR2))) {
      bl = encodeMonMap(decodeMonMap(bl), features);
    }
    const e = new Encoder(bl.length + 8);
    e.bytes(bl);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MMonMap {
    const d = frontDecoder(raw, 'mon_map');
    return new MMonMap(decodeBl(d, 'monmapbl'));
  }
}

/** CEPH_SUBSCRIBE_ONETIME: send what is asked once, then forget the subscription. */
export const CEPH_SUBSCRIBE_ONETIME = 1;

/** ceph_mon_subscribe_item: the first epoch wanted (0: the latest) and flags. */
export interface SubscribeItem {
  start: number;
  flags: number;
}

/**
 * MMonSubscribe: what to receive (monmap, osdmap, config, ...), each from an epoch. Version 3 adds
 * the hostname; peers without SUBSCRIBE2 get the old form (version 0: `have` = start - 1, onetime).
 */
export class MMonSubscribe extends Message {
  static readonly TYPE = MsgType.CEPH_MSG_MON_SUBSCRIBE;
  static readonly HEAD_VERSION = 3;
  static readonly COMPAT_VERSION = 1;

  what = new Map<string, SubscribeItem>();
  hostname = '';

  constructor() {
    super(MMonSubscribe.TYPE, MMonSubscribe.HEAD_VERSION, MMonSubscribe.COMPAT_VERSION);
  }

  typeName(): string {
    return 'mon_subscribe';
  }

  /** MMonSubscribe::add: start at `start`, optionally once. */
  add(name: string, start: number, flags = 0): this {
    this.what.set(name, { start, flags });
    return this;
  }

  encodePayload(features: bigint): void {
    const e = new Encoder(64);
    const names = [...this.what.keys()].sort();
    e.u32(names.length);
    if (!hasFeatures(features, Feature.SUBSCRIBE2)) {
      this.header.version = 0;
      for (const n of names) {
        const it = this.what.get(n)!;
        e.string(n).u64(it.start ? it.start - 1 : 0).u8(it.flags & CEPH_SUBSCRIBE_ONETIME ? 1 : 0);
      }
      setFront(this, e);
      return;
    }
    this.header.version = MMonSubscribe.HEAD_VERSION;
    for (const n of names) {
      const it = this.what.get(n)!;
      e.string(n).u64(it.start).u8(it.flags);
    }
    e.string(this.hostname);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MMonSubscribe {
    const d = frontDecoder(raw, 'mon_subscribe');
    const m = new MMonSubscribe();
    const n = d.count('what', 13);
    for (let i = 0; i < n; i++) {
      const name = d.string('what name');
      if (raw.header.version < 2) {
        const have = d.u64('what have');
        const onetime = d.u8('what onetime');
        m.what.set(name, { start: have ? have + 1 : 0, flags: onetime ? CEPH_SUBSCRIBE_ONETIME : 0 });
      } else {
        const start = d.u64('what start');
        const flags = d.u8('what flags');
        m.what.set(name, { start, flags });
      }
    }
    if (raw.header.version >= 3) m.hostname = d.string('hostname');
    return m;
  }
}

/** MMonSubscribeAck: the old monitors' renewal interval (seconds) and the fsid. */
export class MMonSubscribeAck extends Message {
  static readonly TYPE = MsgType.CEPH_MSG_MON_SUBSCRIBE_ACK;
  static readonly HEAD_VERSION = 1;
  static readonly COMPAT_VERSION = 0;

  interval = 0;
  fsid = UUID_ZERO;

  constructor(fsid?: string, interval?: number) {
    super(MMonSubscribeAck.TYPE, MMonSubscribeAck.HEAD_VERSION, MMonSubscribeAck.COMPAT_VERSION);
    if (fsid !== undefined) this.fsid = fsid;
    if (interval !== undefined) this.interval = interval;
  }

  typeName(): string {
    return 'mon_subscribe_ack';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(20);
    e.u32(this.interval);
    encodeUuid(e, this.fsid);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MMonSubscribeAck {
    const d = frontDecoder(raw, 'mon_subscribe_ack');
    const interval = d.u32('interval');
    const fsid = decodeUuid(d, 'fsid');
    return new MMonSubscribeAck(fsid, interval);
  }
}

/** MMonCommand: a command (its JSON text in cmd[0]) with input bytes in the data segment. */
export class MMonCommand extends PaxosServiceMessage {
  static readonly TYPE = MsgType.MSG_MON_COMMAND;
  static readonly HEAD_VERSION = 1;
  static readonly COMPAT_VERSION = 0;

  fsid = UUID_ZERO;
  cmd: string[] = [];
  /** Input (Ceph's inbl, sent as the message's data). */
  inbl: Buffer = Buffer.alloc(0);

  constructor(fsid?: string, cmd?: string[], inbl?: Buffer) {
    super(MMonCommand.TYPE, MMonCommand.HEAD_VERSION, MMonCommand.COMPAT_VERSION);
    if (fsid !== undefined) this.fsid = fsid;
    if (cmd) this.cmd = cmd;
    if (inbl) this.inbl = inbl;
  }

  typeName(): string {
    return 'mon_command';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(64);
    this.paxosEncode(e);
    encodeUuid(e, this.fsid);
    encodeStringVec(e, this.cmd);
    setFront(this, e);
    this.data = this.inbl.length ? [this.inbl] : [];
  }

  static decode(raw: RawMessage, _features: bigint): MMonCommand {
    const d = frontDecoder(raw, 'mon_command');
    const m = new MMonCommand();
    m.paxosDecode(d);
    m.fsid = decodeUuid(d, 'fsid');
    m.cmd = decodeStringVec(d, 'cmd');
    m.inbl = joinSegments(raw.data);
    return m;
  }
}

/** MMonCommandAck: r (0 or -errno), rs (status text), the command, and the output in data. */
export class MMonCommandAck extends PaxosServiceMessage {
  static readonly TYPE = MsgType.MSG_MON_COMMAND_ACK;
  static readonly HEAD_VERSION = 1;
  static readonly COMPAT_VERSION = 0;

  cmd: string[] = [];
  r = 0;
  rs = '';
  /** Output (Ceph's outbl, sent as the message's data). */
  outbl: Buffer = Buffer.alloc(0);

  constructor(cmd?: string[], r?: number, rs?: string, outbl?: Buffer) {
    super(MMonCommandAck.TYPE, MMonCommandAck.HEAD_VERSION, MMonCommandAck.COMPAT_VERSION);
    if (cmd) this.cmd = cmd;
    if (r !== undefined) this.r = r;
    if (rs !== undefined) this.rs = rs;
    if (outbl) this.outbl = outbl;
  }

  typeName(): string {
    return 'mon_command';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(64 + this.rs.length);
    this.paxosEncode(e);
    e.s32(this.r);
    e.string(this.rs);
    encodeStringVec(e, this.cmd);
    setFront(this, e);
    this.data = this.outbl.length ? [this.outbl] : [];
  }

  static decode(raw: RawMessage, _features: bigint): MMonCommandAck {
    const d = frontDecoder(raw, 'mon_command_ack');
    const m = new MMonCommandAck();
    m.paxosDecode(d);
    m.r = d.s32('r');
    m.rs = d.string('rs');
    m.cmd = decodeStringVec(d, 'cmd');
    m.outbl = joinSegments(raw.data);
    return m;
  }
}

/** MMonGetVersion: the newest (and oldest) epoch of a map ("osdmap", "monmap", ...). */
export class MMonGetVersion extends Message {
  static readonly TYPE = MsgType.CEPH_MSG_MON_GET_VERSION;
  static readonly HEAD_VERSION = 1;
  static readonly COMPAT_VERSION = 0;

  handle = 0;
  what = '';

  constructor(what?: string, handle?: number) {
    super(MMonGetVersion.TYPE, MMonGetVersion.HEAD_VERSION, MMonGetVersion.COMPAT_VERSION);
    if (what !== undefined) this.what = what;
    if (handle !== undefined) this.handle = handle;
  }

  typeName(): string {
    return 'mon_get_version';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(32);
    e.u64(this.handle).string(this.what);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MMonGetVersion {
    const d = frontDecoder(raw, 'mon_get_version');
    const handle = d.u64('handle');
    const what = d.string('what');
    return new MMonGetVersion(what, handle);
  }
}

/** MMonGetVersionReply: handle, newest version, and (version 2) the oldest one. */
export class MMonGetVersionReply extends Message {
  static readonly TYPE = MsgType.CEPH_MSG_MON_GET_VERSION_REPLY;
  static readonly HEAD_VERSION = 2;
  static readonly COMPAT_VERSION = 0;

  handle = 0;
  version = 0;
  oldestVersion = 0;

  constructor(handle?: number, version?: number, oldestVersion?: number) {
    super(MMonGetVersionReply.TYPE, MMonGetVersionReply.HEAD_VERSION, MMonGetVersionReply.COMPAT_VERSION);
    if (handle !== undefined) this.handle = handle;
    if (version !== undefined) this.version = version;
    if (oldestVersion !== undefined) this.oldestVersion = oldestVersion;
  }

  typeName(): string {
    return 'mon_get_version_reply';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(24);
    e.u64(this.handle).u64(this.version).u64(this.oldestVersion);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MMonGetVersionReply {
    const d = frontDecoder(raw, 'mon_get_version_reply');
    const handle = d.u64('handle');
    const version = d.u64('version');
    const oldest = raw.header.version >= 2 ? d.u64('oldest_version') : 0;
    return new MMonGetVersionReply(handle, version, oldest);
  }
}

/** MMonGetOSDMap: full maps [fullFirst, fullLast] and incrementals [incFirst, incLast] (0: none). */
export class MMonGetOSDMap extends PaxosServiceMessage {
  static readonly TYPE = MsgType.CEPH_MSG_MON_GET_OSDMAP;
  static readonly HEAD_VERSION = 1;
  static readonly COMPAT_VERSION = 0;

  fullFirst = 0;
  fullLast = 0;
  incFirst = 0;
  incLast = 0;

  constructor() {
    super(MMonGetOSDMap.TYPE, MMonGetOSDMap.HEAD_VERSION, MMonGetOSDMap.COMPAT_VERSION);
  }

  typeName(): string {
    return 'mon_get_osdmap';
  }

  /** MMonGetOSDMap::request_full / request_inc. */
  requestFull(first: number, last: number): this {
    this.fullFirst = first;
    this.fullLast = last;
    return this;
  }

  requestInc(first: number, last: number): this {
    this.incFirst = first;
    this.incLast = last;
    return this;
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(40);
    this.paxosEncode(e);
    e.u32(this.fullFirst).u32(this.fullLast).u32(this.incFirst).u32(this.incLast);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MMonGetOSDMap {
    const d = frontDecoder(raw, 'mon_get_osdmap');
    const m = new MMonGetOSDMap();
    m.paxosDecode(d);
    m.fullFirst = d.u32('full_first');
    m.fullLast = d.u32('full_last');
    m.incFirst = d.u32('inc_first');
    m.incLast = d.u32('inc_last');
    return m;
  }
}
