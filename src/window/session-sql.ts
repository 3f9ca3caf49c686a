/**
 * SQL for closing sessions (docs/windows.md, "Sessions"), as pure functions. A session's rows sit
 * under the slots of the sessions merged into it (session-book.ts), `__wstart = __wend = slot`, so a
 * merge rewrites no row; the close loads `slot → the surviving session's bounds` into a small table
 * and aggregates the state joined with it, exactly as time windows are aggregated (sql.ts).
 */
import { quoteIdent } from './columns.js';

/** The per-task table of the slots being closed (a plain table: DuckDB's Appender writes to it). */
export const slotsTable = (stateTable: string): string => `${stateTable}_slots`;
/** The per-connection view: the closing sessions' rows with their sessions' bounds as __wstart/__wend. */
export const CLOSING_VIEW = 'closing_sessions';

export const createSlotsSql = (stateTable: string): string =>
  `CREATE OR REPLACE TABLE ${quoteIdent(slotsTable(stateTable))} (__slot BIGINT NOT NULL, __start BIGINT NOT NULL, __end BIGINT NOT NULL)`;

/** Rows stay as appended; only the view maps their slot to the session's bounds. */
export const closingViewSql = (stateTable: string): string =>
  `CREATE OR REPLACE TEMP VIEW ${CLOSING_VIEW} AS SELECT s.* REPLACE (m.__start AS __wstart, m.__end AS __wend) ` +
  `FROM ${quoteIdent(stateTable)} s JOIN ${quoteIdent(slotsTable(stateTable))} m ON s.__wstart = m.__slot`;

export const deleteSlotsSql = (stateTable: string): string =>
  `DELETE FROM ${quoteIdent(stateTable)} WHERE __wstart IN (SELECT __slot FROM ${quoteIdent(slotsTable(stateTable))})`;
