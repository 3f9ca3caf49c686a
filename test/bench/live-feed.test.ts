import avro from 'avsc';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rolesFromTopology } from '../../src/gen/topology.js';
import { parseWire } from '../../src/serde/wire.js';
import { keyPartitioner } from '../../src/sink/partitioner.js';
import { loadTopology } from '../../src/topology/loader.js';
import { FeedRecords } from './live-feed-records.js';
import { ClosableWindows, dueBy, eventTimeOf, MergedClosable, partitionsOf, shareOf } from './live-feed-schedule.js';

describe('live feed schedule', () => {
  it('splits partitions and events between the feed processes', () => {
    expect([0, 1, 2].map((i) => partitionsOf(i, 3, 7))).toEqual([[0, 3, 6], [1, 4], [2, 5]]);
    expect([0, 1, 2].map((i) => shareOf(i, 3, 10))).toEqual([4, 3, 3]);
  });

  it('keeps a fixed schedule: what is due depends on the time since the start only, capped at the total', () => {
    expect(dueBy(0, 1000, 50)).toBe(1);
    expect(dueBy(9, 1000, 50)).toBe(10);
    expect(dueBy(10_000, 1000, 50)).toBe(50);
    expect(eventTimeOf(0, 5_000, 2000)).toBe(5_000);
    expect(eventTimeOf(3, 5_000, 2000)).toBe(5_001);
  });

  it('makes a window closable once every partition of the feed has an acknowledged event at or past end + grace', () => {
    const c = new ClosableWindows([0, 2], 12_345, 10_000, 2_000); // first window begun after the start: 20,000–30,000
    expect(c.acknowledged(0, 42_000)).toEqual([]); // partition 2 has nothing yet
    expect(c.acknowledged(2, 31_999)).toEqual([]);
    expect(c.acknowledged(2, 32_000)).toEqual([30_000]);
    expect(c.acknowledged(2, 30_000)).toEqual([]); // an older send acknowledged late changes nothing
    expect(c.acknowledged(2, 52_500)).toEqual([40_000]); // partition 0 is at 42,000 only
    expect(c.acknowledged(0, 62_000)).toEqual([50_000]); // partition 2 is at 52,500
  });

  it('takes a window as closable when the last feed reported it', () => {
    const m = new MergedClosable(2);
    m.report(30_000, 32_010);
    expect(m.closable.has(30_000)).toBe(false);
    m.report(30_000, 32_005);
    expect(m.closable.get(30_000)).toBe(32_010);
  });
});

describe('live feed records', async () => {
  const topology = await loadTopology('topologies/page-views.yaml', { checkSql: false });
  const roles = rolesFromTopology(topology.spec, topology.valueSchema);
  const reader = avro.Type.forSchema(JSON.parse(readFileSync('schemas/page_view.avsc', 'utf8')) as avro.Schema);
  const make = (index: number) => new FeedRecords({ roles, schemaId: 7, partitions: 6, own: partitionsOf(index, 2, 6), keys: 1000, duplicates: 0.1, seed: 's', index, processes: 2, poolSize: 500 });

  it('encodes valid page views to its own partitions, stamped with the given event time, dedup keys unique over the feeds', () => {
    const partitionOf = keyPartitioner('', 6);
    const ids = new Map<string, string>();
    for (const index of [0, 1]) {
      const records = make(index);
      for (let round = 0; round < 3; round++) {
        const { messages, maxTs } = records.next(400, (i) => 1_000_000 + round * 400 + i);
        expect(messages).toHaveLength(400);
        for (const m of messages) {
          const { schemaId, payload } = parseWire(m.value);
          const e = reader.fromBuffer(payload) as { event_id: string; ts: number; page: string };
          expect(schemaId).toBe(7);
          expect(m.key.toString()).toBe(e.page);
          expect(m.partition).toBe(partitionOf(e.page));
          expect(partitionsOf(index, 2, 6)).toContain(m.partition);
          expect(e.ts).toBeLessThanOrEqual(1_000_000 + (round + 1) * 400);
          expect(e.ts).toBeGreaterThanOrEqual(1_000_000 - roles.graceMs);
          expect(maxTs.get(m.partition)).toBeGreaterThanOrEqual(e.ts);
          // a duplicate repeats a record's bytes exactly
          if (ids.has(e.event_id)) expect(ids.get(e.event_id)).toBe(m.value.toString('hex'));
          ids.set(e.event_id, m.value.toString('hex'));
        }
      }
    }
    expect(ids.size).toBeGreaterThan(2 * 1200 * 0.85);
    expect(ids.size).toBeLessThan(2 * 1200 * 0.95);
  });
});
