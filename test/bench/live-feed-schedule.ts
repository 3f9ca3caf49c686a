/**
 * The pure parts of the live feed (live-feed.ts): which partitions and how many events each feed
 * process sends by when, and when a window could close. Nothing here touches Kafka or a clock.
 */

/** Feed process `index` of `processes` owns partitions index, index + processes, …: its keys stay in them. */
export function partitionsOf(index: number, processes: number, partitions: number): number[] {
  const own: number[] = [];
  for (let p = index; p < partitions; p += processes) own.push(p);
  return own;
}

/** Events one of `processes` feeds sends of `total`: the first ones take the remainder. */
export function shareOf(index: number, processes: number, total: number): number {
  return Math.floor(total / processes) + (index < total % processes ? 1 : 0);
}

/** Events due `elapsedMs` after the start at `rate` per second, at most `total`: a fixed schedule, so a late send is caught up, never skipped. */
export function dueBy(elapsedMs: number, rate: number, total: number): number {
  return Math.max(0, Math.min(total, Math.floor((elapsedMs * rate) / 1000) + 1));
}

/** Event time (= wall clock) of the n-th event of a feed started at `start`. */
export function eventTimeOf(n: number, start: number, rate: number): number {
  return start + Math.floor((n * 1000) / rate);
}

/**
 * One feed process's view: a window (by its end) could close once every partition it feeds has
 * an acknowledged event at or past end + grace, since sluice closes a partition's windows when its
 * stream time passes that. Windows that began before `from` (the feed's start) are not tracked.
 */
export class ClosableWindows {
  private readonly streamTime = new Map<number, number>();
  private next: number;

  constructor(private readonly partitions: readonly number[], from: number, private readonly sizeMs: number, private readonly graceMs: number) {
    this.next = Math.ceil(from / sizeMs) * sizeMs + sizeMs; // the end of the first window begun at or after `from`
  }

  /** A send to `partition` whose greatest event time was `maxTs` was acknowledged: the window ends that became closable. */
  acknowledged(partition: number, maxTs: number): number[] {
    if (maxTs > (this.streamTime.get(partition) ?? -Infinity)) this.streamTime.set(partition, maxTs);
    if (this.streamTime.size < this.partitions.length) return [];
    let least = Infinity;
    for (const p of this.partitions) least = Math.min(least, this.streamTime.get(p) ?? -Infinity);
    const ends: number[] = [];
    for (; this.next + this.graceMs <= least; this.next += this.sizeMs) ends.push(this.next);
    return ends;
  }
}

/** The feeds' reports merged: a window could close once the last of the `processes` feeds reported it. */
export class MergedClosable {
  private readonly reports = new Map<number, { count: number; at: number }>();
  /** Window end → when the last feed had sent its closing events. */
  readonly closable = new Map<number, number>();

  constructor(private readonly processes: number) {}

  report(end: number, at: number): void {
    const r = this.reports.get(end) ?? { count: 0, at: 0 };
    r.count += 1;
    r.at = Math.max(r.at, at);
    this.reports.set(end, r);
    if (r.count === this.processes) this.closable.set(end, r.at);
  }
}
