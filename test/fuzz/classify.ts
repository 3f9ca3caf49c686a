/**
 * What sluice must do with one fuzz payload, decided from its bytes and Kafka timestamp alone,
 * with code written here from the documented rules (README, "Honest limits") rather than shared
 * with src/serde: a dead letter and its code, or an event for the window oracle.
 */
import type { Type } from 'avsc';

export type Verdict = { dead: string } | { event: Record<string, unknown> };

export interface Rules {
  type: Type;
  schemaId: number;
  eventTime: string;
  groupBy: string;
  maxFutureSkewMs: number;
  maxKeyBytes: number;
  /** Top-level int fields. */
  intFields: readonly string[];
}

const MAX_EVENT_TIME = 253_402_300_799_999;

export function classify(value: Buffer | null, timestamp: number, r: Rules): Verdict {
  if (value === null || value.length < 5) return { dead: 'TRUNCATED_PAYLOAD' };
  if (value[0] !== 0) return { dead: 'BAD_MAGIC_BYTE' };
  if (value.readUInt32BE(1) !== r.schemaId) return { dead: 'UNKNOWN_SCHEMA_ID' }; // the fuzzer uses no other registered id
  let event: Record<string, unknown>;
  try {
    event = r.type.fromBuffer(value.subarray(5)) as Record<string, unknown>; // throws on truncation and trailing bytes
  } catch {
    return { dead: 'UNDECODABLE_PAYLOAD' };
  }
  // Avro ints are 32-bit; avsc reads any varint (Java rejects it), sluice checks the ints it reads
  for (const f of r.intFields) if (typeof event[f] === 'number' && ((event[f] as number) | 0) !== event[f]) return { dead: 'UNDECODABLE_PAYLOAD' };
  const ts = event[r.eventTime] as number;
  if (!Number.isInteger(ts) || ts < 0 || ts > MAX_EVENT_TIME) return { dead: 'EVENT_TIME_OUT_OF_RANGE' };
  if (ts - timestamp > r.maxFutureSkewMs) return { dead: 'EVENT_TIME_TOO_FAR_AHEAD' };
  if (Buffer.byteLength(String(event[r.groupBy]), 'utf8') > r.maxKeyBytes) return { dead: 'GROUP_KEY_TOO_LONG' };
  return { event: { ...event } };
}
