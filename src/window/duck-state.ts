/**
 * The open-window state in DuckDB: one instance per process, one connection and one table per
 * task (input partition), rows appended with the Appender API and aggregated in SQL on close.
 */
import type { DuckDBAppender, DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { SluiceError } from '../errors.js';
import { CHUNK_ROWS, ChunkBuilder, type StateRow } from './appender.js';
import type { Column } from './columns.js';
import type { TimeWindow } from './kinds.js';
import { filterTable } from './filter-sql.js';
import { describe, prepareAggregate, type PreparedAggregate } from './prepare.js';
import { RecordFilter } from './record-filter.js';
import { readRowObjects } from './result-reader.js';
import type { ResultColumn } from './result-types.js';
import { openSandboxed, type DuckOptions } from './sandbox.js';
import * as sessionSql from './session-sql.js';
import * as sql from './sql.js';

export type { DuckOptions, StateRow };

/** Per-connection temporary table with the results of the windows being closed. */
const CLOSED = 'closed_windows';
const windowKey = (w: TimeWindow) => (w.slots ? `s${w.slots[0]}` : `${w.start}:${w.end}`);
/** Sessions (kinds.ts, merging) carry the slots their rows are stored under. */
const areSessions = (ws: readonly TimeWindow[]): boolean => ws[0]?.slots !== undefined;

export class DuckState {
  private readonly tasks = new Set<TaskTable | RecordFilter>();

  /** What prepareAggregate found, per (columns, aggregate spec): the same for every task of the replica. */
  private readonly prepared = new Map<string, PreparedAggregate>();

  private constructor(private readonly instance: DuckDBInstance) {}

  /**
   * Opened sandboxed (sandbox.ts): metric SQL reaches no file or network; COPY writes only under
   * `allowedDirectories`. `threads` defaults to 1: tasks already run concurrently on their own
   * connections, and a single-threaded aggregate sums floats in row (= offset) order, so a replay
   * emits the same bits.
   */
  static async open(path = ':memory:', options: DuckOptions = {}): Promise<DuckState> {
    return new DuckState(await openSandboxed(path, options));
  }

  async task(partition: number, columns: readonly Column[], spec: sql.AggregateSpec): Promise<TaskTable> {
    // the metrics are checked once per replica (~10 statements, 0.5-2 s of a restore's task start on a loaded box)
    const key = JSON.stringify([columns, spec]);
    const known = this.prepared.get(key);
    const t = await TaskTable.create(await this.instance.connect(), sql.stateTable(partition), columns, spec, known);
    if (!known) this.prepared.set(key, t.prepared);
    this.tasks.add(t);
    t.onClose = () => this.tasks.delete(t);
    return t;
  }

  /** A task's record filter (`filter:`), on a connection of its own. */
  async filter(partition: number, columns: readonly Column[], filter: string): Promise<RecordFilter> {
    const f = await RecordFilter.create(await this.instance.connect(), filterTable(partition), columns, filter);
    this.tasks.add(f);
    f.onClose = () => this.tasks.delete(f);
    return f;
  }

  async close(): Promise<void> {
    for (const t of [...this.tasks]) await t.close();
    this.instance.closeSync();
  }
}

export class TaskTable {
  /** @internal */
  onClose: () => void = () => {};
  private appender: DuckDBAppender | undefined;
  private closed = false;
  /** Windows whose results the temporary table CLOSED holds. */
  private aggregated = new Set<string>();
  /** Rows `aggregate.having` rejected in the last aggregate(). */
  rejectedByHaving = 0;
  /** The sessions whose slots the slots table holds (session-sql.ts). */
  private slotsOf: readonly TimeWindow[] | undefined;

  private constructor(
    private readonly conn: DuckDBConnection,
    private readonly table: string,
    /** Value columns the aggregate reads (the rest are never stored, nor decoded: see RecordDecoder's fields). */
    readonly stored: readonly Column[],
    private readonly chunks: ChunkBuilder,
    private readonly spec: sql.AggregateSpec,
    private readonly metricTypes: Readonly<Record<string, string>>,
  ) {}

  /** `known`: what prepareAggregate gave for the same columns and spec (another task's), not checked again. */
  static async create(conn: DuckDBConnection, table: string, columns: readonly Column[], spec: sql.AggregateSpec, known?: PreparedAggregate): Promise<TaskTable> {
    try {
      if (known) await conn.run(sql.createTableSql(table, known.stored));
      const { stored, metricTypes } = known ?? (await prepareAggregate(conn, table, columns, spec));
      const t = new TaskTable(conn, table, stored, new ChunkBuilder(stored), spec, metricTypes);
      t.appender = await conn.createAppender(table);
      return t;
    } catch (e) {
      conn.closeSync();
      throw e;
    }
  }

  /**
   * One row per (record, window), in offset order, all windows of a record in the same call;
   * flushed before returning. On a value a column cannot hold, nothing of the call stays (the
   * Appender may auto-flush large inputs, hence the delete) and the error is rethrown.
   */
  async append(rows: readonly StateRow[]): Promise<void> {
    const ap = this.open();
    try {
      for (let from = 0; from < rows.length; from += CHUNK_ROWS) {
        ap.appendDataChunk(this.chunks.build(rows, from, Math.min(rows.length, from + CHUNK_ROWS)));
      }
      ap.flushSync();
    } catch (e) {
      ap.clear();
      if (rows.length > 0) await this.discardFrom(rows[0]!.offset);
      throw e;
    }
  }

  /**
   * Results of the given windows as plain JS values, ordered by window then group_by. They are
   * computed once into a temporary table that writeParquet() then reads, so the metric SQL runs
   * once per close whatever the number of sinks.
   */
  async aggregate(windows: readonly TimeWindow[]): Promise<Array<Record<string, unknown>>> {
    if (windows.length === 0) return [];
    const [selected, from] = areSessions(windows) ? (await this.loadSlots(windows), ['all', sessionSql.CLOSING_VIEW] as const) : [windows, this.table];
    if (this.spec.having === undefined) await this.conn.run(`CREATE OR REPLACE TEMP TABLE ${CLOSED} AS ${this.aggregateSql(selected, from)}`);
    else this.rejectedByHaving = await this.aggregateWithHaving(selected, from);
    this.aggregated = new Set(windows.map(windowKey));
    return readRowObjects(await this.conn.run(`SELECT * FROM ${CLOSED}`));
  }

  /**
   * Early results (src/runtime/early.ts): the current values of the windows `keep` accepts, over
   * the rows appended before `offset`, as aggregate() would give them. Leaves aggregate()'s results alone.
   */
  async aggregateBefore(offset: number, keep: (w: TimeWindow) => boolean): Promise<Array<Record<string, unknown>>> {
    if (!Number.isSafeInteger(offset)) throw new SluiceError('INTERNAL', `expected an integer offset, got ${offset}`);
    const view = sql.quoteIdent(`${this.table}_early`);
    await this.conn.run(`CREATE OR REPLACE TEMP VIEW ${view} AS SELECT * FROM ${sql.quoteIdent(this.table)} WHERE __offset < ${offset}`);
    const bounds = await this.conn.runAndReadAll(`SELECT DISTINCT __wstart, __wend FROM ${view}`);
    const windows = bounds.getRows().map(([s, e]) => ({ start: Number(s), end: Number(e) })).filter(keep);
    if (windows.length === 0) return [];
    return readRowObjects(await this.conn.run(sql.aggregateSql(`${this.table}_early`, this.spec, windows, this.metricTypes)));
  }

  /**
   * The results of one file's windows as Parquet (from the last aggregate() when it covered them):
   * a time window, or every session of a close (kinds.ts, files); returns the row count.
   */
  async writeParquet(windows: readonly TimeWindow[], file: string): Promise<number> {
    const reader = await this.conn.runAndReadAll(sql.copyParquetSql(this.parquetQuery(windows), file));
    return Number(reader.getRows()[0]?.[0] ?? 0);
  }

  /**
   * What validation runs beyond create(): the result query once, over whatever the table holds
   * (nothing, at validate time), and the Parquet COPY of its result prepared for `file`, not run.
   */
  async dryRun(file: string): Promise<void> {
    const window = { start: 0, end: 1 };
    await this.aggregate([{ ...window, key: '', slots: [0] }]); // the close of sessions (session-sql.ts)
    await this.aggregate([window]);
    (await this.conn.prepare(sql.copyParquetSql(this.parquetQuery([window]), file))).destroySync();
  }

  /** Deletes the rows of closed windows (a session's: those of all its slots). */
  async drop(windows: readonly TimeWindow[]): Promise<void> {
    if (windows.length === 0) return;
    if (!areSessions(windows)) return void (await this.conn.run(sql.deleteWindowsSql(this.table, windows)));
    if (this.slotsOf !== windows) await this.loadSlots(windows);
    await this.conn.run(sessionSql.deleteSlotsSql(this.table));
  }

  /** Forgets the rows of an aborted batch: every row from `offset` (its first record) on. */
  async discardFrom(offset: number): Promise<void> {
    await this.conn.run(sql.deleteFromOffsetSql(this.table, offset));
  }

  get prepared(): PreparedAggregate {
    return { stored: [...this.stored], metricTypes: { ...this.metricTypes } };
  }

  /** Empties the table, for a task restarting from its checkpoint (recreated, so rows replayed land in offset order). */
  async reset(): Promise<void> {
    this.open().closeSync();
    this.appender = undefined;
    await this.conn.run(sql.createTableSql(this.table, this.stored));
    this.appender = await this.conn.createAppender(this.table);
  }

  /** Names and DuckDB types of the aggregate's result, as aggregate() and writeParquet() produce it (window bounds as BIGINT ms). */
  async resultColumns(): Promise<ResultColumn[]> {
    return describe(this.conn, this.aggregateSql([]));
  }

  async rowCount(): Promise<number> {
    const r = await this.conn.runAndReadAll(`SELECT count(*) FROM ${sql.quoteIdent(this.table)}`);
    return Number(r.getRows()[0]?.[0] ?? 0);
  }

  /** Drops the table: a task that loses its partition leaves the state to the next owner's replay. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.appender?.closeSync();
    try {
      await this.conn.run(`DROP TABLE IF EXISTS ${sql.quoteIdent(this.table)}`);
      await this.conn.run(`DROP TABLE IF EXISTS ${sql.quoteIdent(sessionSql.slotsTable(this.table))}`);
    } finally {
      this.conn.closeSync();
      this.onClose();
    }
  }

  /**
   * CLOSED was filled in result order and DuckDB keeps insertion order in results without ORDER BY
   * (preserve_insertion_order, on by default), so no file sorts again: a sort was a third of a
   * file's CPU (~0.65 of ~2 ms per window, measured on 1.5).
   */
  private parquetQuery(windows: readonly TimeWindow[]): string {
    if (!windows.every((w) => this.aggregated.has(windowKey(w)))) return this.aggregateSql(windows);
    if (windows.length === this.aggregated.size) return `SELECT * FROM ${CLOSED}`;
    const w = windows[0]!; // a time window's own file
    return `SELECT * FROM ${CLOSED} WHERE window_start = ${w.start} AND window_end = ${w.end}`;
  }

  /** CLOSED gets the rows `having` accepts, as aggregateSql would select them; returns how many it rejected. */
  private async aggregateWithHaving(windows: readonly TimeWindow[] | 'all', from: string): Promise<number> {
    await this.conn.run(`CREATE OR REPLACE TEMP TABLE ${CLOSED} AS ${sql.verdictSql(from, this.spec, windows, this.metricTypes)}`);
    const deleted = await this.conn.runAndReadAll(`DELETE FROM ${CLOSED} WHERE NOT ${sql.HAVING_VERDICT}`);
    await this.conn.run(`ALTER TABLE ${CLOSED} DROP COLUMN ${sql.HAVING_VERDICT}`);
    return Number(deleted.getRows()[0]?.[0] ?? 0);
  }

  private aggregateSql(windows: readonly TimeWindow[] | 'all', from = this.table): string {
    return sql.aggregateSql(from, this.spec, windows, this.metricTypes);
  }

  /** Fills the slots table with `slot → bounds` of the given sessions, and the view over it (session-sql.ts). */
  private async loadSlots(sessions: readonly TimeWindow[]): Promise<void> {
    const slots = sessionSql.slotsTable(this.table);
    await this.conn.run(sessionSql.createSlotsSql(this.table));
    const ap = await this.conn.createAppender(slots);
    try {
      for (const w of sessions) {
        const start = BigInt(w.start);
        const end = BigInt(w.end);
        for (const slot of w.slots!) {
          ap.appendBigInt(BigInt(slot));
          ap.appendBigInt(start);
          ap.appendBigInt(end);
          ap.endRow();
        }
      }
      ap.flushSync();
    } finally {
      ap.closeSync();
    }
    await this.conn.run(sessionSql.closingViewSql(this.table));
    this.slotsOf = sessions;
  }

  private open(): DuckDBAppender {
    if (this.closed || !this.appender) throw new SluiceError('ILLEGAL_TRANSITION', `state table ${this.table} is closed`);
    return this.appender;
  }
}
