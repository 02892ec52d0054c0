// Where two outputs part ways, said briefly: shared by the golden replays (crushtool, osdmaptool) and the
// differential fuzzers, which all compare a tsceph run with a recorded or live Ceph run byte for byte.

/** A short account of where two byte strings part ways, line by line (bytes as latin1, one char each). */
export function describeDiff(what: string, expected: Buffer, actual: Buffer): string {
  const e = expected.toString('latin1').split('\n');
  const a = actual.toString('latin1').split('\n');
  let i = 0;
  while (i < e.length && i < a.length && e[i] === a[i]) i++;
  const show = (lines: string[]): string => lines.slice(i, i + 3).map((l) => JSON.stringify(l)).join('\n      ');
  return `${what} differs at line ${i + 1} (expected ${e.length} lines / ${expected.length} bytes, got ${a.length} lines / ${actual.length} bytes)\n`
    + `    expected: ${show(e)}\n    actual:   ${show(a)}`;
}

/** The first differing byte of two binary outputs, with a few bytes of context in hex. */
export function describeBinaryDiff(what: string, expected: Buffer, actual: Buffer): string {
  let i = 0;
  while (i < expected.length && i < actual.length && expected[i] === actual[i]) i++;
  const hex = (b: Buffer): string => b.subarray(Math.max(0, i - 4), i + 12).toString('hex');
  return `${what} differs at byte ${i} (expected ${expected.length} bytes, got ${actual.length})\n`
    + `    expected ...${hex(expected)}\n    actual   ...${hex(actual)}`;
}

/** Text unless a NUL shows up in its first 4 KiB. */
export function isText(b: Buffer): boolean {
  return !b.subarray(0, 4096).includes(0);
}

/** The first line where Ceph's and tsceph's text outputs differ (for fuzzer reports). */
export function firstLineDiff(ceph: string, tsceph: string): string {
  const x = ceph.split('\n');
  const y = tsceph.split('\n');
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  return `line ${i + 1}: ceph ${JSON.stringify(x[i] ?? '<eof>')} vs tsceph ${JSON.stringify(y[i] ?? '<eof>')}`;
}
