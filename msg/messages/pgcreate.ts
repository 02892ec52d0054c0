// MOSDPGCreate2: a monitor tells an OSD to create placement groups it is the primary of (a new pool's
// PGs), with the epoch and time each was created (src/messages/MOSDPGCreate2.h). Version 2 adds
// per-PG history and past intervals (pg_extra); tsceph sends that map empty, which makes the OSD
// build the initial history itself from the maps since `created`, as it does for a version 1 message.

import { Encoder } from '../../common/encoding.js';
import { decodePgId, encodePgId, type PgId, type UTime } from '../../common/osdmap/index.js';
import { Message, type RawMessage } from '../message.js';
import { decodeUTime, encodeUTime, frontDecoder, setFront } from './common.js';


/** MSG_OSD_PG_CREATE2 (src/msg/Message.h). */
export const MSG_OSD_PG_CREATE2 = 120;

export interface PgCreate {
  pgid: PgId;
  shard: number;
  created: number; // epoch
  createdStamp: UTime;
}

export class MOSDPGCreate2 extends Message {
  static readonly TYPE = MSG_OSD_PG_CREATE2;
  static readonly HEAD_VERSION = 2;
  static readonly COMPAT_VERSION = 1;

  epoch = 0;
  pgs: PgCreate[] = [];

  constructor(epoch?: number, pgs?: PgCreate[]) {
    super(MOSDPGCreate2.TYPE, MOSDPGCreate2.HEAD_VERSION, MOSDPGCreate2.COMPAT_VERSION);
    if (epoch !== undefined) this.epoch = epoch;
    if (pgs !== undefined) this.pgs = pgs;
  }

  typeName(): string {
    return 'pg_create2';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(32 + this.pgs.length * 40);
    e.u32(this.epoch);
    // std::map<spg_t, ...>: ordered by pool, seed, shard.
    const sorted = [...this.pgs].sort((a, b) => a.pgid.pool - b.pgid.pool || a.pgid.seed - b.pgid.seed || a.shard - b.shard);
    e.u32(sorted.length);
    for (const p of sorted) {
      e.startStruct(1, 1);
      encodePgId(e, p.pgid);
      e.u8(p.shard & 0xff);
      e.finishStruct();
      e.u32(p.created);
      encodeUTime(e, p.createdStamp);
    }
    e.u32(0); // pg_extra: none (the OSD builds the history)
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MOSDPGCreate2 {
    const d = frontDecoder(raw, 'pg_create2');
    const m = new MOSDPGCreate2();
    m.epoch = d.u32('epoch');
    const n = d.count('pgs', 26);
    for (let i = 0; i < n; i++) {
      d.decodeStart(1, 'spg_t');
      const pgid = decodePgId(d, 'pgid');
      const shard = d.u8('shard');
      d.decodeFinish('spg_t');
      const created = d.u32('created');
      const createdStamp = decodeUTime(d, 'created stamp');
      m.pgs.push({ pgid, shard: shard > 127 ? shard - 256 : shard, created, createdStamp });
    }
    if (raw.header.version >= 2 && d.count('pg_extra', 0) > 0) d.malformed('pg_extra', 'per-PG history is not supported');
    return m;
  }
}
