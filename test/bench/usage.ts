/**
 * `--help` of a bench script: its own header comment, so the help and the code's documentation
 * are one text and cannot drift apart.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The leading /** … *\/ block of the script at `url`, without its comment markers. */
export function usageOf(url: string): string {
  const text = readFileSync(fileURLToPath(url), 'utf8');
  const block = /^\/\*\*\n([\s\S]*?)\n \*\//.exec(text)?.[1] ?? '';
  return `${block.split('\n').map((l) => l.replace(/^ \* ?/, '')).join('\n')}\n`;
}

/** Prints the usage and exits when `--help` is among the arguments. */
export function helpRequested(url: string, argv = process.argv.slice(2)): void {
  if (!argv.includes('--help') && !argv.includes('-h')) return;
  process.stdout.write(usageOf(url));
  process.exit(0);
}
