/**
 * A registry URL may carry credentials (`https://key:secret@host/…`), but fetch refuses such URLs
 * and they would show in every message that names the URL. They move to an Authorization: Basic
 * header (RFC 7617), the way Confluent's clients send `basic.auth.user.info`, and the base URL
 * keeps the rest.
 */
export interface RegistryEndpoint {
  /** The URL without credentials or trailing slashes: safe to print. */
  base: string;
  /** For the @kafkajs/confluent-schema-registry client (mappersmith's basic-auth middleware). */
  auth?: { username: string; password: string };
  /** For our own fetch() lookups. */
  headers: Record<string, string>;
}

export function registryEndpoint(url: string): RegistryEndpoint {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { base: url.replace(/\/+$/, ''), headers: {} }; // not a URL: the first request says so
  }
  if (!u.username && !u.password) return { base: url.replace(/\/+$/, ''), headers: {} };
  const auth = { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
  u.username = '';
  u.password = '';
  const token = Buffer.from(`${auth.username}:${auth.password}`).toString('base64');
  return { base: u.toString().replace(/\/+$/, ''), auth, headers: { authorization: `Basic ${token}` } };
}
