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
  /**
   * `window`: the newest of the record's windows, all closed; `lateByMs`: stream time past its
   * close; `idle`: only an idle advance of stream time (not a record) had closed it.
   */
  | { late: true; window: TimeWindow; lateByMs: number; idle: boolean };

export class SourceTime {
  private readonly assigner: WindowAssigner;
  private st: number;
  /** The largest event time of a record: stream time without the idle advances. */
  private rt: number;

  /** `recordTime` defaults to `streamTime` (a checkpoint from before idle advances existed). */
  constructor(spec: WindowSpec, init: { streamTime?: number; recordTime?: number } = {}) {
    this.assigner = windowAssigner(spec);
    this.st = init.streamTime ?? NO_STREAM_TIME;
    this.rt = init.recordTime ?? this.st;
  }

  get recordTime(): number {
    return this.rt;
  }

  get streamTime(): number {
    return this.st;
  }

  /**
   * One record, in offset order: its own ts counts before it is judged (as TaskWindows.observe).
   * Late iff its newest window is closed (a session: the record's own `[ts, ts]`, docs/windows.md).
   */
  observe(ts: number): Judgement {
    if (ts > this.st) this.st = ts;
    if (ts > this.rt) this.rt = ts;
    const windows = this.assigner.windowsOf(ts);
    const newest = windows[windows.length - 1]!;
    const closesAt = this.assigner.closesAt(newest);
    if (closesAt > this.st) return { late: false, streamTime: this.st };
    return { late: true, window: newest, lateByMs: this.st - closesAt, idle: closesAt > this.rt };
  }

  /**
   * The partition was quiet for source.idle_timeout: stream time rises to `to` (never falls).
   * The caller commits the new stream time (checkpoint and watermarks) before anything else runs.
   */
  advanceIdle(to: number): boolean {
    if (to <= this.st) return false;
    this.st = to;
    return true;
  }
}
