// The mapping between the peering core's message shapes (osd/core/peering-api.ts PeeringMessage) and
// the wire classes a Ceph 16 OSD sends (msg/messages/pg.ts), used by the OSD shell in both directions:
//
//   query  <-> MOSDPGQuery2  (spg_t + pg_query_t)
//   notify <-> MOSDPGNotify2 (spg_t + pg_notify_t); a received legacy MOSDPGNotify yields one per entry
//   log    <-> MOSDPGLog     (info, log, missing, past intervals; `to` is the receiver's shard)
//   info   <-> MOSDPGInfo2   (spg_t, epoch_sent, min_epoch = query epoch, info). Ceph's MOSDPGInfo2 has no
//                            past intervals: a received one gives the core empty past intervals.
//   trim   <-> MOSDPGTrim
//
// Shards: tsceph's OSD serves replicated pools, so every shard here is NO_SHARD (-1) unless the core's
// pgid carries one; the pgid of a message is always the receiver's spg_t, as Ceph addresses it.

import type { Message } from '../msg/message.js';
import {
  MOSDPGInfo2, MOSDPGLog, MOSDPGNotify, MOSDPGNotify2, MOSDPGQuery2, MOSDPGTrim,
} from '../msg/messages/pg.js';
import { emptyPastIntervals, type PgNotify } from '../msg/messages/pgtypes.js';
import type { PeeringMessage } from './core/peering-api.js';

/**
 * The wire message for a core message to osd `to`. The sender is not encoded: Ceph's peering messages
 * name it only by shard (the messenger knows the sending OSD).
 */
export function toWire(msg: PeeringMessage): Message {
  switch (msg.kind) {
    case 'query':
      return new MOSDPGQuery2(msg.pgid, {
        type: msg.type, since: msg.since, history: msg.history, epochSent: msg.epochSent, to: msg.pgid.shard,
        from: msg.pgid.shard,
      });
    case 'notify':
      return new MOSDPGNotify2(msg.pgid, {
        queryEpoch: msg.queryEpoch, epochSent: msg.epochSent, info: msg.info, to: msg.pgid.shard,
        from: msg.info.pgid.shard, pastIntervals: msg.pastIntervals,
      });
    case 'log': {
      const m = new MOSDPGLog();
      m.epoch = msg.epochSent;
      m.queryEpoch = msg.queryEpoch;
      m.to = msg.pgid.shard;
      m.from = msg.info.pgid.shard;
      m.info = msg.info;
      m.log = msg.log;
      m.missing = msg.missing;
      m.pastIntervals = msg.pastIntervals;
      return m;
    }
    case 'info':
      return new MOSDPGInfo2(msg.pgid, msg.epochSent, msg.queryEpoch, msg.info);
    case 'trim':
      return new MOSDPGTrim(msg.epochSent, msg.pgid, msg.trimTo);
  }
}

function notifyMessage(pgid: PeeringMessage['pgid'], n: PgNotify): PeeringMessage {
  return { kind: 'notify', pgid, info: n.info, pastIntervals: n.pastIntervals, epochSent: n.epochSent, queryEpoch: n.queryEpoch };
}

/** Every core message a received wire message carries ([] when it is not a peering message). */
export function fromWireAll(m: Message): PeeringMessage[] {
  if (m instanceof MOSDPGQuery2) {
    const q = m.query;
    return [{ kind: 'query', pgid: m.spgid, type: q.type, since: q.since, history: q.history, epochSent: q.epochSent }];
  }
  if (m instanceof MOSDPGNotify2) return [notifyMessage(m.spgid, m.notify)];
  if (m instanceof MOSDPGNotify) {
    return m.pgList.map((n) => notifyMessage({ pgid: n.info.pgid.pgid, shard: n.to }, n));
  }
  if (m instanceof MOSDPGLog) {
    return [{
      kind: 'log', pgid: m.spgid, info: m.info, log: m.log, missing: m.missing, pastIntervals: m.pastIntervals,
      epochSent: m.epoch, queryEpoch: m.queryEpoch,
    }];
  }
  if (m instanceof MOSDPGInfo2) {
    return [{ kind: 'info', pgid: m.spgid, info: m.info, pastIntervals: emptyPastIntervals(), epochSent: m.epochSent, queryEpoch: m.minEpoch }];
  }
  if (m instanceof MOSDPGTrim) return [{ kind: 'trim', pgid: m.pgid, trimTo: m.trimTo, epochSent: m.epoch }];
  return [];
}
