// MOSDPGCreated: an OSD tells the monitors that a PG of a pool still flagged `creating` exists now (it
// went active with all its replicas), so they stop asking for it and clear the pool's flag once every
// PG has been reported (src/messages/MOSDPGCreated.h in Ceph 16: a PaxosServiceMessage and a pg_t,
// version 1, compat 0).

import { Encoder } from '../../common/encoding.js';
import { decodePgId, encodePgId, type PgId } from '../../common/osdmap/index.js';
import type { RawMessage } from '../message.js';
import { frontDecoder, PaxosServiceMessage, setFront } from './common.js';

/** MSG_OSD_PG_CREATED (src/msg/Message.h). */
export const MSG_OSD_PG_CREATED = 116;

export class MOSDPGCreated extends PaxosServiceMessage {
  static readonly TYPE = MSG_OSD_PG_CREATED;
  static readonly HEAD_VERSION = 1;
  static readonly COMPAT_VERSION = 0;

  pgid: PgId = { pool: 0, seed: 0 };

  constructor(pgid?: PgId) {
    super(MOSDPGCreated.TYPE, MOSDPGCreated.HEAD_VERSION, MOSDPGCreated.COMPAT_VERSION);
    if (pgid !== undefined) this.pgid = { pool: pgid.pool, seed: pgid.seed };
  }

  typeName(): string {
    return 'pg_created';
  }

  encodePayload(_features: bigint): void {
    const e = new Encoder(40);
    this.paxosEncode(e);
    encodePgId(e, this.pgid);
    setFront(this, e);
  }

  static decode(raw: RawMessage, _features: bigint): MOSDPGCreated {
    const d = frontDecoder(raw, 'pg_created');
    const m = new MOSDPGCreated();
    m.paxosDecode(d);
    m.pgid = decodePgId(d, 'pgid');
    return m;
  }
}
