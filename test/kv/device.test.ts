// Proves the engine on real and failing devices: a file-backed store (as the monitors will use) survives close and reopen through a new FileDevice; device EIO on reads is EIO to the caller, and on journal writes or flushes fails the submit and stops the store, after which a reopen holds every acknowledged batch.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FaultyDevice, FileDevice } from '../../common/blockdev/index.js';
import { KVBatch, formatKV, fsckKV, openKV } from '../../common/kv/index.js';
import { rejectsCeph } from '../support/ceph-error.js';
import { Rng } from '../support/rng.js';

const REGION = { offset: 0, length: 4 * 1024 * 1024 };

describe('kv: on a file and on failing devices', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'tsceph-kv-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps its data in a file across close and reopen', async () => {
    const path = join(dir, 'mon.kv');
    let dev = await FileDevice.open(path, { size: 8 * 1024 * 1024, create: true });
    const region = { offset: 0, length: 8 * 1024 * 1024 };
    await formatKV(dev, region);
    let kv = await openKV(dev, region);
    for (let i = 0; i < 50; i++) {
      const b = new KVBatch().set(Buffer.from(`paxos_${String(i).padStart(4, '0')}`), Buffer.alloc(100 + i * 97, i));
      if (i % 10 === 9) b.rmRange(Buffer.from(`paxos_${String(i - 9).padStart(4, '0')}`), Buffer.from(`paxos_${String(i - 5).padStart(4, '0')}`));
      await kv.submit(b);
    }
    await kv.close();
    await dev.close();
    dev = await FileDevice.open(path);
    kv = await openKV(dev, region);
    const all = await kv.list(Buffer.from('paxos_'), Buffer.from('paxos`'), 1000);
    assert.equal(all.length, 30);
    assert.equal((await kv.get(Buffer.from('paxos_0049')))?.length, 100 + 49 * 97);
    await kv.close();
    assert.deepEqual((await fsckKV(dev, region)).errors, []);
    await dev.close();
  });

  it('a failing read is EIO to the caller and the store goes on', async () => {
    const dev = new FaultyDevice(REGION.length, new Rng(1));
    await formatKV(dev, REGION);
    let kv = await openKV(dev, REGION);
    await kv.submit(new KVBatch().set(Buffer.from('a'), Buffer.alloc(5000, 1)).set(Buffer.from('b'), Buffer.from('small')));
    await kv.close();
    kv = await openKV(dev, REGION);
    dev.failReads = () => true;
    await rejectsCeph(kv.get(Buffer.from('a')), 'EIO');
    dev.failReads = undefined;
    assert.equal((await kv.get(Buffer.from('a')))?.length, 5000);
    assert.equal((await kv.get(Buffer.from('b')))?.toString(), 'small');
  });

  it('a failing journal write or flush fails the submit and stops the store; reopen holds the acknowledged batches', async () => {
    for (const what of ['write', 'flush'] as const) {
      const dev = new FaultyDevice(REGION.length, new Rng(2));
      await formatKV(dev, REGION);
      const kv = await openKV(dev, REGION);
      await kv.submit(new KVBatch().set(Buffer.from('kept'), Buffer.from('1')));
      if (what === 'write') dev.failWrites = () => true;
      else dev.failFlushes = true;
      await rejectsCeph(kv.submit(new KVBatch().set(Buffer.from('lost'), Buffer.from('2'))), 'EIO');
      await rejectsCeph(kv.submit(new KVBatch().set(Buffer.from('after'), Buffer.from('3'))), 'EIO');
      dev.failWrites = undefined;
      dev.failFlushes = false;
      const again = await openKV(FaultyDevice.fromImage(dev.crash(), new Rng(3)), REGION);
      assert.equal((await again.get(Buffer.from('kept')))?.toString(), '1', what);
      assert.equal(await again.get(Buffer.from('after')), undefined, what);
    }
  });
});
