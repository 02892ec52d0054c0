// Proves MonClient survives the loss of its monitor in a REAL Ceph 16 cluster of three ceph-mon (loopback, auth none): with a command in flight, the monitor it talks to is killed -9; the client hunts to another monitor, resends the command with the same tid, and the command completes once the survivors have re-formed their quorum. Ports 17340-17342.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { parseAddrVecList } from '../../common/config.js';
import { MonClient } from '../../mon/client/index.js';
import { realCephAvailable } from '../support/real-ceph-mon.js';
import { untilAsync } from '../support/wait.js';

const PORT = 17340;
const NAMES = ['a', 'b', 'c'];

describe('mon/client: MonClient fails over between real Ceph 16 monitors', function () {
  this.timeout(120000);
  let dir = '';
  let conf = '';
  const children = new Map<string, ChildProcess>();
  let client: MonClient | null = null;

  before(async function () {
    if (!realCephAvailable()) this.skip();
    dir = mkdtempSync(join(tmpdir(), 'h5-failover-'));
    const fsid = randomUUID();
    conf = join(dir, 'ceph.conf');
    writeFileSync(conf, [
      '[global]', `fsid = ${fsid}`, `mon_host = ${NAMES.map((_, i) => `v2:127.0.0.1:${PORT + i}`).join(',')}`, `mon_initial_members = ${NAMES.join(',')}`,
      'auth_cluster_required = none', 'auth_service_required = none', 'auth_client_required = none', 'ms_bind_msgr1 = false',
      `mon_data = ${dir}/mon.$id`, `log_file = ${dir}/$name.log`, `admin_socket = ${dir}/$name.asok`, `run_dir = ${dir}`,
      // Notice a dead peer sooner than the defaults (lease 5 s, election timeout 5 s).
      'mon_lease = 2', 'mon_election_timeout = 2', '',
    ].join('\n'));
    const monmap = join(dir, 'monmap');
    const add = NAMES.flatMap((n, i) => ['--addv', n, `[v2:127.0.0.1:${PORT + i}]`]);
    const r = spawnSync('monmaptool', ['--create', '--fsid', fsid, ...add, monmap], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    for (const n of NAMES) {
      const m = spawnSync('ceph-mon', ['-c', conf, '--mkfs', '-i', n, '--monmap', monmap], { encoding: 'utf8' });
      assert.equal(m.status, 0, m.stderr);
    }
    for (const n of NAMES) children.set(n, spawn('ceph-mon', ['-c', conf, '-i', n, '-f'], { stdio: 'ignore' }));
  });

  after(async function () {
    await client?.shutdown();
    for (const c of children.values()) {
      if (c.exitCode === null && c.signalCode === null) {
        const gone = new Promise((res) => c.once('exit', res));
        c.kill('SIGKILL');
        await gone;
      }
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('resends an unanswered command to the next monitor after its monitor is killed', async function () {
    client = new MonClient({ monAddrs: parseAddrVecList(NAMES.map((_, i) => `v2:127.0.0.1:${PORT + i}`).join(' ')), huntParallel: 1, random: () => 0, huntIntervalMs: 1000 });
    // Wait for the quorum of three.
    await untilAsync('a quorum of the three real monitors', async () => {
      const q = await client!.command({ prefix: 'quorum_status', format: 'json' }, Buffer.alloc(0), { timeoutMs: 10000 }).catch(() => null);
      return q !== null && q.r === 0 && (JSON.parse(q.out.toString()) as { quorum: number[] }).quorum.length === 3;
    }, 60000);
    // random() = 0 and one at a time: the session is with the first address, mon.a.
    const victim = children.get('a')!;
    const inFlight = client.command({ prefix: 'osd pool create', pool: 'failover', pg_num: 8 }, Buffer.alloc(0), { timeoutMs: 60000 });
    victim.kill('SIGKILL');
    const r = await inFlight;
    // Either mon.a answered before dying, or a survivor did after the resend (then the pool may already exist).
    assert.ok(r.r === 0 || r.r === -17, `${r.r} ${r.rs}`);
    const ls = await client.command({ prefix: 'osd pool ls', format: 'json' }, Buffer.alloc(0), { timeoutMs: 60000 });
    assert.equal(ls.r, 0, ls.rs);
    assert.ok((JSON.parse(ls.out.toString()) as string[]).includes('failover'));
    const tried = [...client.tried];
    assert.ok(tried.length >= 2, `hunted to another monitor: ${tried.join(', ')}`);
  });
});
