/**
 * A dependency outage is not a bad record: the partition waits and retries with backoff, and the
 * episode is logged once when it starts and once when it ends (not per attempt), with a gauge.
 */
import { isSluiceError } from '../errors.js';
import type { ReplicaContext } from './context.js';
import { retryWithBackoff } from './backoff.js';

export type Dependency = 'registry' | 'redis';

export function withDependency<T>(ctx: ReplicaContext, dependency: Dependency, fn: () => Promise<T>): Promise<T> {
  return retryWithBackoff(fn, {
    isRetriable: (e) => isSluiceError(e) && e.retriable,
    signal: ctx.signal,
    onOutageStart: (e) => {
      ctx.metrics.outage(dependency, true);
      ctx.log.warn({ dependency, err: e instanceof Error ? e.message : String(e) }, `${dependency} unavailable: waiting and retrying`);
    },
    onOutageEnd: (ms, attempts) => {
      ctx.metrics.outage(dependency, false);
      ctx.log.info({ dependency, ms, attempts }, `${dependency} available again`);
    },
  });
}
