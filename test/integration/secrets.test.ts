/**
 * Registry and Redis passwords never show (issue #9): `sluice run` as a child process with both
 * URLs carrying credentials. The local Apicurio and Redis need none (Apicurio ignores the Basic
 * header, Redis answers AUTH with an error ioredis tolerates), so lookups and registration must
 * work, and no byte of stdout, stderr, /metrics or an error message may hold the secret.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { produceFixedInput } from '../support/input.js';
import { writeTopology } from '../support/pipeline.js';
import { endpoints } from '../support/services.js';

const SECRET = `pw-${randomUUID()}`;
const withCredentials = (url: string, user: string): string => {
  const u = new URL(url);
  u.username = user;
  u.password = SECRET;
  return u.toString();
};

function sluice(args: string[], env: Record<string, string>): { child: ChildProcess; out: () => string; exit: Promise<number | null> } {
  const child = spawn(process.execPath, ['bin/sluice.js', ...args], { env: { ...process.env, ...env, LOG_FORMAT: 'json' } });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, out: () => out, exit };
}

/** Polls `probe` every 200 ms until it returns a value, for at most `ms`. */
async function until<T>(ms: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T | undefined> {
  for (const deadline = Date.now() + ms; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
    const v = await probe();
    if (v !== undefined) return v;
  }
  return undefined;
}

describe('credentials in service URLs', () => {
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('are sent, not printed: lookups and registration work, and no output holds the password', async () => {
    const { brokers, registryUrl, redisUrl } = endpoints();
    const t = writeTopology();
    dirs.push(t.dir);
    await produceFixedInput({ brokers, registryUrl, topic: t.source, partitions: 2, topologyFile: t.file, count: 300, seed: 11 });
    const run = sluice(['run', t.file, '--port', '0'], {
      KAFKA_BROKERS: brokers.join(','),
      SCHEMA_REGISTRY_URL: withCredentials(registryUrl, 'sluice-user'),
      REDIS_URL: withCredentials(redisUrl, ''),
    });
    children.push(run.child);
    const port = await until(60_000, () => /"port":(\d+)/.exec(run.out())?.[1]);
    expect(port, run.out()).toBeDefined();
    // records decoded (schema lookups by id, with the header) and a committed transaction (the output schema registered)
    const metrics = await until(60_000, async () => {
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      return /sluice_records_total\{[^}]*outcome="aggregated"[^}]*\} [1-9]/.test(text) && /sluice_transactions_total\{[^}]*result="committed"[^}]*\} [1-9]/.test(text) ? text : undefined;
    });
    expect(metrics, run.out()).toBeDefined();
    expect(metrics).not.toContain(SECRET);
    expect(run.out()).not.toMatch(/outcome":"dead_lettered|UNKNOWN_SCHEMA_ID|REGISTRY_UNAVAILABLE/);
    run.child.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    expect(run.out()).not.toContain(SECRET);
  });

  it('an unreachable registry is named without its password', async () => {
    const { brokers, registryUrl, redisUrl } = endpoints();
    const t = writeTopology();
    dirs.push(t.dir);
    await produceFixedInput({ brokers, registryUrl, topic: t.source, partitions: 1, topologyFile: t.file, count: 10, seed: 12 });
    const dead = new URL(registryUrl);
    dead.port = '1'; // nothing listens there
    const run = sluice(['run', t.file, '--port', '0', '--startup-timeout', '2s'], { KAFKA_BROKERS: brokers.join(','), SCHEMA_REGISTRY_URL: withCredentials(dead.toString(), 'sluice-user'), REDIS_URL: redisUrl });
    children.push(run.child);
    expect(await run.exit).toBe(1);
    expect(run.out()).toContain(`${dead.origin}${dead.pathname.replace(/\/+$/, '')}`); // the base URL, without credentials
    expect(run.out()).toContain('REGISTRY_UNAVAILABLE');
    expect(run.out()).toContain('gave up waiting for registry');
    expect(run.out()).not.toContain(SECRET);
  });
});
