import { createRequire } from 'node:module';
import { CompressionTypes } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { decodeMessages, fetchTailActive } from '../../../src/kafkajs/fetch-tail.js';

const req = createRequire(import.meta.url);
const mod = (p: string) => req(req.resolve(`kafkajs/src/${p}.js`)) as never;
const Long = mod('utils/long') as { fromValue(v: unknown): unknown };
const Decoder = mod('protocol/decoder') as new (b: Buffer) => never;
const { RecordBatch } = mod('protocol/recordBatch/v0/index') as { RecordBatch(a: Record<string, unknown>): Promise<{ buffer: Buffer }> };
const Record = mod('protocol/recordBatch/record/v0/index') as (a: Record<string, unknown>) => unknown;

/** kafkajs' own decodeMessages, freshly loaded (the cached module, replaced by ours, put back afterwards). */
const originalDecode = (() => {
  const path = req.resolve('kafkajs/src/protocol/requests/fetch/v4/decodeMessages.js');
  const cached = req.cache[path];
  delete req.cache[path];
  try {
    return req(path) as typeof decodeMessages;
  } finally {
    req.cache[path] = cached;
  }
})();

async function batch(firstOffset: number, count: number): Promise<Buffer> {
  const records = Array.from({ length: count }, (_, i) => Record({ key: Buffer.from(`k${i}`), value: Buffer.alloc(40 + i, i), offsetDelta: i, timestampDelta: Long.fromValue(i) }));
  const { buffer } = await RecordBatch({ firstOffset: Long.fromValue(firstOffset), firstTimestamp: 1_764_000_000_000, maxTimestamp: 1_764_000_000_999, lastOffsetDelta: count - 1, records, compression: CompressionTypes.None });
  return buffer;
}

/** A partition's record set in a fetch response: its size, then the bytes. */
function withSize(bytes: Buffer): Buffer {
  const out = Buffer.alloc(4 + bytes.length);
  out.writeInt32BE(bytes.length, 0);
  bytes.copy(out, 4);
  return out;
}

describe('fetched record sets cut off at the byte limit', () => {
  it('is what kafkajs fetch responses use (the setup file loads it before kafkajs)', () => {
    expect(fetchTailActive()).toBe(true);
  });

  it("gives kafkajs' records for every place the broker may cut the last batch", async () => {
    const whole = Buffer.concat([await batch(100, 3), await batch(103, 4), await batch(107, 5)]);
    const full = await decodeMessages(new Decoder(withSize(whole)));
    expect(full).toEqual(await originalDecode(new Decoder(withSize(whole))));
    expect(full).toHaveLength(12);
    const thirdStarts = whole.length - (await batch(107, 5)).length;
    for (let cut = thirdStarts - 3; cut < whole.length; cut++) {
      const part = whole.subarray(0, cut);
      const ours = await decodeMessages(new Decoder(withSize(part)));
      expect(ours).toEqual(await originalDecode(new Decoder(withSize(part))));
      expect(ours).toHaveLength(cut < thirdStarts ? 3 : 7);
    }
  });

  it('reads an empty record set as kafkajs does', async () => {
    expect(await decodeMessages(new Decoder(withSize(Buffer.alloc(0))))).toEqual([]);
  });
});
