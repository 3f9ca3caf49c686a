/** Sessions in DuckDB (session-sql.ts): rows stay under their slots; the close maps slots to bounds. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckState, type StateRow } from '../../../src/window/duck-state.js';
import { TaskWindows } from '../../../src/window/task-windows.js';

const columns = [
  { name: 'page', duckType: 'VARCHAR', nullable: false },
  { name: 'user_id', duckType: 'VARCHAR', nullable: false },
];
const spec = { group_by: ['page'], metrics: { views: 'count(*)', users: 'count(DISTINCT user_id)', first: 'min(__ts)' } };

let state: DuckState;
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-sessions-'));
  state = await DuckState.open(':memory:', { allowedDirectories: [dir] });
});
afterAll(async () => {
  await state.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('session state', () => {
  it('aggregates merged sessions by their bounds without rewriting rows, writes one file, drops every slot', async () => {
    const t = await state.task(7, columns, spec);
    const w = new TaskWindows({ type: 'session', gap: 10, grace: 100 });
    const input: Array<[number, string, string]> = [
      [0, '/a', 'u1'], [30, '/a', 'u2'], [5, '/b', 'u1'], [15, '/a', 'u3'], [8, '/a', 'u1'], [22, '/a', 'u1'], [1000, '/z', 'u9'],
    ];
    try {
      const rows: StateRow[] = [];
      input.forEach(([ts, page, user_id], offset) => {
        const r = w.observe(offset, ts, page);
        if (!r.late) for (const window of r.windows) rows.push({ offset, ts, window, value: { page, user_id } });
      });
      await t.append(rows);
      const closing = w.closable();
      expect(closing.map((s) => [s.key, s.start, s.end])).toEqual([['/a', 0, 30], ['/b', 5, 5]]);
      const out = await t.aggregate(closing);
      expect(out).toEqual([
        { page: '/a', window_start: 0, window_end: 30, views: 5, users: 3, first: 0 },
        { page: '/b', window_start: 5, window_end: 5, views: 1, users: 1, first: 5 },
      ]);
      const file = join(dir, 's.parquet');
      expect(await t.writeParquet(closing, file)).toBe(2);
      const duck = await DuckDBInstance.create(':memory:');
      const conn = await duck.connect();
      const back = await conn.runAndReadAll(`SELECT page, epoch_ms(window_end) AS e, views FROM '${file}' ORDER BY page`);
      expect(back.getRowObjectsJS()).toEqual([{ page: '/a', e: 30n, views: 5n }, { page: '/b', e: 5n, views: 1n }]);
      conn.closeSync();
      duck.closeSync();
      await t.drop(closing);
      expect(await t.rowCount()).toBe(1); // /z's row only
    } finally {
      await t.close();
    }
  });
});
