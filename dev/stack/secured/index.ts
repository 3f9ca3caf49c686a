/**
 * The secured services the integration tests run sluice against (issue #12): a SASL_SSL + mTLS
 * Kafka broker, the registry behind HTTPS + Basic auth, a TLS Redis with a password. All started
 * here, on free ports, under one folder; stop() ends every process it started and nothing else.
 */
import { join } from 'node:path';
import type { StackConfig } from '../config.js';
import type { StackLog } from '../log.js';
import { makeTestCerts, type TestCerts } from './certs.js';
import { startSecuredKafka, type SecuredKafka } from './kafka.js';
import { startRegistryProxy, type RegistryProxy } from './nginx.js';
import { startSecuredRedis, type SecuredRedis } from './redis.js';

export interface SecuredStack { certs: TestCerts; kafka: SecuredKafka; registry: RegistryProxy; redis: SecuredRedis; stop(): Promise<void> }

/** `registryUrl`: the plain registry nginx fronts (its ccompat base URL). */
export async function startSecuredStack(cfg: StackConfig, dir: string, registryUrl: string, log: StackLog): Promise<SecuredStack> {
  const certs = await makeTestCerts(join(dir, 'certs'));
  const started: Array<{ stop(): Promise<void> }> = [];
  const stop = async (): Promise<void> => void (await Promise.allSettled(started.map((s) => s.stop())));
  try {
    const redis = await startSecuredRedis(join(dir, 'redis'), certs);
    started.push(redis);
    const registry = await startRegistryProxy(cfg, join(dir, 'nginx'), certs, registryUrl);
    started.push(registry);
    const kafka = await startSecuredKafka(cfg, join(dir, 'kafka'), certs, log);
    started.push(kafka);
    return { certs, kafka, registry, redis, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
