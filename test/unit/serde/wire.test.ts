import { describe, expect, it } from 'vitest';
import { encodeWire, parseWire, peekSchemaId } from '../../../src/serde/wire.js';
import { SluiceError } from '../../../src/errors.js';

function codeOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SluiceError);
    return { code: (e as SluiceError).code, message: (e as SluiceError).message };
  }
  throw new Error('expected a throw');
}

describe('wire format', () => {
  it('round-trips schema id and payload', () => {
    const buf = encodeWire(258, Buffer.from([7, 8, 9]));
    expect([...buf]).toEqual([0, 0, 0, 1, 2, 7, 8, 9]);
    const { schemaId, payload } = parseWire(buf);
    expect(schemaId).toBe(258);
    expect([...payload]).toEqual([7, 8, 9]);
  });

  it('reads the id as unsigned big-endian and accepts an empty payload', () => {
    const buf = encodeWire(0xfffffffe, Buffer.alloc(0));
    expect(parseWire(buf)).toEqual({ schemaId: 0xfffffffe, payload: Buffer.alloc(0) });
  });

  it('rejects a wrong magic byte, naming the byte found', () => {
    const err = codeOf(() => parseWire(Buffer.from('{"a":1}')));
    expect(err.code).toBe('BAD_MAGIC_BYTE');
    expect(err.message).toContain('magic byte 0x7b, expected 0x00');
  });

  it('rejects null, empty and short values as truncated', () => {
    expect(codeOf(() => parseWire(null))).toMatchObject({ code: 'TRUNCATED_PAYLOAD', message: expect.stringContaining('null') });
    expect(codeOf(() => parseWire(Buffer.alloc(0)))).toMatchObject({ code: 'TRUNCATED_PAYLOAD', message: expect.stringContaining('0 bytes') });
    expect(codeOf(() => parseWire(Buffer.from([0, 0, 1])))).toMatchObject({ code: 'TRUNCATED_PAYLOAD', message: expect.stringContaining('3 bytes') });
  });

  it('peeks the schema id without throwing', () => {
    expect(peekSchemaId(encodeWire(5, Buffer.from([1])))).toBe(5);
    expect(peekSchemaId(null)).toBe(-1);
    expect(peekSchemaId(Buffer.from('hello'))).toBe(-1);
  });

  it('refuses an id that does not fit 4 bytes', () => {
    expect(codeOf(() => encodeWire(2 ** 32, Buffer.alloc(0))).code).toBe('BAD_ARGUMENT');
    expect(codeOf(() => encodeWire(-1, Buffer.alloc(0))).code).toBe('BAD_ARGUMENT');
  });
});
