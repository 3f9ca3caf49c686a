/**
 * kafkajs decodes every fetched record through BigInt-backed Longs — the batch's first offset and
 * timestamp parsed from strings, added to, printed back, the timestamp delta built byte by byte —
 * and a Buffer and a Decoder per record, and the consumer's Batch parses each offset again: about
 * 2 µs a record, most of a bare consumer's CPU. This replaces those two modules' exports (the record
 * batch decoder and Batch) with ones computing in plain numbers while they stay exact (below 2^53),
 * and otherwise doing what kafkajs does: the same messages, strings and fields. Import this module
 * before anything imports kafkajs (the CLI's entry and the tests' setup do), like aborted.ts.
 */
import { createRequire } from 'node:module';
import { filterAbortedMessages } from './aborted.js';

const require = createRequire(import.meta.url);
const path = (p: string) => require.resolve(`kafkajs/src/${p}.js`);
const batchDecoderPath = path('protocol/recordBatch/v0/decoder');
const batchPath = path('consumer/batch');
const fetchPath = path('protocol/requests/fetch/v4/decodeMessages');

interface KafkajsDecoder { buffer: Buffer; offset: number; readInt8(): number; readInt16(): number; readInt32(): number; readInt64(): { toString(): string }; slice(n: number): KafkajsDecoder; forward(n: number): void; readAll(): Buffer }
type DecoderClass = new (buffer: Buffer) => KafkajsDecoder;
type RecordDecoderFn = (decoder: KafkajsDecoder, context: Record<string, unknown>) => FetchedRecord;
interface FetchedRecord { offset: string; isControlRecord: boolean; [k: string]: unknown }
interface Codec { decompress(b: Buffer): Promise<Buffer> }

const Decoder = require(path('protocol/decoder')) as DecoderClass;
const originalRecord = require(path('protocol/recordBatch/record/v0/decoder')) as RecordDecoderFn;
const { lookupCodecByAttributes } = require(path('protocol/message/compression/index')) as { lookupCodecByAttributes(a: number): Codec | null };
const { KafkaJSPartialMessageError } = require(path('errors')) as { KafkaJSPartialMessageError: new (m: string) => Error };
const LOG_APPEND_TIME = 1;

/** Thrown inside a record whose numbers do not fit a double exactly: the record is decoded by kafkajs' own code instead. */
const INEXACT = new Error('inexact');

/** A zigzag varint at `r.pos` as a number; throws INEXACT past 7 bytes (49 bits), where doubles could round. */
function varint(buf: Buffer, r: { pos: number }): number {
  let n = 0;
  let scale = 1;
  for (let i = 0; ; i++) {
    if (i === 7) throw INEXACT;
    const b = buf[r.pos++];
    if (b === undefined) throw new RangeError('record runs past its buffer');
    n += (b & 0x7f) * scale;
    if (b < 0x80) break;
    scale *= 128;
  }
  return n % 2 === 0 ? n / 2 : -(n + 1) / 2;
}

function bytes(buf: Buffer, r: { pos: number }): Buffer | null {
  const length = varint(buf, r);
  if (length === -1) return null;
  const start = r.pos;
  r.pos += length;
  if (r.pos > buf.length) throw new RangeError('record runs past its buffer');
  return buf.subarray(start, r.pos);
}

/** One record (kafkajs' record/v0/decoder.js, the same object) at `r.pos`; `base` holds the batch's first offset and timestamp as numbers. */
function record(buf: Buffer, r: { pos: number }, ctx: Record<string, unknown>, base: { offset: number; timestamp: number | undefined }): FetchedRecord {
  const attributes = (buf[r.pos++]! << 24) >> 24;
  const timestampDelta = varint(buf, r);
  const offsetDelta = varint(buf, r);
  const time = base.timestamp === undefined ? undefined : base.timestamp + timestampDelta;
  if (time !== undefined && !Number.isSafeInteger(time)) throw INEXACT;
  const key = bytes(buf, r);
  const value = bytes(buf, r);
  const count = varint(buf, r);
  const headers: Record<string, Buffer | null | Array<Buffer | null>> = {};
  for (let i = 0; i < count; i++) {
    const k = bytes(buf, r);
    const name = k === null ? 'null' : k.toString('utf8'); // kafkajs reads a null header key as null, then uses it as a property name
    const v = bytes(buf, r);
    const old = headers[name];
    headers[name] = old === undefined ? v : Array.isArray(old) ? [...old, v] : [old, v];
  }
  const offset = base.offset + offsetDelta;
  if (!Number.isSafeInteger(offset)) throw INEXACT;
  return { magicByte: ctx.magicByte, attributes, timestamp: time === undefined ? ctx.maxTimestamp : String(time), offset: String(offset), key, value, headers, isControlRecord: ctx.isControlBatch === true, batchContext: ctx };
}

/** The records of one batch: plain numbers while the batch's first offset and timestamp are exact, else kafkajs' decoder. */
function records(decoder: KafkajsDecoder, count: number, ctx: Record<string, unknown>): FetchedRecord[] {
  const out = new Array<FetchedRecord>(count);
  const offset = Number(ctx.firstOffset);
  const firstTimestamp = Number(ctx.firstTimestamp);
  const logAppend = ctx.timestampType === LOG_APPEND_TIME && Boolean(ctx.maxTimestamp);
  const exact = Number.isSafeInteger(offset) && (logAppend || Number.isSafeInteger(firstTimestamp));
  const base = { offset, timestamp: logAppend ? undefined : firstTimestamp };
  const buf = decoder.buffer;
  const r = { pos: 0 };
  for (let i = 0; i < count; i++) {
    r.pos = decoder.offset;
    const length = varint(buf, r);
    const start = r.pos;
    const end = start + length;
    let rec: FetchedRecord | undefined;
    if (exact) {
      try {
        rec = record(buf, r, ctx, base);
      } catch (e) {
        if (e !== INEXACT) throw e;
      }
    }
    // kafkajs' own decoder on the record's bytes, as decodeRecord in recordBatch/v0/decoder.js does
    out[i] = rec ?? originalRecord(new Decoder(buf.subarray(start, end)), ctx);
    decoder.offset = end;
  }
  return out;
}

const TIMESTAMP_TYPE_FLAG_MASK = 0x8;
const TRANSACTIONAL_FLAG_MASK = 0x10;
const CONTROL_FLAG_MASK = 0x20;

/** kafkajs' protocol/recordBatch/v0/decoder.js, field for field, with records() decoding the records. */
export async function decodeRecordBatch(fetchDecoder: KafkajsDecoder): Promise<Record<string, unknown>> {
  const firstOffset = fetchDecoder.readInt64().toString();
  const length = fetchDecoder.readInt32();
  const decoder = fetchDecoder.slice(length);
  fetchDecoder.forward(length);
  const remainingBytes = Buffer.byteLength(decoder.buffer);
  if (remainingBytes < length) {
    throw new KafkaJSPartialMessageError(`Tried to decode a partial record batch: remainingBytes(${remainingBytes}) < recordBatchLength(${length})`);
  }
  const partitionLeaderEpoch = decoder.readInt32();
  const magicByte = decoder.readInt8();
  decoder.readInt32(); // CRC, not checked (as kafkajs)
  const attributes = decoder.readInt16();
  const lastOffsetDelta = decoder.readInt32();
  const firstTimestamp = decoder.readInt64().toString();
  const maxTimestamp = decoder.readInt64().toString();
  const producerId = decoder.readInt64().toString();
  const producerEpoch = decoder.readInt16();
  const firstSequence = decoder.readInt32();
  const recordContext = {
    firstOffset,
    firstTimestamp,
    partitionLeaderEpoch,
    inTransaction: (attributes & TRANSACTIONAL_FLAG_MASK) > 0,
    isControlBatch: (attributes & CONTROL_FLAG_MASK) > 0,
    lastOffsetDelta,
    producerId,
    producerEpoch,
    firstSequence,
    maxTimestamp,
    timestampType: (attributes & TIMESTAMP_TYPE_FLAG_MASK) > 0 ? LOG_APPEND_TIME : 0,
  };
  const ctx = { ...recordContext, magicByte };
  const codec = lookupCodecByAttributes(attributes);
  let recs: FetchedRecord[];
  if (!codec) {
    const count = decoder.readInt32();
    recs = count === -1 ? [] : records(decoder, count, ctx);
  } else {
    const count = decoder.readInt32();
    recs = count <= 0 ? [] : records(new Decoder(await codec.decompress(decoder.readAll())), count, ctx);
  }
  return { ...recordContext, records: recs };
}

/**
 * kafkajs' consumer/batch.js with the offsets compared as numbers (exact below 2^53; BigInt
 * beyond): the constructor is rewritten, every method is kafkajs' own (the prototype is shared).
 */
type BatchClass = { prototype: object };
const OriginalBatch = require(batchPath) as BatchClass;
interface PartitionData { partition: number; highWatermark: string; messages: FetchedRecord[]; abortedTransactions?: Array<{ producerId: string; firstOffset: string }> }

export function Batch(this: Record<string, unknown>, topic: string, fetchedOffset: string, partitionData: PartitionData): void {
  this.fetchedOffset = fetchedOffset;
  const { abortedTransactions, messages } = partitionData;
  this.topic = topic;
  this.partition = partitionData.partition;
  this.highWatermark = partitionData.highWatermark;
  this.rawMessages = messages;
  // a fetch can return records below the offset asked for (compressed batches): kafkajs drops them
  const from = Number(fetchedOffset);
  const within = Number.isSafeInteger(from)
    ? messages.filter((m) => Number(m.offset) >= from)
    : messages.filter((m) => BigInt(m.offset) >= BigInt(fetchedOffset));
  this.messagesWithinOffset = within;
  this.messages = filterAbortedMessages({ messages: within as never[], abortedTransactions }).filter((m: FetchedRecord) => !m.isControlRecord);
}
Batch.prototype = OriginalBatch.prototype;

/** True when kafkajs' fetch decoding and Batch are these (false if kafkajs was loaded before this module). */
export function fastRecordsActive(): boolean {
  return require(batchDecoderPath) === decodeRecordBatch && require(batchPath) === Batch;
}

// the modules that require these two keep what they got when they loaded: replace them before
if (require.cache[fetchPath] === undefined && require.cache[path('consumer/consumerGroup')] === undefined) {
  require(batchDecoderPath);
  require.cache[batchDecoderPath]!.exports = decodeRecordBatch;
  require.cache[batchPath]!.exports = Batch;
} else if (!fastRecordsActive()) {
  process.emitWarning('kafkajs was loaded before src/kafkajs/records.ts: fetched records are decoded at kafkajs\' own cost', { code: 'SLUICE_KAFKAJS_RECORDS' });
}
