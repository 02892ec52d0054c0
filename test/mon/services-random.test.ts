// Proves the OSDMap service keeps its invariant under seeded random command / OSD message / clock sequences, with proposals sometimes held in flight: every committed epoch's incremental applied to the previous full map gives the stored full map with its crc, and the epochs have no gaps. SERVICES_SEED=<n> replays one case; SERVICES_CASES=<n> sets how many (default 12); SERVICES_VERBOSE=1 prints the epochs each case made.
import { strict as assert } from 'node:assert';
import { parseAddrVec } from '../../common/entityaddr.js';
import { applyIncrementalChecked, decodeIncremental, decodeOSDMap, type EntityAddrVec } from '../../common/osdmap/index.js';
import type { CmdMap } from '../../mon/core/types.js';
import { MonStoreTx } from '../../mon/core/store.js';
import { Rng, caseSeed } from '../support/rng.js';
import { ServicesHarness, testMonMap } from './services-support.js';

const RUN_SEED = 0x5e41ce5;
const CASES = Number(process.env['SERVICES_CASES'] ?? 12);
const ONE_SEED = process.env['SERVICES_SEED'];
const STEPS = 150;

function addrs(osd: number): { public: EntityAddrVec; cluster: EntityAddrVec; hbBack: EntityAddrVec; hbFront: EntityAddrVec } {
  const a = (p: number): EntityAddrVec => parseAddrVec(`v2:127.0.0.1:${p}/${osd + 1}`)!;
  const base = 6800 + osd * 4;
  return { public: a(base), cluster: a(base + 1), hbBack: a(base + 2), hbFront: a(base + 3) };
}

function randomCommand(rng: Rng, nOsd: number): CmdMap {
  const osd = rng.int(0, Math.max(0, nOsd));
  const pools = ['p0', 'p1', 'p2'];
  switch (rng.int(0, 13)) {
    case 0: return { prefix: 'osd create' };
    case 1: return { prefix: 'osd crush add-bucket', name: `h${rng.int(0, 3)}`, type: 'host', args: ['root=default'] };
    case 2: return { prefix: 'osd crush add', id: osd, weight: rng.int(1, 4) / 2, args: [`host=h${rng.int(0, 3)}`] };
    case 3: return { prefix: 'osd crush reweight', name: `osd.${osd}`, weight: rng.int(0, 4) / 2 };
    case 4: return { prefix: 'osd out', ids: [String(osd)] };
    case 5: return { prefix: 'osd in', ids: [String(osd)] };
    case 6: return { prefix: 'osd down', ids: [String(osd)] };
    case 7: return { prefix: 'osd pool create', pool: rng.pick(pools), pg_num: rng.pick([8, 16, 32]) };
    case 8: return { prefix: 'osd pool set', pool: rng.pick(pools), var: rng.pick(['size', 'min_size', 'pg_num']), val: String(rng.int(1, 4) * (rng.chance(0.5) ? 1 : 8)) };
    case 9: return { prefix: 'osd pool delete', pool: rng.pick(pools), pool2: rng.pick(pools), yes_i_really_really_mean_it: true };
    case 10: return { prefix: 'osd crush rm', name: rng.chance(0.5) ? `osd.${osd}` : `h${rng.int(0, 3)}` };
    case 11: return { prefix: 'osd set', key: rng.pick(['noout', 'nodown', 'noup']) };
    case 12: return { prefix: 'osd unset', key: rng.pick(['noout', 'nodown', 'noup']) };
    default: return { prefix: 'osd rm', ids: [String(osd)] };
  }
}

function runCase(seed: number): void {
  const rng = new Rng(seed);
  const h = new ServicesHarness(testMonMap(['a']), { allowPoolDelete: true, minOsdmapEpochs: 1000 });
  let held: MonStoreTx | null = null;
  for (let step = 0; step < STEPS; step++) {
    const ctx = h.ctx();
    const nOsd = h.services.osdmapLatestFull().maps.size ? decodeOSDMap(h.services.osdmapLatestFull().maps.get(h.services.osdmapEpoch())!).maxOsd : 0;
    const roll = rng.int(0, 9);
    if (roll <= 5) h.services.handleCommand(randomCommand(rng, nOsd), Buffer.alloc(0), ctx);
    else if (roll === 6 && nOsd > 0) h.services.handleOsdBoot(rng.int(0, nOsd - 1), addrs(rng.int(0, nOsd - 1)), 0, 1n, ctx);
    else if (roll === 7 && nOsd > 0) h.services.handleOsdFailure(rng.int(0, nOsd - 1), rng.int(0, nOsd - 1), rng.int(0, 40_000), rng.chance(0.8), ctx, rng.chance(0.2));
    else if (roll === 8 && nOsd > 0) h.services.handleOsdMarkMeDown(rng.int(0, nOsd - 1), ctx);
    else {
      h.advance(rng.int(1, 400) * 1000);
      h.tick();
    }
    // Propose; sometimes hold the proposal in flight for a while before it commits.
    if (held && rng.chance(0.5)) {
      h.commit(held);
      held = null;
    }
    if (!held) {
      const tx = h.services.encodePending(h.ctx());
      if (tx) {
        if (rng.chance(0.3)) held = tx;
        else h.commit(tx);
      }
    }
  }
  if (held) h.commit(held);
  const last = h.store.getNumber('osdmap', 'last_committed');
  assert.equal(h.services.osdmapEpoch(), last);
  if (process.env["SERVICES_VERBOSE"]) console.log(`seed=${seed} epochs=${last}`);
  for (let e = 2; e <= last; e++) {
    const prev = h.store.get('osdmap', `full_${e - 1}`);
    const incBuf = h.store.get('osdmap', String(e));
    assert.ok(prev && incBuf, `epoch ${e} present`);
    const r = applyIncrementalChecked(prev, decodeIncremental(incBuf));
    assert.ok(r.crcMatches, `epoch ${e}: crc`);
    assert.ok(r.encoded.equals(h.store.get('osdmap', `full_${e}`)!), `epoch ${e}: bytes`);
  }
}

describe('mon services: seeded random sequences keep full = previous full + incremental', () => {
  const seeds = ONE_SEED !== undefined ? [Number(ONE_SEED)] : Array.from({ length: CASES }, (_, i) => caseSeed(RUN_SEED, i));
  for (const seed of seeds) {
    it(`seed=${seed}`, () => {
      try {
        runCase(seed);
      } catch (e) {
        throw new Error(`seed=${seed} (replay: SERVICES_SEED=${seed}): ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
      }
    });
  }
});
