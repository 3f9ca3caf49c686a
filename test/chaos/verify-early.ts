/**
 * The early topic (`emit: { early }`, docs/semantics.md "Early results") against what the input
 * gives. One stage: exactly the rows of the early oracle (test/support/early-oracle.ts), each
 * (page, window, revision) once with its values. Two stages, where which rows appear depends on
 * stage 1's batching: each (page, window, revision) once, of a window of the input, and per window
 * the views never shrink as the revision grows and stay at or below the window's final count
 * (each early row aggregates a prefix of the window's rows).
 */
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { ExpectedEarly } from '../support/early-oracle.js';
import type { OracleResult } from '../support/oracle.js';
import { METRICS } from '../support/pipeline.js';
import { readToEnd, type ReadMessage } from '../support/read.js';
import type { OutputCheck } from './verify.js';

export interface EarlyRow { key: string; page: string; start: number; end: number; revision: number; metrics: Record<string, number | null> }

export const earlyKey = (page: unknown, start: number, revision: number): string => `${String(page)}|${start}|${revision}`;

const sameNumber = (a: number | null | undefined, b: number | null | undefined): boolean =>
  a === null || b === null || a === undefined || b === undefined ? a === b : a === b || Math.abs(a - b) < 5e-10;

export async function readEarlyRows(brokers: string[], registryUrl: string, topic: string, opts: { uncommitted?: boolean } = {}): Promise<EarlyRow[]> {
  const registry = new SchemaRegistry({ host: registryUrl });
  const read: ReadMessage[] = await readToEnd(brokers, topic, 120_000, opts);
  return Promise.all(read.map(async ({ message }) => {
    const v = (await registry.decode(message.value!)) as Record<string, unknown>;
    const row = { page: String(v.page), start: Number(v.window_start), end: Number(v.window_end), revision: Number(v.revision) };
    return { ...row, key: earlyKey(row.page, row.start, row.revision), metrics: Object.fromEntries(METRICS.map((m) => [m, v[m] === null ? null : Number(v[m])])) };
  }));
}

function counted(got: EarlyRow[], expectedKeys: Set<string>, c: OutputCheck): Map<string, EarlyRow> {
  const first = new Map<string, EarlyRow>();
  for (const r of got) {
    if (first.has(r.key)) {
      c.duplicated++;
      if (c.details.length < 10) c.details.push(`early: ${r.key} repeated`);
    } else first.set(r.key, r);
  }
  for (const k of expectedKeys) if (!first.has(k)) {
    c.lost++;
    if (c.details.length < 10) c.details.push(`early: ${k} missing`);
  }
  return first;
}

/** One stage: exactly `want`. */
export function compareEarly(got: EarlyRow[], want: ExpectedEarly[]): OutputCheck {
  const expected = new Map(want.map((w) => [earlyKey(w.group.page, w.start, w.revision), w]));
  const c: OutputCheck = { output: 'early', expected: expected.size, got: got.length, lost: 0, duplicated: 0, unexpected: 0, mismatched: 0, details: [] };
  for (const [k, r] of counted(got, new Set(expected.keys()), c)) {
    const w = expected.get(k);
    if (!w) {
      c.unexpected++;
      if (c.details.length < 10) c.details.push(`early: unexpected ${k}`);
      continue;
    }
    const bad = [r.end === w.end ? undefined : `end ${r.end} ≠ ${w.end}`, ...METRICS.map((m) => (sameNumber(r.metrics[m], w.metrics[m]) ? undefined : `${m} ${r.metrics[m]} ≠ ${w.metrics[m]}`))].filter(Boolean);
    if (bad.length > 0) {
      c.mismatched++;
      if (c.details.length < 10) c.details.push(`early: ${k}: ${bad.join(', ')}`);
    }
  }
  return c;
}

/** Two stages: what holds whatever stage 1's batching; `expected` counts the distinct rows read. */
export function consistentEarly(got: EarlyRow[], oracle: OracleResult): OutputCheck {
  const keys = new Set(got.map((r) => r.key));
  const c: OutputCheck = { output: 'early', expected: keys.size, got: got.length, lost: 0, duplicated: 0, unexpected: 0, mismatched: 0, details: [] };
  const finals = new Map([...oracle.windows, ...oracle.pending].map((w) => [`${String(w.group.page)}|${w.start}`, w]));
  const byWindow = new Map<string, EarlyRow[]>();
  for (const r of counted(got, keys, c).values()) {
    const w = `${r.page}|${r.start}`;
    byWindow.set(w, [...(byWindow.get(w) ?? []), r]);
  }
  for (const [w, rows] of byWindow) {
    const f = finals.get(w);
    if (!f) {
      c.unexpected += rows.length;
      if (c.details.length < 10) c.details.push(`early: rows of ${w}, a window the oracle does not know`);
      continue;
    }
    const views = rows.sort((a, b) => a.revision - b.revision).map((r) => r.metrics.views ?? 0);
    if (views.some((v, i) => (i > 0 && v < views[i - 1]!) || v > (f.metrics.views ?? 0))) {
      c.mismatched++;
      if (c.details.length < 10) c.details.push(`early: views of ${w} by revision ${views.join(', ')}, final ${f.metrics.views}`);
    }
  }
  return c;
}
