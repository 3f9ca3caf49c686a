/**
 * The chaos run's topology and input. The input is test/support/input.ts' fixed input (the same
 * seeded generator, sequential sends so the generator's labels hold) but paced over the run, so
 * that faults hit while there is work, and sent in chunks that a broker restart can wait for
 * (a send cut by a broker restart could be retried into a duplicate the oracle does not know of).
 */
import { Kafka, Partitioners, logLevel, type Producer } from 'kafkajs';
import { prepareSource, sendGenerated, type ProducedMessage } from '../../src/cli/produce.js';
import { SchemaSource } from '../../src/serde/registry.js';
import { generate, invalidKinds } from '../../src/gen/generator.js';
import { rolesFromTopology } from '../../src/gen/topology.js';
import { loadTopology, type Topology } from '../../src/topology/loader.js';
import type { OracleRecord } from '../support/oracle.js';
import { writeTopology, type TestTopology } from '../support/pipeline.js';

export type ChaosTopology = TestTopology;

/** The demo topology's shape, with a short session timeout so a SIGSTOPped replica loses its partitions quickly. */
/** `twoStage`: the source is not partitioned by the group key (docs/keyed-windows.md). */
export function writeChaosTopology(dir: string, opts: { sessionTimeout: string; name: string; parquet?: string; twoStage?: boolean }): ChaosTopology {
  return writeTopology({ dir, name: opts.name, sessionTimeout: opts.sessionTimeout, dedupTtl: '24h', batch: '{ max_records: 1000, max_wait: 300ms }', parquet: opts.parquet, twoStage: opts.twoStage });
}

/** Lets the broker restart wait for the chunk being sent, and holds the next chunk until the broker is back. */
export class SendGate {
  private busy: Promise<void> = Promise.resolve();
  private reopened: Promise<void> = Promise.resolve();
  private release: (() => void) | undefined;

  async close(): Promise<void> {
    this.reopened = new Promise((r) => (this.release = r));
    await this.busy;
  }

  open(): void {
    this.release?.();
    this.release = undefined;
  }

  /** Runs one chunk while the gate is open; true when it had to wait for the gate first. */
  async run(fn: () => Promise<void>): Promise<boolean> {
    let waited = false;
    while (this.release !== undefined) {
      waited = true;
      await this.reopened;
    }
    const p = fn();
    this.busy = p.catch(() => undefined);
    await p;
    return waited;
  }
}

export interface ChaosInputOptions {
  brokers: string[];
  registryUrl: string;
  topology: Topology;
  partitions: number;
  count: number;
  seed: number;
  /** Spread the sends over about this long. */
  durationMs: number;
  stepMs: number;
  keys: number;
  /** Key records by this field rather than the group key (the two-stage run keys by user). */
  keyBy?: string;
  gate: SendGate;
  onProgress?: (sent: number) => void;
}

export interface ChaosInput {
  messages: ProducedMessage[];
  byPartition: Map<number, ProducedMessage[]>;
  oracleInput(): Map<number, OracleRecord[]>;
}

/** Creates the source topic and registers the schemas (before any replica starts: a replica needs the topic). */
export async function prepareInput(opts: Pick<ChaosInputOptions, 'brokers' | 'registryUrl' | 'topology' | 'partitions'>) {
  const { spec, valueSchema } = opts.topology;
  const kafka = new Kafka({ clientId: 'sluice-chaos-input', brokers: opts.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const registry = new SchemaSource(opts.registryUrl);
  try {
    await admin.connect();
    return await prepareSource(admin, registry, rolesFromTopology(spec, valueSchema), {
      topic: spec.source.topic,
      subject: `${spec.source.topic}-value`,
      partitions: opts.partitions,
      incompatible: true,
    });
  } finally {
    await admin.disconnect().catch(() => undefined);
    registry.close();
  }
}

export async function produceChaosInput(opts: ChaosInputOptions, source: Awaited<ReturnType<typeof prepareInput>>): Promise<ChaosInput> {
  const { spec, valueSchema } = opts.topology;
  const roles = rolesFromTopology(spec, valueSchema);
  const kinds = invalidKinds({ ...roles, schemaIds: source.schemaIds });
  const all = [
    ...generate({
      ...roles,
      count: opts.count,
      seed: opts.seed,
      duplicates: 0.02,
      late: 0.01,
      invalid: 0.005 * kinds.length, // 0.5 % of every malformed kind (the generator rotates through them)
      keys: opts.keys,
      startTs: 1_700_000_000_000,
      stepMs: opts.stepMs,
      schemaIds: source.schemaIds,
    }),
  ].map((m) => (opts.keyBy === undefined || m.event === undefined ? m : { ...m, key: String(m.event[opts.keyBy]) }));
  const kafka = new Kafka({ clientId: 'sluice-chaos-input', brokers: opts.brokers, logLevel: logLevel.NOTHING });
  const newProducer = async (): Promise<Producer> => {
    const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
    await p.connect();
    return p;
  };
  const messages: ProducedMessage[] = [];
  const chunk = Math.max(100, Math.round(opts.count / 200));
  const pause = (opts.durationMs * chunk) / opts.count;
  let producer = await newProducer();
  try {
    for (let i = 0; i < all.length; i += chunk) {
      const started = Date.now();
      const send = () => sendGenerated(producer, { topic: spec.source.topic, partitions: source.partitions, rate: Infinity, inFlight: 1, messages: all.slice(i, i + chunk), onSent: (s) => messages.push(...s) });
      const waited = await opts.gate.run(async () => undefined);
      if (waited) {
        // the broker restarted: a fresh producer instead of one whose connections all broke
        await producer.disconnect().catch(() => undefined);
        producer = await newProducer();
      }
      await opts.gate.run(send);
      opts.onProgress?.(messages.length);
      await sleep(Math.max(0, pause - (Date.now() - started)));
    }
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
  const byPartition = new Map<number, ProducedMessage[]>();
  for (let p = 0; p < source.partitions; p++) byPartition.set(p, []);
  for (const m of messages) byPartition.get(m.partition)!.push(m);
  for (const list of byPartition.values()) list.sort((a, b) => a.offset - b.offset);
  return {
    messages,
    byPartition,
    oracleInput: () => new Map([...byPartition].map(([p, list]) => [p, list.map((m) => ({ offset: m.offset, event: m.kind.startsWith('invalid:') ? null : m.event! }))])),
  };
}

export async function loadChaosTopology(t: ChaosTopology): Promise<Topology> {
  return loadTopology(t.file, { checkSql: false });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
