import { describe, expect, it } from 'vitest';
import { usageOf } from './usage.js';

describe('bench --help', () => {
  it('is the script\'s header comment, without its markers', () => {
    const text = usageOf(new URL('./feed-bench.ts', import.meta.url).href);
    expect(text.startsWith('`npm run bench:feed`: the bench\'s live feed alone')).toBe(true);
    expect(text).toContain('  npm run bench:feed -- --rate 70000');
    expect(text).not.toMatch(/^ ?\*/m);
  });
});
