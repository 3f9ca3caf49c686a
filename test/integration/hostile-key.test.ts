/**
 * A hostile partition: a record whose group key is 2 MB (over aggregate.max_key_bytes) and one
 * exactly at the limit (256 KiB), among good records. The 2 MB one is dead-lettered with
 * GROUP_KEY_TOO_LONG, the other is aggregated and emitted, every partition's windows come out,
 * and the replica stays responsive throughout: /healthz answers quickly and the event loop never
 * stalls for long (before: kafkajs' quadratic murmur2 froze the process for minutes).
 */
import { rmSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { startReplica, type Replica } from '../../src/runtime/replica.js';
import { MAX_KEY_BYTES_LIMIT } from '../../src/topology/schema.js';
import { loadTopology } from '../../src/topology/loader.js';
import { metricValue, openTestSource, pageView } from '../support/hostile.js';
import { oracle, type OracleRecord } from '../support/oracle.js';
import { text as header } from '../support/headers.js';
import { writeTopology } from '../support/pipeline.js';
import { readToEnd, waitProcessed } from '../support/read.js';
import { endpoints } from '../support/services.js';

const BIG = String(16 << 20); // the source, dead-letter and output topics take the 2 MB record
const label = (page: string) => (page.length > 64 ? `${page[0]}×${page.length}` : page);

describe('a hostile group key on the real stack', () => {
  const cleanup: Array<() => Promise<unknown> | unknown> = [];
  afterAll(async () => {
    for (const c of cleanup.reverse()) await c();
  });

  it('dead-letters a key over the limit, emits one at the limit, and keeps /healthz and the other partitions going', async () => {
    const { brokers, registryUrl, redisUrl } = endpoints();
    const t = writeTopology({ maxKeyBytes: MAX_KEY_BYTES_LIMIT, topicConfig: { 'max.message.bytes': BIG } });
    cleanup.push(() => rmSync(t.dir, { recursive: true, force: true }));
    const source = await openTestSource({ brokers, registryUrl, topic: t.source, partitions: 3, configs: { [t.source]: { 'max.message.bytes': BIG } } });
    cleanup.push(() => source.close());

    const base = Date.now() - 10 * 60_000;
    const huge = 'H'.repeat(2 << 20);
    const atLimit = 'k'.repeat(MAX_KEY_BYTES_LIMIT);
    const input = new Map<number, OracleRecord[]>();
    let hugeOffset = -1;
    let hugeValue: Buffer | undefined;
    for (const p of [0, 1, 2]) {
      const events = Array.from({ length: 100 }, (_, i) => pageView(`p${p}-${i}`, base + i * 500, `/p${p}/${i % 3}`, i));
      if (p === 0) {
        events[30]!.page = huge;
        events[31]!.page = atLimit;
      }
      // the source key is the group value, as an upstream keyed by page would send it (2 MB too)
      const values = events.map((e) => source.encode(e));
      const offsets = await source.send(p, events.map((e, i) => ({ key: e.page, value: values[i]! })));
      input.set(p, events.map((e, i) => ({ offset: offsets[i]!, event: e.page === huge ? null : e })));
      if (p === 0) [hugeOffset, hugeValue] = [offsets[30]!, values[30]!];
    }
    const topology = await loadTopology(t.file);
    const expected = oracle(input, topology.spec);
    expect(expected.windows.some((w) => w.group.page === atLimit)).toBe(true);

    // probe the replica while it works: the event loop (shared with this test) and /healthz
    const loop = monitorEventLoopDelay({ resolution: 20 });
    loop.enable();
    const replica: Replica = await startReplica(topology, { brokers, registryUrl, redisUrl }, { port: 0, log: pino({ level: 'silent' }) });
    cleanup.push(() => replica.stop());
    let probing = true;
    const probes: number[] = [];
    const prober = (async () => {
      while (probing) {
        const started = performance.now();
        const res = await fetch(`http://127.0.0.1:${replica.port}/healthz`, { signal: AbortSignal.timeout(5_000) });
        expect(res.status).toBe(200);
        probes.push(performance.now() - started);
        await new Promise((r) => setTimeout(r, 50)); // the probe's pace, not a wait for a condition
      }
    })();

    await waitProcessed(brokers, t.group, t.source);
    probing = false;
    const registry = new SchemaRegistry({ host: registryUrl });
    const rows = await readToEnd(brokers, t.output);
    const dead = await readToEnd(brokers, t.dlq);
    await prober;
    loop.disable();

    const got = await Promise.all(rows.map(async ({ message }) => {
      const v = (await registry.decode(message.value!)) as Record<string, unknown>;
      return `${label(String(v.page))}@${v.window_start}=${v.views}`;
    }));
    expect(got.sort()).toEqual(expected.windows.map((w) => `${label(String(w.group.page))}@${w.start}=${w.metrics.views}`).sort());

    expect(dead).toHaveLength(1);
    const m = dead[0]!.message;
    expect([header(m.headers, 'sluice.source.partition'), header(m.headers, 'sluice.source.offset'), header(m.headers, 'sluice.error.code')]).toEqual(['0', String(hugeOffset), 'GROUP_KEY_TOO_LONG']);
    expect(header(m.headers, 'sluice.error.message')).toMatch(/^group key \("page"\) is at least 2097152 bytes, over aggregate.max_key_bytes = 262144/);
    expect(m.value?.equals(hugeValue!), 'the dead letter keeps the value whole').toBe(true);
    expect(m.key?.length).toBe(huge.length);

    const metrics = await (await fetch(`http://127.0.0.1:${replica.port}/metrics`)).text();
    expect(metricValue(metrics, 'sluice_transactions_total', { result: 'aborted' }), 'no batch failed').toBe(0);
    // no stall of more than a fraction of a second; generous for a loaded 2-core box
    expect(probes.length).toBeGreaterThanOrEqual(3); // the loop monitor covers the whole run; probes check the endpoint itself
    expect(Math.max(...probes), `slowest /healthz of ${probes.length}`).toBeLessThan(2_000);
    expect(loop.max / 1e6, 'longest event-loop stall (ms)').toBeLessThan(2_000);
    console.log(`hostile-key: ${probes.length} /healthz probes, slowest ${Math.max(...probes).toFixed(0)} ms; event loop max delay ${(loop.max / 1e6).toFixed(0)} ms`);
  });
});
