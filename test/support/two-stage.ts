/**
 * Helpers of the two-stage tests (docs/keyed-windows.md): one seeded input keyed by user over 6
 * partitions, and what a run committed, read back from Kafka and the Parquet folder.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { expect } from 'vitest';
import { produceFixedInput, type FixedInput, type FixedInputOptions } from './input.js';
import type { OracleRecord, OracleResult } from './oracle.js';
import { METRICS, readParquetRows, waitPublished, type Row, type TestTopology } from './pipeline.js';
import { readToEnd, waitProcessed, waitStage2 } from './read.js';
import { endpoints } from './services.js';

export const PARTITIONS = 6;
export const INPUT = { partitions: PARTITIONS, count: 3000, seed: 21, duplicates: 0.03, late: 0.02, invalid: 0.03, keys: 12, keyBy: 'user_id' } as const;

const keyOf = (r: { start: number; page: unknown }) => `${r.start}|${String(r.page)}`;

/** What a run committed, read back from Kafka and the Parquet folder. */
export interface Committed { topic: Row[]; parquet: Row[]; dlq: string[]; late: string[]; files: Map<string, string> }

/** Waits for the source to be processed and the last files published (`oneStage`: a single-stage topology). */
export async function settle(t: TestTopology, oneStage = false): Promise<void> {
  const { brokers } = endpoints();
  const processed = await waitProcessed(brokers, t.group, t.source);
  await waitPublished(t, oneStage ? processed : await waitStage2(brokers, t.group, t.repartition));
}

export async function committed(t: TestTopology, oneStage = false): Promise<Committed> {
  const { brokers, registryUrl } = endpoints();
  await settle(t, oneStage);
  const registry = new SchemaRegistry({ host: registryUrl });
  const topic = await Promise.all(
    (await readToEnd(brokers, t.output)).map(async ({ message }) => {
      const v = (await registry.decode(message.value!)) as Record<string, unknown>;
      expect(message.key?.toString()).toBe(v.page);
      return { start: Number(v.window_start), end: Number(v.window_end), page: String(v.page), metrics: Object.fromEntries(METRICS.map((m) => [m, v[m] as number])) };
    }),
  );
  const positions = async (name: string) =>
    (await readToEnd(brokers, name)).map(({ message: m }) => `${m.headers?.['sluice.source.partition']?.toString()}:${m.headers?.['sluice.source.offset']?.toString()}`).sort();
  // the manifest of each published file: its path and sha256
  const files = new Map<string, string>();
  const manifests = join(t.parquet, '_manifest');
  for (const f of (await readdir(manifests, { recursive: true })).filter((f) => f.endsWith('.json'))) {
    const entry = JSON.parse(await readFile(join(manifests, f), 'utf8')) as { file: string; sha256: string };
    files.set(entry.file, entry.sha256);
  }
  return { topic, parquet: await readParquetRows(`${t.parquet}/window_date=*/*.parquet`), dlq: await positions(t.dlq), late: await positions(t.late), files };
}

export function expectOracleRows(got: Row[], expected: OracleResult): void {
  const want = new Map(expected.windows.map((w) => [keyOf({ start: w.start, page: w.group.page }), w]));
  const keys = got.map(keyOf);
  expect(new Set(keys).size, 'one row per (page, window)').toBe(keys.length);
  expect(new Set(keys)).toEqual(new Set(want.keys()));
  for (const row of got) {
    const w = want.get(keyOf(row))!;
    expect(row.end).toBe(w.end);
    for (const m of METRICS) expect(row.metrics[m], `${m} of ${keyOf(row)}`).toBeCloseTo(w.metrics[m] as number, 9);
  }
}

export const sorted = (ps: Array<{ partition: number; offset: number }>) => ps.map((p) => `${p.partition}:${p.offset}`).sort();

/** The oracle input of the whole topic, from one or more sends of the same seeded input. */
export function oracleInput(...inputs: FixedInput[]): Map<number, OracleRecord[]> {
  const all = new Map<number, OracleRecord[]>();
  for (const input of inputs) for (const [p, records] of input.oracleInput()) all.set(p, [...(all.get(p) ?? []), ...records].sort((a, b) => a.offset - b.offset));
  return all;
}


/** Produces the seeded input (or the records of some of its partitions) to t's source topic. */
export function produce(t: TestTopology, extra: Partial<FixedInputOptions> = {}): Promise<FixedInput> {
  const { brokers, registryUrl } = endpoints();
  return produceFixedInput({ brokers, registryUrl, topic: t.source, topologyFile: t.file, ...INPUT, ...extra });
}
