// Errors at tsceph's public edges carry Ceph's errno name as `code` (e.g. 'ENOENT') and its number as
// `errno`, so callers can branch on err.code the way python-rados callers branch on exception types.
// Inside cores, operating errors are returned as negative errno numbers, as Ceph does (-ENOENT).

/** Linux errno numbers, as Ceph uses them on the wire and in return values. */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  EMLINK: 31,
  EPIPE: 32,
  EDOM: 33,
  ERANGE: 34,
  EDEADLK: 35,
  ENAMETOOLONG: 36,
  ENOLCK: 37,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  ELOOP: 40,
  ENOMSG: 42,
  ENODATA: 61,
  ETIME: 62,
  EOVERFLOW: 75,
  EBADMSG: 74,
  EOPNOTSUPP: 95,
  ECONNRESET: 104,
  ENOBUFS: 105,
  EISCONN: 106,
  ENOTCONN: 107,
  ESHUTDOWN: 108,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTUNREACH: 113,
  EALREADY: 114,
  EINPROGRESS: 115,
  ESTALE: 116,
  EDQUOT: 122,
  ECANCELED: 125,
  EKEYREJECTED: 129,
  ENOTRECOVERABLE: 131,
} as const;

/**
 * Linux's MAX_ERRNO. Ceph's CMPEXT reports a mismatch at offset n as -(MAX_ERRNO + n): a result at
 * or below -MAX_ERRNO is such an offset, not an errno (librados turns it back into the offset).
 */
export const MAX_ERRNO = 4095;

export type ErrnoName = keyof typeof Errno;

const errnoNames = new Map<number, ErrnoName>(
  (Object.keys(Errno) as ErrnoName[]).map((name) => [Errno[name], name]),
);

/** The errno name for a (positive or negative) errno number, or undefined. */
export function errnoName(n: number): ErrnoName | undefined {
  return errnoNames.get(Math.abs(n));
}

/** strerror() text for the numbers Ceph's tools print ("(2) No such file or directory"). */
const strerrorText: Partial<Record<ErrnoName, string>> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  EIO: 'Input/output error',
  ENXIO: 'No such device or address',
  E2BIG: 'Argument list too long',
  EBADF: 'Bad file descriptor',
  EAGAIN: 'Resource temporarily unavailable',
  ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied',
  EFAULT: 'Bad address',
  EBUSY: 'Device or resource busy',
  EEXIST: 'File exists',
  EXDEV: 'Invalid cross-device link',
  ENODEV: 'No such device',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EINVAL: 'Invalid argument',
  EFBIG: 'File too large',
  ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system',
  EPIPE: 'Broken pipe',
  EDOM: 'Numerical argument out of domain',
  ERANGE: 'Numerical result out of range',
  ENAMETOOLONG: 'File name too long',
  ENOSYS: 'Function not implemented',
  ENOTEMPTY: 'Directory not empty',
  ELOOP: 'Too many levels of symbolic links',
  ENOMSG: 'No message of desired type',
  ENODATA: 'No data available',
  EBADMSG: 'Bad message',
  EOVERFLOW: 'Value too large for defined data type',
  EOPNOTSUPP: 'Operation not supported',
  ETIMEDOUT: 'Connection timed out',
  ECONNREFUSED: 'Connection refused',
  EALREADY: 'Operation already in progress',
  EINPROGRESS: 'Operation now in progress',
  ESTALE: 'Stale file handle',
  EDQUOT: 'Disk quota exceeded',
  ECANCELED: 'Operation canceled',
};

/** Like C's strerror for a positive or negative errno. */
export function strerror(n: number): string {
  const name = errnoName(n);
  return (name && strerrorText[name]) ?? `Unknown error ${Math.abs(n)}`;
}

/** An operating error with Ceph's errno: `err.code === 'ENOENT'`, `err.errno === 2`. */
export class CephError extends Error {
  readonly code: ErrnoName;
  readonly errno: number;
  constructor(code: ErrnoName, message: string) {
    super(message);
    this.name = 'CephError';
    this.code = code;
    this.errno = Errno[code];
  }
  /** Build from a negative (or positive) errno number returned by a core. */
  static fromErrno(n: number, message: string): CephError {
    return new CephError(errnoName(n) ?? 'EIO', message);
  }
}

/** An invariant broke: a bug in tsceph, never bad input. */
export function assert(cond: unknown, what = 'assertion failed'): asserts cond {
  if (!cond) throw new Error(`tsceph assertion failed: ${what}`);
}
