/**
 * `sluice demo`: the main job on the local stack, end to end, in one command:
 * stack up → topics + schemas → generated page views → one replica → every window printed as
 * its transaction commits (read back with a read_committed consumer) → stop when idle.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { logLevel } from 'kafkajs';
import { kafkaClient, schemaSource } from '../connection/clients.js';
import { startReplica } from '../runtime/replica.js';
import { stackUp } from '../stack/up.js';
import { createLogger } from '../telemetry/logger.js';
import { loadTopology } from '../topology/loader.js';
import { cliEndpoints } from './endpoints.js';
import { produceCommand } from './produce.js';

const time = (ms: number) => new Date(ms).toISOString().slice(11, 19);
const num = (v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(1) : String(v));

export async function demoCommand(file: string, opts: { count: string }): Promise<void> {
  const log = createLogger({ level: process.env.LOG_LEVEL ?? 'warn' });
  const say = (line: string) => process.stdout.write(`${line}\n`);

  say('== 1/4 local stack (Kafka, schema registry, Redis)');
  const stack = await stackUp();
  for (const [k, v] of Object.entries(stack.env)) process.env[k] ??= v;
  const topology = await loadTopology(file);
  const { spec } = topology;
  const endpoints = cliEndpoints(spec.dedup !== undefined, { topology: spec.connection });

  say(`== 2/4 producing ${opts.count} page views to ${spec.source.topic} (2% duplicates, 1% late, 0.5% malformed)`);
  // event times end around now, so the windows printed below are recent ones
  const step = 2;
  const startTs = Date.now() - Number(opts.count) * step;
  await produceCommand(file, { rate: 'max', count: opts.count, duplicates: '2%', late: '1%', invalid: '0.5%', keys: '12', seed: String(Date.now()), startTs: String(startTs), step: String(step) });

  say(`== 3/4 running ${spec.name}: ${spec.window.type} windows, results to ${spec.sinks.topic?.name ?? '-'} and ${spec.sinks.parquet?.path ?? '-'}`);
  const replica = await startReplica(topology, endpoints, { log });
  say(`   metrics: http://localhost:${replica.port}/metrics`);

  const output = spec.sinks.topic?.name;
  let printed = 0;
  let last = Date.now();
  const kafka = kafkaClient(endpoints, { clientId: 'sluice-demo-reader', logLevel: logLevel.NOTHING });
  const reader = kafka.consumer({ groupId: `sluice-demo-reader-${randomUUID().slice(0, 8)}`, readUncommitted: false });
  if (output) {
    const registry = schemaSource(endpoints).client;
    const metrics = Object.keys(spec.aggregate.metrics);
    await reader.connect();
    await reader.subscribe({ topic: output, fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        const v = (await registry.decode(message.value!)) as Record<string, unknown>;
        if (Number(v.window_end) <= startTs) return; // a window of an earlier run
        const group = spec.aggregate.group_by.map((g) => `${g}=${String(v[g])}`).join(' ');
        say(`   window ${time(Number(v.window_start))}–${time(Number(v.window_end))}  ${group.padEnd(16)} ${metrics.map((m) => `${m}=${num(v[m])}`).join(' ')}`);
        printed++;
        last = Date.now();
      },
    });
  }

  say('== 4/4 windows as their transactions commit (read_committed):');
  // the newest windows stay open until later events advance stream time: stop once output is quiet
  while (Date.now() - last < 10_000 || !replica.ready()) await new Promise((r) => setTimeout(r, 500));
  await reader.disconnect();
  await replica.stop();
  const parquet = spec.sinks.parquet ? resolve(topology.dir, spec.sinks.parquet.path) : undefined;
  say(`\n${printed} windows committed. Dead letters in ${spec.dead_letter}, late events in ${spec.late}.`);
  if (parquet) say(`Parquet: duckdb -c "SELECT page, window_start, views, latency_p95 FROM read_parquet('${parquet}/window_date=*/*.parquet') ORDER BY window_start DESC, views DESC LIMIT 10"`);
  say('The stack keeps running for more experiments; `npm run stack:down` stops it.');
}
