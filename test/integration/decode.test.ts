/**
 * Decode against the real registry (Apicurio's Confluent-compatible API): registration, lookup by
 * id through the wire format, the unknown-id / unavailable split, and one request per id.
 */
import { createServer, type Server, type Socket } from 'node:net';
import avro from 'avsc';
import type { Schema } from 'avsc';
import { describe, expect, it } from 'vitest';
import { RecordDecoder } from '../../src/serde/decoder.js';
import { SchemaSource } from '../../src/serde/registry.js';
import { encodeWire } from '../../src/serde/wire.js';
import { SluiceError } from '../../src/errors.js';
import { closeAfterAll, endpoints, randomName } from '../support/services.js';

const { registryUrl } = endpoints();

const schemaV1 = {
  type: 'record',
  name: 'Click',
  namespace: 'sluice.test',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'ts', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'n', type: 'int' },
  ],
};
// a backward-compatible evolution: a new field with a default
const schemaV2 = { ...schemaV1, fields: [...schemaV1.fields, { name: 'tag', type: ['null', 'string'], default: null }] };
const click = { id: 'c-1', ts: 1_700_000_000_123, n: 3 };
const UNUSED_ID = 2_000_000_000;

function countingFetch(): { fetch: typeof fetch; urls: string[] } {
  const urls: string[] = [];
  return {
    urls,
    fetch: (input, init) => {
      urls.push(String(input));
      return fetch(input, init);
    },
  };
}

const source = (url: string, opts?: ConstructorParameters<typeof SchemaSource>[1]) =>
  closeAfterAll(new SchemaSource(url, opts), (s) => s.close());

async function rejection(p: Promise<unknown>): Promise<SluiceError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(SluiceError);
  return e as SluiceError;
}

describe('decode against the registry', () => {
  it('registers a schema, then decodes wire-format records written with it and with an evolution', async () => {
    const subject = `${randomName('t-decode')}-value`;
    const registry = source(registryUrl);
    const id1 = await registry.register(subject, schemaV1);
    expect(await registry.register(subject, schemaV1)).toBe(id1);
    const id2 = await registry.register(subject, schemaV2);
    expect(id2).not.toBe(id1);

    const decoder = new RecordDecoder({ source: registry, readerSchema: schemaV1, eventTimeField: 'ts', dedupKey: 'id' });
    const values = [
      encodeWire(id1, avro.Type.forSchema(schemaV1 as Schema).toBuffer(click)),
      encodeWire(id2, avro.Type.forSchema(schemaV2 as Schema).toBuffer({ ...click, id: 'c-2', tag: 'x' })),
      encodeWire(UNUSED_ID, Buffer.from([0])),
    ];
    await decoder.prepare(values);
    const [r1, r2, r3] = values.map((v) => decoder.decode(v));
    expect(r1).toEqual({ ok: true, value: expect.objectContaining(click), eventTime: click.ts, dedupKey: 'c-1' });
    expect(r2).toMatchObject({ ok: true, eventTime: click.ts, dedupKey: 'c-2' });
    expect(r3).toMatchObject({ ok: false, error: { code: 'UNKNOWN_SCHEMA_ID', message: expect.stringContaining(`schema id ${UNUSED_ID}`) } });
  });

  it('an incompatible change to a subject is refused as SCHEMA_INCOMPATIBLE', async () => {
    const subject = `${randomName('t-decode')}-value`;
    const registry = source(registryUrl);
    await registry.register(subject, schemaV1);
    const changed = { ...schemaV1, fields: [schemaV1.fields[0], schemaV1.fields[1], { name: 'n', type: 'string' }] };
    const e = await rejection(registry.register(subject, changed));
    expect(e.code).toBe('SCHEMA_INCOMPATIBLE');
    expect(e.message).toContain(subject);
  });

  it('replicas registering one new subject at the same moment all get its id (Apicurio answers the loser 409)', async () => {
    // the race is between the first registration and the compatibility rule it sets: repeat to hit it
    for (let round = 0; round < 8; round++) {
      const subject = `${randomName('t-decode')}-value`;
      const replicas = Array.from({ length: 4 }, () => source(registryUrl));
      const ids = await Promise.all(replicas.map((r) => r.register(subject, schemaV1)));
      expect(new Set(ids).size).toBe(1);
    }
  });

  it('a concurrent incompatible registration is still SCHEMA_INCOMPATIBLE for the one that lost', async () => {
    const subject = `${randomName('t-decode')}-value`;
    const changed = { ...schemaV1, fields: [schemaV1.fields[0], schemaV1.fields[1], { name: 'n', type: 'string' }] };
    const [a, b] = await Promise.allSettled([source(registryUrl).register(subject, schemaV1), source(registryUrl).register(subject, changed)]);
    const failed = [a, b].filter((r) => r.status === 'rejected');
    expect(failed).toHaveLength(1);
    expect((failed[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'SCHEMA_INCOMPATIBLE' });
  });

  it('an unknown id is UNKNOWN_SCHEMA_ID and is not cached', async () => {
    const counter = countingFetch();
    const registry = source(registryUrl, { fetch: counter.fetch });
    expect((await rejection(registry.writerType(UNUSED_ID))).code).toBe('UNKNOWN_SCHEMA_ID');
    expect((await rejection(registry.writerType(UNUSED_ID))).code).toBe('UNKNOWN_SCHEMA_ID');
    expect(counter.urls).toHaveLength(2);
  });

  it('concurrent lookups of one id issue one HTTP request', async () => {
    const subject = `${randomName('t-decode')}-value`;
    const id = await source(registryUrl).register(subject, schemaV1);
    const counter = countingFetch();
    const registry = source(registryUrl, { fetch: counter.fetch });
    const types = await Promise.all(Array.from({ length: 20 }, () => registry.writerType(id)));
    expect(new Set(types).size).toBe(1);
    expect(counter.urls).toEqual([`${registryUrl.replace(/\/+$/, '')}/schemas/ids/${id}`]);
    await registry.writerType(id);
    expect(counter.urls).toHaveLength(1);
  });

  it('an unreachable registry is REGISTRY_UNAVAILABLE, fast, for lookups, batches and registration', async () => {
    // port 1 is refused by fetch itself ("bad port"); a closed port is refused by the kernel
    const closedPort = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as { port: number };
        srv.close(() => resolve(port));
      });
    });
    // fast: each fails on the refused connection itself, not when a timeout or a retry budget runs out
    const refused = { code: 'REGISTRY_UNAVAILABLE', message: expect.stringMatching(/ECONNREFUSED|bad port/) };
    expect(await rejection(source('http://127.0.0.1:1/apis/ccompat/v7', { timeoutMs: 1_000 }).writerType(1))).toMatchObject(refused);
    const registry = source(`http://127.0.0.1:${closedPort}/apis/ccompat/v7`, { timeoutMs: 1_000, retries: 0 });
    expect(await rejection(registry.writerType(1))).toMatchObject({ code: 'REGISTRY_UNAVAILABLE', message: expect.stringContaining('ECONNREFUSED') });
    const decoder = new RecordDecoder({ source: registry, readerSchema: schemaV1, eventTimeField: 'ts' });
    expect(await rejection(decoder.prepare([encodeWire(1, Buffer.from([0]))]))).toMatchObject(refused);
    expect(await rejection(registry.register(randomName('t-decode'), schemaV1))).toMatchObject(refused);
  });

  it('a registry that accepts connections but never answers is REGISTRY_UNAVAILABLE after the timeout', async () => {
    const sockets: Socket[] = [];
    const server = closeAfterAll(createServer((s) => sockets.push(s)), (srv: Server) => {
      sockets.forEach((s) => s.destroy());
      return new Promise((resolve) => srv.close(resolve));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const registry = source(`http://127.0.0.1:${port}/apis/ccompat/v7`, { timeoutMs: 300, retries: 0 });
    // both end when the 300 ms timeout fires (their messages say so), not when the server gives up
    const lookup = await rejection(registry.writerType(1));
    expect(lookup).toMatchObject({ code: 'REGISTRY_UNAVAILABLE', message: expect.stringMatching(/timeout/i) });
    expect(await rejection(registry.register(randomName('t-decode'), schemaV1))).toMatchObject({ code: 'REGISTRY_UNAVAILABLE', message: expect.stringMatching(/timeout|300 ms/i) });
  });

  it('a wrong base URL (404 without "schema not found") is REGISTRY_UNAVAILABLE, not a bad record', async () => {
    const origin = new URL(registryUrl).origin;
    const e = await rejection(source(origin, { timeoutMs: 2_000 }).writerType(1));
    expect(e.code).toBe('REGISTRY_UNAVAILABLE');
    expect(e.message).toMatch(/answered 404/);
  });
});
