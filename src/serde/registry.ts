/**
 * Writer schemas by id from a Confluent-compatible registry, and output schema registration.
 * The promise per id is cached, so concurrent lookups of one id share one request; a failed
 * lookup is dropped from the cache so the next batch asks again.
 */
import avro from 'avsc';
import type { Schema, Type } from 'avsc';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { tlsFailure } from '../connection/failures.js';
import { agentFetch, tlsAgent } from '../connection/http.js';
import type { RegistrySecurity } from '../connection/types.js';
import { isSluiceError, SluiceError } from '../errors.js';
import { registryEndpoint } from './registry-endpoint.js';

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
// a 409 that survives this many attempts (with the registry not holding our schema) is an incompatibility
const REGISTER_ATTEMPTS = 4;

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

  /**
   * One request that needs the credentials (GET /config): at startup it tells a wrong password or
   * certificate (REGISTRY_AUTH_FAILED / REGISTRY_TLS_FAILED, not retriable) from an outage.
   */
  async check(): Promise<void> {
    const url = `${this.base}/config`;
    let res: Response;
    try {
      res = await this.fetchFn(url, { headers: { accept: 'application/vnd.schemaregistry.v1+json, application/json', ...this.authHeaders }, signal: AbortSignal.any([AbortSignal.timeout(this.timeoutMs), this.closing.signal]) });
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
      res = await this.fetchFn(url, { headers: { accept: 'application/vnd.schemaregistry.v1+json, application/json', ...this.authHeaders }, signal });
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

  /**
   * Registers `schema` (Avro) under `subject`; resolves to its id. Idempotent for an identical
   * schema, and safe when replicas register one new subject at the same moment: the client's
   * first registration sets the subject's compatibility too, and the loser of that race gets a 409
   * ("rule already exists" on Apicurio). A 409 is retried; it is an incompatibility only when the
   * registry, asked directly, does not hold our schema under the subject afterwards either.
   */
  async register(subject: string, schema: object): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.registerOnce(subject, schema);
      } catch (e) {
        if (!isSluiceError(e, 'SCHEMA_INCOMPATIBLE')) throw e;
        const id = await this.lookup(subject, schema);
        if (id !== undefined) return id; // a concurrent registration of the very same schema won
        if (attempt >= REGISTER_ATTEMPTS) throw e;
        await new Promise((r) => setTimeout(r, 100 * attempt + Math.random() * 100));
      }
    }
  }

  private async registerOnce(subject: string, schema: object): Promise<number> {
    await this.ensureCompatibility(subject);
    const call = this.client.register(
      { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
      { subject, compatibility: this.compatibility },
    );
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(unavailable(`registering subject ${subject} took over ${this.timeoutMs} ms`)), this.timeoutMs);
    });
    try {
      return (await Promise.race([call, timeout])).id;
    } catch (e) {
      const status = (e as { status?: unknown } | null)?.status;
      if (status === 401 || status === 403) throw this.authFailed(status);
      throw tlsFailure(e, 'the schema registry', this.base, this.caGiven) ?? registerError(subject, e, this.base);
    } finally {
      clearTimeout(timer);
      call.catch(() => {}); // a late rejection after the timeout is already reported
    }
  }

  /**
   * Sets the subject's compatibility before its first version: the client sets it after
   * registering, so two replicas registering different schemas at once could both be accepted.
   * PUT /config/{subject} is idempotent; an existing, different level is left for register() to report.
   */
  private async ensureCompatibility(subject: string): Promise<void> {
    const url = `${this.base}/config/${encodeURIComponent(subject)}`;
    const signal = () => AbortSignal.any([AbortSignal.timeout(this.timeoutMs), this.closing.signal]);
    const headers = { 'content-type': 'application/vnd.schemaregistry.v1+json', accept: 'application/vnd.schemaregistry.v1+json, application/json', ...this.authHeaders };
    try {
      const current = await this.fetchFn(url, { headers, signal: signal() });
      await current.text();
      if (current.status === 401 || current.status === 403) throw this.authFailed(current.status);
      if (current.status !== 404) return;
      const res = await this.fetchFn(url, { method: 'PUT', headers, body: JSON.stringify({ compatibility: this.compatibility }), signal: signal() });
      await res.text(); // 409: a concurrent replica set it first
    } catch (e) {
      if (isSluiceError(e)) throw e;
      throw this.failure(`PUT ${url} failed: ${reason(e)}`, e);
    }
  }

  /** The id of `schema` under `subject` if the registry holds it (POST /subjects/{subject}), else undefined. */
  private async lookup(subject: string, schema: object): Promise<number | undefined> {
    const url = `${this.base}/subjects/${encodeURIComponent(subject)}`;
    try {
      const res = await this.fetchFn(url, {
        method: 'POST',
        headers: { 'content-type': 'application/vnd.schemaregistry.v1+json', accept: 'application/vnd.schemaregistry.v1+json, application/json', ...this.authHeaders },
        body: JSON.stringify({ schema: JSON.stringify(schema) }),
        signal: AbortSignal.any([AbortSignal.timeout(this.timeoutMs), this.closing.signal]),
      });
      const json = parseJson(await res.text());
      return res.ok && typeof json?.id === 'number' ? json.id : undefined;
    } catch (e) {
      throw this.failure(`POST ${url} failed: ${reason(e)}`, e);
    }
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

function registerError(subject: string, e: unknown, base: string): SluiceError {
  if (e instanceof SluiceError) return e;
  const status = (e as { status?: unknown } | null)?.status;
  const name = (e as { name?: unknown } | null)?.name;
  const details = { subject, status };
  if (status === 409) {
    return new SluiceError('SCHEMA_INCOMPATIBLE', `subject ${subject} rejected the schema as incompatible with its earlier versions: ${reason(e)}`, details, { cause: e });
  }
  if (status === 422 || name === 'ConfluentSchemaRegistryArgumentError') {
    return new SluiceError('SCHEMA_FILE_INVALID', `subject ${subject} rejected the schema as invalid: ${reason(e)}`, details, { cause: e });
  }
  if (name === 'ConfluentSchemaRegistryCompatibilityError') {
    return new SluiceError('SCHEMA_INCOMPATIBLE', `subject ${subject}: ${reason(e)}`, details, { cause: e });
  }
  return unavailable(`registering subject ${subject} at ${base} failed: ${reason(e)}; check SCHEMA_REGISTRY_URL (the Confluent-compatible base URL, e.g. http://127.0.0.1:18081/apis/ccompat/v7 for Apicurio)`, e);
}

// the client's own mappersmith typing (the package's ESM and CJS declarations differ)
type Middleware = NonNullable<ConstructorParameters<typeof SchemaRegistry>[0]['middlewares']>[number];
const headerMiddleware = (headers: Record<string, string>): Middleware => () => ({
  prepareRequest: (next) => next().then((req) => req.enhance({ headers })),
});

const unavailable = (message: string, cause?: unknown): SluiceError =>
  new SluiceError('REGISTRY_UNAVAILABLE', message, {}, { cause });

function reason(e: unknown): string {
  if (!(e instanceof Error)) return typeof e === 'object' ? JSON.stringify(e) : String(e);
  const cause = e.cause instanceof Error ? `: ${e.cause.message}` : '';
  return `${e.message.replace(': [object Object]', '')}${cause}`;
}

function parseJson(body: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(body);
    return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
