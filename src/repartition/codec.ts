/**
 * The records of the internal repartition topic (`<name>-repartition`, docs/keyed-windows.md),
 * as pure functions. Two kinds, told apart by the value's first byte:
 *
 * - data: key = null, value = 0x02 then one or more rows back to back, each Avro binary of
 *   `{k: group key, t: event time, s: source stream time after the record, p: source partition,
 *   o: source offset, [sk: source key,] v: the decoded value}` (Avro records delimit themselves).
 *   `s` lets stage 2 give the row exactly the windows that were open in its source partition
 *   (hopping: the older ones may be closed there); t, p, o and sk are the record metadata
 *   expressions read (ROWTIME, ROWPARTITION, ROWOFFSET, ROWKEY: src/window/metadata.ts), `sk`
 *   present only when an expression reads ROWKEY. Rows of one repartition partition travel packed (up to PACK_BYTES a record),
 *   since the Kafka client's cost is per record: encoding, the fetch's decoding, the objects.
 *   A record of 0x01 then one row, keyed by the group key (the earlier format), is still read.
 * - watermark: key = null, value = JSON `{"w": stream time, "p": source partition}` (first byte
 *   `{`), written by the stage-1 task of source partition p to every repartition partition after
 *   its data.
 *
 * `v` is the reader schema projected to the fields stage 1 decodes (the state table's columns,
 * event time, dedup key), so stage 2 appends exactly the values a single stage would have
 * appended: same Avro types, same JS values, no text round trip. Avro binary rather than JSON:
 * a third of the bytes for the demo's page views, and less CPU on both sides.
 */
import avro, { type Schema, type Type } from 'avsc';
import type { Message } from 'kafkajs';
import { SluiceError } from '../errors.js';

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
  /** The group key (its rows' windows are per key for sessions): the row's `k`, or a one-row record's Kafka key. */
  key: string;
}

export interface WatermarkRecord {
  kind: 'watermark';
  partition: number;
  streamTime: number;
}

export type RepartitionRecord = DataRecord | WatermarkRecord;

const DATA = 0x01;
const PACKED = 0x02;
const WATERMARK = '{'.charCodeAt(0);
/** Bytes of rows one packed record holds at most (a larger row travels alone): far below a topic's max.message.bytes. */
export const PACK_BYTES = 64 * 1024;

type Row = Omit<DataRecord, 'kind'>;
type Fields = { k?: string; t: number; s: number; p: number; o: number; sk?: Buffer | null; v: Record<string, unknown> };

export class RepartitionCodec {
  /** A one-row record's body (0x01, the format before packing). */
  private readonly type: Type;
  /** A packed record's row: the same with the group key first. */
  private readonly packedType: Type;

  /**
   * `readerSchema`: the topology's reader schema; `fields`: what stage 1 decodes (RecordDecoder's
   * projection: the stored columns, event time, dedup key). A projection Avro cannot express (a
   * kept field naming a type defined inside a dropped one) keeps the whole schema, as the decoder does.
   */
  constructor(
    readerSchema: Record<string, unknown>,
    readonly fields: readonly string[],
    /** `sourceKey`: carry the source record's key (an expression reads ROWKEY). */
    private readonly options: { sourceKey?: boolean } = {},
  ) {
    const common = [
      { name: 't', type: 'long' },
      { name: 's', type: 'long' },
      { name: 'p', type: 'int' },
      { name: 'o', type: 'long' },
      ...(options.sourceKey ? [{ name: 'sk', type: ['null', 'bytes'] }] : []),
      { name: 'v', type: projected(readerSchema, new Set(fields)) },
    ];
    this.type = avro.Type.forSchema({ type: 'record', name: 'RepartitionData', namespace: 'sluice.internal', fields: common } as Schema);
    this.packedType = avro.Type.forSchema({ type: 'record', name: 'RepartitionRow', namespace: 'sluice.internal', fields: [{ name: 'k', type: 'string' }, ...common] } as Schema);
  }

  /** One row as a data record of the earlier format (0x01, one row; its key goes in the Kafka key); the caller sets key and partition. */
  encodeData(r: Omit<Row, 'key'>): Buffer {
    return Buffer.concat([Buffer.of(DATA), this.type.toBuffer({ t: r.eventTime, s: r.sourceTime, p: r.partition, o: r.offset, sk: this.sourceKeyOf(r), v: r.value })]);
  }

  /** Rows for one repartition partition, in their order, as packed values of at most PACK_BYTES of rows each. */
  encodePacked(rows: readonly Row[]): Buffer[] {
    const out: Buffer[] = [];
    let pack: Buffer[] = [Buffer.of(PACKED)];
    let bytes = 0;
    for (const r of rows) {
      const body = this.row(r);
      if (bytes > 0 && bytes + body.length > PACK_BYTES) {
        out.push(Buffer.concat(pack, bytes + 1));
        pack = [Buffer.of(PACKED)];
        bytes = 0;
      }
      pack.push(body);
      bytes += body.length;
    }
    if (bytes > 0) out.push(Buffer.concat(pack, bytes + 1));
    return out;
  }

  private row(r: Row): Buffer {
    return this.packedType.toBuffer({ k: r.key, t: r.eventTime, s: r.sourceTime, p: r.partition, o: r.offset, sk: this.sourceKeyOf(r), v: r.value });
  }

  private sourceKeyOf(r: { sourceKey?: Buffer | null | undefined }): Buffer | null | undefined {
    return this.options.sourceKey ? (r.sourceKey ?? null) : undefined;
  }

  /** The records one Kafka record (`value`, `key`) holds, in order: the rows of a data record, or one watermark. */
  decodeAll(value: Buffer | null, key: Buffer | null = null): RepartitionRecord[] {
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

/** The rows after the first byte (`key` for rows without `k`), or undefined when they do not decode to the end exactly. */
function decodeRows(type: Type, value: Buffer, key: string): DataRecord[] | undefined {
  const rows: DataRecord[] = [];
  try {
    for (let pos = 1; pos < value.length; ) {
      const r = type.decode(value, pos);
      if (r.offset < 0) return undefined; // truncated
      const o = r.value as Fields;
      rows.push({ kind: 'data', eventTime: o.t, sourceTime: o.s, partition: o.p, offset: o.o, value: o.v, key: o.k ?? key, ...(o.sk !== undefined ? { sourceKey: o.sk } : {}) });
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
