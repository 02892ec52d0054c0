// Proves the whole cluster (3 real Monitors, 4 real OSDs on MemStores, a librados client running the model checker) keeps every acknowledged write and converges to active+clean under seeded faults (resets, delays, OSD and monitor kill -9 and restart, isolations), running deterministically in one process on a simulated network and clock: each seed runs the same way twice (equal trace digests). Env: CLUSTER_SIM_SEED=<n> replays one seed alone; CLUSTER_SIM_SEEDS=<N> runs N seeds (default 2); CLUSTER_SIM_OPS=<n> ops per client (default 150); CLUSTER_SIM_VERBOSE prints the daemons' logs.
import { strict as assert } from 'node:assert';
import { caseSeed } from '../support/rng.js';
import { firstDivergence } from './simnet.js';
import { runClusterSim, type ClusterSimResult } from './cluster-sim.js';

const BASE_SEED = 20261201;
const ONE_SEED = process.env.CLUSTER_SIM_SEED !== undefined ? Number(process.env.CLUSTER_SIM_SEED) : null;
const SEEDS = Number(process.env.CLUSTER_SIM_SEEDS ?? 2);
const OPS = Number(process.env.CLUSTER_SIM_OPS ?? 150);
const VERBOSE = process.env.CLUSTER_SIM_VERBOSE !== undefined;

function summary(r: ClusterSimResult): string {
  const ops = r.reports.reduce((a, x) => a + x.opsDone, 0);
  const unknown = r.reports.reduce((a, x) => a + x.unknown, 0);
  return `seed=${r.seed}: ${ops} ops (${unknown} unknown outcomes), ${r.faults.length} faults, ${r.virtualMs} ms virtual, ` +
    `${r.deliveries} chunks / ${r.bytesDelivered} B delivered, ${r.timerFirings} timers, digest ${r.digest.toString(16)}`;
}

describe('whole-cluster simulation (real monitors, OSDs and librados over a simulated network and clock)', function () {
  this.timeout(600000);

  it('runs a seed without faults twice with the same trace (1 monitor, 3 OSDs)', async () => {
    const seed = ONE_SEED ?? BASE_SEED;
    const opts = { seed, mons: 1, osds: 3, pgNum: 8, ops: 60, faults: false, record: true, verbose: VERBOSE };
    const a = await runClusterSim(opts);
    const b = await runClusterSim(opts);
    console.log(`    ${summary(a)}`);
    const d = firstDivergence(a.trace!, b.trace!);
    assert.equal(d, null, `seed=${seed}: two runs diverged: ${d}`);
    assert.equal(a.digest, b.digest, `seed=${seed}: digests differ`);
  });

  const seeds = ONE_SEED !== null ? [ONE_SEED] : Array.from({ length: SEEDS }, (_, i) => caseSeed(BASE_SEED, i));
  for (const seed of seeds) {
    it(`seed=${seed}: 3 monitors, 4 OSDs, faults: no acknowledged write lost, active+clean after`, async () => {
      const r = await runClusterSim({ seed, mons: 3, osds: 4, pgNum: 8, ops: OPS, faults: true, verbose: VERBOSE });
      console.log(`    ${summary(r)}`);
      assert.ok(r.reports.every((x) => x.failures.length === 0));
    });
  }
});
