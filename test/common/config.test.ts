// Proves common/config.ts (random files: H5_CONF_SEED / H5_CONF_CASES pick the run, H5_CONF_CASE_SEED replays one) reads ceph.conf, looks keys up, expands $metavariables, ranks sources and parses mon_host as Ceph 16 does, by asking Ceph's own ceph-conf and monmaptool the same questions about the same files.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { CephConfig, ConfFile, OPTIONS, loadConfig, monHostEntries, parseAddrVecList, parseConfEntityName } from '../../common/config.js';
import { CephError } from '../../common/errors.js';
import { Rng, caseSeed } from '../support/rng.js';
import { formatAddrVec } from '../../common/osdmap/index.js';

const dir = mkdtempSync(join(tmpdir(), 'config-test-'));

function haveTool(t: string): boolean {
  return spawnSync(t, ['--help'], { encoding: 'utf8' }).error === undefined;
}

function run(tool: string, args: string[], env: Record<string, string> = {}): { rc: number; out: string; err: string } {
  const r = spawnSync(tool, args, { encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } });
  return { rc: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** Files whose text exercises the grammar: sections, spaces in keys, comments, quotes, continuations. */
const FILES: Record<string, string> = {
  basic: [
    '[global]',
    'fsid = 11111111-2222-3333-4444-555555555555',
    ' mon host = 1.2.3.4, [v2:5.6.7.8:3300,v1:5.6.7.8:6789]   # trailing comment',
    'log_file = /var/log/$cluster-$name.log',
    'mon-data = /var/lib/ceph/mon/$cluster-$id',
    'foo bar\tbaz  = 1',
    'a = $cluster/${cluster}/$type/$id/$name/$num/$foo/$$/$mon_lease/$fsid',
    '',
    '# a comment line',
    '; another',
    '[mon]',
    'mon_lease = 7',
    '[mon.a]',
    'mon lease = 9 ; hi',
    'x = "quoted \\# value"',
    "z = 'single'",
    'y = long \\',
    '  continued',
    'w = a\\;b',
    'empty =',
    'eq = c=d',
    '[client]',
    'b = client',
    '[global]',
    'b = again',
    'fsid = 11111111-2222-3333-4444-666666666666',
    '',
  ].join('\n'),
  single: 'k = v\n',
  leadingComments: '\n# c\n\n[global]\n\n  a = 1 \n\n[ sp ]\nb=2\n',
  noFinalNewline: '[global]\na = 1',
  twoBare: 'x = 1\ny = 2\n',
  blankLineBeforeHeading: '  \n[global]\na = 1\n',
  junkAfterQuote: '[global]\na = "x" y\n',
  unclosedQuote: '[global]\na = "x\n',
  noEquals: '[global]\nfoo\n',
};

const LOOKUPS: Array<[string, string]> = [
  ['mon.a', 'mon_data'], ['mon.a', 'mon-data'], ['mon.a', 'mon_lease'], ['mon.b', 'mon_lease'], ['osd.1', 'mon_lease'],
  ['mon.a', 'log_file'], ['client.admin', 'log_file'], ['mon.a', 'x'], ['mon.a', 'z'], ['mon.a', 'y'], ['mon.a', 'w'],
  ['mon.a', 'mon_host'], ['mon.a', 'mon host'], ['mon.a', 'foo_bar_baz'], ['mon.a', 'fsid'], ['mon.a', 'a'], ['client.admin', 'a'],
  ['client.foo', 'b'], ['osd.3', 'b'], ['mon.a', 'empty'], ['mon.a', 'eq'], ['mon.a', 'k'], ['mon.a', 'nothing'],
];

const RANDOM_KEYS = ['k', 'mon lease', 'mon_lease', 'mon-lease', 'foo bar', 'a_b', 'x.y', 'v2'];

/** A conf file's text from the grammar's pieces, good and bad, so both parsers meet the same corners. */
function randomConf(rng: Rng, keys: string[] = []): string {
  const lines: string[] = [];
  const count = rng.int(1, 9);
  if (rng.chance(0.8)) lines.push('[' + rng.pick(['global', 'global', 'mon', 'client']) + ']');
  for (let i = 0; i < count; i++) {
    const r = rng.next();
    if (r < 0.15) lines.push('[' + rng.pick(['global', 'mon', 'mon.a', 'client', 'client.admin', 'osd.1', ' sp ', 'a b', 'osd']) + ']');
    else if (r < 0.25) lines.push(rng.pick(['# c', '; c', '  # c', '\t; c']));
    else if (r < 0.32) lines.push(rng.pick(['', '', '  ']));
    else if (r < 0.34) lines.push(rng.pick(['novalue', '[unclosed', '=x', 'k == v']));
    else {
      const key = rng.pick(['k', 'mon lease', 'mon_lease', 'mon-lease', 'foo  bar', 'foo\tbar', 'a\tb', 'a_b', 'x.y', 'v2']);
      const value = rng.pick(['v', 'v w', '"quoted v"', "'single'", '"with \\# hash"', 'a\\;b', 'with # comment', 'x ; c', 'long \\\n  cont',
        '', '"unclosed', '"a" junk', '$cluster-$id', '${name}/$type', 'a=b', '  padded  ', 'back\\\\slash', '"q" # c']);
      keys.push(key.replace(/\s+/g, ' '));
      lines.push(rng.pick(['', ' ', '\t']) + key + rng.pick(['=', ' = ', '\t=  ']) + value);
    }
  }
  return lines.join('\n') + (rng.chance(0.9) ? '\n' : '');
}

function ourLookup(file: string, text: string, name: string, key: string): { rc: number; out: string } {
  let conf: ConfFile;
  try {
    conf = ConfFile.parse(text, file);
  } catch (e) {
    if (e instanceof CephError && e.code === 'EINVAL') return { rc: 1, out: '' };
    throw e;
  }
  const base = file.slice(file.lastIndexOf('/') + 1);
  const c = new CephConfig({ name: parseConfEntityName(name), cluster: base.slice(0, -'.conf'.length), daemon: true });
  c.applyConfFile(conf);
  const v = c.lookup(key);
  return v === undefined ? { rc: 1, out: '' } : { rc: 0, out: v + '\n' };
}

describe('common/config: ceph.conf as Ceph 16 reads it', function () {
  after(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  before(function () {
    if (!haveTool('ceph-conf')) this.skip();
  });

  for (const [fname, text] of Object.entries(FILES)) {
    it(`${fname}.conf: the same --lookup answers as ceph-conf`, function () {
      const file = join(dir, `${fname}.conf`);
      writeFileSync(file, text);
      const lookups = text.includes('[') && !fname.startsWith('no') && !fname.startsWith('blank') && !fname.startsWith('junk') && !fname.startsWith('unclosed') ? LOOKUPS : LOOKUPS.slice(0, 3).concat([['mon.a', 'k'], ['mon.a', 'a']]);
      for (const [name, key] of lookups) {
        const want = run('ceph-conf', ['-c', file, '--name', name, '--lookup', key]);
        const got = ourLookup(file, text, name, key);
        assert.deepEqual({ rc: got.rc === 0 ? 0 : 1, out: got.out }, { rc: want.rc === 0 ? 0 : 1, out: want.out }, `${fname}: --name ${name} --lookup '${key}'`);
      }
    });
  }

  it('$host and the default sections through loadConfig, as ceph-conf expands them', function () {
    const file = join(dir, 'host.conf');
    writeFileSync(file, '[global]\nh = $host/$cluster/$name\n[client.admin]\nk = admin-only\n');
    for (const [name, key] of [['client.admin', 'h'], ['client.admin', 'k'], ['osd.0', 'k'], ['mon.x', 'h']] as const) {
      const want = run('ceph-conf', ['-c', file, '--name', name, '--lookup', key]);
      const { config } = loadConfig({ argv: ['-c', file, '--name', name] });
      const got = config.lookup(key);
      assert.equal(got === undefined ? '' : got + '\n', want.out, `--name ${name} --lookup ${key}`);
    }
  });

  it('seeded random files: the same sections and --lookup answers as ceph-conf (or the same refusal)', function () {
    const runSeed = Number(process.env.H5_CONF_SEED ?? 7);
    const only = process.env.H5_CONF_CASE_SEED;
    const n = only ? 1 : Number(process.env.H5_CONF_CASES ?? 25);
    for (let i = 0; i < n; i++) {
      const seed = only ? Number(only) : caseSeed(runSeed, i);
      const rng = new Rng(seed);
      const keys: string[] = [];
      const text = randomConf(rng, keys);
      const file = join(dir, 'rand.conf');
      writeFileSync(file, text);
      const tag = `seed=${seed} (replay: H5_CONF_CASE_SEED=${seed}) text=${JSON.stringify(text)}`;
      const list = run('ceph-conf', ['-c', file, '-L']);
      let conf: ConfFile | null = null;
      try {
        conf = ConfFile.parse(text, file);
      } catch (e) {
        if (!(e instanceof CephError && e.code === 'EINVAL')) throw e;
      }
      assert.equal(conf !== null, list.rc === 0, `${tag}: parses? ceph-conf said ${list.err}`);
      if (!conf) continue;
      assert.equal(conf.sectionNames().map((x) => x + '\n').join(''), list.out, `${tag}: sections`);
      for (let k = 0; k < 3; k++) {
        const name = rng.pick(['mon.a', 'client.admin', 'osd.1', 'mon.b']);
        const key = keys.length && rng.chance(0.8) ? rng.pick(keys) : rng.pick(RANDOM_KEYS);
        const want = run('ceph-conf', ['-c', file, '--name', name, '--lookup', key]);
        const c = new CephConfig({ name: parseConfEntityName(name), cluster: 'rand', daemon: true });
        c.conf = conf;
        const got = c.lookup(key);
        assert.deepEqual({ rc: got === undefined ? 1 : 0, out: got === undefined ? '' : got + '\n' }, { rc: want.rc === 0 ? 0 : 1, out: want.out }, `${tag}: --name ${name} --lookup '${key}'`);
      }
    }
  });

  it('bad syntax is EINVAL naming the file and line', function () {
    assert.throws(() => ConfFile.parse('[global]\na = "x\n', '/etc/ceph/x.conf'), (e: unknown) => e instanceof CephError && e.code === 'EINVAL' && /\/etc\/ceph\/x\.conf: parse error: .* in line 2/.test(e.message));
  });

  it('every option in the table has Ceph\'s default (ceph-conf --show-config-value)', function () {
    const file = join(dir, 'empty.conf');
    writeFileSync(file, '[global]\n');
    for (const o of OPTIONS) {
      const want = run('ceph-conf', ['-c', file, '--name', 'mon.a', '--show-config-value', o.name]);
      const { config } = loadConfig({ argv: ['-c', file, '--name', 'mon.a'], daemon: true, host: 'h' });
      assert.equal(config.show(o.name) + '\n', want.out, `default of ${o.name}`);
    }
  });

  it('typed values from the file, CEPH_ARGS and the command line rank as in Ceph', function () {
    const file = join(dir, 'ranks.conf');
    writeFileSync(file, '[global]\nmon lease = 7\nosd-pool-default-size = 2\nmon_allow_pool_delete = TRUE\nmon_osd_down_out_interval = 1K\nfsid = 00000000000000000000000000000abc\n[mon.a]\nmon_lease = 8.5\n');
    const cases: Array<{ argv: string[]; env: Record<string, string> }> = [
      { argv: [], env: {} },
      { argv: [], env: { CEPH_ARGS: '--mon_lease 12' } },
      { argv: ['--mon-lease=13'], env: { CEPH_ARGS: '--mon_lease 12' } },
      { argv: ['--mon_lease', '14', '--osd_pool_default_size', '5'], env: {} },
      { argv: ['-m', '9.9.9.9'], env: { CEPH_ARGS: '--mon_host 1.1.1.1' } },
      { argv: [], env: { CEPH_ARGS: '--name osd.2' } },
    ];
    for (const c of cases) {
      for (const key of ['mon_lease', 'osd_pool_default_size', 'mon_allow_pool_delete', 'mon_osd_down_out_interval', 'fsid', 'mon_host', 'log_file']) {
        const args = ['-c', file, ...(c.env.CEPH_ARGS ? [] : ['--name', 'mon.a']), ...c.argv, '--show-config-value', key];
        const want = run('ceph-conf', args, c.env);
        const { config } = loadConfig({ argv: args.slice(0, -2), env: c.env, daemon: true, host: 'h' });
        assert.equal(config.show(key) + '\n', want.out, `${JSON.stringify(c)} ${key}`);
      }
    }
  });

  it('a bad value names the option and the file:line', function () {
    const file = join(dir, 'bad.conf');
    writeFileSync(file, '[global]\n\nmon_lease = abc\n');
    assert.throws(() => loadConfig({ argv: ['-c', file] }), (e: unknown) => e instanceof CephError && e.code === 'EINVAL' && e.message.includes(`${file}:3`) && e.message.includes("'mon_lease'"));
    assert.throws(() => loadConfig({ argv: ['--mon_allow_pool_delete', 'yes'], searchDefaultConf: false }), (e: unknown) => e instanceof CephError && e.code === 'EINVAL' && e.message.includes('command line'));
    assert.throws(() => loadConfig({ argv: ['--osd_pool_default_size', '11'] , searchDefaultConf: false}), (e: unknown) => e instanceof CephError && e.code === 'EINVAL' && e.message.includes('osd_pool_default_size'));
  });

  it('the cluster name comes from --cluster, else NAME.conf given with -c', function () {
    assert.equal(loadConfig({ argv: ['-c', join(dir, 'basic.conf')] }).config.identity.cluster, 'basic');
    assert.equal(loadConfig({ argv: ['-c', join(dir, 'basic.conf'), '--cluster', 'zz'] }).config.identity.cluster, 'zz');
    assert.equal(loadConfig({ argv: [], env: { CEPH_CONF: join(dir, 'basic.conf') } }).config.identity.cluster, 'ceph');
    assert.equal(loadConfig({ argv: ['--id', 'foo'], searchDefaultConf: false }).config.entityName, 'client.foo');
    const d = loadConfig({ argv: ['-i', 'a', 'rest'], defaultType: 'mon', shortIdFlag: true, daemon: true, searchDefaultConf: false });
    assert.equal(d.config.entityName, 'mon.a');
    assert.deepEqual(d.rest, ['rest']);
  });

  it('mon_host for --mkfs gives the monitors monmaptool --generate makes', function () {
    if (!haveTool('monmaptool')) this.skip();
    const hosts = [
      '10.0.0.1, 10.0.0.2:6789', '10.0.0.1 10.0.0.2', '[v2:10.0.0.3:3300,v1:10.0.0.3:6789]', '10.0.0.4:7000', 'v1:10.0.0.5',
      '[::1]:3300', 'v2:10.0.0.6', '10.0.0.1,10.0.0.2', '10.0.0.1:6789,10.0.0.1:3300', '127.0.0.1:40000 [v2:127.0.0.2:3300] v1:127.0.0.3:6790',
    ];
    for (const h of hosts) {
      const file = join(dir, 'mh.conf');
      const mm = join(dir, 'mm');
      writeFileSync(file, `[global]\nfsid = 11111111-2222-3333-4444-555555555555\nmon host = ${h}\n`);
      const r = run('monmaptool', ['--create', '--clobber', '--generate', '-c', file, mm, '--print']);
      const want = r.out.split('\n').filter((l) => /^\d+: /.test(l)).map((l) => {
        const m = /^\d+: (\S+) mon\.(\S+)$/.exec(l)!;
        return `${m[2]} ${m[1]}`;
      }).sort();
      const got = monHostEntries(parseAddrVecList(h), true).map((e) => `${e.name} ${formatAddrVec(e.addrs)}`).sort();
      assert.deepEqual(got, want, `mon host = ${h}`);
    }
  });

  it('mon_host for a client adds the legacy candidates, and bad text is EINVAL', function () {
    const e = monHostEntries(parseAddrVecList('1.2.3.4;5.6.7.8:6789'));
    assert.deepEqual(e.map((x) => `${x.name} ${formatAddrVec(x.addrs)}`), [
      'noname-a v2:1.2.3.4:3300/0', 'noname-a-legacy v1:1.2.3.4:6789/0', 'noname-b-legacy v1:5.6.7.8:6789/0',
    ]);
    assert.throws(() => parseAddrVecList('1.2.3.4:notaport', 'mon_host'), (x: unknown) => x instanceof CephError && x.code === 'EINVAL' && x.message.startsWith('mon_host'));
  });
});
