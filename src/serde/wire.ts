/**
 * The Confluent wire format, as pure functions: magic byte 0, the writer schema id as a 4-byte
 * big-endian integer, then the serialized payload.
 * https://docs.confluent.io/platform/current/schema-registry/fundamentals/serdes-develop/index.html#wire-format
 */
import { SluiceError } from '../errors.js';

export const MAGIC_BYTE = 0;
export const HEADER_SIZE = 5;

export interface WireMessage {
  schemaId: number;
  payload: Buffer;
}

const hex = (byte: number): string => `0x${byte.toString(16).padStart(2, '0')}`;

/** Splits a record value; throws SluiceError TRUNCATED_PAYLOAD or BAD_MAGIC_BYTE. */
export function parseWire(buf: Buffer | null): WireMessage {
  if (buf === null || buf === undefined) {
    throw new SluiceError('TRUNCATED_PAYLOAD', 'value is null (a tombstone), expected the Confluent wire format (magic byte 0x00 + 4-byte schema id + payload)');
  }
  if (buf.length < HEADER_SIZE) {
    throw new SluiceError(
      'TRUNCATED_PAYLOAD',
      `value has ${buf.length} byte${buf.length === 1 ? '' : 's'}, the wire format needs at least ${HEADER_SIZE} (magic byte + 4-byte schema id)`,
      { length: buf.length },
    );
  }
  if (buf[0] !== MAGIC_BYTE) {
    throw new SluiceError('BAD_MAGIC_BYTE', `magic byte ${hex(buf[0]!)}, expected ${hex(MAGIC_BYTE)} (the Confluent wire format)`, { magicByte: buf[0] });
  }
  return { schemaId: buf.readUInt32BE(1), payload: buf.subarray(HEADER_SIZE) };
}

/** The schema id of a well-formed value, or -1: a cheap peek for batching registry lookups. */
export function peekSchemaId(buf: Buffer | null): number {
  return buf !== null && buf !== undefined && buf.length >= HEADER_SIZE && buf[0] === MAGIC_BYTE ? buf.readUInt32BE(1) : -1;
}

export function encodeWire(schemaId: number, payload: Buffer): Buffer {
  if (!Number.isInteger(schemaId) || schemaId < 0 || schemaId > 0xffffffff) {
    throw new SluiceError('BAD_ARGUMENT', `schema id ${schemaId} does not fit the wire format's 4-byte unsigned id`, { schemaId });
  }
  const out = Buffer.allocUnsafe(HEADER_SIZE + payload.length);
  out[0] = MAGIC_BYTE;
  out.writeUInt32BE(schemaId, 1);
  payload.copy(out, HEADER_SIZE);
  return out;
}
