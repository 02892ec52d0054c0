// What the BlockStore read and data-list tests (read.test.ts, pieces.test.ts) share: a logger that keeps
// its errors, seeded random bytes, and a fresh store on a memory device with one PG collection.

import type { MemDevice } from '../../common/blockdev/index.js';
import { BlockStore, memKVFactory } from '../../osd/blockstore/index.js';
import { pgCollection, Transaction } from '../../osd/objectstore/types.js';
import type { Rng } from '../support/rng.js';

export const PG = pgCollection(1, 0);

/** A logger that prints nothing and keeps the errors it was given. */
export function quietLogger(): { errors: string[]; error(m: string): void; warn(m: string): void } {
  const errors: string[] = [];
  return { errors, error: (m) => void errors.push(m), warn: () => {} };
}

/** `n` seeded random bytes (any `n`: the last word is cut). */
export function randomBytes(rng: Rng, n: number): Buffer {
  const b = Buffer.allocUnsafe(n + 4);
  for (let i = 0; i < n; i += 4) b.writeUInt32LE(rng.u32(), i);
  return b.subarray(0, n);
}

/** A BlockStore made, mounted and holding PG, on `dev` with the memory KV. */
export async function fresh(dev: MemDevice, log = quietLogger()): Promise<BlockStore> {
  const s = new BlockStore(dev, { logger: log, kv: memKVFactory });
  await s.mkfs();
  await s.mount();
  await s.queueTransaction(new Transaction().createCollection(PG, 0));
  return s;
}
