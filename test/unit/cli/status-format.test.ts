import { describe, expect, it } from 'vitest';
import { formatStatus } from '../../../src/cli/status-format.js';
import type { GroupStatus } from '../../../src/runtime/group-status.js';

const status: GroupStatus = {
  topology: 'page-views',
  group: 'sluice-page-views',
  topic: 'page_views',
  state: 'Stable',
  members: 1,
  partitions: [
    {
      partition: 0,
      committed: 1200,
      high: 1500,
      lag: 300,
      checkpoint: { position: 1500, streamTime: Date.UTC(2026, 0, 1, 10, 0, 21), openWindows: [{ start: Date.UTC(2026, 0, 1, 10, 0, 10), end: Date.UTC(2026, 0, 1, 10, 0, 20) }, { start: Date.UTC(2026, 0, 1, 10, 0, 20), end: Date.UTC(2026, 0, 1, 10, 0, 30) }], pendingFiles: 2, staging: 'abc' },
      restore: { from: 1200, to: 1500, offsets: 300 },
      owner: { memberId: 'sluice-page-views-0123-4567-89abcdef', clientId: 'sluice-page-views', host: '/10.0.0.7' },
    },
    { partition: 1, committed: null, high: 40, lag: 40, checkpoint: null, restore: null, owner: null },
  ],
};

describe('formatStatus', () => {
  const lines = formatStatus(status).split('\n');

  it('heads with the group, its state and members', () => {
    expect(lines[0]).toBe('page-views: group sluice-page-views (Stable, 1 member), source page_views');
  });

  it('prints one row per partition with the checkpoint, the restore range and the owner', () => {
    const [p0, p1] = [lines[3]!, lines[4]!];
    expect(p0.split(/\s{2,}/)).toEqual(['0', '1200', '1500', '300', '2026-01-01T10:00:21.000Z', '10:00:10–10:00:20 10:00:20–10:00:30', '2', '300', 'sluice-page-views /10.0.0.7 89abcdef']);
    expect(p1.split(/\s{2,}/)).toEqual(['1', '-', '40', '40', '-', '-', '-', '0', '- (unassigned)']);
  });

  it('names a static member\'s instance id (--instance-id), not a dynamic member\'s client id twice', () => {
    const row = (memberId: string) => formatStatus({ ...status, partitions: [{ ...status.partitions[0]!, owner: { memberId, clientId: 'sluice-page-views', host: '/10.0.0.7' } }] }).split('\n')[3]!.split(/\s{2,}/).at(-1);
    expect(row('sluice-pv-7f9c-0-4f2a3c1e-1b2d-4e5f-8a9b-0c1d2e3f4a5b')).toBe('sluice-page-views /10.0.0.7 sluice-pv-7f9c-0 2e3f4a5b');
    expect(row('sluice-page-views-4f2a3c1e-1b2d-4e5f-8a9b-0c1d2e3f4a5b')).toBe('sluice-page-views /10.0.0.7 2e3f4a5b');
  });
});

describe('formatStatus with two stages', () => {
  const owner = { memberId: 'sluice-pv-0123-4567-89abcdef', clientId: 'sluice-pv', host: '/10.0.0.7' };
  const two: GroupStatus = {
    ...status,
    partitions: [{ partition: 0, committed: 900, high: 900, lag: 0, checkpoint: { position: 900, streamTime: Date.UTC(2026, 0, 1, 10, 0, 21), openWindows: [], pendingFiles: 0, staging: null }, restore: null, owner }],
    stage2: {
      topic: 'pv-repartition',
      partitions: [
        {
          partition: 0,
          committed: 700,
          high: 880,
          lag: 180,
          checkpoint: { position: 880, streamTime: 0, openWindows: [{ start: Date.UTC(2026, 0, 1, 10, 0, 10), end: Date.UTC(2026, 0, 1, 10, 0, 20) }], pendingFiles: 0, staging: null },
          restore: { from: 700, to: 880, offsets: 180 },
          owner,
          logStart: 650,
          minimum: Date.UTC(2026, 0, 1, 10, 0, 19),
        },
      ],
    },
  };
  const lines = formatStatus(two).split('\n');

  it('prints a table per stage: stage 1 without windows, stage 2 with its purge point and minimum', () => {
    const s1 = lines.indexOf('stage 1 (source page_views: decode, dedup, lateness)');
    const s2 = lines.indexOf('stage 2 (pv-repartition: windows per group key)');
    expect(s1).toBeGreaterThan(0);
    expect(lines[s1 + 2]!.split(/\s{2,}/)).toEqual(['0', '900', '900', '0', '2026-01-01T10:00:21.000Z', 'sluice-pv /10.0.0.7 89abcdef']);
    expect(lines[s2 + 1]!.split(/\s{2,}/)).toEqual(['partition', 'committed', 'high', 'lag', 'purged to', 'minimum', 'open windows', 'pending', 'restore', 'owner (client host [instance] member)']);
    expect(lines[s2 + 2]!.split(/\s{2,}/)).toEqual(['0', '700', '880', '180', '650', '2026-01-01T10:00:19.000Z', '10:00:10–10:00:20', '0', '180', 'sluice-pv /10.0.0.7 89abcdef']);
  });
});
