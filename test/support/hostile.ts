/**
 * Hand-made input for tests of hostile records: the demo reader schema registered on a fresh
 * topic, page views built field by field, and sends to an explicit partition (no key hashing on
 * the test's side, so a huge key costs the test nothing) that return the broker's offsets.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { SchemaSource } from '../../src/serde/registry.js';
import { encodeWire } from '../../src/serde/wire.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const PAGE_VIEW_SCHEMA = JSON.parse(readFileSync(resolve(REPO, 'schemas/page_view.avsc'), 'utf8')) as Record<string, unknown>;
export const pageViewType = avro.Type.forSchema(PAGE_VIEW_SCHEMA as avro.Schema);

// a type, not an interface: it is then a Record<string, unknown>, as the oracle takes events
export type PageView = { event_id: string; ts: number; page: string; user_id: string; latency_ms: number; referrer: null; url: string; user_agent: string; country: string };

export const pageView = (event_id: string, ts: number, page: string, latency_ms = 10): PageView => ({
  event_id,
  ts,
  page,
  user_id: `u-${latency_ms % 7}`,
  latency_ms,
  referrer: null,
  url: '',
  user_agent: '',
  country: 'DE',
});

/** Zigzag varint of any 64-bit long (avsc refuses to write longs beyond 2^53, as a Java writer would not). */
function avroLong(n: bigint): Buffer {
  let z = BigInt.asUintN(64, (n << 1n) ^ (n >> 63n));
  const out: number[] = [];
  do {
    const b = Number(z & 0x7fn);
    z >>= 7n;
    out.push(z > 0n ? b | 0x80 : b);
  } while (z > 0n);
  return Buffer.from(out);
}

const [idField, tsField, ...restFields] = PAGE_VIEW_SCHEMA.fields as Array<{ name: string }>;
const restType = avro.Type.forSchema({ type: 'record', name: 'Rest', fields: restFields } as avro.Schema);

/** A page view's Avro payload with an arbitrary long as event time: the fields in order, ts written by hand. */
export function pageViewPayload(event: PageView, ts: bigint): Buffer {
  if (idField?.name !== 'event_id' || tsField?.name !== 'ts') throw new Error('page_view.avsc changed: event_id, ts must come first');
  return Buffer.concat([avro.Type.forSchema('string').toBuffer(event.event_id), avroLong(ts), restType.toBuffer(event)]);
}

export interface Outgoing { value: Buffer | null; key?: string | Buffer | null; timestamp?: number }

export interface TestSource {
  topic: string;
  schemaId: number;
  /** Wire-format value of an event under the registered schema. */
  encode(event: object): Buffer;
  /** Sends to one partition, in order; returns the offsets the broker assigned. */
  send(partition: number, messages: Outgoing[]): Promise<number[]>;
  close(): Promise<void>;
}

export interface TestSourceOptions {
  brokers: string[];
  registryUrl: string;
  topic: string;
  partitions: number;
  /** Topics to create first with these configs (the source included), e.g. a large max.message.bytes. */
  configs?: Record<string, Record<string, string>>;
}

export async function openTestSource(opts: TestSourceOptions): Promise<TestSource> {
  const kafka = new Kafka({ clientId: 'sluice-test-hostile', brokers: opts.brokers, logLevel: logLevel.NOTHING });
  const admin: Admin = kafka.admin();
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  const registry = new SchemaSource(opts.registryUrl);
  try {
    await Promise.all([admin.connect(), producer.connect()]);
    const configs: Record<string, Record<string, string>> = { [opts.topic]: {}, ...opts.configs };
    await admin.createTopics({
      waitForLeaders: true,
      topics: Object.entries(configs).map(([topic, config]) => ({
        topic,
        numPartitions: opts.partitions,
        configEntries: Object.entries(config).map(([name, value]) => ({ name, value })),
      })),
    });
    const schemaId = await registry.register(`${opts.topic}-value`, PAGE_VIEW_SCHEMA);
    return {
      topic: opts.topic,
      schemaId,
      encode: (event) => encodeWire(schemaId, pageViewType.toBuffer(event)),
      async send(partition, messages) {
        if (messages.length === 0) return [];
        const [meta] = await producer.send({
          topic: opts.topic,
          acks: -1,
          messages: messages.map((m) => ({ partition, key: m.key ?? null, value: m.value, ...(m.timestamp === undefined ? {} : { timestamp: String(m.timestamp) }) })),
        });
        const base = Number(meta!.baseOffset);
        return messages.map((_, i) => base + i);
      },
      async close() {
        await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
        registry.close();
      },
    };
  } catch (err) {
    await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
    registry.close();
    throw err;
  }
}

/** The committed offset of a group on one partition (-1: none). */
export async function committedOffset(brokers: string[], group: string, topic: string, partition: number): Promise<number> {
  const admin = new Kafka({ clientId: 'sluice-test-offsets', brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const [t] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
    return Number(t?.partitions.find((p) => p.partition === partition)?.offset ?? -1);
  } finally {
    await admin.disconnect();
  }
}

/** The value of one sample of a Prometheus text exposition, e.g. `sluice_transactions_total{…result="aborted"}`; 0 when absent. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
