/** `sluice status` as text: one header line for the group, then one row per partition (with two stages: per stage). */
import type { GroupStatus, PartitionStatus, Stage2PartitionStatus } from '../runtime/group-status.js';

const iso = (ms: number) => new Date(ms).toISOString();
const time = (ms: number) => iso(ms).slice(11, 19);

function windows(p: PartitionStatus): string {
  const ws = p.checkpoint?.openWindows ?? [];
  return ws.length === 0 ? '-' : ws.map((w) => `${time(w.start)}–${time(w.end)}`).join(' ');
}

// the coordinator names a member `<group.instance.id>-<uuid>` if static (--instance-id), else `<client id>-<uuid>`
const STATIC_MEMBER = /^(.+)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function owner(p: PartitionStatus): string {
  if (!p.owner) return '- (unassigned)';
  const instance = STATIC_MEMBER.exec(p.owner.memberId)?.[1];
  return `${p.owner.clientId} ${p.owner.host} ${instance && instance !== p.owner.clientId ? `${instance} ` : ''}${p.owner.memberId.slice(-8)}`;
}

function table(rows: string[][], numeric: ReadonlySet<number>): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd());
}

const common = (p: PartitionStatus) => [String(p.partition), p.committed === null ? '-' : String(p.committed), String(p.high), String(p.lag)];

export function formatStatus(s: GroupStatus): string {
  const head = `${s.topology}: group ${s.group} (${s.state}, ${s.members} member${s.members === 1 ? '' : 's'}), source ${s.topic}`;
  const rows = [['partition', 'committed', 'high', 'lag', 'stream time', 'open windows', 'pending', 'restore', 'owner (client host [instance] member)']];
  for (const p of s.partitions) {
    rows.push([
      ...common(p),
      p.checkpoint?.streamTime != null ? iso(p.checkpoint.streamTime) : '-',
      windows(p),
      String(p.checkpoint?.pendingFiles ?? '-'),
      p.restore ? String(p.restore.offsets) : '0',
      owner(p),
    ]);
  }
  const notes = [
    'lag: high watermark − committed offset; the committed offset is the low-water mark of the open windows, so a caught-up partition still lags by about window size + grace of input',
    'restore: offsets [committed, checkpoint position) that a new owner replays, emitting nothing, before it emits again (README, Reliability)',
  ];
  if (!s.stage2) return [head, '', ...table(rows, new Set([1, 2, 3, 6, 7])), '', ...notes].join('\n');
  const stage1 = rows.map((r) => [...r.slice(0, 5), r[8]!]); // stage 1 holds no windows and replays nothing
  const stage2: string[][] = [['partition', 'committed', 'high', 'lag', 'purged to', 'minimum', 'open windows', 'pending', 'restore', 'owner (client host [instance] member)']];
  for (const p of s.stage2.partitions as Stage2PartitionStatus[]) {
    stage2.push([...common(p), String(p.logStart), p.minimum === null ? '-' : iso(p.minimum), windows(p), String(p.checkpoint?.pendingFiles ?? '-'), p.restore ? String(p.restore.offsets) : '0', owner(p)]);
  }
  return [
    head,
    '',
    `stage 1 (source ${s.topic}: decode, dedup, lateness)`,
    ...table(stage1, new Set([1, 2, 3])),
    '',
    `stage 2 (${s.stage2.topic}: windows per group key)`,
    ...table(stage2, new Set([1, 2, 3, 4, 7, 8])),
    '',
    ...notes,
    'purged to: stage 2 deleted the repartition records below it (all committed); minimum: the smallest source stream time, which closes windows (docs/keyed-windows.md)',
  ].join('\n');
}
