import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSluiceError } from '../../../src/errors.js';
import { columnsFromAvro } from '../../../src/window/columns.js';
import { DuckState, type StateRow } from '../../../src/window/duck-state.js';

const pageView = {
  type: 'record',
  name: 'PageView',
  fields: [
    { name: 'event_id', type: 'string' },
    { name: 'ts', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'page', type: 'string' },
    { name: 'user_id', type: 'string' },
    { name: 'latency_ms', type: 'int' },
    { name: 'referrer', type: ['null', 'string'], default: null },
  ],
};
const spec = {
  group_by: ['page'],
  metrics: { views: 'count(*)', latency_sum: 'sum(latency_ms)', unique_users: 'count(DISTINCT user_id)', referred: 'count(referrer)', p95: 'quantile_cont(latency_ms, 0.95)' },
};
const w0 = { start: 0, end: 10_000 };
const w1 = { start: 10_000, end: 20_000 };

function rows(n: number, from = 0): StateRow[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const ts = i * 37;
    const start = ts - (ts % 10_000);
    return {
      offset: i,
      ts,
      window: { start, end: start + 10_000 },
      value: { event_id: `e${i}`, ts, page: `/p${i % 3}`, user_id: `u${i % 5}`, latency_ms: i % 100, referrer: i % 2 ? null : 'x' },
    };
  });
}

let state: DuckState;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-duck-'));
  state = await DuckState.open(':memory:', { allowedDirectories: [dir] });
});
afterAll(async () => {
  await state.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('TaskTable', () => {
  it('aggregates closed windows into plain JS values, ordered by window then key', async () => {
    const t = await state.task(0, columnsFromAvro(pageView), spec);
    try {
      await t.append(rows(400)); // ts 0..14763: windows [0,10s) and [10s,20s)
      const out = await t.aggregate([w1, w0]);
      expect(out.map((r) => [r.window_start, r.page])).toEqual([
        [0, '/p0'], [0, '/p1'], [0, '/p2'], [10_000, '/p0'], [10_000, '/p1'], [10_000, '/p2'],
      ]);
      // independent oracle over the same rows
      const mine = rows(400).filter((r) => r.window.start === 0 && r.value.page === '/p1');
      expect(out[1]).toEqual({
        page: '/p1',
        window_start: 0,
        window_end: 10_000,
        views: mine.length,
        latency_sum: mine.reduce((s, r) => s + (r.value.latency_ms as number), 0),
        unique_users: new Set(mine.map((r) => r.value.user_id)).size,
        referred: mine.filter((r) => r.value.referrer !== null).length,
        p95: expect.any(Number),
      });
      expect(await t.resultColumns()).toEqual([
        { name: 'page', duckType: 'VARCHAR' },
        { name: 'window_start', duckType: 'BIGINT' },
        { name: 'window_end', duckType: 'BIGINT' },
        { name: 'views', duckType: 'BIGINT' },
        { name: 'latency_sum', duckType: 'BIGINT' }, // HUGEINT sum cast to an exact long
        { name: 'unique_users', duckType: 'BIGINT' },
        { name: 'referred', duckType: 'BIGINT' },
        { name: 'p95', duckType: 'DOUBLE' },
      ]);
      await t.drop([w0]);
      expect((await t.aggregate([w0, w1])).map((r) => r.window_start)).toEqual([10_000, 10_000, 10_000]);
      await t.discardFrom(300);
      expect(await t.rowCount()).toBe(300 - 271); // offsets 271..299 are in [10s,20s)
    } finally {
      await t.close();
    }
  });

  it('writes byte-identical Parquet for the same window, also after a reset and a replay in other batches', async () => {
    const t = await state.task(1, columnsFromAvro(pageView), { group_by: ['page'], metrics: { n: 'count(*)', avg_latency: 'avg(latency_ms * 1.1::DOUBLE)' } });
    try {
      await t.append(rows(150));
      await t.append(rows(150, 150));
      const a = join(dir, 'a.parquet');
      const b = join(dir, 'b.parquet');
      expect(await t.writeParquet([w0], a)).toBe(3);
      await t.reset();
      expect(await t.rowCount()).toBe(0);
      for (let i = 0; i < 300; i += 7) await t.append(rows(Math.min(7, 300 - i), i));
      expect(await t.writeParquet([w0], b)).toBe(3);
      expect(readFileSync(a).equals(readFileSync(b))).toBe(true);

      const db = await DuckDBInstance.create();
      const c = await db.connect();
      const back = (await c.runAndReadAll(`SELECT page, epoch_ms(window_start) AS ws, epoch_ms(window_end) AS we, n FROM '${a}'`)).getRowObjectsJS();
      expect(back.map((r) => [r.page, r.ws, r.we, r.n])).toEqual([['/p0', 0n, 10_000n, 91n], ['/p1', 0n, 10_000n, 90n], ['/p2', 0n, 10_000n, 90n]]);
      c.closeSync();
      db.closeSync();
    } finally {
      await t.close();
    }
  });

  it('writes each file in result order, also from a close of many windows and with having', async () => {
    const db = await DuckDBInstance.create();
    const c = await db.connect();
    const windows = Array.from({ length: 40 }, (_, i) => ({ start: i * 10_000, end: (i + 1) * 10_000 }));
    for (const [partition, having] of [[6, undefined], [7, 'n % 3 <> 0']] as const) {
      const t = await state.task(partition, columnsFromAvro(pageView), { group_by: ['page'], metrics: { n: 'count(*)' }, having });
      try {
        // pages arrive in descending order, each window over several appends
        for (let b = 0; b < 4; b++) {
          await t.append(windows.flatMap((window, i) => Array.from({ length: 50 }, (_, k) => ({ offset: b * 100_000 + i * 50 + k, ts: window.start, window, value: { page: `/p${99 - ((k * 7 + b) % 60)}`, user_id: 'u', latency_ms: 1 } }))));
        }
        const rows = await t.aggregate(windows);
        const file = join(dir, `order-${partition}`);
        for (const [i, w] of windows.entries()) {
          await t.writeParquet([w], `${file}-${i}.parquet`);
          const back = (await c.runAndReadAll(`SELECT page, n FROM '${file}-${i}.parquet'`)).getRowObjectsJS();
          expect(back.map((r) => [r.page, Number(r.n)])).toEqual(rows.filter((r) => r.window_start === w.start).map((r) => [r.page, r.n]));
          expect(back.length).toBeGreaterThan(0);
          expect(back.map((r) => r.page)).toEqual(back.map((r) => String(r.page)).sort());
        }
      } finally {
        await t.close();
      }
    }
    c.closeSync();
    db.closeSync();
  });

  it('appends every column type columnsFromAvro produces, including nulls and complex values', async () => {
    const schema = {
      type: 'record',
      name: 'All',
      fields: [
        { name: 'b', type: 'boolean' },
        { name: 'i', type: ['null', 'int'] },
        { name: 'l', type: 'long' },
        { name: 'f', type: 'float' },
        { name: 'd', type: 'double' },
        { name: 's', type: 'string' },
        { name: 'y', type: 'bytes' },
        { name: 'e', type: { type: 'enum', name: 'E', symbols: ['A'] } },
        { name: 'm', type: { type: 'map', values: 'long' } },
        { name: 'r', type: ['null', { type: 'record', name: 'R', fields: [{ name: 'x', type: 'bytes' }] }] },
      ],
    };
    const metrics = {
      b: 'bool_and(b)', i: 'sum(i)', l: 'max(l)', f: 'max(f)', d: 'max(d)', s: 'max(s)', y: 'max(y)', e: 'max(e)', m: 'max(m)', r: 'max(r)', nulls: 'count(*) - count(i)',
    };
    const t = await state.task(2, columnsFromAvro(schema), { group_by: [], metrics });
    try {
      const value = (i: number | null, r: unknown) => ({ b: true, i, l: 2 ** 52, f: 1.5, d: 0.1, s: 'é', y: Buffer.from([0, 255]), e: 'A', m: { k: 1 }, r });
      await t.append([
        { offset: 0, ts: 1, window: w0, value: value(3, { x: Buffer.from('hi') }) },
        { offset: 1, ts: 2, window: w0, value: value(null, null) },
      ]);
      const [row] = await t.aggregate([w0]);
      expect(row).toEqual({
        window_start: 0, window_end: 10_000, b: true, i: 3, l: 2 ** 52, f: 1.5, d: 0.1, s: 'é', y: expect.any(Uint8Array), e: 'A', m: '{"k":1}', r: '{"x":"aGk="}', nulls: 1,
      });
      expect([...(row!.y as Uint8Array)]).toEqual([0, 255]);
      // a bad value discards the whole call, not just the row
      await expect(t.append([{ offset: 2, ts: 3, window: w0, value: value(1, null) }, { offset: 3, ts: 4, window: w0, value: { ...value(1, null), l: 'x' } }]))
        .rejects.toThrow();
      expect(await t.rowCount()).toBe(2);
      await t.append([{ offset: 4, ts: 5, window: w0, value: value(1, null) }]);
      expect(await t.rowCount()).toBe(3);
    } finally {
      await t.close();
    }
  });

  it('stores strings exactly, inline or not, NULLs among them, across chunks', async () => {
    const schema = { type: 'record', name: 'S', fields: [{ name: 's', type: ['null', 'string'] }, { name: 'k', type: 'string' }] };
    const kinds = ['', 'a', '/page/12', 'twelve chars', 'thirteen char', 'é', 'ascii then ü', '😀', 'a much longer string than twelve bytes', null, 'tab\there', '\u007f'];
    const values = Array.from({ length: 5000 }, (_, i) => kinds[(i * 7) % kinds.length]!);
    const metrics = { n: 'count(*)', nonnull: 'count(s)', joined: "string_agg(coalesce(s, '<null>'), '|' ORDER BY __offset)", keys: 'count(DISTINCT k)' };
    const t = await state.task(5, columnsFromAvro(schema), { group_by: [], metrics });
    try {
      await t.append(values.map((s, i) => ({ offset: i, ts: i, window: w0, value: { s, k: `user-${i % 700}` } })));
      const [row] = await t.aggregate([w0]);
      expect(row).toEqual({ window_start: 0, window_end: 10_000, n: 5000, nonnull: values.filter((s) => s !== null).length, joined: values.map((s) => s ?? '<null>').join('|'), keys: 700 });
    } finally {
      await t.close();
    }
  });

  it('keeps nothing of a multi-chunk append that hits a bad value, and nothing earlier is lost', async () => {
    const t = await state.task(4, columnsFromAvro(pageView), spec);
    try {
      await t.append(rows(10));
      const bad = rows(5000, 10);
      bad[4000]!.value.latency_ms = 2 ** 40; // does not fit INTEGER
      await expect(t.append(bad)).rejects.toThrow();
      expect(await t.rowCount()).toBe(10);
    } finally {
      await t.close();
    }
  });

  it('holds a hopping record once per window it belongs to', async () => {
    const t = await state.task(5, columnsFromAvro(pageView), { group_by: [], metrics: { n: 'count(*)', ids: "string_agg(event_id, ',' ORDER BY event_id)" } });
    try {
      const v = (id: string) => ({ event_id: id, ts: 7_000, page: '/', user_id: 'u', latency_ms: 1, referrer: null });
      await t.append([
        { offset: 0, ts: 7_000, window: { start: 0, end: 10_000 }, value: v('a') },
        { offset: 0, ts: 7_000, window: { start: 5_000, end: 15_000 }, value: v('a') },
        { offset: 1, ts: 12_000, window: { start: 5_000, end: 15_000 }, value: v('b') },
      ]);
      expect(await t.aggregate([{ start: 0, end: 10_000 }, { start: 5_000, end: 15_000 }])).toEqual([
        { window_start: 0, window_end: 10_000, n: 1, ids: 'a' },
        { window_start: 5_000, window_end: 15_000, n: 2, ids: 'a,b' },
      ]);
    } finally {
      await t.close();
    }
  });

  it('closes and drops many windows at once (a drain), and keeps longs beyond 2^53 exact', async () => {
    const t = await state.task(6, columnsFromAvro(pageView), { group_by: [], metrics: { n: 'count(*)', big: 'max(__offset) + 9007199254740993' } });
    try {
      await t.append(rows(2000)); // ts 0..73963: windows [0,10s) … [70s,80s)
      const ws = Array.from({ length: 6 }, (_, i) => ({ start: i * 10_000, end: (i + 1) * 10_000 }));
      const out = await t.aggregate(ws);
      expect(out.map((r) => [r.window_start, r.n])).toEqual(ws.map((w) => [w.start, rows(2000).filter((r) => r.window.start === w.start).length]));
      expect(out[0]!.big).toBe(270n + 9007199254740993n);
      await t.drop(ws);
      expect(await t.rowCount()).toBe(2000 - 1622); // offsets 1622.. are in [60s,80s)
    } finally {
      await t.close();
    }
  });

  it('rejects metric SQL DuckDB cannot run as a topology error', async () => {
    const err = await state.task(3, columnsFromAvro(pageView), { group_by: [], metrics: { x: 'sum(nope)' } }).catch((e: unknown) => e);
    expect(isSluiceError(err, 'TOPOLOGY_INVALID')).toBe(true);
    expect(String((err as Error).message)).toMatch(/aggregate\.metrics.*nope/);
  });

  it('runs tasks concurrently on their own tables', async () => {
    const tasks = await Promise.all([10, 11, 12].map((p) => state.task(p, columnsFromAvro(pageView), spec)));
    try {
      await Promise.all(tasks.map((t, k) => t.append(rows(100 * (k + 1)))));
      const counts = await Promise.all(tasks.map(async (t) => (await t.aggregate([w0])).reduce((s, r) => s + (r.views as number), 0)));
      expect(counts).toEqual([100, 200, 271]);
    } finally {
      await Promise.all(tasks.map((t) => t.close()));
    }
  });
});
