/**
 * Sinks register here by the name they have under `sinks:` in a topology; the runtime builds
 * whatever the topology lists, with no per-sink branches elsewhere.
 */
import { resolve } from 'node:path';
import avro from 'avsc';
import type { SchemaSource } from '../decode/registry.js';
import type { Topology } from '../topology/loader.js';
import { checkWritable, parquetSink, stagingRoot } from './parquet.js';
import { topicSink } from './topic.js';
import type { Sink } from './types.js';

export interface SinkContext {
  topology: Topology;
  schemas: SchemaSource;
  /** Partition count of an existing topic. */
  partitionsOf(topic: string): Promise<number>;
  /** Avro schema of the result rows, derived from the aggregate's columns. */
  derivedOutputSchema: Record<string, unknown>;
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
  async parquet(cfg, ctx) {
    const { spec, dir, file } = ctx.topology;
    await checkWritable(resolve(dir, cfg.path), `${file}: sinks.parquet.path`);
    // a staging folder older than two transaction timeouts cannot belong to a live transaction
    return parquetSink({ root: resolve(dir, cfg.path), topology: spec.name, orphanAgeMs: 2 * spec.transaction_timeout });
  },
};

/** Topics the topology's sinks write to, created when missing before the sinks are built. */
export function sinkTopics(spec: Topology['spec']): string[] {
  return spec.sinks.topic ? [spec.sinks.topic.name] : [];
}

/** Folders the sinks have DuckDB write into; its sandbox lets COPY reach these and nothing else. */
export function sinkDirectories(topology: Topology): string[] {
  const parquet = topology.spec.sinks.parquet;
  return parquet ? [stagingRoot(resolve(topology.dir, parquet.path))] : [];
}

export async function buildSinks(ctx: SinkContext): Promise<Sink[]> {
  const sinks: Sink[] = [];
  for (const [name, cfg] of Object.entries(ctx.topology.spec.sinks) as Array<[keyof Sinks, never]>) {
    if (cfg !== undefined) sinks.push(await factories[name](cfg, ctx));
  }
  return sinks;
}
