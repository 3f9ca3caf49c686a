/** Does the service at an endpoint answer? One short check per kind, shared by up, status and the test setup. */
import type { ServiceName } from './config.js';
import type { StackEnv } from '../../src/connection/stack-env.js';
import { kafkaAnswers } from './kafka-probe.js';
import { redisAnswers } from './redis.js';
import { registryAnswers } from './registry.js';
import { s3Answers } from './s3proxy.js';

export const ENV_KEY = { kafka: 'KAFKA_BROKERS', registry: 'SCHEMA_REGISTRY_URL', redis: 'REDIS_URL', s3: 'SLUICE_S3_ENDPOINT' } as const;

const probes: Record<ServiceName, (endpoint: string) => Promise<boolean>> = {
  kafka: (e) => kafkaAnswers(e.split(',')),
  registry: registryAnswers,
  redis: redisAnswers,
  s3: s3Answers,
};

export const serviceAnswers = (service: ServiceName, endpoint: string): Promise<boolean> => probes[service](endpoint);

/** True when the three endpoints every test needs are set and answer (the S3 server is looked for separately). */
export async function allAnswer(env: StackEnv): Promise<boolean> {
  const checks = (['kafka', 'registry', 'redis'] as const).map((s) => {
    const endpoint = env[ENV_KEY[s]];
    return endpoint ? serviceAnswers(s, endpoint) : Promise.resolve(false);
  });
  return (await Promise.all(checks)).every(Boolean);
}
