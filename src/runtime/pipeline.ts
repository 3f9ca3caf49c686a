/**
 * One micro-batch of one task, top to bottom: follow a record from the Kafka fetch to the commit.
 *
 * The commit order (written once, here; docs/exactly-once.md):
 *   1. decode + validate; invalid → dead letters; a null group key or `filter:` → dropped
 *   2. deduplicate in Redis (replay-safe: a record finds its own position and stays new)
 *   3. assign to windows, advancing stream time record by record; all windows closed → late
 *   4. append the rest to the task's open-window rows in DuckDB
 *   5. close windows with end + grace <= stream time; aggregate them in SQL
 *   6. stage the Parquet files (invisible)
 *   7. ONE Kafka transaction: outputs + dead letters + late records (sent while 6 stages), then,
 *      once both are done, the offset (low-water mark of open windows) with the checkpoint as its
 *      metadata; commit
 *   8. publish the staged files, drop the closed windows from DuckDB
 * Anything failing before 7 completes throws: the caller aborts, discards the task and restarts
 * it from the last checkpoint (the same path as a crash), so there is one recovery mechanism.
 * Records below task.restoreUntil were processed before a restart: they rebuild state only
 * (no dead letter, late record, output or file — those were committed already).
 * Steps 1–2 are ingest.ts and 5–8 commit-windows.ts, shared with the two stages of a topology
 * whose source is not partitioned by the group key (stage1.ts, stage2.ts).
 */
import type { KafkaMessage, Message } from 'kafkajs';
import { encodeCheckpoint, MAX_PENDING_WINDOWS, pendingFile } from '../commit/checkpoint.js';
import { lateRecord } from '../sink/headers.js';
import { groupKey } from '../sink/topic.js';
import type { FileRef, TimeWindow } from '../window/kinds.js';
import { NO_STREAM_TIME } from '../window/task-windows.js';
import { commitClosedWindows, heldBelow, type WindowTask } from './commit-windows.js';
import type { ReplicaContext } from './context.js';
import { EarlyTicks } from './early.js';
import { crashPoint } from './faults.js';
import { countOutcomes, ingest } from './ingest.js';
import type { Task } from '../tasks/task.js';

export async function runBatch(ctx: ReplicaContext, task: Task, fetched: KafkaMessage[]): Promise<void> {
  const { spec } = ctx.topology;
  const src = { topic: spec.source.topic, partition: task.partition };
  // records below nextOffset are in the state already (a replay after a rebalance or a seek)
  const messages = Number(fetched[0]?.offset ?? Infinity) >= task.nextOffset ? fetched : fetched.filter((m) => Number(m.offset) >= task.nextOffset);
  if (messages.length === 0) return;
  const lastOffset = Number(messages[messages.length - 1]!.offset);
  const restoring = (offset: number) => offset < task.restoreUntil;

  // 1. decode + validate, 2. deduplicate (ingest.ts, shared with stage 1 of two)
  const ingested = await ingest(ctx, task, messages, restoring);
  const { deadLetters, fresh } = ingested;

  // 3. windows, stream time advanced record by record in offset order
  const lateRecords: Message[] = [];
  const rows: Array<{ offset: number; ts: number; window: TimeWindow; value: Record<string, unknown> }> = [];
  const early = new EarlyTicks(ctx.early);
  const keyOf = task.windows.merging ? (v: Record<string, unknown>) => groupKey(v, spec.aggregate.group_by) ?? '' : () => '';
  for (const d of fresh) {
    const before = task.windows.streamTime;
    const r = task.windows.observe(d.offset, d.eventTime, keyOf(d.value));
    early.note(d.offset, before, task.windows.streamTime, restoring(d.offset));
    if (r.late) {
      if (!restoring(d.offset)) lateRecords.push(lateRecord(src, d.m, { lateByMs: r.lateByMs, window: r.window, eventTime: d.eventTime }));
      continue;
    }
    for (const window of r.windows) rows.push({ offset: d.offset, ts: d.eventTime, window, value: d.value });
  }

  // 4. open-window rows into DuckDB (Appender)
  await task.table.append(rows);
  crashPoint('after-append');

  // the restore range is a prefix of the partition: most batches hold none of it
  const restored = restoring(Number(messages[0]!.offset)) ? messages.filter((m) => restoring(Number(m.offset))).length : 0;
  task.nextOffset = lastOffset + 1;
  // the restore is complete: forget what it rebuilt of windows emitted before the restart (sessions)
  if (task.nextOffset >= task.restoreUntil) await task.table.drop(task.windows.settle());
  // nothing new, and nothing left to emit: the last checkpoint already covers these records (a
  // restore from a checkpoint held below some closable windows ends with those windows to emit)
  if (restored === messages.length && task.windows.closable().length === 0) {
    task.noteProgress(ctx, restored);
    return;
  }
  const earlyRows = await early.messages(task.table, (w) => task.windows.closesAt(w));
  await commitClosedWindows(ctx, windowTask(src.topic, task), deadLetters, lateRecords, earlyRows);
  task.noteProgress(ctx, restored);

  // replayed records were counted when they were first processed
  const p = task.partition;
  countOutcomes(ctx, p, ingested, lateRecords.length, restoring);
  if (task.windows.streamTime !== NO_STREAM_TIME) ctx.metrics.eventTimeLag(p, task.windows.streamTime);
}

/** Steps 5–8 (commit-windows.ts) see a single-stage task through this view. */
function windowTask(topic: string, task: Task): WindowTask {
  return {
    partition: task.partition,
    log: task.log,
    topic,
    txn: task.txn,
    table: task.table,
    get nextOffset() {
      return task.nextOffset;
    },
    windows: task.windows,
    pendingThatFit: () => MAX_PENDING_WINDOWS,
    checkpoint: (pending: readonly FileRef[], staging: string | undefined, holdBelow?: number) => {
      const streamTime = heldBelow(task.windows.streamTime, holdBelow);
      return encodeCheckpoint({ position: task.nextOffset, streamTime, lowTime: Math.min(task.windows.lowTime(), streamTime), pending: pending.map(pendingFile), staging });
    },
  };
}
