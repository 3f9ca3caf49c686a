/**
 * Stage 1 of a two-stage topology (docs/keyed-windows.md): a source partition's stream time and
 * the late decision, exactly as TaskWindows makes them (docs/windows.md), without keeping windows:
 * stage 2 holds those. Pure.
 */
import type { WindowSpec } from '../topology/schema.js';
import { windowAssigner, type TimeWindow, type WindowAssigner } from './kinds.js';
import { NO_STREAM_TIME } from './task-windows.js';

export type Judgement =
  | { late: false; streamTime: number }
  /** `window`: the newest of the record's windows, all closed; `lateByMs`: stream time past its close. */
  | { late: true; window: TimeWindow; lateByMs: number };

/**
 * The windows of a record at `ts` still open when its partition's stream time is `streamTime`:
 * the ones stage 1 counted it in, and the ones stage 2 gives it (from the record's `s`).
 */
export function openWindowsAt(assigner: WindowAssigner, ts: number, streamTime: number): TimeWindow[] {
  return assigner.windowsOf(ts).filter((w) => assigner.closesAt(w) > streamTime);
}

export class SourceTime {
  private readonly assigner: WindowAssigner;
  private st: number;

  constructor(spec: WindowSpec, init: { streamTime?: number } = {}) {
    this.assigner = windowAssigner(spec);
    this.st = init.streamTime ?? NO_STREAM_TIME;
  }

  get streamTime(): number {
    return this.st;
  }

  /** One record, in offset order: its own ts counts before it is judged (as TaskWindows.observe). */
  observe(ts: number): Judgement {
    if (ts > this.st) this.st = ts;
    const windows = this.assigner.windowsOf(ts);
    const newest = windows[windows.length - 1]!;
    if (this.assigner.closesAt(newest) > this.st) return { late: false, streamTime: this.st };
    return { late: true, window: newest, lateByMs: this.st - this.assigner.closesAt(newest) };
  }
}
