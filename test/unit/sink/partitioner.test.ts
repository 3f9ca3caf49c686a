import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { keyPartitioner, linearPartitioner } from '../../../src/sink/partitioner.js';

const metadata = (n: number, leaderless: number[] = []) =>
  Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: leaderless.includes(partitionId) ? -1 : 0 })) as PartitionMetadata[];

describe('partitioners', () => {
  it("keyPartitioner agrees with kafkajs' DefaultPartitioner, cached or not", () => {
    const ours = keyPartitioner('t', 6);
    const theirs = Partitioners.DefaultPartitioner();
    for (const key of ['a', '/page/1', 'x'.repeat(2000), 'ü€😀']) {
      const want = theirs({ topic: 't', partitionMetadata: metadata(6), message: { key, value: null } });
      expect(ours(key)).toBe(want);
      expect(ours(key)).toBe(want);
    }
  });

  it('linearPartitioner: explicit partition, then the key hash, then round robin over partitions with a leader', () => {
    const part = linearPartitioner();
    const theirs = Partitioners.DefaultPartitioner();
    const partitionMetadata = metadata(5, [1, 3]);
    expect(part({ topic: 't', partitionMetadata, message: { partition: 3, key: 'k', value: null } })).toBe(3);
    for (const key of ['k', Buffer.from([1, 2, 3])]) {
      expect(part({ topic: 't', partitionMetadata, message: { key, value: null } })).toBe(theirs({ topic: 't', partitionMetadata, message: { key, value: null } }));
    }
    const unkeyed = new Set(Array.from({ length: 12 }, () => part({ topic: 't', partitionMetadata, message: { value: null } })));
    expect(unkeyed).toEqual(new Set([0, 2, 4]));
  });

  it('places a 2 MB key in milliseconds', () => {
    const key = Buffer.alloc(2 << 20, 0x61);
    const t = performance.now();
    linearPartitioner()({ topic: 't', partitionMetadata: metadata(3), message: { key, value: null } });
    keyPartitioner('t', 3)(key.toString());
    expect(performance.now() - t).toBeLessThan(300);
  });
});
