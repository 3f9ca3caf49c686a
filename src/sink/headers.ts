/**
 * Dead-letter and late records keep the original key, value and headers and gain `sluice.*`
 * headers that say what happened and where the record came from, so an operator can replay them.
 */
import type { IHeaders, KafkaMessage, Message } from 'kafkajs';
import type { SluiceError } from '../errors.js';

export interface SourcePosition { topic: string; partition: number }

function base(src: SourcePosition, m: KafkaMessage, extra: Record<string, string>): Message {
  const headers: IHeaders = { ...(m.headers ?? {}) };
  headers['sluice.source.topic'] = src.topic;
  headers['sluice.source.partition'] = String(src.partition);
  headers['sluice.source.offset'] = m.offset;
  headers['sluice.source.timestamp'] = m.timestamp;
  for (const [k, v] of Object.entries(extra)) headers[k] = v;
  return { key: m.key, value: m.value, headers };
}

export function deadLetter(src: SourcePosition, m: KafkaMessage, error: SluiceError, stage: 'decode' | 'validate' | 'filter'): Message {
  return base(src, m, {
    'sluice.error.code': error.code,
    'sluice.error.message': error.message,
    'sluice.error.domain': error.domain,
    'sluice.error.stage': stage,
  });
}

/**
 * `idle`: its window was closed by an idle advance of its partition's stream time
 * (source.idle_timeout, docs/keyed-windows.md), not by a later record: `sluice.late.cause: idle`.
 */
export function lateRecord(src: SourcePosition, m: KafkaMessage, late: { lateByMs: number; window: { start: number; end: number }; eventTime: number; idle?: boolean }): Message {
  return base(src, m, {
    'sluice.late.by_ms': String(late.lateByMs),
    'sluice.late.event_time': String(late.eventTime),
    'sluice.window.start': new Date(late.window.start).toISOString(),
    'sluice.window.end': new Date(late.window.end).toISOString(),
    ...(late.idle ? { 'sluice.late.cause': 'idle' } : {}),
  });
}
