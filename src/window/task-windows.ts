/**
 * One task's window bookkeeping: stream time, the open windows and the smallest offset each holds.
 * Pure (no DuckDB, no Kafka); the runtime feeds it valid, non-duplicate records in offset order.
 * Semantics: docs/windows.md.
 */
import { SluiceError } from '../errors.js';
import type { WindowSpec } from '../topology/schema.js';
import { windowAssigner, type TimeWindow, type WindowAssigner } from './kinds.js';
import { OpenWindowSet } from './open-set.js';

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
  private readonly open = new OpenWindowSet();

  constructor(spec: WindowSpec, init: { streamTime?: number } = {}) {
    this.assigner = windowAssigner(spec);
    this.st = init.streamTime ?? NO_STREAM_TIME;
  }

  /** Max event time observed (or restored from the checkpoint); NO_STREAM_TIME before any record. */
  get streamTime(): number {
    return this.st;
  }

  /**
   * Takes one record, in offset order. Stream time includes the record's own ts *before* deciding
   * lateness, so an early record is never judged by a later record of the same batch.
   * A record is late only if every one of its windows is closed; otherwise it joins the open ones.
   */
  observe(offset: number, ts: number): Observation {
    checkTs(offset, ts);
    if (ts > this.st) this.st = ts;
    const windows: TimeWindow[] = [];
    let newestClosed: TimeWindow | undefined;
    for (const w of this.assigner.windowsOf(ts)) {
      const closesAt = this.assigner.closesAt(w);
      if (closesAt <= this.st) newestClosed = w;
      else windows.push(this.open.add(w, closesAt, offset));
    }
    if (windows.length > 0 || newestClosed === undefined) return { late: false, windows };
    return { late: true, window: newestClosed, lateByMs: this.st - this.assigner.closesAt(newestClosed) };
  }

  /** Open windows that are final at the current stream time, oldest first. */
  closable(): TimeWindow[] {
    return this.open.closableAt(this.st);
  }

  /** When `w` closes: the stream time (or minimum watermark) at which it is final. */
  closesAt(w: TimeWindow): number {
    return this.assigner.closesAt(w);
  }

  /** Forgets windows once their emission is committed. */
  markClosed(ws: readonly TimeWindow[]): void {
    this.open.markClosed(ws);
  }

  /**
   * The offset to commit: the smallest offset still held by an open window, else `nextOffset`.
   * Bounded because decode bounds event time (src/serde/limits.ts): a record's windows end by its
   * Kafka timestamp + max_future_skew + size, so they close once event time passes that + grace.
   */
  lowWaterMark(nextOffset: number): number {
    return this.open.lowWaterMark(nextOffset);
  }
}

function checkTs(offset: number, ts: number): void {
  // decode validates event time; anything else reaching here is a bug, not bad input
  if (!Number.isSafeInteger(ts)) throw new SluiceError('INTERNAL', `event time ${ts} at offset ${offset} is not an integer millisecond timestamp`, { offset, ts });
}
