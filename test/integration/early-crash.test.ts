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
import { afterAll, describe, expect, it } from 'vitest';
import { loadTopology } from '../../src/topology/loader.js';
import { Supervisor } from '../chaos/replicas.js';
import type { OutputCheck } from '../chaos/verify.js';
import { compareEarly, consistentEarly, readEarlyRows, type EarlyRow } from '../chaos/verify-early.js';
import { earlyOracle } from '../support/early-oracle.js';
import { oracle } from '../support/oracle.js';
import { writeTopology, type TestTopology } from '../support/pipeline.js';
import { endpoints } from '../support/services.js';
import { committed, expectOracleRows, oracleInput, produce, sorted } from '../support/two-stage.js';

/** First a death between sendOffsets and EndTxn (an aborted transaction), then one after a commit. */
const ABORT = 'after-append:0.05,before-commit:0.25';
const COMMITTED = 'after-commit:0.25,mid-publish:0.1';
const INTERVAL = 3000;
const REQUIRED = ['before-commit', 'after-commit'];

function expectClean(c: OutputCheck): void {
  expect(c.details).toEqual([]);
  expect({ lost: c.lost, duplicated: c.duplicated, unexpected: c.unexpected, mismatched: c.mismatched, got: c.got }).toEqual({ lost: 0, duplicated: 0, unexpected: 0, mismatched: 0, got: c.expected });
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
    const topic = `${t.output}_early`;
    const visible = await readEarlyRows(brokers, registryUrl, topic);
    const all = await readEarlyRows(brokers, registryUrl, topic, { uncommitted: true });
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
    expectClean(compareEarly(visible, early));
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
    expect(visible.length, 'early rows (how many depends on stage 1\'s batching)').toBeGreaterThan(50);
    // early rows may belong to windows still open at the end of the input (the oracle's pending ones)
    expectClean(consistentEarly(visible, expected));
    console.log(`${notes.join('\n')}\nearly rows: ${visible.length} committed, ${all.length} under read_uncommitted; final rows ${expected.windows.length}`);
  });
});
