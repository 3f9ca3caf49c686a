/**
 * Hand-made page views for tests that need exact records (a hostile value among good ones, many
 * groups in one window): encoded with the demo schema, registered under `<topic>-value`, sent in order.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import avro from 'avsc';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { SchemaSource } from '../../src/serde/registry.js';
import { encodeWire } from '../../src/serde/wire.js';
import { endpoints } from './services.js';

export const pageViewSchema = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../schemas/page_view.avsc'), 'utf8')) as avro.Schema;
const type = avro.Type.forSchema(pageViewSchema);

export const view = (i: number, page: string, ts: number) => ({ event_id: `e-${i}`, ts, page, user_id: `u-${i % 7}`, latency_ms: i % 100, referrer: null, url: '', user_agent: '', country: 'NL' });

/** Wire-format encoder of views, with the schema registered under `<topic>-value`. */
export async function viewEncoder(topic: string): Promise<(v: ReturnType<typeof view>) => Buffer> {
  const registry = new SchemaSource(endpoints().registryUrl);
  try {
    const id = await registry.register(`${topic}-value`, pageViewSchema as object);
    return (v) => encodeWire(id, type.toBuffer(v));
  } finally {
    registry.close();
  }
}

/** Sends `values` to partition 0 of `topic` in order, creating it (one partition, `config`) when `create`. */
export async function sendValues(topic: string, values: Buffer[], opts: { create?: boolean; config?: Record<string, string> } = {}): Promise<void> {
  const kafka = new Kafka({ clientId: 'sluice-test-views', brokers: endpoints().brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  try {
    await Promise.all([admin.connect(), producer.connect()]);
    const configEntries = Object.entries(opts.config ?? {}).map(([name, value]) => ({ name, value }));
    if (opts.create ?? true) await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 1, configEntries }] });
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
