import { describe, expect, it } from 'vitest';
import { dedupBatch } from '../../../src/dedup/batch.js';

const e = (key: string, offset: number, partition = 0) => ({ key, position: `${partition}:${offset}` });

describe('dedupBatch', () => {
  it('keeps every entry of a batch without repeated keys', () => {
    expect(dedupBatch([e('a', 1), e('b', 2), e('c', 3)])).toEqual({ firsts: [0, 1, 2], duplicates: [] });
  });

  it('lets the first occurrence by offset win and lists the later ones', () => {
    const out = dedupBatch([e('a', 10), e('b', 11), e('a', 12), e('c', 13), e('b', 14), e('a', 15)]);
    expect(out.firsts).toEqual([0, 1, 3]);
    expect(out.duplicates).toEqual([
      { index: 2, firstIndex: 0 },
      { index: 4, firstIndex: 1 },
      { index: 5, firstIndex: 0 },
    ]);
  });

  it('treats keys as exact strings (case and whitespace matter)', () => {
    expect(dedupBatch([e('a', 1), e('A', 2), e('a ', 3), e('', 4), e('', 5)]).firsts).toEqual([0, 1, 2, 3]);
  });

  it('handles an empty batch', () => {
    expect(dedupBatch([])).toEqual({ firsts: [], duplicates: [] });
  });

  it('is linear enough for a large batch', () => {
    const entries = Array.from({ length: 100_000 }, (_, i) => e(`k${i % 10_000}`, i));
    const out = dedupBatch(entries);
    expect(out.firsts).toHaveLength(10_000);
    expect(out.duplicates).toHaveLength(90_000);
    expect(out.duplicates[0]).toEqual({ index: 10_000, firstIndex: 0 });
  });
});
