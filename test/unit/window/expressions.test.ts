/**
 * The DuckDB side of filter, having, record metadata and window bounds (docs/windows.md): the
 * record filter's verdicts, including a value it fails on; having's rejected rows counted; the
 * metadata columns stored only when named; arg_max by offset; window_end inside a metric.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { columnsFromAvro } from '../../../src/window/columns.js';
import { DuckState, type StateRow } from '../../../src/window/duck-state.js';
import { attachMetadata, metadataIn, reservedName } from '../../../src/window/metadata.js';

const schema = {
  type: 'record',
  name: 'Trade',
  fields: [
    { name: 'sym', type: ['null', 'string'], default: null },
    { name: 'price', type: 'double' },
    { name: 'qty', type: 'string' },
  ],
};
const columns = columnsFromAvro(schema);
const w0 = { start: 0, end: 10_000 };

let state: DuckState;
beforeAll(async () => {
  state = await DuckState.open(':memory:');
});
afterAll(async () => {
  await state.close();
});

describe('record filter', () => {
  it('accepts true, rejects false and NULL, and stores only the columns it reads', async () => {
    const f = await state.filter(1, columns, "price > 10 AND sym <> 'X'");
    try {
      expect(f.stored.map((c) => c.name)).toEqual(['sym', 'price']);
      expect(f.metadata).toEqual([]);
      const verdicts = await f.evaluate([
        { sym: 'A', price: 11 },
        { sym: 'X', price: 11 },
        { sym: null, price: 11 },
        { sym: 'A', price: 9 },
      ]);
      expect(verdicts).toEqual([true, false, false, false]);
      // the table is emptied after each batch
      expect(await f.evaluate([{ sym: 'B', price: 20 }])).toEqual([true]);
    } finally {
      await f.close();
    }
  });

  it('finds the records it fails on, and gives the others their verdict', async () => {
    const f = await state.filter(2, columns, 'CAST(qty AS INTEGER) > 1');
    try {
      const values = Array.from({ length: 5000 }, (_, i) => ({ qty: i === 17 || i === 4321 ? `x${i}` : String(i % 3) }));
      const verdicts = await f.evaluate(values);
      expect(verdicts[17]).toEqual({ error: expect.stringMatching(/^DuckDB: Conversion Error: Could not convert string 'x17' to INT32/) as string });
      expect(verdicts[4321]).toEqual({ error: expect.stringMatching(/'x4321'/) as string });
      const plain = verdicts.filter((v) => typeof v === 'boolean');
      expect(plain.length).toBe(4998);
      expect(verdicts.every((v, i) => i === 17 || i === 4321 || v === (i % 3 === 2))).toBe(true);
    } finally {
      await f.close();
    }
  });

  it('gives each batch its own verdicts, whichever side it lists and after a batch it failed on', async () => {
    const f = await state.filter(6, columns, 'CAST(qty AS INTEGER) % 10 = 0');
    try {
      for (const [round, accept] of [[0, 0.9], [1, 0.1], [2, 0.9], [3, 0.5]] as const) {
        const values = Array.from({ length: 3000 }, (_, i) => ({ qty: String((i % 100) / 100 < accept ? 10 * i : 10 * i + 1) }));
        if (round === 2) values[5] = { qty: 'bad' };
        const verdicts = await f.evaluate(values);
        verdicts.forEach((v, i) => expect(v, `round ${round} record ${i}`).toEqual(round === 2 && i === 5 ? { error: expect.any(String) as string } : (i % 100) / 100 < accept));
      }
    } finally {
      await f.close();
    }
  });

  it('reads record metadata set on the value', async () => {
    const f = await state.filter(3, columns, "ROWPARTITION = 3 AND ROWOFFSET % 2 = 0 AND ROWKEY = 'k' AND ROWTIME >= 0");
    try {
      expect(metadataIn(f.stored)).toEqual(['ROWTIME', 'ROWPARTITION', 'ROWOFFSET', 'ROWKEY']);
      const values = [0, 1, 2].map((offset) => {
        const v: Record<string, unknown> = {};
        attachMetadata(v, { eventTime: 5, partition: 3, offset, key: Buffer.from(offset === 2 ? 'other' : 'k') }, f.metadata);
        return v;
      });
      expect(await f.evaluate(values)).toEqual([true, false, false]);
    } finally {
      await f.close();
    }
  });
});

describe('having', () => {
  it('emits the rows it accepts and counts the others; the Parquet query agrees', async () => {
    const t = await state.task(4, columns, { group_by: ['sym'], metrics: { n: 'count(*)' }, having: 'n > 1 AND window_end = 10000' });
    try {
      const rows: StateRow[] = ['A', 'A', 'B', null, null].map((sym, offset) => ({ offset, ts: offset, window: w0, value: { sym, price: 1 } }));
      await t.append(rows);
      expect(await t.aggregate([w0])).toEqual([
        { sym: 'A', window_start: 0, window_end: 10_000, n: 2 },
        { sym: null, window_start: 0, window_end: 10_000, n: 2 },
      ]);
      expect(t.rejectedByHaving).toBe(1);
      expect((await t.resultColumns()).map((c) => c.name)).toEqual(['sym', 'window_start', 'window_end', 'n']);
    } finally {
      await t.close();
    }
  });
});

describe('metadata and window bounds in metrics', () => {
  it('stores a metadata column only when a metric names it; arg_max by offset is the latest record', async () => {
    const t = await state.task(5, columns, {
      group_by: ['sym'],
      metrics: { last: 'arg_max(price, ROWOFFSET)', first: 'arg_min(price, (ROWTIME, ROWPARTITION, ROWOFFSET))', per_end: 'count(*) * window_end', span: 'max(ROWTIME) - window_start' },
    });
    try {
      expect(t.stored.map((c) => c.name)).toEqual(['sym', 'price', 'ROWTIME', 'ROWPARTITION', 'ROWOFFSET']);
      const trades: Array<[number, number, number]> = [
        [10, 7_000, 1.5], // offset 10 at 7 s: not the first by time
        [11, 3_000, 2.5],
        [12, 9_000, 3.5], // the latest offset
      ];
      const rows: StateRow[] = trades.map(([offset, ts, price]) => {
        const value: Record<string, unknown> = { sym: 'A', price };
        attachMetadata(value, { eventTime: ts, partition: 0, offset, key: null }, ['ROWTIME', 'ROWPARTITION', 'ROWOFFSET']);
        return { offset, ts, window: w0, value };
      });
      await t.append(rows);
      expect(await t.aggregate([w0])).toEqual([{ sym: 'A', window_start: 0, window_end: 10_000, last: 3.5, first: 2.5, per_end: 30_000, span: 9_000 }]);
    } finally {
      await t.close();
    }
  });

  it('reserves the names, whatever their case', () => {
    expect(reservedName('rowkey')).toBe('ROWKEY');
    expect(reservedName('WINDOW_START')).toBe('window_start');
    expect(reservedName('row_key')).toBeUndefined();
  });
});
