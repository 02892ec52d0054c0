// Proves MonClient's session rules without sockets: over a scripted in-process Messenger it hunts the monitors in a seeded order, keeps only the first session that comes up, sends its subscriptions and waits for the monmap before any command, and after a session reset resends every unanswered command with the same tid to the next monitor while ignoring late replies from the dropped one.
import { strict as assert } from 'node:assert';

import { makeEntityAddr } from '../../common/entityaddr.js';
import { addMon, encodeMonMap, newMonMap } from '../../common/monmap/index.js';
import type { EntityAddrVec } from '../../common/osdmap/index.js';
import { EntityType } from '../../msg/index.js';
import { FakeMessenger, type FakeConn } from '../support/fake-messenger.js';
import { MMonCommand, MMonCommandAck, MMonGetMap, MMonMap, MMonSubscribe } from '../../msg/messages/index.js';
import { MonClient } from '../../mon/client/index.js';

const PORTS = [3300, 3301, 3302];
const vec = (port: number): EntityAddrVec => [makeEntityAddr(2, '127.0.0.1', port)];
const FSID = '11111111-2222-3333-4444-555555555555';

function monmapMessage(): MMonMap {
  const mm = newMonMap({ fsid: FSID, created: { sec: 1, nsec: 0 }, epoch: 1 });
  addMon(mm, 'a', vec(3300));
  addMon(mm, 'b', vec(3301));
  addMon(mm, 'c', vec(3302));
  const m = new MMonMap();
  m.monmapBl = encodeMonMap(mm);
  return m;
}

function ack(tid: number, r: number, rs: string, out: string): MMonCommandAck {
  const m = new MMonCommandAck([], r, rs, Buffer.from(out));
  m.header.tid = tid;
  return m;
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('mon/client: MonClient hunting, session and resend rules (scripted messenger)', function () {
  it('hunts, waits for the monmap, resends unanswered commands after a reset, ignores late replies', async function () {
    const msgr = new FakeMessenger({ peerType: EntityType.MON, myName: { type: EntityType.CLIENT, num: -1 } });
    const c = new MonClient({ monAddrs: PORTS.map(vec), messenger: msgr, huntParallel: 2, random: () => 0.5, huntIntervalMs: 60000 });
    c.init();
    // Seeded start: 0.5 * 3 = index 1, two in parallel: ports 3301 and 3302.
    assert.deepEqual(msgr.conns.map((x) => x.peerAddrs[0]!.sockaddr.readUInt16BE(0)), [3301, 3302]);
    const [c1, c2] = msgr.conns as [FakeConn, FakeConn];

    const p = c.command({ prefix: 'osd ls' }, Buffer.alloc(0), { timeoutMs: 60000 });
    msgr.up(c2);
    assert.ok(c1.down, 'the losing hunt attempt is marked down');
    msgr.up(c1); // too late: ignored
    assert.ok(c2.sent[0] instanceof MMonGetMap);
    assert.ok(!c2.sent.some((m) => m instanceof MMonCommand), 'no command before the monmap (fsid) is known');
    c.subscribe('osdmap', 5);
    assert.ok(c2.sent.some((m) => m instanceof MMonSubscribe && m.what.get('osdmap')?.start === 5));

    msgr.deliver(c2, monmapMessage());
    const sent1 = c2.sent.filter((m): m is MMonCommand => m instanceof MMonCommand);
    assert.equal(sent1.length, 1);
    assert.equal(sent1[0]!.fsid, FSID);
    assert.deepEqual(sent1[0]!.cmd, ['{"prefix": "osd ls"}']);
    const tid = sent1[0]!.header.tid;

    // The monitor goes away before answering: hunt again, resend with the same tid.
    msgr.reset(c2);
    const c3 = msgr.conns[2]!;
    msgr.up(c3);
    const sent2 = c3.sent.filter((m): m is MMonCommand => m instanceof MMonCommand);
    assert.equal(sent2.length, 1);
    assert.equal(sent2[0]!.header.tid, tid);
    assert.ok(c3.sent.some((m) => m instanceof MMonSubscribe && m.what.get('osdmap')?.start === 5), 'subscriptions resent on the new session');

    msgr.deliver(c2, ack(tid, -5, 'stale', 'old')); // from the dropped session: ignored
    await tick();
    msgr.deliver(c3, ack(tid, 0, '', '0\n1\n'));
    const r = await p;
    assert.deepEqual({ r: r.r, rs: r.rs, out: r.out.toString() }, { r: 0, rs: '', out: '0\n1\n' });
    await c.shutdown();
  });
});
