/**
 * What a chaos run keeps when an output holds a duplicate: the raw log of each written topic's
 * partitions that hold one, read_uncommitted with control records, one line per record: offset,
 * producer id and epoch, transactional or not, commit/abort marker, and the source position a
 * dead letter or late record names. With the replicas' logs (task starts: committed offset,
 * restore range) that tells a reader-side filter miss (the copy sits in an aborted transaction)
 * from a second commit (both copies committed, in which transactions).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { randomName } from '../support/services.js';
import { waitFor } from '../support/read.js';

interface RawMessage {
  offset: string;
  key?: Buffer | null;
  isControlRecord?: boolean;
  headers?: Record<string, Buffer | string | undefined>;
  batchContext: { producerId: string; producerEpoch: number; inTransaction: boolean; firstOffset: string };
}

/** One line per record of `topic`'s `partitions` (all records, aborted and markers included). */
export async function rawLog(brokers: string[], topic: string, partitions: readonly number[], timeoutMs = 60_000): Promise<string[]> {
  const kafka = new Kafka({ clientId: 'sluice-chaos-forensics', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const consumer = kafka.consumer({ groupId: randomName('forensics'), readUncommitted: true, maxWaitTimeInMs: 100 });
  const lines = new Map<number, string[]>(partitions.map((p) => [p, []]));
  const reached = new Map<number, number>();
  let ends = new Map<number, number>();
  try {
    await admin.connect();
    ends = new Map((await admin.fetchTopicOffsets(topic)).filter((p) => lines.has(p.partition)).map((p) => [p.partition, Number(p.high)]));
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        const out = lines.get(batch.partition);
        if (!out) return;
        // rawMessages: kafkajs' Batch keeps every decoded record, control records included
        for (const m of (batch as unknown as { rawMessages: RawMessage[] }).rawMessages) {
          if (Number(m.offset) < (reached.get(batch.partition) ?? 0)) continue;
          const c = m.batchContext;
          const h = (name: string) => m.headers?.[name]?.toString();
          const what = m.isControlRecord ? (m.key && Buffer.from(m.key).readInt16BE(2) === 0 ? 'ABORT' : 'COMMIT') : `src=${h('sluice.source.partition') ?? '-'}:${h('sluice.source.offset') ?? '-'}`;
          out.push(`${m.offset} pid=${c.producerId} epoch=${c.producerEpoch} txn=${c.inTransaction ? 1 : 0} batch=${c.firstOffset} ${what}`);
          reached.set(batch.partition, Number(m.offset) + 1);
        }
      },
    });
    await waitFor(() => [...ends].every(([p, end]) => (reached.get(p) ?? 0) >= end), timeoutMs, () => `${topic} read raw to its end`, 100);
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
  return [...lines].flatMap(([p, l]) => [`# ${topic} partition ${p}`, ...l]);
}

/** Writes the raw logs of `topics` (partitions `partitions`) into `dir`; returns the file names. */
export async function dumpRawLogs(brokers: string[], dir: string, topics: readonly string[], partitions: readonly number[]): Promise<string[]> {
  const files: string[] = [];
  for (const topic of topics) {
    const file = join(dir, `raw-${topic}.txt`);
    writeFileSync(file, `${(await rawLog(brokers, topic, partitions)).join('\n')}\n`);
    files.push(file);
  }
  return files;
}
