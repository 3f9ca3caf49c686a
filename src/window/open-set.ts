/**
 * The open time windows of one task and the smallest offset each holds: what the committed offset
 * (the low-water mark) is made of. TimeBook's store (window-book.ts), for the single-stage task and
 * stage 2 alike. Keyed by window start: unique among a task's open time windows.
 */
import type { TimeWindow } from './kinds.js';

interface OpenWindow { window: TimeWindow; closesAt: number; minOffset: number }

export class OpenWindowSet {
  private readonly open = new Map<number, OpenWindow>();

  /** Adds (or joins) `w`, held by the record at `offset`; returns the window object kept. */
  add(w: TimeWindow, closesAt: number, offset: number): TimeWindow {
    const o = this.open.get(w.start);
    if (o) {
      if (offset < o.minOffset) o.minOffset = offset;
      return o.window;
    }
    this.open.set(w.start, { window: w, closesAt, minOffset: offset });
    return w;
  }

  /** Windows that close at or before `time`, oldest first. */
  closableAt(time: number): TimeWindow[] {
    const out: TimeWindow[] = [];
    for (const o of this.open.values()) if (o.closesAt <= time) out.push(o.window);
    return out.sort((a, b) => a.start - b.start || a.end - b.end);
  }

  /** Forgets windows once their emission is committed. */
  markClosed(ws: readonly TimeWindow[]): void {
    for (const w of ws) {
      const o = this.open.get(w.start);
      if (o && o.window.end === w.end) this.open.delete(w.start);
    }
  }

  /** The offset to commit: the smallest offset still held by an open window, else `nextOffset`. */
  lowWaterMark(nextOffset: number): number {
    let low = nextOffset;
    for (const o of this.open.values()) if (o.minOffset < low) low = o.minOffset;
    return low;
  }

  get size(): number {
    return this.open.size;
  }
}
