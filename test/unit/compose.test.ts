/**
 * docker-compose.yml against the Compose Specification's JSON Schema (vendored in fixtures/, so
 * this runs without network or Docker), plus what the schema cannot know: health-gated startup,
 * host ports, the broker settings sluice needs. The Dockerfile is checked statically, as no
 * engine can build it here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (file: string) => readFileSync(`${root}${file}`, 'utf8');
type Service = {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string | number>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
};
// Compose resolves YAML merge keys (`<<: *sluice`) before it validates, so the test does too
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const { $schema: _draft07, ...schema } = JSON.parse(read('test/unit/fixtures/compose-spec.json')) as Record<string, unknown>;
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);
const errorsOf = (doc: unknown) => (validate(doc) ? [] : validate.errors!.map((e) => `${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`));

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification', () => {
    expect(errorsOf(compose)).toEqual([]);
  });

  it('the validator really rejects what Compose rejects', () => {
    const broken = structuredClone(compose);
    (broken.services.redis!.healthcheck as Record<string, unknown>).intervall = '5s';
    broken.services['sluice-1']!.depends_on!.kafka!.condition = 'service_up';
    const errors = errorsOf(broken);
    expect(errors.some((e) => e.startsWith('/services/redis/healthcheck') && e.includes('intervall'))).toBe(true);
    expect(errors.some((e) => e.startsWith('/services/sluice-1/depends_on/kafka/condition'))).toBe(true);
  });

  it('runs pinned Kafka 4.1 KRaft, Apicurio 3.3 and Redis 7, each with a health check', () => {
    const { kafka, registry, redis } = compose.services;
    expect([kafka?.image, registry?.image, redis?.image]).toEqual(['apache/kafka:4.1.1', 'apicurio/apicurio-registry:3.3.3', 'redis:7']);
    for (const s of [kafka, registry, redis]) expect(s?.healthcheck?.test.length).toBeGreaterThan(0);
    const env = kafka!.environment!;
    expect(env.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(env.KAFKA_LOG_RETENTION_MS).toBe(-1);
    expect(env.KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR).toBe(1);
    expect(env.KAFKA_TRANSACTION_STATE_LOG_MIN_ISR).toBe(1);
    expect(String(env.CLUSTER_ID)).toMatch(/^[A-Za-z0-9_-]{22}$/); // a base64url UUID, as kafka-storage expects
    expect(redis!.command).toEqual(expect.arrayContaining(['--appendonly', 'yes']));
  });

  it('starts two sluice replicas of the demo topology once every service is healthy', () => {
    const replicas = Object.entries(compose.services).filter(([name]) => name.startsWith('sluice-'));
    expect(replicas.map(([name]) => name)).toEqual(['sluice-1', 'sluice-2']);
    const advertised = String(compose.services.kafka!.environment!.KAFKA_ADVERTISED_LISTENERS);
    for (const [, s] of replicas) {
      expect(s.build).toBe('.');
      expect(s.command).toEqual(['run', 'topologies/page-views.yaml']);
      expect(s.depends_on).toEqual({
        kafka: { condition: 'service_healthy' },
        registry: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
      });
      expect(advertised).toContain(`//${s.environment!.KAFKA_BROKERS}`);
      expect(s.environment!.SCHEMA_REGISTRY_URL).toBe('http://registry:8080/apis/ccompat/v7');
      expect(s.environment!.REDIS_URL).toBe('redis://redis:6379');
      expect(s.healthcheck!.test.join(' ')).toContain('/healthz');
    }
  });

  it('refers only to services and volumes it defines (checks Compose makes beyond the schema)', () => {
    const doc = compose as unknown as { services: Record<string, Service & { volumes?: string[] }>; volumes?: Record<string, unknown> };
    for (const [name, s] of Object.entries(doc.services)) {
      for (const dep of Object.keys(s.depends_on ?? {})) expect(doc.services, `${name} depends on ${dep}`).toHaveProperty([dep]);
      for (const v of s.volumes ?? []) {
        const source = v.split(':')[0]!;
        if (!source.startsWith('.') && !source.startsWith('/')) expect(doc.volumes ?? {}, `${name} mounts ${source}`).toHaveProperty([source]);
      }
    }
  });

  it('runs Prometheus on the deploy pack\'s alert rules, scraping every sluice replica, and Grafana', () => {
    const doc = compose as unknown as { services: Record<string, Service & { volumes?: string[] }> };
    const prom = doc.services.prometheus!;
    expect(prom.volumes).toEqual(['./deploy/prometheus/prometheus.compose.yml:/etc/prometheus/prometheus.yml:ro', './deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro']);
    const config = parse(read('deploy/prometheus/prometheus.compose.yml')) as { rule_files: string[]; scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }> };
    expect(config.rule_files).toEqual(['alerts.yml']); // resolved beside the config file
    const replicas = Object.keys(doc.services).filter((name) => name.startsWith('sluice-'));
    expect(config.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets))).toEqual(replicas.map((r) => `${r}:9464`));
    for (const [source] of [...prom.volumes!, ...doc.services.grafana!.volumes!].map((v) => v.split(':'))) expect(existsSync(`${root}${source!.slice(2)}`), source).toBe(true);
  });

  it('publishes no host port twice', () => {
    const hostPorts = Object.values(compose.services).flatMap((s) => (s.ports ?? []).map((p) => p.split(':').slice(0, -1).join(':')));
    expect(hostPorts.length).toBeGreaterThan(0);
    expect(new Set(hostPorts).size).toBe(hostPorts.length);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const lines = dockerfile.split('\n');

  it('builds on node:22-bookworm-slim in two stages and runs as a non-root user', () => {
    expect(lines.filter((l) => l.startsWith('FROM '))).toEqual(['FROM node:22-bookworm-slim AS build', 'FROM node:22-bookworm-slim AS runtime']);
    expect(dockerfile).toContain('RUN npm ci --omit=dev');
    const user = lines.filter((l) => l.startsWith('USER ')).at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/USER (root|0)\b/);
    expect(dockerfile).toContain('ENTRYPOINT ["node", "bin/sluice.js"]');
    expect(dockerfile).toContain('EXPOSE 9464');
    expect(dockerfile).toMatch(/HEALTHCHECK[\s\S]*\/healthz/);
  });

  it('copies only paths that exist and are not excluded by .dockerignore', () => {
    const ignored = read('.dockerignore').split('\n').filter((l) => l && !l.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['node_modules', '.stack', 'data', 'reports', 'dist']));
    const sources = lines.filter((l) => l.startsWith('COPY ') && !l.includes('--from=')).flatMap((l) => l.split(/\s+/).slice(1, -1));
    expect(sources).toEqual(expect.arrayContaining(['bin', 'topologies', 'schemas', 'src', 'package-lock.json']));
    for (const src of sources) {
      expect(existsSync(`${root}${src}`), src).toBe(true);
      expect(ignored, src).not.toContain(src);
    }
  });

  it('finds the compiled CLI where bin/sluice.js looks for it', () => {
    expect(read('bin/sluice.js')).toContain("'../dist/cli/index.js'");
    const tsconfig = JSON.parse(read('tsconfig.json')) as { compilerOptions: { outDir: string; rootDir: string } };
    expect(tsconfig.compilerOptions).toMatchObject({ outDir: 'dist', rootDir: 'src' });
  });
});
