/**
 * What `sluice status` reports per source partition, read with admin calls only (no group join,
 * no transactional id), so it is safe while replicas run: the committed offset and its checkpoint
 * (one OffsetFetch), the high watermark, and the owner from the group's member assignments.
 */
import kafkajs, { type Admin } from 'kafkajs';
import { decodeCheckpoint } from '../commit/checkpoint.js';
import type { Topology } from '../topology/loader.js';
import { windowAssigner, type TimeWindow } from '../window/kinds.js';
import { openWindowsAt } from '../window/open-windows.js';
import { NO_STREAM_TIME } from '../window/task-windows.js';
import { sourcePartitions } from './topics.js';

// kafkajs is CommonJS: Node's ESM loader does not see this named export (as in topics.ts)
const { AssignerProtocol } = kafkajs;

export interface Owner { memberId: string; clientId: string; host: string }
export interface PartitionStatus {
  partition: number;
  /** Next offset the group resumes from: the low-water mark of the open windows; null before the first commit. */
  committed: number | null;
  high: number;
  /** high − committed (high − low before the first commit with start: earliest, 0 with latest). */
  lag: number;
  checkpoint: { position: number; streamTime: number | null; openWindows: TimeWindow[]; pendingFiles: number; staging: string | null } | null;
  /** [committed, position): what a new owner replays (restore mode) before it emits; null when empty. */
  restore: { from: number; to: number; offsets: number } | null;
  owner: Owner | null;
}
export interface GroupStatus { topology: string; group: string; topic: string; state: string; members: number; partitions: PartitionStatus[] }

export async function groupStatus(admin: Admin, topology: Topology): Promise<GroupStatus> {
  const { name, source } = topology.spec;
  await sourcePartitions(admin, topology); // a missing source topic is SOURCE_TOPIC_MISSING
  const [ends, [fetched], described] = await Promise.all([
    admin.fetchTopicOffsets(source.topic),
    admin.fetchOffsets({ groupId: source.group, topics: [source.topic] }),
    admin.describeGroups([source.group]),
  ]);
  const group = described.groups[0];
  const owners = new Map<number, Owner>();
  for (const m of group?.members ?? []) {
    const assignment = m.memberAssignment.length > 0 ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment) : null;
    for (const p of assignment?.assignment[source.topic] ?? []) owners.set(p, { memberId: m.memberId, clientId: m.clientId, host: m.clientHost });
  }
  const assigner = windowAssigner(topology.spec.window);
  const committedOf = new Map((fetched?.partitions ?? []).map((p) => [p.partition, p as { offset: string; metadata?: string | null }]));

  const partitions = ends
    .map(({ partition, low, high }): PartitionStatus => {
      const c = committedOf.get(partition);
      const committed = c && Number(c.offset) >= 0 ? Number(c.offset) : null;
      const cp = committed === null ? undefined : decodeCheckpoint(c?.metadata);
      const streamTime = cp && cp.streamTime !== NO_STREAM_TIME ? cp.streamTime : null;
      const lag = committed !== null ? Number(high) - committed : source.start === 'earliest' ? Number(high) - Number(low) : 0;
      return {
        partition,
        committed,
        high: Number(high),
        lag,
        checkpoint: cp ? { position: cp.position, streamTime, openWindows: streamTime === null || assigner.merging ? [] : openWindowsAt(assigner, streamTime), pendingFiles: cp.pending.length, staging: cp.staging ?? null } : null,
        restore: cp && committed !== null && cp.position > committed ? { from: committed, to: cp.position, offsets: cp.position - committed } : null,
        owner: owners.get(partition) ?? null,
      };
    })
    .sort((a, b) => a.partition - b.partition);
  return { topology: name, group: source.group, topic: source.topic, state: group?.state ?? 'Unknown', members: group?.members.length ?? 0, partitions };
}
