/**
 * `sluice status --json` as a separate process beside a running replica (in this process): it
 * reports what the group committed (the checkpoints read back independently by waitProcessed),
 * the owner of every partition, and leaves the group undisturbed; after the replica stops, no owner.
 * With two stages: stage 1 per source partition and stage 2 per repartition partition.
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { promisify } from 'node:util';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../src/commit/checkpoint.js';
import type { GroupStatus } from '../../src/runtime/group-status.js';
import { startReplica, type Replica } from '../../src/runtime/replica.js';
import { loadTopology } from '../../src/topology/loader.js';
import { produceFixedInput } from '../support/input.js';
import { writeTopology, type TestTopology } from '../support/pipeline.js';
import { waitFor, waitProcessed, waitStage2 } from '../support/read.js';
import { endpoints } from '../support/services.js';

const run = promisify(execFile);

const sluiceStatus = async (t: TestTopology, ...flags: string[]) =>
  (await run(process.execPath, ['bin/sluice.js', 'status', t.file, ...flags], { env: { ...process.env, KAFKA_BROKERS: endpoints().brokers.join(',') }, timeout: 60_000 })).stdout;
const status = async (t: TestTopology): Promise<GroupStatus> => JSON.parse(await sluiceStatus(t, '--json')) as GroupStatus;

describe('sluice status', () => {
  let t: TestTopology;
  let replica: Replica | undefined;
  let checkpoints: Map<number, Checkpoint>;
  beforeAll(async () => {
    const { brokers, registryUrl, redisUrl } = endpoints();
    t = writeTopology();
    await produceFixedInput({ brokers, registryUrl, topic: t.source, partitions: 3, topologyFile: t.file, count: 600, seed: 12 });
    replica = await startReplica(await loadTopology(t.file), { brokers, registryUrl, redisUrl }, { port: 0, log: pino({ level: 'warn' }) });
    checkpoints = await waitProcessed(brokers, t.group, t.source);
  });
  afterAll(async () => {
    await replica?.stop();
    rmSync(t.dir, { recursive: true, force: true });
  });

  it('reports offsets, checkpoints and the owner of each partition while the replica runs', async () => {
    const s = await status(t);
    expect(s).toMatchObject({ topology: t.name, group: t.group, topic: t.source, state: 'Stable', members: 1 });
    expect(s.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
    for (const p of s.partitions) {
      const cp = checkpoints.get(p.partition)!;
      expect(p.checkpoint).toMatchObject({ position: cp.position, streamTime: cp.streamTime, pendingFiles: cp.pending.length });
      expect(p.checkpoint!.position).toBe(p.high); // all input processed
      expect(p.lag).toBe(p.high - p.committed!);
      // the committed offset is the low-water mark of the open windows: the rest is the restore range
      expect(p.restore).toEqual(p.committed! < p.high ? { from: p.committed, to: p.high, offsets: p.high - p.committed! } : null);
      const windows = p.checkpoint!.openWindows;
      expect(windows.length).toBeGreaterThan(0);
      expect(windows.at(-1)!.start <= cp.streamTime && cp.streamTime < windows.at(-1)!.end).toBe(true);
      expect(p.owner).toMatchObject({ clientId: `sluice-${t.name}` });
    }
    expect(new Set(s.partitions.map((p) => p.owner!.memberId)).size).toBe(1);
    const table = (await sluiceStatus(t)).split('\n');
    expect(table[0]).toBe(`${t.name}: group ${t.group} (Stable, 1 member), source ${t.source}`);
    for (const p of s.partitions) expect(table.find((l) => l.startsWith(`${p.partition} `))).toContain(`sluice-${t.name}`);
    expect(replica!.ready()).toBe(true); // status joined nothing: no rebalance
  });

  it('shows no owner once the replica has left the group', async () => {
    await replica!.stop();
    replica = undefined;
    let s: GroupStatus | undefined;
    await waitFor(async () => (s = await status(t)).members === 0, 30_000, () => `the group to be empty: ${JSON.stringify(s)}`, 500);
    expect(s!.state).toBe('Empty');
    expect(s!.partitions.every((p) => p.owner === null && p.checkpoint !== null)).toBe(true);
  });
});

describe('sluice status with two stages', () => {
  let t: TestTopology;
  let replica: Replica | undefined;
  afterAll(async () => {
    await replica?.stop();
    rmSync(t.dir, { recursive: true, force: true });
  });

  it('reports stage 1 per source partition and stage 2 per repartition partition, each with its owner; /readyz covers both', async () => {
    const { brokers, registryUrl, redisUrl } = endpoints();
    t = writeTopology({ twoStage: true });
    await produceFixedInput({ brokers, registryUrl, topic: t.source, partitions: 3, topologyFile: t.file, count: 600, seed: 12, keyBy: 'user_id' });
    replica = await startReplica(await loadTopology(t.file), { brokers, registryUrl, redisUrl }, { port: 0, log: pino({ level: 'warn' }), repartitionPurgeMs: 0 });
    await waitProcessed(brokers, t.group, t.source);
    const stage2 = await waitStage2(brokers, t.group, t.repartition);
    await waitFor(() => replica!.ready(), 30_000, () => 'ready');
    // ready means every task of both stages started and restored
    expect(replica.assignedOf(t.repartition)).toEqual([0, 1, 2]);

    const s = await status(t);
    expect(s.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
    for (const p of s.partitions) {
      expect(p.committed).toBe(p.high); // stage 1 keeps no windows: its offset is its read position
      expect(p.checkpoint!.openWindows).toEqual([]);
      expect(p.owner).toMatchObject({ clientId: `sluice-${t.name}` });
    }
    expect(s.stage2!.topic).toBe(t.repartition);
    expect(s.stage2!.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
    for (const p of s.stage2!.partitions) {
      expect(p.checkpoint!.position).toBe(stage2.get(p.partition)!.position);
      expect(p.minimum).not.toBeNull();
      expect(p.checkpoint!.openWindows.length).toBeGreaterThan(0);
      expect(p.logStart).toBeLessThanOrEqual(p.committed!); // purged, never past the committed offset
      expect(p.owner).toMatchObject({ clientId: `sluice-${t.name}` });
    }
    const table = await sluiceStatus(t);
    expect(table).toContain(`stage 2 (${t.repartition}: windows per group key)`);
  });
});
