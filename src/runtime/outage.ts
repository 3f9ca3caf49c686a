/**
 * A dependency outage is not a bad record: the partition waits and retries with backoff. The
 * episode is logged once per replica when the first task starts waiting and once when the last
 * one is through (not per attempt, not per partition), with a gauge. Startup waits the same way,
 * bounded: past `giveUpAfterMs` the error says that sluice gave up, and the process exits (a
 * closing batch's staging is bounded too, and then fails its batch: commit-windows.ts).
 */
import type { Logger } from 'pino';
import { isSluiceError, SluiceError, type ErrorCode } from '../errors.js';
import type { Dependency, TopologyMetrics } from '../telemetry/metrics.js';
import { retryWithBackoff } from './backoff.js';

/** Who reports an outage: a replica's context, or the part of it that exists while it starts. */
export interface OutageScope {
  metrics: TopologyMetrics;
  log: Logger;
  /** Aborted on shutdown: waits end at once. */
  signal: AbortSignal;
}

interface Episode { waiting: number; since: number }
const episodes = new WeakMap<OutageScope, Map<Dependency, Episode>>();

const GAVE_UP: Record<Dependency, ErrorCode> = { kafka: 'KAFKA_UNAVAILABLE', registry: 'REGISTRY_UNAVAILABLE', redis: 'REDIS_UNAVAILABLE', storage: 'STORAGE_UNAVAILABLE' };

export async function withDependency<T>(scope: OutageScope, dependency: Dependency, fn: () => Promise<T>, opts: { giveUpAfterMs?: number; limit?: string } = {}): Promise<T> {
  let mine = episodes.get(scope);
  if (!mine) episodes.set(scope, (mine = new Map()));
  const byDep = mine;
  let waiting = false;
  let last: unknown;
  let gaveUp = false;
  const leave = () => {
    if (!waiting) return;
    waiting = false;
    const e = byDep.get(dependency)!;
    if (--e.waiting > 0) return;
    byDep.delete(dependency);
    scope.metrics.outage(dependency, false);
    // one that gave up is still down: the error it throws says so, and the next wait logs anew
    if (!gaveUp) scope.log.info({ dependency, ms: Date.now() - e.since }, `${dependency} available again`);
  };
  const started = Date.now();
  const deadline = opts.giveUpAfterMs === undefined ? undefined : AbortSignal.timeout(opts.giveUpAfterMs);
  try {
    return await retryWithBackoff(fn, {
      isRetriable: (e) => ((last = e), isSluiceError(e) && e.retriable),
      signal: deadline ? AbortSignal.any([scope.signal, deadline]) : scope.signal,
      onOutageStart: (err) => {
        waiting = true;
        const e = byDep.get(dependency);
        if (e) return void e.waiting++;
        byDep.set(dependency, { waiting: 1, since: Date.now() });
        scope.metrics.outage(dependency, true);
        const wait = opts.giveUpAfterMs === undefined ? 'affected partitions wait and retry' : `waiting up to ${opts.giveUpAfterMs / 1000} s, retrying`;
        scope.log.warn({ dependency, err: err instanceof Error ? err.message : String(err) }, `${dependency} unavailable: ${wait}`);
      },
      onOutageEnd: leave,
    });
  } catch (e) {
    if (deadline?.aborted && !scope.signal.aborted) {
      gaveUp = true;
      const why = last instanceof Error ? last.message : String(last);
      const waited = Math.round((Date.now() - started) / 1000);
      throw new SluiceError(GAVE_UP[dependency], `gave up waiting for ${dependency} after ${waited} s (${opts.limit ?? 'startup timeout'} ${opts.giveUpAfterMs! / 1000} s): ${why}`, {}, { cause: last });
    }
    throw e;
  } finally {
    leave();
  }
}
