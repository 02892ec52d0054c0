// The transport compliance suite (msg/transport.ts), run against every transport (TCP today; an RDMA one must pass it too): bytes arrive complete and in order from gathered writes, pause holds data back until resume, writableBytes and onDrain report back-pressure, a refused dial and both kinds of close each call onClose exactly once. Ports 17060-17069.
import { strict as assert } from 'node:assert';
import { TcpTransport } from '../../msg/tcp.js';
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
