/**
 * deploy/kubernetes renders with `kubectl kustomize` and every rendered object validates against
 * the Kubernetes schemas (./kubernetes-schemas.ts); then what no schema knows: probes on the
 * health server's paths, a grace period longer than a batch plus the transaction timeout, KEDA
 * capped at the partitions, the topology in the ConfigMap loading as sluice loads it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTopology } from '../../../src/topology/loader.js';
import { parseDuration } from '../../../src/topology/duration.js';
import { schemaErrors, unknownFieldErrors, type K8sObject } from './kubernetes-schemas.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const kubectl = (() => {
  try {
    return execFileSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).includes('Kustomize');
  } catch {
    return false;
  }
})();
// CI has kubectl: there a missing one fails the run instead of skipping it
if (!kubectl && !process.env.CI) console.warn('deploy/kubernetes: SKIPPED, kubectl (with kustomize) is not on PATH');
const render = (dir: string): K8sObject[] =>
  parseAllDocuments(execFileSync('kubectl', ['kustomize', join(root, dir)], { encoding: 'utf8' })).map((d) => d.toJS() as K8sObject);
const BATCH_MAX_SECONDS = 10; // the top bucket of sluice_batch_duration_seconds (src/telemetry/metrics.ts)

describe.skipIf(!kubectl && !process.env.CI).each(['deploy/kubernetes/base', 'deploy/kubernetes/overlays/example'])('%s', (dir) => {
  const objects = kubectl ? render(dir) : [];
  const one = <T = Record<string, any>>(kind: string, prefix = '') => objects.find((o) => o.kind === kind && o.metadata.name.startsWith(prefix)) as unknown as T & K8sObject;
  const deployment = one('Deployment');
  const pod = deployment?.spec.template.spec;
  const container = pod?.containers[0];
  const topologyText = one('ConfigMap', 'sluice-topology')?.data['topology.yaml'] as string;
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('renders with kubectl kustomize into the expected objects', () => {
    expect(kubectl, 'kubectl with kustomize on PATH (CI installs it)').toBe(true);
    expect(objects.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'ConfigMap', 'Deployment', 'PersistentVolumeClaim', 'PodDisruptionBudget', 'ScaledObject', 'Secret', 'Service']);
  });

  it('validates against the Kubernetes and KEDA schemas, unknown fields included', () => {
    expect(schemaErrors(objects)).toEqual([]);
    expect(unknownFieldErrors(objects)).toEqual([]);
  });

  it('probes /healthz and /readyz on the port sluice serves', () => {
    const port = Number(container.args[container.args.indexOf('--port') + 1]);
    expect(container.ports).toContainEqual({ name: 'metrics', containerPort: port, protocol: 'TCP' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
  });

  it('gives SIGTERM longer than a batch plus the transaction timeout', () => {
    const txSeconds = (parseDuration(String(parse(topologyText).transaction_timeout ?? '60s')) ?? NaN) / 1000;
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(BATCH_MAX_SECONDS + txSeconds);
  });

  it('gives each replica its pod name as its group instance id (static membership)', () => {
    expect(container.env).toContainEqual({ name: 'SLUICE_INSTANCE_ID', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
  });

  it('takes the connection from the Secret and requests measured resources', () => {
    const secret = one('Secret', 'sluice-connection');
    expect(Object.keys(secret.data)).toEqual(expect.arrayContaining(['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'REDIS_URL']));
    expect(container.envFrom).toContainEqual({ secretRef: { name: secret.metadata.name } });
    expect(container.resources.requests).toEqual({ cpu: '1', memory: '768Mi' });
    expect(container.resources.limits.memory).toBeDefined();
  });

  it('scales with KEDA on the group lag, never past the partitions, and a PDB covers the pods', async () => {
    const topology = parse(topologyText) as { name: string; source: { topic: string; group?: string } };
    const so = one('ScaledObject');
    const trigger = so.spec.triggers[0];
    expect(so.spec.scaleTargetRef.name).toBe(deployment.metadata.name);
    expect(trigger.type).toBe('kafka');
    expect(trigger.metadata.consumerGroup).toBe(topology.source.group ?? `sluice-${topology.name}`);
    expect(trigger.metadata.topic).toBe(topology.source.topic.replace(/^\$\{[A-Z_]+:-(.*)\}$/, '$1'));
    expect(trigger.metadata.allowIdleConsumers).toBe('false'); // KEDA then caps replicas at the partitions
    expect(so.spec.maxReplicaCount).toBeLessThanOrEqual(dir.endsWith('base') ? 6 : 12);
    const pdb = one('PodDisruptionBudget');
    expect(deployment.spec.template.metadata.labels).toMatchObject(pdb.spec.selector.matchLabels);
  });

  it('mounts a topology that loads as sluice run loads it', async () => {
    const d = mkdtempSync(join(tmpdir(), 'sluice-deploy-'));
    dirs.push(d);
    const mount = (volume: string) => pod.volumes.find((v: { name: string }) => v.name === volume).configMap.name as string;
    for (const m of container.volumeMounts.filter((x: { name: string }) => ['topology', 'schemas'].includes(x.name))) {
      const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === mount(m.name)) as unknown as { data: Record<string, string> };
      mkdirSync(join(d, m.mountPath), { recursive: true });
      for (const [file, text] of Object.entries(cm.data)) writeFileSync(join(d, m.mountPath, file), text);
    }
    const topology = await loadTopology(join(d, container.args[1]), { checkSql: false });
    expect(topology.spec.sinks.parquet?.path).toMatch(/^\/var\/lib\/sluice\//);
    expect(container.volumeMounts).toContainEqual({ name: 'data', mountPath: '/var/lib/sluice' });
  });
});

describe('the base copies the demo topology and schema', () => {
  const base = (f: string) => readFileSync(join(root, 'deploy/kubernetes/base', f), 'utf8');
  it('has the same schema and, but for the Parquet path, the same topology', () => {
    expect(base('schemas/page_view.avsc')).toBe(readFileSync(join(root, 'schemas/page_view.avsc'), 'utf8'));
    const strip = (t: Record<string, any>) => ({ ...t, sinks: { ...t.sinks, parquet: undefined }, transaction_timeout: undefined });
    expect(strip(parse(base('topology/page-views.yaml')))).toEqual(strip(parse(readFileSync(join(root, 'topologies/page-views.yaml'), 'utf8'))));
  });
});

describe.skipIf(!kubectl)('the validators', () => {
  const broken = (edit: (deployment: Record<string, any>, scaled: Record<string, any>) => void) => {
    const objects = structuredClone(render('deploy/kubernetes/base')) as Array<K8sObject & Record<string, any>>;
    edit(objects.find((o) => o.kind === 'Deployment')!, objects.find((o) => o.kind === 'ScaledObject')!);
    return objects;
  };

  it('reject a wrong type in a core object and in a CRD', () => {
    const objects = broken((d, so) => {
      d.spec.template.spec.containers[0].ports[0].containerPort = 'metrics';
      so.spec.maxReplicaCount = 'six';
    });
    expect(schemaErrors(objects)).toEqual([
      expect.stringMatching(/^Deployment\/sluice: .*containerPort must be integer/),
      expect.stringMatching(/^ScaledObject\/sluice: .*maxReplicaCount must be integer/),
    ]);
  });

  it('reject a misspelt field at any depth (the first problem of each object)', () => {
    const objects = broken((d, so) => {
      d.spec.template.spec.containers[0].livenessProbe.httpGet.paht = '/healthz';
      so.spec.advanced.horizontalPodAutoscalerConfig.behaviour = {};
    });
    expect(schemaErrors(objects)).toEqual([]);
    expect(unknownFieldErrors(objects)).toEqual([
      expect.stringMatching(/^Deployment\/sluice: .*'"paht"' does not exist/),
      expect.stringMatching(/^ScaledObject\/sluice: .*'"behaviour"' does not exist/),
    ]);
  });
});
