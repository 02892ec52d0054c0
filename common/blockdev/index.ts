// The block devices' one public entry: the contract and its three implementations.
export * from './types.js';
export { MemDevice, checkRange, checkDeviceSize, listBytes } from './mem.js';
export { FileDevice, fsError, type FileDeviceOptions } from './file.js';
export { FaultyDevice, type FaultRng, type FaultyDeviceOptions, type FaultyDeviceStats, type CrashFates } from './faulty.js';
