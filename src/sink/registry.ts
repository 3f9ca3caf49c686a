/**
 * Sinks register here by the name they have under `sinks:` in a topology; the runtime builds
 * whatever the topology lists, with no per-sink branches elsewhere.
 */
import avro from 'avsc';
import type { SchemaSource } from '../serde/registry.js';
import { SluiceError } from '../errors.js';
import type { Topology } from '../topology/loader.js';
import { parquetSink } from './parquet.js';
import { openStorage, type StorageOptions } from './storage/registry.js';
import type { ObjectStorage } from './storage/types.js';
import { topicSink } from './topic.js';
import type { Sink } from './types.js';

export interface SinkContext {
  topology: Topology;
  schemas: SchemaSource;
  /** Partition count of an existing topic. */
  partitionsOf(topic: string): Promise<number>;
  /** Avro schema of the result rows, derived from the aggregate's columns. */
  derivedOutputSchema: Record<string, unknown>;
  /** The Parquet sink's storage, opened and checked by the replica (see storage/registry.ts). */
  storage?: ObjectStorage;
}

type Sinks = NonNullable<Topology['spec']['sinks']>;
type Factory<K extends keyof Sinks> = (cfg: NonNullable<Sinks[K]>, ctx: SinkContext) => Promise<Sink>;

const factories: { [K in keyof Sinks]-?: Factory<K> } = {
  async topic(cfg, ctx) {
    const schema = ctx.topology.outputSchema ?? ctx.derivedOutputSchema;
    const schemaId = await ctx.schemas.register(`${cfg.name}-value`, schema);
    const partitions = await ctx.partitionsOf(cfg.name);
    return topicSink({ topic: cfg.name, partitions, type: avro.Type.forSchema(schema as avro.Schema), schemaId, groupBy: ctx.topology.spec.aggregate.group_by });
  },
  async parquet(_cfg, ctx) {
    const { spec, file } = ctx.topology;
    if (!ctx.storage) throw new SluiceError('INTERNAL', `${file}: the Parquet sink's storage was not opened`);
    // a staging folder older than two transaction timeouts cannot belong to a live transaction
    return parquetSink({ storage: ctx.storage, topology: spec.name, orphanAgeMs: 2 * spec.transaction_timeout });
  },
};

/** Topics the topology's sinks write to, created when missing before the sinks are built. */
export function sinkTopics(spec: Topology['spec']): string[] {
  return spec.sinks.topic ? [spec.sinks.topic.name] : [];
}

/** Opens the Parquet sink's storage (or nothing, without one); its spool is the one folder DuckDB may write. */
export function sinkStorage(topology: Topology, o: Omit<StorageOptions, 'baseDir' | 'topology' | 'field'>): Promise<ObjectStorage | undefined> {
  const parquet = topology.spec.sinks.parquet;
  if (!parquet) return Promise.resolve(undefined);
  return openStorage(parquet.path, { ...o, baseDir: topology.dir, topology: topology.spec.name, field: `${topology.file}: sinks.parquet.path` });
}

export async function buildSinks(ctx: SinkContext): Promise<Sink[]> {
  const sinks: Sink[] = [];
  for (const [name, cfg] of Object.entries(ctx.topology.spec.sinks) as Array<[keyof Sinks, never]>) {
    if (cfg !== undefined) sinks.push(await factories[name](cfg, ctx));
  }
  return sinks;
}
