/**
 * Malformed payloads, one builder per kind, each invalid for a different reason so that every
 * branch of the decoder's dead-letter path is exercised.
 */
import type { Type } from 'avsc';
import { encodeWire, HEADER_SIZE } from '../serde/wire.js';
import type { Rng } from './prng.js';

export const INVALID_KINDS = [
  'bad-magic',
  'unknown-schema-id',
  'truncated',
  'garbage',
  'missing-event-time',
  'missing-dedup-key',
  'incompatible-schema',
] as const;
export type InvalidKind = (typeof INVALID_KINDS)[number];

/** Far above any id a registry hands out (ids count up from 1), still a valid 4-byte id. */
export const UNKNOWN_SCHEMA_ID = 0x7fff0000;

/** A well-formed value whose first byte is not the magic byte 0. */
export function badMagic(valid: Buffer, rng: Rng): Buffer {
  const out = Buffer.from(valid);
  out[0] = rng.int(1, 255);
  return out;
}

export function unknownSchemaId(payload: Buffer, rng: Rng): Buffer {
  return encodeWire(UNKNOWN_SCHEMA_ID + rng.int(0, 0xffff), payload);
}

/** A valid value cut inside its Avro payload: a proper prefix never decodes (Avro reads exactly the bytes it wrote). */
export function truncated(valid: Buffer): Buffer {
  const payloadLength = valid.length - HEADER_SIZE;
  return Buffer.from(valid.subarray(0, HEADER_SIZE + Math.floor(payloadLength / 2)));
}

/**
 * A valid header (the reader's own schema id) followed by random bytes that do not decode, not
 * even leniently (a decoder that ignores trailing bytes must reject them too).
 */
export function garbage(schemaId: number, reader: Type, rng: Rng): Buffer {
  for (let attempt = 0; attempt < 100; attempt++) {
    const bytes = rng.bytes(rng.int(4, 40));
    if (!decodes(reader, bytes)) return encodeWire(schemaId, bytes);
  }
  // an endless varint: every byte has its continuation bit set
  return encodeWire(schemaId, Buffer.alloc(16, 0xff));
}

function decodes(type: Type, bytes: Buffer): boolean {
  try {
    return type.decode(bytes, 0).offset >= 0;
  } catch {
    return false;
  }
}
