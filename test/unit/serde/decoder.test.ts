import avro from 'avsc';
import type { Schema, Type } from 'avsc';
import { describe, expect, it } from 'vitest';
import { RecordDecoder, type DecodeResult } from '../../../src/serde/decoder.js';
import { encodeWire } from '../../../src/serde/wire.js';
import { SluiceError } from '../../../src/errors.js';

const reader = {
  type: 'record',
  name: 'PageView',
  namespace: 'sluice.demo',
  fields: [
    { name: 'event_id', type: ['null', 'string'], default: null },
    { name: 'ts', type: ['null', { type: 'long', logicalType: 'timestamp-millis' }], default: null },
    { name: 'page', type: 'string' },
    { name: 'latency_ms', type: 'int' },
    { name: 'referrer', type: ['null', 'string'], default: null },
  ],
};
const withFields = (fields: unknown[]) => ({ ...reader, fields });
const [eventId, ts, page, latency, referrer] = reader.fields;

const writers: Record<number, object> = {
  1: reader,
  // evolved upstream: a new field, and referrer (defaulted in the reader) dropped
  2: withFields([eventId, ts, page, latency, { name: 'country', type: 'string' }]),
  // page changed type: the reader cannot resolve it
  3: withFields([eventId, ts, { name: 'page', type: 'int' }, latency, referrer]),
  // no event time at all: the reader's default (null) fills it
  4: withFields([eventId, page, latency, referrer]),
};

/** An in-memory stand-in for SchemaSource (a pure id → type lookup); counts lookups. */
class FakeSource {
  calls: number[] = [];
  failWith: Error | undefined;
  constructor(readonly schemas: Record<number, object>) {}
  async writerType(id: number): Promise<Type> {
    this.calls.push(id);
    if (this.failWith) throw this.failWith;
    const s = this.schemas[id];
    if (!s) throw new SluiceError('UNKNOWN_SCHEMA_ID', `schema id ${id} is not in the registry`, { schemaId: id });
    return avro.Type.forSchema(s as Schema);
  }
}

const encode = (id: number, value: object) => encodeWire(id, avro.Type.forSchema(writers[id] as Schema).toBuffer(value));
const view = { event_id: 'e1', ts: 1_700_000_000_000, page: '/home', latency_ms: 42, referrer: null };

function setup(dedupKey?: string | string[]) {
  const source = new FakeSource({ ...writers });
  const decoder = new RecordDecoder({ source, readerSchema: reader, eventTimeField: 'ts', dedupKey });
  return { source, decoder };
}

async function decodeOne(value: Buffer | null, dedupKey: string | string[] = 'event_id'): Promise<DecodeResult> {
  const { decoder } = setup(dedupKey);
  await decoder.prepare([value]);
  return decoder.decode(value);
}

function expectError(r: DecodeResult, code: string, message: string | RegExp) {
  expect(r.ok).toBe(false);
  if (r.ok) return;
  expect(r.error).toBeInstanceOf(SluiceError);
  expect(r.error.code).toBe(code);
  expect(r.error.message).toMatch(message);
}

describe('RecordDecoder', () => {
  it('decodes a record written with the reader schema; timestamp-millis stays a number', async () => {
    const r = await decodeOne(encode(1, view));
    expect(r).toEqual({ ok: true, value: expect.objectContaining(view), eventTime: view.ts, dedupKey: 'e1' });
  });

  it('resolves an evolved writer schema (extra field, defaulted field missing)', async () => {
    const r = await decodeOne(encode(2, { event_id: 'e2', ts: 5, page: '/a', latency_ms: 1, country: 'FR' }));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect({ ...r.value }).toEqual({ event_id: 'e2', ts: 5, page: '/a', latency_ms: 1, referrer: null });
    expect(r.eventTime).toBe(5);
  });

  it('builds a composite dedup key as a JSON array', async () => {
    const r = await decodeOne(encode(1, view), ['page', 'event_id', 'latency_ms']);
    expect(r.ok && r.dedupKey).toBe('["/home","e1",42]');
  });

  it('omits the dedup key when the topology has no dedup', async () => {
    const { decoder } = setup();
    const v = encode(1, view);
    await decoder.prepare([v]);
    const r = decoder.decode(v);
    expect(r.ok && 'dedupKey' in r).toBe(false);
  });

  it('bad magic byte', async () => {
    expectError(await decodeOne(Buffer.from('{"event_id":"x"}')), 'BAD_MAGIC_BYTE', 'magic byte 0x7b, expected 0x00');
  });

  it('null and too-short values', async () => {
    expectError(await decodeOne(null), 'TRUNCATED_PAYLOAD', /null/);
    expectError(await decodeOne(Buffer.from([0, 0])), 'TRUNCATED_PAYLOAD', /2 bytes/);
  });

  it('unknown schema id', async () => {
    expectError(await decodeOne(encodeWire(99, Buffer.from([2]))), 'UNKNOWN_SCHEMA_ID', /schema id 99/);
  });

  it('truncated Avro payload', async () => {
    const full = encode(1, view);
    expectError(await decodeOne(full.subarray(0, full.length - 3)), 'UNDECODABLE_PAYLOAD', /writer schema id 1: truncated buffer/);
  });

  it('trailing garbage after the record', async () => {
    const v = Buffer.concat([encode(1, view), Buffer.from([1, 2, 3])]);
    expectError(await decodeOne(v), 'UNDECODABLE_PAYLOAD', /trailing data/);
  });

  it('bytes that are not Avro of the writer schema', async () => {
    expectError(await decodeOne(encodeWire(1, Buffer.from([0x09, 0xff, 0xff, 0xff, 0xff, 0x0f]))), 'UNDECODABLE_PAYLOAD', /writer schema id 1/);
  });

  it('a writer schema the reader cannot resolve', async () => {
    const v = encode(3, { event_id: 'e', ts: 1, page: 7, latency_ms: 1, referrer: null });
    expectError(await decodeOne(v), 'SCHEMA_INCOMPATIBLE', /writer schema id 3 cannot be resolved to the reader schema sluice\.demo\.PageView/);
  });

  it('missing event time (field absent from the writer, or null)', async () => {
    expectError(await decodeOne(encode(4, { event_id: 'e', page: '/', latency_ms: 1, referrer: null })), 'MISSING_EVENT_TIME', 'event time field "ts" is null');
    expectError(await decodeOne(encode(1, { ...view, ts: null })), 'MISSING_EVENT_TIME', /"ts" is null/);
  });

  it('missing dedup key, single and composite', async () => {
    const v = encode(1, { ...view, event_id: null });
    expectError(await decodeOne(v), 'MISSING_DEDUP_KEY', 'dedup key field "event_id" is null');
    expectError(await decodeOne(v, ['page', 'event_id']), 'MISSING_DEDUP_KEY', 'dedup key field "event_id" is null');
  });

  it('looks each id up once per batch, keeps resolvers, and asks again for an id unknown before', async () => {
    const { source, decoder } = setup('event_id');
    const batch = [encode(1, view), encode(2, { ...view, country: 'x' }), encode(1, view), encodeWire(7, Buffer.from([0])), encode(1, view)];
    await decoder.prepare(batch);
    expect(source.calls.sort()).toEqual([1, 2, 7]);
    expect(batch.map((v) => decoder.decode(v).ok)).toEqual([true, true, true, false, true]);

    source.schemas[7] = withFields([page, latency]);
    source.calls = [];
    await decoder.prepare(batch);
    expect(source.calls).toEqual([7]);
    expectError(decoder.decode(batch[3]!), 'UNDECODABLE_PAYLOAD', /truncated/);
  });

  it('prepare rejects with REGISTRY_UNAVAILABLE when the registry fails, and retries later', async () => {
    const { source, decoder } = setup('event_id');
    const v = encode(1, view);
    source.failWith = new SluiceError('REGISTRY_UNAVAILABLE', 'down');
    await expect(decoder.prepare([v])).rejects.toMatchObject({ code: 'REGISTRY_UNAVAILABLE' });
    source.failWith = new Error('socket hang up');
    await expect(decoder.prepare([v])).rejects.toMatchObject({ code: 'REGISTRY_UNAVAILABLE', message: /socket hang up/ });
    source.failWith = undefined;
    await decoder.prepare([v]);
    expect(decoder.decode(v).ok).toBe(true);
  });

  it('throws an internal error when decode() sees an id prepare() was not given', () => {
    const { decoder } = setup();
    expect(() => decoder.decode(encode(1, view))).toThrow(/prepare\(\) was not given/);
  });

  it('rejects an event time or dedup field the reader schema does not have', () => {
    const source = new FakeSource(writers);
    expect(() => new RecordDecoder({ source, readerSchema: reader, eventTimeField: 'time' })).toThrow(/field "time" is not in the reader schema/);
    expect(() => new RecordDecoder({ source, readerSchema: reader, eventTimeField: 'ts', dedupKey: ['page', 'nope'] })).toThrow(/"nope"/);
  });
});

describe('a decoder with a field projection', () => {
  const projected = async (value: Buffer) => {
    const decoder = new RecordDecoder({ source: new FakeSource({ ...writers }), readerSchema: reader, eventTimeField: 'ts', dedupKey: 'event_id', fields: ['page'] });
    await decoder.prepare([value]);
    return decoder.decode(value);
  };

  it('decodes only the fields the pipeline reads (plus event time and dedup key)', async () => {
    const r = await projected(encode(1, view));
    expect(r.ok && { ...r.value }).toEqual({ event_id: 'e1', ts: 1_700_000_000_000, page: '/home' });
  });

  it('still judges writers against the whole reader schema, skipped fields included', async () => {
    // latency_ms is not decoded here, yet a writer that made it a string cannot resolve to the reader
    const schema = withFields([eventId, ts, page, { name: 'latency_ms', type: 'string' }, referrer]);
    const value = encodeWire(9, avro.Type.forSchema(schema as Schema).toBuffer({ ...view, latency_ms: 'slow' }));
    const decoder = new RecordDecoder({ source: new FakeSource({ 9: schema }), readerSchema: reader, eventTimeField: 'ts', dedupKey: 'event_id', fields: ['page'] });
    await decoder.prepare([value]);
    const r = decoder.decode(value);
    expect(!r.ok && r.error.code).toBe('SCHEMA_INCOMPATIBLE');
  });

  it('still reads the skipped fields to the end: trailing bytes are undecodable', async () => {
    const r = await projected(Buffer.concat([encode(1, view), Buffer.from([1, 2])]));
    expect(!r.ok && r.error.code).toBe('UNDECODABLE_PAYLOAD');
  });
});
