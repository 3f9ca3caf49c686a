/**
 * A SIGTERM is answered within seconds whatever the replica is waiting for (a supervisor kills it
 * after its grace period, and a scale-down must not cost a minute): batches waiting out a Redis
 * outage, tasks starting (after a rebalance) while Redis is down, and its first group join, which
 * the coordinator holds until every member rejoins (up to the rebalance timeout, 60 s) while
 * another member's batches are still running. Redis is "down" behind a
 * forwarder (test/support/proxy.ts); the services themselves stay up. Afterwards another replica
 * commits exactly the keyed oracle: what the stopped replicas left open was aborted, not lost.
 */
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTopology } from '../../src/topology/loader.js';
import { oracle } from '../support/oracle.js';
import { writeTopology } from '../support/pipeline.js';
import { hostPort, tcpProxy, type Proxy } from '../support/proxy.js';
import { waitFor } from '../support/read.js';
import { endpoints } from '../support/services.js';
import { sluice, type SluiceRun } from '../support/sluice-cli.js';
import { committed, expectOracleRows, oracleInput, produce, sorted } from '../support/two-stage.js';

// generous for a loaded 2-core box, well below the consumer's 10 s stop grace (STOP_GRACE_MS)
const PROMPT_MS = 8_000;

describe('SIGTERM while waiting', () => {
  const runs: SluiceRun[] = [];
  const dirs: string[] = [];
  let proxy: Proxy | undefined;
  afterAll(async () => {
    for (const r of runs) r.kill();
    await proxy?.down();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  function run(file: string, redisUrl: string): SluiceRun {
    const { brokers, registryUrl } = endpoints();
    const r = sluice(['run', file, '--port', '0'], { KAFKA_BROKERS: brokers.join(','), SCHEMA_REGISTRY_URL: registryUrl, REDIS_URL: redisUrl, LOG_LEVEL: 'info' });
    runs.push(r);
    return r;
  }

  async function ready(r: SluiceRun): Promise<void> {
    const port = await r.port();
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200, 60_000, () => `/readyz 200:\n${r.out()}`, 200);
  }

  /** SIGTERM, then exit 0 within PROMPT_MS, without the consumer's grace running out. */
  async function stopPromptly(r: SluiceRun): Promise<void> {
    const t0 = Date.now();
    r.kill('SIGTERM');
    const code = await r.exit;
    const ms = Date.now() - t0;
    expect({ code, prompt: ms < PROMPT_MS }, `exit after ${ms} ms:\n${r.out().slice(-4000)}`).toEqual({ code: 0, prompt: true });
    expect(r.out()).not.toContain('did not stop in time');
    expect(r.out()).toMatch(/"msg":"stopped( while starting)?"/);
  }

  it('batches in a Redis outage, then task starts in one: each replica exits 0 within seconds; the next one commits the oracle', { timeout: 240_000 }, async () => {
    const { redisUrl } = endpoints();
    const t = writeTopology({ twoStage: true, sessionTimeout: '6s' });
    dirs.push(t.dir);
    proxy = await tcpProxy(hostPort(redisUrl));
    await proxy.up();
    const viaProxy = proxy.url('redis');
    const early = await produce(t, { partitionsSent: [0, 1, 2] });

    // 1. batches waiting out the outage (stage 1 deduplicates in Redis)
    const r1 = run(t.file, viaProxy);
    await ready(r1);
    await proxy.down();
    const rest = await produce(t, { partitionsSent: [3, 4, 5] });
    await waitFor(() => r1.out().includes('redis unavailable'), 60_000, () => `r1 waiting on Redis:\n${r1.out()}`, 200);
    await stopPromptly(r1);

    // 2. tasks starting while Redis is down: a second replica joins, the rebalance restarts r2's
    // tasks, and their start waits (the dedup marker check) until the SIGTERM
    await proxy.up();
    const r2 = run(t.file, viaProxy);
    await ready(r2);
    await proxy.down();
    const b = run(t.file, redisUrl);
    await waitFor(() => r2.out().includes('redis unavailable'), 90_000, () => `r2 waiting on Redis in a task start:\n${r2.out()}\n--- b:\n${b.out()}`, 200);
    await stopPromptly(r2);

    // b alone finishes: exactly the oracle, whatever r1 and r2 had open when they stopped
    const expected = oracle(oracleInput(early, rest), (await loadTopology(t.file, { checkSql: false })).spec, { keyed: true });
    const out = await committed(t);
    expectOracleRows(out.topic, expected);
    expectOracleRows(out.parquet, expected);
    expect(out.dlq).toEqual(sorted(expected.deadLetters));
    expect(out.late).toEqual(sorted(expected.late));
    await stopPromptly(b);
  });

  it('a replica joining a group whose rebalance another member holds (its batches wait on Redis): SIGTERM while starting exits 0 within seconds', { timeout: 240_000 }, async () => {
    const { redisUrl } = endpoints();
    const t = writeTopology({ twoStage: true, sessionTimeout: '6s' });
    dirs.push(t.dir);
    const redis = await tcpProxy(hostPort(redisUrl));
    await redis.up();
    const input = await produce(t, { partitionsSent: [0, 1, 2] });
    const x = run(t.file, redis.url('redis'));
    await ready(x);
    await redis.down();
    const more = await produce(t, { partitionsSent: [3, 4, 5] });
    await waitFor(() => x.out().includes('redis unavailable'), 60_000, () => `x waiting on Redis:\n${x.out()}`, 200);

    const r = run(t.file, redisUrl);
    await r.port(); // serving health: the start is under way
    // a while for r to reach its join (not a condition to wait for: that it does not finish is the point)
    await new Promise((res) => setTimeout(res, 4_000));
    expect(r.out(), 'r is still joining (x holds the rebalance)').not.toContain('"msg":"replica running"');
    await stopPromptly(r);
    expect(r.out()).toContain('stopped while starting');
    await stopPromptly(x);

    await redis.up();
    const b = run(t.file, redisUrl);
    const expected = oracle(oracleInput(input, more), (await loadTopology(t.file, { checkSql: false })).spec, { keyed: true });
    const out = await committed(t);
    expectOracleRows(out.topic, expected);
    expect(out.dlq).toEqual(sorted(expected.deadLetters));
    expect(out.late).toEqual(sorted(expected.late));
    await stopPromptly(b);
    await redis.down();
  });
});
