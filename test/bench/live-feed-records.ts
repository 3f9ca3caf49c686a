/**
 * The live feed's records, made cheaply: the generator (src/gen) costs ~8 µs an event on this box,
 * more than a feed of 70k events/s can spend beside sluice and the broker. So a feed process
 * generates a pool of events once, keeping those whose key falls in its partitions, and then only
 * stamps each send with a fresh dedup key and event time (the pool's out-of-order offsets kept),
 * encoding a whole batch (Avro and the wire header) into one buffer; a share of the sends are
 * duplicates, re-sent bytes of a recent record, as the generator makes them.
 */
import avro from 'avsc';
import type { TopologyRoles } from '../../src/gen/topology.js';
import { generate } from '../../src/gen/generator.js';
import { asRecordSchema, planFields } from '../../src/gen/fields.js';
import { Rng, seedOf } from '../../src/gen/prng.js';
import { uniqueValue } from '../../src/gen/values.js';
import { HEADER_SIZE, MAGIC_BYTE } from '../../src/serde/wire.js';
import { keyPartitioner } from '../../src/sink/partitioner.js';

interface PoolEntry { key: Buffer; partition: number; event: Record<string, unknown>; offsetMs: number }

export interface FeedMessage { key: Buffer; value: Buffer; partition: number }

export interface FeedRecordsOptions {
  roles: TopologyRoles;
  schemaId: number;
  /** The topic's partition count and the ones this feed owns. */
  partitions: number;
  own: readonly number[];
  keys: number;
  /** Share of sends that repeat a recent record. */
  duplicates: number;
  seed: string;
  /** This feed's number and how many there are: dedup keys are index + processes × n, unique over all feeds. */
  index: number;
  processes: number;
  /** Distinct pooled events; default 30,000. */
  poolSize?: number;
}

/** Duplicates re-send one of the last this-many records (as the generator's RECENT). */
const RECENT = 1000;
const ESTIMATED_BYTES = 512;

export class FeedRecords {
  private readonly pool: PoolEntry[] = [];
  private readonly type: avro.Type;
  private readonly dedup: { name: string; value: (n: number) => unknown }[];
  private readonly recent: FeedMessage[] = [];
  private readonly rng: Rng;
  private serial = 0;
  private at = 0;

  constructor(private readonly o: FeedRecordsOptions) {
    const schema = asRecordSchema(o.roles.schema);
    this.type = avro.Type.forSchema(schema as avro.Schema);
    const plans = planFields(schema);
    this.dedup = (o.roles.dedupKey ?? []).map((name, i) => {
      const plan = plans.find((p) => p.name === name)!;
      return { name, value: (n: number) => uniqueValue(plan, n, i === 0) };
    });
    this.rng = new Rng(seedOf(`${o.seed}-${o.index}`));
    const partitionOf = keyPartitioner('', o.partitions);
    const own = new Set(o.own);
    const size = o.poolSize ?? 30_000;
    let max = -Infinity;
    for (const m of generate({ ...o.roles, count: size * o.partitions * 10, keys: o.keys, seed: `${o.seed}-${o.index}`, stepMs: 1, startTs: 0, schemaIds: { reader: o.schemaId } })) {
      const ts = Number(m.event![o.roles.eventTime]);
      max = Math.max(max, ts);
      const partition = partitionOf(m.key);
      if (!own.has(partition)) continue;
      this.pool.push({ key: Buffer.from(m.key), partition, event: m.event!, offsetMs: ts - max });
      if (this.pool.length >= size) break;
    }
  }

  /** The next `count` records, the i-th with event time `eventTime(i)` (plus its pooled offset); and per partition the greatest event time. */
  next(count: number, eventTime: (i: number) => number): { messages: FeedMessage[]; maxTs: Map<number, number> } {
    // a buffer per batch: the sends in flight and the recent records still read the earlier ones
    let buf = Buffer.allocUnsafe(count * ESTIMATED_BYTES);
    const messages: FeedMessage[] = [];
    const maxTs = new Map<number, number>();
    let pos = 0;
    for (let i = 0; i < count; i++) {
      if (this.recent.length > 0 && this.rng.chance(this.o.duplicates)) {
        messages.push(this.rng.pick(this.recent));
        continue;
      }
      const e = this.pool[this.at]!;
      this.at = (this.at + 1) % this.pool.length;
      const ts = eventTime(i) + e.offsetMs;
      e.event[this.o.roles.eventTime] = ts;
      const n = this.o.index + this.o.processes * this.serial++;
      for (const d of this.dedup) e.event[d.name] = d.value(n);
      let end = this.type.encode(e.event, buf, pos + HEADER_SIZE);
      if (end < 0) {
        // the batch outgrew its buffer: the rest goes into a new one (what is written stays valid)
        buf = Buffer.allocUnsafe(buf.length * 2);
        pos = 0;
        end = this.type.encode(e.event, buf, HEADER_SIZE);
      }
      buf[pos] = MAGIC_BYTE;
      buf.writeUInt32BE(this.o.schemaId, pos + 1);
      const m = { key: e.key, value: buf.subarray(pos, end), partition: e.partition };
      pos = end;
      messages.push(m);
      if (this.recent.length < RECENT) this.recent.push(m);
      else this.recent[this.rng.int(0, RECENT - 1)] = m;
      if (ts > (maxTs.get(e.partition) ?? -Infinity)) maxTs.set(e.partition, ts);
    }
    return { messages, maxTs };
  }
}
