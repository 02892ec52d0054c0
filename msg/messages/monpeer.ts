// The monitor-to-monitor messages (src/messages/MMonElection.h, MMonPaxos.h, MMonProbe.h, MMonSync.h
// in Ceph 16). Each class has exactly the fields of the quorum core's shapes in mon/core/types.ts
// (ElectionMessage, PaxosMessage, ProbeMessage, SyncMessage); toPeerMessage / fromPeerMessage move
// between the typed wire classes and the core's PeerMessage union.

import { Encoder } from '../../common/encoding.js';
import { decodeMonMap, encodeMonMap, inferReleaseFromMonFeatures } from '../../common/monmap/index.js';
import { ElectionStrategy } from '../../common/monmap/types.js';
import type { UTime } from '../../common/osdmap/index.js';
import type { ElectionMessage, PaxosMessage, PeerMessage, ProbeMessage, SyncMessage } from '../../mon/core/types.js';
import { Message, type RawMessage } from '../message.js';
import {
  EMPTY_ENTITY_INST,
  Feature,
  MsgType,
  UUID_ZERO,
  decodeBl,
  decodeEntityInst,
  decodeIntSet,
  decodeStringMap,
  decodeUTime,
  decodeUuid,
  encodeEntityInst,
  encodeIntSet,
  encodeStringMap,
  encodeUTime,
  encodeUuid,
  frontDecoder,
  hasFeatures,
  setFront,
  type EntityInst,
} from './common.js';

/** The features a peer needs for the MonMap in a message to go unchanged (else it is re-encoded). */
const MONMAP_AS_IS_FEATURES = Feature.MONENC | Feature.MSG_ADDR2 | Feature.SERVER_NAUTILUS;

function monmapForPeer(bl: Buffer, features: bigint): Buffer {
  if (!bl.length || hasFeatures(features, MONMAP_AS_IS_FEATURES)) return bl;
  return encodeMonMap(decodeMonMap(bl), features);
}

function encodeMonFeatures(e: Encoder, f: bigint): void {
  e.startStruct(1, 1).u64Big(f).finishStruct();
}

const ZERO_UTIME: Readonly<UTime> = Object.freeze({ sec: 0, nsec: 0 });

// ---- MMonElection ---------------------------------------------------------------------------------

export class MMonElection extends Message implements ElectionMessage {
  static readonly TYPE = MsgType.MSG_MON_ELECTION;
  static readonly HEAD_VERSION = 9;
  static readonly COMPAT_VERSION = 5;

  fsid = UUID_ZERO;
  op = 0;
  epoch = 0;
  monmapBl: Buffer = Buffer.alloc(0);
  quorum: number[] = [];
  quorumFeatures = 0n;
  monFeatures = 0n;
  monRelease = 0;
  sharingBl: Buffer = Buffer.alloc(0);
  scoringBl: Buffer = Buffer.alloc(0);
  strategy = 0;
  metadata = new Map<string, string>();

  constructor(fields?: ElectionMessage) {
    super(MMonElection.TYPE, MMonElection.HEAD_VERSION, MMonElection.COMPAT_VERSION);
    if (fields) {
      this.fsid = fields.fsid;
      this.op = fields.op;
      this.epoch = fields.epoch;
      this.monmapBl = fields.monmapBl;
      this.quorum = [...fields.quorum];
      this.quorumFeatures = fields.quorumFeatures;
      this.monFeatures = fields.monFeatures;
      this.monRelease = fields.monRelease;
      this.sharingBl = fields.sharingBl;
      this.scoringBl = fields.scoringBl;
      this.strategy = fields.strategy;
      this.metadata = new Map(fields.metadata);
    }
  }

  typeName(): string {
    return 'election';
  }

  encodePayload(features: bigint): void {
    const monmap = monmapForPeer(this.monmapBl, features);
    const e = new Encoder(128 + monmap.length + this.sharingBl.length + this.scoringBl.length);
    encodeUuid(e, this.fsid);
    e.s32(this.op).u32(this.epoch);
    e.bytes(monmap);
    encodeIntSet(e, this.quorum);
    e.u64Big(this.quorumFeatures);
    e.u64(0).u64(0); // defunct fields of the old encoding
    e.bytes(this.sharingBl);
    encodeMonFeatures(e, this.monFeatures);
    encodeStringMap(e, this.metadata);
    e.u8(this.monRelease);
    e.bytes(this.scoringBl);
    e.u8(this.strategy);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MMonElection {
    const d = frontDecoder(raw, 'election');
    const v = raw.header.version;
    const m = new MMonElection();
    m.fsid = decodeUuid(d, 'fsid');
    m.op = d.s32('op');
    m.epoch = d.u32('epoch');
    m.monmapBl = decodeBl(d, 'monmap_bl');
    m.quorum = decodeIntSet(d, 'quorum');
    m.quorumFeatures = d.u64Big('quorum_features');
    d.u64Big('defunct');
    d.u64Big('defunct');
    m.sharingBl = decodeBl(d, 'sharing_bl');
    if (v >= 6) {
      d.decodeStart(1, 'mon_features');
      m.monFeatures = d.u64Big('mon_features');
      d.decodeFinish('mon_features');
    }
    if (v >= 7) m.metadata = decodeStringMap(d, 'metadata');
    m.monRelease = v >= 8 ? d.u8('mon_release') : inferReleaseFromMonFeatures(m.monFeatures);
    if (v >= 9) {
      m.scoringBl = decodeBl(d, 'scoring_bl');
      m.strategy = d.u8('strategy');
    } else {
      m.strategy = ElectionStrategy.CLASSIC;
    }
    return m;
  }
}

// ---- MMonPaxos ------------------------------------------------------------------------------------

export class MMonPaxos extends Message implements PaxosMessage {
  static readonly TYPE = MsgType.MSG_MON_PAXOS;
  static readonly HEAD_VERSION = 4;
  static readonly COMPAT_VERSION = 3;

  epoch = 0;
  op = 0;
  firstCommitted = 0;
  lastCommitted = 0;
  pnFrom = 0;
  pn = 0;
  uncommittedPn = 0;
  leaseTimestamp: UTime = { ...ZERO_UTIME };
  sentTimestamp: UTime = { ...ZERO_UTIME };
  latestVersion = 0;
  latestValue: Buffer = Buffer.alloc(0);
  values = new Map<number, Buffer>();
  featureMap: Buffer = Buffer.alloc(0);

  constructor(fields?: PaxosMessage) {
    super(MMonPaxos.TYPE, MMonPaxos.HEAD_VERSION, MMonPaxos.COMPAT_VERSION);
    if (fields) {
      this.epoch = fields.epoch;
      this.op = fields.op;
      this.firstCommitted = fields.firstCommitted;
      this.lastCommitted = fields.lastCommitted;
      this.pnFrom = fields.pnFrom;
      this.pn = fields.pn;
      this.uncommittedPn = fields.uncommittedPn;
      this.leaseTimestamp = { ...fields.leaseTimestamp };
      this.sentTimestamp = { ...fields.sentTimestamp };
      this.latestVersion = fields.latestVersion;
      this.latestValue = fields.latestValue;
      this.values = new Map(fields.values);
      this.featureMap = fields.featureMap;
    }
  }

  typeName(): string {
    return 'paxos';
  }

  encodePayload(_features: bigint): void {
    let bytes = 128 + this.latestValue.length + this.featureMap.length;
    for (const v of this.values.values()) bytes += 12 + v.length;
    const e = new Encoder(bytes);
    e.u32(this.epoch).s32(this.op);
    e.u64(this.firstCommitted).u64(this.lastCommitted).u64(this.pnFrom).u64(this.pn).u64(this.uncommittedPn);
    encodeUTime(e, this.leaseTimestamp);
    encodeUTime(e, this.sentTimestamp);
    e.u64(this.latestVersion);
    e.bytes(this.latestValue);
    const versions = [...this.values.keys()].sort((a, b) => a - b);
    e.u32(versions.length);
    for (const v of versions) e.u64(v).bytes(this.values.get(v)!);
    e.bytes(this.featureMap);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MMonPaxos {
    const d = frontDecoder(raw, 'paxos');
    const m = new MMonPaxos();
    m.epoch = d.u32('epoch');
    m.op = d.s32('op');
    m.firstCommitted = d.u64('first_committed');
    m.lastCommitted = d.u64('last_committed');
    m.pnFrom = d.u64('pn_from');
    m.pn = d.u64('pn');
    m.uncommittedPn = d.u64('uncommitted_pn');
    m.leaseTimestamp = decodeUTime(d, 'lease_timestamp');
    m.sentTimestamp = decodeUTime(d, 'sent_timestamp');
    m.latestVersion = d.u64('latest_version');
    m.latestValue = decodeBl(d, 'latest_value');
    m.values = d.map('values', 12, (x) => x.u64('values version'), (x) => decodeBl(x, 'values value'));
    if (raw.header.version >= 4) m.featureMap = decodeBl(d, 'feature_map');
    return m;
  }
}

// ---- MMonProbe ------------------------------------------------------------------------------------

export class MMonProbe extends Message implements ProbeMessage {
  static readonly TYPE = MsgType.MSG_MON_PROBE;
  static readonly HEAD_VERSION = 8;
  static readonly COMPAT_VERSION = 5;

  fsid = UUID_ZERO;
  op = 0;
  name = '';
  quorum: number[] = [];
  leader = -1;
  monmapBl: Buffer = Buffer.alloc(0);
  paxosFirstVersion = 0;
  paxosLastVersion = 0;
  hasEverJoined = false;
  requiredFeatures = 0n;
  monRelease = 0;

  constructor(fields?: ProbeMessage) {
    super(MMonProbe.TYPE, MMonProbe.HEAD_VERSION, MMonProbe.COMPAT_VERSION);
    if (fields) {
      this.fsid = fields.fsid;
      this.op = fields.op;
      this.name = fields.name;
      this.quorum = [...fields.quorum];
      this.leader = fields.leader;
      this.monmapBl = fields.monmapBl;
      this.paxosFirstVersion = fields.paxosFirstVersion;
      this.paxosLastVersion = fields.paxosLastVersion;
      this.hasEverJoined = fields.hasEverJoined;
      this.requiredFeatures = fields.requiredFeatures;
      this.monRelease = fields.monRelease;
    }
  }

  typeName(): string {
    return 'mon_probe';
  }

  encodePayload(features: bigint): void {
    const monmap = this.monmapBl.length && (!hasFeatures(features, Feature.MONENC) || !hasFeatures(features, Feature.MSG_ADDR2))
      ? encodeMonMap(decodeMonMap(this.monmapBl), features)
      : this.monmapBl;
    const e = new Encoder(96 + monmap.length + this.name.length);
    encodeUuid(e, this.fsid);
    e.s32(this.op).string(this.name);
    encodeIntSet(e, this.quorum);
    e.bytes(monmap);
    e.bool(this.hasEverJoined);
    e.u64(this.paxosFirstVersion).u64(this.paxosLastVersion);
    e.u64Big(this.requiredFeatures);
    e.u8(this.monRelease);
    e.s32(this.leader);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MMonProbe {
    const d = frontDecoder(raw, 'mon_probe');
    const v = raw.header.version;
    const m = new MMonProbe();
    m.fsid = decodeUuid(d, 'fsid');
    m.op = d.s32('op');
    m.name = d.string('name');
    m.quorum = decodeIntSet(d, 'quorum');
    m.monmapBl = decodeBl(d, 'monmap_bl');
    m.hasEverJoined = d.bool('has_ever_joined');
    m.paxosFirstVersion = d.u64('paxos_first_version');
    m.paxosLastVersion = d.u64('paxos_last_version');
    m.requiredFeatures = v >= 6 ? d.u64Big('required_features') : 0n;
    m.monRelease = v >= 7 ? d.u8('mon_release') : 0;
    if (v >= 8) m.leader = d.s32('leader');
    else m.leader = m.quorum.length ? m.quorum[0]! : -1;
    return m;
  }
}

// ---- MMonSync -------------------------------------------------------------------------------------

export class MMonSync extends Message implements SyncMessage {
  static readonly TYPE = MsgType.MSG_MON_SYNC;
  static readonly HEAD_VERSION = 2;
  static readonly COMPAT_VERSION = 2;

  op = 0;
  cookie = 0;
  lastCommitted = 0;
  lastKey: [string, string] = ['', ''];
  chunkBl: Buffer = Buffer.alloc(0);
  /** entity_inst_t of the monitor a forwarded request came from (unused by tsceph's cores). */
  replyTo: EntityInst = EMPTY_ENTITY_INST;

  constructor(fields?: SyncMessage) {
    super(MMonSync.TYPE, MMonSync.HEAD_VERSION, MMonSync.COMPAT_VERSION);
    if (fields) {
      this.op = fields.op;
      this.cookie = fields.cookie;
      this.lastCommitted = fields.lastCommitted;
      this.lastKey = [fields.lastKey[0], fields.lastKey[1]];
      this.chunkBl = fields.chunkBl;
      if (isEntityInst(fields.replyTo)) this.replyTo = fields.replyTo;
    }
  }

  typeName(): string {
    return 'mon_sync';
  }

  encodePayload(features: bigint): void {
    const e = new Encoder(96 + this.chunkBl.length + this.lastKey[0].length + this.lastKey[1].length);
    e.u32(this.op).u64Big(BigInt(this.cookie)).u64(this.lastCommitted);
    e.string(this.lastKey[0]).string(this.lastKey[1]);
    e.bytes(this.chunkBl);
    encodeEntityInst(e, this.replyTo, features);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MMonSync {
    const d = frontDecoder(raw, 'mon_sync');
    const m = new MMonSync();
    m.op = d.u32('op');
    // Ceph draws cookies from two rand() calls, so one can pass 2^53: read it without refusing it
    // (tsceph's own cookies stay exact; a larger one is rounded, which only a real Ceph peer sends).
    m.cookie = Number(d.u64Big('cookie'));
    m.lastCommitted = d.u64('last_committed');
    m.lastKey = [d.string('last_key prefix'), d.string('last_key key')];
    m.chunkBl = decodeBl(d, 'chunk_bl');
    m.replyTo = decodeEntityInst(d, 'reply_to');
    return m;
  }
}

function isEntityInst(x: unknown): x is EntityInst {
  if (typeof x !== 'object' || x === null) return false;
  const o = x as { name?: unknown; addr?: unknown };
  return typeof o.name === 'object' && o.name !== null && typeof o.addr === 'object' && o.addr !== null;
}

// ---- the core's PeerMessage union -----------------------------------------------------------------

/** The wire message for a quorum core's output. */
export function fromPeerMessage(p: PeerMessage): Message {
  switch (p.kind) {
    case 'paxos': return new MMonPaxos(p.m);
    case 'election': return new MMonElection(p.m);
    case 'probe': return new MMonProbe(p.m);
    case 'sync': return new MMonSync(p.m);
  }
}

/** The quorum core's input for a received peer message; null for any other message. */
export function toPeerMessage(m: Message): PeerMessage | null {
  if (m instanceof MMonPaxos) return { kind: 'paxos', m };
  if (m instanceof MMonElection) return { kind: 'election', m };
  if (m instanceof MMonProbe) return { kind: 'probe', m };
  if (m instanceof MMonSync) return { kind: 'sync', m };
  return null;
}
