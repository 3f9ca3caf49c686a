/** The repartition topic of a two-stage topology, and where a group key goes in it. */
import type { TopologySpec } from '../topology/schema.js';
import { keyPartitioner } from '../sink/partitioner.js';

/** `<name>-repartition` when the source is not partitioned by the group key; undefined for one stage. */
export function repartitionTopic(spec: Pick<TopologySpec, 'name' | 'source'>): string | undefined {
  return spec.source.partitioned_by_group_key ? undefined : `${spec.name}-repartition`;
}

/**
 * Configs the repartition topic is created with (topics.config wins): no time-based retention, so
 * that nothing stage 2 has not committed expires (a long outage, a slow stage 2); stage 2 deletes
 * what it committed itself (purge.ts), and segments roll every 10 min so that the space goes too.
 */
export const REPARTITION_TOPIC_CONFIG: Readonly<Record<string, string>> = { 'retention.ms': '-1', 'segment.ms': '600000' };

/** Partition of a group key: murmur2 as the Java client (the key of group_by: [] is null: partition 0). */
export function groupKeyPartitioner(topic: string, partitions: number): (key: string | null) => number {
  const of = keyPartitioner(topic, partitions);
  return (key) => (key === null ? 0 : of(key));
}
