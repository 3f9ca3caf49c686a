/**
 * Compares the four committed outputs with the oracle: the output topic (read_committed), the
 * Parquet files the manifest lists, the dead-letter topic and the late topic. Each output gives
 * {expected, got, lost, duplicated, unexpected, mismatched}; examples of each kind go to `details`.
 * Values compare exactly, except doubles, which may differ from the oracle's in the last bits
 * (summation order): |a − b| < 5e-10, what the pipeline test's toBeCloseTo(…, 9) accepts.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import type { KafkaMessage } from 'kafkajs';
import type { ExpectedWindow, OracleResult, Position } from '../support/oracle.js';
import { METRICS, readParquetRows, type Row } from '../support/pipeline.js';
import { readToEnd } from '../support/read.js';
import type { ChaosInput, ChaosTopology } from './input.js';


export interface OutputCheck {
  output: 'topic' | 'parquet' | 'dead letters' | 'late' | 'early';
  expected: number;
  got: number;
  lost: number;
  duplicated: number;
  unexpected: number;
  mismatched: number;
  details: string[];
}

export const clean = (c: OutputCheck): boolean => c.lost + c.duplicated + c.unexpected + c.mismatched === 0 && c.got === c.expected;

const keyOf = (start: number, page: unknown) => `${start}|${String(page)}`;

function sameNumber(a: number | null, b: number | null): boolean {
  if (a === null || b === null) return a === b;
  return a === b || Math.abs(a - b) < 5e-10;
}

function compareRows(output: OutputCheck['output'], got: Row[], want: ExpectedWindow[]): OutputCheck {
  const expected = new Map(want.map((w) => [keyOf(w.start, w.group.page), w]));
  const c: OutputCheck = { output, expected: expected.size, got: got.length, lost: 0, duplicated: 0, unexpected: 0, mismatched: 0, details: [] };
  if (expected.size !== want.length) c.details.push(`oracle: ${want.length - expected.size} (window, page) keys repeat across partitions`);
  const seen = new Map<string, number>();
  for (const row of got) {
    const k = keyOf(row.start, row.page);
    seen.set(k, (seen.get(k) ?? 0) + 1);
    const w = expected.get(k);
    if (!w) {
      c.unexpected++;
      if (c.details.length < 10) c.details.push(`${output}: unexpected window ${k}`);
      continue;
    }
    if ((seen.get(k) ?? 0) > 1) continue; // counted as a duplicate below; compare the first only
    const bad = [row.end === w.end ? undefined : `end ${row.end} ≠ ${w.end}`, ...METRICS.map((m) => (sameNumber(row.metrics[m] ?? null, w.metrics[m] ?? null) ? undefined : `${m} ${row.metrics[m]} ≠ ${w.metrics[m]}`))].filter(Boolean);
    if (bad.length > 0) {
      c.mismatched++;
      if (c.details.length < 10) c.details.push(`${output}: window ${k} (partition ${w.partition}): ${bad.join(', ')}`);
    }
  }
  for (const [k, n] of seen) if (n > 1) {
    c.duplicated += n - 1;
    if (c.details.length < 10) c.details.push(`${output}: window ${k} ×${n}`);
  }
  for (const [k, w] of expected) if (!seen.has(k)) {
    c.lost++;
    if (c.details.length < 10) c.details.push(`${output}: window ${k} (partition ${w.partition}, offsets ${w.offsets[0]}…${w.offsets[w.offsets.length - 1]}) missing`);
  }
  return c;
}

/** The topic's committed records up to its end: call it once every replica has stopped (nothing can commit any more). */
/** Each record with its place in the topic (`partition:offset`): two copies of a source record sit at two places. */
const readCommitted = async (brokers: string[], topic: string, timeoutMs: number): Promise<Array<KafkaMessage & { at: string }>> =>
  (await readToEnd(brokers, topic, timeoutMs)).map((r) => Object.assign(r.message, { at: `${r.partition}:${r.message.offset}` }));

export async function checkTopic(brokers: string[], registryUrl: string, t: ChaosTopology, expected: OracleResult): Promise<OutputCheck> {
  const registry = new SchemaRegistry({ host: registryUrl });
  const messages = await readCommitted(brokers, t.output, 120_000);
  const rows: Row[] = [];
  for (const m of messages) {
    const v = (await registry.decode(m.value!)) as Record<string, unknown>;
    rows.push({ start: Number(v.window_start), end: Number(v.window_end), page: String(v.page), metrics: Object.fromEntries(METRICS.map((k) => [k, v[k] === null ? null : Number(v[k])])) });
  }
  return compareRows('topic', rows, expected.windows);
}

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

/**
 * The manifest's entries name the committed files; each must exist with the manifest's sha256 and
 * row count. A data file the manifest does not list counts as unexpected (a reader globbing the
 * folder would see it).
 */
export async function checkParquet(t: ChaosTopology, expected: OracleResult): Promise<OutputCheck> {
  const entries = walk(join(t.parquet, '_manifest')).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(f, 'utf8')) as { file: string; rows: number; sha256: string });
  const problems: string[] = [];
  const files: string[] = [];
  let manifestRows = 0;
  for (const e of entries) {
    const file = join(t.parquet, e.file);
    if (!existsSync(file)) {
      problems.push(`manifest lists ${e.file}, which does not exist`);
      continue;
    }
    const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
    if (sha !== e.sha256) problems.push(`${e.file}: sha256 differs from the manifest's`);
    files.push(file);
    manifestRows += e.rows;
  }
  const listed = new Set(entries.map((e) => e.file));
  const unlisted = walk(t.parquet).filter((f) => f.endsWith('.parquet') && !relative(t.parquet, f).startsWith('_') && !listed.has(relative(t.parquet, f)));
  let rows: Row[] = [];
  if (files.length > 0) rows = await readParquetRows(files);
  if (rows.length !== manifestRows) problems.push(`files hold ${rows.length} rows, the manifest says ${manifestRows}`);
  const c = compareRows('parquet', rows, expected.windows);
  c.unexpected += unlisted.length + problems.length;
  c.details.push(...unlisted.slice(0, 5).map((f) => `parquet: ${relative(t.parquet, f)} is not in the manifest`), ...problems.slice(0, 5));
  return c;
}

/** Dead letters and late records: by source position (headers), each exactly once, carrying the input's exact key and value bytes. */
export async function checkPositions(brokers: string[], output: 'dead letters' | 'late', topic: string, want: Position[], input: ChaosInput, sourceTopic: string): Promise<OutputCheck> {
  const messages = await readCommitted(brokers, topic, 60_000);
  const c: OutputCheck = { output, expected: want.length, got: messages.length, lost: 0, duplicated: 0, unexpected: 0, mismatched: 0, details: [] };
  const expected = new Set(want.map((p) => `${p.partition}:${p.offset}`));
  const byPos = new Map(input.messages.map((m) => [`${m.partition}:${m.offset}`, m]));
  const seen = new Map<string, number>();
  const places = new Map<string, string[]>();
  for (const m of messages) {
    const h = (name: string) => m.headers?.[name]?.toString();
    const pos = `${h('sluice.source.partition')}:${h('sluice.source.offset')}`;
    seen.set(pos, (seen.get(pos) ?? 0) + 1);
    places.set(pos, [...(places.get(pos) ?? []), m.at]);
    if (!expected.has(pos)) {
      c.unexpected++;
      if (c.details.length < 10) c.details.push(`${output}: unexpected record from ${pos} (${byPos.get(pos)?.kind ?? 'not in the input'})`);
      continue;
    }
    const src = byPos.get(pos)!;
    if (seen.get(pos) === 1 && (h('sluice.source.topic') !== sourceTopic || !m.value?.equals(src.value) || m.key?.toString() !== src.key)) {
      c.mismatched++;
      if (c.details.length < 10) c.details.push(`${output}: record from ${pos} differs from the input's key/value bytes`);
    }
  }
  for (const [pos, n] of seen) if (n > 1 && expected.has(pos)) {
    c.duplicated += n - 1;
    if (c.details.length < 10) c.details.push(`${output}: ${pos} ×${n} (at ${topic} ${places.get(pos)!.join(', ')})`);
  }
  for (const pos of expected) if (!seen.has(pos)) {
    c.lost++;
    if (c.details.length < 10) c.details.push(`${output}: ${pos} (${byPos.get(pos)?.kind}) missing`);
  }
  return c;
}

