/**
 * `stack:down` stops exactly the processes this stack dir started (by pid, SIGTERM then SIGKILL);
 * `stack:status` reports each service, whether it answers, its pid and endpoint.
 */
import { type ServiceName, SERVICES, stackConfig } from './config.js';
import { readEnvFile, S3_ENV_KEYS, writeEnvFile } from '../../src/connection/stack-env.js';
import { ENV_KEY, serviceAnswers } from './live.js';
import { stackLogger, timed } from './log.js';
import { isOurs, stopPid } from './processes.js';
import { readState, updateState } from './state.js';
import type { StackOptions } from './up.js';

export interface StackDownOptions extends StackOptions {
  /** Only these services (default: every one this stack dir started). */
  services?: ServiceName[];
}

/** Returns the services whose process it stopped. */
export async function stackDown(opts: StackDownOptions = {}): Promise<ServiceName[]> {
  const log = opts.log ?? stackLogger();
  const cfg = stackConfig(opts);
  const state = readState(cfg.stackDir);
  const wanted = (opts.services ?? SERVICES).filter((s) => state[s]);
  if (wanted.length === 0) log(`down: nothing of this stack is running (${cfg.stackDir})`);
  const stopped: ServiceName[] = [];
  await Promise.all(wanted.map(async (s) => {
    const p = state[s]!;
    if (isOurs(p.pid, p.marker)) {
      const [how, took] = await timed(() => stopPid(p.pid));
      log(`${s}: stopped pid ${p.pid} (${how === 'kill' ? 'SIGKILL after SIGTERM timed out' : 'SIGTERM'}) in ${took}`);
      stopped.push(s);
    } else {
      log(`${s}: pid ${p.pid} is no longer running; forgetting it`);
    }
    updateState(cfg.stackDir, s, undefined);
  }));
  // the env file must not point at what is gone; with nothing of ours left it goes entirely
  const left = readState(cfg.stackDir);
  if (Object.keys(left).length === 0) writeEnvFile(cfg.stackDir, {});
  else {
    const env = readEnvFile(cfg.stackDir);
    for (const s of wanted) for (const k of s === 's3' ? S3_ENV_KEYS : [ENV_KEY[s]]) delete env[k];
    writeEnvFile(cfg.stackDir, env);
  }
  return stopped;
}

export interface ServiceStatus { service: ServiceName; up: boolean; endpoint?: string; pid?: number; owner: 'stack' | 'external' | 'none' }

export async function stackStatus(opts: StackOptions = {}): Promise<ServiceStatus[]> {
  const cfg = stackConfig(opts);
  const state = readState(cfg.stackDir);
  const file = readEnvFile(cfg.stackDir);
  const endpoints = { kafka: file.KAFKA_BROKERS, registry: file.SCHEMA_REGISTRY_URL, redis: file.REDIS_URL, s3: file.SLUICE_S3_ENDPOINT };
  return Promise.all(SERVICES.map(async (s): Promise<ServiceStatus> => {
    const p = state[s];
    const ours = p !== undefined && isOurs(p.pid, p.marker);
    const endpoint = ours ? p.endpoint : endpoints[s];
    if (!endpoint) return { service: s, up: false, owner: 'none' };
    const up = await serviceAnswers(s, endpoint);
    return { service: s, up, endpoint, ...(ours ? { pid: p.pid } : {}), owner: ours ? 'stack' : 'external' };
  }));
}
