import { describe, expect, it } from 'vitest';
import { createMetrics, RECORD_OUTCOMES, topologyMetrics } from '../../../src/telemetry/metrics.js';
import { stageMetrics } from '../../../src/telemetry/stage-metrics.js';

describe('metrics', () => {
  it('registers every sluice metric, labelled with the topology, in its own registry', async () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false }); // a second registry in one process: no clash
    const tm = topologyMetrics(a, 'pv');
    tm.partitionAssigned(0);
    tm.records(0, 'duplicate', 2);
    tm.windowsEmitted('parquet', 3);
    tm.batch(0.012, 500);
    tm.transaction('committed');
    tm.consumerLag(0, 17);
    tm.eventTimeLag(0, 1_000, 3_500);
    tm.restored(1.5, 900);
    tm.outage('redis', true);
    tm.redisDataLoss();
    tm.dedup(0.003);
    tm.havingRejected(4);
    tm.windowSize(10);
    tm.storageOperation('s3', 'put', 0.02, true);
    tm.storageOperation('s3', 'copy', 0, false);
    const text = await a.registry.metrics();
    for (const line of [
      'sluice_records_total{topology="pv",partition="0",outcome="duplicate"} 2',
      'sluice_windows_emitted_total{topology="pv",sink="parquet"} 3',
      'sluice_windows_emitted_total{topology="pv",sink="topic"} 0',
      'sluice_batch_duration_seconds_bucket{le="0.025",topology="pv"} 1',
      'sluice_batch_records_sum{topology="pv"} 500',
      'sluice_transactions_total{topology="pv",result="committed"} 1',
      'sluice_transactions_total{topology="pv",result="aborted"} 0',
      'sluice_consumer_lag{topology="pv",partition="0"} 17',
      'sluice_event_time_lag_seconds{topology="pv",partition="0"} 2.5',
      'sluice_restore_duration_seconds_count{topology="pv"} 1',
      'sluice_restore_records_total{topology="pv"} 900',
      'sluice_dependency_outage{topology="pv",dependency="redis"} 1',
      'sluice_dependency_outage{topology="pv",dependency="kafka"} 0',
      'sluice_redis_data_loss_total{topology="pv"} 1',
      'sluice_dedup_seconds_bucket{le="0.005",topology="pv"} 1',
      'sluice_having_rejected_rows_total{topology="pv"} 4',
      'sluice_records_total{topology="pv",partition="0",outcome="filtered"} 0',
      'sluice_records_total{topology="pv",partition="0",outcome="null_key"} 0',
      'sluice_partitions_assigned{topology="pv"} 1',
      'sluice_window_size_seconds{topology="pv"} 10',
      'sluice_storage_operation_seconds_count{topology="pv",backend="s3",operation="put"} 1',
      'sluice_storage_failures_total{topology="pv",backend="s3",operation="copy"} 1',
      'sluice_storage_failures_total{topology="pv",backend="local",operation="put"} 0',
    ]) expect(text).toContain(line);
    expect(RECORD_OUTCOMES).toEqual(['decoded', 'dead_lettered', 'null_key', 'filtered', 'duplicate', 'late', 'aggregated']);
    expect(await b.registry.metrics()).not.toContain('topology="pv"');
  });

  it('drops the per-partition gauges of a revoked partition', async () => {
    const m = createMetrics({ defaultMetrics: false });
    const tm = topologyMetrics(m, 'pv');
    tm.partitionAssigned(1);
    tm.consumerLag(1, 5);
    tm.eventTimeLag(1, 0, 1000);
    tm.partitionRevoked(1);
    const text = await m.registry.metrics();
    expect(text).not.toContain('sluice_consumer_lag{');
    expect(text).not.toContain('sluice_event_time_lag_seconds{');
    expect(text).toContain('sluice_partitions_assigned{topology="pv"} 0');
  });
});

describe('stage metrics (two stages)', () => {
  it('count the repartition traffic, show watermarks, the minimum and what holds windows back, and forget a closed task', async () => {
    const m = createMetrics({ defaultMetrics: false });
    const sm = stageMetrics(m.registry, 'pv');
    sm.repartitioned(1, 'data', 7);
    sm.repartitioned(2, 'watermark', 3);
    sm.stage2(4, { lag: 12, watermarks: [2_000, null], minimum: undefined, openWindows: 2, holdingBack: [1] });
    let text = await m.registry.metrics();
    for (const line of [
      'sluice_repartition_records_total{topology="pv",stage="1",kind="data"} 7',
      'sluice_repartition_records_total{topology="pv",stage="2",kind="watermark"} 3',
      'sluice_repartition_records_total{topology="pv",stage="2",kind="data"} 0',
      'sluice_repartition_lag{topology="pv",partition="4"} 12',
      'sluice_source_watermark_seconds{topology="pv",source_partition="0"} 2',
      'sluice_open_windows{topology="pv",partition="4"} 2',
      'sluice_windows_held_back{topology="pv",partition="4",source_partition="1"} 2',
    ]) expect(text).toContain(line);
    expect(text).not.toContain('sluice_watermark_minimum_seconds{');
    sm.stage2(4, { lag: 0, watermarks: [2_000, 1_000], minimum: 1_000, openWindows: 1, holdingBack: [1] });
    sm.stage2(4, { lag: 0, watermarks: [2_000, 3_000], minimum: 2_000, openWindows: 1, holdingBack: [0] });
    text = await m.registry.metrics();
    expect(text).toContain('sluice_watermark_minimum_seconds{topology="pv",partition="4"} 2');
    expect(text).toContain('sluice_windows_held_back{topology="pv",partition="4",source_partition="0"} 1');
    expect(text).not.toMatch(/sluice_windows_held_back\{[^}]*source_partition="1"/);
    sm.purged(4, 1234);
    expect(await m.registry.metrics()).toContain('sluice_repartition_purged_offset{topology="pv",partition="4"} 1234');
    sm.stage2Closed(4);
    text = await m.registry.metrics();
    expect(text).not.toMatch(/sluice_(repartition_lag|watermark_minimum_seconds|open_windows|windows_held_back|repartition_purged_offset)\{/);
  });
});
