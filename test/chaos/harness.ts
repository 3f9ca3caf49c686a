/**
 * The chaos run (issue 5): own services, a paced known input, 1–3 replicas as child processes,
 * and a fixed sequence of faults at random instants while there is work; then a graceful stop and
 * a comparison of the four outputs with the oracle (test/support/oracle.ts, independent of src/).
 * Sequence: crash points (until one SIGKILL at before-commit) · random SIGKILL · scale 1→3 ·
 * zombie (SIGSTOP past the session timeout, SIGCONT) · random SIGKILL · scale 3→1 · Redis restart ·
 * registry down 10 s · broker restart · the remaining random SIGKILLs.
 * `twoStage`: the same with an input keyed by user and `partitioned_by_group_key: false`, checked
 * against the keyed oracle (one row per page and window; docs/keyed-windows.md), so that kills fall
 * between the stages too.
 * `window: 'session'`: the same on session windows (input.ts, chaosWindow), against the oracle's sessions.
 * `early`: with early results, the early topic checked too (verify-early.ts).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { oracle } from '../support/oracle.js';
import { createTestBucket, waitPublishedInBucket, type TestBucket } from '../support/bucket.js';
import { waitPublished } from '../support/pipeline.js';
import { waitProcessed, waitStage2 } from '../support/read.js';
import { chaosWindow, loadChaosTopology, prepareInput, produceChaosInput, SendGate, writeChaosTopology, type ChaosInput, type ChaosWindow } from './input.js';
import { ProgressProbe } from './progress.js';
import { logLines, Supervisor, waitForLog, type Instance } from './replicas.js';
import { formatReport, recoveries, type Fault, type ReportInput } from './report.js';
import { ChaosServices, sleep } from './services.js';
import { formatSessionStats, sessionStats, type SessionStats } from './session-stats.js';
import { compareEarly, consistentEarly, readEarlyRows } from './verify-early.js';
import { earlyOracle } from '../support/early-oracle.js';
import { checkParquet, checkPositions, checkTopic, clean } from './verify.js';
import { dumpRawLogs } from './forensics.js';

export interface ChaosOptions {
  repoRoot: string;
  events: number;
  seed: number;
  /** Random SIGKILLs by the harness (crash-point kills come on top). */
  randomKills: number;
  /** Spread the input over about this long. */
  produceMs: number;
  stepMs: number;
  keys: number;
  /** SLUICE_FAULTS while crash points are armed. */
  crashPoints: string;
  command: string;
  log: (line: string) => void;
  keepDir?: boolean;
  /**
   * Where the Parquet sink writes: a local folder (default) or a bucket of the run's own S3Proxy.
   * With 's3' every replica has its own --state-dir, gone when it exits, and a SIGKILL between
   * the commit and the copies (crash point after-commit) is a required fault.
   */
  sink?: 'local' | 's3';
  /** Two stages: input keyed by user, windows per page across partitions. */
  twoStage?: boolean;
  /** The window kind (default tumbling 10 s); `session`: gap and grace from `stepMs` (input.ts, chaosWindow), against the oracle's sessions. */
  window?: ChaosWindow;
  /**
   * `emit: { early }` in ms (time windows): the early topic is checked too, one stage against the
   * early oracle exactly, two stages for what holds whatever the batching (verify-early.ts).
   */
  early?: number;
}

export interface ChaosResult extends ReportInput { ok: boolean; text: string; dir: string; sessions?: SessionStats }

export const BUCKET_FAULTS = ['SIGKILL at after-commit'];
export const REQUIRED_FAULTS = ['SIGKILL (random)', 'SIGKILL at before-commit', 'scale 1→3', 'zombie (SIGSTOP > session timeout, SIGCONT)', 'scale 3→1', 'Redis restart', 'registry down 10 s', 'broker restart'];
const SESSION_TIMEOUT_MS = 6000;
const SIGTERM_GRACE_MS = 30_000;

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const t0 = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-chaos-'));
  const logDir = join(dir, 'logs');
  mkdirSync(logDir);
  const note = (line: string) => o.log(`[chaos ${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${line}`);
  const faults: Fault[] = [];
  const fault = (kind: string, detail = '') => {
    faults.push({ at: Date.now(), kind, detail });
    note(`FAULT ${kind}${detail ? `: ${detail}` : ''}`);
  };
  const problems: string[] = [];
  let services: ChaosServices | undefined;
  let supervisor: Supervisor | undefined;
  let probe: ProgressProbe | undefined;
  let armed = true;
  let bucket: TestBucket | undefined;
  let keep = o.keepDir === true;
  const required = [...REQUIRED_FAULTS, ...(o.sink === 's3' ? BUCKET_FAULTS : [])];
  // the crash points that must fire (step 1 below)
  const crashKinds = ['SIGKILL at before-commit', ...(o.sink === 's3' ? BUCKET_FAULTS : [])];
  try {
    services = await ChaosServices.start(dir, o.repoRoot, note, { s3: o.sink === 's3' });
    const { brokers, registryUrl, redisUrl, s3 } = services.endpoints;
    if (s3) bucket = await createTestBucket(s3);
    const t = writeChaosTopology(dir, { sessionTimeout: `${SESSION_TIMEOUT_MS / 1000}s`, name: `chaos-${process.pid}`, parquet: bucket && `s3://${bucket.name}/chaos/`, twoStage: o.twoStage, window: chaosWindow(o.window ?? 'tumbling', o.stepMs), early: o.early });
    const topology = await loadChaosTopology(t);
    const source = await prepareInput({ brokers, registryUrl, topology, partitions: 6 });
    probe = new ProgressProbe(brokers, t.group, t.source);

    supervisor = new Supervisor({
      repoRoot: o.repoRoot,
      topologyFile: t.file,
      logDir,
      env: { KAFKA_BROKERS: brokers.join(','), SCHEMA_REGISTRY_URL: registryUrl, REDIS_URL: redisUrl, ...(s3 ?? {}) },
      ...(bucket ? { stateDirs: join(dir, 'disks') } : {}),
      faults: () => (armed ? stillArmed() : undefined),
      onExit: (i) => {
        if (i.exit?.crashPoint) fault(`SIGKILL at ${i.exit.crashPoint}`, `replica ${i.name} (SLUICE_FAULTS)`);
        else if (!i.exit?.expected) fault('unexpected exit', `replica ${i.name} code=${i.exit?.code} signal=${i.exit?.signal}`);
      },
      note,
    });
    const sup = supervisor;
    // once a required crash point has fired, later replicas no longer arm it: the others (e.g.
    // after-commit with a bucket) get their turn instead of waiting for luck on a slow box
    function stillArmed(): string {
      const fired = new Set(faults.map((f) => f.kind));
      const kindOf = (point: string) => `SIGKILL at ${point.split(':')[0]}`;
      return o.crashPoints.split(',').filter((p) => !(crashKinds.includes(kindOf(p)) && fired.has(kindOf(p)))).join(',');
    }
    const gate = new SendGate();
    let produced = 0;
    sup.scaleTo(1);
    const producing = produceChaosInput({ brokers, registryUrl, topology, partitions: 6, count: o.events, seed: o.seed, durationMs: o.produceMs, stepMs: o.stepMs, keys: o.keys, keyBy: o.twoStage ? 'user_id' : undefined, gate, onProgress: (n) => (produced = n) }, source);
    producing.catch(() => undefined);

    const progressed = async (what: string, timeoutMs = 60_000) => {
      const before = (await probe!.read())?.total ?? 0;
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const p = await probe!.read();
        if (p && (p.total > before || (p.done && produced >= o.events))) return;
        await sleep(500);
      }
      note(`warning: no committed progress within ${timeoutMs / 1000}s after ${what}`);
    };
    const randomKill = async () => {
      await sleep(1000 + Math.random() * 4000); // a random instant
      const running = sup.running().filter((i) => !i.stopped);
      const victim = running[Math.floor(Math.random() * running.length)];
      if (!victim) return;
      sup.kill(victim);
      fault('SIGKILL (random)', `replica ${victim.name}`);
      await progressed('a SIGKILL');
    };
    const assignedTo = (i: Instance, after = 0): number[] | undefined =>
      logLines(i).filter((l) => l.msg === 'partitions assigned' && l.time >= after).map((l) => l.partitions as number[]).pop();

    // 1. crash points until a replica killed itself between sendOffsets and EndTxn (and, with a
    // bucket, between the commit and the copies: a fresh replica rolls them forward from the bucket)
    const crashDeadline = Date.now() + 120_000;
    while (!crashKinds.every((k) => faults.some((f) => f.kind === k)) && Date.now() < crashDeadline) await sleep(500);
    armed = false;
    note('crash points disarmed for replicas started from now on');
    await progressed('the crash points');
    await randomKill();

    // 2. scale 1→3, then a zombie among three
    fault('scale 1→3');
    await sup.scaleTo(3);
    await Promise.all(sup.running().map((i) => waitForLog(i, (l) => l.msg === 'replica running', 90_000).catch(() => undefined)));
    await sleep(8000);
    const candidates = sup.running().filter((i) => (assignedTo(i) ?? []).length > 0);
    const zombie = candidates[Math.floor(Math.random() * candidates.length)];
    if (zombie) {
      const stoppedAt = Date.now();
      sup.stop(zombie);
      await sleep(SESSION_TIMEOUT_MS + 5000);
      const takenOver = sup.running().filter((i) => i !== zombie && assignedTo(i, stoppedAt) !== undefined);
      sup.cont(zombie);
      fault('zombie (SIGSTOP > session timeout, SIGCONT)', `replica ${zombie.name} stopped ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s; rebalanced without it: ${takenOver.map((i) => i.name).join(', ') || 'none'}`);
      await sleep(5000);
      const fenced = logLines(zombie).filter((l) => l.time >= stoppedAt && /fenced/.test(l.msg)).length;
      note(`zombie ${zombie.name}: ${fenced} 'producer fenced' log line(s) after SIGCONT; rejoined with ${JSON.stringify(assignedTo(zombie, stoppedAt + SESSION_TIMEOUT_MS) ?? null)}`);
    } else problems.push('zombie: no replica with partitions to stop');
    await progressed('the zombie');
    await randomKill();

    // 3. scale 3→1: a graceful leave must exit 0
    const threeUp = Date.now() + 20_000; // let the supervisor replace a replica killed just before
    while (sup.running().length < 3 && Date.now() < threeUp) await sleep(250);
    // sluice installs its SIGTERM handler only once started (src/cli/run.ts): a booting replica would die of the signal
    await Promise.all(sup.running().map((i) => waitForLog(i, (l) => l.msg === 'replica running', 60_000).catch(() => undefined)));
    fault('scale 3→1');
    for (const s of await sup.scaleTo(1)) {
      if (!s.alreadyExited && s.code !== 0) problems.push(`scale-down: replica ${s.name} exited ${s.code ?? s.signal} on SIGTERM (expected 0)`);
      // Kubernetes' default grace period; a replica bounds its own stop well below (src/tasks/consumer.ts)
      if ((s.ms ?? 0) > SIGTERM_GRACE_MS) problems.push(`scale-down: replica ${s.name} took ${((s.ms ?? 0) / 1000).toFixed(1)} s to exit on SIGTERM (over ${SIGTERM_GRACE_MS / 1000} s)`);
    }
    await progressed('the scale-down');

    // 4. outages
    fault('Redis restart', 'SIGKILL, down 5 s, AOF with appendfsync always, same port and dir');
    await services.restartRedis(5000); // long enough for batches to meet the outage
    await progressed('the Redis restart');
    fault('registry down 10 s', 'process stopped, restarted on the same PostgreSQL storage');
    await services.restartRegistry(10_000);
    await progressed('the registry restart');
    fault('broker restart', 'SIGTERM (controlled shutdown), same data dir');
    await gate.close();
    await services.restartBroker();
    gate.open();
    await progressed('the broker restart', 120_000);
    for (let k = faults.filter((f) => f.kind === 'SIGKILL (random)').length; k < o.randomKills; k++) await randomKill();

    // 5. the end: all input produced and every partition's checkpoint at its end
    const input: ChaosInput = await producing;
    note(`input produced: ${input.messages.length} events`);
    const deadline = Date.now() + 300_000;
    let last: Awaited<ReturnType<ProgressProbe['read']>>;
    while (Date.now() < deadline && !(last = await probe.read())?.done) await sleep(1000);
    if (!last?.done) problems.push(`input not consumed in time: positions ${JSON.stringify([...(last?.positions ?? [])])}, ends ${JSON.stringify([...(last?.ends ?? [])])}`);
    // a replica restarted meanwhile may still be rolling forward the last commits' files: wait for them
    let checkpoints = await waitProcessed(brokers, t.group, t.source, 10_000).catch(() => undefined);
    // two stages: stage 2 then reads what stage 1 wrote to its end; its checkpoints hold the files
    if (checkpoints && o.twoStage) checkpoints = await waitStage2(brokers, t.group, t.repartition, 120_000).catch((e: Error) => void problems.push(e.message));
    if (checkpoints) await (bucket ? waitPublishedInBucket(bucket, 'chaos/', checkpoints, 60_000) : waitPublished(t, checkpoints, 60_000)).catch((e: Error) => problems.push(e.message));
    const stops = await sup.stopAll();
    for (const s of stops) {
      if (!s.alreadyExited && s.code !== 0) problems.push(`final stop: replica ${s.name} exited ${s.code ?? s.signal} on SIGTERM (expected 0)`);
      if ((s.ms ?? 0) > SIGTERM_GRACE_MS) problems.push(`final stop: replica ${s.name} took ${((s.ms ?? 0) / 1000).toFixed(1)} s to exit on SIGTERM (over ${SIGTERM_GRACE_MS / 1000} s)`);
    }
    await probe.close();

    // 6. compare
    const expected = oracle(input.oracleInput(), topology.spec, { keyed: o.twoStage });
    const w = topology.spec.window;
    const sessions = w.type === 'session' ? sessionStats(input.oracleInput(), expected, w, topology.spec.source.event_time, topology.spec.aggregate.group_by) : undefined;
    const notes = sessions ? [formatSessionStats(sessions)] : [];
    for (const n of notes) note(n);
    const checks = [
      await checkTopic(brokers, registryUrl, t, expected),
      // a bucket is read as a reader without the SDK would: every object downloaded, then the same check
      await checkParquet(bucket ? { ...t, parquet: await bucket.download('chaos/') } : t, expected),
      await checkPositions(brokers, 'dead letters', t.dlq, expected.deadLetters, input, t.source),
      await checkPositions(brokers, 'late', t.late, expected.late, input, t.source),
    ];
    if (o.early !== undefined) {
      const rows = await readEarlyRows(brokers, registryUrl, `${t.output}_early`);
      checks.push(o.twoStage ? consistentEarly(rows, expected) : compareEarly(rows, earlyOracle(input.oracleInput(), topology.spec, o.early, expected)));
    }
    for (const c of checks) if (!clean(c)) problems.push(`${c.output}: expected ${c.expected}, got ${c.got}, lost ${c.lost}, duplicated ${c.duplicated}, unexpected ${c.unexpected}, mismatched ${c.mismatched}`);
    if (checks.some((c) => c.duplicated + c.unexpected > 0)) {
      // forensics.ts: the written topics' raw logs, beside the replicas' logs, kept for a post-mortem
      const files = await dumpRawLogs(brokers, dir, [t.output, t.dlq, t.late], [...input.byPartition.keys()]).catch((e: Error) => [`raw logs not dumped: ${e.message}`]);
      keep = true;
      note(`duplicates or unexpected records: raw topic logs in ${files.join(', ')}`);
    }
    if (bucket) note(`bucket: ${(await bucket.keys('chaos/_staging/')).length} object(s) left under _staging/: batches whose commit never completed, removed by a later recovery once older than twice the transaction timeout`);
    for (const kind of required) if (!faults.some((f) => f.kind === kind)) problems.push(`fault never injected: ${kind}`);
    if (faults.filter((f) => f.kind === 'SIGKILL (random)').length < o.randomKills) problems.push(`fewer than ${o.randomKills} random SIGKILLs`);
    for (const i of sup.instances) {
      const loss = logLines(i).filter((l) => /Redis lost its dedup data/.test(l.msg)).length;
      if (loss > 0) problems.push(`replica ${i.name} reported Redis data loss (${loss}×) although Redis persists every write`);
    }
    const report: ReportInput = { command: o.command, events: input.messages.length, pending: expected.pending.length, checks, faults, recoveries: recoveries(sup.instances), stops, problems, seconds: (Date.now() - t0) / 1000, notes };
    const text = formatReport(report);
    return { ...report, ok: problems.length === 0, text, dir, sessions };
  } finally {
    await probe?.close();
    await supervisor?.killAll();
    await bucket?.remove().catch(() => undefined);
    await services?.stop();
    if (!keep) rmSync(dir, { recursive: true, force: true });
    else note(`kept ${dir} (replica logs in ${logDir})`);
  }
}
