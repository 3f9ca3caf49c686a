/**
 * Steps 5–8 of a batch that holds windows, shared by the single stage (pipeline.ts) and stage 2
 * (stage2.ts), which number them the same way: close and aggregate, stage the files, ONE
 * transaction (outputs, side records, offset + checkpoint), publish after the commit. Repeated
 * (a transaction each) while more windows are closable than one checkpoint can list; dead letters
 * and late records go into the first of them. Steps 6 and 7's sends run at once: neither needs the
 * other until the commit, which waits for both (a close's latency is then the longer of the two,
 * not their sum); either failing fails the batch before anything is committed.
 */
import { randomUUID } from 'node:crypto';
import type { Message } from 'kafkajs';
import type { Logger } from 'pino';
import { fitRecord } from '../commit/chunks.js';
import type { TaskTransaction } from '../commit/transaction.js';
import type { ClosedWindows } from '../sink/types.js';
import type { TaskTable } from '../window/duck-state.js';
import type { FileRef, OutputFile, TimeWindow } from '../window/kinds.js';
import type { ReplicaContext } from './context.js';
import { crashPoint } from './faults.js';
import { withDependency } from './outage.js';

/** What the commit step needs of a task that holds windows (a single-stage or a stage-2 task). */
export interface WindowTask {
  /** The partition of `topic` the task owns: its offsets, its staging tokens, its Parquet file names. */
  readonly partition: number;
  readonly topic: string;
  readonly log: Logger;
  readonly txn: TaskTransaction;
  readonly table: TaskTable;
  readonly nextOffset: number;
  readonly windows: {
    closable(): TimeWindow[];
    closesAt(w: TimeWindow): number;
    files(windows: readonly TimeWindow[], seq: number): OutputFile[];
    markClosed(ws: readonly TimeWindow[]): void;
    lowWaterMark(nextOffset: number): number;
  };
  /** How many of `files` (oldest first) one checkpoint can list. */
  pendingThatFit(files: readonly FileRef[]): number;
  /**
   * The checkpoint of a commit that makes `pending` final, its files staged under `staging`. With
   * `holdBelow`, windows closing at that time are closable but not in this commit: the checkpoint's
   * time must stay below it, or a restart from it would judge their records late and lose them.
   */
  checkpoint(pending: readonly FileRef[], staging: string | undefined, holdBelow?: number): string;
}

/** `early`: records of the early topic (src/runtime/early.ts), sent in the first transaction with the side records. */
export async function commitClosedWindows(ctx: ReplicaContext, task: WindowTask, deadLetters: Message[], lateRecords: Message[], early: Array<{ topic: string; messages: Message[] }> = []): Promise<void> {
  const { spec } = ctx.topology;
  let more = true;
  let first = true;
  // each step's wall time, for transactions that close windows (the metric sluice_window_close_step_seconds)
  let lap = 0;
  let closing = false;
  const step = (name: 'aggregate' | 'stage' | 'transaction' | 'publish') => {
    const now = performance.now();
    if (closing) ctx.metrics.closeStep(name, (now - lap) / 1000);
    lap = now;
  };
  while (more) {
    lap = performance.now();
    // 5. close windows and aggregate them (a file per time window, one for a commit's sessions)
    const all = task.windows.files(task.windows.closable(), task.nextOffset);
    const files = all.slice(0, task.pendingThatFit(all));
    const windows = files.flatMap((f) => f.windows);
    more = all.length > files.length;
    closing = windows.length > 0;
    const closed: ClosedWindows = {
      partition: task.partition,
      windows,
      files,
      rows: closing ? await task.table.aggregate(windows) : [],
      writeParquet: (ws, file) => task.table.writeParquet(ws, file),
    };
    step('aggregate');
    // rows aggregate.having kept from every sink, counted once they are final
    const rejected = closing ? task.table.rejectedByHaving : 0;
    // 6. stage files and, at the same time, 7. open the transaction and send its records (outputs,
    // dead letters, late records): the commit below waits for both
    const token = `p${task.partition}-${randomUUID().slice(0, 8)}`;
    const staged = closing ? ctx.sinks.filter((s) => s.stage) : [];
    // the transaction is open while the files are staged: a storage outage is waited out in place
    // only so long, since a transaction the broker timed out would fence the task (it then fails
    // the batch, and the task's restart waits for the storage before opening one: sink.recover)
    const staging = (async () => {
      for (const sink of staged) await withDependency(ctx, 'storage', () => sink.stage!(closed, token), { giveUpAfterMs: spec.transaction_timeout / 2, limit: 'half the transaction timeout' });
    })();
    const sending = (async () => {
      await task.txn.begin();
      await sendOutputs(ctx, task.txn, closed, first ? deadLetters : [], first ? lateRecords : []);
      if (first) for (const out of early) await task.txn.send(out.topic, out.messages);
    })();
    const [stagedOk, sentOk] = await Promise.allSettled([staging, sending]);
    if (stagedOk.status === 'rejected' || sentOk.status === 'rejected') {
      // commit() was not called: the token is in no committed checkpoint, so its files can go (the caller aborts the transaction)
      await Promise.all(staged.map((s) => s.discard?.(token).catch(() => undefined)));
      throw stagedOk.status === 'rejected' ? stagedOk.reason : (sentOk as PromiseRejectedResult).reason;
    }
    task.windows.markClosed(windows);
    step('stage');

    // 7. (the records are in) the offset + checkpoint naming the staged files; commit
    const next = all[files.length]?.windows[0]; // the oldest window left for the next transaction, if any
    const checkpoint = task.checkpoint(files, closing ? token : undefined, next && task.windows.closesAt(next));
    const offset = task.windows.lowWaterMark(task.nextOffset);
    await task.txn.commit({ groupId: spec.source.group, topic: task.topic, partition: task.partition, offset, metadata: checkpoint }, () => crashPoint('before-commit'));
    crashPoint('after-commit');
    // debug (a post-mortem of the chaos run): what each transaction committed
    task.log.debug({ offset, position: task.nextOffset, windows: windows.length, deadLetters: first ? deadLetters.length : 0, late: first ? lateRecords.length : 0 }, 'committed');
    ctx.metrics.transaction('committed');
    ctx.kafkaLog.recovered();
    step('transaction');

    // 8. after the commit: publish files, forget closed windows
    if (closing) {
      for (const sink of ctx.sinks) {
        if (sink.publish) await withDependency(ctx, 'storage', () => sink.publish!(task.partition, token, files));
        crashPoint('mid-publish');
      }
      await task.table.drop(windows);
      for (const sink of ctx.sinks) ctx.metrics.windowsEmitted(sink.kind, windows.length);
      if (rejected > 0) ctx.metrics.havingRejected(rejected);
      step('publish');
    }
    first = false;
  }
}

/** Step 7's records: the sinks' outputs, then dead letters and late records, each fitted to its topic. */
async function sendOutputs(ctx: ReplicaContext, txn: TaskTransaction, closed: ClosedWindows, deadLetters: Message[], lateRecords: Message[]): Promise<void> {
  for (const sink of ctx.sinks) for (const out of (await sink.messages?.(closed)) ?? []) await txn.send(out.topic, out.messages);
  await sendSideRecords(ctx, txn, deadLetters, lateRecords);
}

/** Dead letters and late records into the open transaction, each fitted to its topic. */
export async function sendSideRecords(ctx: ReplicaContext, txn: TaskTransaction, deadLetters: Message[], lateRecords: Message[]): Promise<void> {
  const { spec } = ctx.topology;
  for (const [topic, records] of [[spec.dead_letter, deadLetters], [spec.late, lateRecords]] as const) {
    await txn.send(topic, records.map((m) => fitRecord(m, ctx.maxMessageBytes(topic), topic)));
  }
}

/** A stream time or watermark as a checkpoint may store it: below `holdBelow` when given. */
export const heldBelow = (time: number, holdBelow: number | undefined): number => (holdBelow === undefined ? time : Math.min(time, holdBelow - 1));
