/**
 * kafkajs' produce request (src/protocol/requests/produce/v3/request.js, which v4–v7 wrap) builds
 * each record in its own zeroed 512-byte Encoder, with a Buffer per varint, a Long per timestamp
 * delta and a copy of the message object: on the 80× catch-up the encoding was ~12 % of the
 * replica's main thread, before its garbage. This replaces the module's export before kafkajs'
 * later versions capture it: uncompressed batches of messages without a timestamp (all sluice
 * sends) are written straight into one buffer, byte for byte what kafkajs writes (unit-tested
 * against it); any other request is kafkajs' own. Import before kafkajs, like ./grouping.ts.
 */
import { createRequire } from 'node:module';
import { SluiceError } from '../errors.js';

type Value = Buffer | string | null | undefined;
interface ProduceMessage { key?: Value; value?: Value; headers?: Record<string, unknown>; timestamp?: unknown }
interface PartitionData { partition: number; firstSequence?: number; messages: ProduceMessage[] }
export interface ProduceArgs {
  acks: number;
  timeout: number;
  transactionalId?: string | null;
  producerId?: unknown;
  producerEpoch?: number;
  compression?: number;
  topicData: Array<{ topic: string; partitions: PartitionData[] }>;
}
interface Encoder { buf: Buffer; offset: number; readonly buffer: Buffer }
interface ProduceRequest { encode(): Promise<Encoder> }

const require = createRequire(import.meta.url);
const v3Path = require.resolve('kafkajs/src/protocol/requests/produce/v3/request.js');
const wrappers = ['v4', 'v5'].map((v) => require.resolve(`kafkajs/src/protocol/requests/produce/${v}/request.js`));
const EncoderClass = require('kafkajs/src/protocol/encoder.js') as new (size: number) => Encoder;
const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: unknown): { getHighBits(): number; getLowBits(): number } };
const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (b: Buffer) => number;
/** kafkajs' own v3 request, for what the fast path leaves to it (and for the tests). */
export const kafkajsProduceRequest = require(v3Path) as (args: ProduceArgs) => ProduceRequest;

const NO_COMPRESSION = 0;
const TRANSACTIONAL = 16; // record batch attribute bit
const MAGIC = 2;
// batch fields after the CRC: attributes, last offset delta, 2 timestamps, producer id, epoch, first sequence, record count
const BATCH_BODY = 2 + 4 + 8 + 8 + 8 + 2 + 4 + 4;
// per partition: partition, record set size, first offset, batch length, leader epoch, magic, CRC
const PARTITION_HEAD = 4 + 4 + 8 + 4 + 4 + 1 + 4;

export function produceRequest(args: ProduceArgs): ProduceRequest {
  const request = kafkajsProduceRequest(args);
  if ((args.compression ?? NO_COMPRESSION) !== NO_COMPRESSION) return request;
  return { ...request, encode: async () => encodeProduce(args) ?? request.encode() };
}

/** The request body as kafkajs' v3 encodes it, or undefined where a message is not of the fast path's kind. */
export function encodeProduce(args: ProduceArgs): Encoder | undefined {
  const { transactionalId = null, producerEpoch = 0 } = args;
  const producerId = Long.fromValue(args.producerId ?? -1);
  const bodies: number[] = []; // each record's size without its length prefix, in write order
  const recordsSize: number[] = []; // per partition
  let total = 2 + (transactionalId === null ? 0 : Buffer.byteLength(transactionalId)) + 2 + 4 + 4;
  for (const { topic, partitions } of args.topicData) {
    total += 2 + Buffer.byteLength(topic) + 4;
    for (const { messages } of partitions) {
      let size = 0;
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i]!;
        const key = bytesSize(m.key);
        const value = bytesSize(m.value);
        const headers = headersSize(m.headers);
        if (m.timestamp != null || key < 0 || value < 0 || headers < 0) return undefined;
        const body = 1 + 1 + varIntSize(i) + key + value + headers; // attributes, timestamp delta 0
        bodies.push(body);
        size += varIntSize(body) + body;
      }
      recordsSize.push(size);
      total += PARTITION_HEAD + BATCH_BODY + size;
    }
  }
  const buf = Buffer.allocUnsafe(total);
  let pos = writeString(buf, 0, transactionalId);
  pos = buf.writeInt16BE(args.acks, pos);
  pos = buf.writeInt32BE(args.timeout, pos);
  pos = buf.writeInt32BE(args.topicData.length, pos);
  let p = 0;
  let r = 0;
  for (const { topic, partitions } of args.topicData) {
    pos = writeString(buf, pos, topic);
    pos = buf.writeInt32BE(partitions.length, pos);
    for (const { partition, firstSequence = 0, messages } of partitions) {
      const batch = 4 + 1 + 4 + BATCH_BODY + recordsSize[p++]!;
      pos = buf.writeInt32BE(partition, pos);
      pos = buf.writeInt32BE(8 + 4 + batch, pos);
      pos = writeInt64(buf, pos, Long.fromValue(0));
      pos = buf.writeInt32BE(batch, pos);
      pos = buf.writeInt32BE(0, pos); // partition leader epoch
      pos = buf.writeInt8(MAGIC, pos);
      const crcAt = pos;
      const from = pos + 4;
      const now = Long.fromValue(Date.now()); // kafkajs' first and max timestamp when no message has one
      pos = buf.writeInt16BE(args.transactionalId ? TRANSACTIONAL : 0, from);
      pos = buf.writeInt32BE(messages.length - 1, pos);
      pos = writeInt64(buf, writeInt64(buf, pos, now), now);
      pos = writeInt64(buf, pos, producerId);
      pos = buf.writeInt16BE(producerEpoch, pos);
      pos = buf.writeInt32BE(firstSequence, pos);
      pos = buf.writeInt32BE(messages.length, pos);
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i]!;
        pos = writeVarInt(buf, pos, bodies[r++]!);
        buf[pos++] = 0; // attributes
        buf[pos++] = 0; // timestamp delta (zigzag varlong)
        pos = writeVarInt(buf, pos, i);
        pos = writeBytes(buf, writeBytes(buf, pos, m.key), m.value);
        pos = writeHeaders(buf, pos, m.headers);
      }
      buf.writeUInt32BE(crc32C(buf.subarray(from, pos)), crcAt);
    }
  }
  if (pos !== total) throw new SluiceError('INTERNAL', `produce request: wrote ${pos} bytes, sized ${total}`);
  const out = new EncoderClass(0);
  out.buf = buf;
  out.offset = total;
  return out;
}

const zigzag = (v: number): number => (v << 1) ^ (v >> 31);

function varIntSize(v: number): number {
  let z = zigzag(v);
  let n = 1;
  while ((z & 0xffffff80) !== 0) {
    n++;
    z >>>= 7;
  }
  return n;
}

function writeVarInt(buf: Buffer, pos: number, v: number): number {
  let z = zigzag(v);
  while ((z & 0xffffff80) !== 0) {
    buf[pos++] = (z & 0x7f) | 0x80;
    z >>>= 7;
  }
  buf[pos++] = z & 0x7f;
  return pos;
}

/** kafkajs' sizeOfVarIntBytes for a Buffer, a string or null; -1 for other values (left to kafkajs). */
function bytesSize(v: unknown): number {
  if (v === null || v === undefined) return 1;
  const n = Buffer.isBuffer(v) ? v.length : typeof v === 'string' ? Buffer.byteLength(v) : -1;
  return n < 0 ? -1 : varIntSize(n) + n;
}

function writeBytes(buf: Buffer, pos: number, v: Value): number {
  if (v === null || v === undefined) return writeVarInt(buf, pos, -1);
  if (typeof v === 'string') {
    const at = writeVarInt(buf, pos, Buffer.byteLength(v));
    return at + buf.write(v, at);
  }
  const at = writeVarInt(buf, pos, v.length);
  return at + v.copy(buf, at);
}

/** Header values as kafkajs flattens them (an array: one header per element); -1 for values it cannot size. */
function headersSize(headers: Record<string, unknown> | undefined): number {
  if (headers === undefined) return 1;
  if (headers === null || typeof headers !== 'object') return -1;
  let count = 0;
  let size = 0;
  for (const k of Object.keys(headers)) {
    const v = headers[k];
    for (const x of Array.isArray(v) ? v : [v]) {
      const s = x === null || x === undefined ? -1 : bytesSize(x); // kafkajs fails on a missing value
      if (s < 0) return -1;
      size += bytesSize(k) + s;
      count++;
    }
  }
  return varIntSize(count) + size;
}

function writeHeaders(buf: Buffer, pos: number, headers: Record<string, unknown> | undefined): number {
  if (headers === undefined) return writeVarInt(buf, pos, 0);
  let count = 0;
  for (const k of Object.keys(headers)) count += Array.isArray(headers[k]) ? (headers[k] as unknown[]).length : 1;
  pos = writeVarInt(buf, pos, count);
  for (const k of Object.keys(headers)) {
    const v = headers[k];
    for (const x of Array.isArray(v) ? v : [v]) pos = writeBytes(buf, writeBytes(buf, pos, k), x as Value);
  }
  return pos;
}

function writeString(buf: Buffer, pos: number, s: string | null): number {
  if (s === null) return buf.writeInt16BE(-1, pos);
  const at = buf.writeInt16BE(Buffer.byteLength(s), pos);
  return at + buf.write(s, at);
}

function writeInt64(buf: Buffer, pos: number, v: { getHighBits(): number; getLowBits(): number }): number {
  return buf.writeInt32BE(v.getLowBits(), buf.writeInt32BE(v.getHighBits(), pos));
}

/** True when kafkajs' producer encodes with produceRequest (false if its produce requests were loaded before this module). */
export function fastProduceActive(): boolean {
  return require(v3Path) === produceRequest;
}

if (wrappers.every((path) => require.cache[path] === undefined)) {
  require.cache[v3Path]!.exports = produceRequest;
} else if (require(v3Path) !== produceRequest) {
  process.emitWarning('kafkajs was loaded before src/kafkajs/produce.ts: produce requests keep its per-record encoders', { code: 'SLUICE_KAFKAJS_PRODUCE' });
}
