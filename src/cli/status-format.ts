/** `sluice status` as text: one header line for the group, then one row per partition. */
import type { GroupStatus, PartitionStatus } from '../runtime/group-status.js';

const iso = (ms: number) => new Date(ms).toISOString();
const time = (ms: number) => iso(ms).slice(11, 19);

function windows(p: PartitionStatus): string {
  const ws = p.checkpoint?.openWindows ?? [];
  return ws.length === 0 ? '-' : ws.map((w) => `${time(w.start)}–${time(w.end)}`).join(' ');
}

function owner(p: PartitionStatus): string {
  if (!p.owner) return '- (unassigned)';
  return `${p.owner.clientId} ${p.owner.host} ${p.owner.memberId.slice(-8)}`;
}

export function formatStatus(s: GroupStatus): string {
  const head = `${s.topology}: group ${s.group} (${s.state}, ${s.members} member${s.members === 1 ? '' : 's'}), source ${s.topic}`;
  const rows = [['partition', 'committed', 'high', 'lag', 'stream time', 'open windows', 'pending', 'restore', 'owner (client host member)']];
  for (const p of s.partitions) {
    rows.push([
      String(p.partition),
      p.committed === null ? '-' : String(p.committed),
      String(p.high),
      String(p.lag),
      p.checkpoint?.streamTime != null ? iso(p.checkpoint.streamTime) : '-',
      windows(p),
      String(p.checkpoint?.pendingFiles ?? '-'),
      p.restore ? String(p.restore.offsets) : '0',
      owner(p),
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const numeric = new Set([1, 2, 3, 6, 7]);
  const line = (r: string[]) => r.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const notes = [
    'lag: high watermark − committed offset; the committed offset is the low-water mark of the open windows, so a caught-up partition still lags by about window size + grace of input',
    'restore: offsets [committed, checkpoint position) that a new owner replays, emitting nothing, before it emits again (README, Reliability)',
  ];
  return [head, '', ...rows.map(line), '', ...notes].join('\n');
}
