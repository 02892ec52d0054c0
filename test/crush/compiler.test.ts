// Proves compileCrushMap accepts and refuses exactly what Ceph 16.2's crushtool -c does: every corpus map decompiles to crushtool's own -c/-d output, and every bad map fails with crushtool's message (fixtures from scripts/gen-text-fixtures.sh).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CrushCompileError, compileCrushMap } from '../../crush/compiler.js';
import { decompileCrushMap } from '../../crush/decompiler.js';
import { encodeCrushMap } from '../../crush/encoding.js';

const root = join(fileURLToPath(new URL('.', import.meta.url)), '../../../test/fixtures/crush/text');
const mapsDir = join(root, 'maps');
const badDir = join(root, 'bad');
const names = (dir: string): string[] =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.txt'))
    .sort();

function compileError(text: string, filename: string): CrushCompileError {
  try {
    compileCrushMap(text, { filename });
  } catch (e) {
    assert.ok(e instanceof CrushCompileError, `expected CrushCompileError, got ${String(e)}`);
    return e;
  }
  assert.fail(`${filename} compiled, but crushtool refuses it`);
}

describe('crush text compiler', () => {
  describe('corpus maps: decompile(compile(text)) is crushtool -d of crushtool -c', () => {
    for (const f of names(mapsDir)) {
      it(f, () => {
        const text = readFileSync(join(mapsDir, f), 'utf8');
        const want = readFileSync(join(mapsDir, f.replace(/\.txt$/, '.expected')), 'utf8');
        assert.equal(decompileCrushMap(compileCrushMap(text)), want);
      });
    }
  });

  describe('compiled maps encode to the bytes crushtool -c writes', () => {
    for (const f of names(mapsDir)) {
      it(f, () => {
        const cw = compileCrushMap(readFileSync(join(mapsDir, f), 'utf8'));
        const want = readFileSync(join(mapsDir, f.replace(/\.txt$/, '.bin')));
        assert.ok(Buffer.from(encodeCrushMap(cw)).equals(want));
      });
    }
  });

  describe('compiling a decompiled map is stable', () => {
    // weights print with three decimals, so a map whose weights need more settles after one more round
    const lossy = new Set(['weights.txt']);
    for (const f of names(mapsDir)) {
      const want = readFileSync(join(mapsDir, f.replace(/\.txt$/, '.expected')), 'utf8');
      if (want.includes('# WARNING')) continue; // crushtool says itself this will not recompile the same
      // choose_args ids print as uint64 but parse as int: crushtool -c refuses its own output ("-1 duplicated")
      if (/^choose_args \d{10,}/m.test(want)) continue;
      it(f, () => {
        const again = decompileCrushMap(compileCrushMap(want));
        if (lossy.has(f)) assert.equal(decompileCrushMap(compileCrushMap(again)), again);
        else assert.equal(again, want);
      });
    }
  });

  describe('bad maps fail with a line number and crushtool\'s message', () => {
    for (const f of names(badDir)) {
      it(f, () => {
        const text = readFileSync(join(badDir, f), 'utf8');
        const expected = readFileSync(join(badDir, f.replace(/\.txt$/, '.expected-err')), 'utf8');
        const nl = expected.indexOf('\n');
        const rc = Number(expected.slice(3, nl));
        const stderr = expected.slice(nl + 1);
        const err = compileError(text, f);
        assert.equal(err.code, 'EINVAL');
        const lines = text.split('\n').length;
        assert.ok(err.line >= 1 && err.line <= lines, `line ${err.line} of ${lines}`);
        assert.ok(err.column >= 1);
        assert.ok(err.message.startsWith(`${f}:${err.line}:${err.column}: `), err.message);
        if (rc === 134) {
          assert.equal(err.crushtoolAborts, true);
        } else {
          assert.equal(rc, 1);
          assert.equal(err.crushtoolAborts, false);
          assert.equal(err.crushtoolMessage, stderr);
        }
      });
    }
  });

  describe('verbose output is crushtool -c -v\'s stderr', () => {
    for (const f of readdirSync(join(root, 'verbose')).sort()) {
      const m = /^(.+)\.v(\d)$/.exec(f)!;
      it(f, () => {
        const dir = existsSync(join(mapsDir, `${m[1]}.txt`)) ? mapsDir : badDir;
        let got = '';
        try {
          compileCrushMap(readFileSync(join(dir, `${m[1]}.txt`), 'utf8'), {
            filename: `${m[1]}.txt`,
            verbose: Number(m[2]),
            log: (t) => (got += t),
          });
        } catch (e) {
          assert.ok(e instanceof CrushCompileError);
          got += e.crushtoolMessage;
        }
        assert.equal(got, readFileSync(join(root, 'verbose', f), 'utf8'));
      });
    }
  });

  describe('error positions', () => {
    const head = 'device 0 osd.0\ntype 0 osd\ntype 1 host\n';
    it('points at the token where the text stops parsing', () => {
      const err = compileError(`${head}host h {\n\tid -1\n\talg straw2\n\titem osd.0 wieght 1\n}\n`, 'x.txt');
      assert.equal(err.line, 7);
      assert.equal(err.column, 13);
      assert.match(err.reason, /^parse error at 'wieght 1'/);
    });
    it('names the line of an undefined item', () => {
      const err = compileError(`${head}host h {\n\tid -1\n\talg straw2\n\titem osd.0\n\titem osd.9\n}\n`, 'x.txt');
      assert.equal(err.line, 8);
      assert.equal(err.reason, "item 'osd.9' in bucket 'h' is not defined");
    });
    it('reports crushtool\'s own parse error line, which is where the last statement ended', () => {
      const err = compileError(`${head}\n# buckets\nhost h {\n\tid 1\n\talg straw2\n}\n`, 'm.txt');
      assert.equal(err.crushtoolMessage, "m.txt:5 error: parse error at '# buckets'\n");
      assert.equal(err.line, 7);
    });
    it('never throws anything but CrushCompileError on junk', () => {
      const junk = ['{', '}', 'rule', 'device -1 x', 'choose_args 1 {', '\0device 0 a', 'type 0 \u00e9t\u00e9\nx', '#', '[ ] ]'];
      for (const t of junk) {
        try {
          compileCrushMap(t);
        } catch (e) {
          assert.ok(e instanceof CrushCompileError, `${JSON.stringify(t)}: ${String(e)}`);
        }
      }
    });
  });

  it('quotes the raw bytes of a non-UTF-8 line when given bytes', () => {
    const bytes = Uint8Array.from([...Buffer.from('device 0 osd.0\ntype 0 osd\ntype 1 h'), 0xe9, 0x0a]);
    let err: unknown;
    try {
      compileCrushMap(bytes, { filename: 'l1.txt' });
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof CrushCompileError);
    assert.equal(Buffer.from(err.crushtoolMessage, 'latin1').toString('hex'), Buffer.from("l1.txt:3 error: parse error at '\xe9'\n", 'latin1').toString('hex'));
  });

  it('parses keywords as prefixes, as Spirit does', () => {
    const cw = compileCrushMap('device0osd.0\ndevice 1osd.1 classssd\ntype0 osd\n');
    assert.equal(cw.getItemName(0), 'osd.0');
    assert.equal(cw.getItemClass(1), 'ssd');
    assert.equal(cw.getTypeName(0), 'osd');
  });

  it('has a fixture for every corpus map', () => {
    for (const f of names(mapsDir)) assert.ok(existsSync(join(mapsDir, f.replace(/\.txt$/, '.expected'))), f);
  });
});
