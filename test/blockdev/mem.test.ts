// Proves MemDevice keeps the BlockDevice contract: round trips of gathered writes, copies not views,
// EINVAL for unaligned or out-of-range requests and bad sizes, EBADF after close.
import assert from 'node:assert/strict';
import { CephError } from '../../common/errors.js';
import { rejectsCeph } from '../support/ceph-error.js';
import { BLOCK_BYTES, MemDevice, SECTOR_BYTES } from '../../common/blockdev/index.js';

describe('common/blockdev MemDevice', () => {
  it('reads back gathered writes and returns copies', async () => {
    const dev = new MemDevice(4 * BLOCK_BYTES);
    const a = Buffer.alloc(SECTOR_BYTES, 1);
    const b = Buffer.alloc(3 * SECTOR_BYTES, 2);
    await dev.write(BLOCK_BYTES, [a, b]);
    a.fill(9); // the device copied it
    const got = await dev.read(BLOCK_BYTES, 4 * SECTOR_BYTES);
    assert.ok(got.subarray(0, SECTOR_BYTES).every((x) => x === 1));
    assert.ok(got.subarray(SECTOR_BYTES).every((x) => x === 2));
    got.fill(7);
    const into = Buffer.alloc(SECTOR_BYTES);
    await dev.readInto(BLOCK_BYTES, into);
    assert.ok(into.every((x) => x === 1));
    assert.ok((await dev.read(0, SECTOR_BYTES)).every((x) => x === 0));
    await dev.flush();
  });

  it('refuses unaligned, negative and out-of-range requests with EINVAL', async () => {
    const dev = new MemDevice(BLOCK_BYTES);
    await rejectsCeph(dev.read(1, SECTOR_BYTES), 'EINVAL', /offset 1/);
    await rejectsCeph(dev.read(0, 100), 'EINVAL', /length 100/);
    await rejectsCeph(dev.read(-SECTOR_BYTES, SECTOR_BYTES), 'EINVAL');
    await rejectsCeph(dev.read(BLOCK_BYTES, SECTOR_BYTES), 'EINVAL', /past the device/);
    await rejectsCeph(dev.write(0, [Buffer.alloc(BLOCK_BYTES + SECTOR_BYTES)]), 'EINVAL', /past the device/);
    await rejectsCeph(dev.write(0, [Buffer.alloc(10)]), 'EINVAL');
    await rejectsCeph(dev.readInto(0, Buffer.alloc(SECTOR_BYTES + 1)), 'EINVAL');
  });

  it('refuses sizes that are not positive multiples of BLOCK_BYTES', () => {
    assert.throws(() => new MemDevice(0), CephError);
    assert.throws(() => new MemDevice(BLOCK_BYTES + SECTOR_BYTES), /multiple of 4096/);
    assert.throws(() => new MemDevice(BLOCK_BYTES, Buffer.alloc(10)), /image of 10 bytes/);
  });

  it('opens over a copy of an image and fails with EBADF once closed', async () => {
    const img = Buffer.alloc(BLOCK_BYTES, 5);
    const dev = MemDevice.fromImage(img);
    img.fill(0);
    assert.ok((await dev.read(0, BLOCK_BYTES)).every((x) => x === 5));
    await dev.close();
    await rejectsCeph(dev.read(0, SECTOR_BYTES), 'EBADF');
  });
});
