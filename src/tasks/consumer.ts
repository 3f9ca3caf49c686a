/**
 * The consumer group and the tasks it feeds: one task per assigned (topic, partition) — the
 * source topic's, and with two stages also the repartition topic's (src/tasks/task-handle.ts) —
 * started eagerly on every assignment (so recovery rolls pending files forward even on an idle
 * partition), fed micro-batches of at most batch.max_records (more in a catch-up: batch-size.ts),
 * and discarded on any failure or rebalance. One kafkajs consumer subscribes to both topics, so
 * replicas share both stages.
 */
import type { Consumer, EachBatchPayload } from 'kafkajs';
import { backoffDelay, sleep, untilAborted, within } from '../runtime/backoff.js';
import type { ReplicaContext } from '../runtime/context.js';
import { SluiceError } from '../errors.js';
import { startTask, type TaskHandle } from './task-handle.js';
import { partitionCount } from '../runtime/topics.js';
import { microBatchSize } from './batch-size.js';

const FENCED = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'TRANSACTIONAL_ID_AUTHORIZATION_FAILED']);
const isFenced = (e: unknown): boolean => FENCED.has((e as { type?: string }).type ?? '');
// what a heartbeat answers while the group rebalances (kafkajs' isRebalancing), or once another
// replica took this one's instance id (kafkajs' crash follows, see crashError): the batch stops
const REBALANCING = new Set(['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION', 'FENCED_INSTANCE_ID']);

/** kafkajs' crash; FENCED_INSTANCE_ID (two live replicas with one instance id: a configuration error) as sluice's error naming the id. */
export function crashError(err: Error, group: string, instanceId: string | undefined): Error {
  let cause: unknown = err;
  for (let i = 0; i < 10 && (cause as { cause?: unknown }).cause; i++) cause = (cause as { cause: unknown }).cause;
  if ((cause as { type?: string }).type !== 'FENCED_INSTANCE_ID') return err;
  return new SluiceError('INSTANCE_ID_IN_USE', `another replica joined consumer group ${group} with this replica's instance id "${instanceId}": give each replica its own --instance-id (SLUICE_INSTANCE_ID)`, { group, instanceId }, { cause: err });
}

interface Slot { topic: string; partition: number; task: Promise<TaskHandle>; started?: TaskHandle; busy: Promise<void>; sought: boolean; fenced: boolean; ticking?: boolean }

/** A slot's key: tasks are (topic, partition). */
const slotKey = (topic: string, partition: number): string => `${topic}/${partition}`;
// a batch of this partition waits out the backoff (the others are fetched meanwhile,
// src/kafkajs/fetcher.ts): the cap bounds how long a rebalance, which waits for it, is held
const MAX_RESTART_DELAY_MS = 5_000;
// a stop waits this long for in-flight batches and the group's leave, then closes the tasks anyway
// (their open transactions abort; the group notices the member gone after the session timeout)
export const STOP_GRACE_MS = 10_000;
const LEAVE_MS = 2_000;
/** A third of the session timeout, at most 3 s: two beats may be missed before the group drops the member. */
export const heartbeatInterval = (sessionTimeoutMs: number): number => Math.min(3_000, Math.floor(sessionTimeoutMs / 3));

export class Source {
  private readonly slots = new Map<string, Slot>();
  private joined = false;
  /** Consecutive failed batches or task starts per task: restarts back off (0.5 s doubling to 30 s). */
  private readonly failures = new Map<string, number>();
  private listening = false;
  private ticker: NodeJS.Timeout | undefined;
  /** Batches running now: a stop waits for them, not for a group join that another member holds. */
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly ctx: ReplicaContext, private readonly consumer: Consumer) {}

  /** `onFatal` runs when kafkajs gives up on the consumer (it restarts itself on retriable crashes). */
  async start(onFatal: (err: Error) => void): Promise<void> {
    const { spec } = this.ctx.topology;
    if (!this.listening) {
      // once: startup retries start() while the broker is unreachable
      this.listening = true;
      this.consumer.on(this.consumer.events.CRASH, (e) => {
        if (!e.payload.restart) onFatal(crashError(e.payload.error, spec.source.group, this.ctx.instanceId));
      });
      this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
        this.assign(this.topics().flatMap((topic) => ((e.payload.memberAssignment[topic] ?? []) as number[]).map((partition) => ({ topic, partition }))));
      });
    }
    await this.consumer.subscribe({ topic: spec.source.topic, fromBeginning: spec.source.start === 'earliest' });
    // stage 2 reads everything stage 1 wrote, whatever source.start says
    if (this.ctx.stages) await this.consumer.subscribe({ topic: this.ctx.stages.topic, fromBeginning: true });
    let partitions = 0;
    for (const topic of this.topics()) partitions += await partitionCount(this.ctx.admin, topic);
    if (this.ctx.stages && spec.source.idle_timeout !== undefined) this.ticker ??= setInterval(() => this.tick(), 1000);
    await this.consumer.run({
      autoCommit: false, // offsets are committed only inside the tasks' transactions
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: Math.min(partitions, 32),
      eachBatch: (payload) => this.onBatch(payload),
    });
  }

  /** The topics this consumer reads: the source, and the repartition topic with two stages. */
  private topics(): string[] {
    const source = this.ctx.topology.spec.source.topic;
    return this.ctx.stages ? [source, this.ctx.stages.topic] : [source];
  }

  /** Source partitions of the current assignment. */
  assigned(): number[] {
    return this.assignedOf(this.ctx.topology.spec.source.topic);
  }

  /** Partitions of `topic` in the current assignment. */
  assignedOf(topic: string): number[] {
    return [...this.slots.values()].filter((s) => s.topic === topic).map((s) => s.partition).sort((a, b) => a - b);
  }

  /** Ready once partitions are assigned, their tasks started and restored. */
  ready(): boolean {
    if (!this.joined) return false;
    for (const slot of this.slots.values()) if (!slot.started || slot.started.isRestoring) return false;
    return true;
  }

  /** A rebalance: every task is rebuilt from its checkpoint (a kept partition may have had another owner meanwhile). */
  private assign(assignment: Array<{ topic: string; partition: number }>): void {
    const source = this.ctx.topology.spec.source.topic;
    const previous = [...this.slots.values()];
    for (const s of previous) if (s.topic === source) this.ctx.metrics.partitionRevoked(s.partition);
    const closed = Promise.all(previous.map((s) => this.closeSlot(s)));
    this.slots.clear();
    for (const { topic, partition } of assignment) this.slots.set(slotKey(topic, partition), this.newSlot(topic, partition, closed));
    this.joined = true;
    for (const { topic, partition } of assignment) if (topic === source) this.ctx.metrics.partitionAssigned(partition);
    const partitions = this.assigned();
    if (this.ctx.stages) this.ctx.log.info({ partitions, repartition: this.assignedOf(this.ctx.stages.topic) }, 'partitions assigned');
    else this.ctx.log.info({ partitions }, 'partitions assigned');
  }

  private newSlot(topic: string, partition: number, after: Promise<unknown> = Promise.resolve()): Slot {
    const task = after.then(() => this.startTask(topic, partition));
    const slot: Slot = { topic, partition, task, busy: Promise.resolve(), sought: false, fenced: false };
    task.then(
      (t) => (slot.started = t),
      (err) => this.ctx.log.warn({ topic, partition, err: String(err) }, 'task start failed; retrying at the next batch'),
    );
    return slot;
  }

  /** A task start that a stop cuts short: none begins once stopping, and one that finishes after the stop closes itself. */
  private async startTask(topic: string, partition: number): Promise<TaskHandle> {
    const { signal } = this.ctx;
    signal.throwIfAborted();
    const task = await startTask(this.ctx, topic, partition);
    if (signal.aborted) {
      await task.close().catch(() => undefined);
      throw signal.reason as Error;
    }
    return task;
  }

  /** On a rebalance the next task waits for this one; on a stop, a task still starting is not waited for. */
  private async closeSlot(slot: Slot): Promise<void> {
    await slot.busy.catch(() => undefined);
    const task = await (this.ctx.signal.aborted ? untilAborted(slot.task, this.ctx.signal) : slot.task).catch(() => slot.started);
    await task?.close();
  }

  private async onBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const slot = this.slots.get(slotKey(batch.topic, batch.partition));
    if (!slot || slot.fenced) return; // not ours (any more), or fenced until the next assignment
    // after an idle tick of the same task, if one runs (kafkajs itself never overlaps a partition's batches)
    const run = slot.busy.then(() => this.process(slot, payload));
    slot.busy = run.catch(() => undefined);
    this.inFlight.add(run);
    await run.finally(() => this.inFlight.delete(run));
  }

  /** The wall clock's turn (source.idle_timeout): each idle-aware task, between its batches, one tick at a time. */
  private tick(): void {
    const now = Date.now();
    for (const slot of this.slots.values()) {
      const task = slot.started;
      if (!task?.idle || slot.fenced || slot.ticking) continue;
      slot.ticking = true;
      const run = slot.busy.then(async () => {
        if (this.slots.get(slotKey(slot.topic, slot.partition)) !== slot || slot.fenced || this.ctx.signal.aborted) return;
        await task.idle!(now).catch((err: unknown) => this.fail(slot, task, err));
      });
      slot.busy = run.finally(() => (slot.ticking = false));
    }
  }

  private async process(slot: Slot, { batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const { ctx } = this;
    const partition = batch.partition;
    const key = slotKey(batch.topic, partition);
    let task: TaskHandle;
    // heartbeats go on while a task (re)starts: a restart backoff must not cost the group membership
    const every = heartbeatInterval(ctx.topology.spec.source.session_timeout);
    const waiting = setInterval(() => void heartbeat().catch(() => undefined), every);
    try {
      // a stop does not wait for a task start (nor its restart backoff): kafkajs waits for this batch
      task = await untilAborted(slot.task, ctx.signal);
    } catch {
      // only if no rebalance replaced the slot meanwhile: its task would start unowned, never closed,
      // fencing the partition's producer and resetting the partition's DuckDB table under the live task
      if (!ctx.signal.aborted && this.slots.get(key) === slot) this.slots.set(key, this.newSlot(batch.topic, partition, sleep(this.restartDelay(key), ctx.signal)));
      return;
    } finally {
      clearInterval(waiting);
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
    // a rebalance waits for every member's running batches (up to the rebalance timeout): on one,
    // stop between chunks; the partition's next owner, maybe this replica, restores from the checkpoint
    let rebalancing = false;
    const beatNow = () => heartbeat().catch((e: unknown) => void (rebalancing ||= REBALANCING.has((e as { type?: string }).type ?? '')));
    const beat = setInterval(() => void beatNow(), every);
    const max = ctx.topology.spec.batch.max_records;
    const highWatermark = Number(batch.highWatermark);
    try {
      for (let i = 0; i < batch.messages.length; ) {
        if (i > 0) await beatNow(); // kafkajs sends one only once its heartbeat interval passed
        if (!isRunning() || isStale() || rebalancing || ctx.signal.aborted) break;
        const size = microBatchSize(max, Number(batch.messages[i]!.offset), highWatermark);
        const chunk = batch.messages.slice(i, i + size);
        i += chunk.length;
        const started = process.hrtime.bigint();
        await task.run(chunk, highWatermark);
        this.failures.delete(key);
        resolveOffset(chunk[chunk.length - 1]!.offset);
        ctx.metrics.batch(Number(process.hrtime.bigint() - started) / 1e9, chunk.length);
      }
      if (batch.topic === ctx.topology.spec.source.topic) ctx.metrics.consumerLag(partition, Math.max(0, Number(batch.highWatermark) - task.nextOffset));
    } catch (err) {
      await this.fail(slot, task, err);
    } finally {
      clearInterval(beat);
    }
  }

  /** Abort, discard the task and restart it from the last checkpoint (if fenced: unless a rebalance gives the partition to another replica first). */
  private async fail(slot: Slot, task: TaskHandle, err: unknown): Promise<void> {
    const { ctx } = this;
    ctx.metrics.transaction('aborted');
    if (ctx.signal.aborted) {
      // stopping: a wait cut short, not a failure; the next owner restores the task from its checkpoint
      task.log.info({ err: err instanceof Error ? err.message : String(err) }, 'stopping: batch abandoned, its transaction aborted');
      await task.close().catch(() => undefined);
      return;
    }
    const fenced = isFenced(err);
    const key = slotKey(slot.topic, slot.partition);
    const delay = fenced ? 0 : this.restartDelay(key);
    const message = fenced ? 'producer fenced: another replica may own this partition now' : 'batch failed: aborting and restarting the task from its checkpoint';
    task.log[fenced ? 'warn' : 'error']({ err: err instanceof Error ? err.message : String(err), ...(fenced ? {} : { restartInMs: Math.round(delay) }) }, message);
    await task.close().catch(() => undefined);
    if (fenced) {
      slot.fenced = true;
      // A fence is not always another owner: the transaction coordinator also bumps the epoch of a
      // transaction it aborted itself (a timeout, e.g. across a broker restart). A real new owner
      // takes the partition in a rebalance within the session timeout; if none did, it was ours.
      const unfence = setTimeout(() => {
        if (this.slots.get(key) !== slot || ctx.signal.aborted) return;
        task.log.warn({ afterMs: ctx.topology.spec.source.session_timeout }, 'no other replica took the partition after the fence: restarting its task');
        this.slots.set(key, this.newSlot(slot.topic, slot.partition));
      }, ctx.topology.spec.source.session_timeout);
      unfence.unref();
      return;
    }
    if (this.slots.get(key) === slot) this.slots.set(key, this.newSlot(slot.topic, slot.partition, sleep(delay, ctx.signal)));
  }

  /** Backoff before restarting a task, growing with its consecutive failures. */
  private restartDelay(key: string): number {
    const n = (this.failures.get(key) ?? 0) + 1;
    this.failures.set(key, n);
    return backoffDelay(n, 500, MAX_RESTART_DELAY_MS);
  }

  /**
   * Called after ctx.signal aborted: batches stop at their next chunk, outage waits and task starts
   * end at once. Waits for kafkajs' disconnect (the batches, then the group's leave), bounded by
   * STOP_GRACE_MS, and once no batch runs by LEAVE_MS more only: kafkajs also waits for a group join
   * in progress, which the coordinator holds until every member rejoins (up to the rebalance
   * timeout). Then closes every task, aborting an open transaction.
   */
  async stop(): Promise<void> {
    const { log } = this.ctx;
    clearInterval(this.ticker);
    const started = Date.now();
    const disconnected = this.consumer.disconnect().catch(() => undefined);
    const batchesDone = (async () => {
      while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
      await sleep(LEAVE_MS);
    })();
    const left = await within(Promise.race([disconnected, batchesDone]), STOP_GRACE_MS);
    if (!left) log.warn({ afterMs: STOP_GRACE_MS }, 'the consumer did not stop in time (a batch or a rebalance in progress): closing the tasks anyway');
    const slots = [...this.slots.values()];
    this.slots.clear();
    // a batch still running past the grace (a send retrying against a broker that is down) is not waited for again
    await within(Promise.all(slots.map((s) => (left ? this.closeSlot(s) : s.started?.close()))), STOP_GRACE_MS);
    log.info({ ms: Date.now() - started, left }, 'consumer stopped, tasks closed');
  }
}
