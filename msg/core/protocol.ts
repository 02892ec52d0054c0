// The per-connection msgr2.1 state machine (Ceph's ProtocolV2) for both roles, sans-IO: the shell feeds
// socket bytes (receive), user messages (send) and time (tick), and drains events: bytes to write (one
// gathered write per batch), received messages, session up, faults with what to do next. A Session holds
// what survives a socket (queues, sequence numbers, cookies) so a lossless peer can reconnect and replay.
// Auth is a small hook; "none" (CEPH_AUTH_NONE) is built in and talks to a real Ceph 16 ceph-mon.
// Pure: no clock (time is passed in), randomness comes from hooks, no sockets or timers.

import { CephError, assert } from '../../common/errors.js';
import { Decoder, Encoder } from '../../common/encoding.js';
import type { EntityAddr, EntityAddrVec } from '../../common/osdmap/types.js';
import { EntityType, segmentBytes, type Message, type MsgHeader, type RawMessage } from '../message.js';
import type { Policy } from '../types.js';
import {
  AUTH_SIGNATURE_BYTES, AuthMethod, ConMode, FEATURE_MSG_ADDR2, FRAME_FLAG_COMPRESSED, FrameReader, IDENT_FLAG_LOSSY,
  MSGR2_FEATURE_REVISION_1, MSGR2_REQUIRED_FEATURES, MSGR2_SUPPORTED_FEATURES, Tag, WAIT_PAYLOAD,
  EPILOGUE_REV1_BYTES, MESSAGE_HEAD_BYTES, controlFrame, decodeAuthBadMethod, decodeAuthDone, decodeAuthMore, decodeAuthRequest,
  decodeAuthSignature, decodeClientIdent, decodeFeatures, decodeHello, decodeMessageFrame, decodeReconnect,
  decodeReset, decodeServerIdent, decodeStamp, decodeU64, encodeAuthBadMethod, encodeAuthDone, encodeAuthMore,
  encodeAuthRequest, encodeAuthSignature, encodeBanner, encodeClientIdent, encodeFeatures, encodeHello,
  encodeReconnect, encodeReset, encodeServerIdent, encodeStamp, encodeU64, flatten, stampFromMs, tagName,
  messageSegmentCount, writeMessageEpilogue, writeMessageHead, type ClientIdent, type Frame, type Reconnect, type SegmentCrcMemo,
} from './frames.js';
import {
  ACK_EVERY_BYTES, ACK_EVERY_MESSAGES, BACKOFF_INITIAL_MS, WRITE_COALESCE_AREA_BYTES, WRITE_COALESCE_PIECE_BYTES, BACKOFF_MAX_MS, CONNECTION_TIMEOUT_MS, HANDSHAKE_TIMEOUT_MS,
  KEEPALIVE_INTERVAL_MS, SEGMENT_BYTES_MAX,
} from './limits.js';

// -------------------------------------------------------------------------------------------------
// Session: what outlives one socket

export interface OutEntry {
  /** The message as the user gave it, kept while it may need encoding again for the peer's features. */
  m: Message | null;
  raw: RawMessage | null;
  /** The features `raw` was encoded with. */
  features: bigint;
  /** Session sequence number once written (0 until then; kept across requeue). */
  seq: number;
  bytes: number;
  /** The message's onWritten (see Message): called once a lossy session's write of it has finished. */
  written: (() => void) | null;
}

export class Session {
  /** Not yet written, in order. Requeued unacked messages go back to its front. */
  outQueue: OutEntry[] = [];
  private outHead = 0;
  /** Written and not yet acked (lossless only), oldest first. */
  sent: OutEntry[] = [];
  outSeq = 0;
  inSeq = 0;
  clientCookie = 0n;
  serverCookie = 0n;
  connectSeq = 0;
  globalSeq = 0;
  peerGlobalSeq = 0;
  queuedBytes = 0;
  backoffMs = 0;

  get queuedCount(): number {
    return this.outQueue.length - this.outHead;
  }

  enqueue(e: OutEntry): void {
    this.outQueue.push(e);
    this.queuedBytes += e.bytes;
  }

  peek(): OutEntry | undefined {
    return this.outQueue[this.outHead];
  }

  shift(): OutEntry | undefined {
    const e = this.outQueue[this.outHead];
    if (!e) return undefined;
    this.outQueue[this.outHead] = undefined as unknown as OutEntry;
    this.outHead++;
    this.queuedBytes -= e.bytes;
    if (this.outHead === this.outQueue.length) {
      this.outQueue.length = 0;
      this.outHead = 0;
    } else if (this.outHead > 1024 && this.outHead * 2 > this.outQueue.length) {
      this.outQueue = this.outQueue.slice(this.outHead);
      this.outHead = 0;
    }
    return e;
  }

  /** After a fault: unacked messages go back to the front of the queue, in order (Ceph's requeue_sent). */
  requeueSent(): void {
    if (this.sent.length === 0) return;
    const rest = this.outQueue.slice(this.outHead);
    this.outQueue = this.sent.concat(rest);
    this.outHead = 0;
    for (const e of this.sent) this.queuedBytes += e.bytes;
    this.outSeq -= this.sent.length;
    this.sent = [];
  }

  /** Drop requeued messages the peer already has (seq <= upTo): Ceph's discard_requeued_up_to. */
  discardRequeuedUpTo(upTo: number): void {
    for (;;) {
      const e = this.peek();
      if (!e || e.seq === 0 || e.seq > upTo) break;
      this.shift();
      this.outSeq++;
    }
  }

  /** The peer acked everything up to seq. */
  ack(seq: number): void {
    let i = 0;
    while (i < this.sent.length && this.sent[i]!.seq <= seq) i++;
    if (i > 0) this.sent.splice(0, i);
  }

  /** Forget everything (a reset session): queues and sequence numbers. */
  reset(): void {
    this.outQueue = [];
    this.outHead = 0;
    this.sent = [];
    this.queuedBytes = 0;
    this.outSeq = 0;
    this.inSeq = 0;
    this.clientCookie = 0n;
    this.serverCookie = 0n;
    this.connectSeq = 0;
    this.peerGlobalSeq = 0;
  }
}

// -------------------------------------------------------------------------------------------------
// Auth hooks

export interface AuthRequestOut {
  method: number;
  preferredModes: number[];
  payload: Buffer;
}

export interface AuthClient {
  /** The first AUTH_REQUEST toward a peer of this type. */
  request(peerType: number): AuthRequestOut;
  /** AUTH_REPLY_MORE: the AUTH_REQUEST_MORE payload, or a negative errno. */
  more(payload: Buffer): Buffer | number;
  /** AUTH_DONE: 0, or a negative errno to fail the connection. */
  done(globalId: number, conMode: number, payload: Buffer): number;
}

export type AuthServerResult =
  | { result: 'done'; globalId: number; conMode: number; reply: Buffer; peerName?: { type: number; id: string } }
  | { result: 'more'; reply: Buffer }
  | { result: 'bad'; errno: number; allowedMethods: number[]; allowedModes: number[] };

export interface AuthServer {
  handle(peerType: number, method: number, preferredModes: number[], payload: Buffer, more: boolean): AuthServerResult;
}

/** AUTH_MODE_* byte at the start of a request payload (src/auth/Auth.h). */
export const AuthMode = { AUTHORIZER: 1, MON: 10 } as const;

/** Ceph's EntityName (type + id string), as auth payloads carry it. */
export interface AuthEntityName {
  type: number;
  id: string;
}

/**
 * Auth "none" as a client. Toward a monitor the payload is AUTH_MODE_MON, our EntityName and the
 * global id we hold (0 to ask for one); toward others it is the none authorizer (AUTH_MODE_AUTHORIZER,
 * name, global id). The monitor's AUTH_DONE carries our global id.
 */
export class AuthNoneClient implements AuthClient {
  globalId = 0;
  constructor(readonly name: AuthEntityName) {}
  request(peerType: number): AuthRequestOut {
    const e = new Encoder(64);
    e.u8(peerType === EntityType.MON ? AuthMode.MON : AuthMode.AUTHORIZER);
    e.u32(this.name.type).string(this.name.id);
    e.u64(this.globalId);
    return { method: AuthMethod.NONE, preferredModes: [ConMode.CRC], payload: e.toBuffer() };
  }
  more(): number {
    return -13; // EACCES: none has no second round
  }
  done(globalId: number): number {
    if (globalId) this.globalId = globalId;
    return 0;
  }
}

/** Auth "none" as a server: accepts any name; global ids come from the hook (a monitor decides them). */
export class AuthNoneServer implements AuthServer {
  constructor(private readonly assignGlobalId: () => number) {}
  handle(_peerType: number, method: number, preferredModes: number[], payload: Buffer): AuthServerResult {
    if (method !== AuthMethod.NONE || !preferredModes.includes(ConMode.CRC)) {
      return { result: 'bad', errno: -95, allowedMethods: [AuthMethod.NONE], allowedModes: [ConMode.CRC] };
    }
    let globalId = 0;
    let peerName: AuthEntityName | undefined;
    if (payload.length > 0) {
      const d = new Decoder(payload, 'auth none request');
      try {
        const mode = d.u8('mode');
        peerName = { type: d.u32('entity type'), id: d.string('entity id') };
        globalId = d.u64('global id');
        if (mode === AuthMode.MON && globalId === 0) globalId = this.assignGlobalId();
      } catch {
        return { result: 'bad', errno: -22, allowedMethods: [AuthMethod.NONE], allowedModes: [ConMode.CRC] };
      }
    }
    return peerName
      ? { result: 'done', globalId, conMode: ConMode.CRC, reply: Buffer.alloc(0), peerName }
      : { result: 'done', globalId, conMode: ConMode.CRC, reply: Buffer.alloc(0) };
  }
}

// -------------------------------------------------------------------------------------------------
// Hooks, events

export type IdentDecision = { action: 'accept'; session: Session } | { action: 'wait' } | { action: 'stop'; reason: string };
export type ReconnectDecision =
  | { action: 'reconnect'; session: Session }
  | { action: 'reset'; full: boolean }
  | { action: 'retry'; connectSeq: number }
  | { action: 'retryGlobal'; globalSeq: number }
  | { action: 'wait' };

export interface ProtocolHooks {
  /** The messenger's global_seq counter: the next value, at least `atLeast` + 1 when given. */
  nextGlobalSeq(atLeast?: number): number;
  /** A random non-zero 64-bit cookie. */
  randomCookie(): bigint;
  /** Accept side: the policy for a peer of this type (known after HELLO). */
  policyFor(peerType: number): Policy;
  authClient?: AuthClient;
  authServer?: AuthServer;
  /** Accept side: CLIENT_IDENT passed the checks; which session does it open? */
  onClientIdent(p: ProtocolV2, ident: ClientIdent): IdentDecision;
  /** Accept side: SESSION_RECONNECT; is there a session to resume? */
  onReconnect(p: ProtocolV2, r: Reconnect): ReconnectDecision;
}

/** What the shell does after a fault. */
export type FaultAction =
  | 'reset' // lossy: drop the session and its queue; tell the user (handleReset)
  | 'close' // accept side before a session existed: just close the socket
  | 'standby' // lossless: keep the session; wait for the peer (server) or for something to send
  | 'reconnect' // lossless: connect again after delayMs and resume the session
  | 'stop'; // refused for good (missing features, wrong peer): close, reset the session

export type ProtocolEvent =
  /** `done`: callbacks for the shell to run once the transport has finished writing `bufs` (see Message.onWritten). */
  | { kind: 'write'; bufs: Buffer[]; bytes: number; done?: Array<() => void> }
  | { kind: 'message'; raw: RawMessage }
  | { kind: 'ready'; reconnected: boolean }
  | { kind: 'remoteReset' }
  | { kind: 'fault'; reason: string; action: FaultAction; delayMs: number };

export interface ProtocolConfig {
  role: 'connect' | 'accept';
  myType: number;
  myGid: number;
  myAddrs: EntityAddrVec;
  features: bigint;
  /** Connect side: the peer's type and the address we dial; its policy. */
  peerType?: number;
  targetAddr?: EntityAddr;
  policy?: Policy;
  /** Accept side: the peer's socket address (sent back in HELLO). */
  peerSocketAddr?: EntityAddr;
  keepaliveIntervalMs?: number;
  connectionTimeoutMs?: number;
  segmentBytesMax?: number;
  /** Data segment crcs shared by the connections of one messenger while their Buffers stay put (the shell clears it). */
  crcMemo?: SegmentCrcMemo;
}

const S = {
  BANNER: 'BANNER',
  HELLO: 'HELLO',
  AUTH_CONNECTING: 'AUTH_CONNECTING',
  AUTH_CONNECTING_SIGN: 'AUTH_CONNECTING_SIGN',
  SESSION_CONNECTING: 'SESSION_CONNECTING',
  SESSION_RECONNECTING: 'SESSION_RECONNECTING',
  AUTH_ACCEPTING: 'AUTH_ACCEPTING',
  AUTH_ACCEPTING_MORE: 'AUTH_ACCEPTING_MORE',
  AUTH_ACCEPTING_SIGN: 'AUTH_ACCEPTING_SIGN',
  SESSION_ACCEPTING: 'SESSION_ACCEPTING',
  READY: 'READY',
  CLOSED: 'CLOSED',
} as const;
type State = (typeof S)[keyof typeof S];

const ZERO_SIGNATURE = Buffer.alloc(AUTH_SIGNATURE_BYTES);

function sameAddr(a: EntityAddr, b: EntityAddr): boolean {
  return a.type === b.type && a.nonce === b.nonce && a.family === b.family && a.sockaddr.equals(b.sockaddr);
}

/** Port of an AF_INET / AF_INET6 sockaddr (big-endian after the family). */
function addrPort(a: EntityAddr): number {
  return a.sockaddr.length >= 2 ? a.sockaddr.readUInt16BE(0) : 0;
}

/** A target address names us if it matches one of ours, or the same port and nonce (wildcard binds). */
export function addrsContain(v: EntityAddrVec, a: EntityAddr): boolean {
  for (const x of v) if (sameAddr(x, a) || (addrPort(x) === addrPort(a) && x.nonce === a.nonce && addrPort(a) !== 0)) return true;
  return false;
}

export class ProtocolV2 {
  state: State = S.BANNER;
  readonly role: 'connect' | 'accept';
  session: Session;
  policy: Policy;
  peerType: number;
  peerGid = -1;
  peerAddrs: EntityAddrVec = [];
  /** Features in effect: ours & the peer's. */
  features = 0n;
  peerSupportedFeatures = 0n;
  /** The auth entity the peer authenticated as (accept side), and the global id it got. */
  peerAuthName: AuthEntityName | null = null;
  peerGlobalId = 0;
  /** Our global id as the peer's auth told us (connect side). */
  myGlobalId = 0;
  faultReason = '';
  private readonly reader: FrameReader;
  private events: ProtocolEvent[] = [];
  private pendingWrite: Buffer[] = [];
  /** onWritten callbacks of the messages in pendingWrite (lossy sessions only). */
  private pendingDone: Array<() => void> | null = null;
  private coalesceArea: Buffer | null = null;
  private coalesceStart = 0;
  private coalesceEnd = 0;
  private pendingBytes = 0;
  private ackLeft = 0;
  /** Payload bytes of the ackLeft messages. */
  private ackBytes = 0;
  private lastRxMs = 0;
  private lastKeepaliveTxMs = 0;
  private readonly startedMs: number;
  private waitFromPeer = false;
  lastKeepaliveAckMs = 0;

  constructor(
    readonly cfg: ProtocolConfig,
    session: Session,
    readonly hooks: ProtocolHooks,
    nowMs: number,
  ) {
    this.role = cfg.role;
    this.session = session;
    this.reader = new FrameReader(true, cfg.segmentBytesMax ?? SEGMENT_BYTES_MAX);
    this.startedMs = nowMs;
    this.lastRxMs = nowMs;
    if (cfg.role === 'connect') {
      assert(cfg.peerType !== undefined && cfg.targetAddr && cfg.policy, 'connect needs peer type, address and policy');
      this.peerType = cfg.peerType;
      this.policy = cfg.policy;
      session.globalSeq = hooks.nextGlobalSeq();
    } else {
      this.peerType = -1;
      this.policy = cfg.policy ?? { lossy: true, server: true, standby: false, resetcheck: false, featuresRequired: 0n };
    }
  }

  get isReady(): boolean {
    return this.state === S.READY;
  }

  get isClosed(): boolean {
    return this.state === S.CLOSED;
  }

  /** Begin: both sides send their banner at once. */
  start(): void {
    this.write(encodeBanner(MSGR2_SUPPORTED_FEATURES, MSGR2_REQUIRED_FEATURES));
    this.flushWrites();
  }

  /** Take the events produced since the last call, in order. */
  drain(): ProtocolEvent[] {
    this.flushWrites();
    const ev = this.events;
    this.events = [];
    return ev;
  }

  // --- input ---------------------------------------------------------------------------------------

  /** Bytes from the socket. Malformed input faults the connection (see drain()). */
  receive(chunk: Buffer, nowMs: number): void {
    if (this.state === S.CLOSED) return;
    this.lastRxMs = nowMs;
    this.reader.push(chunk);
    try {
      for (;;) {
        if (this.isClosed) return;
        const item = this.reader.next();
        if (!item) break;
        if (item.kind === 'banner') this.handleBanner(item.banner.supported, item.banner.required);
        else this.handleFrame(item.frame, nowMs);
      }
    } catch (e) {
      if (e instanceof CephError) {
        this.fault(`${e.code}: ${e.message}`);
        return;
      }
      throw e;
    }
    // No ACK frame here: the next message we send carries ack_seq, which the peer takes as an ack
    // (Ceph's handle_message_ack of the header), and tick() sends an ACK frame for whatever no message
    // carried by then. A request answered in the same turn, or a replica's reply after its commit,
    // then costs the peer no extra frame, write and read.
    this.flushWrites();
  }

  /** Bytes the reader needs before the frame (or banner) it is reading is whole; 0 when closed. */
  get receiveNeededBytes(): number {
    return this.state === S.CLOSED ? 0 : this.reader.neededBytes;
  }

  /** Bytes the reader holds (for the receive throttle). */
  get bufferedBytes(): number {
    return this.reader.bufferedBytes;
  }

  // --- output ----------------------------------------------------------------------------------------

  /** Queue a message; written now if the session is up. */
  send(m: Message, flush = true): void {
    if (this.state === S.CLOSED && this.policy.lossy) return;
    this.session.enqueue(outEntry(m, this.state === S.READY ? this.features : this.cfg.features, this.state !== S.READY));
    if (flush) this.flush();
  }

  /** Write everything queued (one batch of frames) if the session is up. */
  flush(): void {
    if (this.state !== S.READY) return;
    this.flushQueue();
    this.flushWrites();
  }

  keepalive(nowMs: number): void {
    if (this.state !== S.READY) return;
    this.lastKeepaliveTxMs = nowMs;
    this.write(controlFrame(Tag.KEEPALIVE2, encodeStamp(stampFromMs(nowMs))));
    this.flushWrites();
  }

  /** Time passes: keepalives when idle, a fault when the peer has been silent too long. */
  tick(nowMs: number): void {
    if (this.state === S.CLOSED) return;
    const timeout = this.cfg.connectionTimeoutMs ?? CONNECTION_TIMEOUT_MS;
    if (this.state !== S.READY) {
      if (nowMs - this.startedMs > HANDSHAKE_TIMEOUT_MS) this.fault(`handshake not complete after ${nowMs - this.startedMs} ms (${this.state})`);
      return;
    }
    if (nowMs - this.lastRxMs > timeout) {
      this.fault(`no input for ${nowMs - this.lastRxMs} ms (connection timeout ${timeout} ms)`);
      return;
    }
    if (this.ackLeft > 0 && !this.policy.lossy) {
      this.sendAck();
      this.flushWrites();
    }
    if (nowMs - this.lastKeepaliveTxMs >= (this.cfg.keepaliveIntervalMs ?? KEEPALIVE_INTERVAL_MS)) this.keepalive(nowMs);
  }

  /** Received messages that no ACK frame or outgoing ack_seq has acknowledged yet (lossless only). */
  get unackedReceived(): number {
    return this.ackLeft;
  }

  /** The socket closed or errored, or the shell wants it gone: decide what happens to the session. */
  fault(reason: string): void {
    if (this.state === S.CLOSED) return;
    const was = this.state;
    this.state = S.CLOSED;
    this.faultReason = reason;
    this.pendingWrite = [];
    this.pendingBytes = 0;
    // Never written: their callbacks are dropped, their bytes left to the GC.
    this.pendingDone = null;
    this.coalesceStart = this.coalesceEnd;
    const s = this.session;
    let action: FaultAction;
    let delayMs = 0;
    const inAcceptHandshake = this.role === 'accept' && was !== S.READY;
    if (this.policy.lossy) {
      action = inAcceptHandshake ? 'close' : 'reset';
    } else if (inAcceptHandshake) {
      action = 'close';
    } else {
      s.requeueSent();
      const nothingQueued = s.queuedCount === 0;
      if (this.policy.server || (this.policy.standby && nothingQueued && !this.waitFromPeer)) {
        action = 'standby';
      } else {
        action = 'reconnect';
        const connecting = this.role === 'connect' && was !== S.READY;
        if (this.waitFromPeer) s.backoffMs = BACKOFF_MAX_MS;
        else if (!connecting) s.backoffMs = 0;
        else if (s.backoffMs === 0) s.backoffMs = BACKOFF_INITIAL_MS;
        else s.backoffMs = Math.min(BACKOFF_MAX_MS, s.backoffMs * 2);
        delayMs = s.backoffMs;
        if (s.serverCookie !== 0n) s.connectSeq++;
      }
    }
    this.events.push({ kind: 'fault', reason, action, delayMs });
  }

  /** Stop for good (e.g. the peer lacks required features). */
  private stop(reason: string): void {
    if (this.state === S.CLOSED) return;
    this.flushWrites();
    this.state = S.CLOSED;
    this.faultReason = reason;
    this.events.push({ kind: 'fault', reason, action: 'stop', delayMs: 0 });
  }

  // --- internals -------------------------------------------------------------------------------------

  /**
   * Queue bytes for the next gathered write. Pieces up to WRITE_COALESCE_PIECE_BYTES (preambles,
   * headers, crcs, epilogues, small fronts; never data segments) are copied side by side into a shared area so a batch of
   * small messages is a few buffers, not four per message; larger buffers are passed as they are.
   * Regions of the area are never reused once handed out (the socket may still hold them).
   */
  private write(b: Buffer): void {
    this.pendingBytes += b.length;
    if (b.length > WRITE_COALESCE_PIECE_BYTES) {
      this.sealCoalesced();
      this.pendingWrite.push(b);
      return;
    }
    let area = this.coalesceArea;
    if (!area || area.length - this.coalesceEnd < b.length) {
      this.sealCoalesced();
      area = this.coalesceArea = Buffer.allocUnsafe(WRITE_COALESCE_AREA_BYTES);
      this.coalesceStart = this.coalesceEnd = 0;
    }
    b.copy(area, this.coalesceEnd);
    this.coalesceEnd += b.length;
  }

  /**
   * One MESSAGE frame into the pending write: its head (preamble, header, header crc) and epilogue
   * written in place in the write area, front and middle pieces as write() takes them, data segments
   * as the caller's own buffers whatever their size (never copied). The bytes of assembleMessageFrame.
   */
  private writeMessage(h: MsgHeader, front: readonly Buffer[], middle: readonly Buffer[], data: readonly Buffer[]): void {
    const fl = segmentBytes(front);
    const ml = segmentBytes(middle);
    const dl = segmentBytes(data);
    const n = messageSegmentCount(fl, ml, dl);
    const head = this.reserve(MESSAGE_HEAD_BYTES);
    writeMessageHead(head, this.reservedOff, h, fl, ml, dl);
    if (n === 1) return;
    for (const b of front) if (b.length) this.write(b);
    if (n > 2) for (const b of middle) if (b.length) this.write(b);
    if (n > 3) for (const b of data) if (b.length) this.writeUncopied(b);
    const epi = this.reserve(EPILOGUE_REV1_BYTES);
    writeMessageEpilogue(epi, this.reservedOff, n, front, middle, data, this.cfg.crcMemo);
  }

  /** Where reserve() put its bytes in the area it returned. */
  private reservedOff = 0;

  /** n bytes (n <= WRITE_COALESCE_PIECE_BYTES) at the end of the write area, for the caller to fill in place. */
  private reserve(n: number): Buffer {
    this.pendingBytes += n;
    let area = this.coalesceArea;
    if (!area || area.length - this.coalesceEnd < n) {
      this.sealCoalesced();
      area = this.coalesceArea = Buffer.allocUnsafe(WRITE_COALESCE_AREA_BYTES);
      this.coalesceStart = this.coalesceEnd = 0;
    }
    this.reservedOff = this.coalesceEnd;
    this.coalesceEnd += n;
    return area;
  }

  private writeUncopied(b: Buffer): void {
    this.pendingBytes += b.length;
    this.sealCoalesced();
    this.pendingWrite.push(b);
  }

  private sealCoalesced(): void {
    if (this.coalesceArea && this.coalesceEnd > this.coalesceStart) {
      this.pendingWrite.push(this.coalesceArea.subarray(this.coalesceStart, this.coalesceEnd));
      this.coalesceStart = this.coalesceEnd;
    }
  }

  private flushWrites(): void {
    this.sealCoalesced();
    if (this.pendingWrite.length === 0) return;
    const done = this.pendingDone;
    if (done !== null) {
      this.events.push({ kind: 'write', bufs: this.pendingWrite, bytes: this.pendingBytes, done });
      this.pendingDone = null;
    } else {
      this.events.push({ kind: 'write', bufs: this.pendingWrite, bytes: this.pendingBytes });
    }
    this.pendingWrite = [];
    this.pendingBytes = 0;
  }

  private control(tag: number, payload: Buffer): void {
    this.write(controlFrame(tag, payload));
  }

  private violation(what: string): never {
    throw new CephError('EBADMSG', `msgr2: ${what} in state ${this.state}`);
  }

  private handleBanner(supported: bigint, required: bigint): void {
    if (this.state !== S.BANNER) this.violation('second banner');
    if ((MSGR2_REQUIRED_FEATURES & supported) !== MSGR2_REQUIRED_FEATURES) {
      this.stop(`peer lacks required msgr2 features 0x${MSGR2_REQUIRED_FEATURES.toString(16)}`);
      return;
    }
    if ((MSGR2_SUPPORTED_FEATURES & required) !== required) {
      this.stop(`peer requires msgr2 features 0x${required.toString(16)} we lack`);
      return;
    }
    if ((supported & MSGR2_FEATURE_REVISION_1) === 0n) {
      this.stop('peer speaks msgr2.0 only; tsceph speaks msgr2.1 (revision 1)');
      return;
    }
    this.state = S.HELLO;
    const peerAddr = this.role === 'connect' ? this.cfg.targetAddr! : (this.cfg.peerSocketAddr ?? this.cfg.myAddrs[0]!);
    this.control(Tag.HELLO, encodeHello({ entityType: this.cfg.myType, peerAddr }));
  }

  private handleFrame(f: Frame, nowMs: number): void {
    // FRAME_EARLY_DATA_COMPRESSED: only after COMPRESSION_DONE, and we never offer compression.
    if ((f.flags & FRAME_FLAG_COMPRESSED) !== 0) this.violation(`compressed ${tagName(f.tag)} without compression negotiated`);
    if (f.tag === Tag.MESSAGE) {
      if (this.state !== S.READY) this.violation('MESSAGE');
      this.handleMessage(f);
      return;
    }
    const p = flatten(f.segments[0]!);
    switch (f.tag) {
      case Tag.HELLO: return this.handleHello(p);
      case Tag.AUTH_REQUEST: return this.handleAuthRequest(p);
      case Tag.AUTH_BAD_METHOD: return this.handleAuthBadMethod(p);
      case Tag.AUTH_REPLY_MORE: return this.handleAuthReplyMore(p);
      case Tag.AUTH_REQUEST_MORE: return this.handleAuthRequestMore(p);
      case Tag.AUTH_DONE: return this.handleAuthDone(p);
      case Tag.AUTH_SIGNATURE: return this.handleAuthSignature(p);
      case Tag.CLIENT_IDENT: return this.handleClientIdent(p);
      case Tag.SERVER_IDENT: return this.handleServerIdent(p);
      case Tag.IDENT_MISSING_FEATURES: {
        if (this.state !== S.SESSION_CONNECTING) this.violation('IDENT_MISSING_FEATURES');
        this.stop(`peer requires features we lack: 0x${decodeFeatures(p).toString(16)}`);
        return;
      }
      case Tag.SESSION_RECONNECT: return this.handleReconnect(p);
      case Tag.SESSION_RESET: return this.handleSessionReset(p);
      case Tag.SESSION_RETRY: {
        if (this.state !== S.SESSION_RECONNECTING) this.violation('SESSION_RETRY');
        this.session.connectSeq = decodeU64(Tag.SESSION_RETRY, p) + 1;
        this.sendReconnect();
        return;
      }
      case Tag.SESSION_RETRY_GLOBAL: {
        if (this.state !== S.SESSION_RECONNECTING) this.violation('SESSION_RETRY_GLOBAL');
        this.session.globalSeq = this.hooks.nextGlobalSeq(decodeU64(Tag.SESSION_RETRY_GLOBAL, p));
        this.sendReconnect();
        return;
      }
      case Tag.SESSION_RECONNECT_OK: {
        if (this.state !== S.SESSION_RECONNECTING) this.violation('SESSION_RECONNECT_OK');
        this.session.discardRequeuedUpTo(decodeU64(Tag.SESSION_RECONNECT_OK, p));
        this.session.backoffMs = 0;
        this.becomeReady(true);
        return;
      }
      case Tag.WAIT: {
        if (this.state !== S.SESSION_CONNECTING && this.state !== S.SESSION_RECONNECTING) this.violation('WAIT');
        this.waitFromPeer = true;
        this.fault('peer asked us to WAIT (connection race)');
        return;
      }
      case Tag.KEEPALIVE2: {
        if (this.state !== S.READY) this.violation('KEEPALIVE2');
        this.control(Tag.KEEPALIVE2_ACK, encodeStamp(decodeStamp(Tag.KEEPALIVE2, p)));
        return;
      }
      case Tag.KEEPALIVE2_ACK: {
        if (this.state !== S.READY) this.violation('KEEPALIVE2_ACK');
        decodeStamp(Tag.KEEPALIVE2_ACK, p);
        this.lastKeepaliveAckMs = nowMs;
        return;
      }
      case Tag.ACK: {
        if (this.state !== S.READY) this.violation('ACK');
        if (!this.policy.lossy) this.session.ack(decodeU64(Tag.ACK, p));
        return;
      }
      default:
        // COMPRESSION_* are only sent after we advertise compression, which we do not.
        this.violation(`unexpected ${tagName(f.tag)}`);
    }
  }

  private handleHello(p: Buffer): void {
    if (this.state !== S.HELLO) this.violation('HELLO');
    const h = decodeHello(p);
    if (this.role === 'accept') {
      this.peerType = h.entityType;
      this.policy = this.hooks.policyFor(h.entityType);
      this.state = S.AUTH_ACCEPTING;
      return;
    }
    if (h.entityType !== this.peerType) {
      this.stop(`peer is a ${h.entityType}, not the ${this.peerType} we dialled`);
      return;
    }
    this.sendAuthRequest();
  }

  private sendAuthRequest(): void {
    const auth = this.hooks.authClient;
    if (!auth) {
      this.stop('no auth client configured');
      return;
    }
    const r = auth.request(this.peerType);
    this.state = S.AUTH_CONNECTING;
    this.control(Tag.AUTH_REQUEST, encodeAuthRequest(r));
  }

  private handleAuthBadMethod(p: Buffer): void {
    if (this.state !== S.AUTH_CONNECTING) this.violation('AUTH_BAD_METHOD');
    const b = decodeAuthBadMethod(p);
    this.stop(`peer refused auth method ${b.method} (result ${b.result}); it allows methods [${b.allowedMethods}] modes [${b.allowedModes}]`);
  }

  private handleAuthReplyMore(p: Buffer): void {
    if (this.state !== S.AUTH_CONNECTING) this.violation('AUTH_REPLY_MORE');
    const r = this.hooks.authClient!.more(decodeAuthMore(Tag.AUTH_REPLY_MORE, p));
    if (typeof r === 'number') {
      this.fault(`auth client refused the server's challenge (${r})`);
      return;
    }
    this.control(Tag.AUTH_REQUEST_MORE, encodeAuthMore(r));
  }

  private handleAuthDone(p: Buffer): void {
    if (this.state !== S.AUTH_CONNECTING) this.violation('AUTH_DONE');
    const d = decodeAuthDone(p);
    if (d.conMode !== ConMode.CRC) {
      this.stop(`peer chose connection mode ${d.conMode}; tsceph speaks crc mode only`);
      return;
    }
    const r = this.hooks.authClient!.done(d.globalId, d.conMode, d.payload);
    if (r < 0) {
      this.fault(`auth done refused (${r})`);
      return;
    }
    this.myGlobalId = d.globalId;
    this.state = S.AUTH_CONNECTING_SIGN;
    this.control(Tag.AUTH_SIGNATURE, encodeAuthSignature(ZERO_SIGNATURE));
  }

  private handleAuthSignature(p: Buffer): void {
    const sig = decodeAuthSignature(p);
    // No session key with auth none: the signature is all zeros.
    if (!sig.equals(ZERO_SIGNATURE)) this.violation('AUTH_SIGNATURE mismatch');
    if (this.state === S.AUTH_ACCEPTING_SIGN) {
      this.state = S.SESSION_ACCEPTING;
      return;
    }
    if (this.state !== S.AUTH_CONNECTING_SIGN) this.violation('AUTH_SIGNATURE');
    if (this.session.serverCookie === 0n) {
      assert(this.session.connectSeq === 0, 'a new session starts at connect_seq 0');
      this.sendClientIdent();
    } else {
      this.sendReconnect();
    }
  }

  private sendClientIdent(): void {
    const s = this.session;
    if (!this.policy.lossy && s.clientCookie === 0n) s.clientCookie = this.hooks.randomCookie();
    this.state = S.SESSION_CONNECTING;
    this.control(Tag.CLIENT_IDENT, encodeClientIdent({
      addrs: this.cfg.myAddrs,
      targetAddr: this.cfg.targetAddr!,
      gid: this.cfg.myGid,
      globalSeq: s.globalSeq,
      supportedFeatures: this.cfg.features,
      requiredFeatures: this.policy.featuresRequired | FEATURE_MSG_ADDR2,
      flags: this.policy.lossy ? IDENT_FLAG_LOSSY : 0n,
      cookie: s.clientCookie,
    }));
  }

  private sendReconnect(): void {
    const s = this.session;
    this.state = S.SESSION_RECONNECTING;
    this.control(Tag.SESSION_RECONNECT, encodeReconnect({
      addrs: this.cfg.myAddrs,
      clientCookie: s.clientCookie,
      serverCookie: s.serverCookie,
      globalSeq: s.globalSeq,
      connectSeq: s.connectSeq,
      msgSeq: s.inSeq,
    }));
  }

  private handleServerIdent(p: Buffer): void {
    if (this.state !== S.SESSION_CONNECTING) this.violation('SERVER_IDENT');
    const si = decodeServerIdent(p);
    if (!addrsContain(si.addrs, this.cfg.targetAddr!)) {
      this.fault('peer identifies with addresses that do not include the one we dialled');
      return;
    }
    const s = this.session;
    s.serverCookie = si.cookie;
    s.peerGlobalSeq = si.globalSeq;
    s.backoffMs = 0;
    this.peerAddrs = si.addrs;
    this.peerGid = si.gid;
    this.peerSupportedFeatures = si.supportedFeatures;
    this.features = si.supportedFeatures & this.cfg.features;
    if ((si.flags & IDENT_FLAG_LOSSY) !== 0n) this.policy = { ...this.policy, lossy: true };
    this.becomeReady(false);
  }

  private handleSessionReset(p: Buffer): void {
    if (this.state !== S.SESSION_RECONNECTING) this.violation('SESSION_RESET');
    const full = decodeReset(p);
    const s = this.session;
    if (full) {
      s.reset();
      this.events.push({ kind: 'remoteReset' });
    } else {
      s.serverCookie = 0n;
      s.connectSeq = 0;
      s.inSeq = 0;
    }
    this.sendClientIdent();
  }

  // --- accept side -------------------------------------------------------------------------------------

  private handleAuthRequest(p: Buffer): void {
    if (this.state !== S.AUTH_ACCEPTING) this.violation('AUTH_REQUEST');
    const r = decodeAuthRequest(p);
    this.authMethod = r.method;
    this.authModes = r.preferredModes;
    this.runAuthServer(r.method, r.preferredModes, r.payload, false);
  }

  private authMethod = 0;
  private authModes: number[] = [];

  private handleAuthRequestMore(p: Buffer): void {
    if (this.state !== S.AUTH_ACCEPTING_MORE) this.violation('AUTH_REQUEST_MORE');
    this.runAuthServer(this.authMethod, this.authModes, decodeAuthMore(Tag.AUTH_REQUEST_MORE, p), true);
  }

  private runAuthServer(method: number, modes: number[], payload: Buffer, more: boolean): void {
    const srv = this.hooks.authServer;
    if (!srv) {
      this.stop('no auth server configured');
      return;
    }
    const r = srv.handle(this.peerType, method, modes, payload, more);
    if (r.result === 'done') {
      this.peerGlobalId = r.globalId;
      this.peerAuthName = r.peerName ?? null;
      this.state = S.AUTH_ACCEPTING_SIGN;
      this.control(Tag.AUTH_DONE, encodeAuthDone({ globalId: r.globalId, conMode: r.conMode, payload: r.reply }));
      this.control(Tag.AUTH_SIGNATURE, encodeAuthSignature(ZERO_SIGNATURE));
    } else if (r.result === 'more') {
      this.state = S.AUTH_ACCEPTING_MORE;
      this.control(Tag.AUTH_REPLY_MORE, encodeAuthMore(r.reply));
    } else {
      this.state = S.AUTH_ACCEPTING;
      this.control(Tag.AUTH_BAD_METHOD, encodeAuthBadMethod({ method, result: r.errno, allowedMethods: r.allowedMethods, allowedModes: r.allowedModes }));
    }
  }

  private handleClientIdent(p: Buffer): void {
    if (this.state !== S.SESSION_ACCEPTING) this.violation('CLIENT_IDENT');
    const ci = decodeClientIdent(p);
    if (ci.addrs.length === 0 || (ci.addrs[0]!.type === 0 && ci.addrs[0]!.sockaddr.length === 0)) this.violation('CLIENT_IDENT without addresses');
    if (!addrsContain(this.cfg.myAddrs, ci.targetAddr)) {
      this.fault('peer is trying to reach an address that is not ours');
      return;
    }
    this.peerAddrs = ci.addrs;
    this.peerGid = ci.gid;
    this.peerSupportedFeatures = ci.supportedFeatures;
    const missing = (this.policy.featuresRequired | FEATURE_MSG_ADDR2) & ~ci.supportedFeatures;
    if (missing !== 0n) {
      this.control(Tag.IDENT_MISSING_FEATURES, encodeFeatures(missing));
      return;
    }
    if ((ci.flags & IDENT_FLAG_LOSSY) !== 0n && !this.policy.lossy) this.policy = { ...this.policy, lossy: true };
    const d = this.hooks.onClientIdent(this, ci);
    if (d.action === 'wait') {
      this.control(Tag.WAIT, WAIT_PAYLOAD);
      return;
    }
    if (d.action === 'stop') {
      this.stop(d.reason);
      return;
    }
    const s = (this.session = d.session);
    s.clientCookie = ci.cookie;
    s.peerGlobalSeq = ci.globalSeq;
    s.inSeq = 0;
    s.discardRequeuedUpTo(0);
    s.serverCookie = this.policy.lossy ? 0n : this.hooks.randomCookie();
    this.features = ci.supportedFeatures & this.cfg.features;
    this.control(Tag.SERVER_IDENT, encodeServerIdent({
      addrs: this.cfg.myAddrs,
      gid: this.cfg.myGid,
      globalSeq: this.hooks.nextGlobalSeq(),
      supportedFeatures: this.cfg.features,
      requiredFeatures: this.policy.featuresRequired | FEATURE_MSG_ADDR2,
      flags: this.policy.lossy ? IDENT_FLAG_LOSSY : 0n,
      cookie: s.serverCookie,
    }));
    this.becomeReady(false);
  }

  private handleReconnect(p: Buffer): void {
    if (this.state !== S.SESSION_ACCEPTING) this.violation('SESSION_RECONNECT');
    const r = decodeReconnect(p);
    this.peerAddrs = r.addrs;
    const d = this.hooks.onReconnect(this, r);
    switch (d.action) {
      case 'reset': this.control(Tag.SESSION_RESET, encodeReset(d.full)); return;
      case 'retry': this.control(Tag.SESSION_RETRY, encodeU64(d.connectSeq)); return;
      case 'retryGlobal': this.control(Tag.SESSION_RETRY_GLOBAL, encodeU64(d.globalSeq)); return;
      case 'wait': this.control(Tag.WAIT, WAIT_PAYLOAD); return;
      default: break;
    }
    const s = (this.session = d.session);
    s.connectSeq = r.connectSeq;
    s.peerGlobalSeq = r.globalSeq;
    s.requeueSent();
    s.discardRequeuedUpTo(r.msgSeq);
    s.backoffMs = 0;
    this.control(Tag.SESSION_RECONNECT_OK, encodeU64(s.inSeq));
    this.becomeReady(true);
  }

  /** Adopt the peer facts of the connection this socket replaces (accept side reconnect). */
  adoptPeer(peerGid: number, features: bigint): void {
    this.peerGid = peerGid;
    this.features = features;
  }

  // --- READY -----------------------------------------------------------------------------------------

  private becomeReady(reconnected: boolean): void {
    this.state = S.READY;
    this.lastKeepaliveTxMs = this.lastRxMs;
    this.waitFromPeer = false;
    this.events.push({ kind: 'ready', reconnected });
    this.flushQueue();
  }

  private flushQueue(): void {
    const s = this.session;
    const lossless = !this.policy.lossy;
    for (;;) {
      const e = s.shift();
      if (!e) break;
      if (e.m) {
        // Encoded before the peer's features were known: encode again if they differ from our guess.
        if (!e.raw || e.features !== this.features) e.raw = e.m.toRaw(this.features);
        e.m = null;
      }
      assert(e.raw, 'an out entry has its encoding');
      e.seq = ++s.outSeq;
      const h = e.raw.header;
      h.seq = e.seq;
      h.ackSeq = s.inSeq;
      this.writeMessage(h, e.raw.front, e.raw.middle, e.raw.data);
      if (lossless) {
        // Kept for replay until acked: its bytes stay referenced, so its onWritten is never called.
        s.sent.push(e);
        e.written = null;
      } else if (e.written !== null) {
        (this.pendingDone ??= []).push(e.written);
        e.written = null;
      }
    }
    this.ackLeft = 0;
    this.ackBytes = 0;
  }

  private sendAck(): void {
    this.ackLeft = 0;
    this.ackBytes = 0;
    this.control(Tag.ACK, encodeU64(this.session.inSeq));
  }

  private handleMessage(f: Frame): void {
    const parts = decodeMessageFrame(f);
    const h = parts.header;
    const s = this.session;
    if (!this.policy.lossy) s.ack(h.ackSeq);
    if (h.seq <= s.inSeq) return; // a replayed message we already have
    s.inSeq = h.seq;
    this.events.push({ kind: 'message', raw: parts });
    if (!this.policy.lossy) {
      this.ackBytes += rawBytes(parts);
      if (++this.ackLeft >= ACK_EVERY_MESSAGES || this.ackBytes >= ACK_EVERY_BYTES) this.sendAck();
    }
  }
}

/**
 * A queue entry for a message, encoded now with `features` (the peer's once known, else ours as the
 * guess); `keep` keeps the message so it can be encoded again if the session settles on other features.
 */
export function outEntry(m: Message, features: bigint, keep: boolean): OutEntry {
  const raw = m.toRaw(features);
  const written = m.onWritten;
  m.onWritten = null;
  return { m: keep ? m : null, raw, features, seq: 0, bytes: rawBytes(raw), written };
}

/** Payload bytes of a raw message (front + middle + data), the unit of the throttles. */
export function rawBytes(r: RawMessage): number {
  return segmentBytes(r.front) + segmentBytes(r.middle) + segmentBytes(r.data);
}
