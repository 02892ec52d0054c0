// Proves common/osdmap/hash.ts hashes object names bit for bit as Ceph 16.2 does: replays vectors recorded by calling libceph-common's own ceph_str_hash_rjenkins, ceph_str_hash_linux and ceph_str_hash(type) (scripts/osdmap-placement/gen-hash-vectors.py, and the golden set's test/golden/osdmap/object-hash.json), over bytes and over the UTF-8 string path.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  cephStrHash,
  cephStrHashLinux,
  cephStrHashName,
  cephStrHashRjenkins,
  cephStrHashValid,
  CEPH_STR_HASH_LINUX,
  CEPH_STR_HASH_RJENKINS,
} from '../../common/osdmap/index.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

interface Vector {
  name: string;
  rjenkins: number;
  linux: number;
  type0: number;
  type1: number;
  type2: number;
  type3: number;
}

function loadVectors(): Vector[] {
  const doc = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/osdmap/placement/object-hash.json'), 'utf8')) as {
    vectors: Vector[];
  };
  return doc.vectors;
}

describe('osdmap hash: ceph_str_hash vectors from libceph-common', () => {
  const vectors = loadVectors();

  it('has vectors for every tail length and long names', () => {
    assert.ok(vectors.length > 100);
    const lens = new Set(vectors.map((v) => v.name.length / 2));
    for (let n = 0; n <= 40; n++) assert.ok(lens.has(n), `length ${n}`);
    assert.ok(lens.has(4096));
  });

  it('rjenkins and linux over bytes', () => {
    for (const v of vectors) {
      const b = Buffer.from(v.name, 'hex');
      assert.equal(cephStrHashRjenkins(b), v.rjenkins, `rjenkins ${v.name}`);
      assert.equal(cephStrHashLinux(b), v.linux, `linux ${v.name}`);
      // a view into a larger buffer with an explicit length hashes only the prefix
      const padded = Buffer.concat([b, Buffer.from([1, 2, 3])]);
      assert.equal(cephStrHashRjenkins(padded, b.length), v.rjenkins);
      assert.equal(cephStrHashLinux(padded.subarray(0, b.length)), v.linux);
    }
  });

  it('ceph_str_hash dispatch: unknown types give 0xffffffff as Ceph returns -1', () => {
    for (const v of vectors) {
      const b = Buffer.from(v.name, 'hex');
      assert.equal(cephStrHash(0, b), v.type0);
      assert.equal(cephStrHash(CEPH_STR_HASH_LINUX, b), v.type1);
      assert.equal(cephStrHash(CEPH_STR_HASH_RJENKINS, b), v.type2);
      assert.equal(cephStrHash(3, b), v.type3);
    }
    assert.equal(cephStrHashName(1), 'linux');
    assert.equal(cephStrHashName(2), 'rjenkins');
    assert.equal(cephStrHashName(7), 'unknown');
    assert.ok(cephStrHashValid(2) && cephStrHashValid(1) && !cephStrHashValid(0));
  });

  it('the string path hashes the UTF-8 bytes (names that are valid UTF-8)', () => {
    let n = 0;
    for (const v of vectors) {
      const b = Buffer.from(v.name, 'hex');
      const s = b.toString('utf8');
      if (!Buffer.from(s, 'utf8').equals(b)) continue; // not valid UTF-8: only the byte path applies
      n++;
      assert.equal(cephStrHashRjenkins(s), v.rjenkins, `rjenkins "${s}"`);
      assert.equal(cephStrHashLinux(s), v.linux);
      assert.equal(cephStrHash(CEPH_STR_HASH_RJENKINS, s), v.rjenkins);
    }
    assert.ok(n > 60, `${n} UTF-8 names`);
  });

  it('the string path grows its scratch for long names and stays correct after', () => {
    const long = 'é'.repeat(5000); // 10,000 UTF-8 bytes
    assert.equal(cephStrHashRjenkins(long), cephStrHashRjenkins(Buffer.from(long, 'utf8')));
    assert.equal(cephStrHashRjenkins('foo'), cephStrHashRjenkins(Buffer.from('foo')));
  });
});

describe('osdmap hash: the golden set`s object-hash vectors (test/golden/osdmap/object-hash.json)', () => {
  const path = join(ROOT, 'test/golden/osdmap/object-hash.json');
  it('rjenkins and linux for every recorded name', () => {
    const doc = JSON.parse(readFileSync(path, 'utf8')) as { names: Array<{ hex: string; length: number; rjenkins: number; linux: number }> };
    assert.ok(doc.names.length > 50);
    for (const v of doc.names) {
      const b = Buffer.from(v.hex, 'hex');
      assert.equal(b.length, v.length);
      assert.equal(cephStrHashRjenkins(b), v.rjenkins, v.hex);
      assert.equal(cephStrHashLinux(b), v.linux, v.hex);
      assert.equal(cephStrHash(CEPH_STR_HASH_RJENKINS, b), v.rjenkins);
      assert.equal(cephStrHash(CEPH_STR_HASH_LINUX, b), v.linux);
    }
  });
});
