/**
 * Session windows through the real stack (docs/windows.md, "Sessions"): one stage and two, each
 * against the independent oracle, on the topic and in Parquet (one file per commit's sessions),
 * with the same dead letters and late records; and two stages through crashes and a SIGKILL.
 */
import { rmSync } from 'node:fs';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { startReplica, type Replica } from '../../src/runtime/replica.js';
import { loadTopology } from '../../src/topology/loader.js';
import type { Supervisor } from '../chaos/replicas.js';
import { crashAndScale } from '../support/crash-scenario.js';
import { oracle, type OracleResult } from '../support/oracle.js';
import { METRICS, writeTopology, type Row, type TestTopology } from '../support/pipeline.js';
import { endpoints } from '../support/services.js';
import { committed, expectOracleRows, oracleInput, produce, sorted } from '../support/two-stage.js';

const quiet = pino({ level: 'warn' });
const SESSION = '{ type: session, gap: 2s, grace: 1s }';

/** Rows as comparable text: one stage may emit the same (page, start) from two partitions. */
const lines = (rows: Array<Row | { start: number; end: number; group: Record<string, unknown>; metrics: Record<string, number | null> }>) =>
  rows
    .map((r) => {
      const page = 'page' in r ? r.page : String(r.group.page);
      return `${page} ${r.start} ${r.end} ${METRICS.map((m) => (m === 'latency_p95' ? Number(r.metrics[m]).toFixed(6) : r.metrics[m])).join(' ')}`;
    })
    .sort();

function expectSessions(expected: OracleResult): void {
  expect(expected.windows.length, 'sessions closed').toBeGreaterThan(50);
  expect(expected.windows.some((w) => w.end > w.start), 'sessions of several records').toBe(true);
  expect(expected.late.length).toBeGreaterThan(5);
}

describe('session windows', () => {
  const replicas: Replica[] = [];
  const dirs: string[] = [];
  let sup: Supervisor | undefined;
  afterAll(async () => {
    await sup?.killAll();
    for (const r of replicas) await r.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function start(t: TestTopology, n: number): Promise<void> {
    const { brokers, registryUrl, redisUrl } = endpoints();
    for (let i = 0; i < n; i++) replicas.push(await startReplica(await loadTopology(t.file), { brokers, registryUrl, redisUrl }, { port: 0, log: quiet }));
  }

  it('one stage: the oracle\'s sessions per partition, on the topic and in Parquet, one file per commit', { timeout: 180_000 }, async () => {
    const t = writeTopology({ window: SESSION });
    dirs.push(t.dir);
    const input = await produce(t, { keyBy: undefined });
    const expected = oracle(oracleInput(input), (await loadTopology(t.file, { checkSql: false })).spec);
    expectSessions(expected);
    await start(t, 1);
    const out = await committed(t, true);
    expect(lines(out.topic)).toEqual(lines(expected.windows));
    expect(lines(out.parquet)).toEqual(lines(expected.windows));
    expect(out.dlq).toEqual(sorted(expected.deadLetters));
    expect(out.late).toEqual(sorted(expected.late));
    expect([...out.files.keys()].every((f) => /_p\d+_o\d+\.parquet$/.test(f)), 'session files are named by their commit').toBe(true);
    expect(out.files.size).toBeLessThan(expected.windows.length);
  });

  it('two stages: one row per (key, session) across partitions, the keyed oracle', { timeout: 180_000 }, async () => {
    const t = writeTopology({ window: SESSION, twoStage: true });
    dirs.push(t.dir);
    const input = await produce(t);
    const expected = oracle(oracleInput(input), (await loadTopology(t.file, { checkSql: false })).spec, { keyed: true });
    expectSessions(expected);
    await start(t, 2);
    const out = await committed(t);
    expectOracleRows(out.topic, expected);
    expectOracleRows(out.parquet, expected);
    expect(out.dlq).toEqual(sorted(expected.deadLetters));
    expect(out.late).toEqual(sorted(expected.late));
  });

  it('two stages through crash points, 2 → 3 replicas and a SIGKILL: the keyed oracle exactly', { timeout: 300_000 }, async () => {
    const t = writeTopology({ window: SESSION, twoStage: true });
    dirs.push(t.dir);
    const input = await produce(t);
    const expected = oracle(oracleInput(input), (await loadTopology(t.file, { checkSql: false })).spec, { keyed: true });
    await crashAndScale(t.file, t.dir, (s) => (sup = s));
    const out = await committed(t);
    expectOracleRows(out.topic, expected);
    expectOracleRows(out.parquet, expected);
    expect(out.dlq).toEqual(sorted(expected.deadLetters));
    expect(out.late).toEqual(sorted(expected.late));
  });
});
