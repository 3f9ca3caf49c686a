/**
 * The one way sluice opens DuckDB: topology SQL (metric expressions) runs in it, so it can reach
 * no file, network or extension except the folders a sink writes to, and cannot change that.
 * Validation and the runtime both open it here, so a metric refused at run is refused at validate.
 * Settings: https://duckdb.org/docs/stable/operations_manual/securing_duckdb/overview
 */
import { sep } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { sqlString } from './sql.js';

export interface DuckOptions {
  /** Worker threads (default 1, see DuckState.open). */
  threads?: number;
  /** DuckDB `memory_limit`, e.g. '2GB'; unset: DuckDB's default (80 % of RAM). */
  memoryLimit?: string;
  /** Spill folder (`temp_directory`); DuckDB keeps access to it with external access off. */
  tempDirectory?: string;
  /** Folders (prefixes) COPY … TO may write: the Parquet sink's staging folder. Nothing else is reachable. */
  allowedDirectories?: readonly string[];
}

/**
 * Opens `path` (':memory:' or the state file, opened before the lock) and locks it down. Order
 * matters: temp_directory and allowed_directories can only be set while external access is on,
 * and nothing at all once the configuration is locked (checked on 1.5.6), so every setting comes
 * before the last two. A new setting (e.g. max_temp_directory_size) belongs in the same list.
 */
export async function openSandboxed(path: string, options: DuckOptions = {}): Promise<DuckDBInstance> {
  const instance = await DuckDBInstance.create(path, {
    threads: String(options.threads ?? 1),
    // never download or load extensions behind a query's back (httpfs for an http:// path, …)
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
  });
  const settings = [
    ...(options.memoryLimit !== undefined ? [`SET memory_limit = ${sqlString(options.memoryLimit)}`] : []),
    ...(options.tempDirectory !== undefined ? [`SET temp_directory = ${sqlString(options.tempDirectory)}`] : []),
    // a list setting: not accepted by DuckDBInstance.create's string options (checked on 1.5.6)
    ...(options.allowedDirectories?.length ? [`SET allowed_directories = [${options.allowedDirectories.map((d) => sqlString(asFolder(d))).join(', ')}]`] : []),
    'SET enable_external_access = false',
    'SET lock_configuration = true',
  ];
  try {
    const conn = await instance.connect();
    try {
      for (const s of settings) await conn.run(s);
    } finally {
      conn.closeSync();
    }
    return instance;
  } catch (e) {
    instance.closeSync();
    throw e;
  }
}

// a prefix match: "/data/out" would also allow "/data/out-other"
const asFolder = (dir: string): string => (dir.endsWith(sep) ? dir : `${dir}${sep}`);
