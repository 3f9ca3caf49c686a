import { describe, expect, it } from 'vitest';
import { firstOccurrences } from '../../../src/dedup/batch.js';

const e = (key: string, offset: number, partition = 0) => ({ key, position: `${partition}:${offset}` });

describe('firstOccurrences', () => {
  it('keeps every entry of a batch without repeated keys', () => {
    expect(firstOccurrences([e('a', 1), e('b', 2), e('c', 3)])).toEqual([0, 1, 2]);
  });

  it('lets the first occurrence by offset win', () => {
    expect(firstOccurrences([e('a', 10), e('b', 11), e('a', 12), e('c', 13), e('b', 14), e('a', 15)])).toEqual([0, 1, 3]);
  });

  it('treats keys as exact strings (case and whitespace matter)', () => {
    expect(firstOccurrences([e('a', 1), e('A', 2), e('a ', 3), e('', 4), e('', 5)])).toEqual([0, 1, 2, 3]);
  });

  it('handles an empty batch', () => {
    expect(firstOccurrences([])).toEqual([]);
  });

  it('keeps one entry per key in a large batch, the earliest', () => {
    const firsts = firstOccurrences(Array.from({ length: 100_000 }, (_, i) => e(`k${i % 10_000}`, i)));
    expect(firsts).toHaveLength(10_000);
    expect(firsts[9_999]).toBe(9_999);
  });
});
