/**
 * Passwords in service URLs (`http://user:pw@host/…`, `redis://:pw@host`) never reach a log line,
 * an error message or stdout: every URL sluice prints goes through redactUrl, and free text that
 * may quote one (a client's error, a log message) through redactText. A user name alone is kept:
 * it is not a secret and helps tell endpoints apart. Secrets given outside URLs (passwords, tokens,
 * private keys from the connection settings) are registered once read, and masked the same way.
 */
export const REDACTED = '***';

// scheme://user:password@ — greedy up to the authority's last "@", as WHATWG URL parsing reads it
const CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]*:)[^\s/?#]*@/gi;

// shorter values would mask ordinary words; such a password is weak anyway
const MIN_SECRET_LENGTH = 4;
const secrets = new Set<string>();

/** Masks `value` (and its trimmed form) in every later redactText/redactUrl. */
export function registerSecret(value: string | undefined): void {
  for (const v of [value, value?.trim()]) if (v !== undefined && v.length >= MIN_SECRET_LENGTH) secrets.add(v);
}

/** `url` with its password replaced by ***, the rest untouched (no normalisation). */
export function redactUrl(url: string): string {
  return redactText(url);
}

/** Every URL password and every registered secret in `text` replaced by ***. */
export function redactText(text: string): string {
  let out = text.replace(CREDENTIALS, `$1${REDACTED}@`);
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
  return out;
}

/** Variables whose value is a secret (an S3 secret key, a password, a token) with the value replaced by ***. */
export function redactSecrets<T extends Record<string, string | undefined>>(env: T): T {
  const out: Record<string, string | undefined> = { ...env };
  for (const k of Object.keys(out)) if (/SECRET|PASSWORD|TOKEN/i.test(k) && out[k]) out[k] = REDACTED;
  return out as T;
}
