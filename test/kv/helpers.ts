// Shared pieces of the KV engine tests: seeded keys, values and batches, and a full-state comparison
// against MemKV.
import { strict as assert } from 'node:assert';
import { KVBatch, type KVStore } from '../../common/kv/index.js';
import type { Rng } from '../support/rng.js';

const PREFIXES = ['', 'a', 'ab', 'abc', 'O_pool1_', 'O_pool1_obj', 'M_', 'D_\u0000\u0001', 'zz'].map((p) => Buffer.from(p, 'latin1'));

/** A key from a smallish space (so sets, overwrites and removes meet), with shared prefixes. */
export function randKey(rng: Rng, space = 400): Buffer {
  const p = rng.pick(PREFIXES);
  const n = rng.int(0, space);
  const tail = rng.chance(0.05) ? Buffer.alloc(rng.int(0, 300), n & 0xff) : Buffer.alloc(0);
  return Buffer.concat([p, Buffer.from(n.toString(36), 'latin1'), tail]);
}

/** 0 B..100 KiB, mostly small; content derived from the rng. */
export function randValue(rng: Rng): Buffer {
  const r = rng.next();
  const len = r < 0.5 ? rng.int(0, 64) : r < 0.8 ? rng.int(0, 1200) : r < 0.95 ? rng.int(1000, 9000) : rng.int(9000, 100 * 1024);
  const b = Buffer.allocUnsafe(len);
  let x = rng.u32() | 1;
  for (let i = 0; i < len; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

export function randBatch(rng: Rng, opsMax = 12, space = 400): KVBatch {
  const b = new KVBatch();
  const n = rng.int(1, opsMax);
  for (let i = 0; i < n; i++) {
    const r = rng.next();
    if (r < 0.65) b.set(randKey(rng, space), randValue(rng));
    else if (r < 0.92) b.rm(randKey(rng, space));
    else {
      const a = randKey(rng, space);
      const c = rng.chance(0.5) ? Buffer.concat([a, Buffer.from([rng.int(0, 255)])]) : randKey(rng, space);
      b.rmRange(a, c);
    }
  }
  return b;
}

/** Every entry of a store, in order, through list() pages of `page` entries. */
export async function dump(kv: KVStore, page = 97): Promise<{ key: Buffer; value: Buffer }[]> {
  const out: { key: Buffer; value: Buffer }[] = [];
  let from = Buffer.alloc(0);
  for (;;) {
    const got = await kv.list(from, undefined, page);
    out.push(...got);
    if (got.length < page) return out;
    from = Buffer.concat([got[got.length - 1]!.key, Buffer.alloc(1)]);
  }
}

export function describeEntries(es: { key: Buffer; value: Buffer }[]): string[] {
  return es.map((e) => `${e.key.toString('hex')}=${e.value.length}:${e.value.subarray(0, 8).toString('hex')}`);
}

/** Assert two stores hold the same entries; `what` goes in the message. */
export async function assertSameState(got: KVStore, want: KVStore, what: string): Promise<void> {
  const a = await dump(got);
  const b = await dump(want);
  if (a.length !== b.length || a.some((e, i) => !e.key.equals(b[i]!.key) || !e.value.equals(b[i]!.value))) {
    assert.deepEqual(describeEntries(a), describeEntries(b), what);
  }
}

/** The env var as a positive integer, or the default. */
export function envInt(name: string, dflt: number): number {
  const v = process.env[name];
  return v && /^\d+$/.test(v) ? Number(v) : dflt;
}
