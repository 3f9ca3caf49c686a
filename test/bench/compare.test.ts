// Unit tests of the comparison of output windows and of the baseline's progress lines (unit project).
import { describe, expect, it } from 'vitest';
import { compareOutputs, comparisonProblem, sameNumber, type OutputRow } from './compare.js';
import { parseProgress, streamsArgs } from './streams-run.js';

const row = (key: string, start: number, metrics: Record<string, number | null>): OutputRow => ({ key, window_start: start, window_end: start + 10_000, metrics });

describe('compareOutputs', () => {
  const a = [row('/a', 0, { views: 3, latency_p95: 41.5 }), row('/b', 0, { views: 1, latency_p95: 7 })];

  it('matches the same windows in any order, floats within tolerance', () => {
    const b = [row('/b', 0, { views: 1, latency_p95: 7 }), row('/a', 0, { views: 3, latency_p95: 41.5 + 1e-12 })];
    const c = compareOutputs(a, b);
    expect(c).toMatchObject({ matched: 2, onlyA: [], onlyB: [], mismatches: [] });
    expect(comparisonProblem(c, ['sluice', 'ks'])).toBeUndefined();
  });

  it('names a differing metric', () => {
    const c = compareOutputs(a, [row('/a', 0, { views: 4, latency_p95: 41.5 }), a[1]!]);
    expect(c.mismatches).toEqual([{ window: '/a@0-10000', field: 'views', a: 3, b: 4 }]);
    expect(comparisonProblem(c, ['sluice', 'ks'])).toMatch(/1 metric value\(s\) differ.*\/a@0-10000 views: sluice 3, ks 4/);
  });

  it('counts windows only one side emitted, and fails when they are more than a trace', () => {
    const c = compareOutputs(a, [a[0]!, row('/c', 10_000, { views: 1, latency_p95: 1 })]);
    expect(c).toMatchObject({ matched: 1, onlyA: ['/b@0-10000'], onlyB: ['/c@10000-20000'] });
    expect(comparisonProblem(c, ['sluice', 'ks'])).toMatch(/2 windows only one side emitted/);
    expect(comparisonProblem(c, ['sluice', 'ks'], 2)).toBeUndefined();
  });

  it('fails on a window emitted twice, and on no window in common', () => {
    expect(comparisonProblem(compareOutputs(a, [...a, a[0]!]), ['sluice', 'ks'])).toMatch(/more than once: sluice 0, ks 1/);
    expect(comparisonProblem(compareOutputs(a, []), ['sluice', 'ks'])).toMatch(/no window in common/);
    expect(comparisonProblem(compareOutputs([], []), ['sluice', 'ks'])).toBeUndefined();
  });

  it('treats null as equal only to null', () => {
    expect(sameNumber(null, null)).toBe(true);
    expect(sameNumber(null, 0)).toBe(false);
    expect(sameNumber(1e15, 1e15 + 0.5)).toBe(true);
  });
});

describe('Kafka Streams baseline lines', () => {
  it('parses a progress line and ignores others', () => {
    expect(parseProgress('progress input=10 malformed=1 duplicates=2 key_mismatch=0 windows=3')).toEqual({ input: 10, malformed: 1, duplicates: 2, key_mismatch: 0, windows: 3 });
    expect(parseProgress('state RUNNING')).toBeUndefined();
  });

  it('passes JVM options first and flags last', () => {
    const args = streamsArgs({ jar: 'b.jar', brokers: ['h:1'], registryUrl: 'http://r', input: 'i', output: 'o', appId: 'app', outputSchemaId: 7, readerSchemaFile: 's.avsc', threads: 2, repartition: true, state: 'rows', events: 1, dir: '/tmp/x', timeoutMs: 1 }, '-Xmx1g  -Dx=y');
    expect(args.slice(0, 4)).toEqual(['-Xmx1g', '-Dx=y', '-jar', 'b.jar']);
    expect(args.slice(-5)).toEqual(['--threads', '2', '--state', 'rows', '--repartition']);
  });
});
