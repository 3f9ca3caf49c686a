/**
 * CPU seconds of the Redis server sluice dedups in, read from `INFO cpu`: Kafka Streams keeps its
 * dedup store in its own process, so a fair CPU comparison adds Redis's share to sluice's.
 * used_cpu_sys + used_cpu_user are getrusage(RUSAGE_SELF) of redis-server, all its threads; the
 * whole server, so on a shared Redis other clients' work counts too.
 * https://redis.io/docs/latest/commands/info/
 */
import { createRedis } from '../../src/dedup/redis-client.js';

/** used_cpu_sys + used_cpu_user of an `INFO cpu` reply; NaN when either is missing. */
export function redisCpuOf(info: string): number {
  const field = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)\\s*$`, 'm').exec(info)?.[1] ?? NaN);
  return field('used_cpu_sys') + field('used_cpu_user');
}

export interface RedisCpu {
  /** The server's CPU seconds so far, or undefined when Redis cannot be read (the bench goes on without it). */
  read(): Promise<number | undefined>;
  close(): void;
}

export function redisCpu(url: string | undefined): RedisCpu {
  if (!url) return { read: async () => undefined, close: () => undefined };
  // lazyConnect: the first read connects; a failed one stays undefined and the next tries again
  const redis = createRedis(url, { lazyConnect: true, enableOfflineQueue: true, commandTimeout: 1_000 });
  return {
    read: async () => {
      try {
        const cpu = redisCpuOf(await redis.info('cpu'));
        return Number.isFinite(cpu) ? cpu : undefined;
      } catch {
        return undefined;
      }
    },
    close: () => redis.disconnect(),
  };
}
