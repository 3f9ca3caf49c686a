/** The two stages' window rules: lateness at the source (SourceTime) and closing by the minimum (WatermarkWindows). */
import { describe, expect, it } from 'vitest';
import { SourceWatermarks } from '../../../src/repartition/watermarks.js';
import { SourceTime } from '../../../src/window/source-time.js';
import { TaskWindows } from '../../../src/window/task-windows.js';
import { WatermarkWindows } from '../../../src/window/watermark-windows.js';

const tumbling = { type: 'tumbling' as const, size: 10, grace: 2 };
const hopping = { type: 'hopping' as const, size: 10, advance: 5, grace: 2 };

describe('SourceTime (stage 1)', () => {
  it('decides lateness exactly as a single-stage task does', () => {
    for (const spec of [tumbling, hopping]) {
      const s = new SourceTime(spec);
      const t = new TaskWindows(spec);
      [1, 5, 3, 12, 9, 25, 14, 13, 40, 31, 29].forEach((ts, offset) => {
        const a = s.observe(ts);
        const b = t.observe(offset, ts);
        expect(a.late).toBe(b.late);
        if (a.late && b.late) expect([a.window, a.lateByMs]).toEqual([b.window, b.lateByMs]);
        expect(s.streamTime).toBe(t.streamTime);
      });
    }
  });
});

describe('WatermarkWindows (stage 2)', () => {
  it('closes a window only when every source partition is past its end + grace', () => {
    const wm = new SourceWatermarks(2);
    const w = new WatermarkWindows(tumbling, wm);
    expect(w.add(0, 3, 3).windows).toEqual([{ start: 0, end: 10 }]);
    wm.observe(0, 30);
    expect(w.closable()).toEqual([]);
    wm.observe(1, 11);
    expect(w.closable()).toEqual([]);
    wm.observe(1, 12);
    expect(w.closable()).toEqual([{ start: 0, end: 10 }]);
  });

  it('gives a hopping record only the windows open in its source partition', () => {
    const w = new WatermarkWindows(hopping, new SourceWatermarks(1));
    // ts 7 is in [0,10) and [5,15); its source had reached 12, so [0,10) was closed there
    expect(w.add(0, 7, 12).windows).toEqual([{ start: 5, end: 15 }]);
    expect(w.add(1, 7, 7).windows).toEqual([{ start: 0, end: 10 }, { start: 5, end: 15 }]);
  });

  it('reports windows already closed here (a replay) and keeps the low-water mark of the open ones', () => {
    const wm = new SourceWatermarks(1, [12]);
    const w = new WatermarkWindows(tumbling, wm);
    expect(w.add(5, 3, 3)).toEqual({ windows: [], closed: [{ start: 0, end: 10 }] });
    w.add(8, 14, 14);
    w.add(6, 15, 15);
    expect(w.lowWaterMark(20)).toBe(6);
    wm.observe(0, 22);
    w.markClosed(w.closable());
    expect(w.lowWaterMark(20)).toBe(20);
  });
});

describe('SourceTime idle advances (source.idle_timeout)', () => {
  it('raise stream time, never lower it, and make the records they closed late for cause idle', () => {
    const s = new SourceTime(tumbling);
    expect(s.observe(5).late).toBe(false);
    expect(s.advanceIdle(3)).toBe(false);
    expect(s.advanceIdle(30)).toBe(true);
    expect(s.streamTime).toBe(30);
    expect(s.recordTime).toBe(5);
    expect(s.observe(8)).toEqual({ late: true, window: { start: 0, end: 10 }, lateByMs: 18, idle: true });
    s.observe(40); // a record passes the idle advance: later late records are the records' doing
    expect(s.observe(8)).toEqual({ late: true, window: { start: 0, end: 10 }, lateByMs: 28, idle: false });
  });

  it('restores the record time from the checkpoint, so the cause survives a restart', () => {
    const s = new SourceTime(tumbling, { streamTime: 30, recordTime: 5 });
    expect(s.observe(8)).toMatchObject({ late: true, idle: true });
    expect(new SourceTime(tumbling, { streamTime: 30 }).observe(8)).toMatchObject({ late: true, idle: false });
  });
});
