/**
 * The records of the internal repartition topic (`<name>-repartition`, docs/keyed-windows.md),
 * as pure functions. Two kinds, told apart by the value's first byte:
 *
 * - data: key = null, value = 0x03 then one or more rows back to back, each Avro binary of
 *   `{t: event time, s: source stream time after the record, p: source partition, o: source
 *   offset, [sk: source key,] v: the decoded value}` (Avro records delimit themselves), where t
 *   and o are differences to the previous row of the record (the first row's: to 0) and s is the
 *   difference to t: a few bytes where epoch millis take six. `s` lets stage 2 give the row
 *   exactly the windows that were open in its source partition (hopping: the older ones may be
 *   closed there); t, p, o and sk are the record metadata expressions read (ROWTIME,
 *   ROWPARTITION, ROWOFFSET, ROWKEY: src/window/metadata.ts), `sk` present only when an
 *   expression reads ROWKEY. The group key is not written: stage 2 derives it from `v` as stage 1
 *   did. Rows of one repartition partition travel packed (up to PACK_BYTES a record), since the
 *   Kafka client's cost is per record and per byte: encoding, the socket, the fetch's decoding.
 *   The earlier formats are still read: 0x02 (packed rows with the group key `k` first, absolute
 *   times and a wider `v`) and 0x01 (one such row without `k`, keyed by the group key).
 * - watermark: key = null, value = JSON `{"w": stream time, "p": source partition}` (first byte
 *   `{`), written by the stage-1 task of source partition p to every repartition partition after
 *   its data.
 *
 * `v` is the reader schema projected to the fields stage 2 stores (the state table's columns, the
 * group_by fields among them), so stage 2 appends exactly the values a single stage would have
 * appended: same Avro types, same JS values, no text round trip. Avro binary rather than JSON:
 * a third of the bytes for the demo's page views, and less CPU on both sides.
 */
import avro, { type Schema, type Type } from 'avsc';
import type { Message } from 'kafkajs';
import { SluiceError } from '../errors.js';
import { groupKey } from '../serde/limits.js';

export interface DataRecord {
  kind: 'data';
  eventTime: number;
  /** The source partition's stream time right after this record raised it. */
  sourceTime: number;
  partition: number;
  offset: number;
  value: Record<string, unknown>;
  /** The source record's Kafka key; carried only by a codec made with `sourceKey: true` (undefined otherwise). */
  sourceKey?: Buffer | null | undefined;
  /** The group key (its rows' windows are per key for sessions), as stage 1 computed it from the value. */
  key: string;
}

export interface WatermarkRecord {
  kind: 'watermark';
  partition: number;
  streamTime: number;
}

export type RepartitionRecord = DataRecord | WatermarkRecord;

export interface CodecOptions {
  /** aggregate.group_by: a row's group key is derived from its value (groupKey, as stage 1 does). */
  groupBy: readonly string[];
  /** Carry the source record's key (an expression reads ROWKEY). */
  sourceKey?: boolean;
  /** What `v` held in the formats before 0x03 (these fields, event time, dedup key): to read them after an upgrade. */
  legacyFields?: readonly string[];
}

const DATA = 0x01;
const PACKED = 0x02;
const COMPACT = 0x03;
const WATERMARK = '{'.charCodeAt(0);
/** Bytes of rows one packed record holds at most (a larger row travels alone): far below a topic's max.message.bytes. */
export const PACK_BYTES = 64 * 1024;

type Row = Omit<DataRecord, 'kind'>;
type Fields = { k?: string; t: number; s: number; p: number; o: number; sk?: Buffer | null; v: Record<string, unknown> };

export class RepartitionCodec {
  /** A row of 0x03 (t and o as differences, s relative to t). */
  private readonly compactType: Type;
  /** A one-row record's body (0x01, the format before packing): absolute times, the wider `v`. */
  private readonly type: Type;
  /** A row of 0x02: the same with the group key first. */
  private readonly packedType: Type;
  /** Where encodePacked writes a pack before copying it out (its first byte stays COMPACT). */
  private scratch = Buffer.allocUnsafe(2 * PACK_BYTES);

  /**
   * `readerSchema`: the topology's reader schema; `fields`: the value fields stage 2 stores (the
   * state table's columns, metadata aside). A projection Avro cannot express (a kept field naming
   * a type defined inside a dropped one) keeps the whole schema, as the decoder does.
   */
  constructor(
    readerSchema: Record<string, unknown>,
    readonly fields: readonly string[],
    private readonly options: CodecOptions,
  ) {
    const sk = options.sourceKey ? [{ name: 'sk', type: ['null', 'bytes'] }] : [];
    const common = (v: readonly string[]) => [
      { name: 't', type: 'long' },
      { name: 's', type: 'long' },
      { name: 'p', type: 'int' },
      { name: 'o', type: 'long' },
      ...sk,
      { name: 'v', type: projected(readerSchema, new Set(v)) },
    ];
    const legacy = common(options.legacyFields ?? fields);
    this.compactType = avro.Type.forSchema({ type: 'record', name: 'RepartitionCompactRow', namespace: 'sluice.internal', fields: common(fields) } as Schema);
    this.type = avro.Type.forSchema({ type: 'record', name: 'RepartitionData', namespace: 'sluice.internal', fields: legacy } as Schema);
    this.packedType = avro.Type.forSchema({ type: 'record', name: 'RepartitionRow', namespace: 'sluice.internal', fields: [{ name: 'k', type: 'string' }, ...legacy] } as Schema);
    this.scratch[0] = COMPACT;
  }

  /** One row as a data record of the earliest format (0x01, one row; its key goes in the Kafka key); the caller sets key and partition. */
  encodeData(r: Omit<Row, 'key'>): Buffer {
    return Buffer.concat([Buffer.of(DATA), this.type.toBuffer({ t: r.eventTime, s: r.sourceTime, p: r.partition, o: r.offset, sk: this.sourceKeyOf(r), v: r.value })]);
  }

  /** Rows for one repartition partition, in their order, as packed values (0x03) of at most PACK_BYTES of rows each. */
  encodePacked(rows: readonly Row[]): Buffer[] {
    // rows are written straight into one scratch buffer and each pack copied out once: a Buffer
    // per row (toBuffer) and their concatenation cost more than the encoding itself
    const out: Buffer[] = [];
    let buf = this.scratch;
    let pos = 1;
    let t = 0;
    let o = 0;
    for (const r of rows) {
      const fields = { t: r.eventTime - t, s: r.sourceTime - r.eventTime, p: r.partition, o: r.offset - o, sk: this.sourceKeyOf(r), v: r.value };
      let end = this.compactType.encode(fields, buf, pos);
      if ((end < 0 || end - 1 > PACK_BYTES) && pos > 1) {
        // the row does not fit this pack: close it, start the next with the row (differences to 0)
        out.push(packOf(buf, pos));
        pos = 1;
        fields.t = r.eventTime;
        fields.o = r.offset;
        end = this.compactType.encode(fields, buf, pos);
      }
      if (end < 0) {
        // a row larger than the scratch buffer (encode returns minus the missing bytes): grow it
        buf = this.scratch = Buffer.allocUnsafe(2 * (buf.length - end));
        buf[0] = COMPACT;
        end = this.compactType.encode(fields, buf, pos);
      }
      pos = end;
      t = r.eventTime;
      o = r.offset;
    }
    if (pos > 1) out.push(packOf(buf, pos));
    return out;
  }

  private sourceKeyOf(r: { sourceKey?: Buffer | null | undefined }): Buffer | null | undefined {
    return this.options.sourceKey ? (r.sourceKey ?? null) : undefined;
  }

  /** The records one Kafka record (`value`, `key`) holds, in order: the rows of a data record, or one watermark. */
  decodeAll(value: Buffer | null, key: Buffer | null = null): RepartitionRecord[] {
    if (value && value.length > 1 && value[0] === COMPACT) {
      const rows = decodeCompact(this.compactType, value, this.options.groupBy);
      if (rows) return rows;
    }
    if (value && value.length > 1 && value[0] === PACKED) {
      const rows = decodeRows(this.packedType, value, '');
      if (rows) return rows;
    }
    return [this.decode(value, key)];
  }

  /** A record holding one row (0x01) or a watermark (decodeAll reads packed records too). */
  decode(value: Buffer | null, key: Buffer | null = null): RepartitionRecord {
    if (value && value.length > 1 && value[0] === DATA) {
      const rows = decodeRows(this.type, value, key === null ? '' : key.toString());
      if (rows?.length === 1) return rows[0]!;
    }
    if (value && value[0] === WATERMARK) {
      try {
        const o = JSON.parse(value.toString('utf8')) as { w?: unknown; p?: unknown };
        if (isInt(o.w) && isInt(o.p)) return { kind: 'watermark', partition: o.p, streamTime: o.w };
      } catch {
        /* reported below */
      }
    }
    throw new SluiceError('INTERNAL', `a record of the repartition topic is neither data nor a watermark (${value?.length ?? 0} bytes, first ${value?.[0] ?? 'none'})`);
  }
}

/** The first `length` bytes of a scratch buffer, as a buffer of their own. */
const packOf = (buf: Buffer, length: number): Buffer => Buffer.from(buf.subarray(0, length));

/** The rows of a 0x03 record, or undefined when they do not decode to the end exactly. */
function decodeCompact(type: Type, value: Buffer, groupBy: readonly string[]): DataRecord[] | undefined {
  // times and offsets are differences to the previous row's
  let t = 0;
  let o = 0;
  return decodeAll(type, value, (c) => {
    t += c.t;
    o += c.o;
    return { kind: 'data', eventTime: t, sourceTime: t + c.s, partition: c.p, offset: o, value: c.v, key: groupKey(c.v, groupBy) ?? '' };
  });
}

/** The rows of a 0x01 or 0x02 record (`key` for rows without `k`), or undefined when they do not decode to the end exactly. */
function decodeRows(type: Type, value: Buffer, key: string): DataRecord[] | undefined {
  return decodeAll(type, value, (f) => ({ kind: 'data', eventTime: f.t, sourceTime: f.s, partition: f.p, offset: f.o, value: f.v, key: f.k ?? key }));
}

/** Decodes rows after the format byte to the end of `value`, each mapped by `toRow` in order; undefined unless they end exactly there. */
function decodeAll(type: Type, value: Buffer, toRow: (fields: Fields) => DataRecord): DataRecord[] | undefined {
  const rows: DataRecord[] = [];
  try {
    for (let pos = 1; pos < value.length; ) {
      const r = type.decode(value, pos);
      if (r.offset < 0) return undefined; // truncated
      const f = r.value as Fields;
      const row = toRow(f);
      if (f.sk !== undefined) row.sourceKey = f.sk;
      rows.push(row);
      pos = r.offset;
    }
  } catch {
    return undefined;
  }
  return rows.length > 0 ? rows : undefined;
}

/** The record schema with only `keep` fields, or the whole schema when Avro cannot express the projection. */
function projected(schema: Record<string, unknown>, keep: ReadonlySet<string>): Record<string, unknown> {
  const fields = (schema.fields as Array<{ name: string }> | undefined) ?? [];
  const narrowed = { ...schema, fields: fields.filter((f) => keep.has(f.name)) };
  try {
    avro.Type.forSchema(narrowed as Schema);
    return narrowed;
  } catch {
    return schema;
  }
}

export const encodeWatermark = (partition: number, streamTime: number): Buffer => Buffer.from(JSON.stringify({ w: streamTime, p: partition }));

/** One watermark record per repartition partition, all from source partition `partition`. */
export function watermarkMessages(partition: number, streamTime: number, repartitionPartitions: number): Message[] {
  const value = encodeWatermark(partition, streamTime);
  return Array.from({ length: repartitionPartitions }, (_, p) => ({ key: null, value, partition: p }));
}

const isInt = (v: unknown): v is number => Number.isSafeInteger(v);
