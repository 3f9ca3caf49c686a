/**
 * `sluice produce <topology>`: generated upstream events (src/gen) sent to the source topic, in
 * sends of ~1,000 messages from an idempotent producer (acks all), rate-limited, with progress on
 * stderr and a summary line on stdout. prepareSource and sendGenerated are shared with the test
 * helper test/support/input.ts.
 */
import { Partitioners, logLevel, type Admin, type Producer } from 'kafkajs';
import { kafkaClient, schemaSource } from '../connection/clients.js';
import type { SchemaSource } from '../serde/registry.js';
import { isSluiceError, SluiceError } from '../errors.js';
import { retryWithBackoff } from '../runtime/backoff.js';
import { checkShares, parseCount, parseRate, parseShare, parseTimestamp } from '../gen/args.js';
import { generate, incompatibleSchema, type GeneratedMessage, type GeneratorOptions } from '../gen/generator.js';
import { emptyCounts, progressLine, summaryLine, tally } from '../gen/progress.js';
import { rolesFromTopology, type TopologyRoles } from '../gen/topology.js';
import { loadTopology } from '../topology/loader.js';
import { keyPartitioner } from '../sink/partitioner.js';
import { cliEndpoints } from './endpoints.js';

export interface ProduceOptions {
  rate: string;
  count: string;
  duplicates: string;
  late: string;
  invalid: string;
  keys: string;
  seed: string;
  partitions?: string;
  startTs?: string;
  step?: string;
  /** A connection file (README, Production); SLUICE_CONNECTION_FILE otherwise. */
  connection?: string;
}

export interface ProducedMessage extends GeneratedMessage {
  partition: number;
  offset: number;
}

export async function produceCommand(file: string, opts: ProduceOptions): Promise<void> {
  const rate = parseRate('--rate', opts.rate);
  const shares = {
    duplicates: parseShare('--duplicates', opts.duplicates),
    late: parseShare('--late', opts.late),
    invalid: parseShare('--invalid', opts.invalid),
  };
  checkShares(shares);
  const count = parseCount('--count', opts.count);
  const keys = parseCount('--keys', opts.keys, 1);
  const partitions = opts.partitions === undefined ? undefined : parseCount('--partitions', opts.partitions, 1);
  const startTs = opts.startTs === undefined ? undefined : parseTimestamp('--start-ts', opts.startTs);
  const stepMs = opts.step === undefined ? (Number.isFinite(rate) ? 1000 / rate : 1) : parseCount('--step', opts.step, 1);

  const topology = await loadTopology(file, { checkSql: false });
  const { spec } = topology;
  const endpoints = cliEndpoints(false, { topology: spec.connection, file: opts.connection });
  const kafka = kafkaClient(endpoints, { clientId: `sluice-produce-${spec.name}`, logLevel: logLevel.NOTHING }); // its retried errors ("coordinator is loading") are noise; real ones are thrown
  const registry = schemaSource(endpoints);
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5, createPartitioner: Partitioners.DefaultPartitioner });
  const roles = rolesFromTopology(spec, topology.valueSchema);
  const topic = spec.source.topic;
  let stop = false;
  const onSignal = () => {
    if (stop) process.exit(130);
    stop = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    await Promise.all([admin.connect(), producer.connect()]);
    const source = await prepareSource(admin, registry, roles, {
      topic,
      subject: spec.source.value.subject ?? `${topic}-value`,
      partitions: partitions ?? 6,
      incompatible: shares.invalid > 0,
    });
    if (partitions !== undefined && source.partitions !== partitions) {
      process.stderr.write(`sluice produce: topic ${topic} already exists with ${source.partitions} partitions (--partitions ${partitions} ignored)\n`);
    }
    const messages = generate({ ...roles, ...shares, count, keys, seed: opts.seed, startTs, stepMs, schemaIds: source.schemaIds });
    const counts = emptyCounts();
    const started = Date.now();
    const progress = progressReporter(count, started);
    await sendGenerated(producer, {
      topic,
      partitions: source.partitions,
      messages,
      rate,
      inFlight: 3,
      stopped: () => stop,
      onSent: (sent) => {
        for (const m of sent) tally(counts, m.kind);
        progress(counts.valid + counts.duplicate + counts.late + counts.invalid);
      },
    });
    progress(undefined);
    process.stdout.write(`${summaryLine(topic, counts, Date.now() - started)}\n`);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
    registry.close();
  }
}

/** How long `sluice produce` retries a registration the registry failed with a retriable error. */
const REGISTER_PATIENCE_MS = 30_000;

/** Retriable SluiceErrors (REGISTRY_UNAVAILABLE) until `ms` after the first one. */
function retriableFor(ms: number): (e: unknown) => boolean {
  let first: number | undefined;
  return (e) => isSluiceError(e) && e.retriable && Date.now() - (first ??= Date.now()) < ms;
}

export interface PreparedSource {
  partitions: number;
  schemaIds: GeneratorOptions['schemaIds'];
}

/**
 * Creates the topic when missing and registers the reader schema under `subject` (and, when
 * invalid records are wanted, an unresolvable writer schema under `<subject>-incompatible`).
 */
export async function prepareSource(
  admin: Admin,
  registry: SchemaSource,
  roles: TopologyRoles,
  opts: { topic: string; subject: string; partitions: number; incompatible: boolean },
): Promise<PreparedSource> {
  if (!(await admin.listTopics()).includes(opts.topic)) {
    await admin.createTopics({ topics: [{ topic: opts.topic, numPartitions: opts.partitions }], waitForLeaders: true });
  }
  const meta = await admin.fetchTopicMetadata({ topics: [opts.topic] });
  const partitions = meta.topics[0]?.partitions.length ?? opts.partitions;
  // a registry restarting (or a proxy in front of it answering 502) is waited out for a while, as `sluice run` does
  const register = (subject: string, schema: object) => retryWithBackoff(() => registry.register(subject, schema), { isRetriable: retriableFor(REGISTER_PATIENCE_MS), maxMs: 2_000 });
  const reader = await register(opts.subject, roles.schema as object);
  const incompatible = opts.incompatible ? await register(`${opts.subject}-incompatible`, incompatibleSchema(roles) as object) : undefined;
  return { partitions, schemaIds: incompatible === undefined ? { reader } : { reader, incompatible } };
}

export interface SendOptions {
  topic: string;
  partitions: number;
  messages: Iterable<GeneratedMessage>;
  /** Events per second; Infinity for as fast as possible. */
  rate: number;
  /** Messages per send (default 1,000; fewer at low rates, so sends stay ~10 per second). */
  batchSize?: number;
  /** Sends in flight at once. 1 keeps the generated order in every partition exactly. */
  inFlight?: number;
  stopped?: () => boolean;
  onSent?: (sent: ProducedMessage[]) => void;
}

/**
 * Sends the messages, each to the partition kafkajs' default partitioner picks for its key (so a
 * key's events, duplicates included, share a partition), and reports each send with the offsets
 * the broker assigned: base offset of the partition's batch + position in it.
 */
export async function sendGenerated(producer: Producer, opts: SendOptions): Promise<void> {
  const partitionOf = keyPartitioner(opts.topic, opts.partitions);
  const size = opts.batchSize ?? (Number.isFinite(opts.rate) ? Math.min(1000, Math.max(1, Math.round(opts.rate / 10))) : 1000);
  const inFlight: Promise<void>[] = [];
  const started = Date.now();
  let queued = 0;
  const send = async (batch: (GeneratedMessage & { partition: number })[]) => {
    const results = await producer.send({
      topic: opts.topic,
      acks: -1,
      messages: batch.map((m) => ({ key: m.key, value: m.value, partition: m.partition })),
    });
    const next = new Map<number, number>();
    for (const r of results) {
      if (r.baseOffset === undefined) throw new SluiceError('INTERNAL', `produce to ${opts.topic}/${r.partition} returned no base offset`);
      next.set(r.partition, Number(r.baseOffset));
    }
    const sent = batch.map((m) => {
      const offset = next.get(m.partition)!;
      next.set(m.partition, offset + 1);
      return { ...m, offset };
    });
    opts.onSent?.(sent);
  };
  let batch: (GeneratedMessage & { partition: number })[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const b = batch;
    batch = [];
    queued += b.length;
    if (Number.isFinite(opts.rate)) {
      const due = started + ((queued - b.length) * 1000) / opts.rate;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    }
    const p = send(b);
    p.catch(() => undefined); // awaited below; this only keeps a failure from being "unhandled" meanwhile
    inFlight.push(p);
    if (inFlight.length >= (opts.inFlight ?? 1)) await inFlight.shift();
  };
  for (const m of opts.messages) {
    if (opts.stopped?.()) break;
    batch.push({ ...m, partition: partitionOf(m.key) });
    if (batch.length >= size) await flush();
  }
  await flush();
  await Promise.all(inFlight);
}


/** A redrawn bar on a terminal, a plain line every 5 s otherwise; `undefined` ends it. */
function progressReporter(total: number, started: number): (done: number | undefined) => void {
  const tty = process.stderr.isTTY === true;
  let last = 0;
  let done = 0;
  return (n) => {
    const now = Date.now();
    if (n === undefined) {
      if (tty) process.stderr.write(`\r${progressLine(done, total, now - started)}\n`);
      return;
    }
    done = n;
    if (now - last < (tty ? 100 : 5000)) return;
    last = now;
    const line = progressLine(done, total, now - started);
    process.stderr.write(tty ? `\r${line}` : `${line}\n`);
  };
}
