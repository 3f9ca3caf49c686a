/**
 * Every Kafka, registry and Redis client sluice creates is built here, from one Endpoints value
 * (addresses + the resolved connection settings), so TLS and credentials apply to run, produce,
 * demo, the stack probe and the test helpers alike.
 */
import { Kafka, type KafkaConfig } from 'kafkajs';
import type { Redis } from 'ioredis';
import { SchemaSource, type SchemaSourceOptions } from '../serde/registry.js';
import { createRedis, type CreateRedisOptions } from '../dedup/redis-client.js';
import { redisFailure } from './failures.js';
import { defined } from './http.js';
import { kafkaSecurityOptions } from './kafka.js';
import type { RedisSecurity, Security } from './types.js';

export interface Endpoints {
  brokers: string[];
  registryUrl: string;
  redisUrl?: string;
  security?: Security;
  /** Variables a bucket's settings come from (SLUICE_S3_*, AWS_*; default process.env). */
  storageEnv?: NodeJS.ProcessEnv;
}

export const kafkaClient = (ep: Pick<Endpoints, 'brokers' | 'security'>, config: Omit<KafkaConfig, 'brokers' | 'ssl' | 'sasl'>): Kafka =>
  new Kafka({ ...config, brokers: ep.brokers, ...kafkaSecurityOptions(ep.security?.kafka) });

export const schemaSource = (ep: Pick<Endpoints, 'registryUrl' | 'security'>, opts: SchemaSourceOptions = {}): SchemaSource =>
  new SchemaSource(ep.registryUrl, { security: ep.security?.registry, ...opts });

export function redisOptions(s: RedisSecurity | undefined): CreateRedisOptions {
  const out: CreateRedisOptions = defined({ username: s?.username, password: s?.password });
  if (s?.tls) out.tls = defined({ ...s.tls });
  return out;
}

export function redisClient(ep: Pick<Endpoints, 'redisUrl' | 'security'>, opts: CreateRedisOptions = {}): Redis {
  return createRedis(ep.redisUrl!, { ...redisOptions(ep.security?.redis), ...opts });
}

/**
 * At startup: a wrong password or certificate is the user's to fix (REDIS_AUTH_FAILED /
 * REDIS_TLS_FAILED); a Redis that is merely down is an outage the tasks wait for, so this returns.
 */
export function checkRedis(redis: Redis, ep: Pick<Endpoints, 'redisUrl' | 'security'>, timeoutMs = 5_000): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  const { host, port } = redis.options;
  return new Promise((resolve, reject) => {
    const done = (err?: Error): void => {
      clearTimeout(timer);
      redis.off('ready', onReady).off('error', onError);
      if (err) reject(err);
      else resolve();
    };
    const onReady = (): void => done();
    const onError = (e: Error): void => {
      const failure = redisFailure(e, `${host}:${port}`, ep.security?.redis?.tls?.ca !== undefined);
      if (failure) done(failure);
    };
    const timer = setTimeout(() => done(), timeoutMs);
    redis.on('ready', onReady).on('error', onError);
  });
}
