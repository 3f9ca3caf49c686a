import { describe, expect, it } from 'vitest';
import { FetchPlan, type FetchTicket } from '../../../src/kafkajs/fetch-plan.js';

/** A fetch that claims `keys` and comes back with a batch for each of `batches`. */
function fetchOf(plan: FetchPlan, keys: string[]): FetchTicket {
  const ticket = plan.next();
  if (!ticket) throw new Error('no fetch due');
  for (const k of keys) if (!plan.isBusy(k)) plan.claim(ticket, k);
  return ticket;
}

describe('fetch plan', () => {
  it('long-polls when nothing runs, and sends nothing more while the fetch is out', () => {
    const plan = new FetchPlan();
    const t = fetchOf(plan, ['a', 'b']);
    expect(t.longPoll).toBe(true);
    expect(plan.next()).toBeUndefined();
    plan.answered(t, ['a', 'b']);
    expect(plan.next()).toBeUndefined(); // both in processing
    expect(plan.settled).toBe(false);
  });

  it('fetches a partition again, not waiting for data, as soon as its batch of records was handled', () => {
    const plan = new FetchPlan();
    const t = fetchOf(plan, ['a', 'b']);
    plan.answered(t, ['a', 'b']);
    plan.done('a', true);
    const again = fetchOf(plan, ['a', 'b']);
    expect(again.longPoll).toBe(false);
    expect([...again.claimed]).toEqual(['a']); // b is still in processing
  });

  it('leaves a partition whose fetch was empty to the next fetch something else starts, then to the long poll', () => {
    const plan = new FetchPlan();
    const t = fetchOf(plan, ['a', 'b']);
    plan.answered(t, ['a', 'b']);
    plan.done('b', false); // b is at its end: no fetch for it alone while a runs
    expect(plan.next()).toBeUndefined();
    plan.done('a', true);
    const both = fetchOf(plan, ['a', 'b']);
    expect(both.longPoll).toBe(true); // nothing else runs: the consumer's own long poll
    expect([...both.claimed].sort()).toEqual(['a', 'b']);
  });

  it('frees a claimed partition that came back without a batch (a seek or a pause dropped it) and fetches it again', () => {
    const plan = new FetchPlan();
    const first = fetchOf(plan, ['a', 'b']);
    plan.answered(first, ['a']);
    expect(plan.isBusy('b')).toBe(false);
    const again = fetchOf(plan, ['a', 'b']);
    expect(again.longPoll).toBe(false);
    expect([...again.claimed]).toEqual(['b']);
  });

  it('never lets two fetches claim one partition', () => {
    const plan = new FetchPlan();
    const t = fetchOf(plan, ['a']);
    expect(() => plan.claim(t, 'a')).toThrow(/claimed twice/);
  });

  it('keeps fetches for disjoint partitions in flight together', () => {
    const plan = new FetchPlan();
    const t = fetchOf(plan, ['a', 'b', 'c']);
    plan.answered(t, ['a', 'b', 'c']);
    plan.done('a', true);
    const ta = fetchOf(plan, ['a', 'b', 'c']);
    plan.done('b', true);
    const tb = fetchOf(plan, ['a', 'b', 'c']);
    expect([...ta.claimed, ...tb.claimed]).toEqual(['a', 'b']);
    plan.answered(ta, ['a']);
    plan.answered(tb, []);
    plan.done('a', true);
    plan.done('c', true);
    expect(plan.settled).toBe(true);
  });

  it('runs a failed fetch\'s recovery once no batch is in processing and no other fetch is out, and fetches nothing meanwhile', async () => {
    const plan = new FetchPlan();
    const t = fetchOf(plan, ['a', 'b']);
    plan.answered(t, ['a', 'b']);
    plan.done('a', true);
    const failing = fetchOf(plan, ['a']);
    const steps: string[] = [];
    const recovered = plan.recover(async () => void steps.push('recovery'));
    await Promise.resolve();
    plan.done('b', true);
    expect(plan.next()).toBeUndefined(); // recovering
    await recovered;
    expect(steps).toEqual(['recovery']);
    plan.answered(failing, []);
    expect(plan.next()?.longPoll).toBe(true);
  });
});
