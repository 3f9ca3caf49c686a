/**
 * What the README promises of a dead-letter or late record, checked against the input: the source
 * record's key, value and headers unchanged, plus `sluice.*` headers saying where it came from and
 * what happened (the list is src/sink/headers.ts; the expectations here are written independently).
 */
import type { IHeaders, KafkaMessage } from 'kafkajs';
import { expect } from 'vitest';
import type { InvalidKind } from '../../src/gen/invalid.js';
import type { FixedInput } from './input.js';
import type { LateRecord } from './oracle.js';
import { readToEnd } from './read.js';

/** The error each malformed kind of the generator must be dead-lettered with. */
export const EXPECTED_ERROR: Record<InvalidKind, { code: string; stage: 'decode' | 'validate' }> = {
  'bad-magic': { code: 'BAD_MAGIC_BYTE', stage: 'decode' },
  'unknown-schema-id': { code: 'UNKNOWN_SCHEMA_ID', stage: 'decode' },
  truncated: { code: 'UNDECODABLE_PAYLOAD', stage: 'decode' },
  garbage: { code: 'UNDECODABLE_PAYLOAD', stage: 'decode' },
  'incompatible-schema': { code: 'SCHEMA_INCOMPATIBLE', stage: 'decode' },
  'missing-event-time': { code: 'MISSING_EVENT_TIME', stage: 'validate' },
  'missing-dedup-key': { code: 'MISSING_DEDUP_KEY', stage: 'validate' },
};

const SOURCE_HEADERS = ['sluice.source.topic', 'sluice.source.partition', 'sluice.source.offset', 'sluice.source.timestamp'];
export const DEAD_LETTER_HEADERS = [...SOURCE_HEADERS, 'sluice.error.code', 'sluice.error.message', 'sluice.error.domain', 'sluice.error.stage'];
export const LATE_HEADERS = [...SOURCE_HEADERS, 'sluice.late.by_ms', 'sluice.late.event_time', 'sluice.window.start', 'sluice.window.end'];

export const text = (h: IHeaders | undefined, name: string): string | undefined => {
  const v = h?.[name];
  return v === undefined ? undefined : String(Array.isArray(v) ? v[0] : v);
};

/** The source topic's records by `partition:offset` (read to its end). */
export async function sourceRecords(brokers: string[], topic: string): Promise<Map<string, KafkaMessage>> {
  const read = await readToEnd(brokers, topic);
  return new Map(read.map(({ partition, message }) => [`${partition}:${message.offset}`, message]));
}

interface Context { source: string; records: ReadonlyMap<string, KafkaMessage> }

/** Checks the source part and returns the source record and its position. */
function expectFromSource(m: KafkaMessage, ctx: Context, own: readonly string[]): { pos: string; src: KafkaMessage } {
  const pos = `${text(m.headers, 'sluice.source.partition')}:${text(m.headers, 'sluice.source.offset')}`;
  const src = ctx.records.get(pos);
  expect(src, `source record ${pos}`).toBeDefined();
  expect(text(m.headers, 'sluice.source.topic')).toBe(ctx.source);
  expect(text(m.headers, 'sluice.source.timestamp'), `timestamp of ${pos}`).toBe(src!.timestamp);
  const hex = (b: Buffer | null | undefined) => b?.toString('hex') ?? null;
  expect(hex(m.key), `key of ${pos}`).toBe(hex(src!.key));
  expect(hex(m.value), `value of ${pos}`).toBe(hex(src!.value));
  // the source's own headers stay, and sluice adds exactly its own
  expect(Object.keys(m.headers ?? {}).sort(), `headers of ${pos}`).toEqual([...Object.keys(src!.headers ?? {}), ...own].sort());
  for (const [k, v] of Object.entries(src!.headers ?? {})) expect(text(m.headers, k)).toBe(String(v));
  return { pos, src: src! };
}

export function expectDeadLetterHeaders(m: KafkaMessage, ctx: Context & { input: FixedInput }): void {
  const { pos } = expectFromSource(m, ctx, DEAD_LETTER_HEADERS);
  const [partition, offset] = pos.split(':').map(Number) as [number, number];
  const kind = ctx.input.byPartition.get(partition)?.find((x) => x.offset === offset)?.kind;
  expect(kind, `input kind at ${pos}`).toMatch(/^invalid:/);
  const want = EXPECTED_ERROR[kind!.slice('invalid:'.length) as InvalidKind];
  expect({ pos, kind, code: text(m.headers, 'sluice.error.code'), domain: text(m.headers, 'sluice.error.domain'), stage: text(m.headers, 'sluice.error.stage') })
    .toEqual({ pos, kind, code: want.code, domain: 'user', stage: want.stage });
  expect(text(m.headers, 'sluice.error.message')?.length ?? 0, `error message at ${pos}`).toBeGreaterThan(0);
}

export function expectLateHeaders(m: KafkaMessage, ctx: Context & { late: readonly LateRecord[] }): void {
  const { pos } = expectFromSource(m, ctx, LATE_HEADERS);
  const want = ctx.late.find((l) => `${l.partition}:${l.offset}` === pos);
  expect(want, `late record ${pos} expected by the oracle`).toBeDefined();
  expect({
    pos,
    byMs: text(m.headers, 'sluice.late.by_ms'),
    eventTime: text(m.headers, 'sluice.late.event_time'),
    start: text(m.headers, 'sluice.window.start'),
    end: text(m.headers, 'sluice.window.end'),
  }).toEqual({
    pos,
    byMs: String(want!.lateByMs),
    eventTime: String(want!.eventTime),
    start: new Date(want!.window.start).toISOString(),
    end: new Date(want!.window.end).toISOString(),
  });
}
