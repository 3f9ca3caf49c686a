/**
 * A short fuzz run (test/fuzz): a few thousand random, truncated, mutated and extreme payloads
 * through a real replica. Nothing crashes, no partition gets stuck, and every payload is found
 * exactly where the input alone says it belongs: a window, a dead letter with its code, the late
 * topic, or dropped as a duplicate. `npm run fuzz` is the long run.
 */
import { describe, expect, it } from 'vitest';
import { runFuzz, summaryLine } from '../fuzz/harness.js';
import { endpoints } from '../support/services.js';

describe('fuzz', () => {
  it('accounts for every payload, with no crash', async () => {
    const s = await runFuzz(endpoints() as Parameters<typeof runFuzz>[0], { count: 3000, seed: 20_261_201 });
    console.log(summaryLine(s));
    expect(s.crashes).toBe(0);
    expect(s.unaccounted).toBe(0);
    expect(Object.keys(s.dead).sort()).toEqual(
      expect.arrayContaining(['BAD_MAGIC_BYTE', 'EVENT_TIME_OUT_OF_RANGE', 'EVENT_TIME_TOO_FAR_AHEAD', 'GROUP_KEY_TOO_LONG', 'TRUNCATED_PAYLOAD', 'UNDECODABLE_PAYLOAD', 'UNKNOWN_SCHEMA_ID']),
    );
    expect(s.late).toBeGreaterThan(0);
    expect(s.duplicates).toBeGreaterThan(0);
    expect(s.aggregated).toBeGreaterThan(1000);
  }, 180_000);
});
