/**
 * Retry while a dependency (Redis, the registry, the broker) is down: exponential backoff with
 * "equal jitter" (half fixed, half random, so replicas do not retry in lockstep yet never spin),
 * https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/.
 * An outage is reported once when it starts and once when it ends, not once per attempt.
 */

export interface RetryOptions {
  /** Only errors for which this is true are retried; any other is thrown at once. */
  isRetriable: (e: unknown) => boolean;
  /** Called once, with the first error, when a call first fails. */
  onOutageStart?: (e: unknown) => void;
  /** Called once when a call succeeds after failures: ms since the first failure, failed attempts. */
  onOutageEnd?: (ms: number, attempts: number) => void;
  /** Aborting stops the retries: the promise rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** First delay, doubled after each failure up to `maxMs` (defaults 100 ms and 5 s). */
  initialMs?: number;
  maxMs?: number;
}

export async function retryWithBackoff<T>(fn: () => Promise<T>, opts: RetryOptions): Promise<T> {
  const { isRetriable, onOutageStart, onOutageEnd, signal, initialMs = 100, maxMs = 5_000 } = opts;
  let failures = 0;
  let outageStart = 0;
  for (;;) {
    signal?.throwIfAborted();
    try {
      const value = await fn();
      if (failures > 0) onOutageEnd?.(Date.now() - outageStart, failures);
      return value;
    } catch (e) {
      if (!isRetriable(e)) throw e;
      if (failures++ === 0) {
        outageStart = Date.now();
        onOutageStart?.(e);
      }
      await sleep(backoffDelay(failures, initialMs, maxMs), signal);
    }
  }
}

/** Delay before retry number `attempt` (1-based): uniformly in [cap/2, cap], cap = min(max, initial·2^(attempt-1)). */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number, random = Math.random): number {
  const cap = Math.min(maxMs, initialMs * 2 ** Math.min(attempt - 1, 30));
  return cap / 2 + random() * (cap / 2);
}

/** Resolves after `ms`, or rejects with `signal.reason` as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** `promise`, or a rejection with `signal.reason` as soon as `signal` aborts (the promise itself runs on). */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
      (e: unknown) => (signal.removeEventListener('abort', onAbort), reject(e as Error)),
    );
  });
}

/** True if `p` settles within `ms`, false otherwise (`p` runs on). */
export function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)));
  return Promise.race([p.then(() => true, () => true), late]).finally(() => clearTimeout(timer));
}
