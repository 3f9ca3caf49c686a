import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint, MAX_PENDING_WINDOWS, pendingThatFit, METADATA_MAX_BYTES } from '../../../src/commit/checkpoint.js';
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

describe('stage-1 checkpoint', () => {
  it('keeps the record time only when an idle advance took stream time past it', () => {
    const c = { position: 3, streamTime: 1_700_000_100_000, recordTime: 1_700_000_000_000, pending: [] as Array<[number, number]> };
    expect(decodeCheckpoint(encodeCheckpoint(c))).toEqual(c);
    expect(encodeCheckpoint({ ...c, recordTime: c.streamTime })).not.toContain('rt');
    expect(decodeCheckpoint(encodeCheckpoint({ ...c, recordTime: NO_STREAM_TIME }))?.recordTime).toBe(NO_STREAM_TIME);
  });
});

describe('stage-2 checkpoint', () => {
  it('round-trips the source watermarks, unknown ones included', () => {
    const c = { position: 9, streamTime: NO_STREAM_TIME, pending: [] as Array<[number, number]>, watermarks: [1_700_000_000_000, null, 1_700_000_004_000] };
    expect(decodeCheckpoint(encodeCheckpoint(c))).toEqual(c);
  });

  it('lists fewer pending windows as the watermarks take room, always at least one, within the limit', () => {
    const far = -8_640_000_000_000;
    const windows = Array.from({ length: 150 }, (): { start: number; end: number } => ({ start: far, end: far }));
    const now = 1_700_000_000_000;
    const today = windows.map((_, i) => ({ start: now + i * 10_000, end: now + (i + 1) * 10_000 }));
    expect(pendingThatFit({ position: 123_456, streamTime: NO_STREAM_TIME, watermarks: [now, now + 1500, now + 20] }, today)).toBe(MAX_PENDING_WINDOWS);
    const many = { position: Number.MAX_SAFE_INTEGER, streamTime: far, watermarks: Array.from({ length: 200 }, (_, i) => far + i * 999_999) };
    const n = pendingThatFit(many, windows);
    expect(n).toBeLessThan(MAX_PENDING_WINDOWS);
    expect(n).toBeGreaterThanOrEqual(1);
    const pending = windows.slice(0, n).map((w): [number, number] => [w.start, w.end]);
    expect(Buffer.byteLength(encodeCheckpoint({ ...many, pending, staging: 'p2147483647-ffffffff' }))).toBeLessThanOrEqual(METADATA_MAX_BYTES);
  });
});
