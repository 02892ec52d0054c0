// The transport compliance suite (msg/transport.ts), run against every transport (TCP today; an RDMA one must pass it too): bytes arrive complete and in order from gathered writes, pause holds data back until resume, writableBytes and onDrain report back-pressure, a refused dial and both kinds of close each call onClose exactly once. TCP alone: reads land in buffers the transport picks (a large remainder the owner expects in large reads that stop at its end, small reads in shared slabs), proven by keeping every chunk until the end and checking every byte then. Ports 17060-17069.
import { strict as assert } from 'node:assert';
import { RECEIVE_BUFFER_BYTES_MAX, RECEIVE_SLAB_BYTES, TcpTransport } from '../../msg/tcp.js';
import type { Transport, TransportSocket } from '../../msg/transport.js';
import { Rng } from '../support/rng.js';
import { SimNet } from '../sim/simnet.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Ends {
  client: TransportSocket;
  server: TransportSocket;
  clientData: Buffer[];
  serverData: Buffer[];
  closes: { client: number; server: number };
  drains: { client: number };
  close(): Promise<void>;
}

async function pair(t: Transport, port: number): Promise<Ends> {
  let server: TransportSocket | null = null;
  const serverData: Buffer[] = [];
  const clientData: Buffer[] = [];
  const closes = { client: 0, server: 0 };
  const drains = { client: 0 };
  const l = await t.listen('127.0.0.1', port, (s) => {
    server = s;
    s.attach({ onData: (b) => serverData.push(b), onDrain: () => {}, onClose: () => closes.server++ });
  });
  const client = t.connect('127.0.0.1', port);
  await new Promise<void>((resolve, reject) => {
    client.attach({
      onConnect: () => resolve(),
      onData: (b) => clientData.push(b),
      onDrain: () => drains.client++,
      onClose: (e) => {
        closes.client++;
        reject(e ?? new Error('closed'));
      },
    });
  });
  for (let i = 0; i < 200 && !server; i++) await sleep(5);
  assert.ok(server, 'accepted');
  return { client, server: server!, clientData, serverData, closes, drains, close: () => l.close() };
}

const transports: Array<[string, () => Transport]> = [
  ['tcp', () => new TcpTransport()],
  // The whole-cluster simulation's network (test/sim/simnet.ts), one host at 127.0.0.1 dialling itself.
  ['sim', () => new SimNet({ rng: new Rng(1) }).host('127.0.0.1', 'compliance')],
];

for (const [name, make] of transports) {
  describe(`transport compliance: ${name}`, function () {
    this.timeout(20_000);

    it('a gathered write arrives complete and in order; addresses are reported', async () => {
      const e = await pair(make(), 17060);
      try {
        const parts = Array.from({ length: 50 }, (_, i) => Buffer.alloc(1000 + i, i));
        e.client.write(parts);
        e.client.write([Buffer.from('tail')]);
        const want = Buffer.concat([...parts, Buffer.from('tail')]);
        for (let i = 0; i < 400 && Buffer.concat(e.serverData).length < want.length; i++) await sleep(5);
        assert.deepEqual(Buffer.concat(e.serverData), want);
        assert.equal(e.client.remotePort, 17060);
        assert.equal(e.server.localPort, 17060);
        assert.equal(e.server.remotePort, e.client.localPort);
      } finally {
        e.client.close();
        await e.close();
      }
    });

    it('pause holds data back until resume; the writer sees back-pressure and a drain', async () => {
      const e = await pair(make(), 17061);
      try {
        e.server.pause();
        const chunk = Buffer.alloc(1 << 20, 7);
        let total = 0;
        let sawPressure = false;
        for (let i = 0; i < 64; i++) {
          const ok = e.client.write([chunk]);
          total += chunk.length;
          if (!ok || e.client.writableBytes > 0) sawPressure = true;
        }
        await sleep(100);
        const before = Buffer.concat(e.serverData).length;
        assert.ok(before < total, `paused: ${before} of ${total} delivered`);
        assert.ok(sawPressure, 'the writer saw its queue');
        e.server.resume();
        for (let i = 0; i < 1000 && Buffer.concat(e.serverData).length < total; i++) await sleep(5);
        assert.equal(Buffer.concat(e.serverData).length, total);
        for (let i = 0; i < 200 && e.client.writableBytes > 0; i++) await sleep(5);
        assert.equal(e.client.writableBytes, 0);
        assert.ok(e.drains.client >= 1, 'onDrain fired');
      } finally {
        e.client.close();
        await e.close();
      }
    });

    it('close: the local side and the peer each hear onClose exactly once', async () => {
      const e = await pair(make(), 17062);
      try {
        e.client.close();
        e.client.close();
        for (let i = 0; i < 200 && (e.closes.server === 0 || e.closes.client === 0); i++) await sleep(5);
        await sleep(20);
        assert.equal(e.closes.client, 1);
        assert.equal(e.closes.server, 1);
        // Writing to a closed socket is a no-op, not an exception.
        e.client.write([Buffer.from('late')]);
      } finally {
        await e.close();
      }
    });

    it('a refused dial reports onClose with an error and never onConnect', async () => {
      const s = make().connect('127.0.0.1', 17069);
      const r = await new Promise<string>((resolve) => {
        s.attach({ onConnect: () => resolve('connected'), onData: () => {}, onDrain: () => {}, onClose: (e) => resolve(e ? `closed: ${e.message}` : 'closed') });
      });
      assert.match(r, /closed: .*ECONNREFUSED/);
    });
  });
}

describe('TCP receive buffers (reads land where the transport chooses)', function () {
  this.timeout(30_000);

  /** A listener whose accepted socket keeps every chunk it gets, asking for `hint(received)` bytes. */
  async function receiver(port: number, hint: (received: number) => number): Promise<{ chunks: Buffer[]; received: () => number; client: TransportSocket; close(): Promise<void> }> {
    const t = new TcpTransport();
    const chunks: Buffer[] = [];
    let received = 0;
    let server: TransportSocket | null = null;
    const l = await t.listen('127.0.0.1', port, (s) => {
      server = s;
      s.attach({
        receiveHint: () => hint(received),
        onData: (b) => {
          chunks.push(b);
          received += b.length;
        },
        onDrain: () => {},
        onClose: () => {},
      });
    });
    const client = t.connect('127.0.0.1', port);
    await new Promise<void>((resolve, reject) => client.attach({ onConnect: resolve, onData: () => {}, onDrain: () => {}, onClose: (e) => reject(e ?? new Error('closed')) }));
    return { chunks, received: () => received, client, close: async () => { client.close(); (server as TransportSocket | null)?.close(); await l.close(); } };
  }

  /** count Buffers of `bytes` each, every byte from one seeded stream. */
  function pattern(seed: number, count: number, bytes: number): Buffer[] {
    const rng = new Rng(seed);
    return Array.from({ length: count }, () => {
      const b = Buffer.allocUnsafe(bytes);
      for (let i = 0; i < bytes; i += 4) b.writeUInt32LE(rng.u32(), i);
      return b;
    });
  }

  it('a large expected remainder is read in large reads that stop at its end (a slab-sized rest may run on); every chunk kept to the end is intact', async () => {
    const frameBytes = 4 * 1024 * 1024;
    // The owner expects 4 MiB "frames": the rest of the current one is its hint.
    const r = await receiver(17063, (got) => frameBytes - (got % frameBytes));
    try {
      const sent = pattern(63, 8, frameBytes);
      for (const b of sent) r.client.write([b]);
      for (let i = 0; i < 2000 && r.received() < 8 * frameBytes; i++) await sleep(5);
      // Checked only now, after every read: a target reused too early would have changed a kept chunk.
      assert.ok(Buffer.concat(r.chunks).equals(Buffer.concat(sent)), 'every byte as sent');
      let at = 0;
      for (const c of r.chunks) {
        // A read may run past a frame's end only when what was left of it fitted a slab read.
        const left = frameBytes - (at % frameBytes);
        assert.ok(c.length <= left || left <= RECEIVE_SLAB_BYTES, `a large read at ${at} of ${c.length} bytes crosses a frame end`);
        assert.ok(c.length <= RECEIVE_BUFFER_BYTES_MAX, 'no read above the large-read size');
        at += c.length;
      }
      // Node's own reads are 64 KiB at most: a larger one shows the accepted socket reads through onread.
      assert.ok(r.chunks.some((c) => c.length > RECEIVE_SLAB_BYTES), `largest read ${Math.max(...r.chunks.map((c) => c.length))} bytes`);
      assert.ok(r.chunks.length < (8 * frameBytes) / RECEIVE_SLAB_BYTES, `${r.chunks.length} reads for 32 MiB`);
    } finally {
      await r.close();
    }
  });

  it('a large frame trickling in small pieces fills its read buffers front to back: the memory held is what was sent, plus one buffer and the tails', async () => {
    const frameBytes = 4 * 1024 * 1024;
    const r = await receiver(17065, (got) => frameBytes - (got % frameBytes));
    try {
      const sent = pattern(65, 1200, 2500);
      for (let i = 0; i < sent.length; i++) {
        r.client.write([sent[i]!]);
        if (i % 4 === 0) await sleep(1);
      }
      const total = sent.length * 2500;
      for (let i = 0; i < 2000 && r.received() < total; i++) await sleep(5);
      assert.ok(Buffer.concat(r.chunks).equals(Buffer.concat(sent)), 'every byte as sent');
      const held = [...new Set(r.chunks.map((c) => c.buffer))].reduce((n, ab) => n + ab.byteLength, 0);
      // Each buffer may end with less than a slab read left unused; one buffer of a read per piece would be ~1 GiB.
      assert.ok(held <= total + 2 * RECEIVE_BUFFER_BYTES_MAX, `${held} bytes of buffers hold ${total} received bytes in ${r.chunks.length} reads`);
    } finally {
      await r.close();
    }
  });

  it('small reads share slabs without overlapping: many small writes, all kept, all intact', async () => {
    const r = await receiver(17064, () => 0);
    try {
      const sent = pattern(64, 3000, 100 + 4);
      for (let i = 0; i < sent.length; i += 7) {
        r.client.write(sent.slice(i, i + 7));
        if (i % 70 === 0) await sleep(0);
      }
      const total = sent.reduce((n, b) => n + b.length, 0);
      for (let i = 0; i < 2000 && r.received() < total; i++) await sleep(5);
      assert.ok(Buffer.concat(r.chunks).equals(Buffer.concat(sent)), 'every byte as sent');
      assert.ok(r.chunks.every((c) => c.length <= RECEIVE_SLAB_BYTES), 'small reads stay within a slab');
      // Several chunks share one slab (one allocation for many reads).
      assert.ok(new Set(r.chunks.map((c) => c.buffer)).size < r.chunks.length || r.chunks.length === 1, 'slabs are shared');
    } finally {
      await r.close();
    }
  });
});
