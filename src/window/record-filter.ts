/**
 * `filter:` evaluated per batch in DuckDB (docs/windows.md): the batch's records go into a
 * temporary table with one data chunk per 2048 rows and one query returns the row numbers the
 * filter accepts (or rejects, whichever is fewer). Two statements per batch rather than one per
 * record, and the filter means exactly what DuckDB says it means. Not a prepared statement: DuckDB
 * may fold a plan by the table's statistics at prepare time (over the empty table, to no rows). A filter that fails on some value (a cast) fails
 * the query: the batch is then split in halves until each failing record is found alone; those
 * records get their error (the caller dead-letters them), the others their verdict.
 */
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import { CHUNK_ROWS, ChunkBuilder, type StateRow } from './appender.js';
import type { Column } from './columns.js';
import * as filterSql from './filter-sql.js';
import { metadataIn, type MetadataName } from './metadata.js';
import { duckMessage } from './metric-check.js';
import { prepareFilter } from './prepare.js';

/** true: the record counts; false: filtered out; error: the filter failed on this record. */
export type Verdict = boolean | { error: string };

/** Rows the table may hold before it is emptied: older batches' rows are skipped by row number (zone maps), not rescanned. */
const CLEAR_AFTER_ROWS = 100_000;
const NO_WINDOW = { start: 0, end: 0 };

export class RecordFilter {
  /** @internal */
  onClose: () => void = () => {};
  private closed = false;
  /** The row number of the next record appended (rows of earlier batches stay until CLEAR_AFTER_ROWS). */
  private next = 0;
  /** Whether the last batch had fewer accepted than rejected records: the query lists those. */
  private acceptedFewer = false;

  private constructor(
    private readonly conn: DuckDBConnection,
    private readonly table: string,
    private readonly filter: string,
    /** Value fields and metadata the filter reads: the values given to evaluate() must hold them. */
    readonly stored: readonly Column[],
    private readonly chunks: ChunkBuilder,
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
      // a temporary table lives in the connection's own catalog, `temp`
      const appender = await conn.createAppender(table, 'main', 'temp');
      return new RecordFilter(conn, table, filter, stored, new ChunkBuilder(stored), appender);
    } catch (e) {
      conn.closeSync();
      throw e;
    }
  }

  /** The verdict on each value, in order. */
  async evaluate(values: ReadonlyArray<Record<string, unknown>>): Promise<Verdict[]> {
    const n = values.length;
    if (n === 0) return [];
    const base = this.next;
    this.next += n;
    const rows: StateRow[] = values.map((value, i) => ({ offset: base + i, ts: 0, window: NO_WINDOW, value }));
    let failed = false;
    try {
      for (let from = 0; from < n; from += CHUNK_ROWS) this.appender.appendDataChunk(this.chunks.build(rows, from, Math.min(n, from + CHUNK_ROWS)));
      this.appender.flushSync();
      // ask for the side the last batch had fewer of: fewer numbers to read back
      const listed = this.acceptedFewer;
      const verdicts = new Array<Verdict>(n).fill(!listed);
      try {
        const hits = (await this.conn.runAndReadAll(filterSql.verdictSql(this.table, this.filter, base, listed))).getRows();
        for (const [i] of hits) verdicts[Number(i) - base] = listed;
        this.acceptedFewer = listed ? 2 * hits.length < n : 2 * hits.length >= n;
      } catch {
        failed = true;
        await this.narrow(base, base + n, base, verdicts);
      }
      return verdicts;
    } catch (e) {
      failed = true;
      throw e;
    } finally {
      this.appender.clear();
      // rows on which the filter failed must not stay: a later query might evaluate it on them
      if (failed || this.next >= CLEAR_AFTER_ROWS) {
        await this.conn.run(filterSql.clearFilterSql(this.table));
        this.next = 0;
      }
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

  /** Verdicts of rows numbered [from, to) (`base`: the batch's first) when some row among them makes the filter fail. */
  private async narrow(from: number, to: number, base: number, out: Verdict[]): Promise<void> {
    try {
      const rows = (await this.conn.runAndReadAll(filterSql.verdictsSql(this.table, this.filter, from, to))).getRows();
      for (const [i, v] of rows) out[Number(i) - base] = v === true;
    } catch (e) {
      if (to - from === 1) {
        out[from - base] = { error: duckMessage(e) };
        return;
      }
      const mid = from + Math.floor((to - from) / 2);
      await this.narrow(from, mid, base, out);
      await this.narrow(mid, to, base, out);
    }
  }
}
