/**
 * A dependency outage is not a bad record: the partition waits and retries with backoff. The
 * episode is logged once per replica when the first task starts waiting and once when the last
 * one is through (not per attempt, not per partition), with a gauge.
 */
import { isSluiceError } from '../errors.js';
import type { Dependency as AnyDependency } from '../telemetry/metrics.js';
import type { ReplicaContext } from './context.js';
import { retryWithBackoff } from './backoff.js';

/** The names are the metrics' (one list); Kafka outages are tracked by the client's log (kafka-log.ts). */
export type Dependency = Exclude<AnyDependency, 'kafka'>;

interface Episode { waiting: number; since: number }
const episodes = new WeakMap<ReplicaContext, Map<Dependency, Episode>>();

export function withDependency<T>(ctx: ReplicaContext, dependency: Dependency, fn: () => Promise<T>): Promise<T> {
  let mine = episodes.get(ctx);
  if (!mine) episodes.set(ctx, (mine = new Map()));
  const byDep = mine;
  let waiting = false;
  const leave = () => {
    if (!waiting) return;
    waiting = false;
    const e = byDep.get(dependency)!;
    if (--e.waiting > 0) return;
    byDep.delete(dependency);
    ctx.metrics.outage(dependency, false);
    ctx.log.info({ dependency, ms: Date.now() - e.since }, `${dependency} available again`);
  };
  return retryWithBackoff(fn, {
    isRetriable: (e) => isSluiceError(e) && e.retriable,
    signal: ctx.signal,
    onOutageStart: (err) => {
      waiting = true;
      const e = byDep.get(dependency);
      if (e) return void e.waiting++;
      byDep.set(dependency, { waiting: 1, since: Date.now() });
      ctx.metrics.outage(dependency, true);
      ctx.log.warn({ dependency, err: err instanceof Error ? err.message : String(err) }, `${dependency} unavailable: affected partitions wait and retry`);
    },
    onOutageEnd: leave,
  }).finally(leave);
}
