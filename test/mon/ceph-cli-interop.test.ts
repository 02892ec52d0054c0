// Proves unmodified Ceph 16 clients work against tsceph monitors: Debian's own `ceph` CLI (python
// librados, msgr2, auth none) runs status, tree, pool and crush commands against a vstart cluster and
// prints what tsceph's CLI prints; `ceph osd getmap` and `ceph osd getcrushmap` files are read by Ceph's
// own osdmaptool and crushtool.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VstartCluster } from '../support/vstart-cluster.js';

describe('Ceph 16 clients against tsceph monitors', function () {
  this.timeout(180000);
  let c: VstartCluster;
  let dir: string;
  const realCeph = (args: string[]) => c.realCeph(args);
  const ourCeph = (args: string[]) => c.ceph(args);

  before(() => {
    c = VstartCluster.start(1, 17460, 'tsceph-cli-interop-');
    dir = c.dir;
  });
  after(() => c?.destroy());

  it('ceph -s, osd pool create / ls detail, osd create, crush edits and osd tree', () => {
    const s = realCeph(['-s']);
    assert.equal(s.status, 0, s.stderr);
    assert.match(s.stdout, /health: HEALTH_OK/);
    assert.match(s.stdout, /mon: 1 daemons, quorum a/);

    const created = realCeph(['osd', 'pool', 'create', 'interop', '16']);
    assert.equal(created.status, 0, created.stderr);
    assert.match(created.stderr, /pool 'interop' created/);
    for (let i = 0; i < 3; i++) assert.equal(realCeph(['osd', 'create']).stdout.trim(), String(i));
    assert.equal(realCeph(['osd', 'crush', 'add-bucket', 'host0', 'host']).status, 0);
    assert.equal(realCeph(['osd', 'crush', 'move', 'host0', 'root=default']).status, 0);
    for (let i = 0; i < 3; i++) assert.equal(realCeph(['osd', 'crush', 'add', `osd.${i}`, '1.0', 'host=host0']).status, 0);

    // Ceph's CLI and ours print the same thing for the same cluster state.
    for (const args of [['osd', 'tree'], ['osd', 'pool', 'ls', 'detail'], ['osd', 'dump', '-f', 'json'], ['mon', 'dump'], ['osd', 'map', 'interop', 'obj1'], ['health', 'detail']]) {
      const theirs = realCeph(args);
      const ours = ourCeph(args);
      assert.equal(theirs.status, 0, `${args.join(' ')}: ${theirs.stderr}`);
      assert.equal(ours.status, 0, `${args.join(' ')}: ${ours.stderr}`);
      assert.equal(ours.stdout, theirs.stdout, `ceph ${args.join(' ')}`);
    }
    const tree = realCeph(['osd', 'tree']).stdout;
    assert.match(tree, /host host0/);
    assert.match(tree, /osd\.2 +down/);
  });

  it('osd getmap and getcrushmap files are read by Ceph\'s osdmaptool and crushtool; setcrushmap takes crushtool output', () => {
    const om = join(dir, 'om.bin');
    const g = realCeph(['osd', 'getmap', '-o', om]);
    assert.equal(g.status, 0, g.stderr);
    const p = spawnSync('osdmaptool', ['--print', om], { encoding: 'utf8' });
    assert.equal(p.status, 0, p.stderr);
    assert.match(p.stdout, /pool \d+ 'interop' replicated size 3/);
    const m = spawnSync('osdmaptool', [om, '--test-map-object', 'obj1', '--pool', '1'], { encoding: 'utf8' });
    assert.equal(m.status, 0, m.stderr);

    const cm = join(dir, 'cm.bin');
    assert.equal(ourCeph(['osd', 'getcrushmap', '-o', cm]).status, 0);
    const d = spawnSync('crushtool', ['-d', cm], { encoding: 'utf8' });
    assert.equal(d.status, 0, d.stderr);
    assert.match(d.stdout, /host host0 \{/);

    // Round trip through Ceph's crushtool: add a bucket in text, compile, set it, see it in the tree.
    const txt = join(dir, 'cm.txt');
    assert.match(d.stdout, /# rules/);
    const edited = d.stdout.replace('# rules', 'host extra {\n\tid -100\n\talg straw2\n\thash 0\n}\n\n# rules');
    writeFileSync(txt, edited);
    const cm2 = join(dir, 'cm2.bin');
    const c = spawnSync('crushtool', ['-c', txt, '-o', cm2], { encoding: 'utf8' });
    assert.equal(c.status, 0, c.stderr);
    const set = realCeph(['osd', 'setcrushmap', '-i', cm2]);
    assert.equal(set.status, 0, set.stderr);
    assert.match(ourCeph(['osd', 'tree']).stdout, /host extra/);
  });
});
