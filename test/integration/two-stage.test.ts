/**
 * Two stages on the real stack (docs/keyed-windows.md): an input of 6 partitions keyed by user,
 * grouped by page, must give exactly one row per (page, window) on the output topic and in
 * Parquet, equal to the keyed oracle (lateness by the record's own partition, windows closed by
 * the minimum stream time), and the same dead letters and late records as one stage would. The
 * same input processed at another speed per partition (one partition's records arriving only
 * after the others were processed) and by another number of replicas must commit the very same
 * results, down to the bytes of the Parquet files.
 */
import { rmSync } from 'node:fs';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { startReplica, type Replica } from '../../src/runtime/replica.js';
import { loadTopology } from '../../src/topology/loader.js';
import { expectLateHeaders, sourceRecords } from '../support/headers.js';
import { oracle, type OracleResult } from '../support/oracle.js';
import { readParquetRows, writeTopology, type TestTopology } from '../support/pipeline.js';
import { readToEnd, waitFor, waitProcessed } from '../support/read.js';
import { endpoints } from '../support/services.js';
import { committed, expectOracleRows, oracleInput, PARTITIONS, produce, settle, sorted, type Committed } from '../support/two-stage.js';

const quiet = pino({ level: 'warn' });

describe('two stages: one row per key and window, whatever the partitioning and the timing', () => {
  const replicas: Replica[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const r of replicas) await r.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function start(t: TestTopology, n: number): Promise<Replica[]> {
    const { brokers, registryUrl, redisUrl } = endpoints();
    const started: Replica[] = [];
    for (let i = 0; i < n; i++) {
      const r = await startReplica(await loadTopology(t.file), { brokers, registryUrl, redisUrl }, { port: 0, log: quiet });
      replicas.push(r);
      started.push(r);
    }
    return started;
  }

  let first: { t: TestTopology; expected: OracleResult; out: Committed } | undefined;

  it('2 replicas, input keyed by user, grouped by page: the keyed oracle exactly, on the topic and in Parquet', async () => {
    const t = writeTopology({ twoStage: true });
    dirs.push(t.dir);
    const input = await produce(t);
    const topology = await loadTopology(t.file, { checkSql: false });
    const expected = oracle(oracleInput(input), topology.spec, { keyed: true });
    // the input is what the test needs: pages spread over partitions, every kind of record
    const single = oracle(oracleInput(input), topology.spec);
    expect(single.windows.length, 'one stage would split windows over partitions').toBeGreaterThan(expected.windows.length * 2);
    expect(expected.windows.length).toBeGreaterThan(50);
    expect(expected.late.length).toBeGreaterThan(10);
    expect(expected.deadLetters.length).toBeGreaterThan(10);
    expect(expected.duplicates.length).toBeGreaterThan(10);

    const [a, b] = await start(t, 2);
    const out = await committed(t);
    expectOracleRows(out.topic, expected);
    expectOracleRows(out.parquet, expected);
    // the late decision is the source partition's, as with one stage: the same records either way
    expect(out.dlq).toEqual(sorted(expected.deadLetters));
    expect(out.late).toEqual(sorted(expected.late));
    expect(sorted(single.late)).toEqual(out.late);
    expect(sorted(single.deadLetters)).toEqual(out.dlq);
    const source = await sourceRecords(endpoints().brokers, t.source);
    for (const { message } of await readToEnd(endpoints().brokers, t.late)) expectLateHeaders(message, { source: t.source, records: source, late: expected.late });
    // both replicas run tasks of both stages, are ready, and count what crossed between the stages
    let crossed = 0;
    for (const r of [a!, b!]) {
      expect(r.assignedOf(t.source).length).toBeGreaterThan(0);
      expect(r.assignedOf(t.repartition).length).toBeGreaterThan(0);
      expect(r.ready()).toBe(true);
      const text = await (await fetch(`http://127.0.0.1:${r.port}/metrics`)).text();
      crossed += Number(/sluice_repartition_records_total\{[^}]*stage="1",kind="data"\} (\d+)/.exec(text)?.[1]);
      expect(text).toMatch(/sluice_watermark_minimum_seconds\{[^}]*\} 1\d{9}/);
    }
    const onTime = [...expected.windows, ...expected.pending].reduce((n, w) => n + w.offsets.length, 0);
    expect(crossed, 'records written to the repartition topic, each once').toBe(onTime);
    first = { t, expected, out };
  });

  it('one partition held back until the others are processed, 3 replicas: nothing closes early, then the very same results', async () => {
    expect(first, 'runs after the first test').toBeDefined();
    const t = writeTopology({ twoStage: true });
    dirs.push(t.dir);
    const held = PARTITIONS - 1;
    const early = await produce(t, { partitionsSent: [0, 1, 2, 3, 4] });
    await start(t, 3);
    await settle(t);
    // stage 2 has every record of partitions 0–4, but partition 5 never spoke: no window may close
    expect(await readToEnd(endpoints().brokers, t.output)).toEqual([]);

    const late = await produce(t, { partitionsSent: [held] });
    const topology = await loadTopology(t.file, { checkSql: false });
    expect(oracle(oracleInput(early, late), topology.spec, { keyed: true })).toEqual(first!.expected);
    const out = await committed(t);
    expectOracleRows(out.topic, first!.expected);
    expect(out.dlq).toEqual(first!.out.dlq);
    expect(out.late).toEqual(first!.out.late);
    // Parquet files: the same names and the same bytes as the first run's
    expect(out.files.size).toBeGreaterThan(0);
    expect(out.files).toEqual(first!.out.files);
  });

  it('source.idle_timeout: a quiet input closes its last windows; records that come after are late for cause idle', async () => {
    const { brokers } = endpoints();
    const t = writeTopology({ twoStage: true, idleTimeout: '2s' });
    dirs.push(t.dir);
    const held = PARTITIONS - 1;
    const early = await produce(t, { partitionsSent: [0, 1, 2, 3, 4] });
    const topology = await loadTopology(t.file, { checkSql: false });
    // partition 5 never speaks and the others fall quiet: every window of partitions 0–4 closes,
    // those the records had closed and those only the wall clock closes
    const sent = new Map([...early.oracleInput()].filter(([p]) => p !== held));
    const quiet = oracle(sent, topology.spec, { keyed: true });
    const all = { ...quiet, windows: [...quiet.windows, ...quiet.pending], pending: [] };
    expect(quiet.pending.length).toBeGreaterThan(0);
    await start(t, 2);
    const rows = all.windows.length;
    await waitFor(async () => (await readToEnd(brokers, t.output)).length >= rows, 90_000, () => `${rows} rows on ${t.output}`, 1000);
    const parquet = () => readParquetRows(`${t.parquet}/window_date=*/*.parquet`).catch(() => []);
    await waitFor(async () => (await parquet()).length >= rows, 30_000, () => `${rows} rows in Parquet`, 500);

    // then partition 5's records arrive: its stream time followed the wall clock, so every one is late
    const late = await produce(t, { partitionsSent: [held] });
    await waitProcessed(brokers, t.group, t.source);
    const out = await committed(t);
    expectOracleRows(out.topic, all);
    expectOracleRows(out.parquet, all);
    const whole = oracle(oracleInput(early, late), topology.spec, { keyed: true });
    const dropped = new Set([...whole.deadLetters, ...whole.duplicates].map((p) => `${p.partition}:${p.offset}`));
    const fresh5 = late.byPartition.get(held)!.map((m) => `${held}:${m.offset}`).filter((p) => !dropped.has(p));
    expect(fresh5.length).toBeGreaterThan(100);
    expect(out.late).toEqual([...sorted(quiet.late), ...fresh5].sort());
    expect(out.dlq).toEqual(sorted(whole.deadLetters));
    const idle = (await readToEnd(brokers, t.late)).filter(({ message }) => message.headers?.['sluice.late.cause']?.toString() === 'idle');
    // cause idle: all but those its own records had made late anyway
    const lateByRecords = new Set(sorted(whole.late.filter((l) => l.partition === held)));
    expect(lateByRecords.size).toBeGreaterThan(0);
    expect(idle.map(({ message: m }) => `${m.headers?.['sluice.source.partition']?.toString()}:${m.headers?.['sluice.source.offset']?.toString()}`).sort()).toEqual(fresh5.filter((p) => !lateByRecords.has(p)).sort());
  });
});
