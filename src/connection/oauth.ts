/**
 * SASL/OAUTHBEARER tokens for kafkajs' oauthBearerProvider, which it calls at every login (each new
 * broker connection). A token file is re-read every time, so a rotated file (a Kubernetes projected
 * token, a sidecar that refreshes it) is picked up; a command runs again once the JWT it printed is
 * within a minute of its `exp` (RFC 7519 §4.1.4), or at every login when the token is not a JWT.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { SluiceError } from '../errors.js';
import { registerSecret } from '../telemetry/redact.js';

const run = promisify(execFile);
const REFRESH_BEFORE_MS = 60_000;

export interface TokenSource { token?: string; tokenFile?: string; command?: string }

export function tokenProvider(src: TokenSource, now = Date.now): () => Promise<string> {
  const given = [src.token, src.tokenFile, src.command].filter((v) => v !== undefined).length;
  if (given !== 1) {
    throw new SluiceError('CONNECTION_CONFIG_INVALID', 'SASL OAUTHBEARER needs exactly one of SLUICE_KAFKA_SASL_TOKEN_FILE, SLUICE_KAFKA_SASL_TOKEN_COMMAND or SLUICE_KAFKA_SASL_TOKEN');
  }
  if (src.token !== undefined) return async () => src.token!;
  if (src.tokenFile !== undefined) {
    const file = src.tokenFile;
    return async () => {
      const token = await readFile(file, 'utf8').then((t) => t.trim(), (e: NodeJS.ErrnoException) => {
        throw new SluiceError('CONNECTION_CONFIG_INVALID', `SLUICE_KAFKA_SASL_TOKEN_FILE: cannot read ${file} (${e.code ?? e.message})`);
      });
      registerSecret(token);
      if (!token) throw new SluiceError('CONNECTION_CONFIG_INVALID', `SLUICE_KAFKA_SASL_TOKEN_FILE: ${file} is empty`);
      return token;
    };
  }
  const command = src.command!;
  let cached: { token: string; until: number } | undefined;
  return async () => {
    if (cached && now() < cached.until) return cached.token;
    let stdout: string;
    try {
      ({ stdout } = await run('/bin/sh', ['-c', command], { timeout: 30_000, maxBuffer: 1 << 20 }));
    } catch (e) {
      const err = e as { code?: unknown; stderr?: string };
      throw new SluiceError('CONNECTION_CONFIG_INVALID', `SLUICE_KAFKA_SASL_TOKEN_COMMAND failed (exit ${String(err.code)}): ${(err.stderr ?? '').trim().slice(0, 200)}`);
    }
    const token = stdout.trim();
    registerSecret(token);
    if (!token) throw new SluiceError('CONNECTION_CONFIG_INVALID', 'SLUICE_KAFKA_SASL_TOKEN_COMMAND printed no token');
    const exp = jwtExpiry(token);
    cached = exp === undefined ? undefined : { token, until: exp - REFRESH_BEFORE_MS };
    return token;
  };
}

/** The `exp` claim of a JWT in ms, or undefined when `token` is not a JWT with one. */
export function jwtExpiry(token: string): number | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' ? exp * 1000 : undefined;
  } catch {
    return undefined;
  }
}
