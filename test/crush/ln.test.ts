// Proves crushLn's split double arithmetic equals the 64-bit integer formula of Ceph's crush_ln for all
// 65536 inputs (reference computed here with BigInt over the same tables), and pins known values;
// the straw2 mapping fixtures in mapper.test.ts check it end to end against crushtool.
import assert from 'node:assert/strict';
import { crushLn, LN_TABLES } from '../../crush/ln.js';

function reference(xin: number): bigint {
  let x = BigInt(xin + 1);
  let iexpon = 15n;
  if (!(x & 0x18000n)) {
    const bits = BigInt(Math.clz32(Number(x & 0x1ffffn)) - 16);
    x <<= bits;
    iexpon = 15n - bits;
  }
  const index1 = Number((x >> 8n) << 1n);
  const rh = BigInt(LN_TABLES.rhLh[index1 - 256]!);
  let lh = BigInt(LN_TABLES.rhLh[index1 + 1 - 256]!);
  const xl64 = ((x * rh) & 0xffffffffffffffffn) >> 48n;
  lh += BigInt(LN_TABLES.ll[Number(xl64 & 0xffn)]!);
  return (iexpon << 44n) + (lh >> 4n);
}

describe('crush_ln', () => {
  it('matches the 64-bit integer formula for every 16-bit input', () => {
    for (let u = 0; u <= 0xffff; u++) {
      const got = crushLn(u);
      assert.ok(Number.isSafeInteger(got));
      if (BigInt(got) !== reference(u)) assert.fail(`crush_ln(${u}) = ${got}, want ${reference(u)}`);
    }
  });
  it('spans [0, 2^48)', () => {
    assert.equal(crushLn(0), 0);
    // the table's last log entry is 0xffff00000000, not 2^48: ln(0x10000) falls 2^28 short of 2^48
    assert.equal(crushLn(0xffff), 2 ** 48 - 2 ** 28);
    assert.equal(crushLn(1), 2 ** 44); // log2(2) = 1
  });
  it('keeps the transcribed tables', () => {
    assert.equal(LN_TABLES.rhLh.length, 258);
    assert.equal(LN_TABLES.ll.length, 256);
    assert.equal(LN_TABLES.rhLh[2], 0x0000fe03f80fe040);
    assert.equal(LN_TABLES.ll[127], 0x0000016df6ca19bd); // one of Ceph's irregular entries
    assert.equal(LN_TABLES.ll[255], 0x000002dced24f814);
  });
});
