import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { encodeWire, parseWire } from '../../../src/serde/wire.js';
import { encodeAll, groupKey, topicSink } from '../../../src/sink/topic.js';

const type = avro.Type.forSchema({
  type: 'record',
  name: 'Out',
  fields: [
    { name: 'page', type: 'string' },
    { name: 'window_start', type: 'long' },
    { name: 'views', type: ['null', 'long'] },
  ],
});
const row = (i: number, page = `/p${i}`) => ({ page, window_start: i * 10_000, views: i % 3 === 0 ? null : i });

describe('encodeAll', () => {
  it('encodes each row exactly as encodeWire(toBuffer(row)) would, growing past its first guess', () => {
    // long strings overflow the initial 64 bytes per row several times
    const rows = Array.from({ length: 300 }, (_, i) => row(i, i % 10 === 0 ? 'x'.repeat(5_000 + i) : `/p${i}`));
    const out = encodeAll(type, 42, rows);
    expect(out).toHaveLength(rows.length);
    out.forEach((buf, i) => expect(buf.equals(encodeWire(42, type.toBuffer(rows[i])))).toBe(true));
    expect(type.fromBuffer(parseWire(out[7]!).payload)).toEqual(rows[7]);
  });

  it('handles no rows', () => {
    expect(encodeAll(type, 1, [])).toEqual([]);
  });
});

describe('topicSink', () => {
  it('keys by the group_by values and precomputes the partition', async () => {
    const sink = topicSink({ topic: 'out', partitions: 6, type, schemaId: 3, groupBy: ['page'] });
    const [batch] = await sink.messages!({ partition: 0, windows: [], files: [], rows: [row(1), row(2)], writeParquet: async () => 0 });
    expect(batch!.topic).toBe('out');
    expect(batch!.messages.map((m) => m.key)).toEqual(['/p1', '/p2']);
    for (const m of batch!.messages) expect(m.partition).toBeGreaterThanOrEqual(0);
    expect(type.fromBuffer(parseWire(batch!.messages[1]!.value as Buffer).payload)).toEqual(row(2));
    expect(groupKey({ a: 1, b: null }, ['a', 'b'])).toBe('[1,null]');
    expect(groupKey({ a: 1 }, [])).toBeNull();
  });
});
