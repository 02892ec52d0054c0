// The OSD's hold on its client ops' received bytes: Ceph's osd_client_message_size_cap and
// osd_client_message_cap (OSD.cc gives the client policy a byte and a message Throttle; a message keeps
// its share until the op is done with it). Here the messenger keeps a receive budget for peers of
// type client (MessengerExtras.receiveBudgets) and counts each message against it until the promise its
// dispatcher returned settles; this module makes that promise for each client MOSDOp and settles it
// when the op is answered, so the bytes of the client writes an OSD holds are bounded and a client over
// the budget is not read until ops finish.
//
// Why not pg.ts: the PG answers through the Connection it was given (`conn.send(reply)`), so the OSD
// hands the PG a wrapper per client connection whose send() sees each MOSDOpReply and settles the hold
// of that tid. No change to the op path.
//
// Every hold settles, or a client would be paused for good:
// 1. a reply with the op's tid goes out on the connection (the usual end, also a dup's reply);
// 2. the client sends an op with the same tid again (a resend replaces the op it resent);
// 3. the OSD drops the op without a reply (dropped(), from the OSD's drop paths);
// 4. the connection is reset (its ops' replies could not reach the client anyway);
// 5. the OSD stops;
// 6. it is older than CLIENT_OP_HOLD_MS_MAX: a PG drops ops without telling the OSD (misdirected after a
//    map change, a full wait queue, a new interval; the client resends elsewhere), and Ceph's answer,
//    a Message whose last reference is gone, has no equivalent here. Releasing an op that is still
//    running only loosens the bound for that op; it never breaks the op.
// Peers' MOSDRepOps are never under this budget: an op holding it waits on their replies, and the
// messenger does not pause a connection for a budget that is not its peer type's.

import type { EntityAddrVec } from '../common/osdmap/index.js';
import { MOSDOpReply, type Connection, type EntityName, type Message, type MOSDOp } from '../msg/index.js';

/** A hold older than this is released whatever became of its op (case 6 above). */
export const CLIENT_OP_HOLD_MS_MAX = 10_000;

interface Hold {
  settle: () => void;
  sinceMs: number;
}

/** The Connection the PG sees for a client: the messenger's, with each op reply settling its hold. */
class HeldConnection implements Connection {
  /** Unsettled holds by the op's tid. */
  readonly holds = new Map<number, Hold>();

  constructor(readonly inner: Connection) {}

  get peerName(): EntityName {
    return this.inner.peerName;
  }
  get peerAddrs(): EntityAddrVec {
    return this.inner.peerAddrs;
  }
  get features(): bigint {
    return this.inner.features;
  }
  get isConnected(): boolean {
    return this.inner.isConnected;
  }
  get sendQueueBytes(): number {
    return this.inner.sendQueueBytes;
  }
  get priv(): unknown {
    return this.inner.priv;
  }
  set priv(v: unknown) {
    this.inner.priv = v;
  }

  send(m: Message): void {
    this.inner.send(m);
    if (m instanceof MOSDOpReply) this.settle(m.header.tid);
  }

  drained(): Promise<void> {
    return this.inner.drained();
  }
  keepalive(): void {
    this.inner.keepalive();
  }
  markDown(): void {
    this.inner.markDown();
  }

  settle(tid: number): void {
    const h = this.holds.get(tid);
    if (h === undefined) return;
    this.holds.delete(tid);
    h.settle();
  }

  settleAll(): void {
    const all = [...this.holds.values()];
    this.holds.clear();
    for (const h of all) h.settle();
  }
}

/** The OSD's client-op holds, one HeldConnection per client connection. */
export class ClientOpHolds {
  private readonly conns = new Map<Connection, HeldConnection>();
  /** Counters (tests read them). */
  held = 0;
  settledByAge = 0;

  /** The hold count now, over every client connection. */
  get size(): number {
    let n = 0;
    for (const c of this.conns.values()) n += c.holds.size;
    return n;
  }

  /**
   * Hold `m`, just received on `conn`: returns the Connection to give the PG (replies through it
   * settle the hold) and the promise the messenger waits on.
   */
  hold(conn: Connection, m: MOSDOp, nowMs: number): { conn: Connection; settled: Promise<void> } {
    let hc = this.conns.get(conn);
    if (hc === undefined) {
      hc = new HeldConnection(conn);
      this.conns.set(conn, hc);
    }
    const tid = m.header.tid;
    hc.settle(tid); // a resend replaces the op it resends (case 2)
    this.held++;
    const holds = hc.holds;
    const settled = new Promise<void>((resolve) => {
      holds.set(tid, { settle: resolve, sinceMs: nowMs });
    });
    return { conn: hc, settled };
  }

  /** The OSD dropped `m` without a reply (case 3); `conn` is the one hold() returned. */
  dropped(conn: Connection, m: MOSDOp): void {
    if (conn instanceof HeldConnection) conn.settle(m.header.tid);
  }

  /** The messenger reset this client connection (case 4). */
  reset(conn: Connection): void {
    const hc = this.conns.get(conn);
    if (hc === undefined) return;
    this.conns.delete(conn);
    hc.settleAll();
  }

  /** Release holds older than CLIENT_OP_HOLD_MS_MAX (case 6) and forget idle closed connections. */
  sweep(nowMs: number): void {
    for (const [conn, hc] of this.conns) {
      for (const [tid, h] of hc.holds) {
        if (nowMs - h.sinceMs <= CLIENT_OP_HOLD_MS_MAX) continue;
        this.settledByAge++;
        hc.settle(tid);
      }
      if (hc.holds.size === 0 && !conn.isConnected) this.conns.delete(conn);
    }
  }

  /** The OSD stops (case 5). */
  settleAll(): void {
    for (const hc of this.conns.values()) hc.settleAll();
    this.conns.clear();
  }
}
