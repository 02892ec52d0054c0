// Proves that every hold the OSD takes on a client op's bytes (osd/client-holds.ts) settles: by the op's reply through the wrapper connection the PG is given (which forwards everything to the real one), by a resend of the same tid, by a drop, by the connection's reset, by age, and at stop; no cluster: fake connections and hand-made MOSDOps.
import { strict as assert } from 'node:assert';
import { EntityType, MOSDOp, MOSDOpReply, type Connection } from '../../msg/index.js';
import { CLIENT_OP_HOLD_MS_MAX, ClientOpHolds } from '../../osd/client-holds.js';
import { FakeConn } from '../support/fake-messenger.js';

function op(tid: number): MOSDOp {
  const m = new MOSDOp();
  m.header.tid = tid;
  m.hobj = { ...m.hobj, oid: `obj-${tid}` };
  return m;
}

/** Whether `p` has settled, after the microtasks queued so far ran. */
async function isSettled(p: Promise<void>): Promise<boolean> {
  let done = false;
  void p.then(() => {
    done = true;
  });
  await new Promise<void>((r) => setImmediate(r));
  return done;
}

describe('client op holds (osd/client-holds.ts)', () => {
  const client = (): FakeConn => new FakeConn([], EntityType.CLIENT, true, false);

  it('a reply with the op tid through the wrapper settles that hold only; the wrapper forwards', async () => {
    const holds = new ClientOpHolds();
    const real = client();
    const h1 = holds.hold(real, op(1), 0);
    const h2 = holds.hold(real, op(2), 0);
    assert.equal(h1.conn, h2.conn, 'one wrapper per connection (the OSD keeps ops of a connection in order by it)');
    assert.notEqual(h1.conn, real);
    assert.equal(h1.conn.peerName, real.peerName);
    h1.conn.priv = 'session';
    assert.equal(real.priv, 'session');
    const reply = MOSDOpReply.replyTo(op(2), 0, 1);
    h1.conn.send(reply);
    assert.deepEqual(real.sent, [reply], 'sent on the real connection');
    assert.equal(await isSettled(h2.settled), true);
    assert.equal(await isSettled(h1.settled), false);
    assert.equal(holds.size, 1);
    h1.conn.send(MOSDOpReply.replyTo(op(1), 0, 1));
    assert.equal(await isSettled(h1.settled), true);
    assert.equal(holds.size, 0);
  });

  it('a resend of a tid, a drop and a reset settle', async () => {
    const holds = new ClientOpHolds();
    const real = client();
    const first = holds.hold(real, op(7), 0);
    const again = holds.hold(real, op(7), 5);
    assert.equal(await isSettled(first.settled), true, 'the resend replaces the op it resends');
    assert.equal(await isSettled(again.settled), false);
    holds.dropped(again.conn, op(7));
    assert.equal(await isSettled(again.settled), true);
    const a = holds.hold(real, op(8), 0);
    const b = holds.hold(real, op(9), 0);
    const other = holds.hold(client(), op(8), 0);
    holds.reset(real);
    assert.equal(await isSettled(a.settled), true);
    assert.equal(await isSettled(b.settled), true);
    assert.equal(await isSettled(other.settled), false, 'another connection keeps its holds');
    holds.settleAll();
    assert.equal(await isSettled(other.settled), true, 'stop settles the rest');
    assert.equal(holds.size, 0);
  });

  it('a hold no reply ever settles is released after CLIENT_OP_HOLD_MS_MAX; younger ones stay', async () => {
    const holds = new ClientOpHolds();
    const real = client();
    const old = holds.hold(real, op(1), 1000);
    const young = holds.hold(real, op(2), 1000 + CLIENT_OP_HOLD_MS_MAX);
    holds.sweep(1000 + CLIENT_OP_HOLD_MS_MAX);
    assert.equal(await isSettled(old.settled), false, 'not older than the limit yet');
    holds.sweep(1001 + CLIENT_OP_HOLD_MS_MAX);
    assert.equal(await isSettled(old.settled), true);
    assert.equal(await isSettled(young.settled), false);
    assert.equal(holds.settledByAge, 1);
    // A closed connection with nothing held is forgotten; its late reply still goes to the real one.
    real.isConnected = false;
    holds.sweep(2001 + 2 * CLIENT_OP_HOLD_MS_MAX);
    assert.equal(await isSettled(young.settled), true);
    const wrapper: Connection = young.conn;
    wrapper.send(MOSDOpReply.replyTo(op(2), 0, 1));
    assert.equal(real.sent.length, 1);
  });
});
