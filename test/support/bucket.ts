/**
 * A bucket of the test S3 server (SLUICE_S3_ENDPOINT and its keys, which test/global-setup.ts
 * exports) with a random name, read back with the AWS SDK directly (not through src/): its
 * objects listed, downloaded into a folder for DuckDB, and the bucket emptied and removed.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CreateBucketCommand, DeleteBucketCommand, DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { Checkpoint } from '../../src/commit/checkpoint.js';
import { waitFor } from './read.js';
import { randomName } from './services.js';

export interface TestBucket {
  name: string;
  client: S3Client;
  /** Settings a replica needs to reach it (endpoint and keys as SLUICE_S3_* variables). */
  env: Record<string, string>;
  /** Keys (without folder markers) under `prefix`. */
  keys(prefix?: string): Promise<string[]>;
  /** Every object under `prefix`, into a new local folder (keys relative to `prefix`); returns the folder. */
  download(prefix: string): Promise<string>;
  remove(): Promise<void>;
}

export function s3TestEnv(): Record<string, string> {
  const { SLUICE_S3_ENDPOINT, SLUICE_S3_ACCESS_KEY_ID, SLUICE_S3_SECRET_ACCESS_KEY } = process.env;
  if (!SLUICE_S3_ENDPOINT || !SLUICE_S3_ACCESS_KEY_ID || !SLUICE_S3_SECRET_ACCESS_KEY) throw new Error('SLUICE_S3_ENDPOINT and its keys must be set (test/global-setup.ts sets them)');
  return { SLUICE_S3_ENDPOINT, SLUICE_S3_ACCESS_KEY_ID, SLUICE_S3_SECRET_ACCESS_KEY };
}

export async function createTestBucket(env: Record<string, string> = s3TestEnv()): Promise<TestBucket> {
  const client = new S3Client({
    endpoint: env.SLUICE_S3_ENDPOINT,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: env.SLUICE_S3_ACCESS_KEY_ID!, secretAccessKey: env.SLUICE_S3_SECRET_ACCESS_KEY! },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const name = randomName('sluice-it');
  await client.send(new CreateBucketCommand({ Bucket: name }));
  const dirs: string[] = [];
  const keys = async (prefix = ''): Promise<string[]> => {
    const out: string[] = [];
    let ContinuationToken: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: name, Prefix: prefix, ContinuationToken }));
      for (const o of page.Contents ?? []) if (o.Key && !o.Key.endsWith('/')) out.push(o.Key);
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
    return out;
  };
  return {
    name,
    client,
    env,
    keys,
    async download(prefix) {
      const dir = mkdtempSync(join(tmpdir(), 'sluice-bucket-'));
      dirs.push(dir);
      for (const key of await keys(prefix)) {
        const res = await client.send(new GetObjectCommand({ Bucket: name, Key: key }));
        const file = join(dir, key.slice(prefix.length));
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, await res.Body!.transformToByteArray());
      }
      return dir;
    },
    async remove() {
      for (const key of await keys()) await client.send(new DeleteObjectCommand({ Bucket: name, Key: key }));
      await client.send(new DeleteBucketCommand({ Bucket: name })).catch(() => undefined); // a filesystem backend may keep folder markers
      client.destroy();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

/** As waitPublished (./pipeline.ts), for a bucket: the last commits' staging objects are gone once their files are copied into place. */
export async function waitPublishedInBucket(bucket: TestBucket, prefix: string, checkpoints: ReadonlyMap<number, Checkpoint>, timeoutMs = 30_000): Promise<void> {
  const staged = async () => {
    const left: string[] = [];
    for (const c of checkpoints.values()) if (c.staging && (await bucket.keys(`${prefix}_staging/${c.staging}/`)).length > 0) left.push(c.staging);
    return left;
  };
  await waitFor(async () => (await staged()).length === 0, timeoutMs, () => `staged Parquet objects under ${prefix}_staging/ to be published`, 250);
}
