/**
 * CPU of the way out, step by step, in one process without Kafka (process CPU, all threads):
 * appending page-view rows to a task's DuckDB table, a close of many small windows (aggregate and
 * result rows, a Parquet file per window) and the encoding of produce requests (sluice's against
 * kafkajs' own). Medians over rounds; to compare two trees, copy this file into the other one.
 *   npm run bench:way-out [-- rounds]
 */
import '../../src/commit/kafkajs-grouping.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { columnsFromAvro } from '../../src/window/columns.js';
import { DuckState, type StateRow } from '../../src/window/duck-state.js';
import type { TimeWindow } from '../../src/window/kinds.js';

const ROUNDS = Number(process.argv[2] ?? 7);
const schema = JSON.parse(readFileSync(new URL('../../schemas/page_view.avsc', import.meta.url), 'utf8')) as Record<string, unknown>;
const spec = { group_by: ['page'], metrics: { views: 'count(*)', latency_sum: 'sum(latency_ms)', latency_min: 'min(latency_ms)', latency_max: 'max(latency_ms)', unique_users: 'count(DISTINCT user_id)', latency_p95: 'quantile_cont(latency_ms, 0.95)' } };
const cpuMs = () => { const c = process.cpuUsage(); return (c.user + c.system) / 1000; };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

/** `n` rows over `windows` in offset order, pages as the bench's (Zipf aside), 1,000 users. */
function rows(n: number, windows: readonly TimeWindow[], from = 0): StateRow[] {
  return Array.from({ length: n }, (_, k) => {
    const o = from + k;
    const window = windows[Math.floor((k / n) * windows.length)]!;
    return { offset: o, ts: window.start, window, value: { page: `/page/${(o * 7919) % 10_000}`, user_id: `user-${o % 1000}`, latency_ms: 20 + (o % 300) } };
  });
}

const dir = mkdtempSync(join(tmpdir(), 'sluice-way-out-'));
const duck = await DuckState.open(':memory:', { allowedDirectories: [dir] });
const windows = Array.from({ length: 30 }, (_, i) => ({ start: 1_764_000_000_000 + i * 10_000, end: 1_764_000_010_000 + i * 10_000 }));
const appendMs: number[] = [];
const closeMs: number[] = [];
const parquetMs: number[] = [];
for (let round = 0; round <= ROUNDS; round++) {
  // live shape: 300k rows, one window, in batches of 5,000
  const live = await duck.task(round, columnsFromAvro(schema), spec);
  const batches = Array.from({ length: 60 }, (_, b) => rows(5000, windows.slice(0, 1), b * 5000));
  let c = cpuMs();
  for (const batch of batches) await live.append(batch);
  if (round > 0) appendMs.push((cpuMs() - c) / 3);
  await live.close();
  // catch-up shape: 40k rows in 30 windows, ~1 row per (window, page): 40k result rows
  const t = await duck.task(1000 + round, columnsFromAvro(schema), spec);
  for (let b = 0; b < 8; b++) await t.append(rows(5000, windows.slice(b * 30 / 8, (b + 1) * 30 / 8 + 1), b * 5000));
  c = cpuMs();
  await t.aggregate(windows);
  const aggregated = cpuMs();
  for (const w of windows) await t.writeParquet([w], join(dir, `r${round}-${w.start}.parquet`));
  if (round > 0) {
    closeMs.push(aggregated - c);
    parquetMs.push((cpuMs() - aggregated) / windows.length);
  }
  await t.close();
}
await duck.close();
rmSync(dir, { recursive: true, force: true });
console.log(`append: ${median(appendMs).toFixed(0)} ms CPU per 100k rows (live shape, batches of 5,000)`);
console.log(`close: ${median(closeMs).toFixed(0)} ms CPU to aggregate and read 40k result rows of 30 windows; Parquet ${median(parquetMs).toFixed(2)} ms CPU per window file`);

// produce requests: ~84k output records (the 300k catch-up's), 6 partitions, requests of ~1,000
const produce = await import('../../src/kafkajs/produce.js').catch(() => undefined);
if (produce) {
  const messages = Array.from({ length: 170 }, (_, i) => ({ key: `/page/${i}`, value: Buffer.alloc(60, i) }));
  const args = { acks: -1, timeout: 30_000, transactionalId: 'way-out-0', producerId: 5, producerEpoch: 1, compression: 0, topicData: [{ topic: 'out', partitions: Array.from({ length: 6 }, (_, partition) => ({ partition, firstSequence: 0, messages })) }] };
  const per100k = (f: typeof produce.produceRequest) => async () => {
    const c = cpuMs();
    for (let i = 0; i < 82; i++) await f(args).encode();
    return ((cpuMs() - c) * 100_000) / (82 * 1020);
  };
  const [ours, theirs] = [per100k(produce.produceRequest), per100k(produce.kafkajsProduceRequest)];
  const o: number[] = [];
  const k: number[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const [a, b] = [await ours(), await theirs()];
    if (round > 0) o.push(a), k.push(b);
  }
  console.log(`produce encoding: ${median(o).toFixed(0)} ms CPU per 100k records (kafkajs' own: ${median(k).toFixed(0)} ms)`);
}
