/**
 * `npm run bench`: drains a preloaded topic through ONE `sluice run` replica and, in the same run on
 * the same machine, through a bare kafkajs consumer (the raw ceiling) and kafkajs + avsc; prints
 * events/s, batch latency, CPU per 100k events, the ratios and the command that reproduces it.
 * Options: --events N --partitions N --keys N --duplicates PCT --step-ms MS --seed S
 *          --skip-raw --profile --keep --timeout S --stages 1|2|both
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
import { loadStackEnv } from '../../src/stack/env-file.js';
import { cleanup, DEMO_TOPOLOGY, preload, writeBenchTopology, type LoadShape, type Preloaded } from './setup.js';
import { loadAverage } from './proc.js';
import { formatProfile, largestProfile, summariseProfile } from './profile.js';
import { runRawConsumer, type RawResult } from './raw.js';
import { formatReport, reproduceCommand } from './report.js';
import { runSluice, type SluiceResult } from './sluice-run.js';

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

const env = loadStackEnv();
if (!env.KAFKA_BROKERS || !env.SCHEMA_REGISTRY_URL || !env.REDIS_URL) {
  process.stderr.write('bench: KAFKA_BROKERS, SCHEMA_REGISTRY_URL and REDIS_URL must be set (or `npm run stack:up` run first)\n');
  process.exit(2);
}
const brokers = env.KAFKA_BROKERS.split(',');
const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
const t = writeBenchTopology(dir);
const rawGroups = [`${t.name}-raw`, `${t.name}-avro`];
const say = (s: string) => process.stderr.write(`${s}\n`);
const runOne = a.stages !== '2';
const runTwo = a.stages !== '1';
const twoDir = join(dir, 'two-stage');
mkdirSync(twoDir);
const t2 = writeBenchTopology(twoDir, DEMO_TOPOLOGY, true);

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
  const loadAfter = loadAverage();
  process.stdout.write(`${formatReport({ shape, input, raw, sluice, two, cores: cpus().length, load: [loadBefore, loadAfter], topology: DEMO_TOPOLOGY, command: reproduceCommand(shape, a.profile, a.stages) })}\n`);
  const profileDir = sluice?.profileDir ?? two?.sluice.profileDir;
  if (profileDir) {
    const file = largestProfile(profileDir);
    process.stdout.write(file ? `\n${formatProfile(summariseProfile(file))}\n` : `\nno .cpuprofile in ${profileDir}\n`);
  }
  if (a.keep) say(`bench: kept ${dir} (topology, sluice.log${a.profile ? ', profile' : ''}) and topics ${t.source}, ${t.output}`);
} finally {
  if (!a.keep) {
    await cleanup(brokers, env.REDIS_URL, t, [t.group, ...rawGroups]).catch((e) => say(`bench: cleanup failed: ${String(e)}`));
    await cleanup(brokers, env.REDIS_URL, t2, [t2.group]).catch((e) => say(`bench: cleanup failed: ${String(e)}`));
    if (!a.profile) rmSync(dir, { recursive: true, force: true });
    else say(`bench: profile and log kept in ${dir}`);
  }
}
