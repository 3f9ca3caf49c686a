import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { avroName, resultAvroSchema } from '../../../src/sink/output-schema.js';
import { outputType } from '../../../src/window/result-types.js';

const reader = {
  type: 'record',
  name: 'PageView',
  fields: [
    { name: 'page', type: 'string' },
    { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['A', 'B'] } },
    { name: 'referrer', type: ['null', 'string'], default: null },
    { name: 'tags', type: { type: 'array', items: 'string' } },
    { name: 'latency_ms', type: 'int' },
  ],
};

describe('outputType', () => {
  it('maps DuckDB result types to a cast and an Avro type', () => {
    for (const t of ['BIGINT', 'HUGEINT', 'INTEGER', 'UBIGINT', 'SMALLINT']) expect(outputType(t)).toEqual({ sql: 'BIGINT', avro: 'long' });
    for (const t of ['DOUBLE', 'FLOAT', 'DECIMAL(18,3)']) expect(outputType(t)).toEqual({ sql: 'DOUBLE', avro: 'double' });
    expect(outputType('VARCHAR').avro).toBe('string');
    expect(outputType('BOOLEAN').avro).toBe('boolean');
    expect(outputType('INTEGER[]')).toEqual({ sql: 'VARCHAR', avro: 'string' });
    expect(outputType('TIMESTAMP')).toEqual({ sql: 'VARCHAR', avro: 'string' });
  });
});

describe('resultAvroSchema', () => {
  const schema = resultAvroSchema({
    name: 'page-views.10s',
    columns: [
      { name: 'page', duckType: 'VARCHAR' },
      { name: 'kind', duckType: 'VARCHAR' },
      { name: 'referrer', duckType: 'VARCHAR' },
      { name: 'tags', duckType: 'VARCHAR' },
      { name: 'window_start', duckType: 'BIGINT' },
      { name: 'window_end', duckType: 'BIGINT' },
      { name: 'views', duckType: 'BIGINT' },
      { name: 'p95', duckType: 'DOUBLE' },
    ],
    groupBy: ['page', 'kind', 'referrer', 'tags'],
    readerSchema: reader,
  });

  it('keeps group_by types, stamps window bounds and makes metrics nullable', () => {
    expect(schema.name).toBe('page_views_10s');
    expect(schema.fields).toEqual([
      { name: 'page', type: 'string' },
      { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['A', 'B'] } },
      { name: 'referrer', type: ['null', 'string'], default: null },
      { name: 'tags', type: ['null', 'string'], default: null }, // stored as JSON text
      { name: 'window_start', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'window_end', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'views', type: ['null', 'long'], default: null },
      { name: 'p95', type: ['null', 'double'], default: null },
    ]);
  });

  it('is a schema avsc accepts and encodes aggregate rows with', () => {
    const type = avro.Type.forSchema(schema as avro.Schema);
    const row = { page: '/a', kind: 'B', referrer: null, tags: '["x"]', window_start: 0, window_end: 10_000, views: 3, p95: 1.5 };
    expect(type.fromBuffer(type.toBuffer(row))).toMatchObject({ page: '/a', kind: 'B', views: 3, p95: 1.5 });
  });

  it('sanitizes names into Avro names', () => {
    expect(avroName('9lives-x')).toBe('_9lives_x');
    expect(avroName('ok_Name1')).toBe('ok_Name1');
  });
});
