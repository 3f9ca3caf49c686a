/**
 * Steps 1–2 of a batch from a source partition, shared by the single stage (pipeline.ts) and
 * stage 1 of two (stage1.ts): decode + validate (failures become dead letters), drop records whose
 * group key is null, apply `filter:` (docs/windows.md), then dedup in Redis (replay-safe). What
 * follows differs: windows here, the repartition topic there.
 */
import type { KafkaMessage, Message } from 'kafkajs';
import type { RecordDecoder } from '../serde/decoder.js';
import { SluiceError, type ErrorCode } from '../errors.js';
import { deadLetter } from '../sink/headers.js';
import { attachMetadata, type MetadataName } from '../window/metadata.js';
import type { RecordFilter } from '../window/record-filter.js';
import type { ReplicaContext } from './context.js';
import { withDependency } from './outage.js';

/** Dead letters of records that decode but fail a check (stage `validate`; the rest are `decode`). */
const VALIDATION_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['MISSING_EVENT_TIME', 'MISSING_DEDUP_KEY', 'EVENT_TIME_OUT_OF_RANGE', 'EVENT_TIME_TOO_FAR_AHEAD', 'GROUP_KEY_TOO_LONG']);

export interface Decoded { m: KafkaMessage; offset: number; value: Record<string, unknown>; eventTime: number; dedupKey?: string }

export interface Ingested {
  /** Dead letters of the records not restored (those were committed the first time). */
  deadLetters: Message[];
  /** Records that decoded and validated, in offset order. */
  valid: Decoded[];
  /** Valid records with a null group_by value: no group of their own, dropped (docs/windows.md). */
  nullKey: Decoded[];
  /** Valid records `filter:` rejected. */
  filtered: Decoded[];
  /** Valid records the filter failed on: dead letters (FILTER_FAILED). */
  filterFailed: Decoded[];
  /** The rest of the valid records, which went on to dedup. */
  kept: Decoded[];
  /** The kept records that are not duplicates, in offset order. */
  fresh: Decoded[];
}

/** What a task brings to steps 1–2: its decoder, its filter, and the record metadata its expressions read. */
export interface IngestTask {
  partition: number;
  decoder: RecordDecoder;
  filter?: RecordFilter | undefined;
  /** Set on each kept record's value before the filter runs (metadata.ts). */
  metadata: readonly MetadataName[];
}

export async function ingest(ctx: ReplicaContext, task: IngestTask, messages: KafkaMessage[], restoring: (offset: number) => boolean): Promise<Ingested> {
  const src = { topic: ctx.topology.spec.source.topic, partition: task.partition };
  // 1. decode + validate
  const deadLetters: Message[] = [];
  const valid: Decoded[] = [];
  await withDependency(ctx, 'registry', () => task.decoder.prepare(messages.map((m) => m.value)));
  for (const m of messages) {
    const offset = Number(m.offset);
    // the record's own Kafka timestamp, not the wall clock: a replay must decide as the first run did
    const r = task.decoder.decode(m.value, Number(m.timestamp));
    if (r.ok) valid.push({ m, offset, value: r.value, eventTime: r.eventTime, dedupKey: r.dedupKey });
    else if (!restoring(offset)) deadLetters.push(deadLetter(src, m, r.error, VALIDATION_CODES.has(r.error.code) ? 'validate' : 'decode'));
  }

  // a null group key is no group: dropped before anything counts it (ksqlDB drops it before the aggregate)
  const groupBy = ctx.topology.spec.aggregate.group_by;
  const nullKey: Decoded[] = [];
  let kept = valid;
  if (groupBy.length > 0) {
    kept = [];
    for (const d of valid) (hasNullKey(d.value, groupBy) ? nullKey : kept).push(d);
  }
  if (task.metadata.length > 0) {
    for (const d of kept) attachMetadata(d.value, { eventTime: d.eventTime, partition: task.partition, offset: d.offset, key: d.m.key }, task.metadata);
  }

  // the filter, before dedup and windows: a rejected record neither counts nor moves stream time
  const filtered: Decoded[] = [];
  const filterFailed: Decoded[] = [];
  if (task.filter && kept.length > 0) {
    const verdicts = await task.filter.evaluate(kept.map((d) => d.value));
    const passed: Decoded[] = [];
    for (let i = 0; i < kept.length; i++) {
      const d = kept[i]!;
      const v = verdicts[i]!;
      if (v === true) passed.push(d);
      else if (v === false) filtered.push(d);
      else {
        filterFailed.push(d);
        if (!restoring(d.offset)) deadLetters.push(deadLetter(src, d.m, new SluiceError('FILTER_FAILED', `the filter failed on this record: ${v.error}`), 'filter'));
      }
    }
    kept = passed;
  }

  // 2. deduplicate against Redis, replay-safe; within the batch the first occurrence by offset wins (admit does both)
  let fresh = kept;
  if (ctx.dedup) {
    const keys = new Array<string>(kept.length);
    const offsets = new Array<number>(kept.length);
    for (let i = 0; i < kept.length; i++) {
      keys[i] = kept[i]!.dedupKey!;
      offsets[i] = kept[i]!.offset;
    }
    // timed per attempt: an outage's waits are sluice_dependency_outage's, not Redis's speed
    const admitted = await withDependency(ctx, 'redis', async () => {
      const started = performance.now();
      const r = await ctx.dedup!.admit(task.partition, keys, offsets);
      ctx.metrics.dedup((performance.now() - started) / 1000);
      return r;
    });
    fresh = kept.filter((_, i) => admitted[i]);
  }
  return { deadLetters, valid, nullKey, filtered, filterFailed, kept, fresh };
}

/**
 * A batch's records in sluice_records_total, each under one outcome after `decoded` or
 * `dead_lettered`; `late` of the fresh ones were late, the rest aggregated (stage 1: sent to stage
 * 2). Replayed records (restoring) were counted when first processed.
 */
export function countOutcomes(ctx: ReplicaContext, partition: number, r: Ingested, late: number, restoring: (offset: number) => boolean): void {
  const n = (ds: readonly Decoded[]): number => {
    let k = 0;
    for (const d of ds) if (!restoring(d.offset)) k++;
    return k;
  };
  const admitted = n(r.fresh);
  ctx.metrics.records(partition, 'decoded', n(r.valid) - n(r.filterFailed));
  ctx.metrics.records(partition, 'dead_lettered', r.deadLetters.length);
  ctx.metrics.records(partition, 'null_key', n(r.nullKey));
  ctx.metrics.records(partition, 'filtered', n(r.filtered));
  ctx.metrics.records(partition, 'duplicate', n(r.kept) - admitted);
  ctx.metrics.records(partition, 'late', late);
  ctx.metrics.records(partition, 'aggregated', admitted - late);
}

/** Whether a group_by value is null or absent (a plain loop: this runs once per record). */
function hasNullKey(value: Record<string, unknown>, groupBy: readonly string[]): boolean {
  for (let i = 0; i < groupBy.length; i++) {
    const v = value[groupBy[i]!];
    if (v === null || v === undefined) return true;
  }
  return false;
}
