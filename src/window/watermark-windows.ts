/**
 * Stage 2 of a two-stage topology (docs/keyed-windows.md): the open windows of one repartition
 * partition, closed by the minimum of the source partitions' stream times rather than by the
 * records' own times. Pure. Time windows here are time bounds shared by every group key of the
 * partition (the DuckDB table groups them by key); sessions are per key (session-book.ts).
 *
 * No late check happens here: a record was judged in its source partition, and a window closes
 * only once every source partition is past it, so no record of any source can still be on time
 * for it. A record for a window already closed is therefore a replay (restore mode) or a bug.
 */
import type { WindowSpec } from '../topology/schema.js';
import type { SourceWatermarks } from '../repartition/watermarks.js';
import { windowAssigner, type OutputFile, type TimeWindow, type WindowAssigner } from './kinds.js';
import type { WindowBook } from './window-book.js';

export class WatermarkWindows {
  private readonly assigner: WindowAssigner;
  private readonly book: WindowBook;

  /** The watermarks as restored from the checkpoint: their minimum had closed every window emitted before. */
  constructor(spec: WindowSpec, readonly watermarks: SourceWatermarks) {
    this.assigner = windowAssigner(spec);
    this.book = this.assigner.book(watermarks.minimum);
  }

  /**
   * A data record at repartition `offset`, of group key `key`: it joins the windows that were open
   * in its source partition (`sourceTime`, the record's `s`); `closed` holds those of them already
   * closed here.
   */
  add(offset: number, ts: number, sourceTime: number, key = ''): { windows: TimeWindow[]; closed: TimeWindow[] } {
    return this.book.add({ offset, ts, key, judgedAt: sourceTime, timeBefore: sourceTime }, this.watermarks.minimum);
  }

  /** Open windows every source partition is past, oldest first. */
  closable(): TimeWindow[] {
    return this.book.closableAt(this.watermarks.minimum);
  }

  /** When `w` closes: the stream time (or minimum watermark) at which it is final. */
  closesAt(w: TimeWindow): number {
    return this.assigner.closesAt(w);
  }

  files(windows: readonly TimeWindow[], seq: number): OutputFile[] {
    return this.assigner.files(windows, seq);
  }

  markClosed(ws: readonly TimeWindow[]): void {
    this.book.markClosed(ws);
  }

  /** The end of a restore: windows rebuilt that were emitted before the restart, to drop. */
  settle(): TimeWindow[] {
    return this.book.settle();
  }

  /** The offset to commit: the smallest repartition offset an open window holds, else `nextOffset`. */
  lowWaterMark(nextOffset: number): number {
    return this.book.lowWaterMark(nextOffset);
  }

  get openCount(): number {
    return this.book.size;
  }
}
