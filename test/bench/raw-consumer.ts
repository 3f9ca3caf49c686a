/**
 * The raw consumer ceiling, run as its own process by raw.ts: a kafkajs consumer group reading the
 * whole topic with sluice's fetch settings (src/runtime/replica.ts) and doing nothing else
 * (`--mode raw`), or also avsc-decoding every value after its 5-byte wire header (`--mode avro`).
 * Prints one JSON line: events, seconds and CPU seconds from the first fetch to the last record.
 *   node --import tsx test/bench/raw-consumer.ts <brokers> <topic> <group> <events> <raw|avro> <schema.avsc>
 */
import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { Kafka, logLevel } from 'kafkajs';

const [brokers, topic, group, eventsArg, mode, schemaFile] = process.argv.slice(2);
if (!brokers || !topic || !group || !eventsArg || (mode !== 'raw' && mode !== 'avro') || !schemaFile) {
  process.stderr.write('usage: raw-consumer.ts <brokers> <topic> <group> <events> <raw|avro> <schema.avsc>\n');
  process.exit(2);
}
const events = Number(eventsArg);
const reader = avro.Type.forSchema(JSON.parse(readFileSync(schemaFile, 'utf8')) as avro.Schema);

const kafka = new Kafka({ clientId: 'sluice-bench-raw', brokers: brokers.split(','), logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
const partitions = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions.length ?? 1;
await admin.disconnect();

const consumer = kafka.consumer({ groupId: group, readUncommitted: false, maxWaitTimeInMs: 500, maxBytesPerPartition: 4 << 20 });
let seen = 0;
let checksum = 0; // keeps the decoded values alive, so the decode cannot be optimised away
let start: { t: number; cpu: NodeJS.CpuUsage } | undefined;
let finish: (() => void) | undefined;
const finished = new Promise<void>((r) => (finish = r));

// the clock starts at the first fetch after joining: a whole partition can arrive in the first batch
consumer.on(consumer.events.FETCH_START, () => {
  start ??= { t: performance.now(), cpu: process.cpuUsage() };
});
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
await consumer.run({
  autoCommit: false,
  partitionsConsumedConcurrently: Math.min(partitions, 32),
  eachBatch: async ({ batch }) => {
    if (mode === 'avro') {
      for (const m of batch.messages) {
        const v = reader.fromBuffer(m.value!.subarray(5)) as Record<string, unknown>;
        if (v !== null) checksum++;
      }
    }
    seen += batch.messages.length;
    if (seen >= events) finish!();
  },
});
await finished;
const seconds = (performance.now() - start!.t) / 1000;
const cpu = process.cpuUsage(start!.cpu);
process.stdout.write(`${JSON.stringify({ mode, events: seen, seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, checksum })}\n`);
await consumer.disconnect();
process.exit(0);
