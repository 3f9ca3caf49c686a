/** `sluice validate` and `sluice schema` end to end, through bin/sluice.js as a user runs them. */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { topologyJsonSchema } from '../../../src/topology/schema.js';
import { fixtureDir, ROOT, withLine } from './fixtures.js';

const run = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
  try {
    const { stdout, stderr } = await promisify(execFile)('node', [join(ROOT, 'bin/sluice.js'), ...args], { cwd: ROOT });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
};

const { write } = fixtureDir();

// each run starts node + tsx, a few seconds on a loaded 2-core box
describe('sluice validate', { timeout: 60_000 }, () => {
  it('prints one line per valid file and exits 0', async () => {
    const r = await run('validate', 'topologies/page-views.yaml', 'topologies/checkout-latency.yaml');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      'topologies/page-views.yaml: ok (page-views: page_views → topic page_views_10s, parquet ../data/page_views_10s; tumbling 10s + 2s grace; one stage)',
      'topologies/checkout-latency.yaml: ok (checkout-latency: checkouts → topic checkout_latency_1m, parquet ../data/checkout_latency_1m; hopping 1m every 10s + 5s grace; two stages via checkout-latency-repartition)',
    ]);
  });

  it('prints one line per issue on stderr and exits 1, for broken and missing files', async () => {
    const broken = write('broken.yaml', withLine(9, '  ttl: 5s'));
    const r = await run('validate', 'topologies/page-views.yaml', broken, 'nothere.yaml');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('topologies/page-views.yaml: ok');
    expect(r.stderr.trim().split('\n')).toEqual([
      `${broken}:9:8: dedup.ttl: must be longer than window.size + window.grace = 12s; a duplicate arriving after its key expired would be counted twice (got "5s")`,
      'nothere.yaml:1:1: no such file',
    ]);
  });

  it('accepts a metric with a trailing -- comment and refuses one that reads a host file (issues #8, #9)', async () => {
    const comment = write('comment.yaml', withLine(17, '    views: count(*) -- all views'));
    const hostFile = write('host-file.yaml', withLine(18, "    p95: any_value((SELECT content FROM read_text('/etc/hostname')))"));
    const r = await run('validate', comment, hostFile);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${comment}: ok`);
    expect(r.stderr).toMatch(new RegExp(`^${hostFile}:18:10: aggregate\\.metrics\\.p95: may not read or write files, reach the network.*Permission Error: Cannot access file "/etc/hostname"`));
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});

describe('sluice schema', { timeout: 60_000 }, () => {
  it('prints the JSON Schema', async () => {
    const r = await run('schema');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(topologyJsonSchema());
  });
});
