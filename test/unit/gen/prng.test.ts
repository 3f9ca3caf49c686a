import { describe, expect, it } from 'vitest';
import { Rng, seedOf } from '../../../src/gen/prng.js';
import { Zipf } from '../../../src/gen/zipf.js';

describe('prng and zipf', () => {
  it('one seed, one sequence', () => {
    const a = new Rng(seedOf('7'));
    const b = new Rng(seedOf(7));
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(xs);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(seedOf('hello')).toBe(seedOf('hello'));
    expect(seedOf('hello')).not.toBe(seedOf('hellp'));
  });
  it('ints stay within bounds, inclusive', () => {
    const r = new Rng(1);
    const seen = new Set(Array.from({ length: 2000 }, () => r.int(3, 6)));
    expect([...seen].sort()).toEqual([3, 4, 5, 6]);
  });
  it('zipf(s=1): rank k is about 1/(k+1) as frequent as rank 0', () => {
    const z = new Zipf(100);
    const r = new Rng(3);
    const counts = new Array<number>(100).fill(0);
    for (let i = 0; i < 100_000; i++) counts[z.sample(r)]!++;
    const h = counts.reduce((a, c, k) => a + 1 / (k + 1), 0);
    expect(counts[0]! / 100_000).toBeCloseTo(1 / h, 2);
    expect(counts[1]! / counts[0]!).toBeCloseTo(0.5, 1);
    expect(counts[9]! / counts[0]!).toBeCloseTo(0.1, 1);
    expect(Math.max(...counts.map((_, k) => k).filter((k) => counts[k]! > 0))).toBeLessThan(100);
  });
});
