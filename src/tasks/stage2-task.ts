/**
 * A stage-2 task (docs/keyed-windows.md): one partition of the repartition topic, holding the
 * windows of the group keys that hash to it, closed by the minimum of the source partitions'
 * stream times. Starting it is the recovery procedure of a single-stage task (task.ts), with the
 * source watermarks restored from the checkpoint beside the stream time:
 *   1. fence: register the transactional id `<name>-<name>-repartition-<partition>`;
 *   2. read the committed offset + checkpoint (position, watermarks, pending files);
 *   3. roll forward the checkpoint's pending Parquet files, remove dead staging;
 *   4. replay [committed offset, checkpoint position) in restore mode (see stage2.ts).
 */
import type { KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { fetchCommitted, fileRef, type Checkpoint } from '../commit/checkpoint.js';
import { TaskTransaction } from '../commit/transaction.js';
import { RepartitionPurge } from '../repartition/purge.js';
import { SourceWatermarks } from '../repartition/watermarks.js';
import type { TaskTable } from '../window/duck-state.js';
import { WatermarkWindows } from '../window/watermark-windows.js';
import { metadataIn, type MetadataName } from '../window/metadata.js';
import type { ReplicaContext } from '../runtime/context.js';
import { withDependency } from '../runtime/outage.js';
import { reportStage2, runStage2 } from '../runtime/stage2.js';

export class Stage2Task {
  nextOffset: number;
  /** Records below this offset were processed before the restart: rebuild state, emit nothing. */
  readonly restoreUntil: number;
  private restoring: boolean;
  private readonly restoreStarted = Date.now();
  private restoredRecords = 0;

  private constructor(
    private readonly ctx: ReplicaContext,
    readonly topic: string,
    readonly partition: number,
    readonly log: Logger,
    readonly txn: TaskTransaction,
    readonly table: TaskTable,
    readonly windows: WatermarkWindows,
    /** Record metadata the metrics read, set on each value from the repartition record (stage2.ts). */
    readonly metadata: readonly MetadataName[],
    readonly purge: RepartitionPurge,
    committedOffset: number | undefined,
    checkpoint: Checkpoint | undefined,
  ) {
    this.nextOffset = committedOffset ?? -1;
    this.restoreUntil = checkpoint?.position ?? -1;
    this.restoring = this.restoreUntil > this.nextOffset;
  }

  static async start(ctx: ReplicaContext, partition: number): Promise<Stage2Task> {
    const { spec } = ctx.topology;
    const stages = ctx.stages!;
    const topic = stages.topic;
    const log = ctx.log.child({ stage: 2, partition });
    const txn = new TaskTransaction(ctx.kafka, `${spec.name}-${topic}-${partition}`, spec.transaction_timeout, ctx.maxMessageBytes);
    try {
      await txn.fence(); // 1
      const { offset, checkpoint } = await fetchCommitted(ctx.admin, spec.source.group, topic, partition); // 2
      const pending = (checkpoint?.pending ?? []).map(fileRef);
      for (const sink of ctx.sinks) if (sink.recover) await withDependency(ctx, 'storage', () => sink.recover!(partition, checkpoint?.staging, pending)); // 3
      const table = await ctx.duck.task(partition, ctx.columns, spec.aggregate);
      await table.reset();
      const watermarks = new SourceWatermarks(stages.sourcePartitions, checkpoint?.watermarks);
      const purge = new RepartitionPurge(ctx.admin, topic, partition, log, (o) => stages.metrics.purged(partition, o), stages.purgeIntervalMs);
      const task = new Stage2Task(ctx, topic, partition, log, txn, table, new WatermarkWindows(spec.window, watermarks), metadataIn(table.stored), purge, offset, checkpoint);
      log.info({ committedOffset: offset ?? null, restoreUntil: task.restoreUntil, minimum: watermarks.minimum }, 'stage-2 task started');
      reportStage2(ctx, task);
      return task;
    } catch (e) {
      await txn.close();
      throw e;
    }
  }

  get isRestoring(): boolean {
    return this.restoring;
  }

  run(messages: KafkaMessage[], highWatermark?: number): Promise<void> {
    return runStage2(this.ctx, this, messages, highWatermark);
  }

  /** Called after each batch: logs the end of the restore once. */
  noteProgress(restoredInBatch: number): void {
    this.restoredRecords += restoredInBatch;
    if (this.restoring && this.nextOffset >= this.restoreUntil) {
      this.restoring = false;
      const seconds = (Date.now() - this.restoreStarted) / 1000;
      this.ctx.metrics.restored(seconds, this.restoredRecords);
      this.log.info({ records: this.restoredRecords, seconds }, 'restore finished');
    }
  }

  async close(): Promise<void> {
    this.ctx.stages!.metrics.stage2Closed(this.partition);
    await this.txn.close();
    await this.table.close().catch(() => undefined);
  }
}
