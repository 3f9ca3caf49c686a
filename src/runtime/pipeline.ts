/**
 * One micro-batch of one task, top to bottom: follow a record from the Kafka fetch to the commit.
 *
 * The commit order (written once, here; docs/exactly-once.md):
 *   1. decode + validate; invalid → dead letters
 *   2. deduplicate in Redis (replay-safe: a record finds its own position and stays new)
 *   3. assign to windows, advancing stream time record by record; all windows closed → late
 *   4. append the rest to the task's open-window rows in DuckDB
 *   5. close windows with end + grace <= stream time; aggregate them in SQL
 *   6. stage the Parquet files (invisible)
 *   7. ONE Kafka transaction: outputs + dead letters + late records, then the offset
 *      (low-water mark of open windows) with the checkpoint as its metadata; commit
 *   8. publish the staged files, drop the closed windows from DuckDB
 * Anything failing before 7 completes throws: the caller aborts, discards the task and restarts
 * it from the last checkpoint (the same path as a crash), so there is one recovery mechanism.
 * Records below task.restoreUntil were processed before a restart: they rebuild state only
 * (no dead letter, late record, output or file — those were committed already).
 */
import { randomUUID } from 'node:crypto';
import type { KafkaMessage, Message } from 'kafkajs';
import { encodeCheckpoint, MAX_PENDING_WINDOWS } from '../commit/checkpoint.js';
import { fitRecord } from '../commit/chunks.js';
import { positionOf } from '../dedup/keys.js';
import type { ErrorCode } from '../errors.js';
import { deadLetter, lateRecord } from '../sink/headers.js';
import type { ClosedWindows } from '../sink/types.js';
import type { TimeWindow } from '../window/kinds.js';
import { NO_STREAM_TIME } from '../window/task-windows.js';
import type { ReplicaContext } from './context.js';
import { crashPoint } from './faults.js';
import { withDependency } from './outage.js';
import type { Task } from './task.js';

/** Dead letters of records that decode but fail a check (stage `validate`; the rest are `decode`). */
const VALIDATION_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['MISSING_EVENT_TIME', 'MISSING_DEDUP_KEY', 'EVENT_TIME_OUT_OF_RANGE', 'EVENT_TIME_TOO_FAR_AHEAD', 'GROUP_KEY_TOO_LONG']);

interface Decoded { m: KafkaMessage; offset: number; value: Record<string, unknown>; eventTime: number; dedupKey?: string }

export async function runBatch(ctx: ReplicaContext, task: Task, fetched: KafkaMessage[]): Promise<void> {
  const { spec } = ctx.topology;
  const src = { topic: spec.source.topic, partition: task.partition };
  // records below nextOffset are in the state already (a replay after a rebalance or a seek)
  const messages = Number(fetched[0]?.offset ?? Infinity) >= task.nextOffset ? fetched : fetched.filter((m) => Number(m.offset) >= task.nextOffset);
  if (messages.length === 0) return;
  const lastOffset = Number(messages[messages.length - 1]!.offset);
  const restoring = (offset: number) => offset < task.restoreUntil;

  // 1. decode + validate
  const deadLetters: Message[] = [];
  const valid: Decoded[] = [];
  await withDependency(ctx, 'registry', () => task.decoder.prepare(messages.map((m) => m.value)));
  for (const m of messages) {
    const offset = Number(m.offset);
    // the record's own Kafka timestamp, not the wall clock: a replay must decide as the first run did
    const r = task.decoder.decode(m.value, Number(m.timestamp));
    if (r.ok) valid.push({ m, offset, value: r.value, eventTime: r.eventTime, dedupKey: r.dedupKey });
    else if (!restoring(offset)) deadLetters.push(deadLetter(src, m, r.error, VALIDATION_CODES.has(r.error.code) ? 'validate' : 'decode'));
  }

  // 2. deduplicate: first occurrence by offset within the batch, then against Redis (admit does both)
  let fresh = valid;
  if (ctx.dedup) {
    const entries = valid.map((d) => ({ key: d.dedupKey!, position: positionOf(task.partition, d.offset) }));
    const admitted = await withDependency(ctx, 'redis', () => ctx.dedup!.admit(entries));
    fresh = valid.filter((_, i) => admitted[i]);
  }

  // 3. windows, stream time advanced record by record in offset order
  const lateRecords: Message[] = [];
  const rows: Array<{ offset: number; ts: number; window: TimeWindow; value: Record<string, unknown> }> = [];
  for (const d of fresh) {
    const r = task.windows.observe(d.offset, d.eventTime);
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
  if (restored === messages.length) {
    task.noteProgress(ctx, restored); // nothing new: the last checkpoint already covers these records
    return;
  }
  await commitClosedWindows(ctx, task, deadLetters, lateRecords);
  task.noteProgress(ctx, restored);

  // replayed records were counted when they were first processed
  const p = task.partition;
  const decoded = restored > 0 ? valid.filter((d) => !restoring(d.offset)).length : valid.length;
  const admitted = restored > 0 ? fresh.filter((d) => !restoring(d.offset)).length : fresh.length;
  ctx.metrics.records(p, 'decoded', decoded);
  ctx.metrics.records(p, 'dead_lettered', deadLetters.length);
  ctx.metrics.records(p, 'duplicate', decoded - admitted);
  ctx.metrics.records(p, 'late', lateRecords.length);
  ctx.metrics.records(p, 'aggregated', admitted - lateRecords.length);
  if (task.windows.streamTime !== NO_STREAM_TIME) ctx.metrics.eventTimeLag(p, task.windows.streamTime);
}

/**
 * Steps 5–8; repeated (a transaction each) while more windows are closable than one checkpoint
 * can list. Dead letters and late records go into the first of them.
 */
async function commitClosedWindows(ctx: ReplicaContext, task: Task, deadLetters: Message[], lateRecords: Message[]): Promise<void> {
  const { spec } = ctx.topology;
  let more = true;
  let first = true;
  while (more) {
    // 5. close windows and aggregate them
    const all = task.windows.closable();
    const windows = all.slice(0, MAX_PENDING_WINDOWS);
    more = all.length > windows.length;
    const closed: ClosedWindows = {
      partition: task.partition,
      windows,
      rows: windows.length > 0 ? await task.table.aggregate(windows) : [],
      writeParquet: (w, file) => task.table.writeParquet(w, file),
    };
    // 6. stage files
    const token = `p${task.partition}-${randomUUID().slice(0, 8)}`;
    const staged = windows.length > 0 ? ctx.sinks.filter((s) => s.stage) : [];
    for (const sink of staged) await withDependency(ctx, 'storage', () => sink.stage!(closed, token));
    task.windows.markClosed(windows);

    // 7. one transaction: outputs, dead letters, late records, offset + checkpoint
    // (until commit() is called the token is in no committed checkpoint: a failure discards its files)
    const discard = (e: unknown) => Promise.all(staged.map((s) => s.discard?.(token).catch(() => undefined))).then(() => Promise.reject(e));
    await task.txn.begin().catch(discard);
    await sendOutputs(ctx, task, closed, first ? deadLetters : [], first ? lateRecords : []).catch(discard);
    const checkpoint = encodeCheckpoint({
      position: task.nextOffset,
      streamTime: task.windows.streamTime,
      pending: windows.map((w) => [w.start, w.end]),
      staging: windows.length > 0 ? token : undefined,
    });
    const offset = task.windows.lowWaterMark(task.nextOffset);
    await task.txn.commit({ groupId: spec.source.group, topic: spec.source.topic, partition: task.partition, offset, metadata: checkpoint }, () => crashPoint('before-commit'));
    crashPoint('after-commit');
    ctx.metrics.transaction('committed');
    ctx.kafkaLog.recovered();

    // 8. after the commit: publish files, forget closed windows
    if (windows.length > 0) {
      for (const sink of ctx.sinks) {
        if (sink.publish) await withDependency(ctx, 'storage', () => sink.publish!(task.partition, token, windows));
        crashPoint('mid-publish');
      }
      await task.table.drop(windows);
      for (const sink of ctx.sinks) ctx.metrics.windowsEmitted(sink.kind, windows.length);
    }
    first = false;
  }
}

/** Step 7's records: the sinks' outputs, then dead letters and late records, each fitted to its topic. */
async function sendOutputs(ctx: ReplicaContext, task: Task, closed: ClosedWindows, deadLetters: Message[], lateRecords: Message[]): Promise<void> {
  const { spec } = ctx.topology;
  for (const sink of ctx.sinks) for (const out of (await sink.messages?.(closed)) ?? []) await task.txn.send(out.topic, out.messages);
  for (const [topic, records] of [[spec.dead_letter, deadLetters], [spec.late, lateRecords]] as const) {
    await task.txn.send(topic, records.map((m) => fitRecord(m, ctx.maxMessageBytes(topic), topic)));
  }
}
