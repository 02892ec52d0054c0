// The messenger shell: sockets, one tick timer per messenger, dispatch and throttles around the pure
// msgr2 protocol core (msg/core/protocol.ts). It owns the table of connections by peer address, resolves
// the accept side's session decisions (new session, resume, reset, connection races) the way Ceph's
// ProtocolV2 does, and executes each protocol batch in order: write, deliver, notify.

import { randomBytes } from 'node:crypto';
import { addrHostPort, makeEntityAddr } from '../common/entityaddr.js';
import { CephError, assert } from '../common/errors.js';
import { qd1Stamp, qd1Trace } from '../common/qd1trace.js';
import type { EntityAddr, EntityAddrVec } from '../common/osdmap/types.js';
import { compareEntityAddr } from '../common/osdmap/encoding.js';
import { formatEntityAddr } from '../common/osdmap/print.js';
import { PACIFIC_FEATURES } from '../common/osdmap/encoding.js';
import { EntityType, decodeMessage, entityNameString, entityTypeName, type EntityName, type Message, type RawMessage } from './message.js';
import {
  Policies, EntityAddrType, type Connection, type Dispatcher, type Logger, type Messenger, type MessengerOptions,
  type MessengerStats, type Policy, type ThrottleLimits,
} from './types.js';
import {
  AuthNoneClient, AuthNoneServer, ProtocolV2, Session, outEntry, rawBytes, type AuthClient, type AuthEntityName, type AuthServer,
  type IdentDecision, type ProtocolEvent, type ProtocolHooks, type ReconnectDecision,
} from './core/protocol.js';
import { SegmentCrcMemo, type ClientIdent, type Reconnect } from './core/frames.js';
import { judgeClientIdent, judgeReconnect, type ExistingView } from './core/sessions.js';
import {
  BACKOFF_INITIAL_MS, BACKOFF_MAX_MS, CONNECTION_TIMEOUT_MS, KEEPALIVE_INTERVAL_MS, RECEIVE_BYTES_MAX, RECEIVE_MESSAGES_MAX, SEGMENT_BYTES_MAX,
  SEND_QUEUE_BYTES_MAX,
} from './core/limits.js';
import { TcpTransport } from './tcp.js';
import type { Transport, TransportListener, TransportSocket } from './transport.js';

/** How often the messenger's single timer looks at keepalives, timeouts and due reconnects. */
export const TICK_INTERVAL_MS = 50;
/** What rebind adds to the nonce, as Ceph's AsyncMessenger::rebind (an address no earlier incarnation used). */
export const REBIND_NONCE_STEP = 1000000;

/** Options beyond the contract: auth hooks and the auth id (client.admin -> "admin"). */
export interface MessengerExtras {
  authClient?: AuthClient;
  authServer?: AuthServer;
  /** The id in our auth EntityName; default "admin" for clients, else the entity number. */
  authId?: string;
  /** Accept side global ids for auth none (a monitor passes its allocator). */
  assignGlobalId?: () => number;
  /** Received bytes one connection may have in its dispatchers before its socket is paused (default: the messenger's receiveBytesMax). */
  connectionReceiveBytesMax?: number;
  /**
   * Receive budgets by peer entity type (Ceph's Policy throttler_bytes / throttler_messages, which the
   * OSD sets for clients from osd_client_message_size_cap / osd_client_message_cap). Every connection
   * to a peer of that type shares the budget. A message counts against it from its arrival until every
   * promise its dispatchers returned settles (not only until dispatch returns, as the messenger-wide
   * throttle); a connection that arrives over the budget stops reading until the budget is below its
   * limits again. Peer types without a budget are never paused by one, so a user may hold one type's
   * messages (clients' ops) while it waits on another type's (its peers' replies).
   */
  receiveBudgets?: ReadonlyMap<number, ReceiveBudgetLimits>;
}

/** The limits of one receive budget (see MessengerExtras.receiveBudgets). */
export interface ReceiveBudgetLimits {
  /** Bytes (front + middle + data) held; a single larger message still passes, alone. */
  bytesMax: number;
  messagesMax: number;
}

/** One receive budget's count, shared by the connections of its peer type. */
export class ReceiveBudget {
  bytes = 0;
  messages = 0;
  /** Highest `bytes` seen (tests check the budget held). */
  bytesPeak = 0;
  constructor(readonly limits: ReceiveBudgetLimits) {
    assert(limits.bytesMax > 0 && limits.messagesMax > 0, 'a receive budget admits at least one message');
  }

  get isOver(): boolean {
    return this.bytes >= this.limits.bytesMax || this.messages >= this.limits.messagesMax;
  }
}

const noLog: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** One transport callback running a write's Message.onWritten callbacks. */
function doneAll(done: ReadonlyArray<() => void>): () => void {
  if (done.length === 1) return done[0]!;
  return () => {
    for (const f of done) f();
  };
}


function msgr2Addr(v: EntityAddrVec): EntityAddr | undefined {
  return v.find((a) => a.type === EntityAddrType.MSGR2) ?? v.find((a) => a.type === EntityAddrType.ANY) ?? v[0];
}

function addrKey(a: EntityAddr): string {
  return `${a.family}/${a.sockaddr.toString('hex')}/${a.nonce >>> 0}`;
}

type Throttles = ThrottleLimits;

class ConnImpl implements Connection {
  peerName: EntityName;
  peerAddrs: EntityAddrVec;
  features = 0n;
  priv: unknown = undefined;
  session = new Session();
  proto: ProtocolV2 | null = null;
  sock: TransportSocket | null = null;
  /** The address we dial to reach the peer (msgr2). */
  target: EntityAddr | null;
  closed = false;
  everConnected = false;
  socketConnected = false;
  reconnectAtMs = 0;
  paused = false;
  /** Received bytes of this connection not yet released by the dispatchers. */
  receiveBytesInFlight = 0;
  peerGlobalId = 0;
  peerAuthName: AuthEntityName | null = null;
  private drainWaiters: Array<() => void> = [];
  private flushScheduled = false;
  private readonly flushNow = (): void => {
    this.flushScheduled = false;
    const p = this.proto;
    if (p && !p.isClosed) {
      if (qd1Trace) qd1Stamp('msgr.flush');
      p.flush();
      this.msgr.pump(this, p);
    }
  };

  constructor(
    readonly msgr: MessengerImpl,
    public policy: Policy,
    peerType: number,
    target: EntityAddr | null,
    readonly key: string,
  ) {
    this.peerName = { type: peerType, num: -1 };
    this.target = target;
    this.peerAddrs = target ? [target] : [];
  }

  get isConnected(): boolean {
    return !!this.proto && this.proto.isReady;
  }

  get sendQueueBytes(): number {
    return this.session.queuedBytes + (this.sock?.writableBytes ?? 0);
  }

  send(m: Message): void {
    if (this.closed) {
      this.msgr.log.debug(`drop ${m.typeName()} to closed ${this.describe()}`);
      return;
    }
    this.msgr.noteSent();
    if (qd1Trace) qd1Stamp(`msgr.send.${m.typeName()}`);
    if (this.proto && !this.proto.isClosed) {
      // Queue now, write at the end of this turn of the event loop: sends made together go out as
      // one gathered write.
      this.proto.send(m, false);
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        queueMicrotask(this.flushNow);
      }
    } else {
      this.session.enqueue(outEntry(m, this.features || this.msgr.features, true));
      if (!this.proto || this.proto.isClosed) this.msgr.wake(this);
    }
  }

  drained(): Promise<void> {
    if (this.closed || this.sendQueueBytes < this.msgr.throttles.sendQueueBytesMax) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  checkDrained(): void {
    if (this.drainWaiters.length === 0) return;
    if (this.closed || this.sendQueueBytes < this.msgr.throttles.sendQueueBytesMax) {
      const w = this.drainWaiters;
      this.drainWaiters = [];
      for (const f of w) f();
    }
  }

  keepalive(): void {
    if (this.proto) {
      this.proto.keepalive(Date.now());
      this.msgr.pump(this, this.proto);
    }
  }

  markDown(): void {
    this.msgr.closeConn(this, false);
  }

  describe(): string {
    return `${entityNameString(this.peerName)} ${this.target ? formatEntityAddr(this.target) : '(incoming)'}`;
  }
}

/** An accepted socket before its CLIENT_IDENT tells which connection it belongs to. */
interface Acceptor {
  proto: ProtocolV2;
  sock: TransportSocket;
  conn: ConnImpl | null;
}

export class MessengerImpl implements Messenger {
  readonly myName: EntityName;
  myAddrs: EntityAddrVec = [];
  readonly log: Logger;
  readonly throttles: Throttles;
  readonly features: bigint;
  private readonly transport: Transport;
  private nonce: number;
  private readonly dispatchers: Dispatcher[] = [];
  private readonly conns = new Map<string, ConnImpl>();
  private readonly acceptors = new Set<Acceptor>();
  private listener: TransportListener | null = null;
  private timer: NodeJS.Timeout | null = null;
  private started = false;
  private shutDown = false;
  private globalSeq = 0;
  private nextGlobalId = 1;
  private readonly authClient: AuthClient;
  private readonly authServer: AuthServer;
  private readonly keepaliveMs: number;
  private readonly connectionReceiveBytesMax: number;
  private readonly timeoutMs: number;
  private readonly pausedConns = new Set<ConnImpl>();
  /** Receive budgets by peer entity type (MessengerExtras.receiveBudgets). */
  readonly receiveBudgets = new Map<number, ReceiveBudget>();
  /**
   * Data segment crcs of this turn: the same Buffers sent on several connections (a primary's sub-ops
   * to its replicas) are checksummed once. Cleared at the end of the turn that gave it its first entry
   * (setImmediate), before any caller can reuse a Buffer it handed to send().
   */
  readonly crcMemo = new SegmentCrcMemo(() => setImmediate(this.clearCrcMemo));
  private readonly clearCrcMemo = (): void => {
    this.crcMemo.clear();
  };
  private counters = { messagesSent: 0, messagesReceived: 0, bytesSent: 0, bytesReceived: 0, faults: 0 };
  receiveBytesInFlight = 0;
  receiveMessagesInFlight = 0;
  /** Highest receiveBytesInFlight seen (tests check the throttle held). */
  receiveBytesInFlightPeak = 0;

  constructor(private readonly opts: MessengerOptions & MessengerExtras) {
    this.myName = { ...opts.entity };
    this.nonce = opts.nonce >>> 0;
    this.log = opts.log ?? noLog;
    this.features = opts.features ?? PACIFIC_FEATURES;
    this.transport = (opts.transport as Transport | undefined) ?? new TcpTransport({ firstWriteAtOnce: true });
    this.throttles = {
      receiveBytesMax: opts.throttles?.receiveBytesMax ?? RECEIVE_BYTES_MAX,
      receiveMessagesMax: opts.throttles?.receiveMessagesMax ?? RECEIVE_MESSAGES_MAX,
      sendQueueBytesMax: opts.throttles?.sendQueueBytesMax ?? SEND_QUEUE_BYTES_MAX,
      segmentBytesMax: opts.throttles?.segmentBytesMax ?? SEGMENT_BYTES_MAX,
    };
    this.connectionReceiveBytesMax = opts.connectionReceiveBytesMax ?? this.throttles.receiveBytesMax;
    for (const [type, limits] of opts.receiveBudgets ?? []) this.receiveBudgets.set(type, new ReceiveBudget(limits));
    this.keepaliveMs = opts.keepaliveIntervalMs ?? KEEPALIVE_INTERVAL_MS;
    this.timeoutMs = opts.connectionTimeoutMs ?? CONNECTION_TIMEOUT_MS;
    const id = opts.authId ?? (opts.entity.type === EntityType.CLIENT ? 'admin' : String(opts.entity.num));
    this.authClient = opts.authClient ?? new AuthNoneClient({ type: opts.entity.type, id });
    this.authServer = opts.authServer ?? new AuthNoneServer(opts.assignGlobalId ?? (() => this.nextGlobalId++));
  }

  // --- public API ------------------------------------------------------------------------------------

  async bind(host: string, port: number): Promise<EntityAddrVec> {
    const l = await this.transport.listen(host, port, (s) => this.onAccept(s));
    this.listener = l;
    this.myAddrs = [makeEntityAddr(EntityAddrType.MSGR2, host, l.port, this.nonce)];
    this.log.info(`${entityNameString(this.myName)} bound to ${formatEntityAddr(this.myAddrs[0]!)}`);
    return this.myAddrs;
  }

  async rebind(host: string, ports: readonly number[]): Promise<EntityAddrVec> {
    if (!this.listener) throw new CephError('EINVAL', 'rebind: not bound');
    const old = this.listener;
    this.listener = null;
    // Sessions that outlive a fault belong to the old address: peers must see a new one.
    this.nonce = (this.nonce + REBIND_NONCE_STEP) >>> 0 || 1;
    this.markDownForRebind(false);
    await old.close();
    let last: unknown = null;
    for (const port of ports) {
      let l: TransportListener;
      try {
        l = await this.transport.listen(host, port, (s) => this.onAccept(s));
      } catch (e) {
        last = e;
        continue;
      }
      if (this.shutDown) {
        await l.close(); // shut down while the listener moved: leave nothing listening
        throw new CephError('ESHUTDOWN', 'rebind: the messenger was shut down');
      }
      this.listener = l;
      this.myAddrs = [makeEntityAddr(EntityAddrType.MSGR2, host, l.port, this.nonce)];
      this.log.info(`${entityNameString(this.myName)} rebound to ${formatEntityAddr(this.myAddrs[0]!)}`);
      this.markDownForRebind(true);
      return this.myAddrs;
    }
    throw new CephError('EBUSY', `rebind: no free port on ${host} among ${ports.length}${last instanceof Error ? ` (${last.message})` : ''}`);
  }

  /**
   * Ceph's mark_down_all for a rebind. Before the new address is known: every lossless session (no
   * handleReset: the caller knows) and every accept in progress. Once it is known (`all`): again those
   * (any made meanwhile carried the old address), and the lossy ones, with handleReset, so their owners
   * (a MonClient) connect again and the peer learns the new address from the new session's ident:
   * Ceph's OSD keeps its monitor session on the public messenger, which it does not rebind, but here
   * one messenger is both.
   */
  private markDownForRebind(all: boolean): void {
    for (const c of [...this.conns.values()]) {
      if (!c.policy.lossy) this.closeConn(c, false);
      else if (all) this.closeConn(c, true);
    }
    for (const a of this.acceptors) a.sock.close();
    this.acceptors.clear();
  }

  addDispatcher(d: Dispatcher): void {
    this.dispatchers.push(d);
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.timer = setInterval(() => this.tick(), TICK_INTERVAL_MS);
    this.timer.unref();
  }

  connectTo(peerType: number, addrs: EntityAddrVec): Connection {
    const target = msgr2Addr(addrs);
    if (!target) throw new CephError('EINVAL', 'connectTo: no address given');
    const key = addrKey(target);
    const existing = this.conns.get(key);
    if (existing && !existing.closed) return existing;
    const c = new ConnImpl(this, this.policyFor(peerType), peerType, target, key);
    c.peerAddrs = addrs;
    this.conns.set(key, c);
    this.dial(c);
    return c;
  }

  async shutdown(): Promise<void> {
    this.shutDown = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const c of [...this.conns.values()]) this.closeConn(c, false);
    for (const a of this.acceptors) a.sock.close();
    this.acceptors.clear();
    if (this.listener) await this.listener.close();
    this.listener = null;
  }

  stats(): MessengerStats {
    return {
      connections: this.conns.size,
      ...this.counters,
      receiveBytesInFlight: this.receiveBytesInFlight,
    };
  }

  noteSent(): void {
    this.counters.messagesSent++;
  }

  // --- policy, hooks ---------------------------------------------------------------------------------

  policyFor(peerType: number): Policy {
    return this.opts.policies?.get(peerType) ?? this.opts.defaultPolicy ?? (this.myName.type === EntityType.CLIENT ? Policies.lossyClient() : Policies.statelessServer());
  }

  private myAddrsForIdent(sock: TransportSocket): EntityAddrVec {
    if (this.myAddrs.length > 0) return this.myAddrs;
    // Not bound (a client): the address the peer sees, port 0, our nonce (Ceph's learned_addr).
    return [makeEntityAddr(EntityAddrType.ANY, sock.localHost || '127.0.0.1', 0, this.nonce)];
  }

  private hooks(acc: Acceptor | null): ProtocolHooks {
    return {
      nextGlobalSeq: (atLeast?: number) => {
        this.globalSeq = Math.max(this.globalSeq, atLeast ?? 0) + 1;
        return this.globalSeq;
      },
      randomCookie: () => {
        for (;;) {
          const v = this.opts.randomU64 ? this.opts.randomU64() : randomBytes(8).readBigUInt64LE(0);
          if (v !== 0n) return v;
        }
      },
      policyFor: (t) => this.policyFor(t),
      authClient: this.authClient,
      authServer: this.authServer,
      onClientIdent: (p, ci) => this.decideIdent(acc!, p, ci),
      onReconnect: (p, r) => this.decideReconnect(acc!, p, r),
    };
  }

  // --- dialing ---------------------------------------------------------------------------------------

  private dial(c: ConnImpl): void {
    const target = c.target!;
    const { host, port } = addrHostPort(target);
    const sock = this.transport.connect(host, port);
    c.sock = sock;
    c.socketConnected = false;
    c.reconnectAtMs = 0;
    let proto: ProtocolV2 | null = null;
    sock.attach({
      onConnect: () => {
        if (c.sock !== sock) return;
        c.socketConnected = true;
        proto = new ProtocolV2(
          {
            role: 'connect', myType: this.myName.type, myGid: this.myName.num, myAddrs: this.myAddrsForIdent(sock),
            features: this.features, peerType: c.peerName.type, targetAddr: target, policy: c.policy,
            keepaliveIntervalMs: this.keepaliveMs, connectionTimeoutMs: this.timeoutMs, segmentBytesMax: this.throttles.segmentBytesMax,
            crcMemo: this.crcMemo,
          },
          c.session, this.hooks(null), Date.now(),
        );
        // A resumed session (SESSION_RECONNECT_OK) brings no SERVER_IDENT: the peer's id and features
        // stay those of the session, as the accept side adopts them (adoptPeer). A fresh SERVER_IDENT
        // overwrites them.
        if (c.everConnected) proto.adoptPeer(c.peerName.num, c.features);
        c.proto = proto;
        proto.start();
        this.pump(c, proto);
      },
      receiveHint: () => (proto !== null && c.proto === proto ? proto.receiveNeededBytes : 0),
      onData: (b) => {
        if (!proto || c.proto !== proto) return;
        this.counters.bytesReceived += b.length;
        proto.receive(b, Date.now());
        this.pump(c, proto);
      },
      onDrain: () => c.checkDrained(),
      onClose: (err) => {
        if (c.sock !== sock) return;
        c.sock = null;
        if (proto && c.proto === proto) {
          proto.fault(err ? `socket error: ${err.message}` : 'socket closed by peer');
          this.pump(c, proto);
        } else if (!c.closed) {
          // Never connected.
          this.counters.faults++;
          this.log.warn(`connect to ${c.describe()} failed: ${err?.message ?? 'closed'}`);
          if (c.policy.lossy) {
            for (const d of this.dispatchers) d.handleRefused?.(c);
            this.closeConn(c, false);
          } else {
            const s = c.session;
            s.backoffMs = Math.min(BACKOFF_MAX_MS, s.backoffMs ? s.backoffMs * 2 : BACKOFF_INITIAL_MS);
            c.reconnectAtMs = Date.now() + s.backoffMs;
            for (const d of this.dispatchers) d.handleRefused?.(c);
          }
        }
      },
    });
  }

  /** A message was queued on a connection without a live protocol: connect if policy allows. */
  wake(c: ConnImpl): void {
    if (c.closed || c.sock || c.reconnectAtMs) return;
    if (c.policy.server || !c.target) return;
    if (c.session.serverCookie !== 0n) c.session.connectSeq++;
    this.dial(c);
  }

  // --- accepting -------------------------------------------------------------------------------------

  private onAccept(sock: TransportSocket): void {
    const peerSocketAddr = makeEntityAddr(EntityAddrType.ANY, sock.remoteHost.replace(/^::ffff:/, ''), sock.remotePort, 0);
    const acc: Acceptor = { proto: null as unknown as ProtocolV2, sock, conn: null };
    const proto = new ProtocolV2(
      {
        role: 'accept', myType: this.myName.type, myGid: this.myName.num, myAddrs: this.myAddrs, features: this.features,
        peerSocketAddr, keepaliveIntervalMs: this.keepaliveMs, connectionTimeoutMs: this.timeoutMs,
        segmentBytesMax: this.throttles.segmentBytesMax, crcMemo: this.crcMemo,
      },
      new Session(), this.hooks(acc), Date.now(),
    );
    acc.proto = proto;
    this.acceptors.add(acc);
    sock.attach({
      receiveHint: () => proto.receiveNeededBytes,
      onData: (b) => {
        this.counters.bytesReceived += b.length;
        if (acc.conn && acc.conn.proto !== proto) return;
        proto.receive(b, Date.now());
        this.pumpAcceptor(acc);
      },
      onDrain: () => acc.conn?.checkDrained(),
      onClose: (err) => {
        this.acceptors.delete(acc);
        if (proto.isClosed) return;
        proto.fault(err ? `socket error: ${err.message}` : 'socket closed by peer');
        this.pumpAcceptor(acc);
      },
    });
    proto.start();
    this.pumpAcceptor(acc);
  }

  private pumpAcceptor(acc: Acceptor): void {
    if (acc.conn) {
      if (acc.conn.proto === acc.proto) this.pump(acc.conn, acc.proto);
      return;
    }
    for (const ev of acc.proto.drain()) {
      if (ev.kind === 'write') {
        acc.sock.write(ev.bufs, ev.done === undefined ? undefined : doneAll(ev.done));
        this.counters.bytesSent += ev.bytes;
      } else if (ev.kind === 'fault') {
        this.counters.faults++;
        this.log.warn(`accepted connection from ${acc.sock.remoteHost}:${acc.sock.remotePort} closed: ${ev.reason}`);
        this.acceptors.delete(acc);
        acc.sock.close();
        return;
      }
    }
  }

  /** Bind an accepted socket to a connection, retiring the connection's previous socket. */
  private adopt(acc: Acceptor, c: ConnImpl): void {
    const old = c.sock;
    const oldProto = c.proto;
    if (oldProto && oldProto !== acc.proto && !oldProto.isClosed) {
      // The old socket's unacked messages go back to the session queue (Ceph's requeue_sent on replace).
      oldProto.state = 'CLOSED';
      c.session.requeueSent();
    }
    c.proto = acc.proto;
    c.sock = acc.sock;
    c.reconnectAtMs = 0;
    acc.conn = c;
    this.acceptors.delete(acc);
    if (old && old !== acc.sock) old.close();
  }

  private existingView(c: ConnImpl | undefined): ExistingView | undefined {
    if (!c || c.closed) return undefined;
    return {
      session: c.session,
      lossy: c.policy.lossy,
      server: c.policy.server,
      resetcheck: c.policy.resetcheck,
      ready: c.proto?.isReady ?? false,
      connecting: !!c.sock && c.proto?.role === 'connect' && !c.proto.isReady,
    };
  }

  private decideIdent(acc: Acceptor, p: ProtocolV2, ci: ClientIdent): IdentDecision {
    const peer = msgr2Addr(ci.addrs)!;
    const key = addrKey(peer);
    const existing = this.conns.get(key);
    const mine = msgr2Addr(this.myAddrs);
    const verdict = judgeClientIdent(this.existingView(existing), ci, p.policy.lossy, !mine || compareEntityAddr(peer, mine) < 0);
    if (verdict === 'replace-lossy') this.closeConn(existing!, true);
    switch (verdict) {
      case 'replace-lossy':
      case 'new': {
        const dialable = peer.type !== EntityAddrType.ANY && addrHostPort(peer).port !== 0;
        const c = new ConnImpl(this, p.policy, p.peerType, dialable ? peer : null, key);
        c.peerAddrs = ci.addrs;
        this.conns.set(key, c);
        this.adopt(acc, c);
        return { action: 'accept', session: c.session };
      }
      case 'peer-restarted':
        this.log.info(`${existing!.describe()} restarted (new client cookie): its new session replaces ours`);
        if (p.policy.resetcheck) {
          existing!.session.reset();
          for (const d of this.dispatchers) d.handleRemoteReset?.(existing!);
        }
        this.adopt(acc, existing!);
        return { action: 'accept', session: existing!.session };
      case 'take-over':
      case 'race-won':
        this.adopt(acc, existing!);
        return { action: 'accept', session: existing!.session };
      case 'race-lost':
        return { action: 'wait' };
      case 'stale':
        return { action: 'stop', reason: `stale connection (peer global_seq ${ci.globalSeq} < ${existing!.session.peerGlobalSeq})` };
    }
  }

  private decideReconnect(acc: Acceptor, p: ProtocolV2, r: Reconnect): ReconnectDecision {
    const peer = msgr2Addr(r.addrs)!;
    const existing = this.conns.get(addrKey(peer));
    const mine = msgr2Addr(this.myAddrs);
    const v = judgeReconnect(this.existingView(existing), r, !!mine && compareEntityAddr(peer, mine) > 0);
    if (v.action !== 'reconnect') return v;
    p.adoptPeer(existing!.peerName.num, existing!.features);
    this.adopt(acc, existing!);
    return { action: 'reconnect', session: existing!.session };
  }

  // --- running a protocol batch --------------------------------------------------------------------

  pump(c: ConnImpl, proto: ProtocolV2): void {
    if (c.proto !== proto) return;
    const events: ProtocolEvent[] = proto.drain();
    for (const ev of events) {
      if (c.proto !== proto) return;
      switch (ev.kind) {
        case 'write':
          if (c.sock) {
            c.sock.write(ev.bufs, ev.done === undefined ? undefined : doneAll(ev.done));
            this.counters.bytesSent += ev.bytes;
          }
          // With no socket the Buffers are dropped unsent: their callbacks are too (left to the GC).
          break;
        case 'message':
          this.deliver(c, ev.raw);
          break;
        case 'ready': {
          c.everConnected = true;
          c.features = proto.features;
          c.peerName = { type: proto.peerType, num: proto.peerGid };
          if (proto.peerAddrs.length) c.peerAddrs = proto.peerAddrs;
          if (proto.role === 'connect' && this.myName.num < 0 && proto.myGlobalId > 0 && this.myName.type === EntityType.CLIENT) {
            // A client is client.<global_id> once a monitor has given it one (as Ceph's MonClient names it).
            this.myName.num = proto.myGlobalId;
          }
          if (proto.role === 'accept') {
            c.policy = proto.policy;
            c.peerGlobalId = proto.peerGlobalId;
            c.peerAuthName = proto.peerAuthName;
          }
          this.log.debug(`${proto.role === 'connect' ? 'connected to' : 'accepted'} ${c.describe()}${ev.reconnected ? ' (session resumed)' : ''}`);
          for (const d of this.dispatchers) {
            if (proto.role === 'connect') d.handleConnect?.(c);
            else d.handleAccept?.(c);
          }
          break;
        }
        case 'remoteReset':
          for (const d of this.dispatchers) d.handleRemoteReset?.(c);
          break;
        case 'fault':
          this.onFault(c, proto, ev.reason, ev.action, ev.delayMs);
          return;
      }
    }
    c.checkDrained();
  }

  private onFault(c: ConnImpl, proto: ProtocolV2, reason: string, action: string, delayMs: number): void {
    this.counters.faults++;
    this.log.warn(`${c.describe()}: ${reason} -> ${action}`);
    const sock = c.sock;
    c.sock = null;
    c.proto = null;
    if (sock) sock.close();
    this.pausedConns.delete(c);
    switch (action) {
      case 'reset':
      case 'stop':
        this.closeConn(c, true);
        break;
      case 'close':
        this.closeConn(c, false);
        break;
      case 'standby':
        if (c.session.queuedCount > 0 && !c.policy.server && c.target) c.reconnectAtMs = Date.now() + Math.max(delayMs, 1);
        break;
      case 'reconnect':
        // The side that accepted this session waits for the peer to come back unless it has something
        // to send (Ceph's standby): two sides redialling at once only makes a reconnect race.
        if (c.target && (proto.role === 'connect' || c.session.queuedCount > 0)) c.reconnectAtMs = Date.now() + Math.max(delayMs, 1);
        break;
    }
  }

  closeConn(c: ConnImpl, notify: boolean): void {
    if (c.closed) return;
    c.closed = true;
    if (this.conns.get(c.key) === c) this.conns.delete(c.key);
    const sock = c.sock;
    c.sock = null;
    if (c.proto && !c.proto.isClosed) c.proto.state = 'CLOSED';
    c.proto = null;
    if (sock) sock.close();
    this.pausedConns.delete(c);
    c.session.reset();
    c.checkDrained();
    if (notify) for (const d of this.dispatchers) d.handleReset?.(c);
  }

  // --- delivery and the receive throttle -------------------------------------------------------------

  private deliver(c: ConnImpl, raw: RawMessage): void {
    let m: Message;
    if (qd1Trace) qd1Stamp('msgr.deliver');
    try {
      m = decodeMessage(raw, c.features);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      this.log.error(`${c.describe()}: undecodable message: ${why}`);
      if (c.proto) {
        c.proto.fault(`undecodable message: ${why}`);
        this.pump(c, c.proto);
      }
      return;
    }
    const bytes = rawBytes(raw);
    this.counters.messagesReceived++;
    this.receiveBytesInFlight += bytes;
    this.receiveMessagesInFlight++;
    if (this.receiveBytesInFlight > this.receiveBytesInFlightPeak) this.receiveBytesInFlightPeak = this.receiveBytesInFlight;
    c.receiveBytesInFlight += bytes;
    const budget = this.receiveBudgets.size === 0 ? undefined : this.receiveBudgets.get(c.peerName.type);
    if (budget !== undefined) {
      budget.bytes += bytes;
      budget.messages++;
      if (budget.bytes > budget.bytesPeak) budget.bytesPeak = budget.bytes;
    }
    if (this.shouldPause(c) && c.sock && !c.paused) {
      c.paused = true;
      c.sock.pause();
      this.pausedConns.add(c);
    }
    // Most dispatchers return nothing: the message is released right here, with no closure per
    // message. Only a dispatcher that returns a promise holds the bytes until it settles. A message
    // under a receive budget leaves the messenger-wide throttle when dispatch returns and the budget
    // when the promises settle.
    let pending = 1;
    let release: (() => void) | null = null;
    if (qd1Trace) qd1Stamp(`msgr.dispatch.${m.typeName()}`);
    for (const d of this.dispatchers) {
      try {
        const r = d.dispatch(c, m);
        if (r && typeof (r as PromiseLike<void>).then === 'function') {
          pending++;
          release ??= () => {
            if (--pending !== 0) return;
            if (budget === undefined) this.releaseReceived(c, bytes);
            else this.releaseBudget(budget, bytes);
          };
          const done = release;
          (r as PromiseLike<void>).then(done, (e: unknown) => {
            this.log.error(`dispatch of ${m.typeName()} from ${c.describe()} failed: ${e instanceof Error ? e.message : String(e)}`);
            done();
          });
        }
      } catch (e) {
        this.log.error(`dispatch of ${m.typeName()} from ${c.describe()} threw: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      }
    }
    if (budget === undefined) {
      if (--pending === 0) this.releaseReceived(c, bytes);
      return;
    }
    this.releaseReceived(c, bytes);
    if (--pending === 0) this.releaseBudget(budget, bytes);
  }

  /** A received message's bytes leave the throttles; paused sockets may read again. */
  private releaseReceived(c: ConnImpl, bytes: number): void {
    this.receiveBytesInFlight -= bytes;
    this.receiveMessagesInFlight--;
    c.receiveBytesInFlight -= bytes;
    this.resumePaused();
  }

  /** A budgeted message's dispatchers are done with it: it leaves its budget. */
  private releaseBudget(budget: ReceiveBudget, bytes: number): void {
    budget.bytes -= bytes;
    budget.messages--;
    assert(budget.bytes >= 0 && budget.messages >= 0, 'a receive budget released more than it held');
    this.resumePaused();
  }

  private overReceiveLimit(): boolean {
    return this.receiveBytesInFlight > this.throttles.receiveBytesMax || this.receiveMessagesInFlight > this.throttles.receiveMessagesMax;
  }

  /** Over the messenger's receive limits, this connection over its own, or its peer type's budget spent. */
  private shouldPause(c: ConnImpl): boolean {
    return this.overReceiveLimit() || c.receiveBytesInFlight > this.connectionReceiveBytesMax ||
      (this.receiveBudgets.size !== 0 && this.receiveBudgets.get(c.peerName.type)?.isOver === true);
  }

  private resumePaused(): void {
    if (this.pausedConns.size === 0 || this.overReceiveLimit()) return;
    for (const c of this.pausedConns) {
      if (this.shouldPause(c)) continue;
      c.paused = false;
      c.sock?.resume();
      this.pausedConns.delete(c);
    }
  }

  // --- the one timer ---------------------------------------------------------------------------------

  private tick(): void {
    const now = Date.now();
    for (const c of [...this.conns.values()]) {
      if (c.closed) continue;
      if (c.proto) {
        c.proto.tick(now);
        this.pump(c, c.proto);
      } else if (c.reconnectAtMs && now >= c.reconnectAtMs && !c.sock) {
        c.reconnectAtMs = 0;
        this.dial(c);
      }
    }
    for (const a of [...this.acceptors]) {
      if (a.conn) continue;
      a.proto.tick(now);
      this.pumpAcceptor(a);
    }
  }

  /** For tests: break every socket (as a network fault would). */
  injectSocketFailures(): void {
    for (const c of this.conns.values()) c.sock?.close();
  }

  connections(): ConnImpl[] {
    return [...this.conns.values()];
  }
}

export type { ConnImpl };

/** A messenger speaking msgr2.1 (crc mode, auth none by default) over TCP unless another transport is given. */
export function createMessenger(opts: MessengerOptions & MessengerExtras): MessengerImpl {
  return new MessengerImpl(opts);
}

export function describeEntity(n: EntityName): string {
  return `${entityTypeName(n.type)}.${n.num}`;
}
