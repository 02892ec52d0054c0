// Proves crc32c's implementations agree: the tsceph addon (three interleaved crc32 runs joined with PCLMULQDQ, native/crc32c) and @node-rs/crc32, where they load, give Ceph's raw-register ceph_crc32c exactly as the table code does, for random seeds, lengths and sub-ranges and every length around the addon's block sizes, and the path in use gives the standard check values.
import { strict as assert } from 'node:assert';
import { ADDON_BYTES_MIN, cephCrc32c, cephCrc32cTable, crc32c, crc32cBackend, crc32cImplementations, NATIVE_BYTES_MIN } from '../../common/crc32c.js';
import { Rng } from '../support/rng.js';

/** The addon's three-run block sizes (native/crc32c/crc32c.c: LONG_RUN_BYTES, SHORT_RUN_BYTES). */
const ADDON_BLOCK_BYTES = [3 * 8192, 3 * 256];

describe('crc32c', () => {
  it(`check values (long runs by ${crc32cBackend}): standard 0xE3069283, Ceph raw register 0x1CF96D7C`, () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
    assert.equal(cephCrc32c(0xffffffff, Buffer.from('123456789')), 0x1cf96d7c);
    const long = Buffer.alloc(4096, 0x5a);
    assert.equal(cephCrc32c(0xffffffff, long), cephCrc32cTable(0xffffffff, long));
  });

  const rng0 = new Rng(0xc4c32c);
  const buf = Buffer.allocUnsafe(1 << 20);
  for (let i = 0; i < buf.length; i++) buf[i] = rng0.int(0, 255);

  for (const impl of crc32cImplementations().filter((x) => x.name !== 'table')) {
    it(`${impl.name} equals the table code on random inputs`, () => {
      const rng = new Rng(0xc4c32d);
      for (let i = 0; i < 300; i++) {
        const len = rng.chance(0.5) ? rng.int(0, 2 * NATIVE_BYTES_MIN) : rng.int(0, buf.length);
        const start = rng.int(0, buf.length - len);
        const seed = rng.chance(0.3) ? 0xffffffff : rng.chance(0.2) ? 0 : rng.u32();
        const want = cephCrc32cTable(seed, buf, start, start + len);
        assert.equal(impl.update(seed, buf, start, start + len), want, `case ${i}: seed ${seed} start ${start} len ${len}`);
      }
    });

    it(`${impl.name} equals the table code at every length around the block sizes and at every alignment`, () => {
      const lens = new Set<number>();
      for (const b of ADDON_BLOCK_BYTES) for (let k = 1; k <= 3; k++) for (let d = -9; d <= 9; d++) lens.add(k * b + d);
      for (let l = 0; l <= 64; l++) lens.add(l);
      for (const len of lens) {
        for (let start = 0; start < 8; start++) {
          const seed = (len * 2654435761 + start) >>> 0;
          assert.equal(impl.update(seed, buf, start, start + len), cephCrc32cTable(seed, buf, start, start + len), `start ${start} len ${len}`);
        }
      }
    });
  }

  it('cephCrc32c (views and ranges, short runs by the tables) equals the table code', () => {
    const rng = new Rng(0xc4c32e);
    for (let i = 0; i < 300; i++) {
      const len = rng.chance(0.5) ? rng.int(0, 2 * Math.max(ADDON_BYTES_MIN, NATIVE_BYTES_MIN)) : rng.int(0, buf.length);
      const start = rng.int(0, buf.length - len);
      const seed = rng.chance(0.3) ? 0xffffffff : rng.u32();
      const want = cephCrc32cTable(seed, buf, start, start + len);
      assert.equal(cephCrc32c(seed, buf, start, start + len), want, `case ${i}: seed ${seed} start ${start} len ${len}`);
      assert.equal(cephCrc32c(seed, buf.subarray(start, start + len)), want, `case ${i} (view)`);
    }
  });
});
