/**
 * The records of the internal repartition topic (`<name>-repartition`, docs/keyed-windows.md),
 * as pure functions. Two kinds, told apart by the value:
 *
 * - data: key = the group key (as the topic sink keys its output), value = JSON
 *   `{"t": event time, "s": source stream time after the record, "p": source partition,
 *   "o": source offset, "v": {stored column: value}}`. `s` lets stage 2 give the record exactly the
 *   windows that were open in its source partition (hopping: the older ones may be closed there).
 * - watermark: key = null, value = JSON `{"w": stream time, "p": source partition}`, written by
 *   the stage-1 task of source partition p to every repartition partition after its data.
 *
 * Only the columns the aggregate reads travel (the state table's). Values are made JSON-safe per
 * column type so that stage 2 appends exactly what a single stage would have appended: bytes as
 * base64, complex values as the JSON text the VARCHAR column stores, bigints and non-finite
 * doubles as strings.
 */
import type { Message } from 'kafkajs';
import { SluiceError } from '../errors.js';
import { toJson } from '../window/appender.js';
import type { Column } from '../window/columns.js';

export interface DataRecord {
  kind: 'data';
  eventTime: number;
  /** The source partition's stream time right after this record raised it. */
  sourceTime: number;
  partition: number;
  offset: number;
  value: Record<string, unknown>;
}

export interface WatermarkRecord {
  kind: 'watermark';
  partition: number;
  streamTime: number;
}

export type RepartitionRecord = DataRecord | WatermarkRecord;

/** Encoding of one stored column's value to JSON and back, chosen once from its DuckDB type. */
interface ColumnCodec {
  name: string;
  out(v: unknown): unknown;
  in(v: unknown): unknown;
}

const number = (v: unknown): unknown => (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0)) ? String(v === 0 ? '-0' : v) : v);
const CODECS: Readonly<Record<string, Pick<ColumnCodec, 'out' | 'in'>>> = {
  BLOB: { out: (v) => Buffer.from(v instanceof Uint8Array ? v : typeof v === 'string' ? Buffer.from(v) : Buffer.from(toJson(v))).toString('base64'), in: (v) => Buffer.from(String(v), 'base64') },
  VARCHAR: { out: (v) => (typeof v === 'string' ? v : toJson(v)), in: (v) => v },
  BIGINT: { out: (v) => (typeof v === 'bigint' ? v.toString() : v), in: (v) => v },
  FLOAT: { out: number, in: (v) => (typeof v === 'string' ? Number(v) : v) },
  DOUBLE: { out: number, in: (v) => (typeof v === 'string' ? Number(v) : v) },
};
const AS_IS: Pick<ColumnCodec, 'out' | 'in'> = { out: (v) => v, in: (v) => v };

export class RepartitionCodec {
  private readonly columns: readonly ColumnCodec[];
  /** Names of the columns that travel: what stage 1 needs decoded. */
  readonly fields: readonly string[];

  /** `columns`: the state table's stored columns (TaskTable.stored), the same in both stages. */
  constructor(columns: readonly Column[]) {
    this.columns = columns.map((c) => ({ name: c.name, ...(CODECS[c.duckType.toUpperCase()] ?? AS_IS) }));
    this.fields = columns.map((c) => c.name);
  }

  /** The value of a data record; the caller sets key and partition. */
  encodeData(r: Omit<DataRecord, 'kind'>): Buffer {
    const v: Record<string, unknown> = {};
    for (const c of this.columns) {
      const x = r.value[c.name];
      v[c.name] = x === null || x === undefined ? null : c.out(x);
    }
    return Buffer.from(JSON.stringify({ t: r.eventTime, s: r.sourceTime, p: r.partition, o: r.offset, v }));
  }

  decode(value: Buffer | null): RepartitionRecord {
    let o: Record<string, unknown>;
    try {
      o = JSON.parse(value?.toString('utf8') ?? 'null') as Record<string, unknown>;
    } catch {
      o = {};
    }
    if (o !== null && typeof o === 'object' && isInt(o.w) && isInt(o.p)) return { kind: 'watermark', partition: o.p, streamTime: o.w };
    if (o === null || typeof o !== 'object' || !isInt(o.t) || !isInt(o.s) || !isInt(o.p) || !isInt(o.o) || typeof o.v !== 'object' || o.v === null) {
      throw new SluiceError('INTERNAL', `a record of the repartition topic is neither data nor a watermark: ${String(value?.toString('utf8')).slice(0, 120)}`);
    }
    const raw = o.v as Record<string, unknown>;
    const v: Record<string, unknown> = {};
    for (const c of this.columns) {
      const x = raw[c.name];
      v[c.name] = x === null || x === undefined ? null : c.in(x);
    }
    return { kind: 'data', eventTime: o.t, sourceTime: o.s, partition: o.p, offset: o.o, value: v };
  }
}

export const encodeWatermark = (partition: number, streamTime: number): Buffer => Buffer.from(JSON.stringify({ w: streamTime, p: partition }));

/** One watermark record per repartition partition, all from source partition `partition`. */
export function watermarkMessages(partition: number, streamTime: number, repartitionPartitions: number): Message[] {
  const value = encodeWatermark(partition, streamTime);
  return Array.from({ length: repartitionPartitions }, (_, p) => ({ key: null, value, partition: p }));
}

const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
