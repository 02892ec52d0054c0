// Proves the randomized model checker (ceph_test_rados in spirit) works and is worth trusting: it passes a seeded op stream against a real Ceph 16 cluster (1 mon, 3 BlueStore OSDs, size 3, min_size 2) with and without OSDs killed -9 and restarted by the thrasher, and it fails, with seed and object history, on clients planted with faults (a lost acknowledged write, a stale read, a byte never written). Env: MODEL_SEED=<n> replays a seed; MODEL_OPS (default 2000) and MODEL_SECONDS (default 15) lengthen the real-cluster runs; MODEL_OP_TIMEOUT_MS sets the per-op timeout while thrashing (default 2000: ops caught by a kill time out and the next read resolves them); MODEL_KEEP keeps the cluster's directory; MODEL_TARGET=tsceph runs the checker and thrasher against our own vstart cluster (1 mon, 3 tsceph OSDs) instead.
import { strict as assert } from 'node:assert';
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rados } from '../../librados/index.js';
import { CephError } from '../../common/errors.js';
import {
  FaultyCheckerClient, MemoryCheckerClient, ModelCheckError, ModelChecker, RadosCheckerClient, applySteps, generateOp, DEFAULT_WEIGHTS,
  type CheckerClient, type CheckerReport, type PlantedFault, type WriteStep,
} from '../support/model-checker.js';
import { startRealCephCluster, type RealCephCluster } from '../support/real-ceph-cluster.js';
import { OsdCluster } from '../support/osd-cluster.js';
import { Thrasher, realCephThrashTarget, tsOsdClusterThrashTarget, type ThrashTarget } from '../support/thrasher.js';

const SEED = process.env.MODEL_SEED !== undefined ? Number(process.env.MODEL_SEED) : 20261130;
const OPS = Number(process.env.MODEL_OPS ?? 2000);
const SECONDS = Number(process.env.MODEL_SECONDS ?? 15);
/** Per-op timeout while thrashing: shorter ones leave more ops with unknown outcomes for reads to resolve. */
const THRASH_OP_TIMEOUT_MS = Number(process.env.MODEL_OP_TIMEOUT_MS ?? 2000);
// Ports 18500-18599 are this file's: the monitor, then the mgr's and OSDs' (4 each, more after restarts).
const MON_PORT = 18500;
const OSD_PORT_MIN = 18510;
const OSD_PORT_MAX = 18599;

const log = (line: string): void => {
  if (process.env.MODEL_VERBOSE !== undefined) console.log(line);
};

async function expectCaught(client: CheckerClient, seed: number, what: RegExp): Promise<ModelCheckError> {
  const checker = new ModelChecker(client, { seed, ops: 3000, objects: 8, inFlight: 3 });
  let err: unknown = null;
  try {
    await checker.run();
    await checker.verifyAll();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof ModelCheckError, `the checker did not notice the planted fault (seed=${seed}): ${String(err)}`);
  assert.match(err.message, new RegExp(`FAILURE seed=${seed}`), 'the report names the seed');
  assert.match(err.message, /MODEL_SEED=\d+; history of mc-\d+/, 'the report gives the replay variable and the object history');
  assert.match(err.message, what);
  return err;
}

describe('model checker: the model and the planted faults (in-memory clients)', function () {
  this.timeout(30000);

  it('generates the same op stream from the same seed, a different one from another', () => {
    const g = { objects: 16, objectBytesMax: 65536, writeBytesMax: 16384, weights: DEFAULT_WEIGHTS };
    const a = Array.from({ length: 200 }, (_, i) => generateOp(SEED, i, g));
    const b = Array.from({ length: 200 }, (_, i) => generateOp(SEED, i, g));
    const c = Array.from({ length: 200 }, (_, i) => generateOp(SEED + 1, i, g));
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    const kinds = new Set(a.map((x) => x.op.kind));
    for (const k of ['read', 'write', 'append', 'compound', 'omapset', 'setxattr', 'truncate', 'zero', 'remove']) assert.ok(kinds.has(k as never), `op kind ${k} in 200 ops`);
  });

  it('applies compound ops atomically: a failing step changes nothing', () => {
    const w: WriteStep = { kind: 'write', offset: 2, data: Buffer.from('xy') };
    const r1 = applySteps(null, [w, { kind: 'create', exclusive: true }]);
    assert.deepEqual([r1.result, r1.state], ['EEXIST', null]);
    const r2 = applySteps(null, [w, { kind: 'rmxattr', name: 'a' }]);
    assert.equal(r2.result, 'ok');
    assert.deepEqual(r2.state?.data, Buffer.from('\0\0xy'));
    const r3 = applySteps(r2.state, [{ kind: 'zero', offset: 1, length: 9 }]);
    assert.deepEqual(r3.state?.data, Buffer.from('\0'), 'zero reaching the end truncates at the offset, as Ceph 16 does');
  });

  it('passes a perfect client, with an op stream that exercises every kind', async () => {
    const checker = new ModelChecker(new MemoryCheckerClient(), { seed: SEED, ops: 4000, objects: 12, inFlight: 4 });
    const r = await checker.run();
    await checker.verifyAll();
    assert.equal(r.failures.length, 0);
    for (const k of Object.keys(DEFAULT_WEIGHTS)) assert.ok((r.byKind[k] ?? 0) > 0, `${k} ran: ${ModelChecker.format(r)}`);
  });

  for (const [fault, what] of [
    ['lose-acked-write', /state the model does not allow|returned (ENOENT|ok), the model expected|readrange .* returned bytes/],
    ['stale-read', /state the model does not allow/],
    ['phantom-bytes', /first difference at byte \d+/],
  ] as [PlantedFault, RegExp][]) {
    it(`catches a client that plants ${fault}`, async () => {
      const client = new FaultyCheckerClient(new MemoryCheckerClient(), fault, 25, 40);
      const err = await expectCaught(client, SEED, what);
      assert.ok(client.planted, 'the fault was planted');
      log(`${fault}: ${client.planted}\n${err.message}`);
    });
  }

  it('accepts either outcome of an op that timed out, and nothing else', async () => {
    // Every 7th write times out; half of those were applied anyway. The checker must accept both.
    class Flaky extends MemoryCheckerClient {
      private n = 0;
      constructor(private readonly corruptAfterTimeout: boolean) { super(); }
      override async write(oid: string, steps: readonly WriteStep[]): Promise<void> {
        this.n++;
        if (this.n % 7 === 0) {
          if (this.n % 2 === 0) {
            await super.write(oid, steps).catch(() => undefined);
            if (this.corruptAfterTimeout) {
              const o = this.objects.get(oid);
              if (o && o.data.length > 0) o.data[0] = o.data[0]! ^ 1; // neither before nor after
            }
          }
          throw new CephError('ETIMEDOUT', `${oid}: timed out`);
        }
        return super.write(oid, steps);
      }
    }
    const ok = new ModelChecker(new Flaky(false), { seed: SEED, ops: 3000, objects: 8, inFlight: 3 });
    const r: CheckerReport = await ok.run();
    await ok.verifyAll();
    assert.ok(r.unknown > 100 && r.resolvedApplied > 10 && r.resolvedNotApplied > 10, ModelChecker.format(r));
    await expectCaught(new Flaky(true), SEED, /state the model does not allow/);
  });
});

// The cluster under test: a real Ceph 16 one by default; our own (vstart) with MODEL_TARGET=tsceph.
interface Target {
  conf: string;
  pool: string;
  pgCount: number;
  thrash: ThrashTarget;
  pgStates(): string[];
  stop(): Promise<void>;
}

async function realTarget(): Promise<Target> {
  const c: RealCephCluster = await startRealCephCluster({ name: 'hg', monPort: MON_PORT, osdPortMin: OSD_PORT_MIN, osdPortMax: OSD_PORT_MAX, osds: 3 });
  try {
    await c.createPool('mc', { pgNum: 8, size: 3, minSize: 2 });
  } catch (e) {
    await c.stop(true);
    throw e;
  }
  return { conf: c.conf, pool: 'mc', pgCount: 8, thrash: realCephThrashTarget(c), pgStates: () => c.pgs().map((p) => p.state), stop: () => c.stop(process.env.MODEL_KEEP !== undefined) };
}

/** The state of every PG (one entry per PG) from our `ceph pg stat`, or [] when the CLI fails. */
function tscephPgStates(c: OsdCluster): string[] {
  const r = c.ceph(['pg', 'stat', '-f', 'json'], 5);
  if (r.status !== 0) return [];
  type PgSummary = { num_pg_by_state?: { name: string; num: number }[] };
  const s = JSON.parse(r.stdout) as { pg_summary?: PgSummary };
  return (s.pg_summary?.num_pg_by_state ?? []).flatMap((x) => Array.from({ length: x.num }, () => x.name));
}

async function tscephTarget(): Promise<Target> {
  const c = OsdCluster.start({
    osds: 3, port: MON_PORT, prefix: 'model-checker-', osdSize: '1G',
    conf: ['osd_heartbeat_interval = 1', 'osd_heartbeat_grace = 4', 'mon_osd_min_down_reporters = 1'],
  });
  await c.waitClean(120000).catch(async (e: unknown) => {
    c.destroy();
    throw e;
  });
  return {
    conf: c.conf, pool: 'tsceph', pgCount: 16, thrash: tsOsdClusterThrashTarget(c), pgStates: () => tscephPgStates(c),
    stop: async () => {
      // OsdCluster removes its directory: MODEL_KEEP keeps the daemons' logs (out/) instead.
      if (process.env.MODEL_KEEP !== undefined) cpSync(join(c.dir, 'out'), mkdtempSync(join(tmpdir(), 'model-checker-out-')), { recursive: true });
      c.destroy();
    },
  };
}

const TSCEPH = process.env.MODEL_TARGET === 'tsceph';

describe(`model checker against ${TSCEPH ? 'a tsceph vstart' : 'a real Ceph 16'} cluster (1 mon, 3 OSDs, size 3, min_size 2)`, function () {
  this.timeout(300000);
  let target: Target | null = null;
  let rados: Rados | null = null;

  before(async () => {
    target = TSCEPH ? await tscephTarget() : await realTarget();
    rados = await Rados.connect({ conf: target.conf });
  });

  after(async () => {
    await rados?.shutdown();
    await target?.stop();
  });

  it('(a) passes with no faults: every read matches the model', async () => {
    const checker = new ModelChecker(new RadosCheckerClient(rados!.ioctx(target!.pool), 60000), {
      seed: SEED, ops: OPS, objects: 16, inFlight: 4, prefix: 'calm-', onOp: (e) => log(`${e.oid} #${e.index} ${e.what} -> ${e.outcome}`),
    });
    const r = await checker.run();
    await checker.verifyAll();
    console.log(`      ${ModelChecker.format(r)}`);
    assert.equal(r.unknown, 0, 'no op timed out on a calm cluster');
    assert.ok(r.opsDone >= Math.min(OPS, 100));
  });

  it('(b) passes while the thrasher kills OSDs with -9 and restarts them, and after recovery every object reads back', async () => {
    const io = rados!.ioctx(target!.pool);
    const checker = new ModelChecker(new RadosCheckerClient(io, THRASH_OP_TIMEOUT_MS), {
      seed: SEED + 1, ops: 1_000_000, durationMs: SECONDS * 1000, objects: 24, inFlight: 4, prefix: 'thrash-',
    });
    const thrasher = new Thrasher(target!.thrash, {
      seed: SEED, minUp: 2, intervalMsMin: 1000, intervalMsMax: 3000, log: (l) => console.log(`      ${l}`),
    });
    thrasher.start();
    let runError: unknown = null;
    const r = await checker.run().catch((e: unknown) => { runError = e; return null; });
    try {
      await thrasher.stop();
    } catch (e) {
      console.log(`      ${ModelChecker.format(checker.report())}`);
      throw e;
    }
    if (runError) throw runError;
    // After the cluster is clean again: every object once more.
    const final = await checker.verifyAll();
    console.log(`      ${ModelChecker.format(final)}; OSD kills ${thrasher.kills}`);
    assert.ok(r && r.opsDone > 50, 'ops ran during the thrashing');
    assert.ok(thrasher.kills >= 1, 'the thrasher killed at least one OSD');
    const states = target!.pgStates();
    assert.ok(states.length === target!.pgCount && states.every((st) => st === 'active+clean'), `all PGs active+clean at the end: ${states.join(', ')}`);
  });

  for (const [n, fault] of (['lose-acked-write', 'stale-read', 'phantom-bytes'] as PlantedFault[]).entries()) {
    it(`(c) catches a client over librados that plants ${fault}`, async () => {
      // Planted every 40 ops: one lost write alone may be overwritten before any read sees it.
      const client = new FaultyCheckerClient(new RadosCheckerClient(rados!.ioctx(target!.pool), 60000), fault, 30, 40);
      const seed = SEED + 2 + n;
      const checker = new ModelChecker(client, { seed, ops: 600, objects: 8, inFlight: 3, prefix: `fault${n}-` });
      const err = await checker.run().then(() => checker.verifyAll()).then(() => null, (e: unknown) => e);
      assert.ok(client.planted, 'the fault was planted');
      assert.ok(err instanceof ModelCheckError, `not caught (${client.plants.join('; ')}): ${String(err)}`);
      assert.match(err.message, new RegExp(`FAILURE seed=${seed}: fault${n}-\\d+`));
      log(err.message);
    });
  }
});
