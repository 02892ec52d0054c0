// Proves the sans-IO msgr2 protocol core by driving two ProtocolV2 instances over an in-memory wire: the handshake in both roles with auth none, messages both ways, the frame transcript of new / resumed / reset sessions, the accept-side session rules case by case, lossless reconnect replaying unacked messages exactly once and in order across seeded cuts of the wire, lossy faults dropping the session, resetcheck (SESSION_RESET to a reconnecting peer after a restart, session reset on a new client cookie), keepalives, the input timeout, missing features, protocol violations and seeded hostile peers (random frames in any state never throw, only fault). Replay one seed: PROTOCOL_SEED=<n>.
import { strict as assert } from 'node:assert';
import { AF_INET, type EntityAddr } from '../../common/osdmap/types.js';
import { EntityType, Message, type RawMessage } from '../../msg/message.js';
import { Policies, type Policy } from '../../msg/types.js';
import {
  FrameReader, Tag, assembleFrame, assembleMessageFrame, controlFrame, encodeAuthDone, encodeAuthRequest, encodeClientIdent, encodeHello,
  encodeReconnect, encodeReset, encodeServerIdent, encodeU64, tagName, type ClientIdent, type Reconnect,
} from '../../msg/core/frames.js';
import {
  AuthNoneClient, AuthNoneServer, ProtocolV2, Session, type IdentDecision, type ProtocolEvent, type ProtocolHooks, type ReconnectDecision,
} from '../../msg/core/protocol.js';
import { ACK_EVERY_BYTES, CONNECTION_TIMEOUT_MS, KEEPALIVE_INTERVAL_MS } from '../../msg/core/limits.js';
import { judgeClientIdent, judgeReconnect, type ExistingView } from '../../msg/core/sessions.js';
import { Rng, caseSeed } from '../support/rng.js';

const TEST_TYPE = 0x7e10;

class TestMsg extends Message {
  constructor(public text: string, public bulk: Buffer = Buffer.alloc(0)) {
    super(TEST_TYPE, 1, 1);
  }
  encodePayload(): void {
    this.front = [Buffer.from(this.text)];
    if (this.bulk.length) this.data = [this.bulk];
  }
  typeName(): string {
    return 'test';
  }
}

const addr = (port: number, nonce: number): EntityAddr => {
  const sa = Buffer.alloc(14);
  sa.writeUInt16BE(port, 0);
  sa.set([127, 0, 0, 1], 2);
  return { type: 2, nonce, family: AF_INET, sockaddr: sa };
};
const keyOf = (a: EntityAddr) => `${a.sockaddr.toString('hex')}/${a.nonce}`;

/** One endpoint: its address, its sessions by peer address (what the messenger keeps), what it received. */
class Node {
  readonly addr: EntityAddr;
  readonly table = new Map<string, Session>();
  readonly received: string[] = [];
  readonly events: string[] = [];
  gseq = 0;
  cookies: Rng;
  constructor(readonly type: number, port: number, readonly policy: Policy, seed: number) {
    this.addr = addr(port, 1000 + port);
    this.cookies = new Rng(seed);
  }
  /** The existing session with a peer as the shared rules see it (the harness keeps no sockets, so never READY or dialling). */
  view(k: string): ExistingView | undefined {
    const s = this.table.get(k);
    return s && { session: s, lossy: this.policy.lossy, server: this.policy.server, resetcheck: this.policy.resetcheck, ready: false, connecting: false };
  }
  hooks(): ProtocolHooks {
    return {
      nextGlobalSeq: (atLeast?: number) => (this.gseq = Math.max(this.gseq, atLeast ?? 0) + 1),
      randomCookie: () => BigInt(this.cookies.u32()) * 4294967296n + BigInt(this.cookies.u32() | 1),
      policyFor: () => this.policy,
      authClient: new AuthNoneClient({ type: this.type, id: 'x' }),
      authServer: new AuthNoneServer(() => 4100),
      onClientIdent: (p: ProtocolV2, ci: ClientIdent): IdentDecision => {
        const k = keyOf(ci.addrs[0]!);
        const v = judgeClientIdent(this.view(k), ci, p.policy.lossy, true);
        if (v === 'race-lost') return { action: 'wait' };
        if (v === 'stale') return { action: 'stop', reason: 'stale' };
        if (v === 'new' || v === 'replace-lossy') this.table.set(k, new Session());
        const s = this.table.get(k)!;
        if (v === 'peer-restarted' && p.policy.resetcheck) {
          s.reset();
          this.events.push('remoteReset(ident)');
        }
        return { action: 'accept', session: s };
      },
      onReconnect: (_p: ProtocolV2, r: Reconnect): ReconnectDecision => {
        const k = keyOf(r.addrs[0]!);
        const v = judgeReconnect(this.view(k), r, false);
        return v.action === 'reconnect' ? { action: 'reconnect', session: this.table.get(k)! } : v;
      },
    };
  }
}

/** A socket pair in memory: bytes written by one protocol wait in `toX` until moved. */
class Wire {
  toB: Buffer[] = [];
  toA: Buffer[] = [];
  faults: Array<{ side: string; reason: string; action: string }> = [];
  /** What crossed the wire, as frame names, per direction (a transcript). */
  readonly trace: string[] = [];
  private readonly tapAB = new FrameReader(true);
  private readonly tapBA = new FrameReader(true);
  constructor(readonly a: ProtocolV2, readonly b: ProtocolV2, readonly na: Node, readonly nb: Node, public now = 1000) {}

  private collect(p: ProtocolV2, n: Node, out: Buffer[], side: string): boolean {
    let any = false;
    for (const ev of p.drain()) {
      any = true;
      this.note(ev, n, out, side);
    }
    return any;
  }

  private note(ev: ProtocolEvent, n: Node, out: Buffer[], side: string): void {
    if (ev.kind === 'write') out.push(...ev.bufs);
    else if (ev.kind === 'message') n.received.push(textOf(ev.raw));
    else if (ev.kind === 'ready') n.events.push(ev.reconnected ? 'ready(resumed)' : 'ready');
    else if (ev.kind === 'remoteReset') n.events.push('remoteReset');
    else this.faults.push({ side, reason: ev.reason, action: ev.action });
  }

  private tap(r: FrameReader, b: Buffer, dir: string): void {
    r.push(Buffer.from(b));
    try {
      for (let it = r.next(); it; it = r.next()) this.trace.push(`${dir} ${it.kind === 'banner' ? 'banner' : tagName(it.frame.tag)}`);
    } catch {
      this.trace.push(`${dir} (garbage)`);
    }
  }

  /** Move bytes both ways until both sides are quiet; `budget` caps the bytes A->B carries (a cut). */
  run(budget = Infinity): void {
    for (let guard = 0; guard < 10_000; guard++) {
      let moved = this.collect(this.a, this.na, this.toB, 'A') || this.collect(this.b, this.nb, this.toA, 'B');
      if (this.toB.length && budget > 0) {
        const chunk = Buffer.concat(this.toB);
        this.toB = [];
        const n = Math.min(chunk.length, budget);
        budget -= n;
        this.tap(this.tapAB, chunk.subarray(0, n), 'A->B');
        this.b.receive(chunk.subarray(0, n), this.now);
        if (n < chunk.length) this.toB = [chunk.subarray(n)];
        moved = true;
      }
      if (this.toA.length) {
        const chunk = Buffer.concat(this.toA);
        this.toA = [];
        this.tap(this.tapBA, chunk, 'B->A');
        this.a.receive(chunk, this.now);
        moved = true;
      }
      if (!moved) return;
      if (budget <= 0 && this.toB.length) {
        // The cut: everything else A sent is lost with the socket.
        this.collect(this.a, this.na, [], 'A');
        this.collect(this.b, this.nb, this.toA, 'B');
        return;
      }
    }
    assert.fail('wire never went quiet');
  }
}

function textOf(r: RawMessage): string {
  return Buffer.concat(r.front).toString();
}

function connectPair(na: Node, nb: Node, sessionA: Session, now = 1000): Wire {
  const a = new ProtocolV2(
    { role: 'connect', myType: na.type, myGid: 1, myAddrs: [na.addr], features: 0x3f01cfbffffdffffn, peerType: nb.type, targetAddr: nb.addr, policy: na.policy },
    sessionA, na.hooks(), now,
  );
  const b = new ProtocolV2(
    { role: 'accept', myType: nb.type, myGid: 2, myAddrs: [nb.addr], features: 0x3f01cfbffffdffffn, peerSocketAddr: na.addr },
    new Session(), nb.hooks(), now,
  );
  a.start();
  b.start();
  return new Wire(a, b, na, nb, now);
}

describe('msgr2 protocol core', () => {
  it('handshake in both roles (auth none), then messages both ways', () => {
    const na = new Node(EntityType.CLIENT, 1, Policies.lossyClient(), 1);
    const nb = new Node(EntityType.MON, 2, Policies.statelessServer(), 2);
    const w = connectPair(na, nb, new Session());
    w.run();
    assert.deepEqual(na.events, ['ready']);
    assert.deepEqual(nb.events, ['ready']);
    assert.ok(w.a.isReady && w.b.isReady);
    assert.equal(w.a.myGlobalId, 4100, 'AUTH_DONE carried the global id the server assigned');
    assert.equal(w.b.peerGlobalId, 4100);
    assert.deepEqual(w.b.peerAuthName, { type: EntityType.CLIENT, id: 'x' });
    assert.equal(w.a.peerGid, 2);
    assert.equal(w.b.peerGid, 1);
    assert.equal(w.a.policy.lossy, true);
    for (let i = 0; i < 5; i++) w.a.send(new TestMsg(`a${i}`));
    w.b.send(new TestMsg('b0', Buffer.alloc(1 << 20, 1)));
    w.run();
    assert.deepEqual(nb.received, ['a0', 'a1', 'a2', 'a3', 'a4']);
    assert.deepEqual(na.received, ['b0']);
    assert.equal(w.faults.length, 0);
  });

  it('transcript: the frames of a new session, a resumed one and a reset one, in order each way', () => {
    const na = new Node(EntityType.MON, 1, Policies.losslessPeer(), 1);
    let nb = new Node(EntityType.MON, 2, Policies.losslessPeer(), 2);
    const sa = new Session();
    let w = connectPair(na, nb, sa);
    w.a.send(new TestMsg('m'));
    w.run();
    const dir = (t: string[], d: string) => t.filter((x) => x.startsWith(d)).map((x) => x.slice(5));
    // The ACK waits for a message to ride on; with none, the next tick sends it as a frame.
    assert.deepEqual(dir(w.trace, 'B->A'), ['banner', 'HELLO', 'AUTH_DONE', 'AUTH_SIGNATURE', 'SERVER_IDENT']);
    assert.equal(w.b.unackedReceived, 1);
    w.b.tick(w.now);
    w.run();
    assert.equal(w.b.unackedReceived, 0);
    assert.deepEqual(dir(w.trace, 'A->B'), ['banner', 'HELLO', 'AUTH_REQUEST', 'AUTH_SIGNATURE', 'CLIENT_IDENT', 'MESSAGE']);
    assert.deepEqual(dir(w.trace, 'B->A'), ['banner', 'HELLO', 'AUTH_DONE', 'AUTH_SIGNATURE', 'SERVER_IDENT', 'ACK']);
    w.a.fault('cut');
    w.b.fault('cut');
    w = connectPair(na, nb, sa);
    w.run();
    assert.deepEqual(dir(w.trace, 'A->B'), ['banner', 'HELLO', 'AUTH_REQUEST', 'AUTH_SIGNATURE', 'SESSION_RECONNECT']);
    assert.deepEqual(dir(w.trace, 'B->A'), ['banner', 'HELLO', 'AUTH_DONE', 'AUTH_SIGNATURE', 'SESSION_RECONNECT_OK']);
    w.a.fault('cut');
    w.b.fault('cut');
    nb = new Node(EntityType.MON, 2, Policies.losslessPeer(), 3);
    w = connectPair(na, nb, sa);
    w.run();
    assert.deepEqual(dir(w.trace, 'A->B').slice(4), ['SESSION_RECONNECT', 'CLIENT_IDENT']);
    assert.deepEqual(dir(w.trace, 'B->A').slice(4), ['SESSION_RESET', 'SERVER_IDENT']);
  });

  it('the accept-side session rules (Ceph\'s handle_client_ident / handle_reconnect)', () => {
    const s = new Session();
    s.clientCookie = 5n;
    s.serverCookie = 9n;
    s.peerGlobalSeq = 10;
    s.connectSeq = 2;
    const view = (o: Partial<ExistingView> = {}): ExistingView => ({ session: s, lossy: false, server: false, resetcheck: true, ready: false, connecting: false, ...o });
    const ci = (cookie: bigint, globalSeq = 11): ClientIdent => ({ addrs: [], targetAddr: addr(1, 1), gid: 1, globalSeq, supportedFeatures: 0n, requiredFeatures: 0n, flags: 0n, cookie });
    assert.equal(judgeClientIdent(undefined, ci(5n), false, true), 'new');
    assert.equal(judgeClientIdent(view({ lossy: true }), ci(5n), false, true), 'replace-lossy');
    assert.equal(judgeClientIdent(view(), ci(6n), false, true), 'peer-restarted');
    assert.equal(judgeClientIdent(view({ ready: true }), ci(5n, 3), false, true), 'stale');
    // The losing dial of a race arrives after the winner's session is up: stale, not a restart.
    assert.equal(judgeClientIdent(view({ ready: true }), ci(6n, 3), false, true), 'stale');
    assert.equal(judgeClientIdent(view({ ready: true }), ci(6n, 12), false, true), 'peer-restarted');
    assert.equal(judgeClientIdent(view({ ready: true }), ci(5n), false, true), 'take-over');
    const fresh = new Session();
    const raceView = { ...view({ connecting: true }), session: fresh };
    assert.equal(judgeClientIdent(raceView, ci(7n), false, true), 'race-won');
    assert.equal(judgeClientIdent(raceView, ci(7n), false, false), 'race-lost');
    assert.equal(judgeClientIdent({ ...raceView, server: true }, ci(7n), false, false), 'race-won');
    const rc = (o: Partial<Reconnect> = {}): Reconnect => ({ addrs: [], clientCookie: 5n, serverCookie: 9n, globalSeq: 11, connectSeq: 3, msgSeq: 0, ...o });
    assert.deepEqual(judgeReconnect(undefined, rc(), false), { action: 'reset', full: true });
    assert.deepEqual(judgeReconnect(view(), rc({ clientCookie: 1n }), false), { action: 'reset', full: true });
    assert.deepEqual(judgeReconnect(view({ resetcheck: false }), rc({ clientCookie: 1n }), false), { action: 'reset', full: false });
    assert.deepEqual(judgeReconnect(view(), rc({ globalSeq: 4 }), false), { action: 'retryGlobal', globalSeq: 10 });
    assert.deepEqual(judgeReconnect(view(), rc({ connectSeq: 1 }), false), { action: 'retry', connectSeq: 2 });
    assert.deepEqual(judgeReconnect(view({ connecting: true }), rc({ connectSeq: 2 }), true), { action: 'wait' });
    assert.deepEqual(judgeReconnect(view({ connecting: true }), rc({ connectSeq: 2 }), false), { action: 'reconnect' });
    assert.deepEqual(judgeReconnect(view(), rc(), false), { action: 'reconnect' });
    const noServerCookie = new Session();
    noServerCookie.clientCookie = 5n;
    assert.deepEqual(judgeReconnect({ ...view(), session: noServerCookie }, rc(), false), { action: 'reset', full: false });
  });

  it('messages queued before the session is up are sent once it is', () => {
    const na = new Node(EntityType.OSD, 1, Policies.losslessPeer(), 1);
    const nb = new Node(EntityType.OSD, 2, Policies.losslessPeer(), 2);
    const s = new Session();
    const w = connectPair(na, nb, s);
    w.a.send(new TestMsg('early'));
    w.run();
    assert.deepEqual(nb.received, ['early']);
  });

  it('lossless acks ride on the ack_seq of a reply: no ACK frame, and the sender\'s sent list empties', () => {
    const na = new Node(EntityType.OSD, 1, Policies.losslessPeer(), 1);
    const nb = new Node(EntityType.OSD, 2, Policies.losslessPeer(), 2);
    const sa = new Session();
    const w = connectPair(na, nb, sa);
    w.run();
    for (let i = 0; i < 3; i++) w.a.send(new TestMsg(`q${i}`));
    w.run();
    assert.equal(sa.sent.length, 3, 'nothing acked yet');
    w.b.send(new TestMsg('reply'));
    w.run();
    assert.equal(sa.sent.length, 0, 'the reply\'s ack_seq acked all three');
    assert.equal(w.b.unackedReceived, 0);
    assert.ok(!w.trace.some((t) => t === 'B->A ACK'), 'no ACK frame was needed');
    assert.deepEqual(na.received, ['reply']);
    // A has not acked the reply yet: its tick sends the frame.
    assert.equal(w.a.unackedReceived, 1);
    w.a.tick(w.now);
    w.run();
    assert.ok(w.trace.includes('A->B ACK'));
    assert.equal(w.a.unackedReceived, 0);
    // Large messages are acked at once (ACK_EVERY_BYTES): the sender must not hold a tick's worth.
    w.a.send(new TestMsg('big', Buffer.alloc(ACK_EVERY_BYTES, 3)));
    w.run();
    assert.equal(sa.sent.length, 0, 'acked without a tick');
    assert.equal(w.trace.filter((t) => t === 'B->A ACK').length, 1);
  });

  it('lossless: seeded cuts of the wire; reconnect replays unacked messages exactly once, in order', () => {
    const only = process.env.PROTOCOL_SEED ? Number(process.env.PROTOCOL_SEED) : undefined;
    const runs = only !== undefined ? 1 : 40;
    let replayedTotal = 0;
    for (let r = 0; r < runs; r++) {
      const seed = only ?? caseSeed(0x5e551, r);
      const rng = new Rng(seed);
      const na = new Node(EntityType.MON, 1, Policies.losslessPeer(), seed);
      const nb = new Node(EntityType.MON, 2, Policies.losslessPeer(), seed + 1);
      const sessionA = new Session();
      let w = connectPair(na, nb, sessionA);
      w.run();
      const total = 60;
      let sent = 0;
      let bSent = 0;
      let replayed = 0;
      for (let round = 0; round < 8; round++) {
        const k = rng.int(0, 12);
        for (let i = 0; i < k && sent < total; i++) w.a.send(new TestMsg(`m${sent++}`));
        if (rng.chance(0.5)) w.b.send(new TestMsg(`r${bSent++}`));
        w.run(rng.chance(0.7) ? rng.int(0, 3000) : Infinity);
        if (rng.chance(0.5)) {
          // A tick: ACK frames for what no message carried, before the cut.
          w.a.tick(w.now);
          w.b.tick(w.now);
          w.run();
        }
        // Drop the socket: both sides fault.
        w.a.fault('cut');
        w.b.fault('cut');
        w.run(0);
        replayed += sessionA.queuedCount;
        const actA = w.faults.find((f) => f.side === 'A')!.action;
        assert.equal(actA, 'reconnect', `seed=${seed}: lossless connect side reconnects`);
        w = connectPair(na, nb, sessionA, 1000 + round);
        w.run();
        assert.ok(w.a.isReady && w.b.isReady, `seed=${seed}: round ${round} reconnected (${na.events.join(',')})`);
      }
      while (sent < total) w.a.send(new TestMsg(`m${sent++}`));
      w.run();
      const want = Array.from({ length: total }, (_, i) => `m${i}`);
      assert.deepEqual(nb.received, want, `seed=${seed}: B got every message once, in order`);
      assert.deepEqual(na.received, Array.from({ length: bSent }, (_, i) => `r${i}`), `seed=${seed}: A too`);
      assert.ok(na.events.includes('ready(resumed)'), `seed=${seed}: sessions were resumed, not restarted`);
      assert.ok(!na.events.includes('remoteReset'), `seed=${seed}`);
      replayedTotal += replayed;
    }
    if (only === undefined) assert.ok(replayedTotal > 20, `the cuts left messages to replay (${replayedTotal})`);
  });

  it('lossy: a fault drops the session on both sides (action reset)', () => {
    const na = new Node(EntityType.CLIENT, 1, Policies.lossyClient(), 1);
    const nb = new Node(EntityType.OSD, 2, Policies.statelessServer(), 2);
    const w = connectPair(na, nb, new Session());
    w.run();
    w.a.send(new TestMsg('lost'));
    w.a.fault('socket closed');
    w.b.fault('socket closed');
    w.run(0);
    assert.deepEqual(w.faults.map((f) => `${f.side}:${f.action}`), ['A:reset', 'B:reset']);
    assert.deepEqual(nb.received, []);
  });

  it('accept side faulting before a session exists just closes', () => {
    const na = new Node(EntityType.CLIENT, 1, Policies.lossyClient(), 1);
    const nb = new Node(EntityType.MON, 2, Policies.statelessServer(), 2);
    const w = connectPair(na, nb, new Session());
    w.b.fault('early close');
    w.run(0);
    assert.equal(w.faults.find((f) => f.side === 'B')!.action, 'close');
  });

  it('resetcheck: a peer that restarted answers SESSION_RESET; the session starts over', () => {
    const na = new Node(EntityType.MON, 1, Policies.losslessPeer(), 1);
    let nb = new Node(EntityType.MON, 2, Policies.losslessPeer(), 2);
    const sa = new Session();
    let w = connectPair(na, nb, sa);
    w.run();
    w.a.send(new TestMsg('before'));
    w.run();
    assert.deepEqual(nb.received, ['before']);
    w.a.fault('cut');
    w.b.fault('cut');
    w.run(0);
    // B restarts: it has no sessions.
    nb = new Node(EntityType.MON, 2, Policies.losslessPeer(), 3);
    w = connectPair(na, nb, sa);
    w.run();
    assert.ok(na.events.includes('remoteReset'), na.events.join(','));
    assert.equal(na.events.at(-1), 'ready');
    assert.ok(w.a.isReady && w.b.isReady);
    w.a.send(new TestMsg('after'));
    w.run();
    assert.deepEqual(nb.received, ['after']);
  });

  it('resetcheck: a client that restarted (new cookie) resets the server side session', () => {
    const nb = new Node(EntityType.MON, 2, Policies.losslessPeer(), 2);
    let na = new Node(EntityType.MON, 1, Policies.losslessPeer(), 1);
    let w = connectPair(na, nb, new Session());
    w.run();
    w.b.send(new TestMsg('to-old-a'));
    w.run(0);
    w.a.fault('cut');
    w.b.fault('cut');
    w.run(0);
    na = new Node(EntityType.MON, 1, Policies.losslessPeer(), 99);
    w = connectPair(na, nb, new Session());
    w.run();
    assert.ok(nb.events.includes('remoteReset(ident)'), nb.events.join(','));
    assert.ok(w.a.isReady);
  });

  it('keepalive2 is answered; silence past the timeout faults the connection', () => {
    const na = new Node(EntityType.CLIENT, 1, Policies.lossyClient(), 1);
    const nb = new Node(EntityType.MON, 2, Policies.statelessServer(), 2);
    const w = connectPair(na, nb, new Session());
    w.run();
    w.now = 1000 + KEEPALIVE_INTERVAL_MS;
    w.a.tick(w.now);
    w.run();
    assert.equal(w.a.lastKeepaliveAckMs, w.now);
    w.a.tick(w.now + CONNECTION_TIMEOUT_MS + 1);
    w.run(0);
    assert.match(w.faults[0]!.reason, /no input/);
  });

  it('a peer lacking required features gets IDENT_MISSING_FEATURES and the connector stops', () => {
    const na = new Node(EntityType.OSD, 1, Policies.losslessPeer(), 1);
    const nb = new Node(EntityType.OSD, 2, { ...Policies.losslessPeer(), featuresRequired: 1n << 62n }, 2);
    const a = new ProtocolV2(
      { role: 'connect', myType: na.type, myGid: 1, myAddrs: [na.addr], features: 1n << 59n, peerType: nb.type, targetAddr: nb.addr, policy: na.policy },
      new Session(), na.hooks(), 0,
    );
    const b = new ProtocolV2({ role: 'accept', myType: nb.type, myGid: 2, myAddrs: [nb.addr], features: 0x3f01cfbffffdffffn }, new Session(), nb.hooks(), 0);
    a.start();
    b.start();
    const w = new Wire(a, b, na, nb);
    w.run();
    assert.equal(w.faults[0]?.action, 'stop');
    assert.match(w.faults[0]!.reason, /features we lack: 0x4000000000000000/);
  });

  it('seeded hostile peers: random well-framed frames in any order only ever fault the connection', () => {
    const only = process.env.PROTOCOL_SEED ? Number(process.env.PROTOCOL_SEED) : undefined;
    const runs = only !== undefined ? 1 : 1000;
    const banner = Buffer.concat([Buffer.from('ceph v2\n'), Buffer.from([16, 0, 1, 0, 0, 0, 0, 0, 0, 0]), Buffer.alloc(8)]);
    // Real payloads of every kind, to be sent at the wrong time or cut short.
    const a1 = addr(1, 1);
    const a2 = addr(2, 2);
    const samples: Array<[number, Buffer]> = [
      [Tag.HELLO, encodeHello({ entityType: EntityType.MON, peerAddr: a1 })],
      [Tag.AUTH_REQUEST, encodeAuthRequest(new AuthNoneClient({ type: 1, id: 'a' }).request(EntityType.MON))],
      [Tag.AUTH_DONE, encodeAuthDone({ globalId: 7, conMode: 1, payload: Buffer.alloc(0) })],
      [Tag.AUTH_SIGNATURE, Buffer.alloc(32)],
      [Tag.CLIENT_IDENT, encodeClientIdent({ addrs: [a1], targetAddr: a2, gid: 1, globalSeq: 1, supportedFeatures: 1n << 59n, requiredFeatures: 0n, flags: 0n, cookie: 3n })],
      [Tag.SERVER_IDENT, encodeServerIdent({ addrs: [a2], gid: 2, globalSeq: 1, supportedFeatures: 1n << 59n, requiredFeatures: 0n, flags: 0n, cookie: 4n })],
      [Tag.SESSION_RECONNECT, encodeReconnect({ addrs: [a1], clientCookie: 3n, serverCookie: 4n, globalSeq: 2, connectSeq: 1, msgSeq: 0 })],
      [Tag.SESSION_RESET, encodeReset(true)],
      [Tag.SESSION_RETRY, encodeU64(3)],
      [Tag.SESSION_RECONNECT_OK, encodeU64(0)],
      [Tag.ACK, encodeU64(1)],
      [Tag.KEEPALIVE2, Buffer.alloc(8)],
    ];
    let reachedReady = 0;
    for (let r = 0; r < runs; r++) {
      const seed = only ?? caseSeed(0xbad9, r);
      const rng = new Rng(seed);
      const role = rng.chance(0.5) ? 'accept' : 'connect';
      const me = new Node(EntityType.MON, 5, Policies.losslessPeer(), seed);
      const peer = new Node(EntityType.MON, 6, Policies.losslessPeer(), seed);
      const p = role === 'accept'
        ? new ProtocolV2({ role: 'accept', myType: me.type, myGid: 5, myAddrs: [me.addr], features: 1n << 59n }, new Session(), me.hooks(), 0)
        : new ProtocolV2({ role: 'connect', myType: me.type, myGid: 5, myAddrs: [me.addr], features: 1n << 59n, peerType: EntityType.MON, targetAddr: peer.addr, policy: me.policy }, new Session(), me.hooks(), 0);
      p.start();
      const parts: Buffer[] = [banner];
      // A correct opening of random length, so the random frames land in every state.
      const script: Array<[number, Buffer]> = role === 'accept'
        ? [
            [Tag.HELLO, encodeHello({ entityType: EntityType.MON, peerAddr: me.addr })],
            [Tag.AUTH_REQUEST, encodeAuthRequest(new AuthNoneClient({ type: 1, id: 'p' }).request(EntityType.MON))],
            [Tag.AUTH_SIGNATURE, Buffer.alloc(32)],
            rng.chance(0.5)
              ? [Tag.CLIENT_IDENT, encodeClientIdent({ addrs: [peer.addr], targetAddr: me.addr, gid: 6, globalSeq: 1, supportedFeatures: 1n << 59n, requiredFeatures: 0n, flags: 0n, cookie: 3n })]
              : [Tag.SESSION_RECONNECT, encodeReconnect({ addrs: [peer.addr], clientCookie: 3n, serverCookie: 4n, globalSeq: 2, connectSeq: 1, msgSeq: 0 })],
          ]
        : [
            [Tag.HELLO, encodeHello({ entityType: EntityType.MON, peerAddr: me.addr })],
            [Tag.AUTH_DONE, encodeAuthDone({ globalId: 7, conMode: 1, payload: Buffer.alloc(0) })],
            [Tag.AUTH_SIGNATURE, Buffer.alloc(32)],
            [Tag.SERVER_IDENT, encodeServerIdent({ addrs: [peer.addr], gid: 6, globalSeq: 1, supportedFeatures: 1n << 59n, requiredFeatures: 0n, flags: 0n, cookie: 4n })],
          ];
      const opening = rng.int(0, script.length);
      for (let i = 0; i < opening; i++) parts.push(controlFrame(script[i]![0], script[i]![1]));
      const n = rng.int(1, 12);
      for (let i = 0; i < n; i++) {
        const tag = rng.chance(0.8) ? rng.int(1, 22) : rng.pick(samples)[0];
        let payload = rng.chance(0.6) && samples.length ? rng.pick(samples)[1] : Buffer.from(Array.from({ length: rng.int(0, 80) }, () => rng.int(0, 255)));
        if (rng.chance(0.3)) payload = payload.subarray(0, rng.int(0, payload.length));
        parts.push(tag === Tag.MESSAGE ? Buffer.concat(assembleFrame(tag, [[Buffer.alloc(41, rng.int(0, 255))], [payload]])) : controlFrame(tag, payload));
      }
      const bytes = Buffer.concat(parts);
      try {
        for (let i = 0; i < bytes.length; ) {
          const k = rng.int(1, 200);
          p.receive(bytes.subarray(i, i + k), 1);
          i += k;
        }
        p.tick(10 ** 9);
      } catch (e) {
        assert.fail(`seed=${seed} (${role}): receive threw ${String(e)}`);
      }
      for (const ev of p.drain()) {
        if (ev.kind === 'fault') assert.ok(ev.reason.length > 0, `seed=${seed}`);
        if (ev.kind === 'ready') reachedReady++;
      }
    }
    if (only === undefined) assert.ok(reachedReady > 20, `the openings reached READY (${reachedReady} times)`);
  });

  it('protocol violations fault with EBADMSG: a MESSAGE before the handshake, a frame in the wrong state', () => {
    const nb = new Node(EntityType.MON, 2, Policies.statelessServer(), 2);
    const b = new ProtocolV2({ role: 'accept', myType: nb.type, myGid: 2, myAddrs: [nb.addr], features: 1n }, new Session(), nb.hooks(), 0);
    b.start();
    b.drain();
    const banner = Buffer.concat([Buffer.from('ceph v2\n'), Buffer.from([16, 0, 1, 0, 0, 0, 0, 0, 0, 0]), Buffer.alloc(8)]);
    b.receive(Buffer.concat([banner, ...assembleMessageFrame({ seq: 1, tid: 0, type: 1, priority: 1, version: 1, compatVersion: 1, dataOff: 0, ackSeq: 0, flags: 0 }, [], [], [])]), 0);
    const f = b.drain().find((e) => e.kind === 'fault');
    assert.ok(f && f.kind === 'fault' && /EBADMSG.*MESSAGE in state HELLO/.test(f.reason), JSON.stringify(f));
    const b2 = new ProtocolV2({ role: 'accept', myType: nb.type, myGid: 2, myAddrs: [nb.addr], features: 1n }, new Session(), nb.hooks(), 0);
    b2.start();
    b2.receive(Buffer.concat([banner, controlFrame(Tag.ACK, encodeU64(1))]), 0);
    const f2 = b2.drain().find((e) => e.kind === 'fault');
    assert.ok(f2 && f2.kind === 'fault' && /ACK in state HELLO/.test(f2.reason));
    const b4 = new ProtocolV2({ role: 'accept', myType: nb.type, myGid: 2, myAddrs: [nb.addr], features: 1n }, new Session(), nb.hooks(), 0);
    b4.start();
    b4.receive(Buffer.concat([banner, ...assembleFrame(Tag.HELLO, [[Buffer.alloc(4)]], undefined, 1)]), 0);
    const f4 = b4.drain().find((e) => e.kind === 'fault');
    assert.ok(f4 && f4.kind === 'fault' && /compressed HELLO/.test(f4.reason));
    const b3 = new ProtocolV2({ role: 'accept', myType: nb.type, myGid: 2, myAddrs: [nb.addr], features: 1n }, new Session(), nb.hooks(), 0);
    b3.start();
    b3.receive(Buffer.from('ceph v027\n0123456789012345'), 0);
    const f3 = b3.drain().find((e) => e.kind === 'fault');
    assert.ok(f3 && f3.kind === 'fault' && /msgr1/.test(f3.reason));
  });
});
