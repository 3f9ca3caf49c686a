/**
 * More closable windows than one checkpoint lists are emitted over several transactions. A restart
 * from an intermediate checkpoint must rebuild the windows not emitted yet: its time is held below
 * their close (commit-windows.ts), else the replay judges their records late and they are lost.
 */
import { describe, expect, it } from 'vitest';
import { heldBelow } from '../../../src/runtime/commit-windows.js';
import { TaskWindows } from '../../../src/window/task-windows.js';

const spec = { type: 'tumbling' as const, size: 10_000, grace: 0 };
const records = Array.from({ length: 250 }, (_, i) => ({ offset: i, ts: i * 1000 })); // 25 windows of 10 s

function processed(): TaskWindows {
  const w = new TaskWindows(spec);
  for (const r of records) w.observe(r.offset, r.ts);
  return w;
}

/** A restart from a checkpoint with `streamTime`, replaying every record (the low-water mark is offset 0). */
function restoredFrom(streamTime: number): TaskWindows {
  const w = new TaskWindows(spec, { streamTime });
  for (const r of records) w.observe(r.offset, r.ts);
  return w;
}

describe('a checkpoint between the transactions of one close', () => {
  const all = processed().closable();
  const first = all.slice(0, 10); // what the first transaction emitted
  const next = all[10]!;

  it('holds its stream time below the windows left: the restart rebuilds exactly those', () => {
    const st = heldBelow(processed().streamTime, processed().closesAt(next));
    expect(st).toBe(next.end - 1);
    expect(restoredFrom(st).closable()).toEqual(all.slice(10));
  });

  it('(the stream time itself would lose them)', () => {
    expect(restoredFrom(processed().streamTime).closable()).toEqual([]);
    expect(first).toHaveLength(10);
  });

  it('the last transaction of a close stores the stream time as is', () => {
    expect(heldBelow(249_000, undefined)).toBe(249_000);
  });
});
