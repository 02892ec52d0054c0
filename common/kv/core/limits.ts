// Every bound of the key-value engine, in one place, with its unit last. The relations the engine
// depends on are asserted when this module loads.

import { assert } from '../../errors.js';

/** The unit of the page area: one B+tree node page, one overflow value page. */
export const PAGE_BYTES = 4096;
/** The journal's write unit: every group record starts on a fresh sector so a torn write never harms an older record. */
export const JOURNAL_ALIGN_BYTES = 512;
/** Bytes of one header block; the region opens with two of them. */
export const HEADER_BYTES = 4096;

/** Largest key. A node holding one such key spans several pages (see NODE_PAGES_MAX). */
export const KEY_BYTES_MAX = 16 * 1024;
/** Largest value. Values over VALUE_INLINE_BYTES_MAX live in their own run of overflow pages. */
export const VALUE_BYTES_MAX = 16 * 1024 * 1024;
/** Values up to this size are stored in the leaf; larger ones in overflow pages. */
export const VALUE_INLINE_BYTES_MAX = 1024;
/** Most runs of pages one large value may be split over when the page area is fragmented. */
export const VALUE_RUNS_MAX = 64;
/** Largest batch (keys plus values); a store also refuses batches over a quarter of its journal. */
export const BATCH_BYTES_MAX = 64 * 1024 * 1024;
/** Most ops in one batch. */
export const BATCH_OPS_MAX = 1 << 20;

/** A node normally fits one page; one holding a huge key spans up to this many contiguous pages. */
export const NODE_PAGES_MAX = 16;
/** Deepest tree the engine walks (a guard against a corrupt page forming a cycle). */
export const TREE_DEPTH_MAX = 32;

/** Default page cache bound (clean and dirty pages). */
export const CACHE_BYTES_MAX_DEFAULT = 64 * 1024 * 1024;
/** Smallest page cache accepted: a few tree paths plus a checkpoint's worth of dirty pages. */
export const CACHE_BYTES_MIN = 1024 * 1024;

/** Journal ring size bounds (the default is the region's 1/16 within them). */
export const JOURNAL_BYTES_MIN = 256 * 1024;
export const JOURNAL_BYTES_MAX = 1024 * 1024 * 1024;
export const JOURNAL_REGION_DIVISOR = 16;
/** Fewest pages a region's page area may have. */
export const PAGE_AREA_PAGES_MIN = 64;
/** Smallest region: two headers, the smallest journal and the smallest page area. */
export const REGION_BYTES_MIN = 2 * HEADER_BYTES + JOURNAL_BYTES_MIN + PAGE_AREA_PAGES_MIN * PAGE_BYTES;
/** Largest page index a child or extent reference can hold (u32 slot numbers). */
export const PAGE_COUNT_MAX = 0xffff_ffff;

/** Bytes of a journal group record's header. */
export const RECORD_HEADER_BYTES = 64;

assert(PAGE_BYTES % JOURNAL_ALIGN_BYTES === 0, 'pages are whole sectors');
assert(HEADER_BYTES === PAGE_BYTES, 'header blocks are one page');
assert(RECORD_HEADER_BYTES <= JOURNAL_ALIGN_BYTES, 'a record header fits its first sector');
assert(KEY_BYTES_MAX + VALUE_INLINE_BYTES_MAX + 64 <= NODE_PAGES_MAX * PAGE_BYTES - 64, 'one entry fits the largest node');
assert(3 * (KEY_BYTES_MAX + 8) + 64 <= NODE_PAGES_MAX * PAGE_BYTES, 'an unsplittable branch (two pieces merged) fits the largest node');
assert(2 * (VALUE_INLINE_BYTES_MAX + 64) < PAGE_BYTES, 'small entries pack several to a page');
assert(KEY_BYTES_MAX < 0x10000, 'key lengths fit a u16');
assert(VALUE_BYTES_MAX <= BATCH_BYTES_MAX, 'a largest value fits a batch');
assert(CACHE_BYTES_MIN >= 16 * NODE_PAGES_MAX * PAGE_BYTES, 'the smallest cache holds several tree paths of largest nodes');
assert(JOURNAL_BYTES_MIN % PAGE_BYTES === 0 && JOURNAL_BYTES_MAX % PAGE_BYTES === 0, 'journal bounds are whole pages');
