/**
 * What the chaos run needs on the machine whatever KAFKA_BROKERS or Docker provide, since it starts
 * and restarts its own services (./services.ts): a Java 17+ for Kafka and a Java 21+ for Apicurio,
 * Maven unless both are cached already, redis-server, and psql reaching a PostgreSQL that lets
 * the user in without a password. Returns what is missing, one line each (README, Tests).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { APICURIO_VERSION, KAFKA_VERSION, S3PROXY_VERSION, stackConfig } from '../../dev/stack/config.js';
import { findJava, kafkaJava } from '../../dev/stack/java.js';

const run = promisify(execFile);

/** stdout+stderr of a command, or undefined when it cannot run or fails. */
async function output(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<string | undefined> {
  try {
    const { stdout, stderr } = await run(cmd, args, { timeout: 15_000, env });
    return `${stdout}${stderr}`;
  } catch {
    return undefined;
  }
}

export async function chaosPrerequisites(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const missing: string[] = [];
  const kafkaJavaVersion = /version "(\d+)/.exec((await output(kafkaJava(env), ['-version'], env)) ?? '')?.[1];
  if (Number(kafkaJavaVersion ?? 0) < 17) missing.push(`Java 17+ for Kafka (${kafkaJava(env)} -version: ${kafkaJavaVersion ?? 'does not run'})`);
  try {
    findJava(21, env);
  } catch (e) {
    missing.push(`Java 21+ for Apicurio Registry: ${(e as Error).message}`);
  }
  const { cacheDir } = stackConfig({ env });
  const cached = [`kafka-${KAFKA_VERSION}`, `apicurio-registry-${APICURIO_VERSION}`, `s3proxy-${S3PROXY_VERSION}`].every((d) => existsSync(join(cacheDir, d, '.complete')));
  if (!cached && (await output('mvn', ['-v'], env)) === undefined) missing.push(`Maven (mvn) to fetch Kafka, Apicurio and S3Proxy into ${cacheDir}`);
  if ((await output('redis-server', ['--version'], env)) === undefined) missing.push('redis-server on PATH');
  const [host, port, user] = [env.SLUICE_PG_HOST ?? '127.0.0.1', env.SLUICE_PG_PORT ?? '5432', env.SLUICE_PG_USER ?? 'postgres'];
  const pg = await output('psql', ['-h', host, '-p', port, '-U', user, '-d', 'postgres', '-w', '-tAc', 'SELECT 1'], { ...env, PGCONNECT_TIMEOUT: '5' });
  if (pg?.trim() !== '1') missing.push(`psql and a PostgreSQL on ${host}:${port} that user ${user} enters without a password`);
  return missing;
}
