/**
 * Storage backends by the scheme of `sinks.parquet.path`: `s3://bucket/prefix` is a bucket,
 * anything else a local folder (relative to the topology file). One table, no branches elsewhere.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isAlive } from '../../runtime/process-alive.js';
import type { StorageBackend } from '../../telemetry/metrics.js';
import { localStorage } from './local.js';
import { s3Settings } from './s3-settings.js';
import type { ObjectStorage } from './types.js';

export interface StorageOptions {
  /** Folder of the topology file: a relative local path resolves from here. */
  baseDir: string;
  /** The topology's name: names this process's spool folder. */
  topology: string;
  /** Where a remote backend's spool goes (sluice run --state-dir), else the OS temp folder. */
  spoolBase?: string;
  /** `file: sinks.parquet.path`, for messages. */
  field: string;
  /** Variables the backend reads its settings from (default process.env). */
  env?: NodeJS.ProcessEnv;
}

interface Backend {
  matches(path: string): boolean;
  open(path: string, o: StorageOptions): Promise<ObjectStorage>;
}

const backends: Record<StorageBackend, Backend> = {
  s3: {
    matches: (path) => path.startsWith('s3://'),
    async open(path, o) {
      const settings = s3Settings(path, o.field, o.env ?? process.env);
      // the AWS SDK loads only for a bucket (on Node 20 it warns once that later releases need 22)
      const { s3Storage } = await import('./s3.js');
      return s3Storage(settings, { spool: await spoolFolder(o), field: o.field });
    },
  },
  local: {
    matches: () => true,
    open: async (path, o) => localStorage(resolve(o.baseDir, path), o.field),
  },
};

/** Opens the backend `path` names (no I/O but the spool folder; `check()` talks to it). */
export function openStorage(path: string, o: StorageOptions): Promise<ObjectStorage> {
  const name = (Object.keys(backends) as StorageBackend[]).find((b) => backends[b].matches(path))!;
  return backends[name].open(path, o);
}

/**
 * `<base>/sluice-spool/<topology>-<pid>`: this process's own, so replicas sharing a disk never
 * share files; the folders of processes that are gone are removed (a SIGKILL leaves one behind).
 */
async function spoolFolder(o: StorageOptions): Promise<string> {
  const parent = join(o.spoolBase ?? tmpdir(), 'sluice-spool');
  const mine = join(parent, `${o.topology}-${process.pid}`);
  for (const name of await readdir(parent).catch(() => [] as string[])) {
    const pid = name.startsWith(`${o.topology}-`) ? Number(name.slice(o.topology.length + 1)) : NaN;
    if (Number.isInteger(pid) && pid !== process.pid && !isAlive(pid)) await rm(join(parent, name), { recursive: true, force: true });
  }
  await rm(mine, { recursive: true, force: true });
  await mkdir(mine, { recursive: true });
  return mine;
}
