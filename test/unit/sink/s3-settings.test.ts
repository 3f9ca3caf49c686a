/** Bucket settings from s3://bucket/prefix and the environment (no server needed). */
import { describe, expect, it } from 'vitest';
import { hint, isMisconfigured, parseS3Url, s3Settings } from '../../../src/sink/storage/s3-settings.js';
import { copySource } from '../../../src/sink/storage/s3.js';

describe('s3 settings', () => {
  it('parses bucket and prefix; the prefix ends with / or is empty', () => {
    expect(parseS3Url('s3://my-bucket/a/b', 'f')).toEqual({ bucket: 'my-bucket', prefix: 'a/b/' });
    expect(parseS3Url('s3://my-bucket/a/b/', 'f')).toEqual({ bucket: 'my-bucket', prefix: 'a/b/' });
    expect(parseS3Url('s3://my-bucket', 'f')).toEqual({ bucket: 'my-bucket', prefix: '' });
    expect(() => parseS3Url('s3://My_Bucket/x', 'file.yaml: sinks.parquet.path')).toThrow(/file.yaml: sinks.parquet.path: expected s3:\/\/bucket\/prefix/);
  });

  it('takes SLUICE_S3_* over the AWS variables, path style by default with an endpoint only', () => {
    const aws = { AWS_ENDPOINT_URL: 'http://a', AWS_ENDPOINT_URL_S3: 'http://s3', AWS_REGION: 'eu-west-1' };
    expect(s3Settings('s3://bkt/p', 'f', aws)).toMatchObject({ endpoint: 'http://s3', region: 'eu-west-1', forcePathStyle: true });
    expect(s3Settings('s3://bkt/p', 'f', { ...aws, SLUICE_S3_ENDPOINT: 'http://mine', SLUICE_S3_REGION: 'x' })).toMatchObject({ endpoint: 'http://mine', region: 'x' });
    const plain = s3Settings('s3://bkt/p', 'f', {});
    expect(plain).toMatchObject({ region: 'us-east-1', forcePathStyle: false });
    expect(plain.endpoint).toBeUndefined();
    expect(plain.credentials).toBeUndefined(); // the SDK's default chain reads AWS_ACCESS_KEY_ID and the rest
    expect(s3Settings('s3://bkt/p', 'f', { ...aws, SLUICE_S3_PATH_STYLE: 'false' }).forcePathStyle).toBe(false);
  });

  it('SLUICE_S3 keys come as a pair', () => {
    expect(s3Settings('s3://bkt', 'f', { SLUICE_S3_ACCESS_KEY_ID: 'k', SLUICE_S3_SECRET_ACCESS_KEY: 's' }).credentials).toEqual({ accessKeyId: 'k', secretAccessKey: 's' });
    expect(() => s3Settings('s3://bkt', 'f', { SLUICE_S3_ACCESS_KEY_ID: 'k' })).toThrow(/go together/);
    expect(() => s3Settings('s3://bkt', 'f', { SLUICE_S3_PATH_STYLE: 'yes' })).toThrow(/true or false/);
  });

  it('tells a misconfiguration (no retry helps) from an outage, and says what to check', () => {
    const s = s3Settings('s3://bkt/p', 'f', { SLUICE_S3_ENDPOINT: 'http://e' });
    const named = (name: string, status?: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
    expect(isMisconfigured(named('InvalidAccessKeyId', 403))).toBe(true);
    expect(isMisconfigured(named('NoSuchBucket', 404))).toBe(true);
    expect(isMisconfigured(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(isMisconfigured(named('InternalError', 500))).toBe(false);
    expect(hint(named('NoSuchBucket', 404), s)).toContain('bucket "bkt" exists at http://e');
    expect(hint(named('SignatureDoesNotMatch', 403), s)).toContain('check the access key and secret');
  });

  it('URL-encodes CopySource per path segment', () => {
    expect(copySource('b', 'p/window_date=2024-01-01/x y.parquet')).toBe('b/p/window_date%3D2024-01-01/x%20y.parquet');
  });
});
