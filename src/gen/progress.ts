/** Progress and summary lines of `sluice produce`, as pure formatting of counters. */
import type { MessageKind } from './generator.js';

export interface KindCounts {
  valid: number;
  duplicate: number;
  late: number;
  invalid: number;
}

export const emptyCounts = (): KindCounts => ({ valid: 0, duplicate: 0, late: 0, invalid: 0 });

export function tally(counts: KindCounts, kind: MessageKind): void {
  if (kind === 'valid' || kind === 'duplicate' || kind === 'late') counts[kind]++;
  else counts.invalid++;
}

const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const rateOf = (done: number, elapsedMs: number): number => (elapsedMs > 0 ? (done * 1000) / elapsedMs : 0);

/** `[########------------]  40%  40,000/100,000  52,311/s  ETA 1s` */
export function progressLine(done: number, total: number, elapsedMs: number, width = 24): string {
  const share = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(share * width);
  const rate = rateOf(done, elapsedMs);
  const eta = rate > 0 && done < total ? `  ETA ${Math.ceil((total - done) / rate)}s` : '';
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(share * 100)).padStart(3)}%  ${int(done)}/${int(total)}  ${int(rate)}/s${eta}`;
}

/** `produced N events to <topic> in Xs (Y/s): V valid, D duplicates, L late, I invalid` */
export function summaryLine(topic: string, c: KindCounts, elapsedMs: number): string {
  const n = c.valid + c.duplicate + c.late + c.invalid;
  return `produced ${int(n)} events to ${topic} in ${(elapsedMs / 1000).toFixed(1)}s (${int(rateOf(n, elapsedMs))}/s): ` +
    `${int(c.valid)} valid, ${int(c.duplicate)} duplicates, ${int(c.late)} late, ${int(c.invalid)} invalid`;
}
