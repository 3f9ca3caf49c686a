/**
 * Fuzz input, pure and seeded: page views mixed with random bytes, truncated and mutated Avro,
 * extreme longs, hostile varint lengths, huge strings and unknown schema ids. Each payload comes
 * with its Kafka timestamp; ./classify.ts says from the bytes alone what sluice must do with it.
 */
import avro from 'avsc';
import { encodeWire, HEADER_SIZE } from '../../src/serde/wire.js';
import { UNKNOWN_SCHEMA_ID } from '../../src/gen/invalid.js';
import { Rng } from '../../src/gen/prng.js';
import { PAGE_VIEW_SCHEMA, pageView, pageViewPayload, pageViewType, type PageView } from '../support/hostile.js';

/** The page view with latency_ms widened to long: the same bytes as an int, but beyond 32 bits when asked. */
const wideType = avro.Type.forSchema({
  ...PAGE_VIEW_SCHEMA,
  fields: (PAGE_VIEW_SCHEMA.fields as Array<{ name: string }>).map((f) => (f.name === 'latency_ms' ? { ...f, type: 'long' } : f)),
} as avro.Schema);

export interface FuzzPayload { kind: string; value: Buffer | null; timestamp: number }

export interface FuzzOptions {
  count: number;
  seed: number;
  schemaId: number;
  /** Kafka timestamp of the first payload; each next one is `stepMs` later. */
  t0: number;
  stepMs: number;
  /** The topology's max_future_skew, max_key_bytes and size + grace, to aim values at the edges. */
  skewMs: number;
  maxKeyBytes: number;
  horizonMs: number;
}

const MAX_EVENT_TIME = 253_402_300_799_999n;
const EXTREME_LONGS = [-(2n ** 63n), -1n, 0n, 1n, 2n ** 53n - 3n, 2n ** 53n + 2n, 2n ** 63n - 1n, 8_700_000_000_000_000n, MAX_EVENT_TIME, MAX_EVENT_TIME + 1n];
const KINDS: Array<[string, number]> = [
  ['valid', 55], ['duplicate', 4], ['late', 3], ['ahead', 2], ['random-bytes', 5], ['null', 1], ['truncated', 5],
  ['mutated', 12], ['extreme-ts', 4], ['extreme-int', 2], ['int-overflow', 1], ['varint-length', 2], ['long-key', 2], ['huge-string', 0.3], ['unknown-id', 2], ['unicode', 0.7],
];

export function* fuzzPayloads(o: FuzzOptions): Generator<FuzzPayload> {
  const rng = new Rng(o.seed);
  const total = KINDS.reduce((a, [, w]) => a + w, 0);
  const pick = (): string => {
    let x = rng.next() * total;
    for (const [k, w] of KINDS) if ((x -= w) < 0) return k;
    return 'valid';
  };
  const sent: Buffer[] = [];
  const wire = (e: PageView) => encodeWire(o.schemaId, pageViewType.toBuffer(e));
  for (let i = 0; i < o.count; i++) {
    const timestamp = o.t0 + i * o.stepMs;
    const e = pageView(`f-${i}`, timestamp - 5_000 - rng.int(0, 2_000), `/p/${rng.int(0, 20)}`, rng.int(1, 500));
    e.user_id = `u-${rng.int(0, 50)}`;
    const kind = pick();
    let value: Buffer | null;
    switch (kind) {
      case 'duplicate':
        value = sent.length > 0 ? rng.pick(sent) : wire(e);
        break;
      case 'late':
        e.ts -= o.horizonMs + rng.int(1, 60_000);
        value = wire(e);
        break;
      case 'ahead': { // mostly beyond the skew bound; an accepted lead makes the partition's next records late, so few are
        const r = rng.next();
        e.ts = timestamp + (r < 0.7 ? o.skewMs + rng.int(1, 1e9) : r < 0.98 ? rng.int(0, 3_000) : o.skewMs + rng.int(-1, 1));
        value = wire(e);
        break;
      }
      case 'random-bytes':
        value = rng.bytes(rng.int(0, 64));
        if (value.length >= HEADER_SIZE && value[0] === 0) value.writeUInt32BE(UNKNOWN_SCHEMA_ID + rng.int(0, 15), 1);
        break;
      case 'null':
        value = null;
        break;
      case 'truncated': {
        const v = wire(e);
        value = v.subarray(0, rng.int(0, v.length - 1));
        break;
      }
      case 'mutated':
        value = mutate(wire(e), rng);
        break;
      case 'extreme-ts':
        value = encodeWire(o.schemaId, pageViewPayload(e, rng.pick(EXTREME_LONGS)));
        break;
      case 'extreme-int':
        e.latency_ms = rng.pick([-(2 ** 31), 2 ** 31 - 1, 0, -1]);
        value = wire(e);
        break;
      case 'int-overflow': // a varint an Avro int cannot hold
        value = encodeWire(o.schemaId, wideType.toBuffer({ ...e, latency_ms: rng.pick([2 ** 31, -(2 ** 31) - 1, 2 ** 40, -(2 ** 52)]) }));
        break;
      case 'varint-length': // a string or union index claiming an absurd size
        value = Buffer.concat([wire(e).subarray(0, HEADER_SIZE), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]), rng.bytes(rng.int(0, 20))]);
        break;
      case 'long-key': // around aggregate.max_key_bytes, in 1-, 2- and 3-byte characters
        e.page = rng.pick(['a', 'é', '€']).repeat(Math.floor((o.maxKeyBytes + rng.int(-3, 3)) / rng.pick([1, 2, 3])));
        value = wire(e);
        break;
      case 'huge-string': // up to 1 MB in a field the pipeline reads, or in the dedup key
        (e as unknown as Record<string, string>)[rng.pick(['user_id', 'event_id', 'url'])] += 'x'.repeat(rng.int(100_000, 1 << 20));
        value = wire(e);
        break;
      case 'unknown-id':
        value = encodeWire(UNKNOWN_SCHEMA_ID + rng.int(0, 15), pageViewType.toBuffer(e));
        break;
      case 'unicode':
        e.page = `/p/${String.fromCodePoint(rng.int(0x80, 0x10ffff))}`; // lone surrogates become U+FFFD in UTF-8
        value = wire(e);
        break;
      default:
        value = wire(e);
    }
    if (kind === 'valid' || kind === 'late') {
      if (sent.length < 1000) sent.push(value!);
      else sent[rng.int(0, 999)] = value!;
    }
    yield { kind, value, timestamp };
  }
}

/** One to three random edits of the Avro payload (the header is kept: ids stay known). */
function mutate(v: Buffer, rng: Rng): Buffer {
  let p = Buffer.from(v.subarray(HEADER_SIZE));
  for (let n = rng.int(1, 3); n > 0; n--) {
    const at = rng.int(0, Math.max(0, p.length - 1));
    switch (rng.int(0, 4)) {
      case 0: if (p.length > 0) p[at] = p[at]! ^ (1 << rng.int(0, 7)); break;
      case 1: if (p.length > 0) p[at] = rng.int(0, 255); break;
      case 2: p = Buffer.concat([p.subarray(0, at), rng.bytes(rng.int(1, 8)), p.subarray(at)]); break;
      case 3: p = Buffer.concat([p.subarray(0, at), p.subarray(Math.min(p.length, at + rng.int(1, 8)))]); break;
      default: p = Buffer.concat([p, p.subarray(at, at + rng.int(1, 16))]);
    }
  }
  return Buffer.concat([v.subarray(0, HEADER_SIZE), p]);
}
