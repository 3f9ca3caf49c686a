/**
 * S3-compatible object storage (AWS S3, MinIO, R2, Ceph, S3Proxy) through the AWS SDK v3.
 * Files are written locally by DuckDB (its sandbox reaches no network) and uploaded from here.
 * No conditional writes (`If-None-Match: *` is ignored by some servers, S3Proxy among them):
 * copy-once is a HEAD then a CopyObject, safe because only the partition's fenced owner publishes
 * and a final key only ever receives the bytes of the one committed staging object.
 */
import { createReadStream } from 'node:fs';
import { readFile, rm, stat } from 'node:fs/promises';
import {
  CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { SluiceError } from '../../errors.js';
import { hint, isMisconfigured, type S3Settings } from './s3-settings.js';
import type { ObjectStorage, StoredObject } from './types.js';

/** Files above this go up in parts (https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html: parts ≥ 5 MiB). */
export const MULTIPART_BYTES = 8 << 20;

export function s3Client(s: S3Settings): S3Client {
  return new S3Client({
    region: s.region,
    ...(s.endpoint ? { endpoint: s.endpoint } : {}),
    forcePathStyle: s.forcePathStyle,
    ...(s.credentials ? { credentials: s.credentials } : {}),
    // checksums only where the API requires them: S3-compatible servers answer the SDK's default
    // CRC32 trailers with NotImplemented (S3Proxy 2.6 does)
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // an unreachable bucket is an outage the caller waits out (runtime/outage.ts), not a long SDK retry
    maxAttempts: 2,
    requestHandler: { connectionTimeout: 5000, requestTimeout: 120_000 },
  });
}

const notFound = (e: unknown): boolean => {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err.name === 'NotFound' || err.name === 'NoSuchKey' || err.$metadata?.httpStatusCode === 404;
};

/** CopySource is `bucket/key`, URL-encoded (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html). */
export const copySource = (bucket: string, key: string): string => `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;

export function s3Storage(s: S3Settings, opts: { spool: string; field: string }): ObjectStorage {
  const client = s3Client(s);
  const Bucket = s.bucket;
  const full = (key: string) => `${s.prefix}${key}`;
  const location = `s3://${s.bucket}/${s.prefix}`;
  const exists = (key: string) => client.send(new HeadObjectCommand({ Bucket, Key: full(key) })).then(() => true, (e: unknown) => (notFound(e) ? false : Promise.reject(e)));

  async function list(prefix: string): Promise<StoredObject[]> {
    const out: StoredObject[] = [];
    let ContinuationToken: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket, Prefix: full(prefix), ContinuationToken }));
      for (const o of page.Contents ?? []) {
        // a filesystem-backed server lists its folders as keys ending in "/": not objects
        if (!o.Key || o.Key.endsWith('/')) continue;
        out.push({ key: o.Key.slice(s.prefix.length), modified: o.LastModified?.getTime() ?? 0, size: o.Size ?? 0 });
      }
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
    return out;
  }

  return {
    backend: 's3',
    location,
    spool: opts.spool,
    async check() {
      const key = `_staging/.probe-${process.pid}-${Date.now()}`;
      try {
        await client.send(new PutObjectCommand({ Bucket, Key: full(key), Body: '' }));
        await list('_staging/.probe-');
        await client.send(new DeleteObjectCommand({ Bucket, Key: full(key) }));
      } catch (e) {
        if (!isMisconfigured(e)) throw e; // unreachable: an outage, waited for like Kafka's (runtime/startup.ts)
        throw new SluiceError('SINK_PATH_UNWRITABLE', `${opts.field}: cannot write Parquet objects to ${location} (${(e as Error).name}: ${(e as Error).message}); ${hint(e, s)}`, { bucket: s.bucket }, { cause: e });
      }
    },
    async put(key, file) {
      const { size } = await stat(file);
      if (size <= MULTIPART_BYTES) {
        // a buffer, so that the SDK can resend it
        await client.send(new PutObjectCommand({ Bucket, Key: full(key), Body: await readFile(file) }));
        return;
      }
      // parts are uploaded, then made one object at CompleteMultipartUpload: never half an object
      await new Upload({ client, params: { Bucket, Key: full(key), Body: createReadStream(file) }, partSize: MULTIPART_BYTES, queueSize: 2, leavePartsOnError: false }).done();
    },
    async copyOnce(from, to) {
      if (await exists(to)) return 'done';
      try {
        await client.send(new CopyObjectCommand({ Bucket, Key: full(to), CopySource: copySource(Bucket, full(from)) }));
        return 'copied';
      } catch (e) {
        if (!notFound(e)) throw e;
        if (await exists(to)) return 'done';
        throw new Error(`neither ${location}${from} nor ${location}${to} exists: a committed Parquet file is lost`, { cause: e });
      }
    },
    list,
    async deletePrefix(prefix) {
      // one DeleteObject per key: DeleteObjects requires a Content-MD5 or checksum header, which
      // the WHEN_REQUIRED setting and some servers disagree on; a staging folder holds few objects
      for (const o of await list(prefix)) await client.send(new DeleteObjectCommand({ Bucket, Key: full(o.key) }));
    },
    async get(key) {
      try {
        const res = await client.send(new GetObjectCommand({ Bucket, Key: full(key) }));
        return Buffer.from(await res.Body!.transformToByteArray());
      } catch (e) {
        if (notFound(e)) return undefined;
        throw e;
      }
    },
    async close() {
      client.destroy();
      await rm(opts.spool, { recursive: true, force: true });
    },
  };
}
