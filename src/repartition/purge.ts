/**
 * Deletes what stage 2 has committed from its repartition partition (as Kafka Streams purges its
 * repartition topics): records below the offset a stage-2 task committed are never read again,
 * since a restore replays from the committed offset (the low-water mark of the open windows),
 * and committed offsets of a partition only grow. At most every `intervalMs` per task, in the
 * background (a batch never waits for it); a failure is logged and retried at a later commit.
 * The topic itself keeps records without a time limit (retention.ms=-1, topics.ts), so that
 * nothing stage 2 still needs expires during a long outage.
 */
import type { Admin } from 'kafkajs';
import type { Logger } from 'pino';

export const PURGE_INTERVAL_MS = 30_000;

export class RepartitionPurge {
  private purgedTo = 0;
  private lastAt = 0;
  private running: Promise<void> | undefined;

  constructor(
    private readonly admin: Admin,
    private readonly topic: string,
    private readonly partition: number,
    private readonly log: Logger,
    private readonly onPurged: (offset: number) => void,
    private readonly intervalMs = PURGE_INTERVAL_MS,
  ) {}

  /** After a commit of the task's transaction: `committed` is the offset it committed. */
  afterCommit(committed: number | undefined, now = Date.now()): void {
    if (committed === undefined || committed <= this.purgedTo || this.running || now - this.lastAt < this.intervalMs) return;
    this.lastAt = now;
    this.running = this.admin
      .deleteTopicRecords({ topic: this.topic, partitions: [{ partition: this.partition, offset: String(committed) }] })
      .then(() => {
        this.purgedTo = committed;
        this.onPurged(committed);
      })
      .catch((err: unknown) => this.log.warn({ offset: committed, err: err instanceof Error ? err.message : String(err) }, 'purging the repartition partition failed; retrying later'))
      .finally(() => (this.running = undefined));
  }

  /** The purge in progress, if any (tests, and a close that wants it done). */
  settled(): Promise<void> {
    return this.running ?? Promise.resolve();
  }
}
