/**
 * `sluice demo`: the main job on the local stack, end to end, in one command:
 * `--parquet s3://bucket/prefix` puts the Parquet files in a bucket of the local S3Proxy instead.
 * stack up → topics + schemas → generated page views → one replica → every window printed as
 * its transaction commits (read back with a read_committed consumer) → stop when idle.
 */
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { logLevel } from 'kafkajs';
import { kafkaClient, schemaSource } from '../src/connection/clients.js';
import { startReplica } from '../src/runtime/replica.js';
import { s3Settings } from '../src/sink/storage/s3-settings.js';
import { stackUp } from './stack/up.js';
import { createLogger } from '../src/telemetry/logger.js';
import { loadTopology } from '../src/topology/loader.js';
import { cliEndpoints } from '../src/cli/endpoints.js';
import { produceCommand } from '../src/cli/produce.js';

const time = (ms: number) => new Date(ms).toISOString().slice(11, 19);
const num = (v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(1) : String(v));

/** The demo's bucket on the local S3 server, made when missing (a real bucket is made by its owner, never by sluice run). */
async function ensureDemoBucket(path: string): Promise<void> {
  const settings = s3Settings(path, '--parquet', process.env);
  const [{ CreateBucketCommand, HeadBucketCommand }, { s3Client }] = await Promise.all([import('@aws-sdk/client-s3'), import('../src/sink/storage/s3.js')]);
  const client = s3Client(settings);
  try {
    await client.send(new HeadBucketCommand({ Bucket: settings.bucket })).catch(() => client.send(new CreateBucketCommand({ Bucket: settings.bucket })));
  } finally {
    client.destroy();
  }
}

export async function demoCommand(file: string, opts: { count: string; parquet?: string }): Promise<void> {
  const log = createLogger({ level: process.env.LOG_LEVEL ?? 'warn' });
  const say = (line: string) => process.stdout.write(`${line}\n`);
  // the demo topology reads its Parquet path from PARQUET_PATH (topologies/page-views.yaml)
  if (opts.parquet) process.env.PARQUET_PATH = opts.parquet;
  const bucket = opts.parquet?.startsWith('s3://');

  say(`== 1/4 local stack (Kafka, schema registry, Redis${bucket ? ', S3Proxy' : ''})`);
  const stack = await stackUp({ services: ['kafka', 'registry', 'redis', ...(bucket ? (['s3'] as const) : [])] });
  for (const [k, v] of Object.entries(stack.env)) process.env[k] ??= v;
  if (bucket && stack.services.some((s) => s.service === 's3' && s.source !== 'env')) await ensureDemoBucket(opts.parquet!);
  const topology = await loadTopology(file);
  const { spec } = topology;
  const endpoints = cliEndpoints(spec.dedup !== undefined, { topology: spec.connection });

  say(`== 2/4 producing ${opts.count} page views to ${spec.source.topic} (2% duplicates, 1% late, 0.5% malformed)`);
  // event times end around now, so the windows printed below are recent ones
  const step = 2;
  const startTs = Date.now() - Number(opts.count) * step;
  await produceCommand(file, { rate: 'max', count: opts.count, duplicates: '2%', late: '1%', invalid: '0.5%', keys: '12', seed: String(Date.now()), startTs: String(startTs), step: String(step) });

  say(`== 3/4 running ${spec.name}: ${spec.window.type} windows, results to ${spec.sinks.topic?.name ?? '-'} and ${spec.sinks.parquet?.path ?? '-'}`);
  // static membership (--instance-id): a demo restarted after a crash takes its partitions back at once
  const replica = await startReplica(topology, endpoints, { log, instanceId: process.env.SLUICE_INSTANCE_ID || 'demo' });
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
  const path = spec.sinks.parquet?.path;
  const parquet = path && !path.startsWith('s3://') ? resolve(topology.dir, path) : path;
  say(`\n${printed} windows committed. Dead letters in ${spec.dead_letter}, late events in ${spec.late}.`);
  const query = `SELECT page, window_start, views, latency_p95 FROM read_parquet('${parquet?.replace(/\/$/, '')}/window_date=*/*.parquet') ORDER BY window_start DESC, views DESC LIMIT 10`;
  if (parquet?.startsWith('s3://')) {
    // the key pair is in .stack/stack.env; it is not printed (README, Parquet in a bucket)
    const endpoint = new URL(process.env.SLUICE_S3_ENDPOINT ?? 'http://127.0.0.1:18090');
    say(`Parquet in ${parquet}: with DuckDB's httpfs and the key pair of .stack/stack.env:\n  duckdb -c "CREATE SECRET (TYPE s3, KEY_ID '<SLUICE_S3_ACCESS_KEY_ID>', SECRET '<SLUICE_S3_SECRET_ACCESS_KEY>', ENDPOINT '${endpoint.host}', URL_STYLE 'path', USE_SSL ${endpoint.protocol === 'https:'}); ${query}"`);
  } else if (parquet) say(`Parquet: duckdb -c "${query}"`);
  say('The stack keeps running for more experiments; `npm run stack:down` stops it.');
}
