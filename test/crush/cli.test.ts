// Proves bin/crushtool is a drop-in for Ceph 16.2's crushtool, flag by flag: every case recorded by
// scripts/gen-cli-fixtures.sh with the real crushtool (args, stdout, stderr, exit status, files written)
// is replayed through main() in a scratch copy of the same inputs and compared byte for byte.
import { strict as assert } from 'node:assert';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { main } from '../../bin/crushtool.js';

const root = resolve(new URL('../../..', import.meta.url).pathname);
const fixtures = join(root, 'test/fixtures/crush/cli');

/**
 * Ceph's debug log lines (timestamp, thread id, level), pointer values printed by one of crushtool's
 * messages and crash reports cannot be reproduced byte for byte; they are masked on both sides.
 */
function normalizeStderr(s: string): string {
  // A fatal signal: Ceph follows the first line with a stack trace and a log dump; compare that line.
  const signal = /^\*\*\* Caught signal \([^)]*\) \*\*\n/m.exec(s);
  if (signal) s = s.slice(0, signal.index + signal[0].length);
  // A failed ceph_assert: Ceph's report names its source line, thread and time; tsceph's names the
  // check. Both end in SIGABRT; compare that the report is there, not its words.
  s = s.replace(
    /^(\.\/src\/[^\n]*: In function '[^\n]*\n[\s\S]*?|crushtool: [^\n]*: Ceph 16\.2 fails an assertion here\n)(?=\*\*\* Caught signal \(Aborted\) \*\*\n)/m,
    '<failed assertion report>\n',
  );
  return s
    .replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+[+-]\d{4} [0-9a-f]+ +-?\d+ .*\n\n?/gm, '')
    .replace(/0x[0-9a-f]{8,16}/g, '0xPOINTER');
}

function listFiles(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string, rel: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p, `${rel}${name}/`);
      else out.set(`${rel}${name}`, readFileSync(p));
    }
  };
  walk(dir, '');
  return out;
}

interface Case {
  name: string;
  args: string[];
  rc: number;
  stdout: string;
  stderr: string;
  files: Map<string, Buffer>;
  /** The CEPH_ARGS environment the case ran with, if any. */
  cephArgs: string | undefined;
}

function loadCases(): Case[] {
  const dir = join(fixtures, 'cases');
  return readdirSync(dir)
    .sort()
    .map((name) => {
      const d = join(dir, name);
      const argLine = readFileSync(join(d, 'args'), 'utf8').replace(/\n$/, '');
      const files = existsSync(join(d, 'files')) ? listFiles(join(d, 'files')) : new Map<string, Buffer>();
      return {
        name,
        args: argLine.split(/\s+/).filter((a) => a !== ''),
        rc: Number(readFileSync(join(d, 'rc'), 'utf8')),
        stdout: readFileSync(join(d, 'stdout'), 'latin1'),
        stderr: readFileSync(join(d, 'stderr'), 'latin1'),
        files,
        cephArgs: existsSync(join(d, 'ceph_args'))
          ? readFileSync(join(d, 'ceph_args'), 'utf8').replace(/\n$/, '')
          : undefined,
      };
    });
}

async function runCase(c: Case): Promise<{ rc: number; stdout: string; stderr: string; files: Map<string, Buffer> }> {
  const work = mkdtempSync(join(tmpdir(), `crushtool-cli-${c.name}-`));
  try {
    cpSync(join(fixtures, 'inputs'), work, { recursive: true });
    const before = listFiles(work);
    let stdout = '';
    let stderr = '';
    const rc = await main(c.args, {
      stdout: (s) => {
        stdout += s;
      },
      stderr: (s) => {
        stderr += s;
      },
      cwd: work,
      argv0: 'crushtool',
      readStdin: () => Buffer.alloc(0),
      cephArgs: c.cephArgs,
    });
    const files = new Map<string, Buffer>();
    for (const [name, data] of listFiles(work)) {
      const old = before.get(name);
      if (!old || !old.equals(data)) files.set(name.split('/').pop()!, data);
    }
    return { rc, stdout, stderr, files };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

describe('crushtool CLI against Ceph 16.2 crushtool fixtures', () => {
  for (const c of loadCases()) {
    it(`${c.name}: crushtool ${c.args.join(' ')}`, async () => {
      const got = await runCase(c);
      assert.equal(got.stdout, c.stdout, 'stdout');
      assert.equal(normalizeStderr(got.stderr), normalizeStderr(c.stderr), 'stderr');
      assert.equal(got.rc, c.rc, 'exit status');
      assert.deepEqual([...got.files.keys()].sort(), [...c.files.keys()].sort(), 'files written');
      for (const [name, data] of c.files) {
        const mine = got.files.get(name)!;
        assert.ok(mine.equals(data), `${name}: ${mine.length} bytes differ from crushtool's ${data.length}`);
      }
    });
  }
});
