/**
 * Metric expressions are inlined into sluice's result query (sql.ts aggregateSql). DuckDB's own
 * parser first checks each is exactly one expression — no second statement, no clause or alias of
 * its own — and DuckDB's errors are worded for the topology's author. Used by the runtime and by
 * `sluice validate` alike (through TaskTable.create), so the two cannot disagree.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { SluiceError } from '../errors.js';
import { sqlString } from './sql.js';

export interface MetricProblem {
  /** The metric's name; undefined when the problem is the whole aggregate's. */
  metric?: string;
  /** The topology path of an expression that is not a metric (`filter`, `aggregate.having`). */
  path?: readonly (string | number)[];
  message: string;
}

/** Why `expr` cannot be a metric expression, or undefined. */
export async function expressionProblem(conn: DuckDBConnection, expr: string): Promise<string | undefined> {
  // on lines of their own, as aggregateSql inlines them: a `-- comment` ends at the newline
  const alone = await parse(conn, `SELECT\n${expr}\n`);
  if (typeof alone === 'string') return alone;
  if (alone.length !== 1) return SEVERAL;
  const base = ((await parse(conn, 'SELECT\n1\n')) as Node[])[0]!.node as Node;
  const node = alone[0]!.node as Node;
  if (node.type !== 'SELECT_NODE') return CLAUSE;
  const items = node.select_list as Node[];
  if (items.length !== 1) return 'must be a single expression (one result column per metric)';
  if (items[0]!.alias) return 'must not name its result (AS …): the metric\'s name is its column name';
  // anything beyond the select list (FROM, WHERE, modifiers, …) differs from a bare `SELECT 1`
  const same = Object.keys({ ...node, ...base }).every((k) => k === 'select_list' || JSON.stringify(node[k]) === JSON.stringify(base[k]));
  if (!same) return CLAUSE;
  // `count(*);` parses alone (an empty statement follows) but not inside sluice's query
  const inlined = await parse(conn, `SELECT (\n${expr}\n)`);
  if (typeof inlined === 'string' || inlined.length !== 1) return 'must be a self-contained expression: a trailing ";" or an unbalanced parenthesis would break sluice\'s query';
  return undefined;
}

const SEVERAL = 'must be one SQL expression, not several statements (";" ends a statement)';
const CLAUSE = 'must be an expression only, without clauses of its own (FROM, WHERE, GROUP BY, ORDER BY, LIMIT, DISTINCT, UNION, …): sluice\'s query supplies them';

type Node = Record<string, unknown>;

/** DuckDB's parse tree of `sql` (json_serialize_sql: SELECT statements only), or the reason it has none. */
async function parse(conn: DuckDBConnection, sql: string): Promise<Node[] | string> {
  const r = await conn.runAndReadAll(`SELECT json_serialize_sql(${sqlString(sql)})`);
  const tree = JSON.parse(String(r.getRows()[0]?.[0] ?? '{}')) as { error?: boolean; error_message?: string; statements?: Node[] };
  if (!tree.error) return tree.statements ?? [];
  const why = String(tree.error_message ?? 'unknown error');
  return /only SELECT statements/i.test(why) ? SEVERAL : `is not valid SQL: DuckDB: Parser Error: ${why.replace(/\s+/g, ' ').trim()}`;
}

/** A metric problem from DuckDB's error, in the topology author's terms. */
export function duckProblem(err: unknown): string {
  const text = duckMessage(err);
  if (/Permission Error|disabled (by|through) configuration|configuration has been locked/i.test(text)) {
    return `may not read or write files, reach the network, load extensions or change settings: metric SQL runs in a DuckDB with external access disabled (${text})`;
  }
  return text;
}

/** DuckDB's first paragraph, without the `LINE 1: SELECT …` echo of our generated query. */
export function duckMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const head = text.split(/\n\s*\nLINE \d+:|\nLINE \d+:/)[0] ?? text;
  const sentences = head.split(/\s*\n\s*/).filter(Boolean);
  return `DuckDB: ${sentences.map((l, i) => (i === 0 || /[.!?]$/.test(sentences[i - 1]!) ? l : `; ${l}`)).join(' ').replaceAll(' ; ', '; ')}`;
}

/** The user error for a topology whose metrics DuckDB cannot run; `details.problems` lists them all. */
export function metricsError(problems: readonly MetricProblem[], cause?: unknown): SluiceError {
  const text = problems.map((p) => `${problemPath(p).join('.')}: ${p.message}`).join('; ');
  return new SluiceError('TOPOLOGY_INVALID', text, { field: problemPath(problems[0] ?? {}).join('.'), problems }, { cause });
}

/** Where in the topology a problem is: its own path, a metric, or the metrics as a whole. */
export function problemPath(p: Pick<MetricProblem, 'metric' | 'path'>): Array<string | number> {
  return p.path ? [...p.path] : p.metric === undefined ? ['aggregate', 'metrics'] : ['aggregate', 'metrics', p.metric];
}
