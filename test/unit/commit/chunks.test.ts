import type { Message } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { chunkBySize, fitRecord, recordSize } from '../../../src/commit/chunks.js';

const msg = (valueBytes: number, key = 'k'): Message => ({ key, value: Buffer.alloc(valueBytes), headers: { 'sluice.source.offset': '7', trace: 'x' } });

describe('chunkBySize', () => {
  it('keeps every message, in order, in chunks that fit the limit', () => {
    const messages = Array.from({ length: 1000 }, (_, i) => msg(100 + (i % 50)));
    const chunks = chunkBySize(messages, 16_384);
    expect(chunks.flat()).toEqual(messages);
    for (const c of chunks) expect(c.reduce((n, m) => n + recordSize(m), 0)).toBeLessThanOrEqual(16_384);
    expect(chunks.length).toBeGreaterThan(5);
  });

  it('one chunk when everything fits; a record larger than the limit travels alone', () => {
    expect(chunkBySize([msg(10), msg(10)], 1 << 20)).toHaveLength(1);
    const big = msg(5000);
    expect(chunkBySize([msg(10), big, msg(10)], 4096)).toEqual([[msg(10)], [big], [msg(10)]]);
    expect(chunkBySize([], 4096)).toEqual([]);
  });
});

describe('fitRecord', () => {
  it('leaves a record that fits alone', () => {
    const m = msg(100);
    expect(fitRecord(m, 1 << 20, 'dlq')).toBe(m);
  });

  it('drops the value of a record the topic cannot take, and says so', () => {
    const out = fitRecord(msg(2_000_000), 1_048_588, 'dlq');
    expect(out.value).toBeNull();
    expect(out.key).toBe('k');
    expect(out.headers).toMatchObject({ 'sluice.source.offset': '7', trace: 'x' });
    expect(String(out.headers!['sluice.dropped'])).toMatch(/^value \(2000000 bytes\): larger than topic dlq accepts \(max.message.bytes 1048588\)/);
    expect(recordSize(out)).toBeLessThan(1_048_588);
  });

  it('then the key, then all but the sluice.* headers', () => {
    const huge = 'k'.repeat(2_000_000);
    const out = fitRecord({ key: huge, value: Buffer.alloc(10), headers: { 'sluice.source.offset': '1', big: 'h'.repeat(2_000_000) } }, 1_048_588, 'late');
    expect(out.key).toBeNull();
    expect(out.value).toBeNull();
    expect(out.headers).not.toHaveProperty('big');
    expect(out.headers).toHaveProperty('sluice.source.offset', '1');
    expect(String(out.headers!['sluice.dropped'])).toMatch(/^value \(10 bytes\), key \(2000000 bytes\), headers/);
  });
});
