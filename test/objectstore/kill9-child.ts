// The process kill9.test.ts kills: it formats (or mounts) a BlockStore on a file-backed device and
// queues the seeded transaction sequence from a given index at queue depth 8, printing one line per
// event so the parent knows what was acknowledged before the SIGKILL:
//   ready <start>      mounted, about to queue transaction <start>
//   q <i>              transaction i queued
//   c <i>              transaction i's promise resolved (it claims to be durable)
//   r <i> <errno>      transaction i rejected
//   done               every transaction settled and the store unmounted
// Usage: node kill9-child.js <device path> <seed> <start index> <mkfs|mount> <count> [deviceBytes]
//
// TxSequence (exported) is the sequence both processes generate: transaction i is drawn from the rng
// against the model after transactions 0..i-1, so it depends only on the seed, never on a store.

import { pathToFileURL } from 'node:url';
import { CephError } from '../../common/errors.js';
import { FileDevice } from '../../common/blockdev/index.js';
import type { Transaction } from '../../osd/objectstore/types.js';
import { BlockStore } from '../../osd/blockstore/index.js';
import { Rng } from '../support/rng.js';
import { StoreModel, randomTransaction, type RandomTxOptions } from '../support/store-model.js';

/** Small enough that the device never fills. */
export const KILL9_TX_OPTIONS: RandomTxOptions = { opsMax: 6, writeBytesMax: 96 * 1024, objectBytesMax: 192 * 1024, names: 12, invalidChance: 0.05 };
export const KILL9_DEVICE_BYTES = 64 * 1024 * 1024;
export const KILL9_QUEUE_DEPTH = 8;

/** The seeded transaction sequence, generated in order from the model. */
export class TxSequence {
  private readonly rng: Rng;
  /** models.get(i): the state after transactions 0..i-1 the model accepts (kept from `keepFrom` on). */
  private readonly models = new Map<number, StoreModel>();
  private current = new StoreModel();
  private readonly expect: boolean[] = [];

  constructor(seed: number, private readonly keepFrom = 0) {
    this.rng = new Rng(seed);
    if (keepFrom === 0) this.models.set(0, this.current);
  }

  /** Transactions generated so far. */
  get length(): number {
    return this.expect.length;
  }

  /** Generate the next transaction (index `length`). */
  next(): Transaction {
    const t = randomTransaction(this.rng, this.current, KILL9_TX_OPTIONS);
    const after = this.current.clone();
    let ok = true;
    try {
      after.apply(t);
    } catch {
      ok = false;
    }
    this.expect.push(ok);
    if (ok) this.current = after;
    if (this.expect.length >= this.keepFrom) this.models.set(this.expect.length, this.current);
    return t;
  }

  /** Generate up to index n (exclusive). */
  advanceTo(n: number): void {
    while (this.expect.length < n) this.next();
  }

  /** The model after the first k transactions. */
  model(k: number): StoreModel {
    this.advanceTo(k);
    const m = this.models.get(k);
    if (!m) throw new Error(`TxSequence: model ${k} was not kept (keepFrom ${this.keepFrom})`);
    return m;
  }

  expectOk(i: number): boolean {
    this.advanceTo(i + 1);
    return this.expect[i]!;
  }
}

function line(s: string): void {
  // stdout to a pipe is synchronous on Linux: a line written is in the parent's pipe before any kill.
  process.stdout.write(`${s}\n`);
}

async function main(argv: string[]): Promise<void> {
  const [path, seedText, startText, mode, countText, bytesText] = argv;
  if (!path || !seedText || !startText || (mode !== 'mkfs' && mode !== 'mount') || !countText) {
    throw new Error('usage: kill9-child.js <device path> <seed> <start> <mkfs|mount> <count> [deviceBytes]');
  }
  const start = Number(startText);
  const count = Number(countText);
  const seq = new TxSequence(Number(seedText), Number.MAX_SAFE_INTEGER);
  seq.advanceTo(start);
  const dev = await FileDevice.open(path, mode === 'mkfs' ? { size: Number(bytesText ?? KILL9_DEVICE_BYTES), create: true } : {});
  const store = new BlockStore(dev);
  if (mode === 'mkfs') await store.mkfs();
  await store.mount();
  line(`ready ${start}`);
  let next = start;
  let outstanding = 0;
  await new Promise<void>((resolve, reject) => {
    const pump = (): void => {
      while (outstanding < KILL9_QUEUE_DEPTH && next < start + count) {
        const i = next++;
        const t = seq.next();
        outstanding++;
        line(`q ${i}`);
        store.queueTransaction(t).then(
          () => line(`c ${i}`),
          (err: unknown) => {
            if (!(err instanceof CephError)) throw err;
            line(`r ${i} ${err.code}`);
          },
        ).then(() => {
          outstanding--;
          pump();
        }, reject);
      }
      if (outstanding === 0 && next >= start + count) resolve();
    };
    pump();
  });
  await store.umount();
  await dev.close();
  line('done');
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`kill9-child: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });
}
