// The monitor's durable store: the key-value engine from common/kv on one file in the monitor's data
// directory (Ceph keeps store.db, a RocksDB, there), with an in-memory mirror that the pure cores read
// synchronously. Monitor state is small (maps, a bounded Paxos window), so the mirror holds all of it.
//
// Keys on disk are Ceph's: prefix, a NUL byte, then the key. Every MonStoreTx becomes one atomic
// KV batch; persist() resolves once it is durable (fdatasync), and batches apply in submission order.
// After a crash, open() rebuilds the mirror from what the engine recovered, so the mirror never holds
// anything the disk would not give back (the shell applies a transaction to the mirror and persists
// it before any message that depends on it leaves: mon/core/types.ts).

import { existsSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileDevice, type BlockDevice } from '../common/blockdev/index.js';
import { CephError } from '../common/errors.js';
import { KVBatch, formatKV, openKV, type DeviceKV } from '../common/kv/index.js';
import { MemMonStore, MonStoreOpType, MonStoreTx } from './core/store.js';

/** The store file inside the data directory, and the marker naming the backend (as Ceph's kv_backend). */
export const MON_STORE_FILE = 'store.db';
export const MON_KV_BACKEND_FILE = 'kv_backend';
export const MON_KV_BACKEND = 'tsceph-kv';
/** Sparse file size: room for maps and the Paxos window with ample margin. */
export const MON_STORE_BYTES_DEFAULT = 1 << 30;
/** Entries read per list call while loading the mirror. */
const LOAD_BATCH_ENTRIES = 4096;
const SEP = 0;

export function storeKey(prefix: string, key: string): Buffer {
  const p = Buffer.from(prefix, 'utf8');
  const k = Buffer.from(key, 'utf8');
  const out = Buffer.allocUnsafe(p.length + 1 + k.length);
  p.copy(out, 0);
  out[p.length] = SEP;
  k.copy(out, p.length + 1);
  return out;
}

function splitKey(raw: Buffer): [string, string] {
  const i = raw.indexOf(SEP);
  if (i < 0) throw new CephError('EIO', `mon store: key without a prefix separator: ${raw.toString('hex').slice(0, 64)}`);
  return [raw.subarray(0, i).toString('utf8'), raw.subarray(i + 1).toString('utf8')];
}

export function toKVBatch(tx: MonStoreTx): KVBatch {
  const b = new KVBatch();
  for (const op of tx.ops) {
    switch (op.type) {
      case MonStoreOpType.PUT: b.set(storeKey(op.prefix, op.key), op.value); break;
      case MonStoreOpType.ERASE: b.rm(storeKey(op.prefix, op.key)); break;
      case MonStoreOpType.ERASE_RANGE: b.rmRange(storeKey(op.prefix, op.key), storeKey(op.prefix, op.endKey)); break;
      case MonStoreOpType.COMPACT: break;
    }
  }
  return b;
}

export class MonStore {
  private closed = false;
  private constructor(readonly dir: string, private readonly kv: DeviceKV, private readonly dev: BlockDevice, readonly mem: MemMonStore) {}

  /** True when `dir` holds a monitor store. */
  static exists(dir: string): boolean {
    return existsSync(join(dir, MON_STORE_FILE));
  }

  /** Create an empty store in `dir` (created if missing). EEXIST if one is there already. */
  static async mkfs(dir: string, bytes = MON_STORE_BYTES_DEFAULT): Promise<void> {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, MON_STORE_FILE);
    if (existsSync(path)) throw new CephError('EEXIST', `${dir}: a monitor store exists already (${MON_STORE_FILE})`);
    const dev = await FileDevice.open(path, { size: bytes, create: true });
    try {
      await formatKV(dev, { offset: 0, length: dev.size });
    } finally {
      await dev.close();
    }
    writeFileSync(join(dir, MON_KV_BACKEND_FILE), `${MON_KV_BACKEND}\n`);
  }

  /** Open the store and load it into the in-memory mirror (replaying the engine's journal first). */
  static async open(dir: string): Promise<MonStore> {
    const path = join(dir, MON_STORE_FILE);
    if (!existsSync(path)) throw new CephError('ENOENT', `${dir}: no monitor store (${MON_STORE_FILE}); create it with ceph-mon --mkfs`);
    const backendFile = join(dir, MON_KV_BACKEND_FILE);
    if (existsSync(backendFile)) {
      const backend = readFileSync(backendFile, 'utf8').trim();
      if (backend !== MON_KV_BACKEND) throw new CephError('EINVAL', `${dir}: store backend is '${backend}', this build reads '${MON_KV_BACKEND}' only`);
    }
    return MonStore.load(dir, await FileDevice.open(path));
  }

  /**
   * Create an empty store on a block device the caller owns (a simulation's in-memory device instead
   * of the file in a data directory). `uuid` names the KV engine's format (random when omitted).
   */
  static async mkfsOn(dev: BlockDevice, uuid?: Buffer): Promise<void> {
    await formatKV(dev, { offset: 0, length: dev.size }, uuid ? { uuid } : {});
  }

  /** Open a store made with mkfsOn; close() closes the device too. */
  static async openOn(dev: BlockDevice): Promise<MonStore> {
    return MonStore.load('', dev);
  }

  private static async load(dir: string, dev: BlockDevice): Promise<MonStore> {
    let kv: DeviceKV;
    try {
      kv = await openKV(dev, { offset: 0, length: dev.size });
    } catch (e) {
      await dev.close();
      throw e;
    }
    const mem = new MemMonStore();
    let start = Buffer.alloc(0);
    for (;;) {
      const entries = await kv.list(start, undefined, LOAD_BATCH_ENTRIES);
      if (entries.length === 0) break;
      const tx = new MonStoreTx();
      for (const e of entries) {
        const [prefix, key] = splitKey(e.key);
        tx.put(prefix, key, Buffer.from(e.value));
      }
      mem.apply(tx);
      const last = entries[entries.length - 1]!.key;
      start = Buffer.concat([last, Buffer.from([0])]);
      if (entries.length < LOAD_BATCH_ENTRIES) break;
    }
    return new MonStore(dir, kv, dev, mem);
  }

  /** Make a transaction durable. The caller has applied it to `mem` already (the cores did). */
  async persist(tx: MonStoreTx): Promise<void> {
    if (this.closed) throw new CephError('ESHUTDOWN', 'mon store is closed');
    const batch = toKVBatch(tx);
    if (batch.empty) return;
    await this.kv.submit(batch, true);
  }

  /** Apply to the mirror and persist (for the shell's own writes, e.g. mkfs). */
  async applyAndPersist(tx: MonStoreTx): Promise<void> {
    this.mem.apply(tx);
    await this.persist(tx);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.kv.close();
    } finally {
      await this.dev.close().catch(() => undefined);
    }
  }
}
