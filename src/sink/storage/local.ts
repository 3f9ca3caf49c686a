/**
 * The local folder: today's behaviour. DuckDB writes straight into `<root>/_staging/<token>/`
 * (the spool is the staging folder, so `put` has nothing to do) and publishing is a rename.
 */
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { SluiceError } from '../../errors.js';
import type { ObjectStorage, StoredObject } from './types.js';

const toKey = (root: string, file: string): string => relative(root, file).split(sep).join('/');

/** Rename that is already done when the source is gone and the target exists (a repeat). */
async function moveOnce(from: string, to: string): Promise<'copied' | 'done'> {
  await mkdir(dirname(to), { recursive: true });
  try {
    await rename(from, to);
    return 'copied';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    await stat(to); // neither staged nor published: the file is lost, fail loudly
    return 'done';
  }
}

/** Files (and empty folders, as `dir/`) under `dir`, recursively. */
async function walk(root: string, dir: string, out: StoredObject[]): Promise<void> {
  const names = await readdir(dir).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' || e.code === 'ENOTDIR' ? [] : Promise.reject(e)));
  if (names.length === 0 && dir !== root) {
    const s = await stat(dir).catch(() => undefined);
    if (s) out.push({ key: `${toKey(root, dir)}/`, modified: s.mtimeMs, size: 0 });
  }
  for (const name of names) {
    const p = join(dir, name);
    const s = await stat(p).catch(() => undefined);
    if (s?.isDirectory()) await walk(root, p, out);
    else if (s) out.push({ key: toKey(root, p), modified: s.mtimeMs, size: s.size });
  }
}

export function localStorage(root: string, field: string): ObjectStorage {
  const path = (key: string) => join(root, ...key.split('/'));
  return {
    backend: 'local',
    location: root,
    spool: join(root, '_staging'),
    async check() {
      const probe = join(root, '_staging', `.probe-${process.pid}`);
      try {
        await mkdir(dirname(probe), { recursive: true });
        await writeFile(probe, '');
        await rm(probe, { force: true });
      } catch (e) {
        throw new SluiceError('SINK_PATH_UNWRITABLE', `${field}: cannot write Parquet files under ${root}: ${(e as Error).message}`, { root }, { cause: e });
      }
    },
    async put(key, file) {
      if (path(key) === file) return; // DuckDB wrote it in place
      await mkdir(dirname(path(key)), { recursive: true });
      await copyFile(file, path(key));
    },
    copyOnce: (from, to) => moveOnce(path(from), path(to)),
    async list(prefix) {
      // walk the deepest folder the prefix names, keep what starts with it
      const dir = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
      const out: StoredObject[] = [];
      await walk(root, path(dir), out);
      return out.filter((o) => o.key.startsWith(prefix));
    },
    deletePrefix: (prefix) => rm(path(prefix.replace(/\/$/, '')), { recursive: true, force: true }),
    get: (key) => readFile(path(key)).catch((e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? undefined : Promise.reject(e))),
    close: async () => undefined,
  };
}
