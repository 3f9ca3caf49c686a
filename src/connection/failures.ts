/**
 * Authentication and TLS failures are the user's to fix, not outages to wait out: startup turns
 * them into *_AUTH_FAILED / *_TLS_FAILED (domain user, exit 2) with a message that names the
 * service and the setting to check. Node reports TLS verification failures with OpenSSL's codes
 * (https://nodejs.org/api/tls.html#x509-certificate-error-codes) and alerts from the peer as ERR_SSL_*.
 */
import { SluiceError, type ErrorCode } from '../errors.js';

type Service = 'Kafka' | 'the schema registry' | 'Redis';
const PREFIX: Record<Service, string> = { Kafka: 'SLUICE_KAFKA', 'the schema registry': 'SLUICE_REGISTRY', Redis: 'SLUICE_REDIS' };

/** The error and its causes (fetch's `cause`, kafkajs' `originalError`), outermost first. */
export function errorChain(e: unknown): Error[] {
  const out: Error[] = [];
  for (let x: unknown = e; x instanceof Error && out.length < 6; x = (x as { originalError?: unknown }).originalError ?? x.cause) out.push(x);
  return out;
}

const UNTRUSTED = /^(SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|CERT_UNTRUSTED|CERT_SIGNATURE_FAILURE)$/;
const TLS_CODE = /^(CERT_[A-Z_]+|ERR_TLS_[A-Z_]+|ERR_SSL_[A-Z0-9_]+|ERR_OSSL_[A-Z0-9_]+)$/;
const TLS_TEXT = /self[- ]signed certificate|unable to verify the first certificate|unable to get local issuer certificate|certificate has expired|wrong version number|alert (bad certificate|certificate required|unknown ca)|Hostname\/IP does not match/i;

/** `{code, message}` of the TLS failure in `e`'s chain, if there is one. */
export function tlsProblem(e: unknown): { code: string; message: string } | undefined {
  for (const x of errorChain(e)) {
    const code = (x as { code?: unknown }).code;
    if (typeof code === 'string' && (UNTRUSTED.test(code) || TLS_CODE.test(code))) return { code, message: x.message };
    if (TLS_TEXT.test(x.message)) return { code: typeof code === 'string' ? code : 'TLS', message: x.message };
  }
  return undefined;
}

function tlsHint(code: string, message: string, service: Service, caGiven: boolean): string {
  const v = PREFIX[service];
  if (UNTRUSTED.test(code) || /self[- ]signed|issuer|first certificate/i.test(message)) {
    return caGiven
      ? `its certificate is not signed by the CA in ${v}_TLS_CA_FILE (or ${v}_TLS_CA): give the CA that issued the server's certificate`
      : `its certificate is not signed by a CA this machine trusts: set ${v}_TLS_CA_FILE to the CA that issued it`;
  }
  if (/ALTNAME|HOSTNAME/.test(code) || /does not match/i.test(message)) return `its certificate does not name the host dialled: connect by a name it carries, or set ${v}_TLS_SERVERNAME`;
  if (/EXPIRED|NOT_YET_VALID/.test(code)) return 'its certificate is expired or not yet valid';
  if (/CERTIFICATE_REQUIRED|BAD_CERTIFICATE|UNKNOWN_CA/.test(code) || /alert (bad certificate|certificate required|unknown ca)/i.test(message)) {
    return `it refused this client's certificate: set ${v}_TLS_CERT_FILE and ${v}_TLS_KEY_FILE to a certificate its CA trusts`;
  }
  if (/WRONG_VERSION_NUMBER|PACKET_LENGTH/.test(code) || /wrong version number/i.test(message)) return `it does not speak TLS on that port: use its TLS port, or turn TLS off (${v}_TLS=false)`;
  return `check ${v}_TLS_CA_FILE, ${v}_TLS_CERT_FILE, ${v}_TLS_KEY_FILE and ${v}_TLS_SERVERNAME`;
}

/** A *_TLS_FAILED error for `service` at `where`, when `e` is a TLS failure. */
export function tlsFailure(e: unknown, service: Service, where: string, caGiven: boolean): SluiceError | undefined {
  const p = tlsProblem(e);
  if (!p) return undefined;
  const code: ErrorCode = service === 'Kafka' ? 'KAFKA_TLS_FAILED' : service === 'Redis' ? 'REDIS_TLS_FAILED' : 'REGISTRY_TLS_FAILED';
  return new SluiceError(code, `TLS with ${service} at ${where} failed (${p.code}: ${p.message}): ${tlsHint(p.code, p.message, service, caGiven)}`, { tls: p.code }, { cause: e });
}

const REDIS_AUTH = /^(WRONGPASS|NOAUTH|NOPERM)\b/;

/** REDIS_AUTH_FAILED or REDIS_TLS_FAILED for `e`, or undefined (an outage). */
export function redisFailure(e: unknown, where: string, caGiven: boolean): SluiceError | undefined {
  const auth = errorChain(e).find((x) => REDIS_AUTH.test(x.message));
  if (auth) {
    const what = auth.message.startsWith('NOAUTH') ? 'requires a password' : auth.message.startsWith('NOPERM') ? 'denies this user a command sluice needs' : 'refused the user name or password';
    return new SluiceError('REDIS_AUTH_FAILED', `Redis at ${where} ${what} (${auth.message.split('\n')[0]}): check SLUICE_REDIS_USERNAME and SLUICE_REDIS_PASSWORD (or SLUICE_REDIS_PASSWORD_FILE, or redis://user:password@ in REDIS_URL)`, {}, { cause: e });
  }
  return tlsFailure(e, 'Redis', where, caGiven);
}
