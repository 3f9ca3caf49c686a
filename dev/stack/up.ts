/**
 * `stack:up`: for each service, reuse a live one (its env variable, or one this stack dir started
 * earlier), else check its ports and start it; then write the endpoints to the env file.
 * Idempotent; on failure it stops what this call started.
 */
import { SluiceError } from '../../src/errors.js';
import { redactUrl } from '../../src/telemetry/redact.js';
import { SERVICES, type ServiceName, type StackConfig, stackConfig } from './config.js';
import { type StackEnv, envFilePath, readEnvFile, writeEnvFile } from '../../src/connection/stack-env.js';
import { startKafka } from './kafka.js';
import { type StackLog, stackLogger, timed } from './log.js';
import { assertPortFree } from './ports.js';
import { stopPid, waitFor } from './processes.js';
import { redisAnswers, startRedis } from './redis.js';
import { startRegistry } from './registry.js';
import { stackS3Credentials, startS3Proxy } from './s3proxy.js';
import { ENV_KEY, serviceAnswers } from './live.js';
import { type OwnedProcess, runningOwned, updateState } from './state.js';

export interface StackOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  log?: StackLog;
  /** Only these services (default: all four). */
  services?: readonly ServiceName[];
}

/** How a service was provided: its env variable, a process of this stack dir (earlier or now), or the machine's Redis. */
export type ServiceSource = 'env' | 'reused' | 'started' | 'machine';
export interface ServiceUp { service: ServiceName; endpoint: string; source: ServiceSource; pid?: number }
export interface StackUpResult {
  /** The endpoints of the services asked for (and the S3 server's access key pair). */
  env: StackEnv;
  services: ServiceUp[];
  /** Services this call started (what a caller that wants to clean up after itself stops). */
  started: ServiceName[];
  envFile: string;
}

const answers = serviceAnswers;

/** A live endpoint that needs no start, or undefined. */
async function findLive(cfg: StackConfig, s: ServiceName, log: StackLog): Promise<Omit<ServiceUp, 'service'> | undefined> {
  const fromEnv = cfg.env[ENV_KEY[s]];
  if (fromEnv) {
    if (await answers(s, fromEnv)) return { endpoint: fromEnv, source: 'env' };
    log(`${s}: ${ENV_KEY[s]}=${redactUrl(fromEnv)} does not answer; using the local stack instead`);
  }
  const own = runningOwned(cfg.stackDir, s);
  if (own) {
    // it may still be starting (a parallel `up`): give it a moment before calling it broken
    const ok = await waitFor(`${s} pid ${own.pid}`, 60_000, async () => ((await answers(s, own.endpoint)) ? true : undefined), 500).catch(() => false);
    if (!ok) throw new SluiceError('STACK_START_FAILED', `${s} pid ${own.pid} of this stack runs but does not answer at ${own.endpoint}; see ${own.log}, or run npm run stack:down`);
    return { endpoint: own.endpoint, source: 'reused', pid: own.pid };
  }
  if (s === 'redis' && (await redisAnswers('redis://127.0.0.1:6379'))) return { endpoint: 'redis://127.0.0.1:6379', source: 'machine' };
  return undefined;
}

async function checkPorts(cfg: StackConfig, s: ServiceName): Promise<void> {
  if (s === 'kafka') {
    const hint = ', or point KAFKA_BROKERS at a running broker';
    await assertPortFree(cfg.kafkaPort, 'the Kafka broker', 'SLUICE_KAFKA_PORT', hint);
    await assertPortFree(cfg.controllerPort, 'the Kafka controller', 'SLUICE_KAFKA_CONTROLLER_PORT (default SLUICE_KAFKA_PORT+1)', hint);
  } else if (s === 'registry') {
    const hint = ', or point SCHEMA_REGISTRY_URL at a running registry';
    await assertPortFree(cfg.registryPort, 'the schema registry (HTTP)', 'SLUICE_REGISTRY_PORT', hint);
    await assertPortFree(cfg.registryMgmtPort, 'the schema registry (management)', 'SLUICE_REGISTRY_MGMT_PORT', hint);
  } else if (s === 's3') {
    await assertPortFree(cfg.s3Port, 'the S3 server (S3Proxy)', 'SLUICE_S3_PORT', ', or point SLUICE_S3_ENDPOINT at a running S3-compatible server');
  }
}

export async function stackUp(opts: StackOptions = {}): Promise<StackUpResult> {
  const log = opts.log ?? stackLogger();
  const cfg = stackConfig(opts);
  log(`up: state in ${cfg.stackDir}, downloads cached in ${cfg.cacheDir}`);
  const services: ServiceUp[] = [];
  const toStart: ServiceName[] = [];
  const wanted = opts.services ?? SERVICES;
  for (const s of wanted) {
    const live = await findLive(cfg, s, log);
    if (live) {
      services.push({ service: s, ...live });
      log(`${s}: ${live.source === 'env' ? `using ${ENV_KEY[s]}` : live.source === 'reused' ? `already running (pid ${live.pid})` : 'using the machine\'s Redis'} at ${redactUrl(live.endpoint)}`);
    } else {
      toStart.push(s);
    }
  }
  // every port is checked before anything starts, so a conflict leaves nothing behind
  for (const s of toStart) await checkPorts(cfg, s);

  const spawned: OwnedProcess[] = [];
  // recorded as soon as spawned, so a failed or interrupted `up` can still be cleaned up by `down`
  const record = (s: ServiceName) => (p: OwnedProcess): void => { spawned.push(p); updateState(cfg.stackDir, s, p); };
  const starters = { kafka: startKafka, registry: startRegistry, redis: startRedis, s3: startS3Proxy };
  const start = async (s: ServiceName): Promise<ServiceUp> => {
    const [p, took] = await timed(() => starters[s](cfg, log, record(s)));
    log(`${s}: ready at ${p.endpoint} in ${took}`);
    return { service: s, endpoint: p.endpoint, source: 'started', pid: p.pid };
  };
  const results = await Promise.allSettled(toStart.map(start));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    log(`up failed; stopping the ${spawned.length} process(es) this call started`);
    await Promise.all(spawned.map((p) => stopPid(p.pid)));
    for (const s of toStart) updateState(cfg.stackDir, s, undefined);
    throw failed.reason;
  }
  for (const r of results) if (r.status === 'fulfilled') services.push(r.value);

  const env: StackEnv = {};
  for (const svc of services) env[ENV_KEY[svc.service]] = svc.endpoint;
  const s3 = services.find((x) => x.service === 's3');
  // a server named by SLUICE_S3_ENDPOINT comes with its own keys (or none: the AWS variables)
  const keys = s3?.source === 'env' ? { accessKeyId: cfg.env.SLUICE_S3_ACCESS_KEY_ID, secretAccessKey: cfg.env.SLUICE_S3_SECRET_ACCESS_KEY } : s3 ? stackS3Credentials(cfg) : undefined;
  if (keys?.accessKeyId && keys.secretAccessKey) Object.assign(env, { SLUICE_S3_ACCESS_KEY_ID: keys.accessKeyId, SLUICE_S3_SECRET_ACCESS_KEY: keys.secretAccessKey });
  // services not asked for this time keep their lines
  writeEnvFile(cfg.stackDir, { ...readEnvFile(cfg.stackDir), ...env });
  return { env, services, started: toStart, envFile: envFilePath(cfg.stackDir) };
}
