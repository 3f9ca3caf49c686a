/**
 * Window close → visible, at the live shape: a fresh topic fed at a fixed rate with event time =
 * the wall clock, drained by one processor, its output read by a read_committed consumer in this
 * process. For each output record, latency = receive time − the moment the feed's sends of an
 * event with event time ≥ window_end + grace were acknowledged in every partition: the earliest
 * the window could be final, since a partition closes it when such a record arrives. That is
 * window_end + grace on the wall clock while the feed keeps its rate, and later when it cannot (a
 * crowded box), which must not count against the processor. The feed runs in its own processes
 * (live-feed.ts), so that it keeps its rate and its CPU is not the bench's, and starts once the
 * processor is ready (sluice: /readyz); windows that began before the feed did are skipped.
 */
import { mkdirSync } from 'node:fs';
import avro from 'avsc';
import { Kafka, logLevel } from 'kafkajs';
import { parseWire } from '../../src/serde/wire.js';
import { schemaById } from './outputs.js';
import { startLiveFeed, type LiveFeed } from './live-feed.js';
import { preload, writeBenchTopology, type BenchTopology, type LoadShape } from './setup.js';

export const GRACE_MS = 2_000;
export const SIZE_MS = 10_000;

export interface Latencies {
  records: number;
  windows: number;
  p50: number;
  p99: number;
  max: number;
  /** How far behind its schedule the feed ended (s), and the CPU seconds its processes used. */
  feedBehind?: number;
  feedCpuSeconds?: number;
  /** The slowest record of each window (ms), oldest window first: one late window or all of them. */
  slowestPerWindow?: number[];
}

/** p50/p99/max (seconds) of latencies in ms; NaN when there are none. */
export function summarise(ms: number[], windows: number): Latencies {
  const s = [...ms].sort((x, y) => x - y);
  const q = (p: number) => (s.length === 0 ? NaN : s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]! / 1000);
  return { records: s.length, windows, p50: q(0.5), p99: q(0.99), max: s.length === 0 ? NaN : s.at(-1)! / 1000 };
}

export interface LiveOptions {
  brokers: string[];
  registryUrl: string;
  /** Folder for this run's topology (fresh names for its topics). */
  dir: string;
  shape: LoadShape;
  rate: number;
  seconds: number;
  /** Processes the feed runs in (live-feed.ts). */
  feedProcesses: number;
  /** Starts the processor on the topology's source, calls `ready` once it can take records (the feed starts then), resolves once it has seen `events` records and stopped. */
  run: (t: BenchTopology, events: number, ready: () => void) => Promise<unknown>;
  /** The topic its windows go to. */
  outputOf: (t: BenchTopology) => string;
}

export async function measureLive(o: LiveOptions): Promise<{ t: BenchTopology; latencies: Latencies; ran: unknown }> {
  mkdirSync(o.dir, { recursive: true });
  const t = writeBenchTopology(o.dir);
  const events = Math.round(o.rate * o.seconds);
  await preload(o.brokers, o.registryUrl, t, { ...o.shape, events: 0 }); // the topic and its schema, before the processor starts
  const kafka = new Kafka({ clientId: 'sluice-bench-live', brokers: o.brokers, logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `${t.name}-latency`, readUncommitted: false, maxWaitTimeInMs: 100 });
  const types = new Map<number, avro.Type>();
  const windowEndOf = async (value: Buffer): Promise<number> => {
    const { schemaId, payload } = parseWire(value);
    if (!types.has(schemaId)) types.set(schemaId, avro.Type.forSchema(JSON.parse(await schemaById(o.registryUrl, schemaId)) as avro.Schema));
    return Number((types.get(schemaId)!.fromBuffer(payload) as { window_end: unknown }).window_end);
  };
  const ms: number[] = [];
  const slowest = new Map<number, number>(); // window end → its slowest record's latency
  let fedFrom = Infinity;
  let feed: LiveFeed | undefined;
  const output = o.outputOf(t);
  const admin = kafka.admin();
  await admin.connect();
  // made here (sluice would make its own): the consumer subscribes before either processor starts
  await admin.createTopics({ topics: [{ topic: output, numPartitions: o.shape.partitions }], waitForLeaders: true });
  await admin.disconnect();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: output, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        const now = Date.now();
        for (const m of batch.messages) {
          const end = await windowEndOf(m.value!);
          if (end - SIZE_MS < fedFrom) continue;
          const latency = now - (feed?.closable.get(end) ?? end + GRACE_MS);
          ms.push(latency);
          slowest.set(end, Math.max(slowest.get(end) ?? -Infinity, latency));
        }
      },
    });
    feed = await startLiveFeed({
      brokers: o.brokers, registryUrl: o.registryUrl, topologyFile: t.file, topic: t.source, partitions: o.shape.partitions, keys: o.shape.keys,
      duplicates: o.shape.duplicates, seed: o.shape.seed, processes: o.feedProcesses, events, rate: o.rate, sizeMs: SIZE_MS, graceMs: GRACE_MS,
    }, 120_000);
    // the feed starts once the processor is up: its start-up would otherwise be a backlog that the
    // first windows' latency pays for, and at half the capacity a backlog drains slowly
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    const running = o.run(t, events, ready);
    running.catch(() => undefined); // awaited below
    await Promise.race([isReady, running]);
    fedFrom = feed.go();
    const [ran, fed] = await Promise.all([running, feed.done]);
    await new Promise((r) => setTimeout(r, 1000));
    return { t, latencies: { ...summarise(ms, slowest.size), slowestPerWindow: [...slowest].sort(([a], [b]) => a - b).map(([, v]) => v), feedBehind: fed.behindSeconds, feedCpuSeconds: fed.cpuSeconds }, ran };
  } finally {
    feed?.kill();
    await consumer.disconnect();
  }
}
