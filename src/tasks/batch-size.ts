/**
 * How many records of a fetched batch one micro-batch takes. Live, batch.max_records (latency
 * stays bounded by it). In a catch-up — the partition's high watermark at least CATCH_UP_FACTOR
 * micro-batches ahead — up to CATCH_UP_FACTOR × max_records, so that a fetch of a backlogged
 * partition goes through one transaction (and one window close) instead of several: each costs
 * its round trips to the broker whatever its size. Pure.
 */
export const CATCH_UP_FACTOR = 4;

/** Records to take from `offset` on, when the partition's log ends at `highWatermark`. */
export function microBatchSize(maxRecords: number, offset: number, highWatermark: number): number {
  return highWatermark - offset >= CATCH_UP_FACTOR * maxRecords ? CATCH_UP_FACTOR * maxRecords : maxRecords;
}
