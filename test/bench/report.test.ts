// Unit tests of the bench's printed table: sluice's Redis (dedup) CPU beside the replica's own (unit project).
import { describe, expect, it } from 'vitest';
import { redisCpuOf } from './redis-cpu.js';
import { formatReport, type ReportInput } from './report.js';
import type { SluiceResult } from './sluice-run.js';
import type { StreamsResult } from './streams-run.js';

const histogram = { buckets: [{ le: 0.1, count: 10 }, { le: Infinity, count: 10 }], sum: 0.5, count: 10 };
const sluice = (redisCpuSeconds: number | undefined): SluiceResult => ({
  events: 100_000, seconds: 1, cpuSeconds: 0.8, redisCpuSeconds, peakRssBytes: 600 * 2 ** 20, batchSeconds: histogram, batchRecords: histogram,
  transactions: 5, windowsEmitted: 9, outcomes: {}, closeSteps: {}, logFile: 'sluice.log',
});
const streams: StreamsResult = { threads: 1, events: 100_000, seconds: 2, cpuSeconds: 2.8, peakRssBytes: 500 * 2 ** 20, logFile: 'ks.log', input: 100_000, malformed: 0, duplicates: 2_000, key_mismatch: 0, windows: 9 };
const report = (s: SluiceResult, two?: SluiceResult): string => {
  const input: ReportInput = {
    shape: { events: 100_000, partitions: 6, keys: 10_000, duplicates: 0.02, stepMs: 0.0125, seed: 'bench' },
    input: { events: 100_000, meanValueBytes: 243, seconds: 3, eventTimeSpanMs: 1_250, groups: 900 },
    raw: [], sluice: s, ...(two ? { two: { input: { events: 100_000, meanValueBytes: 243, seconds: 3, eventTimeSpanMs: 1_250, groups: 90 }, sluice: two } } : {}), streams: [streams], cores: 2, load: [0.5, 1], topology: 'page-views', command: 'npm run bench',
  };
  return formatReport(input);
};
/** The cells of the table row that starts with `label` (cells are 3+ spaces apart). */
const cells = (text: string, label: string): string[] => text.split('\n').find((l) => l.startsWith(label))!.trim().split(/\s{3,}/);

describe('the bench report\'s Redis (dedup) CPU', () => {
  it('puts Redis and sluice + Redis under the sluice row, and the CPU ratio both ways', () => {
    const text = report(sluice(0.6));
    expect(text).toMatch(/sluice\/this CPU   sluice\+Redis\/this CPU\n/);
    expect(cells(text, 'sluice run, one replica')[2]).toBe('0.80');
    expect(cells(text, 'sluice run, one replica').slice(-3)).toEqual(['1.00', '1.00', '1.00']);
    expect(cells(text, '  Redis (dedup), whole server')).toEqual(['Redis (dedup), whole server', '0.60']);
    expect(cells(text, '  sluice + Redis')).toEqual(['sluice + Redis', '1.40']);
    // Kafka Streams' 2.80 against sluice's 0.80 alone and 1.40 with Redis
    expect(cells(text, 'Kafka Streams').slice(-3)).toEqual(['2.00', '0.29', '0.50']);
    expect(text).toContain('one full core gives sluice 125,000 events/s (71,429 with its Redis\'s CPU counted)');
    expect(text).toContain('CPU while draining 0.80 cores, its Redis 0.60 cores');
    expect(text).toMatch(/on a shared Redis it includes other clients' work\n {4}\(the bench's local stack Redis is otherwise idle\)/);
  });

  it('compares two stages with Redis counted on both sides', () => {
    const text = report(sluice(0.6), { ...sluice(0.5), cpuSeconds: 1 });
    // 0.80 / 1.00 alone, 1.40 / 1.50 with each run's Redis
    expect(cells(text, 'sluice run, two stages').slice(-2)).toEqual(['0.80', '0.93']);
    expect(text.split('\n').filter((l) => l.startsWith('  sluice + Redis')).map((l) => l.trim().split(/\s{3,}/)[1])).toEqual(['1.40', '1.50']);
  });

  it('prints - where Redis could not be read', () => {
    const text = report(sluice(undefined));
    expect(cells(text, 'sluice run, one replica').at(-1)).toBe('-');
    expect(cells(text, '  Redis (dedup), whole server')[1]).toBe('-');
    expect(cells(text, '  sluice + Redis')[1]).toBe('-');
    expect(cells(text, 'Kafka Streams').slice(-2)).toEqual(['0.29', '-']);
    expect(text).toContain('(- with its Redis\'s CPU counted)');
    expect(text).toContain('its Redis - cores');
  });

  it('reads used_cpu_sys + used_cpu_user of INFO cpu', () => {
    const info = '# CPU\r\nused_cpu_sys:11.858590\r\nused_cpu_user:204.701374\r\nused_cpu_sys_children:0.000000\r\nused_cpu_sys_main_thread:11.660926\r\n';
    expect(redisCpuOf(info)).toBeCloseTo(216.559964, 6);
    expect(redisCpuOf('# CPU\r\nused_cpu_user:1.5\r\n')).toBeNaN();
  });
});
