import { describe, expect, it } from 'vitest';
import { sessionStats } from '../chaos/session-stats.js';
import { oracle, type OracleRecord, type OracleTopology } from '../support/oracle.js';

const topology: OracleTopology = {
  source: { event_time: 'ts' },
  dedup: { key: 'event_id' },
  window: { type: 'session', gap: 10, grace: 20 },
  aggregate: { group_by: ['page'], metrics: { n: 'count(*)' } },
};
const input = (...xs: Array<[string, number, string]>): Map<number, OracleRecord[]> =>
  new Map([[0, xs.map(([event_id, ts, page], offset) => ({ offset, event: { event_id, ts, page } }))]]);

describe('chaos session stats', () => {
  it('counts a record within gap of two open sessions of its key as a bridge; duplicates and other keys do not', () => {
    // 0 and 20 are two sessions of x; 10 bridges them; y's 12 is another key; the duplicate of 10 is dropped; 100 closes [0, 20]
    const records = input(['a', 0, 'x'], ['b', 20, 'x'], ['c', 12, 'y'], ['d', 10, 'x'], ['d', 10, 'x'], ['e', 100, 'x']);
    const stats = sessionStats(records, oracle(records, topology), { gap: 10, grace: 20 }, 'ts', ['page']);
    expect(stats).toEqual({ closed: 2, multi: 1, longest: 3, longestMs: 20, bridging: 1 });
  });

  it('a closed session is not bridged: the record starts a new one', () => {
    // 40 closes [0, 0] (0 + 31 <= 40); 10 is within gap of [0, 0] and of 20, but joins only [20, 20]
    const records = input(['a', 0, 'x'], ['b', 20, 'x'], ['c', 40, 'x'], ['d', 10, 'x']);
    const stats = sessionStats(records, oracle(records, topology), { gap: 10, grace: 20 }, 'ts', ['page']);
    expect(stats.bridging).toBe(0);
  });
});
