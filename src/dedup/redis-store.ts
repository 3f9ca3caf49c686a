/**
 * Replay-safe dedup in Redis (docs/exactly-once.md, "Replay-safe dedup").
 * Redis is outside the Kafka transaction, so a key's value is the source position that marked
 * it: a batch that aborted and is replayed finds its own marks and keeps its records, while any
 * other position holding the key is a duplicate.
 */
import type { Redis } from 'ioredis';
import { SluiceError, isSluiceError } from '../errors.js';
import { ADMIT_LUA, MARKER_LUA } from './admit-script.js';
import { formatKey, legacyKey, markerKey, slotPrefix } from './keys.js';
import { whenReady } from './redis-client.js';

export { createRedis, type CreateRedisOptions } from './redis-client.js';

// ioredis commands of admit-script.ts, defined once per client (EVALSHA, EVAL on NOSCRIPT)
const ADMIT_COMMAND = 'sluiceDedupAdmit2';
const MARKER_COMMAND = 'sluiceDedupMarker2';
type Script = (numKeys: number, ...args: string[]) => Promise<unknown>;

const ONE = '1'.charCodeAt(0);

/**
 * `<UTF-8 length> <offset>,` per key, as ADMIT_LUA reads them: each key's .length when all are
 * ASCII (one byte per UTF-16 unit), checked once on the whole.
 */
function lengthsAndOffsets(keys: readonly string[], packed: string, offsets: readonly number[]): string {
  const ascii = Buffer.byteLength(packed, 'utf8') === packed.length;
  let out = '';
  for (let i = 0; i < keys.length; i++) out += `${ascii ? keys[i]!.length : Buffer.byteLength(keys[i]!, 'utf8')} ${offsets[i]},`;
  return out;
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
  /** The script's KEYS: slot prefix, format key, legacy prefix (keys.ts). */
  private readonly keys: [string, string, string];
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
    this.keys = [slotPrefix(opts.topology), formatKey(opts.topology), legacyKey(opts.topology, '')];
    this.ttl = String(opts.ttlMs);
    this.chunkSize = chunkSize;
    // defineCommand runs EVALSHA and falls back to EVAL on NOSCRIPT (e.g. after a Redis restart).
    for (const [name, lua] of [[ADMIT_COMMAND, ADMIT_LUA], [MARKER_COMMAND, MARKER_LUA]] as const) {
      if (typeof (redis as unknown as Record<string, unknown>)[name] !== 'function') redis.defineCommand(name, { lua });
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
      this.script(MARKER_COMMAND)(2, markerKey(this.topology, partition), this.keys[1], this.ttl, new Date().toISOString()),
    );
    if (reply !== 'created' && reply !== 'present') throw new SluiceError('INTERNAL', `dedup marker script answered ${JSON.stringify(reply)}`);
    return reply;
  }

  private admitChunk(partition: number, keys: string[], offsets: readonly number[]): Promise<unknown> {
    const packed = keys.join('');
    return this.script(ADMIT_COMMAND)(3, ...this.keys, this.ttl, packed, lengthsAndOffsets(keys, packed, offsets), String(partition));
  }

  private script(name: string): Script {
    const command = (this.redis as unknown as Record<string, Script>)[name]!;
    return command.bind(this.redis);
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
