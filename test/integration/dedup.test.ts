/**
 * DedupStore against the real Redis (REDIS_URL): replay-safe marks, TTL, chunking, and a Redis
 * of our own that is killed and restarted to show fail-fast errors and recovery of one client.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { Redis } from 'ioredis';
import { formatKey, legacyKey, markerKey, slotPrefix } from '../../src/dedup/keys.js';
import { DedupStore, createRedis } from '../../src/dedup/redis-store.js';
import { isSluiceError, SluiceError } from '../../src/errors.js';
import { retryWithBackoff } from '../../src/runtime/backoff.js';
import { waitFor } from '../support/read.js';
import { endpoints, randomName } from '../support/services.js';

type Entry = { key: string; partition: number; offset: number };
const e = (key: string, partition: number, offset: number): Entry => ({ key, partition, offset });

const redis = createRedis(endpoints().redisUrl);
const topologies: string[] = [];
const written = new Set<string>(); // every key these tests may create, deleted exactly (no SCAN of a shared Redis)
const T0 = Date.now();

/** The slot hashes a topology's store may have written since the tests began (the slice is in its format key). */
async function slotsOf(topology: string): Promise<string[]> {
  const f = await redis.get(formatKey(topology));
  if (!f) return [];
  const slice = Number(f.split(' ')[0]);
  const slots: string[] = [];
  for (let s = Math.floor(T0 / slice) - 1; s <= Math.floor(Date.now() / slice) + 1; s++) slots.push(`${slotPrefix(topology)}${s}`);
  return slots;
}

/** The position holding a dedup key, wherever its slot is. */
async function markOf(topology: string, key: string): Promise<string | null> {
  for (const slot of await slotsOf(topology)) {
    const v = await redis.hget(slot, key);
    if (v !== null) return v;
  }
  return null;
}
/** A store whose admit() takes entries; a run of entries of one partition is one call (as a batch of one task). */
const newStore = (opts: { ttlMs?: number; chunkSize?: number } = {}) => {
  const topology = randomName('t-dedup');
  topologies.push(topology);
  const store = new DedupStore(redis, { topology, ttlMs: 60_000, ...opts });
  const ensureMarker = store.ensureMarker.bind(store);
  store.ensureMarker = (partition) => {
    written.add(markerKey(topology, partition));
    return ensureMarker(partition);
  };
  const admit = async (entries: Entry[]): Promise<boolean[]> => {
    const out: boolean[] = [];
    for (let i = 0; i < entries.length; ) {
      let j = i;
      while (j < entries.length && entries[j]!.partition === entries[i]!.partition) j++;
      const run = entries.slice(i, j);
      out.push(...(await store.admit(entries[i]!.partition, run.map((x) => x.key), run.map((x) => x.offset))));
      i = j;
    }
    return out;
  };
  return Object.assign(store, { admitEntries: admit });
};

afterAll(async () => {
  for (const t of topologies) for (const k of [formatKey(t), ...(await slotsOf(t))]) written.add(k);
  const keys = [...written];
  for (let i = 0; i < keys.length; i += 1_000) await redis.unlink(...keys.slice(i, i + 1_000));
  await redis.quit();
});

describe('DedupStore on the shared Redis', () => {
  it('admits first-seen keys and rejects later positions of the same key', async () => {
    const store = newStore();
    expect(await store.admitEntries([e('a', 0, 1), e('b', 0, 2)])).toEqual([true, true]);
    expect(await store.admitEntries([e('a', 0, 3), e('c', 0, 4), e('b', 1, 0)])).toEqual([false, true, false]);
    expect(await store.admitEntries([])).toEqual([]);
  });

  it('admits a replay of the same positions again (an aborted batch keeps its records)', async () => {
    const store = newStore();
    const batch = [e('a', 0, 10), e('b', 0, 11), e('c', 0, 12)];
    expect(await store.admitEntries(batch)).toEqual([true, true, true]);
    expect(await store.admitEntries(batch)).toEqual([true, true, true]);
    expect(await markOf(topologies.at(-1)!, 'b')).toBe('0:11');
  });

  it('replayed first occurrence wins over a duplicate that came in a later batch', async () => {
    const store = newStore();
    const batch1 = [e('k', 0, 1), e('x', 0, 2)];
    const batch2 = [e('k', 0, 5), e('j', 0, 6)];
    expect(await store.admitEntries(batch1)).toEqual([true, true]); // then batch 1 aborts...
    expect(await store.admitEntries(batch2)).toEqual([false, true]); // ...batch 2 of another attempt sees its marks
    expect(await store.admitEntries(batch1)).toEqual([true, true]); // the replay of batch 1 keeps k
    expect(await store.admitEntries(batch2)).toEqual([false, true]); // and k of batch 2 stays a duplicate
    expect(await store.admitEntries([e('k', 3, 0)])).toEqual([false]); // so does k from another partition
  });

  it('resolves duplicates inside a batch (first by offset wins) and across batches', async () => {
    const store = newStore();
    const batch1 = [e('a', 0, 1), e('a', 0, 2), e('b', 0, 3), e('a', 0, 4)];
    expect(await store.admitEntries(batch1)).toEqual([true, false, true, false]);
    expect(await store.admitEntries([e('b', 0, 5), e('b', 0, 6), e('c', 0, 7), e('c', 0, 8)])).toEqual([false, false, true, false]);
    expect(await store.admitEntries(batch1)).toEqual([true, false, true, false]);
  });

  it('keys of any content travel packed: commas, NUL, multi-byte UTF-8, lone surrogates, empty', async () => {
    const store = newStore();
    const odd = ['a,b', 'a\0b', '', 'é', 'ü,\0x', '日本', '\uD800', '🙂', 'plain'];
    const batch = odd.map((k, i) => e(k, 0, i));
    expect(await store.admitEntries(batch)).toEqual(odd.map(() => true));
    expect(await store.admitEntries(odd.map((k, i) => e(k, 1, i)))).toEqual(odd.map(() => false));
    expect(await store.admitEntries(batch)).toEqual(odd.map(() => true)); // a replay finds its own positions
    expect(await markOf(topologies.at(-1)!, 'ü,\0x')).toBe('0:4');
    expect(await markOf(topologies.at(-1)!, 'a,b')).toBe('0:0');
    // ASCII only: lengths are the keys' own; one non-ASCII key among them: every length in bytes
    expect(await store.admitEntries([e('x,y', 0, 20), e('zz', 0, 21)])).toEqual([true, true]);
    expect(await store.admitEntries([e('x,y', 0, 22), e('zz', 0, 21)])).toEqual([false, true]);
  });

  it('keeps topologies apart', async () => {
    const [s1, s2] = [newStore(), newStore()];
    expect(await s1.admitEntries([e('same', 0, 1)])).toEqual([true]);
    expect(await s2.admitEntries([e('same', 0, 9)])).toEqual([true]);
    expect(await s1.admitEntries([e('same', 0, 9)])).toEqual([false]);
  });

  it('forgets a key after its TTL: its slot expires as a whole, at most two slices (ttl/2 each) later', async () => {
    const store = newStore({ ttlMs: 200 });
    const topology = topologies.at(-1)!;
    expect(await store.admitEntries([e('t', 0, 1)])).toEqual([true]);
    expect(await redis.get(formatKey(topology))).toBe('100 0'); // slice = ttl / 2; no legacy lookups
    expect(await redis.pttl(formatKey(topology))).toBeGreaterThan(400); // 3 TTLs: past every slot's expiry
    const [slot] = (await Promise.all((await slotsOf(topology)).map(async (s) => ((await redis.hexists(s, 't')) ? s : undefined)))).filter(Boolean);
    const pttl = await redis.pttl(slot!);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(400);
    expect(await store.admitEntries([e('t', 0, 2)])).toEqual([false]);
    await waitFor(async () => (await redis.exists(slot!)) === 0, 10_000, () => 'the slot to expire');
    expect(await store.admitEntries([e('t', 0, 2)])).toEqual([true]);
  });

  it('keeps its slice when the TTL changes, so earlier marks are still found', async () => {
    const store = newStore({ ttlMs: 60_000 });
    const topology = topologies.at(-1)!;
    expect(await store.admitEntries([e('k', 0, 1)])).toEqual([true]);
    const longer = new DedupStore(redis, { topology, ttlMs: 600_000 });
    expect(await longer.admit(1, ['k', 'j'], [7, 8])).toEqual([false, true]);
    expect(await redis.get(formatKey(topology))).toBe('30000 0');
  });

  it('after an upgrade from one key per mark, reads the old marks for one more TTL', async () => {
    const store = newStore({ ttlMs: 60_000 });
    const topology = topologies.at(-1)!;
    // what sluice wrote before slots: a marker without "v2 " and one string key per mark
    for (const k of [markerKey(topology, 0), legacyKey(topology, 'old')]) written.add(k);
    await redis.set(markerKey(topology, 0), '2026-11-30T10:00:00.000Z');
    await redis.set(legacyKey(topology, 'old'), '0:5', 'PX', 60_000);
    expect(await store.ensureMarker(0)).toBe('present');
    expect(await redis.get(markerKey(topology, 0))).toBe('v2 2026-11-30T10:00:00.000Z');
    const [slice, until] = (await redis.get(formatKey(topology)))!.split(' ').map(Number);
    expect(slice).toBe(30_000);
    expect(until! - Date.now()).toBeGreaterThan(50_000); // one TTL from the upgrade
    expect(await store.admitEntries([e('old', 1, 9), e('old', 0, 5), e('new', 0, 6)])).toEqual([false, true, true]);
    expect(await store.ensureMarker(0)).toBe('present'); // a v2 marker: the legacy window is not extended
    expect(Number((await redis.get(formatKey(topology)))!.split(' ')[1])).toBe(until);
  });

  it('a fresh topology never reads one-key-per-mark keys', async () => {
    const store = newStore();
    const topology = topologies.at(-1)!;
    written.add(legacyKey(topology, 'x'));
    await redis.set(legacyKey(topology, 'x'), '3:3', 'PX', 60_000);
    expect(await store.ensureMarker(0)).toBe('created');
    expect(await redis.get(markerKey(topology, 0))).toMatch(/^v2 /);
    expect(await store.admitEntries([e('x', 0, 1)])).toEqual([true]);
  });

  it('splits more keys than chunkSize into one Lua call per chunk, in order (a duplicate in a later chunk is one)', async () => {
    const store = newStore({ chunkSize: 50 });
    // 180 distinct keys, each followed later by an in-batch duplicate of every 7th key
    const batch = Array.from({ length: 180 }, (_, i) => e(`k${i}`, 0, i));
    for (let i = 0; i < 180; i += 7) batch.push(e(`k${i}`, 0, 1_000 + i));
    const spy = vi.spyOn(redis as unknown as Record<string, (...a: unknown[]) => unknown>, 'sluiceDedupAdmit2');
    try {
      const out = await store.admitEntries(batch);
      expect(spy).toHaveBeenCalledTimes(5); // ceil(206 / 50): the script settles in-batch duplicates too, in order
      expect(out.slice(0, 180).every(Boolean)).toBe(true);
      expect(out.slice(180).some(Boolean)).toBe(false);
    } finally {
      spy.mockRestore();
    }
    const later = Array.from({ length: 180 }, (_, i) => e(`k${i}`, 1, i));
    expect((await store.admitEntries(later)).some(Boolean)).toBe(false);
    expect((await store.admitEntries(batch)).filter(Boolean)).toHaveLength(180);
  });

  it('connects a lazyConnect client on first use', async () => {
    const lazy = createRedis(endpoints().redisUrl, { lazyConnect: true });
    try {
      expect(lazy.status).toBe('wait');
      expect(await newStore().ensureMarker(7)).toBe('created'); // shared client
      expect(await new DedupStore(lazy, { topology: topologies.at(-1)!, ttlMs: 1_000 }).ensureMarker(7)).toBe('present');
    } finally {
      await lazy.quit();
    }
  });

  it('keeps a marker per partition: created once, then present', async () => {
    const store = newStore();
    expect(await store.ensureMarker(0)).toBe('created');
    expect(await store.ensureMarker(0)).toBe('present');
    expect(await store.ensureMarker(1)).toBe('created');
    expect(await redis.ttl(markerKey(topologies.at(-1)!, 0))).toBe(-1);
  });
});

describe('DedupStore when Redis goes down', () => {
  let server: ChildProcess | undefined;
  let dir: string | undefined;
  let client: Redis | undefined;

  afterAll(async () => {
    client?.disconnect();
    if (server) await stopServer(server);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('fails fast with REDIS_UNAVAILABLE and the same client recovers after a restart', async () => {
    const port = await freePort();
    dir = mkdtempSync(join(tmpdir(), 'sluice-redis-'));
    server = await startServer(port, dir);
    client = createRedis(`redis://127.0.0.1:${port}`);
    const store = new DedupStore(client, { topology: randomName('t-down'), ttlMs: 60_000 });
    expect(await store.admit(0, ['a'], [1])).toEqual([true]); // the first command waits for the handshake
    expect(await store.ensureMarker(0)).toBe('created');

    await stopServer(server);
    server = undefined;
    for (const call of [() => store.admit(0, ['b'], [2]), () => store.ensureMarker(0), () => store.admit(0, ['c'], [3])]) {
      const err = await call().then(() => undefined, (x: unknown) => x);
      expect(err).toBeInstanceOf(SluiceError);
      expect(err).toMatchObject({ code: 'REDIS_UNAVAILABLE', retriable: true, domain: 'external' });
      // fast = refused because Redis is down, not after a connect or command timeout ran out
      expect((err as Error).message).not.toMatch(/not ready within|timed out/i);
    }

    // retry as the runtime does; Redis comes back on the same port meanwhile
    const outages = { start: 0, end: 0, attempts: 0 };
    let calls = 0;
    const retried = retryWithBackoff(() => (calls++, store.admit(0, ['a', 'd'], [1, 4])), {
      isRetriable: (x) => isSluiceError(x) && x.retriable,
      onOutageStart: () => outages.start++,
      onOutageEnd: (_ms, attempts) => {
        outages.end++;
        outages.attempts = attempts;
      },
      initialMs: 50,
      maxMs: 400,
    });
    await waitFor(() => calls >= 3, 10_000, () => 'retries that meet the outage'); // the third call began: two failed
    server = await startServer(port, dir);
    // the restarted Redis kept nothing (no persistence): 'a' is new again and the marker is gone
    expect(await retried).toEqual([true, true]);
    expect(outages).toMatchObject({ start: 1, end: 1 });
    expect(outages.attempts).toBeGreaterThan(1);
    expect(await store.ensureMarker(0)).toBe('created');
    expect(await store.admit(0, ['d'], [5])).toEqual([false]);
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Starts redis-server as our child (not daemonized), so we know exactly when it has exited. */
async function startServer(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
    stdio: 'ignore',
  });
  const deadline = Date.now() + 10_000;
  while (!(await pings(port))) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return child;
}

/** SIGKILL, as a crash: no shutdown handshake with clients. */
function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => done(d.toString().startsWith('+PONG')));
  });
}
