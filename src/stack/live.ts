/** Does the service at an endpoint answer? One short check per kind, shared by up, status and the test setup. */
import type { ServiceName } from './config.js';
import type { StackEnv } from './env-file.js';
import { kafkaAnswers } from './kafka-probe.js';
import { redisAnswers } from './redis.js';
import { registryAnswers } from './registry.js';

export const ENV_KEY = { kafka: 'KAFKA_BROKERS', registry: 'SCHEMA_REGISTRY_URL', redis: 'REDIS_URL' } as const;

export function serviceAnswers(service: ServiceName, endpoint: string): Promise<boolean> {
  if (service === 'kafka') return kafkaAnswers(endpoint.split(','));
  return service === 'registry' ? registryAnswers(endpoint) : redisAnswers(endpoint);
}

/** True when all three endpoints are set and answer. */
export async function allAnswer(env: StackEnv): Promise<boolean> {
  const checks = (['kafka', 'registry', 'redis'] as const).map((s) => {
    const endpoint = env[ENV_KEY[s]];
    return endpoint ? serviceAnswers(s, endpoint) : Promise.resolve(false);
  });
  return (await Promise.all(checks)).every(Boolean);
}
