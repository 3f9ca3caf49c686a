import { describe, expect, it } from 'vitest';
import { SchemaSource } from '../../../src/serde/registry.js';
import { registryEndpoint } from '../../../src/serde/registry-endpoint.js';

describe('registryEndpoint', () => {
  it('moves credentials from the URL to a Basic Authorization header', () => {
    const e = registryEndpoint('http://alice:s%40cret@registry:8081/apis/ccompat/v7/');
    expect(e.base).toBe('http://registry:8081/apis/ccompat/v7');
    expect(e.auth).toEqual({ username: 'alice', password: 's@cret' });
    expect(e.headers).toEqual({ authorization: `Basic ${Buffer.from('alice:s@cret').toString('base64')}` });
  });

  it('leaves a URL without credentials as it is, minus trailing slashes', () => {
    expect(registryEndpoint('http://127.0.0.1:18081/apis/ccompat/v7//')).toEqual({ base: 'http://127.0.0.1:18081/apis/ccompat/v7', headers: {} });
    expect(registryEndpoint('not a url')).toEqual({ base: 'not a url', headers: {} });
  });
});

describe('SchemaSource with credentials in the URL', () => {
  const schema = JSON.stringify({ type: 'record', name: 'R', fields: [{ name: 'a', type: 'int' }] });

  it('looks schemas up at the URL without them, with a Basic header', async () => {
    const calls: Array<{ url: string; headers: Record<string, string> }> = [];
    const fake = (async (url: string, init: RequestInit) => {
      calls.push({ url, headers: init.headers as Record<string, string> });
      return new Response(JSON.stringify({ schema }), { status: 200 });
    }) as unknown as typeof fetch;
    const source = new SchemaSource('http://alice:s3cret@registry:8081/apis/ccompat/v7', { fetch: fake });
    await source.writerType(7);
    expect(calls).toEqual([{ url: 'http://registry:8081/apis/ccompat/v7/schemas/ids/7', headers: expect.objectContaining({ authorization: `Basic ${btoa('alice:s3cret')}` }) }]);
    source.close();
  });

  it('never names the password in an error', async () => {
    const down = (async () => {
      throw new TypeError('fetch failed');
    }) as unknown as typeof fetch;
    const refused = (async () => new Response('{"message":"unauthorized"}', { status: 401 })) as unknown as typeof fetch;
    for (const fake of [down, refused]) {
      const source = new SchemaSource('http://alice:s3cret@registry:8081/apis/ccompat/v7', { fetch: fake, timeoutMs: 1000 });
      const err = (await source.writerType(7).catch((e: unknown) => e)) as Error;
      expect(err.message).toContain('http://registry:8081/apis/ccompat/v7');
      expect(`${err.message} ${String(err.stack)}`).not.toContain('s3cret');
      source.close();
    }
  });
});
