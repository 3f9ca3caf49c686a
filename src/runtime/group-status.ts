/**
 * What `sluice status` reports per source partition, and with two stages per repartition partition
 * (stage 2), read with admin calls only (no group join, no transactional id), so it is safe while
 * replicas run: the committed offset and its checkpoint (one OffsetFetch), the high watermark, and
 * the owner from the group's member assignments.
 */
import kafkajs, { type Admin } from 'kafkajs';
import { decodeCheckpoint, type Checkpoint } from '../commit/checkpoint.js';
import { repartitionTopic } from '../repartition/topic.js';
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
/** A stage-2 task's partition of the repartition topic (docs/keyed-windows.md). */
export interface Stage2PartitionStatus extends PartitionStatus {
  /** Log start offset: stage 2 purged the records below it (src/repartition/purge.ts). */
  logStart: number;
  /** The minimum of the source partitions' stream times in the checkpoint (what closes windows); null while one is unheard of. */
  minimum: number | null;
}
export interface GroupStatus {
  topology: string;
  group: string;
  /** The source topic; with two stages its partitions are stage 1's (no windows: committed = position). */
  topic: string;
  state: string;
  members: number;
  partitions: PartitionStatus[];
  /** Two stages: the repartition topic's partitions, one stage-2 task each. */
  stage2?: { topic: string; partitions: Stage2PartitionStatus[] };
}

type Committed = { partition: number; offset: string; metadata?: string | null };

export async function groupStatus(admin: Admin, topology: Topology): Promise<GroupStatus> {
  const { name, source } = topology.spec;
  await sourcePartitions(admin, topology); // a missing source topic is SOURCE_TOPIC_MISSING
  const repartition = repartitionTopic(topology.spec);
  const existing = repartition ? await admin.listTopics() : [];
  const stage2Topic = repartition && existing.includes(repartition) ? repartition : undefined; // created at the first start
  const topics = stage2Topic ? [source.topic, stage2Topic] : [source.topic];
  const [ends, fetched, described] = await Promise.all([
    Promise.all(topics.map((t) => admin.fetchTopicOffsets(t))),
    admin.fetchOffsets({ groupId: source.group, topics }),
    admin.describeGroups([source.group]),
  ]);
  const group = described.groups[0];
  const owners = new Map<string, Owner>();
  for (const m of group?.members ?? []) {
    const assignment = m.memberAssignment.length > 0 ? AssignerProtocol.MemberAssignment.decode(m.memberAssignment) : null;
    for (const t of topics) for (const p of assignment?.assignment[t] ?? []) owners.set(`${t}/${p}`, { memberId: m.memberId, clientId: m.clientId, host: m.clientHost });
  }
  const assigner = windowAssigner(topology.spec.window);
  const committedIn = (t: string) => new Map((fetched.find((f) => f.topic === t)?.partitions ?? []).map((p) => [p.partition, p as Committed]));

  const rows = (t: string, offsets: typeof ends[number], windowsAt: (cp: Checkpoint, streamTime: number | null) => number | null) => {
    const committedOf = committedIn(t);
    return offsets
      .map(({ partition, low, high }) => {
        const c = committedOf.get(partition);
        const committed = c && Number(c.offset) >= 0 ? Number(c.offset) : null;
        const cp = committed === null ? undefined : decodeCheckpoint(c?.metadata);
        const streamTime = cp && cp.streamTime !== NO_STREAM_TIME ? cp.streamTime : null;
        const closesAt = cp ? windowsAt(cp, streamTime) : null;
        const start = t === source.topic ? source.start : 'earliest'; // stage 2 reads its topic from the start
        const lag = committed !== null ? Number(high) - committed : start === 'earliest' ? Number(high) - Number(low) : 0;
        const status: PartitionStatus = {
          partition,
          committed,
          high: Number(high),
          lag,
          checkpoint: cp ? { position: cp.position, streamTime, openWindows: closesAt === null || assigner.merging ? [] : openWindowsAt(assigner, closesAt), pendingFiles: cp.pending.length, staging: cp.staging ?? null } : null,
          restore: cp && committed !== null && cp.position > committed ? { from: committed, to: cp.position, offsets: cp.position - committed } : null,
          owner: owners.get(`${t}/${partition}`) ?? null,
        };
        return { status, low: Number(low), cp };
      })
      .sort((a, b) => a.status.partition - b.status.partition);
  };
  // one stage: windows open at the partition's stream time; stage 1 holds none
  const partitions = rows(source.topic, ends[0]!, (_, streamTime) => (repartition ? null : streamTime)).map((r) => r.status);
  const status: GroupStatus = { topology: name, group: source.group, topic: source.topic, state: group?.state ?? 'Unknown', members: group?.members.length ?? 0, partitions };
  if (stage2Topic) {
    const minimumOf = (cp: Checkpoint | undefined) => {
      const ws = cp?.watermarks ?? [];
      return ws.length === 0 || ws.some((w) => w === null) ? null : Math.min(...(ws as number[]));
    };
    status.stage2 = {
      topic: stage2Topic,
      partitions: rows(stage2Topic, ends[1]!, (cp) => minimumOf(cp)).map(({ status: p, low, cp }) => ({ ...p, logStart: low, minimum: minimumOf(cp) })),
    };
  }
  return status;
}
