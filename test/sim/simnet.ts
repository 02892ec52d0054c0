// The whole-cluster simulation's network: msg/transport.ts's Transport over virtual hosts, so the real
// msgr2 messenger (frames, crc, session reconnect and replay) runs unchanged inside one process.
//
// - A host is an IP address (10.0.0.N); each start of a daemon on it is a new incarnation (SimHost),
//   its own Transport. Killing an incarnation kills its sockets at once: its peers see the connection
//   reset, and the dead side hears nothing ever again (no callbacks: a process that is gone runs no
//   code), so a killed daemon object that still has timers or promises in flight changes nothing
//   anyone can observe. Its listening ports are freed for the next incarnation.
// - Every write is copied into one chunk (the sender may reuse its Buffers) and delivered after a seeded
//   delay, by a timer, so virtual time moves; a direction's chunks arrive in the order written (a
//   chunk never overtakes the one before it), directions and connections are independent.
// - Faults: reset a connection (both ends get onClose(ECONNRESET) now, undelivered bytes are lost),
//   isolate a host for a while (its sockets are reset; connects from or to it are refused until it
//   heals), kill an incarnation.
// - Back-pressure: bytes written and not yet taken by the receiving owner count as writableBytes;
//   write() returns false past WRITE_QUEUE_BYTES_HIGH and onDrain fires when they fall back under it. A
//   paused receiver holds what arrives (so the sender's count stays up) until resume().
// - The trace digest: crc32c chained over every delivered chunk with its virtual time and endpoints;
//   with `record` on, each delivery's (time, endpoints, length, crc) is kept so two runs of a seed can
//   be compared event by event.
//
// Timers are whatever setTimeout is: in the simulation, @sinonjs/fake-timers' virtual clock.

import { cephCrc32c } from '../../common/crc32c.js';
import { CephError } from '../../common/errors.js';
import type { SocketHandlers, Transport, TransportListener, TransportSocket } from '../../msg/transport.js';
import type { Rng } from '../support/rng.js';

/** Undelivered bytes above which write() asks the writer to wait for onDrain. */
export const WRITE_QUEUE_BYTES_HIGH = 4 * 1024 * 1024;
/** First ephemeral port of an outgoing socket. */
export const EPHEMERAL_PORT_MIN = 40000;
/** Deliveries recorded for a trace comparison at most (older runs beyond this keep only the digest). */
export const TRACE_EVENTS_MAX = 4_000_000;

export interface SimNetOptions {
  rng: Rng;
  /** A chunk's delay: uniform in [delayMsMin, delayMsMax], and with probability spikeChance up to spikeMsMax. */
  delayMsMin?: number;
  delayMsMax?: number;
  spikeChance?: number;
  spikeMsMax?: number;
  /** Keep every delivery for trace comparison. */
  record?: boolean;
}

export interface TraceEvent {
  timeMs: number;
  what: string;
  crc: number;
}

// Worded as Node's socket errors are (the code in the text).
const connRefused = (host: string, port: number): Error => new CephError('ECONNREFUSED', `connect ECONNREFUSED ${host}:${port}`);
const connReset = (why: string): Error => new CephError('ECONNRESET', `read ECONNRESET (${why})`);

/** One direction of a connection: chunks (and at the end a FIN) in flight, in order. */
interface Pipe {
  from: SimSocket;
  to: SimSocket;
  /** Virtual time the last scheduled chunk arrives (the next one arrives no earlier). */
  lastArrivalMs: number;
  /**
   * What is in flight, oldest first (null: the FIN). Each entry has its own timer, and a firing timer
   * delivers every entry from the head up to its own: timers due at the same virtual time may fire in
   * either order (fake-timers makes a 0 ms timer set inside a firing one 1 ms; real timers may fire
   * before Date.now() reaches their time), the bytes must not.
   */
  queue: Array<{ atMs: number; chunk: Buffer | null }>;
}

export class SimSocket implements TransportSocket {
  private h: SocketHandlers | null = null;
  /** Chunks that arrived before attach() or while paused, with their sender (told once each is taken). */
  private held: Array<{ chunk: Buffer; from: SimSocket }> = [];
  private paused = false;
  private closedFlag = false;
  private connectedFlag = false;
  /** Bytes written and not delivered yet (counted on the writing side). */
  private inflightBytes = 0;
  private wantDrain = false;
  peer: SimSocket | null = null;
  private outPipe: Pipe | null = null;
  /** A pending FIN after the last chunk (a local close of a socket with bytes in flight). */
  private closeEvent: { err?: Error } | null = null;

  constructor(
    readonly net: SimNet,
    readonly host: SimHost,
    readonly localHost: string,
    readonly localPort: number,
    readonly remoteHost: string,
    readonly remotePort: number,
  ) {}

  get closed(): boolean {
    return this.closedFlag;
  }

  attach(h: SocketHandlers): void {
    this.h = h;
    if (this.connectedFlag && h.onConnect) h.onConnect();
    this.flushHeld();
    if (this.closeEvent && !this.paused && this.held.length === 0) this.fireClose(this.closeEvent.err);
  }

  /** Net: join the two ends (before either side's owner hears of it, so both can write at once). */
  static link(dialer: SimSocket, acceptor: SimSocket): void {
    dialer.peer = acceptor;
    acceptor.peer = dialer;
    dialer.outPipe = { from: dialer, to: acceptor, lastArrivalMs: 0, queue: [] };
    acceptor.outPipe = { from: acceptor, to: dialer, lastArrivalMs: 0, queue: [] };
    acceptor.connectedFlag = true;
  }

  /** Net: the connection is up (outgoing side). */
  connected(): void {
    this.connectedFlag = true;
    if (!this.closedFlag && this.host.alive) this.h?.onConnect?.();
  }

  write(bufs: readonly Buffer[]): boolean {
    if (this.closedFlag || !this.host.alive) return true;
    let n = 0;
    for (const b of bufs) n += b.length;
    if (n === 0) return this.inflightBytes < WRITE_QUEUE_BYTES_HIGH;
    const chunk = Buffer.allocUnsafe(n);
    let at = 0;
    for (const b of bufs) {
      b.copy(chunk, at);
      at += b.length;
    }
    const pipe = this.outPipe;
    if (!pipe) return true; // not connected (a write before onConnect is a protocol bug elsewhere; dropped)
    this.inflightBytes += n;
    this.net.schedule(pipe, chunk);
    const ok = this.inflightBytes < WRITE_QUEUE_BYTES_HIGH;
    if (!ok) this.wantDrain = true;
    return ok;
  }

  /** Net: one of our chunks reached the peer (or was dropped with the connection). */
  delivered(n: number): void {
    this.inflightBytes -= n;
    if (this.wantDrain && this.inflightBytes < WRITE_QUEUE_BYTES_HIGH && !this.closedFlag && this.host.alive) {
      this.wantDrain = false;
      this.h?.onDrain();
    }
  }

  /**
   * Net: a chunk arrives. The sender counts it as unsent until the owner takes it: a paused receiver
   * keeps the sender's writableBytes up, as full kernel buffers would.
   */
  receive(chunk: Buffer, from: SimSocket): void {
    if (this.closedFlag || !this.host.alive) {
      from.delivered(chunk.length);
      return;
    }
    if (!this.h || this.paused || this.held.length > 0) {
      this.held.push({ chunk, from });
      return;
    }
    from.delivered(chunk.length);
    this.h.onData(chunk);
  }

  private flushHeld(): void {
    while (this.h && !this.paused && this.held.length > 0 && !this.closedFlag && this.host.alive) {
      const { chunk, from } = this.held.shift()!;
      from.delivered(chunk.length);
      this.h.onData(chunk);
    }
  }

  get writableBytes(): number {
    return this.inflightBytes;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    // As a TCP socket: what was held comes in a later turn, not inside resume().
    setTimeout(() => {
      this.flushHeld();
      if (this.closeEvent && !this.paused && this.held.length === 0) this.fireClose(this.closeEvent.err);
    }, 0);
  }

  /** Local close: the peer sees the close after the bytes already written. */
  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.dropHeld();
    const peer = this.peer;
    if (peer && this.outPipe) this.net.scheduleFin(this.outPipe);
    else if (!this.connectedFlag) this.net.abandonConnect(this);
    const h = this.h;
    if (h && this.host.alive) queueMicrotask(() => h.onClose(undefined));
  }

  /** Net: the peer closed (FIN after its last chunk) or the connection was reset. */
  remoteClosed(err?: Error): void {
    if (this.closedFlag) return;
    if (err === undefined && (this.paused || this.held.length > 0 || !this.h)) {
      this.closeEvent = {};
      return;
    }
    this.fireClose(err);
  }

  private dropHeld(): void {
    for (const { chunk, from } of this.held) from.delivered(chunk.length);
    this.held = [];
  }

  private fireClose(err?: Error): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    this.dropHeld();
    this.closeEvent = null;
    if (this.host.alive) this.h?.onClose(err);
  }

  /** Net: reset now (both ends are told by the net). */
  reset(err: Error): void {
    this.fireClose(err);
  }
}

class SimListener implements TransportListener {
  constructor(private readonly hostObj: SimHost, readonly host: string, readonly port: number) {}
  async close(): Promise<void> {
    this.hostObj.unlisten(this.port);
  }
}

/** One incarnation of a host: the Transport a daemon started there uses. */
export class SimHost implements Transport {
  readonly name = 'sim';
  alive = true;
  readonly listeners = new Map<number, (s: TransportSocket) => void>();
  readonly sockets = new Set<SimSocket>();
  private deadResolve!: () => void;
  /** Resolves when the incarnation is killed (a start in progress then never finishes). */
  readonly dead: Promise<void> = new Promise<void>((resolve) => {
    this.deadResolve = resolve;
  });

  constructor(readonly net: SimNet, readonly ip: string, readonly label: string) {}

  /** Net: the incarnation was killed. */
  died(): void {
    this.alive = false;
    this.deadResolve();
  }

  async listen(host: string, port: number, onSocket: (s: TransportSocket) => void): Promise<TransportListener> {
    if (!this.alive) return new Promise<never>(() => undefined);
    if (host !== this.ip) throw new CephError('EINVAL', `${this.label}: cannot bind ${host} (this host is ${this.ip})`);
    if (port === 0) port = this.net.ephemeralPort(this.ip);
    if (this.net.portTaken(this.ip, port)) throw new CephError('EBUSY', `listen ${host}:${port}: address in use`);
    this.listeners.set(port, onSocket);
    return new SimListener(this, host, port);
  }

  unlisten(port: number): void {
    this.listeners.delete(port);
  }

  connect(host: string, port: number): TransportSocket {
    const s = new SimSocket(this.net, this, this.ip, this.net.ephemeralPort(this.ip), host, port);
    this.sockets.add(s);
    if (this.alive) this.net.dial(s);
    return s;
  }
}

export class SimNet {
  private readonly rng: Rng;
  private readonly delayMsMin: number;
  private readonly delayMsMax: number;
  private readonly spikeChance: number;
  private readonly spikeMsMax: number;
  /** The current incarnation of each IP. */
  private readonly hosts = new Map<string, SimHost>();
  /** IPs cut off until the given virtual time. */
  private readonly isolatedUntil = new Map<string, number>();
  private readonly nextPort = new Map<string, number>();
  private readonly dialing = new Set<SimSocket>();
  /** The trace digest so far (crc32c chained over deliveries). */
  digest = 0;
  deliveries = 0;
  bytesDelivered = 0;
  resets = 0;
  readonly trace: TraceEvent[] | null;

  constructor(opts: SimNetOptions) {
    this.rng = opts.rng;
    this.delayMsMin = opts.delayMsMin ?? 0;
    this.delayMsMax = opts.delayMsMax ?? 2;
    this.spikeChance = opts.spikeChance ?? 0;
    this.spikeMsMax = opts.spikeMsMax ?? 50;
    this.trace = opts.record ? [] : null;
  }

  /** A new incarnation of `ip` (the previous one must be dead). */
  host(ip: string, label: string): SimHost {
    const old = this.hosts.get(ip);
    if (old && old.alive) throw new CephError('EEXIST', `${ip} (${old.label}) is still alive`);
    const h = new SimHost(this, ip, label);
    this.hosts.set(ip, h);
    return h;
  }

  /** kill -9: every socket of the incarnation dies now; its peers see a reset. */
  kill(h: SimHost): void {
    if (!h.alive) return;
    h.died();
    h.listeners.clear();
    for (const s of [...h.sockets]) this.resetSocket(s, 'peer killed');
    h.sockets.clear();
  }

  /** Cut `ip` off for `ms`: its connections reset now, connects from or to it refused until then. */
  isolate(ip: string, ms: number): void {
    this.isolatedUntil.set(ip, Date.now() + ms);
    const h = this.hosts.get(ip);
    if (h) for (const s of [...h.sockets]) this.resetSocket(s, 'partition');
  }

  isolated(ip: string): boolean {
    const until = this.isolatedUntil.get(ip);
    if (until === undefined) return false;
    if (Date.now() >= until) {
      this.isolatedUntil.delete(ip);
      return false;
    }
    return true;
  }

  /** Established connections (one socket per connection: the dialing side's), in creation order. */
  connections(): SimSocket[] {
    const out: SimSocket[] = [];
    for (const h of this.hosts.values()) {
      if (!h.alive) continue;
      for (const s of h.sockets) if (s.peer && !s.closed && s.localPort >= EPHEMERAL_PORT_MIN) out.push(s);
    }
    return out;
  }

  /** Reset one established connection: both ends hear ECONNRESET now. */
  resetConnection(s: SimSocket): void {
    this.resetSocket(s, 'reset by the simulation');
  }

  private resetSocket(s: SimSocket, why: string): void {
    this.resets++;
    const peer = s.peer;
    s.host.sockets.delete(s);
    this.dialing.delete(s);
    s.reset(connReset(why));
    if (peer) {
      peer.host.sockets.delete(peer);
      peer.reset(connReset(why));
    }
  }

  ephemeralPort(ip: string): number {
    const p = this.nextPort.get(ip) ?? EPHEMERAL_PORT_MIN;
    this.nextPort.set(ip, p + 1);
    return p;
  }

  portTaken(ip: string, port: number): boolean {
    const h = this.hosts.get(ip);
    return !!h && h.alive && h.listeners.has(port);
  }

  private delayMs(): number {
    let d = this.rng.int(this.delayMsMin, this.delayMsMax);
    if (this.spikeChance > 0 && this.rng.chance(this.spikeChance)) d += this.rng.int(1, this.spikeMsMax);
    return d;
  }

  /** Connect after a delay: refused unless the target is alive, listening and neither side isolated. */
  dial(s: SimSocket): void {
    this.dialing.add(s);
    setTimeout(() => {
      if (!this.dialing.delete(s) || s.closed || !s.host.alive) return;
      const target = this.hosts.get(s.remoteHost);
      const onSocket = target && target.alive ? target.listeners.get(s.remotePort) : undefined;
      if (!target || !onSocket || this.isolated(s.localHost) || this.isolated(s.remoteHost)) {
        s.host.sockets.delete(s);
        this.record(`refused ${s.localHost}:${s.localPort}>${s.remoteHost}:${s.remotePort}`, 0);
        s.reset(connRefused(s.remoteHost, s.remotePort));
        return;
      }
      const a = new SimSocket(this, target, s.remoteHost, s.remotePort, s.localHost, s.localPort);
      target.sockets.add(a);
      SimSocket.link(s, a);
      this.record(`connect ${s.localHost}:${s.localPort}>${s.remoteHost}:${s.remotePort}`, 0);
      onSocket(a);
      s.connected();
    }, this.delayMs());
  }

  abandonConnect(s: SimSocket): void {
    this.dialing.delete(s);
    s.host.sockets.delete(s);
  }

  /** A chunk into a pipe: it arrives after a delay, never before the chunk ahead of it. */
  schedule(pipe: Pipe, chunk: Buffer): void {
    this.enqueue(pipe, chunk);
  }

  /** A FIN after the chunks already in the pipe. */
  scheduleFin(pipe: Pipe): void {
    this.enqueue(pipe, null);
  }

  private enqueue(pipe: Pipe, chunk: Buffer | null): void {
    const now = Date.now();
    const at = Math.max(now + this.delayMs(), pipe.lastArrivalMs);
    pipe.lastArrivalMs = at;
    const entry = { atMs: at, chunk };
    pipe.queue.push(entry);
    setTimeout(() => this.arrive(pipe, entry), at - now);
  }

  /**
   * An entry's timer fired: deliver, in order, the pipe's entries up to and including it (those ahead
   * of it are due no later). Nothing when an earlier firing took it already.
   */
  private arrive(pipe: Pipe, entry: { atMs: number; chunk: Buffer | null }): void {
    if (!pipe.queue.includes(entry)) return;
    for (;;) {
      const head = pipe.queue.shift()!;
      this.deliverOne(pipe, head.chunk);
      if (head === entry) return;
    }
  }

  private deliverOne(pipe: Pipe, chunk: Buffer | null): void {
    const to = pipe.to;
    if (chunk === null) {
      pipe.from.host.sockets.delete(pipe.from);
      to.host.sockets.delete(to);
      if (to.closed || !to.host.alive) return;
      this.record(`fin ${pipe.from.localHost}:${pipe.from.localPort}>${to.localHost}:${to.localPort}`, 0);
      to.remoteClosed();
      return;
    }
    if (to.closed || !to.host.alive || !pipe.from.host.alive || to.peer !== pipe.from) {
      pipe.from.delivered(chunk.length);
      return;
    }
    this.deliveries++;
    this.bytesDelivered += chunk.length;
    this.record(`${pipe.from.localHost}:${pipe.from.localPort}>${to.localHost}:${to.localPort}`, chunk.length, chunk);
    to.receive(chunk, pipe.from);
  }

  private record(what: string, len: number, chunk?: Buffer): void {
    const t = Date.now();
    const head = Buffer.from(`${t} ${what} ${len}`);
    let crc = cephCrc32c(0, head, 0, head.length);
    if (chunk) crc = cephCrc32c(crc, chunk, 0, chunk.length);
    this.digest = cephCrc32c(this.digest >>> 0, Buffer.from([crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24]), 0, 4);
    if (this.trace && this.trace.length < TRACE_EVENTS_MAX) this.trace.push({ timeMs: t, what, crc });
  }
}

/** The first place two recorded traces differ, or null when they are the same. */
export function firstDivergence(a: readonly TraceEvent[], b: readonly TraceEvent[]): string | null {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.timeMs !== y.timeMs || x.what !== y.what || x.crc !== y.crc) {
      return `event ${i}: first run t=${x.timeMs} ${x.what} crc=${x.crc.toString(16)}, second run t=${y.timeMs} ${y.what} crc=${y.crc.toString(16)}`;
    }
  }
  if (a.length !== b.length) return `the first run has ${a.length} events, the second ${b.length}`;
  return null;
}
