/**
 * Replay-safe dedup in Redis (docs/exactly-once.md, "Replay-safe dedup").
 * Redis is outside the Kafka transaction, so a key's value is the source position that marked
 * it: a batch that aborted and is replayed finds its own marks and keeps its records, while any
 * other position holding the key is a duplicate.
 */
import type { Redis } from 'ioredis';
import { SluiceError, isSluiceError } from '../errors.js';
import { firstOccurrences, type DedupEntry } from './batch.js';
import { dedupKey, markerKey } from './keys.js';
import { whenReady } from './redis-client.js';

export { createRedis, type CreateRedisOptions } from './redis-client.js';

// KEYS = dedup keys; ARGV[1] = ttl ms, ARGV[2] = the positions of KEYS, comma-separated. Returns a
// string with one character per key: '1' = new, '0' = duplicate. One packed argument and one string
// reply rather than an argument and an integer per key: ioredis spends about half the CPU on them.
// SET NX then GET (not `SET NX GET`, which needs Redis 7) — the GET runs only for the few non-new keys.
const ADMIT_LUA = `
local ttl = ARGV[1]
local positions = ARGV[2]
local out = {}
local from = 1
for i = 1, #KEYS do
  local comma = string.find(positions, ',', from, true)
  local pos = string.sub(positions, from, (comma or 0) - 1)
  from = (comma or #positions) + 1
  if redis.call('SET', KEYS[i], pos, 'NX', 'PX', ttl) or redis.call('GET', KEYS[i]) == pos then
    out[i] = '1'
  else
    out[i] = '0'
  end
end
return table.concat(out)
`;
const ADMIT_COMMAND = 'sluiceDedupAdmit';
// ioredis flattens array arguments, so thousands of keys need no spread into a call.
type AdmitCommand = (numKeys: number, keys: string[], ttl: string, positions: string) => Promise<unknown>;

const ONE = '1'.charCodeAt(0);

/** Positions travel comma-separated; positionOf() never makes a comma, anything else is a bug. */
function position(p: string): string {
  if (p.includes(',') || p.length === 0) throw new SluiceError('INTERNAL', `dedup position ${JSON.stringify(p)} must be non-empty and without commas`);
  return p;
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
    this.ttl = String(opts.ttlMs);
    this.chunkSize = chunkSize;
    // defineCommand runs EVALSHA and falls back to EVAL on NOSCRIPT (e.g. after a Redis restart).
    if (typeof (redis as unknown as Record<string, unknown>)[ADMIT_COMMAND] !== 'function') {
      redis.defineCommand(ADMIT_COMMAND, { lua: ADMIT_LUA });
    }
  }

  /**
   * For each entry (in offset order): true = new, or marked earlier by this same position (a
   * replay); false = a duplicate, in this batch or earlier. All or nothing: on any Redis error
   * it throws REDIS_UNAVAILABLE (retriable), and retrying the same entries is safe.
   */
  async admit(entries: readonly DedupEntry[]): Promise<boolean[]> {
    const result = new Array<boolean>(entries.length).fill(false);
    const firsts = firstOccurrences(entries);
    if (firsts.length === 0) return result;
    const chunks: number[][] = [];
    for (let i = 0; i < firsts.length; i += this.chunkSize) chunks.push(firsts.slice(i, i + this.chunkSize));
    // All chunks are sent at once: one connection keeps them in order, Redis runs them one by one.
    const replies = await this.run('admit', () =>
      Promise.all(
        chunks.map((idx) => {
          const keys = idx.map((i) => dedupKey(this.topology, entries[i]!.key));
          return this.admitChunk(keys, idx.map((i) => position(entries[i]!.position)).join(','));
        }),
      ),
    );
    chunks.forEach((idx, c) => {
      const reply = replies[c];
      if (typeof reply !== 'string' || reply.length !== idx.length) {
        throw new SluiceError('INTERNAL', `dedup script answered ${JSON.stringify(reply)?.slice(0, 80)} for ${idx.length} keys`);
      }
      for (let j = 0; j < idx.length; j++) result[idx[j]!] = reply.charCodeAt(j) === ONE;
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

  private admitChunk(keys: string[], positions: string): Promise<unknown> {
    const command = (this.redis as unknown as Record<string, AdmitCommand>)[ADMIT_COMMAND]!;
    return command.call(this.redis, keys.length, keys, this.ttl, positions);
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
