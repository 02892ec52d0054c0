// Every limit BlockStore keeps, in one place, units last. Relations between them are asserted below
// when the module loads.

import { assert } from '../../../common/errors.js';
import { BLOCK_BYTES } from '../../../common/blockdev/types.js';

/** The allocation and checksum unit: one crc32c per block of object data. */
export { BLOCK_BYTES };

/** Logical blocks one extent-map shard (one KV record) covers: 64 x 4 KiB = 256 KiB of an object. */
export const SHARD_BLOCKS = 64;
export const SHARD_SHIFT = 6;

/** Superblock: the first block of the device. The KV region starts after SUPERBLOCK_AREA_BYTES. */
export const SUPERBLOCK_AREA_BYTES = 64 * 1024;

/** KV region: 1/16 of the device, clamped to [KV_REGION_BYTES_MIN, KV_REGION_BYTES_MAX], 1 MiB aligned. */
export const KV_REGION_FRACTION = 16;
export const KV_REGION_BYTES_MIN = 16 * 1024 * 1024;
export const KV_REGION_BYTES_MAX = 4 * 1024 * 1024 * 1024;
export const KV_REGION_ALIGN_BYTES = 1024 * 1024;

/** The KV engine's journal: a quarter of the KV region (its batches may be a quarter of the journal), within bounds. */
export const KV_JOURNAL_FRACTION = 4;
export const KV_JOURNAL_BYTES_MIN = 256 * 1024;
export const KV_JOURNAL_BYTES_MAX = 1024 * 1024 * 1024;
/** Deferred (journaled) bytes one transaction may carry; overwrites past it go to new blocks. */
export const DEFERRED_TXN_BYTES_MAX = 4 * 1024 * 1024;

/** Smallest device mkfs accepts: the superblock area, the minimum KV region and 1 MiB of data. */
export const DEVICE_BYTES_MIN = SUPERBLOCK_AREA_BYTES + KV_REGION_BYTES_MIN + 1024 * 1024;
/** Block numbers are u32 in extent maps: 16 TiB of data region at most. */
export const DATA_BLOCKS_MAX = 0xffff_ffff;

/** Overwrites of blocks an object already owns, up to this many bytes per op, go through the journal (deferred). */
export const DEFERRED_WRITE_BYTES_MAX = 64 * 1024;
/**
 * Writes to blocks an object does not own yet (a new object, an append, a hole), up to this many bytes
 * per op, go through the journal too: the transaction then takes one flush (the KV's) instead of two
 * (new data, then the KV), and its blocks are written in place after the commit. BlueStore does the
 * same below bluestore_prefer_deferred_size_hdd (64 KiB in Ceph 16).
 */
export const DEFERRED_FRESH_WRITE_BYTES_MAX = 64 * 1024;
/** Default cap on deferred bytes committed but not yet written in place; new transactions wait above it. */
export const DEFERRED_PENDING_BYTES_MAX = 64 * 1024 * 1024;
/** Deferred records kept in the KV before the shell flushes the device and removes them in one batch. */
export const DEFERRED_RECORDS_MAX = 1024;
/**
 * Deferred record buffers are reused (recordpool.ts) in power-of-two sizes from this one up to
 * DEFERRED_RECORD_POOL_BUFFER_BYTES_MAX; a bigger record takes a buffer of its own. A QD32 group of
 * 4 KiB overwrites makes a record of ~131 KiB: the 256 KiB class.
 */
export const DEFERRED_RECORD_POOL_BUFFER_BYTES_MIN = 16 * 1024;
export const DEFERRED_RECORD_POOL_BUFFER_BYTES_MAX = 1024 * 1024;
/** Free buffers each size class keeps (records alive at once: the group in the KV, the one being written in place, one spare). */
export const DEFERRED_RECORD_POOL_FREE_PER_CLASS = 4;

/** Default byte cap of the onode cache (onodes, attrs and extent maps). */
export const CACHE_BYTES_MAX = 64 * 1024 * 1024;
/** Estimated fixed bytes of one cached onode beyond its attrs and extent shards. */
export const ONODE_OVERHEAD_BYTES = 256;
/** Estimated bytes of one cached extent shard (two typed arrays of SHARD_BLOCKS u32 plus overhead). */
export const SHARD_CACHE_BYTES = SHARD_BLOCKS * 8 + 64;

/** Node ids are reserved in steps of this many, so a batch writes the reservation key rarely. */
export const NID_RESERVE_STEP = 1024;

/** Keys read per KV list call when scanning (mount, fsck, listing). */
export const SCAN_PAGE_ENTRIES = 1024;

assert(1 << SHARD_SHIFT === SHARD_BLOCKS, 'SHARD_SHIFT matches SHARD_BLOCKS');
assert(SHARD_BLOCKS <= 0xffff, 'shard offsets fit u16');
assert(DEFERRED_RECORD_POOL_BUFFER_BYTES_MIN > 0 && DEFERRED_RECORD_POOL_BUFFER_BYTES_MAX >= DEFERRED_RECORD_POOL_BUFFER_BYTES_MIN, 'record pool classes');
assert(DEFERRED_WRITE_BYTES_MAX % BLOCK_BYTES === 0, 'deferred threshold is whole blocks');
assert(DEFERRED_PENDING_BYTES_MAX >= DEFERRED_FRESH_WRITE_BYTES_MAX, 'one journaled new-block op fits the pending cap');
assert(DEFERRED_PENDING_BYTES_MAX >= DEFERRED_WRITE_BYTES_MAX, 'one deferred op fits the pending cap');
assert(SUPERBLOCK_AREA_BYTES % BLOCK_BYTES === 0 && KV_REGION_ALIGN_BYTES % BLOCK_BYTES === 0, 'regions are block aligned');
assert(KV_REGION_BYTES_MIN <= KV_REGION_BYTES_MAX, 'KV region bounds are ordered');
