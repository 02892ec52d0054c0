// Proves mon/core/elector.ts follows Ceph's classic election: scripted inputs to one Elector over a
// recording host, each compared with the expected transcript of sends, persists and outcomes.
import { strict as assert } from 'node:assert';
import { Elector, type ElectorHost } from '../../mon/core/elector.js';
import { ElectionOp } from '../../mon/core/types.js';

const OPS: Record<number, string> = { [ElectionOp.PROPOSE]: 'propose', [ElectionOp.ACK]: 'ack', [ElectionOp.NAK]: 'nak', [ElectionOp.VICTORY]: 'victory' };
const TIMEOUT_MS = 1000;

class Host implements ElectorHost {
  lines: string[] = [];
  persisted = 0;
  joined = false;
  members: number[] = [];
  constructor(readonly rank: number, private readonly n: number) {}
  monCount(): number { return this.n; }
  readEpoch(): number { return this.persisted; }
  persistEpoch(e: number): void { this.persisted = e; this.lines.push(`persist ${e}`); }
  sendElection(to: number, op: number, epoch: number, quorum: number[]): void {
    this.lines.push(`send ${to} ${OPS[op]} e${epoch}${quorum.length ? ` q[${quorum.join(',')}]` : ''}`);
  }
  isCurrentMember(r: number): boolean { return this.members.includes(r); }
  everJoined(): boolean { return this.joined; }
  joinElection(): void { this.lines.push('join'); }
  triggerNewElection(): void { this.lines.push('new election'); }
  resetElection(): void { this.lines.push('bootstrap'); }
  won(epoch: number, quorum: number[]): void { this.lines.push(`won e${epoch} q[${quorum.join(',')}]`); }
  lost(epoch: number, quorum: number[], leader: number): void { this.lines.push(`lost e${epoch} q[${quorum.join(',')}] leader ${leader}`); }
  log(): void {}
  take(): string[] { const l = this.lines; this.lines = []; return l; }
}

function setup(rank: number, n: number, persisted = 0): { h: Host; e: Elector } {
  const h = new Host(rank, n);
  h.persisted = persisted;
  return { h, e: new Elector(h, TIMEOUT_MS) };
}

describe('elector (classic)', () => {
  it('first boot proposes at epoch 1 to every other rank', () => {
    const { h, e } = setup(1, 3);
    e.start(0);
    assert.deepEqual(h.take(), ['send 0 propose e1', 'send 2 propose e1']);
    assert.equal(e.epoch, 1);
    assert.ok(e.electingMe);
  });

  it('a persisted odd epoch (died mid-election) is stepped past, and the retry uses a fresh odd epoch', () => {
    const { h, e } = setup(0, 3, 5);
    e.start(0);
    assert.deepEqual(h.take(), ['persist 6', 'persist 7', 'join', 'send 1 propose e7', 'send 2 propose e7']);
  });

  it('everyone acking ends the election at once; the victory goes to the quorum', () => {
    const { h, e } = setup(0, 3);
    e.start(0);
    h.take();
    e.receiveAck(1, 1, 10);
    assert.deepEqual(h.take(), []);
    e.receiveAck(2, 1, 20);
    assert.deepEqual(h.take(), ['persist 2', 'send 1 victory e2 q[0,1,2]', 'send 2 victory e2 q[0,1,2]', 'won e2 q[0,1,2]']);
  });

  it('a majority of acks wins when the period ends, not before', () => {
    const { h, e } = setup(0, 3);
    e.start(0);
    h.take();
    e.receiveAck(2, 1, 10);
    e.tick(TIMEOUT_MS - 1);
    assert.deepEqual(h.take(), []);
    e.tick(TIMEOUT_MS);
    assert.deepEqual(h.take(), ['persist 2', 'send 2 victory e2 q[0,2]', 'won e2 q[0,2]']);
  });

  it('defers to a lower rank, ignores a higher one, and accepts the victory that follows', () => {
    const { h, e } = setup(1, 3);
    e.start(0);
    h.take();
    e.receivePropose(2, 1, 5); // we win over 2 and are already electing ourselves
    assert.deepEqual(h.take(), []);
    e.receivePropose(0, 1, 6); // 0 wins over us
    assert.deepEqual(h.take(), ['send 0 ack e1']);
    assert.equal(e.electingMe, false);
    assert.equal(e.leaderAcked, 0);
    e.receivePropose(2, 1, 7); // still ignored: we acked 0, which beats 2
    assert.deepEqual(h.take(), []);
    assert.equal(e.receiveVictory(0, 2, [0, 1, 2], 50), true);
    assert.deepEqual(h.take(), ['persist 2', 'lost e2 q[0,1,2] leader 0']);
  });

  it('a propose from a higher epoch is adopted; a lower rank not electing then calls its own election', () => {
    const { h, e } = setup(0, 3);
    e.init();
    e.receivePropose(2, 7, 0);
    assert.deepEqual(h.take(), ['persist 7', 'join', 'new election']);
  });

  it('an old propose from outside a stable quorum calls a new election (a monitor just started)', () => {
    const { h, e } = setup(0, 3, 4);
    e.init();
    h.members = [0, 1];
    e.receivePropose(2, 1, 0);
    assert.deepEqual(h.take(), ['new election']);
    h.members = [0, 1, 2];
    e.receivePropose(2, 1, 0);
    assert.deepEqual(h.take(), [], 'from a member it is just stale');
  });

  it('stale and duplicated victories are ignored; a victory past our epoch restarts us', () => {
    const { h, e } = setup(2, 3, 4);
    e.init();
    assert.equal(e.receiveVictory(0, 4, [0, 2], 0), false);
    assert.deepEqual(h.take(), []);
    assert.equal(e.receiveVictory(0, 8, [0, 2], 0), false);
    assert.deepEqual(h.take(), ['persist 8', 'join', 'new election']);
  });

  it('when the one we deferred to never wins: retry if we ever joined, else probe again', () => {
    const a = setup(1, 3);
    a.e.start(0);
    a.e.receivePropose(0, 1, 0);
    a.h.take();
    a.e.tick(2 * TIMEOUT_MS);
    assert.deepEqual(a.h.take(), ['bootstrap']);
    const b = setup(1, 3);
    b.h.joined = true;
    b.e.start(0);
    b.e.receivePropose(0, 1, 0);
    b.h.take();
    b.e.tick(2 * TIMEOUT_MS - 1);
    assert.deepEqual(b.h.take(), [], 'the deferrer waits two periods');
    b.e.tick(2 * TIMEOUT_MS);
    assert.deepEqual(b.h.take(), ['new election']);
  });

  it('a monmap of one wins alone at the next even epoch', () => {
    const { h, e } = setup(0, 1, 2);
    e.standaloneVictory(0);
    assert.deepEqual(h.take(), ['persist 4', 'won e4 q[0]']);
  });
});
