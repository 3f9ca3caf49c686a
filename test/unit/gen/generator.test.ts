import { readFileSync } from 'node:fs';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { generate, incompatibleSchema, invalidKinds, type GeneratedMessage, type GeneratorOptions } from '../../../src/gen/generator.js';
import { rolesFromTopology } from '../../../src/gen/topology.js';
import { oracle, type OracleRecord } from '../../support/oracle.js';

const schema = JSON.parse(readFileSync(new URL('../../../schemas/page_view.avsc', import.meta.url), 'utf8')) as object;
const base: GeneratorOptions = {
  schema,
  eventTime: 'ts',
  dedupKey: ['event_id'],
  groupBy: ['page'],
  lateHorizonMs: 12_000,
  graceMs: 2_000,
  count: 3000,
  duplicates: 0.05,
  late: 0.03,
  invalid: 0.06,
  keys: 50,
  seed: 11,
  startTs: 1_700_000_000_000,
  stepMs: 40,
  schemaIds: { reader: 1, incompatible: 2 },
};

// A stand-in registry and decoder written here, independent of src/serde.
const reader = avro.Type.forSchema(schema as avro.Schema);
const writers = new Map([[1, reader], [2, avro.Type.forSchema(incompatibleSchema(base) as avro.Schema)]]);
function decode(value: Buffer): Record<string, unknown> | null {
  if (value.length < 5 || value[0] !== 0) return null;
  const writer = writers.get(value.readUInt32BE(1));
  if (writer === undefined) return null;
  try {
    const resolver = writer === reader ? undefined : reader.createResolver(writer);
    return reader.fromBuffer(value.subarray(5), resolver) as Record<string, unknown>;
  } catch {
    return null;
  }
}
const partitionOf = (key: string, n: number) => [...key].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7) % n;
const count = (ms: GeneratedMessage[], kind: string) => ms.filter((m) => m.kind === kind || (kind === 'invalid' && m.kind.startsWith('invalid:'))).length;

describe('generator', () => {
  const messages = [...generate(base)];

  it('is deterministic for a seed, and another seed differs', () => {
    const again = [...generate(base)];
    expect(again.map((m) => [m.key, m.value.toString('hex'), m.kind])).toEqual(messages.map((m) => [m.key, m.value.toString('hex'), m.kind]));
    const other = [...generate({ ...base, seed: 12 })];
    expect(other.map((m) => m.value.toString('hex'))).not.toEqual(messages.map((m) => m.value.toString('hex')));
  });

  it('emits exactly the requested share of each kind', () => {
    expect(messages).toHaveLength(3000);
    expect(count(messages, 'duplicate')).toBe(150);
    expect(count(messages, 'late')).toBe(90);
    expect(count(messages, 'invalid')).toBe(180);
    expect(count(messages, 'valid')).toBe(2580);
  });

  it('valid, late and duplicate values decode to their event; keys are the group-by value', () => {
    for (const m of messages.filter((x) => !x.kind.startsWith('invalid'))) {
      expect(decode(m.value)).toEqual(m.event);
      expect(m.key).toBe(m.event!.page);
    }
    const pages = new Set(messages.map((m) => m.key));
    expect(pages.size).toBeLessThanOrEqual(50);
    expect(pages.has('/page/0')).toBe(true);
    const ids = messages.filter((m) => m.kind === 'valid' || m.kind === 'late').map((m) => m.event!.event_id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('a duplicate re-sends an earlier message byte for byte', () => {
    const sent = new Map<string, GeneratedMessage>();
    for (const m of messages) {
      if (m.kind === 'duplicate') {
        const original = sent.get(m.value.toString('hex'));
        expect(original?.key).toBe(m.key);
      } else sent.set(m.value.toString('hex'), m);
    }
  });

  it('rotates through every invalid kind, and none of them decodes', () => {
    expect(invalidKinds(base)).toEqual(['bad-magic', 'unknown-schema-id', 'truncated', 'garbage', 'incompatible-schema']);
    const invalid = messages.filter((m) => m.kind.startsWith('invalid:'));
    expect(new Set(invalid.map((m) => m.kind)).size).toBe(5);
    for (const m of invalid) {
      expect(decode(m.value), m.kind).toBeNull();
      expect(m.event).toBeUndefined();
    }
    expect(() => reader.createResolver(writers.get(2)!)).toThrow(/page|field/);
  });

  it('the oracle finds exactly the late ones late, whatever the partitioning by key', () => {
    for (const partitions of [1, 3, 6]) {
      const byPartition = new Map<number, (OracleRecord & { kind: string })[]>();
      for (const m of messages) {
        const p = partitionOf(m.key, partitions);
        const list = byPartition.get(p) ?? [];
        list.push({ offset: list.length, event: decode(m.value), kind: m.kind });
        byPartition.set(p, list);
      }
      const r = oracle(byPartition, {
        source: { event_time: 'ts' },
        dedup: { key: 'event_id' },
        window: { type: 'tumbling', size: 10_000, grace: 2_000 },
        aggregate: { group_by: ['page'], metrics: { n: 'count(*)' } },
      });
      const kindAt = (pos: { partition: number; offset: number }) => byPartition.get(pos.partition)![pos.offset]!.kind;
      expect(r.late.map(kindAt).every((k) => k === 'late')).toBe(true);
      expect(r.late).toHaveLength(90);
      expect(r.duplicates).toHaveLength(150);
      expect(r.deadLetters).toHaveLength(180);
      const rows = r.windows.concat(r.pending).reduce((a, w) => a + (w.metrics.n ?? 0), 0);
      expect(rows).toBe(2580);
      expect(r.windows.length).toBeGreaterThan(10);
    }
  });

  it('keeps valid events within grace of the clock, some of them out of order', () => {
    const ts = messages.filter((m) => m.kind === 'valid').map((m) => m.event!.ts as number);
    let max = -Infinity;
    let outOfOrder = 0;
    for (const t of ts) {
      if (t < max) outOfOrder++;
      expect(t).toBeGreaterThanOrEqual(max - 2_000);
      max = Math.max(max, t);
    }
    expect(outOfOrder).toBeGreaterThan(100);
    expect(ts[ts.length - 1]! - ts[0]!).toBeGreaterThan(100_000); // ~3000 × 40 ms of event time
  });

  it('without group_by, the key is the dedup key; nullable event time and dedup key add their kinds', () => {
    const nullable = {
      ...(schema as { fields: { name: string }[] }),
      fields: (schema as { fields: { name: string; type: unknown }[] }).fields.map((f) => (f.name === 'ts' || f.name === 'event_id' ? { ...f, type: ['null', f.type], default: null } : f)),
    };
    const opts = { ...base, schema: nullable, groupBy: [], count: 400, schemaIds: { reader: 1 } };
    expect(invalidKinds(opts)).toEqual(['bad-magic', 'unknown-schema-id', 'truncated', 'garbage', 'missing-event-time', 'missing-dedup-key']);
    const ms = [...generate(opts)];
    const nullableReader = avro.Type.forSchema(nullable as avro.Schema);
    for (const m of ms.filter((x) => x.kind === 'valid')) expect(m.key).toBe(m.event!.event_id);
    const missingTs = ms.find((m) => m.kind === 'invalid:missing-event-time')!;
    expect((nullableReader.fromBuffer(missingTs.value.subarray(5)) as { ts: unknown }).ts).toBeNull();
    const missingId = ms.find((m) => m.kind === 'invalid:missing-dedup-key')!;
    expect((nullableReader.fromBuffer(missingId.value.subarray(5)) as { event_id: unknown }).event_id).toBeNull();
  });

  it('takes its roles from a topology', () => {
    const roles = rolesFromTopology(
      {
        source: { event_time: 'ts' },
        dedup: { key: 'event_id', ttl: 3_600_000 },
        window: { type: 'hopping', size: 60_000, advance: 10_000, grace: 5_000 },
        aggregate: { group_by: ['page'], metrics: { n: 'count(*)' } },
      } as never,
      schema,
    );
    expect(roles).toEqual({ schema, eventTime: 'ts', dedupKey: ['event_id'], groupBy: ['page'], lateHorizonMs: 65_000, graceMs: 5_000 });
  });
});
