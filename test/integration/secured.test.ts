/**
 * sluice against secured services (issue #12): a broker reachable only over SASL_SSL with a client
 * certificate required (mTLS), the registry behind nginx (HTTPS + Basic auth), Redis with TLS and
 * a password — all started here (dev/stack/secured) and stopped afterwards. `sluice produce` and
 * `sluice run` run as the CLI, configured by environment variables only; every secret is looked
 * for in every output. A wrong password, an untrusted certificate and a missing CA each end the
 * start with exit 2 and a message naming the service and the setting, without waiting.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kafkaClient } from '../../src/connection/clients.js';
import { resolveSecurity } from '../../src/connection/resolve.js';
import type { ConnectionInput } from '../../src/connection/settings.js';
import { stackConfig } from '../../dev/stack/config.js';
import { startSecuredStack, type SecuredStack } from '../../dev/stack/secured/index.js';
import { writeTopology } from '../support/pipeline.js';
import { waitFor } from '../support/read.js';
import { randomName } from '../support/services.js';
import { sluice, type SluiceRun } from '../support/sluice-cli.js';

let stack: SecuredStack;
let dir: string;
let env: Record<string, string>;
let secrets: string[];
const runs: SluiceRun[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-secured-'));
  stack = await startSecuredStack(stackConfig(), join(dir, 'stack'), process.env.SCHEMA_REGISTRY_URL!, (l) => void process.stderr.write(`[secured] ${l}\n`));
  const { certs, kafka, registry, redis } = stack;
  const file = (name: string, content: string): string => (writeFileSync(join(dir, name), `${content}\n`), join(dir, name));
  env = {
    KAFKA_BROKERS: kafka.brokers.join(','),
    SLUICE_KAFKA_TLS_CA_FILE: certs.ca,
    SLUICE_KAFKA_TLS_CERT_FILE: certs.clientCert,
    SLUICE_KAFKA_TLS_KEY_FILE: certs.clientKey,
    SLUICE_KAFKA_SASL_MECHANISM: 'scram-sha-512',
    SLUICE_KAFKA_SASL_USERNAME: kafka.scram.username,
    SLUICE_KAFKA_SASL_PASSWORD_FILE: file('kafka-password', kafka.scram.password),
    SCHEMA_REGISTRY_URL: registry.url,
    SLUICE_REGISTRY_USERNAME: registry.username,
    SLUICE_REGISTRY_PASSWORD: registry.password,
    SLUICE_REGISTRY_TLS_CA_FILE: certs.ca,
    REDIS_URL: redis.url,
    SLUICE_REDIS_PASSWORD_FILE: file('redis-password', redis.password),
    SLUICE_REDIS_TLS_CA_FILE: certs.ca,
  };
  const keyLine = readFileSync(certs.clientKey, 'utf8').split('\n')[1]!;
  secrets = [kafka.scram.password, kafka.plain.password, registry.password, redis.password, certs.p12Password, keyLine];
}, 240_000);

afterAll(async () => {
  for (const r of runs) r.kill();
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const start = (args: string[], extra: Record<string, string | undefined> = {}): SluiceRun => {
  const merged = { ...env, ...extra };
  const r = sluice(args, Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined)) as Record<string, string>);
  runs.push(r);
  return r;
};
/** A kafkajs client of the secured broker, with the test CA and client certificate. */
const securedKafka = (sasl: NonNullable<NonNullable<ConnectionInput['kafka']>['sasl']>) => {
  const tls = { ca_file: env.SLUICE_KAFKA_TLS_CA_FILE, cert_file: env.SLUICE_KAFKA_TLS_CERT_FILE, key_file: env.SLUICE_KAFKA_TLS_KEY_FILE };
  return kafkaClient({ brokers: stack.kafka.brokers, security: resolveSecurity({ kafka: { tls, sasl } }) }, { clientId: 'secured-test', logLevel: logLevel.NOTHING });
};
const expectNoSecret = (text: string): void => {
  for (const s of secrets) expect(text.includes(s), `a secret appears in:\n${text.slice(0, 2000)}`).toBe(false);
};

describe('sluice over secured Kafka, registry and Redis', () => {
  it('runs the pipeline end to end, and no output holds a secret', async () => {
    const t = writeTopology({ dir: mkdtempSync(join(dir, 't-')) });
    const produce = start(['produce', t.file, '--count', '2000', '--partitions', '2', '--step', '30', '--start-ts', String(Date.now() - 300_000), '--duplicates', '2%']);
    expect(await produce.exit, produce.out()).toBe(0);
    const run = start(['run', t.file, '--port', '0', '--host', '127.0.0.1']);
    const port = await run.port();
    // ready: topics created, partitions assigned and restored
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, 90_000, () => `/readyz\n${run.out()}`);
    // windows committed to the output topic, read back over SASL_SSL + mTLS with read_committed
    const kafka = securedKafka({ mechanism: 'plain', ...stack.kafka.plain });
    const consumer = kafka.consumer({ groupId: randomName('secured-reader'), readUncommitted: false, maxWaitTimeInMs: 200 });
    let windows = 0;
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: t.output, fromBeginning: true });
      await consumer.run({ eachMessage: async () => void windows++ });
      await waitFor(() => windows > 0, 90_000, () => `windows on ${t.output}\n${run.out()}`);
    } finally {
      await consumer.disconnect();
    }
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/sluice_transactions_total\{[^}]*result="committed"[^}]*\} [1-9]/);
    await waitFor(() => readdirSync(t.parquet).some((d) => d.startsWith('window_date=')), 30_000, () => 'Parquet files');
    run.kill('SIGTERM');
    expect(await run.exit).toBe(0);
    const help = start(['run', '--help']);
    await help.exit;
    for (const text of [produce.out(), run.out(), metrics, help.out()]) expectNoSecret(text);
    expect(help.out()).toContain('SLUICE_METRICS_HOST');
  });

  const failures: Array<[string, Record<string, string | undefined>, string, RegExp]> = [
    ['a wrong Kafka password', { SLUICE_KAFKA_SASL_PASSWORD_FILE: undefined, SLUICE_KAFKA_SASL_PASSWORD: 'not-the-password' }, 'KAFKA_AUTH_FAILED', /Kafka at 127\.0\.0\.1:\d+ \(SASL_SSL, SCRAM-SHA-512 as sluice-scram\) refused the login .*check SLUICE_KAFKA_SASL_USERNAME and SLUICE_KAFKA_SASL_PASSWORD/],
    ['a broker certificate the given CA did not sign', { SLUICE_KAFKA_TLS_CA_FILE: 'other' }, 'KAFKA_TLS_FAILED', /TLS with Kafka at .* not signed by the CA in SLUICE_KAFKA_TLS_CA_FILE/],
    ['no CA for the broker', { SLUICE_KAFKA_TLS_CA_FILE: undefined }, 'KAFKA_TLS_FAILED', /not signed by a CA this machine trusts: set SLUICE_KAFKA_TLS_CA_FILE/],
    ['no client certificate for a broker that requires one', { SLUICE_KAFKA_TLS_CERT_FILE: undefined, SLUICE_KAFKA_TLS_KEY_FILE: undefined }, 'KAFKA_TLS_FAILED', /refused this client's certificate: set SLUICE_KAFKA_TLS_CERT_FILE/],
    ['a wrong registry password', { SLUICE_REGISTRY_PASSWORD: 'not-the-password' }, 'REGISTRY_AUTH_FAILED', /the schema registry at https:\/\/127\.0\.0\.1:\d+\/apis\/ccompat\/v7 answered 401 Unauthorized: check SLUICE_REGISTRY_USERNAME/],
    ['no CA for the registry', { SLUICE_REGISTRY_TLS_CA_FILE: undefined }, 'REGISTRY_TLS_FAILED', /TLS with the schema registry at .* set SLUICE_REGISTRY_TLS_CA_FILE/],
    ['a wrong Redis password', { SLUICE_REDIS_PASSWORD_FILE: undefined, SLUICE_REDIS_PASSWORD: 'not-the-password' }, 'REDIS_AUTH_FAILED', /Redis at 127\.0\.0\.1:\d+ refused the user name or password \(WRONGPASS/],
    ['no CA for Redis', { SLUICE_REDIS_TLS_CA_FILE: undefined }, 'REDIS_TLS_FAILED', /TLS with Redis at .* set SLUICE_REDIS_TLS_CA_FILE/],
  ];

  it.each(failures)('%s: exit 2 at once, with the service and what to check', async (_what, change, code, message) => {
    const t = writeTopology({ dir: mkdtempSync(join(dir, 't-')) });
    const extra = change.SLUICE_KAFKA_TLS_CA_FILE === 'other' ? { SLUICE_KAFKA_TLS_CA_FILE: stack.certs.otherCa } : change;
    // the source topic exists, so a start that gets past Kafka reaches the registry and Redis checks
    const admin = securedKafka({ mechanism: 'plain', ...stack.kafka.plain }).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: t.source, numPartitions: 1 }], waitForLeaders: true }).finally(() => admin.disconnect());
    const began = Date.now();
    const run = start(['run', t.file, '--port', '0', '--startup-timeout', '2m'], extra);
    expect(await run.exit, run.out()).toBe(2);
    expect(Date.now() - began).toBeLessThan(60_000); // not the startup wait (2 min)
    expect(run.out()).toContain(`[${code}, user error]`);
    expect(run.out()).toMatch(message);
    expectNoSecret(run.out());
  });

  it('takes SASL PLAIN and an OAUTHBEARER token from a file', async () => {
    const jwt = [{ alg: 'none' }, { sub: 'sluice-oauth', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600 }].map((p) => Buffer.from(JSON.stringify(p)).toString('base64url')).join('.') + '.';
    writeFileSync(join(dir, 'token'), jwt);
    for (const sasl of [{ mechanism: 'plain' as const, ...stack.kafka.plain }, { mechanism: 'oauthbearer' as const, token_file: join(dir, 'token') }]) {
      const admin = securedKafka(sasl).admin();
      try {
        await admin.connect();
        expect(await admin.listTopics()).toContain('sluice-stack-probe');
      } finally {
        await admin.disconnect();
      }
    }
  });
});
