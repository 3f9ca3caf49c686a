/**
 * One supported Node.js range, said the same way everywhere: package.json `engines`, the
 * Dockerfile's base image, the README and the lock file's dependencies (no EBADENGINE on
 * `npm ci`), and the Node running this test (CI's) is inside it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (file: string) => readFileSync(`${root}${file}`, 'utf8');
const pkg = JSON.parse(read('package.json')) as { engines: { node: string } };
const lock = JSON.parse(read('package-lock.json')) as { packages: Record<string, { engines?: { node?: string }; optional?: boolean; os?: string[]; cpu?: string[] }> };

type Version = [number, number, number];
const parse = (v: string): Version => v.replace(/^v/, '').split('.').map(Number) as Version;
const cmp = (a: Version, b: Version) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** Just the forms our engines field uses: `^X.Y.Z` and `>=X.Y.Z`, joined by `||`. */
function satisfies(range: string, version: string): boolean {
  const v = parse(version);
  return range.split('||').some((part) => {
    const m = /^\s*(\^|>=)(\d+\.\d+\.\d+)\s*$/.exec(part);
    if (!m) throw new Error(`engines part ${JSON.stringify(part)} is not ^X.Y.Z or >=X.Y.Z`);
    const low = parse(m[2]!);
    return cmp(v, low) >= 0 && (m[1] === '>=' || v[0] === low[0]);
  });
}

describe('supported Node.js versions', () => {
  const range = pkg.engines.node;

  it('include the Node running the tests', () => {
    expect(satisfies(range, process.version), `${process.version} in ${range}`).toBe(true);
  });

  it('include the major of the Docker image, and the README says both', () => {
    const majors = [...read('Dockerfile').matchAll(/^FROM node:(\d+)-/gm)].map((m) => Number(m[1]));
    expect(majors.length).toBeGreaterThan(0);
    expect(new Set(majors).size).toBe(1);
    expect(satisfies(range, `${majors[0]}.99.0`), `node:${majors[0]} in ${range}`).toBe(true);
    const readme = read('README.md');
    expect(readme).toContain(`**Node.js** \`${range}\``);
    expect(readme).toContain(`Docker image runs Node ${majors[0]}`);
  });

  it('include the lowest version of the range in every dependency\'s engines (no EBADENGINE)', () => {
    const lows = range.split('||').map((p) => p.trim().replace(/^(\^|>=)/, ''));
    const narrower = Object.entries(lock.packages)
      .filter(([path, p]) => path !== '' && p.engines?.node && !p.optional)
      .flatMap(([path, p]) => lows.filter((low) => !nodeRangeAdmits(p.engines!.node!, low)).map((low) => `${path} (${p.engines!.node}) excludes ${low}`));
    expect(narrower).toEqual([]);
  });
});

/** Enough of semver for dependency engines: `>=a`, `^a`, `~a`, `a.x`, `*`, spaces after operators, `||`. */
function nodeRangeAdmits(range: string, version: string): boolean {
  const v = parse(version);
  const normal = range.replace(/([<>=^~]+)\s+/g, '$1').replace(/\.\*/g, '.x');
  return normal.split('||').some((alt) =>
    alt.trim().split(/\s+/).every((c) => {
      const m = /^(\^|~|>=|>|<=|<|=)?v?(\d+|x|\*)(?:\.(\d+|x))?(?:\.(\d+|x))?$/.exec(c);
      if (!m) return true; // a form this does not read: do not claim it excludes us
      if (m[2] === 'x' || m[2] === '*') return true;
      const num = (x: string | undefined) => (x === undefined || x === 'x' ? 0 : Number(x));
      const want: Version = [Number(m[2]), num(m[3]), num(m[4])];
      const d = cmp(v, want);
      switch (m[1]) {
        case '>=': return d >= 0;
        case '>': return d > 0;
        case '<=': return d <= 0;
        case '<': return d < 0;
        case '^': return d >= 0 && v[0] === want[0];
        case '~': return d >= 0 && v[0] === want[0] && v[1] === want[1];
        default: return m[3] === undefined || m[3] === 'x' ? v[0] === want[0] : d === 0;
      }
    }),
  );
}
