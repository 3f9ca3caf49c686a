/**
 * Decode + validate: wire format → writer schema by id → Avro decode resolved to the topology's
 * reader schema → event time and dedup key checks. prepare() does the async part once per batch
 * (registry lookups); decode() is then synchronous and cheap, the per-record hot path.
 */
import avro from 'avsc';
import type { Schema, Type } from 'avsc';
import { SluiceError, isSluiceError } from '../errors.js';
import { eventTimeProblem, groupKeyProblem, intOverflow } from './limits.js';
import { HEADER_SIZE, MAGIC_BYTE, parseWire, peekSchemaId } from './wire.js';
import type { SchemaSource } from './registry.js';

export type DecodeResult =
  | { ok: true; value: Record<string, unknown>; eventTime: number; dedupKey?: string }
  | { ok: false; error: SluiceError };

export interface RecordDecoderOptions {
  source: Pick<SchemaSource, 'writerType'>;
  readerSchema: Record<string, unknown>;
  eventTimeField: string;
  dedupKey?: string | string[];
  /**
   * Fields the pipeline reads (event time and dedup key are added). Others are skipped while
   * decoding, not turned into JS values: on wide events that is most of the decode cost. Writer
   * compatibility is still judged against the whole reader schema. Default: every field.
   */
  fields?: readonly string[];
  /** Event time may be at most this far ahead of the record's Kafka timestamp (source.max_future_skew); undefined: no bound. */
  maxFutureSkewMs?: number;
  /** group_by fields, whose output key must fit `maxKeyBytes` (aggregate.max_key_bytes). */
  groupBy?: readonly string[];
  maxKeyBytes?: number;
}

type Resolver = ReturnType<Type['createResolver']>;
// resolver undefined: the writer schema equals the reader's, read directly without one
type WriterEntry = { resolver: Resolver | undefined } | { error: SluiceError };

export class RecordDecoder {
  private readonly source: Pick<SchemaSource, 'writerType'>;
  /** The topology's whole reader schema: what a writer must resolve to. */
  private readonly full: Type;
  /** The projection actually decoded (the full schema when no projection was asked for). */
  private readonly reader: Type;
  private readonly eventTimeField: string;
  private readonly dedupFields: readonly string[] | undefined;
  private readonly maxFutureSkewMs: number | undefined;
  private readonly groupBy: readonly string[];
  private readonly maxKeyBytes: number;
  /** Decoded top-level int fields: avsc does not check that their varints fit 32 bits. */
  private readonly intFields: readonly string[];
  /** Resolution per writer id: deterministic, so kept for the decoder's life (failures too). */
  private readonly writers = new Map<number, WriterEntry>();
  /** Ids the registry did not know during the last prepare(): a later batch asks again. */
  private bad = new Map<number, SluiceError>();

  constructor(opts: RecordDecoderOptions) {
    this.source = opts.source;
    // no logicalTypes option on purpose: timestamp-millis stays a plain number
    this.full = avro.Type.forSchema(opts.readerSchema as Schema);
    this.eventTimeField = opts.eventTimeField;
    this.dedupFields = opts.dedupKey === undefined ? undefined : typeof opts.dedupKey === 'string' ? [opts.dedupKey] : [...opts.dedupKey];
    this.maxFutureSkewMs = opts.maxFutureSkewMs;
    this.groupBy = opts.maxKeyBytes === undefined ? [] : [...(opts.groupBy ?? [])];
    this.maxKeyBytes = opts.maxKeyBytes ?? Infinity;
    this.reader = opts.fields ? project(opts.readerSchema, new Set([...opts.fields, this.eventTimeField, ...(this.dedupFields ?? [])])) ?? this.full : this.full;
    this.intFields = intFieldNames(this.reader);
    const fieldNames = readerFieldNames(this.full);
    for (const f of [this.eventTimeField, ...(this.dedupFields ?? [])]) {
      if (!fieldNames.has(f)) {
        throw new SluiceError('TOPOLOGY_INVALID', `field "${f}" is not in the reader schema ${this.reader.name ?? ''} (fields: ${[...fieldNames].join(', ')})`, { field: f });
      }
    }
  }

  /** Fetches writer types and builds resolvers for every schema id in the batch; throws only REGISTRY_UNAVAILABLE. */
  async prepare(values: ReadonlyArray<Buffer | null>): Promise<void> {
    this.bad = new Map();
    const missing = new Set<number>();
    let last = -1;
    for (const v of values) {
      if (v === null || v === undefined || v.length < HEADER_SIZE || v[0] !== MAGIC_BYTE) continue;
      const id = v.readUInt32BE(1);
      if (id === last) continue;
      last = id;
      if (!this.writers.has(id)) missing.add(id);
    }
    if (missing.size === 0) return;
    const ids = [...missing];
    const settled = await Promise.allSettled(ids.map((id) => this.source.writerType(id)));
    let unavailable: SluiceError | undefined;
    settled.forEach((r, i) => {
      const id = ids[i]!;
      if (r.status === 'fulfilled') {
        this.writers.set(id, this.resolve(id, r.value));
      } else if (isSluiceError(r.reason, 'UNKNOWN_SCHEMA_ID') || isSluiceError(r.reason, 'SCHEMA_INCOMPATIBLE')) {
        this.bad.set(id, r.reason);
      } else {
        unavailable ??= isSluiceError(r.reason, 'REGISTRY_UNAVAILABLE')
          ? r.reason
          : new SluiceError('REGISTRY_UNAVAILABLE', `looking up writer schema id ${id} failed: ${String((r.reason as Error)?.message ?? r.reason)}`, { schemaId: id }, { cause: r.reason });
      }
    });
    if (unavailable) throw unavailable;
  }

  /**
   * Decodes one record value; synchronous, call prepare() with the batch first. `timestamp` is the
   * record's Kafka timestamp (epoch ms), what source.max_future_skew measures event time against.
   */
  decode(value: Buffer | null, timestamp?: number): DecodeResult {
    const schemaId = peekSchemaId(value);
    if (schemaId < 0) return { ok: false, error: wireError(value) };
    const buf = value!;
    const writer = this.writers.get(schemaId);
    if (writer === undefined) {
      const error = this.bad.get(schemaId);
      if (error) return { ok: false, error };
      throw new SluiceError('INTERNAL', `decode() saw schema id ${schemaId} that prepare() was not given`, { schemaId });
    }
    if ('error' in writer) return { ok: false, error: writer.error };
    let record: Record<string, unknown>;
    try {
      // decode() at the header's end rather than fromBuffer(subarray): no Buffer per record; the same checks
      const r = this.reader.decode(buf, HEADER_SIZE, writer.resolver);
      if (r.offset < 0) throw new Error('truncated buffer');
      if (r.offset < buf.length) throw new Error('trailing data');
      record = r.value as Record<string, unknown>;
      const overflow = this.intFields.length > 0 ? intOverflow(record, this.intFields) : undefined;
      if (overflow !== undefined) throw new Error(overflow);
    } catch (e) {
      return fail('UNDECODABLE_PAYLOAD', `payload of ${buf.length - HEADER_SIZE} bytes does not decode with writer schema id ${schemaId}: ${(e as Error).message}`, schemaId);
    }
    const eventTime = record[this.eventTimeField];
    if (typeof eventTime !== 'number' || !Number.isFinite(eventTime)) {
      return fail('MISSING_EVENT_TIME', `event time field "${this.eventTimeField}" is ${describe(eventTime)}, expected a finite number of epoch milliseconds`, schemaId);
    }
    const timeError = eventTimeProblem(this.eventTimeField, eventTime, timestamp, this.maxFutureSkewMs);
    if (timeError) return { ok: false, error: withSchemaId(timeError, schemaId) };
    if (this.groupBy.length > 0) {
      const keyError = groupKeyProblem(record, this.groupBy, this.maxKeyBytes);
      if (keyError) return { ok: false, error: withSchemaId(keyError, schemaId) };
    }
    const fields = this.dedupFields;
    if (fields === undefined) return { ok: true, value: record, eventTime };
    if (fields.length === 1) {
      const k = record[fields[0]!];
      if (k === null || k === undefined) return fail('MISSING_DEDUP_KEY', `dedup key field "${fields[0]}" is ${describe(k)}`, schemaId);
      return { ok: true, value: record, eventTime, dedupKey: String(k) };
    }
    const parts: unknown[] = new Array(fields.length);
    for (let i = 0; i < fields.length; i++) {
      const k = record[fields[i]!];
      if (k === null || k === undefined) return fail('MISSING_DEDUP_KEY', `dedup key field "${fields[i]}" is ${describe(k)}`, schemaId);
      parts[i] = k;
    }
    return { ok: true, value: record, eventTime, dedupKey: JSON.stringify(parts) };
  }

  private resolve(id: number, writer: Type): WriterEntry {
    try {
      // an identical writer needs no resolver, and reading without one is faster
      if (writer.equals(this.reader)) return { resolver: undefined };
      if (this.reader !== this.full && !writer.equals(this.full)) this.full.createResolver(writer); // throws if incompatible
      return { resolver: this.reader.createResolver(writer) };
    } catch (e) {
      return {
        error: new SluiceError('SCHEMA_INCOMPATIBLE', `writer schema id ${id} cannot be resolved to the reader schema ${this.reader.name ?? ''}: ${(e as Error).message}`, { schemaId: id }, { cause: e }),
      };
    }
  }
}

const fail = (code: 'UNDECODABLE_PAYLOAD' | 'MISSING_EVENT_TIME' | 'MISSING_DEDUP_KEY', message: string, schemaId: number): DecodeResult => ({
  ok: false,
  error: new SluiceError(code, message, { schemaId }),
});

const withSchemaId = (e: SluiceError, schemaId: number): SluiceError => {
  e.details.schemaId = schemaId;
  return e;
};

/** Why a value is not in the wire format (peekSchemaId() said it is not). */
function wireError(value: Buffer | null): SluiceError {
  try {
    parseWire(value);
  } catch (e) {
    if (isSluiceError(e)) return e;
  }
  return new SluiceError('INTERNAL', 'peekSchemaId() and parseWire() disagree on a value');
}

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  if (v === null) return 'null';
  if (typeof v === 'number') return String(v);
  if (typeof v === 'bigint') return `${v} (bigint)`;
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return `${s.length > 80 ? `${s.slice(0, 77)}...` : s} (${Array.isArray(v) ? 'array' : typeof v})`;
}

function readerFieldNames(type: Type): Set<string> {
  const fields = (type as unknown as { fields?: Array<{ name: string }> }).fields;
  if (type.typeName !== 'record' || fields === undefined) {
    throw new SluiceError('SCHEMA_FILE_INVALID', `the reader schema must be an Avro record, got ${type.typeName}`);
  }
  return new Set(fields.map((f) => f.name));
}

/** Top-level fields of type int (or a union with int). */
function intFieldNames(type: Type): string[] {
  const fields = (type as unknown as { fields?: Array<{ name: string; type: Type }> }).fields ?? [];
  const isInt = (t: Type): boolean => t.typeName === 'int' || ((t as unknown as { types?: Type[] }).types ?? []).some((u) => u.typeName === 'int');
  return fields.filter((f) => isInt(f.type)).map((f) => f.name);
}

/** The reader schema restricted to `keep` (a record of those fields), or undefined when it cannot be built alone. */
function project(schema: Record<string, unknown>, keep: ReadonlySet<string>): Type | undefined {
  const fields = (schema.fields as Array<{ name: string }> | undefined) ?? [];
  if (fields.every((f) => keep.has(f.name))) return undefined;
  try {
    return avro.Type.forSchema({ ...schema, fields: fields.filter((f) => keep.has(f.name)) } as Schema);
  } catch {
    return undefined; // e.g. a kept field names a type defined inside a dropped one
  }
}
