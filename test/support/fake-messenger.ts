// An in-process Messenger for tests of the messenger's users (MonClient, the Objecter): connections
// record what is sent on them, and the test scripts what the network does (a session comes up, resets,
// a message arrives). No sockets, no timers.

import type { EntityAddrVec } from '../../common/osdmap/index.js';
import type { Connection, Dispatcher, EntityName, Message, Messenger, MessengerStats } from '../../msg/index.js';

export class FakeConn implements Connection {
  readonly peerName: EntityName;
  readonly features = 0n;
  isConnected: boolean;
  readonly sendQueueBytes = 0;
  priv: unknown = null;
  down = false;
  readonly sent: Message[] = [];
  constructor(readonly peerAddrs: EntityAddrVec, peerType: number, connected: boolean, private readonly refuseAfterDown: boolean) {
    this.peerName = { type: peerType, num: -1 };
    this.isConnected = connected;
  }
  send(m: Message): void {
    if (this.refuseAfterDown && this.down) throw new Error('send on a connection marked down');
    this.sent.push(m);
  }
  drained(): Promise<void> {
    return Promise.resolve();
  }
  keepalive(): void {}
  markDown(): void {
    this.down = true;
  }
}

export interface FakeMessengerOptions {
  /** Entity type of the peers connections are made to (EntityType value). */
  peerType: number;
  /** Our own name. */
  myName: EntityName;
  /** Connections start connected (else a test calls up()). */
  connected?: boolean;
  /** A send on a connection the user marked down fails the test. */
  refuseAfterDown?: boolean;
}

export class FakeMessenger implements Messenger {
  readonly myName: EntityName;
  readonly myAddrs: EntityAddrVec = [];
  readonly conns: FakeConn[] = [];
  readonly dispatchers: Dispatcher[] = [];
  constructor(private readonly opts: FakeMessengerOptions) {
    this.myName = opts.myName;
  }
  bind(): Promise<EntityAddrVec> {
    return Promise.resolve([]);
  }
  addDispatcher(d: Dispatcher): void {
    this.dispatchers.push(d);
  }
  start(): void {}
  connectTo(_type: number, addrs: EntityAddrVec): FakeConn {
    const c = new FakeConn(addrs, this.opts.peerType, this.opts.connected ?? false, this.opts.refuseAfterDown ?? false);
    this.conns.push(c);
    return c;
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
  stats(): MessengerStats {
    return { connections: this.conns.length, messagesSent: 0, messagesReceived: 0, bytesSent: 0, bytesReceived: 0, faults: 0, receiveBytesInFlight: 0 };
  }
  /** Every message sent so far, on any connection, with its connection. */
  sent(): Array<{ conn: FakeConn; m: Message }> {
    return this.conns.flatMap((conn) => conn.sent.map((m) => ({ conn, m })));
  }
  /** The session on `c` is up. */
  up(c: FakeConn): void {
    c.isConnected = true;
    for (const d of this.dispatchers) d.handleConnect?.(c);
  }
  /** The session on `c` faulted. */
  reset(c: FakeConn): void {
    for (const d of this.dispatchers) d.handleReset?.(c);
  }
  /** `m` arrives on `c`. */
  deliver(c: FakeConn, m: Message): void {
    for (const d of this.dispatchers) void d.dispatch(c, m);
  }
}
