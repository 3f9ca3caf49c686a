/**
 * The bookkeeping of a task's open windows, one implementation per family of kinds (kinds.ts picks
 * it): TimeBook for time windows, shared by every group key; SessionBook (session-book.ts) for
 * sessions, per group key, which merge. Pure. Used by the single stage (task-windows.ts) and
 * stage 2 (watermark-windows.ts) alike.
 */
import type { TimeWindow, WindowAssigner } from './kinds.js';
import { OpenWindowSet } from './open-set.js';

/** One valid, non-duplicate record as the bookkeeping sees it. */
export interface BookRecord {
  offset: number;
  ts: number;
  /** Its group key (the output key; '' without group_by). */
  key: string;
  /** The stream time it is judged at: its partition's, after the record raised it. */
  judgedAt: number;
  /** Its partition's stream time before it (what a restore replays from: lowTime). */
  timeBefore: number;
}

export interface WindowBook {
  /**
   * Takes a record that is not late; returns the windows its state row goes under (a session: its
   * slot, see TimeWindow.slots), and those skipped because they closed by `closedBy` already.
   */
  add(r: BookRecord, closedBy: number): { windows: TimeWindow[]; closed: TimeWindow[] };
  /** Open windows final at `time`, oldest first. */
  closableAt(time: number): TimeWindow[];
  /** Forgets windows once their emission is committed. */
  markClosed(ws: readonly TimeWindow[]): void;
  /** The smallest offset still held by an open window, else `nextOffset`. */
  lowWaterMark(nextOffset: number): number;
  /** The stream time before the record at the low-water mark (`now` when none is held). */
  lowTime(now: number): number;
  /**
   * The end of a restore: windows the replay rebuilt that had been emitted before the restart,
   * removed from the book for the caller to drop from the state. Idempotent.
   */
  settle(): TimeWindow[];
  readonly size: number;
}

/**
 * Time windows: a window's membership depends on the record alone, so a restore judges replayed
 * records by the checkpoint's stream time and skips the windows closed by then (docs/exactly-once.md).
 */
export class TimeBook implements WindowBook {
  private readonly open = new OpenWindowSet();

  constructor(private readonly assigner: WindowAssigner) {}

  add(r: BookRecord, closedBy: number): { windows: TimeWindow[]; closed: TimeWindow[] } {
    const windows: TimeWindow[] = [];
    const closed: TimeWindow[] = [];
    for (const w of this.assigner.windowsOf(r.ts)) {
      const closesAt = this.assigner.closesAt(w);
      if (closesAt <= r.judgedAt) continue; // closed where the record was judged: not one of its windows
      if (closesAt <= closedBy) closed.push(w);
      else windows.push(this.open.add(w, closesAt, r.offset));
    }
    return { windows, closed };
  }

  closableAt(time: number): TimeWindow[] {
    return this.open.closableAt(time);
  }

  markClosed(ws: readonly TimeWindow[]): void {
    this.open.markClosed(ws);
  }

  lowWaterMark(nextOffset: number): number {
    return this.open.lowWaterMark(nextOffset);
  }

  lowTime(now: number): number {
    return now;
  }

  settle(): TimeWindow[] {
    return [];
  }

  get size(): number {
    return this.open.size;
  }
}
