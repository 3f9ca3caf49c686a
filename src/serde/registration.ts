/**
 * Output schema registration: idempotent for an identical schema, and safe when replicas register
 * one new subject at the same moment. The client's first registration sets the subject's
 * compatibility too, and the loser of that race gets a 409 ("rule already exists" on Apicurio). A
 * 409 is retried; it is an incompatibility only when the registry, asked directly, does not hold
 * our schema under the subject afterwards either.
 */
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { tlsFailure } from '../connection/failures.js';
import { isSluiceError, SluiceError } from '../errors.js';
import { ACCEPT, parseJson, reason, unavailable } from './registry-http.js';

/** What registration needs of a SchemaSource (registry.ts): its endpoint, client and error mapping. */
export interface RegistryAccess {
  readonly base: string;
  readonly authHeaders: Record<string, string>;
  readonly timeoutMs: number;
  readonly fetchFn: typeof fetch;
  readonly client: SchemaRegistry;
  readonly compatibility: COMPATIBILITY;
  readonly caGiven: boolean;
  /** A fresh signal per request: the per-request timeout or the source's close. */
  signal(): AbortSignal;
  authFailed(status: number): SluiceError;
  /** REGISTRY_TLS_FAILED for a TLS failure, else REGISTRY_UNAVAILABLE. */
  failure(message: string, e: unknown): SluiceError;
}

// a 409 that survives this many attempts (with the registry not holding our schema) is an incompatibility
const REGISTER_ATTEMPTS = 4;

/** Registers `schema` (Avro) under `subject`; resolves to its id. */
export async function registerSchema(r: RegistryAccess, subject: string, schema: object): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await registerOnce(r, subject, schema);
    } catch (e) {
      if (!isSluiceError(e, 'SCHEMA_INCOMPATIBLE')) throw e;
      const id = await lookup(r, subject, schema);
      if (id !== undefined) return id; // a concurrent registration of the very same schema won
      if (attempt >= REGISTER_ATTEMPTS) throw e;
      await new Promise((res) => setTimeout(res, 100 * attempt + Math.random() * 100));
    }
  }
}

async function registerOnce(r: RegistryAccess, subject: string, schema: object): Promise<number> {
  await ensureCompatibility(r, subject);
  const call = r.client.register({ type: SchemaType.AVRO, schema: JSON.stringify(schema) }, { subject, compatibility: r.compatibility });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(unavailable(`registering subject ${subject} took over ${r.timeoutMs} ms`)), r.timeoutMs);
  });
  try {
    return (await Promise.race([call, timeout])).id;
  } catch (e) {
    const status = (e as { status?: unknown } | null)?.status;
    if (status === 401 || status === 403) throw r.authFailed(status);
    throw tlsFailure(e, 'the schema registry', r.base, r.caGiven) ?? registerError(subject, e, r.base);
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
async function ensureCompatibility(r: RegistryAccess, subject: string): Promise<void> {
  const url = `${r.base}/config/${encodeURIComponent(subject)}`;
  const headers = { 'content-type': 'application/vnd.schemaregistry.v1+json', accept: ACCEPT, ...r.authHeaders };
  try {
    const current = await r.fetchFn(url, { headers, signal: r.signal() });
    await current.text();
    if (current.status === 401 || current.status === 403) throw r.authFailed(current.status);
    if (current.status !== 404) return;
    const res = await r.fetchFn(url, { method: 'PUT', headers, body: JSON.stringify({ compatibility: r.compatibility }), signal: r.signal() });
    await res.text(); // 409: a concurrent replica set it first
  } catch (e) {
    if (isSluiceError(e)) throw e;
    throw r.failure(`PUT ${url} failed: ${reason(e)}`, e);
  }
}

/** The id of `schema` under `subject` if the registry holds it (POST /subjects/{subject}), else undefined. */
async function lookup(r: RegistryAccess, subject: string, schema: object): Promise<number | undefined> {
  const url = `${r.base}/subjects/${encodeURIComponent(subject)}`;
  try {
    const res = await r.fetchFn(url, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json', accept: ACCEPT, ...r.authHeaders },
      body: JSON.stringify({ schema: JSON.stringify(schema) }),
      signal: r.signal(),
    });
    const json = parseJson(await res.text());
    return res.ok && typeof json?.id === 'number' ? json.id : undefined;
  } catch (e) {
    throw r.failure(`POST ${url} failed: ${reason(e)}`, e);
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
