/**
 * One live feed process (live-feed.ts starts them): sends its share of the events to its
 * partitions at its share of the rate, event time = the wall clock, and reports on stdout, one
 * JSON line each: `{"ready":true}` once connected (then it waits for the start time on stdin),
 * `{"end":…,"at":…}` when the window ending at `end` could close in its partitions (its closing
 * sends acknowledged at `at`), and `{"done":…}` at the end.
 *   node --import tsx test/bench/live-feed-child.ts '<FeedChildOptions as JSON>'
 */
import '../../src/kafkajs/patches.js'; // produce requests in one buffer: the feed's own CPU is what limits it
import { createInterface } from 'node:readline';
import { Kafka, Partitioners, logLevel } from 'kafkajs';
import { prepareSource } from '../../src/cli/produce.js';
import { rolesFromTopology } from '../../src/gen/topology.js';
import { SchemaSource } from '../../src/serde/registry.js';
import { loadTopology } from '../../src/topology/loader.js';
import { FeedRecords } from './live-feed-records.js';
import { ClosableWindows, dueBy, eventTimeOf, partitionsOf, shareOf } from './live-feed-schedule.js';

export interface FeedChildOptions {
  brokers: string[];
  registryUrl: string;
  topologyFile: string;
  topic: string;
  partitions: number;
  keys: number;
  duplicates: number;
  seed: string;
  index: number;
  processes: number;
  /** All feeds' events and events/s: this one sends its share of both. */
  events: number;
  rate: number;
  sizeMs: number;
  graceMs: number;
}

export interface FeedDone { sent: number; seconds: number; cpuSeconds: number; behindSeconds: number }

// a send every TICK_MS at most (fewer, larger sends cost less per record), at most MAX_BATCH records, IN_FLIGHT at once (the producer's maxInFlightRequests)
const TICK_MS = 20;
const MAX_BATCH = 4_000;
const IN_FLIGHT = 5;

const o = JSON.parse(process.argv[2]!) as FeedChildOptions;
const say = (x: object) => process.stdout.write(`${JSON.stringify(x)}\n`);
const topology = await loadTopology(o.topologyFile, { checkSql: false });
const roles = rolesFromTopology(topology.spec, topology.valueSchema);
const kafka = new Kafka({ clientId: `sluice-bench-feed-${o.index}`, brokers: o.brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
const producer = kafka.producer({ idempotent: true, maxInFlightRequests: IN_FLIGHT, createPartitioner: Partitioners.DefaultPartitioner });
const registry = new SchemaSource(o.registryUrl);
await Promise.all([admin.connect(), producer.connect()]);
const source = await prepareSource(admin, registry, roles, { topic: o.topic, subject: `${o.topic}-value`, partitions: o.partitions, incompatible: false }).finally(() => registry.close());
await admin.disconnect();
const own = partitionsOf(o.index, o.processes, source.partitions);
const records = new FeedRecords({ roles, schemaId: source.schemaIds.reader, partitions: source.partitions, own, keys: o.keys, duplicates: o.duplicates, seed: o.seed, index: o.index, processes: o.processes });
const total = shareOf(o.index, o.processes, o.events);
const rate = o.rate / o.processes;

say({ ready: true });
// the start time, on stdin; a parent gone before it (stdin closed) ends this process
let startLine: string | undefined;
const start = Number(await new Promise<string>((resolve) => createInterface({ input: process.stdin }).once('line', (l) => resolve((startLine = l))).once('close', () => startLine === undefined && process.exit(1))));
const cpu0 = process.cpuUsage();
const closable = new ClosableWindows(own, start, o.sizeMs, o.graceMs);
const inFlight: Promise<void>[] = [];
let queued = 0;
let lateMs = 0;
while (queued < total) {
  const due = dueBy(Date.now() - start, rate, total);
  if (due - queued < Math.min(total - queued, Math.ceil((rate * TICK_MS) / 1000))) {
    await new Promise((r) => setTimeout(r, TICK_MS));
    continue;
  }
  const count = Math.min(due - queued, MAX_BATCH);
  const first = queued;
  const { messages, maxTs } = records.next(count, (i) => eventTimeOf(first + i, start, rate));
  queued += count;
  lateMs = Date.now() - eventTimeOf(queued - 1, start, rate); // how late this send leaves against the schedule
  const send = producer.send({ topic: o.topic, acks: -1, messages }).then(() => {
    const at = Date.now();
    for (const [p, ts] of maxTs) for (const end of closable.acknowledged(p, ts)) say({ end, at });
  });
  send.catch(() => undefined); // awaited below; this only keeps a failure from being "unhandled" meanwhile
  inFlight.push(send);
  if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
}
await Promise.all(inFlight);
const cpu = process.cpuUsage(cpu0);
const seconds = (Date.now() - start) / 1000;
// behind: how late the last send left (its acknowledgement is the broker's round trip, not the feed's lag)
say({ done: { sent: total, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, behindSeconds: Math.max(0, lateMs) / 1000 } satisfies FeedDone });
await producer.disconnect();
