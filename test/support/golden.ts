// The case directories of the golden replays: each recorded run is replayed in a fresh directory
// holding only its inputs, and what it leaves there (less unchanged inputs) is compared with what
// Ceph's tool left. Shared by the crushtool and osdmaptool golden tests and the osdmaptool CLI test.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** A recorded output: inline text, or a file under the golden directory (gzipped when large). */
export interface Blob {
  text?: string;
  file?: string;
  gzip?: boolean;
}

export function loadBlob(gold: string, b: Blob): Buffer {
  if (b.text !== undefined) return Buffer.from(b.text, 'utf8');
  if (b.file === undefined) throw new Error('golden blob with neither text nor file');
  const raw = readFileSync(join(gold, b.file));
  return b.gzip ? gunzipSync(raw) : raw;
}

/** Every file under dir, as relative names, sorted. */
export function walkFiles(dir: string, prefix = ''): string[] {
  const out: string[] = [];
  for (const f of readdirSync(dir).sort()) {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) out.push(...walkFiles(p, `${prefix}${f}/`));
    else out.push(`${prefix}${f}`);
  }
  return out;
}

/** A fresh directory holding the case's inputs (name in the run's directory -> path under `gold`). */
export function prepareCaseDir(gold: string, inputs: Record<string, string>, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  for (const [name, rel] of Object.entries(inputs)) {
    const to = join(dir, name);
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(join(gold, rel), to);
  }
  return dir;
}

/** The files a run left in its directory, less inputs it did not change; removes the directory. */
export function collectCaseOutputs(gold: string, inputs: Record<string, string>, dir: string): Map<string, Buffer> {
  const outputs = new Map<string, Buffer>();
  try {
    for (const f of walkFiles(dir)) {
      const buf = readFileSync(join(dir, f));
      const input = inputs[f];
      if (input !== undefined && buf.equals(readFileSync(join(gold, input)))) continue;
      outputs.set(f, buf);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return outputs;
}
