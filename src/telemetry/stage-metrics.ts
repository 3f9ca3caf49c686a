/**
 * Metrics of the two stages (docs/keyed-windows.md), in the replica's registry beside
 * metrics.ts's: what crosses the repartition topic, how far stage 2 lags behind it, the source
 * partitions' stream times as stage 2 sees them, their minimum, and which source partitions hold
 * windows back. Stage 1's own records count in sluice_records_total, stage 2's windows in
 * sluice_windows_emitted_total.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export const REPARTITION_KINDS = ['data', 'watermark'] as const;
export type RepartitionKind = (typeof REPARTITION_KINDS)[number];

export function stageMetrics(registry: Registry, topology: string) {
  const registers = [registry];
  const records = new Counter({
    name: 'sluice_repartition_records_total',
    help: 'Records through the repartition topic: written by stage 1, read by stage 2, by kind (data, watermark)',
    labelNames: ['topology', 'stage', 'kind'] as const,
    registers,
  });
  const lag = new Gauge({ name: 'sluice_repartition_lag', help: 'Stage 2: messages between the repartition partition\'s high watermark and the next offset to read', labelNames: ['topology', 'partition'] as const, registers });
  const watermark = new Gauge({
    name: 'sluice_source_watermark_seconds',
    help: 'Stage 2: the stream time (epoch seconds) of each source partition, the largest this replica\'s stage-2 tasks have seen',
    labelNames: ['topology', 'source_partition'] as const,
    registers,
  });
  const minimum = new Gauge({
    name: 'sluice_watermark_minimum_seconds',
    help: 'Stage 2: the minimum of the source stream times (epoch seconds) a repartition partition closes windows by; absent while a source partition is unheard of',
    labelNames: ['topology', 'partition'] as const,
    registers,
  });
  const open = new Gauge({ name: 'sluice_open_windows', help: 'Stage 2: open windows (time bounds shared by the group keys) of a repartition partition', labelNames: ['topology', 'partition'] as const, registers });
  const holding = new Gauge({
    name: 'sluice_windows_held_back',
    help: 'Stage 2: open windows of a repartition partition that a source partition holds back (it is at the minimum, or unheard of)',
    labelNames: ['topology', 'partition', 'source_partition'] as const,
    registers,
  });
  const purged = new Gauge({
    name: 'sluice_repartition_purged_offset',
    help: 'Stage 2: the offset below which this replica deleted the repartition partition\'s records (all committed by stage 2; src/repartition/purge.ts)',
    labelNames: ['topology', 'partition'] as const,
    registers,
  });
  for (const stage of ['1', '2']) for (const kind of REPARTITION_KINDS) records.inc({ topology, stage, kind }, 0);
  const held = new Map<number, number[]>();
  const seen = new Map<number, number>();
  const forget = (partition: number) => {
    for (const s of held.get(partition) ?? []) holding.remove({ topology, partition, source_partition: s });
    held.delete(partition);
  };

  return {
    repartitioned(stage: 1 | 2, kind: RepartitionKind, n: number): void {
      if (n > 0) records.inc({ topology, stage: String(stage), kind }, n);
    },
    /** After a stage-2 batch: its lag, the watermarks it knows, their minimum (undefined: one unknown), what holds its windows back. */
    stage2(partition: number, s: { lag: number; watermarks: ReadonlyArray<number | null>; minimum: number | undefined; openWindows: number; holdingBack: readonly number[] }): void {
      lag.set({ topology, partition }, s.lag);
      s.watermarks.forEach((t, p) => {
        if (t !== null && t > (seen.get(p) ?? -Infinity)) {
          seen.set(p, t);
          watermark.set({ topology, source_partition: p }, t / 1000);
        }
      });
      if (s.minimum === undefined) minimum.remove({ topology, partition });
      else minimum.set({ topology, partition }, s.minimum / 1000);
      open.set({ topology, partition }, s.openWindows);
      forget(partition);
      const by = s.openWindows > 0 ? [...s.holdingBack] : [];
      for (const source of by) holding.set({ topology, partition, source_partition: source }, s.openWindows);
      held.set(partition, by);
    },
    /** A stage-2 task deleted its repartition partition's records below `offset`. */
    purged(partition: number, offset: number): void {
      purged.set({ topology, partition }, offset);
    },
    /** A stage-2 task closed (revoked, failed): its gauges go, or stale values would stay forever. */
    stage2Closed(partition: number): void {
      for (const g of [lag, minimum, open, purged]) g.remove({ topology, partition });
      forget(partition);
    },
  };
}

export type StageMetrics = ReturnType<typeof stageMetrics>;
