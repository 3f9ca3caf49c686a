/** The exact line `sluice validate` prints for each kind of mistake: file:line:col: path: message (got value). */
import { describe, expect, it } from 'vitest';
import { formatIssue, loadTopology, TopologyError } from '../../../src/topology/loader.js';
import { BASE, fixtureDir, withLine } from './fixtures.js';

const { write } = fixtureDir();

/** Loads `text` as a topology and returns the formatted issue lines, with the temp path shortened to `f.yaml`. */
async function errorLines(text: string, env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  const file = write('f.yaml', text);
  try {
    await loadTopology(file, { env });
  } catch (err) {
    if (!(err instanceof TopologyError)) throw err;
    expect(err.code).toBe('TOPOLOGY_INVALID');
    expect(err.message).toBe(err.issues.map(formatIssue).join('\n'));
    return err.issues.map((i) => formatIssue({ ...i, file: 'f.yaml' }));
  }
  throw new Error('expected the topology to be rejected');
}

describe('topology errors name file, line, column, field and value', () => {
  it('a bucket path whose bucket name S3 refuses', async () => {
    const text = BASE.replace('  topic: { name: out }', '  topic: { name: out }\n  parquet: { path: s3://Bad_Bucket/x }');
    const lines = await errorLines(text);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^f\.yaml:\d+:\d+: sinks\.parquet\.path: expected s3:\/\/bucket\/prefix with a bucket name of 3–63 .* \(got "s3:\/\/Bad_Bucket\/x"\)$/);
  });

  it('wrong type', async () => {
    expect(await errorLines(`${BASE}batch: { max_records: lots }\n`)).toEqual([
      'f.yaml:21:23: batch.max_records: expected a number (got "lots")',
    ]);
  });

  it('unknown key, with a suggestion, pointing at the key', async () => {
    expect(await errorLines(withLine(13, '  grce: 2s'))).toEqual(['f.yaml:13:3: window.grce: unknown key; did you mean "grace"?']);
  });

  it('unknown key without a near match lists the allowed ones', async () => {
    expect(await errorLines(withLine(6, '  event_time: ts\n  colour: blue'))).toEqual([
      'f.yaml:7:3: source.colour: unknown key; expected one of topic, group, start, value, event_time, session_timeout, max_future_skew, partitioned_by_group_key, idle_timeout',
    ]);
  });

  it('source.idle_timeout needs two stages', async () => {
    expect(await errorLines(withLine(6, '  event_time: ts\n  partitioned_by_group_key: true\n  idle_timeout: 30s'))).toEqual([
      'f.yaml:8:17: source.idle_timeout: applies to two stages only in this version: set source.partitioned_by_group_key: false, or remove it (got "30s")',
    ]);
  });

  it('missing required key, at the parent mapping', async () => {
    expect(await errorLines(withLine(6, ''))).toEqual(['f.yaml:3:3: source.event_time: missing required key']);
  });

  it('unknown window type', async () => {
    expect(await errorLines(withLine(11, '  type: sliding'))).toEqual([
      'f.yaml:11:9: window.type: expected one of "tumbling", "hopping", "session" (got "sliding")',
    ]);
  });

  it('a duration without a unit it knows', async () => {
    expect(await errorLines(withLine(12, '  size: 10 sec'))).toEqual([
      'f.yaml:12:9: window.size: expected a duration such as 500ms, 10s, 5m, 1h or 1d (got "10 sec")',
    ]);
  });

  it('hop advance larger than the window size', async () => {
    expect(await errorLines(withLine(11, '  type: hopping\n  advance: 15s'))).toEqual([
      'f.yaml:12:12: window.advance: must be at most window.size (10s); a larger hop would skip events between windows (got "15s")',
    ]);
  });

  it('zero window size', async () => {
    expect(await errorLines(withLine(12, '  size: 0s'))).toEqual(['f.yaml:12:9: window.size: must be greater than 0 (got "0s")']);
  });

  it('dedup ttl not longer than window size + grace', async () => {
    expect(await errorLines(withLine(9, '  ttl: 12s'))).toEqual([
      'f.yaml:9:8: dedup.ttl: must be longer than window.size + window.grace = 12s; a duplicate arriving after its key expired would be counted twice (got "12s")',
    ]);
  });

  it('dedup ttl against a session window uses gap + grace', async () => {
    const text = withLine(11, '  type: session', withLine(12, '  gap: 30m', withLine(9, '  ttl: 30m')));
    expect(await errorLines(text)).toEqual([
      'f.yaml:9:8: dedup.ttl: must be longer than window.gap + window.grace = 1802s; a duplicate arriving after its key expired would be counted twice (got "30m")',
    ]);
  });

  it('a session window with a gap of 0 or a bad grace', async () => {
    const text = withLine(11, '  type: session', withLine(12, '  gap: 0s', withLine(13, '  grace: 2 seconds')));
    expect(await errorLines(text)).toEqual([
      'f.yaml:13:10: window.grace: expected a duration such as 500ms, 10s, 5m, 1h or 1d (got "2 seconds")',
    ]);
    const zero = withLine(11, '  type: session', withLine(12, '  gap: 0s'));
    expect(await errorLines(zero)).toEqual(['f.yaml:12:8: window.gap: must be greater than 0 (got "0s")']);
  });

  it('a field missing from the reader schema', async () => {
    expect(await errorLines(withLine(6, '  event_time: timestamp'))).toEqual([
      'f.yaml:6:15: source.event_time: no field "timestamp" in the reader schema (fields: event_id, ts, page, user_id, latency_ms, referrer, url, user_agent, country) (got "timestamp")',
    ]);
  });

  it('a group_by field missing from the reader schema, by list index', async () => {
    expect(await errorLines(withLine(15, '  group_by: [page, region]'))).toEqual([
      'f.yaml:15:20: aggregate.group_by[1]: no field "region" in the reader schema (fields: event_id, ts, page, user_id, latency_ms, referrer, url, user_agent, country) (got "region")',
    ]);
  });

  it('a field of the wrong type for event time', async () => {
    expect(await errorLines(withLine(6, '  event_time: page'))).toEqual([
      'f.yaml:6:15: source.event_time: field "page" has type string; expected long (millis) or timestamp-millis, optionally nullable (got "page")',
    ]);
  });

  it('a metric DuckDB rejects, at the metric', async () => {
    const lines = await errorLines(withLine(18, '    p95: quantile_cont(latncy_ms, 0.95)'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^f\.yaml:18:10: aggregate\.metrics\.p95: DuckDB: Binder Error: Referenced column "latncy_ms" not found in FROM clause! .* \(got "quantile_cont\(latncy_ms, 0\.95\)"\)$/);
  });

  it('a metric that is not an aggregate', async () => {
    const lines = await errorLines(withLine(18, '    p95: latency_ms + 1'));
    expect(lines[0]).toMatch(/^f\.yaml:18:10: aggregate\.metrics\.p95: DuckDB: Binder Error: column "latency_ms" must appear in the GROUP BY clause or must be part of an aggregate function\./);
  });

  it('a metric with two expressions', async () => {
    expect(await errorLines(withLine(18, '    p95: count(*), sum(latency_ms)'))).toEqual([
      'f.yaml:18:10: aggregate.metrics.p95: must be a single expression (one result column per metric) (got "count(*), sum(latency_ms)")',
    ]);
  });

  it('a metric that reads a host file, refused by the sandbox', async () => {
    expect(await errorLines(withLine(18, "    p95: any_value((SELECT content FROM read_text('/etc/hostname')))"))).toEqual([
      'f.yaml:18:10: aggregate.metrics.p95: may not read or write files, reach the network, load extensions or change settings: metric SQL runs in a DuckDB ' +
        'with external access disabled (DuckDB: Permission Error: Cannot access file "/etc/hostname" - file system operations are disabled by configuration) ' +
        '(got "any_value((SELECT content FROM read_text(\'/etc/hostname\')))")',
    ]);
  });

  it('a metric that smuggles a second statement or a clause', async () => {
    expect(await errorLines(withLine(18, '    p95: count(*); DROP TABLE state_p0'))).toEqual([
      'f.yaml:18:10: aggregate.metrics.p95: must be one SQL expression, not several statements (";" ends a statement) (got "count(*); DROP TABLE state_p0")',
    ]);
    expect(await errorLines(withLine(18, '    p95: count(*);'))).toEqual([
      'f.yaml:18:10: aggregate.metrics.p95: must be a self-contained expression: a trailing ";" or an unbalanced parenthesis would break sluice\'s query (got "count(*);")',
    ]);
  });

  it('a metric named like a group_by field', async () => {
    expect(await errorLines(withLine(18, '    page: max(latency_ms)'))).toEqual([
      'f.yaml:18:5: aggregate.metrics.page: metric name "page" collides with a group_by field; results would have two columns of that name',
    ]);
  });

  it('bad YAML syntax, at the parser position', async () => {
    expect(await errorLines(withLine(15, '  group_by: [page'))).toEqual([
      'f.yaml:16:3: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ]);
  });

  it('a missing reader schema file', async () => {
    expect(await errorLines(withLine(5, '    schema: nothere.avsc'))).toEqual([
      expect.stringMatching(/^f\.yaml:5:13: source\.value\.schema: schema file not found: .*nothere\.avsc \(got "nothere\.avsc"\)$/),
    ]);
  });

  it('an unset environment variable without default', async () => {
    expect(await errorLines(withLine(3, '  topic: ${TOPIC}'))).toEqual([
      'f.yaml:3:10: source.topic: environment variable TOPIC is not set (write ${TOPIC:-default} to give a default) (got "${TOPIC}")',
    ]);
  });

  it('an empty file', async () => {
    expect(await errorLines('# nothing yet\n')).toEqual([
      'f.yaml:1:1: the file is empty; expected a topology mapping (name, source, window, aggregate, sinks)',
    ]);
  });

  it('reports every issue at once, in file order', async () => {
    // shape issues first: DuckDB is not asked while the file's shape is wrong
    const text = withLine(12, '  size: 10s\n  colour: red', withLine(9, '  ttl: true', withLine(18, '    p95: sum(nope)')));
    const lines = await errorLines(text);
    expect(lines.map((l) => l.split(': ')[0])).toEqual(['f.yaml:9:8', 'f.yaml:13:3']);
    const fixed = withLine(18, '    p95: sum(nope)', withLine(9, '  ttl: 5s'));
    expect((await errorLines(fixed)).map((l) => l.split(': ')[0])).toEqual(['f.yaml:9:8', 'f.yaml:18:10']);
  });
});

describe('a missing topology file', () => {
  it('is TOPOLOGY_NOT_FOUND', async () => {
    await expect(loadTopology('/nonexistent/t.yaml')).rejects.toMatchObject({ code: 'TOPOLOGY_NOT_FOUND', message: '/nonexistent/t.yaml: no such file' });
  });
});

describe('emit.early', () => {
  it('early results with a session window are refused, pointing at emit.early', async () => {
    const text = BASE.replace('  type: tumbling\n  size: 10s\n', '  type: session\n  gap: 10s\n') + 'emit: { early: 5s }\n';
    const lines = await errorLines(text);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^f\.yaml:\d+:\d+: emit\.early: early results are not supported for session windows yet/);
  });
});
