/**
 * Starting as operators do: several replicas at the same moment on a fresh topology, and replicas
 * that start while Kafka, the registry or Redis is unreachable (a forwarder that is down stands in
 * for the outage; the services themselves stay up for the other tests).
 */
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import type { Endpoints } from '../../src/runtime/replica.js';
import { produceFixedInput } from '../support/input.js';
import { writeTopology, type TestTopology } from '../support/pipeline.js';
import { readUntil, waitFor } from '../support/read.js';
import { replicaStarter } from '../support/replicas.js';
import { hostPort, tcpProxy } from '../support/proxy.js';
import { endpoints } from '../support/services.js';
import { sendValues, view, viewEncoder } from '../support/views.js';

const T0 = 1_700_000_000_000;

interface Logged { level: number; msg: string; dependency?: string }

function capture(): { log: pino.Logger; lines: Logged[]; said: (re: RegExp) => Logged[] } {
  const lines: Logged[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as Logged) });
  return { log, lines, said: (re) => lines.filter((l) => re.test(l.msg)) };
}

const until = (cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000) => waitFor(cond, timeoutMs, () => what);
/** The outage lasts a while: several retries happen meanwhile, and none of them may log again. */
const outageLasts = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('replica startup and outages', () => {
  const cleanups: Array<() => Promise<unknown> | void> = [];
  afterAll(async () => {
    for (const c of cleanups) await c();
  });
  const starter = replicaStarter(); // after hooks run last-registered first: replicas stop before the cleanups

  async function fresh(partitions = 3, count = 300): Promise<TestTopology> {
    const t = writeTopology();
    cleanups.push(() => rmSync(t.dir, { recursive: true, force: true }));
    const { brokers, registryUrl } = endpoints();
    await produceFixedInput({ brokers, registryUrl, topic: t.source, partitions, topologyFile: t.file, count, seed: 5 });
    return t;
  }

  const start = (t: TestTopology, at: Partial<Endpoints> = {}, log = pino({ level: 'warn' }), startupTimeoutMs?: number) => starter(t, { at, log, startupTimeoutMs });

  it('three replicas started at the same moment on a fresh topology all run and share the partitions', async () => {
    for (let round = 0; round < 3; round++) {
      const t = await fresh(6);
      const started = await Promise.all([start(t), start(t), start(t)]);
      await until(() => started.reduce((n, r) => n + r.assigned().length, 0) === 6 && started.every((r) => r.assigned().length > 0), 'all partitions assigned to the three');
      expect(started.flatMap((r) => r.assigned()).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    }
  });

  it('waits for a broker that is down at startup: one line when it starts waiting, one when Kafka is back', async () => {
    const t = await fresh();
    const proxy = await tcpProxy(hostPort(endpoints().brokers[0]!));
    cleanups.push(() => proxy.down());
    const { log, said } = capture();
    const starting = start(t, { brokers: [`127.0.0.1:${proxy.port}`] }, log);
    await until(() => said(/^kafka unavailable/).length > 0, 'the outage line');
    await outageLasts(1500);
    await proxy.up();
    const replica = await starting;
    await until(() => replica.ready(), 'the replica ready');
    expect(said(/^kafka unavailable: waiting up to 300 s/)).toHaveLength(1);
    expect(said(/^kafka available again/)).toHaveLength(1);
    expect(said(/batches abort/)).toHaveLength(0);
  });

  it('gives up after --startup-timeout, saying so', async () => {
    const t = await fresh();
    const proxy = await tcpProxy(hostPort(endpoints().brokers[0]!));
    const registry = await tcpProxy(hostPort(endpoints().registryUrl));
    const kafkaDown = start(t, { brokers: [`127.0.0.1:${proxy.port}`] }, pino({ level: 'silent' }), 2000);
    await expect(kafkaDown).rejects.toMatchObject({ code: 'KAFKA_UNAVAILABLE', message: expect.stringMatching(/^gave up waiting for kafka after \d+ s \(startup timeout 2 s\): cannot reach Kafka at 127.0.0.1:\d+/) });
    const registryDown = start(t, { registryUrl: registry.url('http', '/apis/ccompat/v7') }, pino({ level: 'silent' }), 2000);
    await expect(registryDown).rejects.toMatchObject({ code: 'REGISTRY_UNAVAILABLE', message: expect.stringMatching(/^gave up waiting for registry after \d+ s \(startup timeout 2 s\)/) });
  });

  it('waits for Redis that is down when tasks start, as one outage with the gauge set, then emits', async () => {
    const t = await fresh(2, 400);
    const proxy = await tcpProxy(hostPort(endpoints().redisUrl));
    cleanups.push(() => proxy.down());
    const { log, said } = capture();
    const replica = await start(t, { redisUrl: proxy.url('redis') }, log);
    await until(() => said(/^redis unavailable/).length > 0, 'the Redis outage line');
    const metrics = await (await fetch(`http://127.0.0.1:${replica.port}/metrics`)).text();
    expect(metrics).toMatch(/sluice_dependency_outage\{topology="[^"]+",dependency="redis"\} 1/);
    await outageLasts(1500);
    await proxy.up();
    const out = await readUntil(endpoints().brokers, t.output, { until: (n) => n > 0, timeoutMs: 60_000 });
    expect(out.length).toBeGreaterThan(0);
    // the last task still waiting ends the episode, maybe after another partition's output
    await until(() => said(/^redis available again/).length > 0, 'the end of the Redis outage');
    expect(said(/^redis unavailable/)).toHaveLength(1);
    expect(said(/^redis available again/)).toHaveLength(1);
    expect(said(/task start failed/)).toHaveLength(0);
  });

  it('a Parquet path that cannot be written stops the start, naming the path', async () => {
    const t = await fresh();
    const blocker = join(t.dir, 'not-a-folder');
    writeFileSync(blocker, '');
    writeFileSync(t.file, (await import('node:fs')).readFileSync(t.file, 'utf8').replace(`path: ${t.parquet}`, `path: ${blocker}/parquet`));
    await expect(start(t)).rejects.toMatchObject({ code: 'SINK_PATH_UNWRITABLE', domain: 'user', message: expect.stringContaining(`sinks.parquet.path: cannot write Parquet files under ${blocker}/parquet`) });
  });

  it('a Parquet folder that becomes unwritable later is an outage: logged once, then the windows are published', async () => {
    const t = writeTopology({ extra: '' });
    cleanups.push(() => rmSync(t.dir, { recursive: true, force: true }));
    const encode = await viewEncoder(t.source);
    await sendValues(t.source, [encode(view(0, 'a', T0))]);
    const { log, said } = capture();
    const replica = await start(t, {}, log);
    await until(() => replica.ready(), 'the replica ready');
    const staging = join(t.parquet, '_staging');
    rmSync(staging, { recursive: true, force: true });
    writeFileSync(staging, 'in the way');
    await sendValues(t.source, [encode(view(1, 'a', T0 + 20_000)), encode(view(2, 'b', T0 + 40_000))], { create: false });
    await until(() => said(/^storage unavailable/).length > 0, 'the storage outage line');
    await outageLasts(1500);
    rmSync(staging, { force: true });
    await until(() => said(/^storage available again/).length > 0, 'the end of the outage');
    expect(said(/^storage unavailable/)).toHaveLength(1);
    expect(said(/batch failed/)).toHaveLength(0);
    const out = await readUntil(endpoints().brokers, t.output, { until: (n) => n >= 2, timeoutMs: 30_000 });
    expect(out.length).toBe(2);
    expect(readdirSync(join(t.parquet, `window_date=${new Date(T0).toISOString().slice(0, 10)}`)).filter((f) => f.endsWith('.parquet'))).toHaveLength(2);
  });
});
