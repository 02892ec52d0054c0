// Proves mon/core/paxos.ts (through the quorum core) keeps Ceph's Paxos rules: scripted runs of 1-3
// quorum cores over an in-order network we drive by hand, checking the message transcript, the store
// keys Ceph uses under "paxos", recovery of an uncommitted value, sharing with a lagging peon, trimming
// and leases.
import { strict as assert } from 'node:assert';
import { PAXOS_PREFIX, PN_ROUND_STRIDE } from '../../mon/core/paxos.js';
import { QuorumCore, createQuorum } from '../../mon/core/quorum.js';
import { MemMonStore, MonStoreTx } from '../../mon/core/store.js';
import { PaxosOp, type PeerMessage, type QuorumConfig, type QuorumReady } from '../../mon/core/types.js';
import { SIM_QUORUM_CONFIG, simMonMap } from '../sim/monsim.js';

const PAXOS_OPS: Record<number, string> = {
  [PaxosOp.COLLECT]: 'collect', [PaxosOp.LAST]: 'last', [PaxosOp.BEGIN]: 'begin', [PaxosOp.ACCEPT]: 'accept',
  [PaxosOp.COMMIT]: 'commit', [PaxosOp.LEASE]: 'lease', [PaxosOp.LEASE_ACK]: 'lease_ack',
};

interface Wire { from: number; to: number; msg: PeerMessage }

/** N cores, each over its own store; messages queue until deliver() moves them, in order. */
class Cluster {
  readonly stores: MemMonStore[] = [];
  readonly cores: QuorumCore[] = [];
  readonly down = new Set<number>();
  wire: Wire[] = [];
  now = 0;
  constructor(n: number, readonly config: QuorumConfig = SIM_QUORUM_CONFIG) {
    const monmap = simMonMap(n);
    for (let r = 0; r < n; r++) {
      const s = new MemMonStore();
      this.stores.push(s);
      this.cores.push(createQuorum(r, monmap, s, config) as QuorumCore);
    }
  }
  take(from: number, r: QuorumReady): void {
    for (const { to, msg } of r.send) this.wire.push({ from, to, msg });
  }
  startAll(): void {
    this.cores.forEach((c, r) => this.take(r, c.start(this.now)));
  }
  /** Deliver queued messages (FIFO, including the ones they cause) until none is left or `max` ran. */
  deliver(filter: (w: Wire) => boolean = () => true, max = 10_000): string[] {
    const lines: string[] = [];
    for (let i = 0; i < max && this.wire.length > 0; i++) {
      const w = this.wire.shift()!;
      if (this.down.has(w.to) || this.down.has(w.from) || !filter(w)) continue;
      if (w.msg.kind === 'paxos') lines.push(`${w.from}->${w.to} ${PAXOS_OPS[w.msg.m.op]} pn ${w.msg.m.pn} lc ${w.msg.m.lastCommitted} v[${[...w.msg.m.values.keys()].join(',')}]`);
      this.take(w.to, this.cores[w.to]!.receive(w.from, w.msg, this.now));
    }
    return lines;
  }
  tickAll(ms: number): void {
    this.now += ms;
    this.cores.forEach((c, r) => { if (!this.down.has(r)) this.take(r, c.tick(this.now)); });
  }
  /** Tick in small steps (delivering as we go) until pred holds. */
  until(pred: () => boolean, maxMs = 20_000): void {
    for (let t = 0; t < maxMs; t += 50) {
      if (pred()) return;
      this.tickAll(50);
      this.deliver();
    }
    assert.ok(pred(), 'condition not reached in time');
  }
  /** A leader exists, may propose, and every monitor is in the quorum (when all is true). */
  writeable(all = true): boolean {
    const l = this.cores.find((c, r) => !this.down.has(r) && c.state === 'leader');
    return !!l && l.isWriteable() && (!all || this.cores.every((c, r) => this.down.has(r) || c.state === 'leader' || c.state === 'peon'));
  }
  leader(): QuorumCore {
    const l = this.cores.find((c, r) => !this.down.has(r) && c.state === 'leader');
    assert.ok(l, 'a leader');
    return l;
  }
  propose(key: string): QuorumReady {
    const l = this.leader();
    const r = l.propose(new MonStoreTx().put('test', key, Buffer.from(`value of ${key}`)).encode(), this.now);
    this.take(l.rank, r);
    return r;
  }
  /** Restart rank r from its store (the in-memory store is the durable one here). */
  restart(r: number): void {
    this.down.delete(r);
    this.cores[r] = createQuorum(r, simMonMap(this.cores.length), this.stores[r]!, this.config) as QuorumCore;
    this.take(r, this.cores[r]!.start(this.now));
  }
}

function num(s: MemMonStore, key: string): number {
  return s.getNumber(PAXOS_PREFIX, key);
}

describe('paxos', () => {
  it('a quorum of 3 recovers, grants leases and commits one value everywhere, with Ceph\'s store keys', () => {
    const c = new Cluster(3);
    c.startAll();
    c.until(() => c.cores.every((q) => q.state === 'leader' || q.state === 'peon'));
    c.until(() => c.writeable());
    assert.equal(c.leader().rank, 0, 'the lowest rank leads');
    assert.equal(num(c.stores[0]!, 'accepted_pn'), PN_ROUND_STRIDE, 'rank 0 first proposal number is 100');
    assert.equal(num(c.stores[1]!, 'accepted_pn'), PN_ROUND_STRIDE, 'peons promised it');
    const r = c.propose('a');
    assert.deepEqual(r.committed, [], 'nothing commits before the peons accept');
    const lines = c.deliver((w) => w.msg.kind === 'paxos' && w.msg.m.op !== PaxosOp.LEASE && w.msg.m.op !== PaxosOp.LEASE_ACK);
    assert.deepEqual(lines, [
      '0->1 begin pn 100 lc 0 v[1]',
      '0->2 begin pn 100 lc 0 v[1]',
      '1->0 accept pn 100 lc 0 v[]',
      '2->0 accept pn 100 lc 0 v[]',
      '0->1 commit pn 100 lc 1 v[1]',
      '0->2 commit pn 100 lc 1 v[1]',
    ]);
    for (const s of c.stores) {
      assert.equal(num(s, 'first_committed'), 1);
      assert.equal(num(s, 'last_committed'), 1);
      assert.equal(num(s, 'pending_v'), 1);
      assert.equal(num(s, 'pending_pn'), 100);
      assert.equal(s.get('test', 'a')?.toString(), 'value of a', 'the committed value was applied');
      assert.ok(MonStoreTx.decode(s.get(PAXOS_PREFIX, '1')!).ops.length >= 1, 'paxos/1 holds the encoded transaction');
    }
  });

  it('proposal numbers are above anything seen, rounded to the stride, ending in the rank', () => {
    const solo = new Cluster(1);
    solo.stores[0]!.apply(new MonStoreTx().putNumber(PAXOS_PREFIX, 'accepted_pn', 1234).putNumber(PAXOS_PREFIX, 'last_pn', 1234));
    solo.startAll();
    assert.equal(solo.leader().rank, 0);
    assert.equal(num(solo.stores[0]!, 'accepted_pn'), 1300, 'next round above 1234, rank 0');
    assert.equal(num(solo.stores[0]!, 'last_pn'), 1300);
    const c = new Cluster(3);
    c.down.add(0);
    c.startAll();
    c.until(() => c.cores[1]!.state === 'leader');
    assert.equal(num(c.stores[1]!, 'accepted_pn') % PN_ROUND_STRIDE, 1, 'rank 1 numbers end in 1');
  });

  it('a new leader re-proposes a value a peon accepted but nobody committed', () => {
    const c = new Cluster(3);
    c.startAll();
    c.until(() => c.writeable());
    c.propose('x');
    // Only peon 1 hears the begin; then the leader dies before any commit.
    c.deliver((w) => !(w.msg.kind === 'paxos' && w.msg.m.op === PaxosOp.BEGIN && w.to === 2), 2);
    c.wire = [];
    assert.equal(num(c.stores[1]!, 'pending_v'), 1, 'peon 1 accepted version 1');
    assert.equal(num(c.stores[1]!, 'last_committed'), 0);
    c.down.add(0);
    c.until(() => c.cores[1]!.state === 'leader' && c.cores[1]!.isWriteable());
    assert.equal(num(c.stores[1]!, 'last_committed'), 1, 'recovered and committed');
    assert.equal(c.stores[1]!.get('test', 'x')?.toString(), 'value of x');
    assert.ok(c.stores[2]!.get(PAXOS_PREFIX, '1')!.equals(c.stores[0]!.get(PAXOS_PREFIX, '1')!), 'the same bytes as proposed');
    // The old leader comes back and learns version 1 rather than proposing anything else for it.
    c.restart(0);
    c.until(() => num(c.stores[0]!, 'last_committed') === 1 && c.cores.every((q) => q.state === 'leader' || q.state === 'peon'));
    assert.equal(c.stores[0]!.get('test', 'x')?.toString(), 'value of x');
  });

  it('a peon that missed commits gets the values in the recovery and catches up', () => {
    const c = new Cluster(3);
    c.startAll();
    c.until(() => c.writeable());
    c.down.add(2);
    // Quorum {0,1} after rank 2 is gone.
    c.until(() => c.writeable() && c.leader().quorumRanks.length === 2);
    for (const k of ['a', 'b', 'c']) {
      c.propose(k);
      c.deliver();
    }
    assert.equal(num(c.stores[1]!, 'last_committed'), 3);
    assert.equal(num(c.stores[2]!, 'last_committed'), 0);
    c.restart(2);
    c.until(() => num(c.stores[2]!, 'last_committed') === 3 && c.writeable() && c.leader().quorumRanks.length === 3);
    for (const k of ['a', 'b', 'c']) assert.equal(c.stores[2]!.get('test', k)?.toString(), `value of ${k}`);
  });

  it('trimming travels inside values: every monitor keeps paxosMinVersions and drops the rest', () => {
    const config = { ...SIM_QUORUM_CONFIG, paxosMinVersions: 5, paxosTrimMaxVersions: 3 };
    const c = new Cluster(3, config);
    c.startAll();
    c.until(() => c.writeable());
    for (let i = 0; i < 20; i++) {
      c.propose(`k${i}`);
      c.deliver();
    }
    for (const s of c.stores) {
      const first = num(s, 'first_committed');
      const last = num(s, 'last_committed');
      assert.equal(last, 20);
      assert.ok(last - first + 1 >= 5, `kept at least 5 versions (${first}..${last})`);
      assert.ok(first > 1, 'trimmed');
      assert.equal(s.exists(PAXOS_PREFIX, String(first - 1)), false);
      for (let v = first; v <= last; v++) assert.ok(s.exists(PAXOS_PREFIX, String(v)), `version ${v} kept`);
    }
    assert.equal(num(c.stores[0]!, 'first_committed'), num(c.stores[2]!, 'first_committed'), 'trimmed identically');
  });

  it('a peon is readable only under a lease; without renewals it gives up and probes', () => {
    const c = new Cluster(3);
    c.startAll();
    c.until(() => c.writeable());
    c.propose('a');
    c.deliver();
    c.until(() => c.cores[1]!.isReadable(c.now));
    c.down.add(0);
    c.tickAll(SIM_QUORUM_CONFIG.leaseMs + 1);
    assert.equal(c.cores[1]!.isReadable(c.now), false, 'the lease ran out');
    c.tickAll(SIM_QUORUM_CONFIG.leaseAckTimeoutMs);
    assert.notEqual(c.cores[1]!.state, 'peon', 'lease timeout: back to probing / electing');
  });

  it('a peon ignores a begin numbered below its promise', () => {
    const c = new Cluster(3);
    c.startAll();
    c.until(() => c.writeable());
    const peon = c.cores[1]!;
    const promise = num(c.stores[1]!, 'accepted_pn');
    const before = c.stores[1]!.entries().length;
    const r = peon.receive(0, {
      kind: 'paxos',
      m: {
        epoch: peon.electionEpoch, op: PaxosOp.BEGIN, firstCommitted: 0, lastCommitted: 0, pnFrom: 0, pn: promise - 1,
        uncommittedPn: 0, leaseTimestamp: { sec: 0, nsec: 0 }, sentTimestamp: { sec: 0, nsec: 0 }, latestVersion: 0,
        latestValue: Buffer.alloc(0), values: new Map([[1, new MonStoreTx().put('test', 'evil', Buffer.from('!')).encode()]]),
        featureMap: Buffer.alloc(0),
      },
    }, c.now);
    assert.equal(r.send.length, 0, 'no accept');
    assert.equal(r.persist, null);
    assert.equal(c.stores[1]!.entries().length, before);
  });
});
