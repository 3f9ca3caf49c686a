import type { Admin } from 'kafkajs';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { RepartitionPurge } from '../../../src/repartition/purge.js';

/** An admin that records deleteTopicRecords calls; `fail` makes the next call reject. */
function admin() {
  const calls: Array<{ topic: string; partition: number; offset: string }> = [];
  let fail = false;
  const a = {
    deleteTopicRecords: async ({ topic, partitions }: { topic: string; partitions: Array<{ partition: number; offset: string }> }) => {
      if (fail) {
        fail = false;
        throw new Error('broker down');
      }
      for (const p of partitions) calls.push({ topic, ...p });
    },
  };
  return { admin: a as unknown as Admin, calls, failNext: () => (fail = true) };
}

const log = pino({ level: 'silent' });

describe('RepartitionPurge', () => {
  it('deletes up to the committed offset at most once per interval, never again below what it deleted', async () => {
    const a = admin();
    const purged: number[] = [];
    const p = new RepartitionPurge(a.admin, 'r', 3, log, (o) => purged.push(o), 30_000);
    p.afterCommit(undefined, 1_000_000); // nothing committed yet
    p.afterCommit(120, 1_000_000);
    await p.settled();
    p.afterCommit(150, 1_010_000); // within the interval
    await p.settled();
    p.afterCommit(120, 1_040_000); // not above what was deleted
    await p.settled();
    p.afterCommit(200, 1_040_000);
    await p.settled();
    expect(a.calls).toEqual([{ topic: 'r', partition: 3, offset: '120' }, { topic: 'r', partition: 3, offset: '200' }]);
    expect(purged).toEqual([120, 200]);
  });

  it('a failed delete is tried again at a later commit; one delete at a time', async () => {
    const a = admin();
    const p = new RepartitionPurge(a.admin, 'r', 0, log, () => undefined, 0);
    a.failNext();
    p.afterCommit(10, 1);
    await p.settled();
    expect(a.calls).toEqual([]);
    p.afterCommit(20, 2);
    p.afterCommit(30, 3); // the first is still in flight
    await p.settled();
    expect(a.calls).toEqual([{ topic: 'r', partition: 0, offset: '20' }]);
  });
});
