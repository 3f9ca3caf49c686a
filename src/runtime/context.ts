/** Everything a task needs from its replica: clients, state, sinks, telemetry. Built once in replica.ts. */
import type { Admin, Kafka } from 'kafkajs';
import type { Logger } from 'pino';
import type { SchemaSource } from '../decode/registry.js';
import type { DedupStore } from '../dedup/redis-store.js';
import type { Sink } from '../sink/types.js';
import type { TopologyMetrics } from '../telemetry/metrics.js';
import type { Topology } from '../topology/loader.js';
import type { Column } from '../window/columns.js';
import type { KafkaLog } from './kafka-log.js';
import type { DuckState } from '../window/duck-state.js';

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
  /** max.message.bytes of each topic sluice writes to (see topics.ts). */
  maxMessageBytes(topic: string): number;
  /** Aborted on shutdown: waits (outage backoff) end at once. */
  signal: AbortSignal;
}
