import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { groupMessagesPerPartition, linearGroupingActive } from '../../../src/kafkajs/grouping.js';


const partitionMetadata: PartitionMetadata[] = Array.from({ length: 6 }, (_, partitionId) => ({ partitionErrorCode: 0, partitionId, leader: 0, replicas: [0], isr: [0] }));

describe('linear grouping of messages per partition', () => {
  it('is what kafkajs producers use (the setup file loads it before kafkajs)', () => {
    expect(linearGroupingActive()).toBe(true);
  });

  it('groups like kafkajs: per partition, in send order, explicit partitions kept', () => {
    const partitioner = Partitioners.DefaultPartitioner();
    const messages = Array.from({ length: 500 }, (_, i) => (i % 5 === 0 ? { key: null, value: `${i}`, partition: i % 6 } : { key: `k${i % 37}`, value: `${i}` }));
    const grouped = groupMessagesPerPartition({ topic: 't', partitionMetadata, messages, partitioner: partitioner as never });
    const expected: Record<number, unknown[]> = {};
    for (const m of messages) {
      const p = partitioner({ topic: 't', partitionMetadata, message: m });
      expected[p] = [...(expected[p] ?? []), m]; // kafkajs' own formulation
    }
    expect(grouped).toEqual(expected);
    expect(groupMessagesPerPartition({ topic: 't', partitionMetadata: [], messages, partitioner: partitioner as never })).toEqual({});
  });
});
