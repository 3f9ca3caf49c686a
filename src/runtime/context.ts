/** Everything a task needs from its replica: clients, state, sinks, telemetry. Built once in replica.ts. */
import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { SchemaSource } from '../serde/registry.js';
import type { DedupStore } from '../dedup/redis-store.js';
import type { Sink } from '../sink/types.js';
import type { TopologyMetrics } from '../telemetry/metrics.js';
import type { Topology } from '../topology/loader.js';
import type { Column } from '../window/columns.js';
import type { KafkaLog } from './kafka-log.js';
import type { DuckState } from '../window/duck-state.js';
import type { RepartitionCodec } from '../repartition/codec.js';
import type { StageMetrics } from '../telemetry/stage-metrics.js';
import type { EarlyOutput } from './early.js';

/** The link between the two stages of a topology whose source is not partitioned by the group key. */
export interface Stages {
  /** The internal topic between them: `<name>-repartition`. */
  topic: string;
  /** Partitions of the source topic: every one must announce its stream time before a window closes. */
  sourcePartitions: number;
  /** Partitions of the repartition topic. */
  partitions: number;
  codec: RepartitionCodec;
  /** The repartition partition of a group key (murmur2, as the Java client). */
  partitionOf(key: string | null): number;
  metrics: StageMetrics;
  /** How often a stage-2 task at most deletes what it committed from its repartition partition (src/repartition/purge.ts). */
  purgeIntervalMs: number;
}

export interface ReplicaContext {
  topology: Topology;
  kafka: Kafka;
  kafkaLog: KafkaLog;
  admin: Admin;
  schemas: SchemaSource;
  dedup: DedupStore | undefined;
  duck: DuckState;
  columns: Column[];
  sinks: Sink[];
  metrics: TopologyMetrics;
  log: Logger;
  /** This replica's group.instance.id (static membership, `--instance-id`); undefined: a dynamic member. */
  instanceId?: string;
  /** max.message.bytes of each topic sluice writes to (see topics.ts). */
  maxMessageBytes(topic: string): number;
  /** Aborted on shutdown: waits (outage backoff) end at once. */
  signal: AbortSignal;
  /** Two stages (docs/keyed-windows.md); undefined: one stage per source partition. */
  stages?: Stages;
  /** Early results (`emit.early`, src/runtime/early.ts); undefined when off. */
  early?: EarlyOutput;
}
