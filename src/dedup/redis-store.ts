/**
 * Replay-safe dedup in Redis (docs/exactly-once.md, "Replay-safe dedup").
 * Redis is outside the Kafka transaction, so a key's value is the source position that marked
 * it: a batch that aborted and is replayed finds its own marks and keeps its records, while any
 * other position holding the key is a duplicate.
 */
import type { Redis } from 'ioredis';
import { SluiceError, isSluiceError } from '../errors.js';
import { dedupKey, markerKey } from './keys.js';
import { whenReady } from './redis-client.js';

export { createRedis, type CreateRedisOptions } from './redis-client.js';

// KEYS[1] = the key prefix `dedup:{<topology>}:` (declared for the hash slot of every key the
// script touches: all carry the same tag); ARGV[1] = ttl ms, ARGV[2] = the dedup keys without the
// prefix, concatenated, ARGV[3] = their lengths in bytes, comma-separated, ARGV[4] = the partition
// and ARGV[5] = the keys' offsets, comma-separated (a key's position is `<partition>:<offset>`).
// Returns a string with one character per key: '1' = new, '0' = duplicate. Keys run in offset
// order, so of a key repeated in the batch the first claims it and the others find another
// position. A few packed arguments and one string reply rather than arguments and an integer per
// key: ioredis spent most of the call's CPU encoding them. SET NX then GET (not `SET NX GET`, which
// needs Redis 7): the GET runs only for the few non-new keys.
const ADMIT_LUA = `
local prefix, ttl, keys, lengths, partition, offsets = KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4] .. ':', ARGV[5]
local out = {}
local at, lfrom, ofrom, i = 1, 1, 1, 1
while lfrom <= #lengths do
  local lcomma = string.find(lengths, ',', lfrom, true) or #lengths + 1
  local n = tonumber(string.sub(lengths, lfrom, lcomma - 1))
  lfrom = lcomma + 1
  local key = prefix .. string.sub(keys, at, at + n - 1)
  at = at + n
  local ocomma = string.find(offsets, ',', ofrom, true) or #offsets + 1
  local pos = partition .. string.sub(offsets, ofrom, ocomma - 1)
  ofrom = ocomma + 1
  if redis.call('SET', key, pos, 'NX', 'PX', ttl) or redis.call('GET', key) == pos then
    out[i] = '1'
  else
    out[i] = '0'
  end
  i = i + 1
end
return table.concat(out)
`;
const ADMIT_COMMAND = 'sluiceDedupAdmit';
type AdmitCommand = (numKeys: number, prefix: string, ttl: string, keys: string, lengths: string, partition: string, offsets: string) => Promise<unknown>;

const ONE = '1'.charCodeAt(0);

/** The UTF-8 length of each key: its .length when all are ASCII (one byte per UTF-16 unit), checked once on the whole. */
function byteLengths(keys: readonly string[], packed: string): number[] {
  const ascii = Buffer.byteLength(packed, 'utf8') === packed.length;
  return keys.map(ascii ? (k) => k.length : (k) => Buffer.byteLength(k, 'utf8'));
}

export interface DedupStoreOptions {
  topology: string;
  /** How long a key is remembered; must exceed the longest window + grace (checked at topology load). */
  ttlMs: number;
  /** Keys per Lua call: bounds how long one call blocks Redis. */
  chunkSize?: number;
}

export class DedupStore {
  private readonly topology: string;
  /** dedupKey(topology, ''): the script prefixes each key with it. */
  private readonly prefix: string;
  private readonly ttl: string;
  private readonly chunkSize: number;

  constructor(private readonly redis: Redis, opts: DedupStoreOptions) {
    const chunkSize = opts.chunkSize ?? 2_000;
    if (!Number.isSafeInteger(opts.ttlMs) || opts.ttlMs <= 0 || !Number.isSafeInteger(chunkSize) || chunkSize <= 0) {
      throw new SluiceError('INTERNAL', `DedupStore needs a positive integer ttlMs and chunkSize (got ${opts.ttlMs}, ${chunkSize})`);
    }
    if (/[{}]/.test(opts.topology)) {
      throw new SluiceError('INTERNAL', `topology name ${JSON.stringify(opts.topology)} must not contain braces (Redis hash tag)`);
    }
    this.topology = opts.topology;
    this.prefix = dedupKey(opts.topology, '');
    this.ttl = String(opts.ttlMs);
    this.chunkSize = chunkSize;
    // defineCommand runs EVALSHA and falls back to EVAL on NOSCRIPT (e.g. after a Redis restart).
    if (typeof (redis as unknown as Record<string, unknown>)[ADMIT_COMMAND] !== 'function') {
      redis.defineCommand(ADMIT_COMMAND, { lua: ADMIT_LUA });
    }
  }

  /**
   * For each record of one partition (keys and offsets in offset order): true = new, or marked
   * earlier by this same position (a replay); false = a duplicate, in this batch or earlier. All
   * or nothing: on any Redis error it throws REDIS_UNAVAILABLE (retriable), and retrying the same
   * records is safe.
   */
  async admit(partition: number, keys: readonly string[], offsets: readonly number[]): Promise<boolean[]> {
    if (keys.length !== offsets.length) throw new SluiceError('INTERNAL', `dedup admit got ${keys.length} keys for ${offsets.length} offsets`);
    const result = new Array<boolean>(keys.length);
    if (keys.length === 0) return result;
    const starts: number[] = [];
    for (let i = 0; i < keys.length; i += this.chunkSize) starts.push(i);
    // All chunks are sent at once: one connection keeps them in order, Redis runs them one by one.
    const replies = await this.run('admit', () =>
      Promise.all(starts.map((i) => this.admitChunk(partition, keys.slice(i, i + this.chunkSize), offsets.slice(i, i + this.chunkSize)))),
    );
    starts.forEach((start, c) => {
      const reply = replies[c];
      const n = Math.min(this.chunkSize, keys.length - start);
      if (typeof reply !== 'string' || reply.length !== n) {
        throw new SluiceError('INTERNAL', `dedup script answered ${JSON.stringify(reply)?.slice(0, 80)} for ${n} keys`);
      }
      for (let j = 0; j < n; j++) result[start + j] = reply.charCodeAt(j) === ONE;
    });
    return result;
  }

  /**
   * Ensures the partition's marker exists (no TTL); call it on assignment, before admitting. 'created'
   * while a checkpoint exists means this Redis lost its data (restart without persistence, flush,
   * eviction), so earlier marks are gone: the runtime decides what then.
   */
  async ensureMarker(partition: number): Promise<'present' | 'created'> {
    const reply = await this.run('ensureMarker', () =>
      this.redis.set(markerKey(this.topology, partition), new Date().toISOString(), 'NX'),
    );
    return reply === 'OK' ? 'created' : 'present';
  }

  private admitChunk(partition: number, keys: string[], offsets: readonly number[]): Promise<unknown> {
    const command = (this.redis as unknown as Record<string, AdmitCommand>)[ADMIT_COMMAND]!;
    const packed = keys.join('');
    return command.call(this.redis, 1, this.prefix, this.ttl, packed, byteLengths(keys, packed).join(','), String(partition), offsets.join(','));
  }

  private async run<T>(op: string, fn: () => Promise<T>): Promise<T> {
    try {
      await whenReady(this.redis);
      return await fn();
    } catch (e) {
      if (isSluiceError(e)) throw e;
      const { host, port } = this.redis.options;
      throw new SluiceError(
        'REDIS_UNAVAILABLE',
        `Redis ${host}:${port} unavailable during dedup ${op}: ${e instanceof Error ? e.message : String(e)}`,
        { op, topology: this.topology },
        { cause: e },
      );
    }
  }
}
