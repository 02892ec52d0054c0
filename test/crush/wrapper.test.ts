// Proves CrushWrapper's edit operations change a map exactly as Ceph 16.2's crushtool edit flags do: each case in edits.list is replayed through the wrapper on the decoded base map and the result (binary and decompiled text) or the refusal is compared with what crushtool made of it (fixtures from scripts/gen-text-fixtures.sh).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Errno } from '../../common/errors.js';
import { compileCrushMap } from '../../crush/compiler.js';
import { decompileCrushMap } from '../../crush/decompiler.js';
import { decodeCrushMap, encodeCrushMap } from '../../crush/encoding.js';
import { RuleType } from '../../crush/types.js';
import { CrushWrapper } from '../../crush/wrapper.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '../../../test/fixtures/crush/text');

/** What crushtool's main() does with one set of edit flags; returns its exit status. */
function applyCrushtoolEdit(cw: CrushWrapper, args: string[], stdout: string[]): number {
  const loc = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--loc') {
      loc.set(args[i + 1]!, args[i + 2]!);
      i += 2;
    } else rest.push(args[i]!);
  }
  const exit = (r: number): number => (r < 0 ? (256 + r) & 0xff : r);
  const f32 = (s: string): number => Math.fround(parseFloat(s));
  let deviceClass = '';
  const dc = rest.indexOf('--device-class');
  if (dc >= 0) {
    deviceClass = rest[dc + 1]!;
    rest.splice(dc, 2);
  }
  const [op, ...a] = rest;
  switch (op) {
    case '--add-item':
    case '--update-item': {
      const id = Number(a[0]);
      const r =
        op === '--add-item'
          ? cw.insertItem(id, f32(a[1]!), a[2]!, loc)
          : cw.updateItem(id, f32(a[1]!), a[2]!, loc);
      if (r < 0) return exit(r);
      break;
    }
    case '--remove-item': {
      if (!cw.nameExists(a[0]!)) return exit(-Errno.ENOENT);
      const r = cw.removeItem(cw.getItemId(a[0]!), false);
      if (r !== 0) return exit(r);
      break;
    }
    case '--reweight-item': {
      if (!cw.nameExists(a[0]!)) return exit(-Errno.ENOENT);
      const r = cw.adjustItemWeightf(cw.getItemId(a[0]!), f32(a[1]!));
      if (r < 0) return exit(r);
      break;
    }
    case '--reweight':
      cw.reweight();
      break;
    case '--rebuild-class-roots':
      if (cw.rebuildRootsWithClasses() < 0) return 1;
      break;
    case '--move': {
      const name = a[0]!;
      if (!cw.nameExists(name)) return exit(-Errno.ENOENT);
      const id = cw.getItemId(name);
      if (cw.checkItemLoc(id, loc).found) return 1;
      let r: number;
      if (id >= 0) {
        r = cw.createOrMoveItem(id, 0, name, loc);
        r = r === 0 ? 1 : r === 1 ? 0 : r;
      } else r = cw.moveBucket(id, loc);
      if (r !== 0) return exit(r);
      break;
    }
    case '--add-bucket': {
      const [name, type] = a as [string, string];
      if (cw.nameExists(name)) return exit(-Errno.EEXIST);
      const t = cw.getTypeId(type);
      if (t <= 0) return exit(-Errno.EINVAL);
      const b = cw.addBucket(0, 0, 0, t, [], []);
      if (b.ret < 0) return exit(b.ret);
      if (cw.setItemName(b.id, name) < 0) return exit(-Errno.EINVAL);
      if (loc.size && !cw.checkItemLoc(b.id, loc).found) {
        const r = cw.moveBucket(b.id, loc);
        if (r < 0) return exit(r);
      }
      break;
    }
    case '--create-replicated-rule':
    case '--create-simple-rule': {
      const [name, rootName, type] = a as [string, string, string];
      const mode = op === '--create-simple-rule' ? a[3]! : 'firstn';
      if (cw.ruleExists(name)) return 1;
      const r = cw.addSimpleRule(name, rootName, type, deviceClass, mode, RuleType.Replicated);
      if (r < 0) return 1;
      break;
    }
    case '--remove-rule': {
      if (!cw.ruleExists(a[0]!)) return 0;
      if (cw.removeRule(cw.getRuleId(a[0]!)) < 0) return 1;
      break;
    }
    case '--reclassify': {
      const roots = new Map<string, string>();
      const buckets = new Map<string, [string, string]>();
      for (let i = 0; i < a.length; i++) {
        if (a[i] === '--set-subtree-class') {
          cw.setSubtreeClass(a[i + 1]!, a[i + 2]!);
          i += 2;
        } else if (a[i] === '--reclassify-root') {
          roots.set(a[i + 1]!, a[i + 2]!);
          i += 2;
        } else if (a[i] === '--reclassify-bucket') {
          buckets.set(a[i + 1]!, [a[i + 2]!, a[i + 3]!]);
          i += 3;
        }
      }
      if (cw.reclassify((l) => stdout.push(l), roots, buckets) < 0) return 1;
      break;
    }
    default:
      throw new Error(`edit ${op} not handled by this test`);
  }
  cw.finalize();
  return 0;
}

describe('CrushWrapper edit operations', () => {
  describe('replay of crushtool edits (edits.list)', () => {
    const list = readFileSync(join(root, 'edits/edits.list'), 'utf8').split('\n');
    for (const line of list) {
      if (!line.trim() || line.startsWith('#')) continue;
      const [name, base, flags] = line.split('\t') as [string, string, string];
      it(`${name}: ${flags}`, () => {
        // crushtool -i decodes the map it is given, so start from the binary crushtool compiled
        const cw = CrushWrapper.from(decodeCrushMap(readFileSync(join(root, `maps/${base}.bin`))));
        const stdout: string[] = [];
        const rc = applyCrushtoolEdit(cw, flags.split(' '), stdout);
        const outFile = join(root, `edits/${name}.stdout`);
        if (existsSync(outFile)) assert.equal(stdout.join(''), readFileSync(outFile, 'utf8'));
        const okFile = join(root, `edits/${name}.expected`);
        if (existsSync(okFile)) {
          // (an .expected-err beside it records that crushtool crashed on exit after writing this map)
          assert.equal(rc, 0);
          assert.equal(decompileCrushMap(cw), readFileSync(okFile, 'utf8'));
          const binFile = join(root, `edits/${name}.bin`);
          if (existsSync(binFile)) {
            // the whole map, straws and tree nodes included, is what crushtool wrote
            assert.ok(Buffer.from(encodeCrushMap(cw)).equals(readFileSync(binFile)), 'binary differs');
          }
        } else {
          const err = readFileSync(join(root, `edits/${name}.expected-err`), 'utf8');
          assert.equal(`rc=${rc}`, err.slice(0, err.indexOf('\n')));
        }
      });
    }
  });

  describe('full location (crushtool --show-location)', () => {
    for (const f of readdirSync(join(root, 'queries')).filter((n) => n.startsWith('show-location-'))) {
      const m = /^show-location-(.+)-(\d+)\.expected$/.exec(f)!;
      it(`${m[1]} item ${m[2]}`, () => {
        const cw = compileCrushMap(readFileSync(join(root, `maps/${m[1]}.txt`), 'utf8'));
        let text = '';
        for (const [t, n] of cw.getFullLocation(Number(m[2]))) text += `${t}\t${n}\n`;
        assert.equal(text, readFileSync(join(root, 'queries', f), 'utf8'));
      });
    }
  });

  describe('names, types and rules', () => {
    it('looks items up both ways and rejects invalid names', () => {
      const cw = new CrushWrapper();
      assert.equal(cw.setItemName(3, 'osd.3'), 0);
      assert.equal(cw.setItemName(4, 'bad name'), -Errno.EINVAL);
      assert.equal(cw.getItemId('osd.3'), 3);
      assert.equal(cw.getItemId('nope'), 0);
      assert.ok(cw.nameExists('osd.3'));
      cw.setTypeName(1, 'host');
      assert.equal(cw.getTypeId('host'), 1);
      assert.equal(cw.getTypeId('rack'), -1);
    });
    it('starts with the default (jewel, straw_calc_version 1) tunables', () => {
      const cw = new CrushWrapper();
      assert.equal(cw.crush.chooseTotalTries, 50);
      assert.equal(cw.crush.chooseleafStable, 1);
      assert.equal(cw.crush.strawCalcVersion, 1);
      assert.equal(cw.getDefaultBucketAlg(), 5);
    });
    it('allocates class ids as max + 1 and marks shadow buckets', () => {
      const cw = compileCrushMap(readFileSync(join(root, 'maps/classes.txt'), 'utf8'));
      assert.equal(cw.getClassId('hdd'), 0);
      assert.equal(cw.getClassId('ssd'), 1);
      assert.equal(cw.getClassId('nvme'), 2);
      assert.equal(cw.getOrCreateClassId('new'), 3);
      const shadow = cw.names.classBucket.get(cw.getItemId('default'))!.get(1)!;
      assert.equal(cw.getItemName(shadow), 'default~ssd');
      assert.ok(cw.isShadowItem(shadow));
      assert.ok(!cw.isShadowItem(cw.getItemId('default')));
      assert.deepEqual(cw.splitIdClass(shadow), { ret: 0, id: cw.getItemId('default'), cls: 1 });
    });
    it('propagates a weight change to every ancestor', () => {
      const cw = compileCrushMap(readFileSync(join(root, 'maps/basic.txt'), 'utf8'));
      const before = cw.getBucketWeight(cw.getItemId('default'));
      assert.equal(cw.adjustItemWeight(0, 0x30000), 1);
      assert.equal(cw.getBucketWeight(cw.getItemId('node-a')), 0x40000);
      assert.equal(cw.getBucketWeight(cw.getItemId('default')), before + 0x20000);
    });
  });

  describe('operations crushtool has no flag for', () => {
    const load = (m: string): CrushWrapper => CrushWrapper.from(decodeCrushMap(readFileSync(join(root, `maps/${m}.bin`))));
    it('linkBucket puts a bucket under a second parent, as a map written that way compiles', () => {
      const cw = load('basic');
      assert.equal(cw.addBucket(-4, 5, 0, 11, [], []).ret, 0);
      cw.setItemName(-4, 'other');
      assert.equal(cw.linkBucket(cw.getItemId('node-a'), { root: 'other' }), 0);
      cw.finalize();
      const text = readFileSync(join(root, 'maps/basic.expected'), 'utf8').replace(
        '\n# rules\n',
        '\nroot other {\n\tid -4\t\t# do not change unnecessarily\n\t# weight 2.000\n\talg straw2\n\thash 0\t# rjenkins1\n\titem node-a weight 2.000\n}\n\n# rules\n',
      );
      assert.equal(decompileCrushMap(cw), decompileCrushMap(compileCrushMap(text)));
      // and unlinking it from there only leaves it under default
      assert.equal(cw.removeItemUnder(cw.getItemId('node-a'), -4, true), 0);
      assert.deepEqual(cw.getChildren(-4), []);
      assert.deepEqual(cw.getChildren(cw.getItemId('default')), [-2, -3]);
    });
    it('updateDeviceClass binds a device to a class once and rebuilds the shadow trees', () => {
      const cw = load('classes');
      const err = { message: '' };
      assert.equal(cw.updateDeviceClass(5, 'ssd', 'osd.5', err), 1);
      const shadow = cw.names.classBucket.get(cw.getItemId('h0'))!.get(cw.getClassId('ssd'))!;
      assert.deepEqual(cw.getChildren(shadow), [1, 5]);
      assert.equal(cw.updateDeviceClass(5, 'ssd', 'osd.5', err), 0);
      assert.equal(cw.updateDeviceClass(5, 'hdd', 'osd.5', err), -Errno.EBUSY);
      assert.match(err.message, /^osd\.5 has already bound to class 'ssd', can not reset class to 'hdd'/);
      assert.equal(cw.removeDeviceClass(5), 0);
      assert.deepEqual(cw.getChildren(shadow), [1]);
    });
    it('answers tree queries', () => {
      const cw = load('classes');
      assert.deepEqual(cw.getLeaves('r1'), [0, 1, 2, 3, 4, 5]);
      assert.deepEqual(cw.getChildrenOfType(cw.getItemId('default'), 1), [-1, -2, -3]);
      assert.equal(cw.getParentOfType(4, 2), cw.getItemId('r1'));
      assert.deepEqual(cw.getRulesByClass('ssd'), [0]);
      assert.deepEqual(cw.getRulesByClass('hdd'), [1, 2]);
      assert.equal(cw.getRulesByClass('nope'), -Errno.ENOENT);
    });
    it('renames items as rename_item does', () => {
      const cw = load('basic');
      const err = { message: '' };
      assert.equal(cw.renameItem('node-a', 'node-b', err), -Errno.EEXIST);
      assert.equal(err.message, "dstname = 'node-b' already exists");
      assert.equal(cw.renameItem('nope', 'x', err), -Errno.ENOENT);
      assert.equal(cw.renameItem('node-a', 'bad name', err), -Errno.EINVAL);
      assert.equal(cw.renameItem('node-a', 'node-z', err), 0);
      assert.equal(cw.getItemId('node-z'), -2);
      assert.equal(cw.getItemName(-2), 'node-z');
      // like Ceph's set_item_name, the old name lingers in the reverse map until it is rebuilt
      assert.equal(cw.nameExists('node-a'), true);
      cw.invalidateRmaps();
      assert.equal(cw.nameExists('node-a'), false);
    });
    it('swapBucket exchanges two buckets\' contents and names, as basic-swapped.txt compiles', () => {
      const cw = load('basic');
      assert.equal(cw.swapBucket(-2, -3), 0);
      cw.finalize();
      assert.equal(decompileCrushMap(cw), readFileSync(join(root, 'maps/basic-swapped.expected'), 'utf8'));
      assert.equal(cw.swapBucket(-1, -2), -Errno.EINVAL); // a parent and its child
    });
    it('adjustSubtreeWeightf sets every device below, as basic-subtree-weight.txt compiles', () => {
      const cw = load('basic');
      assert.equal(cw.adjustSubtreeWeightf(cw.getItemId('default'), 0.75), 4);
      cw.finalize();
      const want = readFileSync(join(root, 'maps/basic-subtree-weight.expected'), 'utf8');
      assert.equal(decompileCrushMap(cw), want);
    });
    it('renames buckets, rules and classes', () => {
      const cw = load('classes');
      const err = { message: '' };
      assert.equal(cw.renameBucket('osd.0', 'x', err), -Errno.ENOTDIR);
      assert.equal(err.message, "srcname = 'osd.0' is not a bucket because its id = 0 is >= 0");
      assert.equal(cw.renameBucket('h0', 'host0', err), 0);
      assert.equal(cw.renameRule('fast', 'slow', err), -Errno.EEXIST);
      assert.equal(cw.renameRule('fast', 'quick', err), 0);
      assert.equal(cw.getRuleId('quick'), 0);
      assert.equal(cw.renameClass('ssd', 'flash'), 0);
      assert.equal(cw.getClassId('flash'), 1);
      const shadow = cw.names.classBucket.get(cw.getItemId('default'))!.get(1)!;
      assert.equal(cw.getItemName(shadow), 'default~flash');
      assert.equal(cw.renameClass('nope', 'x'), -Errno.ENOENT);
    });
    it('knows which rules use a class or reach a device', () => {
      const cw = load('classes');
      const err = { message: '' };
      assert.equal(cw.classIsInUse(cw.getClassId('ssd'), err), true);
      assert.equal(err.message, "still referenced by crush_rule(s): 'fast'");
      assert.equal(cw.classIsInUse(cw.getClassId('nvme')), true);
      assert.deepEqual(cw.getRulesByOsd(6), [1, 2]);
      assert.deepEqual(cw.getRulesByOsd(1), [0]);
      const m = cw.getRuleWeightOsdMap(1) as Map<number, number>;
      assert.deepEqual([...m.keys()], [0, 2, 6]); // the hdd devices under default
      const total = [...m.values()].reduce((a, b) => a + b, 0);
      assert.ok(Math.abs(total - 1) < 1e-6);
    });
    it('creates and drops choose_args sets sized to the bucket array', () => {
      const cw = load('basic');
      const cmap = cw.createChooseArgs(5);
      assert.equal(cmap.length, cw.getMaxBuckets());
      assert.equal(cw.chooseArgsGet(5), cmap);
      cw.rmChooseArgs(5);
      assert.equal(cw.chooseArgsGet(5), null);
    });
  });

  describe('doRule gives crushtool --test mappings', () => {
    for (const f of readdirSync(join(root, 'queries')).filter((n) => n.startsWith('mappings-'))) {
      const m = /^mappings-(.+)-(\d+)-(\d+)\.expected$/.exec(f)!;
      it(`${m[1]} rule ${m[2]} size ${m[3]}`, () => {
        const cw = compileCrushMap(readFileSync(join(root, `maps/${m[1]}.txt`), 'utf8'));
        const rule = Number(m[2]);
        const numRep = Number(m[3]);
        const weights = new Uint32Array(cw.getMaxDevices());
        for (let i = 0; i < weights.length; i++) weights[i] = cw.checkItemPresent(i) ? 0x10000 : 0;
        const out = new Int32Array(numRep);
        let text = '';
        for (let x = 0; x < 64; x++) {
          const n = cw.doRule(rule, x, out, numRep, weights);
          text += `CRUSH rule ${rule} x ${x} [${Array.from(out.subarray(0, n)).join(',')}]\n`;
        }
        assert.equal(text, readFileSync(join(root, 'queries', f), 'utf8'));
      });
    }
  });

  describe('doRule', () => {
    it('maps through a class rule into devices of that class only', () => {
      const cw = compileCrushMap(readFileSync(join(root, 'maps/classes.txt'), 'utf8'));
      const out = new Int32Array(3);
      const weights = new Uint32Array(7).fill(0x10000);
      for (let x = 0; x < 50; x++) {
        const n = cw.doRule(0, x, out, 3, weights);
        assert.ok(n >= 1);
        for (let i = 0; i < n; i++) assert.equal(cw.getItemClass(out[i]!), 'ssd');
      }
    });
  });
});
