/** Session windows (docs/windows.md, "Sessions"): the bookkeeping of both paths and a restore. */
import { describe, expect, it } from 'vitest';
import { SourceWatermarks } from '../../../src/repartition/watermarks.js';
import type { TimeWindow } from '../../../src/window/kinds.js';
import { windowAssigner } from '../../../src/window/kinds.js';
import { SourceTime } from '../../../src/window/source-time.js';
import { TaskWindows } from '../../../src/window/task-windows.js';
import { WatermarkWindows } from '../../../src/window/watermark-windows.js';
import { oracle } from '../../support/oracle.js';

// gap 10, grace 2: a session [s, e] closes once stream time > e + 12, i.e. at e + 13
const spec = { type: 'session' as const, gap: 10, grace: 2 };
const bounds = (ws: TimeWindow[]) => ws.map((w) => [w.key, w.start, w.end]);

/** Feeds [ts, key] records in offset order; returns the windows object and what each record got. */
function feed(records: Array<[number, string]>, w = new TaskWindows(spec)) {
  const late: number[] = [];
  records.forEach(([ts, key], offset) => {
    if (w.observe(offset, ts, key).late) late.push(offset);
  });
  return { w, late };
}

describe('session windows, single stage', () => {
  it('close at end + gap + grace + 1 and are [ts, ts] on their own', () => {
    const a = windowAssigner(spec);
    expect(a.windowsOf(5)).toEqual([{ start: 5, end: 5 }]);
    expect(a.closesAt({ start: 0, end: 5 })).toBe(18);
    expect(a.merging).toBe(true);
  });

  it('grow by records within gap (inclusive), per key, in any order', () => {
    const { w } = feed([[0, 'a'], [10, 'a'], [5, 'b'], [4, 'a'], [20, 'a']]);
    expect(bounds(w.closable())).toEqual([['b', 5, 5]]); // 5 + 13 <= 20
    w.observe(5, 32, 'c');
    expect(bounds(w.closable())).toEqual([['b', 5, 5]]); // a's [0, 20] closes at 33
    w.observe(6, 33, 'c');
    expect(bounds(w.closable())).toEqual([['a', 0, 20], ['b', 5, 5]]);
  });

  it('a record within gap of two sessions merges them; the survivor lists every slot', () => {
    const { w } = feed([[0, 'a'], [20, 'a'], [10, 'a']], new TaskWindows({ ...spec, grace: 20 }));
    w.observe(3, 100, 'z');
    const [merged] = w.closable().filter((x) => x.key === 'a');
    expect([merged!.start, merged!.end, merged!.slots]).toEqual([0, 20, [0, 1]]);
  });

  it('a record within gap of a session that closed at its stream time starts a new one, even before the close is emitted', () => {
    // [0, 0] closes at 13; the record at 13 raises stream time to 13 itself, so it may not merge
    const { w } = feed([[0, 'a'], [13, 'b'], [9, 'a']]);
    // 9 + 13 = 22 > 13: not late; but [0, 0] is closed at 13, so 9 starts [9, 9]
    w.observe(3, 40, 'z');
    expect(bounds(w.closable().filter((x) => x.key === 'a'))).toEqual([['a', 0, 0], ['a', 9, 9]]);
  });

  it('late: its own [ts, ts] is closed', () => {
    const { w, late } = feed([[0, 'a'], [30, 'b'], [17, 'a'], [18, 'a']]);
    expect(late).toEqual([2]); // 17 + 13 = 30 <= 30; 18 + 13 = 31 > 30
    const r = w.observe(4, 1, 'c');
    expect(r).toEqual({ late: true, window: { start: 1, end: 1 }, lateByMs: 30 - 14 });
  });

  it('grace keeps a session open past end + gap', () => {
    const { w } = feed([[0, 'a'], [12, 'b']]);
    expect(w.closable()).toEqual([]);
    w.observe(2, 10, 'a'); // within gap of [0, 0], which closes at 13 > 12: merges
    w.observe(3, 100, 'z');
    expect(bounds(w.closable().filter((x) => x.key === 'a'))).toEqual([['a', 0, 10]]);
  });

  it('the low-water mark is the smallest offset of an open session; lowTime the stream time before it', () => {
    const { w } = feed([[0, 'a'], [5, 'b'], [50, 'c']]);
    expect(w.lowWaterMark(3)).toBe(0);
    w.markClosed(w.closable()); // a and b closed by 50
    expect(w.lowWaterMark(3)).toBe(2);
    expect(w.lowTime()).toBe(5);
  });
});

describe('a restore replays sessions exactly', () => {
  // a long session of a (offsets 0, 2, 4, ...) interleaved with keys that close early
  const records: Array<[number, string]> = [];
  for (let i = 0; i < 40; i++) records.push(i % 2 === 0 ? [i * 4, 'a'] : [i * 4 - 8, `k${i % 7}`]);
  const end = (w: TaskWindows) => {
    w.observe(records.length, 1e6, 'end');
    return bounds(w.closable());
  };

  function run(from: number, init: { streamTime?: number; lowTime?: number }, upTo: number) {
    const w = new TaskWindows(spec, init);
    for (let o = from; o < upTo; o++) w.observe(o, records[o]![0], records[o]![1]);
    return w;
  }

  it('from the checkpoint (committed offset = low-water mark, lowTime, streamTime) to the same open sessions', () => {
    for (const position of [7, 20, 33]) {
      const first = run(0, {}, position);
      first.markClosed(first.closable()); // emitted by the commit at `position`
      const cp = { offset: first.lowWaterMark(position), streamTime: first.streamTime, lowTime: first.lowTime() };
      const rest = run(0, {}, records.length);
      // the original run carries on: what it emits from `position` on
      const again = run(0, {}, position);
      again.markClosed(again.closable());
      for (let o = position; o < records.length; o++) again.observe(o, records[o]![0], records[o]![1]);

      const restored = run(cp.offset, cp, position);
      restored.settle();
      expect(restored.streamTime).toBe(first.streamTime);
      for (let o = position; o < records.length; o++) restored.observe(o, records[o]![0], records[o]![1]);
      expect(rest.streamTime).toBe(restored.streamTime);
      const expected = end(again);
      expect(expected.length).toBeGreaterThan(1);
      expect(end(restored)).toEqual(expected);
    }
  });

  it('(from the stream time alone the replay would judge the early records of a late)', () => {
    const first = run(0, {}, 33);
    first.markClosed(first.closable());
    expect(first.lowWaterMark(33)).toBe(0); // a's session is open since offset 0
    const replayed = run(0, { streamTime: first.streamTime }, 33);
    replayed.settle();
    expect(end(replayed)).not.toEqual(end(first));
  });

  it('nothing closes before settle(): a rebuilt session may still grow', () => {
    const w = new TaskWindows(spec, { streamTime: 100, lowTime: 0 });
    w.observe(0, 0, 'a');
    w.observe(1, 200, 'b');
    expect(w.closable()).toEqual([]);
    expect(bounds(w.settle())).toEqual([['a', 0, 0]]); // closed by 100: emitted before the restart
    expect(w.closable()).toEqual([]);
    w.observe(2, 300, 'c');
    expect(bounds(w.closable())).toEqual([['b', 200, 200]]);
  });
});

describe('session windows, two stages', () => {
  it('stage 1 judges late as a single stage does', () => {
    const s = new SourceTime(spec);
    const t = new TaskWindows(spec);
    [1, 5, 3, 20, 9, 25, 14, 13, 40, 31, 29].forEach((ts, offset) => {
      const a = s.observe(ts);
      const b = t.observe(offset, ts, 'k');
      expect(a.late).toBe(b.late);
      if (a.late && b.late) expect([a.window, a.lateByMs]).toEqual([b.window, b.lateByMs]);
    });
  });

  it('stage 2 merges by the record\'s own source time and closes by the minimum', () => {
    const wm = new SourceWatermarks(2);
    const w = new WatermarkWindows(spec, wm);
    w.add(0, 0, 0, 'a');
    w.add(1, 8, 30, 'a'); // judged at 30: [0, 0] closes at 13 <= 30, so a new session
    w.add(2, 9, 9, 'a'); // judged at 9 by its own partition: joins [0, 0] (open there) and [8, 8]
    wm.observe(0, 30);
    wm.observe(1, 21);
    expect(w.closable()).toEqual([]);
    wm.observe(1, 22); // 9 + 13 = 22
    expect(bounds(w.closable())).toEqual([['a', 0, 9]]);
  });

  it('gives the same sessions whatever order the records of different source partitions arrive in', () => {
    // a: (0, judged 0) from p0; b: (10, judged 15) from p1. b sees a's [0, 0] closed (13 <= 15), and
    // a, judged at 0, must not pull b in either when it arrives second
    const sessions = (order: Array<[number, number, number]>) => {
      const wm = new SourceWatermarks(1);
      const w = new WatermarkWindows(spec, wm);
      order.forEach(([offset, ts, s]) => w.add(offset, ts, s, 'k'));
      wm.observe(0, 1000);
      return bounds(w.closable());
    };
    expect(sessions([[0, 0, 0], [1, 10, 15]])).toEqual([['k', 0, 0], ['k', 10, 10]]);
    expect(sessions([[1, 10, 15], [0, 0, 0]])).toEqual([['k', 0, 0], ['k', 10, 10]]);
  });

  it('(property) any interleaving of in-order partitions gives the same sessions', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 50; round++) {
      // three source partitions, each in offset order with its own stream time
      const parts = [0, 1, 2].map((p) => {
        let st = -Infinity;
        const out: Array<[number, number, string]> = [];
        for (let i = 0; i < 30; i++) {
          const ts = Math.floor(rnd() * 200) + i * 3;
          st = Math.max(st, ts);
          if (ts + 13 > st) out.push([ts, st, `k${Math.floor(rnd() * 3)}`]); // on time at its source
        }
        return out.map((r, i) => ({ p, i, r }));
      });
      const run = () => {
        const queues = parts.map((q) => [...q]);
        const wm = new SourceWatermarks(1);
        const w = new WatermarkWindows(spec, wm);
        let offset = 0;
        while (queues.some((q) => q.length > 0)) {
          const live = queues.filter((q) => q.length > 0);
          const { r } = live[Math.floor(rnd() * live.length)]!.shift()!;
          w.add(offset++, r[0], r[1], r[2]);
        }
        wm.observe(0, 1e6);
        return bounds(w.closable());
      };
      const first = run();
      for (let k = 0; k < 5; k++) expect(run()).toEqual(first);
    }
  });
});

describe('against the independent oracle', () => {
  it('gives the oracle\'s sessions and late records on random input, one stage and two', () => {
    let seed = 11;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const topology = { source: { event_time: 'ts' }, window: spec, aggregate: { group_by: ['k'], metrics: { n: 'count(*)' } } };
    for (let round = 0; round < 30; round++) {
      const parts = new Map([0, 1].map((p) => [p, Array.from({ length: 40 }, (_, offset) => ({ offset, event: { ts: Math.floor(rnd() * 60) + offset * 2, k: `k${Math.floor(rnd() * 3)}` } }))]));
      const single = oracle(new Map([[0, parts.get(0)!]]), topology);
      const t = new TaskWindows(spec);
      const late: number[] = [];
      for (const { offset, event } of parts.get(0)!) if (t.observe(offset, event.ts, event.k).late) late.push(offset);
      expect(late).toEqual(single.late.map((l) => l.offset));
      expect(bounds(t.closable())).toEqual(single.windows.map((w) => [w.group.k, w.start, w.end]).sort(byStart));

      const keyed = oracle(parts, topology, { keyed: true });
      const wm = new SourceWatermarks(2);
      const w = new WatermarkWindows(spec, wm);
      const sources = [...parts].map(([p, records]) => ({ p, time: new SourceTime(spec), records: [...records] }));
      let offset = 0;
      while (sources.some((x) => x.records.length > 0)) {
        const live = sources.filter((x) => x.records.length > 0);
        const src = live[Math.floor(rnd() * live.length)]!;
        const { event } = src.records.shift()!;
        const j = src.time.observe(event.ts);
        if (!j.late) w.add(offset++, event.ts, j.streamTime, event.k);
        wm.observe(src.p, src.time.streamTime);
      }
      expect(bounds(w.closable())).toEqual(keyed.windows.map((x) => [x.group.k, x.start, x.end]).sort(byStart));
    }
  });
});

const byStart = (a: unknown[], b: unknown[]) => (a[1] as number) - (b[1] as number) || (a[2] as number) - (b[2] as number) || String(a[0]).localeCompare(String(b[0]));
