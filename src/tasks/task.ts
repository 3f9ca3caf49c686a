/**
 * One task per input partition (like a Kafka Streams task): it owns the partition's stream time,
 * its open windows in DuckDB and a transactional producer `<name>-<topic>-<partition>`.
 * Starting a task is the recovery procedure of docs/exactly-once.md:
 *   1. fence: register the transactional id (aborts a lingering transaction, fences a zombie);
 *   2. read the committed offset + checkpoint (after fencing, so no older owner can move them);
 *   3. roll forward the checkpoint's pending Parquet files, remove dead staging;
 *   4. replay [committed offset, checkpoint position) in restore mode (see pipeline.ts).
 */
import type { Logger } from 'pino';
import { fetchCommitted, fileRef, type Checkpoint } from '../commit/checkpoint.js';
import { TaskTransaction } from '../commit/transaction.js';
import { RecordDecoder } from '../serde/decoder.js';
import { TaskWindows } from '../window/task-windows.js';
import type { TaskTable } from '../window/duck-state.js';
import { metadataIn, type MetadataName } from '../window/metadata.js';
import type { RecordFilter } from '../window/record-filter.js';
import type { ReplicaContext } from '../runtime/context.js';
import { withDependency } from '../runtime/outage.js';

export class Task {
  /**
   * Every offset below this one is reflected in the task's state (or was committed before it).
   * -1 for a partition the group never committed: the consumer's start (earliest/latest) decides.
   */
  nextOffset: number;
  /** Records below this offset were processed before the restart: rebuild state, emit nothing. */
  readonly restoreUntil: number;
  private restoreStarted = Date.now();
  private restoredRecords = 0;
  private restoring: boolean;

  private constructor(
    readonly partition: number,
    readonly log: Logger,
    readonly txn: TaskTransaction,
    readonly table: TaskTable,
    readonly windows: TaskWindows,
    readonly decoder: RecordDecoder,
    /** `filter:`, on a DuckDB connection of its own; undefined without one. */
    readonly filter: RecordFilter | undefined,
    /** Record metadata the metrics or the filter read, set on each value (ingest.ts). */
    readonly metadata: readonly MetadataName[],
    committedOffset: number | undefined,
    checkpoint: Checkpoint | undefined,
  ) {
    this.nextOffset = committedOffset ?? -1;
    this.restoreUntil = checkpoint?.position ?? -1;
    this.restoring = this.restoreUntil > this.nextOffset;
  }

  static async start(ctx: ReplicaContext, partition: number): Promise<Task> {
    const { spec } = ctx.topology;
    const log = ctx.log.child({ partition }); // ctx.log carries the topology already
    const txn = new TaskTransaction(ctx.kafka, `${spec.name}-${spec.source.topic}-${partition}`, spec.transaction_timeout, ctx.maxMessageBytes);
    // how long each step took, in the 'task started' line: what a restore spends before its replay
    const ms: Record<string, number> = {};
    let lap = Date.now();
    const step = (name: string) => ((ms[name] = Date.now() - lap), (lap = Date.now()));
    try {
      await txn.fence(); // 1
      step('fence');
      const { offset, checkpoint } = await fetchCommitted(ctx.admin, spec.source.group, spec.source.topic, partition); // 2
      step('offsets');
      const pending = (checkpoint?.pending ?? []).map(fileRef);
      for (const sink of ctx.sinks) if (sink.recover) await withDependency(ctx, 'storage', () => sink.recover!(partition, checkpoint?.staging, pending)); // 3
      if (ctx.dedup && (await withDependency(ctx, 'redis', () => ctx.dedup!.ensureMarker(partition))) === 'created' && checkpoint) {
        // the marker lives beside the dedup keys: gone means Redis lost them (restart without persistence, failover)
        log.error({ partition }, 'Redis lost its dedup data: duplicates within the TTL may be admitted again (see README, Honest limits)');
        ctx.metrics.redisDataLoss();
      }
      step('recover');
      const table = await ctx.duck.task(partition, ctx.columns, spec.aggregate);
      await table.reset();
      const filter = spec.filter === undefined ? undefined : await ctx.duck.filter(partition, ctx.columns, spec.filter);
      const read = [...table.stored, ...(filter?.stored ?? [])];
      const windows = new TaskWindows(spec.window, { streamTime: checkpoint?.streamTime, lowTime: checkpoint?.lowTime });
      const decoder = new RecordDecoder({
        source: ctx.schemas,
        readerSchema: ctx.topology.valueSchema,
        eventTimeField: spec.source.event_time,
        dedupKey: spec.dedup?.key,
        fields: read.map((c) => c.name),
        maxFutureSkewMs: spec.source.max_future_skew === 'off' ? undefined : spec.source.max_future_skew,
        groupBy: spec.aggregate.group_by,
        maxKeyBytes: spec.aggregate.max_key_bytes,
      });
      const task = new Task(partition, log, txn, table, windows, decoder, filter, metadataIn(read), offset, checkpoint);
      step('state');
      log.info({ committedOffset: offset ?? null, restoreUntil: task.restoreUntil, streamTime: checkpoint?.streamTime ?? null, ms }, 'task started');
      return task;
    } catch (e) {
      await txn.close(); // a start cut short (a stop, a failure) leaves no producer behind
      throw e;
    }
  }

  get isRestoring(): boolean {
    return this.restoring;
  }

  /** Called by the pipeline after each batch: logs the end of the restore once. */
  noteProgress(ctx: ReplicaContext, restoredInBatch: number): void {
    this.restoredRecords += restoredInBatch;
    if (this.restoring && this.nextOffset >= this.restoreUntil) {
      this.restoring = false;
      const seconds = (Date.now() - this.restoreStarted) / 1000;
      ctx.metrics.restored(seconds, this.restoredRecords);
      this.log.info({ records: this.restoredRecords, seconds }, 'restore finished');
    }
  }

  async close(): Promise<void> {
    await this.txn.close();
    await this.table.close().catch(() => undefined);
    await this.filter?.close().catch(() => undefined);
  }
}
