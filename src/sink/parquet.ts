/**
 * Parquet sink, two-phase like arroyo's file sinks: DuckDB writes each closed window to
 * `<root>/_staging/<token>/` before the transaction; after the commit the files are renamed to
 * deterministic names and a manifest entry is written. Folders starting with `_` are not data:
 * a glob over `<root>/window_date=.../*.parquet` sees exactly the committed windows.
 * Contract: if staging fails the batch is aborted; publish is idempotent and recovery repeats it.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SluiceError } from '../errors.js';
import type { TimeWindow } from '../window/kinds.js';
import type { ClosedWindows, Sink } from './types.js';

const compact = (ms: number): string => new Date(ms).toISOString().replace(/[-:]/g, '').replace('.', '');

/** Deterministic path of a window's file, relative to the sink root. */
export function parquetPath(w: TimeWindow, partition: number): string {
  const day = new Date(w.start).toISOString().slice(0, 10);
  return `window_date=${day}/${compact(w.start)}_${compact(w.end)}_p${partition}.parquet`;
}

const flat = (rel: string): string => rel.replace(/\//g, '__');

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/** Rename that is already done when the source is gone and the target exists (a repeat). */
async function moveOnce(from: string, to: string): Promise<void> {
  await mkdir(dirname(to), { recursive: true });
  try {
    await rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await stat(to); // neither staged nor published: the file is lost, fail loudly
  }
}

/** The folder DuckDB writes a sink's files into before they are published: the only one it may write (window/sandbox.ts). */
export const stagingRoot = (root: string): string => join(root, '_staging');

export interface ParquetSinkOptions { root: string; topology: string; orphanAgeMs: number }

export function parquetSink(opts: ParquetSinkOptions): Sink {
  const staging = (token: string) => join(stagingRoot(opts.root), token);

  async function publish(partition: number, token: string, windows: TimeWindow[]): Promise<void> {
    for (const w of windows) {
      const rel = parquetPath(w, partition);
      await moveOnce(join(staging(token), flat(rel)), join(opts.root, rel));
      await moveOnce(join(staging(token), `${flat(rel)}.json`), join(opts.root, '_manifest', `${rel}.json`));
    }
    await rm(staging(token), { recursive: true, force: true });
  }

  return {
    kind: 'parquet',
    stage: (closed, token) => storage(opts.root, () => stage(closed, token)),
    publish: (partition, token, windows) => storage(opts.root, () => publish(partition, token, windows)),
    discard: (token) => rm(staging(token), { recursive: true, force: true }),
    recover: (partition, token, windows) => storage(opts.root, () => recover(partition, token, windows)),
  };

  async function stage(closed: ClosedWindows, token: string): Promise<void> {
    const dir = staging(token);
    await mkdir(dir, { recursive: true });
    for (const w of closed.windows) {
      const rel = parquetPath(w, closed.partition);
      const file = join(dir, flat(rel));
      const rows = await closed.writeParquet(w, file);
      const entry = { file: rel, topology: opts.topology, partition: closed.partition, window_start: w.start, window_end: w.end, rows, sha256: await sha256(file) };
      await writeFile(`${file}.json`, JSON.stringify(entry) + '\n');
    }
  }

  async function recover(partition: number, token: string | undefined, windows: TimeWindow[]): Promise<void> {
    if (token && windows.length > 0) await publish(partition, token, windows);
    // Staging of a transaction older than the transaction timeout can never commit: remove it.
    // Younger folders may belong to the partition's current owner (we may be a zombie).
    const root = stagingRoot(opts.root);
    const entries = await readdir(root).catch(() => [] as string[]);
    for (const name of entries) {
      if (!name.startsWith(`p${partition}-`)) continue;
      const s = await stat(join(root, name)).catch(() => undefined);
      if (s && Date.now() - s.mtimeMs > opts.orphanAgeMs) await rm(join(root, name), { recursive: true, force: true });
    }
  }
}

/** A failed file operation is an outage of the storage (the partition waits, logged once), not a bad batch. */
async function storage<T>(root: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof SluiceError) throw e;
    throw new SluiceError('STORAGE_UNAVAILABLE', `writing Parquet under ${root} failed: ${(e as Error).message}`, { root }, { cause: e });
  }
}

/** At start: the root exists or can be made, and a file can be written and removed in it. */
export async function checkWritable(root: string, field: string): Promise<void> {
  const probe = join(stagingRoot(root), `.probe-${process.pid}`);
  try {
    await mkdir(dirname(probe), { recursive: true });
    await writeFile(probe, '');
    await rm(probe, { force: true });
  } catch (e) {
    throw new SluiceError('SINK_PATH_UNWRITABLE', `${field}: cannot write Parquet files under ${root}: ${(e as Error).message}`, { root }, { cause: e });
  }
}
