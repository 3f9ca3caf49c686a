import { DuckDBInstance } from '@duckdb/node-api';
import { describe, expect, it } from 'vitest';
import { referencedColumns } from '../../../src/window/prune.js';

const col = (name: string) => ({ name, duckType: 'VARCHAR', nullable: false });
const columns = ['event_id', 'page', 'user_id', 'latency_ms', 'Referrer'].map(col);

async function serialized(query: string): Promise<string> {
  const db = await DuckDBInstance.create();
  const c = await db.connect();
  try {
    return String((await c.runAndReadAll(`SELECT json_serialize_sql('${query.replaceAll("'", "''")}')`)).getRows()[0]![0]);
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

describe('referencedColumns', () => {
  it('keeps only the columns the aggregate reads (case-insensitively, in table order)', async () => {
    const q = 'SELECT "page", count(*), count(DISTINCT user_id) FILTER (WHERE referrer IS NOT NULL) FROM t GROUP BY "page"';
    expect(referencedColumns(await serialized(q), columns).map((c) => c.name)).toEqual(['page', 'user_id', 'Referrer']);
  });

  it('keeps every column for a star expression or an unparsable query', async () => {
    expect(referencedColumns(await serialized('SELECT max(COLUMNS(*)) FROM t'), columns)).toHaveLength(5);
    expect(referencedColumns(await serialized('SELECT sum(( FROM t'), columns)).toHaveLength(5);
    expect(referencedColumns('not json', columns)).toHaveLength(5);
  });
});
