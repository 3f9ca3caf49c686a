/**
 * Reads output topics to the end as a read_committed consumer and decodes each record with its
 * writer schema (by the id in its wire header, from the registry), for compare.ts. Run after the
 * producers have exited, so every transaction is settled; "the end" is 3 s without a new record
 * (a transactional topic ends in commit markers, which a consumer never sees as messages), once
 * every topic that holds anything gave a record (on a loaded box a topic's first fetch can come
 * after 3 s: a Kafka Streams output read as empty stopped the bench, 13,427 windows against 0).
 */
import avro from 'avsc';
import { Kafka, logLevel } from 'kafkajs';
import { parseWire } from '../../src/serde/wire.js';
import type { OutputRow } from './compare.js';

const IDLE_MS = 3000;

export async function schemaById(registryUrl: string, id: number): Promise<string> {
  const res = await fetch(`${registryUrl.replace(/\/+$/, '')}/schemas/ids/${id}`);
  if (!res.ok) throw new Error(`registry: schema id ${id}: HTTP ${res.status} ${await res.text()}`);
  return ((await res.json()) as { schema: string }).schema;
}

/** The latest schema and id under a subject. */
export async function latestSchema(registryUrl: string, subject: string): Promise<{ id: number; schema: string }> {
  const res = await fetch(`${registryUrl.replace(/\/+$/, '')}/subjects/${encodeURIComponent(subject)}/versions/latest`);
  if (!res.ok) throw new Error(`registry: subject ${subject}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as { id: number; schema: string };
}

/** Every committed record of `topics`, decoded, per topic. */
export async function readOutputs(brokers: string[], registryUrl: string, topics: string[], groupId: string): Promise<Map<string, OutputRow[]>> {
  const kafka = new Kafka({ clientId: 'sluice-bench-compare', brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 250 });
  const types = new Map<number, Promise<avro.Type>>();
  const typeOf = (id: number) => {
    if (!types.has(id)) types.set(id, schemaById(registryUrl, id).then((s) => avro.Type.forSchema(JSON.parse(s) as avro.Schema)));
    return types.get(id)!;
  };
  const rows = new Map<string, OutputRow[]>(topics.map((t) => [t, []]));
  let lastSeen = Number.POSITIVE_INFINITY; // the idle clock starts once the group is joined
  const deadline = Date.now() + 120_000;
  const admin = kafka.admin();
  await admin.connect();
  const nonEmpty = new Set<string>();
  for (const t of topics) if ((await admin.fetchTopicOffsets(t)).some((p) => Number(p.high) > 0)) nonEmpty.add(t);
  await admin.disconnect();
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    consumer.on(consumer.events.GROUP_JOIN, () => (lastSeen = Date.now()));
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const { schemaId, payload } = parseWire(m.value);
          const v = (await typeOf(schemaId)).fromBuffer(payload) as Record<string, unknown>;
          const metrics: Record<string, number | null> = {};
          for (const [k, x] of Object.entries(v)) if (k !== 'window_start' && k !== 'window_end' && typeof x !== 'string') metrics[k] = x === null ? null : Number(x);
          rows.get(batch.topic)!.push({ key: m.key?.toString('utf8') ?? '', window_start: Number(v.window_start), window_end: Number(v.window_end), metrics });
        }
        lastSeen = Date.now();
      },
    });
    while (!(Date.now() - lastSeen >= IDLE_MS && [...nonEmpty].every((t) => rows.get(t)!.length > 0))) {
      if (Date.now() > deadline) throw new Error(`reading ${topics.join(', ')}: no end within 120 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await consumer.disconnect();
  }
  return rows;
}
