// entity_addr_t from text and back to a host and port: one parser for the configuration (mon_host,
// public_addr), monmaptool's --add / --addv, the ceph CLI's -m, vstart and the messenger's sockets.
// Ceph's entity_addr_t::parse: an optional "v1:" / "v2:" / "any:" prefix, an IPv4 address or a
// bracketed IPv6 one, an optional ":port" and an optional "/nonce"; entity_addrvec_t::parse takes one
// address or "[a,b,...]". The sockaddr bytes are kept as common/osdmap keeps them (port big-endian at 0,
// the IPv4 address at 2, the IPv6 one at 6), so encode/decode need no conversion.

import { CephError } from './errors.js';
import {
  AF_INET,
  AF_INET6,
  ENTITY_ADDR_TYPE_ANY,
  ENTITY_ADDR_TYPE_LEGACY,
  ENTITY_ADDR_TYPE_MSGR2,
  type EntityAddr,
  type EntityAddrVec,
} from './osdmap/types.js';

const SOCKADDR_IN_BYTES = 14;
const SOCKADDR_IN6_BYTES = 26;

/** The four bytes of a dotted IPv4 address, or null. */
export function ipv4Bytes(s: string): Buffer | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return null;
  const b = Buffer.alloc(4);
  for (let i = 0; i < 4; i++) {
    const n = Number(m[i + 1]);
    if (n > 255) return null;
    b[i] = n;
  }
  return b;
}

/** The sixteen bytes of an IPv6 address (with "::" and an IPv4 tail as inet_pton takes them), or null. */
export function ipv6Bytes(s: string): Buffer | null {
  let str = s;
  let tail: Buffer | null = null;
  const lastColon = str.lastIndexOf(':');
  if (str.slice(lastColon + 1).includes('.')) {
    tail = ipv4Bytes(str.slice(lastColon + 1));
    if (!tail) return null;
    str = str.slice(0, lastColon + 1) + '0:0';
  }
  const halves = str.split('::');
  if (halves.length > 2) return null;
  const words = (h: string): number[] | null => {
    if (h === '') return [];
    const out: number[] = [];
    for (const w of h.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(w)) return null;
      out.push(parseInt(w, 16));
    }
    return out;
  };
  const head = words(halves[0]!);
  const rest = halves.length === 2 ? words(halves[1]!) : [];
  if (!head || !rest) return null;
  const fill = 8 - head.length - rest.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return null;
  const all = [...head, ...new Array<number>(halves.length === 2 ? fill : 0).fill(0), ...rest];
  const b = Buffer.alloc(16);
  all.forEach((w, i) => b.writeUInt16BE(w, 2 * i));
  if (tail) tail.copy(b, 12);
  return b;
}

/** An entity_addr_t for an IP (text, or its 4 / 16 bytes) and a port. EINVAL when the text is no IP. */
export function makeEntityAddr(type: number, ip: string | Buffer, port: number, nonce = 0): EntityAddr {
  const bytes = typeof ip === 'string' ? ipv4Bytes(ip) ?? ipv6Bytes(ip) : ip;
  if (!bytes || (bytes.length !== 4 && bytes.length !== 16)) throw new CephError('EINVAL', `'${String(ip)}' is not an IP address`);
  if (bytes.length === 4) {
    const sa = Buffer.alloc(SOCKADDR_IN_BYTES);
    sa.writeUInt16BE(port, 0);
    bytes.copy(sa, 2);
    return { type, nonce, family: AF_INET, sockaddr: sa };
  }
  const sa = Buffer.alloc(SOCKADDR_IN6_BYTES);
  sa.writeUInt16BE(port, 0);
  bytes.copy(sa, 6);
  return { type, nonce, family: AF_INET6, sockaddr: sa };
}

/** The port of an IPv4 / IPv6 address (0 for an empty one). */
export function addrPort(a: EntityAddr): number {
  return (a.family === AF_INET || a.family === AF_INET6) && a.sockaddr.length >= 2 ? a.sockaddr.readUInt16BE(0) : 0;
}

/** The same address with another port (and type). */
export function withPort(a: EntityAddr, port: number, type = a.type): EntityAddr {
  const sa = Buffer.from(a.sockaddr);
  sa.writeUInt16BE(port, 0);
  return { type, nonce: a.nonce, family: a.family, sockaddr: sa };
}

/** The IP as text for a socket ("1.2.3.4" or "fe80:0:0:0:0:0:0:1"). */
export function addrIp(a: EntityAddr): string {
  const sa = a.sockaddr;
  if (a.family === AF_INET6) {
    const words: string[] = [];
    for (let i = 0; i < 8; i++) words.push(sa.readUInt16BE(6 + 2 * i).toString(16));
    return words.join(':');
  }
  return `${sa[2] ?? 0}.${sa[3] ?? 0}.${sa[4] ?? 0}.${sa[5] ?? 0}`;
}

/** Host and port to dial or listen on. */
export function addrHostPort(a: EntityAddr): { host: string; port: number } {
  return { host: addrIp(a), port: addrPort(a) };
}

export interface ParseAddrOptions {
  /** Take "localhost" for 127.0.0.1 (mon_host does, as Ceph resolves names there; monmaptool does not). */
  localhost?: boolean;
}

/** entity_addr_t::parse at `s[at]`: the address and where it ends, or null. */
export function parseEntityAddrAt(s: string, at: number, defaultType: number = ENTITY_ADDR_TYPE_ANY, opts: ParseAddrOptions = {}): { addr: EntityAddr; end: number } | null {
  let p = at;
  let type = defaultType;
  for (const [pfx, t] of [['v1:', ENTITY_ADDR_TYPE_LEGACY], ['v2:', ENTITY_ADDR_TYPE_MSGR2], ['any:', ENTITY_ADDR_TYPE_ANY]] as const) {
    if (s.startsWith(pfx, p)) {
      type = t;
      p += pfx.length;
      break;
    }
  }
  let ip: string;
  if (s[p] === '[') {
    const close = s.indexOf(']', p);
    if (close < 0) return null;
    ip = s.slice(p + 1, close);
    if (!ipv6Bytes(ip)) return null;
    p = close + 1;
  } else {
    const m = /^[0-9.]+/.exec(s.slice(p));
    if (m) {
      ip = m[0];
      p += ip.length;
    } else if (opts.localhost && s.startsWith('localhost', p)) {
      ip = '127.0.0.1';
      p += 'localhost'.length;
    } else {
      return null;
    }
    if (!ipv4Bytes(ip)) return null;
  }
  let port = 0;
  if (s[p] === ':') {
    const m = /^\d+/.exec(s.slice(p + 1));
    if (!m || m[0].length > 5 || Number(m[0]) > 65535) return null;
    port = Number(m[0]);
    p += 1 + m[0].length;
  }
  let nonce = 0;
  if (s[p] === '/') {
    const m = /^\d+/.exec(s.slice(p + 1));
    if (!m || Number(m[0]) > 0xffffffff) return null;
    nonce = Number(m[0]);
    p += 1 + m[0].length;
  }
  return { addr: makeEntityAddr(type, ip, port, nonce), end: p };
}

/** entity_addrvec_t::parse at `s[at]`: one address, or "[a,b,...]" of typed addresses. */
export function parseAddrVecAt(s: string, at: number, opts: ParseAddrOptions = {}): { vec: EntityAddrVec; end: number } | null {
  // Ceph's rule: a '[' opens a vector unless the text there parses as one bracketed IPv6 address.
  const single = s[at] === '[' ? parseEntityAddrAt(s, at, ENTITY_ADDR_TYPE_ANY, opts) : null;
  if (s[at] === '[' && !(single && single.addr.family === AF_INET6)) {
    const vec: EntityAddrVec = [];
    let p = at + 1;
    while (s[p] !== ']') {
      const a = parseEntityAddrAt(s, p, ENTITY_ADDR_TYPE_ANY, opts);
      if (!a) return null;
      vec.push(a.addr);
      p = a.end;
      if (s[p] === ',') p++;
      else if (s[p] !== ']') return null;
    }
    return { vec, end: p + 1 };
  }
  const a = parseEntityAddrAt(s, at, ENTITY_ADDR_TYPE_ANY, opts);
  return a ? { vec: [a.addr], end: a.end } : null;
}

/** The whole text as one address, or null. */
export function parseEntityAddr(text: string, opts: ParseAddrOptions = {}): EntityAddr | null {
  const r = parseEntityAddrAt(text, 0, ENTITY_ADDR_TYPE_ANY, opts);
  return r && r.end === text.length ? r.addr : null;
}

/** The whole text (trimmed) as one address vector, or null. An empty "[]" is not a vector. */
export function parseAddrVec(text: string, opts: ParseAddrOptions = {}): EntityAddrVec | null {
  const t = text.trim();
  const r = parseAddrVecAt(t, 0, opts);
  return r && r.end === t.length && r.vec.length > 0 ? r.vec : null;
}
