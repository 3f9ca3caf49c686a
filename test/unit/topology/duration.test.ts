import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../../src/topology/duration.js';

describe('durations', () => {
  it.each([
    ['250ms', 250],
    ['10s', 10_000],
    ['5m', 300_000],
    ['1.5h', 5_400_000],
    ['1d', 86_400_000],
    ['0s', 0],
  ])('%s = %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['10', '10x', '1.5ms', '-1s', 's', ''])('%j is not a duration', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('formats with the largest exact unit', () => {
    expect([formatDuration(90_000), formatDuration(12_000), formatDuration(3_600_000), formatDuration(1500), formatDuration(0)]).toEqual(['90s', '12s', '1h', '1500ms', '0ms']);
  });
});
