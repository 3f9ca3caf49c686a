import avro from 'avsc';
import type { Schema, Type } from 'avsc';
import { describe, expect, it } from 'vitest';
import { RecordDecoder } from '../../../src/serde/decoder.js';
import { eventTimeProblem, groupKey, groupKeyProblem, intOverflow, MAX_EVENT_TIME } from '../../../src/serde/limits.js';
import { encodeWire } from '../../../src/serde/wire.js';

const HOUR = 3_600_000;
const NOW = 1_750_000_000_000;

describe('eventTimeProblem', () => {
  it('accepts the range [epoch, 9999-12-31T23:59:59.999Z] ms', () => {
    for (const ts of [0, 1, NOW, MAX_EVENT_TIME]) expect(eventTimeProblem('ts', ts, undefined, undefined)).toBeUndefined();
    expect(new Date(MAX_EVENT_TIME).toISOString()).toBe('9999-12-31T23:59:59.999Z');
  });

  it('rejects what no date or Parquet file name can hold, naming the field and the value', () => {
    for (const ts of [-1, MAX_EVENT_TIME + 1, 8.7e15, 2 ** 53 - 1, 2 ** 53, 2 ** 63, 1.5]) {
      const e = eventTimeProblem('ts', ts, NOW, HOUR);
      expect(e?.code, String(ts)).toBe('EVENT_TIME_OUT_OF_RANGE');
      expect(e?.message).toContain(`event time field "ts" is ${ts}`);
      expect(e?.domain).toBe('user');
      expect(e?.retriable).toBe(false);
    }
  });

  it("bounds how far event time runs ahead of the record's Kafka timestamp", () => {
    expect(eventTimeProblem('ts', NOW + HOUR, NOW, HOUR)).toBeUndefined();
    expect(eventTimeProblem('ts', NOW - 365 * 24 * HOUR, NOW, HOUR)).toBeUndefined(); // the past is not skew
    const e = eventTimeProblem('ts', NOW + HOUR + 1, NOW, HOUR);
    expect(e?.code).toBe('EVENT_TIME_TOO_FAR_AHEAD');
    expect(e?.message).toMatch(/"ts" is 1750003600001 \(2025-06-15T16:06:40.001Z\), 3600001 ms ahead of the record's Kafka timestamp 1750000000000/);
    const y2999 = Date.UTC(2999, 0, 1);
    expect(eventTimeProblem('ts', y2999, NOW, HOUR)?.code).toBe('EVENT_TIME_TOO_FAR_AHEAD');
    expect(eventTimeProblem('ts', y2999, NOW, undefined)).toBeUndefined(); // max_future_skew: off
    expect(eventTimeProblem('ts', y2999, -1, HOUR)).toBeUndefined(); // a record without timestamp
    expect(eventTimeProblem('ts', NOW + 1, NOW, 0)?.code).toBe('EVENT_TIME_TOO_FAR_AHEAD');
  });
});

describe('groupKeyProblem', () => {
  it('measures the output key in UTF-8 bytes, as groupKey() builds it', () => {
    expect(groupKeyProblem({ page: 'a'.repeat(100) }, ['page'], 100)).toBeUndefined();
    expect(groupKeyProblem({ page: 'a'.repeat(101) }, ['page'], 100)?.code).toBe('GROUP_KEY_TOO_LONG');
    expect(groupKeyProblem({ page: 'é'.repeat(50) }, ['page'], 100)).toBeUndefined(); // 100 bytes
    expect(groupKeyProblem({ page: 'é'.repeat(51) }, ['page'], 100)?.message).toMatch(/is 102 bytes, over aggregate.max_key_bytes = 100/);
    expect(groupKeyProblem({ page: '😀'.repeat(25) }, ['page'], 100)).toBeUndefined(); // 4 bytes each
    expect(groupKeyProblem({ page: '😀'.repeat(26) }, ['page'], 100)?.code).toBe('GROUP_KEY_TOO_LONG');
  });

  it('measures a composite key as its JSON array, escapes included', () => {
    const row = { a: 'x'.repeat(40), b: '"'.repeat(20), n: 12345 };
    const key = groupKey(row, ['a', 'b', 'n'])!;
    expect(key.length).toBe(2 + 42 + 1 + 42 + 1 + 5);
    expect(groupKeyProblem(row, ['a', 'b', 'n'], key.length)).toBeUndefined();
    expect(groupKeyProblem(row, ['a', 'b', 'n'], key.length - 1)?.code).toBe('GROUP_KEY_TOO_LONG');
    expect(groupKeyProblem({ a: null, b: true }, ['a', 'b'], 12)).toBeUndefined(); // [null,true]
  });

  it('decides a 2 MB key without encoding it', () => {
    const huge = 'x'.repeat(2 << 20);
    const t = performance.now();
    expect(groupKeyProblem({ page: huge }, ['page'], 4096)?.message).toMatch(/is at least 2097152 bytes/);
    expect(performance.now() - t).toBeLessThan(50);
  });
});

describe('intOverflow', () => {
  it('finds an int field beyond 32 bits (avsc reads any varint as an int)', () => {
    expect(intOverflow({ a: 2 ** 31 - 1, b: -(2 ** 31), c: null }, ['a', 'b', 'c'])).toBeUndefined();
    expect(intOverflow({ a: 1, b: 2 ** 31 }, ['a', 'b'])).toBe('field "b" holds 2147483648, beyond Avro\'s 32-bit int (an invalid encoding)');
  });
});

describe('RecordDecoder with bounds', () => {
  const schema = {
    type: 'record',
    name: 'V',
    fields: [
      { name: 'id', type: 'string' },
      { name: 'ts', type: 'long' },
      { name: 'page', type: 'string' },
    ],
  };
  const type: Type = avro.Type.forSchema(schema as Schema);
  const source = { writerType: async () => type };
  const decoder = new RecordDecoder({ source, readerSchema: schema, eventTimeField: 'ts', dedupKey: 'id', maxFutureSkewMs: HOUR, groupBy: ['page'], maxKeyBytes: 64 });
  const decode = async (v: object, timestamp: number) => {
    const value = encodeWire(1, type.toBuffer({ id: 'e', ts: NOW, page: '/', ...v }));
    await decoder.prepare([value]);
    return decoder.decode(value, timestamp);
  };

  it('dead-letters event times out of range, too far ahead, and keys too long, with their codes', async () => {
    expect((await decode({}, NOW)).ok).toBe(true);
    expect(await decode({ ts: 8.7e15 }, NOW)).toMatchObject({ ok: false, error: { code: 'EVENT_TIME_OUT_OF_RANGE', details: { schemaId: 1 } } });
    expect(await decode({ ts: 2 ** 53 - 2 }, NOW)).toMatchObject({ ok: false, error: { code: 'EVENT_TIME_OUT_OF_RANGE' } });
    expect(await decode({ ts: Date.UTC(2999, 0, 1) }, NOW)).toMatchObject({ ok: false, error: { code: 'EVENT_TIME_TOO_FAR_AHEAD' } });
    expect(await decode({ page: 'p'.repeat(65) }, NOW)).toMatchObject({ ok: false, error: { code: 'GROUP_KEY_TOO_LONG' } });
    expect((await decode({ page: 'p'.repeat(64) }, NOW)).ok).toBe(true);
  });

  it('rejects an int varint beyond 32 bits as undecodable, in a nullable int too', async () => {
    const intSchema = { type: 'record', name: 'I', fields: [{ name: 'ts', type: 'long' }, { name: 'n', type: 'int' }, { name: 'm', type: ['null', 'int'], default: null }] };
    const wide = avro.Type.forSchema({ ...intSchema, fields: [{ name: 'ts', type: 'long' }, { name: 'n', type: 'long' }, { name: 'm', type: ['null', 'long'] }] } as Schema);
    const d = new RecordDecoder({ source: { writerType: async () => avro.Type.forSchema(intSchema as Schema) }, readerSchema: intSchema, eventTimeField: 'ts' });
    const values = [{ ts: 1, n: 2 ** 31 - 1, m: null }, { ts: 1, n: 2 ** 31, m: null }, { ts: 1, n: 0, m: -(2 ** 40) }].map((v) => encodeWire(1, wide.toBuffer(v)));
    await d.prepare(values);
    expect(values.map((v) => d.decode(v, NOW)).map((r) => (r.ok ? 'ok' : r.error.message.replace(/.*: /, '')))).toEqual([
      'ok',
      'field "n" holds 2147483648, beyond Avro\'s 32-bit int (an invalid encoding)',
      'field "m" holds -1099511627776, beyond Avro\'s 32-bit int (an invalid encoding)',
    ]);
  });

  it('decides from the record alone: the same record and timestamp always give the same answer', async () => {
    const ahead = { ts: NOW + 2 * HOUR };
    expect((await decode(ahead, NOW)).ok).toBe(false);
    expect((await decode(ahead, NOW + HOUR)).ok).toBe(true); // judged by its Kafka timestamp, not by when it is read
  });
});
