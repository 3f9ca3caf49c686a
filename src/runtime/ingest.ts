/**
 * Steps 1–2 of a batch from a source partition, shared by the single stage (pipeline.ts) and
 * stage 1 of two (stage1.ts): decode + validate (failures become dead letters), then dedup in
 * Redis (replay-safe). What follows differs: windows here, the repartition topic there.
 */
import type { KafkaMessage, Message } from 'kafkajs';
import type { RecordDecoder } from '../serde/decoder.js';
import { positionOf } from '../dedup/keys.js';
import type { ErrorCode } from '../errors.js';
import { deadLetter } from '../sink/headers.js';
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
  /** The valid records that are not duplicates, in offset order. */
  fresh: Decoded[];
}

export async function ingest(
  ctx: ReplicaContext,
  task: { partition: number; decoder: RecordDecoder },
  messages: KafkaMessage[],
  restoring: (offset: number) => boolean,
): Promise<Ingested> {
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

  // 2. deduplicate: first occurrence by offset within the batch, then against Redis (admit does both)
  let fresh = valid;
  if (ctx.dedup) {
    const entries = valid.map((d) => ({ key: d.dedupKey!, position: positionOf(task.partition, d.offset) }));
    const admitted = await withDependency(ctx, 'redis', () => ctx.dedup!.admit(entries));
    fresh = valid.filter((_, i) => admitted[i]);
  }
  return { deadLetters, valid, fresh };
}
