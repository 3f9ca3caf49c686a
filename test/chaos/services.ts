/**
 * The chaos run's own services, so it can restart them without touching the shared dev stack:
 * a Kafka broker and a schema registry started through dev/stack in a private stack dir on free
 * ports, and a redis-server child that keeps its data on disk (AOF, fsync on every write).
 *
 * The registry keeps its schemas in PostgreSQL (SLUICE_REGISTRY_STORAGE=postgres, a database of
 * this run's own): its default in-memory storage forgets every schema on a restart, which would
 * turn "the registry was down for 10 s" into "the registry lost every id" — a different fault.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, openSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stackConfig, type StackConfig } from '../../dev/stack/config.js';
import { stackDown } from '../../dev/stack/down.js';
import { S3_ENV_KEYS } from '../../src/connection/stack-env.js';
import { redactSecrets } from '../../src/telemetry/redact.js';
import { startKafka } from '../../dev/stack/kafka.js';
import { isPortFree } from '../../dev/stack/ports.js';
import { isAlive, stopPid, waitFor } from '../../dev/stack/processes.js';
import { redisAnswers } from '../../dev/stack/redis.js';
import { startRegistry } from '../../dev/stack/registry.js';
import { readState, updateState } from '../../dev/stack/state.js';
import { stackUp } from '../../dev/stack/up.js';
import { track, untrack } from './processes.js';

const run = promisify(execFile);

export interface ServiceEndpoints {
  brokers: string[];
  registryUrl: string;
  redisUrl: string;
  /** With the bucket sink: the run's own S3Proxy (SLUICE_S3_ENDPOINT and its keys). */
  s3?: Record<string, string>;
}

export class ChaosServices {
  private redis: ChildProcess | undefined;
  private constructor(
    readonly dir: string,
    private readonly cfg: StackConfig,
    private readonly redisPort: number,
    private readonly db: string,
    readonly endpoints: ServiceEndpoints,
    private readonly log: (line: string) => void,
  ) {}

  /** Starts Kafka + registry (via stackUp, private dir and ports) and a persistent Redis. */
  static async start(dir: string, repoRoot: string, log: (line: string) => void, opts: { s3?: boolean } = {}): Promise<ChaosServices> {
    const [kafkaPort, controllerPort, registryPort, mgmtPort, redisPort, s3Port] = (await distinctFreePorts(6)) as [number, number, number, number, number, number];
    const db = `sluice_chaos_${registryPort}_${process.pid}`;
    const env: NodeJS.ProcessEnv = { ...process.env };
    // stackUp reuses any endpoint these name: the chaos run must never touch the shared stack
    delete env.KAFKA_BROKERS;
    delete env.SCHEMA_REGISTRY_URL;
    delete env.REDIS_URL;
    delete env.SLUICE_S3_ENDPOINT;
    Object.assign(env, {
      SLUICE_STACK_DIR: join(dir, 'stack'),
      SLUICE_KAFKA_PORT: String(kafkaPort),
      SLUICE_KAFKA_CONTROLLER_PORT: String(controllerPort),
      SLUICE_REGISTRY_PORT: String(registryPort),
      SLUICE_REGISTRY_MGMT_PORT: String(mgmtPort),
      SLUICE_REGISTRY_STORAGE: 'postgres',
      SLUICE_REGISTRY_DB: db,
      SLUICE_S3_PORT: String(s3Port),
    });
    const cfg = stackConfig({ cwd: repoRoot, env });
    const endpoints: ServiceEndpoints = { brokers: [`127.0.0.1:${kafkaPort}`], registryUrl: `http://127.0.0.1:${registryPort}/apis/ccompat/v7`, redisUrl: `redis://127.0.0.1:${redisPort}` };
    const s = new ChaosServices(dir, cfg, redisPort, db, endpoints, log);
    try {
      const up = await stackUp({ cwd: repoRoot, env, log, services: ['kafka', 'registry', 'redis', ...(opts.s3 ? (['s3'] as const) : [])] });
      for (const svc of up.services) if (svc.pid !== undefined) track(svc.pid, `${svc.service} (stack)`);
      if (up.env.KAFKA_BROKERS !== endpoints.brokers[0] || up.env.SCHEMA_REGISTRY_URL !== endpoints.registryUrl) {
        throw new Error(`stackUp did not start private services: ${JSON.stringify(redactSecrets(up.env))}`);
      }
      if (opts.s3) endpoints.s3 = Object.fromEntries(S3_ENV_KEYS.map((k) => [k, up.env[k]!]));
      await s.startRedis();
    } catch (err) {
      await s.stop();
      throw err;
    }
    return s;
  }

  private pidOf(service: 'kafka' | 'registry' | 's3'): number | undefined {
    return readState(this.cfg.stackDir)[service]?.pid;
  }

  private record = (service: 'kafka' | 'registry') => (p: { pid: number }) => {
    updateState(this.cfg.stackDir, service, p as Parameters<typeof updateState>[2]);
    track(p.pid, `${service} (stack)`);
  };

  /** Clean broker shutdown (SIGTERM), then the same broker on the same data dir and ports. */
  async restartBroker(): Promise<void> {
    const pid = this.pidOf('kafka');
    if (pid !== undefined) {
      await stopPid(pid, 30_000);
      untrack(pid);
    }
    await startKafka(this.cfg, this.log, this.record('kafka'));
  }

  /** Stops the registry process, keeps it down for `downMs`, starts it again on the same database. */
  async restartRegistry(downMs: number): Promise<void> {
    const pid = this.pidOf('registry');
    if (pid !== undefined) {
      await stopPid(pid);
      untrack(pid);
    }
    await sleep(downMs);
    await startRegistry(this.cfg, this.log, this.record('registry'));
  }

  /** SIGKILL (no shutdown save: appendfsync always is what keeps the data), then the same server on the same dir. */
  async restartRedis(downMs = 1000): Promise<void> {
    const old = this.redis;
    if (old?.pid !== undefined && isAlive(old.pid)) {
      const gone = new Promise((r) => old.once('exit', r));
      old.kill('SIGKILL');
      await gone;
      untrack(old.pid);
    }
    await sleep(downMs);
    await this.startRedis();
  }

  private async startRedis(): Promise<void> {
    const dir = join(this.dir, 'redis');
    mkdirSync(dir, { recursive: true });
    const fd = openSync(join(dir, 'redis.log'), 'a');
    try {
      this.redis = spawn('redis-server', ['--port', String(this.redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes',
        '--appendfsync', 'always', '--dir', dir], { stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    track(this.redis.pid!, 'redis');
    await waitFor(`redis on ${this.redisPort}`, 15_000, async () => ((await redisAnswers(this.endpoints.redisUrl)) ? true : undefined), 100);
  }

  /** Stops everything this run started; safe to call twice and after a failed start. */
  async stop(): Promise<void> {
    const r = this.redis;
    if (r?.pid !== undefined && isAlive(r.pid)) {
      const gone = new Promise((res) => r.once('exit', res));
      r.kill('SIGKILL');
      await gone;
      untrack(r.pid);
    }
    const pids = (['kafka', 'registry', 's3'] as const).map((svc) => this.pidOf(svc)).filter((p): p is number => p !== undefined);
    await stackDown({ cwd: this.cfg.repoRoot, env: this.cfg.env, log: () => undefined }).catch(() => undefined);
    for (const pid of pids) {
      if (isAlive(pid)) await stopPid(pid, 1000); // stackDown failed (or the process ignored SIGTERM)
      untrack(pid);
    }
    const { SLUICE_PG_HOST: host = '127.0.0.1', SLUICE_PG_PORT: port = '5432', SLUICE_PG_USER: user = 'postgres' } = this.cfg.env; // as dev/stack/registry.ts
    await run('psql', ['-h', host, '-p', port, '-U', user, '-d', 'postgres', '-tAc', `DROP DATABASE IF EXISTS "${this.db}"`]).catch(() => undefined);
  }
}

/**
 * The services restart on the same ports (broker restart, registry down, Redis restart). A port
 * the kernel hands out (port 0) lies in its ephemeral range, which any outgoing connection on this
 * busy box may take as its source port while the service is down (seen: the broker's controller
 * port, "Address already in use", a failed run); ports below that range (32768 on Linux) are only
 * ever taken by a listener that asks for them.
 */
async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (!ports.has(port) && (await isPortFree(port))) ports.add(port);
  }
  return [...ports];
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
