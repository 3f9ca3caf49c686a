/**
 * The open sessions of one task, per group key (docs/windows.md, "Sessions"). Pure.
 *
 * Two records a, b of a key, each judged at its partition's stream time (s_a, s_b), are linked iff
 * |ts_a - ts_b| <= gap and each was judged while the other's own session [ts, ts] was still open
 * (s_a < ts_b + G and s_b < ts_a + G, G = gap + grace + 1); a session is a connected set of linked
 * records. In offset order (one partition) that is "a record joins every session within gap of it
 * that is still open at its stream time, emitted or not" (docs/windows.md); the pairwise form is the
 * same and symmetric, so the sessions do not depend on the order records arrive in: stage 2 gets
 * the same sessions whatever the interleaving of the source partitions, and a replay the same as
 * the first run. Never into an emitted session: one closed by a time t links nothing judged at >= t.
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
  /** Its records' event times, ascending, and the stream time each was judged at. */
  ts: number[];
  judged: number[];
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
  /** gap + grace + 1: a session [start, end] closes at end + G. */
  private readonly g: number;

  constructor(
    private readonly gap: number,
    private readonly closesAt: (w: TimeWindow) => number,
    private readonly emittedBy?: number,
  ) {
    this.g = closesAt({ start: 0, end: 0 });
    // NO_STREAM_TIME (task-windows.ts): nothing was closed before, so nothing to tell apart
    this.settled = emittedBy === undefined || emittedBy <= Number.MIN_SAFE_INTEGER;
  }

  add(r: BookRecord): { windows: TimeWindow[]; closed: TimeWindow[] } {
    const list = this.byKey.get(r.key) ?? [];
    const joined = list.filter((s) => this.links(s, r.ts, r.judgedAt));
    let into: Session;
    if (joined.length === 0) {
      into = { id: this.nextId++, key: r.key, start: r.ts, end: r.ts, ts: [], judged: [], slots: [], minOffset: r.offset, timeBefore: r.timeBefore };
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
        for (let i = 0; i < s.ts.length; i++) insert(into, s.ts[i]!, s.judged[i]!);
        if (s.minOffset < into.minOffset) [into.minOffset, into.timeBefore] = [s.minOffset, s.timeBefore];
        this.remove(s);
      }
      into.start = Math.min(into.start, r.ts);
      into.end = Math.max(into.end, r.ts);
      if (r.offset < into.minOffset) [into.minOffset, into.timeBefore] = [r.offset, r.timeBefore];
    }
    insert(into, r.ts, r.judgedAt);
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

  /** Whether a record at `ts` judged at `judged` links to one of the session's records (above). */
  private links(x: Session, ts: number, judged: number): boolean {
    if (ts < x.start - this.gap || ts > x.end + this.gap) return false;
    const i = firstAtOrAfter(x.ts, ts);
    // an earlier record y links iff ts - gap <= y and judged < y + G (y was judged before ts + G: on time)
    if (i > 0 && x.ts[i - 1]! >= Math.max(ts - this.gap, judged - this.g + 1)) return true;
    // a later (or equal) record y links iff y <= ts + gap and it was judged before ts + G
    for (let j = i; j < x.ts.length && x.ts[j]! <= ts + this.gap; j++) if (x.judged[j]! < ts + this.g) return true;
    return false;
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

/** The index of the first of the ascending `xs` that is >= v (xs.length if none). */
function firstAtOrAfter(xs: readonly number[], v: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Adds a record to a session's ascending event times (most arrive in order: an append). */
function insert(x: Session, ts: number, judged: number): void {
  const i = x.ts.length === 0 || x.ts[x.ts.length - 1]! <= ts ? x.ts.length : firstAtOrAfter(x.ts, ts);
  x.ts.splice(i, 0, ts);
  x.judged.splice(i, 0, judged);
}

/** A session as the rest of the runtime sees it; its first slot is its own id. */
const windowOf = (s: Session): TimeWindow => ({ start: s.start, end: s.end, key: s.key, slots: s.slots });
const order = (a: Session, b: Session): number => a.start - b.start || a.end - b.end || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
