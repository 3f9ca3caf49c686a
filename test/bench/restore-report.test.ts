import { describe, expect, it } from 'vitest';
import { checkOutputs, delayedByOutage, p50max, recovery } from './restore-report.js';
import type { SeenRow } from './restore-output.js';

const row = (start: number, key: string, views: number, at: number): SeenRow => ({ key, start, end: start + 10_000, views, at });

describe('bench:restore report', () => {
  it('times the phases of a recovery from the new replica\'s log, relative to the kill', () => {
    const lines = [
      { time: 2_000, msg: 'metrics on http://localhost:1/metrics, health on /healthz and /readyz' },
      { time: 7_000, msg: 'partitions assigned' },
      { time: 7_500, msg: 'task started', ms: { fence: 300, offsets: 50 } },
      { time: 7_800, msg: 'task started', ms: { fence: 100, offsets: 90 } },
      { time: 9_000, msg: 'restore finished', records: 10, seconds: 1.2 },
      { time: 9_500, msg: 'restore finished', records: 5, seconds: 1.7 },
    ];
    const rows = [row(0, 'a', 1, 6_000), row(0, 'b', 1, 8_000)];
    const r = recovery(1_000, lines, 9_600, rows);
    expect(r).toMatchObject({ up: 1, joined: 6, started: 6.8, restored: 8.5, ready: 8.6, firstOutput: 7, restoreSeconds: 1.7, restoredRecords: 15 });
    expect(r.steps).toEqual({ fence: 300, offsets: 90 });
  });

  it('counts a task start without a replay as restored', () => {
    const r = recovery(0, [{ time: 1_000, msg: 'partitions assigned' }, { time: 2_000, msg: 'task started' }], 2_100, []);
    expect(r.restored).toBe(2);
    expect(r.firstOutput).toBeNaN();
  });

  it('takes the close → visible of windows that closed before the new replica was ready', () => {
    const rows = [row(0, 'a', 1, 12_500), row(0, 'b', 1, 20_000), row(10_000, 'a', 1, 30_000)];
    const closable = new Map([[10_000, 12_000], [20_000, 22_000]]);
    // joined at 15 s, ready at 25 s: window [0, 10 s) could close at 12 s, emitted again at 20 s
    expect(delayedByOutage(rows, 15_000, 25_000, closable)).toBe(8);
    expect(delayedByOutage(rows, 40_000, 41_000, closable)).toBeNaN();
  });

  it('p50 and max of the finite values', () => {
    expect(p50max([3, 1, NaN, 2])).toEqual({ p50: 2, max: 3 });
    expect(p50max([])).toEqual({ p50: NaN, max: NaN });
  });

  it('checks the closed windows in range against the feed: lost, duplicated, wrong, unexpected', () => {
    const expected = new Map([['0|a', 2], ['0|b', 1], ['0|c', 4], ['10000|a', 1], ['20000|a', 1]]);
    const rows = [row(0, 'a', 2, 1), row(0, 'b', 3, 1), row(0, 'a', 2, 2), row(0, 'x', 1, 1), row(10_000, 'a', 1, 1), row(-10_000, 'a', 9, 1)];
    // from 0, closed by 24 s: windows 0 and 10 s (10 s ends at 20 s + 2 s grace), not 20 s
    const c = checkOutputs(rows, expected, 0, 24_000, 10_000, 2_000);
    expect(c).toMatchObject({ windows: 2, checked: 5, lost: 1, duplicated: 1, mismatched: 1, unexpected: 1 });
    expect(c.examples).toHaveLength(4);
    expect(c.examples).toEqual(expect.arrayContaining(['duplicated 0|a', 'unexpected 0|x', '0|b: views 3, sent 1', 'lost 0|c']));
  });
});
