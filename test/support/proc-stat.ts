// What the benchmarks read of a process from Linux's /proc: its CPU time (utime + stime of
// /proc/PID/stat), its peak resident set (VmHWM of /proc/PID/status) and its parent. Each reads 0
// (or -1 for the parent) once the process is gone.

import { readFileSync } from 'node:fs';

/** USER_HZ: /proc/PID/stat counts CPU time in these ticks per second (100 on Linux). */
export const CLOCK_TICKS_PER_SECOND = 100;

/** The fields of /proc/PID/stat after "(comm)": [0] is the state, [1] the ppid, [11] utime, [12] stime. */
function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** CPU seconds the process has used (user + system). */
export function cpuSeconds(pid: number): number {
  const f = statFields(pid);
  return f ? (Number(f[11]) + Number(f[12])) / CLOCK_TICKS_PER_SECOND : 0;
}

/** Peak resident set size (VmHWM), KiB. */
export function peakRssKiB(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** The parent's PID, -1 when the process is gone. */
export function parentPid(pid: number): number {
  const f = statFields(pid);
  return f ? Number(f[1]) : -1;
}
