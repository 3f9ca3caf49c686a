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
});
