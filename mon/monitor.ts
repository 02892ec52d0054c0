// The monitor daemon's shell: it owns the store file, the messenger and the timers, and drives the pure
// cores (mon/core: the Quorum of probing / election / Paxos / sync, and the Paxos services). Every core
// step returns a Ready; the shell executes it in the order mon/core/types.ts fixes:
//   1. the Ready's store transaction is already in the in-memory mirror; persist it durably;
//   2. only then send the Ready's peer messages (a peer may act on them: they must never get ahead of
//      our disk), client replies and subscription updates that depend on the commits;
//   3. refresh the services for committed versions (done right away so later commands see them; the
//      replies that depend on them wait behind the persist, in one ordered chain).
//
// Clients (ceph CLI, MonClient, OSDs) talk to any monitor. Reads are answered locally when the quorum
// is readable; writes on a peon are forwarded to the leader and the reply relayed back; on the leader a
// write changes the pending state, the shell proposes it, and the reply leaves once that proposal is
// committed (and persisted here).

import { addrHostPort } from '../common/entityaddr.js';
import { CephError, Errno } from '../common/errors.js';
import { encodeMonMap, decodeMonMap, monmapRankOf, monRankByAddr } from '../common/monmap/index.js';
import type { MonMap } from '../common/monmap/types.js';
import type { EntityAddrVec, PgId } from '../common/osdmap/index.js';
import type { BlockDevice } from '../common/blockdev/index.js';
import { createMessenger, EntityType, MOSDBoot, Policies, type Connection, type Dispatcher, type Logger, type Message, type Messenger, type MPGStats, type Transport } from '../msg/index.js';
import { createQuorum, DEFAULT_QUORUM_CONFIG, MON_SYNC_IN_SYNC_KEY, MON_SYNC_LATEST_MONMAP_KEY, MON_SYNC_PREFIX } from './core/quorum.js';
import { createMonServices, DEFAULT_MON_SERVICES_CONFIG } from './core/services/monservices.js';
import { MonStoreTx } from './core/store.js';
import { PGMAP_PREFIX } from './core/services/pgmap.js';
import type { CmdMap, CommandOutcome, CommandReply, MonContext, PgTempRequest, MonServices, MonServicesConfig, PeerMessage, Quorum, QuorumConfig, QuorumReady } from './core/types.js';
import { commandDescriptions, validateCmdMap } from './commands.js';
import { MonStore } from './store.js';
import * as wire from './wire.js';

/** Store keys the shell itself writes at mkfs (Ceph keeps the mkfs monmap under "mkfs"/"monmap"). */
export const MKFS_PREFIX = 'mkfs';
export const MKFS_MONMAP_KEY = 'monmap';
export const MONITOR_PREFIX = 'monitor';
/** Maps in one MOSDMap (Ceph's osd_map_message_max, 40). */
export const OSDMAP_MESSAGE_MAPS_MAX = 40;
/** Client commands one monitor holds at once (waiting for a quorum, a lease, a commit or the leader). */
export const COMMANDS_WAITING_MAX = 4096;
/** Global ids interleave monitors by rank: id = n * stride + rank (more ranks than any monmap holds). */
export const GLOBAL_ID_RANK_STRIDE = 64;

export interface MonitorOptions {
  name: string;
  dataDir: string;
  quorum?: Partial<QuorumConfig>;
  services?: Partial<MonServicesConfig>;
  /** Core tick period. */
  tickIntervalMs?: number;
  /** Commands that wait (not readable, forwarded, proposed) fail with ETIMEDOUT after this. */
  commandTimeoutMs?: number;
  log?: Logger;
  /** Wall clock in ms (injectable for tests). */
  nowMs?: () => number;
  /** Messenger nonce (random per process by default). */
  nonce?: number;
  /** The store on this block device (made with mkfsMonitor's `device`) instead of the file in dataDir. */
  device?: BlockDevice;
  /** The messenger's transport (msg/transport.ts; TCP when omitted) and its session cookies' randomness:
   *  a simulation passes its own. */
  transport?: Transport;
  randomU64?: () => bigint;
}

interface ClientSession {
  subs: Map<string, { start: number; onetime: boolean }>;
}

interface Waiter {
  conn: Connection;
  tid: number;
  reply: CommandReply;
  /** Sent instead of a command ack (e.g. the MOSDMarkMeDown ack); null for a failed wait. */
  message?: Message;
  /** Run instead of a command ack, once the change committed (the osdmap reply to an MOSDPGTemp). */
  send?: () => void;
}

interface PendingCommand {
  conn: Connection;
  tid: number;
  cmd: CmdMap;
  inbl: Buffer;
  until: 'readable' | 'writeable';
  deadlineMs: number;
}

interface Forwarded {
  conn: Connection;
  clientTid: number;
  cmdText: string[];
  inbl: Buffer;
  deadlineMs: number;
  /** Not a client command but a forwarded OSD message: what to do with the leader's answer. */
  onReply?: (reply: CommandReply) => void;
}

/**
 * OSD messages a peon cannot handle go to the leader as internal commands (Ceph wraps them in
 * MForward, which keeps the sender): {"prefix": <one of these>, "osd": N, ...the message's fields},
 * never in the command table and accepted only from a monitor. The leader handles them as if the OSD
 * had sent them and answers once the change commits (or at once when there is none); the peon then
 * does what it would have done as leader. Bodies:
 *   PG_STATS_FORWARD    inbl is the MPGStats front; the reply's out is the MPGStatsAck entries.
 *   PG_CREATED_FORWARD  "pool": P, "seed": S; the reply is ignored (Ceph sends the OSD nothing).
 *   PG_TEMP_FORWARD     "epoch": E, "forced": bool, "pg_temp": [pool, seed, count, osds..., pool, ...]
 *                       (flat: commands carry flat lists); on r = 0 the peon sends the OSD the osdmap.
 *   OSD_ALIVE_FORWARD   "want": up_thru wanted (MOSDAlive); the OSD sees it in its next osdmap.
 *   OSD_FAILURE_FORWARD "target": T, "failed_for_ms": F, "failed": bool, "immediate": bool (MOSDFailure;
 *                       "osd" is the reporter).
 *   OSD_BOOT_FORWARD    inbl is the OSD's public addrs then the MOSDBoot front (wire.encodeBootForward).
 *   OSD_MARK_ME_DOWN_FORWARD  "osd" is the target; on r = 0 the peon sends the OSD its ack if it asked.
 */
export const PG_STATS_FORWARD = 'tsceph pg stats forward';
export const PG_CREATED_FORWARD = 'tsceph pg created forward';
export const PG_TEMP_FORWARD = 'tsceph pg temp forward';
export const OSD_ALIVE_FORWARD = 'tsceph osd alive forward';
export const OSD_FAILURE_FORWARD = 'tsceph osd failure forward';
export const OSD_BOOT_FORWARD = 'tsceph osd boot forward';
export const OSD_MARK_ME_DOWN_FORWARD = 'tsceph osd mark me down forward';
const OSD_MESSAGE_FORWARDS: ReadonlySet<string> = new Set([
  PG_STATS_FORWARD, PG_CREATED_FORWARD, PG_TEMP_FORWARD, OSD_ALIVE_FORWARD, OSD_FAILURE_FORWARD, OSD_BOOT_FORWARD, OSD_MARK_ME_DOWN_FORWARD,
]);
/** Entries one forwarded MOSDPGTemp may carry (an OSD asks for a few PGs at a time). */
export const PG_TEMP_FORWARD_ENTRIES_MAX = 65536;

let commandDescriptionsJson: Buffer | null = null;

const NULL_LOG: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Create a monitor's data directory and store from a monmap (ceph-mon --mkfs). */
export async function mkfsMonitor(dataDir: string, name: string, monmap: MonMap, device?: { dev: BlockDevice; uuid?: Buffer }): Promise<void> {
  if (monmapRankOf(monmap, name) < 0) {
    throw new CephError('ENOENT', `mon.${name} is not in the monmap (monitors: ${[...monmap.mons.keys()].join(', ') || 'none'})`);
  }
  let store: MonStore;
  if (device) {
    // The store on a caller's device (a simulation): dataDir is not used.
    await MonStore.mkfsOn(device.dev, device.uuid);
    store = await MonStore.openOn(device.dev);
  } else {
    await MonStore.mkfs(dataDir);
    store = await MonStore.open(dataDir);
  }
  try {
    const tx = new MonStoreTx().put(MKFS_PREFIX, MKFS_MONMAP_KEY, encodeMonMap(monmap)).put(MONITOR_PREFIX, 'magic', Buffer.from('ceph mon volume v012\n'));
    tx.put(MONITOR_PREFIX, 'cluster_uuid', Buffer.from(`${monmap.fsid}\n`));
    await store.applyAndPersist(tx);
  } finally {
    await store.close();
  }
}

export class Monitor {
  private readonly log: Logger;
  private readonly nowMs: () => number;
  private monmap: MonMap;
  private rank: number;
  private quorum: Quorum;
  private readonly quorumConfig: QuorumConfig;
  private readonly services: MonServices;
  private tickTimer: NodeJS.Timeout | null = null;
  /** Sends and replies go out in Ready order, each after the persists before it. */
  private chain: Promise<void> = Promise.resolve();
  private stopping = false;
  private closedResolve!: () => void;
  /** Resolves once the monitor has shut down (asked to, removed from the monmap, or a store failure). */
  readonly closed: Promise<void> = new Promise((resolve) => {
    this.closedResolve = resolve;
  });
  private quorumSinceMs = 0;
  private readonly pending: PendingCommand[] = [];
  /** Replies waiting for the leader's next proposal to commit. */
  private waitingProposal: Waiter[] = [];
  /**
   * PG stats acks waiting for the next proposal that writes the PGMap (the PGMap batches its writes,
   * so a proposal without it, or none at all, must not answer them).
   */
  private waitingPgmapWrite: Waiter[] = [];
  /** Replies waiting for a proposed version to commit. */
  private inflight: Array<{ version: number; waiters: Waiter[] }> = [];
  private readonly forwards = new Map<number, Forwarded>();
  private nextForwardTid = 1;
  private lastSentOsdmapEpoch = 0;
  private lastSentMonmapEpoch = 0;
  private readonly commandTimeoutMs: number;
  /** Client connections with subscriptions (dropped on reset). */
  private readonly subscribers = new Set<Connection>();
  /** Called (tests, vstart) once this monitor is in a quorum. */
  private quorumWaiters: Array<() => void> = [];

  private constructor(
    readonly name: string,
    private readonly store: MonStore,
    private readonly msgr: Messenger,
    monmap: MonMap,
    opts: MonitorOptions,
  ) {
    this.log = opts.log ?? NULL_LOG;
    this.nowMs = opts.nowMs ?? Date.now;
    this.monmap = monmap;
    this.rank = monmapRankOf(monmap, name);
    this.commandTimeoutMs = opts.commandTimeoutMs ?? 30000;
    this.quorumConfig = { ...DEFAULT_QUORUM_CONFIG, ...opts.quorum };
    this.quorum = createQuorum(this.rank, monmap, store.mem, this.quorumConfig);
    const scfg: MonServicesConfig = { ...DEFAULT_MON_SERVICES_CONFIG, ...opts.services };
    this.services = createMonServices(scfg);
  }

  /** Open the store, bind the monitor's address from the monmap, join the cluster. */
  static async start(opts: MonitorOptions): Promise<Monitor> {
    const store = opts.device ? await MonStore.openOn(opts.device) : await MonStore.open(opts.dataDir);
    try {
      const monmap = Monitor.loadMonMap(store);
      const rank = monmapRankOf(monmap, opts.name);
      if (rank < 0) throw new CephError('ENOENT', `mon.${opts.name} is not in the monmap (epoch ${monmap.epoch})`);
      const info = monmap.mons.get(opts.name)!;
      const v2 = info.publicAddrs.find((a) => a.type === 2);
      if (!v2) throw new CephError('EINVAL', `mon.${opts.name} has no msgr2 (v2) address in the monmap`);
      const { host, port } = addrHostPort(v2);
      // Clients get their global id (client.<id>) from the monitor they authenticate with. Ceph hands out
      // ranges through Paxos; here each monitor numbers from its start time in ms, interleaved by rank,
      // so monitors never collide and a restarted one does not reuse ids (unless it gave out more than
      // one id per millisecond of its previous life).
      if (rank >= GLOBAL_ID_RANK_STRIDE) throw new CephError('EINVAL', `rank ${rank} is past the ${GLOBAL_ID_RANK_STRIDE} monitors global ids are laid out for`);
      let nextGlobalId = Date.now();
      const msgr = createMessenger({
        entity: { type: EntityType.MON, num: rank },
        nonce: opts.nonce ?? 0,
        assignGlobalId: () => (nextGlobalId++) * GLOBAL_ID_RANK_STRIDE + rank,
        policies: new Map([
          [EntityType.MON, Policies.losslessPeer()],
          [EntityType.CLIENT, Policies.statelessServer()],
          [EntityType.OSD, Policies.statelessServer()],
          [EntityType.MGR, Policies.statelessServer()],
        ]),
        log: opts.log,
        ...(opts.transport ? { transport: opts.transport } : {}),
        ...(opts.randomU64 ? { randomU64: opts.randomU64 } : {}),
      });
      await msgr.bind(host, port);
      const mon = new Monitor(opts.name, store, msgr, monmap, opts);
      msgr.addDispatcher(mon.dispatcher());
      msgr.start();
      mon.services.refresh(store.mem, mon.context());
      mon.handleReady(mon.quorum.start(mon.nowMs()));
      mon.tickTimer = setInterval(() => mon.tick(), opts.tickIntervalMs ?? 50);
      mon.log.info(`mon.${opts.name} rank ${rank} listening on ${host}:${port}`);
      return mon;
    } catch (e) {
      await store.close();
      throw e;
    }
  }

  private static loadMonMap(store: MonStore): MonMap {
    const last = store.mem.getNumber('monmap', 'last_committed');
    // Where Ceph's obtain_monmap looks: the committed monmap; after a sync cut short by a crash (its
    // erase took the monmap and mkfs's), the one the sync backed up; else mkfs's.
    const syncBackup = store.mem.exists(MON_SYNC_PREFIX, MON_SYNC_IN_SYNC_KEY) ? store.mem.get(MON_SYNC_PREFIX, MON_SYNC_LATEST_MONMAP_KEY) : undefined;
    const bl = last > 0 ? store.mem.get('monmap', String(last)) : syncBackup ?? store.mem.get(MKFS_PREFIX, MKFS_MONMAP_KEY);
    if (!bl) throw new CephError('EIO', 'mon store holds no monmap (neither committed nor from mkfs)');
    return decodeMonMap(bl);
  }

  get state(): string {
    return this.quorum.state;
  }
  get isLeader(): boolean {
    return this.quorum.state === 'leader';
  }
  get addrs(): EntityAddrVec {
    return this.msgr.myAddrs;
  }

  /** Resolves once this monitor is leader or peon. */
  waitForQuorum(): Promise<void> {
    if (this.quorum.state === 'leader' || this.quorum.state === 'peon') return Promise.resolve();
    return new Promise((resolve) => this.quorumWaiters.push(resolve));
  }

  async shutdown(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.tickTimer) clearInterval(this.tickTimer);
    await this.chain.catch(() => undefined);
    await this.msgr.shutdown();
    await this.store.close();
    this.closedResolve();
  }

  // -----------------------------------------------------------------------------------------------
  // context and the Ready pipeline

  private context(): MonContext {
    return {
      nowMs: this.nowMs(),
      rank: this.rank,
      isLeader: this.quorum.state === 'leader',
      electionEpoch: this.quorum.electionEpoch,
      quorumRanks: this.quorum.quorumRanks,
      leader: this.quorum.leader,
      monmap: this.monmap,
      quorumSinceMs: this.quorumSinceMs,
    };
  }

  /** Run one Ready: persist, then (in order, after the persist) send; services refresh right away. */
  private handleReady(r: QuorumReady): void {
    if (this.stopping) return;
    const persisted = r.persist && !r.persist.empty ? this.store.persist(r.persist) : null;
    let becameReadable = false;
    let becameWriteable = false;
    let synced = false;
    for (const ev of r.events) {
      switch (ev.kind) {
        case 'state':
          this.onStateChange(ev.state);
          break;
        case 'readable': becameReadable = true; break;
        case 'writeable': becameWriteable = true; break;
        case 'synced': synced = true; break;
        case 'log':
          if (ev.level === 'warn') this.log.warn(ev.text);
          else if (ev.level === 'info') this.log.info(ev.text);
          else this.log.debug(ev.text);
          break;
      }
    }
    const committed = r.committed;
    // Take the waiters first: refreshing may adopt a new monmap and start an election, which fails the
    // waiters still in flight, and these ones are answered (their change committed).
    const replies = committed.length > 0 ? this.takeCommittedWaiters(committed[committed.length - 1]!) : [];
    if (committed.length > 0 || synced) this.refreshServices();
    const sends = r.send;
    this.chain = this.chain
      .then(async () => {
        if (persisted) await persisted;
        for (const s of sends) this.sendPeer(s.to, s.msg);
        for (const w of replies) this.answer(w);
        if (committed.length > 0 || synced) this.publishSubscriptions();
      })
      .catch((e: unknown) => this.fatal(e));
    if (becameReadable || becameWriteable || committed.length > 0) this.retryPending();
    this.maybePropose();
  }

  private fatal(e: unknown): void {
    // A failed persist means our disk may not hold what peers think it holds: stop serving (Ceph asserts).
    this.log.error(`mon.${this.name}: store write failed, shutting down: ${e instanceof Error ? e.message : String(e)}`);
    void this.shutdown();
  }

  private onStateChange(state: string): void {
    if (state === 'leader' || state === 'peon') {
      this.quorumSinceMs = this.nowMs();
      const ws = this.quorumWaiters;
      this.quorumWaiters = [];
      for (const w of ws) w();
      if (state === 'peon') this.resendForwards();
    } else {
      // Lost the quorum or leadership: proposals in flight may still commit under the next leader, but
      // we can no longer promise when; tell waiting clients to retry (Ceph re-queues them similarly).
      const failed = [...this.waitingProposal, ...this.waitingPgmapWrite, ...this.inflight.flatMap((x) => x.waiters)];
      this.waitingProposal = [];
      this.waitingPgmapWrite = [];
      this.inflight = [];
      for (const w of failed) if (!w.message && !w.send) this.chainReply(w.conn, w.tid, { r: -Errno.EAGAIN, rs: 'monitor election in progress; retry', out: Buffer.alloc(0) });
    }
  }

  private refreshServices(): void {
    const mm = this.store.mem.getNumber('monmap', 'last_committed');
    if (mm > 0) {
      const bl = this.store.mem.get('monmap', String(mm));
      if (bl) {
        const next = decodeMonMap(bl);
        if (next.epoch !== this.monmap.epoch) {
          this.monmap = next;
          const rank = monmapRankOf(next, this.name);
          if (rank < 0) {
            this.log.warn(`mon.${this.name} was removed from the monmap (epoch ${next.epoch}); shutting down`);
            void this.shutdown();
            return;
          }
          if (rank !== this.rank) {
            // Our rank moved (a monitor before us left): the core is built for one rank, so start a new
            // one from the store, as Ceph's bootstrap does after changing its name (peers know us by
            // address, see peerRank).
            this.log.info(`mon.${this.name}: rank ${this.rank} -> ${rank} in monmap epoch ${next.epoch}`);
            this.rank = rank;
            this.quorum = createQuorum(rank, next, this.store.mem, this.quorumConfig);
            this.handleReady(this.quorum.start(this.nowMs()));
          } else {
            this.handleReady(this.quorum.setMonMap(next, this.nowMs()));
          }
        }
      }
    }
    this.services.refresh(this.store.mem, this.context());
  }

  private takeCommittedWaiters(lastVersion: number): Waiter[] {
    const out: Waiter[] = [];
    this.inflight = this.inflight.filter((x) => {
      if (x.version <= lastVersion) {
        out.push(...x.waiters);
        return false;
      }
      return true;
    });
    return out;
  }

  private maybePropose(): void {
    if (this.stopping || this.quorum.state !== 'leader' || !this.quorum.isWriteable()) return;
    if (!this.initialMapsCommitted()) {
      // A new cluster: the first leader writes the initial maps (Ceph's create_initial) before anything.
      this.handleReady(this.quorum.propose(this.services.createInitial(this.context()).encode(), this.nowMs()));
      return;
    }
    const tx = this.services.encodePending(this.context());
    if (!tx) {
      if (this.waitingProposal.length > 0) {
        // Nothing changed after all (a no-op write): answer now.
        const ws = this.waitingProposal;
        this.waitingProposal = [];
        for (const w of ws) this.chain = this.chain.then(() => this.answer(w));
      }
      return;
    }
    const version = this.quorum.lastCommitted + 1;
    const waiters = this.waitingProposal;
    if (tx.ops.some((op) => op.prefix === PGMAP_PREFIX)) {
      waiters.push(...this.waitingPgmapWrite);
      this.waitingPgmapWrite = [];
    }
    this.inflight.push({ version, waiters });
    this.waitingProposal = [];
    this.handleReady(this.quorum.propose(tx.encode(), this.nowMs()));
  }

  private tick(): void {
    if (this.stopping) return;
    const now = this.nowMs();
    this.handleReady(this.quorum.tick(now));
    if (this.quorum.state === 'leader') {
      this.services.tick(this.context());
      this.maybePropose();
    }
    this.expireCommands(now);
  }

  // -----------------------------------------------------------------------------------------------
  // messages

  private dispatcher(): Dispatcher {
    return {
      dispatch: (conn, m) => this.dispatch(conn, m),
      handleReset: (conn) => this.dropConnection(conn),
      handleRemoteReset: (conn) => this.dropConnection(conn),
    };
  }

  /**
   * A client went away: forget its subscriptions and the commands it is still waiting on (a client that
   * gave up must not see its write applied later when a quorum returns).
   */
  private dropConnection(conn: Connection): void {
    conn.priv = undefined;
    this.subscribers.delete(conn);
    for (let i = this.pending.length - 1; i >= 0; i--) if (this.pending[i]!.conn === conn) this.pending.splice(i, 1);
    for (const [ftid, f] of this.forwards) if (f.conn === conn) this.forwards.delete(ftid);
  }

  private dispatch(conn: Connection, m: Message): void {
    if (this.stopping) return;
    try {
      const peer = wire.toPeerMessage(m);
      if (peer) {
        const from = conn.peerName.type === EntityType.MON ? this.peerRank(conn) : -1;
        if (from < 0 || from === this.rank) {
          this.log.warn(`mon.${this.name}: peer message ${m.typeName()} from ${conn.peerName.type}.${conn.peerName.num}, not a monitor of monmap epoch ${this.monmap.epoch}; dropped`);
          return;
        }
        this.handleReady(this.quorum.receive(from, peer, this.nowMs()));
        return;
      }
      this.dispatchClient(conn, m);
    } catch (e) {
      // Bad content from the network is an operating error: log, drop the message, keep serving.
      this.log.warn(`mon.${this.name}: dropping ${m.typeName()} from ${conn.peerName.type}.${conn.peerName.num}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /**
   * A peer monitor's current rank, by its address in our monmap (ranks move when monitors are added or
   * removed; the entity number a peer announced at connect time may be its old rank).
   */
  private peerRank(conn: Connection): number {
    for (const a of conn.peerAddrs) {
      const r = monRankByAddr(this.monmap, { ...a, nonce: 0 });
      if (r >= 0) return r;
    }
    return -1;
  }

  private session(conn: Connection): ClientSession {
    let s = conn.priv as ClientSession | undefined;
    if (!s) {
      s = { subs: new Map() };
      conn.priv = s;
    }
    return s;
  }

  private dispatchClient(conn: Connection, m: Message): void {
    const w = wire.classify(m, conn.peerAddrs, conn.peerName.num);
    switch (w.kind) {
      case 'getmap':
        conn.send(wire.monMapMessage(this.encodedMonMap()));
        return;
      case 'subscribe': {
        const s = this.session(conn);
        for (const [what, item] of w.items) s.subs.set(what, item);
        this.subscribers.add(conn);
        conn.send(wire.subscribeAck(this.monmap.fsid));
        this.publishTo(conn, s);
        return;
      }
      case 'getversion': {
        const v = w.what === 'osdmap' ? this.services.osdmapEpoch() : w.what === 'monmap' ? this.monmap.epoch : 0;
        conn.send(wire.versionReply(w.handle, v, w.what === 'osdmap' ? this.oldestOsdmap() : v));
        return;
      }
      case 'command':
        if (conn.peerName.type === EntityType.MON) {
          // A command forwarded by a peon: answer it as a leader (or bounce it back as not leader).
          this.runCommand(conn, w.tid, w.cmd, w.inbl, false);
        } else {
          this.runCommand(conn, w.tid, w.cmd, w.inbl, true);
        }
        return;
      case 'commandAck': {
        // The leader's answer to a command we forwarded: relay it to the client (or to onReply).
        const f = this.forwards.get(w.tid);
        if (!f) return;
        this.forwards.delete(w.tid);
        if (f.onReply) f.onReply(w.reply);
        else this.reply(f.conn, f.clientTid, w.reply);
        return;
      }
      case 'pgStats':
        this.handlePgStats(conn, w.osd, w.msg);
        return;
      case 'pgCreated':
        this.handlePgCreated(conn, w.osd, w.pgid);
        return;
      case 'pgTemp':
        this.handlePgTemp(conn, w.osd, w.req);
        return;
      case 'getPoolStats': {
        // Ceph's MgrStatMonitor answers these from its digest; ours from the committed PGMap.
        if (w.fsid !== this.monmap.fsid || !this.readableNow()) return; // the client resends to another monitor
        const r = this.services.poolStats(w.pools, this.context());
        conn.send(wire.poolStatsReply(this.monmap.fsid, w.tid, r.version, r.stats, r.perPool));
        return;
      }
      case 'statfs': {
        if (w.fsid !== this.monmap.fsid || !this.readableNow()) return;
        const st = this.services.clusterStatfs(this.context(), w.dataPool);
        conn.send(wire.statfsReply(this.monmap.fsid, w.tid, st.version, st));
        return;
      }
      case 'osdBoot':
      case 'osdFailure':
      case 'osdAlive':
      case 'osdMarkMeDown':
        this.handleOsdMessage(conn, m, w);
        return;
      case 'log':
        // The cluster log: kept in this monitor's log file (Ceph's LogMonitor keeps it in Paxos), then
        // acknowledged per channel so the daemon stops resending.
        for (const line of w.lines) this.log.info(`cluster log: ${line}`);
        for (const [channel, last] of w.lastByChannel) conn.send(wire.logAck(w.fsid, last, channel));
        return;
      case 'ping':
        return;
      case 'unknown':
        this.log.debug(`mon.${this.name}: ignoring ${m.typeName()}`);
        return;
    }
  }

  private handleOsdMessage(conn: Connection, m: Message, w: wire.Classified): void {
    if (conn.peerName.type !== EntityType.OSD && (w.kind === 'osdAlive' || w.kind === 'osdFailure')) return;
    if (this.quorum.state === 'peon') {
      // To the leader with what it cannot see itself (Ceph wraps them in MForward): the sender of an alive
      // or failure report, a booting OSD's public addrs; a mark-me-down's ack comes back from here.
      const none = (): void => {};
      if (w.kind === 'osdAlive') this.forwardToLeader(conn, { prefix: OSD_ALIVE_FORWARD, osd: w.osd, want: w.want }, Buffer.alloc(0), none);
      else if (w.kind === 'osdFailure') {
        const fields = { prefix: OSD_FAILURE_FORWARD, osd: w.reporter, target: w.target, failed_for_ms: w.failedForMs, failed: w.isFailed, immediate: w.immediate };
        this.forwardToLeader(conn, fields, Buffer.alloc(0), none);
      } else if (w.kind === 'osdBoot' && m instanceof MOSDBoot) {
        this.forwardToLeader(conn, { prefix: OSD_BOOT_FORWARD, osd: w.osd }, wire.encodeBootForward(m, w.addrs.public), none);
      } else if (w.kind === 'osdMarkMeDown') {
        const ack = w.requestAck ? wire.markMeDownAck(m) : null;
        this.forwardToLeader(conn, { prefix: OSD_MARK_ME_DOWN_FORWARD, osd: w.osd }, Buffer.alloc(0), (reply) => {
          if (ack && reply.r === 0) conn.send(ack);
        });
      }
      return;
    }
    if (this.quorum.state !== 'leader') return; // the OSD resends after the election
    const ctx = this.context();
    if (w.kind === 'osdBoot') {
      const out = this.services.handleOsdBoot(w.osd, w.addrs, w.sbEpoch, w.features, ctx);
      if (out.kind === 'reply' && out.reply.r < 0) this.log.info(`osd.${w.osd} boot refused: ${out.reply.rs}`);
    } else if (w.kind === 'osdFailure') {
      this.services.handleOsdFailure(w.target, w.reporter, w.failedForMs, w.isFailed, ctx, w.immediate);
    } else if (w.kind === 'osdAlive') {
      this.services.handleOsdAlive(w.osd, w.want, ctx);
    } else if (w.kind === 'osdMarkMeDown') {
      const out = this.services.handleOsdMarkMeDown(w.osd, ctx);
      // Ceph acks a mark-me-down that asked for it once the OSD is down in a committed map (the OSD
      // waits osd_mon_shutdown_timeout for it before exiting).
      if (w.requestAck && (out.kind === 'afterCommit' || out.kind === 'reply')) {
        const waiter: Waiter = { conn, tid: 0, reply: out.reply, message: wire.markMeDownAck(m) };
        if (out.kind === 'afterCommit') this.waitingProposal.push(waiter);
        else this.chain = this.chain.then(() => this.answer(waiter));
      }
    }
    this.maybePropose();
  }

  /**
   * An OSD's MPGStats. The leader folds it into the PGMap and acks once the write holding it commits
   * (Ceph's PGMonitor did the same); a peon forwards it to the leader as an internal command and acks
   * when the leader answers. Without a quorum it is dropped: the OSD reports again.
   */
  private handlePgStats(conn: Connection, osd: number, m: MPGStats): void {
    if (conn.peerName.type !== EntityType.OSD || !this.initialMapsCommitted()) return;
    const tid = m.header.tid;
    if (this.quorum.state === 'peon') {
      this.forwardToLeader(conn, { prefix: PG_STATS_FORWARD, osd }, wire.encodePgStatsFront(m), (reply) => {
        if (reply.r === 0) conn.send(wire.pgStatsAck(tid, wire.decodeAckEntries(reply.out)));
      });
      return;
    }
    if (this.quorum.state !== 'leader') return;
    const out = this.services.handlePgStats(osd, m, this.context());
    if (out.kind !== 'reply' && out.kind !== 'afterCommit') return;
    if (out.reply.r < 0) {
      this.log.debug(`mon.${this.name}: pg stats from osd.${osd} refused: ${out.reply.rs}`);
      return;
    }
    const waiter: Waiter = { conn, tid, reply: out.reply, message: wire.pgStatsAck(tid, wire.decodeAckEntries(out.reply.out)) };
    if (out.kind === 'afterCommit') this.holdForPgmapWrite(waiter);
    else this.chain = this.chain.then(() => this.answer(waiter));
    this.maybePropose();
  }

  /**
   * An OSD's MOSDPGCreated (Ceph: preprocess_pg_created always forwards to the leader, which records the
   * PG in the next osdmap epoch). Nothing goes back to the OSD; without a quorum it is dropped (Ceph's
   * OSD sends it again when it reconnects to a monitor, and ours answers a repeated create with it).
   */
  private handlePgCreated(conn: Connection, osd: number, pgid: PgId): void {
    if (conn.peerName.type !== EntityType.OSD || !this.initialMapsCommitted()) return;
    if (this.quorum.state === 'peon') {
      this.forwardToLeader(conn, { prefix: PG_CREATED_FORWARD, osd, pool: pgid.pool, seed: pgid.seed }, Buffer.alloc(0), () => {});
      return;
    }
    if (this.quorum.state !== 'leader') return;
    const out = this.services.handlePgCreated(osd, pgid, this.context());
    if (out.kind === 'reply' || out.kind === 'afterCommit') this.log.debug(`mon.${this.name}: pg created from osd.${osd}: ${out.reply.rs}`);
    this.maybePropose();
  }

  /**
   * An OSD's MOSDPGTemp (Ceph's preprocess_pgtemp on any monitor, prepare_pgtemp on the leader). Ignored:
   * nothing goes back (the OSD asks again). No change: the osdmap from the OSD's epoch at once. A change:
   * the leader puts it in the pending incremental and sends the osdmap once that commits; a peon forwards
   * it and sends the osdmap (from its own store) when the leader answers. Without a quorum it is dropped.
   */
  private handlePgTemp(conn: Connection, osd: number, req: PgTempRequest): void {
    if (conn.peerName.type !== EntityType.OSD || !this.initialMapsCommitted()) return;
    if (this.quorum.state !== 'leader' && this.quorum.state !== 'peon') return;
    if (!this.readableNow()) return;
    const out = this.services.handlePgTemp(osd, conn.peerAddrs, req, this.context());
    const mapEpoch = req.mapEpoch;
    if (out.kind === 'reply') {
      if (out.reply.r < 0) this.log.debug(`mon.${this.name}: ${out.reply.rs}`);
      else this.chain = this.chain.then(() => this.sendOsdmapReply(conn, mapEpoch));
      return;
    }
    if (out.kind === 'forward') {
      if (req.pgTemp.length > PG_TEMP_FORWARD_ENTRIES_MAX) return;
      const fields = { prefix: PG_TEMP_FORWARD, osd, epoch: mapEpoch, forced: req.forced, pg_temp: flattenPgTemp(req) };
      this.forwardToLeader(conn, fields, Buffer.alloc(0), (reply) => {
        if (reply.r === 0) this.sendOsdmapReply(conn, mapEpoch);
      });
      return;
    }
    if (out.kind === 'afterCommit') {
      this.waitingProposal.push({ conn, tid: 0, reply: out.reply, send: () => this.sendOsdmapReply(conn, mapEpoch) });
      this.maybePropose();
    }
  }

  /**
   * A peon's side of OSD_MESSAGE_FORWARDS: the OSD message goes to the leader as an internal command and
   * `onReply` gets the answer (nothing on a timeout). Without a leader it is dropped (the OSD resends).
   */
  private forwardToLeader(conn: Connection, fields: CmdMap, inbl: Buffer, onReply: (reply: CommandReply) => void): void {
    const leader = this.quorum.leader;
    if (leader < 0) return;
    this.sendForward(leader, { conn, clientTid: 0, cmdText: [JSON.stringify(fields)], inbl, deadlineMs: this.nowMs() + this.commandTimeoutMs, onReply });
  }

  /** A command (a client's, or an OSD message) to the leader; its answer comes back as a 'commandAck'. */
  private sendForward(leader: number, f: Forwarded): void {
    const ftid = this.nextForwardTid++;
    this.forwards.set(ftid, f);
    this.peerConnection(leader).send(wire.commandMessage(this.monmap.fsid, f.cmdText, f.inbl, ftid));
  }

  /**
   * The leader's side of OSD_MESSAGE_FORWARDS: the message handled as if its OSD had sent it here,
   * answered once the change commits (PG stats: once a write holding the PGMap commits) or at once.
   */
  private handleForwardedOsdMessage(conn: Connection, tid: number, cmd: CmdMap, inbl: Buffer): void {
    const num = (k: string): number => (typeof cmd[k] === 'number' ? (cmd[k] as number) : -1);
    const osd = num('osd');
    if (this.quorum.state !== 'leader' || osd < 0) {
      this.reply(conn, tid, { r: -Errno.EAGAIN, rs: 'not the leader', out: Buffer.alloc(0) });
      return;
    }
    const ctx = this.context();
    let out: CommandOutcome;
    if (cmd.prefix === PG_STATS_FORWARD) {
      out = this.services.handlePgStats(osd, wire.decodePgStatsFront(inbl), ctx);
    } else if (cmd.prefix === PG_CREATED_FORWARD) {
      const pool = num('pool');
      const seed = num('seed');
      out = pool < 0 || seed < 0 ? { kind: 'reply', reply: { r: -Errno.EINVAL, rs: 'malformed forward', out: Buffer.alloc(0) } } : this.services.handlePgCreated(osd, { pool, seed }, ctx);
    } else if (cmd.prefix === PG_TEMP_FORWARD) {
      const req = parseForwardedPgTemp(cmd);
      out = req === null ? { kind: 'reply', reply: { r: -Errno.EINVAL, rs: 'malformed forward', out: Buffer.alloc(0) } } : this.services.handlePgTemp(osd, null, req, ctx);
    } else if (cmd.prefix === OSD_BOOT_FORWARD) {
      const { m, publicAddrs } = wire.decodeBootForward(inbl);
      const w = wire.classify(m, publicAddrs, osd);
      out = w.kind === 'osdBoot' && w.osd === osd
        ? this.services.handleOsdBoot(osd, w.addrs, w.sbEpoch, w.features, ctx)
        : { kind: 'reply', reply: { r: -Errno.EINVAL, rs: 'malformed forward', out: Buffer.alloc(0) } };
    } else if (cmd.prefix === OSD_MARK_ME_DOWN_FORWARD) {
      out = this.services.handleOsdMarkMeDown(osd, ctx);
    } else if (cmd.prefix === OSD_ALIVE_FORWARD) {
      out = this.services.handleOsdAlive(osd, Math.max(0, num('want')), ctx);
    } else {
      // MOSDFailure: the services answer nothing (a report only counts toward the failure).
      this.services.handleOsdFailure(num('target'), osd, Math.max(0, num('failed_for_ms')), cmd['failed'] === true, ctx, cmd['immediate'] === true);
      out = { kind: 'reply', reply: { r: 0, rs: '', out: Buffer.alloc(0) } };
    }
    if (out.kind === 'afterCommit') {
      const w: Waiter = { conn, tid, reply: out.reply };
      if (cmd.prefix === PG_STATS_FORWARD) this.holdForPgmapWrite(w);
      else this.waitingProposal.push(w);
    } else if (out.kind === 'reply') {
      this.chainReply(conn, tid, out.reply);
    } else {
      this.reply(conn, tid, { r: -Errno.EAGAIN, rs: 'not the leader', out: Buffer.alloc(0) });
    }
    this.maybePropose();
  }

  /**
   * Ceph's send_latest(op, first) for a request: one MOSDMap from `first` (0: the latest full map) up to
   * OSDMAP_MESSAGE_MAPS_MAX epochs, skipping what the connection's osdmap subscription already sent it;
   * the subscription then goes on after what this sent (Ceph's session osd_epoch).
   */
  private sendOsdmapReply(conn: Connection, first: number): void {
    const epoch = this.services.osdmapEpoch();
    const sub = (conn.priv as ClientSession | undefined)?.subs.get('osdmap');
    if (sub && !sub.onetime && sub.start > first) first = sub.start;
    if (epoch === 0 || first > epoch) return;
    if (first === 0) {
      conn.send(wire.osdMapMessage(this.services.osdmapLatestFull()));
      return;
    }
    const u = this.services.osdmapUpdatesFor(first - 1, OSDMAP_MESSAGE_MAPS_MAX);
    const sent = Math.max(0, ...u.maps.keys(), ...u.incrementalMaps.keys());
    if (sent === 0) return;
    conn.send(wire.osdMapMessage(u));
    if (sub && !sub.onetime && sub.start <= sent) sub.start = sent + 1;
  }

  /** Bounded: past COMMANDS_WAITING_MAX the oldest ack is dropped (its OSD reports again). */
  private holdForPgmapWrite(w: Waiter): void {
    if (this.waitingPgmapWrite.length >= COMMANDS_WAITING_MAX) this.waitingPgmapWrite.shift();
    this.waitingPgmapWrite.push(w);
  }

  // -----------------------------------------------------------------------------------------------
  // commands

  private runCommand(conn: Connection, tid: number, cmdText: string[], inbl: Buffer, mayForward: boolean): void {
    let cmd: CmdMap;
    try {
      cmd = wire.parseCmd(cmdText);
    } catch (e) {
      this.reply(conn, tid, { r: -Errno.EINVAL, rs: e instanceof Error ? e.message : String(e), out: Buffer.alloc(0) });
      return;
    }
    if (typeof cmd.prefix === 'string' && OSD_MESSAGE_FORWARDS.has(cmd.prefix)) {
      if (conn.peerName.type === EntityType.MON) this.handleForwardedOsdMessage(conn, tid, cmd, inbl);
      return;
    }
    if (cmd.prefix === 'get_command_descriptions') {
      // What Ceph's CLI asks first: the table it matches its argv against (Ceph's shape).
      commandDescriptionsJson ??= Buffer.from(JSON.stringify(commandDescriptions()));
      this.reply(conn, tid, { r: 0, rs: '', out: commandDescriptionsJson });
      return;
    }
    const waiting = this.pending.length + this.forwards.size + this.waitingProposal.length + this.inflight.reduce((n, x) => n + x.waiters.length, 0);
    if (waiting >= COMMANDS_WAITING_MAX) {
      this.reply(conn, tid, { r: -Errno.EAGAIN, rs: `mon.${this.name} holds ${waiting} commands already (limit ${COMMANDS_WAITING_MAX}); retry`, out: Buffer.alloc(0) });
      return;
    }
    try {
      validateCmdMap(cmd);
    } catch (e) {
      const err = e instanceof CephError ? e : new CephError('EINVAL', String(e));
      this.reply(conn, tid, { r: -err.errno, rs: err.message, out: Buffer.alloc(0) });
      return;
    }
    this.execute(conn, tid, cmd, cmdText, inbl, mayForward, this.nowMs() + this.commandTimeoutMs);
  }

  private execute(conn: Connection, tid: number, cmd: CmdMap, cmdText: string[], inbl: Buffer, mayForward: boolean, deadlineMs: number): void {
    if ((!this.quorum.isReadable(this.nowMs()) && this.quorum.state !== 'leader') || !this.initialMapsCommitted()) {
      // Not readable yet, or a new cluster whose first maps are not committed: a change made now would
      // be built on no map at all. Wait (bounded by the command deadline).
      this.pending.push({ conn, tid, cmd, inbl, until: 'readable', deadlineMs });
      return;
    }
    let outcome: CommandOutcome;
    try {
      outcome = this.services.handleCommand(cmd, inbl, this.context());
    } catch (e) {
      const err = e instanceof CephError ? e : null;
      this.reply(conn, tid, { r: err ? -err.errno : -Errno.EINVAL, rs: e instanceof Error ? e.message : String(e), out: Buffer.alloc(0) });
      return;
    }
    switch (outcome.kind) {
      case 'reply':
        this.reply(conn, tid, outcome.reply);
        return;
      case 'afterCommit':
        this.waitingProposal.push({ conn, tid, reply: outcome.reply });
        this.maybePropose();
        return;
      case 'forward': {
        const leader = this.quorum.leader;
        if (!mayForward || leader < 0 || leader === this.rank) {
          this.pending.push({ conn, tid, cmd, inbl, until: 'writeable', deadlineMs });
          return;
        }
        this.sendForward(leader, { conn, clientTid: tid, cmdText, inbl, deadlineMs });
        return;
      }
      case 'wait':
        this.pending.push({ conn, tid, cmd, inbl, until: outcome.until, deadlineMs });
        return;
    }
  }

  /** Reads may be answered here now (a readable quorum and the first maps committed). */
  private readableNow(): boolean {
    return this.initialMapsCommitted() && (this.quorum.isReadable(this.nowMs()) || this.quorum.state === 'leader');
  }

  /** The first leader's create_initial has committed (every service has a first version). */
  private initialMapsCommitted(): boolean {
    return this.store.mem.getNumber('osdmap', 'last_committed') > 0;
  }

  private retryPending(): void {
    if (this.pending.length === 0) return;
    const readable = (this.quorum.isReadable(this.nowMs()) || this.quorum.state === 'leader') && this.initialMapsCommitted();
    const todo = this.pending.splice(0);
    for (const p of todo) {
      if (!readable || (p.until === 'writeable' && this.quorum.state === 'leader' && !this.quorum.isWriteable())) {
        this.pending.push(p);
        continue;
      }
      this.execute(p.conn, p.tid, p.cmd, [JSON.stringify(p.cmd)], p.inbl, p.conn.peerName.type !== EntityType.MON, p.deadlineMs);
    }
  }

  private resendForwards(): void {
    const leader = this.quorum.leader;
    if (leader < 0 || leader === this.rank) return;
    for (const [ftid, f] of this.forwards) this.peerConnection(leader).send(wire.commandMessage(this.monmap.fsid, f.cmdText, f.inbl, ftid));
  }

  private expireCommands(now: number): void {
    const timedOut = (what: string) => ({ r: -Errno.ETIMEDOUT, rs: `${what} timed out after ${this.commandTimeoutMs} ms: no quorum`, out: Buffer.alloc(0) });
    for (let i = this.pending.length - 1; i >= 0; i--) {
      const p = this.pending[i]!;
      if (p.deadlineMs <= now) {
        this.pending.splice(i, 1);
        this.reply(p.conn, p.tid, timedOut('command'));
      }
    }
    for (const [ftid, f] of this.forwards) {
      if (f.deadlineMs <= now) {
        this.forwards.delete(ftid);
        if (!f.onReply) this.reply(f.conn, f.clientTid, timedOut('forwarded command'));
      }
    }
  }

  private answer(w: Waiter): void {
    if (w.send) w.send();
    else if (w.message) w.conn.send(w.message);
    else this.reply(w.conn, w.tid, w.reply);
  }

  /** Replies go through the chain so they never pass a persist that precedes them. */
  private chainReply(conn: Connection, tid: number, reply: CommandReply): void {
    this.chain = this.chain.then(() => this.reply(conn, tid, reply));
  }

  private reply(conn: Connection, tid: number, reply: CommandReply): void {
    conn.send(wire.commandAck(tid, reply));
  }

  // -----------------------------------------------------------------------------------------------
  // peers and subscriptions

  private peerConnection(rank: number): Connection {
    const name = this.monmap.ranks[rank];
    const info = name === undefined ? undefined : this.monmap.mons.get(name);
    if (!info) throw new CephError('ENOENT', `no monitor at rank ${rank}`);
    return this.msgr.connectTo(EntityType.MON, info.publicAddrs);
  }

  private sendPeer(rank: number, msg: PeerMessage): void {
    if (rank === this.rank) return;
    // Ceph's monitors decode the monmap in every election message (an empty one aborts a real
    // ceph-mon); the core leaves it to the shell, which has the map.
    if (msg.kind === 'election' && msg.m.monmapBl.length === 0) msg.m.monmapBl = this.encodedMonMap();
    try {
      this.peerConnection(rank).send(wire.fromPeerMessage(msg));
    } catch (e) {
      this.log.warn(`mon.${this.name}: cannot send to rank ${rank}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private monmapBlCache: { epoch: number; bl: Buffer } | null = null;
  private encodedMonMap(): Buffer {
    if (!this.monmapBlCache || this.monmapBlCache.epoch !== this.monmap.epoch) this.monmapBlCache = { epoch: this.monmap.epoch, bl: encodeMonMap(this.monmap) };
    return this.monmapBlCache.bl;
  }

  /** Ceph's MOSDPGCreate2 to an osd_pg_creates subscriber: the PGs the services say it must create. */
  private sendPgCreates(conn: Connection, osd: number): void {
    const epoch = this.services.osdmapEpoch();
    if (epoch === 0) return;
    const pgs = this.services.osdPgCreates(osd, this.nowMs());
    if (pgs.length === 0) return;
    this.log.debug(`osd.${osd}: create ${pgs.length} pgs at epoch ${epoch}`);
    conn.send(wire.pgCreateMessage(epoch, pgs));
  }

  private oldestOsdmap(): number {
    return this.store.mem.getNumber('osdmap', 'first_committed');
  }

  private publishSubscriptions(): void {
    const osdEpoch = this.services.osdmapEpoch();
    const monEpoch = this.monmap.epoch;
    if (osdEpoch === this.lastSentOsdmapEpoch && monEpoch === this.lastSentMonmapEpoch) return;
    this.lastSentOsdmapEpoch = osdEpoch;
    this.lastSentMonmapEpoch = monEpoch;
    for (const conn of this.subscribers) {
      const s = conn.priv as ClientSession | undefined;
      if (s && s.subs.size > 0) this.publishTo(conn, s);
      else this.subscribers.delete(conn);
    }
  }

  /** Send a session what it subscribed to and lacks (Ceph's Monitor::handle_subscribe / check_sub). */
  private publishTo(conn: Connection, s: ClientSession): void {
    for (const [what, item] of [...s.subs]) {
      if (what === 'monmap') {
        if (this.monmap.epoch >= item.start) {
          conn.send(wire.monMapMessage(this.encodedMonMap()));
          if (item.onetime) s.subs.delete(what);
          else item.start = this.monmap.epoch + 1;
        }
      } else if (what === 'osdmap') {
        // Ceph's check_osdmap_sub: from epoch 0 the latest full map; otherwise every epoch from `start`
        // (incrementals, the first kept full map when `start` is older), OSDMAP_MESSAGE_MAPS_MAX per message.
        const epoch = this.services.osdmapEpoch();
        if (epoch > 0 && epoch >= item.start) {
          if (item.start === 0) {
            conn.send(wire.osdMapMessage(this.services.osdmapLatestFull()));
          } else {
            let have = item.start - 1;
            while (have < epoch) {
              const u = this.services.osdmapUpdatesFor(have, OSDMAP_MESSAGE_MAPS_MAX);
              const sent = Math.max(0, ...u.maps.keys(), ...u.incrementalMaps.keys());
              if (sent <= have) break;
              conn.send(wire.osdMapMessage(u));
              have = sent;
            }
          }
          if (item.onetime) s.subs.delete(what);
          else item.start = epoch + 1;
        }
      } else if (what === 'config') {
        conn.send(wire.configMessage());
        s.subs.delete(what);
      } else if (what === 'osd_pg_creates' && conn.peerName.type === EntityType.OSD) {
        this.sendPgCreates(conn, conn.peerName.num);
      }
    }
  }
}

/** A PG_TEMP_FORWARD command's "pg_temp": flat numbers, per entry pool, seed, count, then the OSDs. */
export function flattenPgTemp(req: PgTempRequest): number[] {
  const out: number[] = [];
  for (const t of req.pgTemp) out.push(t.pgid.pool, t.pgid.seed, t.osds.length, ...t.osds);
  return out;
}

/** The request inside a PG_TEMP_FORWARD command, or null when it is malformed. */
export function parseForwardedPgTemp(cmd: CmdMap): PgTempRequest | null {
  const epoch = cmd['epoch'];
  const flat = cmd['pg_temp'];
  if (typeof epoch !== 'number' || !Array.isArray(flat)) return null;
  const nums: number[] = [];
  for (const x of flat as unknown[]) {
    if (typeof x !== 'number' || !Number.isInteger(x)) return null;
    nums.push(x);
  }
  const pgTemp: PgTempRequest['pgTemp'] = [];
  let i = 0;
  while (i < nums.length) {
    if (pgTemp.length >= PG_TEMP_FORWARD_ENTRIES_MAX || i + 3 > nums.length) return null;
    const pool = nums[i]!;
    const seed = nums[i + 1]!;
    const n = nums[i + 2]!;
    if (pool < 0 || seed < 0 || n < 0 || i + 3 + n > nums.length) return null;
    pgTemp.push({ pgid: { pool, seed }, osds: nums.slice(i + 3, i + 3 + n) });
    i += 3 + n;
  }
  return { mapEpoch: epoch, forced: cmd['forced'] === true, pgTemp };
}
