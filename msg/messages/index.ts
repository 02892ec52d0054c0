// Every typed message class, registered with the message registry (msg/message.ts) when this module
// loads, so decodeMessage turns a received envelope into its class. Import this module (once is
// enough) wherever messages are received; the classes are re-exported from here.

import { registerMessage, type Message, type MessageDecoder } from '../message.js';
import { MConfig } from './config.js';
import {
  MMonCommand,
  MMonCommandAck,
  MMonGetMap,
  MMonGetOSDMap,
  MMonGetVersion,
  MMonGetVersionReply,
  MMonMap,
  MMonSubscribe,
  MMonSubscribeAck,
} from './mon.js';
import { MLog, MLogAck } from './log.js';
import { MMonElection, MMonPaxos, MMonProbe, MMonSync } from './monpeer.js';
import { MOSDAlive, MOSDBoot, MOSDFailure, MOSDMap, MOSDMarkMeDown, MOSDPGTemp } from './osd.js';
import { MOSDBackoff, MOSDOp, MOSDOpReply, MOSDRepOp, MOSDRepOpReply } from './osdop.js';
import {
  MOSDPGBackfill, MOSDPGInfo2, MOSDPGLease, MOSDPGLeaseAck, MOSDPGLog, MOSDPGNotify, MOSDPGNotify2, MOSDPGPull, MOSDPGPush,
  MOSDPGPushReply, MOSDPGQuery2, MOSDPGRecoveryDelete, MOSDPGRecoveryDeleteReply, MOSDPGRemove, MOSDPGScan, MOSDPGTrim, MOSDPing,
  MBackfillReserve, MRecoveryReserve,
} from './pg.js';
import { MOSDPGCreate2 } from './pgcreate.js';
import { MOSDPGCreated } from './pgcreated.js';
import { MGetPoolStats, MGetPoolStatsReply, MPGStats, MPGStatsAck } from './pgstats.js';
import { MPing } from './ping.js';
import { MStatfs, MStatfsReply } from './statfs.js';

export * from './common.js';
export * from './config.js';
export * from './log.js';
export * from './mon.js';
export * from './monpeer.js';
export * from './osd.js';
export * from './osdop.js';
export * from './pg.js';
export * from './pgcreate.js';
export * from './pgcreated.js';
export * from './pgstats.js';
export * from './pgtypes.js';
export * from './ping.js';
export * from './statfs.js';

interface MessageClass {
  readonly TYPE: number;
  new (): Message;
  decode: MessageDecoder;
}

/** Every class this module registers, in type order. */
export const MESSAGE_CLASSES: readonly MessageClass[] = [
  MPing,
  MMonMap,
  MMonGetMap,
  MMonGetOSDMap,
  MStatfs,
  MStatfsReply,
  MMonSubscribe,
  MMonSubscribeAck,
  MMonGetVersion,
  MMonGetVersionReply,
  MOSDMap,
  MOSDOp,
  MOSDOpReply,
  MMonCommand,
  MMonCommandAck,
  MLog,
  MLogAck,
  MOSDBackoff,
  MConfig,
  MMonElection,
  MMonPaxos,
  MMonProbe,
  MMonSync,
  MOSDBoot,
  MOSDFailure,
  MOSDAlive,
  MOSDMarkMeDown,
  MOSDPGTemp,
  MOSDPGCreate2,
  MOSDPGCreated,
  MOSDRepOp,
  MOSDRepOpReply,
  MGetPoolStats,
  MGetPoolStatsReply,
  MPGStats,
  MPGStatsAck,
  MOSDPing,
  MOSDPGNotify,
  MOSDPGLog,
  MOSDPGRemove,
  MOSDPGTrim,
  MOSDPGScan,
  MOSDPGBackfill,
  MOSDPGPush,
  MOSDPGPull,
  MOSDPGPushReply,
  MOSDPGRecoveryDelete,
  MOSDPGRecoveryDeleteReply,
  MOSDPGNotify2,
  MOSDPGQuery2,
  MOSDPGInfo2,
  MOSDPGLease,
  MOSDPGLeaseAck,
  MBackfillReserve,
  MRecoveryReserve,
];

for (const c of MESSAGE_CLASSES) registerMessage(c.TYPE, new c().typeName(), (raw, features) => c.decode(raw, features));
