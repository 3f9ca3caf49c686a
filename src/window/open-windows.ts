/**
 * The windows still open at a stream time: those that have started and not closed
 * (`start <= streamTime < closesAt`). `sluice status` derives them from a checkpoint's stream
 * time alone; whether a record fell into each is known only to the task that replays them.
 * Time windows only: sessions depend on the records (the status shows none for them).
 */
import type { WindowAssigner, TimeWindow } from './kinds.js';

/** Oldest first. Walks back window by window from the one holding `streamTime` until one has closed. */
export function openWindowsAt(assigner: WindowAssigner, streamTime: number): TimeWindow[] {
  const open = new Map<number, TimeWindow>();
  for (let ts = streamTime; ; ) {
    const windows = assigner.windowsOf(ts);
    for (const w of windows) if (assigner.closesAt(w) > streamTime) open.set(w.start, w);
    // closesAt grows with end: once the newest window of ts is closed, every older one is too
    const newest = windows.at(-1);
    if (!newest || assigner.closesAt(newest) <= streamTime) break;
    ts = windows[0]!.start - 1;
  }
  return [...open.values()].sort((a, b) => a.start - b.start);
}
