/**
 * Sizes of what a transaction sends, so that no produce request exceeds what the broker accepts:
 * a topic's max.message.bytes bounds each partition's record batch in a request
 * (https://kafka.apache.org/documentation/#topicconfigs_max.message.bytes). Pure functions.
 */
import type { IHeaders, Message } from 'kafkajs';

/** Record batch header (61 bytes in v2) plus slack for kafkajs' framing. */
const BATCH_OVERHEAD = 1024;
/** Upper bound of a v2 record's own fields: length, attributes, deltas, key/value lengths, header count. */
const RECORD_OVERHEAD = 36;
const HEADER_OVERHEAD = 10;

const bytes = (v: Buffer | string | null | undefined): number => (v == null ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length);

function headerBytes(headers: IHeaders | undefined): number {
  let n = 0;
  for (const [k, v] of Object.entries(headers ?? {})) {
    const values = Array.isArray(v) ? v : [v];
    for (const x of values) n += HEADER_OVERHEAD + Buffer.byteLength(k) + bytes(x as Buffer | string | undefined);
  }
  return n;
}

/** An upper bound of the bytes a message takes in a record batch (no compression). */
export function recordSize(m: Message): number {
  return RECORD_OVERHEAD + bytes(m.key) + bytes(m.value) + headerBytes(m.headers);
}

/** Consecutive chunks whose records fit `maxMessageBytes` together, whatever partitions they go to. */
export function chunkBySize(messages: readonly Message[], maxMessageBytes: number): Message[][] {
  const budget = Math.max(1, maxMessageBytes - BATCH_OVERHEAD);
  const chunks: Message[][] = [];
  let current: Message[] = [];
  let size = 0;
  for (const m of messages) {
    const s = recordSize(m);
    if (current.length > 0 && size + s > budget) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(m);
    size += s;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/**
 * A dead letter or late record that the topic cannot take whole loses its value, then its key,
 * then its original headers; `sluice.dropped` says what and why, and the `sluice.source.*`
 * headers still say where the original is. Never a failing transaction.
 */
export function fitRecord(m: Message, maxMessageBytes: number, topic: string): Message {
  const budget = maxMessageBytes - BATCH_OVERHEAD;
  if (recordSize(m) <= budget) return m;
  const steps: Array<[string, number, (x: Message) => Message]> = [
    ['value', bytes(m.value), (x) => ({ ...x, value: null })],
    ['key', bytes(m.key), (x) => ({ ...x, key: null })],
    ['headers', headerBytes(m.headers), (x) => ({ ...x, headers: sluiceHeaders(x.headers) })],
  ];
  const dropped: string[] = [];
  const noted = (x: Message): Message => ({
    ...x,
    headers: { ...x.headers, 'sluice.dropped': `${dropped.join(', ')}: larger than topic ${topic} accepts (max.message.bytes ${maxMessageBytes}); the original is at sluice.source.*` },
  });
  let out = m;
  for (const [part, size, drop] of steps) {
    dropped.push(`${part} (${size} bytes)`);
    out = drop(out);
    if (recordSize(noted(out)) <= budget) break;
  }
  return noted(out);
}

function sluiceHeaders(headers: IHeaders | undefined): IHeaders {
  const kept: IHeaders = {};
  for (const [k, v] of Object.entries(headers ?? {})) if (k.startsWith('sluice.')) kept[k] = v;
  return kept;
}
