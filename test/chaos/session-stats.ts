/**
 * How much merging a session-window chaos run exercised, from its input and the oracle's result
 * (for the report: a run whose sessions were all single records would prove little).
 * `bridging` counts records that joined two or more open sessions of their key, taken in offset
 * order per source partition with the single-stage rule (docs/windows.md, "Sessions"); in two
 * stages the sessions span partitions, so it is a lower bound there.
 */
import type { OracleRecord, OracleResult } from '../support/oracle.js';

export interface SessionStats { closed: number; multi: number; longest: number; longestMs: number; bridging: number }

export function sessionStats(input: ReadonlyMap<number, readonly OracleRecord[]>, expected: OracleResult, w: { gap: number; grace: number }, eventTime: string, groupBy: readonly string[]): SessionStats {
  const G = w.gap + w.grace + 1;
  const skip = new Set([...expected.duplicates, ...expected.late, ...expected.deadLetters].map((p) => `${p.partition}:${p.offset}`));
  let bridging = 0;
  for (const [partition, records] of input) {
    let streamTime = -Infinity;
    // per key: the open sessions' [start, end], merged as records arrive
    const open = new Map<string, Array<{ start: number; end: number }>>();
    for (const { offset, event } of records) {
      if (event === null || skip.has(`${partition}:${offset}`)) continue;
      const ts = event[eventTime] as number;
      streamTime = Math.max(streamTime, ts);
      const key = JSON.stringify(groupBy.map((f) => event[f]));
      const live = (open.get(key) ?? []).filter((s) => s.end + G > streamTime);
      const joined = live.filter((s) => s.start - w.gap <= ts && ts <= s.end + w.gap);
      if (joined.length >= 2) bridging++;
      const merged = { start: Math.min(ts, ...joined.map((s) => s.start)), end: Math.max(ts, ...joined.map((s) => s.end)) };
      open.set(key, [...live.filter((s) => !joined.includes(s)), merged]);
    }
  }
  const sizes = expected.windows.map((x) => x.offsets.length);
  const spans = expected.windows.map((x) => x.end - x.start);
  return { closed: sizes.length, multi: sizes.filter((n) => n > 1).length, longest: Math.max(0, ...sizes), longestMs: Math.max(0, ...spans), bridging };
}

export const formatSessionStats = (s: SessionStats): string =>
  `sessions: ${s.closed} closed, ${s.multi} of several records, the longest ${s.longest} records over ${(s.longestMs / 1000).toFixed(1)} s of event time; ${s.bridging} records bridged two or more open sessions of their key`;
