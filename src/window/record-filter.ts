/**
 * `filter:` evaluated per batch in DuckDB (docs/windows.md, "Filter"): the batch's records go into
 * a temporary table with one data chunk per 2048 rows, one query returns the indexes the filter
 * accepts, the table is emptied. One statement per batch rather than one per record, and the
 * filter means exactly what DuckDB says it means. A filter that fails on some value (a cast) fails
 * the query: the batch is then split in halves until each failing record is found alone; those
 * records get their error (the caller dead-letters them), the others their verdict.
 */
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { ChunkBuilder, type StateRow } from './appender.js';
import type { Column } from './columns.js';
import * as filterSql from './filter-sql.js';
import { metadataIn, type MetadataName } from './metadata.js';
import { duckMessage } from './metric-check.js';
import { prepareFilter } from './prepare.js';

/** true: the record counts; false: filtered out; error: the filter failed on this record. */
export type Verdict = boolean | { error: string };

const CHUNK_ROWS = 2048;
const NO_WINDOW = { start: 0, end: 0 };

export class RecordFilter {
  /** @internal */
  onClose: () => void = () => {};
  private closed = false;

  private constructor(
    private readonly conn: DuckDBConnection,
    private readonly table: string,
    private readonly filter: string,
    /** Value fields and metadata the filter reads: the values given to evaluate() must hold them. */
    readonly stored: readonly Column[],
    private readonly chunks: ChunkBuilder,
    private readonly passing: string,
    private readonly appender: DuckDBAppender,
  ) {}

  /** Metadata names the values must carry (metadata.ts attachMetadata). */
  get metadata(): MetadataName[] {
    return metadataIn(this.stored);
  }

  /** Prepares `filter` on `conn` (prepare.ts, as `sluice validate` does); the filter owns the connection from here. */
  static async create(conn: DuckDBConnection, table: string, columns: readonly Column[], filter: string): Promise<RecordFilter> {
    try {
      const { stored } = await prepareFilter(conn, table, columns, filter);
      // not a prepared statement: DuckDB plans one over the empty table as returning nothing, for good (1.5.6)
      const passing = filterSql.passingSql(table, filter);
      // a temporary table lives in the connection's own catalog, `temp`
      const appender = await conn.createAppender(table, 'main', 'temp');
      return new RecordFilter(conn, table, filter, stored, new ChunkBuilder(stored), passing, appender);
    } catch (e) {
      conn.closeSync();
      throw e;
    }
  }

  /** The verdict on each value, in order. */
  async evaluate(values: ReadonlyArray<Record<string, unknown>>): Promise<Verdict[]> {
    const n = values.length;
    if (n === 0) return [];
    const rows: StateRow[] = values.map((value, i) => ({ offset: i, ts: 0, window: NO_WINDOW, value }));
    try {
      for (let from = 0; from < n; from += CHUNK_ROWS) this.appender.appendDataChunk(this.chunks.build(rows, from, Math.min(n, from + CHUNK_ROWS)));
      this.appender.flushSync();
      const verdicts = new Array<Verdict>(n).fill(false);
      try {
        for (const [i] of (await this.conn.runAndReadAll(this.passing)).getRows()) verdicts[Number(i)] = true;
      } catch {
        await this.narrow(0, n, verdicts);
      }
      return verdicts;
    } finally {
      this.appender.clear();
      await this.conn.run(filterSql.clearFilterSql(this.table));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      this.appender.closeSync();
      await this.conn.run(filterSql.dropFilterTableSql(this.table));
    } finally {
      this.conn.closeSync();
      this.onClose();
    }
  }

  /** Verdicts of rows [from, to) when some row among them makes the filter fail. */
  private async narrow(from: number, to: number, out: Verdict[]): Promise<void> {
    try {
      const rows = (await this.conn.runAndReadAll(filterSql.verdictsSql(this.table, this.filter, from, to))).getRows();
      for (const [i, v] of rows) out[Number(i)] = v === true;
    } catch (e) {
      if (to - from === 1) {
        out[from] = { error: duckMessage(e) };
        return;
      }
      const mid = from + Math.floor((to - from) / 2);
      await this.narrow(from, mid, out);
      await this.narrow(mid, to, out);
    }
  }
}
