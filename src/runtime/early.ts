/**
 * Early results (`emit: { early }`, docs/semantics.md). When a record (single stage) or a
 * watermark (stage 2) raises the task's stream time past a multiple T of the interval, every
 * window still open after it gets one row per key with its values over the rows before it, and
 * `revision` = the multiples of the interval in (window start, T]. The rows go into the batch's
 * first transaction, so read_committed readers never see those of an aborted batch. Each tick is
 * a function of the record order alone: a replay computes the same rows, and a restart repeats no
 * tick (the records of ticks at or below the checkpoint's stream time replay in restore mode).
 */
import type avro from 'avsc';
import type { Message } from 'kafkajs';
import type { SchemaSource } from '../serde/registry.js';
import { groupKey } from '../serde/limits.js';
import { keyPartitioner } from '../sink/partitioner.js';
import { encodeAll } from '../sink/topic.js';
import type { TopologySpec } from '../topology/schema.js';
import type { TaskTable } from '../window/duck-state.js';
import type { TimeWindow } from '../window/kinds.js';

/** The early topic of a replica: where its rows go and how they are encoded. */
export interface EarlyOutput { topic: string; interval: number; type: avro.Type; schemaId: number; partitionOf(key: string): number; groupBy: readonly string[] }

/** The early topic of a topology, when early results are on. */
export function earlyTopic(spec: TopologySpec): string | undefined {
  if (spec.emit?.early === undefined) return undefined;
  return spec.emit.early_topic ?? `${spec.sinks.topic?.name ?? spec.name}_early`;
}

/** The output schema plus `revision` (a long): the early topic's value schema, registered as `<topic>-value`. */
export function earlySchema(output: Record<string, unknown>): Record<string, unknown> {
  const fields = Array.isArray(output.fields) ? output.fields : [];
  return { ...output, name: `${String(output.name)}_early`, fields: [...fields, { name: 'revision', type: 'long', doc: 'Early row number of this window: the multiples of emit.early in (window start, the tick]' }] };
}

export async function earlyOutput(spec: TopologySpec, schemas: SchemaSource, output: Record<string, unknown>, partitions: number, avroType: (s: object) => avro.Type): Promise<EarlyOutput | undefined> {
  const topic = earlyTopic(spec);
  if (topic === undefined || spec.emit?.early === undefined) return undefined;
  const schema = earlySchema(output);
  const schemaId = await schemas.register(`${topic}-value`, schema);
  return { topic, interval: spec.emit.early, type: avroType(schema), schemaId, partitionOf: keyPartitioner(topic, partitions), groupBy: spec.aggregate.group_by };
}

/**
 * The multiple of `interval` a raise of stream time from `before` to `after` crosses (the largest
 * one), if any. From no stream time, the first multiple at or below `after` (stage 2's minimum
 * appears only once every source partition was heard from, possibly with windows open).
 */
export function tickCrossed(before: number, after: number, interval: number): number | undefined {
  if (after <= before || after < 0) return undefined;
  const tick = after - (((after % interval) + interval) % interval);
  return tick > before ? tick : undefined;
}

export const revisionOf = (windowStart: number, tick: number, interval: number): number => Math.floor(tick / interval) - Math.floor(windowStart / interval);

interface Tick { tick: number; offset: number; streamTime: number }

/** The ticks of one batch, noted record by record, then turned into the early topic's records. */
export class EarlyTicks {
  private readonly ticks: Tick[] = [];

  constructor(private readonly early: EarlyOutput | undefined) {}

  /** The record (or watermark) at `offset` raised stream time from `before` to `after`; one in restore mode was committed already. */
  note(offset: number, before: number, after: number, restoring: boolean): void {
    if (this.early === undefined || restoring) return;
    const tick = tickCrossed(before, after, this.early.interval);
    if (tick !== undefined) this.ticks.push({ tick, offset, streamTime: after });
  }

  /** The early rows of the noted ticks, once the batch's rows are in `table`; `closesAt` tells which windows are still open. */
  async messages(table: TaskTable, closesAt: (w: TimeWindow) => number): Promise<Array<{ topic: string; messages: Message[] }>> {
    const early = this.early;
    if (early === undefined || this.ticks.length === 0) return [];
    const rows: Array<Record<string, unknown>> = [];
    for (const t of this.ticks) {
      for (const row of await table.aggregateBefore(t.offset, (w) => closesAt(w) > t.streamTime)) {
        rows.push({ ...row, revision: revisionOf(Number(row.window_start), t.tick, early.interval) });
      }
    }
    const values = encodeAll(early.type, early.schemaId, rows);
    const messages = rows.map((row, i): Message => {
      const key = groupKey(row, early.groupBy);
      return { key, partition: key === null ? undefined : early.partitionOf(key), value: values[i]! };
    });
    return [{ topic: early.topic, messages }];
  }
}
