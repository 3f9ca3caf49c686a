/**
 * The repository stands alone: comments and documents point only at files a clone has (design
 * notes live in docs/), and every relative link of the README and the notes resolves.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));

function files(dir: string, ext: RegExp): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const rel = join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) return [];
    return statSync(join(root, rel)).isDirectory() ? files(rel, ext) : ext.test(name) ? [rel] : [];
  });
}

const code = [...files('src', /\.(ts|lua|sql)$/), ...files('test', /\.ts$/), ...files('.ci', /.*/)];
const markdown = ['README.md', ...files('docs', /\.md$/)];

describe('the repository stands alone', () => {
  it('names no file outside it (../shared and the like)', () => {
    const outside = [...code, ...markdown].filter((f) => /\.\.\/shared\/|\/work\/shared/.test(readFileSync(join(root, f), 'utf8')));
    expect(outside).toEqual([]);
  });

  it('has every docs/ note that code and documents refer to', () => {
    const named = new Set<string>();
    for (const f of [...code, ...markdown]) for (const m of readFileSync(join(root, f), 'utf8').matchAll(/\bdocs\/[\w.-]+\.md\b/g)) named.add(m[0]);
    expect(named.size).toBeGreaterThanOrEqual(3);
    expect([...named].filter((d) => !existsSync(join(root, d)))).toEqual([]);
  });

  it('resolves every relative link of the README and the notes', () => {
    const broken: string[] = [];
    for (const f of markdown) {
      for (const [, target] of readFileSync(join(root, f), 'utf8').matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue; // http(s), mailto
        if (!existsSync(join(root, dirname(f), target!))) broken.push(`${f} → ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
