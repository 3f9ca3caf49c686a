/**
 * deploy/prometheus/alerts.yml: promtool checks and unit-tests it (alerts.test.yml), and every
 * metric its rules query is one sluice exports. promtool comes with Debian's `prometheus`
 * package (README, Tests); .ci/run installs it, so in CI a missing promtool fails.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { exportedMetricNames, metricNames } from './promql.js';

const dir = fileURLToPath(new URL('../../../deploy/prometheus/', import.meta.url));
const promtool = spawnSync('promtool', ['--version']).status === 0;
if (!promtool && !process.env.CI) console.warn('deploy/prometheus: promtool tests SKIPPED, promtool is not on PATH (apt-get install prometheus)');
type Rule = { alert?: string; record?: string; expr: string };
const rules = (parse(readFileSync(`${dir}alerts.yml`, 'utf8')) as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((g) => g.rules);

describe.skipIf(!promtool && !process.env.CI)('promtool', () => {
  const tool = (...args: string[]) => execFileSync('promtool', args, { cwd: dir, encoding: 'utf8', stdio: 'pipe' });

  it('checks the rule file', () => {
    expect(tool('check', 'rules', 'alerts.yml')).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it('checks the compose file\'s Prometheus config with its rule file', () => {
    expect(tool('check', 'config', 'prometheus.compose.yml')).toContain('SUCCESS: 1 rule files found');
  });

  it('passes the rules unit tests', () => {
    expect(tool('test', 'rules', 'alerts.test.yml')).toContain('SUCCESS');
  });
});

describe('alert rules', () => {
  it('cover what the deployment needs', () => {
    expect(rules.map((r) => r.alert)).toEqual([
      'SluiceConsumerLagGrowing',
      'SluiceEventTimeLagHigh',
      'SluiceDeadLettersHigh',
      'SluiceLateRecordsHigh',
      'SluiceDependencyOutage',
      'SluiceRestoreSlow',
      'SluiceNoCommits',
      'SluiceRedisDataLoss',
      'SluiceDedupSlow',
    ]);
  });

  it('query only metrics sluice exports', async () => {
    const exported = await exportedMetricNames();
    for (const r of rules) {
      const names = metricNames(r.expr);
      expect(names.length, r.alert).toBeGreaterThan(0);
      expect(names.filter((n) => !exported.has(n)), `${r.alert} queries metrics sluice does not export`).toEqual([]);
    }
  });

  it('the check notices a renamed metric', async () => {
    const exported = await exportedMetricNames();
    expect(exported.has('sluice_restore_duration_seconds_bucket')).toBe(true);
    expect(metricNames('sum by (topology) (rate(sluice_recordz_total{outcome="late"}[$__rate_interval]))').filter((n) => !exported.has(n))).toEqual(['sluice_recordz_total']);
  });
});
