/**
 * Where the local stack lives and which ports it takes, resolved once from the environment.
 * State (data, pids, logs, the env file) sits in `.stack/` of the repo; downloads in a cache outside git.
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { SluiceError } from '../../src/errors.js';
import { findRepoRoot, stackDirOf } from '../../src/connection/stack-env.js';

export { findRepoRoot, stackDirOf };

export const KAFKA_VERSION = '4.1.1';
export const APICURIO_VERSION = '3.3.3';
export const S3PROXY_VERSION = '2.6.0';

export type ServiceName = 'kafka' | 'registry' | 'redis' | 's3';
export const SERVICES: readonly ServiceName[] = ['kafka', 'registry', 'redis', 's3'];

export interface StackConfig {
  repoRoot: string;
  stackDir: string;
  cacheDir: string;
  kafkaPort: number;
  controllerPort: number;
  registryPort: number;
  registryMgmtPort: number;
  /** S3Proxy's S3 API (the Parquet sink's bucket mode). */
  s3Port: number;
  /** 'memory' (default) or 'postgres' (schemas survive a registry restart). */
  registryStorage: 'memory' | 'postgres';
  env: NodeJS.ProcessEnv;
}

function port(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    throw new SluiceError('BAD_ARGUMENT', `${name}: not a TCP port (got ${JSON.stringify(raw)})`, { name, value: raw });
  }
  return n;
}

export function stackConfig(opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): StackConfig {
  const env = opts.env ?? process.env;
  const kafkaPort = port(env, 'SLUICE_KAFKA_PORT', 19092);
  const registryPort = port(env, 'SLUICE_REGISTRY_PORT', 18081);
  const storage = env.SLUICE_REGISTRY_STORAGE ?? 'memory';
  if (storage !== 'memory' && storage !== 'postgres') {
    throw new SluiceError('BAD_ARGUMENT', `SLUICE_REGISTRY_STORAGE: expected memory or postgres (got ${JSON.stringify(storage)})`);
  }
  const xdgCache = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return {
    repoRoot: findRepoRoot(opts.cwd),
    stackDir: stackDirOf(opts.cwd, env),
    cacheDir: env.SLUICE_CACHE_DIR ? resolve(env.SLUICE_CACHE_DIR) : join(xdgCache, 'sluice'),
    kafkaPort,
    controllerPort: port(env, 'SLUICE_KAFKA_CONTROLLER_PORT', kafkaPort + 1),
    registryPort,
    registryMgmtPort: port(env, 'SLUICE_REGISTRY_MGMT_PORT', 19001),
    s3Port: port(env, 'SLUICE_S3_PORT', 18090),
    registryStorage: storage,
    env,
  };
}
