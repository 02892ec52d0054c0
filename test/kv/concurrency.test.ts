// Proves reads stay right while writes and checkpoints run under them: concurrent writers, readers and listers on a jittered FaultyDevice (I/O completions reorder) with a small cache and frequent checkpoints never see EIO, a value never written for a key, or a list out of order. Env: KV_SEED=<n> replays one seed.
import { strict as assert } from 'node:assert';
import { FaultyDevice } from '../../common/blockdev/index.js';
import { KVBatch, formatKV, openKV } from '../../common/kv/index.js';
import { Rng, caseSeed } from '../support/rng.js';

const REGION = { offset: 0, length: 6 * 1024 * 1024 };

/** One event-loop turn: a reader served from the cache alone would otherwise never let I/O complete. */
function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A value naming its key and version, `len` bytes long (large ones go to their own pages). */
function valueOf(key: string, version: number, len: number): Buffer {
  const head = Buffer.from(`${key}#${version}#`);
  const b = Buffer.alloc(Math.max(len, head.length), 0x2e);
  head.copy(b);
  return b;
}

describe('kv: concurrent reads during writes and checkpoints', function () {
  this.timeout(120000);
  const only = process.env.KV_SEED;
  const seeds = only ? [Number(only)] : [0, 1, 2].map((i) => caseSeed(0x636f6e63, i));
  for (const seed of seeds) {
    it(`seed=${seed}`, async () => {
      const rng = new Rng(seed);
      const dev = new FaultyDevice(REGION.length, rng, { jitter: true });
      await formatKV(dev, REGION, { journalBytes: 512 * 1024 });
      const kv = await openKV(dev, REGION, { cacheBytesMax: 1024 * 1024 });
      const versions = new Map<string, number>();
      const keys = Array.from({ length: 120 }, (_, i) => `k${(i * 7919) % 1000}`.padEnd(rng.int(3, 60), '_'));
      let writing = true;
      const writer = async (): Promise<void> => {
        for (let i = 0; i < 300; i++) {
          const b = new KVBatch();
          for (let j = 0; j < rng.int(1, 6); j++) {
            const k = rng.pick(keys);
            if (rng.chance(0.15)) b.rm(Buffer.from(k));
            else {
              const v = (versions.get(k) ?? 0) + 1;
              versions.set(k, v);
              b.set(Buffer.from(k), valueOf(k, v, rng.chance(0.2) ? rng.int(2000, 20000) : rng.int(0, 900)));
            }
          }
          await kv.submit(b, rng.chance(0.7));
          if (rng.chance(0.03)) await kv.checkpoint();
        }
      };
      const reader = async (): Promise<void> => {
        while (writing) {
          await turn();
          const k = rng.pick(keys);
          const got = await kv.get(Buffer.from(k));
          if (got) {
            const [name, version] = got.toString('latin1').split('#');
            assert.equal(name, k, `seed=${seed}: value of another key under ${k}`);
            assert.ok(Number(version) >= 1 && Number(version) <= (versions.get(k) ?? 0), `seed=${seed}: version ${version} of ${k} never written`);
          }
        }
      };
      const lister = async (): Promise<void> => {
        while (writing) {
          await turn();
          const page = await kv.list(Buffer.from(rng.pick(keys)), undefined, rng.int(1, 40));
          for (let i = 1; i < page.length; i++) assert.ok(Buffer.compare(page[i - 1]!.key, page[i]!.key) < 0, `seed=${seed}: list out of order`);
          for (const e of page) assert.equal(e.value.toString('latin1').split('#')[0], e.key.toString(), `seed=${seed}: list value of another key`);
        }
      };
      const readers = [reader(), reader(), reader(), lister()];
      try {
        await Promise.all([writer(), writer()]);
      } finally {
        writing = false;
      }
      await Promise.all(readers);
      assert.deepEqual((await kv.fsck()).errors, [], `seed=${seed}: fsck`);
      await kv.close();
    });
  }
});
