/**
 * Parquet sink, two-phase like arroyo's file sinks, on any storage backend (./storage/):
 * DuckDB writes each closed window into a local spool folder and the file is stored under
 * `_staging/<token>/` before the transaction; after the commit it is copied once to its
 * deterministic key and a manifest entry beside it under `_manifest/`, then the staging goes.
 * Keys starting with `_` are not data: a glob over `window_date=…/*.parquet` sees exactly the
 * committed windows. Contract: if staging fails the batch is aborted; publish is idempotent and
 * recovery (by whichever replica owns the partition next) repeats it from the storage alone.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SluiceError } from '../errors.js';
import type { FileRef } from '../window/kinds.js';
import type { ObjectStorage } from './storage/types.js';
import type { ClosedWindows, Sink } from './types.js';

const compact = (ms: number): string => new Date(ms).toISOString().replace(/[-:]/g, '').replace('.', '');

/**
 * Deterministic key of a file, relative to the sink root: a time window's bounds, or for the
 * sessions one commit closed their smallest start, largest end and the commit's position (`_o`).
 */
export function parquetPath(f: FileRef, partition: number): string {
  const day = new Date(f.start).toISOString().slice(0, 10);
  return `window_date=${day}/${compact(f.start)}_${compact(f.end)}_p${partition}${f.seq === undefined ? '' : `_o${f.seq}`}.parquet`;
}

const flat = (rel: string): string => rel.replace(/\//g, '__');
const stagingKey = (token: string, name = ''): string => `_staging/${token}/${name}`;

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

export interface ParquetSinkOptions { storage: ObjectStorage; topology: string; orphanAgeMs: number }

export function parquetSink(opts: ParquetSinkOptions): Sink {
  const { storage } = opts;
  const spool = (token: string) => join(storage.spool, token);
  const inSpool = storage.backend === 'local'; // the local folder's spool is its staging: nothing to upload or remove

  async function publish(partition: number, token: string, files: readonly FileRef[]): Promise<void> {
    for (const w of files) {
      const rel = parquetPath(w, partition);
      // the data before its manifest entry: an entry always names a file that exists
      await storage.copyOnce(stagingKey(token, flat(rel)), rel);
      await storage.copyOnce(stagingKey(token, `${flat(rel)}.json`), `_manifest/${rel}.json`);
    }
    await storage.deletePrefix(stagingKey(token));
  }

  async function stage(closed: ClosedWindows, token: string): Promise<void> {
    const dir = spool(token);
    await mkdir(dir, { recursive: true });
    try {
      for (const f of closed.files) {
        const rel = parquetPath(f, closed.partition);
        const file = join(dir, flat(rel));
        const rows = await closed.writeParquet(f.windows, file);
        const sessions = f.seq === undefined ? {} : { sessions: f.windows.length };
        const entry = { file: rel, topology: opts.topology, partition: closed.partition, window_start: f.start, window_end: f.end, ...sessions, rows, sha256: await sha256(file) };
        await writeFile(`${file}.json`, JSON.stringify(entry) + '\n');
        await storage.put(stagingKey(token, flat(rel)), file);
        await storage.put(stagingKey(token, `${flat(rel)}.json`), `${file}.json`);
      }
    } finally {
      if (!inSpool) await rm(dir, { recursive: true, force: true });
    }
  }

  async function recover(partition: number, token: string | undefined, files: readonly FileRef[]): Promise<void> {
    if (token && files.length > 0) await publish(partition, token, files);
    // Staging of a transaction older than twice the transaction timeout can never commit: remove
    // it. Younger tokens may belong to the partition's current owner (we may be a zombie).
    const newest = new Map<string, number>();
    for (const o of await storage.list(`_staging/p${partition}-`)) {
      const t = o.key.split('/')[1]!;
      newest.set(t, Math.max(newest.get(t) ?? 0, o.modified));
    }
    for (const [t, modified] of newest) if (Date.now() - modified > opts.orphanAgeMs) await storage.deletePrefix(stagingKey(t));
  }

  const guarded = <A extends unknown[]>(fn: (...a: A) => Promise<void>) => (...a: A) => storageCall(storage.location, () => fn(...a));
  return {
    kind: 'parquet',
    stage: guarded(stage),
    publish: guarded(publish),
    discard: async (token) => {
      await rm(spool(token), { recursive: true, force: true });
      if (!inSpool) await storage.deletePrefix(stagingKey(token));
    },
    recover: guarded(recover),
  };
}

/** A failed storage operation is an outage of the storage (the partition waits, logged once), not a bad batch. */
async function storageCall<T>(location: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof SluiceError) throw e;
    throw new SluiceError('STORAGE_UNAVAILABLE', `writing Parquet under ${location} failed: ${(e as Error).message}`, { location }, { cause: e });
  }
}
