// The MonMap component's public entry: the data model (types.ts), Ceph 16's binary codec
// (encoding.ts) and building, lookups and views (monmap.ts).
export * from './types.js';
export * from './encoding.js';
export * from './monmap.js';
