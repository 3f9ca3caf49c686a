/**
 * Where a bucket is and how to reach it, from `s3://bucket/prefix` and the environment: the
 * standard AWS variables (https://docs.aws.amazon.com/sdkref/latest/guide/feature-ss-endpoints.html,
 * https://docs.aws.amazon.com/sdkref/latest/guide/feature-static-credentials.html), with SLUICE_S3_*
 * taking precedence where both exist. Pure: unit-tested without a server.
 */
import { SluiceError } from '../../errors.js';

export interface S3Location { bucket: string; /** '' or ends with '/' */ prefix: string }

export interface S3Settings extends S3Location {
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
  /** Unset: the SDK's default chain (AWS_ACCESS_KEY_ID…, profiles, instance roles). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/** Bucket naming rules, loosely: https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function parseS3Url(url: string, field: string): S3Location {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(url);
  if (!m || !BUCKET.test(m[1]!)) {
    throw new SluiceError('TOPOLOGY_INVALID', `${field}: expected s3://bucket/prefix with a bucket name of 3–63 lower-case letters, digits, "." and "-" (got ${JSON.stringify(url)})`);
  }
  const prefix = m[2]!.replace(/^\/+|\/+$/g, '');
  return { bucket: m[1]!, prefix: prefix ? `${prefix}/` : '' };
}

const first = (env: NodeJS.ProcessEnv, ...names: string[]): string | undefined => names.map((n) => env[n]).find((v) => v !== undefined && v !== '');

export function s3Settings(url: string, field: string, env: NodeJS.ProcessEnv): S3Settings {
  const endpoint = first(env, 'SLUICE_S3_ENDPOINT', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL');
  const pathStyle = first(env, 'SLUICE_S3_PATH_STYLE');
  if (pathStyle !== undefined && pathStyle !== 'true' && pathStyle !== 'false') {
    throw new SluiceError('BAD_ARGUMENT', `SLUICE_S3_PATH_STYLE: expected true or false (got ${JSON.stringify(pathStyle)})`);
  }
  const accessKeyId = first(env, 'SLUICE_S3_ACCESS_KEY_ID');
  const secretAccessKey = first(env, 'SLUICE_S3_SECRET_ACCESS_KEY');
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new SluiceError('BAD_ARGUMENT', 'SLUICE_S3_ACCESS_KEY_ID and SLUICE_S3_SECRET_ACCESS_KEY go together: set both or neither');
  }
  return {
    ...parseS3Url(url, field),
    ...(endpoint ? { endpoint } : {}),
    region: first(env, 'SLUICE_S3_REGION', 'AWS_REGION', 'AWS_DEFAULT_REGION') ?? 'us-east-1',
    // S3-compatible servers (MinIO, S3Proxy, Ceph) usually want path-style URLs; AWS itself virtual-hosted ones
    forcePathStyle: pathStyle !== undefined ? pathStyle === 'true' : endpoint !== undefined,
    ...(accessKeyId && secretAccessKey ? { credentials: { accessKeyId, secretAccessKey, ...(env.SLUICE_S3_SESSION_TOKEN ? { sessionToken: env.SLUICE_S3_SESSION_TOKEN } : {}) } } : {}),
  };
}

/** Error names that no retry resolves: wrong keys, no permission, no such bucket (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html). */
const MISCONFIGURED = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'NoSuchBucket', 'AuthorizationHeaderMalformed', 'PermanentRedirect', 'InvalidBucketName', 'InvalidToken', 'ExpiredToken', 'CredentialsProviderError']);

export function isMisconfigured(e: unknown): boolean {
  const err = e as { name?: string; Code?: string; $metadata?: { httpStatusCode?: number } };
  return MISCONFIGURED.has(err.name ?? '') || MISCONFIGURED.has(err.Code ?? '') || err.$metadata?.httpStatusCode === 403 || err.$metadata?.httpStatusCode === 404;
}

/** What to check for a misconfigured bucket, by error. */
export function hint(e: unknown, s: S3Settings): string {
  const name = (e as { name?: string }).name ?? '';
  if (name === 'NoSuchBucket' || (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return `check that bucket "${s.bucket}" exists at ${s.endpoint ?? 'AWS'} (sluice does not create buckets)`;
  if (name === 'CredentialsProviderError') return 'no credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or SLUICE_S3_ACCESS_KEY_ID / SLUICE_S3_SECRET_ACCESS_KEY)';
  return `check the access key and secret (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or SLUICE_S3_*), that they may put, get, list and delete objects in bucket "${s.bucket}", and the region (${s.region})`;
}
