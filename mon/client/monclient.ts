// Ceph's MonClient (src/mon/MonClient.cc) for tsceph clients and daemons: find a monitor ("hunt"),
// keep one session with it over a lossy client connection, learn the monmap, keep subscriptions
// (monmap, osdmap, config) with the epochs we already have, and run monitor commands.
//
// Walk-through:
//   1. Hunting: candidates are the monitors of the monmap we know, else those of mon_host (msgr2
//      addresses; msgr1-only entries are skipped). Up to `huntParallel` are dialled at once, starting at
//      a rotating (seeded) position; the first whose session comes up wins and the others are marked
//      down. No session within the hunt interval: mark them down and dial the next ones, the interval
//      growing by `huntBackoff` up to `huntIntervalMaxMs`.
//   2. Session up: send our subscriptions (each "what" with start = have + 1) and MMonGetMap; a
//      MMonMap gives the fsid and the monitors (and replaces the candidates).
//   3. Commands: each gets a tid; it is sent once the session is up and the fsid known; its
//      MMonCommandAck (same tid) settles it. A session reset (the monitor died or left the quorum)
//      starts a new hunt and every unanswered command is sent again, with the same tid, to the next
//      monitor (Ceph's _resend_mon_commands). A command that is not answered within its timeout fails
//      with CephError ETIMEDOUT naming the monitors tried.
//   4. Subscriptions: Ceph 16 monitors keep them in the session (stateful subs), so they are only
//      resent on a new session; if a monitor answers with MMonSubscribeAck (an old monitor), they are
//      renewed at half its interval as Ceph's client does.

import { CephError, errnoName } from '../../common/errors.js';
import type { CephConfig } from '../../common/config.js';
import { ENTITY_ADDR_TYPE_MSGR2, formatAddrVec, type EntityAddrVec } from '../../common/osdmap/index.js';
import type { MonMap } from '../../common/monmap/types.js';
import { decodeMonMap } from '../../common/monmap/index.js';
import {
  CEPH_SUBSCRIBE_ONETIME, EntityType, MConfig, MMonCommand, MMonCommandAck, MMonGetMap, MMonMap, MMonSubscribe, MMonSubscribeAck, MOSDMap, Policies,
  createMessenger, type Connection, type Dispatcher, type EntityName, type Logger, type Message, type Messenger,
} from '../../msg/index.js';
import { cmdmapToJson } from '../commands.js';
import type { CmdMap } from '../core/types.js';

/** Ceph's mon_client_hunt_interval (3 s), _backoff (1.5) and _max_multiple (10). */
export const HUNT_INTERVAL_MS = 3000;
export const HUNT_BACKOFF = 1.5;
export const HUNT_INTERVAL_MAX_MULTIPLE = 10;
/** mon_client_hunt_parallel. */
export const HUNT_PARALLEL = 3;
/** How often the client looks at its deadlines. */
export const MONCLIENT_TICK_MS = 50;
/** Commands queued or in flight at once (a bound, not a Ceph option). */
export const PENDING_COMMANDS_MAX = 4096;
/** CEPH_SUBSCRIBE_ONETIME (msg/messages), re-exported for subscribers. */
export const SUBSCRIBE_ONETIME = CEPH_SUBSCRIBE_ONETIME;

export interface MonCommandResult {
  r: number; // 0 or -errno
  rs: string;
  out: Buffer;
}

export interface MonClientOptions {
  /** Where mon_host (and the hunt options) come from. */
  config?: CephConfig;
  /** Or the monitors' address vectors directly. */
  monAddrs?: EntityAddrVec[];
  /** Who we are: client.? by default (the monitor assigns the global id). */
  entity?: EntityName;
  /** Auth id ("admin" for client.admin). */
  authId?: string;
  nonce?: number;
  log?: Logger;
  /** Share a daemon's messenger (its dispatcher chain gets ours added); else we create and own one. */
  messenger?: Messenger;
  huntIntervalMs?: number;
  huntParallel?: number;
  /** Deterministic hunt order for tests. */
  random?: () => number;
}

interface PendingCommand {
  tid: number;
  cmd: string[];
  inbl: Buffer;
  resolve: (r: MonCommandResult) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout | null;
  sentTo: Connection | null;
}

interface Subscription {
  start: number;
  flags: number;
}

type Waiter = { resolve: () => void; reject: (e: Error) => void; timer: NodeJS.Timeout | null };

export type OsdMapHandler = (m: MOSDMap) => void;
export type MonMapHandler = (m: MonMap) => void;
export type ConfigHandler = (config: Map<string, string>) => void;

const noLog: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** msgr2 candidates from address vectors: only vectors with a v2 address can be dialled by us. */
function msgr2Only(vecs: EntityAddrVec[]): EntityAddrVec[] {
  return vecs.filter((v) => v.some((a) => a.type === ENTITY_ADDR_TYPE_MSGR2));
}

export class MonClient implements Dispatcher {
  readonly log: Logger;
  private messenger: Messenger | null;
  private readonly ownsMessenger: boolean;
  private readonly opts: MonClientOptions;
  private candidates: EntityAddrVec[] = [];
  private huntStart = 0;
  private hunting: Connection[] = [];
  private session: Connection | null = null;
  /** The session onSession handlers were last told about. */
  private sessionAnnounced: Connection | null = null;
  private huntDeadline = 0;
  private huntIntervalMs: number;
  private readonly huntIntervalBaseMs: number;
  private readonly huntParallel: number;
  private readonly random: () => number;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private lastTid = 0;
  private readonly pending = new Map<number, PendingCommand>();
  private readonly subs = new Map<string, Subscription>();
  private subRenewAt = 0;
  private monmap: MonMap | null = null;
  private readonly connectWaiters = new Set<Waiter>();
  private readonly osdmapHandlers: OsdMapHandler[] = [];
  private readonly monmapHandlers: MonMapHandler[] = [];
  private readonly configHandlers: ConfigHandler[] = [];
  private readonly sessionHandlers: Array<(conn: Connection) => void> = [];
  /** Every monitor address dialled, for error messages. */
  readonly tried = new Set<string>();

  constructor(opts: MonClientOptions) {
    this.opts = opts;
    this.log = opts.log ?? noLog;
    this.random = opts.random ?? Math.random;
    const cfg = opts.config;
    this.huntIntervalBaseMs = opts.huntIntervalMs ?? (cfg ? cfg.getNumber('mon_client_hunt_interval') * 1000 : HUNT_INTERVAL_MS);
    this.huntIntervalMs = this.huntIntervalBaseMs;
    this.huntParallel = Math.max(1, opts.huntParallel ?? (cfg ? cfg.getNumber('mon_client_hunt_parallel') : HUNT_PARALLEL));
    const vecs = opts.monAddrs ?? (cfg ? cfg.monHostEntries().map((e) => e.addrs) : []);
    this.candidates = msgr2Only(vecs);
    if (this.candidates.length === 0) {
      throw new CephError('ENOENT', 'no monitors to contact: set mon_host in ceph.conf or pass -m (msgr2 addresses, e.g. v2:127.0.0.1:3300)');
    }
    this.huntStart = Math.floor(this.random() * this.candidates.length);
    // As Ceph's MonClient: always follow the monmap, so a changed monitor set is known before hunting.
    this.subs.set('monmap', { start: 0, flags: 0 });
    if (opts.messenger) {
      this.messenger = opts.messenger;
      this.ownsMessenger = false;
    } else {
      this.messenger = null;
      this.ownsMessenger = true;
    }
  }

  /** Create (or join) the messenger and start hunting. Idempotent. */
  init(): void {
    if (this.timer || this.stopped) return;
    if (!this.messenger) {
      const nonce = this.opts.nonce ?? Math.floor(this.random() * 0xffffffff) >>> 0;
      this.messenger = createMessenger({
        entity: this.opts.entity ?? { type: EntityType.CLIENT, num: -1 },
        nonce,
        defaultPolicy: Policies.lossyClient(),
        log: this.log,
        authId: this.opts.authId,
      });
      this.messenger.start();
    }
    this.messenger.addDispatcher(this);
    this.timer = setInterval(() => this.tick(Date.now()), MONCLIENT_TICK_MS);
    this.startHunt(Date.now());
  }

  /** The monmap we have (after the first MMonMap). */
  getMonMap(): MonMap | null {
    return this.monmap;
  }

  get isConnected(): boolean {
    return this.session !== null && this.monmap !== null;
  }

  /** Resolves once a session is up and the monmap known; ETIMEDOUT naming the monitors tried otherwise. */
  connect(opts: { timeoutMs?: number } = {}): Promise<void> {
    this.init();
    if (this.isConnected) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const w: Waiter = { resolve, reject, timer: null };
      if (opts.timeoutMs !== undefined && opts.timeoutMs > 0) {
        w.timer = setTimeout(() => {
          this.connectWaiters.delete(w);
          reject(new CephError('ETIMEDOUT', `no monitor session within ${opts.timeoutMs} ms (tried ${this.triedText()})`));
        }, opts.timeoutMs);
      }
      this.connectWaiters.add(w);
    });
  }

  /**
   * Run a monitor command: cmdmap is sent as Ceph's CLI sends it (one JSON string, floats as floats per
   * tsceph's command table). Resolves with the monitor's (r, rs, out) whatever r is; rejects only with
   * ETIMEDOUT (no answer in time), ESHUTDOWN or EAGAIN (too many pending).
   */
  command(cmdmap: CmdMap, inbl: Buffer = Buffer.alloc(0), opts: { timeoutMs?: number } = {}): Promise<MonCommandResult> {
    return this.rawCommand([cmdmapToJson(cmdmap)], inbl, opts);
  }

  rawCommand(cmd: string[], inbl: Buffer = Buffer.alloc(0), opts: { timeoutMs?: number } = {}): Promise<MonCommandResult> {
    if (this.stopped) return Promise.reject(new CephError('ESHUTDOWN', 'MonClient is shut down'));
    if (this.pending.size >= PENDING_COMMANDS_MAX) return Promise.reject(new CephError('EAGAIN', `more than ${PENDING_COMMANDS_MAX} monitor commands pending`));
    this.init();
    return new Promise<MonCommandResult>((resolve, reject) => {
      const tid = ++this.lastTid;
      const p: PendingCommand = { tid, cmd, inbl, resolve, reject, timer: null, sentTo: null };
      if (opts.timeoutMs !== undefined && opts.timeoutMs > 0) {
        const ms = opts.timeoutMs;
        p.timer = setTimeout(() => {
          this.pending.delete(tid);
          reject(new CephError('ETIMEDOUT', `monitor command ${cmd.join(' ')} not answered within ${ms} ms (tried ${this.triedText()})`));
        }, ms);
      }
      this.pending.set(tid, p);
      this.sendCommand(p);
    });
  }

  /** Subscribe to a map ("osdmap", "monmap", "config", ...) from epoch `start`. */
  subscribe(what: string, start: number, flags = 0): void {
    const old = this.subs.get(what);
    if (old && old.start === start && old.flags === flags) return;
    this.subs.set(what, { start, flags });
    this.sendSubs();
  }

  unsubscribe(what: string): void {
    this.subs.delete(what);
  }

  /** Ceph's sub_got: we now have `epoch` of `what`; later sessions ask from epoch + 1. */
  gotEpoch(what: string, epoch: number): void {
    const s = this.subs.get(what);
    if (!s) return;
    if (s.flags & SUBSCRIBE_ONETIME) {
      if (epoch >= s.start) this.subs.delete(what);
    } else if (epoch + 1 > s.start) {
      s.start = epoch + 1;
    }
  }

  onOsdMap(h: OsdMapHandler): void {
    this.osdmapHandlers.push(h);
  }

  onMonMap(h: MonMapHandler): void {
    this.monmapHandlers.push(h);
  }

  onConfig(h: ConfigHandler): void {
    this.configHandlers.push(h);
  }

  /** Called each time a new monitor session is up and the monmap known (a daemon resends its state). */
  onSession(h: (conn: Connection) => void): void {
    this.sessionHandlers.push(h);
  }

  /**
   * Send a message to the monitor of the current session (daemons: MOSDBoot, MOSDAlive, MOSDFailure,
   * ...). Returns false, sending nothing, when there is no session; the caller resends from onSession.
   */
  sendMessage(m: Message): boolean {
    if (this.stopped || !this.session || !this.monmap) return false;
    this.session.send(m);
    return true;
  }

  /** The connection of the current monitor session, if any. */
  get sessionConnection(): Connection | null {
    return this.session;
  }

  async shutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const p of this.pending.values()) {
      if (p.timer) clearTimeout(p.timer);
      p.reject(new CephError('ESHUTDOWN', 'MonClient shut down before the monitor answered'));
    }
    this.pending.clear();
    for (const w of this.connectWaiters) {
      if (w.timer) clearTimeout(w.timer);
      w.reject(new CephError('ESHUTDOWN', 'MonClient shut down before a session was up'));
    }
    this.connectWaiters.clear();
    for (const c of this.hunting) c.markDown();
    this.hunting = [];
    this.session?.markDown();
    this.session = null;
    if (this.ownsMessenger && this.messenger) await this.messenger.shutdown();
  }

  // --- hunting -------------------------------------------------------------------------------------

  private triedText(): string {
    return this.tried.size ? [...this.tried].join(', ') : this.candidates.map(formatAddrVec).join(', ');
  }

  private startHunt(nowMs: number): void {
    if (this.stopped || !this.messenger) return;
    for (const c of this.hunting) c.markDown();
    this.hunting = [];
    const n = Math.min(this.huntParallel, this.candidates.length);
    for (let i = 0; i < n; i++) {
      const addrs = this.candidates[(this.huntStart + i) % this.candidates.length]!;
      this.tried.add(formatAddrVec(addrs));
      this.log.debug(`monclient: hunting ${formatAddrVec(addrs)}`);
      this.hunting.push(this.messenger.connectTo(EntityType.MON, addrs));
    }
    this.huntStart = (this.huntStart + n) % this.candidates.length;
    this.huntDeadline = nowMs + this.huntIntervalMs;
  }

  private tick(nowMs: number): void {
    if (this.stopped) return;
    if (!this.session && nowMs >= this.huntDeadline) {
      this.huntIntervalMs = Math.min(this.huntIntervalMs * HUNT_BACKOFF, this.huntIntervalBaseMs * HUNT_INTERVAL_MAX_MULTIPLE);
      this.startHunt(nowMs);
    }
    if (this.session && this.subRenewAt && nowMs >= this.subRenewAt) {
      this.subRenewAt = 0;
      this.sendSubs();
    }
  }

  // --- Dispatcher ----------------------------------------------------------------------------------

  handleConnect(conn: Connection): void {
    if (this.stopped || this.session || !this.hunting.includes(conn)) return;
    this.log.info(`monclient: session with ${formatAddrVec(conn.peerAddrs)}`);
    this.session = conn;
    for (const c of this.hunting) if (c !== conn) c.markDown();
    this.hunting = [];
    this.huntIntervalMs = this.huntIntervalBaseMs;
    conn.send(new MMonGetMap());
    this.sendSubs();
    if (this.monmap) this.resendCommands();
  }

  handleReset(conn: Connection): void {
    this.lost(conn, 'reset');
  }

  handleRefused(conn: Connection): void {
    this.lost(conn, 'refused');
  }

  handleRemoteReset(conn: Connection): void {
    this.lost(conn, 'remote reset');
  }

  private lost(conn: Connection, why: string): void {
    if (this.stopped) return;
    if (conn === this.session) {
      this.log.info(`monclient: session with ${formatAddrVec(conn.peerAddrs)} lost (${why}); hunting`);
      this.session = null;
      for (const p of this.pending.values()) p.sentTo = null;
      this.startHunt(Date.now());
      return;
    }
    const i = this.hunting.indexOf(conn);
    if (i >= 0) {
      this.hunting.splice(i, 1);
      // Every attempt failed at once (refused): try the next ones without waiting out the interval.
      if (this.hunting.length === 0 && !this.session) this.huntDeadline = Math.min(this.huntDeadline, Date.now() + Math.min(this.huntIntervalBaseMs, 250));
    }
  }

  dispatch(conn: Connection, m: Message): void {
    if (this.stopped) return;
    if (conn !== this.session) {
      // A late message from a monitor we dropped: ignore it (Ceph checks the connection too).
      return;
    }
    if (m instanceof MMonMap) this.handleMonMap(m);
    else if (m instanceof MMonCommandAck) this.handleCommandAck(m);
    else if (m instanceof MOSDMap) {
      for (const h of this.osdmapHandlers) h(m);
    } else if (m instanceof MMonSubscribeAck) {
      // Old monitors: renew at half the interval they granted (seconds).
      this.subRenewAt = Date.now() + Math.max(1, m.interval) * 500;
    } else if (m instanceof MConfig) {
      this.gotEpoch('config', 0);
      for (const h of this.configHandlers) h(m.config);
    }
  }

  private handleMonMap(m: MMonMap): void {
    const monmap = decodeMonMap(m.monmapBl);
    const first = this.sessionAnnounced !== this.session;
    this.monmap = monmap;
    this.gotEpoch('monmap', monmap.epoch);
    const vecs = msgr2Only(monmap.ranks.map((n) => monmap.mons.get(n)!.publicAddrs));
    if (vecs.length) this.candidates = vecs;
    for (const h of this.monmapHandlers) h(monmap);
    for (const w of this.connectWaiters) {
      if (w.timer) clearTimeout(w.timer);
      w.resolve();
    }
    this.connectWaiters.clear();
    this.resendCommands();
    if (first && this.session) {
      this.sessionAnnounced = this.session;
      for (const h of this.sessionHandlers) h(this.session);
    }
  }

  private handleCommandAck(m: MMonCommandAck): void {
    const p = this.pending.get(m.header.tid);
    if (!p) {
      this.log.debug(`monclient: ack for unknown tid ${m.header.tid}`);
      return;
    }
    this.pending.delete(p.tid);
    if (p.timer) clearTimeout(p.timer);
    p.resolve({ r: m.r, rs: m.rs, out: m.outbl });
  }

  // --- sending -------------------------------------------------------------------------------------

  private sendSubs(): void {
    if (!this.session || this.subs.size === 0) return;
    const s = new MMonSubscribe();
    for (const [what, sub] of [...this.subs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
      s.add(what, sub.start, sub.flags);
    }
    this.session.send(s);
  }

  private sendCommand(p: PendingCommand): void {
    if (!this.session || !this.monmap || p.sentTo === this.session) return;
    const m = new MMonCommand(this.monmap.fsid, p.cmd, p.inbl);
    m.header.tid = p.tid;
    p.sentTo = this.session;
    this.session.send(m);
  }

  private resendCommands(): void {
    for (const p of [...this.pending.values()].sort((a, b) => a.tid - b.tid)) this.sendCommand(p);
  }
}

/** errno name text as Ceph's CLI prints it ("ENOENT"), for a negative or positive errno. */
export function errnoText(r: number): string {
  return errnoName(r) ?? 'Unknown';
}
