/**
 * Early results across aborts and crashes (issue 11, docs/semantics.md "Early results"): early
 * rows go into the batch's transaction, so a read_committed reader never sees those of an aborted
 * batch, and a replay after a crash repeats no tick. `sluice run` processes on one slot, killing
 * themselves at the crash points (src/runtime/faults.ts) until one died between sendOffsets and
 * EndTxn (an aborted transaction holding early rows) and one right after a commit; the committed
 * early topic must then hold exactly the rows computed independently from the input
 * (test/support/early-oracle.ts), each (page, window, revision) once with its values, while a
 * read_uncommitted reader sees the aborted batches' copies too.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTopology } from '../../src/topology/loader.js';
import { Supervisor } from '../chaos/replicas.js';
import { earlyOracle, type ExpectedEarly } from '../support/early-oracle.js';
import { oracle } from '../support/oracle.js';
import { METRICS, writeTopology, type TestTopology } from '../support/pipeline.js';
import { readToEnd, type ReadMessage } from '../support/read.js';
import { endpoints } from '../support/services.js';
import { committed, expectOracleRows, oracleInput, produce, sorted } from '../support/two-stage.js';

/** First a death between sendOffsets and EndTxn (an aborted transaction), then one after a commit. */
const ABORT = 'after-append:0.05,before-commit:0.25';
const COMMITTED = 'after-commit:0.25,mid-publish:0.1';
const INTERVAL = 3000;
const REQUIRED = ['before-commit', 'after-commit'];

interface EarlyRow { key: string; page: string; start: number; end: number; revision: number; metrics: Record<string, number | null> }

const keyOf = (page: unknown, start: number, revision: number) => `${String(page)}|${start}|${revision}`;

async function decode(registry: SchemaRegistry, read: ReadMessage[]): Promise<EarlyRow[]> {
  return Promise.all(read.map(async ({ message }) => {
    const v = (await registry.decode(message.value!)) as Record<string, unknown>;
    const row = { page: String(v.page), start: Number(v.window_start), end: Number(v.window_end), revision: Number(v.revision) };
    return { ...row, key: keyOf(row.page, row.start, row.revision), metrics: Object.fromEntries(METRICS.map((m) => [m, v[m] === null ? null : Number(v[m])])) };
  }));
}

function expectEarlyRows(got: EarlyRow[], want: ExpectedEarly[]): void {
  const expected = new Map(want.map((w) => [keyOf(w.group.page, w.start, w.revision), w]));
  expect(expected.size, 'the oracle gives one row per (page, window, revision)').toBe(want.length);
  const keys = got.map((r) => r.key);
  const repeated = keys.filter((k, i) => keys.indexOf(k) !== i);
  expect(repeated, 'early rows repeated on the committed topic').toEqual([]);
  expect([...keys].sort()).toEqual([...expected.keys()].sort());
  for (const row of got) {
    const w = expected.get(row.key)!;
    expect(row.end, row.key).toBe(w.end);
    for (const m of METRICS) {
      if (w.metrics[m] === null) expect(row.metrics[m], `${m} of ${row.key}`).toBeNull();
      else expect(row.metrics[m], `${m} of ${row.key}`).toBeCloseTo(w.metrics[m]!, 9);
    }
  }
}

/**
 * Two stages: which early rows appear depends on stage 1's batching (docs/semantics.md), so the
 * rows are checked for what holds whatever the batching: one row per (page, window, revision),
 * each of a window of the input (emitted, or still open at its end), and per window the counts never shrink as the revision grows
 * and stay at or below the final row's (each early row aggregates a prefix of the window's rows).
 */
function expectEarlyConsistent(got: EarlyRow[], finals: Array<{ page: string; start: number; metrics: Record<string, number | null> }>): void {
  const keys = got.map((r) => r.key);
  expect(keys.filter((k, i) => keys.indexOf(k) !== i), 'early rows repeated on the committed topic').toEqual([]);
  const final = new Map(finals.map((r) => [`${r.page}|${r.start}`, r]));
  const byWindow = new Map<string, EarlyRow[]>();
  for (const r of got) byWindow.set(`${r.page}|${r.start}`, [...(byWindow.get(`${r.page}|${r.start}`) ?? []), r]);
  for (const [w, rows] of byWindow) {
    const f = final.get(w);
    expect(f, `early rows of ${w}, a window the oracle does not know`).toBeDefined();
    const counts = rows.sort((a, b) => a.revision - b.revision).map((r) => r.metrics.views!);
    for (let i = 1; i < counts.length; i++) expect(counts[i]!, `views of ${w} by revision: ${counts.join(', ')}`).toBeGreaterThanOrEqual(counts[i - 1]!);
    expect(counts.at(-1)!, `views of ${w}: early ${counts.join(', ')}, final ${f!.metrics.views}`).toBeLessThanOrEqual(f!.metrics.views!);
  }
}

describe('early results through crashes', () => {
  const dirs: string[] = [];
  const sups: Supervisor[] = [];
  afterAll(async () => {
    for (const sup of sups) await sup.killAll();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  /** `sluice run` replicas on `slots` slots, crashing at random crash points until each REQUIRED kind was hit. */
  async function crashingReplicas(t: TestTopology, slots: number): Promise<{ sup: Supervisor; crashes: () => Set<string>; notes: string[] }> {
    const { brokers, registryUrl, redisUrl } = endpoints();
    const logDir = join(t.dir, 'logs');
    mkdirSync(logDir);
    const notes: string[] = [];
    const crashes = () => new Set(sup.instances.flatMap((i) => (i.exit?.crashPoint ? [i.exit.crashPoint] : [])));
    const sup: Supervisor = new Supervisor({
      repoRoot: resolve(import.meta.dirname, '../..'),
      topologyFile: t.file,
      logDir,
      env: { KAFKA_BROKERS: brokers.join(','), SCHEMA_REGISTRY_URL: registryUrl, REDIS_URL: redisUrl, LOG_LEVEL: 'info' },
      // crash points armed, one kind after the other, until both were hit (at most 8 instances), then clean runs to the end
      faults: () => (sup.instances.length >= 8 ? undefined : !crashes().has('before-commit') ? ABORT : !crashes().has('after-commit') ? COMMITTED : undefined),
      onExit: () => undefined,
      note: (line) => notes.push(line),
    });
    sups.push(sup);
    await sup.scaleTo(slots);
    return { sup, crashes, notes };
  }

  /**
   * The early topic, read_committed and read_uncommitted: the latter also sees aborted batches'
   * rows, never other ones. `aborted`: some must have carried early rows (in two stages the
   * aborted transaction may have been stage 1's, which holds none).
   */
  async function readEarly(t: TestTopology, aborted: boolean): Promise<{ visible: EarlyRow[]; all: EarlyRow[] }> {
    const { brokers, registryUrl } = endpoints();
    const registry = new SchemaRegistry({ host: registryUrl });
    const topic = `${t.output}_early`;
    const visible = await decode(registry, await readToEnd(brokers, topic));
    const all = await decode(registry, await readToEnd(brokers, topic, 60_000, { uncommitted: true }));
    if (aborted) expect(all.length, 'rows of aborted batches under read_uncommitted').toBeGreaterThan(visible.length);
    expect(new Set(all.map((r) => r.key))).toEqual(new Set(visible.map((r) => r.key)));
    return { visible, all };
  }

  it.each([
    { kind: 'tumbling', window: undefined },
    { kind: 'hopping', window: '{ type: hopping, size: 10s, advance: 5s, grace: 2s }' },
  ])('$kind: aborted batches\' early rows stay invisible, a replay repeats no revision: exactly the rows the rules give', { timeout: 300_000 }, async ({ window }) => {
    // small batches: many transactions, each with early rows (a batch spans several intervals)
    const t = writeTopology({ window, sessionTimeout: '6s', batch: '{ max_records: 50, max_wait: 100ms }', extra: `emit: { early: ${INTERVAL}ms }\n` });
    dirs.push(t.dir);
    const input = await produce(t, { keyBy: undefined });
    const spec = (await loadTopology(t.file, { checkSql: false })).spec;
    const expected = oracle(oracleInput(input), spec);
    const early = earlyOracle(oracleInput(input), spec, INTERVAL, expected);
    expect(early.length, 'early rows expected').toBeGreaterThan(500);
    const { sup, crashes, notes } = await crashingReplicas(t, 1);
    const out = await committed(t, true);
    await sup.killAll(); // all committed: the next case needs the CPU
    for (const k of REQUIRED) expect(crashes(), notes.join('\n')).toContain(k);
    expectOracleRows(out.topic, expected);
    expectOracleRows(out.parquet, expected);
    expect(out.dlq).toEqual(sorted(expected.deadLetters));
    expect(out.late).toEqual(sorted(expected.late));
    const { visible, all } = await readEarly(t, true);
    expectEarlyRows(visible, early);
    console.log(`${notes.join('\n')}\nearly rows: ${early.length} expected, ${visible.length} committed, ${all.length} under read_uncommitted; final rows ${expected.windows.length}`);
  });

  it('two stages: no revision twice, aborted batches\' rows invisible, each row a prefix of its window', { timeout: 300_000 }, async () => {
    const t = writeTopology({ twoStage: true, sessionTimeout: '6s', batch: '{ max_records: 50, max_wait: 100ms }', extra: `emit: { early: ${INTERVAL}ms }\n` });
    dirs.push(t.dir);
    const input = await produce(t);
    const expected = oracle(oracleInput(input), (await loadTopology(t.file, { checkSql: false })).spec, { keyed: true });
    const { sup, crashes, notes } = await crashingReplicas(t, 2);
    const out = await committed(t);
    await sup.killAll();
    for (const k of REQUIRED) expect(crashes(), notes.join('\n')).toContain(k);
    expectOracleRows(out.topic, expected);
    const { visible, all } = await readEarly(t, false);
    expect(visible.length, 'early rows').toBeGreaterThan(200);
    // early rows may belong to windows still open at the end of the input (the oracle's pending ones)
    expectEarlyConsistent(visible, [...expected.windows, ...expected.pending].map((w) => ({ page: String(w.group.page), start: w.start, metrics: w.metrics })));
    console.log(`${notes.join('\n')}\nearly rows: ${visible.length} committed, ${all.length} under read_uncommitted; final rows ${expected.windows.length}`);
  });
});
