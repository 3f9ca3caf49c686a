/**
 * Topics sluice writes to are created when missing: partitions default to the source's,
 * replication and configs come from the topology's `topics:` block. Replicas starting together
 * create them concurrently: "already exists" is success, and every replica then waits for leaders.
 * Created topics accept records as large as the source topic does (a dead letter carries a source
 * record whole, plus headers), unless `topics.config` says otherwise.
 */
import kafkajs, { type Admin } from 'kafkajs';
import { SluiceError } from '../errors.js';
import type { Topology } from '../topology/loader.js';

/** Room for the `sluice.*` headers a dead letter or late record gains over its source record. */
export const HEADER_MARGIN = 64 * 1024;
const MAX_MESSAGE_BYTES = 'max.message.bytes';
// kafkajs is CommonJS: Node's ESM loader does not see this named export, so take it off the default
const { ConfigResourceTypes } = kafkajs;

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

/** Each topic's effective max.message.bytes (the largest record batch the broker accepts for it). */
export async function maxMessageBytes(admin: Admin, topics: string[]): Promise<Map<string, number>> {
  const { resources } = await admin.describeConfigs({
    includeSynonyms: false,
    resources: [...new Set(topics)].map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: [MAX_MESSAGE_BYTES] })),
  });
  const out = new Map<string, number>();
  for (const r of resources) {
    const v = Number(r.configEntries.find((e) => e.configName === MAX_MESSAGE_BYTES)?.configValue);
    if (Number.isFinite(v) && v > 0) out.set(r.resourceName, v);
  }
  return out;
}

/** `defaults`: configs of particular topics (the repartition topic's), below what `topics.config` says. */
export async function ensureTopics(admin: Admin, topology: Topology, names: string[], partitions: number, defaults: Record<string, Record<string, string>> = {}): Promise<string[]> {
  const { topics, source } = topology.spec;
  const existing = new Set(await admin.listTopics());
  const missing = [...new Set(names)].filter((t) => !existing.has(t));
  if (missing.length === 0) return [];
  const config: Record<string, string> = { ...topics.config };
  if (config[MAX_MESSAGE_BYTES] === undefined) {
    const sourceMax = (await maxMessageBytes(admin, [source.topic])).get(source.topic);
    if (sourceMax !== undefined) config[MAX_MESSAGE_BYTES] = String(sourceMax + HEADER_MARGIN);
  }
  const created: string[] = [];
  for (const topic of missing) {
    const spec = {
      topic,
      numPartitions: topics.partitions ?? partitions,
      replicationFactor: topics.replication_factor ?? -1,
      configEntries: Object.entries({ ...defaults[topic], ...config }).map(([name, value]) => ({ name, value })),
    };
    // false: another replica created it first (kafkajs maps TOPIC_ALREADY_EXISTS to false)
    if (await admin.createTopics({ waitForLeaders: true, topics: [spec] })) created.push(topic);
  }
  await waitForLeaders(admin, missing);
  return created;
}

/** A topic another replica just created may not have leaders yet; producing to it would fail. */
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const meta = await admin.fetchTopicMetadata({ topics }).catch(() => undefined);
    const ready = meta?.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
    if (ready) return;
    if (Date.now() > deadline) throw new SluiceError('KAFKA_UNAVAILABLE', `topics ${topics.join(', ')} have no leader after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
