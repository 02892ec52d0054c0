// Proves the messenger end to end over loopback TCP between two messengers: tiny and 4 MiB messages both ways in order with intact data, exactly-once in-order delivery both ways for lossless peers across seeded forced socket drops, a connection race settling on one session, a restarted lossless peer (SESSION_RESET, handleRemoteReset), receive-throttle back-pressure under a slow dispatcher (per messenger and per connection), that the same data Buffers sent to two peers in one turn are checksummed once (and afresh in a later turn), and that a peer sending garbage is closed while another connection keeps working. Replay one drop schedule: MESSENGER_SEED=<n>. Ports 17020-17059.
import { strict as assert } from 'node:assert';
import { connect as netConnect } from 'node:net';
import { crc32c } from '../../common/crc32c.js';
import { EntityType, Message, isRegisteredMessage, registerMessage, type RawMessage } from '../../msg/message.js';
import { Policies, type Connection } from '../../msg/types.js';
import { createMessenger, type MessengerImpl } from '../../msg/messenger.js';
import { Rng } from '../support/rng.js';
import { sleep, until as untilPoll } from '../support/wait.js';
const until = <T>(what: string, f: () => T | null | false | undefined, timeoutMs = 20_000): Promise<T> => untilPoll(what, f, timeoutMs, 5);

const TEST_TYPE = 0x7e11;

class TestMsg extends Message {
  constructor(public n: number, public bulk: Buffer[] = []) {
    super(TEST_TYPE, 1, 1);
  }
  encodePayload(): void {
    const f = Buffer.alloc(8);
    f.writeUInt32LE(this.n, 0);
    let len = 0;
    for (const b of this.bulk) len += b.length;
    f.writeUInt32LE(len, 4);
    this.front = [f];
    this.data = this.bulk;
  }
  typeName(): string {
    return 'test';
  }
  static decode(raw: RawMessage): TestMsg {
    const f = Buffer.concat(raw.front);
    return new TestMsg(f.readUInt32LE(0), raw.data);
  }
}
if (!isRegisteredMessage(TEST_TYPE)) registerMessage(TEST_TYPE, 'test', (raw) => TestMsg.decode(raw));



function osd(n: number, nonce: number, extra: Partial<Parameters<typeof createMessenger>[0]> = {}): MessengerImpl {
  return createMessenger({
    entity: { type: EntityType.OSD, num: n },
    nonce,
    policies: new Map([[EntityType.OSD, Policies.losslessPeer()], [EntityType.CLIENT, Policies.statelessServer()]]),
    ...extra,
  });
}

describe('messenger over loopback TCP', function () {
  this.timeout(60_000);
  const msgrs: MessengerImpl[] = [];
  afterEach(async () => {
    for (const m of msgrs.splice(0)) await m.shutdown();
  });

  it('tiny and 4 MiB messages both ways, in order, data intact', async () => {
    const server = osd(0, 11);
    const client = createMessenger({ entity: { type: EntityType.CLIENT, num: 4100 }, nonce: 12 });
    msgrs.push(server, client);
    const addrs = await server.bind('127.0.0.1', 17021);
    const gotServer: number[] = [];
    const gotClient: Array<{ n: number; crc: number }> = [];
    server.addDispatcher({
      dispatch(conn: Connection, m: Message) {
        const t = m as TestMsg;
        gotServer.push(t.n);
        const big = t.n % 10 === 3;
        conn.send(new TestMsg(t.n, big ? [Buffer.alloc(4 << 20, t.n & 0xff)] : []));
      },
    });
    client.addDispatcher({
      dispatch(_c, m) {
        const t = m as TestMsg;
        gotClient.push({ n: t.n, crc: crc32c(Buffer.concat(t.data)) });
      },
    });
    server.start();
    client.start();
    const conn = client.connectTo(EntityType.OSD, addrs);
    const big = Buffer.alloc(4 << 20);
    for (let i = 0; i < big.length; i += 4) big.writeUInt32LE(i * 2654435761 >>> 0, i);
    const total = 40;
    for (let i = 0; i < total; i++) conn.send(new TestMsg(i, i % 10 === 3 ? [big.subarray(0, 2 << 20), big.subarray(2 << 20)] : []));
    await until('all replies', () => gotClient.length === total);
    assert.deepEqual(gotServer, Array.from({ length: total }, (_, i) => i));
    assert.deepEqual(gotClient.map((x) => x.n), Array.from({ length: total }, (_, i) => i));
    for (const x of gotClient) {
      if (x.n % 10 === 3) assert.equal(x.crc, crc32c(Buffer.alloc(4 << 20, x.n & 0xff)), `reply ${x.n} data intact`);
    }
    assert.equal(conn.isConnected, true);
    assert.equal(conn.peerName.type, EntityType.OSD);
    assert.equal(conn.peerName.num, 0);
    assert.equal(client.stats().faults, 0);
  });

  it('the same data Buffers sent to two peers in one turn are checksummed once; changed in a later turn, they are summed again', async () => {
    const primary = osd(0, 51);
    const replicas = [osd(1, 52), osd(2, 53)];
    msgrs.push(primary, ...replicas);
    await primary.bind('127.0.0.1', 17050);
    const got: Array<Array<{ n: number; crc: number }>> = [[], []];
    const addrs = [];
    for (let i = 0; i < 2; i++) {
      addrs.push(await replicas[i]!.bind('127.0.0.1', 17051 + i));
      replicas[i]!.addDispatcher({ dispatch(_c, m) { const t = m as TestMsg; got[i]!.push({ n: t.n, crc: crc32c(Buffer.concat(t.data)) }); } });
      replicas[i]!.start();
    }
    primary.start();
    const conns = addrs.map((a) => primary.connectTo(EntityType.OSD, a));
    for (const c of conns) c.send(new TestMsg(0));
    await until('both sessions up', () => got.every((g) => g.length === 1));
    for (const g of got) g.length = 0;
    const data = Buffer.alloc(1 << 20, 0x5a);
    for (const c of conns) c.send(new TestMsg(1, [data]));
    await until('first copies', () => got.every((g) => g.length === 1));
    assert.equal(primary.crcMemo.hits, 1, 'the second sub-op reused the first one\'s data crc');
    data.fill(0xa5); // a later turn: the Buffer may change, the memo is gone
    for (const c of conns) c.send(new TestMsg(2, [data]));
    await until('second copies', () => got.every((g) => g.length === 2));
    for (const g of got) assert.deepEqual(g, [{ n: 1, crc: crc32c(Buffer.alloc(1 << 20, 0x5a)) }, { n: 2, crc: crc32c(Buffer.alloc(1 << 20, 0xa5)) }]);
    assert.equal(primary.stats().faults, 0);
    assert.equal(primary.crcMemo.hits, 2);
  });

  it('lossless peers: exactly once and in order across seeded forced socket drops', async () => {
    const seed = process.env.MESSENGER_SEED ? Number(process.env.MESSENGER_SEED) : 0x0d50c4;
    const rng = new Rng(seed);
    const a = osd(1, 21);
    const b = osd(2, 22);
    msgrs.push(a, b);
    await a.bind('127.0.0.1', 17022);
    const bAddrs = await b.bind('127.0.0.1', 17023);
    const got: number[] = [];
    const echoes: number[] = [];
    let dup = 0;
    b.addDispatcher({
      dispatch(c, m) {
        const n = (m as TestMsg).n;
        if (got.includes(n)) dup++;
        got.push(n);
        // Every 7th message is echoed, so the accepting side has its own queue to replay too.
        if (n % 7 === 0) c.send(new TestMsg(n));
      },
    });
    a.addDispatcher({ dispatch(_c, m) { echoes.push((m as TestMsg).n); } });
    a.start();
    b.start();
    const conn = a.connectTo(EntityType.OSD, bAddrs);
    const total = 3000;
    let drops = 0;
    for (let i = 0; i < total; i++) {
      conn.send(new TestMsg(i, rng.chance(0.1) ? [Buffer.alloc(rng.int(1, 200_000), i & 0xff)] : []));
      if (rng.chance(0.01)) {
        await sleep(rng.int(0, 5));
        (rng.chance(0.5) ? a : b).injectSocketFailures();
        drops++;
      } else if (rng.chance(0.05)) {
        await sleep(0);
      }
    }
    try {
      await until('every message and echo', () => got.length >= total && echoes.length >= Math.ceil(total / 7), 40_000);
    } catch (e) {
      throw new Error(`seed=${seed}: ${String(e)} (got ${got.length}, last ${got.at(-1)})`);
    }
    assert.ok(drops > 5, `seed=${seed}: drops happened (${drops})`);
    assert.equal(dup, 0, `seed=${seed}: no duplicates`);
    assert.deepEqual(got, Array.from({ length: total }, (_, i) => i), `seed=${seed}: in order, none lost`);
    assert.deepEqual(echoes, Array.from({ length: Math.ceil(total / 7) }, (_, i) => i * 7), `seed=${seed}: echoes in order, once`);
    assert.ok(a.stats().faults > 0, `seed=${seed}`);
  });

  it('lossless peers dialling each other at once (connection race) settle on one session; nothing lost or doubled', async () => {
    for (let round = 0; round < 3; round++) {
      const a = osd(6, 51 + round * 2);
      const b = osd(7, 52 + round * 2);
      msgrs.push(a, b);
      const aAddrs = await a.bind('127.0.0.1', 17030 + round * 2);
      const bAddrs = await b.bind('127.0.0.1', 17031 + round * 2);
      const gotA: number[] = [];
      const gotB: number[] = [];
      a.addDispatcher({ dispatch(_c, m) { gotA.push((m as TestMsg).n); } });
      b.addDispatcher({ dispatch(_c, m) { gotB.push((m as TestMsg).n); } });
      a.start();
      b.start();
      const ab = a.connectTo(EntityType.OSD, bAddrs);
      const ba = b.connectTo(EntityType.OSD, aAddrs);
      const total = 200;
      for (let i = 0; i < total; i++) {
        ab.send(new TestMsg(i));
        ba.send(new TestMsg(i));
        if (i % 50 === 0) await sleep(1);
      }
      await until(`round ${round}: both directions delivered`, () => gotA.length >= total && gotB.length >= total, 30_000);
      const want = Array.from({ length: total }, (_, i) => i);
      assert.deepEqual(gotB, want, `round ${round}: a -> b`);
      assert.deepEqual(gotA, want, `round ${round}: b -> a`);
      assert.equal(a.stats().connections, 1);
      assert.equal(b.stats().connections, 1);
      await a.shutdown();
      await b.shutdown();
    }
  });

  it('a lossless peer that restarts: the survivor hears handleRemoteReset and both talk again', async () => {
    const a = osd(10, 71);
    let b = osd(11, 72);
    msgrs.push(a);
    const aAddrs = await a.bind('127.0.0.1', 17036);
    const bAddrs = await b.bind('127.0.0.1', 17037);
    let remoteResets = 0;
    const gotB: number[] = [];
    const gotA: number[] = [];
    a.addDispatcher({ dispatch(_c, m) { gotA.push((m as TestMsg).n); }, handleRemoteReset() { remoteResets++; } });
    b.addDispatcher({ dispatch(_c, m) { gotB.push((m as TestMsg).n); } });
    a.start();
    b.start();
    const conn = a.connectTo(EntityType.OSD, bAddrs);
    conn.send(new TestMsg(1));
    await until('first message', () => gotB.length === 1);
    await b.shutdown();
    // The same daemon comes back: same address and nonce, no memory of the session.
    b = osd(11, 72);
    msgrs.push(b);
    const gotB2: number[] = [];
    b.addDispatcher({ dispatch(c, m) { gotB2.push((m as TestMsg).n); c.send(new TestMsg(100 + (m as TestMsg).n)); } });
    await b.bind('127.0.0.1', 17037);
    b.start();
    await until('the session reset', () => remoteResets === 1, 20_000);
    conn.send(new TestMsg(2));
    await until('a message after the restart and its reply', () => gotB2.includes(2) && gotA.includes(102), 20_000);
    assert.equal(b.connectTo(EntityType.OSD, aAddrs), b.connections()[0]);
  });

  it('a slow dispatcher holds the receiver at its throttle; the sender is pushed back', async () => {
    const limit = 2 << 20;
    const recv = osd(3, 31, { throttles: { receiveBytesMax: limit } });
    const send = osd(4, 32, { throttles: { sendQueueBytesMax: 4 << 20 } });
    msgrs.push(recv, send);
    const addrs = await recv.bind('127.0.0.1', 17024);
    await send.bind('127.0.0.1', 17025);
    const got: number[] = [];
    // One message at a time, 5 ms each: a consumer slower than the wire.
    let chain = Promise.resolve();
    recv.addDispatcher({
      dispatch(_c, m) {
        chain = chain.then(async () => {
          await sleep(5);
          got.push((m as TestMsg).n);
        });
        return chain;
      },
    });
    recv.start();
    send.start();
    const conn = send.connectTo(EntityType.OSD, addrs);
    await until('connected', () => conn.isConnected);
    const msgBytes = 256 << 10;
    const total = 120;
    let maxQueued = 0;
    for (let i = 0; i < total; i++) {
      conn.send(new TestMsg(i, [Buffer.alloc(msgBytes, i & 0xff)]));
      maxQueued = Math.max(maxQueued, conn.sendQueueBytes);
      await conn.drained();
    }
    await until('all messages', () => got.length === total, 40_000);
    assert.deepEqual(got, Array.from({ length: total }, (_, i) => i));
    assert.ok(recv.receiveBytesInFlightPeak <= limit + msgBytes, `peak ${recv.receiveBytesInFlightPeak} within ${limit} + one message`);
    assert.ok(recv.receiveBytesInFlightPeak >= limit, `the throttle was reached (${recv.receiveBytesInFlightPeak})`);
    assert.ok(maxQueued > msgBytes, `the sender saw its queue grow (${maxQueued})`);
    assert.equal(recv.stats().receiveBytesInFlight, 0);
  });

  it('the per-connection receive limit pauses one connection while the messenger has room', async () => {
    const limit = 1 << 20;
    const recv = osd(8, 61, { connectionReceiveBytesMax: limit });
    const send = osd(9, 62);
    msgrs.push(recv, send);
    const addrs = await recv.bind('127.0.0.1', 17027);
    await send.bind('127.0.0.1', 17028);
    let chain = Promise.resolve();
    let got = 0;
    recv.addDispatcher({
      dispatch() {
        chain = chain.then(async () => {
          await sleep(2);
          got++;
        });
        return chain;
      },
    });
    recv.start();
    send.start();
    const conn = send.connectTo(EntityType.OSD, addrs);
    const msgBytes = 128 << 10;
    for (let i = 0; i < 60; i++) conn.send(new TestMsg(i, [Buffer.alloc(msgBytes)]));
    await until('all messages', () => got === 60, 30_000);
    assert.ok(recv.receiveBytesInFlightPeak <= limit + msgBytes, `peak ${recv.receiveBytesInFlightPeak} within the connection's ${limit} + one message`);
  });

  it('a peer sending garbage is closed; another connection keeps working', async () => {
    const server = osd(5, 41);
    const client = createMessenger({ entity: { type: EntityType.CLIENT, num: 1 }, nonce: 42 });
    msgrs.push(server, client);
    const addrs = await server.bind('127.0.0.1', 17026);
    let got = 0;
    server.addDispatcher({ dispatch(c, m) { got++; c.send(new TestMsg((m as TestMsg).n)); } });
    let replies = 0;
    client.addDispatcher({ dispatch() { replies++; } });
    server.start();
    client.start();
    const conn = client.connectTo(EntityType.OSD, addrs);
    conn.send(new TestMsg(1));
    await until('first reply', () => replies === 1);
    const garbage = [
      Buffer.from('GET / HTTP/1.0\r\n\r\n'),
      Buffer.concat([Buffer.from('ceph v2\n'), Buffer.from([16, 0, 3, 0, 0, 0, 0, 0, 0, 0]), Buffer.alloc(8), Buffer.alloc(32, 0xee)]),
    ];
    for (const g of garbage) {
      const closed = await new Promise<boolean>((resolve) => {
        const s = netConnect(17026, '127.0.0.1', () => s.write(g));
        s.on('data', () => {});
        s.on('error', () => {});
        s.on('close', () => resolve(true));
        setTimeout(() => { s.destroy(); resolve(false); }, 5000);
      });
      assert.ok(closed, `the messenger closed the connection sending ${JSON.stringify(g.subarray(0, 12).toString('latin1'))}`);
    }
    conn.send(new TestMsg(2));
    await until('second reply', () => replies === 2);
    assert.equal(got, 2);
    assert.ok(server.stats().faults >= 2);
  });
});
