/**
 * Kafka is "ready" for tests once a transactional producer commits and a consumer group joins:
 * that creates and loads __transaction_state and __consumer_offsets, so no test sees
 * "The coordinator is loading" (see docs/local-stack.md).
 */
import { randomUUID } from 'node:crypto';
import { Partitioners, logLevel, type Kafka } from 'kafkajs';
import { kafkaClient } from '../../src/connection/clients.js';
import type { KafkaSecurity } from '../../src/connection/types.js';

const PROBE_TOPIC = 'sluice-stack-probe';

const client = (brokers: string[], retries: number, security?: KafkaSecurity): Kafka =>
  kafkaClient({ brokers, security: { kafka: security } }, { clientId: 'sluice-stack', logLevel: logLevel.NOTHING, connectionTimeout: 2000, retry: { retries, initialRetryTime: 200 } });

/** True when a broker at `brokers` answers a metadata request within a few seconds. */
export async function kafkaAnswers(brokers: string[], security?: KafkaSecurity): Promise<boolean> {
  const admin = client(brokers, 1, security).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return true;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** One attempt: join a consumer group, then commit a transaction with sendOffsets; every client closed. */
async function probeOnce(kafka: Kafka): Promise<void> {
  const admin = kafka.admin();
  // a crashed probe consumer must not restart itself after we gave up on it (it would keep the process alive)
  const groupId = `${PROBE_TOPIC}-${randomUUID().slice(0, 8)}`; // fresh per attempt: no stale member to wait for
  const consumer = kafka.consumer({ groupId, retry: { retries: 5, restartOnFailure: async () => false } });
  const producer = kafka.producer({
    transactionalId: PROBE_TOPIC,
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  try {
    await admin.connect();
    if (!(await admin.listTopics()).includes(PROBE_TOPIC)) {
      await admin.createTopics({ topics: [{ topic: PROBE_TOPIC, numPartitions: 1 }], waitForLeaders: true });
    }
    await consumer.connect();
    await consumer.subscribe({ topics: [PROBE_TOPIC] });
    const joined = new Promise<void>((resolve, reject) => {
      consumer.on(consumer.events.GROUP_JOIN, () => resolve());
      consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error));
    });
    await consumer.run({ eachMessage: async () => undefined });
    await joined;
    await consumer.disconnect();
    await producer.connect();
    const tx = await producer.transaction();
    try {
      await tx.send({ topic: PROBE_TOPIC, messages: [{ value: 'ready' }] });
      await tx.sendOffsets({ consumerGroupId: groupId, topics: [{ topic: PROBE_TOPIC, partitions: [{ partition: 0, offset: '0' }] }] });
      await tx.commit();
    } catch (e) {
      await tx.abort().catch(() => undefined);
      throw e;
    }
  } finally {
    await Promise.allSettled([consumer.disconnect(), producer.disconnect(), admin.disconnect()]);
  }
}

/**
 * Joins a consumer group and commits a transaction with sendOffsets, retrying whole attempts:
 * right after start the coordinators answer NOT_COORDINATOR / "loading" for a while.
 */
export async function probeKafka(brokers: string[], timeoutMs = 90_000, onRetry?: (why: string) => void, security?: KafkaSecurity): Promise<void> {
  const kafka = client(brokers, 5, security);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await probeOnce(kafka);
      return;
    } catch (e) {
      if (Date.now() > deadline) {
        throw new Error(`not ready for transactions and consumer groups after ${timeoutMs / 1000}s: ${(e as Error).message}`);
      }
      onRetry?.((e as Error).message);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}
