// Proves crushHash32..crushHash32_5 equal Ceph's rjenkins1 bit for bit, against vectors that Ceph's own
// libceph-common (the code crushtool runs) produced via scripts/gen-core-fixtures.sh.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import {
  crushHash32,
  crushHash32_2,
  crushHash32_2Lo16,
  crushHash32_3,
  crushHash32_3Lo16,
  crushHash32_3Out,
  crushHash32_4,
  crushHash32_4Lo16,
  crushHash32_4Out,
  crushHash32_5,
  HASH_OUT,
} from '../../crush/hash.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, '..', '..', '..', 'test', 'fixtures', 'crush', 'core');
const vectors = JSON.parse(readFileSync(join(fixtures, 'hash-vectors.json'), 'utf8')) as number[][];

describe('crush hash (rjenkins1)', () => {
  it('has vectors', () => assert.ok(vectors.length >= 50));
  it('matches Ceph for 1..5 inputs, unsigned and signed views', () => {
    for (const v of vectors) {
      const [a, b, c, d, e, h1, h2, h3, h4, h5] = v as [number, number, number, number, number, number, number, number, number, number];
      assert.equal(crushHash32(a), h1, `hash32(${a})`);
      assert.equal(crushHash32_2(a, b), h2, `hash32_2(${a},${b})`);
      assert.equal(crushHash32_3(a, b, c), h3, `hash32_3(${a},${b},${c})`);
      assert.equal(crushHash32_4(a, b, c, d), h4);
      assert.equal(crushHash32_5(a, b, c, d, e), h5);
      // the same bit patterns given as signed int32 must hash the same
      assert.equal(crushHash32_3(a | 0, b | 0, c | 0), h3);
      assert.equal(crushHash32_5(a | 0, b | 0, c | 0, d | 0, e | 0), h5);
      assert.equal(crushHash32_2Lo16(a, b), h2 & 0xffff);
      assert.equal(crushHash32_3Lo16(a, b, c), h3 & 0xffff);
      assert.equal(crushHash32_4Lo16(a, b, c, d), h4 & 0xffff);
      crushHash32_3Out(a, b, c);
      assert.equal(HASH_OUT[0], h3);
      crushHash32_4Out(a, b, c, d);
      assert.equal(HASH_OUT[0], h4);
    }
  });
});
