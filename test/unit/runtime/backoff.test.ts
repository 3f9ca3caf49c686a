import { describe, expect, it, vi } from 'vitest';
import { backoffDelay, retryWithBackoff } from '../../../src/runtime/backoff.js';

class Transient extends Error {}
const isRetriable = (e: unknown) => e instanceof Transient;

/** fn that fails `n` times with Transient, then returns 'ok'. */
const failing = (n: number) => {
  let calls = 0;
  const fn = vi.fn(async () => {
    if (calls++ < n) throw new Transient(`fail ${calls}`);
    return 'ok';
  });
  return fn;
};

describe('backoffDelay', () => {
  it('doubles from initialMs up to maxMs, with jitter in [cap/2, cap]', () => {
    expect(backoffDelay(1, 100, 5_000, () => 0)).toBe(50);
    expect(backoffDelay(1, 100, 5_000, () => 1)).toBe(100);
    expect(backoffDelay(4, 100, 5_000, () => 1)).toBe(800);
    expect(backoffDelay(7, 100, 5_000, () => 1)).toBe(5_000);
    expect(backoffDelay(1_000, 100, 5_000, () => 0.5)).toBe(3_750);
  });
});

describe('retryWithBackoff', () => {
  it('returns at once when the first call succeeds, reporting no outage', async () => {
    const onOutageStart = vi.fn();
    const onOutageEnd = vi.fn();
    await expect(retryWithBackoff(failing(0), { isRetriable, onOutageStart, onOutageEnd })).resolves.toBe('ok');
    expect(onOutageStart).not.toHaveBeenCalled();
    expect(onOutageEnd).not.toHaveBeenCalled();
  });

  it('retries retriable errors and reports the outage once at start and once at end', async () => {
    const fn = failing(4);
    const onOutageStart = vi.fn();
    const onOutageEnd = vi.fn();
    const value = await retryWithBackoff(fn, { isRetriable, onOutageStart, onOutageEnd, initialMs: 2, maxMs: 8 });
    expect(value).toBe('ok');
    expect(fn).toHaveBeenCalledTimes(5);
    expect(onOutageStart).toHaveBeenCalledTimes(1);
    expect((onOutageStart.mock.calls[0]![0] as Error).message).toBe('fail 1');
    expect(onOutageEnd).toHaveBeenCalledTimes(1);
    const [ms, attempts] = onOutageEnd.mock.calls[0]!;
    expect(attempts).toBe(4);
    expect(ms).toBeGreaterThanOrEqual(1 + 2 + 4 + 4 - 2); // ≥ the sum of the lower jitter bounds, minus timer slack
  });

  it('throws a non-retriable error at once, even in the middle of an outage', async () => {
    const fatal = new Error('fatal');
    const fn = vi.fn().mockRejectedValueOnce(new Transient('down')).mockRejectedValueOnce(fatal);
    const onOutageEnd = vi.fn();
    await expect(retryWithBackoff(fn, { isRetriable, onOutageEnd, initialMs: 1 })).rejects.toBe(fatal);
    expect(fn).toHaveBeenCalledTimes(2);
    expect(onOutageEnd).not.toHaveBeenCalled();
  });

  it('follows the exponential schedule (fake timers)', async () => {
    vi.useFakeTimers();
    try {
      vi.spyOn(Math, 'random').mockReturnValue(1); // upper bound: delays 100, 200, 400, 800, 1000, 1000
      const fn = failing(6);
      const done = retryWithBackoff(fn, { isRetriable, maxMs: 1_000 });
      const callsAfter = async (ms: number) => {
        await vi.advanceTimersByTimeAsync(ms);
        return fn.mock.calls.length;
      };
      expect(await callsAfter(0)).toBe(1);
      expect(await callsAfter(99)).toBe(1);
      expect(await callsAfter(1)).toBe(2);
      expect(await callsAfter(200)).toBe(3);
      expect(await callsAfter(400)).toBe(4);
      expect(await callsAfter(800)).toBe(5);
      expect(await callsAfter(999)).toBe(5);
      expect(await callsAfter(1)).toBe(6);
      expect(await callsAfter(1_000)).toBe(7);
      await expect(done).resolves.toBe('ok');
    } finally {
      vi.restoreAllMocks();
      vi.useRealTimers();
    }
  });

  it('stops waiting when the signal aborts, rejecting with its reason', async () => {
    // fake setTimeout: the 5–10 s backoff wait can only end early through the abort itself
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const controller = new AbortController();
      const fn = failing(Infinity);
      const onOutageEnd = vi.fn();
      const done = retryWithBackoff(fn, { isRetriable, onOutageEnd, signal: controller.signal, initialMs: 10_000 });
      let outcome: string | undefined;
      done.then(() => (outcome = 'resolved'), (e: Error) => (outcome = e.message));
      await vi.advanceTimersByTimeAsync(0); // the first call failed; the backoff wait began
      expect(fn).toHaveBeenCalledTimes(1);
      expect(vi.getTimerCount()).toBe(1);
      controller.abort(new Error('shutdown'));
      await new Promise((r) => setImmediate(r)); // real: lets the rejection settle, no fake time passes
      expect(outcome).toBe('shutdown');
      expect(vi.getTimerCount(), 'the backoff timer is cleared').toBe(0);
      expect(fn).toHaveBeenCalledTimes(1);
      expect(onOutageEnd).not.toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not call fn when the signal is already aborted', async () => {
    const fn = failing(0);
    await expect(retryWithBackoff(fn, { isRetriable, signal: AbortSignal.abort() })).rejects.toThrow();
    expect(fn).not.toHaveBeenCalled();
  });
});
