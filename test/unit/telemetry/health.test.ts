import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { isSluiceError } from '../../../src/errors.js';
import { startHealthServer, type HealthServer } from '../../../src/telemetry/health.js';
import { createMetrics, topologyMetrics } from '../../../src/telemetry/metrics.js';

const HOST = '127.0.0.1';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** a logger that keeps its lines, to check what the server says */
function memoryLogger() {
  const lines: { msg: string; port?: number }[] = [];
  const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { logger, lines };
}

/** binds a random high port (retrying on the rare collision) and keeps it taken until the test ends */
async function occupyPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 40_000);
    const blocker: Server = createServer();
    const ok = await new Promise<boolean>((resolve) => {
      blocker.once('error', () => resolve(false));
      blocker.listen(port, HOST, () => resolve(true));
    });
    if (ok) {
      cleanups.push(() => new Promise((r) => blocker.close(() => r())));
      return port;
    }
  }
}

async function start(opts: Partial<Parameters<typeof startHealthServer>[0]> = {}): Promise<HealthServer> {
  const server = await startHealthServer({
    host: HOST,
    metrics: createMetrics({ defaultMetrics: false }).registry,
    logger: pino({ level: 'silent' }),
    ready: () => true,
    ...opts,
  });
  cleanups.push(() => server.close());
  return server;
}

describe('health server endpoints', () => {
  it('serves /metrics, /healthz and /readyz (503 until ready)', async () => {
    const metrics = createMetrics();
    const tm = topologyMetrics(metrics, 'page-views');
    tm.partitionAssigned(3);
    tm.records(3, 'decoded', 42);
    let ready = false;
    const { port } = await start({ port: 0, metrics: metrics.registry, ready: () => ready });
    const base = `http://${HOST}:${port}`;

    const m = await fetch(`${base}/metrics`);
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toContain('text/plain');
    const text = await m.text();
    expect(text).toContain('sluice_records_total{topology="page-views",partition="3",outcome="decoded"} 42');
    expect(text).toContain('sluice_records_total{topology="page-views",partition="3",outcome="late"} 0');
    expect(text).toContain('sluice_partitions_assigned{topology="page-views"} 1');
    expect(text).toContain('process_cpu_seconds_total'); // default Node metrics

    const h = await fetch(`${base}/healthz`);
    expect([h.status, await h.text()]).toEqual([200, 'ok\n']);
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    ready = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/healthz`, { method: 'POST' })).status).toBe(405);
  });

  it('binds to the address it is given (--host / SLUICE_METRICS_HOST), and only there', async () => {
    const server = await start({ port: 0, host: '127.0.0.1' });
    expect((await fetch(`http://127.0.0.1:${server.port}/healthz`)).status).toBe(200);
    const { networkInterfaces } = await import('node:os');
    const other = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal);
    if (other) await expect(fetch(`http://${other.address}:${server.port}/healthz`)).rejects.toThrow();
  });

  it('answers 503 when the ready callback throws', async () => {
    const { port } = await start({ port: 0, ready: () => { throw new Error('boom'); } });
    expect((await fetch(`http://${HOST}:${port}/readyz`)).status).toBe(503);
  });
});

describe('port choice', () => {
  it('without an explicit port, takes the next free port after a taken default and logs it', async () => {
    const taken = await occupyPort();
    const { logger, lines } = memoryLogger();
    const { port } = await start({ defaultPort: taken, logger });
    expect(port).toBeGreaterThan(taken);
    expect(port).toBeLessThanOrEqual(taken + 20);
    expect((await fetch(`http://${HOST}:${port}/healthz`)).status).toBe(200);
    expect(lines.some((l) => l.msg === `port ${taken} is taken, using ${port}`)).toBe(true);
    expect(lines.some((l) => l.port === port && l.msg.includes(`:${port}/metrics`))).toBe(true);
  });

  it('uses the default port itself when it is free', async () => {
    const free = await occupyPort();
    await cleanups.pop()!(); // release it again
    const { port } = await start({ defaultPort: free });
    expect(port).toBe(free);
  });

  it('an explicitly chosen port that is taken is a PORT_IN_USE error naming the port and --port', async () => {
    const taken = await occupyPort();
    const err = await start({ port: taken }).catch((e: unknown) => e);
    expect(isSluiceError(err, 'PORT_IN_USE')).toBe(true);
    expect((err as Error).message).toBe(`port ${taken} on ${HOST} is already in use; choose another one with --port`);
  });
});
