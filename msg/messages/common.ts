// Pieces every typed message shares: Ceph's message type numbers (include/ceph_fs.h, msg/Message.h),
// the connection feature bits the encodings depend on, the PaxosServiceMessage header most
// monitor-bound messages carry, and small codecs (uuid_d, utime_t, entity_name_t / entity_inst_t,
// std::map<string,string>, std::set<int32>, vector<string>) in Ceph's encoding.

import { Decoder, Encoder } from '../../common/encoding.js';
import {
  decodeEntityAddr,
  uuidFromBytes,
  uuidToBytes,
  type EntityAddr,
  type UTime,
} from '../../common/osdmap/index.js';
import { compareNames, encodeEntityAddrFeatures } from '../../common/monmap/index.js';
import { Message, type EntityName, type RawMessage } from '../message.js';

/** Message type numbers, as Ceph numbers them. */
export const MsgType = {
  CEPH_MSG_PING: 2,
  CEPH_MSG_MON_MAP: 4,
  CEPH_MSG_MON_GET_MAP: 5,
  CEPH_MSG_MON_GET_OSDMAP: 6,
  CEPH_MSG_MON_SUBSCRIBE: 15,
  CEPH_MSG_MON_SUBSCRIBE_ACK: 16,
  CEPH_MSG_MON_GET_VERSION: 19,
  CEPH_MSG_MON_GET_VERSION_REPLY: 20,
  CEPH_MSG_OSD_MAP: 41,
  MSG_MON_COMMAND: 50,
  MSG_MON_COMMAND_ACK: 51,
  MSG_CONFIG: 62,
  MSG_MON_ELECTION: 65,
  MSG_MON_PAXOS: 66,
  MSG_MON_PROBE: 67,
  MSG_MON_SYNC: 69,
  MSG_OSD_BOOT: 71,
  MSG_OSD_FAILURE: 72,
  MSG_OSD_ALIVE: 73,
  MSG_OSD_MARK_ME_DOWN: 74,
  MSG_OSD_PGTEMP: 78,
} as const;

/** Connection feature bits the message encodings test (include/ceph_features.h). */
export const Feature = {
  SUBSCRIBE2: 1n << 4n,
  MONENC: 1n << 33n,
  MSG_ADDR2: 1n << 59n,
  /** CEPH_FEATUREMASK_SERVER_NAUTILUS: bit 2 of incarnation 3 (bits 57 and 28). */
  SERVER_NAUTILUS: (1n << 2n) | (1n << 57n) | (1n << 28n),
} as const;

export function hasFeatures(features: bigint, mask: bigint): boolean {
  return (features & mask) === mask;
}

// ---- reading a payload ----------------------------------------------------------------------------

/** One Buffer for a segment list (a view when it is one Buffer already). */
export function joinSegments(seg: readonly Buffer[]): Buffer {
  if (seg.length === 1) return seg[0]!;
  if (seg.length === 0) return Buffer.alloc(0);
  return Buffer.concat(seg);
}

/** A Decoder over the front segment, labelled with the message's type name. */
export function frontDecoder(raw: RawMessage, label: string): Decoder {
  return new Decoder(joinSegments(raw.front), label);
}

/** Finish an encode: the Encoder's bytes become the front segment. */
export function setFront(m: Message, e: Encoder): void {
  m.front = [e.toBuffer()];
}

// ---- small codecs ---------------------------------------------------------------------------------

export const UUID_ZERO = '00000000-0000-0000-0000-000000000000';

export function encodeUuid(e: Encoder, s: string): void {
  e.raw(uuidToBytes(s));
}

export function decodeUuid(d: Decoder, what: string): string {
  return uuidFromBytes(d.raw(16, what));
}

export function encodeUTime(e: Encoder, t: UTime): void {
  e.u32(t.sec).u32(t.nsec);
}

export function decodeUTime(d: Decoder, what: string): UTime {
  const sec = d.u32(what);
  const nsec = d.u32(what);
  return { sec, nsec };
}

/** A bufferlist field: u32 length then the bytes. Decoded as a copy (the front may be reused). */
export function decodeBl(d: Decoder, what: string): Buffer {
  return Buffer.from(d.bytes(what));
}

export function encodeStringMap(e: Encoder, m: ReadonlyMap<string, string>): void {
  const keys = [...m.keys()].sort(compareNames);
  e.u32(keys.length);
  for (const k of keys) e.string(k).string(m.get(k)!);
}

export function decodeStringMap(d: Decoder, what: string): Map<string, string> {
  return d.map(what, 8, (x) => x.string(what), (x) => x.string(what));
}

export function encodeStringVec(e: Encoder, v: readonly string[]): void {
  e.u32(v.length);
  for (const s of v) e.string(s);
}

export function decodeStringVec(d: Decoder, what: string): string[] {
  return d.list(what, 4, (x) => x.string(what));
}

/** std::set<int32_t>: ascending, duplicates dropped. */
export function encodeIntSet(e: Encoder, s: readonly number[]): void {
  const v = [...new Set(s)].sort((a, b) => a - b);
  e.u32(v.length);
  for (const x of v) e.s32(x);
}

export function decodeIntSet(d: Decoder, what: string): number[] {
  const v = d.list(what, 4, (x) => x.s32(what));
  return [...new Set(v)].sort((a, b) => a - b);
}

/** entity_name_t: u8 type, s64 num. */
export function encodeEntityName(e: Encoder, n: EntityName): void {
  e.u8(n.type).s64(n.num);
}

export function decodeEntityName(d: Decoder, what: string): EntityName {
  const type = d.u8(what);
  const num = d.s64(what);
  return { type, num };
}

/** entity_inst_t: a name and an address. */
export interface EntityInst {
  name: EntityName;
  addr: EntityAddr;
}

export const EMPTY_ENTITY_INST: Readonly<EntityInst> = Object.freeze({
  name: { type: 0, num: 0 },
  addr: { type: 0, nonce: 0, family: 0, sockaddr: Buffer.alloc(0) },
});

export function encodeEntityInst(e: Encoder, i: EntityInst, features: bigint): void {
  encodeEntityName(e, i.name);
  encodeEntityAddrFeatures(e, i.addr, features);
}

export function decodeEntityInst(d: Decoder, what: string): EntityInst {
  const name = decodeEntityName(d, what);
  const addr = decodeEntityAddr(d, what);
  return { name, addr };
}

// ---- PaxosServiceMessage --------------------------------------------------------------------------

/**
 * Ceph's PaxosServiceMessage: the messages a monitor's Paxos services handle start their payload with
 * (version u64, deprecated_session_mon s16 = -1, deprecated_session_mon_tid u64). `version` is the
 * sender's map epoch where that means something (MOSDBoot, MOSDFailure ...), else 0.
 * rxElectionEpoch is local to the receiving monitor and never encoded.
 */
export abstract class PaxosServiceMessage extends Message {
  version = 0;
  deprecatedSessionMon = -1;
  deprecatedSessionMonTid = 0;
  rxElectionEpoch = 0;

  protected paxosEncode(e: Encoder): void {
    e.u64(this.version).s16(this.deprecatedSessionMon).u64(this.deprecatedSessionMonTid);
  }

  protected paxosDecode(d: Decoder): void {
    this.version = d.u64('paxos version');
    this.deprecatedSessionMon = d.s16('paxos deprecated_session_mon');
    this.deprecatedSessionMonTid = d.u64('paxos deprecated_session_mon_tid');
  }
}
