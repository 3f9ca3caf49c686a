/**
 * The local stack does what the pipeline relies on: a consumer group round trip, transactions with
 * sendOffsets read back by a read_committed consumer (aborted ones invisible), and Avro schemas in
 * the Confluent-compatible registry.
 */
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { type Consumer, Kafka, type KafkaMessage, Partitioners, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { closeAfterAll, endpoints, randomName } from '../support/services.js';

const { brokers, registryUrl } = endpoints();
const kafka = new Kafka({ clientId: 'stack-test', brokers, logLevel: logLevel.NOTHING });
const admin = closeAfterAll(kafka.admin(), (a) => a.disconnect());

async function createTopic(partitions = 1): Promise<string> {
  const topic = randomName('t');
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  return topic;
}

/** Runs `consumer` on `topic` from the beginning until `count` messages arrived; returns them. */
async function collect(consumer: Consumer, topic: string, count: number): Promise<KafkaMessage[]> {
  const got: KafkaMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        got.push(message);
        if (got.length >= count) resolve();
      },
    });
  });
  return got;
}

const values = (ms: KafkaMessage[]): string[] => ms.map((m) => m.value!.toString()).sort();

describe('local stack', () => {
  it('round-trips messages through a consumer group and commits its offsets', async () => {
    const topic = await createTopic(3);
    const groupId = randomName('g');
    const producer = closeAfterAll(kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner }), (p) => p.disconnect());
    await producer.connect();
    const sent = Array.from({ length: 30 }, (_, i) => `m${String(i).padStart(2, '0')}`);
    await producer.send({ topic, messages: sent.map((v) => ({ key: v, value: v })) });

    const consumer = closeAfterAll(kafka.consumer({ groupId }), (c) => c.disconnect());
    expect(values(await collect(consumer, topic, sent.length))).toEqual(sent);
    await consumer.disconnect(); // commits the offsets it consumed

    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committed = offsets[0]!.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
    expect(committed).toBe(sent.length);
  });

  it('shows committed transactions to read_committed consumers and hides aborted ones', async () => {
    const input = await createTopic();
    const output = await createTopic();
    const groupId = randomName('g');
    const producer = closeAfterAll(
      kafka.producer({ transactionalId: randomName('tx'), idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner }),
      (p) => p.disconnect(),
    );
    await producer.connect();

    const committed = await producer.transaction();
    await committed.send({ topic: output, messages: [{ value: 'committed-1' }, { value: 'committed-2' }] });
    await committed.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: input, partitions: [{ partition: 0, offset: '42' }] }] });
    await committed.commit();

    const aborted = await producer.transaction();
    await aborted.send({ topic: output, messages: [{ value: 'aborted' }] });
    await aborted.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: input, partitions: [{ partition: 0, offset: '99' }] }] });
    await aborted.abort();

    // a marker after the aborted transaction: once it is read, everything before it has been seen
    const last = await producer.transaction();
    await last.send({ topic: output, messages: [{ value: 'committed-3' }] });
    await last.commit();

    const reader = closeAfterAll(kafka.consumer({ groupId: randomName('g'), readUncommitted: false }), (c) => c.disconnect());
    expect(values(await collect(reader, output, 3))).toEqual(['committed-1', 'committed-2', 'committed-3']);

    const offsets = await admin.fetchOffsets({ groupId, topics: [input] });
    expect(offsets[0]!.partitions).toEqual([expect.objectContaining({ partition: 0, offset: '42' })]);
  });

  it('registers and fetches an Avro schema through the Confluent-compatible API', async () => {
    const registry = new SchemaRegistry({ host: registryUrl });
    const name = randomName('Rec').replace('-', '_');
    const schema = { type: 'record', name, namespace: 'dev.sluice.test', fields: [{ name: 'id', type: 'string' }, { name: 'n', type: 'long' }] };
    const subject = `${randomName('t')}-value`;
    const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject });

    expect(await registry.getLatestSchemaId(subject)).toBe(id);
    expect(JSON.parse(JSON.stringify(await registry.getSchema(id)))).toMatchObject({ name: `dev.sluice.test.${name}` });
    const bytes = await registry.encode(id, { id: 'a', n: 7 });
    expect(bytes[0]).toBe(0); // Confluent wire format: magic byte, then the 4-byte schema id
    expect(bytes.readInt32BE(1)).toBe(id);
    expect(await registry.decode(bytes)).toEqual({ id: 'a', n: 7 });
  });
});
