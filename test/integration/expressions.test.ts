/**
 * filter, having, record metadata and null group keys through the real pipeline (docs/windows.md),
 * one stage and two: a hand-made input over two partitions, each record placed to exercise one
 * rule, and the exact rows expected on the output topic and in Parquet, the dead letter of the one
 * record the filter fails on, and the record outcomes in /metrics.
 *
 * Window [T, T+10 s) closes in both partitions (records at T+25 s); [T+20 s, T+30 s) stays open, so
 * a filtered or null-key record at T+99 s that moved stream time would close it and emit `c`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { DuckDBInstance } from '@duckdb/node-api';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { startReplica, type Replica } from '../../src/runtime/replica.js';
import { loadTopology } from '../../src/topology/loader.js';
import { text as header } from '../support/headers.js';
import { metricValue, openTestSource, pageView } from '../support/hostile.js';
import { testTopology, waitPublished, type TestTopology } from '../support/pipeline.js';
import { readToEnd, waitProcessed, waitStage2 } from '../support/read.js';
import { endpoints, randomName } from '../support/services.js';

const T = 1_700_000_000_000; // a multiple of 10 s
const REPO = resolve(import.meta.dirname, '../..');

function writeExprTopology(twoStage: boolean): TestTopology {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-exprs-'));
  const t = testTopology(dir, randomName('exprs'));
  const { name } = t;
  writeFileSync(
    t.file,
    `name: ${name}
source:
  topic: ${t.source}
  group: ${t.group}
  value: { schema: ${resolve(REPO, 'schemas/page_view.avsc')} }
  event_time: ts
  partitioned_by_group_key: ${!twoStage}
dedup: { key: event_id, ttl: 1h }
filter: page <> '/skip' AND ROWKEY <> 'blocked' AND CAST(country AS INTEGER) >= 0
window: { type: tumbling, size: 10s, grace: 0s }
aggregate:
  group_by: [referrer]
  having: views >= 2
  metrics:
    views: count(*)
    last_by_offset: arg_max(latency_ms, ROWOFFSET)
    latest: arg_max(latency_ms, (ROWTIME, ROWPARTITION, ROWOFFSET))
    max_offset: max(ROWOFFSET)
    parts: count(DISTINCT ROWPARTITION)
    span: max(ROWTIME) - window_start
    source_keys: string_agg(DISTINCT ROWKEY, ',' ORDER BY ROWKEY)
sinks:
  topic: { name: ${t.output} }
  parquet: { path: ${t.parquet} }
dead_letter: ${t.dlq}
late: ${t.late}
batch: { max_records: 4, max_wait: 100ms }
`,
  );
  return t;
}

/** [key, event id, ms after T, page, referrer, latency, country] in offset order, per partition. */
type In = [string, string, number, string, string | null, number, string];
const INPUT: Record<number, In[]> = {
  0: [
    ['a', 'e1', 1_000, '/x', 'a', 10, '1'], // o0: counts
    ['a', 'e2', 2_000, '/skip', 'a', 99, '1'], // o1: filtered (page)
    ['n', 'e3', 3_000, '/x', null, 50, '1'], // o2: null group key
    ['a', 'e4', 4_000, '/x', 'a', 20, 'DE'], // o3: the filter's cast fails: dead letter
    ['a', 'e5', 5_000, '/x', 'a', 30, '1'], // o4: counts, the latest offset of a in p0
    ['b', 'e6', 6_000, '/x', 'b', 40, '1'], // o5: b's only record: having rejects its row
    ['c', 'e7', 25_000, '/x', 'c', 1, '1'], // o6: closes [T, T+10 s) in p0
    ['c', 'e8', 26_000, '/x', 'c', 2, '1'], // o7
    ['c', 'e9', 99_000, '/skip', 'c', 3, '1'], // o8: filtered: no stream-time advance
    ['n', 'e10', 99_000, '/x', null, 4, '1'], // o9: null key: no stream-time advance
    ['blocked', 'e11', 3_000, '/x', 'a', 5, '1'], // o10: filtered by ROWKEY (it would be late otherwise)
  ],
  1: [
    ['x1', 'e19', 5_000, '/x', 'a', 77, '1'], // o0: a in p1 at the same time as e5
    ['r2', 'e20', 7_000, '/x', 'r2', 5, '1'], // o1
    ['r2', 'e21', 8_000, '/x', 'r2', 6, '1'], // o2
    ['d', 'e22', 25_000, '/x', 'd', 0, '1'], // o3: closes [T, T+10 s) in p1
  ],
};

const row = (referrer: string, views: number, last_by_offset: number, latest: number, max_offset: number, parts: number, span: number, source_keys: string) => ({
  referrer,
  window_start: T,
  window_end: T + 10_000,
  views,
  last_by_offset,
  latest,
  max_offset,
  parts,
  span,
  source_keys,
});

describe('filter, having, record metadata and null keys on the real stack', () => {
  const cleanup: Array<() => Promise<unknown> | unknown> = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  /**
   * `restartAfter`: send only that many records of partition 0 first, run a replica until it has
   * processed them, stop it, send the rest and start another, which replays the first records to
   * rebuild the open window (restore mode: no second dead letter, no second count).
   */
  async function run(twoStage: boolean, restartAfter?: number) {
    const { brokers, registryUrl, redisUrl } = endpoints();
    const t = writeExprTopology(twoStage);
    cleanup.push(() => rmSync(t.dir, { recursive: true, force: true }));
    const source = await openTestSource({ brokers, registryUrl, topic: t.source, partitions: 2 });
    cleanup.push(() => source.close());
    const send = (p: number, records: In[]) =>
      source.send(p, records.map(([key, id, dt, page, referrer, latency, country]) => ({ key, value: source.encode({ ...pageView(id, T + dt, page, latency), referrer, country } as never) })));
    const start = async () => {
      const r = await startReplica(await loadTopology(t.file), { brokers, registryUrl, redisUrl }, { port: 0, log: pino({ level: 'warn' }) });
      cleanup.push(() => r.stop());
      return r;
    };
    await send(1, INPUT[1]!);
    await send(0, INPUT[0]!.slice(0, restartAfter));
    let replica: Replica = await start();
    if (restartAfter !== undefined) {
      await waitProcessed(brokers, t.group, t.source);
      await replica.stop();
      await send(0, INPUT[0]!.slice(restartAfter));
      replica = await start();
    }
    const checkpoints = await waitProcessed(brokers, t.group, t.source);
    await waitPublished(t, twoStage ? await waitStage2(brokers, t.group, t.repartition) : checkpoints);

    const registry = new SchemaRegistry({ host: registryUrl });
    const topic = await Promise.all(
      (await readToEnd(brokers, t.output)).map(async ({ message }) => {
        const v = (await registry.decode(message.value!)) as Record<string, unknown>;
        expect(message.key?.toString()).toBe(v.referrer);
        return { ...v, window_start: Number(v.window_start), window_end: Number(v.window_end) };
      }),
    );
    const dead = await readToEnd(brokers, t.dlq);
    const metrics = await (await fetch(`http://127.0.0.1:${replica.port}/metrics`)).text();
    return { topic: sortRows(topic), parquet: sortRows(await parquetRows(t.parquet)), dead, late: await readToEnd(brokers, t.late), metrics };
  }

  function expectSideOutputs(r: Awaited<ReturnType<typeof run>>, rejected: number): void {
    expect(r.dead.map(({ message: m }) => [header(m.headers, 'sluice.source.partition'), header(m.headers, 'sluice.source.offset'), header(m.headers, 'sluice.error.code'), header(m.headers, 'sluice.error.stage')])).toEqual([
      ['0', '3', 'FILTER_FAILED', 'filter'],
    ]);
    expect(header(r.dead[0]!.message.headers, 'sluice.error.message')).toMatch(/^the filter failed on this record: DuckDB: Conversion Error: Could not convert string 'DE'/);
    expect(r.late).toEqual([]);
    const outcome = (o: string) => metricValue(r.metrics, 'sluice_records_total', { outcome: o });
    expect(Object.fromEntries(['decoded', 'dead_lettered', 'null_key', 'filtered', 'duplicate', 'late', 'aggregated'].map((o) => [o, outcome(o)]))).toEqual({
      decoded: 14,
      dead_lettered: 1,
      null_key: 2,
      filtered: 3,
      duplicate: 0,
      late: 0,
      aggregated: 9,
    });
    expect(metricValue(r.metrics, 'sluice_having_rejected_rows_total')).toBe(rejected);
    expect(metricValue(r.metrics, 'sluice_transactions_total', { result: 'aborted' })).toBe(0);
  }

  it('one stage: rows per source partition; offsets order a partition\'s records', async () => {
    const r = await run(false);
    // p1's row of a (one view) and b's are rejected by having
    const want = [row('a', 2, 30, 30, 4, 1, 5_000, 'a'), row('r2', 2, 6, 6, 2, 1, 8_000, 'r2')];
    expect(r.topic).toEqual(want);
    expect(r.parquet).toEqual(want);
    expectSideOutputs(r, 2);
  });

  it('one stage, restarted before the window closes: the replay judges the records again, emitting nothing twice', async () => {
    const r = await run(false, 6); // partition 0's window [T, T+10 s) is open when the first replica stops
    const want = [row('a', 2, 30, 30, 4, 1, 5_000, 'a'), row('r2', 2, 6, 6, 2, 1, 8_000, 'r2')];
    expect(r.topic).toEqual(want);
    expect(r.parquet).toEqual(want);
    expect(r.dead.map(({ message: m }) => `${header(m.headers, 'sluice.source.partition')}:${header(m.headers, 'sluice.source.offset')}:${header(m.headers, 'sluice.error.code')}`)).toEqual(['0:3:FILTER_FAILED']);
    // the second replica counts only what it processed first-hand: partition 0 from offset 6
    const outcome = (o: string) => metricValue(r.metrics, 'sluice_records_total', { outcome: o, partition: '0' });
    expect([outcome('decoded'), outcome('filtered'), outcome('null_key'), outcome('dead_lettered'), outcome('aggregated')]).toEqual([5, 2, 1, 0, 2]);
  });

  it('two stages: the source record\'s partition, offset and key, one row per key', async () => {
    const r = await run(true);
    // a's records come from both partitions: by offset alone p0's o4 (30) beats p1's o0 (77),
    // by (event time, partition, offset) the tie at T+5 s goes to partition 1
    const want = [row('a', 3, 30, 77, 4, 2, 5_000, 'a,x1'), row('r2', 2, 6, 6, 2, 1, 8_000, 'r2')];
    expect(r.topic).toEqual(want);
    expect(r.parquet).toEqual(want);
    expectSideOutputs(r, 1);
  });
});

const sortRows = (rows: Array<Record<string, unknown>>) => [...rows].sort((a, b) => String(a.referrer).localeCompare(String(b.referrer)));

async function parquetRows(dir: string): Promise<Array<Record<string, unknown>>> {
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const r = await conn.runAndReadAll(`SELECT * REPLACE (epoch_ms(window_start) AS window_start, epoch_ms(window_end) AS window_end) FROM read_parquet('${dir}/window_date=*/*.parquet', hive_partitioning = false)`);
    return r.getRowObjectsJS().map((o) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
  } finally {
    conn.disconnectSync();
    db.closeSync();
  }
}
