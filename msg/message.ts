// The message envelope every tsceph daemon and client exchanges, and the registry that turns a received
// envelope into a typed message class. Ceph's names and wire layout: a message is a header
// (ceph_msg_header2 in msgr2) plus three payload segments, front (the encoded fields), middle (rarely
// used) and data (bulk bytes, e.g. object data), each kept as a list of Buffers so bulk data is never
// copied between the socket and its user.
//
// Contract (written by the lead; implementations: msg/messages/*.ts, the messenger in msg/):
// - A typed message class extends Message, has a static `TYPE` (Ceph's CEPH_MSG_* / MSG_* number) and
//   `HEAD_VERSION` / `COMPAT_VERSION`, fills its payload in `encodePayload(features)` and reads it back
//   in a static `decode(raw, features)`. One encode and one decode per class, in Ceph's encoding.
// - `registerMessage(TYPE, decode)` is called once per class at module load (msg/messages/index.ts);
//   `decodeMessage(raw, features)` picks the class by header type. An unknown type or bytes a class
//   cannot decode is an operating error: CephError('EBADMSG') naming the type, never a crash.
// - The messenger owns seq / ackSeq (per-session numbering); senders set only tid and priority.

import { CephError } from '../common/errors.js';

/** entity_name_t: what kind of entity and which one (mon.0, osd.3, client.4123). */
export const EntityType = {
  MON: 0x01,
  MDS: 0x02,
  OSD: 0x04,
  CLIENT: 0x08,
  MGR: 0x10,
  AUTH: 0x20,
  ANY: 0xff,
} as const;
export type EntityTypeValue = (typeof EntityType)[keyof typeof EntityType];

export interface EntityName {
  type: number; // EntityType value
  num: number; // signed 64-bit in Ceph; -1 (CEPH_ENTITY_NUM_NEW / "new") until assigned
}

/** "mon.0", "osd.3", "client.?" (Ceph's entity_name_t printing). */
export function entityNameString(n: EntityName): string {
  const t = entityTypeName(n.type);
  return n.num < 0 ? `${t}.?` : `${t}.${n.num}`;
}

export function entityTypeName(type: number): string {
  switch (type) {
    case EntityType.MON: return 'mon';
    case EntityType.MDS: return 'mds';
    case EntityType.OSD: return 'osd';
    case EntityType.CLIENT: return 'client';
    case EntityType.MGR: return 'mgr';
    case EntityType.AUTH: return 'auth';
    default: return 'unknown';
  }
}

/** Message priorities (CEPH_MSG_PRIO_*). */
export const MsgPriority = { LOW: 64, DEFAULT: 127, HIGH: 196, HIGHEST: 255 } as const;

/** ceph_msg_header2 fields, as the messenger sends and receives them. */
export interface MsgHeader {
  seq: number; // per session, set by the messenger
  tid: number; // transaction id, set by the sender (0 if unused)
  type: number; // CEPH_MSG_* / MSG_*
  priority: number;
  version: number; // HEAD_VERSION of the payload encoding
  compatVersion: number;
  dataOff: number; // data alignment hint (Ceph's data_off), usually 0
  ackSeq: number; // set by the messenger
  flags: number;
}

/** A message as it crosses the wire: header plus the three segments as Buffer lists. */
export interface RawMessage {
  header: MsgHeader;
  front: Buffer[];
  middle: Buffer[];
  data: Buffer[];
}

export function newHeader(type: number, version: number, compatVersion: number): MsgHeader {
  return { seq: 0, tid: 0, type, priority: MsgPriority.DEFAULT, version, compatVersion, dataOff: 0, ackSeq: 0, flags: 0 };
}

/** Total payload bytes of a segment list. */
export function segmentBytes(seg: readonly Buffer[]): number {
  let n = 0;
  for (const b of seg) n += b.length;
  return n;
}

/**
 * The base of every typed message. Subclasses hold their fields as plain properties, named as Ceph
 * names them (camelCase), and implement encodePayload. `header` carries tid / priority / seq; the
 * messenger fills seq and ackSeq when sending and receiving.
 */
export abstract class Message {
  header: MsgHeader;
  /** Set by the messenger on receipt; filled by encodePayload before sending. */
  front: Buffer[] = [];
  middle: Buffer[] = [];
  data: Buffer[] = [];
  /**
   * Called once the messenger no longer references this message's bytes: its write to the socket has
   * finished. Only on lossy connections (a lossless one keeps sent messages for replay); a message
   * dropped unsent (a reset connection) never calls it, and its bytes are left to the GC. The
   * messenger takes it (sets it to null) when it queues the message.
   */
  onWritten: (() => void) | null = null;

  constructor(type: number, version: number, compatVersion: number) {
    this.header = newHeader(type, version, compatVersion);
  }

  get type(): number {
    return this.header.type;
  }

  /** Encode the fields into front (and middle / data) for a peer with these features. */
  abstract encodePayload(features: bigint): void;

  /** Ceph's get_type_name(), e.g. "osd_boot", "mon_map": used in logs. */
  abstract typeName(): string;

  /** The wire form; calls encodePayload. */
  toRaw(features: bigint): RawMessage {
    this.front = [];
    this.middle = [];
    this.data = [];
    this.encodePayload(features);
    return { header: this.header, front: this.front, middle: this.middle, data: this.data };
  }
}

export type MessageDecoder = (raw: RawMessage, features: bigint) => Message;

const registry = new Map<number, { name: string; decode: MessageDecoder }>();

/** Called once per message class (at module load of msg/messages/index.ts). */
export function registerMessage(type: number, name: string, decode: MessageDecoder): void {
  if (registry.has(type)) throw new Error(`tsceph assertion failed: message type ${type} registered twice`);
  registry.set(type, { name, decode });
}

export function isRegisteredMessage(type: number): boolean {
  return registry.has(type);
}

/** Typed message from a received envelope. Unknown type or undecodable bytes: CephError EBADMSG. */
export function decodeMessage(raw: RawMessage, features: bigint): Message {
  const entry = registry.get(raw.header.type);
  if (!entry) throw new CephError('EBADMSG', `unknown message type ${raw.header.type}`);
  try {
    const m = entry.decode(raw, features);
    m.header = raw.header;
    m.front = raw.front;
    m.middle = raw.middle;
    m.data = raw.data;
    return m;
  } catch (e) {
    if (e instanceof CephError && e.code === 'EBADMSG') throw e;
    const why = e instanceof Error ? e.message : String(e);
    throw new CephError('EBADMSG', `cannot decode ${entry.name} (type ${raw.header.type}): ${why}`);
  }
}
