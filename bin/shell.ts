// What the command-line shells (crushtool, osdmaptool, later ceph, rados, ...) share at their edges:
// strings as the bytes C sees, Ceph's errno texts, whole-file reads and writes worded as Ceph's
// bufferlist::read_file / write_file word them, and "am I the program being run".

import { closeSync, fstatSync, openSync, readFileSync, realpathSync, writeFileSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Errno, strerror } from '../common/errors.js';

/** A string as the bytes C sees (UTF-8), one char per byte: how the cores keep names and text. */
export function byteString(s: string | undefined): string | undefined {
  return s === undefined ? undefined : Buffer.from(s, 'utf8').toString('latin1');
}

/** Ceph's cpp_strerror: "(2) No such file or directory". */
export function cppStrerror(r: number): string {
  return `(${Math.abs(r)}) ${strerror(r)}`;
}

/** errno of a failed fs call, as a positive number. */
export function fsErrno(e: unknown): number {
  const code = (e as NodeJS.ErrnoException).code;
  if (code && code in Errno) return Errno[code as keyof typeof Errno];
  const n = (e as NodeJS.ErrnoException).errno;
  return typeof n === 'number' ? Math.abs(n) : Errno.EIO;
}

/** Ceph's bufferlist::read_file: the whole file, or its error text (naming the file as given) and errno. */
export function readWholeFile(name: string, at: Buffer): { data: Buffer } | { error: string; errno: number } {
  let fd: number;
  try {
    fd = openSync(at, 'r');
  } catch (e) {
    const errno = fsErrno(e);
    return { error: `can't open ${name}: ${cppStrerror(errno)}`, errno };
  }
  try {
    if (fstatSync(fd).isDirectory()) {
      return { error: `bufferlist::read_file(${name}): read error:${cppStrerror(Errno.EISDIR)}`, errno: Errno.EISDIR };
    }
    return { data: readFileSync(fd) };
  } catch (e) {
    const errno = fsErrno(e);
    return { error: `bufferlist::read_file(${name}): read error:${cppStrerror(errno)}`, errno };
  } finally {
    closeSync(fd);
  }
}

/** Ceph's bufferlist::write_file: 0, or a negative errno after printing its own complaint to `stderr`. */
export function writeWholeFile(name: string, at: Buffer, data: Buffer, stderr: (s: string) => void): number {
  try {
    writeFileSync(at, data, { mode: 0o644 });
    return 0;
  } catch (e) {
    const errno = fsErrno(e);
    stderr(`bufferlist::write_file(${name}): failed to open file: ${cppStrerror(errno)}\n`);
    return -errno;
  }
}

/** True when the module at `moduleUrl` is the program node was started with (through npm's bin link too). */
export function isMainModule(moduleUrl: string): boolean {
  try {
    // Through npm's bin link argv[1] is a symlink: compare real paths.
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}

/**
 * Write all of `buf` to `fd` synchronously (stdout and stderr keep their order with each other and
 * with the exit). A closed pipe ends the program as SIGPIPE would (exit 141).
 */
export function writeAllSync(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off, buf.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') continue;
      if (code === 'EPIPE') process.exit(128 + 13);
      throw e;
    }
  }
}
