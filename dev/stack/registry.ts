/**
 * Apicurio Registry 3.3 (Confluent-compatible API under /apis/ccompat/v7) from its Maven Central
 * archive, run with a Java 21+; in-memory storage, or PostgreSQL with SLUICE_REGISTRY_STORAGE=postgres.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { registryEndpoint } from '../../src/serde/registry-endpoint.js';
import { SluiceError } from '../../src/errors.js';
import { DEPENDENCY_PLUGIN, ensureCached, exec, mvn } from './cache.js';
import { APICURIO_VERSION, type StackConfig } from './config.js';
import { findJava } from './java.js';
import type { StackLog } from './log.js';
import { spawnDetached, tail, waitFor } from './processes.js';
import type { OwnedProcess } from './state.js';

const ARTIFACT = `io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:tar.gz:all`;

export const ccompatUrl = (port: number): string => `http://127.0.0.1:${port}/apis/ccompat/v7`;

/** True when `GET <ccompat base>/subjects` answers 200 within `timeoutMs`. */
export async function registryAnswers(url: string, timeoutMs = 2000): Promise<boolean> {
  try {
    // credentials in the URL travel as a header: fetch refuses URLs that hold them
    const { base, headers } = registryEndpoint(url);
    const res = await fetch(`${base}/subjects`, { headers, signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** The server untarred into the cache (the archive comes from ~/.m2, fetched by Maven when missing). */
export async function registryDist(cfg: StackConfig, log: StackLog): Promise<string> {
  const dir = join(cfg.cacheDir, `apicurio-registry-${APICURIO_VERSION}`);
  const { built } = await ensureCached(dir, async (tmp) => {
    const m2 = cfg.env.SLUICE_M2_REPO ?? join(homedir(), '.m2', 'repository');
    const archive = join(m2, 'io/apicurio/apicurio-registry-app', APICURIO_VERSION, `apicurio-registry-app-${APICURIO_VERSION}-all.tar.gz`);
    if (!existsSync(archive)) {
      log(`registry: fetching ${ARTIFACT} with Maven (158 MB)`);
      await mvn([`${DEPENDENCY_PLUGIN}:get`, `-Dartifact=${ARTIFACT}`, '-Dtransitive=false'], 'downloading Apicurio Registry');
    }
    log(`registry: unpacking into ${dir}`);
    await exec('tar', ['-xzf', archive, '-C', tmp], 'unpacking Apicurio Registry');
  });
  if (!built) log(`registry: server cached in ${dir}`);
  return dir;
}

/** Creates the registry's database when missing; returns the environment that points Apicurio at it. */
async function postgresEnv(cfg: StackConfig, log: StackLog): Promise<NodeJS.ProcessEnv> {
  const host = cfg.env.SLUICE_PG_HOST ?? '127.0.0.1';
  const port = cfg.env.SLUICE_PG_PORT ?? '5432';
  const user = cfg.env.SLUICE_PG_USER ?? 'postgres';
  const db = cfg.env.SLUICE_REGISTRY_DB ?? `sluice_registry_${cfg.registryPort}`;
  const psql = (sql: string): Promise<string> =>
    exec('psql', ['-h', host, '-p', port, '-U', user, '-d', 'postgres', '-tAc', sql], `psql on ${host}:${port}`);
  if ((await psql(`SELECT 1 FROM pg_database WHERE datname = '${db.replace(/'/g, "''")}'`)).trim() !== '1') {
    await psql(`CREATE DATABASE "${db.replace(/"/g, '""')}"`);
    log(`registry: created PostgreSQL database ${db}`);
  }
  return {
    APICURIO_STORAGE_KIND: 'sql',
    APICURIO_STORAGE_SQL_KIND: 'postgresql',
    APICURIO_DATASOURCE_URL: `jdbc:postgresql://${host}:${port}/${db}`,
    APICURIO_DATASOURCE_USERNAME: user,
    APICURIO_DATASOURCE_PASSWORD: cfg.env.SLUICE_PG_PASSWORD ?? 'x', // trust auth ignores it
  };
}

export async function startRegistry(cfg: StackConfig, log: StackLog, onSpawn: (p: OwnedProcess) => void): Promise<OwnedProcess> {
  const dir = join(cfg.stackDir, 'registry');
  mkdirSync(dir, { recursive: true });
  const dist = await registryDist(cfg, log);
  const java = findJava(21, cfg.env);
  const storage = cfg.registryStorage === 'postgres' ? await postgresEnv(cfg, log) : {};
  const logFile = join(dir, 'registry.log');
  writeFileSync(logFile, '');
  const marker = `-Dsluice.stack=${dir}`;
  const child = spawnDetached(java, ['-Xmx512m', marker, '-Dquarkus.http.host=127.0.0.1', `-Dquarkus.http.port=${cfg.registryPort}`,
    '-Dquarkus.management.host=127.0.0.1', `-Dquarkus.management.port=${cfg.registryMgmtPort}`, '-jar', join(dist, 'quarkus-run.jar')],
    { cwd: dist, logFile, env: { ...cfg.env, ...storage } });
  const endpoint = ccompatUrl(cfg.registryPort);
  const proc: OwnedProcess = { pid: child.pid, marker, endpoint, ports: [cfg.registryPort, cfg.registryMgmtPort], log: logFile, startedAt: new Date().toISOString() };
  onSpawn(proc);
  log(`registry: started pid ${child.pid} (${java}, ${cfg.registryStorage} storage), log ${logFile}`);
  await waitFor(`${endpoint}/subjects`, 120_000, async () => {
    if (await registryAnswers(endpoint, 1000)) return true;
    if (child.exited()) throw new Error('exited during start');
    return undefined;
  }, 250).catch((e: unknown) => {
    throw new SluiceError('STACK_START_FAILED', `Apicurio Registry ${(e as Error).message}; last lines of ${logFile}:\n${tail(logFile)}`, { service: 'registry' });
  });
  return proc;
}
