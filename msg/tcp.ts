// TCP transport: node:net sockets with Nagle off. write() does not go to the socket at once: the
// Buffers of every write() made in one turn of the event loop, and of every write() made while an
// earlier gathered write is still unfinished (the kernel had no room), are queued in order and go out
// together as one gathered write (cork() + write per Buffer + uncork(), which Node turns into one
// writev(2); no concatenation copy, data segments stay the caller's Buffers). One gathered write holds at
// most WRITE_GATHER_BYTES_MAX bytes and WRITE_GATHER_BUFFERS_MAX Buffers (one larger Buffer goes alone);
// the rest follows when it finishes. close() hands what is queued to the socket first.
// With `firstWriteAtOnce` (the messenger's choice), the first write() of a turn to an idle socket goes
// to the socket at once instead (the messenger already gathers one flush's frames into one write()):
// a lone message, such as each hop of a write at one op in flight, leaves without waiting for the rest
// of the turn (a store transaction's prepare, a deferred in-place write). What else that turn writes is
// gathered as above: at most one more gathered write per socket and turn.

import { createServer, Socket, type Server } from 'node:net';
import type { SocketHandlers, Transport, TransportListener, TransportSocket } from './transport.js';
import { qd1Stamp, qd1Trace } from '../common/qd1trace.js';

/**
 * Most bytes in one gathered write (a single larger Buffer still goes, alone). Above 4 MiB so that a
 * frame carrying a 4 MiB data segment (rados bench's and RBD's object size) goes in one writev with its
 * head and epilogue instead of three writes.
 */
export const WRITE_GATHER_BYTES_MAX = 8 * 1024 * 1024;
/** Most Buffers in one gathered write (Linux's IOV_MAX, above which libuv splits a write anyway). */
export const WRITE_GATHER_BUFFERS_MAX = 1024;

class TcpSocket implements TransportSocket {
  /** Buffers accepted by write() and not yet handed to the socket, in order, and their bytes. */
  private gather: Buffer[] = [];
  private gatherHead = 0;
  private gatherBytes = 0;
  /**
   * write() callbacks not yet handed to the socket, each due once the Buffers of gather up to
   * doneAt[i] (exclusive) have been written. Empty unless a caller asked (Message.onWritten).
   */
  private done: Array<() => void> = [];
  private doneAt: number[] = [];
  /** A flush is due at the end of this turn (setImmediate). */
  private flushScheduled = false;
  /** A gathered write is with the socket and not yet finished. */
  private writing = false;
  private readonly flushNow = (): void => {
    this.flushScheduled = false;
    this.flush();
  };
  private readonly written = (): void => {
    if (qd1Trace) qd1Stamp(`tcp.written:${this.s.remotePort ?? 0}`);
    this.writing = false;
    if (this.gatherHead < this.gather.length) this.flush();
  };

  /** A write() of this turn went to the socket at once (firstWriteAtOnce); cleared at the end of the turn. */
  private wroteThisTurn = false;
  private readonly turnEnd = (): void => {
    this.wroteThisTurn = false;
  };

  private h: SocketHandlers | null = null;
  private early: Buffer[] = [];
  private closed = false;
  private closeErr: Error | undefined;
  private connected: boolean;

  constructor(private readonly s: Socket, connected: boolean, private readonly firstWriteAtOnce = false) {
    this.connected = connected;
    s.setNoDelay(true);
    s.on('data', (b: Buffer) => {
      if (qd1Trace) qd1Stamp(`tcp.rx:${s.remotePort ?? 0}`);
      if (this.h) this.h.onData(b);
      else this.early.push(b);
    });
    s.on('drain', () => this.h?.onDrain());
    s.on('connect', () => {
      this.connected = true;
      this.h?.onConnect?.();
    });
    s.on('error', (e: Error) => {
      this.closeErr ??= e;
    });
    s.on('close', () => {
      this.dropGather();
      if (this.closed) return;
      this.closed = true;
      this.h?.onClose(this.closeErr);
    });
  }

  attach(h: SocketHandlers): void {
    this.h = h;
    for (const b of this.early) h.onData(b);
    this.early = [];
    if (this.closed) h.onClose(this.closeErr);
  }

  write(bufs: readonly Buffer[], onWritten?: () => void): boolean {
    if (this.closed || this.s.destroyed) {
      // Dropped: nothing holds the Buffers.
      if (onWritten) queueMicrotask(onWritten);
      return true;
    }
    for (const b of bufs) {
      if (b.length === 0) continue;
      this.gather.push(b);
      this.gatherBytes += b.length;
    }
    if (onWritten) {
      this.done.push(onWritten);
      this.doneAt.push(this.gather.length);
    }
    if (!this.writing && !this.flushScheduled && this.gatherHead < this.gather.length) {
      if (this.firstWriteAtOnce && !this.wroteThisTurn) {
        this.wroteThisTurn = true;
        setImmediate(this.turnEnd);
        this.flush();
      } else {
        this.flushScheduled = true;
        setImmediate(this.flushNow);
      }
    }
    return this.gatherBytes + this.s.writableLength < this.s.writableHighWaterMark;
  }

  /** Hand the queued Buffers to the socket: one gathered write, bounded, unless one is unfinished. */
  private flush(): void {
    if (this.writing || this.gatherHead >= this.gather.length) return;
    if (this.s.destroyed) {
      this.dropGather();
      return;
    }
    const g = this.gather;
    let end = this.gatherHead;
    let bytes = 0;
    while (end < g.length && end - this.gatherHead < WRITE_GATHER_BUFFERS_MAX && (end === this.gatherHead || bytes + g[end]!.length <= WRITE_GATHER_BYTES_MAX)) {
      bytes += g[end]!.length;
      end++;
    }
    const start = this.gatherHead;
    this.gatherHead = end;
    this.gatherBytes -= bytes;
    this.writing = true;
    // The write() callbacks whose Buffers all go in this gathered write run when it finishes (the
    // socket calls back once, after the last byte, or with an error once it no longer holds them).
    const due = this.takeDone(end);
    if (qd1Trace) qd1Stamp(`tcp.write:${this.s.remotePort ?? 0}`);
    const cb = due === null ? this.written : (): void => {
      this.written();
      for (const f of due) f();
    };
    let ok: boolean;
    if (end - start === 1) {
      ok = this.s.write(g[start]!, cb);
    } else {
      this.s.cork();
      for (let i = start; i < end - 1; i++) this.s.write(g[i]!);
      ok = this.s.write(g[end - 1]!, cb);
      this.s.uncork();
    }
    // All handed over: reuse the array (the socket holds the Buffers now; its callbacks come later).
    if (end === g.length) {
      g.length = 0;
      this.gatherHead = 0;
    }
    // The socket emits 'drain' only after a write it refused; bytes that left our queue and fit tell
    // the owner here, so a sender waiting for room hears of it.
    if (ok) this.h?.onDrain();
  }

  /** The write() callbacks due once gather[0, end) is written, removed from the waiting list; null if none. */
  private takeDone(end: number): Array<() => void> | null {
    if (this.done.length === 0) return null;
    let n = 0;
    while (n < this.doneAt.length && this.doneAt[n]! <= end) n++;
    if (n === 0) return null;
    const due = this.done.splice(0, n);
    this.doneAt.splice(0, n);
    return due;
  }

  private dropGather(): void {
    this.gather = [];
    this.gatherHead = 0;
    this.gatherBytes = 0;
    // Buffers never handed to the socket: nothing holds them now.
    if (this.done.length > 0) {
      const due = this.done;
      this.done = [];
      this.doneAt = [];
      for (const f of due) queueMicrotask(f);
    }
  }

  get writableBytes(): number {
    return this.gatherBytes + this.s.writableLength;
  }

  pause(): void {
    this.s.pause();
  }

  resume(): void {
    this.s.resume();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // What is queued goes to the socket first, in one go without waiting for earlier writes (a
    // protocol's last frame before it stops).
    const g = this.gather;
    if (this.gatherHead < g.length && !this.s.destroyed) {
      const due = this.takeDone(g.length);
      this.s.cork();
      for (let i = this.gatherHead; i < g.length - 1; i++) this.s.write(g[i]!);
      if (due === null) this.s.write(g[g.length - 1]!);
      else this.s.write(g[g.length - 1]!, () => { for (const f of due) f(); });
      this.s.uncork();
    }
    this.dropGather();
    this.s.destroy();
    // A local close still tells the owner, once, so it can release what it holds.
    const h = this.h;
    if (h) queueMicrotask(() => h.onClose(undefined));
  }

  get localHost(): string {
    return this.s.localAddress ?? '';
  }
  get localPort(): number {
    return this.s.localPort ?? 0;
  }
  get remoteHost(): string {
    return this.s.remoteAddress ?? '';
  }
  get remotePort(): number {
    return this.s.remotePort ?? 0;
  }
  get isConnected(): boolean {
    return this.connected;
  }
}

class TcpListener implements TransportListener {
  constructor(private readonly server: Server, readonly host: string, readonly port: number) {}
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export interface TcpTransportOptions {
  /** The first write() of a turn to an idle socket goes out at once (see the file's head); default false. */
  firstWriteAtOnce?: boolean;
}

export class TcpTransport implements Transport {
  readonly name = 'tcp';
  private readonly firstWriteAtOnce: boolean;

  constructor(opts: TcpTransportOptions = {}) {
    this.firstWriteAtOnce = opts.firstWriteAtOnce ?? false;
  }

  listen(host: string, port: number, onSocket: (s: TransportSocket) => void): Promise<TransportListener> {
    const server = createServer({ noDelay: true }, (s) => onSocket(new TcpSocket(s, true, this.firstWriteAtOnce)));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const a = server.address();
        const p = typeof a === 'object' && a ? a.port : port;
        resolve(new TcpListener(server, host, p));
      });
    });
  }

  connect(host: string, port: number): TransportSocket {
    const s = new Socket();
    const t = new TcpSocket(s, false, this.firstWriteAtOnce);
    s.connect(port, host);
    return t;
  }
}
