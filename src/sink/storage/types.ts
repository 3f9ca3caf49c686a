/**
 * Where the Parquet sink keeps its files, behind one small interface so that the two-phase
 * protocol (src/sink/parquet.ts) is written once for a local folder and for an S3 bucket.
 * Keys are relative to the sink's root (`window_date=…/x.parquet`, `_staging/<token>/…`), with `/`.
 */
import type { StorageBackend } from '../../telemetry/metrics.js';

export interface StoredObject {
  key: string;
  /** Last modification, epoch ms (the server's clock for a bucket). */
  modified: number;
  size: number;
}

export interface ObjectStorage {
  readonly backend: StorageBackend;
  /** Where the files go, for messages: a folder, or s3://bucket/prefix (never a credential). */
  readonly location: string;
  /** Local folder DuckDB writes staged files into before `put`: the one its sandbox may write. */
  readonly spool: string;
  /** At start: the root can be written (and the credentials work); throws SINK_PATH_UNWRITABLE when not. */
  check(): Promise<void>;
  /** Stores the local `file` (under `spool`) as `key`; a whole object or nothing. */
  put(key: string, file: string): Promise<void>;
  /**
   * Makes `to` hold what `from` holds, once: done when `to` exists already (a repeat after a
   * crash), an error when neither exists (the file is lost: fail loudly, never skip it).
   */
  copyOnce(from: string, to: string): Promise<'copied' | 'done'>;
  /** Objects whose key starts with `prefix` (folder markers of a local folder: empty folders, as `dir/`). */
  list(prefix: string): Promise<StoredObject[]>;
  /** Removes every object under `prefix` (a "folder": ends with `/`). */
  deletePrefix(prefix: string): Promise<void>;
  /** The object's bytes, or undefined when there is none. */
  get(key: string): Promise<Buffer | undefined>;
  close(): Promise<void>;
}
