// Proves the msgr2.1 crc-mode frame codec: byte vectors written out by hand from the layout (crcs from common/crc32c.ts), round trips of every control frame, and that every kind of malformed input (bad banner, bad crcs, oversized or empty segments, unknown tag, bad late status, truncation, byte-by-byte feeding, seeded random corruption) is a CephError; seeded streams of MESSAGE frames with segments up to 200 KiB, cut into random pieces (so the reader checksums segments as their bytes arrive), come out whole, and one flipped segment bit is caught as a bad segment crc; the segment crc memo answers only for the very same Buffers. Replay one corruption case: FRAMES_SEED=<n>; one split case: FRAMES_SPLIT_SEED=<n>.
import { strict as assert } from 'node:assert';
import { CephError } from '../../common/errors.js';
import { cephCrc32c, crc32c } from '../../common/crc32c.js';
import { AF_INET, type EntityAddr } from '../../common/osdmap/types.js';
import {
  BANNER_HEAD_BYTES, FrameReader, MSG_HEADER2_BYTES, Tag, assembleFrame, assembleMessageFrame, controlFrame,
  decodeAuthBadMethod, decodeAuthDone, decodeAuthMore, decodeAuthRequest, decodeClientIdent, decodeCompressionDone,
  decodeCompressionRequest, decodeFeatures, decodeHello, decodeMessageFrame, decodeReconnect, decodeReset,
  decodeServerIdent, decodeStamp, decodeU64, encodeAuthBadMethod, encodeAuthDone, encodeAuthMore, encodeAuthRequest,
  encodeBanner, encodeClientIdent, encodeCompressionDone, encodeCompressionRequest, encodeFeatures, encodeHello,
  encodeReconnect, encodeReset, encodeServerIdent, encodeStamp, encodeU64, flatten, type Frame,
  CRC_MEMO_BYTES_MIN, CRC_MEMO_ENTRIES_MAX, SegmentCrcMemo, segmentCrc, writeMessageEpilogue,
} from '../../msg/core/frames.js';
import { SEGMENT_BYTES_MAX } from '../../msg/core/limits.js';
import { Rng, caseSeed } from '../support/rng.js';

const le32 = (v: number) => { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); return b; };
const le16 = (v: number) => { const b = Buffer.alloc(2); b.writeUInt16LE(v); return b; };
const le64 = (v: number) => Buffer.concat([le32(v % 2 ** 32), le32(Math.floor(v / 2 ** 32))]);
/** Ceph's bufferlist::crc32c(-1): the raw register, i.e. the standard CRC-32C without its final xor. */
const segCrc = (b: Buffer) => (~crc32c(b)) >>> 0;

/** A preamble written out field by field. */
function handPreamble(tag: number, segs: [number, number][], flags = 0): Buffer {
  const parts = [Buffer.from([tag, segs.length])];
  for (let i = 0; i < 4; i++) {
    const s = segs[i] ?? [0, 0];
    parts.push(le32(s[0]), le16(s[1]));
  }
  parts.push(Buffer.from([flags, 0]));
  const body = Buffer.concat(parts);
  assert.equal(body.length, 28);
  return Buffer.concat([body, le32(cephCrc32c(0, body))]);
}

function readAll(bytes: Buffer, expectBanner = false, step = 0): Array<Frame | bigint> {
  const r = new FrameReader(expectBanner);
  const out: Array<Frame | bigint> = [];
  const take = () => {
    for (let it = r.next(); it; it = r.next()) out.push(it.kind === 'banner' ? it.banner.supported : it.frame);
  };
  if (step === 0) {
    r.push(bytes);
    take();
  } else {
    for (let i = 0; i < bytes.length; i += step) {
      r.push(bytes.subarray(i, i + step));
      take();
    }
  }
  return out;
}

function onlyFrame(bytes: Buffer): Frame {
  const f = readAll(bytes);
  assert.equal(f.length, 1);
  return f[0] as Frame;
}

function expectCeph(fn: () => unknown, code: string, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof CephError, `expected CephError, got ${String(e)}`);
    assert.equal(e.code, code);
    assert.match(e.message, re);
    return true;
  });
}

const addr = (port: number, nonce: number): EntityAddr => {
  const sa = Buffer.alloc(14);
  sa.writeUInt16BE(port, 0);
  sa.set([127, 0, 0, 1], 2);
  return { type: 2, nonce, family: AF_INET, sockaddr: sa };
};

describe('msgr2 frames', () => {
  it('banner: "ceph v2\\n", le16 16, le64 supported, le64 required', () => {
    const want = Buffer.concat([Buffer.from('ceph v2\n'), le16(16), le64(1), le64(0)]);
    assert.deepEqual(encodeBanner(1n, 0n), want);
    // What a Ceph 16 peer sends (revision 1 and compression supported, nothing required) decodes.
    const ceph = Buffer.concat([Buffer.from('ceph v2\n'), le16(16), le64(3), le64(0)]);
    assert.deepEqual(readAll(ceph, true), [3n]);
    assert.equal(BANNER_HEAD_BYTES, 10);
  });

  it('a control frame (ACK seq 5) byte for byte: preamble, payload, inline crc, no epilogue', () => {
    const payload = le64(5);
    const want = Buffer.concat([handPreamble(Tag.ACK, [[8, 8]]), payload, le32(segCrc(payload))]);
    assert.equal(want.length, 32 + 8 + 4);
    assert.deepEqual(controlFrame(Tag.ACK, encodeU64(5)), want);
    const f = onlyFrame(want);
    assert.equal(f.tag, Tag.ACK);
    assert.equal(decodeU64(Tag.ACK, flatten(f.segments[0]!)), 5);
  });

  it('an empty control frame (WAIT) is the preamble alone', () => {
    const want = handPreamble(Tag.WAIT, [[0, 8]]);
    assert.deepEqual(controlFrame(Tag.WAIT, Buffer.alloc(0)), want);
    const f = onlyFrame(want);
    assert.equal(f.tag, Tag.WAIT);
    assert.equal(flatten(f.segments[0]!).length, 0);
  });

  it('a MESSAGE frame byte for byte: header2, front, empty middle, data, rev1 epilogue', () => {
    const header = { seq: 7, tid: 0x1122, type: 0x4f, priority: 127, version: 3, compatVersion: 1, dataOff: 0, ackSeq: 6, flags: 0 };
    const hdr = Buffer.concat([
      le64(7), le64(0x1122), le16(0x4f), le16(127), le16(3), le32(0), le16(0), le64(6), Buffer.from([0]), le16(1), le16(0),
    ]);
    assert.equal(hdr.length, MSG_HEADER2_BYTES);
    const front = Buffer.from('abc');
    const data = Buffer.from('hello');
    const epilogue = Buffer.concat([Buffer.from([0x0e]), le32(segCrc(front)), le32(segCrc(Buffer.alloc(0))), le32(segCrc(data))]);
    const want = Buffer.concat([
      handPreamble(Tag.MESSAGE, [[41, 8], [3, 8], [0, 8], [5, 4096]]), hdr, le32(segCrc(hdr)), front, data, epilogue,
    ]);
    const got = assembleMessageFrame(header, [front], [], [data]);
    assert.deepEqual(Buffer.concat(got), want);
    // The data segment is the caller's Buffer itself, not a copy.
    assert.ok(got.includes(data));
    const f = onlyFrame(want);
    const m = decodeMessageFrame(f);
    assert.deepEqual(m.header, header);
    assert.deepEqual(Buffer.concat(m.front), front);
    assert.deepEqual(Buffer.concat(m.data), data);
    assert.equal(m.middle.length, 0);
  });

  it('MESSAGE frames of one, two and three segments byte for byte (absent segments zero in the preamble)', () => {
    // Hand-written from the msgr2.1 layout, not from the writer: the fast head writer must give these.
    const header = { seq: 2, tid: 5, type: 0x2a, priority: 127, version: 1, compatVersion: 1, dataOff: 0, ackSeq: 1, flags: 0 };
    const hdr = Buffer.concat([
      le64(2), le64(5), le16(0x2a), le16(127), le16(1), le32(0), le16(0), le64(1), Buffer.from([0]), le16(1), le16(0),
    ]);
    const front = Buffer.from('front');
    const middle = Buffer.from('mid');
    const one = Buffer.concat([handPreamble(Tag.MESSAGE, [[41, 8]]), hdr, le32(segCrc(hdr))]);
    assert.deepEqual(Buffer.concat(assembleMessageFrame(header, [], [], [])), one);
    const two = Buffer.concat([
      handPreamble(Tag.MESSAGE, [[41, 8], [5, 8]]), hdr, le32(segCrc(hdr)), front,
      Buffer.from([0x0e]), le32(segCrc(front)), le32(0), le32(0),
    ]);
    assert.deepEqual(Buffer.concat(assembleMessageFrame(header, [front], [], [])), two);
    const three = Buffer.concat([
      handPreamble(Tag.MESSAGE, [[41, 8], [5, 8], [3, 8]]), hdr, le32(segCrc(hdr)), front, middle,
      Buffer.from([0x0e]), le32(segCrc(front)), le32(segCrc(middle)), le32(0),
    ]);
    assert.deepEqual(Buffer.concat(assembleMessageFrame(header, [front], [middle], [])), three);
  });

  it('the segment crc memo: the same Buffers give the same crc once computed; other Buffers, or after clear(), are summed again', () => {
    const memo = new SegmentCrcMemo();
    const big = Buffer.alloc(CRC_MEMO_BYTES_MIN, 7);
    const data = [big.subarray(0, 1000), big.subarray(1000)];
    const want = segmentCrc(data);
    assert.equal(memo.crc(data), want);
    assert.equal(memo.crc([data[0]!, data[1]!]), want, 'a new list of the same Buffers matches');
    assert.equal(memo.hits, 1);
    const twin = Buffer.from(big);
    twin[5] = 8;
    assert.equal(memo.crc([twin]), segmentCrc([twin]), 'another Buffer is not taken for the first');
    assert.equal(memo.hits, 1);
    const small = [Buffer.alloc(100, 1)];
    assert.equal(memo.crc(small), segmentCrc(small));
    assert.equal(memo.crc(small), segmentCrc(small));
    assert.equal(memo.hits, 1, 'small segments are never memoised');
    for (let i = 0; i < CRC_MEMO_ENTRIES_MAX + 2; i++) memo.crc([Buffer.alloc(CRC_MEMO_BYTES_MIN, i)]);
    assert.equal(memo.size, CRC_MEMO_ENTRIES_MAX, 'bounded');
    memo.clear();
    assert.equal(memo.size, 0);
    // The owner hears of the first entry of an empty memo only (the messenger clears it at the end of
    // that turn), again after each clear, and never for segments too small to keep.
    let firsts = 0;
    const told = new SegmentCrcMemo(() => firsts++);
    told.crc(small);
    assert.equal(firsts, 0, 'a small segment leaves the memo empty');
    told.crc([Buffer.alloc(CRC_MEMO_BYTES_MIN, 1)]);
    told.crc([Buffer.alloc(CRC_MEMO_BYTES_MIN, 2)]);
    told.crc(data);
    assert.equal(firsts, 1);
    told.clear();
    told.crc(data);
    assert.equal(firsts, 2);
    // The epilogue is byte for byte the same with and without a memo, also on a hit.
    const plain = Buffer.alloc(13);
    const memoised = Buffer.alloc(13);
    const front = [Buffer.from('front')];
    writeMessageEpilogue(plain, 0, 4, front, [], data);
    writeMessageEpilogue(memoised, 0, 4, front, [], data, memo);
    assert.deepEqual(memoised, plain);
    writeMessageEpilogue(memoised, 0, 4, front, [], data, memo);
    assert.deepEqual(memoised, plain);
    assert.equal(memo.hits, 2);
  });

  it('trailing empty segments are dropped; a frame with only a header has one segment', () => {
    const h = { seq: 1, tid: 0, type: 5, priority: 127, version: 1, compatVersion: 0, dataOff: 0, ackSeq: 0, flags: 0 };
    const bytes = Buffer.concat(assembleMessageFrame(h, [], [], []));
    assert.equal(bytes[1], 1);
    assert.equal(bytes.length, 32 + 41 + 4);
    const bytes2 = Buffer.concat(assembleMessageFrame(h, [Buffer.from('x')], [], []));
    assert.equal(bytes2[1], 2);
    assert.equal(bytes2.length, 32 + 41 + 4 + 1 + 13);
  });

  it('segments are views of the received chunks, also across chunk boundaries', () => {
    const data = Buffer.alloc(100_000, 7);
    const bytes = Buffer.concat(assembleMessageFrame({ seq: 1, tid: 0, type: 9, priority: 1, version: 1, compatVersion: 1, dataOff: 0, ackSeq: 0, flags: 0 }, [Buffer.from('f')], [], [data]));
    const r = new FrameReader(false);
    const chunks = [bytes.subarray(0, 5000), bytes.subarray(5000, 60000), bytes.subarray(60000)];
    for (const c of chunks) r.push(c);
    const it = r.next();
    assert.ok(it && it.kind === 'frame');
    const seg = it.frame.segments[3]!;
    assert.equal(seg.length, 3);
    for (const v of seg) assert.ok(chunks.some((c) => c.buffer === v.buffer), 'a view, not a copy');
    assert.deepEqual(Buffer.concat(seg), data);
  });

  it('every control frame round-trips', () => {
    const a = addr(6789, 0);
    const b = addr(0, 4242);
    const cases: Array<[number, Buffer, (p: Buffer) => unknown, unknown]> = [
      [Tag.HELLO, encodeHello({ entityType: 1, peerAddr: a }), decodeHello, { entityType: 1, peerAddr: a }],
      [Tag.AUTH_REQUEST, encodeAuthRequest({ method: 1, preferredModes: [1, 2], payload: Buffer.from('xyz') }), decodeAuthRequest, { method: 1, preferredModes: [1, 2], payload: Buffer.from('xyz') }],
      [Tag.AUTH_BAD_METHOD, encodeAuthBadMethod({ method: 2, result: -95, allowedMethods: [1], allowedModes: [1] }), decodeAuthBadMethod, { method: 2, result: -95, allowedMethods: [1], allowedModes: [1] }],
      [Tag.AUTH_REPLY_MORE, encodeAuthMore(Buffer.from('more')), (p) => decodeAuthMore(Tag.AUTH_REPLY_MORE, p), Buffer.from('more')],
      [Tag.AUTH_DONE, encodeAuthDone({ globalId: 4123, conMode: 1, payload: Buffer.alloc(0) }), decodeAuthDone, { globalId: 4123, conMode: 1, payload: Buffer.alloc(0) }],
      [Tag.CLIENT_IDENT, encodeClientIdent({ addrs: [b], targetAddr: a, gid: -1, globalSeq: 3, supportedFeatures: 0x3f01cfbffffdffffn, requiredFeatures: 1n << 59n, flags: 1n, cookie: 0xfedcba9876543210n }), decodeClientIdent,
        { addrs: [b], targetAddr: a, gid: -1, globalSeq: 3, supportedFeatures: 0x3f01cfbffffdffffn, requiredFeatures: 1n << 59n, flags: 1n, cookie: 0xfedcba9876543210n }],
      [Tag.SERVER_IDENT, encodeServerIdent({ addrs: [a], gid: 0, globalSeq: 9, supportedFeatures: 5n, requiredFeatures: 0n, flags: 0n, cookie: 77n }), decodeServerIdent,
        { addrs: [a], gid: 0, globalSeq: 9, supportedFeatures: 5n, requiredFeatures: 0n, flags: 0n, cookie: 77n }],
      [Tag.SESSION_RECONNECT, encodeReconnect({ addrs: [a, b], clientCookie: 1n, serverCookie: 2n, globalSeq: 3, connectSeq: 4, msgSeq: 5 }), decodeReconnect,
        { addrs: [a, b], clientCookie: 1n, serverCookie: 2n, globalSeq: 3, connectSeq: 4, msgSeq: 5 }],
      [Tag.SESSION_RESET, encodeReset(true), decodeReset, true],
      [Tag.SESSION_RETRY, encodeU64(12), (p) => decodeU64(Tag.SESSION_RETRY, p), 12],
      [Tag.SESSION_RETRY_GLOBAL, encodeU64(2 ** 40), (p) => decodeU64(Tag.SESSION_RETRY_GLOBAL, p), 2 ** 40],
      [Tag.SESSION_RECONNECT_OK, encodeU64(99), (p) => decodeU64(Tag.SESSION_RECONNECT_OK, p), 99],
      [Tag.IDENT_MISSING_FEATURES, encodeFeatures(1n << 63n), decodeFeatures, 1n << 63n],
      [Tag.KEEPALIVE2, encodeStamp({ sec: 1700000000, nsec: 5 }), (p) => decodeStamp(Tag.KEEPALIVE2, p), { sec: 1700000000, nsec: 5 }],
      [Tag.KEEPALIVE2_ACK, encodeStamp({ sec: 1, nsec: 2 }), (p) => decodeStamp(Tag.KEEPALIVE2_ACK, p), { sec: 1, nsec: 2 }],
      [Tag.ACK, encodeU64(1), (p) => decodeU64(Tag.ACK, p), 1],
      [Tag.COMPRESSION_REQUEST, encodeCompressionRequest({ isCompress: true, preferredMethods: [1] }), decodeCompressionRequest, { isCompress: true, preferredMethods: [1] }],
      [Tag.COMPRESSION_DONE, encodeCompressionDone({ isCompress: false, method: 0 }), decodeCompressionDone, { isCompress: false, method: 0 }],
    ];
    const stream: Buffer[] = [];
    for (const [tag, payload, dec, want] of cases) {
      assert.deepEqual(dec(payload), want, `tag ${tag}`);
      stream.push(controlFrame(tag, payload));
    }
    // The whole stream, fed byte by byte, gives the same frames back in order.
    const frames = readAll(Buffer.concat(stream), false, 1) as Frame[];
    assert.equal(frames.length, cases.length);
    frames.forEach((f, i) => {
      assert.equal(f.tag, cases[i]![0]);
      assert.deepEqual(cases[i]![2](flatten(f.segments[0]!)), cases[i]![3]);
    });
  });

  it('HELLO payload by hand: entity type, then entity_addr_t (marker 1, struct v1, type, nonce, sockaddr)', () => {
    const a = addr(3300, 0);
    const body = Buffer.concat([le32(2), le32(0), le32(16), le16(AF_INET), a.sockaddr]);
    const want = Buffer.concat([Buffer.from([1, 1, 1, 1]), le32(body.length), body]);
    assert.deepEqual(encodeHello({ entityType: 1, peerAddr: a }), want);
  });

  describe('malformed input is a CephError', () => {
    const good = () => controlFrame(Tag.ACK, encodeU64(5));

    it('bad banner and an msgr1 banner', () => {
      expectCeph(() => readAll(Buffer.from('GET / HTTP/1.1\r\n\r\n1234567890'), true), 'EBADMSG', /bad banner/);
      expectCeph(() => readAll(Buffer.from('ceph v027\n\0\0\0\0\0\0\0\0\0\0'), true), 'EBADMSG', /msgr1/);
      expectCeph(() => readAll(Buffer.concat([Buffer.from('ceph v2\n'), le16(4), le32(0)]), true), 'EBADMSG', /too short/);
      expectCeph(() => readAll(Buffer.concat([Buffer.from('ceph v2\n'), le16(60000)]), true), 'E2BIG', /banner/);
    });

    it('bad preamble crc', () => {
      const b = good();
      b[2] ^= 0x01;
      expectCeph(() => readAll(b), 'EBADMSG', /bad preamble crc/);
    });

    it('bad segment crc: the first segment and a later one', () => {
      const b = good();
      b[33] ^= 0x80;
      expectCeph(() => readAll(b), 'EBADMSG', /bad segment 0 crc/);
      const m = Buffer.concat(assembleMessageFrame({ seq: 1, tid: 0, type: 9, priority: 1, version: 1, compatVersion: 1, dataOff: 0, ackSeq: 0, flags: 0 }, [Buffer.from('f')], [], [Buffer.from('data!')]));
      m[m.length - 15] ^= 1; // inside the data segment
      expectCeph(() => readAll(m), 'EBADMSG', /bad segment 3 crc/);
    });

    it('oversized segment (E2BIG) and oversized control payload', () => {
      expectCeph(() => readAll(handPreamble(Tag.MESSAGE, [[41, 8], [SEGMENT_BYTES_MAX + 1, 8]])), 'E2BIG', /exceeds the limit/);
      expectCeph(() => readAll(handPreamble(Tag.HELLO, [[1 << 20, 8]])), 'E2BIG', /control payload/);
    });

    it('unknown tag, zero or five segments, empty last segment', () => {
      expectCeph(() => readAll(handPreamble(99, [[8, 8]])), 'EBADMSG', /unknown tag 99/);
      expectCeph(() => readAll(handPreamble(0, [[8, 8]])), 'EBADMSG', /unknown tag 0/);
      expectCeph(() => readAll(handPreamble(Tag.ACK, [])), 'EBADMSG', /number of segments 0/);
      const five = handPreamble(Tag.ACK, [[8, 8]]);
      five[1] = 5;
      five.writeUInt32LE(cephCrc32c(0, five.subarray(0, 28)), 28);
      expectCeph(() => readAll(five), 'EBADMSG', /number of segments 5/);
      expectCeph(() => readAll(handPreamble(Tag.MESSAGE, [[41, 8], [0, 8]])), 'EBADMSG', /last segment empty/);
    });

    it('bad late status; an aborted frame is skipped', () => {
      const m = Buffer.concat(assembleFrame(Tag.MESSAGE, [[Buffer.alloc(41)], [Buffer.from('x')]]));
      const bad = Buffer.from(m);
      bad[bad.length - 13] = 0x05;
      expectCeph(() => readAll(bad), 'EBADMSG', /late status/);
      const aborted = Buffer.from(m);
      aborted[aborted.length - 13] = 0x01;
      const r = new FrameReader(false);
      r.push(Buffer.concat([aborted, good()]));
      const it = r.next();
      assert.ok(it && it.kind === 'frame' && it.frame.tag === Tag.ACK);
      assert.equal(r.abortedFrames, 1);
    });

    it('a truncated frame yields nothing and says how much is missing', () => {
      const b = good();
      for (let cut = 0; cut < b.length; cut++) {
        const r = new FrameReader(false);
        r.push(b.subarray(0, cut));
        assert.equal(r.next(), null, `cut ${cut}`);
        assert.ok(r.neededBytes > 0, `cut ${cut} needs more`);
      }
    });

    it('undecodable control payloads are EBADMSG naming the frame', () => {
      expectCeph(() => decodeClientIdent(Buffer.from([2, 1, 0])), 'EBADMSG', /CLIENT_IDENT/);
      expectCeph(() => decodeHello(Buffer.alloc(0)), 'EBADMSG', /HELLO/);
      expectCeph(() => decodeAuthDone(Buffer.alloc(5)), 'EBADMSG', /AUTH_DONE/);
      expectCeph(() => decodeMessageFrame({ tag: Tag.MESSAGE, flags: 0, segments: [[Buffer.alloc(40)]] }), 'EBADMSG', /message header/);
    });

    it('seeded streams cut into random pieces: whole frames out, a flipped segment bit caught by its crc', () => {
      const only = process.env.FRAMES_SPLIT_SEED ? Number(process.env.FRAMES_SPLIT_SEED) : undefined;
      const cases = only !== undefined ? 1 : 60;
      for (let c = 0; c < cases; c++) {
        const seed = only ?? caseSeed(0x5b1175, c);
        const rng = new Rng(seed);
        const segSize = (): number => (rng.chance(0.3) ? 0 : rng.chance(0.3) ? rng.int(1, 200 * 1024) : rng.int(1, 300));
        const sent: Buffer[][] = [];
        const bytes: Buffer[] = [];
        const frames = rng.int(1, 6);
        for (let f = 0; f < frames; f++) {
          const segs = [segSize(), segSize(), rng.int(1, 150 * 1024)].map((n) => {
            const b = Buffer.allocUnsafe(n);
            for (let i = 0; i < n; i += 97) b[i] = rng.int(0, 255);
            return b;
          });
          sent.push(segs);
          bytes.push(...assembleMessageFrame({ seq: f + 1, tid: 0, type: 9, priority: 1, version: 1, compatVersion: 1, dataOff: 0, ackSeq: 0, flags: 0 }, [segs[0]!], [segs[1]!], [segs[2]!]));
        }
        const stream = Buffer.concat(bytes);
        const feed = (b: Buffer): Frame[] => {
          const r = new FrameReader(false);
          const out: Frame[] = [];
          for (let at = 0; at < b.length; ) {
            const n = Math.min(b.length - at, rng.chance(0.2) ? rng.int(1, 16) : rng.int(1, 70000));
            r.push(Buffer.from(b.subarray(at, at + n)));
            at += n;
            for (let it = r.next(); it; it = r.next()) if (it.kind === 'frame') out.push(it.frame);
          }
          return out;
        };
        const got = feed(stream);
        assert.equal(got.length, frames, `seed=${seed}: frames`);
        got.forEach((f, i) => {
          const m = decodeMessageFrame(f);
          assert.equal(m.header.seq, i + 1, `seed=${seed}`);
          assert.ok(Buffer.concat(m.front).equals(sent[i]![0]!), `seed=${seed}: frame ${i} front`);
          assert.ok(Buffer.concat(m.middle).equals(sent[i]![1]!), `seed=${seed}: frame ${i} middle`);
          assert.ok(Buffer.concat(m.data).equals(sent[i]![2]!), `seed=${seed}: frame ${i} data`);
        });
        // Flip one bit of the last frame's data segment (its last 13 bytes are the epilogue).
        const last = bytes.length - 1;
        const flip = stream.length - 13 - 1 - rng.int(0, sent[frames - 1]![2]!.length - 1);
        const bad = Buffer.from(stream);
        bad[flip] ^= 1 << rng.int(0, 7);
        assert.ok(last > 0);
        expectCeph(() => feed(bad), 'EBADMSG', /bad segment 3 crc/);
      }
    });

    it('seeded random corruption: CephError or a frame, never another exception', () => {
      const base = Buffer.concat([
        encodeBanner(3n, 0n),
        controlFrame(Tag.HELLO, encodeHello({ entityType: 8, peerAddr: addr(1, 2) })),
        Buffer.concat(assembleMessageFrame({ seq: 1, tid: 0, type: 9, priority: 1, version: 1, compatVersion: 1, dataOff: 0, ackSeq: 0, flags: 0 }, [Buffer.from('front')], [Buffer.from('m')], [Buffer.alloc(300, 3)])),
      ]);
      const only = process.env.FRAMES_SEED ? Number(process.env.FRAMES_SEED) : undefined;
      const n = only !== undefined ? 1 : 500;
      for (let i = 0; i < n; i++) {
        const seed = only ?? caseSeed(0xf4a3e5, i);
        const rng = new Rng(seed);
        const b = Buffer.from(base);
        const flips = rng.int(1, 4);
        for (let k = 0; k < flips; k++) b[rng.int(0, b.length - 1)] ^= 1 << rng.int(0, 7);
        try {
          readAll(b, true, rng.int(1, 64));
        } catch (e) {
          assert.ok(e instanceof CephError, `seed=${seed}: ${String(e)}`);
          assert.ok(['EBADMSG', 'E2BIG'].includes(e.code), `seed=${seed}: code ${e.code}`);
        }
      }
    });
  });
});
