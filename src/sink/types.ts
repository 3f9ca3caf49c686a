/**
 * The sink contract (one sentence each, after quix-streams): `stage` runs before the commit, while
 * the transaction's records are sent, and may fail the batch (it is then aborted and replayed);
 * `messages` go into the transaction; `publish` runs after the commit and must be idempotent,
 * because recovery repeats it.
 */
import type { Message } from 'kafkajs';
import type { WindowSink } from '../telemetry/metrics.js';
import type { FileRef, OutputFile, TimeWindow } from '../window/kinds.js';

export interface ClosedWindows {
  partition: number;
  windows: TimeWindow[];
  /** Their Parquet files: one per time window, one for all the sessions of a commit (kinds.ts). */
  files: OutputFile[];
  /** Aggregate rows of those windows, ordered by window_start then group_by. */
  rows: Array<Record<string, unknown>>;
  /** Writes the rows of one file's windows as Parquet to `file`; returns the row count. */
  writeParquet(windows: readonly TimeWindow[], file: string): Promise<number>;
}

export interface Sink {
  readonly kind: WindowSink;
  /** Step 6: make outputs ready but invisible, under the batch's staging token (kept in the checkpoint). */
  stage?(closed: ClosedWindows, token: string): Promise<void>;
  /** Step 7: records to produce in the batch's transaction. */
  messages?(closed: ClosedWindows): Promise<Array<{ topic: string; messages: Message[] }>>;
  /** Step 6 or 7 failed before the commit was attempted: remove what `stage` made under `token`. */
  discard?(token: string): Promise<void>;
  /** Step 8: make staged outputs visible; idempotent. */
  publish?(partition: number, token: string, files: readonly FileRef[]): Promise<void>;
  /** On assignment: roll forward the last checkpoint's pending outputs, remove dead staging. */
  recover?(partition: number, token: string | undefined, files: readonly FileRef[]): Promise<void>;
  close?(): Promise<void>;
}
