/**
 * A stage-1 task (docs/keyed-windows.md): one source partition of a two-stage topology. It keeps
 * no windows, only the partition's stream time, so its committed offset is its read position and
 * starting it replays nothing:
 *   1. fence: register the transactional id `<name>-<source topic>-<partition>`;
 *   2. read the committed offset + checkpoint (stream time; also the last watermark it published);
 *   3. check the Redis dedup marker, as a single-stage task does.
 */
import type { KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { fetchCommitted } from '../commit/checkpoint.js';
import { TaskTransaction } from '../commit/transaction.js';
import { RecordDecoder } from '../serde/decoder.js';
import { SourceTime } from '../window/source-time.js';
import type { MetadataName } from '../window/metadata.js';
import type { RecordFilter } from '../window/record-filter.js';
import type { ReplicaContext } from '../runtime/context.js';
import { withDependency } from '../runtime/outage.js';
import { advanceIdle, runStage1 } from '../runtime/stage1.js';

export class Stage1Task {
  nextOffset: number;
  readonly isRestoring = false;
  /** The stream time of the last watermark committed to the repartition topic. */
  published: number;
  /** Wall clock of the task's start or its last batch: source.idle_timeout counts from here. */
  private lastActivity = Date.now();
  private lastIdleCommit = 0;

  private constructor(
    private readonly ctx: ReplicaContext,
    readonly topic: string,
    readonly partition: number,
    readonly log: Logger,
    readonly txn: TaskTransaction,
    readonly decoder: RecordDecoder,
    /** `filter:` (stage 1 applies it, before stream time); undefined without one. */
    readonly filter: RecordFilter | undefined,
    readonly time: SourceTime,
    committedOffset: number | undefined,
  ) {
    this.nextOffset = committedOffset ?? -1;
    this.published = time.streamTime;
  }

  static async start(ctx: ReplicaContext, partition: number): Promise<Stage1Task> {
    const { spec } = ctx.topology;
    const topic = spec.source.topic;
    const log = ctx.log.child({ stage: 1, partition });
    const txn = new TaskTransaction(ctx.kafka, `${spec.name}-${topic}-${partition}`, spec.transaction_timeout, ctx.maxMessageBytes);
    try {
      await txn.fence(); // 1
      const committed = await fetchCommitted(ctx.admin, spec.source.group, topic, partition); // 2
      const { checkpoint } = committed;
      // nothing committed yet: start where the consumer starts, so that an idle advance can commit an offset
      const offset = committed.offset ?? (await startOffset(ctx, topic, partition));
      if (checkpoint && checkpoint.position > (offset ?? 0)) {
        // a single-stage checkpoint (its offset is the low-water mark of open windows): the records
        // in between would be counted twice; the README says to give the two-stage topology a new name
        log.warn({ committedOffset: offset, position: checkpoint.position }, 'this group ran as one stage before: records between its offset and position are sent to stage 2 again');
      }
      if (ctx.dedup && (await withDependency(ctx, 'redis', () => ctx.dedup!.ensureMarker(partition))) === 'created' && checkpoint) {
        log.error({ partition }, 'Redis lost its dedup data: duplicates within the TTL may be admitted again (see README, Honest limits)');
        ctx.metrics.redisDataLoss();
      }
      const filter = spec.filter === undefined ? undefined : await ctx.duck.filter(partition, ctx.columns, spec.filter);
      const decoder = new RecordDecoder({
        source: ctx.schemas,
        readerSchema: ctx.topology.valueSchema,
        eventTimeField: spec.source.event_time,
        dedupKey: spec.dedup?.key,
        fields: [...ctx.stages!.codec.fields, ...(filter?.stored ?? []).map((c) => c.name)],
      });
      const time = new SourceTime(spec.window, { streamTime: checkpoint?.streamTime, recordTime: checkpoint?.recordTime });
      log.info({ committedOffset: offset ?? null, streamTime: checkpoint?.streamTime ?? null }, 'stage-1 task started');
      return new Stage1Task(ctx, topic, partition, log, txn, decoder, filter, time, offset);
    } catch (e) {
      await txn.close();
      throw e;
    }
  }

  run(messages: KafkaMessage[]): Promise<void> {
    this.lastActivity = Date.now();
    return runStage1(this.ctx, this, messages);
  }

  /**
   * Called about every second by the consumer, never during a batch: after source.idle_timeout
   * without records, stream time follows the wall clock (stage1.ts, advanceIdle), committed at
   * most every half timeout.
   */
  async idle(now: number): Promise<void> {
    const timeout = this.ctx.topology.spec.source.idle_timeout;
    if (timeout === undefined || now - this.lastActivity < timeout || now - this.lastIdleCommit < timeout / 2) return;
    this.lastIdleCommit = now;
    await advanceIdle(this.ctx, this, now);
  }

  /** Metadata the filter reads; stage 2 sets the metrics' own from the repartition record. */
  get metadata(): readonly MetadataName[] {
    return this.filter?.metadata ?? [];
  }

  async close(): Promise<void> {
    await this.txn.close();
    await this.filter?.close().catch(() => undefined);
  }
}

/** The offset a consumer of a group without a committed offset starts at (source.start). */
async function startOffset(ctx: ReplicaContext, topic: string, partition: number): Promise<number> {
  const p = (await ctx.admin.fetchTopicOffsets(topic)).find((x) => x.partition === partition);
  return Number((ctx.topology.spec.source.start === 'earliest' ? p?.low : p?.high) ?? 0);
}
