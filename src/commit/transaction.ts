/**
 * A task's transactional producer, guarded by a table of legal state transitions (after kafkajs'
 * eosManager/transactionStateMachine): an illegal call is a bug and throws a non-retriable error.
 * One instance per task; transactional id `<name>-<topic>-<partition>` so that the next owner of the
 * partition fences this one (kafkajs' TxnOffsetCommit carries no group generation, KIP-447).
 */
import type { Kafka, Message, Producer, Transaction } from 'kafkajs';
import { SluiceError } from '../errors.js';
import { retryWithBackoff } from '../runtime/backoff.js';
import { linearPartitioner } from '../sink/partitioner.js';
import { chunkBySize } from './chunks.js';

export const TxnStates = ['idle', 'fenced-in', 'open', 'committing', 'aborting', 'dead'] as const;
export type TxnState = (typeof TxnStates)[number];

// from → allowed next states. 'fenced-in' = registered with the coordinator, no transaction open.
const LEGAL: Record<TxnState, readonly TxnState[]> = {
  idle: ['fenced-in', 'dead'],
  'fenced-in': ['open', 'dead'],
  open: ['committing', 'aborting', 'dead'],
  committing: ['fenced-in', 'aborting', 'dead'],
  aborting: ['fenced-in', 'dead'],
  dead: [],
};

/**
 * First retry delay of the producer's sends, ms. A transaction's AddPartitionsToTxn right after the
 * previous EndTxn meets CONCURRENT_TRANSACTIONS until the broker has written the commit markers (a
 * few ms); kafkajs retries it after its default 300 ms (±20 %, doubling), which stalled a task in
 * every other batch. The Java producer retries this case after 20 ms. Doubling as before, capped at
 * the client's maxRetryTime (30 s), so an unreachable broker is not polled faster for long.
 */
export const SEND_RETRY_MS = 20;

/**
 * How long the offsets' AddOffsetsToTxn is retried while the coordinator answers
 * CONCURRENT_TRANSACTIONS: kafkajs throws it (eosManager.sendOffsets has no retry), though it only
 * means the previous commit's markers are not written yet. A transaction that sends no records (a
 * batch that closes nothing, with no dead letter or late record) opens with that request, right
 * after the previous commit, and failed its batch: a restart and a replay, seconds of latency.
 * The Java producer re-enqueues it (TransactionManager.AddOffsetsToTxnHandler).
 */
export const CONCURRENT_RETRY_MAX_MS = 30_000;

export interface OffsetCommit { groupId: string; topic: string; partition: number; offset: number; metadata: string }

export class TaskTransaction {
  private state: TxnState = 'idle';
  private txn: Transaction | undefined;
  private readonly producer: Producer;
  /** The offset of the last transaction this producer committed (undefined until one did). */
  committedOffset: number | undefined;

  /** `maxMessageBytes(topic)`: what the topic accepts per record batch; sends are split to fit it. */
  constructor(kafka: Kafka, readonly transactionalId: string, transactionTimeoutMs: number, private readonly maxMessageBytes: (topic: string) => number, private readonly sendRetryMs = SEND_RETRY_MS) {
    this.producer = kafka.producer({
      transactionalId,
      idempotent: true,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: sendRetryMs }, // idempotence needs unbounded retries
      maxInFlightRequests: 1,
      transactionTimeout: transactionTimeoutMs,
      allowAutoTopicCreation: false,
      // the Java client's murmur2 placement in linear time (dead letters and late records keep their
      // source key, of any length); the topic sink sets partitions itself with the same hash
      createPartitioner: linearPartitioner,
    });
  }

  get current(): TxnState {
    return this.state;
  }

  private to(next: TxnState): void {
    if (!LEGAL[this.state].includes(next)) {
      throw new SluiceError('ILLEGAL_TRANSITION', `transaction ${this.transactionalId}: ${this.state} → ${next} is not allowed`);
    }
    this.state = next;
  }

  /**
   * Registers the transactional id with the coordinator: bumps the epoch, fences any older holder
   * and aborts its lingering transaction. kafkajs does this at the first transaction(), not at
   * connect() (see docs/local-stack.md), so we open and abort an empty one.
   */
  async fence(): Promise<void> {
    await this.producer.connect();
    const t = await this.producer.transaction();
    await t.abort(); // nothing was added: kafkajs sends no EndTxn, the epoch bump already happened
    this.to('fenced-in');
  }

  async begin(): Promise<void> {
    this.to('open');
    this.txn = await this.producer.transaction();
  }

  async send(topic: string, messages: Message[]): Promise<void> {
    const txn = this.open();
    for (const chunk of chunkBySize(messages, this.maxMessageBytes(topic))) await txn.send({ topic, messages: chunk, acks: -1 });
  }

  /** `beforeEnd` runs between sendOffsets and EndTxn (a crash point for failure tests). */
  async commit(offsets: OffsetCommit, beforeEnd?: () => void): Promise<void> {
    const txn = this.open();
    this.to('committing');
    const since = Date.now();
    const concurrent = (e: unknown) => (e as { type?: string }).type === 'CONCURRENT_TRANSACTIONS' && Date.now() - since < CONCURRENT_RETRY_MAX_MS;
    const sendOffsets = () => txn.sendOffsets({
      consumerGroupId: offsets.groupId,
      topics: [{ topic: offsets.topic, partitions: [{ partition: offsets.partition, offset: String(offsets.offset), metadata: offsets.metadata } as { partition: number; offset: string }] }],
    });
    await retryWithBackoff(sendOffsets, { isRetriable: concurrent, initialMs: this.sendRetryMs, maxMs: 1_000 });
    beforeEnd?.();
    await txn.commit();
    this.txn = undefined;
    this.committedOffset = offsets.offset;
    this.to('fenced-in');
  }

  /** Aborts the open transaction, if any; a producer that cannot abort is dead and must be replaced. */
  async abort(): Promise<void> {
    if (this.state !== 'open' && this.state !== 'committing') return;
    this.to('aborting');
    try {
      await this.txn?.abort();
      this.txn = undefined;
      this.to('fenced-in');
    } catch (err) {
      this.state = 'dead';
      throw err;
    }
  }

  async close(): Promise<void> {
    if (this.state === 'open' || this.state === 'committing') await this.abort().catch(() => undefined);
    this.state = 'dead';
    await this.producer.disconnect().catch(() => undefined);
  }

  private open(): Transaction {
    if (this.state !== 'open' || !this.txn) {
      throw new SluiceError('ILLEGAL_TRANSITION', `transaction ${this.transactionalId}: no open transaction (state ${this.state})`);
    }
    return this.txn;
  }
}
