// A one-monitor harness for the Paxos services: a MemMonStore, a fake clock, and the commit loop the
// monitor shell runs (handleCommand -> encodePending -> apply the transaction -> refresh).
import { parseAddrVec } from '../../common/entityaddr.js';
import { newMonMap, addMon } from '../../common/monmap/index.js';
import type { MonMap } from '../../common/monmap/types.js';
import { MemMonStore, MonStoreTx } from '../../mon/core/store.js';
import type { CmdMap, CommandReply, MonContext, MonServices, MonServicesConfig } from '../../mon/core/types.js';
import { createMonServices } from '../../mon/core/services/monservices.js';

export const TEST_FSID = '5f1c8e34-5b0a-4a2a-9d2c-6a1e7e4b2c01';

export function testMonMap(names: string[], basePort = 17200, createdMs = 1_796_065_452_000): MonMap {
  const m = newMonMap({ fsid: TEST_FSID, created: { sec: Math.floor(createdMs / 1000), nsec: 0 }, enableAllFeatures: true, minMonRelease: 16 });
  names.forEach((n, i) => addMon(m, n, parseAddrVec(`v2:127.0.0.1:${basePort + i}`)!));
  return m;
}

export class ServicesHarness {
  readonly store = new MemMonStore();
  readonly services: MonServices;
  nowMs: number;
  quorumRanks: number[];
  electionEpoch = 3;
  quorumSinceMs: number;
  /** Every transaction committed, in order. */
  readonly committed: MonStoreTx[] = [];

  constructor(readonly monmap: MonMap, config: Partial<MonServicesConfig> = {}, startMs = 1_796_065_452_000) {
    this.services = createMonServices(config);
    this.nowMs = startMs;
    this.quorumSinceMs = startMs;
    this.quorumRanks = monmap.ranks.map((_, i) => i);
    const tx = this.services.createInitial(this.ctx());
    this.commit(tx);
  }

  ctx(): MonContext {
    return {
      nowMs: this.nowMs,
      rank: 0,
      isLeader: true,
      electionEpoch: this.electionEpoch,
      quorumRanks: this.quorumRanks,
      leader: this.quorumRanks[0] ?? 0,
      monmap: this.monmap,
      quorumSinceMs: this.quorumSinceMs,
    };
  }

  /** Round-trip the transaction through its encoding (as Paxos carries it), apply, refresh. */
  commit(tx: MonStoreTx): void {
    const wire = MonStoreTx.decode(tx.encode());
    this.store.apply(wire);
    this.committed.push(wire);
    this.services.refresh(this.store, this.ctx());
  }

  /** Propose whatever is pending; true when something was committed. */
  propose(): boolean {
    const tx = this.services.encodePending(this.ctx());
    if (!tx) return false;
    this.commit(tx);
    return true;
  }

  /** Run a command to its reply, committing when it asks to. */
  command(cmd: CmdMap, inbl: Buffer = Buffer.alloc(0)): CommandReply {
    const o = this.services.handleCommand(cmd, inbl, this.ctx());
    if (o.kind === 'reply') return o.reply;
    if (o.kind === 'afterCommit') {
      this.propose();
      return o.reply;
    }
    throw new Error(`command ${JSON.stringify(cmd)} gave ${o.kind}`);
  }

  tick(): void {
    this.services.tick(this.ctx());
  }

  advance(ms: number): void {
    this.nowMs += ms;
  }
}
