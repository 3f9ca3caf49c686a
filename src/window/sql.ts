/**
 * SQL for a task's window state, as pure functions (unit-tested without DuckDB).
 * State is the raw rows of open windows, one row per (record, window), so any DuckDB aggregate
 * works (docs/windows.md, "What the state holds").
 */
import { SluiceError } from '../errors.js';
import { quoteIdent, type Column } from './columns.js';
import type { TimeWindow } from './kinds.js';

export { quoteIdent };

export interface AggregateSpec {
  group_by: readonly string[];
  metrics: Readonly<Record<string, string>>;
  /** `aggregate.having`: a DuckDB boolean over the result columns; a row it does not accept (false or NULL) goes to no sink. */
  having?: string | undefined;
}

/** The having verdict's column in verdictSql's result. */
export const HAVING_VERDICT = '__keep';

/** Bookkeeping columns after the value columns: source offset, event time, window bounds (ms). */
export const STATE_COLUMNS = ['__offset', '__ts', '__wstart', '__wend'] as const;
/** Output columns sluice adds next to group_by fields and metrics (the one list: rules.ts checks names against it). */
export const WINDOW_COLUMNS = ['window_start', 'window_end'] as const;

export const stateTable = (partition: number): string => `state_p${partition}`;

/** A SQL string literal. */
export const sqlString = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/** Value columns may be NULL even when the Avro field is not: validation happened upstream, and a constraint here could only turn a mapping bug into a crash. */
export function createTableSql(table: string, columns: readonly Column[]): string {
  const cols = [...columns.map((c) => `${quoteIdent(c.name)} ${c.duckType}`), ...STATE_COLUMNS.map((c) => `${c} BIGINT NOT NULL`)];
  return `CREATE OR REPLACE TABLE ${quoteIdent(table)} (${cols.join(', ')})`;
}

/**
 * The rows of the given windows; windows are integer ms, so they are inlined as numbers. Not
 * `(__wstart, __wend) IN ((s, e), …)`: DuckDB compares those as structs, which made the aggregate
 * ~2x and the DELETE ~2.5x slower for the 1–3 windows a batch usually closes (measured on 1.5).
 * An OR of equalities is fastest for a few windows but grows quadratically-slow, so more windows
 * (a drain after downtime, up to MAX_PENDING_WINDOWS) use a semi join on a VALUES list.
 */
export function windowPredicate(windows: readonly TimeWindow[] | 'all'): string {
  if (windows === 'all') return 'true'; // a relation holding only the closing rows (session-sql.ts)
  if (windows.length === 0) return 'false';
  if (windows.length > OR_WINDOWS) {
    return `(__wstart, __wend) IN (SELECT * FROM (VALUES ${windows.map((w) => `(${int(w.start)}, ${int(w.end)})`).join(', ')}))`;
  }
  const list = windows.map((w) => `(__wstart = ${int(w.start)} AND __wend = ${int(w.end)})`).join(' OR ');
  return windows.length === 1 ? list : `(${list})`;
}
const OR_WINDOWS = 3;

/**
 * The results of closed windows: group_by columns, window bounds and metrics, one row per group,
 * ordered so that a replay produces the same rows in the same order. `metricTypes` casts a metric
 * to the type its Avro field gets (see result-types.ts), so the topic and Parquet hold the same values.
 * GROUP BY names the keys rather than ALL: a metric that is not an aggregate is then an error,
 * not a silent extra grouping key. Each metric stands on lines of its own, so a trailing
 * `-- comment` ends at the newline; metric-check.ts makes sure it is one expression.
 */
export function aggregateSql(table: string, spec: AggregateSpec, windows: readonly TimeWindow[] | 'all', metricTypes: Readonly<Record<string, string>> = {}): string {
  const groups = groupsSql(table, spec, windows, metricTypes);
  // having sees the result columns only (a subquery): a metric named like a value field means the metric
  if (spec.having !== undefined) return `SELECT * FROM (${groups}) WHERE (\n${spec.having}\n) ORDER BY ${resultOrder(spec)}`;
  return `${groups} ORDER BY ${resultOrder(spec)}`;
}

/**
 * aggregateSql's rows before `having`, each with the verdict in a last column HAVING_VERDICT
 * (true: emitted), so that one aggregation also counts the rows having rejects. A NULL verdict
 * rejects, as in the WHERE of aggregateSql.
 */
export function verdictSql(table: string, spec: AggregateSpec, windows: readonly TimeWindow[] | 'all', metricTypes: Readonly<Record<string, string>> = {}): string {
  const verdict = `coalesce((\n${spec.having ?? 'true'}\n), false) AS ${HAVING_VERDICT}`;
  return `SELECT *, ${verdict} FROM (${groupsSql(table, spec, windows, metricTypes)}) ORDER BY ${resultOrder(spec)}`;
}

/**
 * One row per group and window, unordered. `window_start` and `window_end` come before the metrics,
 * so a metric may use them (DuckDB resolves a name of the select list to its expression: e.g.
 * `count(*) * window_end`); rules.ts refuses a value field of either name, which would shadow them.
 */
function groupsSql(table: string, spec: AggregateSpec, windows: readonly TimeWindow[] | 'all', metricTypes: Readonly<Record<string, string>>): string {
  const keys = spec.group_by.map(quoteIdent);
  const metrics = Object.entries(spec.metrics).map(([name, expr]) => {
    const type = metricTypes[name];
    const inlined = `(\n${expr}\n)`;
    return `${type ? `CAST(${inlined} AS ${type})` : inlined} AS ${quoteIdent(name)}`;
  });
  const select = [...keys, '__wstart AS window_start', '__wend AS window_end', ...metrics].join(', ');
  const groupBy = [...keys, '__wstart', '__wend'].join(', ');
  return `SELECT ${select} FROM ${quoteIdent(table)} WHERE ${windowPredicate(windows)} GROUP BY ${groupBy}`;
}

/** The order of result rows: by window, then group_by; a replay writes the same rows in the same order. */
export function resultOrder(spec: AggregateSpec): string {
  return ['window_start', 'window_end', ...spec.group_by.map(quoteIdent)].join(', ');
}

/**
 * One window's results as a Parquet file. Window bounds become TIMESTAMP_MS (Parquet's
 * counterpart of Avro timestamp-millis). DuckDB writes byte-identical files for identical ordered
 * input (checked on 1.5), so no writer option is needed.
 */
export function copyParquetSql(aggregate: string, file: string): string {
  const ts = WINDOW_COLUMNS.map((c) => `epoch_ms(${c})::TIMESTAMP_MS AS ${c}`).join(', ');
  return `COPY (SELECT * REPLACE (${ts}) FROM (${aggregate})) TO ${sqlString(file)} (FORMAT parquet)`;
}

export function deleteWindowsSql(table: string, windows: readonly TimeWindow[]): string {
  return `DELETE FROM ${quoteIdent(table)} WHERE ${windowPredicate(windows)}`;
}

/** Rows appended by an aborted batch (offsets from its first record on). */
export function deleteFromOffsetSql(table: string, offset: number): string {
  return `DELETE FROM ${quoteIdent(table)} WHERE __offset >= ${int(offset)}`;
}

function int(n: number): string {
  if (!Number.isSafeInteger(n)) throw new SluiceError('INTERNAL', `expected an integer, got ${n}`);
  return String(n);
}
