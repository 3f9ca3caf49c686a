/**
 * filter, having, record metadata and window bounds as `sluice validate` reports them
 * (file:line:col: path: message), through the preparation the runtime uses (src/window/prepare.ts).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatIssue, loadTopology, TopologyError } from '../../../src/topology/loader.js';
import { BASE, fixtureDir, ROOT, withLine } from './fixtures.js';

const { write } = fixtureDir();

async function errorLines(text: string): Promise<string[]> {
  const file = write('f.yaml', text);
  try {
    await loadTopology(file, { env: {} });
  } catch (err) {
    if (!(err instanceof TopologyError)) throw err;
    return err.issues.map((i) => formatIssue({ ...i, file: 'f.yaml' }));
  }
  throw new Error('expected the topology to be rejected');
}

// BASE line 14 is `aggregate:`, 16 `  metrics:`, 17 `    views: count(*)`
const withFilter = (filter: string, base = BASE) => withLine(10, `filter: ${filter}\nwindow:`, base); // the filter on line 10
const withHaving = (having: string) => withLine(15, `  group_by: [page]\n  having: ${having}`); // having on line 16

describe('valid expressions', () => {
  it('accepts a filter, having, metadata in metrics and window bounds in metrics', async () => {
    const text = withFilter("country <> 'DE' AND ROWPARTITION >= 0 AND ROWKEY IS NOT NULL AND ROWTIME > 0", withLine(17, [
      '    views: count(*)',
      '    last_latency: arg_max(latency_ms, ROWOFFSET)',
      '    first_latency: arg_min(latency_ms, (ROWTIME, ROWPARTITION, ROWOFFSET))',
      '    per_end: count(*) * window_end',
    ].join('\n')).replace('  group_by: [page]', '  group_by: [page]\n  having: views > 1 AND window_start >= 0 AND last_latency IS NOT NULL'));
    const t = await loadTopology(write('ok.yaml', text), { env: {} });
    expect(t.spec.filter).toContain("country <> 'DE'");
    expect(t.spec.aggregate.having).toBe('views > 1 AND window_start >= 0 AND last_latency IS NOT NULL');
  });
});

describe('filter errors', () => {
  it('a field that does not exist', async () => {
    const [line] = await errorLines(withFilter('contry = 1'));
    expect(line).toBe(
      'f.yaml:10:9: filter: DuckDB: Binder Error: Referenced column "contry" not found in FROM clause! (a filter sees the value fields and the record metadata: ' +
        'event_id, ts, page, user_id, latency_ms, referrer, url, user_agent, country, ROWTIME, ROWPARTITION, ROWOFFSET, ROWKEY) (got "contry = 1")',
    );
  });

  it('not a boolean', async () => {
    expect(await errorLines(withFilter('latency_ms + 1'))).toEqual(['f.yaml:10:9: filter: must be a boolean expression (true: the record counts), got INTEGER (got "latency_ms + 1")']);
  });

  it('an aggregate', async () => {
    const [line] = await errorLines(withFilter('count(*) > 1'));
    expect(line).toMatch(/^f\.yaml:10:9: filter: DuckDB: Binder Error: WHERE clause cannot contain aggregates/);
  });

  it('a clause of its own', async () => {
    const [line] = await errorLines(withFilter('"true FROM x"'));
    expect(line).toMatch(/^f\.yaml:10:9: filter: must be an expression only, without clauses of its own/);
  });

  it('a file read (the sandbox)', async () => {
    const [line] = await errorLines(withFilter(`"page IN (SELECT * FROM read_csv('/etc/passwd'))"`));
    expect(line).toMatch(/^f\.yaml:10:9: filter: may not read or write files/);
  });

  it('is reported beside a metric problem', async () => {
    const lines = await errorLines(withFilter('nope', withLine(17, '    views: count(nope)')));
    expect(lines.map((l) => l.split(': ').slice(0, 2).join(': '))).toEqual(['f.yaml:10:9: filter', 'f.yaml:18:12: aggregate.metrics.views']);
  });
});

describe('having errors', () => {
  it('a value field rather than a result column', async () => {
    const [line] = await errorLines(withHaving('latency_ms > 3'));
    expect(line).toMatch(/^f\.yaml:16:11: aggregate\.having: DuckDB: Binder Error: Referenced column "latency_ms" not found in FROM clause! \(having sees the result columns only: page, window_start, window_end, views, p95; record metadata and value fields only through a metric, e.g\. max\(ROWOFFSET\)\) \(got "latency_ms > 3"\)$/);
  });

  it('record metadata outside a metric', async () => {
    const [line] = await errorLines(withHaving('ROWOFFSET > 3'));
    expect(line).toMatch(/^f\.yaml:16:11: aggregate\.having: DuckDB: Binder Error: Referenced column "ROWOFFSET" not found/);
  });

  it('not a boolean', async () => {
    expect(await errorLines(withHaving('views'))).toEqual(['f.yaml:16:11: aggregate.having: must be a boolean expression (true: emit the row), got BIGINT (got "views")']);
  });

  it('two statements', async () => {
    const [line] = await errorLines(withHaving('"views > 1; SELECT 1"'));
    expect(line).toMatch(/^f\.yaml:16:11: aggregate\.having: must be one SQL expression/);
  });
});

describe('reserved names in the reader schema', () => {
  it('a field named like a metadata column or a window bound is refused, at the schema', async () => {
    const schema = JSON.parse(readFileSync(`${ROOT}schemas/page_view.avsc`, 'utf8')) as { fields: object[] };
    schema.fields.push({ name: 'RowOffset', type: 'long', default: 0 }, { name: 'window_end', type: 'long', default: 0 });
    write('reserved.avsc', JSON.stringify(schema));
    expect(await errorLines(BASE.replace('schema: page_view.avsc', 'schema: reserved.avsc'))).toEqual([
      'f.yaml:5:13: source.value.schema: field "RowOffset" has the name expressions use for the record metadata ROWOFFSET (SQL names ignore case); rename the field (got "reserved.avsc")',
      'f.yaml:5:13: source.value.schema: field "window_end" has the name expressions use for the window bound window_end (SQL names ignore case); rename the field (got "reserved.avsc")',
    ]);
  });
});
