/**
 * The pipeline end to end on the real stack: a fixed input with duplicates, out-of-order events
 * within grace, late events and every kind of malformed payload, over several partitions, must
 * give exactly the oracle's windows on the output topic (read_committed) and in the published
 * Parquet files, exactly the malformed records in the dead-letter topic and the late ones in the
 * late topic, each with the headers the README promises. The oracle (test/support/oracle.ts)
 * shares no code with the pipeline. Outputs are read once the group has committed all the input
 * (test/support/read.ts), so "nothing else" needs no waiting.
 */
import { rmSync } from 'node:fs';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplica, type Replica } from '../../src/runtime/replica.js';
import { loadTopology } from '../../src/topology/loader.js';
import { produceFixedInput, type FixedInput } from '../support/input.js';
import { expectDeadLetterHeaders, expectLateHeaders, sourceRecords } from '../support/headers.js';
import { oracle, type ExpectedWindow, type OracleResult } from '../support/oracle.js';
import { METRICS, readParquetRows, waitPublished, writeTopology, type Row, type TestTopology } from '../support/pipeline.js';
import { readToEnd, waitProcessed } from '../support/read.js';
import { endpoints } from '../support/services.js';

const quiet = pino({ level: 'warn' });

/** Resolves once the group committed all of t's input and published its files (memoised per topology). */
const settledOnce = new Map<string, Promise<void>>();
function settled(t: TestTopology): Promise<void> {
  const { brokers } = endpoints();
  if (!settledOnce.has(t.name)) settledOnce.set(t.name, waitProcessed(brokers, t.group, t.source).then((cps) => waitPublished(t, cps)));
  return settledOnce.get(t.name)!;
}

const keyOf = (r: { start: number; page: unknown }) => `${r.start}|${String(r.page)}`;
const expectedRows = (o: OracleResult): Map<string, Row> =>
  new Map(o.windows.map((w: ExpectedWindow) => [keyOf({ start: w.start, page: w.group.page }), { start: w.start, end: w.end, page: String(w.group.page), metrics: w.metrics }]));

function expectSameRows(got: Row[], want: Map<string, Row>): void {
  const keys = got.map(keyOf);
  expect(new Set(keys).size, 'no window emitted twice').toBe(keys.length);
  expect(new Set(keys)).toEqual(new Set(want.keys()));
  for (const row of got) {
    const w = want.get(keyOf(row))!;
    expect(row.end).toBe(w.end);
    for (const m of METRICS) expect(row.metrics[m], `${m} of ${keyOf(row)}`).toBeCloseTo(w.metrics[m] as number, 9);
  }
}

async function topicRows(t: TestTopology): Promise<Row[]> {
  const { brokers, registryUrl } = endpoints();
  const registry = new SchemaRegistry({ host: registryUrl });
  await settled(t);
  const messages = await readToEnd(brokers, t.output);
  return Promise.all(
    messages.map(async ({ message }) => {
      const v = (await registry.decode(message.value!)) as Record<string, unknown>;
      expect(message.key?.toString()).toBe(v.page);
      return { start: Number(v.window_start), end: Number(v.window_end), page: String(v.page), metrics: Object.fromEntries(METRICS.map((m) => [m, v[m] as number])) };
    }),
  );
}

const parquetRows = async (t: TestTopology) => {
  await settled(t);
  return readParquetRows(`${t.parquet}/window_date=*/*.parquet`);
};

/** The records of a side topic (dead letters, late) once the input is processed. */
async function sideRecords(t: TestTopology, topic: string) {
  await settled(t);
  return readToEnd(endpoints().brokers, topic);
}

const sorted = (ps: Array<{ partition: number; offset: number }>) => ps.map((p) => `${p.partition}:${p.offset}`).sort();
const positionsOf = (records: Awaited<ReturnType<typeof readToEnd>>) =>
  records.map(({ message: m }) => `${m.headers?.['sluice.source.partition']?.toString()}:${m.headers?.['sluice.source.offset']?.toString()}`).sort();

async function setup(count: number, seed: number): Promise<{ t: TestTopology; input: FixedInput; expected: OracleResult }> {
  const { brokers, registryUrl } = endpoints();
  const t = writeTopology();
  const topology = await loadTopology(t.file, { checkSql: false });
  const input = await produceFixedInput({ brokers, registryUrl, topic: t.source, partitions: 3, topologyFile: t.file, count, seed, duplicates: 0.03, late: 0.02, invalid: 0.03, keys: 12 });
  return { t, input, expected: oracle(input.oracleInput(), topology.spec) };
}

describe('pipeline on the real stack', () => {
  const replicas: Replica[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const r of replicas) await r.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function start(t: TestTopology): Promise<Replica> {
    const { brokers, registryUrl, redisUrl } = endpoints();
    const r = await startReplica(await loadTopology(t.file), { brokers, registryUrl, redisUrl }, { port: 0, log: quiet });
    replicas.push(r);
    return r;
  }

  describe('one replica', () => {
    let ctx: Awaited<ReturnType<typeof setup>>;
    beforeAll(async () => {
      ctx = await setup(3000, 7);
      dirs.push(ctx.t.dir);
      await start(ctx.t);
    });

    it('the input exercises every case', () => {
      const kinds = new Set(ctx.input.messages.map((m) => m.kind.split(':')[0]));
      expect(kinds).toEqual(new Set(['valid', 'duplicate', 'late', 'invalid']));
      expect(ctx.expected.windows.length).toBeGreaterThan(20);
      expect(ctx.expected.deadLetters.length).toBeGreaterThan(10);
      expect(ctx.expected.late.length).toBeGreaterThan(10);
      expect(ctx.expected.duplicates.length).toBeGreaterThan(10);
    });

    it('emits exactly the expected windows to the output topic', async () => {
      expectSameRows(await topicRows(ctx.t), expectedRows(ctx.expected));
    });

    it('publishes exactly the same rows as Parquet', async () => {
      expectSameRows(await parquetRows(ctx.t), expectedRows(ctx.expected));
    });

    it('dead-letters exactly the malformed records, with error headers', async () => {
      const records = await sideRecords(ctx.t, ctx.t.dlq);
      expect(positionsOf(records)).toEqual(sorted(ctx.expected.deadLetters));
      const source = await sourceRecords(endpoints().brokers, ctx.t.source);
      for (const r of records) expectDeadLetterHeaders(r.message, { source: ctx.t.source, records: source, input: ctx.input });
    });

    it('sends exactly the late records to the late topic, with lateness headers', async () => {
      const records = await sideRecords(ctx.t, ctx.t.late);
      expect(positionsOf(records)).toEqual(sorted(ctx.expected.late));
      const source = await sourceRecords(endpoints().brokers, ctx.t.source);
      for (const r of records) expectLateHeaders(r.message, { source: ctx.t.source, records: source, late: ctx.expected.late });
    });
  });

  it('two replicas split the partitions; the union of their outputs is the expected set', async () => {
    const { t, expected } = await setup(2000, 11);
    dirs.push(t.dir);
    const [a, b] = [await start(t), await start(t)];
    expectSameRows(await topicRows(t), expectedRows(expected));
    // both got a share, and together all of them (the second joined while the first ran: a rebalance)
    expect(a.assigned().length).toBeGreaterThan(0);
    expect(b.assigned().length).toBeGreaterThan(0);
    expect([...a.assigned(), ...b.assigned()].sort()).toEqual([0, 1, 2]);
    expectSameRows(await parquetRows(t), expectedRows(expected));
  });
});
