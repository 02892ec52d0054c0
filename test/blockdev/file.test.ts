// Proves FileDevice keeps the BlockDevice contract on a real file: round trips across reopen, gathered
// writes of many buffers (past IOV_MAX) through the thread pool and made inline, small reads inline and
// through the pool alike (a file shortened under either is EIO), size handling (create,
// extend, keep, refuse), and fs errors as CephErrors with the errno name and the path.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rejectsCeph } from '../support/ceph-error.js';
import { BLOCK_BYTES, FileDevice, SECTOR_BYTES } from '../../common/blockdev/index.js';

describe('common/blockdev FileDevice', () => {
  const dir = join(tmpdir(), 'h2-devices', `file-test-${process.pid}`);
  before(() => mkdirSync(dir, { recursive: true }));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a file of the size asked, and round trips data across a reopen', async () => {
    const path = join(dir, 'a.img');
    const dev = await FileDevice.open(path, { size: 16 * BLOCK_BYTES, create: true });
    assert.equal(dev.size, 16 * BLOCK_BYTES);
    assert.equal(dev.name, path);
    assert.equal(dev.isBlockDevice, false);
    assert.equal(statSync(path).size, 16 * BLOCK_BYTES);
    const data = Buffer.alloc(2 * BLOCK_BYTES);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7 + 3) & 0xff;
    await dev.write(3 * BLOCK_BYTES, [data]);
    await dev.flush();
    assert.deepEqual(await dev.read(3 * BLOCK_BYTES, data.length), data);
    assert.ok((await dev.read(0, BLOCK_BYTES)).every((x) => x === 0));
    await dev.close();
    await dev.close(); // twice is harmless

    const again = await FileDevice.open(path);
    assert.equal(again.size, 16 * BLOCK_BYTES);
    const into = Buffer.alloc(data.length);
    await again.readInto(3 * BLOCK_BYTES, into);
    assert.deepEqual(into, data);
    await again.close();
    await rejectsCeph(again.read(0, SECTOR_BYTES), 'EBADF', /closed/);
  });

  it('writes a gathered list of many small buffers in order (more than IOV_MAX of them)', async () => {
    const path = join(dir, 'gather.img');
    const dev = await FileDevice.open(path, { size: 4 * 1024 * 1024, create: true });
    const bufs: Buffer[] = [];
    const count = 3000; // 3000 sectors: libuv splits past IOV_MAX (1024)
    for (let i = 0; i < count; i++) bufs.push(Buffer.alloc(SECTOR_BYTES, i & 0xff));
    await dev.write(SECTOR_BYTES, bufs);
    const got = await dev.read(SECTOR_BYTES, count * SECTOR_BYTES);
    for (let i = 0; i < count; i++) {
      const s = got.subarray(i * SECTOR_BYTES, (i + 1) * SECTOR_BYTES);
      assert.ok(s.every((x) => x === (i & 0xff)), `sector ${i}`);
    }
    // buffers of odd lengths that add up to whole sectors, and an empty list
    await dev.write(0, [Buffer.alloc(100, 0xaa), Buffer.alloc(0), Buffer.alloc(412, 0xbb)]);
    const head = await dev.read(0, SECTOR_BYTES);
    assert.ok(head.subarray(0, 100).every((x) => x === 0xaa) && head.subarray(100).every((x) => x === 0xbb));
    await dev.write(0, []);
    await dev.close();
  });

  it('small writes made on the calling thread and writes through the pool land alike (IOV_MAX too)', async () => {
    const path = join(dir, 'inline.img');
    for (const inlineWriteBytesMax of [0, 64 * 1024]) {
      const dev = await FileDevice.open(path, { size: 4 * 1024 * 1024, create: true, inlineWriteBytesMax });
      // 2048 buffers of 32 bytes: 64 KiB, past IOV_MAX, inline when the limit allows it
      const bufs: Buffer[] = [];
      for (let i = 0; i < 2048; i++) bufs.push(Buffer.alloc(32, (i + inlineWriteBytesMax) & 0xff));
      await dev.write(BLOCK_BYTES, bufs);
      const one = Buffer.alloc(BLOCK_BYTES, 0x5c);
      await dev.write(0, [one]);
      await dev.flush();
      const got = await dev.read(0, BLOCK_BYTES + 65536);
      assert.deepEqual(got.subarray(0, BLOCK_BYTES), one);
      for (let i = 0; i < 2048; i++) {
        assert.ok(got.subarray(BLOCK_BYTES + i * 32, BLOCK_BYTES + (i + 1) * 32).every((x) => x === ((i + inlineWriteBytesMax) & 0xff)), `inline max ${inlineWriteBytesMax} piece ${i}`);
      }
      await dev.close();
      await rejectsCeph(dev.write(0, [one]), 'EBADF');
    }
    await rejectsCeph(FileDevice.open(path, { inlineWriteBytesMax: -1 }), 'EINVAL');
  });

  it('extends a shorter file, keeps a longer one, and takes an existing size rounded down to blocks', async () => {
    const path = join(dir, 'sizes.img');
    writeFileSync(path, Buffer.alloc(BLOCK_BYTES + 100, 1));
    const whole = await FileDevice.open(path);
    assert.equal(whole.size, BLOCK_BYTES);
    await whole.close();
    const bigger = await FileDevice.open(path, { size: 8 * BLOCK_BYTES });
    assert.equal(bigger.size, 8 * BLOCK_BYTES);
    assert.equal(statSync(path).size, 8 * BLOCK_BYTES);
    assert.ok((await bigger.read(0, SECTOR_BYTES)).every((x) => x === 1)); // old bytes kept
    await bigger.close();
    const smaller = await FileDevice.open(path, { size: 2 * BLOCK_BYTES });
    assert.equal(smaller.size, 2 * BLOCK_BYTES);
    assert.equal(statSync(path).size, 8 * BLOCK_BYTES); // never shrunk
    await smaller.close();
  });

  it('refuses bad sizes, unaligned and out-of-range requests with EINVAL', async () => {
    const path = join(dir, 'einval.img');
    await rejectsCeph(FileDevice.open(path, { size: 1000, create: true }), 'EINVAL', /multiple of 4096/);
    writeFileSync(join(dir, 'tiny.img'), Buffer.alloc(100));
    await rejectsCeph(FileDevice.open(join(dir, 'tiny.img')), 'EINVAL', /give a size/);
    const dev = await FileDevice.open(path, { size: BLOCK_BYTES, create: true });
    await rejectsCeph(dev.read(BLOCK_BYTES, SECTOR_BYTES), 'EINVAL', /past the device/);
    await rejectsCeph(dev.read(SECTOR_BYTES, BLOCK_BYTES), 'EINVAL', /past the device/);
    await rejectsCeph(dev.read(3, SECTOR_BYTES), 'EINVAL', /offset 3/);
    await rejectsCeph(dev.write(0, [Buffer.alloc(511)]), 'EINVAL', /length 511/);
    await rejectsCeph(dev.readInto(0, Buffer.alloc(7)), 'EINVAL');
    await dev.close();
  });

  it('turns fs errors into CephErrors naming the errno and the path', async () => {
    const missing = join(dir, 'nope', 'missing.img');
    await rejectsCeph(FileDevice.open(missing), 'ENOENT', new RegExp(missing.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')));
    await rejectsCeph(FileDevice.open(join(dir, 'absent.img')), 'ENOENT', /absent\.img: open failed/);
    await rejectsCeph(FileDevice.open(dir), 'EISDIR', /open failed/);
    await rejectsCeph(FileDevice.open('/dev/null'), 'EINVAL', /neither a regular file nor a block device/);
    // A file shortened under the device: reads past its new end are EIO, not zeros.
    const path = join(dir, 'shrunk.img');
    const dev = await FileDevice.open(path, { size: 2 * BLOCK_BYTES, create: true });
    truncateSync(path, BLOCK_BYTES);
    await rejectsCeph(dev.read(BLOCK_BYTES, SECTOR_BYTES), 'EIO', /shrunk\.img: read of 512 bytes at 4096 ended/);
    await dev.close();
    const pooled = await FileDevice.open(path, { size: 2 * BLOCK_BYTES, inlineReadBytesMax: 0 });
    truncateSync(path, BLOCK_BYTES);
    await rejectsCeph(pooled.read(BLOCK_BYTES, SECTOR_BYTES), 'EIO', /shrunk\.img: read of 512 bytes at 4096 ended/);
    await pooled.close();
  });

  it('small reads made on the calling thread and reads through the pool return the same bytes', async () => {
    const path = join(dir, 'reads.img');
    const data = Buffer.alloc(256 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 13 + (i >>> 12)) & 0xff;
    for (const inlineReadBytesMax of [0, 64 * 1024]) {
      const dev = await FileDevice.open(path, { size: 1024 * 1024, create: true, inlineReadBytesMax });
      await dev.write(BLOCK_BYTES, [data]);
      // sizes below, at and above the inline limit; unaligned offsets inside the data
      for (const [off, len] of [[0, SECTOR_BYTES], [BLOCK_BYTES, BLOCK_BYTES], [BLOCK_BYTES + 3 * SECTOR_BYTES, 64 * 1024], [2 * BLOCK_BYTES, 128 * 1024]] as const) {
        const got = await dev.read(off, len);
        const want = Buffer.alloc(len);
        const from = Math.max(0, off - BLOCK_BYTES);
        const to = Math.max(from, off - BLOCK_BYTES + len);
        data.copy(want, Math.max(0, BLOCK_BYTES - off), from, to);
        assert.deepEqual(got, want, `inline max ${inlineReadBytesMax}: read ${off}~${len}`);
      }
      await dev.close();
      await rejectsCeph(dev.read(0, SECTOR_BYTES), 'EBADF');
    }
    await rejectsCeph(FileDevice.open(path, { inlineReadBytesMax: 1.5 }), 'EINVAL');
  });
});
