import { DuckDBInstance } from '@duckdb/node-api';
import { windowAssigner } from '../../src/window/kinds.js';
import { describe, expect, it } from 'vitest';
import { oracle, parseMetric, quantileCont, type OracleRecord, type OracleTopology } from '../support/oracle.js';
import { Rng } from '../../src/gen/prng.js';

const METRICS = {
  views: 'count(*)',
  latency_sum: 'sum(latency_ms)',
  latency_min: 'min(latency_ms)',
  latency_max: 'max(latency_ms)',
  unique_users: 'count(DISTINCT user_id)',
  latency_p95: 'quantile_cont(latency_ms, 0.95)',
};
const tumbling: OracleTopology = {
  source: { event_time: 'ts' },
  dedup: { key: 'event_id', ttl: 60_000 } as { key: string },
  window: { type: 'tumbling', size: 10, grace: 2 },
  aggregate: { group_by: ['page'], metrics: METRICS },
};
const ev = (event_id: string, ts: number | null, page: string, latency_ms: number, user_id = 'u1') => ({ event_id, ts, page, latency_ms, user_id });

describe('oracle, by hand', () => {
  it('tumbling: invalid, duplicate (also across partitions), out of order, late, closed and pending windows', () => {
    const p0: OracleRecord[] = [
      { offset: 0, event: ev('a', 1, 'x', 10, 'u1') },
      { offset: 1, event: null }, // undecodable
      { offset: 2, event: ev('b', 5, 'x', 20, 'u2') },
      { offset: 3, event: ev('c', 3, 'y', 30, 'u1') }, // out of order, within grace
      { offset: 4, event: ev('a', 1, 'x', 10, 'u1') }, // duplicate of offset 0
      { offset: 5, event: ev('d', 12, 'x', 40) }, // stream time 12 closes [0,10): 10 + 2 <= 12
      { offset: 6, event: ev('e', 9, 'x', 50) }, // its only window is closed: late
      { offset: 7, event: ev('f', 25, 'x', 60) }, // closes [10,20); [20,30) stays open
      { offset: 8, event: ev('g', null, 'x', 1) }, // no event time: dead letter
    ];
    const p1: OracleRecord[] = [
      { offset: 0, event: ev('h', 4, 'x', 7, 'u9') },
      { offset: 1, event: ev('b', 5, 'x', 20, 'u2') }, // seen in partition 0 first
    ];
    const r = oracle(new Map([[1, p1], [0, p0]]), tumbling);
    expect(r.windows).toEqual([
      { partition: 0, start: 0, end: 10, group: { page: 'x' }, offsets: [0, 2], metrics: { views: 2, latency_sum: 30, latency_min: 10, latency_max: 20, unique_users: 2, latency_p95: 19.5 } },
      { partition: 0, start: 0, end: 10, group: { page: 'y' }, offsets: [3], metrics: { views: 1, latency_sum: 30, latency_min: 30, latency_max: 30, unique_users: 1, latency_p95: 30 } },
      { partition: 0, start: 10, end: 20, group: { page: 'x' }, offsets: [5], metrics: { views: 1, latency_sum: 40, latency_min: 40, latency_max: 40, unique_users: 1, latency_p95: 40 } },
    ]);
    expect(r.pending.map((w) => [w.partition, w.start, w.offsets])).toEqual([[0, 20, [7]], [1, 0, [0]]]);
    expect(r.deadLetters).toEqual([{ partition: 0, offset: 1 }, { partition: 0, offset: 8 }]);
    expect(r.late).toEqual([{ partition: 0, offset: 6, eventTime: 9, window: { start: 0, end: 10 }, lateByMs: 0 }]); // 12 - (10 + 2)
    expect(r.duplicates).toEqual([{ partition: 0, offset: 4 }, { partition: 1, offset: 1 }]);
    expect([...r.streamTime]).toEqual([[0, 25], [1, 4]]);
  });

  it('hopping: a record joins only its open windows, and is late only when all are closed', () => {
    const topo: OracleTopology = { ...tumbling, dedup: undefined, window: { type: 'hopping', size: 10, advance: 5, grace: 0 }, aggregate: { group_by: [], metrics: { n: 'count(*)' } } };
    const recs = [7, 11, 8, 16, 9].map((ts, offset) => ({ offset, event: { ts } }));
    const r = oracle(new Map([[0, recs]]), topo);
    expect(r.windows.map((w) => [w.start, w.end, w.offsets, w.metrics.n])).toEqual([[0, 10, [0], 1], [5, 15, [0, 1, 2], 3]]);
    expect(r.pending.map((w) => [w.start, w.offsets])).toEqual([[10, [1, 3]], [15, [3]]]);
    // the newest of its windows, [5, 15), closed at 15 + 0; stream time is 16
    expect(r.late).toEqual([{ partition: 0, offset: 4, eventTime: 9, window: { start: 5, end: 15 }, lateByMs: 1 }]);
  });

  it('hopping: no window starts before the epoch, as src/window/kinds.ts assigns them', () => {
    const window = { type: 'hopping', size: 10, advance: 3, grace: 100 } as const;
    const topo: OracleTopology = { ...tumbling, dedup: undefined, window, aggregate: { group_by: [], metrics: { n: 'count(*)' } } };
    const times = Array.from({ length: 25 }, (_, ts) => ts);
    const r = oracle(new Map([[0, times.map((ts, offset) => ({ offset, event: { ts } }))]]), topo);
    const got = [...r.windows, ...r.pending].map((w) => [w.start, w.offsets]).sort((a, b) => Number(a[0]) - Number(b[0]));
    const assigner = windowAssigner(window);
    const want = new Map<number, number[]>();
    for (const ts of times) for (const w of assigner.windowsOf(ts)) want.set(w.start, [...(want.get(w.start) ?? []), ts]);
    expect(got).toEqual([...want].sort((a, b) => a[0] - b[0]));
    expect(got[0]).toEqual([0, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]]);
  });

  it('a null group key and a filtered record are dropped before dedup: no count, no stream-time advance', () => {
    const topo: OracleTopology = { ...tumbling, aggregate: { group_by: ['page'], metrics: { n: 'count(*)' } } };
    const recs = [ev('e1', 1, 'x', 1), { ...ev('e2', 50, 'x', 1), page: null }, ev('e3', 60, 'x', -1), ev('e3', 2, 'x', 5), ev('e4', 3, 'x', 1)];
    const r = oracle(new Map([[0, recs.map((event, offset) => ({ offset, event }))]]), topo, { filter: (e) => (e.latency_ms as number) >= 0 });
    expect(r.nullKeys).toEqual([{ partition: 0, offset: 1 }]);
    expect(r.filtered).toEqual([{ partition: 0, offset: 2 }]);
    // e3's second copy is not a duplicate (its first was filtered, never admitted); stream time stayed at 3
    expect(r.duplicates).toEqual([]);
    expect(r.streamTime.get(0)).toBe(3);
    expect(r.pending.map((w) => [w.start, w.offsets])).toEqual([[0, [0, 3, 4]]]);
  });

  it('quantile_cont interpolates at (n - 1) * q', () => {
    expect(quantileCont([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileCont([4, 1, 3, 2], 0.95)).toBeCloseTo(3.85, 12);
    expect(quantileCont([7], 0.95)).toBe(7);
  });
});

describe('oracle metrics agree with DuckDB', () => {
  it('on random groups of ints, doubles and nulls', async () => {
    const rng = new Rng(42);
    const rows = Array.from({ length: 3000 }, () => ({
      g: rng.int(0, 59),
      i: rng.chance(0.1) ? null : rng.int(0, 1000),
      d: rng.chance(0.1) ? null : rng.int(0, 100000) / 7,
      u: `user-${rng.int(0, 30)}`,
    }));
    const exprs = ['count(*)', 'count(i)', 'sum(i)', 'min(i)', 'max(d)', 'count(DISTINCT u)', 'quantile_cont(i, 0.95)', 'quantile_cont(d, 0.95)', 'quantile_cont(d, 0.333)', 'median(i)'];
    const db = await DuckDBInstance.create(':memory:');
    const con = await db.connect();
    try {
      await con.run('CREATE TABLE t (g INTEGER, i INTEGER, d DOUBLE, u VARCHAR)');
      const appender = await con.createAppender('t');
      for (const r of rows) {
        appender.appendInteger(r.g);
        if (r.i === null) appender.appendNull(); else appender.appendInteger(r.i);
        if (r.d === null) appender.appendNull(); else appender.appendDouble(r.d);
        appender.appendVarchar(r.u);
        appender.endRow();
      }
      appender.closeSync();
      const reader = await con.runAndReadAll(`SELECT g, ${exprs.join(', ')} FROM t GROUP BY g ORDER BY g`);
      const fns = exprs.map(parseMetric);
      for (const row of reader.getRows()) {
        const group = rows.filter((r) => r.g === Number(row[0]));
        const expected = row.slice(1).map((v) => (v === null ? null : Number(v)));
        expect(fns.map((f) => f(group))).toEqual(expected);
      }
      expect(reader.getRows()).toHaveLength(60);
    } finally {
      con.closeSync();
      db.closeSync();
    }
  });
});

describe('oracle, keyed mode (two stages)', () => {
  const size10 = { ...tumbling, window: { type: 'tumbling' as const, size: 10_000, grace: 2_000 }, aggregate: { group_by: ['page'], metrics: { views: 'count(*)' } } };
  const p0: OracleRecord[] = [
    { offset: 0, event: ev('a', 1_000, '/a', 1) },
    { offset: 1, event: ev('b', 25_000, '/a', 1) },
  ];
  const p1: OracleRecord[] = [{ offset: 0, event: ev('c', 8_000, '/a', 1) }];

  it('judges lateness per source partition and merges a key over partitions (the Kafka Streams example of docs/keyed-windows.md)', () => {
    const open = oracle(new Map([[0, p0], [1, p1]]), size10, { keyed: true });
    expect(open.late).toEqual([]);
    expect(open.windows).toEqual([]); // p1 is at 8 s: nothing closes
    expect(open.pending.map((w) => [w.partition, w.start, w.metrics.views])).toEqual([[-1, 0, 2], [-1, 20_000, 1]]);

    const closed = oracle(new Map([[0, p0], [1, [...p1, { offset: 1, event: ev('d', 30_000, '/b', 1) }]]]), size10, { keyed: true });
    expect(closed.windows.map((w) => [w.start, w.group.page, w.metrics.views])).toEqual([[0, '/a', 2]]);
    // the single-stage oracle gives one row per partition instead
    expect(oracle(new Map([[0, p0], [1, p1]]), size10).windows.map((w) => [w.partition, w.start, w.metrics.views])).toEqual([[0, 0, 1]]);
  });

  it('a partition without a valid record holds every window back', () => {
    expect(oracle(new Map([[0, p0], [1, []]]), size10, { keyed: true }).windows).toEqual([]);
  });
});

describe('oracle, session windows', () => {
  // gap 10, grace 2: a session [s, e] closes once stream time >= e + 13
  const sessions: OracleTopology = { ...tumbling, dedup: undefined, window: { type: 'session', gap: 10, grace: 2 }, aggregate: { group_by: ['page'], metrics: { views: 'count(*)' } } };
  const at = (...records: Array<[number, string]>): OracleRecord[] => records.map(([ts, page], offset) => ({ offset, event: { ts, page } }));
  const rows = (ws: Array<{ start: number; end: number; group: Record<string, unknown>; offsets: number[] }>) => ws.map((w) => [w.group.page, w.start, w.end, w.offsets]);

  it('merges records within gap (inclusive), out of order, per key', () => {
    const r = oracle(new Map([[0, at([0, 'a'], [10, 'a'], [5, 'b'], [4, 'a'], [20, 'a'], [100, 'z'])]]), sessions);
    expect(rows(r.windows)).toEqual([['a', 0, 20, [0, 1, 3, 4]], ['b', 5, 5, [2]]]);
    expect(rows(r.pending)).toEqual([['z', 100, 100, [5]]]);
  });

  it('a record bridging two sessions merges them', () => {
    const wide = { ...sessions, window: { type: 'session' as const, gap: 10, grace: 20 } };
    const r = oracle(new Map([[0, at([0, 'a'], [20, 'a'], [10, 'a'], [200, 'z'])]]), wide);
    expect(rows(r.windows)).toEqual([['a', 0, 20, [0, 1, 2]]]);
  });

  it('grace: a record past end + gap but before the close still merges', () => {
    const r = oracle(new Map([[0, at([0, 'a'], [12, 'b'], [10, 'a'], [200, 'z'])]]), sessions);
    expect(rows(r.windows)).toEqual([['a', 0, 10, [0, 2]], ['b', 12, 12, [1]]]);
  });

  it('a record within gap of a closed session starts a new one; a record whose own [ts, ts] is closed is late', () => {
    // stream time 13 closes [0, 0] (0 + 13 <= 13); 9 is within gap of it but starts [9, 9]; 0 at 13 is late
    const r = oracle(new Map([[0, at([0, 'a'], [13, 'b'], [9, 'a'], [0, 'a'], [200, 'z'])]]), sessions);
    expect(rows(r.windows)).toEqual([['a', 0, 0, [0]], ['a', 9, 9, [2]], ['b', 13, 13, [1]]]);
    expect(r.late).toEqual([{ partition: 0, offset: 3, eventTime: 0, window: { start: 0, end: 0 }, lateByMs: 0 }]);
  });

  it('keyed: sessions of a key across partitions, linked by each record\'s own stream time, closed by the minimum', () => {
    const p0 = at([0, 'a'], [40, 'a']);
    const p1 = at([20, 'x'], [10, 'a'], [40, 'x']); // 10 is judged at 20
    const r = oracle(new Map([[0, p0], [1, p1]]), sessions, { keyed: true });
    // 10 + 13 > 20: on time; but [0, 0] was closed at 20 for it (0 + 13 <= 20): two sessions
    expect(rows(r.windows)).toEqual([['a', 0, 0, [0]], ['a', 10, 10, [1]], ['x', 20, 20, [0]]]);
    expect(rows(r.pending)).toEqual([['a', 40, 40, [1]], ['x', 40, 40, [2]]]);
  });
});
