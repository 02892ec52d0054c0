// Benchmark 6a: messenger throughput between two Node processes on loopback, against raw TCP between the
// same two processes (the ceiling), for 4 KiB and 4 MiB messages in msgr2.1 crc mode. Prints MB/s and
// messages/s for both and our ratio to raw TCP, and the CPU time each process spent per message (which a
// busy machine disturbs less than wall-clock throughput). Target (issue 5): 4 MiB at >= 0.6x raw TCP.
//
// Usage: npm run bench:msgr [-- --seconds N] [--port P] [--rounds N] [--only 4k,4m] [--impls raw,msgr] [--inproc] [--rr [--rate N]]
// (--impls msgr alone, e.g. to profile the sending messenger with node --cpu-prof; ratios need both).
// BENCH_CHILD_PROF=DIR writes a V8 CPU profile of each receiving child into DIR (--cpu-prof).
// The header names the CRC-32C in use for long runs (common/crc32c.ts); TSCEPH_CRC32C_NATIVE=node-rs runs
// both processes on @node-rs/crc32 instead of tsceph's addon, to compare.
//
// --rr: request/response between two OSD messengers on a lossless session (as primary and replica talk):
// the parent keeps RR_IN_FLIGHT 4 KiB requests outstanding, the child answers each with a small reply
// one event-loop turn later (as a replica answers after its commit). Prints ops/s and each process's CPU
// per op: the messenger's cost of one replicated sub-op, acks and socket writes included. --rate N paces
// the requests at N per second instead (at most RR_IN_FLIGHT due at once): CPU per op at a fixed rate,
// comparable between builds on a busy machine, and each op pays its own socket writes and reads.
//
// --inproc: the msgr2 protocol core alone, in this process, without sockets: CPU per message to send
// (ProtocolV2.send + flush: frame assembly and crcs) and to receive (the sent bytes cut into 64 KiB
// chunks as a socket delivers them, received again and again: frame reading, crcs, decodeMessage).
// Less disturbed by other processes than the two-process runs; the CPU the messenger itself adds.
//
// Each case starts a child process (this file with --serve raw|msgr) as the receiver:
//   raw   a net server that counts bytes; the parent writes S-byte Buffers, waiting for 'drain' whenever
//         8 MiB are queued (the messenger's setting below), half-closes, and the child answers with
//         its byte count: the time runs until that answer, so everything sent was received.
//   msgr  a messenger (osd.0) whose dispatcher counts messages and data bytes; the parent's messenger
//         (a lossy client, as Ceph clients talk to OSDs) sends messages with an S-byte data segment (one
//         shared Buffer: the messenger never copies it), awaiting conn.drained() when its queue passes
//         8 MiB, then a final message; the child replies with its counts when that arrives.
import { spawn, type ChildProcess } from 'node:child_process';
import { connect as netConnect, createServer } from 'node:net';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { EntityType, Message, isRegisteredMessage, registerMessage, type RawMessage } from '../../msg/message.js';
import { createMessenger, type MessengerImpl } from '../../msg/messenger.js';
import { makeEntityAddr } from '../../common/entityaddr.js';
import { Policies } from '../../msg/types.js';
import { crc32cBackend } from '../../common/crc32c.js';
import { AuthNoneClient, AuthNoneServer, ProtocolV2, Session, type ProtocolHooks } from '../../msg/core/protocol.js';
import { PACIFIC_FEATURES } from '../../common/osdmap/encoding.js';
import { decodeMessage } from '../../msg/message.js';
import { arg, exitWithUsageIfAsked } from './args.js';

const KIB = 1024;
const MIB = 1024 * KIB;
const BENCH_TYPE = 0x7e20;
const DONE = 0xffffffff;
const SEND_QUEUE_BYTES_MAX = 8 * MIB;

class BenchMsg extends Message {
  constructor(public n: number, public payload: Buffer[] = [], public count = 0, public bytes = 0, public cpuUs = 0) {
    super(BENCH_TYPE, 1, 1);
  }
  encodePayload(): void {
    const f = Buffer.allocUnsafe(28);
    f.writeUInt32LE(this.n, 0);
    f.writeDoubleLE(this.count, 4);
    f.writeDoubleLE(this.bytes, 12);
    f.writeDoubleLE(this.cpuUs, 20);
    this.front = [f];
    this.data = this.payload;
  }
  typeName(): string {
    return 'bench';
  }
  static decode(raw: RawMessage): BenchMsg {
    const f = raw.front.length === 1 ? raw.front[0]! : Buffer.concat(raw.front);
    return new BenchMsg(f.readUInt32LE(0), raw.data, f.readDoubleLE(4), f.readDoubleLE(12), f.readDoubleLE(20));
  }
}
if (!isRegisteredMessage(BENCH_TYPE)) registerMessage(BENCH_TYPE, 'bench', (raw) => BenchMsg.decode(raw));

// --- child side -------------------------------------------------------------------------------------

async function serveRaw(port: number): Promise<void> {
  const server = createServer((s) => {
    let n = 0;
    const cpu0 = process.cpuUsage();
    s.on('data', (b: Buffer) => (n += b.length));
    s.on('end', () => {
      const c = process.cpuUsage(cpu0);
      const r = Buffer.alloc(16);
      r.writeDoubleLE(n, 0);
      r.writeDoubleLE(c.user + c.system, 8);
      s.end(r);
    });
    s.on('error', () => {});
  });
  server.listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
}

async function serveMsgr(port: number): Promise<void> {
  const msgr = createMessenger({
    entity: { type: EntityType.OSD, num: 0 },
    nonce: 7,
    policies: new Map([[EntityType.CLIENT, Policies.statelessServer()]]),
  });
  let count = 0;
  let bytes = 0;
  let cpu0 = process.cpuUsage();
  msgr.addDispatcher({
    dispatch(conn, m) {
      const b = m as BenchMsg;
      if (b.n === DONE) {
        const c = process.cpuUsage(cpu0);
        conn.send(new BenchMsg(DONE, [], count, bytes, c.user + c.system));
        count = 0;
        bytes = 0;
        cpu0 = process.cpuUsage();
        return;
      }
      count++;
      for (const d of b.data) bytes += d.length;
    },
  });
  await msgr.bind('127.0.0.1', port);
  msgr.start();
  process.stdout.write('ready\n');
  process.stdin.on('end', () => void msgr.shutdown().then(() => process.exit(0)));
  process.stdin.resume();
}

/** The replica side of --rr: answer each request one turn later; DONE answers with counts and CPU. */
async function serveRr(port: number): Promise<void> {
  const msgr = createMessenger({
    entity: { type: EntityType.OSD, num: 0 },
    nonce: 7,
    policies: new Map([[EntityType.OSD, Policies.losslessPeer()]]),
  });
  let count = 0;
  let cpu0 = process.cpuUsage();
  msgr.addDispatcher({
    dispatch(conn, m) {
      const b = m as BenchMsg;
      if (b.n === DONE) {
        const c = process.cpuUsage(cpu0);
        conn.send(new BenchMsg(DONE, [], count, 0, c.user + c.system));
        count = 0;
        cpu0 = process.cpuUsage();
        return;
      }
      count++;
      setImmediate(() => conn.send(new BenchMsg(b.n)));
    },
  });
  await msgr.bind('127.0.0.1', port);
  msgr.start();
  process.stdout.write('ready\n');
  process.stdin.on('end', () => void msgr.shutdown().then(() => process.exit(0)));
  process.stdin.resume();
}

// --- parent side ------------------------------------------------------------------------------------

function startChild(mode: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...(process.env.BENCH_CHILD_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CHILD_PROF}`] : []), fileURLToPath(import.meta.url), '--serve', mode, '--port', String(port)], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.stdout!.once('data', () => resolve(child));
    child.once('exit', (code) => reject(new Error(`bench child exited ${code}`)));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.stdin!.end();
  const t = setTimeout(() => child.pid !== undefined && child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 3000);
  await exited;
  clearTimeout(t);
}

interface Result {
  seconds: number;
  messages: number;
  bytes: number;
  /** CPU time of the sending and the receiving process over the run, microseconds. */
  senderCpuUs: number;
  receiverCpuUs: number;
}

async function runRaw(port: number, size: number, seconds: number): Promise<Result> {
  const child = await startChild('raw', port);
  try {
    const s = netConnect(port, '127.0.0.1');
    s.setNoDelay(true);
    await new Promise<void>((r) => s.once('connect', () => r()));
    const buf = Buffer.alloc(size, 0xab);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    let messages = 0;
    while (performance.now() < end) {
      for (let i = 0; i < 64; i++) {
        messages++;
        s.write(buf);
        if (s.writableLength >= SEND_QUEUE_BYTES_MAX) {
          await new Promise<void>((r) => s.once('drain', () => r()));
          break;
        }
      }
      if (messages % 4096 === 0) await new Promise<void>((r) => setImmediate(r));
    }
    const got = new Promise<number>((resolve) => {
      const parts: Buffer[] = [];
      s.on('data', (b: Buffer) => parts.push(b));
      s.on('end', () => {
        const r = Buffer.concat(parts);
        receiverCpuUs = r.readDoubleLE(8);
        resolve(r.readDoubleLE(0));
      });
    });
    let receiverCpuUs = 0;
    s.end();
    const bytes = await got;
    const secondsTaken = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(cpu0);
    if (bytes !== messages * size) throw new Error(`raw: child counted ${bytes} bytes, sent ${messages * size}`);
    s.destroy();
    return { seconds: secondsTaken, messages, bytes, senderCpuUs: c.user + c.system, receiverCpuUs };
  } finally {
    await stopChild(child);
  }
}

async function runMsgr(port: number, size: number, seconds: number): Promise<Result> {
  const child = await startChild('msgr', port);
  let msgr: MessengerImpl | null = null;
  try {
    msgr = createMessenger({ entity: { type: EntityType.CLIENT, num: 1 }, nonce: 8, throttles: { sendQueueBytesMax: SEND_QUEUE_BYTES_MAX } });
    let reply: BenchMsg | null = null;
    msgr.addDispatcher({ dispatch(_c, m) { reply = m as BenchMsg; } });
    msgr.start();
    const conn = msgr.connectTo(EntityType.OSD, [makeEntityAddr(2, '127.0.0.1', port, 7)]);
    // Warm up: one round trip so the session is up before the clock starts (it also restarts the
    // child's counters and CPU clock).
    conn.send(new BenchMsg(DONE));
    while (!reply) await new Promise((r) => setTimeout(r, 1));
    reply = null;
    const buf = Buffer.alloc(size, 0xcd);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    let messages = 0;
    while (performance.now() < end) {
      for (let i = 0; i < 64; i++) {
        conn.send(new BenchMsg(messages++, [buf]));
        if (conn.sendQueueBytes >= SEND_QUEUE_BYTES_MAX) {
          await conn.drained();
          break;
        }
      }
      if (messages % 256 === 0) await new Promise<void>((r) => setImmediate(r));
    }
    conn.send(new BenchMsg(DONE));
    while (!reply) await new Promise((r) => setImmediate(r));
    const secondsTaken = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(cpu0);
    const r = reply as BenchMsg;
    if (r.count !== messages || r.bytes !== messages * size) {
      throw new Error(`msgr: child counted ${r.count} messages / ${r.bytes} bytes, sent ${messages} / ${messages * size}`);
    }
    if (msgr.stats().faults) throw new Error(`msgr: ${msgr.stats().faults} faults`);
    return { seconds: secondsTaken, messages, bytes: r.bytes, senderCpuUs: c.user + c.system, receiverCpuUs: r.cpuUs };
  } finally {
    if (msgr) await msgr.shutdown();
    await stopChild(child);
  }
}

/** Requests outstanding in --rr (rados bench -t 16). */
const RR_IN_FLIGHT = 16;

async function runRr(port: number, size: number, seconds: number, rate: number): Promise<Result> {
  const child = await startChild('rr', port);
  let msgr: MessengerImpl | null = null;
  try {
    msgr = createMessenger({ entity: { type: EntityType.OSD, num: 1 }, nonce: 8, policies: new Map([[EntityType.OSD, Policies.losslessPeer()]]) });
    const buf = Buffer.alloc(size, 0xcd);
    let answered = 0;
    let sent = 0;
    let done: BenchMsg | null = null;
    let stopAtMs = Infinity;
    msgr.addDispatcher({
      dispatch(c, m) {
        const b = m as BenchMsg;
        if (b.n === DONE) {
          done = b;
          return;
        }
        answered++;
        if (rate === 0 && performance.now() < stopAtMs) c.send(new BenchMsg(sent++, [buf]));
      },
    });
    msgr.start();
    const conn = msgr.connectTo(EntityType.OSD, [makeEntityAddr(2, '127.0.0.1', port, 7)]);
    conn.send(new BenchMsg(DONE));
    while (!done) await new Promise((r) => setTimeout(r, 1));
    done = null;
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    stopAtMs = t0 + seconds * 1000;
    let pacer: NodeJS.Timeout | null = null;
    if (rate === 0) {
      for (let i = 0; i < RR_IN_FLIGHT; i++) conn.send(new BenchMsg(sent++, [buf]));
    } else {
      // Paced: one request at a time at `rate` per second (each pays its own writes and reads, as
      // sub-ops do in a cluster that is not saturated).
      pacer = setInterval(() => {
        const due = Math.min(RR_IN_FLIGHT, Math.floor(((performance.now() - t0) * rate) / 1000) - sent);
        for (let i = 0; i < due && performance.now() < stopAtMs; i++) conn.send(new BenchMsg(sent++, [buf]));
      }, 1);
    }
    while (answered < sent || performance.now() < stopAtMs) await new Promise((r) => setTimeout(r, 5));
    if (pacer) clearInterval(pacer);
    const secondsTaken = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(cpu0);
    conn.send(new BenchMsg(DONE));
    while (!done) await new Promise((r) => setImmediate(r));
    const r = done as BenchMsg;
    if (r.count !== sent) throw new Error(`rr: child counted ${r.count} requests, sent ${sent}`);
    if (msgr.stats().faults) throw new Error(`rr: ${msgr.stats().faults} faults`);
    return { seconds: secondsTaken, messages: sent, bytes: sent * size, senderCpuUs: c.user + c.system, receiverCpuUs: r.cpuUs };
  } finally {
    if (msgr) await msgr.shutdown();
    await stopChild(child);
  }
}

async function mainRr(port: number, seconds: number, rounds: number, rate: number): Promise<void> {
  console.log(`msgr bench --rr: 4 KiB requests, ${rate ? `paced at ${rate}/s` : `${RR_IN_FLIGHT} in flight`}, lossless OSD peers, ${seconds} s x ${rounds} rounds (medians), node ${process.version}, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const rs: Result[] = [];
  for (let r = 0; r < rounds; r++) rs.push(await runRr(port, 4 * KIB, seconds, rate));
  const ops = median(rs.map((x) => x.messages / x.seconds));
  const pUs = median(rs.map((x) => x.senderCpuUs / x.messages));
  const cUs = median(rs.map((x) => x.receiverCpuUs / x.messages));
  console.log(`ops/s ${ops.toFixed(0)}   CPU us/op requester ${pUs.toFixed(2)}  responder ${cUs.toFixed(2)}  both ${(pUs + cUs).toFixed(2)}`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

// --- in-process: the protocol core alone ---------------------------------------------------------------

interface CoreResult {
  sendUs: number;
  receiveUs: number;
}

/** CPU per message of the protocol core: send (assembly, crcs) and receive (reading, crcs, decode). */
function runCore(size: number, messages: number, passes: number): CoreResult {
  const a = makeEntityAddr(2, '127.0.0.1', 1, 11);
  const b = makeEntityAddr(2, '127.0.0.1', 2, 22);
  let gseq = 0;
  const serverSession = new Session();
  const hooks: ProtocolHooks = {
    nextGlobalSeq: (atLeast?: number) => (gseq = Math.max(gseq, atLeast ?? 0) + 1),
    randomCookie: () => 5n,
    policyFor: () => Policies.statelessServer(),
    authClient: new AuthNoneClient({ type: EntityType.CLIENT, id: 'admin' }),
    authServer: new AuthNoneServer(() => 7),
    onClientIdent: () => ({ action: 'accept', session: serverSession }),
    onReconnect: () => ({ action: 'wait' }),
  };
  const cli = new ProtocolV2({ role: 'connect', myType: EntityType.CLIENT, myGid: 1, myAddrs: [a], features: PACIFIC_FEATURES, peerType: EntityType.OSD, targetAddr: b, policy: Policies.lossyClient() }, new Session(), hooks, 0);
  const srv = new ProtocolV2({ role: 'accept', myType: EntityType.OSD, myGid: 0, myAddrs: [b], features: PACIFIC_FEATURES, peerSocketAddr: a }, new Session(), hooks, 0);
  const move = (from: ProtocolV2, to: ProtocolV2): void => {
    for (const ev of from.drain()) if (ev.kind === 'write') for (const x of ev.bufs) to.receive(Buffer.from(x), 0);
  };
  cli.start();
  srv.start();
  for (let i = 0; i < 16 && !(cli.isReady && srv.isReady); i++) {
    move(cli, srv);
    move(srv, cli);
  }
  if (!cli.isReady || !srv.isReady) throw new Error('inproc: handshake did not complete');
  const payload = Buffer.alloc(size, 0xcd);
  const batch = Math.max(1, Math.min(256, Math.floor((8 * MIB) / size)));
  // The receive side replays the first batches' bytes (about 8 MiB: what a socket would have just
  // delivered, not a heap full of copies that would also slow the send loop's garbage collection).
  const written: Buffer[] = [];
  let writtenBytes = 0;
  let replayMessages = 0;
  let sendUs = 0;
  for (let sent = 0; sent < messages; ) {
    const t = process.cpuUsage();
    const n = Math.min(batch, messages - sent);
    for (let i = 0; i < n; i++) cli.send(new BenchMsg(sent + i, [payload]), false);
    cli.flush();
    const evs = cli.drain();
    const c = process.cpuUsage(t);
    sendUs += c.user + c.system;
    sent += n;
    if (writtenBytes >= 8 * MIB) continue;
    replayMessages += n;
    for (const ev of evs) if (ev.kind === 'write') for (const x of ev.bufs) {
      written.push(Buffer.from(x));
      writtenBytes += x.length;
    }
  }
  const stream = Buffer.concat(written);
  const chunks: Buffer[] = [];
  for (let o = 0; o < stream.length; o += 64 * KIB) chunks.push(Buffer.from(stream.subarray(o, Math.min(stream.length, o + 64 * KIB))));
  let received = 0;
  const t = process.cpuUsage();
  for (let p = 0; p < passes; p++) {
    srv.session.inSeq = 0;
    for (const ch of chunks) {
      srv.receive(ch, 0);
      for (const ev of srv.drain()) {
        if (ev.kind === 'message') {
          decodeMessage(ev.raw, PACIFIC_FEATURES);
          received++;
        } else if (ev.kind === 'fault') throw new Error(`inproc: ${ev.reason}`);
      }
    }
  }
  const c = process.cpuUsage(t);
  if (received !== replayMessages * passes) throw new Error(`inproc: received ${received} of ${replayMessages * passes}`);
  return { sendUs: sendUs / messages, receiveUs: (c.user + c.system) / received };
}

function mainInproc(rounds: number, only: string[]): void {
  console.log(`msgr bench --inproc: the protocol core, ${rounds} rounds (medians), node ${process.version}, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}, crc32c ${crc32cBackend}`);
  console.log('case  CPU us/msg send  receive');
  for (const [label, size, messages, passes] of [['4k', 4 * KIB, 50000, 50], ['4m', 4 * MIB, 100, 50]] as const) {
    if (!only.includes(label)) continue;
    const rs: CoreResult[] = [];
    for (let r = 0; r < rounds; r++) rs.push(runCore(size, messages, passes));
    console.log(`${label.padEnd(5)} ${median(rs.map((x) => x.sendUs)).toFixed(2).padStart(14)} ${median(rs.map((x) => x.receiveUs)).toFixed(2).padStart(8)}`);
  }
}

async function main(): Promise<void> {
  exitWithUsageIfAsked(import.meta.url);
  const serve = arg('serve', '');
  const port = Number(arg('port', '17090'));
  if (serve === 'raw') return serveRaw(port);
  if (serve === 'msgr') return serveMsgr(port);
  if (serve === 'rr') return serveRr(port);
  const seconds = Number(arg('seconds', '3'));
  const rounds = Number(arg('rounds', '3'));
  const only = arg('only', '4k,4m').split(',');
  const impls = arg('impls', 'raw,msgr').split(',');
  if (process.argv.includes('--inproc')) return mainInproc(rounds, only);
  if (process.argv.includes('--rr')) return mainRr(port, seconds, rounds, Number(arg('rate', '0')));
  console.log(`msgr bench: ${seconds} s per run, ${rounds} rounds (medians), node ${process.version}, ${cpus().length} cpus, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}, crc32c ${crc32cBackend}`);
  console.log('case  impl    MB/s      msgs/s    ratio   CPU us/msg send  recv   CPU ns/byte send recv');
  for (const [label, size] of [['4k', 4 * KIB], ['4m', 4 * MIB]] as const) {
    if (!only.includes(label)) continue;
    const runs: Record<'raw' | 'msgr', Result[]> = { raw: [], msgr: [] };
    for (let r = 0; r < rounds; r++) {
      if (impls.includes('raw')) runs.raw.push(await runRaw(port, size, seconds));
      if (impls.includes('msgr')) runs.msgr.push(await runMsgr(port + 1, size, seconds));
    }
    const mbs = (x: Result) => x.bytes / x.seconds / MIB;
    const rawMbs = runs.raw.length ? median(runs.raw.map(mbs)) : NaN;
    for (const impl of ['raw', 'msgr'] as const) {
      const rs = runs[impl];
      if (rs.length === 0) continue;
      const m = median(rs.map(mbs));
      const msgs = median(rs.map((x) => x.messages / x.seconds));
      const sUs = median(rs.map((x) => x.senderCpuUs / x.messages));
      const rUs = median(rs.map((x) => x.receiverCpuUs / x.messages));
      const ratio = impl === 'msgr' ? `${(m / rawMbs).toFixed(2)}x` : '';
      console.log(
        `${label.padEnd(5)} ${impl.padEnd(5)} ${m.toFixed(1).padStart(8)} ${msgs.toFixed(0).padStart(10)}  ${ratio.padStart(6)}` +
          `   ${sUs.toFixed(2).padStart(9)} ${rUs.toFixed(2).padStart(7)}   ${((sUs * 1000) / size).toFixed(3).padStart(8)} ${((rUs * 1000) / size).toFixed(3).padStart(6)}`,
      );
    }
  }
}

await main();
