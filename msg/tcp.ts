// TCP transport: node:net sockets with Nagle off; a gathered write is cork() + write per Buffer +
// uncork(), which Node turns into one writev(2) of the whole list (no concatenation copy).

import { createServer, Socket, type Server } from 'node:net';
import type { SocketHandlers, Transport, TransportListener, TransportSocket } from './transport.js';

class TcpSocket implements TransportSocket {
  private h: SocketHandlers | null = null;
  private early: Buffer[] = [];
  private closed = false;
  private closeErr: Error | undefined;
  private connected: boolean;

  constructor(private readonly s: Socket, connected: boolean) {
    this.connected = connected;
    s.setNoDelay(true);
    s.on('data', (b: Buffer) => {
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

  write(bufs: readonly Buffer[]): boolean {
    if (this.closed || this.s.destroyed) return true;
    if (bufs.length === 1) return this.s.write(bufs[0]!);
    this.s.cork();
    let ok = true;
    for (const b of bufs) ok = this.s.write(b);
    this.s.uncork();
    return ok;
  }

  get writableBytes(): number {
    return this.s.writableLength;
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

export class TcpTransport implements Transport {
  readonly name = 'tcp';

  listen(host: string, port: number, onSocket: (s: TransportSocket) => void): Promise<TransportListener> {
    const server = createServer({ noDelay: true }, (s) => onSocket(new TcpSocket(s, true)));
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
    const t = new TcpSocket(s, false);
    s.connect(port, host);
    return t;
  }
}
