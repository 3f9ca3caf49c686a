/**
 * What `filter:` costs per record, alone (no Kafka, no Redis): the demo's page views in batches of
 * --batch records through the record filter a task uses (src/window/record-filter.ts), CPU of the
 * whole process (DuckDB's threads included) per 100k records. A number that a loaded box moves far
 * less than the end-to-end bench's, where the filter's share is within the run-to-run noise.
 *   npx tsx test/bench/filter.ts [--filter EXPR] [--batch N] [--batches N]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { columnsFromAvro } from '../../src/window/columns.js';
import { DuckState } from '../../src/window/duck-state.js';
import { attachMetadata } from '../../src/window/metadata.js';

const { values: a } = parseArgs({
  options: {
    filter: { type: 'string', default: "country <> 'XX' AND ROWOFFSET >= 0" },
    batch: { type: 'string', default: '4000' },
    batches: { type: 'string', default: '200' },
  },
});
const batch = Number(a.batch);
const batches = Number(a.batches);
const schema = JSON.parse(readFileSync(new URL('../../schemas/page_view.avsc', import.meta.url), 'utf8')) as Record<string, unknown>;
const state = await DuckState.open(':memory:');
const filter = await state.filter(0, columnsFromAvro(schema), a.filter);
try {
  let offset = 0;
  const next = () =>
    Array.from({ length: batch }, (_, i) => {
      const v: Record<string, unknown> = { page: `/p${i % 50}`, latency_ms: i % 300, user_id: `u${i}`, country: i % 7 === 0 ? 'FR' : 'DE' };
      attachMetadata(v, { eventTime: 1_700_000_000_000 + i, partition: 0, offset: offset++, key: Buffer.from(`u${i}`) }, filter.metadata);
      return v;
    });
  for (let i = 0; i < 20; i++) await filter.evaluate(next()); // warm-up
  const inputs = Array.from({ length: batches }, next);
  const cpu = process.cpuUsage();
  const wall = process.hrtime.bigint();
  let passed = 0;
  for (const values of inputs) passed += (await filter.evaluate(values)).filter((v) => v === true).length;
  const used = process.cpuUsage(cpu);
  const records = batch * batches;
  const cpuS = (used.user + used.system) / 1e6;
  process.stdout.write(
    `filter ${JSON.stringify(a.filter)}: ${records.toLocaleString('en')} records in batches of ${batch}, ${passed.toLocaleString('en')} passed; ` +
      `${((cpuS * 100_000) / records).toFixed(3)} CPU s per 100k records, ${(Number(process.hrtime.bigint() - wall) / 1e6 / batches).toFixed(2)} ms wall per batch\n`,
  );
} finally {
  await filter.close();
  await state.close();
}
