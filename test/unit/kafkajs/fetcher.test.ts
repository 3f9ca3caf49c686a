/**
 * The pipelined fetcher inside kafkajs' own fetchManager, workers and ConsumerGroup.fetch, on a
 * group whose broker, offsets and subscription are in memory: what a partition is fetched from,
 * when, and that it never has two batches at once.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { pipelinedFetchActive } from '../../../src/kafkajs/fetcher.js';

const require = createRequire(import.meta.url);
const kjs = (p: string) => require(require.resolve(`kafkajs/src/${p}.js`));
const ConsumerGroup = kjs('consumer/consumerGroup') as { prototype: object };
const SeekOffsets = kjs('consumer/seekOffsets') as new () => { set(t: string, p: number, o: string): void };
const createFetchManager = kjs('consumer/fetchManager') as (o: object) => { start(): Promise<void>; stop(): Promise<void> };
const noop = () => undefined;
const logger = { debug: noop, info: noop, warn: noop, error: noop, namespace: () => logger };
const MAX_WAIT = 500;

interface Request { maxWaitTime: number; partitions: Array<{ partition: number; fetchOffset: string }> }

/** An in-memory group of topic `t` whose partitions hold `sizes[p]` records; a fetch returns up to `per` of them. */
function groupOf(sizes: number[], per: number) {
  const partitions = sizes.map((_, p) => p);
  const resolved: Record<number, string> = Object.fromEntries(partitions.map((p) => [p, '0']));
  const requests: Request[] = [];
  const broker = {
    fetch: async ({ maxWaitTime, topics }: { maxWaitTime: number; topics: Array<{ topic: string; partitions: Request['partitions'] }> }) => {
      const asked = topics[0]!.partitions;
      requests.push({ maxWaitTime, partitions: asked });
      await new Promise((r) => setImmediate(r));
      return {
        responses: [{
          topicName: 't',
          partitions: asked.map(({ partition, fetchOffset }) => {
            const from = Number(fetchOffset);
            const count = Math.max(0, Math.min(per, sizes[partition]! - from));
            const messages = Array.from({ length: count }, (_, i) => ({ offset: String(from + i), isControlRecord: false, batchContext: {} }));
            return { partition, highWatermark: String(sizes[partition]), messages, abortedTransactions: [] };
          }),
        }],
      };
    },
  };
  const group = Object.assign(Object.create(ConsumerGroup.prototype), {
    logger,
    maxWaitTime: MAX_WAIT,
    maxBytesPerPartition: 1 << 20,
    preferredReadReplicasPerTopicPartition: {},
    seekOffset: new SeekOffsets(),
    cluster: { refreshMetadataIfNecessary: async () => undefined, findBroker: async () => broker },
    subscriptionState: { assigned: () => [{ topic: 't', partitions }], active: () => [{ topic: 't', partitions }], isPaused: () => false },
    filterPartitionsByNode: (_: number, tps: unknown) => tps,
    offsetManager: {
      committedOffsets: () => ({ t: { ...resolved } }),
      nextOffset: (_: string, p: number) => resolved[p],
      seek: async ({ partition, offset }: { partition: number; offset: string }) => void (resolved[partition] = offset),
      resolveOffsets: async () => undefined,
    },
  }) as { fetch(nodeId: number): Promise<Array<{ partition: number; messages: Array<{ offset: string }> }>>; seek(o: object): void };
  return { group, requests, resolved };
}

type Handled = { partition: number; first: number; last: number };

/** A promise and the function that resolves it. */
function deferred(): [Promise<void>, () => void] {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return [promise, resolve];
}

/** Runs kafkajs' fetchManager until every partition's records were handled; `handle` may hold a batch. */
async function drain(sizes: number[], per: number, handle: (b: Handled, g: ReturnType<typeof groupOf>) => Promise<void> = async () => undefined) {
  const g = groupOf(sizes, per);
  const handled: Handled[] = [];
  const inProcessing = new Set<number>();
  const [finished, finish] = deferred();
  const manager = createFetchManager({
    logger,
    getNodeIds: () => [1],
    fetch: (nodeId: number) => g.group.fetch(nodeId),
    concurrency: sizes.length,
    handler: async (batch: { partition: number; messages: Array<{ offset: string }> }) => {
      if (batch.messages.length === 0) return;
      expect(inProcessing.has(batch.partition)).toBe(false);
      inProcessing.add(batch.partition);
      const h = { partition: batch.partition, first: Number(batch.messages[0]!.offset), last: Number(batch.messages.at(-1)!.offset) };
      await handle(h, g);
      handled.push(h);
      inProcessing.delete(batch.partition);
      g.resolved[batch.partition] = String(h.last + 1); // kafkajs' resolveOffset: the next offset to fetch
      if (sizes.every((size, p) => Number(g.resolved[p]) >= size)) finish();
    },
  });
  const running = manager.start();
  await finished;
  await manager.stop();
  await running;
  return { handled, requests: g.requests };
}

describe('pipelined fetcher', () => {
  it('is what kafkajs consumers use (the setup file loads it before kafkajs)', () => {
    expect(pipelinedFetchActive()).toBe(true);
  });

  it('fetches every partition from where its previous batch ended, one batch at a time', async () => {
    const { handled } = await drain([50, 30, 0, 45], 10);
    for (const [p, size] of [[0, 50], [1, 30], [3, 45]] as const) {
      const mine = handled.filter((h) => h.partition === p);
      expect(mine.map((h) => h.first)).toEqual(Array.from({ length: size / 10 + (size % 10 ? 1 : 0) }, (_, i) => i * 10));
    }
  });

  it('does not hold the other partitions while one batch is slow, and sends those fetches without waiting for data', async () => {
    const [slow, release] = deferred();
    let others = 0;
    const { requests } = await drain([20, 40, 40], 10, async (h) => {
      if (h.partition === 0 && h.first === 0) await slow; // partition 0's first batch waits for the others to finish
      else if (h.partition !== 0 && ++others === 8) release();
    });
    const whileBusy = requests.filter((r) => r.maxWaitTime === 0);
    expect(whileBusy.length).toBeGreaterThan(0);
    // once partition 0's batch was out, no request asked for it until it was handled
    const first = requests.findIndex((r) => r.partitions.some((p) => p.partition === 0 && p.fetchOffset === '10'));
    expect(requests.slice(1, first).every((r) => r.partitions.every((p) => p.partition !== 0))).toBe(true);
  });

  it('applies a seek of a partition in processing only once its batch was handled', async () => {
    let sought = false;
    const { handled } = await drain([30, 60], 10, async (h, g) => {
      if (h.partition === 0 && h.first === 0 && !sought) {
        sought = true;
        g.group.seek({ topic: 't', partition: 0, offset: '20' });
        await new Promise((r) => setTimeout(r, 20)); // partition 1 fetches meanwhile
      }
    });
    expect(handled.filter((h) => h.partition === 0).map((h) => h.first)).toEqual([0, 20]);
  });
});

describe('pipelined fetcher, failures and stops', () => {
  const managerOf = (g: ReturnType<typeof groupOf>, handler: (b: { partition: number; messages: unknown[] }) => Promise<void>) =>
    createFetchManager({ logger, getNodeIds: () => [1], fetch: (nodeId: number) => g.group.fetch(nodeId), concurrency: 2, handler });

  it("ends with a batch's error only once every other batch was handled, as kafkajs' barrier did", async () => {
    const g = groupOf([10, 10], 10);
    const steps: string[] = [];
    const [held, release] = deferred();
    const manager = managerOf(g, async (b) => {
      if (b.partition === 0) {
        setImmediate(release);
        throw new Error('batch failed');
      }
      await held;
      steps.push('partition 1 handled');
    });
    await expect(manager.start().finally(() => steps.push('ended'))).rejects.toThrow('batch failed');
    expect(steps).toEqual(['partition 1 handled', 'ended']);
  });

  it('stops once the batches in processing were handled, and fetches nothing after', async () => {
    const g = groupOf([100, 100], 10);
    const steps: string[] = [];
    const [inBatch, started] = deferred();
    const manager = managerOf(g, async (b) => {
      if (b.messages.length === 0) return;
      started();
      await new Promise((r) => setTimeout(r, 10));
      steps.push(`handled ${b.partition}`);
    });
    const running = manager.start();
    await inBatch;
    const asked = g.requests.length;
    await manager.stop();
    steps.push('stopped');
    await running;
    expect(steps.at(-1)).toBe('stopped');
    expect(steps.filter((s) => s.startsWith('handled'))).toHaveLength(2);
    expect(g.requests.length).toBe(asked);
  });
});
