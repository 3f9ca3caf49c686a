/**
 * SQL of the record filter (`filter:` in a topology), as pure functions: a batch's records are
 * appended to a per-task temporary table, and one query returns the rows the filter accepts
 * (src/window/record-filter.ts). The table has the state table's layout (sql.ts STATE_COLUMNS, so
 * the same chunk builder fills it) with `__offset` holding the record's index in the batch.
 */
import { quoteIdent, STATE_COLUMNS } from './sql.js';
import type { Column } from './columns.js';

export const filterTable = (partition: number): string => `filter_p${partition}`;

/** The filter's table: the columns it reads, then the bookkeeping columns (only __offset is used). */
export function createFilterTableSql(table: string, columns: readonly Column[]): string {
  const cols = [...columns.map((c) => `${quoteIdent(c.name)} ${c.duckType}`), ...STATE_COLUMNS.map((c) => `${c} BIGINT NOT NULL`)];
  return `CREATE OR REPLACE TEMP TABLE ${quoteIdent(table)} (${cols.join(', ')})`;
}

/** The indexes of the rows the filter accepts (true; false and NULL reject, as a WHERE does). On lines of their own, like metrics: a `-- comment` ends there. */
export function passingSql(table: string, filter: string): string {
  return `SELECT __offset FROM ${quoteIdent(table)} WHERE (\n${filter}\n)`;
}

/**
 * The filter's value for the rows with index in [from, to): when passingSql fails on some row (a
 * cast of a bad value), halves of the batch are evaluated apart to find it. The filter is in the
 * select list, so it is computed only for the rows the WHERE kept.
 */
export function verdictsSql(table: string, filter: string, from: number, to: number): string {
  return `SELECT __offset, (\n${filter}\n) FROM ${quoteIdent(table)} WHERE __offset >= ${from} AND __offset < ${to}`;
}

/** The filter's result type, for validation (it must be BOOLEAN). */
export function filterTypeSql(table: string, filter: string): string {
  return `SELECT (\n${filter}\n) FROM ${quoteIdent(table)}`;
}

export const clearFilterSql = (table: string): string => `TRUNCATE ${quoteIdent(table)}`;
export const dropFilterTableSql = (table: string): string => `DROP TABLE IF EXISTS ${quoteIdent(table)}`;
