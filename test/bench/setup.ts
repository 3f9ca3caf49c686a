/**
 * The benchmark's input: a copy of the demo topology on fresh random names (topics, group, Redis
 * key prefix, Parquet folder), and its source topic preloaded by the project's own generator.
 * Nothing here is timed.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { Redis } from 'ioredis';
import { parseDocument } from 'yaml';
import { prepareSource, sendGenerated } from '../../src/cli/produce.js';
import { SchemaSource } from '../../src/serde/registry.js';
import { generate, type GeneratedMessage } from '../../src/gen/generator.js';
import { rolesFromTopology } from '../../src/gen/topology.js';
import { loadTopology } from '../../src/topology/loader.js';
import { loadStackEnv } from '../../src/connection/stack-env.js';
import { deleteSubjects } from './subjects.js';

export const DEMO_TOPOLOGY = 'topologies/page-views.yaml';

export interface BenchNames { name: string; group: string; source: string; output: string; dlq: string; late: string; parquet: string }

export interface BenchTopology extends BenchNames { file: string; schemaFile: string }

/** The demo topology with every name replaced; its schema path made absolute; `twoStage`: source.partitioned_by_group_key: false; `filter`: a `filter:` expression. */
export function writeBenchTopology(dir: string, demo = DEMO_TOPOLOGY, twoStage = false, filter?: string): BenchTopology {
  const name = `bench-${randomBytes(4).toString('hex')}`;
  const n: BenchNames = {
    name,
    group: `sluice-${name}`,
    source: `${name}-in`,
    output: `${name}-out`,
    dlq: `${name}-dlq`,
    late: `${name}-late`,
    parquet: join(dir, 'parquet'),
  };
  const doc = parseDocument(readFileSync(demo, 'utf8'));
  const schemaFile = resolve(resolve(demo, '..'), String(doc.getIn(['source', 'value', 'schema'])));
  doc.setIn(['name'], n.name);
  doc.setIn(['source', 'topic'], n.source);
  doc.setIn(['source', 'group'], n.group);
  doc.setIn(['source', 'value', 'subject'], `${n.source}-value`);
  doc.setIn(['source', 'value', 'schema'], schemaFile);
  doc.setIn(['sinks', 'topic', 'name'], n.output);
  doc.setIn(['sinks', 'parquet', 'path'], n.parquet);
  doc.setIn(['dead_letter'], n.dlq);
  doc.setIn(['late'], n.late);
  if (twoStage) doc.setIn(['source', 'partitioned_by_group_key'], false);
  if (filter !== undefined) doc.setIn(['filter'], filter);
  const file = join(dir, 'topology.yaml');
  writeFileSync(file, doc.toString());
  return { ...n, file, schemaFile };
}

export interface LoadShape {
  events: number;
  partitions: number;
  keys: number;
  duplicates: number;
  stepMs: number;
  seed: string;
  /** Event time of the first event; default: so that the last one is a minute ago. */
  startTs?: number;
  /** Key the input by this field instead of the group key (the two-stage run: by user). */
  keyBy?: string;
}

export interface Preloaded {
  events: number;
  meanValueBytes: number;
  seconds: number;
  eventTimeSpanMs: number;
  /** Distinct (tumbling window, message key = group_by values) pairs: the output rows once every window closed. */
  groups: number;
}

/** Creates the source topic and fills it with `events` generated page views, acks all, as fast as it goes (the live feed is live-feed.ts). */
export async function preload(brokers: string[], registryUrl: string, t: BenchTopology, shape: LoadShape): Promise<Preloaded> {
  const topology = await loadTopology(t.file, { checkSql: false });
  const roles = rolesFromTopology(topology.spec, topology.valueSchema);
  const kafka = new Kafka({ clientId: 'sluice-bench-preload', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5, createPartitioner: Partitioners.DefaultPartitioner });
  const registry = new SchemaSource(registryUrl);
  const started = Date.now();
  const span = shape.events * shape.stepMs;
  let bytes = 0;
  const groups = new Set<string>();
  const size = topology.spec.window.type === 'session' ? topology.spec.window.gap : topology.spec.window.size;
  try {
    await Promise.all([admin.connect(), producer.connect()]);
    const source = await prepareSource(admin, registry, roles, { topic: t.source, subject: `${t.source}-value`, partitions: shape.partitions, incompatible: false });
    await sendGenerated(producer, {
      topic: t.source,
      partitions: source.partitions,
      rate: Infinity,
      inFlight: 3,
      // event time ends a minute ago, so no record is stamped in the future
      messages: rekey(shape.keyBy, generate({ ...roles, count: shape.events, duplicates: shape.duplicates, keys: shape.keys, seed: shape.seed, stepMs: shape.stepMs, startTs: shape.startTs ?? Date.now() - span - 60_000, schemaIds: source.schemaIds })),
      onSent: (sent) => {
        for (const m of sent) {
          bytes += m.value.length;
          if (m.kind === 'valid') groups.add(`${Math.floor(Number(m.event![roles.eventTime]) / size)}|${roles.groupBy?.map((f) => String(m.event![f])).join('|')}`);
        }
      },
    });
  } finally {
    await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
    registry.close();
  }
  return { events: shape.events, meanValueBytes: bytes / shape.events, seconds: (Date.now() - started) / 1000, eventTimeSpanMs: span, groups: groups.size };
}

function* rekey(field: string | undefined, messages: Iterable<GeneratedMessage>): Generator<GeneratedMessage> {
  for (const m of messages) yield field === undefined || m.event === undefined ? m : { ...m, key: String(m.event[field]) };
}

/** Deletes what a run left behind: topics, consumer groups, the topology's Redis keys. Best effort. */
export async function cleanup(brokers: string[], redisUrl: string | undefined, t: BenchTopology, groups: string[]): Promise<void> {
  const kafka = new Kafka({ clientId: 'sluice-bench-cleanup', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const topics = [t.source, t.output, t.dlq, t.late, `${t.name}-repartition`].filter((x) => existing.has(x));
    if (topics.length > 0) await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.deleteGroups(groups).catch(() => undefined);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  const registryUrl = loadStackEnv().SCHEMA_REGISTRY_URL;
  if (registryUrl) await deleteSubjects(registryUrl, `${t.name}-`).catch(() => undefined);
  if (!redisUrl) return;
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    for (const match of [`dedup:{${t.name}}:*`, `dedup-marker:{${t.name}}:*`, `dedup-slot:{${t.name}}:*`, `dedup-format:{${t.name}}`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 5000);
        if (keys.length > 0) await redis.unlink(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
  } finally {
    redis.disconnect();
  }
}
