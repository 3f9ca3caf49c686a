/**
 * `tsx test/chaos/stale-offsets.ts [--iterations N] [--mode after-commit|racing|after-send-offsets] [--load]`:
 * can a task that fences and then reads its group's offset (src/tasks/task.ts, steps 1–2) see an
 * offset older than the last transaction the previous owner committed? kafkajs' OffsetFetch cannot
 * ask for stable offsets (KIP-447's require_stable), so this asks the real broker, many times:
 *   after-commit        the owner's commit resolved, then a new producer with the same
 *                       transactional id fences and the group's offset is fetched at once;
 *   racing              the fence starts while the owner's EndTxn is in flight: if the commit
 *                       resolved, the fetched offset must be the committed one;
 *   after-send-offsets  the owner dies between sendOffsets and EndTxn (the before-commit crash
 *                       point): the fence aborts it, and the fetch must show the previous offset.
 * `--load`: other transactional producers commit offsets of other groups meanwhile.
 * Prints the count of stale (older than committed) and phantom (aborted but visible) reads.
 */
import '../../src/kafkajs/patches.js';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, type Producer, type Admin } from 'kafkajs';
import { randomName } from '../support/services.js';

const { values } = parseArgs({ options: { iterations: { type: 'string', default: '1000' }, mode: { type: 'string', default: 'after-commit' }, load: { type: 'boolean', default: false } } });
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const kafka = new Kafka({ clientId: 'stale-offsets', brokers, logLevel: process.env.KLOG ? logLevel.WARN : logLevel.NOTHING });
const iterations = Number(values.iterations);
const mode = values.mode!;

const producer = (id: string): Producer => kafka.producer({ transactionalId: id, idempotent: true, maxInFlightRequests: 1, retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 20 } });

async function fence(id: string): Promise<Producer> {
  const p = producer(id);
  await p.connect();
  const t = await p.transaction();
  await t.abort();
  return p;
}

async function committedOffset(admin: Admin, group: string, topic: string): Promise<{ offset: number; metadata: string | null }> {
  const [e] = await admin.fetchOffsets({ groupId: group, topics: [topic] });
  const p = e!.partitions.find((x) => x.partition === 0)! as { offset: string; metadata?: string | null };
  return { offset: Math.max(0, Number(p.offset)), metadata: p.metadata ?? null }; // -1: none committed yet
}

async function commit(p: Producer, topic: string, group: string, offset: number, beforeEnd?: () => void): Promise<void> {
  const t = await p.transaction();
  await t.send({ topic, messages: [{ value: String(offset) }], acks: -1 });
  await t.sendOffsets({ consumerGroupId: group, topics: [{ topic, partitions: [{ partition: 0, offset: String(offset), metadata: `m${offset}` } as { partition: number; offset: string }] }] });
  beforeEnd?.();
  await t.commit();
}

/** Other groups' transactions meanwhile: load on the transaction and group coordinators. */
function background(topic: string, stop: AbortSignal): Promise<void>[] {
  return [0, 1, 2].map(async (k) => {
    const id = randomName(`load${k}`);
    const p = await fence(id);
    try {
      for (let i = 1; !stop.aborted; i++) await commit(p, topic, `${id}-group`, i);
    } finally {
      await p.disconnect();
    }
  });
}

async function main(): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  const topic = randomName('stale');
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
  const group = `${topic}-group`;
  const id = `${topic}-txn`;
  const stop = new AbortController();
  const load = values.load ? background(topic, stop.signal) : [];
  let owner = await fence(id);
  let committed = 0;
  let stale = 0;
  let phantom = 0;
  let aborted = 0;
  const started = Date.now();
  try {
    for (let i = 1; i <= iterations; i++) {
      let ok = false;
      let next: Producer;
      if (mode === 'racing') {
        // the fence races the commit: either may win
        const c = commit(owner, topic, group, i).then(() => (ok = true), () => undefined);
        await new Promise((r) => setTimeout(r, Math.random() * 8));
        next = await fence(id);
        await c;
      } else if (mode === 'after-send-offsets') {
        // the owner stops between sendOffsets and EndTxn; the fence must abort that offset
        let fenced: Promise<Producer> | undefined;
        await commit(owner, topic, group, i, () => { fenced = fence(id); throw new Error('crash'); }).catch(() => undefined);
        next = await fenced!;
      } else {
        await commit(owner, topic, group, i);
        ok = true;
        next = await fence(id);
      }
      const seen = await committedOffset(admin, group, topic);
      if (ok) committed = i;
      else aborted++;
      if (seen.offset < committed) {
        stale++;
        console.log(`iteration ${i}: STALE offset ${seen.offset} (${seen.metadata}) after committing ${committed}`);
      } else if (seen.offset > committed) {
        phantom++;
        console.log(`iteration ${i}: PHANTOM offset ${seen.offset} (${seen.metadata}), committed ${committed}`);
      }
      await owner.disconnect().catch(() => undefined);
      owner = next;
    }
  } finally {
    stop.abort();
    await Promise.allSettled(load);
    await owner.disconnect().catch(() => undefined);
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
  console.log(JSON.stringify({ mode, load: values.load, iterations, committed, aborted, stale, phantom, seconds: (Date.now() - started) / 1000 }));
}

await main();
