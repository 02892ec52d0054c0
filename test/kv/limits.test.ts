// Proves the edges: bad regions, foreign or newer-format regions and oversized keys, values and batches are refused with EINVAL / E2BIG before anything changes; stats() reports cache, use and keys; a closed store refuses work.
import { strict as assert } from 'node:assert';
import { MemDevice } from '../../common/blockdev/index.js';
import { KVBatch, formatKV, fsckKV, kvLimits, openKV } from '../../common/kv/index.js';
import { rejectsCeph } from '../support/ceph-error.js';

const REGION = { offset: 4096, length: 4 * 1024 * 1024 };

describe('kv: limits and refusals', () => {
  it('refuses regions that are misaligned, too small or past the device', async () => {
    const dev = new MemDevice(8 * 1024 * 1024);
    await rejectsCeph(formatKV(dev, { offset: 100, length: REGION.length }), 'EINVAL');
    await rejectsCeph(formatKV(dev, { offset: 0, length: REGION.length + 1 }), 'EINVAL');
    await rejectsCeph(formatKV(dev, { offset: 0, length: 64 * 1024 }), 'EINVAL');
    await rejectsCeph(formatKV(dev, { offset: 4096, length: 8 * 1024 * 1024 }), 'EINVAL');
    await rejectsCeph(formatKV(dev, REGION, { journalBytes: 1000 }), 'EINVAL');
  });

  it('refuses a region that is not a KV region, another region, or a newer format', async () => {
    const dev = new MemDevice(8 * 1024 * 1024);
    await rejectsCeph(openKV(dev, REGION), 'EINVAL', /not a tsceph KV region/);
    await formatKV(dev, REGION);
    await rejectsCeph(openKV(dev, { offset: REGION.offset, length: REGION.length - 4096 }), 'EINVAL', /formatted as region/);
    // Bump struct_compat in both copies of both header blocks (and fix their crcs) to a version from the future.
    const { cephCrc32c } = await import('../../common/crc32c.js');
    for (const block of [0, 4096]) {
      for (const half of [0, 2048]) {
        const at = REGION.offset + block + half;
        dev.bytes[at + 17] = 9;
        dev.bytes.writeUInt32LE(cephCrc32c(0xffffffff, dev.bytes, at, at + 2044), at + 2044);
      }
    }
    await rejectsCeph(openKV(dev, REGION), 'EINVAL', /version/);
  });

  it('both header blocks unreadable is EIO; fsckKV reports it', async () => {
    const dev = new MemDevice(8 * 1024 * 1024);
    await formatKV(dev, REGION);
    for (const at of [16 + 30, 2048 + 16 + 30, 4096 + 16 + 30, 4096 + 2048 + 16 + 30]) dev.bytes[REGION.offset + at]! ^= 1;
    await rejectsCeph(openKV(dev, REGION), 'EIO');
    const report = await fsckKV(dev, REGION);
    assert.equal(report.errors.length, 1);
  });

  it('refuses oversized keys, values and batches with E2BIG, non-Buffers with EINVAL, and applies nothing', async () => {
    const dev = new MemDevice(64 * 1024 * 1024);
    const region = { offset: 0, length: 64 * 1024 * 1024 };
    await formatKV(dev, region, { journalBytes: 32 * 1024 * 1024 });
    const kv = await openKV(dev, region);
    const ok = Buffer.from('ok');
    await rejectsCeph(kv.submit(new KVBatch().set(ok, ok).set(Buffer.alloc(kvLimits.KEY_BYTES_MAX + 1), ok)), 'E2BIG');
    await rejectsCeph(kv.submit(new KVBatch().set(ok, Buffer.alloc(kvLimits.VALUE_BYTES_MAX + 1))), 'E2BIG');
    await rejectsCeph(kv.submit(new KVBatch().rmRange(ok, Buffer.alloc(kvLimits.KEY_BYTES_MAX + 1))), 'E2BIG');
    const big = new KVBatch();
    for (let i = 0; i < 2; i++) big.set(Buffer.from(`k${i}`), Buffer.alloc(kvLimits.VALUE_BYTES_MAX));
    await rejectsCeph(kv.submit(big), 'E2BIG');
    await rejectsCeph(kv.submit(new KVBatch().set(ok, 'text' as unknown as Buffer)), 'EINVAL');
    assert.equal(await kv.get(ok), undefined);
    assert.equal(kv.stats().keys, 0);
    // A largest key and the largest value this store's journal takes in one batch are fine.
    const most = kv.batchBytesMax - kvLimits.KEY_BYTES_MAX;
    await rejectsCeph(kv.submit(new KVBatch().set(Buffer.alloc(kvLimits.KEY_BYTES_MAX, 1), Buffer.alloc(most + 1, 2))), 'E2BIG');
    await kv.submit(new KVBatch().set(Buffer.alloc(kvLimits.KEY_BYTES_MAX, 1), Buffer.alloc(most, 2)));
    assert.equal((await kv.get(Buffer.alloc(kvLimits.KEY_BYTES_MAX, 1)))?.length, most);
    const s = kv.stats();
    assert.equal(s.keys, 1);
    assert.equal(s.regionBytes, region.length);
    assert.ok(s.usedBytes > most, `usedBytes ${s.usedBytes}`);
    assert.ok(s.cacheBytes <= s.cacheBytesMax);
    await kv.close();
    await rejectsCeph(kv.get(ok), 'EBADF');
  });

  it('splits a large value over several runs of pages when the page area is fragmented', async () => {
    const region = { offset: 0, length: 2 * 1024 * 1024 };
    const dev = new MemDevice(region.length);
    await formatKV(dev, region, { journalBytes: 512 * 1024 });
    let kv = await openKV(dev, region);
    const pages = kv.layout().pageCount;
    // Fill most of the page area with one-page values, then free every other one.
    const n = Math.floor(pages * 0.6);
    for (let i = 0; i < n; i += 20) {
      const b = new KVBatch();
      for (let j = i; j < Math.min(n, i + 20); j++) b.set(Buffer.from(`f${String(j).padStart(5, '0')}`), Buffer.alloc(3000, j));
      await kv.submit(b);
    }
    await kv.checkpoint();
    // Spacers take the rest of the area but a few pages, so the holes made next are all there is.
    for (let s = 0; ; s++) {
      const used = (await kv.usedRuns()).reduce((a, r) => a + r.pages, 0);
      const spare = pages - used - 40;
      if (spare <= 0) break;
      await kv.submit(new KVBatch().set(Buffer.from(`s${s}`), Buffer.alloc(Math.min(24, spare) * 4096, 1)));
      await kv.checkpoint();
    }
    const b = new KVBatch();
    for (let j = 0; j < n; j += 2) b.rm(Buffer.from(`f${String(j).padStart(5, '0')}`));
    await kv.submit(b);
    await kv.checkpoint();
    await kv.checkpoint();
    const big = Buffer.alloc(29 * 4096 + 5);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    await kv.submit(new KVBatch().set(Buffer.from('big'), big));
    await kv.close();
    kv = await openKV(dev, region);
    assert.ok((await kv.get(Buffer.from('big')))?.equals(big));
    const runs = await kv.usedRuns();
    assert.ok(!runs.some((r) => r.kind === 'value' && r.pages === 30), 'the value went into one run');
    assert.deepEqual((await kv.fsck()).errors, []);
  });

  it('keeps the page cache under cacheBytesMax while reading a tree much larger than it', async () => {
    const dev = new MemDevice(64 * 1024 * 1024);
    const region = { offset: 0, length: 64 * 1024 * 1024 };
    await formatKV(dev, region);
    let kv = await openKV(dev, region, { cacheBytesMax: 1024 * 1024 });
    for (let i = 0; i < 40; i++) {
      const b = new KVBatch();
      for (let j = 0; j < 500; j++) b.set(Buffer.from(`key-${i}-${j}`.padEnd(40, '.')), Buffer.alloc(200, j));
      await kv.submit(b);
      assert.ok(kv.stats().cacheBytes <= 1024 * 1024 * 1.25, `cache ${kv.stats().cacheBytes}`);
    }
    await kv.close();
    kv = await openKV(dev, region, { cacheBytesMax: 1024 * 1024 });
    const all = await kv.list(Buffer.alloc(0), undefined, 1e6);
    assert.equal(all.length, 20000);
    assert.ok(kv.stats().cacheBytes <= 1024 * 1024, `cache ${kv.stats().cacheBytes}`);
    assert.ok(kv.stats().usedBytes > 4 * 1024 * 1024, 'the tree is larger than the cache');
    assert.deepEqual((await kv.fsck()).errors, []);
  });
});
