// What the golden-capture scripts (gen-osdop-golden.mjs, gen-pg-golden.mjs) share: they run real Ceph
// 16.2.15 daemons on loopback (auth none, so msgr2 runs in crc mode and frames are plaintext), send
// the daemons' connections through relays in the calling script with an LD_PRELOAD connect() shim, and
// keep the MESSAGE frames the relays see, read with tsceph's msgr2 frame reader (from dist/: build first).
//  - requireCeph(script): exit unless the installed ceph is 16.2.15.
//  - scratchDir(script): an empty temporary directory (under $GOLDEN_TMP, else the system's).
//  - Daemons: daemon() starts one and remembers it; stop() ends one; stopAll() ends them all; run() runs a
//    command to completion and returns its stdout.
//  - buildRedirectShim(dir) compiles the shim; redirectEnv(shim, lo, hi, offset) is the environment
//    under which a process's connect() to a port in [lo, hi] goes to port + offset instead. The peer
//    still believes it reached the real port, so msgr2's address checks pass.
//  - Relays: relayTo(listenPort, targetPort, onMessage, labels) copies bytes unchanged both ways and
//    calls onMessage(direction, header, frame) for each MESSAGE frame, direction being labels[0] for
//    bytes to targetPort and labels[1] for bytes from it; closeRelays() ends them.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(new URL('.', import.meta.url).pathname, '..');
const { FrameReader, Tag, decodeMsgHeader2 } = await import(join(ROOT, 'dist/msg/core/frames.js'));

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function requireCeph(script, want = '16.2.15') {
  const v = spawnSync('ceph', ['--version'], { encoding: 'utf8' }).stdout.split(' ')[2];
  if (v !== want) {
    console.error(`${script}: ceph is ${v}, need ${want}; refusing`);
    process.exit(2);
  }
}

export function scratchDir(script) {
  const dir = join(process.env.GOLDEN_TMP ?? tmpdir(), `${script}.${process.pid}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

// ---- daemons ----------------------------------------------------------------------------------------

const procs = [];

export function daemon(args, env = process.env) {
  const p = spawn(args[0], args.slice(1), { stdio: 'ignore', env });
  procs.push(p);
  return p;
}

export async function stop(p, killAfterMs = 8000) {
  if (p.exitCode !== null || p.signalCode !== null) return;
  p.kill('SIGTERM');
  const t = setTimeout(() => p.kill('SIGKILL'), killAfterMs);
  await new Promise((r) => p.once('exit', r));
  clearTimeout(t);
}

export async function stopAll() {
  for (const p of procs.reverse()) await stop(p);
}

export function run(cmd, args, input, env = process.env) {
  const r = spawnSync(cmd, args, { encoding: 'buffer', input, timeout: 60000, env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: exit ${r.status} ${r.stderr}`);
  return r.stdout;
}

// ---- the connect() shim -----------------------------------------------------------------------------

const SHIM_C = `#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
typedef int (*connect_fn)(int, const struct sockaddr *, socklen_t);
int connect(int fd, const struct sockaddr *sa, socklen_t len) {
  connect_fn real = (connect_fn)dlsym(RTLD_NEXT, "connect");
  const char *lo = getenv("TSCEPH_REDIRECT_LO"), *hi = getenv("TSCEPH_REDIRECT_HI"), *off = getenv("TSCEPH_REDIRECT_OFFSET");
  if (lo && hi && off && sa && sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
    struct sockaddr_in a;
    memcpy(&a, sa, sizeof a);
    int port = ntohs(a.sin_port);
    if (port >= atoi(lo) && port <= atoi(hi)) {
      a.sin_port = htons((unsigned short)(port + atoi(off)));
      return real(fd, (const struct sockaddr *)&a, sizeof a);
    }
  }
  return real(fd, sa, len);
}
`;

/** Compiles the shim into `dir` (gcc) and returns the .so's path. */
export function buildRedirectShim(dir) {
  writeFileSync(`${dir}/shim.c`, SHIM_C);
  run('gcc', ['-shared', '-fPIC', '-O2', '-o', `${dir}/shim.so`, `${dir}/shim.c`, '-ldl']);
  return `${dir}/shim.so`;
}

export function redirectEnv(shim, lo, hi, offset) {
  return { ...process.env, LD_PRELOAD: shim, TSCEPH_REDIRECT_LO: String(lo), TSCEPH_REDIRECT_HI: String(hi), TSCEPH_REDIRECT_OFFSET: String(offset) };
}

// ---- relays -----------------------------------------------------------------------------------------

const sockets = new Set();
const relays = [];

/** A reader of one direction's bytes: each MESSAGE frame goes to onMessage; an unreadable stream is logged and then ignored. */
function watch(direction, onMessage) {
  const r = new FrameReader(true);
  let dead = false;
  return (chunk) => {
    if (dead) return;
    try {
      r.push(Buffer.from(chunk));
      for (let it = r.next(); it; it = r.next()) {
        if (it.kind === 'frame' && it.frame.tag === Tag.MESSAGE) onMessage(direction, decodeMsgHeader2(Buffer.concat(it.frame.segments[0])), it.frame);
      }
    } catch (e) {
      dead = true; // a stream we cannot parse (e.g. a secure-mode session): relay it, keep nothing
      console.error(`golden-capture: ${direction}: ${e.message}`);
    }
  };
}

export async function relayTo(listenPort, targetPort, onMessage, labels = [`to:${targetPort}`, `from:${targetPort}`]) {
  const relay = net.createServer((client) => {
    const peer = net.connect(targetPort, '127.0.0.1');
    sockets.add(client).add(peer);
    const up = watch(labels[0], onMessage);
    const down = watch(labels[1], onMessage);
    client.on('data', (c) => { up(c); peer.write(c); });
    peer.on('data', (c) => { down(c); client.write(c); });
    const end = () => { client.destroy(); peer.destroy(); };
    client.on('error', end).on('close', end);
    peer.on('error', end).on('close', end);
  });
  relays.push(relay);
  await new Promise((r) => relay.listen(listenPort, '127.0.0.1', r));
}

export function closeRelays() {
  for (const s of sockets) s.destroy();
  for (const r of relays) r.close();
}

/** A frame's segment as one Buffer (front 1, middle 2, data 3). */
export function segment(frame, i) {
  return Buffer.concat(frame.segments[i] ?? []);
}
