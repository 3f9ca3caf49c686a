/**
 * Passwords in service URLs (`http://user:pw@host/…`, `redis://:pw@host`) never reach a log line,
 * an error message or stdout: every URL sluice prints goes through redactUrl, and free text that
 * may quote one (a client's error, a log message) through redactText. A user name alone is kept:
 * it is not a secret and helps tell endpoints apart.
 */
export const REDACTED = '***';

// scheme://user:password@ — greedy up to the authority's last "@", as WHATWG URL parsing reads it
const CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]*:)[^\s/?#]*@/gi;

/** `url` with its password replaced by ***, the rest untouched (no normalisation). */
export function redactUrl(url: string): string {
  return redactText(url);
}

/** Every URL password in `text` replaced by ***. */
export function redactText(text: string): string {
  return text.replace(CREDENTIALS, `$1${REDACTED}@`);
}

/** Variables whose value is a secret (an S3 secret key, a password, a token) with the value replaced by ***. */
export function redactSecrets<T extends Record<string, string | undefined>>(env: T): T {
  const out: Record<string, string | undefined> = { ...env };
  for (const k of Object.keys(out)) if (/SECRET|PASSWORD|TOKEN/i.test(k) && out[k]) out[k] = REDACTED;
  return out as T;
}
