import { describe, expect, it } from 'vitest';
import { aggregateSql, copyParquetSql, createTableSql, deleteWindowsSql, verdictSql, windowPredicate } from '../../../src/window/sql.js';

const columns = [
  { name: 'page', duckType: 'VARCHAR', nullable: false },
  { name: 'latency_ms', duckType: 'INTEGER', nullable: false },
  { name: 'order', duckType: 'VARCHAR', nullable: true },
];
const spec = { group_by: ['page', 'order'], metrics: { views: 'count(*)', latency_sum: 'sum(latency_ms)' } };

describe('state table DDL', () => {
  it('has the value columns, quoted, then the bookkeeping columns', () => {
    expect(createTableSql('state_p3', columns)).toBe(
      'CREATE OR REPLACE TABLE "state_p3" ("page" VARCHAR, "latency_ms" INTEGER, "order" VARCHAR, ' +
        '__offset BIGINT NOT NULL, __ts BIGINT NOT NULL, __wstart BIGINT NOT NULL, __wend BIGINT NOT NULL)',
    );
  });
});

describe('aggregate query', () => {
  it('selects keys, window bounds and metrics over the closed windows, in a replayable order', () => {
    expect(aggregateSql('state_p0', spec, [{ start: 0, end: 10_000 }, { start: -10_000, end: 0 }])).toBe(
      'SELECT "page", "order", __wstart AS window_start, __wend AS window_end, (\ncount(*)\n) AS "views", (\nsum(latency_ms)\n) AS "latency_sum" ' +
        'FROM "state_p0" WHERE ((__wstart = 0 AND __wend = 10000) OR (__wstart = -10000 AND __wend = 0)) ' +
        'GROUP BY "page", "order", __wstart, __wend ORDER BY window_start, window_end, "page", "order"',
    );
  });

  it('puts each metric on lines of its own, so a trailing -- comment ends there', () => {
    const q = aggregateSql('t', { group_by: [], metrics: { n: 'count(*) -- all views', m: 'max(x)' } }, []);
    expect(q).toContain('(\ncount(*) -- all views\n) AS "n", (\nmax(x)\n) AS "m" FROM "t"');
  });

  it('casts metrics to their output types and quotes odd names', () => {
    const q = aggregateSql('t', { group_by: [], metrics: { 'we"ird': 'sum(x)' } }, [{ start: 0, end: 1 }], { 'we"ird': 'BIGINT' });
    expect(q).toBe(
      'SELECT __wstart AS window_start, __wend AS window_end, CAST((\nsum(x)\n) AS BIGINT) AS "we""ird" FROM "t" ' +
        'WHERE (__wstart = 0 AND __wend = 1) GROUP BY __wstart, __wend ORDER BY window_start, window_end',
    );
  });

  it('selects many windows with a semi join rather than a long OR', () => {
    const ws = [0, 1, 2, 3].map((i) => ({ start: i * 10, end: i * 10 + 10 }));
    expect(windowPredicate(ws.slice(0, 3))).toBe('((__wstart = 0 AND __wend = 10) OR (__wstart = 10 AND __wend = 20) OR (__wstart = 20 AND __wend = 30))');
    expect(windowPredicate(ws)).toBe('(__wstart, __wend) IN (SELECT * FROM (VALUES (0, 10), (10, 20), (20, 30), (30, 40)))');
  });

  it('matches nothing for no windows', () => {
    expect(windowPredicate([])).toBe('false');
    expect(deleteWindowsSql('t', [{ start: 5, end: 6 }])).toBe('DELETE FROM "t" WHERE (__wstart = 5 AND __wend = 6)');
  });
});

describe('having', () => {
  const having = { group_by: ['page'], metrics: { views: 'count(*)' }, having: 'views > 1 AND window_start >= 0' };
  const groups =
    'SELECT "page", __wstart AS window_start, __wend AS window_end, CAST((\ncount(*)\n) AS BIGINT) AS "views" FROM "t" ' +
    'WHERE (__wstart = 0 AND __wend = 10) GROUP BY "page", __wstart, __wend';

  it('filters the result rows in an outer query, so it sees result columns only', () => {
    expect(aggregateSql('t', having, [{ start: 0, end: 10 }], { views: 'BIGINT' })).toBe(
      `SELECT * FROM (${groups}) WHERE (\nviews > 1 AND window_start >= 0\n) ORDER BY window_start, window_end, "page"`,
    );
  });

  it('gives every row with its verdict (NULL rejects, as in the WHERE) for the count of rejected rows', () => {
    expect(verdictSql('t', having, [{ start: 0, end: 10 }], { views: 'BIGINT' })).toBe(
      `SELECT *, coalesce((\nviews > 1 AND window_start >= 0\n), false) AS __keep FROM (${groups}) ORDER BY window_start, window_end, "page"`,
    );
  });
});

describe('Parquet COPY', () => {
  it('writes the ordered aggregate with timestamp window bounds, escaping the path', () => {
    expect(copyParquetSql('SELECT 1', "/data/it's.parquet")).toBe(
      'COPY (SELECT * REPLACE (epoch_ms(window_start)::TIMESTAMP_MS AS window_start, epoch_ms(window_end)::TIMESTAMP_MS AS window_end) ' +
        "FROM (SELECT 1)) TO '/data/it''s.parquet' (FORMAT parquet)",
    );
  });
});
