// The OSDMap component's public entry (it lives in common/ because monitors, OSDs, clients and tools
// all share it): the map model, placement, the binary codec, incrementals and osdmaptool's views.
//  - types.ts: the data model (OSDMapData, PgPool, PgId, addresses, OSD records, the Incremental)
//  - osdmap.ts: the OSDMap class and record constructors with Ceph's defaults
export * from './types.js';
export * from './osdmap.js';
export * from './build.js';
export * from './hash.js';
export * from './encoding.js';
export * from './placement.js';
export * from './incremental.js';
export * from './print.js';
export * from './dump.js';
export * from './tree.js';
export * from './tester.js';
export * from './health.js';
export * from './upmap.js';
export * from './balancer.js';
