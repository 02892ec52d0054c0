// OSD heartbeats (Ceph's OSD::heartbeat, heartbeat_check, send_failures, send_still_alive in
// src/osd/OSD.cc): every OSD pings the OSDs it shares PGs with; a peer that has not answered for
// osd_heartbeat_grace is reported failed to the monitors (MOSDFailure, FLAG_FAILED, failed_for); a
// peer reported failed that answers again gets a cancel (MOSDFailure without FLAG_FAILED). A peer whose
// connection is refused (its process is gone) is reported at once with FLAG_IMMEDIATE, as Ceph does with
// osd_fast_fail_on_connection_refused.
//
// This class is the bookkeeping only: no timers, no sockets. The daemon (osd/osd.ts) calls tick(nowMs)
// on its timer, sends the pings it returns, and feeds it the answers; `HeartbeatWire` turns pings and
// answers into messages. Ceph sends heartbeats on two extra messengers (front and back networks); tsceph
// sends them on the cluster messenger, one path per peer (docs/osd.md says so). The daemon's wire is
// MOSDPing (PING answered by PING_REPLY); a wire over MPing (no replies) exists for tests.

import type { Message } from '../msg/index.js';

/** Ceph's osd_heartbeat_interval (6 s) and osd_heartbeat_grace (20 s). */
export const HEARTBEAT_INTERVAL_MS = 6000;
export const HEARTBEAT_GRACE_MS = 20000;
/** Heartbeat peers held at once (a bound; Ceph has no cap but its PG count bounds it). */
export const HEARTBEAT_PEERS_MAX = 4096;

export interface HeartbeatConfig {
  intervalMs: number;
  graceMs: number;
}

/** What one MOSDPing-like message means to the heartbeat bookkeeping. */
export interface PingInfo {
  /** 'other': a heartbeat message that is neither (MOSDPing YOU_DIED, ...): no answer, no sign of life. */
  kind: 'ping' | 'reply' | 'other';
  /** The sender's stamp (ms on its clock) that a reply echoes; 0 when the wire has none. */
  stampMs: number;
  /** The sender's osdmap epoch. */
  epoch: number;
}

/**
 * How pings travel. With Ceph's MOSDPing a ping carries a stamp the reply echoes; a wire without
 * replies (tsceph's fallback over MPing) reports every ping it receives as a sign of life instead.
 */
export interface HeartbeatWire {
  ping(epoch: number, stampMs: number): Message;
  /** The answer to a received ping, or null when the wire does not answer pings. */
  reply(ping: PingInfo, epoch: number): Message | null;
  /** The meaning of a received message, or null when it is not a heartbeat. */
  read(m: Message): PingInfo | null;
}

interface PeerState {
  osd: number;
  /** When we started pinging it (the grace runs from here until the first answer). */
  sinceMs: number;
  lastTxMs: number;
  lastRxMs: number;
  /** Reported failed to the monitors and not yet cancelled. */
  reported: boolean;
}

export interface FailureReport {
  osd: number;
  /** How long it has not answered (ms); 0 for an immediate report. */
  failedForMs: number;
  immediate: boolean;
}

export interface HeartbeatTick {
  /** Peers to ping now. */
  pings: number[];
  /** New failure reports to send (each peer once until it answers or leaves). */
  failures: FailureReport[];
}

export class Heartbeat {
  private readonly peers = new Map<number, PeerState>();

  constructor(private readonly cfg: HeartbeatConfig) {
    if (!(cfg.intervalMs > 0 && cfg.graceMs > 0)) throw new RangeError('heartbeat interval and grace must be positive');
  }

  /** The peers being watched, in id order. */
  peerIds(): number[] {
    return [...this.peers.keys()].sort((a, b) => a - b);
  }

  /** Peers reported failed and not yet cancelled (resent on a new monitor session). */
  reportedPeers(): number[] {
    return this.peerIds().filter((o) => this.peers.get(o)!.reported);
  }

  /**
   * The OSDs we share PGs with (up in the current map, not us). New ones start their grace now; ones
   * no longer wanted are dropped silently (a peer the map marks down needs no cancel: the monitors
   * forget reports about down OSDs).
   */
  setPeers(osds: Iterable<number>, nowMs: number): void {
    const want = new Set<number>();
    for (const o of osds) {
      if (want.size >= HEARTBEAT_PEERS_MAX) break;
      want.add(o);
    }
    for (const o of [...this.peers.keys()]) if (!want.has(o)) this.peers.delete(o);
    for (const o of want) {
      if (!this.peers.has(o)) this.peers.set(o, { osd: o, sinceMs: nowMs, lastTxMs: Number.NEGATIVE_INFINITY, lastRxMs: 0, reported: false });
    }
  }

  /** A peer answered (a reply, or any sign of life the wire gives). True: send it a cancel now. */
  handleAnswer(osd: number, nowMs: number): boolean {
    const p = this.peers.get(osd);
    if (!p) return false;
    p.lastRxMs = nowMs;
    if (p.reported) {
      p.reported = false;
      return true;
    }
    return false;
  }

  /** The peer's connection was refused: report it at once (unless already reported). */
  handleRefused(osd: number): FailureReport | null {
    const p = this.peers.get(osd);
    if (!p || p.reported) return null;
    p.reported = true;
    return { osd, failedForMs: 0, immediate: true };
  }

  /** Pings due (one per interval per peer) and peers past the grace since their last answer. */
  tick(nowMs: number): HeartbeatTick {
    const out: HeartbeatTick = { pings: [], failures: [] };
    for (const o of this.peerIds()) {
      const p = this.peers.get(o)!;
      if (nowMs - p.lastTxMs >= this.cfg.intervalMs) {
        p.lastTxMs = nowMs;
        out.pings.push(o);
      }
      const heardMs = Math.max(p.lastRxMs, p.sinceMs);
      if (!p.reported && nowMs - heardMs >= this.cfg.graceMs) {
        p.reported = true;
        out.failures.push({ osd: o, failedForMs: nowMs - heardMs, immediate: false });
      }
    }
    return out;
  }

  /** How long a reported peer has been silent (for a resent report). */
  silentForMs(osd: number, nowMs: number): number {
    const p = this.peers.get(osd);
    return p ? nowMs - Math.max(p.lastRxMs, p.sinceMs) : 0;
  }
}
