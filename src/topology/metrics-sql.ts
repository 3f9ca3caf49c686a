/**
 * Metric, having and filter SQL checked at validate time exactly as the runtime prepares it: a
 * sandboxed DuckState (no files, no network), the task's own preparation (TaskTable.create: names,
 * one expression per metric, the pruned state table, result types, having; RecordFilter.create),
 * then the result query run once on the empty table and its Parquet COPY prepared. A typo, a
 * non-aggregate or a file read is reported at validate time, not at the first closed window.
 */
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSluiceError } from '../errors.js';
import type { Column } from '../window/columns.js';
import { DuckState } from '../window/duck-state.js';
import { duckProblem, type MetricProblem } from '../window/metric-check.js';
import type { AggregateSpec } from '../window/sql.js';

export type { MetricProblem };

export async function checkMetrics(columns: readonly Column[], aggregate: AggregateSpec, filter?: string): Promise<MetricProblem[]> {
  // COPY is only prepared, never run: the folder is never created
  const dir = join(tmpdir(), `sluice-validate-${randomUUID()}`);
  const state = await DuckState.open(':memory:', { allowedDirectories: [dir] });
  try {
    const problems = await problemsOf(async () => {
      const task = await state.task(0, columns, aggregate);
      try {
        await task.dryRun(join(dir, 'check.parquet'));
      } finally {
        await task.close();
      }
    });
    // the filter as a task prepares it (DuckState.filter → RecordFilter.create), and run once on no record
    if (filter !== undefined) {
      problems.push(...(await problemsOf(async () => {
        const f = await state.filter(0, columns, filter);
        try {
          await f.evaluate([]);
        } finally {
          await f.close();
        }
      })));
    }
    return problems;
  } finally {
    await state.close();
  }
}

async function problemsOf(check: () => Promise<void>): Promise<MetricProblem[]> {
  try {
    await check();
    return [];
  } catch (e) {
    if (isSluiceError(e, 'TOPOLOGY_INVALID') && Array.isArray(e.details.problems)) return e.details.problems as MetricProblem[];
    return [{ message: isSluiceError(e) ? e.message : duckProblem(e) }];
  }
}
