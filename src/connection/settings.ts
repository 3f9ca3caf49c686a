/**
 * How sluice connects to Kafka, the schema registry and Redis: one zod schema for the `connection:`
 * block (a topology's, or a file named by SLUICE_CONNECTION_FILE / --connection), and the
 * environment variables that set the same fields. Every secret or certificate `x` may be given
 * inline or as `x_file` (env: `X` or `X_FILE`), as Kubernetes mounts secrets as files.
 */
import { z } from 'zod';

const text = z.string().min(1);
/** Value or file pair: at most one of the two in one layer (checked in resolve.ts). */
const pair = <K extends string>(key: K) => ({ [key]: text.optional(), [`${key}_file`]: text.optional() }) as Record<K | `${K}_file`, z.ZodOptional<z.ZodString>>;

const Tls = z.strictObject({
  enabled: z.boolean().optional().describe('TLS on (default: on when any other tls setting, a rediss:// or an https:// URL is given); with no CA, the system CAs'),
  ...pair('ca'),
  ...pair('cert'),
  ...pair('key'),
  ...pair('key_password'),
  servername: text.optional().describe('Name the server certificate must carry (SNI), when it differs from the host dialled'),
});

export const SASL_MECHANISMS = ['plain', 'scram-sha-256', 'scram-sha-512', 'oauthbearer'] as const;

const Sasl = z.strictObject({
  mechanism: z.enum(SASL_MECHANISMS),
  username: text.optional(),
  ...pair('password'),
  ...pair('token'),
  token_command: text.optional().describe('Shell command that prints an OAUTHBEARER token; run again when a JWT nears its exp'),
});

export const ConnectionSchema = z.strictObject({
  kafka: z.strictObject({ brokers: z.union([text, z.array(text).min(1)]).optional(), tls: Tls.optional(), sasl: Sasl.optional() }).optional(),
  registry: z.strictObject({ url: text.optional(), username: text.optional(), ...pair('password'), ...pair('token'), tls: Tls.optional() }).optional(),
  redis: z.strictObject({ url: text.optional(), username: text.optional(), ...pair('password'), tls: Tls.optional() }).optional(),
}).describe('How to reach Kafka, the registry and Redis; environment variables win (README, Production). Secrets belong in *_file fields or variables, not here.');

export type ConnectionInput = z.infer<typeof ConnectionSchema>;
export type TlsInput = z.infer<typeof Tls>;

/** Secret settings: never printed, masked in every output once read (telemetry/redact.ts). */
export const SECRET_KEYS = new Set(['password', 'token', 'key', 'key_password']);

export interface EnvSetting { name: string; path: string[]; kind: 'text' | 'bool' | 'list' }

const tlsVars = (service: string, prefix: string): EnvSetting[] => [
  { name: `${prefix}_TLS`, path: [service, 'tls', 'enabled'], kind: 'bool' },
  ...['ca', 'cert', 'key', 'key_password'].flatMap((k) => both(`${prefix}_TLS_${k.toUpperCase()}`, [service, 'tls', k])),
  { name: `${prefix}_TLS_SERVERNAME`, path: [service, 'tls', 'servername'], kind: 'text' },
];
function both(name: string, path: string[]): EnvSetting[] {
  const last = path[path.length - 1]!;
  return [{ name, path, kind: 'text' }, { name: `${name}_FILE`, path: [...path.slice(0, -1), `${last}_file`], kind: 'text' }];
}

/** Every environment variable, in the order the README documents them. */
export const ENV_SETTINGS: readonly EnvSetting[] = [
  { name: 'KAFKA_BROKERS', path: ['kafka', 'brokers'], kind: 'list' },
  ...tlsVars('kafka', 'SLUICE_KAFKA'),
  { name: 'SLUICE_KAFKA_SASL_MECHANISM', path: ['kafka', 'sasl', 'mechanism'], kind: 'text' },
  { name: 'SLUICE_KAFKA_SASL_USERNAME', path: ['kafka', 'sasl', 'username'], kind: 'text' },
  ...both('SLUICE_KAFKA_SASL_PASSWORD', ['kafka', 'sasl', 'password']),
  ...both('SLUICE_KAFKA_SASL_TOKEN', ['kafka', 'sasl', 'token']),
  { name: 'SLUICE_KAFKA_SASL_TOKEN_COMMAND', path: ['kafka', 'sasl', 'token_command'], kind: 'text' },
  { name: 'SCHEMA_REGISTRY_URL', path: ['registry', 'url'], kind: 'text' },
  { name: 'SLUICE_REGISTRY_USERNAME', path: ['registry', 'username'], kind: 'text' },
  ...both('SLUICE_REGISTRY_PASSWORD', ['registry', 'password']),
  ...both('SLUICE_REGISTRY_TOKEN', ['registry', 'token']),
  ...tlsVars('registry', 'SLUICE_REGISTRY'),
  { name: 'REDIS_URL', path: ['redis', 'url'], kind: 'text' },
  { name: 'SLUICE_REDIS_USERNAME', path: ['redis', 'username'], kind: 'text' },
  ...both('SLUICE_REDIS_PASSWORD', ['redis', 'password']),
  ...tlsVars('redis', 'SLUICE_REDIS'),
];

/** The variable that sets `path` (`kafka.sasl.password_file` → SLUICE_KAFKA_SASL_PASSWORD_FILE), for messages. */
export const envNameOf = (path: readonly string[]): string => ENV_SETTINGS.find((s) => s.path.join('.') === path.join('.'))?.name ?? path.join('.');
