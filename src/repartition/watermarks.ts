/**
 * What stage 2 knows of the source: the latest stream time each source partition announced
 * (watermark records, src/repartition/codec.ts), and their minimum, which closes windows
 * (docs/keyed-windows.md). Pure. A source partition never heard from holds the minimum at
 * NO_STREAM_TIME: nothing closes until every source partition has spoken.
 */
import { SluiceError } from '../errors.js';
import { NO_STREAM_TIME } from '../window/task-windows.js';

/** Per source partition, its stream time or null when not heard from yet. */
export type WatermarkList = Array<number | null>;

export class SourceWatermarks {
  private readonly times: WatermarkList;

  constructor(sources: number, init: WatermarkList = []) {
    this.times = Array.from({ length: Math.max(sources, init.length) }, (_, p) => init[p] ?? null);
  }

  /**
   * Takes a watermark of source partition p; never lowers it (a replay after a restart reads
   * older watermarks again). A partition beyond the known count (the source grew) is added.
   */
  observe(p: number, streamTime: number): void {
    if (!Number.isSafeInteger(p) || p < 0) throw new SluiceError('INTERNAL', `watermark of source partition ${p}`);
    while (this.times.length <= p) this.times.push(null);
    const now = this.times[p];
    if (now === null || now === undefined || streamTime > now) this.times[p] = streamTime;
  }

  /** min over source partitions of their stream time; NO_STREAM_TIME while one is unknown. */
  get minimum(): number {
    return minimumOf(this.times);
  }

  /** Source partitions at the minimum (unknown ones first): what holds windows back. */
  holdingBack(): number[] {
    const min = this.minimum;
    const unknown = this.times.flatMap((t, p) => (t === null ? [p] : []));
    return unknown.length > 0 ? unknown : this.times.flatMap((t, p) => (t === min ? [p] : []));
  }

  snapshot(): WatermarkList {
    return [...this.times];
  }
}

export function minimumOf(times: readonly (number | null)[]): number {
  if (times.length === 0) return NO_STREAM_TIME;
  let min = Infinity;
  for (const t of times) {
    if (t === null) return NO_STREAM_TIME;
    if (t < min) min = t;
  }
  return min;
}

/**
 * Compact form for the checkpoint (offset.metadata.max.bytes is 4096 by default): the smallest
 * known time, then every partition's distance to it (null: unknown). Stream times of one topic
 * sit close together, so deltas take a few digits where epoch millis take 13.
 */
export function packWatermarks(times: WatermarkList): { b: number; d: Array<number | null> } {
  const known = times.filter((t): t is number => t !== null);
  const b = known.length > 0 ? Math.min(...known) : 0;
  return { b, d: times.map((t) => (t === null ? null : t - b)) };
}

export function unpackWatermarks(packed: unknown): WatermarkList | undefined {
  if (typeof packed !== 'object' || packed === null) return undefined;
  const { b, d } = packed as { b?: unknown; d?: unknown };
  if (!Number.isSafeInteger(b) || !Array.isArray(d)) return undefined;
  return d.map((x) => (Number.isSafeInteger(x) ? (b as number) + (x as number) : null));
}
