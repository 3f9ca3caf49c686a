/**
 * Output partitions as the Java client picks them (murmur2 of the key), in linear time: see
 * ./murmur2.ts for why not kafkajs' DefaultPartitioner. keyPartitioner caches per key (murmur2 per
 * message is a fifth of the send cost and keys repeat); linearPartitioner is the producers'.
 */
import type { ICustomPartitioner } from 'kafkajs';
import { keyedPartition } from './murmur2.js';

export function keyPartitioner(_topic: string, partitions: number): (key: string) => number {
  const cache = new Map<string, number>();
  return (key) => {
    let p = cache.get(key);
    if (p === undefined) {
      if (cache.size >= 100_000) cache.clear();
      // a long key would pin its bytes in the cache: hash those each time (linear, so cheap)
      p = keyedPartition(key, partitions);
      if (key.length <= 1024) cache.set(key, p);
    }
    return p;
  };
}

/**
 * kafkajs' DefaultPartitioner with the linear murmur2: an explicit partition wins, then the key's
 * hash over all partitions, then round robin over the partitions that have a leader.
 */
export const linearPartitioner: ICustomPartitioner = () => {
  const counters = new Map<string, number>();
  return ({ topic, partitionMetadata, message }) => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    if (message.key !== null && message.key !== undefined) return keyedPartition(message.key, partitionMetadata.length);
    const next = ((counters.get(topic) ?? Math.floor(Math.random() * 0x7fffffff)) + 1) & 0x7fffffff;
    counters.set(topic, next);
    const available = partitionMetadata.filter((p) => p.leader >= 0);
    return available.length > 0 ? available[next % available.length]!.partitionId : next % partitionMetadata.length;
  };
};
