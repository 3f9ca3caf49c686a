/**
 * A fixed, seeded input produced to a real topic, returned per partition in offset order (offsets
 * as the broker assigned them) and ready for the oracle. Sends are sequential (one in flight), so
 * every partition holds its messages in generated order and the generator's labels hold: its
 * "late" records are late, its out-of-order ones are within grace.
 */
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { prepareSource, sendGenerated, type ProducedMessage } from '../../src/cli/produce.js';
import { SchemaSource } from '../../src/serde/registry.js';
import { generate, type GeneratedMessage, type GeneratorOptions } from '../../src/gen/generator.js';
import { keyPartitioner } from '../../src/sink/partitioner.js';
import { rolesFromTopology } from '../../src/gen/topology.js';
import { loadTopology } from '../../src/topology/loader.js';
import type { TopologySpec } from '../../src/topology/schema.js';
import type { OracleRecord } from './oracle.js';

export type { ProducedMessage } from '../../src/cli/produce.js';

export interface FixedInputOptions {
  brokers: string[];
  registryUrl: string;
  /** Topic to create and fill (the topology's source.topic is ignored). */
  topic: string;
  partitions: number;
  /** A topology file, or its parsed spec and reader schema. */
  topologyFile?: string;
  spec?: TopologySpec;
  schema?: object;
  /** Registry subject of the reader schema; default `<topic>-value`. */
  subject?: string;
  count: number;
  seed: number | string;
  /** Shares in [0, 1]. */
  duplicates?: number;
  late?: number;
  invalid?: number;
  /** Distinct group-by keys; default 20. */
  keys?: number;
  /** Event time of the first event; default 1,700,000,000,000 (stable across runs). */
  startTs?: number;
  /** Mean event-time advance per event; default 50 ms. */
  stepMs?: number;
  /**
   * Key records by this field instead of the group-by fields (the generator's key), so that a
   * group key's records spread over partitions; a duplicate keeps its original's key, hence its
   * partition. Undecodable records keep the generator's key.
   */
  keyBy?: string;
  /** Send only the records of these partitions (the rest of the same seeded input can follow in a second call). */
  partitionsSent?: readonly number[];
}

export interface FixedInput {
  topic: string;
  partitions: number;
  schemaIds: GeneratorOptions['schemaIds'];
  /** Everything sent, in generated order. */
  messages: ProducedMessage[];
  /** Per partition, in offset order. */
  byPartition: Map<number, ProducedMessage[]>;
  /** The oracle's input: per partition, offset and event (null for invalid records). */
  oracleInput(): Map<number, OracleRecord[]>;
}

export async function produceFixedInput(opts: FixedInputOptions): Promise<FixedInput> {
  const { spec, schema } = await topologyOf(opts);
  const roles = rolesFromTopology(spec, schema);
  const kafka = new Kafka({ clientId: 'sluice-test-input', brokers: opts.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  const registry = new SchemaSource(opts.registryUrl);
  try {
    await Promise.all([admin.connect(), producer.connect()]);
    const source = await prepareSource(admin, registry, roles, {
      topic: opts.topic,
      subject: opts.subject ?? `${opts.topic}-value`,
      partitions: opts.partitions,
      incompatible: (opts.invalid ?? 0) > 0,
    });
    const messages: ProducedMessage[] = [];
    const rekeyed = rekey(opts.keyBy, generated);
    const generatedFor = opts.partitionsSent === undefined ? rekeyed : onlyPartitions(rekeyed, keyPartitioner(opts.topic, source.partitions), opts.partitionsSent);
    await sendGenerated(producer, {
      topic: opts.topic,
      partitions: source.partitions,
      rate: Infinity,
      inFlight: 1,
      messages: generatedFor,
      onSent: (sent) => messages.push(...sent),
    });
    function generated(): Iterable<GeneratedMessage> {
      return generate({
        ...roles,
        count: opts.count,
        seed: opts.seed,
        duplicates: opts.duplicates ?? 0,
        late: opts.late ?? 0,
        invalid: opts.invalid ?? 0,
        keys: opts.keys ?? 20,
        startTs: opts.startTs ?? 1_700_000_000_000,
        stepMs: opts.stepMs ?? 50,
        schemaIds: source.schemaIds,
      });
    }
    const byPartition = new Map<number, ProducedMessage[]>();
    for (let p = 0; p < source.partitions; p++) byPartition.set(p, []);
    for (const m of messages) byPartition.get(m.partition)!.push(m);
    for (const list of byPartition.values()) list.sort((a, b) => a.offset - b.offset);
    return {
      topic: opts.topic,
      partitions: source.partitions,
      schemaIds: source.schemaIds,
      messages,
      byPartition,
      oracleInput: () =>
        new Map([...byPartition].map(([p, list]) => [p, list.map((m) => ({ offset: m.offset, event: m.kind.startsWith('invalid:') ? null : m.event! }))])),
    };
  } finally {
    await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
    registry.close();
  }
}

function* rekey(field: string | undefined, messages: () => Iterable<GeneratedMessage>): Generator<GeneratedMessage> {
  for (const m of messages()) yield field === undefined || m.event === undefined ? m : { ...m, key: String(m.event[field]) };
}

function* onlyPartitions(messages: Iterable<GeneratedMessage>, partitionOf: (key: string) => number, sent: readonly number[]): Generator<GeneratedMessage> {
  for (const m of messages) if (sent.includes(partitionOf(m.key))) yield m;
}

async function topologyOf(opts: FixedInputOptions): Promise<{ spec: TopologySpec; schema: object }> {
  if (opts.spec !== undefined && opts.schema !== undefined) return { spec: opts.spec, schema: opts.schema };
  if (opts.topologyFile === undefined) throw new Error('produceFixedInput: give topologyFile, or spec and schema');
  const t = await loadTopology(opts.topologyFile, { checkSql: false });
  return { spec: t.spec, schema: t.valueSchema };
}
