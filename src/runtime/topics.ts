/**
 * Topics sluice writes to are created when missing: partitions default to the source's,
 * replication and configs come from the topology's `topics:` block.
 */
import type { Admin } from 'kafkajs';
import { SluiceError } from '../errors.js';
import type { Topology } from '../topology/loader.js';

export async function sourcePartitions(admin: Admin, topology: Topology): Promise<number> {
  const topic = topology.spec.source.topic;
  const existing = await admin.listTopics();
  if (!existing.includes(topic)) {
    throw new SluiceError('SOURCE_TOPIC_MISSING', `${topology.file}: source.topic: topic "${topic}" does not exist on the broker; create it, or run \`sluice produce ${topology.file}\` which creates it`, { topic });
  }
  return partitionCount(admin, topic);
}

export async function partitionCount(admin: Admin, topic: string): Promise<number> {
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  return meta.topics[0]?.partitions.length ?? 1;
}

export async function ensureTopics(admin: Admin, topology: Topology, names: string[], partitions: number): Promise<string[]> {
  const { topics } = topology.spec;
  const existing = new Set(await admin.listTopics());
  const missing = [...new Set(names)].filter((t) => !existing.has(t));
  if (missing.length === 0) return [];
  await admin.createTopics({
    waitForLeaders: true,
    topics: missing.map((topic) => ({
      topic,
      numPartitions: topics.partitions ?? partitions,
      replicationFactor: topics.replication_factor ?? -1,
      configEntries: Object.entries(topics.config).map(([name, value]) => ({ name, value })),
    })),
  });
  return missing;
}
