/**
 * The loop of loop.ts with kafkajs, as sluice runs it: the consumer settings of
 * src/runtime/replica.ts, batches per partition as src/tasks/consumer.ts cuts them, and sluice's
 * own TaskTransaction (fence, begin, send, sendOffsets with the checkpoint as metadata, commit).
 *   node --import tsx test/bench/clients/kafkajs.ts '<LoopOptions as JSON>'
 */
import '../../../src/kafkajs/patches.js';
import { Kafka, logLevel } from 'kafkajs';
import { SEND_RETRY_MS, TaskTransaction } from '../../../src/commit/transaction.js';
import { CHECKPOINT, loopOptions, OUTPUT_VALUE_BYTES, outputRecords, outputsFor, Progress, report } from './loop.js';

const o = loopOptions();
const kafka = new Kafka({ clientId: 'sluice-bench-clients', brokers: o.brokers, logLevel: logLevel.NOTHING });
const value = Buffer.alloc(OUTPUT_VALUE_BYTES, 7);
const progress = new Progress(o.events);
const retryMs = o.sendRetryMs ?? SEND_RETRY_MS;

// one transactional producer per partition, fenced before anything is read (src/runtime/task.ts)
const txns = new Map<number, TaskTransaction>();
await Promise.all(
  Array.from({ length: o.partitions }, async (_, p) => {
    const txn = new TaskTransaction(kafka, `${o.name}-${p}`, 60_000, () => 1_048_588, retryMs);
    await txn.fence();
    txns.set(p, txn);
  }),
);

const consumer = kafka.consumer({ groupId: o.group, readUncommitted: false, maxWaitTimeInMs: o.maxWaitMs, maxBytesPerPartition: 4 << 20, sessionTimeout: 30_000 });
await consumer.connect();
await consumer.subscribe({ topic: o.topic, fromBeginning: true });
await consumer.run({
  autoCommit: false,
  eachBatchAutoResolve: false,
  partitionsConsumedConcurrently: Math.min(o.partitions, 32),
  eachBatch: async ({ batch, resolveOffset }) => {
    progress.started();
    const txn = txns.get(batch.partition)!;
    for (let i = 0; i < batch.messages.length; i += o.batch) {
      const chunk = batch.messages.slice(i, i + o.batch);
      const outputs = outputRecords(outputsFor(chunk.length, o.outputRatio), o.partitions, value);
      const next = Number(chunk[chunk.length - 1]!.offset) + 1;
      await txn.begin();
      await txn.send(o.output, outputs);
      await txn.commit({ groupId: o.group, topic: o.topic, partition: batch.partition, offset: next, metadata: CHECKPOINT });
      resolveOffset(chunk[chunk.length - 1]!.offset);
      progress.committed(chunk.length, outputs.length);
    }
  },
});

const { seconds, cpuSeconds } = await progress.finished;
report({ client: `kafkajs 2.2.4${retryMs === SEND_RETRY_MS ? '' : `, retry ${retryMs} ms`}`, events: progress.records, seconds, cpuSeconds, transactions: progress.transactions, produced: progress.produced, gaps: [] });
await consumer.disconnect();
await Promise.all([...txns.values()].map((t) => t.close()));
process.exit(0);
