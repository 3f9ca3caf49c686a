import { describe, expect, it } from 'vitest';
import { dotted } from '../../../src/topology/positions.js';
import { nameRules } from '../../../src/topology/rules.js';

const fields = ['page', 'latency_ms', 'order'];
const spec = { group_by: ['page', 'order'], metrics: { views: 'count(*)', latency_sum: 'sum(latency_ms)' } };
const where = (f: readonly string[], s: { group_by: readonly string[]; metrics: Record<string, string> }) => nameRules(f, s).map((p) => `${dotted(p.path)}: ${p.message}`);

// the one copy of the naming rules: fieldRules (validate) and prepareAggregate (run) both apply it
describe('nameRules', () => {
  it('accepts a valid spec', () => {
    expect(where(fields, spec)).toEqual([]);
  });

  it('names the field of every clash', () => {
    expect(where(fields, { group_by: ['nope'], metrics: { n: 'count(*)' } })).toEqual(['aggregate.group_by[0]: no field "nope" in the reader schema (fields: page, latency_ms, order)']);
    expect(where(fields, { group_by: ['page', 'page'], metrics: {} })).toEqual(['aggregate.group_by[1]: "page" is listed twice']);
    expect(where(fields, { group_by: ['page'], metrics: { page: 'count(*)' } })).toEqual(['aggregate.metrics.page: metric name "page" collides with a group_by field; results would have two columns of that name']);
    expect(where(fields, { group_by: [], metrics: { window_end: 'count(*)' } })).toEqual(['aggregate.metrics.window_end: metric name "window_end" collides with a column sluice adds to every result; results would have two columns of that name']);
    expect(where([...fields, 'window_start'], { group_by: ['window_start'], metrics: {} })).toEqual([
      'source.value.schema: field "window_start" has the name expressions use for the window bound window_start (SQL names ignore case); rename the field',
      'aggregate.group_by[0]: "window_start" is a column sluice adds to every result; rename the field',
    ]);
  });

  it('reserves the names of the record metadata and the window bounds, in any case', () => {
    expect(where([...fields, 'rowOffset', 'ROWKEY', 'Window_End'], spec)).toEqual([
      'source.value.schema: field "rowOffset" has the name expressions use for the record metadata ROWOFFSET (SQL names ignore case); rename the field',
      'source.value.schema: field "ROWKEY" has the name expressions use for the record metadata ROWKEY (SQL names ignore case); rename the field',
      'source.value.schema: field "Window_End" has the name expressions use for the window bound window_end (SQL names ignore case); rename the field',
    ]);
    expect(where([...fields, 'rowtimes', 'row_time'], spec)).toEqual([]);
  });

  it('reserves the "__" prefix of the state columns', () => {
    expect(where([...fields, '__ts'], spec)).toEqual(['source.value.schema: field "__ts" starts with "__", which sluice reserves for its own columns; rename the field']);
  });
});
