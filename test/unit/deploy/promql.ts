/**
 * The metric names a PromQL expression selects (parsed with Prometheus' own lezer grammar, as its
 * web UI does, so label names, functions and keywords are never mistaken for metrics), and the
 * names sluice exports (its registry, histogram series included), for tests that must fail when a
 * metric is renamed.
 */
import { parser } from '@prometheus-io/lezer-promql';
import { createMetrics, topologyMetrics } from '../../../src/telemetry/metrics.js';

// Grafana's variables are not PromQL: give them values of the right kind before parsing
const GRAFANA_VARIABLES: Array<[RegExp, string]> = [
  [/\$__(rate_interval|interval|range)\b/g, '5m'],
  [/\$\{?[A-Za-z_]\w*(:\w+)?\}?/g, 'x'],
];

/** Metric names of every vector selector in `expr`; throws on a syntax error. */
export function metricNames(expr: string): string[] {
  const query = GRAFANA_VARIABLES.reduce((q, [re, value]) => q.replace(re, value), expr);
  const names: string[] = [];
  const tree = parser.parse(query);
  tree.iterate({
    enter: (node) => {
      if (node.type.isError) throw new Error(`PromQL syntax error at ${node.from} in: ${query}`);
      if (node.name === 'VectorSelector') {
        const id = node.node.getChild('Identifier');
        // {__name__="…"} selectors carry the name as a label matcher
        const named = /__name__\s*=\s*"([^"]+)"/.exec(query.slice(node.from, node.to));
        if (id) names.push(query.slice(id.from, id.to));
        else if (named) names.push(named[1]!);
      }
    },
  });
  return names;
}

/** Every series name /metrics of a replica can carry: sluice's metrics and prom-client's default ones. */
export async function exportedMetricNames(): Promise<Set<string>> {
  const m = createMetrics();
  topologyMetrics(m, 'names');
  const names = new Set<string>();
  for (const metric of await m.registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (['histogram', 'summary'].includes(String(metric.type))) for (const s of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${s}`);
  }
  return names;
}
