/**
 * The dead-letter and late headers of the README's contract, record by record: the source record's
 * key, value and headers pass through untouched and `sluice.*` headers are added as strings.
 * test/integration/pipeline.test.ts checks the same headers on the real pipeline's output.
 */
import type { IHeaders, KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { SluiceError } from '../../../src/errors.js';
import { deadLetter, lateRecord } from '../../../src/sink/headers.js';

const source = (headers: IHeaders = { 'trace-id': Buffer.from('abc'), 'sluice.error.code': Buffer.from('spoofed upstream') }): KafkaMessage => ({
  key: Buffer.from('k1'),
  value: Buffer.from([0, 0, 0, 0, 7, 1, 2]),
  timestamp: '1700000000123',
  attributes: 0,
  offset: '42',
  headers,
});
const src = { topic: 'page_views', partition: 3 };

describe('dead-letter headers', () => {
  it('keep key, value and upstream headers and add where the record came from and why it failed', () => {
    const m = source();
    const err = new SluiceError('BAD_MAGIC_BYTE', 'magic byte 0x07, expected 0x00');
    const out = deadLetter(src, m, err, 'decode');
    expect(out.key).toBe(m.key);
    expect(out.value).toBe(m.value);
    expect(out.headers).toEqual({
      'trace-id': Buffer.from('abc'),
      'sluice.source.topic': 'page_views',
      'sluice.source.partition': '3',
      'sluice.source.offset': '42',
      'sluice.source.timestamp': '1700000000123',
      'sluice.error.code': 'BAD_MAGIC_BYTE', // ours wins over a header of the same name
      'sluice.error.message': 'magic byte 0x07, expected 0x00',
      'sluice.error.domain': 'user',
      'sluice.error.stage': 'decode',
    });
    expect(m.headers?.['sluice.error.code']?.toString(), 'the source message is not modified').toBe('spoofed upstream');
  });

  it('say validate for a record that decoded but lacks a required field', () => {
    const out = deadLetter(src, source({}), new SluiceError('MISSING_EVENT_TIME', 'ts is null'), 'validate');
    expect(out.headers?.['sluice.error.stage']).toBe('validate');
    expect(out.headers?.['sluice.error.code']).toBe('MISSING_EVENT_TIME');
    expect(Object.keys(out.headers ?? {})).toHaveLength(8);
  });
});

describe('late headers', () => {
  it('say how late, the event time and the closed window in ISO 8601', () => {
    const out = lateRecord(src, source(), { lateByMs: 2_500, eventTime: 1_700_000_005_000, window: { start: 1_700_000_000_000, end: 1_700_000_010_000 } });
    expect(out.key?.toString()).toBe('k1');
    expect(out.headers).toMatchObject({
      'trace-id': Buffer.from('abc'),
      'sluice.source.topic': 'page_views',
      'sluice.source.partition': '3',
      'sluice.source.offset': '42',
      'sluice.source.timestamp': '1700000000123',
      'sluice.late.by_ms': '2500',
      'sluice.late.event_time': '1700000005000',
      'sluice.window.start': '2023-11-14T22:13:20.000Z',
      'sluice.window.end': '2023-11-14T22:13:30.000Z',
    });
  });
});
