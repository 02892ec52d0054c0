// librados for tsceph: the public entry. `const rados = await Rados.connect({ conf })`, pool commands,
// `rados.ioctx(pool)` for object operations; errors are CephError (common/errors) with Ceph's errno name.
export { Rados, CONNECT_TIMEOUT_MS, POOL_MAP_WAIT_MS, POOL_PG_NUM_DEFAULT, STATFS_TIMEOUT_MS, poolStatsFrom, type ConnectOptions, type ClusterStats, type PoolStats } from './rados.js';
export { IoCtx, OMAP_PAGE_KEYS, type ObjectStat, type OpOptions, type OperateResult } from './ioctx.js';
export {
  CmpExtMismatch, MAX_ERRNO, OMAP_GET_KEYS_DEFAULT, ObjectOperation, OpSlot, ReadOp, WriteOp, opOmapCmp, type CompareOp, type OmapPage, type SparseExtents,
} from './operation.js';
export { Objecter, OPS_IN_FLIGHT_MAX, OP_BYTES_IN_FLIGHT_MAX, OP_TIMEOUT_MS, OP_TIMEOUT_TICK_MS, RESEND_DELAY_MS, type ObjecterOptions, type OpTarget, type OpResult, type SubmitOptions } from './objecter.js';
export { LIST_PAGE_ENTRIES } from './ops.js';
export { ALL_NSPACES, type ListEntry } from '../msg/messages/pgnls.js';
export { CephError } from '../common/errors.js';
