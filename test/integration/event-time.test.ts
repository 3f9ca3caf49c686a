/**
 * Event times no date can hold (8.7e15, near 2^53) and one from a broken clock (the year 2999,
 * against a record timestamp of now) are dead-lettered with their own codes; the partition they
 * sit in still emits its good records' windows, its committed offset moves past them, and no
 * batch fails (before the fix: a RangeError or an INTERNAL error, then the same batch for ever).
 */
import { rmSync } from 'node:fs';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { startReplica, type Replica } from '../../src/runtime/replica.js';
import { loadTopology } from '../../src/topology/loader.js';
import { encodeWire } from '../../src/serde/wire.js';
import { committedOffset, metricValue, openTestSource, pageView, pageViewPayload, type TestSource } from '../support/hostile.js';
import { oracle, type OracleRecord } from '../support/oracle.js';
import { text as header } from '../support/headers.js';
import { writeTopology } from '../support/pipeline.js';
import { readToEnd, waitProcessed } from '../support/read.js';
import { endpoints } from '../support/services.js';

describe('event time bounds on the real stack', () => {
  const cleanup: Array<() => Promise<unknown> | unknown> = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('dead-letters impossible and far-future event times; the partition keeps emitting and committing', async () => {
    const { brokers, registryUrl, redisUrl } = endpoints();
    const t = writeTopology();
    cleanup.push(() => rmSync(t.dir, { recursive: true, force: true }));
    const source: TestSource = await openTestSource({ brokers, registryUrl, topic: t.source, partitions: 2 });
    cleanup.push(() => source.close());

    const base = Date.now() - 10 * 60_000; // event time ten minutes behind the records' timestamps
    const hostile: Record<number, { ts: bigint; code: string }> = {
      20: { ts: 8_700_000_000_000_000n, code: 'EVENT_TIME_OUT_OF_RANGE' }, // a long, not a date
      30: { ts: 2n ** 53n - 3n, code: 'EVENT_TIME_OUT_OF_RANGE' }, // the largest long avsc reads exactly
      40: { ts: BigInt(Date.UTC(2999, 0, 1)), code: 'EVENT_TIME_TOO_FAR_AHEAD' }, // a broken clock
      50: { ts: 2n ** 53n + 2n, code: 'UNDECODABLE_PAYLOAD' }, // avsc refuses a long it cannot hold exactly
    };
    const input = new Map<number, OracleRecord[]>();
    const expectedDead: string[] = [];
    for (const p of [0, 1]) {
      const events = Array.from({ length: 120 }, (_, i) => pageView(`p${p}-${i}`, base + i * 500, `/p${p}/${i % 3}`, i));
      const value = (e: (typeof events)[number], i: number) => (p === 0 && hostile[i] ? encodeWire(source.schemaId, pageViewPayload(e, hostile[i].ts)) : source.encode(e));
      const offsets = await source.send(p, events.map((e, i) => ({ key: e.page, value: value(e, i) })));
      input.set(p, events.map((e, i) => ({ offset: offsets[i]!, event: p === 0 && hostile[i] ? null : e })));
      if (p === 0) for (const [i, h] of Object.entries(hostile)) expectedDead.push(`0:${offsets[Number(i)]}:${h.code}`);
    }
    const topology = await loadTopology(t.file);
    const expected = oracle(input, topology.spec);
    expect(expected.windows.filter((w) => w.partition === 0).length).toBeGreaterThan(10);

    const replica: Replica = await startReplica(topology, { brokers, registryUrl, redisUrl }, { port: 0, log: pino({ level: 'silent' }) });
    cleanup.push(() => replica.stop());

    // every closed window of both partitions, each once, with the oracle's counts
    await waitProcessed(brokers, t.group, t.source);
    const registry = new SchemaRegistry({ host: registryUrl });
    const rows = await readToEnd(brokers, t.output);
    const got = await Promise.all(rows.map(async ({ message }) => {
      const v = (await registry.decode(message.value!)) as Record<string, unknown>;
      return `${v.page}@${v.window_start}=${v.views}`;
    }));
    expect(got.sort()).toEqual(expected.windows.map((w) => `${w.group.page}@${w.start}=${w.metrics.views}`).sort());

    const dead = await readToEnd(brokers, t.dlq);
    const where = (m: (typeof dead)[number]['message']) => `${header(m.headers, 'sluice.source.partition')}:${header(m.headers, 'sluice.source.offset')}:${header(m.headers, 'sluice.error.code')}`;
    expect(dead.map(({ message: m }) => where(m)).sort()).toEqual(expectedDead.sort());
    for (const { message: m } of dead) {
      if (header(m.headers, 'sluice.error.code')!.startsWith('EVENT_TIME')) expect(header(m.headers, 'sluice.error.message')).toMatch(/^event time field "ts" is \d+/);
      else expect(header(m.headers, 'sluice.error.message')).toMatch(/potential precision loss/);
    }
    expect(await readToEnd(brokers, t.late)).toEqual([]);

    // the low-water mark of partition 0 moved past the hostile records: nothing pins it
    const lastHostile = Math.max(...Object.keys(hostile).map((i) => input.get(0)![Number(i)]!.offset));
    expect(await committedOffset(brokers, t.group, t.source, 0)).toBeGreaterThan(lastHostile);

    const metrics = await (await fetch(`http://127.0.0.1:${replica.port}/metrics`)).text();
    expect(metricValue(metrics, 'sluice_transactions_total', { result: 'aborted' }), 'no batch failed').toBe(0);
    expect(metricValue(metrics, 'sluice_records_total', { outcome: 'dead_lettered' })).toBe(expectedDead.length);
  });
});
