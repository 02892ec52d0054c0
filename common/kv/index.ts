// The key-value engine's one public entry: the contract, the in-memory store, and the device engine.
export * from './types.js';
export { MemKV } from './memkv.js';
export { DeviceKV, formatKV, openKV, fsckKV, type KVRegion, type FormatKVOptions, type OpenKVOptions, type KVFsckReport } from './devicekv.js';
export * as kvLimits from './core/limits.js';
