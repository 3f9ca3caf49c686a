/**
 * Sizes that used to stop a partition for good: a dead letter larger than the dead-letter topic
 * accepts, and a window with more rows than one produce request may carry. Each must pass through
 * (the record whole or without its value, the rows in several requests) and the partition go on.
 */
import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { text as header } from '../support/headers.js';
import { writeTopology, type TestTopology } from '../support/pipeline.js';
import { readToEnd, waitProcessed } from '../support/read.js';
import { replicaStarter } from '../support/replicas.js';
import { endpoints } from '../support/services.js';
import { sendValues, view, viewEncoder } from '../support/views.js';

const T0 = 1_700_000_000_000;

describe('size limits', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const start = replicaStarter(); // after hooks run last-registered first: replicas stop before their folders go

  /** Runs the topology over its whole input; returns the one dead letter. */
  async function run(t: TestTopology) {
    await start(t);
    await waitProcessed(endpoints().brokers, t.group, t.source);
    const dlq = await readToEnd(endpoints().brokers, t.dlq);
    expect(dlq).toHaveLength(1);
    return dlq[0]!;
  }

  /** 10 views of page a in the first window, the hostile value, 10 more two windows later (closing the first). */
  async function hostileInput(t: TestTopology, hostile: Buffer): Promise<void> {
    const encode = await viewEncoder(t.source);
    const at = (i: number, ts: number) => encode(view(i, 'a', ts));
    const values = [...Array.from({ length: 10 }, (_, i) => at(i, T0 + i)), hostile, ...Array.from({ length: 10 }, (_, i) => at(100 + i, T0 + 30_000 + i))];
    await sendValues(t.source, values, { config: { 'max.message.bytes': String(3 << 20) } });
  }

  it('a 2 MB record with a bad magic byte is dead-lettered whole: created topics take what the source takes', async () => {
    const t = writeTopology();
    dirs.push(t.dir);
    const hostile = Buffer.alloc(2 << 20, 7);
    await hostileInput(t, hostile);
    const dlq = await run(t);
    expect(header(dlq.message.headers, 'sluice.error.code')).toBe('BAD_MAGIC_BYTE');
    expect(dlq.message.value?.equals(hostile)).toBe(true);
    expect(await readToEnd(endpoints().brokers, t.output)).toHaveLength(1); // page a's first window; the second is still open
  });

  it('a dead letter larger than an existing dead-letter topic accepts goes there without its value', async () => {
    const t = writeTopology();
    dirs.push(t.dir);
    await sendValues(t.dlq, []); // the broker's default max.message.bytes (1 MB)
    await hostileInput(t, Buffer.alloc(2 << 20, 7));
    const dlq = await run(t);
    expect(dlq.message.value).toBeNull();
    expect(header(dlq.message.headers, 'sluice.error.code')).toBe('BAD_MAGIC_BYTE');
    expect(header(dlq.message.headers, 'sluice.source.offset')).toBe('10');
    expect(header(dlq.message.headers, 'sluice.dropped')).toMatch(/^value \(2097152 bytes\): larger than topic/);
    expect(await readToEnd(endpoints().brokers, t.output)).toHaveLength(1);
  });

  it('a window of 60k groups into one output partition is emitted whole, in requests the broker accepts', async () => {
    const t = writeTopology({ extra: 'topics: { partitions: 1 }', batch: '{ max_records: 20000, max_wait: 200ms }' });
    dirs.push(t.dir);
    const groups = 60_000;
    const encode = await viewEncoder(t.source);
    const values = Array.from({ length: groups }, (_, i) => encode(view(i, `page-${i}`, T0 + (i % 1000))));
    values.push(encode(view(groups, 'closer', T0 + 20_000)));
    await sendValues(t.source, values);
    await start(t);
    await waitProcessed(endpoints().brokers, t.group, t.source, 110_000);
    const out = await readToEnd(endpoints().brokers, t.output);
    expect(out).toHaveLength(groups);
    expect(new Set(out.map((m) => m.message.key?.toString())).size).toBe(groups);
  });
});
