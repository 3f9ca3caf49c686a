import { describe, expect, it } from 'vitest';
import { formatKey, legacyKey as dedupKey, markerKey, slotPrefix } from '../../../src/dedup/keys.js';

// Redis Cluster's hash tag: the text between the first "{" and the next "}" (if non-empty).
const hashTag = (key: string): string => {
  const open = key.indexOf('{');
  const close = key.indexOf('}', open + 1);
  return open >= 0 && close > open + 1 ? key.slice(open + 1, close) : key;
};

describe('dedup keys', () => {
  it('puts every key of a topology, markers included, in one hash slot', () => {
    for (const k of ['plain', '{braced}', 'a}b{c', '']) expect(hashTag(dedupKey('page-views', k))).toBe('page-views');
    expect(hashTag(markerKey('page-views', 3))).toBe('page-views');
    expect(hashTag(`${slotPrefix('page-views')}123`)).toBe('page-views');
    expect(hashTag(formatKey('page-views'))).toBe('page-views');
  });

  it('keeps topologies apart, even when a key looks like another topology', () => {
    // topology names have no braces (schema.ts), so the closing "}" ends the topology unambiguously
    expect(dedupKey('a', 'b:c')).not.toBe(dedupKey('a:b', 'c'));
    expect(dedupKey('a', '}:c')).not.toBe(dedupKey('a}', 'c'));
    expect(dedupKey('a', 'x')).not.toBe(dedupKey('b', 'x'));
  });

  it('never lets a (legacy) dedup key equal a marker, a slot or the format key', () => {
    for (const k of [markerKey('t', 0), `${slotPrefix('t')}0`, formatKey('t')]) expect(k).not.toMatch(/^dedup:/);
    expect(dedupKey('t', '0')).toBe('dedup:{t}:0');
  });
});
