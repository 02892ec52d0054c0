// Proves the messenger's per-peer-type receive budget (Ceph's policy throttlers, the OSD's client message caps) over loopback TCP: a client whose held messages fill the budget is not read until they are released (the peak stays within the budget and one message), a single message larger than the budget still passes, and two servers that hold their clients' messages until the other server answers a sub-message never deadlock, because peer messages are outside the budget (the same exchange under one shared limit is shown to stall). Ports 21380-21389.
import { strict as assert } from 'node:assert';
import { EntityType, Policies, type Connection, type Message } from '../../msg/index.js';
import { createMessenger, type MessengerImpl, type ReceiveBudgetLimits } from '../../msg/messenger.js';
import { bulkMessageType, type BulkMsg } from '../support/bulk-message.js';
import { sleep, until } from '../support/wait.js';

const TEST_TYPE = 0x7e1a;
const newMsg = bulkMessageType(TEST_TYPE);
/** Sub-message kinds in BulkMsg.n: kind * KIND + id. */
const KIND = 1_000_000;
const OP = 1;
const SUBOP = 2;
const SUBOP_REPLY = 3;
const OP_REPLY = 4;

/** A server with a client budget, or (shared) the same limits as its messenger-wide throttle instead. */
function server(n: number, nonce: number, budget: ReceiveBudgetLimits, shared = false): MessengerImpl {
  return createMessenger({
    entity: { type: EntityType.OSD, num: n },
    nonce,
    policies: new Map([[EntityType.OSD, Policies.losslessPeer()], [EntityType.CLIENT, Policies.statelessServer()]]),
    ...(shared
      ? { throttles: { receiveBytesMax: budget.bytesMax, receiveMessagesMax: budget.messagesMax } }
      : { receiveBudgets: new Map([[EntityType.CLIENT, budget]]) }),
  });
}

function client(n: number, nonce: number): MessengerImpl {
  return createMessenger({ entity: { type: EntityType.CLIENT, num: n }, nonce });
}

describe('messenger receive budgets (per peer type)', function () {
  this.timeout(60_000);
  const msgrs: MessengerImpl[] = [];
  afterEach(async () => {
    for (const m of msgrs.splice(0)) await m.shutdown();
  });

  it('holds a client at its budget until held messages are released; a message larger than the budget passes alone', async () => {
    const bytesMax = 1 << 20;
    const small = 256 << 10;
    const big = 3 << 20;
    const srv = server(0, 11, { bytesMax, messagesMax: 1000 });
    const cli = client(4200, 12);
    msgrs.push(srv, cli);
    const addrs = await srv.bind('127.0.0.1', 21380);
    const budget = srv.receiveBudgets.get(EntityType.CLIENT)!;
    const got: number[] = [];
    let peakSmall = 0;
    // Each message is held 5 ms after the one before it: a consumer slower than the wire.
    let chain = Promise.resolve();
    srv.addDispatcher({
      dispatch(_c: Connection, m: Message) {
        const n = (m as BulkMsg).n;
        got.push(n);
        if (n < 30) peakSmall = Math.max(peakSmall, budget.bytes);
        chain = chain.then(() => sleep(5));
        return chain;
      },
    });
    srv.start();
    cli.start();
    const conn = cli.connectTo(EntityType.OSD, addrs);
    for (let i = 0; i < 30; i++) conn.send(newMsg(i, [Buffer.alloc(small, i)]));
    conn.send(newMsg(30, [Buffer.alloc(big, 30)]));
    for (let i = 31; i < 36; i++) conn.send(newMsg(i, [Buffer.alloc(small, i)]));
    await until('every message', () => got.length === 36, 40_000, 5);
    assert.deepEqual(got, Array.from({ length: 36 }, (_, i) => i));
    // Read on while under the budget, so at most one message beyond it (and what one socket read held).
    assert.ok(peakSmall <= bytesMax + 2 * small, `held ${peakSmall} bytes of small messages, budget ${bytesMax}`);
    assert.ok(peakSmall >= bytesMax, `the budget was reached (${peakSmall})`);
    assert.ok(budget.bytesPeak >= big, 'the large message was held whole');
    assert.ok(budget.bytesPeak < bytesMax + big + small, `the large one came in under the budget (${budget.bytesPeak})`);
    await until('released', () => budget.bytes === 0 && budget.messages === 0, 10_000, 5);
    assert.equal(srv.stats().receiveBytesInFlight, 0, 'the messenger-wide throttle let go at dispatch');
  });

  /**
   * Two servers, each answering a client op only after the other server answered a sub-message as big as
   * the op; returns how many ops each client saw answered once `settle` resolves.
   */
  async function crossed(shared: boolean, basePort: number, settle: (replies: { a: number; b: number }) => Promise<void>): Promise<{ a: MessengerImpl; b: MessengerImpl }> {
    const bytesMax = 512 << 10;
    const a = server(1, 21, { bytesMax, messagesMax: 4 }, shared);
    const b = server(2, 22, { bytesMax, messagesMax: 4 }, shared);
    const ca = client(4201, 23);
    const cb = client(4202, 24);
    msgrs.push(a, b, ca, cb);
    const aAddrs = await a.bind('127.0.0.1', basePort);
    const bAddrs = await b.bind('127.0.0.1', basePort + 1);
    // A server's client op: send a sub-message as big as the op to the other server; hold the op until
    // that server's reply, then answer the client. A sub-message is held 2 ms, then answered (it is a
    // peer's: outside the budget). The replies carry data too, so a budget over peers would fill.
    const wire = (self: MessengerImpl, peerAddrs: typeof aAddrs): void => {
      const waiting = new Map<number, () => void>();
      let peer: Connection | null = null;
      self.addDispatcher({
        dispatch(c: Connection, m: Message) {
          const n = (m as BulkMsg).n;
          const kind = Math.floor(n / KIND);
          const id = n % KIND;
          if (kind === OP) {
            peer ??= self.connectTo(EntityType.OSD, peerAddrs);
            peer.send(newMsg(SUBOP * KIND + id, [Buffer.alloc(opBytes, id)]));
            return new Promise<void>((resolve) => {
              waiting.set(id, () => {
                c.send(newMsg(OP_REPLY * KIND + id));
                resolve();
              });
            });
          }
          if (kind === SUBOP) {
            return sleep(2).then(() => c.send(newMsg(SUBOP_REPLY * KIND + id, [Buffer.alloc(opBytes, id)])));
          }
          if (kind === SUBOP_REPLY) {
            const w = waiting.get(id);
            waiting.delete(id);
            w?.();
          }
          return undefined;
        },
      });
    };
    wire(a, bAddrs);
    wire(b, aAddrs);
    const replies = { a: 0, b: 0 };
    ca.addDispatcher({ dispatch() { replies.a++; } });
    cb.addDispatcher({ dispatch() { replies.b++; } });
    for (const m of msgrs) m.start();
    const toA = ca.connectTo(EntityType.OSD, aAddrs);
    const toB = cb.connectTo(EntityType.OSD, bAddrs);
    for (let i = 0; i < ops; i++) {
      toA.send(newMsg(OP * KIND + i, [Buffer.alloc(opBytes, i)]));
      toB.send(newMsg(OP * KIND + 1000 + i, [Buffer.alloc(opBytes, i)]));
    }
    await settle(replies);
    return { a, b };
  }
  const opBytes = 256 << 10;
  const ops = 20;

  it('two servers holding client messages until the other answers their sub-messages do not deadlock', async () => {
    const { a, b } = await crossed(false, 21381, (replies) =>
      until(`every op answered (a ${replies.a}, b ${replies.b} of ${ops})`, () => replies.a === ops && replies.b === ops, 30_000, 5).then(() => undefined));
    for (const s of [a, b]) {
      const budget = s.receiveBudgets.get(EntityType.CLIENT)!;
      assert.ok(budget.bytesPeak <= (512 << 10) + 2 * opBytes, `held ${budget.bytesPeak} of client bytes`);
      assert.ok(budget.bytesPeak >= 512 << 10, 'the budget was reached');
      await until('released', () => budget.bytes === 0, 10_000, 5);
    }
  });

  it('the same exchange under one budget for clients and peers (the messenger-wide throttle held) stalls: why budgets are per type', async () => {
    let seen = { a: 0, b: 0 };
    await crossed(true, 21383, async (replies) => {
      await sleep(2000);
      seen = { ...replies };
    });
    assert.ok(seen.a < ops || seen.b < ops, `a shared budget deadlocks (answered a ${seen.a}, b ${seen.b} of ${ops})`);
  });
});
