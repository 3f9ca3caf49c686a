/**
 * A bounded wait for a dependency (outage.ts): past its limit it gives up with an error naming the
 * limit, and does not log the dependency as available again (it is not).
 */
import { describe, expect, it } from 'vitest';
import { SluiceError } from '../../../src/errors.js';
import { withDependency, type OutageScope } from '../../../src/runtime/outage.js';

function scope(): { scope: OutageScope; said: string[]; gauge: boolean[] } {
  const said: string[] = [];
  const gauge: boolean[] = [];
  const log = { warn: (_: unknown, msg: string) => said.push(msg), info: (_: unknown, msg: string) => said.push(msg) };
  return { scope: { log, metrics: { outage: (_d: string, on: boolean) => gauge.push(on) }, signal: new AbortController().signal } as unknown as OutageScope, said, gauge };
}

describe('withDependency, bounded', () => {
  it('gives up past the limit, naming it, without logging the dependency available again', async () => {
    const s = scope();
    const down = () => Promise.reject(new SluiceError('STORAGE_UNAVAILABLE', 'connect ECONNREFUSED'));
    await expect(withDependency(s.scope, 'storage', down, { giveUpAfterMs: 300, limit: 'half the transaction timeout' })).rejects.toMatchObject({
      code: 'STORAGE_UNAVAILABLE',
      message: expect.stringMatching(/^gave up waiting for storage after \d+ s \(half the transaction timeout 0.3 s\): connect ECONNREFUSED/),
    });
    expect(s.said).toEqual(['storage unavailable: waiting up to 0.3 s, retrying']);
    expect(s.gauge).toEqual([true, false]);
  });

  it('logs the end of an outage it waited through', async () => {
    const s = scope();
    let calls = 0;
    const flaky = () => (++calls < 2 ? Promise.reject(new SluiceError('STORAGE_UNAVAILABLE', 'timeout')) : Promise.resolve('ok'));
    await expect(withDependency(s.scope, 'storage', flaky, { giveUpAfterMs: 5_000, limit: 'half the transaction timeout' })).resolves.toBe('ok');
    expect(s.said).toEqual(['storage unavailable: waiting up to 5 s, retrying', 'storage available again']);
  });
});
