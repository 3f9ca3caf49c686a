/**
 * The load generator of upstream events, as a pure, seeded iterator: the same options always give
 * the same messages, byte for byte. Kafka, the registry and rate limiting live in src/cli/produce.ts.
 *
 * Event time follows a clock that starts at `startTs` and advances ~`stepMs` per event. A valid
 * event is at most `graceMs` behind that clock, and stream time (the max event time of a
 * partition) never runs ahead of it, so out-of-order events are never late. A late event is
 * older than an earlier event of the same message key (hence the same partition) by more than
 * `lateHorizonMs` (window size + grace), so every window that contains it is closed.
 */
import avro from 'avsc';
import type { Type } from 'avsc';
import { encodeWire } from '../serde/wire.js';
import { SluiceError } from '../errors.js';
import { asRecordSchema, incompatibleWriterSchema, planFields, type AvroRecordSchema, type FieldPlan } from './fields.js';
import { badMagic, garbage, truncated, unknownSchemaId, type InvalidKind } from './invalid.js';
import { Rng, seedOf } from './prng.js';
import { groupValue, randomValue, uniqueValue } from './values.js';
import { Zipf } from './zipf.js';

export type MessageKind = 'valid' | 'duplicate' | 'late' | `invalid:${InvalidKind}`;

export interface GeneratedMessage {
  /** Kafka message key: the group-by values joined by "|", else the dedup key. */
  key: string;
  /** Kafka message value: Confluent wire format (or a malformed variant of it). */
  value: Buffer;
  kind: MessageKind;
  /** The record as the reader decodes it; absent for invalid kinds. A duplicate carries its original's. */
  event?: Record<string, unknown>;
}

export interface GeneratorOptions {
  /** The topology's reader schema (parsed .avsc). */
  schema: unknown;
  eventTime: string;
  dedupKey?: readonly string[];
  groupBy?: readonly string[];
  /** Window size (or session gap) + grace: how much older than a partition's stream time a late event must be. */
  lateHorizonMs: number;
  /** Out-of-order jitter stays within it, so that no event meant as valid is late. */
  graceMs: number;
  count: number;
  /** Fractions in [0, 1] of the count; their sum is at most 1. */
  duplicates?: number;
  late?: number;
  invalid?: number;
  /** Distinct group-by keys, Zipf(s = 1) distributed. Default 10,000. */
  keys?: number;
  seed?: number | string;
  /** Event time of the first event, epoch ms. Default: five minutes ago. */
  startTs?: number;
  /** Mean event-time advance per event, ms. Default 1. */
  stepMs?: number;
  /** Registry ids: the reader schema's, and that of incompatibleSchema() (without it, that kind is skipped). */
  schemaIds: { reader: number; incompatible?: number };
}

/** Share of valid events that are out of order (up to graceMs behind the clock). */
const OUT_OF_ORDER = 0.2;
/** Duplicates re-send one of the last this-many valid or late events. */
const RECENT = 1000;

/** The writer schema to register under `<subject>-incompatible` for the incompatible-schema kind. */
export function incompatibleSchema(opts: Pick<GeneratorOptions, 'schema' | 'eventTime' | 'dedupKey' | 'groupBy'>): AvroRecordSchema {
  const schema = asRecordSchema(opts.schema);
  const avoid = new Set([opts.eventTime, ...(opts.dedupKey ?? []), ...(opts.groupBy ?? [])]);
  return incompatibleWriterSchema(schema, planFields(schema), avoid).schema;
}

/** Invalid kinds this schema allows, in the order they rotate. */
export function invalidKinds(opts: Pick<GeneratorOptions, 'schema' | 'eventTime' | 'dedupKey' | 'schemaIds'>): InvalidKind[] {
  const plans = planFields(asRecordSchema(opts.schema));
  const nullable = (name: string) => plans.find((p) => p.name === name)?.nullable === true;
  const kinds: InvalidKind[] = ['bad-magic', 'unknown-schema-id', 'truncated', 'garbage'];
  // a reader with a required event time cannot decode a value without one: it is then an incompatible writer
  if (nullable(opts.eventTime)) kinds.push('missing-event-time');
  if ((opts.dedupKey ?? []).some(nullable)) kinds.push('missing-dedup-key');
  if (opts.schemaIds.incompatible !== undefined) kinds.push('incompatible-schema');
  return kinds;
}

interface Sent {
  key: string;
  value: Buffer;
  event: Record<string, unknown>;
}

export function* generate(opts: GeneratorOptions): Generator<GeneratedMessage> {
  const schema = asRecordSchema(opts.schema);
  const plans = planFields(schema);
  const byName = new Map(plans.map((p) => [p.name, p]));
  const field = (name: string, role: string): FieldPlan => {
    const p = byName.get(name);
    if (p === undefined) throw new SluiceError('BAD_ARGUMENT', `${role} field ${name} is not in the reader schema ${schema.name}`, { field: name });
    return p;
  };
  const timePlan = field(opts.eventTime, 'event time');
  const dedupPlans = (opts.dedupKey ?? []).map((n) => field(n, 'dedup key'));
  const groupPlans = (opts.groupBy ?? []).map((n) => field(n, 'group-by'));
  const roles = new Set([timePlan.name, ...dedupPlans.map((p) => p.name), ...groupPlans.map((p) => p.name)]);

  const reader: Type = avro.Type.forSchema(schema as avro.Schema);
  const incompatible = incompatibleWriterSchema(schema, plans, roles);
  const incompatibleType: Type = avro.Type.forSchema(incompatible.schema as avro.Schema);
  const kinds = invalidKinds(opts);

  const rng = new Rng(seedOf(opts.seed ?? 1));
  const zipf = new Zipf(opts.keys ?? 10_000);
  const step = opts.stepMs ?? 1;
  let clock = opts.startTs ?? Date.now() - 5 * 60_000;
  let serial = 0;
  let invalidSerial = 0;
  const keyMax = new Map<number, number>(); // group rank → max event time of its valid events
  let last: { rank: number; key: string; ts: number } | undefined;
  const recent: Sent[] = [];

  const quota = quotas(opts);

  const makeEvent = (ts: number, rank: number): { event: Record<string, unknown>; key: string } => {
    const n = serial++;
    const event: Record<string, unknown> = {};
    for (const p of plans) {
      if (p.name === timePlan.name) event[p.name] = ts;
      else if (dedupPlans.includes(p)) event[p.name] = uniqueValue(p, n, p === dedupPlans[0]);
      else if (groupPlans.includes(p)) event[p.name] = groupValue(p, rank);
      else event[p.name] = randomValue(p, rng, ts);
    }
    const key = groupPlans.length > 0 ? groupPlans.map((p) => String(event[p.name])).join('|')
      : dedupPlans.length > 0 ? dedupPlans.map((p) => String(event[p.name])).join('|') : `evt-${n}`;
    return { event, key };
  };
  const remember = (s: Sent) => {
    if (recent.length < RECENT) recent.push(s);
    else recent[rng.int(0, RECENT - 1)] = s;
  };

  for (let i = 0; i < opts.count; i++) {
    clock += step * -Math.log(1 - rng.next()); // exponential gaps: Poisson arrivals
    const now = Math.floor(clock);
    let kind = quota.draw(rng);
    if ((kind === 'duplicate' && recent.length === 0) || (kind === 'late' && last === undefined)) kind = 'valid';

    if (kind === 'duplicate') {
      const s = rng.pick(recent);
      yield { key: s.key, value: s.value, kind, event: s.event };
    } else if (kind === 'late') {
      let rank = groupPlans.length > 0 ? zipf.sample(rng) : last!.rank;
      if (!keyMax.has(rank)) rank = last!.rank;
      const max = groupPlans.length > 0 ? keyMax.get(rank)! : last!.ts;
      const ts = max - opts.lateHorizonMs - 1 - rng.int(0, opts.lateHorizonMs);
      const { event, key } = makeEvent(ts, rank);
      const s = { key: groupPlans.length > 0 ? key : last!.key, value: encodeWire(opts.schemaIds.reader, reader.toBuffer(event)), event };
      remember(s);
      yield { ...s, kind };
    } else if (kind === 'invalid') {
      const which = kinds[invalidSerial++ % kinds.length]!;
      const { event, key } = makeEvent(now, zipf.sample(rng));
      yield { key, value: invalidValue(which, event), kind: `invalid:${which}` };
    } else {
      const rank = zipf.sample(rng);
      const ts = rng.chance(OUT_OF_ORDER) ? now - rng.int(0, opts.graceMs) : now;
      const { event, key } = makeEvent(ts, rank);
      const s = { key, value: encodeWire(opts.schemaIds.reader, reader.toBuffer(event)), event };
      remember(s);
      keyMax.set(rank, Math.max(keyMax.get(rank) ?? -Infinity, ts));
      if (last === undefined || ts >= last.ts) last = { rank, key, ts };
      yield { ...s, kind };
    }
  }

  function invalidValue(which: InvalidKind, event: Record<string, unknown>): Buffer {
    const valid = () => encodeWire(opts.schemaIds.reader, reader.toBuffer(event));
    switch (which) {
      case 'bad-magic':
        return badMagic(valid(), rng);
      case 'unknown-schema-id':
        return unknownSchemaId(reader.toBuffer(event), rng);
      case 'truncated':
        return truncated(valid());
      case 'garbage':
        return garbage(opts.schemaIds.reader, reader, rng);
      case 'missing-event-time':
        return encodeWire(opts.schemaIds.reader, reader.toBuffer({ ...event, [timePlan.name]: null }));
      case 'missing-dedup-key': {
        const p = dedupPlans.find((d) => d.nullable)!;
        return encodeWire(opts.schemaIds.reader, reader.toBuffer({ ...event, [p.name]: null }));
      }
      case 'incompatible-schema': {
        const { dropped, changed, changedTo } = incompatible;
        const written = { ...event };
        if (dropped !== undefined) delete written[dropped];
        if (changed !== undefined) written[changed] = changedTo === 'boolean' ? true : 'x';
        return encodeWire(opts.schemaIds.incompatible!, incompatibleType.toBuffer(written));
      }
    }
  }
}

type Drawn = 'valid' | 'duplicate' | 'late' | 'invalid';

/** Exact counts (round(count × share)) in seeded random order: `--duplicates 2%` means 2 %, not about 2 %. */
function quotas(opts: GeneratorOptions): { draw(rng: Rng): Drawn } {
  const shares = [opts.duplicates ?? 0, opts.late ?? 0, opts.invalid ?? 0];
  if (shares.some((s) => !(s >= 0 && s <= 1)) || shares.reduce((a, b) => a + b, 0) > 1 + 1e-9) {
    throw new SluiceError('BAD_ARGUMENT', `duplicates, late and invalid must be shares in [0, 1] adding up to at most 1 (got ${shares.join(', ')})`);
  }
  const left: Record<Drawn, number> = {
    duplicate: Math.round(opts.count * shares[0]!),
    late: Math.round(opts.count * shares[1]!),
    invalid: Math.round(opts.count * shares[2]!),
    valid: 0,
  };
  left.valid = Math.max(0, opts.count - left.duplicate - left.late - left.invalid);
  const order: Drawn[] = ['valid', 'duplicate', 'late', 'invalid'];
  return {
    draw(rng) {
      const total = left.valid + left.duplicate + left.late + left.invalid;
      let r = rng.int(0, Math.max(0, total - 1));
      for (const k of order) {
        if (r < left[k]) {
          left[k]--;
          return k;
        }
        r -= left[k];
      }
      return 'valid';
    },
  };
}
