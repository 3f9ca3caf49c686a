/** Service endpoints for the CLI: environment variables, else the local stack's env file. */
import { SluiceError } from '../errors.js';
import type { Endpoints } from '../runtime/replica.js';
import { loadStackEnv, S3_ENV_KEYS, type StackEnvKey } from '../stack/env-file.js';

export function cliEndpoints(needRedis: boolean): Endpoints {
  const env = loadStackEnv();
  const needed: StackEnvKey[] = ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', ...(needRedis ? (['REDIS_URL'] as const) : [])];
  const missing = needed.filter((k) => !env[k]);
  if (missing.length > 0) {
    throw new SluiceError('BAD_ARGUMENT', `${missing.join(', ')} not set: export ${missing.length > 1 ? 'them' : 'it'}, or run \`npm run stack:up\` to start a local stack (its endpoints are then read from .stack/stack.env)`);
  }
  // a bucket's settings: the variables, else the local stack's S3 server (only when none is named)
  const s3 = process.env.SLUICE_S3_ENDPOINT ? {} : Object.fromEntries(S3_ENV_KEYS.map((k) => [k, env[k]]));
  return { brokers: env.KAFKA_BROKERS!.split(','), registryUrl: env.SCHEMA_REGISTRY_URL!, redisUrl: env.REDIS_URL, storageEnv: { ...process.env, ...s3 } };
}
