/**
 * The task checkpoint travels as the metadata string of the transactional offset commit
 * (TxnOffsetCommit's `metadata` field), so it is committed atomically with the offset and the
 * outputs by construction and read back with the offset itself (one OffsetFetch, no internal
 * topic to read to its end). The broker caps it at offset.metadata.max.bytes (default 4096),
 * so the pending-window list is bounded per batch (MAX_PENDING_WINDOWS).
 * https://kafka.apache.org/documentation/#brokerconfigs_offset.metadata.max.bytes
 */
import type { Admin } from 'kafkajs';
import { SluiceError } from '../errors.js';
import { packWatermarks, unpackWatermarks, type WatermarkList } from '../repartition/watermarks.js';
import type { FileRef } from '../window/kinds.js';
import { NO_STREAM_TIME } from '../window/task-windows.js';

/** A pending Parquet file: a window's bounds, or for sessions `[smallest start, largest end, position]` (kinds.ts, FileRef). */
export type PendingFile = [start: number, end: number] | [start: number, end: number, seq: number];

export interface Checkpoint {
  /** Next offset the task had read when it committed: [committed offset, position) is replayed in restore mode. */
  position: number;
  /** Stream time (max event time seen) at the commit; NO_STREAM_TIME before the first record. */
  streamTime: number;
  /** Parquet files this commit made final: rolled forward if the rename did not happen. */
  pending: PendingFile[];
  /** Staging token (folder) of the pending files. */
  staging?: string;
  /** Stage 1 with source.idle_timeout: the largest event time of a record, when idle advances took stream time past it. */
  recordTime?: number;
  /**
   * Sessions: the stream time before the record at the committed offset, which a restore replays
   * from record by record (docs/windows.md); absent when equal to streamTime (always, for time windows).
   */
  lowTime?: number;
  /** Stage 2 of a two-stage topology: each source partition's stream time seen at `position` (docs/keyed-windows.md). */
  watermarks?: WatermarkList;
}

export const METADATA_MAX_BYTES = 4096;
/** ~32 bytes per window in JSON keeps a full checkpoint well under 4096 bytes. */
export const MAX_PENDING_WINDOWS = 100;

/**
 * How many of `windows` (oldest first) one checkpoint can list as pending besides everything else
 * it carries (stage 2's watermarks take room of their own): at most MAX_PENDING_WINDOWS, at least 1.
 */
export function pendingThatFit(c: Omit<Checkpoint, 'pending' | 'staging'>, files: readonly FileRef[]): number {
  let size = Buffer.byteLength(encodeCheckpoint({ ...c, pending: [], staging: STAGING_TOKEN_ROOM }));
  let n = 0;
  for (const f of files.slice(0, MAX_PENDING_WINDOWS)) {
    size += JSON.stringify(pendingFile(f)).length + 1;
    if (size > METADATA_MAX_BYTES && n > 0) break;
    n++;
  }
  return Math.max(1, n);
}
/** Room for the longest staging token (`p<partition>-<8 hex>`). */
const STAGING_TOKEN_ROOM = 'p2147483647-00000000';

export const pendingFile = (f: FileRef): PendingFile => (f.seq === undefined ? [f.start, f.end] : [f.start, f.end, f.seq]);
export const fileRef = ([start, end, seq]: PendingFile): FileRef => (seq === undefined ? { start, end } : { start, end, seq });

export function encodeCheckpoint(c: Checkpoint): string {
  const text = JSON.stringify({
    v: 1,
    pos: c.position,
    st: c.streamTime === NO_STREAM_TIME ? null : c.streamTime,
    pend: c.pending,
    stg: c.staging,
    ...(c.recordTime !== undefined && c.recordTime !== c.streamTime ? { rt: c.recordTime === NO_STREAM_TIME ? null : c.recordTime } : {}),
    ...(c.lowTime !== undefined && c.lowTime !== c.streamTime ? { lt: c.lowTime === NO_STREAM_TIME ? null : c.lowTime } : {}),
    ...(c.watermarks ? { wm: packWatermarks(c.watermarks) } : {}),
  });
  if (Buffer.byteLength(text) > METADATA_MAX_BYTES) {
    throw new SluiceError('INTERNAL', `checkpoint of ${Buffer.byteLength(text)} bytes exceeds offset.metadata.max.bytes (${METADATA_MAX_BYTES})`);
  }
  return text;
}

/** Parses the metadata of a committed offset; empty or foreign metadata means "no checkpoint". */
export function decodeCheckpoint(metadata: string | null | undefined): Checkpoint | undefined {
  if (!metadata) return undefined;
  try {
    const o = JSON.parse(metadata) as { v?: number; pos?: number; st?: number | null; pend?: PendingFile[]; stg?: string; wm?: unknown; rt?: number | null; lt?: number | null };
    if (o.v !== 1 || typeof o.pos !== 'number') return undefined;
    const watermarks = unpackWatermarks(o.wm);
    const recordTime = o.rt === undefined ? undefined : (o.rt ?? NO_STREAM_TIME);
    const lowTime = o.lt === undefined ? undefined : (o.lt ?? NO_STREAM_TIME);
    return {
      position: o.pos,
      streamTime: o.st ?? NO_STREAM_TIME,
      pending: Array.isArray(o.pend) ? o.pend : [],
      staging: o.stg,
      ...(recordTime !== undefined ? { recordTime } : {}),
      ...(lowTime !== undefined ? { lowTime } : {}),
      ...(watermarks ? { watermarks } : {}),
    };
  } catch {
    return undefined;
  }
}

export interface Committed { offset: number | undefined; checkpoint: Checkpoint | undefined }

/** Reads the group's committed offset and checkpoint for one partition (call after fencing). */
export async function fetchCommitted(admin: Admin, groupId: string, topic: string, partition: number): Promise<Committed> {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const p = entry?.partitions.find((x) => x.partition === partition) as { offset: string; metadata?: string | null } | undefined;
  const offset = p && Number(p.offset) >= 0 ? Number(p.offset) : undefined;
  return { offset, checkpoint: offset === undefined ? undefined : decodeCheckpoint(p?.metadata) };
}
