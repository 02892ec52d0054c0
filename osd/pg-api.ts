// CONTRACT between the OSD daemon shell (osd/osd.ts: messengers, monitors, maps, heartbeats, the PG
// registry) and the PG shell (osd/pg.ts: one placement group's client ops, replication, peering and
// recovery over the store). Written by the lead before the OSD work was split; implementers may add
// members (say so in the commit), not change these.

import type { OSDMap, PgId, UTime } from '../common/osdmap/index.js';
import type { Connection, Message } from '../msg/index.js';
import type { MOSDOp, PgStat } from '../msg/index.js';
import type { ObjectStore } from './objectstore/types.js';

/** What the daemon provides to each PG. */
export interface PgHost {
  readonly whoami: number;
  readonly store: ObjectStore;
  /** The newest map this OSD has (PGs may lag behind it while they advance). */
  currentMap(): OSDMap;
  /** The map of an epoch this OSD still holds (PGs advance through each epoch in order), or undefined. */
  mapAt(epoch: number): OSDMap | undefined;
  /** Send to another OSD over the cluster messenger (lossless peer policy), if it is up in the current map. */
  sendToOsd(osd: number, m: Message): void;
  /** Ask the monitors for up_thru >= epoch (MOSDAlive); repeated asks are merged. */
  requestUpThru(epoch: number): void;
  /** Ask the monitors for a pg_temp mapping ([] removes it). */
  requestPgTemp(pgid: PgId, osds: number[]): void;
  /** This PG's state or stats changed: include it in the next stats report soon. */
  statsChanged(pgid: PgId): void;
  now(): UTime;
  /**
   * Optional (added by HD2): the PG deleted its collection (pool gone, or a stray the primary no
   * longer needs); the daemon drops the handle. PG.isRemoved() tells the same.
   */
  pgRemoved?(pgid: PgId): void;
  log(level: 'debug' | 'info' | 'warn' | 'error', msg: string): void;
}

/** One placement group on this OSD (primary, replica or stray). */
export interface PgHandle {
  readonly pgid: PgId;
  /** Feed each new map epoch in order, then activateMap() once per batch. */
  advanceMap(map: OSDMap): void;
  activateMap(): void;
  /** A client op (MOSDOp) for this PG; the PG replies on conn (or drops it if conn is gone). */
  handleClientOp(m: MOSDOp, conn: Connection): void;
  /**
   * Any OSD-to-OSD message for this PG (MOSDRepOp / MOSDRepOpReply, MOSDPGQuery2 / Notify2 / Info2 /
   * Log / Trim, MOSDPGPush / Pull / PushReply, MOSDPGRecoveryDelete / Reply, MOSDPGScan / Backfill).
   */
  handlePeerMessage(fromOsd: number, m: Message): void;
  /** The PG's pg_stat_t now (state, version, up/acting, object and byte counts). */
  stats(): PgStat;
  /** Finish in-flight work and stop (umount or PG removal); resolves when nothing more will be written. */
  close(): Promise<void>;
}
