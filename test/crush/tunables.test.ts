// Proves the tunable profiles and the dump_tunables report (profile name, feature flags, v2/v3/v4/v5
// detection, minimum required version) equal what crushtool --dump printed for each fixture map, and
// that each profile setter yields the tunables crushtool recognises as that profile.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { crushCreate } from '../../crush/builder.js';
import {
  getDefaultBucketAlg,
  setTunablesProfile,
  tunablesDump,
  tunablesProfileName,
  TUNABLES_PROFILES,
} from '../../crush/tunables.js';
import { BucketAlg, CrushTunables, legacyTunables } from '../../crush/types.js';
import { buildMap, coreFixtures, loadMapDesc, mapNames } from './core-maps.js';

const tunableKeys: [keyof CrushTunables, string][] = [
  ['chooseLocalTries', 'choose_local_tries'],
  ['chooseLocalFallbackTries', 'choose_local_fallback_tries'],
  ['chooseTotalTries', 'choose_total_tries'],
  ['chooseleafDescendOnce', 'chooseleaf_descend_once'],
  ['chooseleafVaryR', 'chooseleaf_vary_r'],
  ['chooseleafStable', 'chooseleaf_stable'],
  ['strawCalcVersion', 'straw_calc_version'],
  ['allowedBucketAlgs', 'allowed_bucket_algs'],
];

function asDumpRecord(t: CrushTunables): Record<string, number> {
  return Object.fromEntries(tunableKeys.map(([k, n]) => [n, t[k]]));
}

describe('crush tunables', () => {
  for (const name of mapNames()) {
    it(`reports ${name}'s tunables like crushtool --dump`, () => {
      const d = loadMapDesc(name);
      const { map } = buildMap(d);
      const dump = tunablesDump(map);
      assert.deepEqual(dump.map(([k]) => k), Object.keys(d.dumpTunables), 'field order');
      assert.deepEqual(Object.fromEntries(dump), d.dumpTunables);
    });
  }

  it('sets each release profile to what crushtool names that profile', () => {
    // profile-<p> fixture maps were compiled by crushtool, whose dump names their profile
    for (const p of ['bobtail', 'firefly', 'hammer', 'jewel'] as const) {
      const d = loadMapDesc(`profile-${p}`);
      assert.equal(d.dumpTunables['profile'], p);
      const t = legacyTunables();
      t.strawCalcVersion = d.tunables['straw_calc_version']!;
      setTunablesProfile(t, p);
      assert.deepEqual(asDumpRecord(t), d.tunables, p);
    }
    // legacy = argonaut values with straw_calc_version 0
    const legacy = loadMapDesc('profile-legacy');
    assert.equal(legacy.dumpTunables['profile'], 'argonaut');
    const t = crushCreate();
    setTunablesProfile(t, 'jewel');
    setTunablesProfile(t, 'legacy');
    assert.deepEqual(asDumpRecord(t), legacy.tunables);
    // argonaut leaves straw_calc_version alone
    t.strawCalcVersion = 1;
    setTunablesProfile(t, 'argonaut');
    assert.equal(t.strawCalcVersion, 1);
    assert.equal(tunablesProfileName(t), 'argonaut');
  });

  it('sets optimal and default to the tunables a new CrushWrapper has (crushtool --build)', () => {
    const built = JSON.parse(readFileSync(join(coreFixtures, 'build-default-tunables.json'), 'utf8')) as Record<string, number>;
    for (const p of ['optimal', 'default'] as const) {
      const t = legacyTunables();
      setTunablesProfile(t, p);
      for (const [, n] of tunableKeys) assert.equal(asDumpRecord(t)[n], built[n], `${p} ${n}`);
    }
    assert.equal(TUNABLES_PROFILES.length, 8);
  });

  it('prefers straw2 as the default bucket algorithm when allowed', () => {
    const t = legacyTunables();
    assert.equal(getDefaultBucketAlg(t), BucketAlg.Straw);
    setTunablesProfile(t, 'hammer');
    assert.equal(getDefaultBucketAlg(t), BucketAlg.Straw2);
    t.allowedBucketAlgs = 0;
    assert.equal(getDefaultBucketAlg(t), 0);
  });
});
