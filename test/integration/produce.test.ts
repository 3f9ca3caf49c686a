import { fileURLToPath } from 'node:url';
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { produceFixedInput, type FixedInput } from '../support/input.js';
import { oracle } from '../support/oracle.js';
import { closeAfterAll, endpoints, randomName } from '../support/services.js';
import { loadTopology } from '../../src/topology/loader.js';

const topologyFile = fileURLToPath(new URL('../../topologies/page-views.yaml', import.meta.url));

/** Reads `count` messages of `topic` from the start, per partition in offset order. */
async function readBack(kafka: Kafka, topic: string, count: number): Promise<Map<number, KafkaMessage[]>> {
  const consumer = kafka.consumer({ groupId: randomName('g-produce') });
  const out = new Map<number, KafkaMessage[]>();
  let seen = 0;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`read ${seen} of ${count} messages in 60 s`)), 60_000);
      consumer
        .run({
          eachBatch: async ({ batch }) => {
            const list = out.get(batch.partition) ?? [];
            list.push(...batch.messages);
            out.set(batch.partition, list);
            seen += batch.messages.length;
            if (seen >= count) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

describe('sluice produce: generated input on the real Kafka and registry', () => {
  const { brokers, registryUrl } = endpoints();
  const kafka = new Kafka({ clientId: 'produce-test', brokers, logLevel: logLevel.NOTHING });
  const admin = closeAfterAll(kafka.admin(), (a) => a.disconnect());
  let input: FixedInput;

  it('lands every generated message at the offset it reports, in 3 partitions, over several sends', async () => {
    const topic = randomName('t-produce');
    await admin.connect();
    input = await produceFixedInput({ brokers, registryUrl, topic, partitions: 3, topologyFile, count: 2500, seed: 5, duplicates: 0.05, late: 0.03, invalid: 0.05, keys: 12 });
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.map((o) => Number(o.high)).reduce((a, b) => a + b, 0)).toBe(2500);

    const read = await readBack(kafka, topic, 2500);
    for (const [partition, sent] of input.byPartition) {
      const got = read.get(partition) ?? [];
      expect(got.map((m) => [Number(m.offset), m.key?.toString(), m.value?.toString('hex')])).toEqual(
        sent.map((m) => [m.offset, m.key, m.value.toString('hex')]),
      );
    }
    expect([...input.byPartition.values()].every((l) => l.length > 0)).toBe(true);
  });

  it('valid values decode through the registry to their event; invalid ones do not resolve to the reader', async () => {
    const registry = new SchemaRegistry({ host: registryUrl });
    const { valueSchema } = await loadTopology(topologyFile, { checkSql: false });
    // the registry client's own decoder, resolving each writer schema to the topology's reader schema
    const decode = (value: Buffer) => registry.decode(value, { [SchemaType.AVRO]: { readerSchema: valueSchema as never } });
    for (const m of input.messages) {
      if (m.kind.startsWith('invalid:')) await expect(decode(m.value), m.kind).rejects.toThrow();
      else expect(await decode(m.value)).toEqual(m.event);
    }
    const kinds = new Set(input.messages.map((m) => m.kind));
    for (const k of ['valid', 'duplicate', 'late', 'invalid:bad-magic', 'invalid:unknown-schema-id', 'invalid:truncated', 'invalid:garbage', 'invalid:incompatible-schema']) {
      expect(kinds.has(k as never), k).toBe(true);
    }
  });

  it('the oracle agrees with the generator on what is late, duplicate and dead-lettered', async () => {
    const { spec } = await loadTopology(topologyFile, { checkSql: false });
    const r = oracle(input.oracleInput(), spec);
    const kindAt = (p: { partition: number; offset: number }) => input.byPartition.get(p.partition)!.find((m) => m.offset === p.offset)!.kind;
    expect(r.late.map(kindAt).every((k) => k === 'late')).toBe(true);
    expect(r.late).toHaveLength(75);
    expect(r.duplicates.map(kindAt).every((k) => k === 'duplicate')).toBe(true);
    expect(r.duplicates).toHaveLength(125);
    expect(r.deadLetters.map(kindAt).every((k) => k.startsWith('invalid:'))).toBe(true);
    expect(r.deadLetters).toHaveLength(125);
    expect(r.windows.length).toBeGreaterThan(3);
  });
});
