// Proves the monitor's services answer as a real Ceph 16 monitor does: replays test/golden/mon/cases.json (recorded from a real ceph-mon by scripts/gen-mon-golden.sh) through MonServices and compares r, rs and out, normalizing only stamps, ages and the mon's port.
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { decodeMonMap, printMonMap } from '../../common/monmap/index.js';
import { decodeOSDMap, printOSDMap } from '../../common/osdmap/index.js';
import type { CmdMap, CommandReply } from '../../mon/core/types.js';
import { ServicesHarness, testMonMap } from './services-support.js';

const root = resolve(new URL('../../..', import.meta.url).pathname);
const gold = join(root, 'test/golden/mon');

interface Case {
  name: string;
  cmd: CmdMap;
  binary?: boolean;
  inbl_hex?: string;
  inbl_from?: string;
  prior_from?: string;
}
interface Result {
  r: number;
  rs: string;
  out?: string;
  out_file?: string;
}

// One difference on purpose: `status` counts pools and PGs from the OSDMap, where Ceph without a
// manager daemon says 0 pools, 0 pgs; those two cases compare everything else.

function normalize(s: string, port: string): string {
  return s
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(\+0000|Z)/g, '<stamp>')
    .replace(/\(since [0-9.]+[smhdwMy]\)/g, '(since <t>)')
    .replace(/\(age [0-9.]+[smhdwMy]\)/g, '(age <t>)')
    .replace(/"quorum_age": ?\d+/g, '"quorum_age":0')
    .replace(/"osd_(in|up)_since": ?[1-9]\d*/g, '"osd_$1_since":1')
    .replace(new RegExp(`127\\.0\\.0\\.1:${port}`, 'g'), '127.0.0.1:<port>');
}

function splitAt(s: string, marker: string): [string, string] {
  const i = s.indexOf(marker);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i)];
}

describe('mon services against a real Ceph 16 monitor (golden)', () => {
  const cases = JSON.parse(readFileSync(join(gold, 'cases.json'), 'utf8')) as Case[];
  const results = JSON.parse(readFileSync(join(gold, 'results.json'), 'utf8')) as Record<string, Result>;
  const port = /127\.0\.0\.1:(\d+)/.exec(results['mon-dump']!.out!)![1]!;
  const h = new ServicesHarness(testMonMap(['a'], Number(port)));
  const binaries = new Map<string, Buffer>();
  const replies = new Map<string, CommandReply>();

  before(() => {
    for (const c of cases) {
      h.advance(1000);
      let inbl: Buffer = Buffer.alloc(0);
      if (c.inbl_hex) inbl = Buffer.from(c.inbl_hex, 'hex');
      if (c.inbl_from) inbl = binaries.get(c.inbl_from)!;
      const cmd: CmdMap = { ...c.cmd };
      if (c.prior_from) cmd['prior_version'] = Number(replies.get(c.prior_from)!.rs);
      const reply = h.command(cmd, inbl);
      if (c.binary) binaries.set(c.name, reply.out);
      replies.set(c.name, reply);
    }
  });

  for (const c of (JSON.parse(readFileSync(join(gold, 'cases.json'), 'utf8')) as Case[])) {
    it(`${c.name}: ${JSON.stringify(c.cmd)}`, () => {
      const want = results[c.name]!;
      const got = replies.get(c.name)!;
      assert.equal(got.r, want.r, `r for ${c.name} (rs: ${got.rs})`);
      assert.equal(normalize(got.rs, port), normalize(want.rs, port), `rs for ${c.name}`);
      const isStatus = c.cmd.prefix === 'status';
      if (isStatus && c.cmd.format === undefined) {
        // Identical up to the data section; ours counts the pools and PGs of the OSDMap.
        const [gotHead, gotData] = splitAt(got.out.toString(), '  data:\n');
        const [wantHead] = splitAt(want.out!, '  data:\n');
        assert.equal(normalize(gotHead, port), normalize(wantHead, port));
        assert.match(gotData, /pools: {3}\d+ pools, \d+ pgs\n/);
        assert.match(gotData, /\d+ unknown\n/);
        return;
      }
      if (isStatus) {
        const g = JSON.parse(normalize(got.out.toString(), port)) as Record<string, unknown>;
        const w = JSON.parse(normalize(want.out!, port)) as Record<string, unknown>;
        const gp = g['pgmap'] as Record<string, unknown>;
        assert.ok((gp['num_pools'] as number) >= 2);
        assert.ok((gp['num_pgs'] as number) >= 24);
        delete g['pgmap'];
        delete w['pgmap'];
        assert.deepEqual(g, w);
        return;
      }
      if (c.binary) {
        const wantBin = readFileSync(join(gold, want.out_file!));
        if (want.r !== 0) assert.equal(got.out.length, 0);
        else if (c.cmd.prefix === 'osd getcrushmap') assert.ok(got.out.equals(wantBin), 'crush map bytes equal Ceph\'s');
        else if (c.cmd.prefix === 'mon getmap') {
          const g = decodeMonMap(got.out);
          const w = decodeMonMap(wantBin);
          assert.equal(normalize(printMonMap(g), port), normalize(printMonMap(w), port));
          assert.equal(g.persistentFeatures, w.persistentFeatures);
          assert.equal(g.minMonRelease, w.minMonRelease);
        }
        else assert.equal(normalize(printOSDMap(decodeOSDMap(got.out)), port), normalize(printOSDMap(decodeOSDMap(wantBin)), port));
        return;
      }
      assert.equal(normalize(got.out.toString(), port), normalize(want.out!, port), `out for ${c.name}`);
    });
  }
});
