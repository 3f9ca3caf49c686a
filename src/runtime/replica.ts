/**
 * One replica of a topology: serves /metrics and health, connects the services (waiting for them
 * while they are down, see startup.ts), creates missing topics, registers the output schema, and
 * runs the consumer group's tasks until stopped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import avro from 'avsc';
import { logLevel, type Admin } from 'kafkajs';
import type { Logger } from 'pino';
import { checkRedis, kafkaClient, redisClient, schemaSource, type Endpoints } from '../connection/clients.js';
import { DedupStore } from '../dedup/redis-store.js';
import { isSluiceError, SluiceError } from '../errors.js';
import { staticConsumer } from '../kafkajs/static-membership.js';
import { buildSinks, sinkStorage, sinkTopics } from '../sink/registry.js';
import { metered } from '../sink/storage/metered.js';
import { heartbeatInterval, Source } from '../tasks/consumer.js';
import { untilAborted, within } from './backoff.js';
import { startHealthServer } from '../telemetry/health.js';
import { createMetrics, topologyMetrics } from '../telemetry/metrics.js';
import { stageMetrics, type StageMetrics } from '../telemetry/stage-metrics.js';
import type { Topology } from '../topology/loader.js';
import { columnsFromAvro } from '../window/columns.js';
import { METADATA_NAMES, metadataIn } from '../window/metadata.js';
import { DuckState } from '../window/duck-state.js';
import { resultAvroSchema } from '../sink/output-schema.js';
import { RepartitionCodec } from '../repartition/codec.js';
import { PURGE_INTERVAL_MS } from '../repartition/purge.js';
import { groupKeyPartitioner, REPARTITION_TOPIC_CONFIG, repartitionTopic } from '../repartition/topic.js';
import type { Column } from '../window/columns.js';
import type { ReplicaContext, Stages } from './context.js';
import { earlyOutput, earlyTopic } from './early.js';
import { KafkaLog } from './kafka-log.js';
import { withDependency } from './outage.js';
import { kafkaStep, registryStep, type StartupWait } from './startup.js';
import { ensureTopics, maxMessageBytes, partitionCount, sourcePartitions } from './topics.js';

export type { Endpoints };
export interface ReplicaOptions {
  port?: number;
  /** Address /metrics and the health endpoints bind to (default 0.0.0.0: all interfaces). */
  host?: string;
  stateDir?: string;
  log: Logger;
  /** DuckDB memory limit for open-window state (default 1GB); past it DuckDB spills to `spillDir`. */
  memoryLimit?: string;
  /** Spill folder (default `<stateDir>/spill`, else a new folder in the OS temp dir); removed on stop. */
  spillDir?: string;
  /** How long startup waits for Kafka and the registry before it gives up (default 5 min). */
  startupTimeoutMs?: number;
  /** The consumer died for good (kafkajs does not restart it): by default the process exits 1 (2 for a user error: INSTANCE_ID_IN_USE) for its supervisor to restart it. */
  onFatal?: (err: Error) => void;
  /** Stage 2 deletes what it committed from the repartition topic at most this often (default 30 s). */
  repartitionPurgeMs?: number;
  /**
   * group.instance.id (static membership, KIP-345): a replica restarted with its predecessor's id
   * takes its partitions at once instead of after the session timeout. One per replica; undefined: a dynamic member.
   */
  instanceId?: string;
  /** Aborting it while the replica starts cuts the start short: everything opened is closed and startReplica rejects. */
  signal?: AbortSignal;
}
export interface Replica {
  port: number;
  ready(): boolean;
  /** Source partitions this replica owns. */
  assigned(): number[];
  /** Partitions of `topic` (the source or the repartition topic) this replica owns. */
  assignedOf(topic: string): number[];
  stop(): Promise<void>;
}

export const DEFAULT_STARTUP_TIMEOUT_MS = 300_000;
export const DEFAULT_MEMORY_LIMIT = '1GB';

export async function startReplica(topology: Topology, endpoints: Endpoints, opts: ReplicaOptions): Promise<Replica> {
  const { spec } = topology;
  const log = opts.log.child({ topology: spec.name });
  const closers: Array<{ step: string; close: () => Promise<unknown> }> = [];
  let closing: Promise<void> | undefined;
  // opened after a stop began (a start cut short): closed at once
  const onClose = (step: string, close: () => Promise<unknown>) => (closing ? void close().catch(() => undefined) : closers.push({ step, close }));
  const abort = new AbortController();
  const close = () =>
    (closing ??= (async () => {
      abort.abort();
      for (const { step, close: stepClose } of closers.reverse()) {
        const started = Date.now();
        await stepClose().catch((e) => log.warn({ step, err: String(e) }, 'error while closing'));
        // a slow stop says where it waited (a supervisor's grace period is finite)
        if (Date.now() - started > 2_000) log.warn({ step, ms: Date.now() - started }, 'slow step while stopping');
      }
    })());
  // a stop while starting: waits for the services end at once (withDependency), the join below is not awaited
  const stopStart = () => void close();
  opts.signal?.addEventListener('abort', stopStart, { once: true });
  if (opts.signal?.aborted) stopStart();
  try {
    const registry = createMetrics();
    const metrics = topologyMetrics(registry, spec.name);
    metrics.windowSize((spec.window.type === 'session' ? spec.window.gap : spec.window.size) / 1000);
    let source: Source | undefined;
    // first, so /healthz answers (and /readyz says not yet) while startup waits for the services
    const health = await startHealthServer({ port: opts.port, host: opts.host, metrics: registry.registry, logger: log, ready: () => source?.ready() ?? false });
    onClose('health server', () => health.close());
    const wait: StartupWait = { metrics, log, signal: abort.signal, giveUpAfterMs: opts.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS, brokers: endpoints.brokers, kafkaSecurity: endpoints.security?.kafka };

    const kafkaLog = new KafkaLog(log, metrics);
    const kafka = kafkaClient(endpoints, { clientId: `sluice-${spec.name}`, logLevel: logLevel.WARN, logCreator: kafkaLog.logCreator });
    const admin = kafka.admin();
    onClose('kafka admin', () => admin.disconnect());
    await kafkaStep(wait, () => admin.connect());
    const partitions = await kafkaStep(wait, () => sourcePartitions(admin, topology));

    const schemas = schemaSource(endpoints);
    onClose('registry', async () => schemas.close?.());
    // a wrong password or certificate stops the start (exit 2); an unreachable registry is waited for
    await registryStep(wait, () => schemas.check());
    let dedup: DedupStore | undefined;
    if (spec.dedup) {
      if (!endpoints.redisUrl) throw new SluiceError('BAD_ARGUMENT', `${topology.file}: dedup needs Redis: set REDIS_URL`);
      const redis = redisClient(endpoints);
      // QUIT waits for a connection that a refused password or certificate never makes
      onClose('redis', async () => (redis.status === 'ready' ? redis.quit() : redis.disconnect()));
      await checkRedis(redis, endpoints);
      dedup = new DedupStore(redis, { topology: spec.name, ttlMs: spec.dedup.ttl });
    }

    // the Parquet storage before DuckDB: its local spool is the one folder DuckDB may write;
    // wrong credentials fail here (exit 2), an unreachable bucket is waited for like Kafka
    const opened = await sinkStorage(topology, { spoolBase: opts.stateDir, env: endpoints.storageEnv });
    const storage = opened && metered(opened, metrics);
    if (storage) {
      onClose('storage', () => storage.close());
      await withDependency(wait, 'storage', () => storage.check(), { giveUpAfterMs: wait.giveUpAfterMs });
    }

    // one file per process: replicas sharing a state dir must not share DuckDB's lock; the state is
    // rebuilt from Kafka at every start, so the file never outlives its process
    const duckFile = opts.stateDir ? join(opts.stateDir, `${spec.name}-${process.pid}.duckdb`) : ':memory:';
    // metric SQL runs sandboxed: no file but the Parquet spool, no network
    const spill = opts.spillDir ?? (opts.stateDir ? join(opts.stateDir, 'spill', `${spec.name}-${process.pid}`) : mkdtempSync(join(tmpdir(), `sluice-spill-${spec.name}-`)));
    const duck = await DuckState.open(duckFile, { allowedDirectories: storage ? [storage.spool] : [], memoryLimit: opts.memoryLimit ?? DEFAULT_MEMORY_LIMIT, tempDirectory: spill });
    onClose('duckdb', async () => {
      await duck.close();
      if (opts.stateDir) for (const f of [duckFile, `${duckFile}.wal`]) rmSync(f, { force: true });
      if (!opts.spillDir) rmSync(spill, { recursive: true, force: true });
    });
    const columns = columnsFromAvro(topology.valueSchema);
    const probe = await duck.task(-1, columns, spec.aggregate);
    const derivedOutputSchema = resultAvroSchema({ name: spec.sinks.topic?.name ?? spec.name, columns: await probe.resultColumns(), groupBy: spec.aggregate.group_by, readerSchema: topology.valueSchema }) as unknown as Record<string, unknown>;
    const stored = probe.stored;
    await probe.close();

    const repartition = repartitionTopic(spec);
    const early = earlyTopic(spec);
    const written = [...sinkTopics(spec), spec.dead_letter, spec.late, ...(repartition ? [repartition] : []), ...(early ? [early] : [])];
    const created = await kafkaStep(wait, () => ensureTopics(admin, topology, written, partitions, repartition ? { [repartition]: { ...REPARTITION_TOPIC_CONFIG } } : {}));
    if (created.length > 0) log.info({ topics: created }, 'created topics');
    const limits = await kafkaStep(wait, () => maxMessageBytes(admin, written));
    // the broker's default message.max.bytes when a topic does not say
    const ctx: ReplicaContext = { topology, kafka, kafkaLog, admin, schemas, dedup, duck, columns, sinks: [], metrics, log, instanceId: opts.instanceId, signal: abort.signal, maxMessageBytes: (t) => limits.get(t) ?? 1_048_588 };
    if (repartition) ctx.stages = await kafkaStep(wait, () => stagesOf(admin, topology, repartition, partitions, stored, stageMetrics(registry.registry, spec.name), opts.repartitionPurgeMs ?? PURGE_INTERVAL_MS));
    ctx.sinks = await registryStep(wait, () => buildSinks({ topology, schemas, derivedOutputSchema, storage, partitionsOf: (topic) => partitionCount(admin, topic) }));
    if (early) {
      const partitions = await kafkaStep(wait, () => partitionCount(admin, early));
      ctx.early = await registryStep(wait, () => earlyOutput(spec, schemas, topology.outputSchema ?? derivedOutputSchema, partitions, (s) => avro.Type.forSchema(s as avro.Schema)));
    }

    const consumer = staticConsumer(kafka, {
      groupId: spec.source.group,
      groupInstanceId: opts.instanceId,
      readUncommitted: false,
      maxWaitTimeInMs: spec.batch.max_wait,
      maxBytesPerPartition: 4 << 20,
      // the Java consumer's fetch.max.bytes; kafkajs' 10 MiB filled ~3 partitions' 4 MiB and left the
      // others for the next fetch (which, before src/kafkajs/fetcher.ts, waited for every batch of this one)
      maxBytes: 50 << 20,
      sessionTimeout: spec.source.session_timeout,
      heartbeatInterval: heartbeatInterval(spec.source.session_timeout),
      rebalanceTimeout: 60_000,
    });
    source = new Source(ctx, consumer);
    const running = source;
    // Source.stop (below, closed first) disconnects it and bounds the wait; this is for a start that failed before
    onClose('consumer', () => within(consumer.disconnect(), 2_000));
    await kafkaStep(wait, () => consumer.connect());
    onClose('tasks', () => running.stop());
    // the first join waits for every member to rejoin: up to the rebalance timeout if one is in a long batch
    await untilAborted(kafkaStep(wait, () =>
      running.start(
        opts.onFatal ??
          ((err) => {
            log.fatal({ err: err.message, ...(isSluiceError(err) ? { code: err.code } : {}) }, 'the consumer crashed and will not restart: exiting');
            void close().finally(() => process.exit(isSluiceError(err) && err.domain === 'user' ? 2 : 1));
          }),
      ),
    ), abort.signal);
    opts.signal?.removeEventListener('abort', stopStart);
    kafkaLog.started();
    log.info({ group: spec.source.group, ...(opts.instanceId ? { instanceId: opts.instanceId } : {}), source: spec.source.topic, partitions, ...(repartition ? { repartition } : {}), state: duckFile, memoryLimit: opts.memoryLimit ?? DEFAULT_MEMORY_LIMIT, spill }, 'replica running');
    return { port: health.port, ready: () => running.ready(), assigned: () => running.assigned(), assignedOf: (topic) => running.assignedOf(topic), stop: close };
  } catch (err) {
    await close();
    throw err;
  }
}

/** The link between the stages: the repartition topic (created above with the others) and how records travel on it. */
async function stagesOf(admin: Admin, topology: Topology, topic: string, sourcePartitions: number, stored: readonly Column[], metrics: StageMetrics, purgeIntervalMs: number): Promise<Stages> {
  const partitions = await partitionCount(admin, topic);
  // what stage 2 stores travels (record metadata in the codec's own fields, the key only when an expression reads it)
  const { group_by } = topology.spec.aggregate;
  const values = [...new Set([...stored.map((c) => c.name).filter((n) => !(METADATA_NAMES as readonly string[]).includes(n)), ...group_by])];
  // the formats before 0x03 carried what stage 1 decodes: also the event time and dedup key
  const { event_time } = topology.spec.source;
  const dedup = topology.spec.dedup?.key ?? [];
  const legacyFields = [...new Set([...values, event_time, ...(typeof dedup === 'string' ? [dedup] : dedup)])];
  const codec = new RepartitionCodec(topology.valueSchema, values, { groupBy: group_by, sourceKey: metadataIn(stored).includes('ROWKEY'), legacyFields });
  return { topic, sourcePartitions, partitions, codec, partitionOf: groupKeyPartitioner(topic, partitions), metrics, purgeIntervalMs };
}
