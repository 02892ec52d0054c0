// Proves common/encoding.ts follows Ceph's wire conventions (doc/dev/encoding.rst): byte layouts written
// out by hand from the spec and a crushtool-made map header, struct headers, and CephError on bad input.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareStringBytes, Decoder, Encoder, ownedBytes } from '../../common/encoding.js';
import { CephError } from '../../common/errors.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, '..', '..', '..', 'test', 'fixtures', 'crush', 'bin');

function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

function throwsCeph(fn: () => unknown, code: string, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CephError, `expected CephError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, re);
    return true;
  });
}

describe('common/encoding Encoder', () => {
  it('writes little-endian integers of each width', () => {
    const e = new Encoder(4);
    e.u8(0xab).u16(0x1234).u32(0xdeadbeef).s32(-2).u64(0x1_0000_0002).s64(-1).bool(true);
    assert.equal(hex(e.view()), 'ab' + '3412' + 'efbeadde' + 'feffffff' + '0200000001000000' + 'ffffffffffffffff' + '01');
  });

  it('writes s64 values across the 32-bit boundary and u64 bigints', () => {
    const e = new Encoder();
    e.s64(-0x1_0000_0001).u64Big(0xfedcba9876543210n);
    assert.equal(hex(e.view()), 'fffffffffeffffff' + '1032547698badcfe');
    assert.throws(() => e.u64(2 ** 53), CephError);
    assert.throws(() => e.u64(-1), CephError);
  });

  it('writes strings and blobs with a u32 length prefix (UTF-8 byte length)', () => {
    const e = new Encoder();
    e.string('osd.0').string('').string('é').bytes(Buffer.from([1, 2]));
    assert.equal(hex(e.view()), '05000000' + hex(Buffer.from('osd.0')) + '00000000' + '02000000c3a9' + '020000000102');
  });

  it('writes maps in key order whatever the insertion order', () => {
    const e = new Encoder();
    const m = new Map<number, string>([[11, 'root'], [-1, 'x'], [0, 'osd']]);
    e.map(m, (enc, k) => enc.s32(k), (enc, v) => enc.string(v));
    assert.equal(
      hex(e.view()),
      '03000000' + 'ffffffff01000000' + '78' + '0000000003000000' + hex(Buffer.from('osd')) + '0b00000004000000' + hex(Buffer.from('root')),
    );
  });

  it('fills in struct lengths for nested structs (ENCODE_START/FINISH)', () => {
    const e = new Encoder();
    e.startStruct(3, 1).u32(7).startStruct(2, 2).u8(9).finishStruct().finishStruct();
    // v3 compat1 len=4+7, u32 7, v2 compat2 len=1, u8 9
    assert.equal(hex(e.view()), '03010b000000' + '07000000' + '020201000000' + '09');
  });

  it('grows past its initial buffer and is reusable after reset', () => {
    const e = new Encoder(16);
    for (let i = 0; i < 1000; i++) e.u32(i);
    assert.equal(e.length, 4000);
    const copy = e.toBuffer();
    assert.equal(copy.readUInt32LE(3996), 999);
    e.reset().u8(1);
    assert.equal(hex(e.view()), '01');
    assert.equal(copy.readUInt32LE(0), 0); // the copy is independent of the reused buffer
  });
});

describe('common/encoding Decoder', () => {
  it('reads the header of a map crushtool wrote', () => {
    const bin = readFileSync(join(fixtures, 'rules.bin'));
    const d = new Decoder(bin, 'crush map');
    assert.equal(d.u32('magic'), 0x00010000);
    assert.equal(d.s32('max_buckets'), 16);
    assert.equal(d.u32('max_rules'), 8);
    assert.equal(d.s32('max_devices'), 10);
    assert.equal(d.u32('bucket 0 alg'), 5); // straw2
    assert.equal(d.s32('bucket -1 id'), -1);
  });

  it('reads back what the layouts above describe', () => {
    const buf = Buffer.from('ab3412efbeaddefeffffff0200000001000000ffffffffffffffff01' + '05000000' + hex(Buffer.from('osd.0')), 'hex');
    const d = new Decoder(buf);
    assert.equal(d.u8('a'), 0xab);
    assert.equal(d.u16('b'), 0x1234);
    assert.equal(d.u32('c'), 0xdeadbeef);
    assert.equal(d.s32('d'), -2);
    assert.equal(d.u64('e'), 0x1_0000_0002);
    assert.equal(d.s64('f'), -1);
    assert.equal(d.bool('g'), true);
    assert.equal(d.string('h'), 'osd.0');
    assert.ok(d.atEnd());
  });

  it('refuses u64 values a Number cannot hold', () => {
    const d = new Decoder(Buffer.from('0000000000002000', 'hex'), 'osdmap');
    throwsCeph(() => d.u64('features'), 'EINVAL', /osdmap: features: u64 .* exceeds 2\^53/);
    assert.equal(new Decoder(Buffer.from('0000000000002000', 'hex')).u64Big('x'), 0x20000000000000n);
  });

  it('names the field and the object in truncation errors (EIO)', () => {
    const d = new Decoder(Buffer.from([1, 2]), 'crush map');
    d.context = 'bucket -3';
    throwsCeph(() => d.u32('items'), 'EIO', /^crush map: truncated reading bucket -3 items \(need 4 bytes at offset 0, 2 left\)$/);
    assert.equal(d.pos, 0, 'a failed read does not move the position');
    d.setContext('rule', 7);
    throwsCeph(() => d.u32('len'), 'EIO', /^crush map: truncated reading rule 7 len /);
  });

  it('refuses string lengths and element counts the data cannot hold', () => {
    throwsCeph(() => new Decoder(Buffer.from('ffffff7f41', 'hex'), 'm').string('name'), 'EIO', /m: truncated reading name/);
    throwsCeph(() => new Decoder(Buffer.from('ffffffff00000000', 'hex'), 'm').count('items', 4), 'EIO', /count 4294967295/);
  });

  it('skips unknown trailing struct bytes using the struct length (DECODE_START/FINISH)', () => {
    // v5 compat 1, len 6: u32 42 then two bytes a newer encoder added; then a u8 after the struct
    const d = new Decoder(Buffer.from('050106000000' + '2a000000' + 'eeee' + '07', 'hex'), 'thing');
    assert.equal(d.decodeStart(3, 'thing'), 5);
    assert.equal(d.u32('x'), 42);
    assert.equal(d.structRemaining, 2);
    d.decodeFinish('thing');
    assert.equal(d.u8('after'), 7);
  });

  it('does not let reads inside a struct run past its length', () => {
    const d = new Decoder(Buffer.from('010102000000' + 'aaaa' + 'bbbbbbbb', 'hex'), 'thing');
    d.decodeStart(1, 'thing');
    throwsCeph(() => d.u32('field'), 'EIO', /truncated reading field/);
  });

  it('reads legacy headers without compat or length (DECODE_START_LEGACY_COMPAT_LEN)', () => {
    // struct_v 2 < compatV 3 and < lenV 5: only the version byte, then the body, then a trailing u8
    const old = new Decoder(Buffer.from('02' + '2a000000' + '09', 'hex'), 'pg_pool_t');
    assert.equal(old.decodeStartLegacyCompatLen(6, 3, 5, 'pg_pool_t'), 2);
    assert.equal(old.u32('x'), 42);
    old.decodeFinish('pg_pool_t');
    assert.equal(old.u8('after'), 9, 'a struct without length does not jump on finish');
    // struct_v 6 >= both: the full header, and finish skips the unread tail
    const cur = new Decoder(Buffer.from('0605' + '06000000' + '2a000000eeee' + '09', 'hex'), 'pg_pool_t');
    assert.equal(cur.decodeStartLegacyCompatLen(6, 3, 5, 'pg_pool_t'), 6);
    assert.equal(cur.u32('x'), 42);
    cur.decodeFinish('pg_pool_t');
    assert.equal(cur.u8('after'), 9);
    const newer = new Decoder(Buffer.from('0907' + '00000000', 'hex'), 'pg_pool_t');
    throwsCeph(() => newer.decodeStartLegacyCompatLen(6, 3, 5, 'pg_pool_t'), 'EINVAL', /struct_compat 7 is newer/);
  });

  it('refuses a struct_compat newer than it understands (EINVAL)', () => {
    const d = new Decoder(Buffer.from('090700000000', 'hex'), 'pg_pool_t');
    throwsCeph(() => d.decodeStart(6, 'pg_pool_t'), 'EINVAL', /struct_compat 7 is newer than the supported version 6/);
  });

  it('refuses a struct length past the end of the data', () => {
    const d = new Decoder(Buffer.from('0101ff00000001', 'hex'), 'x');
    throwsCeph(() => d.decodeStart(1, 'x'), 'EIO', /truncated reading x body/);
  });

  it('reads lists, maps and u64 halves', () => {
    const e = new Encoder();
    e.list([3, 1, 2], (enc, v) => enc.u16(v));
    e.map(new Map([[2, 'b'], [1, 'a']]), (enc, k) => enc.s32(k), (enc, v) => enc.string(v));
    e.u64Parts(0xffffffff, 0x80000000);
    const d = new Decoder(e.toBuffer(), 'x');
    assert.deepEqual(d.list('l', 2, (dd) => dd.u16('v')), [3, 1, 2]);
    assert.deepEqual([...d.map('m', 8, (dd) => dd.s32('k'), (dd) => dd.string('v'))], [[1, 'a'], [2, 'b']]);
    const halves = new Uint32Array(2);
    d.u64Halves('f', halves);
    assert.deepEqual([...halves], [0xffffffff, 0x80000000]);
    throwsCeph(() => new Decoder(Buffer.from('0a000000', 'hex'), 'x').list('l', 2, (dd) => dd.u16('v')), 'EIO', /count 10/);
  });

  it('decodes an embedded bufferlist with its own bounds (sub)', () => {
    const d = new Decoder(Buffer.from('03000000' + 'aabbcc' + '07', 'hex'), 'osdmap');
    const inner = d.sub(d.u32('crush len'), 'crush', 'crush map');
    assert.equal(d.u8('after'), 7);
    assert.equal(inner.u16('x'), 0xbbaa);
    throwsCeph(() => inner.u16('y'), 'EIO', /^crush map: truncated reading y/);
    throwsCeph(() => new Decoder(Buffer.from('05000000aa', 'hex'), 'osdmap').sub(6, 'crush'), 'EIO', /osdmap: truncated reading crush/);
  });

  it('reads and writes binary strings one byte per char, losslessly', () => {
    const raw = Buffer.from('04000000' + 'e90180ff', 'hex');
    const s = new Decoder(raw, 'x').binaryString('name');
    assert.deepEqual([...s].map((c) => c.charCodeAt(0)), [0xe9, 0x01, 0x80, 0xff]);
    assert.ok(new Encoder().binaryString(s).toBuffer().equals(raw));
    assert.equal(hex(new Encoder().binaryString('osd.0').view()), '05000000' + hex(Buffer.from('osd.0')));
    // past U+00FF a string cannot be bytes: written as UTF-8
    assert.equal(hex(new Encoder().binaryString('\u20ac').view()), '03000000e282ac');
  });

  it('works over a plain Uint8Array and a sub-range', () => {
    const u = new Uint8Array([9, 9, 1, 0, 0, 0, 9]);
    const d = new Decoder(u, 'x', 2, 6);
    assert.equal(d.u32('v'), 1);
    assert.ok(d.atEnd());
    throwsCeph(() => d.u8('w'), 'EIO', /truncated/);
  });
});

describe('compareStringBytes', () => {
  it('orders as the UTF-8 bytes do (Buffer.compare), astral and BMP characters mixed', () => {
    const alphabet = ['a', 'z', '\u0000', '\u007f', '\u0080', '\u07ff', '\u0800', '\ud7ff', '\ue000', '\uffff', '\u{10000}', '\u{1f600}', '\u{10ffff}'];
    let x = 0x2545f491;
    const rand = (n: number): number => {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      return (x >>> 0) % n;
    };
    for (let i = 0; i < 5000; i++) {
      const mk = (): string => Array.from({ length: rand(5) }, () => alphabet[rand(alphabet.length)]).join('');
      const a = mk();
      const b = mk();
      const want = Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
      assert.equal(compareStringBytes(a, b), want, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    }
  });
});

describe('ownedBytes', () => {
  it('keeps a Buffer that is its whole memory, copies a view or a pooled Buffer into memory of its own', () => {
    const whole = Buffer.allocUnsafeSlow(16).fill(7);
    assert.equal(ownedBytes(whole), whole);
    const chunk = Buffer.alloc(65536, 3);
    chunk.write('kept', 1000);
    const view = chunk.subarray(1000, 1004);
    const kept = ownedBytes(view);
    assert.notEqual(kept.buffer, chunk.buffer, 'does not keep the 64 KiB chunk alive');
    assert.equal(kept.buffer.byteLength, 4);
    assert.equal(kept.toString(), 'kept');
    chunk.write('XXXX', 1000);
    assert.equal(kept.toString(), 'kept', 'a copy, not a view');
    const pooled = Buffer.from('tiny');
    assert.equal(ownedBytes(pooled).buffer.byteLength, 4);
    assert.equal(ownedBytes(Buffer.alloc(0)).length, 0);
  });
});
