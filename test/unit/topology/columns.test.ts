import { describe, expect, it } from 'vitest';
import { columnsFromAvro, fieldType, quoteIdent } from '../../../src/window/columns.js';

describe('columnsFromAvro', () => {
  it('maps primitives, logical types, nullable unions, named and complex types', () => {
    const schema = {
      type: 'record',
      name: 'R',
      namespace: 'x.y',
      fields: [
        { name: 'i', type: 'int' },
        { name: 'l', type: 'long' },
        { name: 'f', type: 'float' },
        { name: 'd', type: 'double' },
        { name: 's', type: 'string' },
        { name: 'b', type: 'boolean' },
        { name: 'by', type: 'bytes' },
        { name: 'ts', type: { type: 'long', logicalType: 'timestamp-millis' } },
        { name: 'opt', type: ['null', 'string'] },
        { name: 'opt_last', type: [{ type: 'int' }, 'null'] },
        { name: 'e', type: { type: 'enum', name: 'E', symbols: ['A', 'B'] } },
        { name: 'e_ref', type: ['null', 'x.y.E'] },
        { name: 'fx', type: { type: 'fixed', name: 'F', size: 4 } },
        { name: 'fx_ref', type: 'F' },
        { name: 'arr', type: { type: 'array', items: 'string' } },
        { name: 'map', type: { type: 'map', values: 'long' } },
        { name: 'rec', type: { type: 'record', name: 'Inner', fields: [{ name: 'a', type: 'int' }] } },
        { name: 'rec_ref', type: 'x.y.Inner' },
        { name: 'multi', type: ['null', 'int', 'string'] },
      ],
    };
    expect(columnsFromAvro(schema).map((c) => `${c.name} ${c.duckType}${c.nullable ? ' NULL' : ''}`)).toEqual([
      'i INTEGER',
      'l BIGINT',
      'f FLOAT',
      'd DOUBLE',
      's VARCHAR',
      'b BOOLEAN',
      'by BLOB',
      'ts BIGINT',
      'opt VARCHAR NULL',
      'opt_last INTEGER NULL',
      'e VARCHAR',
      'e_ref VARCHAR NULL',
      'fx BLOB',
      'fx_ref BLOB',
      'arr VARCHAR',
      'map VARCHAR',
      'rec VARCHAR',
      'rec_ref VARCHAR',
      'multi VARCHAR NULL',
    ]);
  });

  it('classifies field types for the validator', () => {
    expect(fieldType({ type: 'long', logicalType: 'timestamp-millis' })).toEqual({ avro: 'long', logicalType: 'timestamp-millis', nullable: false });
    expect(fieldType(['null', { type: 'long', logicalType: 'timestamp-micros' }])).toEqual({ avro: 'long', logicalType: 'timestamp-micros', nullable: true });
    expect(fieldType(['int', 'string'])).toEqual({ avro: 'union', nullable: false });
  });

  it('quotes identifiers for DuckDB', () => {
    expect(quoteIdent('order')).toBe('"order"');
    expect(quoteIdent('a"b')).toBe('"a""b"');
  });
});
