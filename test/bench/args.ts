// Command-line flags of the benchmarks: `--name VALUE` options and `--help`, which prints the usage
// each benchmark keeps in its opening comment (so the text a reader sees in the source is the help).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The value after `--name`, or `def`. */
export function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
}

/** With --help or -h: print the opening comment of the module at `moduleUrl` (import.meta.url) and exit 0. */
export function exitWithUsageIfAsked(moduleUrl: string): void {
  if (!process.argv.includes('--help') && !process.argv.includes('-h')) return;
  const lines: string[] = [];
  for (const line of readFileSync(fileURLToPath(moduleUrl), 'utf8').split('\n')) {
    if (!line.startsWith('//')) break;
    lines.push(line.replace(/^\/\/ ?/, ''));
  }
  process.stdout.write(`${lines.join('\n')}\n`);
  process.exit(0);
}
