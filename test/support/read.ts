/**
 * Reading what a pipeline committed without sleeping. "Nothing extra arrives" is checked by
 * construction: wait until the group's checkpoints cover the whole source (every output of that
 * input is committed then, in the same transactions), then read the outputs read_committed up to
 * their end offsets. A duplicate would sit below those ends; waiting a while longer proves nothing.
 */
import { Kafka, logLevel, type KafkaMessage } from 'kafkajs';
import { decodeCheckpoint, type Checkpoint } from '../../src/commit/checkpoint.js';
import { randomName } from './services.js';

export interface ReadMessage { partition: number; message: KafkaMessage }

/** Polls `check` until it returns true; throws with `what()` after `timeoutMs`. A wait for a condition, not a fixed sleep. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: () => string, pollMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

const client = (brokers: string[]) => new Kafka({ clientId: 'sluice-test-reader', brokers, logLevel: logLevel.NOTHING });
// disconnect() waits for the fetch in flight, which a broker holds up to maxWaitTimeInMs (default 5 s) at the end of a topic
const reader = (kafka: Kafka, readUncommitted = false) => kafka.consumer({ groupId: randomName('reader'), readUncommitted, maxWaitTimeInMs: 100 });

/**
 * Waits until every partition's committed checkpoint position (src/commit/checkpoint.ts) reaches
 * the source partition's end: the group has processed, and committed, all of its input. Returns
 * those checkpoints by partition.
 */
export async function waitProcessed(brokers: string[], group: string, source: string, timeoutMs = 90_000): Promise<Map<number, Checkpoint>> {
  const admin = client(brokers).admin();
  let checkpoints = new Map<number, Checkpoint>();
  let ends: Array<{ partition: number; end: number }> = [];
  const position = (p: number) => checkpoints.get(p)?.position ?? 0;
  try {
    await admin.connect();
    ends = (await admin.fetchTopicOffsets(source)).map((p) => ({ partition: p.partition, end: Number(p.high) }));
    await waitFor(async () => {
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [source] });
      checkpoints = new Map();
      for (const p of committed?.partitions ?? []) {
        const c = decodeCheckpoint((p as { metadata?: string | null }).metadata);
        if (c) checkpoints.set(p.partition, c);
      }
      return ends.every(({ partition, end }) => position(partition) >= end);
    }, timeoutMs, () => `group ${group} to process ${source} (checkpoint positions ${ends.map(({ partition, end }) => `p${partition} ${position(partition)}/${end}`).join(', ')})`, 200);
  } finally {
    await admin.disconnect();
  }
  return checkpoints;
}

/**
 * Reads a topic from the start with read_committed up to its end offsets as they are now (the
 * last stable offsets); transaction markers count as read. Call it once the writers are done.
 * `uncommitted`: read_uncommitted instead, records of aborted transactions included.
 */
export async function readToEnd(brokers: string[], topic: string, timeoutMs = 60_000, opts: { uncommitted?: boolean } = {}): Promise<ReadMessage[]> {
  const kafka = client(brokers);
  const admin = kafka.admin();
  const consumer = reader(kafka, opts.uncommitted);
  const out: ReadMessage[] = [];
  const reached = new Map<number, number>();
  let ends = new Map<number, number>();
  const done = () => [...ends].every(([p, end]) => (reached.get(p) ?? 0) >= end);
  try {
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    ends = new Map(offsets.map((p) => [p.partition, Number(p.high)]));
    for (const p of offsets) reached.set(p.partition, Number(p.low));
    if (done()) return out;
    // emitted after each fetched batch, also one of markers or aborted records only (kafkajs runner)
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.topic === topic) reached.set(payload.partition, Number(payload.lastOffset) + 1);
    });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    // kafkajs delivers at least once (a consumer restart re-reads from the reader group's last
    // commit): a (partition, offset) is one record of the log, so a second delivery is the reader's
    const delivered = new Set<string>();
    let again = 0;
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const at = `${partition}:${message.offset}`;
        if (delivered.has(at)) return void again++;
        delivered.add(at);
        out.push({ partition, message });
      },
    });
    await waitFor(done, timeoutMs, () => `${topic} read to its end: reached ${JSON.stringify([...reached])} of ${JSON.stringify([...ends])}`, 50);
    if (again > 0) process.stderr.write(`readToEnd(${topic}): the reader's consumer delivered ${again} records twice (kept once)\n`);
  } finally {
    await consumer.disconnect();
    await admin.disconnect();
  }
  return out;
}

/** Reads a topic from the start with read_committed until `until` holds; throws after `timeoutMs`. */
export async function readUntil(brokers: string[], topic: string, opts: { until: (n: number) => boolean; timeoutMs: number }): Promise<ReadMessage[]> {
  const consumer = reader(client(brokers));
  const out: ReadMessage[] = [];
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ partition, message }) => void out.push({ partition, message }) });
    await waitFor(() => opts.until(out.length), opts.timeoutMs, () => `more records on ${topic} (${out.length} so far)`);
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/**
 * Stage 2 of a two-stage topology is done (docs/keyed-windows.md): once stage 1 committed all of
 * the source (waitProcessed), the repartition topic holds all it will; this waits until the
 * group's checkpoints of the repartition topic are past its last committed record in every
 * partition, and returns those checkpoints (their staging tokens: waitPublished).
 */
export async function waitStage2(brokers: string[], group: string, repartition: string, timeoutMs = 90_000): Promise<Map<number, Checkpoint>> {
  const last = new Map<number, number>();
  for (const { partition, message } of await readToEnd(brokers, repartition)) last.set(partition, Math.max(last.get(partition) ?? -1, Number(message.offset)));
  const admin = client(brokers).admin();
  let checkpoints = new Map<number, Checkpoint>();
  const behind = () => [...last].filter(([p, offset]) => (checkpoints.get(p)?.position ?? 0) <= offset);
  try {
    await admin.connect();
    await waitFor(async () => {
      const [committed] = await admin.fetchOffsets({ groupId: group, topics: [repartition] });
      checkpoints = new Map();
      for (const p of committed?.partitions ?? []) {
        const c = decodeCheckpoint((p as { metadata?: string | null }).metadata);
        if (c) checkpoints.set(p.partition, c);
      }
      return behind().length === 0;
    }, timeoutMs, () => `group ${group} to process ${repartition} (behind: ${behind().map(([p, o]) => `p${p} ${checkpoints.get(p)?.position ?? 0}/${o + 1}`).join(', ')})`, 200);
  } finally {
    await admin.disconnect();
  }
  return checkpoints;
}
