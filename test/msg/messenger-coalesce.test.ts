// Proves send coalescing: writes made in one turn of the event loop leave a TCP socket as one gathered write (counted by wrapping net.Socket's _write / _writev), bounded in Buffers and bytes, in order, data Buffers passed as they are (never copied); and 300 messages with 4 KiB data sent from 300 separate callbacks of one turn reach the peer messenger in order and intact in a few socket writes. Ports 17070-17079.
import { strict as assert } from 'node:assert';
import { Socket } from 'node:net';
import { EntityType, type Message } from '../../msg/message.js';
import { bulkMessageType, type BulkMsg } from '../support/bulk-message.js';
import { createMessenger, type MessengerImpl } from '../../msg/messenger.js';
import { TcpTransport, WRITE_GATHER_BUFFERS_MAX, WRITE_GATHER_BYTES_MAX } from '../../msg/tcp.js';
import type { TransportSocket } from '../../msg/transport.js';
import type { Connection } from '../../msg/types.js';
import { until as untilPoll } from '../support/wait.js';
const until = <T>(what: string, f: () => T | null | false | undefined, timeoutMs = 20_000): Promise<T> => untilPoll(what, f, timeoutMs, 5);

const TEST_TYPE = 0x7e12;

const newMsg = bulkMessageType(TEST_TYPE);



/** Every chunk list net.Socket hands to the kernel path, per process (one entry per _write / _writev). */
interface SocketWrite {
  sock: Socket;
  chunks: Buffer[];
}
type WritevFn = (chunks: Array<{ chunk: Buffer }>, cb: (e?: Error | null) => void) => void;
type WriteFn = (chunk: Buffer, enc: BufferEncoding, cb: (e?: Error | null) => void) => void;
const proto = Socket.prototype as unknown as { _writev: WritevFn; _write: WriteFn };
const writes: SocketWrite[] = [];
const origWritev = proto._writev;
const origWrite = proto._write;

describe('send coalescing', function () {
  this.timeout(60_000);
  before(() => {
    proto._writev = function (this: Socket, chunks, cb) {
      writes.push({ sock: this, chunks: chunks.map((c) => c.chunk) });
      origWritev.call(this, chunks, cb);
    };
    proto._write = function (this: Socket, chunk, enc, cb) {
      writes.push({ sock: this, chunks: [chunk] });
      origWrite.call(this, chunk, enc, cb);
    };
  });
  after(() => {
    proto._writev = origWritev;
    proto._write = origWrite;
  });

  it('a TCP socket gathers one turn of writes into bounded gathered writes, in order, without copying', async () => {
    const t = new TcpTransport();
    let server: TransportSocket | null = null;
    const got: Buffer[] = [];
    const listener = await t.listen('127.0.0.1', 17070, (s) => {
      server = s;
      s.attach({ onData: (b) => got.push(b), onDrain: () => {}, onClose: () => {} });
    });
    const client = t.connect('127.0.0.1', 17070);
    let connected = false;
    client.attach({ onConnect: () => { connected = true; }, onData: () => {}, onDrain: () => {}, onClose: () => {} });
    await until('connect', () => connected && server !== null);
    try {
      // 100 one-Buffer writes in one turn: one gathered write of 100 Buffers.
      writes.length = 0;
      const small = Array.from({ length: 100 }, (_, i) => Buffer.from([i]));
      for (const b of small) client.write([b]);
      assert.ok(client.writableBytes >= 100, 'queued bytes count as writable bytes');
      await until('100 bytes', () => got.reduce((a, b) => a + b.length, 0) === 100);
      assert.equal(writes.length, 1, `one gathered write, got ${writes.map((w) => w.chunks.length).join(',')}`);
      assert.equal(writes[0]!.chunks.length, 100);
      assert.ok(writes[0]!.chunks.every((c, i) => c === small[i]), 'the caller\'s Buffers themselves');
      assert.deepEqual(Buffer.concat(got), Buffer.concat(small));
      // More Buffers than one write may hold: several writes, each within the bound, order kept.
      got.length = 0;
      writes.length = 0;
      const many = Array.from({ length: WRITE_GATHER_BUFFERS_MAX * 2 + 10 }, (_, i) => Buffer.from([i & 0xff, i >> 8]));
      for (const b of many) client.write([b]);
      await until('many', () => got.reduce((a, b) => a + b.length, 0) === many.length * 2);
      assert.ok(writes.length >= 3 && writes.length <= 6, `${writes.length} writes`);
      assert.ok(writes.every((w) => w.chunks.length <= WRITE_GATHER_BUFFERS_MAX));
      assert.deepEqual(Buffer.concat(got), Buffer.concat(many));
      // Bytes bound: a larger Buffer goes alone, smaller ones share a write up to the bound.
      got.length = 0;
      writes.length = 0;
      const big = [Buffer.alloc(WRITE_GATHER_BYTES_MAX / 2, 1), Buffer.alloc(WRITE_GATHER_BYTES_MAX / 2, 2), Buffer.alloc(WRITE_GATHER_BYTES_MAX + 5, 3), Buffer.alloc(7, 4)];
      client.write(big);
      const total = big.reduce((a, b) => a + b.length, 0);
      await until('big', () => got.reduce((a, b) => a + b.length, 0) === total);
      assert.ok(writes.every((w) => w.chunks.length === 1 || w.chunks.reduce((a, b) => a + b.length, 0) <= WRITE_GATHER_BYTES_MAX));
      assert.ok(writes.some((w) => w.chunks.includes(big[2]!)), 'the oversized Buffer is written as it is');
      assert.deepEqual(Buffer.concat(got), Buffer.concat(big));
    } finally {
      client.close();
      await listener.close();
    }
  });

  it('messages sent from separate callbacks of one turn arrive in order and intact in a few socket writes', async () => {
    const msgrs: MessengerImpl[] = [];
    try {
      const server = createMessenger({ entity: { type: EntityType.OSD, num: 0 }, nonce: 71 });
      const client = createMessenger({ entity: { type: EntityType.CLIENT, num: 4200 }, nonce: 72 });
      msgrs.push(server, client);
      const addrs = await server.bind('127.0.0.1', 17071);
      const got: Array<{ n: number; data: Buffer }> = [];
      server.addDispatcher({ dispatch(_c: Connection, m: Message) { const t = m as BulkMsg; got.push({ n: t.n, data: Buffer.concat(t.data) }); } });
      const conn = client.connectTo(EntityType.OSD, addrs);
      conn.send(newMsg(0));
      await until('first message', () => got.length === 1);
      const count = 300;
      const data: Buffer[] = Array.from({ length: count }, (_, i) => Buffer.alloc(4096, i & 0xff));
      writes.length = 0;
      // 300 immediates run in one check phase: each sends one message from its own callback.
      for (let i = 0; i < count; i++) setImmediate(() => conn.send(newMsg(i + 1, [data[i]!])));
      await until('all messages', () => got.length === count + 1);
      for (let i = 1; i <= count; i++) {
        assert.equal(got[i]!.n, i, 'in order');
        assert.ok(got[i]!.data.equals(data[i - 1]!), `message ${i} intact`);
      }
      const clientWrites = writes.filter((w) => w.chunks.some((c) => data.includes(c)));
      assert.ok(clientWrites.length <= 10, `${count} messages went out in ${clientWrites.length} socket writes`);
      assert.ok(clientWrites.every((w) => w.chunks.length <= WRITE_GATHER_BUFFERS_MAX));
    } finally {
      for (const m of msgrs) await m.shutdown();
    }
  });
});
