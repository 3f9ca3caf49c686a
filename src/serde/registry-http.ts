/** Small helpers the registry's lookups (registry.ts) and registrations (registration.ts) share. */
import { SluiceError } from '../errors.js';

export const ACCEPT = 'application/vnd.schemaregistry.v1+json, application/json';

export const unavailable = (message: string, cause?: unknown): SluiceError =>
  new SluiceError('REGISTRY_UNAVAILABLE', message, {}, { cause });

export function reason(e: unknown): string {
  if (!(e instanceof Error)) return typeof e === 'object' ? JSON.stringify(e) : String(e);
  const cause = e.cause instanceof Error ? `: ${e.cause.message}` : '';
  return `${e.message.replace(': [object Object]', '')}${cause}`;
}

export function parseJson(body: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(body);
    return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
