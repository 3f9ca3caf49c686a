/**
 * Per-record bounds checked at decode time, pure and cheap (they run once per record). Each
 * decision depends on the record alone — its value and its Kafka timestamp, both fixed in the
 * log — never on the wall clock, so a replay after a crash decides exactly as the first run did.
 */
import { SluiceError } from '../errors.js';

/** Nothing before the epoch: Kafka Streams makes no window there, and Kafka timestamps are >= 0 too. */
export const MIN_EVENT_TIME = 0;
/** 9999-12-31T23:59:59.999Z: the last instant an ISO-8601 date (and a Parquet file name) writes with four year digits. */
export const MAX_EVENT_TIME = 253_402_300_799_999;

/**
 * Why an event time (already a finite number) is unusable, or undefined when it is fine:
 * outside [MIN_EVENT_TIME, MAX_EVENT_TIME] or not whole, or more than `maxFutureSkewMs` ahead of
 * the record's own Kafka timestamp (`recordTimestamp`; skipped when undefined or negative).
 */
export function eventTimeProblem(field: string, ts: number, recordTimestamp: number | undefined, maxFutureSkewMs: number | undefined): SluiceError | undefined {
  if (!(ts >= MIN_EVENT_TIME && ts <= MAX_EVENT_TIME) || !Number.isInteger(ts)) {
    return new SluiceError(
      'EVENT_TIME_OUT_OF_RANGE',
      `event time field "${field}" is ${ts}, outside the supported range [${MIN_EVENT_TIME}, ${MAX_EVENT_TIME}] ms (1970-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z)`,
      { field, value: ts },
    );
  }
  if (maxFutureSkewMs !== undefined && recordTimestamp !== undefined && recordTimestamp >= 0 /* -1: no timestamp (v0 records) */ && ts - recordTimestamp > maxFutureSkewMs) {
    return new SluiceError(
      'EVENT_TIME_TOO_FAR_AHEAD',
      `event time field "${field}" is ${ts} (${new Date(ts).toISOString()}), ${ts - recordTimestamp} ms ahead of the record's Kafka timestamp ` +
        `${recordTimestamp} (${new Date(recordTimestamp).toISOString()}); source.max_future_skew allows ${maxFutureSkewMs} ms`,
      { field, value: ts, recordTimestamp, maxFutureSkewMs },
    );
  }
  return undefined;
}

/**
 * The output key of a record's group: the group_by values, as the topic sink keys its rows (one
 * field: its text; several: a JSON array). Shared by the sink and the key-length check.
 */
export function groupKey(row: Record<string, unknown>, groupBy: readonly string[]): string | null {
  if (groupBy.length === 0) return null;
  if (groupBy.length === 1) return String(row[groupBy[0]!]);
  return JSON.stringify(groupBy.map((f) => row[f] ?? null));
}

/**
 * Why a record's group key is too long (its UTF-8 bytes over `maxBytes`), or undefined. Most keys
 * are decided from string lengths alone: UTF-8 takes 1–3 bytes per UTF-16 unit, and JSON at most 6.
 */
export function groupKeyProblem(record: Record<string, unknown>, groupBy: readonly string[], maxBytes: number): SluiceError | undefined {
  let units = 2 + groupBy.length; // [ ] and commas
  for (let i = 0; i < groupBy.length; i++) {
    const v = record[groupBy[i]!];
    units += typeof v === 'string' ? v.length : 24; // numbers, booleans, null: at most 24 characters
  }
  if (units * 6 <= maxBytes) return undefined;
  const key = groupKey(record, groupBy)!;
  if (key.length * 3 <= maxBytes) return undefined;
  const bytes = key.length > maxBytes ? key.length : Buffer.byteLength(key, 'utf8');
  if (bytes <= maxBytes) return undefined;
  const fields = groupBy.map((f) => `"${f}"`).join(', ');
  return new SluiceError(
    'GROUP_KEY_TOO_LONG',
    `group key (${fields}) is ${key.length > maxBytes ? 'at least ' : ''}${bytes} bytes, over aggregate.max_key_bytes = ${maxBytes}; it starts ${JSON.stringify(key.slice(0, 40))}…`,
    { fields: groupBy, bytes, maxBytes },
  );
}

/**
 * The first of `fields` (top-level Avro ints) holding a value beyond 32 bits, as a message, or
 * undefined. avsc reads an int as any varint (Java's decoder rejects it: "Invalid int encoding"),
 * and such a value would fail later, in DuckDB's INTEGER column, on every retry of the batch.
 */
export function intOverflow(record: Record<string, unknown>, fields: readonly string[]): string | undefined {
  for (let i = 0; i < fields.length; i++) {
    const v = record[fields[i]!];
    if (typeof v === 'number' && (v | 0) !== v) return `field "${fields[i]}" holds ${v}, beyond Avro's 32-bit int (an invalid encoding)`;
  }
  return undefined;
}
