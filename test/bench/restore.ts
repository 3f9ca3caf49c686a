/**
 * `npm run bench:restore`: recovery after a SIGKILL, measured. A fresh topic is fed live (event
 * time = wall clock, --rate events/s) and drained by ONE `sluice run` replica of the demo topology
 * (tumbling 10 s + 2 s grace). After windows have closed --warm times, the replica is SIGKILLed at
 * a random point of a window and a new one started at once; per kill it prints when, after the
 * kill, the new replica served HTTP, got the partitions from the group, had every task started
 * (fence, offset fetch, state) and restored (replay), answered /readyz 200, and when its first
 * output record reached a read_committed consumer; then p50/max over --kills kills. At the end the
 * output windows are checked against what the feed sent: none lost, none twice, every count right.
 * Every replica runs with the same --instance-id (static membership): the new one takes the killed
 * one's place in the group at once; --dynamic runs them without one, as dynamic members, whose join
 * waits for the killed member's session to time out.
 * Options: --kills N --rate N --session-timeout DUR (source.session_timeout; default the topology's) --dynamic
 *          --warm N --partitions N --keys N --duplicates PCT --seed S --timeout S --keep
 *          --profile (a V8 CPU profile of the last recovery, printed as a summary)
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseDocument } from 'yaml';
import { loadStackEnv } from '../../src/connection/stack-env.js';
import { formatProfile, largestProfile, summariseProfile } from './profile.js';
import { cpuSeconds, loadAverage } from './proc.js';
import { startFeed } from './restore-feed.js';
import { watchOutput } from './restore-output.js';
import { Replica } from './restore-replica.js';
import { checkOutputs, delayedByOutage, p50max, PHASES, recovery, type OutputCheck, type Recovery } from './restore-report.js';
import { cleanup, writeBenchTopology } from './setup.js';

const SIZE_MS = 10_000;
const GRACE_MS = 2_000;

const { values: a } = parseArgs({
  options: {
    kills: { type: 'string', default: '5' },
    rate: { type: 'string', default: '10000' },
    'session-timeout': { type: 'string' },
    dynamic: { type: 'boolean', default: false },
    warm: { type: 'string', default: '2' },
    partitions: { type: 'string', default: '6' },
    keys: { type: 'string', default: '10000' },
    duplicates: { type: 'string', default: '2' },
    seed: { type: 'string', default: 'restore' },
    timeout: { type: 'string', default: '180' },
    keep: { type: 'boolean', default: false },
    // the last kill's new replica runs under --cpu-prof and is stopped once ready: a profile of one recovery
    profile: { type: 'boolean', default: false },
  },
});
const env = loadStackEnv();
if (!env.KAFKA_BROKERS || !env.SCHEMA_REGISTRY_URL || !env.REDIS_URL) {
  process.stderr.write('bench:restore: KAFKA_BROKERS, SCHEMA_REGISTRY_URL and REDIS_URL must be set (or `npm run stack:up` run first)\n');
  process.exit(2);
}
const brokers = env.KAFKA_BROKERS.split(',');
const kills = Number(a.kills);
const rate = Number(a.rate);
const stepTimeoutMs = Number(a.timeout) * 1000;
const say = (s: string) => process.stderr.write(`[bench:restore] ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, deadline: number, get: () => T | undefined | Promise<T | undefined>): Promise<T> {
  for (;;) {
    const v = await get();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`bench:restore: gave up waiting for ${what}`);
    await sleep(50);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-restore-'));
const t = writeBenchTopology(dir);
const doc = parseDocument(readFileSync(t.file, 'utf8'));
if (a['session-timeout']) doc.setIn(['source', 'session_timeout'], a['session-timeout']);
writeFileSync(t.file, doc.toString());
const runEnv = { ...process.env, ...env, KAFKAJS_NO_PARTITIONER_WARNING: '1' };
const logFile = join(dir, 'sluice.log');
const profileDir = join(dir, 'profile');
const shape = { events: 0, partitions: Number(a.partitions), keys: Number(a.keys), duplicates: Number(a.duplicates.replace(/%$/, '')) / 100, stepMs: 1000 / rate, seed: a.seed };
const loadBefore = loadAverage();
const instanceId = a.dynamic ? undefined : `${t.name}-0`; // the pod name's role: the same for each replica that replaces the last

const watch = await watchOutput(brokers, env.SCHEMA_REGISTRY_URL, t.output, shape.partitions, `${t.name}-restore`);
const feed = await startFeed(brokers, env.SCHEMA_REGISTRY_URL, t, shape, rate, SIZE_MS, GRACE_MS);
say(`feeding ${t.source} at ${rate.toLocaleString('en')} events/s; starting the first replica`);
let replica = Replica.start(t.file, runEnv, logFile, instanceId);
const results: Recovery[] = [];
const outages: Array<{ joined: number; readyAt: number; cpu: number }> = [];
try {
  await replica.ready(Date.now() + stepTimeoutMs);
  for (let k = 1; k <= kills; k++) {
    // windows must close a few times under this replica: its checkpoints move on
    const since = Date.now();
    await until(`${a.warm} window closes`, since + stepTimeoutMs, () => (new Set(watch.since(since).map((r) => r.end)).size >= Number(a.warm) ? true : undefined));
    await sleep(Math.random() * SIZE_MS); // anywhere in a window's life
    const killedAt = await replica.kill();
    const profiled = a.profile && k === kills;
    replica = Replica.start(t.file, runEnv, logFile, instanceId, profiled ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);
    const readyAt = await replica.ready(killedAt + stepTimeoutMs);
    const cpu = cpuSeconds(replica.child.pid!); // all of it since the process started: is the recovery CPU-bound?
    const joined = replica.first('partitions assigned')!.time;
    await until('a first output record', killedAt + stepTimeoutMs, () => watch.rows.find((r) => r.at >= joined));
    const r = recovery(killedAt, replica.lines, readyAt, watch.rows);
    results.push(r);
    outages.push({ joined, readyAt, cpu });
    if (profiled) {
      await replica.stop(); // writes the profile; a clean leave, so the next replica joins at once
      replica = Replica.start(t.file, runEnv, logFile, instanceId);
      await replica.ready(Date.now() + stepTimeoutMs);
    }
    say(`kill ${k}/${kills}: ${PHASES.map((p) => `${p} ${r[p].toFixed(2)} s`).join(', ')}; steps ${JSON.stringify(r.steps)} ms; replayed ${r.restoredRecords} records; CPU until ready ${cpu.toFixed(2)} s`);
  }
  const lastTs = await feed.stop();
  // a starved feed sends late: event time falls behind the wall clock, and windows close later
  const fed = { events: feed.sent(), seconds: (Date.now() - feed.startedAt) / 1000, behind: (Date.now() - lastTs) / 1000 };
  say(`feed stopped after ${fed.events.toLocaleString('en')} events; waiting for the last windows`);
  const closedBy = lastTs - 1_000; // the generator's jitter is well under a second at these rates
  // every window closed by then, on every partition, or 15 s without a new row (what is missing then is lost)
  const check = await settle(() => checkOutputs(watch.rows, feed.expected, feed.startedAt, closedBy, SIZE_MS, GRACE_MS));
  const delayed = outages.map((o) => delayedByOutage(watch.rows, o.joined, o.readyAt, feed.closable));
  if (a.keep) writeFileSync(join(dir, 'rows.json'), JSON.stringify({ kills: outages, rows: watch.rows }));
  process.stdout.write(`${report(results, delayed, check, fed, [loadBefore, loadAverage()])}\n`);
  const profile = a.profile ? largestProfile(profileDir) : undefined;
  if (profile) process.stdout.write(`\nthe last recovery, from its start to /readyz 200 and its first output:\n${formatProfile(summariseProfile(profile))}\n`);
  if (check.lost + check.duplicated + check.mismatched + check.unexpected > 0) process.exitCode = 1;
} finally {
  await replica.stop();
  await feed.stop().catch(() => undefined);
  await watch.close();
  if (!a.keep) {
    await cleanup(brokers, env.REDIS_URL, t, [t.group, `${t.name}-restore`]).catch((e) => say(`cleanup failed: ${String(e)}`));
    rmSync(dir, { recursive: true, force: true });
  } else say(`kept ${dir} (topology, sluice.log of every replica) and topics ${t.source}, ${t.output}`);
}

async function settle(check: () => OutputCheck): Promise<OutputCheck> {
  const deadline = Date.now() + stepTimeoutMs;
  let seen = -1;
  let since = Date.now();
  for (;;) {
    const c = check();
    if (c.lost === 0 || Date.now() - since > 15_000 || Date.now() > deadline) return c;
    if (watch.rows.length !== seen) [seen, since] = [watch.rows.length, Date.now()];
    await sleep(500);
  }
}

function report(rs: Recovery[], delayed: number[], check: OutputCheck, fed: { events: number; seconds: number; behind: number }, load: [number, number]): string {
  const f = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)} s` : '-');
  const row = (name: string, xs: number[]) => `  ${name.padEnd(44)} p50 ${f(p50max(xs).p50).padStart(8)}   max ${f(p50max(xs).max).padStart(8)}`;
  const labels: Record<(typeof PHASES)[number], string> = {
    up: 'process up (HTTP port served)',
    joined: 'group join (partitions assigned)',
    started: 'tasks started (fence, offsets, state)',
    restored: 'tasks restored (replay done)',
    ready: '/readyz 200',
    firstOutput: 'first new output visible (read_committed)',
  };
  const session = a['session-timeout'] ?? `${String(doc.getIn(['source', 'session_timeout']) ?? '30s')} (the topology's)`;
  const ready = p50max(rs.map((r) => r.ready));
  return [
    `restore after SIGKILL, one replica of the demo topology (tumbling 10 s + 2 s grace), ${rate.toLocaleString('en')} events/s live, source.session_timeout ${session}, ${instanceId ? 'static membership (--instance-id)' : 'dynamic members (--dynamic)'}, ${rs.length} kills (load avg. ${load[0]} → ${load[1]}):`,
    '  seconds after the SIGKILL at which each phase of the new replica ended:',
    ...PHASES.map((p) => row(labels[p], rs.map((r) => r[p]))),
    row('restore itself (sluice_restore_duration_seconds)', rs.map((r) => r.restoreSeconds)),
    row('close → visible of windows the outage delayed', delayed),
    `  records replayed per recovery: ${rs.map((r) => r.restoredRecords).join(', ')}; CPU s of the new replica until ready: ${outages.map((o) => o.cpu.toFixed(2)).join(', ')}`,
    `  longest task-start steps (ms): ${rs.map((r) => JSON.stringify(r.steps)).join(' ')}`,
    `  feed: ${fed.events.toLocaleString('en')} events in ${fed.seconds.toFixed(0)} s (${Math.round(fed.events / fed.seconds).toLocaleString('en')}/s); its event time ended ${fed.behind.toFixed(1)} s behind the wall clock${fed.behind > 2 ? ' (the feed could not keep its rate: windows closed later than the wall clock says)' : ''}`,
    `  target SIGKILL → /readyz 200 ≤ 10 s: ${ready.max <= 10 ? 'MET' : 'NOT MET'} (max ${f(ready.max)})`,
    `  outputs: ${check.windows} windows of ${check.checked.toLocaleString('en')} rows checked against the feed: ${check.lost} lost, ${check.duplicated} duplicated, ${check.mismatched} wrong counts, ${check.unexpected} unexpected${check.examples.length > 0 ? ` (${check.examples.join('; ')})` : ''}`,
    `  command: npm run bench:restore -- --kills ${kills} --rate ${rate}${a['session-timeout'] ? ` --session-timeout ${a['session-timeout']}` : ''}${a.dynamic ? ' --dynamic' : ''}`,
  ].join('\n');
}
