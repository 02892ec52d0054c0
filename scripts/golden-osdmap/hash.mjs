// Object-name hash vectors: Ceph's ceph_str_hash_rjenkins and ceph_str_hash_linux over a fixed list
// of names, computed by Ceph's own functions in the installed libceph-common.so.2 (str-hash.c links
// it; nothing of Ceph is copied). Written to test/golden/osdmap/object-hash.json by gen.mjs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
export const CEPH_LIBDIR = '/usr/lib/x86_64-linux-gnu/ceph';

/** A fixed pseudo-random byte generator (xorshift32), so the long names are the same every run. */
function bytes(seed, n, lo = 0, hi = 255) {
  let x = seed >>> 0 || 1;
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = lo + (x % (hi - lo + 1));
  }
  return out;
}

/** The names, as Buffers, each with a short note on why it is there. */
export function hashNames() {
  const names = [];
  const add = (buf, about) => names.push({ buf: Buffer.from(buf), about });
  add('', 'empty name');
  // every length 1..100: rjenkins consumes 12-byte blocks and a tail, so lengths around each
  // multiple of 12 exercise every tail case
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  for (let n = 1; n <= 100; n++) {
    add(Array.from({ length: n }, (_, i) => alphabet[(i * 7 + n) % alphabet.length]).join(''), `ascii length ${n}`);
  }
  // every single byte, and every byte in the middle of a name (signed-char traps: 0x80..0xff)
  for (let b = 0; b <= 255; b++) add(Buffer.from([b]), `single byte 0x${b.toString(16).padStart(2, '0')}`);
  for (let b = 0; b <= 255; b += 5) add(Buffer.concat([Buffer.from('obj'), Buffer.from([b, 255 - b]), Buffer.from('tail')]), `bytes 0x${b.toString(16)},0x${(255 - b).toString(16)} inside`);
  add(Buffer.from(Array.from({ length: 256 }, (_, i) => i)), 'all bytes 0x00..0xff in order');
  add(Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i)), 'all bytes 0xff..0x00 in order');
  add(Buffer.alloc(13, 0), '13 NUL bytes');
  add(Buffer.alloc(24, 0xff), '24 0xff bytes');
  // long names
  for (const n of [255, 256, 1000, 1024, 2048, 4095, 4096, 5000]) add(bytes(n * 31 + 7, n, 0x20, 0x7e), `printable, length ${n}`);
  for (const n of [257, 1023, 3001]) add(bytes(n * 17 + 3, n), `binary, length ${n}`);
  add('x'.repeat(4096), '4096 x');
  // typical RADOS / RBD / RGW / CephFS names
  for (const s of [
    'rbd_directory', 'rbd_info', 'rbd_children', 'rbd_trash', 'rbd_mirroring', 'rbd_id.vm-disk-1',
    'rbd_header.10226b8b4567', 'rbd_data.10226b8b4567.0000000000000000', 'rbd_data.10226b8b4567.0000000000000001',
    'rbd_data.10226b8b4567.00000000000003ff', 'rbd_data.5e3a6b8b4567.000000000001a2f3', 'rb.0.1234.238e1f29.000000000000',
    'rbd_object_map.10226b8b4567', 'rbd_object_map.10226b8b4567.0000000000000004',
    '10000000000.00000000', '10000000001.00000000', '1.00000000', '100.00000000', '600.00000000', 'mds0_inotable', 'mds_snaptable',
    'default.rgw.buckets.data', '.dir.f0a3e1b2-1c2d-4e5f-8a9b-0c1d2e3f4a5b.4123.1', 'notify.0', 'notify.7', 'gc.0', 'gc.31',
    'obj', 'foo', 'bar', 'baz', 'object', 'hello world', 'benchmark_data_host_12345_object0', 'benchmark_data_host_12345_object99',
    'osd_superblock', 'inc_osdmap.42', 'osdmap.42', 'pglog_1.0', 'snapmapper', '.rgw.root', 'zone_info.default',
    'épée', '名前', 'ключ', '🙂-emoji', 'tab\there', 'new\nline', 'sp ace', 'slash/in/name', 'dot.', '.', '..', '-', '_',
  ]) add(s, 'typical name');
  return names;
}

/** Compile str-hash.c against the installed library, run it over buffers, return [[rjenkins, linux]]. */
export function hashBuffers(bufs) {
  const dir = mkdtempSync(join(tmpdir(), 'osdmap-golden-hash-'));
  try {
    const exe = join(dir, 'str-hash');
    execFileSync('cc', ['-O1', '-Wall', '-o', exe, join(HERE, 'str-hash.c'), `-L${CEPH_LIBDIR}`, '-l:libceph-common.so.2',
      `-Wl,-rpath,${CEPH_LIBDIR}`], { stdio: ['ignore', 'inherit', 'inherit'] });
    const input = bufs.map((b) => b.toString('hex')).join('\n') + '\n';
    const out = execFileSync(exe, [], { input, maxBuffer: 1 << 26 }).toString('utf8').trim().split('\n');
    if (out.length !== bufs.length) throw new Error(`str-hash printed ${out.length} lines for ${bufs.length} names`);
    return out.map((line) => {
      const h = line.split(' ').map(Number);
      if (h.length !== 2 || !h.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32)) throw new Error(`bad str-hash line ${line}`);
      return h;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The vectors of object-hash.json. */
export function computeHashes(log = () => {}) {
  const names = hashNames();
  const hashes = hashBuffers(names.map((n) => n.buf));
  log(`hashed ${names.length} names with libceph-common`);
  return names.map((n, i) => ({ hex: n.buf.toString('hex'), length: n.buf.length, about: n.about, rjenkins: hashes[i][0], linux: hashes[i][1] }));
}
