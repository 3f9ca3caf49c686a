/**
 * The live-shape latency part of `npm run bench`: sluice (one replica) and then the Kafka Streams
 * baseline (one thread), each on its own fresh topic fed at the same fixed rate (live.ts), one
 * after the other so neither shares the box with the other. Cleans up what each made.
 */
import { join } from 'node:path';
import { SchemaSource } from '../../src/serde/registry.js';
import { measureLive, type Latencies } from './live.js';
import { latestSchema } from './outputs.js';
import { cleanup, type BenchTopology, type LoadShape } from './setup.js';
import { runSluice, type SluiceResult } from './sluice-run.js';
import { cleanupStreams } from './streams-bench.js';
import { runStreams } from './streams-run.js';

/** What a processor's drain of the live topic cost: its CPU and, for sluice, its Redis's (dedup) over the same clock. */
export type LiveCpu = Pick<SluiceResult, 'events' | 'seconds' | 'cpuSeconds' | 'redisCpuSeconds'>;
export interface LiveRow { name: string; latencies: Latencies; closeSteps?: SluiceResult['closeSteps']; cpu?: LiveCpu }

export interface LiveBenchOptions {
  brokers: string[];
  registryUrl: string;
  redisUrl: string;
  env: NodeJS.ProcessEnv;
  dir: string;
  shape: LoadShape;
  rate: number;
  seconds: number;
  /** Processes the live feed runs in (live-feed.ts). */
  feedProcesses: number;
  timeoutMs: number;
  /** The catch-up run's topology: its output subject holds the schema the baseline writes. */
  main: BenchTopology;
  /** The baseline's jar, or undefined to measure sluice alone. */
  jar?: string;
  state: 'rows' | 'accumulator';
  say: (s: string) => void;
}

export async function runLive(o: LiveBenchOptions): Promise<LiveRow[]> {
  const rows: LiveRow[] = [];
  const common = { brokers: o.brokers, registryUrl: o.registryUrl, shape: o.shape, rate: o.rate, seconds: o.seconds, feedProcesses: o.feedProcesses };
  o.say(`bench: live shape, sluice: ${o.rate.toLocaleString('en')} events/s for ${o.seconds} s, close → visible…`);
  // the topology measureLive makes, for the cleanup (set as soon as it exists)
  const made: { t?: BenchTopology } = {};
  try {
    const r = await measureLive({
      ...common,
      dir: join(o.dir, 'live-sluice'),
      outputOf: (t) => ((made.t = t), t.output),
      run: (t, events, ready) => runSluice({ topologyFile: t.file, events, env: o.env, dir: join(o.dir, 'live-sluice'), timeoutMs: o.timeoutMs, profile: false, onReady: ready }),
    });
    const ran = r.ran as SluiceResult;
    rows.push({ name: 'sluice run, one replica', latencies: r.latencies, closeSteps: ran.closeSteps, cpu: ran });
  } finally {
    if (made.t) await cleanup(o.brokers, o.redisUrl, made.t, [made.t.group, `${made.t.name}-latency`]).catch(() => undefined);
  }
  if (!o.jar) return rows;

  o.say('bench: live shape, Kafka Streams (one thread)…');
  const { schema } = await latestSchema(o.registryUrl, `${o.main.output}-value`);
  const madeKs: { t?: BenchTopology } = {};
  const appId = (t: BenchTopology) => `${t.name}-ks1`;
  try {
    const r = await measureLive({
      ...common,
      dir: join(o.dir, 'live-streams'),
      outputOf: (t) => ((madeKs.t = t), `${appId(t)}-out`),
      run: async (t, events, ready) => {
        ready(); // the feed starts with the JVM, as before (its start is not awaited)
        const registry = new SchemaSource(o.registryUrl);
        const outputSchemaId = await registry.register(`${appId(t)}-out-value`, JSON.parse(schema) as object).finally(() => registry.close());
        return runStreams({
          jar: o.jar!, brokers: o.brokers, registryUrl: o.registryUrl, input: t.source, output: `${appId(t)}-out`, appId: appId(t), outputSchemaId,
          readerSchemaFile: t.schemaFile, threads: 1, repartition: false, state: o.state, events, dir: join(o.dir, 'live-streams'), timeoutMs: o.timeoutMs,
        });
      },
    });
    rows.push({ name: 'Kafka Streams, EOS v2, 1 thread', latencies: r.latencies, cpu: r.ran as LiveCpu });
  } finally {
    if (madeKs.t) {
      await cleanup(o.brokers, o.redisUrl, madeKs.t, [`${madeKs.t.name}-latency`]).catch(() => undefined);
      await cleanupStreams(o.brokers, [appId(madeKs.t)]).catch(() => undefined);
    }
  }
  return rows;
}

/** Issue 14: p99 close → visible <= batch.max_wait + this, at half the measured capacity. */
export const TARGET_LATENCY_SLACK_MS = 500;

/** The latency table printed under the throughput one; `target`: sluice's batch.max_wait and whether the rate is half its capacity. */
export function formatLive(rows: LiveRow[], rate: number, seconds: number, target?: { maxWaitMs: number; half: boolean }): string {
  const s = (x: number) => (Number.isFinite(x) ? `${(x * 1000).toFixed(0)} ms` : '-');
  const lines = [`window close → visible to a read_committed consumer, live shape (${rate.toLocaleString('en')} events/s for ${seconds} s, event time = wall clock):`];
  const w = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) {
    const l = r.latencies;
    lines.push(`  ${r.name.padEnd(w)}   p50 ${s(l.p50).padStart(7)}   p99 ${s(l.p99).padStart(7)}   max ${s(l.max).padStart(7)}   (${l.records.toLocaleString('en')} output records of ${l.windows} windows${l.feedBehind !== undefined && l.feedBehind > 0.1 ? `; the feed could not keep its rate: it ended ${l.feedBehind.toFixed(1)} s behind, at ${Math.round((rate * seconds) / (seconds + l.feedBehind)).toLocaleString('en')} events/s` : ''}${l.feedCpuSeconds === undefined ? '' : `; the feed used ${(l.feedCpuSeconds / (seconds + Math.max(0, l.feedBehind ?? 0))).toFixed(2)} cores`})`);
  }
  for (const r of rows) if (r.latencies.slowestPerWindow?.length) lines.push(`  ${r.name}: each window's slowest record, oldest window first: ${r.latencies.slowestPerWindow.map((v) => v.toLocaleString('en')).join(', ')} ms`);
  const cost = (seconds: number | undefined, c: LiveCpu) => (seconds === undefined ? '-' : `${(seconds / c.seconds).toFixed(2)} cores (${((seconds * 100_000) / c.events).toFixed(2)} CPU s/100k)`);
  const cpu = rows.filter((r) => r.cpu).map((r) => `${r.name} ${cost(r.cpu!.cpuSeconds, r.cpu!)}${r.name.startsWith('sluice') ? `, its Redis (dedup, whole server) ${cost(r.cpu!.redisCpuSeconds, r.cpu!)}` : ''}`);
  if (cpu.length > 0) lines.push(`  CPU while draining: ${cpu.join('; ')}`);
  lines.push('  latency = receive time − when the feed had sent the event that lets the window close (window_end + grace while the feed keeps its rate); windows that began before the feed are left out');
  const sluice = rows.find((r) => r.name.startsWith('sluice'));
  if (target && sluice) {
    const limit = (target.maxWaitMs + TARGET_LATENCY_SLACK_MS) / 1000;
    const at = target.half ? `at half the measured capacity (${rate.toLocaleString('en')} events/s)` : `at ${rate.toLocaleString('en')} events/s (the target is set at half the capacity: --live-rate half)`;
    const steps = Object.entries(sluice.closeSteps ?? {}).map(([k, v]) => `${k} ${s(v.mean)}`).join(', ');
    if (steps) lines.push(`  sluice's transactions that closed windows, mean per step: ${steps} (${sluice.closeSteps!.aggregate!.count} transactions; sluice_window_close_step_seconds)`);
    lines.push(`  target: sluice p99 close → visible <= batch.max_wait + 0.5 s = ${s(limit)} ${at}: ${sluice.latencies.p99 <= limit ? 'MET' : 'NOT MET'} (p99 ${s(sluice.latencies.p99)})`);
  }
  return lines.join('\n');
}
