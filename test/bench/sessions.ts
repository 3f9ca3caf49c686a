/**
 * `npm run bench:sessions`: session windows with very many keys, in the window code and DuckDB
 * state alone (no Kafka: what sessions add is there). --keys keys (default 100k), four records
 * each in four rounds, the third of which bridges each key's two sessions (a merge per key);
 * then one record closes every session in one commit. Prints the time per round (bookkeeping +
 * Appender), the close (aggregate, one Parquet file, delete) and RSS. A merge rewrites no row
 * (docs/windows.md, Sessions): compare the bridging round with the others.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DuckState, type StateRow } from '../../src/window/duck-state.js';
import { TaskWindows } from '../../src/window/task-windows.js';

const { values: a } = parseArgs({ options: { keys: { type: 'string', default: '100000' } } });
const keys = Number(a.keys);
const gap = 60_000;
const spec = { type: 'session' as const, gap, grace: 3_600_000 };
const columns = [
  { name: 'page', duckType: 'VARCHAR', nullable: false },
  { name: 'user_id', duckType: 'VARCHAR', nullable: false },
  { name: 'latency_ms', duckType: 'INTEGER', nullable: false },
];
const metrics = { views: 'count(*)', users: 'count(DISTINCT user_id)', p95: 'quantile_cont(latency_ms, 0.95)' };
const T0 = 1_700_000_000_000;
// round 1 and 2 make two sessions per key (2 gaps apart); round 3 bridges them; round 4 extends
const rounds = [0, 2 * gap, gap, 2 * gap + 100];

const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-sessions-'));
const state = await DuckState.open(':memory:', { allowedDirectories: [dir] });
const table = await state.task(0, columns, { group_by: ['page'], metrics });
const windows = new TaskWindows(spec);
const ms = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e6;
let offset = 0;
const report: string[] = [];
try {
  for (const [i, dt] of rounds.entries()) {
    const t = process.hrtime.bigint();
    const rows: StateRow[] = [];
    for (let k = 0; k < keys; k++) {
      const ts = T0 + dt + (k % 1000);
      const page = `/page/${k}`;
      const r = windows.observe(offset, ts, page);
      if (!r.late) for (const window of r.windows) rows.push({ offset, ts, window, value: { page, user_id: `u${offset % 977}`, latency_ms: offset % 500 } });
      offset++;
    }
    const book = ms(t);
    for (let from = 0; from < rows.length; from += 5000) await table.append(rows.slice(from, from + 5000));
    report.push(`round ${i + 1}${i === 2 ? ' (a merge per key)' : ''}: ${keys} records, bookkeeping ${book.toFixed(0)} ms, append ${(ms(t) - book).toFixed(0)} ms, open sessions ${windows.openCount}`);
  }
  windows.observe(offset++, T0 + 10 * 3_600_000, 'end');
  const closing = windows.closable();
  let t = process.hrtime.bigint();
  const out = await table.aggregate(closing);
  const agg = ms(t);
  t = process.hrtime.bigint();
  const file = join(dir, 'sessions.parquet');
  const written = await table.writeParquet(closing, file);
  const parquet = ms(t);
  t = process.hrtime.bigint();
  await table.drop(closing);
  const drop = ms(t);
  const views = out.reduce((n, r) => n + Number(r.views), 0);
  report.push(
    `close: ${closing.length} sessions (${out.length} rows, ${views} records), aggregate ${agg.toFixed(0)} ms, Parquet ${parquet.toFixed(0)} ms (${written} rows, ${(statSync(file).size / 1e6).toFixed(1)} MB), delete ${drop.toFixed(0)} ms; rows left ${await table.rowCount()}`,
  );
  report.push(`RSS ${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`);
  process.stdout.write(`bench:sessions (${keys} keys, gap ${gap / 1000}s)\n${report.map((l) => `  ${l}`).join('\n')}\n`);
} finally {
  await state.close();
  rmSync(dir, { recursive: true, force: true });
}
