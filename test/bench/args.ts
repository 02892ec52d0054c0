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

/** One command-line flag; value() takes the argument after it (Error naming the flag if there is none). */
export interface Flag {
  name: string;
  value(): string;
}

/** The flags of `argv` in order, for benches that parse every flag: `for (const { name, value } of flags(argv))`. */
export function* flags(argv: readonly string[]): Generator<Flag> {
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i]!;
    yield {
      name,
      value: (): string => {
        const x = argv[++i];
        if (x === undefined) throw new Error(`${name} needs a value`);
        return x;
      },
    };
  }
}
