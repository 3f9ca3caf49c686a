/** Early results' pure parts (src/runtime/early.ts): ticks, revisions, the early schema and topic, the topology rules. */
import { describe, expect, it } from 'vitest';
import { earlySchema, earlyTopic, revisionOf, tickCrossed } from '../../../src/runtime/early.js';
import { durationRules } from '../../../src/topology/rules.js';
import { TopologySchema } from '../../../src/topology/schema.js';
import { NO_STREAM_TIME } from '../../../src/window/task-windows.js';

const spec = (extra: Record<string, unknown>) =>
  TopologySchema.parse({
    name: 't',
    source: { topic: 'in', value: { schema: 'x.avsc' }, event_time: 'ts' },
    window: { type: 'tumbling', size: '1m' },
    aggregate: { group_by: ['id'], metrics: { n: 'count(*)' } },
    sinks: { topic: { name: 'out' } },
    ...extra,
  });

describe('early results', () => {
  it('tick: the largest multiple of the interval in (before, after]', () => {
    expect(tickCrossed(5_000, 12_000, 10_000)).toBe(10_000);
    expect(tickCrossed(10_000, 12_000, 10_000)).toBeUndefined(); // 10 s was crossed when stream time reached it
    expect(tickCrossed(9_999, 10_000, 10_000)).toBe(10_000);
    expect(tickCrossed(1_000, 45_000, 10_000)).toBe(40_000); // one tick however many multiples it jumps
    expect(tickCrossed(12_000, 12_000, 10_000)).toBeUndefined();
    expect(tickCrossed(NO_STREAM_TIME, 45_000, 10_000)).toBe(40_000); // stage 2's first minimum; single stage: no rows before the first record
  });

  it('revision: the multiples of the interval in (window start, tick]', () => {
    expect(revisionOf(0, 10_000, 10_000)).toBe(1);
    expect(revisionOf(0, 40_000, 10_000)).toBe(4);
    expect(revisionOf(60_000, 70_000, 10_000)).toBe(1);
    expect(revisionOf(5_000, 10_000, 10_000)).toBe(1); // a start between multiples
  });

  it('schema: the output schema plus a long revision', () => {
    const out = { type: 'record', name: 'out', fields: [{ name: 'id', type: 'string' }] };
    expect(earlySchema(out)).toMatchObject({ name: 'out_early', fields: [{ name: 'id' }, { name: 'revision', type: 'long' }] });
  });

  it('topic: <sink topic>_early by default, or the one named; none when off', () => {
    expect(earlyTopic(spec({ emit: { early: '10s' } }))).toBe('out_early');
    expect(earlyTopic(spec({ emit: { early: '10s', early_topic: 'dash' } }))).toBe('dash');
    expect(earlyTopic(spec({}))).toBeUndefined();
  });

  it('rules: a positive interval, no column named revision, no early_topic alone', () => {
    const messages = (extra: Record<string, unknown>) => durationRules(spec(extra)).map((p) => `${p.path.join('.')}: ${p.message}`);
    expect(messages({ emit: { early: 0 } })).toEqual([expect.stringMatching(/^emit\.early: must be greater than 0/)]);
    expect(messages({ emit: { early: '10s' }, aggregate: { group_by: ['id'], metrics: { revision: 'count(*)' } } })).toEqual([expect.stringMatching(/^emit\.early: early rows add a column named revision/)]);
    expect(messages({ emit: { early_topic: 'x' } })).toEqual([expect.stringMatching(/^emit\.early_topic: /)]);
    expect(messages({ emit: { early: '10s' } })).toEqual([]);
  });
});
