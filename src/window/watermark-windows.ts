/**
 * Stage 2 of a two-stage topology (docs/keyed-windows.md): the open windows of one repartition
 * partition, closed by the minimum of the source partitions' stream times rather than by the
 * records' own times. Pure. Windows here are time bounds shared by every group key of the
 * partition (the DuckDB table groups them by key); a window of a key is (key, start, end).
 *
 * No late check happens here: a record was judged in its source partition, and a window closes
 * only once every source partition is past it, so no record of any source can still be on time
 * for it. A record for a window already closed is therefore a replay (restore mode) or a bug.
 */
import type { WindowSpec } from '../topology/schema.js';
import type { SourceWatermarks } from '../repartition/watermarks.js';
import { windowAssigner, type TimeWindow, type WindowAssigner } from './kinds.js';
import { OpenWindowSet } from './open-set.js';
import { openWindowsAt } from './source-time.js';

export class WatermarkWindows {
  private readonly assigner: WindowAssigner;
  private readonly open = new OpenWindowSet();

  constructor(spec: WindowSpec, readonly watermarks: SourceWatermarks) {
    this.assigner = windowAssigner(spec);
  }

  /**
   * A data record at repartition `offset`: the windows that were open in its source partition
   * (`sourceTime`, the record's `s`); `closed` holds those of them already closed here.
   */
  add(offset: number, ts: number, sourceTime: number): { windows: TimeWindow[]; closed: TimeWindow[] } {
    const min = this.watermarks.minimum;
    const windows: TimeWindow[] = [];
    const closed: TimeWindow[] = [];
    for (const w of openWindowsAt(this.assigner, ts, sourceTime)) {
      const closesAt = this.assigner.closesAt(w);
      if (closesAt <= min) {
        closed.push(w);
        continue;
      }
      windows.push(this.open.add(w, closesAt, offset));
    }
    return { windows, closed };
  }

  /** Open windows every source partition is past, oldest first. */
  closable(): TimeWindow[] {
    return this.open.closableAt(this.watermarks.minimum);
  }

  markClosed(ws: readonly TimeWindow[]): void {
    this.open.markClosed(ws);
  }

  /** The offset to commit: the smallest repartition offset an open window holds, else `nextOffset`. */
  lowWaterMark(nextOffset: number): number {
    return this.open.lowWaterMark(nextOffset);
  }

  get openCount(): number {
    return this.open.size;
  }
}
