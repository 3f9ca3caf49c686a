import { describe, expect, it } from 'vitest';
import { isSluiceError } from '../../../src/errors.js';
import { windowAssigner } from '../../../src/window/kinds.js';

const tumbling = windowAssigner({ type: 'tumbling', size: 10_000, grace: 2_000 });
const hopping = windowAssigner({ type: 'hopping', size: 10_000, advance: 5_000, grace: 0 });

describe('tumbling windows', () => {
  it('are [start, start + size) aligned to the epoch', () => {
    expect(tumbling.windowsOf(12_345)).toEqual([{ start: 10_000, end: 20_000 }]);
    expect(tumbling.windowsOf(1_700_000_003_000)).toEqual([{ start: 1_700_000_000_000, end: 1_700_000_010_000 }]);
  });

  it('put a timestamp on a boundary into the window it starts', () => {
    expect(tumbling.windowsOf(20_000)).toEqual([{ start: 20_000, end: 30_000 }]);
    expect(tumbling.windowsOf(19_999)).toEqual([{ start: 10_000, end: 20_000 }]);
    expect(tumbling.windowsOf(0)).toEqual([{ start: 0, end: 10_000 }]);
  });

  it('never start before the epoch (decode rejects negative event times anyway)', () => {
    expect(tumbling.windowsOf(-1)).toEqual([]);
    expect(tumbling.windowsOf(-10_001)).toEqual([]);
  });

  it('close at end + grace', () => {
    expect(tumbling.closesAt({ start: 0, end: 10_000 })).toBe(12_000);
  });
});

describe('hopping windows', () => {
  it('assign every window containing ts, oldest first', () => {
    expect(hopping.windowsOf(12_000)).toEqual([
      { start: 5_000, end: 15_000 },
      { start: 10_000, end: 20_000 },
    ]);
  });

  it('treat boundaries as [start, end)', () => {
    expect(hopping.windowsOf(10_000)).toEqual([
      { start: 5_000, end: 15_000 },
      { start: 10_000, end: 20_000 },
    ]);
    expect(hopping.windowsOf(9_999)).toEqual([
      { start: 0, end: 10_000 },
      { start: 5_000, end: 15_000 },
    ]);
  });

  it('never start before the epoch: a record near 0 belongs to fewer windows (as in Kafka Streams)', () => {
    expect(hopping.windowsOf(0)).toEqual([{ start: 0, end: 10_000 }]);
    expect(hopping.windowsOf(4_999)).toEqual([{ start: 0, end: 10_000 }]);
    expect(hopping.windowsOf(5_000)).toEqual([
      { start: 0, end: 10_000 },
      { start: 5_000, end: 15_000 },
    ]);
    expect(hopping.windowsOf(-1)).toEqual([]);
  });

  it('handle an advance that does not divide size', () => {
    const odd = windowAssigner({ type: 'hopping', size: 10, advance: 3, grace: 0 });
    expect(odd.windowsOf(10).map((w) => w.start)).toEqual([3, 6, 9]);
    expect(odd.windowsOf(4).map((w) => w.start)).toEqual([0, 3]);
  });

  it('with advance = size behave like tumbling', () => {
    const h = windowAssigner({ type: 'hopping', size: 10_000, advance: 10_000, grace: 0 });
    expect(h.windowsOf(12_345)).toEqual(tumbling.windowsOf(12_345));
    expect(h.windowsOf(-1)).toEqual([]);
  });
});

describe('windowAssigner', () => {
  it('rejects bad durations with a user error', () => {
    const codes = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return isSluiceError(e) ? `${e.code}:${String(e.details.field)}` : 'other';
      }
      return 'none';
    };
    expect(codes(() => windowAssigner({ type: 'session', gap: 0, grace: 0 }))).toBe('TOPOLOGY_INVALID:window.gap');
    expect(codes(() => windowAssigner({ type: 'session', gap: 1000, grace: 0 }))).toBe('none');
    expect(codes(() => windowAssigner({ type: 'hopping', size: 10, advance: 20, grace: 0 }))).toBe('TOPOLOGY_INVALID:window.advance');
    expect(codes(() => windowAssigner({ type: 'tumbling', size: 0, grace: 0 }))).toBe('TOPOLOGY_INVALID:window.size');
  });
});
