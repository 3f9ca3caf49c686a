/**
 * The Kafka Streams side of `npm run bench`: for each thread count, a fresh application id and
 * output topic (partitioned as the input, its value subject holding the output schema sluice
 * registered), one run of the baseline on the same preloaded topic, and the cleanup of what
 * Kafka Streams made (its output, changelog and repartition topics, its consumer group).
 */
import { Kafka, logLevel } from 'kafkajs';
import { SchemaSource } from '../../src/serde/registry.js';
import { latestSchema } from './outputs.js';
import type { BenchTopology } from './setup.js';
import { runStreams, type StreamsResult } from './streams-run.js';

export interface StreamsRun extends StreamsResult { appId: string; output: string }

export interface StreamsBenchOptions {
  jar: string;
  brokers: string[];
  registryUrl: string;
  t: BenchTopology;
  partitions: number;
  threads: number[];
  repartition: boolean;
  state: 'rows' | 'accumulator';
  events: number;
  dir: string;
  timeoutMs: number;
  say: (s: string) => void;
}

export const streamsAppId = (t: BenchTopology, threads: number): string => `${t.name}-ks${threads}`;

export async function runStreamsBaselines(o: StreamsBenchOptions): Promise<StreamsRun[]> {
  // the output schema sluice derived and registered: the baseline writes records of the same schema
  const { schema } = await latestSchema(o.registryUrl, `${o.t.output}-value`);
  const registry = new SchemaSource(o.registryUrl);
  const kafka = new Kafka({ clientId: 'sluice-bench-streams', brokers: o.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const runs: StreamsRun[] = [];
  try {
    await admin.connect();
    for (const threads of o.threads) {
      const appId = streamsAppId(o.t, threads);
      const output = `${appId}-out`;
      await admin.createTopics({ topics: [{ topic: output, numPartitions: o.partitions }], waitForLeaders: true });
      const outputSchemaId = await registry.register(`${output}-value`, JSON.parse(schema) as object);
      o.say(`bench: Kafka Streams (exactly_once_v2, ${threads} stream thread${threads === 1 ? '' : 's'})…`);
      const r = await runStreams({
        jar: o.jar, brokers: o.brokers, registryUrl: o.registryUrl, input: o.t.source, output, appId, outputSchemaId,
        readerSchemaFile: o.t.schemaFile, threads, repartition: o.repartition, state: o.state, events: o.events, dir: o.dir, timeoutMs: o.timeoutMs,
      });
      runs.push({ ...r, appId, output });
    }
  } finally {
    await admin.disconnect();
    registry.close();
  }
  return runs;
}

/** Deletes the topics and groups of the given application ids (best effort). */
export async function cleanupStreams(brokers: string[], appIds: string[]): Promise<void> {
  if (appIds.length === 0) return;
  const kafka = new Kafka({ clientId: 'sluice-bench-cleanup', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const topics = (await admin.listTopics()).filter((x) => appIds.some((id) => x.startsWith(`${id}-`)));
    if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.deleteGroups(appIds).catch(() => undefined);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
