import { createRequire } from 'node:module';
import { CompressionTypes, Kafka } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { Batch, decodeRecordBatch, fastRecordsActive } from '../../../src/kafkajs/records.js';

const req = createRequire(import.meta.url);
const mod = (p: string) => req(req.resolve(`kafkajs/src/${p}.js`)) as never;
const Long = mod('utils/long') as { fromValue(v: unknown): unknown };
const Decoder = mod('protocol/decoder') as new (b: Buffer) => never;
const { RecordBatch } = mod('protocol/recordBatch/v0/index') as { RecordBatch(a: Record<string, unknown>): Promise<{ buffer: Buffer }> };
const Record = mod('protocol/recordBatch/record/v0/index') as (a: Record<string, unknown>) => unknown;

/** kafkajs' own module, freshly loaded (the cached one, replaced by ours, put back afterwards). */
function original<T>(p: string): T {
  const path = req.resolve(`kafkajs/src/${p}.js`);
  const cached = req.cache[path];
  delete req.cache[path];
  try {
    return req(path) as T;
  } finally {
    req.cache[path] = cached;
  }
}
const originalDecode = original<typeof decodeRecordBatch>('protocol/recordBatch/v0/decoder');
const OriginalBatch = original<new (...a: unknown[]) => Record<string, unknown>>('consumer/batch');

type Spec = { key?: Buffer | null; value?: Buffer | null; headers?: Record<string, unknown>; timestampDelta?: number; offsetDelta: number };
async function batch(firstOffset: string, firstTimestamp: number, specs: Spec[], opts: { compression?: number; flags?: number } = {}): Promise<Buffer> {
  const records = specs.map((s) => Record({ key: s.key ?? null, value: s.value ?? null, headers: s.headers, offsetDelta: s.offsetDelta, timestampDelta: Long.fromValue(s.timestampDelta ?? 0) }));
  const { buffer } = await RecordBatch({ firstOffset: Long.fromValue(firstOffset), firstTimestamp, maxTimestamp: firstTimestamp + 999, lastOffsetDelta: specs.length - 1, records, compression: opts.compression ?? CompressionTypes.None });
  // attributes (int16 after first offset, length, leader epoch, magic, CRC): timestamp type, transactional, control
  if (opts.flags) buffer.writeInt16BE(buffer.readInt16BE(21) | opts.flags, 21);
  return buffer;
}

const same = async (buf: Buffer) => {
  const ours = await decodeRecordBatch(new Decoder(buf));
  expect(ours).toEqual(await originalDecode(new Decoder(buf)));
  return ours as { records: Array<{ offset: string; timestamp: string; headers: unknown }> };
};

const specs: Spec[] = [
  { key: Buffer.from('page-1'), value: Buffer.from([0, 0, 0, 0, 1, 42]), offsetDelta: 0 },
  { key: null, value: Buffer.alloc(300, 7), offsetDelta: 1, timestampDelta: -5 },
  { key: Buffer.alloc(0), value: null, offsetDelta: 2, timestampDelta: 2 ** 40, headers: { a: Buffer.from('x'), b: [Buffer.from('1'), Buffer.from('2')], 'é': Buffer.from('ü') } },
  { key: Buffer.from('k'), value: Buffer.from('v'), offsetDelta: 3, timestampDelta: 123_456 },
];

describe('fetched record batches decoded in numbers', () => {
  it('is what kafkajs consumers use (the setup file loads it before kafkajs)', () => {
    expect(Kafka).toBeDefined();
    expect(fastRecordsActive()).toBe(true);
  });

  it("gives kafkajs' records, field for field: keys, values, headers, offsets, timestamps", async () => {
    const out = await same(await batch('1234567', 1_764_000_000_000, specs));
    expect(out.records.map((r) => r.offset)).toEqual(['1234567', '1234568', '1234569', '1234570']);
    expect(out.records[1]!.timestamp).toBe('1763999999995');
    expect(out.records[2]!.headers).toEqual({ a: Buffer.from('x'), b: [Buffer.from('1'), Buffer.from('2')], 'é': Buffer.from('ü') });
  });

  it('compressed, control, transactional and log-append-time batches too', async () => {
    await same(await batch('0', 1_000, specs, { compression: CompressionTypes.GZIP }));
    await same(await batch('77', 1_000, [{ key: Buffer.from([0, 0, 0, 0]), value: Buffer.from([0, 0, 0, 0, 0, 0]), offsetDelta: 0 }], { flags: 0x30 }));
    const logAppend = await same(await batch('5', 1_000, specs, { flags: 0x08 }));
    expect(logAppend.records[3]!.timestamp).toBe('1999');
  });

  it('beyond 2^53 (offsets, timestamps, a varlong past 7 bytes) falls back to kafkajs exactly', async () => {
    const big = await same(await batch('9007199254740990', 1_000, specs));
    expect(big.records.map((r) => r.offset)).toEqual(['9007199254740990', '9007199254740991', '9007199254740992', '9007199254740993']);
    await same(await batch('10', 9_007_199_254_740_000, specs));
    await same(await batch('10', 0, [{ key: null, value: Buffer.from('v'), offsetDelta: 0, timestampDelta: 2 ** 52 + 1 }]));
    await same(await batch('10', 0, [{ key: null, value: Buffer.from('v'), offsetDelta: 0, timestampDelta: -(2 ** 55) }]));
  });

  it("a Batch keeps the same messages as kafkajs' (below the fetched offset dropped, control records out)", async () => {
    const { records } = await decodeRecordBatch(new Decoder(await batch('100', 1_000, specs))) as { records: unknown[] };
    for (const fetched of ['100', '102', '104', '9007199254740993']) {
      const data = { partition: 3, highWatermark: '110', messages: records, abortedTransactions: [] };
      const ours = new (Batch as unknown as typeof OriginalBatch)('t', fetched, data);
      const theirs = new OriginalBatch('t', fetched, data);
      expect({ ...ours }).toEqual({ ...theirs });
      expect([(ours.lastOffset as () => string)(), (ours.offsetLag as () => string)()]).toEqual([(theirs.lastOffset as () => string)(), (theirs.offsetLag as () => string)()]);
    }
  });
});
