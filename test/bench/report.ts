/** The bench's printed result: one table, the notes needed to read it, and the command to rerun it. */
import { bucketOf, quantile, type Histogram } from './prom.js';
import type { RawResult } from './raw.js';
import type { LoadShape, Preloaded } from './setup.js';
import type { SluiceResult } from './sluice-run.js';
import type { StreamsResult } from './streams-run.js';

export const TARGET_EVENTS_PER_S = 80_000;
/** Issue #10: the two-stage path keeps at least this share of the single stage's events/s. */
export const TARGET_TWO_STAGE_SHARE = 0.6;

export interface ReportInput {
  shape: LoadShape;
  input: Preloaded;
  raw: RawResult[];
  /** The single stage on input keyed by the group key (absent with --stages 2). */
  sluice?: SluiceResult;
  /** Two stages on input keyed by user (absent with --stages 1). */
  two?: { input: Preloaded; sluice: SluiceResult };
  /** Kafka Streams runs on the single stage's topic (none with --skip-streams). */
  streams: StreamsResult[];
  /** Why there are none, printed in their place. */
  streamsNote?: string;
  /** How the outputs compared (printed under the table). */
  verified?: string;
  cores: number;
  load: [number, number];
  topology: string;
  command: string;
}

export function reproduceCommand(s: LoadShape, profile: boolean, stages = 'both', extra = ''): string {
  const pct = +(s.duplicates * 100).toFixed(4);
  return `npm run bench -- --events ${s.events} --partitions ${s.partitions} --keys ${s.keys} --duplicates ${pct} --step-ms ${s.stepMs} --seed ${s.seed}${extra}${profile ? ' --profile' : ''}${stages !== 'both' ? ` --stages ${stages}` : ''}`;
}

const int = (n: number) => Math.round(n).toLocaleString('en');
const ms = (s: number) => (Number.isFinite(s) ? `${(s * 1000).toFixed(0)} ms` : '-');
const rate = (r: { events: number; seconds: number }) => r.events / r.seconds;
/** Events and the CPU seconds they took. */
type Cost = { events: number; cpuSeconds: number };
const cpuPer100k = (r: Cost) => (r.cpuSeconds * 100_000) / r.events;
const fixed = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '-');
/** A sluice run with its Redis's CPU counted in (NaN when Redis could not be read): dedup, as Kafka Streams' RocksDB is in its CPU. */
const withRedis = (x: SluiceResult): Cost => ({ events: x.events, cpuSeconds: x.cpuSeconds + (x.redisCpuSeconds ?? NaN) });

export function formatReport(r: ReportInput): string {
  const { shape, input } = r;
  const raw = r.raw.find((x) => x.mode === 'raw');
  const avro = r.raw.find((x) => x.mode === 'avro');
  const main = r.sluice ?? r.two?.sluice;
  if (!main) throw new Error('bench report: no sluice run');
  const sRate = rate(main);
  const ratio = (base: { events: number; seconds: number } | undefined) => (base ? (sRate / rate(base)).toFixed(2) : '-');
  const cpuRatio = (base: Cost, top: Cost = main) => fixed(cpuPer100k(top) / cpuPer100k(base));
  // the same ratio with Redis counted on sluice's side (and in a sluice row's own CPU)
  const cpuRatioR = (base: Cost) => cpuRatio(base, withRedis(main));
  const mib = (b: number) => (Number.isFinite(b) ? `${(b / 2 ** 20).toFixed(0)} MiB` : '-');
  const p = (h: Histogram, q: number) => ms(quantile(h, q));
  const bucket = (h: Histogram, q: number) => bucketOf(h, q).map((b) => (Number.isFinite(b) ? `${b * 1000}` : '+Inf')).join('–');
  const windows = Math.ceil(input.eventTimeSpanMs / 10_000);

  const by = r.sluice ? 'sluice' : 'two stages';
  const rows: string[][] = [['', 'events/s', 'CPU s/100k ev', 'peak RSS', 'batch p50', 'batch p99', `${by}/this events/s`, `${by}/this CPU`, `${by}+Redis/this CPU`]];
  if (raw) rows.push(['kafkajs consumer, no processing', int(rate(raw)), cpuPer100k(raw).toFixed(2), '-', '-', '-', ratio(raw), cpuRatio(raw), cpuRatioR(raw)]);
  if (avro) rows.push(['kafkajs + avsc decode of every value', int(rate(avro)), cpuPer100k(avro).toFixed(2), '-', '-', '-', ratio(avro), cpuRatio(avro), cpuRatioR(avro)]);
  // each sluice row is followed by its Redis's CPU and the sum, the figure to set beside Kafka Streams'
  const run = (label: string, x: SluiceResult) => [
    [label, int(rate(x)), cpuPer100k(x).toFixed(2), mib(x.peakRssBytes), p(x.batchSeconds, 0.5), p(x.batchSeconds, 0.99), ratio(x), cpuRatio(x), cpuRatioR(withRedis(x))],
    ['  Redis (dedup), whole server', '', fixed(cpuPer100k({ events: x.events, cpuSeconds: x.redisCpuSeconds ?? NaN })), '', '', '', '', '', ''],
    ['  sluice + Redis', '', fixed(cpuPer100k(withRedis(x))), '', '', '', '', '', ''],
  ];
  if (r.sluice) rows.push(...run('sluice run, one replica', r.sluice));
  if (r.two) rows.push(...run('sluice run, two stages, keyed by user', r.two.sluice));
  for (const k of r.streams) {
    rows.push([`Kafka Streams, EOS v2, ${k.threads} thread${k.threads === 1 ? '' : 's'}`, int(rate(k)), cpuPer100k(k).toFixed(2), mib(k.peakRssBytes), '-', '-', ratio(k), cpuRatio(k), cpuRatioR(k)]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) => row.map((c, i) => (i === 0 ? c.padEnd(widths[0]!) : c.padStart(widths[i]!))).join('   ').trimEnd();

  const outcomes = (name: string, x: SluiceResult) => {
    const o = x.outcomes;
    return `  ${name}outcomes: decoded ${int(o.decoded ?? 0)}, duplicate ${int(o.duplicate ?? 0)}, late ${int(o.late ?? 0)}, dead-lettered ${int(o.dead_lettered ?? 0)}, aggregated ${int(o.aggregated ?? 0)}; ${int(x.transactions)} transactions, ${int(x.windowsEmitted)} windows closed (summed over partitions)`;
  };
  const share = r.sluice && r.two ? rate(r.two.sluice) / rate(r.sluice) : undefined;
  const redisCores = (x: SluiceResult) => (x.redisCpuSeconds === undefined ? '-' : (x.redisCpuSeconds / x.seconds).toFixed(2));
  return [
    '',
    `sluice bench: ${int(shape.events)} events (Avro, mean value ${input.meanValueBytes.toFixed(0)} B), ${shape.partitions} partitions, ${int(shape.keys)} Zipf keys, ${+(shape.duplicates * 100).toFixed(2)} % duplicates, ${r.topology} (tumbling 10 s + grace 2 s)`,
    `  event time: one event per ${shape.stepMs} ms on average, ${(input.eventTimeSpanMs / 1000).toFixed(0)} s in all (~${windows} windows per partition, ${int(input.groups)} (window, group) rows = ${((100 * input.groups) / shape.events).toFixed(0)} % of the input); preloaded in ${input.seconds.toFixed(1)} s (not timed)`,
    ...(r.two ? [`  two stages: the same shape keyed by user_id (pages spread over every partition), source.partitioned_by_group_key: false; one row per (window, page): ${int(r.two.input.groups)} rows`] : []),
    `  machine: ${r.cores} cores shared with the broker, the registry and Redis; 1-min load average ${r.load[0].toFixed(1)} before, ${r.load[1].toFixed(1)} after`,
    '',
    ...rows.map(line),
    ...(r.streams.length === 0 ? [`${'Kafka Streams'.padEnd(widths[0]!)}   not run: ${r.streamsNote ?? '--skip-streams'}`] : []),
    ...(r.verified ? ['', `  verified: ${r.verified}`] : []),
    '',
    ...(r.sluice ? [`  target: >= ${int(TARGET_EVENTS_PER_S)} events/s for one replica: ${rate(r.sluice) >= TARGET_EVENTS_PER_S ? 'MET' : 'NOT MET'} (${int(rate(r.sluice))})`] : []),
    ...(share !== undefined ? [`  target: two stages keep >= ${TARGET_TWO_STAGE_SHARE * 100} % of the single stage's events/s: ${share >= TARGET_TWO_STAGE_SHARE ? 'MET' : 'NOT MET'} (${(share * 100).toFixed(0)} %)`] : []),
    `  CPU-bound view (robust on a shared box): one full core gives sluice ${int(100_000 / cpuPer100k(main))} events/s (${main.redisCpuSeconds === undefined ? '-' : int(100_000 / cpuPer100k(withRedis(main)))} with its Redis's CPU counted)${avro ? `, kafkajs + avsc ${int(100_000 / cpuPer100k(avro))}` : ''}; the target needs <= ${(100_000 / TARGET_EVENTS_PER_S).toFixed(2)} CPU s/100k on one core`,
    `  sluice: ${int(main.events)} events in ${main.seconds.toFixed(2)} s from the first processed batch to the last (scraped every 200 ms); CPU of the replica process only (/proc, all threads)`,
    `  Redis (dedup): the CPU of the whole Redis server over the same clock (INFO cpu: used_cpu_sys + used_cpu_user, all its threads); on a shared Redis it includes other clients' work`,
    `    (the bench's local stack Redis is otherwise idle). Kafka Streams dedups in its own process (RocksDB), so its CPU includes dedup: the last column counts Redis in sluice's CPU`,
    ...(r.two ? [`  two stages: ${int(r.two.sluice.events)} events in ${r.two.sluice.seconds.toFixed(2)} s, until stage 2 had read every record stage 1 wrote; batches of both stages in one histogram`] : []),
    `  memory: peak RSS of the replica ${(main.peakRssBytes / 2 ** 20).toFixed(0)} MiB (VmHWM, whole run); CPU while draining ${(main.cpuSeconds / main.seconds).toFixed(2)} cores, its Redis ${redisCores(main)} cores`,
    ...r.streams.map((k) => `  Kafka Streams, ${k.threads} thread${k.threads === 1 ? '' : 's'}: ${int(k.events)} events in ${k.seconds.toFixed(2)} s (progress polled every 200 ms), CPU of the JVM (all threads, JIT and GC too) ${(k.cpuSeconds / k.seconds).toFixed(2)} cores; duplicates ${int(k.duplicates)}, malformed ${int(k.malformed)}, ${int(k.windows)} windows emitted`),
    `  batch latency: one micro-batch (<= batch.max_records of one partition) from decode to commit; p50/p99 interpolated within the`,
    `    sluice_batch_duration_seconds buckets (p50 in ${bucket(main.batchSeconds, 0.5)} ms, p99 in ${bucket(main.batchSeconds, 0.99)} ms); ${int(main.batchRecords.count)} batches, mean ${ms(main.batchSeconds.sum / Math.max(1, main.batchSeconds.count))}, mean ${int(main.batchRecords.sum / Math.max(1, main.batchRecords.count))} records`,
    ...(r.sluice ? [outcomes('', r.sluice)] : []),
    ...(r.two ? [outcomes('two stages: ', r.two.sluice)] : []),
    '',
    `reproduce: ${r.command}`,
  ].join('\n');
}
