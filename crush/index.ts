// The crush component's public entry: everything other components (osdmaptool, the OSDMap, the
// monitor's CRUSH commands, tests) need from crush/, re-exported from the module that owns it.
//  - types.ts: the data model (CrushMap, CrushNames, constants)
//  - hash.ts, mapper.ts: rjenkins1 and crush_do_rule
//  - builder.ts, tunables.ts: Ceph's builder.c and tunables profiles
//  - wrapper.ts: CrushWrapper (names, classes, edit operations)
//  - compiler.ts, decompiler.ts: crushtool's text format both ways
//  - encoding.ts: the binary map encoding both ways
//  - dump.ts, tree.ts: `crushtool --dump` and `--tree`
//  - tester.ts, build.ts: `crushtool --test` and `--build`
export * from './types.js';
export * from './hash.js';
export * from './mapper.js';
export * from './builder.js';
export * from './tunables.js';
export * from './wrapper.js';
export * from './compiler.js';
export * from './decompiler.js';
export * from './encoding.js';
export * from './dump.js';
export * from './tree.js';
export * from './tester.js';
export * from './build.js';
export * from './upmap.js';
// Names two modules both export, pinned to one of them.
export { emptyCrushNames } from './types.js';
export { bucketAlgName } from './builder.js';
