// What the tests and benchmarks read of a process from Linux's /proc: its CPU time (utime + stime of
// /proc/PID/stat), its resident set and peak (VmRSS, VmHWM of /proc/PID/status) and its parent. Each reads 0
// (or -1 for the parent) once the process is gone. signalProcess sends a signal and, for SIGSTOP and
// SIGKILL, waits until the process has really stopped or exited.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

/** USER_HZ: /proc/PID/stat counts CPU time in these ticks per second (100 on Linux). */
export const CLOCK_TICKS_PER_SECOND = 100;

/**
 * The fields of /proc/PID/stat (or of a thread's, /proc/PID/task/TID/stat) after "(comm)": [0] is the
 * state, [1] the ppid, [11] utime, [12] stime.
 */
function statFields(pid: number, tid?: string): string[] | null {
  try {
    const stat = readFileSync(tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** A `VmXXX: N kB` line of /proc/PID/status, KiB; 0 once the process is gone. */
function statusKiB(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  try {
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** CPU seconds the process has used (user + system). */
export function cpuSeconds(pid: number): number {
  const f = statFields(pid);
  return f ? (Number(f[11]) + Number(f[12])) / CLOCK_TICKS_PER_SECOND : 0;
}

/** Peak resident set size (VmHWM), KiB. */
export function peakRssKiB(pid: number): number {
  return statusKiB(pid, 'VmHWM');
}

/** Resident set size now (VmRSS), KiB. */
export function rssKiB(pid: number): number {
  return statusKiB(pid, 'VmRSS');
}

/** Reset the process's peak (VmHWM) to its RSS now: 5 to /proc/PID/clear_refs (Linux >= 4.0, own processes). */
export function resetPeakRss(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** The parent's PID, -1 when the process is gone. */
export function parentPid(pid: number): number {
  const f = statFields(pid);
  return f ? Number(f[1]) : -1;
}

/**
 * Send `sig` to `pid`; for SIGSTOP, return only once every thread of the process is stopped (state T
 * in /proc/PID/task/TID/stat); for SIGKILL, only once the process has exited (a zombie or gone: its
 * sockets are closed, its ports free). kill(2) returns before either: a busy thread on another CPU may
 * not have stopped, so a request sent right after could still be served; a killed daemon may still hold
 * the port a restarted one binds. Tests that freeze or restart a daemon need it frozen or gone.
 */
export function signalProcess(pid: number, sig: NodeJS.Signals, settleMs = 5000): void {
  process.kill(pid, sig);
  const settled = sig === 'SIGSTOP' ? allThreadsStopped : sig === 'SIGKILL' ? exited : null;
  if (settled === null) return;
  const deadline = Date.now() + settleMs;
  const nap = new Int32Array(new SharedArrayBuffer(4));
  while (!settled(pid)) {
    if (Date.now() > deadline) throw new Error(`pid ${pid} did not ${sig === 'SIGSTOP' ? 'stop' : 'exit'} within ${settleMs} ms of ${sig}`);
    Atomics.wait(nap, 0, 0, 2);
  }
}

function allThreadsStopped(pid: number): boolean {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return true; // gone
  }
  return tids.every((t) => 'TtZX'.includes(statFields(pid, t)?.[0] ?? 'X'));
}

function exited(pid: number): boolean {
  return 'ZX'.includes(statFields(pid)?.[0] ?? 'X');
}
