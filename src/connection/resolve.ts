/**
 * The connection settings in force: the topology's `connection:` block, overridden by the
 * connection file, overridden by environment variables (12-factor: the deployment wins). A higher
 * layer that sets `x`, `x_file` or `x_command` replaces all of them below it. Files are read here,
 * once (except an OAUTHBEARER token file: re-read at each login), and every secret is registered
 * for redaction before anything can print it.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { SluiceError } from '../errors.js';
import { registerSecret } from '../telemetry/redact.js';
import { tokenProvider } from './oauth.js';
import { ConnectionSchema, ENV_SETTINGS, envNameOf, SECRET_KEYS, type ConnectionInput, type TlsInput } from './settings.js';
import type { KafkaSecurity, Security, TlsSettings } from './types.js';

const invalid = (message: string): SluiceError => new SluiceError('CONNECTION_CONFIG_INVALID', message);

/** The settings the environment gives (only variables that are set and not empty). */
export function connectionFromEnv(env: NodeJS.ProcessEnv): ConnectionInput {
  const out: Record<string, unknown> = {};
  for (const s of ENV_SETTINGS) {
    const raw = env[s.name];
    if (raw === undefined || raw === '') continue;
    let v: unknown = raw;
    if (s.kind === 'list') v = raw.split(',').map((b) => b.trim()).filter(Boolean);
    if (s.kind === 'bool') {
      if (!/^(true|false|1|0|yes|no)$/i.test(raw)) throw invalid(`${s.name}: expected true or false (got ${JSON.stringify(raw)})`);
      v = /^(true|1|yes)$/i.test(raw);
    }
    let node = out;
    for (const k of s.path.slice(0, -1)) node = (node[k] ??= {}) as Record<string, unknown>;
    node[s.path[s.path.length - 1]!] = v;
  }
  return check(out, (path) => envNameOf(path));
}

/** A connection file (YAML or JSON with the `connection:` block's fields at the top). */
export function connectionFromFile(file: string): ConnectionInput {
  let data: unknown;
  try {
    data = parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw invalid(`connection file ${file}: ${(e as Error).message.split('\n')[0]}`);
  }
  return check(data ?? {}, (path) => `${file}: ${path.join('.')}`);
}

/** Validates against the one schema; messages name the field, never its value (it may be a secret). */
function check(data: unknown, where: (path: string[]) => string): ConnectionInput {
  const r = ConnectionSchema.safeParse(data);
  if (r.success) return r.data;
  throw invalid(r.error.issues.map((i) => `${where(i.path.map(String))}: ${i.message}`).join('; '));
}

const baseOf = (k: string): string => k.replace(/_(file|command)$/, '');

/** Deep merge where a higher layer's `x`/`x_file`/`x_command` replaces every form of `x` below. */
export function mergeConnections(...layers: Array<ConnectionInput | undefined>): ConnectionInput {
  const merge = (lower: Record<string, unknown>, higher: Record<string, unknown>): Record<string, unknown> => {
    const out = { ...lower };
    for (const [k, v] of Object.entries(higher)) {
      if (v === undefined) continue;
      if (typeof v === 'object' && !Array.isArray(v)) {
        out[k] = merge((out[k] as Record<string, unknown>) ?? {}, v as Record<string, unknown>);
        continue;
      }
      for (const old of Object.keys(out)) if (baseOf(old) === baseOf(k)) delete out[old];
      out[k] = v;
    }
    return out;
  };
  return layers.reduce<Record<string, unknown>>((acc, l) => (l ? merge(acc, l as Record<string, unknown>) : acc), {}) as ConnectionInput;
}

/** `x` or the content of `x_file`; registered for redaction when `x` is a secret. */
function value(obj: Record<string, unknown> | undefined, key: string, path: string[]): string | undefined {
  if (!obj) return undefined;
  const inline = obj[key] as string | undefined;
  const file = obj[`${key}_file`] as string | undefined;
  if (inline !== undefined && file !== undefined) throw invalid(`set either ${envNameOf([...path, key])} or ${envNameOf([...path, `${key}_file`])}, not both`);
  let v = inline;
  if (file !== undefined) {
    try {
      v = readFileSync(file, 'utf8');
    } catch (e) {
      throw invalid(`${envNameOf([...path, `${key}_file`])}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    if (!key.startsWith('c')) v = v.replace(/\r?\n$/, ''); // a password file written by `echo`; PEM keeps its newline
  }
  if (v !== undefined && SECRET_KEYS.has(key)) registerSecret(v);
  return v;
}

function tls(t: TlsInput | undefined, service: string, implied: boolean): TlsSettings | undefined {
  const p = [service, 'tls'];
  const s: TlsSettings = { ca: value(t, 'ca', p), cert: value(t, 'cert', p), key: value(t, 'key', p), passphrase: value(t, 'key_password', p), servername: t?.servername };
  const given = Object.values(s).some((v) => v !== undefined);
  if ((s.cert === undefined) !== (s.key === undefined)) throw invalid(`a client certificate needs both ${envNameOf([...p, 'cert_file'])} and ${envNameOf([...p, 'key_file'])}`);
  if (t?.enabled === false) return undefined;
  return t?.enabled || given || implied ? s : undefined;
}

/** Files read, secrets registered: what the client factories (clients.ts) take. */
export function resolveSecurity(c: ConnectionInput): Security {
  const k = c.kafka;
  const sasl = k?.sasl;
  let kafkaSasl: KafkaSecurity['sasl'];
  if (sasl) {
    const p = ['kafka', 'sasl'];
    if (sasl.mechanism === 'oauthbearer') {
      registerSecret(sasl.token);
      // the file is read at each login (tokens rotate), not here
      kafkaSasl = { mechanism: 'oauthbearer', token: tokenProvider({ token: sasl.token, tokenFile: sasl.token_file, command: sasl.token_command }) };
    } else {
      const password = value(sasl, 'password', p);
      if (!sasl.username || password === undefined) throw invalid(`SASL ${sasl.mechanism.toUpperCase()} needs SLUICE_KAFKA_SASL_USERNAME and SLUICE_KAFKA_SASL_PASSWORD (or SLUICE_KAFKA_SASL_PASSWORD_FILE)`);
      kafkaSasl = { mechanism: sasl.mechanism, username: sasl.username, password };
    }
  }
  const r = c.registry;
  const d = c.redis;
  return {
    kafka: { tls: tls(k?.tls, 'kafka', false), sasl: kafkaSasl },
    registry: { username: r?.username, password: value(r, 'password', ['registry']), token: value(r, 'token', ['registry']), tls: tls(r?.tls, 'registry', false) },
    redis: { username: d?.username, password: value(d, 'password', ['redis']), tls: tls(d?.tls, 'redis', d?.url?.startsWith('rediss:') ?? false) },
  };
}

