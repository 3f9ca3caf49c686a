import { describe, expect, it } from 'vitest';
import { redactSecrets, redactText, redactUrl, registerSecret } from '../../../src/telemetry/redact.js';

describe('redactUrl', () => {
  it.each([
    ['http://user:pw@registry:8081/apis/ccompat/v7', 'http://user:***@registry:8081/apis/ccompat/v7'],
    ['https://key:p%40ss%2Fw@host/', 'https://key:***@host/'],
    ['redis://:pw@127.0.0.1:6379', 'redis://:***@127.0.0.1:6379'],
    ['rediss://default:pw@cache.example:6380/2', 'rediss://default:***@cache.example:6380/2'],
    ['http://user:p@ss@host/x', 'http://user:***@host/x'], // an unencoded "@": the last one ends the credentials
    ['http://user@host/x', 'http://user@host/x'], // a user name alone is not a secret
    ['http://127.0.0.1:18081/apis/ccompat/v7', 'http://127.0.0.1:18081/apis/ccompat/v7'],
    ['127.0.0.1:19092', '127.0.0.1:19092'],
    ['not a url', 'not a url'],
  ])('%s → %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});

describe('redactText', () => {
  it('masks every URL password in free text and leaves the rest', () => {
    expect(redactText('GET http://a:one@h1/x failed; REDIS_URL=redis://:two@h2:6379 (see http://h3/?q=a:b@c)')).toBe(
      'GET http://a:***@h1/x failed; REDIS_URL=redis://:***@h2:6379 (see http://h3/?q=a:b@c)',
    );
  });
});

describe('registerSecret', () => {
  it('masks a registered secret wherever it appears, and ignores values too short to be one', () => {
    registerSecret('tok-3f9a2b\n');
    registerSecret('ab');
    expect(redactText('bearer tok-3f9a2b failed; again tok-3f9a2b; ab stays')).toBe('bearer *** failed; again ***; ab stays');
  });
});

describe('redactSecrets', () => {
  it('masks secret keys, passwords and tokens, keeps endpoints and key ids', () => {
    expect(redactSecrets({ SLUICE_S3_ENDPOINT: 'http://127.0.0.1:18090', SLUICE_S3_ACCESS_KEY_ID: 'sluice', SLUICE_S3_SECRET_ACCESS_KEY: 's3cr3t', SLUICE_S3_SESSION_TOKEN: 't', PG_PASSWORD: 'p' }))
      .toEqual({ SLUICE_S3_ENDPOINT: 'http://127.0.0.1:18090', SLUICE_S3_ACCESS_KEY_ID: 'sluice', SLUICE_S3_SECRET_ACCESS_KEY: '***', SLUICE_S3_SESSION_TOKEN: '***', PG_PASSWORD: '***' });
  });
});
