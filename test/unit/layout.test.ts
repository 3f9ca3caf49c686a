/**
 * The runtime build (tsconfig.json: src/ → dist/, the Docker image) holds no dev tooling: nothing
 * under src/ imports dev/ (the local stack, the demo), which `sluice demo` loads only from a checkout.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url).pathname;
const tsFiles = (dir: string): string[] =>
  readdirSync(join(root, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? tsFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));

describe('layout', () => {
  it('src/ imports nothing from dev/', () => {
    const offenders = tsFiles('src').filter((f) => /from\s+['"](\.\.\/)+dev\//.test(readFileSync(join(root, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
