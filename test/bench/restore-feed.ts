/**
 * The live input of `npm run bench:restore`: page views sent at a fixed rate with event time = the
 * wall clock, until stopped, and what they must become: per (window start, page) the number of
 * valid events (duplicates are dropped by dedup), the `views` each closed window must report.
 */
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { prepareSource, sendGenerated } from '../../src/cli/produce.js';
import { generate } from '../../src/gen/generator.js';
import { rolesFromTopology } from '../../src/gen/topology.js';
import { SchemaSource } from '../../src/serde/registry.js';
import { loadTopology } from '../../src/topology/loader.js';
import type { BenchTopology, LoadShape } from './setup.js';

export interface Feed {
  /** Wall clock (= event time) of the first event. */
  startedAt: number;
  /** Views per `${window_start}|${page}`, of every event sent so far. */
  expected: Map<string, number>;
  /** Per window end: when the feed sent the first event at or past end + grace (the window could close then). */
  closable: Map<number, number>;
  /** Events sent so far (duplicates included). */
  sent(): number;
  /** Ends the feed; resolves with the event time of the last event sent. */
  stop(): Promise<number>;
}

/** Creates the source topic, registers its schema and starts sending `rate` events/s. */
export async function startFeed(brokers: string[], registryUrl: string, t: BenchTopology, shape: LoadShape, rate: number, sizeMs: number, graceMs: number): Promise<Feed> {
  const topology = await loadTopology(t.file, { checkSql: false });
  const roles = rolesFromTopology(topology.spec, topology.valueSchema);
  const kafka = new Kafka({ clientId: 'sluice-bench-restore-feed', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5, createPartitioner: Partitioners.DefaultPartitioner });
  const registry = new SchemaSource(registryUrl);
  await Promise.all([admin.connect(), producer.connect()]);
  const source = await prepareSource(admin, registry, roles, { topic: t.source, subject: `${t.source}-value`, partitions: shape.partitions, incompatible: false }).finally(() => registry.close());
  await admin.disconnect();
  const expected = new Map<string, number>();
  const closable = new Map<number, number>();
  let count = 0;
  let lastTs = 0;
  let stopped = false;
  const startedAt = Date.now();
  // as many events as an hour holds: the feed ends when stopped, not when they run out
  const messages = generate({ ...roles, count: Math.round(rate * 3600), duplicates: shape.duplicates, keys: shape.keys, seed: shape.seed, stepMs: 1000 / rate, startTs: startedAt, schemaIds: source.schemaIds });
  const sending = sendGenerated(producer, {
    topic: t.source,
    partitions: source.partitions,
    rate,
    inFlight: 5, // the producer's maxInFlightRequests: a loaded broker's round trips must not slow the feed
    messages,
    stopped: () => stopped,
    onSent: (sent) => {
      count += sent.length;
      for (const m of sent) {
        const ts = Number(m.event?.[roles.eventTime] ?? 0);
        lastTs = Math.max(lastTs, ts);
        if (m.kind !== 'valid') continue;
        const k = `${Math.floor(ts / sizeMs) * sizeMs}|${String(m.event!.page)}`;
        expected.set(k, (expected.get(k) ?? 0) + 1);
      }
      const now = Date.now();
      for (let end = Math.floor((lastTs - graceMs) / sizeMs) * sizeMs; end > startedAt && !closable.has(end); end -= sizeMs) closable.set(end, now);
    },
  });
  sending.catch(() => undefined); // awaited in stop()
  return {
    startedAt,
    expected,
    closable,
    sent: () => count,
    stop: async () => {
      stopped = true;
      await sending.finally(() => producer.disconnect());
      return lastTs;
    },
  };
}
