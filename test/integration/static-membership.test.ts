/**
 * Static group membership (--instance-id, KIP-345) on the real broker: a replica SIGKILLed and
 * restarted with its id takes its partitions back while the dead member is still in the group
 * (session timeout 30 s), without a rebalance of the other replica; this holds for the group's
 * leader, whose rejoin the broker answers without the leader role, the stored assignment kept. A
 * second live replica with the same id stops the first (exit 2, INSTANCE_ID_IN_USE); a replica
 * without an id is a dynamic member as before; a stop leaves the group at once.
 * The broker names a static member `<instance id>-<uuid>`, a dynamic one `<client id>-<uuid>`.
 */
import { rmSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { produceFixedInput } from '../support/input.js';
import { writeTopology } from '../support/pipeline.js';
import { waitFor } from '../support/read.js';
import { replicaStarter } from '../support/replicas.js';
import { closeAfterAll, endpoints } from '../support/services.js';
import { sluice, type SluiceRun } from '../support/sluice-cli.js';

/** The source partitions each `partitions assigned` line of a JSON log gave. */
const assignments = (out: string): number[][] =>
  out.split('\n').filter((l) => l.includes('"msg":"partitions assigned"')).map((l) => (JSON.parse(l) as { partitions: number[] }).partitions);

describe('static group membership (--instance-id)', () => {
  const runs: SluiceRun[] = [];
  const dirs: string[] = [];
  afterAll(() => {
    for (const r of runs) r.kill();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const start = replicaStarter();
  const { brokers, registryUrl, redisUrl } = endpoints();
  const admin = closeAfterAll(new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin(), (a) => a.disconnect());

  const run = (file: string, args: string[], env: Record<string, string> = {}) => {
    const r = sluice(['run', file, '--port', '0', ...args], { KAFKA_BROKERS: brokers.join(','), SCHEMA_REGISTRY_URL: registryUrl, REDIS_URL: redisUrl, LOG_LEVEL: 'info', ...env });
    runs.push(r);
    return r;
  };
  const members = async (group: string) => (await admin.describeGroups([group])).groups[0]!.members.map((m) => m.memberId).sort();
  const assignedIn = (r: SluiceRun, n = 1) => waitFor(() => assignments(r.out()).length >= n || r.child.exitCode !== null, 90_000, () => `partitions assigned:\n${r.out()}`, 100);

  it('a restarted replica takes its partitions back at once, a second live one with its id stops it, no id is dynamic, a stop leaves', { timeout: 240_000 }, async () => {
    const t = writeTopology({ sessionTimeout: '30s' });
    dirs.push(t.dir);
    await produceFixedInput({ brokers, registryUrl, topic: t.source, partitions: 6, topologyFile: t.file, count: 600, seed: 9 });
    await admin.connect();

    // the group's first member is its leader: the one killed below
    const a = run(t.file, ['--instance-id', 'replica-a']);
    await assignedIn(a);
    const lines: string[] = [];
    const b = await start(t, { instanceId: 'replica-b', log: pino({ level: 'info' }, { write: (l: string) => void lines.push(l) }) });
    await waitFor(() => assignments(a.out()).length === 2 && b.assigned().length > 0, 90_000, () => `a rebalance to two:\n${a.out()}`);
    const ofA = assignments(a.out())[1]!;
    expect([...ofA, ...b.assigned()].sort()).toEqual([0, 1, 2, 3, 4, 5]); // two ids share the partitions
    const before = await members(t.group);
    expect(before).toEqual([expect.stringMatching(/^replica-a-/), expect.stringMatching(/^replica-b-/)]);

    a.kill('SIGKILL');
    await a.exit;
    const a2 = run(t.file, [], { SLUICE_INSTANCE_ID: 'replica-a' }); // the variable, as the Kubernetes pack sets it
    await assignedIn(a2);
    // the dead member's place was taken (its session, 30 s, not expired: the group never dropped
    // it): the same partitions, and no rebalance of replica-b, whose member id and assignment stand
    expect(assignments(a2.out())).toEqual([ofA]);
    const after = await members(t.group);
    expect(after).toEqual([expect.stringMatching(/^replica-a-/), before[1]]);
    expect(after[0]).not.toBe(before[0]);
    expect(assignments(lines.join(''))).toHaveLength(1);

    // a second live replica with the same id: the broker fences the earlier one, which exits 2 naming the id
    const a3 = await start(t, { instanceId: 'replica-a' });
    expect(await a2.exit).toBe(2);
    expect(a2.out()).toMatch(/INSTANCE_ID_IN_USE/);
    expect(a2.out()).toContain(`another replica joined consumer group ${t.group} with this replica's instance id \\"replica-a\\"`);
    await waitFor(() => a3.assigned().length > 0, 30_000, () => 'replica-a (third) assigned');
    expect(a3.assigned()).toEqual(ofA);
    expect(assignments(lines.join(''))).toHaveLength(1);

    // no id: a dynamic member (named after the client id), as before
    const c = await start(t);
    await waitFor(() => c.assigned().length > 0 && a3.assigned().length + b.assigned().length + c.assigned().length === 6, 90_000, () => 'a rebalance to three');
    expect(await members(t.group)).toEqual([expect.stringMatching(/^replica-a-/), expect.stringMatching(/^replica-b-/), expect.stringMatching(new RegExp(`^sluice-${t.name}-`))]);

    // a stop leaves the group at once (not after the session timeout): the next rebalance does not wait for it
    await a3.stop();
    expect(await members(t.group)).not.toContainEqual(expect.stringMatching(/^replica-a-/));
  });
});
