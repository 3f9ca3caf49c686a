/**
 * Dedup is as durable as Redis; when Redis loses its data, sluice must say so. A task keeps a
 * marker key beside its dedup keys: a task that restores from a checkpoint and finds its marker
 * gone logs an error and counts sluice_redis_data_loss_total.
 */
import { rmSync } from 'node:fs';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, expect, it } from 'vitest';
import { startReplica, type Replica } from '../../src/runtime/replica.js';
import { loadTopology } from '../../src/topology/loader.js';
import { produceFixedInput } from '../support/input.js';
import { writeTopology } from '../support/pipeline.js';
import { readUntil, waitFor } from '../support/read.js';
import { closeAfterAll, endpoints } from '../support/services.js';

const t = writeTopology();
const replicas: Replica[] = [];
afterAll(async () => {
  for (const r of replicas) await r.stop();
  rmSync(t.dir, { recursive: true, force: true });
});

async function lossCount(r: Replica): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${r.port}/metrics`)).text();
  return Number(/sluice_redis_data_loss_total\{[^}]*\} (\d+)/.exec(text)?.[1] ?? NaN);
}

it('a restore that finds its Redis marker gone reports the data loss', async () => {
  const { brokers, registryUrl, redisUrl } = endpoints();
  const redis = closeAfterAll(new Redis(redisUrl), (c) => c.quit());
  await produceFixedInput({ brokers, registryUrl, topic: t.source, partitions: 2, topologyFile: t.file, count: 600, seed: 5 });
  const topology = await loadTopology(t.file);
  const start = async () => {
    const r = await startReplica(topology, { brokers, registryUrl, redisUrl }, { port: 0, log: pino({ level: 'silent' }) });
    replicas.push(r);
    return r;
  };

  const first = await start();
  await readUntil(brokers, t.output, { until: (n) => n > 0, timeoutMs: 60_000 }); // checkpoints exist now
  expect(await lossCount(first)).toBe(0);
  await first.stop();

  const markers = await redis.keys(`dedup-marker:{${topology.spec.name}}:*`);
  expect(markers.length).toBe(2);
  await redis.del(...markers); // what a Redis restart without persistence does to them

  const second = await start();
  let n = 0;
  await waitFor(async () => (n = await lossCount(second)) >= 2, 20_000, () => `sluice_redis_data_loss_total to reach 2 (is ${n})`, 200).catch(() => undefined);
  expect(n).toBe(2); // one per partition whose checkpoint found no marker
  const stale = await redis.keys(`dedup*{${topology.spec.name}}*`);
  if (stale.length > 0) await redis.del(...stale);
});
