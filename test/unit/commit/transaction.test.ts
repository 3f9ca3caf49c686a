/**
 * The transaction's table of legal transitions, with a stand-in for the kafkajs producer (the
 * real broker behaviour — fencing, commit, abort — is covered by the integration tests).
 */
import type { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { TaskTransaction } from '../../../src/commit/transaction.js';

/** `offsetErrors`: what the first sendOffsets calls throw, one each. */
function fakeKafka(calls: string[], offsetErrors: unknown[] = []): Kafka {
  const txn = {
    send: async () => void calls.push('send'),
    sendOffsets: async () => {
      calls.push('sendOffsets');
      if (offsetErrors.length > 0) throw offsetErrors.shift();
    },
    commit: async () => void calls.push('commit'),
    abort: async () => void calls.push('abort'),
  };
  const producer = { connect: async () => void calls.push('connect'), disconnect: async () => void calls.push('disconnect'), transaction: async () => (calls.push('transaction'), txn) };
  return { producer: () => producer } as unknown as Kafka;
}

const offsets = { groupId: 'g', topic: 't', partition: 0, offset: 5, metadata: '{}' };

describe('TaskTransaction', () => {
  it('fences first (an empty transaction aborted), then begins, sends offsets and commits, in that order', async () => {
    const calls: string[] = [];
    const t = new TaskTransaction(fakeKafka(calls), 'app-topic-0', 60_000, () => 1 << 20);
    await t.fence();
    await t.begin();
    await t.send('out', [{ value: 'x' }]);
    let between = '';
    await t.commit(offsets, () => (between = calls.at(-1)!));
    expect(calls).toEqual(['connect', 'transaction', 'abort', 'transaction', 'send', 'sendOffsets', 'commit']);
    expect(between).toBe('sendOffsets');
    expect(t.current).toBe('fenced-in');
  });

  it('retries the offsets while the coordinator answers CONCURRENT_TRANSACTIONS (the previous commit not complete), as the Java producer does', async () => {
    const calls: string[] = [];
    const busy = Object.assign(new Error('The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing'), { type: 'CONCURRENT_TRANSACTIONS' });
    const t = new TaskTransaction(fakeKafka(calls, [busy, busy]), 'app-topic-0', 60_000, () => 1 << 20, 1);
    await t.fence();
    await t.begin();
    await t.commit(offsets);
    expect(calls.slice(3)).toEqual(['transaction', 'sendOffsets', 'sendOffsets', 'sendOffsets', 'commit']);
    expect(t.current).toBe('fenced-in');
  });

  it('fails the commit at once on any other error of the offsets', async () => {
    const calls: string[] = [];
    const t = new TaskTransaction(fakeKafka(calls, [Object.assign(new Error('fenced'), { type: 'PRODUCER_FENCED' })]), 'app-topic-0', 60_000, () => 1 << 20, 1);
    await t.fence();
    await t.begin();
    await expect(t.commit(offsets)).rejects.toThrow('fenced');
    expect(calls.filter((c) => c === 'sendOffsets')).toHaveLength(1);
  });

  it('refuses to begin before fencing, and to commit or send with no open transaction', async () => {
    const t = new TaskTransaction(fakeKafka([]), 'app-topic-0', 60_000, () => 1 << 20);
    await expect(t.begin()).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION', domain: 'internal', retriable: false });
    await t.fence();
    await expect(t.commit(offsets)).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION' });
    await expect(t.send('out', [{ value: 'x' }])).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION' });
  });

  it('a closed transaction is dead: nothing more is legal', async () => {
    const calls: string[] = [];
    const t = new TaskTransaction(fakeKafka(calls), 'app-topic-0', 60_000, () => 1 << 20);
    await t.fence();
    await t.begin();
    await t.close();
    expect(calls.slice(-2)).toEqual(['abort', 'disconnect']);
    expect(t.current).toBe('dead');
    await expect(t.begin()).rejects.toMatchObject({ code: 'ILLEGAL_TRANSITION' });
  });
});
