/**
 * The early rows a single-stage topology must commit (docs/semantics.md, "Early results"),
 * computed from the input with plain code and no import from src/, like ./oracle.ts (whose
 * verdicts on dead letters and duplicates it takes, and whose metric evaluation it shares):
 *
 * - Per partition, in offset order, over the records the oracle neither dead-letters nor drops as
 *   duplicates, stream time = max event time including the record.
 * - When a record raises stream time from `before` to `after` past a multiple T of the interval
 *   (the largest multiple in (before, after]; from no stream time, the largest at or below
 *   `after`), every window still open after it (end + grace > after) that holds rows of earlier
 *   records gets one row per group key: its metrics over those rows, revision = ⌊T / interval⌋ −
 *   ⌊start / interval⌋. The record itself is not in it.
 * - A record goes to its windows (none with a negative start) with end + grace > stream time
 *   after it; none: late, no row.
 * Time windows only: sessions refuse early results (`sluice validate`).
 */
import { parseMetric, type OracleRecord, type OracleResult, type OracleTopology } from './oracle.js';

export interface ExpectedEarly {
  partition: number;
  start: number;
  end: number;
  group: Record<string, unknown>;
  metrics: Record<string, number | null>;
  revision: number;
  /** The record whose stream time raise made the row. */
  offset: number;
}

/** The multiple of `interval` a raise from `before` to `after` crosses (the largest), if any. */
function crossed(before: number, after: number, interval: number): number | undefined {
  const tick = Math.floor(after / interval) * interval;
  return after > before && after >= 0 && tick > before ? tick : undefined;
}

export function earlyOracle(partitions: ReadonlyMap<number, readonly OracleRecord[]>, topology: OracleTopology, interval: number, verdicts: OracleResult): ExpectedEarly[] {
  const w = topology.window;
  if (w.type === 'session') throw new Error('early oracle: time windows only');
  const size = w.size;
  const advance = w.type === 'hopping' ? w.advance : w.size;
  const skip = new Set([...verdicts.deadLetters, ...verdicts.duplicates].map((p) => `${p.partition}:${p.offset}`));
  const groupBy = [...topology.aggregate.group_by];
  const metrics = Object.entries(topology.aggregate.metrics).map(([name, expr]) => [name, parseMetric(expr)] as const);
  const out: ExpectedEarly[] = [];
  for (const partition of [...partitions.keys()].sort((a, b) => a - b)) {
    let streamTime = -Infinity;
    const open = new Map<string, { start: number; group: Record<string, unknown>; rows: Record<string, unknown>[] }>();
    for (const { offset, event } of partitions.get(partition)!) {
      if (event === null || skip.has(`${partition}:${offset}`)) continue;
      const ts = event[topology.source.event_time] as number;
      const before = streamTime;
      streamTime = Math.max(streamTime, ts);
      for (const [id, win] of open) if (win.start + size + w.grace <= streamTime) open.delete(id); // closed
      const tick = crossed(before, streamTime, interval);
      if (tick !== undefined) {
        for (const win of open.values()) {
          const revision = Math.floor(tick / interval) - Math.floor(win.start / interval);
          out.push({ partition, start: win.start, end: win.start + size, group: win.group, metrics: Object.fromEntries(metrics.map(([name, f]) => [name, f(win.rows)])), revision, offset });
        }
      }
      const group = Object.fromEntries(groupBy.map((f) => [f, event[f]]));
      for (let s = Math.floor(ts / advance) * advance; s > ts - size && s >= 0; s -= advance) {
        if (s + size + w.grace <= streamTime) continue;
        const id = JSON.stringify([s, groupBy.map((f) => event[f])]);
        let win = open.get(id);
        if (win === undefined) open.set(id, (win = { start: s, group, rows: [] }));
        win.rows.push(event);
      }
    }
  }
  return out;
}
