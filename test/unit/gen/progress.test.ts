import { describe, expect, it } from 'vitest';
import { emptyCounts, progressLine, summaryLine, tally } from '../../../src/gen/progress.js';

describe('progress and summary', () => {
  it('draws a bar with rate and ETA', () => {
    expect(progressLine(40_000, 100_000, 2_000, 10)).toBe('[####------]  40%  40,000/100,000  20,000/s  ETA 3s');
    expect(progressLine(0, 10, 0, 4)).toBe('[----]   0%  0/10  0/s');
  });
  it('sums up by kind', () => {
    const c = emptyCounts();
    for (const k of ['valid', 'valid', 'duplicate', 'late', 'invalid:garbage', 'invalid:truncated'] as const) tally(c, k);
    expect(summaryLine('page_views', c, 1500)).toBe('produced 6 events to page_views in 1.5s (4/s): 2 valid, 1 duplicates, 1 late, 2 invalid');
  });
});
