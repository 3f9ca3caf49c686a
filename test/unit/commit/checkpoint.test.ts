import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint, MAX_PENDING_WINDOWS, METADATA_MAX_BYTES } from '../../../src/commit/checkpoint.js';
import { NO_STREAM_TIME } from '../../../src/window/task-windows.js';

describe('checkpoint in the offset-commit metadata', () => {
  it('round-trips position, stream time, pending windows and the staging token', () => {
    const c = { position: 1234, streamTime: 1_732_540_012_345, pending: [[1_732_540_000_000, 1_732_540_010_000]] as Array<[number, number]>, staging: 'p3-ab12cd34' };
    expect(decodeCheckpoint(encodeCheckpoint(c))).toEqual(c);
  });

  it('keeps "no stream time yet" through JSON', () => {
    expect(decodeCheckpoint(encodeCheckpoint({ position: 0, streamTime: NO_STREAM_TIME, pending: [] }))?.streamTime).toBe(NO_STREAM_TIME);
  });

  it('reads empty or foreign metadata as no checkpoint', () => {
    for (const m of [null, undefined, '', 'not json', '{"v":2,"pos":1}', '{"offset":5}']) expect(decodeCheckpoint(m)).toBeUndefined();
  });

  it('fits the broker limit with the most windows a transaction may close', () => {
    const far = 8_640_000_000_000; // the largest JS date: the longest numbers a window can have
    const pending = Array.from({ length: MAX_PENDING_WINDOWS }, (): [number, number] => [far, far]);
    const text = encodeCheckpoint({ position: Number.MAX_SAFE_INTEGER, streamTime: far, pending, staging: 'p9999-ffffffff' });
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(METADATA_MAX_BYTES);
  });
});
