import { describe, expect, it } from 'vitest';
import { minimumOf, packWatermarks, SourceWatermarks, unpackWatermarks } from '../../../src/repartition/watermarks.js';
import { NO_STREAM_TIME } from '../../../src/window/task-windows.js';

describe('source watermarks', () => {
  it('the minimum waits for every source partition, then follows the slowest', () => {
    const w = new SourceWatermarks(3);
    w.observe(0, 100);
    w.observe(2, 50);
    expect(w.minimum).toBe(NO_STREAM_TIME);
    expect(w.holdingBack()).toEqual([1]);
    w.observe(1, 70);
    expect(w.minimum).toBe(50);
    expect(w.holdingBack()).toEqual([2]);
  });

  it('never goes back: a replayed, older watermark changes nothing', () => {
    const w = new SourceWatermarks(1, [200]);
    w.observe(0, 150);
    expect(w.minimum).toBe(200);
  });

  it('a source partition beyond the known count joins as unknown until heard', () => {
    const w = new SourceWatermarks(1, [5]);
    w.observe(2, 9);
    expect(w.snapshot()).toEqual([5, null, 9]);
    expect(w.minimum).toBe(NO_STREAM_TIME);
  });

  it('minimumOf: none known or one unknown is NO_STREAM_TIME', () => {
    expect(minimumOf([])).toBe(NO_STREAM_TIME);
    expect(minimumOf([3, null])).toBe(NO_STREAM_TIME);
    expect(minimumOf([3, 1, 2])).toBe(1);
  });

  it('packs for the checkpoint as a base and small deltas, and back', () => {
    const list = [1_700_000_012_000, null, 1_700_000_010_500, -5];
    const packed = packWatermarks(list);
    expect(packed.b).toBe(-5);
    expect(unpackWatermarks(JSON.parse(JSON.stringify(packed)))).toEqual(list);
    expect(packWatermarks([1_700_000_012_000, 1_700_000_010_500])).toEqual({ b: 1_700_000_010_500, d: [1500, 0] });
    expect(unpackWatermarks(undefined)).toBeUndefined();
  });
});
