/** The local folder backend: copy-once by rename (a repeat is done, a lost file an error), listing with empty folders, delete by prefix. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { localStorage } from '../../../src/sink/storage/local.js';

const root = mkdtempSync(join(tmpdir(), 'sluice-local-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('local folder storage', () => {
  const s = localStorage(root, 'f');

  it('stages in place (the spool is _staging) and publishes once', async () => {
    mkdirSync(join(s.spool, 'p1-a'), { recursive: true });
    const file = join(s.spool, 'p1-a', 'x.parquet');
    writeFileSync(file, 'data');
    await s.put('_staging/p1-a/x.parquet', file); // already there: nothing to do
    expect(await s.copyOnce('_staging/p1-a/x.parquet', 'window_date=2024-01-01/x.parquet')).toBe('copied');
    expect(await s.copyOnce('_staging/p1-a/x.parquet', 'window_date=2024-01-01/x.parquet')).toBe('done');
    expect(readFileSync(join(root, 'window_date=2024-01-01/x.parquet'), 'utf8')).toBe('data');
    await expect(s.copyOnce('_staging/p1-a/lost.parquet', 'window_date=2024-01-01/lost.parquet')).rejects.toThrow(/ENOENT/);
  });

  it('lists files under a prefix, an empty folder as dir/, and deletes by prefix', async () => {
    mkdirSync(join(s.spool, 'p1-empty'), { recursive: true });
    writeFileSync(join(s.spool, 'p2-b.json'), '{}');
    expect((await s.list('_staging/p1-')).map((o) => o.key).sort()).toEqual(['_staging/p1-a/', '_staging/p1-empty/']);
    await s.deletePrefix('_staging/p1-a/');
    expect((await s.list('_staging/p1-')).map((o) => o.key)).toEqual(['_staging/p1-empty/']);
    expect(await s.get('_staging/p2-b.json')).toEqual(Buffer.from('{}'));
    expect(await s.get('_staging/none')).toBeUndefined();
  });
});
