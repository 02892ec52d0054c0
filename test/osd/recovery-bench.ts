// Not a test: CPU cost of recovery bookkeeping when a PG misses N objects.
//
//  core   the peering core alone (no store, no messages on a wire): three cores peer by hand-delivered
//         messages, then the recovery loop runs as the shell drives it (takeRecoveryTasks(1), the
//         completion call, takeEffects, stateBits). Two cases: the primary misses N objects (pulls),
//         and a replica misses N (pushes; the replica's own core records each push too). Prints CPU per
//         recovered object for the loop and for peering (merge, missing computation). A third case has
//         the oldest half of the primary's missing objects unfound (no OSD holds them).
//  cluster  the in-memory cluster of pg-cluster.test.ts (3 OSDs on MemStores, real PG shell, codecs):
//         an OSD is stopped, N objects are written, it restarts; prints the CPU from its restart to
//         active+clean per recovered object. `primary` stops the PG's primary (it comes back as primary
//         and pulls), `replica` a replica (the primary pushes).
//
//  trace  not a timing: the peering simulation (peering-harness.ts, the peering-sim configurations plus
//         one with 200 objects) run per seed with every trace line hashed; prints one digest per run and
//         one for all. Run it on the build before and after a change that must not change behaviour
//         (recovery order, states, messages) and diff the outputs.
//
// Run: node dist/test/osd/recovery-bench.js core [N=1000,8000,32000] [rounds=3]
//      node dist/test/osd/recovery-bench.js cluster [N=2000] [primary|replica] [rounds=1]
//      node dist/test/osd/recovery-bench.js trace [seeds=200] > after.txt
import { CEPH_NOSNAP, emptyReqId, opWriteFull, type EVersion, type HObject } from '../../msg/messages/osdop.js';
import {
  emptyPastIntervals, emptyPgLog, emptyPgMissing, emptyPgInfo, PgLogOp, type PgLogEntry,
} from '../../msg/messages/pgtypes.js';
import { createPeeringCore, type PeeringCoreDebug } from '../../osd/core/peering.js';
import type { PgMapView, PgPersistent } from '../../osd/core/peering-api.js';
import { appendEntry, missingAdd, syncInfo, type LogState } from '../../osd/core/pglog.js';
import { realPgDeps } from '../../osd/pg.js';
import { TestCluster } from './pg-net.js';
import { PeeringHarness, type HarnessOptions } from './peering-harness.js';
import { caseSeed } from '../support/rng.js';
import { createHash, type Hash } from 'node:crypto';

const PGID = { pgid: { pool: 1, seed: 0 }, shard: -1 };

function soidOf(name: string): HObject {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
  return { oid: name, key: '', nspace: '', hash: h >>> 0, pool: 1, snap: CEPH_NOSNAP, max: false };
}

function entry(i: number, v: EVersion): PgLogEntry {
  return {
    op: PgLogOp.MODIFY, soid: soidOf(`obj${i}`), version: v, priorVersion: { epoch: 0, version: 0 }, revertingTo: { epoch: 0, version: 0 },
    reqid: { ...emptyReqId(), name: { type: 8, num: 1 }, tid: i + 1 }, extraReqids: [], mtime: { sec: 0, nsec: 0 }, returnCode: 0,
    opReturns: [], userVersion: v.version, modDesc: Buffer.alloc(0), snaps: Buffer.alloc(0), cleanRegions: Buffer.alloc(0),
  };
}

/**
 * A PG that was active in epoch 5 on [0,1,2] and wrote `entries` objects in epoch 10 (if `writes`),
 * missing the first `unfound` of them itself.
 */
function persisted(entries: number, writes: boolean, acting: number[], unfound = 0): PgPersistent {
  const s: LogState = { info: emptyPgInfo(PGID), log: emptyPgLog(), missing: emptyPgMissing() };
  const h = s.info.history;
  h.epochCreated = h.epochPoolCreated = 1;
  h.sameIntervalSince = h.sameUpSince = h.samePrimarySince = writes ? 10 : 5;
  h.lastEpochStarted = h.lastIntervalStarted = writes ? 10 : 5;
  s.info.lastEpochStarted = s.info.lastIntervalStarted = h.lastEpochStarted;
  if (writes) for (let i = 0; i < entries; i++) appendEntry(s, entry(i, { epoch: 10, version: i + 1 }));
  if (writes) for (let i = 0; i < unfound; i++) missingAdd(s.missing, soidOf(`obj${i}`), { epoch: 10, version: i + 1 }, { epoch: 0, version: 0 });
  syncInfo(s);
  s.info.stats.up = [...acting];
  s.info.stats.acting = [...acting];
  s.info.stats.upPrimary = s.info.stats.actingPrimary = acting[0]!;
  return { info: s.info, pastIntervals: emptyPastIntervals(), log: s.log, missing: s.missing, epoch: writes ? 10 : 5 };
}

function view(epoch: number): PgMapView {
  return {
    epoch, poolExists: true, poolSize: 3, poolMinSize: 2, pgNum: 1, up: [0, 1, 2], upPrimary: 0, acting: [0, 1, 2], actingPrimary: 0,
    isUp: () => true, upThru: () => epoch, lostAt: () => 0,
  };
}

/** Deliver every message among the cores until none is left. */
function pump(cores: PeeringCoreDebug[]): void {
  for (let moved = true; moved;) {
    moved = false;
    for (const [from, c] of cores.entries()) {
      const fx = c.takeEffects();
      for (const s of fx.send) {
        moved = true;
        cores[s.to]!.handleMessage(from, s.msg, { sec: 0, nsec: 0 });
      }
    }
  }
}

function cpuUs(f: () => void): number {
  const t = process.cpuUsage();
  f();
  const d = process.cpuUsage(t);
  return d.user + d.system;
}

/**
 * One core case: `victim` (0: the primary, 2: a replica) was down while N objects were written; with
 * `unfound`, the others miss the oldest `unfound` of them too (the primary recovers the rest around them).
 */
function coreCase(n: number, victim: 0 | 2, unfound = 0): { peerUs: number; loopUs: number } {
  const cores: PeeringCoreDebug[] = [];
  for (let o = 0; o < 3; o++) {
    const writes = o !== victim;
    const acting = [0, 1, 2].filter((x) => x !== victim);
    cores.push(createPeeringCore({ pgid: PGID, whoami: o, persistent: persisted(n, writes, writes ? acting : [0, 1, 2], unfound) }));
  }
  const peerUs = cpuUs(() => {
    for (const c of cores) {
      c.advanceMap(view(11));
      c.activateMap({ sec: 0, nsec: 0 });
    }
    pump(cores);
  });
  const p = cores[0]!;
  if (p.debugPhase() !== 'active') throw new Error(`primary not active: ${p.debugPhase()} ${p.stateString()}`);
  let recovered = 0;
  const loopUs = cpuUs(() => {
    for (;;) {
      const t = p.takeRecoveryTasks(1)[0];
      if (!t) break;
      if (t.kind === 'pull') p.onObjectRecoveredLocally(t.soid, t.version);
      else if (t.kind === 'push') {
        for (const o of t.to) {
          cores[o]!.onObjectRecoveredLocally(t.soid, t.version);
          cores[o]!.takeEffects();
          p.onPeerRecovered(o, t.soid, t.version);
        }
      } else throw new Error(`unexpected task ${t.kind}`);
      p.takeEffects();
      p.stateBits();
      recovered++;
    }
  });
  pump(cores);
  const want = unfound > 0 ? 'active+recovery_wait+recovery_unfound+degraded' : 'active+clean';
  if (recovered !== n - unfound || p.stateString() !== want) throw new Error(`recovered ${recovered} of ${n}, state ${p.stateString()}`);
  return { peerUs, loopUs };
}

async function clusterCase(n: number, who: 'primary' | 'replica'): Promise<{ us: number; writeUs: number }> {
  const c = new TestCluster({ osds: 3, size: 3, minSize: 2, pgNum: 1, deps: realPgDeps });
  try {
    await c.start();
    await c.waitState('active+clean', 60000);
    const primary = c.primaryOf({ pool: 1, seed: 0 });
    const victim = who === 'primary' ? primary : c.osds.map((o) => o.whoami).find((o) => o !== primary)!;
    await c.stopOsd(victim);
    await c.waitState('active+undersized+degraded', 60000);
    const data = Buffer.alloc(4096, 0x5a);
    let next = 0;
    const t0 = process.cpuUsage();
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < n) {
        const i = next++;
        const r = await c.op(`obj${i}`, [opWriteFull(data)]);
        if (r.result !== 0) throw new Error(`write ${i}: ${r.result}`);
      }
    }));
    const w = process.cpuUsage(t0);
    const t1 = process.cpuUsage();
    await c.startOsd(victim);
    await c.waitState('active+clean', 600000);
    const d = process.cpuUsage(t1);
    if (c.primaryOf({ pool: 1, seed: 0 }) !== primary) throw new Error('the primary changed');
    return { us: d.user + d.system, writeUs: w.user + w.system };
  } finally {
    await c.close();
  }
}

/** Digests of the peering simulation's traces (every event line), per seeded run. */
function traceDigests(seeds: number): void {
  const configs: Array<Omit<HarnessOptions, 'seed' | 'trace'>> = [
    { osds: 4, size: 3, minSize: 2, objects: 8, faultRate: 0.03 },
    { osds: 3, size: 2, minSize: 1, objects: 6, faultRate: 0.04 },
    { osds: 6, size: 3, minSize: 2, objects: 10, faultRate: 0.08 },
    { osds: 5, size: 3, minSize: 2, objects: 12, faultRate: 0.05, logBounds: { entriesMin: 4, entriesMax: 12, trimEntriesMin: 2 } },
    { osds: 4, size: 2, minSize: 1, objects: 8, faultRate: 0.05, logBounds: { entriesMin: 3, entriesMax: 8, trimEntriesMin: 1 } },
    { osds: 5, size: 3, minSize: 2, objects: 200, faultRate: 0.05 },
  ];
  let hash: Hash = createHash('sha256');
  // every trace line, not only the last ones the harness keeps
  PeeringHarness.prototype.trace = function (this: PeeringHarness, line: string): void {
    hash.update(`[${this.step}] ${line}\n`);
  };
  const all = createHash('sha256');
  for (const [ci, c] of configs.entries()) {
    for (let i = 0; i < seeds; i++) {
      const seed = caseSeed(0x9ee1 + ci, i);
      hash = createHash('sha256');
      const h = new PeeringHarness({ ...c, seed, trace: false });
      let res = 'ok';
      try {
        for (let k = 0; k < 400; k++) h.tick({ faults: true, writes: true });
        h.healAll();
        for (let k = 0; k < 3000; k++) {
          h.tick({ faults: false, writes: k < 100 });
          if (k >= 100 && h.settled()) break;
        }
        h.check();
      } catch (e) {
        res = `fail ${(e instanceof Error ? e.message : String(e)).split('\n')[0]}`;
      }
      const line = `${ci} seed=${seed} ${hash.digest('hex').slice(0, 16)} ${res}`;
      all.update(`${line}\n`);
      console.log(line);
    }
  }
  console.log(`all ${all.digest('hex')}`);
}

async function main(): Promise<void> {
  const mode = process.argv[2] ?? 'core';
  if (mode === 'core') {
    const ns = (process.argv[3] ?? '1000,8000,32000').split(',').map(Number);
    const rounds = Number(process.argv[4] ?? 3);
    // warm the JIT up first (so the smallest N is not mostly compilation)
    for (let i = 0; i < 3; i++) for (const victim of [0, 2] as const) coreCase(500, victim);
    for (const n of ns) {
      for (const victim of [0, 2] as const) {
        const per: string[] = [];
        const peer: string[] = [];
        for (let r = 0; r < rounds; r++) {
          const x = coreCase(n, victim);
          per.push((x.loopUs / n).toFixed(1));
          peer.push((x.peerUs / 1000).toFixed(0));
        }
        console.log(`core N=${n} ${victim === 0 ? 'primary misses (pull)' : 'replica misses (push)'}: ` +
          `recovery bookkeeping ${per.join(' / ')} us CPU per object; peering ${peer.join(' / ')} ms CPU`);
      }
      // the oldest half unfound: each task is found after passing over them (as Ceph's recover_primary)
      const per: string[] = [];
      for (let r = 0; r < rounds; r++) per.push((coreCase(n, 0, n >> 1).loopUs / (n - (n >> 1))).toFixed(1));
      console.log(`core N=${n} primary misses, oldest ${n >> 1} unfound: recovery bookkeeping ${per.join(' / ')} us CPU per recovered object`);
    }
  } else if (mode === 'cluster') {
    const n = Number(process.argv[3] ?? 2000);
    const who = (process.argv[4] ?? 'primary') as 'primary' | 'replica';
    const rounds = Number(process.argv[5] ?? 1);
    for (let r = 0; r < rounds; r++) {
      const x = await clusterCase(n, who);
      console.log(`cluster N=${n} ${who} recovers: ${(x.us / 1000).toFixed(0)} ms CPU restart -> active+clean, ${(x.us / n).toFixed(0)} us per object ` +
        `(writes while down: ${(x.writeUs / n).toFixed(0)} us each)`);
    }
  } else if (mode === 'trace') {
    traceDigests(Number(process.argv[3] ?? 200));
  } else {
    throw new Error(`mode ${mode}: core, cluster or trace`);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
