#!/usr/bin/env node
// Differential check of the text compiler, decompiler and CrushWrapper edits against Ceph's crushtool
// (needs /usr/bin/crushtool and a built dist/). Two modes, each over seeded random cases:
//   node scripts/text-vs-crushtool.mjs compile SEED COUNT  mutated corpus maps: same output or same error
//   node scripts/text-vs-crushtool.mjs edits SEED COUNT    random crushtool edit flags on corpus maps
// Prints DIFF lines for disagreements (and keeps the input in the temp dir) and "done bad N".
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
const repo = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const work = mkdtempSync(join(tmpdir(), 'text-vs-crushtool-'));
const mode = process.argv[2];
process.argv.splice(2, 1);
if (mode === 'compile') await import('./text-vs-crushtool/compile.mjs').then((m) => m.run(repo, work));
else if (mode === 'edits') await import('./text-vs-crushtool/edits.mjs').then((m) => m.run(repo, work));
else console.error('usage: text-vs-crushtool.mjs compile|edits SEED COUNT');
