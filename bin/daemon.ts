// What the daemons (ceph-mon, ceph-osd) share at their edges: detaching as Ceph's daemons do, the
// log line format, the pid file, and waiting for SIGTERM/SIGINT.

import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { Logger } from '../msg/index.js';
import { daemonMemoryEnv } from './daemon-memory.js';

/**
 * Detach as Ceph's daemons do: start the daemon script at `moduleUrl` again with `argv` and `-f` in a
 * new session, its output to the log file, with the allocator settings of bin/daemon-memory.ts (the C
 * library reads them only at start, so the spawner sets them); the child writes the pid file.
 */
export function detachDaemon(moduleUrl: string, argv: string[], env: NodeJS.ProcessEnv, logFile: string | null): void {
  const out = logFile ? openSync(logFile, 'a') : 'ignore';
  const child = spawn(process.execPath, [fileURLToPath(moduleUrl), ...argv, '-f'], { detached: true, stdio: ['ignore', out, out], env: daemonMemoryEnv(env) });
  if (typeof out === 'number') closeSync(out);
  child.unref();
}

/**
 * The daemon's logger: `<ISO time> <pid> <LVL> <who> <msg>` lines appended to `path` (its directory made
 * here), or to stderr when `toStderr` or there is no path. Debug lines only when `debug`.
 */
export function daemonLogger(who: string, path: string | null, toStderr: boolean, debug: boolean): Logger {
  if (path) mkdirSync(dirname(path), { recursive: true });
  const line = (level: string, msg: string) => {
    const text = `${new Date().toISOString()} ${process.pid} ${level} ${who} ${msg}\n`;
    if (toStderr || !path) process.stderr.write(text);
    else {
      try {
        appendFileSync(path, text);
      } catch {
        process.stderr.write(text);
      }
    }
  };
  return { debug: debug ? (m) => line('DBG', m) : () => {}, info: (m) => line('INF', m), warn: (m) => line('WRN', m), error: (m) => line('ERR', m) };
}

export function writePidFile(pidFile: string | null): void {
  if (!pidFile) return;
  mkdirSync(dirname(pidFile), { recursive: true });
  writeFileSync(pidFile, `${process.pid}\n`);
}

/** Remove the pid file if it is still this process's (a restarted daemon may have written its own). */
export function removePidFile(pidFile: string | null): void {
  if (pidFile && existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() === String(process.pid)) rmSync(pidFile, { force: true });
}

/** Resolves at the first SIGTERM or SIGINT, after logging which one came. */
export function stopSignal(log: Logger): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = (sig: string) => {
      log.info(`received ${sig}, shutting down`);
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
