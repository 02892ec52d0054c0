// Proves Messenger.rebind (Ceph's AsyncMessenger::rebind, what an OSD wrongly marked down does) over loopback TCP (ports 17090-17097): a new nonce (old + 1000000) and a new port; the old address refuses; lossless sessions are marked down without handleReset, so a peer dialling the new address gets a fresh session (no "restarted peer" reset, nothing queued on it lost); lossy sessions hear handleReset and their next connection carries the new address. A shutdown during a rebind leaves nothing listening. Also: a session resumed after a socket drop keeps the peer's id and features on the dialling side (they were reset to osd.? and 0, so an OSD misrouted its peer's messages).
import { strict as assert } from 'node:assert';
import { EntityType, Message, isRegisteredMessage, registerMessage, type RawMessage } from '../../msg/message.js';
import { Policies, type Connection } from '../../msg/types.js';
import { REBIND_NONCE_STEP, createMessenger, type MessengerImpl } from '../../msg/messenger.js';
import { addrHostPort } from '../../common/entityaddr.js';
import { CephError } from '../../common/errors.js';
import { until as untilPoll } from '../support/wait.js';
const until = <T>(what: string, f: () => T | null | false | undefined, timeoutMs = 20_000): Promise<T> => untilPoll(what, f, timeoutMs, 5);

const TEST_TYPE = 0x7e13;

class RebindMsg extends Message {
  constructor(public n: number) {
    super(TEST_TYPE, 1, 1);
  }
  encodePayload(): void {
    const f = Buffer.alloc(4);
    f.writeUInt32LE(this.n, 0);
    this.front = [f];
  }
  typeName(): string {
    return 'rebind-test';
  }
}
if (!isRegisteredMessage(TEST_TYPE)) registerMessage(TEST_TYPE, 'rebind-test', (raw: RawMessage) => new RebindMsg(Buffer.concat(raw.front).readUInt32LE(0)));



function daemon(type: number, n: number, nonce: number): MessengerImpl {
  return createMessenger({
    entity: { type, num: n },
    nonce,
    policies: new Map([
      [EntityType.OSD, Policies.losslessPeer()],
      [EntityType.MON, Policies.lossyClient()],
      [EntityType.CLIENT, Policies.statelessServer()],
    ]),
    defaultPolicy: Policies.statelessServer(),
  });
}

describe('messenger rebind (an OSD wrongly marked down)', function () {
  this.timeout(60_000);
  const msgrs: MessengerImpl[] = [];
  afterEach(async () => {
    for (const m of msgrs.splice(0)) await m.shutdown();
  });

  it('new nonce and port; lossless sessions dropped silently, a peer at the new address gets a fresh session; lossy owners hear the reset', async () => {
    const a = daemon(EntityType.OSD, 20, 81);
    const b = daemon(EntityType.OSD, 21, 82);
    const mon = daemon(EntityType.MON, 0, 0);
    msgrs.push(a, b, mon);
    const aAddrs = await a.bind('127.0.0.1', 17090);
    const bOld = (await b.bind('127.0.0.1', 17091))[0]!;
    const monAddrs = await mon.bind('127.0.0.1', 17093);
    const gotA: number[] = [];
    const gotB: number[] = [];
    const monSaw: number[] = [];
    let bResets = 0;
    let bLossyResets = 0;
    let remoteResets = 0;
    let refusedOld = 0;
    a.addDispatcher({
      dispatch(_c, m) { gotA.push((m as RebindMsg).n); },
      handleRemoteReset() { remoteResets++; },
      handleRefused(c) { if (c.peerAddrs[0]?.nonce === bOld.nonce) refusedOld++; },
    });
    b.addDispatcher({
      dispatch(c, m) {
        gotB.push((m as RebindMsg).n);
        c.send(new RebindMsg(1000 + (m as RebindMsg).n));
      },
      handleReset(c) {
        if (c.peerName.type === EntityType.MON) bLossyResets++;
        else bResets++;
      },
      handleRemoteReset() { remoteResets++; },
    });
    mon.addDispatcher({ dispatch(c, m) { monSaw.push(c.peerAddrs[0]!.nonce); void m; } });
    for (const m of [a, b, mon]) m.start();

    // Before: a session a -> b (lossless), one b -> mon (lossy).
    const toOld = a.connectTo(EntityType.OSD, [bOld]);
    toOld.send(new RebindMsg(1));
    await until('the first round trip', () => gotA.includes(1001));
    let monConn: Connection = b.connectTo(EntityType.MON, monAddrs);
    monConn.send(new RebindMsg(7));
    await until('the monitor heard b', () => monSaw.length === 1);
    assert.equal(monSaw[0], bOld.nonce);
    // b also dials a, so it holds a lossless session it originated.
    b.connectTo(EntityType.OSD, aAddrs).send(new RebindMsg(2));
    await until('b -> a', () => gotA.includes(2));

    const bNew = (await b.rebind('127.0.0.1', [17091, 17092].filter((p) => p !== addrHostPort(bOld).port)))[0]!;
    assert.equal(bNew.nonce, (bOld.nonce + REBIND_NONCE_STEP) >>> 0, 'nonce + 1000000, as Ceph');
    assert.equal(addrHostPort(bNew).port, 17092, 'the old port is avoided');
    assert.deepEqual(b.myAddrs, [bNew]);
    assert.equal(bResets, 0, 'lossless sessions are marked down without handleReset');
    assert.equal(bLossyResets, 1, 'the lossy session\'s owner hears the reset');
    assert.ok(b.connections().every((c) => c.policy.lossy), 'no lossless session survives');

    // The old address is gone: a's session to it cannot come back.
    toOld.send(new RebindMsg(3));
    await until('the old address refuses', () => refusedOld > 0);

    // The lossy owner connects again: the monitor sees the new address.
    monConn = b.connectTo(EntityType.MON, monAddrs);
    monConn.send(new RebindMsg(8));
    await until('the monitor heard b again', () => monSaw.length === 2);
    assert.equal(monSaw[1], bNew.nonce);

    // a learns the new address (the map) and drops the old one (note_down_osd); both sides dial at once.
    toOld.markDown();
    const toNew = a.connectTo(EntityType.OSD, [bNew]);
    toNew.send(new RebindMsg(4));
    b.connectTo(EntityType.OSD, aAddrs).send(new RebindMsg(5));
    await until('both new-session messages and the reply', () => gotA.includes(1004) && gotA.includes(5) && gotB.includes(4));
    assert.equal(remoteResets, 0, 'no side took the other for a restarted peer');
    assert.ok(!gotB.includes(3), 'nothing sent to the old address arrives');
    assert.equal(gotA.filter((n) => n === 5).length, 1);
  });

  it('a resumed session (socket dropped, SESSION_RECONNECT_OK) keeps the peer\'s id and features on the dialling side', async () => {
    const a = daemon(EntityType.OSD, 23, 84);
    const b = daemon(EntityType.OSD, 24, 85);
    msgrs.push(a, b);
    await a.bind('127.0.0.1', 17094);
    const bAddrs = await b.bind('127.0.0.1', 17095);
    const fromB: { num: number; n: number }[] = [];
    let resumed = 0;
    a.addDispatcher({
      dispatch(c, m) { fromB.push({ num: c.peerName.num, n: (m as RebindMsg).n }); },
      handleConnect() { resumed++; },
    });
    b.addDispatcher({ dispatch(c, m) { c.send(new RebindMsg(1000 + (m as RebindMsg).n)); } });
    a.start();
    b.start();
    const conn = a.connectTo(EntityType.OSD, bAddrs);
    conn.send(new RebindMsg(1));
    await until('the first reply', () => fromB.length === 1);
    const features = conn.features;
    assert.equal(conn.peerName.num, 24);
    b.injectSocketFailures();
    await until('the session resumed', () => resumed >= 2);
    conn.send(new RebindMsg(2));
    await until('the reply after the resume', () => fromB.length === 2);
    assert.deepEqual(fromB, [{ num: 24, n: 1001 }, { num: 24, n: 1002 }], 'replies come from osd.24, not osd.?');
    assert.equal(conn.peerName.num, 24);
    assert.equal(conn.features, features, 'the session\'s features, not 0');
  });

  it('shut down while rebinding: ESHUTDOWN, and nothing is left listening on the new port', async () => {
    const c = daemon(EntityType.OSD, 25, 86);
    msgrs.push(c);
    await c.bind('127.0.0.1', 17096);
    const moving = c.rebind('127.0.0.1', [17097]);
    await c.shutdown();
    await assert.rejects(moving, (e: unknown) => e instanceof CephError && e.code === 'ESHUTDOWN');
    const d = daemon(EntityType.OSD, 26, 87);
    msgrs.push(d);
    await d.bind('127.0.0.1', 17097);
  });

  it('rebind on a messenger that never bound is EINVAL', async () => {
    const c = daemon(EntityType.OSD, 22, 83);
    msgrs.push(c);
    await assert.rejects(c.rebind('127.0.0.1', [17092]), (e: unknown) => e instanceof CephError && e.code === 'EINVAL');
  });
});
