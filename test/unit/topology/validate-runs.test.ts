/**
 * validate and run agree (issue #8): every topology the suite validates — the shipped ones, the
 * unit-test fixture, the YAML the test/support and bench helpers write — goes through the
 * runtime's own SQL preparation: the task table, the result query on an empty table, the output
 * schema, and a Parquet file written by the sink's COPY.
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadTopology } from '../../../src/topology/loader.js';
import { columnsFromAvro } from '../../../src/window/columns.js';
import { DuckState } from '../../../src/window/duck-state.js';
import { resultAvroSchema } from '../../../src/sink/output-schema.js';
import { writeBenchTopology } from '../../bench/setup.js';
import { writeTopology } from '../../support/pipeline.js';
import { BASE, fixtureDir, ROOT, withLine } from './fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'sluice-validate-runs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const { write } = fixtureDir();

const files: Array<[string, () => string]> = [
  ...readdirSync(join(ROOT, 'topologies'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f): [string, () => string] => [`topologies/${f}`, () => join(ROOT, 'topologies', f)]),
  ['test/unit/topology/fixtures.ts BASE', () => write('base.yaml', BASE)],
  ['BASE with a commented metric', () => write('comment.yaml', withLine(17, '    views: count(*) -- all views'))],
  ['test/support/pipeline.ts writeTopology()', () => writeTopology({ dir: mkdtempSync(join(tmp, 'it-')) }).file],
  ['test/bench/setup.ts writeBenchTopology()', () => writeBenchTopology(mkdtempSync(join(tmp, 'bench-'))).file],
];

describe('every topology validate accepts runs through the runtime SQL', () => {
  it.each(files)('%s', async (_, make) => {
    const topology = await loadTopology(make(), { env: {} }); // what `sluice validate` does
    const out = mkdtempSync(join(tmp, 'parquet-'));
    const state = await DuckState.open(':memory:', { allowedDirectories: [out] });
    try {
      const task = await state.task(0, columnsFromAvro(topology.valueSchema), topology.spec.aggregate);
      try {
        const window = { start: 0, end: 10_000 };
        expect(await task.aggregate([window])).toEqual([]);
        const columns = await task.resultColumns();
        expect(columns.map((c) => c.name)).toEqual([...topology.spec.aggregate.group_by, 'window_start', 'window_end', ...Object.keys(topology.spec.aggregate.metrics)]);
        resultAvroSchema({ name: topology.spec.name, columns, groupBy: topology.spec.aggregate.group_by, readerSchema: topology.valueSchema });
        const file = join(out, 'w.parquet');
        expect(await task.writeParquet([window], file)).toBe(0);
        expect(statSync(file).size).toBeGreaterThan(0);
      } finally {
        await task.close();
      }
    } finally {
      await state.close();
    }
  });
});
