import { createRequire } from 'node:module';
import { Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { abortedFilterActive, filterAbortedMessages } from '../../../src/kafkajs/aborted.js';

type M = { offset: string; key: Buffer | null; isControlRecord: boolean; batchContext: { producerId: string; inTransaction: boolean; isControlBatch: boolean } };
const data = (offset: number, producerId: string): M => ({ offset: String(offset), key: null, isControlRecord: false, batchContext: { producerId, inTransaction: true, isControlBatch: false } });
const marker = (offset: number, producerId: string, abort: boolean): M => ({
  offset: String(offset),
  key: Buffer.from([0, 0, 0, abort ? 0 : 1]),
  isControlRecord: true,
  batchContext: { producerId, inTransaction: true, isControlBatch: true },
});

// producers X and Y were aborted together (a replica killed mid-transaction); Z committed in between
const messages = [data(105, 'Y'), data(106, 'X'), data(107, 'Z'), data(108, 'Y'), marker(109, 'X', true), marker(110, 'Y', true), marker(111, 'Z', false), data(112, 'X')];
// as the broker lists them: by first offset
const aborted = [{ producerId: 'X', firstOffset: '100' }, { producerId: 'Y', firstOffset: '101' }];

describe('read_committed filter of aborted transactions', () => {
  it('is what kafkajs consumers use (the setup file loads it before kafkajs)', () => {
    expect(Kafka).toBeDefined(); // kafkajs, consumer included, is loaded by now
    expect(abortedFilterActive()).toBe(true);
  });

  it('drops every record of every aborted transaction a fetch starts inside, whatever their order', () => {
    for (const list of [aborted, [...aborted].reverse()]) {
      const kept = filterAbortedMessages({ messages, abortedTransactions: list }).filter((m) => !m.isControlRecord);
      expect(kept.map((m) => m.offset)).toEqual(['107', '112']);
    }
  });

  it("kafkajs' own filter lets the first of them through (why this module exists)", () => {
    // a fresh copy of kafkajs' module, the cached (replaced) one put back afterwards
    const req = createRequire(import.meta.url);
    const path = req.resolve('kafkajs/src/consumer/filterAbortedMessages.js');
    const cached = req.cache[path];
    delete req.cache[path];
    const original = req(path) as typeof filterAbortedMessages;
    req.cache[path] = cached;
    const kept = original({ messages, abortedTransactions: aborted }).filter((m) => !m.isControlRecord);
    expect(kept.map((m) => m.offset)).toContain('105');
  });

  it('keeps everything when nothing was aborted, and records outside transactions always', () => {
    expect(filterAbortedMessages({ messages, abortedTransactions: [] })).toBe(messages);
    const plain = { ...data(100, 'X'), batchContext: { producerId: 'X', inTransaction: false, isControlBatch: false } };
    expect(filterAbortedMessages({ messages: [plain], abortedTransactions: aborted })).toEqual([plain]);
  });
});
