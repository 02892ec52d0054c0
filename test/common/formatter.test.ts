// Proves common/formatter.ts prints what Ceph's JSONFormatter and TextTable print: structures rebuilt by
// hand are compared with crushtool output committed in test/fixtures/crush/bin (made by
// scripts/gen-bin-fixtures.sh), and number formats with values crushtool printed.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Align,
  Formatter,
  HTMLFormatter,
  JSONFormatter,
  TableFormatter,
  TextTable,
  XMLFormatter,
  createFormatter,
  escapeJson,
  escapeXml,
  formatDoubleG,
  formatFixed,
} from '../../common/formatter.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, '..', '..', '..', 'test', 'fixtures', 'crush', 'bin');

/** The "types" and "choose_args" of chooseargs.bin, written by hand through the formatter. */
function writeSample(f: JSONFormatter): void {
  f.openObjectSection('crush_map');
  f.openArraySection('types');
  for (const [id, name] of [[0, 'osd'], [1, 'host'], [11, 'root']] as const) {
    f.openObjectSection('type');
    f.dumpInt('type_id', id);
    f.dumpString('name', name);
    f.closeSection();
  }
  f.closeSection();
  f.openArraySection('rules');
  f.closeSection();
  f.openObjectSection('choose_args');
  f.openArraySection('7');
  f.openObjectSection('choose_args');
  f.dumpInt('bucket_id', -2);
  f.openArraySection('weight_set');
  f.openArraySection('weights');
  f.dumpFloat('weight', 8060 / 65536);
  f.dumpFloat('weight', 29884 / 65536);
  f.closeSection();
  f.closeSection();
  f.closeSection();
  f.closeSection();
  f.closeSection();
  f.closeSection();
}

describe('common/formatter JSONFormatter', () => {
  it('json-pretty: four-space indents, ": " after names, "[]" for empty sections, newline at the end', () => {
    const f = new JSONFormatter(true);
    writeSample(f);
    const dump = readFileSync(join(fixtures, 'chooseargs.dump.json'), 'utf8');
    const types = dump.slice(dump.indexOf('    "types"'), dump.indexOf('    "buckets"'));
    const choose7 = dump.slice(dump.indexOf('        "7": ['), dump.indexOf('        "9": ['));
    const expected =
      '{\n' + types + '    "rules": [],\n    "choose_args": {\n' + choose7.replace(/,\n$/, '\n') + '    }\n}\n';
    assert.equal(f.flush(), expected);
  });

  it('json: no whitespace at all', () => {
    const f = new JSONFormatter(false);
    writeSample(f);
    const out = f.flush();
    assert.equal(
      out,
      '{"types":[{"type_id":0,"name":"osd"},{"type_id":1,"name":"host"},{"type_id":11,"name":"root"}],' +
        '"rules":[],"choose_args":{"7":[{"bucket_id":-2,"weight_set":[[0.12298583984375,0.45599365234375]]}]}}',
    );
    const compact = readFileSync(join(fixtures, 'chooseargs.dump-json.out'), 'utf8');
    assert.ok(compact.includes('"7":[{"bucket_id":-2,"weight_set":[[0.12298583984375,0.45599365234375]]}]'));
    assert.ok(compact.includes('"types":[{"type_id":0,"name":"osd"},{"type_id":1,"name":"host"},{"type_id":11,"name":"root"}]'));
  });

  it('an empty object prints as {} and flush resets the text', () => {
    const f = new JSONFormatter(true);
    f.openObjectSection('x');
    f.openObjectSection('choose_args');
    f.closeSection();
    f.closeSection();
    assert.equal(f.flush(), '{\n    "choose_args": {}\n}\n');
    assert.equal(f.flush(), '');
  });

  it('escapes strings as Ceph does and leaves names alone', () => {
    assert.equal(escapeJson('a"b\\c\td\ne\x01\x7f'), 'a\\"b\\\\c\\td\\ne\\u0001\\u007f');
    assert.equal(escapeJson('héllo/'), 'héllo/');
    const f = new JSONFormatter(false);
    f.openObjectSection('');
    f.dumpString('k', 'v"');
    f.dumpBool('b', false);
    f.dumpNull('n');
    f.dumpUnsigned('u', 18446744073709551615n);
    f.dumpInt('i', -5);
    f.dumpUnsigned('w', -1);
    f.closeSection();
    assert.equal(f.flush(), '{"k":"v\\"","b":false,"n":null,"u":18446744073709551615,"i":-5,"w":18446744073709551615}');
  });

  it('createFormatter picks the format by name and falls back', () => {
    assert.ok((createFormatter('json') as JSONFormatter).pretty === false);
    assert.ok((createFormatter('', 'json-pretty') as JSONFormatter).pretty === true);
    assert.ok(createFormatter('xml-pretty') instanceof XMLFormatter);
    assert.ok(createFormatter('html') instanceof HTMLFormatter);
    assert.ok(createFormatter('table-kv') instanceof TableFormatter);
    assert.equal(createFormatter('bogus', 'json', ''), null);
    assert.ok((createFormatter('bogus', 'json', 'json-pretty') as JSONFormatter).pretty === true);
  });
});

describe('common/formatter XML, HTML and table (crushtool --dump -f FORMAT of empty.bin)', () => {
  function writeEmptyTypes(f: Formatter): void {
    f.openObjectSection('crush_map');
    f.openArraySection('types');
    for (const [id, name] of [[0, 'osd'], [1, 'host']] as const) {
      f.openObjectSection('type');
      f.dumpInt('type_id', id);
      f.dumpString('name', name);
      f.closeSection();
    }
    f.closeSection();
    f.openArraySection('buckets');
    f.closeSection();
    f.closeSection();
  }
  it('xml and xml-pretty', () => {
    const compact = readFileSync(join(fixtures, 'empty.dump-xml.out'), 'utf8');
    const f = new XMLFormatter(false);
    writeEmptyTypes(f);
    const all = f.flush();
    const types = all.slice(all.indexOf('<types>'), all.indexOf('</crush_map>'));
    assert.ok(compact.includes(types), types);
    const p = new XMLFormatter(true);
    writeEmptyTypes(p);
    const pretty = readFileSync(join(fixtures, 'empty.dump-xml-pretty.out'), 'utf8');
    const got = p.flush();
    const typesPretty = got.slice(got.indexOf(' <types>'), got.indexOf(' <buckets>'));
    assert.ok(pretty.includes(typesPretty + ' <buckets>\n </buckets>\n'), typesPretty);
    assert.equal(escapeXml(`a<b>&'"\x01\t`), 'a&lt;b&gt;&amp;&apos;&quot;&#x01;\t');
  });
  it('html-pretty', () => {
    const f = new HTMLFormatter(true);
    writeEmptyTypes(f);
    const got = f.flush();
    const want = readFileSync(join(fixtures, 'empty.dump-html-pretty.out'), 'utf8');
    assert.ok(want.includes(got.slice(got.indexOf(' <types>'), got.indexOf(' <buckets>'))));
    assert.ok(got.includes('   <li>type_id: 1</li>\n   <li>name: host</li>\n'));
  });
  it('table-kv names each value by its sections and a counter', () => {
    const f = new TableFormatter(true);
    writeEmptyTypes(f);
    assert.equal(
      f.flush(),
      'key::type:types:crush_map:type_id[0]="0" key::type:types:crush_map:name[0]="osd" ' +
        'key::type:types:crush_map:type_id[1]="1" key::type:types:crush_map:name[1]="host" \n',
    );
    const want = readFileSync(join(fixtures, 'empty.dump-table-kv.out'), 'utf8');
    assert.ok(want.includes('key::type:types:crush_map:type_id[0]="0" key::type:types:crush_map:name[0]="osd" key::type:types:crush_map:type_id[1]="1" key::type:types:crush_map:name[1]="host" '));
  });
});

describe('common/formatter numbers', () => {
  it('dump_float prints with 17 significant digits, trailing zeros dropped (values from crushtool --dump)', () => {
    assert.equal(formatDoubleG(2, 17), '2');
    assert.equal(formatDoubleG(1.5, 17), '1.5');
    assert.equal(formatDoubleG(0, 17), '0');
    assert.equal(formatDoubleG(8060 / 65536, 17), '0.12298583984375');
    // 655361/65536 = 10.0000152587890625 exactly: an exact tie at the 17th digit, rounded to even
    assert.equal(formatDoubleG(655361 / 65536, 17), '10.000015258789062');
    assert.equal(formatDoubleG(0.1, 17), '0.10000000000000001');
    assert.equal(formatDoubleG(1e-5, 17), '1.0000000000000001e-05');
    assert.equal(formatDoubleG(1e21, 17), '1e+21');
    assert.equal(formatDoubleG(123456, 6), '123456');
    assert.equal(formatDoubleG(1234567, 6), '1.23457e+06');
    assert.equal(formatDoubleG(NaN, 17), 'nan');
    assert.equal(formatDoubleG(-Infinity, 17), '-inf');
  });

  it('fixed notation rounds the exact value half to even (values from crushtool --tree)', () => {
    assert.equal(formatFixed(85196 / 65536, 5), '1.29999');
    assert.equal(formatFixed(524353 / 65536, 5), '8.00099');
    assert.equal(formatFixed(1024 / 65536, 5), '0.01562'); // 0.015625: a tie, rounded to even
    assert.equal(formatFixed(655361 / 65536, 5), '10.00002');
    assert.equal(formatFixed(Math.fround(-1673462528 >>> 0) / 65536, 5), '40000.98828'); // heavy.bin root big
    assert.equal(formatFixed(2.5, 0), '2');
    assert.equal(formatFixed(3.5, 0), '4');
    assert.equal(formatFixed(-3.75, 1), '-3.8');
    assert.equal(formatFixed(0.0004, 3), '0.000');
    assert.equal(formatFixed(0.0005, 3), '0.001'); // 0.0005 is slightly above the tie as a double
  });
});

describe('common/formatter TextTable', () => {
  it('pads cells to the widest in their column, two spaces between columns, none after the last', () => {
    const t = new TextTable();
    t.defineColumn('ID', Align.Left, Align.Right);
    t.defineColumn('CLASS', Align.Left, Align.Right);
    t.defineColumn('WEIGHT', Align.Left, Align.Right);
    t.defineColumn('TYPE NAME', Align.Left, Align.Left);
    t.cell(-1).cell('').cell('4.50000').cell('root default').endRow();
    t.cell(-2).cell('').cell('3.50000').cell('    host h1').endRow();
    t.cell(1).cell('hdd').cell('2.50000').cell('        osd.1').endRow();
    assert.equal(
      t.toString(),
      'ID  CLASS  WEIGHT   TYPE NAME    \n' +
        '-1         4.50000  root default \n' +
        '-2         3.50000      host h1  \n' +
        ' 1    hdd  2.50000          osd.1\n',
    );
  });

  it('prints only the header when there are no rows (as crushtool --tree of an empty map)', () => {
    const t = new TextTable();
    for (const h of ['ID', 'CLASS', 'WEIGHT']) t.defineColumn(h, Align.Left, Align.Right);
    t.defineColumn('TYPE NAME', Align.Left, Align.Left);
    assert.equal(t.toString(), readFileSync(join(fixtures, 'empty.tree.txt'), 'utf8'));
  });

  it('centers as Ceph does and refuses rows of the wrong size', () => {
    const t = new TextTable();
    t.defineColumn('ABCDEFG', Align.Center, Align.Center);
    t.cell('ab').endRow();
    assert.equal(t.toString(), 'ABCDEFG\n  ab   \n');
    assert.throws(() => t.cell('x').cell('y'));
    const u = new TextTable();
    u.defineColumn('A', Align.Left, Align.Left);
    u.defineColumn('B', Align.Left, Align.Left);
    assert.throws(() => u.cell('x').endRow());
  });
});
