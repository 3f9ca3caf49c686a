/**
 * The Parquet sink in a bucket of a real S3 server (S3Proxy, see test/global-setup.ts): the
 * pipeline's files read back from the bucket equal the oracle's windows, each listed once in the
 * manifest with its sha256; a batch committed by one replica is rolled forward from the bucket
 * alone by another whose local disk is gone; dead staging goes only past the zombie bound; wrong
 * settings fail at start naming the bucket; an unreachable bucket is an outage the partition waits out.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplica, type Replica } from '../../src/runtime/replica.js';
import { parquetPath, parquetSink } from '../../src/sink/parquet.js';
import { openStorage } from '../../src/sink/storage/registry.js';
import type { ClosedWindows } from '../../src/sink/types.js';
import { loadTopology } from '../../src/topology/loader.js';
import { checkParquet, clean } from '../chaos/verify.js';
import { createTestBucket, waitPublishedInBucket, type TestBucket } from '../support/bucket.js';
import { produceFixedInput } from '../support/input.js';
import { oracle } from '../support/oracle.js';
import { writeTopology, type TestTopology } from '../support/pipeline.js';
import { hostPort, tcpProxy } from '../support/proxy.js';
import { waitFor, waitProcessed } from '../support/read.js';
import { endpoints } from '../support/services.js';

interface Logged { level: number; msg: string; dependency?: string }
function capture(): { log: pino.Logger; said: (re: RegExp) => Logged[] } {
  const lines: Logged[] = [];
  const log = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l) as Logged) });
  return { log, said: (re) => lines.filter((l) => re.test(l.msg)) };
}

async function createSource(topic: string, partitions: number): Promise<void> {
  const admin = new Kafka({ clientId: 'sluice-test-admin', brokers: endpoints().brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

describe('Parquet sink in a bucket', () => {
  let bucket: TestBucket;
  const replicas: Replica[] = [];
  const cleanups: Array<() => Promise<unknown> | void> = [];
  beforeAll(async () => {
    bucket = await createTestBucket();
  });
  afterAll(async () => {
    for (const r of replicas) await r.stop();
    for (const c of cleanups) await c();
    await bucket?.remove();
  });

  async function start(t: TestTopology, env: Record<string, string>, opts: { log?: pino.Logger; startupTimeoutMs?: number; stateDir?: string } = {}): Promise<Replica> {
    const { brokers, registryUrl, redisUrl } = endpoints();
    const r = await startReplica(await loadTopology(t.file), { brokers, registryUrl, redisUrl, storageEnv: { ...process.env, ...env } }, { port: 0, log: opts.log ?? pino({ level: 'warn' }), startupTimeoutMs: opts.startupTimeoutMs, stateDir: opts.stateDir });
    replicas.push(r);
    return r;
  }

  async function topologyWithInput(prefix: string, count: number, seed: number) {
    const t = writeTopology({ parquet: `s3://${bucket.name}/${prefix}` });
    cleanups.push(() => rmSync(t.dir, { recursive: true, force: true }));
    return { t, ...(await produceInput(t, count, seed)) };
  }

  async function produceInput(t: TestTopology, count: number, seed: number) {
    const { brokers, registryUrl } = endpoints();
    const topology = await loadTopology(t.file, { checkSql: false });
    const input = await produceFixedInput({ brokers, registryUrl, topic: t.source, partitions: 3, topologyFile: t.file, count, seed, duplicates: 0.03, late: 0.02, invalid: 0.03, keys: 12 });
    return { expected: oracle(input.oracleInput(), topology.spec) };
  }

  async function expectBucketHoldsOracle(t: TestTopology, prefix: string, expected: ReturnType<typeof oracle>) {
    const checkpoints = await waitProcessed(endpoints().brokers, t.group, t.source);
    await waitPublishedInBucket(bucket, prefix, checkpoints);
    // a plain download, then the reader a user would run: DuckDB over the files the manifest lists
    const dir = await bucket.download(prefix);
    const c = await checkParquet({ ...t, parquet: dir }, expected);
    expect(c.details).toEqual([]);
    expect(clean(c)).toBe(true);
    expect(c.got).toBe(expected.windows.length);
  }

  it('publishes exactly the oracle\'s windows, each listed once in _manifest/, and leaves no staging', async () => {
    const { t, expected } = await topologyWithInput('views/', 2000, 7);
    const r = await start(t, bucket.env);
    await expectBucketHoldsOracle(t, 'views/', expected);
    expect(expected.windows.length).toBeGreaterThan(20);
    expect(await bucket.keys('views/_staging/')).toEqual([]);
    const metrics = await (await fetch(`http://127.0.0.1:${r.port}/metrics`)).text();
    expect(metrics).toMatch(/sluice_storage_operation_seconds_count\{[^}]*backend="s3",operation="put"\} [1-9]/);
    expect(metrics).toMatch(/sluice_storage_operation_seconds_count\{[^}]*backend="s3",operation="copy"\} [1-9]/);
  });

  it('another replica, its local disk empty, rolls a committed batch forward from the bucket alone', async () => {
    const env = { ...process.env, ...bucket.env };
    const open = async (spoolBase: string) => openStorage(`s3://${bucket.name}/recover`, { baseDir: '/', topology: 'rec', spoolBase, field: 'test', env });
    const [diskA, diskB] = [mkdtempSync(join(tmpdir(), 'sluice-disk-a-')), mkdtempSync(join(tmpdir(), 'sluice-disk-b-'))];
    cleanups.push(() => rmSync(diskB, { recursive: true, force: true }));
    const windows = [{ start: 1_700_000_000_000, end: 1_700_000_010_000 }, { start: 1_700_000_010_000, end: 1_700_000_020_000 }];
    const big = randomBytes(9 << 20); // above the multipart threshold
    const closed: ClosedWindows = {
      partition: 2,
      windows,
      files: windows.map((w) => ({ ...w, windows: [w] })),
      rows: [],
      writeParquet: async ([w], file) => (writeFileSync(file, w === windows[1] ? big : `rows of ${w!.start}`), 1),
    };
    const a = await open(diskA);
    await parquetSink({ storage: a, topology: 'rec', orphanAgeMs: 60_000 }).stage!(closed, 'p2-committed');
    await parquetSink({ storage: a, topology: 'rec', orphanAgeMs: 60_000 }).stage!({ ...closed, windows: windows.slice(0, 1), files: closed.files.slice(0, 1) }, 'p2-aborted');
    // replica A dies after the commit, before any copy; its disk goes with it
    await a.close();
    rmSync(diskA, { recursive: true, force: true });

    const b = await open(diskB);
    cleanups.push(() => b.close());
    const sink = parquetSink({ storage: b, topology: 'rec', orphanAgeMs: 60_000 });
    await sink.recover!(2, 'p2-committed', windows);
    await sink.recover!(2, 'p2-committed', windows); // a second takeover repeats it harmlessly
    const keys = (await bucket.keys('recover/')).map((k) => k.slice('recover/'.length)).sort();
    const rels = windows.map((w) => parquetPath(w, 2));
    expect(keys).toEqual([...rels.map((r) => `_manifest/${r}.json`), '_staging/p2-aborted/' + rels[0]!.replace(/\//g, '__'), '_staging/p2-aborted/' + `${rels[0]!.replace(/\//g, '__')}.json`, ...rels].sort());
    const published = await b.get(rels[1]!);
    expect(createHash('sha256').update(published!).digest('hex')).toBe(createHash('sha256').update(big).digest('hex'));
    const entry = JSON.parse((await b.get(`_manifest/${rels[1]}.json`))!.toString()) as { sha256: string; file: string };
    expect(entry).toMatchObject({ file: rels[1], sha256: createHash('sha256').update(big).digest('hex') });

    // the aborted token is younger than the zombie bound: kept; past it: removed
    await parquetSink({ storage: b, topology: 'rec', orphanAgeMs: 0 }).recover!(2, undefined, []);
    expect(await bucket.keys('recover/_staging/')).toEqual([]);
  });

  it('wrong credentials or a missing bucket fail at start, naming the bucket and what to check', async () => {
    const { t } = await topologyWithInput('misconfigured/', 20, 3);
    await expect(start(t, { ...bucket.env, SLUICE_S3_SECRET_ACCESS_KEY: 'wrong' })).rejects.toMatchObject({
      code: 'SINK_PATH_UNWRITABLE', domain: 'user', message: expect.stringMatching(new RegExp(`s3://${bucket.name}/misconfigured/.*check the access key and secret`)),
    });
    const other = writeTopology({ dir: t.dir, name: t.name, parquet: 's3://sluice-no-such-bucket/x' });
    await expect(start(other, bucket.env)).rejects.toMatchObject({ code: 'SINK_PATH_UNWRITABLE', message: expect.stringContaining('check that bucket "sluice-no-such-bucket" exists') });
  });

  it('an unreachable bucket is an outage: the partitions wait (logged once) and then publish everything', async () => {
    const t = writeTopology({ parquet: `s3://${bucket.name}/outage/` });
    cleanups.push(() => rmSync(t.dir, { recursive: true, force: true }));
    await createSource(t.source, 3);
    const proxy = await tcpProxy(hostPort(bucket.env.SLUICE_S3_ENDPOINT!));
    cleanups.push(() => proxy.down());
    await proxy.up();
    const { log, said } = capture();
    await start(t, { ...bucket.env, SLUICE_S3_ENDPOINT: proxy.url('http') }, { log });
    await proxy.down();
    const { expected } = await produceInput(t, 1500, 9); // its windows close while the bucket is unreachable
    await waitFor(() => said(/^storage unavailable/).length > 0, 60_000, () => 'the storage outage line');
    await new Promise((r) => setTimeout(r, 3000)); // several retries meanwhile, none may log again
    await proxy.up();
    await expectBucketHoldsOracle(t, 'outage/', expected);
    expect(said(/^storage unavailable/)).toHaveLength(1);
    expect(said(/^storage available again/)).toHaveLength(1);
  });
});
