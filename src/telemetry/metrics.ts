/**
 * The Prometheus metrics of one sluice process: one prom-client Registry (not the global one, so
 * two runtimes in one test process do not collide), every metric labelled with `topology`.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Every input record is decoded or dead_lettered; a decoded one is then null_key (a group_by value
 * is null), filtered (`filter:` rejected it), duplicate, late or aggregated (docs/windows.md).
 */
export const RECORD_OUTCOMES = ['decoded', 'dead_lettered', 'null_key', 'filtered', 'duplicate', 'late', 'aggregated'] as const;
export type RecordOutcome = (typeof RECORD_OUTCOMES)[number];
export const WINDOW_SINKS = ['topic', 'parquet'] as const;
export type WindowSink = (typeof WINDOW_SINKS)[number];
export const TRANSACTION_RESULTS = ['committed', 'aborted'] as const;
export type TransactionResult = (typeof TRANSACTION_RESULTS)[number];
export const DEPENDENCIES = ['kafka', 'registry', 'redis', 'storage'] as const;
export type Dependency = (typeof DEPENDENCIES)[number];
export const STORAGE_BACKENDS = ['local', 's3'] as const;
export type StorageBackend = (typeof STORAGE_BACKENDS)[number];
export const STORAGE_OPERATIONS = ['put', 'copy', 'list', 'delete', 'get'] as const;
export type StorageOperation = (typeof STORAGE_OPERATIONS)[number];

// seconds: 1 ms … 10 s for a micro-batch; restores replay whole windows, so up to 5 min
const BATCH_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const BATCH_RECORDS = [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 25_000, 50_000];
// an object store's round trips: a few ms on a local server, up to seconds for a large upload
const STORAGE_SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const RESTORE_SECONDS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export function createMetrics(opts: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    records: new Counter({
      name: 'sluice_records_total',
      help: 'Input records by outcome: decoded or dead_lettered; of the decoded, null_key, filtered, duplicate, late or aggregated',
      labelNames: ['topology', 'partition', 'outcome'] as const,
      registers,
    }),
    havingRejected: new Counter({
      name: 'sluice_having_rejected_rows_total',
      help: 'Result rows (a group in a closed window) that aggregate.having rejected: sent to no sink',
      labelNames: ['topology'] as const,
      registers,
    }),
    windowsEmitted: new Counter({
      name: 'sluice_windows_emitted_total',
      help: 'Closed windows (group rows) committed to a sink',
      labelNames: ['topology', 'sink'] as const,
      registers,
    }),
    batchDuration: new Histogram({
      name: 'sluice_batch_duration_seconds',
      help: 'Wall time of one micro-batch, fetch to commit',
      labelNames: ['topology'] as const,
      buckets: BATCH_SECONDS,
      registers,
    }),
    batchRecords: new Histogram({
      name: 'sluice_batch_records',
      help: 'Input records in one micro-batch',
      labelNames: ['topology'] as const,
      buckets: BATCH_RECORDS,
      registers,
    }),
    transactions: new Counter({
      name: 'sluice_transactions_total',
      help: 'Kafka transactions by result: committed, aborted',
      labelNames: ['topology', 'result'] as const,
      registers,
    }),
    consumerLag: new Gauge({
      name: 'sluice_consumer_lag',
      help: 'Messages between the high watermark and the next offset to read',
      labelNames: ['topology', 'partition'] as const,
      registers,
    }),
    eventTimeLag: new Gauge({
      name: 'sluice_event_time_lag_seconds',
      help: 'Wall clock minus stream time (the largest event time seen)',
      labelNames: ['topology', 'partition'] as const,
      registers,
    }),
    closeStep: new Histogram({
      name: 'sluice_window_close_step_seconds',
      help: 'Wall time of each step of a transaction that closes windows: aggregate (SQL), stage (files staged and, at once, the outputs sent), transaction (offset, commit), publish',
      labelNames: ['topology', 'step'] as const,
      buckets: BATCH_SECONDS,
      registers,
    }),
    restoreDuration: new Histogram({
      name: 'sluice_restore_duration_seconds',
      help: 'Time to rebuild the open windows of an assigned partition by replay',
      labelNames: ['topology'] as const,
      buckets: RESTORE_SECONDS,
      registers,
    }),
    restoreRecords: new Counter({
      name: 'sluice_restore_records_total',
      help: 'Records replayed to restore open windows',
      labelNames: ['topology'] as const,
      registers,
    }),
    dependencyOutage: new Gauge({
      name: 'sluice_dependency_outage',
      help: '1 while a dependency (kafka, registry, redis, storage) is unreachable, else 0',
      labelNames: ['topology', 'dependency'] as const,
      registers,
    }),
    storageSeconds: new Histogram({
      name: 'sluice_storage_operation_seconds',
      help: 'Parquet storage operations that succeeded: put (upload), copy (publish), list, delete, get',
      labelNames: ['topology', 'backend', 'operation'] as const,
      buckets: STORAGE_SECONDS,
      registers,
    }),
    storageFailures: new Counter({
      name: 'sluice_storage_failures_total',
      help: 'Parquet storage operations that failed (each is retried: the partition waits)',
      labelNames: ['topology', 'backend', 'operation'] as const,
      registers,
    }),
    // one Redis thread serves every replica's dedup: its share of the batch is what saturation looks like
    dedupSeconds: new Histogram({
      name: 'sluice_dedup_seconds',
      help: 'Wall time of one batch\'s dedup calls to Redis (all its chunks), for the share of batch time Redis takes',
      labelNames: ['topology'] as const,
      buckets: BATCH_SECONDS,
      registers,
    }),
    redisDataLoss: new Counter({
      name: 'sluice_redis_data_loss_total',
      help: 'Times Redis was found to have lost dedup keys (restart without persistence, flush)',
      labelNames: ['topology'] as const,
      registers,
    }),
    // constant per topology: lets one alert rule compare event-time lag to each topology's window
    windowSize: new Gauge({
      name: 'sluice_window_size_seconds',
      help: 'The topology\'s window size (session windows: the gap), for alerts on event-time lag',
      labelNames: ['topology'] as const,
      registers,
    }),
    partitionsAssigned: new Gauge({
      name: 'sluice_partitions_assigned',
      help: 'Input partitions this replica owns',
      labelNames: ['topology'] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * Typed helpers bound to one topology, so callers cannot misspell an outcome or a label.
 * Counters start at 0 for every known label value: `rate()` then works from the first scrape.
 */
export function topologyMetrics(m: Metrics, topology: string) {
  for (const sink of WINDOW_SINKS) m.windowsEmitted.inc({ topology, sink }, 0);
  for (const result of TRANSACTION_RESULTS) m.transactions.inc({ topology, result }, 0);
  for (const dependency of DEPENDENCIES) m.dependencyOutage.set({ topology, dependency }, 0);
  m.restoreRecords.inc({ topology }, 0);
  for (const backend of STORAGE_BACKENDS) for (const operation of STORAGE_OPERATIONS) m.storageFailures.inc({ topology, backend, operation }, 0);
  m.redisDataLoss.inc({ topology }, 0);
  m.havingRejected.inc({ topology }, 0);
  m.partitionsAssigned.set({ topology }, 0);
  return {
    records(partition: number, outcome: RecordOutcome, n = 1): void {
      m.records.inc({ topology, partition, outcome }, n);
    },
    havingRejected(rows: number): void {
      m.havingRejected.inc({ topology }, rows);
    },
    windowsEmitted(sink: WindowSink, n = 1): void {
      m.windowsEmitted.inc({ topology, sink }, n);
    },
    batch(seconds: number, records: number): void {
      m.batchDuration.observe({ topology }, seconds);
      m.batchRecords.observe({ topology }, records);
    },
    /** One step of a transaction that closes windows (commit-windows.ts): where close → visible goes. */
    closeStep(step: 'aggregate' | 'stage' | 'transaction' | 'publish', seconds: number): void {
      m.closeStep.observe({ topology, step }, seconds);
    },
    transaction(result: TransactionResult): void {
      m.transactions.inc({ topology, result });
    },
    consumerLag(partition: number, messages: number): void {
      m.consumerLag.set({ topology, partition }, messages);
    },
    /** streamTimeMs: the largest event time seen on the partition (epoch millis) */
    eventTimeLag(partition: number, streamTimeMs: number, nowMs = Date.now()): void {
      m.eventTimeLag.set({ topology, partition }, (nowMs - streamTimeMs) / 1000);
    },
    restored(seconds: number, records: number): void {
      m.restoreDuration.observe({ topology }, seconds);
      m.restoreRecords.inc({ topology }, records);
    },
    outage(dependency: Dependency, down: boolean): void {
      m.dependencyOutage.set({ topology, dependency }, down ? 1 : 0);
    },
    windowSize(seconds: number): void {
      m.windowSize.set({ topology }, seconds);
    },
    redisDataLoss(): void {
      m.redisDataLoss.inc({ topology });
    },
    dedup(seconds: number): void {
      m.dedupSeconds.observe({ topology }, seconds);
    },
    storageOperation(backend: StorageBackend, operation: StorageOperation, seconds: number, ok: boolean): void {
      if (ok) m.storageSeconds.observe({ topology, backend, operation }, seconds);
      else m.storageFailures.inc({ topology, backend, operation });
    },
    partitionAssigned(partition: number): void {
      m.partitionsAssigned.inc({ topology });
      for (const outcome of RECORD_OUTCOMES) m.records.inc({ topology, partition, outcome }, 0);
    },
    /** on revocation: drop the per-partition gauges, or a stale lag would be reported forever */
    partitionRevoked(partition: number): void {
      m.partitionsAssigned.dec({ topology });
      m.consumerLag.remove({ topology, partition });
      m.eventTimeLag.remove({ topology, partition });
    },
  };
}

export type TopologyMetrics = ReturnType<typeof topologyMetrics>;
