/**
 * Endpoints of the real services for integration tests, and helpers that keep tests isolated:
 * random names, and clients that are closed when the test file ends.
 */
import { randomUUID } from 'node:crypto';
import { afterAll } from 'vitest';

export interface Endpoints { brokers: string[]; registryUrl: string; redisUrl: string }

export function endpoints(): Endpoints {
  const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL, REDIS_URL } = process.env;
  if (!KAFKA_BROKERS || !SCHEMA_REGISTRY_URL || !REDIS_URL) {
    throw new Error('KAFKA_BROKERS, SCHEMA_REGISTRY_URL and REDIS_URL must be set (test/global-setup.ts sets them)');
  }
  return { brokers: KAFKA_BROKERS.split(','), registryUrl: SCHEMA_REGISTRY_URL, redisUrl: REDIS_URL };
}

/** A name no other test (or earlier run) uses: `<prefix>-<8 hex>`. */
export const randomName = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

/** Registers `close` to run after the current test file; returns the client for chaining. */
export function closeAfterAll<T>(client: T, close: (c: T) => Promise<unknown> | unknown): T {
  afterAll(async () => {
    await close(client);
  });
  return client;
}
