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
//
// Reads land in memory the transport chooses (net.Socket's `onread`), not in Node's fresh 64 KiB
// Buffer per read: while the owner expects more than RECEIVE_SLAB_BYTES (the rest of a large frame,
// SocketHandlers.receiveHint), the read target is a Buffer of exactly that many bytes, at most
// RECEIVE_BUFFER_BYTES_MAX, so the kernel hands over up to that much per read(2) (a 4 MiB message
// arrives in about 5 reads instead of 64) and a read never runs into the next frame; otherwise reads
// fill a shared slab of RECEIVE_SLAB_BYTES front to back (one allocation per slab, not per read).
// Each onData chunk is a view of memory no later read touches: a slab region is handed out once,
// and a large-read Buffer belongs to the chunks cut from it. The cost of a read is mostly per call and
// per fresh allocation (docs/messenger.md, "Receive buffers").

import { createServer, Socket, type OnReadOpts, type Server } from 'node:net';
import { assert } from '../common/errors.js';
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
/** Size of the slab that reads of small or unknown size fill in turn (Node's own read size). */
export const RECEIVE_SLAB_BYTES = 64 * 1024;
/** A slab with less room than this left is replaced before the next read (no tiny reads). */
export const RECEIVE_SLAB_READ_BYTES_MIN = 16 * 1024;
/**
 * Largest read target of a large frame. Below glibc's mmap threshold as the daemons pin it (1 MiB,
 * bin/daemon-memory.ts), so the Buffer comes from the heap and not from a fresh mmap whose pages
 * fault on first touch (a fresh 4 MiB target per message costs as much as the 64 reads it saves).
 */
export const RECEIVE_BUFFER_BYTES_MAX = 1024 * 1024 - 16 * 1024;

assert(RECEIVE_SLAB_READ_BYTES_MIN < RECEIVE_SLAB_BYTES, 'a fresh slab takes a full read');
assert(RECEIVE_SLAB_BYTES < RECEIVE_BUFFER_BYTES_MAX, 'large reads are larger than slab reads');

/** What a net.Socket carries beyond its typings: the libuv handle (absent once destroyed). */
interface SocketWithHandle {
  _handle?: object | null;
}

/** net.Socket's constructor options as Node 20 reads them (the typings omit `handle` and `onread`). */
interface SocketOptionsWithRead {
  handle?: object;
  onread: OnReadOpts;
  allowHalfOpen?: boolean;
}

/**
 * Where a socket's reads land (see the top of the file). One per socket; `target()` is asked before
 * each read, `take(n)` after it, and returns the n received bytes as a Buffer no later read writes to.
 * Reads fill the current Buffer front to back with no gaps, whatever its size, so a peer trickling a
 * large frame in small reads pins no more memory than it sent (plus one Buffer being filled).
 */
class ReceiveTargets {
  private buf: Buffer = EMPTY;
  private used = 0;
  /** The Buffer handed to the socket for the next read (a view of buf from `used`). */
  private current: Buffer = EMPTY;
  /** Reads made and Buffers allocated (tests and benchmarks look). */
  reads = 0;
  allocations = 0;

  constructor(private readonly hint: () => number) {}

  target(): Buffer {
    const want = this.hint();
    const left = this.buf.length - this.used;
    if (want > RECEIVE_SLAB_BYTES) {
      // A large remainder: read at most that much, so the read stops at the frame's end; into what is
      // left of the current Buffer when that still takes a slab-sized read, else into a fresh one.
      if (left < RECEIVE_SLAB_BYTES) this.renew(Math.min(want, RECEIVE_BUFFER_BYTES_MAX));
      this.current = this.buf.subarray(this.used, this.used + Math.min(want, this.buf.length - this.used));
      return this.current;
    }
    if (left < RECEIVE_SLAB_READ_BYTES_MIN) this.renew(RECEIVE_SLAB_BYTES);
    this.current = this.buf.subarray(this.used);
    return this.current;
  }

  private renew(bytes: number): void {
    this.buf = Buffer.allocUnsafeSlow(bytes);
    this.used = 0;
    this.allocations++;
  }

  /** The n bytes the last read put in target(); that memory is the caller's from now on. */
  take(n: number, into: Uint8Array): Buffer {
    assert(into === this.current && n > 0 && n <= into.length, 'a read lands in the target it was given');
    this.reads++;
    const b = n === this.buf.length ? this.buf : this.buf.subarray(this.used, this.used + n);
    this.used += n;
    this.current = EMPTY;
    return b;
  }
}

const EMPTY = Buffer.alloc(0);

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

  /** Where reads land when the socket reads through `onread` (see ReceiveTargets). */
  readonly targets: ReceiveTargets;
  private s: Socket;

  /**
   * `make` builds the net.Socket with the given `onread` options (a dialled socket), or wraps an
   * accepted one's handle; a socket that cannot read through onread passes its 'data' to `onData`.
   */
  constructor(make: (onread: OnReadOpts, onData: (b: Buffer) => void) => Socket, connected: boolean, private readonly firstWriteAtOnce = false) {
    this.connected = connected;
    this.targets = new ReceiveTargets(() => this.h?.receiveHint?.() ?? 0);
    const targets = this.targets;
    const onread: OnReadOpts = {
      buffer: () => targets.target(),
      callback: (n: number, buf: Uint8Array): boolean => {
        this.received(targets.take(n, buf));
        return true; // receive back-pressure is pause(), not this
      },
    };
    const s = (this.s = make(onread, (b) => this.received(b)));
    s.setNoDelay(true);
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

  private received(b: Buffer): void {
    if (qd1Trace) qd1Stamp(`tcp.rx:${this.s.remotePort ?? 0}`);
    if (this.h) this.h.onData(b);
    else this.early.push(b);
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
    // Accepted sockets start paused, so that their handle can move to a socket that reads through
    // onread before any byte is read (net.Server takes no onread of its own).
    const server = createServer({ noDelay: true, pauseOnConnect: true }, (s) => onSocket(new TcpSocket((onread, onData) => withOnread(s, onread, onData), true, this.firstWriteAtOnce)));
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
    let s: Socket | null = null;
    const t = new TcpSocket((onread) => {
      const opts: SocketOptionsWithRead = { onread };
      s = new Socket(opts);
      return s;
    }, false, this.firstWriteAtOnce);
    s!.connect(port, host);
    return t;
  }
}

/**
 * An accepted (paused) socket as one that reads through `onread`: its libuv handle moves to a new
 * net.Socket built with it (Node's constructor takes a handle and onread together), and the old
 * object, left without a handle, is destroyed, which also takes it off the server's connection count.
 * If the handle is not there (a Node without `_handle`), the accepted socket is used as it is and
 * reads arrive as 'data' events instead.
 */
function withOnread(accepted: Socket, onread: OnReadOpts, onData: (b: Buffer) => void): Socket {
  const a = accepted as Socket & SocketWithHandle;
  const handle = a._handle;
  if (!handle) {
    accepted.on('data', onData);
    accepted.resume();
    return accepted;
  }
  a._handle = null;
  accepted.destroy();
  const opts: SocketOptionsWithRead = { handle, onread, allowHalfOpen: false };
  return new Socket(opts);
}
