/**
 * The open sessions of one task, per group key (docs/windows.md, "Sessions"). Pure.
 *
 * A record at ts of key k, judged at stream time s, joins every open session of k it is within
 * `gap` of (start - gap <= ts <= end + gap), merging them into one; with none it starts a session.
 * A session with closesAt <= s counts as closed for it, emitted or not: the record never merges into
 * it. That decision uses nothing but the record and its own s, which is what makes the two-stage
 * path independent of timing and a replay repeat the first run's merges exactly.
 *
 * State rows are never rewritten on a merge: each session gets an id (a slot) when it starts, a
 * row is stored under the slot of the session it joined, and a session lists the slots merged
 * into it (TimeWindow.slots); the close maps slots to the surviving session's bounds in SQL.
 */
import type { TimeWindow } from './kinds.js';
import type { BookRecord, WindowBook } from './window-book.js';

interface Session {
  id: number;
  key: string;
  start: number;
  end: number;
  slots: number[];
  minOffset: number;
  /** Stream time before the record at minOffset: a restore replays from there. */
  timeBefore: number;
}

export class SessionBook implements WindowBook {
  private readonly byKey = new Map<string, Session[]>();
  private readonly byId = new Map<number, Session>();
  private nextId = 0;
  private settled: boolean;

  /**
   * `emittedBy`: the closing time of the checkpoint a restore starts from. Until settle(), nothing
   * closes: a session the replay rebuilds may still grow, and which ones were emitted before the
   * restart is known only once the replay is complete.
   */
  constructor(
    private readonly gap: number,
    private readonly closesAt: (w: TimeWindow) => number,
    private readonly emittedBy?: number,
  ) {
    // NO_STREAM_TIME (task-windows.ts): nothing was closed before, so nothing to tell apart
    this.settled = emittedBy === undefined || emittedBy <= Number.MIN_SAFE_INTEGER;
  }

  add(r: BookRecord): { windows: TimeWindow[]; closed: TimeWindow[] } {
    const list = this.byKey.get(r.key) ?? [];
    const joined = list.filter((s) => this.closesAt(s) > r.judgedAt && s.start - this.gap <= r.ts && r.ts <= s.end + this.gap);
    let into: Session;
    if (joined.length === 0) {
      into = { id: this.nextId++, key: r.key, start: r.ts, end: r.ts, slots: [], minOffset: r.offset, timeBefore: r.timeBefore };
      into.slots.push(into.id);
      list.push(into);
      this.byKey.set(r.key, list);
      this.byId.set(into.id, into);
    } else {
      // the oldest survives; the others' rows stay under their slots, now listed by it
      into = joined.reduce((a, b) => (a.id < b.id ? a : b));
      for (const s of joined) {
        if (s === into) continue;
        into.start = Math.min(into.start, s.start);
        into.end = Math.max(into.end, s.end);
        for (const slot of s.slots) into.slots.push(slot);
        if (s.minOffset < into.minOffset) [into.minOffset, into.timeBefore] = [s.minOffset, s.timeBefore];
        this.remove(s);
      }
      into.start = Math.min(into.start, r.ts);
      into.end = Math.max(into.end, r.ts);
      if (r.offset < into.minOffset) [into.minOffset, into.timeBefore] = [r.offset, r.timeBefore];
    }
    return { windows: [{ start: into.id, end: into.id }], closed: [] };
  }

  closableAt(time: number): TimeWindow[] {
    if (!this.settled) return [];
    const out: Session[] = [];
    for (const s of this.byId.values()) if (this.closesAt(s) <= time) out.push(s);
    return out.sort(order).map(windowOf);
  }

  markClosed(ws: readonly TimeWindow[]): void {
    for (const w of ws) {
      const s = w.slots ? this.byId.get(w.slots[0]!) : undefined;
      if (s) this.remove(s);
    }
  }

  lowWaterMark(nextOffset: number): number {
    let low = nextOffset;
    for (const s of this.byId.values()) if (s.minOffset < low) low = s.minOffset;
    return low;
  }

  lowTime(now: number): number {
    let low: Session | undefined;
    for (const s of this.byId.values()) if (!low || s.minOffset < low.minOffset) low = s;
    return low ? low.timeBefore : now;
  }

  settle(): TimeWindow[] {
    if (this.settled) return [];
    this.settled = true;
    const emitted = [...this.byId.values()].filter((s) => this.closesAt(s) <= this.emittedBy!);
    for (const s of emitted) this.remove(s);
    return emitted.map(windowOf);
  }

  get size(): number {
    return this.byId.size;
  }

  private remove(s: Session): void {
    this.byId.delete(s.id);
    const list = this.byKey.get(s.key);
    if (!list) return;
    const rest = list.filter((x) => x !== s);
    if (rest.length > 0) this.byKey.set(s.key, rest);
    else this.byKey.delete(s.key);
  }
}

/** A session as the rest of the runtime sees it; its first slot is its own id. */
const windowOf = (s: Session): TimeWindow => ({ start: s.start, end: s.end, key: s.key, slots: s.slots });
const order = (a: Session, b: Session): number => a.start - b.start || a.end - b.end || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
