/**
 * What the consumer (src/tasks/consumer.ts) sees of a task: a unit of (stage, partition) that
 * owns one partition of one topic, with its own transactional producer `<name>-<topic>-<partition>`
 * (the topics of the stages differ, so the ids do). Kinds: the single stage (task.ts +
 * pipeline.ts), stage 1 (stage1-task.ts + stage1.ts) and stage 2 (stage2-task.ts + stage2.ts).
 */
import type { KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import type { ReplicaContext } from '../runtime/context.js';
import { runBatch } from '../runtime/pipeline.js';
import { Stage1Task } from './stage1-task.js';
import { Stage2Task } from './stage2-task.js';
import { Task } from './task.js';

export interface TaskHandle {
  readonly topic: string;
  readonly partition: number;
  readonly log: Logger;
  /** Every offset below it is in the task's state or committed; -1: nothing committed yet. */
  nextOffset: number;
  /** Replaying what was processed before a restart (not ready yet). */
  readonly isRestoring: boolean;
  /** One micro-batch of the partition, in offset order; throws to have the task discarded and restarted. */
  run(messages: KafkaMessage[], highWatermark?: number): Promise<void>;
  /** A tick of the wall clock while no batch runs (stage 1 with source.idle_timeout). */
  idle?(now: number): Promise<void>;
  close(): Promise<void>;
}

/** Starts (= recovers) the task of a partition of the source or of the repartition topic. */
export async function startTask(ctx: ReplicaContext, topic: string, partition: number): Promise<TaskHandle> {
  if (ctx.stages && topic === ctx.stages.topic) return Stage2Task.start(ctx, partition);
  if (ctx.stages) return Stage1Task.start(ctx, partition);
  const task = await Task.start(ctx, partition);
  return {
    topic,
    partition,
    log: task.log,
    get nextOffset() {
      return task.nextOffset;
    },
    set nextOffset(v: number) {
      task.nextOffset = v;
    },
    get isRestoring() {
      return task.isRestoring;
    },
    run: (messages) => runBatch(ctx, task, messages),
    close: () => task.close(),
  };
}
