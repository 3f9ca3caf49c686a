/**
 * Service endpoints and connection settings for the CLI. Lowest to highest: the local stack's env
 * file (addresses only), the topology's `connection:` block, the connection file
 * (--connection or SLUICE_CONNECTION_FILE), environment variables (README, Production).
 */
import type { Endpoints } from '../connection/clients.js';
import { connectionFromEnv, connectionFromFile, mergeConnections, resolveSecurity } from '../connection/resolve.js';
import type { ConnectionInput } from '../connection/settings.js';
import { SluiceError } from '../errors.js';
import { stackDirOf } from '../connection/stack-env.js';
import { readEnvFile, S3_ENV_KEYS } from '../connection/stack-env.js';

export interface CliConnectionOptions { topology?: ConnectionInput; file?: string; env?: NodeJS.ProcessEnv }

export function cliEndpoints(needRedis: boolean, opts: CliConnectionOptions = {}): Endpoints {
  const env = opts.env ?? process.env;
  const stack = readEnvFile(stackDirOf(undefined, env));
  const fromStack: ConnectionInput = {
    ...(stack.KAFKA_BROKERS ? { kafka: { brokers: stack.KAFKA_BROKERS.split(',') } } : {}),
    ...(stack.SCHEMA_REGISTRY_URL ? { registry: { url: stack.SCHEMA_REGISTRY_URL } } : {}),
    ...(stack.REDIS_URL ? { redis: { url: stack.REDIS_URL } } : {}),
  };
  const file = opts.file ?? (env.SLUICE_CONNECTION_FILE || undefined);
  const c = mergeConnections(fromStack, opts.topology, file ? connectionFromFile(file) : undefined, connectionFromEnv(env));
  const brokers = typeof c.kafka?.brokers === 'string' ? c.kafka.brokers.split(',') : c.kafka?.brokers;
  const missing = [!brokers && 'KAFKA_BROKERS', !c.registry?.url && 'SCHEMA_REGISTRY_URL', needRedis && !c.redis?.url && 'REDIS_URL'].filter((m): m is string => !!m);
  if (missing.length > 0) {
    throw new SluiceError('BAD_ARGUMENT', `${missing.join(', ')} not set: export ${missing.length > 1 ? 'them' : 'it'} (or set them in a connection: block), or run \`npm run stack:up\` to start a local stack (its endpoints are then read from .stack/stack.env)`);
  }
  // a bucket's settings: the variables, else the local stack's S3 server (only when none is named)
  const s3 = env.SLUICE_S3_ENDPOINT ? {} : Object.fromEntries(S3_ENV_KEYS.map((k) => [k, env[k] ?? stack[k]]));
  return { brokers: brokers!, registryUrl: c.registry!.url!, redisUrl: c.redis?.url, security: resolveSecurity(c), storageEnv: { ...env, ...s3 } };
}
