// A one-monitor harness for the Paxos services: a MemMonStore, a fake clock, and the commit loop the
// monitor shell runs (handleCommand -> encodePending -> apply the transaction -> refresh).
import { parseAddrVec } from '../../common/entityaddr.js';
import { newMonMap, addMon } from '../../common/monmap/index.js';
import type { MonMap } from '../../common/monmap/types.js';
import { decodeOSDMap, type EntityAddrVec, type OSDMap } from '../../common/osdmap/index.js';
import { MemMonStore, MonStoreTx } from '../../mon/core/store.js';
import type { CmdMap, CommandReply, MonContext, MonServices, MonServicesConfig } from '../../mon/core/types.js';
import { createMonServices } from '../../mon/core/services/monservices.js';

export const TEST_FSID = '5f1c8e34-5b0a-4a2a-9d2c-6a1e7e4b2c01';
/** The features a Pacific OSD boots with (MOSDBoot's osd_features). */
export const TEST_OSD_FEATURES = 0x3f01cfbffffdffffn;

/** An OSD's four loopback addresses (public, cluster, heartbeat back/front) from `port` up. */
export function testOsdAddrs(port: number): { public: EntityAddrVec; cluster: EntityAddrVec; hbBack: EntityAddrVec; hbFront: EntityAddrVec } {
  const a = (p: number): EntityAddrVec => parseAddrVec(`v2:127.0.0.1:${p}/${1000 + port}`)!;
  return { public: a(port), cluster: a(port + 1), hbBack: a(port + 2), hbFront: a(port + 3) };
}

export function testMonMap(names: string[], basePort = 17200, createdMs = 1_796_065_452_000): MonMap {
  const m = newMonMap({ fsid: TEST_FSID, created: { sec: Math.floor(createdMs / 1000), nsec: 0 }, enableAllFeatures: true, minMonRelease: 16 });
  names.forEach((n, i) => addMon(m, n, parseAddrVec(`v2:127.0.0.1:${basePort + i}`)!));
  return m;
}

/** Three OSDs on two hosts (osd.0 on host0; osd.1, osd.2 on host1), none booted, and a pool "rbd" of 8 PGs. */
export function twoHostCluster(config: Partial<MonServicesConfig> = {}): ServicesHarness {
  const h = new ServicesHarness(testMonMap(['a']), config);
  for (let i = 0; i < 3; i++) h.command({ prefix: 'osd create' });
  h.command({ prefix: 'osd crush add-bucket', name: 'host0', type: 'host', args: ['root=default'] });
  h.command({ prefix: 'osd crush add-bucket', name: 'host1', type: 'host', args: ['root=default'] });
  h.command({ prefix: 'osd crush add', id: 0, weight: 1, args: ['host=host0'] });
  h.command({ prefix: 'osd crush add', id: 1, weight: 1, args: ['host=host1'] });
  h.command({ prefix: 'osd crush add', id: 2, weight: 1, args: ['host=host1'] });
  h.command({ prefix: 'osd pool create', pool: 'rbd', pg_num: 8 });
  return h;
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

  /** Boot osd.N (addresses from port 6800 + 10 N) and commit: it is up in the committed osdmap. */
  bootOsd(osd: number): void {
    const o = this.services.handleOsdBoot(osd, testOsdAddrs(6800 + osd * 10), 0, TEST_OSD_FEATURES, this.ctx());
    if (o.kind !== 'afterCommit' || !this.propose()) throw new Error(`boot osd.${osd}: ${JSON.stringify(o)}`);
  }

  /** The newest committed osdmap. */
  osdmap(): OSDMap {
    return decodeOSDMap(this.services.osdmapLatestFull().maps.get(this.services.osdmapEpoch())!);
  }

  advance(ms: number): void {
    this.nowMs += ms;
  }
}
