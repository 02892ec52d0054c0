// Proves Message.onWritten: on a lossy connection it runs once per message, only after the socket has finished with its bytes (a server replying from a pool of 1 MiB Buffers that it scribbles over and reuses the moment onWritten runs: 400 replies of distinct data, 16 in flight, reach the client with every byte right, also while the client's socket is broken mid-stream and it reconnects), never more than once; a lossless connection (which keeps sent messages for replay) never runs it; a TCP write closed before it went out runs its callback once. Seeded: WRITTEN_TEST_SEED=<n>. Ports 17180-17189.
import { strict as assert } from 'node:assert';
import { BufferPool } from '../../common/bufpool.js';
import { EntityType, type Message } from '../../msg/message.js';
import { bulkMessageType, type BulkMsg } from '../support/bulk-message.js';
import { Policies, type Connection } from '../../msg/types.js';
import { createMessenger, type MessengerImpl } from '../../msg/messenger.js';
import { TcpTransport } from '../../msg/tcp.js';
import type { TransportSocket } from '../../msg/transport.js';
import { Rng } from '../support/rng.js';
import { sleep, until as untilPoll } from '../support/wait.js';
const until = <T>(what: string, f: () => T | null | false | undefined, timeoutMs = 30_000): Promise<T> => untilPoll(what, f, timeoutMs, 5);

const TEST_TYPE = 0x7e13;
const SEED = Number(process.env.WRITTEN_TEST_SEED ?? 0x3717);
const MiB = 1024 * 1024;

const newMsg = bulkMessageType(TEST_TYPE);

/** The bytes of reply n: a pattern no other reply shares. */
function fillReply(b: Buffer, n: number, len: number): void {
  for (let i = 0; i < len; i += 4) b.writeUInt32LE((Math.imul(n + 1, 0x9e3779b1) ^ i) >>> 0, i);
}

function checkReply(n: number, data: readonly Buffer[], len: number): string | null {
  const got = Buffer.concat(data);
  if (got.length !== len) return `reply ${n}: ${got.length} bytes, want ${len}`;
  for (let i = 0; i < len; i += 4) {
    if (got.readUInt32LE(i) !== ((Math.imul(n + 1, 0x9e3779b1) ^ i) >>> 0)) return `reply ${n}: wrong bytes at ${i}`;
  }
  return null;
}

describe('messenger onWritten (pooled send buffers)', function () {
  this.timeout(120_000);
  const msgrs: MessengerImpl[] = [];
  afterEach(async () => {
    for (const m of msgrs.splice(0)) await m.shutdown();
  });

  /**
   * A server answering request n with a reply whose data is a view of a pooled Buffer; onWritten
   * scribbles over the Buffer and returns it to the pool, so a callback that ran while the socket still
   * needed the bytes would show up as wrong bytes (or a crc fault) at the client.
   */
  function pooledServer(port: number, len: number): { server: MessengerImpl; pool: BufferPool; written: () => number; sent: () => number } {
    const server = createMessenger({
      entity: { type: EntityType.OSD, num: 0 }, nonce: 90,
      policies: new Map([[EntityType.CLIENT, Policies.statelessServer()]]),
    });
    const pool = new BufferPool(MiB, 16 * MiB);
    let written = 0;
    let sent = 0;
    server.addDispatcher({
      dispatch(c: Connection, m: Message) {
        const n = (m as BulkMsg).n;
        const buf = pool.acquire();
        fillReply(buf, n, len);
        const r = newMsg(n, [buf.subarray(0, len)]);
        let calls = 0;
        r.onWritten = () => {
          assert.equal(++calls, 1, 'onWritten runs once');
          written++;
          buf.fill(0xee);
          pool.release(buf);
        };
        sent++;
        c.send(r);
      },
    });
    msgrs.push(server);
    void port;
    return { server, pool, written: () => written, sent: () => sent };
  }

  it('runs once per reply after the write, and reused Buffers never change bytes on the wire (400 replies, 16 in flight)', async () => {
    const len = MiB - 4096 * 3;
    const { server, pool, written, sent } = pooledServer(17180, len);
    const addrs = await server.bind('127.0.0.1', 17180);
    server.start();
    const client = createMessenger({ entity: { type: EntityType.CLIENT, num: 4200 }, nonce: 91 });
    msgrs.push(client);
    const bad: string[] = [];
    const got = new Set<number>();
    const total = 400;
    // 16 requests in flight (rados bench -t 16): each reply sends the next request
    let next = 0;
    client.addDispatcher({
      dispatch(c, m) {
        const t = m as BulkMsg;
        const e = checkReply(t.n, t.data, len);
        if (e) bad.push(e);
        got.add(t.n);
        if (next < total) c.send(newMsg(next++));
      },
    });
    client.start();
    const conn = client.connectTo(EntityType.OSD, addrs);
    while (next < 16) conn.send(newMsg(next++));
    await until('all replies', () => got.size === total || bad.length > 0);
    assert.deepEqual(bad, []);
    await until('every onWritten', () => written() === sent());
    assert.equal(sent(), total);
    assert.ok(pool.reused > total / 2, `the pool was reused (${pool.reused} of ${pool.acquired})`);
  });

  it('a broken socket mid-stream: replies that arrive are intact, no Buffer is released twice', async () => {
    const len = MiB;
    const { server, written, sent } = pooledServer(17181, len);
    const addrs = await server.bind('127.0.0.1', 17181);
    server.start();
    const client = createMessenger({ entity: { type: EntityType.CLIENT, num: 4201 }, nonce: 92 });
    msgrs.push(client);
    const bad: string[] = [];
    const got = new Set<number>();
    client.addDispatcher({
      dispatch(_c, m) {
        const t = m as BulkMsg;
        const e = checkReply(t.n, t.data, len);
        if (e) bad.push(e);
        got.add(t.n);
      },
    });
    client.start();
    const rng = new Rng(SEED);
    const total = 300;
    // Requests go out in rounds; between rounds the client's socket is sometimes broken while replies
    // are still being written, and what did not come back is asked for again on a new connection.
    for (let round = 0; round < 40 && got.size < total; round++) {
      const conn = client.connectTo(EntityType.OSD, addrs);
      for (let n = 0; n < total; n++) if (!got.has(n) && rng.chance(0.3)) conn.send(newMsg(n));
      await sleep(rng.int(1, 30));
      if (rng.chance(0.6)) {
        client.injectSocketFailures();
        for (const c of client.connections()) c.markDown();
      }
      await sleep(rng.int(1, 20));
    }
    const conn = client.connectTo(EntityType.OSD, addrs);
    for (let n = 0; n < total; n++) if (!got.has(n)) conn.send(newMsg(n));
    await until('all replies', () => got.size === total || bad.length > 0);
    assert.deepEqual(bad, [], `seed=${SEED}`);
    assert.ok(written() <= sent(), `seed=${SEED}`);
  });

  it('a lossless connection never runs onWritten (its sent messages are kept for replay)', async () => {
    const a = createMessenger({ entity: { type: EntityType.OSD, num: 1 }, nonce: 93, policies: new Map([[EntityType.OSD, Policies.losslessPeer()]]) });
    const b = createMessenger({ entity: { type: EntityType.OSD, num: 2 }, nonce: 94, policies: new Map([[EntityType.OSD, Policies.losslessPeer()]]) });
    msgrs.push(a, b);
    await a.bind('127.0.0.1', 17182);
    const bAddrs = await b.bind('127.0.0.1', 17183);
    let got = 0;
    b.addDispatcher({ dispatch() { got++; } });
    a.start();
    b.start();
    const conn = a.connectTo(EntityType.OSD, bAddrs);
    let calls = 0;
    for (let n = 0; n < 20; n++) {
      const m = newMsg(n, [Buffer.alloc(64 * 1024, n)]);
      m.onWritten = () => void calls++;
      conn.send(m);
    }
    await until('delivered', () => got === 20);
    await sleep(50);
    assert.equal(calls, 0);
  });

  it('TCP: a write closed before it went out runs its callback once; a finished one once', async () => {
    const t = new TcpTransport();
    let server: TransportSocket | null = null;
    const listener = await t.listen('127.0.0.1', 17184, (s) => {
      server = s;
      s.attach({ onData: () => {}, onDrain: () => {}, onClose: () => {} });
    });
    const client = t.connect('127.0.0.1', 17184);
    let connected = false;
    client.attach({ onConnect: () => { connected = true; }, onData: () => {}, onDrain: () => {}, onClose: () => {} });
    await until('connect', () => connected && server !== null);
    let done1 = 0;
    client.write([Buffer.alloc(1000, 1)], () => void done1++);
    await until('first written', () => done1 === 1);
    let done2 = 0;
    let done3 = 0;
    client.write([Buffer.alloc(4 * MiB, 2)], () => void done2++);
    client.write([Buffer.alloc(10, 3), Buffer.alloc(2 * MiB, 3)], () => void done3++);
    client.close();
    await until('closed writes', () => done2 === 1 && done3 === 1);
    let done4 = 0;
    client.write([Buffer.alloc(10, 4)], () => void done4++);
    await until('write after close', () => done4 === 1);
    await sleep(50);
    assert.deepEqual([done1, done2, done3, done4], [1, 1, 1, 1]);
    server!.close();
    await listener.close();
  });
});
