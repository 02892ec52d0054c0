// librados for tsceph: the public entry. `const rados = await Rados.connect({ conf })`, pool commands,
// `rados.ioctx(pool)` for object operations; errors are CephError (common/errors) with Ceph's errno name.
export { Rados, CONNECT_TIMEOUT_MS, POOL_MAP_WAIT_MS, POOL_PG_NUM_DEFAULT, type ConnectOptions } from './rados.js';
export { IoCtx, OMAP_PAGE_KEYS, type ObjectStat, type OpOptions } from './ioctx.js';
export { Objecter, OPS_IN_FLIGHT_MAX, OP_BYTES_IN_FLIGHT_MAX, OP_TIMEOUT_MS, RESEND_DELAY_MS, type ObjecterOptions, type OpTarget, type OpResult } from './objecter.js';
export { ALL_NSPACES, LIST_PAGE_ENTRIES, type ListEntry } from './ops.js';
export { CephError } from '../common/errors.js';
