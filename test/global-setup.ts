/**
 * vitest globalSetup of the `integration` project: finds or starts Kafka, the schema registry and
 * Redis, and exports KAFKA_BROKERS / SCHEMA_REGISTRY_URL / REDIS_URL to the test workers
 * (vitest copies process.env into each worker it starts after this setup).
 * Order: the variables themselves → the live endpoints of `npm run stack:up` → Docker
 * (testcontainers) → the local stack, stopped again in teardown. The S3 server of the bucket-sink
 * tests is found or started on its own (setupS3), whichever way the other three came.
 */
import type { StartedTestContainer } from 'testcontainers';
import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { S3_ENV_KEYS } from '../src/connection/stack-env.js';
import { type StackEnv, allAnswer, loadStackEnv, probeKafka, serviceAnswers, stackDown, stackUp } from '../dev/stack/index.js';
import { redactText } from '../src/telemetry/redact.js';

declare module 'vitest' {
  export interface ProvidedContext { stackEnv: StackEnv }
}

const say = (line: string): void => void process.stderr.write(`[global-setup] ${line}\n`);

function exportEnv(env: StackEnv, project: TestProject): void {
  Object.assign(process.env, env);
  // workers read process.env; provide() also offers them to inject('stackEnv') should a test want it
  project.provide('stackEnv', env);
  say(redactText(`KAFKA_BROKERS=${env.KAFKA_BROKERS} SCHEMA_REGISTRY_URL=${env.SCHEMA_REGISTRY_URL} REDIS_URL=${env.REDIS_URL}`));
}

/** testcontainers' own runtime check, bounded: a missing daemon must not stall the run. */
async function dockerAvailable(timeoutMs = 5000): Promise<boolean> {
  if (process.env.SLUICE_NO_DOCKER) return false;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), timeoutMs).unref());
    await Promise.race([getContainerRuntimeClient(), timeout]);
    return true;
  } catch {
    return false;
  }
}

/** The laptop path: the same three services as docker-compose.yml, on ports Docker picks. */
async function startContainers(): Promise<{ env: StackEnv; stop: () => Promise<void> }> {
  const { GenericContainer, Wait, getContainerRuntimeClient } = await import('testcontainers');
  const { freePort } = await import('../dev/stack/ports.js');
  const host = (await getContainerRuntimeClient()).info.containerRuntime.host;
  // Kafka must advertise the address clients dial, so its host port is chosen before it starts
  const kafkaPort = await freePort();
  const kafka = new GenericContainer('apache/kafka:4.1.1')
    .withExposedPorts({ container: 9092, host: kafkaPort })
    .withEnvironment({
      KAFKA_NODE_ID: '1',
      KAFKA_PROCESS_ROLES: 'broker,controller',
      KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://${host}:${kafkaPort}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
      KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
      KAFKA_LOG_RETENTION_MS: '-1',
    })
    .withWaitStrategy(Wait.forLogMessage('Kafka Server started'))
    .start();
  const registry = new GenericContainer('apicurio/apicurio-registry:3.3.3')
    .withExposedPorts(8080)
    .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/subjects', 8080).forStatusCode(200))
    .start();
  const redis = new GenericContainer('redis:7').withExposedPorts(6379).withWaitStrategy(Wait.forLogMessage('Ready to accept connections')).start();
  const settled = await Promise.allSettled([kafka, registry, redis]);
  const running = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const stop = async (): Promise<void> => void (await Promise.all(running.map((c) => c.stop())));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await stop();
    throw failed.reason;
  }
  const [, r, d] = running as [StartedTestContainer, StartedTestContainer, StartedTestContainer];
  const env = {
    KAFKA_BROKERS: `${host}:${kafkaPort}`,
    SCHEMA_REGISTRY_URL: `http://${r.getHost()}:${r.getMappedPort(8080)}/apis/ccompat/v7`,
    REDIS_URL: `redis://${d.getHost()}:${d.getMappedPort(6379)}`,
  };
  // no "coordinator loading" in the first test
  await probeKafka([env.KAFKA_BROKERS]).catch(async (e: unknown) => { await stop(); throw e; });
  return { env, stop };
}

/**
 * The S3 server of the bucket-sink tests: SLUICE_S3_ENDPOINT (with its SLUICE_S3_* keys), else the
 * local stack's S3Proxy when it runs, else one started for this run (Java 17+) and stopped after.
 */
async function setupS3(): Promise<(() => Promise<void>) | undefined> {
  if (process.env.SLUICE_S3_ENDPOINT) {
    say(`SLUICE_S3_ENDPOINT=${process.env.SLUICE_S3_ENDPOINT} (from the environment)`);
    return undefined;
  }
  const fromFile = loadStackEnv();
  if (fromFile.SLUICE_S3_ENDPOINT && (await serviceAnswers('s3', fromFile.SLUICE_S3_ENDPOINT))) {
    for (const k of S3_ENV_KEYS) if (fromFile[k]) process.env[k] = fromFile[k];
    say(`SLUICE_S3_ENDPOINT=${fromFile.SLUICE_S3_ENDPOINT} (the running local stack)`);
    return undefined;
  }
  const log = (line: string): void => say(line);
  const up = await stackUp({ services: ['s3'], log });
  for (const k of S3_ENV_KEYS) if (up.env[k]) process.env[k] = up.env[k];
  say(`SLUICE_S3_ENDPOINT=${up.env.SLUICE_S3_ENDPOINT} (S3Proxy started for this run)`);
  return up.started.length > 0 ? async () => void (await stackDown({ services: up.started, log })) : undefined;
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  const stopS3 = await setupS3();
  const services = await setupServices(project).catch(async (e: unknown) => {
    await stopS3?.();
    throw e;
  });
  return async () => {
    await services?.();
    await stopS3?.();
  };
}

async function setupServices(project: TestProject): Promise<(() => Promise<void>) | void> {
  process.env.KAFKAJS_NO_PARTITIONER_WARNING ??= '1';
  const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL, REDIS_URL } = process.env;
  if (KAFKA_BROKERS && SCHEMA_REGISTRY_URL && REDIS_URL) {
    say('using the services from the environment');
    return exportEnv({ KAFKA_BROKERS, SCHEMA_REGISTRY_URL, REDIS_URL }, project);
  }
  const fromFile = loadStackEnv();
  if (await allAnswer(fromFile)) {
    say('using the running local stack (npm run stack:up)');
    return exportEnv(fromFile, project);
  }
  if (await dockerAvailable()) {
    say('starting Kafka, Apicurio Registry and Redis with testcontainers');
    const { env, stop } = await startContainers();
    exportEnv(env, project);
    return async () => {
      say('stopping the containers');
      await stop();
    };
  }
  say('no Docker engine: starting the local stack (dev/stack)');
  const log = (line: string): void => say(line);
  const up = await stackUp({ services: ['kafka', 'registry', 'redis'], log });
  exportEnv(up.env, project);
  return async () => {
    if (up.started.length > 0) await stackDown({ services: up.started, log });
  };
}
