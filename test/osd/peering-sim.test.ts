// Proves the peering core safe and live under faults: seeded PG-level simulations (peering-harness.ts)
// of OSDs crashing and booting, delayed maps, reordered messages, up_thru and pg_temp through a model
// monitor, client writes and recovery; once faults stop and every OSD is back the PG must reach
// active+clean with every acknowledged write on every acting OSD and the acting stores identical.
// Env: PEERING_SEEDS=N seeds per configuration (default 150); PEERING_SEED=S replays seed S alone;
//      PEERING_RUN=R draws a different set of seeds; PEERING_TRACE=1 prints the last events of a
//      failing run (PEERING_TRACE_LINES=N of them).
import { strict as assert } from 'node:assert';
import { caseSeed } from '../support/rng.js';
import { PeeringHarness, type HarnessOptions } from './peering-harness.js';

const env = process.env;
const onlySeed = env.PEERING_SEED !== undefined ? Number(env.PEERING_SEED) : undefined;
const seeds = Number(env.PEERING_SEEDS ?? 150);
const trace = env.PEERING_TRACE === '1';
const runSeed = Number(env.PEERING_RUN ?? 0x9ee1);

const FAULT_STEPS = 400;
const SETTLE_STEPS = 3000;

function runOne(seed: number, base: Omit<HarnessOptions, 'seed' | 'trace'>): { writes: number; acks: number; steps: number; states: Set<string> } {
  const h = new PeeringHarness({ ...base, seed, trace });
  try {
    for (let i = 0; i < FAULT_STEPS; i++) h.tick({ faults: true, writes: true });
    h.healAll();
    let settledAt = -1;
    for (let i = 0; i < SETTLE_STEPS; i++) {
      h.tick({ faults: false, writes: i < 100 });
      if (i >= 100 && h.settled()) { settledAt = i; break; }
    }
    if (settledAt < 0) {
      const p = h.primary();
      throw new Error(`not active+clean ${SETTLE_STEPS} steps after the faults stopped: primary osd.${p?.id} ${p?.core?.debugPhase()} ${p?.core?.stateString()}`);
    }
    h.check();
    return { writes: h.writesIssued, acks: h.acks.length, steps: h.step, states: h.statesSeen };
  } catch (e) {
    const tail = trace ? `\n${h.log.slice(-Number(env.PEERING_TRACE_LINES ?? 150)).join('\n')}` : ' (PEERING_TRACE=1 for events)';
    const err = e instanceof Error ? e : new Error(String(e));
    err.message = `seed=${seed}: ${err.message}${tail}`;
    throw err;
  }
}

const configs: Array<{ name: string; o: Omit<HarnessOptions, 'seed' | 'trace'> }> = [
  { name: '4 OSDs, size 3, min_size 2', o: { osds: 4, size: 3, minSize: 2, objects: 8, faultRate: 0.03 } },
  { name: '3 OSDs, size 2, min_size 1', o: { osds: 3, size: 2, minSize: 1, objects: 6, faultRate: 0.04 } },
  { name: '6 OSDs, size 3, min_size 2, many faults', o: { osds: 6, size: 3, minSize: 2, objects: 10, faultRate: 0.08 } },
  { name: '5 OSDs, size 3, min_size 2, short logs (backfill, pg_temp)', o: { osds: 5, size: 3, minSize: 2, objects: 12, faultRate: 0.05, logBounds: { entriesMin: 4, entriesMax: 12, trimEntriesMin: 2 } } },
  { name: '4 OSDs, size 2, min_size 1, short logs', o: { osds: 4, size: 2, minSize: 1, objects: 8, faultRate: 0.05, logBounds: { entriesMin: 3, entriesMax: 8, trimEntriesMin: 1 } } },
];

describe('peering simulation: faults, writes, recovery', function () {
  this.timeout(0);
  configs.forEach((c, ci) => {
    const count = onlySeed !== undefined ? 1 : seeds;
    it(`${c.name}: ${count} seed(s) reach active+clean with every acked write`, () => {
      let writes = 0;
      let acks = 0;
      const states = new Set<string>();
      for (let i = 0; i < count; i++) {
        const seed = onlySeed ?? caseSeed(runSeed + ci, i);
        const r = runOne(seed, c.o);
        writes += r.writes;
        acks += r.acks;
        for (const s of r.states) states.add(s);
      }
      assert.ok(acks > 0 || count === 0, `some writes were acknowledged (${writes} issued)`);
      // The runs went through the hard cases, not just the easy path.
      if (count >= 50) {
        const want = ['down', 'undersized', 'degraded', 'recovering', 'clean', ...(c.o.minSize > 1 ? ['peered'] : []), ...(c.o.logBounds ? ['backfilling', 'remapped'] : [])];
        for (const w of want) assert.ok(states.has(w), `some run showed ${w} (seen: ${[...states].sort().join(' ')})`);
      }
    });
  });
});
