// The byte transport under the msgr2 protocol. The protocol core only needs: a stream of received
// chunks, a gathered write of a Buffer list, back-pressure both ways (pause reading; know how much is
// queued for writing) and close. TCP (msg/tcp.ts) is the first implementation; an RDMA transport fits
// the same shape (docs/messenger.md): its receive completions become onData chunks from a registered
// buffer pool, write posts one send work request per Buffer (a scatter/gather list), pause stops
// reposting receive buffers (the peer's sends then wait for credits), and onDrain fires when send
// completions free the queue.

/** Callbacks a socket's owner installs (once) with attach(). */
export interface SocketHandlers {
  /** Outgoing sockets only: the connection is established. */
  onConnect?(): void;
  /** Received bytes. The Buffer is the owner's from now on (the transport must not reuse its memory). */
  onData(chunk: Buffer): void;
  /**
   * Bytes the owner still needs before it can go on (the rest of a frame), 0 if it cannot tell. A
   * transport that chooses its read sizes reads a large remainder in large reads that stop at its end
   * (msg/tcp.ts); one that cannot (the simulated network) ignores it. Asked before each read.
   */
  receiveHint?(): number;
  /** The write queue drained below the transport's high-water mark. */
  onDrain(): void;
  /** The socket is gone; err says why when it was not a local close. Called exactly once. */
  onClose(err?: Error): void;
}

export interface TransportSocket {
  attach(h: SocketHandlers): void;
  /**
   * One gathered write of the whole list. Returns false when the caller should wait for onDrain.
   * `onWritten`, if given, is called once the transport references none of `bufs` any more: their
   * write finished, failed, or was dropped with the socket. A transport that cannot tell may never
   * call it (the caller then leaves the Buffers to the GC); it must never call it early.
   */
  write(bufs: readonly Buffer[], onWritten?: () => void): boolean;
  /** Bytes accepted by write() and not yet handed to the network. */
  readonly writableBytes: number;
  /** Stop / restart delivering onData (receive back-pressure). */
  pause(): void;
  resume(): void;
  close(): void;
  readonly localHost: string;
  readonly localPort: number;
  readonly remoteHost: string;
  readonly remotePort: number;
}

export interface TransportListener {
  readonly host: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface Transport {
  readonly name: string;
  /** Listen; each accepted socket is passed to onSocket, which must attach() to it. */
  listen(host: string, port: number, onSocket: (s: TransportSocket) => void): Promise<TransportListener>;
  /** Dial; the result reports onConnect or onClose(err) through the handlers attached to it. */
  connect(host: string, port: number): TransportSocket;
}
