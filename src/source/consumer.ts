/**
 * The consumer group and the tasks it feeds: one task per assigned partition, started eagerly on
 * every assignment (so recovery rolls pending files forward even on an idle partition), fed
 * micro-batches of at most batch.max_records, and discarded on any failure or rebalance.
 */
import type { Consumer, EachBatchPayload } from 'kafkajs';
import { backoffDelay } from '../runtime/backoff.js';
import { runBatch } from '../runtime/pipeline.js';
import type { ReplicaContext } from '../runtime/context.js';
import { Task } from '../runtime/task.js';
import { partitionCount } from '../runtime/topics.js';

const FENCED = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED']);
const isFenced = (e: unknown): boolean => FENCED.has((e as { type?: string }).type ?? '');

interface Slot { task: Promise<Task>; started?: Task; busy: Promise<void>; sought: boolean; fenced: boolean }

export class Source {
  private readonly slots = new Map<number, Slot>();
  private joined = false;
  /** Consecutive failed batches or task starts per partition: restarts back off (0.5 s doubling to 30 s). */
  private readonly failures = new Map<number, number>();
  private listening = false;

  constructor(private readonly ctx: ReplicaContext, private readonly consumer: Consumer) {}

  /** `onFatal` runs when kafkajs gives up on the consumer (it restarts itself on retriable crashes). */
  async start(onFatal: (err: Error) => void): Promise<void> {
    const { spec } = this.ctx.topology;
    if (!this.listening) {
      // once: startup retries start() while the broker is unreachable
      this.listening = true;
      this.consumer.on(this.consumer.events.CRASH, (e) => {
        if (!e.payload.restart) onFatal(e.payload.error);
      });
      this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
        const parts = (e.payload.memberAssignment[spec.source.topic] ?? []) as number[];
        this.assign(parts);
      });
    }
    await this.consumer.subscribe({ topic: spec.source.topic, fromBeginning: spec.source.start === 'earliest' });
    const partitions = await partitionCount(this.ctx.admin, spec.source.topic);
    await this.consumer.run({
      autoCommit: false, // offsets are committed only inside the tasks' transactions
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: Math.min(partitions, 32),
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  /** Partitions of the current assignment. */
  assigned(): number[] {
    return [...this.slots.keys()].sort((a, b) => a - b);
  }

  /** Ready once partitions are assigned, their tasks started and restored. */
  ready(): boolean {
    if (!this.joined) return false;
    for (const slot of this.slots.values()) if (!slot.started || slot.started.isRestoring) return false;
    return true;
  }

  /** A rebalance: every task is rebuilt from its checkpoint (a kept partition may have had another owner meanwhile). */
  private assign(partitions: number[]): void {
    const previous = [...this.slots.values()];
    for (const p of this.slots.keys()) this.ctx.metrics.partitionRevoked(p);
    const closed = Promise.all(previous.map((s) => this.closeSlot(s)));
    this.slots.clear();
    for (const p of partitions) this.slots.set(p, this.newSlot(p, closed));
    this.joined = true;
    for (const p of partitions) this.ctx.metrics.partitionAssigned(p);
    this.ctx.log.info({ partitions }, 'partitions assigned');
  }

  private newSlot(partition: number, after: Promise<unknown> = Promise.resolve()): Slot {
    const task = after.then(() => Task.start(this.ctx, partition));
    const slot: Slot = { task, busy: Promise.resolve(), sought: false, fenced: false };
    task.then(
      (t) => (slot.started = t),
      (err) => this.ctx.log.warn({ partition, err: String(err) }, 'task start failed; retrying at the next batch'),
    );
    return slot;
  }

  private async closeSlot(slot: Slot): Promise<void> {
    await slot.busy.catch(() => undefined);
    const task = await slot.task.catch(() => undefined);
    await task?.close();
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const slot = this.slots.get(batch.partition);
    if (!slot || slot.fenced) return; // not ours (any more), or fenced until the next assignment
    const run = this.process(slot, payload);
    slot.busy = run.catch(() => undefined);
    await run;
  }

  private async process(slot: Slot, { batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { ctx } = this;
    const partition = batch.partition;
    let task: Task;
    try {
      task = await slot.task;
    } catch {
      this.slots.set(partition, this.newSlot(partition, sleep(this.restartDelay(partition))));
      return;
    }
    const first = Number(batch.messages[0]?.offset ?? batch.firstOffset());
    if (task.nextOffset < 0) task.nextOffset = first; // nothing committed yet: start where the consumer starts
    if (first > task.nextOffset && !slot.sought) {
      // the consumer is ahead of the committed low-water mark (a failed batch, or a commit that
      // landed after the group fetched offsets): go back once; a gap after that is control records
      slot.sought = true;
      this.consumer.seek({ topic: batch.topic, partition, offset: String(task.nextOffset) });
      return;
    }
    slot.sought = true;
    const beat = setInterval(() => void heartbeat().catch(() => undefined), 3000);
    const max = ctx.topology.spec.batch.max_records;
    try {
      for (let i = 0; i < batch.messages.length; i += max) {
        if (!isRunning() || isStale() || ctx.signal.aborted) break;
        const chunk = batch.messages.slice(i, i + max);
        const started = process.hrtime.bigint();
        await runBatch(ctx, task, chunk);
        this.failures.delete(partition);
        resolveOffset(chunk[chunk.length - 1]!.offset);
        ctx.metrics.batch(Number(process.hrtime.bigint() - started) / 1e9, chunk.length);
      }
      ctx.metrics.consumerLag(partition, Math.max(0, Number(batch.highWatermark) - task.nextOffset));
    } catch (err) {
      await this.fail(slot, task, err);
    } finally {
      clearInterval(beat);
    }
  }

  /** Abort, discard the task and restart it from the last checkpoint (or wait for a rebalance if fenced). */
  private async fail(slot: Slot, task: Task, err: unknown): Promise<void> {
    const { ctx } = this;
    ctx.metrics.transaction('aborted');
    const fenced = isFenced(err);
    const delay = fenced ? 0 : this.restartDelay(task.partition);
    const message = fenced ? 'producer fenced: another replica owns this partition now' : 'batch failed: aborting and restarting the task from its checkpoint';
    task.log[fenced ? 'warn' : 'error']({ err: err instanceof Error ? err.message : String(err), ...(fenced ? {} : { restartInMs: Math.round(delay) }) }, message);
    await task.close().catch(() => undefined);
    if (fenced) {
      slot.fenced = true;
      return;
    }
    if (ctx.signal.aborted) return; // shutting down: the next owner restores it
    if (this.slots.get(task.partition) === slot) this.slots.set(task.partition, this.newSlot(task.partition, sleep(delay)));
  }

  /** Backoff before restarting a partition's task, growing with its consecutive failures. */
  private restartDelay(partition: number): number {
    const n = (this.failures.get(partition) ?? 0) + 1;
    this.failures.set(partition, n);
    return backoffDelay(n, 500, 30_000);
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect().catch(() => undefined); // waits for running batches, leaves the group
    await Promise.all([...this.slots.values()].map((s) => this.closeSlot(s)));
    this.slots.clear();
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
