/**
 * Pure parts of `npm run bench:restore`: the phases of one recovery from the new replica's log
 * (times relative to the SIGKILL), their p50/max over the kills, and the check of the output
 * windows against what the feed sent. Unit-tested in restore-report.test.ts.
 */
import type { LogLine } from './restore-replica.js';
import type { SeenRow } from './restore-output.js';

/** Seconds after the SIGKILL at which each phase of the new replica ended; NaN: not seen. */
export interface Recovery {
  /** The new process served its HTTP port (node + tsx start, topology, DuckDB, clients). */
  up: number;
  /** The group gave it the partitions ('partitions assigned'): the dead member's session had to end. */
  joined: number;
  /** Every task fenced its producer, read offset + checkpoint, rebuilt its table ('task started'). */
  started: number;
  /** Every replay in restore mode done ('restore finished'; the task start if nothing to replay). */
  restored: number;
  /** /readyz answered 200. */
  ready: number;
  /** A first output record of the new replica reached a read_committed consumer. */
  firstOutput: number;
  /** Longest step of any task start, ms (fence, offsets, recover, state). */
  steps: Record<string, number>;
  /** Longest 'restore finished' seconds (= sluice_restore_duration_seconds) and records replayed in all. */
  restoreSeconds: number;
  restoredRecords: number;
}

export const PHASES = ['up', 'joined', 'started', 'restored', 'ready', 'firstOutput'] as const;

/** `lines`: the new replica's log; `rows`: every output row seen so far; `graceMs`: the window's grace. */
export function recovery(killedAt: number, lines: LogLine[], readyAt: number, rows: SeenRow[]): Recovery {
  const s = (t: number | undefined) => (t === undefined ? NaN : (t - killedAt) / 1000);
  const at = (msg: string) => lines.find((l) => l.msg === msg)?.time;
  const last = (msg: string) => lines.filter((l) => l.msg === msg).reduce<number | undefined>((a, l) => Math.max(a ?? 0, l.time), undefined);
  const joinedAt = at('partitions assigned');
  const started = last('task started');
  const restores = lines.filter((l) => l.msg === 'restore finished');
  const steps: Record<string, number> = {};
  for (const l of lines.filter((x) => x.msg === 'task started')) {
    for (const [k, v] of Object.entries((l.ms ?? {}) as Record<string, number>)) steps[k] = Math.max(steps[k] ?? 0, v);
  }
  // only the new replica can commit once it holds the partitions
  const first = joinedAt === undefined ? undefined : rows.find((r) => r.at >= joinedAt);
  return {
    up: s(lines.find((l) => /^metrics on /.test(l.msg ?? ''))?.time),
    joined: s(joinedAt),
    started: s(started),
    restored: s(Math.max(started ?? NaN, last('restore finished') ?? 0)),
    ready: s(readyAt),
    firstOutput: s(first?.at),
    steps,
    restoreSeconds: restores.reduce((a, l) => Math.max(a, Number(l.seconds ?? 0)), 0),
    restoredRecords: restores.reduce((a, l) => a + Number(l.records ?? 0), 0),
  };
}

/**
 * The longest close → visible (s) of the windows the outage delayed: those that could close before
 * the new replica was ready, emitted by it (visible after it joined). `closable`: per window end,
 * when the feed sent the event that let it close (the wall clock, unless the feed fell behind).
 */
export function delayedByOutage(rows: SeenRow[], joinedAt: number, readyAt: number, closable: Map<number, number>): number {
  let worst = NaN;
  for (const r of rows) {
    const closed = closable.get(r.end);
    if (closed !== undefined && r.at >= joinedAt && closed <= readyAt) worst = Math.max(Number.isNaN(worst) ? 0 : worst, (r.at - closed) / 1000);
  }
  return worst;
}

/** p50 (lower median) and max of finite values; NaN when none. */
export function p50max(xs: number[]): { p50: number; max: number } {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  return s.length === 0 ? { p50: NaN, max: NaN } : { p50: s[Math.ceil(s.length / 2) - 1]!, max: s.at(-1)! };
}

export interface OutputCheck { windows: number; checked: number; lost: number; duplicated: number; mismatched: number; unexpected: number; examples: string[] }

/**
 * Windows that began at or after `from` and closed by `until` (end + grace ≤ until, in every
 * partition since each gets records all the time) must each be in the output once, with `views`
 * = the valid events the feed sent into it.
 */
export function checkOutputs(rows: SeenRow[], expected: Map<string, number>, from: number, until: number, sizeMs: number, graceMs: number): OutputCheck {
  const inRange = (start: number) => start >= from && start + sizeMs + graceMs <= until;
  const c: OutputCheck = { windows: 0, checked: 0, lost: 0, duplicated: 0, mismatched: 0, unexpected: 0, examples: [] };
  const note = (s: string) => void (c.examples.length < 5 && c.examples.push(s));
  const seen = new Map<string, number>();
  for (const r of rows) {
    if (!inRange(r.start)) continue;
    const k = `${r.start}|${r.key}`;
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    c.checked++;
    if (n > 1) (c.duplicated++, note(`duplicated ${k}`));
    const want = expected.get(k);
    if (want === undefined) (c.unexpected++, note(`unexpected ${k}`));
    else if (n === 1 && want !== r.views) (c.mismatched++, note(`${k}: views ${r.views}, sent ${want}`));
  }
  const windows = new Set<number>();
  for (const [k] of expected) {
    const start = Number(k.slice(0, k.indexOf('|')));
    if (!inRange(start)) continue;
    windows.add(start);
    if (!seen.has(k)) (c.lost++, note(`lost ${k}`));
  }
  c.windows = windows.size;
  return c;
}
