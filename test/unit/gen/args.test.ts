import { describe, expect, it } from 'vitest';
import { checkShares, parseCount, parseRate, parseShare, parseTimestamp } from '../../../src/gen/args.js';
import { isSluiceError } from '../../../src/errors.js';

const badArgument = (f: () => unknown, ...needles: string[]) => {
  try {
    f();
  } catch (e) {
    expect(isSluiceError(e, 'BAD_ARGUMENT')).toBe(true);
    for (const n of needles) expect((e as Error).message).toContain(n);
    return;
  }
  throw new Error('expected a BAD_ARGUMENT error');
};

describe('produce arguments', () => {
  it('shares accept 2% and 0.02', () => {
    expect(parseShare('--duplicates', '2%')).toBe(0.02);
    expect(parseShare('--duplicates', '0.02')).toBe(0.02);
    expect(parseShare('--late', '0.5%')).toBe(0.005);
    expect(parseShare('--late', '0')).toBe(0);
    expect(parseShare('--late', '100%')).toBe(1);
  });
  it('bad shares name the flag and the value', () => {
    badArgument(() => parseShare('--invalid', 'lots'), '--invalid', '"lots"');
    badArgument(() => parseShare('--invalid', '150%'), '--invalid', '150%');
    badArgument(() => parseShare('--invalid', '-1%'), '--invalid');
    badArgument(() => parseShare('--invalid', '2'), '--invalid');
  });
  it('counts and rates', () => {
    expect(parseCount('--count', '1_000_000')).toBe(1_000_000);
    badArgument(() => parseCount('--keys', '0', 1), '--keys', 'at least 1');
    badArgument(() => parseCount('--count', '1e3'), '--count', '"1e3"');
    expect(parseRate('--rate', '5000/s')).toBe(5000);
    expect(parseRate('--rate', '250')).toBe(250);
    expect(parseRate('--rate', 'max')).toBe(Infinity);
    expect(parseRate('--rate', '0')).toBe(Infinity);
    badArgument(() => parseRate('--rate', 'fast'), '--rate', '"fast"');
  });
  it('timestamps and share sums', () => {
    expect(parseTimestamp('--start-ts', '1700000000000')).toBe(1_700_000_000_000);
    expect(parseTimestamp('--start-ts', '2023-11-14T22:13:20Z')).toBe(1_700_000_000_000);
    badArgument(() => parseTimestamp('--start-ts', 'yesterday'), '--start-ts');
    checkShares({ duplicates: 0.5, late: 0.5 });
    badArgument(() => checkShares({ duplicates: 0.6, late: 0.5 }), 'duplicates 60%', 'late 50%');
  });
});
