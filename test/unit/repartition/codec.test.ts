import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { encodeWatermark, PACK_BYTES, RepartitionCodec, watermarkMessages } from '../../../src/repartition/codec.js';
import { RecordDecoder } from '../../../src/serde/decoder.js';
import { encodeWire } from '../../../src/serde/wire.js';

const reader = {
  type: 'record',
  name: 'Event',
  namespace: 't',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'ts', type: 'long' },
    { name: 'page', type: 'string' },
    { name: 'latency_ms', type: ['null', 'int'], default: null },
    { name: 'score', type: 'double' },
    { name: 'raw', type: 'bytes' },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['A', 'B'] } },
    { name: 'unused', type: 'string' },
  ],
};
/** What stage 2 stores (the packed rows' `v`); the formats before 0x03 also carried event time and dedup key. */
const stored = ['page', 'latency_ms', 'score', 'raw', 'tags', 'kind'];
const fields = [...stored, 'ts', 'id'];
const codec = new RepartitionCodec(reader, stored, { groupBy: ['page'], legacyFields: fields });
const base = { eventTime: 1_700_000_001_234, sourceTime: 1_700_000_002_000, partition: 4, offset: 77 };

/** A value as stage 1's decoder gives it (the same projection of the reader schema). */
async function decoded(v: Record<string, unknown>): Promise<Record<string, unknown>> {
  const decoder = new RecordDecoder({ source: { writerType: async () => avro.Type.forSchema(reader as avro.Schema) }, readerSchema: reader, eventTimeField: 'ts', dedupKey: 'id', fields: ['page', 'latency_ms', 'score', 'raw', 'tags', 'kind'] });
  const wire = encodeWire(1, avro.Type.forSchema(reader as avro.Schema).toBuffer(v));
  await decoder.prepare([wire]);
  const r = decoder.decode(wire);
  if (!r.ok) throw r.error;
  return r.value;
}

describe('repartition records', () => {
  it('a data record carries its position, its times and the value stage 1 decoded, unchanged', async () => {
    const value = await decoded({ id: 'e1', ts: base.eventTime, page: '/a', latency_ms: 12, score: NaN, raw: Buffer.from([0, 255]), tags: ['x'], kind: 'B', unused: 'zzz' });
    const back = codec.decode(codec.encodeData({ ...base, value }));
    expect(back.kind).toBe('data');
    if (back.kind !== 'data') return;
    expect({ ...back, value: undefined }).toEqual({ kind: 'data', ...base, key: '', value: undefined });
    expect(back.value).toEqual(value); // NaN, bytes, arrays and enums as the decoder made them
    expect(Object.keys(back.value)).not.toContain('unused');
  });

  it('a null stays null', () => {
    const value = { id: 'e', ts: 1, page: 'p', latency_ms: null, score: -0, raw: Buffer.alloc(0), tags: [], kind: 'A' };
    const back = codec.decode(codec.encodeData({ ...base, value }));
    expect(back.kind === 'data' && back.value.latency_ms).toBeNull();
    expect(back.kind === 'data' && Object.is(back.value.score, -0)).toBe(true);
  });

  it('carries the source key only when an expression reads ROWKEY; metadata set on the value is not encoded', () => {
    const value = { id: 'e', ts: 1, page: 'p', latency_ms: 3, score: 1, raw: Buffer.alloc(0), tags: [], kind: 'A' };
    const withKey = new RepartitionCodec(reader, stored, { groupBy: ['page'], sourceKey: true });
    const row = { ...base, key: 'p' };
    const [keyed] = withKey.decodeAll(withKey.encodePacked([{ ...row, sourceKey: Buffer.from('user-7'), value }])[0]!);
    expect(keyed?.kind === 'data' && keyed.sourceKey?.toString()).toBe('user-7');
    const [none] = withKey.decodeAll(withKey.encodePacked([{ ...row, sourceKey: null, value }])[0]!);
    expect(none?.kind === 'data' && none.sourceKey).toBeNull();
    // without ROWKEY the encoding has no source key field, not a byte more
    const [plain] = codec.encodePacked([{ ...row, sourceKey: Buffer.from('user-7'), value: { ...value, ROWOFFSET: 77, ROWKEY: 'user-7' } }]);
    expect(plain).toEqual(codec.encodePacked([{ ...row, value }])[0]);
    const [back] = codec.decodeAll(plain!);
    expect(back?.kind === 'data' && back.sourceKey).toBeUndefined();
    expect(back?.kind === 'data' && Object.keys(back.value)).not.toContain('ROWOFFSET');
  });

  it('a watermark names its source partition and stream time, one per repartition partition', () => {
    expect(codec.decode(encodeWatermark(3, 1_700_000_000_000))).toEqual({ kind: 'watermark', partition: 3, streamTime: 1_700_000_000_000 });
    const ms = watermarkMessages(2, 99, 4);
    expect(ms.map((m) => [m.key, m.partition])).toEqual([[null, 0], [null, 1], [null, 2], [null, 3]]);
    expect(ms.every((m) => codec.decode(m.value as Buffer).kind === 'watermark')).toBe(true);
  });

  it('anything else on the topic is an internal error, not a silent skip', () => {
    for (const v of [null, Buffer.from('nope'), Buffer.from('{"t":1}'), Buffer.from('{"w":1.5,"p":0}'), Buffer.from([1, 2])]) expect(() => codec.decode(v)).toThrow(/neither data nor a watermark/);
    for (const v of [Buffer.from([2]), Buffer.from([2, 2])]) expect(() => codec.decodeAll(v)).toThrow(/neither data nor a watermark/);
  });

  it('rows travel packed, in their order, each record under PACK_BYTES of rows, times and offsets exact across records', () => {
    const rows = Array.from({ length: 3000 }, (_, i) => {
      const eventTime = 1_700_000_000_000 + i * 7 - (i % 5) * 1000; // out of order now and then
      return { eventTime, sourceTime: 1_700_000_000_000 + i * 7, partition: 4, offset: 10_000_000_000 + 3 * i, key: `/p${i % 7}`, value: { id: `e${i}`, ts: eventTime, page: `/p${i % 7}`, latency_ms: i, score: 1.5, raw: Buffer.alloc(0), tags: ['x'], kind: 'A' } };
    });
    const packed = codec.encodePacked(rows);
    expect(packed.length).toBeGreaterThan(1);
    expect(packed.every((b) => b[0] === 3 && b.length <= PACK_BYTES + 1)).toBe(true);
    const back = packed.flatMap((b) => codec.decodeAll(b));
    expect(back.map((r) => (r.kind === 'data' ? [r.eventTime, r.sourceTime, r.partition, r.offset, r.key, r.value.latency_ms] : r.kind))).toEqual(
      rows.map((r) => [r.eventTime, r.sourceTime, r.partition, r.offset, r.key, r.value.latency_ms]),
    );
  });

  it('a packed row carries the stored fields only, and its group key is derived from them as stage 1 does', () => {
    const value = { id: 'e1', ts: 5, page: '/a', latency_ms: 3, score: 1, raw: Buffer.from([1]), tags: [], kind: 'B' };
    const [one] = codec.decodeAll(codec.encodePacked([{ ...base, key: '/a', value }])[0]!);
    expect(one?.kind === 'data' && one.value).toEqual({ page: '/a', latency_ms: 3, score: 1, raw: Buffer.from([1]), tags: [], kind: 'B' });
    const byTwo = new RepartitionCodec(reader, stored, { groupBy: ['page', 'kind'] });
    expect(byTwo.decodeAll(byTwo.encodePacked([{ ...base, key: '["/a","B"]', value }])[0]!)).toMatchObject([{ key: '["/a","B"]' }]);
    const global = new RepartitionCodec(reader, stored, { groupBy: [] });
    expect(global.decodeAll(global.encodePacked([{ ...base, key: '', value }])[0]!)).toMatchObject([{ key: '' }]);
  });

  it('a row larger than PACK_BYTES travels alone; the earlier formats and watermarks still read', () => {
    const big = { ...base, key: 'x'.repeat(3 * PACK_BYTES), value: { id: 'big', ts: 1, page: 'x'.repeat(3 * PACK_BYTES), latency_ms: null, score: 0, raw: Buffer.alloc(0), tags: [], kind: 'B' } };
    const small = { ...base, key: 'y', offset: 78, value: { ...big.value, id: 'small', page: 'y' } };
    const packs = codec.encodePacked([small, big, small, small]);
    expect(packs.map((b) => codec.decodeAll(b).map((r) => r.kind === 'data' && [r.offset, r.key.length]))).toEqual([[[78, 1]], [[77, 3 * PACK_BYTES]], [[78, 1], [78, 1]]]);
    // 0x02, as the version before 0x03 wrote it: the group key first, absolute times, v with event time and dedup key
    const legacyRow = avro.Type.forSchema({
      type: 'record',
      name: 'RepartitionRow',
      fields: [{ name: 'k', type: 'string' }, { name: 't', type: 'long' }, { name: 's', type: 'long' }, { name: 'p', type: 'int' }, { name: 'o', type: 'long' }, { name: 'v', type: { ...reader, fields: reader.fields.filter((f) => fields.includes(f.name)) } }],
    } as avro.Schema);
    const old = Buffer.concat([Buffer.of(2), ...[small, small].map((r) => legacyRow.toBuffer({ k: '/b', t: r.eventTime, s: r.sourceTime, p: r.partition, o: r.offset, v: r.value }))]);
    expect(codec.decodeAll(old)).toMatchObject([{ kind: 'data', key: '/b', offset: 78, eventTime: base.eventTime, value: { id: 'small' } }, { key: '/b' }]);
    expect(codec.decodeAll(codec.encodeData(small), Buffer.from('/a'))).toMatchObject([{ kind: 'data', offset: 78, key: '/a' }]);
    expect(codec.decodeAll(encodeWatermark(1, 5))).toEqual([{ kind: 'watermark', partition: 1, streamTime: 5 }]);
  });
});
