/**
 * deploy/grafana: the dashboard covers what an operator watches, every panel queries the
 * provisioned Prometheus with PromQL that parses and selects only metrics sluice exports (so a
 * renamed metric fails here), and the provisioning files point where docker-compose.yml mounts them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { exportedMetricNames, metricNames } from './promql.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const read = (f: string) => readFileSync(`${root}${f}`, 'utf8');
type Target = { refId: string; expr: string; datasource: { uid: string } };
type Panel = { id: number; title: string; datasource: { type: string; uid: string }; gridPos: { x: number; y: number; w: number; h: number }; targets: Target[] };
const dashboard = JSON.parse(read('deploy/grafana/dashboards/sluice.json')) as { uid: string; panels: Panel[]; templating: { list: Array<{ name: string; query: { query: string } }> } };
const datasources = (parse(read('deploy/grafana/provisioning/datasources/prometheus.yml')) as { datasources: Array<{ uid: string; type: string; url: string }> }).datasources;
const provider = (parse(read('deploy/grafana/provisioning/dashboards/sluice.yml')) as { providers: Array<{ options: { path: string } }> }).providers[0]!;
const compose = parse(read('docker-compose.yml')) as { services: Record<string, { volumes?: string[]; ports?: string[] }> };

describe('the Grafana dashboard', () => {
  it('has the panels an operator needs', () => {
    expect(dashboard.panels.map((p) => p.title)).toEqual(
      expect.arrayContaining(['Throughput per stage', 'Consumer lag per partition', 'Event-time lag per partition', 'Windows emitted', 'Dead letters and late records', 'Batch latency', 'Transactions', 'Restores']),
    );
    expect(new Set(dashboard.panels.map((p) => p.id)).size).toBe(dashboard.panels.length);
  });

  it('queries the provisioned Prometheus from every panel and target', () => {
    const [ds] = datasources;
    expect(ds).toMatchObject({ type: 'prometheus', uid: 'prometheus' });
    for (const p of dashboard.panels) {
      expect(p.datasource, p.title).toEqual({ type: 'prometheus', uid: ds!.uid });
      expect(p.targets.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets) expect(t.datasource.uid, `${p.title} ${t.refId}`).toBe(ds!.uid);
    }
  });

  it('selects only metrics sluice exports, in PromQL that parses', async () => {
    const exported = await exportedMetricNames();
    const queries = [...dashboard.panels.flatMap((p) => p.targets.map((t) => [`${p.title} ${t.refId}`, t.expr])), ...dashboard.templating.list.map((v) => [`$${v.name}`, v.query.query.replace(/^label_values\((.*), \w+\)$/, '$1')])];
    for (const [where, expr] of queries) {
      const names = metricNames(expr!);
      expect(names.length, where).toBeGreaterThan(0);
      expect(names.filter((n) => !exported.has(n)), `${where}: ${expr}`).toEqual([]);
    }
  });

  it('lays the panels out without overlaps on the 24-column grid', () => {
    const cells = new Set<string>();
    for (const { gridPos: g, title } of dashboard.panels) {
      expect(g.x + g.w, title).toBeLessThanOrEqual(24);
      for (let x = g.x; x < g.x + g.w; x++) for (let y = g.y; y < g.y + g.h; y++) {
        expect(cells.has(`${x},${y}`), `${title} overlaps at ${x},${y}`).toBe(false);
        cells.add(`${x},${y}`);
      }
    }
  });

  it('is provisioned where docker-compose.yml mounts it, from the Prometheus service', () => {
    const mounts = compose.services.grafana!.volumes!.map((v) => v.split(':'));
    expect(mounts).toContainEqual(['./deploy/grafana/dashboards', provider.options.path, 'ro']);
    expect(mounts).toContainEqual(['./deploy/grafana/provisioning', '/etc/grafana/provisioning', 'ro']);
    const url = new URL(datasources[0]!.url);
    expect(compose.services).toHaveProperty([url.hostname]);
    expect(compose.services[url.hostname]!.ports!.some((p) => p.endsWith(`:${url.port}`))).toBe(true);
  });
});
