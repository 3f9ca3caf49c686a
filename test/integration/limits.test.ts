/**
 * Sizes that used to stop a partition for good: a dead letter larger than the dead-letter topic
 * accepts, and a window with more rows than one produce request may carry. Each must pass through
 * (the record whole or without its value, the rows in several requests) and the partition go on.
 */
import { readFileSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import avro from 'avsc';
import { Kafka, logLevel, type Message } from 'kafkajs';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { SchemaSource } from '../../src/decode/registry.js';
import { encodeWire } from '../../src/decode/wire.js';
import { startReplica, type Replica } from '../../src/runtime/replica.js';
import { loadTopology } from '../../src/topology/loader.js';
import { header, readCommitted, writeTopology, type TestTopology } from '../support/pipeline.js';
import { endpoints } from '../support/services.js';

const schema = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../schemas/page_view.avsc'), 'utf8')) as avro.Schema;
const type = avro.Type.forSchema(schema);
const T0 = 1_700_000_000_000;
const kafka = new Kafka({ clientId: 'sluice-test-limits', brokers: endpoints().brokers, logLevel: logLevel.NOTHING });

const view = (i: number, page: string, ts: number) => ({ event_id: `e-${i}`, ts, page, user_id: `u-${i % 7}`, latency_ms: i % 100, referrer: null, url: '', user_agent: '', country: 'NL' });

/** Creates `topic` (one partition, `config`) and sends `values` in order. */
async function produce(topic: string, values: Buffer[], config: Record<string, string> = {}): Promise<void> {
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  try {
    await Promise.all([admin.connect(), producer.connect()]);
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, configEntries: Object.entries(config).map(([name, value]) => ({ name, value })) }] });
    let batch: Message[] = [];
    let bytes = 0;
    for (const value of values) {
      batch.push({ value, partition: 0 });
      bytes += value.length;
      if (bytes > 500_000 || batch.length >= 5000) {
        await producer.send({ topic, messages: batch });
        [batch, bytes] = [[], 0];
      }
    }
    if (batch.length) await producer.send({ topic, messages: batch });
  } finally {
    await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
  }
}

async function schemaId(subject: string): Promise<number> {
  const registry = new SchemaSource(endpoints().registryUrl);
  try {
    return await registry.register(subject, schema as object);
  } finally {
    registry.close();
  }
}

describe('size limits', () => {
  const replicas: Replica[] = [];
  const dirs: string[] = [];
  afterAll(async () => {
    for (const r of replicas) await r.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function start(t: TestTopology): Promise<void> {
    const { brokers, registryUrl, redisUrl } = endpoints();
    replicas.push(await startReplica(await loadTopology(t.file), { brokers, registryUrl, redisUrl }, { port: 0, log: pino({ level: 'warn' }) }));
  }

  /** 10 views of page a in the first window, the hostile value, 10 more two windows later (closing the first). */
  async function hostileInput(t: TestTopology, hostile: Buffer): Promise<void> {
    const id = await schemaId(`${t.source}-value`);
    const at = (i: number, ts: number) => encodeWire(id, type.toBuffer(view(i, 'a', ts)));
    const values = [...Array.from({ length: 10 }, (_, i) => at(i, T0 + i)), hostile, ...Array.from({ length: 10 }, (_, i) => at(100 + i, T0 + 30_000 + i))];
    await produce(t.source, values, { 'max.message.bytes': String(3 << 20) });
  }

  it('a 2 MB record with a bad magic byte is dead-lettered whole: created topics take what the source takes', async () => {
    const t = writeTopology();
    dirs.push(t.dir);
    const hostile = Buffer.alloc(2 << 20, 7);
    await hostileInput(t, hostile);
    await start(t);
    const [dlq] = await readCommitted(endpoints().brokers, t.dlq, { until: (n) => n >= 1, timeoutMs: 60_000 });
    expect(header(dlq!.message.headers, 'sluice.error.code')).toBe('BAD_MAGIC_BYTE');
    expect(dlq!.message.value?.equals(hostile)).toBe(true);
    const out = await readCommitted(endpoints().brokers, t.output, { until: (n) => n >= 1, timeoutMs: 60_000 });
    expect(out).toHaveLength(1); // page a's first window; the second is still open
  });

  it('a dead letter larger than an existing dead-letter topic accepts goes there without its value', async () => {
    const t = writeTopology();
    dirs.push(t.dir);
    await produce(t.dlq, []); // the broker's default max.message.bytes (1 MB)
    await hostileInput(t, Buffer.alloc(2 << 20, 7));
    await start(t);
    const [dlq] = await readCommitted(endpoints().brokers, t.dlq, { until: (n) => n >= 1, timeoutMs: 60_000 });
    expect(dlq!.message.value).toBeNull();
    expect(header(dlq!.message.headers, 'sluice.error.code')).toBe('BAD_MAGIC_BYTE');
    expect(header(dlq!.message.headers, 'sluice.source.offset')).toBe('10');
    expect(header(dlq!.message.headers, 'sluice.dropped')).toMatch(/^value \(2097152 bytes\): larger than topic/);
    expect(await readCommitted(endpoints().brokers, t.output, { until: (n) => n >= 1, timeoutMs: 60_000 })).toHaveLength(1);
  });

  it('a window of 60k groups into one output partition is emitted whole, in requests the broker accepts', async () => {
    const t = writeTopology({ extra: 'topics: { partitions: 1 }', batch: '{ max_records: 20000, max_wait: 200ms }' });
    dirs.push(t.dir);
    const groups = 60_000;
    const id = await schemaId(`${t.source}-value`);
    const values = Array.from({ length: groups }, (_, i) => encodeWire(id, type.toBuffer(view(i, `page-${i}`, T0 + (i % 1000)))));
    values.push(encodeWire(id, type.toBuffer(view(groups, 'closer', T0 + 20_000))));
    await produce(t.source, values);
    await start(t);
    const out = await readCommitted(endpoints().brokers, t.output, { until: (n) => n >= groups, timeoutMs: 110_000 });
    expect(out).toHaveLength(groups);
    expect(new Set(out.map((m) => m.message.key?.toString())).size).toBe(groups);
  });
});
