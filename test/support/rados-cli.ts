// Running the rados CLI in tests: ours (bin/rados' main() in this process, streams captured) and
// Debian's Ceph 16 `rados` (the oracle), against one cluster's conf, and the comparison of the two
// (same stdout, stderr and exit status).
//
//   const cli = radosCli(conf);
//   await cli.same(['-p', 'pool', 'stat', 'obj']);
//   ok(await cli.ours(['-p', 'pool', 'put', 'obj', '-'], Buffer.from('x')), 'put');

import { strict as assert } from 'node:assert';
import { main } from '../../bin/rados.js';
import { cephRados } from './real-ceph-cluster.js';

export interface CliRun {
  status: number;
  stdout: Buffer;
  stderr: string;
}

/** Ceph's client library may log a line of its own on stderr (timestamp, thread, level: e.g. a monclient auth race under load); those are not rados' texts. */
function withoutLibraryLog(t: string): string {
  return t.replace(/^\d{4}-\d\d-\d\dT\S+ [0-9a-f]+ -?\d+ .*\n\n?/gm, '');
}

export interface RadosCli {
  /** Our bin/rados, in this process. */
  ours(args: string[], input?: Buffer): Promise<CliRun>;
  /** Debian's rados. */
  theirs(args: string[], input?: Buffer): CliRun;
  /** Both, which must print the same (after `mask`) and exit alike; ours' run is returned. */
  same(args: string[], input?: Buffer, mask?: (s: string) => string): Promise<CliRun>;
}

export function radosCli(conf: () => string): RadosCli {
  const ours = async (args: string[], input?: Buffer): Promise<CliRun> => {
    const out: Buffer[] = [];
    let err = '';
    const status = await main(['-c', conf(), ...args], {
      stdout: (b) => out.push(Buffer.from(b)),
      stderr: (t) => { err += t; },
      env: {},
      readStdin: () => input ?? Buffer.alloc(0),
    });
    return { status, stdout: Buffer.concat(out), stderr: err };
  };
  const theirs = (args: string[], input?: Buffer): CliRun => cephRados(conf(), args, input);
  const same = async (args: string[], input?: Buffer, mask: (s: string) => string = (s) => s): Promise<CliRun> => {
    const a = await ours(args, input);
    const b = theirs(args, input);
    const show = `rados ${args.join(' ')}`;
    assert.equal(mask(a.stdout.toString('latin1')), mask(b.stdout.toString('latin1')), `${show}: stdout`);
    assert.equal(mask(withoutLibraryLog(a.stderr)), mask(withoutLibraryLog(b.stderr)), `${show}: stderr`);
    assert.equal(a.status, b.status, `${show}: status`);
    return a;
  };
  return { ours, theirs, same };
}

/** The run exited 0 (else its stderr is the failure). */
export function ok(r: CliRun, what: string): CliRun {
  assert.equal(r.status, 0, `${what}: ${r.stderr}`);
  return r;
}
