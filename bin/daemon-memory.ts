// The memory allocator settings the daemons start with (docs/memory.md). The C library reads them from
// the environment once, when the process starts, so they are set by whoever spawns the daemon: vstart
// for every daemon it starts, and detachDaemon (bin/daemon.ts) for the child ceph-osd or ceph-mon
// detaches when not run with -f (docs/memory.md).
//
// Why: an OSD under 4 MiB writes and reads allocates and frees 4 MiB Buffers all the time (received
// data segments, store reads, replies). glibc serves a block that large with mmap only until the first
// such block is freed; then its dynamic mmap threshold rises to the block's size (up to 32 MiB) and
// later blocks come from the heap arenas, which keep freed memory (up to 8 arenas per core, trimmed
// only at their top). An OSD's RSS then stays near its busiest moment's: 235-270 MiB after the 4 MiB
// rados bench phases, 135-190 MiB with these settings (docs/memory.md). Setting the mmap threshold turns
// the dynamic rule off, so big Buffers are mapped and unmapped (their pages go back at free); fewer
// arenas and a low trim threshold return the rest sooner. The price: each 4 MiB Buffer is freshly mapped,
// about 1.7 ms more CPU per Buffer (its page faults); MALLOC_MMAP_THRESHOLD_=33554432 trades it back. Ceph links tcmalloc for the same
// reason; TSCEPH_MALLOC=tcmalloc preloads Debian's libtcmalloc-minimal4 when it is installed.
//
// TSCEPH_MALLOC: 'glibc' (the default: the settings below), 'tcmalloc' (preload tcmalloc if present,
// else the glibc settings), 'none' (the environment as given). A variable already set is kept.

import { existsSync } from 'node:fs';
import { CephError } from '../common/errors.js';

/** glibc malloc arenas (MALLOC_ARENA_MAX): Node's main thread, the rest share the second. */
export const GLIBC_ARENAS_MAX = 2;
/** Blocks at least this big are mmapped and unmapped at free (MALLOC_MMAP_THRESHOLD_): 4 MiB Buffers are. */
export const GLIBC_MMAP_THRESHOLD_BYTES = 1024 * 1024;
/** Free memory above this at an arena's top is returned to the kernel (MALLOC_TRIM_THRESHOLD_). */
export const GLIBC_TRIM_THRESHOLD_BYTES = 4 * 1024 * 1024;
/** Where Debian's libtcmalloc-minimal4 puts the library (amd64, arm64). */
export const TCMALLOC_LIBRARY_PATHS = [
  '/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4',
  '/usr/lib/aarch64-linux-gnu/libtcmalloc_minimal.so.4',
];

type MallocChoice = 'glibc' | 'tcmalloc' | 'none';

function choice(env: NodeJS.ProcessEnv): MallocChoice {
  const v = env['TSCEPH_MALLOC'];
  if (v === undefined || v === '' || v === 'glibc') return 'glibc';
  if (v === 'tcmalloc' || v === 'none') return v;
  throw new CephError('EINVAL', `TSCEPH_MALLOC=${v}: expected glibc, tcmalloc or none`);
}

/**
 * The environment to spawn a daemon with: `env` plus the allocator settings TSCEPH_MALLOC asks for.
 * `exists` is injectable so a test can say which libraries are installed.
 */
export function daemonMemoryEnv(env: NodeJS.ProcessEnv, exists: (path: string) => boolean = existsSync): NodeJS.ProcessEnv {
  const c = choice(env);
  if (c === 'none') return env;
  const out: NodeJS.ProcessEnv = { ...env };
  if (c === 'tcmalloc') {
    const lib = TCMALLOC_LIBRARY_PATHS.find((p) => exists(p));
    if (lib !== undefined) {
      out['LD_PRELOAD'] = env['LD_PRELOAD'] ? `${lib}:${env['LD_PRELOAD']}` : lib;
      return out;
    }
  }
  out['MALLOC_ARENA_MAX'] ??= String(GLIBC_ARENAS_MAX);
  out['MALLOC_MMAP_THRESHOLD_'] ??= String(GLIBC_MMAP_THRESHOLD_BYTES);
  out['MALLOC_TRIM_THRESHOLD_'] ??= String(GLIBC_TRIM_THRESHOLD_BYTES);
  return out;
}

/**
 * V8's largest semi-space for an OSD, MiB (Node 20's default is 16: a young generation of up to 3 x 16
 * MiB). An OSD's young objects are per-op and short-lived; a smaller nursery is scavenged more often,
 * which also frees the dead Buffers' backing stores sooner (they go at the scavenge that finds their
 * JSArrayBuffer dead), and bounds the resident young generation at 12 MiB.
 */
export const OSD_SEMI_SPACE_MIB = 4;

/** The Node flags an OSD gets before the user's (`flags`, from TSCEPH_NODE_FLAGS), which win. */
export function osdNodeFlags(flags: readonly string[], env: NodeJS.ProcessEnv = process.env): string[] {
  const out = flags.some((f) => f.startsWith('--max-semi-space-size') || f.startsWith('--max_semi_space_size'))
    ? [...flags] : [`--max-semi-space-size=${OSD_SEMI_SPACE_MIB}`, ...flags];
  if (gcExternalGrowthBytes(env) > 0 && !out.some((f) => f === '--expose-gc' || f === '--expose_gc')) out.unshift('--expose-gc');
  return out;
}

/** The shortest interval TSCEPH_MEMORY_LOG_MS may ask for (each line is a log write). */
export const MEMORY_LOG_INTERVAL_MS_MIN = 20;

/**
 * TSCEPH_MEMORY_LOG_MS=N: every N ms the daemon logs where its memory is (process.memoryUsage(): RSS,
 * the JS heap used and committed, Buffers' backing stores) and the peak RSS so far, so a benchmark can
 * see which of them moves with the RSS (docs/memory.md). Returns the timer to clear, or null when unset.
 */
export function startMemoryLog(env: NodeJS.ProcessEnv, info: (msg: string) => void): NodeJS.Timeout | null {
  const v = env['TSCEPH_MEMORY_LOG_MS'];
  if (v === undefined || v === '') return null;
  const ms = Number(v);
  if (!Number.isInteger(ms) || ms < MEMORY_LOG_INTERVAL_MS_MIN) throw new CephError('EINVAL', `TSCEPH_MEMORY_LOG_MS=${v}: expected an integer >= ${MEMORY_LOG_INTERVAL_MS_MIN}`);
  const mib = (b: number): string => (b / 1048576).toFixed(1);
  const t = setInterval(() => {
    const u = process.memoryUsage();
    info(`memory: rss ${mib(u.rss)} heapUsed ${mib(u.heapUsed)} heapTotal ${mib(u.heapTotal)} arrayBuffers ${mib(u.arrayBuffers)} external ${mib(u.external)} MiB`);
  }, ms);
  t.unref();
  return t;
}

/**
 * An OSD asks V8 for a full GC (in the background) once the Buffers' external memory grew by this much
 * over its lowest point since the last such request; 0: never (TSCEPH_GC_EXTERNAL_MIB sets it, in MiB).
 * V8 starts one by itself only after 64 MiB (its kExternalAllocationSoftLimit, fixed): under 4 MiB
 * writes that much of dead received data waits in an OSD between collections (docs/memory.md).
 */
export const OSD_GC_EXTERNAL_GROWTH_MIB = 0;
/** How often the OSD looks at its external memory for the above. */
export const GC_WATCH_INTERVAL_MS = 20;

type GcFunction = (options?: { type?: 'major' | 'minor'; execution?: 'sync' | 'async' }) => void;

/** The growth in bytes TSCEPH_GC_EXTERNAL_MIB asks for (OSD_GC_EXTERNAL_GROWTH_MIB when unset). */
export function gcExternalGrowthBytes(env: NodeJS.ProcessEnv): number {
  const v = env['TSCEPH_GC_EXTERNAL_MIB'];
  const mib = v === undefined || v === '' ? OSD_GC_EXTERNAL_GROWTH_MIB : Number(v);
  if (!Number.isFinite(mib) || mib < 0) throw new CephError('EINVAL', `TSCEPH_GC_EXTERNAL_MIB=${v}: expected a number of MiB >= 0`);
  return Math.round(mib * 1048576);
}

/**
 * Watch the external memory every GC_WATCH_INTERVAL_MS and request a background full GC when it is
 * `growthBytes` above its lowest since the last request. Needs node's --expose-gc (osdNodeFlags adds
 * it); returns the timer, or null when off or when gc is not exposed.
 */
export function startExternalGcWatch(growthBytes: number, external: () => number): NodeJS.Timeout | null {
  const gc = (globalThis as { gc?: GcFunction }).gc;
  if (growthBytes <= 0 || gc === undefined) return null;
  let low = external();
  const t = setInterval(() => {
    const now = external();
    if (now < low) low = now;
    else if (now - low > growthBytes) {
      gc({ type: 'major', execution: 'async' });
      low = now;
    }
  }, GC_WATCH_INTERVAL_MS);
  t.unref();
  return t;
}
