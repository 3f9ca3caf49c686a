/**
 * What a metric expression may be: one DuckDB expression, comments included, that reaches no file,
 * network or setting. The runtime (TaskTable.create) and validate share these checks.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSluiceError } from '../../../src/errors.js';
import { columnsFromAvro } from '../../../src/window/columns.js';
import { DuckState } from '../../../src/window/duck-state.js';
import type { MetricProblem } from '../../../src/window/metric-check.js';

const schema = {
  type: 'record',
  name: 'V',
  fields: [
    { name: 'page', type: 'string' },
    { name: 'latency_ms', type: 'int' },
  ],
};
const columns = columnsFromAvro(schema);
let state: DuckState;
let dir: string;
let next = 100;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sluice-metric-'));
  state = await DuckState.open(':memory:', { allowedDirectories: [dir] });
});
afterAll(async () => {
  await state.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The problems TaskTable.create reports for `metrics`, or 'ok' after one aggregate over two rows. */
async function verdict(metrics: Record<string, string>): Promise<MetricProblem[] | Array<Record<string, unknown>>> {
  let task;
  try {
    task = await state.task(next++, columns, { group_by: ['page'], metrics });
  } catch (e) {
    if (isSluiceError(e, 'TOPOLOGY_INVALID')) return e.details.problems as MetricProblem[];
    throw e;
  }
  try {
    const w = { start: 0, end: 10 };
    await task.append([0, 1].map((i) => ({ offset: i, ts: i, window: w, value: { page: '/a', latency_ms: 10 * (i + 1) } })));
    return await task.aggregate([w]);
  } finally {
    await task.close();
  }
}

describe('metric expressions', () => {
  it('run with a trailing -- comment, a /* */ comment or on several lines', async () => {
    expect(await verdict({ views: 'count(*) -- all views', total: '/* ms */ sum(latency_ms)', top: 'max(\n  latency_ms -- the slowest\n)' })).toEqual([
      { page: '/a', window_start: 0, window_end: 10, views: 2, total: 30, top: 20 },
    ]);
  });

  it.each([
    ['count(*);', /a trailing ";" or an unbalanced parenthesis/],
    ['count(*); DROP TABLE state_p0', /not several statements/],
    ['count(*)) FROM state_p0; SELECT (1', /not valid SQL|not several statements/],
    ['count(*) FROM state_p0', /without clauses of its own/],
    ['count(*) AS n', /must not name its result/],
    ['DISTINCT page', /without clauses of its own/],
    ['sum(latency_ms) ORDER BY 1 LIMIT 1', /without clauses of its own/],
    ['count(*), sum(latency_ms)', /must be a single expression/],
    ["COPY (SELECT 1) TO '/tmp/x.csv'", /not valid SQL/],
    ['count(*) /* never closed', /not valid SQL/],
    ['latency_ms', /must appear in the GROUP BY clause/],
    ["COLUMNS('.*')", /./],
  ])('%j is refused, naming the metric', async (expr, why) => {
    const problems = (await verdict({ views: 'count(*)', bad: expr })) as MetricProblem[];
    expect(problems).toHaveLength(1);
    expect(problems[0]!.metric).toBe('bad');
    expect(problems[0]!.message).toMatch(why);
  });

  it('reports every bad metric at once', async () => {
    const problems = (await verdict({ a: 'sum(nope)', b: 'count(*)', c: 'count(*) AS c' })) as MetricProblem[];
    expect(problems.map((p) => p.metric)).toEqual(['c']); // shapes are checked before DuckDB binds the query
    expect(((await verdict({ a: 'sum(nope)', b: 'count(*)', c: 'max(nada)' })) as MetricProblem[]).map((p) => p.metric)).toEqual(['a', 'c']);
  });
});

describe('the sandbox', () => {
  it.each([
    "any_value((SELECT content FROM read_text('/etc/hostname')))",
    "max((SELECT count(*) FROM read_csv('/etc/passwd')))",
    "max((SELECT count(*) FROM glob('/etc/*')))",
    "max((SELECT count(*) FROM read_parquet('https://example.com/x.parquet')))",
    "max((SELECT content FROM read_text('" + '${dir}' + "/../../etc/hostname')))",
  ])('refuses %s as a file or network access', async (expr) => {
    const problems = (await verdict({ x: expr.replace('${dir}', dir) })) as MetricProblem[];
    expect(problems).toEqual([{ metric: 'x', message: expect.stringMatching(/^may not read or write files, reach the network, load extensions or change settings: .*Permission Error/) }]);
  });

  it('writes Parquet only under the allowed folders', async () => {
    const task = await state.task(next++, columns, { group_by: ['page'], metrics: { n: 'count(*)' } });
    try {
      const w = { start: 0, end: 10 };
      expect(await task.writeParquet([w], join(dir, 'ok.parquet'))).toBe(0);
      await expect(task.writeParquet([w], join(tmpdir(), `sluice-outside-${next}.parquet`))).rejects.toThrow(/Permission Error/);
      await expect(task.writeParquet([w], join(dir, '..', `sluice-escape-${next}.parquet`))).rejects.toThrow(/Permission Error/);
    } finally {
      await task.close();
    }
  });
});
