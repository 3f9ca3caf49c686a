/**
 * Metric expressions checked by DuckDB itself: each is prepared (never run) against an empty
 * table with the reader schema's columns, grouped like a window result, so a typo or a
 * non-aggregate expression is reported at validate time, not at the first closed window.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import { quoteIdent, type Column } from '../window/columns.js';

export interface MetricProblem {
  metric: string;
  message: string;
}

export async function checkMetrics(columns: readonly Column[], groupBy: readonly string[], metrics: Readonly<Record<string, string>>): Promise<MetricProblem[]> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  try {
    const connection = await instance.connect();
    try {
      const defs = columns.map((c) => `${quoteIdent(c.name)} ${c.duckType}`);
      await connection.run(`CREATE TABLE t (${defs.join(', ')})`);
      // a constant key keeps the query an aggregation when group_by is empty, so `latency_ms` alone is still rejected
      const groups = ['"__sluice_window"', ...groupBy.map(quoteIdent)].join(', ');
      const from = '(SELECT *, 0 AS "__sluice_window" FROM t)';
      const problems: MetricProblem[] = [];
      for (const [metric, expr] of Object.entries(metrics)) {
        // the expression on lines of its own, so a trailing `-- comment` cannot swallow the rest
        const sql = `SELECT ${groups},\n${expr}\nAS ${quoteIdent(metric)} FROM ${from} GROUP BY ${groups}`;
        try {
          const prepared = await connection.prepare(sql);
          const count = prepared.columnCount;
          prepared.destroySync();
          if (count !== groupBy.length + 2) problems.push({ metric, message: 'must be a single expression (one result column per metric)' });
        } catch (err) {
          problems.push({ metric, message: duckMessage(err) });
        }
      }
      return problems;
    } finally {
      connection.disconnectSync();
    }
  } finally {
    instance.closeSync();
  }
}

/** DuckDB's first paragraph, without the `LINE 1: SELECT …` echo of our generated query. */
function duckMessage(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const head = text.split(/\n\s*\nLINE \d+:|\nLINE \d+:/)[0] ?? text;
  const sentences = head.split(/\s*\n\s*/).filter(Boolean);
  return `DuckDB: ${sentences.map((l, i) => (i === 0 || /[.!?]$/.test(sentences[i - 1]!) ? l : `; ${l}`)).join(' ').replaceAll(' ; ', '; ')}`;
}
