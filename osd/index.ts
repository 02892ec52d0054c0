// The OSD component's public entry. Today: the ObjectStore contract and its two backends, MemStore (in
// memory, for simulations and tests) and BlockStore (a raw block device). Other components and bin/
// import from here, never from osd/'s subfolders.
export * from './objectstore/types.js';
export { MemStore } from './objectstore/memstore.js';
export * from './blockstore/index.js';
// The OSD daemon (osd/osd.ts) and its heartbeat bookkeeping (osd/heartbeat.ts).
export { OSD, mkfsOsd, readOsdSuperblock, defaultPgFactory, mosdPingWire, mpingHeartbeatWire, type OsdOptions, type OsdState, type PgFactory } from './osd.js';
export { Heartbeat, type HeartbeatConfig, type HeartbeatWire, type PingInfo } from './heartbeat.js';
