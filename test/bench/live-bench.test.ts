import { describe, expect, it } from 'vitest';
import { formatLive } from './live-bench.js';

describe('the live part\'s report', () => {
  it('names the target\'s outcome, the feed\'s lag and CPU, and each window\'s slowest record', () => {
    const latencies = { records: 100, windows: 3, p50: 0.4, p99: 1.2, max: 1.2, feedBehind: 2, feedCpuSeconds: 6.2, slowestPerWindow: [410, 1200, 380] };
    const text = formatLive([{ name: 'sluice run, one replica', latencies }], 30_000, 60, { maxWaitMs: 500, half: true });
    expect(text).toContain('the feed could not keep its rate: it ended 2.0 s behind, at 29,032 events/s; the feed used 0.10 cores');
    expect(text).toContain('sluice run, one replica: each window\'s slowest record, oldest window first: 410, 1,200, 380 ms');
    expect(text).toContain('at half the measured capacity (30,000 events/s): NOT MET (p99 1200 ms)');
  });

  it('prints the CPU of each drain, and sluice\'s Redis (dedup) beside its own', () => {
    const latencies = { records: 10, windows: 1, p50: 0.1, p99: 0.2, max: 0.2 };
    const rows = [
      { name: 'sluice run, one replica', latencies, cpu: { events: 300_000, seconds: 60, cpuSeconds: 12, redisCpuSeconds: 6 } },
      { name: 'Kafka Streams, EOS v2, 1 thread', latencies, cpu: { events: 300_000, seconds: 60, cpuSeconds: 30 } },
    ];
    expect(formatLive(rows, 5_000, 60)).toContain('CPU while draining: sluice run, one replica 0.20 cores (4.00 CPU s/100k), its Redis (dedup, whole server) 0.10 cores (2.00 CPU s/100k); Kafka Streams, EOS v2, 1 thread 0.50 cores (10.00 CPU s/100k)');
    expect(formatLive([{ ...rows[0]!, cpu: { ...rows[0]!.cpu, redisCpuSeconds: undefined } }], 5_000, 60)).toContain('its Redis (dedup, whole server) -');
  });
});
