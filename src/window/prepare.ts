/**
 * A task's aggregate, prepared in DuckDB before any row is stored: names, each metric's shape, the
 * state table (pruned to the columns the metrics read), and the result query bound once to learn
 * its types. The one path both `sluice validate` and the runtime take (via TaskTable.create), so
 * a topology that validates is one that runs. Every problem found is reported, each with its metric.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { SluiceError } from '../errors.js';
import { dotted } from '../topology/positions.js';
import { nameRules } from '../topology/rules.js';
import type { Column } from './columns.js';
import { duckProblem, expressionProblem, metricsError, type MetricProblem } from './metric-check.js';
import { referencedColumns } from './prune.js';
import type { ResultColumn } from './result-types.js';
import { outputType } from './result-types.js';
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
  if (shapes.length > 0) throw metricsError(shapes);

  const probe = sql.aggregateSql(table, spec, []);
  const tree = await conn.runAndReadAll(`SELECT json_serialize_sql(${sql.sqlString(probe)})`);
  const stored = referencedColumns(String(tree.getRows()[0]?.[0] ?? ''), columns);
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
  return { stored, metricTypes };
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
