/**
 * The reference cases (test/reference/cases/*.yaml): input records with event times → the final
 * rows sluice must emit, each case naming the ksqlDB or Kafka Streams test it was translated from
 * (or "sluice rule" where sluice deliberately differs, with the reason; docs/semantics.md).
 * Loaded and checked here without services; run through the real pipeline by
 * test/integration/reference.test.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';

export const CASES_DIR = join(dirname(fileURLToPath(import.meta.url)), 'cases');
export const EVENT_SCHEMA = join(dirname(fileURLToPath(import.meta.url)), 'event.avsc');

/** One input record: event time, group key (`id`, null for a null key), value, partition (default 0). */
const Input = z.strictObject({
  ts: z.number().int().nonnegative(),
  id: z.string().nullable().optional(),
  v: z.number().int().nullable().optional(),
  name: z.string().nullable().optional(),
  p: z.number().int().nonnegative().optional(),
});
/** An expected output row: group key, window bounds (ms), then metric values by name (early rows: `revision`). */
const Row = z.looseObject({ id: z.string().nullable(), start: z.number().int(), end: z.number().int() });

export const RefCase = z.strictObject({
  name: z.string().min(1),
  /** Where the case comes from: `ksqlDB <file>: <test>`, `Kafka Streams <Class>#<test>`, or `sluice rule: <why>`. */
  source: z.string().regex(/^(ksqlDB |Kafka Streams |sluice rule: )/, 'source must start with "ksqlDB ", "Kafka Streams " or "sluice rule: "'),
  /** How the reference's output was translated (emit-changes → final rows, a default that differs, …). */
  note: z.string().optional(),
  /** The feature this case waits for (not on main yet): the runner lists it as a todo. */
  pending: z.string().optional(),
  /** The topology's `window:` block, as written in a topology file. */
  window: z.record(z.string(), z.union([z.string(), z.number()])),
  metrics: z.record(z.string(), z.string()),
  /** More top-level topology fields (filter, having, emit), as written in a topology file. */
  topology: z.record(z.string(), z.unknown()).optional(),
  partitions: z.number().int().positive().default(1),
  /** Run single-stage (default), two-stage (source.partitioned_by_group_key: false) or both. */
  stages: z.enum(['one', 'two', 'both']).default('one'),
  /**
   * The runner appends one record per partition far ahead in event time (id `~flush`), so every
   * window of the case closes and its final row is out; these fields override the flush record's
   * (e.g. a value a filter accepts). Its own windows stay open and are never compared.
   */
  flush: Input.omit({ ts: true, p: true }).partial().default({}),
  input: z.array(Input).min(1),
  /** The final rows: one per (key, window), in any order. */
  rows: z.array(Row),
  /** Indexes into `input` of the records that must go to the late topic (default: none). */
  late: z.array(z.number().int().nonnegative()).default([]),
  /** Early results (`emit: { early }`): rows of the `<sink>_early` topic, each with its `revision`. */
  early: z.array(Row).optional(),
});
export type RefCase = z.output<typeof RefCase>;
export type RefInput = z.output<typeof Input>;

export interface CaseFile { file: string; cases: RefCase[] }

/** Every case file, parsed and checked (a malformed case fails loudly, naming its file and index). */
export function loadCases(dir = CASES_DIR): CaseFile[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((file) => {
      const doc = parse(readFileSync(join(dir, file), 'utf8')) as unknown;
      const parsed = z.array(RefCase).safeParse(doc);
      if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
      for (const c of parsed.data) checkCase(file, c);
      return { file, cases: parsed.data };
    });
}

/** Cross-field checks: late indexes point into the input, partitions exist, names are unique within a file. */
function checkCase(file: string, c: RefCase): void {
  const where = `${file}: ${c.name}`;
  for (const i of c.late) if (i >= c.input.length) throw new Error(`${where}: late index ${i} is past the input (${c.input.length} records)`);
  for (const r of c.input) if ((r.p ?? 0) >= c.partitions) throw new Error(`${where}: partition ${r.p} of ${c.partitions}`);
  if (c.input.some((r) => r.id === FLUSH_KEY)) throw new Error(`${where}: the key ${FLUSH_KEY} is the runner's`);
}

export const FLUSH_KEY = '~flush';
