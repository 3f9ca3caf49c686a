/** The DuckDB that runs topology SQL: settings applied, then external access off and locked. */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, describe, expect, it } from 'vitest';
import { columnsFromAvro } from '../../../src/window/columns.js';
import { DuckState } from '../../../src/window/duck-state.js';
import { openSandboxed } from '../../../src/window/sandbox.js';

const dir = mkdtempSync(join(tmpdir(), 'sluice-sandbox-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function settings(instance: DuckDBInstance): Promise<Record<string, string>> {
  const conn = await instance.connect();
  try {
    const r = await conn.runAndReadAll('SELECT name, value FROM duckdb_settings()');
    return Object.fromEntries(r.getRows().map(([k, v]) => [String(k), String(v)]));
  } finally {
    conn.closeSync();
  }
}

describe('openSandboxed', () => {
  it('applies memory, spill and allowed folders, then disables external access and locks', async () => {
    const spill = join(dir, 'spill');
    const out = join(dir, 'out');
    const instance = await openSandboxed(':memory:', { threads: 1, memoryLimit: '256MB', tempDirectory: spill, allowedDirectories: [out] });
    try {
      const s = await settings(instance);
      expect(s).toMatchObject({ enable_external_access: 'false', lock_configuration: 'true', autoload_known_extensions: 'false', autoinstall_known_extensions: 'false', temp_directory: spill, threads: '1' });
      expect(s.memory_limit).toMatch(/^2\d\d\.\d MiB$/);
      expect(s.allowed_directories).toContain(`${out}/`);
      const conn = await instance.connect();
      try {
        for (const q of ['SET enable_external_access = true', 'SET lock_configuration = false', "SET allowed_directories = ['/']", "SET temp_directory = '/tmp'"]) {
          await expect(conn.run(q), q).rejects.toThrow(/configuration has been locked/);
        }
        await expect(conn.run("ATTACH '/tmp/sluice-any.db' AS other")).rejects.toThrow(/Permission Error/);
        await expect(conn.run('LOAD httpfs')).rejects.toThrow(/disabled/);
        await expect(conn.run("COPY (SELECT 1) TO '/tmp/sluice-any.csv'")).rejects.toThrow(/Permission Error/);
        // a prefix is a folder: "out" does not open "out-other"
        await expect(conn.run(`COPY (SELECT 1) TO '${out}-other.csv'`)).rejects.toThrow(/Permission Error/);
      } finally {
        conn.closeSync();
      }
    } finally {
      instance.closeSync();
    }
    expect(existsSync('/tmp/sluice-any.csv')).toBe(false);
  });

  it('keeps a file-backed state working (the file is opened before the lock)', async () => {
    const file = join(dir, 'state.duckdb');
    const state = await DuckState.open(file);
    try {
      const schema = { type: 'record', name: 'V', fields: [{ name: 'page', type: 'string' }] };
      const task = await state.task(0, columnsFromAvro(schema), { group_by: ['page'], metrics: { n: 'count(*)' } });
      const w = { start: 0, end: 10 };
      await task.append(Array.from({ length: 5000 }, (_, i) => ({ offset: i, ts: 1, window: w, value: { page: `/p${i % 7}` } })));
      expect((await task.aggregate([w])).reduce((n, r) => n + (r.n as number), 0)).toBe(5000);
      await task.close();
    } finally {
      await state.close();
    }
    expect(existsSync(file)).toBe(true);
  });
});
