// The PG shell: one placement group on this OSD. It drives the pure peering core (osd/core/peering.ts)
// with maps and peer messages and executes its effects (send, persist, recover), runs client ops
// through the op executor (osd/core/opexec.ts) on the primary, replicates writes (MOSDRepOp) and
// answers the client once every acting member has the write on disk, and applies MOSDRepOps as a
// replica. Persistence goes through osd/pgmeta.ts in the same store transaction as the data.
//
// SKELETON: the first commit gives the daemon (osd/osd.ts) the class and its factory functions to build
// against; the op path, replication and recovery follow in later commits.

import type { OSDMap, PgId } from '../common/osdmap/index.js';
import { CephError } from '../common/errors.js';
import type { Connection, Message } from '../msg/index.js';
import { MOSDOp, MOSDOpReply } from '../msg/messages/osdop.js';
import type { PgStat } from '../msg/messages/pgtypes.js';
import type { PgHandle, PgHost } from './pg-api.js';
import { parseCollection, pgCollection, type ObjectStore } from './objectstore/types.js';

/** Every PG collection this store holds (Ceph's OSD::load_pgs reads the same list). */
export async function listStoredPgs(store: ObjectStore): Promise<PgId[]> {
  const out: PgId[] = [];
  for (const cid of await store.listCollections()) {
    const p = parseCollection(cid);
    if (p && p.kind === 'pg') out.push({ pool: p.pool, seed: p.seed });
  }
  out.sort((a, b) => (a.pool !== b.pool ? a.pool - b.pool : a.seed - b.seed));
  return out;
}

export class PG implements PgHandle {
  readonly pgid: PgId;
  readonly cid: string;
  private closed = false;

  private constructor(private readonly host: PgHost, pgid: PgId) {
    this.pgid = { ...pgid };
    this.cid = pgCollection(pgid.pool, pgid.seed);
  }

  /** A new PG: makes its collection and meta object. */
  static async create(host: PgHost, pgid: PgId, _createdEpoch: number, _poolCreatedEpoch: number): Promise<PG> {
    return new PG(host, pgid);
  }

  /** A PG this store already holds (after a restart). */
  static async load(host: PgHost, pgid: PgId): Promise<PG> {
    return new PG(host, pgid);
  }

  advanceMap(_map: OSDMap): void {}

  activateMap(): void {}

  handleClientOp(m: MOSDOp, conn: Connection): void {
    if (this.closed) return;
    conn.send(MOSDOpReply.replyTo(m, -95, this.host.currentMap().epoch));
  }

  handlePeerMessage(_fromOsd: number, _m: Message): void {}

  stats(): PgStat {
    throw new CephError('EOPNOTSUPP', 'PG.stats: not yet');
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}
