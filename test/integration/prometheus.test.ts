/**
 * A real Prometheus (Debian's `prometheus` package) scrapes a running replica with the alert rules
 * of deploy/prometheus loaded: the target is up, sluice's series arrive with their labels, and an
 * alert rule's own query returns the series it should. The fixed input's event times are in 2023,
 * so SluiceEventTimeLagHigh's condition holds for every partition (pending: it has a `for:`).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startReplica, type Replica } from '../../src/runtime/replica.js';
import { loadTopology } from '../../src/topology/loader.js';
import { produceFixedInput } from '../support/input.js';
import { writeTopology, type TestTopology } from '../support/pipeline.js';
import { waitFor, waitProcessed } from '../support/read.js';
import { endpoints } from '../support/services.js';

const rulesFile = fileURLToPath(new URL('../../deploy/prometheus/alerts.yml', import.meta.url));
const installed = spawnSync('prometheus', ['--version']).status === 0;
if (!installed && !process.env.CI) console.warn('prometheus.test.ts: SKIPPED, `prometheus` is not on PATH (apt-get install prometheus)');
type Series = { metric: Record<string, string>; value: [number, string] };

/** A port free right now (Prometheus does not report the port it bound for :0). */
const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });

describe.skipIf(!installed && !process.env.CI)('Prometheus scraping a replica', () => {
  let t: TestTopology;
  let dir: string;
  let replica: Replica | undefined;
  let prometheus: ChildProcess | undefined;
  let api = '';
  let log = '';
  const query = async (q: string): Promise<Series[]> => {
    const body = (await (await fetch(`${api}/api/v1/query?query=${encodeURIComponent(q)}`)).json()) as { status: string; data: { result: Series[] }; error?: string };
    if (body.status !== 'success') throw new Error(`query failed: ${body.error} (${q})`);
    return body.data.result;
  };

  beforeAll(async () => {
    const { brokers, registryUrl, redisUrl } = endpoints();
    t = writeTopology();
    dir = mkdtempSync(join(tmpdir(), 'sluice-prom-'));
    await produceFixedInput({ brokers, registryUrl, topic: t.source, partitions: 2, topologyFile: t.file, count: 400, seed: 21 });
    replica = await startReplica(await loadTopology(t.file), { brokers, registryUrl, redisUrl }, { port: 0, log: pino({ level: 'warn' }) });
    await waitProcessed(brokers, t.group, t.source);
    copyFileSync(rulesFile, join(dir, 'alerts.yml'));
    const config = { global: { scrape_interval: '1s', evaluation_interval: '1s' }, rule_files: ['alerts.yml'], scrape_configs: [{ job_name: 'sluice', static_configs: [{ targets: [`127.0.0.1:${replica.port}`] }] }] };
    writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config)); // JSON is YAML
    const port = await freePort();
    api = `http://127.0.0.1:${port}`;
    prometheus = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    prometheus.stdout!.on('data', (d) => (log += d));
    prometheus.stderr!.on('data', (d) => (log += d));
    await waitFor(async () => (await fetch(`${api}/-/ready`).catch(() => undefined))?.ok === true, 60_000, () => `Prometheus to be ready:\n${log.slice(-2000)}`, 250);
  });

  afterAll(async () => {
    if (prometheus && prometheus.exitCode === null) {
      const exited = new Promise((r) => prometheus!.once('exit', r));
      prometheus.kill('SIGTERM');
      await exited;
    }
    await replica?.stop();
    for (const d of [dir, t?.dir]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('scrapes the replica: the target is up and its series carry the topology', async () => {
    await waitFor(async () => (await query('up{job="sluice"}')).some((s) => s.value[1] === '1'), 30_000, () => 'the sluice target to be up', 250);
    let decoded: Series[] = [];
    await waitFor(async () => (decoded = await query(`sum by (topology) (sluice_records_total{topology="${t.name}",outcome="decoded"})`)).length > 0, 30_000, () => 'sluice_records_total in Prometheus', 250);
    expect(Number(decoded[0]!.value[1])).toBeGreaterThan(0);
    // SluiceDedupSlow's inputs: the replica timed its dedup calls
    let dedup: Series[] = [];
    await waitFor(async () => (dedup = await query(`sum by (topology) (sluice_dedup_seconds_count{topology="${t.name}"})`)).length > 0, 30_000, () => 'sluice_dedup_seconds in Prometheus', 250);
    expect(Number(dedup[0]!.value[1])).toBeGreaterThan(0);
  });

  it("answers SluiceEventTimeLagHigh's query with one series per partition and loads it as pending", async () => {
    const rule = (parse(readFileSync(rulesFile, 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> }).groups[0]!.rules.find((r) => r.alert === 'SluiceEventTimeLagHigh')!;
    let series: Series[] = [];
    await waitFor(async () => (series = await query(rule.expr)).length === 2, 30_000, () => `two series from ${rule.expr}, got ${JSON.stringify(series)}`, 250);
    expect(series.map((s) => s.metric).sort((a, b) => a.partition!.localeCompare(b.partition!))).toEqual([
      { topology: t.name, partition: '0' },
      { topology: t.name, partition: '1' },
    ]);
    for (const s of series) expect(Number(s.value[1])).toBeGreaterThan(30); // 3 × the 10 s window
    type Alert = { labels: Record<string, string>; state: string };
    let alerts: Alert[] = [];
    const lagAlerts = () => alerts.filter((a) => a.labels.alertname === 'SluiceEventTimeLagHigh' && a.labels.topology === t.name);
    await waitFor(async () => {
      alerts = ((await (await fetch(`${api}/api/v1/alerts`)).json()) as { data: { alerts: Alert[] } }).data.alerts;
      return lagAlerts().length === 2;
    }, 30_000, () => `two SluiceEventTimeLagHigh alerts, got ${JSON.stringify(alerts)}`, 250);
    expect(lagAlerts().map((a) => a.state)).toEqual(['pending', 'pending']);
  });
});
