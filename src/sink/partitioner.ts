/**
 * Output partitions chosen ahead of the send with kafkajs' DefaultPartitioner (murmur2 of the key,
 * as the Java client), cached per key: murmur2 per message is a fifth of the send cost and keys repeat.
 */
import { Partitioners, type PartitionMetadata } from 'kafkajs';

export function keyPartitioner(topic: string, partitions: number): (key: string) => number {
  const partitioner = Partitioners.DefaultPartitioner();
  const partitionMetadata: PartitionMetadata[] = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
  }));
  const cache = new Map<string, number>();
  return (key) => {
    let p = cache.get(key);
    if (p === undefined) {
      if (cache.size >= 100_000) cache.clear();
      cache.set(key, (p = partitioner({ topic, partitionMetadata, message: { key, value: null } })));
    }
    return p;
  };
}
