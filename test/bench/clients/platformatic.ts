/**
 * The loop of loop.ts with @platformatic/kafka (installed in bench/clients/ by run.ts). Its consumer
 * is a stream of single records, so batches are cut here per partition (batch size, or what a fetch
 * left once the partition's previous transaction is done), one transaction chain per partition.
 * Its transaction API commits a record's offset + 1 with the group's generation (KIP-447) but no
 * metadata string (TxnOffsetCommit's committed_metadata is sent null): named as a gap in the result.
 *   node --import tsx test/bench/clients/platformatic.ts '<LoopOptions as JSON>'
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loopOptions, OUTPUT_VALUE_BYTES, outputsFor, Progress, report } from './loop.js';

/** The little of the client this loop uses (the package lives outside sluice's node_modules, untyped here). */
interface Record_ { topic: string; partition: number; offset: bigint; value: Buffer }
interface Txn {
  send(o: { messages: Array<{ topic: string; key: Buffer; value: Buffer; partition: number }> }): Promise<unknown>;
  addConsumer(c: unknown): Promise<void>;
  addOffset(m: Record_): Promise<void>;
  commit(): Promise<void>;
  cancel(): Promise<void>;
}
interface Producer { beginTransaction(): Promise<Txn>; close(): Promise<void> }
interface Stream { on(e: 'data', f: (m: Record_) => void): void; on(e: 'error', f: (e: Error) => void): void; pause(): void; resume(): void; close(): Promise<void> }
interface Consumer { consume(o: Record<string, unknown>): Promise<Stream>; close(force?: boolean): Promise<void> }
interface Module {
  Producer: new (o: Record<string, unknown>) => Producer;
  Consumer: new (o: Record<string, unknown>) => Consumer;
}

// 2.x calls Promise.withResolvers (Node 22+); on Node 20 the bench supplies it (sluice itself could not)
const P = Promise as unknown as { withResolvers?: () => unknown };
P.withResolvers ??= () => {
  let resolve!: (v: unknown) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
};

export const PLATFORMATIC_DIR = resolve('bench/clients');
const mod = (await import(pathToFileURL(join(PLATFORMATIC_DIR, 'index.js')).href)) as Module;
const { version } = JSON.parse(readFileSync(join(PLATFORMATIC_DIR, 'node_modules/@platformatic/kafka/package.json'), 'utf8')) as { version: string };

const o = loopOptions();
// retries after 20 ms, as the Java producer does on CONCURRENT_TRANSACTIONS (an AddPartitionsToTxn right
// after the previous EndTxn): the default 1 s delay stalled every other transaction by a second
const base = { clientId: 'sluice-bench-clients', bootstrapBrokers: o.brokers, retries: 50, retryDelay: 20 };
const value = Buffer.alloc(OUTPUT_VALUE_BYTES, 7);
const progress = new Progress(o.events);

// one transactional producer per partition; the first transaction fences (InitProducerId bumps the
// epoch); cancelled, since committing an empty one sends EndTxn, which the broker refuses (INVALID_TXN_STATE)
const producers = Array.from({ length: o.partitions }, (_, p) => new mod.Producer({ ...base, transactionalId: `${o.name}-${p}`, idempotent: true, acks: -1, autocreateTopics: false }));
for (const producer of producers) {
  const t = await producer.beginTransaction();
  await t.cancel();
}

const consumer = new mod.Consumer({ ...base, groupId: o.group, autocommit: false, maxWaitTime: o.maxWaitMs, sessionTimeout: 30_000, heartbeatInterval: 3_000 });
const stream = await consumer.consume({ topics: [o.topic], mode: 'committed', fallbackMode: 'earliest', maxBytesPerPartition: 4 << 20, highWaterMark: o.batch });

const buffers = Array.from({ length: o.partitions }, () => [] as Record_[]);
const busy = new Array<boolean>(o.partitions).fill(false);
const queued = Array.from({ length: o.partitions }, () => [] as Record_[][]);
let failure: Error | undefined;

async function drain(p: number): Promise<void> {
  busy[p] = true;
  try {
    for (let batch = queued[p]!.shift(); batch; batch = queued[p]!.shift()) {
      const n = outputsFor(batch.length, o.outputRatio);
      const messages = new Array<{ topic: string; key: Buffer; value: Buffer; partition: number }>(n);
      for (let i = 0; i < n; i++) messages[i] = { topic: o.output, key: Buffer.from(`page-${i}`), value, partition: i % o.partitions };
      const t = await producers[p]!.beginTransaction();
      await t.send({ messages });
      await t.addConsumer(consumer);
      await t.addOffset(batch[batch.length - 1]!);
      await t.commit();
      progress.committed(batch.length, n);
      if (queued.every((q) => q.length < 2)) stream.resume();
    }
  } catch (e) {
    failure = e as Error;
  } finally {
    busy[p] = false;
  }
}

const cut = (p: number): void => {
  queued[p]!.push(buffers[p]!);
  buffers[p] = [];
  if (queued[p]!.length >= 2) stream.pause(); // at most one batch waits behind the running one
  if (!busy[p]) void drain(p);
};

stream.on('error', (e) => (failure = e));
stream.on('data', (m) => {
  progress.started();
  const buf = buffers[m.partition]!;
  buf.push(m);
  if (buf.length >= o.batch) cut(m.partition);
});
// what a fetch left below the batch size goes once the partition is free (kafkajs: the fetch's remainder)
const flusher = setInterval(() => {
  for (let p = 0; p < o.partitions; p++) if (buffers[p]!.length > 0 && !busy[p]) cut(p);
}, 5);

const finished = await Promise.race([progress.finished, new Promise<never>((_, rej) => setInterval(() => failure && rej(failure), 100).unref())]);
clearInterval(flusher);
report({ client: `@platformatic/kafka ${version}`, events: progress.records, ...finished, transactions: progress.transactions, produced: progress.produced, gaps: ['no offset-commit metadata in transactions (committed_metadata sent null)'] });
await stream.close().catch(() => undefined);
await consumer.close(true).catch(() => undefined);
await Promise.all(producers.map((p) => p.close().catch(() => undefined)));
process.exit(0);
