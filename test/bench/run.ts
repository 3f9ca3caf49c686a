/**
 * `npm run bench`: drains a preloaded topic through ONE `sluice run` replica and, in the same run on
 * the same machine, through a bare kafkajs consumer (the raw ceiling) and kafkajs + avsc; prints
 * events/s, batch latency, CPU per 100k events (sluice's, and its Redis's over the same drain: Kafka
 * Streams' own CPU includes its dedup store), the ratios and the command that reproduces it.
 * In the same run, the Kafka Streams baseline (bench/kafka-streams, built on first use) drains the
 * single stage's topic with one stream thread and with two; both outputs are read back
 * read_committed and must hold the same windows as sluice's before any timing is printed (compare.ts).
 * Then the live shape's latency (live-bench.ts): window close → visible to a read_committed
 * consumer, sluice and Kafka Streams each on a fresh topic fed at --live-rate for --live-seconds.
 * Options: --events N --partitions N --keys N --duplicates PCT --step-ms MS --seed S
 *          --skip-raw --profile --keep --timeout S --stages 1|2|both
 *          --skip-streams --threads 1,2 --repartition --streams-state rows|accumulator
 *          --live-rate N|half --live-seconds S --feed-processes N --skip-live --filter EXPR
 * --live-rate half feeds the live part at half the events/s just measured for the single stage:
 * issue 14's latency target (p99 close → visible <= batch.max_wait + 0.5 s) is set at that load.
 * --feed-processes (default 1): the live feed's processes (live-feed.ts, outside the bench's own),
 * each sending its share of the partitions; `npm run bench:feed` shows the rate one keeps.
 * --stages both (the default) also drains the same shape of input keyed by user (not by the group
 * key) through a two-stage topology (docs/keyed-windows.md) and prints it beside the single stage.
 * Defaults model live traffic at the target rate: event time advances 1000/80000 ms per event, as
 * if upstream produced 80k events/s, and 2M events span enough windows for closes to count.
 * A larger --step-ms models a catch-up (event time compressed): many more output rows per input.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadStackEnv } from '../../src/connection/stack-env.js';
import { loadTopology } from '../../src/topology/loader.js';
import { cleanup, DEMO_TOPOLOGY, preload, writeBenchTopology, type LoadShape, type Preloaded } from './setup.js';
import { loadAverage } from './proc.js';
import { formatProfile, largestProfile, summariseProfile } from './profile.js';
import { runRawConsumer, type RawResult } from './raw.js';
import { formatReport, reproduceCommand } from './report.js';
import { runSluice, type SluiceResult } from './sluice-run.js';
import { compareOutputs, comparisonProblem } from './compare.js';
import { formatLive, runLive, type LiveRow } from './live-bench.js';
import { DEFAULT_FEED_PROCESSES } from './live-feed.js';
import { readOutputs } from './outputs.js';
import { cleanupStreams, runStreamsBaselines, streamsAppId, type StreamsRun } from './streams-bench.js';
import { buildStreams, streamsUnavailable } from './streams-build.js';
import { helpRequested } from './usage.js';

helpRequested(import.meta.url);
const { values: a } = parseArgs({
  options: {
    events: { type: 'string', default: '2000000' },
    partitions: { type: 'string', default: '6' },
    keys: { type: 'string', default: '10000' },
    duplicates: { type: 'string', default: '2' },
    'step-ms': { type: 'string', default: '0.0125' },
    seed: { type: 'string', default: 'bench' },
    timeout: { type: 'string', default: '300' },
    'skip-raw': { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    stages: { type: 'string', default: 'both' },
    'skip-streams': { type: 'boolean', default: false },
    threads: { type: 'string', default: '1,2' },
    repartition: { type: 'boolean', default: false },
    'streams-state': { type: 'string', default: 'rows' },
    'live-rate': { type: 'string', default: '5000' },
    'live-seconds': { type: 'string', default: '60' },
    'skip-live': { type: 'boolean', default: false },
    'feed-processes': { type: 'string', default: String(DEFAULT_FEED_PROCESSES) },
    // what a filter costs: give one every record passes (the outputs are still verified), e.g. "latency_ms >= 0"
    filter: { type: 'string' },
  },
});
if (!['1', '2', 'both'].includes(a.stages)) {
  process.stderr.write(`bench: --stages must be 1, 2 or both (got ${a.stages})\n`);
  process.exit(2);
}

const positive = (name: string, v: string): number => {
  const n = Number(v);
  if (!(n > 0) || !Number.isFinite(n)) {
    process.stderr.write(`bench: --${name} must be a positive number (got ${v})\n`);
    process.exit(2);
  }
  return n;
};
const shape: LoadShape = {
  events: Math.round(positive('events', a.events)),
  partitions: Math.round(positive('partitions', a.partitions)),
  keys: Math.round(positive('keys', a.keys)),
  duplicates: Number(a.duplicates.replace(/%$/, '')) / 100,
  stepMs: positive('step-ms', a['step-ms']),
  seed: a.seed,
};
const timeoutMs = positive('timeout', a.timeout) * 1000;
// 'half': half of the single stage's measured events/s, known once it ran
const halfRate = a['live-rate'] === 'half';
if (halfRate && a.stages === '2') {
  process.stderr.write('bench: --live-rate half needs the single stage (--stages 1 or both)\n');
  process.exit(2);
}
let liveRate = halfRate ? NaN : positive('live-rate', a['live-rate']);
const liveSeconds = positive('live-seconds', a['live-seconds']);
const feedProcesses = Math.round(positive('feed-processes', a['feed-processes']));
if (feedProcesses > shape.partitions) {
  process.stderr.write(`bench: --feed-processes (${feedProcesses}) must be at most --partitions (${shape.partitions}): each feeds its own partitions\n`);
  process.exit(2);
}
const threads = a.threads.split(',').map((x) => Math.round(positive('threads', x)));
const streamsState = a['streams-state'];
if (streamsState !== 'rows' && streamsState !== 'accumulator') {
  process.stderr.write(`bench: --streams-state must be rows or accumulator (got ${streamsState})\n`);
  process.exit(2);
}

const env = loadStackEnv();
if (!env.KAFKA_BROKERS || !env.SCHEMA_REGISTRY_URL || !env.REDIS_URL) {
  process.stderr.write('bench: KAFKA_BROKERS, SCHEMA_REGISTRY_URL and REDIS_URL must be set (or `npm run stack:up` run first)\n');
  process.exit(2);
}
const brokers = env.KAFKA_BROKERS.split(',');
const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
const t = writeBenchTopology(dir, DEMO_TOPOLOGY, false, a.filter);
const rawGroups = [`${t.name}-raw`, `${t.name}-avro`];
const say = (s: string) => process.stderr.write(`${s}\n`);
const runOne = a.stages !== '2';
const runTwo = a.stages !== '1';
const twoDir = join(dir, 'two-stage');
mkdirSync(twoDir);
const t2 = writeBenchTopology(twoDir, DEMO_TOPOLOGY, true, a.filter);
// the comparison is the default wherever Java and Maven are; without them the bench says why and goes on
const streamsNote = a['skip-streams'] ? '--skip-streams' : !runOne ? 'it runs beside the single stage (--stages 1 or both)' : streamsUnavailable();
const streamsJar = streamsNote === undefined ? buildStreams(say) : undefined;
const streamsRuns: StreamsRun[] = [];
const extra = `${streamsJar ? ` --threads ${threads.join(',')}${a.repartition ? ' --repartition' : ''}${streamsState === 'rows' ? '' : ` --streams-state ${streamsState}`}` : ' --skip-streams'}${a['skip-live'] ? ' --skip-live' : ` --live-rate ${a['live-rate']} --live-seconds ${liveSeconds} --feed-processes ${feedProcesses}`}${a.filter === undefined ? '' : ` --filter ${JSON.stringify(a.filter)}`}`;

try {
  say(`bench: preloading ${shape.events.toLocaleString('en')} events into ${t.source} (not timed)…`);
  const input = await preload(brokers, env.SCHEMA_REGISTRY_URL, t, shape);
  const loadBefore = loadAverage();
  const raw: RawResult[] = [];
  if (!a['skip-raw']) {
    for (const [mode, group] of [['raw', rawGroups[0]!], ['avro', rawGroups[1]!]] as const) {
      say(`bench: kafkajs ${mode} consumer…`);
      raw.push(await runRawConsumer({ brokers, topic: t.source, group, events: shape.events, mode, schemaFile: t.schemaFile, timeoutMs }));
    }
  }
  const runEnv = { ...process.env, ...env, KAFKAJS_NO_PARTITIONER_WARNING: '1' };
  let sluice: SluiceResult | undefined;
  if (runOne) {
    say('bench: sluice run (one replica)…');
    sluice = await runSluice({ topologyFile: t.file, events: shape.events, env: runEnv, dir, timeoutMs, profile: a.profile });
  }
  let two: { input: Preloaded; sluice: SluiceResult } | undefined;
  if (runTwo) {
    say(`bench: preloading ${shape.events.toLocaleString('en')} events keyed by user into ${t2.source} (not timed)…`);
    const input2 = await preload(brokers, env.SCHEMA_REGISTRY_URL, t2, { ...shape, keyBy: 'user_id' });
    say('bench: sluice run, two stages (one replica)…');
    two = { input: input2, sluice: await runSluice({ topologyFile: t2.file, events: shape.events, env: runEnv, dir: twoDir, timeoutMs, profile: a.profile && !runOne, twoStage: true }) };
  }
  let verified: string | undefined;
  if (streamsJar && sluice) {
    streamsRuns.push(...await runStreamsBaselines({ jar: streamsJar, brokers, registryUrl: env.SCHEMA_REGISTRY_URL, t, partitions: shape.partitions, threads, repartition: a.repartition, state: streamsState, events: shape.events, dir, timeoutMs, say }));
    verified = await verify(streamsRuns);
  }
  let live: LiveRow[] = [];
  if (!a['skip-live'] && runOne) {
    if (halfRate) liveRate = Math.round(sluice!.events / sluice!.seconds / 2);
    live = await runLive({ brokers, registryUrl: env.SCHEMA_REGISTRY_URL, redisUrl: env.REDIS_URL, env: runEnv, dir, shape, rate: liveRate, seconds: liveSeconds, feedProcesses, timeoutMs, main: t, jar: streamsJar, state: streamsState, say });
  }
  const loadAfter = loadAverage();
  process.stdout.write(`${formatReport({ shape, input, raw, sluice, two, streams: streamsRuns, streamsNote, verified, cores: cpus().length, load: [loadBefore, loadAfter], topology: DEMO_TOPOLOGY, command: reproduceCommand(shape, a.profile, a.stages, extra) })}\n`);
  if (live.length > 0) process.stdout.write(`\n${formatLive(live, liveRate, liveSeconds, { maxWaitMs: (await loadTopology(t.file, { checkSql: false })).spec.batch.max_wait, half: halfRate })}\n`);
  const profileDir = sluice?.profileDir ?? two?.sluice.profileDir;
  if (profileDir) {
    const file = largestProfile(profileDir);
    process.stdout.write(file ? `\n${formatProfile(summariseProfile(file))}\n` : `\nno .cpuprofile in ${profileDir}\n`);
  }
  if (a.keep) say(`bench: kept ${dir} (topology, sluice.log${a.profile ? ', profile' : ''}) and topics ${t.source}, ${t.output}`);
} finally {
  if (!a.keep) {
    await cleanup(brokers, env.REDIS_URL, t, [t.group, ...rawGroups, `${t.name}-compare`]).catch((e) => say(`bench: cleanup failed: ${String(e)}`));
    await cleanupStreams(brokers, threads.map((n) => streamsAppId(t, n))).catch((e) => say(`bench: Kafka Streams cleanup failed: ${String(e)}`));
    await cleanup(brokers, env.REDIS_URL, t2, [t2.group]).catch((e) => say(`bench: cleanup failed: ${String(e)}`));
    if (!a.profile) rmSync(dir, { recursive: true, force: true });
    else say(`bench: profile and log kept in ${dir}`);
  }
}

/**
 * Reads sluice's output and each baseline's back (read_committed) and compares their windows;
 * exits 1 with the reason, printing no timing, when they are not the same.
 */
async function verify(runs: StreamsRun[]): Promise<string> {
  say('bench: reading the outputs back (read_committed) to compare their windows…');
  const outputs = await readOutputs(brokers, env.SCHEMA_REGISTRY_URL!, [t.output, ...runs.map((r) => r.output)], `${t.name}-compare`);
  const mine = outputs.get(t.output)!;
  const lines: string[] = [];
  for (const r of runs) {
    const name = `Kafka Streams (${r.threads} thread${r.threads === 1 ? '' : 's'})`;
    const c = compareOutputs(mine, outputs.get(r.output)!);
    const problem = r.key_mismatch > 0
      ? `${r.key_mismatch} input records are not keyed by their page: run with --repartition`
      : comparisonProblem(c, ['sluice', name]);
    if (problem) {
      say(`bench: topics kept for a look: ${t.output} and ${r.output} (delete them when done)`);
      a.keep = true;
      throw new Error(`the outputs differ, so no timing is printed: ${problem}`);
    }
    if (mine.length === 0 && c.onlyB.length === 0) lines.push(`${name}: no window closed on either side (the event time spans too little), nothing to compare`);
    else lines.push(`${name}: ${c.matched.toLocaleString('en')} windows equal to sluice's${c.onlyA.length + c.onlyB.length > 0 ? ` (${c.onlyA.length} only sluice emitted, ${c.onlyB.length} only Kafka Streams)` : ''}`);
  }
  return `${mine.length.toLocaleString('en')} sluice output records read back; ${lines.join('; ')}`;
}
