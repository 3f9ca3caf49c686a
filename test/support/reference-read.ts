/**
 * Reads the outputs of many reference cases with one read_committed consumer (one group join in
 * all): each case's output topic (decoded rows), its late topic (source positions) and, when the
 * case expects early results, its early topic. Read once the cases' replicas committed all their
 * input, up to the end offsets as they are then (see ./read.ts for why that proves "nothing else").
 */
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import type { CaseTopics } from './reference-run.js';
import { waitFor } from './read.js';
import { randomName } from './services.js';

export interface CaseOutputs {
  /** Output rows as decoded: window bounds as numbers (ms). */
  rows: Array<Record<string, unknown>>;
  /** Late records by source position. */
  late: Array<{ partition: number; offset: number }>;
  early: Array<Record<string, unknown>>;
}

interface CaseRead { key: string; topics: CaseTopics; early: boolean }

export async function readCaseOutputs(brokers: string[], registry: SchemaRegistry, cases: readonly CaseRead[]): Promise<Map<string, CaseOutputs>> {
  const owner = new Map<string, { key: string; kind: 'rows' | 'late' | 'early' }>();
  for (const c of cases) {
    owner.set(c.topics.output, { key: c.key, kind: 'rows' });
    owner.set(c.topics.late, { key: c.key, kind: 'late' });
    if (c.early) owner.set(c.topics.early, { key: c.key, kind: 'early' });
  }
  const raw = await readAll(brokers, [...owner.keys()]);
  const out = new Map<string, CaseOutputs>(cases.map((c) => [c.key, { rows: [], late: [], early: [] }]));
  for (const [topic, messages] of raw) {
    const { key, kind } = owner.get(topic)!;
    const o = out.get(key)!;
    for (const m of messages) {
      if (kind === 'late') o.late.push({ partition: Number(m.headers?.['sluice.source.partition']?.toString()), offset: Number(m.headers?.['sluice.source.offset']?.toString()) });
      else o[kind].push(plain((await registry.decode(m.value!)) as Record<string, unknown>));
    }
  }
  return out;
}

/** Window bounds (timestamp-millis, maybe a Date) and longs as plain numbers. */
function plain(v: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = x instanceof Date ? x.getTime() : typeof x === 'bigint' ? Number(x) : x;
  return out;
}

/** Every topic read from the start to its end offsets as they are now, read_committed, with one consumer. */
async function readAll(brokers: string[], topics: string[], timeoutMs = 60_000): Promise<Map<string, KafkaMessage[]>> {
  const kafka = new Kafka({ clientId: 'sluice-reference-reader', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const consumer = kafka.consumer({ groupId: randomName('ref-reader'), readUncommitted: false, maxWaitTimeInMs: 100 });
  const out = new Map<string, KafkaMessage[]>(topics.map((t) => [t, []]));
  const ends = new Map<string, number>();
  const reached = new Map<string, number>();
  const tp = (topic: string, partition: number) => `${topic}:${partition}`;
  const done = () => [...ends].every(([k, end]) => (reached.get(k) ?? 0) >= end);
  try {
    await admin.connect();
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        ends.set(tp(topic, p.partition), Number(p.high));
        reached.set(tp(topic, p.partition), Number(p.low));
      }
    }
    const pending = [...new Set([...ends].filter(([k, end]) => (reached.get(k) ?? 0) < end).map(([k]) => k.slice(0, k.lastIndexOf(':'))))];
    if (pending.length === 0) return out;
    // emitted after each fetched batch, also one of markers or aborted records only (kafkajs runner)
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => void reached.set(tp(payload.topic, payload.partition), Number(payload.lastOffset) + 1));
    await consumer.connect();
    await consumer.subscribe({ topics: pending, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ topic, message }) => void out.get(topic)!.push(message) });
    await waitFor(done, timeoutMs, () => `outputs read to their ends (${[...ends].filter(([k, e]) => (reached.get(k) ?? 0) < e).map(([k]) => k).join(', ')})`, 50);
  } finally {
    await consumer.disconnect();
    await admin.disconnect();
  }
  return out;
}
