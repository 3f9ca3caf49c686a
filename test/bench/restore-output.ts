/**
 * The output side of `npm run bench:restore`: a read_committed consumer on the output topic that
 * keeps every window row with the wall-clock time it became visible here.
 */
import avro from 'avsc';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { parseWire } from '../../src/serde/wire.js';
import { schemaById } from './outputs.js';

export interface SeenRow { key: string; start: number; end: number; views: number; at: number }

export interface OutputWatch {
  rows: SeenRow[];
  /** Rows that became visible at or after `t` (ms). */
  since(t: number): SeenRow[];
  close(): Promise<void>;
}

/** Creates `topic` (so the consumer subscribes before the replica starts) and follows it from the beginning. */
export async function watchOutput(brokers: string[], registryUrl: string, topic: string, partitions: number, groupId: string): Promise<OutputWatch> {
  const kafka = new Kafka({ clientId: 'sluice-bench-restore-output', brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  await admin.disconnect();
  const consumer: Consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 100 });
  const types = new Map<number, Promise<avro.Type>>();
  const typeOf = (id: number) => {
    if (!types.has(id)) types.set(id, schemaById(registryUrl, id).then((s) => avro.Type.forSchema(JSON.parse(s) as avro.Schema)));
    return types.get(id)!;
  };
  const rows: SeenRow[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      const at = Date.now();
      for (const m of batch.messages) {
        const { schemaId, payload } = parseWire(m.value!);
        const v = (await typeOf(schemaId)).fromBuffer(payload) as Record<string, unknown>;
        rows.push({ key: m.key?.toString('utf8') ?? '', start: Number(v.window_start), end: Number(v.window_end), views: Number(v.views), at });
      }
    },
  });
  return {
    rows,
    since: (t) => rows.filter((r) => r.at >= t),
    close: () => consumer.disconnect(),
  };
}
