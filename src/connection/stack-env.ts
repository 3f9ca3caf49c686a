/**
 * `<stackDir>/stack.env`: the endpoints `stack:up` found or started, as KEY=value lines.
 * Here in src/ (not dev/stack/) because `sluice run` and `sluice status` read it to find a local
 * stack without any variable set. The CLI and the tests read them with loadStackEnv; environment variables win over the file.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const STACK_ENV_KEYS = ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'REDIS_URL', 'SLUICE_S3_ENDPOINT', 'SLUICE_S3_ACCESS_KEY_ID', 'SLUICE_S3_SECRET_ACCESS_KEY'] as const;
/** The variables of the local S3 server: its endpoint and the access key pair that goes with it. */
export const S3_ENV_KEYS = ['SLUICE_S3_ENDPOINT', 'SLUICE_S3_ACCESS_KEY_ID', 'SLUICE_S3_SECRET_ACCESS_KEY'] as const;
export type StackEnvKey = (typeof STACK_ENV_KEYS)[number];
export type StackEnv = Partial<Record<StackEnvKey, string>>;

/** The nearest folder at or above `cwd` holding a package.json (the repo root when run from inside it). */
export function findRepoRoot(cwd: string = process.cwd()): string {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return resolve(cwd);
  }
}

export function stackDirOf(cwd?: string, env: NodeJS.ProcessEnv = process.env): string {
  const root = findRepoRoot(cwd);
  return env.SLUICE_STACK_DIR ? resolve(root, env.SLUICE_STACK_DIR) : join(root, '.stack');
}

export const envFilePath = (stackDir: string): string => join(stackDir, 'stack.env');

export function parseEnvFile(text: string): StackEnv {
  const out: StackEnv = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m && (STACK_ENV_KEYS as readonly string[]).includes(m[1]!)) out[m[1] as StackEnvKey] = m[2]!.trim();
  }
  return out;
}

export const formatEnv = (env: StackEnv): string =>
  STACK_ENV_KEYS.filter((k) => env[k]).map((k) => `${k}=${env[k]}`).join('\n');

export function readEnvFile(stackDir: string): StackEnv {
  try {
    return parseEnvFile(readFileSync(envFilePath(stackDir), 'utf8'));
  } catch {
    return {};
  }
}

export function writeEnvFile(stackDir: string, env: StackEnv): void {
  mkdirSync(stackDir, { recursive: true });
  const body = formatEnv(env);
  if (body) writeFileSync(envFilePath(stackDir), `# written by npm run stack:up; environment variables win over this file\n${body}\n`);
  else rmSync(envFilePath(stackDir), { force: true });
}

/** The endpoints: the env file of the stack dir (SLUICE_STACK_DIR or `<repo>/.stack`) overlaid with process.env. */
export function loadStackEnv(cwd?: string, env: NodeJS.ProcessEnv = process.env): StackEnv {
  const merged: StackEnv = readEnvFile(stackDirOf(cwd, env));
  for (const k of STACK_ENV_KEYS) if (env[k]) merged[k] = env[k];
  return merged;
}
