// common/size.ts: the sizes Ceph's tools accept parse to bytes, and everything else is refused (undefined).
import { strict as assert } from 'node:assert';
import { parseSize } from '../../common/size.js';

describe('parseSize', () => {
  it('takes bytes and IEC multipliers with an optional i and B, any case', () => {
    const cases: Array<[string, number]> = [
      ['0', 0], ['4096', 4096], ['64K', 65536], ['64k', 65536], ['64KiB', 65536], ['64KB', 65536], ['256M', 256 * 2 ** 20],
      ['4G', 4 * 2 ** 30], ['4GiB', 4 * 2 ** 30], ['1T', 2 ** 40], [' 2M ', 2 * 2 ** 20], ['1.5G', 1.5 * 2 ** 30], ['10 M', 10 * 2 ** 20],
    ];
    for (const [s, want] of cases) assert.equal(parseSize(s), want, s);
  });

  it('refuses what is not a size, and sizes past 2^53', () => {
    for (const s of ['', 'G', '-1', '4X', '4GG', '0x10', '4 G B', '1e3', '9999999T']) assert.equal(parseSize(s), undefined, s);
  });
});
