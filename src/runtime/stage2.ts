/**
 * One micro-batch of a stage-2 task (a repartition partition of a two-stage topology), top to
 * bottom. Its records were decoded, deduplicated and judged on time by stage 1; a window closes
 * once every source partition's stream time is past its end + grace (docs/keyed-windows.md), so
 * what it emits depends on the input alone, not on how the stages interleave.
 *
 * The commit order (written once, here; 5–8 are commit-windows.ts, shared with pipeline.ts):
 *   1. decode the repartition records in offset order
 *   2. a watermark raises its source partition's stream time (never lowers it); the minimum over
 *      source partitions is the time that closes windows
 *   3. a data record joins the windows that were open in its source partition when it was judged
 *      (its `s`), per group key; a window already closed here can only be met in restore mode
 *   4. append the rows to the task's open-window rows in DuckDB
 *   5. close windows with end + grace <= the minimum; aggregate them in SQL
 *   6. stage the Parquet files (invisible)
 *   7. ONE Kafka transaction: outputs (sent while 6 stages), then, once both are done, the offset
 *      (low-water mark of open windows) with the checkpoint {position, watermarks, pending files}
 *      as its metadata; commit
 *   8. publish the staged files, drop the closed windows from DuckDB
 *   9. at most every 30 s, in the background: delete the repartition records below the committed
 *      offset (src/repartition/purge.ts; a restore never reads below it)
 * Anything failing before 7 completes throws: the caller aborts, discards the task and restarts it
 * from the checkpoint. Records below task.restoreUntil rebuild state only.
 */
import type { KafkaMessage } from 'kafkajs';
import { encodeCheckpoint, pendingFile, pendingThatFit } from '../commit/checkpoint.js';
import type { StateRow } from '../window/duck-state.js';
import type { FileRef } from '../window/kinds.js';
import { attachMetadata } from '../window/metadata.js';
import { NO_STREAM_TIME } from '../window/task-windows.js';
import { commitClosedWindows, heldBelow, type WindowTask } from './commit-windows.js';
import type { ReplicaContext } from './context.js';
import { EarlyTicks } from './early.js';
import { crashPoint } from './faults.js';
import type { Stage2Task } from '../tasks/stage2-task.js';

export async function runStage2(ctx: ReplicaContext, task: Stage2Task, fetched: KafkaMessage[], highWatermark?: number): Promise<void> {
  const { codec, metrics } = ctx.stages!;
  const messages = Number(fetched[0]?.offset ?? Infinity) >= task.nextOffset ? fetched : fetched.filter((m) => Number(m.offset) >= task.nextOffset);
  if (messages.length === 0) return;
  const restoring = (offset: number) => offset < task.restoreUntil;
  const { watermarks } = task.windows;

  const rows: StateRow[] = [];
  const early = new EarlyTicks(ctx.early);
  let freshData = 0;
  let freshWatermarks = 0;
  for (const m of messages) {
    const offset = Number(m.offset);
    // 1. the rows of a packed record share its offset: a replay from it reads them all again
    for (const r of codec.decodeAll(m.value, m.key)) {
      if (!restoring(offset)) {
        if (r.kind === 'data') freshData++;
        else freshWatermarks++;
      }
      if (r.kind === 'watermark') {
        const before = watermarks.minimum;
        watermarks.observe(r.partition, r.streamTime); // 2
        early.note(offset, before, watermarks.minimum, restoring(offset));
        continue;
      }
      // the source record's metadata, as stage 1 read it (the codec carries partition, offset, key)
      if (task.metadata.length > 0) attachMetadata(r.value, { eventTime: r.eventTime, partition: r.partition, offset: r.offset, key: r.sourceKey }, task.metadata);
      const { windows, closed } = task.windows.add(offset, r.eventTime, r.sourceTime, r.key); // 3
      if (closed.length > 0 && !restoring(offset)) {
        // the invariant of docs/keyed-windows.md broken: a source partition's watermark passed a
        // window its later record was still on time for; the record cannot count any more
        task.log.error({ source: { partition: r.partition, offset: r.offset }, windows: closed }, 'a record reached stage 2 after its window closed: not counted');
      }
      for (const window of windows) rows.push({ offset, ts: r.eventTime, window, value: r.value });
    }
  }

  // 4. open-window rows into DuckDB (Appender)
  await task.table.append(rows);
  crashPoint('after-append');

  const restored = restoring(Number(messages[0]!.offset)) ? messages.filter((m) => restoring(Number(m.offset))).length : 0;
  task.nextOffset = Number(messages[messages.length - 1]!.offset) + 1;
  // the restore is complete: forget what it rebuilt of windows emitted before the restart (sessions)
  if (task.nextOffset >= task.restoreUntil) await task.table.drop(task.windows.settle());
  // 5–8; a replay alone commits nothing, unless it ends with windows to emit (a held checkpoint, commit-windows.ts)
  if (restored < messages.length || task.windows.closable().length > 0) {
    await commitClosedWindows(ctx, windowTask(task), [], [], await early.messages(task.table, (w) => task.windows.closesAt(w)));
  }
  task.purge.afterCommit(task.txn.committedOffset); // 9. now and then: delete what is committed from the repartition partition
  task.noteProgress(restored);

  // replayed records were counted when they were first read
  metrics.repartitioned(2, 'data', freshData);
  metrics.repartitioned(2, 'watermark', freshWatermarks);
  reportStage2(ctx, task, highWatermark);
}

/** The stage-2 gauges of a task: after each batch, and at its start. */
export function reportStage2(ctx: ReplicaContext, task: Stage2Task, highWatermark?: number): void {
  const { watermarks } = task.windows;
  const minimum = watermarks.minimum;
  ctx.stages!.metrics.stage2(task.partition, {
    lag: highWatermark === undefined ? 0 : Math.max(0, highWatermark - task.nextOffset),
    watermarks: watermarks.snapshot(),
    minimum: minimum === NO_STREAM_TIME ? undefined : minimum,
    openWindows: task.windows.openCount,
    holdingBack: watermarks.holdingBack(),
  });
}

/** Steps 5–8 see a stage-2 task through this view: its checkpoint carries the source watermarks. */
function windowTask(task: Stage2Task): WindowTask {
  const checkpointOf = (pending: readonly FileRef[], staging: string | undefined, holdBelow?: number) => ({
    position: task.nextOffset,
    streamTime: heldBelow(task.windows.watermarks.minimum, holdBelow), // informative: the watermarks are what a restart restores
    pending: pending.map(pendingFile),
    staging,
    // held below the windows left for the next transaction (commit-windows.ts); the replay raises them again
    watermarks: task.windows.watermarks.snapshot().map((t) => (t === null ? null : heldBelow(t, holdBelow))),
  });
  return {
    partition: task.partition,
    log: task.log,
    topic: task.topic,
    txn: task.txn,
    table: task.table,
    get nextOffset() {
      return task.nextOffset;
    },
    windows: task.windows,
    pendingThatFit: (closable) => pendingThatFit(checkpointOf([], undefined), closable),
    checkpoint: (pending, staging, holdBelow) => encodeCheckpoint(checkpointOf(pending, staging, holdBelow)),
  };
}
