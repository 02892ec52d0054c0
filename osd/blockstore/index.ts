// BlockStore's public entry: the store, its options, the superblock reader for tools, and the layout.
export { BlockStore, deviceKVFactory, memKVFactory, readBlockStoreSuperblock, type BlockStoreLogger, type BlockStoreOptions, type KVFactory } from './blockstore.js';
export { decodeSuperblock, planLayout, SUPERBLOCK_MAGIC, FORMAT_VERSION, type Region, type Superblock } from './core/layout.js';
export * as blockstoreLimits from './core/limits.js';
