// MStatfs / MStatfsReply (Ceph 16's messages/MStatfs.h, MStatfsReply.h): a client asks the monitors
// for the cluster's capacity and object count (librados' rados_cluster_stat, `rados df`'s totals) and
// gets Ceph's ceph_mon_statfs_reply back, a fixed-layout C struct.

import { Encoder } from '../../common/encoding.js';
import type { RawMessage } from '../message.js';
import { Message } from '../message.js';
import { PaxosServiceMessage, UUID_ZERO, decodeUuid, encodeUuid, frontDecoder, setFront } from './common.js';

/** CEPH_MSG_STATFS / CEPH_MSG_STATFS_REPLY (include/ceph_fs.h). */
export const StatfsMsgType = { CEPH_MSG_STATFS: 13, CEPH_MSG_STATFS_REPLY: 14 } as const;

/** struct ceph_statfs: sizes in KiB and the object count. */
export interface CephStatfs {
  kb: number;
  kbUsed: number;
  kbAvail: number;
  numObjects: number;
}

/** MStatfs (v2): PaxosServiceMessage header, fsid, optional data pool (CephFS asks per pool). */
export class MStatfs extends PaxosServiceMessage {
  static readonly TYPE = StatfsMsgType.CEPH_MSG_STATFS;
  static readonly HEAD_VERSION = 2;
  static readonly COMPAT_VERSION = 1;

  fsid = UUID_ZERO;
  dataPool: number | null = null;

  constructor(fsid?: string, dataPool: number | null = null) {
    super(MStatfs.TYPE, MStatfs.HEAD_VERSION, MStatfs.COMPAT_VERSION);
    if (fsid !== undefined) this.fsid = fsid;
    this.dataPool = dataPool;
  }

  typeName(): string {
    return 'statfs';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(48);
    this.paxosEncode(e);
    encodeUuid(e, this.fsid);
    e.bool(this.dataPool !== null); // boost::optional<int64_t>
    if (this.dataPool !== null) e.s64(this.dataPool);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MStatfs {
    const d = frontDecoder(raw, 'statfs');
    const m = new MStatfs();
    m.paxosDecode(d);
    m.fsid = decodeUuid(d, 'fsid');
    if (raw.header.version >= 2 && d.bool('data_pool present')) m.dataPool = d.s64('data_pool');
    return m;
  }
}

/** MStatfsReply: ceph_mon_statfs_reply { fsid, version (osdmap epoch), ceph_statfs }. */
export class MStatfsReply extends Message {
  static readonly TYPE = StatfsMsgType.CEPH_MSG_STATFS_REPLY;
  static readonly HEAD_VERSION = 1;
  static readonly COMPAT_VERSION = 0;

  fsid = UUID_ZERO;
  version = 0;
  st: CephStatfs = { kb: 0, kbUsed: 0, kbAvail: 0, numObjects: 0 };

  constructor(fsid?: string, version?: number, st?: CephStatfs) {
    super(MStatfsReply.TYPE, MStatfsReply.HEAD_VERSION, MStatfsReply.COMPAT_VERSION);
    if (fsid !== undefined) this.fsid = fsid;
    if (version !== undefined) this.version = version;
    if (st) this.st = { ...st };
  }

  typeName(): string {
    return 'statfs_reply';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(56);
    encodeUuid(e, this.fsid);
    e.u64(this.version).u64(this.st.kb).u64(this.st.kbUsed).u64(this.st.kbAvail).u64(this.st.numObjects);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MStatfsReply {
    const what = 'statfs_reply';
    const d = frontDecoder(raw, what);
    const fsid = decodeUuid(d, 'fsid');
    const version = d.u64('version');
    const st = { kb: d.u64('kb'), kbUsed: d.u64('kb_used'), kbAvail: d.u64('kb_avail'), numObjects: d.u64('num_objects') };
    return new MStatfsReply(fsid, version, st);
  }
}
