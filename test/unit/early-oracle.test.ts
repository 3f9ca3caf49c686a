import { describe, expect, it } from 'vitest';
import { earlyOracle } from '../support/early-oracle.js';
import { oracle, type OracleRecord, type OracleTopology } from '../support/oracle.js';

const topology = (window: OracleTopology['window']): OracleTopology => ({
  source: { event_time: 'ts' },
  dedup: { key: 'event_id' },
  window,
  aggregate: { group_by: ['id'], metrics: { n: 'count(*)' } },
});
const records = (...xs: Array<[string, number, string]>): Map<number, OracleRecord[]> =>
  new Map([[0, xs.map(([event_id, ts, id], offset) => ({ offset, event: { event_id, ts, id } }))]]);
const early = (input: Map<number, OracleRecord[]>, t: OracleTopology, interval: number) =>
  earlyOracle(input, t, interval, oracle(input, t)).map((r) => ({ id: r.group.id, start: r.start, n: r.metrics.n, revision: r.revision, offset: r.offset }));

describe('early oracle (docs/semantics.md, "Early results")', () => {
  const minute = topology({ type: 'tumbling', size: 60_000, grace: 0 });

  it('early.yaml: a row per crossed multiple, over the records before the crossing one', () => {
    const input = records(['1', 1000, 'a'], ['2', 5000, 'a'], ['3', 12_000, 'a'], ['4', 25_000, 'a'], ['5', 31_000, 'a'], ['6', 61_000, 'b']);
    expect(early(input, minute, 10_000)).toEqual([
      { id: 'a', start: 0, n: 2, revision: 1, offset: 2 },
      { id: 'a', start: 0, n: 3, revision: 2, offset: 3 },
      { id: 'a', start: 0, n: 4, revision: 3, offset: 4 },
    ]);
  });

  it('one row however many multiples a record jumps; duplicates and late records raise nothing', () => {
    const input = records(['1', 1000, 'a'], ['1', 1000, 'a'], ['2', 45_000, 'a'], ['3', 46_000, 'b'], ['4', 130_000, 'a'], ['5', 2000, 'a']);
    expect(early(input, minute, 10_000)).toEqual([
      { id: 'a', start: 0, n: 1, revision: 4, offset: 2 },
    ]);
  });

  it('hopping: every open window of the key, each with its own revision; a window closed by the record gets none', () => {
    const input = records(['1', 1000, 'a'], ['2', 11_000, 'a'], ['3', 21_000, 'a']);
    const hopping = topology({ type: 'hopping', size: 20_000, advance: 10_000, grace: 0 });
    expect(early(input, hopping, 10_000)).toEqual([
      { id: 'a', start: 0, n: 1, revision: 1, offset: 1 },
      { id: 'a', start: 10_000, n: 1, revision: 1, offset: 2 },
    ]);
  });
});
