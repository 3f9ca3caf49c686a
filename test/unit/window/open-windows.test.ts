import { describe, expect, it } from 'vitest';
import { windowAssigner } from '../../../src/window/kinds.js';
import { openWindowsAt } from '../../../src/window/open-windows.js';

describe('openWindowsAt', () => {
  const tumbling = windowAssigner({ type: 'tumbling', size: 10_000, grace: 2_000 });

  it('tumbling: the current window, and the previous one while it is within grace', () => {
    expect(openWindowsAt(tumbling, 25_000)).toEqual([{ start: 20_000, end: 30_000 }]);
    expect(openWindowsAt(tumbling, 21_999)).toEqual([{ start: 10_000, end: 20_000 }, { start: 20_000, end: 30_000 }]);
    expect(openWindowsAt(tumbling, 22_000)).toEqual([{ start: 20_000, end: 30_000 }]);
  });

  it('hopping: every window holding the stream time, plus those within grace', () => {
    const hopping = windowAssigner({ type: 'hopping', size: 10_000, advance: 5_000, grace: 1_000 });
    expect(openWindowsAt(hopping, 20_500)).toEqual([
      { start: 10_000, end: 20_000 },
      { start: 15_000, end: 25_000 },
      { start: 20_000, end: 30_000 },
    ]);
    expect(openWindowsAt(hopping, 21_000).map((w) => w.start)).toEqual([15_000, 20_000]);
  });
});
