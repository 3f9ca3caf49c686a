import { describe, expect, it } from 'vitest';
import { CATCH_UP_FACTOR, microBatchSize } from '../../../src/tasks/batch-size.js';

describe('microBatchSize', () => {
  it('takes batch.max_records when the partition is close to its end (live)', () => {
    expect(microBatchSize(5000, 100, 100 + 5000)).toBe(5000);
    expect(microBatchSize(5000, 100, 100 + CATCH_UP_FACTOR * 5000 - 1)).toBe(5000);
  });

  it('takes CATCH_UP_FACTOR times as many when that many micro-batches wait (catch-up)', () => {
    expect(microBatchSize(5000, 100, 100 + CATCH_UP_FACTOR * 5000)).toBe(CATCH_UP_FACTOR * 5000);
    expect(microBatchSize(10, 0, 1_000_000)).toBe(CATCH_UP_FACTOR * 10);
  });
});
