// Proves BlockStore keeps the ObjectStore contract: the shared compliance suite (a test per rule, then a
// seeded random run against the reference model with remounts) on a RAM device, on a small file, and on a
// FaultyDevice whose reads and writes complete out of order (no crash: it shakes the pipeline's ordering).
// Replay a random failure with STORE_SEED=<n> (see test/objectstore/compliance.ts for the other knobs).

import { mkdirSync, rmSync } from 'node:fs';
import { FaultyDevice, MemDevice, FileDevice, type BlockDevice } from '../../common/blockdev/index.js';
import { BlockStore } from '../../osd/blockstore/index.js';
import type { ObjectStore } from '../../osd/objectstore/types.js';
import { complianceSuite } from './compliance.js';
import { Rng } from '../support/rng.js';

const MiB = 1024 * 1024;
const devices = new WeakMap<ObjectStore, BlockDevice>();
const quiet = { error: (): void => {}, warn: (): void => {} };

function factory(makeDevice: () => Promise<BlockDevice>) {
  return {
    async create(): Promise<ObjectStore> {
      const dev = await makeDevice();
      const s = new BlockStore(dev, { logger: quiet });
      await s.mkfs();
      await s.mount();
      devices.set(s, dev);
      return s;
    },
    async remount(store: ObjectStore): Promise<ObjectStore> {
      const dev = devices.get(store)!;
      await store.umount();
      const s = new BlockStore(dev, { logger: quiet });
      await s.mount();
      devices.set(s, dev);
      return s;
    },
    async destroy(store: ObjectStore): Promise<void> {
      await store.umount();
      const dev = devices.get(store)!;
      await dev.close();
      if (dev.name.startsWith(dir)) rmSync(dev.name, { force: true });
    },
  };
}

complianceSuite('blockstore (MemDevice)', factory(async () => new MemDevice(128 * MiB)));

const dir = '/tmp/h4-blockstore/compliance';
let fileNo = 0;
complianceSuite('blockstore (FileDevice)', factory(async () => {
  mkdirSync(dir, { recursive: true });
  const path = `${dir}/dev-${process.pid}-${fileNo++}`;
  rmSync(path, { force: true });
  return FileDevice.open(path, { size: 64 * MiB, create: true });
}), { iterations: 300 });

let jitterNo = 0;
complianceSuite('blockstore (FaultyDevice, jittered completions)', factory(async () => new FaultyDevice(64 * MiB, new Rng(++jitterNo), { jitter: true })), { iterations: 500 });
