// Proves mon/commands.ts matches Ceph 16 (random cases: H5_ARGV_SEED / H5_ARGV_CASES pick the run, H5_ARGV_CASE_SEED replays one): its descriptions equal what a real Pacific monitor answers to get_command_descriptions (fixture from scripts/gen-mon-command-descriptions.sh), and for a list of good and bad CLI word lists parseCommandArgv gives the same cmdmap, or the same stderr text, as Ceph's own ceph_argparse.validate_command run by python3 over the same descriptions.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

import { CephError } from '../../common/errors.js';
import { Rng, caseSeed } from '../support/rng.js';
import { CommandFlag, MON_COMMANDS, MON_SERVED_MGR_COMMANDS, cmdmapToJson, commandDescriptions, encodeCommandDescriptions, matchCommand, parseCommandArgv, validateCmdMap, type CommandDescription } from '../../mon/commands.js';

const root = resolve(new URL('../../..', import.meta.url).pathname);
const ARGPARSE = '/usr/lib/python3/dist-packages/ceph_argparse.py';
const PYTHON = '/usr/bin/python3';

const ORACLE = `
import sys, json, io, contextlib
sys.path.insert(0, '/usr/lib/python3/dist-packages')
import ceph_argparse as ca
req = json.load(sys.stdin)
sigdict = ca.parse_json_funcsigs(json.dumps(req['descriptions']), 'cli')
out = []
for words in req['cases']:
    # parse_json_funcsigs's argdescs keep state between calls: parse afresh per case, as the CLI does once per run
    sigdict = ca.parse_json_funcsigs(json.dumps(req['descriptions']), 'cli')
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            d = ca.validate_command(sigdict, words)
    except Exception as e:
        # ceph_argparse itself fails on some inputs (e.g. CephIPAddr's int() of a bad port): the CLI dies there
        out.append({'cmdmap': {}, 'stderr': '', 'json': None, 'crash': repr(e)})
        continue
    if 'target' in d:
        d['target'] = d['target'][0]
    text = json.dumps(d) if 'target' not in d else None
    out.append({'cmdmap': d, 'stderr': err.getvalue(), 'json': text})
print(json.dumps(out))
`;

const CASES: string[][] = [
  ['status'], ['health'], ['health', 'detail'], ['health', 'foo'], ['health', 'det'], ['fsid'], ['quorum_status'],
  ['mon', 'stat'], ['mon', 'dump'], ['mon', 'dump', '3'], ['mon', 'dump', '--epoch=2'], ['mon', 'dump', 'x'], ['mon', 'dump', '-1'],
  ['mon', 'add', 'b', '127.0.0.1:6789'], ['mon', 'add', 'b', 'v2:127.0.0.1:3300'], ['mon', 'add', 'b', '[::1]:3300'], ['mon', 'add', 'b', '300.0.0.1'],
  ['mon', 'add', 'b', '10.0.0.1', 'host=x', 'rack=y'], ['mon', 'rm', 'b'], ['mon', 'remove', 'b'],
  ['osd', 'tree'], ['osd', 'tree', '5'], ['osd', 'tree', 'up', 'in'], ['osd', 'tree', '--epoch', '3'], ['osd', 'tree', '-1'], ['osd', 'tree', '--states', 'up,down'],
  ['osd', 'dump'], ['osd', 'dump', '3'], ['osd', 'dump', 'x'], ['osd', 'stat'], ['osd', 'ls'], ['osd', 'getmap'], ['osd', 'getmap', '7'], ['osd', 'getcrushmap'], ['osd', 'setcrushmap'],
  ['osd', 'pool', 'create', 'p'], ['osd', 'pool', 'create', 'p', '64'], ['osd', 'pool', 'create', 'p', '64', '64', 'replicated'],
  ['osd', 'pool', 'create', 'p', '--pg_num', '8'], ['osd', 'pool', 'create', 'p', '--pg-num=8', '--bulk'], ['osd', 'pool', 'create'],
  ['osd', 'pool', 'create', 'p', 'x'], ['osd', 'pool', 'create', 'p', '0x10'], ['osd', 'pool', 'create', 'p', '010'], ['osd', 'pool', 'create', 'p', '--unknown'],
  ['osd', 'pool', 'create', 'p', '8', '8', 'erasure', 'myprofile', 'rule', '1000', '3'], ['osd', 'pool', 'create', 'p', '1_0'],
  ['osd', 'pool', 'delete', 'p', 'p', '--yes-i-really-really-mean-it'], ['osd', 'pool', 'rm', 'p'], ['osd', 'pool', 'ls'], ['osd', 'pool', 'ls', 'detail'],
  ['osd', 'pool', 'get', 'p', 'size'], ['osd', 'pool', 'get', 'p', 'nosuch'], ['osd', 'pool', 'get', 'p', 'size', 'extra'],
  ['osd', 'pool', 'set', 'p', 'size', '2'], ['osd', 'pool', 'set', 'p', 'size'], ['osd', 'pool', 'rename', 'a', 'b'], ['osd', 'pool', 'set-quota', 'p', 'max_objects', '10'],
  ['osd', 'in', '1', '2', 'osd.3'], ['osd', 'out', '1,2'], ['osd', 'down', '0', '--definitely-dead'], ['osd', 'in', 'any'],
  ['osd', 'crush', 'add', 'osd.1', '1.0', 'host=a', 'root=default'], ['osd', 'crush', 'add', '1', '-1', 'host=a'], ['osd', 'crush', 'add', 'osd.x', '1', 'host=a'],
  ['osd', 'crush', 'add', '1', '1'], ['osd', 'crush', 'move', 'host1', 'root=default'], ['osd', 'crush', 'rm', 'osd.1'], ['osd', 'crush', 'rm', 'osd.1', 'host1'],
  ['osd', 'crush', 'reweight', 'osd.1', '0.5'], ['osd', 'crush', 'reweight', 'osd.1', 'abc'], ['osd', 'crush', 'add-bucket', 'h1', 'host'],
  ['osd', 'crush', 'add-bucket', 'h1', 'host', 'root=default'], ['osd', 'crush', 'add-bucket', 'h$1', 'host'],
  ['osd', 'crush', 'rule', 'create-replicated', 'r', 'default', 'host'], ['osd', 'crush', 'rule', 'create-replicated', 'r', 'default'],
  ['osd', 'crush', 'rule', 'create-replicated', 'r', 'default', 'host', 'ssd'], ['osd', 'crush', 'rule', 'ls'], ['osd', 'crush', 'rule', 'dump'],
  ['osd', 'crush', 'set', '1', '1.0', 'host=a'], ['osd', 'crush', 'set'], ['osd', 'crush', 'set', '5'], ['osd', 'crush', 'tree', '--show-shadow'],
  ['osd', 'crush', 'tunables', 'optimal'], ['osd', 'crush', 'dump'],
  ['osd', 'map', 'rbd', 'obj'], ['osd', 'map', 'rbd'], ['osd', 'map', 'rbd', 'obj', 'ns'],
  ['osd', 'create'], ['osd', 'create', '11111111-2222-3333-4444-555555555555'], ['osd', 'create', 'nouuid'], ['osd', 'create', '11111111-2222-3333-4444-555555555555', '7'],
  ['osd', 'new', '11111111-2222-3333-4444-555555555555', '3'], ['osd', 'purge', '3', '--yes-i-really-mean-it'],
  ['osd', 'set', 'noout'], ['osd', 'set', 'bogus'], ['osd', 'unset', 'noup'], ['osd', 'find', '3'], ['osd', 'setmaxosd', '10'], ['osd', 'setmaxosd', '-1'],
  ['osd', 'metadata'], ['osd', 'metadata', 'osd.1'], ['osd', 'foo'], ['foo'], [], ['osd'], ['osd', 'pool'], ['osd', 'po'], ['mon_status'],
];

const SAMPLE_VALUES: Record<string, string[]> = {
  CephInt: ['0', '1', '8', '-1', '0x10', '010', 'abc', '1_0', '99999', ' 7', '2.5'],
  CephFloat: ['0.5', '1', '-1', 'abc', '1e3', '.5', '3'],
  CephString: ['a', 'host=a', 'h$1', 'x,y', 'root=default', 'rack=r1', 'default', 'ssd'],
  CephPoolname: ['rbd', 'p1'],
  CephObjectname: ['obj', 'o.1'],
  CephOsdName: ['1', 'osd.2', 'osd.x', '-1', '*', 'mon.1'],
  CephBool: ['true', 'false', '1', 'maybe'],
  CephUUID: ['11111111-2222-3333-4444-555555555555', 'nouuid', '{11111111-2222-3333-4444-555555555555}'],
  CephIPAddr: ['127.0.0.1:6789', 'v2:1.2.3.4:3300', '[::1]:3300', '300.1.1.1', '::1', 'v1:10.0.0.1'],
  CephName: ['osd.1', 'client.admin', 'mon', 'bogus.1', '*', 'osd.x'],
};

/** A word list aimed at one command: its prefix (sometimes cut or bent), then values good, bad, keyword or missing. */
function randomWords(rng: Rng, list: CommandDescription[]): string[] {
  const c = rng.pick(list);
  const words: string[] = [];
  for (const w of c.sig) {
    if (typeof w === 'string') {
      const r = rng.next();
      if (r < 0.03) return words;
      if (r < 0.06) words.push(w.slice(0, Math.max(1, w.length - 2)));
      else if (r < 0.08) words.push(w + 'x');
      else words.push(w);
      continue;
    }
    const pool = w.type === 'CephChoices' ? [...(w.strings ?? '').split('|'), 'bogus', (w.strings ?? 'x').slice(0, 2)] : SAMPLE_VALUES[w.type!] ?? ['v'];
    const r = rng.next();
    if (r < 0.2) continue; // leave it out
    const count = w.n === 'N' ? rng.int(1, 3) : 1;
    const vals = Array.from({ length: count }, () => rng.pick(pool));
    if (r < 0.3 && w.name) {
      if (w.type === 'CephBool' && rng.chance(0.5)) words.push(`--${w.name.replace(/_/g, '-')}`);
      else if (rng.chance(0.5)) words.push(`--${w.name}=${vals.join(',')}`);
      else words.push(`--${w.name}`, vals.join(','));
    } else words.push(...vals);
  }
  if (rng.chance(0.08)) words.push(rng.pick(['extra', '--bogus', '5']));
  return words;
}

function oracle(descriptions: Record<string, CommandDescription>, cases: string[][]): Array<{ cmdmap: Record<string, unknown>; stderr: string; json: string | null; crash?: string }> {
  const r = spawnSync(PYTHON, ['-c', ORACLE], { input: JSON.stringify({ descriptions, cases }), encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`python oracle failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Array<{ cmdmap: Record<string, unknown>; stderr: string; json: string | null; crash?: string }>;
}

describe('mon/commands: the command table and CLI matching, as Ceph 16', function () {
  it('every description equals a real Pacific monitor\'s get_command_descriptions entry', function () {
    const raw = readFileSync(resolve(root, 'test/fixtures/mon/pacific-mon-command-descriptions.json'), 'utf8');
    const golden = JSON.parse(raw) as Record<string, CommandDescription>;
    // Ceph's bytes are compact JSON in this key order: re-serialising the parsed table gives them back.
    assert.equal(JSON.stringify(golden), raw);
    const goldenList = Object.values(golden).map((d) => JSON.stringify(d));
    const ourBytes = encodeCommandDescriptions().toString('utf8');
    assert.equal(ourBytes, JSON.stringify(commandDescriptions()));
    const ours = Object.values(commandDescriptions());
    assert.equal(ours.length, MON_COMMANDS.length);
    // The manager's PG commands are served by our monitors: listed without FLAG_MGR (see commands.ts).
    const asPacific = (d: CommandDescription): CommandDescription => {
      const prefix = d.sig.filter((w) => typeof w === 'string').join(' ');
      return MON_SERVED_MGR_COMMANDS.has(prefix) ? { ...d, flags: d.flags | CommandFlag.MGR } : d;
    };
    for (const d of ours) assert.ok(goldenList.includes(JSON.stringify(asPacific(d))), `not in Pacific's table: ${JSON.stringify(d)}`);
  });

  it('parseCommandArgv gives the cmdmap or the error text ceph_argparse.validate_command gives', function () {
    if (!existsSync(ARGPARSE) || !existsSync(PYTHON)) this.skip();
    const descriptions = commandDescriptions();
    const want = oracle(descriptions, CASES);
    CASES.forEach((words, i) => {
      const got = matchCommand(words, descriptions);
      const w = want[i]!;
      if (got.ok) {
        assert.deepEqual(got.cmdmap, w.cmdmap, `cmdmap of ${JSON.stringify(words)}`);
        assert.equal('', w.stderr, `stderr of ${JSON.stringify(words)}`);
        if (w.json !== null) assert.equal(cmdmapToJson(got.cmdmap, descriptions), w.json, `JSON text of ${JSON.stringify(words)}`);
      } else {
        assert.deepEqual({}, w.cmdmap, `${JSON.stringify(words)} should have matched: ${got.message}`);
        assert.equal(got.message, w.stderr, `stderr of ${JSON.stringify(words)}`);
      }
    });
  });

  it('seeded random word lists (mutated prefixes, typed values good and bad, keyword forms) match as in Ceph', function () {
    if (!existsSync(ARGPARSE) || !existsSync(PYTHON)) this.skip();
    const descriptions = commandDescriptions();
    const list = Object.values(descriptions);
    const runSeed = Number(process.env.H5_ARGV_SEED ?? 20261130);
    const only = process.env.H5_ARGV_CASE_SEED;
    const n = only ? 1 : Number(process.env.H5_ARGV_CASES ?? 300);
    const seeds = only ? [Number(only)] : Array.from({ length: n }, (_, i) => caseSeed(runSeed, i));
    const cases = seeds.map((seed) => randomWords(new Rng(seed), list));
    const want = oracle(descriptions, cases);
    let crashes = 0;
    cases.forEach((words, i) => {
      const got = matchCommand(words, descriptions);
      const w = want[i]!;
      const tag = `seed=${seeds[i]} (replay: H5_ARGV_CASE_SEED=${seeds[i]}) words=${JSON.stringify(words)}`;
      if (w.crash) {
        // Where Python's parser dies, ours refuses the words instead.
        crashes++;
        return;
      }
      if (got.ok) {
        assert.deepEqual(got.cmdmap, w.cmdmap, tag);
        if (w.json !== null) assert.equal(cmdmapToJson(got.cmdmap, descriptions), w.json, tag);
      } else {
        assert.deepEqual({}, w.cmdmap, `${tag}: ${got.message}`);
        assert.equal(got.message, w.stderr, tag);
      }
    });
    assert.ok(crashes < cases.length / 10, `python's parser died on ${crashes} of ${cases.length} cases`);
  });

  it('the same matching over Pacific\'s whole monitor table', function () {
    if (!existsSync(ARGPARSE) || !existsSync(PYTHON)) this.skip();
    const golden = JSON.parse(readFileSync(resolve(root, 'test/fixtures/mon/pacific-mon-command-descriptions.json'), 'utf8')) as Record<string, CommandDescription>;
    const cases = CASES.filter((_, i) => i % 3 === 0).concat([['pg', 'dump'], ['osd', 'df', 'tree'], ['config', 'set', 'global', 'mon_lease', '7'], ['auth', 'get', 'client.admin'], ['tell']]);
    const want = oracle(golden, cases);
    cases.forEach((words, i) => {
      const got = matchCommand(words, golden);
      const w = want[i]!;
      if (got.ok) assert.deepEqual(got.cmdmap, w.cmdmap, `cmdmap of ${JSON.stringify(words)}`);
      else assert.equal(got.message, w.stderr, `stderr of ${JSON.stringify(words)}`);
    });
  });

  it('parseCommandArgv throws EINVAL with Ceph\'s text', function () {
    assert.deepEqual(parseCommandArgv(['osd', 'pool', 'create', 'p', '16']), { prefix: 'osd pool create', pool: 'p', pg_num: 16 });
    assert.throws(() => parseCommandArgv(['osd', 'pool', 'create']), (e: unknown) => e instanceof CephError && e.code === 'EINVAL' && e.message.startsWith('Invalid command: missing required parameter pool(<poolname>)'));
  });

  it('validateCmdMap accepts what the CLI sends; refuses as a Ceph monitor does, or as the CLI does with strict', function () {
    for (const words of CASES) {
      const r = matchCommand(words);
      if (r.ok) {
        assert.equal(validateCmdMap(r.cmdmap).help, r.description.help, JSON.stringify(words));
        assert.equal(validateCmdMap(r.cmdmap, undefined, { strict: true }).help, r.description.help, JSON.stringify(words));
      }
    }
    type Bad = [Record<string, string | number | boolean | string[] | number[]>, string, RegExp];
    const bad: Bad[] = [
      [{ pool: 'p' }, 'command prefix not found', /command prefix not found/],
      [{ prefix: 'osd frob' }, 'command not known', /command not known/],
      [{ prefix: 'osd pool create', pool: 'p', pg_num: 'x' }, "bad or missing field 'pg_num'", /pg_num/],
      [{ prefix: 'osd pool create', pool: 'p', pg_num: 8.5 }, "bad or missing field 'pg_num'", /pg_num/],
      [{ prefix: 'osd pool create', pool: 5 }, "bad or missing field 'pool'", /pool/],
      [{ prefix: 'osd in', ids: 'x' }, "bad or missing field 'ids'", /ids/],
      [{ prefix: 'osd in', ids: [1] }, "bad or missing field 'ids'", /ids/],
      [{ prefix: 'osd find', id: '3' }, "bad or missing field 'id'", /id/],
      [{ prefix: 'osd pool create', pool: 'p', bulk: 1 }, "bad or missing field 'bulk'", /bulk/],
      [{ prefix: 'osd tree', states: 'up' }, "bad or missing field 'states'", /states/],
    ];
    for (const [m, text] of bad) {
      assert.throws(() => validateCmdMap(m), (e: unknown) => e instanceof CephError && e.code === 'EINVAL' && e.message === text, JSON.stringify(m));
    }
    // What a Ceph monitor leaves to its services, the strict (client-side) check refuses.
    const strictOnly: Bad[] = [
      [{ prefix: 'osd pool create' }, '', /bad or missing field 'pool'/],
      [{ prefix: 'osd pool create', pool: 'p', pg_num: -1 }, '', /pg_num.*not in range/],
      [{ prefix: 'osd pool get', pool: 'p', var: 'nosuch' }, '', /var.*not in/],
      [{ prefix: 'osd crush add-bucket', name: 'h$1', type: 'host' }, '', /invalid chars \$/],
      [{ prefix: 'osd create', uuid: 'notauuid' }, '', /invalid UUID/],
    ];
    for (const [m, , re] of strictOnly) {
      validateCmdMap(m);
      assert.throws(() => validateCmdMap(m, undefined, { strict: true }), (e: unknown) => e instanceof CephError && e.code === 'EINVAL' && re.test(e.message), JSON.stringify(m));
    }
  });
});
