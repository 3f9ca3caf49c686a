/**
 * Writer schemas by id from a Confluent-compatible registry; output schema registration is in
 * registration.ts.
 * The promise per id is cached, so concurrent lookups of one id share one request; a failed
 * lookup is dropped from the cache so the next batch asks again.
 */
import avro from 'avsc';
import type { Schema, Type } from 'avsc';
import { COMPATIBILITY, SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { tlsFailure } from '../connection/failures.js';
import { agentFetch, tlsAgent } from '../connection/http.js';
import type { RegistrySecurity } from '../connection/types.js';
import { SluiceError } from '../errors.js';
import { registerSchema, type RegistryAccess } from './registration.js';
import { registryEndpoint } from './registry-endpoint.js';
import { ACCEPT, parseJson, reason, unavailable } from './registry-http.js';

export interface SchemaSourceOptions {
  /** Per-request timeout; past it the registry counts as unavailable. Default 10 s. */
  timeoutMs?: number;
  /** Retries of the registry client used by register() (mappersmith retry middleware). Default 3. */
  retries?: number;
  /** Compatibility level register() sets on a new subject and expects on an existing one. */
  compatibility?: keyof typeof COMPATIBILITY;
  /** The fetch used for schema lookups (tests count requests with it). */
  fetch?: typeof fetch;
  /** Credentials and TLS beyond the URL's (src/connection). */
  security?: RegistrySecurity;
}

// Confluent's "Schema not found" error code; Apicurio's ccompat API answers it too. A 404 without
// it (a wrong base URL, a proxy) must not turn every record into a dead letter.
const SCHEMA_NOT_FOUND = 40403;

export class SchemaSource {
  /** The URL without credentials: the only form that appears in messages. */
  private readonly base: string;
  private readonly authHeaders: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;
  /** The registry client itself (decoding in the demo and tests), with the same credentials and TLS. */
  readonly client: SchemaRegistry;
  private readonly compatibility: COMPATIBILITY;
  private readonly types = new Map<number, Promise<Type>>();
  private readonly closing = new AbortController();
  private readonly caGiven: boolean;

  /** `url` may hold credentials (`http://user:pw@host/…`): they are sent as a Basic Authorization header, never printed. */
  constructor(url: string, opts: SchemaSourceOptions = {}) {
    const endpoint = registryEndpoint(url, opts.security);
    this.base = endpoint.base;
    this.authHeaders = endpoint.headers;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    const tls = opts.security?.tls;
    const agent = tls && this.base.startsWith('https:') ? tlsAgent(tls) : undefined;
    this.caGiven = tls?.ca !== undefined;
    this.fetchFn = opts.fetch ?? (agent ? agentFetch(agent) : fetch);
    this.compatibility = COMPATIBILITY[opts.compatibility ?? 'BACKWARD'];
    // a bearer token travels as a header a middleware adds (mappersmith has Basic auth only)
    const bearer = !endpoint.auth && endpoint.headers.authorization ? { middlewares: [headerMiddleware(endpoint.headers)] } : {};
    this.client = new SchemaRegistry({ host: this.base, ...(endpoint.auth ? { auth: endpoint.auth } : {}), retry: { retries: opts.retries ?? 3 }, ...(agent ? { agent } : {}), ...bearer });
  }

  /** What registration.ts uses: the same endpoint, credentials, timeouts and error mapping. */
  private get access(): RegistryAccess {
    return {
      base: this.base,
      authHeaders: this.authHeaders,
      timeoutMs: this.timeoutMs,
      fetchFn: this.fetchFn,
      client: this.client,
      compatibility: this.compatibility,
      caGiven: this.caGiven,
      signal: () => AbortSignal.any([AbortSignal.timeout(this.timeoutMs), this.closing.signal]),
      authFailed: (status) => this.authFailed(status),
      failure: (message, e) => this.failure(message, e),
    };
  }

  /**
   * One request that needs the credentials (GET /config): at startup it tells a wrong password or
   * certificate (REGISTRY_AUTH_FAILED / REGISTRY_TLS_FAILED, not retriable) from an outage.
   */
  async check(): Promise<void> {
    const url = `${this.base}/config`;
    let res: Response;
    try {
      res = await this.fetchFn(url, { headers: { accept: ACCEPT, ...this.authHeaders }, signal: AbortSignal.any([AbortSignal.timeout(this.timeoutMs), this.closing.signal]) });
      await res.text();
    } catch (e) {
      throw this.failure(`GET ${url} failed: ${reason(e)}`, e);
    }
    if (res.status === 401 || res.status === 403) throw this.authFailed(res.status);
    if (res.status >= 500) throw unavailable(`GET ${url} answered ${res.status}`);
  }

  private authFailed(status: number): SluiceError {
    const how = this.authHeaders.authorization?.startsWith('Bearer') ? 'the token in SLUICE_REGISTRY_TOKEN (or _FILE)'
      : this.authHeaders.authorization ? 'SLUICE_REGISTRY_USERNAME and SLUICE_REGISTRY_PASSWORD (or _FILE, or user:password@ in SCHEMA_REGISTRY_URL)'
      : 'credentials: none are set (SLUICE_REGISTRY_USERNAME and SLUICE_REGISTRY_PASSWORD, or SLUICE_REGISTRY_TOKEN)';
    return new SluiceError('REGISTRY_AUTH_FAILED', `the schema registry at ${this.base} answered ${status} ${status === 401 ? 'Unauthorized' : 'Forbidden'}: check ${how}`, { status });
  }

  /** REGISTRY_TLS_FAILED for a TLS failure, else REGISTRY_UNAVAILABLE (an outage). */
  private failure(message: string, e: unknown): SluiceError {
    return tlsFailure(e, 'the schema registry', this.base, this.caGiven) ?? unavailable(message, e);
  }

  /** The writer type of schema `id`; rejects with UNKNOWN_SCHEMA_ID, SCHEMA_INCOMPATIBLE or REGISTRY_UNAVAILABLE. */
  writerType(id: number): Promise<Type> {
    let p = this.types.get(id);
    if (p === undefined) {
      p = this.fetchType(id);
      this.types.set(id, p);
      p.catch(() => {
        if (this.types.get(id) === p) this.types.delete(id);
      });
    }
    return p;
  }

  // fetch() rather than the client's getSchema(): it tells "id not found" (404 + 40403) from a
  // wrong URL, 5xx and timeouts, without the client's retry loop delaying the answer.
  private async fetchType(id: number): Promise<Type> {
    const url = `${this.base}/schemas/ids/${id}`;
    let res: Response;
    let body: string;
    try {
      const signal = AbortSignal.any([AbortSignal.timeout(this.timeoutMs), this.closing.signal]);
      res = await this.fetchFn(url, { headers: { accept: ACCEPT, ...this.authHeaders }, signal });
      body = await res.text();
    } catch (e) {
      throw this.failure(`GET ${url} failed: ${reason(e)}`, e);
    }
    if (res.status === 401 || res.status === 403) throw this.authFailed(res.status);
    const json = parseJson(body);
    if (res.status === 404 && json?.error_code === SCHEMA_NOT_FOUND) {
      throw new SluiceError('UNKNOWN_SCHEMA_ID', `schema id ${id} is not in the registry (${String(json.message ?? 'not found')})`, { schemaId: id });
    }
    if (!res.ok || json === undefined || typeof json.schema !== 'string') {
      const hint = res.status === 404 ? ' (is SCHEMA_REGISTRY_URL the Confluent-compatible base URL?)' : '';
      throw unavailable(`GET ${url} answered ${res.status}${hint}: ${body.slice(0, 200)}`);
    }
    return toAvroType(id, json);
  }

  /** Registers `schema` (Avro) under `subject`; resolves to its id (registration.ts: idempotent, safe against concurrent replicas). */
  register(subject: string, schema: object): Promise<number> {
    return registerSchema(this.access, subject, schema);
  }

  /** Aborts lookups in flight and forgets cached types. */
  close(): void {
    this.closing.abort(new Error('schema source closed'));
    this.types.clear();
  }
}

function toAvroType(id: number, json: Record<string, unknown>): Type {
  const kind = typeof json.schemaType === 'string' ? json.schemaType : 'AVRO';
  if (kind !== 'AVRO') {
    throw new SluiceError('SCHEMA_INCOMPATIBLE', `writer schema id ${id} is ${kind}, sluice reads Avro only`, { schemaId: id });
  }
  if (Array.isArray(json.references) && json.references.length > 0) {
    throw new SluiceError('SCHEMA_INCOMPATIBLE', `writer schema id ${id} uses schema references, which sluice does not resolve`, { schemaId: id });
  }
  try {
    // no logicalTypes option on purpose: timestamp-millis stays a plain number
    return avro.Type.forSchema(JSON.parse(json.schema as string) as Schema);
  } catch (e) {
    throw new SluiceError('SCHEMA_INCOMPATIBLE', `writer schema id ${id} is not a valid Avro schema: ${reason(e)}`, { schemaId: id }, { cause: e });
  }
}

// the client's own mappersmith typing (the package's ESM and CJS declarations differ)
type Middleware = NonNullable<ConstructorParameters<typeof SchemaRegistry>[0]['middlewares']>[number];
const headerMiddleware = (headers: Record<string, string>): Middleware => () => ({
  prepareRequest: (next) => next().then((req) => req.enhance({ headers })),
});
