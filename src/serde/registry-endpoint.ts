/**
 * A registry URL may carry credentials (`https://key:secret@host/…`), but fetch refuses such URLs
 * and they would show in every message that names the URL. They move to an Authorization: Basic
 * header (RFC 7617), the way Confluent's clients send `basic.auth.user.info`, and the base URL
 * keeps the rest. Explicit settings (SLUICE_REGISTRY_USERNAME/PASSWORD, or a bearer token,
 * RFC 6750) win over the URL's.
 */
import { SluiceError } from '../errors.js';
import type { RegistrySecurity } from '../connection/types.js';

export interface RegistryEndpoint {
  /** The URL without credentials or trailing slashes: safe to print. */
  base: string;
  /** For the @kafkajs/confluent-schema-registry client (mappersmith's basic-auth middleware). */
  auth?: { username: string; password: string };
  /** For our own fetch() lookups (and, for a bearer token, the registry client's middleware). */
  headers: Record<string, string>;
}

export function registryEndpoint(url: string, security: RegistrySecurity = {}): RegistryEndpoint {
  let base = url.replace(/\/+$/, '');
  let auth: RegistryEndpoint['auth'];
  try {
    const u = new URL(url);
    if (u.username || u.password) {
      auth = { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
      u.username = '';
      u.password = '';
      base = u.toString().replace(/\/+$/, '');
    }
  } catch {
    // not a URL: the first request says so
  }
  if (security.username !== undefined || security.password !== undefined) auth = { username: security.username ?? '', password: security.password ?? '' };
  if (security.token !== undefined) {
    if (auth) throw new SluiceError('CONNECTION_CONFIG_INVALID', 'the registry takes a user and password (SLUICE_REGISTRY_USERNAME/PASSWORD or in SCHEMA_REGISTRY_URL) or a token (SLUICE_REGISTRY_TOKEN), not both');
    return { base, headers: { authorization: `Bearer ${security.token}` } };
  }
  if (!auth) return { base, headers: {} };
  const token = Buffer.from(`${auth.username}:${auth.password}`).toString('base64');
  return { base, auth, headers: { authorization: `Basic ${token}` } };
}
