/**
 * The reference cases (test/reference/cases/*.yaml, translated from ksqlDB's query-validation
 * tests and Kafka Streams' window tests; docs/semantics.md) through the real pipeline: a fresh
 * topic per case, a replica in this process, the output topic and the late topic read back
 * read_committed. Each case's final rows must be exactly the output (no row missing, none extra,
 * none twice) and its late records exactly the late topic. Cases waiting for a feature that is
 * not built yet are listed as todo, naming the feature.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { FLUSH_KEY, loadCases, type RefCase } from '../reference/cases.js';
import { runCases, type CaseOutcome, type CaseRun } from '../support/reference-run.js';

const files = loadCases();
const modesOf = (c: RefCase): boolean[] => (c.stages === 'both' ? [false, true] : c.stages === 'two' ? [true] : [false]);
const keyOf = (file: string, c: RefCase, twoStage: boolean) => `${file} | ${c.name} | ${twoStage ? 'two stages' : 'one stage'}`;
const runs: CaseRun[] = files.flatMap(({ file, cases }) => cases.filter((c) => !c.pending).flatMap((c) => modesOf(c).map((twoStage) => ({ key: keyOf(file, c, twoStage), c, twoStage }))));

let outcomes = new Map<string, CaseOutcome>();
beforeAll(async () => {
  outcomes = await runCases(runs, { concurrency: 4 });
}, 170_000);

/** A row as compared: key, bounds, then the case's metrics (and revision, for early rows) in a fixed order. */
function project(row: Record<string, unknown>, c: RefCase, extra: string[] = []): Record<string, unknown> {
  const start = row.start ?? row.window_start;
  const end = row.end ?? row.window_end;
  const out: Record<string, unknown> = { id: row.id ?? null, start: Number(start), end: Number(end) };
  for (const m of [...Object.keys(c.metrics), ...extra]) out[m] = row[m] ?? null;
  return out;
}
const order = (rows: Array<Record<string, unknown>>) => rows.map((r) => JSON.stringify(r)).sort();

/** Source position (partition, offset) of each input record: a fresh topic, produced in order. */
function positions(c: RefCase): string[] {
  const next = new Map<number, number>();
  return c.input.map((r) => {
    const p = r.p ?? 0;
    const offset = next.get(p) ?? 0;
    next.set(p, offset + 1);
    return `${p}:${offset}`;
  });
}

for (const { file, cases } of files) {
  describe(file, () => {
    for (const c of cases) {
      if (c.pending) {
        it.todo(`${c.name} — waits for ${c.pending} [${c.source}]`);
        continue;
      }
      for (const twoStage of modesOf(c)) {
        it(`${c.name}${twoStage ? ' (two stages)' : ''} [${c.source}]`, () => {
          const o = outcomes.get(keyOf(file, c, twoStage));
          if (!o?.ok) throw new Error(`the case did not run: ${o ? o.error : 'no outcome'}`);
          const rows = o.rows.filter((r) => r.id !== FLUSH_KEY).map((r) => project(r, c));
          expect(order(rows), 'final rows').toEqual(order(c.rows.map((r) => project(r, c))));
          const where = positions(c);
          expect(o.late.map((l) => `${l.partition}:${l.offset}`).sort(), 'late records').toEqual(c.late.map((i) => where[i]!).sort());
          if (c.early) {
            const early = o.early.filter((r) => r.id !== FLUSH_KEY).map((r) => project(r, c, ['revision']));
            expect(order(early), 'early rows').toEqual(order(c.early.map((r) => project(r, c, ['revision']))));
          }
        });
      }
    }
  });
}
