/**
 * An ioredis client that fails fast while Redis is down and reconnects in the background, so a
 * caller sees REDIS_UNAVAILABLE within about a second and decides itself how to wait
 * (src/runtime/backoff.ts), instead of commands piling up in an endless offline queue.
 */
import { Redis, type RedisOptions } from 'ioredis';

export interface CreateRedisOptions extends RedisOptions {
  /** Called on each connection error; otherwise the last one only goes into the next failing command's message. */
  onError?: (e: Error) => void;
}

export function createRedis(url: string, opts: CreateRedisOptions = {}): Redis {
  const { onError, ...options } = opts;
  const redis = new Redis(url, {
    enableOfflineQueue: false, // not connected → the command is rejected at once
    maxRetriesPerRequest: 0, // connection lost → commands in flight are rejected at the drop...
    autoResendUnfulfilledCommands: false, // ...and not silently re-sent later
    connectTimeout: 2_000,
    commandTimeout: 10_000, // a hung (not dead) Redis must not stall a partition forever
    retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 1_000), // keep reconnecting, never give up
    ...options,
  });
  // Without a listener ioredis prints "Unhandled error event" for every failed reconnect.
  redis.on('error', (e: Error) => {
    lastErrors.set(redis, e);
    onError?.(e);
  });
  redis.on('ready', () => lastErrors.delete(redis));
  return redis;
}

// The last connection error of each client, so a failing command can say why (ECONNREFUSED…).
const lastErrors = new WeakMap<Redis, Error>();
const why = (redis: Redis): string => {
  const e = lastErrors.get(redis);
  return e ? ` (last error: ${e.message})` : '';
};

/**
 * Waits until the client is ready when it is still (re)connecting, so the first command after
 * start-up or after Redis came back does not fail just because the handshake is in flight.
 * Rejects at once when the client knows Redis is down (between reconnect attempts) or closed.
 */
export function whenReady(redis: Redis, timeoutMs = (redis.options.connectTimeout ?? 2_000) + 500): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  if (redis.status === 'wait') redis.connect().catch(() => {}); // lazyConnect: first use connects
  if (!['wait', 'connecting', 'connect'].includes(redis.status)) {
    return Promise.reject(new Error(`connection is ${redis.status}${why(redis)}`));
  }
  return new Promise((resolve, reject) => {
    const done = (err?: Error): void => {
      clearTimeout(timer);
      redis.off('ready', onReady).off('close', onClose).off('end', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onReady = (): void => done();
    const onClose = (): void => done(new Error(`connection closed while connecting${why(redis)}`));
    const timer = setTimeout(() => done(new Error(`not ready within ${timeoutMs} ms`)), timeoutMs);
    redis.once('ready', onReady).once('close', onClose).once('end', onClose);
  });
}
