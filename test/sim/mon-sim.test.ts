// Proves the monitor quorum core safe and live under faults: many seeded simulations (test/sim/monsim.ts)
// of 1, 3 and 5 monitors with crashes that lose unflushed writes, wipes, partitions, loss, duplication
// and reordering, checked after every flush (no version committed twice with different values) and at
// the end (every committed value on every monitor, a leader and a commit soon after faults stop), plus
// scripted catch-up scenarios and a self-test that a lying disk is caught.
// Env: SIM_SEEDS=N seeds per cluster size (default 1000 / 600 / 100 for 3 / 5 / 1 monitors);
//      SIM_SEED=S replays seed S alone; SIM_MONS=3 limits the sizes; SIM_TRACE=1 adds the last events.
import { strict as assert } from 'node:assert';
import { MonSim, SimFailure, runSim, type SimOptions } from './monsim.js';

const env = process.env;
const onlySeed = env.SIM_SEED !== undefined ? Number(env.SIM_SEED) : undefined;
const sizes = env.SIM_MONS !== undefined ? [Number(env.SIM_MONS)] : [1, 3, 5];
const defaultSeeds: Record<number, number> = { 1: 100, 3: 1000, 5: 600 };
const trace = env.SIM_TRACE === '1';

/** Fault phase, then the bound for a leader and a commit, then the bound for catch-up (simulated ms). */
const FAULT_MS = 20_000;
const LIVENESS_MS = 15_000;
const CATCH_UP_MS = 15_000;

function options(seed: number, mons: number): SimOptions {
  return { seed, mons, faultMs: FAULT_MS, livenessMs: LIVENESS_MS, catchUpMs: CATCH_UP_MS, trace };
}

describe('monitor simulation: random faults', function () {
  this.timeout(0);
  for (const mons of sizes) {
    const count = onlySeed !== undefined ? 1 : Number(env.SIM_SEEDS ?? defaultSeeds[mons] ?? 100);
    it(`${mons} monitor(s), ${count} seed(s): one value per version, nothing committed is lost, progress after faults`, () => {
      const failures: string[] = [];
      let commits = 0;
      let syncs = 0;
      for (let i = 0; i < count; i++) {
        const seed = onlySeed ?? i + 1;
        try {
          const st = runSim(options(seed, mons));
          commits += st.commits;
          syncs += st.syncs;
        } catch (e) {
          failures.push(`mons=${mons} ${e instanceof Error ? e.message : String(e)}`);
          if (!(e instanceof SimFailure)) break; // a crash of the core itself: report it at once
        }
      }
      assert.deepEqual(failures.slice(0, 5), [], `${failures.length} failing run(s); replay one with SIM_SEED=<seed> SIM_MONS=${mons}`);
      assert.ok(onlySeed !== undefined || commits > count, `the runs committed something (${commits} commits)`);
      if (mons > 1 && count >= 50) assert.ok(syncs > 0, 'some run exercised a store sync');
    });
  }
});

describe('monitor simulation: scripted catch-up', function () {
  this.timeout(0);

  it('a monitor isolated while the others trim past it syncs the store and catches up', () => {
    const sim = new MonSim(options(101, 3));
    sim.begin(false);
    sim.runUntil(1000);
    assert.notEqual(sim.leaderRank(), -1, 'a leader within a second');
    const lagger = sim.leaderRank() === 2 ? 1 : 2;
    sim.isolate(lagger);
    const at = sim.lastCommittedOf(lagger);
    sim.runUntil(sim.now + 8000);
    const leader = sim.leaderRank();
    assert.ok(sim.firstCommittedOf(leader) > at + 1, `the majority trimmed past the lagger (first ${sim.firstCommittedOf(leader)}, lagger at ${at})`);
    sim.isolate(null);
    sim.setClient(false);
    sim.awaitCatchUp(10_000);
    assert.ok(sim.stats.syncs >= 1, 'the lagger synced');
    assert.equal(sim.lastCommittedOf(lagger), sim.lastCommittedOf(leader));
    sim.finalCheck();
  });

  it('a wiped monitor copies the store from the others and rejoins', () => {
    const sim = new MonSim(options(202, 3));
    sim.begin(false);
    sim.runUntil(4000);
    const leader = sim.leaderRank();
    const victim = (leader + 1) % 3;
    assert.ok(sim.lastCommittedOf(victim) > 30, 'enough versions that the others trimmed');
    sim.crashRank(victim, 200, true);
    sim.runUntil(sim.now + 3000);
    sim.setClient(false);
    sim.awaitCatchUp(10_000);
    assert.ok(sim.stats.syncs >= 1, 'the wiped monitor synced');
    sim.finalCheck();
  });

  it('5 monitors: 2 down still commit; 3 down stop commits; restarted they catch up', () => {
    const sim = new MonSim(options(303, 5));
    sim.begin(false);
    sim.runUntil(1000);
    sim.crashRank(3, 60_000);
    sim.crashRank(4, 60_000);
    sim.runUntil(sim.now + 4000);
    const withTwoDown = sim.lastCommittedOf(sim.leaderRank());
    assert.ok(withTwoDown > 10, `a 3-of-5 majority commits (${withTwoDown})`);
    sim.crashRank(2, 60_000);
    sim.runUntil(sim.now + 4000);
    const stalled = Math.max(sim.lastCommittedOf(0), sim.lastCommittedOf(1));
    sim.runUntil(sim.now + 4000);
    assert.equal(Math.max(sim.lastCommittedOf(0), sim.lastCommittedOf(1)), stalled, 'no commits with 2 of 5 up');
    sim.heal();
    sim.runUntil(sim.now + 3000);
    assert.ok(sim.lastCommittedOf(sim.leaderRank()) > stalled, 'commits resume once a majority is back');
    sim.setClient(false);
    sim.awaitCatchUp(10_000);
    sim.finalCheck();
  });
});

describe('monitor simulation: determinism', () => {
  it('one seed is one run: the same seed gives the same events, stats and stores', () => {
    const digest = (sim: MonSim): string => JSON.stringify({
      stats: sim.stats, now: sim.now,
      stores: sim.mons.map((m) => m.durable.entries().map(([p, k, v]) => `${p}/${k}=${v.toString('hex')}`)),
    });
    const a = new MonSim(options(4242, 3));
    a.run();
    const b = new MonSim(options(4242, 3));
    b.run();
    assert.equal(digest(a), digest(b));
    assert.ok(a.stats.commits > 0);
  });
});

describe('monitor simulation: the checker itself', function () {
  this.timeout(0);
  it('catches a disk that loses a peon\'s accepted values (seeds 1..300, 3 monitors)', () => {
    const caught: string[] = [];
    for (let seed = 1; seed <= 300; seed++) {
      try {
        runSim({ ...options(seed, 3), faultyDisk: 'drop-accepted' });
      } catch (e) {
        assert.ok(e instanceof SimFailure, String(e));
        caught.push(e.message);
      }
    }
    assert.ok(caught.length > 0, 'the lying disk went unnoticed in 300 seeds');
    assert.ok(caught.some((m) => /committed a different value|lost committed key/.test(m)), caught.join('\n'));
  });
});
