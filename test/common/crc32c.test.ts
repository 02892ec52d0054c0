// Proves crc32c's two paths agree: the hardware one (@node-rs/crc32, used for runs of 256 bytes or more) gives Ceph's raw-register ceph_crc32c exactly as the table code does, for random seeds, lengths and sub-ranges, and both give the standard check values.
import { strict as assert } from 'node:assert';
import { cephCrc32c, cephCrc32cTable, crc32c, crc32cNative, NATIVE_BYTES_MIN } from '../../common/crc32c.js';
import { Rng } from '../support/rng.js';

describe('crc32c', () => {
  it('check values: standard 0xE3069283, Ceph raw register 0x1CF96D7C', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
    assert.equal(cephCrc32c(0xffffffff, Buffer.from('123456789')), 0x1cf96d7c);
    const long = Buffer.alloc(4096, 0x5a);
    assert.equal(cephCrc32c(0xffffffff, long), cephCrc32cTable(0xffffffff, long));
  });

  it(`the native path (in use: ${crc32cNative}) equals the table path on random inputs`, () => {
    const rng = new Rng(0xc4c32c);
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let i = 0; i < buf.length; i++) buf[i] = rng.int(0, 255);
    for (let i = 0; i < 400; i++) {
      const len = rng.chance(0.5) ? rng.int(0, 2 * NATIVE_BYTES_MIN) : rng.int(0, buf.length);
      const start = rng.int(0, buf.length - len);
      const seed = rng.chance(0.3) ? 0xffffffff : rng.chance(0.2) ? 0 : rng.u32();
      const want = cephCrc32cTable(seed, buf, start, start + len);
      assert.equal(cephCrc32c(seed, buf, start, start + len), want, `case ${i}: seed ${seed} start ${start} len ${len}`);
      assert.equal(cephCrc32c(seed, buf.subarray(start, start + len)), want, `case ${i} (view)`);
    }
  });
});
