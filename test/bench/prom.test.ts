// Unit tests of the bench's pure helpers (part of the `unit` project, see vitest.config.ts).
import { describe, expect, it } from 'vitest';
import { peakRssBytes, statTicks } from './proc.js';
import { bucketOf, histogramOf, parseProm, quantile, sumOf } from './prom.js';

const TEXT = `# HELP sluice_records_total Input records
# TYPE sluice_records_total counter
sluice_records_total{topology="t",partition="0",outcome="decoded"} 100
sluice_records_total{topology="t",partition="1",outcome="decoded"} 50
sluice_records_total{topology="t",partition="1",outcome="dead_lettered"} 2
sluice_batch_duration_seconds_bucket{le="0.1",topology="t"} 10
sluice_batch_duration_seconds_bucket{le="0.25",topology="t"} 30
sluice_batch_duration_seconds_bucket{le="0.5",topology="t"} 40
sluice_batch_duration_seconds_bucket{le="+Inf",topology="t"} 40
sluice_batch_duration_seconds_sum{topology="t"} 8
sluice_batch_duration_seconds_count{topology="t"} 40
`;

describe('prom', () => {
  const samples = parseProm(TEXT);

  it('sums counters by label', () => {
    expect(sumOf(samples, 'sluice_records_total', { outcome: 'decoded' })).toBe(150);
    expect(sumOf(samples, 'sluice_records_total')).toBe(152);
  });

  it('interpolates quantiles within buckets like histogram_quantile', () => {
    const h = histogramOf(samples, 'sluice_batch_duration_seconds');
    expect(h.count).toBe(40);
    expect(quantile(h, 0.25)).toBeCloseTo(0.1); // rank 10: top of the first bucket
    expect(quantile(h, 0.5)).toBeCloseTo(0.175); // rank 20: halfway through (0.1, 0.25]
    expect(quantile(h, 0.99)).toBeCloseTo(0.25 + 0.25 * (39.6 - 30) / 10);
    expect(bucketOf(h, 0.5)).toEqual([0.1, 0.25]);
    expect(quantile({ buckets: [], sum: 0, count: 0 }, 0.5)).toBeNaN();
  });

  it('gives the largest finite bound for a rank in +Inf', () => {
    const h = { buckets: [{ le: 1, count: 1 }, { le: Infinity, count: 10 }], sum: 0, count: 10 };
    expect(quantile(h, 0.99)).toBe(1);
  });
});

describe('proc', () => {
  it('reads utime + stime past a comm with spaces and parentheses', () => {
    const stat = '1234 (node (x) y) S 1 1234 1234 0 -1 4194304 100 0 0 0 250 40 0 0 20 0 11 0 9999';
    expect(statTicks(stat)).toBe(290);
  });

  it('reads the peak RSS (VmHWM) of a /proc status in bytes', () => {
    expect(peakRssBytes('Name:\tnode\nVmPeak:\t 1200000 kB\nVmHWM:\t  204800 kB\nVmRSS:\t  100000 kB\n')).toBe(200 * 2 ** 20);
    expect(peakRssBytes('Name:\tnode\n')).toBeNaN();
  });
});
