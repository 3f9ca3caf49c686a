/**
 * One task's window bookkeeping: stream time, the open windows and the smallest offset each holds.
 * Pure (no DuckDB, no Kafka); the runtime feeds it valid, non-duplicate records in offset order.
 * Semantics: docs/windows.md.
 */
import { SluiceError } from '../errors.js';
import type { WindowSpec } from '../topology/schema.js';
import { windowAssigner, type OutputFile, type TimeWindow, type WindowAssigner } from './kinds.js';
import type { WindowBook } from './window-book.js';

/**
 * Stream time before any record: below every valid event time, so no window is closed yet, and
 * JSON-safe (unlike -Infinity), so a checkpoint can store it as is.
 */
export const NO_STREAM_TIME = Number.MIN_SAFE_INTEGER;

export type Observation =
  | { late: false; windows: TimeWindow[] }
  /** `window`: the newest of the record's closed windows; `lateByMs`: how far stream time is past its close. */
  | { late: true; window: TimeWindow; lateByMs: number };

export class TaskWindows {
  private readonly assigner: WindowAssigner;
  private st: number;
  private readonly book: WindowBook;

  /**
   * A restore starts from the checkpoint: `lowTime` (the stream time before the record at the
   * committed offset; sessions replay record by record from it) or else `streamTime`, the time
   * that had closed every window emitted before the restart.
   */
  constructor(spec: WindowSpec, init: { streamTime?: number; lowTime?: number } = {}) {
    this.assigner = windowAssigner(spec);
    this.st = init.lowTime ?? init.streamTime ?? NO_STREAM_TIME;
    this.book = this.assigner.book(init.streamTime);
  }

  /** Windows of a key merge (sessions): observe() needs the record's group key. */
  get merging(): boolean {
    return this.assigner.merging;
  }

  /** Max event time observed (or restored from the checkpoint); NO_STREAM_TIME before any record. */
  get streamTime(): number {
    return this.st;
  }

  /**
   * Takes one record, in offset order. Stream time includes the record's own ts *before* deciding
   * lateness, so an early record is never judged by a later record of the same batch.
   * A record is late only if every one of its windows is closed; otherwise it joins the open ones.
   * `key`: its group key, which only merging kinds (sessions) look at.
   */
  observe(offset: number, ts: number, key = ''): Observation {
    checkTs(offset, ts);
    const timeBefore = this.st;
    if (ts > this.st) this.st = ts;
    // closesAt grows with a window's end: the record is late iff its newest window is closed
    const newest = this.assigner.windowsOf(ts).at(-1)!;
    const closesAt = this.assigner.closesAt(newest);
    if (closesAt <= this.st) return { late: true, window: newest, lateByMs: this.st - closesAt };
    return { late: false, windows: this.book.add({ offset, ts, key, judgedAt: this.st, timeBefore }, this.st).windows };
  }

  /** Open windows that are final at the current stream time, oldest first. */
  closable(): TimeWindow[] {
    return this.book.closableAt(this.st);
  }

  /** When `w` closes: the stream time (or minimum watermark) at which it is final. */
  closesAt(w: TimeWindow): number {
    return this.assigner.closesAt(w);
  }

  /** The Parquet files of the windows one commit closes (kinds.ts). */
  files(windows: readonly TimeWindow[], seq: number): OutputFile[] {
    return this.assigner.files(windows, seq);
  }

  /** Forgets windows once their emission is committed. */
  markClosed(ws: readonly TimeWindow[]): void {
    this.book.markClosed(ws);
  }

  /** The end of a restore: windows rebuilt that were emitted before the restart, to drop (window-book.ts). */
  settle(): TimeWindow[] {
    return this.book.settle();
  }

  /**
   * The offset to commit: the smallest offset still held by an open window, else `nextOffset`.
   * Bounded because decode bounds event time (src/serde/limits.ts): a record's windows end by its
   * Kafka timestamp + max_future_skew + size, so they close once event time passes that + grace.
   */
  lowWaterMark(nextOffset: number): number {
    return this.book.lowWaterMark(nextOffset);
  }

  /** The stream time before the record at the low-water mark (the checkpoint's lowTime). */
  lowTime(): number {
    return this.book.lowTime(this.st);
  }

  get openCount(): number {
    return this.book.size;
  }
}

function checkTs(offset: number, ts: number): void {
  // decode validates event time; anything else reaching here is a bug, not bad input
  if (!Number.isSafeInteger(ts)) throw new SluiceError('INTERNAL', `event time ${ts} at offset ${offset} is not an integer millisecond timestamp`, { offset, ts });
}
