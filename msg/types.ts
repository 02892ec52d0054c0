// The messenger's public API: what monitors, OSDs and clients use to talk. Modelled on Ceph's
// Messenger / Connection / Dispatcher (src/msg/Messenger.h, Connection.h, Dispatcher.h, Policy.h) with
// one event-driven shell per process: no thread or timer per connection or per message.
//
// Contract (written by the lead; implementation: msg/messenger.ts and below; users: mon/, clients):
// - createMessenger(opts) returns a Messenger. `bind` listens (msgr2 on TCP first); `start` begins
//   accepting; `connectTo` returns the one Connection for that peer address (created lazily, connected
//   in the background; messages sent before the session is up are queued, within the throttles).
// - Delivery: Dispatcher.dispatch(conn, m) once per received message, in order per connection. For a
//   lossless peer policy every message is delivered exactly once and in order across reconnects; for a
//   lossy policy a fault drops the session and queued messages, and `handleReset` tells the user, who
//   resends what it still needs (as Ceph's MonClient and Objecter do).
// - Errors from the network never throw into the user: a malformed frame, bad crc, oversized segment or
//   protocol violation closes that connection with a logged reason (and `handleReset`/reconnect by
//   policy); the process keeps serving other connections.
// - Throttles: bytes and messages in flight, per connection and per messenger, for both directions.
//   A receiver that is over its limit stops reading that socket (TCP pushes back on the sender);
//   `send` never blocks, but a sender can await `conn.drained()` / check `conn.sendQueueBytes`.

import type { EntityAddr, EntityAddrVec } from '../common/osdmap/index.js';
import type { EntityName, Message } from './message.js';

/** Ceph's Messenger::Policy. */
export interface Policy {
  /** A fault drops the session (client side); otherwise reconnect and replay. */
  lossy: boolean;
  /** Accept side only: never initiate a reconnect to this peer (Ceph's `server`). */
  server: boolean;
  /** Lossless but do not reconnect until there is something to send (Ceph's `standby`). */
  standby: boolean;
  /** Detect a peer that restarted (new global seq / cookie) and reset the session (`resetcheck`). */
  resetcheck: boolean;
  /** Features this peer type must support, else the handshake fails (IDENT_MISSING_FEATURES). */
  featuresRequired: bigint;
}

export const Policies = {
  /** A client talking to a mon or OSD: lossy, client side. */
  lossyClient: (): Policy => ({ lossy: true, server: false, standby: false, resetcheck: false, featuresRequired: 0n }),
  /** A mon or OSD accepting clients: lossy, server side. */
  statelessServer: (): Policy => ({ lossy: true, server: true, standby: false, resetcheck: false, featuresRequired: 0n }),
  /** Mon to mon, OSD to OSD: lossless both ways, exactly-once delivery across reconnects. */
  losslessPeer: (): Policy => ({ lossy: false, server: false, standby: false, resetcheck: true, featuresRequired: 0n }),
  /** Lossless peer that reconnects only when it has something to send. */
  losslessPeerReuse: (): Policy => ({ lossy: false, server: false, standby: true, resetcheck: true, featuresRequired: 0n }),
} as const;

export interface ThrottleLimits {
  /** Received message bytes (front+middle+data) not yet released by the dispatcher, per messenger. */
  receiveBytesMax: number;
  receiveMessagesMax: number;
  /** Queued-for-send bytes per connection beyond which conn.sendQueueBytes reports pressure. */
  sendQueueBytesMax: number;
  /** Largest accepted segment and frame (oversized input closes the connection). */
  segmentBytesMax: number;
}

export interface Logger {
  debug(msg: string): void;
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface MessengerOptions {
  /** Who this process is (mon.0, osd.3, client.?). */
  entity: EntityName;
  /** Random per process in Ceph; injected so tests are deterministic. */
  nonce: number;
  /** Policy for each peer entity type (EntityType value); `defaultPolicy` for the rest. */
  policies?: ReadonlyMap<number, Policy>;
  defaultPolicy?: Policy;
  /** Our feature bits (Ceph's CEPH_FEATURES_*); peers see them in IDENT. */
  features?: bigint;
  throttles?: Partial<ThrottleLimits>;
  log?: Logger;
  /** Keepalive interval and the time without input after which a connection is faulted. */
  keepaliveIntervalMs?: number;
  connectionTimeoutMs?: number;
  /** Session cookies (random u64, never 0, in Ceph); injected so a simulation is deterministic. */
  randomU64?: () => bigint;
  /** The transport; TCP when omitted. */
  transport?: unknown; // msg/transport.ts Transport; typed there (kept unknown here to avoid a cycle)
}

export interface Dispatcher {
  /**
   * One received message, in order per connection. Its bytes count against the receive throttle until
   * dispatch returns, or, if it returns a promise (any thenable), until that settles.
   */
  dispatch(conn: Connection, m: Message): void | PromiseLike<void>;
  /** Our outgoing session is up (after SERVER_IDENT). */
  handleConnect?(conn: Connection): void;
  /** An incoming session is up (after CLIENT_IDENT accepted). */
  handleAccept?(conn: Connection): void;
  /** The session was dropped (lossy fault, markDown, or peer reset): queued messages are gone. */
  handleReset?(conn: Connection): void;
  /** The peer restarted and reset our lossless session (SESSION_RESET). */
  handleRemoteReset?(conn: Connection): void;
  /** Could not connect at all (ECONNREFUSED etc.); lossy connections are then closed. */
  handleRefused?(conn: Connection): void;
}

export interface Connection {
  /** Peer's entity (known once IDENT is exchanged; type from policy guess before). */
  readonly peerName: EntityName;
  readonly peerAddrs: EntityAddrVec;
  /** Features the peer announced (0n before the handshake). */
  readonly features: bigint;
  readonly isConnected: boolean;
  /** Bytes queued and not yet written to the transport. */
  readonly sendQueueBytes: number;
  /** Queue a message (encoded now with the peer's features, or on connect). Never throws for network faults. */
  send(m: Message): void;
  /** Resolves once the send queue is below the per-connection limit. */
  drained(): Promise<void>;
  /** Send a KEEPALIVE2 now (the messenger also sends them on its interval). */
  keepalive(): void;
  /** Close this connection and drop its session; no handleReset for a local markDown. */
  markDown(): void;
  /** Free-form slot for the user (Ceph's Connection::priv), e.g. a monitor's session. */
  priv: unknown;
}

export interface Messenger {
  readonly myName: EntityName;
  /** Addresses we listen on (after bind), as msgr2 addresses (type 2, our nonce). */
  readonly myAddrs: EntityAddrVec;
  /** Listen on host:port (port 0 picks one). Resolves with the bound addresses. */
  bind(host: string, port: number): Promise<EntityAddrVec>;
  /**
   * Ceph's AsyncMessenger::rebind: take a new nonce, stop listening, mark down every lossless session
   * and accept in progress (no handleReset), and listen again on the first of `ports` (host) that binds;
   * then lossy sessions are closed with handleReset (their owners reconnect with the new address).
   * Resolves with the new addresses; EBUSY when no port binds. Optional: test
   * doubles may leave it out (an OSD then boots again at its old address).
   */
  rebind?(host: string, ports: readonly number[]): Promise<EntityAddrVec>;
  addDispatcher(d: Dispatcher): void;
  start(): void;
  /** The connection to this peer (existing or new). */
  connectTo(peerType: number, addrs: EntityAddrVec): Connection;
  /** Close everything; pending sends are dropped. */
  shutdown(): Promise<void>;
  /** Counters for tests and `perf dump`-style output. */
  stats(): MessengerStats;
}

export interface MessengerStats {
  connections: number;
  messagesSent: number;
  messagesReceived: number;
  bytesSent: number;
  bytesReceived: number;
  faults: number;
  receiveBytesInFlight: number;
}

/** Helpers callers need for addresses (msgr2 = type 2 in entity_addr_t). */
export const EntityAddrType = { NONE: 0, LEGACY: 1, MSGR2: 2, ANY: 3 } as const;

export type { EntityAddr, EntityAddrVec };
