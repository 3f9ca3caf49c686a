/**
 * Output-topic sink: one Avro record per (window, group) in the batch's transaction, so
 * read_committed consumers see a window exactly once. Key = the group_by values, so one group's
 * windows land in one output partition, in order.
 */
import type avro from 'avsc';
import type { Message } from 'kafkajs';
import { encodeWire } from '../decode/wire.js';
import { keyPartitioner } from './partitioner.js';
import type { ClosedWindows, Sink } from './types.js';

export function groupKey(row: Record<string, unknown>, groupBy: readonly string[]): string | null {
  if (groupBy.length === 0) return null;
  if (groupBy.length === 1) return String(row[groupBy[0]!]);
  return JSON.stringify(groupBy.map((f) => row[f] ?? null));
}

export interface TopicSinkOptions { topic: string; partitions: number; type: avro.Type; schemaId: number; groupBy: readonly string[] }

export function topicSink(opts: TopicSinkOptions): Sink {
  const partitionOf = keyPartitioner(opts.topic, opts.partitions);
  return {
    kind: 'topic',
    async messages(closed: ClosedWindows) {
      const messages: Message[] = closed.rows.map((row) => {
        const key = groupKey(row, opts.groupBy);
        return { key, partition: key === null ? undefined : partitionOf(key), value: encodeWire(opts.schemaId, opts.type.toBuffer(row)) };
      });
      return [{ topic: opts.topic, messages }];
    },
  };
}
