/**
 * `npm run bench:clients`: the Kafka client lever of issue #14, measured on sluice's hot loop alone
 * (loop.ts): one preloaded topic, and per client, in its own process, the same read_committed
 * batches with one transaction per partition-batch (outputs + offset). Clients alternate over
 * --rounds on the same topic (a fresh group and output topic each time), so every figure of a
 * client has the other's beside it from the same minutes of the shared box.
 * Before printing, each run's committed offsets must equal the topic's end offsets.
 * Options: --events N (300000) --partitions N (6) --batch N (5000) --output-ratio R (0.09)
 *          --value-bytes N (243) --rounds N (2) --clients kafkajs,platformatic[,kafkajs-retry300] --timeout S (300)
 *          --profile DIR (each worker's V8 CPU profile, summarised after its row)
 * @platformatic/kafka is installed in bench/clients/ on first use (`npm ci` there: its own lock file,
 * apart from sluice's dependencies, since 2.x asks for Node >= 22.22).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { loadStackEnv } from '../../../src/connection/stack-env.js';
import { loadAverage } from '../proc.js';
import { formatProfile, largestProfile, summariseProfile } from '../profile.js';
import type { LoopOptions, LoopResult } from './loop.js';
import { formatClients } from './report.js';

const { values: a } = parseArgs({
  options: {
    events: { type: 'string', default: '300000' },
    partitions: { type: 'string', default: '6' },
    batch: { type: 'string', default: '5000' },
    'output-ratio': { type: 'string', default: '0.09' },
    'value-bytes': { type: 'string', default: '243' },
    rounds: { type: 'string', default: '2' },
    clients: { type: 'string', default: 'kafkajs,platformatic' },
    timeout: { type: 'string', default: '300' },
    profile: { type: 'string' },
  },
});
const num = (k: keyof typeof a): number => Number(a[k]);
const clients = String(a.clients).split(',');
// kafkajs-retry300: sluice's loop with kafkajs' default first retry delay (before SEND_RETRY_MS)
const WORKERS: Record<string, [string, Partial<LoopOptions>]> = { kafkajs: ['kafkajs.ts', {}], 'kafkajs-retry300': ['kafkajs.ts', { sendRetryMs: 300 }], platformatic: ['platformatic.ts', {}] };
for (const c of clients) if (!WORKERS[c]) throw new Error(`bench:clients: unknown client ${c} (${Object.keys(WORKERS).join(', ')})`);
const say = (s: string) => process.stderr.write(`${s}\n`);

const env = loadStackEnv();
if (!env.KAFKA_BROKERS) throw new Error('bench:clients: KAFKA_BROKERS must be set (or `npm run stack:up` run first)');
const brokers = env.KAFKA_BROKERS.split(',');
if (clients.includes('platformatic') && !existsSync(resolve('bench/clients/node_modules/@platformatic/kafka'))) {
  say('bench:clients: installing @platformatic/kafka into bench/clients (npm ci, once)…');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: resolve('bench/clients'), stdio: ['ignore', 'inherit', 'inherit'] });
}

const id = randomBytes(4).toString('hex');
const topic = `bench-clients-${id}-in`;
const partitions = num('partitions');
const kafka = new Kafka({ clientId: 'sluice-bench-clients', brokers, logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
const made: string[] = [topic];
try {
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  say(`bench:clients: preloading ${num('events').toLocaleString('en')} records of ${num('value-bytes')} B into ${topic} (not timed)…`);
  await preload(num('events'), num('value-bytes'));
  const loadBefore = loadAverage();
  const results: LoopResult[] = [];
  for (let round = 0; round < num('rounds'); round++) {
    // alternate the order, so that neither client always runs first
    for (const client of round % 2 === 0 ? clients : [...clients].reverse()) {
      const o: LoopOptions = { brokers, topic, output: `bench-clients-${id}-out-${client}-${round}`, group: `bench-clients-${id}-${client}-${round}`, name: `bench-clients-${id}-${client}-${round}`, partitions, events: num('events'), batch: num('batch'), outputRatio: num('output-ratio'), maxWaitMs: 500, ...WORKERS[client]![1] };
      made.push(o.output);
      await admin.createTopics({ topics: [{ topic: o.output, numPartitions: partitions }], waitForLeaders: true });
      say(`bench:clients: round ${round + 1}, ${client}…`);
      const r = await runWorker(WORKERS[client]![0], o, num('timeout') * 1000, a.profile && profileDir(client, round));
      await verifyOffsets(o.group);
      results.push(r);
      const file = a.profile && largestProfile(profileDir(client, round));
      if (file) say(formatProfile(summariseProfile(file, 15)));
    }
  }
  const command = `npm run bench:clients -- --events ${num('events')} --partitions ${partitions} --batch ${num('batch')} --output-ratio ${num('output-ratio')} --value-bytes ${num('value-bytes')} --rounds ${num('rounds')} --clients ${clients.join(',')}`;
  process.stdout.write(`${formatClients(results, { loadBefore, loadAfter: loadAverage(), command })}\n`);
} finally {
  await admin.deleteTopics({ topics: made }).catch(() => undefined);
  await admin.disconnect();
}

async function preload(events: number, valueBytes: number): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const values = Array.from({ length: 64 }, () => randomBytes(valueBytes));
  for (let sent = 0; sent < events; sent += 10_000) {
    const n = Math.min(10_000, events - sent);
    const messages = Array.from({ length: n }, (_, i) => ({ key: `page-${(sent + i) % 10_000}`, value: values[(sent + i) % 64]!, partition: (sent + i) % partitions }));
    await producer.send({ topic, messages, acks: -1 });
  }
  await producer.disconnect();
}

/** Every partition's committed offset must be its end offset: each record went through a committed transaction. */
async function verifyOffsets(group: string): Promise<void> {
  const [committed, ends] = await Promise.all([admin.fetchOffsets({ groupId: group, topics: [topic] }), admin.fetchTopicOffsets(topic)]);
  for (const e of ends) {
    const c = committed[0]?.partitions.find((p) => p.partition === e.partition)?.offset;
    if (c !== e.high) throw new Error(`bench:clients: group ${group} committed ${c} for partition ${e.partition}, end offset ${e.high}`);
  }
}

function profileDir(client: string, round: number): string {
  return resolve(a.profile!, `${client}-${round}`);
}

function runWorker(script: string, o: LoopOptions, timeoutMs: number, profile: string | undefined): Promise<LoopResult> {
  return new Promise((res, rej) => {
    const prof = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [];
    const child = spawn(process.execPath, [...prof, '--import', 'tsx', join('test/bench/clients', script), JSON.stringify(o)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').at(-1);
      if (code === 0 && line) res(JSON.parse(line) as LoopResult);
      else rej(new Error(`${script} ${signal ? `killed by ${signal} (timeout?)` : `exited with ${code}`}: ${err.slice(-2000)}`));
    });
  });
}
