/**
 * One micro-batch of a stage-1 task (a source partition of a two-stage topology), top to bottom.
 * The rule it serves (docs/keyed-windows.md): lateness is decided here, by the record's own source
 * partition, exactly as a single stage decides it; windows are computed by stage 2 per group key.
 *
 * The commit order (written once, here):
 *   1. decode + validate; invalid → dead letters; null key, filter    (ingest.ts, as pipeline.ts)
 *   2. deduplicate in Redis (replay-safe)                              (ingest.ts, as pipeline.ts)
 *   3. advance stream time record by record; all windows closed → late; the others become
 *      repartition rows for the partition of their group key, carrying the stream time they were
 *      judged at, packed per repartition partition (src/repartition/codec.ts)
 *   4. ONE Kafka transaction: dead letters, late records, the repartition records, then — when
 *      stream time advanced — one watermark per repartition partition (after the data, so that in
 *      every repartition partition a watermark of p follows the data of p it covers), then the
 *      offset (= the next offset: no open windows here) with {position, stream time}; commit
 * Anything failing before 4 completes throws: the caller aborts, discards the task and restarts it
 * from the checkpoint. Nothing is replayed: the offset is the read position.
 */
import type { KafkaMessage, Message } from 'kafkajs';
import { encodeCheckpoint } from '../commit/checkpoint.js';
import { watermarkMessages } from '../repartition/codec.js';
import { lateRecord } from '../sink/headers.js';
import { groupKey } from '../sink/topic.js';
import { NO_STREAM_TIME } from '../window/task-windows.js';
import { sendSideRecords } from './commit-windows.js';
import type { ReplicaContext } from './context.js';
import { crashPoint } from './faults.js';
import { countOutcomes, ingest } from './ingest.js';
import type { Stage1Task } from '../tasks/stage1-task.js';

const never = () => false;

export async function runStage1(ctx: ReplicaContext, task: Stage1Task, fetched: KafkaMessage[]): Promise<void> {
  const { spec } = ctx.topology;
  const stages = ctx.stages!;
  const src = { topic: spec.source.topic, partition: task.partition };
  // records below nextOffset were committed already (a replay after a seek)
  const messages = Number(fetched[0]?.offset ?? Infinity) >= task.nextOffset ? fetched : fetched.filter((m) => Number(m.offset) >= task.nextOffset);
  if (messages.length === 0) return;

  // 1. decode + validate, 2. deduplicate
  const ingested = await ingest(ctx, task, messages, never);
  const { deadLetters, fresh } = ingested;

  // 3. stream time and lateness per record; on-time records to the repartition partition of their group key
  const lateRecords: Message[] = [];
  const rows = new Map<number, Array<{ key: string; eventTime: number; sourceTime: number; partition: number; offset: number; sourceKey: Buffer | null; value: Record<string, unknown> }>>();
  let onTime = 0;
  for (const d of fresh) {
    const r = task.time.observe(d.eventTime);
    if (r.late) {
      lateRecords.push(lateRecord(src, d.m, { lateByMs: r.lateByMs, window: r.window, eventTime: d.eventTime, idle: r.idle }));
      continue;
    }
    const key = groupKey(d.value, spec.aggregate.group_by);
    const to = stages.partitionOf(key);
    let list = rows.get(to);
    if (!list) rows.set(to, (list = []));
    list.push({ key: key ?? '', eventTime: d.eventTime, sourceTime: r.streamTime, partition: task.partition, offset: d.offset, sourceKey: d.m.key, value: d.value });
    onTime++;
  }
  // packed per repartition partition, in their order (codec.ts): the client's cost is per Kafka record and per byte
  const repartitioned: Message[] = [];
  for (const [partition, list] of rows) for (const value of stages.codec.encodePacked(list)) repartitioned.push({ key: null, value, partition });
  const streamTime = task.time.streamTime;
  const watermarks = streamTime > task.published ? watermarkMessages(task.partition, streamTime, stages.partitions) : [];

  // 4. one transaction: side records, repartition records, watermarks, offset + checkpoint
  task.nextOffset = Number(messages[messages.length - 1]!.offset) + 1;
  await task.txn.begin();
  await sendSideRecords(ctx, task.txn, deadLetters, lateRecords);
  await task.txn.send(stages.topic, [...repartitioned, ...watermarks]);
  await commitStage1(ctx, task);

  const p = task.partition;
  countOutcomes(ctx, p, ingested, lateRecords.length, never);
  stages.metrics.repartitioned(1, 'data', onTime);
  stages.metrics.repartitioned(1, 'watermark', watermarks.length);
  if (streamTime !== NO_STREAM_TIME) ctx.metrics.eventTimeLag(p, streamTime);
}

/**
 * A quiet partition (source.idle_timeout, docs/keyed-windows.md): no record for that long. Its
 * stream time rises to the wall clock minus the timeout, and the decision is committed before
 * anything else runs on the task: one transaction with a watermark per repartition partition and
 * the unchanged offset, whose checkpoint holds the new stream time. A restart reads the decision
 * back and never takes it again; a later record for a window it closed is late at this stage.
 */
export async function advanceIdle(ctx: ReplicaContext, task: Stage1Task, now: number): Promise<void> {
  const stages = ctx.stages!;
  if (!task.time.advanceIdle(now - ctx.topology.spec.source.idle_timeout!)) return;
  await task.txn.begin();
  await task.txn.send(stages.topic, watermarkMessages(task.partition, task.time.streamTime, stages.partitions));
  await commitStage1(ctx, task);
  stages.metrics.repartitioned(1, 'watermark', stages.partitions);
  task.log.debug({ streamTime: task.time.streamTime }, 'quiet partition: stream time advanced with the wall clock');
}

/** The end of step 4: the offset (the read position) with {position, stream time, record time}; commit. */
async function commitStage1(ctx: ReplicaContext, task: Stage1Task): Promise<void> {
  const { spec } = ctx.topology;
  const streamTime = task.time.streamTime;
  const checkpoint = encodeCheckpoint({ position: task.nextOffset, streamTime, recordTime: task.time.recordTime, pending: [] });
  await task.txn.commit({ groupId: spec.source.group, topic: spec.source.topic, partition: task.partition, offset: task.nextOffset, metadata: checkpoint }, () => crashPoint('before-commit'));
  crashPoint('after-commit');
  task.published = streamTime;
  ctx.metrics.transaction('committed');
  ctx.kafkaLog.recovered();
}
