import { describe, expect, it } from 'vitest';
import { encodeWatermark, RepartitionCodec, watermarkMessages } from '../../../src/repartition/codec.js';
import type { Column } from '../../../src/window/columns.js';

const columns: Column[] = [
  { name: 'page', duckType: 'VARCHAR', nullable: false },
  { name: 'latency_ms', duckType: 'INTEGER', nullable: false },
  { name: 'score', duckType: 'DOUBLE', nullable: true },
  { name: 'big', duckType: 'BIGINT', nullable: true },
  { name: 'raw', duckType: 'BLOB', nullable: true },
  { name: 'tags', duckType: 'VARCHAR', nullable: true },
  { name: 'ok', duckType: 'BOOLEAN', nullable: true },
];
const codec = new RepartitionCodec(columns);
const base = { eventTime: 1_700_000_001_234, sourceTime: 1_700_000_002_000, partition: 4, offset: 77 };

describe('repartition records', () => {
  it('a data record round-trips its position, times and the stored columns only', () => {
    const value = { page: '/a', latency_ms: 12, score: 0.1 + 0.2, big: 2n ** 60n, raw: Buffer.from([0, 255, 7]), tags: ['x', 'y'], ok: false, user_id: 'not stored' };
    const r = codec.decode(codec.encodeData({ ...base, value }));
    expect(r).toEqual({ kind: 'data', ...base, value: { page: '/a', latency_ms: 12, score: 0.30000000000000004, big: String(2n ** 60n), raw: Buffer.from([0, 255, 7]), tags: '["x","y"]', ok: false } });
  });

  it('keeps what JSON cannot hold: NaN, infinities and -0 in doubles; nulls stay null', () => {
    for (const score of [NaN, Infinity, -Infinity, -0]) {
      const r = codec.decode(codec.encodeData({ ...base, value: { page: 'p', latency_ms: 1, score } }));
      expect(r.kind === 'data' && Object.is(r.value.score, score)).toBe(true);
    }
    const r = codec.decode(codec.encodeData({ ...base, value: { page: 'p', latency_ms: null } }));
    expect(r.kind === 'data' && r.value).toEqual({ page: 'p', latency_ms: null, score: null, big: null, raw: null, tags: null, ok: null });
  });

  it('a watermark names its source partition and stream time, one per repartition partition', () => {
    expect(codec.decode(encodeWatermark(3, 1_700_000_000_000))).toEqual({ kind: 'watermark', partition: 3, streamTime: 1_700_000_000_000 });
    const ms = watermarkMessages(2, 99, 4);
    expect(ms.map((m) => [m.key, m.partition])).toEqual([[null, 0], [null, 1], [null, 2], [null, 3]]);
    expect(ms.every((m) => codec.decode(m.value as Buffer).kind === 'watermark')).toBe(true);
  });

  it('anything else on the topic is an internal error, not a silent skip', () => {
    for (const v of [null, Buffer.from('nope'), Buffer.from('{"t":1}'), Buffer.from('{"w":1.5,"p":0}')]) expect(() => codec.decode(v)).toThrow(/neither data nor a watermark/);
  });
});
