/**
 * Steps 1–2 of a batch from a source partition, shared by the single stage (pipeline.ts) and
 * stage 1 of two (stage1.ts): decode + validate (failures become dead letters), then dedup in
 * Redis (replay-safe). What follows differs: windows here, the repartition topic there.
 */
import type { KafkaMessage, Message } from 'kafkajs';
import type { RecordDecoder } from '../decode/decoder.js';
import { positionOf } from '../dedup/keys.js';
import { deadLetter } from '../sink/headers.js';
import type { ReplicaContext } from './context.js';
import { withDependency } from './outage.js';

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
    const r = task.decoder.decode(m.value);
    if (r.ok) valid.push({ m, offset, value: r.value, eventTime: r.eventTime, dedupKey: r.dedupKey });
    else if (!restoring(offset)) deadLetters.push(deadLetter(src, m, r.error, r.error.code === 'MISSING_EVENT_TIME' || r.error.code === 'MISSING_DEDUP_KEY' ? 'validate' : 'decode'));
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
