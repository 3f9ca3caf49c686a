import { describe, expect, it } from 'vitest';
import { NO_STREAM_TIME, TaskWindows } from '../../../src/window/task-windows.js';

const tumbling = { type: 'tumbling' as const, size: 10_000, grace: 2_000 };
const hopping = { type: 'hopping' as const, size: 10_000, advance: 5_000, grace: 1_000 };
const w = (start: number, size = 10_000) => ({ start, end: start + size });

describe('TaskWindows (tumbling 10s, grace 2s)', () => {
  it('starts with no stream time and advances it to the max event time', () => {
    const t = new TaskWindows(tumbling);
    expect(t.streamTime).toBe(NO_STREAM_TIME);
    t.observe(0, 5_000);
    t.observe(1, 3_000);
    expect(t.streamTime).toBe(5_000);
    expect(new TaskWindows(tumbling, { streamTime: 42 }).streamTime).toBe(42);
  });

  it('accepts out-of-order records within grace', () => {
    const t = new TaskWindows(tumbling);
    expect(t.observe(0, 11_000)).toEqual({ late: false, windows: [w(10_000)] });
    // window [0,10s) closes at 12s; stream time 11.999s still admits it
    expect(t.observe(1, 11_999)).toEqual({ late: false, windows: [w(10_000)] });
    expect(t.observe(2, 9_999)).toEqual({ late: false, windows: [w(0)] });
  });

  it('marks records beyond grace late, with the window and how late', () => {
    const t = new TaskWindows(tumbling);
    t.observe(0, 1_000);
    t.observe(1, 15_000);
    // [0,10s) closed at 12s; stream time 15s → 3s late
    expect(t.observe(2, 9_000)).toEqual({ late: true, window: w(0), lateByMs: 3_000 });
    // exactly at end + grace is closed (end + grace <= stream time)
    t.observe(3, 22_000);
    expect(t.observe(4, 19_999)).toEqual({ late: true, window: w(10_000), lateByMs: 0 });
  });

  it('judges each record with the stream time including itself, never the batch max', () => {
    const t = new TaskWindows(tumbling);
    // one batch: an early record before a much later one; the early one is not late
    expect(t.observe(0, 1_000).late).toBe(false);
    expect(t.observe(1, 50_000).late).toBe(false);
    expect(t.observe(2, 1_500).late).toBe(true);
  });

  it('lists closable windows oldest first and forgets them once marked closed', () => {
    const t = new TaskWindows(tumbling);
    t.observe(10, 1_000);
    t.observe(11, 11_000);
    t.observe(12, 25_000);
    expect(t.closable()).toEqual([w(0), w(10_000)]); // stream time 25s: 12s and 22s passed
    t.markClosed(t.closable());
    expect(t.closable()).toEqual([]);
    expect(t.lowWaterMark(13)).toBe(12); // only [20s, 30s) is still open
  });

  it('keeps the low-water mark at the oldest offset of an open window', () => {
    const t = new TaskWindows(tumbling);
    expect(t.lowWaterMark(100)).toBe(100);
    t.observe(100, 1_000); // [0,10s)
    t.observe(101, 11_000); // [10,20s)
    t.observe(102, 2_000); // [0,10s)
    expect(t.lowWaterMark(103)).toBe(100);
    t.observe(103, 13_000); // stream time 13s closes [0,10s)
    expect(t.lowWaterMark(104)).toBe(100); // closable but not yet marked closed
    t.markClosed(t.closable());
    expect(t.lowWaterMark(104)).toBe(101);
    t.observe(104, 1); // late: holds nothing
    expect(t.lowWaterMark(105)).toBe(101);
    t.observe(105, 40_000);
    t.markClosed(t.closable());
    expect(t.lowWaterMark(106)).toBe(105);
  });

  it('restored from a checkpoint, a replayed record of an emitted window is late (the pipeline skips it silently)', () => {
    // original run: offsets 0..3, checkpoint after offset 3 at stream time 13s, [0,10s) emitted
    const t = new TaskWindows(tumbling, { streamTime: 13_000 });
    expect(t.observe(1, 11_000)).toEqual({ late: false, windows: [w(10_000)] });
    expect(t.observe(2, 5_000)).toMatchObject({ late: true }); // its window was emitted already
    expect(t.observe(3, 13_000)).toEqual({ late: false, windows: [w(10_000)] });
    expect(t.streamTime).toBe(13_000);
    expect(t.lowWaterMark(4)).toBe(1);
  });

  it('refuses a non-integer event time (decode should have dead-lettered it)', () => {
    expect(() => new TaskWindows(tumbling).observe(0, Number.NaN)).toThrow(/not an integer/);
  });
});

describe('TaskWindows (hopping 10s every 5s, grace 1s)', () => {
  it('adds a record to every window containing it', () => {
    const t = new TaskWindows(hopping);
    expect(t.observe(0, 7_000)).toEqual({ late: false, windows: [w(0), w(5_000)] });
  });

  it('gives a partially late record only its open windows', () => {
    const t = new TaskWindows(hopping);
    t.observe(0, 11_500); // [0,10s) closes at 11s
    expect(t.observe(1, 9_000)).toEqual({ late: false, windows: [w(5_000)] });
    expect(t.closable()).toEqual([]); // [0,10s) never held a record
  });

  it('marks a record late when all its windows are closed, naming the newest one', () => {
    const t = new TaskWindows(hopping);
    t.observe(0, 30_000);
    // 9s is in [0,10s) (closes 11s) and [5s,15s) (closes 16s): newest closed is [5s,15s), 14s late
    expect(t.observe(1, 9_000)).toEqual({ late: true, window: w(5_000), lateByMs: 14_000 });
  });

  it('closes hopping windows oldest first and moves the low-water mark', () => {
    const t = new TaskWindows(hopping);
    t.observe(0, 101_000); // [95,105) [100,110)
    t.observe(1, 106_000); // [100,110) [105,115)
    t.observe(2, 112_000); // [105,115) [110,120)
    expect(t.closable()).toEqual([w(95_000), w(100_000)]); // closes at 106s and 111s
    t.markClosed(t.closable());
    expect(t.lowWaterMark(3)).toBe(1);
  });

  it('opens no window before the epoch', () => {
    const t = new TaskWindows(hopping);
    expect(t.observe(0, 1_000)).toEqual({ late: false, windows: [w(0)] });
  });
});
