/**
 * SQL of the record filter (`filter:` in a topology), as pure functions: a batch's records are
 * appended to a per-task temporary table, and one query returns the rows of that batch the filter
 * accepts, or those it rejects (src/window/record-filter.ts). The table has the state table's
 * layout (sql.ts STATE_COLUMNS, so the same chunk builder fills it), `__offset` holding a running
 * row number: batches are told apart by it, so the table is emptied only now and then (a
 * statement of its own costs about as much as the query).
 */
import { quoteIdent, STATE_COLUMNS } from './sql.js';
import type { Column } from './columns.js';

export const filterTable = (partition: number): string => `filter_p${partition}`;

/** The filter's table: the columns it reads, then the bookkeeping columns (only __offset is used). */
export function createFilterTableSql(table: string, columns: readonly Column[]): string {
  const cols = [...columns.map((c) => `${quoteIdent(c.name)} ${c.duckType}`), ...STATE_COLUMNS.map((c) => `${c} BIGINT NOT NULL`)];
  return `CREATE OR REPLACE TEMP TABLE ${quoteIdent(table)} (${cols.join(', ')})`;
}

/**
 * The row numbers from `from` on that the filter accepts (`accepted`: true; false and NULL
 * reject, as a WHERE does) or rejects (`accepted`: false), whichever list is expected to be
 * shorter. On lines of their own, like metrics: a `-- comment` ends there.
 */
export function verdictSql(table: string, filter: string, from: number, accepted: boolean): string {
  const test = accepted ? `(\n${filter}\n)` : `NOT coalesce((\n${filter}\n), false)`;
  return `SELECT __offset FROM ${quoteIdent(table)} WHERE __offset >= ${int(from)} AND ${test}`;
}

/**
 * The filter's value for the rows numbered [from, to): when verdictSql fails on some row (a cast of
 * a bad value), halves of the batch are evaluated apart to find it. The filter is in the select
 * list, so it is computed only for the rows the WHERE kept.
 */
export function verdictsSql(table: string, filter: string, from: number, to: number): string {
  return `SELECT __offset, (\n${filter}\n) FROM ${quoteIdent(table)} WHERE __offset >= ${int(from)} AND __offset < ${int(to)}`;
}

/** The filter's result type, for validation (it must be BOOLEAN). */
export function filterTypeSql(table: string, filter: string): string {
  return `SELECT (\n${filter}\n) FROM ${quoteIdent(table)}`;
}

export const clearFilterSql = (table: string): string => `TRUNCATE ${quoteIdent(table)}`;
export const dropFilterTableSql = (table: string): string => `DROP TABLE IF EXISTS ${quoteIdent(table)}`;

function int(n: number): string {
  if (!Number.isSafeInteger(n)) throw new Error(`expected an integer, got ${n}`);
  return String(n);
}
