/**
 * A task's aggregate, prepared in DuckDB before any row is stored: names, each metric's shape, the
 * state table (pruned to the columns the metrics read), the result query bound once to learn its
 * types, and `having` over that result; likewise the record filter (prepareFilter). The one path
 * both `sluice validate` and the runtime take (via TaskTable.create and RecordFilter.create), so
 * a topology that validates is one that runs. Every problem found is reported, each with its metric.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { SluiceError } from '../errors.js';
import { dotted } from '../topology/positions.js';
import { nameRules } from '../topology/rules.js';
import type { Column } from './columns.js';
import { METADATA_COLUMNS } from './metadata.js';
import { duckProblem, expressionProblem, metricsError, type MetricProblem } from './metric-check.js';
import { referencedColumns } from './prune.js';
import type { ResultColumn } from './result-types.js';
import { outputType } from './result-types.js';
import * as filterSql from './filter-sql.js';
import * as sql from './sql.js';

export interface PreparedAggregate {
  /** Value columns the aggregate reads: the state table stores only these. */
  stored: Column[];
  /** Output SQL type per metric (the cast aggregateSql applies, see result-types.ts). */
  metricTypes: Record<string, string>;
}

/** Creates `table` on `conn` and returns what the aggregate needs; throws TOPOLOGY_INVALID naming every bad metric. */
export async function prepareAggregate(conn: DuckDBConnection, table: string, columns: readonly Column[], spec: sql.AggregateSpec): Promise<PreparedAggregate> {
  const names = nameRules(columns.map((c) => c.name), spec);
  if (names.length > 0) {
    const [p] = names;
    throw new SluiceError('TOPOLOGY_INVALID', names.map((n) => `${dotted(n.path)}: ${n.message}`).join('; '), { field: dotted(p!.path) });
  }
  const shapes: MetricProblem[] = [];
  for (const [metric, expr] of Object.entries(spec.metrics)) {
    const message = await expressionProblem(conn, expr);
    if (message) shapes.push({ metric, message });
  }
  const havingShape = spec.having === undefined ? undefined : await expressionProblem(conn, spec.having);
  if (havingShape) shapes.push({ path: HAVING_PATH, message: havingShape });
  if (shapes.length > 0) throw metricsError(shapes);

  // the metrics alone first: having is checked against their result once they bind
  const metricsOnly = { group_by: spec.group_by, metrics: spec.metrics };
  const probe = sql.aggregateSql(table, metricsOnly, []);
  const tree = await conn.runAndReadAll(`SELECT json_serialize_sql(${sql.sqlString(probe)})`);
  // record metadata (ROWOFFSET, …) is stored, like a value field, only when a metric names it
  const stored = referencedColumns(String(tree.getRows()[0]?.[0] ?? ''), [...columns, ...METADATA_COLUMNS]);
  await conn.run(sql.createTableSql(table, stored));
  let result: ResultColumn[];
  try {
    result = await describe(conn, probe);
  } catch (e) {
    throw metricsError(await blame(conn, table, spec, e), e);
  }
  // one column per metric: an expression that expands (COLUMNS(…), *) would shift every later one
  const metricColumns = result.slice(spec.group_by.length + sql.WINDOW_COLUMNS.length);
  const expected = Object.keys(spec.metrics);
  if (metricColumns.length !== expected.length || metricColumns.some((c, i) => c.name !== expected[i])) {
    throw metricsError(await blame(conn, table, spec, undefined));
  }
  const metricTypes: Record<string, string> = {};
  for (const c of metricColumns) metricTypes[c.name] = outputType(c.duckType).sql;
  if (spec.having !== undefined) await checkHaving(conn, sql.aggregateSql(table, metricsOnly, [], metricTypes), spec.having, result.map((c) => c.name));
  return { stored, metricTypes };
}

const HAVING_PATH = ['aggregate', 'having'];

/** `having` over the result rows of `groups`: it binds there alone and is a boolean. */
async function checkHaving(conn: DuckDBConnection, groups: string, having: string, resultNames: readonly string[]): Promise<void> {
  let type: string;
  try {
    [{ duckType: type }] = (await describe(conn, `SELECT (\n${having}\n) FROM (${groups})`)) as [ResultColumn];
  } catch (e) {
    const message = withoutCandidates(duckProblem(e));
    const hint = /not found|must appear in the GROUP BY|aggregate/i.test(message)
      ? ` (having sees the result columns only: ${resultNames.join(', ')}; record metadata and value fields only through a metric, e.g. max(ROWOFFSET))`
      : '';
    throw metricsError([{ path: HAVING_PATH, message: `${message}${hint}` }], e);
  }
  if (type !== 'BOOLEAN') throw metricsError([{ path: HAVING_PATH, message: `must be a boolean expression (true: emit the row), got ${type}` }]);
}

/** Names and DuckDB types of a query's result columns. */
export async function describe(conn: DuckDBConnection, query: string): Promise<ResultColumn[]> {
  const r = await conn.runAndReadAll(`DESCRIBE ${query}`);
  return r.getRowObjectsJS().map((row) => ({ name: String(row.column_name), duckType: String(row.column_type) }));
}

/** Which metrics fail alone (the query fails as a whole); the whole query's error when none does. */
async function blame(conn: DuckDBConnection, table: string, spec: sql.AggregateSpec, whole: unknown): Promise<MetricProblem[]> {
  const problems: MetricProblem[] = [];
  for (const [metric, expr] of Object.entries(spec.metrics)) {
    try {
      const cols = await describe(conn, sql.aggregateSql(table, { group_by: spec.group_by, metrics: { [metric]: expr } }, []));
      if (cols.length !== spec.group_by.length + sql.WINDOW_COLUMNS.length + 1) problems.push({ metric, message: 'must be a single expression (one result column per metric)' });
    } catch (e) {
      problems.push({ metric, message: duckProblem(e) });
    }
  }
  return problems.length > 0 ? problems : [{ message: whole === undefined ? 'the metrics do not give one result column each' : duckProblem(whole) }];
}

export interface PreparedFilter {
  /** Columns the filter reads (value fields and record metadata): its table stores only these. */
  stored: Column[];
}

const FILTER_PATH = ['filter'];

/**
 * Creates the filter's table `table` on `conn` (filter-sql.ts) and checks `filter` as the runtime
 * runs it: one expression, no aggregate, a boolean over the value fields and the record metadata.
 * Throws TOPOLOGY_INVALID with the problem at `filter`.
 */
export async function prepareFilter(conn: DuckDBConnection, table: string, columns: readonly Column[], filter: string): Promise<PreparedFilter> {
  const fail = (message: string, cause?: unknown): never => {
    throw metricsError([{ path: FILTER_PATH, message }], cause);
  };
  const shape = await expressionProblem(conn, filter);
  if (shape) fail(shape);
  const query = filterSql.verdictSql(table, filter, 0, true);
  const tree = await conn.runAndReadAll(`SELECT json_serialize_sql(${sql.sqlString(query)})`);
  const stored = referencedColumns(String(tree.getRows()[0]?.[0] ?? ''), [...columns, ...METADATA_COLUMNS]);
  await conn.run(filterSql.createFilterTableSql(table, stored));
  let type = '';
  try {
    await describe(conn, query); // refuses aggregates and window functions in a WHERE
    [{ duckType: type }] = (await describe(conn, filterSql.filterTypeSql(table, filter))) as [ResultColumn];
  } catch (e) {
    const message = withoutCandidates(duckProblem(e));
    const visible = [...columns, ...METADATA_COLUMNS].map((c) => c.name);
    const hint = /not found/i.test(message) ? ` (a filter sees the value fields and the record metadata: ${visible.join(', ')})` : '';
    fail(`${message}${hint}`, e);
  }
  if (type !== 'BOOLEAN') fail(`must be a boolean expression (true: the record counts), got ${type}`);
  return { stored };
}

/** DuckDB's "Candidate bindings" name the columns of sluice's own query (a pruned table), not what the author may use: the hint does. */
const withoutCandidates = (message: string): string => message.replace(/\s*Candidate bindings:.*$/s, '');
