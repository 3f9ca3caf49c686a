/**
 * `sluice run` as an operator runs it: a process with health endpoints that says clearly what is
 * missing, and that stops cleanly (exit 0) on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { produceFixedInput } from '../support/input.js';
import { writeTopology } from '../support/pipeline.js';
import { waitFor } from '../support/read.js';
import { endpoints } from '../support/services.js';

function sluice(args: string[]): { child: ChildProcess; out: () => string; exit: Promise<number | null> } {
  const { brokers, registryUrl, redisUrl } = endpoints();
  const child = spawn(process.execPath, ['bin/sluice.js', ...args], {
    env: { ...process.env, KAFKA_BROKERS: brokers.join(','), SCHEMA_REGISTRY_URL: registryUrl, REDIS_URL: redisUrl, LOG_FORMAT: 'json' },
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, out: () => out, exit };
}

describe('sluice run', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('names the missing source topic and exits 2', async () => {
    const t = writeTopology();
    dirs.push(t.dir);
    const run = sluice(['run', t.file, '--port', '0']);
    children.push(run.child);
    expect(await run.exit).toBe(2);
    expect(run.out()).toContain(`source.topic: topic "${t.source}" does not exist`);
  });

  it('serves /healthz, /readyz and /metrics, and exits 0 on SIGTERM', async () => {
    const { brokers, registryUrl } = endpoints();
    const t = writeTopology();
    dirs.push(t.dir);
    await produceFixedInput({ brokers, registryUrl, topic: t.source, partitions: 2, topologyFile: t.file, count: 300, seed: 3 });
    const run = sluice(['run', t.file, '--port', '0']);
    children.push(run.child);
    let port: string | undefined;
    await waitFor(() => (port = /"port":(\d+)/.exec(run.out())?.[1]) !== undefined, 20_000, () => `the metrics port in the log:\n${run.out()}`);
    const get = (path: string) => fetch(`http://127.0.0.1:${port}${path}`);
    expect((await get('/healthz')).status).toBe(200);
    await waitFor(async () => (await get('/readyz')).status === 200, 30_000, () => '/readyz to answer 200', 200);
    let metrics = '';
    const decoded = /sluice_records_total\{[^}]*outcome="decoded"[^}]*\} [1-9]/;
    await waitFor(async () => decoded.test((metrics = await (await get('/metrics')).text())), 30_000, () => `decoded records in /metrics:\n${metrics}`, 200);
    expect(metrics).toMatch(/sluice_records_total\{[^}]*outcome="decoded"[^}]*\} [1-9]/);
    expect(metrics).toMatch(/sluice_transactions_total\{[^}]*result="committed"[^}]*\} [1-9]/);
    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    expect(run.out()).toContain('"msg":"stopped"');
  });
});
