/**
 * Output-topic sink: one Avro record per (window, group) in the batch's transaction, so
 * read_committed consumers see a window exactly once. Key = the group_by values, so one group's
 * windows land in one output partition, in order.
 */
import type avro from 'avsc';
import type { Message } from 'kafkajs';
import { groupKey } from '../serde/limits.js';
import { encodeWire, HEADER_SIZE } from '../serde/wire.js';
import { keyPartitioner } from './partitioner.js';
import type { ClosedWindows, Sink } from './types.js';

// decode checks the same key's length (aggregate.max_key_bytes) before a record is aggregated
export { groupKey };

export interface TopicSinkOptions { topic: string; partitions: number; type: avro.Type; schemaId: number; groupBy: readonly string[] }

export function topicSink(opts: TopicSinkOptions): Sink {
  const partitionOf = keyPartitioner(opts.topic, opts.partitions);
  return {
    kind: 'topic',
    async messages(closed: ClosedWindows) {
      const values = encodeAll(opts.type, opts.schemaId, closed.rows);
      const messages: Message[] = closed.rows.map((row, i) => {
        const key = groupKey(row, opts.groupBy);
        return { key, partition: key === null ? undefined : partitionOf(key), value: values[i]! };
      });
      return [{ topic: opts.topic, messages }];
    },
  };
}

/**
 * Every row in the wire format, as views into one buffer: no buffer per row and no copy of the
 * payload behind its header (kafkajs copies the values into its request anyway).
 */
export function encodeAll(type: avro.Type, schemaId: number, rows: ReadonlyArray<Record<string, unknown>>): Buffer[] {
  const header = encodeWire(schemaId, Buffer.alloc(0));
  let buf: Buffer = Buffer.allocUnsafe(Math.max(1024, rows.length * 64));
  const ends = new Array<number>(rows.length);
  let pos = 0;
  for (let i = 0; i < rows.length; i++) {
    for (;;) {
      if (pos + HEADER_SIZE <= buf.length) {
        header.copy(buf, pos);
        const end = type.encode(rows[i], buf, pos + HEADER_SIZE); // < 0: that many bytes missing
        if (end >= 0) {
          pos = end;
          break;
        }
        buf = grow(buf, pos, buf.length - end);
      } else {
        buf = grow(buf, pos, pos + HEADER_SIZE);
      }
    }
    ends[i] = pos;
  }
  return ends.map((end, i) => buf.subarray(i === 0 ? 0 : ends[i - 1], end));
}

function grow(buf: Buffer, used: number, atLeast: number): Buffer {
  const next = Buffer.allocUnsafe(Math.max(2 * buf.length, atLeast));
  buf.copy(next, 0, 0, used);
  return next;
}
