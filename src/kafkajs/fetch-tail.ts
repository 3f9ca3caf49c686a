/**
 * The broker fills a partition's fetch up to its byte limit and cuts the last record batch there
 * (https://kafka.apache.org/protocol#The_Messages_Fetch: "the server may return a partial message
 * at the end"). kafkajs' decodeMessages (src/protocol/requests/fetch/v4/decodeMessages.js) finds
 * that tail by letting the record batch decoder throw a KafkaJSPartialMessageError and catching it:
 * an Error with its stack and a rejected promise at the end of every full partition fetch (3.3 % of
 * a catch-up's busy time in a profile). This replaces that module's export with the same function
 * that reads the batch's length first and stops before a batch the buffer does not hold whole.
 * Import this module before anything imports kafkajs (the CLI's entry and the tests' setup do).
 */
import { createRequire } from 'node:module';

interface KafkajsDecoder { offset: number; readInt32(): number; canReadBytes(n: number): boolean; readBytes(n: number): Buffer }
type DecoderClass = new (buffer: Buffer) => KafkajsDecoder;
type BatchDecoder = (decoder: KafkajsDecoder) => Promise<{ records: unknown[] }>;

const require = createRequire(import.meta.url);
const path = (p: string) => require.resolve(`kafkajs/src/${p}.js`);
const decodeMessagesPath = path('protocol/requests/fetch/v4/decodeMessages');
const batchDecoderPath = path('protocol/recordBatch/v0/decoder');
const Decoder = require(path('protocol/decoder')) as DecoderClass;
const MessageSetDecoder = require(path('protocol/messageSet/decoder')) as (d: KafkajsDecoder, size: number) => Promise<unknown[]>;
const { MAGIC_BYTE } = require(path('protocol/recordBatch/v0/index')) as { MAGIC_BYTE: number };

// kafkajs' constants: the magic byte's place in every message format, a record batch's fixed size
const MAGIC_OFFSET = 16;
const RECORD_BATCH_OVERHEAD = 49;
// a record batch starts with its base offset (int64) and then its length (int32) counted from there
// (https://kafka.apache.org/documentation/#recordbatch)
const LENGTH_AT = 8;
const LENGTH_END = 12;

/** kafkajs' decodeMessages, the same records, stopping at a cut-off batch without a throw. */
export async function decodeMessages(decoder: KafkajsDecoder): Promise<unknown[]> {
  const messagesSize = decoder.readInt32();
  if (messagesSize <= 0 || !decoder.canReadBytes(messagesSize)) return [];
  const messagesBuffer = decoder.readBytes(messagesSize);
  const messagesDecoder = new Decoder(messagesBuffer);
  if (messagesBuffer.readInt8(MAGIC_OFFSET) !== MAGIC_BYTE) return MessageSetDecoder(messagesDecoder, messagesSize);
  // the decoder kafkajs uses now (src/kafkajs/records.ts replaces it)
  const decodeBatch = require(batchDecoderPath) as BatchDecoder;
  const records: unknown[] = [];
  while (messagesDecoder.canReadBytes(RECORD_BATCH_OVERHEAD)) {
    const length = messagesBuffer.readInt32BE(messagesDecoder.offset + LENGTH_AT);
    if (!messagesDecoder.canReadBytes(LENGTH_END + length)) break; // the cut-off tail
    try {
      const batch = await decodeBatch(messagesDecoder);
      for (const r of batch.records) records.push(r);
    } catch (e) {
      // anything else the decoder finds partial ends the partition's records too, as in kafkajs
      if ((e as Error).name === 'KafkaJSPartialMessageError') break;
      throw e;
    }
  }
  return records;
}

/** True when kafkajs' fetch responses are decoded by this (false if kafkajs was loaded before this module). */
export function fetchTailActive(): boolean {
  return require(decodeMessagesPath) === decodeMessages;
}

if (require.cache[decodeMessagesPath] === undefined) {
  require(decodeMessagesPath);
  require.cache[decodeMessagesPath]!.exports = decodeMessages;
} else if (!fetchTailActive()) {
  process.emitWarning('kafkajs was loaded before src/kafkajs/fetch-tail.ts: every full partition fetch ends in a thrown KafkaJSPartialMessageError', { code: 'SLUICE_KAFKAJS_FETCH_TAIL' });
}
